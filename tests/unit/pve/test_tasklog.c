/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Task history: the UPID grammar, vh_history_load over the committed tree
 * tests/tasklogs/basic (made by tests/tasklogs/make-trees.py in Proxmox's
 * formats: a refused start, a running start, another VM, a backup, broken
 * lines everywhere), and `hookctl log` itself.
 */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#define T0 1762000000
#define UPID_REFUSED "UPID:pve:0000A1B2:0012C3D4:6905FC80:qmstart:100:root@pam:"
#define UPID_STARTED "UPID:pve:0000A3C4:0012F0E1:6905FED8:qmstart:100:root@pam:"
#define UPID_SHUTDOWN "UPID:pve:0000B0C1:00152A10:69060A90:qmshutdown:100:root@pam:"
#define UPID_RUNNING "UPID:pve:0000C2D3:0017B000:690618A0:qmstart:100:root@pam:"
#define UPID_101_START "UPID:pve:0000A400:00130000:6905FEF6:qmstart:101:root@pam:"

static const char *basic_tree(void)
{
	static char path[4096];
	snprintf(path, sizeof(path), "%s/tasklogs/basic", VH_TEST_DATA);
	return path;
}

static struct vh_history *load(const char *root, unsigned vmid, unsigned limit)
{
	struct vh_err err = { 0 };
	struct vh_host *h = vh_host_new(root, &err);
	assert_non_null(h);
	struct vh_history *hist = vh_history_load(h, vmid, limit, &err);
	if (!hist)
		fail_msg("vh_history_load: %s", err.msg);
	vh_host_free(h);
	return hist;
}

static bool has_note(const struct vh_history *hist, const char *needle)
{
	for (size_t i = 0; i < vh_history_note_count(hist); i++)
		if (strstr(vh_history_note(hist, i), needle))
			return true;
	return false;
}

static bool hook_has(const struct vh_task *t, const char *needle)
{
	for (size_t i = 0; i < vh_task_hook_count(t); i++)
		if (strstr(vh_task_hook_line(t, i), needle))
			return true;
	return false;
}

/* ---- the UPID grammar ---- */

static int parse(const char *s, struct vh_task_upid *u)
{
	return vh_task_upid_parse(s, strlen(s), u);
}

static void test_upid_valid(void **state)
{
	struct vh_task_upid u;
	assert_int_equal(parse(UPID_REFUSED, &u), 0);
	assert_string_equal(u.node, "pve");
	assert_int_equal(u.pid, 0xA1B2);
	assert_int_equal(u.pstart, 0x0012C3D4);
	assert_int_equal(u.starttime, T0);
	assert_string_equal(u.type, "qmstart");
	assert_string_equal(u.id, "100");
	assert_string_equal(u.user, "root@pam");
	assert_int_equal(u.subdir, '0');

	/* 9-digit pstart, a token user, a node with a dash, an empty id */
	assert_int_equal(parse("UPID:pve-2:0000A600:100140000:69060C2A:qmstart:101:user@pve!token1:",
			       &u),
			 0);
	assert_int_equal(u.pstart, 0x100140000ull);
	assert_string_equal(u.user, "user@pve!token1");
	assert_int_equal(u.subdir, 'A');
	assert_int_equal(parse("UPID:n1:00000001:00000002:6905FC8f:vzdump::root@pam:", &u), 0);
	assert_string_equal(u.id, "");
	assert_int_equal(u.subdir, 'f');

	/* only s[0..len) counts */
	char buf[128];
	snprintf(buf, sizeof(buf), "%s trailing", UPID_REFUSED);
	assert_int_equal(vh_task_upid_parse(buf, strlen(UPID_REFUSED), &u), 0);
	assert_int_equal(vh_task_upid_parse(buf, strlen(UPID_REFUSED) + 1, &u), -1);
}

