/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vfio-hook against a host tree that answers like a kernel: the real binary
 * runs with tests/mock/vhmock.c preloaded, so driver_override, unbind,
 * drivers_probe, bind and reset do on the tree what they do on a host. That
 * lets moves and returns succeed, and lets any one write fail:
 *
 * - pre-start moves a GPU and its audio (nouveau, snd_hda_intel) and an
 *   e1000e to vfio-pci and allows the start; post-stop (return) gives each
 *   back to its driver with its override;
 * - driver=keep and mdev= devices get no write at all, in any phase;
 * - for every N up to the writes of a clean run, pre-start with its Nth
 *   write failing refuses the start and leaves every device on the driver
 *   and override it had; post-stop with its Nth write failing leaves every
 *   device whole on one driver, and keeps the state while a device was not
 *   returned.
 */
#include "testlib.h"

#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LIMIT_MS 20000
#define VH_TEST_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* ---- trees ---- */

static char *tree_with_vfio(const char *host, const char *policy)
{
	char *root = vh_test_scratch_copy(vh_test_host(host));
	vh_test_load_vfio(root);
	if (policy)
		vh_test_write(root, "etc/pve/vfiohelp.json", policy);
	return root;
}

/* VM 100 of the tree with its hostpci0 line replaced. */
static void set_hostpci0(const char *root, const char *entry)
{
	const char *rel = "etc/pve/nodes/pve/qemu-server/100.conf";
	char conf[8192], out[8192];
	snprintf(conf, sizeof(conf), "%s", vh_test_read(root, rel));
	char *line = strstr(conf, "hostpci0: ");
	assert_non_null(line);
	char *end = strchr(line, '\n');
	assert_non_null(end);
	snprintf(out, sizeof(out), "%.*shostpci0: %s%s", (int)(line - conf), conf, entry, end);
	vh_test_write(root, rel, out);
}

/* ---- what a device is bound to ---- */

struct binding {
	char driver[64];   /* "" for none */
	char override[64]; /* "" for none */
};

static void binding_of(const char *root, const char *addr, struct binding *b)
{
	char path[4096], target[4096];
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/%s/driver", root, addr);
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = '\0';
	const char *slash = strrchr(target, '/');
	const char *name = slash ? slash + 1 : target;
	if (strlen(name) >= sizeof(b->driver))
		fail_msg("%s: driver link %s is too long", addr, target);
	memcpy(b->driver, name, strlen(name) + 1);
	char rel[256];
	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/driver_override", addr);
	snprintf(b->override, sizeof(b->override), "%s", vh_test_read(root, rel));
	b->override[strcspn(b->override, "\n")] = '\0';
	if (!strcmp(b->override, "(null)"))
		b->override[0] = '\0';
}

/* The driver's side of the bind agrees: drivers/<drv>/<addr> exists. */
static bool driver_lists(const char *root, const char *drv, const char *addr)
{
	char path[4096];
	struct stat st;
	snprintf(path, sizeof(path), "%s/sys/bus/pci/drivers/%s/%s", root, drv, addr);
	return lstat(path, &st) == 0;
}

static void assert_bound(const char *root, const char *addr, const char *drv, const char *override)
{
	struct binding b;
	binding_of(root, addr, &b);
	if (strcmp(b.driver, drv) || strcmp(b.override, override))
		fail_msg("%s: on '%s' with override '%s'; expected '%s' with override '%s'\nwrites:\n%s",
			 addr, b.driver, b.override, drv, override, vh_test_mock_writes(root));
	if (drv[0] && !driver_lists(root, drv, addr))
		fail_msg("%s: its driver link names %s but drivers/%s/%s is missing", addr, drv,
			 drv, addr);
}

static bool file_exists(const char *root, const char *rel)
{
	char path[4096];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	return lstat(path, &st) == 0;
}

static int resets_of(const char *root, const char *addr)
{
	char rel[128];
	snprintf(rel, sizeof(rel), ".vhmock/resets/%s", addr);
	return file_exists(root, rel) ? atoi(vh_test_read(root, rel)) : 0;
}

