/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One PCI function, read on demand: identity, class and capabilities through
 * libpci's sysfs back end (pointed under the root), the rest from the
 * device's sysfs attributes. Only devices someone asks for are read: no bus
 * scan, so a pre-start costs what the VM's devices and groups cost.
 */
#include "internal.h"
#include "base/array.h"
#include "host/facts.h"
#include "host/host.h"
#include "host/pcidev.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <pci/pci.h>

#define PCI_EXP_FLAGS_TYPE_SHIFT 4
#define PCI_EXP_DEVCAP_FLR_BIT (1u << 28)
#define ACS_SV 0x01u
#define ACS_RR 0x04u
#define ACS_CR 0x08u
#define ACS_UF 0x10u

/* libpci calls its error handler with no context, and expects it never to
 * return (its default exits the process). The host being read is kept here
 * and the handler jumps back to the guard set around each libpci call. */
static __thread struct vh_host *pci_current;

static void pci_error_jump(char *msg, ...) __attribute__((noreturn)) VH_PRINTF(1, 2);
static void pci_error_jump(char *msg, ...)
{
	struct vh_host *h = pci_current;
	va_list ap;
	va_start(ap, msg);
	vsnprintf(h->pci_error, sizeof(h->pci_error), msg, ap);
	va_end(ap);
	longjmp(*h->pci_guard, 1);
}

static void pci_quiet(char *msg, ...)
{
	(void)msg;
}

static int pci_open(struct vh_host *h, struct vh_err *err)
{
	if (h->pacc)
		return 0;
	char sysfs[PATH_MAX];
	if (vh_host_path(h, sysfs, sizeof(sysfs), "/sys/bus/pci") < 0)
		return vh_fail(err, "%s/sys/bus/pci: path too long", h->root);
	struct pci_access *pacc = pci_alloc();
	if (!pacc)
		return vh_fail(err, "libpci: out of memory");
	pacc->error = pci_error_jump;
	pacc->warning = pci_quiet;
	pacc->debug = pci_quiet;
	pacc->method = PCI_ACCESS_SYS_BUS_PCI;
	pci_set_param(pacc, "sysfs.path", sysfs);

	jmp_buf guard;
	pci_current = h;
	h->pci_guard = &guard;
	if (setjmp(guard)) {
		h->pci_guard = NULL;
		pci_cleanup(pacc);
		return vh_fail(err, "libpci cannot read %s: %s", sysfs, h->pci_error);
	}
	pci_init(pacc);
	h->pci_guard = NULL;
	h->pacc = pacc;
	return 0;
}

void vh_pci_close(struct vh_host *h)
{
	if (h->pacc)
		pci_cleanup(h->pacc);
	h->pacc = NULL;
}

static void read_pcie_caps(struct pci_dev *d, struct vh_device *dev)
{
	dev->pcie_port_type = -1;
	struct pci_cap *exp = pci_find_cap(d, PCI_CAP_ID_EXP, PCI_CAP_NORMAL);
	if (exp) {
		dev->is_pcie = true;
		u16 flags = pci_read_word(d, exp->addr + PCI_EXP_FLAGS);
		dev->pcie_port_type = (flags & PCI_EXP_FLAGS_TYPE) >> PCI_EXP_FLAGS_TYPE_SHIFT;
		u32 devcap = pci_read_long(d, exp->addr + PCI_EXP_DEVCAP);
		dev->has_flr = (devcap & PCI_EXP_DEVCAP_FLR_BIT) != 0;
	}
	struct pci_cap *acs = pci_find_cap(d, PCI_EXT_CAP_ID_ACS, PCI_CAP_EXTENDED);
	if (acs) {
		dev->has_acs = true;
		u16 cap = pci_read_word(d, acs->addr + 4);
		u16 ctrl = pci_read_word(d, acs->addr + 6);
		/* The kernel's test for ports (pci_acs_enabled): every one of
		 * these the port implements must be on. */
		u16 need = (ACS_SV | ACS_RR | ACS_CR | ACS_UF) & cap;
		dev->acs_enabled = (ctrl & need) == need;
	}
}

/* "NVIDIA Corporation AD106 [GeForce RTX 4060 Ti]", or the vendor alone
 * when the system's pci.ids is older than the device. */
