/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Another node's inventory read back (inventory.c writes it): the JSON
 * into the facts the host model answers from (host/facts.h). What a field
 * does not say is what a host read from its files says when the attribute
 * is missing; a finding id this version does not know is left out.
 */
#include "internal.h"
#include "cluster/inventory.h"
#include "host/facts.h"
#include "host/system.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

static int name_index(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] && s && !strcmp(names[i], s))
			return (int)i;
	return -1;
}

/* ---- reading another node's inventory back ---- */

static const char *get_str(json_object *o, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : "";
}

static bool get_bool(json_object *o, const char *key, bool dflt)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_boolean)
		       ? json_object_get_boolean(v)
		       : dflt;
}

static long long get_int(json_object *o, const char *key, long long dflt)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_int)
		       ? json_object_get_int64(v)
		       : dflt;
}

static bool get_pair(json_object *o, const char *key, uint16_t *a, uint16_t *b)
{
	const char *s = get_str(o, key);
	uint64_t x, y;
	if (strlen(s) != 9 || s[4] != ':' || vh_parse_hex(s, 4, 0xffff, &x) < 0 ||
	    vh_parse_hex(s + 5, 4, 0xffff, &y) < 0)
		return false;
	*a = (uint16_t)x;
	*b = (uint16_t)y;
	return true;
}

static bool get_addr(json_object *o, const char *key, struct vh_pci_addr *a)
{
	const char *s = get_str(o, key);
	return vh_pci_addr_parse(s, strlen(s), a) == 0 && a->has_func;
}

static int parse_mdev(json_object *o, struct vh_fact_device *fd)
{
	json_object *a;
	if (!json_object_object_get_ex(o, "mdev_types", &a) ||
	    !json_object_is_type(a, json_type_array))
		return 0;
	size_t n = json_object_array_length(a);
	if (!n || !(fd->mdev = calloc(n, sizeof(*fd->mdev))))
		return n ? -1 : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *m = json_object_array_get_idx(a, i);
		vh_strlcpy(fd->mdev[fd->n_mdev].type, get_str(m, "type"), sizeof(fd->mdev->type));
		fd->mdev[fd->n_mdev++].available = get_int(m, "available", 0);
	}
	return 0;
}

static int parse_vgpu(json_object *o, struct vh_fact_device *fd)
{
	json_object *v, *c;
	if (!json_object_object_get_ex(o, "nvidia_vgpu", &v))
		return 0;
	if (!(fd->vgpu = calloc(1, sizeof(*fd->vgpu))))
		return -1;
	fd->vgpu->current = get_int(v, "current", -1);
	if (!json_object_object_get_ex(v, "creatable", &c) ||
	    !json_object_is_type(c, json_type_array))
		return 0;
	fd->vgpu->creatable_read = true;
	size_t n = json_object_array_length(c);
	for (size_t i = 0; i < n && fd->vgpu->n_creatable < VH_VGPU_MAX_TYPES; i++)
		fd->vgpu->creatable[fd->vgpu->n_creatable++] = (unsigned long)json_object_get_int64(
			json_object_array_get_idx(c, i));
	return 0;
}

static void parse_sriov(json_object *o, struct vh_device *d)
{
	json_object *s;
	d->is_vf = get_addr(o, "physfn", &d->physfn);
	if (!json_object_object_get_ex(o, "sriov", &s))
		return;
	d->is_pf = true;
	d->sriov_totalvfs = (unsigned)get_int(s, "totalvfs", 0);
	d->sriov_numvfs = (unsigned)get_int(s, "numvfs", 0);
	d->sriov_offset = (unsigned)get_int(s, "offset", 0);
	d->sriov_stride = (unsigned)get_int(s, "stride", 0);
}

