/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A Windows guest's own account (probe.h): Device Manager's problem code of
 * each PCI device (Get-PnpDevice's ConfigManagerErrorCode, the value
 * Win32_PnPEntity documents; Code 43 is CM_PROB_FAILED_POST_START) and the
 * firmware type, asked through PowerShell as JSON. Parsed from the shape
 * ConvertTo-Json documents; not yet seen on a real Windows guest.
 */
#include "internal.h"
#include "base/array.h"
#include "guest/probe.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

static const char windows_script[] =
	"$ErrorActionPreference='SilentlyContinue';"
	"$d=@(Get-PnpDevice -PresentOnly | Where-Object { $_.InstanceId -like 'PCI\\*' } | "
	"Select-Object InstanceId,FriendlyName,Status,Problem,ConfigManagerErrorCode,Service);"
	"$sb=$null; try { $sb=Confirm-SecureBootUEFI } catch {};"
	"[pscustomobject]@{firmware=$env:firmware_type;secure_boot=$sb;devices=$d} | "
	"ConvertTo-Json -Depth 3 -Compress";

const char *const vh_probe_windows_argv[] = { "powershell.exe", "-NoProfile",   "-NonInteractive",
					      "-Command",       windows_script, NULL };

static const struct {
	int code;
	const char *name;
} problems[] = {
	{ 1, "Code 1 (CM_PROB_NOT_CONFIGURED: the device is not configured correctly)" },
	{ 3, "Code 3 (CM_PROB_OUT_OF_MEMORY: the driver may be corrupted)" },
	{ 10, "Code 10 (CM_PROB_FAILED_START: the device cannot start)" },
	{ 12, "Code 12 (CM_PROB_NORMAL_CONFLICT: not enough free resources)" },
	{ 14, "Code 14 (CM_PROB_NEED_RESTART: restart the guest)" },
	{ 18, "Code 18 (CM_PROB_REINSTALL: reinstall the driver)" },
	{ 22, "Code 22 (CM_PROB_DISABLED: the device is disabled)" },
	{ 24, "Code 24 (CM_PROB_DEVICE_NOT_THERE: not present or not working)" },
	{ 28, "Code 28 (CM_PROB_FAILED_INSTALL: no driver is installed)" },
	{ 31, "Code 31 (CM_PROB_FAILED_ADD: the driver could not be loaded)" },
	{ 39, "Code 39 (CM_PROB_DRIVER_FAILED_LOAD: the driver is corrupted or missing)" },
	{ 43, "Code 43 (CM_PROB_FAILED_POST_START: Windows stopped the device because it "
	      "reported problems)" },
	{ 52, "Code 52 (CM_PROB_UNSIGNED_DRIVER: the driver's signature cannot be verified)" },
};

const char *vh_probe_windows_problem_name(int code)
{
	static _Thread_local char other[48];
	for (size_t i = 0; i < VH_ARRAY_SIZE(problems); i++)
		if (problems[i].code == code)
			return problems[i].name;
	snprintf(other, sizeof(other), "Code %d", code);
	return other;
}

static const char *str_field(json_object *o, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : "";
}

/* "PCI\VEN_10DE&DEV_2803&SUBSYS_...\4&..." */
static bool instance_ids(const char *id, uint16_t *vendor, uint16_t *device)
{
	const char *v = strcasestr(id, "VEN_"), *d = strcasestr(id, "DEV_");
	uint64_t vv, dd;
	if (strncasecmp(id, "PCI\\", 4) || !v || !d || vh_parse_hex(v + 4, 4, 0xffff, &vv) < 0 ||
	    vh_parse_hex(d + 4, 4, 0xffff, &dd) < 0)
		return false;
	*vendor = (uint16_t)vv;
	*device = (uint16_t)dd;
	return true;
}

static int problem_code(json_object *o)
{
	json_object *v;
	if (json_object_object_get_ex(o, "ConfigManagerErrorCode", &v) &&
	    json_object_is_type(v, json_type_int))
		return (int)json_object_get_int64(v);
	/* Get-PnpDevice's Problem is an enum: ConvertTo-Json writes its number */
	if (json_object_object_get_ex(o, "Problem", &v) && json_object_is_type(v, json_type_int))
		return (int)json_object_get_int64(v);
	return -1;
}

static int add_device(json_object *o, struct guest_facts *f, struct vh_err *err)
{
	uint16_t vendor, device;
	if (!json_object_is_type(o, json_type_object) ||
	    !instance_ids(str_field(o, "InstanceId"), &vendor, &device))
		return 0; /* not a PCI device */
	if (VH_ARRAY_ROOM(f->pci, f->cap_pci, f->n_pci) < 0)
		return vh_failc(err, ENOMEM, "out of memory");
	struct guest_pci *p = &f->pci[f->n_pci++];
	memset(p, 0, sizeof(*p));
	p->vendor = vendor;
	p->device = device;
	p->problem = problem_code(o);
	vh_strlcpy(p->name, str_field(o, "FriendlyName"), sizeof(p->name));
	vh_sanitize(p->name);
	/* a started device has its driver service; Code 28 has none */
	if (p->problem == 0 || !strcmp(str_field(o, "Status"), "OK"))
		vh_strlcpy(p->driver, *str_field(o, "Service") ? str_field(o, "Service") : "ok",
			   sizeof(p->driver));
	vh_sanitize(p->driver);
	return 0;
}

/* Our wrapper {"firmware", "secure_boot", "devices"}, or Get-PnpDevice's
 * own ConvertTo-Json: an array of devices, or one object when there is one. */
int vh_probe_windows_parse(const char *out, struct guest_facts *f, struct vh_err *err)
{
	json_object *root = json_tokener_parse(out), *devs = NULL, *v;
	if (!root)
		return vh_failc(err, EPROTO, "the guest's PowerShell printed no JSON: %.80s", out);
	if (json_object_is_type(root, json_type_object) &&
	    json_object_object_get_ex(root, "devices", &devs)) {
		const char *fw = str_field(root, "firmware");
		f->firmware = !strcasecmp(fw, "UEFI")     ? VH_GUEST_FW_UEFI
			      : !strcasecmp(fw, "Legacy") ? VH_GUEST_FW_BIOS
							  : VH_GUEST_FW_UNKNOWN;
		if (json_object_object_get_ex(root, "secure_boot", &v) &&
		    json_object_is_type(v, json_type_boolean))
			f->secure_boot = json_object_get_boolean(v);
		else if (f->firmware == VH_GUEST_FW_BIOS)
			f->secure_boot = 0;
	} else {
		devs = root;
	}
	int rc = 0;
	if (json_object_is_type(devs, json_type_array)) {
		for (size_t i = 0; rc == 0 && i < json_object_array_length(devs); i++)
			rc = add_device(json_object_array_get_idx(devs, i), f, err);
	} else if (devs) {
		rc = add_device(devs, f, err);
	}
	json_object_put(root);
	return rc;
}
