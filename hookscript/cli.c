#include "cli.h"

#include <stdlib.h>
#include <string.h>

struct option_def {
	const char *name;
	unsigned flag;
	bool takes_value;
};

static const struct option_def options[] = {
	{ "--root", VH_OPT_ROOT, true },       { "--policy", VH_OPT_POLICY, true },
	{ "--json", VH_OPT_JSON, false },      { "--limit", VH_OPT_LIMIT, true },
	{ "--apply", VH_OPT_APPLY, false },    { "--storage", VH_OPT_STORAGE, true },
};

static int set_option(struct vh_cli *cli, unsigned flag, const char *value, FILE *err)
{
	switch (flag) {
	case VH_OPT_ROOT: cli->root = value; break;
	case VH_OPT_POLICY: cli->policy = value; break;
	case VH_OPT_STORAGE: cli->storage = value; break;
	case VH_OPT_JSON: cli->json = true; break;
	case VH_OPT_APPLY: cli->apply = true; break;
	case VH_OPT_LIMIT: {
		char *end;
		unsigned long v = strtoul(value, &end, 10);
		if (!*value || *end || value[0] == '-' || v == 0 || v > 100000) {
			fprintf(err, "--limit takes a whole number from 1 to 100000, not '%s'\n", value);
			return -1;
		}
		cli->limit = (unsigned)v;
		break;
	}
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

int vh_cli_parse(int argc, char **argv, int first, unsigned allowed, struct vh_cli *cli, FILE *err)
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
				fprintf(err, "too many arguments\n");
				return -1;
			}
			cli->args[cli->nargs++] = arg;
			continue;
		}
		const char *eq = strchr(arg, '=');
		size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
		const struct option_def *o = find_option(arg, len);
		if (!o || !(allowed & o->flag)) {
			fprintf(err, "unknown option '%.*s'\n", (int)len, arg);
			return -1;
		}
		const char *value = NULL;
		if (o->takes_value) {
			if (eq)
				value = eq + 1;
			else if (i + 1 < argc)
				value = argv[++i];
			if (!value || !*value) {
				fprintf(err, "option %s needs a value\n", o->name);
				return -1;
			}
		} else if (eq) {
			fprintf(err, "option %s takes no value\n", o->name);
			return -1;
		}
		if (set_option(cli, o->flag, value, err) < 0)
			return -1;
	}
	return 0;
}
