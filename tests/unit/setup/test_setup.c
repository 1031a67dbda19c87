/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hookctl setup on the three setup host trees (tests/hosts/setup-*): the plan
 * names the boot loader and the files it reads, apply then undo leaves every
 * file under etc/ byte-identical (hashes of each file before and after), a
 * second plan after apply is empty, and a step failing half-way (a file that
 * cannot be written, a command exiting 1) leaves every file as it was.
 */
#include "testlib.h"
#include "fakeagent.h"

#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <sys/file.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

/* ---- every file under etc/, hashed ---- */

static char listing[1 << 16];
static size_t listing_used, root_len;

static int hash_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type != FTW_F && type != FTW_SL)
		return 0;
	unsigned long long h = 1469598103934665603ull;
	FILE *f = type == FTW_F ? fopen(path, "rb") : NULL;
	for (int c; f && (c = fgetc(f)) != EOF;)
		h = (h ^ (unsigned char)c) * 1099511628211ull;
	if (f)
		fclose(f);
	listing_used += (size_t)snprintf(listing + listing_used, sizeof(listing) - listing_used,
					 "%s %o %016llx\n", path + root_len,
					 (unsigned)(st->st_mode & 07777), h);
	return 0;
}

/* "etc/... mode hash" lines of every file under root/etc, in walk order (sorted after). */
static char *etc_hashes(const char *root)
{
	char etc[4096];
	snprintf(etc, sizeof(etc), "%s/etc", root);
	listing_used = 0;
	listing[0] = '\0';
	root_len = strlen(root) + 1;
	assert_int_equal(nftw(etc, hash_one, 16, FTW_PHYS), 0);
	return strdup(listing);
}

static void assert_same_files(const char *before, const char *after)
{
	/* nftw's order is the directory order, which a rename can change: compare as sets */
	char *a = strdup(before), *b = strdup(after);
	size_t na = 0, nb = 0;
	for (char *l = strtok(a, "\n"); l; l = strtok(NULL, "\n")) {
		if (!strstr(after, l))
			fail_msg("'%s' is no longer there; now:\n%s", l, after);
		na++;
	}
	for (char *l = strtok(b, "\n"); l; l = strtok(NULL, "\n"))
		nb++, assert_non_null(strstr(before, l));
	assert_int_equal(na, nb);
	free(a);
	free(b);
}

/* ---- running hookctl setup ---- */

static int setup(const char *root, const char *const extra[], char **out, char **err)
{
	const char *argv[16] = { VH_HOOKCTL, "setup", "--root", root };
	size_t n = 4;
	for (size_t i = 0; extra[i]; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	return vh_test_run(argv, out, err);
}

static json_object *plan_json(const char *root)
{
	char *out = NULL, *err = NULL;
	int rc = setup(root, (const char *[]){ "100", "--json", NULL }, &out, &err);
	if (rc != 0)
		fail_msg("setup exited %d: %s", rc, err);
	json_object *o = json_tokener_parse(out);
	assert_non_null(o);
	free(out);
	free(err);
	return o;
}

static const char *kind_of(json_object *o)
{
	json_object *b = NULL, *k = NULL; /* clang 14: -Wsometimes-uninitialized */
	assert_true(json_object_object_get_ex(o, "bootloader", &b) &&
		    json_object_object_get_ex(b, "kind", &k));
	return json_object_get_string(k);
}

static size_t count(json_object *o, const char *key)
{
	json_object *a;
	assert_true(json_object_object_get_ex(o, key, &a));
	return json_object_array_length(a);
}

static const char *file_path(json_object *o, size_t i)
{
	json_object *a, *p;
	json_object_object_get_ex(o, "files", &a);
	json_object_object_get_ex(json_object_array_get_idx(a, i), "path", &p);
	return json_object_get_string(p);
}

static const char *command0(json_object *o, size_t i, bool *run)
{
	json_object *a, *c, *argv, *r, *st;
	json_object_object_get_ex(o, "commands", &a);
	c = json_object_array_get_idx(a, i);
	json_object_object_get_ex(c, "argv", &argv);
	json_object_object_get_ex(c, "run", &r);
	assert_true(json_object_object_get_ex(c, "status", &st) && st == NULL);
	*run = json_object_get_boolean(r);
	return json_object_get_string(json_object_array_get_idx(argv, 0));
}

static const struct {
	const char *host, *kind, *kernel_file, *refresh;
} trees[] = {
	{ "setup-grub", "grub", "/etc/default/grub.d/vfiohelp.cfg", "/usr/sbin/update-grub" },
	{ "setup-sdboot", "systemd-boot", "/etc/kernel/cmdline", "/usr/sbin/proxmox-boot-tool" },
	{ "setup-zfs-grub", "grub-proxmox-boot", "/etc/default/grub.d/vfiohelp.cfg",
	  "/usr/sbin/update-grub" },
};

static void test_plan_names_loader_and_files(void **state)
{
	(void)state;
	for (size_t t = 0; t < 3; t++) {
		json_object *o = plan_json(vh_test_host(trees[t].host));
		assert_string_equal(kind_of(o), trees[t].kind);
		assert_int_equal(count(o, "files"), 3);
		assert_string_equal(file_path(o, 0), trees[t].kernel_file);
		assert_string_equal(file_path(o, 1), "/etc/modules-load.d/vfiohelp.conf");
		assert_string_equal(file_path(o, 2), "/etc/modprobe.d/vfiohelp.conf");
		assert_int_equal(count(o, "commands"), 2);
		bool run;
		assert_string_equal(command0(o, 0, &run), trees[t].refresh);
		assert_false(run);
		assert_string_equal(command0(o, 1, &run), "/usr/sbin/update-initramfs");
		assert_false(run);
		const char *text = json_object_to_json_string(o);
		assert_contains(text, "initcall_blacklist=sysfb_init");
		assert_contains(text, "softdep nouveau pre: vfio-pci");
		assert_contains(text, "options vfio-pci ids=10de:2803,10de:22bd");
		assert_not_contains(text, "/tests/hosts/"); /* host paths, never under the root */
		/* the files the other loader reads are left alone */
		assert_not_contains(text,
				    t == 1 ? "grub.d/vfiohelp.cfg" : "\"/etc/kernel/cmdline\"");
		json_object_put(o);
	}
}

/* The systemd-boot plan adds to line 1 of /etc/kernel/cmdline and keeps it one line. */
static void test_sdboot_first_line(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("setup-sdboot"));
	assert_int_equal(setup(root, (const char *[]){ "100", "--apply", NULL }, NULL, NULL), 0);
	assert_string_equal(vh_test_read(root, "etc/kernel/cmdline"),
			    "root=ZFS=rpool/ROOT/pve-1 boot=zfs initcall_blacklist=sysfb_init\n");
	vh_test_scratch_free(root);
}

