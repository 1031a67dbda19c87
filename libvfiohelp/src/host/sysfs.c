/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Writes to sysfs attributes that can block, under a time bound.
 *
 * An unbind waits for the driver's remove() to finish, and a driver that
 * hangs there hangs the writer in uninterruptible sleep: no signal, no
 * timeout on the syscall helps. So the write happens in a forked child and
 * the parent waits for its answer on a pipe for at most timeout_ms. A child
 * that never answers is left behind (it cannot be killed while in D state)
 * and the caller gets an error naming the file; the hook's process can
 * still exit and Proxmox's start is not held hostage. No program is run:
 * the child only calls open() and write(). Reads that take the device's
 * lock (driver_override) go the same way: a driver stuck in remove()
 * holds that lock.
 */
#include "internal.h"
#include "host/sysfs.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHILD_RESULT_FD 3

static int write_now(const char *path, const char *value)
{
	/* No O_CREAT: a missing attribute is an error, never a new file. */
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return errno;
	size_t len = strlen(value);
	ssize_t n;
	do
		n = write(fd, value, len);
	while (n < 0 && errno == EINTR);
	int e = n < 0 ? errno : ((size_t)n != len ? EIO : 0);
	if (close(fd) < 0 && !e)
		e = errno;
	return e;
}

/* The write child may hang for ever in the kernel. It must not hang on to
 * anything of the hook's while it does: not the task's stdout and stderr
 * (Proxmox reads them until EOF, so the start task would never end), not
 * the lock (every other VM's hook would be refused until reboot), not the
 * state directory. So it keeps only its result pipe, moved to fd 3, with
 * /dev/null on 0-2. Returns the pipe's new fd, -1 with errno on failure. */
static int isolate_child(int result_fd)
{
	/* The pipe first: /dev/null opened before could land on fd 3. */
	if (result_fd != CHILD_RESULT_FD && dup2(result_fd, CHILD_RESULT_FD) < 0)
		return -1;
	if (vh_detach_descriptors(CHILD_RESULT_FD + 1) < 0)
		return -1;
	return CHILD_RESULT_FD;
}

int vh_detach_descriptors(int keep_below)
{
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0)
		return -1;
	for (int fd = 0; fd <= 2; fd++)
		if (dup2(devnull, fd) < 0)
			return -1;
	int first = keep_below > 3 ? keep_below : 3;
	if (close_range((unsigned)first, ~0U, 0) < 0) {
		/* Kernels before 5.9: close them one by one. */
		long max = sysconf(_SC_OPEN_MAX);
		for (long fd = first; fd < (max > 0 ? max : 65536); fd++)
			close((int)fd);
	}
	return 0;
}

/* A lone newline (how an override is cleared) printed readably. */
static const char *shown(const char *value)
{
	return strcmp(value, "\n") ? value : "\\n";
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* What a child does: a write, or a read whose text comes back with it. */
struct child_op {
	const char *path;
	const char *value; /* NULL: read */
	size_t max;        /* read: at most this many bytes */
};

/* The child's answer on the pipe: an errno (0: done), then for a read the
 * length and the bytes. */
static void child_run(const struct child_op *op, int out)
{
	char buf[4096];
	int e = 0;
	size_t n = 0;
	if (op->value) {
		e = write_now(op->path, op->value);
	} else {
		int fd = open(op->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
		ssize_t got = fd < 0 ? -1
				     : read(fd, buf, op->max < sizeof(buf) ? op->max : sizeof(buf));
		e = got < 0 ? errno : 0;
		n = got > 0 ? (size_t)got : 0;
		if (fd >= 0)
			close(fd);
	}
	ssize_t unused = write(out, &e, sizeof(e));
	unused = write(out, &n, sizeof(n));
	unused = write(out, buf, n);
	(void)unused;
}

static bool read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	while (len) {
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* Runs op in a forked child that holds nothing of ours and waits at most
 * timeout_ms for its answer; a read's bytes land in buf (NUL-terminated).
 * Returns the child's errno, or ETIMEDOUT when it did not answer in time
 * (the child is left to the kernel: it cannot be killed in D state). */
static int run_bounded(const struct child_op *op, char *buf, size_t size, unsigned timeout_ms)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return errno;
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(fds[0]);
		close(fds[1]);
		return e;
	}
	if (pid == 0) {
		int result = isolate_child(fds[1]);
		if (result < 0) {
			int e = errno;
			ssize_t unused = write(fds[1], &e, sizeof(e));
			(void)unused;
		} else
			child_run(op, result);
		_exit(0);
	}
	close(fds[1]);
	int e = ETIMEDOUT;
	long long deadline = now_ms() + timeout_ms;
	for (;;) {
		long long left = deadline - now_ms();
		struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
		int rc = poll(&pfd, 1, left > 0 ? (int)left : 0);
		if (rc < 0 && errno == EINTR)
			continue;
		size_t n = 0;
		if (rc > 0 && (!read_full(fds[0], &e, sizeof(e)) ||
			       (!e && (!read_full(fds[0], &n, sizeof(n)) || n >= size ||
				       !read_full(fds[0], buf, n)))))
			e = EIO;
		if (rc > 0 && !e && buf)
			buf[n] = '\0';
		break;
	}
	close(fds[0]);
	if (e == ETIMEDOUT) {
		kill(pid, SIGKILL); /* takes effect if and when the write returns */
		waitpid(pid, NULL, WNOHANG);
	} else
		waitpid(pid, NULL, 0);
	return e;
}

/* On failure errno tells why: ETIMEDOUT when the kernel did not answer in
 * time (the driver is stuck), else the write's own error. */
int vh_sysfs_write(const char *path, const char *value, unsigned timeout_ms, struct vh_err *err)
{
	struct child_op op = { .path = path, .value = value };
	char none[1];
	int e = run_bounded(&op, none, sizeof(none), timeout_ms);
	errno = e;
	if (e == ETIMEDOUT)
		return vh_fail(err, "writing '%s' to %s did not finish within %u ms", shown(value),
			       path, timeout_ms);
	if (e)
		return vh_fail(err, "writing '%s' to %s failed: %s", shown(value), path,
			       strerror(e));
	return 0;
}

int vh_sysfs_read(const char *path, char *buf, size_t size, unsigned timeout_ms, struct vh_err *err)
{
	struct child_op op = { .path = path, .max = size - 1 };
	buf[0] = '\0';
	int e = run_bounded(&op, buf, size, timeout_ms);
	errno = e;
	if (e == ETIMEDOUT)
		return vh_fail(err,
			       "reading %s did not finish within %u ms (a driver holds the "
			       "device)",
			       path, timeout_ms);
	if (e)
		return vh_fail(err, "reading %s failed: %s", path, strerror(e));
	vh_strip(buf);
	return 0;
}
