/* hookctl check VMID: what pre-start would decide, changing nothing. */
#include "hookctl.h"

#include <stdio.h>

#include <json-c/json.h>
#include <vfiohelp.h>

int hookctl_check(int argc, char **argv)
{
	struct vh_cli cli;
	unsigned vmid;
	if (vh_cli_parse(argc, argv, 2, VH_OPT_ROOT | VH_OPT_JSON | VH_OPT_POLICY, &cli, stderr) < 0)
		return HOOKCTL_USAGE;
	if (cli.nargs != 1 || vh_vmid_parse(cli.args[0], &vmid) < 0) {
		fprintf(stderr, "usage: hookctl check VMID [--root DIR] [--json] [--policy FILE]\n"
				"  VMID is a Proxmox VM id (100 to 999999999)\n");
		return HOOKCTL_USAGE;
	}
	struct vh_err err;
	struct vh_host *h = vh_host_new(cli.root, &err);
	if (h)
		vh_host_want_names(h, !cli.json);
	struct vh_policy *policy = h ? vh_policy_load(h, cli.policy, &err) : NULL;
	struct vh_report *r = policy ? vh_evaluate(h, vmid, policy, &err) : NULL;
	if (!r) {
		fprintf(stderr, "hookctl: %s\n", err.msg);
		vh_policy_free(policy);
		vh_host_free(h);
		return HOOKCTL_USAGE;
	}
	if (cli.json) {
		json_object *o = vh_report_to_json(r);
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		vh_report_print(r, stdout);
	}
	int rc = vh_report_blocks(r) ? HOOKCTL_BLOCKED : HOOKCTL_OK;
	vh_report_free(r);
	vh_policy_free(policy);
	vh_host_free(h);
	return rc;
}
