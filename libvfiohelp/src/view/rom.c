/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hookctl rom: a device's expansion ROM as the kernel gives it through
 * sysfs, read only while no VM holds the device, its images parsed by the
 * parser check uses for romfile= (host/rom.c) and judged as rom-* findings;
 * saved, when usable, for romfile=.
 */
#include "internal.h"
#include "host/rom.h"
#include "pve/ownership.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

/* Each sysfs write (enable, disable) is bounded like the hook's. */
#define ROM_WRITE_TIMEOUT_MS 5000
#define MAX_ROM_FINDINGS 8

struct vh_device_rom {
	struct vh_device dev; /* a copy: the report outlives nothing of the host's */
	char path[64];        /* the host path of the rom attribute, for the admin */
	uint8_t *bytes;       /* what the kernel gave (NULL when nothing) */
	size_t len;
	bool parsed; /* the read gave bytes and vh_rom_parse ran on them */
	struct vh_rom rom;
	char saved[PATH_MAX]; /* "" until saved */
	size_t n_findings;
	struct vh_finding findings[MAX_ROM_FINDINGS];
};

static void add(struct vh_device_rom *r, enum vh_finding_id id, enum vh_severity sev,
		const char *fix, const char *fmt, ...) VH_PRINTF(5, 6);
static void add(struct vh_device_rom *r, enum vh_finding_id id, enum vh_severity sev,
		const char *fix, const char *fmt, ...)
{
	if (r->n_findings == MAX_ROM_FINDINGS)
		return;
	const struct vh_finding_kind *k = vh_finding_kind_of(id);
	struct vh_finding *f = &r->findings[r->n_findings++];
	memset(f, 0, sizeof(*f));
	f->kind = id;
	vh_strlcpy(f->id, k->id, sizeof(f->id));
	f->severity = sev;
	f->topic = k->topic;
	vh_strlcpy(f->subject, r->dev.name, sizeof(f->subject));
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->message, sizeof(f->message), fmt, ap);
	va_end(ap);
	vh_strlcpy(f->fix, fix ? fix : "", sizeof(f->fix));
	vh_sanitize(f->message);
}

static enum vh_severity dflt(enum vh_finding_id id)
{
	return vh_finding_kind_of(id)->severity;
}

/* The kernel gave nothing: why, as far as the device's state tells. */
static void unreadable(struct vh_device_rom *r, const struct vh_err *e)
{
	const struct vh_device *d = &r->dev;
	char fix[512];
	if (e->code == ENOENT) {
		add(r, VH_F_ROM_UNREADABLE, dflt(VH_F_ROM_UNREADABLE),
		    "use the ROM file of the card's vendor for this exact card, put it under "
		    "/usr/share/kvm/ and name it with romfile= (hookctl check judges it)",
		    "%s has no expansion ROM BAR (no rom in sysfs): the kernel cannot read a ROM "
		    "from it",
		    d->name);
		return;
	}
	if (!strncmp(d->power_state, "D3", 2)) {
		snprintf(fix, sizeof(fix),
			 "echo on > /sys/bus/pci/devices/%s/power/control; hookctl rom %s; echo "
			 "auto > /sys/bus/pci/devices/%s/power/control",
			 d->name, d->name, d->name);
		add(r, VH_F_ROM_UNREADABLE, dflt(VH_F_ROM_UNREADABLE), fix,
		    "%s; %s sits in %s (vfio-pci suspends a device no VM uses), where its ROM BAR "
		    "does not answer",
		    e->msg, d->name, d->power_state);
	} else if (d->boot_vga) {
		add(r, VH_F_ROM_UNREADABLE, dflt(VH_F_ROM_UNREADABLE),
		    "dump it while another GPU is the boot display (firmware setting), or use "
		    "the vendor's ROM for this exact card",
		    "%s; %s is the boot display: the kernel reads its ROM from the legacy shadow "
		    "copy at 0xC0000, which a UEFI boot leaves empty",
		    e->msg, d->name);
	} else {
		add(r, VH_F_ROM_UNREADABLE, dflt(VH_F_ROM_UNREADABLE),
		    "use the ROM file of the card's vendor for this exact card (hookctl check "
		    "judges a romfile=)",
		    "%s", e->msg);
	}
}

