/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hookctl: the administrator's tool. Finds the verb, parses its options and
 * counts its arguments against its descriptor, then runs it. */
#include "hookctl.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>
#include <vfiohelp.h>

/* Every verb, in the order `hookctl help` lists them. Adding a verb is its
 * file (hookctl_<name>.c, defining hookctl_<name>_verb) and its name here. */
#define HOOKCTL_VERBS(X) \
	X(check) X(guest) X(devices) X(rom) X(log) X(setup) X(install) X(inventory) X(where)

#define DECLARE_VERB(name) extern const struct hookctl_verb hookctl_##name##_verb;
HOOKCTL_VERBS(DECLARE_VERB)
#define LIST_VERB(name) &hookctl_##name##_verb,
static const struct hookctl_verb *const verbs[] = { HOOKCTL_VERBS(LIST_VERB) };

#define N_VERBS (sizeof(verbs) / sizeof(verbs[0]))

void hookctl_print_usage(FILE *out, const struct hookctl_verb *v)
{
	fprintf(out, "hookctl %s%s%s", v->name, v->args[0] ? " " : "", v->args);
	vh_cli_print_options(out, v->options);
}

int hookctl_usage_error(const struct hookctl_verb *v, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "hookctl %s: ", v->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: ");
	hookctl_print_usage(stderr, v);
	fprintf(stderr, "\n");
	return HOOKCTL_USAGE;
}

int hookctl_vmid_arg(const struct hookctl_verb *v, const struct vh_cli *cli, int i, unsigned *vmid)
{
	if (vh_vmid_parse(cli->args[i], vmid) < 0)
		return hookctl_usage_error(v,
					   "'%s' is not a VMID (a Proxmox VM id, 100 to 999999999)",
					   cli->args[i]);
	return HOOKCTL_OK;
}

int hookctl_print_json(struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
								  JSON_C_TO_STRING_SPACED |
								  JSON_C_TO_STRING_NOSLASHESCAPE);
	return s && puts(s) >= 0 ? HOOKCTL_OK : HOOKCTL_USAGE;
}

/* The overview: every verb's usage and summary. Each usage line starts
 * "  hookctl ": the man page and completion tests read them from here. */
static void print_overview(FILE *out)
{
	fprintf(out, "usage: hookctl VERB [ARGS] [OPTIONS]\n\n");
	for (size_t i = 0; i < N_VERBS; i++) {
		fprintf(out, "  ");
		hookctl_print_usage(out, verbs[i]);
		fprintf(out, "\n      %s\n", verbs[i]->summary);
	}
	fprintf(out,
		"\n'hookctl VERB --help' describes a verb; 'hookctl --version' prints the version.\n"
		"Exit status: 0 done (check: allowed; guest: ok), 1 check: blocked, rom: not "
		"usable, guest: a problem, where: no node but the owner can start it, inventory "
		"--publish: not published, 2 usage error or the tool could not run, 3 guest: "
		"unknown.\n");
}

static void print_verb_help(const struct hookctl_verb *v)
{
	printf("usage: ");
	hookctl_print_usage(stdout, v);
	printf("\n\n%s\n", v->summary);
	if (v->details)
		printf("\n%s", v->details);
	printf("\noptions:\n");
	vh_cli_print_option_help(stdout, v->options | VH_OPT_HELP);
}

static const struct hookctl_verb *find_verb(const char *name)
{
	for (size_t i = 0; i < N_VERBS; i++)
		if (!strcmp(name, verbs[i]->name))
			return verbs[i];
	return NULL;
}

static int run_verb(const struct hookctl_verb *v, int argc, char **argv)
{
	struct vh_cli cli;
	char why[256];
	if (vh_cli_parse(argc, argv, 2, v->options | VH_OPT_HELP, &cli, why, sizeof(why)) < 0)
		return hookctl_usage_error(v, "%s", why);
	if (cli.help) {
		print_verb_help(v);
		return HOOKCTL_OK;
	}
	if (cli.nargs < v->min_args)
		return hookctl_usage_error(v, "missing %s", v->args);
	if (cli.nargs > v->max_args && v->max_args == 0)
		return hookctl_usage_error(v, "takes no arguments, not '%s'", cli.args[0]);
	if (cli.nargs > v->max_args)
		return hookctl_usage_error(v, "too many arguments (at most %d)", v->max_args);
	return v->run(v, &cli);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		print_overview(stderr);
		return HOOKCTL_USAGE;
	}
	const char *word = argv[1];
	if (!strcmp(word, "help") || !strcmp(word, "--help") || !strcmp(word, "-h")) {
		const struct hookctl_verb *v = argc > 2 ? find_verb(argv[2]) : NULL;
		if (v)
			print_verb_help(v);
		else
			print_overview(stdout);
		return argc > 2 && !v ? HOOKCTL_USAGE : HOOKCTL_OK;
	}
	if (!strcmp(word, "--version")) {
		vh_cli_print_version(stdout, "hookctl");
		return HOOKCTL_OK;
	}
	const struct hookctl_verb *v = find_verb(word);
	if (v)
		return run_verb(v, argc, argv);
	fprintf(stderr, "hookctl: unknown verb '%s'\n", word);
	print_overview(stderr);
	return HOOKCTL_USAGE;
}
