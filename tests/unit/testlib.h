/* Shared by the unit tests: host trees, scratch copies, running binaries. */
#ifndef VH_TESTLIB_H
#define VH_TESTLIB_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vfiohelp.h"

/* Path of a committed host tree, tests/hosts/<name> (static buffer). */
const char *vh_test_host(const char *name);
/* A writable copy of tree `src` in a fresh temporary directory (symlinks kept
 * as links). Free with vh_test_scratch_free, which removes it. */
char *vh_test_scratch_copy(const char *src);
/* An empty temporary directory. */
char *vh_test_scratch_empty(void);
void vh_test_scratch_free(char *dir);
/* Writes `content` to dir/rel, creating parent directories. */
void vh_test_write(const char *dir, const char *rel, const char *content);
/* Reads dir/rel into a static buffer (asserts it exists). */
const char *vh_test_read(const char *dir, const char *rel);
/* Runs argv (argv[0] a path), returns its exit status; stdout/stderr are
 * captured into malloc'd strings (either pointer may be NULL). */
int vh_test_run(const char *const argv[], char **out, char **err);
/* Asserts that haystack contains needle, printing both when it does not. */
#define assert_contains(haystack, needle) vh_test_assert_contains((haystack), (needle), __FILE__, __LINE__)
#define assert_not_contains(haystack, needle) vh_test_assert_not_contains((haystack), (needle), __FILE__, __LINE__)
void vh_test_assert_contains(const char *h, const char *n, const char *file, int line);
void vh_test_assert_not_contains(const char *h, const char *n, const char *file, int line);

/* One evaluation of a VM on a host tree, and what it found. */
struct vh_test_eval {
	struct vh_host *h;
	struct vh_report *r;
};
/* Evaluates VM vmid on the tree at root (policy NULL: the tree's default). */
struct vh_test_eval vh_test_evaluate(const char *root, unsigned vmid, const char *policy);
void vh_test_eval_done(struct vh_test_eval *ev);
/* The first finding with this id (and subject, unless NULL). */
const struct vh_finding *vh_test_find(const struct vh_report *r, const char *id, const char *subject);
/* Asserts the finding is there with this severity (listing all findings when not). */
const struct vh_finding *vh_test_expect(const struct vh_report *r, const char *id,
					const char *subject, enum vh_severity sev);
void vh_test_expect_none(const struct vh_report *r, const char *id);

#endif
