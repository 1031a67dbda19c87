/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hookctl rom on host trees: a device's sysfs rom is a regular file there.
 * Without the kernel stand-in nothing is written to it (it is no sysfs
 * attribute); with it (tests/mock/vhmock.c) statfs says sysfs, "1" and "0\n"
 * enable and disable reads as pci_write_rom does, and a read of a disabled
 * rom fails as the kernel's: so the runs below prove the read happens only
 * between an enable and a disable, on every path. The ROMs: Debian's
 * ipxe-qemu files copied into a scratch tree at run time, and made-up ones.
 */
#include "testlib.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#define GPU "sys/bus/pci/devices/0000:01:00.0/rom"
#define NIC "sys/bus/pci/devices/0000:0a:00.0/rom" /* 8086:10d3, no ROM BAR in the tree */
#define LIMIT_MS 20000

struct run {
	int status;
	char *out, *err;
};

/* hookctl rom ARGS... --root root, under the kernel stand-in when mock. */
static struct run rom(const char *root, bool mock, const char *const extra_env[], const char *a1,
		      const char *a2, const char *a3, const char *a4)
{
	const char *argv[] = { VH_HOOKCTL, "rom", "--root", root, a1, a2, a3, a4, NULL };
	const char *env[8] = { NULL };
	size_t n = 0;
	for (const char *const *m = mock ? vh_test_mock_env(root) : NULL; m && *m; m++)
		env[n++] = *m;
	for (size_t i = 0; extra_env && extra_env[i] && n < 7; i++)
		env[n++] = extra_env[i];
	struct vh_test_proc p;
	vh_test_run_env(argv, env, LIMIT_MS, &p);
	if (p.exit_ms < 0)
		fail_msg("hookctl rom did not exit within %d ms", LIMIT_MS);
	return (struct run){ p.status, p.out, p.err };
}

static void done(struct run *r)
{
	free(r->out);
	free(r->err);
}

static json_object *parse(const char *text)
{
	json_object *o = json_tokener_parse(text);
	if (!o)
		fail_msg("not JSON:\n%s", text);
	return o;
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;
	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("no \"%s\" in %s", key, json_object_to_json_string(o));
	return v;
}

static const char *str(json_object *o, const char *key)
{
	return json_object_get_string(get(o, key));
}

/* The ipxe file, or a skip naming the package. */
static uint8_t *ipxe(const char *name, size_t *len)
{
	const char *path = vh_test_ipxe_rom(name);
	FILE *f = path ? fopen(path, "rb") : NULL;
	if (!f) {
		print_message("SKIP: %s: %s: apt-get install -y ipxe-qemu\n", name,
			      path ? strerror(errno) : "not installed");
		skip();
	}
	uint8_t *buf = malloc(1u << 20);
	assert_non_null(buf);
	*len = fread(buf, 1, 1u << 20, f);
	fclose(f);
	return buf;
}

/* The mock's record of the rom writes, and the rom's state after. */
static void expect_enabled_then_disabled(const char *root, const char *rel)
{
	char want[512];
	snprintf(want, sizeof(want), "1\t%s\t1\tok\n2\t%s\t0\\n\tok\n", rel, rel);
	assert_string_equal(vh_test_mock_writes(root), want);
	assert_string_equal(vh_test_read(root, ".vhmock/rom/0000:01:00.0"), "0\n");
}

static bool same_file(const char *path, const uint8_t *data, size_t len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	uint8_t *buf = malloc(len + 1);
	size_t n = fread(buf, 1, len + 1, f);
	fclose(f);
	bool same = n == len && !memcmp(buf, data, len);
	free(buf);
	return same;
}

