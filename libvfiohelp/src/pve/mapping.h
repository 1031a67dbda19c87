/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Cluster PCI mappings (/etc/pve/mapping/pci.cfg). */
#ifndef VFIOHELP_MAPPING_H
#define VFIOHELP_MAPPING_H

#include "internal.h"

/* One "map" line of a mapping: the device on one node. */
struct vh_map_entry {
	char node[64];
	size_t n_paths;
	struct vh_pci_addr paths[VH_MAX_HOSTPCI_ADDRS];
	bool has_id, has_subsys, has_group;
	char id[10], subsys[10]; /* as written, compared as Proxmox compares: as text */
	int group;
};

/* The text-level entry point: the maps of mapping `id` for `node` in the
 * text of pci.cfg, exactly text[0..len); at most max of them. A map line
 * that does not parse is skipped, as Proxmox skips it. section_found: the
 * file has the mapping at all. -1 only for a NUL byte in the text or when
 * memory runs out. */
int vh_mapping_parse(const char *text, size_t len, const char *id, const char *node,
		     struct vh_map_entry *maps, size_t max, size_t *count, bool *section_found,
		     struct vh_err *err);

/* A section's "KEY 0|1" property ("mdev", "live-migration-capable") in
 * pci.cfg's text: 1, 0, or -1 when the section has no such line. */
int vh_mapping_text_flag(const char *text, const char *id, const char *key);
/* The same read from the host's /etc/pve/mapping/pci.cfg (-1 also when
 * the file cannot be read). */
int vh_mapping_flag(struct vh_host *h, const char *id, const char *key);

/* Whether an address is already used (by an earlier entry of the VM) or
 * held by another VM: such an alternative is passed over. */
typedef bool (*vh_mapping_taken_fn)(void *ctx, const struct vh_pci_addr *a);

/* Resolves mapping `id` for this node to the addresses to pass (as written
 * in the chosen map: with or without a function); n_alternatives gets the
 * number of this node's maps. On failure returns -1 and err says which
 * file, map or device disagrees. */
int vh_mapping_resolve(struct vh_host *h, const char *id, vh_mapping_taken_fn taken, void *ctx,
		       struct vh_pci_addr *addrs, size_t max, size_t *count, size_t *n_alternatives,
		       struct vh_err *err);

#endif
