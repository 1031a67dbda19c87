/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The PCI expansion ROM parser (host/rom.c) on ROMs no one here wrote:
 * Debian's ipxe-qemu ships them in /usr/lib/ipxe/qemu/ (Debian 13: /usr/share/qemu/;
 * efi-*.rom: an x86 image and an EFI image; pxe-*.rom: x86 only), read at run time, never
 * copied into the repository. Then made-up ROMs (testlib's
 * vh_test_make_rom) for what no shipped ROM shows: a flashing tool's header
 * in front of the signature, another vendor or device, a device list, a bad
 * checksum, truncated images, lengths of 0 and past the end.
 */
#include "testlib.h"
#include "host/rom.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A shipped ROM, or a skip that says what to install. */
static uint8_t *ipxe(const char *name, size_t *len)
{
	const char *path = vh_test_ipxe_rom(name);
	uint8_t *buf = NULL; /* clang 14: skip() is not known not to return */
	if (!path || vh_rom_read_file(path, &buf, len) < 0) {
		print_message("SKIP: %s cannot be read (%s): apt-get install -y ipxe-qemu "
			      "(scripts/deps.sh installs it)\n",
			      name, path ? strerror(errno) : "not installed");
		skip();
	}
	return buf;
}

static void test_ipxe_legacy_and_efi(void **state)
{
	(void)state;
	size_t len;
	uint8_t *buf = ipxe("efi-e1000e.rom", &len);
	struct vh_rom rom;
	assert_int_equal(vh_rom_parse(buf, len, &rom), 0);
	assert_int_equal(rom.problem, VH_ROM_OK);
	assert_int_equal(rom.n_images, 2);
	const struct vh_rom_image *x86 = &rom.images[0], *efi = &rom.images[1];
	/* kernel-bench.md: PCIR 8086:10d3, code type 0, 73.5 KiB (Debian 12's build;
	 * Debian 13's is 106.5 KiB, its EFI image compressed, the file padded with
	 * 0xff to 256 KiB), then an EFI image; sizes from the images' own headers */
	size_t x86_len = (size_t)buf[2] * 512;
	size_t efi_len = (size_t)(buf[x86_len + 2] | buf[x86_len + 3] << 8) * 512;
	assert_int_equal(x86->offset, 0);
	assert_int_equal(x86->vendor, 0x8086);
	assert_int_equal(x86->device, 0x10d3);
	assert_int_equal(x86->class_code, 0x020000);
	assert_int_equal(x86->code_type, VH_ROM_CODE_X86);
	assert_int_equal(x86->size, x86_len);
	assert_false(x86->last);
	assert_true(x86->checksum_ok);
	assert_int_equal(x86->pcir_revision, 3);
	assert_int_equal(x86->n_device_ids, 1);
	assert_int_equal(x86->device_ids[0], 0x10d3);
	assert_int_equal(efi->offset, x86->size);
	assert_int_equal(efi->code_type, VH_ROM_CODE_EFI);
	assert_int_equal(efi->vendor, 0x8086);
	assert_int_equal(efi->device, 0x10d3);
	assert_true(efi->last);
	assert_true(efi->efi_header);
	assert_string_equal(vh_rom_efi_machine_name(efi->efi_machine), "x64");
	assert_string_equal(vh_rom_efi_subsystem_name(efi->efi_subsystem), "boot service driver");
	assert_int_equal(efi->size, efi_len);
	assert_true(efi->efi_compression == 0 || efi->efi_compression == 1);
	assert_int_equal(rom.end, x86_len + efi_len);
	for (size_t i = rom.end; i < len; i++) /* only padding after the chain */
		assert_int_equal(buf[i], 0xff);
	assert_false(rom.unterminated);
	assert_true(vh_rom_has_efi(&rom));
	const struct vh_rom_image *which;
	assert_int_equal(vh_rom_match(&rom, 0x8086, 0x10d3, &which), VH_ROM_MATCH);
	assert_int_equal(vh_rom_match(&rom, 0x10de, 0x2803, &which), VH_ROM_OTHER_VENDOR);
	assert_ptr_equal(which, x86);
	assert_int_equal(vh_rom_match(&rom, 0x8086, 0x10d4, &which), VH_ROM_OTHER_DEVICE);
	free(buf);
}

/* Every ROM the package ships: pxe-* one x86 image, efi-* an x86 image
 * and an EFI image for the same device; checksums right, chains closed.
 * The ne2k_pci ROMs carry no ids (PCIR 0000:0000, the EFI image fff3:0000):
 * QEMU patches the ids into the ROMs it loads by default (pci_patch_ids),
 * never into a romfile=; as a romfile= such a ROM is of another vendor. */
