/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private declarations shared by libvfiohelp's modules. Nothing here is
 * exported from the shared library; the unit tests link the static twin.
 */
#ifndef VFIOHELP_INTERNAL_H
#define VFIOHELP_INTERNAL_H

#include "vfiohelp.h"

#include <stdarg.h>
#include <sys/types.h>

#define VH_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define VH_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* ---- errors (util.c) ---- */
/* Fills err (which may be NULL) and returns -1, so `return vh_fail(...)`.
 * vh_fail takes its code from errno (the cause the caller just saw; EIO when
 * errno is 0), vh_failc takes it from the caller. errno is left as it was. */
int vh_fail(struct vh_err *err, const char *fmt, ...) VH_PRINTF(2, 3);
int vh_failc(struct vh_err *err, int code, const char *fmt, ...) VH_PRINTF(3, 4);

/* ---- strings (util.c) ---- */
/* Copies with truncation, always NUL-terminates; returns strlen(src). */
size_t vh_strlcpy(char *dst, const char *src, size_t size);
/* snprintf that reports truncation as -1 instead of silently cutting. */
int vh_format(char *buf, size_t size, const char *fmt, ...) VH_PRINTF(3, 4);
/* Removes leading and trailing white space in place; returns s. */
char *vh_strip(char *s);
/* Replaces control characters (a terminal escape sequence in a config
 * value, a newline that would forge a log line) with '?', in place. */
void vh_sanitize(char *s);
/* FNV-1a, 64 bits: h folded with p[0..n) (start from VH_FNV1A_BASIS). A
 * digest for caches, not against an adversary. */
#define VH_FNV1A_BASIS 0xcbf29ce484222325ull
uint64_t vh_fnv1a(uint64_t h, const void *p, size_t n);
/* Unsigned decimal, no sign, no spaces, no overflow past max. */
int vh_parse_uint(const char *s, size_t len, uint64_t max, uint64_t *out);
/* Hexadecimal without "0x", at most max. */
int vh_parse_hex(const char *s, size_t len, uint64_t max, uint64_t *out);
/* A "name" fit to be one path component: [A-Za-z0-9_.:+-], not "." or "..". */
bool vh_is_safe_component(const char *s);
/* A file named for a VM, "<vmid><suffix>" ("100.conf", "100.pid"): its VMID. */
int vh_vmid_file(const char *name, const char *suffix, unsigned *vmid);
/* Safe components joined by '/' ("nvidia/gp104.rom"); leading and doubled
 * slashes are allowed (a path joined under a directory collapses them). */
bool vh_is_safe_relpath(const char *s);

/* ---- findings (eval/findings.c) ---- */
/* Fills one finding: the table's id and topic, the severity given (the
 * policy's), subject, fix (NULL: none) and message, every text sanitised.
 * The evaluation (eval.c) and the guest's verdict (guest/guest.c) both add
 * their findings through it. */
void vh_finding_fill(struct vh_finding *f, enum vh_finding_id id, enum vh_severity sev,
		     const char *subject, const char *fix, const char *fmt, va_list ap)
	VH_PRINTF(6, 0);

/* ---- PCI addresses (pciaddr.c) ---- */
/* Bus order (domain, bus, device, function), for qsort and bsearch. */
int vh_pci_addr_compare(const struct vh_pci_addr *a, const struct vh_pci_addr *b);
/* An address list as Proxmox writes it, PCIRE(;PCIRE)* (hostpci's host=,
 * a mapping's path=): at most max addresses into out, their count in *n. */
int vh_pci_addr_list_parse(const char *s, size_t len, struct vh_pci_addr *out, size_t max,
			   size_t *n, struct vh_err *err);

/* ---- the host's root (root.c) ---- */
/* Joins the host root and an absolute host path ("/sys/...", printf-style).
 * Fails when the result would not fit. Every file the library opens goes
 * through this, so --root applies everywhere. */
int vh_host_path(const struct vh_host *h, char *buf, size_t size, const char *fmt, ...)
	VH_PRINTF(4, 5);
/* The host path abs with every symlink followed the way the host itself
 * would (readlink -f): an absolute link target starts again at the root, so
 * under --root nothing leads out of the tree. -1 with errno when a component
 * is missing (a dangling link), ELOOP after 40 links, ENAMETOOLONG. */
int vh_host_resolve(const struct vh_host *h, const char *abs, char *out, size_t size);

/* ---- files (util.c); paths are already resolved under the root ---- */
/* Opens a regular file for reading; -1 with errno (EINVAL for anything
 * else). O_NONBLOCK and the type check keep a FIFO or device node planted
 * in a host tree from hanging the reader. */
int vh_open_regular(const char *path);
/* Reads at most size-1 bytes, NUL-terminates. Returns bytes read or -1 with
 * errno set (the caller decides whether ENOENT is an error). */
ssize_t vh_read_file(const char *path, char *buf, size_t size);
/* Reads a one-line sysfs attribute (at most size-1 bytes) and strips it. */
int vh_read_attr(const char *path, char *buf, size_t size);
/* A NUL-terminated copy of text[0..len) for the parsers that cut lines in
 * place; NULL with errno EINVAL when the text holds a NUL byte (no file the
 * library parses has one), ENOMEM when memory runs out. */
char *vh_text_dup(const char *text, size_t len);
/* Reads a whole text file of at most max bytes into a fresh NUL-terminated
 * buffer; -1 with errno EFBIG when it is larger. */
int vh_slurp(const char *path, size_t max, char **out, size_t *len);
/* The last component of a symlink's target ("../../drivers/nouveau" ->
 * "nouveau"); -1 when path is not a link, or with errno ENAMETOOLONG when
 * the name does not fit (never cut). Never follows the link. */
int vh_link_basename(const char *path, char *buf, size_t size);
bool vh_path_exists(const char *path);
/* Writes path whole or not at all: a temporary beside it (never following a
 * link), fsync, rename, then the directory synced; a crash leaves the old
 * file or the new one. The directory must exist. */
int vh_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
		    struct vh_err *err);
/* Copies src (a regular file, not a link) over dst the same way, with src's mode. */
int vh_copy_atomic(const char *src, const char *dst, struct vh_err *err);
int vh_fsync_dir_of(const char *path);
/* Writes text to dirfd/name (mode 0600) through name.new, fsync and a
 * rename, so a reader sees the old file or the whole new one; dir is the
 * directory's name for messages. */
int vh_write_atomic_at(int dirfd, const char *dir, const char *name, const char *text,
		       struct vh_err *err);

/* ---- kernel modules (kmods.c) ---- */
/* Whether a module is loaded, from <root>/proc/modules (libkmod reads the
 * absolute /proc/modules, so the library parses the root's copy itself). */
int vh_module_loaded(struct vh_host *h, const char *name, bool *loaded, struct vh_err *err);

/* ---- which VMs pass which devices (pve/ownership.c) ---- */
/* One hostpci address of one VM; an address without a function stands for
 * every function of the slot, as in the config. */
struct vh_vm_use {
	unsigned vmid;
	struct vh_pci_addr addr;
	int index;  /* its hostpciN */
	bool takes; /* the entry takes the device (not a shared mdev parent) */
};

struct vh_vm_uses {
	size_t n, cap;
	struct vh_vm_use *list;
};

#endif
