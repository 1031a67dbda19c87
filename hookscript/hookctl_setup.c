/*
 * hookctl setup VMID [--root DIR] [--json] [--apply] [--no-vm]
 * hookctl setup --undo [ID] [--root DIR]
 * hookctl setup --list [--root DIR] [--json]
 *
 * The seed's host phases and VM settings as a plan of what is missing; with
 * --apply carried out and journaled, with --undo put back byte for byte.
 * The library plans and applies (libvfiohelp/src/setup/); this file only
 * reads the command line and prints.
 */
#include "hookctl.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>
#include <vfiohelp.h>

#define SETUP_USAGE                                                                        \
	"usage: hookctl setup VMID [--root DIR] [--json] [--apply] [--no-vm]\n"            \
	"       hookctl setup --undo [ID] [--root DIR]\n"                                  \
	"       hookctl setup --list [--root DIR] [--json]\n"

enum setup_mode { SETUP_PLAN, SETUP_UNDO, SETUP_LIST };

static void put_json(json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

/* Takes --no-vm, --undo and --list out of argv (the shared parser knows the rest). */
static int own_options(int argc, char **argv, char **rest, int *nrest, enum setup_mode *mode, bool *no_vm)
{
	*nrest = 0;
	*mode = SETUP_PLAN;
	*no_vm = false;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--no-vm"))
			*no_vm = true;
		else if (!strcmp(argv[i], "--undo") || !strcmp(argv[i], "--list")) {
			if (*mode != SETUP_PLAN)
				return -1;
			*mode = argv[i][2] == 'u' ? SETUP_UNDO : SETUP_LIST;
		} else
			rest[(*nrest)++] = argv[i];
	}
	rest[*nrest] = NULL;
	return 0;
}

static int plan(struct vh_host *h, const struct vh_cli *cli, bool no_vm)
{
	unsigned vmid;
	if (cli->nargs != 1 || vh_vmid_parse(cli->args[0], &vmid) < 0) {
		fprintf(stderr, SETUP_USAGE "  VMID is a Proxmox VM id (100 to 999999999)\n");
		return HOOKCTL_USAGE;
	}
	struct vh_err err;
	struct vh_setup *s = vh_setup_plan(h, vmid, !no_vm, &err);
	if (!s) {
		fprintf(stderr, "hookctl setup: %s\n", err.msg);
		return HOOKCTL_USAGE;
	}
	int rc = HOOKCTL_OK;
	if (cli->apply && vh_setup_apply(h, s, &err) < 0) {
		fprintf(stderr, "hookctl setup: %s\n", err.msg);
		rc = HOOKCTL_BLOCKED;
	}
	if (cli->json)
		put_json(vh_setup_to_json(s));
	else
		vh_setup_print(s, stdout);
	vh_setup_free(s);
	return rc;
}

static int undo(struct vh_host *h, const struct vh_cli *cli)
{
	if (cli->nargs > 1 || cli->apply) {
		fprintf(stderr, SETUP_USAGE);
		return HOOKCTL_USAGE;
	}
	struct vh_err err;
	int rc = vh_setup_undo(h, cli->nargs ? cli->args[0] : NULL, stdout, &err);
	if (rc < 0)
		fprintf(stderr, "hookctl setup --undo: %s\n", err.msg);
	return rc == 0 ? HOOKCTL_OK : rc == -1 ? HOOKCTL_BLOCKED : HOOKCTL_USAGE;
}

static int list(struct vh_host *h, const struct vh_cli *cli)
{
	if (cli->nargs || cli->apply) {
		fprintf(stderr, SETUP_USAGE);
		return HOOKCTL_USAGE;
	}
	struct vh_err err;
	json_object *o = vh_setup_list(h, &err), *arr;
	if (cli->json) {
		put_json(o);
		return HOOKCTL_OK;
	}
	json_object_object_get_ex(o, "journals", &arr);
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *j = json_object_array_get_idx(arr, i), *v;
		json_object_object_get_ex(j, "id", &v);
		printf("%s", json_object_get_string(v));
		json_object_object_get_ex(j, "undone", &v);
		printf("%s  files:", json_object_get_boolean(v) ? "  (undone)" : "");
		json_object_object_get_ex(j, "files", &v);
		for (size_t k = 0; k < json_object_array_length(v); k++)
			printf(" %s", json_object_get_string(json_object_array_get_idx(v, k)));
		printf("\n");
	}
	json_object_put(o);
	return HOOKCTL_OK;
}

int hookctl_setup(int argc, char **argv)
{
	char *rest[64];
	int nrest;
	enum setup_mode mode;
	bool no_vm;
	struct vh_cli cli;
	if (argc > 60 || own_options(argc, argv, rest, &nrest, &mode, &no_vm) < 0 ||
	    vh_cli_parse(nrest, rest, 2, VH_OPT_ROOT | VH_OPT_JSON | VH_OPT_APPLY, &cli, stderr) < 0) {
		fprintf(stderr, SETUP_USAGE);
		return HOOKCTL_USAGE;
	}
	struct vh_err err;
	struct vh_host *h = vh_host_new(cli.root, &err);
	if (!h) {
		fprintf(stderr, "hookctl setup: %s\n", err.msg);
		return HOOKCTL_USAGE;
	}
	int rc = mode == SETUP_UNDO ? undo(h, &cli) : mode == SETUP_LIST ? list(h, &cli) : plan(h, &cli, no_vm);
	vh_host_free(h);
	return rc;
}
