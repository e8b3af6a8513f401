/*
 * decode.c — request bodies and arguments, which are outside bytes: the
 * JSON of /api/ask, /api/login, the admin routes (users, groups, tokens,
 * provider suspensions), /mcp, /v1/chat/completions and /v1/embeddings (jansson, which
 * rejects invalid UTF-8 and bounds nesting), integers, the listen address,
 * file paths and search filters. Everything type-checked and capped;
 * anything else is CR_ECORRUPT with the reason (fuzz/fuzz_server.c).
 */
#include "server_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define QUESTION_MAX (64 << 10)
#define TEXT_MAX (1 << 20)

static cr_err parse(const char *p, size_t n, json_t **out, cr_msg *m)
{
	json_error_t je;
	json_t *j = json_loadb(p, n, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		return cr_fail(m, CR_ECORRUPT, "malformed JSON: %s (line %d, column %d)", je.text, je.line, je.column);
	if (!json_is_object(j)) {
		json_decref(j);
		return cr_fail(m, CR_ECORRUPT, "the body must be a JSON object");
	}
	*out = j;
	return CR_OK;
}

/* A string member: absent gives NULL; a string is copied (NUL bytes refused). */
static cr_err get_str(json_t *o, const char *key, cr_arena *a, size_t max, const char **out, cr_msg *m)
{
	json_t *v = json_object_get(o, key);
	*out = NULL;
	if (!v || json_is_null(v))
		return CR_OK;
	if (!json_is_string(v))
		return cr_fail(m, CR_ECORRUPT, "\"%s\" must be a string", key);
	size_t len = json_string_length(v);
	const char *s = json_string_value(v);
	if (len > max)
		return cr_fail(m, CR_ECORRUPT, "\"%s\" is over %zu bytes", key, max);
	if (memchr(s, 0, len))
		return cr_fail(m, CR_ECORRUPT, "\"%s\" contains a NUL character", key);
	if (!(*out = cr_arena_strndup(a, s, len)))
		return cr_fail(m, CR_ENOMEM, "out of memory");
	return CR_OK;
}

static cr_err get_bool(json_t *o, const char *key, int *out, cr_msg *m)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return CR_OK;
	if (!json_is_boolean(v))
		return cr_fail(m, CR_ECORRUPT, "\"%s\" must be true or false", key);
	*out = json_is_true(v);
	return CR_OK;
}

static cr_err get_int(json_t *o, const char *key, long lo, long hi, int *out, cr_msg *m)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return CR_OK;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return cr_fail(m, CR_ECORRUPT, "\"%s\" must be an integer from %ld to %ld", key, lo, hi);
	*out = (int)json_integer_value(v);
	return CR_OK;
}

/* Compact JSON text of a member, in the arena (NULL when absent). */
static cr_err get_json_text(json_t *v, cr_arena *a, const char **out, cr_msg *m)
{
	*out = NULL;
	if (!v || json_is_null(v))
		return CR_OK;
	char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!t)
		return cr_fail(m, CR_ENOMEM, "out of memory");
	*out = cr_arena_strdup(a, t);
	free(t);
	return *out ? CR_OK : cr_fail(m, CR_ENOMEM, "out of memory");
}

cr_err srv_decode_ask(const char *p, size_t n, cr_arena *a, srv_ask_req *out, cr_msg *m)
{
	memset(out, 0, sizeof *out);
	json_t *j;
	cr_err e = parse(p, n, &j, m);
	if (e)
		return e;
	if (!(e = get_str(j, "question", a, QUESTION_MAX, &out->question, m)) && !out->question)
		e = get_str(j, "q", a, QUESTION_MAX, &out->question, m);
	if (!e && (!out->question || !out->question[strspn(out->question, " \t\r\n")]))
		e = cr_fail(m, CR_ECORRUPT, "\"question\" is required and must not be empty");
	if (!e)
		e = get_int(j, "k", 1, 100, &out->k, m);
	if (!e)
		e = get_bool(j, "stream", &out->stream, m);
	if (!e)
		e = get_str(j, "provider", a, 256, &out->provider, m);
	if (!e)
		e = get_bool(j, "extractive", &out->extractive, m);
	json_decref(j);
	return e;
}

