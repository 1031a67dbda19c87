/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What one node reads of the others (cluster/): another node's published
 * inventory (vh_facts_parse), /etc/pve/.members (vh_members_parse) and HA's
 * resources, groups and rules (vh_ha_parse). The first byte picks the
 * parser. An inventory that parses is then judged: VM 100 and 102 of the
 * seed tree evaluated from those facts (the facts back end of the host
 * model answers every question the checks ask, whatever the facts say).
 * For HA the rest is three texts separated by 0x1e.
 */
#include "fuzz.h"
#include "internal.h"
#include "cluster/cluster.h"
#include "cluster/inventory.h"
#include "host/facts.h"

static void inventory(const char *text, size_t len)
{
	struct vh_err err = { .msg = "" };
	struct vh_facts *f = vh_facts_parse(text, len, "inventory", &err);
	if (!f) {
		FUZZ_CHECK(err.msg[0] != '\0');
		return;
	}
	FUZZ_CHECK(f->node[0] != '\0');
	for (size_t i = 1; i < f->n_devices; i++) /* sorted: the lookup bisects */
		FUZZ_CHECK(vh_pci_addr_compare(&f->devices[i - 1].dev.addr,
					       &f->devices[i].dev.addr) <= 0);
	struct vh_host *h = vh_host_new(VH_FUZZ_HOSTS "/seed", &err);
	FUZZ_CHECK(h != NULL);
	vh_host_use_facts(h, f);
	unsigned vmids[] = { 100, 102 };
	for (size_t i = 0; i < 2; i++) {
		struct vh_report *r = vh_evaluate(h, vmids[i], NULL, &err);
		FUZZ_CHECK(r != NULL);
		for (size_t k = 0; k < r->n_findings; k++)
			FUZZ_CHECK(memchr(r->findings[k].message, '\0',
					  sizeof(r->findings[k].message)) != NULL);
		vh_report_free(r);
	}
	vh_host_free(h);
}

static void members(const char *text, size_t len)
{
	struct vh_cluster c;
	struct vh_err err = { .msg = "" };
	memset(&c, 0, sizeof(c));
	if (vh_members_parse(text, len, &c, &err) == 0) {
		FUZZ_CHECK(memchr(c.local, '\0', sizeof(c.local)) != NULL);
		for (size_t i = 0; i < c.n; i++) {
			FUZZ_CHECK(c.nodes[i].name[0] != '\0');
			FUZZ_CHECK(c.nodes[i].online >= -1 && c.nodes[i].online <= 1);
			FUZZ_CHECK(c.quorate || c.nodes[i].online == -1);
		}
	}
	vh_cluster_free(&c);
}

static void ha(const char *text, size_t len)
{
	/* NUL-terminated copies of the three parts */
	char *copy = malloc(len + 1), *part[3] = { NULL, NULL, NULL };
	FUZZ_CHECK(copy != NULL);
	memcpy(copy, text, len);
	copy[len] = '\0';
	if (strlen(copy) != len) { /* the section configs are text */
		free(copy);
		return;
	}
	part[0] = copy;
	for (int i = 1; i < 3 && part[i - 1]; i++) {
		char *sep = strchr(part[i - 1], 0x1e);
		if (sep)
			*sep = '\0', part[i] = sep + 1;
	}
	struct vh_cluster_node nodes[3] = { { "pve", 1 }, { "pve2", 1 }, { "pve3", -1 } };
	struct vh_cluster c = { .local = "pve", .quorate = true, .nodes = nodes, .n = 3, .cap = 3 };
	struct vh_ha out;
	struct vh_err err = { .msg = "" };
	if (vh_ha_parse(part[0], part[1], part[2], &c, 100, &out, &err) == 0) {
		FUZZ_CHECK(memchr(out.why, '\0', sizeof(out.why)) != NULL);
		for (size_t i = 0; i < out.n_nodes; i++)
			FUZZ_CHECK(memchr(out.nodes[i], '\0', VH_NODE_MAX) != NULL);
		vh_ha_allows(&out, "pve2");
		vh_ha_free(&out);
	}
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *text = (const char *)data + 1;
	switch (data[0] % 3) {
	case 0:
		inventory(text, size - 1);
		break;
	case 1:
		members(text, size - 1);
		break;
	default:
		ha(text, size - 1);
	}
	return 0;
}
