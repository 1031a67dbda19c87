/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Who holds or reserves a device: the one answer for the checks, the bus
 * listing and every hook phase. Sources, as qemu-server decides them:
 *
 *   - a running VM: /var/run/qemu-server/<vmid>.pid names a live process
 *     whose cmdline holds "-pidfile /var/run/qemu-server/<vmid>.pid"
 *     (QemuServer::Helpers::vm_running_locally);
 *   - /run/qemu-server/pci-id-reservations: "pid:<pid>" holds while that
 *     VM runs as that pid, "time:<epoch>" reserves until then;
 *   - the devices a running VM's config passes (mapping= resolved for this
 *     node; mdev=nvidia-N on a vGPU VF takes the device, a classic mdev
 *     parent is shared);
 *   - the hook's state of another VM (pve/state.h), while that VM runs: a
 *     state whose VM does not run is stale.
 */
#ifndef VFIOHELP_OWNERSHIP_H
#define VFIOHELP_OWNERSHIP_H

#include "internal.h"

/* vm_running_locally: the VM's QEMU pid (pid may be NULL). */
bool vh_vm_running(struct vh_host *h, unsigned vmid, uint64_t *pid);
/* The cmdline grammar: NUL-separated arguments, one of them "-pidfile" or
 * "--pidfile" followed by exactly "/var/run/qemu-server/<vmid>.pid". */
bool vh_cmdline_names_pidfile(const char *cmdline, size_t len, unsigned vmid);

enum vh_hold {
	VH_HOLD_NONE,
	VH_HOLD_RESERVED, /* a time: reservation still in force */
	VH_HOLD_RUNNING,  /* a pid: reservation of a running VM */
	VH_HOLD_CONFIG,   /* a running VM's config passes it */
	VH_HOLD_STATE,    /* a running VM's hook state records it */
	VH_HOLD_UNKNOWN,  /* cannot tell (out of memory): assume held */
};

struct vh_holder {
	enum vh_hold kind;
	unsigned vmid;
	int index;       /* VH_HOLD_CONFIG: its hostpciN */
	long long until; /* VH_HOLD_RESERVED */
};

/* Whether a VM other than self holds or reserves device a. state_dir: the
 * hook's state directory, or -1 to leave states out. */
bool vh_device_owner(struct vh_host *h, const struct vh_pci_addr *a, unsigned self, int state_dir,
		     struct vh_holder *out);
/* "VM 200 holds it", "running VM 200 passes it as hostpci0", ... */
void vh_holder_describe(const struct vh_holder *o, char *buf, size_t size);

/* The text-level parser of /run/qemu-server/pci-id-reservations: the
 * well-formed entries for device addr of VMs other than self, in the file's
 * order, at most max (whether each is in force is the caller's question).
 * -1 with errno when the text holds a NUL byte or memory runs out. */
#define VH_MAX_RESERVATIONS 64
struct vh_reservation {
	unsigned vmid;
	bool by_pid; /* "pid:<pid>": held while that VM runs as that process */
	uint64_t pid;
	long long until; /* "time:<epoch>": reserved until then */
};
int vh_reservations_parse(const char *text, size_t len, const char *addr, unsigned self,
			  struct vh_reservation *out, size_t max, size_t *count);

/* Which VMs' configs pass which devices (struct vh_vm_uses, internal.h). */
/* Every VM config of this node (mapping= resolved for this node). A config
 * that does not parse is skipped: it passes nothing Proxmox could start. */
int vh_vm_uses_load(struct vh_host *h, struct vh_vm_uses *out, struct vh_err *err);
void vh_vm_uses_free(struct vh_vm_uses *u);
/* The VMs passing device a, ascending, at most max; returns how many. */
size_t vh_vm_uses_of(const struct vh_vm_uses *u, const struct vh_pci_addr *a, unsigned *vmids,
		     size_t max);

/* mdev=nvidia-<N> on a device with NVIDIA's vGPU sysfs API (an nvidia/
 * directory): qemu-server then reserves the device like a passed one. */
bool vh_mdev_is_nvidia(struct vh_host *h, const struct vh_hostpci *pci, unsigned long *model);
/* The entry takes its device: not a classic mdev (several vGPUs share one
 * parent). */
bool vh_entry_takes_device(struct vh_host *h, const struct vh_hostpci *pci);

#endif
