/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Cluster-wide PCI mappings, /etc/pve/mapping/pci.cfg:
 *
 *   rtx4060
 *           map node=pve,path=0000:01:00,id=10de:2803,iommugroup=12
 *           description ...
 *
 * A section is a mapping id alone on a line; its indented lines are
 * "key value". Each map line is a property string for one node.
 * Resolution follows qemu-server's parse_hostpci and choose_hostpci_devices
 * with pve-guest-common's assert_valid: every map of this node must match
 * the hardware (id, and subsystem-id and iommugroup wherever the device has
 * them), or the start fails; each map is one alternative whose paths are
 * passed together; the first alternative that no earlier entry of the VM
 * uses and no other VM holds wins. A map line that does not parse is
 * skipped, as Proxmox skips it.
 */
#include "internal.h"
#include "host/facts.h"
#include "host/host.h"
#include "host/iommu.h"
#include "host/system.h"
#include "pve/ownership.h"
#include "pve/mapping.h"
#include "base/propstr.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* [0-9A-Fa-f]{4}:[0-9A-Fa-f]{4}, kept as written. */
static int parse_id_pair(const struct vh_prop *p, char *out, struct vh_err *err)
{
	uint64_t x;
	if (p->val_len != 9 || p->val[4] != ':' || vh_parse_hex(p->val, 4, 0xffff, &x) < 0 ||
	    vh_parse_hex(p->val + 5, 4, 0xffff, &x) < 0)
		return vh_fail(err, "%.*s=%.*s is not vvvv:dddd", (int)p->key_len, p->key,
			       (int)p->val_len, p->val);
	memcpy(out, p->val, 9);
	out[9] = '\0';
	return 0;
}

static int parse_paths(const struct vh_prop *p, struct vh_map_entry *m, struct vh_err *err)
{
	struct vh_err e;
	if (vh_pci_addr_list_parse(p->val, p->val_len, m->paths, VH_MAX_HOSTPCI_ADDRS, &m->n_paths,
				   &e) < 0)
		return vh_failc(err, e.code, "path: %s", e.msg);
	return 0;
}

