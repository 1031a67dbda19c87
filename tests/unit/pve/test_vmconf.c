/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The VM config parser: every form Proxmox writes, and hostile input. */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

static int parse(const char *text, struct vh_vmconf *vm, struct vh_err *e)
{
	return vh_vmconf_parse(text, strlen(text), 100, vm, e);
}

static void test_seed_config(void **state)
{
	(void)state;
	struct vh_vmconf vm;
	struct vh_err e;
	const char
		*conf = "#Emby media server\n#with the RTX 4060 Ti\n"
			"bios: ovmf\nboot: order=scsi0\ncores: 4\n"
			"efidisk0: local-lvm:vm-100-disk-1,efitype=4m,pre-enrolled-keys=1,size=4M\n"
			"hookscript: local:snippets/vfio-hook\n"
			"hostpci0: 0000:01:00,pcie=1,rombar=0\nmachine: q35\nmemory: 8192\n"
			"balloon: 0\nname: emby\nscsi0: local-lvm:vm-100-disk-0,size=64G\n"
			"\n[before-gpu]\nmemory: 4096\nhostpci1: 02:00.0\nbios: seabios\n";
	assert_int_equal(parse(conf, &vm, &e), 0);
	assert_int_equal(vm.machine, VH_MACHINE_Q35);
	assert_int_equal(vm.bios, VH_BIOS_OVMF);
	assert_true(vm.has_efidisk);
	assert_int_equal(vm.memory_mib, 8192);
	assert_int_equal(vm.balloon_mib, 0);
	assert_string_equal(vm.hookscript, "local:snippets/vfio-hook");
	assert_int_equal(vm.n_hostpci, 1); /* the snapshot's hostpci1 is not the VM that starts */
	assert_int_equal(vm.hostpci[0].n_addrs, 1);
	assert_false(vm.hostpci[0].addrs[0].has_func);
	assert_true(vm.hostpci[0].pcie);
	assert_false(vm.hostpci[0].rombar);
}

static void test_defaults(void **state)
{
	(void)state;
	struct vh_vmconf vm;
	struct vh_err e;
	assert_int_equal(parse("hostpci0: 01:00\n", &vm, &e), 0);
	assert_int_equal(vm.machine, VH_MACHINE_I440FX);
	assert_int_equal(vm.bios, VH_BIOS_SEABIOS);
	assert_int_equal(vm.memory_mib, 512);
	assert_int_equal(vm.balloon_mib, -1);
	assert_true(vm.hostpci[0].rombar);
	assert_false(vm.hostpci[0].pcie);
}

static void machine_is(const char *value, enum vh_machine want)
{
	char conf[256];
	struct vh_vmconf vm;
	struct vh_err e;
	snprintf(conf, sizeof(conf), "machine: %s\n", value);
	if (parse(conf, &vm, &e) != 0)
		fail_msg("machine '%s' should parse: %s", value, e.msg);
	assert_int_equal(vm.machine, want);
}

