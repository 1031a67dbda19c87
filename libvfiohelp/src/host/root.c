/*
 * The root directory every host path is resolved under (--root): the one
 * seam through which the library reads and writes the host. It depends on
 * nothing but the context's root (and whether the host is known by its
 * facts: host/facts.h), so every other file may use it.
 */
#include "internal.h"
#include "host/host.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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
	/* A node known by its inventory has no files here but the cluster
	 * file system's: its own /sys, /proc and /etc are the facts. */
	const char *abs = buf + rl;
	if (h->facts && strcmp(abs, "/etc/pve") != 0 && strncmp(abs, "/etc/pve/", 9) != 0) {
		errno = ENOENT;
		return -1;
	}
	return 0;
}
