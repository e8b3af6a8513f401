/*
 * message.c — JSON-RPC 2.0 messages as an MCP client receives them: one
 * message parsed and classified (response, request, notification), the
 * SSE framing of streamable HTTP replies, and what the client does with a
 * message that arrives while it waits for a reply.
 *
 * Outside bytes: every shape that is not a JSON-RPC 2.0 object is
 * CR_ECORRUPT with the reason; batches (arrays) are refused, as 2025-06-18
 * removed them. fuzz/fuzz_mcp.c drives these functions.
 */
#include "mcp_int.h"

#include <string.h>

cr_err cr_mcp_msg_parse(const char *s, size_t n, cr_mcp_msg *out, cr_msg *m)
{
	memset(out, 0, sizeof *out);
	json_error_t je;
	json_t *root = json_loadb(s, n, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return cr_fail(m, CR_ECORRUPT, "mcp: not JSON (%s at byte %d)", je.text, je.position);
	if (!json_is_object(root)) {
		int batch = json_is_array(root);
		json_decref(root);
		return cr_fail(m, CR_ECORRUPT, "mcp: a message must be a JSON object%s",
			       batch ? " (batches are not part of 2025-06-18)" : "");
	}
	const char *ver = json_string_value(json_object_get(root, "jsonrpc"));
	if (!ver || strcmp(ver, "2.0")) {
		json_decref(root);
		return cr_fail(m, CR_ECORRUPT, "mcp: message without \"jsonrpc\": \"2.0\"");
	}
	json_t *id = json_object_get(root, "id");
	json_t *method = json_object_get(root, "method");
	if (id && !json_is_integer(id) && !json_is_string(id)) {
		json_decref(root);
		return cr_fail(m, CR_ECORRUPT, "mcp: message id must be a number or a string");
	}
	out->root = root;
	if (method) {
		if (!json_is_string(method)) {
			json_decref(root);
			out->root = NULL;
			return cr_fail(m, CR_ECORRUPT, "mcp: method must be a string");
		}
		out->method = json_string_value(method);
		out->kind = id ? CR_MCP_REQUEST : CR_MCP_NOTIFICATION;
		out->id = id;
		return CR_OK;
	}
	json_t *result = json_object_get(root, "result"), *error = json_object_get(root, "error");
	if (!id || (!result == !error)) {
		json_decref(root);
		out->root = NULL;
		return cr_fail(m, CR_ECORRUPT, "mcp: a response needs an id and exactly one of result and error");
	}
	out->kind = CR_MCP_RESPONSE;
	out->id = id;
	if (result) {
		out->result = result;
	} else {
		if (!json_is_object(error)) {
			json_decref(root);
			out->root = NULL;
			return cr_fail(m, CR_ECORRUPT, "mcp: error must be an object");
		}
		const char *em = json_string_value(json_object_get(error, "message"));
		out->error = em ? em : "";
		out->error_code = json_integer_value(json_object_get(error, "code"));
	}
	return CR_OK;
}

/* ---- SSE ---------------------------------------------------------------- */

void cr_mcp_sse_init(cr_mcp_sse *s, size_t cap)
{
	cr_buf_init(&s->line, cap);
	cr_buf_init(&s->data, cap);
}

void cr_mcp_sse_release(cr_mcp_sse *s)
{
	cr_buf_release(&s->line);
	cr_buf_release(&s->data);
}

static cr_err sse_dispatch(cr_mcp_sse *s, cr_mcp_sse_fn fn, void *ctx, cr_msg *m)
{
	if (!s->data.len)
		return CR_OK;
	/* drop the trailing \n of the last data line */
	size_t n = s->data.len;
	if (s->data.data[n - 1] == '\n')
		n--;
	cr_err e = fn(ctx, s->data.data, n, m);
	cr_buf_reset(&s->data);
	return e;
}

static cr_err sse_line(cr_mcp_sse *s, cr_mcp_sse_fn fn, void *ctx, cr_msg *m)
{
	char *l = s->line.data ? s->line.data : "";
	size_t n = s->line.len;
	if (n && l[n - 1] == '\r')
		n--;
	if (!n)
		return sse_dispatch(s, fn, ctx, m);
	if (n >= 5 && !memcmp(l, "data:", 5)) {
		size_t off = 5 + (n > 5 && l[5] == ' ');
		cr_err e = cr_buf_add(&s->data, l + off, n - off);
		if (!e)
			e = cr_buf_addc(&s->data, '\n');
		if (e)
			return cr_fail(m, CR_ETOOBIG, "mcp: an SSE event is over %zu bytes", s->data.cap);
	}
	/* event:, id:, retry: and comments carry nothing the client needs */
	return CR_OK;
}

cr_err cr_mcp_sse_feed(cr_mcp_sse *s, const char *p, size_t n, cr_mcp_sse_fn fn, void *ctx, cr_msg *m)
{
	while (n) {
		const char *nl = memchr(p, '\n', n);
		size_t k = nl ? (size_t)(nl - p) : n;
		if (cr_buf_add(&s->line, p, k))
			return cr_fail(m, CR_ETOOBIG, "mcp: an SSE line is over %zu bytes", s->line.cap);
		p += k;
		n -= k;
		if (!nl)
			break;
		p++;
		n--;
		cr_err e = sse_line(s, fn, ctx, m);
		cr_buf_reset(&s->line);
		if (e)
			return e;
	}
	return CR_OK;
}

cr_err cr_mcp_sse_end(cr_mcp_sse *s, cr_mcp_sse_fn fn, void *ctx, cr_msg *m)
{
	cr_err e = CR_OK;
	if (s->line.len) {
		e = sse_line(s, fn, ctx, m);
		cr_buf_reset(&s->line);
	}
	return e ? e : sse_dispatch(s, fn, ctx, m);
}

/* ---- a message while waiting -------------------------------------------- */

static int id_is(json_t *id, long long want)
{
	return json_is_integer(id) && json_integer_value(id) == want;
}

/* Answers a request the server made (stdio only: over HTTP a reply would be
 * a new POST, and servers there must not depend on it; skipped). */
static cr_err answer_server(cr_mcp *c, const cr_mcp_msg *q, cr_msg *m)
{
	if (!c || c->http)
		return CR_OK;
	json_t *r = json_pack("{s:s,s:O}", "jsonrpc", "2.0", "id", q->id);
	if (!r)
		return cr_fail(m, CR_ENOMEM, "mcp: out of memory");
	if (!strcmp(q->method, "ping"))
		json_object_set_new(r, "result", json_object());
	else
		json_object_set_new(r, "error",
				    json_pack("{s:i,s:s}", "code", -32601, "message", "method not supported by this client"));
	char *text = json_dumps(r, JSON_COMPACT);
	json_decref(r);
	if (!text)
		return cr_fail(m, CR_ENOMEM, "mcp: out of memory");
	cr_err e = cr_mcp_stdio_send(c, text, strlen(text), NULL, m);
	free(text);
	return e;
}

cr_err cr_mcp_on_message(cr_mcp_wait *w, const char *s, size_t n, cr_msg *m)
{
	if (w->done)
		return CR_OK; /* after the reply: notifications that trail it */
	cr_mcp_msg msg;
	cr_err e = cr_mcp_msg_parse(s, n, &msg, m);
	if (e)
		return e;
	switch (msg.kind) {
	case CR_MCP_NOTIFICATION:
		cr_log(CR_LOG_DEBUG, "mcp %s: notification %s", w->c ? w->c->name : "", msg.method);
		break;
	case CR_MCP_REQUEST:
		e = answer_server(w->c, &msg, m);
		break;
	case CR_MCP_RESPONSE:
		if (!id_is(msg.id, w->id)) {
			char *got = json_dumps(msg.id, JSON_ENCODE_ANY | JSON_COMPACT);
			e = cr_fail(m, CR_ECORRUPT, "mcp: the server replied to id %.40s, expected %lld",
				    got ? got : "?", w->id);
			free(got);
			break;
		}
		w->reply = msg;
		w->done = 1;
		return CR_OK;
	}
	json_decref(msg.root);
	return e;
}
