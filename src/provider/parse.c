/*
 * parse.c — reading what an OpenAI-compatible server sends back: the
 * server-sent event framing of a stream, and the chat completion JSON,
 * whole ({"choices":[{"message":{...},"finish_reason":...}],"usage":{...}})
 * or as stream chunks ({"choices":[{"delta":{...}}]}, tool calls arriving
 * in pieces keyed by "index"). These bytes come from outside: every field
 * is type-checked, sizes are capped (a line, the text, the tool calls),
 * and anything unexpected is CR_ECORRUPT or CR_EUPSTREAM with the reason.
 */
#include "provider_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* ---- server-sent events -------------------------------------------------- */

void cr_sse_init(cr_sse *s)
{
	memset(s, 0, sizeof *s);
	cr_buf_init(&s->line, CR_SSE_LINE_MAX);
	cr_buf_init(&s->data, CR_SSE_LINE_MAX);
}

void cr_sse_release(cr_sse *s)
{
	cr_buf_release(&s->line);
	cr_buf_release(&s->data);
}

static cr_err dispatch(cr_sse *s, cr_sse_fn fn, void *ctx, cr_msg *m)
{
	if (!s->has_data)
		return CR_OK;
	int is_error = s->is_error;
	s->has_data = s->is_error = 0;
	cr_err e = fn(ctx, s->data.data ? s->data.data : "", s->data.len, is_error, m);
	cr_buf_reset(&s->data);
	return e;
}

static cr_err take_line(cr_sse *s, const char *l, size_t n, cr_sse_fn fn, void *ctx, cr_msg *m)
{
	if (n && l[n - 1] == '\r')
		n--;
	if (!n)
		return dispatch(s, fn, ctx, m);
	if (l[0] == ':')
		return CR_OK;
	const char *colon = memchr(l, ':', n);
	size_t fl = colon ? (size_t)(colon - l) : n;
	const char *v = colon ? colon + 1 : l + n;
	size_t vl = (size_t)(l + n - v);
	if (vl && *v == ' ')
		v++, vl--;
	int is_data = fl == 4 && !memcmp(l, "data", 4);
	int is_error = fl == 5 && !memcmp(l, "error", 5);
	if (!is_data && !is_error)
		return CR_OK;
	if (s->has_data && cr_buf_addc(&s->data, '\n'))
		return cr_fail(m, CR_ECORRUPT, "event stream: an event over %u bytes", CR_SSE_LINE_MAX);
	if (cr_buf_add(&s->data, v, vl))
		return cr_fail(m, CR_ECORRUPT, "event stream: an event over %u bytes", CR_SSE_LINE_MAX);
	s->has_data = 1;
	s->is_error |= is_error;
	return CR_OK;
}

cr_err cr_sse_feed(cr_sse *s, const char *p, size_t n, cr_sse_fn fn, void *ctx, cr_msg *m)
{
	while (n) {
		const char *nl = memchr(p, '\n', n);
		size_t k = nl ? (size_t)(nl - p) : n;
		cr_err e;
		if (nl && !s->line.len) {
			e = take_line(s, p, k, fn, ctx, m); /* whole line in the input: no copy */
		} else {
			if (cr_buf_add(&s->line, p, k))
				return cr_fail(m, CR_ECORRUPT, "event stream: a line over %u bytes", CR_SSE_LINE_MAX);
			e = CR_OK;
			if (nl) {
				e = take_line(s, s->line.data, s->line.len, fn, ctx, m);
				cr_buf_reset(&s->line);
			}
		}
		if (e)
			return e;
		if (!nl)
			break;
		p += k + 1;
		n -= k + 1;
	}
	return CR_OK;
}

cr_err cr_sse_end(cr_sse *s, cr_sse_fn fn, void *ctx, cr_msg *m)
{
	cr_err e = CR_OK;
	if (s->line.len) {
		e = take_line(s, s->line.data, s->line.len, fn, ctx, m);
		cr_buf_reset(&s->line);
	}
	return e ? e : dispatch(s, fn, ctx, m);
}

/* ---- chat completions ------------------------------------------------------ */

void cr_chat_acc_init(cr_chat_acc *a, const char *who, cr_provider_text_fn fn, void *ctx)
{
	memset(a, 0, sizeof *a);
	a->who = who ? who : "provider";
	cr_buf_init(&a->text, CR_REPLY_TEXT_MAX);
	a->on_text = fn;
	a->on_text_ctx = ctx;
}

