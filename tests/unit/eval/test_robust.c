/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Malformed hosts: every file the evaluation reads about the seed's GPU,
 * its group and the host, replaced in turn by garbage, an empty file, a
 * truncated copy or nothing. The evaluation must answer (a report, or an
 * error naming what it could not read) and never crash; ASan and UBSan
 * watch the same run in CI.
 */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>

static const char *const targets[] = {
	"sys/bus/pci/devices/0000:01:00.0/config",
	"sys/bus/pci/devices/0000:01:00.0/vendor",
	"sys/bus/pci/devices/0000:01:00.0/device",
	"sys/bus/pci/devices/0000:01:00.0/class",
	"sys/bus/pci/devices/0000:01:00.0/modalias",
	"sys/bus/pci/devices/0000:01:00.0/resource",
	"sys/bus/pci/devices/0000:01:00.0/reset_method",
	"sys/bus/pci/devices/0000:01:00.0/driver_override",
	"sys/bus/pci/devices/0000:01:00.0/boot_vga",
	"sys/bus/pci/devices/0000:01:00.1/config",
	"sys/bus/pci/devices/0000:01:00.0/driver",
	"sys/bus/pci/devices/0000:01:00.0/iommu_group",
	"sys/kernel/iommu_groups/12/devices/0000:01:00.1",
	"proc/modules",
	"proc/meminfo",
	"proc/cmdline",
	"proc/iomem",
	"proc/sys/kernel/osrelease",
	"etc/hostname",
	"etc/modules",
	"etc/pve/mapping/pci.cfg",
	"etc/pve/nodes/pve/qemu-server/100.conf",
	"etc/pve/nodes/pve/qemu-server/102.conf",
	"run/qemu-server/pci-id-reservations",
	"lib/modules/6.8.12-10-pve/modules.alias.bin",
	"lib/modules/6.8.12-10-pve/modules.dep.bin",
};

enum mutation { GARBAGE, EMPTY, TRUNCATE, REMOVE, LINK_LOOP, N_MUTATIONS };

static void mutate(const char *root, const char *rel, enum mutation m, unsigned seed)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if (m == TRUNCATE) {
		FILE *f = fopen(path, "r+");
		if (f) {
			fseek(f, 0, SEEK_END);
			long n = ftell(f);
			fclose(f);
			if (truncate(path, n / 3) < 0)
				unlink(path);
		}
		return;
	}
	unlink(path);
	if (m == REMOVE)
		return;
	if (m == LINK_LOOP) {
		if (symlink(path, path) < 0 && errno != ENOENT)
			fail_msg("symlink %s: %s", path, strerror(errno));
		return;
	}
	FILE *f = fopen(path, "w");
	if (!f)
		return; /* its directory was a link that is gone: fine */
	srand(seed);
	int n = m == EMPTY ? 0 : 1 + rand() % 600;
	for (int i = 0; i < n; i++)
		fputc(i % 7 == 0 ? "\n:,;=.[]#0x"[rand() % 11] : rand() % 256, f);
	fclose(f);
}

static void test_mutated_hosts(void **state)
{
	(void)state;
	unsigned runs = 0, reports = 0;
	for (size_t t = 0; t < sizeof(targets) / sizeof(targets[0]); t++) {
		for (int m = 0; m < N_MUTATIONS; m++) {
			char *root = vh_test_scratch_copy(vh_test_host("seed"));
			mutate(root, targets[t], (enum mutation)m, (unsigned)(t * 31 + (size_t)m));
			for (unsigned vmid = 100; vmid <= 102; vmid++) {
				struct vh_err e = { 0 };
				struct vh_host *h = vh_host_new(root, &e);
				assert_non_null(h);
				struct vh_policy *p = vh_policy_load(h, NULL, &e);
				assert_non_null(p);
				struct vh_report *r = vh_evaluate(h, vmid, p, &e);
				runs++;
				if (r) {
					reports++;
					assert_true(r->n_findings < 200);
				} else {
					assert_true(e.msg[0] != '\0'); /* an error says what */
				}
				vh_report_free(r);
				vh_policy_free(p);
				vh_host_free(h);
			}
			vh_test_scratch_free(root);
		}
	}
	print_message("%u evaluations on mutated hosts, %u reports, %u errors\n", runs, reports,
		      runs - reports);
	assert_true(reports > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_mutated_hosts) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