static void test_upid_invalid(void **state)
{
	static const char *const bad[] = {
		"",
		"UPID:",
		"upid:pve:0000A1B2:0012C3D4:6905FC80:qmstart:100:root@pam:",
		"UPID:pve:0000A1B2:0012C3D4:6905FC80:qmstart:100:root@pam",    /* no final ':' */
		"UPID:pve:0000A1B2:0012C3D4:6905FC80:qmstart:100:root@pam:x:", /* a field too many */
		"UPID:pve:0000A1B2:0012C3D4:6905FC80:qmstart:100:",            /* no user */
		"UPID:pve:A1B2:0012C3D4:6905FC80:qmstart:100:root@pam:",       /* short pid */
		"UPID:pve:0000A1B2:0012C3D4A1:6905FC80:qmstart:100:root@pam:", /* 10-digit pstart */
		"UPID:pve:0000A1B2:0012C3D4:6905FC8:qmstart:100:root@pam:",    /* short starttime */
		"UPID:pve:0000A1B2:0012C3D4:6905FCXX:qmstart:100:root@pam:",   /* not hex */
		"UPID:-pve:0000A1B2:0012C3D4:6905FC80:qmstart:100:root@pam:",  /* node grammar */
		"UPID:pve-:0000A1B2:0012C3D4:6905FC80:qmstart:100:root@pam:",
		"UPID:p_e:0000A1B2:0012C3D4:6905FC80:qmstart:100:root@pam:",
		"UPID::0000A1B2:0012C3D4:6905FC80:qmstart:100:root@pam:",
		"UPID:pve:0000A1B2:0012C3D4:6905FC80::100:root@pam:", /* no type */
		"UPID:pve:0000A1B2:0012C3D4:6905FC80:qmstart:../../etc:root@pam:",
		"UPID:pve:0000A1B2:0012C3D4:6905FC80:qmstart:1 0:root@pam:",
		"UPID:pve:0000A1B2:0012C3D4:6905FC80:qm\tstart:100:root@pam:",
		"UPID:pve:0000A1B2:0012C3D4:6905FC80:qmstart:100:root@p\xc3\xa4m:",
	};
	struct vh_task_upid u;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse(bad[i], &u) == 0)
			fail_msg("accepted bad UPID '%s'", bad[i]);

	/* a UPID is a file name: 255 bytes at most */
	char longer[400];
	snprintf(longer, sizeof(longer),
		 "UPID:pve:0000A1B2:0012C3D4:6905FC80:qmstart:100:%0250d:", 7);
	assert_int_equal(parse(longer, &u), -1);
}

/* ---- the library over tests/tasklogs/basic ---- */

static void test_vm100_story(void **state)
{
	struct vh_history *hist = load(basic_tree(), 100, 0);
	assert_int_equal(vh_history_count(hist), 6);

	/* newest first: running start, post-stop, shutdown, start, refused start, old post-stop */
	const struct vh_task *t = vh_history_task(hist, 0);
	assert_string_equal(vh_task_upid(t), UPID_RUNNING);
	assert_int_equal(vh_task_state(t), VH_TASK_RUNNING);
	assert_string_equal(vh_task_status(t), "running");
	assert_int_equal(vh_task_end(t), -1);
	assert_int_equal(vh_task_hook_count(t), 5);

	t = vh_history_task(hist, 1);
	assert_string_equal(vh_task_type(t), "hook:post-stop");
	assert_string_equal(vh_task_upid(t), "");
	assert_string_equal(vh_task_node(t), "");
	assert_int_equal(vh_task_start(t), T0 + 3614);
	assert_string_equal(vh_task_status(t), "OK");
	assert_true(hook_has(t, "stay on vfio-pci (policy post_stop=keep)"));

	t = vh_history_task(hist, 2);
	assert_string_equal(vh_task_upid(t), UPID_SHUTDOWN);
	assert_string_equal(vh_task_type(t), "qmshutdown");
	assert_int_equal(vh_task_end(t), T0 + 3612);
	assert_int_equal(vh_task_hook_count(t), 1); /* pre-stop, once: hook.log's copy folded in */

	t = vh_history_task(hist, 3);
	assert_string_equal(vh_task_upid(t), UPID_STARTED);
	assert_int_equal(vh_task_state(t), VH_TASK_OK);
	assert_int_equal(vh_task_end(t), T0 + 603); /* index and active both list it */
	assert_int_equal(vh_task_hook_count(t), 7);

	t = vh_history_task(hist, 4);
	assert_string_equal(vh_task_upid(t), UPID_REFUSED);
	assert_int_equal(vh_task_state(t), VH_TASK_REFUSED);
	assert_int_equal(vh_task_start(t), T0);
	assert_int_equal(vh_task_end(t), T0 + 1);
	assert_string_equal(vh_task_node(t), "pve");
	assert_string_equal(vh_task_user(t), "root@pam");
	assert_int_equal(vh_task_vmid(t), 100);
	assert_contains(vh_task_status(t), "hookscript error for 100 on pre-start");
	assert_int_equal(vh_task_hook_count(t), 7); /* not the NUL line, not the 5000-byte line */
	assert_string_equal(vh_task_hook_line(t, 1), "vfio-hook:   fix: qm set 100 -machine q35");
	assert_contains(vh_task_hook_line(t, 6), "start refused before any change");
	assert_null(vh_task_hook_line(t, 7));

	t = vh_history_task(hist, 5);
	assert_string_equal(vh_task_type(t), "hook:post-stop");
	assert_int_equal(vh_task_start(t), T0 - 10000); /* from hook.log.1 */
	assert_null(vh_history_task(hist, 6));

	assert_true(has_note(hist, "index line 8: not a task line"));
	assert_true(has_note(hist, "qmstart task without a VMID"));
	assert_true(has_note(hist, "active line 3: not a task line"));
	assert_true(has_note(hist, "hook.log line 8: not a JSON object"));
	assert_true(has_note(hist, "hook.log line 9: no valid \"phase\""));
	assert_true(has_note(hist, "line 1: longer than 4095 bytes"));
	assert_true(has_note(hist, "line 2: contains a NUL byte"));
	vh_history_free(hist);
}

