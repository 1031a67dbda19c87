/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One growable array for the whole library: a pointer, a count the caller
 * keeps, and a capacity that doubles. */
#ifndef VFIOHELP_ARRAY_H
#define VFIOHELP_ARRAY_H

#include <stddef.h>

/* Makes room for `need` elements of size elem in *arrayp (a pointer to the
 * caller's T *), doubling the capacity *cap from at least `first`. 0 on
 * success; -1 with errno ENOMEM when memory runs out or the size would
 * overflow, the array left as it was. */
int vh_array_reserve(void *arrayp, size_t *cap, size_t need, size_t elem, size_t first);

/* Room for one more element after the n the array holds. */
#define VH_ARRAY_ROOM(array, cap, n) \
	vh_array_reserve(&(array), &(cap), (n) + 1, sizeof(*(array)), 16)

#endif
