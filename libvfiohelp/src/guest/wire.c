/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A JSON stream over a unix socket, bounded by a deadline (wire.h).
 */
#include "internal.h"
#include "guest/wire.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

long long vh_wire_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int vh_wire_open(struct vh_wire *w, const char *path, unsigned hold_ms, struct vh_err *err)
{
	memset(w, 0, sizeof(*w));
	w->fd = -1;
	w->name = path;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (vh_strlcpy(sa.sun_path, path, sizeof(sa.sun_path)) >= sizeof(sa.sun_path))
		return vh_failc(err, ENAMETOOLONG, "%s: longer than a unix socket path can be",
				path);
	/* Non-blocking: QEMU serves one client at a time and queues the next,
	 * so every wait below is a poll() bounded by the deadline. */
	w->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (w->fd < 0)
		return vh_fail(err, "socket: %s", strerror(errno));
	w->opened_ms = vh_wire_now_ms();
	w->deadline_ms = w->opened_ms + hold_ms;
	/* QEMU's chardev listens with a backlog of one: with one client served
	 * and one queued, a third connect fails with EAGAIN until a place frees. */
	while (connect(w->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
		int code = errno;
		if (code == EAGAIN && vh_wire_now_ms() + 20 < w->deadline_ms) {
			struct timespec ts = { 0, 20 * 1000000L };
			nanosleep(&ts, NULL);
			continue;
		}
		vh_wire_close(w);
		return vh_failc(err, code == EAGAIN ? ETIMEDOUT : code, "%s: %s", path,
				code == EAGAIN ? "no place in its queue within the hold"
					       : strerror(code));
	}
	if (!(w->tok = json_tokener_new())) {
		vh_wire_close(w);
		return vh_failc(err, ENOMEM, "out of memory");
	}
	return 0;
}

/* Waits for events on the socket until the deadline: 1 ready, -1 timeout. */
static int wait_for(struct vh_wire *w, short events, struct vh_err *err)
{
	for (;;) {
		long long left = w->deadline_ms - vh_wire_now_ms();
		if (left <= 0)
			return vh_failc(err, ETIMEDOUT, "%s: no answer within %lld ms", w->name,
					w->deadline_ms - w->opened_ms);
		struct pollfd p = { .fd = w->fd, .events = events };
		int n = poll(&p, 1, (int)left);
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR)
			return vh_fail(err, "%s: poll: %s", w->name, strerror(errno));
	}
}

int vh_wire_send(struct vh_wire *w, const char *data, size_t len, struct vh_err *err)
{
	while (len) {
		ssize_t n = send(w->fd, data, len, MSG_NOSIGNAL);
		if (n > 0) {
			data += n, len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR && errno != ENOTCONN)
			return vh_fail(err, "%s: send: %s", w->name, strerror(errno));
		if (wait_for(w, POLLOUT, err) < 0)
			return -1;
	}
	return 0;
}

/* Reads more bytes into the empty buffer; -1 at the deadline or EOF. */
static int fill(struct vh_wire *w, struct vh_err *err)
{
	w->pos = w->len = 0;
	for (;;) {
		ssize_t n = recv(w->fd, w->buf, sizeof(w->buf), 0);
		if (n > 0) {
			w->len = (size_t)n;
			if ((w->total += (size_t)n) > VH_WIRE_MAX_BYTES)
				return vh_failc(err, EMSGSIZE, "%s: a reply larger than %u MiB",
						w->name, VH_WIRE_MAX_BYTES >> 20);
			return 0;
		}
		if (n == 0)
			return vh_failc(err, EPIPE, "%s: closed by the other end", w->name);
		if (errno != EAGAIN && errno != EINTR)
			return vh_fail(err, "%s: recv: %s", w->name, strerror(errno));
		if (wait_for(w, POLLIN, err) < 0)
			return -1;
	}
}

int vh_wire_seek_delim(struct vh_wire *w, struct vh_err *err)
{
	for (;;) {
		const char *ff = memchr(w->buf + w->pos, 0xff, w->len - w->pos);
		if (ff) {
			w->pos = (size_t)(ff - w->buf) + 1;
			return 0;
		}
		if (fill(w, err) < 0)
			return -1;
	}
}

static bool skippable(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || (unsigned char)c == 0xff;
}

int vh_wire_next(struct vh_wire *w, json_object **out, struct vh_err *err)
{
	*out = NULL;
	json_tokener_reset(w->tok);
	bool started = false;
	for (;;) {
		while (!started && w->pos < w->len && skippable(w->buf[w->pos]))
			w->pos++;
		if (w->pos == w->len) {
			if (fill(w, err) < 0)
				return -1;
			continue;
		}
		started = true;
		size_t avail = w->len - w->pos;
		json_object *o = json_tokener_parse_ex(w->tok, w->buf + w->pos, (int)avail);
		enum json_tokener_error e = json_tokener_get_error(w->tok);
		if (e == json_tokener_continue) {
			w->pos = w->len; /* the tokener keeps what it has seen */
			continue;
		}
		size_t end = json_tokener_get_parse_end(w->tok);
		if (e != json_tokener_success) {
			w->pos += end ? end : 1;
			return vh_failc(err, EPROTO, "%s: not JSON: %s", w->name,
					json_tokener_error_desc(e));
		}
		w->pos += end;
		*out = o;
		return 0;
	}
}

long vh_wire_close(struct vh_wire *w)
{
	long held = w->opened_ms ? (long)(vh_wire_now_ms() - w->opened_ms) : 0;
	if (w->fd >= 0)
		close(w->fd);
	if (w->tok)
		json_tokener_free(w->tok);
	w->fd = -1;
	w->tok = NULL;
	return held;
}
