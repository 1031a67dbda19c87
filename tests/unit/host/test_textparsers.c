/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The text-level entry points of the parsers (the fuzz harnesses' way in):
 * each reads exactly text[0..len) and agrees with its loader on the host
 * trees. And /proc/cmdline is read whole: a parameter past byte 511 of a
 * long Proxmox command line is seen.
 */
#include "testlib.h"

#include "host/iommu.h"
#include "host/system.h"
#include "pve/ownership.h"
#include "host/kmods.h"
#include "pve/mapping.h"
#include "eval/policy.h"
#include "pve/tasklog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- /proc/cmdline, read whole ---- */

/* A Proxmox-like command line of `len` bytes that ends in `last`. */
static char *long_cmdline(size_t len, const char *last)
{
	char *s = malloc(len + 2);
	assert_non_null(s);
	strcpy(s, "BOOT_IMAGE=/boot/vmlinuz-6.8.12-10-pve root=/dev/mapper/pve-root ro quiet");
	size_t tail = 1 + strlen(last); /* " last" */
	while (strlen(s) + strlen(" vfio_pci.disable_vga=1") + tail <= len)
		strcat(s, " vfio_pci.disable_vga=1");
	size_t room = len - tail - strlen(s);
	if (room)
		strcat(s, " ");
	for (size_t i = 1; i < room; i++)
		strcat(s, "y");
	strcat(s, " ");
	strcat(s, last);
	strcat(s, "\n");
	return s;
}

static bool reports(const char *root, unsigned vmid, const char *id)
{
	struct vh_err e;
	struct vh_host *h = vh_host_new(root, &e);
	assert_non_null(h);
	struct vh_report *r = vh_evaluate(h, vmid, NULL, &e);
	if (!r)
		fail_msg("evaluate: %s", e.msg);
	bool found = false;
	for (size_t i = 0; i < r->n_findings; i++)
		found |= !strcmp(r->findings[i].id, id);
	vh_report_free(r);
	vh_host_free(h);
	return found;
}

static void check_cmdline_of(size_t len)
{
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	char *cmdline = long_cmdline(len, "pcie_acs_override=downstream,multifunction");
	assert_int_equal(strlen(cmdline), len + 1);
	assert_true(strstr(cmdline, "pcie_acs_override") - cmdline > 511);
	vh_test_write(root, "proc/cmdline", cmdline);
	assert_true(reports(root, 100, "acs-override"));

	struct vh_err e;
	struct vh_host *h = vh_host_new(root, &e);
	char buf[VH_CMDLINE_MAX], value[64];
	assert_int_equal(vh_cmdline_read(h, buf, sizeof(buf), &e), 0);
	assert_int_equal(strlen(buf), len);
	assert_true(vh_cmdline_has(buf, "pcie_acs_override=", value, sizeof(value)));
	assert_string_equal(value, "downstream,multifunction");
	vh_host_free(h);
	free(cmdline);
	vh_test_scratch_free(root);
}

static void test_cmdline_past_512(void **state)
{
	(void)state;
	check_cmdline_of(600);
}

static void test_cmdline_x86_max(void **state)
{
	(void)state;
	check_cmdline_of(2047); /* x86's COMMAND_LINE_SIZE is 2048 with the NUL */
}

static void test_cmdline_short_still_quiet(void **state)
{
	(void)state;
	assert_false(reports(vh_test_host("seed"), 100, "acs-override"));
}

/* ---- policy ---- */

static void test_policy_parse(void **state)
{
	(void)state;
	static const char text[] =
		"{\"post_stop\": \"return\", \"vms\": {\"100\": {\"timeout_ms\": 500}}}"
		" junk after the length";
	size_t len = strlen(text) - strlen(" junk after the length");
	struct vh_err e = { 0 };
	struct vh_policy *p = vh_policy_parse("t.json", text, len, &e);
	if (!p)
		fail_msg("%s", e.msg);
	assert_int_equal(vh_policy_post_stop(p, 101), VH_POST_STOP_RETURN);
	assert_int_equal(vh_policy_timeout_ms(p, 100), 500);
	assert_int_equal(vh_policy_timeout_ms(p, 101), 10000);
	vh_policy_free(p);

	/* one byte more is text after the object */
	assert_null(vh_policy_parse("t.json", text, len + 2, &e));
	assert_contains(e.msg, "t.json:1:");
	assert_contains(e.msg, "text after the JSON object");
	/* a NUL after the object is not white space */
	assert_null(vh_policy_parse("t.json", "{}\0{}", 5, &e));
	assert_contains(e.msg, "text after the JSON object");
	/* cut short: the parser reads no further than len */
	assert_null(vh_policy_parse("t.json", text, 5, &e));
	assert_contains(e.msg, "not valid JSON");
}

static void test_policy_load_uses_parse(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	vh_test_write(root, "etc/pve/vfiohelp.json", "{\"reset\": false}\n{}");
	struct vh_err e = { 0 };
	struct vh_host *h = vh_host_new(root, &e);
	assert_null(vh_policy_load(h, NULL, &e));
	assert_contains(e.msg, "vfiohelp.json:2:1: text after the JSON object");
	vh_test_write(root, "etc/pve/vfiohelp.json", "{\"reset\": false}\n");
	struct vh_policy *p = vh_policy_load(h, NULL, &e);
	assert_non_null(p);
	assert_false(vh_policy_reset(p, 100));
	vh_policy_free(p);
	vh_host_free(h);
	vh_test_scratch_free(root);
}

/* ---- pci.cfg ---- */

static void test_mapping_parse(void **state)
{
	(void)state;
	const char *text = vh_test_read(vh_test_host("seed"), "etc/pve/mapping/pci.cfg");
	struct vh_map_entry maps[4];
	size_t n;
	bool section;
	struct vh_err e = { 0 };
	assert_int_equal(vh_mapping_parse(text, strlen(text), "rtx4060", "pve", maps, 4, &n,
					  &section, &e),
			 0);
	assert_true(section);
	assert_int_equal(n, 1);
	assert_string_equal(maps[0].node, "pve");
	assert_int_equal(maps[0].n_paths, 1);
	assert_false(maps[0].paths[0].has_func);
	assert_int_equal(maps[0].paths[0].bus, 1);
	assert_string_equal(maps[0].id, "10de:2803");
	assert_true(maps[0].has_group);
	assert_int_equal(maps[0].group, 12);
	/* the other order of keys */
	assert_int_equal(vh_mapping_parse(text, strlen(text), "oldgpu", "pve", maps, 4, &n,
					  &section, &e),
			 0);
	assert_int_equal(n, 1);
	assert_string_equal(maps[0].id, "10de:2504");
	/* a map for another node only */
	assert_int_equal(vh_mapping_parse(text, strlen(text), "othernode", "pve", maps, 4, &n,
					  &section, &e),
			 0);
	assert_true(section);
	assert_int_equal(n, 0);
	assert_int_equal(vh_mapping_parse(text, strlen(text), "nosuch", "pve", maps, 4, &n,
					  &section, &e),
			 0);
	assert_false(section);
	/* len bounds the text: "rtx4060" cut off before its map line */
	size_t cut = (size_t)(strstr(text, "\tmap node=pve,path") - text);
	assert_int_equal(vh_mapping_parse(text, cut, "rtx4060", "pve", maps, 4, &n, &section, &e),
			 0);
	assert_true(section);
	assert_int_equal(n, 0);
	/* a map line that does not parse is skipped, as Proxmox skips it */
	static const char bad[] = "gpu\n\tmap node=pve,path=0000:01:00,id=10de\n"
				  "\tmap node=pve,path=0000:02:00,id=10de:2803\n";
	assert_int_equal(vh_mapping_parse(bad, strlen(bad), "gpu", "pve", maps, 4, &n, &section,
					  &e),
			 0);
	assert_int_equal(n, 1);
	assert_int_equal(maps[0].paths[0].bus, 2);
	/* a NUL byte is refused, not a silent end of the file */
	static const char nul[] = "gpu\n\tmap node=pve,path=0000:01:00,id=10de:2803\n\0more";
	assert_int_equal(vh_mapping_parse(nul, sizeof(nul) - 1, "gpu", "pve", maps, 4, &n, &section,
					  &e),
			 -1);
	assert_contains(e.msg, "NUL");
}

/* ---- /proc ---- */

static void test_meminfo_parse(void **state)
{
	(void)state;
	const char *text = vh_test_read(vh_test_host("seed"), "proc/meminfo");
	uint64_t avail, total;
	assert_int_equal(vh_meminfo_parse(text, strlen(text), &avail, &total), 0);
	assert_int_equal(avail, 25174344 / 1024);
	assert_int_equal(total, 32794012 / 1024);
	/* MemAvailable is on line 3: a text that ends before it lacks it */
	assert_int_equal(vh_meminfo_parse(text, (size_t)(strstr(text, "MemAvailable") - text),
					  &avail, &total),
			 -1);
	assert_int_equal(vh_meminfo_parse("MemTotal: 1 kB\nMemAvailable: 2 MB\n", 35, &avail,
					  &total),
			 -1);
}

static void test_cpuinfo_vendor(void **state)
{
	(void)state;
	const char *amd = vh_test_read(vh_test_host("seed"), "proc/cpuinfo");
	assert_int_equal(vh_cpuinfo_vendor(amd, strlen(amd)), VH_CPU_AMD);
	const char *intel = vh_test_read(vh_test_host("shared-group"), "proc/cpuinfo");
	assert_int_equal(vh_cpuinfo_vendor(intel, strlen(intel)), VH_CPU_INTEL);
	static const char text[] = "processor\t: 0\nvendor_id\t: GenuineIntel\n";
	assert_int_equal(vh_cpuinfo_vendor(text, (size_t)(strstr(text, "Intel") - text)),
			 VH_CPU_UNKNOWN);
}

static void test_iomem_framebuffer(void **state)
{
	(void)state;
	char *iomem = strdup(vh_test_read(vh_test_host("nouveau"), "proc/iomem"));
	const char *res = vh_test_read(vh_test_host("nouveau"),
				       "sys/bus/pci/devices/0000:01:00.0/resource");
	char name[32] = "";
	assert_true(
		vh_iomem_framebuffer(iomem, strlen(iomem), res, strlen(res), name, sizeof(name)));
	assert_string_equal(name, "efifb");
	/* the seed's GPU is not the boot display: no framebuffer in its BARs */
	char *seed_iomem = strdup(vh_test_read(vh_test_host("seed"), "proc/iomem"));
	res = vh_test_read(vh_test_host("seed"), "sys/bus/pci/devices/0000:01:00.0/resource");
	assert_false(vh_iomem_framebuffer(seed_iomem, strlen(seed_iomem), res, strlen(res), name,
					  sizeof(name)));
	free(seed_iomem);
	free(iomem);
}

static void test_proc_modules(void **state)
{
	(void)state;
	const char *text = vh_test_read(vh_test_host("seed"), "proc/modules");
	assert_true(vh_proc_modules_has(text, strlen(text), "vfio-pci"));
	assert_true(vh_proc_modules_has(text, strlen(text), "vfio_iommu_type1"));
	assert_false(vh_proc_modules_has(text, strlen(text), "nouveau"));
	assert_false(vh_proc_modules_has(text, strlen(text), "vfio_pc"));
	static const char two[] = "kvm 1 0 - Live 0x0\nvfio 2 0 - Live 0x0";
	assert_true(vh_proc_modules_has(two, sizeof(two) - 1, "vfio"));
	assert_false(
		vh_proc_modules_has(two, sizeof(two) - 1 - strlen("vfio 2 0 - Live 0x0"), "vfio"));
}

static void test_reservations_parse(void **state)
{
	(void)state;
	const char *text = vh_test_read(vh_test_host("in-use"),
					"run/qemu-server/pci-id-reservations");
	struct vh_reservation r[4];
	size_t n;
	assert_int_equal(vh_reservations_parse(text, strlen(text), "0000:01:00.0", 100, r, 4, &n),
			 0);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].vmid, 200);
	assert_true(r[0].by_pid);
	assert_int_equal(r[0].pid, 4242);
	assert_int_equal(vh_reservations_parse(text, strlen(text), "0000:01:00.1", 100, r, 4, &n),
			 0);
	assert_int_equal(n, 1);
	assert_false(r[0].by_pid);
	assert_int_equal(r[0].until, 1700000000);
	/* the VM's own reservation does not count */
	assert_int_equal(vh_reservations_parse(text, strlen(text), "0000:01:00.0", 200, r, 4, &n),
			 0);
	assert_int_equal(n, 0);
	static const char bad[] = "0000:01:00.0 200 pid:x\n0000:01:00.0 2x0 pid:1\n"
				  "0000:01:00.0 200 pid:1 more\n0000:01:00.0 201 time:5\n";
	assert_int_equal(vh_reservations_parse(bad, strlen(bad), "0000:01:00.0", 100, r, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].vmid, 201);
	assert_int_equal(vh_reservations_parse("a\0b", 3, "a", 100, r, 4, &n), -1);
}

