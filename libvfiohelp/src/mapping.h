/* Cluster PCI mappings (/etc/pve/mapping/pci.cfg). */
#ifndef VFIOHELP_MAPPING_H
#define VFIOHELP_MAPPING_H

#include "internal.h"

/* Whether an address is already used (by an earlier entry of the VM) or
 * held by another VM: such an alternative is passed over. */
typedef bool (*vh_mapping_taken_fn)(void *ctx, const struct vh_pci_addr *a);

/* Resolves mapping `id` for this node to the addresses to pass (as written
 * in the chosen map: with or without a function); n_alternatives gets the
 * number of this node's maps. On failure returns -1 and `why` says which
 * file, map or device disagrees. */
int vh_mapping_resolve(struct vh_host *h, const char *id, vh_mapping_taken_fn taken, void *ctx,
		       struct vh_pci_addr *addrs, size_t max, size_t *count, size_t *n_alternatives,
		       char *why, size_t size);

#endif
