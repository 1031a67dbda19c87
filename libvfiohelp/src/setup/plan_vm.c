/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The VM part of a setup plan: the settings `check` would fix, planned as
 * `qm set` commands that work on this host and in this guest, in one run.
 * The product never writes a VM config; apply.c runs these commands.
 *
 * - The machine change (i440fx -> q35) brings pcie=1 to every entry in the
 *   same plan (pcie-off only fires once the machine is q35), and says that a
 *   Linux guest's NIC gets another name.
 * - The firmware change (SeaBIOS -> OVMF) is planned only with --firmware:
 *   Proxmox's OVMF has no CSM, so a guest installed for BIOS no longer boots
 *   (proxmox-facts.md, "Settings on an installed guest"). It brings the
 *   efidisk0, on the storage of the VM's own disks, with Secure Boot keys
 *   only where the guest's driver can live with them.
 * - An entry gets rombar=0 and pcie=1 in one value (one qm set per key).
 */
#include "internal.h"
#include "eval/checks.h"
#include "host/host.h"
#include "setup/setup.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *vm_config_text(struct vh_host *h, unsigned vmid)
{
	char path[PATH_MAX], *text = NULL;
	if (vh_host_path(h, path, sizeof(path), "/etc/pve/qemu-server/%u.conf", vmid) < 0 ||
	    vh_slurp(path, 1u << 20, &text, NULL) < 0)
		return NULL;
	return text;
}

bool vh_setup_vm_value(struct vh_host *h, unsigned vmid, const char *key, char *out, size_t size)
{
	char *text = vm_config_text(h, vmid);
	bool found = false;
	size_t kl = strlen(key);
	/* the VM's own section: it ends where the first [snapshot] begins */
	for (char *l = text; l && *l && *l != '[' && !found;) {
		size_t n = strcspn(l, "\n");
		if (n > kl && !strncmp(l, key, kl) && l[kl] == ':') {
			char value[1024];
			snprintf(value, sizeof(value), "%.*s", (int)(n - kl - 1), l + kl + 1);
			found = vh_format(out, size, "%s", vh_strip(value)) >= 0;
		}
		l += n + (l[n] == '\n');
	}
	free(text);
	return found;
}

void vh_setup_note(struct vh_setup *s, const char *fmt, ...)
{
	if (s->n_notes >= VH_SETUP_MAX_NOTES)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->notes[s->n_notes++], sizeof(s->notes[0]), fmt, ap);
	va_end(ap);
}

/* A guest that may be Linux: l24/l26, or no ostype (Proxmox's default is
 * "other"; assume the worse case for the NIC name and the NVIDIA module). */
static bool may_be_linux(const struct vh_vmconf *vm)
{
	return vh_guest_linux(vm) || !vm->ostype[0];
}

static bool nvidia_display_passed(const struct vh_report *r)
{
	for (size_t i = 0; i < r->n_devices; i++) {
		const struct vh_device *d = r->devices[i].dev;
		if (d && d->present && d->vendor == 0x10de && (d->class_code >> 16) == 0x03)
			return true;
	}
	return false;
}

const struct vh_finding *vh_setup_finding(const struct vh_report *r, enum vh_finding_id id)
{
	for (size_t i = 0; i < r->n_findings; i++)
		if (r->findings[i].kind == id)
			return &r->findings[i];
	return NULL;
}

