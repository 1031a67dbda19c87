/* Facts about the host outside PCI: IOMMU, kernel command line, memory,
 * CPU vendor, framebuffers, node name, who holds which device. */
#ifndef VFIOHELP_HOSTINFO_H
#define VFIOHELP_HOSTINFO_H

#include "internal.h"

#define VH_MAX_GROUP_MEMBERS 64

/* The IOMMU is active: /sys/class/iommu has an entry and iommu_groups is
 * populated. `unit` gets the first unit's name (dmar0, ivhd0). */
int vh_iommu_active(struct vh_host *h, bool *active, char *unit, size_t size, struct vh_err *err);
/* Members of IOMMU group g, from /sys/kernel/iommu_groups/<g>/devices. */
int vh_group_members(struct vh_host *h, int group, struct vh_pci_addr *out, size_t max,
		     size_t *count, struct vh_err *err);
/* The functions of bus:dev present on the host (probes .0 to .7). */
size_t vh_device_functions(struct vh_host *h, const struct vh_pci_addr *slot,
			   struct vh_pci_addr *out, size_t max);

/* Kernel command line from /proc/cmdline; true when `param` (a word or
 * "word=" prefix) appears. value receives what follows '=' when asked.
 * vh_cmdline_has is the text-level parser. A buffer of VH_CMDLINE_MAX holds
 * any command line: x86 allows 2048 bytes, other architectures up to 4096. */
#define VH_CMDLINE_MAX 4096
int vh_cmdline_read(struct vh_host *h, char *buf, size_t size, struct vh_err *err);
bool vh_cmdline_has(const char *cmdline, const char *param, char *value, size_t size);

/* MemAvailable and MemTotal in MiB, from /proc/meminfo. vh_meminfo_parse is
 * the text-level parser (text[0..len), -1 when either field is missing). */
int vh_meminfo(struct vh_host *h, uint64_t *available_mib, uint64_t *total_mib, struct vh_err *err);
int vh_meminfo_parse(const char *text, size_t len, uint64_t *available_mib, uint64_t *total_mib);

/* From the vendor_id in /proc/cpuinfo (vh_cpuinfo_vendor: its text). */
enum vh_cpu_vendor { VH_CPU_UNKNOWN, VH_CPU_INTEL, VH_CPU_AMD };
enum vh_cpu_vendor vh_cpu_vendor(struct vh_host *h);
enum vh_cpu_vendor vh_cpuinfo_vendor(const char *text, size_t len);

/* A host framebuffer (efifb, simplefb, vesafb, BOOTFB) lies inside one of
 * the device's memory BARs, per /proc/iomem; name gets the framebuffer.
 * vh_iomem_framebuffer takes the texts of /proc/iomem and of the device's
 * sysfs "resource". */
bool vh_framebuffer_on_device(struct vh_host *h, const char *addr, char *name, size_t size);
bool vh_iomem_framebuffer(const char *iomem, size_t iomem_len, const char *resource,
			  size_t resource_len, char *name, size_t size);

/* This node's name: /etc/hostname up to the first dot. */
int vh_node_name(struct vh_host *h, char *buf, size_t size, struct vh_err *err);

/* The QEMU pid of a VM from /run/qemu-server/<vmid>.pid, and whether that
 * process is alive (-1 when there is no readable pid file). */
int vh_vm_pid(struct vh_host *h, unsigned vmid, uint64_t *pid, bool *alive);

/* Another VM holds or reserves the device (pci-id-reservations). */
struct vh_holder {
	unsigned vmid;
	bool running;    /* pid: entry with a live process */
	long long until; /* time: entry still valid until then */
};
int vh_device_holder(struct vh_host *h, const char *addr, unsigned self, struct vh_holder *out,
		     bool *held, struct vh_err *err);

/* The text-level parser of /run/qemu-server/pci-id-reservations: the
 * well-formed entries for device addr of VMs other than self, in the file's
 * order, at most max (whether each is in force is the caller's question).
 * -1 with errno when the text holds a NUL byte or memory runs out. */
#define VH_MAX_RESERVATIONS 64
struct vh_reservation {
	unsigned vmid;
	bool by_pid;     /* "pid:<pid>": held while that process lives */
	uint64_t pid;
	long long until; /* "time:<epoch>": reserved until then */
};
int vh_reservations_parse(const char *text, size_t len, const char *addr, unsigned self,
			  struct vh_reservation *out, size_t max, size_t *count);

/* ---- interrupts (vfio's precondition for a device's MSI/INTx) ---- */

/* Interrupt remapping is on: /proc/interrupts lists an interrupt chip whose
 * name starts "IR-" (IR-IO-APIC, IR-PCI-MSI...). -1 when the file cannot be
 * read: then nothing can be said. */
int vh_interrupts_remapped(struct vh_host *h, bool *remapped, struct vh_err *err);
/* The text-level parser: text[0..len) of /proc/interrupts names a remapped chip. */
bool vh_interrupts_parse(const char *text, size_t len);

/* Where vfio_iommu_type1's allow_unsafe_interrupts comes from. */
enum vh_unsafe_source {
	VH_UNSAFE_DEFAULT,   /* module not loaded, no modprobe.d option: off */
	VH_UNSAFE_PARAM,     /* /sys/module/vfio_iommu_type1/parameters/... */
	VH_UNSAFE_MODPROBE,  /* options vfio_iommu_type1 allow_unsafe_interrupts=... */
};
/* Whether vfio allows devices without interrupt remapping: the loaded
 * module's parameter, else what modprobe.d gives it at load. */
bool vh_unsafe_interrupts(struct vh_host *h, enum vh_unsafe_source *source);

/* The vendor id in the first two bytes of the device's config space as the
 * kernel reads it now (the "vendor" attribute is cached at enumeration and
 * stays right when the device stops answering). -1 when unreadable. */
int vh_config_vendor(struct vh_host *h, const char *addr, uint16_t *vendor);

#endif
