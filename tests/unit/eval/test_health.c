/*
 * The device-health and interrupt findings (checks_health.c), each proven on
 * a committed host tree where it must fire and on the same host without the
 * fault where it must stay quiet (tests/hosts/README.md: no-intremap,
 * unsafe-interrupts, health).
 */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct vh_test_eval evaluate(const char *host, unsigned vmid)
{
	return vh_test_evaluate(vh_test_host(host), vmid, NULL);
}

static bool passed(const struct vh_report *r, const char *text)
{
	for (size_t i = 0; i < r->n_passed; i++)
		if (strstr(r->passed[i].text, text))
			return true;
	return false;
}

/* ---- interrupt remapping ---- */

static void test_interrupt_remapping_missing(void **state)
{
	(void)state;
	struct vh_test_eval ev = evaluate("no-intremap", 100);
	const struct vh_finding *f = vh_test_expect(ev.r, "interrupt-remapping-missing", "host",
						    VH_SEV_ERROR);
	assert_contains(f->message, "No interrupt remapping support");
	assert_contains(f->fix, "options vfio_iommu_type1 allow_unsafe_interrupts=1");
	assert_contains(f->fix, "intremap=off");
	assert_true(vh_report_blocks(ev.r));
	vh_test_expect_none(ev.r, "unsafe-interrupts");
	vh_test_eval_done(&ev);
}

static void test_interrupts_remapped_quiet(void **state)
{
	(void)state;
	static const char *const hosts[] = { "seed", "legacy-kernel", "shared-group", "health" };
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		struct vh_test_eval ev = evaluate(hosts[i], 100);
		vh_test_expect_none(ev.r, "interrupt-remapping-missing");
		vh_test_expect_none(ev.r, "unsafe-interrupts");
		assert_true(passed(ev.r, "interrupts are remapped"));
		vh_test_eval_done(&ev);
	}
	/* No IOMMU: iommu-disabled says it all; nothing about interrupts. */
	struct vh_test_eval ev = evaluate("no-iommu", 100);
	vh_test_expect(ev.r, "iommu-disabled", "host", VH_SEV_ERROR);
	vh_test_expect_none(ev.r, "interrupt-remapping-missing");
	vh_test_eval_done(&ev);
}

static void test_unsafe_interrupts(void **state)
{
	(void)state;
	struct vh_test_eval ev = evaluate("unsafe-interrupts", 100);
	const struct vh_finding *f = vh_test_expect(ev.r, "unsafe-interrupts", "host", VH_SEV_WARN);
	assert_contains(f->message, "not remapped");
	assert_contains(f->fix, "sed -i '/allow_unsafe_interrupts/d' /etc/modprobe.d/*.conf");
	vh_test_expect_none(ev.r, "interrupt-remapping-missing");
	assert_false(vh_report_blocks(ev.r));
	vh_test_eval_done(&ev);
}

/* The hookscript refuses the start before it touches anything; with the
 * unsafe option the same host starts, with the warning in the task log. */
static void test_hook_refuses_without_remapping(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("no-intremap"));
	const char *argv[] = { VH_VFIO_HOOK, "--root", root, "100", "pre-start", NULL };
	char *out = NULL;
	assert_int_not_equal(vh_test_run(argv, &out, NULL), 0);
	assert_contains(out, "vfio-hook: error interrupt-remapping-missing");
	assert_contains(out, "start refused before any change");
	free(out);
	vh_test_scratch_free(root);
	root = vh_test_scratch_copy(vh_test_host("unsafe-interrupts"));
	argv[2] = root;
	assert_int_equal(vh_test_run(argv, &out, NULL), 0);
	assert_contains(out, "vfio-hook: warn unsafe-interrupts");
	free(out);
	vh_test_scratch_free(root);
}

/* vfio_iommu_type1 not loaded yet: what modprobe.d gives it at load counts. */
static void test_unsafe_interrupts_from_modprobe(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("legacy-kernel"));
	struct vh_test_eval ev = vh_test_evaluate(root, 100, NULL);
	vh_test_expect_none(ev.r, "unsafe-interrupts");
	vh_test_eval_done(&ev);
	vh_test_write(root, "etc/modprobe.d/iommu_unsafe_interrupts.conf",
		      "options vfio_iommu_type1 allow_unsafe_interrupts=1\n");
	ev = vh_test_evaluate(root, 100, NULL);
	const struct vh_finding *f = vh_test_expect(ev.r, "unsafe-interrupts", "host", VH_SEV_WARN);
	assert_contains(f->message, "/etc/modprobe.d");
	assert_contains(f->message, "although interrupts are remapped");
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