/* One `qm set VMID -key value` part, with the key's old value for undo. */
static void plan_key(struct vh_setup *s, struct vh_host *h, const char *key, const char *value,
		     const char *reason)
{
	if (s->n_vm >= VH_SETUP_MAX_VM)
		return;
	struct vh_setup_vm *v = &s->vm[s->n_vm];
	memset(v, 0, sizeof(*v));
	if (vh_format(v->key, sizeof(v->key), "%s", key) < 0 ||
	    vh_format(v->new_, sizeof(v->new_), "%s", value) < 0)
		return;
	v->had_old = vh_setup_vm_value(h, s->vmid, key, v->old, sizeof(v->old));
	snprintf(v->reason, sizeof(v->reason), "%s", reason);
	s->n_vm++;
	char vmid[16], opt[40];
	snprintf(vmid, sizeof(vmid), "%u", s->vmid);
	snprintf(opt, sizeof(opt), "-%s", key);
	const char *argv[] = { "/usr/sbin/qm", "set", vmid, opt, v->new_, NULL };
	vh_setup_add_command(s, v->reason, false, argv);
}

static void plan_machine(struct vh_setup *s, struct vh_host *h, const struct vh_report *r)
{
	const struct vh_finding *f = vh_setup_finding(r, VH_F_MACHINE_I440FX);
	if (!f)
		return;
	char reason[256];
	snprintf(reason, sizeof(reason), "machine-i440fx: %.200s", f->message);
	plan_key(s, h, "machine", "q35", reason);
	if (may_be_linux(&r->vm))
		vh_setup_note(
			s,
			"machine q35: a Linux guest's NIC moves to another PCI address, so its name "
			"changes (e.g. ens18 -> enp6s18) and the guest starts without network; before "
			"the first q35 boot name it by MAC in the guest (a systemd .link file, or "
			"the new name in /etc/network/interfaces or netplan), or fix it on the console");
}

/* Why bios=ovmf is left out: the guest's own word (the agent says it booted
 * by BIOS) or that it could not be asked. */
static void note_firmware_kept(struct vh_setup *s, enum vh_guest_firmware fw, const char *why)
{
	vh_setup_note(s,
		      "bios-seabios: bios=ovmf is not planned: %s%s%s, and Proxmox's OVMF has no "
		      "CSM, so a guest installed for BIOS no longer boots. Convert the guest to UEFI "
		      "first (Linux: a GPT EFI system partition and grub-efi; Windows: mbr2gpt "
		      "/convert), then run hookctl setup %u --firmware",
		      fw == VH_GUEST_FW_BIOS ? "the guest agent says the guest booted by BIOS"
					     : "the guest could not be asked how it boots (",
		      fw == VH_GUEST_FW_BIOS ? "" : why, fw == VH_GUEST_FW_BIOS ? "" : ")",
		      s->vmid);
}

/* OVMF only with --firmware or a guest that says it boots by UEFI; with it,
 * an efidisk on the VM's own storage. */
static void plan_firmware(struct vh_setup *s, struct vh_host *h, const struct vh_report *r,
			  const struct vh_setup_options *o)
{
	bool to_ovmf = vh_setup_finding(r, VH_F_BIOS_SEABIOS);
	if (to_ovmf && !o->firmware) {
		struct vh_err why = { 0 };
		/* one try, no wait: a plan never waits for a guest */
		enum vh_guest_firmware fw = vh_guest_ask_firmware(h, s->vmid, 0, &why);
		if (fw != VH_GUEST_FW_UEFI) {
			note_firmware_kept(s, fw, why.msg[0] ? why.msg : "no answer");
			return;
		}
	}
	if (to_ovmf)
		plan_key(s, h, "bios", "ovmf",
			 "bios-seabios (--firmware): a passed GPU needs OVMF; the guest must boot "
			 "by UEFI (OVMF has no CSM: a BIOS-installed guest no longer boots)");
	if (!to_ovmf && !vh_setup_finding(r, VH_F_EFIDISK_MISSING))
		return;
	const char *storage = r->vm.disk_storage;
	char value[160];
	if (!storage[0]) {
		vh_setup_note(s,
			      "efidisk0 is not planned: VM %u has no disk on a storage to put it on; "
			      "qm set %u -efidisk0 STORAGE:1,efitype=4m,pre-enrolled-keys=0",
			      s->vmid, s->vmid);
		return;
	}
	/* A Linux guest refuses the unsigned NVIDIA module under Secure Boot. */
	bool keys = !(may_be_linux(&r->vm) && nvidia_display_passed(r));
	snprintf(value, sizeof(value), "%s:1,efitype=4m,pre-enrolled-keys=%d", storage, keys);
	plan_key(s, h, "efidisk0", value,
		 keys ? "OVMF keeps its settings on an efidisk (on the storage of the VM's disks)"
		      : "OVMF keeps its settings on an efidisk (on the storage of the VM's "
			"disks); no Secure Boot keys: a Linux guest would refuse the unsigned "
			"NVIDIA module");
}

