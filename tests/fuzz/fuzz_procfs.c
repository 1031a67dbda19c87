/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The /proc parsers (hostinfo.c, kmods.c) and pci-id-reservations: the
 * first byte picks the parser, the rest is the file's text. iomem takes a
 * device's sysfs "resource" first, up to a form feed, then /proc/iomem. */
#include "fuzz.h"
#include "host/iommu.h"
#include "host/system.h"
#include "pve/ownership.h"
#include "host/kmods.h"

static void cmdline(const char *text, size_t len)
{
	static const char *const params[] = { "pcie_acs_override=", "intel_iommu=off",
					      "iommu=", "quiet", "" };
	char *s = fuzz_cstring((const uint8_t *)text, len);
	for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
		char value[16];
		memset(value, 'x', sizeof(value));
		if (vh_cmdline_has(s, params[i], value, sizeof(value)))
			FUZZ_TERMINATED(value);
	}
	free(s);
}

static void meminfo(const char *text, size_t len)
{
	uint64_t avail, total;
	if (vh_meminfo_parse(text, len, &avail, &total) == 0)
		FUZZ_CHECK(avail <= UINT64_MAX / 2 / 1024 && total <= UINT64_MAX / 2 / 1024);
}

static void cpuinfo(const char *text, size_t len)
{
	enum vh_cpu_vendor v = vh_cpuinfo_vendor(text, len);
	FUZZ_CHECK(v == VH_CPU_UNKNOWN || v == VH_CPU_INTEL || v == VH_CPU_AMD);
}

static void iomem(const char *text, size_t len)
{
	const char *ff = memchr(text, '\f', len);
	size_t rlen = ff ? (size_t)(ff - text) : 0;
	const char *map = ff ? ff + 1 : text;
	char name[8];
	memset(name, 'x', sizeof(name));
	if (vh_iomem_framebuffer(map, len - (size_t)(map - text), text, rlen, name, sizeof(name)))
		FUZZ_TERMINATED(name);
}

static void modules(const char *text, size_t len)
{
	static const char *const names[] = { "vfio", "vfio_pci", "vfio-iommu-type1", "" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		FUZZ_CHECK(!vh_proc_modules_has(text, len, names[i]) || names[i][0]);
}

static void reservations(const char *text, size_t len)
{
	struct vh_reservation r[4];
	size_t n = 99;
	if (vh_reservations_parse(text, len, "0000:01:00.0", 100, r, 4, &n) < 0)
		return;
	FUZZ_CHECK(n <= 4);
	for (size_t i = 0; i < n; i++) {
		FUZZ_CHECK(r[i].vmid != 100 && r[i].vmid <= 999999999);
		FUZZ_CHECK(!r[i].by_pid || r[i].pid <= (1u << 30));
		FUZZ_CHECK(r[i].by_pid || r[i].until >= 0);
	}
}

static void interrupts(const char *text, size_t len)
{
	/* remapped only when "IR-" starts a word somewhere in the text */
	const char *ir = memmem(text, len, " IR-", 4), *tab = memmem(text, len, "\tIR-", 4);
	FUZZ_CHECK(vh_interrupts_parse(text, len) == (ir || tab));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static void (*const parsers[])(const char *, size_t) = { cmdline,   meminfo, cpuinfo,
								 iomem,     modules, reservations,
								 interrupts };
	if (size == 0)
		return 0;
	parsers[data[0] % (sizeof(parsers) / sizeof(parsers[0]))]((const char *)data + 1, size - 1);
	return 0;
}
