/*
 * The table of findings: every id the evaluation can report, its topic,
 * its default severity and what it means. This is the one place the ids
 * live; the README's table, the man page and the tests are checked
 * against it (tests/unit/test_findings.c).
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

#define E VH_SEV_ERROR
#define W VH_SEV_WARN
#define I VH_SEV_INFO

static const struct vh_finding_kind kinds[] = {
	/* the VM's config and settings */
	[VH_F_VM_CONFIG] = { "vm-config", E, VH_TOPIC_VM, VH_REPAIR_NONE,
			     "the VM's config is missing, or Proxmox itself could not parse it" },
	[VH_F_MAPPING_UNRESOLVED] = { "mapping-unresolved", E, VH_TOPIC_VM, VH_REPAIR_NONE,
				      "a mapping= entry has no usable map for this node, or the hardware no longer matches it" },
	[VH_F_MACHINE_I440FX] = { "machine-i440fx", E, VH_TOPIC_VM, VH_REPAIR_NONE,
				  "a display device is passed to an i440fx VM (the NVIDIA driver fails: Code 43 in Windows, RmInitAdapter in Linux)" },
	[VH_F_BIOS_SEABIOS] = { "bios-seabios", E, VH_TOPIC_VM, VH_REPAIR_NONE,
				"a display device is passed to a SeaBIOS VM (the NVIDIA driver fails: Code 43 in Windows, RmInitAdapter in Linux)" },
	[VH_F_ROMBAR_ENABLED] = { "rombar-enabled", E, VH_TOPIC_VM, VH_REPAIR_NONE,
				  "an NVIDIA display device's ROM BAR is exposed to the guest (Code 43 in Windows, RmInitAdapter in Linux)" },
	[VH_F_PCIE_OFF] = { "pcie-off", W, VH_TOPIC_VM, VH_REPAIR_NONE,
			    "a q35 VM's entry lacks pcie=1" },
	[VH_F_PCIE_NEEDS_Q35] = { "pcie-needs-q35", E, VH_TOPIC_VM, VH_REPAIR_NONE,
				  "an entry has pcie=1 on an i440fx VM; qemu-server refuses the start" },
	[VH_F_DEVICE_DUPLICATE] = { "device-duplicate", E, VH_TOPIC_VM, VH_REPAIR_NONE,
				    "one host device is named by two hostpci entries; qemu-server refuses the start" },
	[VH_F_LEGACY_IGD_INVALID] = { "legacy-igd-invalid", E, VH_TOPIC_VM, VH_REPAIR_NONE,
				      "a legacy-igd=1 entry breaks one of qemu-server's legacy IGD rules" },
	[VH_F_EFIDISK_MISSING] = { "efidisk-missing", W, VH_TOPIC_VM, VH_REPAIR_NONE,
				   "OVMF without an efidisk0" },
	[VH_F_BALLOON_ENABLED] = { "balloon-enabled", W, VH_TOPIC_VM, VH_REPAIR_NONE,
				   "memory ballooning is on while devices are passed (all memory is pinned)" },
	[VH_F_ROMFILE_MISSING] = { "romfile-missing", E, VH_TOPIC_VM, VH_REPAIR_NONE,
				   "romfile= names a file that is not in /usr/share/kvm/" },
	[VH_F_ARGS_CPU_OVERRIDE] = { "args-cpu-override", W, VH_TOPIC_VM, VH_REPAIR_NONE,
				     "args: holds -cpu, which replaces the -cpu qemu-server builds from cpu: (QEMU keeps the last)" },
	[VH_F_SECURE_BOOT_UNSIGNED_DRIVER] = { "secure-boot-unsigned-driver", W, VH_TOPIC_VM,
					       VH_REPAIR_NONE,
					       "OVMF with Secure Boot keys enrolled, a Linux guest and an NVIDIA display device: the guest refuses the unsigned NVIDIA module" },
	[VH_F_ROMFILE_INVALID] = { "romfile-invalid", E, VH_TOPIC_VM, VH_REPAIR_NONE,
				   "the romfile= file is no PCI expansion ROM (no 0x55AA at offset 0, a broken image chain), or its PCIR vendor is not the device's" },
	[VH_F_ROMFILE_MISMATCH] = { "romfile-mismatch", W, VH_TOPIC_VM, VH_REPAIR_NONE,
				    "the romfile= ROM's PCIR device id is not the device's and not in its device list" },
	[VH_F_X_VGA_NOT_VGA] = { "x-vga-not-vga", E, VH_TOPIC_VM, VH_REPAIR_NONE,
				 "x-vga=1 on a device that is not a VGA controller (class 0x0300): vfio-pci has no VGA region for it and QEMU fails" },
	/* the host */
	[VH_F_MEMORY_INSUFFICIENT] = { "memory-insufficient", E, VH_TOPIC_HOST, VH_REPAIR_NONE,
				       "the VM's memory exceeds what the host can pin now" },
	/* IOMMU */
	[VH_F_IOMMU_DISABLED] = { "iommu-disabled", E, VH_TOPIC_IOMMU, VH_REPAIR_NONE,
				  "the host has no active IOMMU" },
	[VH_F_INTERRUPT_REMAPPING_MISSING] = { "interrupt-remapping-missing", E, VH_TOPIC_IOMMU,
					       VH_REPAIR_NONE,
					       "the IOMMU does not remap interrupts and unsafe interrupts are not allowed: vfio refuses the device" },
	[VH_F_UNSAFE_INTERRUPTS] = { "unsafe-interrupts", W, VH_TOPIC_IOMMU, VH_REPAIR_NONE,
				     "vfio_iommu_type1 allow_unsafe_interrupts is on: the guest can inject interrupts into the host" },
	[VH_F_GROUP_NOT_ISOLATED] = { "group-not-isolated", E, VH_TOPIC_IOMMU, VH_REPAIR_NONE,
				      "the device's IOMMU group holds an endpoint on a host driver that the VM does not get" },
	[VH_F_IOMMU_GROUP_MISSING] = { "iommu-group-missing", E, VH_TOPIC_IOMMU, VH_REPAIR_NONE,
				       "the IOMMU is on but does not cover the device (no IOMMU group): vfio cannot take it" },
	[VH_F_ACS_OVERRIDE] = { "acs-override", W, VH_TOPIC_IOMMU, VH_REPAIR_NONE,
				"pcie_acs_override is on the kernel command line (groups split by decree)" },
	/* drivers and modules */
	[VH_F_DEVICE_MISSING] = { "device-missing", E, VH_TOPIC_DRIVERS, VH_REPAIR_NONE,
				  "a device named by the config is not on the host" },
	[VH_F_DEVICE_IN_USE] = { "device-in-use", E, VH_TOPIC_DRIVERS, VH_REPAIR_NONE,
				 "another running VM holds or has reserved the device" },
	[VH_F_MDEV_UNAVAILABLE] = { "mdev-unavailable", E, VH_TOPIC_DRIVERS, VH_REPAIR_NONE,
				    "an mdev= type does not exist on the parent device or has no free instance" },
	[VH_F_DRIVER_NOT_VFIO] = { "driver-not-vfio", W, VH_TOPIC_DRIVERS, VH_REPAIR_REBIND,
				   "the device is bound to another driver; the hook rebinds it to vfio-pci" },
	[VH_F_MODULE_NOT_LOADED] = { "module-not-loaded", W, VH_TOPIC_DRIVERS,
				     VH_REPAIR_LOAD_MODULE,
				     "vfio, vfio_pci or vfio_iommu_type1 is not loaded; the hook loads it" },
	[VH_F_MODULE_UNKNOWN] = { "module-unknown", W, VH_TOPIC_DRIVERS, VH_REPAIR_NONE,
				  "/etc/modules names a module this kernel does not have" },
	[VH_F_HOST_DRIVER_NOT_BLACKLISTED] = { "host-driver-not-blacklisted", W, VH_TOPIC_DRIVERS,
					       VH_REPAIR_NONE,
					       "a host driver that would claim the device at boot is neither blacklisted nor pre-empted by vfio-pci ids=" },
	[VH_F_VFIO_IDS_HOST_DEVICE] = { "vfio-ids-host-device", W, VH_TOPIC_DRIVERS, VH_REPAIR_NONE,
					"an options vfio-pci ids= entry also matches a device the host uses: vfio-pci takes it at the next boot" },
	[VH_F_BOOT_VGA] = { "boot-vga", W, VH_TOPIC_DRIVERS, VH_REPAIR_NONE,
			    "the device is the host's boot display or a host framebuffer claims its memory" },
	/* the device's own health */
	[VH_F_DEVICE_UNRESPONSIVE] = { "device-unresponsive", E, VH_TOPIC_DEVICE, VH_REPAIR_NONE,
				       "the device does not answer config reads or sits in D3cold" },
	[VH_F_RESET_UNAVAILABLE] = { "reset-unavailable", W, VH_TOPIC_DEVICE, VH_REPAIR_NONE,
				     "the kernel knows no reset for the device" },
	[VH_F_AMD_RESET_BUG] = { "amd-reset-bug", W, VH_TOPIC_DEVICE, VH_REPAIR_NONE,
				 "an AMD GPU of a family with the reset bug has no device_specific reset" },
	[VH_F_KEEP_NOT_VFIO] = { "keep-not-vfio", E, VH_TOPIC_DRIVERS, VH_REPAIR_NONE,
				 "a driver=keep entry's device is not on vfio-pci or a vfio variant driver: QEMU cannot open /dev/vfio/N" },
	[VH_F_SRIOV_VFS_IN_USE] = { "sriov-vfs-in-use", E, VH_TOPIC_DEVICE, VH_REPAIR_NONE,
				    "the VM passes an SR-IOV PF whose enabled VFs are bound to a driver or passed by a VM: unbinding or resetting the PF removes them" },
	[VH_F_VF_NOT_CREATED] = { "vf-not-created", E, VH_TOPIC_DEVICE, VH_REPAIR_NONE,
				  "a configured address is absent but lies in an SR-IOV PF's VF range: the VFs are not enabled (sriov_numvfs)" },
	/* a host setup half done */
	[VH_F_INITRAMFS_STALE] = { "initramfs-stale", W, VH_TOPIC_HOST, VH_REPAIR_NONE,
				   "the initramfs of the running or the next kernel holds modprobe.d files that differ from the disk" },
	[VH_F_CMDLINE_PENDING] = { "cmdline-pending", W, VH_TOPIC_HOST, VH_REPAIR_NONE,
				   "the command line the boot loader will boot differs from the running one in a passthrough option: a refresh or reboot is pending" },
	[VH_F_CMDLINE_IGNORED] = { "cmdline-ignored", W, VH_TOPIC_HOST, VH_REPAIR_NONE,
				   "a passthrough kernel option is written where this host's boot loader does not read it" },
	[VH_F_MODPROBE_LINE_IGNORED] = { "modprobe-line-ignored", W, VH_TOPIC_DRIVERS,
					 VH_REPAIR_NONE,
					 "a modprobe.d line libkmod rejects, or modprobe lines in a file whose name lacks .conf" },
	[VH_F_MODULES_LINE_INVALID] = { "modules-line-invalid", W, VH_TOPIC_DRIVERS, VH_REPAIR_NONE,
					"a line of /etc/modules or modules-load.d that names no module of this kernel or carries arguments" },
	/* a device's own ROM, read by hookctl rom (never by check) */
	[VH_F_ROM_UNREADABLE] = { "rom-unreadable", E, VH_TOPIC_DEVICE, VH_REPAIR_NONE,
				  "hookctl rom: the kernel gives no ROM for the device (no ROM BAR, or the read fails)" },
	[VH_F_ROM_INVALID] = { "rom-invalid", E, VH_TOPIC_DEVICE, VH_REPAIR_NONE,
			       "hookctl rom: the device's ROM is no usable PCI expansion ROM, or its PCIR vendor is not the device's" },
	[VH_F_ROM_MISMATCH] = { "rom-mismatch", W, VH_TOPIC_DEVICE, VH_REPAIR_NONE,
				"hookctl rom: an image's PCIR device id is not the device's and not in its device list" },
	[VH_F_ROM_CHECKSUM] = { "rom-checksum", W, VH_TOPIC_DEVICE, VH_REPAIR_NONE,
				"hookctl rom: an x86 image's bytes do not sum to 0: SeaBIOS skips it" },
	[VH_F_ROM_NO_EFI] = { "rom-no-efi", W, VH_TOPIC_DEVICE, VH_REPAIR_NONE,
			      "hookctl rom: the ROM has no EFI image: under OVMF the card shows nothing before the guest's driver loads" },
	/* inside the running guest (guest/guest.c) */
	[VH_F_GUEST_AGENT_OFF] = { "guest-agent-off", W, VH_TOPIC_GUEST, VH_REPAIR_NONE,
				   "the VM has no agent: 1, so the guest cannot be asked" },
	[VH_F_GUEST_AGENT_SILENT] = { "guest-agent-silent", W, VH_TOPIC_GUEST, VH_REPAIR_NONE,
				      "the agent is configured but did not answer within the wait" },
	[VH_F_GUEST_EXEC_DISABLED] = { "guest-exec-disabled", W, VH_TOPIC_GUEST, VH_REPAIR_NONE,
				       "the agent answers but refuses guest-exec, so nothing can be probed" },
	[VH_F_GUEST_DEVICE_MISSING] = { "guest-device-missing", E, VH_TOPIC_GUEST, VH_REPAIR_NONE,
					"a passed device is not on the guest's PCI bus" },
	[VH_F_GUEST_DRIVER_UNBOUND] = { "guest-driver-unbound", E, VH_TOPIC_GUEST, VH_REPAIR_NONE,
					"a passed device is in the guest but no driver is bound to it" },
	[VH_F_GUEST_DEVICE_PROBLEM] = { "guest-device-problem", E, VH_TOPIC_GUEST, VH_REPAIR_NONE,
					"Windows reports a problem code for a passed device (Code 43 named)" },
	[VH_F_GUEST_NVIDIA_DRIVER_NOT_LOADED] = { "guest-nvidia-driver-not-loaded", E,
						  VH_TOPIC_GUEST, VH_REPAIR_NONE,
						  "nvidia-smi cannot talk to the NVIDIA driver in the guest" },
	[VH_F_GUEST_NVIDIA_INIT_FAILED] = { "guest-nvidia-init-failed", E, VH_TOPIC_GUEST,
					    VH_REPAIR_NONE,
					    "the NVIDIA driver is loaded but the GPU did not initialise (No devices were found, NVRM: lines)" },
	[VH_F_GUEST_SECURE_BOOT_REFUSED_MODULE] = { "guest-secure-boot-refused-module", E,
						    VH_TOPIC_GUEST, VH_REPAIR_NONE,
						    "the guest's kernel refused an unsigned module under Secure Boot" },
	[VH_F_GUEST_PROBE_FAILED] = { "guest-probe-failed", E, VH_TOPIC_GUEST, VH_REPAIR_NONE,
				      "an admin probe from the policy exited non-zero or could not run" },
};

