/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench_cluster: what the cluster costs (a benchmark, not a test).
 *
 *   bench_cluster HOST_TREE [FUNCTIONS] [NODES] [VMS] [ROUNDS]
 *
 * 1. the inventory of HOST_TREE plus FUNCTIONS more PCI functions (default
 *    4000: SR-IOV VFs of 16 PFs, each VF in an IOMMU group of its own, on
 *    vfio-pci or iavf), as hookctl inventory takes it: time to take it, to
 *    write its JSON, and the JSON's size against pmxcfs's 1 MiB;
 * 2. hookctl where on a cluster of NODES nodes (default 32) holding VMS VMs
 *    (default 500) spread over them, every node with a published inventory
 *    (the tree's own, renamed), HA resources for every VM and a group;
 * 3. what vfio-hook's pre-start adds when nothing changed: the digest of
 *    what changes on a running node, equal to the one kept at the last
 *    publication (cluster/publish.c), against the whole phase; and the same
 *    digest on the big host of (1), against taking its inventory.
 */
#include "vfiohelp.h"
#include "cluster/inventory.h" /* vh_inventory_signature: the hook's gate */
#include "host/facts.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f || fputs(text, f) == EOF || fclose(f) != 0) {
		perror(path);
		exit(2);
	}
}

static void link_to(const char *target, const char *link)
{
	if (symlink(target, link) < 0) {
		perror(link);
		exit(2);
	}
}