cr_err srv_decode_login(const char *p, size_t n, cr_arena *a, srv_login_req *out, cr_msg *m)
{
	memset(out, 0, sizeof *out);
	json_t *j;
	cr_err e = parse(p, n, &j, m);
	if (e)
		return e;
	if (!(e = get_str(j, "user", a, 64, &out->user, m)) && (!out->user || !*out->user))
		e = cr_fail(m, CR_ECORRUPT, "\"user\" is required");
	if (!e && !(e = get_str(j, "password", a, 4096, &out->password, m)) && (!out->password || !*out->password))
		e = cr_fail(m, CR_ECORRUPT, "\"password\" is required");
	json_decref(j);
	return e;
}

static const char *const admin_keys[][7] = {
	[SRV_ADMIN_USER] = {"name", "role", "tenant", "groups", "password", "emails", NULL},
	[SRV_ADMIN_GROUP] = {"name", NULL},
	[SRV_ADMIN_TOKEN] = {"user", "label", "days", NULL},
	[SRV_ADMIN_SUSPEND] = {"reason", NULL},
	[SRV_ADMIN_USER_SET] = {"role", "groups", "emails", NULL},
	[SRV_ADMIN_PASSWORD] = {"current", "new", NULL},
};

/* "groups": an array of at most SRV_ADMIN_MAX_GROUPS names of 1 to 64 bytes. */
static cr_err get_groups(json_t *v, cr_arena *a, srv_admin_req *out, cr_msg *m)
{
	if (!json_is_array(v) || json_array_size(v) > SRV_ADMIN_MAX_GROUPS)
		return cr_fail(m, CR_ECORRUPT, "\"groups\" must be an array of at most %d names", SRV_ADMIN_MAX_GROUPS);
	size_t i;
	json_t *g;
	json_array_foreach(v, i, g)
	{
		const char *s = json_string_value(g);
		size_t len = json_string_length(g);
		if (!s || !len || len > 64 || memchr(s, 0, len))
			return cr_fail(m, CR_ECORRUPT, "\"groups\" must hold names of 1 to 64 bytes");
		if (!(out->groups[out->n_groups++] = cr_arena_strndup(a, s, len)))
			return cr_fail(m, CR_ENOMEM, "out of memory");
	}
	return CR_OK;
}

/* "emails": an array of at most SRV_ADMIN_MAX_EMAILS addresses, each
 * normalised (cr_email_norm: lower case, no display name); a duplicate once. */
static cr_err get_emails(json_t *v, cr_arena *a, srv_admin_req *out, cr_msg *m)
{
	if (!json_is_array(v) || json_array_size(v) > SRV_ADMIN_MAX_EMAILS)
		return cr_fail(m, CR_ECORRUPT, "\"emails\" must be an array of at most %d addresses", SRV_ADMIN_MAX_EMAILS);
	size_t i;
	json_t *x;
	json_array_foreach(v, i, x)
	{
		const char *s = json_string_value(x);
		char norm[CR_EMAIL_MAX];
		size_t len = s ? cr_email_norm(s, json_string_length(x), norm, sizeof norm) : 0;
		if (!len)
			return cr_fail(m, CR_ECORRUPT, "\"emails\" must hold plain addresses (name@example.com)");
		uint32_t k = 0;
		while (k < out->n_emails && strcmp(out->emails[k], norm))
			k++;
		if (k < out->n_emails)
			continue;
		if (!(out->emails[out->n_emails++] = cr_arena_strndup(a, norm, len)))
			return cr_fail(m, CR_ENOMEM, "out of memory");
	}
	return CR_OK;
}

static cr_err need(const char *v, const char *key, cr_msg *m)
{
	return v && *v ? CR_OK : cr_fail(m, CR_ECORRUPT, "\"%s\" is required and must not be empty", key);
}

