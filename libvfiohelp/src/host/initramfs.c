/*
 * initramfs images against the disk (initramfs.h). libarchive does the
 * cpio and the decompression; what it does not do is go on after the
 * first archive's TRAILER!!!, which is where the kernel (and unmkinitramfs)
 * find the compressed main archive behind an early-microcode one.
 */
#include "internal.h"
#include "base/array.h"
#include "host/host.h"
#include "host/bootloader.h"
#include "host/initramfs.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_CONF_BYTES (1u << 20) /* no modprobe.d file is this large */
#define MAX_CONF_FILES 4096
#define MAX_ARCHIVES 8 /* early microcode, main: a few more is generous */

void vh_conf_set_free(struct vh_conf_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->f[i].data);
	free(s->f);
	memset(s, 0, sizeof(*s));
}

static struct vh_conf_file *conf_find(const struct vh_conf_set *s, const char *key)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->f[i].key, key))
			return &s->f[i];
	return NULL;
}

/* Takes data (malloc'd) into the set; a key already there keeps its first
 * content (lib/ before usr/lib/, as a merged /usr makes them one). */
static int conf_add(struct vh_conf_set *s, const char *key, char *data, size_t len)
{
	if (conf_find(s, key) || s->n >= MAX_CONF_FILES) {
		free(data);
		return 0;
	}
	if (VH_ARRAY_ROOM(s->f, s->cap, s->n) < 0) {
		free(data);
		return -1;
	}
	struct vh_conf_file *f = &s->f[s->n++];
	vh_strlcpy(f->key, key, sizeof(f->key));
	f->data = data;
	f->len = len;
	return 0;
}

/* "./usr/lib/modprobe.d/x.conf" -> "lib/modprobe.d/x.conf"; false for any
 * path that is not a *.conf directly in one of the three directories. */
static bool conf_key(const char *path, char *key, size_t size)
{
	while (*path == '.' && path[1] == '/')
		path += 2;
	path += strspn(path, "/");
	if (!strncmp(path, "usr/lib/", 8))
		path += 4;
	const char *name;
	if (!strncmp(path, "etc/modprobe.d/", 15))
		name = path + 15;
	else if (!strncmp(path, "lib/modprobe.d/", 15))
		name = path + 15;
	else
		return false;
	size_t n = strlen(name);
	if (n <= 5 || strcmp(name + n - 5, ".conf") || strchr(name, '/'))
		return false;
	return vh_strlcpy(key, path, size) < size;
}

static char *symlink_text(const char *target, size_t *len)
{
	char *s = NULL;
	int n = asprintf(&s, "symlink -> %s", target);
	*len = n < 0 ? 0 : (size_t)n;
	return n < 0 ? NULL : s;
}

/* ---- the image ---- */

struct image_reader {
	int fd;
	off_t pos;
	char buf[65536];
};

static la_ssize_t image_read(struct archive *a, void *data, const void **out)
{
	(void)a;
	struct image_reader *r = data;
	ssize_t n = pread(r->fd, r->buf, sizeof(r->buf), r->pos);
	if (n < 0)
		return -1;
	r->pos += n;
	*out = r->buf;
	return n;
}

static int entry_data(struct archive *a, struct archive_entry *e, char **data, size_t *len)
{
	if (archive_entry_filetype(e) == AE_IFLNK) {
		const char *t = archive_entry_symlink(e);
		*data = symlink_text(t ? t : "", len);
		return *data ? 0 : -1;
	}
	la_int64_t size = archive_entry_size(e);
	if (size < 0 || size > MAX_CONF_BYTES)
		return -1;
	*data = malloc((size_t)size + 1);
	if (!*data)
		return -1;
	la_ssize_t got = archive_read_data(a, *data, (size_t)size);
	if (got != size) {
		free(*data);
		return -1;
	}
	*len = (size_t)size;
	return 0;
}

/* Reads the archive that starts at off; *compressed tells whether a
 * decompressor ran, *last_header where the last entry began (from off). */
