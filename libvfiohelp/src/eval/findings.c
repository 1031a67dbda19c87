/*
 * The table of findings: every id the evaluation can report, its topic,
 * its default severity and what it means. This is the one place the ids
 * live; the README's table, the man page and the tests are checked
 * against it (tests/unit/test_findings.c).
 */
#include "internal.h"

#include <string.h>

#define E VH_SEV_ERROR
#define W VH_SEV_WARN
#define I VH_SEV_INFO

static const struct vh_finding_kind kinds[] = {
	/* the VM's config and settings */
	{ "vm-config", E, VH_TOPIC_VM, "the VM's config is missing, or Proxmox itself could not parse it" },
	{ "mapping-unresolved", E, VH_TOPIC_VM, "a mapping= entry has no usable map for this node, or the hardware no longer matches it" },
	{ "machine-i440fx", E, VH_TOPIC_VM, "a display device is passed to an i440fx VM (NVIDIA Code 43)" },
	{ "bios-seabios", E, VH_TOPIC_VM, "a display device is passed to a SeaBIOS VM (NVIDIA Code 43)" },
	{ "rombar-enabled", E, VH_TOPIC_VM, "a display device's ROM BAR is exposed to the guest (NVIDIA Code 43)" },
	{ "pcie-off", W, VH_TOPIC_VM, "a q35 VM's entry lacks pcie=1" },
	{ "pcie-needs-q35", E, VH_TOPIC_VM, "an entry has pcie=1 on an i440fx VM; qemu-server refuses the start" },
	{ "device-duplicate", E, VH_TOPIC_VM, "one host device is named by two hostpci entries; qemu-server refuses the start" },
	{ "legacy-igd-invalid", E, VH_TOPIC_VM, "a legacy-igd=1 entry breaks one of qemu-server's legacy IGD rules" },
	{ "efidisk-missing", W, VH_TOPIC_VM, "OVMF without an efidisk0" },
	{ "balloon-enabled", W, VH_TOPIC_VM, "memory ballooning is on while devices are passed (all memory is pinned)" },
	{ "romfile-missing", E, VH_TOPIC_VM, "romfile= names a file that is not in /usr/share/kvm/" },
	/* the host */
	{ "memory-insufficient", E, VH_TOPIC_HOST, "the VM's memory exceeds what the host can pin now" },
	{ "memory-unknown", W, VH_TOPIC_HOST, "/proc/meminfo cannot be read: memory-insufficient cannot be judged" },
	/* IOMMU */
	{ "iommu-disabled", E, VH_TOPIC_IOMMU, "the host has no active IOMMU" },
	{ "interrupt-remapping-missing", E, VH_TOPIC_IOMMU, "the IOMMU does not remap interrupts and unsafe interrupts are not allowed: vfio refuses the device" },
	{ "unsafe-interrupts", W, VH_TOPIC_IOMMU, "vfio_iommu_type1 allow_unsafe_interrupts is on: the guest can inject interrupts into the host" },
	{ "group-not-isolated", E, VH_TOPIC_IOMMU, "the device's IOMMU group holds an endpoint on a host driver that the VM does not get" },
	{ "acs-override", W, VH_TOPIC_IOMMU, "pcie_acs_override is on the kernel command line (groups split by decree)" },
	/* drivers and modules */
	{ "device-missing", E, VH_TOPIC_DRIVERS, "a device named by the config is not on the host" },
	{ "device-in-use", E, VH_TOPIC_DRIVERS, "another running VM holds or has reserved the device" },
	{ "mdev-unavailable", E, VH_TOPIC_DRIVERS, "an mdev= type does not exist on the parent device or has no free instance" },
	{ "driver-not-vfio", W, VH_TOPIC_DRIVERS, "the device is bound to another driver; the hook rebinds it to vfio-pci" },
	{ "module-not-loaded", W, VH_TOPIC_DRIVERS, "vfio, vfio_pci or vfio_iommu_type1 is not loaded; the hook loads it" },
	{ "module-unknown", W, VH_TOPIC_DRIVERS, "/etc/modules names a module this kernel does not have" },
	{ "host-driver-not-blacklisted", W, VH_TOPIC_DRIVERS, "a host driver that would claim the device at boot is neither blacklisted nor pre-empted by vfio-pci ids=" },
	{ "vfio-ids-host-device", W, VH_TOPIC_DRIVERS, "an options vfio-pci ids= entry also matches a device the host uses: vfio-pci takes it at the next boot" },
	{ "boot-vga", W, VH_TOPIC_DRIVERS, "the device is the host's boot display or a host framebuffer claims its memory" },
	/* the device's own health */
	{ "device-unresponsive", E, VH_TOPIC_DEVICE, "the device does not answer config reads or sits in D3cold" },
	{ "reset-unavailable", W, VH_TOPIC_DEVICE, "the kernel knows no reset for the device" },
	{ "amd-reset-bug", W, VH_TOPIC_DEVICE, "an AMD GPU of a family with the reset bug has no device_specific reset" },
};

#undef E
#undef W
#undef I

size_t vh_finding_kind_count(void)
{
	return VH_ARRAY_SIZE(kinds);
}

const struct vh_finding_kind *vh_finding_kind_at(size_t i)
{
	return i < VH_ARRAY_SIZE(kinds) ? &kinds[i] : NULL;
}

const struct vh_finding_kind *vh_finding_kind(const char *id)
{
	for (size_t i = 0; i < VH_ARRAY_SIZE(kinds); i++)
		if (!strcmp(kinds[i].id, id))
			return &kinds[i];
	return NULL;
}
