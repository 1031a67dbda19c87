/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The journal's native protocol (systemd's journal-native-protocol): one
 * datagram of KEY=VALUE lines to /run/systemd/journal/socket. Values here
 * never hold a newline (the message is sanitised), so the simple form
 * suffices.
 */
#include "internal.h"
#include "hook/journal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int send_native(struct vh_host *h, const char *datagram, size_t len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (vh_host_path(h, sa.sun_path, sizeof(sa.sun_path), "/run/systemd/journal/socket") < 0)
		return -1;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	ssize_t n = sendto(fd, datagram, len, MSG_NOSIGNAL, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

int vh_journal_send(struct vh_host *h, int priority, const struct vh_journal_fields *f,
		    const char *message)
{
	char msg[1024], dgram[2048], extra[256] = "";
	vh_strlcpy(msg, message, sizeof(msg));
	vh_sanitize(msg);
	int n = snprintf(extra, sizeof(extra), "VFIOHELP_VMID=%u\n%s%s%s%s%s%s%s%s%s", f->vmid,
			 f->device ? "VFIOHELP_DEVICE=" : "", f->device ? f->device : "",
			 f->device ? "\n" : "", f->finding ? "VFIOHELP_FINDING=" : "",
			 f->finding ? f->finding : "", f->finding ? "\n" : "",
			 f->verdict ? "VFIOHELP_VERDICT=" : "", f->verdict ? f->verdict : "",
			 f->verdict ? "\n" : "");
	if (n < 0 || (size_t)n >= sizeof(extra))
		return -1;
	n = snprintf(dgram, sizeof(dgram),
		     "MESSAGE=%s\nPRIORITY=%d\nSYSLOG_IDENTIFIER=vfio-hook\n%s", msg, priority,
		     extra);
	if (n > 0 && (size_t)n < sizeof(dgram) && send_native(h, dgram, (size_t)n) == 0)
		return 0;
	if (!vh_host_is_live(h))
		return -1;
	/* no journal: the fields in the text, for a reader that greps */
	for (char *p = extra; (p = strchr(p, '\n'));)
		*p = ' ';
	syslog(priority, "%s%s", extra, msg);
	return -1;
}
