/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The admin's policy, JSON, at /etc/pve/vfiohelp.json (pmxcfs, so one file
 * serves the cluster):
 *
 *   { "severity":  { "balloon-enabled": "info", "boot-vga": "error" },
 *     "post_stop": "keep" | "reset" | "return",
 *     "reset":     true,            reset the VM's devices at pre-start/post-stop
 *     "timeout_ms": 5000,           bound on each sysfs write that can block
 *     "guest": { "verify": true,    post-start asks the guest (hookctl guest)
 *                "wait_s": 300,     how long it waits for the agent's first answer
 *                "probes": [["docker", "exec", "emby", "nvidia-smi"]] },
 *     "vms": { "100": { ...the same keys but "vms"... } } }
 *
 * A VM's guest probes run after the global ones; its other guest keys
 * replace the global ones.
 * Unknown keys and values are errors: a typo must not silently mean the
 * default. A per-VM value wins over the global one.
 */
#include "internal.h"
#include "base/array.h"
#include "host/host.h"
#include "eval/policy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#define POLICY_MAX_BYTES (256u << 10)
#define DEFAULT_TIMEOUT_MS 10000u
#define MAX_SEVERITIES 64
#define DEFAULT_GUEST_WAIT_S 300u
#define MAX_GUEST_PROBES 16
#define MAX_PROBE_ARGS 32

struct severity_override {
	char id[40];
	enum vh_severity severity;
};

struct policy_scope {
	unsigned vmid; /* 0: global */
	size_t n_severities;
	struct severity_override severities[MAX_SEVERITIES];
	bool has_post_stop, has_reset, has_timeout;
	enum vh_post_stop post_stop;
	bool reset;
	unsigned timeout_ms;
	bool has_guest_verify, has_guest_wait;
	bool guest_verify;
	unsigned guest_wait_s;
	json_object *guest_probes; /* an array of argv arrays, checked; owned */
};

struct vh_policy {
	size_t n_scopes, cap_scopes; /* scopes[0] is global */
	struct policy_scope *scopes;
};

const char *vh_severity_name(enum vh_severity s)
{
	switch (s) {
	case VH_SEV_ERROR:
		return "error";
	case VH_SEV_WARN:
		return "warn";
	case VH_SEV_INFO:
		return "info";
	case VH_SEV_OFF:
		return "off";
	}
	return "?";
}

static int parse_severities(json_object *obj, struct policy_scope *sc, const char *where,
			    struct vh_err *err)
{
	if (!json_object_is_type(obj, json_type_object))
		return vh_fail(err, "%s.severity must be an object of finding id to severity",
			       where);
	json_object_object_foreach(obj, id, val)
	{
		const char *s = json_object_is_type(val, json_type_string)
					? json_object_get_string(val)
					: "";
		enum vh_severity sev;
		if (!strcmp(s, "error"))
			sev = VH_SEV_ERROR;
		else if (!strcmp(s, "warn"))
			sev = VH_SEV_WARN;
		else if (!strcmp(s, "info"))
			sev = VH_SEV_INFO;
		else if (!strcmp(s, "off"))
			sev = VH_SEV_OFF;
		else
			return vh_fail(err, "%s.severity.%s must be error, warn, info or off",
				       where, id);
		if (sc->n_severities == MAX_SEVERITIES ||
		    strlen(id) >= sizeof(sc->severities[0].id))
			return vh_fail(err, "%s.severity: too many or too long finding ids", where);
		vh_strlcpy(sc->severities[sc->n_severities].id, id, sizeof(sc->severities[0].id));
		sc->severities[sc->n_severities++].severity = sev;
	}
	return 0;
}

static int parse_post_stop(json_object *val, struct policy_scope *sc, const char *where,
			   struct vh_err *err)
{
	const char *s = json_object_is_type(val, json_type_string) ? json_object_get_string(val)
								   : "";
	if (!strcmp(s, "keep"))
		sc->post_stop = VH_POST_STOP_KEEP;
	else if (!strcmp(s, "reset"))
		sc->post_stop = VH_POST_STOP_RESET;
	else if (!strcmp(s, "return"))
		sc->post_stop = VH_POST_STOP_RETURN;
	else
		return vh_fail(err, "%s.post_stop must be keep, reset or return", where);
	sc->has_post_stop = true;
	return 0;
}

