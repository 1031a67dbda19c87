/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PCI expansion ROMs: the one parser of the images a card's ROM BAR holds
 * (sysfs rom, for hookctl rom) and of the files romfile= names (check).
 *
 * The layout (PCI Firmware Specification 3.x; UEFI 2.x, "PCI Option ROMs"):
 * a ROM is a chain of images. Each image starts with 0x55 0xAA; the 16-bit
 * word at image offset 0x18 points (from the image's start) to its PCI Data
 * Structure, "PCIR":
 *
 *   PCIR +0x00 "PCIR"   +0x04 vendor   +0x06 device   +0x08 device list
 *        pointer (revision 3: from the PCIR's start, 16-bit ids, 0-ended)
 *        +0x0a length   +0x0c revision   +0x0d class code (3 bytes, prog-if
 *        first)   +0x10 image length in 512-byte units   +0x12 code revision
 *        +0x14 code type (0 x86, 1 Open Firmware, 2 PA-RISC, 3 EFI)
 *        +0x15 indicator (bit 7: the last image)
 *
 * The next image starts where this one ends. An x86 image's bytes sum to
 * 0 mod 256 (the legacy BIOS checks it). An EFI image has its own header:
 * +0x04 0x00000EF1, +0x08 subsystem, +0x0a machine type, +0x0c compression
 * type, +0x16 offset of the EFI image.
 *
 * Pure functions over a buffer: every offset and length is checked against
 * the buffer's size, nothing is read past it (tests/fuzz/fuzz_rom.c).
 */
#ifndef VFIOHELP_ROM_H
#define VFIOHELP_ROM_H

#include "internal.h"

/* The largest ROM read or judged: expansion ROM BARs of real cards are
 * 64 KiB to 2 MiB; a file over this is no ROM. */
#define VH_ROM_MAX_SIZE (16u << 20)
#define VH_ROM_MAX_IMAGES 16
#define VH_ROM_MAX_DEVICE_IDS 32

enum vh_rom_code_type {
	VH_ROM_CODE_X86 = 0,
	VH_ROM_CODE_OPENFIRMWARE = 1,
	VH_ROM_CODE_PARISC = 2,
	VH_ROM_CODE_EFI = 3,
};

struct vh_rom_image {
	size_t offset; /* of its 0x55AA in the buffer */
	size_t size;   /* the PCIR's image length in bytes */
	size_t pcir;   /* offset of its PCIR in the buffer */
	uint16_t vendor, device;
	uint32_t class_code; /* base class, subclass, prog-if */
	uint8_t pcir_revision;
	uint8_t code_type;
	bool last;
	/* PCIR revision 3's device list (the ids the image also serves) */
	size_t n_device_ids;
	uint16_t device_ids[VH_ROM_MAX_DEVICE_IDS];
	/* x86 images: the bytes of the image sum to 0 mod 256 */
	bool checksum_ok;
	/* EFI images (code type 3): the EFI header, when its signature is there */
	bool efi_header;
	uint16_t efi_subsystem, efi_machine, efi_compression;
};

/* What stopped the walk: the ROM is usable only with VH_ROM_OK. */
enum vh_rom_problem {
	VH_ROM_OK,
	VH_ROM_EMPTY,        /* no bytes at all */
	VH_ROM_NO_SIGNATURE, /* no 0x55AA where an image must start */
	VH_ROM_BAD_PCIR,     /* the PCIR pointer leaves the buffer, or no "PCIR" there */
	VH_ROM_ZERO_LENGTH,  /* an image length of 0 */
	VH_ROM_PAST_END,     /* an image runs past the end of the buffer */
	VH_ROM_TOO_MANY,     /* more than VH_ROM_MAX_IMAGES images */
};

struct vh_rom {
	size_t size;     /* the buffer's length */
	size_t end;      /* where the last image parsed ends */
	size_t n_images; /* images parsed whole, in order */
	struct vh_rom_image images[VH_ROM_MAX_IMAGES];
	/* the chain ends without an image marked last: after a whole image the
	 * buffer ends, or what follows has no 0x55AA (padding) */
	bool unterminated;
	enum vh_rom_problem problem;
	size_t problem_at; /* the offset the problem was found at */
	/* VH_ROM_NO_SIGNATURE at offset 0: where a ROM starts further in (a
	 * 0x55AA followed by a valid PCIR), e.g. after a vendor flashing tool's
	 * header; -1 when there is none */
	long start_at;
	char why[256]; /* the problem as a sentence ("" when VH_ROM_OK) */
};

/* Walks the image chain of buf[0..len). 0 when it parses (problem
 * VH_ROM_OK), -1 otherwise; out holds the images parsed before the problem
 * either way. */
int vh_rom_parse(const uint8_t *buf, size_t len, struct vh_rom *out);

/* "x86", "efi" or "other": the contract's JSON names. */
const char *vh_rom_code_name(uint8_t code_type);
/* "x64", "ia32", "aa64", ...; NULL for a machine type it does not know. */
const char *vh_rom_efi_machine_name(uint16_t machine);
/* "boot service driver", "runtime driver", "application"; NULL otherwise. */
const char *vh_rom_efi_subsystem_name(uint16_t subsystem);
/* An image the firmware runs: x86 (SeaBIOS, a CSM) or EFI (OVMF). */
bool vh_rom_image_runs(const struct vh_rom_image *img);
bool vh_rom_has_efi(const struct vh_rom *rom);
/* The image serves device `device`: its PCIR device id, or one of its list. */
bool vh_rom_image_serves(const struct vh_rom_image *img, uint16_t device);

/* How a ROM's ids compare with a device's. Only images the firmware runs
 * count; the first one that differs is named. */
enum vh_rom_match {
	VH_ROM_MATCH,        /* every image is the device's vendor and serves its id */
	VH_ROM_OTHER_VENDOR, /* an image's PCIR vendor is another */
	VH_ROM_OTHER_DEVICE, /* the vendor matches, an image does not serve the device id */
	VH_ROM_NOTHING_RUNS, /* no x86 or EFI image at all */
};
enum vh_rom_match vh_rom_match(const struct vh_rom *rom, uint16_t vendor, uint16_t device,
			       const struct vh_rom_image **which);

/* ---- reading one (host layer: files and sysfs) ---- */

/* Reads a whole file of at most VH_ROM_MAX_SIZE bytes (-1 with errno EFBIG
 * when larger, ENOENT, EINVAL when not a regular file, ...). */
int vh_rom_read_file(const char *path, uint8_t **out, size_t *len);

/* Reads device `name`'s ROM through /sys/bus/pci/devices/<name>/rom: writes
 * "1" to enable it, reads at most VH_ROM_MAX_SIZE bytes, writes "0\n" to
 * disable it again on every path (each write bounded by timeout_ms). Only
 * on sysfs: a rom file that is no sysfs attribute (a host tree under
 * --root) is read as it is, since writing to a regular file would replace
 * the ROM it stands for. -1 when the kernel gives no ROM, err's code says
 * why: ENOENT no rom attribute (no expansion ROM BAR), EIO the kernel's read
 * failed, EFBIG larger than the bound. -2 when the tool could not do its
 * part: the enable failed (EACCES: not root), or the disable did (the ROM
 * stays enabled; err names the fix). */
int vh_rom_read_device(struct vh_host *h, const char *name, unsigned timeout_ms, uint8_t **out,
		       size_t *len, struct vh_err *err);

#endif
