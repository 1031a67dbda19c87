/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Task history: what Proxmox's task logs and the hook's own log say about
 * the starts and stops of VMs.
 *
 * Formats (pve-common PVE::UPID, PVE::INotify, PVE::RESTEnvironment):
 *   /var/log/pve/tasks/index[.1]   finished tasks: "<UPID> <endtime %08X> <status>"
 *   /var/log/pve/tasks/active      "<UPID> <saved 0|1>[ <endtime %08X>[ <status>]]"
 *                                  (no endtime: still running)
 *   /var/log/pve/tasks/<X>/<UPID>  the task's output; X is the last hex digit
 *                                  of starttime as the UPID writes it (%08X, so
 *                                  upper case); last line "TASK OK",
 *                                  "TASK ERROR: <msg>" or "TASK WARNINGS: <n>"
 *   /var/log/vfiohelp/hook.log[.1] vfio-hook's JSON lines, one per phase run:
 *                                  {"time", "vmid", "phase", "exit", "verdict", "lines"}
 *
 * Every file is read line by line into a fixed buffer, so a huge task log
 * costs no more memory than a small one; a line that breaks its grammar is
 * skipped and noted, never trusted. A UPID is used in a path only after it
 * has been parsed. The files come from a source: the host (vh_history_load)
 * or texts in memory (vh_history_parse, for the fuzz harness and tests);
 * everything after opening a file is the same code for both.
 */
#include "internal.h"
#include "base/array.h"
#include "pve/tasklog.h"
#include "pve/tasklog_model.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

/* ---- UPID ---- */

/* Next ':'-terminated field of [*p, end); advances past the ':'. */
static bool take_field(const char **p, const char *end, const char **f, size_t *flen)
{
	const char *colon = memchr(*p, ':', (size_t)(end - *p));
	if (!colon)
		return false;
	*f = *p;
	*flen = (size_t)(colon - *p);
	*p = colon + 1;
	return true;
}

/* A hostname label, as pve-common: [a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])? */
static bool is_node_name(const char *s, size_t len)
{
	if (len == 0 || s[0] == '-' || s[len - 1] == '-')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-",
			    s[i]) ||
		    s[i] == '\0')
			return false;
	return true;
}

/* pve-common's [^:\s/], narrowed to printable ASCII. */
static bool is_upid_word(const char *s, size_t len, bool may_be_empty)
{
	if (len == 0)
		return may_be_empty;
	for (size_t i = 0; i < len; i++)
		if (s[i] <= ' ' || s[i] > '~' || s[i] == ':' || s[i] == '/')
			return false;
	return true;
}

static bool copy_field(char *dst, size_t size, const char *s, size_t len)
{
	if (len >= size)
		return false;
	memcpy(dst, s, len);
	dst[len] = '\0';
	return true;
}

static bool parse_hex_field(const char *s, size_t len, size_t min, size_t max, uint64_t *v)
{
	return len >= min && len <= max && vh_parse_hex(s, len, UINT64_MAX, v) == 0;
}

int vh_task_upid_parse(const char *s, size_t len, struct vh_task_upid *out)
{
	const char *p = s, *end = s + len, *f[7];
	size_t fl[7];
	uint64_t pid, pstart, start;
	if (len >= VH_TASK_UPID_MAX || len < 5 || memcmp(s, "UPID:", 5) != 0)
		return -1;
	p += 5;
	for (int i = 0; i < 7; i++)
		if (!take_field(&p, end, &f[i], &fl[i]))
			return -1;
	if (p != end)
		return -1; /* something after the final ':' */
	struct vh_task_upid u = { 0 };
	if (!is_node_name(f[0], fl[0]) || !copy_field(u.node, sizeof(u.node), f[0], fl[0]) ||
	    !parse_hex_field(f[1], fl[1], 8, 8, &pid) ||
	    !parse_hex_field(f[2], fl[2], 8, 9, &pstart) ||
	    !parse_hex_field(f[3], fl[3], 8, 8, &start) || !is_upid_word(f[4], fl[4], false) ||
	    !copy_field(u.type, sizeof(u.type), f[4], fl[4]) || !is_upid_word(f[5], fl[5], true) ||
	    !copy_field(u.id, sizeof(u.id), f[5], fl[5]) || !is_upid_word(f[6], fl[6], false) ||
	    !copy_field(u.user, sizeof(u.user), f[6], fl[6]))
		return -1;
	u.pid = (uint32_t)pid;
	u.pstart = pstart;
	u.starttime = (int64_t)start;
	u.subdir = f[3][7];
	*out = u;
	return 0;
}

