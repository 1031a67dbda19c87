/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Facts about the host outside PCI that the checks weigh: the kernel
 * command line, memory, the CPU vendor, boot framebuffers and the node name.
 */
#include "internal.h"
#include "host/facts.h"
#include "host/host.h"
#include "host/system.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- kernel command line ---- */

int vh_cmdline_read(struct vh_host *h, char *buf, size_t size, struct vh_err *err)
{
	char path[PATH_MAX];
	buf[0] = '\0';
	if (h->cmdline) {
		vh_strlcpy(buf, h->cmdline, size);
		return 0;
	}
	if (vh_host_path(h, path, sizeof(path), "/proc/cmdline") < 0 ||
	    vh_read_attr(path, buf, size) < 0) {
		buf[0] = '\0';
		return vh_fail(err, "cannot read %s", path);
	}
	if (size >= VH_CMDLINE_MAX) /* the whole line: worth keeping for the next caller */
		h->cmdline = strdup(buf);
	return 0;
}

bool vh_cmdline_has(const char *cmdline, const char *param, char *value, size_t size)
{
	size_t plen = strlen(param);
	for (const char *p = cmdline; *p;) {
		p += strspn(p, " \t");
		size_t n = strcspn(p, " \t");
		bool prefix = plen && param[plen - 1] == '=';
		if ((prefix && n >= plen && !strncmp(p, param, plen)) ||
		    (n == plen && !strncmp(p, param, n))) {
			if (value && size) {
				size_t vlen = n - plen < size - 1 ? n - plen : size - 1;
				memcpy(value, p + plen, vlen);
				value[vlen] = '\0';
			}
			return true;
		}
		p += n;
	}
	return false;
}

/* ---- memory ---- */

static bool meminfo_field(const char *text, const char *key, uint64_t *kib)
{
	size_t klen = strlen(key);
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, key, klen) || l[klen] != ':')
			continue;
		const char *v = l + klen + 1;
		v += strspn(v, " ");
		size_t n = strspn(v, "0123456789");
		return vh_parse_uint(v, n, UINT64_MAX / 2, kib) == 0 && !strncmp(v + n, " kB", 3);
	}
	return false;
}

int vh_meminfo_parse(const char *text, size_t len, uint64_t *available_mib, uint64_t *total_mib)
{
	uint64_t avail, total;
	char *copy = vh_text_dup(text, len);
	bool found = copy && meminfo_field(copy, "MemAvailable", &avail) &&
		     meminfo_field(copy, "MemTotal", &total);
	free(copy);
	if (!found)
		return -1;
	*available_mib = avail / 1024;
	*total_mib = total / 1024;
	return 0;
}

int vh_meminfo(struct vh_host *h, uint64_t *available_mib, uint64_t *total_mib, struct vh_err *err)
{
	char path[PATH_MAX], text[8192];
	ssize_t len;
	if (h->facts && !h->facts->mem_total_mib)
		return vh_failc(err, ENOENT, "node %s could not read its /proc/meminfo",
				h->facts->node);
	if (h->facts) {
		*available_mib = h->facts->mem_available_mib;
		*total_mib = h->facts->mem_total_mib;
		return 0;
	}
	if (vh_host_path(h, path, sizeof(path), "/proc/meminfo") < 0 ||
	    (len = vh_read_file(path, text, sizeof(text))) < 0)
		return vh_fail(err, "cannot read %s", path);
	if (vh_meminfo_parse(text, (size_t)len, available_mib, total_mib) < 0)
		return vh_fail(err, "%s has no MemAvailable/MemTotal in kB", path);
	return 0;
}

enum vh_cpu_vendor vh_cpuinfo_vendor(const char *text, size_t len)
{
	if (memmem(text, len, "GenuineIntel", 12))
		return VH_CPU_INTEL;
	if (memmem(text, len, "AuthenticAMD", 12) || memmem(text, len, "HygonGenuine", 12))
		return VH_CPU_AMD;
	return VH_CPU_UNKNOWN;
}

long long vh_hugepage_count(struct vh_host *h, unsigned size_mib, const char *name)
{
	char path[PATH_MAX], buf[32];
	uint64_t v;
	if (h->facts) {
		const struct vh_fact_hugepages *p = size_mib == 2      ? &h->facts->hugepages[0]
						    : size_mib == 1024 ? &h->facts->hugepages[1]
								       : NULL;
		if (!p || p->nr < 0)
			return -1;
		return !strcmp(name, "free_hugepages") ? p->free : p->nr;
	}
	if (vh_host_path(h, path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-%ukB/%s",
			 size_mib * 1024, name) < 0 ||
	    vh_read_attr(path, buf, sizeof(buf)) < 0 ||
	    vh_parse_uint(buf, strlen(buf), INT64_MAX, &v) < 0)
		return -1;
	return (long long)v;
}

