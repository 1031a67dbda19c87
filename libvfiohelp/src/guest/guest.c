/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hookctl guest VMID: the seed's phases 3-5 asked of the running guest
 * (product.md). The order: the VM's passed devices from its config; the
 * agent, waited for; the guest's OS; one read-only probe of its devices,
 * firmware and kernel log; QEMU's query-pci for where each device landed;
 * nvidia-smi for an NVIDIA display device; the admin's own probes. Each
 * question is its own short connection (agent.c), so qemu-server's calls
 * between them are served.
 */
#include "internal.h"
#include "base/array.h"
#include "guest/agent.h"
#include "guest/guest.h"
#include "guest/probe.h"
#include "guest/qmp.h"
#include "guest/wire.h"
#include "host/iommu.h"
#include "pve/mapping.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RETRY_MS 1000 /* between tries while waiting for the agent */

struct ask {
	struct vh_host *h;
	const struct vh_policy *policy;
	struct vh_guest_report *r;
	struct vh_vmconf vm;
	struct vh_agent agent;
	struct guest_facts facts;
	size_t cap_devices, cap_findings, cap_unjudged;
	bool have_facts; /* the OS's probe answered: the devices can be judged */
	bool oom;
};

const char *vh_guest_verdict_name(enum vh_guest_verdict v)
{
	return v == VH_GUEST_OK ? "ok" : v == VH_GUEST_PROBLEM ? "problem" : "unknown";
}

/* ---- what the report collects ---- */

static void finding(struct ask *a, enum vh_finding_id id, const char *subject, const char *fix,
		    const char *fmt, ...) VH_PRINTF(5, 6);

