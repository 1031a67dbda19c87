#include "testlib.h"

#include <archive.h>
#include <archive_entry.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *vh_test_host(const char *name)
{
	static char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", VH_TEST_HOSTS, name);
	struct stat st;
	if (stat(path, &st) < 0)
		fail_msg("host tree %s is missing", path);
	return path;
}

static void copy_file(const char *from, const char *to, mode_t mode)
{
	int in = open(from, O_RDONLY);
	int out = open(to, O_WRONLY | O_CREAT | O_TRUNC, mode & 0777);
	assert_true(in >= 0 && out >= 0);
	char buf[8192];
	ssize_t n;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)n), n);
	close(in);
	close(out);
}

static void copy_tree(const char *from, const char *to)
{
	DIR *d = opendir(from);
	assert_non_null(d);
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char src[PATH_MAX], dst[PATH_MAX];
		snprintf(src, sizeof(src), "%s/%s", from, e->d_name);
		snprintf(dst, sizeof(dst), "%s/%s", to, e->d_name);
		struct stat st;
		assert_int_equal(lstat(src, &st), 0);
		if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t n = readlink(src, target, sizeof(target) - 1);
			assert_true(n > 0);
			target[n] = '\0';
			assert_int_equal(symlink(target, dst), 0);
		} else if (S_ISDIR(st.st_mode)) {
			assert_int_equal(mkdir(dst, 0755), 0);
			copy_tree(src, dst);
		} else {
			copy_file(src, dst, st.st_mode);
		}
	}
	closedir(d);
}

char *vh_test_scratch_empty(void)
{
	char tmpl[] = "/tmp/vfiohelp-test-XXXXXX";
	char *dir = mkdtemp(tmpl);
	assert_non_null(dir);
	return strdup(dir);
}

char *vh_test_scratch_copy(const char *src)
{
	char *dir = vh_test_scratch_empty();
	copy_tree(src, dir);
	return dir;
}

static void remove_tree(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			char child[PATH_MAX];
			snprintf(child, sizeof(child), "%s/%s", path, e->d_name);
			remove_tree(child);
		}
		if (d)
			closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

const char *vh_test_ipxe_rom(const char *name)
{
	/* Debian 12's ipxe-qemu: /usr/lib/ipxe/qemu; Debian 13's: /usr/share/qemu */
	static const char *const dirs[] = { "/usr/lib/ipxe/qemu", "/usr/share/qemu" };
	static char path[PATH_MAX];
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dirs[i], name);
		if (access(path, R_OK) == 0)
			return path;
	}
	return NULL;
}

void vh_test_rmtree(const char *path)
{
	remove_tree(path);
}

void vh_test_scratch_free(char *dir)
{
	if (dir && strncmp(dir, "/tmp/vfiohelp-test-", 19) == 0)
		remove_tree(dir);
	free(dir);
}

static void mkdirs_for(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			fail_msg("mkdir %s: %s", path, strerror(errno));
		*p = '/';
	}
}

void vh_test_write(const char *dir, const char *rel, const char *content)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	mkdirs_for(path);
	FILE *f = fopen(path, "w");
	if (!f)
		fail_msg("cannot write %s: %s", path, strerror(errno));
	fputs(content, f);
	fclose(f);
}

void vh_test_vm_running(const char *root, unsigned vmid, unsigned pid)
{
	char rel[64], path[PATH_MAX], pidfile[64], num[32];
	snprintf(rel, sizeof(rel), "run/qemu-server/%u.pid", vmid);
	snprintf(num, sizeof(num), "%u\n", pid);
	vh_test_write(root, rel, num);
	snprintf(rel, sizeof(rel), "proc/%u/cmdline", pid);
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	mkdirs_for(path);
	FILE *f = fopen(path, "w");
	if (!f)
		fail_msg("cannot write %s: %s", path, strerror(errno));
	snprintf(pidfile, sizeof(pidfile), "/var/run/qemu-server/%u.pid", vmid);
	const char *args[] = { "/usr/bin/kvm", "-id", num, "-pidfile", pidfile, "-daemonize" };
	snprintf(num, sizeof(num), "%u", vmid);
	for (size_t i = 0; i < sizeof(args) / sizeof(args[0]); i++)
		fwrite(args[i], 1, strlen(args[i]) + 1, f);
	fclose(f);
}