void cr_chat_acc_release(cr_chat_acc *a)
{
	cr_buf_release(&a->text);
	for (size_t i = 0; i < CR_TOOL_CALLS_MAX; i++) {
		cr_buf_release(&a->calls[i].id);
		cr_buf_release(&a->calls[i].name);
		cr_buf_release(&a->calls[i].args);
	}
}

void cr_provider_error_text(const char *body, size_t len, char *out, size_t cap)
{
	out[0] = 0;
	if (!body || !len || !cap)
		return;
	json_t *j = json_loadb(body, len, 0, NULL);
	const char *s = NULL;
	if (json_is_object(j)) {
		json_t *err = json_object_get(j, "error");
		if (json_is_string(err))
			s = json_string_value(err);
		else if (json_is_object(err) && json_is_string(json_object_get(err, "message")))
			s = json_string_value(json_object_get(err, "message"));
		else if (json_is_string(json_object_get(j, "message")))
			s = json_string_value(json_object_get(j, "message"));
		else if (json_is_string(json_object_get(j, "detail")))
			s = json_string_value(json_object_get(j, "detail"));
	}
	if (s) {
		snprintf(out, cap, "%s", s);
	} else {
		size_t k = CR_MIN(len, CR_MIN(cap - 1, (size_t)160));
		size_t o = 0;
		for (size_t i = 0; i < k; i++) /* printable ASCII only: it goes to a terminal */
			out[o++] = body[i] >= ' ' && body[i] < 127 ? body[i] : ' ';
		out[o] = 0;
	}
	json_decref(j);
}

static cr_err add_text(cr_chat_acc *a, const char *s, size_t n, cr_msg *m)
{
	if (!n)
		return CR_OK;
	if (cr_buf_add(&a->text, s, n))
		return cr_fail(m, CR_ETOOBIG, "%s: answer over %u bytes", a->who, CR_REPLY_TEXT_MAX);
	if (a->on_text) {
		a->streamed += n;
		if (a->on_text(a->on_text_ctx, s, n))
			return cr_fail(m, CR_ECANCELED, "%s: stopped by the caller", a->who);
	}
	return CR_OK;
}

static cr_err str_field(json_t *o, const char *k, const char **out)
{
	json_t *v = json_object_get(o, k);
	*out = NULL;
	if (!v || json_is_null(v))
		return CR_OK;
	if (!json_is_string(v))
		return CR_ECORRUPT;
	*out = json_string_value(v);
	return CR_OK;
}

/* Tool calls, whole (message) or in pieces (delta, keyed by "index"). */
static cr_err add_calls(cr_chat_acc *a, json_t *calls, int delta, cr_msg *m)
{
	if (!calls || json_is_null(calls))
		return CR_OK;
	if (!json_is_array(calls))
		return cr_fail(m, CR_ECORRUPT, "%s: tool_calls is not an array", a->who);
	size_t i;
	json_t *c;
	json_array_foreach(calls, i, c)
	{
		if (!json_is_object(c))
			return cr_fail(m, CR_ECORRUPT, "%s: a tool call is not an object", a->who);
		json_int_t idx = (json_int_t)a->n_calls;
		json_t *ix = json_object_get(c, "index");
		if (delta && json_is_integer(ix))
			idx = json_integer_value(ix);
		else if (delta && a->n_calls && !json_object_get(c, "id"))
			idx = (json_int_t)a->n_calls - 1; /* no index, no id: continues the last call */
		if (idx < 0 || idx >= CR_TOOL_CALLS_MAX)
			return cr_fail(m, CR_ECORRUPT, "%s: tool call index %lld out of range (max %d calls)", a->who,
				       (long long)idx, CR_TOOL_CALLS_MAX);
		if ((size_t)idx >= a->n_calls) {
			for (size_t k = a->n_calls; k <= (size_t)idx; k++) {
				cr_buf_init(&a->calls[k].id, 4096);
				cr_buf_init(&a->calls[k].name, 4096);
				cr_buf_init(&a->calls[k].args, CR_REPLY_TEXT_MAX);
			}
			a->n_calls = (size_t)idx + 1;
		}
		const char *id, *name = NULL, *args = NULL;
		json_t *fn = json_object_get(c, "function");
		if (str_field(c, "id", &id) || (fn && !json_is_object(fn)) ||
		    (fn && (str_field(fn, "name", &name) || str_field(fn, "arguments", &args))))
			return cr_fail(m, CR_ECORRUPT, "%s: a tool call has fields of the wrong type", a->who);
		if (fn && json_is_object(json_object_get(fn, "arguments"))) {
			/* some servers send the arguments as an object, not text */
			char *t = json_dumps(json_object_get(fn, "arguments"), JSON_COMPACT);
			cr_err e = t ? cr_buf_adds(&a->calls[idx].args, t) : CR_ENOMEM;
			free(t);
			if (e)
				return cr_fail(m, CR_ETOOBIG, "%s: tool call arguments too long", a->who);
		}
		/* id and name come once (some servers repeat them in every piece);
		 * the arguments' text arrives in pieces */
		if ((id && !a->calls[idx].id.len && cr_buf_adds(&a->calls[idx].id, id)) ||
		    (name && !a->calls[idx].name.len && cr_buf_adds(&a->calls[idx].name, name)) ||
		    (args && cr_buf_adds(&a->calls[idx].args, args)))
			return cr_fail(m, CR_ETOOBIG, "%s: tool call too long", a->who);
	}
	return CR_OK;
}

