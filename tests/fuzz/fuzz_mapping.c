/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Cluster PCI mappings (mapping.c, vh_mapping_parse): the input is the text
 * of pci.cfg; the mapping asked for is the one its first line names, then
 * the seed's "rtx4060", on node "pve". */
#include "fuzz.h"
#include "pve/mapping.h"

static void ask(const char *text, size_t len, const char *id)
{
	struct vh_map_entry maps[4];
	size_t n = 99;
	bool section = false;
	struct vh_err err = { .msg = "" };
	if (vh_mapping_parse(text, len, id, "pve", maps, 4, &n, &section, &err) < 0) {
		FUZZ_TERMINATED(err.msg);
		FUZZ_CHECK(err.msg[0] != '\0');
		return;
	}
	FUZZ_CHECK(n <= 4);
	FUZZ_CHECK(section || n == 0);
	for (size_t i = 0; i < n; i++) {
		FUZZ_CHECK(!strcmp(maps[i].node, "pve"));
		FUZZ_CHECK(maps[i].n_paths >= 1 && maps[i].n_paths <= VH_MAX_HOSTPCI_ADDRS);
		FUZZ_CHECK(maps[i].has_id);
		for (size_t j = 0; j < maps[i].n_paths; j++)
			FUZZ_CHECK(maps[i].paths[j].func <= 0xf);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const char *nl = memchr(text, '\n', size);
	size_t first = nl ? (size_t)(nl - text) : size;
	char id[128];
	if (first < sizeof(id) && !memchr(text, '\0', first)) {
		memcpy(id, text, first);
		id[first] = '\0';
		ask(text, size, id);
	}
	ask(text, size, "rtx4060");
	return 0;
}