static int parse_map(char *value, struct vh_map_entry *m, struct vh_err *err)
{
	struct vh_prop props[VH_MAX_PROPS];
	size_t n;
	memset(m, 0, sizeof(*m));
	if (vh_propstr_split(value, NULL, props, VH_MAX_PROPS, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct vh_prop *p = &props[i];
		uint64_t g;
		int rc = 0;
		if (vh_prop_is(p, "node"))
			rc = vh_prop_copy(p, m->node, sizeof(m->node), err);
		else if (vh_prop_is(p, "path"))
			rc = parse_paths(p, m, err);
		else if (vh_prop_is(p, "id"))
			rc = parse_id_pair(p, m->id, err), m->has_id = true;
		else if (vh_prop_is(p, "subsystem-id"))
			rc = parse_id_pair(p, m->subsys, err), m->has_subsys = true;
		else if (vh_prop_is(p, "iommugroup")) {
			if (vh_parse_uint(p->val, p->val_len, INT32_MAX, &g) < 0)
				return vh_fail(err, "iommugroup '%.*s' is not a number",
					       (int)p->val_len, p->val);
			m->group = (int)g;
			m->has_group = true;
		}
		/* description and other keys are not needed to resolve */
		if (rc < 0)
			return -1;
	}
	if (!m->node[0] || !m->n_paths || !m->has_id)
		return vh_fail(err, "a map needs node, path and id");
	return 0;
}

/* assert_valid: every path of the map names a present device whose ids
 * are what the map says; the IOMMU group is checked on the first path. */
static int map_valid(struct vh_host *h, const struct vh_map_entry *m, struct vh_err *err)
{
	for (size_t i = 0; i < m->n_paths; i++) {
		struct vh_err e;
		const struct vh_device *d = vh_host_device(h, &m->paths[i], &e);
		char id[10], subsys[10];
		if (!d)
			return vh_failc(err, e.code, "%s", e.msg);
		if (!d->present)
			return vh_failc(err, EINVAL, "pci device '%s' not found", d->name);
		snprintf(id, sizeof(id), "%04x:%04x", d->vendor, d->device);
		snprintf(subsys, sizeof(subsys), "%04x:%04x", d->subsys_vendor, d->subsys_device);
		if (strcmp(id, m->id))
			return vh_failc(err, EINVAL, "%s is %s, the map says id=%s", d->name, id,
					m->id);
		if (!m->has_subsys)
			return vh_failc(err, EINVAL,
					"the map lacks subsystem-id for %s (%s), which "
					"Proxmox requires",
					d->name, subsys);
		if (strcmp(subsys, m->subsys))
			return vh_failc(err, EINVAL, "%s has subsystem %s, the map says %s",
					d->name, subsys, m->subsys);
		if (i > 0)
			continue;
		if (d->iommu_group >= 0 && !m->has_group)
			return vh_failc(err, EINVAL,
					"the map lacks iommugroup for %s (group %d), which "
					"Proxmox requires",
					d->name, d->iommu_group);
		if (d->iommu_group < 0 && m->has_group)
			return vh_failc(err, EINVAL,
					"the map says iommugroup=%d but %s has no IOMMU group",
					m->group, d->name);
		if (m->has_group && d->iommu_group != m->group)
			return vh_failc(err, EINVAL, "%s is in IOMMU group %d, the map says %d",
					d->name, d->iommu_group, m->group);
	}
	return 0;
}

/* Collects the map lines of section `id` for `node` from the file text
 * (cut into lines in place). */
static int find_maps(char *text, const char *id, const char *node, struct vh_map_entry *maps,
		     size_t max, size_t *count, bool *section_found, struct vh_err *err)
{
	bool in_section = false;
	int lineno = 0;
	*count = 0;
	*section_found = false;
	for (char *l = text, *next; l; l = next) {
		next = strchr(l, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		if (!*vh_strip(l) || *vh_strip(l) == '#')
			continue;
		if (!isspace((unsigned char)l[0])) {
			in_section = strcmp(vh_strip(l), id) == 0;
			*section_found |= in_section;
			continue;
		}
		char *body = vh_strip(l);
		if (!in_section || strncmp(body, "map", 3) || !isspace((unsigned char)body[3]))
			continue;
		struct vh_map_entry m;
		if (parse_map(vh_strip(body + 3), &m, NULL) < 0)
			continue; /* Proxmox warns and skips a map it cannot parse */
		if (!strcmp(m.node, node) && *count < max)
			maps[(*count)++] = m;
	}
	return 0;
}

int vh_mapping_parse(const char *text, size_t len, const char *id, const char *node,
		     struct vh_map_entry *maps, size_t max, size_t *count, bool *section_found,
		     struct vh_err *err)
{
	*count = 0;
	*section_found = false;
	char *copy = vh_text_dup(text, len);
	if (!copy)
		return vh_fail(err, "%s",
			       errno == EINVAL ? "the file contains a NUL byte" : "out of memory");
	int rc = find_maps(copy, id, node, maps, max, count, section_found, err);
	free(copy);
	return rc;
}

/* Occurrences of a word: an upper bound of the map lines. */
static size_t count_words(const char *text, const char *word)
{
	size_t n = 0;
	for (const char *p = text; (p = strstr(p, word)); p += strlen(word))
		n++;
	return n;
}

int vh_mapping_text_flag(const char *text, const char *id, const char *key)
{
	size_t kn = strlen(key);
	bool in_section = false;
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		size_t n = strcspn(l, "\n"), idn = strlen(id);
		if (!isspace((unsigned char)l[0])) {
			in_section = n >= idn && !strncmp(l, id, idn) &&
				     (n == idn || isspace((unsigned char)l[idn]));
			continue;
		}
		const char *b = l + strspn(l, " \t");
		if (in_section && !strncmp(b, key, kn) && (b[kn] == ' ' || b[kn] == '\t')) {
			const char *v = b + kn + strspn(b + kn, " \t");
			return v[0] == '1' ? 1 : 0;
		}
	}
	return -1;
}

/* assert_valid: a mapping's mdev flag must say what each of its devices
 * offers (mdev_supported_types, or NVIDIA's vGPU sysfs API). qemu-server
 * always hands assert_valid the mapping's section, so a section without the
 * flag counts as "mdev 0", and a card offering mediated devices then fails
 * the start ("'mdev' does not match"). */
static bool offers_mdev(struct vh_host *h, const char *name)
{
	char path[PATH_MAX];
	const struct vh_facts *f = vh_host_facts(h);
	if (f) { /* a node known by its inventory: the mdev types it listed */
		const struct vh_fact_device *d = vh_facts_device_named(f, name);
		return d && (d->n_mdev > 0 || d->vgpu);
	}
	return (vh_host_path(h, path, sizeof(path), "/sys/bus/pci/devices/%s/mdev_supported_types",
			     name) == 0 &&
		vh_path_exists(path)) ||
	       (vh_host_path(h, path, sizeof(path), "/sys/bus/pci/devices/%s/nvidia", name) == 0 &&
		vh_path_exists(path));
}

static int mdev_matches(struct vh_host *h, const struct vh_map_entry *m, int flag,
			struct vh_err *err)
{
	bool want = flag == 1;
	for (size_t i = 0; i < m->n_paths; i++) {
		char name[VH_PCI_ADDR_STRLEN];
		vh_pci_addr_format(&m->paths[i],
				   name); /* a whole device: its .0, as assert_valid */
		bool has = offers_mdev(h, name);
		if (has != want)
			return vh_failc(err, EINVAL,
					"'mdev' does not match: the mapping says %d%s but %s "
					"%s mediated devices",
					want, flag < 0 ? " (no mdev line)" : "", name,
					has ? "offers" : "offers no");
	}
	return 0;
}

static bool alternative_free(const struct vh_map_entry *m, vh_mapping_taken_fn taken, void *ctx)
{
	for (size_t i = 0; i < m->n_paths; i++)
		if (taken && taken(ctx, &m->paths[i]))
			return false;
	return true;
}

/* One mapping's maps for this node, as pci.cfg has them. */
struct pool {
	const char *id, *path;
	char node[64];
	struct vh_map_entry *maps;
	size_t n;
	bool section;
	int mdev; /* the section's mdev flag, -1 when unset */
};

/* Every map must be valid (assert_valid); the first free one is chosen. */
static int choose_map(struct vh_host *h, const struct pool *p, vh_mapping_taken_fn taken, void *ctx,
		      struct vh_pci_addr *addrs, size_t max, size_t *count, size_t *n_alternatives,
		      struct vh_err *err)
{
	struct vh_err e;
	if (!p->section || p->n == 0)
		return vh_failc(
			err, ENOENT,
			p->section
				? "PCI device mapping not found for '%s': it "
				  "has no map for node %s"
				: "PCI device mapping not found for '%s': %s has no such mapping",
			p->id, p->section ? p->node : p->path);
	for (size_t i = 0; i < p->n; i++)
		if (map_valid(h, &p->maps[i], &e) < 0 ||
		    mdev_matches(h, &p->maps[i], p->mdev, &e) < 0)
			return vh_failc(err, e.code,
					"mapping '%s' on node %s is invalid (hardware probably "
					"changed): %s",
					p->id, p->node, e.msg);
	*n_alternatives = p->n;
	for (size_t i = 0; i < p->n; i++) {
		if (p->n > 1 && !alternative_free(&p->maps[i], taken, ctx))
			continue;
		for (size_t j = 0; j < p->maps[i].n_paths && j < max; j++)
			addrs[(*count)++] = p->maps[i].paths[j];
		return 0;
	}
	return vh_failc(err, ENOENT,
			"could not find a free device for mapping '%s': each of its %zu "
			"maps on node %s is in use",
			p->id, p->n, p->node);
}

int vh_mapping_flag(struct vh_host *h, const char *id, const char *key)
{
	char path[PATH_MAX], *text;
	if (vh_host_path(h, path, sizeof(path), "/etc/pve/mapping/pci.cfg") < 0 ||
	    vh_slurp(path, 1u << 20, &text, NULL) < 0)
		return -1;
	int flag = vh_mapping_text_flag(text, id, key);
	free(text);
	return flag;
}

int vh_mapping_resolve(struct vh_host *h, const char *id, vh_mapping_taken_fn taken, void *ctx,
		       struct vh_pci_addr *addrs, size_t max, size_t *count, size_t *n_alternatives,
		       struct vh_err *err)
{
	char path[PATH_MAX], *text;
	size_t len;
	struct vh_err e;
	struct pool p = { .id = id, .path = path };
	*count = 0;
	*n_alternatives = 0;
	if (vh_node_name(h, p.node, sizeof(p.node), &e) < 0)
		return vh_failc(err, e.code, "%s", e.msg);
	if (vh_host_path(h, path, sizeof(path), "/etc/pve/mapping/pci.cfg") < 0 ||
	    vh_slurp(path, 1u << 20, &text, &len) < 0)
		return vh_fail(err, "cannot read %s: %s", path, strerror(errno));
	/* a pool has as many maps as it likes: room for every "map" word */
	size_t cap = count_words(text, "map") + 1;
	p.maps = calloc(cap, sizeof(*p.maps));
	p.mdev = vh_mapping_text_flag(text, id, "mdev");
	int rc = p.maps ? vh_mapping_parse(text, len, id, p.node, p.maps, cap, &p.n, &p.section, &e)
			: vh_failc(&e, ENOMEM, "out of memory");
	free(text);
	if (rc < 0)
		vh_failc(err, e.code, "%s: %s", path, e.msg);
	else
		rc = choose_map(h, &p, taken, ctx, addrs, max, count, n_alternatives, err);
	free(p.maps);
	return rc;
}
