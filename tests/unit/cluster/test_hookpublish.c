/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vfio-hook publishes the node's inventory after pre-start and post-stop,
 * only when it changed, and only the hook log hears of it: the task log's
 * last line stays the verdict, and a node without /etc/pve/nodes/NODE
 * starts its VMs as before.
 */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define INVENTORY "etc/pve/nodes/pve/vfiohelp-inventory.json"

static bool exists(const char *root, const char *rel)
{
	char path[4096];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	return stat(path, &st) == 0;
}

static size_t count(const char *text, const char *word)
{
	size_t n = 0;
	for (const char *p = text; (p = strstr(p, word)); p += strlen(word))
		n++;
	return n;
}

/* Runs a phase through the kernel stand-in: exit 0, the verdict the last
 * line of the task log, nothing of the inventory in it. */
static void hook(const char *root, const char *phase, const char *verdict)
{
	struct vh_test_proc p;
	vh_test_mock_hook(root, "100", phase, NULL, 60000, &p);
	assert_int_equal(p.status, 0);
	size_t len = strlen(p.out);
	while (len && p.out[len - 1] == '\n')
		p.out[--len] = '\0';
	const char *last = strrchr(p.out, '\n');
	assert_non_null(strstr(last ? last : p.out, verdict));
	assert_int_equal(count(p.out, "inventory"), 0);
	vh_test_proc_free(&p);
}

static void test_hook_publishes_when_changed(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	assert_false(exists(root, INVENTORY));
	hook(root, "pre-start", "start allowed");
	assert_true(exists(root, INVENTORY));
	assert_int_equal(count(vh_test_read(root, "var/log/vfiohelp/hook.log"),
			       "inventory published"),
			 1);
	char *first = strdup(vh_test_read(root, INVENTORY));
	assert_non_null(strstr(first, "\"node\":\"pve\""));
	/* the starting VM holds its GPU and the GPU's audio function */
	assert_int_equal(count(first, "\"held_by\":100"), 2);
	sleep(1); /* a new made_at, were it written again */
	hook(root, "pre-start", "start allowed");
	assert_string_equal(vh_test_read(root, INVENTORY), first);
	assert_int_equal(count(vh_test_read(root, "var/log/vfiohelp/hook.log"),
			       "inventory published"),
			 1);
	/* stopped: free again */
	hook(root, "post-stop", "post-stop VM 100: done");
	assert_int_equal(count(vh_test_read(root, INVENTORY), "\"held_by\""), 0);
	free(first);
	first = strdup(vh_test_read(root, INVENTORY));
	hook(root, "post-stop", "post-stop VM 100: done");
	assert_string_equal(vh_test_read(root, INVENTORY), first);
	assert_int_equal(count(vh_test_read(root, "var/log/vfiohelp/hook.log"),
			       "inventory published"),
			 2);
	/* the host changed (its command line): published again at the next phase */
	vh_test_write(root, "proc/cmdline", "BOOT_IMAGE=/boot/vmlinuz amd_iommu=on\n");
	hook(root, "post-stop", "post-stop VM 100: done");
	assert_string_not_equal(vh_test_read(root, INVENTORY), first);
	assert_int_equal(count(vh_test_read(root, "var/log/vfiohelp/hook.log"),
			       "inventory published"),
			 3);
	free(first);
	vh_test_scratch_free(root);
}

/* The digest kept in /run/vfiohelp: equal, and the inventory is not even
 * taken (a published file removed behind the hook's back stays removed);
 * a driver moved, and it is taken and published again. */
static void test_nothing_changed_takes_nothing(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("seed")), path[4200];
	hook(root, "pre-start", "start allowed");
	hook(root, "post-stop", "post-stop VM 100: done");
	assert_true(exists(root, "run/vfiohelp/inventory.sig"));
	snprintf(path, sizeof(path), "%s/%s", root, INVENTORY);
	assert_int_equal(unlink(path), 0);
	hook(root, "post-stop", "post-stop VM 100: done");
	assert_false(exists(root, INVENTORY));
	/* the NIC leaves r8169 for vfio-pci (its drivers/ entry moves) */
	char from[4200], to[4200];
	snprintf(from, sizeof(from), "%s/sys/bus/pci/drivers/r8169/0000:03:00.0", root);
	snprintf(to, sizeof(to), "%s/sys/bus/pci/drivers/vfio-pci/0000:03:00.0", root);
	assert_int_equal(rename(from, to), 0);
	hook(root, "post-stop", "post-stop VM 100: done");
	assert_true(exists(root, INVENTORY));
	vh_test_scratch_free(root);
}

/* A stop after a start with nothing else changed: the published inventory
 * is patched (the VM's devices free again), the bus is not read: a fact the
 * digest does not cover, changed meanwhile, is not in it; the next change
 * the digest sees reads the bus and brings it. */
static void test_start_stop_patches_without_reading_the_bus(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	hook(root, "pre-start", "start allowed");
	assert_int_equal(count(vh_test_read(root, INVENTORY), "\"held_by\":100"), 2);
	vh_test_write(root, "sys/bus/pci/devices/0000:04:00.0/reset_method", "bus\n");
	hook(root, "post-stop", "post-stop VM 100: done");
	const char *inv = vh_test_read(root, INVENTORY);
	assert_int_equal(count(inv, "\"held_by\""), 0);
	assert_int_equal(count(inv, "\"reset_methods\":\"bus\""), 0);
	vh_test_write(root, "proc/cmdline", "BOOT_IMAGE=/boot/vmlinuz amd_iommu=on\n");
	hook(root, "post-stop", "post-stop VM 100: done");
	assert_int_equal(count(vh_test_read(root, INVENTORY), "\"reset_methods\":\"bus\""), 1);
	vh_test_scratch_free(root);
}

/* A refused start holds nothing: VM 101 (i440fx with an NVIDIA GPU). */
static void test_refused_start_holds_nothing(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	struct vh_test_proc p;
	vh_test_mock_hook(root, "101", "pre-start", NULL, 60000, &p);
	assert_int_equal(p.status, 1);
	vh_test_proc_free(&p);
	assert_true(exists(root, INVENTORY));
	assert_int_equal(count(vh_test_read(root, INVENTORY), "\"held_by\""), 0);
	vh_test_scratch_free(root);
}

/* A node whose name has no directory under /etc/pve/nodes (not in a
 * cluster the way pmxcfs shows it): the VM starts, the hook log says why
 * nothing was published. */
static void test_node_without_pve_dir_starts_as_before(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	vh_test_write(root, "etc/hostname", "pve2\n");
	hook(root, "pre-start", "start allowed");
	assert_non_null(strstr(vh_test_read(root, "var/log/vfiohelp/hook.log"),
			       "inventory not published: /"));
	assert_false(exists(root, "etc/pve/nodes/pve2/vfiohelp-inventory.json"));
	vh_test_scratch_free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hook_publishes_when_changed),
		cmocka_unit_test(test_node_without_pve_dir_starts_as_before),
		cmocka_unit_test(test_nothing_changed_takes_nothing),
		cmocka_unit_test(test_refused_start_holds_nothing),
		cmocka_unit_test(test_start_stop_patches_without_reading_the_bus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