static void test_ipxe_every_rom(void **state)
{
	(void)state;
	glob_t g;
	size_t len;
	free(ipxe("pxe-e1000e.rom", &len)); /* skips when the package is missing */
	char dir[512], pattern[600];
	snprintf(dir, sizeof(dir), "%s", vh_test_ipxe_rom("pxe-e1000e.rom"));
	*strrchr(dir, '/') = '\0';
	snprintf(pattern, sizeof(pattern), "%s/pxe-*.rom", dir);
	assert_int_equal(glob(pattern, 0, NULL, &g), 0);
	snprintf(pattern, sizeof(pattern), "%s/efi-*.rom", dir);
	assert_int_equal(glob(pattern, GLOB_APPEND, NULL, &g), 0);
	assert_true(g.gl_pathc >= 8);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		uint8_t *buf;
		struct vh_rom rom;
		bool efi = strstr(g.gl_pathv[i], "/efi-") != NULL;
		assert_int_equal(vh_rom_read_file(g.gl_pathv[i], &buf, &len), 0);
		if (vh_rom_parse(buf, len, &rom) < 0)
			fail_msg("%s: %s", g.gl_pathv[i], rom.why);
		assert_int_equal(rom.n_images, efi ? 2 : 1);
		assert_int_equal(rom.images[0].code_type, VH_ROM_CODE_X86);
		assert_true(rom.images[0].checksum_ok);
		assert_int_equal(vh_rom_has_efi(&rom), efi);
		assert_true(rom.images[rom.n_images - 1].last);
		const struct vh_rom_image *which;
		bool no_ids = strstr(g.gl_pathv[i], "ne2k_pci") != NULL;
		assert_int_equal(vh_rom_match(&rom, 0x10ec, 0x8029, &which),
				 no_ids                           ? VH_ROM_OTHER_VENDOR
				 : rom.images[0].vendor == 0x10ec ? VH_ROM_OTHER_DEVICE
								  : VH_ROM_OTHER_VENDOR);
		if (!no_ids)
			assert_int_equal(vh_rom_match(&rom, rom.images[0].vendor,
						      rom.images[0].device, &which),
					 VH_ROM_MATCH);
		free(buf);
	}
	globfree(&g);
}

/* A flashing tool's header in front of a real ROM: the message names the
 * offset to cut, and the bytes from there parse. */
static void test_header_before_signature(void **state)
{
	(void)state;
	size_t len;
	uint8_t *real = ipxe("efi-e1000e.rom", &len);
	const size_t header = 1536;
	uint8_t *buf = malloc(header + len);
	assert_non_null(buf);
	memset(buf, 'N', header);
	memcpy(buf + header, real, len);
	struct vh_rom rom;
	assert_int_equal(vh_rom_parse(buf, header + len, &rom), -1);
	assert_int_equal(rom.problem, VH_ROM_NO_SIGNATURE);
	assert_int_equal(rom.start_at, 1536);
	assert_int_equal(rom.n_images, 0);
	assert_contains(rom.why, "the ROM starts at byte 1536 (0x600)");
	assert_contains(rom.why, "header of 1536 bytes");
	assert_int_equal(vh_rom_parse(buf + rom.start_at, header + len - 1536, &rom), 0);
	assert_int_equal(rom.n_images, 2);
	free(buf);
	free(real);
	/* a made-up one with an odd header, and a stray 0x55AA without a PCIR in it */
	struct vh_test_rom_image img[] = { { .vendor = 0x10de, .device = 0x2803 } };
	buf = vh_test_make_rom(777, img, 1, false, &len);
	buf[100] = 0x55;
	buf[101] = 0xaa;
	assert_int_equal(vh_rom_parse(buf, len, &rom), -1);
	assert_int_equal(rom.start_at, 777);
	free(buf);
	/* no ROM anywhere: said so, no offset */
	uint8_t text[] = "VBIOS dump failed\n";
	assert_int_equal(vh_rom_parse(text, sizeof(text) - 1, &rom), -1);
	assert_int_equal(rom.problem, VH_ROM_NO_SIGNATURE);
	assert_int_equal(rom.start_at, -1);
	assert_contains(rom.why, "no PCI expansion ROM image further in");
}

