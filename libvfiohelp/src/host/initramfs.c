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

/* What is kept of an image is bounded whatever the image says: a crafted
 * 18 KB zstd stream unpacks to a thousand 1 MiB "modprobe.d files". */
#define MAX_CONF_BYTES (256u << 10) /* one file (real ones: a few KiB) */
#define MAX_KEPT_BYTES (4u << 20)   /* every file kept, together */
#define MAX_CONF_FILES 1024
/* Decompressed bytes read from one image in one pass; Debian's and
 * Proxmox's images unpack to a few hundred MiB. It also bounds the memory of
 * the decompressor's window, which grows with what it has put out. */
#define MAX_IMAGE_BYTES ((la_int64_t)512 << 20)
#define MAX_ARCHIVES 8 /* early microcode, main: a few more is generous */
#define MAX_LINK_HOPS 8

/* ---- names ---- */

bool vh_modprobe_conf_name(const char *name)
{
	size_t n = strlen(name);
	return n > 5 && name[0] != '.' && !strcmp(name + n - 5, ".conf") && !strchr(name, '/');
}

bool vh_modprobe_copy_name(const char *name)
{
	static const char *const suffixes[] = { "~",        ".bak",    ".old",    ".orig",
						".save",    ".swp",    ".rej",    ".disabled",
						".rpmsave", ".rpmnew", ".distrib" };
	static const char *const infixes[] = { ".dpkg-", ".ucf-", ".conf." };
	size_t n = strlen(name);
	if (name[0] == '.' || name[0] == '#')
		return true; /* dotfiles (libkmod skips them), editors' #autosave# */
	for (size_t i = 0; i < VH_ARRAY_SIZE(suffixes); i++) {
		size_t k = strlen(suffixes[i]);
		if (n > k && !strcmp(name + n - k, suffixes[i]))
			return true;
	}
	for (size_t i = 0; i < VH_ARRAY_SIZE(infixes); i++)
		if (strstr(name, infixes[i]))
			return true;
	return false;
}

