/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vfio-hook post-start's guest verifier, through the real binary: the
 * phase returns in well under a second and its output pipe reaches EOF at
 * once (the verifier holds none of the task's descriptors), then the
 * verdict lands in /run/vfiohelp/guest/100.json, the hook log (hookctl log
 * shows it) and the journal with VFIOHELP_* fields (a datagram socket at
 * the tree's /run/systemd/journal/socket plays the journal). The guest is
 * the in-test agent (tests/unit/fakeagent.c) on the seed's VM 100. And
 * hookctl guest's exit statuses through the real binary: 0 ok, 1 problem,
 * 3 unknown, 2 usage.
 */
#include "testlib.h"
#include "fakeagent.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#define FACTS                                                                                   \
	"fw uefi\nsb 0\npci 0000:01:00.0 0x10de 0x2803 nvidia\npci 0000:01:00.1 0x10de 0x22bd " \
	"snd_hda_intel\n"

struct v {
	char *root;
	struct fake_agent fake;
	int journal;
};

static int setup(void **state)
{
	struct v *v = calloc(1, sizeof(*v));
	v->root = vh_test_scratch_copy(vh_test_host("seed"));
	vh_test_write(v->root, "run/qemu-server/.keep", "");
	vh_test_write(v->root, "run/systemd/journal/.keep", "");
	char path[4096];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/run/systemd/journal/socket", v->root);
	v->journal = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(v->journal, (struct sockaddr *)&sa, sizeof(sa)), 0);
	v->fake.osinfo = "{\"id\": \"debian\", \"pretty-name\": \"Debian GNU/Linux 12\", "
			 "\"kernel-release\": \"6.1.0-28-amd64\"}";
	v->fake.programs[0] = (struct fake_program){ "/bin/sh", FACTS, 0, 0 };
	v->fake.programs[1] = (struct fake_program){ "nvidia-smi", "NVIDIA-SMI 550\n", 0, 0 };
	snprintf(path, sizeof(path), "%s/run/qemu-server/100.qga", v->root);
	snprintf(v->fake.path, sizeof(v->fake.path), "%s", path);
	*state = v;
	return 0;
}

static int teardown(void **state)
{
	struct v *v = *state;
	fake_agent_stop(&v->fake);
	close(v->journal);
	vh_test_scratch_free(v->root);
	free(v);
	return 0;
}

static void start_agent(struct v *v, enum fake_mode mode)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s", v->fake.path);
	v->fake.mode = mode;
	fake_agent_start(&v->fake, path);
}

/* vfio-hook --root ROOT 100 post-start: fast, output closed at once. */
static void post_start(struct v *v, struct vh_test_proc *p)
{
	const char *argv[] = { VH_VFIO_HOOK, "--root", v->root, "100", "post-start", NULL };
	vh_test_run_env(argv, NULL, 10000, p);
	assert_int_equal(p->status, 0);
	if (p->exit_ms > 1000 || p->eof_ms < 0 || p->eof_ms > 1000)
		fail_msg("post-start took %ld ms, its output closed after %ld ms:\n%s", p->exit_ms,
			 p->eof_ms, p->out);
}

/* The verdict file, once the verifier wrote it (NULL after limit_ms). */
static json_object *await_verdict(struct v *v, unsigned limit_ms)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/run/vfiohelp/guest/100.json", v->root);
	for (unsigned waited = 0; waited <= limit_ms; waited += 50) {
		json_object *o = json_object_from_file(path);
		if (o)
			return o;
		struct timespec ts = { 0, 50 * 1000000L };
		nanosleep(&ts, NULL);
	}
	return NULL;
}

/* Every datagram the journal got so far, joined. */
static char *journal_text(struct v *v)
{
	static char all[65536];
	size_t used = 0;
	char buf[4096];
	ssize_t n;
	all[0] = '\0';
	while ((n = recv(v->journal, buf, sizeof(buf) - 1, MSG_DONTWAIT)) > 0 &&
	       used + (size_t)n + 2 < sizeof(all)) {
		memcpy(all + used, buf, (size_t)n);
		used += (size_t)n;
		all[used++] = '\n';
		all[used] = '\0';
	}
	return all;
}

/* The journal's text once it holds needle (bounded): the verifier writes
 * its verdict file before it sends the journal its lines. */
static const char *await_journal(struct v *v, const char *needle, unsigned limit_ms)
{
	static char seen[65536];
	seen[0] = '\0';
	for (unsigned waited = 0; waited <= limit_ms; waited += 50) {
		strncat(seen, journal_text(v), sizeof(seen) - strlen(seen) - 1);
		if (strstr(seen, needle))
			break;
		struct timespec ts = { 0, 50 * 1000000L };
		nanosleep(&ts, NULL);
	}
	return seen;
}

static const char *verdict_of(json_object *o)
{
	return json_object_get_string(json_object_object_get(o, "verdict"));
}

