/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The hook's own log (/var/log/vfiohelp/hook.log[.1], one JSON line per
 * phase run) as entries of the task history, each folded into the Proxmox
 * task it ran in when one matches.
 */
#include "internal.h"
#include "base/array.h"
#include "pve/tasklog_model.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

/* ---- the hook's own log ---- */

/* "guest": post-start's detached verifier, which reports when the guest
 * answered, with "started" (its post-start's time) and its "verdict". */
static const char *const phases[] = { "pre-start", "post-start", "pre-stop", "post-stop", "guest" };

static const char *phase_name(const char *s)
{
	for (size_t i = 0; i < VH_ARRAY_SIZE(phases); i++)
		if (strcmp(s, phases[i]) == 0)
			return phases[i];
	return NULL;
}

static bool json_int_in(json_object *o, const char *key, int64_t min, int64_t max, int64_t *v)
{
	json_object *f;
	if (!json_object_object_get_ex(o, key, &f) || !json_object_is_type(f, json_type_int))
		return false;
	errno = 0;
	*v = json_object_get_int64(f);
	return errno == 0 && *v >= min && *v <= max;
}

/* Why an entry is malformed, or NULL when it is fine. */
static const char *hook_entry_check(json_object *o, int64_t *when, int64_t *vmid,
				    const char **phase, int64_t *exit_code, json_object **lines)
{
	json_object *f;
	if (!json_object_is_type(o, json_type_object))
		return "not a JSON object";
	if (!json_int_in(o, "time", 1, INT64_MAX, when))
		return "no valid \"time\"";
	if (!json_int_in(o, "vmid", 100, 999999999, vmid))
		return "no valid \"vmid\"";
	if (!json_object_object_get_ex(o, "phase", &f) ||
	    !json_object_is_type(f, json_type_string) ||
	    !(*phase = phase_name(json_object_get_string(f))))
		return "no valid \"phase\"";
	if (!json_int_in(o, "exit", 0, 255, exit_code))
		return "no valid \"exit\"";
	if (!json_object_object_get_ex(o, "lines", lines) ||
	    !json_object_is_type(*lines, json_type_array))
		return "no \"lines\" array";
	return NULL;
}

static int add_lines(struct strlist *l, json_object *lines)
{
	size_t n = json_object_array_length(lines);
	for (size_t i = 0; i < n && l->n < TASK_HOOK_LINES_MAX; i++) {
		json_object *s = json_object_array_get_idx(lines, i);
		if (json_object_is_type(s, json_type_string) &&
		    tl_strlist_add(l, json_object_get_string(s),
				   (size_t)json_object_get_string_len(s)) < 0)
			return -1;
	}
	return 0;
}

/* A guest verifier's entry: its verdict and the start it belongs to. */
static void guest_fields(struct vh_task *t, json_object *o)
{
	json_object *f;
	if (json_object_object_get_ex(o, "started", &f) && json_object_is_type(f, json_type_int))
		t->match_time = json_object_get_int64(f);
	if (json_object_object_get_ex(o, "verdict", &f) &&
	    json_object_is_type(f, json_type_string)) {
		vh_strlcpy(t->guest_verdict, json_object_get_string(f), sizeof(t->guest_verdict));
		vh_sanitize(t->guest_verdict);
	}
}

static struct vh_task *task_from_hook_entry(int64_t when, unsigned vmid, const char *phase,
					    int exit_code, json_object *lines)
{
	struct vh_task *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	snprintf(t->type, sizeof(t->type), "hook:%s", phase);
	t->phase = phase;
	t->vmid = vmid;
	t->start = t->end = t->match_time = when;
	t->has_end = true;
	t->exit_code = exit_code;
	char status[16];
	snprintf(status, sizeof(status), exit_code ? "exit %d" : "OK", exit_code);
	if (tl_set_status(t, status, strlen(status)) < 0 || add_lines(&t->hooklog, lines) < 0) {
		tl_task_free(t);
		return NULL;
	}
	return t;
}

/* Parses one line of hook.log; -1 only when memory runs out. */
static int read_hook_entry(struct vh_history *hist, struct reader *r, struct json_tokener *tok)
{
	while (r->len && (r->buf[r->len - 1] == ' ' || r->buf[r->len - 1] == '\r'))
		r->buf[--r->len] = '\0';
	json_tokener_reset(tok);
	json_object *o = json_tokener_parse_ex(tok, r->buf, (int)r->len);
	int64_t when, vmid, exit_code;
	const char *phase, *why = NULL;
	json_object *lines;
	if (!o || json_tokener_get_parse_end(tok) != r->len)
		why = "not a JSON object on one line";
	else
		why = hook_entry_check(o, &when, &vmid, &phase, &exit_code, &lines);
	if (why) {
		tl_note(hist, "%s line %u: %s, skipped", r->name, r->lineno, why);
		json_object_put(o);
		return 0;
	}
	int rc = 0;
	if (!hist->vmid || (unsigned)vmid == hist->vmid) {
		struct vh_task *t = task_from_hook_entry(when, (unsigned)vmid, phase,
							 (int)exit_code, lines);
		if (t && !strcmp(phase, "guest"))
			guest_fields(t, o);
		if (!t || tl_history_add(hist, t) < 0) {
			tl_task_free(t);
			rc = -1;
		}
	}
	json_object_put(o);
	return rc;
}