static int run(const char *root, const char *vmid, const char *phase, const char *const env[],
	       char **out)
{
	struct vh_test_proc p;
	vh_test_mock_hook(root, vmid, phase, env, LIMIT_MS, &p);
	if (p.exit_ms < 0)
		fail_msg("vfio-hook %s %s did not exit within %d ms:\n%s", vmid, phase, LIMIT_MS,
			 p.out);
	if (out)
		*out = p.out;
	else
		free(p.out);
	free(p.err);
	return p.status;
}

/* ---- moves and returns that succeed ---- */

static void test_prestart_moves_gpu_and_audio(void **state)
{
	(void)state;
	char *root = tree_with_vfio("nouveau", NULL);
	char *out;
	assert_int_equal(run(root, "100", "pre-start", NULL, &out), 0);
	assert_contains(out, "moved 0000:01:00.0 from nouveau to vfio-pci");
	assert_contains(out, "moved 0000:01:00.1 from snd_hda_intel to vfio-pci");
	assert_contains(out, "start allowed");
	assert_contains(out, "2 devices moved to vfio-pci");
	assert_bound(root, "0000:01:00.0", "vfio-pci", "vfio-pci");
	assert_bound(root, "0000:01:00.1", "vfio-pci", "vfio-pci");
	assert_false(driver_lists(root, "nouveau", "0000:01:00.0"));
	assert_true(file_exists(root, "dev/vfio/12"));
	/* the kernel's order: override, unbind, probe; then one reset each */
	const char *w = vh_test_mock_writes(root);
	assert_contains(w, "1\tsys/bus/pci/devices/0000:01:00.0/driver_override\tvfio-pci\tok\n"
			   "2\tsys/bus/pci/drivers/nouveau/unbind\t0000:01:00.0\tok\n"
			   "3\tsys/bus/pci/drivers_probe\t0000:01:00.0\tok\n");
	assert_int_equal(resets_of(root, "0000:01:00.0"), 1);
	assert_int_equal(resets_of(root, "0000:01:00.1"), 1);
	/* the originals are recorded for post-stop */
	const char *st = vh_test_read(root, "run/vfiohelp/100.json");
	assert_contains(st, "\"driver\":\"nouveau\"");
	assert_contains(st, "\"driver\":\"snd_hda_intel\"");
	free(out);
	vh_test_scratch_free(root);
}

static void test_prestart_then_poststop_returns_e1000e(void **state)
{
	(void)state;
	char *root = tree_with_vfio("legacy-kernel", "{\"post_stop\": \"return\"}");
	char *out;
	assert_int_equal(run(root, "100", "pre-start", NULL, &out), 0);
	assert_contains(out, "moved 0000:01:00.0 from e1000e to vfio-pci");
	assert_bound(root, "0000:01:00.0", "vfio-pci", "vfio-pci");
	assert_true(file_exists(root, "dev/vfio/2"));
	free(out);
	assert_int_equal(run(root, "100", "post-start", NULL, &out), 0);
	assert_contains(out, "0000:01:00.0: on vfio-pci, /dev/vfio/2 present");
	free(out);
	assert_int_equal(run(root, "100", "post-stop", NULL, &out), 0);
	assert_contains(out, "returned 0000:01:00.0 to e1000e");
	assert_bound(root, "0000:01:00.0", "e1000e", "");
	assert_false(driver_lists(root, "vfio-pci", "0000:01:00.0"));
	assert_false(file_exists(root, "dev/vfio/2"));
	assert_false(file_exists(root, "run/vfiohelp/100.json"));
	free(out);
	vh_test_scratch_free(root);
}

/* An override the admin set before (here: the host driver's own name) is
 * what post-stop puts back, not an empty one. */
static void test_poststop_restores_the_admins_override(void **state)
{
	(void)state;
	char *root = tree_with_vfio("legacy-kernel", "{\"post_stop\": \"return\"}");
	vh_test_write(root, "sys/bus/pci/devices/0000:01:00.0/driver_override", "e1000e\n");
	char *out;
	assert_int_equal(run(root, "100", "pre-start", NULL, &out), 0);
	assert_bound(root, "0000:01:00.0", "vfio-pci", "vfio-pci");
	free(out);
	assert_int_equal(run(root, "100", "post-stop", NULL, &out), 0);
	assert_bound(root, "0000:01:00.0", "e1000e", "e1000e");
	free(out);
	vh_test_scratch_free(root);
}