static void test_every_vm_and_limit(void **state)
{
	struct vh_history *hist = load(basic_tree(), 0, 0);
	assert_int_equal(vh_history_count(hist), 10);
	size_t vm101 = 0, started = 0;
	for (size_t i = 0; i < vh_history_count(hist); i++) {
		const struct vh_task *t = vh_history_task(hist, i);
		assert_string_not_equal(vh_task_type(t), "vzdump");
		assert_true(strncmp(vh_task_type(t), "hook:pre-", 9) != 0);
		vm101 += vh_task_vmid(t) == 101;
		started += !strcmp(vh_task_upid(t), UPID_STARTED);
		if (i)
			assert_true(vh_task_start(t) <=
				    vh_task_start(vh_history_task(hist, i - 1)));
	}
	assert_int_equal(vm101, 4);
	assert_int_equal(started, 1);

	/* a qmstop whose log is gone keeps the index's status */
	const struct vh_task *t = vh_history_task(hist, 3);
	assert_string_equal(vh_task_type(t), "qmstop");
	assert_int_equal(vh_task_state(t), VH_TASK_WARNINGS);
	assert_string_equal(vh_task_status(t), "WARNINGS: 2");
	assert_true(has_note(hist, "no task log /var/log/pve/tasks/0/UPID:pve:0000A500"));
	/* a log in a lower-case directory is found */
	t = vh_history_task(hist, 1);
	assert_string_equal(vh_task_node(t), "pve-2");
	assert_int_equal(vh_task_hook_count(t), 1);
	/* a failed post-stop of VM 101 */
	t = vh_history_task(hist, 2);
	assert_string_equal(vh_task_type(t), "hook:post-stop");
	assert_int_equal(vh_task_state(t), VH_TASK_FAILED);
	assert_string_equal(vh_task_status(t), "exit 3");
	vh_history_free(hist);

	hist = load(basic_tree(), 0, 3);
	assert_int_equal(vh_history_count(hist), 3);
	assert_string_equal(vh_task_upid(vh_history_task(hist, 0)), UPID_RUNNING);
	vh_history_free(hist);

	hist = load(basic_tree(), 102, 0);
	assert_int_equal(vh_history_count(hist), 0);
	vh_history_free(hist);
}

/* What the tree cannot show: a status only in the task log, a hook.log
 * entry with no task, and hook lines only in hook.log. */
