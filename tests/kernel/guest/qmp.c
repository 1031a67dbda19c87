/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qmp SOCKET PID TIMEOUT_MS [quit]: the judge of a nested QEMU start (guest/pve-start.sh).
 *
 * Waits until QEMU (process PID) listens on its QMP unix socket, reads the greeting,
 * sends qmp_capabilities and waits for its answer: the greeting comes before the
 * devices are realized, the answer only once the main loop runs, i.e. after vfio-pci's
 * realize succeeded. With "quit", sends {"execute":"quit"} afterwards.
 * Prints one line "qmp=answered", "qmp=exited" (PID ended first: the start failed) or
 * "qmp=timeout"; exit status 0, 1, 2 respectively (3: usage).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* alive: the process exists and is not a zombie */
static int alive(long pid)
{
	char path[64], buf[512];
	FILE *f;
	char *p;
	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof buf, f)) {
		fclose(f);
		return 0;
	}
	fclose(f);
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

/* read until a line containing want arrives; 0 found, 1 process gone/EOF, 2 timeout */
static int wait_for(int fd, const char *want, long pid, long deadline)
{
	static char buf[65536];
	static size_t len;
	for (;;) {
		char *nl;
		while ((nl = memchr(buf, '\n', len)) != NULL) {
			size_t n = (size_t)(nl - buf) + 1;
			int hit;
			*nl = '\0';
			hit = strstr(buf, want) != NULL;
			fprintf(stderr, "qmp< %s\n", buf);
			memmove(buf, buf + n, len - n);
			len -= n;
			if (hit)
				return 0;
		}
		long left = deadline - now_ms();
		if (left <= 0)
			return 2;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = poll(&p, 1, left > 200 ? 200 : (int)left);
		if (r < 0 && errno != EINTR)
			return 1;
		if (r > 0) {
			ssize_t got = read(fd, buf + len, sizeof buf - 1 - len);
			if (got <= 0)
				return 1;
			len += (size_t)got;
			if (len >= sizeof buf - 1)
				len = 0;
		} else if (!alive(pid)) {
			return 1;
		}
	}
}

static int say(const char *what, int rc)
{
	printf("qmp=%s\n", what);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 4 || argc > 5 || (argc == 5 && strcmp(argv[4], "quit") != 0)) {
		fprintf(stderr, "usage: qmp SOCKET PID TIMEOUT_MS [quit]\n");
		return 3;
	}
	const char *sock = argv[1];
	long pid = strtol(argv[2], NULL, 10);
	long deadline = now_ms() + strtol(argv[3], NULL, 10);
	struct sockaddr_un sa;
	int fd = -1, r;

	signal(SIGPIPE, SIG_IGN);
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	if (strlen(sock) >= sizeof sa.sun_path)
		return 3;
	strcpy(sa.sun_path, sock);
	for (;;) {
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd < 0)
			return 3;
		if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
			break;
		close(fd);
		fd = -1;
		if (!alive(pid))
			return say("exited", 1);
		if (now_ms() >= deadline)
			return say("timeout", 2);
		nanosleep(&(struct timespec){ .tv_sec = 0, .tv_nsec = 50000000L }, NULL);
	}
	r = wait_for(fd, "\"QMP\"", pid, deadline);
	if (r != 0)
		return say(r == 1 ? "exited" : "timeout", r);
	static const char caps[] = "{\"execute\":\"qmp_capabilities\"}\n";
	if (write(fd, caps, sizeof caps - 1) != (ssize_t)(sizeof caps - 1))
		return say("exited", 1);
	r = wait_for(fd, "\"return\"", pid, deadline);
	if (r != 0)
		return say(r == 1 ? "exited" : "timeout", r);
	say("answered", 0);
	if (argc == 5) {
		static const char quit[] = "{\"execute\":\"quit\"}\n";
		if (write(fd, quit, sizeof quit - 1) == (ssize_t)(sizeof quit - 1))
			(void)wait_for(fd, "\"return\"", pid, now_ms() + 5000);
	}
	close(fd);
	return 0;
}
