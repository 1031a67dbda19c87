/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Kernel modules through libkmod, pointed at <root>/lib/modules/<release>
 * and the root's modprobe.d directories.
 *
 * libkmod reads the absolute /proc/modules and /sys/module for the loaded
 * state, which cannot be pointed at a root; the library parses the root's
 * /proc/modules itself (grammar: "name size refcount deps state offset").
 */
#include "internal.h"
#include "host/facts.h"
#include "host/host.h"
#include "host/kmods.h"
#include "host/modconf.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libkmod.h>

int vh_host_kernel_release(struct vh_host *h, struct vh_err *err)
{
	if (h->kver[0])
		return 0;
	char path[PATH_MAX];
	if (vh_host_path(h, path, sizeof(path), "/proc/sys/kernel/osrelease") < 0 ||
	    vh_read_attr(path, h->kver, sizeof(h->kver)) < 0)
		return vh_fail(err, "cannot read the kernel release from %s", path);
	if (!vh_is_safe_component(h->kver)) {
		h->kver[0] = '\0';
		return vh_fail(err, "%s does not hold a kernel release", path);
	}
	return 0;
}

const char *const vh_vfio_modules[VH_VFIO_MODULE_COUNT] = { "vfio", "vfio_iommu_type1",
							    "vfio_pci" };

/* libkmod must not print into the task log: every line there starts with
 * "vfio-hook:". kmod_new parses modprobe.d, and logs its complaints (a
 * line it cannot parse) before a caller can lower the log priority; only
 * KMOD_LOG, read before that parse, silences them, so it is set for the
 * call and put back. */
static struct kmod_ctx *new_quiet_kmod(const char *dirname, const char *const *config)
{
	const char *was = getenv("KMOD_LOG");
	char *saved = was ? strdup(was) : NULL;
	setenv("KMOD_LOG", "0", 1);
	struct kmod_ctx *ctx = kmod_new(dirname, config);
	if (saved)
		setenv("KMOD_LOG", saved, 1);
	else
		unsetenv("KMOD_LOG");
	free(saved);
	if (ctx)
		kmod_set_log_priority(ctx, 0);
	return ctx;
}

struct kmod_ctx *vh_kmod(struct vh_host *h, struct vh_err *err)
{
	if (h->kmod)
		return h->kmod;
	if (vh_host_kernel_release(h, err) < 0)
		return NULL;
	/* libkmod's own defaults, each under the root. */
	static const char *const conf[] = { "/etc/modprobe.d", "/run/modprobe.d",
					    "/usr/local/lib/modprobe.d", "/lib/modprobe.d" };
	char dirname[PATH_MAX], paths[VH_ARRAY_SIZE(conf)][PATH_MAX];
	const char *config[VH_ARRAY_SIZE(conf) + 1];
	if (vh_host_path(h, dirname, sizeof(dirname), "/lib/modules/%s", h->kver) < 0) {
		vh_fail(err, "module directory path too long");
		return NULL;
	}
	for (size_t i = 0; i < VH_ARRAY_SIZE(conf); i++) {
		if (vh_host_path(h, paths[i], sizeof(paths[i]), "%s", conf[i]) < 0) {
			vh_fail(err, "modprobe.d path too long");
			return NULL;
		}
		config[i] = paths[i];
	}
	config[VH_ARRAY_SIZE(conf)] = NULL;
	h->kmod = new_quiet_kmod(dirname, config);
	if (!h->kmod) {
		vh_fail(err, "libkmod cannot open %s", dirname);
		return NULL;
	}
	return h->kmod;
}

static int read_proc_modules(struct vh_host *h, struct vh_err *err)
{
	if (h->proc_modules)
		return 0;
	char path[PATH_MAX];
	if (vh_host_path(h, path, sizeof(path), "/proc/modules") < 0)
		return vh_fail(err, "path too long");
	if (vh_slurp(path, 4u << 20, &h->proc_modules, NULL) < 0) {
		if (errno != ENOENT)
			return vh_fail(err, "%s: %s", path, strerror(errno));
		h->proc_modules = strdup(""); /* a kernel without loadable modules */
		if (!h->proc_modules)
			return vh_fail(err, "out of memory");
	}
	return 0;
}

void vh_kmods_forget_loaded(struct vh_host *h)
{
	free(h->proc_modules);
	h->proc_modules = NULL;
}

/* Module names compare with '-' and '_' as the same character. */
static bool module_name_equal(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);
	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++) {
		char x = a[i] == '-' ? '_' : a[i], y = b[i] == '-' ? '_' : b[i];
		if (x != y)
			return false;
	}
	return true;
}

