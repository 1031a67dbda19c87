/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The table of findings (findings.c) is the one list of ids: the man page
 * hookctl(8) and README.md's finding table must name exactly its ids, each
 * with its default severity, no more and no fewer.
 */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LISTED 256

/* One id a page lists, and the severity it gives (the word it starts with). */
struct listed {
	char id[48];
	char severity[16];
};

struct listing {
	size_t n;
	struct listed at[MAX_LISTED];
};

/* The text from the line `heading` to the next line starting with `next`. */
static const char *section(const char *text, const char *heading, const char *next, size_t *len)
{
	const char *p = text;
	size_t hn = strlen(heading);
	while (p && (strncmp(p, heading, hn) || (p[hn] != '\n' && p[hn] != '\0')))
		p = (p = strchr(p, '\n')) ? p + 1 : NULL;
	if (!p)
		return NULL;
	p += hn;
	const char *end = p;
	while ((end = strchr(end + 1, '\n')) && strncmp(end + 1, next, strlen(next)))
		;
	*len = end ? (size_t)(end - p) : strlen(p);
	return p;
}

static void add(struct listing *l, const char *id, size_t idlen, const char *sev, size_t sevlen)
{
	assert_true(l->n < MAX_LISTED);
	struct listed *e = &l->at[l->n++];
	snprintf(e->id, sizeof(e->id), "%.*s", (int)idlen, id);
	snprintf(e->severity, sizeof(e->severity), "%.*s", (int)sevlen, sev);
}

/* hookctl.8's FINDINGS section: ".TP", ".B vm\-config", "(error) meaning". */
static void man_findings(const char *page, struct listing *l)
{
	size_t len;
	const char *s = section(page, ".SH FINDINGS", ".SH ", &len);
	l->n = 0;
	for (const char *p = s; p && (p = strstr(p, "\n.TP\n.B ")) && p < s + len;) {
		p += strlen("\n.TP\n.B ");
		char id[48];
		size_t n = 0;
		for (; *p && *p != '\n' && n + 1 < sizeof(id); p++)
			if (!(p[0] == '\\' && p[1] == '-'))
				id[n++] = *p;
		const char *meaning = *p == '\n' ? p + 1 : p;
		const char *sev = meaning[0] == '(' ? meaning + 1 : meaning;
		add(l, id, n, sev, sev == meaning ? 0 : strcspn(sev, ")\n"));
	}
}

/* README.md's "### Findings" table: "| `id` | error | when | fix |". */
static void readme_findings(const char *readme, struct listing *l)
{
	size_t len;
	const char *s = section(readme, "### Findings", "#", &len);
	l->n = 0;
	for (const char *p = s; p && (p = strstr(p, "\n| `")) && p < s + len;) {
		p += strlen("\n| `");
		size_t idlen = strcspn(p, "`\n");
		const char *sev = p + idlen + strspn(p + idlen, "` |");
		add(l, p, idlen, sev, strspn(sev, "abcdefghijklmnopqrstuvwxyz"));
	}
}

/* Every way the listing and the table differ, one line each in `report`;
 * returns how many. */
static int differences(const struct listing *l, char *report, size_t size)
{
	int diffs = 0;
	size_t used = 0;
	report[0] = '\0';
#define SAY(...)  \
	(diffs++, \
	 used += (size_t)snprintf(report + used, used < size ? size - used : 0, __VA_ARGS__))
	for (size_t i = 0; i < vh_finding_kind_count(); i++) {
		const struct vh_finding_kind *k = vh_finding_kind_at(i);
		size_t seen = 0;
		for (size_t j = 0; j < l->n; j++)
			if (!strcmp(l->at[j].id, k->id)) {
				seen++;
				if (strcmp(l->at[j].severity, vh_severity_name(k->severity)))
					SAY("%s: listed as '%s', the table says %s\n", k->id,
					    l->at[j].severity, vh_severity_name(k->severity));
			}
		if (seen != 1)
			SAY("%s: listed %zu times, must be once\n", k->id, seen);
	}
	for (size_t j = 0; j < l->n; j++)
		if (!vh_finding_kind(l->at[j].id))
			SAY("%s: listed, but no such finding in findings.c\n", l->at[j].id);
#undef SAY
	return diffs;
}

