/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guest agent's client (guest/agent.c, guest/wire.c) against an
 * in-test agent (tests/unit/fakeagent.c): the sync by a fresh id through
 * stale replies and the 0xFF delimiter, silence bounded by the hold,
 * malformed and wrongly shaped replies, guest-exec disabled as qemu-ga
 * reports it, guest-exec with its status polled and its output decoded.
 */
#include "testlib.h"
#include "fakeagent.h"
#include "internal.h"
#include "guest/agent.h"
#include "guest/wire.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fixture {
	char *dir;
	struct fake_agent fake;
	bool running; /* the fake's thread, stopped by teardown if a test failed first */
	struct vh_agent agent;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->dir = vh_test_scratch_empty();
	f->agent.hold_ms = VH_AGENT_HOLD_MS; /* the product's: short enough, and room under ASan */
	snprintf(f->agent.path, sizeof(f->agent.path), "%s/100.qga", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	if (f->running)
		fake_agent_stop(&f->fake);
	vh_test_scratch_free(f->dir);
	free(f);
	return 0;
}

static void start(struct fixture *f, enum fake_mode mode)
{
	f->fake.mode = mode;
	fake_agent_start(&f->fake, f->agent.path);
	f->running = true;
}

static void stop(struct fixture *f)
{
	fake_agent_stop(&f->fake);
	f->running = false;
}

static void test_ping_syncs_with_a_delimited_id(void **state)
{
	struct fixture *f = *state;
	struct vh_err e;
	start(f, FAKE_OK);
	assert_int_equal(vh_agent_call(&f->agent, NULL, NULL, NULL, &e), 0);
	json_object *ret = NULL;
	assert_int_equal(vh_agent_call(&f->agent, "guest-ping", NULL, &ret, &e), 0);
	assert_true(json_object_is_type(ret, json_type_object));
	json_object_put(ret);
	stop(f);
	assert_int_equal(f->fake.syncs, 2);
	assert_int_equal(f->fake.ff_bytes, 2);    /* the schema's flush byte before each sync */
	assert_int_equal(f->fake.connections, 2); /* one connection per question */
	assert_int_equal(f->agent.connections, 2);
	assert_true(f->agent.max_hold_ms < VH_AGENT_HOLD_MS);
}

static void test_stale_replies_are_dropped(void **state)
{
	struct fixture *f = *state;
	struct vh_err e;
	f->fake.stale_on_connect = true; /* a pid, a delimited sync id 7, an empty return */
	f->fake.osinfo = "{\"id\": \"debian\", \"kernel-release\": \"6.1.0-28-amd64\"}";
	start(f, FAKE_OK);
	json_object *ret = NULL;
	assert_int_equal(vh_agent_call(&f->agent, "guest-get-osinfo", NULL, &ret, &e), 0);
	assert_string_equal(json_object_get_string(json_object_object_get(ret, "id")), "debian");
	json_object_put(ret);
	stop(f);
}

static void test_silence_ends_at_the_hold(void **state)
{
	struct fixture *f = *state;
	struct vh_err e;
	start(f, FAKE_SILENT);
	long long t0 = vh_wire_now_ms();
	assert_int_equal(vh_agent_call(&f->agent, "guest-ping", NULL, NULL, &e), -1);
	long long took = vh_wire_now_ms() - t0;
	assert_int_equal(e.code, ETIMEDOUT);
	/* ended by the hold, not held past it (the slack is a loaded 2-core machine's
	 * late wake-up under ASan, not a second wait) */
	assert_true(took >= VH_AGENT_HOLD_MS - 20 && took < 2 * VH_AGENT_HOLD_MS);
	assert_true(f->agent.max_hold_ms < 2 * VH_AGENT_HOLD_MS);
	stop(f);
}

static void test_no_socket_is_enoent(void **state)
{
	struct fixture *f = *state;
	struct vh_err e;
	assert_int_equal(vh_agent_call(&f->agent, NULL, NULL, NULL, &e), -1);
	assert_int_equal(e.code, ENOENT);
}

