/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Every finding id, each proven on a committed host tree (tests/hosts/, see
 * its README for what each host and VM is for). A test asserts both that a
 * finding fires where it must and that it stays quiet where it must not.
 */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>
#include <unistd.h>

static struct vh_test_eval evaluate_on(const char *root, unsigned vmid, const char *policy)
{
	return vh_test_evaluate(root, vmid, policy);
}

static struct vh_test_eval evaluate(const char *host, unsigned vmid)
{
	return vh_test_evaluate(vh_test_host(host), vmid, NULL);
}

/* ---- the seed host: VM 100 as the seed ends up configured ---- */

static void test_seed_vm100_allowed(void **state)
{
	(void)state;
	struct vh_test_eval ev = evaluate("seed", 100);
	const struct vh_report *r = ev.r;
	assert_true(r->vm_loaded);
	assert_int_equal(r->n_devices, 2);
	assert_false(vh_report_blocks(r));
	static const char *const quiet[] = {
		"vm-config",          "iommu-disabled",      "device-missing",
		"mapping-unresolved", "group-not-isolated",  "device-in-use",
		"machine-i440fx",     "bios-seabios",        "rombar-enabled",
		"driver-not-vfio",    "module-not-loaded",   "host-driver-not-blacklisted",
		"pcie-off",           "efidisk-missing",     "boot-vga",
		"balloon-enabled",    "memory-insufficient",
	};
	for (size_t i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++)
		vh_test_expect_none(r, quiet[i]);
	/* the seed's /etc/modules still lists vfio_virqfd, gone since 6.2 */
	const struct vh_finding *f = vh_test_expect(r, "module-unknown", "vfio_virqfd",
						    VH_SEV_WARN);
	assert_contains(f->message, "merged into vfio");
	assert_contains(f->fix, "/etc/modules");
	/* the text report's checklist ticks what passed */
	bool iommu_ok = false, group_ok = false, claimed = false;
	for (size_t i = 0; i < r->n_passed; i++) {
		iommu_ok |= !strcmp(r->passed[i].text, "IOMMU active (ivhd0)");
		group_ok |= strstr(r->passed[i].text, "IOMMU group 12 holds no other") != NULL;
		claimed |= strstr(r->passed[i].text,
				  "0000:01:00.0 (10de:2803) is claimed by vfio-pci") != NULL;
	}
	assert_true(iommu_ok && group_ok && claimed);
	const struct vh_device *gpu = r->devices[0].dev;
	assert_string_equal(gpu->name, "0000:01:00.0");
	assert_int_equal(gpu->vendor, 0x10de);
	assert_int_equal(gpu->device, 0x2803);
	assert_int_equal(gpu->class_code >> 8, 0x0300);
	assert_int_equal(gpu->iommu_group, 12);
	assert_string_equal(gpu->driver, "vfio-pci");
	assert_true(gpu->has_flr);
	assert_true(gpu->is_pcie);
	assert_true(gpu->has_parent);
	assert_string_equal(r->devices[1].dev->name, "0000:01:00.1");
	vh_test_eval_done(&ev);
}

/* VM 101: the seed's VM before the changes. */
static void test_seed_vm101_code43_settings(void **state)
{
	(void)state;
	struct vh_test_eval ev = evaluate("seed", 101);
	const struct vh_report *r = ev.r;
	assert_true(vh_report_blocks(r));
	const struct vh_finding *f = vh_test_expect(r, "machine-i440fx", "machine", VH_SEV_ERROR);
	assert_string_equal(f->fix, "qm set 101 -machine q35");
	f = vh_test_expect(r, "bios-seabios", "bios", VH_SEV_ERROR);
	assert_string_equal(f->fix, "qm set 101 -bios ovmf");
	f = vh_test_expect(r, "rombar-enabled", "0000:01:00.0", VH_SEV_ERROR);
	assert_string_equal(f->fix, "qm set 101 -hostpci0 01:00,rombar=0");
	/* the audio function is not a display device: no ROM BAR finding */
	assert_null(vh_test_find(r, "rombar-enabled", "0000:01:00.1"));
	vh_test_expect(r, "balloon-enabled", "balloon", VH_SEV_WARN);
	vh_test_expect_none(r, "pcie-off");        /* i440fx has no PCIe to ask for */
	vh_test_expect_none(r, "efidisk-missing"); /* SeaBIOS needs none */
	vh_test_eval_done(&ev);
}

