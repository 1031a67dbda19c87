/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Carrying a setup plan out, and back (hookctl setup --apply / --undo /
 * --list). The only code of the library that writes host configuration or
 * runs programs: files atomically (a temporary beside the file, fsync,
 * rename), then the plan's commands by absolute path with a clean
 * environment, each bounded in time. The journal (journal.c) is written
 * before every step, so a setup that fails, is interrupted (SIGINT, SIGTERM,
 * SIGHUP: a lost ssh session) or dies can always be undone; a failed apply
 * is rolled back by the same code as an undo.
 *
 * Regenerating commands are undone by their outputs: the initramfs images
 * and grub.cfg they rewrite are saved in the journal before they run and
 * put back byte for byte (update-initramfs -k all that rebuilt one image and
 * then failed would fail again if simply rerun). What has no saved output
 * (proxmox-boot-tool refresh, or any command after a successful apply) runs
 * again over the restored files.
 */
#include "internal.h"
#include "host/host.h"
#include "setup/setup.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

/* update-initramfs -k all builds an image per kernel: minutes on a slow disk. */
#define COMMAND_LIMIT_MS (600u * 1000u)
#define PBT "/usr/sbin/proxmox-boot-tool"

/* ---- files ---- */

void vh_setup_mkdirs(const char *path)
{
	char dir[PATH_MAX];
	vh_strlcpy(dir, path, sizeof(dir));
	for (char *p = dir + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(dir, 0755);
		*p = '/';
	}
}

int vh_setup_write_atomic(const char *path, const char *data, size_t len, mode_t mode,
			  struct vh_err *err)
{
	vh_setup_mkdirs(path);
	return vh_write_atomic(path, data, len, mode, err);
}

static int copy_atomic(const char *src, const char *dst, struct vh_err *err)
{
	vh_setup_mkdirs(dst);
	return vh_copy_atomic(src, dst, err);
}

static int remove_file(const char *path, struct vh_err *err)
{
	if (unlink(path) < 0 && errno != ENOENT)
		return vh_fail(err, "cannot remove %s: %s", path, strerror(errno));
	vh_fsync_dir_of(path);
	return 0;
}

static uid_t owner_expected(struct vh_host *h)
{
	struct stat st;
	return vh_host_is_live(h) || stat(h->root, &st) < 0 ? 0 : st.st_uid;
}

int vh_setup_target_ok(struct vh_host *h, const char *abs, struct vh_err *err)
{
	char path[PATH_MAX];
	struct stat st;
	if (vh_host_path(h, path, sizeof(path), "%s", abs) < 0)
		return vh_fail(err, "%s: path too long", abs);
	if (lstat(path, &st) < 0)
		return errno == ENOENT || errno == ENOTDIR /* fails when written */
			       ? 0
			       : vh_fail(err, "cannot read %s: %s", abs, strerror(errno));
	const char *what = S_ISLNK(st.st_mode)              ? "a symbolic link"
			   : !S_ISREG(st.st_mode)           ? "not a regular file"
			   : st.st_nlink != 1               ? "a file with several hard links"
			   : st.st_uid != owner_expected(h) ? "owned by another user than root"
							    : NULL;
	if (!what)
		return 0;
	return vh_failc(err, EPERM,
			"%s is %s: setup changes only files it can restore exactly; make it a "
			"plain root-owned file or make the change by hand",
			abs, what);
}

/* The file as the plan leaves it (new_, or absent), or as it was. */
static int put_file(struct vh_host *h, const struct vh_setup_file *f, bool as_new,
		    struct vh_err *err)
{
	char path[PATH_MAX];
	if (vh_host_path(h, path, sizeof(path), "%s", f->path) < 0)
		return vh_fail(err, "%s: path too long", f->path);
	if (as_new)
		return f->new_ ? vh_setup_write_atomic(path, f->new_, f->new_len, f->old_mode, err)
			       : remove_file(path, err);
	return f->existed ? vh_setup_write_atomic(path, f->old, f->old_len, f->old_mode, err)
			  : remove_file(path, err);
}

enum file_now { FILE_IS_OLD, FILE_IS_NEW, FILE_IS_OTHER };

