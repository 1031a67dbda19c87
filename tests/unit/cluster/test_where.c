/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hookctl where on a cluster laid out as files: the seed host is node "pve";
 * the other nodes' inventories are the seed's own, changed the way another
 * node's hardware differs. (tests/cluster/ runs the same against the real
 * pmxcfs.)
 *
 *   pve2  the same hardware                  -> can-start
 *   pve3  the GPU at 02:00, the NVMe at 01:00 -> cannot-start (device-differs)
 *   pve4  the NVMe in the GPU's IOMMU group  -> cannot-start (group-not-isolated)
 *   pve5  no GPU                             -> cannot-start (device-missing)
 *   pve6  no inventory                       -> unknown
 */
#include "testlib.h"

#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

static char *root;

static json_object *seed_inventory(void)
{
	struct vh_err err;
	struct vh_host *h = vh_host_new(root, &err);
	struct vh_inventory *inv = vh_inventory_take(h, &err);
	assert_non_null(inv);
	json_object *o = vh_inventory_to_json(inv);
	vh_inventory_free(inv);
	vh_host_free(h);
	return o;
}

static const char *str(json_object *o, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

static void set_str(json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, json_object_new_string(v));
}

/* Moves, regroups or drops functions of an inventory. */
static void edit_functions(json_object *inv, void (*fn)(json_object *f, bool *drop))
{
	json_object *fs, *kept = json_object_new_array();
	assert_true(json_object_object_get_ex(inv, "functions", &fs));
	for (size_t i = 0; i < json_object_array_length(fs); i++) {
		json_object *f = json_object_array_get_idx(fs, i);
		bool drop = false;
		fn(f, &drop);
		if (!drop)
			json_object_array_add(kept, json_object_get(f));
	}
	json_object_object_add(inv, "functions", kept);
}

static void swap_gpu_and_nvme(json_object *f, bool *drop)
{
	(void)drop;
	const char *a = str(f, "address");
	if (!strncmp(a, "0000:01:00.", 11)) {
		char moved[16];
		snprintf(moved, sizeof(moved), "0000:02:00.%c", a[11]);
		set_str(f, "address", moved);
	} else if (!strcmp(a, "0000:02:00.0")) {
		set_str(f, "address", "0000:01:00.0");
	}
}

static void nvme_into_gpu_group(json_object *f, bool *drop)
{
	(void)drop;
	if (!strcmp(str(f, "address"), "0000:02:00.0"))
		json_object_object_add(f, "iommu_group", json_object_new_int(12));
}

static void no_gpu(json_object *f, bool *drop)
{
	*drop = !strncmp(str(f, "address"), "0000:01:00.", 11);
}

static void publish_as(const char *node, void (*edit)(json_object *f, bool *drop))
{
	char rel[256];
	json_object *inv = seed_inventory();
	set_str(inv, "node", node);
	if (edit)
		edit_functions(inv, edit);
	snprintf(rel, sizeof(rel), "etc/pve/nodes/%s/vfiohelp-inventory.json", node);
	vh_test_write(root, rel, json_object_to_json_string_ext(inv, JSON_C_TO_STRING_PLAIN));
	json_object_put(inv);
}

static int setup(void **state)
{
	(void)state;
	root = vh_test_scratch_copy(vh_test_host("seed"));
	publish_as("pve2", NULL);
	publish_as("pve3", swap_gpu_and_nvme);
	publish_as("pve4", nvme_into_gpu_group);
	publish_as("pve5", no_gpu);
	vh_test_write(root, "etc/pve/nodes/pve6/lrm_status", "{}\n");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vh_test_scratch_free(root);
	return 0;
}

static json_object *where(unsigned vmid, int *status)
{
	struct vh_err err;
	struct vh_host *h = vh_host_new(root, &err);
	struct vh_where *w = vh_where_judge(h, vmid, NULL, &err);
	if (!w)
		fail_msg("where %u: %s", vmid, err.msg);
	json_object *o = vh_where_to_json(w);
	if (status)
		*status = vh_where_status(w);
	vh_where_free(w);
	vh_host_free(h);
	return o;
}