int vh_module_loaded(struct vh_host *h, const char *name, bool *loaded, struct vh_err *err)
{
	if (h->facts) {
		*loaded = vh_facts_module(h->facts, name) == VH_MOD_LOADED;
		return 0;
	}
	if (read_proc_modules(h, err) < 0)
		return -1;
	*loaded = false;
	/* The kernel lists a loaded module in /sys/module too (so does a
	 * built-in one with parameters): either way it need not be loaded. */
	char path[PATH_MAX], under[64];
	vh_strlcpy(under, name, sizeof(under));
	for (char *p = under; *p; p++)
		if (*p == '-')
			*p = '_';
	if (vh_is_safe_component(under) &&
	    vh_host_path(h, path, sizeof(path), "/sys/module/%s", under) == 0 &&
	    vh_path_exists(path)) {
		*loaded = true;
		return 0;
	}
	*loaded = vh_proc_modules_has(h->proc_modules, strlen(h->proc_modules), name);
	return 0;
}

bool vh_proc_modules_has(const char *text, size_t len, const char *name)
{
	const char *end = text + len;
	for (const char *line = text; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *eol = nl ? nl : end;
		size_t n = 0;
		while (line + n < eol && line[n] != ' ')
			n++;
		if (n && module_name_equal(line, n, name))
			return true;
		line = eol + 1;
	}
	return false;
}

bool vh_kmod_indexed(struct vh_host *h)
{
	char path[PATH_MAX];
	return vh_host_kernel_release(h, NULL) == 0 &&
	       vh_host_path(h, path, sizeof(path), "/lib/modules/%s/modules.dep.bin", h->kver) ==
		       0 &&
	       vh_path_exists(path);
}

enum vh_module_state vh_module_state(struct vh_host *h, const char *name, struct vh_err *err)
{
	bool loaded;
	if (h->facts)
		return vh_facts_module(h->facts, name);
	if (vh_module_loaded(h, name, &loaded, err) < 0)
		return VH_MOD_ERROR;
	if (loaded)
		return VH_MOD_LOADED;
	struct kmod_ctx *ctx = vh_kmod(h, err);
	if (!ctx)
		return VH_MOD_ERROR;
	struct kmod_module *mod;
	if (kmod_module_new_from_name(ctx, name, &mod) < 0)
		return VH_MOD_MISSING;
	enum vh_module_state st = VH_MOD_MISSING;
	/* A .ko in modules.dep: available. Otherwise ask whether it is built
	 * in; libkmod answers that from modules.builtin under the root before
	 * it would look at the absolute /sys/module (whose answer is unused). */
	if (kmod_module_get_path(mod))
		st = VH_MOD_AVAILABLE;
	else if (kmod_module_get_initstate(mod) == KMOD_MODULE_BUILTIN)
		st = VH_MOD_BUILTIN;
	kmod_module_unref(mod);
	return st;
}

int vh_modalias_drivers(struct vh_host *h, const char *modalias, char names[][64], size_t max,
			size_t *count, struct vh_err *err)
{
	*count = 0;
	struct kmod_ctx *ctx = vh_kmod(h, err);
	if (!ctx)
		return -1;
	struct kmod_list *list = NULL, *it;
	if (kmod_module_new_from_lookup(ctx, modalias, &list) < 0)
		return vh_fail(err, "libkmod cannot look up %s", modalias);
	kmod_list_foreach(it, list)
	{
		struct kmod_module *mod = kmod_module_get_module(it);
		const char *name = kmod_module_get_name(mod);
		/* vfio-pci's catch-all alias is the passthrough driver, not a host
		 * driver; a module matching through two aliases counts once. */
		bool seen = module_name_equal(name, strlen(name), "vfio_pci");
		for (size_t i = 0; i < *count && !seen; i++)
			seen = module_name_equal(name, strlen(name), names[i]);
		if (*count < max && !seen)
			vh_strlcpy(names[(*count)++], name, 64);
		kmod_module_unref(mod);
	}
	kmod_module_unref_list(list);
	return 0;
}

bool vh_module_blacklisted(struct vh_host *h, const char *name)
{
	struct kmod_ctx *ctx = vh_kmod(h, NULL);
	if (!ctx)
		return false;
	bool found = false;
	struct kmod_config_iter *it = kmod_config_get_blacklists(ctx);
	while (it && kmod_config_iter_next(it))
		if (module_name_equal(kmod_config_iter_get_key(it),
				      strlen(kmod_config_iter_get_key(it)), name))
			found = true;
	kmod_config_iter_free_iter(it);
	return found;
}

