/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The task history as the admin reads it: the JSON of hookctl log --json
 * and the text of hookctl log.
 */
#include "internal.h"
#include "base/array.h"
#include "pve/tasklog_model.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

/* ---- output ---- */

static json_object *string_or_null(const char *s)
{
	return *s ? json_object_new_string(s) : NULL; /* NULL is JSON null */
}

static json_object *task_to_json(const struct vh_task *t)
{
	json_object *o = json_object_new_object();
	json_object *hook = json_object_new_array();
	for (size_t i = 0; i < t->hook.n; i++)
		json_object_array_add(hook, json_object_new_string(t->hook.v[i]));
	json_object_object_add(o, "upid", string_or_null(t->upid));
	json_object_object_add(o, "type", json_object_new_string(t->type));
	json_object_object_add(o, "node", string_or_null(t->id.node));
	json_object_object_add(o, "vmid", json_object_new_int64(t->vmid));
	json_object_object_add(o, "user", string_or_null(t->id.user));
	json_object_object_add(o, "start", json_object_new_int64(t->start));
	json_object_object_add(o, "end", t->has_end ? json_object_new_int64(t->end) : NULL);
	json_object_object_add(o, "status", json_object_new_string(t->status));
	json_object_object_add(o, "hook", hook);
	/* the post-start verifier's verdict on this start, null when none */
	json_object *guest = NULL;
	if (t->guest_verdict[0]) {
		json_object *lines = json_object_new_array();
		for (size_t i = 0; i < t->guest.n; i++)
			json_object_array_add(lines, json_object_new_string(t->guest.v[i]));
		guest = json_object_new_object();
		json_object_object_add(guest, "verdict", json_object_new_string(t->guest_verdict));
		json_object_object_add(guest, "lines", lines);
	}
	json_object_object_add(o, "guest", guest);
	return o;
}

json_object *vh_history_to_json(const struct vh_history *hist)
{
	json_object *o = json_object_new_object();
	json_object *tasks = json_object_new_array();
	for (size_t i = 0; i < hist->n; i++)
		json_object_array_add(tasks, task_to_json(hist->tasks[i]));
	json_object_object_add(o, "vmid", hist->vmid ? json_object_new_int64(hist->vmid) : NULL);
	json_object_object_add(o, "tasks", tasks);
	return o;
}

static const char *state_label(enum vh_task_state s)
{
	switch (s) {
	case VH_TASK_RUNNING:
		return "RUNNING";
	case VH_TASK_OK:
		return "OK";
	case VH_TASK_WARNINGS:
		return "WARNINGS";
	case VH_TASK_REFUSED:
		return "REFUSED";
	case VH_TASK_FAILED:
		return "FAILED";
	}
	return "?";
}

static void format_time(int64_t t, bool date, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!localtime_r(&tt, &tm) ||
	    !strftime(buf, size, date ? "%Y-%m-%d %H:%M:%S" : "%H:%M:%S", &tm))
		snprintf(buf, size, "@%lld", (long long)t);
}

/* "2025-11-01 09:14:08 .. 09:14:11": the end's date only when it differs. */
static void format_span(const struct vh_task *t, char *buf, size_t size)
{
	char a[32], b[32];
	format_time(t->start, true, a, sizeof(a));
	if (!t->has_end) {
		snprintf(buf, size, "%s .. (running)", a);
		return;
	}
	if (!t->upid[0]) {
		snprintf(buf, size, "%s", a);
		return;
	}
	format_time(t->end, t->end - t->start >= 86400 || t->end < t->start, b, sizeof(b));
	snprintf(buf, size, "%s .. %s", a, b);
}

static void print_task(const struct vh_task *t, FILE *out)
{
	char span[96];
	bool bad = t->state == VH_TASK_REFUSED || t->state == VH_TASK_FAILED;
	format_span(t, span, sizeof(span));
	fprintf(out, "%s %-8s  %-14s VM %u  %s", bad ? "!!" : "  ", state_label(t->state), t->type,
		t->vmid, span);
	if (t->upid[0])
		fprintf(out, "  %s on %s\n", t->id.user, t->id.node);
	else
		fprintf(out, "  (vfio-hook's own log)\n");
	if (t->state != VH_TASK_OK && t->state != VH_TASK_RUNNING)
		fprintf(out, "      status: %s\n", t->status);
	if (t->upid[0])
		fprintf(out, "      upid:   %s\n", t->upid);
	for (size_t i = 0; i < t->hook.n; i++)
		fprintf(out, "      %s\n", t->hook.v[i]);
	if (t->guest_verdict[0])
		fprintf(out, "      guest verdict: %s\n", t->guest_verdict);
	for (size_t i = 0; i < t->guest.n; i++)
		fprintf(out, "      %s\n", t->guest.v[i]);
}

void vh_history_print(const struct vh_history *hist, FILE *out)
{
	size_t refused = 0;
	for (size_t i = 0; i < hist->n; i++)
		refused += hist->tasks[i]->state == VH_TASK_REFUSED;
	if (hist->vmid)
		fprintf(out, "VM %u", hist->vmid);
	else
		fprintf(out, "All VMs");
	if (hist->n == 0) {
		fprintf(out,
			": no starts or stops in /var/log/pve/tasks, nothing in vfio-hook's log\n");
		return;
	}
	fprintf(out, ": %zu", hist->n);
	if (hist->total > hist->n)
		fprintf(out, " of %zu", hist->total);
	fprintf(out, " start/stop entr%s, newest first", hist->total == 1 ? "y" : "ies");
	if (refused)
		fprintf(out, "; %zu start%s refused by the hookscript (marked !!)", refused,
			refused == 1 ? "" : "s");
	fprintf(out, "\n");
	for (size_t i = 0; i < hist->n; i++) {
		fprintf(out, "\n");
		print_task(hist->tasks[i], out);
	}
}
