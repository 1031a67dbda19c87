/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The hook's state under /run/vfiohelp and its lock. */
#ifndef VFIOHELP_STATE_H
#define VFIOHELP_STATE_H

#include "internal.h"

/* A VM with more devices than this is refused before any change. */
#define VH_STATE_MAX_DEVICES 256

/* What a state entry says of one device. vendor:device tells whether the
 * address still holds the same device; post-stop acts on nothing else. */
struct vh_state_device {
	char addr[VH_PCI_ADDR_STRLEN];
	uint16_t vendor, device;
	char driver[64];   /* the driver before pre-start ("" = none) */
	char override[64]; /* driver_override before pre-start */
};

struct vh_state {
	unsigned vmid;
	int64_t time;
	char boot_id[40]; /* /proc/sys/kernel/random/boot_id at pre-start: a
			    * state from an earlier boot describes nothing now */
	size_t n_devices;
	struct vh_state_device devices[VH_STATE_MAX_DEVICES];
};

/* Opens (creating) the state directory; returns its fd. */
int vh_state_dir_open(struct vh_host *h, struct vh_err *err);
/* Takes the exclusive lock, waiting at most timeout_ms; returns its fd. */
int vh_lock_take(int dirfd, unsigned timeout_ms, struct vh_err *err);
int vh_state_save(int dirfd, const struct vh_state *s, struct vh_err *err);
/* 1 loaded, 0 no state, -1 unreadable or corrupt (s is then empty). */
int vh_state_load(int dirfd, unsigned vmid, struct vh_state *s, struct vh_err *err);
/* The state file's grammar, from text: 0, or -1 when it is not a state of
 * VM vmid (s is then empty). */
int vh_state_parse(const char *text, size_t len, unsigned vmid, struct vh_state *s,
		   struct vh_err *err);
/* Lists the VMs other than `self` that have a state file (at most max). */
size_t vh_state_others(int dirfd, unsigned self, unsigned *vmids, size_t max);
/* This boot's id ("" when the host tree has none). */
void vh_boot_id(struct vh_host *h, char *buf, size_t size);
int vh_state_clear(int dirfd, unsigned vmid);
const struct vh_state_device *vh_state_find(const struct vh_state *s, const char *addr);

#endif