static void test_seed_vm102_mapping_resolves(void **state)
{
	(void)state;
	struct vh_test_eval ev = evaluate("seed", 102);
	vh_test_expect_none(ev.r, "mapping-unresolved");
	assert_int_equal(ev.r->n_devices, 2);
	assert_string_equal(ev.r->devices[0].dev->name, "0000:01:00.0");
	assert_false(vh_report_blocks(ev.r));
	vh_test_eval_done(&ev);
}

static void test_seed_vm103_104_mapping_unresolved(void **state)
{
	(void)state;
	struct vh_test_eval ev = evaluate("seed", 103);
	const struct vh_finding *f = vh_test_expect(ev.r, "mapping-unresolved", "hostpci0",
						    VH_SEV_ERROR);
	assert_contains(f->message, "hardware probably changed");
	assert_contains(f->message, "10de:2504");
	vh_test_eval_done(&ev);
	ev = evaluate("seed", 104);
	f = vh_test_expect(ev.r, "mapping-unresolved", "hostpci0", VH_SEV_ERROR);
	assert_contains(f->message, "no map for node pve");
	vh_test_eval_done(&ev);
}

static void test_seed_vm105_memory_and_balloon(void **state)
{
	(void)state;
	struct vh_test_eval ev = evaluate("seed", 105);
	const struct vh_finding *f = vh_test_expect(ev.r, "memory-insufficient", "memory",
						    VH_SEV_ERROR);
	assert_contains(f->message, "65536 MiB");
	vh_test_expect(ev.r, "balloon-enabled", "balloon", VH_SEV_WARN);
	vh_test_eval_done(&ev);
}

static void test_seed_vm106_versioned_i440fx(void **state)
{
	(void)state;
	struct vh_test_eval ev = evaluate("seed", 106);
	const struct vh_finding *f = vh_test_expect(ev.r, "machine-i440fx", "machine",
						    VH_SEV_ERROR);
	assert_contains(f->message, "pc-i440fx-8.1");
	vh_test_expect(ev.r, "bios-seabios", "bios", VH_SEV_ERROR);
	f = vh_test_expect(ev.r, "rombar-enabled", "0000:01:00.0", VH_SEV_ERROR);
	assert_string_equal(f->fix, "qm set 106 -hostpci0 01:00.0,x-vga=1,rombar=0");
	assert_int_equal(ev.r->n_devices, 1); /* a function was named: only that one */
	vh_test_eval_done(&ev);
}

static void test_seed_vm107_device_missing(void **state)
{
	(void)state;
	struct vh_test_eval ev = evaluate("seed", 107);
	const struct vh_finding *f = vh_test_expect(ev.r, "device-missing", "0000:09:00.0",
						    VH_SEV_ERROR);
	assert_contains(f->message, "not on this host");
	vh_test_eval_done(&ev);
}

static void test_missing_config(void **state)
{
	(void)state;
	struct vh_test_eval ev = evaluate("seed", 999);
	assert_false(ev.r->vm_loaded);
	const struct vh_finding *f = vh_test_expect(ev.r, "vm-config", "config", VH_SEV_ERROR);
	assert_contains(f->message, "no VM 999 on node pve");
	assert_contains(f->message, "/etc/pve/qemu-server/999.conf");
	assert_string_equal(f->fix, "qm list   # the VMs of this node");
	vh_test_eval_done(&ev);
}

/* No /etc/pve: not a Proxmox node, so no report at all (the caller cannot
 * run), rather than a verdict on a VM that cannot exist here. */
static void test_not_a_pve_node(void **state)
{
	(void)state;
	char *root = vh_test_scratch_empty();
	struct vh_err err;
	struct vh_host *h = vh_host_new(root, &err);
	assert_non_null(h);
	struct vh_policy *p = vh_policy_load(h, NULL, &err);
	assert_non_null(p);
	assert_null(vh_evaluate(h, 100, p, &err));
	assert_contains(err.msg, "not a Proxmox VE node");
	vh_policy_free(p);
	vh_host_free(h);
	vh_test_scratch_free(root);
}