/* ---- the set ---- */

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
	if (conf_find(s, key) || s->n >= MAX_CONF_FILES || strlen(key) >= sizeof(s->f->key)) {
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

/* ---- paths inside the image ---- */

/* A path inside the image in one spelling: no "./" or "/" in front, "."
 * and ".." resolved, and usr/lib as lib (mkinitramfs builds a merged /usr:
 * lib is a link to usr/lib). False when it does not fit. */
static bool image_norm(const char *path, char *out, size_t size)
{
	size_t used = 0;
	out[0] = '\0';
	for (const char *p = path; *p;) {
		p += strspn(p, "/");
		size_t n = strcspn(p, "/");
		if (!n)
			break;
		if (n == 1 && p[0] == '.') {
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			char *slash = strrchr(out, '/');
			used = slash ? (size_t)(slash - out) : 0;
			out[used] = '\0';
		} else {
			if (used + (used > 0) + n >= size)
				return false;
			if (used)
				out[used++] = '/';
			memcpy(out + used, p, n);
			used += n;
			out[used] = '\0';
		}
		p += n;
	}
	if (!strncmp(out, "usr/lib/", 8))
		memmove(out, out + 4, strlen(out + 4) + 1);
	return out[0] != '\0';
}

/* "etc/modprobe.d/x.conf" (normalised) -> true with key; false for any path
 * that is not a *.conf mkinitramfs copies, directly in one of the directories. */
static bool conf_key(const char *norm, char *key, size_t size)
{
	const char *name;
	if (!strncmp(norm, "etc/modprobe.d/", 15) || !strncmp(norm, "lib/modprobe.d/", 15))
		name = norm + 15;
	else
		return false;
	return vh_modprobe_conf_name(name) && vh_strlcpy(key, norm, size) < size;
}

/* A symlink's target as a normalised image path: relative to the link's directory. */
static bool link_target(const char *norm, const char *target, char *out, size_t size)
{
	char joined[PATH_MAX];
	const char *slash = strrchr(norm, '/');
	int dir = slash ? (int)(slash - norm) : 0;
	if (target[0] == '/')
		return image_norm(target, out, size);
	return vh_format(joined, sizeof(joined), "%.*s/%s", dir, norm, target) >= 0 &&
	       image_norm(joined, out, size);
}

/* ---- one pass over the image ---- */

/* What a pass keeps: the modprobe.d files, the symlinks among them and
 * along their chains (data: the normalised target), and the content of the
 * paths those links lead to. */
struct scan {
	struct vh_conf_set confs, links, files;
	const struct vh_conf_set *wanted; /* a second pass: only these paths */
	size_t kept;
	la_int64_t budget; /* decompressed bytes this pass may still read */
};

static void scan_free(struct scan *s)
{
	vh_conf_set_free(&s->confs);
	vh_conf_set_free(&s->links);
	vh_conf_set_free(&s->files);
}

/* A path some recorded link leads to, or one a second pass looks for. */
static bool scan_wants(const struct scan *s, const char *norm)
{
	if (s->wanted)
		return conf_find(s->wanted, norm) != NULL;
	for (size_t i = 0; i < s->links.n; i++)
		if (!strcmp(s->links.f[i].data, norm))
			return true;
	return false;
}

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

static int too_large(struct vh_err *err, const char *what, unsigned long long limit)
{
	return vh_failc(err, EFBIG, "%s more than %llu %s", what,
			limit >= (1u << 20) ? limit >> 20 : limit >> 10,
			limit >= (1u << 20) ? "MiB" : "KiB");
}

/* The content of a regular entry, within the per-file and total budgets. */
static int entry_content(struct archive *a, struct archive_entry *e, const char *norm,
			 struct scan *s, char **data, size_t *len, struct vh_err *err)
{
	la_int64_t size = archive_entry_size(e);
	if (size < 0 || size > MAX_CONF_BYTES) {
		char what[PATH_MAX + 8];
		if (vh_format(what, sizeof(what), "%s holds", norm) < 0)
			vh_strlcpy(what, "a modprobe.d file holds", sizeof(what));
		return too_large(err, what, MAX_CONF_BYTES);
	}
	if (s->kept + (size_t)size > MAX_KEPT_BYTES)
		return too_large(err, "its modprobe.d files hold", MAX_KEPT_BYTES);
	*data = malloc((size_t)size + 1);
	if (!*data)
		return vh_failc(err, ENOMEM, "out of memory");
	la_ssize_t got = archive_read_data(a, *data, (size_t)size);
	if (got != size) {
		free(*data);
		return vh_failc(err, EIO, "corrupt: %s ends inside its data", norm);
	}
	(*data)[size] = '\0';
	*len = (size_t)size;
	s->kept += (size_t)size;
	return 0;
}

/* Keeps what the pass wants of one entry. */
static int scan_entry(struct archive *a, struct archive_entry *e, struct scan *s,
		      struct vh_err *err)
{
	char norm[PATH_MAX], key[sizeof(((struct vh_conf_file *)0)->key)];
	const char *path = archive_entry_pathname(e);
	unsigned type = archive_entry_filetype(e);
	if (!path || !image_norm(path, norm, sizeof(norm)) ||
	    (type != AE_IFREG && type != AE_IFLNK))
		return 0;
	bool conf = !s->wanted && conf_key(norm, key, sizeof(key));
	if (!conf && !scan_wants(s, norm))
		return 0;
	if (type == AE_IFLNK) {
		char target[PATH_MAX], *dup;
		const char *t = archive_entry_symlink(e);
		if (!t || !link_target(norm, t, target, sizeof(target)) ||
		    s->links.n >= MAX_CONF_FILES)
			return 0; /* a link that leads nowhere: modprobe cannot open it either */
		if (!(dup = strdup(target)))
			return vh_failc(err, ENOMEM, "out of memory");
		return conf_add(&s->links, norm, dup, strlen(dup)) < 0
			       ? vh_failc(err, ENOMEM, "out of memory")
			       : 0;
	}
	char *data = NULL;
	size_t len = 0;
	if (entry_content(a, e, norm, s, &data, &len, err) < 0)
		return -1;
	if (conf_add(conf ? &s->confs : &s->files, conf ? key : norm, data, len) < 0)
		return vh_failc(err, ENOMEM, "out of memory");
	return 0;
}

/* The decompressors libarchive runs in this process. A filter libarchive
 * was built without (lzop, lrzip, grzip; lz4 or zstd on some builds) would
 * exec an external program found in PATH: inside pre-start, never. Each is
 * asked on a throwaway handle first: ARCHIVE_WARN means "external program". */
static int (*const filters[])(struct archive *) = {
	archive_read_support_filter_gzip, archive_read_support_filter_xz,
	archive_read_support_filter_zstd, archive_read_support_filter_bzip2,
	archive_read_support_filter_lz4,  archive_read_support_filter_lzma,
};

static bool filter_in_process(int (*fn)(struct archive *))
{
	struct archive *t = archive_read_new();
	bool ok = t && fn(t) == ARCHIVE_OK;
	archive_read_free(t);
	return ok;
}

static void support_filters(struct archive *a)
{
	for (size_t i = 0; i < VH_ARRAY_SIZE(filters); i++)
		if (filter_in_process(filters[i]))
			filters[i](a);
}

/* No filter of an open archive is the external-program one. */
static bool filters_in_process(struct archive *a)
{
	for (int i = 0; i < archive_filter_count(a); i++)
		if (archive_filter_code(a, i) == ARCHIVE_FILTER_PROGRAM)
			return false;
	return true;
}

/* The compression an archive nothing here could read starts with, when it
 * is one only an external program would decompress (lzop, lrzip, grzip
 * always on Debian's libarchive; lz4 or zstd where it was built without). */
static const char *external_compression(int fd, off_t off)
{
	static const struct {
		const char *magic;
		size_t len;
		const char *name;
		int (*fn)(struct archive *); /* NULL: never in this process */
	} known[] = {
		{ "\x89LZO\0\r\n\x1a\n", 9, "lzop", NULL },
		{ "LRZI", 4, "lrzip", NULL },
		{ "GRZipII", 7, "grzip", NULL },
		{ "\x04\x22\x4d\x18", 4, "lz4", archive_read_support_filter_lz4 },
		{ "\x02\x21\x4c\x18", 4, "lz4", archive_read_support_filter_lz4 },
		{ "\x28\xb5\x2f\xfd", 4, "zstd", archive_read_support_filter_zstd },
	};
	unsigned char head[16];
	ssize_t n = pread(fd, head, sizeof(head), off);
	for (size_t i = 0; n > 0 && i < VH_ARRAY_SIZE(known); i++)
		if ((size_t)n >= known[i].len && !memcmp(head, known[i].magic, known[i].len) &&
		    (!known[i].fn || !filter_in_process(known[i].fn)))
			return known[i].name;
	return NULL;
}

/* Reads the archive that starts at off; *compressed tells whether a
 * decompressor ran, *last_header where the last entry began (from off). */
static int read_archive(int fd, off_t off, struct scan *s, bool *compressed,
			la_int64_t *last_header, struct vh_err *err)
{
	struct image_reader *r = malloc(sizeof(*r));
	struct archive *a = archive_read_new();
	if (!r || !a) {
		free(r);
		archive_read_free(a);
		return vh_failc(err, ENOMEM, "out of memory");
	}
	r->fd = fd;
	r->pos = off;
	support_filters(a);
	archive_read_support_format_cpio(a);
	int rc = archive_read_open(a, r, NULL, image_read, NULL) == ARCHIVE_OK ? 0 : -1;
	struct archive_entry *e;
	*last_header = -1;
	int got = ARCHIVE_FATAL;
	bool failed = false;
	if (rc == 0 && !filters_in_process(a)) {
		rc = vh_failc(err, ENOEXEC, "archive at byte %lld would need an external program",
			      (long long)off);
		failed = true;
	}
	while (rc == 0 && (got = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		*last_header = archive_read_header_position(a);
		la_int64_t size = archive_entry_size(e);
		/* what skipping this entry will decompress counts before it is done */
		if (archive_filter_bytes(a, 0) + (size > 0 ? size : 0) - s->budget > 0) {
			rc = too_large(err, "it unpacks to", MAX_IMAGE_BYTES);
			failed = true;
		} else if (scan_entry(a, e, s, err) < 0) {
			rc = -1;
			failed = true;
		}
	}
	*compressed = archive_filter_count(a) > 1 &&
		      archive_filter_code(a, 0) != ARCHIVE_FILTER_NONE;
	if (!failed && got != ARCHIVE_EOF) {
		const char *c = *last_header < 0 ? external_compression(fd, off) : NULL;
		const char *why = archive_error_string(a);
		if (c)
			rc = vh_failc(
				err, ENOEXEC,
				"compressed with %s at byte %lld, which this libarchive "
				"decompresses only through an external program (never run here)",
				c, (long long)off);
		else
			rc = vh_failc(err, EIO, "corrupt or not a cpio archive at byte %lld (%s)",
				      (long long)off, why ? why : "no cpio header");
	}
	s->budget -= archive_filter_bytes(a, 0);
	archive_read_free(a);
	free(r);
	return rc;
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

/* One pass over every archive of the image. */
static int scan_image(int fd, off_t size, struct scan *s, struct vh_err *err)
{
	off_t off = 0;
	s->budget = MAX_IMAGE_BYTES;
	for (int n = 0; n < MAX_ARCHIVES; n++) {
		off = skip_zeros(fd, off, size);
		if (off >= size)
			break;
		bool compressed = false;
		la_int64_t last = 0;
		if (read_archive(fd, off, s, &compressed, &last, err) < 0)
			return -1;
		if (compressed)
			break; /* the compressed archive is the last one mkinitramfs writes */
		off_t end = trailer_end(fd, off, off + (last > 0 ? last + 110 : 0), size);
		if (end < 0)
			return vh_failc(err, EIO,
					"corrupt: an uncompressed archive without its "
					"TRAILER!!!");
		off = end;
	}
	return 0;
}

/* Where a chain of links from path ends: the file's content, or NULL
 * (dangling, or its target not seen yet: *missing names it). */
static const struct vh_conf_file *follow(const struct scan *s, const char *path,
					 const char **missing)
{
	*missing = NULL;
	for (int hop = 0; hop <= MAX_LINK_HOPS; hop++) {
		const struct vh_conf_file *f = conf_find(&s->files, path);
		if (!f)
			f = conf_find(&s->confs, path);
		if (f)
			return f;
		const struct vh_conf_file *l = conf_find(&s->links, path);
		if (!l) {
			*missing = path;
			return NULL;
		}
		path = l->data;
	}
	return NULL;
}

/* A copy of f's content under key, within the bound on what is handed out
 * (links may all lead to one file: each copy counts). */
static int out_add(struct vh_conf_set *out, const char *key, const struct vh_conf_file *f,
		   size_t *total, struct vh_err *err)
{
	if (conf_find(out, key))
		return 0;
	if (*total + f->len > MAX_KEPT_BYTES)
		return too_large(err, "its modprobe.d files hold", MAX_KEPT_BYTES);
	char *d = malloc(f->len + 1);
	if (!d || (memcpy(d, f->data, f->len + 1), conf_add(out, key, d, f->len) < 0))
		return vh_failc(err, ENOMEM, "out of memory");
	*total += f->len;
	return 0;
}

/* The modprobe.d files into out, each link as the content it leads to
 * (mkinitramfs copies a symlinked *.conf as a link to its target's copy,
 * e.g. Debian's NVIDIA packages' /etc/modprobe.d/nvidia.conf ->
 * /etc/alternatives/...). The paths still missing go to *missing (NULL:
 * the last pass, a link that leads nowhere is no file, as for modprobe). */
static int resolve_links(struct scan *s, struct vh_conf_set *out, struct vh_conf_set *missing,
			 struct vh_err *err)
{
	size_t total = 0;
	for (size_t i = 0; i < s->confs.n; i++)
		if (out_add(out, s->confs.f[i].key, &s->confs.f[i], &total, err) < 0)
			return -1;
	for (size_t i = 0; i < s->links.n; i++) {
		char key[sizeof(s->links.f[i].key)];
		if (!conf_key(s->links.f[i].key, key, sizeof(key)))
			continue; /* a link along a chain, not a modprobe.d file */
		const char *miss;
		const struct vh_conf_file *f = follow(s, key, &miss);
		if (f && out_add(out, key, f, &total, err) < 0)
			return -1;
		if (!f && miss && missing) {
			char *d = strdup(miss);
			if (!d || conf_add(missing, miss, d, strlen(d)) < 0)
				return vh_failc(err, ENOMEM, "out of memory");
		}
	}
	return 0;
}

int vh_initramfs_read(const char *path, struct vh_conf_set *out, struct vh_err *err)
{
	int fd = vh_open_regular(path);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return vh_failc(err, e, "%s: %s", path, strerror(e));
	}
	struct scan s = { 0 };
	struct vh_conf_set missing = { 0 };
	struct vh_err e = { 0 };
	int rc = scan_image(fd, st.st_size, &s, &e);
	if (rc == 0)
		rc = resolve_links(&s, out, &missing, &e);
	if (rc == 0 && missing.n) {
		/* a link's target came before the link: one more pass for those */
		vh_conf_set_free(out);
		s.wanted = &missing;
		rc = scan_image(fd, st.st_size, &s, &e);
		if (rc == 0)
			rc = resolve_links(&s, out, NULL, &e);
	}
	if (rc < 0) {
		vh_conf_set_free(out);
		vh_failc(err, e.code, "%s: %s", path,
			 e.msg); /* never format err->msg into itself */
	}
	vh_conf_set_free(&missing);
	scan_free(&s);
	close(fd);
	return rc;
}

/* ---- the disk ---- */

int vh_modprobe_file_read(struct vh_host *h, const char *abs, char **data, size_t *len)
{
	char real[PATH_MAX], path[PATH_MAX];
	if (vh_host_resolve(h, abs, real, sizeof(real)) < 0 ||
	    vh_host_path(h, path, sizeof(path), "%s", real) < 0)
		return -1;
	return vh_slurp(path, MAX_CONF_BYTES, data, len);
}

/* The three directories modprobe reads, in the order a key's first content
 * wins (lib before usr/lib), and the key prefix each gives. */
static const char *const conf_dirs[][2] = {
	{ "/etc/modprobe.d", "etc/modprobe.d" },
	{ "/lib/modprobe.d", "lib/modprobe.d" },
	{ "/usr/lib/modprobe.d", "lib/modprobe.d" },
};

/* Calls fn for each *.conf of the three directories (the names mkinitramfs'
 * glob and libkmod take, the same test as for the image's), with its host
 * path ("/etc/modprobe.d/x.conf") and key. */
static int each_disk_conf(struct vh_host *h,
			  int (*fn)(struct vh_host *, void *, const char *, const char *),
			  void *ctx)
{
	for (size_t i = 0; i < VH_ARRAY_SIZE(conf_dirs); i++) {
		char dir[PATH_MAX];
		if (vh_host_path(h, dir, sizeof(dir), "%s", conf_dirs[i][0]) < 0)
			return -1;
		DIR *d = opendir(dir);
		for (struct dirent *e; d && (e = readdir(d));) {
			char key[VH_CONF_KEY_MAX], abs[PATH_MAX];
			if (!vh_modprobe_conf_name(e->d_name) ||
			    vh_format(key, sizeof(key), "%s/%s", conf_dirs[i][1], e->d_name) < 0 ||
			    vh_format(abs, sizeof(abs), "%s/%s", conf_dirs[i][0], e->d_name) < 0)
				continue;
			if (fn(h, ctx, abs, key) < 0) {
				closedir(d);
				return -1;
			}
		}
		if (d)
			closedir(d);
	}
	return 0;
}

static int add_disk_conf(struct vh_host *h, void *ctx, const char *abs, const char *key)
{
	char *data;
	size_t len;
	/* vanished, dangling, not a regular file: modprobe would not read it
	 * and mkinitramfs would not copy it ([ -f ] in copy_file) */
	if (vh_modprobe_file_read(h, abs, &data, &len) < 0)
		return 0;
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
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		k->hash = (k->hash ^ b[i]) * 1099511628211ull; /* FNV-1a */
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

/* The file and, for a link, the file it leads to: editing the target of
 * Debian's nvidia.conf link changes no stat of the link itself. */
static int hash_disk_conf(struct vh_host *h, void *ctx, const char *abs, const char *key)
{
	(void)key;
	char path[PATH_MAX], real[PATH_MAX];
	if (vh_host_path(h, path, sizeof(path), "%s", abs) == 0)
		hash_stat(ctx, path);
	if (vh_host_resolve(h, abs, real, sizeof(real)) == 0 && strcmp(real, abs) &&
	    vh_host_path(h, path, sizeof(path), "%s", real) == 0)
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
	struct vh_err e = { 0 };
	vh_strlcpy(out->kver, kver, sizeof(out->kver));
	if (image_path(h, kver, path, sizeof(path)) < 0) {
		out->verdict = VH_INITRAMFS_UNREADABLE;
		snprintf(out->detail, sizeof(out->detail), "/boot/initrd.img-%s: path too long",
			 kver);
	} else if (vh_initramfs_read(path, &image, &e) < 0) {
		/* the reader's own words: missing, corrupt (where), too large, or a
		 * compression only an external program reads; never errno's leftovers */
		out->verdict = VH_INITRAMFS_UNREADABLE;
		if (vh_format(out->detail, sizeof(out->detail), "%s%s",
			      e.code == EFBIG ? "" : "cannot be read: ", e.msg) < 0)
			vh_strlcpy(out->detail, e.msg, sizeof(out->detail));
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
