/*
 * Publishing a node's inventory to /etc/pve/nodes/NODE/ as pmxcfs wants a
 * file written: pmxcfs stores the whole file again on every write() and
 * replicates it to every node, refuses a file over 1 MiB (EFBIG, leaving
 * it cut) and refuses every change without quorum (EACCES: dcdb.c). So the
 * file is written only when its content, the time left out, changed; as a
 * temporary file written with one write() and renamed over the old one.
 */
#include "internal.h"
#include "cluster/inventory.h"
#include "host/facts.h"
#include "host/host.h"

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
