/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the guest says of itself, parsed from what its programs print. The
 * probe files know nothing of sockets: each names the program to run
 * (argv) and parses its output; guest.c runs them through the agent.
 *   probe_linux.c    sysfs PCI devices and drivers, firmware, Secure Boot,
 *                    kernel log lines, nvidia-smi
 *   probe_windows.c  Get-PnpDevice through PowerShell, firmware type
 */
#ifndef VFIOHELP_GUEST_PROBE_H
#define VFIOHELP_GUEST_PROBE_H

#include "internal.h"

#define GUEST_KLOG_MAX 16

/* One PCI function as the guest sees it. */
struct guest_pci {
	struct vh_pci_addr addr; /* Windows: has_func false (the bus address is not parsed) */
	uint16_t vendor, device;
	char driver[64]; /* "" none; Windows: the service of a working device */
	int problem;     /* Windows ConfigManagerErrorCode; 0 none, -1 unknown */
	char name[128];  /* Windows FriendlyName */
};

enum guest_family { GUEST_UNKNOWN, GUEST_LINUX, GUEST_WINDOWS };

struct guest_facts {
	enum guest_family family;
	char os[128], kernel[128];
	int firmware;    /* enum vh_guest_firmware */
	int secure_boot; /* -1 unknown, 0 off, 1 on */
	struct guest_pci *pci;
	size_t n_pci, cap_pci;
	char klog[GUEST_KLOG_MAX][256]; /* NVRM: and module-signature lines */
	size_t n_klog;
};

/* ---- probe_linux.c ---- */
/* One read-only /bin/sh script: "fw uefi|bios", "sb 0|1", "sbtext ...",
 * "pci ADDR 0xVVVV 0xDDDD DRIVER|-", "klog LINE". */
extern const char *const vh_probe_linux_argv[];
int vh_probe_linux_parse(const char *out, struct guest_facts *f, struct vh_err *err);
/* The kernel refused a module for its signature (Secure Boot on). */
bool vh_probe_klog_refused_module(const struct guest_facts *f, const char **line);

/* nvidia-smi: its exit code and first line sorted by what NVIDIA
 * documents (nvidia-smi(1) RETURN VALUE). */
enum nvidia_state {
	NVIDIA_OK,
	NVIDIA_NOT_LOADED,  /* "couldn't communicate with the NVIDIA driver", exit 9 */
	NVIDIA_INIT_FAILED, /* "No devices were found" (exit 6) and any other failure */
};
extern const char *const vh_probe_nvidia_argv[];
enum nvidia_state vh_probe_nvidia_judge(int exitcode, const char *first_line);

/* ---- probe_windows.c ---- */
/* powershell -NoProfile -NonInteractive -Command "...ConvertTo-Json": the
 * firmware type and Get-PnpDevice's PCI devices. */
extern const char *const vh_probe_windows_argv[];
int vh_probe_windows_parse(const char *out, struct guest_facts *f, struct vh_err *err);
/* "Code 43 (CM_PROB_FAILED_POST_START: ...)" for a problem code. */
const char *vh_probe_windows_problem_name(int code);

/* The first line of a text, at most size-1 bytes, without its newline. */
void vh_probe_first_line(const char *text, char *buf, size_t size);
/* Up to max_lines lines of text, at most size-1 bytes, control characters replaced. */
void vh_probe_first_lines(const char *text, unsigned max_lines, char *buf, size_t size);

#endif
