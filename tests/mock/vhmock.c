/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vhmock: a kernel stand-in for host trees, loaded with LD_PRELOAD into the
 * real vfio-hook (in the spirit of libvirt's tests/virpcimock.c).
 *
 * A host tree is only files: a driver name written to driver_override stays
 * there and an unbind changes nothing, so on a tree every move fails. With
 * VH_MOCK_ROOT=<tree> set, this library catches every write the process
 * makes to a regular file under <tree>/sys and does what the kernel does
 * instead of writing the bytes:
 *
 *   devices/<a>/driver_override   stores the name up to the first newline;
 *                                 empty clears it (reads back "(null)")
 *   drivers/<drv>/unbind  <a>     ENODEV unless <a> is on <drv>; removes the
 *                                 device's driver link and the driver's link
 *   drivers_probe  <a>            ENODEV for no such device; a bound device
 *                                 stays; else binds to driver_override when
 *                                 set and drivers/<override>/ exists, else to
 *                                 the device's host driver (rule below)
 *   drivers/<drv>/bind  <a>       ENODEV when drivers/<drv>/ is missing or an
 *                                 override names another driver, EBUSY when
 *                                 the device has a driver; else binds
 *   devices/<a>/reset  1          EINVAL for anything but 1; counts the reset
 *                                 in .vhmock/resets/<a>
 *   devices/<a>/reset_method      stores the methods; EINVAL for a method the
 *                                 device did not offer; "default" restores
 *   devices/<a>/rom               as pci_write_rom: exactly "0\n" disables
 *                                 reads, anything else enables them (state in
 *                                 .vhmock/rom/<a>: 1 or 0); the file, the ROM's
 *                                 bytes, is never written. A read of a rom file
 *                                 not enabled fails with EINVAL, as the
 *                                 kernel's; statfs() of a rom file says sysfs
 *   anything else under sys/      stored as written
 *
 * Binding to vfio-pci creates dev/vfio/<group>; the last vfio-pci device of
 * a group leaving removes it.
 *
 * The host driver of a device (what drivers_probe binds without an
 * override): .vhmock/host-driver/<a> when that file exists (a test may write
 * it; the mock writes it the first time it unbinds the device from a driver
 * other than vfio-pci and pci-stub), else the first module in
 * lib/modules/<kver>/modules.alias whose pci: alias matches the device's
 * modalias and whose drivers/<module>/ directory exists ('_' also tried as
 * '-'). No such driver: the device stays unbound, as on a real host.
 *
 * Faults, counted over all processes (each sysfs write happens in a forked
 * child) in .vhmock/count under a lock:
 *   VH_MOCK_FAIL_WRITE=N     the Nth write fails with VH_MOCK_FAIL_ERRNO
 *                            (EIO, EBUSY, ENODEV, EINVAL, EPERM, ENOMEM or a
 *                            number; default EIO) and changes nothing
 *   VH_MOCK_FAIL_EVERY=K     every Kth write (K, 2K, ...) fails so
 *   VH_MOCK_FAIL_PATH=S      every write whose path contains S fails so
 *   VH_MOCK_HANG_WRITE=N     the Nth write never returns, like a driver hung
 *                            in remove() (an unbind first removes the driver
 *                            links, as the kernel does): the writer sleeps, and so does a
 *                            child of it that keeps every descriptor the
 *                            writer had (a process in D state cannot be
 *                            killed; killing the writer leaves the child).
 *                            Both sleep VH_MOCK_HANG_SECONDS (default 30);
 *                            their pids go to .vhmock/hung.pids.
 *   VH_MOCK_HANG_LOCKS=1     while that write hangs, its device is locked as
 *                            by the kernel's device_lock on 6.1: opening its
 *                            driver_override (to read or write) and writing
 *                            its address to bind, unbind or drivers_probe wait
 *                            until the hang ends. Each wait is logged as a
 *                            line "-1  <path>  <pid>  locked".
 *
 * Every write is logged in .vhmock/writes.log, one line each:
 *   <n> TAB <path under the root> TAB <value, \n escaped> TAB <ok|ERRNO|hang>
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#define VH_MOCK_EXPORT __attribute__((visibility("default")))

/* ---- the real functions ---- */

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef int (*close_fn)(int);
typedef ssize_t (*read_fn)(int, void *, size_t);
typedef int (*statfs_fn)(const char *, struct statfs *);

static open_fn real_open;
static openat_fn real_openat;
static write_fn real_write;
static close_fn real_close;
static read_fn real_read;
static statfs_fn real_statfs;

static char root[PATH_MAX]; /* realpath of VH_MOCK_ROOT; "" when inactive */
static size_t root_len;

static void mock_init(void)
{
	if (real_open)
		return;
	real_openat = (openat_fn)dlsym(RTLD_NEXT, "openat");
	real_write = (write_fn)dlsym(RTLD_NEXT, "write");
	real_close = (close_fn)dlsym(RTLD_NEXT, "close");
	real_read = (read_fn)dlsym(RTLD_NEXT, "read");
	real_statfs = (statfs_fn)dlsym(RTLD_NEXT, "statfs");
	real_open = (open_fn)dlsym(RTLD_NEXT, "open");
	const char *r = getenv("VH_MOCK_ROOT");
	if (r && *r && realpath(r, root))
		root_len = strlen(root);
	else
		root[0] = '\0';
}

/* ---- small file helpers (real calls only, no malloc) ---- */

static int fmt(char *buf, size_t size, const char *f, ...) __attribute__((format(printf, 3, 4)));
static int fmt(char *buf, size_t size, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	int n = vsnprintf(buf, size, f, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int put_file(const char *path, const char *text, int flags)
{
	int fd = real_open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | flags, 0644);
	if (fd < 0)
		return -1;
	size_t len = strlen(text);
	ssize_t n = real_write(fd, text, len);
	real_close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

static int get_file(const char *path, char *buf, size_t size)
{
	int fd = real_open(path, O_RDONLY | O_CLOEXEC);
	buf[0] = '\0';
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, size - 1);
	real_close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

/* The first line of a file, without its newline. */
static int get_line(const char *path, char *buf, size_t size)
{
	if (get_file(path, buf, size) < 0)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* <root>/.vhmock/<sub>, with the directories made. */
static int state_path(char *buf, size_t size, const char *sub, const char *name)
{
	char dir[PATH_MAX];
	if (fmt(dir, sizeof(dir), "%s/.vhmock", root) < 0)
		return -1;
	mkdir(dir, 0755);
	if (sub) {
		if (fmt(dir, sizeof(dir), "%s/.vhmock/%s", root, sub) < 0)
			return -1;
		mkdir(dir, 0755);
	}
	return fmt(buf, size, "%s/%s", dir, name);
}

/* ---- the device model: links as the host trees (and the kernel) lay them ---- */

/* A device directory, sys/devices/.../<addr>, found from its address. */
static int device_dir(const char *addr, char *out)
{
	char link[PATH_MAX];
	if (!*addr || strchr(addr, '/') || addr[0] == '.' ||
	    fmt(link, sizeof(link), "%s/sys/bus/pci/devices/%s", root, addr) < 0 ||
	    !realpath(link, out) || strncmp(out, root, root_len) || !is_dir(out))
		return -1;
	return 0;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static void current_driver(const char *devdir, char *out, size_t size)
{
	char link[PATH_MAX], target[PATH_MAX];
	out[0] = '\0';
	if (fmt(link, sizeof(link), "%s/driver", devdir) < 0)
		return;
	ssize_t n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return;
	target[n] = '\0';
	copy_str(out, size, base_name(target));
}

static void current_override(const char *devdir, char *out, size_t size)
{
	char path[PATH_MAX];
	if (fmt(path, sizeof(path), "%s/driver_override", devdir) < 0 ||
	    get_line(path, out, size) < 0 || !strcmp(out, "(null)"))
		out[0] = '\0';
}

static bool driver_exists(const char *drv)
{
	char path[PATH_MAX];
	return *drv && !strchr(drv, '/') && drv[0] != '.' &&
	       fmt(path, sizeof(path), "%s/sys/bus/pci/drivers/%s", root, drv) == 0 && is_dir(path);
}

/* Replaces (or makes) a symlink atomically: readers never see it missing. */
static int put_link(const char *target, const char *path)
{
	char tmp[PATH_MAX];
	if (fmt(tmp, sizeof(tmp), "%s.vhmock-%d", path, (int)getpid()) < 0)
		return -1;
	unlink(tmp);
	if (symlink(target, tmp) < 0)
		return -1;
	if (rename(tmp, path) < 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* The IOMMU group number, -1 without one. */
static int device_group(const char *devdir)
{
	char link[PATH_MAX], target[PATH_MAX];
	if (fmt(link, sizeof(link), "%s/iommu_group", devdir) < 0)
		return -1;
	ssize_t n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return -1;
	target[n] = '\0';
	return atoi(base_name(target));
}

/* dev/vfio/<group> exists while a device of the group is on vfio-pci. */
static void update_vfio_node(int group)
{
	char dir[PATH_MAX], node[PATH_MAX];
	if (group < 0 ||
	    fmt(dir, sizeof(dir), "%s/sys/kernel/iommu_groups/%d/devices", root, group) < 0 ||
	    fmt(node, sizeof(node), "%s/dev/vfio/%d", root, group) < 0)
		return;
	bool any = false;
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && !any && (e = readdir(d))) {
		char devdir[PATH_MAX], drv[64];
		if (e->d_name[0] == '.' || device_dir(e->d_name, devdir) < 0)
			continue;
		current_driver(devdir, drv, sizeof(drv));
		any = !strcmp(drv, "vfio-pci");
	}
	if (d)
		closedir(d);
	if (any) {
		char vdir[PATH_MAX];
		if (fmt(vdir, sizeof(vdir), "%s/dev", root) == 0)
			mkdir(vdir, 0755);
		if (fmt(vdir, sizeof(vdir), "%s/dev/vfio", root) == 0)
			mkdir(vdir, 0755);
		put_file(node, "", O_TRUNC);
	} else {
		unlink(node);
	}
}

static int attach(const char *devdir, const char *drv)
{
	const char *rel = devdir + root_len + strlen("/sys/");
	const char *addr = base_name(devdir);
	char up[PATH_MAX] = "", target[PATH_MAX], link[PATH_MAX];
	for (const char *p = rel; *p; p++)
		if (*p == '/')
			strcat(up, "../");
	if (fmt(target, sizeof(target), "../%sbus/pci/drivers/%s", up, drv) < 0 ||
	    fmt(link, sizeof(link), "%s/driver", devdir) < 0 || put_link(target, link) < 0)
		return EIO;
	if (fmt(target, sizeof(target), "../../../../%s", rel) < 0 ||
	    fmt(link, sizeof(link), "%s/sys/bus/pci/drivers/%s/%s", root, drv, addr) < 0 ||
	    put_link(target, link) < 0)
		return EIO;
	if (!strcmp(drv, "vfio-pci"))
		update_vfio_node(device_group(devdir));
	return 0;
}

static void detach(const char *devdir, const char *drv)
{
	char link[PATH_MAX];
	if (fmt(link, sizeof(link), "%s/driver", devdir) == 0)
		unlink(link);
	if (fmt(link, sizeof(link), "%s/sys/bus/pci/drivers/%s/%s", root, drv, base_name(devdir)) ==
	    0)
		unlink(link);
	if (!strcmp(drv, "vfio-pci"))
		update_vfio_node(device_group(devdir));
}

/* The driver the modalias resolves to, among the drivers present. */
static void driver_by_modalias(const char *devdir, char *out, size_t size)
{
	char path[PATH_MAX], modalias[256], line[512];
	out[0] = '\0';
	if (fmt(path, sizeof(path), "%s/modalias", devdir) < 0 ||
	    get_line(path, modalias, sizeof(modalias)) < 0 ||
	    fmt(path, sizeof(path), "%s/lib/modules", root) < 0)
		return;
	DIR *d = opendir(path);
	struct dirent *e;
	while (d && !out[0] && (e = readdir(d))) {
		char alias[PATH_MAX];
		if (e->d_name[0] == '.' ||
		    fmt(alias, sizeof(alias), "%s/%s/modules.alias", path, e->d_name) < 0)
			continue;
		FILE *f = fopen(alias, "re");
		while (f && !out[0] && fgets(line, sizeof(line), f)) {
			char pattern[256], module[64];
			if (sscanf(line, "alias %255s %63s", pattern, module) != 2 ||
			    strncmp(pattern, "pci:", 4) || fnmatch(pattern, modalias, 0))
				continue;
			if (driver_exists(module))
				copy_str(out, size, module);
			for (char *p = module; *p; p++)
				if (*p == '_')
					*p = '-';
			if (!out[0] && driver_exists(module))
				copy_str(out, size, module);
		}
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
}

static void host_driver(const char *devdir, char *out, size_t size)
{
	char path[PATH_MAX];
	if (state_path(path, sizeof(path), "host-driver", base_name(devdir)) == 0 &&
	    get_line(path, out, size) == 0 && out[0])
		return;
	driver_by_modalias(devdir, out, size);
}

static void remember_host_driver(const char *devdir, const char *drv)
{
	char path[PATH_MAX], text[80];
	struct stat st;
	if (!strcmp(drv, "vfio-pci") || !strcmp(drv, "pci-stub") ||
	    state_path(path, sizeof(path), "host-driver", base_name(devdir)) < 0 ||
	    stat(path, &st) == 0)
		return;
	fmt(text, sizeof(text), "%s\n", drv);
	put_file(path, text, O_TRUNC);
}

/* ---- what the kernel does for each attribute; 0 or an errno ---- */

/* The address written to bind/unbind/drivers_probe (a trailing newline is fine). */
static int written_device(const char *value, char *devdir)
{
	char addr[64];
	copy_str(addr, sizeof(addr), value);
	addr[strcspn(addr, "\n")] = '\0';
	return device_dir(addr, devdir) < 0 ? ENODEV : 0;
}

static int do_unbind(const char *drv, const char *value)
{
	char devdir[PATH_MAX], cur[64];
	if (written_device(value, devdir))
		return ENODEV;
	current_driver(devdir, cur, sizeof(cur));
	if (strcmp(cur, drv))
		return ENODEV;
	remember_host_driver(devdir, drv);
	detach(devdir, drv);
	return 0;
}

static int do_bind(const char *drv, const char *value)
{
	char devdir[PATH_MAX], cur[64], ov[64];
	if (!driver_exists(drv) || written_device(value, devdir))
		return ENODEV;
	current_override(devdir, ov, sizeof(ov));
	if (ov[0] && strcmp(ov, drv))
		return ENODEV;
	current_driver(devdir, cur, sizeof(cur));
	if (cur[0])
		return EBUSY;
	return attach(devdir, drv);
}

static int do_probe(const char *value)
{
	char devdir[PATH_MAX], cur[64], want[64];
	if (written_device(value, devdir))
		return ENODEV;
	current_driver(devdir, cur, sizeof(cur));
	if (cur[0])
		return 0;
	current_override(devdir, want, sizeof(want));
	if (!want[0])
		host_driver(devdir, want, sizeof(want));
	return driver_exists(want) ? attach(devdir, want) : 0;
}

static int do_override(const char *devdir, const char *value)
{
	char text[256];
	size_t n = strcspn(value, "\n");
	if (n >= 200)
		return EINVAL;
	if (n == 0)
		snprintf(text, sizeof(text), "(null)\n");
	else
		snprintf(text, sizeof(text), "%.*s\n", (int)n, value);
	char path[PATH_MAX];
	if (fmt(path, sizeof(path), "%s/driver_override", devdir) < 0 ||
	    put_file(path, text, O_TRUNC) < 0)
		return EIO;
	return 0;
}

static int do_reset(const char *devdir, const char *value)
{
	char *end;
	unsigned long v = strtoul(value, &end, 0);
	if (end == value || (*end && strcmp(end, "\n")) || v != 1)
		return EINVAL;
	char path[PATH_MAX], count[32];
	if (state_path(path, sizeof(path), "resets", base_name(devdir)) < 0)
		return EIO;
	get_line(path, count, sizeof(count));
	snprintf(count, sizeof(count), "%ld\n", atol(count) + 1);
	return put_file(path, count, O_TRUNC) < 0 ? EIO : 0;
}

/* Every word of `methods` is one of `offered` (both space separated). */
static bool methods_offered(const char *methods, const char *offered)
{
	for (const char *p = methods; *p;) {
		size_t n = strcspn(p, " ");
		bool found = false;
		for (const char *q = offered; *q && !found;) {
			size_t m = strcspn(q, " ");
			found = m == n && !strncmp(p, q, n);
			q += m + (q[m] == ' ');
		}
		if (n && !found)
			return false;
		p += n + (p[n] == ' ');
	}
	return true;
}

static int do_reset_method(const char *devdir, const char *value)
{
	char path[PATH_MAX], orig_path[PATH_MAX], orig[128], want[128];
	if (fmt(path, sizeof(path), "%s/reset_method", devdir) < 0 ||
	    state_path(orig_path, sizeof(orig_path), "reset_method.orig", base_name(devdir)) < 0)
		return EIO;
	if (get_line(orig_path, orig, sizeof(orig)) < 0) {
		get_line(path, orig, sizeof(orig));
		char text[160];
		fmt(text, sizeof(text), "%s\n", orig);
		put_file(orig_path, text, O_TRUNC);
	}
	copy_str(want, sizeof(want), value);
	want[strcspn(want, "\n")] = '\0';
	if (!strcmp(want, "default"))
		copy_str(want, sizeof(want), orig);
	if (!want[0] || !methods_offered(want, orig))
		return EINVAL;
	char text[160];
	fmt(text, sizeof(text), "%s\n", want);
	return put_file(path, text, O_TRUNC) < 0 ? EIO : 0;
}

/* sysfs rom: "0\n" disables reads, anything else enables them. */
static int do_rom(const char *devdir, const char *value)
{
	char path[PATH_MAX];
	if (state_path(path, sizeof(path), "rom", base_name(devdir)) < 0)
		return EIO;
	return put_file(path, strcmp(value, "0\n") ? "1\n" : "0\n", O_TRUNC) < 0 ? EIO : 0;
}

static bool rom_enabled(const char *addr)
{
	char path[PATH_MAX], state[8] = "";
	return state_path(path, sizeof(path), "rom", addr) == 0 &&
	       get_line(path, state, sizeof(state)) == 0 && !strcmp(state, "1");
}

/* ---- the writes the mock owns ---- */

struct tracked {
	bool used;
	dev_t dev; /* the open file, to tell it from a later one with the same number */
	ino_t ino;
	char rel[512];       /* the path as opened, under the root */
	char real[PATH_MAX]; /* the file itself, links resolved */
};

#define MAX_TRACKED 1024
static struct tracked tracked[MAX_TRACKED];

/* Applies a write to `t`: 0 or an errno. */
static int kernel_write(const struct tracked *t, const char *value)
{
	char dir[PATH_MAX];
	copy_str(dir, sizeof(dir), t->real);
	*strrchr(dir, '/') = '\0';
	const char *attr = base_name(t->real);
	char drivers[PATH_MAX], bus[PATH_MAX];
	fmt(drivers, sizeof(drivers), "%s/sys/bus/pci/drivers/", root);
	fmt(bus, sizeof(bus), "%s/sys/bus/pci", root);
	if (!strcmp(dir, bus) && !strcmp(attr, "drivers_probe"))
		return do_probe(value);
	if (!strncmp(dir, drivers, strlen(drivers)) && !strchr(dir + strlen(drivers), '/')) {
		if (!strcmp(attr, "unbind"))
			return do_unbind(base_name(dir), value);
		if (!strcmp(attr, "bind"))
			return do_bind(base_name(dir), value);
	}
	char addr_check[PATH_MAX];
	bool is_device = fmt(addr_check, sizeof(addr_check), "%s/config", dir) == 0 &&
			 access(addr_check, F_OK) == 0;
	if (is_device && !strcmp(attr, "driver_override"))
		return do_override(dir, value);
	if (is_device && !strcmp(attr, "reset"))
		return do_reset(dir, value);
	if (is_device && !strcmp(attr, "reset_method"))
		return do_reset_method(dir, value);
	if (is_device && !strcmp(attr, "rom"))
		return do_rom(dir, value);
	return put_file(t->real, value, O_TRUNC) < 0 ? EIO : 0;
}

static int errno_from_env(void)
{
	static const struct {
		const char *name;
		int value;
	} names[] = {
		{ "EIO", EIO },       { "EBUSY", EBUSY },   { "ENODEV", ENODEV },
		{ "EINVAL", EINVAL }, { "EPERM", EPERM },   { "ENOMEM", ENOMEM },
		{ "EAGAIN", EAGAIN }, { "ENOENT", ENOENT },
	};
	const char *s = getenv("VH_MOCK_FAIL_ERRNO");
	if (!s || !*s)
		return EIO;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i].name))
			return names[i].value;
	return atoi(s) > 0 ? atoi(s) : EIO;
}

static const char *errno_name(int e)
{
	switch (e) {
	case 0:
		return "ok";
	case EIO:
		return "EIO";
	case EBUSY:
		return "EBUSY";
	case ENODEV:
		return "ENODEV";
	case EINVAL:
		return "EINVAL";
	case EPERM:
		return "EPERM";
	case ENOMEM:
		return "ENOMEM";
	case EAGAIN:
		return "EAGAIN";
	case ENOENT:
		return "ENOENT";
	default:
		return "E?";
	}
}

static long env_long(const char *name)
{
	const char *s = getenv(name);
	return s && *s ? atol(s) : 0;
}

/* The lock that makes one write, its count and its log line one step. */
static int lock_state(void)
{
	char path[PATH_MAX];
	if (state_path(path, sizeof(path), NULL, "lock") < 0)
		return -1;
	int fd = real_open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		while (flock(fd, LOCK_EX) < 0 && errno == EINTR)
			;
	return fd;
}

static long next_count(void)
{
	char path[PATH_MAX], text[32];
	if (state_path(path, sizeof(path), NULL, "count") < 0)
		return 0;
	get_line(path, text, sizeof(text));
	long n = atol(text) + 1;
	snprintf(text, sizeof(text), "%ld\n", n);
	put_file(path, text, O_TRUNC);
	return n;
}

static void log_write(long n, const char *rel, const char *value, const char *result)
{
	char path[PATH_MAX], line[1024], shown[256];
	size_t j = 0;
	for (size_t i = 0; value[i] && j + 3 < sizeof(shown); i++) {
		char c = value[i];
		if (c == '\n' || c == '\t' || c == '\\') {
			shown[j++] = '\\';
			shown[j++] = c == '\n' ? 'n' : c == '\t' ? 't' : '\\';
		} else {
			shown[j++] = c;
		}
	}
	shown[j] = '\0';
	if (state_path(path, sizeof(path), NULL, "writes.log") < 0)
		return;
	snprintf(line, sizeof(line), "%ld\t%s\t%s\t%s\n", n, rel, shown, result);
	put_file(path, line, O_APPEND);
}

static void record_pid(pid_t pid)
{
	char path[PATH_MAX], line[32];
	if (state_path(path, sizeof(path), NULL, "hung.pids") < 0)
		return;
	snprintf(line, sizeof(line), "%d\n", (int)pid);
	put_file(path, line, O_APPEND);
}

static long hang_seconds(void)
{
	long seconds = env_long("VH_MOCK_HANG_SECONDS");
	return seconds > 0 ? seconds : 30;
}

/* .vhmock/locked/<addr>: the device whose write hangs (VH_MOCK_HANG_LOCKS). */
static int lock_marker(const char *addr, char *path, size_t size)
{
	if (!*addr || strchr(addr, '/') || addr[0] == '.')
		return -1;
	return state_path(path, size, "locked", addr);
}

/* Waits (as the kernel's device_lock does) while addr's write hangs. */
static void wait_unlocked(const char *addr, const char *what)
{
	char marker[PATH_MAX];
	struct stat st;
	if (!getenv("VH_MOCK_HANG_LOCKS") || lock_marker(addr, marker, sizeof(marker)) < 0 ||
	    stat(marker, &st) < 0)
		return;
	char pid[32];
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	log_write(-1, what, pid, "locked");
	for (long waited = 0; stat(marker, &st) == 0 && waited < hang_seconds() * 50 + 50;
	     waited++) {
		struct timespec ts = { 0, 20 * 1000000L };
		nanosleep(&ts, NULL);
	}
}

/* A driver hung in remove(): the writer never comes back, and what it holds
 * stays held even after it is killed (a child keeps every descriptor). */
static void hang(const char *addr)
{
	struct timespec ts = { hang_seconds(), 0 };
	char marker[PATH_MAX];
	bool locks = getenv("VH_MOCK_HANG_LOCKS") && lock_marker(addr, marker, sizeof(marker)) == 0;
	if (locks)
		put_file(marker, "", O_TRUNC);
	pid_t holder = fork();
	if (holder == 0) {
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		if (locks)
			unlink(marker);
		_exit(0);
	}
	if (holder > 0)
		record_pid(holder);
	record_pid(getpid());
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The device a write acts on: the address written to bind, unbind and
 * drivers_probe, else the device whose attribute it is ("" for none). */
static void written_to(const struct tracked *t, const char *value, char *addr, size_t size)
{
	const char *attr = base_name(t->real);
	char dir[PATH_MAX], config[PATH_MAX];
	addr[0] = '\0';
	if (!strcmp(attr, "bind") || !strcmp(attr, "unbind") || !strcmp(attr, "drivers_probe")) {
		copy_str(addr, size, value);
		addr[strcspn(addr, "\n")] = '\0';
		return;
	}
	copy_str(dir, sizeof(dir), t->real);
	*strrchr(dir, '/') = '\0';
	if (fmt(config, sizeof(config), "%s/config", dir) == 0 && access(config, F_OK) == 0)
		copy_str(addr, size, base_name(dir));
}

static ssize_t mock_write(const struct tracked *t, const void *buf, size_t len)
{
	char value[4096], addr[64];
	if (len >= sizeof(value)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(value, buf, len);
	value[len] = '\0';
	written_to(t, value, addr, sizeof(addr));
	if (strcmp(base_name(t->real), "driver_override")) /* that one waited at open */
		wait_unlocked(addr, t->rel);
	int lock = lock_state();
	long n = next_count();
	const char *fail_path = getenv("VH_MOCK_FAIL_PATH");
	int e;
	if (n == env_long("VH_MOCK_HANG_WRITE")) {
		/* The kernel takes the driver's links away before it calls remove(). */
		if (!strcmp(base_name(t->real), "unbind")) {
			char dir[PATH_MAX];
			copy_str(dir, sizeof(dir), t->real);
			*strrchr(dir, '/') = '\0';
			do_unbind(base_name(dir), value);
		}
		log_write(n, t->rel, value, "hang");
		if (lock >= 0)
			real_close(lock);
		hang(addr);
		errno = EIO;
		return -1;
	}
	long every = env_long("VH_MOCK_FAIL_EVERY");
	if (n == env_long("VH_MOCK_FAIL_WRITE") || (every > 0 && n % every == 0) ||
	    (fail_path && *fail_path && strstr(t->rel, fail_path)))
		e = errno_from_env();
	else
		e = kernel_write(t, value);
	log_write(n, t->rel, value, errno_name(e));
	if (lock >= 0)
		real_close(lock);
	if (e) {
		errno = e;
		return -1;
	}
	return (ssize_t)len;
}

/* ---- interposed calls ---- */

/* A write-open of a regular file under <root>/sys: the mock takes it. The
 * file is opened read-only (no O_TRUNC: a failed write must change nothing). */
static int open_tracked(int dirfd, const char *path, int flags)
{
	if (!root[0] || (flags & O_ACCMODE) == O_RDONLY || (path[0] != '/' && dirfd != AT_FDCWD))
		return -2;
	char dir[PATH_MAX], real_dir[PATH_MAX];
	struct stat st;
	copy_str(dir, sizeof(dir), path);
	char *slash = strrchr(dir, '/');
	if (!slash)
		return -2;
	*slash = '\0';
	if (!realpath(dir[0] ? dir : "/", real_dir) || strncmp(real_dir, root, root_len) ||
	    strncmp(real_dir + root_len, "/sys/", 5) || lstat(path, &st) < 0 ||
	    !S_ISREG(st.st_mode))
		return -2;
	int fd = real_openat(dirfd, path, O_RDONLY | (flags & (O_CLOEXEC | O_NOFOLLOW | O_NOCTTY)));
	if (fd < 0 || fd >= MAX_TRACKED)
		return fd;
	struct tracked *t = &tracked[fd];
	t->used = true;
	const char *rel = strncmp(path, root, root_len) == 0 ? path + root_len + 1 : path;
	snprintf(t->rel, sizeof(t->rel), "%s", rel);
	if (fmt(t->real, sizeof(t->real), "%s/%s", real_dir, slash + 1) < 0 || fstat(fd, &st) < 0)
		t->used = false;
	t->dev = st.st_dev;
	t->ino = st.st_ino;
	return fd;
}

/* Opening a device's driver_override takes the device lock (as 6.1's
 * driver_override_show and _store do): wait while the device is locked. */
static void wait_if_override_locked(int dirfd, const char *path)
{
	char dir[PATH_MAX], real_dir[PATH_MAX], config[PATH_MAX];
	if (!root[0] || !getenv("VH_MOCK_HANG_LOCKS") ||
	    strcmp(base_name(path), "driver_override") || (path[0] != '/' && dirfd != AT_FDCWD))
		return;
	copy_str(dir, sizeof(dir), path);
	char *slash = strrchr(dir, '/');
	if (!slash)
		return;
	*slash = '\0';
	if (!realpath(dir, real_dir) || strncmp(real_dir, root, root_len) ||
	    fmt(config, sizeof(config), "%s/config", real_dir) < 0 || access(config, F_OK) < 0)
		return;
	const char *rel = strncmp(path, root, root_len) == 0 ? path + root_len + 1 : path;
	wait_unlocked(base_name(real_dir), rel);
}

/* A device's rom file under <root>/sys: the device's address in addr. */
static bool rom_file(const char *path, char *addr, size_t size)
{
	char real[PATH_MAX], dir[PATH_MAX];
	if (!root[0] || strcmp(base_name(path), "rom") || !realpath(path, real) ||
	    strncmp(real, root, root_len) || strncmp(real + root_len, "/sys/", 5))
		return false;
	copy_str(dir, sizeof(dir), real);
	*strrchr(dir, '/') = '\0';
	copy_str(addr, size, base_name(dir));
	return true;
}

/* Read-opens of rom files: reads fail unless the rom is enabled. */
struct rom_reader {
	bool used;
	dev_t dev;
	ino_t ino;
	char addr[64];
};
static struct rom_reader rom_readers[MAX_TRACKED];

static void track_rom_reader(int fd, const char *path, int flags)
{
	struct stat st;
	struct rom_reader *r = &rom_readers[fd];
	r->used = (flags & O_ACCMODE) == O_RDONLY && rom_file(path, r->addr, sizeof(r->addr)) &&
		  fstat(fd, &st) == 0;
	if (r->used) {
		r->dev = st.st_dev;
		r->ino = st.st_ino;
	}
}

static int do_open(int dirfd, const char *path, int flags, mode_t mode)
{
	mock_init();
	wait_if_override_locked(dirfd, path);
	int fd = open_tracked(dirfd, path, flags);
	if (fd != -2)
		return fd;
	fd = real_openat(dirfd, path, flags, mode);
	if (fd >= 0 && fd < MAX_TRACKED) {
		tracked[fd].used = false;
		track_rom_reader(fd, path, flags);
	}
	return fd;
}

static mode_t mode_arg(int flags, va_list ap)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t)va_arg(ap, int) : 0;
}

VH_MOCK_EXPORT int open(const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t mode = mode_arg(flags, ap);
	va_end(ap);
	return do_open(AT_FDCWD, path, flags, mode);
}

VH_MOCK_EXPORT int open64(const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t mode = mode_arg(flags, ap);
	va_end(ap);
	return do_open(AT_FDCWD, path, flags, mode);
}

VH_MOCK_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t mode = mode_arg(flags, ap);
	va_end(ap);
	return do_open(dirfd, path, flags, mode);
}

VH_MOCK_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t mode = mode_arg(flags, ap);
	va_end(ap);
	return do_open(dirfd, path, flags, mode);
}

/* _FORTIFY_SOURCE's checked variants. */
VH_MOCK_EXPORT int __open_2(const char *path, int flags);
VH_MOCK_EXPORT int __open_2(const char *path, int flags)
{
	return do_open(AT_FDCWD, path, flags, 0);
}

VH_MOCK_EXPORT int __open64_2(const char *path, int flags);
VH_MOCK_EXPORT int __open64_2(const char *path, int flags)
{
	return do_open(AT_FDCWD, path, flags, 0);
}

VH_MOCK_EXPORT int __openat_2(int dirfd, const char *path, int flags);
VH_MOCK_EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
	return do_open(dirfd, path, flags, 0);
}

VH_MOCK_EXPORT int __openat64_2(int dirfd, const char *path, int flags);
VH_MOCK_EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
	return do_open(dirfd, path, flags, 0);
}

