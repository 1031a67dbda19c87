/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The hookscript's phases. pre-start is the evaluation (the same code as
 * `hookctl check`) followed by repairs: load the vfio modules, move the VM's
 * devices to vfio-pci, reset them. It refuses before touching anything when
 * an error it cannot repair is present, and it undoes every move when a
 * later step fails, so nothing is left half done.
 */
#include "internal.h"
#include "hook/bind.h"
#include "hook/phase.h"
#include "eval/checks.h"
#include "host/iommu.h"
#include "host/system.h"
#include "pve/ownership.h"
#include "host/host.h"
#include "hook/hooklog.h"
#include "hook/verify.h"
#include "host/kmods.h"
#include "pve/state.h"
#include "host/sysfs.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

static void print_findings(struct hook *hk, const struct vh_report *r)
{
	for (size_t i = 0; i < r->n_findings; i++) {
		const struct vh_finding *f = &r->findings[i];
		vh_hook_say(hk, "%s %s %s: %s", vh_severity_name(f->severity), f->id, f->subject,
			    f->message);
		if (f->fix[0])
			vh_hook_say(hk, "  fix: %s", f->fix);
	}
	/* what could not be judged is said too: the task log is where the admin looks */
	for (size_t i = 0; i < r->n_unjudged; i++)
		vh_hook_say(hk, "info not judged %s: %s", r->unjudged[i].check, r->unjudged[i].why);
}

/* ---- pre-start ---- */

static bool module_repairable(struct hook *hk, const char *module)
{
	return vh_module_state(hk->h, module, NULL) == VH_MOD_AVAILABLE;
}

/* Whether the hook mends this finding itself (the table's repair column): a
 * device on the wrong driver, a vfio module that exists but is not loaded. */
static bool repairable(struct hook *hk, const struct vh_finding *f)
{
	switch (vh_finding_kind_of(f->kind)->repair) {
	case VH_REPAIR_REBIND:
		return true;
	case VH_REPAIR_LOAD_MODULE:
		return module_repairable(hk, f->subject);
	case VH_REPAIR_NONE:
		break;
	}
	return false;
}

/* Errors the hook cannot mend; each of them blocks at once. */
static size_t unrepairable_errors(struct hook *hk, const struct vh_report *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n_findings; i++)
		if (r->findings[i].severity == VH_SEV_ERROR && !repairable(hk, &r->findings[i]))
			n++;
	return n;
}

static int load_modules(struct hook *hk, unsigned *loaded)
{
	for (size_t i = 0; i < VH_VFIO_MODULE_COUNT; i++) {
		bool is_loaded;
		struct vh_err e = { 0 };
		enum vh_module_state st = vh_module_state(hk->h, vh_vfio_modules[i], &e);
		if (st == VH_MOD_LOADED || st == VH_MOD_BUILTIN)
			continue;
		if (vh_module_load(hk->h, vh_vfio_modules[i], &e) < 0 ||
		    vh_module_loaded(hk->h, vh_vfio_modules[i], &is_loaded, &e) < 0 || !is_loaded) {
			vh_hook_say(hk, "error module-not-loaded %s: %s", vh_vfio_modules[i],
				    e.msg[0] ? e.msg : "not loaded after the attempt");
			return -1;
		}
		vh_hook_say(hk, "loaded kernel module %s", vh_vfio_modules[i]);
		(*loaded)++;
	}
	return 0;
}

/* A leftover record (a start that failed after pre-start runs no
 * post-stop) stays while its address still holds the device it names: its
 * driver is the host's, recorded first. */
static void keep_matching_records(struct hook *hk, struct vh_state *st)
{
	size_t kept = 0;
	for (size_t i = 0; i < st->n_devices; i++) {
		const struct vh_state_device *sd = &st->devices[i];
		struct vh_pci_addr a;
		const struct vh_device *d = NULL;
		if (vh_pci_addr_parse(sd->addr, strlen(sd->addr), &a) == 0 &&
		    (d = vh_host_device(hk->h, &a, NULL)) && d->present &&
		    d->vendor == sd->vendor && d->device == sd->device)
			st->devices[kept++] = *sd;
		else
			vh_hook_say(
				hk,
				"state record of %s dropped: the address no longer holds %04x:%04x",
				sd->addr, sd->vendor, sd->device);
	}
	st->n_devices = kept;
}

