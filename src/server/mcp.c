/*
 * mcp.c — the MCP endpoint: Model Context Protocol over streamable HTTP,
 * protocol version 2025-06-18 (2025-03-26 accepted), so any MCP-capable
 * assistant can use the company's documents under its caller's token.
 *
 *   POST /mcp   one JSON-RPC message (srv_decode_mcp). A request gets one
 *               JSON reply (Content-Type application/json); a notification
 *               or a response gets 202 with no body. Methods: initialize,
 *               ping, tools/list, tools/call; anything else -32601.
 *   GET /mcp    405: the server opens no stream of its own.
 *
 * Sessions: none are issued (no Mcp-Session-Id); every request stands
 * alone and is authenticated like any API request (Bearer token; with no
 * users configured, the local operator on loopback). An Origin header, when
 * sent, must name this server's host (DNS rebinding); an
 * MCP-Protocol-Version header, when sent, must be a version we speak.
 *
 * Tools, all read-only: `ask` (srv_answer, as /api/ask: the default
 * provider or extractive, citations verified) and the agent's read-only
 * tools (agent.h: search, read_document, list_sources, meeting_actions,
 * table_stats) run through cr_agent_tools_call, so they keep the agent's
 * argument checks, numbering and ACL filter. What they return is capped at
 * the server's mcp_clearance (default internal): the assistant on the other
 * end runs a model Cristal does not know, so it is treated as an external
 * provider is. A tool error is a result with isError; an unknown tool or
 * bad params a JSON-RPC error. Every call is audited ("mcp.call").
 */
#include "server_int.h"

#include "cristal/agent.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MCP_PROTOCOL "2025-06-18"
#define MCP_TIMEOUT 60.0 /* seconds a tool call may take */

static const char *const versions[] = {MCP_PROTOCOL, "2025-03-26"};

static int version_known(const char *v)
{
	for (size_t i = 0; i < CR_ARRAY_LEN(versions); i++)
		if (!strcmp(v, versions[i]))
			return 1;
	return 0;
}

/* {"jsonrpc":"2.0","id":ID,"result":RESULT} (result stolen) or with
 * "error":{"code","message"}. */
static enum MHD_Result rpc_reply(srv_req *r, unsigned status, const char *id, json_t *result, int code,
				 const char *msg)
{
	cr_buf b;
	cr_buf_init(&b, 0);
	cr_err e = cr_buf_printf(&b, "{\"jsonrpc\":\"2.0\",\"id\":%s,", id ? id : "null");
	if (!e && result) {
		char *t = json_dumps(result, JSON_COMPACT);
		e = t ? cr_buf_printf(&b, "\"result\":%s}", t) : CR_ENOMEM;
		free(t);
	} else if (!e) {
		e = cr_buf_printf(&b, "\"error\":{\"code\":%d,\"message\":", code);
		if (!e)
			e = cr_buf_add_json_str(&b, msg, strlen(msg));
		if (!e)
			e = cr_buf_adds(&b, "}}");
	}
	json_decref(result);
	enum MHD_Result ok = e ? srv_error(r, 500, NULL, "out of memory") : srv_reply_json(r, status, &b);
	cr_buf_release(&b);
	return ok;
}

static enum MHD_Result rpc_error(srv_req *r, unsigned status, const char *id, int code, const char *fmt, ...)
	CR_PRINTF(5, 6);
static enum MHD_Result rpc_error(srv_req *r, unsigned status, const char *id, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return rpc_reply(r, status, id, NULL, code, msg);
}

/* An Origin, when sent, must be this server: scheme://HOST with the Host
 * header's value. */
static int origin_ok(srv_req *r)
{
	const char *o = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Origin");
	if (!o)
		return 1;
	const char *host = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	const char *p = strstr(o, "://");
	return host && p && !strcmp(p + 3, host);
}

/* ---- tools -------------------------------------------------------------- */

#define ASK_SCHEMA                                                                                                \
	"{\"type\":\"object\",\"properties\":{\"question\":{\"type\":\"string\",\"description\":\"the question, " \
	"in English or Japanese\"},\"k\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":20,\"description\":"     \
	"\"passages to retrieve (default 8)\"}},\"required\":[\"question\"]}"

