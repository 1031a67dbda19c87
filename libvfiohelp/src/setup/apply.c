/*
 * Carrying a setup plan out, and back (hookctl setup --apply / --undo /
 * --list). The only code of the library that writes host configuration or
 * runs programs: files atomically (a temporary beside the file, fsync,
 * rename), then the plan's commands by absolute path with a clean
 * environment, each bounded in time. Every apply leaves a journal in
 * /var/lib/vfiohelp/setup/<ID>/ (journal.json, orig.N, new.N) that undo
 * reads; a failed apply is rolled back by the same code as an undo.
 */
#include "internal.h"
#include "host/host.h"
#include "setup/setup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#define JOURNALS "/var/lib/vfiohelp/setup"
/* update-initramfs -k all builds an image per kernel: minutes on a slow disk. */
#define COMMAND_LIMIT_MS (600u * 1000u)

/* ---- files ---- */

static void mkdirs(const char *path)
{
	char dir[PATH_MAX];
	vh_strlcpy(dir, path, sizeof(dir));
	for (char *p = dir + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(dir, 0755);
		*p = '/';
	}
}

static int fsync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	vh_strlcpy(dir, path, sizeof(dir));
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	int fd = open(slash && dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

/* Writes path whole or not at all: a crash leaves the old file or the new one. */
static int write_atomic(const char *path, const char *data, size_t len, mode_t mode,
			struct vh_err *err)
{
	char tmp[PATH_MAX + 16];
	if (vh_format(tmp, sizeof(tmp), "%s.vfiohelp-new", path) < 0)
		return vh_fail(err, "%s: path too long", path);
	mkdirs(path);
	unlink(tmp);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 07777);
	if (fd < 0)
		return vh_fail(err, "cannot write %s: %s", path, strerror(errno));
	bool ok = fchmod(fd, mode & 07777) == 0;
	for (size_t done = 0; ok && done < len;) {
		ssize_t n = write(fd, data + done, len - done);
		ok = n > 0;
		done += ok ? (size_t)n : 0;
	}
	ok = ok && fsync(fd) == 0;
	int e = errno;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, path) < 0) {
		e = ok ? errno : e;
		unlink(tmp);
		return vh_fail(err, "cannot write %s: %s", path, strerror(e));
	}
	fsync_dir_of(path);
	return 0;
}

static int remove_file(const char *path, struct vh_err *err)
{
	if (unlink(path) < 0 && errno != ENOENT)
		return vh_fail(err, "cannot remove %s: %s", path, strerror(errno));
	fsync_dir_of(path);
	return 0;
}

/* The file as the plan leaves it: new_, or absent. */
static int put_new(struct vh_host *h, const struct vh_setup_file *f, struct vh_err *err)
{
	char path[PATH_MAX];
	if (vh_host_path(h, path, sizeof(path), "%s", f->path) < 0)
		return vh_fail(err, "%s: path too long", f->path);
	return f->new_ ? write_atomic(path, f->new_, f->new_len, f->old_mode, err)
		       : remove_file(path, err);
}

/* The file as it was: its original bytes and mode, or absent. */
static int put_old(struct vh_host *h, const struct vh_setup_file *f, struct vh_err *err)
{
	char path[PATH_MAX];
	if (vh_host_path(h, path, sizeof(path), "%s", f->path) < 0)
		return vh_fail(err, "%s: path too long", f->path);
	return f->existed ? write_atomic(path, f->old, f->old_len, f->old_mode, err)
			  : remove_file(path, err);
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

/* Runs argv (argv[0] absolute) with a clean environment, stdout to stderr
 * (stdout is the plan's JSON), killed with its process group at the limit.
 * Returns the exit status, 128+signal, or -1 when it could not start. */
static int run_argv(const struct vh_host *h, char *const argv[], unsigned limit_ms)
{
	char prog[PATH_MAX];
	if (argv[0][0] != '/' ||
	    vh_format(prog, sizeof(prog), "%s%s", h->live ? "" : h->root, argv[0]) < 0)
		return -1;
	static char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C",
				      "HOME=/root", NULL };
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		setpgid(0, 0);
		int null = open("/dev/null", O_RDONLY);
		if (null >= 0)
			dup2(null, 0);
		dup2(2, 1);
		execve(prog, argv, envp);
		_exit(127);
	}
	setpgid(pid, pid);
	int status;
	for (unsigned waited = 0;; waited += 10) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return -1;
		if (waited >= limit_ms) {
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
			return 128 + SIGKILL;
		}
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int run_command(const struct vh_host *h, const struct vh_setup_command *c)
{
	char *argv[VH_SETUP_MAX_ARGV + 1];
	for (size_t i = 0; i < c->argc; i++)
		argv[i] = (char *)c->argv[i];
	argv[c->argc] = NULL;
	return run_argv(h, argv, COMMAND_LIMIT_MS);
}

