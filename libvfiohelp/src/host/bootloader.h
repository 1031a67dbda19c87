/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which boot loader this host boots through, told from files alone
 * (proxmox-facts.md, "Host setup"), and the kernel command line it will
 * boot next: what `cmdline-pending`, `cmdline-ignored` and `hookctl setup`
 * weigh. The presence of /etc/kernel/cmdline proves nothing (every ZFS
 * install writes it, whichever loader boots).
 */
#ifndef VFIOHELP_BOOTLOADER_H
#define VFIOHELP_BOOTLOADER_H

#include "internal.h"
#include "host/system.h"

enum vh_boot_kind {
	VH_BOOT_UNKNOWN,
	VH_BOOT_GRUB,              /* GRUB from /boot/grub (ext4, xfs) */
	VH_BOOT_SYSTEMD_BOOT,      /* proxmox-boot-tool's ESPs, systemd-boot */
	VH_BOOT_GRUB_PROXMOX_BOOT, /* proxmox-boot-tool's ESPs, GRUB (Secure Boot, BIOS) */
};

struct vh_boot {
	enum vh_boot_kind kind;
	char why[256];
};

const char *vh_boot_kind_name(enum vh_boot_kind k);
void vh_boot_detect(struct vh_host *h, struct vh_boot *out);
/* GRUB reads /etc/default/grub and grub.d; systemd-boot /etc/kernel/cmdline. */
static inline bool vh_boot_is_grub(enum vh_boot_kind k)
{
	return k == VH_BOOT_GRUB || k == VH_BOOT_GRUB_PROXMOX_BOOT;
}

/* GRUB's kernel options: GRUB_CMDLINE_LINUX then GRUB_CMDLINE_LINUX_DEFAULT
 * after /etc/default/grub and every /etc/default/grub.d/NAME.cfg in name order. */
void vh_grub_cmdline(struct vh_host *h, char *out, size_t size);
/* The same with the drop-in `name` holding `text` (created if absent), as a
 * plan would leave it. When `wanted` (space-separated options) is given,
 * overrider gets the drop-in after which they no longer all stand (a later
 * file that sets GRUB_CMDLINE_LINUX_DEFAULT without its old value), "" when
 * none. -1 when the result does not fit out. */
int vh_grub_cmdline_with(struct vh_host *h, const char *name, const char *text,
			 const char *wanted, char *out, size_t size, char *overrider,
			 size_t osize);
/* /etc/kernel/cmdline: its first line into first, the relevant options of
 * every later line into rest ("" when none); -1 when the file is absent. */
int vh_kernel_cmdline(struct vh_host *h, char *first, size_t size, char *rest, size_t rsize);
/* The options the detected loader will boot with; -1 for an unknown loader. */
int vh_boot_cmdline(struct vh_host *h, enum vh_boot_kind k, char *out, size_t size);

/* The kernel release that boots next: proxmox-boot-tool's pin
 * (/etc/kernel/next-boot-pin, then proxmox-boot-pin), else the newest
 * /boot/vmlinuz-<release>. -1 when there is none. */
int vh_next_kernel(struct vh_host *h, char *out, size_t size);
/* Kernel versions compare as Debian's dpkg does for these names (numbers as numbers). */
int vh_kver_compare(const char *a, const char *b);

#endif
