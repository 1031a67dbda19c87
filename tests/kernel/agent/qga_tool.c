/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guest-agent bench's own hands (tests/kernel/agent/agent-bench.sh),
 * built on the product's agent client:
 *   qga_tool wait SOCKET SECONDS        until the agent answers a ping
 *   qga_tool exec SOCKET ARGV...        run a program in the guest (the bench
 *                                       switches its stand-ins; the product never
 *                                       changes anything in the guest)
 *   qga_tool pinger SOCKET MS           ping every 200 ms for MS ms as qemu-server
 *                                       does (sync and guest-ping, a 3 s timeout):
 *                                       "pings=N fails=F max_ms=M"
 *   qga_tool stale SOCKET               a request whose reply nobody reads
 *   qga_tool ask ROOT VMID WAIT_S       vh_guest_ask: the verdict and the measures
 *   qga_tool quit QMP_SOCKET            QMP quit, its reply read before closing
 */
#include "internal.h"
#include "guest/agent.h"
#include "guest/wire.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void agent_at(struct vh_agent *a, const char *path, unsigned hold_ms)
{
	memset(a, 0, sizeof(*a));
	a->hold_ms = hold_ms;
	vh_strlcpy(a->path, path, sizeof(a->path));
}

static void sleep_ms(long ms)
{
	if (ms <= 0)
		return;
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static int cmd_wait(const char *sock, unsigned seconds)
{
	struct vh_agent a;
	struct vh_err e = { 0 };
	agent_at(&a, sock, 1000);
	long long end = vh_wire_now_ms() + seconds * 1000LL;
	while (vh_wire_now_ms() < end) {
		long long t = vh_wire_now_ms();
		if (vh_agent_call(&a, "guest-ping", NULL, NULL, &e) == 0) {
			printf("answered\n");
			return 0;
		}
		sleep_ms(1000 - (long)(vh_wire_now_ms() - t));
	}
	fprintf(stderr, "qga_tool wait: %s\n", e.msg);
	return 1;
}

static int cmd_exec(const char *sock, const char *const *argv)
{
	struct vh_agent a;
	struct vh_agent_exec x;
	struct vh_err e;
	agent_at(&a, sock, 1000);
	if (vh_agent_exec(&a, argv, 30000, &x, &e) < 0) {
		fprintf(stderr, "qga_tool exec: %s\n", e.msg);
		return 125;
	}
	fwrite(x.out, 1, x.out_len, stdout);
	fwrite(x.err, 1, x.err_len, stderr);
	int rc = x.exitcode;
	vh_agent_exec_free(&x);
	return rc;
}

static int cmd_pinger(const char *sock, long duration_ms)
{
	struct vh_agent a;
	struct vh_err e;
	agent_at(&a, sock, 3000); /* qemu-server's guest-ping timeout */
	long long end = vh_wire_now_ms() + duration_ms;
	unsigned pings = 0, fails = 0;
	long max_ms = 0;
	while (vh_wire_now_ms() < end) {
		long long t = vh_wire_now_ms();
		if (vh_agent_call(&a, "guest-ping", NULL, NULL, &e) < 0) {
			fails++;
			fprintf(stderr, "qga_tool pinger: %s\n", e.msg);
		}
		long took = (long)(vh_wire_now_ms() - t);
		pings++;
		if (took > max_ms)
			max_ms = took;
		sleep_ms(200 - took);
	}
	printf("pings=%u fails=%u max_ms=%ld\n", pings, fails, max_ms);
	return fails ? 1 : 0;
}

static int cmd_stale(const char *sock)
{
	static const char req[] =
		"{\"execute\":\"guest-sync-delimited\",\"arguments\":{\"id\":4242}}\n"
		"{\"execute\":\"guest-get-osinfo\"}\n";
	struct vh_wire w;
	struct vh_err e;
	if (vh_wire_open(&w, sock, 1000, &e) < 0 ||
	    vh_wire_send(&w, req, sizeof(req) - 1, &e) < 0) {
		fprintf(stderr, "qga_tool stale: %s\n", e.msg);
		vh_wire_close(&w);
		return 1;
	}
	vh_wire_close(&w); /* gone before the replies come: the next client gets them */
	return 0;
}

static int cmd_ask(const char *root, const char *vmid_s, unsigned wait_s)
{
	struct vh_err e;
	unsigned vmid;
	if (vh_vmid_parse(vmid_s, &vmid) < 0)
		return 2;
	struct vh_host *h = vh_host_new(root, &e);
	struct vh_policy *p = h ? vh_policy_load(h, NULL, &e) : NULL;
	struct vh_guest_report *r = p ? vh_guest_ask(h, vmid, p, wait_s * 1000u, &e) : NULL;
	if (!r) {
		fprintf(stderr, "qga_tool ask: %s\n", e.msg);
		return 2;
	}
	printf("verdict=%s answer_to_verdict_ms=%ld max_hold_ms=%ld connections=%u\n",
	       vh_guest_verdict_name(r->verdict), r->answer_to_verdict_ms, r->max_hold_ms,
	       r->connections);
	vh_guest_report_free(r);
	vh_policy_free(p);
	vh_host_free(h);
	return 0;
}

static int qmp_next(struct vh_wire *w, const char *key, struct vh_err *e)
{
	for (;;) {
		json_object *o;
		if (vh_wire_next(w, &o, e) < 0)
			return -1;
		bool found = json_object_object_get_ex(o, key, NULL);
		json_object_put(o);
		if (found)
			return 0;
	}
}

static int cmd_quit(const char *qmp)
{
	static const char caps[] = "{\"execute\":\"qmp_capabilities\"}\n";
	static const char quit[] = "{\"execute\":\"quit\"}\n";
	struct vh_wire w;
	struct vh_err e;
	int rc = vh_wire_open(&w, qmp, 5000, &e) < 0 || qmp_next(&w, "QMP", &e) < 0 ||
		 vh_wire_send(&w, caps, sizeof(caps) - 1, &e) < 0 ||
		 qmp_next(&w, "return", &e) < 0 ||
		 vh_wire_send(&w, quit, sizeof(quit) - 1, &e) < 0 || qmp_next(&w, "return", &e) < 0;
	vh_wire_close(&w);
	if (rc)
		fprintf(stderr, "qga_tool quit: %s\n", e.msg);
	return rc;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	if (!strcmp(cmd, "wait") && argc == 4)
		return cmd_wait(argv[2], (unsigned)atoi(argv[3]));
	if (!strcmp(cmd, "exec") && argc >= 4)
		return cmd_exec(argv[2], (const char *const *)argv + 3);
	if (!strcmp(cmd, "pinger") && argc == 4)
		return cmd_pinger(argv[2], atol(argv[3]));
	if (!strcmp(cmd, "stale") && argc == 3)
		return cmd_stale(argv[2]);
	if (!strcmp(cmd, "ask") && argc == 5)
		return cmd_ask(argv[2], argv[3], (unsigned)atoi(argv[4]));
	if (!strcmp(cmd, "quit") && argc == 3)
		return cmd_quit(argv[2]);
	fprintf(stderr, "usage: see the head of qga_tool.c\n");
	return 2;
}
