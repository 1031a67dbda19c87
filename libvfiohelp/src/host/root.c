/*
 * The root directory every host path is resolved under (--root): the one
 * seam through which the library reads and writes the host. It depends on
 * nothing but the context's root, so every other file may use it.
 */
#include "internal.h"
#include "host/host.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *vh_host_root(const struct vh_host *h)
{
	return h->root[0] ? h->root : "/";
}

bool vh_host_is_live(const struct vh_host *h)
{
	return h->live;
}

int vh_host_path(const struct vh_host *h, char *buf, size_t size, const char *fmt, ...)
{
	size_t rl = strlen(h->root);
	if (rl >= size)
		return -1;
	memcpy(buf, h->root, rl);
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + rl, size - rl, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size - rl)
		return -1;
	return 0;
}

/* Drops the last component of a host path ("/etc/x" -> "/etc", "/x" -> ""). */
static void drop_last(char *done)
{
	char *slash = strrchr(done, '/');
	if (slash)
		*slash = '\0';
}

int vh_host_resolve(const struct vh_host *h, const char *abs, char *out, size_t size)
{
	char todo[PATH_MAX], next[PATH_MAX], done[PATH_MAX] = "", real[PATH_MAX + 8];
	if (vh_strlcpy(todo, abs, sizeof(todo)) >= sizeof(todo))
		return errno = ENAMETOOLONG, -1;
	for (int hops = 0; todo[0];) {
		char *p = todo + strspn(todo, "/");
		size_t n = strcspn(p, "/");
		char part[NAME_MAX + 1];
		if (n > NAME_MAX)
			return errno = ENAMETOOLONG, -1;
		memcpy(part, p, n);
		part[n] = '\0';
		memmove(todo, p + n, strlen(p + n) + 1); /* the rest, from its slash */
		if (!n || !strcmp(part, "."))
			continue;
		if (!strcmp(part, "..")) {
			drop_last(done);
			continue;
		}
		size_t dl = strlen(done);
		if (dl + 1 + n >= sizeof(done))
			return errno = ENAMETOOLONG, -1;
		done[dl] = '/';
		memcpy(done + dl + 1, part, n + 1);
		struct stat st;
		if (vh_host_path(h, real, sizeof(real), "%s", done) < 0)
			return errno = ENAMETOOLONG, -1;
		if (lstat(real, &st) < 0)
			return -1;
		if (!S_ISLNK(st.st_mode))
			continue;
		if (++hops > 40)
			return errno = ELOOP, -1;
		char target[PATH_MAX];
		ssize_t t = readlink(real, target, sizeof(target) - 1);
		if (t < 0)
			return -1;
		target[t] = '\0';
		if (vh_format(next, sizeof(next), "%s%s", target, todo) < 0)
			return errno = ENAMETOOLONG, -1;
		memcpy(todo, next, strlen(next) + 1);
		if (target[0] == '/')
			done[0] = '\0'; /* an absolute target starts again at the root */
		else
			drop_last(done); /* a relative one from the link's directory */
	}
	if (vh_strlcpy(out, done[0] ? done : "/", size) >= size)
		return errno = ENAMETOOLONG, -1;
	return 0;
}