/* The committed tree: the GPU's made-up ROM (x86 + EFI for 10de:2803). */
static void test_tree_rom(void **state)
{
	(void)state;
	struct run r = rom(vh_test_host("health"), false, NULL, "01:00.0", NULL, NULL, NULL);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "0000:01:00.0  [10de:2803]");
	assert_contains(
		r.out,
		"ROM: 2048 bytes read through /sys/bus/pci/devices/0000:01:00.0/rom, 2 images");
	assert_contains(r.out, "  0     0x000000  x86   10de:2803   0x030000     1024  no    ok\n");
	assert_contains(
		r.out,
		"  1     0x000400  EFI   10de:2803   0x030000     1024  yes   -         x64 boot service driver\n");
	assert_contains(r.out, "[ ok ] an EFI image");
	assert_contains(r.out, "Verdict: usable as romfile= (0 errors, 0 warnings)");
	assert_string_equal(r.err, "");
	done(&r);
	r = rom(vh_test_host("health"), false, NULL, "0000:01:00.0", "--json", NULL, NULL);
	assert_int_equal(r.status, 0);
	json_object *o = parse(r.out);
	assert_string_equal(str(o, "address"), "0000:01:00.0");
	assert_string_equal(str(o, "vendor_device"), "10de:2803");
	assert_int_equal(json_object_get_int64(get(o, "size")), 2048);
	assert_true(json_object_get_boolean(get(o, "efi")));
	assert_null(get(o, "saved"));
	assert_int_equal(json_object_array_length(get(o, "findings")), 0);
	json_object *images = get(o, "images");
	assert_int_equal(json_object_array_length(images), 2);
	json_object *x86 = json_object_array_get_idx(images, 0),
		    *efi = json_object_array_get_idx(images, 1);
	assert_int_equal(json_object_get_int64(get(x86, "offset")), 0);
	assert_string_equal(str(x86, "vendor_device"), "10de:2803");
	assert_string_equal(str(x86, "class"), "0x030000");
	assert_string_equal(str(x86, "code_type"), "x86");
	assert_int_equal(json_object_get_int64(get(x86, "size")), 1024);
	assert_false(json_object_get_boolean(get(x86, "last")));
	assert_true(json_object_get_boolean(get(x86, "checksum_ok")));
	assert_null(get(x86, "efi_machine"));
	assert_string_equal(json_object_get_string(
				    json_object_array_get_idx(get(x86, "device_list"), 0)),
			    "2803");
	assert_int_equal(json_object_get_int64(get(efi, "offset")), 1024);
	assert_string_equal(str(efi, "code_type"), "efi");
	assert_true(json_object_get_boolean(get(efi, "last")));
	assert_null(get(efi, "checksum_ok"));
	assert_string_equal(str(efi, "efi_machine"), "x64");
	json_object_put(o);
	done(&r);
}

/* Debian's efi-e1000e.rom in the sysfs rom of the tree's 82574L (8086:10d3):
 * enabled, read, disabled; saved byte for byte. */