/* The images against the device: vendor, device id, checksum, EFI. */
static void judge_images(struct vh_device_rom *r)
{
	const struct vh_device *d = &r->dev;
	const struct vh_rom *rom = &r->rom;
	const struct vh_rom_image *img;
	switch (vh_rom_match(rom, d->vendor, d->device, &img)) {
	case VH_ROM_MATCH:
		break;
	case VH_ROM_NOTHING_RUNS:
		add(r, VH_F_ROM_INVALID, dflt(VH_F_ROM_INVALID), NULL,
		    "the ROM of %s holds no x86 or EFI image: neither SeaBIOS nor OVMF runs any "
		    "of it",
		    d->name);
		break;
	case VH_ROM_OTHER_VENDOR:
		add(r, VH_F_ROM_INVALID, dflt(VH_F_ROM_INVALID), NULL,
		    "the image at 0x%zx is for %04x:%04x, but %s is %04x:%04x: the guest's "
		    "firmware does not run a ROM of another vendor",
		    img->offset, img->vendor, img->device, d->name, d->vendor, d->device);
		break;
	case VH_ROM_OTHER_DEVICE:
		add(r, VH_F_ROM_MISMATCH, dflt(VH_F_ROM_MISMATCH), NULL,
		    "the image at 0x%zx is for %04x:%04x (not in its device list), but %s is "
		    "%04x:%04x: SeaBIOS skips it and the card's EFI driver may refuse it",
		    img->offset, img->vendor, img->device, d->name, d->vendor, d->device);
		break;
	}
	for (size_t i = 0; i < rom->n_images; i++) {
		img = &rom->images[i];
		if (img->code_type == VH_ROM_CODE_X86 && !img->checksum_ok) {
			add(r, VH_F_ROM_CHECKSUM, dflt(VH_F_ROM_CHECKSUM), NULL,
			    "the x86 image at 0x%zx does not sum to 0 (mod 256): SeaBIOS skips "
			    "it (OVMF runs only the EFI image)",
			    img->offset);
			break;
		}
	}
	if (!vh_rom_has_efi(rom))
		add(r, VH_F_ROM_NO_EFI,
		    (d->class_code >> 16) == 0x03 ? dflt(VH_F_ROM_NO_EFI) : VH_SEV_INFO,
		    "the vendor's ROM for this card with a UEFI (GOP) image, if there is one",
		    "the ROM of %s has no EFI image: under OVMF the %s shows nothing before the "
		    "guest's driver loads",
		    d->name, (d->class_code >> 16) == 0x03 ? "display" : "device");
}

static void judge(struct vh_device_rom *r, const struct vh_err *read_err, bool read_ok)
{
	if (!read_ok && read_err->code == EFBIG) {
		add(r, VH_F_ROM_INVALID, dflt(VH_F_ROM_INVALID), NULL, "%s", read_err->msg);
		return;
	}
	if (!read_ok) {
		unreadable(r, read_err);
		return;
	}
	if (!r->len) {
		struct vh_err e = { .code = EIO };
		snprintf(e.msg, sizeof(e.msg), "the kernel returned no bytes from %s", r->path);
		unreadable(r, &e);
		return;
	}
	r->parsed = true;
	if (vh_rom_parse(r->bytes, r->len, &r->rom) < 0) {
		add(r, VH_F_ROM_INVALID, dflt(VH_F_ROM_INVALID), NULL,
		    "the %zu bytes the kernel gave are no PCI expansion ROM: %s", r->len,
		    r->rom.why);
		return;
	}
	judge_images(r);
}

/* Reading the ROM enables the ROM BAR, which may share its address
 * decoder with the BARs a guest is using: never while a VM holds it. */
static int refuse_if_held(struct vh_host *h, const struct vh_device *d, struct vh_err *err)
{
	struct vh_holder who;
	char what[160];
	if (!vh_device_owner(h, &d->addr, 0, -1, &who))
		return 0;
	if (who.kind == VH_HOLD_UNKNOWN)
		return vh_failc(err, ENOMEM,
				"cannot tell whether a VM holds %s (out of memory): its ROM is not "
				"read",
				d->name);
	vh_holder_describe(&who, what, sizeof(what));
	return vh_failc(err, EBUSY,
			"%s is in use: %s; reading its ROM enables the ROM BAR under the guest "
			"(it can share its decoder with the BARs the guest uses): stop VM %u first "
			"(qm stop %u), then hookctl rom %s",
			d->name, what, who.vmid, who.vmid, d->name);
}

