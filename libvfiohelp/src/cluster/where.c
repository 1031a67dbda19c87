/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where a VM can start: every node of the cluster judged by vh_evaluate,
 * the local node from its live host (so its verdict is `check`'s), every
 * other node from its published inventory through the facts back end of
 * the host model (host/facts.h). Then what HA may do with the VM and
 * whether Proxmox would migrate it.
 */
#include "internal.h"
#include "base/array.h"
#include "cluster/cluster.h"
#include "cluster/inventory.h"
#include "eval/checks.h"
#include "host/facts.h"
#include "host/pcidev.h"
#include "pve/mapping.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

enum verdict { V_UNKNOWN, V_CAN, V_CANNOT };
static const char *const verdict_names[] = { "unknown", "can-start", "cannot-start" };

/* Findings of where's own (a node, HA), recorded by the evaluation's
 * vh_eval_finding: the policy's severity, the table's topic, sanitized. */
struct findings {
	struct vh_report r; /* only its findings */
	struct vh_eval ev;
};

struct where_node {
	const struct vh_cluster_node *cn;
	bool local, owner;
	long long age; /* seconds since the inventory was made, -1 without one */
	enum verdict verdict;
	struct vh_report *report; /* NULL when unknown */
	struct vh_host *host;     /* what judged it: the live host, or its facts (ours) */
	struct findings own;      /* inventory-missing */
};

struct vh_where {
	unsigned vmid;
	char owner[VH_NODE_MAX];
	struct vh_cluster c;
	struct where_node *nodes;
	struct vh_ha ha;
	struct findings ha_findings;
	/* migration as qemu-server's check_local_resources judges it */
	char local_resources[256]; /* hostpci entries with host=: never migrate */
	char live_blockers[512];   /* mapped entries without live-migration-capable */
	bool *offline_to;          /* per node: every mapping has a map there */
};

static void findings_init(struct findings *fs, const struct vh_policy *p, unsigned vmid)
{
	fs->r.vmid = vmid;
	fs->ev = (struct vh_eval){ .policy = p, .r = &fs->r };
}

/* ---- one node ---- */

/* A host answering from node's published inventory; NULL (and why) when
 * there is none that can be read. */
static struct vh_host *inventory_host(struct vh_host *h, const char *node, long long *made_at,
				      struct vh_err *err)
{
	char path[PATH_MAX], *text;
	size_t len;
	if (vh_host_path(h, path, sizeof(path), "/etc/pve/nodes/%s/%s", node, VH_INVENTORY_FILE) <
	    0)
		return vh_failc(err, ENAMETOOLONG, "path too long"), NULL;
	if (vh_slurp(path, VH_INVENTORY_MAX, &text, &len) < 0)
		return vh_fail(err, "%s: %s", path, strerror(errno)), NULL;
	struct vh_facts *f = vh_facts_parse(text, len, path, err);
	free(text);
	struct vh_host *nh = f ? vh_host_new(vh_host_root(h), err) : NULL;
	if (!nh) {
		vh_facts_free(f);
		return NULL;
	}
	*made_at = f->made_at;
	vh_host_use_facts(nh, f);
	return nh;
}

static void judge_node(struct vh_where *w, struct vh_host *h, const struct vh_policy *p,
		       struct where_node *n)
{
	struct vh_err err;
	long long made_at = 0;
	struct vh_host *nh = n->local ? h : inventory_host(h, n->cn->name, &made_at, &err);
	if (!nh) {
		vh_eval_finding(&n->own.ev, VH_F_INVENTORY_MISSING, n->cn->name,
				"hookctl inventory --publish   # on that node",
				"node %s cannot be judged: %s", n->cn->name, err.msg);
		return;
	}
	n->age = n->local ? 0 : (long long)time(NULL) - made_at;
	if (n->age < 0)
		n->age = 0;
	/* the VM's config is under its owner's directory, wherever it is judged
	 * (/etc/pve/qemu-server is the local node's) */
	vh_host_set_migration(nh, w->vmid, w->owner, NULL);
	n->report = vh_evaluate(nh, w->vmid, p, &err);
	n->host = nh;
	if (!n->report) {
		vh_eval_finding(&n->own.ev, VH_F_INVENTORY_MISSING, n->cn->name, NULL,
				"node %s cannot be judged: %s", n->cn->name, err.msg);
		return;
	}
	n->verdict = vh_report_blocks(n->report) ? V_CANNOT : V_CAN;
}

/* ---- host= entries: an address is a device of one node ---- */

static const struct vh_device *report_device(const struct vh_report *r, const struct vh_pci_addr *a)
{
	for (size_t i = 0; r && i < r->n_devices; i++)
		if (vh_pci_addr_equal(&r->devices[i].addr, a))
			return r->devices[i].dev;
	return NULL;
}

static bool same_card(const struct vh_device *a, const struct vh_device *b)
{
	return a->vendor == b->vendor && a->device == b->device &&
	       a->subsys_vendor == b->subsys_vendor && a->subsys_device == b->subsys_device;
}

/* "; the card is at 0000:02:00.0 there" when the node has it elsewhere. */
static void where_is(struct vh_host *nh, const struct vh_device *card, const char *node, char *buf,
		     size_t size)
{
	struct vh_pci_addr *bus;
	size_t n;
	if (!nh || vh_bus_addresses(nh, &bus, &n, NULL) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct vh_device *d = vh_host_device(nh, &bus[i], NULL);
		if (d && d->present && same_card(d, card)) {
			if (vh_format(buf, size, "; %s has that card at %s", node, d->name) < 0)
				buf[0] = '\0';
			break;
		}
	}
	free(bus);
}

/* product.md: a host= entry can start on a node only where its address
 * holds the owner's card (vendor:device and subsystem). The facts of that
 * node say where the card is instead, when it has one. */
static void compare_with_owner(struct vh_where *w, const struct vh_report *owner,
			       struct where_node *n)
{
	for (size_t i = 0; i < owner->n_devices && n->report; i++) {
		const struct vh_vm_device *vd = &owner->devices[i];
		const struct vh_hostpci *pci = vh_report_hostpci(owner, vd->hostpci_index);
		const struct vh_device *mine = vd->dev,
				       *theirs = report_device(n->report, &vd->addr);
		if (!pci || pci->has_mapping || !mine || !mine->present || !theirs ||
		    !theirs->present || same_card(mine, theirs))
			continue;
		char key[24], elsewhere[96] = "";
		snprintf(key, sizeof(key), "hostpci%d", vd->hostpci_index);
		where_is(n->host, mine, n->cn->name, elsewhere, sizeof(elsewhere));
		vh_eval_finding(&n->own.ev, VH_F_DEVICE_DIFFERS, key,
				"pvesh create /cluster/mapping/pci ...   # a mapping naming the card "
				"on each node, then hostpciN: mapping=ID",
				"%s passes %s, which is %04x:%04x (subsystem %04x:%04x) on %s but "
				"%04x:%04x (subsystem %04x:%04x) on %s%s",
				key, mine->name, mine->vendor, mine->device, mine->subsys_vendor,
				mine->subsys_device, w->owner, theirs->vendor, theirs->device,
				theirs->subsys_vendor, theirs->subsys_device, n->cn->name,
				elsewhere);
		n->verdict = V_CANNOT;
	}
}

static void compare_devices(struct vh_where *w)
{
	const struct vh_report *owner = NULL;
	for (size_t i = 0; i < w->c.n; i++)
		if (w->nodes[i].owner)
			owner = w->nodes[i].report;
	for (size_t i = 0; owner && i < w->c.n; i++)
		if (!w->nodes[i].owner)
			compare_with_owner(w, owner, &w->nodes[i]);
}

/* ---- HA ---- */

static bool mapping_has_node(const char *pci_cfg, const char *id, const char *node)
{
	struct vh_map_entry map;
	size_t n = 0;
	bool section;
	return pci_cfg &&
	       vh_mapping_parse(pci_cfg, strlen(pci_cfg), id, node, &map, 1, &n, &section, NULL) ==
		       0 &&
	       n > 0;
}

static void judge_ha(struct vh_where *w, const struct vh_vmconf *vm, const char *pci_cfg)
{
	if (!w->ha.managed)
		return;
	for (size_t i = 0; i < w->c.n; i++) {
		const struct where_node *n = &w->nodes[i];
		if (n->verdict == V_CANNOT && vh_ha_allows(&w->ha, n->cn->name))
			vh_eval_finding(&w->ha_findings.ev, VH_F_HA_TARGET_CANNOT_START,
					n->cn->name, NULL,
					"HA may start VM %u on %s (%s), where it cannot start",
					w->vmid, n->cn->name, w->ha.why);
	}
	if (w->ha.any_node || !vm)
		return;
	for (size_t e = 0; e < vm->n_hostpci; e++) {
		const struct vh_hostpci *pci = &vm->hostpci[e];
		if (!pci->has_mapping)
			continue;
		for (size_t i = 0; i < w->c.n; i++) {
			const char *node = w->c.nodes[i].name;
			if (mapping_has_node(pci_cfg, pci->mapping, node) &&
			    !vh_ha_allows(&w->ha, node))
				vh_eval_finding(&w->ha_findings.ev, VH_F_HA_MAPPING_UNCOVERED, node,
						NULL,
						"mapping %s (hostpci%d) has a device on %s, but %s "
						"never starts VM %u there",
						pci->mapping, pci->index, node, w->ha.why, w->vmid);
		}
	}
}

/* ---- migration ---- */

static void append(char *buf, size_t size, const char *fmt, ...) VH_PRINTF(3, 4);
static void append(char *buf, size_t size, const char *fmt, ...)
{
	size_t used = strlen(buf);
	if (used + 2 >= size)
		return;
	if (used)
		buf[used++] = ',', buf[used++] = ' ', buf[used] = '\0';
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + used, size - used, fmt, ap);
	va_end(ap);
}

