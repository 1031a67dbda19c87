/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Many hook phases at once on one host, as Proxmox runs them when several
 * VMs start and stop together: real vfio-hook processes under the kernel
 * stand-in (tests/mock/vhmock.c), VMs that share a card (100 and 101 both
 * pass the GPU) and VMs that do not (102 the NIC, 103 the USB controller),
 * all four phases mixed. Afterwards:
 *
 * - the hook log holds one JSON object per line, one line per run (and the
 *   post-start guest verifiers' "guest" records, well-formed, not counted);
 * - every line each hook printed starts with "vfio-hook:";
 * - no sanitizer report in any hook's stderr;
 * - every device is whole on one driver: on vfio-pci with the vfio-pci
 *   override, or on its host driver without one (never unbound with an
 *   override, never a link one way only).
 *
 * Once with every write succeeding, once with every 7th failing. Bounded:
 * ROUNDS rounds of WORKERS processes, each round given ROUND_MS.
 */
#include "testlib.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#define ROUNDS 10
#define WORKERS 16
#define ROUND_MS 90000

struct vm {
	const char *vmid;
	const char *hostpci0;
};

static const struct vm vms[] = {
	{ "100", "0000:01:00,pcie=1,rombar=0" },   /* GPU + audio */
	{ "101", "0000:01:00.0,pcie=1,rombar=0" }, /* the same GPU */
	{ "102", "0000:03:00.0,pcie=1" },          /* NIC, r8169 */
	{ "103", "0000:04:00.0,pcie=1" },          /* USB, xhci_hcd */
};

struct device {
	const char *addr;
	const char *host_driver;
};

static const struct device devices[] = {
	{ "0000:01:00.0", "nouveau" },
	{ "0000:01:00.1", "snd_hda_intel" },
	{ "0000:03:00.0", "r8169" },
	{ "0000:04:00.0", "xhci_hcd" },
};

static const char *const phases[] = { "pre-start", "post-start", "pre-stop", "post-stop" };

/* The nouveau host, vfio loaded, VMs 100-103 as above (copies of VM 100's
 * config with their own hostpci0). */
static char *stress_host(void)
{
	char *root = vh_test_scratch_copy(vh_test_host("nouveau"));
	vh_test_load_vfio(root);
	vh_test_write(root, "etc/pve/vfiohelp.json",
		      "{\"post_stop\": \"return\", \"timeout_ms\": 20000}");
	char conf[8192];
	snprintf(conf, sizeof(conf), "%s",
		 vh_test_read(root, "etc/pve/nodes/pve/qemu-server/100.conf"));
	char *line = strstr(conf, "hostpci0: "), *end = line ? strchr(line, '\n') : NULL;
	assert_non_null(end);
	for (size_t i = 0; i < sizeof(vms) / sizeof(vms[0]); i++) {
		char text[8192], rel[128];
		snprintf(text, sizeof(text), "%.*shostpci0: %s%s", (int)(line - conf), conf,
			 vms[i].hostpci0, end);
		snprintf(rel, sizeof(rel), "etc/pve/nodes/pve/qemu-server/%s.conf", vms[i].vmid);
		vh_test_write(root, rel, text);
	}
	return root;
}

struct run {
	int pid;
	const char *vmid, *phase;
	char out[64], err[64]; /* files under the scratch dir */
	int status;
};

static int open_output(const char *dir, char *name, size_t size, const char *kind, unsigned i)
{
	char path[4096];
	snprintf(name, size, "%s.%u", kind, i);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	return fd;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Starts WORKERS hooks at once and waits for all of them (ROUND_MS at most).
 * fail_every: every so many sysfs writes fail (0: none). */
static void run_round(const char *root, const char *outdir, unsigned round, unsigned *seed,
		      struct run *runs, unsigned fail_every)
{
	char fail[40];
	const char *env[4];
	snprintf(fail, sizeof(fail), "VH_MOCK_FAIL_EVERY=%u", fail_every);
	env[0] = vh_test_mock_env(root)[0];
	env[1] = vh_test_mock_env(root)[1];
	env[2] = fail;
	env[3] = NULL;
	for (unsigned i = 0; i < WORKERS; i++) {
		struct run *r = &runs[i];
		r->vmid = vms[rand_r(seed) % (sizeof(vms) / sizeof(vms[0]))].vmid;
		/* pre-start and post-stop (the phases that write) twice as often */
		unsigned ph = (unsigned)rand_r(seed) % 6;
		r->phase = phases[ph < 4 ? ph : ph == 4 ? 0 : 3];
		int out = open_output(outdir, r->out, sizeof(r->out), "out", round * WORKERS + i);
		int err = open_output(outdir, r->err, sizeof(r->err), "err", round * WORKERS + i);
		const char *argv[] = { VH_VFIO_HOOK, "--root", root, r->vmid, r->phase, NULL };
		r->pid = vh_test_spawn_env(argv, env, out, err);
		close(out);
		close(err);
	}
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	unsigned left = WORKERS;
	while (left && ms_since(&t0) < ROUND_MS) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);
		if (pid <= 0) {
			struct timespec ts = { 0, 10 * 1000000L };
			nanosleep(&ts, NULL);
			continue;
		}
		for (unsigned i = 0; i < WORKERS; i++)
			if (runs[i].pid == pid) {
				runs[i].status = WIFEXITED(status) ? WEXITSTATUS(status)
								   : 128 + WTERMSIG(status);
				left--;
			}
	}
	for (unsigned i = 0; left && i < WORKERS; i++)
		kill(runs[i].pid, SIGKILL);
	if (left)
		fail_msg("round %u: %u of %d hooks did not finish within %d ms", round, left,
			 WORKERS, ROUND_MS);
	print_message("round %u: %d hooks in %ld ms\n", round, WORKERS, ms_since(&t0));
}

