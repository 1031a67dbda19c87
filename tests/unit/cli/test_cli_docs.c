/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hookctl's verbs and options, as `hookctl help` lists them, are what the
 * bash completion (completion/hookctl) offers, what hookctl(8)'s SYNOPSIS
 * shows and what each verb's own --help and usage errors print; the
 * completion offers the VMIDs of the host it is pointed at. Both programs
 * and both man pages name the version CMake's project() declares.
 */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *src_path(const char *rel)
{
	static char path[4096];
	snprintf(path, sizeof(path), "%s/../%s", VH_TEST_DATA, rel);
	return path;
}

/* What the completion offers for the words of a command line; the last
 * word is the one being completed. One word per line. */
static char *complete(const char *line)
{
	char script[8192];
	snprintf(script, sizeof(script),
		 "source '%s' && COMP_WORDS=(%s) && COMP_CWORD=$((${#COMP_WORDS[@]} - 1)) && "
		 "_hookctl; ((${#COMPREPLY[@]} == 0)) || printf '%%s\\n' \"${COMPREPLY[@]}\"",
		 src_path("completion/hookctl"), line);
	const char *argv[] = { "/bin/bash", "--norc", "--noprofile", "-c", script, NULL };
	char *out, *err;
	assert_int_equal(vh_test_run(argv, &out, &err), 0);
	assert_string_equal(err, "");
	free(err);
	return out;
}

static char *usage_text(void)
{
	const char *argv[] = { VH_HOOKCTL, "help", NULL };
	char *out;
	assert_int_equal(vh_test_run(argv, &out, NULL), 0);
	return out;
}

/* Does `list` (one word per line) hold `word`? */
static bool offers(const char *list, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = list; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, word, n) && (p[n] == '\n' || !p[n]))
			return true;
	return false;
}

static void test_completion_offers_every_verb_and_option(void **state)
{
	(void)state;
	char *usage = usage_text(), *verbs = complete("hookctl ''");
	int seen = 0;
	for (char *line = strtok(usage, "\n"); line; line = strtok(NULL, "\n")) {
		char verb[32], words[512];
		if (sscanf(line, " hookctl %31s", verb) != 1)
			continue;
		seen++;
		if (!offers(verbs, verb))
			fail_msg("completion does not offer the verb '%s':\n%s", verb, verbs);
		snprintf(words, sizeof(words), "hookctl %s --", verb);
		char *opts = complete(words);
		for (char *o = strstr(line, "[--"); o; o = strstr(o + 1, "[--")) {
			char opt[32];
			sscanf(o + 1, "%31[-a-z]", opt);
			if (!offers(opts, opt))
				fail_msg("completion does not offer %s for '%s':\n%s", opt, verb,
					 opts);
		}
		free(opts);
	}
	assert_true(seen >= 3);
	assert_false(offers(verbs, "--root")); /* the first word is a verb */
	free(verbs);
	free(usage);
}

static void test_completion_offers_vmids_of_the_host(void **state)
{
	(void)state;
	char line[4096];
	snprintf(line, sizeof(line), "hookctl check --root '%s' ''", vh_test_host("seed"));
	char *ids = complete(line);
	assert_true(offers(ids, "100"));
	assert_true(offers(ids, "101"));
	free(ids);
	snprintf(line, sizeof(line), "hookctl check --root '%s' 10", vh_test_host("seed"));
	ids = complete(line);
	assert_true(offers(ids, "100"));
	assert_false(offers(ids, "--json")); /* a prefix of a VMID offers VMIDs only */
	free(ids);
	/* a host without VM configs offers none */
	char *empty = vh_test_scratch_empty();
	snprintf(line, sizeof(line), "hookctl check --root '%s' 1", empty);
	ids = complete(line);
	assert_string_equal(ids, "");
	free(ids);
	vh_test_scratch_free(empty);
}

static void test_man_synopsis_shows_every_verb_and_option(void **state)
{
	(void)state;
	char *usage = usage_text(),
	     *page = strdup(vh_test_read(VH_TEST_DATA "/..", "man/hookctl.8"));
	char *synopsis = strstr(page, ".SH SYNOPSIS\n"),
	     *end = synopsis ? strstr(synopsis, "\n.SH ") : NULL;
	assert_non_null(end);
	*end = '\0';
	for (char *line = strtok(usage, "\n"); line; line = strtok(NULL, "\n")) {
		char verb[32], want[96];
		if (sscanf(line, " hookctl %31s", verb) != 1)
			continue;
		snprintf(want, sizeof(want), ".SY hookctl\n.B %s\n", verb);
		assert_contains(synopsis, want);
		char *block = strstr(synopsis, want), *block_end = strstr(block + 1, ".YS");
		for (char *o = strstr(line, "[--"); o; o = strstr(o + 1, "[--")) {
			char opt[32];
			sscanf(o + 3, "%31[a-z]", opt);
			snprintf(want, sizeof(want), ".OP \\-\\-%s", opt);
			char *at = strstr(block, want);
			if (!at || at > block_end)
				fail_msg("hookctl(8) SYNOPSIS of '%s' lacks --%s", verb, opt);
		}
	}
	free(page);
	free(usage);
}

/* Each "  hookctl VERB ..." line of the overview, in turn: the line without
 * its indent, and the verb (verb holds 32 bytes). Returns false after the last. */
static bool next_usage(char **cursor, char *verb, char **line)
{
	char *l;
	while ((l = strtok_r(NULL, "\n", cursor))) {
		if (sscanf(l, " hookctl %31s", verb) == 1) {
			*line = l + strspn(l, " ");
			return true;
		}
	}
	return false;
}

