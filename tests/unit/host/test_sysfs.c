/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The bounded sysfs write (sysfs.c): a write that hangs in the kernel must
 * not hold anything of the hook's. A FIFO stands in for an attribute whose
 * write never returns (open() of a FIFO without a reader blocks).
 */
#include "testlib.h"
#include "host/sysfs.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* Lets the child stuck on the FIFO go, so no test leaves a process behind. */
static void release_fifo(const char *fifo)
{
	int fd = open(fifo, O_RDONLY | O_NONBLOCK);
	if (fd >= 0) {
		usleep(50 * 1000);
		close(fd);
	}
}

static char *make_fifo(char **dir)
{
	*dir = vh_test_scratch_empty();
	char *fifo = malloc(4096);
	snprintf(fifo, 4096, "%s/unbind", *dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	return fifo;
}

/* The task's output: a pipe whose write end the hook holds. After a write
 * timed out, closing the hook's own end must give the reader EOF at once:
 * the stuck child holds no copy of it. */
static void test_hung_write_releases_task_output(void **state)
{
	(void)state;
	char *dir, *fifo = make_fifo(&dir);
	int task[2];
	assert_int_equal(pipe(task), 0); /* inherited by fork, as stdout is */
	struct vh_err e;
	assert_int_equal(vh_sysfs_write(fifo, "0000:01:00.0", 100, &e), -1);
	assert_contains(e.msg, "did not finish within 100 ms");
	assert_int_equal(e.code, ETIMEDOUT); /* the hook tells a stuck driver by the code */
	close(task[1]);
	struct pollfd p = { .fd = task[0], .events = POLLIN };
	int ready = poll(&p, 1, 1000);
	char c;
	ssize_t n = ready > 0 ? read(task[0], &c, 1) : -1;
	release_fifo(fifo);
	close(task[0]);
	assert_int_equal(ready, 1);
	assert_int_equal(n, 0); /* EOF, not a timeout */
	free(fifo);
	vh_test_scratch_free(dir);
}

/* The lock: a flock the hook holds is released when the hook closes it,
 * even while a write child hangs. */
static void test_hung_write_releases_lock(void **state)
{
	(void)state;
	char *dir, *fifo = make_fifo(&dir);
	char lockpath[4096];
	snprintf(lockpath, sizeof(lockpath), "%s/lock", dir);
	int lock = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	assert_true(lock >= 0);
	assert_int_equal(flock(lock, LOCK_EX | LOCK_NB), 0);
	struct vh_err e;
	assert_int_equal(vh_sysfs_write(fifo, "1", 100, &e), -1);
	close(lock);
	int other = open(lockpath, O_RDWR | O_CLOEXEC);
	int rc = flock(other, LOCK_EX | LOCK_NB);
	release_fifo(fifo);
	close(other);
	assert_int_equal(rc, 0);
	free(fifo);
	vh_test_scratch_free(dir);
}

/* A write that works reports success, and one to a missing attribute names it. */
static void test_write_result(void **state)
{
	(void)state;
	char *dir = vh_test_scratch_empty();
	vh_test_write(dir, "reset", "");
	char path[4096];
	snprintf(path, sizeof(path), "%s/reset", dir);
	struct vh_err e;
	assert_int_equal(vh_sysfs_write(path, "1", 1000, &e), 0);
	assert_string_equal(vh_test_read(dir, "reset"), "1");
	snprintf(path, sizeof(path), "%s/missing", dir);
	assert_int_equal(vh_sysfs_write(path, "1", 1000, &e), -1);
	assert_contains(e.msg, "missing");
	assert_int_equal(e.code, ENOENT);
	vh_test_scratch_free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hung_write_releases_task_output),
		cmocka_unit_test(test_hung_write_releases_lock),
		cmocka_unit_test(test_write_result),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
