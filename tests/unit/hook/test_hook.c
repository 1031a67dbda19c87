/*
 * vfio-hook, driven as Proxmox drives it (the real binary, VMID and phase),
 * on writable copies of the host trees. A host tree has no kernel: a bind
 * written there never takes effect, so the hook must notice, roll back and
 * refuse. What the hook wrote is read back from the tree.
 */
#include "testlib.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int hook(const char *root, const char *vmid, const char *phase, char **out)
{
	const char *argv[] = { VH_VFIO_HOOK, "--root", root, vmid, phase, NULL };
	return vh_test_run(argv, out, NULL);
}

/* Every line of the hook's output starts with "vfio-hook:". */
static void assert_prefixed(const char *out)
{
	for (const char *l = out; *l; l = strchr(l, '\n') + 1) {
		if (strncmp(l, "vfio-hook:", 10))
			fail_msg("line without the vfio-hook: prefix: %.80s", l);
		if (!strchr(l, '\n'))
			break;
	}
}

static const char *last_line(const char *out)
{
	static char buf[1024];
	size_t n = strlen(out);
	while (n && out[n - 1] == '\n')
		n--;
	size_t start = n;
	while (start && out[start - 1] != '\n')
		start--;
	snprintf(buf, sizeof(buf), "%.*s", (int)(n - start), out + start);
	return buf;
}

static bool exists(const char *root, const char *rel)
{
	char path[4096];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	return lstat(path, &st) == 0;
}

static const char *link_target(const char *root, const char *rel)
{
	static char buf[4096];
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* The nouveau host with the vfio modules loaded: vfio-pci exists, so the
 * hook gets as far as writing the bind. */
static char *nouveau_with_vfio_loaded(void)
{
	char *root = vh_test_scratch_copy(vh_test_host("nouveau"));
	vh_test_load_vfio(root);
	return root;
}

/* The same host whose nouveau unbind never returns (a FIFO nobody reads
 * blocks the open), with the policy's timeout_ms; fifo gets its path. */
static char *nouveau_with_hung_unbind(unsigned timeout_ms, char fifo[4096])
{
	char *root = nouveau_with_vfio_loaded();
	char policy[64];
	snprintf(fifo, 4096, "%s/sys/bus/pci/drivers/nouveau/unbind", root);
	unlink(fifo);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	snprintf(policy, sizeof(policy), "{\"timeout_ms\": %u}", timeout_ms);
	vh_test_write(root, "etc/pve/vfiohelp.json", policy);
	return root;
}

static void test_prestart_allowed_on_seed(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	char *out;
	assert_int_equal(hook(root, "100", "pre-start", &out), 0);
	assert_prefixed(out);
	assert_contains(last_line(out), "pre-start VM 100: start allowed (0 errors, 2 warnings");
	assert_contains(out, "warn module-unknown vfio_virqfd");
	assert_contains(out, "warn secure-boot-unsigned-driver efidisk0");
	/* the hook's own log got one JSON line for the phase */
	const char *log = vh_test_read(root, "var/log/vfiohelp/hook.log");
	assert_contains(log, "\"phase\":\"pre-start\"");
	assert_contains(log, "\"verdict\":\"allow\"");
	assert_true(exists(root, "run/vfiohelp/100.json"));
	assert_false(strstr(out, "not judged")); /* the seed can be judged whole */
	free(out);
	vh_test_scratch_free(root);
}

/* What cannot be judged is said in the task log, and does not refuse. */
static void test_prestart_names_what_it_cannot_judge(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	char path[4096];
	snprintf(path, sizeof(path), "%s/proc/interrupts", root);
	assert_int_equal(unlink(path), 0);
	char *out;
	assert_int_equal(hook(root, "100", "pre-start", &out), 0);
	assert_prefixed(out);
	assert_contains(out, "vfio-hook: info not judged interrupt-remapping: ");
	assert_contains(last_line(out), "start allowed");
	free(out);
	vh_test_scratch_free(root);
}

static void test_prestart_refused_before_any_change(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	char *out;
	char before[256];
	snprintf(before, sizeof(before), "%s",
		 vh_test_read(root, "sys/bus/pci/devices/0000:01:00.0/driver_override"));
	assert_int_equal(hook(root, "101", "pre-start", &out), 1);
	assert_prefixed(out);
	assert_contains(out, "vfio-hook: error machine-i440fx machine:");
	assert_contains(out, "vfio-hook:   fix: qm set 101 -machine q35");
	assert_contains(out, "vfio-hook:   fix: qm set 101 -bios ovmf");
	assert_contains(last_line(out), "start refused before any change (3 errors");
	assert_string_equal(vh_test_read(root, "sys/bus/pci/devices/0000:01:00.0/driver_override"),
			    before);
	assert_false(exists(root, "run/vfiohelp/101.json"));
	free(out);
	vh_test_scratch_free(root);
}

static void test_prestart_cannot_load_modules_in_a_tree(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("nouveau"));
	char *out;
	assert_int_equal(hook(root, "100", "pre-start", &out), 1);
	assert_contains(out, "error module-not-loaded vfio:");
	assert_contains(out, "not the running system");
	assert_contains(last_line(out), "start refused");
	assert_string_equal(link_target(root, "sys/bus/pci/devices/0000:01:00.0/driver"),
			    "../../../../bus/pci/drivers/nouveau");
	free(out);
	vh_test_scratch_free(root);
}

