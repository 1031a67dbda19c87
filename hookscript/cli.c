/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

struct option_def {
	const char *name;
	unsigned flag;
	const char *value; /* the value's name in usage lines; NULL: takes none */
	const char *help;  /* NULL: an alias, left out of usage and help */
};

/* Every option of both programs, in the order usage lines show them. */
static const struct option_def options[] = {
	{ "--root", VH_OPT_ROOT, "DIR", "read (and write) the host under DIR instead of /" },
	{ "--storage", VH_OPT_STORAGE, "NAME",
	  "the storage whose snippets/ gets the hook (default local)" },
	{ "--policy", VH_OPT_POLICY, "FILE", "the policy file instead of /etc/pve/vfiohelp.json" },
	{ "--json", VH_OPT_JSON, NULL, "one JSON object on stdout instead of the text" },
	{ "--limit", VH_OPT_LIMIT, "N", "at most N entries" },
	{ "--wait", VH_OPT_WAIT, "SECONDS",
	  "wait up to SECONDS for the guest agent's first answer (default: one try)" },
	{ "--apply", VH_OPT_APPLY, NULL, "carry it out (without it: print what would be done)" },
	{ "--no-vm", VH_OPT_NO_VM, NULL, "leave the VM's settings alone" },
	{ "--undo", VH_OPT_UNDO, NULL,
	  "restore a setup journal (the newest, or the ID given) byte for byte" },
	{ "--list", VH_OPT_LIST, NULL, "list the setup journals" },
	{ "--firmware", VH_OPT_FIRMWARE, NULL,
	  "plan SeaBIOS -> OVMF too (the guest must already boot by UEFI)" },
	{ "--save", VH_OPT_SAVE, "FILE",
	  "write the ROM to FILE (atomically), only if it is usable" },
	{ "--publish", VH_OPT_PUBLISH, NULL,
	  "write it to /etc/pve/nodes/NODE/vfiohelp-inventory.json when it changed" },
	{ "--help", VH_OPT_HELP, NULL, "this text" },
	{ "-h", VH_OPT_HELP, NULL, NULL },
	{ "--version", VH_OPT_VERSION, NULL, "the program's version" },
};

/* A program's own options, not a verb's: not repeated in every usage line. */
#define PROGRAM_OPTIONS (VH_OPT_HELP | VH_OPT_VERSION)

#ifndef VH_VERSION
#error "VH_VERSION comes from CMake's project(VERSION) (hookscript/CMakeLists.txt)"
#endif

static int parse_number(const char *opt, const char *value, unsigned long min, unsigned long max,
			unsigned *out, char *why, size_t size)
{
	char *end;
	unsigned long v = strtoul(value, &end, 10);
	if (!*value || *end || value[0] == '-' || v < min || v > max) {
		snprintf(why, size, "%s takes a whole number from %lu to %lu, not '%s'", opt, min,
			 max, value);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

static int set_option(struct vh_cli *cli, unsigned flag, const char *value, char *why, size_t size)
{
	switch (flag) {
	case VH_OPT_ROOT:
		cli->root = value;
		break;
	case VH_OPT_POLICY:
		cli->policy = value;
		break;
	case VH_OPT_STORAGE:
		cli->storage = value;
		break;
	case VH_OPT_SAVE:
		cli->save = value;
		break;
	case VH_OPT_JSON:
		cli->json = true;
		break;
	case VH_OPT_APPLY:
		cli->apply = true;
		break;
	case VH_OPT_HELP:
		cli->help = true;
		break;
	case VH_OPT_NO_VM:
		cli->no_vm = true;
		break;
	case VH_OPT_UNDO:
		cli->undo = true;
		break;
	case VH_OPT_LIST:
		cli->list = true;
		break;
	case VH_OPT_FIRMWARE:
		cli->firmware = true;
		break;
	case VH_OPT_PUBLISH:
		cli->publish = true;
		break;
	case VH_OPT_VERSION:
		cli->version = true;
		break;
	case VH_OPT_LIMIT:
		return parse_number("--limit", value, 1, 100000, &cli->limit, why, size);
	case VH_OPT_WAIT:
		return parse_number("--wait", value, 0, 3600, &cli->wait_s, why, size);
	}
	return 0;
}

static const struct option_def *find_option(const char *arg, size_t len)
{
	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
		if (strlen(options[i].name) == len && strncmp(arg, options[i].name, len) == 0)
			return &options[i];
	return NULL;
}

int vh_cli_parse(int argc, char **argv, int first, unsigned allowed, struct vh_cli *cli, char *why,
		 size_t size)
{
	memset(cli, 0, sizeof(*cli));
	bool options_done = false;
	for (int i = first; i < argc; i++) {
		const char *arg = argv[i];
		if (!options_done && strcmp(arg, "--") == 0) {
			options_done = true;
			continue;
		}
		if (options_done || arg[0] != '-' || arg[1] == '\0') {
			if (cli->nargs == VH_CLI_MAX_ARGS) {
				snprintf(why, size, "too many arguments");
				return -1;
			}
			cli->args[cli->nargs++] = arg;
			continue;
		}
		const char *eq = strchr(arg, '=');
		size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
		const struct option_def *o = find_option(arg, len);
		if (!o || !(allowed & o->flag)) {
			snprintf(why, size, "unknown option '%.*s'", (int)len, arg);
			return -1;
		}
		const char *value = NULL;
		if (o->value) {
			if (eq)
				value = eq + 1;
			else if (i + 1 < argc)
				value = argv[++i];
			if (!value || !*value) {
				snprintf(why, size, "option %s needs a value", o->name);
				return -1;
			}
		} else if (eq) {
			snprintf(why, size, "option %s takes no value", o->name);
			return -1;
		}
		if (set_option(cli, o->flag, value, why, size) < 0)
			return -1;
	}
	return 0;
}

void vh_cli_print_options(FILE *out, unsigned allowed)
{
	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
		const struct option_def *o = &options[i];
		if (!(allowed & o->flag & ~PROGRAM_OPTIONS) || !o->help)
			continue;
		fprintf(out, " [%s%s%s]", o->name, o->value ? " " : "", o->value ? o->value : "");
	}
}

void vh_cli_print_option_help(FILE *out, unsigned allowed)
{
	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
		const struct option_def *o = &options[i];
		char left[32];
		if (!(allowed & o->flag) || !o->help)
			continue;
		snprintf(left, sizeof(left), "%s%s%s", o->name, o->value ? " " : "",
			 o->value ? o->value : "");
		fprintf(out, "  %-16s%s\n", left, o->help);
	}
}

void vh_cli_print_version(FILE *out, const char *prog)
{
	fprintf(out, "%s (vfiohelp) %s\n", prog, VH_VERSION);
}
