/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The setup journal: /var/lib/vfiohelp/setup/<ID>/ holds journal.json (what
 * the plan is, and how far apply got: each step is marked started before it
 * is taken), orig.N and new.N (a file's bytes before and after) and out.C.K
 * (an output of a regenerating command, saved before it ran). apply.c writes
 * it before each step, so an apply that dies (SIGKILL, a crash, a power
 * cut) can still be undone. Loading trusts nothing: only the paths, modes,
 * commands and VM keys setup itself writes and runs are accepted.
 */
#include "internal.h"
#include "host/host.h"
#include "setup/setup.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <json-c/json.h>

#define JOURNAL_FORMAT 2

static const char *const state_names[] = {
	[VH_SETUP_PLANNED] = "planned",
	[VH_SETUP_APPLYING] = "applying",
	[VH_SETUP_APPLIED] = "applied",
	[VH_SETUP_ROLLED_BACK] = "rolled-back",
	[VH_SETUP_ROLLBACK_FAILED] = "rollback-failed",
	[VH_SETUP_UNDONE] = "undone",
	[VH_SETUP_UNDO_FAILED] = "undo-failed",
};

const char *vh_setup_state_name(enum vh_setup_state st)
{
	return st < VH_ARRAY_SIZE(state_names) ? state_names[st] : "unknown";
}

bool vh_setup_state_undoable(enum vh_setup_state st)
{
	return st == VH_SETUP_APPLYING || st == VH_SETUP_APPLIED ||
	       st == VH_SETUP_ROLLBACK_FAILED || st == VH_SETUP_UNDO_FAILED;
}

int vh_journal_dir(struct vh_host *h, const char *id, char *out, size_t size)
{
	if (id && !vh_is_safe_component(id))
		return -1;
	return vh_host_path(h, out, size, "%s%s%s", VH_SETUP_JOURNALS, id ? "/" : "", id ? id : "");
}

/* ---- writing ---- */

static json_object *file_json(const struct vh_setup_file *f)
{
	json_object *j = json_object_new_object();
	json_object_object_add(j, "path", json_object_new_string(f->path));
	json_object_object_add(j, "existed", json_object_new_boolean(f->existed));
	json_object_object_add(j, "mode", json_object_new_int((int)f->old_mode));
	json_object_object_add(j, "removed", json_object_new_boolean(!f->new_));
	json_object_object_add(j, "started", json_object_new_boolean(f->started));
	json_object_object_add(j, "written", json_object_new_boolean(f->written));
	return j;
}

static json_object *command_json(const struct vh_setup_command *c)
{
	json_object *j = vh_setup_command_json(c), *outs = json_object_new_array();
	json_object_object_add(j, "regenerates", json_object_new_boolean(c->regenerates));
	for (size_t k = 0; k < c->n_outputs; k++) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "path", json_object_new_string(c->outputs[k].path));
		json_object_object_add(o, "existed",
				       json_object_new_boolean(c->outputs[k].existed));
		json_object_object_add(o, "saved", json_object_new_string(c->outputs[k].saved));
		json_object_array_add(outs, o);
	}
	json_object_object_add(j, "outputs", outs);
	return j;
}

static json_object *journal_json(const struct vh_setup *s)
{
	json_object *o = json_object_new_object(), *files = json_object_new_array();
	json_object *cmds = json_object_new_array();
	json_object_object_add(o, "format", json_object_new_int(JOURNAL_FORMAT));
	json_object_object_add(o, "id", json_object_new_string(s->journal));
	json_object_object_add(o, "vmid", json_object_new_int64(s->vmid));
	json_object_object_add(o, "state", json_object_new_string(vh_setup_state_name(s->state)));
	for (size_t i = 0; i < s->n_files; i++)
		json_object_array_add(files, file_json(&s->files[i]));
	for (size_t i = 0; i < s->n_commands; i++)
		json_object_array_add(cmds, command_json(&s->commands[i]));
	json_object_object_add(o, "files", files);
	json_object_object_add(o, "commands", cmds);
	json_object_object_add(o, "vm", vh_setup_vm_json(s));
	return o;
}

