/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hookctl inventory: this node's passthrough facts, and their publication
 * on the cluster file system for `hookctl where` on every node. */
#include "hookctl.h"

#include <stdio.h>

#include <json-c/json.h>
#include <vfiohelp.h>

static int publish(struct vh_host *h, const struct vh_inventory *inv)
{
	struct vh_err err;
	enum vh_publish res;
	if (vh_inventory_publish(h, inv, &res, &err) < 0) {
		fprintf(stderr, "hookctl inventory: not published: %s\n", err.msg);
		return HOOKCTL_BLOCKED;
	}
	if (res == VH_PUBLISH_NO_QUORUM) {
		fprintf(stderr, "hookctl inventory: not published: no quorum (/etc/pve is "
				"read-only until this node is back in the quorate part of the "
				"cluster: pvecm status)\n");
		return HOOKCTL_BLOCKED;
	}
	fprintf(stderr, "hookctl inventory: %s\n",
		res == VH_PUBLISHED ? "published" : "unchanged: not written again");
	return HOOKCTL_OK;
}

static int run(const struct hookctl_verb *v, const struct vh_cli *cli)
{
	(void)v;
	struct vh_err err;
	struct vh_host *h = vh_host_new(cli->root, &err);
	struct vh_inventory *inv = h ? vh_inventory_take(h, &err) : NULL;
	if (!inv) {
		fprintf(stderr, "hookctl inventory: %s\n", err.msg);
		vh_host_free(h);
		return HOOKCTL_USAGE;
	}
	int rc = HOOKCTL_OK;
	if (cli->json) {
		json_object *o = vh_inventory_to_json(inv);
		rc = hookctl_print_json(o);
		json_object_put(o);
	} else if (!cli->publish) {
		vh_inventory_print(inv, stdout);
	}
	if (rc == HOOKCTL_OK && cli->publish)
		rc = publish(h, inv);
	vh_inventory_free(inv);
	vh_host_free(h);
	return rc;
}

const struct hookctl_verb hookctl_inventory_verb = {
	.name = "inventory",
	.summary = "this node's passthrough facts, published for `hookctl where` on every node",
	.args = "",
	.details =
		"Node name, kernel, boot id, IOMMU and interrupt remapping, vfio modules, every\n"
		"PCI function (ids, class, IOMMU group, driver, reset methods, boot VGA, SR-IOV,\n"
		"mdev types, the VM holding it) and the setup findings. --publish writes them to\n"
		"/etc/pve/nodes/NODE/vfiohelp-inventory.json (temporary file, then rename) when\n"
		"they changed; exit 1 when it cannot (no quorum, over 1 MiB, no /etc/pve).\n",
	.options = VH_OPT_ROOT | VH_OPT_JSON | VH_OPT_PUBLISH,
	.min_args = 0,
	.max_args = 0,
	.run = run,
};
