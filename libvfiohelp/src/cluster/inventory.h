/*
 * A node's passthrough inventory (inventory.c): its host facts (host/facts.h)
 * taken from the live host, written as JSON to the cluster file system, and
 * read back from another node's file.
 */
#ifndef VFIOHELP_INVENTORY_H
#define VFIOHELP_INVENTORY_H

#include "internal.h"

struct vh_facts;

/* pmxcfs refuses a file over 1 MiB (EFBIG, leaving it cut). */
#define VH_INVENTORY_MAX (1024 * 1024)
#define VH_INVENTORY_FILE "vfiohelp-inventory.json"

struct vh_inventory {
	struct vh_facts *facts;
};

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