static void test_apply_then_undo_is_byte_identical(void **state)
{
	(void)state;
	for (size_t t = 0; t < 3; t++) {
		char *root = vh_test_scratch_copy(vh_test_host(trees[t].host));
		char *before = etc_hashes(root), *out = NULL;
		assert_int_equal(setup(root, (const char *[]){ "100", "--apply", "--json", NULL },
				       &out, NULL),
				 0);
		assert_contains(out, "\"journal\": \"");
		free(out);
		char *applied = etc_hashes(root);
		assert_string_not_equal(before, applied);
		assert_contains(vh_test_read(root, "etc/modprobe.d/vfiohelp.conf"),
				"softdep snd_hda_intel pre: vfio-pci\n");
		/* a finished host plans nothing */
		json_object *again = plan_json(root);
		assert_int_equal(count(again, "files"), 0);
		assert_int_equal(count(again, "commands"), 0);
		json_object_put(again);
		/* the journal is listed, then undone */
		out = NULL;
		assert_int_equal(setup(root, (const char *[]){ "--list", NULL }, &out, NULL), 0);
		assert_contains(out, "-100  applied  files: ");
		free(out);
		assert_int_equal(setup(root, (const char *[]){ "--undo", NULL }, NULL, NULL), 0);
		char *after = etc_hashes(root);
		assert_same_files(before, after);
		/* nothing left to undo */
		assert_int_equal(setup(root, (const char *[]){ "--undo", NULL }, NULL, NULL), 2);
		free(before);
		free(applied);
		free(after);
		vh_test_scratch_free(root);
	}
}

static void test_undo_refuses_changed_file(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("setup-grub"));
	assert_int_equal(setup(root, (const char *[]){ "100", "--apply", NULL }, NULL, NULL), 0);
	vh_test_write(root, "etc/modprobe.d/vfiohelp.conf", "options vfio-pci ids=10de:2803\n");
	char *err = NULL;
	assert_int_equal(setup(root, (const char *[]){ "--undo", NULL }, NULL, &err), 1);
	assert_contains(err, "/etc/modprobe.d/vfiohelp.conf changed since");
	free(err);
	/* nothing was restored: the other files still hold what setup wrote */
	assert_contains(vh_test_read(root, "etc/default/grub.d/vfiohelp.cfg"),
			"initcall_blacklist=sysfb_init");
	vh_test_scratch_free(root);
}

static void test_unwritable_file_leaves_all(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("setup-grub"));
	/* modules-load.d is a file here: the second file of the plan cannot be written */
	vh_test_write(root, "etc/modules-load.d", "not a directory\n");
	char *before = etc_hashes(root), *err = NULL;
	assert_int_equal(setup(root, (const char *[]){ "100", "--apply", NULL }, NULL, &err), 1);
	assert_contains(err, "cannot write");
	assert_contains(err, "every step done was undone");
	char *after = etc_hashes(root);
	assert_same_files(before, after);
	free(err);
	free(before);
	free(after);
	vh_test_scratch_free(root);
}

/* ---- stand-ins for the programs setup runs (VH_SETUP_RUN_IN_ROOT=1) ---- */

static const char *const run_in_root[] = { "VH_SETUP_RUN_IN_ROOT=1", NULL };

static void stand_in(const char *root, const char *prog, const char *script)
{
	char rel[256], path[4096];
	snprintf(rel, sizeof(rel), "usr/sbin/%s", prog);
	vh_test_write(root, rel, script);
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	chmod(path, 0755);
}

/* A two-kernel host: two images, their records, and grub.cfg. */
static void two_kernels(const char *root)
{
	vh_test_write(root, "boot/initrd.img-6.8.12-10-pve", "image 6.8 as built at install\n");
	vh_test_write(root, "boot/initrd.img-6.5.13-6-pve", "image 6.5 as built at install\n");
	vh_test_write(root, "var/lib/initramfs-tools/6.8.12-10-pve", "sha1 of 6.8\n");
	vh_test_write(root, "var/lib/initramfs-tools/6.5.13-6-pve", "sha1 of 6.5\n");
	vh_test_write(root, "boot/grub/grub.cfg", "menuentry 'Proxmox VE' {}\n");
}

