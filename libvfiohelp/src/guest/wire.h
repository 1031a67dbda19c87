/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guest's two sockets (the agent's VMID.qga and QEMU's VMID.qmp) as a
 * stream of JSON values, read with a deadline: a short connection that is
 * never held past it, since qemu-server shares both sockets and gives up on
 * its own calls after 3-5 s. Knows nothing of what is asked.
 */
#ifndef VFIOHELP_GUEST_WIRE_H
#define VFIOHELP_GUEST_WIRE_H

#include "internal.h"

#include <json-c/json.h>

#define VH_WIRE_MAX_BYTES (16u << 20) /* more than any reply the product asks for */

struct vh_wire {
	int fd;
	long long opened_ms, deadline_ms; /* CLOCK_MONOTONIC */
	char buf[65536];
	size_t pos, len; /* unread bytes: buf[pos..len) */
	size_t total;    /* bytes read on this connection */
	json_tokener *tok;
	const char *name; /* the socket, for messages */
};

long long vh_wire_now_ms(void);
/* Connects to the unix socket at path and sets the deadline hold_ms from
 * now. ENOENT: no socket (the VM does not run); ECONNREFUSED: nobody listens. */
int vh_wire_open(struct vh_wire *w, const char *path, unsigned hold_ms, struct vh_err *err);
int vh_wire_send(struct vh_wire *w, const char *data, size_t len, struct vh_err *err);
/* Drops every byte up to and including the next 0xFF (the agent's delimiter). */
int vh_wire_seek_delim(struct vh_wire *w, struct vh_err *err);
/* The next JSON value; white space and 0xFF bytes before it are skipped.
 * EPROTO when the bytes are no JSON (they are consumed up to the error),
 * ETIMEDOUT at the deadline, EPIPE when the peer closed. */
int vh_wire_next(struct vh_wire *w, json_object **out, struct vh_err *err);
/* Closes; returns how long the socket was held, in ms. */
long vh_wire_close(struct vh_wire *w);

#endif