/* Proxmox applies pending changes before post-stop: the config now names
 * the host's NVMe instead of the GPU, and VM 555 has started on the audio
 * function. post-stop acts on its own state only: the GPU goes back to
 * nouveau, nothing is written to the NVMe or to the audio function, and
 * the audio keeps its record. */
static void test_poststop_acts_on_its_state_only(void **state)
{
	(void)state;
	char *root = tree_with_vfio("nouveau", "{\"post_stop\": \"return\", \"reset\": true}");
	char *out;
	assert_int_equal(run(root, "100", "pre-start", NULL, &out), 0);
	assert_bound(root, "0000:01:00.0", "vfio-pci", "vfio-pci");
	free(out);
	set_hostpci0(root, "0000:02:00.0,pcie=1");
	vh_test_vm_running(root, 555, 4242);
	vh_test_write(root, "run/qemu-server/pci-id-reservations", "0000:01:00.1 555 pid:4242\n");
	vh_test_mock_reset_count(root);
	assert_int_equal(run(root, "100", "post-stop", NULL, &out), 0);
	const char *writes = vh_test_mock_writes(root);
	assert_not_contains(writes, "0000:02:00.0");
	assert_not_contains(writes, "0000:01:00.1");
	assert_contains(out, "returned 0000:01:00.0 to nouveau");
	assert_contains(out, "0000:01:00.1 left alone, its record kept: VM 555 holds it");
	assert_bound(root, "0000:01:00.0", "nouveau", "");
	assert_bound(root, "0000:01:00.1", "vfio-pci", "vfio-pci");
	assert_bound(root, "0000:02:00.0", "nvme", "");
	const char *st = vh_test_read(root, "run/vfiohelp/100.json");
	assert_contains(st, "\"addr\":\"0000:01:00.1\"");
	assert_contains(st, "\"driver\":\"snd_hda_intel\"");
	assert_not_contains(st, "0000:01:00.0");
	free(out);
	vh_test_scratch_free(root);
}

/* A start that fails after pre-start runs no post-stop: the next pre-start
 * finds the card on vfio-pci already and must keep the first record
 * (nouveau, snd_hda_intel), so the post-stop after it returns the card to
 * the host. */
static void test_restart_after_failed_start_returns_first_driver(void **state)
{
	(void)state;
	char *root = tree_with_vfio("nouveau", "{\"post_stop\": \"return\"}");
	char *out;
	assert_int_equal(run(root, "100", "pre-start", NULL, &out), 0);
	free(out);
	assert_int_equal(run(root, "100", "pre-start", NULL, &out), 0);
	assert_contains(out, "0 devices moved to vfio-pci");
	free(out);
	assert_int_equal(run(root, "100", "post-stop", NULL, &out), 0);
	assert_contains(out, "returned 0000:01:00.0 to nouveau");
	assert_bound(root, "0000:01:00.0", "nouveau", "");
	assert_bound(root, "0000:01:00.1", "snd_hda_intel", "");
	assert_false(file_exists(root, "run/vfiohelp/100.json"));
	free(out);
	vh_test_scratch_free(root);
}

/* ---- devices the hook must never write to ---- */

static const char *const all_phases[] = { "pre-start", "post-start", "pre-stop", "post-stop" };

static void assert_no_write_in_any_phase(const char *entry)
{
	char *root = tree_with_vfio("nouveau", "{\"post_stop\": \"return\", \"reset\": true}");
	set_hostpci0(root, entry);
	/* a state file from an earlier run must not lead post-stop to the device either */
	for (size_t i = 0; i < 4; i++) {
		char *out;
		run(root, "100", all_phases[i], NULL, &out);
		if (vh_test_mock_write_count(root))
			fail_msg("'%s': %s wrote to sysfs:\n%s\nhook said:\n%s", entry,
				 all_phases[i], vh_test_mock_writes(root), out);
		free(out);
	}
	assert_bound(root, "0000:01:00.0", "nouveau", "");
	assert_bound(root, "0000:01:00.1", "snd_hda_intel", "");
	assert_int_equal(resets_of(root, "0000:01:00.0"), 0);
	vh_test_scratch_free(root);
}