static void check_run(const char *outdir, const struct run *r)
{
	char *text = strdup(vh_test_read(outdir, r->out));
	if (r->status != 0 && !(r->status == 1 && !strcmp(r->phase, "pre-start")))
		fail_msg("VM %s %s exited %d:\n%s", r->vmid, r->phase, r->status, text);
	for (const char *l = text; *l;) {
		if (strncmp(l, "vfio-hook:", 10))
			fail_msg("VM %s %s printed a line without the prefix: %.80s", r->vmid,
				 r->phase, l);
		const char *nl = strchr(l, '\n');
		l = nl ? nl + 1 : l + strlen(l);
	}
	free(text);
	const char *err = vh_test_read(outdir, r->err);
	assert_not_contains(err, "Sanitizer");
	assert_not_contains(err, "runtime error:");
}

/* One JSON object per line, with the phase's keys; returns how many lines
 * are the phases' own (a post-start's detached verifier adds a "guest" line). */
static unsigned check_hook_log(const char *root)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/var/log/vfiohelp/hook.log", root);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned n = 0, runs = 0;
	while ((len = getline(&line, &cap, f)) > 0) {
		n++;
		if (line[len - 1] != '\n')
			fail_msg("hook.log line %u does not end with a newline", n);
		enum json_tokener_error jerr;
		json_object *o = json_tokener_parse_verbose(line, &jerr), *v;
		if (!o || !json_object_is_type(o, json_type_object))
			fail_msg("hook.log line %u is not one JSON object (%s): %.200s", n,
				 json_tokener_error_desc(jerr), line);
		if (!json_object_object_get_ex(o, "vmid", &v) ||
		    !json_object_object_get_ex(o, "phase", &v) ||
		    !json_object_object_get_ex(o, "exit", &v) ||
		    !json_object_object_get_ex(o, "lines", &v))
			fail_msg("hook.log line %u lacks vmid, phase, exit or lines: %.200s", n,
				 line);
		json_object_object_get_ex(o, "phase", &v);
		runs += strcmp(json_object_get_string(v), "guest") != 0;
		json_object_put(o);
	}
	free(line);
	fclose(f);
	return runs;
}

static void binding(const char *root, const char *addr, char *drv, size_t dsize, char *ov,
		    size_t osize)
{
	char path[4096], target[4096], rel[256];
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/%s/driver", root, addr);
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = '\0';
	const char *slash = strrchr(target, '/');
	snprintf(drv, dsize, "%.63s", slash ? slash + 1 : target);
	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/driver_override", addr);
	snprintf(ov, osize, "%.63s", vh_test_read(root, rel));
	ov[strcspn(ov, "\n")] = '\0';
	if (!strcmp(ov, "(null)"))
		ov[0] = '\0';
}

static void check_devices_whole(const char *root)
{
	for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++) {
		char drv[64], ov[64], back[4096];
		struct stat st;
		binding(root, devices[i].addr, drv, sizeof(drv), ov, sizeof(ov));
		bool on_vfio = !strcmp(drv, "vfio-pci") && !strcmp(ov, "vfio-pci");
		bool on_host = !strcmp(drv, devices[i].host_driver) && !ov[0];
		print_message("%s: %s, override '%s'\n", devices[i].addr,
			      drv[0] ? drv : "no driver", ov);
		if (!on_vfio && !on_host)
			fail_msg("%s is half moved: driver '%s', override '%s'\nwrites:\n%s",
				 devices[i].addr, drv, ov, vh_test_mock_writes(root));
		snprintf(back, sizeof(back), "%s/sys/bus/pci/drivers/%s/%s", root, drv,
			 devices[i].addr);
		if (lstat(back, &st) < 0)
			fail_msg("%s names %s but the driver does not list it", devices[i].addr,
				 drv);
	}
}

static void stress(unsigned fail_every)
{
	char *root = stress_host();
	char *outdir = vh_test_scratch_empty();
	unsigned seed = 20261125 + fail_every;
	struct run runs[WORKERS];
	for (unsigned round = 0; round < ROUNDS; round++) {
		memset(runs, 0, sizeof(runs));
		run_round(root, outdir, round, &seed, runs, fail_every);
		for (unsigned i = 0; i < WORKERS; i++)
			check_run(outdir, &runs[i]);
		check_devices_whole(root);
	}
	unsigned lines = check_hook_log(root);
	const char *w = vh_test_mock_writes(root);
	unsigned failed = 0;
	for (const char *p = w; (p = strstr(p, "\tEIO\n")); p++)
		failed++;
	print_message("%u hook runs, %u hook.log lines, %u sysfs writes (%u failed)\n",
		      ROUNDS * WORKERS, lines, vh_test_mock_write_count(root), failed);
	assert_int_equal(lines, ROUNDS * WORKERS);
	/* the stress proves something only if devices were written to (and, with
	 * faults, if writes failed) */
	assert_true(vh_test_mock_write_count(root) > 0);
	if (fail_every)
		assert_true(failed > 0);
	vh_test_scratch_free(outdir);
	vh_test_scratch_free(root);
}

static void test_concurrent_phases(void **state)
{
	(void)state;
	stress(0);
}

/* The same with every 7th sysfs write failing: rollbacks and failed returns
 * interleave with the other VMs' hooks; still nothing is left half moved. */
static void test_concurrent_phases_with_failing_writes(void **state)
{
	(void)state;
	stress(7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_concurrent_phases),
		cmocka_unit_test(test_concurrent_phases_with_failing_writes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
