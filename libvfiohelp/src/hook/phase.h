/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One run of one phase, shared by the hook's files: hook.c (the phases and
 * their repairs) and reset.c (which reset a device gets, and when none).
 */
#ifndef VFIOHELP_HOOK_PHASE_H
#define VFIOHELP_HOOK_PHASE_H

#include "internal.h"
#include "pve/state.h"

#include <stdio.h>

#include <json-c/json.h>

struct hook {
	struct vh_host *h;
	struct vh_policy *policy;
	unsigned vmid;
	enum vh_phase phase;
	FILE *out;
	json_object *lines;
	unsigned timeout_ms;
	int state_dir;
	const char *verdict;
	bool rollback_failed;           /* keep the state: it still knows the original drivers */
	char stuck[VH_PCI_ADDR_STRLEN]; /* a device whose write timed out: its driver hangs */
	/* the VM's devices in this phase: the evaluation's at pre-start, the
	 * state's at post-stop (a bus reset leaves them out of its users) */
	const struct vh_report *r;
	const struct vh_state *st;
};

/* One line of output: stdout (the task log), syslog, and the hook log. */
void vh_hook_say(struct hook *hk, const char *fmt, ...) VH_PRINTF(2, 3);
/* The device is this VM's: in the evaluation (pre-start) or the state (post-stop). */
bool vh_hook_ours(const struct hook *hk, const struct vh_pci_addr *a);
/* The hook may rebind, reset or return the device (its role is VFIO). */
bool vh_hook_may_touch(const struct vh_vm_device *vd);

/* publish.c: the node's inventory to /etc/pve/nodes/NODE/ when it changed;
 * only the hook log hears of it. starting: the pre-start allowed the start,
 * so the VM's devices are published as held by it. */
void vh_hook_publish(struct hook *hk, bool starting);

/* reset.c */
/* Another VM holds, reserves or records the device; who says which. */
bool vh_hook_owned_elsewhere(struct hook *hk, const struct vh_pci_addr *a, char *who, size_t size);
/* Resets one device with the narrowest reset the kernel offers that touches
 * nothing another VM or the host uses; -1 when that failed (fatal: at
 * pre-start, which then refuses). */
int vh_hook_reset_device(struct hook *hk, const struct vh_device *d, bool fatal);
/* Resets the VM's devices if the policy says so; how many resets failed. */
size_t vh_hook_reset_devices(struct hook *hk, const struct vh_report *r);

#endif