/* qemu-server's check_local_resources: host= entries are local resources
 * (migration refused; HA forces a stopped VM's); a mapped entry migrates
 * offline to a node with a map, and live only when the mapping is
 * live-migration-capable. */
static void judge_migration(struct vh_where *w, struct vh_host *h, const struct vh_vmconf *vm,
			    const char *pci_cfg)
{
	for (size_t i = 0; i < w->c.n; i++)
		w->offline_to[i] = strcmp(w->c.nodes[i].name, w->owner) != 0;
	for (size_t e = 0; vm && e < vm->n_hostpci; e++) {
		const struct vh_hostpci *pci = &vm->hostpci[e];
		if (!pci->has_mapping) {
			append(w->local_resources, sizeof(w->local_resources), "hostpci%d",
			       pci->index);
			for (size_t i = 0; i < w->c.n; i++)
				w->offline_to[i] = false;
			continue;
		}
		if (vh_mapping_flag(h, pci->mapping, "live-migration-capable") != 1)
			append(w->live_blockers, sizeof(w->live_blockers),
			       "hostpci%d (mapping %s is not live-migration-capable)", pci->index,
			       pci->mapping);
		for (size_t i = 0; i < w->c.n; i++)
			if (!mapping_has_node(pci_cfg, pci->mapping, w->c.nodes[i].name))
				w->offline_to[i] = false;
	}
}