static void test_prestart_bind_fails_and_rolls_back(void **state)
{
	(void)state;
	char *root = nouveau_with_vfio_loaded();
	char *out;
	assert_int_equal(hook(root, "100", "pre-start", &out), 1);
	assert_prefixed(out);
	/* it tried the kernel's way: override, unbind, probe */
	assert_string_equal(vh_test_read(root, "sys/bus/pci/drivers/nouveau/unbind"),
			    "0000:01:00.0");
	assert_string_equal(vh_test_read(root, "sys/bus/pci/drivers_probe"), "0000:01:00.0");
	/* noticed nothing happened, rolled back, refused */
	assert_contains(out, "error bind 0000:01:00.0: 0000:01:00.0 is still on nouveau");
	assert_contains(out, "rolled back 0000:01:00.0 to nouveau");
	assert_contains(last_line(out), "start refused: repairs failed and were undone");
	/* driver_override is cleared again (a lone newline is how sysfs clears it) */
	assert_string_equal(vh_test_read(root, "sys/bus/pci/devices/0000:01:00.0/driver_override"),
			    "\n");
	/* the audio function was never touched: the first failure stopped the moves */
	assert_string_equal(vh_test_read(root, "sys/bus/pci/devices/0000:01:00.1/driver_override"),
			    "(null)\n");
	assert_false(exists(root, "run/vfiohelp/100.json"));
	free(out);
	vh_test_scratch_free(root);
}

/* Lets go of every writer waiting on a FIFO that stands in for a hung
 * attribute (the hook's abandoned write child, the deferred return), so no
 * test leaves a process behind. */
static void release_fifo(const char *fifo)
{
	for (int i = 0; i < 5; i++) {
		int fd = open(fifo, O_RDONLY | O_NONBLOCK);
		if (fd >= 0) {
			char buf[64];
			usleep(100 * 1000);
			while (read(fd, buf, sizeof(buf)) > 0)
				;
			close(fd);
		}
	}
}

static void test_prestart_hung_unbind_is_bounded(void **state)
{
	(void)state;
	char fifo[4096];
	char *root = nouveau_with_hung_unbind(300, fifo);
	char *out;
	assert_int_equal(hook(root, "100", "pre-start", &out), 1);
	assert_contains(out, "0000:01:00.0: driver nouveau did not let go");
	assert_contains(out, "did not finish within 300 ms");
	assert_contains(last_line(out), "start refused");
	assert_contains(out, "rollback 0000:01:00.0 deferred");
	free(out);
	release_fifo(fifo);
	vh_test_scratch_free(root);
}

