/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Proxmox property strings ("0000:01:00,pcie=1,rombar=0"): comma-separated
 * key=value items, where one item may be a bare value for the format's
 * default key. Used by hostpciN, machine, memory and the mapping's map lines.
 */
#include "internal.h"
#include "base/propstr.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static int split_item(const char *p, size_t len, const char *default_key, struct vh_prop *it,
		      struct vh_err *err)
{
	const char *eq = memchr(p, '=', len);
	if (!eq) {
		if (!default_key)
			return vh_fail(err, "item '%.*s' is not key=value", (int)len, p);
		*it = (struct vh_prop){ default_key, strlen(default_key), p, len };
		return 0;
	}
	size_t key_len = (size_t)(eq - p);
	if (key_len == 0 || key_len + 1 == len)
		return vh_fail(err, "item '%.*s' lacks a key or a value", (int)len, p);
	*it = (struct vh_prop){ p, key_len, eq + 1, len - key_len - 1 };
	return 0;
}

static bool is_blank(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!isspace((unsigned char)p[i]))
			return false;
	return true;
}

/* pve-common's parse_property_string: items split at ',', blank items
 * skipped (a trailing or doubled comma is fine), "key=value" with a
 * non-empty key and value, or one bare value for the default key. */
int vh_propstr_split(const char *s, const char *default_key, struct vh_prop *props, size_t max,
		     size_t *count, struct vh_err *err)
{
	size_t n = 0;
	for (const char *p = s;;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (!is_blank(p, len)) {
			if (n == max)
				return vh_fail(err, "too many items in '%s'", s);
			if (split_item(p, len, default_key, &props[n], err) < 0)
				return -1;
			for (size_t j = 0; j < n; j++)
				if (props[j].key_len == props[n].key_len &&
				    memcmp(props[j].key, props[n].key, props[n].key_len) == 0)
					return vh_fail(err, "'%.*s' is given twice",
						       (int)props[n].key_len, props[n].key);
			n++;
		}
		if (!end)
			break;
		p = end + 1;
	}
	if (n == 0)
		return vh_fail(err, "empty value");
	*count = n;
	return 0;
}

bool vh_prop_is(const struct vh_prop *p, const char *key)
{
	return p->key_len == strlen(key) && memcmp(p->key, key, p->key_len) == 0;
}

/* PVE::JSONSchema's booleans. */
int vh_prop_bool(const struct vh_prop *p, bool *out, struct vh_err *err)
{
	static const char *const yes[] = { "1", "on", "yes", "true" };
	static const char *const no[] = { "0", "off", "no", "false" };
	for (size_t i = 0; i < VH_ARRAY_SIZE(yes); i++) {
		if (p->val_len == strlen(yes[i]) && strncasecmp(p->val, yes[i], p->val_len) == 0) {
			*out = true;
			return 0;
		}
		if (p->val_len == strlen(no[i]) && strncasecmp(p->val, no[i], p->val_len) == 0) {
			*out = false;
			return 0;
		}
	}
	return vh_fail(err, "%.*s=%.*s is not a boolean (0 or 1)", (int)p->key_len, p->key,
		       (int)p->val_len, p->val);
}

int vh_prop_copy(const struct vh_prop *p, char *buf, size_t size, struct vh_err *err)
{
	if (p->val_len >= size)
		return vh_fail(err, "%.*s is longer than %zu characters", (int)p->key_len, p->key,
			       size - 1);
	memcpy(buf, p->val, p->val_len);
	buf[p->val_len] = '\0';
	return 0;
}

bool vh_is_config_id(const char *s, size_t len)
{
	/* pve-configid: [a-z][a-z0-9_-]+, case-insensitive, at most 128 */
	if (len < 2 || len > 128)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i] | 0x20;
		bool alpha = c >= 'a' && c <= 'z';
		if (i == 0 ? !alpha
			   : !(alpha || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
			return false;
	}
	return true;
}
