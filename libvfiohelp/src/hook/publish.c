/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The node's inventory, published by the hook when it changed: after
 * pre-start and post-stop, the phases that move devices between drivers,
 * still under the hook's lock. It never changes the phase's verdict and
 * never writes to the task log: a node without /etc/pve/nodes/NODE or
 * without quorum keeps its old inventory, and the hook log says why.
 *
 * Cheap when nothing changed: the digest of what changes on a running node
 * (vh_inventory_signature: the bus, the drivers' devices, modules, running
 * VMs, reservations, memory; a few hundred reads whatever the bus's size)
 * is kept in /run/vfiohelp/inventory.sig after each publication; equal,
 * and the inventory is not taken at all. Different, and it is taken and
 * compared with the published one, which is written only if it differs.
 *
 * A start the pre-start allowed is about to hold the VM's devices: they are
 * published as held by it (QEMU's pid file, which would say so, comes only
 * after the hook), and the digest kept says "VM N starting"; its post-stop
 * publishes them free again. When that is all that changed (the digest but
 * for the starting VM is the kept one), the published inventory is patched:
 * the bus is not read.
 */
#include "internal.h"
#include "cluster/inventory.h"
#include "host/facts.h"
#include "hook/phase.h"
#include "host/host.h"
#include "host/kmods.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SIG_FILE "inventory.sig"

static void note(struct hook *hk, const char *what, const char *why)
{
	char line[1200];
	snprintf(line, sizeof(line), "vfio-hook: inventory %s%s%s", what, why ? ": " : "",
		 why ? why : "");
	json_object_array_add(hk->lines, json_object_new_string(line));
}

/* The digest kept at the last publication, "" when none. */
static void read_sig(int dir, char *buf, size_t size)
{
	buf[0] = '\0';
	int fd = openat(dir, SIG_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, buf, size - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
}

static void keep_sig(int dir, const char *sig)
{
	int fd = openat(dir, SIG_FILE ".tmp", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
			0600);
	if (fd < 0)
		return;
	bool ok = write(fd, sig, strlen(sig)) == (ssize_t)strlen(sig);
	if (close(fd) == 0 && ok)
		renameat(dir, SIG_FILE ".tmp", dir, SIG_FILE);
	else
		unlinkat(dir, SIG_FILE ".tmp", 0);
}

/* The VM's devices as held by it when it starts, free when it stops (its
 * pid file, which would tell, exists only between the two). */
static void mark_vm(struct hook *hk, struct vh_facts *f, bool starting)
{
	struct vh_err e;
	for (size_t k = 0; k < f->n_devices; k++)
		if (f->devices[k].held_by == hk->vmid)
			f->devices[k].held_by = 0;
	struct vh_report *r = starting ? vh_evaluate(hk->h, hk->vmid, hk->policy, &e) : NULL;
	for (size_t i = 0; r && i < r->n_devices; i++) {
		if (r->devices[i].role == VH_ROLE_MDEV_PARENT) /* shared, not taken */
			continue;
		for (size_t k = 0; k < f->n_devices; k++)
			if (vh_pci_addr_equal(&f->devices[k].dev.addr, &r->devices[i].addr))
				f->devices[k].held_by = hk->vmid;
	}
	vh_report_free(r);
}

void vh_hook_publish(struct hook *hk, bool starting)
{
	struct vh_err e;
	enum vh_publish res = VH_PUBLISH_NO_QUORUM; /* stays so when publishing fails */
	char sig[48] = "", plain[32] = "", kept[64];
	if (hk->stuck[0]) { /* reading the bus would read the stuck device too */
		note(hk, "not published", "a device's driver hangs; the next phase publishes");
		return;
	}
	read_sig(hk->state_dir, kept, sizeof(kept));
	if (vh_inventory_signature(hk->h, plain, sizeof(plain)) < 0 ||
	    vh_format(sig, sizeof(sig), starting ? "%s+%u" : "%s", plain, hk->vmid) < 0)
		sig[0] = plain[0] = '\0';
	if (sig[0] && !strcmp(kept, sig))
		return; /* nothing a running node changes has changed */
	/* only a VM started or stopped since: the published inventory, its
	 * holders changed; anything else: the host read again */
	struct vh_inventory *inv = NULL;
	if (plain[0] && !strncmp(kept, plain, strlen(plain)) &&
	    (kept[strlen(plain)] == '\0' || kept[strlen(plain)] == '+'))
		inv = vh_inventory_published(hk->h, &e);
	if (!inv) {
		/* the phase moved devices and loaded modules: read them afresh */
		vh_host_forget_devices(hk->h);
		vh_kmods_forget_loaded(hk->h);
		inv = vh_inventory_take(hk->h, &e);
	}
	if (inv)
		mark_vm(hk, inv->facts, starting);
	if (!inv || vh_inventory_publish(hk->h, inv, &res, &e) < 0)
		note(hk, "not published", e.msg);
	else if (res == VH_PUBLISH_NO_QUORUM)
		note(hk, "not published", "no quorum (/etc/pve is read-only)");
	else if (res == VH_PUBLISHED)
		note(hk, "published", NULL);
	if (inv && (res == VH_PUBLISHED || res == VH_PUBLISH_UNCHANGED) && sig[0])
		keep_sig(hk->state_dir, sig);
	vh_inventory_free(inv);
}