/* ---- index and active ---- */

static bool is_shown_type(const char *type)
{
	static const char *const shown[] = { "qmstart", "qmstop", "qmshutdown", "qmreboot" };
	for (size_t i = 0; i < VH_ARRAY_SIZE(shown); i++)
		if (strcmp(type, shown[i]) == 0)
			return true;
	return false;
}

/* One record from index or active: the UPID, maybe an end time and status. */
struct task_line {
	const char *upid;
	size_t upid_len;
	bool has_end;
	int64_t end;
	const char *status; /* NULL or NUL-terminated, non-empty */
};

/* "<endtime 8 hex>[ <status>]" at s; status_required for index lines. */
static bool parse_end_status(const char *s, bool status_required, struct task_line *tl)
{
	uint64_t end;
	if (strlen(s) < 8 || vh_parse_hex(s, 8, UINT32_MAX, &end) < 0)
		return false;
	tl->has_end = true;
	tl->end = (int64_t)end;
	s += 8;
	if (*s == '\0')
		return !status_required;
	if (*s != ' ')
		return false;
	while (*s == ' ' || *s == '\t')
		s++; /* pve's own reader allows "\s\s*\S.*" */
	if (*s == '\0')
		return false;
	tl->status = s;
	return true;
}

static bool parse_index_line(char *line, struct task_line *tl)
{
	char *sp = strchr(line, ' ');
	memset(tl, 0, sizeof(*tl));
	if (!sp)
		return false;
	tl->upid = line;
	tl->upid_len = (size_t)(sp - line);
	return parse_end_status(sp + 1, true, tl);
}

static bool parse_active_line(char *line, struct task_line *tl)
{
	char *sp = strchr(line, ' ');
	memset(tl, 0, sizeof(*tl));
	if (!sp || (sp[1] != '0' && sp[1] != '1'))
		return false;
	tl->upid = line;
	tl->upid_len = (size_t)(sp - line);
	if (sp[2] == '\0')
		return true; /* running */
	return sp[2] == ' ' && parse_end_status(sp + 3, false, tl);
}

/* The task a line names; NULL only when memory runs out. */
static struct vh_task *task_from_line(const struct task_line *tl, const struct vh_task_upid *u,
				      unsigned vmid)
{
	struct vh_task *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	memcpy(t->upid, tl->upid, tl->upid_len);
	t->upid[tl->upid_len] = '\0';
	t->id = *u;
	vh_strlcpy(t->type, u->type, sizeof(t->type));
	t->vmid = vmid;
	t->start = u->starttime;
	t->has_end = tl->has_end;
	t->end = tl->has_end ? tl->end : -1;
	if (tl->status && tl_set_status(t, tl->status, strlen(tl->status)) < 0) {
		tl_task_free(t);
		return NULL;
	}
	return t;
}