static int read_archive(int fd, off_t off, struct vh_conf_set *out, bool *compressed,
			la_int64_t *last_header, struct vh_err *err)
{
	struct image_reader *r = malloc(sizeof(*r));
	struct archive *a = archive_read_new();
	if (!r || !a) {
		free(r);
		archive_read_free(a);
		return vh_fail(err, "out of memory");
	}
	r->fd = fd;
	r->pos = off;
	archive_read_support_filter_all(a);
	archive_read_support_format_cpio(a);
	int rc = archive_read_open(a, r, NULL, image_read, NULL);
	struct archive_entry *e;
	*last_header = -1;
	while (rc == ARCHIVE_OK && (rc = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		*last_header = archive_read_header_position(a);
		char key[192], *data;
		size_t len;
		unsigned type = archive_entry_filetype(e);
		if (!conf_key(archive_entry_pathname(e) ? archive_entry_pathname(e) : "", key,
			      sizeof(key)) ||
		    (type != AE_IFREG && type != AE_IFLNK))
			continue;
		if (entry_data(a, e, &data, &len) < 0 || conf_add(out, key, data, len) < 0) {
			rc = ARCHIVE_FATAL;
			break;
		}
	}
	*compressed = archive_filter_count(a) > 1 &&
		      archive_filter_code(a, 0) != ARCHIVE_FILTER_NONE;
	if (rc != ARCHIVE_EOF)
		vh_fail(err, "archive at byte %lld: %s", (long long)off,
			archive_error_string(a) ? archive_error_string(a) : "not a cpio archive");
	archive_read_free(a);
	free(r);
	return rc == ARCHIVE_EOF ? 0 : -1;
}

/* Where the uncompressed archive searched from `from` ends: past its
 * TRAILER!!! header (110 bytes, namesize 0000000B at byte 94, the name,
 * padded to 4 bytes from the archive's start). -1 when there is none. */
static off_t trailer_end(int fd, off_t start, off_t from, off_t size)
{
	static char buf[65536 + 128];
	for (off_t pos = from; pos < size;) {
		ssize_t n = pread(fd, buf, sizeof(buf), pos);
		if (n <= 0)
			return -1;
		for (char *p = buf; (p = memmem(p, (size_t)(buf + n - p), "TRAILER!!!", 11));) {
			off_t hdr = pos + (p - buf) - 110;
			char head[110];
			if (hdr >= start &&
			    pread(fd, head, sizeof(head), hdr) == (ssize_t)sizeof(head) &&
			    !strncmp(head, "07070", 5) && !strncasecmp(head + 94, "0000000B", 8))
				return start + (((hdr - start) + 110 + 11 + 3) & ~(off_t)3);
			p++;
		}
		if (n < (ssize_t)sizeof(buf))
			return -1;
		pos += n - 128; /* overlap: a trailer across the chunk border */
	}
	return -1;
}

/* The first non-zero byte at or after off (the kernel skips zero padding). */
static off_t skip_zeros(int fd, off_t off, off_t size)
{
	char buf[4096];
	while (off < size) {
		ssize_t n = pread(fd, buf, sizeof(buf), off);
		if (n <= 0)
			return size;
		for (ssize_t i = 0; i < n; i++)
			if (buf[i])
				return off + i;
		off += n;
	}
	return size;
}

int vh_initramfs_read(const char *path, struct vh_conf_set *out, struct vh_err *err)
{
	int fd = vh_open_regular(path);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return vh_fail(err, "%s: %s", path, strerror(e));
	}
	off_t off = 0;
	int rc = 0;
	for (int n = 0; n < MAX_ARCHIVES && rc == 0; n++) {
		off = skip_zeros(fd, off, st.st_size);
		if (off >= st.st_size)
			break;
		bool compressed = false;
		la_int64_t last = 0;
		struct vh_err e;
		if (read_archive(fd, off, out, &compressed, &last, &e) < 0) {
			/* never format err->msg into itself */
			rc = vh_failc(err, e.code, "%s: %s", path, e.msg);
			break;
		}
		if (compressed)
			break; /* the compressed archive is the last one mkinitramfs writes */
		off_t end = trailer_end(fd, off, off + (last > 0 ? last + 110 : 0), st.st_size);
		if (end < 0)
			rc = vh_fail(err, "%s: an uncompressed archive without its TRAILER!!!",
				     path);
		off = end;
	}
	close(fd);
	return rc;
}

/* ---- the disk ---- */

static int disk_file(const char *path, char **data, size_t *len)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return -1;
	if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			return -1;
		target[n] = '\0';
		*data = symlink_text(target, len);
		return *data ? 0 : -1;
	}
	return vh_slurp(path, MAX_CONF_BYTES, data, len);
}

/* The three directories modprobe reads, in the order a key's first content
 * wins (lib before usr/lib), and the key prefix each gives. */
static const char *const conf_dirs[][2] = {
	{ "/etc/modprobe.d", "etc/modprobe.d" },
	{ "/lib/modprobe.d", "lib/modprobe.d" },
	{ "/usr/lib/modprobe.d", "lib/modprobe.d" },
};

