/*
 * What each kind of hostpci entry means, as qemu-server's PCI.pm decides it
 * (parse_hostpci, parse_hostpci_devices, choose_hostpci_devices) — the rules
 * of the VM's entries, judged after the devices are known:
 *
 *   - the Code 43 rules (machine-i440fx, bios-seabios, rombar-enabled) are
 *     about the NVIDIA display driver failing (Code 43 is how Windows says
 *     it; a Linux guest's driver says RmInitAdapter failed): display-class devices passed as
 *     ordinary devices, not a NIC or an HBA, not a legacy IGD (which needs
 *     i440fx and its ROM), not an mdev (a vGPU is no passed-through card);
 *   - legacy-igd=1 has rules of its own (legacy-igd-invalid);
 *   - mdev= needs the type on the parent (mdev-unavailable).
 */
#include "internal.h"
#include "eval/checks.h"
#include "host/host.h"
#include "host/iommu.h"
#include "host/system.h"
#include "pve/ownership.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_display(const struct vh_device *d)
{
	return (d->class_code >> 16) == 0x03;
}

/* A display device the VM gets as an ordinary passed-through device; an
 * NVIDIA one (Code 43 is its driver's) before any other. */
static const struct vh_vm_device *first_ordinary_display(const struct vh_report *r)
{
	const struct vh_vm_device *other = NULL;
	for (size_t i = 0; i < r->n_devices; i++) {
		const struct vh_vm_device *vd = &r->devices[i];
		const struct vh_hostpci *pci = vh_report_hostpci(r, vd->hostpci_index);
		if (!vd->dev || !vd->dev->present || !is_display(vd->dev) ||
		    vd->role == VH_ROLE_MDEV_PARENT || (pci && pci->legacy_igd))
			continue;
		if (vd->dev->vendor == 0x10de)
			return vd;
		other = other ? other : vd;
	}
	return other;
}

bool vh_guest_linux(const struct vh_vmconf *vm)
{
	return !strcmp(vm->ostype, "l26") || !strcmp(vm->ostype, "l24");
}

bool vh_guest_windows(const struct vh_vmconf *vm)
{
	return vm->ostype[0] == 'w'; /* wxp, w2k, w2k3, w2k8, wvista, win7 .. win11 */
}

const char *vh_nvidia_failure(const struct vh_vmconf *vm)
{
	if (vh_guest_windows(vm))
		return "the NVIDIA driver in Windows stops the card with Code 43";
	if (vh_guest_linux(vm))
		return "the NVIDIA Linux driver fails to initialise the card (\"NVRM: RmInitAdapter "
		       "failed\", nvidia-smi: \"No devices were found\")";
	return "the NVIDIA driver fails to initialise the card (Windows: Code 43; Linux: "
	       "RmInitAdapter failed)";
}

void vh_check_code43(struct vh_eval *ev)
{
	const struct vh_vmconf *vm = &ev->r->vm;
	const struct vh_vm_device *gpu = first_ordinary_display(ev->r);
	char fix[128];
	if (!gpu)
		return;
	/* errors for NVIDIA, whose driver then fails (in the guest's words);
	 * for AMD or Intel a better setup, not a failed start, and no NVIDIA
	 * words for their cards */
	bool nvidia = gpu->dev->vendor == 0x10de;
	enum vh_severity sev = nvidia ? VH_SEV_ERROR : VH_SEV_WARN;
	if (vm->machine == VH_MACHINE_I440FX) {
		snprintf(fix, sizeof(fix), "qm set %u -machine q35", vm->vmid);
		vh_eval_finding_as(ev, VH_F_MACHINE_I440FX, sev, "machine", fix,
				   "VM %u passes display device %s on the i440fx chipset (%s): %s%s",
				   vm->vmid, gpu->dev->name,
				   vm->machine_raw[0] ? vm->machine_raw : "no machine key",
				   nvidia ? vh_nvidia_failure(vm)
					  : "the card sits on a conventional PCI bus",
				   ", and PCIe passthrough (pcie=1) needs q35");
	}
	if (vm->bios == VH_BIOS_SEABIOS) {
		snprintf(fix, sizeof(fix), "qm set %u -bios ovmf", vm->vmid);
		vh_eval_finding_as(ev, VH_F_BIOS_SEABIOS, sev, "bios", fix,
				   "VM %u passes display device %s and boots SeaBIOS: %s%s",
				   vm->vmid, gpu->dev->name, nvidia ? vh_nvidia_failure(vm) : "",
				   nvidia ? "; a passed-through GPU is initialised by OVMF (UEFI)"
					  : "a passed-through GPU's UEFI option ROM runs only under "
					    "OVMF (UEFI), the firmware passthrough is made for");
	}
}

/* ---- legacy IGD ---- */

/* The first device an entry brought into the VM (NULL if none). */
static const struct vh_vm_device *entry_first_device(const struct vh_report *r, int index)
{
	for (size_t i = 0; i < r->n_devices; i++)
		if (r->devices[i].hostpci_index == index)
			return &r->devices[i];
	return NULL;
}

