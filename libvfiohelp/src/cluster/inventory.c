/*
 * A node's passthrough inventory: the facts the checks read of its host
 * (host/facts.h), taken once from the live host, as JSON. Another node reads
 * it back into the same facts and judges a VM with the same checks. Fields
 * that are false, empty or zero are left out: a host of 4000 functions must
 * stay under pmxcfs's 1 MiB.
 */
#include "internal.h"
#include "base/array.h"
#include "cluster/inventory.h"
#include "eval/checks.h"
#include "host/facts.h"
#include "host/host.h"
#include "host/iommu.h"
#include "host/pcidev.h"
#include "pve/ownership.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#define FORMAT_VERSION 1

static const char *const module_states[] = {
	[VH_MOD_MISSING] = "missing",
	[VH_MOD_AVAILABLE] = "available",
	[VH_MOD_LOADED] = "loaded",
	[VH_MOD_BUILTIN] = "builtin",
};
static const char *const cpu_names[] = {
	[VH_CPU_UNKNOWN] = "unknown", [VH_CPU_INTEL] = "intel", [VH_CPU_AMD] = "amd"
};
static const char *const unsafe_sources[] = {
	[VH_UNSAFE_DEFAULT] = "default", [VH_UNSAFE_PARAM] = "parameter", [VH_UNSAFE_MODPROBE] = "modprobe.d"
};

static const unsigned hugepage_mib[2] = { 2, 1024 };

static int name_index(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] && s && !strcmp(names[i], s))
			return (int)i;
	return -1;
}

/* ---- taking the facts from the live host ---- */

static void take_device_extras(struct vh_host *h, struct vh_fact_device *fd)
{
	uint16_t vendor;
	struct vh_holder who;
	struct vh_err e;
	const struct vh_device *d = &fd->dev;
	fd->answers = vh_config_vendor(h, d->name, &vendor) == 0 && vendor == d->vendor;
	/* /proc/iomem is read for display devices only: only they carry one */
	if ((d->class_code >> 16) == 0x03)
		vh_framebuffer_on_device(h, d->name, fd->framebuffer, sizeof(fd->framebuffer));
	if (vh_device_owner(h, &d->addr, 0, -1, &who))
		fd->held_by = who.vmid;
	vh_mdev_types(h, d, &fd->mdev, &fd->n_mdev, &e);
	struct vh_vgpu v;
	if (vh_nvidia_vgpu(h, d->name, &v) && (fd->vgpu = malloc(sizeof(*fd->vgpu))))
		*fd->vgpu = v;
}