/* Reads one of index, index.1, active. A missing file is an empty one. */
static int read_task_list(const struct history_source *src, struct vh_history *hist,
			  const char *file, bool active, struct vh_err *err)
{
	char name[64];
	struct reader r;
	snprintf(name, sizeof(name), "/var/log/pve/tasks/%s", file);
	if (tl_reader_open(&r, src, name, name, TASKLOG_LINE_MAX) < 0) {
		if (errno == ENOENT)
			return 0;
		int e = errno;
		char where[4096];
		if (!src->h || vh_host_path(src->h, where, sizeof(where), "%s", name) < 0)
			vh_strlcpy(where, name, sizeof(where));
		return vh_fail(err, "cannot read %s: %s", where, strerror(e));
	}
	while (tl_reader_next(&r)) {
		struct task_line tl;
		struct vh_task_upid u;
		if (!tl_reader_usable(&r, hist) || r.len == 0)
			continue;
		bool ok = active ? parse_active_line(r.buf, &tl) : parse_index_line(r.buf, &tl);
		if (!ok || vh_task_upid_parse(tl.upid, tl.upid_len, &u) < 0) {
			tl_note(hist, "%s line %u: not a task line, skipped", name, r.lineno);
			continue;
		}
		if (!is_shown_type(u.type))
			continue; /* backups, consoles, ...: not a start or stop */
		unsigned vmid;
		if (vh_vmid_parse(u.id, &vmid) < 0) {
			tl_note(hist, "%s line %u: %s task without a VMID, skipped", name, r.lineno,
				u.type);
			continue;
		}
		if (hist->vmid && vmid != hist->vmid)
			continue;
		struct vh_task *t = task_from_line(&tl, &u, vmid);
		if (!t || tl_history_add(hist, t) < 0) {
			tl_task_free(t);
			tl_reader_close(&r);
			return vh_fail(err, "out of memory reading %s", name);
		}
	}
	if (tl_reader_failed(&r))
		tl_note(hist, "%s: read error after line %u", name, r.lineno);
	tl_reader_close(&r);
	return 0;
}

static int newest_first(const void *a, const void *b)
{
	const struct vh_task *x = *(const struct vh_task *const *)a;
	const struct vh_task *y = *(const struct vh_task *const *)b;
	if (x->start != y->start)
		return x->start < y->start ? 1 : -1;
	/* Same UPIDs side by side (for drop_duplicates); a hook entry ("")
	 * after the task that started in the same second. */
	int c = strcmp(y->upid, x->upid);
	if (c)
		return c;
	if (x->end != y->end)
		return x->end < y->end ? 1 : -1;
	return x->seq < y->seq ? 1 : x->seq > y->seq ? -1 : 0; /* qsort is not stable */
}

/* A finished record wins over "running"; one with a status over one without. */
static void merge_into(struct vh_task *keep, struct vh_task *dup)
{
	if (!keep->has_end && dup->has_end) {
		keep->has_end = true;
		keep->end = dup->end;
	}
	if (!keep->status && dup->status) {
		keep->status = dup->status;
		dup->status = NULL;
	}
}

/* active keeps recent finished tasks that index also lists: one entry each. */
static void drop_duplicates(struct vh_history *hist)
{
	size_t kept = 0;
	for (size_t i = 0; i < hist->n; i++) {
		struct vh_task *t = hist->tasks[i];
		struct vh_task *prev = kept ? hist->tasks[kept - 1] : NULL;
		if (prev && t->upid[0] && strcmp(prev->upid, t->upid) == 0) {
			merge_into(prev, t);
			tl_task_free(t);
			continue;
		}
		hist->tasks[kept++] = t;
	}
	hist->n = kept;
}

/* ---- each task's own log ---- */

/* "TASK OK" -> "OK", "TASK ERROR: m" -> "m", "TASK WARNINGS: n" -> "WARNINGS: n". */
static const char *task_line_status(const char *line)
{
	if (!strcmp(line, "TASK OK"))
		return "OK";
	if (!strncmp(line, "TASK ERROR: ", 12) && line[12])
		return line + 12;
	if (!strncmp(line, "TASK WARNINGS: ", 15) && line[15])
		return line + 5;
	return NULL;
}

static int open_task_log(const struct history_source *src, const struct vh_task *t,
			 struct reader *r)
{
	/* pve writes the directory in upper case; accept a lower-case tree too. */
	char dirs[2] = { t->id.subdir, t->id.subdir };
	dirs[1] = (char)((dirs[0] >= 'A' && dirs[0] <= 'F')   ? dirs[0] - 'A' + 'a'
			 : (dirs[0] >= 'a' && dirs[0] <= 'f') ? dirs[0] - 'a' + 'A'
							      : dirs[0]);
	for (int i = 0; i < 2; i++) {
		char path[VH_TASK_UPID_MAX + 32];
		if (vh_format(path, sizeof(path), "/var/log/pve/tasks/%c/%s", dirs[i], t->upid) < 0)
			return -1;
		if (tl_reader_open(r, src, path, "task log", TASKLOG_LINE_MAX) == 0)
			return 0;
		if (errno != ENOENT)
			return -1;
	}
	return -1;
}