/* [["prog", "arg", ...], ...]: each probe a non-empty list of strings. */
static int parse_probes(json_object *val, struct policy_scope *sc, const char *where,
			struct vh_err *err)
{
	size_t n = json_object_is_type(val, json_type_array) ? json_object_array_length(val) : 0;
	if (!json_object_is_type(val, json_type_array) || n > MAX_GUEST_PROBES)
		return vh_fail(err, "%s.guest.probes must be a list of at most %d commands", where,
			       MAX_GUEST_PROBES);
	for (size_t i = 0; i < n; i++) {
		json_object *argv = json_object_array_get_idx(val, i);
		size_t argc = json_object_is_type(argv, json_type_array)
				      ? json_object_array_length(argv)
				      : 0;
		bool ok = argc > 0 && argc <= MAX_PROBE_ARGS;
		for (size_t j = 0; ok && j < argc; j++) {
			json_object *a = json_object_array_get_idx(argv, j);
			ok = json_object_is_type(a, json_type_string) &&
			     json_object_get_string_len(a) > 0;
		}
		if (!ok)
			return vh_fail(err,
				       "%s.guest.probes[%zu] must be a command as a list of 1 to %d "
				       "non-empty strings, e.g. [\"nvidia-smi\", \"-L\"]",
				       where, i, MAX_PROBE_ARGS);
	}
	json_object_put(sc->guest_probes);
	sc->guest_probes = json_object_get(val);
	return 0;
}

static int parse_guest(json_object *obj, struct policy_scope *sc, const char *where,
		       struct vh_err *err)
{
	if (!json_object_is_type(obj, json_type_object))
		return vh_fail(err, "%s.guest must be an object (verify, wait_s, probes)", where);
	json_object_object_foreach(obj, key, val)
	{
		if (!strcmp(key, "verify")) {
			if (!json_object_is_type(val, json_type_boolean))
				return vh_fail(err, "%s.guest.verify must be true or false", where);
			sc->guest_verify = json_object_get_boolean(val);
			sc->has_guest_verify = true;
		} else if (!strcmp(key, "wait_s")) {
			int64_t s = json_object_is_type(val, json_type_int)
					    ? json_object_get_int64(val)
					    : -1;
			if (s < 1 || s > 3600)
				return vh_fail(
					err,
					"%s.guest.wait_s must be a whole number from 1 to 3600",
					where);
			sc->guest_wait_s = (unsigned)s;
			sc->has_guest_wait = true;
		} else if (!strcmp(key, "probes")) {
			if (parse_probes(val, sc, where, err) < 0)
				return -1;
		} else {
			return vh_fail(err, "%s.guest: unknown key '%s'", where, key);
		}
	}
	return 0;
}

static int parse_scope(json_object *obj, struct policy_scope *sc, bool global, const char *where,
		       struct vh_policy *p, struct vh_err *err);

static int parse_vms(json_object *obj, struct vh_policy *p, struct vh_err *err)
{
	if (!json_object_is_type(obj, json_type_object))
		return vh_fail(err, "vms must be an object keyed by VMID");
	json_object_object_foreach(obj, key, val)
	{
		unsigned vmid;
		if (vh_vmid_parse(key, &vmid) < 0)
			return vh_fail(err, "vms: '%s' is not a VMID", key);
		if (VH_ARRAY_ROOM(p->scopes, p->cap_scopes, p->n_scopes) < 0)
			return vh_fail(err, "out of memory");
		struct policy_scope *sc = &p->scopes[p->n_scopes++];
		memset(sc, 0, sizeof(*sc));
		sc->vmid = vmid;
		char where[32];
		snprintf(where, sizeof(where), "vms.%u", vmid);
		if (parse_scope(val, sc, false, where, p, err) < 0)
			return -1;
	}
	return 0;
}

