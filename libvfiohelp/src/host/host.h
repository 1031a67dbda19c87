/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The host context's fields, for the modules that keep state in it. */
#ifndef VFIOHELP_HOST_H
#define VFIOHELP_HOST_H

#include "internal.h"

#include <limits.h>
#include <setjmp.h>

struct pci_access;
struct kmod_ctx;
struct vh_facts;

struct vh_host {
	char root[PATH_MAX]; /* "" for the live system */
	bool live;
	bool want_names; /* look devices up in pci.ids */
	/* the hook keeps caches in /run/vfiohelp (the initramfs verdict); the
	 * dry run (hookctl check) only reads them: it changes nothing */
	bool write_caches;
	/* a node judged from its inventory (facts.h): every host question is
	 * answered from these, and only /etc/pve resolves under the root */
	struct vh_facts *facts;

	/* libpci (pcidev.c): opened on the first device read. Its error
	 * callback must not return, so it longjmps back to pci_guard. */
	struct pci_access *pacc;
	jmp_buf *pci_guard;
	char pci_error[256];

	/* devices read so far (pcidev.c) */
	struct vh_device **devices;
	size_t n_devices, cap_devices;

	/* libkmod (kmods.c): opened on first use */
	struct kmod_ctx *kmod;
	char kver[128];
	/* /proc/cmdline, read once: the IOMMU, boot-loader and setup checks all
	 * ask for it, and it cannot change while the host runs */
	char *cmdline;
	char *proc_modules; /* <root>/proc/modules, read once */

	/* the devices running VMs' configs pass (pve/ownership.c), read once */
	bool running_loaded, running_unknown;
	struct vh_vm_uses running;

	/* an incoming live migration (vh_host_set_migration): this VM's config
	 * is still in /etc/pve/nodes/<migrated_from>/qemu-server/ */
	unsigned migrating_vmid;
	char migrated_from[64];
};

void vh_pci_close(struct vh_host *h);

/* Drops the device cache (after the hook changed drivers). */
void vh_host_forget_devices(struct vh_host *h);
/* Kernel release from <root>/proc/sys/kernel/osrelease. */
int vh_host_kernel_release(struct vh_host *h, struct vh_err *err);

#endif
