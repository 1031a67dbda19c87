/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A node's passthrough inventory: its host facts (host/facts.h) taken from
 * the live host and written as JSON (inventory.c), published to the cluster
 * file system (publish.c), and read back from another node's file
 * (inventory_read.c).
 */
#ifndef VFIOHELP_INVENTORY_H
#define VFIOHELP_INVENTORY_H

#include "internal.h"

struct vh_facts;

/* pmxcfs refuses a file over 1 MiB (EFBIG, leaving it cut). */
#define VH_INVENTORY_MAX (1024 * 1024)
#define VH_INVENTORY_FILE "vfiohelp-inventory.json"
/* The JSON's "format": a reader refuses another. */
#define VH_INVENTORY_FORMAT 1

struct vh_inventory {
	struct vh_facts *facts;
};

/* The names the JSON gives enum values, by value (inventory.c), for the
 * writer and the reader (inventory_read.c) alike. */
#define VH_INV_MODULE_STATES 4 /* VH_MOD_MISSING .. VH_MOD_BUILTIN */
#define VH_INV_CPU_NAMES 3
#define VH_INV_UNSAFE_SOURCES 3
extern const char *const vh_inv_module_states[VH_INV_MODULE_STATES];
extern const char *const vh_inv_cpu_names[VH_INV_CPU_NAMES];
extern const char *const vh_inv_unsafe_sources[VH_INV_UNSAFE_SOURCES];
/* The hugepage sizes the inventory carries, in MiB (facts.h's order). */
extern const unsigned vh_inv_hugepage_mib[2];

/* The inventory's JSON; without its "made_at" for telling whether it changed. */
struct json_object;
struct json_object *vh_inventory_json(const struct vh_inventory *inv, bool with_time);

/* A digest of what changes on a running node (the bus's functions, which
 * driver holds which, modules, running VMs, reservations, memory, boot id),
 * read without reading each device: equal digests, and the inventory has
 * not changed the ways a running node changes it. */
int vh_inventory_signature(struct vh_host *h, char *out, size_t size);

/* This node's published inventory, made now (the hook patches the VMs
 * that hold devices into it); NULL when there is none that parses. */
struct vh_inventory *vh_inventory_published(struct vh_host *h, struct vh_err *err);

/* Facts from an inventory's JSON text; NULL with err naming what is wrong. */
struct vh_facts *vh_facts_parse(const char *text, size_t len, const char *origin,
				struct vh_err *err);

#endif
