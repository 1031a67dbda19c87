/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vfio-hook: the Proxmox hookscript. Proxmox runs it as root as
 *   vfio-hook <vmid> <phase>
 * at every start and stop of a VM that names it (hookscript: local:snippets/vfio-hook).
 * The work is libvfiohelp's vh_hook_run(); this file only checks the arguments.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>

#include <vfiohelp.h>

#define OPTIONS (VH_OPT_ROOT | VH_OPT_POLICY)

/* Every line starts "vfio-hook:", as all the hook prints. */
static void usage(FILE *out)
{
	fprintf(out, "vfio-hook: usage: vfio-hook");
	vh_cli_print_options(out, OPTIONS);
	fprintf(out, " VMID pre-start|post-start|pre-stop|post-stop\n");
}

int main(int argc, char **argv)
{
	struct vh_cli cli;
	unsigned vmid;
	enum vh_phase phase;
	char why[256] = "";
	int parsed = vh_cli_parse(argc, argv, 1, OPTIONS | VH_OPT_HELP | VH_OPT_VERSION, &cli, why,
				  sizeof(why));
	if (parsed == 0 && cli.version) {
		vh_cli_print_version(stdout, "vfio-hook");
		return 0;
	}
	if (parsed == 0 && cli.help) {
		usage(stdout);
		return 0;
	}
	if (parsed < 0 || cli.nargs != 2 || vh_vmid_parse(cli.args[0], &vmid) < 0 ||
	    vh_phase_parse(cli.args[1], &phase) < 0) {
		/* Proxmox shows stdout in the task log, so the refusal goes there. */
		if (why[0])
			printf("vfio-hook: %s\n", why);
		usage(stdout);
		printf("vfio-hook: refused: the arguments are not a VMID (100..999999999) and a known phase\n");
		return 2;
	}
	struct vh_err err;
	struct vh_host *h = vh_host_new(cli.root, &err);
	if (!h) {
		printf("vfio-hook: error: %s\n", err.msg);
		return 2;
	}
	/* On a live migration's target Proxmox sets PVE_MIGRATED_FROM=<source
	 * node>: the VM's config is still in that node's directory. */
	const char *from = getenv("PVE_MIGRATED_FROM");
	if (from && from[0] && vh_host_set_migration(h, vmid, from, &err) < 0) {
		printf("vfio-hook: error migration: %s\n", err.msg);
		if (phase == VH_PHASE_PRE_START) {
			printf("vfio-hook: %s VM %u: start refused: the source node is not known\n",
			       vh_phase_name(phase), vmid);
			vh_host_free(h);
			return 1;
		}
	}
	int rc = vh_hook_run(h, cli.policy, vmid, phase, stdout);
	vh_host_free(h);
	return rc;
}
