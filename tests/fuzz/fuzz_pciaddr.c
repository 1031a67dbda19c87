/* SPDX-License-Identifier: GPL-2.0-or-later */
/* PCI addresses (pciaddr.c): a parsed address formats and parses back. */
#include "fuzz.h"
#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vh_pci_addr a, b;
	if (vh_pci_addr_parse((const char *)data, size, &a) < 0)
		return 0;
	FUZZ_CHECK(a.func <= 0xf); /* the grammar's bound (hardware's is 7) */
	FUZZ_CHECK(a.has_func || a.func == 0);
	char name[VH_PCI_ADDR_STRLEN];
	memset(name, 'x', sizeof(name));
	vh_pci_addr_format(&a, name);
	FUZZ_TERMINATED(name);
	FUZZ_CHECK(strlen(name) >= 12); /* "0000:01:00.0" or a wider domain */
	FUZZ_CHECK(vh_pci_addr_parse(name, strlen(name), &b) == 0);
	FUZZ_CHECK(b.has_func && a.domain == b.domain && a.bus == b.bus && a.dev == b.dev &&
		   a.func == b.func);
	FUZZ_CHECK(!a.has_func || vh_pci_addr_equal(&a, &b));
	return 0;
}