static void test_vendor_device_and_list(void **state)
{
	(void)state;
	size_t len;
	struct vh_rom rom;
	const struct vh_rom_image *which;
	struct vh_test_rom_image amd[] = { { .vendor = 0x1002, .device = 0x731f },
					   { .code_type = 3, .vendor = 0x1002, .device = 0x731f } };
	uint8_t *buf = vh_test_make_rom(0, amd, 2, false, &len);
	assert_int_equal(vh_rom_parse(buf, len, &rom), 0);
	assert_int_equal(vh_rom_match(&rom, 0x10de, 0x2803, &which), VH_ROM_OTHER_VENDOR);
	assert_int_equal(which->offset, 0);
	free(buf);
	/* another device of the same vendor, then the same with the device in its list */
	struct vh_test_rom_image ga104[] = {
		{ .vendor = 0x10de, .device = 0x2484 },
		{ .code_type = 3, .vendor = 0x10de, .device = 0x2484 }
	};
	buf = vh_test_make_rom(0, ga104, 2, false, &len);
	assert_int_equal(vh_rom_parse(buf, len, &rom), 0);
	assert_int_equal(vh_rom_match(&rom, 0x10de, 0x2803, &which), VH_ROM_OTHER_DEVICE);
	assert_int_equal(vh_rom_match(&rom, 0x10de, 0x2484, &which), VH_ROM_MATCH);
	free(buf);
	struct vh_test_rom_image listed[] = {
		{ .vendor = 0x10de, .device = 0x2805, .list = { 0x2805, 0x2803 } },
		{ .code_type = 3, .vendor = 0x10de, .device = 0x2805, .list = { 0x2803 } }
	};
	buf = vh_test_make_rom(0, listed, 2, false, &len);
	assert_int_equal(vh_rom_parse(buf, len, &rom), 0);
	assert_int_equal(rom.images[0].n_device_ids, 2);
	assert_int_equal(rom.images[0].device_ids[1], 0x2803);
	assert_int_equal(vh_rom_match(&rom, 0x10de, 0x2803, &which), VH_ROM_MATCH);
	assert_int_equal(vh_rom_match(&rom, 0x10de, 0x2804, &which), VH_ROM_OTHER_DEVICE);
	free(buf);
	/* an image the firmware does not run (a vendor's own code type) is not judged */
	struct vh_test_rom_image other[] = { { .vendor = 0x10de, .device = 0x2803 },
					     { .code_type = 0x70, .vendor = 0x1234, .device = 1 } };
	buf = vh_test_make_rom(0, other, 2, false, &len);
	assert_int_equal(vh_rom_parse(buf, len, &rom), 0);
	assert_false(vh_rom_image_runs(&rom.images[1]));
	assert_string_equal(vh_rom_code_name(rom.images[1].code_type), "other");
	assert_int_equal(vh_rom_match(&rom, 0x10de, 0x2803, &which), VH_ROM_MATCH);
	assert_int_equal(vh_rom_parse(buf + 1024, len - 1024, &rom), 0);
	assert_int_equal(vh_rom_match(&rom, 0x1234, 1, &which), VH_ROM_NOTHING_RUNS);
	free(buf);
}

static void test_checksum(void **state)
{
	(void)state;
	size_t len;
	struct vh_rom rom;
	struct vh_test_rom_image imgs[] = { { .vendor = 0x8086, .device = 0x10d3, .badsum = true },
					    { .code_type = 3, .vendor = 0x8086, .device = 0x10d3 } };
	uint8_t *buf = vh_test_make_rom(0, imgs, 2, false, &len);
	assert_int_equal(vh_rom_parse(buf, len, &rom),
			 0); /* still a ROM: OVMF runs the EFI image */
	assert_false(rom.images[0].checksum_ok);
	free(buf);
	imgs[0].badsum = false;
	buf = vh_test_make_rom(0, imgs, 2, false, &len);
	assert_int_equal(vh_rom_parse(buf, len, &rom), 0);
	assert_true(rom.images[0].checksum_ok);
	buf[10] ^= 1; /* one bit flipped in the image */
	assert_int_equal(vh_rom_parse(buf, len, &rom), 0);
	assert_false(rom.images[0].checksum_ok);
	free(buf);
}

