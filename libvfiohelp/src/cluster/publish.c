/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Publishing a node's inventory to /etc/pve/nodes/NODE/ as pmxcfs wants a
 * file written: pmxcfs stores the whole file again on every write() and
 * replicates it to every node, refuses a file over 1 MiB (EFBIG, leaving
 * it cut) and refuses every change without quorum (EACCES: dcdb.c). So the
 * file is written only when its content, the time left out, changed; as a
 * temporary file written with one write() and renamed over the old one.
 */
#include "internal.h"
#include "base/array.h"
#include "cluster/inventory.h"
#include "host/system.h"
#include "host/facts.h"
#include "host/host.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* The published file says the same, whenever it was made. */
static bool unchanged(const char *path, const struct vh_inventory *inv)
{
	char *text;
	size_t len;
	if (vh_slurp(path, VH_INVENTORY_MAX, &text, &len) < 0)
		return false;
	json_object *old = json_tokener_parse(text);
	free(text);
	if (!old || !json_object_is_type(old, json_type_object)) {
		json_object_put(old);
		return false;
	}
	json_object_object_del(old, "made_at");
	json_object *now = vh_inventory_json(inv, false);
	bool same = !strcmp(json_object_to_json_string_ext(old, JSON_FLAGS),
			    json_object_to_json_string_ext(now, JSON_FLAGS));
	json_object_put(old);
	json_object_put(now);
	return same;
}

/* pmxcfs without quorum: a read-only /etc/pve. */
static bool no_quorum(int e)
{
	return e == EACCES || e == EROFS || e == EPERM;
}

static int write_once(int fd, const char *text, size_t len)
{
	ssize_t n = write(fd, text, len); /* one write: pmxcfs stores the file per write */
	if (n >= 0 && (size_t)n == len)
		return 0;
	if (n >= 0)
		errno = EIO;
	return -1;
}

static int put_file(const char *dir, const char *text, size_t len, enum vh_publish *out,
		    struct vh_err *err)
{
	char tmp[PATH_MAX], final[PATH_MAX];
	if (vh_format(tmp, sizeof(tmp), "%s/.%s.tmp.%ld", dir, VH_INVENTORY_FILE, (long)getpid()) <
		    0 ||
	    vh_format(final, sizeof(final), "%s/%s", dir, VH_INVENTORY_FILE) < 0)
		return vh_failc(err, ENAMETOOLONG, "%s: path too long", dir);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0 && no_quorum(errno)) {
		*out = VH_PUBLISH_NO_QUORUM;
		return 0;
	}
	if (fd < 0)
		return vh_fail(err, "cannot create %s: %s", tmp, strerror(errno));
	int rc = write_once(fd, text, len);
	int saved = errno;
	if (close(fd) < 0 && rc == 0)
		rc = -1, saved = errno;
	if (rc == 0 && rename(tmp, final) < 0)
		rc = -1, saved = errno;
	if (rc < 0) {
		unlink(tmp);
		if (no_quorum(saved)) {
			*out = VH_PUBLISH_NO_QUORUM;
			return 0;
		}
		return vh_failc(err, saved, "cannot write %s: %s", final, strerror(saved));
	}
	*out = VH_PUBLISHED;
	return 0;
}

