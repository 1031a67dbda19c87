/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guest agent's client (agent.h). The wire: one JSON object per line
 * each way. A request is a 0xFF byte (the schema's advice: it makes the
 * agent drop a half request an earlier client left), guest-sync-delimited
 * with a fresh id, and the command, in one write. The agent answers in
 * order: whatever earlier clients were owed, a parse error for the 0xFF,
 * then 0xFF and {"return": id}, then the command's reply. Everything before
 * our own delimited id is dropped.
 */
#include "internal.h"
#include "guest/agent.h"
#include "guest/wire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define EXEC_POLL_FIRST_MS 50
#define EXEC_POLL_MAX_MS 250

int vh_agent_init(struct vh_agent *a, struct vh_host *h, unsigned vmid, struct vh_err *err)
{
	memset(a, 0, sizeof(*a));
	a->hold_ms = VH_AGENT_HOLD_MS;
	if (vh_host_path(h, a->path, sizeof(a->path), "/var/run/qemu-server/%u.qga", vmid) < 0)
		return vh_failc(err, ENAMETOOLONG, "the agent socket's path is too long");
	return 0;
}

/* A sync id no earlier client used: random, as the schema asks. */
static int64_t fresh_id(void)
{
	uint32_t v = 0;
	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v))
		v = (uint32_t)time(NULL) ^ ((uint32_t)getpid() << 16) ^ (uint32_t)clock();
	return (int64_t)(v & 0x7fffffff) + 1;
}

static char *request(const char *command, json_object *args, int64_t id)
{
	json_object *sync = json_object_new_object(), *sargs = json_object_new_object();
	json_object_object_add(sargs, "id", json_object_new_int64(id));
	json_object_object_add(sync, "execute", json_object_new_string("guest-sync-delimited"));
	json_object_object_add(sync, "arguments", sargs);
	json_object *cmd = NULL;
	if (command) {
		cmd = json_object_new_object();
		json_object_object_add(cmd, "execute", json_object_new_string(command));
		if (args)
			json_object_object_add(cmd, "arguments", json_object_get(args));
	}
	const char *s1 = json_object_to_json_string_ext(sync, JSON_C_TO_STRING_PLAIN);
	const char *s2 = cmd ? json_object_to_json_string_ext(cmd, JSON_C_TO_STRING_PLAIN) : "";
	char *text = NULL;
	if (asprintf(&text, "\xff%s\n%s%s", s1, s2, cmd ? "\n" : "") < 0)
		text = NULL;
	json_object_put(sync);
	json_object_put(cmd);
	return text;
}

static bool is_our_sync(json_object *o, int64_t id)
{
	json_object *r;
	return json_object_is_type(o, json_type_object) &&
	       json_object_object_get_ex(o, "return", &r) &&
	       json_object_is_type(r, json_type_int) && json_object_get_int64(r) == id;
}

/* Reads until our own delimited sync reply; every other reply is stale. */
static int await_sync(struct vh_wire *w, int64_t id, struct vh_err *err)
{
	for (;;) {
		json_object *o;
		if (vh_wire_seek_delim(w, err) < 0)
			return -1;
		if (vh_wire_next(w, &o, err) < 0) {
			if (err && err->code == EPROTO)
				continue; /* garbage after a stray delimiter: keep looking */
			return -1;
		}
		bool ours = is_our_sync(o, id);
		json_object_put(o);
		if (ours)
			return 0;
	}
}

/* The agent's error object: {"class": "...", "desc": "..."}. */
static int agent_error(const char *command, json_object *e, struct vh_err *err)
{
	json_object *c, *d;
	if (!json_object_is_type(e, json_type_object) ||
	    !json_object_object_get_ex(e, "class", &c) || !json_object_is_type(c, json_type_string))
		return vh_failc(err, EPROTO, "%s: an error reply without a class", command);
	const char *cls = json_object_get_string(c);
	const char *desc = json_object_object_get_ex(e, "desc", &d) &&
					   json_object_is_type(d, json_type_string)
				   ? json_object_get_string(d)
				   : "";
	/* qemu-ga answers a command blocked by --block-rpcs (or not on its
	 * --allow-rpcs list) with CommandNotFound "... has been disabled" */
	if (!strcmp(cls, "CommandNotFound") || strstr(desc, "disabled"))
		return vh_failc(err, ENOTSUP, "the guest agent refuses %s: %s (%s)", command, desc,
				cls);
	return vh_failc(err, EREMOTEIO, "the guest agent's %s failed: %s (%s)", command, desc, cls);
}

