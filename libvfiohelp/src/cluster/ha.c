/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where HA may start or recover a VM, as pve-ha-manager decides it:
 *
 *   - ha/resources.cfg: "vm: 100" sections; state "ignored" is not managed;
 *     PVE 8 names the resource's "group".
 *   - PVE 8 ha/groups.cfg: "group: NAME" with "nodes n1[:prio],n2" and
 *     "restricted 1": a restricted group keeps the VM on its nodes, an
 *     unrestricted one lets it run on any node when they are down.
 *   - PVE 9 ha/rules.cfg: "node-affinity: NAME" with "resources vm:100,...",
 *     "nodes", "strict 0|1" (non-strict, the default, falls back to any
 *     node), "affinity negative" (the nodes to avoid), "disable 1" (off).
 *     PVE::HA::Rules::NodeAffinity's plugin_compile adds every other node
 *     to a non-strict rule, so only a strict rule restricts.
 * A VM with no group and no rule may run on any node.
 */
#include "internal.h"
#include "cluster/cluster.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define HA_CFG_MAX (1u << 20)

/* The header line "TYPE: ID" of a section config's section, or NULL. */
static const char *section_find(const char *text, const char *type, const char *id)
{
	size_t tn = strlen(type), idlen = strlen(id);
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, type, tn) || l[tn] != ':')
			continue;
		const char *p = l + tn + 1 + strspn(l + tn + 1, " \t");
		if (strcspn(p, " \t\n") == idlen && !strncmp(p, id, idlen))
			return l;
	}
	return NULL;
}

/* One property ("KEY VALUE", indented) of one section; the value is copied
 * (stripped) into buf. */
static bool section_value(const char *text, const char *type, const char *id, const char *key,
			  char *buf, size_t size)
{
	const char *l = text ? section_find(text, type, id) : NULL;
	size_t kn = strlen(key);
	/* the property lines follow the header up to a line not indented */
	for (l = l ? strchr(l, '\n') : NULL; l && (l[1] == ' ' || l[1] == '\t');
	     l = strchr(l + 1, '\n')) {
		const char *b = l + 1 + strspn(l + 1, " \t");
		if (strncmp(b, key, kn) || (b[kn] != ' ' && b[kn] != '\t'))
			continue;
		const char *v = b + kn + strspn(b + kn, " \t");
		size_t vn = strcspn(v, "\n");
		if (vn >= size)
			vn = size - 1;
		memcpy(buf, v, vn);
		buf[vn] = '\0';
		vh_strip(buf);
		return true;
	}
	return false;
}

static bool list_has(const char *list, const char *word)
{
	size_t wn = strlen(word);
	for (const char *p = list; *p;) {
		p += strspn(p, ", \t;");
		size_t n = strcspn(p, ", \t;");
		if (n == wn && !strncmp(p, word, n))
			return true;
		p += n;
	}
	return false;
}

/* "n1:2,n2" -> the names, priorities dropped. */
static int parse_nodes(const char *list, struct vh_ha *out)
{
	size_t cap = 1 + strlen(list) / 2;
	out->nodes = calloc(cap, sizeof(*out->nodes));
	if (!out->nodes)
		return -1;
	for (const char *p = list; *p && out->n_nodes < cap;) {
		p += strspn(p, ", \t;");
		size_t n = strcspn(p, ", \t;"), name = strcspn(p, ":, \t;");
		if (name && name < VH_NODE_MAX) {
			memcpy(out->nodes[out->n_nodes], p, name);
			out->nodes[out->n_nodes++][name] = '\0';
		}
		p += n;
	}
	return 0;
}

/* A negative rule's nodes are the ones to avoid: HA keeps the others. */
static int invert_nodes(const struct vh_cluster *c, struct vh_ha *out)
{
	char(*keep)[VH_NODE_MAX] = calloc(c->n ? c->n : 1, sizeof(*keep));
	size_t n = 0;
	if (!keep)
		return -1;
	for (size_t i = 0; i < c->n; i++) {
		bool avoided = false;
		for (size_t j = 0; j < out->n_nodes; j++)
			avoided |= !strcmp(out->nodes[j], c->nodes[i].name);
		if (!avoided)
			vh_strlcpy(keep[n++], c->nodes[i].name, VH_NODE_MAX);
	}
	free(out->nodes);
	out->nodes = keep;
	out->n_nodes = n;
	return 0;
}

/* The enabled node-affinity rule whose resources name sid. */
static bool find_rule(const char *rules, const char *sid, char *name, size_t size)
{
	for (const char *l = rules; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		char id[128], res[4096], off[8];
		if (strncmp(l, "node-affinity:", 14))
			continue;
		const char *p = l + 14 + strspn(l + 14, " \t");
		size_t n = strcspn(p, " \t\n");
		if (!n || n >= sizeof(id))
			continue;
		memcpy(id, p, n);
		id[n] = '\0';
		if (!section_value(rules, "node-affinity", id, "resources", res, sizeof(res)) ||
		    !list_has(res, sid))
			continue;
		if (section_value(rules, "node-affinity", id, "disable", off, sizeof(off)) &&
		    !strcmp(off, "1"))
			continue;
		vh_strlcpy(name, id, size);
		return true;
	}
	return false;
}