static void test_broken_chains(void **state)
{
	(void)state;
	size_t len;
	struct vh_rom rom;
	struct vh_test_rom_image imgs[] = {
		{ .vendor = 0x10de, .device = 0x2803 },
		{ .code_type = 3, .vendor = 0x10de, .device = 0x2803, .blocks = 4 }
	};
	uint8_t *buf = vh_test_make_rom(0, imgs, 2, false, &len);
	/* truncated inside the second image: its length runs past the end */
	assert_int_equal(vh_rom_parse(buf, 1024 + 1000, &rom), -1);
	assert_int_equal(rom.problem, VH_ROM_PAST_END);
	assert_int_equal(rom.problem_at, 1024);
	assert_int_equal(rom.n_images, 1); /* the first one is whole */
	assert_contains(rom.why, "image 1 at 0x400 is 2048 bytes long by its PCIR, but only 1000");
	/* truncated in the second image's header, and in its PCIR */
	assert_int_equal(vh_rom_parse(buf, 1024 + 0x10, &rom), -1);
	assert_int_equal(rom.problem, VH_ROM_BAD_PCIR);
	assert_contains(rom.why, "cut short before its PCIR pointer");
	assert_int_equal(vh_rom_parse(buf, 1024 + 0x28, &rom), -1);
	assert_int_equal(rom.problem, VH_ROM_BAD_PCIR);
	/* an image length past the end of a whole file */
	buf[0x20 + 0x10] = 0xff; /* image 0 claims 255 blocks */
	assert_int_equal(vh_rom_parse(buf, len, &rom), -1);
	assert_int_equal(rom.problem, VH_ROM_PAST_END);
	assert_int_equal(rom.problem_at, 0);
	free(buf);
	/* a PCIR pointer that leaves the file, and one to something else */
	buf = vh_test_make_rom(0, imgs, 2, false, &len);
	buf[0x18] = 0xf0;
	buf[0x19] = 0xff;
	assert_int_equal(vh_rom_parse(buf, len, &rom), -1);
	assert_int_equal(rom.problem, VH_ROM_BAD_PCIR);
	buf[0x18] = 0x40;
	buf[0x19] = 0;
	assert_int_equal(vh_rom_parse(buf, len, &rom), -1);
	assert_contains(rom.why,
			"no PCI data structure (\"PCIR\") where its pointer (0x0040) leads");
	free(buf);
	/* an image length of 0 would make the walk go round for ever */
	imgs[1].zero_length = true;
	buf = vh_test_make_rom(0, imgs, 2, false, &len);
	assert_int_equal(vh_rom_parse(buf, len, &rom), -1);
	assert_int_equal(rom.problem, VH_ROM_ZERO_LENGTH);
	assert_int_equal(rom.problem_at, 1024);
	free(buf);
	/* nothing at all, one byte */
	assert_int_equal(vh_rom_parse((const uint8_t *)"", 0, &rom), -1);
	assert_int_equal(rom.problem, VH_ROM_EMPTY);
	assert_int_equal(vh_rom_parse((const uint8_t *)"\x55", 1, &rom), -1);
	assert_int_equal(rom.problem, VH_ROM_NO_SIGNATURE);
}

/* No image marked last: the chain ends where the bytes or the images end
 * (a flash chip's 0xff padding), and that is no error. */
static void test_unterminated_and_padding(void **state)
{
	(void)state;
	size_t len;
	struct vh_rom rom;
	struct vh_test_rom_image imgs[] = { { .vendor = 0x10de, .device = 0x2803 } };
	uint8_t *buf = vh_test_make_rom(0, imgs, 1, true, &len);
	assert_int_equal(vh_rom_parse(buf, len, &rom), 0);
	assert_true(rom.unterminated);
	assert_int_equal(rom.end, 1024);
	uint8_t *padded = malloc(len + 4096);
	assert_non_null(padded);
	memcpy(padded, buf, len);
	memset(padded + len, 0xff, 4096);
	assert_int_equal(vh_rom_parse(padded, len + 4096, &rom), 0);
	assert_true(rom.unterminated);
	assert_int_equal(rom.n_images, 1);
	free(padded);
	free(buf);
	/* padding after an image marked last is not looked at */
	buf = vh_test_make_rom(0, imgs, 1, false, &len);
	assert_int_equal(vh_rom_parse(buf, len, &rom), 0);
	assert_false(rom.unterminated);
	free(buf);
}

static void test_too_many_images(void **state)
{
	(void)state;
	struct vh_test_rom_image imgs[VH_ROM_MAX_IMAGES + 1];
	for (size_t i = 0; i < VH_ROM_MAX_IMAGES + 1; i++)
		imgs[i] = (struct vh_test_rom_image){ .vendor = 0x10de,
						      .device = 0x2803,
						      .blocks = 1 };
	size_t len;
	struct vh_rom rom;
	uint8_t *buf = vh_test_make_rom(0, imgs, VH_ROM_MAX_IMAGES, false, &len);
	assert_int_equal(vh_rom_parse(buf, len, &rom), 0);
	assert_int_equal(rom.n_images, VH_ROM_MAX_IMAGES);
	free(buf);
	buf = vh_test_make_rom(0, imgs, VH_ROM_MAX_IMAGES + 1, false, &len);
	assert_int_equal(vh_rom_parse(buf, len, &rom), -1);
	assert_int_equal(rom.problem, VH_ROM_TOO_MANY);
	assert_int_equal(rom.n_images, VH_ROM_MAX_IMAGES);
	free(buf);
}

