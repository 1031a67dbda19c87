/*
 * The initramfs reader (host/initramfs.c) on images made here: symlinked
 * modprobe.d files as mkinitramfs copies them, the bounds a crafted image
 * meets, compressions only an external program reads (never run), corrupt
 * images, and the names counted on disk and in the image alike.
 */
#include "testlib.h"
#include "host/host.h"
#include "host/initramfs.h"

#include <archive.h>
#include <archive_entry.h>
#include <lzma.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* dir/image built from members through filter; returns its path (static). */
static const char *image(const char *dir, const struct vh_test_member *m, size_t n, int filter)
{
	static char path[4096];
	snprintf(path, sizeof(path), "%s/initrd.img", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	vh_test_cpio(fd, m, n, filter);
	close(fd);
	return path;
}

static const char *raw_image(const char *dir, const void *bytes, size_t len)
{
	static char path[4096];
	snprintf(path, sizeof(path), "%s/initrd.img", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, bytes, len), (ssize_t)len);
	close(fd);
	return path;
}

/* dir/initrd.img: bytes through zstd alone (libarchive's raw format). */
static void zstd_file(const char *dir, const char *bytes, size_t len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/initrd.img", dir);
	struct archive *a = archive_write_new();
	assert_int_equal(archive_write_set_format_raw(a), ARCHIVE_OK);
	assert_int_equal(archive_write_add_filter_zstd(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, "data");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_size(e, (la_int64_t)len);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	assert_int_equal(archive_write_data(a, bytes, len), (la_ssize_t)len);
	archive_entry_free(e);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

static long max_rss_kib(void);

static const struct vh_conf_file *find(const struct vh_conf_set *s, const char *key)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->f[i].key, key))
			return &s->f[i];
	return NULL;
}

#define NVIDIA_CONF "options nvidia-drm modeset=1\n"

/* mkinitramfs' copy_file: the link becomes a relative link to the target's
 * own copy (readlink -f); the target sorts after it (etc/nvidia > etc/modprobe.d). */
static void test_symlink_read_as_its_target(void **state)
{
	(void)state;
	char *dir = vh_test_scratch_empty();
	const struct vh_test_member m[] = {
		{ "etc/modprobe.d/nvidia.conf", NULL, "../nvidia/current/nvidia-modprobe.conf", 0 },
		{ "etc/modprobe.d/vfio.conf", "options vfio-pci ids=10de:2803\n", NULL, 0 },
		{ "etc/nvidia/current/nvidia-modprobe.conf", NVIDIA_CONF, NULL, 0 },
		{ "usr/lib/modprobe.d/abs.conf", NULL, "/etc/nvidia/current/nvidia-modprobe.conf",
		  0 },
		{ "etc/modprobe.d/dangling.conf", NULL, "../nowhere.conf", 0 },
	};
	struct vh_conf_set s = { 0 };
	struct vh_err e = { 0 };
	if (vh_initramfs_read(image(dir, m, 5, ARCHIVE_FILTER_ZSTD), &s, &e) < 0)
		fail_msg("%s", e.msg);
	assert_int_equal(s.n, 3); /* the dangling link is no file, as for modprobe */
	assert_string_equal(find(&s, "etc/modprobe.d/nvidia.conf")->data, NVIDIA_CONF);
	assert_string_equal(find(&s, "lib/modprobe.d/abs.conf")->data, NVIDIA_CONF);
	assert_null(find(&s, "etc/modprobe.d/dangling.conf"));
	vh_conf_set_free(&s);

	/* the target before the link: a second pass finds it */
	const struct vh_test_member rev[] = {
		{ "etc/alternatives/nvidia.conf", NVIDIA_CONF, NULL, 0 },
		{ "etc/modprobe.d/nvidia.conf", NULL, "../alternatives/nvidia.conf", 0 },
	};
	if (vh_initramfs_read(image(dir, rev, 2, ARCHIVE_FILTER_GZIP), &s, &e) < 0)
		fail_msg("%s", e.msg);
	assert_int_equal(s.n, 1);
	assert_string_equal(find(&s, "etc/modprobe.d/nvidia.conf")->data, NVIDIA_CONF);
	vh_conf_set_free(&s);
	vh_test_scratch_free(dir);
}

