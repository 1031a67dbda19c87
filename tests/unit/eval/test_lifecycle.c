/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Proxmox's lifecycle beyond one start (issue 15), on the `sriov` host tree
 * and scratch copies of others: SR-IOV PFs and VFs, NVIDIA vGPU VFs, an AMD
 * GPU, hugepages, driver=keep, entries in index order, mapping pools and
 * their mdev flag, IOMMU groups of any size, and a VM migrating in. Each rule
 * is shown where it fires and where it stays quiet.
 */
#include "testlib.h"
#include "pve/ownership.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct vh_test_eval sriov(unsigned vmid)
{
	return vh_test_evaluate(vh_test_host("sriov"), vmid, NULL);
}

static void expect_allowed(const struct vh_report *r)
{
	if (vh_report_blocks(r))
		for (size_t i = 0; i < r->n_findings; i++)
			print_message("%s %s %s\n", vh_severity_name(r->findings[i].severity),
				      r->findings[i].id, r->findings[i].subject);
	assert_false(vh_report_blocks(r));
}

/* A VF's ID registers read ffff by spec: not device-unresponsive; its
 * identity is sysfs's. A dead PF-less card still is (health's 09:00.0). */
static void test_vf_identity_from_sysfs(void **state)
{
	(void)state;
	struct vh_test_eval ev = sriov(200);
	expect_allowed(ev.r);
	vh_test_expect_none(ev.r, "device-unresponsive");
	assert_int_equal(ev.r->devices[0].dev->vendor, 0x8086);
	assert_int_equal(ev.r->devices[0].dev->device, 0x10ca);
	assert_true(ev.r->devices[0].dev->is_vf);
	vh_test_eval_done(&ev);
	ev = vh_test_evaluate(vh_test_host("health"), 114, NULL);
	vh_test_expect(ev.r, "device-unresponsive", "0000:09:00.0", VH_SEV_ERROR);
	vh_test_eval_done(&ev);
}

