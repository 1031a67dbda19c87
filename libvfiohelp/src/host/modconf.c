/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The boot-time configuration grammars (modconf.h): what libkmod,
 * systemd-modules-load and GRUB's shell-sourced defaults make of a file.
 * Pure text in, facts out: the checks and the setup planner share them.
 */
#include "internal.h"
#include "host/modconf.h"
#include "host/system.h"

#include <string.h>

/* ---- logical lines ---- */

/* The next physical line of text[*pos..len): its bounds, and *pos past it. */
static bool next_line(const char *text, size_t len, size_t *pos, const char **line, size_t *n)
{
	if (*pos >= len)
		return false;
	const char *start = text + *pos;
	const char *nl = memchr(start, '\n', len - *pos);
	*n = nl ? (size_t)(nl - start) : len - *pos;
	*line = start;
	*pos += *n + (nl != NULL);
	return true;
}

/* The words of line[0..n) split at blanks into words[] (each NUL-terminated
 * copy in buf); returns how many, at most max. */
static size_t split_words(const char *line, size_t n, char *buf, size_t size, char **words,
			  size_t max)
{
	size_t count = 0, used = 0;
	for (size_t i = 0; i < n && count < max;) {
		while (i < n && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
			i++;
		size_t w = 0;
		while (i + w < n && line[i + w] != ' ' && line[i + w] != '\t' &&
		       line[i + w] != '\r')
			w++;
		if (!w || used + w + 1 > size)
			break;
		memcpy(buf + used, line + i, w);
		buf[used + w] = '\0';
		words[count++] = buf + used;
		used += w + 1;
		i += w;
	}
	return count;
}

/* libkmod joins a line ending in a backslash with the next one; the joined
 * text goes to buf (cut at size: a line that long is no passthrough line). */
static bool next_logical_line(const char *text, size_t len, size_t *pos, int *lineno, char *buf,
			      size_t size, size_t *n, int *first)
{
	const char *l;
	size_t ln;
	*n = 0;
	*first = *lineno + 1;
	bool any = false;
	while (next_line(text, len, pos, &l, &ln)) {
		any = true;
		(*lineno)++;
		bool cont = ln && l[ln - 1] == '\\';
		size_t take = ln - cont;
		if (*n + take + 1 < size) {
			memcpy(buf + *n, l, take);
			*n += take;
		}
		if (!cont)
			break;
		if (*n + 1 < size)
			buf[(*n)++] = ' ';
	}
	buf[*n] = '\0';
	return any;
}

/* ---- modprobe.d ---- */

/* How many words after the command libkmod requires, 0 when it does not know the command. */
static size_t modprobe_arity(const char *cmd)
{
	static const struct {
		const char *cmd;
		size_t words;
	} cmds[] = { { "alias", 2 },  { "blacklist", 1 }, { "options", 2 }, { "install", 2 },
		     { "remove", 2 }, { "softdep", 2 },   { "weakdep", 2 } };
	for (size_t i = 0; i < VH_ARRAY_SIZE(cmds); i++)
		if (!strcmp(cmd, cmds[i].cmd))
			return cmds[i].words;
	return 0;
}

/* Why libkmod drops this line, or NULL when it takes it. */
static const char *modprobe_line_fault(char **w, size_t nw, char *why, size_t size)
{
	size_t need = modprobe_arity(w[0]);
	if (!need && !strncmp(w[0], "ids=", 4))
		snprintf(why, size,
			 "'%.40s' stands on a line of its own: libkmod drops it (ids= belongs "
			 "on the 'options vfio-pci' line)",
			 w[0]);
	else if (!need && (!strcmp(w[0], "include") || !strcmp(w[0], "config")))
		snprintf(why, size, "'%s' is not parsed by libkmod any more", w[0]);
	else if (!need)
		snprintf(why, size, "'%.40s' is no modprobe.d command", w[0]);
	else if (nw - 1 < need)
		snprintf(why, size, "'%s' needs %s", w[0],
			 need == 1 ? "a module name" : "a module name and what follows it");
	else
		return NULL;
	return why;
}

size_t vh_modprobe_bad_lines(const char *text, size_t len, struct vh_bad_line *out, size_t max)
{
	char buf[4096], words[4096], *w[4];
	size_t pos = 0, n, found = 0;
	int lineno = 0, first;
	while (next_logical_line(text, len, &pos, &lineno, buf, sizeof(buf), &n, &first)) {
		size_t nw = split_words(buf, n, words, sizeof(words), w, VH_ARRAY_SIZE(w));
		if (!nw || w[0][0] == '#')
			continue;
		char why[160];
		if (!modprobe_line_fault(w, nw, why, sizeof(why)))
			continue;
		if (found < max) {
			out[found].line = first;
			vh_strlcpy(out[found].why, why, sizeof(out[found].why));
		}
		found++;
	}
	return found < max ? found : max;
}

/* "options" then the module (vfio-pci or vfio_pci) at the start of a line. */
static bool vfio_options_line(const char *l, size_t n, size_t *rest)
{
	size_t i = 0;
	while (i < n && (l[i] == ' ' || l[i] == '\t'))
		i++;
	if (n - i < 8 || strncmp(l + i, "options", 7) || (l[i + 7] != ' ' && l[i + 7] != '\t'))
		return false;
	i += 7;
	while (i < n && (l[i] == ' ' || l[i] == '\t'))
		i++;
	if (n - i < 8 || (strncmp(l + i, "vfio-pci", 8) && strncmp(l + i, "vfio_pci", 8)) ||
	    (i + 8 < n && l[i + 8] != ' ' && l[i + 8] != '\t'))
		return false;
	*rest = i + 8;
	return true;
}

bool vh_modprobe_vfio_ids_at(const char *text, size_t len, size_t *off, size_t *vlen)
{
	const char *l;
	size_t pos = 0, n, rest;
	bool found = false;
	while (next_line(text, len, &pos, &l, &n)) {
		if (!vfio_options_line(l, n, &rest))
			continue;
		for (size_t i = rest; i < n;) {
			while (i < n && (l[i] == ' ' || l[i] == '\t' || l[i] == '\r'))
				i++;
			size_t w = 0;
			while (i + w < n && l[i + w] != ' ' && l[i + w] != '\t' && l[i + w] != '\r')
				w++;
			if (w >= 4 && !strncmp(l + i, "ids=", 4)) {
				*off = (size_t)(l + i + 4 - text);
				*vlen = w - 4;
				found = true;
			}
			i += w;
		}
	}
	return found;
}

bool vh_modprobe_has_directives(const char *text, size_t len)
{
	char buf[4096], words[4096], *w[2];
	size_t pos = 0, n;
	int lineno = 0, first;
	while (next_logical_line(text, len, &pos, &lineno, buf, sizeof(buf), &n, &first)) {
		size_t nw = split_words(buf, n, words, sizeof(words), w, VH_ARRAY_SIZE(w));
		if (nw && w[0][0] != '#' && (modprobe_arity(w[0]) || !strncmp(w[0], "ids=", 4)))
			return true;
	}
	return false;
}

/* ---- modules-load.d ---- */

size_t vh_modules_load_lines(const char *text, size_t len, struct vh_modules_line *out, size_t max)
{
	const char *l;
	size_t ln, pos = 0, count = 0;
	int lineno = 0;
	while (count < max && next_line(text, len, &pos, &l, &ln)) {
		lineno++;
		char words[1024], *w[2];
		size_t nw = split_words(l, ln, words, sizeof(words), w, VH_ARRAY_SIZE(w));
		if (!nw || w[0][0] == '#' || w[0][0] == ';')
			continue;
		struct vh_modules_line *m = &out[count++];
		m->line = lineno;
		vh_strlcpy(m->name, w[0], sizeof(m->name));
		m->why[0] = '\0';
		if (nw > 1)
			vh_strlcpy(m->why,
				   "carries arguments: systemd-modules-load looks the whole line up "
				   "as one name and loads nothing",
				   sizeof(m->why));
		else if (!vh_is_safe_component(w[0]) || strlen(w[0]) >= sizeof(m->name))
			vh_strlcpy(m->why, "is no module name", sizeof(m->why));
	}
	return count;
}

/* ---- GRUB defaults ---- */

static void append(char *dst, size_t size, const char *s, size_t n)
{
	size_t used = strlen(dst);
	if (used + n >= size)
		n = used < size - 1 ? size - 1 - used : 0;
	memcpy(dst + used, s, n);
	dst[used + n] = '\0';
}

/* $NAME or ${NAME} at v[0] == '$': appends its value; returns the bytes used. */
static size_t expand(const char *v, size_t n, const char *linux_, const char *dflt, char *out,
		     size_t size)
{
	size_t i = 1;
	bool brace = i < n && v[i] == '{';
	i += brace;
	size_t s = i;
	while (i < n && (v[i] == '_' || (v[i] >= 'A' && v[i] <= 'Z') ||
			 (v[i] >= 'a' && v[i] <= 'z') || (v[i] >= '0' && v[i] <= '9')))
		i++;
	size_t nl = i - s;
	if (brace && (i >= n || v[i] != '}')) {
		append(out, size, "$", 1); /* no expansion the shell would accept: literal */
		return 1;
	}
	if (!nl) {
		append(out, size, "$", 1);
		return 1;
	}
	const char *name = v + s;
	if (nl == 26 && !strncmp(name, "GRUB_CMDLINE_LINUX_DEFAULT", 26))
		append(out, size, dflt, strlen(dflt));
	else if (nl == 18 && !strncmp(name, "GRUB_CMDLINE_LINUX", 18))
		append(out, size, linux_, strlen(linux_));
	return i + brace; /* any other variable: empty, as in a fresh shell */
}

/* The shell word at v[0..n) with quotes removed and the two variables expanded. */
static void shell_word(const char *v, size_t n, const char *linux_, const char *dflt, char *out,
		       size_t size)
{
	out[0] = '\0';
	char quote = 0;
	for (size_t i = 0; i < n;) {
		char c = v[i];
		if (!quote && (c == ' ' || c == '\t' || c == ';' || c == '#'))
			break;
		if (quote != '\'' && c == '$') {
			i += expand(v + i, n - i, linux_, dflt, out, size);
			continue;
		}
		if ((!quote && (c == '"' || c == '\'')) || c == quote) {
			quote = quote ? 0 : c;
			i++;
			continue;
		}
		if (quote != '\'' && c == '\\' && i + 1 < n)
			c = v[++i];
		append(out, size, &c, 1);
		i++;
	}
}

void vh_grub_defaults_apply(const char *text, size_t len, char *linux_, char *dflt, size_t size)
{
	const char *l;
	size_t ln, pos = 0;
	while (next_line(text, len, &pos, &l, &ln)) {
		while (ln && (*l == ' ' || *l == '\t'))
			l++, ln--;
		if (ln > 7 && !strncmp(l, "export ", 7))
			l += 7, ln -= 7;
		char *target = NULL;
		size_t k = 0;
		if (ln > 27 && !strncmp(l, "GRUB_CMDLINE_LINUX_DEFAULT=", 27))
			target = dflt, k = 27;
		else if (ln > 19 && !strncmp(l, "GRUB_CMDLINE_LINUX=", 19))
			target = linux_, k = 19;
		if (!target)
			continue;
		char value[VH_CMDLINE_MAX];
		shell_word(l + k, ln - k, linux_, dflt, value,
			   size < sizeof(value) ? size : sizeof(value));
		vh_strlcpy(target, value, size);
	}
}

/* ---- kernel options that matter to passthrough ---- */

static bool relevant_key(const char *w, size_t n)
{
	static const char *const keys[] = { "intel_iommu",
					    "amd_iommu",
					    "iommu",
					    "iommu.passthrough",
					    "iommu.strict",
					    "pcie_acs_override",
					    "initcall_blacklist",
					    "video",
					    "nofb",
					    "nomodeset",
					    "modprobe.blacklist",
					    "module_blacklist",
					    "intremap",
					    "efifb",
					    "sysfb_init" };
	static const char *const prefixes[] = { "vfio-pci.", "vfio_pci.", "vfio_iommu_type1.",
						"vfio." };
	size_t k = 0;
	while (k < n && w[k] != '=')
		k++;
	for (size_t i = 0; i < VH_ARRAY_SIZE(keys); i++)
		if (strlen(keys[i]) == k && !strncmp(w, keys[i], k))
			return true;
	for (size_t i = 0; i < VH_ARRAY_SIZE(prefixes); i++)
		if (!strncmp(w, prefixes[i], strlen(prefixes[i])) && k > strlen(prefixes[i]))
			return true;
	return false;
}

void vh_cmdline_relevant(const char *cmdline, char *out, size_t size)
{
	out[0] = '\0';
	for (const char *p = cmdline; *p;) {
		p += strspn(p, " \t\n");
		size_t n = strcspn(p, " \t\n");
		if (n && relevant_key(p, n)) {
			if (out[0])
				append(out, size, " ", 1);
			append(out, size, p, n);
		}
		p += n;
	}
}

static bool has_word(const char *list, const char *w, size_t n)
{
	for (const char *p = list; *p;) {
		p += strspn(p, " ");
		size_t m = strcspn(p, " ");
		if (m == n && !strncmp(p, w, n))
			return true;
		p += m;
	}
	return false;
}

void vh_words_missing(const char *a, const char *b, char *out, size_t size)
{
	out[0] = '\0';
	for (const char *p = a; *p;) {
		p += strspn(p, " ");
		size_t n = strcspn(p, " ");
		if (n && !has_word(b, p, n) && !has_word(out, p, n)) {
			if (out[0])
				append(out, size, " ", 1);
			append(out, size, p, n);
		}
		p += n;
	}
}