static void test_malformed_and_misshapen_replies_fail(void **state)
{
	struct fixture *f = *state;
	struct vh_err e;
	start(f, FAKE_MALFORMED);
	assert_int_equal(vh_agent_call(&f->agent, "guest-ping", NULL, NULL, &e), -1);
	assert_int_equal(e.code, EPROTO);
	stop(f);
	start(f, FAKE_WRONG_SHAPE);
	assert_int_equal(vh_agent_call(&f->agent, "guest-ping", NULL, NULL, &e), -1);
	assert_int_equal(e.code, EPROTO);
	assert_contains(e.msg, "neither return nor error");
	stop(f);
}

static void test_exec_runs_polls_and_decodes(void **state)
{
	struct fixture *f = *state;
	struct vh_err e;
	f->fake.programs[0] = (struct fake_program){ "nvidia-smi",
						     "No devices were found\nsecond line\n", 6, 2 };
	start(f, FAKE_OK);
	const char *argv[] = { "nvidia-smi", NULL };
	struct vh_agent_exec x;
	assert_int_equal(vh_agent_exec(&f->agent, argv, 5000, &x, &e), 0);
	assert_true(x.exited);
	assert_int_equal(x.exitcode, 6);
	assert_string_equal(x.out, "No devices were found\nsecond line\n");
	assert_string_equal(x.err, "");
	vh_agent_exec_free(&x);
	stop(f);
	/* guest-exec, two "still running" answers, the exit: four connections */
	assert_int_equal(f->fake.connections, 4);
}

static void test_exec_of_a_missing_program_fails_the_call(void **state)
{
	struct fixture *f = *state;
	struct vh_err e;
	start(f, FAKE_OK);
	const char *argv[] = { "no-such-program", NULL };
	struct vh_agent_exec x;
	assert_int_equal(vh_agent_exec(&f->agent, argv, 5000, &x, &e), -1);
	assert_int_equal(e.code, EREMOTEIO);
	assert_contains(e.msg, "Failed to execute child process");
	stop(f);
}

static void test_exec_disabled_is_enotsup(void **state)
{
	struct fixture *f = *state;
	struct vh_err e;
	start(f, FAKE_EXEC_DISABLED);
	const char *argv[] = { "/bin/sh", "-c", "true", NULL };
	struct vh_agent_exec x;
	assert_int_equal(vh_agent_exec(&f->agent, argv, 5000, &x, &e), -1);
	assert_int_equal(e.code, ENOTSUP);
	assert_contains(e.msg, "has been disabled");
	assert_int_equal(vh_agent_call(&f->agent, NULL, NULL, NULL, &e), 0); /* it answers */
	stop(f);
}

static void test_exec_still_running_at_the_limit(void **state)
{
	struct fixture *f = *state;
	struct vh_err e;
	f->fake.programs[0] = (struct fake_program){ "sleep", "", 0, 1000 };
	start(f, FAKE_OK);
	const char *argv[] = { "sleep", "60", NULL };
	struct vh_agent_exec x;
	assert_int_equal(vh_agent_exec(&f->agent, argv, 1500, &x, &e), -1);
	assert_int_equal(e.code, ETIMEDOUT);
	assert_contains(e.msg, "still runs in the guest");
	stop(f);
}

static void test_base64(void **state)
{
	(void)state;
	char *out;
	size_t len;
	assert_int_equal(vh_base64_decode("TlZSTTogR1BV", 12, &out, &len), 0);
	assert_string_equal(out, "NVRM: GPU");
	free(out);
	assert_int_equal(vh_base64_decode("YQ==", 4, &out, &len), 0);
	assert_int_equal(len, 1);
	assert_string_equal(out, "a");
	free(out);
	assert_int_equal(vh_base64_decode("YWI=\n", 5, &out, &len), 0);
	assert_string_equal(out, "ab");
	free(out);
	assert_int_equal(vh_base64_decode("", 0, &out, &len), 0);
	assert_int_equal(len, 0);
	free(out);
	assert_int_equal(vh_base64_decode("YQ=a", 4, &out, &len), -1); /* data after padding */
	assert_int_equal(vh_base64_decode("Y*==", 4, &out, &len), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ping_syncs_with_a_delimited_id, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stale_replies_are_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_silence_ends_at_the_hold, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_socket_is_enoent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_and_misshapen_replies_fail, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_exec_runs_polls_and_decodes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_of_a_missing_program_fails_the_call,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_disabled_is_enotsup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_still_running_at_the_limit, setup,
						teardown),
		cmocka_unit_test(test_base64),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
