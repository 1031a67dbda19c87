/* Command-line parsing shared by vfio-hook and hookctl. */
#ifndef VH_CLI_H
#define VH_CLI_H

#include <stdbool.h>
#include <stdio.h>

enum vh_cli_flag {
	VH_OPT_ROOT = 1 << 0,    /* --root DIR */
	VH_OPT_POLICY = 1 << 1,  /* --policy FILE */
	VH_OPT_JSON = 1 << 2,    /* --json */
	VH_OPT_LIMIT = 1 << 3,   /* --limit N */
	VH_OPT_APPLY = 1 << 4,   /* --apply */
	VH_OPT_STORAGE = 1 << 5, /* --storage NAME */
};

#define VH_CLI_MAX_ARGS 8

struct vh_cli {
	const char *root;    /* NULL: the running system */
	const char *policy;  /* NULL: the default policy location */
	const char *storage;
	bool json;
	bool apply;
	unsigned limit;      /* 0: no limit */
	int nargs;           /* positional arguments, in order */
	const char *args[VH_CLI_MAX_ARGS];
};

/* Parses argv[first..argc) accepting only the options in `allowed`; options
 * may stand before or after positional arguments ("--" ends options). On a
 * usage error writes one line naming the problem to err and returns -1. */
int vh_cli_parse(int argc, char **argv, int first, unsigned allowed, struct vh_cli *cli, FILE *err);

#endif
