/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host context: the root directory everything is read under, and the
 * lazily opened handles (libpci, libkmod) and caches hanging off it.
 */
#include "internal.h"
#include "host/facts.h"
#include "host/host.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libkmod.h>
#include <pci/pci.h>

struct vh_host *vh_host_new(const char *root, struct vh_err *err)
{
	if (!root || !*root)
		root = "/";
	struct stat st;
	if (stat(root, &st) < 0 || !S_ISDIR(st.st_mode)) {
		vh_fail(err, "root %s is not a directory: %s", root,
			errno ? strerror(errno) : "not a directory");
		return NULL;
	}
	struct vh_host *h = calloc(1, sizeof(*h));
	if (!h) {
		vh_fail(err, "out of memory");
		return NULL;
	}
	size_t n = vh_strlcpy(h->root, root, sizeof(h->root));
	if (n >= sizeof(h->root)) {
		free(h);
		vh_fail(err, "root %s: path too long", root);
		return NULL;
	}
	/* "/x/" and "/x" are the same root; "/" becomes "" so paths join as "/sys".
	 * A root that resolves to / ("/.", "/tmp/..") is the live host too. */
	char real[PATH_MAX];
	if (realpath(root, real) && !strcmp(real, "/"))
		n = 0, h->root[0] = '\0';
	while (n > 0 && h->root[n - 1] == '/')
		h->root[--n] = '\0';
	h->live = (n == 0);
	return h;
}

void vh_host_free(struct vh_host *h)
{
	if (!h)
		return;
	vh_pci_close(h);
	vh_facts_free(h->facts);
	if (h->kmod)
		kmod_unref(h->kmod);
	for (size_t i = 0; i < h->n_devices; i++)
		free(h->devices[i]);
	free(h->devices);
	free(h->proc_modules);
	free(h->cmdline);
	free(h->running.list);
	free(h);
}

void vh_host_keep_caches(struct vh_host *h, bool keep)
{
	h->write_caches = keep;
}

void vh_host_want_names(struct vh_host *h, bool want)
{
	h->want_names = want;
}
