/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The report as the contract's JSON object and as the admin's text. */
#include "internal.h"
#include "eval/checks.h"
#include "view/view.h"

#include <string.h>

#include <json-c/json.h>

static json_object *hostpci_json(const struct vh_report *r, const struct vh_hostpci *pci)
{
	json_object *o = json_object_new_object(), *devs = json_object_new_array();
	char key[16];
	snprintf(key, sizeof(key), "hostpci%d", pci->index);
	json_object_object_add(o, "key", json_object_new_string(key));
	for (size_t i = 0; i < r->n_devices; i++) {
		if (r->devices[i].hostpci_index != pci->index)
			continue;
		char name[VH_PCI_ADDR_STRLEN];
		vh_pci_addr_format(&r->devices[i].addr, name);
		json_object_array_add(devs, json_object_new_string(name));
	}
	json_object_object_add(o, "devices", devs);
	json_object_object_add(o, "pcie", json_object_new_boolean(pci->pcie));
	json_object_object_add(o, "rombar", json_object_new_boolean(pci->rombar));
	json_object_object_add(o, "x_vga", json_object_new_boolean(pci->x_vga));
	json_object_object_add(o, "mapping",
			       pci->has_mapping ? json_object_new_string(pci->mapping) : NULL);
	return o;
}

static const char *machine_name(enum vh_machine m)
{
	return m == VH_MACHINE_Q35 ? "q35" : m == VH_MACHINE_VIRT ? "virt" : "i440fx";
}

static json_object *vm_json(const struct vh_report *r)
{
	if (!r->vm_loaded)
		return NULL;
	const struct vh_vmconf *vm = &r->vm;
	json_object *o = json_object_new_object(), *list = json_object_new_array();
	json_object_object_add(o, "machine", json_object_new_string(machine_name(vm->machine)));
	json_object_object_add(o, "bios",
			       json_object_new_string(vm->bios == VH_BIOS_OVMF ? "ovmf"
									       : "seabios"));
	json_object_object_add(o, "efidisk", json_object_new_boolean(vm->has_efidisk));
	json_object_object_add(o, "memory_mib", json_object_new_int64((int64_t)vm->memory_mib));
	for (size_t i = 0; i < vm->n_hostpci; i++)
		json_object_array_add(list, hostpci_json(r, &vm->hostpci[i]));
	json_object_object_add(o, "hostpci", list);
	return o;
}

json_object *vh_unjudged_json(const struct vh_unjudged *list, size_t n)
{
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		json_object *u = json_object_new_object();
		json_object_object_add(u, "check", json_object_new_string(list[i].check));
		json_object_object_add(u, "why", json_object_new_string(list[i].why));
		json_object_array_add(arr, u);
	}
	return arr;
}

json_object *vh_findings_json(const struct vh_finding *list, size_t n)
{
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(arr, vh_finding_json(&list[i])); /* eval/findings.c */
	return arr;
}

json_object *vh_report_to_json(const struct vh_report *r)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "vmid", json_object_new_int64(r->vmid));
	json_object_object_add(o, "verdict",
			       json_object_new_string(vh_report_blocks(r) ? "block" : "allow"));
	json_object_object_add(o, "vm", vm_json(r));
	json_object_object_add(o, "findings", vh_findings_json(r->findings, r->n_findings));
	json_object_object_add(o, "unjudged", vh_unjudged_json(r->unjudged, r->n_unjudged));
	return o;
}

/* ---- text ---- */

static const char *const topic_titles[] = {
	[VH_TOPIC_HOST] = "Host",
	[VH_TOPIC_IOMMU] = "IOMMU",
	[VH_TOPIC_DRIVERS] = "Drivers and modules",
	[VH_TOPIC_DEVICE] = "Device health",
	[VH_TOPIC_VM] = "VM settings",
	[VH_TOPIC_GUEST] = "Inside the guest",
};