static int take_devices(struct vh_host *h, struct vh_facts *f, struct vh_err *err)
{
	struct vh_pci_addr *bus;
	size_t n;
	if (vh_bus_addresses(h, &bus, &n, err) < 0)
		return -1;
	f->devices = calloc(n ? n : 1, sizeof(*f->devices));
	if (!f->devices) {
		free(bus);
		return vh_fail(err, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		const struct vh_device *d = vh_host_device(h, &bus[i], err);
		if (!d) {
			free(bus);
			return -1;
		}
		struct vh_fact_device *fd = &f->devices[f->n_devices++];
		fd->dev = *d;
		take_device_extras(h, fd);
	}
	f->cap_devices = n;
	free(bus);
	return 0;
}

static int take_setup(struct vh_host *h, struct vh_facts *f, struct vh_err *err)
{
	struct vh_report *r = vh_setup_state(h, err);
	if (!r)
		return -1;
	if (r->n_findings && !(f->setup = calloc(r->n_findings, sizeof(*f->setup)))) {
		vh_report_free(r);
		return vh_fail(err, "out of memory");
	}
	for (size_t i = 0; i < r->n_findings; i++) {
		struct vh_fact_finding *s = &f->setup[f->n_setup++];
		s->kind = r->findings[i].kind;
		vh_strlcpy(s->subject, r->findings[i].subject, sizeof(s->subject));
		vh_strlcpy(s->message, r->findings[i].message, sizeof(s->message));
		vh_strlcpy(s->fix, r->findings[i].fix, sizeof(s->fix));
	}
	f->cap_setup = f->n_setup;
	vh_report_free(r);
	return 0;
}

static void take_node(struct vh_host *h, struct vh_facts *f)
{
	char path[PATH_MAX], cmdline[VH_CMDLINE_MAX];
	bool remapped;
	if (vh_host_kernel_release(h, NULL) == 0)
		vh_strlcpy(f->kernel, h->kver, sizeof(f->kernel));
	if (vh_host_path(h, path, sizeof(path), "/proc/sys/kernel/random/boot_id") == 0)
		vh_read_attr(path, f->boot_id, sizeof(f->boot_id));
	vh_iommu_active(h, &f->iommu_on, f->iommu_unit, sizeof(f->iommu_unit), NULL);
	f->intremap = vh_interrupts_remapped(h, &remapped, NULL) < 0 ? -1 : remapped;
	f->unsafe_interrupts = vh_unsafe_interrupts(h, &f->unsafe_source);
	for (size_t i = 0; i < VH_VFIO_MODULE_COUNT; i++) {
		enum vh_module_state st = vh_module_state(h, vh_vfio_modules[i], NULL);
		f->vfio[i] = st == VH_MOD_ERROR ? VH_MOD_MISSING : st;
	}
	if (vh_cmdline_read(h, cmdline, sizeof(cmdline), NULL) == 0)
		f->cmdline = strdup(cmdline);
	f->cpu = vh_cpu_vendor(h);
	if (vh_meminfo(h, &f->mem_available_mib, &f->mem_total_mib, NULL) == 0)
		f->mem_available_mib -= f->mem_available_mib % 1024;
	for (size_t i = 0; i < 2; i++) {
		f->hugepages[i].nr = vh_hugepage_count(h, hugepage_mib[i], "nr_hugepages");
		f->hugepages[i].free = vh_hugepage_count(h, hugepage_mib[i], "free_hugepages");
	}
	f->made_at = (long long)time(NULL);
}

struct vh_inventory *vh_inventory_take(struct vh_host *h, struct vh_err *err)
{
	struct vh_inventory *inv = calloc(1, sizeof(*inv));
	struct vh_facts *f = calloc(1, sizeof(*f));
	if (!inv || !f) {
		free(inv);
		free(f);
		vh_fail(err, "out of memory");
		return NULL;
	}
	inv->facts = f;
	if (vh_node_name(h, f->node, sizeof(f->node), err) < 0 || take_devices(h, f, err) < 0 ||
	    take_setup(h, f, err) < 0) {
		vh_inventory_free(inv);
		return NULL;
	}
	take_node(h, f);
	return inv;
}

void vh_inventory_free(struct vh_inventory *inv)
{
	if (!inv)
		return;
	vh_facts_free(inv->facts);
	free(inv);
}

/* ---- JSON ---- */

static void put_str(json_object *o, const char *key, const char *v)
{
	if (v && *v)
		json_object_object_add(o, key, json_object_new_string(v));
}

static void put_bool(json_object *o, const char *key, bool v)
{
	if (v)
		json_object_object_add(o, key, json_object_new_boolean(1));
}

static void put_int(json_object *o, const char *key, long long v)
{
	if (v)
		json_object_object_add(o, key, json_object_new_int64(v));
}

static void put_addr(json_object *o, const char *key, const struct vh_pci_addr *a)
{
	char s[VH_PCI_ADDR_STRLEN];
	vh_pci_addr_format(a, s);
	put_str(o, key, s);
}

static void put_pair(json_object *o, const char *key, uint16_t a, uint16_t b)
{
	char s[16];
	snprintf(s, sizeof(s), "%04x:%04x", a, b);
	put_str(o, key, s);
}

/* What a device offers to mediated devices: mdev types, NVIDIA's vGPU. */
static void mediated_json(json_object *o, const struct vh_fact_device *fd)
{
	if (fd->n_mdev) {
		json_object *a = json_object_new_array();
		for (size_t i = 0; i < fd->n_mdev; i++) {
			json_object *m = json_object_new_object();
			put_str(m, "type", fd->mdev[i].type);
			json_object_object_add(m, "available",
					       json_object_new_int64(fd->mdev[i].available));
			json_object_array_add(a, m);
		}
		json_object_object_add(o, "mdev_types", a);
	}
	if (fd->vgpu) {
		json_object *v = json_object_new_object(), *c = json_object_new_array();
		json_object_object_add(v, "current", json_object_new_int64(fd->vgpu->current));
		for (size_t i = 0; i < fd->vgpu->n_creatable; i++)
			json_object_array_add(c, json_object_new_int64(
							 (int64_t)fd->vgpu->creatable[i]));
		json_object_object_add(v, "creatable", fd->vgpu->creatable_read ? c : NULL);
		if (!fd->vgpu->creatable_read)
			json_object_put(c);
		json_object_object_add(o, "nvidia_vgpu", v);
	}
}

static json_object *device_json(const struct vh_fact_device *fd)
{
	const struct vh_device *d = &fd->dev;
	json_object *o = json_object_new_object();
	char cls[8];
	put_str(o, "address", d->name);
	put_pair(o, "vendor_device", d->vendor, d->device);
	put_pair(o, "subsystem", d->subsys_vendor, d->subsys_device);
	snprintf(cls, sizeof(cls), "%06x", d->class_code & 0xffffffu);
	put_str(o, "class", cls);
	json_object_object_add(o, "iommu_group", json_object_new_int(d->iommu_group));
	put_str(o, "driver", d->driver);
	put_str(o, "reset_methods", d->reset_method);
	put_bool(o, "reset", d->has_reset);
	put_bool(o, "boot_vga", d->boot_vga);
	put_bool(o, "bridge", d->is_bridge);
	put_bool(o, "pcie", d->is_pcie);
	if (d->is_pcie)
		json_object_object_add(o, "port_type", json_object_new_int(d->pcie_port_type));
	put_bool(o, "flr", d->has_flr);
	put_bool(o, "acs", d->has_acs);
	put_bool(o, "acs_enabled", d->acs_enabled);
	put_str(o, "power_state", d->power_state);
	if (d->has_parent)
		put_addr(o, "parent", &d->parent);
	if (d->is_vf)
		put_addr(o, "physfn", &d->physfn);
	if (d->is_pf) {
		json_object *s = json_object_new_object();
		json_object_object_add(s, "totalvfs", json_object_new_int((int)d->sriov_totalvfs));
		json_object_object_add(s, "numvfs", json_object_new_int((int)d->sriov_numvfs));
		json_object_object_add(s, "offset", json_object_new_int((int)d->sriov_offset));
		json_object_object_add(s, "stride", json_object_new_int((int)d->sriov_stride));
		json_object_object_add(o, "sriov", s);
	}
	mediated_json(o, fd);
	if (!fd->answers)
		json_object_object_add(o, "answers", json_object_new_boolean(0));
	put_str(o, "framebuffer", fd->framebuffer);
	put_int(o, "held_by", fd->held_by);
	return o;
}

static int int_order(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return x < y ? -1 : x > y;
}

/* How many of the sorted ids[0..n) are g. */
static size_t count_of(const int *ids, size_t n, int g)
{
	size_t lo = 0, hi = n;
	while (lo < hi) { /* the first id >= g */
		size_t mid = lo + (hi - lo) / 2;
		if (ids[mid] < g)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t k = lo;
	while (k < n && ids[k] == g)
		k++;
	return k - lo;
}

/* "groups": {"12": ["0000:01:00.0", "0000:01:00.1"]}: the members of each
 * group of more than one function, for a reader (a group of one is its
 * function's own: an SR-IOV host has thousands); the facts take a device's
 * group from its own entry. */
static json_object *groups_json(const struct vh_facts *f)
{
	json_object *g = json_object_new_object();
	int *ids = malloc((f->n_devices ? f->n_devices : 1) * sizeof(*ids));
	if (!ids)
		return g;
	for (size_t i = 0; i < f->n_devices; i++)
		ids[i] = f->devices[i].dev.iommu_group;
	qsort(ids, f->n_devices, sizeof(*ids), int_order);
	for (size_t i = 0; i < f->n_devices; i++) {
		const struct vh_device *d = &f->devices[i].dev;
		char key[16];
		json_object *members;
		if (d->iommu_group < 0 || count_of(ids, f->n_devices, d->iommu_group) < 2)
			continue;
		snprintf(key, sizeof(key), "%d", d->iommu_group);
		if (!json_object_object_get_ex(g, key, &members)) {
			members = json_object_new_array();
			json_object_object_add(g, key, members);
		}
		json_object_array_add(members, json_object_new_string(d->name));
	}
	free(ids);
	return g;
}

static const char *iommu_kind(const struct vh_facts *f)
{
	if (!f->iommu_on)
		return "none";
	if (!strncmp(f->iommu_unit, "dmar", 4))
		return "intel";
	if (!strncmp(f->iommu_unit, "ivhd", 4) || !strncmp(f->iommu_unit, "AMD", 3))
		return "amd";
	return "other";
}

static json_object *iommu_json(const struct vh_facts *f)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "kind", json_object_new_string(iommu_kind(f)));
	json_object_object_add(o, "on", json_object_new_boolean(f->iommu_on));
	put_str(o, "unit", f->iommu_unit);
	json_object_object_add(o, "interrupt_remapping",
			       f->intremap < 0 ? NULL : json_object_new_boolean(f->intremap));
	json_object_object_add(o, "unsafe_interrupts",
			       json_object_new_boolean(f->unsafe_interrupts));
	json_object_object_add(o, "unsafe_source",
			       json_object_new_string(unsafe_sources[f->unsafe_source]));
	return o;
}

