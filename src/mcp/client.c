/*
 * client.c — the MCP client over either transport: requests with ids, the
 * initialize handshake, tools/list with its cursor, tools/call (mcp.h).
 */
#include "mcp_int.h"

#include <string.h>

static cr_err send_msg(cr_mcp *c, json_t *msg, cr_mcp_wait *w, cr_msg *m)
{
	char *text = json_dumps(msg, JSON_COMPACT);
	if (!text)
		return cr_fail(m, CR_ENOMEM, "mcp: out of memory");
	size_t n = strlen(text);
	cr_err e = c->http ? cr_mcp_http_send(c, text, n, w, m) : cr_mcp_stdio_send(c, text, n, w, m);
	free(text);
	return e;
}

/* One request: params is stolen; *result (a new reference) on CR_OK. */
static cr_err rpc(cr_mcp *c, const char *method, json_t *params, json_t **result, cr_msg *m)
{
	cr_mcp_wait w = {.c = c, .id = ++c->next_id};
	json_t *req = json_pack("{s:s,s:I,s:s}", "jsonrpc", "2.0", "id", (json_int_t)w.id, "method", method);
	if (!req) {
		json_decref(params);
		return cr_fail(m, CR_ENOMEM, "mcp: out of memory");
	}
	if (params)
		json_object_set_new(req, "params", params);
	cr_err e = send_msg(c, req, &w, m);
	json_decref(req);
	if (e)
		goto out;
	if (!w.reply.result) {
		e = cr_fail(m, CR_EUPSTREAM, "mcp: %s: the server answered error %lld: %.300s", method,
			    w.reply.error_code, w.reply.error);
		goto out;
	}
	*result = json_incref(w.reply.result);
out:
	json_decref(w.reply.root);
	return e;
}

static void copy_str(char *dst, size_t cap, const char *s)
{
	snprintf(dst, cap, "%s", s ? s : "");
}

cr_err cr_mcp_connect(const cr_mcp_opts *o, cr_mcp **out, cr_msg *m)
{
	*out = NULL;
	if (!o->command == !o->url)
		return cr_fail(m, CR_EINVAL, "mcp: give a command or a URL");
	cr_mcp *c = cr_calloc(1, sizeof *c);
	if (!c)
		return cr_fail(m, CR_ENOMEM, "mcp: out of memory");
	c->fd_to = c->fd_from = c->fd_err = -1;
	c->timeout = o->timeout > 0 ? o->timeout : 30;
	c->max_msg = o->max_msg ? o->max_msg : (size_t)8 << 20;
	c->cancel = o->cancel;
	c->http = o->url != NULL;
	cr_err e = c->http ? cr_mcp_http_start(c, o->url, o->bearer, m) : cr_mcp_stdio_start(c, o->command, m);
	if (e)
		goto fail;
	json_t *params = json_pack("{s:s,s:{},s:{s:s,s:s}}", "protocolVersion", CR_MCP_PROTOCOL, "capabilities",
				   "clientInfo", "name", "cristal", "version", "1.0");
	json_t *res = NULL;
	if ((e = rpc(c, "initialize", params, &res, m)))
		goto fail;
	const char *ver = json_string_value(json_object_get(res, "protocolVersion"));
	json_t *info = json_object_get(res, "serverInfo");
	copy_str(c->name, sizeof c->name, json_string_value(json_object_get(info, "name")));
	copy_str(c->version, sizeof c->version, json_string_value(json_object_get(info, "version")));
	if (!ver) {
		json_decref(res);
		e = cr_fail(m, CR_ECORRUPT, "mcp: initialize: the reply has no protocolVersion");
		goto fail;
	}
	/* 2025-06-18 is what we speak; older servers mostly agree on tools */
	if (strcmp(ver, CR_MCP_PROTOCOL))
		cr_log(CR_LOG_INFO, "mcp %s: the server speaks protocol %.40s, not %s", c->name, ver,
		       CR_MCP_PROTOCOL);
	json_decref(res);
	c->initialized = 1;
	json_t *note = json_pack("{s:s,s:s}", "jsonrpc", "2.0", "method", "notifications/initialized");
	if (!note) {
		e = cr_fail(m, CR_ENOMEM, "mcp: out of memory");
		goto fail;
	}
	e = send_msg(c, note, NULL, m);
	json_decref(note);
	if (e)
		goto fail;
	*out = c;
	return CR_OK;
fail:
	cr_mcp_close(c);
	return e;
}

void cr_mcp_close(cr_mcp *c)
{
	if (!c)
		return;
	if (c->http)
		cr_mcp_http_stop(c);
	else
		cr_mcp_stdio_stop(c);
	cr_free(c);
}

const char *cr_mcp_server_name(const cr_mcp *c)
{
	return c->name;
}

const char *cr_mcp_server_version(const cr_mcp *c)
{
	return c->version;
}

