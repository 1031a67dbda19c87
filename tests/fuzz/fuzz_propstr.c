/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Proxmox property strings (propstr.c): the first byte picks whether bare
 * items take a default key; the rest is the string. */
#include "fuzz.h"
#include "base/propstr.h"

static void check_props(const char *s, const struct vh_prop *props, size_t n)
{
	size_t len = strlen(s);
	FUZZ_CHECK(n <= VH_MAX_PROPS);
	for (size_t i = 0; i < n; i++) {
		const struct vh_prop *p = &props[i];
		FUZZ_CHECK(p->key_len > 0);
		FUZZ_CHECK(p->val >= s && p->val + p->val_len <= s + len);
		bool b;
		char buf[64];
		struct vh_err e;
		if (vh_prop_bool(p, &b, &e) < 0)
			FUZZ_TERMINATED(e.msg);
		if (vh_prop_copy(p, buf, sizeof(buf), &e) == 0)
			FUZZ_CHECK(strlen(buf) == p->val_len);
		for (size_t j = 0; j < i; j++) /* repeated keys are errors */
			FUZZ_CHECK(props[j].key_len != p->key_len ||
				   memcmp(props[j].key, p->key, p->key_len) != 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	const char *default_key = (data[0] & 1) ? "host" : NULL;
	char *s = fuzz_cstring(data + 1, size - 1);
	struct vh_prop props[VH_MAX_PROPS];
	size_t n = 0;
	struct vh_err err = { .msg = "" };
	if (vh_propstr_split(s, default_key, props, VH_MAX_PROPS, &n, &err) == 0)
		check_props(s, props, n);
	else
		FUZZ_CHECK(err.msg[0] != '\0');
	(void)vh_is_config_id((const char *)data + 1, size - 1);
	free(s);
	return 0;
}