static void test_interrupts_parse(void **state)
{
	(void)state;
	const char *text = vh_test_read(vh_test_host("seed"), "proc/interrupts");
	assert_true(vh_interrupts_parse(text, strlen(text)));
	text = vh_test_read(vh_test_host("no-intremap"), "proc/interrupts");
	assert_false(vh_interrupts_parse(text, strlen(text)));
	static const char line[] = " 24: 0 AMD-IR-0 0-edge AMD-Vi\n 25: 1 IR-PCI-MSI-0000:01:00.0";
	assert_false(vh_interrupts_parse(line, strlen(line) - strlen(" IR-PCI-MSI-0000:01:00.0")));
	assert_true(vh_interrupts_parse(line, strlen(line)));
}

/* ---- task history ---- */

struct texts {
	struct vh_text_file files[16];
	char paths[16][512];
	char *bodies[16];
	size_t n;
};

static void add_text(struct texts *t, const char *root, const char *path)
{
	char full[1024];
	snprintf(full, sizeof(full), "%s%s", root, path);
	FILE *f = fopen(full, "r");
	if (!f)
		return;
	char *body = malloc(1 << 16);
	size_t len = fread(body, 1, 1 << 16, f);
	fclose(f);
	snprintf(t->paths[t->n], sizeof(t->paths[0]), "%s", path);
	t->bodies[t->n] = body;
	t->files[t->n] = (struct vh_text_file){ t->paths[t->n], body, len };
	t->n++;
}

