/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The inventory as the second back end of the host model: a VM judged from
 * a node's published facts gets the verdict and the findings it gets from
 * the host's files, on every committed host tree and every VM in it. The
 * checks that read node files the inventory does not carry (the module
 * index, modprobe.d, /usr/share/kvm) are named below; they are left
 * unjudged on another node, never guessed. MemAvailable is carried rounded
 * down to a GiB: no VM of the trees sits that close to it.
 */
#include "testlib.h"

#include "internal.h"
#include "cluster/inventory.h"
#include "host/facts.h"
#include "host/host.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

/* Read from node files outside /etc/pve that an inventory does not carry. */
static const char *const node_file_findings[] = {
	"module-unknown",              /* /etc/modules against the kernel's module index */
	"host-driver-not-blacklisted", /* libkmod: modalias -> drivers, modprobe.d */
	"vfio-ids-host-device",        /* modprobe.d ids= */
	"romfile-missing",             /* /usr/share/kvm: unjudged on another node */
	"romfile-invalid",             /* the same file's content */
	"romfile-mismatch",
};

static bool node_file_finding(const char *id)
{
	for (size_t i = 0; i < VH_ARRAY_SIZE(node_file_findings); i++)
		if (!strcmp(id, node_file_findings[i]))
			return true;
	return false;
}

/* "id@subject id@subject ..." of the findings judged from what both back
 * ends know. */
static void finding_list(const struct vh_report *r, char *buf, size_t size, bool all)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < r->n_findings; i++)
		if (all || !node_file_finding(r->findings[i].id))
			used += (size_t)snprintf(buf + used, size - used, "%s%s@%s:%s",
						 used ? " " : "", r->findings[i].id,
						 r->findings[i].subject,
						 vh_severity_name(r->findings[i].severity));
}

/* The tree's facts through their JSON, as another node reads them. */
static struct vh_host *facts_host(const char *root)
{
	struct vh_err err;
	struct vh_host *live = vh_host_new(root, &err);
	assert_non_null(live);
	struct vh_inventory *inv = vh_inventory_take(live, &err);
	if (!inv)
		fail_msg("%s: %s", root, err.msg);
	json_object *o = vh_inventory_to_json(inv);
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	struct vh_facts *f = vh_facts_parse(text, strlen(text), root, &err);
	if (!f)
		fail_msg("%s: %s", root, err.msg);
	json_object_put(o);
	vh_inventory_free(inv);
	vh_host_free(live);
	struct vh_host *h = vh_host_new(root, &err);
	vh_host_use_facts(h, f);
	return h;
}

static void judge_tree_both_ways(const char *tree, size_t *judged)
{
	char dir[PATH_MAX];
	const char *root = vh_test_host(tree);
	snprintf(dir, sizeof(dir), "%s/etc/pve/qemu-server", root);
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct vh_err err;
	struct vh_host *live = vh_host_new(root, &err), *inv = facts_host(root);
	struct dirent *e;
	while ((e = readdir(d))) {
		unsigned vmid;
		if (vh_vmid_file(e->d_name, ".conf", &vmid) < 0)
			continue;
		struct vh_report *a = vh_evaluate(live, vmid, NULL, &err);
		struct vh_report *b = vh_evaluate(inv, vmid, NULL, &err);
		assert_non_null(a);
		assert_non_null(b);
		char la[8192], lb[8192];
		finding_list(a, la, sizeof(la), false);
		finding_list(b, lb, sizeof(lb), false);
		/* the severities are in the lists: equal lists, equal verdicts */
		bool same = !strcmp(la, lb);
		finding_list(a, la, sizeof(la), true);
		finding_list(b, lb, sizeof(lb), true);
		if (!same)
			fail_msg("%s VM %u:\n  host files: %s\n  inventory:  %s", tree, vmid, la,
				 lb);
		vh_report_free(a);
		vh_report_free(b);
		(*judged)++;
	}
	closedir(d);
	vh_host_free(live);
	vh_host_free(inv);
}

static void test_inventory_judges_as_the_host(void **state)
{
	(void)state;
	size_t judged = 0;
	DIR *d = opendir(vh_test_host(""));
	assert_non_null(d);
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			judge_tree_both_ways(e->d_name, &judged);
	closedir(d);
	assert_true(judged >= 40); /* every VM of every committed tree */
}

static bool has_finding(const struct vh_report *r, const char *id)
{
	for (size_t i = 0; i < r->n_findings; i++)
		if (!strcmp(r->findings[i].id, id))
			return true;
	return false;
}

/* driver=keep on a vfio variant driver (a vfio-dev/ directory in sysfs):
 * the inventory carries it, so another node's keep-not-vfio is the same
 * as the node's own, with the directory and without. */
static void test_vfio_variant_carried(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("health")), link[4200], dir[4200];
	/* through the bus's link to the device's directory */
	snprintf(link, sizeof(link), "%s/sys/bus/pci/devices/0000:07:00.0/driver", root);
	snprintf(dir, sizeof(dir), "%s/sys/bus/pci/devices/0000:07:00.0/vfio-dev", root);
	assert_int_equal(unlink(link), 0);
	assert_int_equal(symlink("../../../../bus/pci/drivers/mlx5_vfio_pci", link), 0);
	for (int with_dir = 0; with_dir < 2; with_dir++) {
		if (with_dir)
			assert_int_equal(mkdir(dir, 0755), 0);
		struct vh_err err;
		struct vh_host *live = vh_host_new(root, &err), *inv = facts_host(root);
		struct vh_report *a = vh_evaluate(live, 120, NULL, &err);
		struct vh_report *b = vh_evaluate(inv, 120, NULL, &err);
		assert_int_equal(has_finding(a, "keep-not-vfio"), !with_dir);
		assert_int_equal(has_finding(b, "keep-not-vfio"), !with_dir);
		vh_report_free(a);
		vh_report_free(b);
		vh_host_free(live);
		vh_host_free(inv);
	}
	vh_test_scratch_free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inventory_judges_as_the_host),
		cmocka_unit_test(test_vfio_variant_carried),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
