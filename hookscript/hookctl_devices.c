/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hookctl devices: every PCI function of the host with its IOMMU group, the
 * seed's "hardware verification" without lspci and shell loops. */
#include "hookctl.h"

#include <stdio.h>

#include <json-c/json.h>
#include <vfiohelp.h>

static int run(const struct hookctl_verb *v, const struct vh_cli *cli)
{
	struct vh_err err;
	struct vh_host *h = vh_host_new(cli->root, &err);
	if (h)
		vh_host_want_names(h, true); /* "name" is part of the JSON too */
	struct vh_devices *d = h ? vh_devices_load(h, &err) : NULL;
	if (!d) {
		fprintf(stderr, "hookctl devices: %s\n", err.msg);
		vh_host_free(h);
		return HOOKCTL_USAGE;
	}
	int rc = HOOKCTL_OK;
	if (cli->json) {
		json_object *o = vh_devices_to_json(d);
		rc = hookctl_print_json(o);
		json_object_put(o);
	} else {
		vh_devices_print(d, stdout);
	}
	vh_devices_free(d);
	vh_host_free(h);
	return rc;
}

const struct hookctl_verb hookctl_devices_verb = {
	.name = "devices",
	.summary = "every PCI function by IOMMU group, and whether each group can be passed whole",
	.args = "",
	.details =
		"For each IOMMU group: its devices with driver, reset methods, the VMs whose\n"
		"config passes them and the running VM that holds them, and the verdict: the group\n"
		"can be passed whole, or which device on a host driver shares it.\n",
	.options = VH_OPT_ROOT | VH_OPT_JSON,
	.min_args = 0,
	.max_args = 0,
	.run = run,
};
