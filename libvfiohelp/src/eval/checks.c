/*
 * The evaluation: what pre-start decides, as findings. One code path serves
 * `hookctl check` (a dry run) and the hookscript (which then repairs).
 *
 * Order: the VM config, the VM's settings (checks_vm.c), its devices (mapping, function
 * expansion, presence), the host (IOMMU, modules, command line), then each
 * device and each IOMMU group once. Only the VM's devices and the members of
 * their groups are read.
 */
#include "internal.h"
#include "base/array.h"
#include "eval/checks.h"
#include "host/host.h"
#include "host/iommu.h"
#include "host/system.h"
#include "pve/ownership.h"
#include "host/kmods.h"
#include "pve/mapping.h"
#include "host/pcidev.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#define MAX_VM_DEVICES (VH_MAX_HOSTPCI * VH_MAX_HOSTPCI_ADDRS * 8)

/* ---- the VM's devices ---- */

/* The one decision of what may be done with a device, from its entry. */
static enum vh_role device_role(const struct vh_hostpci *pci)
{
	if (pci->mdev[0])
		return VH_ROLE_MDEV_PARENT;
	if (pci->driver_keep)
		return VH_ROLE_KEEP;
	return VH_ROLE_VFIO;
}

static void duplicate(struct vh_eval *ev, const struct vh_vm_device *first, int index)
{
	const struct vh_hostpci *a = vh_report_hostpci(ev->r, first->hostpci_index);
	const struct vh_hostpci *b = vh_report_hostpci(ev->r, index);
	char name[VH_PCI_ADDR_STRLEN];
	if (!a || !b || !vh_entry_takes_device(ev->h, a) || !vh_entry_takes_device(ev->h, b))
		return;
	vh_pci_addr_format(&first->addr, name);
	vh_eval_finding(ev, VH_F_DEVICE_DUPLICATE, name,
			"qm config VMID   # remove the device from "
			"all but one hostpci entry",
			"%s is named by hostpci%d%s%d: qemu-server refuses the start (\"device "
			"assigned more than once\")",
			name, first->hostpci_index,
			first->hostpci_index == index ? " twice, as " : " and hostpci", index);
}

static int add_device(struct vh_eval *ev, const struct vh_pci_addr *a, int index)
{
	struct vh_report *r = ev->r;
	for (size_t i = 0; i < r->n_devices; i++)
		if (vh_pci_addr_equal(&r->devices[i].addr, a)) {
			duplicate(ev, &r->devices[i], index);
			return 0;
		}
	if (r->n_devices == MAX_VM_DEVICES)
		return -1;
	struct vh_vm_device *d = &r->devices[r->n_devices++];
	d->addr = *a;
	d->addr.has_func = true;
	d->hostpci_index = index;
	d->role = device_role(vh_report_hostpci(r, index));
	d->dev = NULL;
	return 0;
}

/* An address without a function means every function present on the host;
 * one not on the host is listed as written (function 0). */
static void expand_address(struct vh_eval *ev, const struct vh_pci_addr *a, int index)
{
	if (a->has_func) {
		add_device(ev, a, index);
		return;
	}
	struct vh_pci_addr funcs[8];
	size_t n = vh_device_functions(ev->h, a, funcs, 8);
	if (n == 0)
		add_device(ev, a, index);
	for (size_t i = 0; i < n; i++)
		add_device(ev, &funcs[i], index);
}

/* choose_hostpci_devices passes over an alternative that an earlier entry
 * uses or that another VM has reserved. */
static bool alternative_taken(void *ctx, const struct vh_pci_addr *a)
{
	struct vh_eval *ev = ctx;
	struct vh_pci_addr funcs[8] = { *a };
	size_t n = a->has_func ? 1 : vh_device_functions(ev->h, a, funcs, 8);
	for (size_t i = 0; i < n; i++) {
		struct vh_holder who;
		if (vh_report_has_device(ev->r, &funcs[i]) ||
		    vh_device_owner(ev->h, &funcs[i], ev->r->vmid, -1, &who))
			return true;
	}
	return false;
}