/* What a file holds now: what setup found, what it wrote, or neither. */
static enum file_now file_now(struct vh_host *h, const struct vh_setup_file *f)
{
	char path[PATH_MAX], *now = NULL;
	size_t len = 0;
	if (vh_host_path(h, path, sizeof(path), "%s", f->path) < 0)
		return FILE_IS_OTHER;
	bool exists = vh_slurp(path, 1u << 20, &now, &len) == 0;
	bool absent = !exists && (errno == ENOENT || errno == ENOTDIR);
	enum file_now r = FILE_IS_OTHER;
	if (f->new_ ? exists && len == f->new_len && !memcmp(now, f->new_, len) : absent)
		r = FILE_IS_NEW;
	else if (f->existed ? exists && len == f->old_len && !memcmp(now, f->old, len) : absent)
		r = FILE_IS_OLD;
	free(now);
	return r;
}

/* ---- signals: an interrupted apply stops and rolls back ---- */

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	interrupted = sig;
}

struct saved_signals {
	struct sigaction old[5];
};
static const int caught[5] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE };

static void catch_signals(struct saved_signals *saved)
{
	interrupted = 0;
	for (size_t i = 0; i < VH_ARRAY_SIZE(caught); i++) {
		struct sigaction sa = { 0 };
		sa.sa_handler = caught[i] == SIGPIPE ? SIG_IGN : on_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(caught[i], &sa, &saved->old[i]);
	}
}

static void restore_signals(const struct saved_signals *saved)
{
	for (size_t i = 0; i < VH_ARRAY_SIZE(caught); i++)
		sigaction(caught[i], &saved->old[i], NULL);
}

/* ---- commands ---- */

static bool run_in_root(const struct vh_host *h)
{
	/* Tests only: a host tree's own stand-ins (<root>/usr/sbin/...) run in
	 * place of the real programs, so a failing command can be shown. */
	return !h->live && getenv("VH_SETUP_RUN_IN_ROOT") &&
	       !strcmp(getenv("VH_SETUP_RUN_IN_ROOT"), "1");
}

static bool commands_run(const struct vh_host *h)
{
	return h->live || run_in_root(h);
}

static void child_exec(const char *prog, char *const argv[])
{
	static char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C",
				      "HOME=/root", NULL };
	setpgid(0, 0);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	int null = open("/dev/null", O_RDONLY);
	if (null >= 0)
		dup2(null, 0);
	dup2(2, 1);
	execve(prog, argv, envp);
	_exit(127);
}

/* Runs argv (argv[0] absolute) with a clean environment, stdout to stderr
 * (stdout is the plan's JSON), killed with its process group at the limit
 * or, when `stoppable`, as soon as a signal interrupts the apply.
 * Returns the exit status, 128+signal, or -1 when it could not start. */
