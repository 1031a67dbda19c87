/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kinds of hostpci entry, judged as qemu-server judges them, each rule
 * both firing and staying quiet: a NIC on i440fx, a legacy IGD, a vGPU
 * (mdev, classic and NVIDIA's sysfs API), driver=keep, pcie=1 without q35,
 * a device named twice, a Proxmox VE 9 config. VM 200 is written into a
 * scratch copy of a committed host tree (seed: the GPU on vfio-pci, an NVMe,
 * a Realtek NIC at 03:00.0, a USB controller; nouveau: the GPU on nouveau).
 */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *host_with_vm(const char *tree, const char *conf)
{
	char *root = vh_test_scratch_copy(vh_test_host(tree));
	vh_test_write(root, "etc/pve/qemu-server/200.conf", conf);
	return root;
}

static struct vh_test_eval eval200(const char *root)
{
	return vh_test_evaluate(root, 200, NULL);
}

static void expect_allowed(const struct vh_report *r)
{
	if (vh_report_blocks(r)) {
		for (size_t i = 0; i < r->n_findings; i++)
			print_message("  %s %s: %s\n", r->findings[i].id, r->findings[i].subject,
				      r->findings[i].message);
		fail_msg("VM %u must be allowed", r->vmid);
	}
}

/* ---- Code 43 concerns display devices only ---- */

static void test_nic_on_i440fx_seabios_is_fine(void **state)
{
	(void)state;
	char *root = host_with_vm("seed", "memory: 2048\nballoon: 0\nhostpci0: 03:00.0\n");
	struct vh_test_eval ev = eval200(root);
	vh_test_expect_none(ev.r, "machine-i440fx");
	vh_test_expect_none(ev.r, "bios-seabios");
	vh_test_expect_none(ev.r, "rombar-enabled");
	vh_test_expect(ev.r, "driver-not-vfio", "0000:03:00.0", VH_SEV_WARN);
	expect_allowed(ev.r);
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

static void test_gpu_on_i440fx_seabios_is_code43(void **state)
{
	(void)state;
	char *root = host_with_vm("seed", "memory: 2048\nballoon: 0\nhostpci0: 03:00.0\n"
					  "hostpci1: 01:00\n");
	struct vh_test_eval ev = eval200(root);
	const struct vh_finding *f = vh_test_expect(ev.r, "machine-i440fx", "machine",
						    VH_SEV_ERROR);
	assert_contains(f->message, "0000:01:00.0");
	vh_test_expect(ev.r, "bios-seabios", "bios", VH_SEV_ERROR);
	vh_test_expect(ev.r, "rombar-enabled", "0000:01:00.0", VH_SEV_ERROR);
	assert_true(vh_report_blocks(ev.r));
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

/* ---- what qemu-server refuses ---- */

static void test_pcie_needs_q35(void **state)
{
	(void)state;
	char *root = host_with_vm("seed", "balloon: 0\nhostpci0: 03:00.0,pcie=1\n");
	struct vh_test_eval ev = eval200(root);
	const struct vh_finding *f = vh_test_expect(ev.r, "pcie-needs-q35", "hostpci0",
						    VH_SEV_ERROR);
	assert_contains(f->fix, "qm set 200 -machine q35");
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);

	root = host_with_vm("seed",
			    "balloon: 0\nmachine: pc-q35-9.0+pve1\nhostpci0: 03:00.0,pcie=1\n");
	ev = eval200(root);
	vh_test_expect_none(ev.r, "pcie-needs-q35");
	vh_test_expect_none(ev.r, "pcie-off");
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

static void test_device_duplicate(void **state)
{
	(void)state;
	/* 01:00 means both functions: 01:00.1 is then named twice */
	char *root = host_with_vm("seed", "hostpci0: 01:00\nhostpci1: 01:00.1\n");
	struct vh_test_eval ev = eval200(root);
	const struct vh_finding *f = vh_test_expect(ev.r, "device-duplicate", "0000:01:00.1",
						    VH_SEV_ERROR);
	assert_contains(f->message, "hostpci0 and hostpci1");
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
	/* twice inside one entry */
	root = host_with_vm("seed", "hostpci0: 03:00.0;03:00.0\n");
	ev = eval200(root);
	vh_test_expect(ev.r, "device-duplicate", "0000:03:00.0", VH_SEV_ERROR);
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
	/* each function once: quiet */
	root = host_with_vm("seed", "hostpci0: 01:00.0\nhostpci1: 01:00.1\n");
	ev = eval200(root);
	vh_test_expect_none(ev.r, "device-duplicate");
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

/* ---- legacy IGD ---- */

/* Gives a scratch tree a display device at 00:02.0 (a copy of the GPU's
 * sysfs directory, as an IGD sits on the root bus). */
static void add_igd(const char *root)
{
	char src[4096], dst[4096], link[4096];
	snprintf(src, sizeof(src), "%s/sys/devices/pci0000:00/0000:00:01.1/0000:01:00.0", root);
	snprintf(dst, sizeof(dst), "%s/sys/devices/pci0000:00/0000:00:02.0", root);
	const char *cp[] = { "/bin/cp", "-a", src, dst, NULL };
	assert_int_equal(vh_test_run(cp, NULL, NULL), 0);
	snprintf(link, sizeof(link), "%s/sys/bus/pci/devices/0000:00:02.0", root);
	const char *ln[] = { "/bin/ln", "-s", "../../../devices/pci0000:00/0000:00:02.0", link,
			     NULL };
	assert_int_equal(vh_test_run(ln, NULL, NULL), 0);
}

static void test_legacy_igd_valid(void **state)
{
	(void)state;
	/* exactly what qemu-server requires: i440fx, vga none, ROM BAR on */
	char *root = host_with_vm("seed", "machine: pc\nvga: none\nballoon: 0\nmemory: 2048\n"
					  "hostpci0: 00:02.0,legacy-igd=1\n");
	add_igd(root);
	struct vh_test_eval ev = eval200(root);
	vh_test_expect_none(ev.r, "legacy-igd-invalid");
	vh_test_expect_none(ev.r, "machine-i440fx");
	vh_test_expect_none(ev.r, "bios-seabios");
	vh_test_expect_none(ev.r, "rombar-enabled");
	vh_test_expect_none(ev.r, "pcie-off");
	/* the SR-IOV and driver=keep rules stay quiet on a legacy IGD */
	vh_test_expect_none(ev.r, "sriov-vfs-in-use");
	vh_test_expect_none(ev.r, "vf-not-created");
	vh_test_expect_none(ev.r, "keep-not-vfio");
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

static void test_legacy_igd_rules(void **state)
{
	(void)state;
	char *root = host_with_vm("seed", "machine: q35\nvga: std\nbios: ovmf\nefidisk0: x:1\n"
					  "hostpci0: 00:02.0,legacy-igd=1,rombar=0,x-vga=1\n"
					  "hostpci1: 01:00,legacy-igd=1\n");
	add_igd(root);
	struct vh_test_eval ev = eval200(root);
	static const char *const rules[] = { "vga: none", "requires the ROM BAR", "x-vga",
					     "q35",       "only one device",      "multifunction",
					     "00:02.0" };
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		bool named = false;
		for (size_t j = 0; j < ev.r->n_findings; j++)
			named |= !strcmp(ev.r->findings[j].id, "legacy-igd-invalid") &&
				 strstr(ev.r->findings[j].message, rules[i]);
		if (!named)
			fail_msg("legacy-igd-invalid should name the rule '%s'", rules[i]);
	}
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

/* ---- mdev: the parent stays on its host driver ---- */

static void test_mdev_available(void **state)
{
	(void)state;
	char *root = host_with_vm("nouveau", "machine: pc\nballoon: 0\nmemory: 2048\n"
					     "hostpci0: 01:00.0,mdev=nvidia-63\n"
					     "hostpci1: 01:00.0,mdev=nvidia-63\n");
	vh_test_write(root,
		      "sys/bus/pci/devices/0000:01:00.0/mdev_supported_types/nvidia-63/"
		      "available_instances",
		      "2\n");
	struct vh_test_eval ev = eval200(root);
	/* no driver, group, ROM, Code-43 or sharing verdicts on a vGPU parent */
	vh_test_expect_none(ev.r, "mdev-unavailable");
	vh_test_expect_none(ev.r, "driver-not-vfio");
	vh_test_expect_none(ev.r, "host-driver-not-blacklisted");
	vh_test_expect_none(ev.r, "group-not-isolated");
	vh_test_expect_none(ev.r, "rombar-enabled");
	vh_test_expect_none(ev.r, "machine-i440fx");
	vh_test_expect_none(ev.r, "device-duplicate");
	expect_allowed(ev.r);
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

static void test_mdev_unavailable(void **state)
{
	(void)state;
	char *root = host_with_vm("nouveau", "hostpci0: 01:00.0,mdev=nvidia-63\n"
					     "hostpci1: 03:00.0,mdev=i915-GVTg_V5_4\n"
					     "hostpci2: 01:00.0,mdev=nvidia-64\n");
	vh_test_write(root,
		      "sys/bus/pci/devices/0000:01:00.0/mdev_supported_types/nvidia-63/"
		      "available_instances",
		      "0\n");
	struct vh_test_eval ev = eval200(root);
	assert_contains(vh_test_expect(ev.r, "mdev-unavailable", "hostpci0", VH_SEV_ERROR)->message,
			"no available instance");
	assert_contains(vh_test_expect(ev.r, "mdev-unavailable", "hostpci1", VH_SEV_ERROR)->message,
			"offers no mediated device types");
	assert_contains(vh_test_expect(ev.r, "mdev-unavailable", "hostpci2", VH_SEV_ERROR)->message,
			"no such mdev type");
	vh_test_eval_done(&ev);
	/* the VM's own instance already exists: qemu-server reuses it */
	vh_test_write(root,
		      "sys/bus/pci/devices/0000:01:00.0/00000000-0000-0000-0000-000000000200/"
		      "mdev_type",
		      "");
	ev = eval200(root);
	assert_null(vh_test_find(ev.r, "mdev-unavailable", "hostpci0"));
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

static void test_mdev_nvidia_sysfs_api(void **state)
{
	(void)state;
	char *root = host_with_vm("nouveau", "hostpci0: 01:00.0,mdev=nvidia-35\n");
	vh_test_write(root, "sys/bus/pci/devices/0000:01:00.0/nvidia/current_vgpu_type", "0\n");
	vh_test_write(root, "sys/bus/pci/devices/0000:01:00.0/nvidia/creatable_vgpu_types",
		      "ID    : vGPU Name\n35    : NVIDIA L4-2Q\n36    : NVIDIA L4-4Q\n");
	struct vh_test_eval ev = eval200(root);
	vh_test_expect_none(ev.r, "mdev-unavailable");
	vh_test_expect_none(ev.r, "driver-not-vfio");
	vh_test_eval_done(&ev);
	vh_test_write(root, "etc/pve/qemu-server/200.conf", "hostpci0: 01:00.0,mdev=nvidia-99\n");
	ev = eval200(root);
	assert_contains(vh_test_expect(ev.r, "mdev-unavailable", "hostpci0", VH_SEV_ERROR)->message,
			"creatable");
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

static void test_mdev_multifunction_refused(void **state)
{
	(void)state;
	char *root = host_with_vm("nouveau", "hostpci0: 01:00,mdev=nvidia-63\n");
	vh_test_write(root,
		      "sys/bus/pci/devices/0000:01:00.0/mdev_supported_types/nvidia-63/"
		      "available_instances",
		      "2\n");
	struct vh_test_eval ev = eval200(root);
	assert_contains(vh_test_expect(ev.r, "mdev-unavailable", "hostpci0", VH_SEV_ERROR)->message,
			"multifunction");
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

/* ---- driver=keep ---- */

static void test_driver_keep(void **state)
{
	(void)state;
	char *root = host_with_vm("nouveau", "hostpci0: 01:00,driver=keep\n");
	struct vh_test_eval ev = eval200(root);
	vh_test_expect_none(ev.r, "driver-not-vfio");
	vh_test_expect_none(ev.r, "host-driver-not-blacklisted");
	vh_test_eval_done(&ev);
	vh_test_write(root, "etc/pve/qemu-server/200.conf", "hostpci0: 01:00\n");
	ev = eval200(root);
	vh_test_expect(ev.r, "driver-not-vfio", "0000:01:00.0", VH_SEV_WARN);
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

/* ---- a Proxmox VE 9 config on the seed host is allowed ---- */

static void test_pve9_config_allowed(void **state)
{
	(void)state;
	char *root = host_with_vm("seed",
				  "bios: ovmf\nefidisk0: local-lvm:vm-200-disk-1,size=4M\n"
				  "machine: type=pc-q35-10.0+pve1,viommu=intel,aw-bits=39,"
				  "enable-s3=0\nguest-phys-bits: 39\nballoon: 0\nmemory: 4096\n"
				  "hostpci0: 0000:01:00,pcie=1,rombar=0,some-future-option=1,\n");
	struct vh_test_eval ev = eval200(root);
	vh_test_expect_none(ev.r, "vm-config");
	expect_allowed(ev.r);
	assert_int_equal(ev.r->n_devices, 2);
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

/* qemu-server parses device numbers above 1f and then finds no device. */
static void test_grammar_wider_than_hardware(void **state)
{
	(void)state;
	char *root = host_with_vm("seed", "machine: q35\nhostpci0: 00:ff.1,driver=keep\n"
					  "hostpci1: f0:42\n");
	struct vh_test_eval ev = eval200(root);
	vh_test_expect_none(ev.r, "vm-config");
	vh_test_expect(ev.r, "device-missing", "0000:00:ff.1", VH_SEV_ERROR);
	vh_test_expect(ev.r, "device-missing", "0000:f0:42.0", VH_SEV_ERROR);
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

/* Isolation fails closed: a group member that cannot be read counts. */
static void test_unreadable_group_member_counts(void **state)
{
	(void)state;
	char *root = host_with_vm("seed", "machine: q35\nbios: ovmf\nballoon: 0\nmemory: 2048\n"
					  "hostpci0: 02:00.0,pcie=1\n");
	struct vh_test_eval ev = eval200(root);
	vh_test_expect_none(ev.r, "group-not-isolated");
	vh_test_eval_done(&ev);
	char link[4096];
	snprintf(link, sizeof(link), "%s/sys/kernel/iommu_groups/13/devices/0000:07:00.0", root);
	const char *ln[] = { "/bin/ln", "-s", "../../../../devices/pci0000:00/0000:07:00.0", link,
			     NULL };
	assert_int_equal(vh_test_run(ln, NULL, NULL), 0);
	ev = eval200(root);
	assert_contains(vh_test_expect(ev.r, "group-not-isolated", "0000:02:00.0", VH_SEV_ERROR)
				->message,
			"0000:07:00.0 (cannot be read)");
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

/* ---- mapping alternatives, as choose_hostpci_devices ---- */

#define GPU_MAP "\tmap node=pve,path=0000:01:00,id=10de:2803,subsystem-id=1043:88a1,iommugroup=12\n"
#define NIC_MAP \
	"\tmap node=pve,path=0000:03:00.0,id=10ec:8168,subsystem-id=1043:8677,iommugroup=14\n"

static void test_mapping_first_free_alternative_wins(void **state)
{
	(void)state;
	char *root = host_with_vm("seed", "hostpci0: mapping=pool\n");
	vh_test_write(root, "etc/pve/mapping/pci.cfg", "pool\n" GPU_MAP NIC_MAP);
	struct vh_test_eval ev = eval200(root);
	vh_test_expect_none(ev.r, "mapping-unresolved");
	assert_int_equal(ev.r->n_devices, 2); /* the GPU's two functions */
	assert_int_equal(ev.r->devices[0].addr.bus, 1);
	vh_test_eval_done(&ev);
	/* VM 555 runs and holds the GPU: the next map is chosen */
	vh_test_vm_running(root, 555, 4242);
	vh_test_write(root, "run/qemu-server/pci-id-reservations", "0000:01:00.0 555 pid:4242\n");
	ev = eval200(root);
	vh_test_expect_none(ev.r, "mapping-unresolved");
	vh_test_expect_none(ev.r, "device-in-use");
	assert_int_equal(ev.r->n_devices, 1);
	assert_int_equal(ev.r->devices[0].addr.bus, 3);
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

static void test_mapping_every_map_must_match(void **state)
{
	(void)state;
	char *root = host_with_vm("seed", "hostpci0: mapping=pool\n");
	/* the second map names a device whose id changed: the start fails */
	vh_test_write(
		root, "etc/pve/mapping/pci.cfg",
		"pool\n" GPU_MAP
		"\tmap node=pve,path=0000:03:00.0,id=8086:10d3,subsystem-id=1043:8677,iommugroup=14\n");
	struct vh_test_eval ev = eval200(root);
	assert_contains(vh_test_expect(ev.r, "mapping-unresolved", "hostpci0", VH_SEV_ERROR)
				->message,
			"0000:03:00.0 is 10ec:8168");
	vh_test_eval_done(&ev);
	/* a map without subsystem-id for a device that has one is invalid */
	vh_test_write(root, "etc/pve/mapping/pci.cfg",
		      "pool\n\tmap node=pve,path=0000:03:00.0,id=10ec:8168,iommugroup=14\n");
	ev = eval200(root);
	assert_contains(vh_test_expect(ev.r, "mapping-unresolved", "hostpci0", VH_SEV_ERROR)
				->message,
			"subsystem-id");
	vh_test_eval_done(&ev);
	/* a map line that does not parse is skipped; the other one is used */
	vh_test_write(root, "etc/pve/mapping/pci.cfg", "pool\n\tmap node=pve,path=zz\n" NIC_MAP);
	ev = eval200(root);
	vh_test_expect_none(ev.r, "mapping-unresolved");
	assert_int_equal(ev.r->devices[0].addr.bus, 3);
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

/* A terminal escape sequence in a config value never reaches the admin's
 * terminal: not through a finding's message or fix, not through the hook. */
static void test_config_escapes_never_printed(void **state)
{
	(void)state;
	char *root = host_with_vm("seed", "machine: q35\nballoon: 0\n"
					  "hostpci0: 03:00.0,x-evil=\x1b]0;owned\x07\x1b[31m\n");
	struct vh_test_eval ev = eval200(root);
	const struct vh_finding *f = vh_test_expect(ev.r, "pcie-off", "hostpci0", VH_SEV_WARN);
	assert_contains(f->fix, "x-evil=?]0;owned??[31m");
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	vh_report_print(ev.r, mem);
	fclose(mem);
	assert_null(strchr(text, '\x1b'));
	assert_null(strchr(text, '\x07'));
	free(text);
	vh_test_eval_done(&ev);
	const char *argv[] = { VH_VFIO_HOOK, "--root", root, "200", "pre-start", NULL };
	char *out;
	vh_test_run(argv, &out, NULL);
	assert_contains(out, "x-evil=?]0;owned");
	assert_null(strchr(out, '\x1b'));
	free(out);
	vh_test_scratch_free(root);
}

/* A copy of the NIC at 0000:BB:00.0 with device id `device`, in config
 * space and in sysfs. */
static void add_nic_copy(const char *root, unsigned bus, unsigned device)
{
	char src[4096], dst[4096], link[4096], target[256], cfg[4200];
	snprintf(src, sizeof(src), "%s/sys/devices/pci0000:00/0000:00:01.3/0000:03:00.0", root);
	snprintf(dst, sizeof(dst), "%s/sys/devices/pci0000:00/0000:00:01.3/0000:%02x:00.0", root,
		 bus);
	const char *cp[] = { "/bin/cp", "-a", src, dst, NULL };
	assert_int_equal(vh_test_run(cp, NULL, NULL), 0);
	snprintf(link, sizeof(link), "%s/sys/bus/pci/devices/0000:%02x:00.0", root, bus);
	snprintf(target, sizeof(target), "../../../devices/pci0000:00/0000:00:01.3/0000:%02x:00.0",
		 bus);
	assert_int_equal(symlink(target, link), 0);
	snprintf(cfg, sizeof(cfg), "%s/config", dst);
	FILE *f = fopen(cfg, "r+b");
	assert_non_null(f);
	unsigned char id[2] = { (unsigned char)(device & 0xff), (unsigned char)(device >> 8) };
	assert_int_equal(fseek(f, 2, SEEK_SET), 0);
	assert_int_equal(fwrite(id, 1, 2, f), 2);
	fclose(f);
	char rel[128], hex[16];
	snprintf(rel, sizeof(rel), "sys/devices/pci0000:00/0000:00:01.3/0000:%02x:00.0/device",
		 bus);
	snprintf(hex, sizeof(hex), "0x%04x\n", device);
	vh_test_write(root, rel, hex); /* libpci's sysfs back end reads the id here */
}

/* The suggested "options vfio-pci ids=" line holds whole ids only: one cut
 * short would name another device (10de:811 for 10de:8114). */
static void test_ids_line_never_cut(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	/* the NIC and 40 copies with device ids 8100..8127, 15 to an entry */
	char conf[2048] = "hostpci0: 03:00.0";
	for (unsigned i = 0; i < 40; i++) {
		add_nic_copy(root, 0x20 + i, 0x8100 + i);
		char addr[32];
		if ((i + 1) % 15 == 0)
			snprintf(addr, sizeof(addr), "\nhostpci%u: %02x:00.0", (i + 1) / 15,
				 0x20 + i);
		else
			snprintf(addr, sizeof(addr), ";%02x:00.0", 0x20 + i);
		strcat(conf, addr);
	}
	strcat(conf, "\n");
	vh_test_write(root, "etc/pve/qemu-server/200.conf", conf);
	struct vh_test_eval ev = eval200(root);
	const struct vh_finding *f = vh_test_expect(ev.r, "driver-not-vfio", "0000:03:00.0",
						    VH_SEV_WARN);
	const char *ids = strstr(f->fix, "ids=");
	assert_non_null(ids);
	ids += 4;
	size_t n = strcspn(ids, "'");
	assert_true(n > 100); /* many ids, but not all 41 */
	for (const char *p = ids; p < ids + n;) {
		size_t len = strcspn(p, ",'");
		if (len != 9 || p[4] != ':')
			fail_msg("'%.*s' in the ids= line is not a whole vendor:device", (int)len,
				 p);
		p += len + 1;
	}
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nic_on_i440fx_seabios_is_fine),
		cmocka_unit_test(test_gpu_on_i440fx_seabios_is_code43),
		cmocka_unit_test(test_pcie_needs_q35),
		cmocka_unit_test(test_device_duplicate),
		cmocka_unit_test(test_legacy_igd_valid),
		cmocka_unit_test(test_legacy_igd_rules),
		cmocka_unit_test(test_mdev_available),
		cmocka_unit_test(test_mdev_unavailable),
		cmocka_unit_test(test_mdev_nvidia_sysfs_api),
		cmocka_unit_test(test_mdev_multifunction_refused),
		cmocka_unit_test(test_driver_keep),
		cmocka_unit_test(test_pve9_config_allowed),
		cmocka_unit_test(test_grammar_wider_than_hardware),
		cmocka_unit_test(test_unreadable_group_member_counts),
		cmocka_unit_test(test_mapping_first_free_alternative_wins),
		cmocka_unit_test(test_mapping_every_map_must_match),
		cmocka_unit_test(test_config_escapes_never_printed),
		cmocka_unit_test(test_ids_line_never_cut),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
