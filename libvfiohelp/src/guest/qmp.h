/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QEMU's own view of the guest's PCI buses: QMP query-pci on the VM's
 * /var/run/qemu-server/VMID.qmp, one short connection (qemu-server shares
 * the socket). A passed device is the one whose qdev_id is hostpciN (or
 * hostpciN.F for a multifunction entry), at the bus number the guest's
 * firmware gave its bridge.
 */
#ifndef VFIOHELP_GUEST_QMP_H
#define VFIOHELP_GUEST_QMP_H

#include "internal.h"

#include <json-c/json.h>

struct vh_qmp_device {
	char qdev_id[64];
	struct vh_pci_addr guest; /* domain 0, as the guest enumerates it */
	uint16_t vendor, device;
};

/* The devices of every bus, behind bridges too; *out is the caller's to
 * free. ENOENT: no QMP socket (the VM does not run here). */
int vh_qmp_query_pci(struct vh_host *h, unsigned vmid, unsigned hold_ms, struct vh_qmp_device **out,
		     size_t *n, struct vh_err *err);
/* The parser alone: query-pci's "return" value. */
int vh_qmp_pci_parse(json_object *ret, struct vh_qmp_device **out, size_t *n, struct vh_err *err);

#endif