static int parse_device(json_object *o, struct vh_fact_device *fd, struct vh_err *err,
			const char *origin)
{
	struct vh_device *d = &fd->dev;
	uint64_t cls;
	const char *c = get_str(o, "class");
	if (!get_addr(o, "address", &d->addr) ||
	    !get_pair(o, "vendor_device", &d->vendor, &d->device) ||
	    vh_parse_hex(c, strlen(c), 0xffffff, &cls) < 0)
		return vh_failc(err, EINVAL,
				"%s: a function without address, vendor_device or class", origin);
	vh_pci_addr_format(&d->addr, d->name);
	d->present = true;
	d->class_code = (uint32_t)cls;
	get_pair(o, "subsystem", &d->subsys_vendor, &d->subsys_device);
	d->iommu_group = (int)get_int(o, "iommu_group", -1);
	vh_strlcpy(d->driver, get_str(o, "driver"), sizeof(d->driver));
	vh_strlcpy(d->reset_method, get_str(o, "reset_methods"), sizeof(d->reset_method));
	d->has_reset = get_bool(o, "reset", false);
	d->boot_vga = get_bool(o, "boot_vga", false);
	d->is_bridge = get_bool(o, "bridge", false);
	d->is_pcie = get_bool(o, "pcie", false);
	d->pcie_port_type = (int)get_int(o, "port_type", -1);
	d->has_flr = get_bool(o, "flr", false);
	d->has_acs = get_bool(o, "acs", false);
	d->acs_enabled = get_bool(o, "acs_enabled", false);
	vh_strlcpy(d->power_state, get_str(o, "power_state"), sizeof(d->power_state));
	d->has_parent = get_addr(o, "parent", &d->parent);
	parse_sriov(o, d);
	fd->answers = get_bool(o, "answers", true);
	vh_strlcpy(fd->framebuffer, get_str(o, "framebuffer"), sizeof(fd->framebuffer));
	fd->held_by = (unsigned)get_int(o, "held_by", 0);
	fd->vfio_variant = get_bool(o, "vfio_variant", false);
	if (parse_mdev(o, fd) < 0 || parse_vgpu(o, fd) < 0)
		return vh_fail(err, "out of memory");
	return 0;
}

static int device_order(const void *a, const void *b)
{
	return vh_pci_addr_compare(&((const struct vh_fact_device *)a)->dev.addr,
				   &((const struct vh_fact_device *)b)->dev.addr);
}

static int parse_devices(json_object *root, struct vh_facts *f, const char *origin,
			 struct vh_err *err)
{
	json_object *a;
	if (!json_object_object_get_ex(root, "functions", &a) ||
	    !json_object_is_type(a, json_type_array))
		return vh_failc(err, EINVAL, "%s has no \"functions\" array", origin);
	size_t n = json_object_array_length(a);
	if (n && !(f->devices = calloc(n, sizeof(*f->devices))))
		return vh_fail(err, "out of memory");
	f->cap_devices = n;
	for (size_t i = 0; i < n; i++) {
		if (parse_device(json_object_array_get_idx(a, i), &f->devices[f->n_devices], err,
				 origin) < 0)
			return -1;
		f->n_devices++;
	}
	/* the device lookup searches by address */
	if (f->n_devices)
		qsort(f->devices, f->n_devices, sizeof(*f->devices), device_order);
	return 0;
}

static int parse_setup(json_object *root, struct vh_facts *f, struct vh_err *err)
{
	json_object *a;
	if (!json_object_object_get_ex(root, "setup", &a) ||
	    !json_object_is_type(a, json_type_array))
		return 0;
	size_t n = json_object_array_length(a);
	if (n && !(f->setup = calloc(n, sizeof(*f->setup))))
		return vh_fail(err, "out of memory");
	f->cap_setup = n;
	const struct vh_finding_kind *first = vh_finding_kind_at(0);
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(a, i);
		const struct vh_finding_kind *k = vh_finding_kind(get_str(o, "id"));
		if (!k) /* a newer node's finding this version does not know */
			continue;
		struct vh_fact_finding *s = &f->setup[f->n_setup++];
		s->kind = (enum vh_finding_id)(k - first);
		vh_strlcpy(s->subject, get_str(o, "subject"), sizeof(s->subject));
		vh_strlcpy(s->message, get_str(o, "message"), sizeof(s->message));
		vh_strlcpy(s->fix, get_str(o, "fix"), sizeof(s->fix));
	}
	return 0;
}

