/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Host facts outside PCI: command line, memory, CPU vendor, framebuffers,
 * node name. */
#ifndef VFIOHELP_SYSTEM_H
#define VFIOHELP_SYSTEM_H

#include "internal.h"

/* Kernel command line from /proc/cmdline; true when `param` (a word or
 * "word=" prefix) appears. value receives what follows '=' when asked.
 * vh_cmdline_has is the text-level parser. A buffer of VH_CMDLINE_MAX holds
 * any command line: x86 allows 2048 bytes, other architectures up to 4096. */
#define VH_CMDLINE_MAX 4096
int vh_cmdline_read(struct vh_host *h, char *buf, size_t size, struct vh_err *err);
bool vh_cmdline_has(const char *cmdline, const char *param, char *value, size_t size);

/* MemAvailable and MemTotal in MiB, from /proc/meminfo. vh_meminfo_parse is
 * the text-level parser (text[0..len), -1 when either field is missing). */
int vh_meminfo(struct vh_host *h, uint64_t *available_mib, uint64_t *total_mib, struct vh_err *err);
int vh_meminfo_parse(const char *text, size_t len, uint64_t *available_mib, uint64_t *total_mib);

/* A number in /sys/kernel/mm/hugepages/hugepages-<kB>kB/<name>
 * ("free_hugepages", "nr_hugepages"); -1 when the host has no such page
 * size (2 and 1024 MiB pages are the ones Proxmox uses). */
long long vh_hugepage_count(struct vh_host *h, unsigned size_mib, const char *name);

/* From the vendor_id in /proc/cpuinfo (vh_cpuinfo_vendor: its text). */
enum vh_cpu_vendor { VH_CPU_UNKNOWN, VH_CPU_INTEL, VH_CPU_AMD };
enum vh_cpu_vendor vh_cpu_vendor(struct vh_host *h);
enum vh_cpu_vendor vh_cpuinfo_vendor(const char *text, size_t len);

/* A host framebuffer (efifb, simplefb, vesafb, BOOTFB) lies inside one of
 * the device's memory BARs, per /proc/iomem; name gets the framebuffer.
 * vh_iomem_framebuffer takes the texts of /proc/iomem and of the device's
 * sysfs "resource". */
bool vh_framebuffer_on_device(struct vh_host *h, const char *addr, char *name, size_t size);
bool vh_iomem_framebuffer(const char *iomem, size_t iomem_len, const char *resource,
			  size_t resource_len, char *name, size_t size);

/* This node's name: /etc/hostname up to the first dot. */
int vh_node_name(struct vh_host *h, char *buf, size_t size, struct vh_err *err);
/* The host is a Proxmox VE node: it has /etc/pve (pmxcfs, the cluster file
 * system every VM config lives in). */
bool vh_is_pve_node(struct vh_host *h);

#endif