/* Keeps the hook's lines and the last TASK status line; returns -1 on ENOMEM. */
static int scan_task_log(struct vh_history *hist, struct vh_task *t, struct reader *r)
{
	size_t dropped = 0;
	char *last_status = NULL;
	int rc = 0;
	while (rc == 0 && tl_reader_next(r)) {
		if (!tl_reader_usable(r, hist))
			continue;
		const char *st = task_line_status(r->buf);
		if (!strncmp(r->buf, "vfio-hook:", 10)) {
			if (t->hook.n < TASK_HOOK_LINES_MAX)
				rc = tl_strlist_add(&t->hook, r->buf, r->len);
			else
				dropped++;
		} else if (st) {
			free(last_status);
			last_status = strdup(st);
			rc = last_status ? 0 : -1;
		}
	}
	if (rc == 0 && !t->status && last_status)
		rc = tl_set_status(t, last_status, strlen(last_status));
	free(last_status);
	if (dropped)
		tl_note(hist, "%s holds %zu vfio-hook lines beyond the %d shown", r->name, dropped,
			TASK_HOOK_LINES_MAX);
	return rc;
}

static int read_task_log(const struct history_source *src, struct vh_history *hist,
			 struct vh_task *t)
{
	struct reader r;
	int rc = 0;
	if (open_task_log(src, t, &r) < 0) {
		if (errno == ENOENT)
			tl_note(hist, "no task log /var/log/pve/tasks/%c/%s", t->id.subdir,
				t->upid);
		else
			tl_note(hist, "cannot read task log /var/log/pve/tasks/%c/%s: %s",
				t->id.subdir, t->upid, strerror(errno));
	} else {
		char name[VH_TASK_UPID_MAX + 16];
		snprintf(name, sizeof(name), "task log %s", t->upid);
		r.name = name;
		rc = scan_task_log(hist, t, &r);
		if (tl_reader_failed(&r))
			tl_note(hist, "%s: read error after line %u", name, r.lineno);
		tl_reader_close(&r);
	}
	if (rc == 0 && t->hook.n == 0 && t->hooklog.n) {
		t->hook = t->hooklog;
		memset(&t->hooklog, 0, sizeof(t->hooklog));
	}
	return rc;
}

/* ---- what became of each ---- */

static bool is_refusal(const struct vh_task *t)
{
	if (!t->upid[0])
		return !strcmp(t->phase, "pre-start");
	return (!strcmp(t->type, "qmstart") || !strcmp(t->type, "qmreboot")) &&
	       strstr(t->status, "hookscript error") && strstr(t->status, "pre-start");
}

static int settle_state(struct vh_task *t)
{
	if (!t->has_end) {
		t->state = VH_TASK_RUNNING;
		return tl_set_status(t, "running", 7);
	}
	if (!t->status && tl_set_status(t, "unknown", 7) < 0)
		return -1;
	if (!t->upid[0] ? t->exit_code == 0 : !strcmp(t->status, "OK"))
		t->state = VH_TASK_OK;
	else if (!strncmp(t->status, "WARNINGS: ", 10))
		t->state = VH_TASK_WARNINGS;
	else
		t->state = is_refusal(t) ? VH_TASK_REFUSED : VH_TASK_FAILED;
	return 0;
}

static int finish_tasks(const struct history_source *src, struct vh_history *hist)
{
	for (size_t i = 0; i < hist->n; i++) {
		struct vh_task *t = hist->tasks[i];
		if (t->upid[0] && read_task_log(src, hist, t) < 0)
			return -1;
		if (!t->upid[0]) {
			t->hook = t->hooklog;
			memset(&t->hooklog, 0, sizeof(t->hooklog));
		}
		if (settle_state(t) < 0)
			return -1;
	}
	return 0;
}

