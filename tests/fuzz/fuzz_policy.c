/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The policy file (policy.c, vh_policy_parse): any bytes. What parses
 * answers every question within the policy's grammar. */
#include "fuzz.h"
#include "eval/policy.h"

static const char *const ids[] = { "balloon-enabled", "boot-vga", "machine-i440fx", "x" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vh_err err = { .msg = "" };
	struct vh_policy *p = vh_policy_parse("fuzz.json", (const char *)data, size, &err);
	if (!p) {
		FUZZ_TERMINATED(err.msg);
		FUZZ_CHECK(err.msg[0] != '\0');
		return 0;
	}
	static const unsigned vmids[] = { 100, 101, 999999999 };
	for (size_t v = 0; v < sizeof(vmids) / sizeof(vmids[0]); v++) {
		for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
			enum vh_severity s = vh_policy_severity(p, vmids[v], ids[i], VH_SEV_WARN);
			FUZZ_CHECK(s >= VH_SEV_OFF && s <= VH_SEV_ERROR);
		}
		enum vh_post_stop ps = vh_policy_post_stop(p, vmids[v]);
		FUZZ_CHECK(ps == VH_POST_STOP_KEEP || ps == VH_POST_STOP_RESET ||
			   ps == VH_POST_STOP_RETURN);
		unsigned ms = vh_policy_timeout_ms(p, vmids[v]);
		FUZZ_CHECK(ms >= 100 && ms <= 600000);
		(void)vh_policy_reset(p, vmids[v]);
	}
	vh_policy_free(p);
	return 0;
}