cr_err cr_mcp_tools(cr_mcp *c, cr_arena *a, cr_mcp_tool **tools, size_t *n, cr_msg *m)
{
	enum { MAX_TOOLS = 1000, MAX_PAGES = 100 };
	*tools = NULL;
	*n = 0;
	cr_mcp_tool *list = cr_arena_alloc(a, MAX_TOOLS * sizeof *list);
	if (!list)
		return cr_fail(m, CR_ENOMEM, "mcp: out of memory");
	char *cursor = NULL;
	size_t k = 0;
	for (int page = 0;; page++) {
		if (page == MAX_PAGES)
			return cr_fail(m, CR_ETOOBIG, "mcp: tools/list: more than %d pages", MAX_PAGES);
		json_t *params = cursor ? json_pack("{s:s}", "cursor", cursor) : NULL;
		json_t *res = NULL;
		cr_err e = rpc(c, "tools/list", params, &res, m);
		if (e)
			return e;
		json_t *arr = json_object_get(res, "tools");
		if (!json_is_array(arr)) {
			json_decref(res);
			return cr_fail(m, CR_ECORRUPT, "mcp: tools/list: the reply has no tools array");
		}
		size_t i;
		json_t *t;
		json_array_foreach(arr, i, t) {
			const char *name = json_string_value(json_object_get(t, "name"));
			if (!name || !*name) {
				json_decref(res);
				return cr_fail(m, CR_ECORRUPT, "mcp: tools/list: a tool without a name");
			}
			if (k == MAX_TOOLS) {
				json_decref(res);
				return cr_fail(m, CR_ETOOBIG, "mcp: tools/list: more than %d tools", MAX_TOOLS);
			}
			const char *desc = json_string_value(json_object_get(t, "description"));
			json_t *schema = json_object_get(t, "inputSchema");
			char *st = json_is_object(schema) ? json_dumps(schema, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
			list[k].name = cr_arena_strdup(a, name);
			list[k].description = cr_arena_strdup(a, desc ? desc : "");
			list[k].input_schema = cr_arena_strdup(a, st ? st : "{\"type\":\"object\"}");
			free(st);
			if (!list[k].name || !list[k].description || !list[k].input_schema) {
				json_decref(res);
				return cr_fail(m, CR_ENOMEM, "mcp: out of memory");
			}
			k++;
		}
		const char *next = json_string_value(json_object_get(res, "nextCursor"));
		cursor = next && *next ? cr_arena_strdup(a, next) : NULL;
		json_decref(res);
		if (!cursor)
			break;
	}
	*tools = list;
	*n = k;
	return CR_OK;
}

cr_err cr_mcp_call(cr_mcp *c, const char *tool, const char *args_json, cr_buf *out, int *is_error, cr_msg *m)
{
	*is_error = 0;
	json_t *args;
	if (args_json && *args_json) {
		json_error_t je;
		args = json_loads(args_json, 0, &je);
		if (!json_is_object(args)) {
			json_decref(args);
			return cr_fail(m, CR_EINVAL, "mcp: the arguments of %s must be a JSON object", tool);
		}
	} else {
		args = json_object();
	}
	json_t *params = json_pack("{s:s,s:o}", "name", tool, "arguments", args);
	if (!params)
		return cr_fail(m, CR_ENOMEM, "mcp: out of memory");
	json_t *res = NULL;
	cr_err e = rpc(c, "tools/call", params, &res, m);
	if (e)
		return e;
	*is_error = json_is_true(json_object_get(res, "isError"));
	json_t *content = json_object_get(res, "content");
	if (!json_is_array(content)) {
		json_decref(res);
		return cr_fail(m, CR_ECORRUPT, "mcp: tools/call %s: the result has no content array", tool);
	}
	size_t i;
	json_t *item;
	json_array_foreach(content, i, item) {
		const char *type = json_string_value(json_object_get(item, "type"));
		if (i && (e = cr_buf_addc(out, '\n')))
			break;
		if (type && !strcmp(type, "text")) {
			const char *t = json_string_value(json_object_get(item, "text"));
			e = cr_buf_adds(out, t ? t : "");
		} else if (type && !strcmp(type, "resource")) {
			json_t *r = json_object_get(item, "resource");
			const char *t = json_string_value(json_object_get(r, "text"));
			const char *uri = json_string_value(json_object_get(r, "uri"));
			e = t ? cr_buf_adds(out, t) : cr_buf_printf(out, "[resource %s]", uri ? uri : "");
		} else {
			const char *mime = json_string_value(json_object_get(item, "mimeType"));
			e = cr_buf_printf(out, "[%s%s%s]", type ? type : "item", mime ? " " : "", mime ? mime : "");
		}
		if (e)
			break;
	}
	json_decref(res);
	if (e)
		return cr_fail(m, e, "mcp: tools/call %s: the result is over the buffer's limit", tool);
	return CR_OK;
}