static int from_rule(const char *rules, const char *rule, const struct vh_cluster *c,
		     struct vh_ha *out)
{
	char nodes[4096] = "", v[16];
	bool strict = section_value(rules, "node-affinity", rule, "strict", v, sizeof(v)) &&
		      !strcmp(v, "1");
	bool negative = section_value(rules, "node-affinity", rule, "affinity", v, sizeof(v)) &&
			!strcmp(v, "negative");
	section_value(rules, "node-affinity", rule, "nodes", nodes, sizeof(nodes));
	if (parse_nodes(nodes, out) < 0 || (negative && invert_nodes(c, out) < 0))
		return -1;
	out->any_node = !strict;
	snprintf(out->why, sizeof(out->why), "%s node-affinity rule %s (ha/rules.cfg)%s",
		 strict ? "strict" : "non-strict", rule,
		 strict ? "" : ": HA prefers its nodes, else takes any node");
	return 0;
}

static int from_group(const char *groups, const char *group, struct vh_ha *out)
{
	char nodes[4096] = "", v[16];
	bool found = groups && section_value(groups, "group", group, "nodes", nodes, sizeof(nodes));
	bool restricted = found &&
			  section_value(groups, "group", group, "restricted", v, sizeof(v)) &&
			  !strcmp(v, "1");
	if (parse_nodes(nodes, out) < 0)
		return -1;
	out->any_node = !restricted;
	snprintf(out->why, sizeof(out->why), "%s group %s (ha/groups.cfg)%s",
		 !found       ? "missing"
		 : restricted ? "restricted"
			      : "unrestricted",
		 group,
		 restricted ? "" : ": HA may run it on any node when the group's nodes are down");
	return 0;
}

int vh_ha_parse(const char *resources, const char *groups, const char *rules,
		const struct vh_cluster *c, unsigned vmid, struct vh_ha *out, struct vh_err *err)
{
	char id[16], sid[24], group[128], rule[128];
	memset(out, 0, sizeof(*out));
	snprintf(id, sizeof(id), "%u", vmid);
	snprintf(sid, sizeof(sid), "vm:%u", vmid);
	out->any_node = true;
	vh_strlcpy(out->why, "not managed by HA", sizeof(out->why));
	if (!resources || !section_find(resources, "vm", id))
		return 0;
	/* a section without a state line is "started", pve-ha-manager's default */
	if (!section_value(resources, "vm", id, "state", out->state, sizeof(out->state)))
		vh_strlcpy(out->state, "started", sizeof(out->state));
	out->managed = strcmp(out->state, "ignored") != 0;
	if (!out->managed)
		return 0;
	int rc = 0;
	if (rules && find_rule(rules, sid, rule, sizeof(rule)))
		rc = from_rule(rules, rule, c, out);
	else if (section_value(resources, "vm", id, "group", group, sizeof(group)))
		rc = from_group(groups, group, out);
	else
		vh_strlcpy(out->why, "no group and no node-affinity rule: any node",
			   sizeof(out->why));
	return rc < 0 ? vh_failc(err, ENOMEM, "out of memory") : 0;
}

static char *read_cfg(struct vh_host *h, const char *abs)
{
	char path[PATH_MAX], *text = NULL;
	if (vh_host_path(h, path, sizeof(path), "%s", abs) < 0 ||
	    vh_slurp(path, HA_CFG_MAX, &text, NULL) < 0)
		return NULL;
	return text;
}

int vh_ha_load(struct vh_host *h, const struct vh_cluster *c, unsigned vmid, struct vh_ha *out,
	       struct vh_err *err)
{
	char *res = read_cfg(h, "/etc/pve/ha/resources.cfg");
	char *groups = read_cfg(h, "/etc/pve/ha/groups.cfg");
	char *rules = read_cfg(h, "/etc/pve/ha/rules.cfg");
	int rc = vh_ha_parse(res, groups, rules, c, vmid, out, err);
	free(res);
	free(groups);
	free(rules);
	return rc;
}

void vh_ha_free(struct vh_ha *ha)
{
	free(ha->nodes);
	ha->nodes = NULL;
	ha->n_nodes = 0;
}

bool vh_ha_allows(const struct vh_ha *ha, const char *node)
{
	if (!ha->managed || ha->any_node)
		return true;
	for (size_t i = 0; i < ha->n_nodes; i++)
		if (!strcmp(ha->nodes[i], node))
			return true;
	return false;
}