static void finding(struct ask *a, enum vh_finding_id id, const char *subject, const char *fix,
		    const char *fmt, ...)
{
	const struct vh_finding_kind *k = vh_finding_kind_of(id);
	enum vh_severity sev = vh_policy_severity(a->policy, a->r->vmid, k->id, k->severity);
	if (sev == VH_SEV_OFF)
		return;
	if (VH_ARRAY_ROOM(a->r->findings, a->cap_findings, a->r->n_findings) < 0) {
		a->oom = true;
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	vh_finding_fill(&a->r->findings[a->r->n_findings++], id, sev, subject, fix, fmt, ap);
	va_end(ap);
}

static void unjudged(struct ask *a, const char *check, const char *fmt, ...) VH_PRINTF(3, 4);

static void unjudged(struct ask *a, const char *check, const char *fmt, ...)
{
	if (VH_ARRAY_ROOM(a->r->unjudged, a->cap_unjudged, a->r->n_unjudged) < 0) {
		a->oom = true;
		return;
	}
	struct vh_unjudged *u = &a->r->unjudged[a->r->n_unjudged++];
	vh_strlcpy(u->check, check, sizeof(u->check));
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(u->why, sizeof(u->why), fmt, ap);
	va_end(ap);
	vh_sanitize(u->why);
}

/* ---- the VM's devices, from its config ---- */

static void add_device(struct ask *a, const struct vh_pci_addr *addr, int index)
{
	struct vh_err e;
	if (VH_ARRAY_ROOM(a->r->devices, a->cap_devices, a->r->n_devices) < 0) {
		a->oom = true;
		return;
	}
	struct vh_guest_device *d = &a->r->devices[a->r->n_devices++];
	memset(d, 0, sizeof(*d));
	vh_pci_addr_format(addr, d->host);
	d->hostpci_index = index;
	d->state = VH_GUEST_DEV_UNKNOWN;
	const struct vh_device *hd = vh_host_device(a->h, addr, &e);
	if (hd && hd->present) {
		d->vendor = hd->vendor;
		d->device = hd->device;
	}
}

/* Every function each hostpci entry passes, as qemu-server expands them; a
 * mapping's first usable map (the running VM's own choice is not recorded
 * anywhere the host can read). mdev entries are not the host device in the
 * guest: they are left out and said so. */
static void collect_devices(struct ask *a)
{
	for (size_t i = 0; i < a->vm.n_hostpci; i++) {
		struct vh_hostpci *pci = &a->vm.hostpci[i];
		struct vh_err e;
		size_t n = pci->n_addrs;
		if (pci->mdev[0]) {
			unjudged(a, "device",
				 "hostpci%d is an mdev (%s): not looked for in the guest",
				 pci->index, pci->mdev);
			continue;
		}
		if (pci->has_mapping &&
		    vh_mapping_resolve(a->h, pci->mapping, NULL, NULL, pci->addrs,
				       VH_MAX_HOSTPCI_ADDRS, &n, &pci->n_alternatives, &e) < 0) {
			unjudged(a, "device", "hostpci%d: %s", pci->index, e.msg);
			continue;
		}
		for (size_t j = 0; j < n; j++) {
			struct vh_pci_addr funcs[8];
			size_t nf = pci->addrs[j].has_func
					    ? (funcs[0] = pci->addrs[j], 1)
					    : vh_device_functions(a->h, &pci->addrs[j], funcs, 8);
			if (nf == 0) { /* not on this host: still looked for, as function 0 */
				funcs[0] = pci->addrs[j];
				funcs[0].has_func = true;
				funcs[0].func = 0;
				nf = 1;
			}
			for (size_t k = 0; k < nf; k++)
				add_device(a, &funcs[k], pci->index);
		}
	}
}

/* ---- the agent ---- */

static void sleep_until(long long when_ms)
{
	long long left = when_ms - vh_wire_now_ms();
	if (left > 0) {
		struct timespec ts = { left / 1000, (long)(left % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
}

/* Pings until the agent answers or wait_ms ends: true when it answered. */
static bool await_agent(struct ask *a, unsigned wait_ms)
{
	long long deadline = vh_wire_now_ms() + wait_ms;
	struct vh_err e;
	for (;;) {
		long long tried = vh_wire_now_ms();
		if (vh_agent_call(&a->agent, NULL, NULL, NULL, &e) == 0)
			return true;
		/* no socket, or one nobody listens on (QEMU gone, its file left) */
		if (e.code == ENOENT || e.code == ECONNREFUSED) {
			unjudged(a, "guest",
				 "VM %u is not running here: %s /var/run/qemu-server/%u.qga",
				 a->r->vmid, e.code == ENOENT ? "no" : "nobody listens on",
				 a->r->vmid);
			return false;
		}
		if (tried + RETRY_MS >= deadline) {
			char fix[256];
			snprintf(fix, sizeof(fix),
				 "in the guest: systemctl enable --now qemu-guest-agent; then qm agent %u ping",
				 a->r->vmid);
			finding(a, VH_F_GUEST_AGENT_SILENT, "agent", fix,
				"VM %u's guest agent did not answer within %u s (%s)", a->r->vmid,
				(wait_ms + 999) / 1000, e.msg);
			return false;
		}
		sleep_until(tried + RETRY_MS);
	}
}

static void copy_str(json_object *o, const char *key, char *buf, size_t size)
{
	json_object *v;
	if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)) {
		vh_strlcpy(buf, json_object_get_string(v), size);
		vh_sanitize(buf);
	}
}

/* guest-get-osinfo: {"id", "pretty-name", "kernel-release", ...}; Windows
 * reports id "mswindows". */
static void ask_osinfo(struct ask *a)
{
	json_object *info = NULL;
	struct vh_err e;
	char id[64] = "";
	if (vh_agent_call(&a->agent, "guest-get-osinfo", NULL, &info, &e) < 0 ||
	    !json_object_is_type(info, json_type_object)) {
		unjudged(a, "os", "guest-get-osinfo: %s", info ? "not an object" : e.msg);
		json_object_put(info);
		return;
	}
	copy_str(info, "id", id, sizeof(id));
	copy_str(info, "pretty-name", a->r->os, sizeof(a->r->os));
	if (!a->r->os[0])
		copy_str(info, "name", a->r->os, sizeof(a->r->os));
	copy_str(info, "kernel-release", a->r->kernel, sizeof(a->r->kernel));
	a->facts.family = !strcmp(id, "mswindows") ? GUEST_WINDOWS : GUEST_LINUX;
	vh_strlcpy(a->r->family, a->facts.family == GUEST_WINDOWS ? "windows" : "linux",
		   sizeof(a->r->family));
	json_object_put(info);
}

static void exec_disabled(struct ask *a, const struct vh_err *e)
{
	char fix[512];
	snprintf(fix, sizeof(fix),
		 "in the guest: allow guest-exec and guest-exec-status (drop them from "
		 "block-rpcs, or add them to allow-rpcs, in /etc/qemu/qemu-ga.conf or "
		 "/etc/sysconfig/qemu-ga), then restart qemu-guest-agent");
	finding(a, VH_F_GUEST_EXEC_DISABLED, "agent", fix,
		"VM %u's guest agent answers but refuses to run programs: %s", a->r->vmid, e->msg);
}

/* The OS's probe: one exec. false when nothing can be probed (exec refused). */
static bool ask_facts(struct ask *a)
{
	bool windows = a->facts.family == GUEST_WINDOWS;
	struct vh_agent_exec x;
	struct vh_err e;
	if (vh_agent_exec(&a->agent, windows ? vh_probe_windows_argv : vh_probe_linux_argv,
			  VH_GUEST_FACTS_MS, &x, &e) < 0) {
		if (e.code == ENOTSUP) {
			exec_disabled(a, &e);
			return false;
		}
		a->r->agent_exec = true; /* the program failed, not the agent */
		unjudged(a, "devices", "the guest's %s probe: %s", windows ? "PowerShell" : "sh",
			 e.msg);
		return true;
	}
	a->r->agent_exec = true;
	int rc = windows ? vh_probe_windows_parse(x.out, &a->facts, &e)
			 : vh_probe_linux_parse(x.out, &a->facts, &e);
	if (rc < 0)
		unjudged(a, "devices", "%s", e.msg);
	a->have_facts = rc == 0;
	if (rc == 0 && a->facts.family == GUEST_UNKNOWN) { /* no osinfo, but sh answered */
		a->facts.family = GUEST_LINUX;
		vh_strlcpy(a->r->family, "linux", sizeof(a->r->family));
	}
	a->r->firmware = (enum vh_guest_firmware)a->facts.firmware;
	a->r->secure_boot = a->facts.secure_boot;
	vh_agent_exec_free(&x);
	return true;
}

/* ---- where each device landed, and how it fares ---- */

/* How many functions the device's hostpci entry passes, and its place
 * among them: qemu-server's qdev id is hostpciN, or hostpciN.J for the
 * J-th device of a multifunction entry. */
static void qdev_id(const struct ask *a, size_t i, char *id, size_t size)
{
	const struct vh_guest_device *d = &a->r->devices[i];
	size_t n = 0, j = 0;
	for (size_t k = 0; k < a->r->n_devices; k++)
		if (a->r->devices[k].hostpci_index == d->hostpci_index) {
			if (k < i)
				j++;
			n++;
		}
	if (n == 1)
		snprintf(id, size, "hostpci%d", d->hostpci_index);
	else
		snprintf(id, size, "hostpci%d.%zu", d->hostpci_index, j);
}

/* QEMU's own answer where the VM runs: the guest address of each device.
 * Without it (another node's VM, a QMP socket busy for its whole hold) the
 * guest's devices are matched by vendor:device. */
static void place_by_qmp(struct ask *a)
{
	struct vh_qmp_device *q = NULL;
	size_t nq = 0;
	struct vh_err e;
	if (vh_qmp_query_pci(a->h, a->r->vmid, VH_AGENT_HOLD_MS, &q, &nq, &e) < 0) {
		if (e.code == ENOENT)
			unjudged(a, "guest-address",
				 "no /var/run/qemu-server/%u.qmp: devices matched by vendor:device",
				 a->r->vmid);
		else
			unjudged(a, "guest-address",
				 "QMP query-pci: %s; devices matched by vendor:device", e.msg);
		return;
	}
	for (size_t i = 0; i < a->r->n_devices; i++) {
		char id[32];
		qdev_id(a, i, id, sizeof(id));
		for (size_t k = 0; k < nq; k++)
			if (!strcmp(q[k].qdev_id, id))
				vh_pci_addr_format(&q[k].guest, a->r->devices[i].guest_address);
	}
	free(q);
}

/* The guest's device for a passed one: at QEMU's address, else the first
 * unclaimed one with its vendor:device. */
static struct guest_pci *find_in_guest(struct ask *a, const struct vh_guest_device *d,
				       bool *claimed)
{
	struct guest_facts *f = &a->facts;
	struct vh_pci_addr at;
	bool by_addr = d->guest_address[0] && f->family != GUEST_WINDOWS &&
		       vh_pci_addr_parse(d->guest_address, strlen(d->guest_address), &at) == 0;
	for (size_t k = 0; k < f->n_pci; k++) {
		bool match = by_addr ? vh_pci_addr_equal(&f->pci[k].addr, &at)
				     : d->vendor && f->pci[k].vendor == d->vendor &&
					       f->pci[k].device == d->device;
		if (match && !claimed[k]) {
			claimed[k] = true;
			return &f->pci[k];
		}
	}
	return NULL;
}

static void device_missing(struct ask *a, struct vh_guest_device *d)
{
	char fix[512];
	d->state = VH_GUEST_DEV_MISSING;
	snprintf(fix, sizeof(fix),
		 "hookctl check %u and hookctl log %u (what pre-start did), then qm reboot %u; "
		 "in the guest: lspci -nn | grep -i %04x:%04x",
		 a->r->vmid, a->r->vmid, a->r->vmid, d->vendor, d->device);
	finding(a, VH_F_GUEST_DEVICE_MISSING, d->host, fix,
		"hostpci%d %s (%04x:%04x) is not on VM %u's PCI bus%s%s", d->hostpci_index, d->host,
		d->vendor, d->device, a->r->vmid, d->guest_address[0] ? ": QEMU put it at " : "",
		d->guest_address);
}

static void device_problem(struct ask *a, struct vh_guest_device *d, const struct guest_pci *g)
{
	d->state = VH_GUEST_DEV_PROBLEM;
	d->problem = g->problem;
	char fix[512];
	if (g->problem == 43)
		snprintf(fix, sizeof(fix),
			 "hookctl check %u (q35, OVMF, rombar=0 for NVIDIA), then in the guest "
			 "reinstall the driver (Device Manager > the device > Update driver)",
			 a->r->vmid);
	else
		snprintf(fix, sizeof(fix),
			 "in the guest: Device Manager > the device > Properties > Device status");
	finding(a, VH_F_GUEST_DEVICE_PROBLEM, d->host, fix,
		"Windows reports %s for hostpci%d %s (%04x:%04x%s%s)",
		vh_probe_windows_problem_name(g->problem), d->hostpci_index, d->host, d->vendor,
		d->device, g->name[0] ? ", " : "", g->name);
}

static void device_unbound(struct ask *a, struct vh_guest_device *d)
{
	char fix[512];
	d->state = VH_GUEST_DEV_NO_DRIVER;
	if (d->vendor == 0x10de)
		snprintf(fix, sizeof(fix),
			 "in the guest: install the NVIDIA driver (apt install nvidia-driver, or "
			 "ubuntu-drivers install), then modprobe nvidia and dmesg | grep NVRM");
	else
		snprintf(fix, sizeof(fix),
			 "in the guest: lspci -nnk -s %s names the modules that fit; install or "
			 "modprobe one, then dmesg | tail",
			 d->guest_address[0] ? d->guest_address : "ADDRESS");
	finding(a, VH_F_GUEST_DRIVER_UNBOUND, d->host, fix,
		"hostpci%d %s (%04x:%04x) is in the guest%s%s but no driver is bound to it",
		d->hostpci_index, d->host, d->vendor, d->device, d->guest_address[0] ? " at " : "",
		d->guest_address);
}

static void judge_devices(struct ask *a)
{
	bool *claimed = calloc(a->facts.n_pci + 1, sizeof(*claimed));
	if (!claimed) {
		a->oom = true;
		return;
	}
	for (size_t i = 0; i < a->r->n_devices; i++) {
		struct vh_guest_device *d = &a->r->devices[i];
		struct guest_pci *g = find_in_guest(a, d, claimed);
		if (!g) {
			device_missing(a, d);
			continue;
		}
		if (a->facts.family != GUEST_WINDOWS)
			vh_pci_addr_format(&g->addr, d->guest_address);
		vh_strlcpy(d->driver, g->driver, sizeof(d->driver));
		if (g->problem > 0)
			device_problem(a, d, g);
		else if (!g->driver[0])
			device_unbound(a, d);
		else
			d->state = VH_GUEST_DEV_OK;
	}
	free(claimed);
}

/* ---- NVIDIA, Secure Boot ---- */

/* The first passed NVIDIA display device (class 0x03), or NULL. */
static const struct vh_guest_device *nvidia_display(struct ask *a)
{
	for (size_t i = 0; i < a->r->n_devices; i++) {
		const struct vh_guest_device *d = &a->r->devices[i];
		struct vh_pci_addr addr;
		struct vh_err e;
		const struct vh_device *hd;
		if (d->vendor == 0x10de &&
		    vh_pci_addr_parse(d->host, strlen(d->host), &addr) == 0 &&
		    (hd = vh_host_device(a->h, &addr, &e)) && (hd->class_code >> 16) == 0x03)
			return d;
	}
	return NULL;
}

/* The kernel log's NVRM: lines, joined: what the driver said. */
static void nvrm_lines(const struct guest_facts *f, char *buf, size_t size)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < f->n_klog && used + 1 < size; i++)
		if (strstr(f->klog[i], "NVRM:"))
			used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? " | " : "",
						 f->klog[i]);
}