int vh_journal_write(struct vh_host *h, const struct vh_setup *s, struct vh_err *err)
{
	char dir[PATH_MAX], path[PATH_MAX + 32];
	if (vh_journal_dir(h, s->journal, dir, sizeof(dir)) < 0 ||
	    vh_format(path, sizeof(path), "%s/journal.json", dir) < 0)
		return vh_fail(err, "journal path too long");
	json_object *o = journal_json(s);
	const char *text = json_object_to_json_string_ext(o,
							  JSON_C_TO_STRING_PRETTY |
								  JSON_C_TO_STRING_NOSLASHESCAPE);
	int rc = vh_setup_write_atomic(path, text, strlen(text), 0600, err);
	json_object_put(o);
	return rc;
}

/* orig.N and new.N: a file's bytes before and after, kept beside journal.json. */
static int journal_bytes(struct vh_host *h, const struct vh_setup *s, struct vh_err *err)
{
	char dir[PATH_MAX], path[PATH_MAX + 32];
	if (vh_journal_dir(h, s->journal, dir, sizeof(dir)) < 0)
		return vh_fail(err, "journal path too long");
	for (size_t i = 0; i < s->n_files; i++) {
		const struct vh_setup_file *f = &s->files[i];
		if (f->existed && (vh_format(path, sizeof(path), "%s/orig.%zu", dir, i) < 0 ||
				   vh_setup_write_atomic(path, f->old, f->old_len, 0600, err) < 0))
			return -1;
		if (f->new_ && (vh_format(path, sizeof(path), "%s/new.%zu", dir, i) < 0 ||
				vh_setup_write_atomic(path, f->new_, f->new_len, 0600, err) < 0))
			return -1;
	}
	return 0;
}

int vh_journal_create(struct vh_host *h, struct vh_setup *s, struct vh_err *err)
{
	char dir[PATH_MAX], stamp[32];
	time_t now = time(NULL);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", gmtime(&now));
	for (int n = 1; n < 100; n++) {
		if ((n == 1 ? vh_format(s->journal, sizeof(s->journal), "%s-%u", stamp, s->vmid)
			    : vh_format(s->journal, sizeof(s->journal), "%s-%u.%d", stamp, s->vmid,
					n)) < 0 ||
		    vh_journal_dir(h, s->journal, dir, sizeof(dir)) < 0)
			return vh_fail(err, "journal path too long");
		vh_setup_mkdirs(dir);
		if (mkdir(dir, 0700) == 0) {
			s->state = VH_SETUP_APPLYING;
			return journal_bytes(h, s, err) < 0 ? -1 : vh_journal_write(h, s, err);
		}
		if (errno != EEXIST)
			return vh_fail(err, "cannot create the journal %s: %s", dir,
				       strerror(errno));
	}
	return vh_fail(err, "too many journals in one second");
}

/* ---- reading, strictly ---- */

static json_object *jget(json_object *o, const char *key, json_type type)
{
	json_object *v;
	return o && json_object_object_get_ex(o, key, &v) && v && json_object_is_type(v, type)
		       ? v
		       : NULL;
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v = jget(o, key, json_type_string);
	return v ? json_object_get_string(v) : NULL;
}

static bool jbool(json_object *o, const char *key, bool *out)
{
	json_object *v = jget(o, key, json_type_boolean);
	if (v)
		*out = json_object_get_boolean(v);
	return v != NULL;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n > m && !strcmp(s + n - m, suffix);
}

/* The host files setup writes: its own files, /etc/kernel/cmdline, and the
 * modprobe.d file that holds the effective vfio-pci ids= it merges into. */