static void test_unparsable_config(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	vh_test_write(root, "etc/pve/nodes/pve/qemu-server/120.conf",
		      "machine: q35\nhostpci0: 01:00,pcie=maybe\n");
	struct vh_test_eval ev = evaluate_on(root, 120, NULL);
	const struct vh_finding *f = vh_test_expect(ev.r, "vm-config", "config", VH_SEV_ERROR);
	assert_contains(f->message, "line 2");
	assert_contains(f->message, "hostpci0");
	assert_true(vh_report_blocks(ev.r));
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

/* ---- the other hosts ---- */

static void test_nouveau_host(void **state)
{
	(void)state;
	struct vh_test_eval ev = evaluate("nouveau", 100);
	const struct vh_report *r = ev.r;
	const struct vh_finding *f = vh_test_expect(r, "driver-not-vfio", "0000:01:00.0",
						    VH_SEV_WARN);
	assert_contains(f->message, "nouveau");
	assert_contains(f->fix, "options vfio-pci ids=10de:2803,10de:22bd");
	f = vh_test_expect(r, "driver-not-vfio", "0000:01:00.1", VH_SEV_WARN);
	assert_contains(f->message, "snd_hda_intel");
	vh_test_expect(r, "module-not-loaded", "vfio_pci", VH_SEV_WARN);
	vh_test_expect(r, "module-not-loaded", "vfio", VH_SEV_WARN);
	vh_test_expect(r, "module-not-loaded", "vfio_iommu_type1", VH_SEV_WARN);
	f = vh_test_expect(r, "host-driver-not-blacklisted", "0000:01:00.0", VH_SEV_WARN);
	assert_contains(f->message, "nouveau");
	vh_test_expect(r, "host-driver-not-blacklisted", "0000:01:00.1", VH_SEV_WARN);
	/* snd_hda_intel matches the audio through two aliases: one finding */
	size_t n = 0;
	for (size_t i = 0; i < r->n_findings; i++)
		n += !strcmp(r->findings[i].id, "host-driver-not-blacklisted") &&
		     !strcmp(r->findings[i].subject, "0000:01:00.1");
	assert_int_equal(n, 1);
	f = vh_test_expect(r, "boot-vga", "0000:01:00.0", VH_SEV_WARN);
	assert_contains(f->message, "efifb");
	assert_false(vh_report_blocks(r));
	vh_test_eval_done(&ev);
}

static void test_shared_group(void **state)
{
	(void)state;
	struct vh_test_eval ev = evaluate("shared-group", 100);
	const struct vh_finding *f = vh_test_expect(ev.r, "group-not-isolated", "0000:04:00.0",
						    VH_SEV_ERROR);
	assert_contains(f->message, "0000:05:00.0 (xhci_hcd)");
	assert_not_contains(f->message, "0000:06:00.0"); /* no driver: does not count */
	assert_not_contains(f->message, "0000:04:00.1"); /* the VM gets it */
	assert_contains(f->message, "ACS");
	assert_true(vh_report_blocks(ev.r));
	/* one finding per group, not per device */
	size_t n = 0;
	for (size_t i = 0; i < ev.r->n_findings; i++)
		n += !strcmp(ev.r->findings[i].id, "group-not-isolated");
	assert_int_equal(n, 1);
	vh_test_eval_done(&ev);
}

static void test_no_iommu(void **state)
{
	(void)state;
	struct vh_test_eval ev = evaluate("no-iommu", 100);
	const struct vh_finding *f = vh_test_expect(ev.r, "iommu-disabled", "host", VH_SEV_ERROR);
	assert_contains(f->fix, "intel_iommu=on");
	vh_test_expect_none(ev.r, "group-not-isolated");
	vh_test_eval_done(&ev);
}

/* An IOMMU that does not cover the device (no iommu_group link): seen on the
 * kernel bench for an SR-IOV VF created after boot on AMD-Vi, where qemu-server's
 * group bind dies with "Cannot open iommu_group" (tests/kernel nested-start). */
static void test_iommu_group_missing(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	char path[4200];
	const char *devs[] = { "0000:01:00.0", "0000:01:00.1" };
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/%s/iommu_group", root,
			 devs[i]);
		assert_int_equal(unlink(path), 0);
		snprintf(path, sizeof(path), "%s/sys/kernel/iommu_groups/12/devices/%s", root,
			 devs[i]);
		assert_int_equal(unlink(path), 0);
	}
	struct vh_test_eval ev = evaluate_on(root, 100, NULL);
	const struct vh_finding *f = vh_test_expect(ev.r, "iommu-group-missing", "0000:01:00.0",
						    VH_SEV_ERROR);
	assert_contains(f->message, "no IOMMU group");
	vh_test_expect(ev.r, "iommu-group-missing", "0000:01:00.1", VH_SEV_ERROR);
	vh_test_expect_none(ev.r, "iommu-disabled");
	assert_true(vh_report_blocks(ev.r));
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
	/* the seed as it is: every device in its group, no such finding */
	ev = evaluate("seed", 100);
	vh_test_expect_none(ev.r, "iommu-group-missing");
	vh_test_eval_done(&ev);
}