static void ask_nvidia(struct ask *a, const struct vh_guest_device *gpu)
{
	struct vh_agent_exec x;
	struct vh_err e;
	if (vh_agent_exec(&a->agent, vh_probe_nvidia_argv, VH_GUEST_PROBE_MS, &x, &e) < 0) {
		unjudged(a, "nvidia-smi", "not run in the guest: %s", e.msg);
		return;
	}
	char first[256], nvrm[512], fix[512];
	vh_probe_first_line(x.out_len ? x.out : x.err, first, sizeof(first));
	nvrm_lines(&a->facts, nvrm, sizeof(nvrm));
	enum nvidia_state st = vh_probe_nvidia_judge(x.exited ? x.exitcode : -1, first);
	if (st == NVIDIA_NOT_LOADED) {
		snprintf(fix, sizeof(fix),
			 "in the guest: modprobe nvidia (its error names the cause); if the module "
			 "is missing: apt install --reinstall the nvidia-driver package (or dkms "
			 "autoinstall), then reboot the guest");
		finding(a, VH_F_GUEST_NVIDIA_DRIVER_NOT_LOADED, gpu->host, fix,
			"nvidia-smi exits %d in the guest: %s%s%s", x.exitcode, first,
			nvrm[0] ? "; kernel log: " : "", nvrm);
	} else if (st == NVIDIA_INIT_FAILED) {
		snprintf(fix, sizeof(fix),
			 "hookctl check %u (ROM BAR, q35 and OVMF, the device's reset); on the host: "
			 "dmesg | grep -i vfio; in the guest: dmesg | grep NVRM",
			 a->r->vmid);
		finding(a, VH_F_GUEST_NVIDIA_INIT_FAILED, gpu->host, fix,
			"nvidia-smi exits %d in the guest: %s%s%s", x.exitcode, first,
			nvrm[0] ? "; kernel log: " : "", nvrm[0] ? nvrm : "");
	}
	vh_agent_exec_free(&x);
}