static bool target_path_ok(const char *p)
{
	static const char *const fixed[] = { VH_SETUP_MODULES_FILE, VH_SETUP_GRUB_DROPIN,
					     VH_SETUP_KERNEL_CMDLINE };
	for (size_t i = 0; i < VH_ARRAY_SIZE(fixed); i++)
		if (!strcmp(p, fixed[i]))
			return true;
	const char *dir = "/etc/modprobe.d/";
	return !strncmp(p, dir, strlen(dir)) && vh_is_safe_component(p + strlen(dir)) &&
	       has_suffix(p, ".conf");
}

/* The files regenerating commands rewrite and the journal saves. */
static bool output_path_ok(const char *p)
{
	static const char *const dirs[] = { "/boot/initrd.img-", "/var/lib/initramfs-tools/" };
	if (!strcmp(p, "/boot/grub/grub.cfg"))
		return true;
	for (size_t i = 0; i < VH_ARRAY_SIZE(dirs); i++)
		if (!strncmp(p, dirs[i], strlen(dirs[i])) && p[strlen(dirs[i])] &&
		    vh_is_safe_component(p + strlen(dirs[i])))
			return true;
	return false;
}

static char *journal_file(const char *dir, const char *name, size_t len_max, size_t *len)
{
	char path[PATH_MAX + 32], *text = NULL;
	if (vh_format(path, sizeof(path), "%s/%s", dir, name) < 0 ||
	    vh_slurp(path, len_max, &text, len) < 0)
		return NULL;
	return text;
}

static int load_file(struct vh_setup_file *f, json_object *j, const char *dir, size_t i)
{
	const char *path = jstr(j, "path");
	json_object *mode = jget(j, "mode", json_type_int);
	bool removed = false;
	char name[32];
	if (!path || !target_path_ok(path) || strlen(path) >= sizeof(f->path) || !mode ||
	    !jbool(j, "existed", &f->existed) || !jbool(j, "removed", &removed) ||
	    !jbool(j, "started", &f->started) || !jbool(j, "written", &f->written))
		return -1;
	int m = json_object_get_int(mode);
	if (m < 0 || (m & ~0666)) /* setup never writes an executable or setuid file */
		return -1;
	vh_strlcpy(f->path, path, sizeof(f->path));
	f->old_mode = (mode_t)m;
	snprintf(name, sizeof(name), "orig.%zu", i);
	if (f->existed && !(f->old = journal_file(dir, name, 1u << 20, &f->old_len)))
		return -1;
	snprintf(name, sizeof(name), "new.%zu", i);
	if (!removed && !(f->new_ = journal_file(dir, name, 1u << 20, &f->new_len)))
		return -1;
	f->action = removed ? VH_FILE_REMOVE : f->existed ? VH_FILE_MODIFY : VH_FILE_CREATE;
	return 0;
}

/* The commands setup plans, exactly: anything else in a journal is refused. */
static bool command_ok(const struct vh_setup_command *c, unsigned vmid)
{
	static const char *const known[][5] = {
		{ "/usr/sbin/update-initramfs", "-u", "-k", "all", NULL },
		{ "/usr/sbin/update-grub", NULL },
		{ "/usr/sbin/proxmox-boot-tool", "refresh", NULL },
	};
	for (size_t i = 0; i < VH_ARRAY_SIZE(known); i++) {
		size_t n = 0;
		while (known[i][n] && n < c->argc && !strcmp(known[i][n], c->argv[n]))
			n++;
		if (!known[i][n] && n == c->argc)
			return c->regenerates;
	}
	char id[16];
	snprintf(id, sizeof(id), "%u", vmid);
	if (c->regenerates || c->argc < 3 || strcmp(c->argv[2], id))
		return false;
	if (!strcmp(c->argv[0], "/usr/sbin/qm"))
		return c->argc == 5 && !strcmp(c->argv[1], "set") && c->argv[3][0] == '-';
	return c->argc == 4 && has_suffix(c->argv[0], "/hookctl") &&
	       vh_is_safe_relpath(c->argv[0]) && !strcmp(c->argv[1], "install") &&
	       !strcmp(c->argv[3], "--apply");
}

