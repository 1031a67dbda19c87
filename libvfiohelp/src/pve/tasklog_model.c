/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The task history's model (tasklog_model.h): string lists, tasks, the
 * history they are collected in, notes for the admin, and the bounded line
 * reader every file of the history is read with.
 */
#include "internal.h"
#include "base/array.h"
#include "pve/tasklog_model.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Appends a copy of s[0..len) with control characters replaced, so a log
 * line cannot drive the admin's terminal. */
int tl_strlist_add(struct strlist *l, const char *s, size_t len)
{
	if (VH_ARRAY_ROOM(l->v, l->cap, l->n) < 0)
		return -1;
	char *c = malloc(len + 1);
	if (!c)
		return -1;
	for (size_t i = 0; i < len; i++)
		c[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
	c[len] = '\0';
	l->v[l->n++] = c;
	return 0;
}

/* ---- string lists ---- */

void tl_strlist_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Notes are capped: a file of garbage gives a few lines and a count. */
void tl_note(struct vh_history *hist, const char *fmt, ...)
{
	if (hist->notes.n >= NOTES_MAX) {
		hist->notes_dropped++;
		return;
	}
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (tl_strlist_add(&hist->notes, buf, strlen(buf)) < 0)
		hist->notes_dropped++;
}

/* ---- the model ---- */

void tl_task_free(struct vh_task *t)
{
	if (!t)
		return;
	free(t->status);
	tl_strlist_free(&t->hook);
	tl_strlist_free(&t->hooklog);
	tl_strlist_free(&t->guest);
	free(t);
}

int tl_history_add(struct vh_history *hist, struct vh_task *t)
{
	if (VH_ARRAY_ROOM(hist->tasks, hist->cap, hist->n) < 0)
		return -1;
	t->seq = hist->seq++;
	hist->tasks[hist->n++] = t;
	return 0;
}

int tl_set_status(struct vh_task *t, const char *s, size_t len)
{
	struct strlist tmp = { 0 };
	if (tl_strlist_add(&tmp, s, len) < 0)
		return -1;
	free(t->status);
	t->status = tmp.v[0];
	free(tmp.v);
	return 0;
}

/* ---- reading lines with bounded memory ---- */

static int open_host_file(struct reader *r, struct vh_host *h, const char *host_path)
{
	char path[4096];
	if (vh_host_path(h, path, sizeof(path), "%s", host_path) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = vh_open_regular(path); /* a planted FIFO must not hang the reader */
	if (fd < 0)
		return -1;
	if (!(r->f = fdopen(fd, "r"))) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return 0;
}

static int open_text(struct reader *r, const struct history_source *src, const char *host_path)
{
	for (size_t i = 0; i < src->n_files; i++)
		if (!strcmp(src->files[i].path, host_path)) {
			r->text = src->files[i].text;
			r->text_len = src->files[i].len;
			return 0;
		}
	errno = ENOENT;
	return -1;
}

/* Opens host_path (absolute on the host) from the source; -1 with errno. */
int tl_reader_open(struct reader *r, const struct history_source *src, const char *host_path,
		   const char *name, size_t size)
{
	memset(r, 0, sizeof(*r));
	if ((src->h ? open_host_file(r, src->h, host_path) : open_text(r, src, host_path)) < 0)
		return -1;
	r->buf = malloc(size);
	if (!r->buf) {
		if (r->f)
			fclose(r->f);
		r->f = NULL;
		errno = ENOMEM;
		return -1;
	}
	r->name = name;
	r->size = size;
	return 0;
}

void tl_reader_close(struct reader *r)
{
	if (r->f)
		fclose(r->f);
	free(r->buf);
	r->f = NULL;
	r->buf = NULL;
}

static int reader_getc(struct reader *r)
{
	if (r->f)
		return getc_unlocked(r->f);
	return r->pos < r->text_len ? (unsigned char)r->text[r->pos++] : EOF;
}

bool tl_reader_failed(struct reader *r)
{
	return r->f && ferror(r->f);
}

/* One line into r->buf, without its newline. A line longer than the buffer
 * is consumed to its end but flagged, so the file's size never decides the
 * memory used. Returns false at the end of the file. */
bool tl_reader_next(struct reader *r)
{
	size_t n = 0;
	int c;
	bool any = false;
	r->too_long = r->has_nul = false;
	while ((c = reader_getc(r)) != EOF) {
		any = true;
		if (c == '\n')
			break;
		if (c == '\0')
			r->has_nul = true;
		if (n + 1 < r->size)
			r->buf[n++] = (char)c;
		else
			r->too_long = true;
	}
	if (!any)
		return false;
	r->buf[n] = '\0';
	r->len = n;
	r->lineno++;
	return true;
}

/* Skips, with a note, lines no grammar here can accept. */
bool tl_reader_usable(struct reader *r, struct vh_history *hist)
{
	if (r->too_long) {
		tl_note(hist, "%s line %u: longer than %zu bytes, skipped", r->name, r->lineno,
			r->size - 1);
		return false;
	}
	if (r->has_nul) {
		tl_note(hist, "%s line %u: contains a NUL byte, skipped", r->name, r->lineno);
		return false;
	}
	return true;
}
