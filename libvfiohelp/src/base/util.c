/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small, strict helpers: errors, string grammar, bounded file reads. */
#include "internal.h"
#include "base/array.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail_v(struct vh_err *err, int code, const char *fmt, va_list ap) VH_PRINTF(3, 0);
static int fail_v(struct vh_err *err, int code, const char *fmt, va_list ap)
{
	int saved = errno;
	if (err) {
		err->code = code ? code : EIO;
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	}
	errno = saved;
	return -1;
}

int vh_fail(struct vh_err *err, const char *fmt, ...)
{
	int code = errno;
	va_list ap;
	va_start(ap, fmt);
	fail_v(err, code, fmt, ap);
	va_end(ap);
	return -1;
}

int vh_failc(struct vh_err *err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fail_v(err, code, fmt, ap);
	va_end(ap);
	return -1;
}

size_t vh_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);
	if (size) {
		size_t n = len < size - 1 ? len : size - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

int vh_format(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return (n < 0 || (size_t)n >= size) ? -1 : n;
}

uint64_t vh_fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

char *vh_strip(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

int vh_parse_uint(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	if (len == 0 || len > 20)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int vh_parse_hex(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	if (len == 0 || len > 16)
		return -1;
	for (size_t i = 0; i < len; i++) {
		int c = tolower((unsigned char)s[i]);
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else
			return -1;
		if (v > (max - d) / 16)
			return -1;
		v = v * 16 + d;
	}
	*out = v;
	return 0;
}

bool vh_is_safe_component(const char *s)
{
	if (!*s || strcmp(s, ".") == 0 || strcmp(s, "..") == 0 || strlen(s) > 255)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.:+-", *s))
			return false;
	return true;
}

/* A VMID is a base value: every layer names VMs by it. */
int vh_vmid_parse(const char *s, unsigned *out)
{
	uint64_t v;
	/* pve-vmid: [1-9][0-9]{2,8} */
	size_t len = strlen(s);
	if (len < 3 || len > 9 || s[0] == '0' || vh_parse_uint(s, len, 999999999, &v) < 0)
		return -1;
	*out = (unsigned)v;
	return 0;
}

int vh_vmid_file(const char *name, const char *suffix, unsigned *vmid)
{
	char id[16];
	size_t len = strlen(name), slen = strlen(suffix);
	if (len <= slen || len - slen >= sizeof(id) || strcmp(name + len - slen, suffix))
		return -1;
	memcpy(id, name, len - slen);
	id[len - slen] = '\0';
	return vh_vmid_parse(id, vmid);
}

bool vh_is_safe_relpath(const char *s)
{
	char part[256];
	bool any = false;
	while (*s) {
		size_t n = strcspn(s, "/");
		if (n >= sizeof(part))
			return false;
		if (n) {
			memcpy(part, s, n);
			part[n] = '\0';
			if (!vh_is_safe_component(part))
				return false;
			any = true;
		}
		s += n + (s[n] == '/');
	}
	return any;
}

int vh_open_regular(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

/* Reads until `room` bytes or end of file; -1 with errno on a read error. */
static ssize_t read_full(int fd, char *buf, size_t room)
{
	size_t got = 0;
	while (got < room) {
		ssize_t n = read(fd, buf + got, room - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* close() that keeps the errno of the failure being reported. */
static void close_keep_errno(int fd)
{
	int e = errno;
	close(fd);
	errno = e;
}

ssize_t vh_read_file(const char *path, char *buf, size_t size)
{
	int fd = vh_open_regular(path);
	if (fd < 0)
		return -1;
	ssize_t got = read_full(fd, buf, size - 1);
	close_keep_errno(fd);
	if (got < 0)
		return -1;
	buf[got] = '\0';
	return got;
}

int vh_read_attr(const char *path, char *buf, size_t size)
{
	/* Straight into the caller's buffer: its size, not one fixed here,
	 * bounds what is seen (/proc/cmdline holds 2048 bytes on x86). */
	if (vh_read_file(path, buf, size) < 0)
		return -1;
	char *s = vh_strip(buf);
	memmove(buf, s, strlen(s) + 1);
	return 0;
}

char *vh_text_dup(const char *text, size_t len)
{
	if (memchr(text, '\0', len)) {
		errno = EINVAL;
		return NULL;
	}
	char *copy = strndup(text, len);
	if (!copy)
		errno = ENOMEM;
	return copy;
}

int vh_slurp(const char *path, size_t max, char **out, size_t *len)
{
	int fd = vh_open_regular(path);
	if (fd < 0)
		return -1;
	size_t cap = 0, got = 0;
	char *buf = NULL;
	for (;;) {
		if ((!buf || got + 1 >= cap) && vh_array_reserve(&buf, &cap, got + 2, 1, 4096) < 0)
			break;
		ssize_t n = read_full(fd, buf + got, cap - 1 - got);
		if (n < 0)
			break;
		got += (size_t)n;
		if (got > max) {
			errno = EFBIG;
			break;
		}
		if (got + 1 < cap) { /* short read: end of file */
			close(fd);
			buf[got] = '\0';
			*out = buf;
			if (len)
				*len = got;
			return 0;
		}
	}
	close_keep_errno(fd);
	free(buf);
	return -1;
}

int vh_link_basename(const char *path, char *buf, size_t size)
{
	char target[4096];
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -1;
	target[n] = '\0';
	const char *slash = strrchr(target, '/');
	if (vh_strlcpy(buf, slash ? slash + 1 : target, size) >= size) {
		buf[0] = '\0';
		errno = ENAMETOOLONG; /* a cut driver name would name another driver */
		return -1;
	}
	return 0;
}

bool vh_path_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

void vh_sanitize(char *s)
{
	for (unsigned char *p = (unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = '?';
}

int vh_write_atomic_at(int dirfd, const char *dir, const char *name, const char *text,
		       struct vh_err *err)
{
	char tmp[256];
	if (vh_format(tmp, sizeof(tmp), "%s.new", name) < 0)
		return vh_failc(err, ENAMETOOLONG, "%s/%s: name too long", dir, name);
	size_t len = strlen(text);
	unlinkat(dirfd, tmp, 0);
	int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	int rc = 0;
	if (fd < 0 || write(fd, text, len) != (ssize_t)len || fsync(fd) < 0)
		rc = vh_fail(err, "%s/%s: %s", dir, tmp, strerror(errno));
	if (fd >= 0)
		close(fd);
	if (!rc && renameat(dirfd, tmp, dirfd, name) < 0)
		rc = vh_fail(err, "%s/%s: %s", dir, name, strerror(errno));
	return rc;
}

/* ---- atomic writes: a temporary beside the file, fsync, rename ---- */

int vh_fsync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	vh_strlcpy(dir, path, sizeof(dir));
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	int fd = open(slash && dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

static int write_all(int fd, const void *data, size_t len)
{
	for (size_t done = 0; done < len;) {
		ssize_t n = write(fd, (const char *)data + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

/* Closes fd (a temporary beside path, holding the new bytes), then renames
 * it over path; on any failure the temporary goes and path is untouched. */
static int commit_tmp(int fd, bool ok, const char *tmp, const char *path, struct vh_err *err)
{
	int e = errno;
	ok = ok && fsync(fd) == 0;
	e = ok ? e : errno;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, path) < 0) {
		e = ok ? errno : e;
		unlink(tmp);
		return vh_failc(err, e, "cannot write %s: %s", path, strerror(e));
	}
	vh_fsync_dir_of(path);
	return 0;
}

static int open_tmp(const char *path, char *tmp, size_t size, mode_t mode, struct vh_err *err)
{
	if (vh_format(tmp, size, "%s.vfiohelp-new", path) < 0)
		return vh_fail(err, "%s: path too long", path);
	unlink(tmp);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 0777);
	if (fd < 0)
		return vh_fail(err, "cannot write %s: %s", path, strerror(errno));
	if (fchmod(fd, mode & 0777) < 0) {
		close(fd);
		unlink(tmp);
		return vh_fail(err, "cannot write %s: %s", path, strerror(errno));
	}
	return fd;
}

int vh_write_atomic(const char *path, const void *data, size_t len, mode_t mode, struct vh_err *err)
{
	char tmp[PATH_MAX + 16];
	int fd = open_tmp(path, tmp, sizeof(tmp), mode, err);
	if (fd < 0)
		return -1;
	return commit_tmp(fd, write_all(fd, data, len) == 0, tmp, path, err);
}

int vh_copy_atomic(const char *src, const char *dst, struct vh_err *err)
{
	int in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	if (in < 0 || fstat(in, &st) < 0 || !S_ISREG(st.st_mode)) {
		int e = in < 0 ? errno : EINVAL;
		if (in >= 0)
			close(in);
		return vh_failc(err, e, "cannot read %s: %s", src, strerror(e));
	}
	char tmp[PATH_MAX + 16], buf[1 << 16];
	int fd = open_tmp(dst, tmp, sizeof(tmp), st.st_mode, err);
	bool ok = fd >= 0;
	for (ssize_t n; ok && (n = read(in, buf, sizeof(buf))) != 0;)
		ok = n > 0 ? write_all(fd, buf, (size_t)n) == 0 : errno == EINTR;
	close(in);
	return fd < 0 ? -1 : commit_tmp(fd, ok, tmp, dst, err);
}
