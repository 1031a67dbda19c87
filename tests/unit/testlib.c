#include "testlib.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

void vh_test_assert_contains(const char *h, const char *n, const char *file, int line)
{
	if (!h || !strstr(h, n))
		print_error("expected to find \"%s\" in:\n%s\n", n, h ? h : "(null)"), _fail(file, line);
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

const struct vh_finding *vh_test_find(const struct vh_report *r, const char *id, const char *subject)
{
	for (size_t i = 0; i < r->n_findings; i++)
		if (!strcmp(r->findings[i].id, id) && (!subject || !strcmp(r->findings[i].subject, subject)))
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