/* Every file of the tree that setup or its commands may touch, hashed. */
static char *boot_hashes(const char *root)
{
	static const char *const files[] = { "boot/initrd.img-6.8.12-10-pve",
					     "boot/initrd.img-6.5.13-6-pve",
					     "var/lib/initramfs-tools/6.8.12-10-pve",
					     "var/lib/initramfs-tools/6.5.13-6-pve",
					     "boot/grub/grub.cfg" };
	char *etc = etc_hashes(root), *out = malloc(strlen(etc) + 4096);
	strcpy(out, etc);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		strcat(out, files[i]);
		strcat(out, " ");
		strcat(out, vh_test_read(root, files[i]));
	}
	free(etc);
	return out;
}

/* update-initramfs -u -k all that rebuilds the newer image, then fails on
 * the older one (as a failing hook does on a real host); update-grub that
 * rewrites grub.cfg. */
static const char
	*const grub_rewrites = "#!/bin/sh\nr=${0%/usr/sbin/update-grub}\necho ran >> \"$0.log\"\n"
			       "echo 'menuentry new {}' > \"$r/boot/grub/grub.cfg\"\n";
static const char *const initramfs_half =
	"#!/bin/sh\nr=${0%/usr/sbin/update-initramfs}\n"
	"[ \"$PATH\" = /usr/sbin:/usr/bin:/sbin:/bin ] || exit 3\n"
	"echo rebuilt > \"$r/boot/initrd.img-6.8.12-10-pve.new\"\n"
	"mv \"$r/boot/initrd.img-6.8.12-10-pve.new\" \"$r/boot/initrd.img-6.8.12-10-pve\"\n"
	"echo new-sha > \"$r/var/lib/initramfs-tools/6.8.12-10-pve\"\n"
	"echo 'E: hook failed for 6.5.13-6-pve' >&2\nexit 1\n";

static struct vh_test_proc apply_in_root(const char *root)
{
	const char *argv[] = {
		VH_HOOKCTL, "setup", "--root", root, "100", "--apply", "--json", NULL
	};
	struct vh_test_proc p;
	vh_test_run_env(argv, run_in_root, 30000, &p);
	return p;
}

/* setup-grub with two kernels, an update-grub that rewrites grub.cfg and
 * the update-initramfs given; *before gets the hashes of every file. */
static char *two_kernel_host(const char *initramfs, char **before)
{
	char *root = vh_test_scratch_copy(vh_test_host("setup-grub"));
	two_kernels(root);
	stand_in(root, "update-grub", grub_rewrites);
	stand_in(root, "update-initramfs", initramfs);
	*before = boot_hashes(root);
	return root;
}

/* Every file is as before; frees before and the tree. */
static void assert_back_as_before(char *root, char *before)
{
	char *after = boot_hashes(root);
	assert_same_files(before, after);
	free(before);
	free(after);
	vh_test_scratch_free(root);
}

static struct vh_test_proc undo_in_root(const char *root)
{
	const char *undo[] = { VH_HOOKCTL, "setup", "--root", root, "--undo", NULL };
	struct vh_test_proc p;
	vh_test_run_env(undo, run_in_root, 30000, &p);
	return p;
}

/* The case seen on a real host: update-initramfs rebuilt one image of two
 * and failed; the rollback puts every image, its record and grub.cfg back
 * byte for byte (rerunning it would only fail again), and says so. */
static void test_failing_initramfs_two_kernels(void **state)
{
	(void)state;
	char *before, *root = two_kernel_host(initramfs_half, &before);
	struct vh_test_proc p = apply_in_root(root);
	assert_int_equal(p.status, 1);
	assert_contains(p.err, "/usr/sbin/update-initramfs -u exited with status 1");
	assert_contains(p.err, "every step done was undone");
	assert_contains(p.out, "\"run\": true");
	vh_test_proc_free(&p);
	/* update-grub ran once: its grub.cfg came back from the journal */
	assert_string_equal(vh_test_read(root, "usr/sbin/update-grub.log"), "ran\n");
	assert_string_equal(vh_test_read(root, "boot/initrd.img-6.8.12-10-pve"),
			    "image 6.8 as built at install\n");
	/* the journal says rolled back: nothing is left to undo */
	char *out = NULL;
	assert_int_equal(setup(root, (const char *[]){ "--list", NULL }, &out, NULL), 0);
	assert_contains(out, "rolled-back");
	free(out);
	assert_int_equal(setup(root, (const char *[]){ "--undo", NULL }, NULL, NULL), 2);
	assert_back_as_before(root, before);
}

/* A rollback that cannot finish says so and leaves the journal undoable:
 * once the obstacle is gone, --undo finishes the job. */
