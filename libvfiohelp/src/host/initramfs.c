/*
 * initramfs images against the disk (initramfs.h), read as the kernel's
 * init/initramfs.c does: newc archives one after another (an uncompressed
 * early-microcode one, zero padding, the compressed main one). libarchive
 * only decompresses, with the filters it runs in this process; the newc
 * headers are parsed here, each bounded before it is read. What is kept is
 * what mkinitramfs copied of modprobe.d (copy_file: a symlinked *.conf
 * becomes a link to its target's copy, which is followed).
 */
#include "internal.h"
#include "base/array.h"
#include "host/host.h"
#include "host/bootloader.h"
#include "host/initramfs.h"

#include <archive.h>
#include <archive_entry.h>
#include <lzma.h>
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
 * Proxmox's images unpack to a few hundred MiB. It also bounds the memory
 * of the decompressor's window, which grows with what it has put out (an xz
 * stream may ask for a 1.5 GiB dictionary: up to this much is touched). */
#define MAX_IMAGE_BYTES ((la_int64_t)512 << 20)
/* What liblzma may take to decode an .xz or .lzma image: xz -9 needs 65
 * MiB. libarchive's own xz filter sets no limit (a 1.5 GiB dictionary would
 * be allocated and filled), so those two are decoded here. zstd keeps its
 * default 128 MiB window limit, gzip, bzip2 and lz4 need a few MiB. */
#define XZ_MEMLIMIT ((uint64_t)96 << 20)
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
	la_int64_t budget; /* decompressed bytes this pass may still pull */
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

/* ---- the byte stream: libarchive decompresses, nothing more ---- */

/* libarchive only undoes the compression (its "raw" format hands out the
 * decompressed stream); the newc headers are read here, so a header that
 * claims a 4 GiB name or file makes nobody buffer it: every byte is counted
 * against the budget as it is pulled. */
struct stream {
	struct archive *a;
	int fd;
	off_t raw_pos;      /* where the image read callback goes on */
	la_int64_t pos;     /* bytes of this archive consumed */
	la_int64_t *budget; /* decompressed bytes the pass may still pull */
	const char *data;   /* what archive_read_data last gave, unconsumed */
	lzma_stream *xz;    /* an .xz or .lzma archive: liblzma instead of libarchive */
	bool raw_eof;
	size_t avail;
	char raw[65536], out[65536];
};

static la_ssize_t image_read(struct archive *a, void *data, const void **out)
{
	(void)a;
	struct stream *st = data;
	ssize_t n = pread(st->fd, st->raw, sizeof(st->raw), st->raw_pos);
	if (n < 0)
		return -1;
	st->raw_pos += n;
	*out = st->raw;
	return n;
}

static int too_large(struct vh_err *err, const char *what, unsigned long long limit)
{
	return vh_failc(err, EFBIG, "%s more than %llu %s", what,
			limit >= (1u << 20) ? limit >> 20 : limit >> 10,
			limit >= (1u << 20) ? "MiB" : "KiB");
}

/* Up to sizeof(st->out) bytes decoded by liblzma into st->out; 0 at the
 * end of the stream. */
static la_ssize_t xz_read(struct stream *st, struct vh_err *err)
{
	lzma_stream *z = st->xz;
	z->next_out = (uint8_t *)st->out;
	z->avail_out = sizeof(st->out);
	while (z->avail_out == sizeof(st->out)) {
		if (!z->avail_in && !st->raw_eof) {
			ssize_t n = pread(st->fd, st->raw, sizeof(st->raw), st->raw_pos);
			if (n < 0)
				return vh_failc(err, errno, "read error: %s", strerror(errno));
			st->raw_pos += n;
			st->raw_eof = n == 0;
			z->next_in = (const uint8_t *)st->raw;
			z->avail_in = (size_t)n;
		}
		lzma_ret r = lzma_code(z, st->raw_eof ? LZMA_FINISH : LZMA_RUN);
		if (r == LZMA_STREAM_END)
			break;
		if (r == LZMA_MEMLIMIT_ERROR)
			return vh_failc(err, EFBIG,
					"its xz/lzma stream needs more than %llu MiB of memory to "
					"unpack (a dictionary no update-initramfs writes)",
					(unsigned long long)(XZ_MEMLIMIT >> 20));
		if (r != LZMA_OK)
			return vh_failc(err, EIO, "corrupt xz/lzma stream (liblzma error %d)",
					(int)r);
	}
	return (la_ssize_t)(sizeof(st->out) - z->avail_out);
}

/* n bytes of the stream into dst (NULL: skipped); 1 at a clean end of the
 * stream before any of them, -1 with err when cut short, corrupt or over
 * the budget. */