static void test_scratch_cases(void **state)
{
	char *root = vh_test_scratch_copy(basic_tree());
	char line[512];
	/* VM 102: finished per active, without a status there */
	const char *u = "UPID:pve:00000102:00000102:69062000:qmreboot:102:root@pam:";
	snprintf(line, sizeof(line), "var/log/pve/tasks/0/%s", u);
	vh_test_write(root, line, "vfio-hook: VM 102 pre-stop: nothing to do\nTASK WARNINGS: 1\n");
	snprintf(line, sizeof(line), "%s 1 69062005\n", u);
	vh_test_write(root, "var/log/pve/tasks/active", line);
	vh_test_write(root, "var/log/vfiohelp/hook.log",
		      "{\"time\": 1762000630, \"vmid\": 101, \"phase\": \"pre-start\", \"exit\": 0, "
		      "\"verdict\": \"allow\", \"lines\": [\"vfio-hook: only in hook.log\", 7]}\n"
		      "{\"time\": 1761000000, \"vmid\": 102, \"phase\": \"pre-start\", \"exit\": 1, "
		      "\"verdict\": \"block\", \"lines\": [\"vfio-hook: error x\"]}\r\n"
		      "\n");
	/* a FIFO where a log should be is noted, not waited on */
	snprintf(line, sizeof(line), "%s/var/log/vfiohelp/hook.log.1", root);
	assert_int_equal(unlink(line), 0);
	assert_int_equal(mkfifo(line, 0600), 0);
	struct vh_history *hist = load(root, 102, 0);
	assert_true(has_note(hist, "cannot read /var/log/vfiohelp/hook.log.1"));
	assert_int_equal(vh_history_count(hist), 2);
	const struct vh_task *t = vh_history_task(hist, 0);
	assert_string_equal(vh_task_type(t), "qmreboot");
	assert_int_equal(vh_task_state(t), VH_TASK_WARNINGS);
	assert_string_equal(vh_task_status(t), "WARNINGS: 1");
	t = vh_history_task(hist, 1);
	assert_string_equal(vh_task_type(t), "hook:pre-start");
	assert_int_equal(vh_task_state(t), VH_TASK_REFUSED);
	assert_string_equal(vh_task_status(t), "exit 1");
	vh_history_free(hist);

	hist = load(root, 101, 0);
	t = vh_history_task(hist, vh_history_count(hist) - 1);
	assert_string_equal(vh_task_upid(t), UPID_101_START);
	assert_int_equal(vh_task_hook_count(t), 1);
	assert_string_equal(vh_task_hook_line(t, 0), "vfio-hook: only in hook.log");
	vh_history_free(hist);

	/* no task directory at all: an empty history, not an error */
	char *empty = vh_test_scratch_empty();
	hist = load(empty, 100, 0);
	assert_int_equal(vh_history_count(hist), 0);
	vh_history_free(hist);
	vh_test_scratch_free(empty);
	vh_test_scratch_free(root);
}

/* The post-start verifier reports minutes after its start ended: its
 * "started" ties the verdict to that start (hookctl log shows it there),
 * whatever the task log's own hook lines; a verdict whose start is not
 * listed stays an entry of its own. */
static void test_guest_verdict_joins_its_start(void **state)
{
	char *root = vh_test_scratch_copy(basic_tree());
	char text[1024];
	snprintf(text, sizeof(text),
		 "{\"time\": %d, \"vmid\": 100, \"phase\": \"guest\", \"exit\": 0, "
		 "\"started\": %d, \"verdict\": \"problem\", \"lines\": [\"vfio-hook: guest VM "
		 "100: verdict problem\"]}\n"
		 "{\"time\": %d, \"vmid\": 100, \"phase\": \"guest\", \"exit\": 0, "
		 "\"started\": %d, \"verdict\": \"ok\", \"lines\": [\"vfio-hook: alone\"]}\n",
		 T0 + 900, T0 + 601, T0 - 50000, T0 - 50300);
	vh_test_write(root, "var/log/vfiohelp/hook.log", text);
	struct vh_history *hist = load(root, 100, 0);
	json_object *o = vh_history_to_json(hist);
	const char *json = json_object_to_json_string(o);
	/* folded into UPID_STARTED (T0+600..T0+603), not a task of its own */
	json_object *tasks = json_object_object_get(o, "tasks");
	bool folded = false, alone = false;
	for (size_t i = 0; i < json_object_array_length(tasks); i++) {
		json_object *t = json_object_array_get_idx(tasks, i);
		const char *upid = json_object_get_string(json_object_object_get(t, "upid"));
		json_object *g = json_object_object_get(t, "guest");
		if (upid && !strcmp(upid, UPID_STARTED)) {
			assert_non_null(g);
			assert_string_equal(json_object_get_string(
						    json_object_object_get(g, "verdict")),
					    "problem");
			folded = true;
		} else if (g) {
			assert_string_equal(json_object_get_string(
						    json_object_object_get(t, "type")),
					    "hook:guest");
			alone = true;
		}
	}
	if (!folded || !alone)
		fail_msg("guest verdicts not where they belong: %s", json);
	json_object_put(o);
	vh_history_free(hist);
	vh_test_scratch_free(root);
	(void)state;
}

/* The hook runs all four phases within a second when QEMU fails early:
 * the log's order decides, newest (last written) first. */
