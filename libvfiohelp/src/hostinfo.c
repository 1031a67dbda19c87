#include "internal.h"
#include "host.h"
#include "hostinfo.h"
#include "kmods.h"

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
	if (vh_host_path(h, cls, sizeof(cls), "/sys/class/iommu") < 0 ||
	    vh_host_path(h, groups, sizeof(groups), "/sys/kernel/iommu_groups") < 0)
		return vh_fail(err, "path too long");
	*active = first_entry(cls, unit, size) && first_entry(groups, any, sizeof(any));
	return 0;
}

int vh_group_members(struct vh_host *h, int group, struct vh_pci_addr *out, size_t max,
		     size_t *count, struct vh_err *err)
{
	char dir[PATH_MAX];
	*count = 0;
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
		if (*count == max) {
			closedir(d);
			return vh_fail(err, "IOMMU group %d has more than %zu members", group, max);
		}
		out[(*count)++] = a;
	}
	closedir(d);
	return 0;
}

size_t vh_device_functions(struct vh_host *h, const struct vh_pci_addr *slot,
			   struct vh_pci_addr *out, size_t max)
{
	size_t n = 0;
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

/* ---- kernel command line ---- */

int vh_cmdline_read(struct vh_host *h, char *buf, size_t size, struct vh_err *err)
{
	char path[PATH_MAX];
	if (vh_host_path(h, path, sizeof(path), "/proc/cmdline") < 0 ||
	    vh_read_attr(path, buf, size) < 0) {
		buf[0] = '\0';
		return vh_fail(err, "cannot read %s", path);
	}
	return 0;
}

bool vh_cmdline_has(const char *cmdline, const char *param, char *value, size_t size)
{
	size_t plen = strlen(param);
	for (const char *p = cmdline; *p;) {
		p += strspn(p, " \t");
		size_t n = strcspn(p, " \t");
		bool prefix = plen && param[plen - 1] == '=';
		if ((prefix && n >= plen && !strncmp(p, param, plen)) || (n == plen && !strncmp(p, param, n))) {
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

enum vh_cpu_vendor vh_cpu_vendor(struct vh_host *h)
{
	char path[PATH_MAX], text[4096];
	ssize_t len;
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
	if (vh_host_path(h, path, sizeof(path), "/sys/bus/pci/devices/%s/resource", addr) < 0 ||
	    (resource_len = vh_read_file(path, resource, sizeof(resource))) < 0)
		return false;
	if (vh_host_path(h, path, sizeof(path), "/proc/iomem") < 0 ||
	    vh_slurp(path, 1u << 20, &iomem, &iomem_len) < 0)
		return false;
	bool found = vh_iomem_framebuffer(iomem, iomem_len, resource, (size_t)resource_len, name, size);
	free(iomem);
	return found;
}

/* ---- node name ---- */

int vh_node_name(struct vh_host *h, char *buf, size_t size, struct vh_err *err)
{
	char path[PATH_MAX];
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

/* ---- reservations: "<pciid> <vmid> pid:<pid>" or "<pciid> <vmid> time:<epoch>" ---- */

static bool pid_alive(struct vh_host *h, uint64_t pid)
{
	char path[PATH_MAX];
	return vh_host_path(h, path, sizeof(path), "/proc/%llu", (unsigned long long)pid) == 0 &&
	       vh_path_exists(path);
}

int vh_vm_pid(struct vh_host *h, unsigned vmid, uint64_t *pid, bool *alive)
{
	char path[PATH_MAX], buf[32];
	if (vh_host_path(h, path, sizeof(path), "/run/qemu-server/%u.pid", vmid) < 0 ||
	    vh_read_attr(path, buf, sizeof(buf)) < 0 ||
	    vh_parse_uint(buf, strlen(buf), 1u << 30, pid) < 0)
		return -1;
	*alive = pid_alive(h, *pid);
	return 0;
}

/* One line: "<pciid> <vmid> pid:<pid>" or "<pciid> <vmid> time:<epoch>"
 * (cut into words in place); false when it breaks that grammar. */
static bool parse_reservation(char *line, char **id, struct vh_reservation *out)
{
	char *save, *vmid, *how;
	uint64_t v, n;
	*id = strtok_r(line, " \t", &save);
	vmid = strtok_r(NULL, " \t", &save);
	how = strtok_r(NULL, " \t", &save);
	if (!*id || !vmid || !how || strtok_r(NULL, " \t", &save) ||
	    vh_parse_uint(vmid, strlen(vmid), 999999999, &v) < 0)
		return false;
	memset(out, 0, sizeof(*out));
	out->vmid = (unsigned)v;
	if (!strncmp(how, "pid:", 4) && vh_parse_uint(how + 4, strlen(how + 4), 1u << 30, &n) == 0) {
		out->by_pid = true;
		out->pid = n;
		return true;
	}
	if (!strncmp(how, "time:", 5) && vh_parse_uint(how + 5, strlen(how + 5), INT64_MAX, &n) == 0) {
		out->until = (long long)n;
		return true;
	}
	return false;
}

int vh_reservations_parse(const char *text, size_t len, const char *addr, unsigned self,
			  struct vh_reservation *out, size_t max, size_t *count)
{
	*count = 0;
	char *copy = vh_text_dup(text, len);
	if (!copy)
		return -1;
	for (char *l = copy, *next; l && *count < max; l = next) {
		next = strchr(l, '\n');
		if (next)
			*next++ = '\0';
		char *id;
		struct vh_reservation r;
		if (parse_reservation(l, &id, &r) && !strcmp(id, addr) && r.vmid != self)
			out[(*count)++] = r;
	}
	free(copy);
	return 0;
}

int vh_device_holder(struct vh_host *h, const char *addr, unsigned self, struct vh_holder *out,
		     bool *held, struct vh_err *err)
{
	char path[PATH_MAX], *text;
	size_t len, n;
	struct vh_reservation res[VH_MAX_RESERVATIONS];
	*held = false;
	if (vh_host_path(h, path, sizeof(path), "/run/qemu-server/pci-id-reservations") < 0)
		return vh_fail(err, "path too long");
	if (vh_slurp(path, 1u << 20, &text, &len) < 0)
		return errno == ENOENT ? 0 : vh_fail(err, "%s: %s", path, strerror(errno));
	int rc = vh_reservations_parse(text, len, addr, self, res, VH_ARRAY_SIZE(res), &n);
	free(text);
	if (rc < 0)
		return vh_fail(err, "%s: %s", path, strerror(errno));
	/* The first reservation still in force, in the file's order. */
	for (size_t i = 0; i < n && !*held; i++) {
		struct vh_holder hd = { .vmid = res[i].vmid };
		if (res[i].by_pid)
			*held = hd.running = pid_alive(h, res[i].pid);
		else
			*held = (hd.until = res[i].until) > (long long)time(NULL);
		if (*held)
			*out = hd;
	}
	return 0;
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
	if (vh_host_path(h, path, sizeof(path),
			 "/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts") == 0 &&
	    vh_read_attr(path, value, sizeof(value)) == 0) {
		*source = VH_UNSAFE_PARAM;
		return yes(value);
	}
	if (vh_module_option(h, "vfio_iommu_type1", "allow_unsafe_interrupts", value, sizeof(value))) {
		*source = VH_UNSAFE_MODPROBE;
		return yes(value);
	}
	*source = VH_UNSAFE_DEFAULT;
	return false;
}

int vh_config_vendor(struct vh_host *h, const char *addr, uint16_t *vendor)
{
	char path[PATH_MAX];
	unsigned char id[2];
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
