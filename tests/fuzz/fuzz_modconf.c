/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The boot configuration grammars (host/modconf.c): byte 0 picks the parser
 * (mod 4): modprobe.d lines, modules-load.d lines, GRUB's defaults, the
 * relevant options of a command line and the words one list lacks. */
#include "fuzz.h"
#include "host/modconf.h"
#include "host/system.h"

static void modprobe(const char *text, size_t len)
{
	struct vh_bad_line bad[8];
	size_t n = vh_modprobe_bad_lines(text, len, bad, 8);
	FUZZ_CHECK(n <= 8);
	for (size_t i = 0; i < n; i++) {
		FUZZ_TERMINATED(bad[i].why);
		FUZZ_CHECK(bad[i].line >= 1 && bad[i].why[0]);
	}
	/* a file with a bad line has a line that is no comment */
	FUZZ_CHECK(!n || vh_modprobe_has_directives(text, len) || bad[0].why[0]);
}

static void modules_load(const char *text, size_t len)
{
	struct vh_modules_line m[16];
	size_t n = vh_modules_load_lines(text, len, m, 16);
	FUZZ_CHECK(n <= 16);
	for (size_t i = 0; i < n; i++) {
		FUZZ_TERMINATED(m[i].name);
		FUZZ_TERMINATED(m[i].why);
		FUZZ_CHECK(m[i].why[0] || vh_is_safe_component(m[i].name));
	}
}

static void grub(const char *text, size_t len)
{
	static char l[VH_CMDLINE_MAX], d[VH_CMDLINE_MAX];
	l[0] = d[0] = '\0';
	vh_grub_defaults_apply(text, len, l, d, sizeof(l));
	vh_grub_defaults_apply(text, len, l, d, sizeof(l)); /* expanding the first pass's values */
	FUZZ_TERMINATED(l);
	FUZZ_TERMINATED(d);
}

static void cmdline(const char *text, size_t len)
{
	static char rel[VH_CMDLINE_MAX], miss[VH_CMDLINE_MAX];
	char *s = fuzz_cstring((const uint8_t *)text, len);
	vh_cmdline_relevant(s, rel, sizeof(rel));
	FUZZ_TERMINATED(rel);
	vh_words_missing(rel, rel, miss, sizeof(miss));
	FUZZ_CHECK(miss[0] == '\0'); /* a list lacks none of its own words */
	vh_words_missing(rel, "", miss, sizeof(miss));
	FUZZ_TERMINATED(miss);
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static void (*const parsers[])(const char *, size_t) = { modprobe, modules_load, grub,
								 cmdline };
	if (size == 0)
		return 0;
	parsers[data[0] % 4]((const char *)data + 1, size - 1);
	return 0;
}
