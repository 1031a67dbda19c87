/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host's devices, the seed's "hardware verification" as a listing:
 * every PCI function with its IOMMU group, who else is in the group, its
 * driver, reset methods, and the VMs that pass it. This is the one place
 * the library reads the whole bus; check and the hook never call it.
 */
#include "internal.h"
#include "base/array.h"
#include "eval/checks.h"
#include "host/host.h"
#include "host/iommu.h"
#include "host/pcidev.h"
#include "host/system.h"
#include "pve/ownership.h"
#include "pve/mapping.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#define MAX_USED_BY 16

/* ---- the listing ---- */

struct vh_listed {
	const struct vh_device *dev; /* owned by the host */
	size_t n_members;
	struct vh_pci_addr *members; /* every member of its group, ours to free */
	bool isolated;
	char host_users[256]; /* other endpoints of the group on a host driver */
	bool passable;        /* the group can be passed whole with this device */
	char group_why[320];  /* why, or why not */
	size_t n_used_by;
	unsigned used_by[MAX_USED_BY];
	unsigned running_in; /* 0: none */
};

struct vh_devices {
	struct vh_host *h;
	size_t n;
	struct vh_listed *list;
};

static int addr_order(const void *a, const void *b)
{
	return vh_pci_addr_compare(a, b);
}

/* Bridges, the host bridge included (class 06): the kernel keeps them, no
 * VM gets them, so they never decide whether a group can be passed. */
static bool never_passed(const struct vh_device *d)
{
	return d->is_bridge || (d->class_code >> 16) == 0x06;
}

static bool same_slot(const struct vh_pci_addr *a, const struct vh_pci_addr *b)
{
	return a->domain == b->domain && a->bus == b->bus && a->dev == b->dev;
}

static void append_member(char *buf, size_t size, size_t *used, const struct vh_device *m)
{
	if (*used < size)
		*used += (size_t)snprintf(buf + *used, size - *used, "%s%s (%s)", *used ? ", " : "",
					  m->name, m->driver);
}

/* Can the group go to a VM whole, with this device: no endpoint of another
 * card in it is on a host driver (the card's own functions go along when
 * the card is passed, as hostpci0: 01:00 passes them all). */
static void judge_group(struct vh_listed *l, const char *others)
{
	int g = l->dev->iommu_group;
	l->passable = false;
	if (g < 0)
		snprintf(l->group_why, sizeof(l->group_why),
			 "no IOMMU group: the IOMMU is off or does "
			 "not cover it");
	else if (never_passed(l->dev))
		snprintf(l->group_why, sizeof(l->group_why), "a bridge stays with the host");
	else if (others[0])
		snprintf(l->group_why, sizeof(l->group_why), "%s shares IOMMU group %d", others, g);
	else {
		l->passable = true;
		snprintf(l->group_why, sizeof(l->group_why),
			 "IOMMU group %d holds no other card on a "
			 "host driver",
			 g);
	}
}

/* Group members, whether any other endpoint of them is on a host driver,
 * and whether the group can be passed whole with this device. */
static void read_group(struct vh_host *h, struct vh_listed *l)
{
	struct vh_err e;
	char others[256] = "";
	l->isolated = false;
	if (l->dev->iommu_group < 0 ||
	    vh_group_members(h, l->dev->iommu_group, &l->members, &l->n_members, &e) < 0) {
		judge_group(l, others);
		return;
	}
	qsort(l->members, l->n_members, sizeof(*l->members), addr_order);
	size_t used = 0, used_others = 0;
	for (size_t i = 0; i < l->n_members; i++) {
		if (vh_pci_addr_equal(&l->members[i], &l->dev->addr))
			continue;
		const struct vh_device *m = vh_host_device(h, &l->members[i], NULL);
		if (!m || !m->present || m->is_bridge || vh_driver_harmless(m->driver))
			continue;
		append_member(l->host_users, sizeof(l->host_users), &used, m);
		if (!never_passed(m) && !same_slot(&m->addr, &l->dev->addr))
			append_member(others, sizeof(others), &used_others, m);
	}
	l->isolated = used == 0;
	judge_group(l, others);
}

