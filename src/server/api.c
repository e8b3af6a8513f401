/*
 * api.c — the REST routes under /api/ and the probes: each calls the
 * library function the command line calls (cr_corpus_search and
 * cr_corpus_search_json for `search --json`, cr_answer_ask[_model] and
 * cr_answer_json for `ask --json`, cr_corpus_doc_json for `show --json`),
 * so the server answers with the command line's bytes.
 *
 * /api/ask streams (server-sent events) when the body says "stream": true
 * or the client accepts only text/event-stream:
 *   event: delta    data: {"text": "..."}      the answer's text, in pieces
 *   event: answer   data: cr_answer_json's object (citations, retrieval)
 *   event: error    data: {"error": {"code", "message"}}
 *   event: done     data: {}
 * The answer is verified before any of it is sent (an unverified sentence
 * is never shown as fact), so pieces follow the finished answer.
 */
#include "server_int.h"

#include <stdlib.h>
#include <string.h>

#define REQUEST_TIMEOUT 60.0 /* seconds a request's library work may take */

enum MHD_Result srv_handle_healthz(srv_req *r)
{
	static const char ok[] = "{\"status\":\"ok\"}\n";
	return srv_reply(r, 200, "application/json", ok, sizeof ok - 1);
}

enum MHD_Result srv_handle_readyz(srv_req *r)
{
	cr_store *st;
	cr_msg m = {{0}};
	cr_err e = cr_corpus_store_acquire(r->s->corpus, &st, &m);
	if (e)
		return srv_error(r, 503, "not_ready", "catalog: %s", m.text[0] ? m.text : cr_strerror(e));
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_store_stats ss;
	e = cr_store_get_stats(st, &a, &ss, &m);
	cr_arena_release(&a);
	cr_corpus_store_release(r->s->corpus, st);
	if (e)
		return srv_error(r, 503, "not_ready", "catalog: %s", m.text[0] ? m.text : cr_strerror(e));
	cr_index_stats is;
	cr_index_get_stats(cr_corpus_index(r->s->corpus), &is);
	cr_buf b;
	cr_buf_init(&b, 0);
	e = cr_buf_printf(&b, "{\"status\":\"ready\",\"documents\":%lld,\"chunks\":%lld,\"index_entries\":%llu}\n",
			  (long long)ss.n_docs, (long long)ss.n_chunks, (unsigned long long)is.n_entries);
	enum MHD_Result ok = e ? srv_error(r, 500, NULL, "out of memory") : srv_reply_json(r, 200, &b);
	cr_buf_release(&b);
	return ok;
}

/* Who the request runs as: {"user": null} for the local operator. */
enum MHD_Result srv_handle_me(srv_req *r)
{
	cr_buf b;
	cr_buf_init(&b, 0);
	cr_err e;
	if (!r->ctx.user)
		e = cr_buf_adds(&b, "{\"user\":null,\"role\":\"admin\",\"tenant\":0,\"groups\":[],\"auth\":false}\n");
	else {
		e = cr_buf_adds(&b, "{\"user\":");
		if (!e)
			e = cr_buf_add_json_str(&b, r->ctx.user, strlen(r->ctx.user));
		if (!e)
			e = cr_buf_printf(&b, ",\"role\":\"%s\",\"tenant\":%u,\"groups\":[", r->ctx.role, r->ctx.tenant);
		for (uint32_t i = 0; i < r->ctx.n_groups && !e; i++)
			e = cr_buf_printf(&b, "%s%u", i ? "," : "", r->ctx.groups[i]);
		if (!e)
			e = cr_buf_adds(&b, "],\"tenant_name\":");
		if (!e)
			e = cr_buf_add_json_str(&b, r->ctx.tenant_name, strlen(r->ctx.tenant_name));
		if (!e)
			e = r->csrf[0] ? cr_buf_printf(&b, ",\"via\":\"session\",\"csrf\":\"%s\"", r->csrf)
				       : cr_buf_adds(&b, ",\"via\":\"token\"");
		if (!e)
			e = cr_buf_adds(&b, ",\"auth\":true}\n");
	}
	enum MHD_Result ok = e ? srv_error(r, 500, NULL, "out of memory") : srv_reply_json(r, 200, &b);
	cr_buf_release(&b);
	return ok;
}

