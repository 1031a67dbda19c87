/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Publishing to /etc/pve/nodes/NODE/ (cluster/publish.c) on a plain tree;
 * tests/cluster/ does the same against the real pmxcfs (no quorum there).
 */
#include "testlib.h"

#include "internal.h"
#include "cluster/inventory.h"
#include "host/facts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define INVENTORY "etc/pve/nodes/pve/vfiohelp-inventory.json"

static struct vh_inventory *seed_inventory(struct vh_host *h)
{
	struct vh_err err;
	struct vh_inventory *inv = vh_inventory_take(h, &err);
	if (!inv)
		fail_msg("%s", err.msg);
	return inv;
}

static bool exists(const char *root, const char *rel)
{
	char path[4096];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	return stat(path, &st) == 0;
}

static void test_written_once_then_unchanged(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	struct vh_err err;
	struct vh_host *h = vh_host_new(root, &err);
	struct vh_inventory *inv = seed_inventory(h);
	enum vh_publish res;
	assert_int_equal(vh_inventory_publish(h, inv, &res, &err), 0);
	assert_int_equal(res, VH_PUBLISHED);
	char *first = strdup(vh_test_read(root, INVENTORY));
	/* a later inventory of the same host: another made_at, nothing written */
	inv->facts->made_at += 100;
	assert_int_equal(vh_inventory_publish(h, inv, &res, &err), 0);
	assert_int_equal(res, VH_PUBLISH_UNCHANGED);
	assert_string_equal(vh_test_read(root, INVENTORY), first);
	/* a changed fact: written again, made_at with it */
	inv->facts->devices[0].held_by = 4242;
	assert_int_equal(vh_inventory_publish(h, inv, &res, &err), 0);
	assert_int_equal(res, VH_PUBLISHED);
	assert_non_null(strstr(vh_test_read(root, INVENTORY), "\"held_by\":4242"));
	/* a file that is not an inventory is replaced */
	vh_test_write(root, INVENTORY, "not json\n");
	assert_int_equal(vh_inventory_publish(h, inv, &res, &err), 0);
	assert_int_equal(res, VH_PUBLISHED);
	free(first);
	vh_inventory_free(inv);
	vh_host_free(h);
	vh_test_scratch_free(root);
}

/* pmxcfs keeps at most 1 MiB a file (EFBIG, and the file cut): an
 * inventory over that is not written at all. */
static void test_over_one_mib_refused(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	struct vh_err err;
	struct vh_host *h = vh_host_new(root, &err);
	struct vh_inventory *inv = seed_inventory(h);
	struct vh_facts *f = inv->facts;
	/* 6000 functions like the GPU: about 200 bytes each */
	struct vh_fact_device *more = calloc(6000, sizeof(*more));
	assert_non_null(more);
	for (size_t i = 0; i < 6000; i++) {
		more[i].dev = f->devices[6].dev;
		more[i].dev.addr.bus = (uint8_t)(0x80 + i / 256);
		more[i].dev.addr.dev = (uint8_t)((i % 256) / 8);
		more[i].dev.addr.func = (uint8_t)(i % 8);
		vh_pci_addr_format(&more[i].dev.addr, more[i].dev.name);
		more[i].answers = true;
	}
	struct vh_fact_device *saved = f->devices;
	size_t saved_n = f->n_devices;
	f->devices = more;
	f->n_devices = 6000;
	enum vh_publish res;
	assert_int_equal(vh_inventory_publish(h, inv, &res, &err), -1);
	assert_int_equal(err.code, EFBIG);
	assert_non_null(strstr(err.msg, "over pmxcfs's limit"));
	assert_false(exists(root, INVENTORY));
	/* the same host at its own size is published */
	f->devices = saved;
	f->n_devices = saved_n;
	free(more);
	assert_int_equal(vh_inventory_publish(h, inv, &res, &err), 0);
	assert_int_equal(res, VH_PUBLISHED);
	vh_inventory_free(inv);
	vh_host_free(h);
	vh_test_scratch_free(root);
}

/* No directory for this node: pmxcfs is not mounted, or the name is not
 * the cluster's; said, never created. */
static void test_no_node_directory(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	vh_test_write(root, "etc/hostname", "elsewhere\n");
	struct vh_err err;
	struct vh_host *h = vh_host_new(root, &err);
	struct vh_inventory *inv = seed_inventory(h);
	enum vh_publish res;
	assert_int_equal(vh_inventory_publish(h, inv, &res, &err), -1);
	assert_int_equal(err.code, ENOENT);
	assert_non_null(strstr(err.msg, "/etc/pve/nodes/elsewhere does not exist"));
	assert_false(exists(root, "etc/pve/nodes/elsewhere"));
	vh_inventory_free(inv);
	vh_host_free(h);
	vh_test_scratch_free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_written_once_then_unchanged),
		cmocka_unit_test(test_over_one_mib_refused),
		cmocka_unit_test(test_no_node_directory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