int vh_inventory_publish(struct vh_host *h, const struct vh_inventory *inv, enum vh_publish *out,
			 struct vh_err *err)
{
	char dir[PATH_MAX], path[PATH_MAX];
	const char *node = inv->facts->node;
	if (vh_host_path(h, dir, sizeof(dir), "/etc/pve/nodes/%s", node) < 0 ||
	    vh_format(path, sizeof(path), "%s/%s", dir, VH_INVENTORY_FILE) < 0)
		return vh_failc(err, ENAMETOOLONG, "/etc/pve/nodes/%s: path too long", node);
	if (!vh_path_exists(dir))
		return vh_failc(err, ENOENT,
				"%s does not exist: /etc/pve is not mounted (is pve-cluster "
				"running? systemctl status pve-cluster) or %s is not this "
				"cluster's node name",
				dir, node);
	if (unchanged(path, inv)) {
		*out = VH_PUBLISH_UNCHANGED;
		return 0;
	}
	json_object *o = vh_inventory_json(inv, true);
	const char *text = json_object_to_json_string_ext(o, JSON_FLAGS);
	size_t len = strlen(text);
	int rc;
	if (len > VH_INVENTORY_MAX)
		rc = vh_failc(err, EFBIG,
			      "%s: the inventory is %zu bytes, over pmxcfs's limit of %d; "
			      "not published",
			      path, len, VH_INVENTORY_MAX);
	else
		rc = put_file(dir, text, len, out, err);
	json_object_put(o);
	return rc;
}

/* ---- what may have changed, cheaply ---- */

struct fnv {
	uint64_t h;
};

static void fnv_add(struct fnv *f, const void *data, size_t len)
{
	f->h = vh_fnv1a(f->h, data, len);
}

static void add_file(struct vh_host *h, struct fnv *f, const char *abs)
{
	char path[PATH_MAX], *text;
	size_t len;
	fnv_add(f, abs, strlen(abs) + 1);
	if (vh_host_path(h, path, sizeof(path), "%s", abs) == 0 &&
	    vh_slurp(path, 4u << 20, &text, &len) == 0) {
		fnv_add(f, text, len);
		free(text);
	}
}

/* A directory's entry names, sorted (readdir's order is the file system's). */
static int name_order(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_dir(struct vh_host *h, struct fnv *f, const char *abs, bool descend)
{
	char path[PATH_MAX];
	char **names = NULL;
	size_t n = 0, cap = 0;
	fnv_add(f, abs, strlen(abs) + 1);
	DIR *d = vh_host_path(h, path, sizeof(path), "%s", abs) == 0 ? opendir(path) : NULL;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' || VH_ARRAY_ROOM(names, cap, n) < 0)
			continue;
		if (!(names[n] = strdup(e->d_name)))
			continue;
		n++;
	}
	if (d)
		closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), name_order);
	for (size_t i = 0; i < n; i++) {
		char sub[PATH_MAX];
		fnv_add(f, names[i], strlen(names[i]) + 1);
		if (descend && vh_format(sub, sizeof(sub), "%s/%s", abs, names[i]) >= 0)
			add_dir(h, f, sub, false);
		free(names[i]);
	}
	free(names);
}

/* What changes on a running node, read without touching each device: the
 * functions on the bus (VFs come and go), which driver holds which (every
 * driver's directory lists its devices), the loaded modules, the running
 * VMs and the reservations, memory and hugepages. The facts that do not
 * change while the node runs (ids, groups, capabilities) are keyed by the
 * boot id. A few hundred reads whatever the size of the bus. */
int vh_inventory_signature(struct vh_host *h, char *out, size_t size)
{
	struct fnv f = { VH_FNV1A_BASIS };
	static const char *const files[] = {
		"/proc/sys/kernel/random/boot_id",
		"/proc/modules",
		"/proc/cmdline",
		"/run/qemu-server/pci-id-reservations",
		"/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages",
		"/sys/kernel/mm/hugepages/hugepages-1048576kB/free_hugepages",
	};
	for (size_t i = 0; i < VH_ARRAY_SIZE(files); i++)
		add_file(h, &f, files[i]);
	add_dir(h, &f, "/sys/bus/pci/devices", false);
	add_dir(h, &f, "/sys/bus/pci/drivers", true);
	add_dir(h, &f, "/run/qemu-server", false);
	uint64_t avail, total;
	if (vh_meminfo(h, &avail, &total, NULL) == 0) {
		avail -= avail % 1024; /* as the inventory rounds it */
		fnv_add(&f, &avail, sizeof(avail));
	}
	return vh_format(out, size, "%016llx", (unsigned long long)f.h) < 0 ? -1 : 0;
}
