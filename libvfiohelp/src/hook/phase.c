/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One run of one phase (phase.h): what it says and which devices are its
 * own. hook.c and reset.c both write through these.
 */
#include "internal.h"
#include "eval/checks.h"
#include "hook/phase.h"
#include "host/host.h"
#include "pve/state.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include <json-c/json.h>

static const char *const phase_names[] = { "pre-start", "post-start", "pre-stop", "post-stop" };

int vh_phase_parse(const char *s, enum vh_phase *out)
{
	for (size_t i = 0; i < VH_ARRAY_SIZE(phase_names); i++)
		if (!strcmp(s, phase_names[i])) {
			*out = (enum vh_phase)i;
			return 0;
		}
	return -1;
}

const char *vh_phase_name(enum vh_phase p)
{
	return phase_names[p];
}

bool vh_hook_ours(const struct hook *hk, const struct vh_pci_addr *a)
{
	char name[VH_PCI_ADDR_STRLEN];
	vh_pci_addr_format(a, name);
	return (hk->r && vh_report_has_device(hk->r, a)) || (hk->st && vh_state_find(hk->st, name));
}

/* One line of output: stdout (the task log), syslog, and the hook log. */
void vh_hook_say(struct hook *hk, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* One event, one line: a newline inside a message would forge another,
	 * and an escape sequence from a config value would reach a terminal. */
	vh_sanitize(msg);
	fprintf(hk->out, "vfio-hook: %s\n", msg);
	fflush(hk->out);
	if (vh_host_is_live(hk->h))
		syslog(LOG_INFO, "VM %u %s: %s", hk->vmid, vh_phase_name(hk->phase), msg);
	char line[1100];
	snprintf(line, sizeof(line), "vfio-hook: %s", msg);
	json_object_array_add(hk->lines, json_object_new_string(line));
}

/* The devices the hook may write to: present and passed through vfio-pci.
 * driver=keep devices and mdev parents are never rebound, reset or
 * returned, in any phase. */
bool vh_hook_may_touch(const struct vh_vm_device *vd)
{
	return vd->dev && vd->dev->present && vd->role == VH_ROLE_VFIO;
}