static int parse_scope(json_object *obj, struct policy_scope *sc, bool global, const char *where,
		       struct vh_policy *p, struct vh_err *err)
{
	if (!json_object_is_type(obj, json_type_object))
		return vh_fail(err, "%s must be a JSON object", where);
	json_object_object_foreach(obj, key, val)
	{
		int rc = 0;
		if (!strcmp(key, "severity"))
			rc = parse_severities(val, sc, where, err);
		else if (!strcmp(key, "post_stop"))
			rc = parse_post_stop(val, sc, where, err);
		else if (!strcmp(key, "reset")) {
			if (!json_object_is_type(val, json_type_boolean))
				return vh_fail(err, "%s.reset must be true or false", where);
			sc->reset = json_object_get_boolean(val);
			sc->has_reset = true;
		} else if (!strcmp(key, "timeout_ms")) {
			int64_t ms = json_object_is_type(val, json_type_int)
					     ? json_object_get_int64(val)
					     : -1;
			if (ms < 100 || ms > 600000)
				return vh_fail(
					err,
					"%s.timeout_ms must be a whole number from 100 to 600000",
					where);
			sc->timeout_ms = (unsigned)ms;
			sc->has_timeout = true;
		} else if (!strcmp(key, "guest")) {
			rc = parse_guest(val, sc, where, err);
		} else if (global && !strcmp(key, "vms")) {
			/* parsed after the global scope, which the realloc would move */
		} else {
			return vh_fail(err, "%s: unknown key '%s'", where, key);
		}
		if (rc < 0)
			return -1;
	}
	(void)p;
	return 0;
}

/* Line and column of a byte offset, for error messages. */
static void position(const char *text, size_t off, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && text[i]; i++) {
		if (text[i] == '\n')
			(*line)++, *col = 1;
		else
			(*col)++;
	}
}

static bool only_space(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!strchr(" \t\r\n", s[i]) || s[i] == '\0')
			return false;
	return true;
}

static json_object *parse_json(const char *path, const char *text, size_t len, struct vh_err *err)
{
	json_tokener *tok = json_tokener_new();
	if (!tok)
		return vh_fail(err, "out of memory"), NULL;
	json_object *root = json_tokener_parse_ex(tok, text, (int)len);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	size_t end = json_tokener_get_parse_end(tok);
	if (!root || jerr != json_tokener_success) {
		int line, col;
		position(text, end, &line, &col);
		vh_fail(err, "%s:%d:%d: not valid JSON: %s", path, line, col,
			jerr == json_tokener_continue ? "unexpected end of file"
						      : json_tokener_error_desc(jerr));
		json_object_put(root);
		root = NULL;
	} else if (!only_space(text + end, len - end)) {
		int line, col;
		position(text, end, &line, &col);
		vh_fail(err, "%s:%d:%d: text after the JSON object", path, line, col);
		json_object_put(root);
		root = NULL;
	}
	json_tokener_free(tok);
	return root;
}

static struct vh_policy *policy_empty(void)
{
	struct vh_policy *p = calloc(1, sizeof(*p));
	if (p && !(p->scopes = calloc(1, sizeof(*p->scopes)))) {
		free(p);
		return NULL;
	}
	if (p)
		p->n_scopes = p->cap_scopes = 1;
	return p;
}

struct vh_policy *vh_policy_parse(const char *name, const char *text, size_t len,
				  struct vh_err *err)
{
	if (len > POLICY_MAX_BYTES || len > INT32_MAX)
		return vh_fail(err, "policy %s: larger than 256 KiB", name), NULL;
	struct vh_policy *p = policy_empty();
	if (!p)
		return vh_fail(err, "out of memory"), NULL;
	json_object *root = parse_json(name, text, len, err);
	struct vh_err e;
	if (root && (parse_scope(root, &p->scopes[0], true, "policy", p, &e) < 0 ||
		     (json_object_object_get(root, "vms") &&
		      parse_vms(json_object_object_get(root, "vms"), p, &e) < 0))) {
		vh_failc(err, e.code, "policy %s: %s", name, e.msg);
		json_object_put(root);
		root = NULL;
	}
	if (!root) {
		vh_policy_free(p);
		return NULL;
	}
	json_object_put(root);
	return p;
}

struct vh_policy *vh_policy_load(struct vh_host *h, const char *path, struct vh_err *err)
{
	char resolved[PATH_MAX], *text;
	size_t len;
	if (!path && vh_host_path(h, resolved, sizeof(resolved), "/etc/pve/vfiohelp.json") < 0)
		return vh_fail(err, "path too long"), NULL;
	const char *file = path ? path : resolved;
	if (vh_slurp(file, POLICY_MAX_BYTES, &text, &len) < 0) {
		if (!path && errno == ENOENT)
			return policy_empty(); /* no policy file: the defaults */
		vh_fail(err, "policy %s: %s", file,
			errno == EFBIG ? "larger than 256 KiB" : strerror(errno));
		return NULL;
	}
	struct vh_policy *p = vh_policy_parse(file, text, len, err);
	free(text);
	return p;
}