static void test_history_parse_matches_load(void **state)
{
	(void)state;
	const char *root = vh_test_host("seed");
	static const char *const paths[] = {
		"/var/log/pve/tasks/index",
		"/var/log/pve/tasks/active",
		"/var/log/vfiohelp/hook.log",
		"/var/log/pve/tasks/0/UPID:pve:0000A1B2:0012C3D4:6905FC80:qmstart:100:root@pam:",
		"/var/log/pve/tasks/0/UPID:pve:0000B0C1:00152A10:69060A90:qmshutdown:100:root@pam:",
		"/var/log/pve/tasks/0/UPID:pve:0000C2D3:0017B000:690618A0:qmstart:100:root@pam:",
		"/var/log/pve/tasks/6/UPID:pve:0000A400:00130000:6905FEF6:qmstart:101:root@pam:",
		"/var/log/pve/tasks/8/UPID:pve:0000A3C4:0012F0E1:6905FED8:qmstart:100:root@pam:",
	};
	struct texts t = { .n = 0 };
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		add_text(&t, root, paths[i]);
	assert_int_equal(t.n, 8);

	struct vh_err e = { 0 };
	struct vh_host *h = vh_host_new(root, &e);
	struct vh_history *loaded = vh_history_load(h, 0, 0, &e);
	struct vh_history *parsed = vh_history_parse(t.files, t.n, 0, 0, &e);
	assert_non_null(loaded);
	assert_non_null(parsed);
	assert_true(vh_history_count(loaded) >= 4);
	assert_int_equal(vh_history_count(parsed), vh_history_count(loaded));
	for (size_t i = 0; i < vh_history_count(loaded); i++) {
		const struct vh_task *a = vh_history_task(loaded, i),
				     *b = vh_history_task(parsed, i);
		assert_string_equal(vh_task_upid(a), vh_task_upid(b));
		assert_string_equal(vh_task_status(a), vh_task_status(b));
		assert_int_equal(vh_task_state(a), vh_task_state(b));
		assert_int_equal(vh_task_hook_count(a), vh_task_hook_count(b));
	}
	assert_int_equal(vh_history_note_count(parsed), vh_history_note_count(loaded));
	vh_history_free(loaded);

	/* without the task logs: each task is noted, its status from index */
	struct vh_history *bare = vh_history_parse(t.files, 3, 0, 0, &e);
	assert_int_equal(vh_history_count(bare), vh_history_count(parsed));
	bool noted = false;
	for (size_t i = 0; i < vh_history_note_count(bare); i++)
		noted |= strstr(vh_history_note(bare, i), "no task log /var/log/pve/tasks/") !=
			 NULL;
	assert_true(noted);
	vh_history_free(bare);
	vh_history_free(parsed);
	vh_host_free(h);
	for (size_t i = 0; i < t.n; i++)
		free(t.bodies[i]);
}

