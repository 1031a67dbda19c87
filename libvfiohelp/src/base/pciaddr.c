/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The PCI address grammar, as qemu-server and pve-common write it
 * (PCI.pm's $PCIRE, SysFSTools.pm):
 *
 *   [domain:]bus:dev[.func]   domain 4 or more hex digits, bus and dev two,
 *                             func one; lower-case hex only
 *
 * The grammar is wider than the hardware: dev runs to ff and func to f,
 * where a real function is at most 1f.7. Proxmox parses such an address and
 * then fails the start because no device has it; so do we (device-missing).
 * Intel VMD puts devices in domains of five hex digits (10000:e1:00.0).
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static bool is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static size_t hex_run(const char *p, const char *end)
{
	size_t n = 0;
	while (p + n < end && is_lower_hex(p[n]))
		n++;
	return n;
}

/* A domain wider than 32 bits cannot name a device: leading zeros aside,
 * at most eight significant digits. */
static int parse_domain(const char *p, size_t len, uint32_t *out)
{
	uint64_t v;
	while (len > 8 && *p == '0')
		p++, len--;
	if (vh_parse_hex(p, len, 0xffffffffu, &v) < 0)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int vh_pci_addr_parse(const char *s, size_t len, struct vh_pci_addr *out)
{
	const char *p = s, *end = s + len;
	const char *field[3];
	size_t width[3];
	int nf = 0;
	for (;;) {
		if (nf == 3)
			return -1;
		field[nf] = p;
		width[nf] = hex_run(p, end);
		if (width[nf] == 0)
			return -1;
		p += width[nf++];
		if (p < end && *p == ':') {
			p++;
			continue;
		}
		break;
	}
	if (nf < 2 || (nf == 3 && width[0] < 4) || width[nf - 2] != 2 || width[nf - 1] != 2)
		return -1;
	struct vh_pci_addr a = { 0 };
	uint64_t bus, dev;
	if ((nf == 3 && parse_domain(field[0], width[0], &a.domain) < 0) ||
	    vh_parse_hex(field[nf - 2], 2, 0xff, &bus) < 0 ||
	    vh_parse_hex(field[nf - 1], 2, 0xff, &dev) < 0)
		return -1;
	a.bus = (uint8_t)bus;
	a.dev = (uint8_t)dev;
	if (p < end && *p == '.') {
		p++;
		if (p + 1 != end || !is_lower_hex(*p))
			return -1;
		a.func = (uint8_t)(*p <= '9' ? *p - '0' : *p - 'a' + 10);
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
	snprintf(out, VH_PCI_ADDR_STRLEN, "%04x:%02x:%02x.%x", a->domain, a->bus, a->dev,
		 a->has_func ? a->func & 0xfu : 0u);
}

int vh_pci_addr_compare(const struct vh_pci_addr *x, const struct vh_pci_addr *y)
{
	/* domains are 32 bits wide (VMD): compare the domain apart */
	if (x->domain != y->domain)
		return x->domain < y->domain ? -1 : 1;
	unsigned kx = (unsigned)x->bus << 8 | x->dev << 3 | x->func;
	unsigned ky = (unsigned)y->bus << 8 | y->dev << 3 | y->func;
	return kx < ky ? -1 : kx > ky;
}

bool vh_pci_addr_equal(const struct vh_pci_addr *a, const struct vh_pci_addr *b)
{
	return a->domain == b->domain && a->bus == b->bus && a->dev == b->dev &&
	       (a->has_func ? a->func : 0) == (b->has_func ? b->func : 0);
}

int vh_pci_addr_list_parse(const char *s, size_t len, struct vh_pci_addr *out, size_t max,
			   size_t *n, struct vh_err *err)
{
	const char *end = s + len;
	*n = 0;
	for (;;) {
		const char *semi = memchr(s, ';', (size_t)(end - s));
		const char *stop = semi ? semi : end;
		if (*n == max)
			return vh_failc(err, E2BIG, "more than %zu addresses", max);
		if (vh_pci_addr_parse(s, (size_t)(stop - s), &out[*n]) < 0)
			return vh_failc(err, EINVAL,
					"'%.*s' is not a PCI address ([domain:]bus:dev[.func], "
					"lower-case hex)",
					(int)(stop - s), s);
		(*n)++;
		if (!semi)
			return 0;
		s = semi + 1;
	}
}