/* tools/list: ask, then the agent's tools but write_report. */
static json_t *tools_list(void)
{
	json_t *tools = json_array(), *res = json_pack("{so}", "tools", tools);
	json_t *ask = json_pack("{ss ss ss so so}", "name", "ask", "title", "Ask the documents", "description",
				"Answers a question from the company's documents the caller may read, with verified "
				"citations [n] and a source list (path, location, quoted passage).",
				"inputSchema", json_loads(ASK_SCHEMA, 0, NULL), "annotations",
				json_pack("{sb sb}", "readOnlyHint", 1, "openWorldHint", 0));
	if (!res || !ask || json_array_append_new(tools, ask)) {
		json_decref(res);
		return NULL;
	}
	json_t *fns = json_loads(cr_agent_tools_json(), 0, NULL);
	size_t i;
	json_t *t;
	json_array_foreach(fns, i, t) {
		json_t *f = json_object_get(t, "function");
		const char *name = json_string_value(json_object_get(f, "name"));
		if (!name || !strcmp(name, "write_report"))
			continue;
		json_t *d = json_pack("{ss sO sO so}", "name", name, "description", json_object_get(f, "description"),
				      "inputSchema", json_object_get(f, "parameters"), "annotations",
				      json_pack("{sb sb}", "readOnlyHint", 1, "openWorldHint", 0));
		if (!d || json_array_append_new(tools, d)) {
			json_decref(fns);
			json_decref(res);
			return NULL;
		}
	}
	json_decref(fns);
	return res;
}

static int tool_known(const char *name)
{
	static const char *const names[] = {"ask", "search", "read_document", "list_sources", "meeting_actions",
					    "table_stats"};
	for (size_t i = 0; i < CR_ARRAY_LEN(names); i++)
		if (!strcmp(name, names[i]))
			return 1;
	return 0;
}

/* {"content": [{"type": "text", "text": text}], "isError": is_error} */
static json_t *tool_result(const char *text, size_t len, int is_error)
{
	return json_pack("{s[{ss ss%}] sb}", "content", "type", "text", "text", text, len, "isError", is_error);
}

static json_t *tool_error(const char *text) { return tool_result(text, strlen(text), 1); }

/* The principal the tools run as: the caller's, capped at the endpoint's
 * clearance (the local operator: every tenant and ACL, capped). */
static void mcp_who(srv_req *r, cr_principal *p)
{
	uint8_t cap = (uint8_t)r->s->mcp_clearance;
	*p = r->ctx.who ? *r->ctx.who : (cr_principal){.sees_all = 1, .max_classification = 255};
	if (p->max_classification > cap)
		p->max_classification = cap;
}

static json_t *run_ask(srv_req *r, const srv_ctx *ctx, json_t *args, const cr_cancel *cancel, cr_err *err,
		       cr_msg *m)
{
	json_t *q = json_object_get(args, "question"), *k = json_object_get(args, "k");
	if (!json_is_string(q) || !json_string_length(q) || memchr(json_string_value(q), 0, json_string_length(q)))
		return tool_error("error: \"question\" must be a non-empty string");
	if (k && (!json_is_integer(k) || json_integer_value(k) < 1 || json_integer_value(k) > 20))
		return tool_error("error: \"k\" must be an integer from 1 to 20");
	cr_answer ans;
	cr_err e = srv_answer(r->s, &r->arena, ctx, json_string_value(q), k ? (int)json_integer_value(k) : 0, NULL, 0,
			      cancel, &ans, m);
	if (e == CR_ENOTFOUND || e == CR_EUPSTREAM || e == CR_ETIMEOUT || e == CR_EDENIED) {
		char t[600];
		snprintf(t, sizeof t, "error: %s", m->text[0] ? m->text : cr_strerror(e));
		return tool_error(t);
	}
	if (e) {
		*err = e;
		return NULL;
	}
	cr_buf b;
	cr_buf_init(&b, 0);
	json_t *res = NULL;
	if (!cr_buf_adds(&b, ans.text) && !srv_sources_text(&ans, &b)) {
		res = tool_result(b.data, b.len, 0);
		cr_buf_reset(&b);
		json_t *sc = cr_answer_json(&ans, &b) ? NULL : json_loadb(b.data, b.len, 0, NULL);
		if (res && sc)
			json_object_set_new(res, "structuredContent", sc);
		else
			json_decref(sc);
	}
	cr_buf_release(&b);
	if (!res)
		*err = CR_ENOMEM;
	return res;
}