static void test_failed_rollback_stays_undoable(void **state)
{
	(void)state;
	/* the image becomes a directory: it cannot be put back over it */
	char *before,
		*root = two_kernel_host("#!/bin/sh\nr=${0%/usr/sbin/update-initramfs}\n"
					"rm -f \"$r/boot/initrd.img-6.8.12-10-pve\"\n"
					"mkdir \"$r/boot/initrd.img-6.8.12-10-pve\"\n"
					"touch \"$r/boot/initrd.img-6.8.12-10-pve/x\"\nexit 1\n",
					&before);
	struct vh_test_proc p = apply_in_root(root);
	assert_int_equal(p.status, 1);
	assert_contains(p.err, "the rollback failed, the journal stays undoable");
	assert_not_contains(p.err, "every step done was undone");
	vh_test_proc_free(&p);
	char *out = NULL;
	assert_int_equal(setup(root, (const char *[]){ "--list", NULL }, &out, NULL), 0);
	assert_contains(out, "rollback-failed");
	free(out);
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/boot/initrd.img-6.8.12-10-pve", root);
	vh_test_rmtree(dir);
	p = undo_in_root(root);
	assert_int_equal(p.status, 0);
	vh_test_proc_free(&p);
	assert_back_as_before(root, before);
}

/* SIGTERM (or the SIGHUP of a lost ssh session) during update-initramfs:
 * setup stops the command, rolls back and says why. */
static void test_signal_rolls_back(void **state)
{
	(void)state;
	static const int sigs[] = { SIGTERM, SIGHUP, SIGINT };
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		char script[512], *before;
		snprintf(script, sizeof(script),
			 "#!/bin/sh\nr=${0%%/usr/sbin/update-initramfs}\n"
			 "echo rebuilt > \"$r/boot/initrd.img-6.8.12-10-pve\"\n"
			 "kill -%d $PPID\nsleep 20\n",
			 sigs[i]);
		char *root = two_kernel_host(script, &before);
		struct vh_test_proc p = apply_in_root(root);
		assert_int_equal(p.status, 1);
		assert_contains(p.err, "interrupted by signal");
		assert_contains(p.err, "every step done was undone");
		vh_test_proc_free(&p);
		assert_back_as_before(root, before);
	}
}

/* SIGKILL mid-apply: nothing can run, but the journal says what started,
 * so --undo puts every file and image back. */
static void test_killed_apply_can_be_undone(void **state)
{
	(void)state;
	char *before,
		*root = two_kernel_host(
			"#!/bin/sh\nr=${0%/usr/sbin/update-initramfs}\n"
			"echo rebuilt > \"$r/boot/initrd.img-6.8.12-10-pve\"\nkill -KILL $PPID\n",
			&before);
	struct vh_test_proc p = apply_in_root(root);
	assert_int_equal(p.status, 128 + SIGKILL);
	vh_test_proc_free(&p);
	assert_string_equal(vh_test_read(root, "boot/initrd.img-6.8.12-10-pve"), "rebuilt\n");
	char *out = NULL;
	assert_int_equal(setup(root, (const char *[]){ "--list", NULL }, &out, NULL), 0);
	assert_contains(out, "applying");
	free(out);
	p = undo_in_root(root);
	assert_int_equal(p.status, 0);
	assert_contains(p.out, "removed /etc/default/grub.d/vfiohelp.cfg");
	vh_test_proc_free(&p);
	assert_back_as_before(root, before);
}

/* One setup at a time: a held lock refuses --apply and --undo, not a plan. */
static void test_lock(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("setup-grub"));
	vh_test_write(root, "var/lib/vfiohelp/setup/.lock", "");
	char path[4096];
	snprintf(path, sizeof(path), "%s/var/lib/vfiohelp/setup/.lock", root);
	int fd = open(path, O_RDWR);
	assert_true(fd >= 0 && flock(fd, LOCK_EX) == 0);
	char *before = etc_hashes(root), *err = NULL;
	assert_int_equal(setup(root, (const char *[]){ "100", "--apply", NULL }, NULL, &err), 1);
	assert_contains(err, "another hookctl setup is running");
	free(err);
	err = NULL;
	assert_int_equal(setup(root, (const char *[]){ "--undo", NULL }, NULL, &err), 1);
	assert_contains(err, "another hookctl setup is running");
	free(err);
	assert_int_equal(setup(root, (const char *[]){ "100", NULL }, NULL, NULL), 0);
	char *after = etc_hashes(root);
	assert_same_files(before, after);
	close(fd);
	assert_int_equal(setup(root, (const char *[]){ "100", "--apply", NULL }, NULL, NULL), 0);
	free(before);
	free(after);
	vh_test_scratch_free(root);
}