static void describe(struct vh_host *h, struct vh_device *dev)
{
	char vendor[96];
	const int flags = PCI_LOOKUP_NO_NUMBERS | PCI_LOOKUP_NO_HWDB;
	if (pci_lookup_name(h->pacc, dev->description, sizeof(dev->description),
			    PCI_LOOKUP_VENDOR | PCI_LOOKUP_DEVICE | flags, dev->vendor,
			    dev->device))
		return;
	if (pci_lookup_name(h->pacc, vendor, sizeof(vendor), PCI_LOOKUP_VENDOR | flags,
			    dev->vendor))
		snprintf(dev->description, sizeof(dev->description), "%s device %04x", vendor,
			 dev->device);
	else
		dev->description[0] = '\0';
}

/* Identity and capabilities through libpci; jumps out on libpci errors. */
static int read_config(struct vh_host *h, struct vh_device *dev, struct vh_err *err)
{
	jmp_buf guard;
	struct pci_dev *volatile d = NULL;
	pci_current = h;
	h->pci_guard = &guard;
	if (setjmp(guard)) {
		h->pci_guard = NULL;
		if (d)
			pci_free_dev(d);
		return vh_fail(err, "%s: libpci cannot read the device: %s", dev->name,
			       h->pci_error);
	}
	d = pci_get_dev(h->pacc, dev->addr.domain, dev->addr.bus, dev->addr.dev, dev->addr.func);
	pci_fill_info(d, PCI_FILL_IDENT | PCI_FILL_CLASS | PCI_FILL_CLASS_EXT | PCI_FILL_SUBSYS |
				 PCI_FILL_CAPS | PCI_FILL_EXT_CAPS);
	dev->vendor = d->vendor_id;
	dev->device = d->device_id;
	dev->class_code = ((u32)d->device_class << 8) | d->prog_if;
	dev->subsys_vendor = d->subsys_vendor_id;
	dev->subsys_device = d->subsys_id;
	dev->is_bridge = (pci_read_byte(d, PCI_HEADER_TYPE) & 0x7f) == PCI_HEADER_TYPE_BRIDGE;
	read_pcie_caps(d, dev);
	if (h->want_names)
		describe(h, dev);
	pci_free_dev(d);
	h->pci_guard = NULL;
	return 0;
}

/* The parent bridge is the path component above the device in
 * /sys/devices (the link in /sys/bus/pci/devices tells the path). */
static void read_parent(const char *link, struct vh_device *dev)
{
	char target[PATH_MAX];
	ssize_t n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return;
	target[n] = '\0';
	char *last = strrchr(target, '/');
	if (!last)
		return;
	*last = '\0';
	char *up = strrchr(target, '/');
	up = up ? up + 1 : target;
	struct vh_pci_addr pa;
	if (vh_pci_addr_parse(up, strlen(up), &pa) == 0 && pa.has_func) {
		dev->parent = pa;
		dev->has_parent = true;
	}
}

static unsigned read_uint_attr(const char *dir, const char *name, bool *found)
{
	char path[PATH_MAX], buf[32];
	uint64_t v;
	if (vh_format(path, sizeof(path), "%s/%s", dir, name) < 0 ||
	    vh_read_attr(path, buf, sizeof(buf)) < 0 ||
	    vh_parse_uint(buf, strlen(buf), 65535, &v) < 0)
		return 0;
	if (found)
		*found = true;
	return (unsigned)v;
}

/* The sysfs identity (what the kernel read at enumeration; a VF's come from
 * its PF's SR-IOV capability) and the SR-IOV links and numbers. */
static void read_sriov(const char *dir, struct vh_device *dev)
{
	char path[PATH_MAX], buf[32];
	uint64_t v;
	if (vh_format(path, sizeof(path), "%s/vendor", dir) >= 0 &&
	    vh_read_attr(path, buf, sizeof(buf)) == 0 && !strncmp(buf, "0x", 2) &&
	    vh_parse_hex(buf + 2, strlen(buf + 2), 0xffff, &v) == 0)
		dev->vendor = (uint16_t)v;
	if (vh_format(path, sizeof(path), "%s/device", dir) >= 0 &&
	    vh_read_attr(path, buf, sizeof(buf)) == 0 && !strncmp(buf, "0x", 2) &&
	    vh_parse_hex(buf + 2, strlen(buf + 2), 0xffff, &v) == 0)
		dev->device = (uint16_t)v;
	struct vh_pci_addr pf;
	if (vh_format(path, sizeof(path), "%s/physfn", dir) >= 0 &&
	    vh_link_basename(path, buf, sizeof(buf)) == 0 &&
	    vh_pci_addr_parse(buf, strlen(buf), &pf) == 0 && pf.has_func) {
		dev->is_vf = true;
		dev->physfn = pf;
	}
	dev->sriov_totalvfs = read_uint_attr(dir, "sriov_totalvfs", &dev->is_pf);
	dev->sriov_numvfs = read_uint_attr(dir, "sriov_numvfs", NULL);
	dev->sriov_offset = read_uint_attr(dir, "sriov_offset", NULL);
	dev->sriov_stride = read_uint_attr(dir, "sriov_stride", NULL);
}

