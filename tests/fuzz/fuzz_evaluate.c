/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A whole evaluation over a mutated host: a scratch copy of tests/hosts/seed
 * (made once per process), in which the input replaces one file; then the
 * policy, vh_evaluate, the JSON and the text report, and the file is put
 * back. The first byte picks the file, the second's low bit VM 100 or 102
 * (the one with a mapping); the rest is the file's new content.
 */
#include "fuzz.h"
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

static const char *const targets[] = {
	"proc/cmdline",
	"proc/meminfo",
	"proc/modules",
	"proc/iomem",
	"proc/cpuinfo",
	"proc/sys/kernel/osrelease",
	"etc/hostname",
	"etc/modules",
	"etc/modprobe.d/vfio.conf",
	"etc/pve/vfiohelp.json",
	"etc/pve/mapping/pci.cfg",
	"etc/pve/nodes/pve/qemu-server/100.conf",
	"etc/pve/nodes/pve/qemu-server/102.conf",
	"run/qemu-server/pci-id-reservations",
	"run/qemu-server/200.pid",
	"sys/bus/pci/devices/0000:01:00.0/resource",
	"sys/bus/pci/devices/0000:01:00.0/class",
	"sys/bus/pci/devices/0000:01:00.0/modalias",
	"sys/bus/pci/devices/0000:01:00.0/reset_method",
	"sys/bus/pci/devices/0000:01:00.0/driver_override",
	"sys/bus/pci/devices/0000:01:00.0/config",
	"sys/bus/pci/devices/0000:01:00.1/config",
	"proc/interrupts",
	"sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts",
};
#define N_TARGETS (sizeof(targets) / sizeof(targets[0]))

static char root[64]; /* "/tmp/vfiohelp-fuzz-XXXXXX" */
static struct original {
	char *text; /* NULL: the seed has no such file */
	size_t len;
} originals[N_TARGETS];

static void die(const char *what, const char *path)
{
	fprintf(stderr, "fuzz_evaluate: %s %s: %s\n", what, path, strerror(errno));
	abort();
}

static void copy_file(const char *from, const char *to, mode_t mode)
{
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, mode & 0777);
	char buf[8192];
	ssize_t n;
	if (in < 0 || out < 0)
		die("copy", from);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			die("write", to);
	close(in);
	close(out);
}

/* cp -a, in C: the harness runs no other program. */
static void copy_tree(const char *from, const char *to)
{
	DIR *d = opendir(from);
	struct dirent *e;
	if (!d)
		die("opendir", from);
	while ((e = readdir(d))) {
		char src[PATH_MAX], dst[PATH_MAX], target[PATH_MAX];
		struct stat st;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(src, sizeof(src), "%s/%s", from, e->d_name);
		snprintf(dst, sizeof(dst), "%s/%s", to, e->d_name);
		if (lstat(src, &st) < 0)
			die("lstat", src);
		if (S_ISLNK(st.st_mode)) {
			ssize_t n = readlink(src, target, sizeof(target) - 1);
			if (n < 0)
				die("readlink", src);
			target[n] = '\0';
			if (symlink(target, dst) < 0)
				die("symlink", dst);
		} else if (S_ISDIR(st.st_mode)) {
			if (mkdir(dst, 0755) < 0)
				die("mkdir", dst);
			copy_tree(src, dst);
		} else {
			copy_file(src, dst, st.st_mode);
		}
	}
	closedir(d);
}

static void remove_tree(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(path);
		return;
	}
	DIR *d = opendir(path);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char child[PATH_MAX];
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(child, sizeof(child), "%s/%s", path, e->d_name);
		remove_tree(child);
	}
	if (d)
		closedir(d);
	rmdir(path);
}

static void cleanup(void)
{
	if (root[0])
		remove_tree(root);
}

static void target_path(size_t t, char path[PATH_MAX])
{
	snprintf(path, PATH_MAX, "%s/%s", root, targets[t]);
}

/* mkdir -p of the file's directory (the seed has no run/qemu-server). */
static void make_parents(char *path)
{
	for (char *p = path + strlen(root) + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			die("mkdir", path);
		*p = '/';
	}
}

static void write_file(size_t t, const void *data, size_t len)
{
	char path[PATH_MAX];
	target_path(t, path);
	make_parents(path);
	FILE *f = fopen(path, "w");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		die("write", path);
}

static void setup(void)
{
	char tmpl[] = "/tmp/vfiohelp-fuzz-XXXXXX";
	if (!mkdtemp(tmpl))
		die("mkdtemp", tmpl);
	snprintf(root, sizeof(root), "%s", tmpl);
	atexit(cleanup);
	copy_tree(VH_FUZZ_HOSTS "/seed", root);
	for (size_t t = 0; t < N_TARGETS; t++) {
		char path[PATH_MAX];
		target_path(t, path);
		if (vh_slurp(path, 1u << 20, &originals[t].text, &originals[t].len) < 0 &&
		    errno != ENOENT)
			die("read", path);
	}
}

static void restore(size_t t)
{
	char path[PATH_MAX];
	target_path(t, path);
	if (originals[t].text)
		write_file(t, originals[t].text, originals[t].len);
	else if (unlink(path) < 0)
		die("unlink", path);
}

static void check(const struct vh_report *r, unsigned vmid)
{
	static FILE *devnull;
	if (!devnull && !(devnull = fopen("/dev/null", "w")))
		abort();
	FUZZ_CHECK(r->vmid == vmid);
	FUZZ_CHECK(r->n_findings < 200);
	for (size_t i = 0; i < r->n_findings; i++) {
		const struct vh_finding *f = &r->findings[i];
		FUZZ_TERMINATED(f->message);
		FUZZ_TERMINATED(f->fix);
		FUZZ_CHECK(vh_finding_kind(f->id) != NULL); /* every id is in the table */
		FUZZ_CHECK(f->severity > VH_SEV_OFF && f->severity <= VH_SEV_ERROR);
	}
	struct json_object *o = vh_report_to_json(r);
	FUZZ_CHECK(o != NULL);
	fputs(json_object_to_json_string(o), devnull);
	json_object_put(o);
	vh_report_print(r, devnull);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!root[0])
		setup();
	if (size < 2)
		return 0;
	size_t t = data[0] % N_TARGETS;
	unsigned vmid = (data[1] & 1) ? 102 : 100;
	write_file(t, data + 2, size - 2);
	struct vh_err err = { .msg = "" };
	struct vh_host *h = vh_host_new(root, &err);
	FUZZ_CHECK(h != NULL);
	struct vh_policy *p = vh_policy_load(h, NULL, &err);
	if (p) {
		struct vh_report *r = vh_evaluate(h, vmid, p, &err);
		if (r)
			check(r, vmid);
		else
			FUZZ_CHECK(err.msg[0] != '\0'); /* an error says what */
		vh_report_free(r);
		vh_policy_free(p);
	} else {
		FUZZ_CHECK(err.msg[0] != '\0');
	}
	vh_host_free(h);
	restore(t);
	return 0;
}
