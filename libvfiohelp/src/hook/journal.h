/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Lines for the journal with fields a reader can filter on
 * (journalctl VFIOHELP_VMID=100 VFIOHELP_FINDING=guest-device-missing),
 * sent in the journal's native datagram protocol to
 * /run/systemd/journal/socket (under the host's root) without linking
 * libsystemd; where there is no journal, syslog() with the fields written
 * into the text (live host only).
 */
#ifndef VFIOHELP_HOOK_JOURNAL_H
#define VFIOHELP_HOOK_JOURNAL_H

#include "internal.h"

#include <syslog.h>

struct vh_journal_fields {
	unsigned vmid;
	const char *device;  /* a PCI address, or NULL */
	const char *finding; /* a finding id, or NULL */
	const char *verdict; /* the guest's verdict, or NULL */
};

/* One entry; message has no newline. Returns 0 when the journal took it. */
int vh_journal_send(struct vh_host *h, int priority, const struct vh_journal_fields *f,
		    const char *message);

#endif