static void test_real_rom_saved(void **state)
{
	(void)state;
	size_t len;
	uint8_t *real = ipxe("efi-e1000e.rom", &len);
	char *root = vh_test_scratch_copy(vh_test_host("health"));
	vh_test_write_bytes(root, NIC, real, len);
	char save[4096];
	snprintf(save, sizeof(save), "%s/saved.rom", root);
	struct run r = rom(root, true, NULL, "0a:00.0", "--save", save, "--json");
	assert_int_equal(r.status, 0);
	json_object *o = parse(r.out);
	assert_string_equal(str(o, "vendor_device"), "8086:10d3");
	assert_int_equal(json_object_get_int64(get(o, "size")), (int64_t)len);
	assert_string_equal(str(o, "saved"), save);
	assert_int_equal(json_object_array_length(get(o, "findings")), 0);
	json_object *images = get(o, "images");
	assert_int_equal(json_object_array_length(images), 2);
	assert_string_equal(str(json_object_array_get_idx(images, 0), "code_type"), "x86");
	assert_string_equal(str(json_object_array_get_idx(images, 1), "code_type"), "efi");
	/* the x86 image's length from its own header (byte 2, 512-byte units):
	 * Debian 12's and 13's builds of the ROM differ */
	size_t x86 = (size_t)real[2] * 512;
	assert_int_equal(json_object_get_int64(get(json_object_array_get_idx(images, 1), "offset")),
			 (int64_t)x86);
	json_object_put(o);
	assert_true(same_file(save, real, len));
	struct stat st;
	assert_int_equal(stat(save, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.vfiohelp-new", save);
	assert_int_not_equal(access(tmp, F_OK), 0); /* renamed, nothing left beside it */
	char log[512];
	snprintf(log, sizeof(log), "1\t%s\t1\tok\n2\t%s\t0\\n\tok\n", NIC, NIC);
	assert_string_equal(vh_test_mock_writes(root), log);
	assert_string_equal(vh_test_read(root, ".vhmock/rom/0000:0a:00.0"), "0\n");
	char rompath[4096];
	snprintf(rompath, sizeof(rompath), "%s/%s", root, NIC);
	assert_true(same_file(rompath, real, len)); /* the stand-in never written */
	done(&r);
	/* the text says where to put it */
	r = rom(root, true, NULL, "0a:00.0", "--save", save, NULL);
	assert_int_equal(r.status, 0);
	char line[160];
	snprintf(line, sizeof(line),
		 "  1     0x%06zx  EFI   8086:10d3   0x020000 %8zu  yes   -         x64 boot service driver",
		 x86, (size_t)(real[x86 + 2] | real[x86 + 3] << 8) * 512);
	assert_contains(r.out, line);
	assert_contains(r.out, "For romfile=: cp ");
	assert_contains(r.out, "/usr/share/kvm/saved.rom, then add romfile=saved.rom");
	done(&r);
	free(real);
	vh_test_scratch_free(root);
}

/* pxe-e1000e.rom: x86 only; for a NIC no EFI image is worth an info. */
static void test_real_rom_without_efi(void **state)
{
	(void)state;
	size_t len;
	uint8_t *real = ipxe("pxe-e1000e.rom", &len);
	char *root = vh_test_scratch_copy(vh_test_host("health"));
	vh_test_write_bytes(root, NIC, real, len);
	struct run r = rom(root, true, NULL, "0000:0a:00.0", NULL, NULL, NULL);
	assert_int_equal(r.status, 0);
	char line[160];
	snprintf(line, sizeof(line),
		 "  0     0x000000  x86   8086:10d3   0x020000 %8zu  yes   ok\n",
		 (size_t)real[2] * 512);
	assert_contains(r.out, line);
	assert_contains(r.out, "[info] rom-no-efi: the ROM of 0000:0a:00.0 has no EFI image");
	assert_not_contains(r.out, "[ ok ] an EFI image");
	done(&r);
	free(real);
	vh_test_scratch_free(root);
}

/* Made-up ROMs in the GPU's rom: what each finding says, and the exit. */
static struct run gpu_rom(const char *root, size_t header, const struct vh_test_rom_image *imgs,
			  size_t n, const char *a1, const char *a2)
{
	size_t len;
	uint8_t *buf = vh_test_make_rom(header, imgs, n, false, &len);
	vh_test_write_bytes(root, GPU, buf, len);
	free(buf);
	vh_test_mock_reset_count(root);
	char log[256];
	snprintf(log, sizeof(log), "%s/.vhmock/writes.log", root);
	unlink(log);
	return rom(root, true, NULL, "01:00.0", a1, a2, NULL);
}

static void test_made_up_findings(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("health"));
	/* a bad x86 checksum and no EFI image: warnings, still usable */
	struct vh_test_rom_image legacy[] = {
		{ .vendor = 0x10de, .device = 0x2803, .badsum = true }
	};
	struct run r = gpu_rom(root, 0, legacy, 1, NULL, NULL);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "1024  yes   WRONG\n");
	assert_contains(
		r.out,
		"[WARN] rom-checksum: the x86 image at 0x0 does not sum to 0 (mod 256): SeaBIOS skips it");
	assert_contains(
		r.out,
		"[WARN] rom-no-efi: the ROM of 0000:01:00.0 has no EFI image: under OVMF the display shows nothing");
	assert_contains(r.out, "Verdict: usable as romfile= (0 errors, 2 warnings)");
	expect_enabled_then_disabled(root, GPU);
	done(&r);
	/* another device of the vendor: a warning */
	struct vh_test_rom_image ga104[] = {
		{ .vendor = 0x10de, .device = 0x2484 },
		{ .code_type = 3, .vendor = 0x10de, .device = 0x2484 }
	};
	r = gpu_rom(root, 0, ga104, 2, "--json", NULL);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "\"id\": \"rom-mismatch\"");
	assert_contains(r.out, "\"severity\": \"warn\"");
	done(&r);
	/* another vendor: not usable, and --save refuses it */
	struct vh_test_rom_image amd[] = { { .vendor = 0x1002, .device = 0x731f },
					   { .code_type = 3, .vendor = 0x1002, .device = 0x731f } };
	char save[4096];
	snprintf(save, sizeof(save), "%s/amd.rom", root);
	r = gpu_rom(root, 0, amd, 2, "--save", save);
	assert_int_equal(r.status, 1);
	assert_contains(
		r.out,
		"[FAIL] rom-invalid: the image at 0x0 is for 1002:731f, but 0000:01:00.0 is 10de:2803");
	assert_contains(r.out, "Verdict: NOT usable as romfile= (1 error");
	assert_contains(r.err, "not saved to");
	assert_int_not_equal(access(save, F_OK), 0);
	expect_enabled_then_disabled(root, GPU);
	done(&r);
	/* a flashing tool's header: the offset to cut */
	struct vh_test_rom_image gpu[] = { { .vendor = 0x10de, .device = 0x2803 },
					   { .code_type = 3, .vendor = 0x10de, .device = 0x2803 } };
	r = gpu_rom(root, 1536, gpu, 2, NULL, NULL);
	assert_int_equal(r.status, 1);
	assert_contains(
		r.out,
		"[FAIL] rom-invalid: the 3584 bytes the kernel gave are no PCI expansion ROM: no 0x55AA signature at offset 0: the ROM starts at byte 1536");
	expect_enabled_then_disabled(root, GPU);
	done(&r);
	vh_test_scratch_free(root);
}

