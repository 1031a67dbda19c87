/*
 * The findings of a host setup half done (checks_setup.c), each made to
 * fire on a scratch copy of the demo host and shown quiet on the same copy
 * without the fault; the initramfs images are cpio archives built here with
 * libarchive (an early uncompressed one, then zstd or gzip, or one alone).
 */
#include "testlib.h"
#include "host/host.h"
#include "host/initramfs.h"
#include "host/modconf.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KVER "6.8.12-10-pve"

static struct vh_test_eval eval_on(const char *root);

/* ---- images ---- */

enum layout { EARLY_ZSTD, EARLY_GZIP, ZSTD_ONLY, GZIP_ONLY, PLAIN_ONLY };

/* root/boot/initrd.img-KVER holding the modprobe.d files given (and, with an
 * early archive, microcode that must not be taken for them). */
static void make_image(const char *root, enum layout lay, const struct vh_test_member *m, size_t n)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/boot", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/boot/initrd.img-" KVER, root);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	static const struct vh_test_member early[] = {
		{ "kernel/x86/microcode/AuthenticAMD.bin",
		  "\x01\x02microcode TRAILER!!! inside data", NULL, 0 },
		{ "etc/modprobe.d/early-only.conf",
		  "# in the early archive, which the kernel unpacks too\n", NULL, 0 },
	};
	if (lay == EARLY_ZSTD || lay == EARLY_GZIP) {
		vh_test_cpio(fd, early, 2, ARCHIVE_FILTER_NONE);
		/* The microcode archive is padded, as the kernel allows. */
		static const char zeros[512];
		assert_int_equal(write(fd, zeros, sizeof(zeros)), (ssize_t)sizeof(zeros));
	}
	int filter = lay == EARLY_GZIP || lay == GZIP_ONLY ? ARCHIVE_FILTER_GZIP
		     : lay == PLAIN_ONLY                   ? ARCHIVE_FILTER_NONE
							   : ARCHIVE_FILTER_ZSTD;
	vh_test_cpio(fd, m, n, filter);
	close(fd);
	snprintf(path, sizeof(path), "%s/boot/vmlinuz-" KVER, root);
	close(open(path, O_WRONLY | O_CREAT, 0644));
}

/* What mkinitramfs copies from the seed's disk, as on disk. */
static size_t seed_members(const char *root, struct vh_test_member *m, char bufs[][512])
{
	static const char *const files[] = { "etc/modprobe.d/blacklist-nvidia.conf",
					     "etc/modprobe.d/vfio.conf",
					     "etc/modprobe.d/pve-blacklist.conf" };
	for (size_t i = 0; i < 3; i++) {
		snprintf(bufs[i], 512, "%s", vh_test_read(root, files[i]));
		m[i] = (struct vh_test_member){ files[i], bufs[i], NULL, 0 };
	}
	return 3;
}

/* initramfs-stale for VM 100 as check judges it, or as the hook does (which
 * alone keeps the verdict cache in /run/vfiohelp). */
static const struct vh_finding *stale_as(const char *root, bool hook)
{
	static struct vh_finding copy;
	struct vh_err e;
	struct vh_test_eval ev = { 0 };
	ev.h = vh_host_new(root, &e);
	assert_non_null(ev.h);
	vh_host_keep_caches(ev.h, hook);
	struct vh_policy *p = vh_policy_load(ev.h, NULL, &e);
	assert_non_null(p);
	ev.r = vh_evaluate(ev.h, 100, p, &e);
	vh_policy_free(p);
	assert_non_null(ev.r);
	const struct vh_finding *f = vh_test_find(ev.r, "initramfs-stale", NULL);
	if (f)
		copy = *f;
	vh_test_eval_done(&ev);
	return f ? &copy : NULL;
}

static const struct vh_finding *stale(const char *root)
{
	return stale_as(root, false);
}

