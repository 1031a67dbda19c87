/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What pre-start changed, kept in /run/vfiohelp/<vmid>.json so post-stop,
 * or a later pre-start after a crash, can undo it; and the lock that keeps
 * two hooks from interleaving on a shared group.
 *
 * /run/vfiohelp is root's: created 0700, opened with O_NOFOLLOW and checked
 * to be a directory owned by us that nobody else can write; files in it are
 * opened relative to that directory with O_NOFOLLOW, so a link planted there
 * is refused, never followed.
 */
#include "internal.h"
#include "host/host.h"
#include "pve/state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#define STATE_MAX_BYTES (64u << 10)

int vh_state_dir_open(struct vh_host *h, struct vh_err *err)
{
	char path[PATH_MAX];
	if (vh_host_path(h, path, sizeof(path), "/run/vfiohelp") < 0)
		return vh_fail(err, "path too long");
	char run[PATH_MAX];
	/* /run exists on any host; a host tree fresh from git may lack it. */
	if (vh_host_path(h, run, sizeof(run), "/run") == 0 && !vh_path_exists(run))
		mkdir(run, 0755);
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return vh_fail(err, "cannot create %s: %s", path, strerror(errno));
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return vh_fail(err, "%s: %s (a symlink there is refused)", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 022)) {
		close(fd);
		return vh_fail(err, "%s is not a directory that only uid %u can write", path,
			       (unsigned)geteuid());
	}
	return fd;
}

int vh_lock_take(int dirfd, unsigned timeout_ms, struct vh_err *err)
{
	int fd = openat(dirfd, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return vh_fail(err, "/run/vfiohelp/lock: %s", strerror(errno));
	for (unsigned waited = 0;; waited += 50) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		if (errno != EWOULDBLOCK || waited >= timeout_ms) {
			close(fd);
			return vh_fail(err, "another vfio-hook held /run/vfiohelp/lock for %u ms",
				       waited);
		}
		struct timespec ts = { 0, 50 * 1000000L };
		nanosleep(&ts, NULL);
	}
}

static json_object *state_json(const struct vh_state *s)
{
	json_object *o = json_object_new_object(), *list = json_object_new_array();
	json_object_object_add(o, "vmid", json_object_new_int64(s->vmid));
	json_object_object_add(o, "time", json_object_new_int64(s->time));
	json_object_object_add(o, "boot_id", json_object_new_string(s->boot_id));
	for (size_t i = 0; i < s->n_devices; i++) {
		json_object *d = json_object_new_object();
		char id[16];
		snprintf(id, sizeof(id), "%04x:%04x", s->devices[i].vendor, s->devices[i].device);
		json_object_object_add(d, "addr", json_object_new_string(s->devices[i].addr));
		json_object_object_add(d, "id", json_object_new_string(id));
		json_object_object_add(d, "driver", json_object_new_string(s->devices[i].driver));
		json_object_object_add(d, "override",
				       json_object_new_string(s->devices[i].override));
		json_object_array_add(list, d);
	}
	json_object_object_add(o, "devices", list);
	return o;
}

int vh_state_save(int dirfd, const struct vh_state *s, struct vh_err *err)
{
	char name[32];
	snprintf(name, sizeof(name), "%u.json", s->vmid);
	json_object *o = state_json(s);
	int rc = vh_write_atomic_at(dirfd, "/run/vfiohelp", name,
				    json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), err);
	json_object_put(o);
	return rc;
}

static int read_state_file(int dirfd, const char *name, char *buf, size_t size, struct vh_err *err)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return errno == ENOENT
			       ? 0
			       : vh_fail(err, "/run/vfiohelp/%s: %s", name, strerror(errno));
	struct stat st;
	ssize_t n = -1;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size < size)
		n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return vh_fail(err,
			       "/run/vfiohelp/%s is not a state file (not regular, or too large)",
			       name);
	buf[n] = '\0';
	return 1;
}

static bool valid_name_or_empty(const char *s)
{
	return !*s || vh_is_safe_component(s);
}

static bool string_member(json_object *o, const char *key, const char **out)
{
	json_object *v;
	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return false;
	*out = json_object_get_string(v);
	return true;
}

/* "vvvv:dddd" */
static int parse_id(const char *s, uint16_t *vendor, uint16_t *device)
{
	uint64_t v, d;
	if (strlen(s) != 9 || s[4] != ':' || vh_parse_hex(s, 4, 0xffff, &v) < 0 ||
	    vh_parse_hex(s + 5, 4, 0xffff, &d) < 0)
		return -1;
	*vendor = (uint16_t)v;
	*device = (uint16_t)d;
	return 0;
}