static const char *mark(enum vh_severity s)
{
	switch (s) {
	case VH_SEV_ERROR:
		return "[FAIL]";
	case VH_SEV_WARN:
		return "[WARN]";
	default:
		return "[info]";
	}
}

void vh_print_finding(FILE *out, const struct vh_finding *f)
{
	fprintf(out, "  %s %s: %s\n", mark(f->severity), f->id, f->message);
	if (f->fix[0])
		fprintf(out, "         fix: %s\n", f->fix);
}

void vh_print_unjudged(FILE *out, const struct vh_unjudged *list, size_t n)
{
	/* Its own state, neither ticked nor failed: the admin may know what the
	 * tool could not read. */
	if (n)
		fprintf(out, "\nNot judged\n");
	for (size_t i = 0; i < n; i++)
		fprintf(out, "  [ ?? ] %s: not judged: %s\n", list[i].check, list[i].why);
}

static void print_devices(const struct vh_report *r, FILE *out)
{
	for (size_t i = 0; i < r->n_devices; i++) {
		const struct vh_device *d = r->devices[i].dev;
		if (!d || !d->present) {
			char name[VH_PCI_ADDR_STRLEN];
			vh_pci_addr_format(&r->devices[i].addr, name);
			fprintf(out, "  hostpci%d  %s  (not on this host)\n",
				r->devices[i].hostpci_index, name);
			continue;
		}
		fprintf(out, "  hostpci%d  %s  [%04x:%04x] %s\n", r->devices[i].hostpci_index,
			d->name, d->vendor, d->device, d->description[0] ? d->description : "");
		char group[16] = "(none)";
		if (d->iommu_group >= 0)
			snprintf(group, sizeof(group), "%d", d->iommu_group);
		fprintf(out, "             driver %s, IOMMU group %s\n",
			d->driver[0] ? d->driver : "(none)", group);
	}
}

void vh_report_print(const struct vh_report *r, FILE *out)
{
	fprintf(out, "VM %u", r->vmid);
	if (r->vm_loaded)
		fprintf(out, ": %s, %s%s, %llu MiB, %zu hostpci entr%s\n",
			machine_name(r->vm.machine),
			r->vm.bios == VH_BIOS_OVMF ? "OVMF" : "SeaBIOS",
			r->vm.bios == VH_BIOS_OVMF
				? (r->vm.has_efidisk ? " with efidisk" : " without efidisk")
				: "",
			(unsigned long long)r->vm.memory_mib, r->vm.n_hostpci,
			r->vm.n_hostpci == 1 ? "y" : "ies");
	else
		fprintf(out, ": config not readable\n");
	print_devices(r, out);
	for (size_t t = 0; t < VH_ARRAY_SIZE(topic_titles); t++) {
		bool header = false;
		for (size_t i = 0; i < r->n_passed; i++) {
			if (r->passed[i].topic != t)
				continue;
			if (!header)
				fprintf(out, "\n%s\n", topic_titles[t]);
			header = true;
			fprintf(out, "  [ ok ] %s\n", r->passed[i].text);
		}
		for (size_t i = 0; i < r->n_findings; i++) {
			const struct vh_finding *f = &r->findings[i];
			if (f->topic != t)
				continue;
			if (!header)
				fprintf(out, "\n%s\n", topic_titles[t]);
			header = true;
			vh_print_finding(out, f);
		}
	}
	vh_print_unjudged(out, r->unjudged, r->n_unjudged);
	size_t e = vh_report_count(r, VH_SEV_ERROR), w = vh_report_count(r, VH_SEV_WARN);
	fprintf(out, "\nVerdict: %s (%zu error%s, %zu warning%s",
		e ? "the start would be BLOCKED" : "the start would be allowed", e,
		e == 1 ? "" : "s", w, w == 1 ? "" : "s");
	if (r->n_unjudged)
		fprintf(out, ", %zu not judged", r->n_unjudged);
	fprintf(out, ")\n");
}