static int pull(struct stream *st, char *dst, size_t n, struct vh_err *err)
{
	for (size_t got = 0; got < n;) {
		if (!st->avail) {
			if (*st->budget <= 0)
				return too_large(err, "it unpacks to", MAX_IMAGE_BYTES);
			la_ssize_t r = st->xz ? xz_read(st, err)
					      : archive_read_data(st->a, st->out, sizeof(st->out));
			if (r < 0 && st->xz)
				return -1;
			if (r < 0)
				return vh_failc(err, EIO,
						"corrupt at byte %lld of the archive (%s)",
						(long long)st->pos,
						archive_error_string(st->a)
							? archive_error_string(st->a)
							: "read error");
			if (r == 0)
				return got == 0 ? 1
						: vh_failc(err, EIO,
							   "corrupt: cut short at byte %lld",
							   (long long)st->pos);
			*st->budget -= r;
			st->data = st->out;
			st->avail = (size_t)r;
		}
		size_t k = n - got < st->avail ? n - got : st->avail;
		if (dst)
			memcpy(dst + got, st->data, k);
		st->data += k;
		st->avail -= k;
		st->pos += (la_int64_t)k;
		got += k;
	}
	return 0;
}

/* ---- newc, as the kernel's init/initramfs.c reads it ---- */

struct newc {
	unsigned mode;
	uint64_t size;
	char name[PATH_MAX];
};

static bool hex8(const char *p, uint64_t *v)
{
	return vh_parse_hex(p, 8, UINT32_MAX, v) == 0;
}

/* The next header and its name; 1 at TRAILER!!!, -1 with err. The name is
 * bounded before a byte of it is read. */
static int newc_header(struct stream *st, struct newc *h, struct vh_err *err)
{
	char head[110];
	uint64_t mode, size, namesize;
	la_int64_t at = st->pos;
	int r = pull(st, head, sizeof(head), err);
	if (r > 0)
		return vh_failc(err, EIO, "corrupt: no TRAILER!!! before the end");
	if (r < 0 && err && err->code == EIO) /* not EFBIG: the budget says so itself */
		return vh_failc(err, EIO, "corrupt or not a cpio archive at byte %lld (cut short)",
				(long long)at);
	if (r < 0)
		return -1;
	if ((memcmp(head, "070701", 6) && memcmp(head, "070702", 6)) || !hex8(head + 14, &mode) ||
	    !hex8(head + 54, &size) || !hex8(head + 94, &namesize))
		return vh_failc(err, EIO, "corrupt or not a cpio archive at byte %lld",
				(long long)at);
	if (namesize < 2 || namesize > sizeof(h->name))
		return vh_failc(err, EIO, "corrupt: a name of %llu bytes at byte %lld",
				(unsigned long long)namesize, (long long)at);
	if (pull(st, h->name, (size_t)namesize, err) < 0 ||
	    pull(st, NULL, (size_t)((4 - st->pos % 4) % 4), err) < 0)
		return -1;
	h->name[namesize - 1] = '\0';
	h->mode = (unsigned)mode;
	h->size = size;
	return strcmp(h->name, "TRAILER!!!") ? 0 : 1;
}

/* Keeps what the pass wants of one entry, or skips its data; then its padding. */
static int scan_entry(struct stream *st, const struct newc *h, struct scan *s, struct vh_err *err)
{
	char norm[PATH_MAX], key[VH_CONF_KEY_MAX];
	unsigned type = h->mode & 0170000;
	bool wanted = false, conf = false;
	if ((type == 0100000 || type == 0120000) && image_norm(h->name, norm, sizeof(norm))) {
		conf = !s->wanted && conf_key(norm, key, sizeof(key));
		wanted = conf || scan_wants(s, norm);
	}
	/* an entry longer than what may still be unpacked is refused before a
	 * byte of it is decompressed */
	if (h->size > (uint64_t)(s->budget > 0 ? s->budget : 0) + st->avail)
		return too_large(err, "it unpacks to", MAX_IMAGE_BYTES);
	if (!wanted)
		return pull(st, NULL, h->size, err) < 0 ||
				       pull(st, NULL, (4 - h->size % 4) % 4, err) < 0
			       ? -1
			       : 0;
	if (h->size > (type == 0120000 ? PATH_MAX - 1 : MAX_CONF_BYTES)) {
		char what[PATH_MAX + 8];
		if (vh_format(what, sizeof(what), "%s holds", norm) < 0)
			vh_strlcpy(what, "a modprobe.d file holds", sizeof(what));
		return too_large(err, what, MAX_CONF_BYTES);
	}
	if (type == 0100000 && s->kept + h->size > MAX_KEPT_BYTES)
		return too_large(err, "its modprobe.d files hold", MAX_KEPT_BYTES);
	char *data = malloc(h->size + 1);
	if (!data)
		return vh_failc(err, ENOMEM, "out of memory");
	if (pull(st, data, h->size, err) < 0 || pull(st, NULL, (4 - h->size % 4) % 4, err) < 0) {
		free(data);
		return -1;
	}
	data[h->size] = '\0';
	if (type == 0120000) {
		char target[PATH_MAX];
		bool ok = link_target(norm, data, target, sizeof(target)) &&
			  s->links.n < MAX_CONF_FILES;
		free(data);
		if (!ok)
			return 0; /* a link that leads nowhere: modprobe cannot open it either */
		if (!(data = strdup(target)) || conf_add(&s->links, norm, data, strlen(data)) < 0)
			return vh_failc(err, ENOMEM, "out of memory");
		return 0;
	}
	s->kept += h->size;
	if (conf_add(conf ? &s->confs : &s->files, conf ? key : norm, data, h->size) < 0)
		return vh_failc(err, ENOMEM, "out of memory");
	return 0;
}