static int read_reply(struct vh_wire *w, const char *command, json_object **ret, struct vh_err *err)
{
	json_object *o, *v;
	if (vh_wire_next(w, &o, err) < 0)
		return -1;
	int rc = 0;
	if (!json_object_is_type(o, json_type_object))
		rc = vh_failc(err, EPROTO, "%s: the reply is not a JSON object", command);
	else if (json_object_object_get_ex(o, "return", &v))
		*ret = json_object_get(v);
	else if (json_object_object_get_ex(o, "error", &v))
		rc = agent_error(command, v, err);
	else
		rc = vh_failc(err, EPROTO, "%s: a reply with neither return nor error", command);
	json_object_put(o);
	return rc;
}

int vh_agent_call(struct vh_agent *a, const char *command, json_object *args, json_object **ret,
		  struct vh_err *err)
{
	if (ret)
		*ret = NULL;
	int64_t id = fresh_id();
	char *text = request(command, args, id);
	if (!text)
		return vh_failc(err, ENOMEM, "out of memory");
	struct vh_wire w;
	int rc = vh_wire_open(&w, a->path, a->hold_ms, err);
	if (rc == 0)
		rc = vh_wire_send(&w, text, strlen(text), err);
	if (rc == 0)
		rc = await_sync(&w, id, err);
	if (rc == 0 && command) {
		json_object *r = NULL;
		rc = read_reply(&w, command, &r, err);
		if (ret)
			*ret = r;
		else
			json_object_put(r);
	}
	if (w.opened_ms) {
		long held = vh_wire_close(&w);
		a->connections++;
		if (held > a->max_hold_ms)
			a->max_hold_ms = held;
	} else {
		vh_wire_close(&w);
	}
	free(text);
	return rc;
}

/* ---- guest-exec ---- */

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

int vh_base64_decode(const char *in, size_t len, char **out, size_t *out_len)
{
	char *buf = malloc(len / 4 * 3 + 4);
	if (!buf)
		return -1;
	size_t n = 0, pad = 0;
	unsigned acc = 0, bits = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c == '\n' || c == '\r')
			continue;
		int v = c == '=' ? 0 : b64_value(c);
		if (v < 0 || (pad && c != '=')) {
			free(buf);
			return -1;
		}
		pad += c == '=';
		acc = (acc << 6) | (unsigned)v;
		if ((bits += 6) >= 8) {
			bits -= 8;
			buf[n++] = (char)((acc >> bits) & 0xff);
		}
	}
	if (pad > 2 || pad > n) {
		free(buf);
		return -1;
	}
	n -= pad; /* each '=' stood for one byte that is not there */
	buf[n] = '\0';
	*out = buf;
	*out_len = n;
	return 0;
}

static json_object *exec_args(const char *const *argv)
{
	json_object *o = json_object_new_object(), *arg = json_object_new_array();
	for (size_t i = 1; argv[i]; i++)
		json_object_array_add(arg, json_object_new_string(argv[i]));
	json_object_object_add(o, "path", json_object_new_string(argv[0]));
	json_object_object_add(o, "arg", arg);
	json_object_object_add(o, "capture-output", json_object_new_boolean(1));
	return o;
}

static bool get_field(json_object *o, const char *key, json_type type, json_object **v)
{
	return json_object_object_get_ex(o, key, v) && json_object_is_type(*v, type);
}