static void test_driver_keep_gets_no_write(void **state)
{
	(void)state;
	assert_no_write_in_any_phase("0000:01:00,pcie=1,rombar=0,driver=keep");
}

static void test_mdev_parent_gets_no_write(void **state)
{
	(void)state;
	assert_no_write_in_any_phase("0000:01:00.0,mdev=nvidia-35,pcie=1");
}

/* ---- the Nth write fails ---- */

#define GPU "0000:01:00.0"
#define AUDIO "0000:01:00.1"

static unsigned clean_prestart_writes(void)
{
	char *root = tree_with_vfio("nouveau", NULL);
	assert_int_equal(run(root, "100", "pre-start", NULL, NULL), 0);
	unsigned n = vh_test_mock_write_count(root);
	vh_test_scratch_free(root);
	return n;
}

/* What went wrong in the runs of one fault-injection loop: every N is run,
 * and the test fails at the end naming each N that broke the contract. */
struct faults {
	char text[16384];
	size_t len;
	unsigned count;
};

static void fault(struct faults *f, const char *fmt, ...) VH_TEST_PRINTF(2, 3);
static void fault(struct faults *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (f->len < sizeof(f->text)) {
		int n = vsnprintf(f->text + f->len, sizeof(f->text) - f->len, fmt, ap);
		f->len += n > 0 ? (size_t)n : 0;
	}
	va_end(ap);
	f->count++;
}

static void check_bound(struct faults *f, unsigned n, const char *root, const char *addr,
			const char *drv, const char *override)
{
	struct binding b;
	binding_of(root, addr, &b);
	if (strcmp(b.driver, drv) || strcmp(b.override, override))
		fault(f,
		      "write %u failed: %s ends on '%s' with override '%s', not '%s' with '%s'\n",
		      n, addr, b.driver, b.override, drv, override);
}

static void test_prestart_nth_write_fails(void **state)
{
	(void)state;
	unsigned total = clean_prestart_writes();
	struct faults f = { .len = 0 };
	assert_true(total >= 6); /* two devices: override, unbind, probe each */
	for (unsigned n = 1; n <= total; n++) {
		char *root = tree_with_vfio("nouveau", NULL);
		char fail[32], *out;
		snprintf(fail, sizeof(fail), "VH_MOCK_FAIL_WRITE=%u", n);
		const char *env[] = { fail, "VH_MOCK_FAIL_ERRNO=EBUSY", NULL };
		int rc = run(root, "100", "pre-start", env, &out);
		const char *w = vh_test_mock_writes(root);
		const char *failed = strstr(w, "\tEBUSY\n");
		const char *line = failed;
		while (line && line > w && line[-1] != '\n')
			line--;
		print_message("pre-start, write %u of %u fails (%.*s): exit %d\n", n, total,
			      line ? (int)(failed - line) : 0, line ? line : "", rc);
		assert_non_null(failed);
		if (rc == 0 || !strstr(out, "start refused"))
			fault(&f, "write %u failed (%.*s) but the start was allowed\n", n,
			      (int)(failed - line), line);
		check_bound(&f, n, root, GPU, "nouveau", "");
		check_bound(&f, n, root, AUDIO, "snd_hda_intel", "");
		if (file_exists(root, "dev/vfio/12"))
			fault(&f, "write %u failed: /dev/vfio/12 is left\n", n);
		if (file_exists(root, "run/vfiohelp/100.json"))
			fault(&f, "write %u failed: the state file is left after a full rollback\n",
			      n);
		free(out);
		vh_test_scratch_free(root);
	}
	if (f.count)
		fail_msg("%u broken promises:\n%s", f.count, f.text);
}

/* Whole on one driver: either where pre-start put it, or back where it was. */
static bool is_moved(const char *root, const char *addr)
{
	struct binding b;
	binding_of(root, addr, &b);
	return !strcmp(b.driver, "vfio-pci") && !strcmp(b.override, "vfio-pci");
}