/* The decompressors libarchive runs in this process. A filter libarchive
 * was built without (lzop, lrzip, grzip; lz4 or zstd on some builds) would
 * exec an external program found in PATH: inside pre-start, never. Each is
 * asked on a throwaway handle first: ARCHIVE_WARN means "external program". */
static int (*const filters[])(struct archive *) = {
	archive_read_support_filter_gzip,
	archive_read_support_filter_zstd,
	archive_read_support_filter_bzip2,
	archive_read_support_filter_lz4,
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

/* The compression an archive starts with when it is one only an external
 * program would decompress (lzop, lrzip, grzip always on Debian's
 * libarchive; lz4 or zstd where it was built without). */
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

/* 1: an .xz stream starts at off; 2: a legacy .lzma one (props 0x5D, as
 * every lzma encoder writes by default, and a dictionary size that is a
 * power of two or 3 * 2^n, as liblzma's own detection wants); 0: neither. */
static int lzma_kind(int fd, off_t off)
{
	unsigned char h[13];
	if (pread(fd, h, sizeof(h), off) != (ssize_t)sizeof(h))
		return 0;
	if (!memcmp(h,
		    "\xfd"
		    "7zXZ\0",
		    6))
		return 1;
	uint32_t d = (uint32_t)h[1] | (uint32_t)h[2] << 8 | (uint32_t)h[3] << 16 |
		     (uint32_t)h[4] << 24;
	bool pow2 = d && !(d & (d - 1));
	bool three = d % 3 == 0 && !((d / 3) & (d / 3 - 1));
	return h[0] == 0x5d && d >= 4096 && (pow2 || three) ? 2 : 0;
}

/* Reads the archive that starts at off; *compressed tells whether a
 * decompressor ran, *end where an uncompressed one ended. */
static int read_archive(int fd, off_t off, struct scan *s, bool *compressed, off_t *end,
			struct vh_err *err)
{
	const char *ext = external_compression(fd, off);
	if (ext)
		return vh_failc(err, ENOEXEC,
				"compressed with %s at byte %lld, which this libarchive "
				"decompresses only through an external program (never run here)",
				ext, (long long)off);
	struct stream *st = calloc(1, sizeof(*st));
	struct archive *a = archive_read_new();
	if (!st || !a) {
		free(st);
		archive_read_free(a);
		return vh_failc(err, ENOMEM, "out of memory");
	}
	st->a = a;
	st->fd = fd;
	st->raw_pos = off;
	st->budget = &s->budget;
	support_filters(a);
	archive_read_support_format_raw(a);
	struct archive_entry *e;
	lzma_stream z = LZMA_STREAM_INIT;
	int rc = 0, lz = lzma_kind(fd, off);
	if (lz) {
		st->xz = &z;
		*compressed = true;
		if ((lz == 1 ? lzma_stream_decoder(&z, XZ_MEMLIMIT, 0)
			     : lzma_alone_decoder(&z, XZ_MEMLIMIT)) != LZMA_OK)
			rc = vh_failc(err, ENOMEM, "out of memory");
	} else if (archive_read_open(a, st, NULL, image_read, NULL) != ARCHIVE_OK ||
		   archive_read_next_header(a, &e) != ARCHIVE_OK) {
		rc = vh_failc(err, EIO, "corrupt at byte %lld (%s)", (long long)off,
			      archive_error_string(a) ? archive_error_string(a) : "unreadable");
	} else if (!filters_in_process(a)) {
		rc = vh_failc(err, ENOEXEC, "archive at byte %lld would need an external program",
			      (long long)off);
	} else {
		*compressed = archive_filter_count(a) > 1 &&
			      archive_filter_code(a, 0) != ARCHIVE_FILTER_NONE;
	}
	struct newc *h = rc == 0 ? malloc(sizeof(*h)) : NULL;
	if (rc == 0 && !h)
		rc = vh_failc(err, ENOMEM, "out of memory");
	for (int r = 0; rc == 0 && r == 0;) {
		r = newc_header(st, h, err);
		if (r < 0 || (r == 0 && scan_entry(st, h, s, err) < 0))
			rc = -1;
	}
	/* the trailer's padding: the next archive starts 4-aligned */
	*end = off + (off_t)(st->pos + (4 - st->pos % 4) % 4);
	free(h);
	lzma_end(&z);
	archive_read_free(a);
	free(st);
	return rc;
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
		off_t end = size;
		if (read_archive(fd, off, s, &compressed, &end, err) < 0)
			return -1;
		if (compressed)
			break; /* the compressed archive is the last one mkinitramfs writes */
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
