/*
 * redact.c — personal data kept from external providers (pii.h).
 *
 * Before a chat goes to a provider of trust "external", every message's
 * content and the assistant turns' tool calls pass through the redactor:
 * names, e-mail addresses, phone numbers, postal addresses, My Numbers and
 * card numbers become placeholders ("[PERSON_1]"), the same value the same
 * placeholder in every message of the call (one cr_pii_map per call, in
 * memory only, wiped at the end). Content that is JSON (a tool's result)
 * is redacted value by value and written back as JSON, so the escapes of
 * its strings cannot hide a name from the line rules. The names the whole
 * conversation states (headers, attendee lists, signatures) are learned
 * first, so a name is replaced in every message, also in those before the
 * one that named it; the caller may add names it knows (opts->pii_names:
 * the users directory, a document's metadata).
 *
 * The answer comes back restored: streamed text through a cr_pii_stream
 * (a placeholder split across two pieces is held until it is whole), and
 * the final text and the tool calls' arguments in the reply, so the
 * caller, the verifier and the user see the real values.
 *
 * Texts sent to an external embedder go redacted too (cr_redaction_texts;
 * nothing comes back to restore): a name then no longer draws its
 * documents in vector search through that embedder, the price of not
 * sending it.
 *
 * This is the one place every request to a model passes (answer, agent,
 * server), below any routing or policy; a provider's config may turn it
 * off (cfg.keep_pii), which only the operator should do.
 */
#include "provider_int.h"

#include <jansson.h>
#include <string.h>

int cr_redaction_wanted(const cr_provider *p)
{
	return p->trust && !strcmp(p->trust, "external") && !p->cfg.keep_pii;
}

static cr_err redact_text(cr_redaction *r, const char *s, size_t n, const char **out, cr_msg *m);

/* Redacts every string of a JSON value in place. */
static cr_err redact_json(cr_redaction *r, json_t *v, cr_msg *m)
{
	cr_err e = CR_OK;
	if (json_is_string(v)) {
		const char *red;
		e = redact_text(r, json_string_value(v), json_string_length(v), &red, m);
		if (!e && json_string_set(v, red))
			e = cr_fail(m, CR_ENOMEM, "redaction: out of memory");
	} else if (json_is_array(v)) {
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x)
		{
			if ((e = redact_json(r, x, m)))
				break;
		}
	} else if (json_is_object(v)) {
		const char *k;
		json_t *x;
		json_object_foreach(v, k, x)
		{
			if ((e = redact_json(r, x, m)))
				break;
		}
	}
	return e;
}

static cr_err redact_text(cr_redaction *r, const char *s, size_t n, const char **out, cr_msg *m)
{
	cr_buf b;
	cr_buf_init(&b, 0);
	cr_err e = cr_pii_redact(r->pii, r->map, s, n, &b, m);
	if (!e) {
		*out = cr_arena_strndup(&r->arena, b.data ? b.data : "", b.len);
		if (!*out)
			e = cr_fail(m, CR_ENOMEM, "redaction: out of memory");
	}
	cr_buf_release(&b);
	return e;
}

