/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The cluster as /etc/pve shows it to one node: its nodes and whether each
 * is online (members.c), the node that owns a VM's config, and the nodes
 * HA may start a VM on (ha.c).
 */
#ifndef VFIOHELP_CLUSTER_H
#define VFIOHELP_CLUSTER_H

#include "internal.h"

#define VH_NODE_MAX 64 /* a node name is a DNS label: at most 63 */

struct vh_cluster_node {
	char name[VH_NODE_MAX];
	int online; /* 1, 0, or -1: not known (no quorum, not in .members) */
};

struct vh_cluster {
	char local[VH_NODE_MAX];       /* .members' nodename, else /etc/hostname's */
	bool clustered;                /* .members has a cluster section */
	bool quorate;                  /* ... saying quorate: 1 (a single node is) */
	struct vh_cluster_node *nodes; /* sorted by name */
	size_t n, cap;
};

/* The nodes: .members' nodelist, or without one (no cluster) every
 * directory under /etc/pve/nodes/. online only from a quorate .members:
 * without quorum the file keeps the last state it knew (proxmox-facts.md). */
int vh_cluster_load(struct vh_host *h, struct vh_cluster *c, struct vh_err *err);
void vh_cluster_free(struct vh_cluster *c);
/* The text-level parser of .members (text[0..len)). */
int vh_members_parse(const char *text, size_t len, struct vh_cluster *c, struct vh_err *err);

/* The node whose directory holds qemu-server/<vmid>.conf; -1 when none. */
int vh_vm_owner(struct vh_host *h, const struct vh_cluster *c, unsigned vmid, char *owner,
		size_t size);

/* What HA does with a VM (ha/resources.cfg; PVE 8 ha/groups.cfg, PVE 9
 * ha/rules.cfg node-affinity rules). */
struct vh_ha {
	bool managed; /* a vm: section whose state is not "ignored" */
	char state[32];
	char why[256];              /* which group or rule decides, and how */
	bool any_node;              /* unrestricted group, non-strict rule, or none */
	char (*nodes)[VH_NODE_MAX]; /* the group's or rule's nodes */
	size_t n_nodes;
};

/* HA's view of VM vmid among the cluster's nodes. */
int vh_ha_load(struct vh_host *h, const struct vh_cluster *c, unsigned vmid, struct vh_ha *out,
	       struct vh_err *err);
void vh_ha_free(struct vh_ha *ha);
/* HA may start (or recover) the VM on node. */
bool vh_ha_allows(const struct vh_ha *ha, const char *node);
/* The text-level parsers: resources.cfg's section of vm vmid, a group's
 * nodes and restricted flag, the node-affinity rule naming vm:vmid. */
int vh_ha_parse(const char *resources, const char *groups, const char *rules,
		const struct vh_cluster *c, unsigned vmid, struct vh_ha *out, struct vh_err *err);

#endif