static cr_err take_usage(cr_chat_acc *a, json_t *root, cr_msg *m)
{
	json_t *u = json_object_get(root, "usage");
	if (!u || json_is_null(u))
		return CR_OK;
	if (!json_is_object(u))
		return cr_fail(m, CR_ECORRUPT, "%s: usage is not an object", a->who);
	json_t *pt = json_object_get(u, "prompt_tokens"), *ct = json_object_get(u, "completion_tokens");
	if (json_is_integer(pt) && json_integer_value(pt) >= 0)
		a->prompt_tokens = json_integer_value(pt);
	if (json_is_integer(ct) && json_integer_value(ct) >= 0)
		a->completion_tokens = json_integer_value(ct);
	json_t *cached = json_object_get(json_object_get(u, "prompt_tokens_details"), "cached_tokens");
	if (json_is_integer(cached) && json_integer_value(cached) >= 0)
		a->prompt_cached = json_integer_value(cached);
	return CR_OK;
}

static cr_err upstream_error(cr_chat_acc *a, json_t *root, const char *data, size_t len, cr_msg *m)
{
	char why[300];
	char *t = root ? json_dumps(root, JSON_COMPACT) : NULL;
	cr_provider_error_text(t ? t : data, t ? strlen(t) : len, why, sizeof why);
	free(t);
	return cr_fail(m, CR_EUPSTREAM, "%s: the server reported an error: %s", a->who, why);
}

static cr_err take_choice(cr_chat_acc *a, json_t *root, int delta, cr_msg *m)
{
	json_t *ch = json_object_get(root, "choices");
	if (!json_is_array(ch))
		return cr_fail(m, CR_ECORRUPT, "%s: response without \"choices\"", a->who);
	if (!json_array_size(ch))
		return CR_OK; /* a stream's usage-only chunk */
	json_t *c0 = NULL, *c;
	size_t i;
	json_array_foreach(ch, i, c)
	{
		json_t *ix = json_object_get(c, "index");
		if (json_is_object(c) && (!ix || (json_is_integer(ix) && json_integer_value(ix) == 0))) {
			c0 = c;
			break;
		}
	}
	if (!c0)
		return cr_fail(m, CR_ECORRUPT, "%s: no usable choice in the response", a->who);
	json_t *msg = json_object_get(c0, delta ? "delta" : "message");
	if (msg && !json_is_null(msg)) {
		if (!json_is_object(msg))
			return cr_fail(m, CR_ECORRUPT, "%s: \"%s\" is not an object", a->who, delta ? "delta" : "message");
		const char *content;
		if (str_field(msg, "content", &content))
			return cr_fail(m, CR_ECORRUPT, "%s: content is not text", a->who);
		cr_err e;
		if (content && (e = add_text(a, content, strlen(content), m)))
			return e;
		if ((e = add_calls(a, json_object_get(msg, "tool_calls"), delta, m)))
			return e;
	} else if (!delta) {
		/* legacy completions: "text" */
		const char *t;
		if (str_field(c0, "text", &t) || !t)
			return cr_fail(m, CR_ECORRUPT, "%s: a choice without a message", a->who);
		cr_err e = add_text(a, t, strlen(t), m);
		if (e)
			return e;
	}
	const char *fin;
	if (str_field(c0, "finish_reason", &fin))
		return cr_fail(m, CR_ECORRUPT, "%s: finish_reason is not text", a->who);
	if (fin)
		snprintf(a->finish, sizeof a->finish, "%s", fin);
	return CR_OK;
}

