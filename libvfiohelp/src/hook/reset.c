/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Resets: which one a device gets (the kernel's reset_method, narrowed so a
 * bus reset never hits a device another VM or the host uses, never a PF
 * with enabled VFs), and what the hook says when there is none.
 */
#include "internal.h"
#include "eval/checks.h"
#include "hook/bind.h"
#include "hook/phase.h"
#include "host/host.h"
#include "host/iommu.h"
#include "host/sysfs.h"
#include "pve/ownership.h"
#include "pve/state.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Another VM owns the device now (pve/ownership.h): a post-stop that runs
 * after another VM started on the card must not reset or unbind it under
 * that guest. */
bool vh_hook_owned_elsewhere(struct hook *hk, const struct vh_pci_addr *a, char *who, size_t size)
{
	struct vh_holder o;
	if (!vh_device_owner(hk->h, a, hk->vmid, hk->state_dir, &o))
		return false;
	vh_holder_describe(&o, who, size);
	return true;
}

/* Devices on d's bus, other than the VM's, that a host driver is using:
 * a secondary bus reset would reset them too. Read from the directory of
 * the bridge above d (one readdir, not a bus scan). */
static size_t host_users_on_bus(struct hook *hk, const struct vh_device *d, char *names,
				size_t size)
{
	char dir[PATH_MAX], parent[VH_PCI_ADDR_STRLEN];
	size_t n = 0, used = 0;
	names[0] = '\0';
	vh_pci_addr_format(&d->parent, parent);
	if (vh_host_path(hk->h, dir, sizeof(dir), "/sys/bus/pci/devices/%s", parent) < 0)
		return 0;
	DIR *dp = opendir(dir);
	struct dirent *e;
	while (dp && (e = readdir(dp))) {
		struct vh_pci_addr a;
		char drv[64];
		if (vh_pci_addr_parse(e->d_name, strlen(e->d_name), &a) < 0 || !a.has_func ||
		    a.bus != d->addr.bus)
			continue;
		char link[PATH_MAX];
		drv[0] = '\0';
		if (vh_format(link, sizeof(link), "%s/%s/driver", dir, e->d_name) >= 0 &&
		    vh_link_basename(link, drv, sizeof(drv)) < 0)
			drv[0] = '\0';
		char who[128];
		if (vh_hook_ours(hk, &a) ||
		    (vh_driver_harmless(drv) && !vh_hook_owned_elsewhere(hk, &a, who, sizeof(who))))
			continue; /* a VF on vfio-pci in another VM is a user too */
		if (!drv[0])
			vh_strlcpy(drv, "in use by another VM", sizeof(drv));
		n++;
		if (used < size)
			used += (size_t)snprintf(names + used, size - used, "%s%s (%s)",
						 used ? ", " : "", e->d_name, drv);
	}
	if (dp)
		closedir(dp);
	return n;
}

/* reset_method without "bus": "pm bus" -> "pm"; "" when bus was all. */
static void without_bus(const char *methods, char *out, size_t size)
{
	size_t used = 0;
	out[0] = '\0';
	for (const char *p = methods; *p;) {
		size_t n = strcspn(p, " ");
		if (n && !(n == 3 && !strncmp(p, "bus", 3)) && used + n + 2 < size)
			used += (size_t)snprintf(out + used, size - used, "%s%.*s", used ? " " : "",
						 (int)n, p);
		p += n + (p[n] == ' ');
	}
}

/* Says why a reset failed; at pre-start that refuses the start. */
static int reset_failed(struct hook *hk, const struct vh_device *d, const char *why, bool fatal)
{
	vh_hook_say(hk, "%s reset %s: %s", fatal ? "error" : "warn", d->name, why);
	if (fatal)
		vh_hook_say(
			hk,
			"  fix: check dmesg for %s; to start without the hook's reset (Proxmox resets "
			"the device itself), set \"reset\": false in /etc/pve/vfiohelp.json",
			d->name);
	return -1;
}

/* Resets d with the kernel's methods, leaving out the bus reset while the
 * host uses another device on the bus: reset_method is narrowed for the
 * reset and put back afterwards. -1 when a write failed. */
static int reset_one(struct hook *hk, const struct vh_device *d, bool fatal)
{
	char users[256], narrow[128], path[PATH_MAX], why[1200];
	struct vh_err e;
	bool has_bus = strstr(d->reset_method, "bus") != NULL;
	if (!has_bus || !d->has_parent || !host_users_on_bus(hk, d, users, sizeof(users))) {
		if (vh_reset_device(hk->h, d->name, hk->timeout_ms, &e) < 0)
			return reset_failed(hk, d, e.msg, fatal);
		vh_hook_say(hk, "reset %s (%s)", d->name, d->reset_method);
		return 0;
	}
	without_bus(d->reset_method, narrow, sizeof(narrow));
	if (!narrow[0]) {
		vh_hook_say(
			hk,
			"info reset %s skipped: only a bus reset is possible and it would also reset %s",
			d->name, users);
		return 0;
	}
	if (vh_host_path(hk->h, path, sizeof(path), "/sys/bus/pci/devices/%s/reset_method",
			 d->name) < 0 ||
	    vh_sysfs_write(path, narrow, hk->timeout_ms, &e) < 0) {
		vh_hook_say(
			hk,
			"info reset %s skipped: cannot leave out the bus reset that would also reset %s",
			d->name, users);
		return 0;
	}
	int rc = 0;
	if (vh_reset_device(hk->h, d->name, hk->timeout_ms, &e) < 0)
		rc = reset_failed(hk, d, e.msg, fatal);
	else
		vh_hook_say(hk, "reset %s (%s; no bus reset: %s share the bus)", d->name, narrow,
			    users);
	if (vh_sysfs_write(path, d->reset_method, hk->timeout_ms, &e) < 0) {
		snprintf(why, sizeof(why), "could not restore reset_method '%s': %s",
			 d->reset_method, e.msg);
		rc = reset_failed(hk, d, why, fatal);
	}
	return rc;
}

/* Resets one of the VM's devices unless another VM holds it or it is a PF
 * whose VFs are enabled (a PF reset removes them); -1 when it failed. */
int vh_hook_reset_device(struct hook *hk, const struct vh_device *d, bool fatal)
{
	char who[128];
	if (d->is_bridge)
		return 0;
	if (vh_hook_owned_elsewhere(hk, &d->addr, who, sizeof(who))) {
		vh_hook_say(hk, "info reset %s skipped: %s", d->name, who);
		return 0;
	}
	if (d->sriov_numvfs) {
		vh_hook_say(
			hk,
			"info reset %s skipped: it is an SR-IOV PF with %u VFs enabled, which a reset "
			"would remove",
			d->name, d->sriov_numvfs);
		return 0;
	}
	if (!d->has_reset || !d->reset_method[0]) {
		vh_hook_say(
			hk,
			"info reset %s: the kernel offers no reset for it; QEMU starts it as it is",
			d->name);
		return 0;
	}
	return reset_one(hk, d, fatal);
}

/* Resets the VM's devices if the policy says so; returns how many resets
 * failed. At pre-start a failed reset refuses the start. */
size_t vh_hook_reset_devices(struct hook *hk, const struct vh_report *r)
{
	size_t failed = 0;
	if (!vh_policy_reset(hk->policy, hk->vmid))
		return 0;
	for (size_t i = 0; i < r->n_devices; i++)
		if (vh_hook_may_touch(&r->devices[i]) &&
		    vh_hook_reset_device(hk, r->devices[i].dev, true) < 0)
			failed++;
	return failed;
}
