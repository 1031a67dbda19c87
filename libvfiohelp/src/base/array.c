/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "base/array.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int vh_array_reserve(void *arrayp, size_t *cap, size_t need, size_t elem, size_t first)
{
	if (need <= *cap)
		return 0;
	size_t want = *cap ? *cap : (first ? first : 1);
	while (want < need) {
		if (want > SIZE_MAX / 2) {
			errno = ENOMEM;
			return -1;
		}
		want *= 2;
	}
	if (elem && want > SIZE_MAX / elem) {
		errno = ENOMEM;
		return -1;
	}
	void *old;
	memcpy(&old, arrayp, sizeof(old)); /* *arrayp is some T *, not a void * */
	void *grown = realloc(old, want * elem);
	if (!grown) {
		errno = ENOMEM;
		return -1;
	}
	memcpy(arrayp, &grown, sizeof(grown));
	*cap = want;
	return 0;
}
