/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Moving a device between drivers, the robust way (as libvirt does):
 * driver_override names the driver, unbind from the current one, then ask
 * the kernel to probe (drivers_probe). Every step is re-read from sysfs
 * afterwards: on a host tree nothing happens, and the caller must notice.
 */
#include "internal.h"
#include "hook/bind.h"
#include "host/host.h"
#include "host/sysfs.h"

#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int attr_path(struct vh_host *h, char *buf, size_t size, const char *dev, const char *attr)
{
	return vh_host_path(h, buf, size, "/sys/bus/pci/devices/%s/%s", dev, attr);
}

int vh_current_driver(struct vh_host *h, const char *dev, char *buf, size_t size)
{
	char path[PATH_MAX];
	buf[0] = '\0';
	if (attr_path(h, path, sizeof(path), dev, "driver") < 0)
		return -1;
	if (vh_link_basename(path, buf, size) < 0) {
		buf[0] = '\0';
		return errno == ENAMETOOLONG ? -1 : 0; /* else no driver bound */
	}
	if (!vh_is_safe_component(buf)) {
		buf[0] = '\0';
		return -1;
	}
	return 0;
}

int vh_current_override(struct vh_host *h, const char *dev, char *buf, size_t size, unsigned ms)
{
	char path[PATH_MAX], value[4096];
	buf[0] = '\0';
	if (attr_path(h, path, sizeof(path), dev, "driver_override") < 0)
		return -1;
	if (vh_sysfs_read(path, value, sizeof(value), ms, NULL) < 0)
		return errno == ENOENT ? 0 : -1; /* kernels before 3.16 have no override */
	if (!strcmp(value, "(null)"))
		value[0] = '\0';
	if (vh_strlcpy(buf, value, size) >= size) {
		buf[0] = '\0';
		return -1; /* too long to record and restore exactly */
	}
	return 0;
}

static int unbind(struct vh_host *h, const char *dev, const char *driver, unsigned ms,
		  struct vh_err *err)
{
	char path[PATH_MAX];
	if (vh_host_path(h, path, sizeof(path), "/sys/bus/pci/drivers/%s/unbind", driver) < 0)
		return vh_fail(err, "path too long");
	struct vh_err e;
	if (vh_sysfs_write(path, dev, ms, &e) < 0)
		return vh_failc(err, e.code, "%s: driver %s did not let go: %s", dev, driver,
				e.msg);
	return 0;
}

static int set_override(struct vh_host *h, const char *dev, const char *driver, unsigned ms,
			struct vh_err *err)
{
	char path[PATH_MAX];
	if (attr_path(h, path, sizeof(path), dev, "driver_override") < 0)
		return vh_fail(err, "path too long");
	/* A lone newline clears the override. */
	return vh_sysfs_write(path, driver[0] ? driver : "\n", ms, err);
}

static int probe(struct vh_host *h, const char *dev, unsigned ms, struct vh_err *err)
{
	char path[PATH_MAX];
	if (vh_host_path(h, path, sizeof(path), "/sys/bus/pci/drivers_probe") < 0)
		return vh_fail(err, "path too long");
	return vh_sysfs_write(path, dev, ms, err);
}

int vh_bind_vfio(struct vh_host *h, const char *dev, unsigned ms, struct vh_err *err)
{
	char cur[64];
	if (vh_current_driver(h, dev, cur, sizeof(cur)) < 0)
		return vh_fail(err, "%s: cannot read its driver link", dev);
	if (!strcmp(cur, "vfio-pci"))
		return 0;
	if (set_override(h, dev, "vfio-pci", ms, err) < 0)
		return -1;
	if (cur[0] && unbind(h, dev, cur, ms, err) < 0)
		return -1;
	if (probe(h, dev, ms, err) < 0)
		return -1;
	char now[64];
	vh_current_driver(h, dev, now, sizeof(now));
	if (strcmp(now, "vfio-pci")) /* the writes worked; the kernel did not bind it */
		return vh_failc(err, EIO, "%s is still on %s after the unbind and probe%s", dev,
				now[0] ? now : "no driver",
				cur[0] && !strcmp(now, cur) ? ": the driver did not let go" : "");
	return 0;
}