static void resolve_devices(struct vh_eval *ev)
{
	struct vh_vmconf *vm = &ev->r->vm;
	for (size_t i = 0; i < vm->n_hostpci; i++) {
		struct vh_hostpci *pci = &vm->hostpci[i];
		char key[16];
		snprintf(key, sizeof(key), "hostpci%d", pci->index);
		if (pci->has_mapping) {
			struct vh_err why;
			char fix[256];
			size_t n;
			snprintf(fix, sizeof(fix),
				 "pvesh get /cluster/mapping/pci/%s; correct its map for "
				 "this node in Datacenter > Resource Mappings",
				 pci->mapping);
			if (vh_mapping_resolve(ev->h, pci->mapping, alternative_taken, ev,
					       pci->addrs, VH_MAX_HOSTPCI_ADDRS, &n,
					       &pci->n_alternatives, &why) < 0) {
				vh_eval_finding(ev, VH_F_MAPPING_UNRESOLVED, key, fix, "%s: %s",
						key, why.msg);
				continue;
			}
			pci->n_addrs = n;
		}
		for (size_t j = 0; j < pci->n_addrs; j++)
			expand_address(ev, &pci->addrs[j], pci->index);
	}
}

/* An absent address inside a PF's VF range: the VFs are not enabled
 * (sriov_numvfs is 0 after every boot unless something sets it). */
static bool vf_not_created(struct vh_eval *ev, const struct vh_vm_device *d)
{
	struct vh_pci_addr pf;
	unsigned index, numvfs;
	char name[VH_PCI_ADDR_STRLEN], pfname[VH_PCI_ADDR_STRLEN], fix[600];
	if (!vh_vf_slot(ev->h, &d->addr, &pf, &index, &numvfs))
		return false;
	vh_pci_addr_format(&d->addr, name);
	vh_pci_addr_format(&pf, pfname);
	snprintf(fix, sizeof(fix),
		 "echo %u > /sys/bus/pci/devices/%s/sriov_numvfs   # and at every "
		 "boot: apt install sysfsutils; echo 'bus/pci/devices/%s/sriov_numvfs = %u' >> "
		 "/etc/sysfs.conf (or a systemd oneshot unit running the echo Before=pve-guests.service)",
		 index + 1, pfname, pfname, index + 1);
	vh_eval_finding(
		ev, VH_F_VF_NOT_CREATED, name, fix,
		"hostpci%d names %s, which is VF %u of SR-IOV PF %s, but the PF has %u VFs enabled "
		"(sriov_numvfs): the VF does not exist yet",
		d->hostpci_index, name, index, pfname, numvfs);
	return true;
}

static bool read_devices(struct vh_eval *ev, struct vh_err *err)
{
	for (size_t i = 0; i < ev->r->n_devices; i++) {
		struct vh_vm_device *d = &ev->r->devices[i];
		d->dev = vh_host_device(ev->h, &d->addr, err);
		if (!d->dev)
			return false;
		if (!d->dev->present && !vf_not_created(ev, d)) {
			char key[16];
			snprintf(key, sizeof(key), "hostpci%d", d->hostpci_index);
			vh_eval_finding(
				ev, VH_F_DEVICE_MISSING, d->dev->name,
				"lspci -D -nn   # find the card's address, then correct it with qm set",
				"%s names %s, which is not on this host (moved to another slot, "
				"removed, or hidden by a firmware setting)",
				key, d->dev->name);
		}
	}
	return true;
}

/* ---- the host ---- */

static void check_iommu(struct vh_eval *ev, bool *active)
{
	char unit[64] = "", cmdline[VH_CMDLINE_MAX];
	struct vh_err e;
	if (vh_iommu_active(ev->h, active, unit, sizeof(unit), &e) < 0)
		*active = false;
	vh_cmdline_read(ev->h, cmdline, sizeof(cmdline), NULL);
	if (*active)
		vh_eval_passed(ev, VH_TOPIC_IOMMU, "IOMMU active (%s)", unit);
	if (!*active) {
		enum vh_cpu_vendor cpu = vh_cpu_vendor(ev->h);
		const char *fix =
			cpu == VH_CPU_AMD
				? "enable SVM and IOMMU (AMD-Vi) in the firmware setup; add amd_iommu=on iommu=pt "
				  "to GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub, update-grub, reboot"
				: "enable VT-d in the firmware setup; add intel_iommu=on iommu=pt to "
				  "GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub (or /etc/kernel/cmdline and "
				  "proxmox-boot-tool refresh), update-grub, reboot";
		vh_eval_finding(
			ev, VH_F_IOMMU_DISABLED, "host", fix,
			"the host has no active IOMMU (/sys/class/iommu is empty, no IOMMU groups)%s",
			vh_cmdline_has(cmdline, "intel_iommu=off", NULL, 0) ||
					vh_cmdline_has(cmdline, "amd_iommu=off", NULL, 0)
				? "; the kernel command line turns it off"
				: "");
	}
	if (vh_cmdline_has(cmdline, "pcie_acs_override=", NULL, 0))
		vh_eval_finding(
			ev, VH_F_ACS_OVERRIDE, "host",
			"remove pcie_acs_override from the kernel command line and move the card to "
			"a slot with its own IOMMU group",
			"the kernel command line has pcie_acs_override: IOMMU groups are split by "
			"decree, not by hardware, and a guest may reach other devices' memory");
}