/* Records every device about to move, before it moves. A state left by an
 * earlier run that never reached post-stop keeps its originals: they are
 * the host's drivers, and what is bound now may be our own vfio-pci. */
static int record_originals(struct hook *hk, const struct vh_report *r, struct vh_state *st,
			    struct vh_err *err)
{
	struct vh_err e;
	if (vh_state_load(hk->state_dir, hk->vmid, st, &e) < 0)
		vh_hook_say(hk, "warn state: %s", e.msg);
	char boot_id[sizeof(st->boot_id)];
	vh_boot_id(hk->h, boot_id, sizeof(boot_id));
	if (strcmp(st->boot_id, boot_id))
		st->n_devices = 0; /* a state from another boot describes nothing now */
	keep_matching_records(hk, st);
	st->vmid = hk->vmid;
	st->time = (int64_t)time(NULL);
	vh_strlcpy(st->boot_id, boot_id, sizeof(st->boot_id));
	for (size_t i = 0; i < r->n_devices; i++) {
		const struct vh_device *d = r->devices[i].dev;
		if (!vh_hook_may_touch(&r->devices[i]) || vh_state_find(st, d->name))
			continue;
		if (st->n_devices == VH_STATE_MAX_DEVICES)
			return vh_fail(err, "the state can record %d devices; VM %u has more",
				       VH_STATE_MAX_DEVICES, hk->vmid);
		struct vh_state_device *sd = &st->devices[st->n_devices++];
		vh_strlcpy(sd->addr, d->name, sizeof(sd->addr));
		sd->vendor = d->vendor;
		sd->device = d->device;
		/* What cannot be recorded exactly cannot be restored: refuse. */
		if (vh_current_driver(hk->h, d->name, sd->driver, sizeof(sd->driver)) < 0 ||
		    vh_current_override(hk->h, d->name, sd->override, sizeof(sd->override),
					hk->timeout_ms) < 0)
			return vh_fail(err,
				       "%s: its driver or driver_override cannot be read or recorded "
				       "exactly",
				       d->name);
	}
	return vh_state_save(hk->state_dir, st, err);
}

static void rollback(struct hook *hk, const struct vh_state *st, char moved[][VH_PCI_ADDR_STRLEN],
		     size_t n_moved)
{
	for (size_t i = n_moved; i-- > 0;) {
		const struct vh_state_device *sd = vh_state_find(st, moved[i]);
		struct vh_err e;
		if (!sd)
			continue;
		if (!strcmp(sd->addr, hk->stuck)) {
			/* Every write to it waits for the stuck driver too: the hook refuses
			 * within one timeout and leaves the return to a detached helper,
			 * which puts the device back once the driver lets go. */
			hk->rollback_failed = true;
			if (vh_restore_detached(hk->h, sd->addr, sd->driver, sd->override) == 0) {
				vh_hook_say(
					hk,
					"error rollback %s deferred: its driver did not let go within %u ms; "
					"a detached helper holding none of the hook's descriptors puts it back "
					"on %s once it does",
					sd->addr, hk->timeout_ms,
					sd->driver[0] ? sd->driver : "no driver");
				continue;
			}
			vh_hook_say(hk, "error rollback %s: its driver did not let go within %u ms",
				    sd->addr, hk->timeout_ms);
			vh_hook_say(hk,
				    "  fix: once dmesg shows the driver let go: echo '%s' > "
				    "/sys/bus/pci/devices/%s/driver_override && echo %s > "
				    "/sys/bus/pci/drivers_probe   # or reboot",
				    sd->override, sd->addr, sd->addr);
			continue;
		}
		if (vh_restore_driver(hk->h, sd->addr, sd->driver, sd->override, hk->timeout_ms,
				      &e) < 0) {
			hk->rollback_failed = true;
			vh_hook_say(hk, "error rollback %s: %s; check it with: lspci -k -s %s",
				    sd->addr, e.msg, sd->addr);
		} else
			vh_hook_say(hk, "rolled back %s to %s", sd->addr,
				    sd->driver[0] ? sd->driver : "no driver");
	}
}