/* A message's content: JSON object or array value by value, else text. */
static cr_err redact_content(cr_redaction *r, const char *s, const char **out, cr_msg *m)
{
	size_t n = strlen(s);
	size_t i = 0;
	while (i < n && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r'))
		i++;
	if (i < n && (s[i] == '{' || s[i] == '[')) {
		json_t *j = json_loadb(s, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
		if (j) {
			cr_err e = redact_json(r, j, m);
			char *d = e ? NULL : json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
			json_decref(j);
			if (e)
				return e;
			if (!d || !(*out = cr_arena_strdup(&r->arena, d))) {
				free(d);
				return cr_fail(m, CR_ENOMEM, "redaction: out of memory");
			}
			free(d);
			return CR_OK;
		}
	}
	return redact_text(r, s, n, out, m);
}

static int learn_json(cr_redaction *r, json_t *v)
{
	if (json_is_string(v))
		return cr_pii_learn(r->pii, r->map, json_string_value(v), json_string_length(v), NULL) != CR_OK;
	size_t i;
	const char *k;
	json_t *x;
	if (json_is_array(v))
		json_array_foreach(v, i, x) if (learn_json(r, x)) return 1;
	if (json_is_object(v))
		json_object_foreach(v, k, x) if (learn_json(r, x)) return 1;
	return 0;
}

static cr_err learn_content(cr_redaction *r, const char *s, cr_msg *m)
{
	size_t n = strlen(s), i = 0;
	while (i < n && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r'))
		i++;
	if (i < n && (s[i] == '{' || s[i] == '[')) {
		json_t *j = json_loadb(s, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
		if (j) {
			int bad = learn_json(r, j);
			json_decref(j);
			return bad ? cr_fail(m, CR_ENOMEM, "redaction: out of memory") : CR_OK;
		}
	}
	return cr_pii_learn(r->pii, r->map, s, n, m);
}

cr_err cr_redaction_begin(cr_provider *p, const cr_provider_msg *msgs, size_t n, const cr_provider_chat_opts *o,
			  cr_redaction *r, cr_msg *m)
{
	memset(r, 0, sizeof *r);
	cr_arena_init(&r->arena, 0);
	cr_err e = CR_OK;
	if (!p->pii && (e = cr_pii_new(&p->pii, m)))
		return e;
	r->pii = p->pii;
	cr_pii_clear_names(r->pii);
	for (size_t i = 0; i < o->n_pii_names && !e; i++)
		if (o->pii_names[i])
			e = cr_pii_add_name(r->pii, o->pii_names[i], strlen(o->pii_names[i]));
	if (e)
		return cr_fail(m, e, "redaction: too many names");
	if ((e = cr_pii_map_new(&r->map)))
		return cr_fail(m, e, "redaction: out of memory");
	for (size_t i = 0; i < n && !e; i++) {
		if (msgs[i].content)
			e = learn_content(r, msgs[i].content, m);
		if (!e && msgs[i].tool_calls_json)
			e = learn_content(r, msgs[i].tool_calls_json, m);
	}
	r->msgs = e ? NULL : cr_arena_alloc(&r->arena, n * sizeof *r->msgs);
	if (!e && !r->msgs)
		e = cr_fail(m, CR_ENOMEM, "redaction: out of memory");
	for (size_t i = 0; i < n && !e; i++) {
		r->msgs[i] = msgs[i];
		if (msgs[i].content)
			e = redact_content(r, msgs[i].content, &r->msgs[i].content, m);
		if (!e && msgs[i].tool_calls_json)
			e = redact_content(r, msgs[i].tool_calls_json, &r->msgs[i].tool_calls_json, m);
	}
	if (e) {
		cr_redaction_end(r);
		return e;
	}
	r->fn = o->on_text;
	r->ctx = o->on_text_ctx;
	cr_pii_stream_init(&r->stream, r->map);
	cr_buf_init(&r->piece, 0);
	return CR_OK;
}

int cr_redaction_text(void *ctx, const char *text, size_t len)
{
	cr_redaction *r = ctx;
	cr_buf_reset(&r->piece);
	if (cr_pii_stream_feed(&r->stream, text, len, &r->piece))
		return 1;
	if (!r->piece.len)
		return 0;
	return r->fn(r->ctx, r->piece.data, r->piece.len);
}

int cr_redaction_flush(cr_redaction *r)
{
	if (!r->fn)
		return 0;
	cr_buf_reset(&r->piece);
	if (cr_pii_stream_flush(&r->stream, &r->piece))
		return 1;
	return r->piece.len ? r->fn(r->ctx, r->piece.data, r->piece.len) : 0;
}

static const char *restored(cr_redaction *r, cr_provider_reply *out, const char *s, size_t n, size_t *len)
{
	cr_buf b;
	cr_buf_init(&b, 0);
	const char *res = NULL;
	if (!cr_pii_restore(r->map, s, n, &b))
		res = cr_arena_strndup(&out->arena, b.data ? b.data : "", b.len);
	if (res && len)
		*len = b.len;
	cr_buf_release(&b);
	return res;
}

cr_err cr_redaction_restore_reply(cr_redaction *r, cr_provider_reply *out)
{
	if (out->text) {
		size_t len = 0;
		const char *t = restored(r, out, out->text, out->len, &len);
		if (!t)
			return CR_ENOMEM;
		out->text = t;
		out->len = len;
	}
	cr_provider_tool_call *calls = (cr_provider_tool_call *)out->tool_calls;
	for (size_t i = 0; i < out->n_tool_calls; i++)
		if (calls[i].arguments) {
			const char *a = restored(r, out, calls[i].arguments, strlen(calls[i].arguments), NULL);
			if (!a)
				return CR_ENOMEM;
			calls[i].arguments = a;
		}
	out->pii_redacted = (int)cr_pii_map_count(r->map);
	return CR_OK;
}

void cr_redaction_end(cr_redaction *r)
{
	cr_pii_map_free(r->map);
	r->map = NULL;
	cr_buf_release(&r->piece);
	/* the redacted copies hold placeholders only, yet go the same way */
	cr_arena_release(&r->arena);
}

cr_err cr_redaction_texts(cr_provider *p, const char *const *texts, size_t n, cr_arena *a, const char *const **out,
			  cr_msg *m)
{
	cr_err e = CR_OK;
	if (!p->pii && (e = cr_pii_new(&p->pii, m)))
		return e;
	cr_pii_clear_names(p->pii);
	cr_pii_map *map;
	if (cr_pii_map_new(&map))
		return cr_fail(m, CR_ENOMEM, "redaction: out of memory");
	const char **v = cr_arena_alloc(a, n * sizeof *v);
	if (!v)
		e = cr_fail(m, CR_ENOMEM, "redaction: out of memory");
	cr_buf b;
	cr_buf_init(&b, 0);
	for (size_t i = 0; i < n && !e; i++) {
		cr_buf_reset(&b);
		const char *t = texts[i] ? texts[i] : "";
		e = cr_pii_redact(p->pii, map, t, strlen(t), &b, m);
		if (!e && !(v[i] = cr_arena_strndup(a, b.data ? b.data : "", b.len)))
			e = cr_fail(m, CR_ENOMEM, "redaction: out of memory");
	}
	cr_buf_release(&b);
	cr_pii_map_free(map);
	*out = e ? NULL : v;
	return e;
}
