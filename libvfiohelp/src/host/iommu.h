/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The IOMMU: active or not, group members, interrupt remapping. */
#ifndef VFIOHELP_IOMMU_H
#define VFIOHELP_IOMMU_H

#include "internal.h"

/* The IOMMU is active: /sys/class/iommu has an entry and iommu_groups is
 * populated. `unit` gets the first unit's name (dmar0, ivhd0). */
int vh_iommu_active(struct vh_host *h, bool *active, char *unit, size_t size, struct vh_err *err);
/* Members of IOMMU group g, from /sys/kernel/iommu_groups/<g>/devices, as
 * many as it has: *out is the caller's to free. */
int vh_group_members(struct vh_host *h, int group, struct vh_pci_addr **out, size_t *count,
		     struct vh_err *err);
/* The functions of bus:dev present on the host (probes .0 to .7). */
size_t vh_device_functions(struct vh_host *h, const struct vh_pci_addr *slot,
			   struct vh_pci_addr *out, size_t max);

/* ---- interrupts (vfio's precondition for a device's MSI/INTx) ---- */

/* Interrupt remapping is on: /proc/interrupts lists an interrupt chip whose
 * name starts "IR-" (IR-IO-APIC, IR-PCI-MSI...). -1 when the file cannot be
 * read: then nothing can be said. */
int vh_interrupts_remapped(struct vh_host *h, bool *remapped, struct vh_err *err);
/* The text-level parser: text[0..len) of /proc/interrupts names a remapped chip. */
bool vh_interrupts_parse(const char *text, size_t len);

/* Where vfio_iommu_type1's allow_unsafe_interrupts comes from. */
enum vh_unsafe_source {
	VH_UNSAFE_DEFAULT,  /* module not loaded, no modprobe.d option: off */
	VH_UNSAFE_PARAM,    /* /sys/module/vfio_iommu_type1/parameters/... */
	VH_UNSAFE_MODPROBE, /* options vfio_iommu_type1 allow_unsafe_interrupts=... */
};
/* Whether vfio allows devices without interrupt remapping: the loaded
 * module's parameter, else what modprobe.d gives it at load. */
bool vh_unsafe_interrupts(struct vh_host *h, enum vh_unsafe_source *source);

#endif
