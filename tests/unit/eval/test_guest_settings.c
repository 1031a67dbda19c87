/*
 * VM settings judged by what they do inside the guest: the Code 43 rules
 * in the guest's own words (Windows: Code 43; Linux: RmInitAdapter failed;
 * other cards: no NVIDIA words), args' own -cpu (args-cpu-override) and
 * Secure Boot against the unsigned NVIDIA module (secure-boot-unsigned-driver).
 * Each fires on a VM written into a scratch copy of a host tree, and stays
 * quiet where it must.
 */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VM_DIR "etc/pve/nodes/pve/qemu-server/"
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* VM 200 on a copy of host `tree`, config text as given; evaluated. */
static struct vh_test_eval vm(const char *tree, const char *conf, char **root)
{
	*root = vh_test_scratch_copy(vh_test_host(tree));
	vh_test_write(*root, VM_DIR "200.conf", conf);
	return vh_test_evaluate(*root, 200, NULL);
}

static void done(struct vh_test_eval *ev, char *root)
{
	vh_test_eval_done(ev);
	vh_test_scratch_free(root);
}

/* i440fx + SeaBIOS, ROM BAR on: the three Code 43 rules at once. */
#define OLD_STYLE "memory: 4096\nballoon: 0\nhostpci0: %s\n"

static struct vh_test_eval old_style(const char *tree, const char *ostype, const char *dev,
				     char **root)
{
	char conf[512];
	snprintf(conf, sizeof(conf), OLD_STYLE "%s%s%s", dev, ostype ? "ostype: " : "",
		 ostype ? ostype : "", ostype ? "\n" : "");
	return vm(tree, conf, root);
}

static void test_code43_words_nvidia_linux(void **state)
{
	(void)state;
	char *root;
	struct vh_test_eval ev = old_style("seed", "l26", "0000:01:00", &root);
	static const char *const ids[] = { "machine-i440fx", "bios-seabios", "rombar-enabled" };
	static const char *const subjects[] = { "machine", "bios", "0000:01:00.0" };
	for (size_t i = 0; i < 3; i++) {
		const struct vh_finding *f = vh_test_expect(ev.r, ids[i], subjects[i],
							    VH_SEV_ERROR);
		assert_contains(f->message, "NVIDIA Linux driver");
		assert_contains(f->message, "RmInitAdapter failed");
		assert_not_contains(f->message, "Code 43");
	}
	done(&ev, root);
}

static void test_code43_words_nvidia_windows(void **state)
{
	(void)state;
	char *root;
	struct vh_test_eval ev = old_style("seed", "win11", "0000:01:00", &root);
	static const char *const ids[] = { "machine-i440fx", "bios-seabios", "rombar-enabled" };
	static const char *const subjects[] = { "machine", "bios", "0000:01:00.0" };
	for (size_t i = 0; i < 3; i++) {
		const struct vh_finding *f = vh_test_expect(ev.r, ids[i], subjects[i],
							    VH_SEV_ERROR);
		assert_contains(f->message, "Code 43");
		assert_not_contains(f->message, "RmInitAdapter");
	}
	done(&ev, root);
	/* no ostype: both, briefly */
	ev = old_style("seed", NULL, "0000:01:00", &root);
	const struct vh_finding *f = vh_test_expect(ev.r, "machine-i440fx", "machine",
						    VH_SEV_ERROR);
	assert_contains(f->message, "Windows: Code 43; Linux: RmInitAdapter failed");
	done(&ev, root);
}

/* An AMD card: warnings, and not a word about NVIDIA or Code 43. */
static void test_code43_words_amd(void **state)
{
	(void)state;
	char *root;
	struct vh_test_eval ev = old_style("health", "win11", "0000:05:00", &root);
	static const char *const ids[] = { "machine-i440fx", "bios-seabios" };
	static const char *const subjects[] = { "machine", "bios" };
	for (size_t i = 0; i < 2; i++) {
		const struct vh_finding *f = vh_test_expect(ev.r, ids[i], subjects[i], VH_SEV_WARN);
		assert_not_contains(f->message, "NVIDIA");
		assert_not_contains(f->message, "Code 43");
		assert_not_contains(f->message, "RmInitAdapter");
	}
	vh_test_expect_none(ev.r, "rombar-enabled");
	done(&ev, root);
}