static int move_devices(struct hook *hk, const struct vh_report *r, const struct vh_state *st,
			unsigned *n_moved_out)
{
	char moved[VH_STATE_MAX_DEVICES][VH_PCI_ADDR_STRLEN];
	size_t n_moved = 0;
	for (size_t i = 0; i < r->n_devices; i++) {
		const struct vh_device *d = r->devices[i].dev;
		char cur[64];
		if (!vh_hook_may_touch(&r->devices[i]))
			continue;
		vh_current_driver(hk->h, d->name, cur, sizeof(cur));
		if (!strcmp(cur, "vfio-pci"))
			continue;
		if (n_moved == VH_STATE_MAX_DEVICES) { /* pre_start counted; never reached */
			vh_hook_say(hk, "error bind %s: more than %d devices to move", d->name,
				    VH_STATE_MAX_DEVICES);
			rollback(hk, st, moved, n_moved);
			return -1;
		}
		if (d->sriov_numvfs) { /* sriov-vfs-in-use refuses first; never reached */
			vh_hook_say(
				hk,
				"error bind %s: an SR-IOV PF with %u VFs enabled: unbinding its driver "
				"removes them",
				d->name, d->sriov_numvfs);
			rollback(hk, st, moved, n_moved);
			return -1;
		}
		vh_strlcpy(moved[n_moved++], d->name, VH_PCI_ADDR_STRLEN);
		struct vh_err e;
		if (vh_bind_vfio(hk->h, d->name, hk->timeout_ms, &e) < 0) {
			if (e.code == ETIMEDOUT)
				vh_strlcpy(hk->stuck, d->name, sizeof(hk->stuck));
			vh_hook_say(hk, "error bind %s: %s", d->name, e.msg);
			vh_hook_say(hk,
				    "  fix: check dmesg for %s; 'lspci -k -s %s' shows its driver",
				    cur[0] ? cur : "vfio-pci", d->name);
			rollback(hk, st, moved, n_moved);
			return -1;
		}
		vh_hook_say(hk, "moved %s from %s to vfio-pci", d->name,
			    cur[0] ? cur : "no driver");
	}
	*n_moved_out = (unsigned)n_moved;
	return 0;
}

/* Puts every device the state records back where it was. */
static void rollback_recorded(struct hook *hk, const struct vh_state *st)
{
	static char moved[VH_STATE_MAX_DEVICES][VH_PCI_ADDR_STRLEN];
	for (size_t i = 0; i < st->n_devices; i++)
		vh_strlcpy(moved[i], st->devices[i].addr, VH_PCI_ADDR_STRLEN);
	rollback(hk, st, moved, st->n_devices);
}