/* A journal is trusted only for what setup writes and runs. */
static void test_journal_strict(void **state)
{
	(void)state;
	static const char *const bad[] = {
		/* a path setup never writes */
		"{\"format\":2,\"id\":\"J\",\"vmid\":100,\"state\":\"applied\",\"files\":[{\"path\":"
		"\"/etc/shadow\",\"existed\":false,\"mode\":420,\"removed\":false,\"started\":true,"
		"\"written\":true}],\"commands\":[],\"vm\":[]}",
		/* a setuid mode */
		"{\"format\":2,\"id\":\"J\",\"vmid\":100,\"state\":\"applied\",\"files\":[{\"path\":"
		"\"/etc/modules-load.d/vfiohelp.conf\",\"existed\":false,\"mode\":2541,\"removed\":"
		"false,\"started\":true,\"written\":true}],\"commands\":[],\"vm\":[]}",
		/* a command setup never runs */
		"{\"format\":2,\"id\":\"J\",\"vmid\":100,\"state\":\"applied\",\"files\":[],"
		"\"commands\":[{\"argv\":[\"/bin/sh\",\"-c\",\"id\"],\"run\":true,\"status\":0,"
		"\"regenerates\":true,\"outputs\":[]}],\"vm\":[]}",
		/* an output outside /boot */
		"{\"format\":2,\"id\":\"J\",\"vmid\":100,\"state\":\"applied\",\"files\":[],"
		"\"commands\":[{\"argv\":[\"/usr/sbin/update-grub\"],\"run\":true,\"status\":1,"
		"\"regenerates\":true,\"outputs\":[{\"path\":\"/etc/passwd\",\"existed\":true,"
		"\"saved\":\"out.0.0\"}]}],\"vm\":[]}",
		/* wrong shapes */
		"{\"format\":2,\"id\":\"J\",\"vmid\":100,\"state\":\"applied\",\"files\":5,"
		"\"commands\":{},\"vm\":\"x\"}",
		"[1,2,3]",
		"{\"format\":2,\"id\":\"J\",\"vmid\":100,\"state\":\"applied\",\"files\":[7],"
		"\"commands\":[[]],\"vm\":[null]}",
		"not json",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *root = vh_test_scratch_copy(vh_test_host("setup-grub"));
		char id[32], rel[128], *text = strdup(bad[i]), *j;
		snprintf(id, sizeof(id), "20990101-000000-100");
		while ((j = strstr(text, "\"J\"")))
			memcpy(j, "\"?\"", 3); /* ids do not match: refused as well */
		snprintf(rel, sizeof(rel), "var/lib/vfiohelp/setup/%s/journal.json", id);
		vh_test_write(root, rel, bad[i]);
		char *out = NULL, *err = NULL;
		assert_int_equal(setup(root, (const char *[]){ "--list", NULL }, &out, NULL), 0);
		assert_contains(out, "unreadable");
		free(out);
		assert_int_equal(setup(root, (const char *[]){ "--undo", id, NULL }, NULL, &err),
				 2);
		assert_contains(err, "is not one hookctl setup wrote");
		free(err);
		free(text);
		vh_test_scratch_free(root);
	}
}

/* A symlink, a file with another owner or several links at a target path
 * is refused, with the path named; the plan changes nothing. */
static void test_unrestorable_targets_refused(void **state)
{
	(void)state;
	for (int t = 0; t < 3; t++) {
		char *root = vh_test_scratch_copy(vh_test_host("setup-grub"));
		char path[4096], other[4096];
		snprintf(path, sizeof(path), "%s/etc/modprobe.d/vfiohelp.conf", root);
		snprintf(other, sizeof(other), "%s/etc/modprobe.d/nvidia.conf", root);
		vh_test_write(root, "etc/modprobe.d/nvidia.conf", "# from a package\n");
		if (t == 0)
			assert_int_equal(symlink("nvidia.conf", path), 0);
		if (t == 1) {
			vh_test_write(root, "etc/modprobe.d/vfiohelp.conf", "# mine\n");
			assert_int_equal(chown(path, 1000, 1000), 0);
		}
		if (t == 2)
			assert_int_equal(link(other, path), 0);
		char *err = NULL;
		assert_int_equal(setup(root, (const char *[]){ "100", "--apply", NULL }, NULL,
				       &err),
				 2);
		assert_contains(err, "/etc/modprobe.d/vfiohelp.conf is ");
		assert_contains(err, t == 0   ? "a symbolic link"
				     : t == 1 ? "owned by another user"
					      : "several hard links");
		assert_string_equal(vh_test_read(root, "etc/modprobe.d/nvidia.conf"),
				    "# from a package\n");
		free(err);
		vh_test_scratch_free(root);
	}
}

/* ---- the plan: module options as modprobe and the kernel apply them ---- */

static const char *file_text_of(json_object *o, const char *path)
{
	json_object *a, *p, *d;
	json_object_object_get_ex(o, "files", &a);
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *f = json_object_array_get_idx(a, i);
		json_object_object_get_ex(f, "path", &p);
		if (!strcmp(json_object_get_string(p), path)) {
			json_object_object_get_ex(f, "diff", &d);
			return json_object_get_string(d);
		}
	}
	return NULL;
}

static char *check_text(const char *root, const char *vmid)
{
	char *out = NULL;
	const char *argv[] = { VH_HOOKCTL, "check", vmid, "--root", root, NULL };
	vh_test_run(argv, &out, NULL);
	return out;
}

/* An ids= line elsewhere (the seed's own vfio.conf) is merged into, never
 * followed by a second ids= that would make the kernel drop the first. */
static void test_ids_merged_into_the_effective_line(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("setup-grub"));
	vh_test_write(root, "etc/modprobe.d/vfio.conf",
		      "# another card\noptions vfio-pci ids=1002:67df disable_vga=1\n");
	json_object *o = plan_json(root);
	const char *diff = file_text_of(o, "/etc/modprobe.d/vfio.conf");
	assert_non_null(diff);
	assert_contains(diff, "+options vfio-pci ids=1002:67df,10de:2803,10de:22bd disable_vga=1");
	const char *mine = file_text_of(o, "/etc/modprobe.d/vfiohelp.conf");
	assert_non_null(mine);
	assert_not_contains(mine, "ids=");
	json_object_put(o);
	assert_int_equal(setup(root, (const char *[]){ "100", "--apply", NULL }, NULL, NULL), 0);
	char *check = check_text(root, "100");
	assert_contains(check, "0000:01:00.0 (10de:2803) is claimed by vfio-pci ids= at boot");
	free(check);
	o = plan_json(root);
	assert_int_equal(count(o, "files"), 0);
	json_object_put(o);
	vh_test_scratch_free(root);
}

