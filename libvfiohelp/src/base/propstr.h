/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Proxmox property strings. Items point into the parsed string. */
#ifndef VFIOHELP_PROPSTR_H
#define VFIOHELP_PROPSTR_H

#include "internal.h"

struct vh_prop {
	const char *key;
	size_t key_len;
	const char *val;
	size_t val_len;
};

#define VH_MAX_PROPS 32

/* Splits s as pve-common does; a bare item takes default_key (NULL: bare
 * items are an error). Blank items are skipped; an item without key or
 * value, a repeated key and an all-blank string are errors. */
int vh_propstr_split(const char *s, const char *default_key, struct vh_prop *props, size_t max,
		     size_t *count, struct vh_err *err);
bool vh_prop_is(const struct vh_prop *p, const char *key);
int vh_prop_bool(const struct vh_prop *p, bool *out, struct vh_err *err);
int vh_prop_copy(const struct vh_prop *p, char *buf, size_t size, struct vh_err *err);
/* Proxmox's configuration id grammar (mapping names, storage ids). */
bool vh_is_config_id(const char *s, size_t len);

#endif