/* ---- search -------------------------------------------------------------- */

enum MHD_Result srv_handle_search(srv_req *r)
{
	int bad = 0;
	const char *q = srv_arg(r, "q", &bad), *ks = srv_arg(r, "k", &bad), *type = srv_arg(r, "type", &bad),
		   *path = srv_arg(r, "path", &bad), *from = srv_arg(r, "from", &bad), *to = srv_arg(r, "to", &bad),
		   *plain = srv_arg(r, "plain", &bad), *mode = srv_arg(r, "mode", &bad);
	if (bad)
		return srv_error(r, 400, NULL, "an argument is not valid UTF-8");
	cr_msg m = {{0}};
	long k;
	if (srv_parse_int(ks, 1, 100, 10, &k, &m))
		return srv_error(r, 400, NULL, "k: %s", m.text);
	const char *text;
	cr_err e = srv_query_text(&r->arena, q, type, path, from, to, &text, &m);
	if (e)
		return srv_error_err(r, e, &m);
	if (!text[strspn(text, " ")])
		return srv_error(r, 400, NULL, "q is required");
	cr_cancel cancel;
	cr_cancel_init(&cancel);
	cr_cancel_set_timeout(&cancel, REQUEST_TIMEOUT);
	cr_corpus_query cq = {.text = text,
			      .k = (int)k,
			      .who = r->ctx.who,
			      .plain = plain && !strcmp(plain, "1"),
			      .cancel = &cancel};
	if ((e = srv_search_mode(r->s, &r->arena, mode, q && *q ? q : text, &cq.mode, &cq.vec, &cq.vec_dim, &m)))
		return srv_error_err(r, e, &m);
	cr_result *rs;
	size_t n;
	if ((e = cr_corpus_search(r->s->corpus, &r->arena, &cq, &rs, &n, &m)))
		return srv_error_err(r, e, &m);
	json_t *ids = json_array();
	for (size_t i = 0; ids && i < n; i++)
		json_array_append_new(ids, json_integer(rs[i].chunk_id));
	if ((e = srv_audit(r->s, &r->ctx, "search", json_pack("{ss si so}", "query", text, "k", (int)k, "chunks", ids),
			   &m)))
		return srv_error_err(r, e, &m);
	cr_buf b;
	cr_buf_init(&b, 0);
	e = cr_corpus_search_json(&b, cq.mode, "query", text, rs, n);
	if (!e)
		e = cr_buf_addc(&b, '\n');
	enum MHD_Result ok = e ? srv_error(r, 500, NULL, "out of memory") : srv_reply_json(r, 200, &b);
	cr_buf_release(&b);
	return ok;
}

/* ---- ask ----------------------------------------------------------------- */

cr_err srv_answer(cr_server *s, cr_arena *a, const srv_ctx *ctx, const char *question, int k, const char *provider,
		  int extractive, const cr_cancel *cancel, cr_answer *out, cr_msg *m)
{
	cr_ask_opts o = {.k = k,
			 .who = ctx ? ctx->who : NULL,
			 .cancel = cancel,
			 .egress = s->cfg.egress,
			 .tenant = ctx && ctx->tenant_name ? ctx->tenant_name : "default"};
	/* passages found as `search` finds them: hybrid when there are vectors */
	cr_err e = srv_search_mode(s, a, NULL, question, &o.mode, &o.vec, &o.vec_dim, m);
	if (e)
		return e;
	if (extractive) {
		e = cr_answer_ask(s->corpus, a, question, &o, out, m);
		goto audit;
	}
	srv_chain *ch;
	cr_msg cm = {{0}};
	e = srv_chain_get(s, provider, &ch, &cm);
	if (e == CR_ENOTFOUND && !provider) {
		e = cr_answer_ask(s->corpus, a, question, &o, out, m); /* no default: extractive */
		goto audit;
	}
	if (e) {
		if (m)
			*m = cm;
		return e;
	}
	srv_chain_for(ch, ctx);
	e = cr_answer_ask_model(s->corpus, a, question, &o, cr_provider_chain_head(ch->chain), out, m);
	srv_chain_put(s, ch);
audit:
	if (e)
		return e;
	/* the question, how it was answered, the chunks retrieved and cited:
	 * recorded before the answer is shown */
	json_t *got = json_array(), *cited = json_array();
	for (size_t i = 0; got && i < out->n_sources; i++)
		json_array_append_new(got, json_integer(out->sources[i].chunk_id));
	for (size_t i = 0; cited && i < out->n_citations; i++)
		for (size_t j = 0; j < out->n_sources; j++)
			if (out->sources[j].n == out->citations[i].n)
				json_array_append_new(cited, json_integer(out->sources[j].chunk_id));
	return srv_audit(s, ctx, "ask",
			 json_pack("{ss ss sb so so si si ss*}", "question", question, "mode", out->mode, "found",
				   out->found, "retrieved", got, "cited", cited, "unverified", (int)out->n_unverified,
				   "withheld", (int)out->n_withheld, "withheld_class", out->withheld_class),
			 m);
}