static void test_history_parse_reads_len_only(void **state)
{
	(void)state;
	static const char index[] =
		"UPID:pve:0000A3C4:0012F0E1:6905FED8:qmstart:100:root@pam: 6905FEDB OK\n"
		"UPID:pve:0000A400:00130000:6905FEF6:qmstart:101:root@pam: 6905FEF8 OK\n";
	struct vh_text_file f = { "/var/log/pve/tasks/index", index, strlen(index) / 2 };
	struct vh_err e = { 0 };
	struct vh_history *hist = vh_history_parse(&f, 1, 0, 0, &e);
	assert_non_null(hist);
	assert_int_equal(vh_history_count(hist), 1);
	assert_int_equal(vh_task_vmid(vh_history_task(hist, 0)), 100);
	vh_history_free(hist);
}

/* A root that resolves to / is the live host ("/.", "//", "/tmp/.."): commands
 * run and caches are written there as on "/", never as on a tree. */
static void test_root_resolving_to_slash_is_live(void **state)
{
	(void)state;
	static const char *const live[] = { "/", "/.", "//", "/tmp/..", "/./" };
	for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++) {
		struct vh_err e;
		struct vh_host *h = vh_host_new(live[i], &e);
		assert_non_null(h);
		if (!vh_host_is_live(h))
			fail_msg("--root %s is not taken as the live host", live[i]);
		vh_host_free(h);
	}
	struct vh_err e;
	struct vh_host *h = vh_host_new(vh_test_host("seed"), &e);
	assert_non_null(h);
	assert_false(vh_host_is_live(h));
	vh_host_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_root_resolving_to_slash_is_live),
		cmocka_unit_test(test_cmdline_past_512),
		cmocka_unit_test(test_cmdline_x86_max),
		cmocka_unit_test(test_cmdline_short_still_quiet),
		cmocka_unit_test(test_policy_parse),
		cmocka_unit_test(test_policy_load_uses_parse),
		cmocka_unit_test(test_mapping_parse),
		cmocka_unit_test(test_meminfo_parse),
		cmocka_unit_test(test_cpuinfo_vendor),
		cmocka_unit_test(test_iomem_framebuffer),
		cmocka_unit_test(test_proc_modules),
		cmocka_unit_test(test_reservations_parse),
		cmocka_unit_test(test_interrupts_parse),
		cmocka_unit_test(test_history_parse_matches_load),
		cmocka_unit_test(test_history_parse_reads_len_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
