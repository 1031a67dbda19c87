/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hookctl check VMID: what pre-start would decide, changing nothing. */
#include "hookctl.h"

#include <stdio.h>

#include <json-c/json.h>
#include <vfiohelp.h>

static int run(const struct hookctl_verb *v, const struct vh_cli *cli)
{
	unsigned vmid;
	if (hookctl_vmid_arg(v, cli, 0, &vmid) != HOOKCTL_OK)
		return HOOKCTL_USAGE;
	struct vh_err err;
	struct vh_host *h = vh_host_new(cli->root, &err);
	if (h)
		vh_host_want_names(h, !cli->json);
	struct vh_policy *policy = h ? vh_policy_load(h, cli->policy, &err) : NULL;
	struct vh_report *r = policy ? vh_evaluate(h, vmid, policy, &err) : NULL;
	if (!r) {
		fprintf(stderr, "hookctl check: %s\n", err.msg);
		vh_policy_free(policy);
		vh_host_free(h);
		return HOOKCTL_USAGE;
	}
	int rc = vh_report_blocks(r) ? HOOKCTL_BLOCKED : HOOKCTL_OK;
	if (cli->json) {
		json_object *o = vh_report_to_json(r);
		if (hookctl_print_json(o) != HOOKCTL_OK)
			rc = HOOKCTL_USAGE;
		json_object_put(o);
	} else {
		vh_report_print(r, stdout);
	}
	vh_report_free(r);
	vh_policy_free(policy);
	vh_host_free(h);
	return rc;
}

const struct hookctl_verb hookctl_check_verb = {
	.name = "check",
	.summary = "what vfio-hook VMID pre-start would decide, changing nothing",
	.args = "VMID",
	.details =
		"Reads the VM's config, its devices, their IOMMU groups and drivers, the kernel\n"
		"modules, the host's memory and command line, and the policy. Prints a checklist:\n"
		"[ ok ] passed, [ ?? ] not judged (a fact that could not be read), [WARN] and\n"
		"[FAIL] findings with the command that fixes them, then the verdict.\n"
		"Exit status: 0 the start would be allowed, 1 it would be blocked, 2 usage error\n"
		"or the check could not run (for one, on a host that is not a Proxmox VE node).\n",
	.options = VH_OPT_ROOT | VH_OPT_JSON | VH_OPT_POLICY,
	.min_args = 1,
	.max_args = 1,
	.run = run,
};