static void test_table_is_well_formed(void **state)
{
	(void)state;
	assert_true(vh_finding_kind_count() >= 17); /* the product's first table alone */
	for (size_t i = 0; i < vh_finding_kind_count(); i++) {
		const struct vh_finding_kind *k = vh_finding_kind_at(i);
		assert_true(strlen(k->id) > 2 &&
			    strspn(k->id, "abcdefghijklmnopqrstuvwxyz0123456789-") ==
				    strlen(k->id));
		assert_true(strlen(k->meaning) > 10);
		assert_ptr_equal(vh_finding_kind(k->id), k); /* ids are unique */
	}
	assert_null(vh_finding_kind_at(vh_finding_kind_count()));
}

/* The page at `rel` (from the top of the tree), read by `parse`, names
 * exactly the table's ids with their severities. */
static void assert_page_lists_table(const char *rel, void (*parse)(const char *, struct listing *))
{
	static struct listing l;
	char *page = strdup(vh_test_read(VH_TEST_DATA "/..", rel)), report[8192];
	parse(page, &l);
	if (differences(&l, report, sizeof(report)))
		fail_msg("the findings %s lists differ from findings.c:\n%s", rel, report);
	assert_int_equal(l.n, vh_finding_kind_count());
	free(page);
}

static void test_man_page_lists_every_finding(void **state)
{
	(void)state;
	assert_page_lists_table("man/hookctl.8", man_findings);
}

static void test_readme_lists_every_finding(void **state)
{
	(void)state;
	assert_page_lists_table("README.md", readme_findings);
}

/* The comparison itself fires: a page without the table's first id, with an
 * id the table lacks and with a wrong severity is reported on each count,
 * and nothing after the findings section (".B x", "| `x` |") is read. The
 * real pages above are the cases where it must stay quiet. */
static void test_differences_are_found(void **state)
{
	(void)state;
	static char man[65536], readme[65536];
	size_t m = 0, r = 0;
	m += (size_t)snprintf(man + m, sizeof(man) - m, ".SH FINDINGS\nintro\n");
	r += (size_t)snprintf(readme + r, sizeof(readme) - r,
			      "### Findings\n\n| id | default |\n| --- | --- |");
	for (size_t i = 1; i < vh_finding_kind_count(); i++) {
		const struct vh_finding_kind *k = vh_finding_kind_at(i);
		const char *sev = i == 1 ? "info" : vh_severity_name(k->severity);
		m += (size_t)snprintf(man + m, sizeof(man) - m, ".TP\n.B %s\n(%s) %s\n", k->id, sev,
				      k->meaning);
		r += (size_t)snprintf(readme + r, sizeof(readme) - r,
				      "\n| `%s` | %s | when | fix |", k->id, sev);
	}
	snprintf(man + m, sizeof(man) - m,
		 ".TP\n.B no\\-such\\-finding\n(warn) made up\n.SH FILES\n.TP\n.B x\n");
	snprintf(readme + r, sizeof(readme) - r,
		 "\n| `no-such-finding` | warn | x | |\n\n## Next\n| `x` | y |\n");
	const char *first = vh_finding_kind_at(0)->id, *second = vh_finding_kind_at(1)->id;
	static struct listing l;
	char report[8192];
	for (int p = 0; p < 2; p++) {
		if (p == 0)
			man_findings(man, &l);
		else
			readme_findings(readme, &l);
		assert_int_equal(differences(&l, report, sizeof(report)), 3);
		assert_contains(report, first);
		assert_contains(report, "listed 0 times");
		assert_contains(report, "no-such-finding: listed, but no such finding");
		assert_contains(report, second);
		assert_contains(report, "listed as 'info'");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_is_well_formed),
		cmocka_unit_test(test_man_page_lists_every_finding),
		cmocka_unit_test(test_readme_lists_every_finding),
		cmocka_unit_test(test_differences_are_found),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
