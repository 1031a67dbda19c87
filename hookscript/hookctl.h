/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hookctl's verbs. Each verb is one file, hookctl_<verb>.c, that defines its
 * descriptor `hookctl_<verb>_verb`; hookctl.c lists the verbs once
 * (HOOKCTL_VERBS) and does everything they share: option parsing, argument
 * counts, --help, usage errors.
 */
#ifndef VH_HOOKCTL_H
#define VH_HOOKCTL_H

#include "cli.h"

/* Exit statuses of every verb. */
enum { HOOKCTL_OK = 0, HOOKCTL_BLOCKED = 1, HOOKCTL_USAGE = 2, HOOKCTL_UNKNOWN = 3 };

struct hookctl_verb {
	const char *name;
	const char *summary; /* one line, for `hookctl help` */
	const char *args;    /* the positional part of the usage line: "VMID", "[VMID]", "" */
	const char *details; /* more lines for `hookctl VERB --help`, or NULL */
	unsigned options;    /* the VH_OPT_* flags it takes (--help always) */
	int min_args, max_args;
	/* Runs with the options parsed and the argument count checked. */
	int (*run)(const struct hookctl_verb *v, const struct vh_cli *cli);
};

/* "hookctl check VMID [--root DIR] ...", without a newline. */
void hookctl_print_usage(FILE *out, const struct hookctl_verb *v);
/* A usage error: "hookctl VERB: <message>", the verb's usage, exit status 2. */
int hookctl_usage_error(const struct hookctl_verb *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Argument i as a VMID, or a usage error that says what a VMID is. */
int hookctl_vmid_arg(const struct hookctl_verb *v, const struct vh_cli *cli, int i, unsigned *vmid);
/* Prints a json-c object as every verb does (pretty, no escaped slashes);
 * HOOKCTL_USAGE when stdout fails. */
struct json_object;
int hookctl_print_json(struct json_object *o);

#endif