static void test_malformed_policy_refuses(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	vh_test_write(root, "etc/pve/vfiohelp.json", "{\n  \"post_stop\": keep\n}\n");
	char *out;
	assert_int_equal(hook(root, "100", "pre-start", &out), 1);
	assert_contains(out, "vfiohelp.json:2:");
	assert_contains(last_line(out), "fix the policy file first");
	free(out);
	/* other phases only warn */
	assert_int_equal(hook(root, "100", "post-stop", &out), 0);
	assert_contains(out, "error policy:");
	free(out);
	vh_test_scratch_free(root);
}

static void test_hostile_arguments(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		{ "100;reboot", "pre-start" }, { "../100", "pre-start" }, { "99", "pre-start" },
		{ "100", "pre-start;id" },     { "100", "start" },        { "", "" },
	};
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out;
		assert_int_equal(hook(root, cases[i][0], cases[i][1], &out), 2);
		assert_prefixed(out);
		assert_contains(out, "refused");
		free(out);
	}
	assert_false(exists(root, "run/vfiohelp"));
	vh_test_scratch_free(root);
}

/* A state as pre-start writes it for the seed's card (this tree has no
 * boot id): function 0 came from `drv`, with its vendor:device `id`. */
#define SEED_STATE(drv, boot, id)                                                                 \
	"{\"vmid\":100,\"time\":1762000000,\"boot_id\":\"" boot "\",\"devices\":["                \
	"{\"addr\":\"0000:01:00.0\",\"id\":\"" id "\",\"driver\":\"" drv "\",\"override\":\"\"}," \
	"{\"addr\":\"0000:01:00.1\",\"id\":\"10de:22bd\",\"driver\":\"vfio-pci\",\"override\":\"\"}]}"

static void test_post_stop_return_gives_back(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	vh_test_write(root, "etc/pve/vfiohelp.json",
		      "{\"post_stop\": \"return\", \"reset\": false}");
	/* nouveau is loaded on this host (its driver directory exists) */
	vh_test_write(root, "sys/bus/pci/drivers/nouveau/bind", "");
	vh_test_write(root, "sys/bus/pci/drivers/nouveau/unbind", "");
	/* what a pre-start on a host where the card was on nouveau recorded */
	vh_test_write(root, "run/vfiohelp/100.json", SEED_STATE("nouveau", "", "10de:2803"));
	char *out;
	assert_int_equal(hook(root, "100", "post-stop", &out), 0);
	assert_prefixed(out);
	/* the kernel's way back: unbind from vfio-pci, clear override, bind nouveau */
	assert_string_equal(vh_test_read(root, "sys/bus/pci/drivers/vfio-pci/unbind"),
			    "0000:01:00.0");
	assert_string_equal(vh_test_read(root, "sys/bus/pci/drivers/nouveau/bind"), "0000:01:00.0");
	/* a tree has no kernel: the hook says the device is not back */
	assert_contains(out, "warn return 0000:01:00.0:");
	assert_contains(out, "0000:01:00.1 stays on vfio-pci");
	assert_contains(last_line(out), "post-stop VM 100: done");
	/* the return failed: the record of the original drivers is kept */
	assert_contains(out, "state of VM 100 kept");
	assert_true(exists(root, "run/vfiohelp/100.json"));
	assert_contains(vh_test_read(root, "var/log/vfiohelp/hook.log"), "\"phase\":\"post-stop\"");
	free(out);
	vh_test_scratch_free(root);
}

