/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Who holds or reserves a device (ownership.h says from what): qemu-server's
 * pci-id-reservations, running VMs and their configs, other VMs' hook states.
 */
#include "internal.h"
#include "base/array.h"
#include "host/facts.h"
#include "host/host.h"
#include "host/pcidev.h"
#include "pve/mapping.h"
#include "pve/ownership.h"
#include "pve/state.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- running: vm_running_locally ---- */

bool vh_cmdline_names_pidfile(const char *cmdline, size_t len, unsigned vmid)
{
	char want[64];
	snprintf(want, sizeof(want), "/var/run/qemu-server/%u.pid", vmid);
	bool after_flag = false;
	for (size_t at = 0; at < len;) {
		const char *arg = cmdline + at;
		size_t n = strnlen(arg, len - at);
		if (after_flag && n == strlen(want) && !memcmp(arg, want, n))
			return true;
		after_flag = (n == 8 && !memcmp(arg, "-pidfile", 8)) ||
			     (n == 9 && !memcmp(arg, "--pidfile", 9));
		at += n + 1;
	}
	return false;
}

static bool pid_is_vm(struct vh_host *h, uint64_t pid, unsigned vmid)
{
	char path[PATH_MAX], *text;
	size_t len;
	if (vh_host_path(h, path, sizeof(path), "/proc/%llu/cmdline", (unsigned long long)pid) < 0)
		return false;
	int fd = vh_open_regular(path);
	if (fd < 0)
		return false;
	/* cmdline holds NUL bytes: read it raw, not as text */
	text = malloc(1u << 16);
	ssize_t n = text ? read(fd, text, 1u << 16) : -1;
	close(fd);
	len = n > 0 ? (size_t)n : 0;
	bool yes = text && vh_cmdline_names_pidfile(text, len, vmid);
	free(text);
	return yes;
}

bool vh_vm_running(struct vh_host *h, unsigned vmid, uint64_t *pid_out)
{
	char path[PATH_MAX], buf[32];
	uint64_t pid;
	if (vh_host_path(h, path, sizeof(path), "/var/run/qemu-server/%u.pid", vmid) < 0 ||
	    vh_read_attr(path, buf, sizeof(buf)) < 0 ||
	    vh_parse_uint(buf, strlen(buf), 1u << 30, &pid) < 0 || !pid_is_vm(h, pid, vmid))
		return false;
	if (pid_out)
		*pid_out = pid;
	return true;
}

/* ---- reservations: "<pciid> <vmid> pid:<pid>" or "<pciid> <vmid> time:<epoch>" ---- */

/* One line (cut into words in place); false when it breaks that grammar. */
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
	if (!strncmp(how, "pid:", 4) &&
	    vh_parse_uint(how + 4, strlen(how + 4), 1u << 30, &n) == 0) {
		out->by_pid = true;
		out->pid = n;
		return true;
	}
	if (!strncmp(how, "time:", 5) &&
	    vh_parse_uint(how + 5, strlen(how + 5), INT64_MAX, &n) == 0) {
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

/* reserve_pci_usage: a pid: entry holds while its VM runs as that pid (a
 * leftover is taken over), a time: entry until its time. The first entry
 * in force, in the file's order. */
static bool reserved(struct vh_host *h, const char *addr, unsigned self, struct vh_holder *out)
{
	char path[PATH_MAX], *text;
	size_t len, n;
	struct vh_reservation res[VH_MAX_RESERVATIONS];
	if (vh_host_path(h, path, sizeof(path), "/run/qemu-server/pci-id-reservations") < 0 ||
	    vh_slurp(path, 1u << 20, &text, &len) < 0)
		return false;
	int rc = vh_reservations_parse(text, len, addr, self, res, VH_ARRAY_SIZE(res), &n);
	free(text);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		uint64_t pid;
		if (res[i].by_pid && vh_vm_running(h, res[i].vmid, &pid) && pid == res[i].pid) {
			*out = (struct vh_holder){ .kind = VH_HOLD_RUNNING, .vmid = res[i].vmid };
			return true;
		}
		if (!res[i].by_pid && res[i].until > (long long)time(NULL)) {
			*out = (struct vh_holder){ .kind = VH_HOLD_RESERVED,
						   .vmid = res[i].vmid,
						   .until = res[i].until };
			return true;
		}
	}
	return false;
}

