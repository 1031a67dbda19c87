/* Cluster PCI mappings (/etc/pve/mapping/pci.cfg). */
#ifndef VFIOHELP_MAPPING_H
#define VFIOHELP_MAPPING_H

#include "internal.h"

/* Resolves mapping `id` for this node to the path to pass (as written in the
 * map: with or without a function). On failure returns -1 and `why` says
 * which file, map or device disagrees. */
int vh_mapping_resolve(struct vh_host *h, const char *id, struct vh_pci_addr *addrs, size_t max,
		       size_t *count, char *why, size_t size);

#endif
