/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The QEMU guest agent's client (qemu-ga's protocol, as qemu-server's
 * QMPClient.pm and Agent.pm speak it): one short connection per question,
 * synchronised with guest-sync-delimited and a fresh id, so replies left
 * for an earlier client are dropped. Knows nothing of GPUs or verdicts.
 *
 * Errors (vh_err.code): ENOENT no socket (the VM does not run); ECONNREFUSED
 * nobody listens; ETIMEDOUT no answer within a connection's hold (no agent
 * in the guest: connect and write succeed all the same); EPROTO a reply of
 * the wrong shape; ENOTSUP the agent has the command disabled or does not
 * know it (error class CommandNotFound); EREMOTEIO any other error the
 * agent reports (its class and description in the message).
 */
#ifndef VFIOHELP_GUEST_AGENT_H
#define VFIOHELP_GUEST_AGENT_H

#include "internal.h"

#include <json-c/json.h>

#define VH_AGENT_HOLD_MS 1000 /* the longest one connection is held */

struct vh_agent {
	char path[4096]; /* <root>/var/run/qemu-server/VMID.qga */
	unsigned hold_ms;
	/* measured, for the benchmark and the tests */
	long max_hold_ms;
	unsigned connections;
};

/* The agent socket of VM vmid under the host's root. */
int vh_agent_init(struct vh_agent *a, struct vh_host *h, unsigned vmid, struct vh_err *err);
/* One command on one connection: sync, ask, read the reply. args may be
 * NULL; command NULL only syncs (a ping, as qemu-server's). On success
 * *ret holds the reply's "return" value (the caller puts it). */
int vh_agent_call(struct vh_agent *a, const char *command, json_object *args, json_object **ret,
		  struct vh_err *err);

/* A program run in the guest (guest-exec, then guest-exec-status polled,
 * a new connection each time) and what it left. */
struct vh_agent_exec {
	bool exited;     /* false: still running at the limit */
	int exitcode;    /* -1 when it ended by a signal */
	int signal;      /* 0 unless it ended by one */
	char *out, *err; /* decoded, NUL-terminated; never NULL after success */
	size_t out_len, err_len;
	bool truncated; /* the agent cut the output (16 MiB a stream) */
};

/* Runs argv (argv[0] a program the guest's PATH finds) and waits for it at
 * most limit_ms. A program the guest cannot start fails the call
 * (EREMOTEIO, the agent's words); a limit reached is ETIMEDOUT. */
int vh_agent_exec(struct vh_agent *a, const char *const *argv, unsigned limit_ms,
		  struct vh_agent_exec *res, struct vh_err *err);
void vh_agent_exec_free(struct vh_agent_exec *res);

/* Standard base64 (RFC 4648, with padding; line breaks skipped) into a
 * fresh NUL-terminated buffer. -1 when the text is not base64. */
int vh_base64_decode(const char *in, size_t len, char **out, size_t *out_len);

#endif