static void read_attrs(struct vh_host *h, const char *dir, struct vh_device *dev)
{
	char path[PATH_MAX], buf[256];
#define ATTR(name) (vh_format(path, sizeof(path), "%s/" name, dir) >= 0)
	if (ATTR("driver"))
		vh_link_basename(path, dev->driver, sizeof(dev->driver));
	if (ATTR("iommu_group") && vh_link_basename(path, buf, sizeof(buf)) == 0) {
		uint64_t g;
		if (vh_parse_uint(buf, strlen(buf), INT32_MAX, &g) == 0)
			dev->iommu_group = (int)g;
	}
	/* driver_override is not read here: its read takes the device lock, and
	 * the evaluation must not hang on a device whose driver is stuck. */
	if (ATTR("modalias"))
		vh_read_attr(path, dev->modalias, sizeof(dev->modalias));
	if (ATTR("reset_method"))
		vh_read_attr(path, dev->reset_method, sizeof(dev->reset_method));
	if (ATTR("reset"))
		dev->has_reset = vh_path_exists(path);
	if (ATTR("boot_vga") && vh_read_attr(path, buf, sizeof(buf)) == 0)
		dev->boot_vga = strcmp(buf, "1") == 0;
	if (ATTR("power_state"))
		vh_read_attr(path, dev->power_state, sizeof(dev->power_state));
#undef ATTR
	(void)h;
}

static int read_device(struct vh_host *h, struct vh_device *dev, struct vh_err *err)
{
	char dir[PATH_MAX];
	if (h->facts) {
		const struct vh_fact_device *fd = vh_facts_device(h->facts, &dev->addr);
		dev->iommu_group = -1;
		dev->pcie_port_type = -1;
		if (fd)
			*dev = fd->dev;
		return 0;
	}
	if (vh_host_path(h, dir, sizeof(dir), "/sys/bus/pci/devices/%s", dev->name) < 0)
		return vh_fail(err, "%s: path too long under root %s", dev->name, h->root);
	dev->iommu_group = -1;
	dev->pcie_port_type = -1;
	if (!vh_path_exists(dir))
		return 0;
	dev->present = true;
	if (pci_open(h, err) < 0 || read_config(h, dev, err) < 0)
		return -1;
	read_attrs(h, dir, dev);
	read_sriov(dir, dev);
	read_parent(dir, dev);
	return 0;
}

const struct vh_device *vh_host_device(struct vh_host *h, const struct vh_pci_addr *a,
				       struct vh_err *err)
{
	struct vh_pci_addr key = *a;
	key.has_func = true; /* an address without a function means function 0 */
	for (size_t i = 0; i < h->n_devices; i++)
		if (vh_pci_addr_equal(&h->devices[i]->addr, &key))
			return h->devices[i];

	struct vh_device *dev = calloc(1, sizeof(*dev));
	if (!dev || VH_ARRAY_ROOM(h->devices, h->cap_devices, h->n_devices) < 0) {
		free(dev);
		vh_fail(err, "out of memory");
		return NULL;
	}
	dev->addr = key;
	vh_pci_addr_format(&key, dev->name);
	if (read_device(h, dev, err) < 0) {
		free(dev);
		return NULL;
	}
	h->devices[h->n_devices++] = dev;
	return dev;
}

void vh_host_forget_devices(struct vh_host *h)
{
	for (size_t i = 0; i < h->n_devices; i++)
		free(h->devices[i]);
	h->n_devices = 0;
}

int vh_config_vendor(struct vh_host *h, const char *addr, uint16_t *vendor)
{
	char path[PATH_MAX];
	unsigned char id[2];
	if (h->facts) {
		const struct vh_fact_device *fd = vh_facts_device_named(h->facts, addr);
		if (!fd)
			return -1;
		*vendor = fd->answers ? fd->dev.vendor : 0xffff;
		return 0;
	}
	if (vh_host_path(h, path, sizeof(path), "/sys/bus/pci/devices/%s/config", addr) < 0)
		return -1;
	int fd = vh_open_regular(path);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, id, sizeof(id));
	close(fd);
	if (n != (ssize_t)sizeof(id))
		return -1;
	*vendor = (uint16_t)(id[0] | id[1] << 8);
	return 0;
}