struct vh_device_rom *vh_device_rom_load(struct vh_host *h, const struct vh_pci_addr *a,
					 struct vh_err *err)
{
	struct vh_pci_addr full = *a;
	char name[VH_PCI_ADDR_STRLEN];
	if (!full.has_func) /* 01:00 is its function 0 */
		full.func = 0;
	full.has_func = true;
	vh_pci_addr_format(&full, name);
	const struct vh_device *d = vh_host_device(h, &full, err);
	if (!d)
		return NULL;
	if (!d->present) {
		vh_failc(err, ENODEV, "no PCI device %s on this host (lspci -D -nn lists them)",
			 name);
		return NULL;
	}
	if (refuse_if_held(h, d, err) < 0)
		return NULL;
	struct vh_device_rom *r = calloc(1, sizeof(*r));
	if (!r) {
		vh_failc(err, ENOMEM, "out of memory");
		return NULL;
	}
	r->dev = *d;
	snprintf(r->path, sizeof(r->path), "/sys/bus/pci/devices/%s/rom", d->name);
	struct vh_err read_err = { 0 };
	int rc = vh_rom_read_device(h, d->name, ROM_WRITE_TIMEOUT_MS, &r->bytes, &r->len,
				    &read_err);
	/* What the kernel gives (or not) is judged as findings; what keeps the
	 * tool from its part (not root, the ROM left enabled) is an error. */
	if (rc == -2) {
		*err = read_err;
		vh_device_rom_free(r);
		return NULL;
	}
	judge(r, &read_err, rc == 0);
	return r;
}

void vh_device_rom_free(struct vh_device_rom *r)
{
	if (!r)
		return;
	free(r->bytes);
	free(r);
}

bool vh_device_rom_blocks(const struct vh_device_rom *r)
{
	for (size_t i = 0; i < r->n_findings; i++)
		if (r->findings[i].severity == VH_SEV_ERROR)
			return true;
	return false;
}

/* ---- saving ---- */

int vh_device_rom_save(struct vh_device_rom *r, const char *path, struct vh_err *err)
{
	if (!r->parsed || r->rom.problem != VH_ROM_OK || vh_device_rom_blocks(r))
		return vh_failc(err, EINVAL,
				"not saved to %s: the ROM of %s is not usable as romfile= (the "
				"findings say why)",
				path, r->dev.name);
	if (vh_write_atomic(path, r->bytes, r->len, 0644, err) < 0)
		return -1;
	vh_strlcpy(r->saved, path, sizeof(r->saved));
	return 0;
}

/* ---- JSON ---- */

static json_object *ids_json(uint16_t vendor, uint16_t device)
{
	char s[16];
	snprintf(s, sizeof(s), "%04x:%04x", vendor, device);
	return json_object_new_string(s);
}

static json_object *image_json(const struct vh_rom_image *img)
{
	json_object *o = json_object_new_object(), *list = json_object_new_array();
	char cls[16];
	snprintf(cls, sizeof(cls), "0x%06x", img->class_code);
	json_object_object_add(o, "offset", json_object_new_int64((int64_t)img->offset));
	json_object_object_add(o, "vendor_device", ids_json(img->vendor, img->device));
	json_object_object_add(o, "class", json_object_new_string(cls));
	json_object_object_add(o, "code_type",
			       json_object_new_string(vh_rom_code_name(img->code_type)));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)img->size));
	json_object_object_add(o, "last", json_object_new_boolean(img->last));
	json_object_object_add(o, "checksum_ok",
			       img->code_type == VH_ROM_CODE_X86
				       ? json_object_new_boolean(img->checksum_ok)
				       : NULL);
	const char *machine = img->efi_header ? vh_rom_efi_machine_name(img->efi_machine) : NULL;
	char other[16];
	if (img->efi_header && !machine) {
		snprintf(other, sizeof(other), "0x%04x", img->efi_machine);
		machine = other;
	}
	json_object_object_add(o, "efi_machine", machine ? json_object_new_string(machine) : NULL);
	for (size_t i = 0; i < img->n_device_ids; i++) {
		char id[8];
		snprintf(id, sizeof(id), "%04x", img->device_ids[i]);
		json_object_array_add(list, json_object_new_string(id));
	}
	json_object_object_add(o, "device_list", list);
	return o;
}

json_object *vh_device_rom_to_json(const struct vh_device_rom *r)
{
	json_object *o = json_object_new_object(), *images = json_object_new_array(),
		    *findings = json_object_new_array();
	json_object_object_add(o, "address", json_object_new_string(r->dev.name));
	json_object_object_add(o, "vendor_device", ids_json(r->dev.vendor, r->dev.device));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)r->len));
	for (size_t i = 0; r->parsed && i < r->rom.n_images; i++)
		json_object_array_add(images, image_json(&r->rom.images[i]));
	json_object_object_add(o, "images", images);
	json_object_object_add(o, "efi",
			       json_object_new_boolean(r->parsed && vh_rom_has_efi(&r->rom)));
	json_object_object_add(o, "saved", r->saved[0] ? json_object_new_string(r->saved) : NULL);
	for (size_t i = 0; i < r->n_findings; i++) {
		const struct vh_finding *f = &r->findings[i];
		json_object *fo = json_object_new_object();
		json_object_object_add(fo, "id", json_object_new_string(f->id));
		json_object_object_add(fo, "severity",
				       json_object_new_string(vh_severity_name(f->severity)));
		json_object_object_add(fo, "subject", json_object_new_string(f->subject));
		json_object_object_add(fo, "message", json_object_new_string(f->message));
		json_object_object_add(fo, "fix",
				       f->fix[0] ? json_object_new_string(f->fix) : NULL);
		json_object_array_add(findings, fo);
	}
	json_object_object_add(o, "findings", findings);
	return o;
}