/* ---- which VMs' configs pass which devices ---- */

bool vh_mdev_is_nvidia(struct vh_host *h, const struct vh_hostpci *pci, unsigned long *model)
{
	char name[VH_PCI_ADDR_STRLEN], *end;
	if (strncmp(pci->mdev, "nvidia-", 7) || !(pci->mdev[7] >= '0' && pci->mdev[7] <= '9') ||
	    !pci->n_addrs)
		return false;
	unsigned long m = strtoul(pci->mdev + 7, &end, 10);
	vh_pci_addr_format(&pci->addrs[0], name);
	struct vh_vgpu v;
	if (*end || !vh_nvidia_vgpu(h, name, &v))
		return false;
	if (model)
		*model = m;
	return true;
}

bool vh_entry_takes_device(struct vh_host *h, const struct vh_hostpci *pci)
{
	return !pci->mdev[0] || vh_mdev_is_nvidia(h, pci, NULL);
}

static int add_use(struct vh_vm_uses *u, const struct vh_vm_use *use)
{
	if (VH_ARRAY_ROOM(u->list, u->cap, u->n) < 0)
		return -1;
	u->list[u->n++] = *use;
	return 0;
}

/* The devices one VM's config passes: the map its start would choose first
 * (which of several another start takes, the reservations tell). */
static int add_vm(struct vh_host *h, struct vh_vm_uses *u, unsigned vmid, struct vh_vmconf *vm)
{
	if (vh_vmconf_load(h, vmid, vm, NULL) < 0)
		return 0;
	for (size_t i = 0; i < vm->n_hostpci; i++) {
		struct vh_hostpci *pci = &vm->hostpci[i];
		if (pci->has_mapping && vh_mapping_resolve(h, pci->mapping, NULL, NULL, pci->addrs,
							   VH_MAX_HOSTPCI_ADDRS, &pci->n_addrs,
							   &pci->n_alternatives, NULL) < 0)
			continue;
		bool takes = vh_entry_takes_device(h, pci);
		for (size_t j = 0; j < pci->n_addrs; j++)
			if (add_use(u, &(struct vh_vm_use){ vmid, pci->addrs[j], pci->index,
							    takes }) < 0)
				return -1;
	}
	return 0;
}

/* The VMs of a directory's "<vmid><suffix>" files, running ones only when asked. */
static int load_uses(struct vh_host *h, const char *dir_path, const char *suffix, bool running,
		     struct vh_vm_uses *out, struct vh_err *err)
{
	char dir[PATH_MAX];
	memset(out, 0, sizeof(*out));
	if (vh_host_path(h, dir, sizeof(dir), "%s", dir_path) < 0)
		return vh_fail(err, "path too long under %s", vh_host_root(h));
	DIR *dp = opendir(dir);
	if (!dp)
		return errno == ENOENT ? 0 : vh_fail(err, "%s: %s", dir, strerror(errno));
	struct vh_vmconf *vm = malloc(sizeof(*vm));
	struct dirent *e;
	int rc = vm ? 0 : -1;
	while (rc == 0 && (e = readdir(dp))) {
		unsigned vmid;
		if (vh_vmid_file(e->d_name, suffix, &vmid) == 0 &&
		    (!running || vh_vm_running(h, vmid, NULL)))
			rc = add_vm(h, out, vmid, vm);
	}
	closedir(dp);
	free(vm);
	if (rc < 0) {
		vh_vm_uses_free(out);
		return vh_fail(err, "out of memory");
	}
	return 0;
}

int vh_vm_uses_load(struct vh_host *h, struct vh_vm_uses *out, struct vh_err *err)
{
	return load_uses(h, "/etc/pve/qemu-server", ".conf", false, out, err);
}

void vh_vm_uses_free(struct vh_vm_uses *u)
{
	free(u->list);
	memset(u, 0, sizeof(*u));
}

/* A config address names the device: the same function, or the slot. */
static bool use_names(const struct vh_vm_use *use, const struct vh_pci_addr *a)
{
	const struct vh_pci_addr *c = &use->addr;
	return c->domain == a->domain && c->bus == a->bus && c->dev == a->dev &&
	       (!c->has_func || c->func == a->func);
}