static json_object *node_of(json_object *o, const char *name)
{
	json_object *nodes;
	assert_true(json_object_object_get_ex(o, "nodes", &nodes));
	for (size_t i = 0; i < json_object_array_length(nodes); i++)
		if (!strcmp(str(json_object_array_get_idx(nodes, i), "node"), name))
			return json_object_array_get_idx(nodes, i);
	fail_msg("no node %s", name);
	return NULL;
}

/* "id id ..." of a findings array. */
static const char *ids(json_object *holder)
{
	static char buf[1024];
	json_object *fs;
	size_t used = 0;
	buf[0] = '\0';
	if (!json_object_object_get_ex(holder, "findings", &fs))
		return buf;
	for (size_t i = 0; i < json_object_array_length(fs); i++) {
		const char *id = str(json_object_array_get_idx(fs, i), "id");
		used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s%s@%s", used ? " " : "",
					 id, str(json_object_array_get_idx(fs, i), "subject"));
	}
	return buf;
}

static void assert_verdict(json_object *o, const char *node, const char *verdict)
{
	const char *v = str(node_of(o, node), "verdict");
	if (strcmp(v, verdict))
		fail_msg("%s: %s, expected %s (%s)", node, v, verdict, ids(node_of(o, node)));
}

static void test_each_node_judged_from_its_inventory(void **state)
{
	(void)state;
	int status;
	json_object *o = where(100, &status);
	assert_string_equal(str(o, "owner"), "pve");
	assert_verdict(o, "pve", "can-start");
	assert_verdict(o, "pve2", "can-start");
	assert_verdict(o, "pve3", "cannot-start");
	assert_non_null(strstr(ids(node_of(o, "pve3")), "device-differs@hostpci0"));
	json_object *f, *fs;
	json_object_object_get_ex(node_of(o, "pve3"), "findings", &fs);
	f = json_object_array_get_idx(fs, 0);
	assert_non_null(strstr(str(f, "message"), "pve3 has that card at 0000:02:00.0"));
	assert_verdict(o, "pve4", "cannot-start");
	assert_non_null(strstr(ids(node_of(o, "pve4")), "group-not-isolated"));
	assert_verdict(o, "pve5", "cannot-start");
	assert_non_null(strstr(ids(node_of(o, "pve5")), "device-missing"));
	assert_verdict(o, "pve6", "unknown");
	assert_string_equal(ids(node_of(o, "pve6")), "inventory-missing@pve6");
	/* an inventory's age; none for a node without one */
	json_object *age;
	assert_true(json_object_object_get_ex(node_of(o, "pve2"), "inventory_age_s", &age));
	assert_true(json_object_is_type(age, json_type_int));
	assert_true(json_object_object_get_ex(node_of(o, "pve6"), "inventory_age_s", &age));
	assert_null(age);
	assert_int_equal(status, 0); /* pve2 can */
	json_object_put(o);
}

/* The local node is judged from its live host: exactly check's findings. */
static void test_local_verdict_is_checks(void **state)
{
	(void)state;
	unsigned vmids[] = { 100, 101, 102, 103, 104, 105, 106, 107 };
	for (size_t i = 0; i < VH_ARRAY_SIZE(vmids); i++) {
		struct vh_err err;
		struct vh_host *h = vh_host_new(root, &err);
		struct vh_report *r = vh_evaluate(h, vmids[i], NULL, &err);
		json_object *c = vh_report_to_json(r), *o = where(vmids[i], NULL);
		char want[1024];
		snprintf(want, sizeof(want), "%s", ids(c));
		assert_string_equal(ids(node_of(o, "pve")), want);
		assert_string_equal(str(node_of(o, "pve"), "verdict"),
				    vh_report_blocks(r) ? "cannot-start" : "can-start");
		json_object_put(c);
		json_object_put(o);
		vh_report_free(r);
		vh_host_free(h);
	}
}