static void test_corrupt_and_planted_state(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	vh_test_write(root, "etc/pve/vfiohelp.json", "{\"post_stop\": \"return\"}");
	vh_test_write(root, "run/vfiohelp/100.json",
		      "{\"vmid\":100,\"devices\":[{\"addr\":\"../../x\"");
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/run/vfiohelp", root);
	chmod(dir, 0700);
	char *out;
	assert_int_equal(hook(root, "100", "post-stop", &out), 0);
	assert_contains(out, "warn state: /run/vfiohelp/100.json is corrupt");
	assert_contains(out, "nothing to return");
	free(out);
	/* a symlink planted as the state file is refused, not followed */
	char link[4096], secret[4096];
	snprintf(secret, sizeof(secret), "%s/secret", root);
	vh_test_write(root, "secret", "{\"vmid\":100,\"time\":1,\"devices\":[]}");
	snprintf(link, sizeof(link), "%s/run/vfiohelp/100.json", root);
	unlink(link);
	assert_int_equal(symlink(secret, link), 0);
	assert_int_equal(hook(root, "100", "post-stop", &out), 0);
	assert_contains(out, "warn state: /run/vfiohelp/100.json:");
	free(out);
	assert_string_equal(vh_test_read(root, "secret"),
			    "{\"vmid\":100,\"time\":1,\"devices\":[]}");
	/* a state directory that is a symlink is refused */
	char *root2 = vh_test_scratch_copy(vh_test_host("seed"));
	char run[4096];
	snprintf(run, sizeof(run), "%s/run", root2);
	mkdir(run, 0755); /* git keeps no empty /run in the tree */
	strcat(run, "/vfiohelp");
	assert_int_equal(symlink("/tmp", run), 0);
	assert_int_equal(hook(root2, "100", "pre-start", &out), 1);
	assert_contains(out, "error lock:");
	free(out);
	vh_test_scratch_free(root2);
	vh_test_scratch_free(root);
}