static void test_same_second_order(void **state)
{
	char *root = vh_test_scratch_empty();
	static const char *const phases[] = { "pre-start", "post-start", "pre-stop", "post-stop" };
	char text[1024] = "";
	for (int i = 0; i < 4; i++) {
		char line[256];
		snprintf(line, sizeof(line),
			 "{\"time\": 1762000000, \"vmid\": 103, \"phase\": \"%s\", "
			 "\"exit\": 0, \"verdict\": null, \"lines\": []}\n",
			 phases[i]);
		strcat(text, line);
	}
	vh_test_write(root, "var/log/vfiohelp/hook.log", text);
	struct vh_history *hist = load(root, 103, 0);
	assert_int_equal(vh_history_count(hist), 4);
	for (int i = 0; i < 4; i++) {
		char type[32];
		snprintf(type, sizeof(type), "hook:%s", phases[3 - i]);
		assert_string_equal(vh_task_type(vh_history_task(hist, (size_t)i)), type);
	}
	vh_history_free(hist);
	vh_test_scratch_free(root);
}

/* A 64 MiB task log with a 16 MiB line and thousands of hook lines: read
 * with bounded memory, hook lines capped. */
static void write_huge_log(const char *root)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/var/log/pve/tasks/0/%s", root, UPID_RUNNING);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	static char chunk[1 << 16];
	memset(chunk, 'y', sizeof(chunk));
	for (int i = 0; i < 256; i++) /* one line of 16 MiB */
		assert_int_equal(fwrite(chunk, 1, sizeof(chunk), f), sizeof(chunk));
	fputc('\n', f);
	for (int i = 0; i < 5000; i++)
		fprintf(f, "vfio-hook: line %d\n", i);
	memset(chunk, 'z', sizeof(chunk));
	for (int i = 0; i < 48 * 16; i++) { /* 48 MiB of 64-byte lines */
		for (size_t j = 63; j < sizeof(chunk); j += 64)
			chunk[j] = '\n';
		assert_int_equal(fwrite(chunk, 1, sizeof(chunk), f), sizeof(chunk));
	}
	fclose(f);
}

static void test_huge_log(void **state)
{
	char *root = vh_test_scratch_copy(basic_tree());
	write_huge_log(root);
	struct vh_history *hist = load(root, 100, 1);
	const struct vh_task *t = vh_history_task(hist, 0);
	assert_string_equal(vh_task_upid(t), UPID_RUNNING);
	assert_int_equal(vh_task_hook_count(t), 128);
	assert_string_equal(vh_task_hook_line(t, 127), "vfio-hook: line 127");
	assert_true(has_note(hist, "line 1: longer than 4095 bytes"));
	assert_true(has_note(hist, "holds 4872 vfio-hook lines beyond the 128 shown"));
	vh_history_free(hist);

	/* The binary's peak memory stays far below the log's size. (The peak
	 * includes the test's own pages the child shared before exec.) */
	const char *argv[] = { VH_HOOKCTL, "log", "100", "--root", root, "--json", NULL };
	char *out;
	assert_int_equal(vh_test_run(argv, &out, NULL), 0);
	assert_contains(out, "vfio-hook: line 127");
	assert_not_contains(out, "vfio-hook: line 128\"");
	struct rusage ru;
	assert_int_equal(getrusage(RUSAGE_CHILDREN, &ru), 0);
	if (ru.ru_maxrss > 32 * 1024) /* KiB; the log is 64 MiB */
		fail_msg("hookctl log peaked at %ld KiB on a 64 MiB task log", ru.ru_maxrss);
	free(out);
	vh_test_scratch_free(root);
}

/* ---- hookctl log ---- */

