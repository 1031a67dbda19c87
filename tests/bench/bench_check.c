/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench_check: what one pre-start evaluation costs, and that the cost does
 * not grow with the size of the PCI bus (no scan of the whole bus).
 *
 *   bench_check HOST_TREE [EXTRA_DEVICES] [ROUNDS]
 *
 * Evaluates VM 100 ROUNDS times on HOST_TREE, then on a copy of it with
 * EXTRA_DEVICES more devices on the bus (full sysfs directories and links),
 * and prints per evaluation: wall time, read() syscalls and bytes read (from
 * /proc/self/io). Equal syscall counts on both trees are the proof.
 */
#include "vfiohelp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void io_counters(unsigned long long *syscr, unsigned long long *rchar)
{
	FILE *f = fopen("/proc/self/io", "r");
	char key[32];
	unsigned long long v;
	*syscr = *rchar = 0;
	while (f && fscanf(f, "%31[^:]: %llu\n", key, &v) == 2) {
		if (!strcmp(key, "syscr"))
			*syscr = v;
		else if (!strcmp(key, "rchar"))
			*rchar = v;
	}
	if (f)
		fclose(f);
}

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(2);
	}
	fputs(text, f);
	fclose(f);
}

/* Adds n endpoints under a new host bridge: bus 0x80.., each a directory
 * with the attributes lspci reads, linked from /sys/bus/pci/devices. */
static void add_devices(const char *root, int n)
{
	char path[4096], link[4096], target[4096];
	snprintf(path, sizeof(path), "%s/sys/devices/pci0000:80", root);
	mkdir(path, 0755);
	for (int i = 0; i < n; i++) {
		char name[32];
		snprintf(name, sizeof(name), "0000:%02x:%02x.%d", (0x80 + i / 256) & 0xff,
			 (i / 8) % 32, i % 8);
		snprintf(path, sizeof(path), "%s/sys/devices/pci0000:80/%s", root, name);
		mkdir(path, 0755);
		static const char *const attrs[][2] = {
			{ "vendor", "0x8086\n" },
			{ "device", "0x10d3\n" },
			{ "class", "0x020000\n" },
			{ "driver_override", "(null)\n" },
			{ "modalias", "pci:v00008086d000010D3sv*sd*bc02sc00i00\n" },
		};
		for (size_t a = 0; a < sizeof(attrs) / sizeof(attrs[0]); a++) {
			char file[4200];
			snprintf(file, sizeof(file), "%s/%s", path, attrs[a][0]);
			put(file, attrs[a][1]);
		}
		snprintf(link, sizeof(link), "%s/sys/bus/pci/devices/%s", root, name);
		snprintf(target, sizeof(target), "../../../devices/pci0000:80/%s", name);
		if (symlink(target, link) < 0) {
			perror(link);
			exit(2);
		}
	}
}

static void measure_quiet(const char *root)
{
	struct vh_err err;
	struct vh_host *h = vh_host_new(root, &err);
	if (h)
		vh_host_keep_caches(h, true); /* as the hookscript's pre-start does */
	struct vh_policy *p = h ? vh_policy_load(h, NULL, &err) : NULL;
	struct vh_report *r = p ? vh_evaluate(h, 100, p, &err) : NULL;
	if (!r) {
		fprintf(stderr, "bench_check: %s\n", err.msg);
		exit(2);
	}
	vh_report_free(r);
	vh_policy_free(p);
	vh_host_free(h);
}

static void measure(const char *label, const char *root, int rounds)
{
	unsigned long long c0, r0, c1, r1;
	double t0 = now_us();
	io_counters(&c0, &r0);
	for (int i = 0; i < rounds; i++)
		measure_quiet(root);
	io_counters(&c1, &r1);
	double t1 = now_us();
	printf("%-28s %8.0f us/eval  %6llu read syscalls/eval  %8llu bytes read/eval\n", label,
	       (t1 - t0) / rounds, (c1 - c0) / (unsigned long long)rounds,
	       (r1 - r0) / (unsigned long long)rounds);
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* A pre-start's cost once the initramfs verdict is cached: the copy gets the
 * hook's /run/vfiohelp, the first evaluation reads the image and writes the
 * verdict, every later one reuses it (the image is not opened: see the read
 * syscalls). Prints the median, the budget's measure. */
static void measure_cached(const char *root, int rounds)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/run", root);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/run/vfiohelp", root);
	mkdir(dir, 0700);
	measure("verdict cache primed", root, 1);
	double *t = calloc((size_t)rounds, sizeof(*t));
	for (int i = 0; t && i < rounds; i++) {
		double t0 = now_us();
		measure_quiet(root);
		t[i] = now_us() - t0;
	}
	if (!t)
		exit(2);
	qsort(t, (size_t)rounds, sizeof(*t), by_value);
	printf("%-28s %8.0f us median (min %.0f, max %.0f) over %d evals\n",
	       "initramfs verdict reused", t[rounds / 2], t[0], t[rounds - 1], rounds);
	free(t);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_check HOST_TREE [EXTRA_DEVICES] [ROUNDS]\n");
		return 2;
	}
	int extra = argc > 2 ? atoi(argv[2]) : 2000;
	int rounds = argc > 3 ? atoi(argv[3]) : 200;
	char big[] = "/tmp/vfiohelp-bench-XXXXXX", cmd[8192];
	if (!mkdtemp(big))
		return 2;
	/* a copy of the tree (cp keeps the relative links) */
	snprintf(cmd, sizeof(cmd), "cp -a '%s/.' '%s/'", argv[1], big);
	if (system(cmd) != 0)
		return 2;
	add_devices(big, extra);
	char label[64];
	measure("demo host (12 devices)", argv[1], rounds);
	snprintf(label, sizeof(label), "same + %d devices", extra);
	measure(label, big, rounds);
	measure_cached(big, rounds);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", big);
	return system(cmd) == 0 ? 0 : 2;
}