void vh_policy_free(struct vh_policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_scopes; i++)
		json_object_put(p->scopes[i].guest_probes);
	free(p->scopes);
	free(p);
}

static const struct policy_scope *vm_scope(const struct vh_policy *p, unsigned vmid)
{
	for (size_t i = 1; p && i < p->n_scopes; i++)
		if (p->scopes[i].vmid == vmid)
			return &p->scopes[i];
	return NULL;
}

static bool scope_severity(const struct policy_scope *sc, const char *id, enum vh_severity *out)
{
	for (size_t i = 0; sc && i < sc->n_severities; i++)
		if (!strcmp(sc->severities[i].id, id)) {
			*out = sc->severities[i].severity;
			return true;
		}
	return false;
}

enum vh_severity vh_policy_severity(const struct vh_policy *p, unsigned vmid, const char *id,
				    enum vh_severity dflt)
{
	enum vh_severity s = dflt;
	if (!p || scope_severity(vm_scope(p, vmid), id, &s) ||
	    scope_severity(&p->scopes[0], id, &s))
		return s;
	return dflt;
}

/* The VM's scope if it sets the field, else the global one, else NULL. */
#define POLICY_PICK(p, vmid, field)                                              \
	(vm_scope(p, vmid) && vm_scope(p, vmid)->has_##field ? vm_scope(p, vmid) \
	 : (p) && (p)->scopes[0].has_##field                 ? &(p)->scopes[0]   \
							     : NULL)

enum vh_post_stop vh_policy_post_stop(const struct vh_policy *p, unsigned vmid)
{
	const struct policy_scope *sc = POLICY_PICK(p, vmid, post_stop);
	return sc ? sc->post_stop : VH_POST_STOP_KEEP;
}

bool vh_policy_reset(const struct vh_policy *p, unsigned vmid)
{
	const struct policy_scope *sc = POLICY_PICK(p, vmid, reset);
	return sc ? sc->reset : true;
}

unsigned vh_policy_timeout_ms(const struct vh_policy *p, unsigned vmid)
{
	const struct policy_scope *sc = POLICY_PICK(p, vmid, timeout);
	return sc ? sc->timeout_ms : DEFAULT_TIMEOUT_MS;
}

bool vh_policy_guest_verify(const struct vh_policy *p, unsigned vmid)
{
	const struct policy_scope *sc = POLICY_PICK(p, vmid, guest_verify);
	return sc ? sc->guest_verify : true;
}

unsigned vh_policy_guest_wait_s(const struct vh_policy *p, unsigned vmid)
{
	const struct policy_scope *sc = POLICY_PICK(p, vmid, guest_wait);
	return sc ? sc->guest_wait_s : DEFAULT_GUEST_WAIT_S;
}

static size_t probes_in(const struct policy_scope *sc)
{
	return sc && sc->guest_probes ? json_object_array_length(sc->guest_probes) : 0;
}

size_t vh_policy_guest_probe_count(const struct vh_policy *p, unsigned vmid)
{
	return p ? probes_in(&p->scopes[0]) + probes_in(vm_scope(p, vmid)) : 0;
}

size_t vh_policy_guest_probe(const struct vh_policy *p, unsigned vmid, size_t i, const char **argv,
			     size_t max)
{
	size_t global = p ? probes_in(&p->scopes[0]) : 0;
	const struct policy_scope *sc = i < global ? &p->scopes[0] : vm_scope(p, vmid);
	size_t at = i < global ? i : i - global;
	if (!max || at >= probes_in(sc))
		return 0;
	json_object *list = json_object_array_get_idx(sc->guest_probes, at);
	size_t argc = json_object_array_length(list);
	if (argc > max - 1)
		argc = max - 1;
	for (size_t j = 0; j < argc; j++)
		argv[j] = json_object_get_string(json_object_array_get_idx(list, j));
	argv[argc] = NULL;
	return argc;
}