/* The disk side: a link followed inside the root, absolute targets included. */
static void test_symlink_on_disk(void **state)
{
	(void)state;
	char *root = vh_test_scratch_copy(vh_test_host("seed"));
	char path[4096];
	vh_test_write(root, "etc/nvidia/current/nvidia-modprobe.conf", NVIDIA_CONF);
	snprintf(path, sizeof(path), "%s/etc/alternatives", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/etc/alternatives/nvidia--nvidia-modprobe.conf", root);
	assert_int_equal(symlink("/etc/nvidia/current/nvidia-modprobe.conf", path), 0);
	snprintf(path, sizeof(path), "%s/etc/modprobe.d/nvidia.conf", root);
	assert_int_equal(symlink("/etc/alternatives/nvidia--nvidia-modprobe.conf", path), 0);
	snprintf(path, sizeof(path), "%s/etc/modprobe.d/gone.conf", root);
	assert_int_equal(symlink("/etc/nvidia/none.conf", path), 0);
	struct vh_err e;
	struct vh_host *h = vh_host_new(root, &e);
	assert_non_null(h);
	struct vh_conf_set s = { 0 };
	assert_int_equal(vh_modprobe_disk_read(h, &s, &e), 0);
	assert_string_equal(find(&s, "etc/modprobe.d/nvidia.conf")->data, NVIDIA_CONF);
	assert_null(find(&s, "etc/modprobe.d/gone.conf"));
	vh_conf_set_free(&s);
	char real[4096];
	assert_int_equal(vh_host_resolve(h, "/etc/modprobe.d/nvidia.conf", real, sizeof(real)), 0);
	assert_string_equal(real, "/etc/nvidia/current/nvidia-modprobe.conf");
	/* a link climbing above the root stays inside it */
	snprintf(path, sizeof(path), "%s/etc/modprobe.d/up.conf", root);
	assert_int_equal(symlink("../../../../../../etc/nvidia/current/nvidia-modprobe.conf", path),
			 0);
	assert_int_equal(vh_host_resolve(h, "/etc/modprobe.d/up.conf", real, sizeof(real)), 0);
	assert_string_equal(real, "/etc/nvidia/current/nvidia-modprobe.conf");
	snprintf(path, sizeof(path), "%s/etc/modprobe.d/loop.conf", root);
	assert_int_equal(symlink("loop.conf", path), 0);
	assert_int_equal(vh_host_resolve(h, "/etc/modprobe.d/loop.conf", real, sizeof(real)), -1);
	assert_int_equal(errno, ELOOP);
	vh_host_free(h);
	vh_test_scratch_free(root);
}

static long max_rss_kib(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* The crafted images of issue 20: a zstd stream of a few KB that unpacks to
 * hundreds of "modprobe.d files". Each bound says so; memory stays small. */
static void test_bounds(void **state)
{
	(void)state;
	char *dir = vh_test_scratch_empty();
	enum { N = 300 };
	static struct vh_test_member m[N];
	static char names[N][64];
	char *zeros = calloc(1, 1u << 20);
	assert_non_null(zeros);
	for (size_t i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "etc/modprobe.d/a%03zu.conf", i);
		m[i] = (struct vh_test_member){ names[i], zeros, NULL, 1u << 20 };
	}
	const char *path = image(dir, m, N, ARCHIVE_FILTER_ZSTD);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size < 64 * 1024); /* 300 MiB unpacked */
	long before = max_rss_kib();
	struct vh_conf_set s = { 0 };
	struct vh_err e = { 0 };
	assert_int_equal(vh_initramfs_read(path, &s, &e), -1);
	assert_int_equal(e.code, EFBIG);
	assert_contains(e.msg, "etc/modprobe.d/a000.conf holds more than 256 KiB");
	assert_int_equal(s.n, 0);
	/* files under the per-file bound, many of them: the total bound */
	for (size_t i = 0; i < N; i++)
		m[i].len = 200u << 10;
	assert_int_equal(vh_initramfs_read(image(dir, m, N, ARCHIVE_FILTER_ZSTD), &s, &e), -1);
	assert_int_equal(e.code, EFBIG);
	assert_contains(e.msg, "its modprobe.d files hold more than 4 MiB");
	/* many links to one file under the per-file bound: each copy counts */
	for (size_t i = 0; i < 40; i++)
		m[i] = (struct vh_test_member){ names[i], NULL, "/etc/big.txt", 0 };
	m[40] = (struct vh_test_member){ "etc/big.txt", zeros, NULL, 200u << 10 };
	assert_int_equal(vh_initramfs_read(image(dir, m, 41, ARCHIVE_FILTER_ZSTD), &s, &e), -1);
	assert_int_equal(e.code, EFBIG);
	assert_contains(e.msg, "its modprobe.d files hold more than 4 MiB");
	m[10] = m[40]; /* ten of them: 2 MiB, within the bound */
	assert_int_equal(vh_initramfs_read(image(dir, m, 11, ARCHIVE_FILTER_ZSTD), &s, &e), 0);
	assert_int_equal(s.n, 10);
	vh_conf_set_free(&s);
	long grew = max_rss_kib() - before;
	print_message("max RSS grew by %ld KiB reading 300 MiB and 60 MiB crafted images\n", grew);
	assert_true(grew < 48 * 1024);
	free(zeros);

	/* an entry larger than what may be unpacked is not skipped through */
	/* a newc header that claims 600 MiB of data (and has none) */
	static const char name[] = "usr/lib/firmware/big.bin";
	char big[256] = { 0 };
	int n = snprintf(big, sizeof(big),
			 "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%s", 1u,
			 0100644u, 0u, 0u, 1u, 0u, 600u << 20, 0u, 0u, 0u, 0u,
			 (unsigned)sizeof(name), 0u, name);
	assert_int_equal(vh_initramfs_read(raw_image(dir, big, (size_t)n + 2), &s, &e), -1);
	assert_int_equal(e.code, EFBIG);
	assert_contains(e.msg, "it unpacks to more than 512 MiB");
	vh_test_scratch_free(dir);
}

