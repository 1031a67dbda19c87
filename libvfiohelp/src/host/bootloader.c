/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The boot loader and the command line it boots (bootloader.h). Nothing here
 * mounts an ESP or runs proxmox-boot-tool: the files say enough, and where
 * they do not the answer is "unknown", never a guess.
 */
#include "internal.h"
#include "host/host.h"
#include "host/bootloader.h"
#include "host/modconf.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* systemd's loader interface variable: its value names the loader. */
#define LOADER_INFO "/sys/firmware/efi/efivars/LoaderInfo-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f"

const char *vh_boot_kind_name(enum vh_boot_kind k)
{
	switch (k) {
	case VH_BOOT_GRUB:
		return "grub";
	case VH_BOOT_SYSTEMD_BOOT:
		return "systemd-boot";
	case VH_BOOT_GRUB_PROXMOX_BOOT:
		return "grub-proxmox-boot";
	default:
		return "unknown";
	}
}

static bool host_has(struct vh_host *h, const char *abs)
{
	char path[PATH_MAX];
	return vh_host_path(h, path, sizeof(path), "%s", abs) == 0 && vh_path_exists(path);
}

/* The loader's name in LoaderInfo (UTF-16LE after 4 attribute bytes):
 * 's' systemd-boot, 'g' GRUB, 0 when absent or neither. */
static char loader_info(struct vh_host *h)
{
	char path[PATH_MAX], buf[256];
	if (vh_host_path(h, path, sizeof(path), LOADER_INFO) < 0)
		return 0;
	ssize_t n = vh_read_file(path, buf, sizeof(buf));
	char ascii[128];
	size_t k = 0;
	for (ssize_t i = 4; i + 1 < n && k + 1 < sizeof(ascii); i += 2)
		ascii[k++] = buf[i];
	ascii[k] = '\0';
	if (!strncmp(ascii, "systemd-boot", 12))
		return 's';
	if (!strncasecmp(ascii, "grub", 4))
		return 'g';
	return 0;
}

void vh_boot_detect(struct vh_host *h, struct vh_boot *out)
{
	char cmdline[VH_CMDLINE_MAX];
	vh_cmdline_read(h, cmdline, sizeof(cmdline), NULL);
	bool efi = host_has(h, "/sys/firmware/efi");
	bool pbt = host_has(h, "/etc/kernel/proxmox-boot-uuids");
	enum vh_boot_kind grub = pbt ? VH_BOOT_GRUB_PROXMOX_BOOT : VH_BOOT_GRUB;
	const char *esps = pbt ? "; /etc/kernel/proxmox-boot-uuids: proxmox-boot-tool keeps the ESPs"
			       : "; no /etc/kernel/proxmox-boot-uuids: GRUB from /boot/grub";
	char info = loader_info(h);
	out->kind = VH_BOOT_UNKNOWN;
	if (vh_cmdline_has(cmdline, "BOOT_IMAGE=", NULL, 0)) {
		out->kind = grub;
		snprintf(out->why, sizeof(out->why),
			 "/proc/cmdline carries BOOT_IMAGE= (GRUB booted it)%s", esps);
	} else if (strstr(cmdline, "initrd=\\EFI\\")) {
		out->kind = VH_BOOT_SYSTEMD_BOOT;
		snprintf(out->why, sizeof(out->why),
			 "/proc/cmdline starts with initrd=\\EFI\\... (systemd-boot booted it)");
	} else if (info) {
		out->kind = info == 's' ? VH_BOOT_SYSTEMD_BOOT : grub;
		snprintf(out->why, sizeof(out->why), "the EFI variable LoaderInfo names %s",
			 info == 's' ? "systemd-boot" : "GRUB");
	} else if (!pbt) {
		out->kind = VH_BOOT_GRUB;
		snprintf(out->why, sizeof(out->why),
			 "no /etc/kernel/proxmox-boot-uuids: the installer's GRUB (ext4/xfs root)");
	} else if (!efi) {
		out->kind = VH_BOOT_GRUB_PROXMOX_BOOT;
		snprintf(out->why, sizeof(out->why),
			 "BIOS boot (no /sys/firmware/efi) with proxmox-boot-tool: GRUB");
	} else {
		snprintf(out->why, sizeof(out->why),
			 "UEFI with proxmox-boot-tool, but neither /proc/cmdline "
			 "nor LoaderInfo tells systemd-boot from GRUB (check the ESP: loader/loader.conf or "
			 "EFI/proxmox/grubx64.efi)");
	}
}

/* Reads a small config file under the root; NULL when absent. */
static char *read_conf(struct vh_host *h, const char *abs, size_t *len)
{
	char path[PATH_MAX], *text = NULL;
	if (vh_host_path(h, path, sizeof(path), "%s", abs) < 0 ||
	    vh_slurp(path, 1u << 20, &text, len) < 0)
		return NULL;
	return text;
}

