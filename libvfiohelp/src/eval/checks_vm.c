/*
 * The VM's own settings, as qemu-server will start them: machine, firmware,
 * PCIe and ROM BAR of each entry, ballooning, and whether its memory can be
 * pinned (MemAvailable, or the hugepage pool qemu-server allocates from).
 */
#include "internal.h"
#include "eval/checks.h"
#include "host/host.h"
#include "host/system.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "qm set 100 -hostpci0 <value>" with pcie=1 and rombar=0 set as asked,
 * every other option kept as written (blank items dropped). An entry too
 * long to rebuild in `size` gets the form of the command, never a cut one. */
void vh_hostpci_fix(const struct vh_report *r, const struct vh_hostpci *pci, bool want_pcie,
		    bool want_rombar_off, char *fix, size_t size)
{
	size_t used = (size_t)snprintf(fix, size, "qm set %u -hostpci%d ", r->vmid, pci->index);
	bool first = true;
	for (const char *p = pci->raw; *p && used < size;) {
		size_t n = strcspn(p, ",");
		bool drop = n == 0 || (want_pcie && !strncmp(p, "pcie=", 5)) ||
			    (want_rombar_off && !strncmp(p, "rombar=", 7));
		if (!drop) {
			used += (size_t)snprintf(fix + used, size - used, "%s%.*s",
						 first ? "" : ",", (int)n, p);
			first = false;
		}
		p += n + (p[n] == ',');
	}
	if (used < size)
		used += (size_t)snprintf(fix + used, size - used, "%s%s",
					 want_pcie ? ",pcie=1" : "",
					 want_rombar_off ? ",rombar=0" : "");
	if (used >= size)
		snprintf(fix, size, "qm set %u -hostpci%d <the entry as it is>%s%s", r->vmid,
			 pci->index, want_pcie ? ",pcie=1" : "",
			 want_rombar_off ? ",rombar=0" : "");
}

static void check_entry_settings(struct vh_eval *ev, const struct vh_hostpci *pci)
{
	const struct vh_vmconf *vm = &ev->r->vm;
	char key[16], fix[768];
	snprintf(key, sizeof(key), "hostpci%d", pci->index);
	if (pci->pcie && vm->machine != VH_MACHINE_Q35) {
		snprintf(fix, sizeof(fix), "qm set %u -machine q35   # or drop pcie=1 from %s",
			 vm->vmid, key);
		vh_eval_finding(ev, VH_F_PCIE_NEEDS_Q35, key, fix,
				"%s has pcie=1 but VM %u is not a q35 machine: qemu-server refuses "
				"the start (\"q35 machine model is not enabled\")",
				key, vm->vmid);
	}
	if (vm->machine != VH_MACHINE_Q35 || pci->legacy_igd)
		return;
	if (pci->pcie) {
		vh_eval_passed(ev, VH_TOPIC_VM, "%s is passed as PCIe (pcie=1)%s", key,
			       pci->rombar ? "" : " with its ROM BAR hidden (rombar=0)");
		return;
	}
	vh_hostpci_fix(ev->r, pci, true, false, fix, sizeof(fix));
	vh_eval_finding(ev, VH_F_PCIE_OFF, key, fix,
			"%s is passed as a conventional PCI device on a q35 machine; "
			"GPU drivers expect PCIe (pcie=1)",
			key);
}

void vh_check_vm_settings(struct vh_eval *ev)
{
	const struct vh_vmconf *vm = &ev->r->vm;
	unsigned id = vm->vmid;
	char fix[256];
	if (vm->machine == VH_MACHINE_Q35)
		vh_eval_passed(ev, VH_TOPIC_VM, "machine is q35 (%s)", vm->machine_raw);
	if (vm->bios == VH_BIOS_OVMF && vm->has_efidisk)
		vh_eval_passed(ev, VH_TOPIC_VM, "OVMF (UEFI) with an efidisk0");
	if (vm->n_hostpci && vm->balloon_mib == 0)
		vh_eval_passed(ev, VH_TOPIC_VM, "ballooning off (balloon: 0)");
	if (vm->bios == VH_BIOS_OVMF && !vm->has_efidisk) {
		/* on the storage of the VM's own disks: a ZFS install has no local-lvm */
		snprintf(fix, sizeof(fix),
			 "qm set %u -efidisk0 %s:1,efitype=4m,pre-enrolled-keys=1", id,
			 vm->disk_storage[0] ? vm->disk_storage : "STORAGE");
		vh_eval_finding(ev, VH_F_EFIDISK_MISSING, "efidisk0", fix,
				"VM %u boots OVMF without an efidisk0: UEFI settings are lost at "
				"every start%s",
				id,
				vm->disk_storage[0] ? ""
						    : " (STORAGE: a storage of this node for VM "
						      "images)");
	}
	if (vm->n_hostpci && vm->balloon_mib != 0) {
		snprintf(fix, sizeof(fix), "qm set %u -balloon 0", id);
		vh_eval_finding(
			ev, VH_F_BALLOON_ENABLED, "balloon", fix,
			"VM %u has memory ballooning on; with passthrough all %llu MiB are pinned "
			"and the balloon cannot give any back",
			id, (unsigned long long)vm->memory_mib);
	}
	for (size_t i = 0; i < vm->n_hostpci; i++)
		check_entry_settings(ev, &vm->hostpci[i]);
}