static enum MHD_Result tools_call(srv_req *r, const char *id, const char *params)
{
	json_t *pj = params ? json_loads(params, 0, NULL) : NULL;
	json_t *nm = json_object_get(pj, "name"), *args = json_object_get(pj, "arguments");
	if (!json_is_string(nm) || (args && !json_is_null(args) && !json_is_object(args))) {
		json_decref(pj);
		return rpc_error(r, 200, id, -32602, "tools/call needs \"name\" (a string) and \"arguments\" (an object)");
	}
	const char *name = cr_arena_strdup(&r->arena, json_string_value(nm)); /* pj is freed before the audit */
	if (!name) {
		json_decref(pj);
		return srv_error(r, 500, NULL, "out of memory");
	}
	if (!tool_known(name)) {
		enum MHD_Result ok = rpc_error(r, 200, id, -32602, "Unknown tool: %.100s", name);
		json_decref(pj);
		return ok;
	}
	cr_principal who;
	mcp_who(r, &who);
	srv_ctx ctx = r->ctx;
	ctx.who = &who;
	cr_cancel cancel;
	cr_cancel_init(&cancel);
	cr_cancel_set_timeout(&cancel, MCP_TIMEOUT);
	cr_msg m = {{0}};
	cr_err e = CR_OK;
	json_t *res = NULL, *chunks = json_array();
	int tool_ok = 1;
	if (!strcmp(name, "ask")) {
		res = run_ask(r, &ctx, args, &cancel, &e, &m);
		tool_ok = res && !json_is_true(json_object_get(res, "isError"));
	} else {
		char *at = json_dumps(args ? args : json_object(), JSON_COMPACT);
		cr_agent_opts o = {.who = &who, .cancel = &cancel};
		cr_agent_tools *t = NULL;
		cr_agent_step st;
		if (!at)
			e = CR_ENOMEM;
		if (!e)
			e = cr_agent_tools_new(r->s->corpus, &o, &r->arena, &t, &m);
		if (!e)
			e = cr_agent_tools_call(t, &r->arena, name, at, &st, &m);
		if (!e) {
			tool_ok = st.ok;
			res = tool_result(st.result, strlen(st.result), !st.ok);
			for (size_t i = 0; chunks && i < st.n_chunk_ids; i++)
				json_array_append_new(chunks, json_integer(st.chunk_ids[i]));
			if (!res)
				e = CR_ENOMEM;
		}
		cr_agent_tools_free(t);
		free(at);
	}
	json_t *argcopy = args ? json_deep_copy(args) : json_object();
	json_decref(pj);
	if (e) {
		json_decref(res);
		json_decref(chunks);
		json_decref(argcopy);
		return rpc_error(r, 200, id, -32603, "%s", m.text[0] ? m.text : cr_strerror(e));
	}
	/* recorded before the result is shown (ask records its own "ask" too) */
	if ((e = srv_audit(r->s, &r->ctx, "mcp.call",
			   json_pack("{ss so so sb}", "tool", name, "arguments", argcopy, "chunks", chunks, "ok", tool_ok),
			   &m))) {
		json_decref(res);
		return rpc_error(r, 200, id, -32603, "audit: %s", m.text[0] ? m.text : cr_strerror(e));
	}
	return rpc_reply(r, 200, id, res, 0, NULL);
}

/* ---- the endpoint --------------------------------------------------------- */

enum MHD_Result srv_handle_mcp(srv_req *r)
{
	if (!origin_ok(r))
		return rpc_error(r, 403, NULL, -32600, "Origin does not name this server");
	const char *pv = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "MCP-Protocol-Version");
	if (pv && !version_known(pv))
		return rpc_error(r, 400, NULL, -32600, "MCP-Protocol-Version %.64s is not supported (%s, %s)", pv,
				 versions[0], versions[1]);
	srv_mcp_msg q;
	int code;
	cr_msg m = {{0}};
	cr_err e = srv_decode_mcp(r->body.data, r->body.len, &r->arena, &q, &code, &m);
	if (e == CR_ENOMEM)
		return srv_error(r, 500, NULL, "out of memory");
	if (e)
		return rpc_error(r, 400, q.id, code, "%s", m.text);
	if (q.kind != SRV_MCP_REQUEST)
		return srv_reply(r, 202, "application/json", "", 0);
	if (!strcmp(q.method, "initialize")) {
		json_t *pj = q.params ? json_loads(q.params, 0, NULL) : NULL;
		const char *want = json_string_value(json_object_get(pj, "protocolVersion"));
		json_t *res = json_pack("{ss s{s{sb}} s{ss ss ss} ss}", "protocolVersion",
					want && version_known(want) ? want : MCP_PROTOCOL, "capabilities", "tools",
					"listChanged", 0, "serverInfo", "name", "cristal", "title", "Cristal", "version",
					CR_VERSION, "instructions",
					"Cristal answers from the company's documents that the caller may read. Use ask "
					"for a cited answer, search for passages, read_document for a document's parts, "
					"list_sources for what exists, meeting_actions for decisions and action items.");
		json_decref(pj);
		return res ? rpc_reply(r, 200, q.id, res, 0, NULL) : srv_error(r, 500, NULL, "out of memory");
	}
	if (!strcmp(q.method, "ping"))
		return rpc_reply(r, 200, q.id, json_object(), 0, NULL);
	if (!strcmp(q.method, "tools/list")) {
		json_t *res = tools_list();
		return res ? rpc_reply(r, 200, q.id, res, 0, NULL) : srv_error(r, 500, NULL, "out of memory");
	}
	if (!strcmp(q.method, "tools/call"))
		return tools_call(r, q.id, q.params);
	return rpc_error(r, 200, q.id, -32601, "Method not found: %.128s", q.method);
}

enum MHD_Result srv_handle_mcp_other(srv_req *r)
{
	return srv_error(r, 405, NULL, "the MCP endpoint takes POST only: this server opens no stream of its own");
}