static void check_modules(struct vh_eval *ev)
{
	struct vh_err e;
	for (size_t i = 0; i < VH_VFIO_MODULE_COUNT; i++) {
		enum vh_module_state st = vh_module_state(ev->h, vh_vfio_modules[i], &e);
		if (st == VH_MOD_LOADED || st == VH_MOD_BUILTIN) {
			vh_eval_passed(ev, VH_TOPIC_DRIVERS, "kernel module %s %s",
				       vh_vfio_modules[i],
				       st == VH_MOD_LOADED ? "loaded" : "built in");
			continue;
		}
		char fix[128];
		snprintf(fix, sizeof(fix), "echo %s >> /etc/modules   # load it at every boot",
			 vh_vfio_modules[i]);
		/* Default warn whatever libkmod says: if the module cannot be
		 * loaded, the hook's repair fails and pre-start refuses then. */
		vh_eval_finding(
			ev, VH_F_MODULE_NOT_LOADED, vh_vfio_modules[i], fix,
			"kernel module %s is not loaded; vfio-hook will load it at start%s",
			vh_vfio_modules[i],
			st == VH_MOD_AVAILABLE ? ""
			: vh_kmod_indexed(ev->h)
				? " (but the kernel's module index has no such module: loading it will fail)"
				: " (no module index under /lib/modules to confirm the kernel has it)");
	}
}

/* /etc/modules lines naming modules this kernel lacks (vfio_virqfd on 6.2+). */
static void check_etc_modules(struct vh_eval *ev)
{
	struct vh_etc_module mods[64];
	size_t n;
	/* Without the kernel's module index nothing can be said to be missing. */
	if (!vh_kmod_indexed(ev->h)) {
		vh_eval_unjudged(ev, "etc-modules",
				 "no module index for kernel %s under /lib/modules: "
				 "cannot tell whether /etc/modules names modules it lacks",
				 ev->h->kver);
		return;
	}
	if (vh_etc_modules(ev->h, mods, VH_ARRAY_SIZE(mods), &n, NULL) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		if (vh_module_exists(ev->h, mods[i].name))
			continue;
		char fix[160];
		snprintf(fix, sizeof(fix), "sed -i '%dd' /etc/modules   # the line '%s'",
			 mods[i].line, mods[i].name);
		vh_eval_finding(ev, VH_F_MODULE_UNKNOWN, mods[i].name, fix,
				"/etc/modules line %d names %s, which kernel %s does not have%s",
				mods[i].line, mods[i].name, ev->h->kver,
				!strcmp(mods[i].name, "vfio_virqfd")
					? " (merged into vfio since 6.2)"
					: "");
	}
}

/* ---- each device ---- */

/* "options vfio-pci ids=..." naming every device of the VM. */
static void vfio_ids_line(const struct vh_report *r, char *buf, size_t size)
{
	size_t used = (size_t)snprintf(buf, size, "options vfio-pci ids=");
	bool first = true;
	for (size_t i = 0; i < r->n_devices && used < size; i++) {
		const struct vh_device *d = r->devices[i].dev;
		if (!d || !d->present || d->is_bridge || d->is_vf)
			continue; /* a VF may share its PF's id (Intel iGPU): never by id */
		char id[16];
		snprintf(id, sizeof(id), "%04x:%04x", d->vendor, d->device);
		if (strstr(buf, id))
			continue;
		if (used + strlen(id) + 2 > size)
			break; /* never half an id: a cut one names another device */
		used += (size_t)snprintf(buf + used, size - used, "%s%s", first ? "" : ",", id);
		first = false;
	}
}

