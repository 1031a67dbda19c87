/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A host known by its facts instead of its files: the second back end of
 * the host model (libpci's struct pci_methods has sysfs and a dump; here
 * the dump is another node's published inventory). A host with facts
 * answers the device, group, IOMMU, interrupt, module, command-line and
 * holder questions the checks ask from them, and resolves no node-local
 * path: only the cluster file system (/etc/pve), the same on every node,
 * is read under its root. The checks cannot tell the two apart, so a node
 * is judged from its inventory by the code that judges the live host.
 */
#ifndef VFIOHELP_FACTS_H
#define VFIOHELP_FACTS_H

#include "internal.h"
#include "host/iommu.h"
#include "host/kmods.h"
#include "host/pcidev.h"
#include "host/system.h"

/* An mdev type a device offers and how many more instances it can make. */
struct vh_fact_mdev {
	char type[64];
	long long available;
};

struct vh_fact_device {
	struct vh_device dev; /* every field the checks read */
	bool answers;         /* its config space gives its vendor id now */
	char framebuffer[32]; /* a host framebuffer in its BARs, "" none */
	unsigned held_by;     /* the VM holding it when the facts were taken, 0 */
	bool vfio_variant;    /* on a vfio variant driver (a vfio-dev/ directory) */
	struct vh_fact_mdev *mdev;
	size_t n_mdev;
	struct vh_vgpu *vgpu; /* NVIDIA's vGPU sysfs API, NULL without one */
};

/* A finding of the host's setup (checks_setup.c) as the node judged it:
 * the files it reads (boot loader, initramfs, modprobe.d) are the node's. */
struct vh_fact_finding {
	enum vh_finding_id kind;
	char subject[64];
	char message[512];
	char fix[768];
};

/* One hugepage size's pool: nr -1 when the host has no such size. */
struct vh_fact_hugepages {
	long long nr, free;
};

struct vh_facts {
	char node[64];
	char kernel[128];
	char boot_id[40];
	long long made_at; /* Unix seconds */
	bool iommu_on;
	char iommu_unit[32]; /* dmar0, ivhd0 */
	int intremap;        /* 1 on, 0 off, -1 unknown (no /proc/interrupts) */
	bool unsafe_interrupts;
	enum vh_unsafe_source unsafe_source;
	enum vh_module_state vfio[VH_VFIO_MODULE_COUNT]; /* vh_vfio_modules' order */
	char *cmdline;
	enum vh_cpu_vendor cpu;
	/* MemTotal; MemAvailable in whole GiB, rounded down: a figure that does
	 * not change the inventory at every page the host allocates. 0: unknown */
	uint64_t mem_total_mib, mem_available_mib;
	struct vh_fact_hugepages hugepages[2]; /* 2 MiB, 1 GiB */
	struct vh_fact_device *devices;        /* in address order */
	size_t n_devices, cap_devices;
	struct vh_fact_finding *setup;
	size_t n_setup, cap_setup;
};

void vh_facts_free(struct vh_facts *f);
/* The host answers from f from now on (it owns f); its device cache is
 * dropped. */
void vh_host_use_facts(struct vh_host *h, struct vh_facts *f);
/* The facts a host answers from, NULL for a host read from its files. */
const struct vh_facts *vh_host_facts(const struct vh_host *h);

/* The device at a (function 0 when a has none), NULL when absent. */
const struct vh_fact_device *vh_facts_device(const struct vh_facts *f, const struct vh_pci_addr *a);
/* The same by name ("0000:01:00.0", as sysfs names a device). */
const struct vh_fact_device *vh_facts_device_named(const struct vh_facts *f, const char *name);
/* The answers of the host functions, for their facts branch. */
int vh_facts_group_members(const struct vh_facts *f, int group, struct vh_pci_addr **out,
			   size_t *count, struct vh_err *err);
size_t vh_facts_slot_functions(const struct vh_facts *f, const struct vh_pci_addr *slot,
			       struct vh_pci_addr *out, size_t max);
/* A PF's enabled VFs, at most max. */
size_t vh_facts_pf_vfs(const struct vh_facts *f, const struct vh_pci_addr *pf,
		       struct vh_pci_addr *out, size_t max);
/* An mdev type of device dev: 0 with its free instances; -1 when the device
 * offers no mdev types, -2 when it lacks this one. */
int vh_facts_mdev(const struct vh_facts *f, const struct vh_pci_addr *dev, const char *type,
		  long long *available);
enum vh_module_state vh_facts_module(const struct vh_facts *f, const char *name);

#endif
