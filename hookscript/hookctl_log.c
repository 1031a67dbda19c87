/*
 * hookctl log [VMID] [--root DIR] [--json] [--limit N]
 *
 * The starts and stops of a VM (or of every VM) from Proxmox's task logs
 * and the hook's own log, newest first. What could not be read is named on
 * stderr ("hookctl log: note: ..."); it never fails the command.
 */
#include "hookctl.h"

#include <stdio.h>

#include <json-c/json.h>

#include "vfiohelp.h"

static void print_notes(const struct vh_history *hist)
{
	for (size_t i = 0; i < vh_history_note_count(hist); i++)
		fprintf(stderr, "hookctl log: note: %s\n", vh_history_note(hist, i));
}

static int print_json(const struct vh_history *hist)
{
	json_object *o = vh_history_to_json(hist);
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							       JSON_C_TO_STRING_SPACED |
							       JSON_C_TO_STRING_NOSLASHESCAPE);
	int rc = s && puts(s) >= 0 ? HOOKCTL_OK : HOOKCTL_USAGE;
	json_object_put(o);
	return rc;
}

int hookctl_log(int argc, char **argv)
{
	struct vh_cli cli;
	unsigned vmid = 0;
	if (vh_cli_parse(argc, argv, 2, VH_OPT_ROOT | VH_OPT_JSON | VH_OPT_LIMIT, &cli, stderr) < 0)
		return HOOKCTL_USAGE;
	if (cli.nargs > 1) {
		fprintf(stderr, "hookctl log: at most one VMID\n");
		return HOOKCTL_USAGE;
	}
	if (cli.nargs == 1 && vh_vmid_parse(cli.args[0], &vmid) < 0) {
		fprintf(stderr, "hookctl log: '%s' is not a VMID (100 to 999999999)\n", cli.args[0]);
		return HOOKCTL_USAGE;
	}
	struct vh_err err = { 0 };
	struct vh_host *h = vh_host_new(cli.root, &err);
	if (!h) {
		fprintf(stderr, "hookctl log: %s\n", err.msg);
		return HOOKCTL_USAGE;
	}
	struct vh_history *hist = vh_history_load(h, vmid, cli.limit, &err);
	vh_host_free(h);
	if (!hist) {
		fprintf(stderr, "hookctl log: %s\n", err.msg);
		return HOOKCTL_USAGE;
	}
	print_notes(hist);
	int rc = HOOKCTL_OK;
	if (cli.json)
		rc = print_json(hist);
	else
		vh_history_print(hist, stdout);
	vh_history_free(hist);
	if (fflush(stdout) != 0)
		rc = HOOKCTL_USAGE;
	return rc;
}