/* No node has its config: nothing to judge (hookctl where exits 2). */
static void test_vm_on_no_node(void **state)
{
	(void)state;
	struct vh_err err;
	struct vh_host *h = vh_host_new(root, &err);
	assert_null(vh_where_judge(h, 999, NULL, &err));
	assert_int_equal(err.code, ENOENT);
	assert_non_null(strstr(err.msg, "VM 999 has no config"));
	vh_host_free(h);
}

static void test_none_elsewhere_is_status_1(void **state)
{
	(void)state;
	char *saved = strdup(vh_test_read(root, "etc/pve/nodes/pve2/vfiohelp-inventory.json"));
	publish_as("pve2", no_gpu);
	int status;
	json_object *o = where(100, &status);
	assert_verdict(o, "pve2", "cannot-start");
	assert_int_equal(status, 1);
	json_object_put(o);
	vh_test_write(root, "etc/pve/nodes/pve2/vfiohelp-inventory.json", saved);
	free(saved);
}

/* A migration renames the config into another node's directory. */
static void test_vm_that_moved(void **state)
{
	(void)state;
	char from[4096], to[4096];
	snprintf(from, sizeof(from), "%s/etc/pve/nodes/pve/qemu-server/100.conf", root);
	vh_test_write(root, "etc/pve/nodes/pve2/qemu-server/.keep", "");
	snprintf(to, sizeof(to), "%s/etc/pve/nodes/pve2/qemu-server/100.conf", root);
	assert_int_equal(rename(from, to), 0);
	int status;
	json_object *o = where(100, &status);
	assert_string_equal(str(o, "owner"), "pve2");
	assert_verdict(o, "pve", "can-start"); /* read from pve2's directory */
	assert_verdict(o, "pve2", "can-start");
	assert_int_equal(status, 0);
	json_object_put(o);
	assert_int_equal(rename(to, from), 0);
}

static const char *ha_ids(json_object *o)
{
	json_object *ha;
	assert_true(json_object_object_get_ex(o, "ha", &ha));
	return ids(ha);
}

static const char *allowed(json_object *o)
{
	static char buf[256];
	json_object *ha, *a;
	size_t used = 0;
	buf[0] = '\0';
	assert_true(json_object_object_get_ex(o, "ha", &ha));
	assert_true(json_object_object_get_ex(ha, "allowed_nodes", &a));
	for (size_t i = 0; i < json_object_array_length(a); i++)
		used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s%s", used ? " " : "",
					 json_object_get_string(json_object_array_get_idx(a, i)));
	return buf;
}

static void ha_files(const char *resources, const char *groups, const char *rules)
{
	vh_test_write(root, "etc/pve/ha/resources.cfg", resources);
	vh_test_write(root, "etc/pve/ha/groups.cfg", groups ? groups : "");
	vh_test_write(root, "etc/pve/ha/rules.cfg", rules ? rules : "");
}

static void test_ha_groups_pve8(void **state)
{
	(void)state;
	const char *res = "vm: 100\n\tgroup gpu\n\tstate started\n";
	ha_files(res, "group: gpu\n\tnodes pve:2,pve2\n\trestricted 1\n", NULL);
	json_object *o = where(100, NULL);
	assert_string_equal(allowed(o), "pve pve2");
	assert_string_equal(ha_ids(o), "");
	json_object_put(o);
	/* unrestricted: any node once pve and pve2 are down */
	ha_files(res, "group: gpu\n\tnodes pve:2,pve2\n", NULL);
	o = where(100, NULL);
	assert_string_equal(allowed(o), "pve pve2 pve3 pve4 pve5 pve6");
	assert_string_equal(ha_ids(o), "ha-target-cannot-start@pve3 ha-target-cannot-start@pve4 "
				       "ha-target-cannot-start@pve5");
	json_object_put(o);
	/* a restricted group naming a node where it cannot start */
	ha_files(res, "group: gpu\n\tnodes pve,pve4\n\trestricted 1\n", NULL);
	o = where(100, NULL);
	assert_string_equal(ha_ids(o), "ha-target-cannot-start@pve4");
	json_object_put(o);
	/* not managed: ignored, or not listed */
	ha_files("vm: 100\n\tstate ignored\n", "group: gpu\n\tnodes pve\n", NULL);
	o = where(100, NULL);
	assert_string_equal(allowed(o), "");
	assert_string_equal(ha_ids(o), "");
	json_object_put(o);
	ha_files("vm: 1000\n\tgroup gpu\n", "group: gpu\n\tnodes pve\n", NULL);
	o = where(100, NULL);
	assert_string_equal(ha_ids(o), "");
	json_object_put(o);
}

