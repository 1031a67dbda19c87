/*
 * The node's inventory, published by the hook when it changed: after
 * pre-start and post-stop, the phases that move devices between drivers,
 * still under the hook's lock. It never changes the phase's verdict and
 * never writes to the task log: a node without /etc/pve/nodes/NODE or
 * without quorum keeps its old inventory, and the hook log says why. When
 * nothing changed it writes nothing (cluster/publish.c compares first).
 */
#include "internal.h"
#include "cluster/inventory.h"
#include "hook/phase.h"
#include "host/host.h"
#include "host/kmods.h"

#include <stdio.h>

static void note(struct hook *hk, const char *what, const char *why)
{
	char line[1200];
	snprintf(line, sizeof(line), "vfio-hook: inventory %s%s%s", what, why ? ": " : "",
		 why ? why : "");
	json_object_array_add(hk->lines, json_object_new_string(line));
}

void vh_hook_publish(struct hook *hk)
{
	struct vh_err e;
	enum vh_publish res;
	/* the phase moved devices and loaded modules: read them afresh */
	vh_host_forget_devices(hk->h);
	vh_kmods_forget_loaded(hk->h);
	struct vh_inventory *inv = vh_inventory_take(hk->h, &e);
	if (!inv || vh_inventory_publish(hk->h, inv, &res, &e) < 0)
		note(hk, "not published", e.msg);
	else if (res == VH_PUBLISH_NO_QUORUM)
		note(hk, "not published", "no quorum (/etc/pve is read-only)");
	else if (res == VH_PUBLISHED)
		note(hk, "published", NULL);
	vh_inventory_free(inv);
}
