/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The policy's text-level entry point (policy.c): vh_policy_load reads the
 * file and calls it; the fuzz harness and the unit tests call it directly. */
#ifndef VFIOHELP_POLICY_H
#define VFIOHELP_POLICY_H

#include "internal.h"

/* Parses exactly text[0..len) (NUL bytes in it are errors, none is needed
 * after it); name is the file named in error messages. */
struct vh_policy *vh_policy_parse(const char *name, const char *text, size_t len,
				  struct vh_err *err);

#endif
