/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PCI expansion ROMs (rom.h has the layout): the image chain, each image's
 * PCIR, the x86 checksum and the EFI header; and reading one from a file or
 * from a device's sysfs rom attribute.
 */
#include "internal.h"
#include "host/rom.h"
#include "host/sysfs.h"

#include <errno.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#define PCIR_MIN_LENGTH 0x18  /* a revision 0-2 PCIR; revision 3 has 0x1c */
#define IMAGE_HEADER_MIN 0x1a /* through the PCIR pointer at 0x18 */
#define EFI_SIGNATURE 0x0EF1u

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* buf[off..off+n) lies within buf[0..len). */
static bool fits(size_t len, size_t off, size_t n)
{
	return off <= len && n <= len - off;
}

static bool signature_at(const uint8_t *buf, size_t len, size_t off)
{
	return fits(len, off, 2) && buf[off] == 0x55 && buf[off + 1] == 0xaa;
}

/* The PCIR of the image at `image`: its pointer stays within the buffer and
 * the structure there starts with "PCIR". */
static bool pcir_of(const uint8_t *buf, size_t len, size_t image, size_t *pcir)
{
	if (!fits(len, image, IMAGE_HEADER_MIN))
		return false;
	size_t p = image + le16(buf + image + 0x18);
	if (!fits(len, p, PCIR_MIN_LENGTH) || memcmp(buf + p, "PCIR", 4))
		return false;
	*pcir = p;
	return true;
}

/* The first offset after 0 where a whole image starts: 0x55AA, a PCIR, a
 * length that is not 0 and fits. What a vendor flashing tool puts in front
 * of the ROM is then that many bytes. -1 when there is none. */
static long find_start(const uint8_t *buf, size_t len)
{
	for (size_t i = 1; i + 1 < len && i < (size_t)LONG_MAX; i++) {
		const uint8_t *hit = memchr(buf + i, 0x55, len - 1 - i);
		if (!hit)
			return -1;
		i = (size_t)(hit - buf);
		size_t p;
		if (buf[i + 1] != 0xaa || !pcir_of(buf, len, i, &p))
			continue;
		size_t size = (size_t)le16(buf + p + 0x10) * 512;
		if (size && fits(len, i, size))
			return (long)i;
	}
	return -1;
}

static int problem(struct vh_rom *out, enum vh_rom_problem what, size_t at, const char *fmt, ...)
	VH_PRINTF(4, 5);
static int problem(struct vh_rom *out, enum vh_rom_problem what, size_t at, const char *fmt, ...)
{
	va_list ap;
	out->problem = what;
	out->problem_at = at;
	va_start(ap, fmt);
	vsnprintf(out->why, sizeof(out->why), fmt, ap);
	va_end(ap);
	return -1;
}

static int no_signature(const uint8_t *buf, size_t len, struct vh_rom *out)
{
	out->start_at = find_start(buf, len);
	if (out->start_at > 0)
		return problem(out, VH_ROM_NO_SIGNATURE, 0,
			       "no 0x55AA signature at offset 0: the ROM starts at byte %ld "
			       "(0x%lx), after a header of %ld bytes such as a vendor flashing "
			       "tool writes",
			       out->start_at, (unsigned long)out->start_at, out->start_at);
	if (len < 2)
		return problem(out, VH_ROM_NO_SIGNATURE, 0,
			       "%zu byte%s: too short for a 0x55AA signature", len,
			       len == 1 ? "" : "s");
	return problem(out, VH_ROM_NO_SIGNATURE, 0,
		       "no 0x55AA signature at offset 0 (it starts %02x %02x) and no PCI "
		       "expansion ROM image further in: this is no option ROM",
		       buf[0], buf[1]);
}

/* PCIR revision 3's list of further device ids: 16-bit, ended by 0. */
static void read_device_list(const uint8_t *buf, size_t len, struct vh_rom_image *img)
{
	uint16_t ptr = le16(buf + img->pcir + 0x08);
	if (img->pcir_revision < 3 || !ptr)
		return;
	for (size_t q = img->pcir + ptr;
	     fits(len, q, 2) && img->n_device_ids < VH_ROM_MAX_DEVICE_IDS; q += 2) {
		uint16_t id = le16(buf + q);
		if (!id)
			break;
		img->device_ids[img->n_device_ids++] = id;
	}
}

