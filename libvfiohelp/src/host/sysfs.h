/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Time-bounded sysfs writes and reads. */
#ifndef VFIOHELP_SYSFS_H
#define VFIOHELP_SYSFS_H

#include "internal.h"

/* Writes value to an existing attribute (never creates, never follows a
 * final symlink) and waits at most timeout_ms for the kernel to answer. */
int vh_sysfs_write(const char *path, const char *value, unsigned timeout_ms, struct vh_err *err);
/* Reads an attribute (stripped) the same bounded way: for attributes whose
 * read takes the device lock, which a driver stuck in remove() holds.
 * errno is the read's error (ENOENT: no such attribute). */
int vh_sysfs_read(const char *path, char *buf, size_t size, unsigned timeout_ms,
		  struct vh_err *err);

/* For a process that may outlive the hook: /dev/null on 0-2 and every
 * descriptor from max(3, keep_below) up closed, so it holds neither the
 * task's output nor the lock. */
int vh_detach_descriptors(int keep_below);

#endif
