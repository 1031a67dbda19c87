/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The grammars: PCI addresses, VMIDs, phases, property strings. */
#include "testlib.h"
#include "internal.h"
#include "base/propstr.h"

#include <string.h>

static void parse_ok(const char *s, unsigned dom, unsigned bus, unsigned dev, int func)
{
	struct vh_pci_addr a;
	if (vh_pci_addr_parse(s, strlen(s), &a) != 0)
		fail_msg("'%s' should parse", s);
	assert_int_equal(a.domain, dom);
	assert_int_equal(a.bus, bus);
	assert_int_equal(a.dev, dev);
	assert_int_equal(a.has_func, func >= 0);
	if (func >= 0)
		assert_int_equal(a.func, func);
}

static void test_pci_addr_forms(void **state)
{
	(void)state;
	parse_ok("01:00", 0, 1, 0, -1);
	parse_ok("01:00.1", 0, 1, 0, 1);
	parse_ok("0000:01:00", 0, 1, 0, -1);
	parse_ok("0000:01:00.0", 0, 1, 0, 0);
	parse_ok("000a:ff:1f.7", 0xa, 0xff, 0x1f, 7);
	/* qemu-server's PCIRE is wider than the hardware: device numbers to ff
	 * and functions to f parse (the start then fails: no such device), and
	 * domains have four or more digits (Intel VMD: 10000). */
	parse_ok("00:ff.1", 0, 0, 0xff, 1);
	parse_ok("f0:42.0", 0, 0xf0, 0x42, 0);
	parse_ok("d0:13.f", 0, 0xd0, 0x13, 0xf);
	parse_ok("10000:e1:00.0", 0x10000, 0xe1, 0, 0);
	parse_ok("000010000:e1:00", 0x10000, 0xe1, 0, -1);
}

static void test_pci_addr_rejects(void **state)
{
	(void)state;
	static const char *const bad[] = {
		/* upper-case hex is not in PCIRE; neither is a domain of three digits
		 * or one wider than 32 bits */
		"0000:0A:1F.3",
		"01:00.A",
		"",
		"1:00",
		"01:0",
		"01:00.g",
		"000:01:00.0",
		"100000000:01:00.0",
		"01:00.",
		"01:00.0 ",
		" 01:00.0",
		"01:00.00",
		"0000:01:00.0:1",
		"01-00.0",
		"gg:00.0",
		"0000:01:00.0\n",
		"../01:00.0",
		"01:00;02:00",
		"0x01:00.0",
		"+1:00.0",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vh_pci_addr a;
		if (vh_pci_addr_parse(bad[i], strlen(bad[i]), &a) == 0)
			fail_msg("'%s' must not parse", bad[i]);
	}
}

static void test_pci_addr_len_bound(void **state)
{
	(void)state;
	struct vh_pci_addr a;
	/* only the first len bytes count */
	assert_int_equal(vh_pci_addr_parse("01:00.1;junk", 7, &a), 0);
	assert_int_equal(a.func, 1);
	char name[VH_PCI_ADDR_STRLEN];
	assert_int_equal(vh_pci_addr_parse("01:00", 5, &a), 0);
	vh_pci_addr_format(&a, name);
	assert_string_equal(name, "0000:01:00.0");
}

static void test_vmid(void **state)
{
	(void)state;
	unsigned v;
	assert_int_equal(vh_vmid_parse("100", &v), 0);
	assert_int_equal(v, 100);
	assert_int_equal(vh_vmid_parse("999999999", &v), 0);
	static const char *const bad[] = { "",    "99",         "0100", "-100",   "+100",  "100 ",
					   "1e3", "1000000000", "100;", "../100", "１００" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (vh_vmid_parse(bad[i], &v) == 0)
			fail_msg("VMID '%s' must be refused", bad[i]);
}

static void test_phase(void **state)
{
	(void)state;
	enum vh_phase p;
	assert_int_equal(vh_phase_parse("pre-start", &p), 0);
	assert_int_equal(p, VH_PHASE_PRE_START);
	assert_int_equal(vh_phase_parse("post-stop", &p), 0);
	assert_int_equal(p, VH_PHASE_POST_STOP);
	assert_int_equal(vh_phase_parse("prestart", &p), -1);
	assert_int_equal(vh_phase_parse("pre-start ", &p), -1);
}

static void test_propstr(void **state)
{
	(void)state;
	struct vh_prop p[VH_MAX_PROPS];
	size_t n;
	struct vh_err e;
	assert_int_equal(vh_propstr_split("01:00,pcie=1,rombar=0", "host", p, VH_MAX_PROPS, &n, &e),
			 0);
	assert_int_equal(n, 3);
	assert_true(vh_prop_is(&p[0], "host"));
	assert_true(vh_prop_is(&p[2], "rombar"));
	/* pve-common skips blank items: doubled and trailing commas are fine */
	assert_int_equal(vh_propstr_split("a=1,,b=2,", NULL, p, VH_MAX_PROPS, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_int_equal(vh_propstr_split(",01:00, ,pcie=1", "host", p, VH_MAX_PROPS, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_int_equal(vh_propstr_split(",,", "host", p, VH_MAX_PROPS, &n, &e), -1);
	/* an item without a key or without a value */
	assert_int_equal(vh_propstr_split("a=", NULL, p, VH_MAX_PROPS, &n, &e), -1);
	assert_int_equal(vh_propstr_split("=1", NULL, p, VH_MAX_PROPS, &n, &e), -1);
	/* two bare values both claim the default key */
	assert_int_equal(vh_propstr_split("01:00,02:00", "host", p, VH_MAX_PROPS, &n, &e), -1);
	assert_int_equal(vh_propstr_split("pcie=1,pcie=0", NULL, p, VH_MAX_PROPS, &n, &e), -1);
	assert_contains(e.msg, "twice");
	assert_int_equal(vh_propstr_split("bare", NULL, p, VH_MAX_PROPS, &n, &e), -1);
	bool b;
	assert_int_equal(vh_propstr_split("x=yes,y=off,z=2", NULL, p, VH_MAX_PROPS, &n, &e), 0);
	assert_int_equal(vh_prop_bool(&p[0], &b, &e), 0);
	assert_true(b);
	assert_int_equal(vh_prop_bool(&p[1], &b, &e), 0);
	assert_false(b);
	assert_int_equal(vh_prop_bool(&p[2], &b, &e), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pci_addr_forms),
		cmocka_unit_test(test_pci_addr_rejects),
		cmocka_unit_test(test_pci_addr_len_bound),
		cmocka_unit_test(test_vmid),
		cmocka_unit_test(test_phase),
		cmocka_unit_test(test_propstr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