/* A /proc/interrupts that cannot be read is not judged, never an error. */
static void test_interrupts_unreadable_not_judged(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("no-intremap"));
	char path[4096];
	snprintf(path, sizeof(path), "%s/proc/interrupts", root);
	assert_int_equal(unlink(path), 0);
	struct vh_test_eval ev = vh_test_evaluate(root, 100, NULL);
	vh_test_expect_none(ev.r, "interrupt-remapping-missing");
	vh_test_expect_unjudged(ev.r, "interrupt-remapping", "interrupts");
	assert_false(passed(ev.r, "interrupt"));
	assert_false(vh_report_blocks(ev.r));
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

/* ---- resets ---- */

static void test_amd_reset_bug(void **state)
{
	(void)state;
	struct vh_test_eval ev = evaluate("health", 110);
	const struct vh_finding *f = vh_test_expect(ev.r, "amd-reset-bug", "0000:05:00.0",
						    VH_SEV_WARN);
	assert_contains(f->message, "1002:731f");
	assert_contains(f->fix, "vendor-reset");
	assert_contains(f->fix,
			"echo device_specific > /sys/bus/pci/devices/0000:05:00.0/reset_method");
	/* the card's audio function is not a GPU of the list */
	assert_null(vh_test_find(ev.r, "amd-reset-bug", "0000:05:00.1"));
	vh_test_expect_none(ev.r, "reset-unavailable");
	assert_false(vh_report_blocks(ev.r));
	vh_test_eval_done(&ev);
	/* the same card with vendor-reset's device_specific reset */
	ev = evaluate("health", 111);
	vh_test_expect_none(ev.r, "amd-reset-bug");
	assert_true(passed(ev.r, "0000:06:00.0 has a device_specific reset"));
	vh_test_eval_done(&ev);
	/* an NVIDIA card is not concerned */
	ev = evaluate("health", 100);
	vh_test_expect_none(ev.r, "amd-reset-bug");
	vh_test_eval_done(&ev);
}

static void test_reset_unavailable(void **state)
{
	(void)state;
	struct vh_test_eval ev = evaluate("health", 112);
	const struct vh_finding *f = vh_test_expect(ev.r, "reset-unavailable", "0000:07:00.0",
						    VH_SEV_WARN);
	assert_contains(f->message, "no reset_method");
	assert_contains(f->fix, "post_stop");
	assert_false(vh_report_blocks(ev.r));
	vh_test_eval_done(&ev);
	/* driver=keep: Proxmox never resets it, so a missing reset does not matter */
	ev = evaluate("health", 120);
	vh_test_expect_none(ev.r, "reset-unavailable");
	vh_test_eval_done(&ev);
	/* devices with flr */
	ev = evaluate("health", 100);
	vh_test_expect_none(ev.r, "reset-unavailable");
	assert_true(passed(ev.r, "0000:01:00.0 can be reset (flr)"));
	vh_test_eval_done(&ev);
}

/* ---- devices that do not answer ---- */

static void test_device_unresponsive(void **state)
{
	(void)state;
	struct vh_test_eval ev = evaluate("health", 113);
	const struct vh_finding *f = vh_test_expect(ev.r, "device-unresponsive", "0000:08:00.0",
						    VH_SEV_ERROR);
	assert_contains(f->message, "D3cold");
	assert_contains(f->fix, "echo on > /sys/bus/pci/devices/0000:08:00.0/power/control");
	assert_true(vh_report_blocks(ev.r));
	vh_test_eval_done(&ev);
	ev = evaluate("health", 114);
	f = vh_test_expect(ev.r, "device-unresponsive", "0000:09:00.0", VH_SEV_ERROR);
	assert_contains(f->message, "ffff");
	assert_contains(f->message, "8086:15f3");
	assert_contains(f->fix, "echo 1 > /sys/bus/pci/devices/0000:09:00.0/remove");
	assert_true(vh_report_blocks(ev.r));
	vh_test_eval_done(&ev);
	/* answering devices, D0 and D3hot (vfio-pci suspends idle devices) */
	static const unsigned quiet[] = { 100, 110, 112, 118 };
	for (size_t i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++) {
		ev = evaluate("health", quiet[i]);
		vh_test_expect_none(ev.r, "device-unresponsive");
		vh_test_eval_done(&ev);
	}
}

