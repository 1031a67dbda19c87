/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The hook's own log (JSON lines). */
#ifndef VFIOHELP_HOOKLOG_H
#define VFIOHELP_HOOKLOG_H

#include "internal.h"

/* Appends one line (no newline in it) to <root>/var/log/vfiohelp/hook.log. */
int vh_hooklog_append(struct vh_host *h, const char *line, struct vh_err *err);

#endif