/* After a failed return: the device goes back to the driver and override it
 * had when the return began, so it is never left without a driver. */
static void back_to(struct vh_host *h, const char *dev, const char *override, unsigned ms)
{
	struct vh_err ignored;
	if (set_override(h, dev, override, ms, &ignored) == 0)
		probe(h, dev, ms, &ignored);
}

/* Puts dev back on `driver` with `override`. Each step either completes or
 * is undone: the override is written first (if that fails nothing has
 * changed), an unbind that fails puts the override back, and a bind that
 * fails probes the device back onto the driver it had. */
int vh_restore_driver(struct vh_host *h, const char *dev, const char *driver, const char *override,
		      unsigned ms, struct vh_err *err)
{
	char cur[64], cur_override[64];
	if (vh_current_driver(h, dev, cur, sizeof(cur)) < 0)
		return vh_fail(err, "%s: cannot read its driver link", dev);
	if (vh_current_override(h, dev, cur_override, sizeof(cur_override), ms) < 0)
		return vh_fail(err, "%s: cannot read its driver_override", dev);
	/* A device whose first step failed is as it was: nothing to write. */
	if (!strcmp(cur, driver) && !strcmp(cur_override, override))
		return 0;
	if (set_override(h, dev, override, ms, err) < 0)
		return -1;
	if (!strcmp(cur, driver))
		return 0;
	if (cur[0] && unbind(h, dev, cur, ms, err) < 0) {
		struct vh_err ignored;
		set_override(h, dev, cur_override, ms, &ignored);
		return -1;
	}
	if (!driver[0])
		return 0; /* it had no driver before: that is where it is now */
	char path[PATH_MAX];
	struct vh_err e;
	if (!vh_is_safe_component(driver) ||
	    vh_host_path(h, path, sizeof(path), "/sys/bus/pci/drivers/%s/bind", driver) < 0) {
		back_to(h, dev, cur_override, ms);
		return vh_fail(err, "%s: '%s' is not a driver name", dev, driver);
	}
	if (vh_sysfs_write(path, dev, ms, &e) < 0 && probe(h, dev, ms, err) < 0) {
		back_to(h, dev, cur_override, ms);
		return vh_failc(err, e.code, "%s: cannot bind it back to %s: %s", dev, driver,
				e.msg);
	}
	char now[64];
	vh_current_driver(h, dev, now, sizeof(now));
	if (strcmp(now, driver)) {
		if (!now[0])
			back_to(h, dev, cur_override, ms);
		return vh_fail(err, "%s is on %s, not back on %s", dev, now[0] ? now : "no driver",
			       driver);
	}
	return 0;
}

/* A stuck driver may take minutes to let go: the deferred return waits
 * this long for each of its writes. */
#define DEFERRED_WRITE_MS (10u * 60 * 1000)

int vh_restore_detached(struct vh_host *h, const char *dev, const char *driver,
			const char *override)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		/* The grandchild is reparented to init when this child exits: the hook
		 * neither waits for it nor leaves a zombie behind. */
		if (fork() == 0 && vh_detach_descriptors(3) == 0) {
			setsid();
			vh_restore_driver(h, dev, driver, override, DEFERRED_WRITE_MS, NULL);
		}
		_exit(0);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return 0;
}

int vh_reset_device(struct vh_host *h, const char *dev, unsigned ms, struct vh_err *err)
{
	char path[PATH_MAX];
	if (attr_path(h, path, sizeof(path), dev, "reset") < 0)
		return vh_fail(err, "path too long");
	if (!vh_path_exists(path))
		return vh_fail(err, "%s has no reset the kernel can perform", dev);
	return vh_sysfs_write(path, "1", ms, err);
}