/* One stream of a guest-exec-status reply: absent is empty. */
static int decode_stream(json_object *st, const char *key, char **out, size_t *len,
			 struct vh_err *err)
{
	json_object *v;
	if (!json_object_object_get_ex(st, key, &v)) {
		*len = 0;
		return (*out = calloc(1, 1)) ? 0 : vh_failc(err, ENOMEM, "out of memory");
	}
	if (!json_object_is_type(v, json_type_string) ||
	    vh_base64_decode(json_object_get_string(v), (size_t)json_object_get_string_len(v), out,
			     len) < 0)
		return vh_failc(err, EPROTO, "guest-exec-status: %s is not base64", key);
	return 0;
}

/* {"exited": bool, "exitcode"|"signal": int, "out-data", "err-data", "*-truncated"} */
static int parse_status(json_object *st, struct vh_agent_exec *res, struct vh_err *err)
{
	json_object *v;
	if (!json_object_is_type(st, json_type_object) ||
	    !get_field(st, "exited", json_type_boolean, &v))
		return vh_failc(err, EPROTO, "guest-exec-status: no \"exited\" in the reply");
	if (!(res->exited = json_object_get_boolean(v)))
		return 0;
	res->exitcode = -1;
	if (get_field(st, "exitcode", json_type_int, &v))
		res->exitcode = (int)json_object_get_int64(v);
	else if (get_field(st, "signal", json_type_int, &v))
		res->signal = (int)json_object_get_int64(v);
	else
		return vh_failc(err, EPROTO,
				"guest-exec-status: exited without exitcode or signal");
	res->truncated = (get_field(st, "out-truncated", json_type_boolean, &v) &&
			  json_object_get_boolean(v)) ||
			 (get_field(st, "err-truncated", json_type_boolean, &v) &&
			  json_object_get_boolean(v));
	if (decode_stream(st, "out-data", &res->out, &res->out_len, err) < 0 ||
	    decode_stream(st, "err-data", &res->err, &res->err_len, err) < 0)
		return -1;
	return 0;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static int start_exec(struct vh_agent *a, const char *const *argv, int64_t *pid, struct vh_err *err)
{
	json_object *args = exec_args(argv), *ret = NULL, *v;
	int rc = vh_agent_call(a, "guest-exec", args, &ret, err);
	json_object_put(args);
	if (rc == 0 && !(json_object_is_type(ret, json_type_object) &&
			 get_field(ret, "pid", json_type_int, &v)))
		rc = vh_failc(err, EPROTO, "guest-exec: no \"pid\" in the reply");
	if (rc == 0)
		*pid = json_object_get_int64(v);
	json_object_put(ret);
	return rc;
}

int vh_agent_exec(struct vh_agent *a, const char *const *argv, unsigned limit_ms,
		  struct vh_agent_exec *res, struct vh_err *err)
{
	memset(res, 0, sizeof(*res));
	int64_t pid = 0;
	long long deadline = vh_wire_now_ms() + limit_ms;
	if (start_exec(a, argv, &pid, err) < 0)
		return -1;
	json_object *args = json_object_new_object();
	json_object_object_add(args, "pid", json_object_new_int64(pid));
	/* qm guest exec polls once a second; a probe is short, so sooner first */
	unsigned pause = EXEC_POLL_FIRST_MS;
	int rc = 0;
	while (rc == 0 && !res->exited) {
		if (vh_wire_now_ms() + pause > deadline) {
			rc = vh_failc(err, ETIMEDOUT,
				      "%s still runs in the guest after %u ms (pid %lld)", argv[0],
				      limit_ms, (long long)pid);
			break;
		}
		sleep_ms(pause);
		pause = pause * 2 > EXEC_POLL_MAX_MS ? EXEC_POLL_MAX_MS : pause * 2;
		json_object *st = NULL;
		rc = vh_agent_call(a, "guest-exec-status", args, &st, err);
		if (rc == 0)
			rc = parse_status(st, res, err);
		json_object_put(st);
	}
	json_object_put(args);
	if (rc < 0)
		vh_agent_exec_free(res);
	return rc;
}

void vh_agent_exec_free(struct vh_agent_exec *res)
{
	free(res->out);
	free(res->err);
	res->out = res->err = NULL;
	res->out_len = res->err_len = 0;
}