/* x-vga=1 reaches QEMU only under SeaBIOS, and vfio-pci has a VGA region only for
 * a VGA controller: on the kernel bench QEMU refused x-vga on an e1000e ("failed
 * getting region info for VGA region index 8"). The seed's 01:00.1 is HDMI audio
 * (class 0x0403), 01:00.0 the GPU (0x0300). */
static void test_x_vga_not_vga(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	const char *base = "machine: q35\nmemory: 1024\nballoon: 0\n";
	char conf[256];
	snprintf(conf, sizeof(conf), "%shostpci0: 0000:01:00.1,pcie=1,x-vga=1\n", base);
	vh_test_write(root, "etc/pve/nodes/pve/qemu-server/150.conf", conf);
	snprintf(conf, sizeof(conf), "%shostpci0: 0000:01:00.0,pcie=1,x-vga=1\n", base);
	vh_test_write(root, "etc/pve/nodes/pve/qemu-server/151.conf", conf);
	snprintf(conf, sizeof(conf), "%sbios: ovmf\nhostpci0: 0000:01:00.1,pcie=1,x-vga=1\n", base);
	vh_test_write(root, "etc/pve/nodes/pve/qemu-server/152.conf", conf);
	snprintf(conf, sizeof(conf), "%shostpci0: 0000:01:00.1,pcie=1\n", base);
	vh_test_write(root, "etc/pve/nodes/pve/qemu-server/153.conf", conf);

	struct vh_test_eval ev = evaluate_on(root, 150, NULL);
	const struct vh_finding *f = vh_test_expect(ev.r, "x-vga-not-vga", "0000:01:00.1",
						    VH_SEV_ERROR);
	assert_contains(f->message, "not a VGA controller (class 040300)");
	assert_contains(f->fix, "qm set 150 -hostpci0");
	assert_true(vh_report_blocks(ev.r));
	vh_test_eval_done(&ev);
	/* the GPU is a VGA controller; OVMF drops x-vga; no x-vga at all */
	const unsigned quiet[] = { 151, 152, 153 };
	for (size_t i = 0; i < 3; i++) {
		ev = evaluate_on(root, quiet[i], NULL);
		vh_test_expect_none(ev.r, "x-vga-not-vga");
		vh_test_eval_done(&ev);
	}
	vh_test_scratch_free(root);
}