/* ---- args-cpu-override ---- */

#define Q35 "bios: ovmf\nmachine: q35\nballoon: 0\nefidisk0: local-lvm:vm-200-disk-1,efitype=4m\n"

static void test_args_cpu_fires(void **state)
{
	(void)state;
	char *root;
	/* the seed's own line, as the Proxmox forums hand it out */
	struct vh_test_eval ev =
		vm("seed",
		   Q35 "ostype: l26\ncpu: host\nargs: -cpu host,kvm=off,hv_vendor_id=proxmox\n"
		       "hostpci0: 0000:01:00,pcie=1,rombar=0\n",
		   &root);
	const struct vh_finding *f = vh_test_expect(ev.r, "args-cpu-override", "args", VH_SEV_WARN);
	assert_contains(f->message, "-cpu host,kvm=off,hv_vendor_id=proxmox");
	assert_contains(f->message, "cpu: (host)");
	assert_string_equal(f->fix,
			    "qm set 200 -cpu host,hidden=1,hv-vendor-id=proxmox -delete args");
	assert_false(vh_report_blocks(ev.r));
	done(&ev, root);
	/* --cpu, quoted, among other options: the others are kept */
	ev = vm("seed",
		Q35
		"ostype: win11\nargs: -smbios 'type=1,serial=-cpu x' --cpu \"Skylake-Client,kvm=off\" "
		"-no-hpet -global kvm-pit.lost_tick_policy=discard\n"
		"hostpci0: 0000:01:00,pcie=1,rombar=0\n",
		&root);
	f = vh_test_expect(ev.r, "args-cpu-override", "args", VH_SEV_WARN);
	assert_contains(f->message, "Hyper-V enlightenments");
	assert_string_equal(f->fix, "qm set 200 -cpu Skylake-Client,hidden=1 -args \"-smbios "
				    "'type=1,serial=-cpu x' -no-hpet -global "
				    "'kvm-pit.lost_tick_policy=discard'\"");
	done(&ev, root);
	/* a NIC VM: it replaces qemu-server's -cpu all the same */
	ev = vm("seed", Q35 "args: -cpu host\nhostpci0: 0000:03:00.0,pcie=1\n", &root);
	vh_test_expect(ev.r, "args-cpu-override", "args", VH_SEV_WARN);
	done(&ev, root);
}

static void test_args_cpu_quiet(void **state)
{
	(void)state;
	/* -cpu only as a value, inside a value, or a longer option's name */
	static const char *const args[] = {
		"-smbios type=1,serial=-cpu",
		"-name -cpu",
		"-global driver=-cpu,property=x,value=1",
		"-cpu-foo host",
		"'-machine' 'accel=kvm' -device 'vfio-pci,host=01:00.0,x-cpu=1'",
	};
	for (size_t i = 0; i < N_OF(args); i++) {
		char conf[512], *root;
		snprintf(conf, sizeof(conf),
			 Q35
			 "ostype: l26\ncpu: host,hidden=1\nargs: %s\nhostpci0: 0000:01:00,pcie=1,"
			 "rombar=0\n",
			 args[i]);
		struct vh_test_eval ev = vm("seed", conf, &root);
		vh_test_expect_none(ev.r, "args-cpu-override");
		done(&ev, root);
	}
}

/* ---- secure-boot-unsigned-driver ---- */

#define SB "bios: ovmf\nmachine: q35\nballoon: 0\n"