static void test_machine_forms(void **state)
{
	(void)state;
	machine_is("q35", VH_MACHINE_Q35);
	machine_is("pc", VH_MACHINE_I440FX);
	machine_is("pc-q35-8.1", VH_MACHINE_Q35);
	machine_is("pc-q35-8.1+pve0", VH_MACHINE_Q35);
	machine_is("pc-i440fx-9.0", VH_MACHINE_I440FX);
	machine_is("pc-i440fx-8.1+pve1.pxe", VH_MACHINE_I440FX);
	machine_is("type=q35,viommu=intel", VH_MACHINE_Q35);
	machine_is("q35,viommu=virtio", VH_MACHINE_Q35);
	machine_is("viommu=intel", VH_MACHINE_I440FX);
	/* Proxmox VE 9: +pveN on new versions, the vIOMMU width, S3/S4 */
	machine_is("q35,viommu=intel,aw-bits=39", VH_MACHINE_Q35);
	machine_is("type=pc-q35-10.0+pve1,viommu=virtio,aw-bits=48,enable-s3=0,enable-s4=1",
		   VH_MACHINE_Q35);
	machine_is("pc-i440fx-10.0+pve1", VH_MACHINE_I440FX);
	machine_is("pc-q35-5.0+pve0.pxe", VH_MACHINE_Q35);
	machine_is("pc-i440fx-9.2.1", VH_MACHINE_I440FX);
	machine_is("pc-7.1", VH_MACHINE_I440FX);
	machine_is("virt", VH_MACHINE_VIRT);
	machine_is("virt-9.0+pve0", VH_MACHINE_VIRT);
	/* an option a later Proxmox may add is no reason to refuse */
	machine_is("type=q35,some-future-option=1", VH_MACHINE_Q35);
	machine_is("q35,", VH_MACHINE_Q35);
	struct vh_vmconf vm;
	struct vh_err e;
	assert_int_equal(parse("machine: q36\n", &vm, &e), -1);
	assert_contains(e.msg, "line 1");
	assert_contains(e.msg, "Proxmox cannot parse");
	assert_int_equal(parse("machine: pc-q35-\n", &vm, &e), -1);
	assert_int_equal(parse("machine: pc-q35-8\n", &vm, &e), -1);
	assert_int_equal(parse("machine: virt.pxe\n", &vm, &e), -1);
	assert_int_equal(parse("machine: q35,viommu=amd\n", &vm, &e), -1);
	assert_int_equal(parse("machine: q35,viommu=intel,aw-bits=31\n", &vm, &e), -1);
	assert_int_equal(parse("machine: q35,viommu=intel,aw-bits=x\n", &vm, &e), -1);
	assert_int_equal(parse("machine: q35,enable-s3=maybe\n", &vm, &e), -1);
	assert_int_equal(parse("machine: pc-q35-10.0+pve1+pve2\n", &vm, &e), -1);
	/* an aarch64 VM without a machine key runs virt */
	assert_int_equal(parse("arch: aarch64\n", &vm, &e), 0);
	assert_int_equal(vm.machine, VH_MACHINE_VIRT);
}

static void test_hostpci_forms(void **state)
{
	(void)state;
	struct vh_vmconf vm;
	struct vh_err e;
	const char *conf =
		"hostpci0: host=0000:01:00.0;0000:01:00.1,pcie=on,x-vga=1\n"
		"hostpci3: mapping=rtx4060,rombar=0,driver=keep\n"
		"hostpci15: 02:00.0,romfile=vbios.rom,legacy-igd=0,vendor-id=0x10de,"
		"device-id=0x2803,sub-vendor-id=0x1043,sub-device-id=0x88a1,mdev=nvidia-63\n"
		"hostpci16: 03:00.0\n"; /* not a key Proxmox has: ignored */
	assert_int_equal(parse(conf, &vm, &e), 0);
	assert_int_equal(vm.n_hostpci, 3);
	assert_int_equal(vm.hostpci[0].n_addrs, 2);
	assert_int_equal(vm.hostpci[0].addrs[1].func, 1);
	assert_true(vm.hostpci[0].x_vga);
	assert_true(vm.hostpci[1].has_mapping);
	assert_string_equal(vm.hostpci[1].mapping, "rtx4060");
	assert_true(vm.hostpci[1].driver_keep);
	assert_int_equal(vm.hostpci[2].index, 15);
	assert_string_equal(vm.hostpci[2].romfile, "vbios.rom");
	/* the ids the guest sees, for judging the romfile */
	assert_true(vm.hostpci[2].has_vendor_id);
	assert_int_equal(vm.hostpci[2].vendor_id, 0x10de);
	assert_true(vm.hostpci[2].has_device_id);
	assert_int_equal(vm.hostpci[2].device_id, 0x2803);
	assert_false(vm.hostpci[0].has_vendor_id);
	assert_false(vm.hostpci[0].has_device_id);
}

static void refused(const char *conf, const char *why)
{
	struct vh_vmconf vm;
	struct vh_err e;
	if (parse(conf, &vm, &e) == 0)
		fail_msg("config should be refused: %s", conf);
	assert_contains(e.msg, why);
}

