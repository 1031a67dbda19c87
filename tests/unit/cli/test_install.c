/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hookctl install: the copy into a storage's snippets, and its refusals. */
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int install(const char *root, const char *storage, bool apply, char **out, char **err)
{
	const char *argv[10] = { VH_HOOKCTL, "install", "100", "--root", root };
	int n = 5;
	if (storage) {
		argv[n++] = "--storage";
		argv[n++] = storage;
	}
	if (apply)
		argv[n++] = "--apply";
	argv[n] = NULL;
	return vh_test_run(argv, out, err);
}

static void test_copies_into_local_snippets(void **state)
{
	(void)state;
	char *root = vh_test_scratch_empty(), *out, *err;
	vh_test_write(root, "var/lib/vz/.keep", "");
	assert_int_equal(install(root, NULL, false, &out, &err), 0);
	assert_contains(out, "qm set 100 --hookscript local:snippets/vfio-hook");
	char path[4096];
	struct stat st, built;
	snprintf(path, sizeof(path), "%s/var/lib/vz/snippets/vfio-hook", root);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(stat(VH_VFIO_HOOK, &built), 0);
	assert_int_equal(st.st_size, built.st_size);
	assert_true(st.st_mode & S_IXUSR);
	free(out);
	free(err);
	vh_test_scratch_free(root);
}

static void test_storage_from_storage_cfg(void **state)
{
	(void)state;
	char *root = vh_test_scratch_empty(), *out, *err;
	vh_test_write(root, "etc/pve/storage.cfg",
		      "dir: local\n\tpath /var/lib/vz\n\tcontent iso,vztmpl,backup\n\n"
		      "dir: scripts\n\tpath /srv/scripts\n\tcontent snippets\n");
	vh_test_write(root, "srv/scripts/.keep", "");
	assert_int_equal(install(root, "scripts", false, &out, &err), 0);
	assert_contains(out, "scripts:snippets/vfio-hook");
	free(out);
	free(err);
	/* local does not hold snippets here */
	assert_int_equal(install(root, "local", false, &out, &err), 2);
	assert_contains(err, "does not hold snippets");
	free(out);
	free(err);
	assert_int_equal(install(root, "../etc", false, &out, &err), 2);
	assert_contains(err, "not a storage id");
	free(out);
	free(err);
	/* --apply changes the live cluster: never with --root */
	assert_int_equal(install(root, "scripts", true, &out, &err), 2);
	assert_contains(err, "cannot go with --root");
	free(out);
	free(err);
	vh_test_scratch_free(root);
}

/* A snippets directory that is a symlink would let whoever planted the link
 * choose where root writes an executable: refused, nothing written there. */
static void test_refuses_symlinked_snippets(void **state)
{
	(void)state;
	char *root = vh_test_scratch_empty(), *out, *err;
	vh_test_write(root, "var/lib/vz/.keep", "");
	vh_test_write(root, "elsewhere/.keep", "");
	char link[4096], target[4096], planted[4096];
	snprintf(link, sizeof(link), "%s/var/lib/vz/snippets", root);
	snprintf(target, sizeof(target), "%s/elsewhere", root);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(install(root, NULL, false, &out, &err), 2);
	assert_contains(err, "/var/lib/vz/snippets is a symlink");
	snprintf(planted, sizeof(planted), "%s/elsewhere/vfio-hook", root);
	assert_int_equal(access(planted, F_OK), -1);
	free(out);
	free(err);
	vh_test_scratch_free(root);
}

/* A snippets directory others can write lets them swap the hook root runs. */
static void test_refuses_snippets_writable_by_others(void **state)
{
	(void)state;
	char *root = vh_test_scratch_empty(), *out, *err;
	vh_test_write(root, "var/lib/vz/snippets/.keep", "");
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/var/lib/vz/snippets", root);
	assert_int_equal(chmod(dir, 0777), 0);
	assert_int_equal(install(root, NULL, false, &out, &err), 2);
	assert_contains(err, "writable by others");
	assert_contains(err, "chmod 755");
	free(out);
	free(err);
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(install(root, NULL, false, &out, &err), 0);
	free(out);
	free(err);
	vh_test_scratch_free(root);
}

/* storage.cfg as Proxmox's SectionConfig reads it: a value runs to the end
 * of its line, spaces included; comments are skipped; content is a list. */