/* How many functions an entry names on this host. */
static size_t entry_functions(struct vh_eval *ev, const struct vh_hostpci *pci)
{
	size_t n = 0;
	for (size_t i = 0; i < pci->n_addrs; i++) {
		struct vh_pci_addr funcs[8];
		n += pci->addrs[i].has_func ? 1
					    : vh_device_functions(ev->h, &pci->addrs[i], funcs, 8);
	}
	return n;
}

static void igd_rule(struct vh_eval *ev, const struct vh_hostpci *pci, const char *fix,
		     const char *rule)
{
	char key[16];
	snprintf(key, sizeof(key), "hostpci%d", pci->index);
	vh_eval_finding(ev, VH_F_LEGACY_IGD_INVALID, key, fix,
			"%s has legacy-igd=1, but %s (qemu-server refuses this start)", key, rule);
}

static void check_one_igd(struct vh_eval *ev, const struct vh_hostpci *pci, bool *seen)
{
	const struct vh_vmconf *vm = &ev->r->vm;
	const struct vh_vm_device *first = entry_first_device(ev->r, pci->index);
	size_t n = entry_functions(ev, pci); /* as qemu-server's lspci of the entry */
	char fix[160];
	snprintf(fix, sizeof(fix), "qm set %u -vga none", vm->vmid);
	if (*seen)
		igd_rule(ev, pci, NULL, "only one device can be assigned in legacy-igd mode");
	*seen = true;
	if (strcmp(vm->vga, "none"))
		igd_rule(ev, pci, fix, "legacy IGD assignment requires 'vga: none'");
	if (!pci->rombar)
		igd_rule(ev, pci, NULL,
			 "legacy IGD assignment requires the ROM BAR (rombar=0 is set)");
	if (pci->x_vga)
		igd_rule(ev, pci, NULL, "legacy IGD assignment is not compatible with x-vga");
	if (pci->mdev[0])
		igd_rule(ev, pci, NULL, "legacy IGD assignment is not compatible with mdev");
	snprintf(fix, sizeof(fix), "qm set %u -machine pc", vm->vmid);
	if (vm->machine == VH_MACHINE_Q35)
		igd_rule(ev, pci, fix, "legacy IGD assignment is not compatible with q35");
	if (n > 1)
		igd_rule(ev, pci, NULL,
			 "legacy IGD assignment is not compatible with multifunction "
			 "devices");
	if (pci->n_alternatives > 1)
		igd_rule(ev, pci, NULL,
			 "legacy IGD assignment is not compatible with alternate devices");
	/* qemu-server tests the first device's full id against /02\.0$/ */
	if (first && (first->addr.dev != 0x02 || first->addr.func != 0))
		igd_rule(ev, pci, NULL,
			 "legacy IGD assignment only works for the device at 00:02.0");
}

void vh_check_legacy_igd(struct vh_eval *ev)
{
	bool seen = false;
	for (size_t i = 0; i < ev->r->vm.n_hostpci; i++)
		if (ev->r->vm.hostpci[i].legacy_igd)
			check_one_igd(ev, &ev->r->vm.hostpci[i], &seen);
}

/* ---- x-vga ---- */

/* qemu-server adds x-vga=on to an entry's first device unless the VM boots OVMF;
 * vfio-pci offers the VGA region (index 8) only for a VGA controller (class
 * 0x0300), so QEMU fails on anything else: "failed getting region info for VGA
 * region index 8: Invalid argument" (tests/kernel nested-start, an e1000e). */
void vh_check_x_vga(struct vh_eval *ev)
{
	const struct vh_vmconf *vm = &ev->r->vm;
	if (vm->bios == VH_BIOS_OVMF)
		return;
	for (size_t i = 0; i < vm->n_hostpci; i++) {
		const struct vh_hostpci *pci = &vm->hostpci[i];
		if (!pci->x_vga || pci->mdev[0] || pci->legacy_igd)
			continue; /* legacy-igd-invalid judges x-vga on a legacy IGD */
		const struct vh_vm_device *first = entry_first_device(ev->r, pci->index);
		if (!first || !first->dev || !first->dev->present)
			continue;
		const struct vh_device *d = first->dev;
		if ((d->class_code >> 8) == 0x0300)
			continue;
		char fix[96];
		snprintf(fix, sizeof(fix), "qm set %u -hostpci%d <the same entry without x-vga=1>",
			 vm->vmid, pci->index);
		vh_eval_finding(
			ev, VH_F_X_VGA_NOT_VGA, d->name, fix,
			"hostpci%d has x-vga=1, but %s is not a VGA controller (class %06x): vfio-pci "
			"has no VGA region for it and QEMU refuses the device",
			pci->index, d->name, d->class_code);
	}
}

/* ---- mdev (Intel GVT-g, NVIDIA vGPU) ---- */

static bool read_number(struct vh_eval *ev, const char *dev, const char *rel, const char *type,
			long long *out)
{
	char path[PATH_MAX], buf[64];
	uint64_t v;
	if (vh_host_path(ev->h, path, sizeof(path), "/sys/bus/pci/devices/%s/%s%s", dev, rel,
			 type) < 0 ||
	    vh_read_attr(path, buf, sizeof(buf)) < 0 ||
	    vh_parse_uint(buf, strlen(buf), INT32_MAX, &v) < 0)
		return false;
	*out = (long long)v;
	return true;
}