static void test_ha_rules_pve9(void **state)
{
	(void)state;
	const char *res = "vm: 100\n\tstate started\n";
	ha_files(res, NULL,
		 "node-affinity: gpu\n\tnodes pve,pve3\n\tresources vm:100\n\tstrict 1\n");
	json_object *o = where(100, NULL);
	assert_string_equal(allowed(o), "pve pve3");
	assert_string_equal(ha_ids(o), "ha-target-cannot-start@pve3");
	json_object_put(o);
	/* non-strict (the default): any node when pve and pve3 are down */
	ha_files(res, NULL, "node-affinity: gpu\n\tnodes pve,pve2\n\tresources vm:100,vm:101\n");
	o = where(100, NULL);
	assert_string_equal(allowed(o), "pve pve2 pve3 pve4 pve5 pve6");
	assert_string_equal(ha_ids(o), "ha-target-cannot-start@pve3 ha-target-cannot-start@pve4 "
				       "ha-target-cannot-start@pve5");
	json_object_put(o);
	/* a disabled rule is no rule; a negative one names the nodes to avoid */
	ha_files(res, NULL,
		 "node-affinity: gpu\n\tnodes pve\n\tresources vm:100\n\tstrict 1\n\tdisable 1\n");
	o = where(100, NULL);
	assert_string_equal(allowed(o), "pve pve2 pve3 pve4 pve5 pve6");
	json_object_put(o);
	ha_files(res, NULL,
		 "node-affinity: gpu\n\tnodes pve3,pve4,pve5\n\tresources vm:100\n\tstrict 1\n"
		 "\taffinity negative\n");
	o = where(100, NULL);
	assert_string_equal(allowed(o), "pve pve2 pve6");
	assert_string_equal(ha_ids(o), "");
	json_object_put(o);
	ha_files("", NULL, NULL);
}