static void test_lock_serialises_hooks(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	char *out;
	/* creates run/vfiohelp; the default bound: a loaded CI machine is slow */
	assert_int_equal(hook(root, "100", "pre-start", &out), 0);
	free(out);
	vh_test_write(root, "etc/pve/vfiohelp.json", "{\"timeout_ms\": 300}");
	char lock[4096];
	snprintf(lock, sizeof(lock), "%s/run/vfiohelp/lock", root);
	int fd = open(lock, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	assert_int_equal(hook(root, "100", "pre-start", &out), 1);
	assert_contains(out, "another vfio-hook held /run/vfiohelp/lock");
	/* the wait has its own bound: at least 5 s, whatever timeout_ms says */
	assert_contains(out, "for 5000 ms");
	free(out);
	close(fd);
	/* two hooks at once on one group: both finish, one after the other */
	vh_test_write(root, "etc/pve/vfiohelp.json", "{\"timeout_ms\": 10000}");
	pid_t a = fork();
	if (a == 0) {
		const char *argv[] = { VH_VFIO_HOOK, "--root", root, "100", "pre-start", NULL };
		int devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, 1);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	assert_int_equal(hook(root, "102", "pre-start", &out), 0);
	int status;
	assert_int_equal(waitpid(a, &status, 0), a);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	free(out);
	vh_test_scratch_free(root);
}

static void test_post_start_and_pre_stop(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	char *out;
	assert_int_equal(hook(root, "100", "post-start", &out), 0);
	assert_prefixed(out);
	assert_contains(out, "0000:01:00.0: on vfio-pci, /dev/vfio/12 present, no QEMU pid file");
	free(out);
	/* QEMU running with the group open */
	vh_test_vm_running(root, 100, 4321);
	char fd[4096];
	snprintf(fd, sizeof(fd), "%s/proc/4321/fd", root);
	mkdir(fd, 0755);
	strcat(fd, "/17");
	assert_int_equal(symlink("/dev/vfio/12", fd), 0);
	assert_int_equal(hook(root, "100", "post-start", &out), 0);
	assert_contains(out, "ok 0000:01:00.0: on vfio-pci, /dev/vfio/12 present, held by QEMU");
	free(out);
	assert_int_equal(hook(root, "100", "pre-stop", &out), 0);
	assert_prefixed(out);
	assert_contains(out, "nothing to do");
	free(out);
	vh_test_scratch_free(root);
}

/* No bus reset while the host uses another device on that bus: the bus
 * method is left out of reset_method for the reset and put back after. */
static void test_reset_leaves_out_bus_reset(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	const char *gpu = "sys/bus/pci/devices/0000:01:00.0/reset_method";
	vh_test_write(root, gpu, "pm bus\n");
	/* a USB controller on bus 01, next to the GPU, used by the host */
	char dev[2048], link[4096];
	snprintf(dev, sizeof(dev), "%s/sys/devices/pci0000:00/0000:00:01.1/0000:01:01.0", root);
	assert_int_equal(mkdir(dev, 0755), 0);
	snprintf(link, sizeof(link), "%s/driver", dev);
	assert_int_equal(symlink("../../../../bus/pci/drivers/xhci_hcd", link), 0);
	char *out;
	assert_int_equal(hook(root, "100", "pre-start", &out), 0);
	assert_contains(
		out,
		"reset 0000:01:00.0 (pm; no bus reset: 0000:01:01.0 (xhci_hcd) share the bus)");
	assert_string_equal(vh_test_read(root, gpu), "pm bus");
	assert_string_equal(vh_test_read(root, "sys/bus/pci/devices/0000:01:00.0/reset"), "1");
	free(out);
	/* bus as the only method: no reset at all */
	vh_test_write(root, gpu, "bus\n");
	vh_test_write(root, "sys/bus/pci/devices/0000:01:00.0/reset", "");
	assert_int_equal(hook(root, "100", "pre-start", &out), 0);
	assert_contains(out, "info reset 0000:01:00.0 skipped: only a bus reset is possible");
	assert_string_equal(vh_test_read(root, "sys/bus/pci/devices/0000:01:00.0/reset"), "");
	free(out);
	vh_test_scratch_free(root);
}

/* The seed host with a policy to return devices and nouveau loaded. */
static char *seed_returning(void)
{
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	vh_test_write(root, "etc/pve/vfiohelp.json",
		      "{\"post_stop\": \"return\", \"reset\": true}");
	vh_test_write(root, "sys/bus/pci/drivers/nouveau/bind", "");
	vh_test_write(root, "sys/bus/pci/drivers/nouveau/unbind", "");
	return root;
}

static void assert_untouched(const char *root)
{
	assert_string_equal(vh_test_read(root, "sys/bus/pci/drivers/vfio-pci/unbind"), "");
	assert_string_equal(vh_test_read(root, "sys/bus/pci/drivers/nouveau/bind"), "");
	assert_string_equal(vh_test_read(root, "sys/bus/pci/devices/0000:01:00.0/reset"), "");
	assert_string_equal(vh_test_read(root, "sys/bus/pci/devices/0000:02:00.0/reset"), "");
}

/* A state entry decides nothing on its own: one for a device the VM does
 * not pass (the host's NVMe), one whose vendor:device no longer matches,
 * one from another boot: none of them is unbound or rebound. */
static void test_post_stop_distrusts_state(void **state)
{
	(void)state;
	static const char *const forged[] = {
		"{\"vmid\":100,\"time\":1,\"boot_id\":\"\",\"devices\":[{\"addr\":\"0000:02:00.0\","
		"\"id\":\"144d:a80a\",\"driver\":\"nouveau\",\"override\":\"\"}]}",
		SEED_STATE("nouveau", "", "10de:2504"),
		SEED_STATE("nouveau", "0b1e5d4c-0000-4000-8000-000000000001", "10de:2803"),
	};
	for (size_t i = 0; i < sizeof(forged) / sizeof(forged[0]); i++) {
		char *root = seed_returning();
		vh_test_write(root, "etc/pve/vfiohelp.json",
			      "{\"post_stop\": \"return\", \"reset\": false}");
		vh_test_write(root, "run/vfiohelp/100.json", forged[i]);
		char *out;
		assert_int_equal(hook(root, "100", "post-stop", &out), 0);
		assert_untouched(root);
		assert_not_contains(out, "returned 0000");
		free(out);
		vh_test_scratch_free(root);
	}
}

/* Another VM started on the card before this VM's post-stop ran: the card
 * is neither reset nor unbound under that guest. */
static void test_post_stop_leaves_card_of_running_vm(void **state)
{
	(void)state;
	char *root = seed_returning();
	vh_test_write(root, "run/vfiohelp/100.json", SEED_STATE("nouveau", "", "10de:2803"));
	/* VM 555 runs as pid 4242 (its /proc entry is in the tree) and holds the card */
	vh_test_vm_running(root, 555, 4242);
	vh_test_write(root, "run/qemu-server/pci-id-reservations",
		      "0000:01:00.0 555 pid:4242\n0000:01:00.1 555 pid:4242\n");
	char *out;
	assert_int_equal(hook(root, "100", "post-stop", &out), 0);
	assert_untouched(root);
	assert_contains(out, "0000:01:00.0 left alone, its record kept: VM 555 holds it");
	assert_not_contains(out, "reset 0000:01:00.0");
	/* the skipped devices keep their record of the original driver */
	assert_contains(vh_test_read(root, "run/vfiohelp/100.json"), "\"driver\":\"nouveau\"");
	free(out);
	vh_test_scratch_free(root);
}

/* Every file through which the hook could change the nouveau host's card. */
static const char *const card_files[] = {
	"sys/bus/pci/devices/0000:01:00.0/driver_override",
	"sys/bus/pci/devices/0000:01:00.0/reset",
	"sys/bus/pci/devices/0000:01:00.0/reset_method",
	"sys/bus/pci/devices/0000:01:00.1/driver_override",
	"sys/bus/pci/devices/0000:01:00.1/reset",
	"sys/bus/pci/drivers/nouveau/bind",
	"sys/bus/pci/drivers/nouveau/unbind",
	"sys/bus/pci/drivers/snd_hda_intel/unbind",
	"sys/bus/pci/drivers_probe",
	"sys/bus/pci/drivers/vfio-pci/bind",
	"sys/bus/pci/drivers/vfio-pci/unbind",
	"sys/bus/pci/drivers/vfio-pci/new_id",
};

/* driver=keep devices and mdev parents get no write at all, in any phase,
 * even under a policy that resets and returns devices. */
static void test_keep_and_mdev_never_written(void **state)
{
	(void)state;
	static const char *const confs[] = {
		"machine: q35\nbios: ovmf\nefidisk0: x:1\nballoon: 0\nmemory: 1024\n"
		"hostpci0: 01:00,pcie=1,rombar=0,driver=keep\n",
		"machine: q35\nbios: ovmf\nefidisk0: x:1\nballoon: 0\nmemory: 1024\n"
		"hostpci0: 01:00.0,mdev=nvidia-63\n",
	};
	static const char *const phases[] = { "pre-start", "post-start", "pre-stop", "post-stop" };
	for (size_t c = 0; c < sizeof(confs) / sizeof(confs[0]); c++) {
		char *root = nouveau_with_vfio_loaded();
		vh_test_write(root, "etc/pve/qemu-server/200.conf", confs[c]);
		vh_test_write(root, "etc/pve/vfiohelp.json",
			      "{\"post_stop\": \"return\", \"reset\": true}");
		vh_test_write(root,
			      "sys/bus/pci/devices/0000:01:00.0/mdev_supported_types/nvidia-63/"
			      "available_instances",
			      "4\n");
		char *before[sizeof(card_files) / sizeof(card_files[0])];
		for (size_t i = 0; i < sizeof(card_files) / sizeof(card_files[0]); i++)
			before[i] = strdup(exists(root, card_files[i])
						   ? vh_test_read(root, card_files[i])
						   : "-");
		for (size_t p = 0; p < sizeof(phases) / sizeof(phases[0]); p++) {
			char *out;
			int rc = hook(root, "200", phases[p], &out);
			/* driver=keep on nouveau: QEMU could not open the group (keep-not-vfio) */
			bool refused = c == 0 && p == 0;
			if (rc != (refused ? 1 : 0) ||
			    (refused && !strstr(out, "error keep-not-vfio")))
				fail_msg("config %zu, %s: exit %d:\n%s", c, phases[p], rc, out);
			assert_not_contains(out, "vfio-hook: moved ");
			assert_not_contains(out, "vfio-hook: reset 0000");
			free(out);
		}
		for (size_t i = 0; i < sizeof(card_files) / sizeof(card_files[0]); i++) {
			const char *now = exists(root, card_files[i])
						  ? vh_test_read(root, card_files[i])
						  : "-";
			if (strcmp(before[i], now))
				fail_msg("config %zu: %s was written: '%s' -> '%s'", c,
					 card_files[i], before[i], now);
			free(before[i]);
		}
		vh_test_scratch_free(root);
	}
}

/* SIGTERM (a task stopped from the GUI) while a write hangs: the hook
 * finishes the phase — says what it left, keeps the record of the original
 * driver, logs the refusal — instead of dying in the middle. */
static void test_sigterm_waits_for_rollback(void **state)
{
	(void)state;
	char fifo[4096];
	char *root = nouveau_with_hung_unbind(1500, fifo);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(devnull, 2);
		execl(VH_VFIO_HOOK, VH_VFIO_HOOK, "--root", root, "100", "pre-start", (char *)NULL);
		_exit(127);
	}
	usleep(700 * 1000); /* well inside the hung unbind */
	kill(pid, SIGTERM);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	/* the signal takes effect once the phase is done (or it exits non-zero) */
	assert_true(WIFSIGNALED(status) ? WTERMSIG(status) == SIGTERM : WEXITSTATUS(status) == 1);
	/* the phase ran to its end: the stuck device left alone, its record kept
	 * for the admin, the refusal logged */
	const char *log = vh_test_read(root, "var/log/vfiohelp/hook.log");
	assert_contains(log,
			"rollback 0000:01:00.0 deferred: its driver did not let go within 1500 ms");
	assert_contains(log, "pre-start VM 100: start refused");
	assert_contains(vh_test_read(root, "run/vfiohelp/100.json"), "\"driver\":\"nouveau\"");
	release_fifo(fifo);
	vh_test_scratch_free(root);
}

