/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Command-line parsing shared by vfio-hook and hookctl. */
#ifndef VH_CLI_H
#define VH_CLI_H

#include <stdbool.h>
#include <stdio.h>

enum vh_cli_flag {
	VH_OPT_ROOT = 1 << 0,      /* --root DIR */
	VH_OPT_POLICY = 1 << 1,    /* --policy FILE */
	VH_OPT_JSON = 1 << 2,      /* --json */
	VH_OPT_LIMIT = 1 << 3,     /* --limit N */
	VH_OPT_APPLY = 1 << 4,     /* --apply */
	VH_OPT_STORAGE = 1 << 5,   /* --storage NAME */
	VH_OPT_HELP = 1 << 6,      /* --help, -h */
	VH_OPT_VERSION = 1 << 7,   /* --version */
	VH_OPT_NO_VM = 1 << 8,     /* --no-vm */
	VH_OPT_UNDO = 1 << 9,      /* --undo */
	VH_OPT_LIST = 1 << 10,     /* --list */
	VH_OPT_FIRMWARE = 1 << 11, /* --firmware */
	VH_OPT_SAVE = 1 << 12,     /* --save FILE */
	VH_OPT_WAIT = 1 << 13,     /* --wait SECONDS */
	VH_OPT_PUBLISH = 1 << 14,  /* --publish */
};

#define VH_CLI_MAX_ARGS 8

struct vh_cli {
	const char *root;   /* NULL: the running system */
	const char *policy; /* NULL: the default policy location */
	const char *storage;
	const char *save; /* --save FILE */
	bool json;
	bool apply;
	bool help;
	bool version;
	bool no_vm, undo, list, firmware, publish;
	unsigned limit;  /* 0: no limit */
	unsigned wait_s; /* --wait: 0 when not given */
	int nargs;       /* positional arguments, in order */
	const char *args[VH_CLI_MAX_ARGS];
};

/* Parses argv[first..argc) accepting only the options in `allowed`; options
 * may stand before or after positional arguments ("--" ends options). On a
 * usage error puts a phrase naming the problem into why and returns -1. */
int vh_cli_parse(int argc, char **argv, int first, unsigned allowed, struct vh_cli *cli, char *why,
		 size_t size);

/* "[--root DIR] [--json] ..." for the options in `allowed`, in the option
 * table's order: the one spelling of a program's options that every usage
 * line and --help text prints. */
void vh_cli_print_options(FILE *out, unsigned allowed);
/* One line per option in `allowed`: "  --root DIR  what it does". */
void vh_cli_print_option_help(FILE *out, unsigned allowed);
/* "PROG (vfiohelp) X.Y.Z", as GNU tools say it:, the version CMake's project() declares. */
void vh_cli_print_version(FILE *out, const char *prog);

#endif
