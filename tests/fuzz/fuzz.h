/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by the fuzz harnesses (fuzz_<name>.c). Each defines libFuzzer's
 * entry point; the same file links either with libFuzzer (VFIOHELP_FUZZ=ON,
 * clang) or with replay.c, which feeds a committed corpus to it (ctest -L fuzz).
 *
 * A harness checks what must hold whatever the input (strings terminated,
 * counts within their arrays, a parse that succeeds gives a value that
 * formats and parses back): FUZZ_CHECK aborts when it does not, so both
 * libFuzzer and the replay report it as a crash.
 */
#ifndef VH_FUZZ_H
#define VH_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                      \
	do {                                                                                  \
		if (!(cond)) {                                                                \
			fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, __LINE__, \
				#cond);                                                       \
			abort();                                                              \
		}                                                                             \
	} while (0)

/* A NUL-terminated copy of the input, for parsers that take C strings. */
static inline char *fuzz_cstring(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* The string fits its array: a NUL within it. */
#define FUZZ_TERMINATED(arr) FUZZ_CHECK(memchr((arr), '\0', sizeof(arr)) != NULL)

#endif