/* ---- settings that quietly undo passthrough in the guest ---- */

/* The next word of args as qemu-server splits it (pve-common's split_args:
 * Text::ParseWords::shellwords): blanks separate, '...' and "..." quote, a
 * backslash escapes the next character (in '...' only \\ and \'). Returns
 * the position after the word, or NULL at the end. */
static const char *next_arg(const char *p, char *word, size_t size)
{
	size_t n = 0;
	p += strspn(p, " \t\n\r\f\v");
	if (!*p)
		return NULL;
	for (char q = 0; *p && (q || !strchr(" \t\n\r\f\v", *p)); p++) {
		char c = *p;
		if (!q && (c == '\'' || c == '"')) {
			q = c;
			continue;
		}
		if (q && c == q) {
			q = 0;
			continue;
		}
		if (c == '\\' && p[1] && (q != '\'' || p[1] == '\\' || p[1] == '\''))
			c = *++p;
		if (n + 1 < size)
			word[n++] = c;
	}
	word[n] = '\0';
	return p;
}

/* QEMU options that take no value: the word after them is an option again. */
static bool qemu_flag(const char *opt)
{
	static const char *const flags[] = {
		"S",           "s",          "snapshot",    "nographic",      "no-reboot",
		"no-shutdown", "enable-kvm", "nodefaults",  "no-user-config", "daemonize",
		"no-hpet",     "no-acpi",    "full-screen", "no-fd-bootchk",  "only-migratable",
		"preconfig",   "win2k-hack", "no-kvm"
	};
	for (size_t i = 0; i < VH_ARRAY_SIZE(flags); i++)
		if (!strcmp(opt, flags[i]))
			return true;
	return false;
}

/* The value of the last -cpu (QEMU keeps the last) among args' words, in
 * an option's place (not some option's value); false when there is none.
 * rest gets the words without it, each quoted for a shell. */
static bool args_cpu(const char *args, char *cpu, size_t cpu_size, char *rest, size_t rest_size)
{
	char word[1024], value[1024];
	bool found = false;
	size_t used = 0;
	rest[0] = '\0';
	for (const char *p = args; (p = next_arg(p, word, sizeof(word)));) {
		const char *opt = word[0] == '-' ? word + 1 + (word[1] == '-') : NULL;
		bool takes = opt && *opt && !qemu_flag(opt);
		const char *after = takes ? next_arg(p, value, sizeof(value)) : NULL;
		if (takes && !strcmp(opt, "cpu")) {
			found = true;
			vh_strlcpy(cpu, after ? value : "", cpu_size);
		} else {
			int k = snprintf(rest + used, rest_size - used, "%s%s%s%s%s",
					 used ? " " : "", word, after ? " '" : "",
					 after ? value : "", after ? "'" : "");
			used = k < 0 || (size_t)k >= rest_size - used ? rest_size - 1
								      : used + (size_t)k;
		}
		if (after)
			p = after;
	}
	return found;
}

/* The -cpu value's intent in Proxmox's cpu: property string: the model,
 * kvm=off as hidden=1, hv_vendor_id as hv-vendor-id. */
static void cpu_property(const char *value, char *out, size_t size)
{
	char model[128] = "host", vendor[64] = "";
	bool hidden = false;
	for (const char *p = value; *p;) {
		size_t n = strcspn(p, ",");
		if (p == value && n && n < sizeof(model) && !memchr(p, '=', n))
			snprintf(model, sizeof(model), "%.*s", (int)n, p);
		else if (n == 7 && !strncmp(p, "kvm=off", 7))
			hidden = true;
		else if (n > 13 && n - 13 < sizeof(vendor) &&
			 (!strncmp(p, "hv_vendor_id=", 13) || !strncmp(p, "hv-vendor-id=", 13)))
			snprintf(vendor, sizeof(vendor), "%.*s", (int)(n - 13), p + 13);
		p += n + (p[n] == ',');
	}
	snprintf(out, size, "%s%s%s%s", model, hidden ? ",hidden=1" : "",
		 vendor[0] ? ",hv-vendor-id=" : "", vendor);
}