static int name_order(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

/* The *.cfg names in /etc/default/grub.d, sorted as the shell glob sorts them
 * (C locale on a Proxmox host's update-grub); returns the count. */
static size_t grub_dropins(struct vh_host *h, char names[][256], size_t max)
{
	char path[PATH_MAX];
	size_t n = 0;
	if (vh_host_path(h, path, sizeof(path), "/etc/default/grub.d") < 0)
		return 0;
	DIR *d = opendir(path);
	for (struct dirent *e; d && n < max && (e = readdir(d));) {
		size_t l = strlen(e->d_name);
		if (l > 4 && l < 256 && !strcmp(e->d_name + l - 4, ".cfg") &&
		    vh_is_safe_component(e->d_name))
			vh_strlcpy(names[n++], e->d_name, 256);
	}
	if (d)
		closedir(d);
	qsort(names, n, 256, name_order);
	return n;
}

/* Sources one defaults file (or, for the drop-in `name`, the text given). */
static void grub_source(struct vh_host *h, const char *abs, const char *text_for, char *linux_,
			char *dflt)
{
	size_t len;
	char *text = text_for ? NULL : read_conf(h, abs, &len);
	if (text_for)
		vh_grub_defaults_apply(text_for, strlen(text_for), linux_, dflt, VH_CMDLINE_MAX);
	else if (text)
		vh_grub_defaults_apply(text, len, linux_, dflt, VH_CMDLINE_MAX);
	free(text);
}

static bool all_words_in(const char *words, const char *line)
{
	char missing[VH_CMDLINE_MAX];
	vh_words_missing(words, line, missing, sizeof(missing));
	return !missing[0];
}

int vh_grub_cmdline_with(struct vh_host *h, const char *name, const char *text, const char *wanted,
			 char *out, size_t size, char *overrider, size_t osize)
{
	char linux_[VH_CMDLINE_MAX] = "", dflt[VH_CMDLINE_MAX] = "", names[64][256];
	size_t n = grub_dropins(h, names, 63);
	bool listed = false;
	for (size_t i = 0; name && i < n; i++)
		listed |= !strcmp(names[i], name);
	if (name && !listed && vh_is_safe_component(name)) { /* the drop-in to be created */
		vh_strlcpy(names[n++], name, 256);
		qsort(names, n, 256, name_order);
	}
	if (overrider)
		overrider[0] = '\0';
	grub_source(h, "/etc/default/grub", NULL, linux_, dflt);
	char start[2 * VH_CMDLINE_MAX + 2];
	snprintf(start, sizeof(start), "%s %s", linux_, dflt);
	bool had = wanted && all_words_in(wanted, start);
	for (size_t i = 0; i < n; i++) {
		char abs[300];
		if (vh_format(abs, sizeof(abs), "/etc/default/grub.d/%s", names[i]) < 0)
			continue; /* names are < 256 bytes: cannot happen */
		grub_source(h, abs, name && !strcmp(names[i], name) ? text : NULL, linux_, dflt);
		char now[2 * VH_CMDLINE_MAX + 2];
		snprintf(now, sizeof(now), "%s %s", linux_, dflt);
		bool has = wanted && all_words_in(wanted, now);
		if (had && !has && overrider)
			vh_format(overrider, osize, "%s", abs);
		had = has;
	}
	return vh_format(out, size, "%s %s", linux_, dflt);
}

void vh_grub_cmdline(struct vh_host *h, char *out, size_t size)
{
	vh_grub_cmdline_with(h, NULL, NULL, NULL, out, size, NULL, 0);
}

int vh_kernel_cmdline(struct vh_host *h, char *first, size_t size, char *rest, size_t rsize)
{
	size_t len;
	char *text = read_conf(h, "/etc/kernel/cmdline", &len);
	first[0] = rest[0] = '\0';
	if (!text)
		return -1;
	size_t n = strcspn(text, "\n");
	snprintf(first, size, "%.*s", (int)n, text);
	if (text[n])
		vh_cmdline_relevant(text + n + 1, rest, rsize);
	free(text);
	return 0;
}

int vh_boot_cmdline(struct vh_host *h, enum vh_boot_kind k, char *out, size_t size)
{
	char rest[VH_CMDLINE_MAX];
	out[0] = '\0';
	if (vh_boot_is_grub(k)) {
		vh_grub_cmdline(h, out, size);
		return 0;
	}
	if (k == VH_BOOT_SYSTEMD_BOOT)
		return vh_kernel_cmdline(h, out, size, rest, sizeof(rest)) < 0 ? -1 : 0;
	return -1;
}

int vh_kver_compare(const char *a, const char *b)
{
	return strverscmp(a, b);
}

static int read_pin(struct vh_host *h, const char *abs, char *out, size_t size)
{
	char path[PATH_MAX];
	if (vh_host_path(h, path, sizeof(path), "%s", abs) < 0 || vh_read_attr(path, out, size) < 0)
		return -1;
	return out[0] && vh_is_safe_component(out) ? 0 : -1;
}

int vh_next_kernel(struct vh_host *h, char *out, size_t size)
{
	if (read_pin(h, "/etc/kernel/next-boot-pin", out, size) == 0 ||
	    read_pin(h, "/etc/kernel/proxmox-boot-pin", out, size) == 0)
		return 0;
	char path[PATH_MAX];
	out[0] = '\0';
	if (vh_host_path(h, path, sizeof(path), "/boot") < 0)
		return -1;
	DIR *d = opendir(path);
	for (struct dirent *e; d && (e = readdir(d));) {
		if (strncmp(e->d_name, "vmlinuz-", 8))
			continue;
		const char *v = e->d_name + 8;
		if (!vh_is_safe_component(v) || strlen(v) >= size)
			continue;
		if (!out[0] || vh_kver_compare(v, out) > 0)
			vh_strlcpy(out, v, size);
	}
	if (d)
		closedir(d);
	return out[0] ? 0 : -1;
}
