/*
 * hookctl's verbs and options, as `hookctl help` lists them, are what the
 * bash completion (completion/hookctl) offers and what hookctl(8)'s SYNOPSIS
 * shows; the completion offers the VMIDs of the host it is pointed at.
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
				fail_msg("completion does not offer %s for '%s':\n%s", opt, verb, opts);
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
	char *usage = usage_text(), *page = strdup(vh_test_read(VH_TEST_DATA "/..", "man/hookctl.8"));
	char *synopsis = strstr(page, ".SH SYNOPSIS\n"), *end = synopsis ? strstr(synopsis, "\n.SH ") : NULL;
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_completion_offers_every_verb_and_option),
		cmocka_unit_test(test_completion_offers_vmids_of_the_host),
		cmocka_unit_test(test_man_synopsis_shows_every_verb_and_option),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