bool vh_vfio_ids_has(const char *ids, size_t len, uint16_t vendor, uint16_t device)
{
	for (const char *p = ids; p < ids + len;) {
		size_t n = strcspn(p, ",");
		if (n > (size_t)(ids + len - p))
			n = (size_t)(ids + len - p);
		uint64_t v, d;
		const char *colon = memchr(p, ':', n);
		if (colon && vh_parse_hex(p, (size_t)(colon - p), 0xffffffff, &v) == 0) {
			size_t dn = strcspn(colon + 1, ":, \t");
			if (vh_parse_hex(colon + 1, dn, 0xffffffff, &d) == 0 &&
			    (v == vendor || v == 0xffffffff) && (d == device || d == 0xffffffff))
				return true;
		}
		p += n + 1;
	}
	return false;
}

/* The last "ids=" word of one options value; false when it has none. */
static bool last_ids_word(const char *options, const char **val, size_t *len)
{
	bool found = false;
	for (const char *p = options; *p;) {
		p += strspn(p, " \t");
		size_t n = strcspn(p, " \t");
		if (n >= 4 && !strncmp(p, "ids=", 4)) {
			*val = p + 4;
			*len = n - 4;
			found = true;
		}
		p += n;
	}
	return found;
}

int vh_vfio_ids_effective(struct vh_host *h, char *out, size_t size)
{
	struct kmod_ctx *ctx = vh_kmod(h, NULL);
	if (!ctx)
		return -1;
	int found = 0;
	out[0] = '\0';
	struct kmod_config_iter *it = kmod_config_get_options(ctx);
	while (it && kmod_config_iter_next(it)) {
		const char *mod = kmod_config_iter_get_key(it), *val;
		size_t len;
		if (module_name_equal(mod, strlen(mod), "vfio_pci") &&
		    last_ids_word(kmod_config_iter_get_value(it), &val, &len)) {
			found = vh_format(out, size, "%.*s", (int)len, val) < 0 ? -1 : 1;
			if (found < 0)
				break;
		}
	}
	kmod_config_iter_free_iter(it);
	return found;
}

bool vh_vfio_ids_claim(struct vh_host *h, uint16_t vendor, uint16_t device)
{
	char ids[1024];
	return vh_vfio_ids_effective(h, ids, sizeof(ids)) > 0 &&
	       vh_vfio_ids_has(ids, strlen(ids), vendor, device);
}

/* libkmod's configuration directories, in its order of precedence. */
static const char *const modprobe_dirs[] = { "/etc/modprobe.d", "/run/modprobe.d",
					     "/usr/local/lib/modprobe.d", "/lib/modprobe.d" };

static int name_cmp(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

/* The *.conf names of every modprobe.d directory, sorted as libkmod reads
 * them (a name in an earlier directory hides the same name in a later one:
 * the caller takes the first directory that has it). */
static size_t modprobe_conf_names(struct vh_host *h, char names[][128], size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < VH_ARRAY_SIZE(modprobe_dirs); i++) {
		char dir[PATH_MAX];
		if (vh_host_path(h, dir, sizeof(dir), "%s", modprobe_dirs[i]) < 0)
			continue;
		DIR *d = opendir(dir);
		for (struct dirent *e; d && n < max && (e = readdir(d));) {
			size_t l = strlen(e->d_name);
			bool dup = false;
			for (size_t k = 0; k < n && !dup; k++)
				dup = !strcmp(names[k], e->d_name);
			if (!dup && e->d_name[0] != '.' && l > 5 && l < 128 &&
			    !strcmp(e->d_name + l - 5, ".conf") && vh_is_safe_component(e->d_name))
				vh_strlcpy(names[n++], e->d_name, 128);
		}
		if (d)
			closedir(d);
	}
	qsort(names, n, 128, name_cmp);
	return n;
}

/* The file libkmod reads for a name: the first directory that has it. */
static char *modprobe_conf_text(struct vh_host *h, const char *name, char *abs, size_t size,
				size_t *len)
{
	for (size_t i = 0; i < VH_ARRAY_SIZE(modprobe_dirs); i++) {
		char path[PATH_MAX], *text = NULL;
		if (vh_format(abs, size, "%s/%s", modprobe_dirs[i], name) < 0 ||
		    vh_host_path(h, path, sizeof(path), "%s", abs) < 0 || !vh_path_exists(path))
			continue;
		return vh_slurp(path, 1u << 20, &text, len) == 0 ? text : NULL;
	}
	return NULL;
}