static bool is_returned(const char *root, const char *addr, const char *drv)
{
	struct binding b;
	binding_of(root, addr, &b);
	return !strcmp(b.driver, drv) && !b.override[0];
}

static const char *where(const char *root, const char *addr, const char *drv)
{
	return is_returned(root, addr, drv) ? "returned"
	       : is_moved(root, addr)       ? "on vfio-pci"
					    : "HALF MOVED";
}

static void test_poststop_nth_write_fails(void **state)
{
	(void)state;
	const char *policy = "{\"post_stop\": \"return\"}";
	char *root = tree_with_vfio("nouveau", policy);
	assert_int_equal(run(root, "100", "pre-start", NULL, NULL), 0);
	vh_test_mock_reset_count(root);
	assert_int_equal(run(root, "100", "post-stop", NULL, NULL), 0);
	unsigned total = vh_test_mock_write_count(root);
	assert_true(is_returned(root, GPU, "nouveau") && is_returned(root, AUDIO, "snd_hda_intel"));
	vh_test_scratch_free(root);
	assert_true(total >= 6);
	struct faults f = { .len = 0 };
	for (unsigned n = 1; n <= total; n++) {
		root = tree_with_vfio("nouveau", policy);
		assert_int_equal(run(root, "100", "pre-start", NULL, NULL), 0);
		vh_test_mock_reset_count(root);
		char fail[32], *out;
		snprintf(fail, sizeof(fail), "VH_MOCK_FAIL_WRITE=%u", n);
		const char *env[] = { fail, "VH_MOCK_FAIL_ERRNO=EBUSY", NULL };
		assert_int_equal(run(root, "100", "post-stop", env, &out), 0);
		const char *gpu = where(root, GPU, "nouveau"),
			   *audio = where(root, AUDIO, "snd_hda_intel");
		print_message("post-stop, write %u of %u fails: GPU %s, audio %s\n", n, total, gpu,
			      audio);
		if (!strcmp(gpu, "HALF MOVED") || !strcmp(audio, "HALF MOVED"))
			fault(&f, "write %u failed: a device is half moved (GPU %s, audio %s)\n", n,
			      gpu, audio);
		/* What was not returned is still recorded, so a later post-stop can. */
		bool all_back = !strcmp(gpu, "returned") && !strcmp(audio, "returned");
		bool state_kept = file_exists(root, "run/vfiohelp/100.json");
		if (!all_back && !state_kept)
			fault(&f,
			      "write %u failed: a device was not returned and the state was cleared\n",
			      n);
		if (all_back && state_kept)
			fault(&f, "write %u failed: every device is back but the state was kept\n",
			      n);
		free(out);
		vh_test_scratch_free(root);
	}
	if (f.count)
		fail_msg("%u broken promises:\n%s", f.count, f.text);
}

/* ---- reset without the bus reset ---- */

/* The seed host with the GPU offering "pm bus" and a USB controller the host
 * uses on the GPU's bus (01:01.0): the hook narrows reset_method to "pm",
 * resets, and puts "pm bus" back. */
static char *seed_with_bus_neighbour(void)
{
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	vh_test_write(root, "sys/bus/pci/devices/0000:01:00.0/reset_method", "pm bus\n");
	char dev[2048], link[4096];
	snprintf(dev, sizeof(dev), "%s/sys/devices/pci0000:00/0000:00:01.1/0000:01:01.0", root);
	assert_int_equal(mkdir(dev, 0755), 0);
	snprintf(link, sizeof(link), "%s/driver", dev);
	assert_int_equal(symlink("../../../../bus/pci/drivers/xhci_hcd", link), 0);
	return root;
}

static const char *reset_method_of(const char *root, const char *addr)
{
	char rel[128];
	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/reset_method", addr);
	return vh_test_read(root, rel);
}