/* Every prefix of a made-up ROM, each in a buffer of exactly its size (so
 * AddressSanitizer sees a read past it), and a device list that runs to
 * the end of the buffer without its 0: nothing is read past the end. */
static void test_bounds(void **state)
{
	(void)state;
	size_t len;
	struct vh_test_rom_image imgs[] = {
		{ .vendor = 0x10de, .device = 0x2803, .list = { 0x2803, 0x2805 } },
		{ .code_type = 3, .vendor = 0x10de, .device = 0x2803 }
	};
	uint8_t *buf = vh_test_make_rom(3, imgs, 2, false, &len);
	for (size_t n = 0; n <= len; n++) {
		uint8_t *copy = malloc(n ? n : 1);
		assert_non_null(copy);
		memcpy(copy, buf, n);
		struct vh_rom rom;
		int rc = vh_rom_parse(copy, n, &rom);
		assert_true(rc == 0 || rom.why[0]);
		assert_true(rom.n_images <= 2);
		free(copy);
	}
	free(buf);
	/* the device list's pointer aimed at the last two bytes, no 0 after them */
	buf = vh_test_make_rom(0, imgs, 1, false, &len);
	buf[0x20 + 0x08] = (uint8_t)(len - 2 - 0x20);
	buf[0x20 + 0x09] = (uint8_t)((len - 2 - 0x20) >> 8);
	buf[len - 2] = 0x03;
	buf[len - 1] = 0x28;
	struct vh_rom rom;
	assert_int_equal(vh_rom_parse(buf, len, &rom), 0);
	assert_int_equal(rom.images[0].n_device_ids, 1);
	assert_int_equal(rom.images[0].device_ids[0], 0x2803);
	free(buf);
}

/* Prefixes of the real ROM around its image boundary and its headers. */
static void test_ipxe_truncated(void **state)
{
	(void)state;
	size_t len;
	uint8_t *real = ipxe("efi-e1000e.rom", &len);
	/* the images' lengths from their own headers (byte 2, 512-byte units),
	 * not from the parser: Debian 12's and 13's builds differ (13's is
	 * compressed and padded with 0xff to 256 KiB) */
	size_t x86 = (size_t)real[2] * 512;
	assert_true(x86 + 4 < len);
	size_t end = x86 + (size_t)(real[x86 + 2] | real[x86 + 3] << 8) * 512;
	assert_true(end <= len);
	const size_t cuts[] = { 1,       2,   0x19,       0x1a,       0x30,
				x86 - 1, x86, x86 + 0x19, x86 + 0x40, end - 1 };
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		uint8_t *copy = malloc(cuts[i]);
		assert_non_null(copy);
		memcpy(copy, real, cuts[i]);
		struct vh_rom rom;
		int rc = vh_rom_parse(copy, cuts[i], &rom);
		if (cuts[i] == x86) { /* the x86 image whole: no last flag, no more bytes */
			assert_int_equal(rc, 0);
			assert_true(rom.unterminated);
		} else {
			assert_int_equal(rc, -1);
		}
		free(copy);
	}
	free(real);
}

static void test_read_file_bounded(void **state)
{
	(void)state;
	char *dir = vh_test_scratch_empty(), path[4096];
	uint8_t *buf;
	size_t len;
	snprintf(path, sizeof(path), "%s/huge.rom", dir);
	int fd = open(path, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)VH_ROM_MAX_SIZE + 1), 0); /* sparse */
	close(fd);
	assert_int_equal(vh_rom_read_file(path, &buf, &len), -1);
	assert_int_equal(errno, EFBIG);
	snprintf(path, sizeof(path), "%s/missing.rom", dir);
	assert_int_equal(vh_rom_read_file(path, &buf, &len), -1);
	assert_int_equal(errno, ENOENT);
	vh_test_scratch_free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipxe_legacy_and_efi),
		cmocka_unit_test(test_ipxe_every_rom),
		cmocka_unit_test(test_header_before_signature),
		cmocka_unit_test(test_vendor_device_and_list),
		cmocka_unit_test(test_checksum),
		cmocka_unit_test(test_broken_chains),
		cmocka_unit_test(test_unterminated_and_padding),
		cmocka_unit_test(test_too_many_images),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_ipxe_truncated),
		cmocka_unit_test(test_read_file_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
