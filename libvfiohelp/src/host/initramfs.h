/*
 * What an initramfs image holds of modprobe.d, against the disk: the
 * `initramfs-stale` fact. An image is one or more newc cpio archives one
 * after another (an uncompressed early-microcode archive, then the main one,
 * zstd, gzip or xz compressed); libarchive reads each, this file finds where
 * one ends and the next begins.
 */
#ifndef VFIOHELP_INITRAMFS_H
#define VFIOHELP_INITRAMFS_H

#include "internal.h"

/* The names mkinitramfs copies (its modprobe.d glob, *.conf) and libkmod
 * reads: "*.conf", not a dotfile. The disk and the image are counted by this
 * one test, whatever other bytes the name holds. */
bool vh_modprobe_conf_name(const char *name);
/* A name that is a copy the tools ignore by design, not a mistake to report:
 * backups and editors' files (*~, *.bak, *.old, *.orig, *.swp, ...), dpkg's
 * and ucf's (*.dpkg-old, *.dpkg-dist, *.ucf-new, ...), "x.conf.2024", dotfiles. */
bool vh_modprobe_copy_name(const char *name);

/* A modprobe.d file as modprobe and mkinitramfs read it (abs: its host path,
 * "/etc/modprobe.d/x.conf"): a symlink is followed, inside --root, to the
 * content it leads to. -1 when it leads nowhere or to no regular file. */
int vh_modprobe_file_read(struct vh_host *h, const char *abs, char **data, size_t *len);

#define VH_CONF_KEY_MAX 512
/* One modprobe.d file: its key ("etc/modprobe.d/x.conf", "lib/modprobe.d/
 * y.conf"; usr/lib is lib, as on a merged-/usr host) and content (for a
 * symlink, the content of the file it leads to, on disk as in the image). */
struct vh_conf_file {
	char key[VH_CONF_KEY_MAX];
	char *data;
	size_t len;
};
struct vh_conf_set {
	struct vh_conf_file *f;
	size_t n, cap;
};
void vh_conf_set_free(struct vh_conf_set *s);

/* The modprobe.d *.conf files inside the image at path (resolved already).
 * Bounded: at most 512 MiB decompressed per pass, 256 KiB a file, 4 MiB in
 * all, 96 MiB for an xz/lzma decoder (EFBIG, "... more than N"); only
 * in-process decompressors (ENOEXEC names a compression that would need an
 * external program); a corrupt image is EIO, with the path and the byte. */
int vh_initramfs_read(const char *path, struct vh_conf_set *out, struct vh_err *err);
/* The modprobe.d *.conf files on the host's disk. */
int vh_modprobe_disk_read(struct vh_host *h, struct vh_conf_set *out, struct vh_err *err);
/* "etc/modprobe.d/a.conf changed, ... not in the image" into detail; true
 * when the two sets differ. */
bool vh_conf_set_differ(const struct vh_conf_set *image, const struct vh_conf_set *disk,
			char *detail, size_t size);

enum vh_initramfs_verdict { VH_INITRAMFS_FRESH, VH_INITRAMFS_STALE, VH_INITRAMFS_UNREADABLE };
struct vh_initramfs_judgement {
	enum vh_initramfs_verdict verdict;
	char kver[128]; /* the kernel whose image is stale or unreadable */
	char detail[512];
	bool reused; /* the verdict came from /run/vfiohelp/initramfs.verdict */
};
/* Judges the images of the running kernel and of the kernel that boots
 * next. The verdict is kept in <root>/run/vfiohelp/initramfs.verdict (only
 * where that directory exists: the hook's) keyed on inode, size and mtime
 * of the images and of every modprobe.d file, so an unchanged host reads
 * no image. */
void vh_initramfs_judge(struct vh_host *h, struct vh_initramfs_judgement *out);

#endif