/* Calls fn for each *.conf of the three directories, with its path and key. */
static int each_disk_conf(struct vh_host *h, int (*fn)(void *, const char *, const char *),
			  void *ctx)
{
	for (size_t i = 0; i < VH_ARRAY_SIZE(conf_dirs); i++) {
		char dir[PATH_MAX];
		if (vh_host_path(h, dir, sizeof(dir), "%s", conf_dirs[i][0]) < 0)
			return -1;
		DIR *d = opendir(dir);
		for (struct dirent *e; d && (e = readdir(d));) {
			char key[192], path[PATH_MAX + 256];
			size_t n = strlen(e->d_name);
			if (n <= 5 || strcmp(e->d_name + n - 5, ".conf") ||
			    !vh_is_safe_component(e->d_name) ||
			    vh_format(key, sizeof(key), "%s/%s", conf_dirs[i][1], e->d_name) < 0 ||
			    vh_format(path, sizeof(path), "%s/%s", dir, e->d_name) < 0)
				continue;
			if (fn(ctx, path, key) < 0) {
				closedir(d);
				return -1;
			}
		}
		if (d)
			closedir(d);
	}
	return 0;
}

static int add_disk_conf(void *ctx, const char *path, const char *key)
{
	char *data;
	size_t len;
	if (disk_file(path, &data, &len) < 0)
		return 0; /* vanished or unreadable: modprobe would not read it either */
	return conf_add(ctx, key, data, len);
}

int vh_modprobe_disk_read(struct vh_host *h, struct vh_conf_set *out, struct vh_err *err)
{
	if (each_disk_conf(h, add_disk_conf, out) < 0)
		return vh_fail(err, "cannot read modprobe.d (out of memory or a path too long)");
	return 0;
}

static void say(char *detail, size_t size, const char *key, const char *what)
{
	size_t used = strlen(detail);
	if (used < size)
		snprintf(detail + used, size - used, "%s%s %s", used ? "; " : "", key, what);
}

bool vh_conf_set_differ(const struct vh_conf_set *image, const struct vh_conf_set *disk,
			char *detail, size_t size)
{
	detail[0] = '\0';
	bool differ = false;
	for (size_t i = 0; i < disk->n; i++) {
		const struct vh_conf_file *in = conf_find(image, disk->f[i].key);
		if (!in || in->len != disk->f[i].len ||
		    memcmp(in->data, disk->f[i].data, in->len)) {
			say(detail, size, disk->f[i].key,
			    in ? "differs from the image's copy" : "is not in the image");
			differ = true;
		}
	}
	for (size_t i = 0; i < image->n; i++)
		if (!conf_find(disk, image->f[i].key)) {
			say(detail, size, image->f[i].key, "is in the image but no longer on disk");
			differ = true;
		}
	return differ;
}

/* ---- the verdict and its cache ---- */

struct cache_key {
	uint64_t hash;
};

static void hash_bytes(struct cache_key *k, const void *p, size_t n)
{
	k->hash = vh_fnv1a(k->hash, p, n);
}

static void hash_stat(struct cache_key *k, const char *path)
{
	struct stat st;
	memset(&st, 0, sizeof(st));
	int rc = lstat(path, &st);
	uint64_t f[5] = { (uint64_t)rc, (uint64_t)st.st_ino, (uint64_t)st.st_size,
			  (uint64_t)st.st_mtim.tv_sec, (uint64_t)st.st_mtim.tv_nsec };
	hash_bytes(k, path, strlen(path) + 1);
	hash_bytes(k, f, sizeof(f));
}

static int hash_disk_conf(void *ctx, const char *path, const char *key)
{
	(void)key;
	hash_stat(ctx, path);
	return 0;
}

static int image_path(struct vh_host *h, const char *kver, char *path, size_t size)
{
	return vh_host_path(h, path, size, "/boot/initrd.img-%s", kver);
}

/* The kernels to judge: the running one and the next one (once if the same). */
static size_t kernels(struct vh_host *h, char kv[2][128])
{
	size_t n = 0;
	if (vh_host_kernel_release(h, NULL) == 0)
		vh_strlcpy(kv[n++], h->kver, 128);
	if (vh_next_kernel(h, kv[n], 128) == 0 && (n == 0 || strcmp(kv[0], kv[n])))
		n++;
	return n;
}

static uint64_t verdict_key(struct vh_host *h, char kv[2][128], size_t nk)
{
	struct cache_key k = { 1469598103934665603ull };
	for (size_t i = 0; i < nk; i++) {
		char path[PATH_MAX];
		if (image_path(h, kv[i], path, sizeof(path)) == 0)
			hash_stat(&k, path);
	}
	each_disk_conf(h, hash_disk_conf, &k);
	return k.hash;
}

