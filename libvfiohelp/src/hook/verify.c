/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The post-start guest verifier (verify.h).
 */
#include "internal.h"
#include "hook/hooklog.h"
#include "hook/journal.h"
#include "hook/verify.h"
#include "host/sysfs.h"
#include "pve/state.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

/* /run/vfiohelp/guest/VMID.json by a temporary file and a rename, so a
 * reader never sees half a verdict. */
static int save_verdict(struct vh_host *h, unsigned vmid, json_object *o, struct vh_err *err)
{
	int dir = vh_state_dir_open(h, err);
	if (dir < 0)
		return -1;
	if (mkdirat(dir, "guest", 0700) < 0 && errno != EEXIST) {
		close(dir);
		return vh_fail(err, "/run/vfiohelp/guest: %s", strerror(errno));
	}
	int gdir = openat(dir, "guest", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	close(dir);
	if (gdir < 0)
		return vh_fail(err, "/run/vfiohelp/guest: %s (a symlink there is refused)",
			       strerror(errno));
	char name[32], *text = NULL;
	snprintf(name, sizeof(name), "%u.json", vmid);
	const char *json = json_object_to_json_string_ext(o,
							  JSON_C_TO_STRING_PRETTY |
								  JSON_C_TO_STRING_SPACED |
								  JSON_C_TO_STRING_NOSLASHESCAPE);
	int rc = asprintf(&text, "%s\n", json) < 0
			 ? vh_failc(err, ENOMEM, "out of memory")
			 : vh_write_atomic_at(gdir, "/run/vfiohelp/guest", name, text, err);
	free(text);
	close(gdir);
	return rc;
}

static bool is_pci_address(const char *s)
{
	struct vh_pci_addr a;
	return vh_pci_addr_parse(s, strlen(s), &a) == 0 && a.has_func;
}

static void add_line(json_object *lines, const char *fmt, ...) VH_PRINTF(2, 3);

static void add_line(json_object *lines, const char *fmt, ...)
{
	char msg[1100];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vh_sanitize(msg);
	json_object_array_add(lines, json_object_new_string(msg));
}

/* The verdict's lines, for the hook log and the journal: one per finding. */
static json_object *verdict_lines(struct vh_host *h, const struct vh_guest_report *r)
{
	json_object *lines = json_object_new_array();
	const char *v = vh_guest_verdict_name(r->verdict);
	char head[256];
	snprintf(head, sizeof(head), "guest VM %u: verdict %s (%zu finding%s, %zu not judged)",
		 r->vmid, v, r->n_findings, r->n_findings == 1 ? "" : "s", r->n_unjudged);
	add_line(lines, "vfio-hook: %s", head);
	struct vh_journal_fields jf = { .vmid = r->vmid, .verdict = v };
	vh_journal_send(h, r->verdict == VH_GUEST_PROBLEM ? LOG_WARNING : LOG_INFO, &jf, head);
	for (size_t i = 0; i < r->n_findings; i++) {
		const struct vh_finding *f = &r->findings[i];
		add_line(lines, "vfio-hook: guest %s %s %s: %s", vh_severity_name(f->severity),
			 f->id, f->subject, f->message);
		if (f->fix[0])
			add_line(lines, "vfio-hook:   fix: %s", f->fix);
		jf.finding = f->id;
		jf.device = is_pci_address(f->subject) ? f->subject : NULL;
		char msg[1024];
		snprintf(msg, sizeof(msg), "guest VM %u %s %s: %s", r->vmid, f->id, f->subject,
			 f->message);
		vh_journal_send(h, f->severity == VH_SEV_ERROR ? LOG_ERR : LOG_WARNING, &jf, msg);
	}
	for (size_t i = 0; i < r->n_unjudged; i++)
		add_line(lines, "vfio-hook: guest not judged %s: %s", r->unjudged[i].check,
			 r->unjudged[i].why);
	return lines;
}

static void log_verdict(struct vh_host *h, const struct vh_guest_report *r, int64_t started)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "time", json_object_new_int64((int64_t)time(NULL)));
	json_object_object_add(o, "vmid", json_object_new_int64(r->vmid));
	json_object_object_add(o, "phase", json_object_new_string("guest"));
	json_object_object_add(o, "exit", json_object_new_int(0));
	json_object_object_add(o, "started", json_object_new_int64(started));
	json_object_object_add(o, "verdict",
			       json_object_new_string(vh_guest_verdict_name(r->verdict)));
	json_object_object_add(o, "lines", verdict_lines(h, r));
	struct vh_err e;
	vh_hooklog_append(h,
			  json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								    JSON_C_TO_STRING_NOSLASHESCAPE),
			  &e);
	json_object_put(o);
}

int vh_guest_verify(const char *root, const struct vh_policy *p, unsigned vmid, int64_t started)
{
	struct vh_err e;
	struct vh_host *h = vh_host_new(root, &e);
	if (!h)
		return -1;
	if (vh_host_is_live(h))
		openlog("vfio-hook", LOG_PID, LOG_DAEMON);
	struct vh_guest_report *r = vh_guest_ask(h, vmid, p,
						 vh_policy_guest_wait_s(p, vmid) * 1000u, &e);
	int rc = -1;
	if (r) {
		json_object *o = vh_guest_to_json(r);
		json_object_object_add(o, "started", json_object_new_int64(started));
		json_object_object_add(o, "finished", json_object_new_int64((int64_t)time(NULL)));
		/* the hook log and the journal first: the verdict file is what
		 * readers wait for, so it comes last, when everything is said */
		log_verdict(h, r, started);
		rc = save_verdict(h, vmid, o, &e);
		json_object_put(o);
		vh_guest_report_free(r);
	} else {
		struct vh_journal_fields jf = { .vmid = vmid };
		vh_journal_send(h, LOG_WARNING, &jf, e.msg);
	}
	vh_host_free(h);
	return rc;
}

/* The grandchild: its own session, /dev/null on 0-2 and every other
 * descriptor closed (the task's pipe, the hook log, libpci's files), the
 * signals the hook blocked open again. */
static void run_detached(const char *root, const struct vh_policy *p, unsigned vmid,
			 int64_t started)
{
	sigset_t all;
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	if (vh_detach_descriptors(3) < 0)
		_exit(1);
	_exit(vh_guest_verify(root, p, vmid, started) == 0 ? 0 : 1);
}

void vh_hook_start_verifier(struct hook *hk)
{
	if (!vh_policy_guest_verify(hk->policy, hk->vmid)) {
		vh_hook_say(hk, "guest: not asked (policy guest.verify is false)");
		return;
	}
	char root[4096];
	vh_strlcpy(root, vh_host_root(hk->h), sizeof(root));
	int64_t started = (int64_t)time(NULL);
	fflush(NULL); /* nothing buffered is written twice by a child */
	pid_t pid = fork();
	if (pid < 0) {
		vh_hook_say(hk, "warn guest: cannot start the verifier: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		setsid();
		pid_t grandchild = fork();
		if (grandchild == 0)
			run_detached(root, hk->policy, hk->vmid, started);
		_exit(grandchild < 0 ? 1 : 0);
	}
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		vh_hook_say(hk, "warn guest: the verifier could not be started");
	else
		vh_hook_say(hk,
			    "guest: a verifier asks VM %u's guest in the background (at most %u s); "
			    "hookctl guest %u or /run/vfiohelp/guest/%u.json has its verdict",
			    hk->vmid, vh_policy_guest_wait_s(hk->policy, hk->vmid), hk->vmid,
			    hk->vmid);
}
