/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An in-test QEMU guest agent on a unix socket, served by a thread: the
 * wire as qemu-ga speaks it (one JSON object per line, 0xFF before the
 * guest-sync-delimited reply, a parse error for a 0xFF byte received), one
 * client at a time, with the faults a real agent shows: replies left for an
 * earlier client, silence, malformed replies, guest-exec disabled.
 */
#ifndef VH_FAKEAGENT_H
#define VH_FAKEAGENT_H

#include <stdbool.h>

enum fake_mode {
	FAKE_OK,
	FAKE_SILENT,        /* accepts and reads, never answers */
	FAKE_MALFORMED,     /* answers the sync, then a reply that is no object */
	FAKE_WRONG_SHAPE,   /* answers the sync, then {"surprise": 1} */
	FAKE_EXEC_DISABLED, /* guest-exec: CommandNotFound "...has been disabled..." */
};

/* What a program run through guest-exec prints and exits with. */
struct fake_program {
	const char *path; /* guest-exec's "path" it answers to */
	const char *out;
	int exitcode;
	unsigned polls; /* guest-exec-status answers exited=false this many times first */
};

#define FAKE_MAX_PROGRAMS 8

struct fake_agent {
	char path[4096];
	enum fake_mode mode;
	const char *osinfo; /* the "return" of guest-get-osinfo, JSON */
	struct fake_program programs[FAKE_MAX_PROGRAMS];
	bool stale_on_connect; /* each connection starts with replies owed to an earlier client */
	bool no_osinfo;        /* guest-get-osinfo unknown, as an old or allow-listed agent */
	/* counted by the thread */
	unsigned connections, syncs, pings, execs, ff_bytes;
	/* private */
	int listen_fd, stop_pipe[2];
	unsigned long thread;
	unsigned next_pid, polls_left;
	const struct fake_program *running;
};

/* Listens on path (removed first) and serves until fake_agent_stop. */
void fake_agent_start(struct fake_agent *a, const char *path);
void fake_agent_stop(struct fake_agent *a);

#endif
