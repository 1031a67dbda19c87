/*
 * The evaluation's internals: the context every check reads and adds to,
 * shared by the files that judge one topic each (checks.c, and the checks
 * of other topics beside it) and by the hook's repair code.
 */
#ifndef VFIOHELP_CHECKS_H
#define VFIOHELP_CHECKS_H

#include "internal.h"

struct vh_eval {
	struct vh_host *h;
	const struct vh_policy *policy;
	struct vh_report *r;
	size_t cap_findings, cap_passed, cap_unjudged;
	bool oom;
};

/* Adds a finding with the table's default severity and topic (findings.c),
 * changed by the policy; nothing when the policy turns it off. */
void vh_eval_finding(struct vh_eval *ev, enum vh_finding_id id, const char *subject,
		     const char *fix, const char *fmt, ...) VH_PRINTF(5, 6);
/* The same with a default severity of the caller's (a finding whose
 * weight depends on the device: Code 43 is NVIDIA's). */
void vh_eval_finding_as(struct vh_eval *ev, enum vh_finding_id id, enum vh_severity dflt,
			const char *subject, const char *fix, const char *fmt, ...) VH_PRINTF(6, 7);
/* A check that passed: a ticked line of the text checklist. */
void vh_eval_passed(struct vh_eval *ev, enum vh_topic topic, const char *fmt, ...) VH_PRINTF(3, 4);

/* A check that could not be made: `check` names it, the text says what
 * could not be read. Never a finding, so never blocks a start. */
void vh_eval_unjudged(struct vh_eval *ev, const char *check, const char *fmt, ...) VH_PRINTF(3, 4);

/* checks_vm.c: the VM's settings and its memory */
void vh_check_vm_settings(struct vh_eval *ev);
void vh_check_memory(struct vh_eval *ev);
/* Settings that undo passthrough inside the guest, once its devices are
 * read: args' own -cpu, Secure Boot against the NVIDIA module. */
void vh_check_guest_settings(struct vh_eval *ev);
/* "qm set VMID -hostpciN <entry>" with pcie=1 and rombar=0 as asked, every
 * other option kept; the form of the command when the entry does not fit. */
void vh_hostpci_fix(const struct vh_report *r, const struct vh_hostpci *pci, bool want_pcie,
		    bool want_rombar_off, char *fix, size_t size);

/* The guest OS as the VM's ostype says: l24/l26 Linux, w* Windows (wxp
 * .. win11); neither when absent or another. */
bool vh_guest_linux(const struct vh_vmconf *vm);
bool vh_guest_windows(const struct vh_vmconf *vm);
/* What the NVIDIA driver in this guest does with a card set up wrong, in
 * the guest's own words: Code 43 is Windows' Device Manager code; the Linux
 * driver logs "RmInitAdapter failed" and nvidia-smi finds no devices. */
const char *vh_nvidia_failure(const struct vh_vmconf *vm);

/* The rules of the VM's entries (checks_entries.c), once its devices are read. */
void vh_check_code43(struct vh_eval *ev);
void vh_check_legacy_igd(struct vh_eval *ev);
/* Each mdev= entry's type on its parent (mdev-unavailable). */
void vh_check_mdev_entries(struct vh_eval *ev);
void vh_check_x_vga(struct vh_eval *ev);

/* The VM gets this function (after mapping and function expansion). */
bool vh_report_has_device(const struct vh_report *r, const struct vh_pci_addr *a);
/* The hostpciN entry a device of the VM came from (NULL if none). */
const struct vh_hostpci *vh_report_hostpci(const struct vh_report *r, int index);
/* Drivers that leave a group member harmless to the guest: none, vfio-pci,
 * pci-stub. */
bool vh_driver_harmless(const char *driver);

/* checks_health.c: interrupt remapping, the devices' own health (answers,
 * power, reset), romfile= and vfio-pci ids= that reach other devices. */
void vh_check_health(struct vh_eval *ev, bool iommu_active);

/* checks_setup.c: a host setup half done (initramfs, command line,
 * modprobe.d and modules-load.d lines the tools ignore). */
void vh_check_setup(struct vh_eval *ev);

#endif
