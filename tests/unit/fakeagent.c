/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The in-test guest agent (fakeagent.h). */
#include "fakeagent.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

static void say(int fd, const char *s)
{
	size_t len = strlen(s);
	while (len) {
		ssize_t n = send(fd, s, len, MSG_NOSIGNAL);
		if (n <= 0)
			return;
		s += n, len -= (size_t)n;
	}
}

static char *b64(const char *in)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t len = strlen(in), o = 0;
	char *out = malloc(len / 3 * 4 + 8);
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned char)in[i] << 16;
		if (i + 1 < len)
			v |= (unsigned char)in[i + 1] << 8;
		if (i + 2 < len)
			v |= (unsigned char)in[i + 2];
		out[o++] = t[v >> 18 & 63];
		out[o++] = t[v >> 12 & 63];
		out[o++] = i + 1 < len ? t[v >> 6 & 63] : '=';
		out[o++] = i + 2 < len ? t[v & 63] : '=';
	}
	out[o] = '\0';
	return out;
}

static const struct fake_program *program(struct fake_agent *a, const char *path)
{
	for (size_t i = 0; i < FAKE_MAX_PROGRAMS && a->programs[i].path; i++)
		if (!strcmp(a->programs[i].path, path))
			return &a->programs[i];
	return NULL;
}

static void exec_reply(struct fake_agent *a, int fd, json_object *args)
{
	json_object *p = json_object_object_get(args, "path");
	const struct fake_program *prog = program(a, p ? json_object_get_string(p) : "");
	char buf[256];
	if (a->mode == FAKE_EXEC_DISABLED) {
		say(fd, "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command "
			"guest-exec has been disabled for this instance\"}}\n");
		return;
	}
	if (!prog) {
		say(fd, "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Guest agent command "
			"failed, error was 'Failed to execute child process (No such file or "
			"directory)'\"}}\n");
		return;
	}
	a->execs++;
	a->running = prog;
	a->polls_left = prog->polls;
	snprintf(buf, sizeof(buf), "{\"return\": {\"pid\": %u}}\n", ++a->next_pid);
	say(fd, buf);
}

static void status_reply(struct fake_agent *a, int fd)
{
	if (!a->running) {
		say(fd, "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Invalid parameter "
			"'pid'\"}}\n");
		return;
	}
	if (a->polls_left) {
		a->polls_left--;
		say(fd, "{\"return\": {\"exited\": false}}\n");
		return;
	}
	char *data = b64(a->running->out);
	char *reply = malloc(strlen(data) + 128);
	sprintf(reply, "{\"return\": {\"exitcode\": %d, \"out-data\": \"%s\", \"exited\": true}}\n",
		a->running->exitcode, data);
	say(fd, reply);
	a->running = NULL; /* reaped once read, as qemu-ga does */
	free(reply);
	free(data);
}

static void answer(struct fake_agent *a, int fd, json_object *req)
{
	const char *cmd = json_object_get_string(json_object_object_get(req, "execute"));
	json_object *args = json_object_object_get(req, "arguments");
	char buf[128];
	if (!cmd)
		return;
	if (!strcmp(cmd, "guest-sync-delimited")) {
		a->syncs++;
		snprintf(buf, sizeof(buf), "\xff{\"return\": %lld}\n",
			 (long long)json_object_get_int64(json_object_object_get(args, "id")));
		say(fd, buf);
	} else if (a->mode == FAKE_MALFORMED) {
		say(fd, "{\"return\": [1, 2,\n");
		say(fd, "}}} this is no JSON\n");
	} else if (a->mode == FAKE_WRONG_SHAPE) {
		say(fd, "{\"surprise\": 1}\n");
	} else if (!strcmp(cmd, "guest-ping")) {
		a->pings++;
		say(fd, "{\"return\": {}}\n");
	} else if (!strcmp(cmd, "guest-get-osinfo") && !a->no_osinfo) {
		char *r = malloc(strlen(a->osinfo ? a->osinfo : "{}") + 32);
		sprintf(r, "{\"return\": %s}\n", a->osinfo ? a->osinfo : "{}");
		say(fd, r);
		free(r);
	} else if (!strcmp(cmd, "guest-exec")) {
		exec_reply(a, fd, args);
	} else if (!strcmp(cmd, "guest-exec-status")) {
		status_reply(a, fd);
	} else {
		say(fd, "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"no such "
			"command\"}}\n");
	}
}

/* One line of the client's: 0xFF bytes answered with a parse error as
 * qemu-ga answers them, then the request. */
static void serve_line(struct fake_agent *a, int fd, char *line)
{
	while ((unsigned char)*line == 0xff) {
		a->ff_bytes++;
		line++;
		if (a->mode != FAKE_SILENT)
			say(fd, "{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse "
				"error, invalid character\"}}\n");
	}
	json_object *req = json_tokener_parse(line);
	if (req && a->mode != FAKE_SILENT)
		answer(a, fd, req);
	json_object_put(req);
}

static void serve(struct fake_agent *a, int fd)
{
	char buf[65536];
	size_t len = 0;
	if (a->stale_on_connect)
		say(fd, "{\"return\": {\"pid\": 999}}\n\xff{\"return\": 7}\n{\"return\": {}}\n");
	for (;;) {
		struct pollfd p[2] = { { fd, POLLIN, 0 }, { a->stop_pipe[0], POLLIN, 0 } };
		if (poll(p, 2, -1) < 0 || p[1].revents)
			return;
		ssize_t n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
		if (n <= 0)
			return;
		len += (size_t)n;
		buf[len] = '\0';
		char *nl;
		while ((nl = memchr(buf, '\n', len))) {
			*nl = '\0';
			serve_line(a, fd, buf);
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len);
		}
	}
}

static void *loop(void *arg)
{
	struct fake_agent *a = arg;
	for (;;) {
		struct pollfd p[2] = { { a->listen_fd, POLLIN, 0 },
				       { a->stop_pipe[0], POLLIN, 0 } };
		if (poll(p, 2, -1) < 0 || p[1].revents)
			return NULL;
		int fd = accept(a->listen_fd, NULL, NULL);
		if (fd < 0)
			continue;
		a->connections++;
		serve(a, fd);
		close(fd);
	}
}

void fake_agent_start(struct fake_agent *a, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(a->path, sizeof(a->path), "%s", path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	a->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (a->listen_fd < 0 || bind(a->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(a->listen_fd, 8) < 0 || pipe(a->stop_pipe) < 0) {
		fprintf(stderr, "fake agent at %s: %s\n", path, strerror(errno));
		abort();
	}
	pthread_t t;
	pthread_create(&t, NULL, loop, a);
	a->thread = (unsigned long)t;
}

void fake_agent_stop(struct fake_agent *a)
{
	if (write(a->stop_pipe[1], "x", 1) != 1)
		abort();
	pthread_join((pthread_t)a->thread, NULL);
	close(a->listen_fd);
	close(a->stop_pipe[0]);
	close(a->stop_pipe[1]);
	unlink(a->path);
}
