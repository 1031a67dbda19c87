/* SPDX-License-Identifier: GPL-2.0-or-later */
/* PCI expansion ROMs (host/rom.c, vh_rom_parse): the input is the ROM, as a
 * romfile= or a card's sysfs rom. Whatever the bytes: the images parsed lie
 * within the buffer, one after the other, each a whole number of 512-byte
 * blocks; the walk says why it stopped exactly when it fails; a ROM found
 * further in (a flashing tool's header) starts with an image that parses;
 * the matching and naming functions answer within the images. */
#include "fuzz.h"
#include "host/rom.h"

static void check_images(const uint8_t *data, size_t size, const struct vh_rom *rom)
{
	size_t at = 0;
	FUZZ_CHECK(rom->n_images <= VH_ROM_MAX_IMAGES);
	for (size_t i = 0; i < rom->n_images; i++) {
		const struct vh_rom_image *img = &rom->images[i];
		FUZZ_CHECK(img->offset == at);
		FUZZ_CHECK(img->size > 0 && img->size % 512 == 0);
		FUZZ_CHECK(img->offset + img->size <= size);
		FUZZ_CHECK(data[img->offset] == 0x55 && data[img->offset + 1] == 0xaa);
		FUZZ_CHECK(img->pcir + 0x18 <= size && !memcmp(data + img->pcir, "PCIR", 4));
		FUZZ_CHECK(img->n_device_ids <= VH_ROM_MAX_DEVICE_IDS);
		for (size_t k = 0; k < img->n_device_ids; k++)
			FUZZ_CHECK(img->device_ids[k] != 0);
		FUZZ_CHECK(!img->efi_header || img->code_type == VH_ROM_CODE_EFI);
		FUZZ_CHECK(!img->last || i + 1 == rom->n_images);
		const char *name = vh_rom_code_name(img->code_type);
		FUZZ_CHECK(!strcmp(name, "x86") || !strcmp(name, "efi") || !strcmp(name, "other"));
		vh_rom_efi_machine_name(img->efi_machine);
		vh_rom_efi_subsystem_name(img->efi_subsystem);
		at += img->size;
	}
	FUZZ_CHECK(rom->end == at);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vh_rom rom;
	int rc = vh_rom_parse(data, size, &rom);
	FUZZ_TERMINATED(rom.why);
	FUZZ_CHECK(rom.size == size);
	FUZZ_CHECK((rc == 0) == (rom.problem == VH_ROM_OK));
	FUZZ_CHECK((rc == 0) == (rom.why[0] == '\0'));
	FUZZ_CHECK(rom.problem_at <= size);
	check_images(data, size, &rom);
	if (rc == 0 && !rom.unterminated)
		FUZZ_CHECK(rom.n_images && rom.images[rom.n_images - 1].last);
	if (rc == 0)
		FUZZ_CHECK(rom.n_images >= 1);
	FUZZ_CHECK(rom.start_at == -1 || (rom.problem == VH_ROM_NO_SIGNATURE && rom.start_at > 0 &&
					  (size_t)rom.start_at < size));
	if (rom.start_at > 0) {
		struct vh_rom from;
		vh_rom_parse(data + rom.start_at, size - (size_t)rom.start_at, &from);
		FUZZ_CHECK(from.n_images >= 1 || from.problem == VH_ROM_TOO_MANY);
		check_images(data + rom.start_at, size - (size_t)rom.start_at, &from);
	}
	/* the ids of the first image, and ids no image has */
	const struct vh_rom_image *which;
	uint16_t v = rom.n_images ? rom.images[0].vendor : 0x10de;
	uint16_t d = rom.n_images ? rom.images[0].device : 0x2803;
	enum vh_rom_match m = vh_rom_match(&rom, v, d, &which);
	FUZZ_CHECK(!which || (which >= rom.images && which < rom.images + rom.n_images));
	FUZZ_CHECK((m == VH_ROM_MATCH || m == VH_ROM_NOTHING_RUNS) == (which == NULL));
	m = vh_rom_match(&rom, (uint16_t)(v ^ 1), d, &which);
	if (rom.n_images && vh_rom_image_runs(&rom.images[0]))
		FUZZ_CHECK(m == VH_ROM_OTHER_VENDOR && which == &rom.images[0]);
	vh_rom_has_efi(&rom);
	return 0;
}
