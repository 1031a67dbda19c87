/* SPDX-License-Identifier: GPL-2.0-or-later */
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

const char *const vh_inv_module_states[VH_INV_MODULE_STATES] = {
	[VH_MOD_MISSING] = "missing",
	[VH_MOD_AVAILABLE] = "available",
	[VH_MOD_LOADED] = "loaded",
	[VH_MOD_BUILTIN] = "builtin",
};
const char *const vh_inv_cpu_names[VH_INV_CPU_NAMES] = {
	[VH_CPU_UNKNOWN] = "unknown", [VH_CPU_INTEL] = "intel", [VH_CPU_AMD] = "amd"
};
const char *const vh_inv_unsafe_sources[VH_INV_UNSAFE_SOURCES] = {
	[VH_UNSAFE_DEFAULT] = "default", [VH_UNSAFE_PARAM] = "parameter", [VH_UNSAFE_MODPROBE] = "modprobe.d"
};
const unsigned vh_inv_hugepage_mib[2] = { 2, 1024 };

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
	fd->vfio_variant = d->driver[0] && vh_vfio_variant(h, d);
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
		f->hugepages[i].nr = vh_hugepage_count(h, vh_inv_hugepage_mib[i], "nr_hugepages");
		f->hugepages[i].free = vh_hugepage_count(h, vh_inv_hugepage_mib[i],
							 "free_hugepages");
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
	put_bool(o, "vfio_variant", fd->vfio_variant);
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
			       json_object_new_string(vh_inv_unsafe_sources[f->unsafe_source]));
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
	json_object_object_add(o, "format", json_object_new_int(VH_INVENTORY_FORMAT));
	json_object_object_add(o, "node", json_object_new_string(f->node));
	json_object_object_add(o, "kernel", json_object_new_string(f->kernel));
	json_object_object_add(o, "boot_id", json_object_new_string(f->boot_id));
	json_object_object_add(o, "cpu", json_object_new_string(vh_inv_cpu_names[f->cpu]));
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
		snprintf(key, sizeof(key), "hugepages_%umib", vh_inv_hugepage_mib[i]);
		json_object_object_add(mem, key, hp);
	}
	json_object_object_add(o, "memory", mem);
	json_object *mods = json_object_new_object();
	for (size_t i = 0; i < VH_VFIO_MODULE_COUNT; i++)
		json_object_object_add(mods, vh_vfio_modules[i],
				       json_object_new_string(vh_inv_module_states[f->vfio[i]]));
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
		fprintf(out, " %s %s", vh_vfio_modules[i], vh_inv_module_states[f->vfio[i]]);
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
