/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The evaluation's record: findings (severity after the policy), the
 * checks that passed, the checks that could not be judged, and the
 * report's questions. Every check file writes
 * through these; none of them calls another check file.
 */
#include "internal.h"
#include "base/array.h"
#include "eval/checks.h"
#include "eval/policy.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Makes room for one more element in a doubling array; false (and the
 * evaluation marked out of memory) when that fails. */
static bool room_for_one(struct vh_eval *ev, void **array, size_t *cap, size_t n, size_t elem)
{
	if (vh_array_reserve(array, cap, n + 1, elem, 16) < 0) {
		ev->oom = true;
		return false;
	}
	return true;
}

void vh_eval_passed(struct vh_eval *ev, enum vh_topic topic, const char *fmt, ...)
{
	struct vh_report *r = ev->r;
	if (!room_for_one(ev, (void **)&r->passed, &ev->cap_passed, r->n_passed,
			  sizeof(*r->passed)))
		return;
	struct vh_passed *p = &r->passed[r->n_passed++];
	p->topic = topic;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->text, sizeof(p->text), fmt, ap);
	va_end(ap);
	vh_sanitize(p->text);
}

void vh_eval_unjudged(struct vh_eval *ev, const char *check, const char *fmt, ...)
{
	struct vh_report *r = ev->r;
	if (!room_for_one(ev, (void **)&r->unjudged, &ev->cap_unjudged, r->n_unjudged,
			  sizeof(*r->unjudged)))
		return;
	struct vh_unjudged *u = &r->unjudged[r->n_unjudged++];
	vh_strlcpy(u->check, check, sizeof(u->check));
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(u->why, sizeof(u->why), fmt, ap);
	va_end(ap);
	vh_sanitize(u->why); /* it can quote a path or a config value */
}

static void add_finding(struct vh_eval *ev, enum vh_finding_id id, enum vh_severity dflt,
			const char *subject, const char *fix, const char *fmt, va_list ap)
	VH_PRINTF(6, 0);
static void add_finding(struct vh_eval *ev, enum vh_finding_id id, enum vh_severity dflt,
			const char *subject, const char *fix, const char *fmt, va_list ap)
{
	const struct vh_finding_kind *kind = vh_finding_kind_of(id);
	enum vh_severity sev = vh_policy_severity(ev->policy, ev->r->vmid, kind->id, dflt);
	if (sev == VH_SEV_OFF)
		return;
	struct vh_report *r = ev->r;
	if (!room_for_one(ev, (void **)&r->findings, &ev->cap_findings, r->n_findings,
			  sizeof(*r->findings)))
		return;
	vh_finding_fill(&r->findings[r->n_findings++], id, sev, subject, fix, fmt, ap);
}

void vh_eval_finding(struct vh_eval *ev, enum vh_finding_id id, const char *subject,
		     const char *fix, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add_finding(ev, id, vh_finding_kind_of(id)->severity, subject, fix, fmt, ap);
	va_end(ap);
}

void vh_eval_finding_as(struct vh_eval *ev, enum vh_finding_id id, enum vh_severity dflt,
			const char *subject, const char *fix, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add_finding(ev, id, dflt, subject, fix, fmt, ap);
	va_end(ap);
}

/* ---- IOMMU groups ---- */

bool vh_report_has_device(const struct vh_report *r, const struct vh_pci_addr *a)
{
	for (size_t i = 0; i < r->n_devices; i++)
		if (vh_pci_addr_equal(&r->devices[i].addr, a))
			return true;
	return false;
}

bool vh_driver_harmless(const char *driver)
{
	return !driver[0] || !strcmp(driver, "vfio-pci") || !strcmp(driver, "pci-stub");
}

const struct vh_hostpci *vh_report_hostpci(const struct vh_report *r, int index)
{
	for (size_t i = 0; i < r->vm.n_hostpci; i++)
		if (r->vm.hostpci[i].index == index)
			return &r->vm.hostpci[i];
	return NULL;
}

void vh_report_free(struct vh_report *r)
{
	if (!r)
		return;
	free(r->devices);
	free(r->findings);
	free(r->passed);
	free(r->unjudged);
	free(r);
}

size_t vh_report_count(const struct vh_report *r, enum vh_severity s)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n_findings; i++)
		n += r->findings[i].severity == s;
	return n;
}

bool vh_report_blocks(const struct vh_report *r)
{
	return vh_report_count(r, VH_SEV_ERROR) > 0;
}