static const cr_source *source_of(const cr_answer *ans, int n)
{
	for (size_t i = 0; i < ans->n_sources; i++)
		if (ans->sources[i].n == n)
			return &ans->sources[i];
	return NULL;
}

cr_err srv_sources_text(const cr_answer *ans, cr_buf *b)
{
	if (!ans->n_citations)
		return CR_OK;
	cr_err e = cr_buf_adds(b, strcmp(ans->lang, "ja") ? "\n\nSources:" : "\n\n出典:");
	for (size_t i = 0; i < ans->n_citations && !e; i++) {
		const cr_citation *c = &ans->citations[i];
		const cr_source *s = source_of(ans, c->n);
		if (!s)
			continue;
		e = cr_buf_printf(b, "\n[%d] %s", c->n, s->doc ? s->doc : "?");
		const cr_loc *l = &s->loc;
		if (!e && l->page > 0)
			e = cr_buf_printf(b, ", page %d", l->page);
		if (!e && l->slide > 0)
			e = cr_buf_printf(b, ", slide %d", l->slide);
		if (!e && l->sheet)
			e = cr_buf_printf(b, ", sheet %s", l->sheet);
		if (!e && l->line_start > 0)
			e = l->line_end > l->line_start
				    ? cr_buf_printf(b, ", %ss %d-%d", l->sheet ? "row" : "line", l->line_start, l->line_end)
				    : cr_buf_printf(b, ", %s %d", l->sheet ? "row" : "line", l->line_start);
		if (!e && l->speaker)
			e = cr_buf_printf(b, ", %s", l->speaker);
		if (!e && s->title && *s->title)
			e = cr_buf_printf(b, " — %s", s->title);
		if (!e && c->quote && *c->quote) {
			e = cr_buf_adds(b, "\n    \"");
			for (const char *p = c->quote; *p && !e; p++)
				e = cr_buf_addc(b, *p == '\n' || *p == '\r' || *p == '\t' ? ' ' : *p);
			if (!e)
				e = cr_buf_addc(b, '"');
		}
	}
	return e;
}

/* The end of the next piece of text to stream: after a space or a CJK
 * character, at most ~24 bytes on, never inside a UTF-8 sequence. */
size_t srv_piece_end(const char *t, size_t len, size_t at)
{
	size_t i = at, lim = CR_MIN(len, at + 24);
	while (i < lim) {
		unsigned char c = (unsigned char)t[i];
		size_t cl = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
		i = CR_MIN(len, i + cl);
		if (c == ' ' || c == '\n' || c >= 0xE0)
			break;
	}
	while (i < len && ((unsigned char)t[i] & 0xC0) == 0x80)
		i++;
	return i > at ? i : CR_MIN(len, at + 1);
}

typedef struct ask_job {
	cr_server *s;
	srv_ctx ctx;
	char *question, *provider;
	int k, extractive;
} ask_job;

void srv_stream_error(srv_stream *st, cr_err e, const cr_msg *m)
{
	cr_buf b;
	cr_buf_init(&b, 0);
	const char *msg = m && m->text[0] ? m->text : cr_strerror(e);
	if (!cr_buf_printf(&b, "{\"error\":{\"code\":\"%s\",\"status\":%u,\"message\":",
			   e == CR_ECANCELED ? "canceled" : e == CR_ETIMEOUT ? "timeout" : "error", srv_status(e)) &&
	    !cr_buf_add_json_str(&b, msg, strlen(msg)) && !cr_buf_adds(&b, "}}"))
		CR_IGNORE(srv_stream_event(st, "error", b.data, b.len));
	cr_buf_release(&b);
}

