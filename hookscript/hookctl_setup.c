/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hookctl setup VMID [--apply] [--no-vm], setup --undo [ID], setup --list:
 * the seed's host phases and VM settings as a plan of what is missing; with
 * --apply carried out and journaled, with --undo put back byte for byte.
 * The library plans and applies (libvfiohelp/src/setup/); this file only
 * reads the command line and prints.
 */
#include "hookctl.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <vfiohelp.h>

/* The running hookctl, for the `hookctl install` the plan may run. */
static void self_path(char *out, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", out, size - 1);
	out[n > 0 ? n : 0] = '\0';
}

static int plan(const struct hookctl_verb *v, struct vh_host *h, const struct vh_cli *cli)
{
	unsigned vmid;
	if (cli->nargs != 1)
		return hookctl_usage_error(v, "a VMID is needed (or --undo, --list)");
	if (hookctl_vmid_arg(v, cli, 0, &vmid) != HOOKCTL_OK)
		return HOOKCTL_USAGE;
	char self[4096];
	self_path(self, sizeof(self));
	struct vh_setup_options opts = { .with_vm = !cli->no_vm,
					 .firmware = cli->firmware,
					 .hookctl = self };
	struct vh_err err;
	int lock = cli->apply ? vh_setup_lock(h, &err) : -1;
	struct vh_setup *s = !cli->apply || lock >= 0 ? vh_setup_plan(h, vmid, &opts, &err) : NULL;
	if (!s) {
		fprintf(stderr, "hookctl setup: %s\n", err.msg);
		vh_setup_unlock(lock);
		return cli->apply && lock < 0 ? HOOKCTL_BLOCKED : HOOKCTL_USAGE;
	}
	int rc = HOOKCTL_OK;
	if (cli->apply && vh_setup_apply(h, s, &err) < 0) {
		fprintf(stderr, "hookctl setup: %s\n", err.msg);
		rc = HOOKCTL_BLOCKED;
	}
	vh_setup_unlock(lock);
	if (cli->json) {
		json_object *o = vh_setup_to_json(s);
		if (hookctl_print_json(o) != HOOKCTL_OK)
			rc = HOOKCTL_USAGE;
		json_object_put(o);
	} else {
		vh_setup_print(s, stdout);
	}
	vh_setup_free(s);
	return rc;
}

static int undo(const struct hookctl_verb *v, struct vh_host *h, const struct vh_cli *cli)
{
	if (cli->apply || cli->no_vm || cli->json || cli->firmware)
		return hookctl_usage_error(v, "--undo takes only a journal id and --root");
	struct vh_err err;
	int lock = vh_setup_lock(h, &err);
	int rc = lock < 0 ? -1 : vh_setup_undo(h, cli->nargs ? cli->args[0] : NULL, stdout, &err);
	vh_setup_unlock(lock);
	if (rc < 0)
		fprintf(stderr, "hookctl setup --undo: %s\n", err.msg);
	return rc == 0 ? HOOKCTL_OK : rc == -1 ? HOOKCTL_BLOCKED : HOOKCTL_USAGE;
}

static void print_journals(json_object *o)
{
	json_object *arr, *val;
	json_object_object_get_ex(o, "journals", &arr);
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *j = json_object_array_get_idx(arr, i);
		json_object_object_get_ex(j, "id", &val);
		printf("%s", json_object_get_string(val));
		json_object_object_get_ex(j, "state", &val);
		printf("  %s  files:", json_object_get_string(val));
		json_object_object_get_ex(j, "files", &val);
		for (size_t k = 0; k < json_object_array_length(val); k++)
			printf(" %s", json_object_get_string(json_object_array_get_idx(val, k)));
		printf("\n");
	}
}

static int list(const struct hookctl_verb *v, struct vh_host *h, const struct vh_cli *cli)
{
	if (cli->nargs || cli->apply || cli->no_vm)
		return hookctl_usage_error(v, "--list takes no arguments");
	struct vh_err err;
	json_object *o = vh_setup_list(h, &err);
	int rc = HOOKCTL_OK;
	if (cli->json)
		rc = hookctl_print_json(o);
	else
		print_journals(o);
	json_object_put(o);
	return rc;
}

static int run(const struct hookctl_verb *v, const struct vh_cli *cli)
{
	if (cli->undo && cli->list)
		return hookctl_usage_error(v, "--undo and --list exclude each other");
	if (cli->undo && cli->nargs == 1 && !strchr(cli->args[0], '-'))
		return hookctl_usage_error(v,
					   "'%s' is no journal id (hookctl setup --list shows them)",
					   cli->args[0]);
	struct vh_err err;
	struct vh_host *h = vh_host_new(cli->root, &err);
	if (!h) {
		fprintf(stderr, "hookctl setup: %s\n", err.msg);
		return HOOKCTL_USAGE;
	}
	int rc = cli->undo ? undo(v, h, cli) : cli->list ? list(v, h, cli) : plan(v, h, cli);
	vh_host_free(h);
	return rc;
}

const struct hookctl_verb hookctl_setup_verb = {
	.name = "setup",
	.summary =
		"plan (and with --apply carry out) the host setup and VM settings passthrough needs",
	.args = "[VMID|ID]",
	.details =
		"Without --apply prints the plan: only what is missing, each part with its reason:\n"
		"kernel options where this host's boot loader reads them, modules-load.d,\n"
		"modprobe.d (softdeps, vfio-pci ids= no other device shares), update-initramfs,\n"
		"the VM settings check would fix (qm set) and the hookscript. --apply writes the\n"
		"files atomically, runs the commands and keeps a journal in\n"
		"/var/lib/vfiohelp/setup/ID/; a failing step undoes every step before it.\n"
		"--undo [ID] restores a journal byte for byte (refused when a file changed since);\n"
		"--list shows the journals. Under --root no command runs. One setup runs at a\n"
		"time (a lock beside the journals); SIGINT, SIGTERM or SIGHUP during --apply\n"
		"rolls back, and a journal of an apply that died can still be undone.\n"
		"--firmware also plans SeaBIOS -> OVMF (without it the plan says why not:\n"
		"Proxmox's OVMF has no CSM, a guest installed for BIOS no longer boots).\n"
		"Exit status: 0 done or nothing to do, 1 a step failed (undone) or --undo refused,\n"
		"2 usage error or the plan could not be made.\n",
	.options = VH_OPT_ROOT | VH_OPT_JSON | VH_OPT_APPLY | VH_OPT_NO_VM | VH_OPT_UNDO |
		   VH_OPT_LIST | VH_OPT_FIRMWARE,
	.min_args = 0,
	.max_args = 1,
	.run = run,
};