cr_err srv_decode_admin(const char *p, size_t n, srv_admin_kind kind, cr_arena *a, srv_admin_req *out, cr_msg *m)
{
	memset(out, 0, sizeof *out);
	if ((unsigned)kind > SRV_ADMIN_PASSWORD)
		return cr_fail(m, CR_EINVAL, "no such body kind");
	json_t *j, *v;
	cr_err e = parse(p, n, &j, m);
	if (e)
		return e;
	const char *key;
	json_object_foreach(j, key, v)
	{
		size_t i = 0;
		while (admin_keys[kind][i] && strcmp(admin_keys[kind][i], key))
			i++;
		if (!admin_keys[kind][i]) {
			e = cr_fail(m, CR_ECORRUPT, "unknown member \"%.64s\"", key);
			goto out;
		}
	}
	switch (kind) {
	case SRV_ADMIN_USER:
		if (!(e = get_str(j, "name", a, 64, &out->name, m)))
			e = need(out->name, "name", m);
		if (!e)
			e = get_str(j, "role", a, 16, &out->role, m);
		if (!e)
			e = get_str(j, "tenant", a, 64, &out->tenant, m);
		if (!e && out->tenant && !*out->tenant)
			out->tenant = NULL;
		if (!e && !(e = get_str(j, "password", a, 4096, &out->password, m)) && out->password &&
		    strlen(out->password) < 8)
			e = cr_fail(m, CR_ECORRUPT, "\"password\" must have at least 8 bytes");
		if (!e && (v = json_object_get(j, "groups")) && !json_is_null(v))
			e = get_groups(v, a, out, m);
		if (!e && (v = json_object_get(j, "emails")) && !json_is_null(v))
			e = get_emails(v, a, out, m);
		break;
	case SRV_ADMIN_USER_SET:
		if (!(e = get_str(j, "role", a, 16, &out->role, m)) && (v = json_object_get(j, "groups")) &&
		    !json_is_null(v)) {
			out->set_groups = 1;
			e = get_groups(v, a, out, m);
		}
		if (!e && (v = json_object_get(j, "emails")) && !json_is_null(v)) {
			out->set_emails = 1;
			e = get_emails(v, a, out, m);
		}
		if (!e && !out->role && !out->set_groups && !out->set_emails)
			e = cr_fail(m, CR_ECORRUPT, "nothing to change: give \"role\", \"groups\" or \"emails\"");
		break;
	case SRV_ADMIN_PASSWORD:
		if (!(e = get_str(j, "current", a, 4096, &out->password, m)))
			e = need(out->password, "current", m);
		if (!e && !(e = get_str(j, "new", a, 4096, &out->new_password, m)))
			e = need(out->new_password, "new", m);
		if (!e && strlen(out->new_password) < 8)
			e = cr_fail(m, CR_ECORRUPT, "\"new\" must have at least 8 bytes");
		break;
	case SRV_ADMIN_GROUP:
		if (!(e = get_str(j, "name", a, 64, &out->name, m)))
			e = need(out->name, "name", m);
		break;
	case SRV_ADMIN_TOKEN:
		if (!(e = get_str(j, "user", a, 64, &out->user, m)))
			e = need(out->user, "user", m);
		if (!e)
			e = get_str(j, "label", a, 256, &out->label, m);
		if (!e && out->label && !*out->label)
			out->label = NULL;
		if (!e)
			e = get_int(j, "days", 0, 36500, &out->days, m);
		break;
	case SRV_ADMIN_SUSPEND:
		if (!(e = get_str(j, "reason", a, 1024, &out->reason, m)))
			e = need(out->reason, "reason", m);
		if (!e && !out->reason[strspn(out->reason, " \t\r\n")])
			e = cr_fail(m, CR_ECORRUPT, "\"reason\" must not be blank");
		break;
	}
out:
	json_decref(j);
	return e;
}