static void ask_stream(srv_stream *st, void *arg)
{
	ask_job *j = arg;
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_answer ans;
	cr_msg m = {{0}};
	cr_cancel_set_timeout(&st->cancel, REQUEST_TIMEOUT);
	cr_err e = srv_answer(j->s, &a, &j->ctx, j->question, j->k, j->provider, j->extractive, &st->cancel, &ans, &m);
	if (e) {
		srv_stream_error(st, e, &m);
		goto out;
	}
	size_t len = strlen(ans.text);
	cr_buf b;
	cr_buf_init(&b, 0);
	for (size_t at = 0; at < len;) {
		size_t end = srv_piece_end(ans.text, len, at);
		cr_buf_reset(&b);
		if (cr_buf_adds(&b, "{\"text\":") || cr_buf_add_json_str(&b, ans.text + at, end - at) ||
		    cr_buf_addc(&b, '}') || srv_stream_event(st, "delta", b.data, b.len))
			break;
		at = end;
	}
	cr_buf_reset(&b);
	if (!cr_answer_json(&ans, &b))
		CR_IGNORE(srv_stream_event(st, "answer", b.data, b.len));
	cr_buf_release(&b);
out:
	CR_IGNORE(srv_stream_event(st, "done", "{}", 2));
	cr_arena_release(&a);
}

static int wants_stream(srv_req *r)
{
	const char *acc = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	return acc && strstr(acc, "text/event-stream") && !strstr(acc, "application/json");
}

enum MHD_Result srv_handle_ask(srv_req *r)
{
	srv_ask_req q;
	cr_msg m = {{0}};
	cr_err e = srv_decode_ask(r->body.data, r->body.len, &r->arena, &q, &m);
	if (e)
		return srv_error_err(r, e, &m);
	if (q.stream || wants_stream(r)) {
		srv_stream *st = srv_stream_new(r);
		if (!st)
			return MHD_YES;
		ask_job *j = cr_arena_zalloc(&st->arena, sizeof *j);
		if (!j || !(j->question = cr_arena_strdup(&st->arena, q.question)) ||
		    (q.provider && !(j->provider = cr_arena_strdup(&st->arena, q.provider))) ||
		    srv_ctx_copy(&st->arena, &r->ctx, &j->ctx)) {
			srv_stream_drop(st);
			return srv_error(r, 500, NULL, "out of memory");
		}
		j->s = r->s;
		j->k = q.k;
		j->extractive = q.extractive;
		return srv_stream_start(r, st, ask_stream, j);
	}
	cr_cancel cancel;
	cr_cancel_init(&cancel);
	cr_cancel_set_timeout(&cancel, REQUEST_TIMEOUT);
	cr_answer ans;
	if ((e = srv_answer(r->s, &r->arena, &r->ctx, q.question, q.k, q.provider, q.extractive, &cancel, &ans, &m)))
		return srv_error_err(r, e, &m);
	cr_buf b;
	cr_buf_init(&b, 0);
	e = cr_answer_json(&ans, &b);
	if (!e)
		e = cr_buf_addc(&b, '\n');
	enum MHD_Result ok = e ? srv_error(r, 500, NULL, "out of memory") : srv_reply_json(r, 200, &b);
	cr_buf_release(&b);
	return ok;
}

/* ---- documents ------------------------------------------------------------ */

typedef struct list_ctx {
	int64_t *ids;
	size_t n, cap;
} list_ctx;

static int collect_id(void *ctx, int64_t id, const char *name, const char *hash, int64_t mtime, int64_t size)
{
	list_ctx *l = ctx;
	if (l->n >= l->cap)
		return 1;
	l->ids[l->n++] = id;
	return 0;
}

static cr_err kstr(cr_buf *b, const char *key, const char *v)
{
	cr_err e = cr_buf_printf(b, ",\"%s\":", key);
	if (!e)
		e = v ? cr_buf_add_json_str(b, v, strlen(v)) : cr_buf_adds(b, "null");
	return e;
}