/* ---- the whole cluster ---- */

static char *read_pci_cfg(struct vh_host *h)
{
	char path[PATH_MAX], *text = NULL;
	if (vh_host_path(h, path, sizeof(path), "/etc/pve/mapping/pci.cfg") == 0)
		vh_slurp(path, 1u << 20, &text, NULL);
	return text;
}

static int judge_all(struct vh_where *w, struct vh_host *h, const struct vh_policy *p,
		     struct vh_err *err)
{
	for (size_t i = 0; i < w->c.n; i++) {
		struct where_node *n = &w->nodes[i];
		n->cn = &w->c.nodes[i];
		n->local = !strcmp(n->cn->name, w->c.local);
		n->owner = !strcmp(n->cn->name, w->owner);
		n->age = -1;
		findings_init(&n->own, p, w->vmid);
		judge_node(w, h, p, n);
	}
	findings_init(&w->ha_findings, p, w->vmid);
	compare_devices(w);
	if (vh_ha_load(h, &w->c, w->vmid, &w->ha, err) < 0)
		return -1;
	const struct vh_vmconf *vm = NULL;
	for (size_t i = 0; i < w->c.n && !vm; i++)
		if (w->nodes[i].report && w->nodes[i].report->vm_loaded)
			vm = &w->nodes[i].report->vm;
	char *pci_cfg = read_pci_cfg(h);
	judge_ha(w, vm, pci_cfg);
	judge_migration(w, h, vm, pci_cfg);
	free(pci_cfg);
	return 0;
}