cr_err srv_decode_mcp(const char *p, size_t n, cr_arena *a, srv_mcp_msg *out, int *rpc_code, cr_msg *m)
{
	memset(out, 0, sizeof *out);
	*rpc_code = -32700;
	json_error_t je;
	json_t *j = json_loadb(p, n, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		return cr_fail(m, CR_ECORRUPT, "malformed JSON: %s (line %d, column %d)", je.text, je.line, je.column);
	*rpc_code = -32600;
	cr_err e = CR_OK;
	json_t *id = NULL, *v;
	if (json_is_array(j)) {
		e = cr_fail(m, CR_ECORRUPT, "JSON-RPC batches are not part of MCP 2025-06-18");
		goto out;
	}
	if (!json_is_object(j)) {
		e = cr_fail(m, CR_ECORRUPT, "a message must be a JSON object");
		goto out;
	}
	id = json_object_get(j, "id");
	if (id && !json_is_string(id) && !json_is_integer(id)) {
		e = cr_fail(m, CR_ECORRUPT, "\"id\" must be a string or an integer");
		id = NULL;
		goto out;
	}
	if (id && json_is_string(id) && (json_string_length(id) > 256 || memchr(json_string_value(id), 0, json_string_length(id)))) {
		e = cr_fail(m, CR_ECORRUPT, "\"id\" is over 256 bytes or holds a NUL");
		id = NULL;
		goto out;
	}
	if ((e = get_json_text(id, a, &out->id, m)))
		goto out;
	v = json_object_get(j, "jsonrpc");
	if (!json_is_string(v) || strcmp(json_string_value(v), "2.0")) {
		e = cr_fail(m, CR_ECORRUPT, "\"jsonrpc\" must be \"2.0\"");
		goto out;
	}
	if (!json_object_get(j, "method")) {
		if (!id || (!json_object_get(j, "result") == !json_object_get(j, "error")))
			e = cr_fail(m, CR_ECORRUPT, "a message needs a method, or an id with a result or an error");
		else
			out->kind = SRV_MCP_RESPONSE;
		out->id = NULL;
		goto out;
	}
	if ((e = get_str(j, "method", a, 128, &out->method, m)))
		goto out;
	if (!out->method || !*out->method) {
		e = cr_fail(m, CR_ECORRUPT, "\"method\" must not be empty");
		goto out;
	}
	v = json_object_get(j, "params");
	if (v && !json_is_null(v) && !json_is_object(v)) {
		e = cr_fail(m, CR_ECORRUPT, "\"params\" must be an object");
		goto out;
	}
	if ((e = get_json_text(v, a, &out->params, m)))
		goto out;
	out->kind = id ? SRV_MCP_REQUEST : SRV_MCP_NOTIFICATION;
out:
	json_decref(j);
	if (e == CR_OK)
		*rpc_code = 0;
	return e;
}

/* A message's content: a string, null, or an array of parts of which the
 * "text" ones are joined. */
static cr_err content_text(json_t *c, cr_arena *a, const char **out, cr_msg *m)
{
	*out = NULL;
	if (!c || json_is_null(c))
		return CR_OK;
	if (json_is_string(c)) {
		size_t len = json_string_length(c);
		if (len > TEXT_MAX)
			return cr_fail(m, CR_ECORRUPT, "a message is over %d bytes", TEXT_MAX);
		if (memchr(json_string_value(c), 0, len))
			return cr_fail(m, CR_ECORRUPT, "a message contains a NUL character");
		*out = cr_arena_strndup(a, json_string_value(c), len);
		return *out ? CR_OK : cr_fail(m, CR_ENOMEM, "out of memory");
	}
	if (!json_is_array(c))
		return cr_fail(m, CR_ECORRUPT, "\"content\" must be a string, an array of parts or null");
	cr_buf b;
	cr_buf_init(&b, TEXT_MAX);
	size_t i;
	json_t *part;
	cr_err e = CR_OK;
	json_array_foreach(c, i, part)
	{
		json_t *ty = json_object_get(part, "type"), *tx = json_object_get(part, "text");
		if (!json_is_object(part) || !json_is_string(ty)) {
			e = cr_fail(m, CR_ECORRUPT, "a content part must be an object with a \"type\"");
			break;
		}
		if (strcmp(json_string_value(ty), "text"))
			continue; /* images and audio are not read */
		if (!json_is_string(tx) || memchr(json_string_value(tx), 0, json_string_length(tx))) {
			e = cr_fail(m, CR_ECORRUPT, "a text part must have a \"text\" string");
			break;
		}
		if ((b.len && cr_buf_addc(&b, '\n')) || cr_buf_add(&b, json_string_value(tx), json_string_length(tx))) {
			e = cr_fail(m, CR_ECORRUPT, "a message is over %d bytes", TEXT_MAX);
			break;
		}
	}
	if (!e && !(*out = cr_arena_strndup(a, b.data ? b.data : "", b.len)))
		e = cr_fail(m, CR_ENOMEM, "out of memory");
	cr_buf_release(&b);
	return e;
}

cr_err srv_decode_chat(const char *p, size_t n, cr_arena *a, srv_chat_req *out, cr_msg *m)
{
	memset(out, 0, sizeof *out);
	out->temperature = -1;
	json_t *j;
	cr_err e = parse(p, n, &j, m);
	if (e)
		return e;
	json_t *msgs = json_object_get(j, "messages");
	if (!(e = get_str(j, "model", a, 256, &out->model, m)) && !out->model)
		e = cr_fail(m, CR_ECORRUPT, "\"model\" is required");
	if (!e && (!json_is_array(msgs) || !json_array_size(msgs)))
		e = cr_fail(m, CR_ECORRUPT, "\"messages\" must be a non-empty array");
	if (!e && json_array_size(msgs) > SRV_CHAT_MAX_MSGS)
		e = cr_fail(m, CR_ECORRUPT, "more than %d messages", SRV_CHAT_MAX_MSGS);
	if (!e && !(out->msgs = cr_arena_zalloc(a, json_array_size(msgs) * sizeof *out->msgs)))
		e = cr_fail(m, CR_ENOMEM, "out of memory");
	for (size_t i = 0; !e && i < json_array_size(msgs); i++) {
		json_t *mo = json_array_get(msgs, i);
		cr_provider_msg *pm = &out->msgs[i];
		if (!json_is_object(mo)) {
			e = cr_fail(m, CR_ECORRUPT, "messages[%zu] must be an object", i);
			break;
		}
		if (!(e = get_str(mo, "role", a, 32, &pm->role, m)) && !pm->role)
			e = cr_fail(m, CR_ECORRUPT, "messages[%zu] has no \"role\"", i);
		if (!e && strcmp(pm->role, "system") && strcmp(pm->role, "user") && strcmp(pm->role, "assistant") &&
		    strcmp(pm->role, "tool") && strcmp(pm->role, "developer"))
			e = cr_fail(m, CR_ECORRUPT, "messages[%zu]: unknown role \"%s\"", i, pm->role);
		if (!e && !strcmp(pm->role, "developer"))
			pm->role = "system";
		if (!e)
			e = content_text(json_object_get(mo, "content"), a, &pm->content, m);
		if (!e)
			e = get_str(mo, "tool_call_id", a, 256, &pm->tool_call_id, m);
		json_t *tc = json_object_get(mo, "tool_calls");
		if (!e && tc && !json_is_null(tc) && !json_is_array(tc))
			e = cr_fail(m, CR_ECORRUPT, "messages[%zu].tool_calls must be an array", i);
		if (!e)
			e = get_json_text(tc, a, &pm->tool_calls_json, m);
		out->n_msgs = i + 1;
	}
	if (!e)
		e = get_bool(j, "stream", &out->stream, m);
	if (!e)
		e = get_int(j, "max_tokens", 1, 1 << 20, &out->max_tokens, m);
	if (!e && !out->max_tokens)
		e = get_int(j, "max_completion_tokens", 1, 1 << 20, &out->max_tokens, m);
	json_t *t = json_object_get(j, "temperature");
	if (!e && t && !json_is_null(t)) {
		if (!json_is_number(t) || json_number_value(t) < 0 || json_number_value(t) > 2)
			e = cr_fail(m, CR_ECORRUPT, "\"temperature\" must be a number from 0 to 2");
		else
			out->temperature = json_number_value(t);
	}
	json_t *st = json_object_get(j, "stop");
	if (!e && st && !json_is_null(st)) {
		if (json_is_string(st)) {
			e = get_str(j, "stop", a, 256, &out->stop[0], m);
			out->n_stop = 1;
		} else if (json_is_array(st) && json_array_size(st) <= SRV_CHAT_MAX_STOP) {
			for (size_t i = 0; !e && i < json_array_size(st); i++) {
				json_t *s = json_array_get(st, i);
				if (!json_is_string(s) || json_string_length(s) > 256 ||
				    memchr(json_string_value(s), 0, json_string_length(s)))
					e = cr_fail(m, CR_ECORRUPT, "\"stop\" must hold strings of at most 256 bytes");
				else if (!(out->stop[out->n_stop++] = cr_arena_strdup(a, json_string_value(s))))
					e = cr_fail(m, CR_ENOMEM, "out of memory");
			}
		} else
			e = cr_fail(m, CR_ECORRUPT, "\"stop\" must be a string or up to %d strings", SRV_CHAT_MAX_STOP);
	}
	json_t *tools = json_object_get(j, "tools");
	if (!e && tools && !json_is_null(tools) && !json_is_array(tools))
		e = cr_fail(m, CR_ECORRUPT, "\"tools\" must be an array");
	if (!e && json_is_array(tools) && json_array_size(tools))
		e = get_json_text(tools, a, &out->tools_json, m);
	json_t *tch = json_object_get(j, "tool_choice");
	if (!e && json_is_string(tch))
		e = get_str(j, "tool_choice", a, 64, &out->tool_choice, m);
	else if (!e && json_is_object(tch))
		e = get_json_text(tch, a, &out->tool_choice, m);
	else if (!e && tch && !json_is_null(tch))
		e = cr_fail(m, CR_ECORRUPT, "\"tool_choice\" must be a string or an object");
	json_t *so = json_object_get(j, "stream_options");
	if (!e && json_is_object(so))
		e = get_bool(so, "include_usage", &out->include_usage, m);
	json_decref(j);
	return e;
}

cr_err srv_decode_embed(const char *p, size_t n, cr_arena *a, srv_embed_req *out, cr_msg *m)
{
	memset(out, 0, sizeof *out);
	json_t *j;
	cr_err e = parse(p, n, &j, m);
	if (e)
		return e;
	json_t *in = json_object_get(j, "input");
	if (!(e = get_str(j, "model", a, 256, &out->model, m)) && !out->model)
		e = cr_fail(m, CR_ECORRUPT, "\"model\" is required");
	size_t count = json_is_string(in) ? 1 : json_is_array(in) ? json_array_size(in) : 0;
	if (!e && (!count || count > SRV_EMBED_MAX_INPUTS))
		e = cr_fail(m, CR_ECORRUPT, "\"input\" must be a string or 1 to %d strings", SRV_EMBED_MAX_INPUTS);
	if (!e && !(out->inputs = cr_arena_zalloc(a, count * sizeof *out->inputs)))
		e = cr_fail(m, CR_ENOMEM, "out of memory");
	for (size_t i = 0; !e && i < count; i++) {
		json_t *s = json_is_string(in) ? in : json_array_get(in, i);
		if (!json_is_string(s) || json_string_length(s) > TEXT_MAX ||
		    memchr(json_string_value(s), 0, json_string_length(s)))
			e = cr_fail(m, CR_ECORRUPT, "\"input\" must hold strings (token arrays are not read)");
		else if (!(out->inputs[i] = cr_arena_strdup(a, json_string_value(s))))
			e = cr_fail(m, CR_ENOMEM, "out of memory");
		out->n_inputs = i + 1;
	}
	json_decref(j);
	return e;
}

cr_err srv_parse_int(const char *s, long lo, long hi, long def, long *out, cr_msg *m)
{
	if (!s || !*s) {
		*out = def;
		return CR_OK;
	}
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (*end || errno || end == s || v < lo || v > hi || *s == ' ' || *s == '+')
		return cr_fail(m, CR_ECORRUPT, "expected an integer from %ld to %ld", lo, hi);
	*out = v;
	return CR_OK;
}

cr_err srv_parse_listen(const char *s, char *host, size_t cap, int *port, cr_msg *m)
{
	const char *colon = NULL, *h = s;
	size_t hl;
	if (!s || !*s)
		return cr_fail(m, CR_EINVAL, "empty listen address");
	if (*s == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':')
			return cr_fail(m, CR_EINVAL, "listen: expected [ADDR]:PORT, got '%s'", s);
		h = s + 1;
		hl = (size_t)(close - h);
		colon = close + 1;
	} else if ((colon = strrchr(s, ':'))) {
		hl = (size_t)(colon - s);
		if (memchr(s, ':', hl))
			return cr_fail(m, CR_EINVAL, "listen: an IPv6 address goes in brackets: [%.*s]:PORT", (int)hl, s);
	} else {
		h = "127.0.0.1";
		hl = strlen(h);
		colon = s - 1;
	}
	if (!hl || hl >= cap)
		return cr_fail(m, CR_EINVAL, "listen: bad address in '%s'", s);
	for (size_t i = 0; i < hl; i++)
		if (!(h[i] == '.' || h[i] == ':' || h[i] == '-' || (h[i] >= '0' && h[i] <= '9') ||
		      (h[i] >= 'a' && h[i] <= 'z') || (h[i] >= 'A' && h[i] <= 'Z')))
			return cr_fail(m, CR_EINVAL, "listen: bad address in '%s'", s);
	long v;
	if (srv_parse_int(colon + 1, 0, 65535, -1, &v, NULL) || v < 0)
		return cr_fail(m, CR_EINVAL, "listen: the port must be a number from 0 to 65535, in '%s'", s);
	memcpy(host, h, hl);
	host[hl] = 0;
	*port = (int)v;
	return CR_OK;
}