static int load_outputs(struct vh_setup_command *c, json_object *outs, size_t ci)
{
	size_t n = outs ? json_object_array_length(outs) : 0;
	if (!outs || n > VH_SETUP_MAX_OUTPUTS || (n && !c->regenerates))
		return -1;
	for (size_t k = 0; k < n; k++, c->n_outputs++) {
		struct vh_setup_output *o = &c->outputs[k];
		json_object *j = json_object_array_get_idx(outs, k);
		const char *path = jstr(j, "path"), *saved = jstr(j, "saved");
		char want[24];
		if (vh_format(want, sizeof(want), "out.%zu.%zu", ci, k) < 0 || !path ||
		    !output_path_ok(path) || strlen(path) >= sizeof(o->path) ||
		    !jbool(j, "existed", &o->existed) || !saved || strcmp(saved, want))
			return -1;
		vh_strlcpy(o->path, path, sizeof(o->path));
		vh_strlcpy(o->saved, saved, sizeof(o->saved));
	}
	return 0;
}

static int load_command(struct vh_setup_command *c, json_object *j, unsigned vmid, size_t ci)
{
	json_object *argv = jget(j, "argv", json_type_array), *st;
	memset(c, 0, sizeof(*c));
	c->status = -1;
	size_t n = argv ? json_object_array_length(argv) : 0;
	if (!n || n > VH_SETUP_MAX_ARGV || !jbool(j, "run", &c->run) ||
	    !jbool(j, "regenerates", &c->regenerates))
		return -1;
	for (size_t k = 0; k < n; k++) {
		json_object *a = json_object_array_get_idx(argv, k);
		if (!json_object_is_type(a, json_type_string) ||
		    json_object_get_string_len(a) >= (int)sizeof(c->argv[0]))
			return -1;
		vh_strlcpy(c->argv[c->argc++], json_object_get_string(a), sizeof(c->argv[0]));
	}
	if (json_object_object_get_ex(j, "status", &st) && st) {
		if (!json_object_is_type(st, json_type_int))
			return -1;
		c->status = json_object_get_int(st);
	}
	return command_ok(c, vmid) ? load_outputs(c, jget(j, "outputs", json_type_array), ci) : -1;
}

/* The VM keys setup changes, with values qm can take back. */
static bool vm_key_ok(const char *k)
{
	static const char *const keys[] = { "machine", "bios", "efidisk0", "balloon" };
	for (size_t i = 0; i < VH_ARRAY_SIZE(keys); i++)
		if (!strcmp(k, keys[i]))
			return true;
	uint64_t n;
	return !strncmp(k, "hostpci", 7) && vh_parse_uint(k + 7, strlen(k + 7), 15, &n) == 0;
}

static bool value_ok(const char *v)
{
	for (; *v; v++)
		if ((unsigned char)*v < 0x20 || *v == 0x7f)
			return false;
	return true;
}

static int load_vm(struct vh_setup_vm *v, json_object *j)
{
	json_object *old;
	const char *key = jstr(j, "key"), *new_ = jstr(j, "new");
	memset(v, 0, sizeof(*v));
	if (!key || !vm_key_ok(key) || !new_ || !value_ok(new_) ||
	    strlen(new_) >= sizeof(v->new_) || !json_object_object_get_ex(j, "old", &old))
		return -1;
	if (old) {
		if (!json_object_is_type(old, json_type_string) ||
		    !value_ok(json_object_get_string(old)) ||
		    json_object_get_string_len(old) >= (int)sizeof(v->old))
			return -1;
		v->had_old = true;
		vh_strlcpy(v->old, json_object_get_string(old), sizeof(v->old));
	}
	vh_strlcpy(v->key, key, sizeof(v->key));
	vh_strlcpy(v->new_, new_, sizeof(v->new_));
	return 0;
}

