/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hookctl rom ADDRESS: the device's expansion ROM as the kernel gives it, its
 * images, whether it can serve as romfile=, and with --save FILE a copy. */
#include "hookctl.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>
#include <vfiohelp.h>

static int run(const struct hookctl_verb *v, const struct vh_cli *cli)
{
	struct vh_pci_addr a;
	const char *arg = cli->args[0];
	if (vh_pci_addr_parse(arg, strlen(arg), &a) < 0)
		return hookctl_usage_error(v, "'%s' is not a PCI address (0000:01:00.0 or 01:00.0)",
					   arg);
	struct vh_err err;
	struct vh_host *h = vh_host_new(cli->root, &err);
	if (h)
		vh_host_want_names(h, !cli->json);
	struct vh_device_rom *r = h ? vh_device_rom_load(h, &a, &err) : NULL;
	if (!r) {
		fprintf(stderr, "hookctl rom: %s\n", err.msg);
		vh_host_free(h);
		return HOOKCTL_USAGE;
	}
	int rc = vh_device_rom_blocks(r) ? HOOKCTL_BLOCKED : HOOKCTL_OK;
	if (cli->save && vh_device_rom_save(r, cli->save, &err) < 0) {
		fprintf(stderr, "hookctl rom: %s\n", err.msg);
		if (rc == HOOKCTL_OK)
			rc = HOOKCTL_USAGE; /* a usable ROM that could not be written */
	}
	if (cli->json) {
		json_object *o = vh_device_rom_to_json(r);
		if (hookctl_print_json(o) != HOOKCTL_OK)
			rc = HOOKCTL_USAGE;
		json_object_put(o);
	} else {
		vh_device_rom_print(r, stdout);
	}
	vh_device_rom_free(r);
	vh_host_free(h);
	return rc;
}

const struct hookctl_verb hookctl_rom_verb = {
	.name = "rom",
	.summary =
		"read a device's expansion ROM (sysfs rom), list its images, judge it for romfile=",
	.args = "ADDRESS",
	.details = "Enables the ROM through /sys/bus/pci/devices/ADDRESS/rom, reads it (at most\n"
		   "16 MiB) and disables it again; refused while a running VM holds the device.\n"
		   "Lists each image (offset, code type x86/EFI/other, PCIR vendor:device, class,\n"
		   "size, last-image flag, x86 checksum, EFI machine type) and says whether there\n"
		   "is an EFI image (without one OVMF shows nothing before the guest's driver).\n"
		   "--save FILE writes a usable ROM atomically; put it under /usr/share/kvm/ and\n"
		   "name it with romfile= (FILE is taken as given, not under --root).\n"
		   "Exit status: 0 usable, 1 not usable (a finding of severity error), 2 usage\n"
		   "error or the ROM could not be read (no such device, a VM holds it, not root)\n"
		   "or not saved.\n",
	.options = VH_OPT_ROOT | VH_OPT_JSON | VH_OPT_SAVE,
	.min_args = 1,
	.max_args = 1,
	.run = run,
};
