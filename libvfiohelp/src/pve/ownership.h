/* Who holds or reserves a device: running VMs and reservations. */
#ifndef VFIOHELP_OWNERSHIP_H
#define VFIOHELP_OWNERSHIP_H

#include "internal.h"

/* The QEMU pid of a VM from /run/qemu-server/<vmid>.pid, and whether that
 * process is alive (-1 when there is no readable pid file). */
int vh_vm_pid(struct vh_host *h, unsigned vmid, uint64_t *pid, bool *alive);

/* Another VM holds or reserves the device (pci-id-reservations). */
struct vh_holder {
	unsigned vmid;
	bool running;    /* pid: entry with a live process */
	long long until; /* time: entry still valid until then */
};
int vh_device_holder(struct vh_host *h, const char *addr, unsigned self, struct vh_holder *out,
		     bool *held, struct vh_err *err);

/* The text-level parser of /run/qemu-server/pci-id-reservations: the
 * well-formed entries for device addr of VMs other than self, in the file's
 * order, at most max (whether each is in force is the caller's question).
 * -1 with errno when the text holds a NUL byte or memory runs out. */
#define VH_MAX_RESERVATIONS 64
struct vh_reservation {
	unsigned vmid;
	bool by_pid;     /* "pid:<pid>": held while that process lives */
	uint64_t pid;
	long long until; /* "time:<epoch>": reserved until then */
};
int vh_reservations_parse(const char *text, size_t len, const char *addr, unsigned self,
			  struct vh_reservation *out, size_t max, size_t *count);

#endif