static void sh(const char *cmd)
{
	if (system(cmd) != 0) {
		fprintf(stderr, "bench_cluster: %s failed\n", cmd);
		exit(2);
	}
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* A 256-byte config space: ids, class, header type 0, no capabilities. */
static void put_config(const char *path, unsigned vendor, unsigned device, unsigned cls)
{
	unsigned char c[256] = { 0 };
	c[0] = vendor & 0xff, c[1] = vendor >> 8, c[2] = device & 0xff, c[3] = device >> 8;
	c[9] = cls & 0xff, c[10] = (cls >> 8) & 0xff, c[11] = cls >> 16;
	c[0x2c] = 0x86, c[0x2d] = 0x80, c[0x2e] = 0x0c, c[0x2f] = 0x00; /* subsystem */
	FILE *f = fopen(path, "w");
	if (!f || fwrite(c, 1, sizeof(c), f) != sizeof(c) || fclose(f) != 0) {
		perror(path);
		exit(2);
	}
}

/* One function under /sys/devices/pci0000:80/, linked from the bus, its
 * own IOMMU group, its driver. */
static void add_function(const char *root, const char *name, const char *physfn, int group,
			 const char *driver)
{
	char dir[4096], file[4400], target[4400];
	snprintf(dir, sizeof(dir), "%s/sys/devices/pci0000:80/%s", root, name);
	mkdir(dir, 0755);
	static const char *const attrs[][2] = {
		{ "vendor", "0x8086\n" },
		{ "device", "0x154c\n" },
		{ "subsystem_vendor", "0x8086\n" },
		{ "subsystem_device", "0x000c\n" },
		{ "class", "0x020000\n" },
		{ "reset_method", "flr\n" },
		{ "reset", "" },
		{ "power_state", "D0\n" },
		{ "modalias", "pci:v00008086d0000154Csv00008086sd0000000Cbc02sc00i00\n" },
	};
	for (size_t a = 0; a < sizeof(attrs) / sizeof(attrs[0]); a++) {
		snprintf(file, sizeof(file), "%s/%s", dir, attrs[a][0]);
		put(file, attrs[a][1]);
	}
	snprintf(file, sizeof(file), "%s/config", dir);
	put_config(file, 0x8086, 0x154c, 0x020000);
	snprintf(file, sizeof(file), "%s/sys/bus/pci/devices/%s", root, name);
	snprintf(target, sizeof(target), "../../../devices/pci0000:80/%s", name);
	link_to(target, file);
	snprintf(file, sizeof(file), "%s/sys/kernel/iommu_groups/%d/devices", root, group);
	if (access(file, F_OK) != 0) {
		char parent[4400];
		snprintf(parent, sizeof(parent), "%s/sys/kernel/iommu_groups/%d", root, group);
		mkdir(parent, 0755);
		mkdir(file, 0755);
	}
	snprintf(file, sizeof(file), "%s/sys/kernel/iommu_groups/%d/devices/%s", root, group, name);
	snprintf(target, sizeof(target), "../../../../devices/pci0000:80/%s", name);
	link_to(target, file);
	snprintf(file, sizeof(file), "%s/iommu_group", dir);
	snprintf(target, sizeof(target), "../../../kernel/iommu_groups/%d", group);
	link_to(target, file);
	snprintf(file, sizeof(file), "%s/driver", dir);
	snprintf(target, sizeof(target), "../../../bus/pci/drivers/%s", driver);
	link_to(target, file);
	if (physfn) {
		snprintf(file, sizeof(file), "%s/physfn", dir);
		snprintf(target, sizeof(target), "../%s", physfn);
		link_to(target, file);
	}
}

/* n functions: 16 PFs and their VFs (bus 0x80 + k), every function its own group. */
static void add_functions(const char *root, int n)
{
	char path[4096], pf[32] = "", name[32];
	snprintf(path, sizeof(path), "%s/sys/devices/pci0000:80", root);
	mkdir(path, 0755);
	int per_pf = n / 16 > 0 ? n / 16 : 1;
	for (int i = 0; i < n; i++) {
		int bus = 0x80 + i / 256, slot = (i % 256) / 8, fn = i % 8;
		snprintf(name, sizeof(name), "0000:%02x:%02x.%d", bus & 0xff, slot, fn);
		bool is_pf = i % per_pf == 0;
		if (is_pf)
			snprintf(pf, sizeof(pf), "%s", name);
		add_function(root, name, is_pf ? NULL : pf, 1000 + i,
			     is_pf ? "ice" : (i % 3 ? "vfio-pci" : "iavf"));
	}
}

static struct vh_inventory *take(const char *root, double *ms)
{
	struct vh_err err;
	double t0 = now_ms();
	struct vh_host *h = vh_host_new(root, &err);
	struct vh_inventory *inv = h ? vh_inventory_take(h, &err) : NULL;
	*ms = now_ms() - t0;
	if (!inv) {
		fprintf(stderr, "bench_cluster: %s\n", err.msg);
		exit(2);
	}
	vh_host_free(h);
	return inv;
}

static void bench_inventory(const char *tree, int functions)
{
	char dir[] = "/tmp/vfiohelp-bench-inv-XXXXXX", cmd[8400];
	if (!mkdtemp(dir))
		exit(2);
	snprintf(cmd, sizeof(cmd), "cp -a '%s/.' '%s/'", tree, dir);
	sh(cmd);
	double t0 = now_ms();
	add_functions(dir, functions);
	double made = now_ms() - t0, take_ms;
	struct vh_inventory *inv = take(dir, &take_ms);
	double sig_ms[5];
	for (int r = 0; r < 5; r++) {
		struct vh_err err;
		struct vh_host *h = vh_host_new(dir, &err);
		char sig[32];
		double s0 = now_ms();
		vh_inventory_signature(h, sig, sizeof(sig));
		sig_ms[r] = now_ms() - s0;
		vh_host_free(h);
	}
	qsort(sig_ms, 5, sizeof(*sig_ms), by_value);
	t0 = now_ms();
	json_object *o = vh_inventory_to_json(inv);
	const char *text = json_object_to_json_string_ext(o,
							  JSON_C_TO_STRING_PLAIN |
								  JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t bytes = strlen(text);
	double json_ms = now_ms() - t0;
	/* what the hook's start/stop patch costs: the published inventory read back */
	struct vh_err perr;
	t0 = now_ms();
	struct vh_facts *back = vh_facts_parse(text, bytes, "bench", &perr);
	double parse_ms = now_ms() - t0;
	vh_facts_free(back);
	json_object *fs = json_object_object_get(o, "functions");
	printf("inventory: %zu functions (tree made in %.0f ms): taken in %.0f ms, JSON in %.0f ms, "
	       "%zu bytes (%.0f%% of pmxcfs's 1 MiB; %.0f bytes a function)\n",
	       json_object_array_length(fs), made, take_ms, json_ms, bytes,
	       100.0 * (double)bytes / (1024 * 1024),
	       (double)bytes / (double)json_object_array_length(fs));
	printf("  the hook's nothing-changed digest on that host: %.1f ms median of 5; the "
	       "published inventory parsed back (a start or stop patches it): %.0f ms\n",
	       sig_ms[2], parse_ms);
	json_object_put(o);
	vh_inventory_free(inv);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	sh(cmd);
}

/* The tree's inventory as node NAME's. */
static void publish_as(const char *root, const char *text, const char *node)
{
	char path[4096];
	json_object *o = json_tokener_parse(text);
	json_object_object_add(o, "node", json_object_new_string(node));
	snprintf(path, sizeof(path), "%s/etc/pve/nodes/%s", root, node);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/etc/pve/nodes/%s/qemu-server", root, node);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/etc/pve/nodes/%s/vfiohelp-inventory.json", root, node);
	put(path, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

static void bench_where(const char *tree, int nodes, int vms, int rounds)
{
	char dir[] = "/tmp/vfiohelp-bench-where-XXXXXX", cmd[8400], path[4096];
	if (!mkdtemp(dir))
		exit(2);
	snprintf(cmd, sizeof(cmd), "cp -a '%s/.' '%s/'", tree, dir);
	sh(cmd);
	double ms;
	struct vh_inventory *inv = take(dir, &ms);
	json_object *o = vh_inventory_to_json(inv);
	char *text = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	vh_inventory_free(inv);
	char node[32];
	for (int i = 2; i <= nodes; i++) {
		snprintf(node, sizeof(node), "pve%d", i);
		publish_as(dir, text, node);
	}
	free(text);
	/* VMs 1000.. spread over the nodes, each passing the seed's GPU */
	snprintf(path, sizeof(path), "%s/etc/pve/nodes/pve/qemu-server/100.conf", dir);
	FILE *res = NULL;
	snprintf(cmd, sizeof(cmd), "%s/etc/pve/ha", dir);
	mkdir(cmd, 0755);
	snprintf(cmd, sizeof(cmd), "%s/etc/pve/ha/resources.cfg", dir);
	res = fopen(cmd, "w");
	for (int v = 0; v < vms; v++) {
		int n = v % nodes;
		if (n == 0)
			snprintf(node, sizeof(node), "pve");
		else
			snprintf(node, sizeof(node), "pve%d", n + 1);
		snprintf(cmd, sizeof(cmd), "cp '%s' '%s/etc/pve/nodes/%s/qemu-server/%d.conf'",
			 path, dir, node, 1000 + v);
		if (v < 64) /* the rest as written files, no process each */
			sh(cmd);
		else {
			char dst[4400];
			snprintf(dst, sizeof(dst), "%s/etc/pve/nodes/%s/qemu-server/%d.conf", dir,
				 node, 1000 + v);
			put(dst, "machine: q35\nbios: ovmf\nefidisk0: local:1\nmemory: 8192\n"
				 "balloon: 0\nhostpci0: 0000:01:00,pcie=1,rombar=0\n");
		}
		fprintf(res, "vm: %d\n\tgroup gpu\n\tstate started\n\n", 1000 + v);
	}
	fclose(res);
	snprintf(cmd, sizeof(cmd), "%s/etc/pve/ha/groups.cfg", dir);
	put(cmd, "group: gpu\n\tnodes pve,pve2,pve3\n\trestricted 1\n");
	double *t = calloc((size_t)rounds, sizeof(*t));
	int status = 0;
	for (int r = 0; r < rounds; r++) {
		struct vh_err err;
		double t0 = now_ms();
		struct vh_host *h = vh_host_new(dir, &err);
		struct vh_where *w = h ? vh_where_judge(h, 1000 + (unsigned)(r * 7 % vms), NULL,
							&err)
				       : NULL;
		if (!w) {
			fprintf(stderr, "bench_cluster: where: %s\n", err.msg);
			exit(2);
		}
		status = vh_where_status(w);
		vh_where_free(w);
		vh_host_free(h);
		t[r] = now_ms() - t0;
	}
	qsort(t, (size_t)rounds, sizeof(*t), by_value);
	printf("where: %d nodes with inventories, %d VMs, HA for all: %.1f ms median (min %.1f, "
	       "max %.1f) over %d runs; exit status %d\n",
	       nodes, vms, t[rounds / 2], t[0], t[rounds - 1], rounds, status);
	free(t);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	sh(cmd);
}

/* The hook's pre-start on the tree, and apart what its publication costs
 * when nothing changed: the digest, equal to the kept one, and no more. */
static void bench_prestart(const char *tree, int rounds)
{
	char dir[] = "/tmp/vfiohelp-bench-hook-XXXXXX", cmd[8400];
	if (!mkdtemp(dir))
		exit(2);
	snprintf(cmd, sizeof(cmd), "cp -a '%s/.' '%s/'", tree, dir);
	sh(cmd);
	FILE *devnull = fopen("/dev/null", "w");
	double *phase = calloc((size_t)rounds, sizeof(*phase));
	double *pub = calloc((size_t)rounds, sizeof(*pub));
	for (int r = 0; r < rounds + 1; r++) {
		struct vh_err err;
		struct vh_host *h = vh_host_new(dir, &err);
		double t0 = now_ms();
		vh_hook_run(h, NULL, 100, VH_PHASE_PRE_START, devnull);
		double t1 = now_ms();
		vh_host_free(h);
		h = vh_host_new(dir, &err);
		char sig[32];
		double t2 = now_ms();
		vh_inventory_signature(h, sig, sizeof(sig));
		double t3 = now_ms();
		vh_host_free(h);
		if (r > 0) /* the first run publishes: nothing unchanged yet */
			phase[r - 1] = t1 - t0, pub[r - 1] = t3 - t2;
	}
	/* start and stop, nothing else changing: each phase patches the
	 * published inventory (the VM's devices held, then free) */
	double *cyc = calloc((size_t)rounds * 2, sizeof(*cyc));
	for (int r = 0; r < rounds; r++)
		for (int k = 0; k < 2; k++) {
			struct vh_err err;
			struct vh_host *h = vh_host_new(dir, &err);
			double t0 = now_ms();
			vh_hook_run(h, NULL, 100, k ? VH_PHASE_POST_STOP : VH_PHASE_PRE_START,
				    devnull);
			cyc[2 * r + k] = now_ms() - t0;
			vh_host_free(h);
		}
	qsort(cyc, (size_t)rounds * 2, sizeof(*cyc), by_value);
	printf("start/stop cycles (each phase patches the published inventory): %.2f ms median "
	       "a phase over %d phases\n",
	       cyc[rounds], rounds * 2);
	free(cyc);
	qsort(phase, (size_t)rounds, sizeof(*phase), by_value);
	qsort(pub, (size_t)rounds, sizeof(*pub), by_value);
	printf("pre-start (publishing included), nothing changed: %.2f ms median; its digest of "
	       "what changes, found equal: %.2f ms median (%.0f%% of the phase) over %d runs\n",
	       phase[rounds / 2], pub[rounds / 2], 100.0 * pub[rounds / 2] / phase[rounds / 2],
	       rounds);
	free(phase);
	free(pub);
	fclose(devnull);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	sh(cmd);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr,
			"usage: bench_cluster HOST_TREE [FUNCTIONS] [NODES] [VMS] [ROUNDS]\n");
		return 2;
	}
	int functions = argc > 2 ? atoi(argv[2]) : 4000;
	int nodes = argc > 3 ? atoi(argv[3]) : 32;
	int vms = argc > 4 ? atoi(argv[4]) : 500;
	int rounds = argc > 5 ? atoi(argv[5]) : 20;
	bench_inventory(argv[1], functions);
	bench_where(argv[1], nodes, vms, rounds);
	bench_prestart(argv[1], rounds);
	return 0;
}
