/*
 * hookctl setup on the three setup host trees (tests/hosts/setup-*): the plan
 * names the boot loader and the files it reads, apply then undo leaves every
 * file under etc/ byte-identical (hashes of each file before and after), a
 * second plan after apply is empty, and a step failing half-way (a file that
 * cannot be written, a command exiting 1) leaves every file as it was.
 */
#include "testlib.h"

#include <ftw.h>
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
	for (char *l = strtok(a, "\n"); l; l = strtok(NULL, "\n"))
		na++, assert_non_null(strstr(after, l));
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
		assert_contains(out, "-100  files: ");
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

/* With VH_SETUP_RUN_IN_ROOT=1 the tree's own stand-ins run: update-grub
 * succeeds, update-initramfs exits 1; every file comes back and update-grub
 * runs again over the restored files. */
static void test_failing_command_leaves_all(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("setup-grub"));
	char stub[4096];
	vh_test_write(root, "usr/sbin/update-grub", "#!/bin/sh\necho ran >> \"$0.log\"\n");
	vh_test_write(root, "usr/sbin/update-initramfs",
		      "#!/bin/sh\n[ \"$PATH\" = /usr/sbin:/usr/bin:/sbin:/bin ] && exit 1\nexit 3\n");
	snprintf(stub, sizeof(stub), "%s/usr/sbin/update-grub", root);
	chmod(stub, 0755);
	snprintf(stub, sizeof(stub), "%s/usr/sbin/update-initramfs", root);
	chmod(stub, 0755);
	char *before = etc_hashes(root);
	const char *argv[] = {
		VH_HOOKCTL, "setup", "--root", root, "100", "--apply", "--json", NULL
	};
	const char *env[] = { "VH_SETUP_RUN_IN_ROOT=1", NULL };
	struct vh_test_proc p;
	vh_test_run_env(argv, env, 30000, &p);
	assert_int_equal(p.status, 1);
	assert_contains(p.err, "/usr/sbin/update-initramfs -u exited with status 1");
	assert_contains(p.out, "\"run\": true");
	assert_string_equal(vh_test_read(root, "usr/sbin/update-grub.log"), "ran\nran\n");
	char *after = etc_hashes(root);
	assert_same_files(before, after);
	vh_test_proc_free(&p);
	free(before);
	free(after);
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
		cmocka_unit_test(test_failing_command_leaves_all),
		cmocka_unit_test(test_usage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