/* `qm set VMID -key old` (or --delete key): what undoes a VM setting. */
static int restore_vm_key(const struct vh_host *h, unsigned vmid, const struct vh_setup_vm *v)
{
	char id[16], opt[40], key[32];
	snprintf(id, sizeof(id), "%u", vmid);
	snprintf(opt, sizeof(opt), "-%s", v->key);
	vh_strlcpy(key, v->key, sizeof(key));
	char *set[] = { "/usr/sbin/qm", "set", id, opt, (char *)v->old, NULL };
	char *del[] = { "/usr/sbin/qm", "set", id, "--delete", key, NULL };
	return run_argv(h, v->had_old ? set : del, COMMAND_LIMIT_MS);
}

static const struct vh_setup_vm *vm_of_command(const struct vh_setup *s,
					       const struct vh_setup_command *c)
{
	for (size_t i = 0; c->argc == 5 && !strcmp(c->argv[0], "/usr/sbin/qm") && i < s->n_vm; i++)
		if (c->argv[3][0] == '-' && !strcmp(c->argv[3] + 1, s->vm[i].key))
			return &s->vm[i];
	return NULL;
}

/* Puts back every file written and undoes every command that ran: the
 * regenerating ones run again over the restored files, VM keys get their
 * old values. The first failure is kept in err; the rest still run. */
static int roll_back(struct vh_host *h, struct vh_setup *s, struct vh_err *err)
{
	int rc = 0;
	struct vh_err e;
	for (size_t i = s->n_files; i-- > 0;)
		if (s->files[i].written && put_old(h, &s->files[i], &e) < 0 && rc == 0)
			rc = -1, *err = e;
	for (size_t i = s->n_commands; i-- > 0;) {
		const struct vh_setup_command *c = &s->commands[i];
		if (!c->run || c->status != 0)
			continue;
		const struct vh_setup_vm *v = vm_of_command(s, c);
		int st = v ? restore_vm_key(h, s->vmid, v) : c->regenerates ? run_command(h, c) : 0;
		if (st != 0 && rc == 0)
			rc = vh_fail(err, "undoing %s %s failed (exit %d)", c->argv[0],
				     c->argc > 1 ? c->argv[1] : "", st);
	}
	return rc;
}

/* ---- the journal ---- */

static int journal_dir(struct vh_host *h, const char *id, char *out, size_t size)
{
	if (id && !vh_is_safe_component(id))
		return -1;
	return vh_host_path(h, out, size, "%s%s%s", JOURNALS, id ? "/" : "", id ? id : "");
}

static json_object *journal_json(const struct vh_setup *s, bool undone)
{
	json_object *o = json_object_new_object(), *files = json_object_new_array();
	json_object *cmds = json_object_new_array();
	json_object_object_add(o, "id", json_object_new_string(s->journal));
	json_object_object_add(o, "vmid", json_object_new_int64(s->vmid));
	for (size_t i = 0; i < s->n_files; i++) {
		const struct vh_setup_file *f = &s->files[i];
		json_object *j = json_object_new_object();
		json_object_object_add(j, "path", json_object_new_string(f->path));
		json_object_object_add(j, "existed", json_object_new_boolean(f->existed));
		json_object_object_add(j, "mode", json_object_new_int((int)f->old_mode));
		json_object_object_add(j, "removed", json_object_new_boolean(!f->new_));
		json_object_object_add(j, "written", json_object_new_boolean(f->written));
		json_object_array_add(files, j);
	}
	for (size_t i = 0; i < s->n_commands; i++) {
		json_object *j = vh_setup_command_json(&s->commands[i]);
		json_object_object_add(j, "regenerates",
				       json_object_new_boolean(s->commands[i].regenerates));
		json_object_array_add(cmds, j);
	}
	json_object *vm = vh_setup_vm_json(s);
	json_object_object_add(o, "files", files);
	json_object_object_add(o, "commands", cmds);
	json_object_object_add(o, "vm", vm);
	json_object_object_add(o, "undone", json_object_new_boolean(undone));
	return o;
}