static void truncate_to(struct vh_history *hist, unsigned limit)
{
	hist->total = hist->n;
	if (!limit || hist->n <= limit)
		return;
	for (size_t i = limit; i < hist->n; i++)
		tl_task_free(hist->tasks[i]);
	hist->n = limit;
}

static struct vh_history *history_read(const struct history_source *src, unsigned vmid,
				       unsigned limit, struct vh_err *err)
{
	struct vh_history *hist = calloc(1, sizeof(*hist));
	if (!hist) {
		vh_fail(err, "out of memory");
		return NULL;
	}
	hist->vmid = vmid;
	/* Older first, so the order of notes follows the files' history. */
	if (read_task_list(src, hist, "index.1", false, err) < 0 ||
	    read_task_list(src, hist, "index", false, err) < 0 ||
	    read_task_list(src, hist, "active", true, err) < 0)
		goto fail;
	if (hist->n)
		qsort(hist->tasks, hist->n, sizeof(*hist->tasks), newest_first);
	drop_duplicates(hist);
	if (tl_read_hook_log(src, hist, "hook.log.1", err) < 0 ||
	    tl_read_hook_log(src, hist, "hook.log", err) < 0)
		goto fail;
	if (tl_fold_hook_entries(hist) < 0) {
		vh_fail(err, "out of memory reading the hook's log");
		goto fail;
	}
	if (hist->n)
		qsort(hist->tasks, hist->n, sizeof(*hist->tasks), newest_first);
	truncate_to(hist, limit);
	if (finish_tasks(src, hist) < 0) {
		vh_fail(err, "out of memory reading task logs");
		goto fail;
	}
	if (hist->notes_dropped)
		tl_note(hist, "... and %zu more notes", hist->notes_dropped);
	return hist;
fail:
	vh_history_free(hist);
	return NULL;
}

struct vh_history *vh_history_load(struct vh_host *h, unsigned vmid, unsigned limit,
				   struct vh_err *err)
{
	struct history_source src = { .h = h };
	return history_read(&src, vmid, limit, err);
}

struct vh_history *vh_history_parse(const struct vh_text_file *files, size_t n_files, unsigned vmid,
				    unsigned limit, struct vh_err *err)
{
	struct history_source src = { .files = files, .n_files = n_files };
	return history_read(&src, vmid, limit, err);
}

void vh_history_free(struct vh_history *hist)
{
	if (!hist)
		return;
	for (size_t i = 0; i < hist->n; i++)
		tl_task_free(hist->tasks[i]);
	free(hist->tasks);
	tl_strlist_free(&hist->notes);
	free(hist);
}

/* ---- accessors ---- */

size_t vh_history_count(const struct vh_history *hist)
{
	return hist->n;
}

const struct vh_task *vh_history_task(const struct vh_history *hist, size_t i)
{
	return i < hist->n ? hist->tasks[i] : NULL;
}

size_t vh_history_note_count(const struct vh_history *hist)
{
	return hist->notes.n;
}

const char *vh_history_note(const struct vh_history *hist, size_t i)
{
	return i < hist->notes.n ? hist->notes.v[i] : NULL;
}

const char *vh_task_upid(const struct vh_task *t)
{
	return t->upid;
}
const char *vh_task_type(const struct vh_task *t)
{
	return t->type;
}
const char *vh_task_node(const struct vh_task *t)
{
	return t->id.node;
}
const char *vh_task_user(const struct vh_task *t)
{
	return t->id.user;
}
unsigned vh_task_vmid(const struct vh_task *t)
{
	return t->vmid;
}
int64_t vh_task_start(const struct vh_task *t)
{
	return t->start;
}
int64_t vh_task_end(const struct vh_task *t)
{
	return t->has_end ? t->end : -1;
}
enum vh_task_state vh_task_state(const struct vh_task *t)
{
	return t->state;
}
const char *vh_task_status(const struct vh_task *t)
{
	return t->status;
}
size_t vh_task_hook_count(const struct vh_task *t)
{
	return t->hook.n;
}

const char *vh_task_hook_line(const struct vh_task *t, size_t i)
{
	return i < t->hook.n ? t->hook.v[i] : NULL;
}