static void test_hostile(void **state)
{
	(void)state;
	refused("hostpci0: ../../etc/passwd\n", "not a PCI address");
	refused("hostpci0: 01:00,romfile=../../../etc/shadow\n", "leaves /usr/share/kvm");
	refused("hostpci0: 01:00,romfile=nvidia/../../x.rom\n", "leaves /usr/share/kvm");
	refused("hostpci0: 01:00,mdev=a/b\n", "mdev");
	refused("hostpci0: mapping=../x\n", "mapping");
	refused("hostpci0: mapping=gpu,host=01:00\n", "both");
	refused("hostpci0: pcie=1\n", "either");
	refused("hostpci0: 01:00,mdev=nvidia.35\n", "mdev");
	refused("hostpci0: 01:00,pcie=2\n", "boolean");
	refused("hostpci0: 01:00,driver=nouveau\n", "driver");
	refused("hostpci0: 01:00,pcie=\n", "lacks a key or a value");
	refused("hostpci0: 0A:00.0\n", "lower-case");
	refused("hostpci0: 01:00,02:00\n", "twice");
	refused("hostpci0: 01:00,vendor-id=10de\n", "0xXXXX");
	refused("hostpci0: 01:00,vendor-id=0X10de\n", "0xXXXX");
	refused("hostpci0: 01:00;;02:00\n", "not a PCI address");
	refused("memory: 8G\n", "memory");
	refused("memory: 99999999999999999999999\n", "memory");
	refused("memory: 8\n", "memory");
	refused("balloon: -1\n", "balloon");
	refused("bios: uefi\n", "bios");
	/* a NUL byte inside the file */
	struct vh_vmconf vm;
	struct vh_err e;
	assert_int_equal(vh_vmconf_parse("memory: 512\0hostpci0: 01:00\n", 28, 100, &vm, &e), -1);
	assert_contains(e.msg, "NUL");
}

static void test_garbage_never_crashes(void **state)
{
	(void)state;
	/* Random bytes and long lines: the parser answers, it never crashes. */
	srand(42);
	char buf[4096];
	for (int round = 0; round < 2000; round++) {
		size_t len = (size_t)(rand() % (int)sizeof(buf));
		static const char alphabet[] = "hostpci0123456789:;,.=abcdefxq35\n[]# \t-";
		for (size_t i = 0; i < len; i++)
			buf[i] = round % 2 ? (char)(rand() % 255 + 1)
					   : alphabet[rand() % (int)(sizeof(alphabet) - 1)];
		struct vh_vmconf vm;
		struct vh_err e;
		int rc = vh_vmconf_parse(buf, len, 100, &vm, &e);
		assert_true(rc == 0 || rc == -1);
		assert_true(vm.n_hostpci <= VH_MAX_HOSTPCI);
	}
	char *huge = malloc(1 << 20);
	memset(huge, 'a', 1 << 20);
	memcpy(huge, "args: ", 6);
	struct vh_vmconf vm;
	struct vh_err e;
	/* Proxmox takes an args line of any length: kept cut, never refused */
	assert_int_equal(vh_vmconf_parse(huge, 1 << 20, 100, &vm, &e), 0);
	assert_int_equal(strlen(vm.args), sizeof(vm.args) - 1);
	assert_string_equal(vm.args + sizeof(vm.args) - 4, "...");
	memcpy(huge, "hostpci0: ", 10);
	assert_int_equal(vh_vmconf_parse(huge, 1 << 20, 100, &vm, &e), -1);
	assert_contains(e.msg, "longer than");
	free(huge);
}

static void test_ignores_unknown_lines(void **state)
{
	(void)state;
	struct vh_vmconf vm;
	struct vh_err e;
	/* Proxmox ignores lines it cannot parse; so does the library. */
	assert_int_equal(parse("this is not a key\nUPPER: 1\nnet0: virtio=AA:BB,bridge=vmbr0\n"
			       "bios: ovmf\n",
			       &vm, &e),
			 0);
	assert_int_equal(vm.bios, VH_BIOS_OVMF);
}

/* What Proxmox VE 8 and 9 accept, in the forms qemu-server's own cfg2cmd
 * tests use (written here, not copied): each must parse. */
