/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A Linux guest's own account (probe.h). Everything is read, nothing
 * written: sysfs (a device's "driver" link is the reliable sign of a bound
 * driver: a failed probe removes it and an -ENODEV probe logs nothing),
 * /sys/firmware/efi, the SecureBoot EFI variable, the kernel log's NVRM:
 * and module-signature lines, and nvidia-smi's exit code and first line.
 */
#include "internal.h"
#include "base/array.h"
#include "guest/probe.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One exec instead of one per file: each exec is a few round trips through
 * the agent (0.2-0.5 s under TCG). /bin/sh is in every Linux guest; lspci
 * is not. The SecureBoot variable's fifth byte is its value (the first
 * four are the EFI attributes). */
static const char linux_script[] =
	"if [ -d /sys/firmware/efi ]; then echo fw uefi; else echo fw bios; fi\n"
	"v=/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c\n"
	"if [ -r \"$v\" ]; then echo \"sb $(od -An -tu1 -j4 -N1 \"$v\" | tr -d ' ')\"\n"
	"elif command -v mokutil >/dev/null 2>&1; then echo \"sbtext $(mokutil --sb-state 2>&1 | "
	"head -n 1)\"; fi\n"
	"for d in /sys/bus/pci/devices/*; do\n"
	" [ -r \"$d/vendor\" ] || continue\n"
	" drv=-; [ -e \"$d/driver\" ] && drv=$(basename \"$(readlink \"$d/driver\")\")\n"
	" echo \"pci ${d##*/} $(cat \"$d/vendor\") $(cat \"$d/device\") $drv\"\n"
	"done\n"
	"dmesg 2>/dev/null | grep -E 'NVRM:|module verification failed|Key was rejected by "
	"service|Loading of unsigned module' | tail -n 16 | sed 's/^/klog /'\n"
	"exit 0\n";

const char *const vh_probe_linux_argv[] = { "/bin/sh", "-c", linux_script, NULL };
const char *const vh_probe_nvidia_argv[] = { "nvidia-smi", NULL };

static int parse_pci(char *rest, struct guest_facts *f, struct vh_err *err)
{
	char addr[32], drv[64];
	unsigned vendor, device;
	if (sscanf(rest, "%31s 0x%x 0x%x %63s", addr, &vendor, &device, drv) != 4 ||
	    vendor > 0xffff || device > 0xffff)
		return 0; /* a device whose files vanished while it was read */
	struct vh_pci_addr a;
	if (vh_pci_addr_parse(addr, strlen(addr), &a) < 0 || !a.has_func)
		return 0;
	if (VH_ARRAY_ROOM(f->pci, f->cap_pci, f->n_pci) < 0)
		return vh_failc(err, ENOMEM, "out of memory");
	struct guest_pci *p = &f->pci[f->n_pci++];
	memset(p, 0, sizeof(*p));
	p->addr = a;
	p->vendor = (uint16_t)vendor;
	p->device = (uint16_t)device;
	if (strcmp(drv, "-"))
		vh_strlcpy(p->driver, drv, sizeof(p->driver));
	vh_sanitize(p->driver); /* the guest names it: it reaches a terminal and the log */
	return 0;
}

static void parse_sbtext(const char *text, struct guest_facts *f)
{
	/* mokutil --sb-state: "SecureBoot enabled" / "SecureBoot disabled" */
	if (strstr(text, "SecureBoot enabled"))
		f->secure_boot = 1;
	else if (strstr(text, "SecureBoot disabled"))
		f->secure_boot = 0;
}

static int parse_line(char *line, struct guest_facts *f, struct vh_err *err)
{
	if (!strcmp(line, "fw uefi"))
		f->firmware = VH_GUEST_FW_UEFI;
	else if (!strcmp(line, "fw bios"))
		f->firmware = VH_GUEST_FW_BIOS;
	else if (!strncmp(line, "sb ", 3))
		f->secure_boot = !strcmp(line + 3, "1") ? 1 : !strcmp(line + 3, "0") ? 0 : -1;
	else if (!strncmp(line, "sbtext ", 7))
		parse_sbtext(line + 7, f);
	else if (!strncmp(line, "pci ", 4))
		return parse_pci(line + 4, f, err);
	else if (!strncmp(line, "klog ", 5) && f->n_klog < GUEST_KLOG_MAX) {
		vh_strlcpy(f->klog[f->n_klog], line + 5, sizeof(f->klog[0]));
		vh_sanitize(f->klog[f->n_klog++]);
	}
	return 0;
}

int vh_probe_linux_parse(const char *out, struct guest_facts *f, struct vh_err *err)
{
	char *text = strdup(out);
	if (!text)
		return vh_failc(err, ENOMEM, "out of memory");
	int rc = 0;
	bool seen_fw = false;
	char *save = NULL;
	for (char *l = strtok_r(text, "\n", &save); l && rc == 0; l = strtok_r(NULL, "\n", &save)) {
		seen_fw |= !strncmp(l, "fw ", 3);
		rc = parse_line(vh_strip(l), f, err);
	}
	free(text);
	if (rc == 0 && !seen_fw)
		rc = vh_failc(err, EPROTO, "the guest's probe printed no \"fw\" line: %.80s", out);
	/* Secure Boot needs UEFI: a BIOS guest has it off */
	if (rc == 0 && f->firmware == VH_GUEST_FW_BIOS)
		f->secure_boot = 0;
	return rc;
}

bool vh_probe_klog_refused_module(const struct guest_facts *f, const char **line)
{
	for (size_t i = 0; i < f->n_klog; i++) {
		const char *l = f->klog[i];
		/* "module verification failed: ... tainting kernel" is what a kernel
		 * that does NOT enforce signatures says while it loads the module:
		 * a refusal only when Secure Boot (and so lockdown) is on. */
		bool refused = strstr(l, "Key was rejected by service") ||
			       strstr(l, "Loading of unsigned module is rejected") ||
			       (strstr(l, "module verification failed") && f->secure_boot == 1);
		if (refused) {
			*line = l;
			return true;
		}
	}
	return false;
}

enum nvidia_state vh_probe_nvidia_judge(int exitcode, const char *first_line)
{
	if (exitcode == 0)
		return NVIDIA_OK;
	/* nvidia-smi(1) RETURN VALUE: 9 "NVIDIA driver is not loaded"; the
	 * message when the module is missing or refused: "NVIDIA-SMI has failed
	 * because it couldn't communicate with the NVIDIA driver" */
	if (exitcode == 9 || strstr(first_line, "couldn't communicate with the NVIDIA driver"))
		return NVIDIA_NOT_LOADED;
	/* 6 "query unsuccessful" with "No devices were found" (RmInitAdapter
	 * failed), 15 "fallen off the bus", 18 library/driver mismatch... */
	return NVIDIA_INIT_FAILED;
}

void vh_probe_first_line(const char *text, char *buf, size_t size)
{
	text += strspn(text, "\r\n");
	size_t n = strcspn(text, "\r\n");
	if (n >= size)
		n = size - 1;
	memcpy(buf, text, n);
	buf[n] = '\0';
	vh_sanitize(buf);
}

void vh_probe_first_lines(const char *text, unsigned max_lines, char *buf, size_t size)
{
	size_t n = 0;
	unsigned lines = 0;
	for (const char *p = text; *p && n + 1 < size; p++) {
		if (*p == '\n' && ++lines == max_lines)
			break;
		buf[n++] = *p == '\n' ? '\n' : (*p == '\t' || (unsigned char)*p >= 0x20) ? *p : '?';
	}
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
}