static int run_log(const char *const *args, char **out, char **err)
{
	const char *argv[12] = { VH_HOOKCTL, "log" };
	size_t n = 2;
	for (; *args && n < 11; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	return vh_test_run(argv, out, err);
}

static void test_cli_human(void **state)
{
	char *out, *err;
	const char *args[] = { "100", "--root", basic_tree(), NULL };
	assert_int_equal(run_log(args, &out, &err), 0);
	assert_contains(out, "VM 100: 6 start/stop entries, newest first; 1 start refused");
	assert_contains(out, "!! REFUSED   qmstart        VM 100  2025-11-01 12:26:40 .. 12:26:41");
	assert_contains(out, "status: hookscript error for 100 on pre-start: command "
			     "'/var/lib/vz/snippets/vfio-hook 100 pre-start' failed: exit code 1");
	assert_contains(out,
			"      vfio-hook: error machine-i440fx machine: VM 100 uses the i440fx");
	assert_contains(out, "      vfio-hook:   fix: qm set 100 -machine q35");
	assert_contains(out,
			"   RUNNING   qmstart        VM 100  2025-11-01 14:26:40 .. (running)");
	assert_contains(
		out,
		"   OK        hook:post-stop VM 100  2025-11-01 13:26:54  (vfio-hook's own log)");
	assert_not_contains(out, "vzdump");
	assert_not_contains(out, "VM 101");
	assert_contains(
		err,
		"hookctl log: note: /var/log/pve/tasks/index line 8: not a task line, skipped");
	/* the refused start comes after the later start */
	assert_true(strstr(out, UPID_STARTED) < strstr(out, UPID_REFUSED));
	free(out);
	free(err);

	const char *all[] = { "--limit", "4", "--root", basic_tree(), NULL };
	assert_int_equal(run_log(all, &out, NULL), 0);
	assert_contains(out, "All VMs: 4 of 10 start/stop entries");
	assert_contains(out, "!! FAILED    hook:post-stop VM 101");
	free(out);
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;
	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("no key %s", key);
	return v;
}

static void test_cli_json(void **state)
{
	char *out;
	const char *args[] = { "--json", "100", "--root", basic_tree(), NULL };
	assert_int_equal(run_log(args, &out, NULL), 0);
	json_object *o = json_tokener_parse(out);
	assert_non_null(o);
	assert_int_equal(json_object_get_int(get(o, "vmid")), 100);
	json_object *tasks = get(o, "tasks");
	assert_int_equal(json_object_array_length(tasks), 6);

	json_object *running = json_object_array_get_idx(tasks, 0);
	assert_string_equal(json_object_get_string(get(running, "upid")), UPID_RUNNING);
	assert_string_equal(json_object_get_string(get(running, "type")), "qmstart");
	assert_string_equal(json_object_get_string(get(running, "node")), "pve");
	assert_int_equal(json_object_get_int64(get(running, "start")), T0 + 7200);
	assert_null(get(running, "end"));
	assert_string_equal(json_object_get_string(get(running, "status")), "running");

	json_object *post = json_object_array_get_idx(tasks, 1);
	assert_null(get(post, "upid"));
	assert_null(get(post, "node"));
	assert_string_equal(json_object_get_string(get(post, "type")), "hook:post-stop");

	json_object *refused = json_object_array_get_idx(tasks, 4);
	assert_int_equal(json_object_get_int64(get(refused, "end")), T0 + 1);
	assert_contains(json_object_get_string(get(refused, "status")), "exit code 1");
	json_object *hook = get(refused, "hook");
	assert_int_equal(json_object_array_length(hook), 7);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(hook, 1)),
			    "vfio-hook:   fix: qm set 100 -machine q35");
	json_object_put(o);
	free(out);

	const char *all[] = { "--json", "--root", basic_tree(), NULL };
	assert_int_equal(run_log(all, &out, NULL), 0);
	o = json_tokener_parse(out);
	assert_non_null(o);
	assert_null(get(o, "vmid"));
	assert_int_equal(json_object_array_length(get(o, "tasks")), 10);
	json_object_put(o);
	free(out);
}

static void test_cli_usage(void **state)
{
	static const char *const cases[][6] = {
		{ "99", NULL },
		{ "abc", NULL },
		{ "0100", NULL },
		{ "100", "101", NULL },
		{ "--limit", "0", NULL },
		{ "--limit", "x", NULL },
		{ "--policy", "/etc/x", NULL },
		{ "100", "--root", "/nonexistent/vfiohelp", NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *err;
		int rc = run_log(cases[i], NULL, &err);
		if (rc != 2 || !*err)
			fail_msg("case %zu (%s): exit %d, stderr '%s'", i, cases[i][0], rc, err);
		free(err);
	}
	char *empty = vh_test_scratch_empty(), *out;
	const char *args[] = { "100", "--root", empty, NULL };
	assert_int_equal(run_log(args, &out, NULL), 0);
	assert_contains(out, "VM 100: no starts or stops");
	free(out);
	vh_test_scratch_free(empty);
}

int main(void)
{
	setenv("TZ", "UTC", 1); /* the human view prints local time */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_upid_valid),
		cmocka_unit_test(test_upid_invalid),
		cmocka_unit_test(test_vm100_story),
		cmocka_unit_test(test_every_vm_and_limit),
		cmocka_unit_test(test_scratch_cases),
		cmocka_unit_test(test_guest_verdict_joins_its_start),
		cmocka_unit_test(test_same_second_order),
		cmocka_unit_test(test_huge_log),
		cmocka_unit_test(test_cli_human),
		cmocka_unit_test(test_cli_json),
		cmocka_unit_test(test_cli_usage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