static int pre_start(struct hook *hk)
{
	struct vh_err e;
	struct vh_report *r = vh_evaluate(hk->h, hk->vmid, hk->policy, &e);
	if (!r) {
		vh_hook_say(hk, "error evaluation: %s", e.msg);
		hk->verdict = "block";
		vh_hook_say(hk,
			    "pre-start VM %u: start refused: the hook could not evaluate the host",
			    hk->vmid);
		return 1;
	}
	print_findings(hk, r);
	hk->r = r;
	size_t errors = vh_report_count(r, VH_SEV_ERROR), warns = vh_report_count(r, VH_SEV_WARN);
	size_t blocking = unrepairable_errors(hk, r);
	if (blocking) {
		hk->verdict = "block";
		vh_hook_say(
			hk,
			"pre-start VM %u: start refused before any change (%zu error%s, %zu warning%s)",
			hk->vmid, errors, errors == 1 ? "" : "s", warns, warns == 1 ? "" : "s");
		hk->r = NULL;
		vh_report_free(r);
		return 1;
	}
	size_t n_touch = 0;
	for (size_t i = 0; i < r->n_devices; i++)
		n_touch += vh_hook_may_touch(&r->devices[i]);
	if (n_touch > VH_STATE_MAX_DEVICES) {
		hk->verdict = "block";
		vh_hook_say(
			hk,
			"error devices: VM %u has %zu devices to bind; the hook can track at most %d",
			hk->vmid, n_touch, VH_STATE_MAX_DEVICES);
		vh_hook_say(hk, "pre-start VM %u: start refused before any change", hk->vmid);
		hk->r = NULL;
		vh_report_free(r);
		return 1;
	}
	unsigned n_loaded = 0, n_moved = 0;
	struct vh_state *st = calloc(1, sizeof(*st));
	int rc = st ? 0 : -1;
	if (!rc)
		rc = load_modules(hk, &n_loaded);
	if (!rc && (rc = record_originals(hk, r, st, &e)) < 0)
		vh_hook_say(hk, "error state: %s", e.msg);
	if (!rc)
		rc = move_devices(hk, r, st, &n_moved);
	if (!rc && vh_hook_reset_devices(hk, r) > 0) {
		rollback_recorded(hk, st);
		rc = -1;
	}
	hk->r = NULL;
	vh_report_free(r);
	if (rc < 0) {
		/* Every moved device went back: the record has nothing left to undo. */
		if (!hk->rollback_failed)
			vh_state_clear(hk->state_dir, hk->vmid);
		hk->verdict = "block";
		vh_hook_say(
			hk,
			"pre-start VM %u: start refused: repairs failed and were undone (%zu error%s, "
			"%zu warning%s)",
			hk->vmid, errors ? errors : 1, errors > 1 ? "s" : "", warns,
			warns == 1 ? "" : "s");
		free(st);
		return 1;
	}
	/* Verify: evaluate again from fresh sysfs reads. */
	vh_host_forget_devices(hk->h);
	vh_kmods_forget_loaded(hk->h);
	struct vh_report *after = vh_evaluate(hk->h, hk->vmid, hk->policy, &e);
	size_t left = after ? vh_report_count(after, VH_SEV_ERROR) : 1;
	if (left) {
		if (after)
			for (size_t i = 0; i < after->n_findings; i++)
				if (after->findings[i].severity == VH_SEV_ERROR)
					vh_hook_say(hk, "error %s %s: %s (after repairs)",
						    after->findings[i].id,
						    after->findings[i].subject,
						    after->findings[i].message);
		rollback_recorded(hk, st);
		if (!hk->rollback_failed)
			vh_state_clear(hk->state_dir, hk->vmid);
	}
	vh_report_free(after);
	free(st);
	hk->verdict = left ? "block" : "allow";
	vh_hook_say(
		hk,
		"pre-start VM %u: start %s (%zu error%s, %zu warning%s; %u module%s loaded, %u device%s "
		"moved to vfio-pci)",
		hk->vmid, left ? "refused" : "allowed", left, left == 1 ? "" : "s", warns,
		warns == 1 ? "" : "s", n_loaded, n_loaded == 1 ? "" : "s", n_moved,
		n_moved == 1 ? "" : "s");
	return left ? 1 : 0;
}

/* ---- post-start, pre-stop ---- */