/* No ROM BAR, or no bytes: rom-unreadable with why; images empty. */
static void test_unreadable(void **state)
{
	(void)state;
	struct run r = rom(vh_test_host("health"), false, NULL, "07:00.0", "--json", NULL, NULL);
	assert_int_equal(r.status, 1);
	json_object *o = parse(r.out);
	assert_int_equal(json_object_get_int64(get(o, "size")), 0);
	assert_int_equal(json_object_array_length(get(o, "images")), 0);
	assert_false(json_object_get_boolean(get(o, "efi")));
	json_object *f = json_object_array_get_idx(get(o, "findings"), 0);
	assert_string_equal(str(f, "id"), "rom-unreadable");
	assert_string_equal(str(f, "severity"), "error");
	assert_contains(str(f, "message"),
			"0000:07:00.0 has no expansion ROM BAR (no rom in sysfs)");
	json_object_put(o);
	done(&r);
	/* the seed tree's rom files are empty: the GPU sits in D3hot on vfio-pci */
	r = rom(vh_test_host("seed"), false, NULL, "01:00.0", NULL, NULL, NULL);
	assert_int_equal(r.status, 1);
	assert_contains(
		r.out,
		"[FAIL] rom-unreadable: the kernel returned no bytes from /sys/bus/pci/devices/0000:01:00.0/rom; 0000:01:00.0 sits in D3hot");
	assert_contains(
		r.out,
		"fix: echo on > /sys/bus/pci/devices/0000:01:00.0/power/control; hookctl rom 0000:01:00.0; echo auto >");
	done(&r);
}

/* A running VM holds the GPU: refused, the VM named, nothing written. */
static void test_refused_while_a_vm_runs(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("in-use"));
	struct run r = rom(root, true, NULL, "01:00.0", "--json", NULL, NULL);
	assert_int_equal(r.status, 2);
	assert_string_equal(r.out, "");
	assert_contains(r.err, "hookctl rom: 0000:01:00.0 is in use: VM 200 holds it;");
	assert_contains(r.err, "stop VM 200 first (qm stop 200)");
	assert_string_equal(vh_test_mock_writes(root), "");
	done(&r);
	/* the audio function, whose reservation expired and whose VM does not run */
	r = rom(root, true, NULL, "01:00.1", NULL, NULL, NULL);
	assert_int_equal(r.status, 1); /* no ROM BAR */
	assert_contains(r.out, "rom-unreadable");
	done(&r);
	/* a VM that runs and passes the card in its config, without a reservation */
	vh_test_write(root, "run/qemu-server/pci-id-reservations", "");
	r = rom(root, true, NULL, "01:00.0", NULL, NULL, NULL);
	assert_int_equal(r.status, 2);
	assert_contains(r.err, "running VM 200 passes it as hostpci0");
	done(&r);
	vh_test_scratch_free(root);
}