static json_object *setup_json(const struct vh_facts *f)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < f->n_setup; i++) {
		const struct vh_fact_finding *s = &f->setup[i];
		const struct vh_finding_kind *k = vh_finding_kind_of(s->kind);
		json_object *o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_string(k->id));
		json_object_object_add(o, "severity",
				       json_object_new_string(vh_severity_name(k->severity)));
		json_object_object_add(o, "subject", json_object_new_string(s->subject));
		json_object_object_add(o, "message", json_object_new_string(s->message));
		json_object_object_add(o, "fix", json_object_new_string(s->fix));
		json_object_array_add(a, o);
	}
	return a;
}

/* Everything but the time it was made: what decides whether it changed. */
static json_object *facts_json(const struct vh_facts *f)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "format", json_object_new_int(FORMAT_VERSION));
	json_object_object_add(o, "node", json_object_new_string(f->node));
	json_object_object_add(o, "kernel", json_object_new_string(f->kernel));
	json_object_object_add(o, "boot_id", json_object_new_string(f->boot_id));
	json_object_object_add(o, "cpu", json_object_new_string(cpu_names[f->cpu]));
	json_object_object_add(o, "cmdline", json_object_new_string(f->cmdline ? f->cmdline : ""));
	json_object_object_add(o, "iommu", iommu_json(f));
	json_object *mem = json_object_new_object();
	json_object_object_add(mem, "total_mib", json_object_new_int64((int64_t)f->mem_total_mib));
	json_object_object_add(mem, "available_mib",
			       json_object_new_int64((int64_t)f->mem_available_mib));
	for (size_t i = 0; i < 2; i++) {
		char key[24];
		if (f->hugepages[i].nr < 0)
			continue;
		json_object *hp = json_object_new_object();
		json_object_object_add(hp, "nr", json_object_new_int64(f->hugepages[i].nr));
		json_object_object_add(hp, "free", json_object_new_int64(f->hugepages[i].free));
		snprintf(key, sizeof(key), "hugepages_%umib", hugepage_mib[i]);
		json_object_object_add(mem, key, hp);
	}
	json_object_object_add(o, "memory", mem);
	json_object *mods = json_object_new_object();
	for (size_t i = 0; i < VH_VFIO_MODULE_COUNT; i++)
		json_object_object_add(mods, vh_vfio_modules[i],
				       json_object_new_string(module_states[f->vfio[i]]));
	json_object_object_add(o, "vfio_modules", mods);
	json_object *devs = json_object_new_array_ext((int)f->n_devices);
	for (size_t i = 0; i < f->n_devices; i++)
		json_object_array_add(devs, device_json(&f->devices[i]));
	json_object_object_add(o, "functions", devs);
	json_object_object_add(o, "groups", groups_json(f));
	json_object_object_add(o, "setup", setup_json(f));
	return o;
}