static int state_parse(const char *name, enum vh_setup_state *out)
{
	for (size_t i = VH_SETUP_APPLYING; name && i < VH_ARRAY_SIZE(state_names); i++)
		if (!strcmp(name, state_names[i])) {
			*out = (enum vh_setup_state)i;
			return 0;
		}
	return -1;
}

static bool load_parts(struct vh_setup *s, json_object *o, const char *dir)
{
	json_object *files = jget(o, "files", json_type_array),
		    *cmds = jget(o, "commands", json_type_array),
		    *vm = jget(o, "vm", json_type_array);
	if (!files || !cmds || !vm || json_object_array_length(files) > VH_SETUP_MAX_FILES ||
	    json_object_array_length(cmds) > VH_SETUP_MAX_COMMANDS ||
	    json_object_array_length(vm) > VH_SETUP_MAX_VM)
		return false;
	for (size_t i = 0; i < json_object_array_length(files); i++, s->n_files++)
		if (load_file(&s->files[i], json_object_array_get_idx(files, i), dir, i) < 0)
			return false;
	for (size_t i = 0; i < json_object_array_length(cmds); i++, s->n_commands++)
		if (load_command(&s->commands[i], json_object_array_get_idx(cmds, i), s->vmid, i) <
		    0)
			return false;
	for (size_t i = 0; i < json_object_array_length(vm); i++, s->n_vm++)
		if (load_vm(&s->vm[i], json_object_array_get_idx(vm, i)) < 0)
			return false;
	return true;
}

struct vh_setup *vh_journal_load(struct vh_host *h, const char *id, struct vh_err *err)
{
	char dir[PATH_MAX];
	size_t len;
	if (vh_journal_dir(h, id, dir, sizeof(dir)) < 0) {
		vh_fail(err, "no journal %s", id);
		return NULL;
	}
	char *text = journal_file(dir, "journal.json", 4u << 20, &len);
	json_object *o = text ? json_tokener_parse(text) : NULL;
	free(text);
	json_object *fmt = jget(o, "format", json_type_int), *vmid = jget(o, "vmid", json_type_int);
	struct vh_setup *s = calloc(1, sizeof(*s));
	int64_t v = vmid ? json_object_get_int64(vmid) : -1;
	bool ok = s && json_object_is_type(o, json_type_object) && fmt &&
		  json_object_get_int(fmt) == JOURNAL_FORMAT && v >= 100 && v <= 999999999 &&
		  jstr(o, "id") && !strcmp(jstr(o, "id"), id) &&
		  state_parse(jstr(o, "state"), &s->state) == 0;
	if (ok) {
		vh_strlcpy(s->journal, id, sizeof(s->journal));
		s->vmid = (unsigned)v;
		ok = load_parts(s, o, dir);
	}
	json_object_put(o);
	if (!ok) {
		vh_setup_free(s);
		vh_fail(err,
			"journal %s is not one hookctl setup wrote (%s/journal.json): it is "
			"ignored; restore by hand from its orig.N files if needed",
			id, dir);
		return NULL;
	}
	return s;
}

static int id_newer_first(const void *a, const void *b)
{
	return strcmp((const char *)b, (const char *)a);
}

/* Ids start with the UTC time, so names sort; dotfiles (the lock) are none. */
size_t vh_journal_ids(struct vh_host *h, char ids[][64], size_t max)
{
	char dir[PATH_MAX];
	size_t n = 0;
	if (vh_journal_dir(h, NULL, dir, sizeof(dir)) < 0)
		return 0;
	DIR *d = opendir(dir);
	for (struct dirent *e; d && n < max && (e = readdir(d));)
		if (e->d_name[0] != '.' && vh_is_safe_component(e->d_name) &&
		    strlen(e->d_name) < 64)
			vh_strlcpy(ids[n++], e->d_name, 64);
	if (d)
		closedir(d);
	qsort(ids, n, 64, id_newer_first);
	return n;
}
