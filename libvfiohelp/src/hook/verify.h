/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * post-start's guest verifier: a process of its own (double fork, its own
 * session, none of the hook's descriptors: the task's output is not held)
 * that waits for the guest agent at most the policy's guest.wait_s, asks
 * the guest (guest/guest.c) and records the verdict: atomically in
 * /run/vfiohelp/guest/VMID.json, in the hook log (folded into its start by
 * hookctl log) and in the journal with VFIOHELP_* fields. It never fails or
 * delays the start: the hook only forks it.
 */
#ifndef VFIOHELP_HOOK_VERIFY_H
#define VFIOHELP_HOOK_VERIFY_H

#include "hook/phase.h"

/* Starts the verifier unless the policy says guest.verify false; says which. */
void vh_hook_start_verifier(struct hook *hk);
/* The verifier's work, in the calling process (the tests call it directly):
 * ask the guest of vmid on the host at root and record the verdict. started:
 * the post-start's time, which ties the verdict to its start. */
int vh_guest_verify(const char *root, const struct vh_policy *p, unsigned vmid, int64_t started);

#endif
