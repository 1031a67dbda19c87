/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guest as a subject of its own (above pve, beside eval): the agent's
 * transport (wire.c, agent.c, qmp.c: no GPUs), the probes (probe_linux.c,
 * probe_windows.c: no sockets), and the verdict (guest.c), whose findings
 * are rows of the one findings table (eval/findings.c). setup asks the
 * firmware through vh_guest_ask_firmware (vfiohelp.h).
 */
#ifndef VFIOHELP_GUEST_GUEST_H
#define VFIOHELP_GUEST_GUEST_H

#include "internal.h"

/* How long one program may run in the guest. */
#define VH_GUEST_FACTS_MS 15000
#define VH_GUEST_PROBE_MS 30000

/* A probe's name: its argv as a shell command line (words quoted where
 * needed), cut to size. */
void vh_guest_probe_name(const struct vh_guest_probe *p, char *buf, size_t size);

#endif
