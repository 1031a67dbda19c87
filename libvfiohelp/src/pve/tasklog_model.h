/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The task history's model, shared by the files that build it: tasklog.c
 * (Proxmox's task lists and logs), tasklog_hook.c (the hook's own log) and
 * view/history.c (JSON and text). Private to those three.
 */
#ifndef VFIOHELP_TASKLOG_MODEL_H
#define VFIOHELP_TASKLOG_MODEL_H

#include "internal.h"
#include "pve/tasklog.h"

#include <stdio.h>

#define TASKLOG_LINE_MAX 4096        /* pve-common reads a task's status from its last 4 KiB */
#define HOOKLOG_LINE_MAX (64 * 1024) /* one phase run: every finding and fix line */
#define TASK_HOOK_LINES_MAX 128      /* kept per task; the rest is counted in a note */
#define NOTES_MAX 32
#define MATCH_SLACK_S 2 /* clock steps between the hook's time() and the task's */

/* ---- string lists ---- */

struct strlist {
	char **v;
	size_t n, cap;
};

/* ---- the model ---- */

struct vh_task {
	char upid[VH_TASK_UPID_MAX]; /* "" for an entry of the hook's own log */
	struct vh_task_upid id;
	char type[40];
	unsigned vmid;
	int64_t start, end; /* end -1: running */
	bool has_end;
	enum vh_task_state state;
	char *status;           /* NULL until known */
	struct strlist hook;    /* from the task's log */
	struct strlist hooklog; /* from matching hook.log entries, if the log has none */
	const char *phase;      /* hook.log entries: the phase ("guest": post-start's verifier) */
	int64_t match_time;     /* hook.log entries: the time that ties them to a task */
	struct strlist guest;   /* the guest verifier's lines of this start */
	char guest_verdict[16]; /* "" when no verifier reported on this start */
	int exit_code;
	bool folded; /* a hook.log entry merged into its task */
	size_t seq;  /* order read: later lines are newer */
};

struct vh_history {
	unsigned vmid;
	size_t total; /* entries before the limit */
	size_t seq;   /* lines read so far */
	struct vh_task **tasks;
	size_t n, cap;
	struct strlist notes;
	size_t notes_dropped;
};

/* ---- where the files come from ---- */

struct history_source {
	struct vh_host *h;                /* the host's files, or else */
	const struct vh_text_file *files; /* these texts */
	size_t n_files;
};

/* ---- reading lines with bounded memory ---- */

struct reader {
	FILE *f;          /* a file of the host, or */
	const char *text; /* a text in memory */
	size_t text_len, pos;
	const char *name; /* the host path, for notes */
	char *buf;
	size_t size, len;
	unsigned lineno;
	bool too_long, has_nul;
};

/* ---- shared between the files ---- */

/* A note for the admin (a skipped line, a file that could not be read). */
void tl_note(struct vh_history *hist, const char *fmt, ...) VH_PRINTF(2, 3);

int tl_strlist_add(struct strlist *l, const char *s, size_t len);
void tl_strlist_free(struct strlist *l);
void tl_task_free(struct vh_task *t);
int tl_history_add(struct vh_history *hist, struct vh_task *t);
int tl_set_status(struct vh_task *t, const char *s, size_t len);
int tl_reader_open(struct reader *r, const struct history_source *src, const char *host_path,
		   const char *name, size_t size);
void tl_reader_close(struct reader *r);
bool tl_reader_next(struct reader *r);
bool tl_reader_usable(struct reader *r, struct vh_history *hist);
bool tl_reader_failed(struct reader *r);
int tl_read_hook_log(const struct history_source *src, struct vh_history *hist, const char *file,
		     struct vh_err *err);
int tl_fold_hook_entries(struct vh_history *hist);

#endif
