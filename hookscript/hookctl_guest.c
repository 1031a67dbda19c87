/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hookctl guest VMID: the seed's checklist inside the running VM, asked
 * through its QEMU guest agent; read-only in the guest. */
#include "hookctl.h"

#include <stdio.h>

#include <json-c/json.h>
#include <vfiohelp.h>

static int exit_status(enum vh_guest_verdict v)
{
	return v == VH_GUEST_OK        ? HOOKCTL_OK
	       : v == VH_GUEST_PROBLEM ? HOOKCTL_BLOCKED
				       : HOOKCTL_UNKNOWN;
}

static int run(const struct hookctl_verb *v, const struct vh_cli *cli)
{
	unsigned vmid;
	if (hookctl_vmid_arg(v, cli, 0, &vmid) != HOOKCTL_OK)
		return HOOKCTL_USAGE;
	struct vh_err err;
	struct vh_host *h = vh_host_new(cli->root, &err);
	struct vh_policy *policy = h ? vh_policy_load(h, cli->policy, &err) : NULL;
	struct vh_guest_report *r = policy ? vh_guest_ask(h, vmid, policy, cli->wait_s * 1000u,
							  &err)
					   : NULL;
	if (!r) {
		fprintf(stderr, "hookctl guest: %s\n", err.msg);
		vh_policy_free(policy);
		vh_host_free(h);
		return HOOKCTL_USAGE;
	}
	int rc = exit_status(r->verdict);
	if (cli->json) {
		json_object *o = vh_guest_to_json(r);
		if (hookctl_print_json(o) != HOOKCTL_OK)
			rc = HOOKCTL_USAGE;
		json_object_put(o);
	} else {
		vh_guest_print(r, stdout);
	}
	vh_guest_report_free(r);
	vh_policy_free(policy);
	vh_host_free(h);
	return rc;
}

const struct hookctl_verb hookctl_guest_verb = {
	.name = "guest",
	.summary = "the seed's checklist inside the running VM, asked through its guest agent",
	.args = "VMID",
	.details =
		"Asks the VM's QEMU guest agent (/var/run/qemu-server/VMID.qga, short connections\n"
		"only: qemu-server shares it) for the guest's OS, firmware and Secure Boot, finds\n"
		"each passed device in the guest (QEMU's query-pci, else vendor:device) with its\n"
		"driver, runs nvidia-smi for an NVIDIA display device and the policy's probes.\n"
		"Changes nothing in the guest.\n"
		"Exit status: 0 ok, 1 a problem (a finding of severity error), 2 usage error or\n"
		"the VM's config cannot be read, 3 unknown (no agent, no answer, exec disabled,\n"
		"the VM does not run).\n",
	.options = VH_OPT_ROOT | VH_OPT_JSON | VH_OPT_POLICY | VH_OPT_WAIT,
	.min_args = 1,
	.max_args = 1,
	.run = run,
};