static void test_reset_narrowed_and_restored(void **state)
{
	(void)state;
	char *root = seed_with_bus_neighbour();
	char *out;
	assert_int_equal(run(root, "100", "pre-start", NULL, &out), 0);
	free(out);
	assert_contains(vh_test_mock_writes(root),
			"1\tsys/bus/pci/devices/0000:01:00.0/reset_method\tpm\tok\n"
			"2\tsys/bus/pci/devices/0000:01:00.0/reset\t1\tok\n"
			"3\tsys/bus/pci/devices/0000:01:00.0/reset_method\tpm bus\tok\n");
	assert_string_equal(reset_method_of(root, GPU), "pm bus\n");
	assert_int_equal(resets_of(root, GPU), 1);
	vh_test_scratch_free(root);
}

/* Each of the three writes failing: no reset with the bus method in it, and
 * reset_method is put back (or the hook says it could not). */
static void test_reset_narrowing_writes_fail(void **state)
{
	(void)state;
	for (unsigned n = 1; n <= 3; n++) {
		char *root = seed_with_bus_neighbour();
		char fail[32], *out;
		snprintf(fail, sizeof(fail), "VH_MOCK_FAIL_WRITE=%u", n);
		const char *env[] = { fail, NULL };
		int rc = run(root, "100", "pre-start", env, &out);
		print_message("reset write %u fails: exit %d, reset_method '%.*s', %d resets\n", n,
			      rc, (int)strcspn(reset_method_of(root, GPU), "\n"),
			      reset_method_of(root, GPU), resets_of(root, GPU));
		/* a reset only after reset_method was narrowed to "pm" */
		const char *w = vh_test_mock_writes(root);
		const char *narrowed = strstr(w, "0000:01:00.0/reset_method\tpm\tok\n");
		const char *reset = strstr(w, "0000:01:00.0/reset\t1\tok\n");
		if (reset && (!narrowed || narrowed > reset))
			fail_msg("write %u failed: the GPU was reset with the bus method allowed:\n%s",
				 n, w);
		if (n == 1) {
			assert_contains(
				out,
				"info reset 0000:01:00.0 skipped: cannot leave out the bus reset");
			assert_int_equal(resets_of(root, GPU), 0);
		}
		if (n == 2) /* the reset itself failed: the start is refused */
			assert_int_equal(rc, 1);
		if (n < 3)
			assert_string_equal(reset_method_of(root, GPU), "pm bus\n");
		else
			assert_contains(out, "could not restore reset_method 'pm bus'");
		free(out);
		vh_test_scratch_free(root);
	}
}

/* ---- two VMs, one card ---- */

/* VM 101 passes the GPU alone (VM 100 passes GPU and audio). */
static void add_gpu_only_vm(const char *root)
{
	const char *rel100 = "etc/pve/nodes/pve/qemu-server/100.conf";
	char conf[8192];
	snprintf(conf, sizeof(conf), "%s", vh_test_read(root, rel100));
	set_hostpci0(root, "0000:01:00.0,pcie=1,rombar=0");
	vh_test_write(root, "etc/pve/nodes/pve/qemu-server/101.conf", vh_test_read(root, rel100));
	vh_test_write(root, rel100, conf);
}

static void assert_no_writes_by(const char *root, const char *what)
{
	if (vh_test_mock_write_count(root))
		fail_msg("%s wrote to sysfs:\n%s", what, vh_test_mock_writes(root));
}

/* VM 100 runs with the card; VM 101 wants the same GPU. Its pre-start and
 * post-stop must not write to the card at all; once VM 100 has stopped and
 * returned the card, VM 101 is refused (the audio function, back on its host
 * driver, shares the group) before any change. */
