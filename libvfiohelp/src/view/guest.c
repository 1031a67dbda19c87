/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hookctl guest's report: product.md's JSON object and the admin's text.
 */
#include "internal.h"
#include "guest/guest.h"
#include "view/view.h"

#include <string.h>

#include <json-c/json.h>

static json_object *str_or_null(const char *s)
{
	return s && s[0] ? json_object_new_string(s) : NULL;
}

static const char *state_name(enum vh_guest_dev_state s)
{
	switch (s) {
	case VH_GUEST_DEV_OK:
		return "ok";
	case VH_GUEST_DEV_MISSING:
		return "missing";
	case VH_GUEST_DEV_NO_DRIVER:
		return "no-driver";
	case VH_GUEST_DEV_PROBLEM:
		return "problem";
	case VH_GUEST_DEV_UNKNOWN:
		break;
	}
	return NULL; /* not asked: JSON null */
}

static const char *firmware_name(enum vh_guest_firmware f)
{
	return f == VH_GUEST_FW_UEFI ? "uefi" : f == VH_GUEST_FW_BIOS ? "bios" : NULL;
}

static json_object *guest_json(const struct vh_guest_report *r)
{
	json_object *g = json_object_new_object();
	json_object_object_add(g, "os", str_or_null(r->os));
	json_object_object_add(g, "kernel", str_or_null(r->kernel));
	json_object_object_add(g, "family", str_or_null(r->family));
	json_object_object_add(g, "firmware", str_or_null(firmware_name(r->firmware)));
	json_object_object_add(g, "secure_boot",
			       r->secure_boot < 0 ? NULL : json_object_new_boolean(r->secure_boot));
	return g;
}

static json_object *devices_json(const struct vh_guest_report *r)
{
	json_object *list = json_object_new_array();
	for (size_t i = 0; i < r->n_devices; i++) {
		const struct vh_guest_device *d = &r->devices[i];
		json_object *o = json_object_new_object();
		char id[16];
		snprintf(id, sizeof(id), "%04x:%04x", d->vendor, d->device);
		json_object_object_add(o, "host", json_object_new_string(d->host));
		json_object_object_add(o, "vendor_device", json_object_new_string(id));
		json_object_object_add(o, "guest_address", str_or_null(d->guest_address));
		json_object_object_add(o, "driver", str_or_null(d->driver));
		json_object_object_add(o, "state", str_or_null(state_name(d->state)));
		json_object_array_add(list, o);
	}
	return list;
}

static json_object *probes_json(const struct vh_guest_report *r)
{
	json_object *list = json_object_new_array();
	for (size_t i = 0; i < r->n_probes; i++) {
		const struct vh_guest_probe *p = &r->probes[i];
		json_object *o = json_object_new_object(), *argv = json_object_new_array();
		char name[256];
		vh_guest_probe_name(p, name, sizeof(name));
		for (size_t j = 0; p->argv[j]; j++)
			json_object_array_add(argv, json_object_new_string(p->argv[j]));
		json_object_object_add(o, "name", json_object_new_string(name));
		json_object_object_add(o, "argv", argv);
		json_object_object_add(o, "exit",
				       p->exit < 0 ? NULL : json_object_new_int(p->exit));
		json_object_object_add(o, "output", json_object_new_string(p->output));
		json_object_array_add(list, o);
	}
	return list;
}

json_object *vh_guest_to_json(const struct vh_guest_report *r)
{
	json_object *o = json_object_new_object(), *agent = json_object_new_object();
	json_object_object_add(agent, "configured", json_object_new_boolean(r->agent_configured));
	json_object_object_add(agent, "answered", json_object_new_boolean(r->agent_answered));
	json_object_object_add(agent, "exec", json_object_new_boolean(r->agent_exec));
	json_object_object_add(o, "vmid", json_object_new_int64(r->vmid));
	json_object_object_add(o, "verdict",
			       json_object_new_string(vh_guest_verdict_name(r->verdict)));
	json_object_object_add(o, "agent", agent);
	json_object_object_add(o, "guest", guest_json(r));
	json_object_object_add(o, "devices", devices_json(r));
	json_object_object_add(o, "probes", probes_json(r));
	json_object_object_add(o, "findings", vh_findings_json(r->findings, r->n_findings));
	json_object_object_add(o, "unjudged", vh_unjudged_json(r->unjudged, r->n_unjudged));
	return o;
}

/* ---- text ---- */

static void print_guest_line(const struct vh_guest_report *r, FILE *out)
{
	fprintf(out, "VM %u: ", r->vmid);
	if (!r->agent_configured) {
		fprintf(out, "no guest agent configured\n");
		return;
	}
	if (!r->agent_answered) {
		fprintf(out, "the guest agent did not answer\n");
		return;
	}
	fprintf(out, "%s, kernel %s (%s), %s, Secure Boot %s\n", r->os[0] ? r->os : "unknown OS",
		r->kernel[0] ? r->kernel : "unknown", r->family[0] ? r->family : "?",
		r->firmware == VH_GUEST_FW_UEFI   ? "UEFI"
		: r->firmware == VH_GUEST_FW_BIOS ? "BIOS"
						  : "firmware unknown",
		r->secure_boot < 0 ? "unknown"
		: r->secure_boot   ? "on"
				   : "off");
}

static void print_devices(const struct vh_guest_report *r, FILE *out)
{
	for (size_t i = 0; i < r->n_devices; i++) {
		const struct vh_guest_device *d = &r->devices[i];
		const char *st = state_name(d->state);
		fprintf(out, "  hostpci%d  %s  [%04x:%04x]", d->hostpci_index, d->host, d->vendor,
			d->device);
		if (d->guest_address[0])
			fprintf(out, "  in the guest at %s", d->guest_address);
		if (d->driver[0])
			fprintf(out, ", driver %s", d->driver);
		fprintf(out, ": %s\n", st ? st : "not asked");
	}
}

static void print_probes(const struct vh_guest_report *r, FILE *out)
{
	if (r->n_probes)
		fprintf(out, "\nProbes\n");
	for (size_t i = 0; i < r->n_probes; i++) {
		char name[256];
		vh_guest_probe_name(&r->probes[i], name, sizeof(name));
		fprintf(out, "  %s %s", r->probes[i].exit == 0 ? "[ ok ]" : "[FAIL]", name);
		if (r->probes[i].exit >= 0)
			fprintf(out, " (exit %d)", r->probes[i].exit);
		fprintf(out, "\n");
		for (const char *l = r->probes[i].output; *l;) {
			size_t n = strcspn(l, "\n");
			fprintf(out, "         %.*s\n", (int)n, l);
			l += n + (l[n] == '\n');
		}
	}
}

void vh_guest_print(const struct vh_guest_report *r, FILE *out)
{
	print_guest_line(r, out);
	print_devices(r, out);
	print_probes(r, out);
	if (r->n_findings)
		fprintf(out, "\nInside the guest\n");
	for (size_t i = 0; i < r->n_findings; i++)
		vh_print_finding(out, &r->findings[i]);
	vh_print_unjudged(out, r->unjudged, r->n_unjudged);
	fprintf(out, "\nVerdict: %s\n", vh_guest_verdict_name(r->verdict));
}