static void check_args_cpu(struct vh_eval *ev)
{
	const struct vh_vmconf *vm = &ev->r->vm;
	char cpu[1024], rest[1024], prop[256], fix[2048];
	if (!vm->args[0] || !args_cpu(vm->args, cpu, sizeof(cpu), rest, sizeof(rest)))
		return;
	cpu_property(cpu, prop, sizeof(prop));
	if (vh_format(fix, sizeof(fix), "qm set %u -cpu %s %s%s%s", vm->vmid, prop,
		      rest[0] ? "-args \"" : "-delete args", rest, rest[0] ? "\"" : "") < 0)
		snprintf(fix, sizeof(fix), "qm set %u -cpu %s, then take -cpu out of args",
			 vm->vmid, prop);
	vh_eval_finding(
		ev, VH_F_ARGS_CPU_OVERRIDE, "args", fix,
		"VM %u's args: holds -cpu %s; QEMU keeps the last -cpu, so it replaces the one "
		"qemu-server builds from cpu: (%s), with its flags%s",
		vm->vmid, cpu, vm->cpu[0] ? vm->cpu : "no cpu key: kvm64",
		vh_guest_windows(vm) ? " and Windows' Hyper-V enlightenments" : "");
}

/* An NVIDIA display device the guest gets (its driver is NVIDIA's module). */
static const struct vh_device *nvidia_display(const struct vh_report *r)
{
	for (size_t i = 0; i < r->n_devices; i++) {
		const struct vh_device *d = r->devices[i].dev;
		if (d && d->present && d->vendor == 0x10de && (d->class_code >> 16) == 0x03)
			return d;
	}
	return NULL;
}

static void check_secure_boot(struct vh_eval *ev)
{
	const struct vh_vmconf *vm = &ev->r->vm;
	const struct vh_device *gpu = nvidia_display(ev->r);
	char fix[640];
	if (vm->bios != VH_BIOS_OVMF || !vm->has_efidisk || vm->efidisk_keys != 1 ||
	    !vh_guest_linux(vm) || !gpu)
		return;
	/* pre-enrolled-keys only picks the vars template when qemu-server
	 * creates the disk: set on the existing efidisk0 it changes nothing */
	snprintf(fix, sizeof(fix),
		 "turn Secure Boot off in VM %u's OVMF setup (Device Manager > Secure Boot "
		 "Configuration), or sign the NVIDIA module with a MOK the guest enrolled "
		 "(mokutil --import); a new efidisk0 (qm set %u -efidisk0 %s:1,efitype=4m,"
		 "pre-enrolled-keys=0) starts without the "
		 "VM's UEFI boot entries",
		 vm->vmid, vm->vmid, vm->disk_storage[0] ? vm->disk_storage : "STORAGE");
	vh_eval_finding(ev, VH_F_SECURE_BOOT_UNSIGNED_DRIVER, "efidisk0", fix,
			"VM %u boots OVMF with Secure Boot keys enrolled (pre-enrolled-keys=1) and "
			"is a Linux guest (ostype %s) with NVIDIA display device %s: its kernel "
			"refuses the unsigned NVIDIA module (\"Loading of unsigned module is "
			"rejected\", \"Key was rejected by service\") unless it is MOK-signed",
			vm->vmid, vm->ostype, gpu->name);
}

void vh_check_guest_settings(struct vh_eval *ev)
{
	check_args_cpu(ev);
	check_secure_boot(ev);
}

/* A number in /sys/kernel/mm/hugepages/hugepages-<kB>kB/<name>; -1 when
 * the host has no such page size. */
static long long hugepage_count(struct vh_host *h, unsigned size_mib, const char *name)
{
	char path[PATH_MAX], buf[32];
	uint64_t v;
	if (vh_host_path(h, path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-%ukB/%s",
			 size_mib * 1024, name) < 0 ||
	    vh_read_attr(path, buf, sizeof(buf)) < 0 ||
	    vh_parse_uint(buf, strlen(buf), INT64_MAX, &v) < 0)
		return -1;
	return (long long)v;
}

/* hugepages_size: "any" takes 1 GiB pages when the host has them and the
 * memory is a multiple of 1 GiB, else 2 MiB pages; 0 with why set. */