#undef E
#undef W
#undef I

size_t vh_finding_kind_count(void)
{
	return VH_ARRAY_SIZE(kinds);
}

/* The table is indexed by enum vh_finding_id; an id added to the enum but
 * not here leaves a hole with a NULL id, which test_findings.c catches. */
_Static_assert(VH_ARRAY_SIZE(kinds) == VH_F_COUNT, "one table row per enum vh_finding_id");

const struct vh_finding_kind *vh_finding_kind_at(size_t i)
{
	return i < VH_ARRAY_SIZE(kinds) ? &kinds[i] : NULL;
}

const struct vh_finding_kind *vh_finding_kind_of(enum vh_finding_id id)
{
	return vh_finding_kind_at((size_t)id);
}

const struct vh_finding_kind *vh_finding_kind(const char *id)
{
	for (size_t i = 0; i < VH_ARRAY_SIZE(kinds); i++)
		if (kinds[i].id && !strcmp(kinds[i].id, id))
			return &kinds[i];
	return NULL;
}

void vh_finding_fill(struct vh_finding *f, enum vh_finding_id id, enum vh_severity sev,
		     const char *subject, const char *fix, const char *fmt, va_list ap)
{
	const struct vh_finding_kind *kind = vh_finding_kind_of(id);
	memset(f, 0, sizeof(*f));
	f->kind = id;
	vh_strlcpy(f->id, kind->id, sizeof(f->id));
	f->severity = sev;
	f->topic = kind->topic;
	vh_strlcpy(f->subject, subject, sizeof(f->subject));
	vh_strlcpy(f->fix, fix ? fix : "", sizeof(f->fix));
	vsnprintf(f->message, sizeof(f->message), fmt, ap);
	/* Config values and what a guest prints reach the admin's terminal through these. */
	vh_sanitize(f->message);
	vh_sanitize(f->fix);
	vh_sanitize(f->subject);
}