/* pcie=1 (q35, now or by this plan) and rombar=0 (NVIDIA display) in one value. */
static void plan_entries(struct vh_setup *s, struct vh_host *h, const struct vh_report *r, bool q35)
{
	for (size_t i = 0; i < r->vm.n_hostpci; i++) {
		const struct vh_hostpci *pci = &r->vm.hostpci[i];
		char key[16], prefix[48], fix[768];
		snprintf(key, sizeof(key), "hostpci%d", pci->index);
		snprintf(prefix, sizeof(prefix), "qm set %u -%s ", r->vmid, key);
		bool rombar = false;
		for (size_t k = 0; k < r->n_findings; k++)
			rombar |= r->findings[k].kind == VH_F_ROMBAR_ENABLED &&
				  !strncmp(r->findings[k].fix, prefix, strlen(prefix));
		bool pcie = q35 && !pci->pcie && !pci->legacy_igd;
		if (!rombar && !pcie)
			continue;
		vh_hostpci_fix(r, pci, pcie, rombar, fix, sizeof(fix));
		if (strncmp(fix, prefix, strlen(prefix)) || strchr(fix, '<'))
			continue; /* too long to rebuild: check shows the form */
		plan_key(s, h, key, fix + strlen(prefix),
			 rombar && pcie ? "rombar-enabled, pcie-off: NVIDIA cards need the ROM BAR "
					  "hidden; GPU drivers expect PCIe on q35"
			 : rombar       ? "rombar-enabled: NVIDIA cards need the ROM BAR hidden"
					: "pcie-off: GPU drivers expect PCIe on q35");
	}
}

static void plan_balloon(struct vh_setup *s, struct vh_host *h, const struct vh_report *r)
{
	const struct vh_finding *f = vh_setup_finding(r, VH_F_BALLOON_ENABLED);
	char reason[256];
	if (!f)
		return;
	snprintf(reason, sizeof(reason), "balloon-enabled: %.200s", f->message);
	plan_key(s, h, "balloon", "0", reason);
}

static void plan_hookscript(struct vh_setup *s, const struct vh_report *r,
			    const struct vh_setup_options *o)
{
	if (strstr(r->vm.hookscript, "vfio-hook"))
		return;
	if (!o->hookctl || o->hookctl[0] != '/') {
		vh_setup_note(s,
			      "the hookscript is not planned: the path of hookctl is unknown; "
			      "run hookctl install %u --apply",
			      s->vmid);
		return;
	}
	char vmid[16];
	snprintf(vmid, sizeof(vmid), "%u", r->vmid);
	const char *argv[] = { o->hookctl, "install", vmid, "--apply", NULL };
	vh_setup_add_command(
		s,
		"the VM has no vfio-hook hookscript: install copies it to a snippets storage "
		"and registers it with qm set",
		false, argv);
}

void vh_setup_plan_vm(struct vh_setup *s, struct vh_host *h, const struct vh_report *r,
		      const struct vh_setup_options *o)
{
	plan_machine(s, h, r);
	plan_firmware(s, h, r, o);
	plan_entries(s, h, r,
		     r->vm.machine == VH_MACHINE_Q35 || vh_setup_finding(r, VH_F_MACHINE_I440FX));
	plan_balloon(s, h, r);
	plan_hookscript(s, r, o);
}