/* ---- text ---- */

static void print_image(const struct vh_rom_image *img, size_t i, FILE *out)
{
	char type[16], extra[96] = "";
	if (img->code_type == VH_ROM_CODE_X86 || img->code_type == VH_ROM_CODE_EFI)
		snprintf(type, sizeof(type), "%s", img->code_type ? "EFI" : "x86");
	else
		snprintf(type, sizeof(type), "0x%02x", img->code_type);
	if (img->efi_header) {
		const char *m = vh_rom_efi_machine_name(img->efi_machine);
		const char *s = vh_rom_efi_subsystem_name(img->efi_subsystem);
		snprintf(extra, sizeof(extra), "  %s%s%s%s", m ? m : "machine ", m ? "" : "?",
			 s ? " " : "", s ? s : "");
		if (img->efi_compression)
			snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra),
				 ", compressed");
	} else if (img->code_type == VH_ROM_CODE_EFI) {
		snprintf(extra, sizeof(extra), "  (no EFI header signature)");
	}
	const char *sum = img->code_type == VH_ROM_CODE_X86 ? (img->checksum_ok ? "ok" : "WRONG")
							    : "-";
	fprintf(out, "  %-5zu 0x%06zx  %-5s %04x:%04x   0x%06x  %7zu  %-4s  %-*s%s\n", i,
		img->offset, type, img->vendor, img->device, img->class_code, img->size,
		img->last ? "yes" : "no", extra[0] ? 8 : 0, sum, extra);
}

static const char *mark(enum vh_severity s)
{
	return s == VH_SEV_ERROR ? "[FAIL]" : s == VH_SEV_WARN ? "[WARN]" : "[info]";
}

void vh_device_rom_print(const struct vh_device_rom *r, FILE *out)
{
	const struct vh_device *d = &r->dev;
	fprintf(out, "%s  [%04x:%04x] %s\n", d->name, d->vendor, d->device, d->description);
	if (r->parsed) {
		fprintf(out, "  ROM: %zu bytes read through %s, %zu image%s\n\n", r->len, r->path,
			r->rom.n_images, r->rom.n_images == 1 ? "" : "s");
		if (r->rom.n_images)
			fprintf(out, "  image offset    type  vendor:dev  class     "
				     "   size  last  checksum\n");
		for (size_t i = 0; i < r->rom.n_images; i++)
			print_image(&r->rom.images[i], i, out);
		if (r->rom.unterminated)
			fprintf(out, "  (no image is marked last: the chain ends at 0x%zx)\n",
				r->rom.end);
		if (vh_rom_has_efi(&r->rom))
			fprintf(out, "\n  [ ok ] an EFI image: OVMF can show the card's output "
				     "before the guest's driver loads\n");
	}
	if (r->n_findings)
		fprintf(out, "\n");
	for (size_t i = 0; i < r->n_findings; i++) {
		const struct vh_finding *f = &r->findings[i];
		fprintf(out, "  %s %s: %s\n", mark(f->severity), f->id, f->message);
		if (f->fix[0])
			fprintf(out, "         fix: %s\n", f->fix);
	}
	size_t e = 0, w = 0;
	for (size_t i = 0; i < r->n_findings; i++) {
		e += r->findings[i].severity == VH_SEV_ERROR;
		w += r->findings[i].severity == VH_SEV_WARN;
	}
	fprintf(out, "\nVerdict: %s (%zu error%s, %zu warning%s)\n",
		e ? "NOT usable as romfile=" : "usable as romfile=", e, e == 1 ? "" : "s", w,
		w == 1 ? "" : "s");
	if (!r->saved[0])
		return;
	const char *base = strrchr(r->saved, '/');
	base = base ? base + 1 : r->saved;
	if (!strncmp(r->saved, "/usr/share/kvm/", 15))
		fprintf(out, "Saved %zu bytes to %s: add romfile=%s to the VM's hostpci entry\n",
			r->len, r->saved, r->saved + 15);
	else
		fprintf(out,
			"Saved %zu bytes to %s. For romfile=: cp %s /usr/share/kvm/%s, then add "
			"romfile=%s to the VM's hostpci entry\n",
			r->len, r->saved, r->saved, base, base);
}
