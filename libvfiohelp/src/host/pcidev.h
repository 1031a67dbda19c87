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

#endif