enum MHD_Result srv_handle_docs(srv_req *r)
{
	int bad = 0;
	const char *after_s = srv_arg(r, "after", &bad), *limit_s = srv_arg(r, "limit", &bad);
	cr_msg m = {{0}};
	long after, limit;
	if (bad || srv_parse_int(after_s, 0, INT64_MAX, 0, &after, &m) || srv_parse_int(limit_s, 1, 1000, 100, &limit, &m))
		return srv_error(r, 400, NULL, "after and limit must be integers (limit 1 to 1000)");
	/* Documents are read in batches of limit + 1 ids and filtered by the
	 * caller's ACL; the page holds the first `limit` readable ones, and
	 * `next` is the last of those, given only when one more readable
	 * document follows. So neither the cursor nor a page's size says
	 * anything about documents the caller may not read. */
	list_ctx l = {.cap = (size_t)limit + 1};
	if (!(l.ids = cr_arena_alloc(&r->arena, l.cap * sizeof *l.ids)))
		return srv_error(r, 500, NULL, "out of memory");
	cr_store *st;
	cr_err e = cr_corpus_store_acquire(r->s->corpus, &st, &m);
	if (e)
		return srv_error_err(r, e, &m);
	cr_buf b;
	cr_buf_init(&b, 0);
	e = cr_buf_adds(&b, "{\"documents\":[");
	int64_t cursor = after, last = 0;
	size_t shown = 0;
	int more = 0;
	while (!e && !more) {
		l.n = 0;
		if ((e = cr_store_docs_after(st, cursor, collect_id, &l, &m)))
			break;
		for (size_t i = 0; i < l.n && !e && !more; i++) {
			cursor = l.ids[i];
			cr_doc_row d;
			if ((e = cr_store_doc_get(st, &r->arena, l.ids[i], &d, &m)))
				break;
			if (!cr_acl_allows(r->ctx.who, &d.acl))
				continue;
			if (shown == (size_t)limit) {
				more = 1;
				break;
			}
			e = cr_buf_printf(&b, "%s{\"id\":%lld", shown++ ? "," : "", (long long)d.id);
			last = d.id;
			if (!e)
				e = kstr(&b, "name", d.name);
			if (!e)
				e = kstr(&b, "title", d.title);
			if (!e)
				e = kstr(&b, "type", d.type);
			if (!e)
				e = kstr(&b, "parent", d.parent);
			if (!e)
				e = cr_buf_printf(&b, ",\"size\":%lld,\"modified\":%lld,\"date\":%lld,\"chunks\":%lld}",
						  (long long)d.size, (long long)(d.mtime / 1000000000), (long long)d.date,
						  (long long)d.n_chunks);
		}
		if (l.n < l.cap)
			break; /* the store has no more documents */
	}
	if (!e)
		e = more ? cr_buf_printf(&b, "],\"next\":%lld}\n", (long long)last)
			 : cr_buf_adds(&b, "],\"next\":null}\n");
	cr_corpus_store_release(r->s->corpus, st);
	enum MHD_Result ok = e ? srv_error_err(r, e, &m) : srv_reply_json(r, 200, &b);
	cr_buf_release(&b);
	return ok;
}

enum MHD_Result srv_handle_doc(srv_req *r)
{
	const char *key = r->param;
	cr_msg m = {{0}};
	cr_store *st;
	cr_err e = cr_corpus_store_acquire(r->s->corpus, &st, &m);
	if (e)
		return srv_error_err(r, e, &m);
	cr_doc_row d;
	long id;
	if (strspn(key, "0123456789") == strlen(key) && !srv_parse_int(key, 1, INT64_MAX, 0, &id, NULL))
		e = cr_store_doc_get(st, &r->arena, id, &d, &m);
	else
		e = cr_store_doc_find_any(st, &r->arena, key, &d, &m);
	cr_corpus_store_release(r->s->corpus, st);
	if (e == CR_ENOTFOUND || (!e && !cr_acl_allows(r->ctx.who, &d.acl)))
		return srv_error(r, 404, NULL, "no document %s", key);
	if (e)
		return srv_error_err(r, e, &m);
	cr_doc_text t;
	if ((e = cr_corpus_doc_text(r->s->corpus, &r->arena, d.id, &t, &m)))
		return srv_error_err(r, e, &m);
	if ((e = srv_audit(r->s, &r->ctx, "show", json_pack("{ss sI}", "doc", d.name, "doc_id", (json_int_t)d.id), &m)))
		return srv_error_err(r, e, &m);
	cr_buf b;
	cr_buf_init(&b, 0);
	e = cr_corpus_doc_json(r->s->corpus, &d, &t, &b, &m);
	if (!e)
		e = cr_buf_addc(&b, '\n');
	enum MHD_Result ok = e ? srv_error_err(r, e, &m) : srv_reply_json(r, 200, &b);
	cr_buf_release(&b);
	return ok;
}