/* .xz and .lzma images are decoded by liblzma within a memory limit: real
 * ones read; a stream asking for a 1 GiB dictionary is refused before it is
 * allocated (libarchive's own xz filter would allocate and fill it). */
static void test_xz_within_memory_limit(void **state)
{
	(void)state;
	char *dir = vh_test_scratch_empty();
	const struct vh_test_member m[] = {
		{ "etc/modprobe.d/vfio.conf", "options vfio-pci ids=10de:2803\n", NULL, 0 },
		{ "usr/lib/firmware/x.bin", "0123456789abcdef", NULL, 0 },
	};
	static const int filters[] = { ARCHIVE_FILTER_XZ, ARCHIVE_FILTER_LZMA };
	for (size_t i = 0; i < 2; i++) {
		struct vh_conf_set s = { 0 };
		struct vh_err e = { 0 };
		if (vh_initramfs_read(image(dir, m, 2, filters[i]), &s, &e) < 0)
			fail_msg("filter %d: %s", filters[i], e.msg);
		assert_int_equal(s.n, 1);
		assert_string_equal(find(&s, "etc/modprobe.d/vfio.conf")->data,
				    "options vfio-pci ids=10de:2803\n");
		vh_conf_set_free(&s);
	}
	/* stream header, then a block header whose LZMA2 filter asks for 1 GiB */
	unsigned char x[32] = { 0xfd, '7', 'z', 'X', 'Z', 0, 0, 1 };
	uint32_t crc = lzma_crc32(x + 6, 2, 0);
	for (int i = 0; i < 4; i++)
		x[8 + i] = (unsigned char)(crc >> (8 * i));
	unsigned char *b = x + 12;
	b[0] = 2;    /* (2 + 1) * 4 = 12 bytes of header */
	b[1] = 0;    /* one filter, no sizes */
	b[2] = 0x21; /* LZMA2 */
	b[3] = 1;    /* one byte of properties */
	b[4] = 36;   /* dictionary 2 << 29: 1 GiB */
	crc = lzma_crc32(b, 8, 0);
	for (int i = 0; i < 4; i++)
		b[8 + i] = (unsigned char)(crc >> (8 * i));
	struct vh_conf_set s = { 0 };
	struct vh_err e = { 0 };
	long before = max_rss_kib();
	assert_int_equal(vh_initramfs_read(raw_image(dir, x, 24), &s, &e), -1);
	assert_int_equal(e.code, EFBIG);
	assert_contains(e.msg, "needs more than 96 MiB of memory");
	assert_true(max_rss_kib() - before < 16 * 1024);
	vh_test_scratch_free(dir);
}

/* A compression libarchive reads only through an external program is never
 * run: a fake lzop/lrzip first in PATH would leave a marker file. */
