/*
 * Who holds or reserves a device: qemu-server's pci-id-reservations and
 * the pid files of running VMs.
 */
#include "internal.h"
#include "host/host.h"
#include "pve/ownership.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