static void test_each_verb_has_help_and_usage_errors(void **state)
{
	(void)state;
	char *usage = usage_text(), *cursor = NULL, *line, verb[32];
	int seen = 0;
	strtok_r(usage, "\n", &cursor); /* "usage: hookctl VERB ..." */
	while (next_usage(&cursor, verb, &line)) {
		char *out, *err, want[600];
		seen++;
		const char *help[] = { VH_HOOKCTL, verb, "--help", NULL };
		assert_int_equal(vh_test_run(help, &out, &err), 0);
		snprintf(want, sizeof(want), "usage: %s\n", line);
		if (strncmp(out, want, strlen(want)))
			fail_msg("'hookctl %s --help' does not start with '%s':\n%s", verb, want,
				 out);
		assert_string_equal(err, "");
		free(out);
		free(err);
		const char *bogus[] = { VH_HOOKCTL, verb, "--bogus", NULL };
		assert_int_equal(vh_test_run(bogus, &out, &err), 2);
		assert_string_equal(out, "");
		snprintf(want, sizeof(want), "hookctl %s: unknown option '--bogus'\nusage: %s\n",
			 verb, line);
		assert_string_equal(err, want);
		free(out);
		free(err);
	}
	assert_true(seen >= 4);
	free(usage);
}

static void test_argument_counts_are_usage_errors(void **state)
{
	(void)state;
	char *out, *err;
	const char *missing[] = { VH_HOOKCTL, "check", NULL };
	assert_int_equal(vh_test_run(missing, &out, &err), 2);
	assert_contains(err, "hookctl check: missing VMID\nusage: hookctl check VMID");
	free(out);
	free(err);
	const char *extra[] = { VH_HOOKCTL, "log", "100", "101", NULL };
	assert_int_equal(vh_test_run(extra, &out, &err), 2);
	assert_contains(err, "hookctl log: too many arguments");
	free(out);
	free(err);
	const char *bad[] = { VH_HOOKCTL, "install", "99", NULL };
	assert_int_equal(vh_test_run(bad, &out, &err), 2);
	assert_contains(err, "'99' is not a VMID");
	free(out);
	free(err);
	const char *verb[] = { VH_HOOKCTL, "frobnicate", NULL };
	assert_int_equal(vh_test_run(verb, &out, &err), 2);
	assert_contains(err, "unknown verb 'frobnicate'");
	free(out);
	free(err);
}

static void test_version_is_the_projects(void **state)
{
	(void)state;
	const char *progs[][3] = { { VH_HOOKCTL, "hookctl" }, { VH_VFIO_HOOK, "vfio-hook" } };
	for (size_t i = 0; i < 2; i++) {
		const char *argv[] = { progs[i][0], "--version", NULL };
		char *out, want[128];
		assert_int_equal(vh_test_run(argv, &out, NULL), 0);
		snprintf(want, sizeof(want), "%s (vfiohelp) %s\n", progs[i][1], VH_PROJECT_VERSION);
		assert_string_equal(out, want);
		free(out);
	}
	const char *pages[] = { "man/hookctl.8", "man/vfio-hook.8" };
	for (size_t i = 0; i < 2; i++) {
		char want[64];
		snprintf(want, sizeof(want), "\"vfiohelp %s\"", VH_PROJECT_VERSION);
		assert_contains(vh_test_read(VH_TEST_DATA "/..", pages[i]), want);
	}
}

/* ".B name" with roff's "\-" for each '-'. */
static void roff_item(const char *name, char *out, size_t size)
{
	size_t n = (size_t)snprintf(out, size, "\n.B ");
	for (const char *p = name; *p && n + 3 < size; p++)
		n += (size_t)snprintf(out + n, size - n, *p == '-' ? "\\-" : "%c", *p);
	snprintf(out + n, size - n, "\n");
}

/* Every check name the evaluation passes to vh_eval_unjudged() is listed in
 * hookctl(8)'s NOT JUDGED section: the names are part of the JSON. */
static void test_man_lists_every_unjudged_check(void **state)
{
	(void)state;
	static const char *const sources[] = { "eval/checks.c", "eval/checks_health.c",
					       "eval/checks_entries.c", "eval/checks_setup.c" };
	char *page = strdup(vh_test_read(VH_TEST_DATA "/..", "man/hookctl.8"));
	char *section = strstr(page, "\n.SH NOT JUDGED\n"),
	     *end = section ? strstr(section + 1, "\n.SH ") : NULL;
	assert_non_null(end);
	end[1] = '\0';
	int seen = 0;
	for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++) {
		char rel[64];
		snprintf(rel, sizeof(rel), "libvfiohelp/src/%s", sources[i]);
		const char *text = vh_test_read(VH_TEST_DATA "/..", rel);
		for (const char *p = strstr(text, "vh_eval_unjudged(ev, \""); p;
		     p = strstr(p + 1, "vh_eval_unjudged(ev, \"")) {
			char name[40], want[96];
			if (sscanf(p, "vh_eval_unjudged(ev, \"%39[^\"]", name) != 1)
				continue;
			seen++;
			roff_item(name, want, sizeof(want));
			if (!strstr(section, want))
				fail_msg("hookctl(8) NOT JUDGED lacks '%s' (%s)", name, sources[i]);
		}
	}
	assert_true(seen >= 5);
	free(page);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_completion_offers_every_verb_and_option),
		cmocka_unit_test(test_completion_offers_vmids_of_the_host),
		cmocka_unit_test(test_man_synopsis_shows_every_verb_and_option),
		cmocka_unit_test(test_each_verb_has_help_and_usage_errors),
		cmocka_unit_test(test_argument_counts_are_usage_errors),
		cmocka_unit_test(test_version_is_the_projects),
		cmocka_unit_test(test_man_lists_every_unjudged_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
