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