/* Descriptors can be closed or replaced behind the mock's back (dup2,
 * close_range): a tracked number counts only while it is still that file. */
static bool is_tracked(int fd)
{
	struct stat st;
	if (fd < 0 || fd >= MAX_TRACKED || !tracked[fd].used)
		return false;
	if (fstat(fd, &st) < 0 || st.st_dev != tracked[fd].dev || st.st_ino != tracked[fd].ino)
		tracked[fd].used = false;
	return tracked[fd].used;
}

VH_MOCK_EXPORT ssize_t write(int fd, const void *buf, size_t len)
{
	mock_init();
	if (is_tracked(fd))
		return mock_write(&tracked[fd], buf, len);
	return real_write(fd, buf, len);
}

VH_MOCK_EXPORT int close(int fd)
{
	mock_init();
	if (fd >= 0 && fd < MAX_TRACKED) {
		tracked[fd].used = false;
		rom_readers[fd].used = false;
	}
	return real_close(fd);
}

VH_MOCK_EXPORT ssize_t read(int fd, void *buf, size_t len)
{
	mock_init();
	struct stat st;
	if (fd >= 0 && fd < MAX_TRACKED && rom_readers[fd].used && fstat(fd, &st) == 0 &&
	    st.st_dev == rom_readers[fd].dev && st.st_ino == rom_readers[fd].ino &&
	    !rom_enabled(rom_readers[fd].addr)) {
		errno = EINVAL; /* pci_read_rom: !pdev->rom_attr_enabled */
		return -1;
	}
	return real_read(fd, buf, len);
}

/* A rom file is a sysfs attribute: what tells a program it may write to it. */
VH_MOCK_EXPORT int statfs(const char *path, struct statfs *buf)
{
	mock_init();
	char addr[64];
	int rc = real_statfs(path, buf);
	if (rc == 0 && rom_file(path, addr, sizeof(addr)))
		buf->f_type = SYSFS_MAGIC;
	return rc;
}

/* The same struct on 64-bit glibc (statfs64 is statfs's alias there). */
VH_MOCK_EXPORT int statfs64(const char *path, struct statfs64 *buf)
{
	_Static_assert(sizeof(struct statfs64) == sizeof(struct statfs), "64-bit statfs");
	return statfs(path, (struct statfs *)(void *)buf);
}