static void read_holders(struct vh_host *h, const struct vh_vm_uses *uses, struct vh_listed *l)
{
	struct vh_holder who;
	l->n_used_by = vh_vm_uses_of(uses, &l->dev->addr, l->used_by, MAX_USED_BY);
	if (vh_device_owner(h, &l->dev->addr, 0, -1, &who) && who.kind != VH_HOLD_RESERVED &&
	    who.kind != VH_HOLD_UNKNOWN)
		l->running_in = who.vmid;
}

struct vh_devices *vh_devices_load(struct vh_host *h, struct vh_err *err)
{
	struct vh_pci_addr *addrs;
	size_t n;
	struct vh_vm_uses uses;
	if (vh_bus_addresses(h, &addrs, &n, err) < 0)
		return NULL;
	struct vh_devices *d = calloc(1, sizeof(*d));
	if (d)
		d->list = calloc(n ? n : 1, sizeof(*d->list));
	if (!d || !d->list) {
		free(addrs);
		vh_devices_free(d);
		vh_fail(err, "out of memory");
		return NULL;
	}
	d->h = h;
	if (vh_vm_uses_load(h, &uses, err) < 0) {
		free(addrs);
		vh_devices_free(d);
		return NULL;
	}
	bool failed = false;
	for (size_t i = 0; i < n && !failed; i++) {
		struct vh_listed *l = &d->list[d->n];
		l->dev = vh_host_device(h, &addrs[i], err);
		failed = !l->dev;
		if (failed || !l->dev->present)
			continue;
		read_group(h, l);
		read_holders(h, &uses, l);
		d->n++;
	}
	free(addrs);
	vh_vm_uses_free(&uses);
	if (failed) {
		vh_devices_free(d);
		return NULL;
	}
	return d;
}

void vh_devices_free(struct vh_devices *d)
{
	if (!d)
		return;
	for (size_t i = 0; d->list && i < d->n; i++)
		free(d->list[i].members);
	free(d->list);
	free(d);
}

size_t vh_devices_count(const struct vh_devices *d)
{
	return d->n;
}

/* ---- JSON ---- */

static json_object *addr_string(const struct vh_pci_addr *a)
{
	char name[VH_PCI_ADDR_STRLEN];
	vh_pci_addr_format(a, name);
	return json_object_new_string(name);
}

/* "flr bus" -> ["flr", "bus"] */
static json_object *reset_methods_json(const struct vh_device *dev)
{
	json_object *list = json_object_new_array();
	for (const char *p = dev->reset_method; *p;) {
		p += strspn(p, " ");
		size_t n = strcspn(p, " ");
		if (n)
			json_object_array_add(list, json_object_new_string_len(p, (int)n));
		p += n;
	}
	return list;
}

static json_object *listed_json(const struct vh_listed *l)
{
	const struct vh_device *dev = l->dev;
	json_object *o = json_object_new_object(), *members = json_object_new_array(),
		    *used = json_object_new_array();
	char buf[32];
	json_object_object_add(o, "address", json_object_new_string(dev->name));
	snprintf(buf, sizeof(buf), "%04x:%04x", dev->vendor, dev->device);
	json_object_object_add(o, "vendor_device", json_object_new_string(buf));
	snprintf(buf, sizeof(buf), "0x%06x", dev->class_code);
	json_object_object_add(o, "class", json_object_new_string(buf));
	json_object_object_add(o, "name", json_object_new_string(dev->description));
	json_object_object_add(o, "driver",
			       dev->driver[0] ? json_object_new_string(dev->driver) : NULL);
	json_object_object_add(o, "iommu_group",
			       dev->iommu_group < 0 ? NULL : json_object_new_int(dev->iommu_group));
	for (size_t i = 0; i < l->n_members; i++)
		json_object_array_add(members, addr_string(&l->members[i]));
	json_object_object_add(o, "group_members", members);
	json_object_object_add(o, "group_isolated", json_object_new_boolean(l->isolated));
	json_object_object_add(o, "group_passable", json_object_new_boolean(l->passable));
	json_object_object_add(o, "group_why", json_object_new_string(l->group_why));
	json_object_object_add(o, "reset_methods", reset_methods_json(dev));
	json_object_object_add(o, "boot_vga", json_object_new_boolean(dev->boot_vga));
	for (size_t i = 0; i < l->n_used_by; i++)
		json_object_array_add(used, json_object_new_int64(l->used_by[i]));
	json_object_object_add(o, "used_by", used);
	json_object_object_add(o, "running_in",
			       l->running_in ? json_object_new_int64(l->running_in) : NULL);
	return o;
}

