/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The task history's text-level entry point (tasklog.c). */
#ifndef VFIOHELP_TASKLOG_H
#define VFIOHELP_TASKLOG_H

#include "internal.h"

/* A file's text, named by its absolute path on the host. */
struct vh_text_file {
	const char *path; /* "/var/log/pve/tasks/index", "/var/log/vfiohelp/hook.log", ... */
	const char *text; /* text[0..len), any bytes; nothing is needed after it */
	size_t len;
};

/* vh_history_load over these texts instead of the host's files: index.1,
 * index, active, hook.log.1, hook.log and each task's log
 * (/var/log/pve/tasks/<X>/<UPID>), every one read by the same code. A file
 * not among them is a missing file. */
struct vh_history *vh_history_parse(const struct vh_text_file *files, size_t n_files, unsigned vmid,
				    unsigned limit, struct vh_err *err);

#endif