static void test_device_config_unreadable_not_judged(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("health"));
	char path[4096];
	snprintf(path, sizeof(path), "%s/sys/devices/pci0000:00/0000:00:03.6/0000:09:00.0/config",
		 root);
	assert_int_equal(truncate(path, 1), 0);
	struct vh_test_eval ev = vh_test_evaluate(root, 114, NULL);
	vh_test_expect_none(ev.r, "device-unresponsive");
	vh_test_expect_unjudged(ev.r, "config-space",
				"0000:09:00.0: its config space cannot be read");
	assert_false(passed(ev.r, "0000:09:00.0 answers"));
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

/* ---- romfile= ---- */

static void test_romfile(void **state)
{
	(void)state;
	struct vh_test_eval ev = evaluate("health", 115); /* romfile=nvidia/ad106.rom, present */
	vh_test_expect_none(ev.r, "romfile-missing");
	assert_true(passed(ev.r, "romfile /usr/share/kvm/nvidia/ad106.rom exists"));
	vh_test_eval_done(&ev);
	ev = evaluate("health", 116);
	const struct vh_finding *f = vh_test_expect(ev.r, "romfile-missing", "hostpci0",
						    VH_SEV_ERROR);
	assert_contains(f->message, "/usr/share/kvm/gp104.rom");
	assert_string_equal(
		f->fix,
		"cp YOUR-DUMP.rom /usr/share/kvm/gp104.rom   # the card's ROM, dumped or from its vendor");
	assert_true(vh_report_blocks(ev.r));
	vh_test_eval_done(&ev);
	/* qemu-server prefixes an absolute path too: QEMU opens
	 * /usr/share/kvm//usr/share/kvm/nvidia/ad106.rom */
	ev = evaluate("health", 117);
	f = vh_test_expect(ev.r, "romfile-missing", "hostpci0", VH_SEV_ERROR);
	assert_contains(f->message, "/usr/share/kvm/usr/share/kvm/nvidia/ad106.rom");
	assert_string_equal(
		f->fix, "qm set 117 -hostpci0 0000:01:00,pcie=1,rombar=0,romfile=nvidia/ad106.rom");
	vh_test_eval_done(&ev);
	ev = evaluate("health", 100); /* no romfile */
	vh_test_expect_none(ev.r, "romfile-missing");
	vh_test_eval_done(&ev);
}

/* The romfile= file judged by its content (host/rom.c): made-up ROMs in
 * tests/hosts/health/usr/share/kvm/ (the recipe says what each holds). */
