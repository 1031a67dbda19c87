/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The hook's own log, /var/log/vfiohelp/hook.log: one JSON object per phase
 * run, so `hookctl log` can show post-stop, which runs in no task log.
 * Bounded: past 1 MiB the file is rotated to hook.log.1 (one generation).
 */
#include "internal.h"
#include "host/host.h"
#include "hook/hooklog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define HOOKLOG_MAX_BYTES (1u << 20)
#define HOOKLOG_LOCK_WAIT_MS 2000

static int lock_log(const char *dir, struct vh_err *err)
{
	char path[PATH_MAX];
	if (vh_format(path, PATH_MAX, "%s/hook.log.lock", dir) < 0)
		return vh_fail(err, "path too long");
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0)
		return vh_fail(err, "%s: %s", path, strerror(errno));
	for (unsigned waited = 0; flock(fd, LOCK_EX | LOCK_NB) < 0; waited += 10) {
		if (errno != EWOULDBLOCK || waited >= HOOKLOG_LOCK_WAIT_MS) {
			close(fd);
			return vh_fail(err, "%s: held by another hook for %u ms", path, waited);
		}
		struct timespec ts = { 0, 10 * 1000000L };
		nanosleep(&ts, NULL);
	}
	return fd;
}

static int append_record(const char *path, const char *line, struct vh_err *err)
{
	size_t len = strlen(line);
	char *record = malloc(len + 2);
	if (!record)
		return vh_fail(err, "out of memory");
	memcpy(record, line, len);
	record[len] = '\n';
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
	int rc = 0;
	if (fd < 0 || write(fd, record, len + 1) != (ssize_t)(len + 1))
		rc = vh_fail(err, "%s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	free(record);
	return rc;
}

int vh_hooklog_append(struct vh_host *h, const char *line, struct vh_err *err)
{
	char dir[PATH_MAX], path[PATH_MAX], old[PATH_MAX];
	if (vh_host_path(h, dir, sizeof(dir), "/var/log/vfiohelp") < 0 ||
	    vh_format(path, sizeof(path), "%s/hook.log", dir) < 0 ||
	    vh_format(old, sizeof(old), "%s/hook.log.1", dir) < 0)
		return vh_fail(err, "path too long");
	/* /var/log exists on any host; a bare host tree may lack it. */
	char parent[PATH_MAX];
	if (vh_host_path(h, parent, sizeof(parent), "/var/log") == 0 && !vh_path_exists(parent)) {
		char var[PATH_MAX];
		if (vh_host_path(h, var, sizeof(var), "/var") == 0)
			mkdir(var, 0755);
		mkdir(parent, 0755);
	}
	if (mkdir(dir, 0750) < 0 && errno != EEXIST)
		return vh_fail(err, "cannot create %s: %s", dir, strerror(errno));
	/* One record, one write(), under the log's own lock: concurrent hooks
	 * neither interleave lines nor rotate away each other's records. */
	int lock = lock_log(dir, err);
	if (lock < 0)
		return -1;
	struct stat st;
	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > HOOKLOG_MAX_BYTES)
		rename(path, old);
	int rc = append_record(path, line, err);
	close(lock);
	return rc;
}
