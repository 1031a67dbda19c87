/* Time-bounded sysfs writes. */
#ifndef VFIOHELP_SYSFS_H
#define VFIOHELP_SYSFS_H

#include "internal.h"

/* Writes value to an existing attribute (never creates, never follows a
 * final symlink) and waits at most timeout_ms for the kernel to answer. */
int vh_sysfs_write(const char *path, const char *value, unsigned timeout_ms, struct vh_err *err);

#endif