static void test_pve9_and_edge_forms(void **state)
{
	(void)state;
	struct vh_vmconf vm;
	struct vh_err e;
	const char *conf = "bios: ovmf\n"
			   "hostpci0: 00:ff.1,driver=keep\n" /* dev > 1f: parses */
			   "hostpci1: d0:13.0,pcie=1,driver=vfio\n"
			   "hostpci2: 00:f4.0\n"
			   "hostpci4: d0:17.0,pcie=1,rombar=0,\n" /* trailing comma */
			   "hostpci5: 01:00,,x-vga=1\n"           /* doubled comma */
			   "hostpci6: 02:00.0,romfile=nvidia/gp104.rom\n"
			   "hostpci7: 10000:e1:00.0\n" /* Intel VMD domain */
			   "hostpci8: 03:00.0,some-future-option=yes\n"
			   "hostpci9: 00:02.0,legacy-igd=on\n"
			   "machine: q35,viommu=intel,aw-bits=39\n"
			   "memory: 8388608\n" /* 8 TiB: above 4178944 */
			   "balloon: 5000000\n"
			   "guest-phys-bits: 39\n";
	assert_int_equal(parse(conf, &vm, &e), 0);
	assert_int_equal(vm.n_hostpci, 9);
	assert_int_equal(vm.machine, VH_MACHINE_Q35);
	assert_int_equal(vm.memory_mib, 8388608);
	assert_int_equal(vm.balloon_mib, 5000000);
	assert_true(vm.hostpci[0].driver_keep);
	assert_int_equal(vm.hostpci[0].addrs[0].dev, 0xff);
	assert_false(vm.hostpci[1].driver_keep);
	assert_false(vm.hostpci[3].rombar);
	assert_true(vm.hostpci[4].x_vga);
	assert_string_equal(vm.hostpci[5].romfile, "nvidia/gp104.rom");
	assert_int_equal(vm.hostpci[6].addrs[0].domain, 0x10000);
	assert_int_equal(vm.hostpci[7].n_addrs, 1);
	assert_true(vm.hostpci[8].legacy_igd);
}

/* Sections begin where qemu-server begins them: "[...]" at column 0. */
static void test_sections_as_proxmox(void **state)
{
	(void)state;
	struct vh_vmconf vm;
	struct vh_err e;
	/* an indented "[x]" and an unclosed "[x" open nothing: reading goes on */
	assert_int_equal(parse("bios: ovmf\n [x]\n[x\nhostpci0: 01:00\n", &vm, &e), 0);
	assert_int_equal(vm.n_hostpci, 1);
	/* any header ends the VM's own section: snapshot (trailing blanks
	 * allowed), [PENDING], [special:cloudinit], an unknown one */
	static const char *const headers[] = { "[snap1]  ",           "[PENDING]",
					       "[special:cloudinit]", "[special:fleecing]",
					       "[weird name!]",       "[]" };
	for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
		char conf[256];
		snprintf(conf, sizeof(conf), "bios: ovmf\n%s\nhostpci0: 01:00\nbios: seabios\n",
			 headers[i]);
		assert_int_equal(parse(conf, &vm, &e), 0);
		if (vm.n_hostpci != 0 || vm.bios != VH_BIOS_OVMF)
			fail_msg("'%s' must end the VM's own section", headers[i]);
	}
	/* a key not at column 0 is no key (Proxmox warns and skips it); CRLF
	 * line ends lose their \r like any trailing blank */
	assert_int_equal(parse("  hostpci0: 01:00\nbios: ovmf\r\nmachine: q35 \t\r\n", &vm, &e), 0);
	assert_int_equal(vm.n_hostpci, 0);
	assert_int_equal(vm.bios, VH_BIOS_OVMF);
	assert_int_equal(vm.machine, VH_MACHINE_Q35);
	/* a later line of the same key wins */
	assert_int_equal(parse("hostpci0: 01:00\nhostpci0: 02:00,pcie=1\n", &vm, &e), 0);
	assert_int_equal(vm.n_hostpci, 1);
	assert_int_equal(vm.hostpci[0].addrs[0].bus, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_config),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_machine_forms),
		cmocka_unit_test(test_hostpci_forms),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_garbage_never_crashes),
		cmocka_unit_test(test_ignores_unknown_lines),
		cmocka_unit_test(test_pve9_and_edge_forms),
		cmocka_unit_test(test_sections_as_proxmox),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