json_object *vh_devices_to_json(const struct vh_devices *d)
{
	json_object *o = json_object_new_object(), *list = json_object_new_array();
	for (size_t i = 0; i < d->n; i++)
		json_object_array_add(list, listed_json(&d->list[i]));
	json_object_object_add(o, "devices", list);
	return o;
}

/* ---- text: grouped like the seed's "IOMMU Group 12:" loop ---- */

static void print_listed(const struct vh_listed *l, FILE *out)
{
	const struct vh_device *dev = l->dev;
	fprintf(out, "  %s [%04x]: %s [%04x:%04x]\n", dev->name, dev->class_code >> 8,
		dev->description[0] ? dev->description : "(no name in pci.ids)", dev->vendor,
		dev->device);
	fprintf(out, "      driver %s, reset %s", dev->driver[0] ? dev->driver : "(none)",
		dev->reset_method[0] ? dev->reset_method
		: dev->has_reset     ? "(unknown)"
				     : "(none)");
	if (dev->boot_vga)
		fprintf(out, ", boot VGA");
	for (size_t i = 0; i < l->n_used_by; i++)
		fprintf(out, "%s%u", i ? ", " : ", passed by VM ", l->used_by[i]);
	if (l->running_in)
		fprintf(out, ", held by running VM %u", l->running_in);
	fputc('\n', out);
}

/* "IOMMU Group 12: 2 devices", and whether two endpoints of it are on host
 * drivers (then passing any one of them alone takes a device from the host). */
static void print_group_header(const struct vh_devices *d, int group, FILE *out)
{
	size_t n = 0, host = 0;
	for (size_t i = 0; i < d->n; i++) {
		const struct vh_device *dev = d->list[i].dev;
		if (dev->iommu_group != group)
			continue;
		n++;
		host += !dev->is_bridge && !vh_driver_harmless(dev->driver);
	}
	fprintf(out, "IOMMU Group %d: %zu device%s%s\n", group, n, n == 1 ? "" : "s",
		host > 1 ? ", more than one endpoint on a host driver" : "");
}

/* The seed's "Assessment:" line of a group: it can be passed whole, or for
 * each card that cannot, which device on a host driver shares it. A group
 * of bridges only is the host's: no assessment. */
static void print_assessment(const struct vh_devices *d, int group, FILE *out)
{
	size_t endpoints = 0, blocked = 0;
	for (size_t i = 0; i < d->n; i++) {
		const struct vh_listed *l = &d->list[i];
		if (l->dev->iommu_group != group || never_passed(l->dev))
			continue;
		endpoints++;
		blocked += !l->passable;
	}
	if (!endpoints)
		return;
	if (!blocked) {
		fprintf(out, "  Assessment: group %d can be passed whole\n", group);
		return;
	}
	const struct vh_listed *last = NULL;
	for (size_t i = 0; i < d->n; i++) {
		const struct vh_listed *l = &d->list[i];
		if (l->dev->iommu_group != group || never_passed(l->dev) || l->passable)
			continue;
		/* once per card: its functions share the verdict (the list is sorted) */
		if (last && same_slot(&last->dev->addr, &l->dev->addr))
			continue;
		last = l;
		fprintf(out, "  Assessment: %.*s cannot be passed whole: %s\n",
			(int)strcspn(l->dev->name, "."), l->dev->name, l->group_why);
	}
}

void vh_devices_print(const struct vh_devices *d, FILE *out)
{
	int last = -1;
	for (;;) {
		int next = -1;
		for (size_t i = 0; i < d->n; i++) {
			int g = d->list[i].dev->iommu_group;
			if (g > last && (next < 0 || g < next))
				next = g;
		}
		if (next < 0)
			break;
		print_group_header(d, next, out);
		for (size_t i = 0; i < d->n; i++)
			if (d->list[i].dev->iommu_group == next)
				print_listed(&d->list[i], out);
		print_assessment(d, next, out);
		fputc('\n', out);
		last = next;
	}
	bool header = false;
	for (size_t i = 0; i < d->n; i++) {
		if (d->list[i].dev->iommu_group >= 0)
			continue;
		if (!header)
			fprintf(out,
				"No IOMMU group (the IOMMU is off or does not cover these):\n");
		header = true;
		print_listed(&d->list[i], out);
	}
	fprintf(out, "%zu PCI function%s\n", d->n, d->n == 1 ? "" : "s");
}