static void test_romfile_content(void **state)
{
	(void)state;
	/* the card's own ROM; another id whose device list has the card's */
	static const unsigned fine[] = { 115, 124 };
	for (size_t i = 0; i < sizeof(fine) / sizeof(fine[0]); i++) {
		struct vh_test_eval ev = evaluate("health", fine[i]);
		vh_test_expect_none(ev.r, "romfile-invalid");
		vh_test_expect_none(ev.r, "romfile-mismatch");
		assert_true(passed(ev.r, "is a PCI expansion ROM for 10de:2803 (x86, efi)"));
		assert_false(vh_report_blocks(ev.r));
		vh_test_eval_done(&ev);
	}
	/* a flashing tool's 1536-byte header: the offset, and the cut as the fix */
	struct vh_test_eval ev = evaluate("health", 121);
	const struct vh_finding *f = vh_test_expect(ev.r, "romfile-invalid", "hostpci0",
						    VH_SEV_ERROR);
	assert_contains(f->message,
			"hostpci0 romfile=nvidia/ad106-nvflash.rom is no PCI expansion "
			"ROM: no 0x55AA signature at offset 0: the ROM starts at byte 1536 "
			"(0x600)");
	assert_string_equal(f->fix,
			    "dd if=/usr/share/kvm/nvidia/ad106-nvflash.rom "
			    "of=/usr/share/kvm/nvidia/ad106-nvflash.rom.cut bs=1 skip=1536 && mv "
			    "/usr/share/kvm/nvidia/ad106-nvflash.rom.cut "
			    "/usr/share/kvm/nvidia/ad106-nvflash.rom   # drops the 1536-byte header");
	vh_test_expect_none(ev.r, "romfile-missing");
	assert_true(vh_report_blocks(ev.r));
	vh_test_eval_done(&ev);
	/* an AMD card's ROM on the NVIDIA card */
	ev = evaluate("health", 122);
	f = vh_test_expect(ev.r, "romfile-invalid", "hostpci0", VH_SEV_ERROR);
	assert_contains(f->message, "is a ROM of vendor 1002 (image at 0x0: 1002:731f), but "
				    "0000:01:00.0 is 10de:2803");
	assert_contains(f->fix, "hookctl rom 0000:01:00.0 --save /usr/share/kvm/amd/navi10.rom");
	vh_test_eval_done(&ev);
	/* another NVIDIA card's: a warning */
	ev = evaluate("health", 123);
	f = vh_test_expect(ev.r, "romfile-mismatch", "hostpci0", VH_SEV_WARN);
	assert_contains(f->message, "romfile=nvidia/ga104.rom is a ROM for 10de:2484 (image at "
				    "0x0), but 0000:01:00.0 is 10de:2803");
	vh_test_expect_none(ev.r, "romfile-invalid");
	assert_false(vh_report_blocks(ev.r));
	vh_test_eval_done(&ev);
	/* cut short: the second image runs past the end */
	ev = evaluate("health", 125);
	f = vh_test_expect(ev.r, "romfile-invalid", "hostpci0", VH_SEV_ERROR);
	assert_contains(f->message, "image 1 at 0x400 is 1024 bytes long by its PCIR, but only 512 "
				    "bytes follow its start: the ROM is truncated");
	vh_test_eval_done(&ev);
	/* device-id= makes the guest see 2484: the same ROM is the card's then */
	ev = evaluate("health", 126);
	vh_test_expect_none(ev.r, "romfile-mismatch");
	assert_true(passed(ev.r, "nvidia/ga104.rom is a PCI expansion ROM for 10de:2484"));
	vh_test_eval_done(&ev);
	/* no romfile, no judgement */
	ev = evaluate("health", 100);
	vh_test_expect_none(ev.r, "romfile-invalid");
	vh_test_expect_none(ev.r, "romfile-mismatch");
	vh_test_eval_done(&ev);
}

/* Files that are no ROM at all, too big, unreadable; and a vendor-id= that
 * makes another vendor's ROM the one the guest's firmware runs. */
static void test_romfile_content_edges(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("health"));
#define ROM_VM(options)                                                             \
	"bios: ovmf\nmachine: q35\nballoon: 0\nefidisk0: local-lvm:vm-130-disk-1\n" \
	"hostpci0: 0000:01:00,pcie=1,rombar=0,romfile=x.rom" options "\n"
	vh_test_write(root, "etc/pve/nodes/pve/qemu-server/130.conf", ROM_VM(""));
	vh_test_write(root, "usr/share/kvm/x.rom", "VBIOS\n");
	struct vh_test_eval ev = vh_test_evaluate(root, 130, NULL);
	const struct vh_finding *f = vh_test_expect(ev.r, "romfile-invalid", "hostpci0",
						    VH_SEV_ERROR);
	assert_contains(f->message, "no 0x55AA signature at offset 0 (it starts 56 42) and no PCI "
				    "expansion ROM image further in");
	assert_contains(f->fix, "hookctl rom 0000:01:00.0 --save /usr/share/kvm/x.rom");
	vh_test_eval_done(&ev);
	/* empty */
	vh_test_write(root, "usr/share/kvm/x.rom", "");
	ev = vh_test_evaluate(root, 130, NULL);
	f = vh_test_expect(ev.r, "romfile-invalid", "hostpci0", VH_SEV_ERROR);
	assert_contains(f->message, "the ROM is empty");
	vh_test_eval_done(&ev);
	/* larger than any ROM: not read whole */
	char path[4096];
	snprintf(path, sizeof(path), "%s/usr/share/kvm/x.rom", root);
	assert_int_equal(truncate(path, (off_t)(16u << 20) + 1), 0);
	ev = vh_test_evaluate(root, 130, NULL);
	f = vh_test_expect(ev.r, "romfile-invalid", "hostpci0", VH_SEV_ERROR);
	assert_contains(f->message, "larger than 16 MiB");
	vh_test_eval_done(&ev);
	/* the AMD ROM with vendor-id= and device-id= of that card: what the guest sees */
	vh_test_write(root, "etc/pve/nodes/pve/qemu-server/130.conf",
		      ROM_VM(",vendor-id=0x1002,device-id=0x731f"));