/* More devices than the state can record: refused before any change. */
static void test_too_many_devices_refused(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	const char *nic = "sys/devices/pci0000:00/0000:00:01.3/0000:03:00.0";
	char conf[4096] = "machine: q35\nbios: ovmf\nefidisk0: x:1\nballoon: 0\nmemory: 1024\n";
	/* 33 slots of 8 functions, copies of the NIC, and the NIC: 265 devices */
	for (int slot = 0; slot < 33; slot++) {
		char line[64];
		if (slot % 16)
			snprintf(line, sizeof(line), ";%02x:00", 0x20 + slot);
		else
			snprintf(line, sizeof(line), "%shostpci%d: %02x:00", slot ? "\n" : "",
				 slot / 16, 0x20 + slot);
		strcat(conf, line);
		for (int fn = 0; fn < 8; fn++) {
			char src[4096], dst[4096], link[4096], target[256];
			snprintf(src, sizeof(src), "%s/%s", root, nic);
			snprintf(dst, sizeof(dst),
				 "%s/sys/devices/pci0000:00/0000:00:01.3/0000:%02x:00.%d", root,
				 0x20 + slot, fn);
			const char *cp[] = { "/bin/cp", "-a", src, dst, NULL };
			assert_int_equal(vh_test_run(cp, NULL, NULL), 0);
			snprintf(link, sizeof(link), "%s/sys/bus/pci/devices/0000:%02x:00.%d", root,
				 0x20 + slot, fn);
			snprintf(target, sizeof(target),
				 "../../../devices/pci0000:00/0000:00:01.3/0000:%02x:00.%d",
				 0x20 + slot, fn);
			assert_int_equal(symlink(target, link), 0);
		}
	}
	/* the NIC itself too: the copies share its IOMMU group */
	strcat(conf, "\nhostpci3: 03:00.0\n");
	vh_test_write(root, "etc/pve/qemu-server/200.conf", conf);
	char *out;
	assert_int_equal(hook(root, "200", "pre-start", &out), 1);
	assert_contains(out, "has 265 devices to bind; the hook can track at most 256");
	assert_contains(last_line(out), "start refused before any change");
	assert_false(exists(root, "run/vfiohelp/200.json"));
	assert_string_equal(vh_test_read(root, "sys/bus/pci/drivers/r8169/unbind"), "");
	free(out);
	vh_test_scratch_free(root);
}