static void judge_secure_boot(struct ask *a)
{
	const char *line;
	if (a->facts.family != GUEST_LINUX || !vh_probe_klog_refused_module(&a->facts, &line))
		return;
	char fix[512];
	snprintf(fix, sizeof(fix),
		 "in the guest: sign the module with an enrolled MOK (mokutil --import KEY.der, "
		 "reboot, enrol; DKMS signs with /var/lib/dkms/mok.key), or boot without Secure "
		 "Boot: a new efidisk with pre-enrolled-keys=0 (qm set %u -efidisk0 "
		 "STORAGE:1,efitype=4m,pre-enrolled-keys=0)",
		 a->r->vmid);
	finding(a, VH_F_GUEST_SECURE_BOOT_REFUSED_MODULE, "kernel", fix,
		"VM %u's kernel refused an unsigned module (Secure Boot %s): %s", a->r->vmid,
		a->facts.secure_boot == 1   ? "on"
		: a->facts.secure_boot == 0 ? "off"
					    : "unknown",
		line);
}

/* ---- the admin's probes ---- */

/* One argument as a shell reads it back: bare when it is plain, else in
 * single quotes (a ' inside as '\''), so the fix can be pasted. */
static size_t shell_word(const char *arg, char *buf, size_t size)
{
	bool plain = *arg && strspn(arg, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					 "0123456789_./:=,+-@%") == strlen(arg);
	size_t used = 0;
#define PUT(c) (used + 1 < size ? (buf[used++] = (c)) : 0)
	if (!plain)
		PUT('\'');
	for (const char *p = arg; *p; p++) {
		if (*p == '\'' && !plain) {
			PUT('\'');
			PUT('\\');
			PUT('\'');
		}
		PUT(*p);
	}
	if (!plain)
		PUT('\'');
#undef PUT
	buf[used] = '\0';
	return used;
}

