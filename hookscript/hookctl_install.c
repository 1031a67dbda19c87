/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hookctl install: copies vfio-hook (the packaged one, or the one built next to this hookctl)
 * into the snippets directory of a storage
 * (from /etc/pve/storage.cfg; `local` is /var/lib/vz) and prints the
 * `qm set` line that registers it. With --apply it runs that line: qm is the
 * only correct writer of a VM config (it takes pmxcfs's lock), so hookctl
 * runs /usr/sbin/qm directly, with an argument vector and no shell, rather
 * than writing the config itself.
 */
#include "hookctl.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vfiohelp.h>

#define QM_PATH "/usr/sbin/qm"

/* Where a package or `cmake --install` put the two programs (CMake passes
 * the real paths); the build tree keeps them side by side instead. */
#ifndef VH_HOOKCTL_INSTALLED
#define VH_HOOKCTL_INSTALLED "/usr/sbin/hookctl"
#endif
#ifndef VH_HOOK_INSTALLED
#define VH_HOOK_INSTALLED "/usr/lib/vfiohelp/vfio-hook"
#endif

static int storage_dir(const char *root, const char *storage, char *out, size_t size)
{
	struct vh_err err;
	struct vh_host *h = vh_host_new(root, &err);
	int rc = h ? vh_storage_snippets_dir(h, storage, out, size, &err) : -1;
	vh_host_free(h);
	if (rc < 0)
		fprintf(stderr, "hookctl install: %s\n", err.msg);
	return rc;
}

/* The packaged hook when this is the packaged hookctl, else the vfio-hook
 * built next to this hookctl. */
static int hook_source(char *out, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return fprintf(stderr, "hookctl: cannot find its own binary: %s\n",
			       strerror(errno)),
		       -1;
	self[n] = '\0';
	if (!strcmp(self, VH_HOOKCTL_INSTALLED))
		snprintf(out, size, "%s", VH_HOOK_INSTALLED);
	else
		snprintf(out, size, "%s/vfio-hook", dirname(self));
	return 0;
}

/* BASE/snippets, created if missing, opened without following a symlink
 * and refused when someone else could swap the hook inside it. */
static int open_snippets_dir(const char *base)
{
	int dir = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return fprintf(stderr, "hookctl: storage directory %s: %s\n", base,
			       strerror(errno)),
		       -1;
	if (mkdirat(dir, "snippets", 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "hookctl: cannot create %s/snippets: %s\n", base, strerror(errno));
		return close(dir), -1;
	}
	int snip = openat(dir, "snippets", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int why = errno;
	close(dir);
	struct stat st;
	if (snip < 0 && (why == ELOOP || why == ENOTDIR))
		return fprintf(stderr,
			       "hookctl: %s/snippets is a symlink or not a directory; root will not "
			       "write a hookscript through it: replace it with a real directory "
			       "(mkdir -m 755)\n",
			       base),
		       -1;
	if (snip < 0)
		return fprintf(stderr, "hookctl: %s/snippets: %s\n", base, strerror(why)), -1;
	if (fstat(snip, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		fprintf(stderr,
			"hookctl: %s/snippets is writable by others or not owned by uid %u; "
			"anyone who can write it can replace the hookscript root runs: "
			"chown %u %s/snippets && chmod 755 %s/snippets\n",
			base, (unsigned)geteuid(), (unsigned)geteuid(), base, base);
		return close(snip), -1;
	}
	return snip;
}

static int copy_fd(int in, int out)
{
	char buf[65536];
	ssize_t n;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			return -1;
	return n < 0 || fsync(out) < 0 ? -1 : 0;
}

/* Writes src as snippets/vfio-hook: a new file beside it, then rename, so
 * a VM starting meanwhile runs the old hook or the new one, never half. */
static int install_hook(const char *src, int snip, const char *shown)
{
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return fprintf(stderr,
			       "hookctl: %s: %s (is the vfiohelp package installed, or "
			       "vfio-hook built next to hookctl?)\n",
			       src, strerror(errno)),
		       -1;
	unlinkat(snip, "vfio-hook.new", 0);
	int out = openat(snip, "vfio-hook.new",
			 O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0755);
	if (out < 0) {
		close(in);
		return fprintf(stderr, "hookctl: %s.new: %s\n", shown, strerror(errno)), -1;
	}
	int rc = copy_fd(in, out) < 0 || fchmod(out, 0755) < 0 ? -1 : 0;
	int why = errno;
	close(in);
	close(out);
	if (rc < 0 || renameat(snip, "vfio-hook.new", snip, "vfio-hook") < 0) {
		why = rc < 0 ? why : errno;
		unlinkat(snip, "vfio-hook.new", 0);
		return fprintf(stderr, "hookctl: writing %s failed: %s\n", shown, strerror(why)),
		       -1;
	}
	return 0;
}

/* qm gets a fixed environment: nothing of the caller's (LD_*, PERL5LIB,
 * PATH) reaches a program that writes the cluster's configs as root. */
static int run_qm(unsigned vmid, const char *storage)
{
	char id[16], script[160];
	snprintf(id, sizeof(id), "%u", vmid);
	snprintf(script, sizeof(script), "%s:snippets/vfio-hook", storage);
	pid_t pid = fork();
	if (pid == 0) {
		char *const argv[] = { "qm", "set", id, "--hookscript", script, NULL };
		char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL };
		execve(QM_PATH, argv, envp);
		fprintf(stderr, "hookctl: cannot run %s: %s\n", QM_PATH, strerror(errno));
		_exit(127);
	}
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		return -1;
	return 0;
}

static int run(const struct hookctl_verb *v, const struct vh_cli *cli)
{
	unsigned vmid;
	if (hookctl_vmid_arg(v, cli, 0, &vmid) != HOOKCTL_OK)
		return HOOKCTL_USAGE;
	const char *storage = cli->storage ? cli->storage : "local";
	const char *root = cli->root && strcmp(cli->root, "/") ? cli->root : "";
	char base[PATH_MAX], src[PATH_MAX], dir[PATH_MAX * 2], dest[PATH_MAX * 2 + 32];
	if (!vh_storage_id_valid(storage))
		return hookctl_usage_error(v, "'%s' is not a storage id", storage);
	if (cli->apply && root[0])
		return hookctl_usage_error(
			v, "--apply changes the live cluster; it cannot go with --root");
	if (storage_dir(cli->root, storage, base, sizeof(base)) < 0 ||
	    hook_source(src, sizeof(src)) < 0)
		return HOOKCTL_USAGE;
	snprintf(dir, sizeof(dir), "%s%s", root, base);
	snprintf(dest, sizeof(dest), "%s/snippets/vfio-hook", dir);
	int snip = open_snippets_dir(dir);
	if (snip < 0)
		return HOOKCTL_USAGE;
	int rc = install_hook(src, snip, dest);
	close(snip);
	if (rc < 0)
		return HOOKCTL_USAGE;
	printf("installed %s\n", dest);
	if (!cli->apply) {
		printf("register it for VM %u with:\n  qm set %u --hookscript %s:snippets/vfio-hook\n",
		       vmid, vmid, storage);
		return HOOKCTL_OK;
	}
	if (run_qm(vmid, storage) < 0) {
		fprintf(stderr, "hookctl: qm set %u --hookscript %s:snippets/vfio-hook failed\n",
			vmid, storage);
		return HOOKCTL_USAGE;
	}
	printf("VM %u now runs %s:snippets/vfio-hook at every start and stop\n", vmid, storage);
	return HOOKCTL_OK;
}

const struct hookctl_verb hookctl_install_verb = {
	.name = "install",
	.summary = "copy vfio-hook into a storage's snippets/ and make it VMID's hookscript",
	.args = "VMID",
	.details = "Copies the packaged vfio-hook (or the one built beside this hookctl) into the\n"
		   "storage's snippets directory (from /etc/pve/storage.cfg; local is /var/lib/vz)\n"
		   "and prints the qm set line that registers it; --apply runs that line.\n",
	.options = VH_OPT_STORAGE | VH_OPT_ROOT | VH_OPT_APPLY,
	.min_args = 1,
	.max_args = 1,
	.run = run,
};