/* Two ids= lines: only the last one libkmod reads counts, in check and setup. */
static void test_only_the_last_ids_counts(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("setup-grub"));
	vh_test_write(root, "etc/modprobe.d/a-gpu.conf",
		      "options vfio-pci ids=10de:2803,10de:22bd\n");
	char *check = check_text(root, "100");
	assert_contains(check, "0000:01:00.0 (10de:2803) is claimed by vfio-pci ids= at boot");
	free(check);
	vh_test_write(root, "etc/modprobe.d/z-nic.conf", "options vfio_pci ids=8086:10d3\n");
	check = check_text(root, "100");
	assert_not_contains(check, "is claimed by vfio-pci ids= at boot");
	free(check);
	json_object *o = plan_json(root);
	const char *diff = file_text_of(o, "/etc/modprobe.d/z-nic.conf");
	assert_non_null(diff);
	assert_contains(diff, "+options vfio_pci ids=8086:10d3,10de:2803,10de:22bd\n");
	assert_null(file_text_of(o, "/etc/modprobe.d/a-gpu.conf"));
	json_object_put(o);
	vh_test_scratch_free(root);
}

/* Every VF of a PF shares the PF's VF id: a VF gets neither ids= nor a
 * softdep (it is bound by address at start). */
static void test_vf_gets_no_ids(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("sriov"));
	vh_test_write(root, "etc/pve/nodes/pve/qemu-server/190.conf",
		      "bios: ovmf\nmachine: q35\nmemory: 512\nballoon: 0\nostype: l26\n"
		      "efidisk0: local-lvm:vm-190-disk-1,efitype=4m,size=4M\n"
		      "hookscript: local:snippets/vfio-hook\nhostpci0: 0000:05:10.2,pcie=1\n");
	char *out = NULL, *err = NULL;
	assert_int_equal(setup(root, (const char *[]){ "190", "--json", NULL }, &out, &err), 0);
	assert_not_contains(out, "8086:10ca");
	assert_not_contains(out, "softdep igbvf");
	free(out);
	free(err);
	vh_test_scratch_free(root);
}

/* intel_iommu=on only where an Intel IOMMU is off on a kernel before 6.8:
 * Debian's own 6.1 kernel has it on by default (seen on the boot bench). */
static void test_intel_iommu_only_when_off(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("legacy-kernel"));
	char *out = NULL;
	assert_int_equal(setup(root, (const char *[]){ "100", "--json", NULL }, &out, NULL), 0);
	assert_not_contains(out, "intel_iommu=on");
	free(out);
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/sys/class/iommu", root);
	vh_test_rmtree(dir); /* VT-d off: no IOMMU on this boot */
	out = NULL;
	assert_int_equal(setup(root, (const char *[]){ "100", "--json", NULL }, &out, NULL), 0);
	assert_contains(out, "intel_iommu=on");
	free(out);
	vh_test_scratch_free(root);
}

/* ---- the plan: GRUB drop-ins after ours ---- */

static void test_grub_override_named_not_appended(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("setup-grub"));
	vh_test_write(root, "etc/default/grub.d/zz-local.cfg",
		      "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet splash\"\n");
	json_object *o = plan_json(root);
	assert_null(file_text_of(o, "/etc/default/grub.d/vfiohelp.cfg"));
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_NOSLASHESCAPE);
	assert_contains(text, "/etc/default/grub.d/zz-local.cfg sets GRUB_CMDLINE_LINUX_DEFAULT");
	json_object_put(o);
	/* one that extends the value keeps ours: planned, and a second run converges */
	vh_test_write(root, "etc/default/grub.d/zz-local.cfg",
		      "GRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT splash\"\n");
	o = plan_json(root);
	assert_non_null(file_text_of(o, "/etc/default/grub.d/vfiohelp.cfg"));
	json_object_put(o);
	assert_int_equal(setup(root, (const char *[]){ "100", "--apply", NULL }, NULL, NULL), 0);
	o = plan_json(root);
	assert_int_equal(count(o, "files"), 0);
	json_object_put(o);
	vh_test_scratch_free(root);
}

/* ---- the plan: the VM ---- */

/* VM 101 as the seed found it: SeaBIOS, i440fx, ROM BAR on, a disk on ZFS. */
static const char *const vm_before =
	"boot: order=scsi0;net0\ncores: 4\ncpu: host\nhostpci0: 01:00\nmemory: 8192\n"
	"name: emby-before\nnet0: virtio=BC:24:11:00:01:11,bridge=vmbr0\nostype: l26\n"
	"scsi0: local-zfs:vm-101-disk-0,iothread=1,size=32G\nscsihw: virtio-scsi-single\n";

/* The same with the hookscript registered (no `hookctl install` planned). */
#define VM_HOOKED                                                                          \
	"boot: order=scsi0;net0\ncores: 4\ncpu: host\nhostpci0: 01:00\nmemory: 8192\n"     \
	"name: emby-before\nnet0: virtio=BC:24:11:00:01:11,bridge=vmbr0\nostype: l26\n"    \
	"scsi0: local-zfs:vm-101-disk-0,iothread=1,size=32G\nscsihw: virtio-scsi-single\n" \
	"hookscript: local:snippets/vfio-hook\n"