size_t vh_pf_vfs(struct vh_host *h, const struct vh_device *pf, struct vh_pci_addr *out, size_t max)
{
	size_t n = 0;
	if (h->facts)
		return vh_facts_pf_vfs(h->facts, &pf->addr, out, max);
	for (unsigned i = 0; i < pf->sriov_numvfs && n < max; i++) {
		char path[PATH_MAX], name[32];
		struct vh_pci_addr a;
		if (vh_host_path(h, path, sizeof(path), "/sys/bus/pci/devices/%s/virtfn%u",
				 pf->name, i) == 0 &&
		    vh_link_basename(path, name, sizeof(name)) == 0 &&
		    vh_pci_addr_parse(name, strlen(name), &a) == 0 && a.has_func)
			out[n++] = a;
	}
	return n;
}

static int addr_compare(const void *a, const void *b)
{
	return vh_pci_addr_compare(a, b);
}

static unsigned routing_id(const struct vh_pci_addr *a)
{
	return (unsigned)a->bus << 8 | (unsigned)(a->dev & 0x1f) << 3 | (a->func & 7);
}

/* VF n of a PF has routing id PF + offset + n * stride, n < sriov_totalvfs. */
static bool in_vf_range(const struct vh_device *pf, const struct vh_pci_addr *a, unsigned *index)
{
	unsigned first = routing_id(&pf->addr) + pf->sriov_offset, rid = routing_id(a);
	if (pf->addr.domain != a->domain || !pf->sriov_offset || rid < first)
		return false;
	unsigned stride = pf->sriov_stride ? pf->sriov_stride : 1, n = (rid - first) / stride;
	if ((rid - first) % stride || n >= pf->sriov_totalvfs)
		return false;
	*index = n;
	return true;
}

bool vh_vf_slot(struct vh_host *h, const struct vh_pci_addr *a, struct vh_pci_addr *pf_out,
		unsigned *index, unsigned *numvfs)
{
	struct vh_pci_addr *bus;
	size_t n;
	if (a->dev > 0x1f || a->func > 7 || vh_bus_addresses(h, &bus, &n, NULL) < 0)
		return false;
	bool found = false;
	for (size_t i = 0; i < n && !found; i++) {
		const struct vh_device *pf;
		if (bus[i].domain != a->domain || !(pf = vh_host_device(h, &bus[i], NULL)) ||
		    !pf->is_pf)
			continue;
		if ((found = in_vf_range(pf, a, index))) {
			*pf_out = bus[i];
			*numvfs = pf->sriov_numvfs;
		}
	}
	free(bus);
	return found;
}

/* The addresses under /sys/bus/pci/devices (or in the facts), sorted. */
int vh_bus_addresses(struct vh_host *h, struct vh_pci_addr **out, size_t *n, struct vh_err *err)
{
	char dir[PATH_MAX];
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	if (h->facts) {
		for (size_t i = 0; i < h->facts->n_devices; i++) {
			if (VH_ARRAY_ROOM(*out, cap, *n) < 0)
				return vh_fail(err, "out of memory");
			(*out)[(*n)++] = h->facts->devices[i].dev.addr;
		}
		return 0;
	}
	if (vh_host_path(h, dir, sizeof(dir), "/sys/bus/pci/devices") < 0)
		return vh_fail(err, "path too long under %s", vh_host_root(h));
	DIR *dp = opendir(dir);
	if (!dp)
		return vh_fail(err, "cannot list %s: %s", dir, strerror(errno));
	struct dirent *e;
	while ((e = readdir(dp))) {
		struct vh_pci_addr a;
		if (vh_pci_addr_parse(e->d_name, strlen(e->d_name), &a) < 0 || !a.has_func)
			continue;
		if (VH_ARRAY_ROOM(*out, cap, *n) < 0) {
			closedir(dp);
			return vh_fail(err, "out of memory");
		}
		(*out)[(*n)++] = a;
	}
	closedir(dp);
	if (*n)
		qsort(*out, *n, sizeof(**out), addr_compare);
	return 0;
}

/* ---- mdev types ---- */

static bool read_count(const char *path, long long *out)
{
	char buf[64];
	uint64_t v;
	if (vh_read_attr(path, buf, sizeof(buf)) < 0 ||
	    vh_parse_uint(buf, strlen(buf), INT32_MAX, &v) < 0)
		return false;
	*out = (long long)v;
	return true;
}