static void test_image_layouts(void **state)
{
	(void)state;
	static const enum layout lays[] = { EARLY_ZSTD, EARLY_GZIP, ZSTD_ONLY, GZIP_ONLY,
					    PLAIN_ONLY };
	for (size_t l = 0; l < 5; l++) {
		char *root = vh_test_scratch_copy(vh_test_host("seed"));
		struct vh_test_member m[4];
		char bufs[4][512];
		size_t n = seed_members(root, m, bufs);
		bool early = lays[l] == EARLY_ZSTD || lays[l] == EARLY_GZIP;
		if (early)
			vh_test_write(root, "etc/modprobe.d/early-only.conf",
				      "# in the early archive, which the kernel unpacks too\n");
		make_image(root, lays[l], m, n);
		/* the reader sees every file, in both archives */
		struct vh_conf_set set = { 0 };
		char path[4096];
		snprintf(path, sizeof(path), "%s/boot/initrd.img-" KVER, root);
		struct vh_err err;
		memset(&err, 0, sizeof(err));
		if (vh_initramfs_read(path, &set, &err) < 0)
			fail_msg("layout %zu: %s", l, err.msg);
		assert_int_equal(set.n, n + early);
		vh_conf_set_free(&set);
		assert_null(stale(root));
		/* one changed */
		vh_test_write(root, "etc/modprobe.d/vfio.conf", "options vfio-pci ids=10de:2803\n");
		const struct vh_finding *f = stale(root);
		assert_non_null(f);
		assert_contains(f->message, "etc/modprobe.d/vfio.conf differs");
		assert_string_equal(f->fix, "update-initramfs -u -k all");
		vh_test_scratch_free(root);
	}
}

static void test_added_and_removed(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	struct vh_test_member m[4];
	char bufs[4][512];
	size_t n = seed_members(root, m, bufs);
	make_image(root, EARLY_ZSTD, m, n);
	vh_test_write(root, "etc/modprobe.d/early-only.conf",
		      "# in the early archive, which the kernel unpacks too\n");
	assert_null(stale(root));
	vh_test_write(root, "etc/modprobe.d/vfiohelp.conf", "softdep nouveau pre: vfio-pci\n");
	assert_contains(stale(root)->message, "etc/modprobe.d/vfiohelp.conf is not in the image");
	char path[4096];
	snprintf(path, sizeof(path), "%s/etc/modprobe.d/vfiohelp.conf", root);
	unlink(path);
	snprintf(path, sizeof(path), "%s/etc/modprobe.d/blacklist-nvidia.conf", root);
	unlink(path);
	assert_contains(stale(root)->message,
			"blacklist-nvidia.conf is in the image but no longer on disk");
	/* A file without .conf is in neither comparison, as mkinitramfs skips it. */
	vh_test_write(root, "etc/modprobe.d/blacklist-nvidia.conf", bufs[0]);
	vh_test_write(root, "etc/modprobe.d/vfio", "options vfio-pci ids=10de:2803\n");
	assert_null(stale(root));
	vh_test_scratch_free(root);
}

static void test_unreadable_image_is_no_finding(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	assert_null(stale(root)); /* no /boot at all */
	vh_test_write(root, "boot/initrd.img-" KVER, "not a cpio archive at all, just text\n");
	assert_null(stale(root));
	vh_test_scratch_free(root);
}

/* Debian's NVIDIA packages install /etc/modprobe.d/nvidia.conf as a link
 * (through /etc/alternatives); mkinitramfs copies the target and links to
 * it. Judged by that content: fresh as built, stale once the target changes. */
