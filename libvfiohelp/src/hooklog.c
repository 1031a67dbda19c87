/*
 * The hook's own log, /var/log/vfiohelp/hook.log: one JSON object per phase
 * run, so `hookctl log` can show post-stop, which runs in no task log.
 * Bounded: past 1 MiB the file is rotated to hook.log.1 (one generation).
 */
#include "internal.h"
#include "host.h"
#include "hooklog.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HOOKLOG_MAX_BYTES (1u << 20)

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
	struct stat st;
	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > HOOKLOG_MAX_BYTES)
		rename(path, old);
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0)
		return vh_fail(err, "%s: %s", path, strerror(errno));
	size_t len = strlen(line);
	int rc = 0;
	if (write(fd, line, len) != (ssize_t)len || write(fd, "\n", 1) != 1)
		rc = vh_fail(err, "%s: %s", path, strerror(errno));
	close(fd);
	return rc;
}
