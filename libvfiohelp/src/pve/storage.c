/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /etc/pve/storage.cfg, pve-storage's section config (PVE::SectionConfig):
 * a "TYPE: ID" header line, then indented "KEY VALUE" lines up to a blank
 * line; '#' lines are comments. hookctl install reads it for the directory
 * whose snippets/ gets the hook, so the text is an admin's and a path built
 * from it is checked before it is used.
 */
#include "internal.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define STORAGE_CFG_MAX_BYTES (1u << 20)

static bool is_lower_alpha(char c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

/* pve-storage's pve-storage-id: a letter, then letters, digits, - _ . */
bool vh_storage_id_valid(const char *s)
{
	size_t n = strlen(s);
	if (n < 2 || n > 64 || !is_lower_alpha(*s))
		return false;
	for (const char *p = s; *p; p++)
		if (!is_lower_alpha(*p) && !(*p >= '0' && *p <= '9') && !strchr("-_.", *p))
			return false;
	return true;
}

/* "TYPE: ID" as SectionConfig reads a header: ^(\S+):\s*(\S+)\s*$ */
static bool parse_header(const char *line, size_t len, struct vh_storage *st)
{
	size_t type_len = strcspn(line, ": \t");
	if (!type_len || type_len >= len || line[type_len] != ':')
		return false;
	const char *id = line + type_len + 1;
	id += strspn(id, " \t");
	size_t id_len = strcspn(id, " \t");
	if (!id_len || id[id_len + strspn(id + id_len, " \t")] != '\0')
		return false;
	if (type_len >= sizeof(st->type) || id_len >= sizeof(st->id))
		return false;
	memcpy(st->type, line, type_len);
	st->type[type_len] = '\0';
	memcpy(st->id, id, id_len);
	st->id[id_len] = '\0';
	return true;
}

static bool list_has(const char *list, const char *word)
{
	size_t len = strlen(word);
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");
		if (n == len && !strncmp(p, word, n))
			return true;
		p += n + (p[n] == ',');
	}
	return false;
}

/* "\tKEY VALUE" as SectionConfig reads a property: ^\s+(\S+)(\s+(.*\S))?\s*$;
 * the value runs to the end of the line, spaces included. */
static void parse_property(const char *line, struct vh_storage *st)
{
	const char *key = line + strspn(line, " \t");
	size_t key_len = strcspn(key, " \t");
	const char *value = key + key_len + strspn(key + key_len, " \t");
	/* a cut path would name another directory: none at all, then */
	if (key_len == 4 && !strncmp(key, "path", 4)) {
		st->path_too_long = strlen(value) >= sizeof(st->path);
		vh_strlcpy(st->path, st->path_too_long ? "" : value, sizeof(st->path));
	} else if (key_len == 7 && !strncmp(key, "content", 7))
		st->snippets = list_has(value, "snippets");
}

/* One line without its newline and trailing blanks, in a buffer of its own
 * (a line longer than that is cut: no key this parser reads is so long). */
static const char *next_line(const char **p, const char *end, char *buf, size_t size)
{
	if (*p >= end)
		return NULL;
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t n = (size_t)((nl ? nl : end) - *p);
	size_t keep = n < size - 1 ? n : size - 1;
	memcpy(buf, *p, keep);
	buf[keep] = '\0';
	while (keep && (buf[keep - 1] == ' ' || buf[keep - 1] == '\t' || buf[keep - 1] == '\r'))
		buf[--keep] = '\0';
	*p += n + (nl != NULL);
	return buf;
}

int vh_storage_parse(const char *text, size_t len, const char *id, struct vh_storage *out)
{
	const char *p = text, *end = text + len, *line;
	char buf[VH_STORAGE_PATH_MAX + 64];
	struct vh_storage cur;
	bool in = false;
	memset(out, 0, sizeof(*out));
	while ((line = next_line(&p, end, buf, sizeof(buf)))) {
		if (line[0] == '#')
			continue;
		if (!line[0]) {
			in = false; /* a blank line ends a section */
		} else if (line[0] != ' ' && line[0] != '\t') {
			memset(&cur, 0, sizeof(cur));
			/* SectionConfig keeps the first of two sections with one id */
			in = parse_header(line, strlen(line), &cur) && !strcmp(cur.id, id) &&
			     !out->id[0];
			if (in)
				*out = cur;
		} else if (in) {
			parse_property(line, out);
		}
	}
	return out->id[0] ? 0 : -1;
}

/* An absolute path without ".." or control characters: it is joined under
 * --root and shown in messages. */
static bool is_storage_path(const char *p)
{
	size_t n = strlen(p);
	if (p[0] != '/' || strstr(p, "/../") || (n >= 3 && !strcmp(p + n - 3, "/..")))
		return false;
	for (const unsigned char *c = (const unsigned char *)p; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			return false;
	return true;
}

/* Proxmox mounts network storages at /mnt/pve/ID when they name no path. */
static void default_path(struct vh_storage *st)
{
	if (!st->path[0] &&
	    (!strcmp(st->type, "nfs") || !strcmp(st->type, "cifs") || !strcmp(st->type, "cephfs")))
		snprintf(st->path, sizeof(st->path), "/mnt/pve/%s", st->id);
}

int vh_storage_snippets_dir(struct vh_host *h, const char *id, char *out, size_t size,
			    struct vh_err *err)
{
	char cfg[PATH_MAX];
	char *text;
	size_t len;
	struct vh_storage st;
	if (!vh_storage_id_valid(id))
		return vh_fail(err, "'%s' is not a storage id", id);
	if (vh_host_path(h, cfg, sizeof(cfg), "/etc/pve/storage.cfg") < 0)
		return vh_fail(err, "path too long under %s", vh_host_root(h));
	if (vh_slurp(cfg, STORAGE_CFG_MAX_BYTES, &text, &len) < 0) {
		if (errno != ENOENT || strcmp(id, "local"))
			return vh_fail(err, "cannot read %s: %s", cfg, strerror(errno));
		vh_strlcpy(out, "/var/lib/vz", size); /* a fresh node's local storage */
		return 0;
	}
	int found = vh_storage_parse(text, len, id, &st);
	free(text);
	if (found == 0 && !st.path_too_long)
		default_path(&st);
	if (found < 0 || !st.path[0] || !is_storage_path(st.path))
		return vh_fail(err, "storage '%s' is not a directory storage in %s", id, cfg);
	if (!st.snippets)
		return vh_fail(err,
			       "storage '%s' does not hold snippets; enable it with: "
			       "pvesm set %s --content <current>,snippets",
			       id, id);
	if (strlen(st.path) >= size)
		return vh_fail(err, "storage '%s': path too long", id);
	vh_strlcpy(out, st.path, size);
	return 0;
}
