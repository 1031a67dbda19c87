/* The hook's state under /run/vfiohelp and its lock. */
#ifndef VFIOHELP_STATE_H
#define VFIOHELP_STATE_H

#include "internal.h"

#define VH_STATE_MAX_DEVICES 64

struct vh_state_device {
	char addr[VH_PCI_ADDR_STRLEN];
	char driver[64];   /* the driver before pre-start ("" = none) */
	char override[64]; /* driver_override before pre-start */
};

struct vh_state {
	unsigned vmid;
	int64_t time;
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
int vh_state_clear(int dirfd, unsigned vmid);
const struct vh_state_device *vh_state_find(const struct vh_state *s, const char *addr);

#endif