/* Does QEMU's process hold /dev/vfio/<group> open? */
static bool qemu_holds_group(struct hook *hk, int group, long *pid_out)
{
	char path[PATH_MAX], target[64], want[32];
	uint64_t pid;
	if (!vh_vm_running(hk->h, hk->vmid, &pid))
		return false;
	*pid_out = (long)pid;
	snprintf(want, sizeof(want), "/dev/vfio/%d", group);
	if (vh_host_path(hk->h, path, sizeof(path), "/proc/%llu/fd", (unsigned long long)pid) < 0)
		return false;
	DIR *d = opendir(path);
	struct dirent *e;
	bool found = false;
	while (d && !found && (e = readdir(d))) {
		char link[PATH_MAX];
		ssize_t n;
		if (e->d_name[0] == '.' ||
		    vh_format(link, sizeof(link), "%s/%s", path, e->d_name) < 0)
			continue;
		if ((n = readlink(link, target, sizeof(target) - 1)) > 0) {
			target[n] = '\0';
			found = !strcmp(target, want);
		}
	}
	if (d)
		closedir(d);
	return found;
}

static int post_start(struct hook *hk)
{
	struct vh_err e;
	struct vh_report *r = vh_evaluate(hk->h, hk->vmid, hk->policy, &e);
	if (!r) {
		vh_hook_say(hk, "warn post-start: %s", e.msg);
		vh_hook_start_verifier(hk);
		return 0;
	}
	for (size_t i = 0; i < r->n_devices; i++) {
		const struct vh_device *d = r->devices[i].dev;
		char dev_vfio[PATH_MAX];
		long pid = 0;
		if (!d->present)
			continue;
		if (strcmp(d->driver, "vfio-pci"))
			vh_hook_say(hk, "warn %s is on %s, not vfio-pci, while VM %u runs", d->name,
				    d->driver[0] ? d->driver : "no driver", hk->vmid);
		if (d->iommu_group < 0)
			continue;
		bool node = vh_host_path(hk->h, dev_vfio, sizeof(dev_vfio), "/dev/vfio/%d",
					 d->iommu_group) == 0 &&
			    vh_path_exists(dev_vfio);
		bool held = qemu_holds_group(hk, d->iommu_group, &pid);
		vh_hook_say(hk, "%s %s: on %s, /dev/vfio/%d %s, %s", held ? "ok" : "warn", d->name,
			    d->driver[0] ? d->driver : "no driver", d->iommu_group,
			    node ? "present" : "missing",
			    held  ? "held by QEMU"
			    : pid ? "not held by QEMU"
				  : "no QEMU pid file");
	}
	vh_report_free(r);
	vh_hook_start_verifier(hk);
	return 0;
}

/* ---- post-stop ---- */

/* The device a state entry recorded, if the address still holds it, it is
 * on vfio-pci and no other VM holds it; else NULL and why says so. Read
 * fresh from sysfs: never from the config, which Proxmox may have changed
 * (pending changes are applied before post-stop). */
static const struct vh_device *recorded_device(struct hook *hk, const struct vh_state_device *sd,
					       char *why, size_t size)
{
	struct vh_pci_addr a;
	struct vh_err e;
	char drv[64], who[128];
	const struct vh_device *d = NULL;
	if (vh_pci_addr_parse(sd->addr, strlen(sd->addr), &a) < 0 || !a.has_func ||
	    !(d = vh_host_device(hk->h, &a, &e)))
		return snprintf(why, size, "its address cannot be read"), NULL;
	if (!d->present || d->vendor != sd->vendor || d->device != sd->device)
		return snprintf(why, size,
				"the state names %04x:%04x there, which is not the device "
				"there now",
				sd->vendor, sd->device),
		       NULL;
	if (vh_current_driver(hk->h, sd->addr, drv, sizeof(drv)) < 0 || strcmp(drv, "vfio-pci"))
		return snprintf(why, size, "it is not on vfio-pci now"), NULL;
	if (vh_hook_owned_elsewhere(hk, &a, who, sizeof(who)))
		return snprintf(why, size, "%s", who), NULL;
	return d;
}

/* One recorded device: reset and return it as the policy says. true when
 * it is done with (its record can go), false when it keeps its record. */