static void test_sriov_vfs_in_use(void **state)
{
	(void)state;
	struct vh_test_eval ev = sriov(170);
	const struct vh_finding *f = vh_test_expect(ev.r, "sriov-vfs-in-use", "0000:05:00.0",
						    VH_SEV_ERROR);
	assert_contains(f->message, "0000:05:10.0 (VM 200 holds it)");
	assert_contains(f->message, "0000:05:10.2 (igbvf)");
	vh_test_eval_done(&ev);
	/* quiet: the same PF with no VF bound or passed */
	char *root = vh_test_scratch_copy(vh_test_host("sriov"));
	vh_test_write(root, "run/qemu-server/pci-id-reservations", "");
	vh_test_write(root, "run/qemu-server/200.pid", "");
	char path[4200];
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/0000:05:10.2/driver", root);
	assert_int_equal(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/0000:05:10.0/driver", root);
	assert_int_equal(unlink(path), 0);
	ev = vh_test_evaluate(root, 170, NULL);
	vh_test_expect_none(ev.r, "sriov-vfs-in-use");
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

static void test_vf_not_created(void **state)
{
	(void)state;
	struct vh_test_eval ev = sriov(171);
	const struct vh_finding *f = vh_test_expect(ev.r, "vf-not-created", "0000:05:10.4",
						    VH_SEV_ERROR);
	vh_test_expect_none(ev.r, "device-missing");
	assert_contains(f->message, "VF 2 of SR-IOV PF 0000:05:00.0");
	assert_contains(f->fix, "echo 3 > /sys/bus/pci/devices/0000:05:00.0/sriov_numvfs");
	assert_contains(f->fix, "sysfs.conf");
	assert_not_contains(f->fix, "ids=");
	vh_test_eval_done(&ev);
	/* quiet: an address outside every VF range is a plain missing device */
	ev = vh_test_evaluate(vh_test_host("seed"), 107, NULL);
	vh_test_expect(ev.r, "device-missing", "0000:09:00.0", VH_SEV_ERROR);
	vh_test_expect_none(ev.r, "vf-not-created");
	vh_test_eval_done(&ev);
}

/* VF 1 on igbvf: the hook binds it by address; no fix says ids= (an iGPU VF
 * has its PF's id), no host-driver-not-blacklisted for a VF. */
static void test_vf_fixes_never_by_id(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("sriov"));
	vh_test_write(root, "etc/pve/qemu-server/190.conf",
		      "hostpci0: 0000:05:10.2,pcie=1\n"
		      "machine: q35\nbios: ovmf\nefidisk0: x\nballoon: 0\n");
	struct vh_test_eval ev = vh_test_evaluate(root, 190, NULL);
	const struct vh_finding *f = vh_test_expect(ev.r, "driver-not-vfio", "0000:05:10.2",
						    VH_SEV_WARN);
	assert_not_contains(f->fix, "ids=");
	vh_test_expect_none(ev.r, "host-driver-not-blacklisted");
	for (size_t i = 0; i < ev.r->n_findings; i++)
		assert_not_contains(ev.r->findings[i].fix, "vfio-pci ids=");
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

/* A vGPU VF another running VM has is in use; the free one is not. */
static void test_vgpu_vf_in_use(void **state)
{
	(void)state;
	struct vh_test_eval ev = sriov(130);
	vh_test_expect(ev.r, "device-in-use", "0000:06:00.4", VH_SEV_ERROR);
	vh_test_eval_done(&ev);
	ev = sriov(131);
	expect_allowed(ev.r);
	vh_test_expect_none(ev.r, "device-in-use");
	vh_test_eval_done(&ev);
	/* without the reservations, VM 200's running config still holds it */
	char *root = vh_test_scratch_copy(vh_test_host("sriov"));
	vh_test_write(root, "run/qemu-server/pci-id-reservations", "");
	ev = vh_test_evaluate(root, 130, NULL);
	vh_test_expect(ev.r, "device-in-use", "0000:06:00.4", VH_SEV_ERROR);
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

/* Code 43 is NVIDIA's: an AMD card on i440fx/SeaBIOS gets warnings and
 * keeps its ROM BAR; the seed's NVIDIA card gets the errors. */
static void test_code43_is_nvidias(void **state)
{
	(void)state;
	struct vh_test_eval ev = sriov(140);
	expect_allowed(ev.r);
	vh_test_expect(ev.r, "machine-i440fx", "machine", VH_SEV_WARN);
	vh_test_expect(ev.r, "bios-seabios", "bios", VH_SEV_WARN);
	vh_test_expect_none(ev.r, "rombar-enabled");
	vh_test_eval_done(&ev);
	ev = sriov(141);
	vh_test_expect_none(ev.r, "machine-i440fx");
	vh_test_expect_none(ev.r, "rombar-enabled");
	vh_test_eval_done(&ev);
	ev = vh_test_evaluate(vh_test_host("seed"), 101, NULL);
	vh_test_expect(ev.r, "machine-i440fx", "machine", VH_SEV_ERROR);
	vh_test_expect(ev.r, "bios-seabios", "bios", VH_SEV_ERROR);
	vh_test_expect(ev.r, "rombar-enabled", "0000:01:00.0", VH_SEV_ERROR);
	vh_test_eval_done(&ev);
}

static void test_keep_not_vfio(void **state)
{
	(void)state;
	struct vh_test_eval ev = sriov(160);
	const struct vh_finding *f = vh_test_expect(ev.r, "keep-not-vfio", "0000:05:10.2",
						    VH_SEV_ERROR);
	assert_contains(f->message, "igbvf");
	vh_test_eval_done(&ev);
	ev = sriov(161); /* on vfio-pci */
	vh_test_expect_none(ev.r, "keep-not-vfio");
	expect_allowed(ev.r);
	vh_test_eval_done(&ev);
	/* a vfio variant driver (mlx5_vfio_pci and the like) has a vfio-dev/ directory */
	char *root = vh_test_scratch_copy(vh_test_host("sriov"));
	vh_test_write(root, "sys/bus/pci/devices/0000:05:10.2/vfio-dev/vfio0/dev", "511:0\n");
	ev = vh_test_evaluate(root, 160, NULL);
	vh_test_expect_none(ev.r, "keep-not-vfio");
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

/* hugepages_allocate: the 2 MiB pool covers 28 GiB though MemAvailable
 * (24 GiB) does not; 64 GiB of 1 GiB pages cannot be allocated; numa is
 * required. */
static void test_hugepages(void **state)
{
	(void)state;
	struct vh_test_eval ev = sriov(180);
	expect_allowed(ev.r);
	vh_test_expect_none(ev.r, "memory-insufficient");
	vh_test_eval_done(&ev);
	ev = sriov(181);
	const struct vh_finding *f = vh_test_expect(ev.r, "memory-insufficient", "memory",
						    VH_SEV_ERROR);
	assert_contains(f->message, "64 hugepages of 1024 MiB");
	assert_contains(f->fix, "hugepages-1048576kB/nr_hugepages");
	vh_test_eval_done(&ev);
	ev = sriov(182);
	f = vh_test_expect(ev.r, "memory-insufficient", "hugepages", VH_SEV_ERROR);
	assert_contains(f->fix, "-numa 1");
	vh_test_eval_done(&ev);
	/* the same 28 GiB VM without hugepages exceeds MemAvailable */
	char *root = vh_test_scratch_copy(vh_test_host("sriov"));
	vh_test_write(root, "etc/pve/qemu-server/180.conf",
		      "memory: 28672\nnuma: 1\nmachine: q35\n"
		      "bios: ovmf\nefidisk0: x\nballoon: 0\nhostpci0: 0000:07:00,pcie=1\n");
	ev = vh_test_evaluate(root, 180, NULL);
	vh_test_expect(ev.r, "memory-insufficient", "memory", VH_SEV_ERROR);
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

static char *seed_vm(const char *conf)
{
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	vh_test_write(root, "etc/pve/qemu-server/200.conf", conf);
	return root;
}

#define GPU_MAP "\tmap node=pve,path=0000:01:00,id=10de:2803,subsystem-id=1043:88a1,iommugroup=12\n"
#define NIC_MAP \
	"\tmap node=pve,path=0000:03:00.0,id=10ec:8168,subsystem-id=1043:8677,iommugroup=14\n"

/* qemu-server walks hostpci0..15 by index: hostpci2's mapping takes the
 * GPU first, so hostpci10 naming the GPU is "assigned more than once". In
 * file order hostpci10 came first and the mapping moved on to the NIC. */
static void test_entries_in_index_order(void **state)
{
	(void)state;
	char *root = seed_vm(
		"machine: q35\nbios: ovmf\nefidisk0: x\nballoon: 0\n"
		"hostpci10: 0000:01:00,pcie=1,rombar=0\nhostpci2: mapping=pool,pcie=1,rombar=0\n");
	vh_test_write(root, "etc/pve/mapping/pci.cfg", "pool\n" GPU_MAP NIC_MAP);
	struct vh_test_eval ev = vh_test_evaluate(root, 200, NULL);
	assert_int_equal(ev.r->vm.hostpci[0].index, 2);
	assert_int_equal(ev.r->vm.hostpci[1].index, 10);
	vh_test_expect(ev.r, "device-duplicate", "0000:01:00.0", VH_SEV_ERROR);
	assert_int_equal(ev.r->devices[0].hostpci_index, 2);
	vh_test_eval_done(&ev);
	/* quiet: the entries the other way round pass over the GPU to the NIC */
	vh_test_write(
		root, "etc/pve/qemu-server/200.conf",
		"machine: q35\nbios: ovmf\nefidisk0: x\n"
		"balloon: 0\nhostpci10: mapping=pool,pcie=1\nhostpci2: 0000:01:00,pcie=1,rombar=0\n");
	ev = vh_test_evaluate(root, 200, NULL);
	vh_test_expect_none(ev.r, "device-duplicate");
	vh_test_expect_none(ev.r, "mapping-unresolved");
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

/* A pool of 17 maps whose first 16 are taken: the 17th is found. */
static void test_mapping_pool_of_any_size(void **state)
{
	(void)state;
	char *root = seed_vm(
		"machine: q35\nbios: ovmf\nefidisk0: x\nballoon: 0\nhostpci0: mapping=pool,pcie=1\n");
	char cfg[8192] = "pool\n";
	for (int i = 0; i < 16; i++)
		strcat(cfg, GPU_MAP);
	strcat(cfg, NIC_MAP);
	vh_test_write(root, "etc/pve/mapping/pci.cfg", cfg);
	vh_test_vm_running(root, 555, 4242);
	vh_test_write(root, "run/qemu-server/pci-id-reservations", "0000:01:00.0 555 pid:4242\n");
	struct vh_test_eval ev = vh_test_evaluate(root, 200, NULL);
	vh_test_expect_none(ev.r, "mapping-unresolved");
	assert_int_equal(ev.r->n_devices, 1);
	assert_int_equal(ev.r->devices[0].addr.bus, 3);
	assert_int_equal(ev.r->vm.hostpci[0].n_alternatives, 17);
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

/* assert_valid: the mapping's mdev flag must match what the device offers. */
static void test_mapping_mdev_flag(void **state)
{
	(void)state;
	char *root = seed_vm("machine: q35\nbios: ovmf\nefidisk0: x\nballoon: 0\n"
			     "hostpci0: mapping=gpu,pcie=1,rombar=0\n");
	vh_test_write(root, "etc/pve/mapping/pci.cfg", "gpu\n\tmdev 1\n" GPU_MAP);
	struct vh_test_eval ev = vh_test_evaluate(root, 200, NULL);
	const struct vh_finding *f = vh_test_expect(ev.r, "mapping-unresolved", "hostpci0",
						    VH_SEV_ERROR);
	assert_contains(f->message, "'mdev' does not match: the mapping says 1");
	vh_test_eval_done(&ev);
	vh_test_write(root, "etc/pve/mapping/pci.cfg", "gpu\n\tmdev 0\n" GPU_MAP);
	ev = vh_test_evaluate(root, 200, NULL);
	vh_test_expect_none(ev.r, "mapping-unresolved");
	vh_test_eval_done(&ev);
	/* no mdev line is "mdev 0" to qemu-server: quiet for a card without mdev types... */
	vh_test_write(root, "etc/pve/mapping/pci.cfg", "gpu\n" GPU_MAP);
	ev = vh_test_evaluate(root, 200, NULL);
	vh_test_expect_none(ev.r, "mapping-unresolved");
	vh_test_eval_done(&ev);
	/* ...and a start Proxmox refuses for a card that offers them */
	vh_test_write(root, "sys/bus/pci/devices/0000:01:00.0/mdev_supported_types/nvidia-1/name",
		      "x\n");
	ev = vh_test_evaluate(root, 200, NULL);
	f = vh_test_expect(ev.r, "mapping-unresolved", "hostpci0", VH_SEV_ERROR);
	assert_contains(f->message, "the mapping says 0 (no mdev line) but 0000:01:00.0 offers");
	vh_test_eval_done(&ev);
	vh_test_write(root, "etc/pve/mapping/pci.cfg", "gpu\n\tmdev 1\n" GPU_MAP);
	ev = vh_test_evaluate(root, 200, NULL);
	vh_test_expect_none(ev.r, "mapping-unresolved");
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

/* An IOMMU group of 80 members is judged by its members, not its size. */
static void test_group_of_any_size(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	for (int i = 0; i < 78; i++) {
		char rel[128];
		snprintf(rel, sizeof(rel), "sys/kernel/iommu_groups/12/devices/0000:%02x:00.0",
			 0x40 + i);
		vh_test_write(root, rel,
			      ""); /* not a device: cannot be read, counts against isolation */
	}
	struct vh_test_eval ev = vh_test_evaluate(root, 100, NULL);
	const struct vh_finding *f = vh_test_expect(ev.r, "group-not-isolated", "0000:01:00.0",
						    VH_SEV_ERROR);
	assert_not_contains(f->message, "cannot list");
	assert_contains(f->message, "00.0 (cannot be read)");
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

/* PVE_MIGRATED_FROM: the config is read under the source node's directory;
 * a value that is not a node name builds no path. */
static void test_migration_config(void **state)
{
	(void)state;
	struct vh_err err;
	struct vh_host *h = vh_host_new(vh_test_host("sriov"), &err);
	assert_non_null(h);
	struct vh_vmconf *vm = malloc(sizeof(*vm));
	assert_int_equal(vh_vmconf_load(h, 150, vm, &err), -1);
	static const char *const bad[] = {
		"../pve", "pve2/..", "-pve", "pve-", "", "a b", "pve2\n"
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(vh_host_set_migration(h, 150, bad[i], &err), -1);
	assert_int_equal(vh_host_set_migration(h, 150, "pve2", &err), 0);
	assert_int_equal(vh_vmconf_load(h, 150, vm, &err), 0);
	assert_int_equal(vm->n_hostpci, 1);
	/* other VMs stay this node's */
	assert_int_equal(vh_vmconf_load(h, 100, vm, &err), 0);
	free(vm);
	vh_host_free(h);
}

static void test_migration_hook(void **state)
{
	(void)state;
	const char *argv[] = { VH_VFIO_HOOK, "--root", NULL, "150", "pre-start", NULL };
	char *root = vh_test_scratch_copy(vh_test_host("sriov"));
	argv[2] = root;
	struct vh_test_proc p;
	vh_test_run_env(argv, NULL, 20000, &p);
	assert_int_equal(p.status, 1);
	assert_contains(p.out, "vm-config");
	vh_test_proc_free(&p);
	const char *const env[] = { "PVE_MIGRATED_FROM=pve2", NULL };
	vh_test_run_env(argv, env, 20000, &p);
	assert_int_equal(p.status, 0);
	assert_contains(p.out, "start allowed");
	vh_test_proc_free(&p);
	const char *const bad[] = { "PVE_MIGRATED_FROM=../../tmp", NULL };
	vh_test_run_env(argv, bad, 20000, &p);
	assert_int_equal(p.status, 1);
	assert_contains(p.out, "error migration");
	vh_test_proc_free(&p);
	vh_test_scratch_free(root);
}

/* vm_running_locally's cmdline test: the pidfile argument after -pidfile or
 * --pidfile, exactly; NUL-separated, not one string. */
static void test_cmdline_names_pidfile(void **state)
{
	(void)state;
	static const char ok1[] =
		"/usr/bin/kvm\0-id\0200\0-pidfile\0/var/run/qemu-server/200.pid\0-daemonize";
	static const char ok2[] = "kvm\0--pidfile\0/var/run/qemu-server/200.pid";
	static const char other[] = "kvm\0-pidfile\0/var/run/qemu-server/201.pid\0";
	static const char prefix[] = "kvm\0-pidfile\0/var/run/qemu-server/200.pidx\0";
	static const char joined[] = "kvm -pidfile /var/run/qemu-server/200.pid";
	static const char noflag[] = "kvm\0-name\0/var/run/qemu-server/200.pid\0";
	static const char cut[] = "kvm\0-pidfile\0/var/run/qemu-server/20";
	assert_true(vh_cmdline_names_pidfile(ok1, sizeof(ok1) - 1, 200));
	assert_true(vh_cmdline_names_pidfile(ok2, sizeof(ok2) - 1, 200));
	assert_false(vh_cmdline_names_pidfile(other, sizeof(other) - 1, 200));
	assert_false(vh_cmdline_names_pidfile(prefix, sizeof(prefix) - 1, 200));
	assert_false(vh_cmdline_names_pidfile(joined, sizeof(joined) - 1, 200));
	assert_false(vh_cmdline_names_pidfile(noflag, sizeof(noflag) - 1, 200));
	assert_false(vh_cmdline_names_pidfile(cut, sizeof(cut) - 1, 200));
	assert_false(vh_cmdline_names_pidfile("", 0, 200));
}

/* The new rules stay quiet where they do not apply: the seed's GPU, a NIC
 * on a 6.1 host, the card on nouveau, an AMD GPU with the reset bug, a PVE 9
 * config (machine with +pve1 and viommu, driver=keep on vfio-pci). */
static void test_quiet_elsewhere(void **state)
{
	(void)state;
	static const struct {
		const char *tree;
		unsigned vmid;
	} cases[] = {
		{ "seed", 100 },   { "legacy-kernel", 100 }, { "nouveau", 100 },
		{ "health", 110 }, { "in-use", 200 },
	};
	static const char *const ids[] = { "sriov-vfs-in-use",    "vf-not-created",
					   "keep-not-vfio",       "device-unresponsive",
					   "memory-insufficient", "device-in-use" };
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct vh_test_eval ev = vh_test_evaluate(vh_test_host(cases[c].tree),
							  cases[c].vmid, NULL);
		for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
			vh_test_expect_none(ev.r, ids[i]);
		vh_test_eval_done(&ev);
	}
	char *root = seed_vm(
		"machine: type=pc-q35-10.0+pve1,viommu=intel\nbios: ovmf\nefidisk0: x\n"
		"balloon: 0\nhostpci0: 0000:01:00,pcie=1,rombar=0,driver=keep\n");
	struct vh_test_eval ev = vh_test_evaluate(root, 200, NULL);
	expect_allowed(ev.r);
	vh_test_expect_none(ev.r, "keep-not-vfio");
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vf_identity_from_sysfs),
		cmocka_unit_test(test_sriov_vfs_in_use),
		cmocka_unit_test(test_vf_not_created),
		cmocka_unit_test(test_vf_fixes_never_by_id),
		cmocka_unit_test(test_vgpu_vf_in_use),
		cmocka_unit_test(test_code43_is_nvidias),
		cmocka_unit_test(test_keep_not_vfio),
		cmocka_unit_test(test_hugepages),
		cmocka_unit_test(test_entries_in_index_order),
		cmocka_unit_test(test_mapping_pool_of_any_size),
		cmocka_unit_test(test_mapping_mdev_flag),
		cmocka_unit_test(test_group_of_any_size),
		cmocka_unit_test(test_migration_config),
		cmocka_unit_test(test_migration_hook),
		cmocka_unit_test(test_cmdline_names_pidfile),
		cmocka_unit_test(test_quiet_elsewhere),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