static bool cache_path(struct vh_host *h, char *path, size_t size)
{
	char dir[PATH_MAX];
	struct stat st;
	return vh_host_path(h, dir, sizeof(dir), "/run/vfiohelp") == 0 && stat(dir, &st) == 0 &&
	       S_ISDIR(st.st_mode) && vh_format(path, size, "%s/initramfs.verdict", dir) >= 0;
}

/* Cache file: "vfiohelp-initramfs 1 <key hex> <verdict> <kver>\n<detail>\n". */
static bool cache_load(struct vh_host *h, uint64_t key, struct vh_initramfs_judgement *out)
{
	char path[PATH_MAX], text[1024];
	if (!cache_path(h, path, sizeof(path)) || vh_read_file(path, text, sizeof(text)) <= 0)
		return false;
	unsigned long long k;
	int v, used = 0;
	char kver[128];
	if (sscanf(text, "vfiohelp-initramfs 1 %llx %d %127s\n%n", &k, &v, kver, &used) != 3 ||
	    !used || k != key || v < VH_INITRAMFS_FRESH || v > VH_INITRAMFS_UNREADABLE)
		return false;
	out->verdict = (enum vh_initramfs_verdict)v;
	vh_strlcpy(out->kver, strcmp(kver, "-") ? kver : "", sizeof(out->kver));
	vh_strlcpy(out->detail, text + used, sizeof(out->detail));
	out->detail[strcspn(out->detail, "\n")] = '\0';
	out->reused = true;
	return true;
}

static void cache_store(struct vh_host *h, uint64_t key, const struct vh_initramfs_judgement *j)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	if (!h->write_caches || !cache_path(h, path, sizeof(path)) ||
	    vh_format(tmp, sizeof(tmp), "%s.tmp", path) < 0)
		return;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	char text[1024];
	int n = snprintf(text, sizeof(text), "vfiohelp-initramfs 1 %llx %d %s\n%s\n",
			 (unsigned long long)key, (int)j->verdict, j->kver[0] ? j->kver : "-",
			 j->detail);
	bool ok = n > 0 && (size_t)n < sizeof(text) && write(fd, text, (size_t)n) == n;
	close(fd);
	if (!ok || rename(tmp, path) < 0)
		unlink(tmp);
}

/* Reads one kernel's image against the disk set. */
static void judge_image(struct vh_host *h, const char *kver, const struct vh_conf_set *disk,
			struct vh_initramfs_judgement *out)
{
	char path[PATH_MAX];
	struct vh_conf_set image = { 0 };
	struct vh_err e;
	vh_strlcpy(out->kver, kver, sizeof(out->kver));
	if (image_path(h, kver, path, sizeof(path)) < 0 ||
	    vh_initramfs_read(path, &image, &e) < 0) {
		out->verdict = VH_INITRAMFS_UNREADABLE;
		snprintf(out->detail, sizeof(out->detail),
			 "/boot/initrd.img-%s cannot be read (%s)", kver,
			 errno == ENOENT ? "no such file" : "not a cpio image libarchive reads");
	} else if (vh_conf_set_differ(&image, disk, out->detail, sizeof(out->detail))) {
		out->verdict = VH_INITRAMFS_STALE;
	} else {
		out->verdict = VH_INITRAMFS_FRESH;
	}
	vh_conf_set_free(&image);
}

void vh_initramfs_judge(struct vh_host *h, struct vh_initramfs_judgement *out)
{
	char kv[2][128];
	size_t nk = kernels(h, kv);
	memset(out, 0, sizeof(*out));
	out->verdict = VH_INITRAMFS_UNREADABLE;
	if (!nk) {
		vh_strlcpy(out->detail,
			   "the running kernel's release is unknown and /boot holds no kernel",
			   sizeof(out->detail));
		return;
	}
	uint64_t key = verdict_key(h, kv, nk);
	if (cache_load(h, key, out))
		return;
	struct vh_conf_set disk = { 0 };
	if (vh_modprobe_disk_read(h, &disk, NULL) < 0) {
		vh_strlcpy(out->detail, "modprobe.d cannot be read", sizeof(out->detail));
		return;
	}
	/* A stale image outweighs an unreadable one: it names what to do. */
	struct vh_initramfs_judgement j;
	for (size_t i = 0; i < nk; i++) {
		memset(&j, 0, sizeof(j));
		judge_image(h, kv[i], &disk, &j);
		if (i == 0 || j.verdict == VH_INITRAMFS_STALE ||
		    (j.verdict == VH_INITRAMFS_UNREADABLE && out->verdict == VH_INITRAMFS_FRESH))
			*out = j;
	}
	vh_conf_set_free(&disk);
	cache_store(h, key, out);
}