/* Reads what the image at `off` (its PCIR at `pcir`, checked) says. */
static void read_image(const uint8_t *buf, size_t len, size_t off, size_t pcir,
		       struct vh_rom_image *img)
{
	const uint8_t *p = buf + pcir;
	memset(img, 0, sizeof(*img));
	img->offset = off;
	img->pcir = pcir;
	img->vendor = le16(p + 0x04);
	img->device = le16(p + 0x06);
	img->pcir_revision = p[0x0c];
	img->class_code = (uint32_t)p[0x0f] << 16 | (uint32_t)p[0x0e] << 8 | p[0x0d];
	img->size = (size_t)le16(p + 0x10) * 512;
	img->code_type = p[0x14];
	img->last = (p[0x15] & 0x80) != 0;
	read_device_list(buf, len, img);
	if (img->code_type == VH_ROM_CODE_EFI && fits(len, off, IMAGE_HEADER_MIN) &&
	    le32(buf + off + 0x04) == EFI_SIGNATURE) {
		img->efi_header = true;
		img->efi_subsystem = le16(buf + off + 0x08);
		img->efi_machine = le16(buf + off + 0x0a);
		img->efi_compression = le16(buf + off + 0x0c);
	}
}

static bool checksum_ok(const uint8_t *buf, size_t off, size_t size)
{
	uint8_t sum = 0;
	for (size_t i = 0; i < size; i++)
		sum = (uint8_t)(sum + buf[off + i]);
	return sum == 0;
}

int vh_rom_parse(const uint8_t *buf, size_t len, struct vh_rom *out)
{
	memset(out, 0, sizeof(*out));
	out->size = len;
	out->start_at = -1;
	if (!len)
		return problem(out, VH_ROM_EMPTY, 0, "the ROM is empty (0 bytes)");
	for (size_t off = 0;;) {
		size_t n = out->n_images, pcir;
		if (!signature_at(buf, len, off)) {
			if (off == 0)
				return no_signature(buf, len, out);
			/* after a whole image: the end, or padding (0xff of a flash chip) */
			out->unterminated = true;
			return 0;
		}
		if (n == VH_ROM_MAX_IMAGES)
			return problem(out, VH_ROM_TOO_MANY, off,
				       "more than %d images: no card's ROM has that many",
				       VH_ROM_MAX_IMAGES);
		if (!fits(len, off, IMAGE_HEADER_MIN))
			return problem(out, VH_ROM_BAD_PCIR, off,
				       "image %zu at 0x%zx is cut short before its PCIR pointer "
				       "(the ROM is truncated)",
				       n, off);
		if (!pcir_of(buf, len, off, &pcir))
			return problem(
				out, VH_ROM_BAD_PCIR, off,
				"image %zu at 0x%zx: no PCI data structure (\"PCIR\") where its "
				"pointer (0x%04x) leads",
				n, off, le16(buf + off + 0x18));
		struct vh_rom_image *img = &out->images[n];
		read_image(buf, len, off, pcir, img);
		if (!img->size)
			return problem(out, VH_ROM_ZERO_LENGTH, off,
				       "image %zu at 0x%zx has an image length of 0 in its PCIR", n,
				       off);
		if (!fits(len, off, img->size))
			return problem(out, VH_ROM_PAST_END, off,
				       "image %zu at 0x%zx is %zu bytes long by its PCIR, but only "
				       "%zu bytes follow its start: the ROM is truncated",
				       n, off, img->size, len - off);
		if (img->code_type == VH_ROM_CODE_X86)
			img->checksum_ok = checksum_ok(buf, off, img->size);
		out->n_images++;
		off += img->size;
		out->end = off;
		if (img->last)
			return 0;
	}
}

const char *vh_rom_code_name(uint8_t code_type)
{
	return code_type == VH_ROM_CODE_X86   ? "x86"
	       : code_type == VH_ROM_CODE_EFI ? "efi"
					      : "other";
}

const char *vh_rom_efi_machine_name(uint16_t machine)
{
	switch (machine) {
	case 0x014c:
		return "ia32";
	case 0x0200:
		return "ia64";
	case 0x0ebc:
		return "ebc";
	case 0x8664:
		return "x64";
	case 0x01c2:
		return "arm";
	case 0xaa64:
		return "aa64";
	case 0x5064:
		return "riscv64";
	case 0x6264:
		return "loongarch64";
	default:
		return NULL;
	}
}

const char *vh_rom_efi_subsystem_name(uint16_t subsystem)
{
	switch (subsystem) {
	case 10:
		return "application";
	case 11:
		return "boot service driver";
	case 12:
		return "runtime driver";
	default:
		return NULL;
	}
}

bool vh_rom_image_runs(const struct vh_rom_image *img)
{
	return img->code_type == VH_ROM_CODE_X86 || img->code_type == VH_ROM_CODE_EFI;
}

bool vh_rom_has_efi(const struct vh_rom *rom)
{
	for (size_t i = 0; i < rom->n_images; i++)
		if (rom->images[i].code_type == VH_ROM_CODE_EFI)
			return true;
	return false;
}

