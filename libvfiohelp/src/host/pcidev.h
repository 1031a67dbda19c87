/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reading a device's config space directly, past sysfs's cached attributes. */
#ifndef VFIOHELP_PCIDEV_H
#define VFIOHELP_PCIDEV_H

#include "internal.h"

/* The vendor id in the first two bytes of the device's config space as the
 * kernel reads it now (the "vendor" attribute is cached at enumeration and
 * stays right when the device stops answering). -1 when unreadable. */
int vh_config_vendor(struct vh_host *h, const char *addr, uint16_t *vendor);

/* SR-IOV: the VFs a PF has enabled now (its virtfnN links), at most max. */
size_t vh_pf_vfs(struct vh_host *h, const struct vh_device *pf, struct vh_pci_addr *out,
		 size_t max);
/* An address in the VF range of a PF of this host (sriov_offset,
 * sriov_stride, sriov_totalvfs): the PF, the VF's index and how many VFs
 * are enabled now. Reads the bus: only for an absent address. */
bool vh_vf_slot(struct vh_host *h, const struct vh_pci_addr *a, struct vh_pci_addr *pf,
		unsigned *index, unsigned *numvfs);

/* A classic mdev parent's type (mdev_supported_types/<type>): VH_MDEV_OK
 * with its available_instances. */
enum vh_mdev_state { VH_MDEV_OK, VH_MDEV_NO_TYPES, VH_MDEV_NO_TYPE, VH_MDEV_UNREADABLE };
enum vh_mdev_state vh_mdev_type(struct vh_host *h, const struct vh_device *d, const char *type,
				long long *available);
/* Every mdev type the device offers with its available_instances, sorted
 * by name; *out is the caller's to free (NULL, 0 for none). */
struct vh_fact_mdev;
int vh_mdev_types(struct vh_host *h, const struct vh_device *d, struct vh_fact_mdev **out,
		  size_t *n, struct vh_err *err);

/* The device's driver is a vfio variant driver (mlx5_vfio_pci...): sysfs
 * shows a vfio-dev/ directory under the device. */
bool vh_vfio_variant(struct vh_host *h, const struct vh_device *d);

/* NVIDIA's vGPU sysfs API (kernels 6.8+): a device's nvidia/ directory with
 * current_vgpu_type and the creatable_vgpu_types table ("ID : name"). */
#define VH_VGPU_MAX_TYPES 64
struct vh_vgpu {
	long long current;   /* -1 when current_vgpu_type cannot be read */
	bool creatable_read; /* creatable_vgpu_types could be read */
	size_t n_creatable;
	unsigned long creatable[VH_VGPU_MAX_TYPES];
};
/* false when the device has no nvidia/ directory. */
bool vh_nvidia_vgpu(struct vh_host *h, const char *dev, struct vh_vgpu *out);

/* Every PCI function of the host, in bus order: *out is the caller's to free. */
int vh_bus_addresses(struct vh_host *h, struct vh_pci_addr **out, size_t *n, struct vh_err *err);

#endif