const char *vh_test_read(const char *dir, const char *rel)
{
	static char buf[1 << 16];
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	FILE *f = fopen(path, "r");
	if (!f)
		fail_msg("cannot read %s: %s", path, strerror(errno));
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static char *drain(int fd)
{
	size_t cap = 4096, len = 0;
	char *s = malloc(cap);
	ssize_t n;
	while ((n = read(fd, s + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (cap - len < 2)
			s = realloc(s, cap *= 2);
	}
	s[len] = '\0';
	close(fd);
	return s;
}

int vh_test_run(const char *const argv[], char **out, char **err)
{
	int po[2], pe[2];
	assert_int_equal(pipe(po), 0);
	assert_int_equal(pipe(pe), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(po[0]);
		close(pe[0]);
		int devnull = open("/dev/null", O_RDONLY);
		dup2(devnull, 0);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	/* stderr is small; read stdout fully first, then stderr. */
	char *o = drain(po[0]);
	char *e = drain(pe[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (out)
		*out = o;
	else
		free(o);
	if (err)
		*err = e;
	else
		free(e);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

/* A growing string read from a pipe. */
struct sink {
	int fd;
	char *s;
	size_t len, cap;
};

static bool sink_read(struct sink *k)
{
	if (k->cap - k->len < 4096)
		k->s = realloc(k->s, k->cap = k->cap * 2 + 4096);
	assert_non_null(k->s);
	ssize_t n = read(k->fd, k->s + k->len, k->cap - k->len - 1);
	if (n > 0)
		k->len += (size_t)n;
	k->s[k->len] = '\0';
	return n > 0 || (n < 0 && errno == EINTR);
}

static void exec_with_env(const char *const argv[], const char *const env[], int out, int err)
{
	dup2(out, 1);
	dup2(err, 2);
	int devnull = open("/dev/null", O_RDONLY);
	dup2(devnull, 0);
	for (size_t i = 0; env && env[i]; i++)
		putenv((char *)env[i]);
	/* A sanitized binary refuses a preloaded library ahead of its runtime
	 * unless told that the order is intended. */
	if (getenv("LD_PRELOAD")) {
		char opts[1024];
		const char *old = getenv("ASAN_OPTIONS");
		snprintf(opts, sizeof(opts), "%s%sverify_asan_link_order=0", old ? old : "",
			 old && *old ? ":" : "");
		setenv("ASAN_OPTIONS", opts, 1);
	}
	execv(argv[0], (char *const *)argv);
	_exit(127);
}

void vh_test_run_env(const char *const argv[], const char *const env[], unsigned limit_ms,
		     struct vh_test_proc *p)
{
	int po[2], pe[2];
	assert_int_equal(pipe2(po, O_CLOEXEC), 0);
	assert_int_equal(pipe2(pe, O_CLOEXEC), 0);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		exec_with_env(argv, env, po[1], pe[1]);
	close(po[1]);
	close(pe[1]);
	struct sink sinks[2] = { { .fd = po[0] }, { .fd = pe[0] } };
	memset(p, 0, sizeof(*p));
	p->status = p->exit_ms = p->eof_ms = -1;
	bool open_out = true, open_err = true;
	while (elapsed_ms(&t0) < (long)limit_ms && (open_out || open_err || p->exit_ms < 0)) {
		struct pollfd pf[2] = { { .fd = open_out ? po[0] : -1, .events = POLLIN },
					{ .fd = open_err ? pe[0] : -1, .events = POLLIN } };
		int rc = poll(pf, 2, 10);
		if (rc > 0 && open_out && pf[0].revents && !sink_read(&sinks[0])) {
			open_out = false;
			p->eof_ms = elapsed_ms(&t0);
		}
		if (rc > 0 && open_err && pf[1].revents && !sink_read(&sinks[1]))
			open_err = false;
		int status;
		if (p->exit_ms < 0 && waitpid(pid, &status, WNOHANG) == pid) {
			p->exit_ms = elapsed_ms(&t0);
			p->status = WIFEXITED(status) ? WEXITSTATUS(status)
						      : 128 + WTERMSIG(status);
		}
	}
	if (p->exit_ms < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	close(po[0]);
	close(pe[0]);
	p->out = sinks[0].s ? sinks[0].s : strdup("");
	p->err = sinks[1].s ? sinks[1].s : strdup("");
}

int vh_test_spawn_env(const char *const argv[], const char *const env[], int out_fd, int err_fd)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		exec_with_env(argv, env, out_fd, err_fd);
	return (int)pid;
}

void vh_test_proc_free(struct vh_test_proc *p)
{
	free(p->out);
	free(p->err);
	p->out = p->err = NULL;
}

const char *const *vh_test_mock_env(const char *root)
{
	static char mock_root[PATH_MAX + 16], preload[PATH_MAX + 16];
	static const char *env[3];
	snprintf(mock_root, sizeof(mock_root), "VH_MOCK_ROOT=%s", root);
	snprintf(preload, sizeof(preload), "LD_PRELOAD=%s", VH_MOCK_LIB);
	env[0] = mock_root;
	env[1] = preload;
	env[2] = NULL;
	return env;
}

void vh_test_mock_hook(const char *root, const char *vmid, const char *phase,
		       const char *const extra_env[], unsigned limit_ms, struct vh_test_proc *p)
{
	const char *env[32];
	size_t n = 0;
	for (const char *const *m = vh_test_mock_env(root); *m; m++)
		env[n++] = *m;
	for (size_t i = 0; extra_env && extra_env[i] && n < 31; i++)
		env[n++] = extra_env[i];
	env[n] = NULL;
	const char *argv[] = { VH_VFIO_HOOK, "--root", root, vmid, phase, NULL };
	vh_test_run_env(argv, env, limit_ms, p);
}

static void remove_if_there(const char *root, const char *rel)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if (unlink(path) < 0 && errno != ENOENT)
		fail_msg("cannot remove %s: %s", path, strerror(errno));
}

void vh_test_mock_reset_count(const char *root)
{
	remove_if_there(root, ".vhmock/count");
	remove_if_there(root, ".vhmock/writes.log");
}

const char *vh_test_mock_writes(const char *root)
{
	char path[PATH_MAX];
	struct stat st;
	snprintf(path, sizeof(path), "%s/.vhmock/writes.log", root);
	if (stat(path, &st) < 0)
		return "";
	return vh_test_read(root, ".vhmock/writes.log");
}

unsigned vh_test_mock_write_count(const char *root)
{
	unsigned n = 0;
	for (const char *s = vh_test_mock_writes(root); *s; s++)
		n += *s == '\n';
	return n;
}

void vh_test_mock_kill_hung(const char *root)
{
	char path[PATH_MAX], line[32];
	snprintf(path, sizeof(path), "%s/.vhmock/hung.pids", root);
	FILE *f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		int pid = atoi(line);
		if (pid > 1)
			kill(pid, SIGKILL);
	}
	if (f)
		fclose(f);
}

void vh_test_assert_contains(const char *h, const char *n, const char *file, int line)
{
	if (!h || !strstr(h, n))
		print_error("expected to find \"%s\" in:\n%s\n", n, h ? h : "(null)"),
			_fail(file, line);
}

void vh_test_assert_not_contains(const char *h, const char *n, const char *file, int line)
{
	if (h && strstr(h, n))
		print_error("did not expect \"%s\" in:\n%s\n", n, h), _fail(file, line);
}

struct vh_test_eval vh_test_evaluate(const char *root, unsigned vmid, const char *policy)
{
	struct vh_err e;
	struct vh_test_eval ev = { 0 };
	ev.h = vh_host_new(root, &e);
	if (!ev.h)
		fail_msg("host %s: %s", root, e.msg);
	struct vh_policy *p = vh_policy_load(ev.h, policy, &e);
	if (!p)
		fail_msg("policy: %s", e.msg);
	ev.r = vh_evaluate(ev.h, vmid, p, &e);
	if (!ev.r)
		fail_msg("evaluate VM %u on %s: %s", vmid, root, e.msg);
	vh_policy_free(p);
	return ev;
}

void vh_test_eval_done(struct vh_test_eval *ev)
{
	vh_report_free(ev->r);
	vh_host_free(ev->h);
}

const struct vh_finding *vh_test_find(const struct vh_report *r, const char *id,
				      const char *subject)
{
	for (size_t i = 0; i < r->n_findings; i++)
		if (!strcmp(r->findings[i].id, id) &&
		    (!subject || !strcmp(r->findings[i].subject, subject)))
			return &r->findings[i];
	return NULL;
}

static void dump_findings(const struct vh_report *r)
{
	for (size_t i = 0; i < r->n_findings; i++)
		print_message("  finding %s %s %s: %s\n", vh_severity_name(r->findings[i].severity),
			      r->findings[i].id, r->findings[i].subject, r->findings[i].message);
}

const struct vh_finding *vh_test_expect(const struct vh_report *r, const char *id,
					const char *subject, enum vh_severity sev)
{
	const struct vh_finding *f = vh_test_find(r, id, subject);
	if (!f) {
		dump_findings(r);
		fail_msg("VM %u: expected finding %s on %s", r->vmid, id, subject ? subject : "*");
	}
	assert_string_equal(vh_severity_name(f->severity), vh_severity_name(sev));
	return f;
}

void vh_test_expect_none(const struct vh_report *r, const char *id)
{
	if (vh_test_find(r, id, NULL)) {
		dump_findings(r);
		fail_msg("VM %u: did not expect finding %s", r->vmid, id);
	}
}

const struct vh_unjudged *vh_test_expect_unjudged(const struct vh_report *r, const char *check,
						  const char *why_part)
{
	for (size_t i = 0; i < r->n_unjudged; i++)
		if (!strcmp(r->unjudged[i].check, check) && strstr(r->unjudged[i].why, why_part))
			return &r->unjudged[i];
	for (size_t i = 0; i < r->n_unjudged; i++)
		print_message("  not judged: %s: %s\n", r->unjudged[i].check, r->unjudged[i].why);
	fail_msg("VM %u: expected '%s' not judged with '%s'", r->vmid, check, why_part);
	return NULL;
}

void vh_test_load_vfio(const char *root)
{
	char mods[16384];
	snprintf(mods, sizeof(mods),
		 "%s"
		 "vfio_pci 16384 0 - Live 0x0000000000000000\n"
		 "vfio_pci_core 86016 1 vfio_pci, Live 0x0000000000000000\n"
		 "vfio_iommu_type1 49152 0 - Live 0x0000000000000000\n"
		 "vfio 69632 2 vfio_pci_core,vfio_iommu_type1, Live 0x0000000000000000\n",
		 vh_test_read(root, "proc/modules"));
	vh_test_write(root, "proc/modules", mods);
	static const char *const files[] = { "bind", "unbind", "new_id", "remove_id", "uevent" };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char rel[128];
		snprintf(rel, sizeof(rel), "sys/bus/pci/drivers/vfio-pci/%s", files[i]);
		vh_test_write(root, rel, "");
	}
}

void vh_test_cpio(int fd, const struct vh_test_member *m, size_t n, int filter)
{
	struct archive *a = archive_write_new();
	assert_int_equal(archive_write_set_format_cpio_newc(a), ARCHIVE_OK);
	if (filter == ARCHIVE_FILTER_ZSTD)
		assert_int_equal(archive_write_add_filter_zstd(a), ARCHIVE_OK);
	else if (filter == ARCHIVE_FILTER_GZIP)
		assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
	else if (filter == ARCHIVE_FILTER_XZ)
		assert_int_equal(archive_write_add_filter_xz(a), ARCHIVE_OK);
	else if (filter == ARCHIVE_FILTER_LZMA)
		assert_int_equal(archive_write_add_filter_lzma(a), ARCHIVE_OK);
	archive_write_set_bytes_in_last_block(a, 1);
	assert_int_equal(archive_write_open_fd(a, fd), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		size_t len = m[i].link ? 0 : m[i].len ? m[i].len : strlen(m[i].data);
		archive_entry_set_pathname(e, m[i].path);
		archive_entry_set_filetype(e, m[i].link ? AE_IFLNK : AE_IFREG);
		archive_entry_set_perm(e, m[i].link ? 0777 : 0644);
		if (m[i].link)
			archive_entry_set_symlink(e, m[i].link);
		archive_entry_set_size(e, (la_int64_t)len);
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		if (len)
			assert_int_equal(archive_write_data(a, m[i].data, len), (la_ssize_t)len);
		archive_entry_free(e);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void make_image(uint8_t *img, size_t size, const struct vh_test_rom_image *s, bool last)
{
	const size_t pcir = 0x20;
	memset(img, 0, size);
	img[0] = 0x55;
	img[1] = 0xaa;
	img[2] = (uint8_t)(size / 512);
	put16(img + 0x18, pcir);
	if (s->code_type == 3) { /* EFI: signature, boot service driver, x64 */
		put16(img + 0x04, 0x0ef1);
		put16(img + 0x08, 11);
		put16(img + 0x0a, 0x8664);
		put16(img + 0x16, 0x80);
	}
	uint32_t cls = s->class_code ? s->class_code : 0x030000;
	memcpy(img + pcir, "PCIR", 4);
	put16(img + pcir + 0x04, s->vendor);
	put16(img + pcir + 0x06, s->device);
	put16(img + pcir + 0x08, s->list[0] ? 0x20 : 0);
	put16(img + pcir + 0x0a, 0x1c);
	img[pcir + 0x0c] = 3;
	img[pcir + 0x0d] = (uint8_t)cls;
	img[pcir + 0x0e] = (uint8_t)(cls >> 8);
	img[pcir + 0x0f] = (uint8_t)(cls >> 16);
	put16(img + pcir + 0x10, s->zero_length ? 0 : (unsigned)(size / 512));
	img[pcir + 0x14] = s->code_type;
	img[pcir + 0x15] = last ? 0x80 : 0;
	for (size_t i = 0; i < 4 && s->list[i]; i++)
		put16(img + pcir + 0x20 + 2 * i, s->list[i]);
	snprintf((char *)img + 0xa0, 64, "made-up image %04x:%04x, no code", s->vendor, s->device);
	if (s->code_type == 0) {
		uint8_t sum = 0;
		for (size_t i = 0; i < size; i++)
			sum = (uint8_t)(sum + img[i]);
		img[size - 1] = (uint8_t)(-sum + (s->badsum ? 1 : 0));
	}
}

uint8_t *vh_test_make_rom(size_t header, const struct vh_test_rom_image *imgs, size_t n,
			  bool unterminated, size_t *len)
{
	size_t total = header;
	for (size_t i = 0; i < n; i++)
		total += (size_t)(imgs[i].blocks ? imgs[i].blocks : 2) * 512;
	uint8_t *buf = malloc(total ? total : 1);
	assert_non_null(buf);
	for (size_t i = 0; i < header; i++)
		buf[i] = (uint8_t)('F' + i % 8); /* a flashing tool's header: no 0x55AA */
	size_t at = header;
	for (size_t i = 0; i < n; i++) {
		size_t size = (size_t)(imgs[i].blocks ? imgs[i].blocks : 2) * 512;
		make_image(buf + at, size, &imgs[i], i + 1 == n && !unterminated);
		at += size;
	}
	*len = total;
	return buf;
}

void vh_test_write_bytes(const char *dir, const char *rel, const uint8_t *data, size_t len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	mkdirs_for(path);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}