static void test_storage_path_with_spaces(void **state)
{
	(void)state;
	char *root = vh_test_scratch_empty(), *out, *err;
	vh_test_write(root, "etc/pve/storage.cfg",
		      "# storages\n"
		      "dir: media\n\tpath /srv/my media  \n\tcontent images,snippets,iso\n\n"
		      "dir: nosnip\n\tpath /srv/other\n\tcontent snippetsx\n");
	vh_test_write(root, "srv/my media/.keep", "");
	vh_test_write(root, "srv/my/.keep", "");
	assert_int_equal(install(root, "media", false, &out, &err), 0);
	char path[4096];
	snprintf(path, sizeof(path), "%s/srv/my media/snippets/vfio-hook", root);
	assert_int_equal(access(path, X_OK), 0);
	snprintf(path, sizeof(path), "%s/srv/my/snippets", root);
	assert_int_equal(access(path, F_OK), -1);
	free(out);
	free(err);
	/* "snippetsx" is not the snippets content type */
	vh_test_write(root, "srv/other/.keep", "");
	assert_int_equal(install(root, "nosnip", false, &out, &err), 2);
	assert_contains(err, "does not hold snippets");
	free(out);
	free(err);
	vh_test_scratch_free(root);
}

/* --apply in a private mount namespace: a fake /usr/sbin/qm records its
 * arguments and the environment it got, and /var/lib is a scratch tmpfs.
 * qm must see PATH and LC_ALL only, never the caller's environment. */
static void qm_namespace_child(const char *scratch)
{
	char script[16384], qm_out[4096];
	snprintf(qm_out, sizeof(qm_out), "%s/qm.out", scratch);
	snprintf(script, sizeof(script),
		 "#!/bin/sh\n"
		 "echo \"args: $*\" > '%s'\n"
		 "tr '\\0' '\\n' < /proc/$$/environ | sort >> '%s'\n"
		 "test -x /var/lib/vz/snippets/vfio-hook && echo hook-present >> '%s'\n",
		 qm_out, qm_out, qm_out);
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("none", "/usr/sbin", "tmpfs", 0, "mode=0755") < 0 ||
	    mount("none", "/var/lib", "tmpfs", 0, "mode=0755") < 0)
		_exit(77);
	if (access("/etc/pve", F_OK) == 0 && mount("none", "/etc/pve", "tmpfs", 0, "mode=0755") < 0)
		_exit(77);
	int fd = open("/usr/sbin/qm", O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (fd < 0 || write(fd, script, strlen(script)) != (ssize_t)strlen(script) ||
	    close(fd) < 0 || mkdir("/var/lib/vz", 0755) < 0)
		_exit(78);
	char log[4096];
	snprintf(log, sizeof(log), "%s/hookctl.out", scratch);
	int lfd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	dup2(lfd, 1);
	dup2(lfd, 2);
	char *const argv[] = { VH_HOOKCTL, "install", "100", "--apply", NULL };
	char *const envp[] = { "PATH=/tmp/evil:/usr/bin:/bin", "SECRET_TOKEN=leaked",
			       "LANG=de_DE.UTF-8", "LD_LIBRARY_PATH=/tmp/evil", NULL };
	execve(VH_HOOKCTL, argv, envp);
	_exit(127);
}

static void test_apply_runs_qm_with_clean_environment(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip(); /* needs a mount namespace */
	char *scratch = vh_test_scratch_empty();
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		qm_namespace_child(scratch);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77) {
		vh_test_scratch_free(scratch);
		skip(); /* no mount namespaces here (a container without CAP_SYS_ADMIN) */
	}
	assert_int_equal(WEXITSTATUS(status), 0);
	const char *qm = vh_test_read(scratch, "qm.out");
	assert_contains(qm, "args: set 100 --hookscript local:snippets/vfio-hook\n");
	assert_contains(qm, "hook-present\n");
	/* exactly these two variables, sorted */
	const char *env = strchr(qm, '\n') + 1;
	assert_string_equal(env, "LC_ALL=C\nPATH=/usr/sbin:/usr/bin:/sbin:/bin\nhook-present\n");
	vh_test_scratch_free(scratch);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copies_into_local_snippets),
		cmocka_unit_test(test_storage_from_storage_cfg),
		cmocka_unit_test(test_refuses_symlinked_snippets),
		cmocka_unit_test(test_refuses_snippets_writable_by_others),
		cmocka_unit_test(test_storage_path_with_spaces),
		cmocka_unit_test(test_apply_runs_qm_with_clean_environment),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