static void test_two_vms_one_card(void **state)
{
	(void)state;
	char *root = tree_with_vfio("nouveau", "{\"post_stop\": \"return\"}");
	add_gpu_only_vm(root);
	char *out;
	assert_int_equal(run(root, "100", "pre-start", NULL, &out), 0);
	free(out);
	vh_test_vm_running(root, 100, 4242);
	vh_test_mock_reset_count(root);

	assert_int_equal(run(root, "101", "pre-start", NULL, &out), 1);
	assert_contains(out, "device-in-use");
	assert_no_writes_by(root, "VM 101's pre-start while VM 100 holds the card");
	free(out);
	run(root, "101", "post-stop", NULL, &out);
	assert_no_writes_by(root, "VM 101's post-stop while VM 100 holds the card");
	free(out);
	assert_bound(root, GPU, "vfio-pci", "vfio-pci");
	assert_bound(root, AUDIO, "vfio-pci", "vfio-pci");

	char pid[4096];
	snprintf(pid, sizeof(pid), "%s/run/qemu-server/100.pid", root);
	assert_int_equal(unlink(pid), 0);
	assert_int_equal(run(root, "100", "post-stop", NULL, &out), 0);
	free(out);
	assert_bound(root, GPU, "nouveau", "");
	assert_bound(root, AUDIO, "snd_hda_intel", "");
	vh_test_mock_reset_count(root);
	assert_int_equal(run(root, "101", "pre-start", NULL, &out), 1);
	assert_contains(out, "group-not-isolated");
	assert_no_writes_by(root, "VM 101's refused pre-start");
	free(out);
	vh_test_scratch_free(root);
}

/* ---- a write that never returns ---- */

/* VM 101 passes the NIC 03:00.0 (r8169), a device VM 100 does not touch. */
static void add_nic_vm(const char *root)
{
	const char *rel100 = "etc/pve/nodes/pve/qemu-server/100.conf";
	char conf[8192];
	snprintf(conf, sizeof(conf), "%s", vh_test_read(root, rel100));
	vh_test_write(root, "etc/pve/nodes/pve/qemu-server/101.conf", conf);
	set_hostpci0(root, "0000:03:00.0,pcie=1");
	/* set_hostpci0 edits 100.conf: swap the two */
	char nic[8192];
	snprintf(nic, sizeof(nic), "%s", vh_test_read(root, rel100));
	vh_test_write(root, "etc/pve/nodes/pve/qemu-server/101.conf", nic);
	vh_test_write(root, rel100, conf);
}

/* The unbind hangs like a driver stuck in remove(): the writer sleeps and a
 * child of it keeps every descriptor it had, as a process in D state does
 * after SIGKILL. pre-start must refuse within the bound, its output must
 * close then too (Proxmox reads it to EOF), and the next VM's hook must get
 * the lock. What the mock leaves behind ends by itself after 10 s. */
static void test_hung_unbind_releases_output_and_lock(void **state)
{
	(void)state;
	char *root = tree_with_vfio("nouveau", "{\"timeout_ms\": 500}");
	add_nic_vm(root);
	const char *env[] = { "VH_MOCK_HANG_WRITE=2", "VH_MOCK_HANG_SECONDS=10", NULL };
	struct vh_test_proc p;
	vh_test_mock_hook(root, "100", "pre-start", env, 8000, &p);
	print_message("hung unbind: pre-start exit %d after %ld ms, stdout EOF after %ld ms\n",
		      p.status, p.exit_ms, p.eof_ms);
	assert_contains(vh_test_mock_writes(root),
			"2\tsys/bus/pci/drivers/nouveau/unbind\t0000:01:00.0\thang\n");
	assert_true(p.exit_ms >= 0);
	assert_int_equal(p.status, 1);
	assert_contains(p.out, "did not finish within 500 ms");
	assert_contains(p.out, "start refused");
	if (p.eof_ms < 0 || p.eof_ms > p.exit_ms + 1000) {
		vh_test_mock_kill_hung(root);
		fail_msg("the hook exited after %ld ms but its stdout stayed open (EOF: %ld ms): a process "
			 "left behind holds it",
			 p.exit_ms, p.eof_ms);
	}
	vh_test_proc_free(&p);
	/* The next VM's hook: not locked out. */
	vh_test_mock_hook(root, "101", "pre-start", NULL, 8000, &p);
	vh_test_mock_kill_hung(root);
	assert_not_contains(p.out, "error lock");
	assert_contains(p.out, "moved 0000:03:00.0 from r8169 to vfio-pci");
	assert_int_equal(p.status, 0);
	vh_test_proc_free(&p);
	assert_bound(root, "0000:03:00.0", "vfio-pci", "vfio-pci");
	assert_bound(root, GPU, "nouveau", "");
	vh_test_scratch_free(root);
}

/* The same hang with the kernel's device lock as on 6.1: while the unbind is
 * stuck in remove(), opening the device's driver_override (to read or to
 * write) and writing its address to bind or drivers_probe wait too. The hook
 * must still refuse within its bounds: nothing that waits on the device may
 * run in the hook's own process. */