struct json_object *vh_inventory_json(const struct vh_inventory *inv, bool with_time)
{
	json_object *o = facts_json(inv->facts);
	if (with_time)
		json_object_object_add(o, "made_at", json_object_new_int64(inv->facts->made_at));
	return o;
}

struct json_object *vh_inventory_to_json(const struct vh_inventory *inv)
{
	return vh_inventory_json(inv, true);
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
	int cpu = name_index(cpu_names, VH_ARRAY_SIZE(cpu_names), get_str(root, "cpu"));
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
		snprintf(key, sizeof(key), "hugepages_%umib", hugepage_mib[i]);
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
		int src = name_index(unsafe_sources, VH_ARRAY_SIZE(unsafe_sources),
				     get_str(io, "unsafe_source"));
		f->unsafe_source = src < 0 ? VH_UNSAFE_DEFAULT : (enum vh_unsafe_source)src;
	}
	bool have_mods = json_object_object_get_ex(root, "vfio_modules", &mods);
	for (size_t i = 0; i < VH_VFIO_MODULE_COUNT; i++) {
		int st = have_mods ? name_index(module_states, VH_ARRAY_SIZE(module_states),
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
	if (get_int(root, "format", 0) != FORMAT_VERSION || !f->node[0] ||
	    parse_devices(root, f, origin, err) < 0 || parse_setup(root, f, err) < 0) {
		if (get_int(root, "format", 0) != FORMAT_VERSION || !f->node[0])
			vh_failc(err, EINVAL, "%s: not an inventory of format %d with a node name",
				 origin, FORMAT_VERSION);
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

/* ---- the admin's text ---- */

void vh_inventory_print(const struct vh_inventory *inv, FILE *out)
{
	const struct vh_facts *f = inv->facts;
	fprintf(out, "Node %s, kernel %s, boot %s\n", f->node, f->kernel, f->boot_id);
	fprintf(out, "IOMMU: %s%s%s, interrupt remapping %s\n", iommu_kind(f),
		f->iommu_unit[0] ? " " : "", f->iommu_unit,
		f->intremap < 0 ? "unknown"
		: f->intremap   ? "on"
				: "off");
	fprintf(out, "vfio modules:");
	for (size_t i = 0; i < VH_VFIO_MODULE_COUNT; i++)
		fprintf(out, " %s %s", vh_vfio_modules[i], module_states[f->vfio[i]]);
	fprintf(out, "\n%zu PCI functions:\n", f->n_devices);
	for (size_t i = 0; i < f->n_devices; i++) {
		const struct vh_fact_device *fd = &f->devices[i];
		const struct vh_device *d = &fd->dev;
		fprintf(out, "  %s %04x:%04x [%06x] group %d, %s, reset %s", d->name, d->vendor,
			d->device, d->class_code, d->iommu_group,
			d->driver[0] ? d->driver : "no driver",
			d->reset_method[0] ? d->reset_method : "none");
		if (d->is_pf)
			fprintf(out, ", VFs %u/%u", d->sriov_numvfs, d->sriov_totalvfs);
		for (size_t m = 0; m < fd->n_mdev; m++)
			fprintf(out, ", mdev %s (%lld free)", fd->mdev[m].type,
				fd->mdev[m].available);
		if (fd->held_by)
			fprintf(out, ", held by VM %u", fd->held_by);
		fputc('\n', out);
	}
	fprintf(out, "Setup: %s\n", f->n_setup ? "" : "complete");
	for (size_t i = 0; i < f->n_setup; i++)
		fprintf(out, "  %s (%s): %s\n", vh_finding_kind_of(f->setup[i].kind)->id,
			f->setup[i].subject, f->setup[i].message);
}
