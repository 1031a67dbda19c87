/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The cluster's nodes as pmxcfs shows them: /etc/pve/.members (JSON:
 * nodename, cluster {name, quorate}, nodelist {NAME: {id, online, ip}}) and
 * the node directories under /etc/pve/nodes/, which hold every node that
 * ever joined: a removed node's directory stays until the admin deletes it,
 * so in a cluster only .members' nodelist counts (the nodelist is the
 * cluster's configuration: it holds without quorum too); without one (a
 * single node, pmxcfs -l) the directories do. A VM's owner is the node whose directory holds its config
 * (a migration renames it from one node's qemu-server/ to another's).
 */
#include "internal.h"
#include "base/array.h"
#include "cluster/cluster.h"
#include "host/system.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

static int node_order(const void *a, const void *b)
{
	return strcmp(((const struct vh_cluster_node *)a)->name,
		      ((const struct vh_cluster_node *)b)->name);
}

/* pve-common's node name: a DNS label. */
static bool node_name_valid(const char *s)
{
	size_t n = strlen(s);
	if (!n || n >= VH_NODE_MAX || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-'))
			return false;
	return true;
}

static struct vh_cluster_node *find_node(struct vh_cluster *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->nodes[i].name, name))
			return &c->nodes[i];
	return NULL;
}

static int add_node(struct vh_cluster *c, const char *name, int online)
{
	struct vh_cluster_node *n = find_node(c, name);
	if (n) {
		if (online >= 0)
			n->online = online;
		return 0;
	}
	if (!node_name_valid(name))
		return 0; /* not a node: a stray entry is not ours to judge */
	if (VH_ARRAY_ROOM(c->nodes, c->cap, c->n) < 0)
		return -1;
	n = &c->nodes[c->n++];
	vh_strlcpy(n->name, name, sizeof(n->name));
	n->online = online;
	return 0;
}

int vh_members_parse(const char *text, size_t len, struct vh_cluster *c, struct vh_err *err)
{
	json_tokener *tok = json_tokener_new();
	json_object *root = tok ? json_tokener_parse_ex(tok, text, (int)len) : NULL, *v, *cl, *list;
	if (tok)
		json_tokener_free(tok);
	if (!root || !json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		return vh_failc(err, EINVAL, ".members is not a JSON object");
	}
	if (json_object_object_get_ex(root, "nodename", &v) &&
	    json_object_is_type(v, json_type_string))
		vh_strlcpy(c->local, json_object_get_string(v), sizeof(c->local));
	c->clustered = json_object_object_get_ex(root, "cluster", &cl);
	c->quorate = !c->clustered ||
		     (json_object_object_get_ex(cl, "quorate", &v) && json_object_get_int(v) == 1);
	int rc = 0;
	if (json_object_object_get_ex(root, "nodelist", &list) &&
	    json_object_is_type(list, json_type_object)) {
		json_object_object_foreach(list, name, info)
		{
			json_object *on;
			int online = json_object_object_get_ex(info, "online", &on)
					     ? json_object_get_int(on) == 1
					     : -1;
			if (add_node(c, name, c->quorate ? online : -1) < 0)
				rc = vh_failc(err, ENOMEM, "out of memory");
		}
	}
	json_object_put(root);
	return rc;
}

static int add_node_dirs(struct vh_host *h, struct vh_cluster *c, struct vh_err *err)
{
	char dir[PATH_MAX];
	if (vh_host_path(h, dir, sizeof(dir), "/etc/pve/nodes") < 0)
		return vh_failc(err, ENAMETOOLONG, "/etc/pve/nodes: path too long");
	DIR *d = opendir(dir);
	if (!d)
		return vh_fail(err,
			       "cannot list %s: %s (is /etc/pve mounted? systemctl status "
			       "pve-cluster)",
			       dir, strerror(errno));
	struct dirent *e;
	int rc = 0;
	while ((e = readdir(d)) && rc == 0)
		if (e->d_name[0] != '.' && add_node(c, e->d_name, -1) < 0)
			rc = vh_failc(err, ENOMEM, "out of memory");
	closedir(d);
	return rc;
}

int vh_cluster_load(struct vh_host *h, struct vh_cluster *c, struct vh_err *err)
{
	char path[PATH_MAX], *text;
	size_t len;
	memset(c, 0, sizeof(*c));
	c->quorate = true;
	if (vh_host_path(h, path, sizeof(path), "/etc/pve/.members") == 0 &&
	    vh_slurp(path, 1u << 20, &text, &len) == 0) {
		int rc = vh_members_parse(text, len, c, err);
		free(text);
		if (rc < 0) {
			vh_cluster_free(c);
			return -1;
		}
	}
	if (!c->local[0] && vh_node_name(h, c->local, sizeof(c->local), err) < 0) {
		vh_cluster_free(c);
		return -1;
	}
	if ((!c->n && add_node_dirs(h, c, err) < 0) || add_node(c, c->local, -1) < 0) {
		vh_cluster_free(c);
		return -1;
	}
	/* the node this runs on answers, whatever .members says */
	find_node(c, c->local)->online = 1;
	qsort(c->nodes, c->n, sizeof(*c->nodes), node_order);
	return 0;
}

void vh_cluster_free(struct vh_cluster *c)
{
	free(c->nodes);
	c->nodes = NULL;
	c->n = c->cap = 0;
}

int vh_vm_owner(struct vh_host *h, const struct vh_cluster *c, unsigned vmid, char *owner,
		size_t size)
{
	for (size_t i = 0; i < c->n; i++) {
		char path[PATH_MAX];
		if (vh_host_path(h, path, sizeof(path), "/etc/pve/nodes/%s/qemu-server/%u.conf",
				 c->nodes[i].name, vmid) == 0 &&
		    vh_path_exists(path)) {
			vh_strlcpy(owner, c->nodes[i].name, size);
			return 0;
		}
	}
	return -1;
}
