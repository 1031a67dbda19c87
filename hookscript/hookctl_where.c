/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hookctl where VMID: on which nodes of the cluster the VM could start with
 * its devices, judged from each node's published inventory by the checks of
 * `hookctl check`; what HA may do with it; whether Proxmox migrates it. */
#include "hookctl.h"

#include <stdio.h>

#include <json-c/json.h>
#include <vfiohelp.h>

static int run(const struct hookctl_verb *v, const struct vh_cli *cli)
{
	unsigned vmid;
	int rc = hookctl_vmid_arg(v, cli, 0, &vmid);
	if (rc != HOOKCTL_OK)
		return rc;
	struct vh_err err;
	struct vh_host *h = vh_host_new(cli->root, &err);
	struct vh_where *w = h ? vh_where_judge(h, vmid, cli->policy, &err) : NULL;
	if (!w) {
		fprintf(stderr, "hookctl where: %s\n", err.msg);
		vh_host_free(h);
		return HOOKCTL_USAGE;
	}
	if (cli->json) {
		json_object *o = vh_where_to_json(w);
		rc = hookctl_print_json(o);
		json_object_put(o);
	} else {
		vh_where_print(w, stdout);
	}
	if (rc == HOOKCTL_OK)
		rc = vh_where_status(w);
	vh_where_free(w);
	vh_host_free(h);
	return rc;
}

const struct hookctl_verb hookctl_where_verb = {
	.name = "where",
	.summary = "on which nodes of the cluster the VM could start with its devices",
	.args = "VMID",
	.details =
		"Every node of the cluster (.members' nodelist; without one, /etc/pve/nodes/):\n"
		"can-start, cannot-start or unknown (no inventory), judged by check's rules from\n"
		"the node's published inventory (this node: from its live host); its liveness\n"
		"(trusted only while quorate) and the inventory's age. HA's groups (PVE 8) or\n"
		"node-affinity rules (PVE 9) against those verdicts, and live migration as\n"
		"Proxmox judges it.\n"
		"Exit 0: a node other than the owner can start it (or no cluster); 1: none can.\n",
	.options = VH_OPT_ROOT | VH_OPT_JSON | VH_OPT_POLICY,
	.min_args = 1,
	.max_args = 1,
	.run = run,
};