static bool stop_device(struct hook *hk, const struct vh_state_device *sd, enum vh_post_stop action)
{
	char why[200];
	struct vh_err e;
	const struct vh_device *d = recorded_device(hk, sd, why, sizeof(why));
	if (!d) {
		vh_hook_say(hk, "%s left alone, its record kept: %s", sd->addr, why);
		return false;
	}
	if (action != VH_POST_STOP_KEEP && vh_policy_reset(hk->policy, hk->vmid))
		vh_hook_reset_device(hk, d, false);
	if (action != VH_POST_STOP_RETURN)
		return true;
	if (!strcmp(sd->driver, "vfio-pci")) {
		vh_hook_say(hk, "%s stays on vfio-pci: it had vfio-pci before pre-start", sd->addr);
		return true;
	}
	/* no driver before (a fresh VF, a device no host driver takes): unbound again */
	if (vh_restore_driver(hk->h, sd->addr, sd->driver, sd->override, hk->timeout_ms, &e) < 0) {
		vh_hook_say(hk, "warn return %s: %s", sd->addr, e.msg);
		return false;
	}
	vh_hook_say(hk, "returned %s to %s", sd->addr, sd->driver[0] ? sd->driver : "no driver");
	return true;
}

static bool state_of_this_boot(struct hook *hk, const struct vh_state *st)
{
	char boot_id[sizeof(st->boot_id)];
	vh_boot_id(hk->h, boot_id, sizeof(boot_id));
	if (!strcmp(st->boot_id, boot_id))
		return true;
	vh_hook_say(hk, "state of VM %u is from another boot (%s); nothing in it is returned",
		    hk->vmid, st->boot_id[0] ? st->boot_id : "no boot id");
	return false;
}

/* Acts only on what this VM's own state records; a device it leaves alone
 * or cannot return keeps its record for a later post-stop or pre-start. */
static int post_stop(struct hook *hk)
{
	struct vh_err e;
	struct vh_state *st = calloc(1, sizeof(*st));
	int have = st ? vh_state_load(hk->state_dir, hk->vmid, st, &e) : -1;
	if (have < 0)
		vh_hook_say(hk, "warn state: %s", st ? e.msg : "out of memory");
	enum vh_post_stop action = vh_policy_post_stop(hk->policy, hk->vmid);
	size_t kept = 0;
	if (have > 0 && state_of_this_boot(hk, st)) {
		hk->st = st;
		if (action != VH_POST_STOP_RETURN)
			vh_hook_say(hk, "devices of VM %u stay on vfio-pci (policy post_stop=%s)",
				    hk->vmid, action == VH_POST_STOP_KEEP ? "keep" : "reset");
		for (size_t i = 0; i < st->n_devices; i++)
			if (!stop_device(hk, &st->devices[i], action))
				st->devices[kept++] = st->devices[i];
		st->n_devices = kept;
	} else if (have <= 0)
		vh_hook_say(hk, "nothing to return: %s",
			    have == 0 ? "pre-start moved no device of this VM"
				      : "the state cannot be read");
	if (kept && vh_state_save(hk->state_dir, st, &e) == 0)
		vh_hook_say(hk, "state of VM %u kept: %zu device%s not returned", hk->vmid, kept,
			    kept == 1 ? "" : "s");
	else if (kept)
		vh_hook_say(hk, "warn state: %s", e.msg);
	else
		vh_state_clear(hk->state_dir, hk->vmid);
	hk->st = NULL;
	free(st);
	vh_hook_say(hk, "post-stop VM %u: done", hk->vmid);
	return 0;
}

/* ---- the phase run ---- */

static void write_hook_log(struct hook *hk, int rc)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "time", json_object_new_int64((int64_t)time(NULL)));
	json_object_object_add(o, "vmid", json_object_new_int64(hk->vmid));
	json_object_object_add(o, "phase", json_object_new_string(vh_phase_name(hk->phase)));
	json_object_object_add(o, "exit", json_object_new_int(rc));
	json_object_object_add(o, "verdict",
			       hk->verdict ? json_object_new_string(hk->verdict) : NULL);
	json_object_object_add(o, "lines", json_object_get(hk->lines));
	struct vh_err e;
	if (vh_hooklog_append(hk->h,
			      json_object_to_json_string_ext(o,
							     JSON_C_TO_STRING_PLAIN |
								     JSON_C_TO_STRING_NOSLASHESCAPE),
			      &e) < 0)
		/* stderr: stdout's last line must stay the verdict */
		fprintf(stderr, "vfio-hook: warn hook log: %s\n", e.msg);
	json_object_put(o);
}