static unsigned hugepage_size(struct vh_eval *ev, const char **why)
{
	const struct vh_vmconf *vm = &ev->r->vm;
	bool has2 = hugepage_count(ev->h, 2, "free_hugepages") >= 0;
	bool has1g = hugepage_count(ev->h, 1024, "free_hugepages") >= 0;
	unsigned want = vm->hugepages_mib;
	if (vm->hugepages_any)
		want = has1g && vm->memory_mib % 1024 == 0 ? 1024 : 2;
	if ((want == 2 && !has2) || (want == 1024 && !has1g))
		return *why = "the host has no hugepages of that size (/sys/kernel/mm/hugepages/)",
		       0;
	if (vm->memory_mib % want)
		return *why = "the memory is not a multiple of the hugepage size", 0;
	return want;
}

/* hugepages_allocate: QEMU takes the memory from the pool's free pages of
 * the VM's page size; qemu-server raises nr_hugepages by what is missing,
 * which must come from available memory. */
static void check_hugepages(struct vh_eval *ev, uint64_t avail)
{
	const struct vh_vmconf *vm = &ev->r->vm;
	const char *why = NULL;
	char fix[200];
	snprintf(fix, sizeof(fix), "qm set %u -numa 1", vm->vmid);
	if (!vm->numa) {
		vh_eval_finding(
			ev, VH_F_MEMORY_INSUFFICIENT, "hugepages", fix,
			"VM %u has hugepages "
			"but not numa: 1; qemu-server refuses the start (\"numa need to be enabled to "
			"use hugepages\")",
			vm->vmid);
		return;
	}
	unsigned size = hugepage_size(ev, &why);
	snprintf(fix, sizeof(fix), "qm set %u -hugepages %s", vm->vmid,
		 vm->hugepages_any ? "2" : "any");
	if (!size) {
		vh_eval_finding(ev, VH_F_MEMORY_INSUFFICIENT, "hugepages", fix,
				"VM %u asks for "
				"hugepages (%s) for %llu MiB, but %s",
				vm->vmid, vm->hugepages_any ? "any" : "fixed size",
				(unsigned long long)vm->memory_mib, why);
		return;
	}
	long long free_pages = hugepage_count(ev->h, size, "free_hugepages");
	unsigned long long need = vm->memory_mib / size;
	unsigned long long missing = free_pages >= (long long)need
					     ? 0
					     : need - (unsigned long long)free_pages;
	if (missing * size <= avail) {
		vh_eval_passed(ev, VH_TOPIC_HOST,
			       "%llu hugepages of %u MiB for VM %u: %lld free, %llu more "
			       "can be allocated from %llu MiB available",
			       need, size, vm->vmid, free_pages, missing,
			       (unsigned long long)avail);
		return;
	}
	snprintf(fix, sizeof(fix),
		 "echo %llu > /sys/kernel/mm/hugepages/hugepages-%ukB/nr_hugepages   "
		 "# at boot: hugepages= on the kernel command line",
		 (unsigned long long)(hugepage_count(ev->h, size, "nr_hugepages") +
				      (long long)missing),
		 size * 1024);
	vh_eval_finding(
		ev, VH_F_MEMORY_INSUFFICIENT, "memory", fix,
		"VM %u needs %llu hugepages of %u MiB; %lld are free and the %llu missing (%llu MiB) "
		"exceed the %llu MiB available to allocate them",
		vm->vmid, need, size, free_pages, missing, missing * size,
		(unsigned long long)avail);
}

void vh_check_memory(struct vh_eval *ev)
{
	uint64_t avail, total;
	struct vh_err e;
	const struct vh_vmconf *vm = &ev->r->vm;
	if (!vm->n_hostpci)
		return;
	if (vh_meminfo(ev->h, &avail, &total, &e) < 0) {
		/* Unknown is not insufficient: say so, do not block on it. */
		vh_eval_unjudged(ev, "memory", "cannot tell whether %llu MiB can be pinned: %s",
				 (unsigned long long)vm->memory_mib, e.msg);
		return;
	}
	if (vm->hugepages_mib || vm->hugepages_any) {
		check_hugepages(ev, avail);
		return;
	}
	if (vm->memory_mib <= avail)
		vh_eval_passed(ev, VH_TOPIC_HOST, "%llu MiB can be pinned (%llu MiB available)",
			       (unsigned long long)vm->memory_mib, (unsigned long long)avail);
	if (vm->memory_mib > avail) {
		char fix[128];
		snprintf(fix, sizeof(fix), "qm set %u -memory %llu", vm->vmid,
			 (unsigned long long)(avail / 1024 * 1024));
		vh_eval_finding(
			ev, VH_F_MEMORY_INSUFFICIENT, "memory", fix,
			"VM %u needs %llu MiB pinned for passthrough but only %llu MiB of %llu MiB "
			"are available now; stop other guests or give the VM less memory",
			vm->vmid, (unsigned long long)vm->memory_mib, (unsigned long long)avail,
			(unsigned long long)total);
	}
}