static int run_argv(const struct vh_host *h, char *const argv[], bool stoppable)
{
	char prog[PATH_MAX];
	if (argv[0][0] != '/' ||
	    vh_format(prog, sizeof(prog), "%s%s", h->live ? "" : h->root, argv[0]) < 0)
		return -1;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		child_exec(prog, argv);
	setpgid(pid, pid);
	int status;
	for (unsigned waited = 0;; waited += 10) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return -1;
		if (waited >= COMMAND_LIMIT_MS || (stoppable && interrupted)) {
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
			return 128 + SIGKILL;
		}
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int run_command(const struct vh_host *h, const struct vh_setup_command *c, bool stoppable)
{
	char *argv[VH_SETUP_MAX_ARGV + 1];
	for (size_t i = 0; i < c->argc; i++)
		argv[i] = (char *)c->argv[i];
	argv[c->argc] = NULL;
	return run_argv(h, argv, stoppable);
}

static struct vh_setup_vm *vm_of_command(struct vh_setup *s, const struct vh_setup_command *c)
{
	for (size_t i = 0; c->argc == 5 && !strcmp(c->argv[0], "/usr/sbin/qm") && i < s->n_vm; i++)
		if (c->argv[3][0] == '-' && !strcmp(c->argv[3] + 1, s->vm[i].key))
			return &s->vm[i];
	return NULL;
}

/* What a VM key holds now: the old value, the new one, or neither. */
static enum file_now vm_now(struct vh_host *h, unsigned vmid, const struct vh_setup_vm *v)
{
	char now[512];
	bool has = vh_setup_vm_value(h, vmid, v->key, now, sizeof(now));
	if (has && !strcmp(now, v->new_))
		return FILE_IS_NEW;
	return (v->had_old ? has && !strcmp(now, v->old) : !has) ? FILE_IS_OLD : FILE_IS_OTHER;
}

/* `qm set VMID -key old` (or --delete key): what undoes a VM setting. */
static int restore_vm_key(const struct vh_host *h, unsigned vmid, const struct vh_setup_vm *v)
{
	char id[16], opt[40], key[32], old[512];
	snprintf(id, sizeof(id), "%u", vmid);
	snprintf(opt, sizeof(opt), "-%s", v->key);
	vh_strlcpy(key, v->key, sizeof(key));
	vh_strlcpy(old, v->old, sizeof(old));
	char *set[] = { "/usr/sbin/qm", "set", id, opt, old, NULL };
	char *del[] = { "/usr/sbin/qm", "set", id, "--delete", key, NULL };
	return run_argv(h, v->had_old ? set : del, false);
}

/* ---- outputs of regenerating commands ---- */

static void add_output(struct vh_setup_command *c, size_t ci, const char *path)
{
	if (c->n_outputs >= VH_SETUP_MAX_OUTPUTS)
		return;
	struct vh_setup_output *o = &c->outputs[c->n_outputs];
	if (vh_format(o->path, sizeof(o->path), "%s", path) < 0 ||
	    vh_format(o->saved, sizeof(o->saved), "out.%zu.%zu", ci, c->n_outputs) < 0)
		return;
	c->n_outputs++;
}

/* update-initramfs -u -k all rewrites every /boot/initrd.img-V and its
 * record /var/lib/initramfs-tools/V; update-grub rewrites grub.cfg. */
static void collect_outputs(struct vh_host *h, struct vh_setup_command *c, size_t ci)
{
	c->n_outputs = 0;
	if (!strcmp(c->argv[0], "/usr/sbin/update-grub")) {
		add_output(c, ci, "/boot/grub/grub.cfg");
		return;
	}
	char dir[PATH_MAX], abs[PATH_MAX];
	if (strcmp(c->argv[0], "/usr/sbin/update-initramfs") ||
	    vh_host_path(h, dir, sizeof(dir), "/boot") < 0)
		return;
	DIR *d = opendir(dir);
	for (struct dirent *e; d && (e = readdir(d));) {
		const char *v = e->d_name + strlen("initrd.img-");
		if (strncmp(e->d_name, "initrd.img-", strlen("initrd.img-")) || !*v ||
		    !vh_is_safe_component(v) || c->n_outputs + 2 > VH_SETUP_MAX_OUTPUTS)
			continue;
		if (vh_format(abs, sizeof(abs), "/boot/%s", e->d_name) >= 0)
			add_output(c, ci, abs);
		if (vh_format(abs, sizeof(abs), "/var/lib/initramfs-tools/%s", v) >= 0)
			add_output(c, ci, abs);
	}
	if (d)
		closedir(d);
}

static int output_paths(struct vh_host *h, const struct vh_setup *s,
			const struct vh_setup_output *o, char *host, char *saved, size_t size)
{
	char dir[PATH_MAX];
	return vh_host_path(h, host, size, "%s", o->path) < 0 ||
			       vh_journal_dir(h, s->journal, dir, sizeof(dir)) < 0 ||
			       vh_format(saved, size, "%s/%s", dir, o->saved) < 0
		       ? -1
		       : 0;
}

/* A copy, never a hard link: update-initramfs rewrites its records in place
 * (and a writer that does would change a linked "copy" too). */
static int save_outputs(struct vh_host *h, const struct vh_setup *s, struct vh_setup_command *c,
			struct vh_err *err)
{
	for (size_t k = 0; k < c->n_outputs; k++) {
		struct vh_setup_output *o = &c->outputs[k];
		char host[PATH_MAX], saved[PATH_MAX];
		if (output_paths(h, s, o, host, saved, sizeof(host)) < 0)
			return vh_fail(err, "%s: path too long", o->path);
		o->existed = vh_path_exists(host);
		unlink(saved);
		if (o->existed && copy_atomic(host, saved, err) < 0)
			return -1;
	}
	return 0;
}

static int restore_outputs(struct vh_host *h, const struct vh_setup *s,
			   const struct vh_setup_command *c, struct vh_err *err)
{
	int rc = 0;
	for (size_t k = 0; k < c->n_outputs; k++) {
		const struct vh_setup_output *o = &c->outputs[k];
		char host[PATH_MAX], saved[PATH_MAX];
		struct vh_err e;
		int r = output_paths(h, s, o, host, saved, sizeof(host)) < 0
				? vh_fail(&e, "%s: path too long", o->path)
			: o->existed ? copy_atomic(saved, host, &e)
				     : remove_file(host, &e);
		if (r < 0 && rc == 0)
			rc = -1, *err = e;
	}
	return rc;
}

static void drop_outputs(struct vh_host *h, struct vh_setup *s)
{
	for (size_t i = 0; i < s->n_commands; i++) {
		struct vh_setup_command *c = &s->commands[i];
		for (size_t k = 0; k < c->n_outputs; k++) {
			char host[PATH_MAX], saved[PATH_MAX];
			if (output_paths(h, s, &c->outputs[k], host, saved, sizeof(host)) == 0)
				unlink(saved);
		}
		c->n_outputs = 0;
	}
}

/* On a proxmox-boot-tool host the ESPs hold copies of the images: after
 * images come back, they must be copied again. */
static bool uses_proxmox_boot_tool(const struct vh_host *h)
{
	char path[PATH_MAX];
	return vh_host_path(h, path, sizeof(path), "/etc/kernel/proxmox-boot-uuids") == 0 &&
	       vh_path_exists(path);
}

/* ---- rollback and undo ---- */

static void keep_first(int *rc, struct vh_err *err, const struct vh_err *e)
{
	if (*rc == 0) {
		*rc = -1;
		*err = *e;
	}
}

/* Refuses, before anything is touched, a file or VM key changed by someone
 * else since setup wrote it. */
static int changed_since(struct vh_host *h, struct vh_setup *s, struct vh_err *err)
{
	for (size_t i = 0; i < s->n_files; i++)
		if (s->files[i].started && file_now(h, &s->files[i]) == FILE_IS_OTHER)
			return vh_failc(err, EEXIST,
					"%s changed since setup %s wrote it: not undone (restore it "
					"by hand from the journal's orig.%zu)",
					s->files[i].path, s->journal, i);
	for (size_t i = 0; i < s->n_commands; i++) {
		struct vh_setup_vm *v = vm_of_command(s, &s->commands[i]);
		if (v && s->commands[i].run && vm_now(h, s->vmid, v) == FILE_IS_OTHER)
			return vh_failc(err, EEXIST,
					"VM %u's %s changed since setup %s set it: not undone "
					"(set it by hand: qm set %u -%s %s)",
					s->vmid, v->key, s->journal, s->vmid, v->key,
					v->had_old ? v->old : "(delete it)");
	}
	return 0;
}

static int undo_files_and_vm(struct vh_host *h, struct vh_setup *s, struct vh_err *err)
{
	int rc = 0;
	struct vh_err e;
	for (size_t i = s->n_files; i-- > 0;)
		if (s->files[i].started && file_now(h, &s->files[i]) == FILE_IS_NEW &&
		    put_file(h, &s->files[i], false, &e) < 0)
			keep_first(&rc, err, &e);
	for (size_t i = s->n_commands; i-- > 0 && commands_run(h);) {
		struct vh_setup_vm *v = vm_of_command(s, &s->commands[i]);
		int st = 0;
		if (v && s->commands[i].run && vm_now(h, s->vmid, v) == FILE_IS_NEW &&
		    (st = restore_vm_key(h, s->vmid, v)) != 0) {
			vh_fail(&e, "qm set %u -%s failed (exit %d)", s->vmid, v->key, st);
			keep_first(&rc, err, &e);
		}
	}
	return rc;
}

/* Every regenerating command that started, whatever its status: its saved
 * outputs back, or (none saved) it runs again over the restored files. */
static int undo_regenerated(struct vh_host *h, struct vh_setup *s, struct vh_err *err)
{
	int rc = 0;
	bool images_back = false;
	struct vh_err e;
	for (size_t i = 0; i < s->n_commands; i++) {
		const struct vh_setup_command *c = &s->commands[i];
		if (!c->run || !c->regenerates)
			continue;
		if (c->n_outputs) {
			if (restore_outputs(h, s, c, &e) < 0)
				keep_first(&rc, err, &e);
			images_back |= !strcmp(c->argv[0], "/usr/sbin/update-initramfs");
			continue;
		}
		int st = commands_run(h) ? run_command(h, c, false) : 0;
		images_back &= strcmp(c->argv[0], PBT) != 0 || st != 0;
		if (st != 0) {
			vh_fail(&e, "rerunning %s%s%s failed (exit %d)", c->argv[0],
				c->argc > 1 ? " " : "", c->argc > 1 ? c->argv[1] : "", st);
			keep_first(&rc, err, &e);
		}
	}
	static char *const refresh[] = { PBT, "refresh", NULL };
	int st = 0;
	if (images_back && commands_run(h) && uses_proxmox_boot_tool(h) &&
	    (st = run_argv(h, refresh, false)) != 0) {
		vh_fail(&e, "proxmox-boot-tool refresh failed (exit %d) after the images came back",
			st);
		keep_first(&rc, err, &e);
	}
	return rc;
}

static int roll_back(struct vh_host *h, struct vh_setup *s, struct vh_err *err)
{
	if (changed_since(h, s, err) < 0)
		return -1;
	int rc = undo_files_and_vm(h, s, err);
	struct vh_err e;
	if (undo_regenerated(h, s, &e) < 0)
		keep_first(&rc, err, &e);
	return rc;
}

/* ---- the lock: one setup at a time ---- */

int vh_setup_lock(struct vh_host *h, struct vh_err *err)
{
	char dir[PATH_MAX], path[PATH_MAX + 8];
	if (vh_journal_dir(h, NULL, dir, sizeof(dir)) < 0 ||
	    vh_format(path, sizeof(path), "%s/.lock", dir) < 0)
		return vh_fail(err, "journal path too long");
	vh_setup_mkdirs(path);
	mkdir(dir, 0700);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return vh_fail(err, "cannot open the setup lock %s: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		close(fd);
		return vh_failc(err, e,
				e == EWOULDBLOCK
					? "another hookctl setup is running (it holds %s): wait "
					  "for it to finish"
					: "cannot lock %s",
				path);
	}
	return fd;
}

void vh_setup_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* ---- apply ---- */

static int interrupted_fail(struct vh_err *err)
{
	return vh_failc(err, EINTR, "interrupted by signal %d (%s)", (int)interrupted,
			strsignal((int)interrupted));
}

/* Every file planned must still be as the plan read it: a plan made before
 * another setup or an admin changed it would otherwise overwrite that. */
static int still_as_planned(struct vh_host *h, const struct vh_setup *s, struct vh_err *err)
{
	for (size_t i = 0; i < s->n_files; i++) {
		if (vh_setup_target_ok(h, s->files[i].path, err) < 0)
			return -1;
		if (file_now(h, &s->files[i]) != FILE_IS_OLD)
			return vh_failc(err, EEXIST,
					"%s changed since the plan was made: run again",
					s->files[i].path);
	}
	return 0;
}

static int apply_file(struct vh_host *h, struct vh_setup *s, size_t i, struct vh_err *err)
{
	struct vh_setup_file *f = &s->files[i];
	f->started = true;
	if (vh_journal_write(h, s, err) < 0 || put_file(h, f, true, err) < 0)
		return -1;
	f->written = true;
	return vh_journal_write(h, s, err);
}

static int apply_command(struct vh_host *h, struct vh_setup *s, size_t i, struct vh_err *err)
{
	struct vh_setup_command *c = &s->commands[i];
	if (c->regenerates) {
		collect_outputs(h, c, i);
		if (save_outputs(h, s, c, err) < 0)
			return -1;
	}
	c->run = true;
	if (vh_journal_write(h, s, err) < 0)
		return -1;
	c->status = run_command(h, c, true);
	if (vh_journal_write(h, s, err) < 0)
		return -1;
	if (interrupted)
		return interrupted_fail(err);
	if (c->status != 0)
		return vh_fail(err, "%s%s%s exited with status %d", c->argv[0],
			       c->argc > 1 ? " " : "", c->argc > 1 ? c->argv[1] : "", c->status);
	return 0;
}

static int apply_steps(struct vh_host *h, struct vh_setup *s, struct vh_err *err)
{
	for (size_t i = 0; i < s->n_files; i++)
		if (interrupted ? interrupted_fail(err) : apply_file(h, s, i, err) < 0)
			return -1;
	for (size_t i = 0; i < s->n_commands && commands_run(h); i++)
		if (interrupted ? interrupted_fail(err) : apply_command(h, s, i, err) < 0)
			return -1;
	return interrupted ? interrupted_fail(err) : 0;
}

static void append_msg(struct vh_err *err, const char *what, const char *more)
{
	size_t used = strlen(err->msg);
	snprintf(err->msg + used, sizeof(err->msg) - used, "%s%.300s", what, more);
}

int vh_setup_apply(struct vh_host *h, struct vh_setup *s, struct vh_err *err)
{
	if (vh_setup_empty(s))
		return 0;
	if (still_as_planned(h, s, err) < 0)
		return -1;
	struct saved_signals saved;
	catch_signals(&saved);
	int rc = vh_journal_create(h, s, err);
	if (rc == 0 && (rc = apply_steps(h, s, err)) < 0) {
		struct vh_err undo;
		bool back = roll_back(h, s, &undo) == 0;
		s->state = back ? VH_SETUP_ROLLED_BACK : VH_SETUP_ROLLBACK_FAILED;
		if (back)
			append_msg(err, "; every step done was undone", "");
		else
			append_msg(err,
				   "; and the rollback failed, the journal stays undoable "
				   "(hookctl setup --undo): ",
				   undo.msg);
	} else if (rc == 0) {
		s->state = VH_SETUP_APPLIED;
	}
	if (s->journal[0]) {
		if (s->state != VH_SETUP_ROLLBACK_FAILED)
			drop_outputs(h, s);
		vh_journal_write(h, s, NULL);
	}
	restore_signals(&saved);
	return rc;
}

/* ---- undo ---- */

static struct vh_setup *undo_target(struct vh_host *h, const char *id, struct vh_err *err)
{
	if (id) {
		struct vh_setup *s = vh_journal_load(h, id, err);
		if (s && !vh_setup_state_undoable(s->state)) {
			vh_fail(err, "journal %s is %s: nothing to undo", id,
				vh_setup_state_name(s->state));
			vh_setup_free(s);
			return NULL;
		}
		return s;
	}
	char ids[256][64];
	size_t n = vh_journal_ids(h, ids, 256);
	for (size_t i = 0; i < n; i++) {
		struct vh_err ignored;
		struct vh_setup *s = vh_journal_load(h, ids[i], &ignored);
		if (s && vh_setup_state_undoable(s->state))
			return s;
		vh_setup_free(s);
	}
	vh_fail(err, "no setup journal to undo");
	return NULL;
}

int vh_setup_undo(struct vh_host *h, const char *id, FILE *out, struct vh_err *err)
{
	struct vh_setup *s = undo_target(h, id, err);
	if (!s)
		return -2;
	if (changed_since(h, s, err) < 0) {
		vh_setup_free(s);
		return -1;
	}
	struct saved_signals saved;
	catch_signals(&saved);
	int rc = roll_back(h, s, err);
	s->state = rc == 0 ? VH_SETUP_UNDONE : VH_SETUP_UNDO_FAILED;
	if (rc == 0)
		drop_outputs(h, s);
	else
		append_msg(err, "; the journal stays undoable (hookctl setup --undo ", s->journal);
	vh_journal_write(h, s, NULL);
	restore_signals(&saved);
	for (size_t i = 0; rc == 0 && out && i < s->n_files; i++)
		if (s->files[i].started)
			fprintf(out, "%s %s\n", s->files[i].existed ? "restored" : "removed",
				s->files[i].path);
	vh_setup_free(s);
	return rc;
}

struct json_object *vh_setup_list(struct vh_host *h, struct vh_err *err)
{
	char ids[256][64];
	size_t n = vh_journal_ids(h, ids, 256);
	json_object *o = json_object_new_object(), *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct vh_setup *s = vh_journal_load(h, ids[i], err);
		json_object *j = json_object_new_object(), *files = json_object_new_array();
		json_object_object_add(j, "id", json_object_new_string(ids[i]));
		json_object_object_add(j, "vmid", s ? json_object_new_int64(s->vmid) : NULL);
		for (size_t k = 0; s && k < s->n_files; k++)
			json_object_array_add(files, json_object_new_string(s->files[k].path));
		json_object_object_add(j, "files", files);
		json_object_object_add(j, "commands",
				       json_object_new_int(s ? (int)s->n_commands : 0));
		json_object_object_add(j, "state",
				       json_object_new_string(s ? vh_setup_state_name(s->state)
								: "unreadable"));
		json_object_object_add(j, "undone",
				       json_object_new_boolean(s &&
							       !vh_setup_state_undoable(s->state)));
		json_object_array_add(arr, j);
		vh_setup_free(s);
	}
	json_object_object_add(o, "journals", arr);
	return o;
}