static void test_symlinked_conf(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	char path[4096];
	vh_test_write(root, "etc/nvidia/current/nvidia-modprobe.conf",
		      "options nvidia-drm modeset=1\n");
	snprintf(path, sizeof(path), "%s/etc/alternatives", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/etc/alternatives/nvidia--nvidia-modprobe.conf", root);
	assert_int_equal(symlink("/etc/nvidia/current/nvidia-modprobe.conf", path), 0);
	snprintf(path, sizeof(path), "%s/etc/modprobe.d/nvidia.conf", root);
	assert_int_equal(symlink("/etc/alternatives/nvidia--nvidia-modprobe.conf", path), 0);
	struct vh_test_member m[6];
	char bufs[4][512];
	size_t n = seed_members(root, m, bufs);
	m[n++] = (struct vh_test_member){ "etc/modprobe.d/nvidia.conf", NULL,
					  "../nvidia/current/nvidia-modprobe.conf", 0 };
	m[n++] = (struct vh_test_member){ "etc/nvidia/current/nvidia-modprobe.conf",
					  "options nvidia-drm modeset=1\n", NULL, 0 };
	make_image(root, EARLY_ZSTD, m, n);
	vh_test_write(root, "etc/modprobe.d/early-only.conf",
		      "# in the early archive, which the kernel unpacks too\n");
	assert_null(stale(root));
	struct vh_test_eval ev = eval_on(root);
	vh_test_expect_none(ev.r, "modprobe-line-ignored");
	vh_test_eval_done(&ev);
	vh_test_write(root, "etc/nvidia/current/nvidia-modprobe.conf",
		      "options nvidia-drm modeset=0\n");
	assert_contains(stale(root)->message, "etc/modprobe.d/nvidia.conf differs");
	vh_test_scratch_free(root);
}

/* Names mkinitramfs' glob and libkmod skip (dotfiles) or take whatever their
 * bytes (a space): counted alike on disk and in the image. */
static void test_odd_names(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	struct vh_test_member m[6];
	char bufs[4][512];
	size_t n = seed_members(root, m, bufs);
	m[n++] = (struct vh_test_member){ "etc/modprobe.d/my vfio.conf", "blacklist nouveau\n",
					  NULL, 0 };
	make_image(root, ZSTD_ONLY, m, n);
	vh_test_write(root, "etc/modprobe.d/.hidden.conf", "blacklist radeon\n");
	vh_test_write(root, "etc/modprobe.d/my vfio.conf", "blacklist nouveau\n");
	assert_null(stale(root));
	vh_test_write(root, "etc/modprobe.d/my vfio.conf", "blacklist nvidia\n");
	assert_contains(stale(root)->message, "etc/modprobe.d/my vfio.conf differs");
	vh_test_scratch_free(root);
}

/* Backups and package managers' copies are skipped by modprobe and
 * mkinitramfs by design: no modprobe-line-ignored (its fix, a rename to
 * .conf, would activate them); a file merely misnamed still is one. */
static void test_copies_not_reported(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	static const char *const copies[] = {
		"etc/modprobe.d/vfio.conf.bak",          "etc/modprobe.d/vfio.conf~",
		"etc/modprobe.d/nvidia.conf.dpkg-old",   "etc/modprobe.d/nvidia.conf.dpkg-dist",
		"etc/modprobe.d/blacklist.conf.ucf-old", "etc/modprobe.d/.vfio.conf.swp"
	};
	for (size_t i = 0; i < VH_ARRAY_SIZE(copies); i++)
		vh_test_write(root, copies[i], "options vfio-pci ids=10de:2803\n");
	struct vh_test_eval ev = eval_on(root);
	vh_test_expect_none(ev.r, "modprobe-line-ignored");
	vh_test_expect_none(ev.r, "initramfs-stale");
	vh_test_eval_done(&ev);
	vh_test_write(root, "etc/modprobe.d/vfio-ids", "options vfio-pci ids=10de:2803\n");
	ev = eval_on(root);
	const struct vh_finding *f = vh_test_expect(ev.r, "modprobe-line-ignored",
						    "/etc/modprobe.d/vfio-ids", VH_SEV_WARN);
	assert_contains(f->fix, "mv /etc/modprobe.d/vfio-ids /etc/modprobe.d/vfio-ids.conf");
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

/* An image check cannot read is said as such, with its path and why. */
static void test_corrupt_image_unjudged(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	struct vh_test_member m[4];
	char bufs[4][512];
	size_t n = seed_members(root, m, bufs);
	make_image(root, ZSTD_ONLY, m, n);
	char path[4096];
	snprintf(path, sizeof(path), "%s/boot/initrd.img-" KVER, root);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(truncate(path, st.st_size - 8), 0);
	struct vh_test_eval ev = eval_on(root);
	vh_test_expect_none(ev.r, "initramfs-stale");
	const struct vh_unjudged *u = vh_test_expect_unjudged(ev.r, "initramfs", "cannot be read");
	assert_contains(u->why, "boot/initrd.img-" KVER);
	assert_contains(u->why, "corrupt");
	assert_not_contains(u->why, "no such file");
	vh_test_eval_done(&ev);
	unlink(path);
	ev = eval_on(root);
	vh_test_expect_unjudged(ev.r, "initramfs", "No such file or directory");
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

/* The next kernel's image counts too: the running one fresh, the newer one stale. */
static void test_next_kernel_image(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	struct vh_test_member m[4];
	char bufs[4][512];
	size_t n = seed_members(root, m, bufs);
	make_image(root, ZSTD_ONLY, m, n);
	char from[4096], to[4096];
	snprintf(from, sizeof(from), "%s/boot/initrd.img-" KVER, root);
	snprintf(to, sizeof(to), "%s/boot/initrd.img-6.8.12-11-pve", root);
	make_image(root, ZSTD_ONLY, m, n - 1); /* pve-blacklist.conf missing from the newer image */
	assert_int_equal(rename(from, to), 0);
	make_image(root, ZSTD_ONLY, m, n);
	vh_test_write(root, "boot/vmlinuz-6.8.12-11-pve", "");
	const struct vh_finding *f = stale(root);
	assert_non_null(f);
	assert_contains(f->message, "kernel 6.8.12-11-pve");
	/* pinned to the running kernel: the newer image does not boot next */
	vh_test_write(root, "etc/kernel/proxmox-boot-pin", KVER "\n");
	assert_null(stale(root));
	vh_test_scratch_free(root);
}

/* The verdict is reused while image and files keep inode, size and mtime:
 * an image changed in place with its size and mtime put back is not read
 * again (so its new content goes unseen), a touched one is. */
static void test_verdict_cache(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	struct vh_test_member m[4];
	char bufs[4][512];
	size_t n = seed_members(root, m, bufs);
	make_image(root, ZSTD_ONLY, m, n);
	char dir[4096], image[4096];
	snprintf(dir, sizeof(dir), "%s/run", root);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/run/vfiohelp", root);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(image, sizeof(image), "%s/boot/initrd.img-" KVER, root);
	/* the dry run judges but writes nothing, not even the cache */
	assert_null(stale(root));
	char cache[4096];
	snprintf(cache, sizeof(cache), "%s/run/vfiohelp/initramfs.verdict", root);
	assert_int_equal(access(cache, F_OK), -1);
	assert_null(stale_as(root, true));
	assert_contains(vh_test_read(root, "run/vfiohelp/initramfs.verdict"),
			"vfiohelp-initramfs 1 ");
	struct stat st;
	assert_int_equal(stat(image, &st), 0);
	int fd = open(image, O_WRONLY);
	char junk[64];
	memset(junk, 'x', sizeof(junk));
	assert_int_equal(pwrite(fd, junk, sizeof(junk), 0), (ssize_t)sizeof(junk));
	struct timespec times[2] = { st.st_atim, st.st_mtim };
	assert_int_equal(futimens(fd, times), 0);
	close(fd);
	assert_null(stale_as(root, true)); /* reused: the junk was not read */
	times[1].tv_sec += 1;
	assert_int_equal(utimensat(AT_FDCWD, image, times, 0), 0);
	/* now read again: unreadable, so unjudged, and the cache says so */
	assert_null(stale_as(root, true));
	assert_contains(vh_test_read(root, "run/vfiohelp/initramfs.verdict"), "cannot be read");
	/* a modprobe.d change alone also invalidates */
	make_image(root, ZSTD_ONLY, m, n);
	assert_null(stale_as(root, true));
	vh_test_write(root, "etc/modprobe.d/vfio.conf", "options vfio-pci ids=10de:2803\n");
	assert_non_null(stale_as(root, true));
	vh_test_scratch_free(root);
}

/* ---- the command line ---- */

static struct vh_test_eval eval_on(const char *root)
{
	return vh_test_evaluate(root, 100, NULL);
}

static void grub_host(const char *root, const char *proc, const char *dflt)
{
	char text[1024];
	vh_test_write(root, "proc/cmdline", proc);
	snprintf(text, sizeof(text),
		 "GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT=\"%s\"\nGRUB_CMDLINE_LINUX=\"\"\n",
		 dflt);
	vh_test_write(root, "etc/default/grub", text);
}

static void test_cmdline_pending(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	grub_host(root, "BOOT_IMAGE=/boot/vmlinuz-" KVER " root=/dev/mapper/pve-root ro quiet\n",
		  "quiet");
	struct vh_test_eval ev = eval_on(root);
	vh_test_expect_none(ev.r, "cmdline-pending");
	vh_test_expect_none(ev.r, "cmdline-ignored");
	vh_test_eval_done(&ev);
	/* a drop-in adds an option: pending until update-grub and a reboot */
	vh_test_write(
		root, "etc/default/grub.d/vfiohelp.cfg",
		"GRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT initcall_blacklist=sysfb_init\"\n");
	ev = eval_on(root);
	const struct vh_finding *f = vh_test_expect(ev.r, "cmdline-pending", "cmdline",
						    VH_SEV_WARN);
	assert_contains(f->message, "adds initcall_blacklist=sysfb_init");
	assert_string_equal(f->fix, "update-grub && reboot");
	vh_test_eval_done(&ev);
	/* booted with it: quiet */
	vh_test_write(root, "proc/cmdline",
		      "BOOT_IMAGE=/boot/vmlinuz-" KVER " ro quiet initcall_blacklist=sysfb_init\n");
	ev = eval_on(root);
	vh_test_expect_none(ev.r, "cmdline-pending");
	vh_test_eval_done(&ev);
	/* an option removed from the config but still running */
	vh_test_write(root, "proc/cmdline",
		      "BOOT_IMAGE=/boot/vmlinuz ro quiet initcall_blacklist=sysfb_init iommu=pt\n");
	ev = eval_on(root);
	assert_contains(vh_test_expect(ev.r, "cmdline-pending", "cmdline", VH_SEV_WARN)->message,
			"drops iommu=pt");
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

static void test_cmdline_ignored_on_grub(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	/* A ZFS host booting GRUB (BIOS): /etc/kernel/cmdline is the installer's, and unread. */
	vh_test_write(root, "etc/kernel/proxmox-boot-uuids", "1234-ABCD\n");
	grub_host(root,
		  "BOOT_IMAGE=/ROOT/pve-1@/boot/vmlinuz-" KVER
		  " root=ZFS=rpool/ROOT/pve-1 boot=zfs\n",
		  "quiet");
	vh_test_write(root, "etc/kernel/cmdline", "root=ZFS=rpool/ROOT/pve-1 boot=zfs\n");
	struct vh_test_eval ev = eval_on(root);
	vh_test_expect_none(ev.r, "cmdline-ignored");
	vh_test_eval_done(&ev);
	vh_test_write(root, "etc/kernel/cmdline",
		      "root=ZFS=rpool/ROOT/pve-1 boot=zfs initcall_blacklist=sysfb_init\n");
	ev = eval_on(root);
	const struct vh_finding *f = vh_test_expect(ev.r, "cmdline-ignored", "/etc/kernel/cmdline",
						    VH_SEV_WARN);
	assert_contains(f->message, "grub-proxmox-boot");
	assert_contains(f->fix, "/etc/default/grub.d/vfiohelp.cfg");
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

static void test_cmdline_ignored_on_systemd_boot(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	vh_test_write(root, "etc/kernel/proxmox-boot-uuids", "1234-ABCD\n");
	vh_test_write(root, "sys/firmware/efi/fw_platform_size", "64\n");
	vh_test_write(root, "proc/cmdline",
		      "initrd=\\EFI\\proxmox\\" KVER "\\initrd.img-" KVER
		      " root=ZFS=rpool/ROOT/pve-1 boot=zfs\n");
	vh_test_write(root, "etc/kernel/cmdline", "root=ZFS=rpool/ROOT/pve-1 boot=zfs\n");
	vh_test_write(root, "etc/default/grub", "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n");
	struct vh_test_eval ev = eval_on(root);
	vh_test_expect_none(ev.r, "cmdline-ignored");
	vh_test_expect_none(ev.r, "cmdline-pending");
	vh_test_eval_done(&ev);
	vh_test_write(root, "etc/default/grub", "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet iommu=pt\"\n");
	vh_test_write(root, "etc/kernel/cmdline",
		      "root=ZFS=rpool/ROOT/pve-1 boot=zfs\ninitcall_blacklist=sysfb_init\n");
	ev = eval_on(root);
	const struct vh_finding *g = vh_test_expect(ev.r, "cmdline-ignored", "/etc/default/grub",
						    VH_SEV_WARN);
	assert_contains(g->message, "iommu=pt");
	assert_contains(g->message, "systemd-boot");
	const struct vh_finding *k = vh_test_expect(ev.r, "cmdline-ignored", "/etc/kernel/cmdline",
						    VH_SEV_WARN);
	assert_contains(k->message, "after its first line");
	/* what line 1 says is what boots: nothing pending from the other lines */
	vh_test_expect_none(ev.r, "cmdline-pending");
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

/* ---- modprobe.d and modules-load.d ---- */

static void test_modprobe_line_ignored(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	struct vh_test_eval ev = eval_on(root);
	vh_test_expect_none(ev.r, "modprobe-line-ignored");
	vh_test_eval_done(&ev);
	vh_test_write(root, "etc/modprobe.d/vfio", "options vfio-pci ids=10de:2803\n");
	vh_test_write(root, "etc/modprobe.d/vfio.conf",
		      "options vfio-pci \\\n disable_vga=1\nids=10de:2803,10de:22bd\n");
	ev = eval_on(root);
	const struct vh_finding *f = vh_test_expect(ev.r, "modprobe-line-ignored",
						    "/etc/modprobe.d/vfio", VH_SEV_WARN);
	assert_contains(f->message, "lacks .conf");
	f = vh_test_expect(ev.r, "modprobe-line-ignored", "/etc/modprobe.d/vfio.conf", VH_SEV_WARN);
	assert_contains(f->message,
			"line 3: 'ids=10de:2803,10de:22bd' stands on a line of its own");
	vh_test_eval_done(&ev);
	/* a file without .conf holding only comments is no finding */
	vh_test_write(root, "etc/modprobe.d/vfio", "# nothing here\n");
	vh_test_write(root, "etc/modprobe.d/vfio.conf",
		      "options vfio-pci ids=10de:2803,10de:22bd\n");
	ev = eval_on(root);
	vh_test_expect_none(ev.r, "modprobe-line-ignored");
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

static void test_modules_line_invalid(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	vh_test_write(root, "etc/modules-load.d/vfio.conf", "# vfio\nvfio\nvfio_iommu_type1\n");
	struct vh_test_eval ev = eval_on(root);
	vh_test_expect_none(ev.r, "modules-line-invalid");
	vh_test_eval_done(&ev);
	vh_test_write(root, "etc/modules-load.d/vfio.conf",
		      "vfio\nvfio_pci ids=10de:2803\nvfio_virqfd\n");
	ev = eval_on(root);
	const struct vh_finding *f = vh_test_expect(ev.r, "modules-line-invalid", "vfio_pci",
						    VH_SEV_WARN);
	assert_contains(f->message, "line 2 (vfio_pci) carries arguments");
	f = vh_test_expect(ev.r, "modules-line-invalid", "vfio_virqfd", VH_SEV_WARN);
	assert_contains(f->message, "names no module of this kernel");
	vh_test_eval_done(&ev);
	/* /etc/modules' unknown name stays module-unknown's; its arguments are ours */
	vh_test_write(root, "etc/modules-load.d/vfio.conf", "vfio\n");
	vh_test_write(root, "etc/modules", "vfio\nvfio_virqfd\nvfio_pci ids=1:2\n");
	ev = eval_on(root);
	vh_test_expect(ev.r, "module-unknown", "vfio_virqfd", VH_SEV_WARN);
	assert_null(vh_test_find(ev.r, "modules-line-invalid", "vfio_virqfd"));
	vh_test_expect(ev.r, "modules-line-invalid", "vfio_pci", VH_SEV_WARN);
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

/* ---- a host set up by hand, as Proxmox's docs say ---- */

/* tests/hosts/by-hand: /etc/modules, vfio.conf's ids=, blacklist.conf,
 * GRUB_CMDLINE_LINUX_DEFAULT, update-grub, update-initramfs -u -k all and a
 * reboot, all done: not one finding, nothing unjudged. Then each step left
 * out in turn is named. */
static void test_by_hand_host(void **state)
{
	(void)state;
	struct vh_test_eval ev = vh_test_evaluate(vh_test_host("by-hand"), 100, NULL);
	for (size_t i = 0; i < ev.r->n_findings; i++)
		print_message("  %s: %s\n", ev.r->findings[i].id, ev.r->findings[i].message);
	for (size_t i = 0; i < ev.r->n_unjudged; i++)
		print_message("  not judged: %s: %s\n", ev.r->unjudged[i].check,
			      ev.r->unjudged[i].why);
	assert_int_equal(ev.r->n_findings, 0);
	assert_int_equal(ev.r->n_unjudged, 0);
	vh_test_eval_done(&ev);

	char *root = vh_test_scratch_copy(vh_test_host("by-hand"));
	/* a card added to ids= without update-initramfs */
	vh_test_write(root, "etc/modprobe.d/vfio.conf",
		      "options vfio-pci ids=10de:2803,10de:22bd,1b21:2142\n");
	ev = eval_on(root);
	vh_test_expect(ev.r, "initramfs-stale", "initramfs", VH_SEV_WARN);
	vh_test_expect_none(ev.r, "cmdline-pending");
	vh_test_eval_done(&ev);
	vh_test_write(root, "etc/modprobe.d/vfio.conf",
		      "options vfio-pci ids=10de:2803,10de:22bd\n");
	/* GRUB edited, update-grub and the reboot not done */
	vh_test_write(root, "etc/default/grub",
		      "GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet iommu=pt "
		      "initcall_blacklist=sysfb_init\"\nGRUB_CMDLINE_LINUX=\"\"\n");
	ev = eval_on(root);
	vh_test_expect(ev.r, "cmdline-pending", "cmdline", VH_SEV_WARN);
	vh_test_expect_none(ev.r, "initramfs-stale");
	vh_test_eval_done(&ev);
	vh_test_scratch_free(root);
}

/* ---- the grammars themselves ---- */

static void test_grammars(void **state)
{
	(void)state;
	struct vh_bad_line bad[8];
	const char *mp =
		"# c\n\nblacklist\nblacklist nouveau\noptions vfio-pci\nsoftdep nouveau pre: vfio-pci\n"
		"alias x\ninclude /etc/x\nfoo bar\n";
	assert_int_equal(vh_modprobe_bad_lines(mp, strlen(mp), bad, 8), 5);
	assert_int_equal(bad[0].line, 3);
	assert_int_equal(bad[1].line, 5);
	assert_int_equal(bad[4].line, 9);
	char l[4096] = "", d[4096] = "", rel[4096];
	const char *g =
		"GRUB_CMDLINE_LINUX_DEFAULT='quiet'\nexport GRUB_CMDLINE_LINUX=\"root=x\"\n"
		"GRUB_CMDLINE_LINUX_DEFAULT=\"${GRUB_CMDLINE_LINUX_DEFAULT} intel_iommu=on\" # c\n"
		"  GRUB_CMDLINE_LINUX_DEFAULT=$GRUB_CMDLINE_LINUX_DEFAULT\\ iommu=pt\n";
	vh_grub_defaults_apply(g, strlen(g), l, d, sizeof(l));
	assert_string_equal(l, "root=x");
	assert_string_equal(d, "quiet intel_iommu=on iommu=pt");
	vh_cmdline_relevant("BOOT_IMAGE=/x ro quiet intel_iommu=on vfio-pci.ids=1:2 iommu=pt vfio=1",
			    rel, sizeof(rel));
	assert_string_equal(rel, "intel_iommu=on vfio-pci.ids=1:2 iommu=pt");
	struct vh_modules_line ml[4];
	const char *mods = "; c\n# c\nvfio\n  vfio_pci  \nbad/name\n";
	assert_int_equal(vh_modules_load_lines(mods, strlen(mods), ml, 4), 3);
	assert_string_equal(ml[1].why, "");
	assert_contains(ml[2].why, "no module name");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_image_layouts),
		cmocka_unit_test(test_added_and_removed),
		cmocka_unit_test(test_unreadable_image_is_no_finding),
		cmocka_unit_test(test_symlinked_conf),
		cmocka_unit_test(test_odd_names),
		cmocka_unit_test(test_copies_not_reported),
		cmocka_unit_test(test_corrupt_image_unjudged),
		cmocka_unit_test(test_next_kernel_image),
		cmocka_unit_test(test_verdict_cache),
		cmocka_unit_test(test_cmdline_pending),
		cmocka_unit_test(test_cmdline_ignored_on_grub),
		cmocka_unit_test(test_cmdline_ignored_on_systemd_boot),
		cmocka_unit_test(test_modprobe_line_ignored),
		cmocka_unit_test(test_modules_line_invalid),
		cmocka_unit_test(test_by_hand_host),
		cmocka_unit_test(test_grammars),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