cr_err cr_chat_acc_event(void *ctx, const char *data, size_t len, int is_error, cr_msg *m)
{
	cr_chat_acc *a = ctx;
	if (a->done)
		return CR_OK; /* anything after [DONE] is ignored */
	if (len == 6 && !memcmp(data, "[DONE]", 6)) {
		a->done = 1;
		return CR_OK;
	}
	a->n_events++;
	json_error_t je;
	json_t *root = json_loadb(data, len, 0, &je);
	if (is_error) {
		cr_err e = upstream_error(a, root, data, len, m);
		json_decref(root);
		return e;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		char head[64];
		cr_provider_error_text(data, len, head, sizeof head);
		return cr_fail(m, CR_ECORRUPT, "%s: a stream event is not a JSON object: %s", a->who, head);
	}
	cr_err e;
	if (json_object_get(root, "error") && !json_object_get(root, "choices"))
		e = upstream_error(a, root, data, len, m);
	else if (!(e = take_choice(a, root, 1, m)))
		e = take_usage(a, root, m);
	json_decref(root);
	return e;
}

cr_err cr_chat_acc_body(cr_chat_acc *a, const char *body, size_t len, cr_msg *m)
{
	json_error_t je;
	json_t *root = json_loadb(body, len, 0, &je);
	if (!json_is_object(root)) {
		json_decref(root);
		char head[64];
		cr_provider_error_text(body, len, head, sizeof head);
		return cr_fail(m, CR_ECORRUPT, "%s: the response is not a JSON object (%s): %s", a->who,
			       root ? "another JSON value" : je.text, head);
	}
	cr_err e;
	if (json_object_get(root, "error") && !json_object_get(root, "choices"))
		e = upstream_error(a, root, body, len, m);
	else if (!(e = take_choice(a, root, 0, m)))
		e = take_usage(a, root, m);
	json_decref(root);
	if (!e)
		a->done = 1;
	return e;
}

cr_err cr_chat_acc_reply(cr_chat_acc *a, cr_provider_reply *out)
{
	cr_arena *ar = &out->arena;
	out->text = cr_arena_strndup(ar, a->text.data ? a->text.data : "", a->text.len);
	out->len = a->text.len;
	out->finish_reason = cr_arena_strdup(ar, a->finish[0] ? a->finish : (a->n_calls ? "tool_calls" : "stop"));
	out->prompt_tokens = a->prompt_tokens;
	out->completion_tokens = a->completion_tokens;
	out->prompt_cached = a->prompt_cached;
	out->load_ms = a->load_ms;
	out->prompt_ms = a->prompt_ms;
	out->first_token_ms = a->first_token_ms;
	if (!out->text || !out->finish_reason)
		return CR_ENOMEM;
	out->n_tool_calls = 0;
	out->tool_calls = NULL;
	if (a->n_calls) {
		cr_provider_tool_call *tc = cr_arena_zalloc(ar, a->n_calls * sizeof *tc);
		if (!tc)
			return CR_ENOMEM;
		for (size_t i = 0; i < a->n_calls; i++) {
			tc[i].id = cr_arena_strndup(ar, a->calls[i].id.data ? a->calls[i].id.data : "", a->calls[i].id.len);
			tc[i].name = cr_arena_strndup(ar, a->calls[i].name.data ? a->calls[i].name.data : "",
						      a->calls[i].name.len);
			tc[i].arguments = cr_arena_strndup(ar, a->calls[i].args.data ? a->calls[i].args.data : "",
							   a->calls[i].args.len);
			if (!tc[i].id || !tc[i].name || !tc[i].arguments)
				return CR_ENOMEM;
		}
		out->tool_calls = tc;
		out->n_tool_calls = a->n_calls;
	}
	return CR_OK;
}