int tl_read_hook_log(const struct history_source *src, struct vh_history *hist, const char *file,
		     struct vh_err *err)
{
	char name[64];
	struct reader r;
	snprintf(name, sizeof(name), "/var/log/vfiohelp/%s", file);
	if (tl_reader_open(&r, src, name, name, HOOKLOG_LINE_MAX) < 0) {
		if (errno != ENOENT)
			tl_note(hist, "cannot read %s: %s", name, strerror(errno));
		return 0; /* the hook's log is a help, not a need */
	}
	struct json_tokener *tok = json_tokener_new();
	int rc = tok ? 0 : -1;
	while (rc == 0 && tl_reader_next(&r)) {
		if (tl_reader_usable(&r, hist) && r.len > 0)
			rc = read_hook_entry(hist, &r, tok);
	}
	if (tok)
		json_tokener_free(tok);
	tl_reader_close(&r);
	return rc < 0 ? vh_fail(err, "out of memory reading %s", name) : 0;
}

/* ---- putting the two together ---- */

static bool phase_runs_in(const char *phase, const char *task_type)
{
	bool start = !strcmp(phase, "pre-start") || !strcmp(phase, "post-start") ||
		     !strcmp(phase, "guest");
	bool stop = !strcmp(phase, "pre-stop");
	if (!strcmp(task_type, "qmreboot"))
		return start || stop; /* a reboot stops and starts in one task */
	if (!strcmp(task_type, "qmstart"))
		return start;
	return stop && (!strcmp(task_type, "qmshutdown") || !strcmp(task_type, "qmstop"));
}

/* The latest task of the entry's VM whose run covers the entry's time and
 * whose log would hold the phase's output. post-stop runs from qm cleanup,
 * outside any task, so it never matches. */
static struct vh_task *matching_task(struct vh_history *hist, const struct vh_task *e)
{
	struct vh_task *best = NULL;
	for (size_t i = 0; i < hist->n; i++) {
		struct vh_task *t = hist->tasks[i];
		if (!t->upid[0] || t->vmid != e->vmid || !phase_runs_in(e->phase, t->type))
			continue;
		int64_t until = t->has_end ? t->end + MATCH_SLACK_S : INT64_MAX;
		if (e->match_time < t->start - MATCH_SLACK_S || e->match_time > until)
			continue;
		if (!best || t->start > best->start)
			best = t;
	}
	return best;
}

/* Moves every string of src to the end of dst (dst keeps its cap rule). */
static int strlist_move(struct strlist *dst, struct strlist *src)
{
	for (size_t i = 0; i < src->n && dst->n < TASK_HOOK_LINES_MAX; i++)
		if (tl_strlist_add(dst, src->v[i], strlen(src->v[i])) < 0)
			return -1;
	tl_strlist_free(src);
	return 0;
}

/* Folds hook.log entries into the task they ran in (their lines are kept
 * for a task whose log has none); the rest stay entries of their own.
 * Matching first and freeing after, so matching never sees a freed entry. */
int tl_fold_hook_entries(struct vh_history *hist)
{
	for (size_t i = 0; i < hist->n; i++) {
		struct vh_task *e = hist->tasks[i];
		struct vh_task *t = e->upid[0] ? NULL : matching_task(hist, e);
		if (!t)
			continue;
		/* the verifier's lines are the start's guest verdict: kept apart,
		 * since a task log's own hook lines replace hook.log's */
		bool guest = !strcmp(e->phase, "guest");
		if (strlist_move(guest ? &t->guest : &t->hooklog, &e->hooklog) < 0)
			return -1;
		if (guest)
			memcpy(t->guest_verdict, e->guest_verdict, sizeof(t->guest_verdict));
		e->folded = true;
	}
	size_t kept = 0;
	for (size_t i = 0; i < hist->n; i++) {
		if (hist->tasks[i]->folded)
			tl_task_free(hist->tasks[i]);
		else
			hist->tasks[kept++] = hist->tasks[i];
	}
	hist->n = kept;
	return 0;
}