static void test_healthy_start_recorded(void **state)
{
	struct v *v = *state;
	start_agent(v, FAKE_OK);
	struct vh_test_proc p;
	post_start(v, &p);
	assert_contains(p.out, "vfio-hook: guest: a verifier asks VM 100's guest");
	vh_test_proc_free(&p);
	json_object *o = await_verdict(v, 15000);
	assert_non_null(o);
	assert_string_equal(verdict_of(o), "ok");
	assert_true(json_object_object_get_ex(o, "started", NULL));
	json_object_put(o);
	/* the hook log, and hookctl log showing it */
	const char *log = vh_test_read(v->root, "var/log/vfiohelp/hook.log");
	assert_contains(log, "\"phase\":\"guest\"");
	assert_contains(log, "guest VM 100: verdict ok");
	const char *argv[] = { VH_HOOKCTL, "log", "100", "--root", v->root, NULL };
	char *out;
	assert_int_equal(vh_test_run(argv, &out, NULL), 0);
	assert_contains(out, "guest verdict: ok");
	free(out);
	const char *j = await_journal(v, "VFIOHELP_VERDICT=ok\n", 5000);
	assert_contains(j, "SYSLOG_IDENTIFIER=vfio-hook\n");
	assert_contains(j, "VFIOHELP_VMID=100\n");
	assert_contains(j, "VFIOHELP_VERDICT=ok\n");
	assert_not_contains(j, "VFIOHELP_FINDING=");
}

static void test_problem_named_in_the_journal(void **state)
{
	struct v *v = *state;
	v->fake.programs[0].out = "fw uefi\npci 0000:01:00.0 0x10de 0x2803 nvidia\n";
	start_agent(v, FAKE_OK);
	struct vh_test_proc p;
	post_start(v, &p);
	vh_test_proc_free(&p);
	json_object *o = await_verdict(v, 15000);
	assert_non_null(o);
	assert_string_equal(verdict_of(o), "problem");
	json_object_put(o);
	const char *j = await_journal(v, "VFIOHELP_FINDING=guest-device-missing\n", 5000);
	assert_contains(j, "VFIOHELP_FINDING=guest-device-missing\n");
	assert_contains(j, "VFIOHELP_DEVICE=0000:01:00.1\n");
	assert_contains(j, "PRIORITY=3\n");
	const char *argv[] = { VH_HOOKCTL, "log", "100", "--root", v->root, "--json", NULL };
	char *out;
	assert_int_equal(vh_test_run(argv, &out, NULL), 0);
	assert_contains(out, "\"verdict\": \"problem\"");
	assert_contains(out, "guest-device-missing");
	free(out);
}

/* A silent agent: the start is not delayed; the verifier gives up after
 * the policy's wait and says so. */
static void test_silent_agent_bounded_by_the_policy(void **state)
{
	struct v *v = *state;
	vh_test_write(v->root, "etc/pve/vfiohelp.json",
		      "{\"vms\": {\"100\": {\"guest\": {\"wait_s\": 2}}}}");
	start_agent(v, FAKE_SILENT);
	struct vh_test_proc p;
	time_t t0 = time(NULL);
	post_start(v, &p);
	assert_contains(p.out, "(at most 2 s)");
	vh_test_proc_free(&p);
	json_object *o = await_verdict(v, 15000);
	assert_non_null(o);
	assert_true(time(NULL) - t0 >= 2);
	assert_string_equal(verdict_of(o), "unknown");
	const char *text = json_object_to_json_string(o);
	assert_contains(text, "guest-agent-silent");
	json_object_put(o);
}

static void test_verify_false_asks_nothing(void **state)
{
	struct v *v = *state;
	vh_test_write(v->root, "etc/pve/vfiohelp.json", "{\"guest\": {\"verify\": false}}");
	start_agent(v, FAKE_OK);
	struct vh_test_proc p;
	post_start(v, &p);
	assert_contains(p.out, "guest: not asked (policy guest.verify is false)");
	vh_test_proc_free(&p);
	assert_null(await_verdict(v, 1500));
	assert_int_equal(v->fake.connections, 0);
}

static int guest_exit(struct v *v, const char *vmid, char **out)
{
	const char *argv[] = { VH_HOOKCTL, "guest", vmid, "--root", v->root, "--json", NULL };
	return vh_test_run(argv, out, NULL);
}

static void test_hookctl_guest_exit_statuses(void **state)
{
	struct v *v = *state;
	start_agent(v, FAKE_OK);
	char *out;
	assert_int_equal(guest_exit(v, "100", &out), 0);
	assert_contains(out, "\"verdict\": \"ok\"");
	free(out);
	fake_agent_stop(&v->fake);
	v->fake.programs[0].out = "fw uefi\npci 0000:01:00.0 0x10de 0x2803 nvidia\n";
	start_agent(v, FAKE_OK);
	assert_int_equal(guest_exit(v, "100", &out), 1);
	assert_contains(out, "\"id\": \"guest-device-missing\"");
	free(out);
	fake_agent_stop(&v->fake);
	start_agent(v, FAKE_EXEC_DISABLED);
	assert_int_equal(guest_exit(v, "100", &out), 3);
	assert_contains(out, "\"id\": \"guest-exec-disabled\"");
	free(out);
	assert_int_equal(guest_exit(v, "999", &out), 2); /* no such VM */
	free(out);
	assert_int_equal(guest_exit(v, "x", &out), 2); /* not a VMID */
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_healthy_start_recorded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_problem_named_in_the_journal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_silent_agent_bounded_by_the_policy, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_verify_false_asks_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hookctl_guest_exit_statuses, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