static void test_secure_boot_fires(void **state)
{
	(void)state;
	char *root;
	struct vh_test_eval ev =
		vm("seed",
		   SB
		   "ostype: l26\nefidisk0: local-lvm:vm-200-disk-1,efitype=4m,pre-enrolled-keys=1,"
		   "size=4M\nhostpci0: 0000:01:00,pcie=1,rombar=0\n",
		   &root);
	const struct vh_finding *f = vh_test_expect(ev.r, "secure-boot-unsigned-driver", "efidisk0",
						    VH_SEV_WARN);
	assert_contains(f->message, "0000:01:00.0");
	assert_contains(f->message, "unsigned NVIDIA module");
	assert_contains(f->fix, "Secure Boot off");
	assert_contains(f->fix, "pre-enrolled-keys=0");
	assert_false(vh_report_blocks(ev.r));
	done(&ev, root);
	/* the seed's VM 100 itself: OVMF, keys enrolled, l26, the RTX 4060 Ti */
	ev = vh_test_evaluate(vh_test_host("seed"), 100, NULL);
	vh_test_expect(ev.r, "secure-boot-unsigned-driver", "efidisk0", VH_SEV_WARN);
	vh_test_eval_done(&ev);
}

static void test_secure_boot_quiet(void **state)
{
	(void)state;
	static const struct {
		const char *tree, *conf, *why;
	} cases[] = {
		{ "seed",
		  SB
		  "ostype: l26\nefidisk0: local-lvm:vm-200-disk-1,efitype=4m,pre-enrolled-keys=1\n"
		  "hostpci0: 0000:03:00.0,pcie=1\n",
		  "a NIC" },
		{ "health",
		  SB
		  "ostype: l26\nefidisk0: local-lvm:vm-200-disk-1,efitype=4m,pre-enrolled-keys=1\n"
		  "hostpci0: 0000:05:00,pcie=1\n",
		  "an AMD GPU" },
		{ "seed",
		  SB
		  "ostype: win11\nefidisk0: local-lvm:vm-200-disk-1,efitype=4m,pre-enrolled-keys=1\n"
		  "hostpci0: 0000:01:00,pcie=1,rombar=0\n",
		  "a Windows guest" },
		{ "seed",
		  SB
		  "ostype: l26\nefidisk0: local-lvm:vm-200-disk-1,efitype=4m,pre-enrolled-keys=0\n"
		  "hostpci0: 0000:01:00,pcie=1,rombar=0\n",
		  "pre-enrolled-keys=0" },
		{ "seed",
		  SB
		  "ostype: l26\nefidisk0: local-lvm:vm-200-disk-1,efitype=2m,pre-enrolled-keys=1\n"
		  "hostpci0: 0000:01:00,pcie=1,rombar=0\n",
		  "efitype=2m (no keys in its vars)" },
		{ "seed",
		  "machine: q35\nballoon: 0\nostype: l26\nefidisk0: local-lvm:vm-200-disk-1,efitype=4m,"
		  "pre-enrolled-keys=1\nhostpci0: 0000:01:00,pcie=1,rombar=0\n",
		  "SeaBIOS" },
		/* as Proxmox VE 9 writes it: ms-cert, a versioned machine, x86-64-v2-AES */
		{ "seed",
		  "bios: ovmf\nmachine: pc-q35-10.0+pve1\nballoon: 0\ncpu: x86-64-v2-AES\nostype: l26\n"
		  "efidisk0: local-zfs:vm-200-disk-0,efitype=4m,ms-cert=2023w,pre-enrolled-keys=0,"
		  "size=1M\nhostpci0: mapping=rtx4060,pcie=1,rombar=0\n",
		  "a PVE 9 config" },
	};
	for (size_t i = 0; i < N_OF(cases); i++) {
		char *root;
		struct vh_test_eval ev = vm(cases[i].tree, cases[i].conf, &root);
		if (vh_test_find(ev.r, "secure-boot-unsigned-driver", NULL))
			fail_msg("secure-boot-unsigned-driver fired for %s", cases[i].why);
		vh_test_expect_none(ev.r, "args-cpu-override");
		vh_test_expect_none(ev.r, "vm-config");
		done(&ev, root);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_code43_words_nvidia_linux),
		cmocka_unit_test(test_code43_words_nvidia_windows),
		cmocka_unit_test(test_code43_words_amd),
		cmocka_unit_test(test_args_cpu_fires),
		cmocka_unit_test(test_args_cpu_quiet),
		cmocka_unit_test(test_secure_boot_fires),
		cmocka_unit_test(test_secure_boot_quiet),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