size_t vh_vm_uses_of(const struct vh_vm_uses *u, const struct vh_pci_addr *a, unsigned *vmids,
		     size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < u->n; i++) {
		if (!use_names(&u->list[i], a))
			continue;
		size_t at = 0;
		while (at < n && vmids[at] < u->list[i].vmid)
			at++;
		if ((at < n && vmids[at] == u->list[i].vmid) || n == max)
			continue;
		memmove(vmids + at + 1, vmids + at, (n - at) * sizeof(*vmids));
		vmids[at] = u->list[i].vmid;
		n++;
	}
	return n;
}

/* The devices running VMs' configs pass, read once per host context. */
static bool running_config(struct vh_host *h, const struct vh_pci_addr *a, unsigned self,
			   struct vh_holder *out)
{
	if (!h->running_loaded) {
		h->running_loaded = true;
		h->running_unknown = load_uses(h, "/var/run/qemu-server", ".pid", true, &h->running,
					       NULL) < 0;
	}
	if (h->running_unknown)
		return *out = (struct vh_holder){ .kind = VH_HOLD_UNKNOWN }, true;
	for (size_t i = 0; i < h->running.n; i++) {
		const struct vh_vm_use *u = &h->running.list[i];
		if (u->vmid != self && u->takes && use_names(u, a)) {
			*out = (struct vh_holder){ .kind = VH_HOLD_CONFIG,
						   .vmid = u->vmid,
						   .index = u->index };
			return true;
		}
	}
	return false;
}

/* Another running VM's hook state records the device. */
static bool running_state(struct vh_host *h, int state_dir, const char *addr, unsigned self,
			  struct vh_holder *out)
{
	unsigned others[256];
	size_t n = state_dir >= 0 ? vh_state_others(state_dir, self, others, VH_ARRAY_SIZE(others))
				  : 0;
	bool found = false;
	struct vh_state *st = n ? malloc(sizeof(*st)) : NULL;
	for (size_t i = 0; st && i < n && !found; i++)
		found = vh_state_load(state_dir, others[i], st, NULL) > 0 &&
			vh_state_find(st, addr) && vh_vm_running(h, others[i], NULL);
	if (found)
		*out = (struct vh_holder){ .kind = VH_HOLD_STATE, .vmid = st->vmid };
	if (n && !st)
		*out = (struct vh_holder){ .kind = VH_HOLD_UNKNOWN }, found = true;
	free(st);
	return found;
}

bool vh_device_owner(struct vh_host *h, const struct vh_pci_addr *a, unsigned self, int state_dir,
		     struct vh_holder *out)
{
	char name[VH_PCI_ADDR_STRLEN];
	vh_pci_addr_format(a, name);
	*out = (struct vh_holder){ .kind = VH_HOLD_NONE };
	const struct vh_facts *f = vh_host_facts(h);
	if (f) { /* a node known by its inventory: the holder it recorded */
		const struct vh_fact_device *fd = vh_facts_device(f, a);
		if (!fd || !fd->held_by || fd->held_by == self)
			return false;
		*out = (struct vh_holder){ .kind = VH_HOLD_RUNNING, .vmid = fd->held_by };
		return true;
	}
	return reserved(h, name, self, out) || running_config(h, a, self, out) ||
	       running_state(h, state_dir, name, self, out);
}

void vh_holder_describe(const struct vh_holder *o, char *buf, size_t size)
{
	switch (o->kind) {
	case VH_HOLD_RUNNING:
		snprintf(buf, size, "VM %u holds it", o->vmid);
		break;
	case VH_HOLD_RESERVED:
		snprintf(buf, size, "VM %u has reserved it for a start", o->vmid);
		break;
	case VH_HOLD_CONFIG:
		snprintf(buf, size, "running VM %u passes it as hostpci%d", o->vmid, o->index);
		break;
	case VH_HOLD_STATE:
		snprintf(buf, size, "the hook state of running VM %u records it", o->vmid);
		break;
	case VH_HOLD_UNKNOWN:
		snprintf(buf, size, "who holds it cannot be told (out of memory)");
		break;
	case VH_HOLD_NONE:
		snprintf(buf, size, "no VM holds it");
		break;
	}
}