/* qm set as Proxmox does it, on the tree's config (the product never writes one). */
static const char *const qm_stand_in =
	"#!/bin/sh\nr=${0%/usr/sbin/qm}; c=\"$r/etc/pve/qemu-server/$2.conf\"\n"
	"[ \"$1\" = set ] || exit 2\n"
	"if [ \"$3\" = --delete ]; then sed -i \"/^$4:/d\" \"$c\"; exit 0; fi\n"
	"k=${3#-}; grep -v \"^$k:\" \"$c\" > \"$c.t\"\n"
	"printf '%s: %s\\n' \"$k\" \"$4\" | cat - \"$c.t\" > \"$c\"; rm -f \"$c.t\"\n";

/* setup-grub with VM 101 as given and stand-ins for what apply runs. */
static char *vm_host(const char *conf)
{
	char *root = vh_test_scratch_copy(vh_test_host("setup-grub"));
	vh_test_write(root, "etc/pve/nodes/pve/qemu-server/101.conf", conf);
	stand_in(root, "qm", qm_stand_in);
	stand_in(root, "update-grub", "#!/bin/sh\nexit 0\n");
	stand_in(root, "update-initramfs", "#!/bin/sh\nexit 0\n");
	return root;
}

/* hookctl setup --root ROOT 101 EXTRA... --apply with the stand-ins: its status. */
static int apply_vm(const char *root, const char *extra)
{
	const char *argv[] = { VH_HOOKCTL, "setup", "--root", root, "101", "--apply", extra, NULL };
	struct vh_test_proc p;
	vh_test_run_env(argv, run_in_root, 30000, &p);
	int status = p.status;
	vh_test_proc_free(&p);
	return status;
}

static const char *vm_new(json_object *o, const char *key, const char **old)
{
	json_object *a, *k, *n, *ol;
	json_object_object_get_ex(o, "vm", &a);
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *v = json_object_array_get_idx(a, i);
		json_object_object_get_ex(v, "key", &k);
		if (strcmp(json_object_get_string(k), key))
			continue;
		json_object_object_get_ex(v, "new", &n);
		json_object_object_get_ex(v, "old", &ol);
		if (old)
			*old = ol ? json_object_get_string(ol) : NULL;
		return json_object_get_string(n);
	}
	return NULL;
}

static json_object *plan_json_args(const char *root, const char *const extra[])
{
	char *out = NULL, *err = NULL;
	int rc = setup(root, extra, &out, &err);
	if (rc != 0)
		fail_msg("setup exited %d: %s", rc, err);
	json_object *o = json_tokener_parse(out);
	assert_non_null(o);
	free(out);
	free(err);
	return o;
}

static void test_vm_plan_without_firmware(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("setup-grub"));
	vh_test_write(root, "etc/pve/nodes/pve/qemu-server/101.conf", vm_before);
	json_object *o = plan_json_args(root, (const char *[]){ "101", "--json", NULL });
	const char *old = "unset";
	assert_string_equal(vm_new(o, "machine", &old), "q35");
	assert_null(old);
	/* rombar=0 and pcie=1 in one value: one run, no second plan for pcie */
	assert_string_equal(vm_new(o, "hostpci0", &old), "01:00,pcie=1,rombar=0");
	assert_string_equal(old, "01:00"); /* as written, no leading blank */
	assert_string_equal(vm_new(o, "balloon", NULL), "0");
	assert_null(vm_new(o, "bios", NULL));
	assert_null(vm_new(o, "efidisk0", NULL));
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_NOSLASHESCAPE);
	assert_contains(text, "bios=ovmf is not planned");
	assert_contains(text, "NIC moves to another PCI address");
	json_object_put(o);
	/* a VM that has the hookscript gets no install */
	char conf[2048];
	snprintf(conf, sizeof(conf), "%shookscript: local:snippets/vfio-hook\n", vm_before);
	vh_test_write(root, "etc/pve/nodes/pve/qemu-server/101.conf", conf);
	o = plan_json_args(root, (const char *[]){ "101", "--json", NULL });
	assert_not_contains(json_object_to_json_string(o), "\"install\"");
	json_object_put(o);
	vh_test_scratch_free(root);
}

static void test_vm_plan_with_firmware_converges(void **state)
{
	(void)state;
	char *root = vm_host(vm_before);
	json_object *o = plan_json_args(root,
					(const char *[]){ "101", "--firmware", "--json", NULL });
	assert_string_equal(vm_new(o, "bios", NULL), "ovmf");
	/* on the storage of the VM's disk; no Secure Boot keys for a Linux guest
	 * with an NVIDIA card: it would refuse the unsigned module */
	assert_string_equal(vm_new(o, "efidisk0", NULL),
			    "local-zfs:1,efitype=4m,pre-enrolled-keys=0");
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_NOSLASHESCAPE);
	assert_contains(text, VH_HOOKCTL); /* no hookscript: install by this hookctl */
	json_object_put(o);
	/* the host part, then the VM part in one run: nothing is left */
	assert_int_equal(apply_vm(root, "--no-vm"), 0);
	vh_test_write(root, "etc/pve/nodes/pve/qemu-server/101.conf", VM_HOOKED);
	assert_int_equal(apply_vm(root, "--firmware"), 0);
	o = plan_json_args(root, (const char *[]){ "101", "--firmware", "--json", NULL });
	assert_int_equal(count(o, "vm"), 0);
	json_object_put(o);
	vh_test_scratch_free(root);
}