/* ---- providers (usage: admin.c) -------------------------------------------------- */

typedef struct json_acc {
	cr_buf *b;
	size_t n;
	cr_err e;
} json_acc;

static int provider_row(void *ctx, const cr_provider_row *p)
{
	json_acc *j = ctx;
	cr_buf *b = j->b;
	cr_err e = cr_buf_adds(b, j->n++ ? ",{\"name\":" : "{\"name\":");
	if (!e)
		e = cr_buf_add_json_str(b, p->name, strlen(p->name));
	if (!e)
		e = kstr(b, "kind", p->kind);
	if (!e)
		e = kstr(b, "url", p->url);
	if (!e)
		e = kstr(b, "model", p->model);
	if (!e)
		e = kstr(b, "trust", p->trust);
	if (!e)
		e = cr_buf_printf(b, ",\"default\":%s,\"price_in\":%g,\"price_out\":%g", p->is_default ? "true" : "false",
				  p->price_in, p->price_out);
	if (!e) /* the kill-switch: its reason, or null when active */
		e = kstr(b, "suspended", p->suspended);
	if (!e)
		e = cr_buf_printf(b, ",\"suspended_at\":%lld}", p->suspended ? (long long)p->suspended_at : 0LL);
	j->e = e;
	return e != CR_OK;
}

static enum MHD_Result list_reply(srv_req *r)
{
	cr_msg m = {{0}};
	cr_store *st;
	cr_err e = cr_corpus_store_acquire(r->s->corpus, &st, &m);
	if (e)
		return srv_error_err(r, e, &m);
	cr_buf b;
	cr_buf_init(&b, 0);
	json_acc j = {.b = &b};
	e = cr_buf_adds(&b, "{\"providers\":[");
	if (!e)
		e = cr_store_provider_list(st, provider_row, &j, &m);
	if (!e)
		e = j.e;
	if (!e)
		e = cr_buf_adds(&b, "]}\n");
	cr_corpus_store_release(r->s->corpus, st);
	enum MHD_Result ok = e ? srv_error_err(r, e, &m) : srv_reply_json(r, 200, &b);
	cr_buf_release(&b);
	return ok;
}

enum MHD_Result srv_handle_providers(srv_req *r) { return list_reply(r); }


/* ---- embedded files --------------------------------------------------------- */

enum MHD_Result srv_handle_openapi(srv_req *r)
{
	const srv_asset *as = srv_asset_find("api:openapi.json");
	if (!as)
		return srv_error(r, 500, NULL, "the OpenAPI document was not built in");
	return srv_reply(r, 200, "application/json", (const char *)as->data, as->len);
}

enum MHD_Result srv_handle_static(srv_req *r)
{
	const char *path = r->url;
	size_t n = strlen(path);
	if (!srv_path_safe(path, n))
		return srv_error(r, 400, NULL, "bad path");
	const srv_asset *as = srv_asset_find(!strcmp(path, "/") ? "/index.html" : path);
	if (!as)
		return srv_error(r, 404, NULL, "no route GET %s", path);
	struct MHD_Response *res = MHD_create_response_from_buffer(as->len, (void *)as->data, MHD_RESPMEM_PERSISTENT);
	if (!res)
		return MHD_NO;
	MHD_add_response_header(res, "Content-Type", as->type);
	MHD_add_response_header(res, "Cache-Control", "no-cache");
	MHD_add_response_header(res, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(res, "Content-Security-Policy",
				"default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'");
	enum MHD_Result ok = MHD_queue_response(r->conn, 200, res);
	MHD_destroy_response(res);
	r->status = 200;
	return ok;
}
