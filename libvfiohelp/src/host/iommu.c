/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The IOMMU as the kernel shows it: whether one is active, the members of
 * an IOMMU group, and whether interrupts are remapped (vfio's precondition
 * for a device's MSI/INTx) or allowed unremapped.
 */
#include "internal.h"
#include "base/array.h"
#include "host/facts.h"
#include "host/host.h"
#include "host/iommu.h"
#include "host/kmods.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- IOMMU ---- */

/* First entry of a directory that is not "." or ".."; false if none. */
static bool first_entry(const char *dir, char *name, size_t size)
{
	DIR *d = opendir(dir);
	if (!d)
		return false;
	struct dirent *e;
	bool found = false;
	while (!found && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			vh_strlcpy(name, e->d_name, size);
			found = true;
		}
	closedir(d);
	return found;
}

int vh_iommu_active(struct vh_host *h, bool *active, char *unit, size_t size, struct vh_err *err)
{
	char cls[PATH_MAX], groups[PATH_MAX], any[256];
	if (h->facts) {
		*active = h->facts->iommu_on;
		vh_strlcpy(unit, h->facts->iommu_unit, size);
		return 0;
	}
	if (vh_host_path(h, cls, sizeof(cls), "/sys/class/iommu") < 0 ||
	    vh_host_path(h, groups, sizeof(groups), "/sys/kernel/iommu_groups") < 0)
		return vh_fail(err, "path too long");
	*active = first_entry(cls, unit, size) && first_entry(groups, any, sizeof(any));
	return 0;
}

int vh_group_members(struct vh_host *h, int group, struct vh_pci_addr **out, size_t *count,
		     struct vh_err *err)
{
	char dir[PATH_MAX];
	size_t cap = 0;
	if (h->facts)
		return vh_facts_group_members(h->facts, group, out, count, err);
	*count = 0;
	*out = NULL;
	if (vh_host_path(h, dir, sizeof(dir), "/sys/kernel/iommu_groups/%d/devices", group) < 0)
		return vh_fail(err, "path too long");
	DIR *d = opendir(dir);
	if (!d)
		return vh_fail(err, "%s: %s", dir, strerror(errno));
	struct dirent *e;
	while ((e = readdir(d))) {
		struct vh_pci_addr a;
		if (e->d_name[0] == '.')
			continue;
		/* Members are PCI functions; anything else is not ours to judge. */
		if (vh_pci_addr_parse(e->d_name, strlen(e->d_name), &a) < 0 || !a.has_func)
			continue;
		if (VH_ARRAY_ROOM(*out, cap, *count) < 0) {
			closedir(d);
			free(*out);
			*out = NULL;
			*count = 0;
			return vh_fail(err, "out of memory");
		}
		(*out)[(*count)++] = a;
	}
	closedir(d);
	return 0;
}

size_t vh_device_functions(struct vh_host *h, const struct vh_pci_addr *slot,
			   struct vh_pci_addr *out, size_t max)
{
	size_t n = 0;
	if (h->facts)
		return vh_facts_slot_functions(h->facts, slot, out, max);
	for (uint8_t f = 0; f < 8 && n < max; f++) {
		struct vh_pci_addr a = *slot;
		char name[VH_PCI_ADDR_STRLEN], path[PATH_MAX];
		a.func = f;
		a.has_func = true;
		vh_pci_addr_format(&a, name);
		if (vh_host_path(h, path, sizeof(path), "/sys/bus/pci/devices/%s", name) == 0 &&
		    vh_path_exists(path))
			out[n++] = a;
	}
	return n;
}

/* ---- interrupts ---- */

bool vh_interrupts_parse(const char *text, size_t len)
{
	/* A chip name is a word of its own: "IR-PCI-MSI-0000:01:00.0", never
	 * inside another word ("AMD-IR-0" names the remapping unit itself). */
	const char *end = text + len, *p = memmem(text, len, "IR-", 3);
	while (p && !(p > text && (p[-1] == ' ' || p[-1] == '\t')))
		p = memmem(p + 3, (size_t)(end - p - 3), "IR-", 3);
	return p != NULL;
}

int vh_interrupts_remapped(struct vh_host *h, bool *remapped, struct vh_err *err)
{
	char path[PATH_MAX], *text;
	size_t len;
	*remapped = false;
	if (h->facts && h->facts->intremap < 0)
		return vh_failc(err, ENOENT, "node %s could not read its /proc/interrupts",
				h->facts->node);
	if (h->facts) {
		*remapped = h->facts->intremap == 1;
		return 0;
	}
	if (vh_host_path(h, path, sizeof(path), "/proc/interrupts") < 0)
		return vh_fail(err, "path too long");
	if (vh_slurp(path, 4u << 20, &text, &len) < 0)
		return vh_fail(err, "cannot read %s: %s", path, strerror(errno));
	*remapped = vh_interrupts_parse(text, len);
	free(text);
	return 0;
}

static bool yes(const char *v)
{
	return !strcmp(v, "Y") || !strcmp(v, "y") || !strcmp(v, "1");
}

bool vh_unsafe_interrupts(struct vh_host *h, enum vh_unsafe_source *source)
{
	char path[PATH_MAX], value[16];
	if (h->facts) {
		*source = h->facts->unsafe_source;
		return h->facts->unsafe_interrupts;
	}
	if (vh_host_path(h, path, sizeof(path),
			 "/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts") == 0 &&
	    vh_read_attr(path, value, sizeof(value)) == 0) {
		*source = VH_UNSAFE_PARAM;
		return yes(value);
	}
	if (vh_module_option(h, "vfio_iommu_type1", "allow_unsafe_interrupts", value,
			     sizeof(value))) {
		*source = VH_UNSAFE_MODPROBE;
		return yes(value);
	}
	*source = VH_UNSAFE_DEFAULT;
	return false;
}
