/* hookctl devices: every PCI function of the host with its IOMMU group, the
 * seed's "hardware verification" without lspci and shell loops. */
#include "hookctl.h"

#include <stdio.h>

#include <json-c/json.h>
#include <vfiohelp.h>

int hookctl_devices(int argc, char **argv)
{
	struct vh_cli cli;
	if (vh_cli_parse(argc, argv, 2, VH_OPT_ROOT | VH_OPT_JSON, &cli, stderr) < 0)
		return HOOKCTL_USAGE;
	if (cli.nargs != 0) {
		fprintf(stderr, "usage: hookctl devices [--root DIR] [--json]\n");
		return HOOKCTL_USAGE;
	}
	struct vh_err err;
	struct vh_host *h = vh_host_new(cli.root, &err);
	if (h)
		vh_host_want_names(h, true); /* "name" is part of the JSON too */
	struct vh_devices *d = h ? vh_devices_load(h, &err) : NULL;
	if (!d) {
		fprintf(stderr, "hookctl: %s\n", err.msg);
		vh_host_free(h);
		return HOOKCTL_USAGE;
	}
	if (cli.json) {
		json_object *o = vh_devices_to_json(d);
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		vh_devices_print(d, stdout);
	}
	vh_devices_free(d);
	vh_host_free(h);
	return HOOKCTL_OK;
}