#undef ROM_VM
	snprintf(path, sizeof(path), "%s/usr/share/kvm/x.rom", root);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink("amd/navi10.rom", path), 0);
	ev = vh_test_evaluate(root, 130, NULL);
	vh_test_expect_none(ev.r, "romfile-invalid");
	vh_test_expect_none(ev.r, "romfile-mismatch");
	assert_true(passed(ev.r, "for 1002:731f, the ids the entry's vendor-id/device-id give"));
	vh_test_eval_done(&ev);
	/* the AMD card with its own ROM: quiet; the NIC with the NVIDIA ROM: another vendor */
	vh_test_write(root, "etc/pve/nodes/pve/qemu-server/131.conf",
		      "bios: ovmf\nmachine: q35\nballoon: 0\nefidisk0: local-lvm:vm-131-disk-1\n"
		      "hostpci0: 0000:05:00,pcie=1,romfile=amd/navi10.rom\n"
		      "hostpci1: 0000:0a:00.0,pcie=1,romfile=nvidia/ad106.rom\n");
	ev = vh_test_evaluate(root, 131, NULL);
	f = vh_test_expect(ev.r, "romfile-invalid", "hostpci1", VH_SEV_ERROR);
	assert_contains(f->message, "but 0000:0a:00.0 is 8086:10d3");
	assert_null(vh_test_find(ev.r, "romfile-invalid", "hostpci0"));
	vh_test_expect_none(ev.r, "romfile-mismatch");
	assert_true(passed(ev.r,
			   "hostpci0 romfile amd/navi10.rom is a PCI expansion ROM for 1002:731f"));
	vh_test_eval_done(&ev);
	/* an mdev entry: the guest sees the mdev's ids, not the parent's: not compared */
	vh_test_write(root, "etc/pve/nodes/pve/qemu-server/132.conf",
		      "bios: ovmf\nmachine: q35\nballoon: 0\nefidisk0: local-lvm:vm-132-disk-1\n"
		      "hostpci0: 0000:01:00.0,mdev=nvidia-63,romfile=nvidia/ga104.rom\n");
	ev = vh_test_evaluate(root, 132, NULL);
	vh_test_expect_none(ev.r, "romfile-mismatch");
	vh_test_expect_none(ev.r, "romfile-invalid");
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

static void test_romfile_outside_refused(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("health"));
	vh_test_write(root, "etc/pve/nodes/pve/qemu-server/130.conf",
		      "bios: ovmf\nmachine: q35\nballoon: 0\nefidisk0: local-lvm:vm-130-disk-1\n"
		      "hostpci0: 0000:01:00,pcie=1,rombar=0,romfile=../../../etc/shadow\n");
	struct vh_test_eval ev = vh_test_evaluate(root, 130, NULL);
	vh_test_expect(ev.r, "vm-config", "config", VH_SEV_ERROR);
	vh_test_expect_none(ev.r, "romfile-missing");
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

/* ---- vfio-pci ids= reaching a second, identical device ---- */

static void test_vfio_ids_host_device(void **state)
{
	(void)state;
	struct vh_test_eval ev = evaluate("health", 118);
	const struct vh_finding *f = vh_test_expect(ev.r, "vfio-ids-host-device", "0000:0b:00.0",
						    VH_SEV_WARN);
	assert_contains(f->message, "8086:10d3");
	assert_contains(f->message, "0000:0a:00.0");
	assert_contains(f->message, "e1000e");
	assert_contains(f->fix,
			"sed -i -E '/^options +vfio[-_]pci/s/(ids=([^ ]*,)?)8086:10d3,?/\\1/' "
			"/etc/modprobe.d/*.conf && update-initramfs -u -k all");
	assert_false(vh_report_blocks(ev.r));
	vh_test_eval_done(&ev);
	/* ids= claims the seed's GPU and audio, and no twin of them exists */
	ev = evaluate("seed", 100);
	vh_test_expect_none(ev.r, "vfio-ids-host-device");
	vh_test_eval_done(&ev);
	ev = evaluate("health", 110);
	vh_test_expect_none(ev.r, "vfio-ids-host-device");
	vh_test_eval_done(&ev);
}