void vh_guest_probe_name(const struct vh_guest_probe *p, char *buf, size_t size)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; p->argv[i] && used + 2 < size; i++) {
		if (i)
			buf[used++] = ' ';
		used += shell_word(p->argv[i], buf + used, size - used);
	}
}

static void run_probe(struct ask *a, struct vh_guest_probe *p)
{
	struct vh_agent_exec x;
	struct vh_err e;
	char name[256], fix[512];
	vh_guest_probe_name(p, name, sizeof(name));
	snprintf(fix, sizeof(fix),
		 "run it in the guest and read its output: qm guest exec %u -- %s", a->r->vmid,
		 name);
	if (vh_agent_exec(&a->agent, (const char *const *)p->argv, VH_GUEST_PROBE_MS, &x, &e) < 0) {
		p->exit = -1;
		vh_strlcpy(p->output, e.msg, sizeof(p->output));
		finding(a, VH_F_GUEST_PROBE_FAILED, name, fix, "the probe %s could not run: %s",
			name, e.msg);
		return;
	}
	p->exit = x.exitcode;
	vh_probe_first_lines(x.out_len ? x.out : x.err, 5, p->output, sizeof(p->output));
	if (x.exitcode != 0) {
		char first[256];
		vh_probe_first_line(p->output, first, sizeof(first));
		finding(a, VH_F_GUEST_PROBE_FAILED, name, fix, "the probe %s exits %d%s: %s", name,
			x.exitcode, x.signal ? " (killed by a signal)" : "", first);
	}
	vh_agent_exec_free(&x);
}

