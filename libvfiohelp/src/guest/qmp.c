/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QMP query-pci (qmp.h): greeting, qmp_capabilities, query-pci; events
 * that arrive between the replies are skipped.
 */
#include "internal.h"
#include "base/array.h"
#include "guest/qmp.h"
#include "guest/wire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct pci_list {
	struct vh_qmp_device *v;
	size_t n, cap;
};

static bool int_field(json_object *o, const char *key, int64_t max, int64_t *v)
{
	json_object *f;
	if (!json_object_object_get_ex(o, key, &f) || !json_object_is_type(f, json_type_int))
		return false;
	*v = json_object_get_int64(f);
	return *v >= 0 && *v <= max;
}

static int add_devices(json_object *devices, int depth, struct pci_list *l, struct vh_err *err);

/* One device of a bus; a bridge's own bus follows it. */
static int add_device(json_object *d, int depth, struct pci_list *l, struct vh_err *err)
{
	int64_t bus, slot, fn, vendor, device;
	json_object *id, *qdev, *bridge, *bbus, *bdevs;
	if (!json_object_is_type(d, json_type_object) || !int_field(d, "bus", 255, &bus) ||
	    !int_field(d, "slot", 31, &slot) || !int_field(d, "function", 7, &fn) ||
	    !json_object_object_get_ex(d, "id", &id) || !int_field(id, "vendor", 0xffff, &vendor) ||
	    !int_field(id, "device", 0xffff, &device))
		return vh_failc(err, EPROTO,
				"query-pci: a device without bus, slot, function or id");
	if (VH_ARRAY_ROOM(l->v, l->cap, l->n) < 0)
		return vh_failc(err, ENOMEM, "out of memory");
	struct vh_qmp_device *q = &l->v[l->n++];
	memset(q, 0, sizeof(*q));
	q->guest = (struct vh_pci_addr){ 0, (uint8_t)bus, (uint8_t)slot, (uint8_t)fn, true };
	q->vendor = (uint16_t)vendor;
	q->device = (uint16_t)device;
	if (json_object_object_get_ex(d, "qdev_id", &qdev) &&
	    json_object_is_type(qdev, json_type_string))
		vh_strlcpy(q->qdev_id, json_object_get_string(qdev), sizeof(q->qdev_id));
	if (json_object_object_get_ex(d, "pci_bridge", &bridge) &&
	    json_object_object_get_ex(bridge, "bus", &bbus) &&
	    json_object_object_get_ex(bridge, "devices", &bdevs))
		return add_devices(bdevs, depth + 1, l, err);
	(void)bbus;
	return 0;
}

static int add_devices(json_object *devices, int depth, struct pci_list *l, struct vh_err *err)
{
	if (depth > 16 || !json_object_is_type(devices, json_type_array))
		return vh_failc(err, EPROTO, "query-pci: devices is not a list");
	for (size_t i = 0; i < json_object_array_length(devices); i++)
		if (add_device(json_object_array_get_idx(devices, i), depth, l, err) < 0)
			return -1;
	return 0;
}

int vh_qmp_pci_parse(json_object *ret, struct vh_qmp_device **out, size_t *n, struct vh_err *err)
{
	struct pci_list l = { 0 };
	int rc = json_object_is_type(ret, json_type_array)
			 ? 0
			 : vh_failc(err, EPROTO, "query-pci: the reply is not a list of buses");
	for (size_t i = 0; rc == 0 && i < json_object_array_length(ret); i++) {
		json_object *bus = json_object_array_get_idx(ret, i), *devs;
		if (!json_object_object_get_ex(bus, "devices", &devs))
			rc = vh_failc(err, EPROTO, "query-pci: a bus without devices");
		else
			rc = add_devices(devs, 0, &l, err);
	}
	if (rc < 0) {
		free(l.v);
		return -1;
	}
	*out = l.v;
	*n = l.n;
	return 0;
}

/* The next reply that is not an event: its "return" value. */
static int qmp_return(struct vh_wire *w, const char *what, json_object **ret, struct vh_err *err)
{
	for (;;) {
		json_object *o, *v;
		if (vh_wire_next(w, &o, err) < 0)
			return -1;
		if (json_object_object_get_ex(o, "event", &v)) {
			json_object_put(o);
			continue;
		}
		int rc = 0;
		if (json_object_object_get_ex(o, "return", &v))
			*ret = json_object_get(v);
		else
			rc = vh_failc(err, EPROTO, "%s: QMP answered no return value", what);
		json_object_put(o);
		return rc;
	}
}

static int ask(struct vh_wire *w, json_object **ret, struct vh_err *err)
{
	static const char caps[] = "{\"execute\":\"qmp_capabilities\"}\n";
	static const char query[] = "{\"execute\":\"query-pci\"}\n";
	json_object *greeting = NULL, *v = NULL;
	if (vh_wire_next(w, &greeting, err) < 0)
		return -1;
	bool qmp = json_object_object_get_ex(greeting, "QMP", &v);
	json_object_put(greeting);
	if (!qmp)
		return vh_failc(err, EPROTO, "%s: no QMP greeting", w->name);
	if (vh_wire_send(w, caps, sizeof(caps) - 1, err) < 0 ||
	    qmp_return(w, "qmp_capabilities", &v, err) < 0)
		return -1;
	json_object_put(v);
	if (vh_wire_send(w, query, sizeof(query) - 1, err) < 0)
		return -1;
	return qmp_return(w, "query-pci", ret, err);
}

int vh_qmp_query_pci(struct vh_host *h, unsigned vmid, unsigned hold_ms, struct vh_qmp_device **out,
		     size_t *n, struct vh_err *err)
{
	char path[4096];
	if (vh_host_path(h, path, sizeof(path), "/var/run/qemu-server/%u.qmp", vmid) < 0)
		return vh_failc(err, ENAMETOOLONG, "the QMP socket's path is too long");
	struct vh_wire w;
	json_object *ret = NULL;
	int rc = vh_wire_open(&w, path, hold_ms, err);
	if (rc == 0)
		rc = ask(&w, &ret, err);
	vh_wire_close(&w);
	if (rc == 0)
		rc = vh_qmp_pci_parse(ret, out, n, err);
	json_object_put(ret);
	return rc;
}
