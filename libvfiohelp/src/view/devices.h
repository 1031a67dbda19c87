/* Which VMs of this node pass which host devices, from every VM config:
 * read by `hookctl devices` (used_by) and by the vfio-ids check (a device
 * no VM passes). Never by a pre-start that has no reason to. */
#ifndef VFIOHELP_DEVICES_H
#define VFIOHELP_DEVICES_H

#include "internal.h"

/* One hostpci address of one VM; an address without a function stands for
 * every function of the slot, as in the config. */
struct vh_vm_use {
	unsigned vmid;
	struct vh_pci_addr addr;
};

struct vh_vm_uses {
	size_t n, cap;
	struct vh_vm_use *list;
};

/* Reads /etc/pve/qemu-server/<vmid>.conf of every VM (mapping= entries
 * resolved for this node). A config that does not parse is skipped: it
 * passes nothing Proxmox could start. */
int vh_vm_uses_load(struct vh_host *h, struct vh_vm_uses *out, struct vh_err *err);
void vh_vm_uses_free(struct vh_vm_uses *u);
/* The VMs passing device a, ascending, at most max; returns how many. */
size_t vh_vm_uses_of(const struct vh_vm_uses *u, const struct vh_pci_addr *a, unsigned *vmids,
		     size_t max);
#endif