struct vh_where *vh_where_judge(struct vh_host *h, unsigned vmid, const char *policy_path,
				struct vh_err *err)
{
	struct vh_where *w = calloc(1, sizeof(*w));
	if (!w) {
		vh_fail(err, "out of memory");
		return NULL;
	}
	w->vmid = vmid;
	if (vh_cluster_load(h, &w->c, err) < 0) {
		free(w);
		return NULL;
	}
	struct vh_policy *p = NULL;
	if (vh_vm_owner(h, &w->c, vmid, w->owner, sizeof(w->owner)) < 0)
		vh_failc(err, ENOENT, "VM %u has no config under /etc/pve/nodes/*/qemu-server/",
			 vmid);
	else if (!(w->nodes = calloc(w->c.n, sizeof(*w->nodes))) ||
		 !(w->offline_to = calloc(w->c.n, sizeof(*w->offline_to))))
		vh_fail(err, "out of memory");
	else if ((p = vh_policy_load(h, policy_path, err)) && judge_all(w, h, p, err) == 0) {
		vh_policy_free(p);
		return w;
	}
	vh_policy_free(p);
	vh_where_free(w);
	return NULL;
}

void vh_where_free(struct vh_where *w)
{
	if (!w)
		return;
	for (size_t i = 0; w->nodes && i < w->c.n; i++) {
		vh_report_free(w->nodes[i].report);
		if (!w->nodes[i].local)
			vh_host_free(w->nodes[i].host);
		free(w->nodes[i].own.r.findings);
	}
	free(w->nodes);
	free(w->offline_to);
	free(w->ha_findings.r.findings);
	vh_ha_free(&w->ha);
	vh_cluster_free(&w->c);
	free(w);
}

int vh_where_status(const struct vh_where *w)
{
	if (w->c.n < 2)
		return 0; /* not clustered */
	for (size_t i = 0; i < w->c.n; i++)
		if (!w->nodes[i].owner && w->nodes[i].verdict == V_CAN)
			return 0;
	return 1;
}

/* ---- output ---- */

static json_object *findings_json(const struct where_node *n)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < n->own.r.n_findings; i++)
		json_object_array_add(a, vh_finding_json(&n->own.r.findings[i]));
	for (size_t i = 0; n->report && i < n->report->n_findings; i++)
		json_object_array_add(a, vh_finding_json(&n->report->findings[i]));
	return a;
}

static json_object *online_json(int online)
{
	return online < 0 ? NULL : json_object_new_boolean(online);
}

static json_object *ha_json(const struct vh_where *w)
{
	json_object *o = json_object_new_object(), *allowed = json_object_new_array();
	json_object_object_add(o, "managed", json_object_new_boolean(w->ha.managed));
	if (w->ha.managed) {
		json_object_object_add(o, "state", json_object_new_string(w->ha.state));
		json_object_object_add(o, "why", json_object_new_string(w->ha.why));
	}
	for (size_t i = 0; w->ha.managed && i < w->c.n; i++)
		if (vh_ha_allows(&w->ha, w->c.nodes[i].name))
			json_object_array_add(allowed, json_object_new_string(w->c.nodes[i].name));
	json_object_object_add(o, "allowed_nodes", allowed);
	json_object *f = json_object_new_array();
	for (size_t i = 0; i < w->ha_findings.r.n_findings; i++)
		json_object_array_add(f, vh_finding_json(&w->ha_findings.r.findings[i]));
	json_object_object_add(o, "findings", f);
	return o;
}

