/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The facts back end of the host model (facts.h): the answers a host read
 * from its files gives, taken from a table of facts instead.
 */
#include "internal.h"
#include "base/array.h"
#include "host/facts.h"
#include "host/host.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void vh_facts_free(struct vh_facts *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n_devices; i++)
		free(f->devices[i].mdev), free(f->devices[i].vgpu);
	free(f->devices);
	free(f->setup);
	free(f->cmdline);
	free(f);
}

void vh_host_use_facts(struct vh_host *h, struct vh_facts *f)
{
	vh_host_forget_devices(h);
	vh_facts_free(h->facts);
	h->facts = f;
	/* the caches the host keeps of its files, filled from the facts */
	free(h->cmdline);
	h->cmdline = f && f->cmdline ? strdup(f->cmdline) : NULL;
	vh_strlcpy(h->kver, f ? f->kernel : "", sizeof(h->kver));
	h->running_loaded = f != NULL;
}

const struct vh_facts *vh_host_facts(const struct vh_host *h)
{
	return h->facts;
}

const struct vh_fact_device *vh_facts_device(const struct vh_facts *f, const struct vh_pci_addr *a)
{
	struct vh_pci_addr key = *a;
	key.has_func = true;
	size_t lo = 0, hi = f->n_devices;
	while (lo < hi) { /* the table is in address order */
		size_t mid = lo + (hi - lo) / 2;
		int c = vh_pci_addr_compare(&f->devices[mid].dev.addr, &key);
		if (c == 0)
			return &f->devices[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct vh_fact_device *vh_facts_device_named(const struct vh_facts *f, const char *name)
{
	struct vh_pci_addr a;
	return vh_pci_addr_parse(name, strlen(name), &a) == 0 ? vh_facts_device(f, &a) : NULL;
}

int vh_facts_group_members(const struct vh_facts *f, int group, struct vh_pci_addr **out,
			   size_t *count, struct vh_err *err)
{
	size_t cap = 0;
	*out = NULL;
	*count = 0;
	for (size_t i = 0; i < f->n_devices; i++) {
		if (f->devices[i].dev.iommu_group != group)
			continue;
		if (VH_ARRAY_ROOM(*out, cap, *count) < 0) {
			free(*out);
			*out = NULL;
			*count = 0;
			return vh_fail(err, "out of memory");
		}
		(*out)[(*count)++] = f->devices[i].dev.addr;
	}
	if (!*count)
		return vh_failc(err, ENOENT, "node %s's inventory has no IOMMU group %d", f->node,
				group);
	return 0;
}

size_t vh_facts_slot_functions(const struct vh_facts *f, const struct vh_pci_addr *slot,
			       struct vh_pci_addr *out, size_t max)
{
	size_t n = 0;
	for (uint8_t fn = 0; fn < 8 && n < max; fn++) {
		struct vh_pci_addr a = *slot;
		a.func = fn;
		a.has_func = true;
		if (vh_facts_device(f, &a))
			out[n++] = a;
	}
	return n;
}

size_t vh_facts_pf_vfs(const struct vh_facts *f, const struct vh_pci_addr *pf,
		       struct vh_pci_addr *out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < f->n_devices && n < max; i++)
		if (f->devices[i].dev.is_vf && vh_pci_addr_equal(&f->devices[i].dev.physfn, pf))
			out[n++] = f->devices[i].dev.addr;
	return n;
}

int vh_facts_mdev(const struct vh_facts *f, const struct vh_pci_addr *dev, const char *type,
		  long long *available)
{
	const struct vh_fact_device *d = vh_facts_device(f, dev);
	if (!d || !d->n_mdev)
		return -1;
	for (size_t i = 0; i < d->n_mdev; i++)
		if (!strcmp(d->mdev[i].type, type)) {
			*available = d->mdev[i].available;
			return 0;
		}
	return -2;
}

enum vh_module_state vh_facts_module(const struct vh_facts *f, const char *name)
{
	for (size_t i = 0; i < VH_VFIO_MODULE_COUNT; i++)
		if (!strcmp(vh_vfio_modules[i], name))
			return f->vfio[i];
	return VH_MOD_MISSING; /* the inventory knows the vfio modules only */
}