static void run_probes(struct ask *a)
{
	size_t n = vh_policy_guest_probe_count(a->policy, a->r->vmid);
	if (!n || !(a->r->probes = calloc(n, sizeof(*a->r->probes)))) {
		a->oom = n > 0;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const char *argv[VH_GUEST_PROBE_ARGS];
		struct vh_guest_probe *p = &a->r->probes[a->r->n_probes++];
		size_t argc = vh_policy_guest_probe(a->policy, a->r->vmid, i, argv,
						    VH_GUEST_PROBE_ARGS);
		for (size_t j = 0; j < argc; j++)
			if (!(p->argv[j] = strdup(argv[j])))
				a->oom = true;
		if (!a->oom)
			run_probe(a, p);
	}
}

/* ---- the whole ---- */

/* problem: an error found; unknown: the guest or a device could not be
 * asked; ok: everything asked and well. */
static enum vh_guest_verdict verdict(const struct vh_guest_report *r)
{
	for (size_t i = 0; i < r->n_findings; i++)
		if (r->findings[i].severity == VH_SEV_ERROR)
			return VH_GUEST_PROBLEM;
	for (size_t i = 0; i < r->n_devices; i++)
		if (r->devices[i].state == VH_GUEST_DEV_UNKNOWN)
			return VH_GUEST_UNKNOWN;
	return r->agent_configured && r->agent_answered && r->agent_exec ? VH_GUEST_OK
									 : VH_GUEST_UNKNOWN;
}