/* driver=keep: Proxmox binds nothing, so the device must already be on
 * vfio-pci or a vfio variant driver (which has a vfio-dev/ directory). */
static bool check_keep(struct vh_eval *ev, const struct vh_vm_device *vd)
{
	const struct vh_device *d = vd->dev;
	char path[PATH_MAX], fix[256];
	if (!strcmp(d->driver, "vfio-pci") ||
	    (vh_host_path(ev->h, path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev", d->name) ==
		     0 &&
	     vh_path_exists(path)))
		return true;
	snprintf(fix, sizeof(fix),
		 "qm set %u -hostpci%d <the entry without driver=keep>   # Proxmox "
		 "then binds it to vfio-pci; or bind it to a vfio variant driver first",
		 ev->r->vmid, vd->hostpci_index);
	vh_eval_finding(
		ev, VH_F_KEEP_NOT_VFIO, d->name, fix,
		"hostpci%d keeps the driver of %s (driver=keep), which is %s, not vfio-pci or a vfio "
		"variant driver: QEMU cannot open its /dev/vfio group",
		vd->hostpci_index, d->name, d->driver[0] ? d->driver : "no driver");
	return false;
}

static void check_driver(struct vh_eval *ev, const struct vh_vm_device *vd, bool keep)
{
	const struct vh_device *d = vd->dev;
	if (!strcmp(d->driver, "vfio-pci"))
		vh_eval_passed(ev, VH_TOPIC_DRIVERS, "%s is bound to vfio-pci", d->name);
	if (keep && check_keep(ev, vd))
		vh_eval_passed(ev, VH_TOPIC_DRIVERS, "%s keeps its driver (driver=keep)", d->name);
	if (keep || !strcmp(d->driver, "vfio-pci"))
		return;
	char ids[320], fix[640];
	vfio_ids_line(ev->r, ids, sizeof(ids));
	if (d->is_vf)
		snprintf(fix, sizeof(fix),
			 "nothing to persist: VFs are created after boot and vfio-hook "
			 "binds this one by its address at start (echo 0 > /sys/bus/pci/devices/<PF>/"
			 "sriov_drivers_autoprobe before enabling VFs keeps host drivers off them)");
	else
		snprintf(fix, sizeof(fix),
			 "echo '%s' >> /etc/modprobe.d/vfio.conf && update-initramfs -u -k all",
			 ids);
	if (d->driver[0])
		vh_eval_finding(ev, VH_F_DRIVER_NOT_VFIO, d->name, fix,
				"%s is bound to %s; vfio-hook will rebind it to vfio-pci at start",
				d->name, d->driver);
	else
		vh_eval_finding(ev, VH_F_DRIVER_NOT_VFIO, d->name, fix,
				"%s has no driver; vfio-hook will bind it to vfio-pci at start",
				d->name);
}

static void check_host_drivers(struct vh_eval *ev, const struct vh_device *d)
{
	char names[8][64];
	size_t n;
	if (d->modalias[0] && vh_vfio_ids_claim(ev->h, d->vendor, d->device)) {
		vh_eval_passed(ev, VH_TOPIC_DRIVERS,
			       "%s (%04x:%04x) is claimed by vfio-pci ids= at boot", d->name,
			       d->vendor, d->device);
		return;
	}
	if (d->modalias[0] && !vh_kmod_indexed(ev->h)) {
		vh_eval_unjudged(ev, "host-drivers",
				 "%s: no module index for kernel %s: cannot tell "
				 "which host driver would claim it at boot",
				 d->name, ev->h->kver);
		return;
	}
	if (!d->modalias[0] || vh_modalias_drivers(ev->h, d->modalias, names, 8, &n, NULL) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		if (vh_module_blacklisted(ev->h, names[i])) {
			vh_eval_passed(ev, VH_TOPIC_DRIVERS, "host driver %s of %s is blacklisted",
				       names[i], d->name);
			continue;
		}
		char ids[320], fix[640];
		vfio_ids_line(ev->r, ids, sizeof(ids));
		snprintf(fix, sizeof(fix),
			 "printf '%s\\nsoftdep %s pre: vfio-pci\\n' >> /etc/modprobe.d/vfio.conf && "
			 "update-initramfs -u -k all",
			 ids, names[i]);
		vh_eval_finding(
			ev, VH_F_HOST_DRIVER_NOT_BLACKLISTED, d->name, fix,
			"%s (%04x:%04x) matches host driver %s, which is neither blacklisted nor "
			"pre-empted by a vfio-pci ids= option: it can claim the device at boot",
			d->name, d->vendor, d->device, names[i]);
	}
}

static void check_display(struct vh_eval *ev, const struct vh_vm_device *vd)
{
	const struct vh_device *d = vd->dev;
	const struct vh_hostpci *pci = vh_report_hostpci(ev->r, vd->hostpci_index);
	if ((d->class_code >> 16) != 0x03)
		return;
	char fix[768], fb[32];
	/* A legacy IGD needs its ROM (legacy-igd-invalid says so otherwise). */
	if (pci && pci->rombar && !pci->legacy_igd && d->vendor == 0x10de) {
		vh_hostpci_fix(ev->r, pci, ev->r->vm.machine == VH_MACHINE_Q35 && !pci->pcie, true,
			       fix, sizeof(fix));
		vh_eval_finding(ev, VH_F_ROMBAR_ENABLED, d->name, fix,
				"hostpci%d exposes the ROM BAR of display device %s to the guest: %s "
				"(rombar=0)",
				pci->index, d->name, vh_nvidia_failure(&ev->r->vm));
	}
	bool fb_found = vh_framebuffer_on_device(ev->h, d->name, fb, sizeof(fb));
	if (d->boot_vga || fb_found)
		vh_eval_finding(
			ev, VH_F_BOOT_VGA, d->name,
			"add initcall_blacklist=sysfb_init video=efifb:off to the kernel command line "
			"(/etc/default/grub or /etc/kernel/cmdline), update-grub, reboot",
			"%s is the host's boot display%s%s%s; the host console holds its memory and "
			"the guest may see a black screen",
			d->name, fb_found ? " (" : "", fb_found ? fb : "",
			fb_found ? " claims its memory)" : "");
}

static void check_holder(struct vh_eval *ev, const struct vh_device *d)
{
	struct vh_holder who;
	char fix[160], what[160];
	if (!vh_device_owner(ev->h, &d->addr, ev->r->vmid, -1, &who))
		return;
	if (who.kind == VH_HOLD_UNKNOWN) {
		ev->oom = true;
		return;
	}
	vh_holder_describe(&who, what, sizeof(what));
	snprintf(fix, sizeof(fix), "qm stop %u   # or remove %s from one of the two VMs", who.vmid,
		 d->name);
	vh_eval_finding(ev, VH_F_DEVICE_IN_USE, d->name, fix, "%s is in use: %s", d->name, what);
}

/* A PF whose enabled VFs are bound or passed: unbinding or resetting it
 * (the VM's start does both) removes them. */
static void check_sriov_pf(struct vh_eval *ev, const struct vh_device *d)
{
	struct vh_pci_addr vfs[256];
	char users[400] = "", fix[300];
	size_t used = 0, count = 0;
	if (!d->sriov_numvfs)
		return;
	size_t n = vh_pf_vfs(ev->h, d, vfs, VH_ARRAY_SIZE(vfs));
	for (size_t i = 0; i < n; i++) {
		const struct vh_device *vf = vh_host_device(ev->h, &vfs[i], NULL);
		struct vh_holder who;
		char what[160] = "";
		bool held = vh_device_owner(ev->h, &vfs[i], 0, -1, &who);
		if (held)
			vh_holder_describe(&who, what, sizeof(what));
		if (!held && vf && vf->present && !vf->driver[0])
			continue;
		count++;
		if (used < sizeof(users))
			used += (size_t)snprintf(users + used, sizeof(users) - used, "%s%s (%s)",
						 used ? ", " : "", vf ? vf->name : "?",
						 held                ? what
						 : vf && vf->present ? vf->driver
								     : "cannot be read");
	}
	if (!count) {
		vh_eval_passed(ev, VH_TOPIC_DEVICE,
			       "SR-IOV PF %s: none of its %u VFs is bound or passed", d->name,
			       d->sriov_numvfs);
		return;
	}
	snprintf(fix, sizeof(fix),
		 "pass a VF instead of the PF; or stop the VMs using its VFs, then "
		 "echo 0 > /sys/bus/pci/devices/%s/sriov_numvfs",
		 d->name);
	vh_eval_finding(
		ev, VH_F_SRIOV_VFS_IN_USE, d->name, fix,
		"%s is an SR-IOV PF with %u VFs enabled, and %zu of them are in use: %s; unbinding or "
		"resetting the PF removes them",
		d->name, d->sriov_numvfs, count, users);
}

/* The nearest bridge above d that does not enforce ACS, if any. */
static const struct vh_device *missing_acs_above(struct vh_host *h, const struct vh_device *d)
{
	for (int depth = 0; d && d->has_parent && depth < 16; depth++) {
		d = vh_host_device(h, &d->parent, NULL);
		if (d && d->present && d->is_pcie && !d->acs_enabled && d->pcie_port_type != 5)
			return d;
	}
	return NULL;
}

static void check_group(struct vh_eval *ev, const struct vh_device *d, struct vh_err *err)
{
	struct vh_pci_addr *members;
	size_t n;
	if (vh_group_members(ev->h, d->iommu_group, &members, &n, err) < 0) {
		vh_eval_finding(ev, VH_F_GROUP_NOT_ISOLATED, d->name, NULL,
				"cannot list IOMMU group %d: %s", d->iommu_group, err->msg);
		return;
	}
	char offenders[400] = "";
	size_t used = 0, count = 0;
	for (size_t i = 0; i < n; i++) {
		if (vh_report_has_device(ev->r, &members[i]))
			continue;
		const struct vh_device *m = vh_host_device(ev->h, &members[i], err);
		char name[VH_PCI_ADDR_STRLEN];
		vh_pci_addr_format(&members[i], name);
		/* A member that cannot be read counts against isolation: unknown
		 * is not harmless. */
		if (m && m->present && (m->is_bridge || vh_driver_harmless(m->driver)))
			continue;
		count++;
		if (used < sizeof(offenders))
			used += (size_t)snprintf(offenders + used, sizeof(offenders) - used,
						 "%s%s (%s)", used ? ", " : "", name,
						 m && m->present ? m->driver : "cannot be read");
	}
	free(members);
	if (!count) {
		vh_eval_passed(ev, VH_TOPIC_IOMMU,
			       "IOMMU group %d holds no other device on a host driver",
			       d->iommu_group);
		return;
	}
	const struct vh_device *port = missing_acs_above(ev->h, d);
	char why[160] = "";
	if (port)
		snprintf(why, sizeof(why),
			 "; the bridge %s above it does not enforce ACS, so the "
			 "kernel cannot isolate the devices below it",
			 port->name);
	vh_eval_finding(
		ev, VH_F_GROUP_NOT_ISOLATED, d->name,
		"move the card to a slot with its own IOMMU group (a CPU-attached slot), or pass "
		"the other devices of the group to the same VM",
		"IOMMU group %d of %s also holds %s, bound to a host driver and not given to VM %u%s",
		d->iommu_group, d->name, offenders, ev->r->vmid, why);
}

static void check_group_once(struct vh_eval *ev, const struct vh_device *d, int *seen_groups,
			     size_t *n_seen, struct vh_err *err)
{
	for (size_t g = 0; g < *n_seen; g++)
		if (seen_groups[g] == d->iommu_group)
			return;
	seen_groups[(*n_seen)++] = d->iommu_group;
	check_group(ev, d, err);
}

/* Each device by its role: an mdev parent stays on its host driver, so
 * driver, group, ROM and holder checks do not apply to it; a driver=keep
 * device keeps its driver, so no driver finding. */
static void check_devices(struct vh_eval *ev, bool iommu_active, struct vh_err *err)
{
	int seen_groups[MAX_VM_DEVICES];
	size_t n_seen = 0;
	for (size_t i = 0; i < ev->r->n_devices; i++) {
		const struct vh_vm_device *vd = &ev->r->devices[i];
		const struct vh_device *d = vd->dev;
		if (!d->present)
			continue;
		const struct vh_hostpci *pci = vh_report_hostpci(ev->r, vd->hostpci_index);
		if (vd->role == VH_ROLE_MDEV_PARENT) {
			if (pci && vh_entry_takes_device(ev->h, pci))
				check_holder(ev, d); /* an NVIDIA vGPU VF is the VM's own */
			continue;                    /* vh_check_mdev_entries judges it */
		}
		check_holder(ev, d);
		check_sriov_pf(ev, d);
		check_display(ev, vd);
		check_driver(ev, vd, vd->role == VH_ROLE_KEEP);
		if (vd->role == VH_ROLE_VFIO && !d->is_vf)
			check_host_drivers(ev,
					   d); /* VFs appear after boot: nothing claims them then */
		if (iommu_active && d->iommu_group >= 0)
			check_group_once(ev, d, seen_groups, &n_seen, err);
		else if (iommu_active)
			/* qemu-server's group bind dies ("Cannot open iommu_group") and
			 * vfio-pci has no /dev/vfio node to give QEMU: seen on the bench
			 * for an SR-IOV VF created after boot on AMD-Vi, whose IVRS names
			 * only the devices present at boot. */
			vh_eval_finding(
				ev, VH_F_IOMMU_GROUP_MISSING, d->name,
				"the IOMMU does not translate for this device: check that the firmware's "
				"DMAR/IVRS table covers it (dmesg | grep -i -e DMAR -e AMD-Vi), or pass "
				"another device",
				"%s has no IOMMU group although the IOMMU is on: Proxmox cannot bind it "
				"to vfio-pci (\"Cannot open iommu_group\") and QEMU cannot open it",
				d->name);
	}
}

/* ---- the whole evaluation ---- */

/* The VM's config, or the vm-config finding: a VM this node does not have
 * is named as such (its config has no line to correct), one Proxmox could
 * not parse names the line. */
static bool load_config(struct vh_eval *ev)
{
	struct vh_report *r = ev->r;
	char path[PATH_MAX], node[64], fix[160];
	struct vh_err e;
	if (vh_vmconf_load(ev->h, r->vmid, &r->vm, &e) == 0)
		return r->vm_loaded = true;
	if (vh_host_path(ev->h, path, sizeof(path), "/etc/pve/qemu-server/%u.conf", r->vmid) == 0 &&
	    !vh_path_exists(path)) {
		if (vh_node_name(ev->h, node, sizeof(node), NULL) < 0)
			vh_strlcpy(node, "this node", sizeof(node));
		vh_eval_finding(ev, VH_F_VM_CONFIG, "config", "qm list   # the VMs of this node",
				"no VM %u on node %s (no /etc/pve/qemu-server/%u.conf)", r->vmid,
				node, r->vmid);
		return false;
	}
	snprintf(fix, sizeof(fix), "qm config %u   # then correct the line named", r->vmid);
	vh_eval_finding(ev, VH_F_VM_CONFIG, "config", fix, "%s", e.msg);
	return false;
}

struct vh_report *vh_evaluate(struct vh_host *h, unsigned vmid, const struct vh_policy *p,
			      struct vh_err *err)
{
	struct vh_report *r = calloc(1, sizeof(*r));
	if (r)
		r->devices = calloc(MAX_VM_DEVICES, sizeof(*r->devices));
	if (!r || !r->devices) {
		vh_report_free(r);
		vh_fail(err, "out of memory");
		return NULL;
	}
	r->vmid = vmid;
	/* Without /etc/pve there is no VM to judge: the tool cannot run here,
	 * which is not a verdict on a start. */
	if (!vh_is_pve_node(h)) {
		vh_report_free(r);
		vh_fail(err, "this host is not a Proxmox VE node: %s/etc/pve does not exist",
			strcmp(vh_host_root(h), "/") ? vh_host_root(h) : "");
		return NULL;
	}
	struct vh_eval ev = { .h = h, .policy = p, .r = r };
	struct vh_err e;
	if (!load_config(&ev))
		return r;
	bool iommu_active;
	vh_check_vm_settings(&ev);
	resolve_devices(&ev);
	if (!read_devices(&ev, err)) {
		vh_report_free(r);
		return NULL;
	}
	vh_check_code43(&ev);
	vh_check_guest_settings(&ev);
	vh_check_legacy_igd(&ev);
	vh_check_mdev_entries(&ev);
	vh_check_x_vga(&ev);
	if (r->vm.n_hostpci) {
		check_iommu(&ev, &iommu_active);
		check_modules(&ev);
		check_etc_modules(&ev);
		vh_check_memory(&ev);
		check_devices(&ev, iommu_active, &e);
		vh_check_health(&ev, iommu_active);
		vh_check_setup(&ev);
	}
	if (ev.oom) {
		vh_report_free(r);
		vh_fail(err, "out of memory");
		return NULL;
	}
	return r;
}