/* Without --firmware, the guest decides: one that says it boots by UEFI gets
 * bios=ovmf, one that booted by BIOS (or cannot be asked) does not. */
static void test_firmware_asked_of_the_guest(void **state)
{
	(void)state;
	char *root = vm_host(VM_HOOKED "agent: 1\n");
	vh_test_write(root, "run/qemu-server/.keep", ""); /* var/run -> ../run */
	vh_test_vm_running(root, 101, 4321);
	struct fake_agent a;
	memset(&a, 0, sizeof(a));
	a.osinfo = "{\"id\": \"debian\", \"pretty-name\": \"Debian GNU/Linux 12\", "
		   "\"kernel-release\": \"6.1.0-28-amd64\"}";
	a.programs[0] = (struct fake_program){ "/bin/sh", "fw uefi\nsb 0\n", 0, 0 };
	char sock[4096];
	snprintf(sock, sizeof(sock), "%s/var/run/qemu-server/101.qga", root);
	fake_agent_start(&a, sock);
	json_object *o = plan_json_args(root, (const char *[]){ "101", "--json", NULL });
	fake_agent_stop(&a);
	assert_string_equal(vm_new(o, "bios", NULL), "ovmf");
	json_object_put(o);
	a.programs[0].out = "fw bios\nsb 0\n";
	fake_agent_start(&a, sock);
	o = plan_json_args(root, (const char *[]){ "101", "--json", NULL });
	fake_agent_stop(&a);
	assert_null(vm_new(o, "bios", NULL));
	assert_contains(json_object_to_json_string_ext(o, JSON_C_TO_STRING_NOSLASHESCAPE),
			"the guest agent says the guest booted by BIOS");
	json_object_put(o);
	/* no agent answering: not planned, and why */
	o = plan_json_args(root, (const char *[]){ "101", "--json", NULL });
	assert_null(vm_new(o, "bios", NULL));
	assert_contains(json_object_to_json_string_ext(o, JSON_C_TO_STRING_NOSLASHESCAPE),
			"the guest could not be asked how it boots");
	json_object_put(o);
	vh_test_scratch_free(root);
}

/* Undo puts back a VM key only when it still holds what setup set. */
static void test_undo_refuses_changed_vm_key(void **state)
{
	(void)state;
	char *root = vm_host(VM_HOOKED);
	assert_int_equal(apply_vm(root, NULL), 0);
	struct vh_test_proc p;
	assert_contains(vh_test_read(root, "etc/pve/nodes/pve/qemu-server/101.conf"),
			"hostpci0: 01:00,pcie=1,rombar=0\n");
	/* the admin changes the machine since (qm set, as an admin would) */
	char qm[4096];
	snprintf(qm, sizeof(qm), "%s/usr/sbin/qm", root);
	assert_int_equal(vh_test_run((const char *[]){ qm, "set", "101", "-machine", "pc-q35-8.1",
						       NULL },
				     NULL, NULL),
			 0);
	p = undo_in_root(root);
	assert_int_equal(p.status, 1);
	assert_contains(p.err, "VM 101's machine changed since setup");
	assert_contains(vh_test_read(root, "etc/pve/nodes/pve/qemu-server/101.conf"),
			"hostpci0: 01:00,pcie=1,rombar=0\n");
	vh_test_proc_free(&p);
	vh_test_scratch_free(root);
}

static void test_usage(void **state)
{
	(void)state;
	assert_int_equal(setup(vh_test_host("setup-grub"), (const char *[]){ NULL }, NULL, NULL),
			 2);
	assert_int_equal(setup(vh_test_host("setup-grub"),
			       (const char *[]){ "100", "--undo", "--list", NULL }, NULL, NULL),
			 2);
	assert_int_equal(setup(vh_test_host("setup-grub"), (const char *[]){ "999", NULL }, NULL,
			       NULL),
			 2);
	assert_int_equal(setup(vh_test_host("setup-grub"),
			       (const char *[]){ "--undo", "../x", NULL }, NULL, NULL),
			 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_names_loader_and_files),
		cmocka_unit_test(test_sdboot_first_line),
		cmocka_unit_test(test_apply_then_undo_is_byte_identical),
		cmocka_unit_test(test_undo_refuses_changed_file),
		cmocka_unit_test(test_unwritable_file_leaves_all),
		cmocka_unit_test(test_failing_initramfs_two_kernels),
		cmocka_unit_test(test_failed_rollback_stays_undoable),
		cmocka_unit_test(test_signal_rolls_back),
		cmocka_unit_test(test_killed_apply_can_be_undone),
		cmocka_unit_test(test_lock),
		cmocka_unit_test(test_journal_strict),
		cmocka_unit_test(test_unrestorable_targets_refused),
		cmocka_unit_test(test_ids_merged_into_the_effective_line),
		cmocka_unit_test(test_only_the_last_ids_counts),
		cmocka_unit_test(test_vf_gets_no_ids),
		cmocka_unit_test(test_intel_iommu_only_when_off),
		cmocka_unit_test(test_grub_override_named_not_appended),
		cmocka_unit_test(test_vm_plan_without_firmware),
		cmocka_unit_test(test_vm_plan_with_firmware_converges),
		cmocka_unit_test(test_undo_refuses_changed_vm_key),
		cmocka_unit_test(test_firmware_asked_of_the_guest),
		cmocka_unit_test(test_usage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
