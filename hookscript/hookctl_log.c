/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hookctl log: the starts and stops of a VM (or of every VM) from Proxmox's task logs
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

static int run(const struct hookctl_verb *v, const struct vh_cli *cli)
{
	unsigned vmid = 0;
	if (cli->nargs == 1 && hookctl_vmid_arg(v, cli, 0, &vmid) != HOOKCTL_OK)
		return HOOKCTL_USAGE;
	struct vh_err err = { 0 };
	struct vh_host *h = vh_host_new(cli->root, &err);
	if (!h) {
		fprintf(stderr, "hookctl log: %s\n", err.msg);
		return HOOKCTL_USAGE;
	}
	struct vh_history *hist = vh_history_load(h, vmid, cli->limit, &err);
	vh_host_free(h);
	if (!hist) {
		fprintf(stderr, "hookctl log: %s\n", err.msg);
		return HOOKCTL_USAGE;
	}
	print_notes(hist);
	int rc = HOOKCTL_OK;
	if (cli->json) {
		json_object *o = vh_history_to_json(hist);
		rc = hookctl_print_json(o);
		json_object_put(o);
	} else {
		vh_history_print(hist, stdout);
	}
	vh_history_free(hist);
	if (fflush(stdout) != 0)
		rc = HOOKCTL_USAGE;
	return rc;
}

const struct hookctl_verb hookctl_log_verb = {
	.name = "log",
	.summary =
		"the starts and stops of a VM (or of every VM), newest first, with what the hook said",
	.args = "[VMID]",
	.details =
		"Reads the Proxmox task logs (/var/log/pve/tasks/) and the hook's own log\n"
		"(/var/log/vfiohelp/hook.log). Starts the hook refused are marked !!; what could not\n"
		"be read is noted on stderr and never fails the command.\n",
	.options = VH_OPT_ROOT | VH_OPT_JSON | VH_OPT_LIMIT,
	.min_args = 0,
	.max_args = 1,
	.run = run,
};