bool vh_rom_image_serves(const struct vh_rom_image *img, uint16_t device)
{
	if (img->device == device)
		return true;
	for (size_t i = 0; i < img->n_device_ids; i++)
		if (img->device_ids[i] == device)
			return true;
	return false;
}

enum vh_rom_match vh_rom_match(const struct vh_rom *rom, uint16_t vendor, uint16_t device,
			       const struct vh_rom_image **which)
{
	const struct vh_rom_image *other_device = NULL;
	bool any = false;
	*which = NULL;
	for (size_t i = 0; i < rom->n_images; i++) {
		const struct vh_rom_image *img = &rom->images[i];
		if (!vh_rom_image_runs(img))
			continue;
		any = true;
		if (img->vendor != vendor) {
			*which = img;
			return VH_ROM_OTHER_VENDOR;
		}
		if (!other_device && !vh_rom_image_serves(img, device))
			other_device = img;
	}
	*which = other_device;
	return !any ? VH_ROM_NOTHING_RUNS : other_device ? VH_ROM_OTHER_DEVICE : VH_ROM_MATCH;
}

/* ---- reading ---- */

int vh_rom_read_file(const char *path, uint8_t **out, size_t *len)
{
	char *buf;
	if (vh_slurp(path, VH_ROM_MAX_SIZE, &buf, len) < 0)
		return -1;
	*out = (uint8_t *)buf;
	return 0;
}

/* The kernel's rom attribute: write "1" enables reads; only exactly "0\n"
 * at offset 0 disables them again (drivers/pci/pci-sysfs.c, pci_write_rom). */
static const char rom_enable[] = "1", rom_disable[] = "0\n";

static bool on_sysfs(const char *path)
{
	struct statfs sf;
	return statfs(path, &sf) == 0 && sf.f_type == SYSFS_MAGIC;
}

/* The tool could not do its part: -2 (the kernel's own answers are -1). */
static int tool_failed(void)
{
	return -2;
}

static int read_failed(const char *path, int e, struct vh_err *err)
{
	if (e == EFBIG)
		return vh_failc(err, EFBIG,
				"%s holds more than %u MiB: no expansion ROM is that big", path,
				VH_ROM_MAX_SIZE >> 20);
	if (e == EIO || e == ENOMEM || e == EINVAL)
		return vh_failc(err, EIO,
				"the kernel could not read the ROM through %s (%s): no valid ROM "
				"signature in the ROM BAR, or the device does not answer there",
				path, strerror(e));
	vh_failc(err, e, "reading %s failed: %s", path, strerror(e));
	return tool_failed();
}

int vh_rom_read_device(struct vh_host *h, const char *name, unsigned timeout_ms, uint8_t **out,
		       size_t *len, struct vh_err *err)
{
	char path[PATH_MAX];
	struct stat st;
	*out = NULL;
	*len = 0;
	if (!vh_is_safe_component(name) ||
	    vh_host_path(h, path, sizeof(path), "/sys/bus/pci/devices/%s/rom", name) < 0) {
		vh_failc(err, ENAMETOOLONG, "%s: path too long under %s", name, vh_host_root(h));
		return tool_failed();
	}
	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return vh_failc(err, ENOENT,
					"%s has no rom attribute in sysfs: the kernel sees no "
					"expansion ROM BAR on it",
					name);
		vh_fail(err, "%s: %s", path, strerror(errno));
		return tool_failed();
	}
	if (!S_ISREG(st.st_mode)) {
		vh_failc(err, EINVAL, "%s is not a file", path);
		return tool_failed();
	}
	bool toggle = on_sysfs(path);
	if (toggle && vh_sysfs_write(path, rom_enable, timeout_ms, err) < 0) {
		int e = err->code;
		vh_failc(err, e, "cannot enable the ROM of %s (writing 1 to %s): %s%s", name, path,
			 strerror(e), e == EACCES || e == EPERM ? " (run as root)" : "");
		return tool_failed();
	}
	int rc = vh_rom_read_file(path, out, len);
	int e = errno;
	struct vh_err off_err;
	/* Disabled again whatever the read did. */
	bool off_failed = toggle && vh_sysfs_write(path, rom_disable, timeout_ms, &off_err) < 0;
	if (rc < 0)
		rc = read_failed(path, e, err);
	if (off_failed) {
		free(*out);
		*out = NULL;
		*len = 0;
		vh_failc(err, off_err.code,
			 "the ROM of %s stays enabled: writing 0 to %s failed (%s); echo 0 > "
			 "/sys/bus/pci/devices/%s/rom",
			 name, path, strerror(off_err.code), name);
		return tool_failed();
	}
	return rc;
}
