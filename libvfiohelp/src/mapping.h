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
	uint16_t vendor, device, sub_vendor, sub_device;
	int group;
};

/* The text-level entry point: the maps of mapping `id` for `node` in the
 * text of pci.cfg, exactly text[0..len) (a NUL byte is an error); at most
 * max of them. section_found: the file has the mapping at all. A map line
 * of the section that breaks its grammar fails with its line number. */
int vh_mapping_parse(const char *text, size_t len, const char *id, const char *node,
		     struct vh_map_entry *maps, size_t max, size_t *count, bool *section_found,
		     struct vh_err *err);

/* Resolves mapping `id` for this node to the path to pass (as written in the
 * map: with or without a function). On failure returns -1 and `why` says
 * which file, map or device disagrees. */
int vh_mapping_resolve(struct vh_host *h, const char *id, struct vh_pci_addr *addrs, size_t max,
		       size_t *count, char *why, size_t size);

#endif