/* A reset the hook asked for and that failed refuses the start, with the
 * way out: a policy without the hook's reset starts it. */
static void test_failed_reset_refuses(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	char reset[4096];
	snprintf(reset, sizeof(reset), "%s/sys/bus/pci/devices/0000:01:00.0/reset", root);
	unlink(reset);
	assert_int_equal(mkdir(reset, 0755), 0); /* a write to it fails (EISDIR) */
	char *out;
	assert_int_equal(hook(root, "100", "pre-start", &out), 1);
	assert_contains(out, "error reset 0000:01:00.0:");
	assert_contains(out, "\"reset\": false");
	assert_contains(last_line(out), "start refused");
	free(out);
	assert_false(exists(root, "run/vfiohelp/100.json"));
	vh_test_write(root, "etc/pve/vfiohelp.json", "{\"reset\": false}");
	assert_int_equal(hook(root, "100", "pre-start", &out), 0);
	assert_not_contains(out, "reset 0000:01:00.0");
	free(out);
	vh_test_scratch_free(root);
}

/* A modprobe.d line libkmod cannot parse: libkmod's complaint would be a
 * line without the vfio-hook: prefix in the task log. */
static void test_libkmod_never_prints(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	char conf[4096];
	snprintf(conf, sizeof(conf), "%sgarbage line\n",
		 vh_test_read(root, "etc/modprobe.d/vfio.conf"));
	vh_test_write(root, "etc/modprobe.d/vfio.conf", conf);
	const char *argv[] = { VH_VFIO_HOOK, "--root", root, "100", "pre-start", NULL };
	char *out, *err;
	assert_int_equal(vh_test_run(argv, &out, &err), 0);
	assert_prefixed(out);
	assert_not_contains(err, "libkmod");
	free(out);
	free(err);
	vh_test_scratch_free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prestart_allowed_on_seed),
		cmocka_unit_test(test_prestart_names_what_it_cannot_judge),
		cmocka_unit_test(test_prestart_refused_before_any_change),
		cmocka_unit_test(test_prestart_cannot_load_modules_in_a_tree),
		cmocka_unit_test(test_prestart_bind_fails_and_rolls_back),
		cmocka_unit_test(test_prestart_hung_unbind_is_bounded),
		cmocka_unit_test(test_malformed_policy_refuses),
		cmocka_unit_test(test_hostile_arguments),
		cmocka_unit_test(test_post_stop_return_gives_back),
		cmocka_unit_test(test_post_stop_distrusts_state),
		cmocka_unit_test(test_post_stop_leaves_card_of_running_vm),
		cmocka_unit_test(test_keep_and_mdev_never_written),
		cmocka_unit_test(test_sigterm_waits_for_rollback),
		cmocka_unit_test(test_too_many_devices_refused),
		cmocka_unit_test(test_failed_reset_refuses),
		cmocka_unit_test(test_libkmod_never_prints),
		cmocka_unit_test(test_corrupt_and_planted_state),
		cmocka_unit_test(test_lock_serialises_hooks),
		cmocka_unit_test(test_post_start_and_pre_stop),
		cmocka_unit_test(test_reset_leaves_out_bus_reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
