/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hookctl check and vfio-hook as an admin meets them on hosts that are not
 * what they expect: a machine that is not a Proxmox VE node, a VMID this
 * node does not have.
 */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

/* A tree with no /etc/pve is no Proxmox node: check cannot run (exit 2),
 * it does not judge a start it cannot see. */
static void test_check_on_a_host_that_is_not_a_node(void **state)
{
	(void)state;
	char *root = vh_test_scratch_empty();
	const char *argv[] = { VH_HOOKCTL, "check", "100", "--root", root, NULL };
	char *out, *err;
	assert_int_equal(vh_test_run(argv, &out, &err), 2);
	assert_string_equal(out, "");
	assert_contains(err, "hookctl check: this host is not a Proxmox VE node:");
	assert_contains(err, "/etc/pve does not exist");
	assert_not_contains(err, "BLOCKED");
	free(out);
	free(err);
	const char *json[] = { VH_HOOKCTL, "check", "100", "--root", root, "--json", NULL };
	assert_int_equal(vh_test_run(json, &out, NULL), 2);
	assert_string_equal(out, "");
	free(out);
	vh_test_scratch_free(root);
}

/* A VMID the node lacks is named as such, with no config line to correct;
 * the start is still blocked, by the hook as by check. */
static void test_vm_not_on_this_node(void **state)
{
	(void)state;
	const char *argv[] = { VH_HOOKCTL, "check", "999", "--root", vh_test_host("seed"), NULL };
	char *out;
	assert_int_equal(vh_test_run(argv, &out, NULL), 1);
	assert_contains(out, "vm-config: no VM 999 on node pve (no /etc/pve/qemu-server/999.conf)");
	assert_contains(out, "fix: qm list");
	assert_not_contains(out, "correct the line");
	free(out);
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	const char *hook[] = { VH_VFIO_HOOK, "--root", root, "999", "pre-start", NULL };
	assert_int_not_equal(vh_test_run(hook, &out, NULL), 0);
	assert_contains(out, "no VM 999 on node pve");
	free(out);
	vh_test_scratch_free(root);
}

/* A config that exists but that Proxmox could not parse keeps its fix. */
static void test_unparsable_config_names_the_line(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	vh_test_write(root, "etc/pve/qemu-server/150.conf", "memory: lots\n");
	const char *argv[] = { VH_HOOKCTL, "check", "150", "--root", root, NULL };
	char *out;
	assert_int_equal(vh_test_run(argv, &out, NULL), 1);
	assert_contains(out, "150.conf");
	assert_contains(out, "fix: qm config 150   # then correct the line named");
	free(out);
	vh_test_scratch_free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_on_a_host_that_is_not_a_node),
		cmocka_unit_test(test_vm_not_on_this_node),
		cmocka_unit_test(test_unparsable_config_names_the_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