static bool unjudged(const struct vh_report *r, const char *check)
{
	for (size_t i = 0; i < r->n_unjudged; i++)
		if (!strcmp(r->unjudged[i].check, check))
			return true;
	return false;
}

/* Without a module index the twin search could only look at the device's
 * own driver: "not judged", never a silent pass. */
static void test_vfio_ids_without_index(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("health"));
	char path[4200];
	struct vh_test_eval ev = vh_test_evaluate(root, 118, NULL);
	assert_false(unjudged(ev.r, "vfio-ids-host-device"));
	vh_test_eval_done(&ev);
	snprintf(path, sizeof(path), "%s/lib/modules/6.8.12-10-pve/modules.dep.bin", root);
	assert_int_equal(unlink(path), 0);
	ev = vh_test_evaluate(root, 118, NULL);
	vh_test_expect_none(ev.r, "vfio-ids-host-device");
	const struct vh_unjudged *u = vh_test_expect_unjudged(ev.r, "vfio-ids-host-device",
							      "no module index");
	assert_contains(u->why, "8086:10d3");
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

/* The twin passed by another VM is not the host's. */
static void test_vfio_ids_twin_passed_by_a_vm(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("health"));
	vh_test_write(root, "etc/pve/nodes/pve/qemu-server/119.conf",
		      "bios: ovmf\nmachine: q35\nballoon: 0\nefidisk0: local-lvm:vm-119-disk-1\n"
		      "hostpci0: 0000:0b:00.0,pcie=1\n");
	struct vh_test_eval ev = vh_test_evaluate(root, 118, NULL);
	vh_test_expect_none(ev.r, "vfio-ids-host-device");
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

/* ---- the table and the README ---- */

static void test_ids_in_table_and_readme(void **state)
{
	(void)state;
	static const struct {
		const char *id;
		enum vh_severity sev;
	} ids[] = {
		{ "interrupt-remapping-missing", VH_SEV_ERROR },
		{ "unsafe-interrupts", VH_SEV_WARN },
		{ "reset-unavailable", VH_SEV_WARN },
		{ "amd-reset-bug", VH_SEV_WARN },
		{ "device-unresponsive", VH_SEV_ERROR },
		{ "romfile-missing", VH_SEV_ERROR },
		{ "romfile-invalid", VH_SEV_ERROR },
		{ "romfile-mismatch", VH_SEV_WARN },
		{ "vfio-ids-host-device", VH_SEV_WARN },
	};
	const char *readme = vh_test_read(VH_TEST_DATA "/..", "README.md");
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		const struct vh_finding_kind *k = vh_finding_kind(ids[i].id);
		assert_non_null(k);
		assert_int_equal(k->severity, ids[i].sev);
		char row[64];
		snprintf(row, sizeof(row), "| `%s` | %s", ids[i].id, vh_severity_name(ids[i].sev));
		assert_contains(readme, row);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interrupt_remapping_missing),
		cmocka_unit_test(test_interrupts_remapped_quiet),
		cmocka_unit_test(test_unsafe_interrupts),
		cmocka_unit_test(test_hook_refuses_without_remapping),
		cmocka_unit_test(test_unsafe_interrupts_from_modprobe),
		cmocka_unit_test(test_interrupts_unreadable_not_judged),
		cmocka_unit_test(test_amd_reset_bug),
		cmocka_unit_test(test_reset_unavailable),
		cmocka_unit_test(test_device_unresponsive),
		cmocka_unit_test(test_device_config_unreadable_not_judged),
		cmocka_unit_test(test_romfile),
		cmocka_unit_test(test_romfile_content),
		cmocka_unit_test(test_romfile_content_edges),
		cmocka_unit_test(test_romfile_outside_refused),
		cmocka_unit_test(test_vfio_ids_host_device),
		cmocka_unit_test(test_vfio_ids_without_index),
		cmocka_unit_test(test_vfio_ids_twin_passed_by_a_vm),
		cmocka_unit_test(test_ids_in_table_and_readme),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
