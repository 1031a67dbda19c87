/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The policy file: defaults, global and per-VM values, and refusals that
 * name the file and the position. */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

static struct vh_policy *load(const char *dir, const char *json, struct vh_err *e)
{
	vh_test_write(dir, "policy.json", json);
	char path[4096];
	snprintf(path, sizeof(path), "%s/policy.json", dir);
	struct vh_host *h = vh_host_new(dir, e);
	assert_non_null(h);
	struct vh_policy *p = vh_policy_load(h, path, e);
	vh_host_free(h);
	return p;
}

static void test_defaults_without_file(void **state)
{
	(void)state;
	char *dir = vh_test_scratch_empty();
	struct vh_err e;
	struct vh_host *h = vh_host_new(dir, &e);
	struct vh_policy *p = vh_policy_load(h, NULL, &e); /* no /etc/pve/vfiohelp.json */
	assert_non_null(p);
	assert_int_equal(vh_policy_post_stop(p, 100), VH_POST_STOP_KEEP);
	assert_true(vh_policy_reset(p, 100));
	assert_int_equal(vh_policy_severity(p, 100, "boot-vga", VH_SEV_WARN), VH_SEV_WARN);
	vh_policy_free(p);
	/* a named file that is missing is an error */
	assert_null(vh_policy_load(h, "/nonexistent/policy.json", &e));
	assert_contains(e.msg, "/nonexistent/policy.json");
	vh_host_free(h);
	vh_test_scratch_free(dir);
}

static void test_global_and_per_vm(void **state)
{
	(void)state;
	char *dir = vh_test_scratch_empty();
	struct vh_err e;
	struct vh_policy *p =
		load(dir,
		     "{\"severity\": {\"boot-vga\": \"error\", \"balloon-enabled\": \"off\"},\n"
		     " \"post_stop\": \"reset\", \"timeout_ms\": 2500,\n"
		     " \"vms\": {\"100\": {\"post_stop\": \"return\", \"reset\": false,\n"
		     "                   \"severity\": {\"boot-vga\": \"info\"}}}}\n",
		     &e);
	assert_non_null(p);
	assert_int_equal(vh_policy_post_stop(p, 100), VH_POST_STOP_RETURN);
	assert_int_equal(vh_policy_post_stop(p, 101), VH_POST_STOP_RESET);
	assert_false(vh_policy_reset(p, 100));
	assert_true(vh_policy_reset(p, 101));
	assert_int_equal(vh_policy_timeout_ms(p, 100), 2500);
	assert_int_equal(vh_policy_severity(p, 100, "boot-vga", VH_SEV_WARN), VH_SEV_INFO);
	assert_int_equal(vh_policy_severity(p, 101, "boot-vga", VH_SEV_WARN), VH_SEV_ERROR);
	assert_int_equal(vh_policy_severity(p, 101, "balloon-enabled", VH_SEV_WARN), VH_SEV_OFF);
	assert_int_equal(vh_policy_severity(p, 101, "pcie-off", VH_SEV_WARN), VH_SEV_WARN);
	vh_policy_free(p);
	vh_test_scratch_free(dir);
}

static void refused(const char *json, const char *why)
{
	char *dir = vh_test_scratch_empty();
	struct vh_err e;
	struct vh_policy *p = load(dir, json, &e);
	if (p)
		fail_msg("policy should be refused: %s", json);
	assert_contains(e.msg, "policy.json");
	assert_contains(e.msg, why);
	vh_test_scratch_free(dir);
}

static void test_refusals(void **state)
{
	(void)state;
	refused("{\"post_stop\": \"keep\",\n \"reset\": tru }", ":2:");
	refused("{\"post_stop\": \"keep\"", "end of file");
	refused("{} {}", "text after");
	refused("[]", "must be a JSON object");
	refused("{\"post_stop\": \"give-back\"}", "keep, reset or return");
	refused("{\"postStop\": \"keep\"}", "unknown key 'postStop'");
	refused("{\"severity\": {\"boot-vga\": \"fatal\"}}", "error, warn, info or off");
	refused("{\"vms\": {\"abc\": {}}}", "not a VMID");
	refused("{\"vms\": {\"100\": {\"vms\": {}}}}", "unknown key 'vms'");
	refused("{\"timeout_ms\": 5}", "timeout_ms");
	refused("{\"reset\": \"yes\"}", "true or false");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_without_file),
		cmocka_unit_test(test_global_and_per_vm),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
