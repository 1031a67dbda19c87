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
 * the child only calls open() and write().
 */
#include "internal.h"
#include "sysfs.h"

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
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0)
		return -1;
	for (int fd = 0; fd <= 2; fd++)
		if (dup2(devnull, fd) < 0)
			return -1;
	if (close_range(CHILD_RESULT_FD + 1, ~0U, 0) < 0) {
		/* Kernels before 5.9: close them one by one. */
		long max = sysconf(_SC_OPEN_MAX);
		for (long fd = CHILD_RESULT_FD + 1; fd < (max > 0 ? max : 65536); fd++)
			close((int)fd);
	}
	return CHILD_RESULT_FD;
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

int vh_sysfs_write(const char *path, const char *value, unsigned timeout_ms, struct vh_err *err)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return vh_fail(err, "%s: pipe: %s", path, strerror(errno));
	pid_t pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return vh_fail(err, "%s: fork: %s", path, strerror(errno));
	}
	if (pid == 0) {
		int result = isolate_child(fds[1]);
		int e = result < 0 ? errno : write_now(path, value);
		ssize_t unused = write(result < 0 ? fds[1] : result, &e, sizeof(e));
		(void)unused;
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
		if (rc > 0 && read(fds[0], &e, sizeof(e)) != (ssize_t)sizeof(e))
			e = EIO;
		break;
	}
	close(fds[0]);
	if (e == ETIMEDOUT) {
		kill(pid, SIGKILL); /* takes effect if and when the write returns */
		waitpid(pid, NULL, WNOHANG);
		return vh_fail(err, "writing '%s' to %s did not finish within %u ms", shown(value),
			       path, timeout_ms);
	}
	waitpid(pid, NULL, 0);
	if (e)
		return vh_fail(err, "writing '%s' to %s failed: %s", shown(value), path, strerror(e));
	return 0;
}