static int parse_state_device(json_object *d, struct vh_state_device *out)
{
	const char *as, *drv, *ov, *id;
	struct vh_pci_addr pa;
	if (!string_member(d, "addr", &as) || !string_member(d, "driver", &drv) ||
	    !string_member(d, "override", &ov) || !string_member(d, "id", &id) ||
	    vh_pci_addr_parse(as, strlen(as), &pa) < 0 || !pa.has_func ||
	    parse_id(id, &out->vendor, &out->device) < 0 || !valid_name_or_empty(drv) ||
	    !valid_name_or_empty(ov) || strlen(drv) >= sizeof(out->driver) ||
	    strlen(ov) >= sizeof(out->override))
		return -1;
	vh_pci_addr_format(&pa, out->addr);
	vh_strlcpy(out->driver, drv, sizeof(out->driver));
	vh_strlcpy(out->override, ov, sizeof(out->override));
	return 0;
}

static bool is_boot_id(const char *s)
{
	return strlen(s) < 40 && strspn(s, "0123456789abcdef-") == strlen(s);
}

int vh_state_parse(const char *text, size_t len, unsigned vmid, struct vh_state *s,
		   struct vh_err *err)
{
	memset(s, 0, sizeof(*s));
	struct json_tokener *tok = json_tokener_new();
	json_object *o = tok ? json_tokener_parse_ex(tok, text, (int)(len < INT32_MAX ? len : 0))
			     : NULL;
	json_object *v, *t, *list;
	const char *boot;
	bool ok = o && json_tokener_get_error(tok) == json_tokener_success &&
		  json_object_object_get_ex(o, "vmid", &v) &&
		  json_object_is_type(v, json_type_int) && json_object_get_int64(v) == vmid &&
		  json_object_object_get_ex(o, "time", &t) &&
		  json_object_is_type(t, json_type_int) && string_member(o, "boot_id", &boot) &&
		  is_boot_id(boot) && json_object_object_get_ex(o, "devices", &list) &&
		  json_object_is_type(list, json_type_array) &&
		  json_object_array_length(list) <= VH_STATE_MAX_DEVICES;
	if (ok) {
		s->vmid = vmid;
		s->time = json_object_get_int64(t);
		vh_strlcpy(s->boot_id, boot, sizeof(s->boot_id));
		s->n_devices = json_object_array_length(list);
		for (size_t i = 0; ok && i < s->n_devices; i++)
			ok = parse_state_device(json_object_array_get_idx(list, i),
						&s->devices[i]) == 0;
	}
	json_object_put(o);
	if (tok)
		json_tokener_free(tok);
	if (!ok) {
		memset(s, 0, sizeof(*s));
		return vh_fail(err, "not a state of VM %u", vmid);
	}
	return 0;
}

int vh_state_load(int dirfd, unsigned vmid, struct vh_state *s, struct vh_err *err)
{
	char name[32];
	char text[STATE_MAX_BYTES];
	snprintf(name, sizeof(name), "%u.json", vmid);
	memset(s, 0, sizeof(*s));
	int rc = read_state_file(dirfd, name, text, sizeof(text), err);
	if (rc <= 0)
		return rc;
	if (vh_state_parse(text, strlen(text), vmid, s, NULL) < 0)
		return vh_fail(err, "/run/vfiohelp/%s is corrupt; it was ignored", name);
	return 1;
}

size_t vh_state_others(int dirfd, unsigned self, unsigned *vmids, size_t max)
{
	int fd = dup(dirfd);
	DIR *dp = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;
	size_t n = 0;
	if (!dp) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	rewinddir(dp);
	while ((e = readdir(dp)) && n < max) {
		unsigned vmid;
		if (vh_vmid_file(e->d_name, ".json", &vmid) == 0 && vmid != self)
			vmids[n++] = vmid;
	}
	closedir(dp);
	return n;
}

void vh_boot_id(struct vh_host *h, char *buf, size_t size)
{
	char path[PATH_MAX];
	buf[0] = '\0';
	if (vh_host_path(h, path, sizeof(path), "/proc/sys/kernel/random/boot_id") < 0 ||
	    vh_read_attr(path, buf, size) < 0 || !is_boot_id(buf))
		buf[0] = '\0';
}

int vh_state_clear(int dirfd, unsigned vmid)
{
	char name[32];
	snprintf(name, sizeof(name), "%u.json", vmid);
	return unlinkat(dirfd, name, 0) < 0 && errno != ENOENT ? -1 : 0;
}

const struct vh_state_device *vh_state_find(const struct vh_state *s, const char *addr)
{
	for (size_t i = 0; i < s->n_devices; i++)
		if (!strcmp(s->devices[i].addr, addr))
			return &s->devices[i];
	return NULL;
}