static void test_no_external_program(void **state)
{
	(void)state;
	char *dir = vh_test_scratch_empty();
	char bin[4096], marker[4096], script[8192], path_env[16384];
	snprintf(bin, sizeof(bin), "%s/bin", dir);
	snprintf(marker, sizeof(marker), "%s/ran", dir);
	snprintf(script, sizeof(script), "#!/bin/sh\necho \"$0\" >> '%s'\ncat\n", marker);
	vh_test_write(dir, "bin/lzop", script);
	vh_test_write(dir, "bin/lrzip", script);
	vh_test_write(dir, "bin/grzip", script);
	static const char *const progs[] = { "lzop", "lrzip", "grzip" };
	for (size_t i = 0; i < 3; i++) {
		char p[4200];
		snprintf(p, sizeof(p), "%s/%s", bin, progs[i]);
		assert_int_equal(chmod(p, 0755), 0);
	}
	const char *old = getenv("PATH");
	char *saved = strdup(old ? old : "/usr/bin:/bin");
	snprintf(path_env, sizeof(path_env), "%s:%s", bin, saved);
	setenv("PATH", path_env, 1);
	static const struct {
		const char *bytes;
		size_t len;
		const char *name;
	} images[] = {
		{ "\x89LZO\0\r\n\x1a\n\x10\x30\x20\xa0\x09\x40\x01\x05\x03\0\0\x01\0\0\0\0", 25,
		  "lzop" },
		{ "LRZI\0\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 24, "lrzip" },
		{ "GRZipII\0\x02\x04:)\0\0\0\0\0\0\0\0\0\0\0\0", 24, "grzip" },
	};
	for (size_t i = 0; i < 3; i++) {
		struct vh_conf_set s = { 0 };
		struct vh_err e = { 0 };
		const char *img = raw_image(dir, images[i].bytes, images[i].len);
		assert_int_equal(vh_initramfs_read(img, &s, &e), -1);
		assert_int_equal(e.code, ENOEXEC);
		assert_contains(e.msg, images[i].name);
		assert_contains(e.msg, "never run here");
		assert_int_equal(access(marker, F_OK), -1);
	}
	setenv("PATH", saved, 1);
	free(saved);
	vh_test_scratch_free(dir);
}

/* A corrupt image names itself and what is wrong, never "no such file". */
static void test_corrupt_image(void **state)
{
	(void)state;
	char *dir = vh_test_scratch_empty();
	const struct vh_test_member m[] = {
		{ "etc/modprobe.d/vfio.conf", "options vfio-pci ids=10de:2803\n", NULL, 0 },
		{ "usr/lib/firmware/x.bin", "0123456789abcdef0123456789abcdef", NULL, 0 },
	};
	const char *path = image(dir, m, 2, ARCHIVE_FILTER_ZSTD);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(truncate(path, st.st_size / 2), 0);
	struct vh_conf_set s = { 0 };
	struct vh_err e = { 0 };
	errno = ENOENT; /* what the old reader's caller mistook for the cause */
	assert_int_equal(vh_initramfs_read(path, &s, &e), -1);
	assert_int_not_equal(e.code, ENOENT);
	assert_contains(e.msg, path);
	assert_contains(e.msg, "corrupt");
	assert_not_contains(e.msg, "No such file");
	raw_image(dir, "070701 not a header at all, but a start", 39);
	assert_int_equal(vh_initramfs_read(path, &s, &e), -1);
	assert_contains(e.msg, "corrupt or not a cpio archive at byte 0");
	/* a header claiming a 4 GiB name, then 64 MiB of zeros, zstd: refused at
	 * the header, before anything buffers the name (the fuzzer's find) */
	size_t big = 64u << 20;
	char *bytes = calloc(1, big);
	assert_non_null(bytes);
	int n = snprintf(bytes, 200, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
			 1u, 040755u, 0u, 0u, 2u, 0u, 0u, 0u, 0u, 0u, 0u, 0xFE000000u, 0u);
	bytes[n] = 'x';
	zstd_file(dir, bytes, big);
	long before = max_rss_kib();
	assert_int_equal(vh_initramfs_read(path, &s, &e), -1);
	assert_contains(e.msg, "corrupt: a name of 4261412864 bytes at byte 0");
	assert_true(max_rss_kib() - before < 16 * 1024);
	free(bytes);
	char missing[4200];
	snprintf(missing, sizeof(missing), "%s/none", dir);
	assert_int_equal(vh_initramfs_read(missing, &s, &e), -1);
	assert_int_equal(e.code, ENOENT);
	vh_test_scratch_free(dir);
}

static void test_names(void **state)
{
	(void)state;
	static const char *const confs[] = { "vfio.conf", "odd name.conf", "é.conf", "a.conf" };
	static const char *const not_confs[] = { ".hidden.conf", ".conf",         "vfio",
						 "vfio.conf~",   "vfio.conf.bak", "x.confx" };
	for (size_t i = 0; i < VH_ARRAY_SIZE(confs); i++)
		assert_true(vh_modprobe_conf_name(confs[i]));
	for (size_t i = 0; i < VH_ARRAY_SIZE(not_confs); i++)
		assert_false(vh_modprobe_conf_name(not_confs[i]));
	static const char *const copies[] = { "vfio.conf.bak",      "vfio.conf~",
					      "vfio.conf.dpkg-old", "nvidia.conf.dpkg-dist",
					      "x.ucf-new",          ".vfio.swp",
					      "vfio.conf.2024",     "#vfio.conf#",
					      "vfio.orig" };
	static const char *const mistakes[] = { "vfio", "vfio.cfg", "blacklist-nouveau.txt",
						"vfio.conf" };
	for (size_t i = 0; i < VH_ARRAY_SIZE(copies); i++)
		assert_true(vh_modprobe_copy_name(copies[i]));
	for (size_t i = 0; i < VH_ARRAY_SIZE(mistakes); i++)
		assert_false(vh_modprobe_copy_name(mistakes[i]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_symlink_read_as_its_target),
		cmocka_unit_test(test_symlink_on_disk),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_xz_within_memory_limit),
		cmocka_unit_test(test_no_external_program),
		cmocka_unit_test(test_corrupt_image),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