static int journal_write(struct vh_host *h, const struct vh_setup *s, bool undone,
			 struct vh_err *err)
{
	char dir[PATH_MAX], path[PATH_MAX + 32];
	if (journal_dir(h, s->journal, dir, sizeof(dir)) < 0 ||
	    vh_format(path, sizeof(path), "%s/journal.json", dir) < 0)
		return vh_fail(err, "journal path too long");
	json_object *o = journal_json(s, undone);
	const char *text = json_object_to_json_string_ext(o,
							  JSON_C_TO_STRING_PRETTY |
								  JSON_C_TO_STRING_NOSLASHESCAPE);
	int rc = write_atomic(path, text, strlen(text), 0600, err);
	json_object_put(o);
	return rc;
}

/* orig.N and new.N: a file's bytes before and after, kept beside journal.json. */
static int journal_bytes(struct vh_host *h, const struct vh_setup *s, struct vh_err *err)
{
	char dir[PATH_MAX], path[PATH_MAX + 32];
	if (journal_dir(h, s->journal, dir, sizeof(dir)) < 0)
		return vh_fail(err, "journal path too long");
	for (size_t i = 0; i < s->n_files; i++) {
		const struct vh_setup_file *f = &s->files[i];
		if (f->existed && (vh_format(path, sizeof(path), "%s/orig.%zu", dir, i) < 0 ||
				   write_atomic(path, f->old, f->old_len, 0600, err) < 0))
			return -1;
		if (f->new_ && (vh_format(path, sizeof(path), "%s/new.%zu", dir, i) < 0 ||
				write_atomic(path, f->new_, f->new_len, 0600, err) < 0))
			return -1;
	}
	return 0;
}

static int journal_create(struct vh_host *h, struct vh_setup *s, struct vh_err *err)
{
	char dir[PATH_MAX], stamp[32];
	time_t now = time(NULL);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", gmtime(&now));
	for (int n = 1; n < 100; n++) {
		snprintf(s->journal, sizeof(s->journal), n == 1 ? "%s-%u" : "%s-%u.%d", stamp,
			 s->vmid, n);
		if (journal_dir(h, s->journal, dir, sizeof(dir)) < 0)
			return vh_fail(err, "journal path too long");
		mkdirs(dir);
		if (mkdir(dir, 0700) == 0)
			return journal_bytes(h, s, err) < 0 ? -1 : journal_write(h, s, false, err);
		if (errno != EEXIST)
			return vh_fail(err, "cannot create the journal %s: %s", dir,
				       strerror(errno));
	}
	return vh_fail(err, "too many journals in one second");
}

/* ---- apply ---- */

static int apply_steps(struct vh_host *h, struct vh_setup *s, struct vh_err *err)
{
	for (size_t i = 0; i < s->n_files; i++) {
		if (put_new(h, &s->files[i], err) < 0)
			return -1;
		s->files[i].written = true;
	}
	if (!commands_run(h))
		return 0;
	for (size_t i = 0; i < s->n_commands; i++) {
		struct vh_setup_command *c = &s->commands[i];
		c->status = run_command(h, c);
		c->run = true;
		if (c->status != 0)
			return vh_fail(err, "%s%s%s exited with status %d", c->argv[0],
				       c->argc > 1 ? " " : "", c->argc > 1 ? c->argv[1] : "",
				       c->status);
	}
	return 0;
}

int vh_setup_apply(struct vh_host *h, struct vh_setup *s, struct vh_err *err)
{
	if (vh_setup_empty(s))
		return 0;
	if (journal_create(h, s, err) < 0)
		return -1;
	int rc = apply_steps(h, s, err);
	if (rc < 0) {
		struct vh_err undo;
		if (roll_back(h, s, &undo) < 0)
			snprintf(err->msg + strlen(err->msg), sizeof(err->msg) - strlen(err->msg),
				 "; and the rollback failed: %.400s", undo.msg);
		else
			snprintf(err->msg + strlen(err->msg), sizeof(err->msg) - strlen(err->msg),
				 "; every step done was undone");
	}
	journal_write(h, s, rc < 0, NULL);
	return rc;
}

/* ---- undo ---- */

static char *journal_file(const char *dir, const char *name, size_t i, size_t *len)
{
	char path[PATH_MAX + 32], *text = NULL;
	if (vh_format(path, sizeof(path), "%s/%s.%zu", dir, name, i) < 0 ||
	    vh_slurp(path, 1u << 20, &text, len) < 0)
		return NULL;
	return text;
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : NULL;
}

