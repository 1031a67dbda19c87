/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The task history (tasklog.c, vh_history_parse): task lists, the hook's
 * JSON-lines log and the tasks' own logs, then merging, sorting, output.
 *
 * Input: the first byte picks the VM filter and the limit; the rest is up
 * to six texts separated by form-feed lines ("\f\n"): index, active,
 * hook.log, a task log, index.1, hook.log.1. The task log text is the log
 * of every task that index or active names (so its grammar is reached).
 */
#include "fuzz.h"
#include "pve/tasklog.h"

#include <json-c/json.h>

#define MAX_FILES 40

static const char *const lists[] = { "/var/log/pve/tasks/index",   "/var/log/pve/tasks/active",
				     "/var/log/vfiohelp/hook.log", NULL,
				     "/var/log/pve/tasks/index.1", "/var/log/vfiohelp/hook.log.1" };

struct input {
	struct vh_text_file files[MAX_FILES];
	size_t n;
	char paths[MAX_FILES][VH_TASK_UPID_MAX + 32];
};

/* Registers the task log under the path of each UPID that starts a line. */
static void add_task_logs(struct input *in, const struct vh_text_file *list, const char *log,
			  size_t log_len)
{
	const char *p = list->text, *end = list->text + list->len;
	while (p < end && in->n < MAX_FILES) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		const char *sp = memchr(p, ' ', (size_t)(eol - p));
		struct vh_task_upid u;
		size_t ulen = (size_t)((sp ? sp : eol) - p);
		if (vh_task_upid_parse(p, ulen, &u) == 0) {
			size_t i = in->n++;
			snprintf(in->paths[i], sizeof(in->paths[i]), "/var/log/pve/tasks/%c/%.*s",
				 u.subdir, (int)ulen, p);
			in->files[i] = (struct vh_text_file){ in->paths[i], log, log_len };
		}
		p = eol + 1;
	}
}

static void split(struct input *in, const char *text, size_t len)
{
	const char *part[6] = { 0 };
	size_t part_len[6] = { 0 }, n = 0;
	for (const char *p = text, *end = text + len; p <= end && n < 6;) {
		const char *sep = memmem(p, (size_t)(end - p), "\f\n", 2);
		const char *stop = sep ? sep : end;
		part[n] = p;
		part_len[n++] = (size_t)(stop - p);
		if (!sep)
			break;
		p = sep + 2;
	}
	in->n = 0;
	for (size_t i = 0; i < n; i++)
		if (lists[i])
			in->files[in->n++] = (struct vh_text_file){ lists[i], part[i],
								    part_len[i] };
	size_t n_lists = in->n;
	for (size_t i = 0; i < n_lists && n > 3; i++)
		if (strstr(in->files[i].path, "/tasks/"))
			add_task_logs(in, &in->files[i], part[3], part_len[3]);
}

static void check(const struct vh_history *hist, unsigned vmid, unsigned limit)
{
	size_t n = vh_history_count(hist);
	FUZZ_CHECK(!limit || n <= limit);
	FUZZ_CHECK(vh_history_note_count(hist) <= 33);
	for (size_t i = 0; i < n; i++) {
		const struct vh_task *t = vh_history_task(hist, i);
		FUZZ_CHECK(t && vh_task_status(t) && vh_task_upid(t) && vh_task_type(t));
		FUZZ_CHECK(!vmid || vh_task_vmid(t) == vmid);
		FUZZ_CHECK(vh_task_state(t) <= VH_TASK_FAILED);
		if (i > 0) /* newest first */
			FUZZ_CHECK(vh_task_start(vh_history_task(hist, i - 1)) >= vh_task_start(t));
		for (size_t j = 0; j < vh_task_hook_count(t); j++)
			for (const char *c = vh_task_hook_line(t, j); *c; c++)
				FUZZ_CHECK((unsigned char)*c >= 0x20 && *c != 0x7f);
	}
	FUZZ_CHECK(vh_history_task(hist, n) == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	if (!devnull && !(devnull = fopen("/dev/null", "w")))
		abort();
	if (size == 0)
		return 0;
	unsigned vmid = (data[0] & 1) ? 100 : 0, limit = (data[0] >> 1) & 3;
	struct input *in = calloc(1, sizeof(*in));
	if (!in)
		abort();
	split(in, (const char *)data + 1, size - 1);
	struct vh_err err = { .msg = "" };
	struct vh_history *hist = vh_history_parse(in->files, in->n, vmid, limit, &err);
	FUZZ_CHECK(hist != NULL); /* only memory could fail, and texts need no reading */
	check(hist, vmid, limit);
	struct json_object *o = vh_history_to_json(hist);
	FUZZ_CHECK(o != NULL);
	fputs(json_object_to_json_string(o), devnull);
	json_object_put(o);
	vh_history_print(hist, devnull);
	vh_history_free(hist);
	free(in);
	return 0;
}
