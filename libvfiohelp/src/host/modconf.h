/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The grammar of the files that decide what loads at boot, as the tools that
 * read them do: modprobe.d (libkmod's kmod_config_parse), modules-load.d and
 * /etc/modules (systemd-modules-load), and the kernel options of GRUB's
 * /etc/default/grub(.d) and systemd-boot's /etc/kernel/cmdline. The text
 * parsers take text[0..len) and are what the fuzz harness feeds.
 */
#ifndef VFIOHELP_MODCONF_H
#define VFIOHELP_MODCONF_H

#include "internal.h"

/* One logical modprobe.d line that libkmod ignores: its first physical
 * line number and why. Returns how many were found (at most max filled). */
struct vh_bad_line {
	int line;
	char why[160];
};
size_t vh_modprobe_bad_lines(const char *text, size_t len, struct vh_bad_line *out, size_t max);
/* The text holds a line modprobe would act on for passthrough (options,
 * blacklist, softdep, install of any module): the test for a file whose
 * name lacks ".conf" and is therefore never read. */
bool vh_modprobe_has_directives(const char *text, size_t len);

/* The last ids= of an "options vfio-pci|vfio_pci ..." physical line of a
 * modprobe.d text: the byte offset and length of its value in text. */
bool vh_modprobe_vfio_ids_at(const char *text, size_t len, size_t *off, size_t *vlen);

/* A modules-load.d line (comments '#' and ';'): systemd looks the whole
 * line up as one module name, so a line with arguments loads nothing.
 * Returns the number of module lines; out[i].why is "" for a clean name,
 * else the reason; name holds the first word. */
struct vh_modules_line {
	int line;
	char name[64];
	char why[96];
};
size_t vh_modules_load_lines(const char *text, size_t len, struct vh_modules_line *out, size_t max);

/* GRUB's /etc/default/grub and /etc/default/grub.d/NAME.cfg: the shell
 * assignments to GRUB_CMDLINE_LINUX and GRUB_CMDLINE_LINUX_DEFAULT, with
 * '...' and "..." quoting and $VAR / ${VAR} of those two expanded, applied
 * to linux and dflt in order (each VH_CMDLINE_MAX). Lines of other shapes
 * are left alone, as sourcing them would not touch these two. */
void vh_grub_defaults_apply(const char *text, size_t len, char *linux_, char *dflt, size_t size);

/* The passthrough-relevant options of a command line ("intel_iommu=on",
 * "initcall_blacklist=sysfb_init", ...), space-separated, in order, into out. */
void vh_cmdline_relevant(const char *cmdline, char *out, size_t size);
/* Words of `a` (a relevant list) missing from `b`, space-separated. */
void vh_words_missing(const char *a, const char *b, char *out, size_t size);

#endif