int vh_vfio_ids_site(struct vh_host *h, const char *value, struct vh_ids_site *out)
{
	char names[256][128];
	size_t n = modprobe_conf_names(h, names, 256);
	int found = 0;
	for (size_t i = 0; i < n; i++) {
		char abs[300];
		size_t len, off, vlen;
		char *text = modprobe_conf_text(h, names[i], abs, sizeof(abs), &len);
		if (text && vh_modprobe_vfio_ids_at(text, len, &off, &vlen)) {
			/* a later file's ids= that is not the effective one: not found */
			found = vlen == strlen(value) && !memcmp(text + off, value, vlen) &&
				vh_format(out->path, sizeof(out->path), "%s", abs) >= 0;
			out->off = off;
			out->len = vlen;
		}
		free(text);
	}
	return found;
}

bool vh_module_option(struct vh_host *h, const char *module, const char *param, char *value,
		      size_t size)
{
	struct kmod_ctx *ctx = vh_kmod(h, NULL);
	if (!ctx)
		return false;
	size_t plen = strlen(param);
	bool found = false;
	struct kmod_config_iter *it = kmod_config_get_options(ctx);
	while (it && kmod_config_iter_next(it)) {
		const char *mod = kmod_config_iter_get_key(it);
		if (!module_name_equal(mod, strlen(mod), module))
			continue;
		/* The last option line wins, as modprobe applies them in order. */
		for (const char *o = kmod_config_iter_get_value(it); *o;) {
			o += strspn(o, " \t");
			size_t n = strcspn(o, " \t");
			if (n > plen && !strncmp(o, param, plen) && o[plen] == '=') {
				size_t vlen = n - plen - 1 < size - 1 ? n - plen - 1 : size - 1;
				memcpy(value, o + plen + 1, vlen);
				value[vlen] = '\0';
				found = true;
			}
			o += n;
		}
	}
	kmod_config_iter_free_iter(it);
	return found;
}

bool vh_module_exists(struct vh_host *h, const char *name)
{
	struct kmod_ctx *ctx = vh_kmod(h, NULL);
	if (!ctx)
		return false;
	struct kmod_list *list = NULL;
	if (kmod_module_new_from_lookup(ctx, name, &list) < 0)
		return false;
	bool found = list != NULL;
	kmod_module_unref_list(list);
	return found;
}

int vh_etc_modules(struct vh_host *h, struct vh_etc_module *out, size_t max, size_t *count,
		   struct vh_err *err)
{
	char path[PATH_MAX], *text;
	*count = 0;
	if (vh_host_path(h, path, sizeof(path), "/etc/modules") < 0)
		return vh_fail(err, "path too long");
	if (vh_slurp(path, 1u << 20, &text, NULL) < 0)
		return errno == ENOENT ? 0 : vh_fail(err, "%s: %s", path, strerror(errno));
	int lineno = 0;
	for (char *line = text, *next; line && *count < max; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		char *l = vh_strip(line);
		/* systemd-modules-load: '#' and ';' start comments; the first word is the module */
		if (!*l || *l == '#' || *l == ';')
			continue;
		l[strcspn(l, " \t")] = '\0';
		if (!vh_is_safe_component(l))
			continue;
		out[*count].line = lineno;
		vh_strlcpy(out[*count].name, l, sizeof(out[*count].name));
		(*count)++;
	}
	free(text);
	return 0;
}

int vh_module_load(struct vh_host *h, const char *name, struct vh_err *err)
{
	if (!h->live)
		return vh_fail(err, "cannot load %s: %s is a host tree, not the running system",
			       name, vh_host_root(h));
	struct kmod_ctx *ctx = vh_kmod(h, err);
	if (!ctx)
		return -1;
	struct kmod_module *mod;
	if (kmod_module_new_from_name(ctx, name, &mod) < 0)
		return vh_fail(err, "libkmod does not know module %s", name);
	/* Resolves dependencies and softdeps, applies modprobe.d options and
	 * refuses blacklisted aliases, like modprobe. An "install" command in
	 * modprobe.d would run through a shell: the hook never runs one, so
	 * such a module is loaded as if the command were not there. */
	int rc = kmod_module_probe_insert_module(mod,
						 KMOD_PROBE_APPLY_BLACKLIST_ALIAS_ONLY |
							 KMOD_PROBE_IGNORE_COMMAND,
						 NULL, NULL, NULL, NULL);
	kmod_module_unref(mod);
	vh_kmods_forget_loaded(h);
	if (rc < 0 && rc != -EEXIST)
		return vh_fail(err, "loading %s failed: %s", name, strerror(-rc));
	if (rc > 0)
		return vh_fail(err, "%s is blacklisted in modprobe.d", name);
	return 0;
}