static bool jbool(json_object *o, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

static int load_file(struct vh_setup_file *f, json_object *j, const char *dir, size_t i)
{
	const char *path = jstr(j, "path");
	json_object *mode;
	if (!path || path[0] != '/' || !vh_is_safe_relpath(path + 1) ||
	    !json_object_object_get_ex(j, "mode", &mode))
		return -1;
	vh_strlcpy(f->path, path, sizeof(f->path));
	f->existed = jbool(j, "existed");
	f->old_mode = (mode_t)json_object_get_int(mode) & 07777;
	f->written = jbool(j, "written");
	if (f->existed && !(f->old = journal_file(dir, "orig", i, &f->old_len)))
		return -1;
	if (!jbool(j, "removed") && !(f->new_ = journal_file(dir, "new", i, &f->new_len)))
		return -1;
	return 0;
}

static int load_command(struct vh_setup_command *c, json_object *j)
{
	json_object *argv, *st;
	if (!json_object_object_get_ex(j, "argv", &argv) ||
	    !json_object_is_type(argv, json_type_array))
		return -1;
	memset(c, 0, sizeof(*c));
	for (size_t k = 0; k < json_object_array_length(argv) && k < VH_SETUP_MAX_ARGV; k++) {
		const char *a = json_object_get_string(json_object_array_get_idx(argv, k));
		if (!a || (k == 0 && a[0] != '/'))
			return -1;
		vh_strlcpy(c->argv[c->argc++], a, sizeof(c->argv[0]));
	}
	c->run = jbool(j, "run");
	c->status = json_object_object_get_ex(j, "status", &st) && st ? json_object_get_int(st)
								      : -1;
	c->regenerates = jbool(j, "regenerates");
	return c->argc ? 0 : -1;
}

static void load_vm(struct vh_setup_vm *v, json_object *j)
{
	memset(v, 0, sizeof(*v));
	vh_strlcpy(v->key, jstr(j, "key") ? jstr(j, "key") : "", sizeof(v->key));
	v->had_old = jstr(j, "old") != NULL;
	vh_strlcpy(v->old, v->had_old ? jstr(j, "old") : "", sizeof(v->old));
	vh_strlcpy(v->new_, jstr(j, "new") ? jstr(j, "new") : "", sizeof(v->new_));
}

/* A journal back into a plan: what was done, with each file's bytes. */
static struct vh_setup *journal_load(struct vh_host *h, const char *id, bool *undone,
				     struct vh_err *err)
{
	char dir[PATH_MAX], path[PATH_MAX + 32];
	if (journal_dir(h, id, dir, sizeof(dir)) < 0 ||
	    vh_format(path, sizeof(path), "%s/journal.json", dir) < 0) {
		vh_fail(err, "no journal %s", id);
		return NULL;
	}
	json_object *o = json_object_from_file(path), *files, *cmds, *vm, *vmid;
	struct vh_setup *s = o ? calloc(1, sizeof(*s)) : NULL;
	bool ok = s && json_object_object_get_ex(o, "files", &files) &&
		  json_object_object_get_ex(o, "commands", &cmds) &&
		  json_object_object_get_ex(o, "vm", &vm) &&
		  json_object_object_get_ex(o, "vmid", &vmid) &&
		  json_object_array_length(files) <= VH_SETUP_MAX_FILES &&
		  json_object_array_length(cmds) <= VH_SETUP_MAX_COMMANDS &&
		  json_object_array_length(vm) <= VH_SETUP_MAX_VM;
	if (ok) {
		vh_strlcpy(s->journal, id, sizeof(s->journal));
		s->vmid = (unsigned)json_object_get_int64(vmid);
		*undone = jbool(o, "undone");
		for (size_t i = 0; ok && i < json_object_array_length(files); i++, s->n_files++)
			ok = load_file(&s->files[i], json_object_array_get_idx(files, i), dir, i) ==
			     0;
		for (size_t i = 0; ok && i < json_object_array_length(cmds); i++, s->n_commands++)
			ok = load_command(&s->commands[i], json_object_array_get_idx(cmds, i)) == 0;
		for (size_t i = 0; ok && i < json_object_array_length(vm); i++, s->n_vm++)
			load_vm(&s->vm[i], json_object_array_get_idx(vm, i));
	}
	json_object_put(o);
	if (!ok) {
		vh_setup_free(s);
		vh_fail(err, "journal %s cannot be read (%s)", id, path);
		return NULL;
	}
	return s;
}

/* Journal ids, newest first (ids start with the UTC time, so names sort). */
static size_t journal_ids(struct vh_host *h, char ids[][64], size_t max)
{
	char dir[PATH_MAX];
	size_t n = 0;
	if (journal_dir(h, NULL, dir, sizeof(dir)) < 0)
		return 0;
	DIR *d = opendir(dir);
	for (struct dirent *e; d && n < max && (e = readdir(d));)
		if (e->d_name[0] != '.' && vh_is_safe_component(e->d_name) &&
		    strlen(e->d_name) < 64)
			vh_strlcpy(ids[n++], e->d_name, 64);
	if (d)
		closedir(d);
	qsort(ids, n, 64, (int (*)(const void *, const void *))strcmp);
	for (size_t i = 0; i < n / 2; i++) {
		char t[64];
		memcpy(t, ids[i], 64);
		memcpy(ids[i], ids[n - 1 - i], 64);
		memcpy(ids[n - 1 - i], t, 64);
	}
	return n;
}

/* A file the journal wrote still holds exactly what was written. */
static bool unchanged_since(struct vh_host *h, const struct vh_setup_file *f)
{
	char path[PATH_MAX], *now = NULL;
	size_t len = 0;
	if (vh_host_path(h, path, sizeof(path), "%s", f->path) < 0)
		return false;
	bool exists = vh_slurp(path, 1u << 20, &now, &len) == 0;
	bool same = f->new_ ? exists && len == f->new_len && !memcmp(now, f->new_, len)
			    : !exists && errno == ENOENT;
	free(now);
	return same;
}

int vh_setup_undo(struct vh_host *h, const char *id, FILE *out, struct vh_err *err)
{
	char ids[256][64];
	size_t n = id ? 0 : journal_ids(h, ids, 256);
	bool undone = true;
	struct vh_setup *s = NULL;
	for (size_t i = 0; !id && i < n && undone; i++) {
		vh_setup_free(s);
		s = journal_load(h, ids[i], &undone, err);
	}
	if (id)
		s = journal_load(h, id, &undone, err);
	if (!s || undone) {
		if (s || (!id && !n))
			vh_fail(err,
				id ? "journal %s was undone already" : "no setup journal to undo",
				id);
		vh_setup_free(s);
		return -2;
	}
	for (size_t i = 0; i < s->n_files; i++)
		if (s->files[i].written && !unchanged_since(h, &s->files[i])) {
			vh_fail(err,
				"%s changed since setup %s wrote it: not undone (restore it by hand "
				"from the journal's orig.%zu)",
				s->files[i].path, s->journal, i);
			vh_setup_free(s);
			return -1;
		}
	if (!commands_run(h))
		for (size_t i = 0; i < s->n_commands; i++)
			s->commands[i].run =
				false; /* under --root nothing runs, on the way back neither */
	int rc = roll_back(h, s, err);
	if (rc == 0) {
		journal_write(h, s, true, NULL);
		for (size_t i = 0; out && i < s->n_files; i++)
			if (s->files[i].written)
				fprintf(out, "%s %s\n",
					s->files[i].existed ? "restored" : "removed",
					s->files[i].path);
	}
	vh_setup_free(s);
	return rc;
}

struct json_object *vh_setup_list(struct vh_host *h, struct vh_err *err)
{
	char ids[256][64];
	size_t n = journal_ids(h, ids, 256);
	json_object *o = json_object_new_object(), *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		bool undone;
		struct vh_setup *s = journal_load(h, ids[i], &undone, err);
		if (!s)
			continue;
		json_object *j = json_object_new_object(), *files = json_object_new_array();
		json_object_object_add(j, "id", json_object_new_string(ids[i]));
		json_object_object_add(j, "vmid", json_object_new_int64(s->vmid));
		for (size_t k = 0; k < s->n_files; k++)
			json_object_array_add(files, json_object_new_string(s->files[k].path));
		json_object_object_add(j, "files", files);
		json_object_object_add(j, "commands", json_object_new_int((int)s->n_commands));
		json_object_object_add(j, "undone", json_object_new_boolean(undone));
		json_object_array_add(arr, j);
		vh_setup_free(s);
	}
	json_object_object_add(o, "journals", arr);
	return o;
}
