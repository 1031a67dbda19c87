/* The PCI address grammar: [domain:]bus:dev[.func], hexadecimal. */
#include "internal.h"

#include <stdio.h>
#include <string.h>

/* Proxmox's grammar (PVE::JSONSchema pve-pci-id): the domain has exactly
 * four hex digits, bus and device two, the function one (0..7). */
static size_t hex_run(const char *p, const char *end)
{
	size_t n = 0;
	while (p + n < end && strchr("0123456789abcdefABCDEF", p[n]) && p[n])
		n++;
	return n;
}

int vh_pci_addr_parse(const char *s, size_t len, struct vh_pci_addr *out)
{
	const char *p = s, *end = s + len;
	uint64_t f[3];
	size_t w[3];
	int nf = 0;
	for (;;) {
		if (nf == 3)
			return -1;
		w[nf] = hex_run(p, end);
		if (w[nf] == 0 || w[nf] > 4 || vh_parse_hex(p, w[nf], 0xffff, &f[nf]) < 0)
			return -1;
		p += w[nf++];
		if (p < end && *p == ':') {
			p++;
			continue;
		}
		break;
	}
	if (nf < 2 || (nf == 3 && w[0] != 4) || w[nf - 2] != 2 || w[nf - 1] != 2)
		return -1;
	struct vh_pci_addr a = { 0 };
	if (f[nf - 1] > 0x1f)
		return -1;
	a.domain = nf == 3 ? (uint16_t)f[0] : 0;
	a.bus = (uint8_t)f[nf - 2];
	a.dev = (uint8_t)f[nf - 1];
	if (p < end && *p == '.') {
		p++;
		if (p + 1 != end || *p < '0' || *p > '7')
			return -1;
		a.func = (uint8_t)(*p - '0');
		a.has_func = true;
		p++;
	}
	if (p != end)
		return -1;
	*out = a;
	return 0;
}

void vh_pci_addr_format(const struct vh_pci_addr *a, char out[VH_PCI_ADDR_STRLEN])
{
	snprintf(out, VH_PCI_ADDR_STRLEN, "%04x:%02x:%02x.%u", a->domain, a->bus, a->dev & 0x1fu,
		 a->has_func ? a->func & 7u : 0u);
}

bool vh_pci_addr_equal(const struct vh_pci_addr *a, const struct vh_pci_addr *b)
{
	return a->domain == b->domain && a->bus == b->bus && a->dev == b->dev &&
	       (a->has_func ? a->func : 0) == (b->has_func ? b->func : 0);
}