int srv_path_safe(const char *p, size_t n)
{
	if (!n || p[0] != '/' || !cr_utf8_valid((const uint8_t *)p, n))
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c < 0x20 || c == 0x7f || c == '\\')
			return 0;
		if (c == '/' && i + 1 < n && p[i + 1] == '/')
			return 0;
		/* a "." or ".." segment */
		if (c == '.' && p[i - 1] == '/' &&
		    (i + 1 == n || p[i + 1] == '/' || (p[i + 1] == '.' && (i + 2 == n || p[i + 2] == '/'))))
			return 0;
	}
	return 1;
}

static int filter_ok(const char *v)
{
	for (const char *c = v; *c; c++)
		if (*c == ' ' || *c == '"' || *c == '\t' || *c == '\n' || *c == '\r')
			return 0;
	return 1;
}

cr_err srv_query_text(cr_arena *a, const char *q, const char *type, const char *path, const char *from,
		      const char *to, const char **out, cr_msg *m)
{
	cr_buf b;
	cr_buf_init(&b, 64 << 10);
	cr_err e = cr_buf_adds(&b, q ? q : "");
	if (!e && type && *type)
		e = filter_ok(type) ? cr_buf_printf(&b, " type:%s", type) : cr_fail(m, CR_ECORRUPT, "bad type filter");
	if (!e && path && *path)
		e = filter_ok(path) ? cr_buf_printf(&b, " path:%s", path) : cr_fail(m, CR_ECORRUPT, "bad path filter");
	if (!e && ((from && *from) || (to && *to))) {
		if ((from && !filter_ok(from)) || (to && !filter_ok(to)) || (from && strstr(from, "..")) ||
		    (to && strstr(to, "..")))
			e = cr_fail(m, CR_ECORRUPT, "bad date filter");
		else
			e = cr_buf_printf(&b, " date:%s..%s", from ? from : "", to ? to : "");
	}
	if (e == CR_ETOOBIG)
		e = cr_fail(m, CR_ECORRUPT, "the query is over 64 KiB");
	if (!e && !(*out = cr_arena_strndup(a, b.data ? b.data : "", b.len)))
		e = cr_fail(m, CR_ENOMEM, "out of memory");
	cr_buf_release(&b);
	return e;
}