enum vh_mdev_state vh_mdev_type(struct vh_host *h, const struct vh_device *d, const char *type,
				long long *available)
{
	char path[PATH_MAX];
	if (h->facts) {
		int rc = vh_facts_mdev(h->facts, &d->addr, type, available);
		return rc == -1 ? VH_MDEV_NO_TYPES : rc == -2 ? VH_MDEV_NO_TYPE : VH_MDEV_OK;
	}
	if (vh_host_path(h, path, sizeof(path), "/sys/bus/pci/devices/%s/mdev_supported_types",
			 d->name) < 0 ||
	    !vh_path_exists(path))
		return VH_MDEV_NO_TYPES;
	if (!vh_is_safe_component(type) ||
	    vh_host_path(h, path, sizeof(path), "/sys/bus/pci/devices/%s/mdev_supported_types/%s",
			 d->name, type) < 0 ||
	    !vh_path_exists(path))
		return VH_MDEV_NO_TYPE;
	if (vh_host_path(h, path, sizeof(path),
			 "/sys/bus/pci/devices/%s/mdev_supported_types/%s/available_instances",
			 d->name, type) < 0 ||
	    !read_count(path, available))
		return VH_MDEV_UNREADABLE;
	return VH_MDEV_OK;
}

static int mdev_order(const void *a, const void *b)
{
	return strcmp(((const struct vh_fact_mdev *)a)->type,
		      ((const struct vh_fact_mdev *)b)->type);
}

int vh_mdev_types(struct vh_host *h, const struct vh_device *d, struct vh_fact_mdev **out,
		  size_t *n, struct vh_err *err)
{
	char dir[PATH_MAX];
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	if (vh_host_path(h, dir, sizeof(dir), "/sys/bus/pci/devices/%s/mdev_supported_types",
			 d->name) < 0)
		return 0;
	DIR *dp = opendir(dir);
	struct dirent *e;
	while (dp && (e = readdir(dp))) {
		long long avail;
		if (e->d_name[0] == '.' || strlen(e->d_name) >= sizeof((*out)->type) ||
		    vh_mdev_type(h, d, e->d_name, &avail) != VH_MDEV_OK)
			continue;
		if (VH_ARRAY_ROOM(*out, cap, *n) < 0) {
			closedir(dp);
			return vh_fail(err, "out of memory");
		}
		vh_strlcpy((*out)[*n].type, e->d_name, sizeof((*out)->type));
		(*out)[(*n)++].available = avail;
	}
	if (dp)
		closedir(dp);
	if (*n)
		qsort(*out, *n, sizeof(**out), mdev_order);
	return 0;
}

/* ---- NVIDIA vGPU ---- */

static void read_creatable(const char *path, struct vh_vgpu *out)
{
	char *text;
	if (vh_slurp(path, 1u << 16, &text, NULL) < 0)
		return;
	out->creatable_read = true;
	for (char *l = text; l && *l && out->n_creatable < VH_VGPU_MAX_TYPES;
	     l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		uint64_t id;
		size_t n = strspn(l, "0123456789");
		if (n && vh_parse_uint(l, n, UINT32_MAX, &id) == 0)
			out->creatable[out->n_creatable++] = (unsigned long)id;
	}
	free(text);
}

bool vh_nvidia_vgpu(struct vh_host *h, const char *dev, struct vh_vgpu *out)
{
	char path[PATH_MAX];
	memset(out, 0, sizeof(*out));
	out->current = -1;
	if (h->facts) {
		const struct vh_fact_device *fd = vh_facts_device_named(h->facts, dev);
		if (!fd || !fd->vgpu)
			return false;
		*out = *fd->vgpu;
		return true;
	}
	if (vh_host_path(h, path, sizeof(path), "/sys/bus/pci/devices/%s/nvidia", dev) < 0 ||
	    !vh_path_exists(path))
		return false;
	if (vh_host_path(h, path, sizeof(path), "/sys/bus/pci/devices/%s/nvidia/current_vgpu_type",
			 dev) == 0)
		read_count(path, &out->current);
	if (vh_host_path(h, path, sizeof(path),
			 "/sys/bus/pci/devices/%s/nvidia/creatable_vgpu_types", dev) == 0)
		read_creatable(path, out);
	return true;
}

bool vh_vfio_variant(struct vh_host *h, const struct vh_device *d)
{
	char path[PATH_MAX];
	if (h->facts) {
		const struct vh_fact_device *fd = vh_facts_device(h->facts, &d->addr);
		return fd && fd->vfio_variant;
	}
	return vh_host_path(h, path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev", d->name) ==
		       0 &&
	       vh_path_exists(path);
}