static void test_hung_unbind_with_device_lock(void **state)
{
	(void)state;
	char *root = tree_with_vfio("nouveau", "{\"timeout_ms\": 500}");
	add_nic_vm(root);
	const char *env[] = { "VH_MOCK_HANG_WRITE=2", "VH_MOCK_HANG_SECONDS=10",
			      "VH_MOCK_HANG_LOCKS=1", NULL };
	struct vh_test_proc p;
	vh_test_mock_hook(root, "100", "pre-start", env, 6000, &p);
	print_message(
		"hung unbind, device locked: pre-start exit %d after %ld ms, stdout EOF after %ld ms\n",
		p.status, p.exit_ms, p.eof_ms);
	const char *w = vh_test_mock_writes(root);
	if (p.exit_ms < 0 || p.status != 1 || p.eof_ms < 0 || p.eof_ms > p.exit_ms + 1000) {
		vh_test_mock_kill_hung(root);
		fail_msg("pre-start over a locked hung device: exit %d after %ld ms, EOF after %ld ms:\n%s\n"
			 "writes:\n%s",
			 p.status, p.exit_ms, p.eof_ms, p.out, w);
	}
	assert_contains(p.out, "start refused");
	vh_test_proc_free(&p);
	vh_test_mock_hook(root, "101", "pre-start", NULL, 8000, &p);
	vh_test_mock_kill_hung(root);
	assert_not_contains(p.out, "error lock");
	assert_int_equal(p.status, 0);
	vh_test_proc_free(&p);
	vh_test_scratch_free(root);
}

/* A descriptor the hook inherits (Proxmox's worker may leave one open) must
 * not outlive the hook in a hung writer either: the write end of a pipe is
 * passed in, the unbind hangs, and the pipe must reach EOF once the hook and
 * this test have closed their ends. */
static void test_hung_write_keeps_no_inherited_descriptor(void **state)
{
	(void)state;
	char *root = tree_with_vfio("nouveau", "{\"timeout_ms\": 500}");
	int fds[2];
	assert_int_equal(pipe(fds), 0); /* no O_CLOEXEC: the hook inherits both ends */
	const char *env[] = { "VH_MOCK_HANG_WRITE=2", "VH_MOCK_HANG_SECONDS=10", NULL };
	struct vh_test_proc p;
	vh_test_mock_hook(root, "100", "pre-start", env, 8000, &p);
	close(fds[1]);
	struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
	int ready = poll(&pfd, 1, 1000);
	char c;
	bool eof = ready == 1 && read(fds[0], &c, 1) == 0;
	close(fds[0]);
	vh_test_mock_kill_hung(root);
	assert_contains(vh_test_mock_writes(root), "\thang\n");
	assert_int_equal(p.status, 1);
	if (!eof)
		fail_msg(
			"a descriptor the hook inherited is still open 1 s after the hook exited: the hung "
			"writer kept it");
	vh_test_proc_free(&p);
	vh_test_scratch_free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prestart_moves_gpu_and_audio),
		cmocka_unit_test(test_prestart_then_poststop_returns_e1000e),
		cmocka_unit_test(test_poststop_restores_the_admins_override),
		cmocka_unit_test(test_driver_keep_gets_no_write),
		cmocka_unit_test(test_mdev_parent_gets_no_write),
		cmocka_unit_test(test_prestart_nth_write_fails),
		cmocka_unit_test(test_poststop_nth_write_fails),
		cmocka_unit_test(test_reset_narrowed_and_restored),
		cmocka_unit_test(test_reset_narrowing_writes_fail),
		cmocka_unit_test(test_two_vms_one_card),
		cmocka_unit_test(test_poststop_acts_on_its_state_only),
		cmocka_unit_test(test_restart_after_failed_start_returns_first_driver),
		cmocka_unit_test(test_hung_unbind_releases_output_and_lock),
		cmocka_unit_test(test_hung_unbind_with_device_lock),
		cmocka_unit_test(test_hung_write_keeps_no_inherited_descriptor),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