/* VM 102: hostpci0 mapping=rtx4060, with maps for pve and pve2 only. */
static void test_mapping_some_nodes(void **state)
{
	(void)state;
	const char *pci = "rtx4060\n"
			  "\tmap node=pve,path=0000:01:00,id=10de:2803,subsystem-id=1043:88a1,"
			  "iommugroup=12\n"
			  "\tmap node=pve2,path=0000:01:00,id=10de:2803,subsystem-id=1043:88a1,"
			  "iommugroup=12\n";
	vh_test_write(root, "etc/pve/mapping/pci.cfg", pci);
	json_object *o = where(102, NULL), *m, *v;
	assert_verdict(o, "pve", "can-start");
	assert_verdict(o, "pve2", "can-start");
	assert_verdict(o, "pve3", "cannot-start");
	assert_non_null(strstr(ids(node_of(o, "pve3")), "mapping-unresolved"));
	assert_true(json_object_object_get_ex(o, "migration", &m));
	assert_true(json_object_object_get_ex(m, "live", &v));
	assert_false(json_object_get_boolean(v)); /* not live-migration-capable */
	assert_true(json_object_object_get_ex(m, "offline_nodes", &v));
	assert_string_equal(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN),
			    "[\"pve2\"]");
	json_object_put(o);
	/* HA restricted to pve and pve3: pve2's device is never used */
	ha_files("vm: 102\n", NULL,
		 "node-affinity: gpu\n\tnodes pve,pve3\n\tresources vm:102\n"
		 "\tstrict 1\n");
	o = where(102, NULL);
	assert_string_equal(ha_ids(o), "ha-target-cannot-start@pve3 ha-mapping-uncovered@pve2");
	json_object_put(o);
	ha_files("", NULL, NULL);
	/* live-migration-capable: Proxmox migrates it live */
	char capable[1024];
	snprintf(capable, sizeof(capable), "%s\tlive-migration-capable 1\n", pci);
	vh_test_write(root, "etc/pve/mapping/pci.cfg", capable);
	o = where(102, NULL);
	assert_true(json_object_object_get_ex(o, "migration", &m));
	assert_true(json_object_object_get_ex(m, "live", &v));
	assert_true(json_object_get_boolean(v));
	json_object_put(o);
	/* a host= entry is a local resource: no migration at all */
	o = where(100, NULL);
	assert_true(json_object_object_get_ex(o, "migration", &m));
	assert_string_equal(str(m, "local_resources"), "hostpci0");
	assert_true(json_object_object_get_ex(m, "offline_nodes", &v));
	assert_int_equal(json_object_array_length(v), 0);
	json_object_put(o);
}

/* .members: online only while quorate. */
static void test_members_trusted_only_while_quorate(void **state)
{
	(void)state;
#define MEMBERS(q)                                                                                \
	"{\"nodename\": \"pve\", \"version\": 5, \"cluster\": {\"name\": \"c\", \"version\": 3, " \
	"\"nodes\": 3, \"quorate\": " q "}, \"nodelist\": {\"pve\": {\"id\": 1, \"online\": 1, "  \
	"\"ip\": \"10.0.0.1\"}, \"pve2\": {\"id\": 2, \"online\": 0, \"ip\": \"10.0.0.2\"}, "     \
	"\"pve3\": {\"id\": 3, \"online\": 1, \"ip\": \"10.0.0.3\"}}}\n"
	char text[1024];
	json_object *on;
	snprintf(text, sizeof(text), "%s", MEMBERS("1"));
	vh_test_write(root, "etc/pve/.members", text);
	json_object *o = where(100, NULL);
	assert_true(json_object_get_boolean(json_object_object_get(o, "quorate")));
	/* the nodelist is the cluster: pve4..pve6's directories are leftovers */
	assert_int_equal(json_object_array_length(json_object_object_get(o, "nodes")), 3);
	assert_true(json_object_object_get_ex(node_of(o, "pve2"), "online", &on));
	assert_false(json_object_get_boolean(on));
	assert_true(json_object_get_boolean(json_object_object_get(node_of(o, "pve3"), "online")));
	json_object_put(o);
	snprintf(text, sizeof(text), "%s", MEMBERS("0"));
	vh_test_write(root, "etc/pve/.members", text);
	o = where(100, NULL);
	assert_false(json_object_get_boolean(json_object_object_get(o, "quorate")));
	assert_null(json_object_object_get(node_of(o, "pve3"), "online")); /* stale: unknown */
	assert_true(json_object_get_boolean(json_object_object_get(node_of(o, "pve"), "online")));
	json_object_put(o);
	char path[4096];
	snprintf(path, sizeof(path), "%s/etc/pve/.members", root);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_node_judged_from_its_inventory),
		cmocka_unit_test(test_local_verdict_is_checks),
		cmocka_unit_test(test_vm_on_no_node),
		cmocka_unit_test(test_none_elsewhere_is_status_1),
		cmocka_unit_test(test_vm_that_moved),
		cmocka_unit_test(test_ha_groups_pve8),
		cmocka_unit_test(test_ha_rules_pve9),
		cmocka_unit_test(test_mapping_some_nodes),
		cmocka_unit_test(test_members_trusted_only_while_quorate),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