static bool device_has(struct vh_host *h, const char *dev, const char *rel)
{
	char path[PATH_MAX];
	return vh_host_path(h, path, sizeof(path), "/sys/bus/pci/devices/%s/%s", dev, rel) == 0 &&
	       vh_path_exists(path);
}

/* NVIDIA's vGPU on kernels 6.8+: nvidia/current_vgpu_type and a
 * creatable_vgpu_types table of "ID : name" lines. */
static const char *nvidia_type_problem(struct vh_eval *ev, const char *dev, unsigned long model)
{
	char path[PATH_MAX], *text;
	long long current;
	if (!read_number(ev, dev, "nvidia/current_vgpu_type", "", &current))
		return "it has no nvidia/current_vgpu_type (no NVIDIA vGPU sysfs API)";
	if (current == (long long)model)
		return NULL;
	if (vh_host_path(ev->h, path, sizeof(path),
			 "/sys/bus/pci/devices/%s/nvidia/creatable_vgpu_types", dev) < 0 ||
	    vh_slurp(path, 1u << 16, &text, NULL) < 0)
		return "its nvidia/creatable_vgpu_types cannot be read";
	bool found = false;
	for (char *l = text; l && *l && !found; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		uint64_t id;
		size_t n = strspn(l, "0123456789");
		if (n && vh_parse_uint(l, n, UINT32_MAX, &id) == 0 && id == model)
			found = true;
	}
	free(text);
	return found ? NULL : "the type is not among its creatable vGPU types";
}

/* The mdev_supported_types/<type> of a classic mdev parent, or the VM's own
 * instance already created there (qemu-server then reuses it). */
static const char *mdev_type_problem(struct vh_eval *ev, const struct vh_vm_device *vd,
				     const struct vh_hostpci *pci)
{
	const char *type = pci->mdev;
	const char *dev = vd->dev->name;
	char rel[256], uuid[64];
	long long avail;
	if (!device_has(ev->h, dev, "mdev_supported_types"))
		return "the device offers no mediated device types (no mdev_supported_types)";
	snprintf(rel, sizeof(rel), "mdev_supported_types/%s", type);
	if (!device_has(ev->h, dev, rel))
		return "the device has no such mdev type";
	snprintf(uuid, sizeof(uuid), "%08d-0000-0000-0000-%012u", pci->index, ev->r->vmid);
	if (device_has(ev->h, dev, uuid))
		return NULL;
	snprintf(rel, sizeof(rel), "mdev_supported_types/%s/", type);
	if (!read_number(ev, dev, rel, "available_instances", &avail))
		return "its available_instances cannot be read";
	return avail < 1 ? "the type has no available instance left" : NULL;
}

static const char *mdev_problem(struct vh_eval *ev, const struct vh_hostpci *pci,
				const struct vh_vm_device *vd)
{
	unsigned long model;
	if (entry_functions(ev, pci) > 1)
		return "a mediated device cannot use a multifunction device";
	if (vh_mdev_is_nvidia(ev->h, pci, &model))
		return nvidia_type_problem(ev, vd->dev->name, model);
	return mdev_type_problem(ev, vd, pci);
}

static void check_mdev_entry(struct vh_eval *ev, const struct vh_hostpci *pci)
{
	const struct vh_vm_device *vd = NULL;
	for (size_t i = 0; i < ev->r->n_devices && !vd; i++)
		if (pci->n_addrs && vh_pci_addr_equal(&ev->r->devices[i].addr, &pci->addrs[0]))
			vd = &ev->r->devices[i];
	if (!vd || !vd->dev || !vd->dev->present)
		return; /* device-missing says it */
	char key[16], fix[256];
	snprintf(key, sizeof(key), "hostpci%d", pci->index);
	snprintf(fix, sizeof(fix),
		 "ls /sys/bus/pci/devices/%s/mdev_supported_types/   # pick an "
		 "available type, then: qm set %u -hostpci%d %s,mdev=<type>",
		 vd->dev->name, ev->r->vmid, pci->index, vd->dev->name);
	const char *why = mdev_problem(ev, pci, vd);
	if (!why) {
		vh_eval_passed(ev, VH_TOPIC_DRIVERS,
			       "%s: mdev type %s is available on %s, which stays "
			       "on its host driver",
			       key, pci->mdev, vd->dev->name);
		return;
	}
	vh_eval_finding(ev, VH_F_MDEV_UNAVAILABLE, key, fix,
			"%s asks for mdev type '%s' on %s, but %s", key, pci->mdev, vd->dev->name,
			why);
}

void vh_check_mdev_entries(struct vh_eval *ev)
{
	for (size_t i = 0; i < ev->r->vm.n_hostpci; i++)
		if (ev->r->vm.hostpci[i].mdev[0])
			check_mdev_entry(ev, &ev->r->vm.hostpci[i]);
}