static int ask_begin(struct ask *a, struct vh_host *h, unsigned vmid, const struct vh_policy *p,
		     struct vh_err *err)
{
	memset(a, 0, sizeof(*a));
	a->h = h;
	a->policy = p;
	a->facts.secure_boot = -1;
	if (!(a->r = calloc(1, sizeof(*a->r))))
		return vh_failc(err, ENOMEM, "out of memory");
	a->r->vmid = vmid;
	a->r->secure_boot = -1;
	if (vh_vmconf_load(h, vmid, &a->vm, err) < 0 ||
	    vh_agent_init(&a->agent, h, vmid, err) < 0) {
		vh_guest_report_free(a->r);
		a->r = NULL;
		return -1;
	}
	a->r->agent_configured = a->vm.agent;
	if (!a->vm.agent) {
		char fix[256];
		snprintf(fix, sizeof(fix),
			 "qm set %u --agent enabled=1, install qemu-guest-agent in the guest, then "
			 "qm reboot %u",
			 vmid, vmid);
		finding(a, VH_F_GUEST_AGENT_OFF, "agent", fix,
			"VM %u has no guest agent configured (agent: 1): the guest cannot be asked",
			vmid);
	}
	return 0;
}

/* The agent, the OS and its probe: false when the guest cannot be asked. */
static bool ask_guest(struct ask *a, unsigned wait_ms, long long *answered)
{
	if (!a->vm.agent || !await_agent(a, wait_ms))
		return false;
	*answered = vh_wire_now_ms();
	a->r->agent_answered = true;
	ask_osinfo(a);
	return ask_facts(a);
}

static void ask_end(struct ask *a)
{
	free(a->facts.pci);
	a->r->connections = a->agent.connections;
	a->r->max_hold_ms = a->agent.max_hold_ms;
}

struct vh_guest_report *vh_guest_ask(struct vh_host *h, unsigned vmid, const struct vh_policy *p,
				     unsigned wait_ms, struct vh_err *err)
{
	struct ask a;
	long long answered = 0;
	if (ask_begin(&a, h, vmid, p, err) < 0)
		return NULL;
	collect_devices(&a);
	if (ask_guest(&a, wait_ms, &answered) && a.r->agent_exec) {
		if (a.have_facts) {
			place_by_qmp(&a);
			judge_devices(&a);
		}
		const struct vh_guest_device *gpu = nvidia_display(&a);
		if (gpu && a.facts.family == GUEST_LINUX)
			ask_nvidia(&a, gpu);
		judge_secure_boot(&a);
		run_probes(&a);
	}
	a.r->verdict = verdict(a.r);
	a.r->answer_to_verdict_ms = answered ? (long)(vh_wire_now_ms() - answered) : -1;
	ask_end(&a);
	if (a.oom) {
		vh_guest_report_free(a.r);
		return vh_failc(err, ENOMEM, "out of memory"), NULL;
	}
	return a.r;
}

enum vh_guest_firmware vh_guest_ask_firmware(struct vh_host *h, unsigned vmid, unsigned wait_ms,
					     struct vh_err *why)
{
	struct ask a;
	long long answered = 0;
	if (ask_begin(&a, h, vmid, NULL, why) < 0)
		return VH_GUEST_FW_UNKNOWN;
	enum vh_guest_firmware fw = VH_GUEST_FW_UNKNOWN;
	if (ask_guest(&a, wait_ms, &answered) && a.r->firmware != VH_GUEST_FW_UNKNOWN)
		fw = a.r->firmware;
	else if (a.r->n_findings)
		vh_failc(why, EAGAIN, "%s", a.r->findings[0].message);
	else if (a.r->n_unjudged)
		vh_failc(why, EAGAIN, "%s", a.r->unjudged[a.r->n_unjudged - 1].why);
	else
		vh_failc(why, EAGAIN, "VM %u's guest did not say how it booted", vmid);
	ask_end(&a);
	vh_guest_report_free(a.r);
	return fw;
}

void vh_guest_report_free(struct vh_guest_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_probes; i++)
		for (size_t j = 0; r->probes[i].argv[j]; j++)
			free(r->probes[i].argv[j]);
	free(r->probes);
	free(r->devices);
	free(r->findings);
	free(r->unjudged);
	free(r);
}