enum vh_cpu_vendor vh_cpu_vendor(struct vh_host *h)
{
	char path[PATH_MAX], text[4096];
	ssize_t len;
	if (h->facts)
		return h->facts->cpu;
	if (vh_host_path(h, path, sizeof(path), "/proc/cpuinfo") < 0 ||
	    (len = vh_read_file(path, text, sizeof(text))) < 0)
		return VH_CPU_UNKNOWN;
	return vh_cpuinfo_vendor(text, (size_t)len);
}

/* ---- framebuffers ---- */

static bool parse_range(const char *s, uint64_t *start, uint64_t *end)
{
	size_t a = strspn(s, "0123456789abcdef");
	if (!a || s[a] != '-')
		return false;
	size_t b = strspn(s + a + 1, "0123456789abcdef");
	return b && vh_parse_hex(s, a, UINT64_MAX, start) == 0 &&
	       vh_parse_hex(s + a + 1, b, UINT64_MAX, end) == 0;
}

/* Whether addr lies in one of the device's BARs (sysfs "resource"). */
static bool address_in_bars(const char *resource, uint64_t addr)
{
	for (const char *l = resource; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		unsigned long long s, e, flags;
		if (sscanf(l, "0x%llx 0x%llx 0x%llx", &s, &e, &flags) == 3 && e > s && addr >= s &&
		    addr <= e)
			return true;
	}
	return false;
}

/* Finds a framebuffer line of iomem (cut into lines in place) whose start
 * lies in one of the BARs of `resource`. */
static bool find_framebuffer(char *iomem, const char *resource, char *name, size_t size)
{
	static const char *const fbs[] = { "efifb", "simplefb", "simple-framebuffer", "vesafb",
					   "BOOTFB" };
	for (char *l = iomem, *next; l; l = next) {
		next = strchr(l, '\n');
		if (next)
			*next++ = '\0';
		char *colon = strstr(l, " : ");
		uint64_t s, e;
		if (!colon || !parse_range(vh_strip(l), &s, &e))
			continue;
		const char *label = colon + 3;
		for (size_t i = 0; i < VH_ARRAY_SIZE(fbs); i++)
			if (!strcmp(label, fbs[i]) && address_in_bars(resource, s)) {
				vh_strlcpy(name, fbs[i], size);
				return true;
			}
	}
	return false;
}

bool vh_iomem_framebuffer(const char *iomem, size_t iomem_len, const char *resource,
			  size_t resource_len, char *name, size_t size)
{
	char *map = vh_text_dup(iomem, iomem_len), *bars = vh_text_dup(resource, resource_len);
	bool found = map && bars && find_framebuffer(map, bars, name, size);
	free(map);
	free(bars);
	return found;
}

bool vh_framebuffer_on_device(struct vh_host *h, const char *addr, char *name, size_t size)
{
	char path[PATH_MAX], resource[4096], *iomem;
	size_t iomem_len;
	ssize_t resource_len;
	if (h->facts) {
		const struct vh_fact_device *fd = vh_facts_device_named(h->facts, addr);
		vh_strlcpy(name, fd ? fd->framebuffer : "", size);
		return fd && fd->framebuffer[0];
	}
	if (vh_host_path(h, path, sizeof(path), "/sys/bus/pci/devices/%s/resource", addr) < 0 ||
	    (resource_len = vh_read_file(path, resource, sizeof(resource))) < 0)
		return false;
	if (vh_host_path(h, path, sizeof(path), "/proc/iomem") < 0 ||
	    vh_slurp(path, 1u << 20, &iomem, &iomem_len) < 0)
		return false;
	bool found = vh_iomem_framebuffer(iomem, iomem_len, resource, (size_t)resource_len, name,
					  size);
	free(iomem);
	return found;
}

/* ---- node name ---- */

bool vh_is_pve_node(struct vh_host *h)
{
	char path[PATH_MAX];
	return vh_host_path(h, path, sizeof(path), "/etc/pve") == 0 && vh_path_exists(path);
}

int vh_node_name(struct vh_host *h, char *buf, size_t size, struct vh_err *err)
{
	char path[PATH_MAX];
	if (h->facts) {
		vh_strlcpy(buf, h->facts->node, size);
		return 0;
	}
	if (vh_host_path(h, path, sizeof(path), "/etc/hostname") < 0 ||
	    vh_read_attr(path, buf, size) < 0)
		return vh_fail(err, "cannot read the node name from %s", path);
	buf[strcspn(buf, ".")] = '\0';
	for (const char *p = buf; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-'))
			return vh_fail(err, "%s does not hold a host name", path);
	if (!*buf)
		return vh_fail(err, "%s is empty", path);
	return 0;
}