static json_object *migration_json(const struct vh_where *w)
{
	json_object *o = json_object_new_object(), *off = json_object_new_array();
	bool local = w->local_resources[0] != '\0';
	json_object_object_add(o, "live", json_object_new_boolean(!local && !w->live_blockers[0]));
	json_object_object_add(o, "local_resources",
			       local ? json_object_new_string(w->local_resources) : NULL);
	json_object_object_add(o, "live_blockers",
			       w->live_blockers[0] ? json_object_new_string(w->live_blockers)
						   : NULL);
	for (size_t i = 0; i < w->c.n; i++)
		if (w->offline_to[i])
			json_object_array_add(off, json_object_new_string(w->c.nodes[i].name));
	json_object_object_add(o, "offline_nodes", off);
	return o;
}

struct json_object *vh_where_to_json(const struct vh_where *w)
{
	json_object *o = json_object_new_object(), *nodes = json_object_new_array();
	json_object_object_add(o, "vmid", json_object_new_int64(w->vmid));
	json_object_object_add(o, "owner", json_object_new_string(w->owner));
	json_object_object_add(o, "local", json_object_new_string(w->c.local));
	json_object_object_add(o, "quorate", json_object_new_boolean(w->c.quorate));
	for (size_t i = 0; i < w->c.n; i++) {
		const struct where_node *n = &w->nodes[i];
		json_object *no = json_object_new_object();
		json_object_object_add(no, "node", json_object_new_string(n->cn->name));
		json_object_object_add(no, "online", online_json(n->cn->online));
		json_object_object_add(no, "inventory_age_s",
				       n->age < 0 ? NULL : json_object_new_int64(n->age));
		json_object_object_add(no, "verdict",
				       json_object_new_string(verdict_names[n->verdict]));
		json_object_object_add(no, "findings", findings_json(n));
		json_object_array_add(nodes, no);
	}
	json_object_object_add(o, "nodes", nodes);
	json_object_object_add(o, "ha", ha_json(w));
	json_object_object_add(o, "migration", migration_json(w));
	return o;
}

static void print_findings(const struct vh_finding *list, size_t n, FILE *out)
{
	for (size_t i = 0; i < n; i++) {
		const char *mark = list[i].severity == VH_SEV_ERROR  ? "[FAIL]"
				   : list[i].severity == VH_SEV_WARN ? "[WARN]"
								     : "[info]";
		fprintf(out, "      %s %s: %s\n", mark, list[i].id, list[i].message);
	}
}

void vh_where_print(const struct vh_where *w, FILE *out)
{
	fprintf(out, "VM %u, config on %s; seen from %s", w->vmid, w->owner, w->c.local);
	if (!w->c.quorate)
		fprintf(out, " WITHOUT QUORUM: the other nodes' liveness and inventories may be "
			     "stale");
	fputc('\n', out);
	for (size_t i = 0; i < w->c.n; i++) {
		const struct where_node *n = &w->nodes[i];
		char age[48] = "no inventory";
		if (n->local)
			snprintf(age, sizeof(age), "live host");
		else if (n->age >= 0)
			snprintf(age, sizeof(age), "inventory %llds old", n->age);
		fprintf(out, "  %-16s %-8s %-22s %s%s\n", n->cn->name,
			n->cn->online < 0 ? "?"
			: n->cn->online   ? "online"
					  : "offline",
			age, verdict_names[n->verdict], n->owner ? " (owner)" : "");
		print_findings(n->own.r.findings, n->own.r.n_findings, out);
		if (n->report)
			print_findings(n->report->findings, n->report->n_findings, out);
	}
	fprintf(out, "HA: %s\n", w->ha.managed ? w->ha.why : "not managed");
	print_findings(w->ha_findings.r.findings, w->ha_findings.r.n_findings, out);
	fprintf(out, "Live migration: %s%s%s\n",
		w->local_resources[0] || w->live_blockers[0] ? "refused by Proxmox: " : "allowed",
		w->local_resources[0] ? "local resources " : "",
		w->local_resources[0] ? w->local_resources : w->live_blockers);
	fprintf(out, "Offline migration to:");
	size_t n = 0;
	for (size_t i = 0; i < w->c.n; i++)
		if (w->offline_to[i])
			fprintf(out, " %s", w->c.nodes[i].name), n++;
	fprintf(out, "%s\n",
		n                       ? ""
		: w->local_resources[0] ? " none (host= entries stay on their node)"
					: " none");
}