static void parse_node(json_object *root, struct vh_facts *f)
{
	json_object *io, *mods, *ir, *mem = NULL;
	vh_strlcpy(f->node, get_str(root, "node"), sizeof(f->node));
	vh_strlcpy(f->kernel, get_str(root, "kernel"), sizeof(f->kernel));
	vh_strlcpy(f->boot_id, get_str(root, "boot_id"), sizeof(f->boot_id));
	f->made_at = get_int(root, "made_at", 0);
	f->cmdline = strdup(get_str(root, "cmdline"));
	int cpu = name_index(vh_inv_cpu_names, VH_INV_CPU_NAMES, get_str(root, "cpu"));
	f->cpu = cpu < 0 ? VH_CPU_UNKNOWN : (enum vh_cpu_vendor)cpu;
	if (json_object_object_get_ex(root, "memory", &mem)) {
		long long total = get_int(mem, "total_mib", 0),
			  avail = get_int(mem, "available_mib", 0);
		f->mem_total_mib = total > 0 ? (uint64_t)total : 0;
		f->mem_available_mib = avail > 0 ? (uint64_t)avail : 0;
	}
	for (size_t i = 0; i < 2; i++) {
		char key[24];
		json_object *hp;
		snprintf(key, sizeof(key), "hugepages_%umib", vh_inv_hugepage_mib[i]);
		bool has = mem && json_object_object_get_ex(mem, key, &hp);
		f->hugepages[i].nr = has ? get_int(hp, "nr", -1) : -1;
		f->hugepages[i].free = has ? get_int(hp, "free", 0) : 0;
	}
	f->intremap = -1;
	if (json_object_object_get_ex(root, "iommu", &io)) {
		f->iommu_on = get_bool(io, "on", false);
		vh_strlcpy(f->iommu_unit, get_str(io, "unit"), sizeof(f->iommu_unit));
		if (json_object_object_get_ex(io, "interrupt_remapping", &ir) && ir)
			f->intremap = json_object_get_boolean(ir);
		f->unsafe_interrupts = get_bool(io, "unsafe_interrupts", false);
		int src = name_index(vh_inv_unsafe_sources, VH_INV_UNSAFE_SOURCES,
				     get_str(io, "unsafe_source"));
		f->unsafe_source = src < 0 ? VH_UNSAFE_DEFAULT : (enum vh_unsafe_source)src;
	}
	bool have_mods = json_object_object_get_ex(root, "vfio_modules", &mods);
	for (size_t i = 0; i < VH_VFIO_MODULE_COUNT; i++) {
		int st = have_mods ? name_index(vh_inv_module_states, VH_INV_MODULE_STATES,
						get_str(mods, vh_vfio_modules[i]))
				   : -1;
		f->vfio[i] = st < 0 ? VH_MOD_MISSING : (enum vh_module_state)st;
	}
}

struct vh_facts *vh_facts_parse(const char *text, size_t len, const char *origin,
				struct vh_err *err)
{
	json_tokener *tok = json_tokener_new();
	json_object *root = tok ? json_tokener_parse_ex(tok, text, (int)len) : NULL;
	if (tok)
		json_tokener_free(tok);
	if (!root || !json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		vh_failc(err, EINVAL, "%s is not a JSON object", origin);
		return NULL;
	}
	struct vh_facts *f = calloc(1, sizeof(*f));
	if (!f) {
		json_object_put(root);
		vh_fail(err, "out of memory");
		return NULL;
	}
	parse_node(root, f);
	if (get_int(root, "format", 0) != VH_INVENTORY_FORMAT || !f->node[0] ||
	    parse_devices(root, f, origin, err) < 0 || parse_setup(root, f, err) < 0) {
		if (get_int(root, "format", 0) != VH_INVENTORY_FORMAT || !f->node[0])
			vh_failc(err, EINVAL, "%s: not an inventory of format %d with a node name",
				 origin, VH_INVENTORY_FORMAT);
		vh_facts_free(f);
		f = NULL;
	}
	json_object_put(root);
	return f;
}

struct vh_inventory *vh_inventory_published(struct vh_host *h, struct vh_err *err)
{
	char node[64], path[PATH_MAX], *text;
	size_t len;
	if (vh_node_name(h, node, sizeof(node), err) < 0 ||
	    vh_host_path(h, path, sizeof(path), "/etc/pve/nodes/%s/%s", node, VH_INVENTORY_FILE) <
		    0 ||
	    vh_slurp(path, VH_INVENTORY_MAX, &text, &len) < 0)
		return NULL;
	struct vh_inventory *inv = calloc(1, sizeof(*inv));
	if (inv)
		inv->facts = vh_facts_parse(text, len, path, err);
	free(text);
	if (!inv || !inv->facts || strcmp(inv->facts->node, node)) {
		vh_inventory_free(inv);
		return NULL;
	}
	inv->facts->made_at = (long long)time(NULL);
	return inv;
}