static void test_in_use(void **state)
{
	(void)state;
	struct vh_test_eval ev = evaluate("in-use", 100);
	const struct vh_finding *f = vh_test_expect(ev.r, "device-in-use", "0000:01:00.0",
						    VH_SEV_ERROR);
	assert_contains(f->message, "VM 200");
	assert_contains(f->fix, "qm stop 200");
	/* VM 300's reservation expired long ago */
	assert_null(vh_test_find(ev.r, "device-in-use", "0000:01:00.1"));
	vh_test_eval_done(&ev);
	/* VM 200 itself is not blocked by its own reservation */
	ev = evaluate("in-use", 200);
	assert_null(vh_test_find(ev.r, "device-in-use", "0000:01:00.0"));
	vh_test_eval_done(&ev);
	/* without the reservations file, VM 200's running config still holds it;
	 * VM 300 has a config naming 01:00.1 but is not running */
	char *root = vh_test_scratch_copy(vh_test_host("in-use"));
	char path[4200];
	snprintf(path, sizeof(path), "%s/run/qemu-server/pci-id-reservations", root);
	assert_int_equal(unlink(path), 0);
	ev = evaluate_on(root, 100, NULL);
	f = vh_test_expect(ev.r, "device-in-use", "0000:01:00.0", VH_SEV_ERROR);
	assert_contains(f->message, "running VM 200 passes it as hostpci0");
	assert_null(vh_test_find(ev.r, "device-in-use", "0000:01:00.1"));
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

/* vm_running_locally: pid 4242 lives but is another program now (the pid
 * was reused): VM 200 does not run, neither its pid: reservation nor its
 * config holds the card. */
static void test_reused_pid_is_not_running(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("in-use"));
	vh_test_write(root, "proc/4242/cmdline", "/usr/sbin/sshd");
	struct vh_test_eval ev = evaluate_on(root, 100, NULL);
	vh_test_expect_none(ev.r, "device-in-use");
	vh_test_eval_done(&ev);
	/* the same pid running VM 201's QEMU is not VM 200's either */
	vh_test_vm_running(root, 201, 4242);
	ev = evaluate_on(root, 100, NULL);
	vh_test_expect_none(ev.r, "device-in-use");
	vh_test_eval_done(&ev);
	/* and back as VM 200's own QEMU: held again */
	vh_test_vm_running(root, 200, 4242);
	ev = evaluate_on(root, 100, NULL);
	vh_test_expect(ev.r, "device-in-use", "0000:01:00.0", VH_SEV_ERROR);
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

static void test_legacy_kernel(void **state)
{
	(void)state;
	struct vh_test_eval ev = evaluate("legacy-kernel", 100);
	vh_test_expect_none(ev.r, "module-unknown"); /* vfio_virqfd exists on 6.1 */
	vh_test_expect(ev.r, "driver-not-vfio", "0000:01:00.0", VH_SEV_WARN);
	vh_test_expect(ev.r, "module-not-loaded", "vfio_pci", VH_SEV_WARN);
	vh_test_eval_done(&ev);
}

static void test_pcie_off_and_efidisk(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	vh_test_write(root, "etc/pve/nodes/pve/qemu-server/121.conf",
		      "machine: pc-q35-8.1+pve0\nbios: ovmf\nmemory: 2048\nballoon: 0\n"
		      "hostpci0: host=0000:01:00.0;0000:01:00.1,rombar=0\n");
	struct vh_test_eval ev = evaluate_on(root, 121, NULL);
	const struct vh_finding *f = vh_test_expect(ev.r, "pcie-off", "hostpci0", VH_SEV_WARN);
	assert_string_equal(f->fix,
			    "qm set 121 -hostpci0 host=0000:01:00.0;0000:01:00.1,rombar=0,pcie=1");
	f = vh_test_expect(ev.r, "efidisk-missing", "efidisk0", VH_SEV_WARN);
	assert_contains(f->fix, "qm set 121 -efidisk0");
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

/* A FIFO where the config should be: an answer, never a hang. */
static void test_fifo_config_does_not_hang(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	char path[4096];
	snprintf(path, sizeof(path), "%s/etc/pve/nodes/pve/qemu-server/130.conf", root);
	assert_int_equal(mkfifo(path, 0600), 0);
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/0000:01:00.0/driver_override", root);
	unlink(path);
	assert_int_equal(mkfifo(path, 0600), 0);
	struct vh_test_eval ev = evaluate_on(root, 130, NULL);
	vh_test_expect(ev.r, "vm-config", "config", VH_SEV_ERROR);
	vh_test_eval_done(&ev);
	ev = evaluate_on(root, 100, NULL);
	assert_false(vh_report_blocks(ev.r));
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

static void test_acs_override(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	vh_test_write(root, "proc/cmdline",
		      "BOOT_IMAGE=/boot/vmlinuz-6.8.12-10-pve root=/dev/mapper/pve-root ro quiet "
		      "pcie_acs_override=downstream,multifunction\n");
	struct vh_test_eval ev = evaluate_on(root, 100, NULL);
	const struct vh_finding *f = vh_test_expect(ev.r, "acs-override", "host", VH_SEV_WARN);
	assert_contains(f->message, "pcie_acs_override");
	vh_test_eval_done(&ev);
	ev = evaluate("seed", 100); /* the seed's own command line has none */
	vh_test_expect_none(ev.r, "acs-override");
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

/* A sparse tree (no module index, no meminfo): what cannot be known is
 * said, and does not block. */
static void test_sparse_host(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("nouveau"));
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "%s/proc/meminfo", root);
	assert_int_equal(unlink(cmd), 0);
	snprintf(cmd, sizeof(cmd), "%s/lib/modules/6.8.12-10-pve/modules.dep.bin", root);
	assert_int_equal(unlink(cmd), 0);
	struct vh_test_eval ev = evaluate_on(root, 100, NULL);
	vh_test_expect_unjudged(ev.r, "memory", "meminfo");
	vh_test_expect_none(ev.r, "memory-insufficient");
	vh_test_expect_none(ev.r, "module-unknown");
	vh_test_expect_unjudged(ev.r, "etc-modules", "no module index");
	vh_test_expect_unjudged(ev.r, "host-drivers", "0000:01:00.0: no module index");
	const struct vh_finding *f = vh_test_expect(ev.r, "module-not-loaded", "vfio_pci",
						    VH_SEV_WARN);
	assert_contains(f->message, "no module index");
	assert_false(vh_report_blocks(ev.r));
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

static char *report_text(const struct vh_report *r)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	vh_report_print(r, f);
	fclose(f);
	return text;
}

/* What was not judged is its own state: a [ ?? ] line and the verdict's
 * count in the text, never a ticked [ ok ]; {"check", "why"} in the JSON,
 * whose "unjudged" is there (empty) when everything was judged. */
static void test_unjudged_in_text_and_json(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("nouveau"));
	char path[4200];
	snprintf(path, sizeof(path), "%s/proc/meminfo", root);
	assert_int_equal(unlink(path), 0);
	struct vh_test_eval ev = evaluate_on(root, 100, NULL);
	char *text = report_text(ev.r);
	assert_contains(text, "\nNot judged\n  [ ?? ] memory: not judged: cannot tell whether");
	assert_not_contains(text, "[ ok ] memory");
	assert_not_contains(text, "MiB can be pinned (");
	assert_contains(text, " not judged)\n");
	json_object *o = vh_report_to_json(ev.r);
	json_object *list = json_object_object_get(o, "unjudged");
	assert_int_equal(json_object_array_length(list), ev.r->n_unjudged);
	json_object *u = json_object_array_get_idx(list, 0);
	assert_string_equal(json_object_get_string(json_object_object_get(u, "check")), "memory");
	assert_contains(json_object_get_string(json_object_object_get(u, "why")), "/proc/meminfo");
	json_object_put(o);
	free(text);
	vh_test_eval_done(&ev);

	ev = evaluate_on(vh_test_host("seed"), 100, NULL);
	assert_int_equal(ev.r->n_unjudged, 0);
	o = vh_report_to_json(ev.r);
	list = json_object_object_get(o, "unjudged");
	assert_true(json_object_is_type(list, json_type_array));
	assert_int_equal(json_object_array_length(list), 0);
	text = report_text(ev.r);
	assert_not_contains(text, "[ ?? ]");
	assert_not_contains(text, "not judged");
	free(text);
	json_object_put(o);
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

static void test_policy_changes_severity(void **state)
{
	(void)state;
	char *dir = vh_test_scratch_empty();
	vh_test_write(
		dir, "p.json",
		"{\"severity\": {\"boot-vga\": \"error\"},"
		" \"vms\": {\"100\": {\"severity\": {\"host-driver-not-blacklisted\": \"off\"}}}}");
	char path[4096];
	snprintf(path, sizeof(path), "%s/p.json", dir);
	struct vh_test_eval ev = evaluate_on(vh_test_host("nouveau"), 100, path);
	vh_test_expect(ev.r, "boot-vga", "0000:01:00.0", VH_SEV_ERROR);
	vh_test_expect_none(ev.r, "host-driver-not-blacklisted");
	assert_true(vh_report_blocks(ev.r));
	vh_test_eval_done(&ev);
	vh_test_scratch_free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_vm100_allowed),
		cmocka_unit_test(test_seed_vm101_code43_settings),
		cmocka_unit_test(test_seed_vm102_mapping_resolves),
		cmocka_unit_test(test_seed_vm103_104_mapping_unresolved),
		cmocka_unit_test(test_seed_vm105_memory_and_balloon),
		cmocka_unit_test(test_seed_vm106_versioned_i440fx),
		cmocka_unit_test(test_seed_vm107_device_missing),
		cmocka_unit_test(test_missing_config),
		cmocka_unit_test(test_unparsable_config),
		cmocka_unit_test(test_nouveau_host),
		cmocka_unit_test(test_shared_group),
		cmocka_unit_test(test_no_iommu),
		cmocka_unit_test(test_iommu_group_missing),
		cmocka_unit_test(test_x_vga_not_vga),
		cmocka_unit_test(test_in_use),
		cmocka_unit_test(test_reused_pid_is_not_running),
		cmocka_unit_test(test_legacy_kernel),
		cmocka_unit_test(test_pcie_off_and_efidisk),
		cmocka_unit_test(test_fifo_config_does_not_hang),
		cmocka_unit_test(test_acs_override),
		cmocka_unit_test(test_sparse_host),
		cmocka_unit_test(test_not_a_pve_node),
		cmocka_unit_test(test_unjudged_in_text_and_json),
		cmocka_unit_test(test_policy_changes_severity),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