/* The enable or the disable fails: the tool says so and exits 2; a failed
 * enable reads nothing, a failed disable is named with its fix. */
static void test_sysfs_writes_fail(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("health"));
	const char *enable[] = { "VH_MOCK_FAIL_WRITE=1", "VH_MOCK_FAIL_ERRNO=EPERM", NULL };
	struct run r = rom(root, true, enable, "01:00.0", NULL, NULL, NULL);
	assert_int_equal(r.status, 2);
	assert_string_equal(r.out, "");
	assert_contains(r.err, "cannot enable the ROM of 0000:01:00.0 (writing 1 to");
	assert_contains(r.err, "(run as root)");
	assert_int_equal(vh_test_mock_write_count(root), 1);
	done(&r);
	vh_test_mock_reset_count(root);
	const char *disable[] = { "VH_MOCK_FAIL_WRITE=2", "VH_MOCK_FAIL_ERRNO=EIO", NULL };
	r = rom(root, true, disable, "01:00.0", NULL, NULL, NULL);
	assert_int_equal(r.status, 2);
	assert_contains(r.err, "the ROM of 0000:01:00.0 stays enabled: writing 0 to");
	assert_contains(r.err, "echo 0 > /sys/bus/pci/devices/0000:01:00.0/rom");
	done(&r);
	/* the kernel stand-in refuses a read that was not enabled */
	vh_test_write(root, ".vhmock/rom/0000:01:00.0", "0\n");
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", root, GPU);
	const char *cat[] = { "/bin/cat", path, NULL };
	struct vh_test_proc p;
	vh_test_run_env(cat, vh_test_mock_env(root), LIMIT_MS, &p);
	assert_int_not_equal(p.status, 0);
	assert_contains(p.err, "Invalid argument");
	vh_test_proc_free(&p);
	vh_test_scratch_free(root);
}

static void test_usage_and_save_errors(void **state)
{
	(void)state;
	struct run r = rom(vh_test_host("health"), false, NULL, "gpu", NULL, NULL, NULL);
	assert_int_equal(r.status, 2);
	assert_contains(
		r.err,
		"hookctl rom: 'gpu' is not a PCI address (0000:01:00.0 or 01:00.0)\nusage: hookctl rom ADDRESS [--root DIR] [--json] [--save FILE]\n");
	done(&r);
	r = rom(vh_test_host("health"), false, NULL, "0000:1f:00.0", NULL, NULL, NULL);
	assert_int_equal(r.status, 2);
	assert_contains(r.err, "no PCI device 0000:1f:00.0 on this host");
	done(&r);
	r = rom(vh_test_host("health"), false, NULL, "01:00.0", "--save", "/nonexistent/dir/x.rom",
		NULL);
	assert_int_equal(r.status, 2); /* usable, but not written */
	assert_contains(r.err, "cannot write /nonexistent/dir/x.rom");
	assert_contains(r.out, "Verdict: usable as romfile=");
	assert_not_contains(r.out, "Saved");
	done(&r);
}

/* pre-start judges romfile= as check does: the header dump refuses the start,
 * a ROM whose device list has the card's id lets it go. */
static void test_prestart_judges_romfile(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("health"));
	struct vh_test_proc p;
	vh_test_mock_hook(root, "121", "pre-start", NULL, LIMIT_MS, &p);
	assert_int_equal(p.status, 1);
	assert_contains(p.out, "romfile-invalid");
	assert_contains(p.out, "the ROM starts at byte 1536");
	vh_test_proc_free(&p);
	vh_test_mock_hook(root, "124", "pre-start", NULL, LIMIT_MS, &p);
	assert_int_equal(p.status, 0);
	assert_not_contains(p.out, "romfile-");
	vh_test_proc_free(&p);
	vh_test_scratch_free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree_rom),
		cmocka_unit_test(test_real_rom_saved),
		cmocka_unit_test(test_real_rom_without_efi),
		cmocka_unit_test(test_made_up_findings),
		cmocka_unit_test(test_unreadable),
		cmocka_unit_test(test_refused_while_a_vm_runs),
		cmocka_unit_test(test_sysfs_writes_fail),
		cmocka_unit_test(test_usage_and_save_errors),
		cmocka_unit_test(test_prestart_judges_romfile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
