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

/* One modprobe.d file: its key ("etc/modprobe.d/x.conf", "lib/modprobe.d/
 * y.conf"; usr/lib is lib, as on a merged-/usr host) and content (a symlink
 * is "symlink -> TARGET"). */
struct vh_conf_file {
	char key[192];
	char *data;
	size_t len;
};
struct vh_conf_set {
	struct vh_conf_file *f;
	size_t n, cap;
};
void vh_conf_set_free(struct vh_conf_set *s);

/* The modprobe.d *.conf files inside the image at path (resolved already). */
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