/* How long to wait for another hook's lock. The holder may legitimately
 * spend a few bounded writes (each at most timeout_ms, then it rolls back
 * and exits), so the wait covers four of them; it never waits less than 5 s
 * nor more than 2 min, whatever timeout_ms the policy sets: a start queued
 * behind a busy hook is refused in a known time, naming the lock. */
static unsigned lock_wait_ms(const struct hook *hk)
{
	unsigned long long wait = 4ull * hk->timeout_ms;
	return wait < 5000 ? 5000 : wait > 120000 ? 120000 : (unsigned)wait;
}

static int run_locked(struct hook *hk)
{
	struct vh_err e;
	hk->state_dir = vh_state_dir_open(hk->h, &e);
	int lock = hk->state_dir >= 0 ? vh_lock_take(hk->state_dir, lock_wait_ms(hk), &e) : -1;
	if (lock < 0) {
		vh_hook_say(hk, "error lock: %s", e.msg);
		if (hk->state_dir >= 0)
			close(hk->state_dir);
		if (hk->phase == VH_PHASE_PRE_START) {
			hk->verdict = "block";
			vh_hook_say(hk,
				    "pre-start VM %u: start refused: no state directory or lock",
				    hk->vmid);
			return 1;
		}
		return 0;
	}
	int rc = hk->phase == VH_PHASE_PRE_START ? pre_start(hk) : post_stop(hk);
	vh_hook_publish(hk, hk->phase == VH_PHASE_PRE_START && rc == 0);
	close(lock);
	close(hk->state_dir);
	return rc;
}

int vh_hook_run(struct vh_host *h, const char *policy_path, unsigned vmid, enum vh_phase phase,
		FILE *out)
{
	struct hook hk = { .h = h, .vmid = vmid, .phase = phase, .out = out, .state_dir = -1 };
	struct vh_err e;
	vh_host_keep_caches(h, true); /* the hook keeps /run/vfiohelp; check never writes */
	/* A SIGTERM between an unbind and its probe would leave a device with no
	 * driver: termination waits until the phase is done, state written and
	 * logged. Every write is bounded, so the wait is too. */
	sigset_t block, saved;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGQUIT);
	sigprocmask(SIG_BLOCK, &block, &saved);
	hk.lines = json_object_new_array();
	if (vh_host_is_live(h))
		openlog("vfio-hook", LOG_PID, LOG_DAEMON);
	hk.policy = vh_policy_load(h, policy_path, &e);
	int rc = 0;
	if (!hk.policy) {
		/* A policy that cannot be read means the admin's intent is unknown:
		 * refuse to start rather than guess. */
		vh_hook_say(&hk, "error policy: %s", e.msg);
		if (phase == VH_PHASE_PRE_START) {
			hk.verdict = "block";
			vh_hook_say(&hk,
				    "pre-start VM %u: start refused: fix the policy file first",
				    vmid);
			rc = 1;
		}
	} else {
		hk.timeout_ms = vh_policy_timeout_ms(hk.policy, vmid);
		if (phase == VH_PHASE_PRE_START || phase == VH_PHASE_POST_STOP)
			rc = run_locked(&hk);
		else if (phase == VH_PHASE_POST_START)
			rc = post_start(&hk);
		else
			vh_hook_say(
				&hk,
				"pre-stop VM %u: nothing to do; devices stay on vfio-pci until post-stop",
				vmid);
	}
	write_hook_log(&hk, rc);
	json_object_put(hk.lines);
	vh_policy_free(hk.policy);
	if (vh_host_is_live(h))
		closelog();
	fflush(out);
	sigprocmask(SIG_SETMASK, &saved, NULL);
	return rc;
}
