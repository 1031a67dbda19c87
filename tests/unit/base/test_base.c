/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The base layer's helpers: the growable array and errors with a code.
 */
#include "testlib.h"
#include "internal.h"
#include "base/array.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

static void test_array_doubles_and_keeps(void **state)
{
	(void)state;
	int *v = NULL;
	size_t cap = 0;
	for (size_t n = 0; n < 100; n++) {
		assert_int_equal(VH_ARRAY_ROOM(v, cap, n), 0);
		assert_true(cap > n);
		v[n] = (int)n;
	}
	assert_int_equal(cap, 128); /* 16, 32, 64, 128 */
	for (int i = 0; i < 100; i++)
		assert_int_equal(v[i], i);
	free(v);
}

static void test_array_refuses_overflow(void **state)
{
	(void)state;
	int *v = NULL;
	size_t cap = 0;
	assert_int_equal(VH_ARRAY_ROOM(v, cap, 3), 0);
	int *before = v;
	errno = 0;
	assert_int_equal(vh_array_reserve(&v, &cap, SIZE_MAX / 2, sizeof(*v), 16), -1);
	assert_int_equal(errno, ENOMEM);
	assert_ptr_equal(v, before); /* left as it was */
	assert_int_equal(cap, 16);
	free(v);
}

static void test_fail_carries_code(void **state)
{
	(void)state;
	struct vh_err e = { 0 };
	errno = ENOENT;
	assert_int_equal(vh_fail(&e, "no %s", "file"), -1);
	assert_int_equal(e.code, ENOENT);
	assert_string_equal(e.msg, "no file");
	assert_int_equal(errno, ENOENT); /* errno survives */
	errno = 0;
	vh_fail(&e, "x");
	assert_int_equal(e.code, EIO); /* never 0 once filled */
	vh_failc(&e, ETIMEDOUT, "late");
	assert_int_equal(e.code, ETIMEDOUT);
	assert_int_equal(vh_fail(NULL, "ignored"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_array_doubles_and_keeps),
		cmocka_unit_test(test_array_refuses_overflow),
		cmocka_unit_test(test_fail_carries_code),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
