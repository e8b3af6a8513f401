/*
 * openai.c — the OpenAI-compatible routes, so tools written for OpenAI's
 * API use Cristal unchanged:
 *   GET  /v1/models            "cristal-rag" and every configured provider
 *                              (its id is the provider's name)
 *   POST /v1/chat/completions  model "cristal-rag": the last user message is
 *                              asked as `cristal ask` asks it (the default
 *                              provider's model, else extractive); the
 *                              verified citations follow the answer as a
 *                              source list in the message text, and the
 *                              whole answer object rides along as
 *                              "cristal". Any other model names a provider:
 *                              the conversation (tools and tool calls
 *                              included) goes to it through cr_provider_chat.
 *                              "stream": true answers with chat.completion.chunk
 *                              events ending with "data: [DONE]".
 *   POST /v1/embeddings        through a provider that has embeddings.
 * Errors keep OpenAI's shape: {"error": {"message", "type", "code"}}.
 */
#include "server_int.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define RAG_MODEL "cristal-rag"
#define CHAT_TIMEOUT 300.0

static void new_id(char out[40])
{
	unsigned char r[12];
	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
		memset(r, 0, sizeof r);
	static const char hex[] = "0123456789abcdef";
	memcpy(out, "chatcmpl-", 9);
	for (size_t i = 0; i < sizeof r; i++) {
		out[9 + 2 * i] = hex[r[i] >> 4];
		out[10 + 2 * i] = hex[r[i] & 15];
	}
	out[9 + 2 * sizeof r] = 0;
}

/* ---- models ----------------------------------------------------------------- */

typedef struct models_acc {
	cr_buf *b;
	int64_t created;
	cr_err e;
} models_acc;

static int model_row(void *ctx, const cr_provider_row *p)
{
	models_acc *a = ctx;
	cr_err e = cr_buf_adds(a->b, ",{\"id\":");
	if (!e)
		e = cr_buf_add_json_str(a->b, p->name, strlen(p->name));
	if (!e)
		e = cr_buf_printf(a->b, ",\"object\":\"model\",\"created\":%lld,\"owned_by\":\"%s\"}",
				  (long long)(p->added ? p->added : a->created), !strcmp(p->kind, "local") ? "local" : "provider");
	a->e = e;
	return e != CR_OK;
}

enum MHD_Result srv_handle_models(srv_req *r)
{
	cr_msg m = {{0}};
	cr_store *st;
	cr_err e = cr_corpus_store_acquire(r->s->corpus, &st, &m);
	if (e)
		return srv_error_err(r, e, &m);
	cr_buf b;
	cr_buf_init(&b, 0);
	models_acc a = {.b = &b, .created = (int64_t)r->s->started};
	e = cr_buf_printf(&b, "{\"object\":\"list\",\"data\":[{\"id\":\"" RAG_MODEL "\",\"object\":\"model\",\"created\":%lld,"
			      "\"owned_by\":\"cristal\"}",
			  (long long)a.created);
	if (!e)
		e = cr_store_provider_list(st, model_row, &a, &m);
	if (!e)
		e = a.e;
	if (!e)
		e = cr_buf_adds(&b, "]}\n");
	cr_corpus_store_release(r->s->corpus, st);
	enum MHD_Result ok = e ? srv_error_err(r, e, &m) : srv_reply_json(r, 200, &b);
	cr_buf_release(&b);
	return ok;
}

/* ---- chat: JSON pieces --------------------------------------------------------- */

typedef struct chat_job {
	cr_server *s;
	srv_ctx ctx;
	srv_chat_req q;
	const char *question; /* cristal-rag: the last user message */
	char id[40];
	int64_t created;
} chat_job;

static cr_err add_str(cr_buf *b, const char *s, size_t n)
{
	if (cr_utf8_valid((const uint8_t *)s, n))
		return cr_buf_add_json_str(b, s, n);
	cr_buf t;
	cr_buf_init(&t, 0);
	cr_err e = cr_utf8_sanitize(&t, (const uint8_t *)s, n);
	if (!e)
		e = cr_buf_add_json_str(b, t.data ? t.data : "", t.len);
	cr_buf_release(&t);
	return e;
}

static cr_err chunk_head(cr_buf *b, const chat_job *j)
{
	cr_buf_reset(b);
	cr_err e = cr_buf_printf(b, "{\"id\":\"%s\",\"object\":\"chat.completion.chunk\",\"created\":%lld,\"model\":", j->id,
				 (long long)j->created);
	if (!e)
		e = add_str(b, j->q.model, strlen(j->q.model));
	if (!e)
		e = cr_buf_adds(b, ",\"choices\":[{\"index\":0,\"delta\":");
	return e;
}

/* A chunk whose delta carries content (role on the first). */
static int send_delta(srv_stream *st, const chat_job *j, const char *text, size_t n, int first)
{
	cr_buf b;
	cr_buf_init(&b, 0);
	cr_err e = chunk_head(&b, j);
	if (!e)
		e = cr_buf_adds(&b, first ? "{\"role\":\"assistant\",\"content\":" : "{\"content\":");
	if (!e)
		e = add_str(&b, text, n);
	if (!e)
		e = cr_buf_adds(&b, "},\"finish_reason\":null}]}");
	int stop = e ? 1 : srv_stream_event(st, NULL, b.data, b.len);
	cr_buf_release(&b);
	return stop;
}

static cr_err tool_calls_json(cr_buf *b, const cr_provider_reply *rep, int with_index)
{
	cr_err e = cr_buf_adds(b, "[");
	for (size_t i = 0; i < rep->n_tool_calls && !e; i++) {
		const cr_provider_tool_call *tc = &rep->tool_calls[i];
		e = with_index ? cr_buf_printf(b, "%s{\"index\":%zu,\"id\":", i ? "," : "", i)
			       : cr_buf_adds(b, i ? ",{\"id\":" : "{\"id\":");
		if (!e)
			e = add_str(b, tc->id ? tc->id : "", tc->id ? strlen(tc->id) : 0);
		if (!e)
			e = cr_buf_adds(b, ",\"type\":\"function\",\"function\":{\"name\":");
		if (!e)
			e = add_str(b, tc->name ? tc->name : "", tc->name ? strlen(tc->name) : 0);
		if (!e)
			e = cr_buf_adds(b, ",\"arguments\":");
		if (!e)
			e = add_str(b, tc->arguments ? tc->arguments : "", tc->arguments ? strlen(tc->arguments) : 0);
		if (!e)
			e = cr_buf_adds(b, "}}");
	}
	if (!e)
		e = cr_buf_adds(b, "]");
	return e;
}

static void send_finish(srv_stream *st, const chat_job *j, const char *reason, const cr_provider_reply *rep)
{
	cr_buf b;
	cr_buf_init(&b, 0);
	cr_err e = CR_OK;
	if (rep && rep->n_tool_calls) {
		e = chunk_head(&b, j);
		if (!e)
			e = cr_buf_adds(&b, "{\"tool_calls\":");
		if (!e)
			e = tool_calls_json(&b, rep, 1);
		if (!e)
			e = cr_buf_adds(&b, "},\"finish_reason\":null}]}");
		if (!e)
			CR_IGNORE(srv_stream_event(st, NULL, b.data, b.len));
	}
	if (!e)
		e = chunk_head(&b, j);
	if (!e)
		e = cr_buf_printf(&b, "{},\"finish_reason\":\"%s\"}]}", reason);
	if (!e)
		CR_IGNORE(srv_stream_event(st, NULL, b.data, b.len));
	if (!e && j->q.include_usage && rep) {
		cr_buf_reset(&b);
		e = cr_buf_printf(&b,
				  "{\"id\":\"%s\",\"object\":\"chat.completion.chunk\",\"created\":%lld,\"choices\":[],"
				  "\"usage\":{\"prompt_tokens\":%lld,\"completion_tokens\":%lld,\"total_tokens\":%lld}}",
				  j->id, (long long)j->created, (long long)rep->prompt_tokens,
				  (long long)rep->completion_tokens, (long long)(rep->prompt_tokens + rep->completion_tokens));
		if (!e)
			CR_IGNORE(srv_stream_event(st, NULL, b.data, b.len));
	}
	cr_buf_release(&b);
}

static void send_error(srv_stream *st, cr_err e, const cr_msg *m)
{
	const char *msg = m && m->text[0] ? m->text : cr_strerror(e);
	cr_buf b;
	cr_buf_init(&b, 0);
	if (!cr_buf_adds(&b, "{\"error\":{\"message\":") && !add_str(&b, msg, strlen(msg)) &&
	    !cr_buf_printf(&b, ",\"type\":\"%s\",\"code\":%u}}", srv_status(e) < 500 ? "invalid_request_error" : "server_error",
			   srv_status(e)))
		CR_IGNORE(srv_stream_event(st, NULL, b.data, b.len));
	cr_buf_release(&b);
}

static const char *finish_of(const cr_provider_reply *rep)
{
	const char *f = rep->finish_reason;
	if (rep->n_tool_calls)
		return "tool_calls";
	if (f && (!strcmp(f, "length") || !strcmp(f, "tool_calls") || !strcmp(f, "content_filter")))
		return f;
	return "stop";
}

/* ---- chat: cristal-rag ----------------------------------------------------------- */

/* The answer and its source list: the message text of cristal-rag. */
static cr_err rag_text(const cr_answer *ans, cr_buf *b)
{
	cr_err e = cr_buf_adds(b, ans->text);
	if (!e)
		e = srv_sources_text(ans, b);
	return e;
}

static void rag_stream(srv_stream *st, void *arg)
{
	chat_job *j = arg;
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_answer ans;
	cr_msg m = {{0}};
	cr_cancel_set_timeout(&st->cancel, CHAT_TIMEOUT);
	cr_err e = srv_answer(j->s, &a, &j->ctx, j->question, 0, NULL, 0, &st->cancel, &ans, &m);
	if (e) {
		send_error(st, e, &m);
	} else {
		cr_buf t;
		cr_buf_init(&t, 0);
		if (!rag_text(&ans, &t)) {
			int stop = send_delta(st, j, "", 0, 1);
			for (size_t at = 0; at < t.len && !stop;) {
				size_t end = srv_piece_end(t.data, t.len, at);
				stop = send_delta(st, j, t.data + at, end - at, 0);
				at = end;
			}
			if (!stop)
				send_finish(st, j, "stop", NULL);
		}
		cr_buf_release(&t);
	}
	CR_IGNORE(srv_stream_write(st, "data: [DONE]\n\n", 14));
	cr_arena_release(&a);
}

static enum MHD_Result rag_plain(srv_req *r, chat_job *j)
{
	cr_cancel cancel;
	cr_cancel_init(&cancel);
	cr_cancel_set_timeout(&cancel, CHAT_TIMEOUT);
	cr_answer ans;
	cr_msg m = {{0}};
	cr_err e = srv_answer(r->s, &r->arena, &r->ctx, j->question, 0, NULL, 0, &cancel, &ans, &m);
	if (e)
		return srv_error_err(r, e, &m);
	cr_buf t, b;
	cr_buf_init(&t, 0);
	cr_buf_init(&b, 0);
	e = rag_text(&ans, &t);
	if (!e)
		e = cr_buf_printf(&b,
				  "{\"id\":\"%s\",\"object\":\"chat.completion\",\"created\":%lld,\"model\":\"" RAG_MODEL "\","
				  "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":",
				  j->id, (long long)j->created);
	if (!e)
		e = add_str(&b, t.data ? t.data : "", t.len);
	if (!e)
		e = cr_buf_adds(&b, "},\"finish_reason\":\"stop\"}],"
				    "\"usage\":{\"prompt_tokens\":0,\"completion_tokens\":0,\"total_tokens\":0},\"cristal\":");
	if (!e)
		e = cr_answer_json(&ans, &b);
	if (!e)
		e = cr_buf_adds(&b, "}\n");
	enum MHD_Result ok = e ? srv_error(r, 500, NULL, "out of memory") : srv_reply_json(r, 200, &b);
	cr_buf_release(&t);
	cr_buf_release(&b);
	return ok;
}

/* ---- chat: a provider's model ---------------------------------------------------- */

typedef struct relay {
	srv_stream *st;
	chat_job *j;
	int first;
} relay;

static int relay_text(void *ctx, const char *text, size_t len)
{
	relay *rl = ctx;
	int stop = send_delta(rl->st, rl->j, text, len, rl->first);
	rl->first = 0;
	return stop;
}

static cr_provider_chat_opts chat_opts(const srv_chat_req *q, const cr_cancel *cancel)
{
	cr_provider_chat_opts o = cr_provider_chat_opts_default();
	o.max_tokens = q->max_tokens;
	o.temperature = q->temperature;
	o.stop = q->n_stop ? q->stop : NULL;
	o.n_stop = q->n_stop;
	o.tools_json = q->tools_json;
	o.tool_choice = q->tool_choice;
	o.cancel = cancel;
	return o;
}

static void provider_stream(srv_stream *st, void *arg)
{
	chat_job *j = arg;
	cr_msg m = {{0}};
	srv_chain *ch = NULL;
	cr_cancel_set_timeout(&st->cancel, CHAT_TIMEOUT);
	cr_err e = srv_chain_get(j->s, j->q.model, &ch, &m);
	if (e) {
		send_error(st, e == CR_ENOTFOUND ? CR_ENOTFOUND : e, &m);
	} else {
		srv_chain_for(ch, &j->ctx);
		relay rl = {.st = st, .j = j, .first = 1};
		cr_provider_chat_opts o = chat_opts(&j->q, &st->cancel);
		o.on_text = relay_text;
		o.on_text_ctx = &rl;
		cr_provider_reply rep;
		memset(&rep, 0, sizeof rep);
		e = cr_provider_chat(cr_provider_chain_head(ch->chain), j->q.msgs, j->q.n_msgs, &o, &rep, &m);
		if (e)
			send_error(st, e, &m);
		else {
			if (rl.first) /* no text: still say who speaks */
				CR_IGNORE(send_delta(st, j, "", 0, 1));
			send_finish(st, j, finish_of(&rep), &rep);
		}
		cr_provider_reply_release(&rep);
		srv_chain_put(j->s, ch);
	}
	CR_IGNORE(srv_stream_write(st, "data: [DONE]\n\n", 14));
}

static enum MHD_Result provider_plain(srv_req *r, chat_job *j)
{
	cr_msg m = {{0}};
	srv_chain *ch;
	cr_err e = srv_chain_get(r->s, j->q.model, &ch, &m);
	if (e == CR_ENOTFOUND)
		return srv_error(r, 404, "model_not_found", "no model '%s' (GET /v1/models lists them)", j->q.model);
	if (e)
		return srv_error_err(r, e, &m);
	srv_chain_for(ch, &r->ctx);
	cr_cancel cancel;
	cr_cancel_init(&cancel);
	cr_cancel_set_timeout(&cancel, CHAT_TIMEOUT);
	cr_provider_chat_opts o = chat_opts(&j->q, &cancel);
	cr_provider_reply rep;
	memset(&rep, 0, sizeof rep);
	e = cr_provider_chat(cr_provider_chain_head(ch->chain), j->q.msgs, j->q.n_msgs, &o, &rep, &m);
	srv_chain_put(r->s, ch);
	if (e) {
		cr_provider_reply_release(&rep);
		return srv_error_err(r, e, &m);
	}
	cr_buf b;
	cr_buf_init(&b, 0);
	e = cr_buf_printf(&b, "{\"id\":\"%s\",\"object\":\"chat.completion\",\"created\":%lld,\"model\":", j->id,
			  (long long)j->created);
	if (!e)
		e = add_str(&b, j->q.model, strlen(j->q.model));
	if (!e)
		e = cr_buf_adds(&b, ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":");
	if (!e)
		e = rep.n_tool_calls && !rep.len ? cr_buf_adds(&b, "null") : add_str(&b, rep.text ? rep.text : "", rep.len);
	if (!e && rep.n_tool_calls) {
		e = cr_buf_adds(&b, ",\"tool_calls\":");
		if (!e)
			e = tool_calls_json(&b, &rep, 0);
	}
	if (!e)
		e = cr_buf_printf(&b,
				  "},\"finish_reason\":\"%s\"}],\"usage\":{\"prompt_tokens\":%lld,\"completion_tokens\":%lld,"
				  "\"total_tokens\":%lld}}\n",
				  finish_of(&rep), (long long)rep.prompt_tokens, (long long)rep.completion_tokens,
				  (long long)(rep.prompt_tokens + rep.completion_tokens));
	cr_provider_reply_release(&rep);
	enum MHD_Result ok = e ? srv_error(r, 500, NULL, "out of memory") : srv_reply_json(r, 200, &b);
	cr_buf_release(&b);
	return ok;
}

static const char *last_user(const srv_chat_req *q)
{
	for (size_t i = q->n_msgs; i-- > 0;)
		if (!strcmp(q->msgs[i].role, "user"))
			return q->msgs[i].content;
	return NULL;
}

enum MHD_Result srv_handle_chat(srv_req *r)
{
	srv_chat_req q;
	cr_msg m = {{0}};
	cr_err e = srv_decode_chat(r->body.data, r->body.len, &r->arena, &q, &m);
	if (e)
		return srv_error_err(r, e, &m);
	int rag = !strcmp(q.model, RAG_MODEL);
	const char *question = rag ? last_user(&q) : NULL;
	if (rag && (!question || !question[strspn(question, " \t\r\n")]))
		return srv_error(r, 400, NULL, RAG_MODEL " answers the last user message, and there is none with text");
	/* a provider's model: the call is recorded (cristal-rag is, as ask) */
	if (!rag && (e = srv_audit(r->s, &r->ctx, "chat",
				   json_pack("{ss si sb}", "model", q.model, "messages", (int)q.n_msgs, "stream", q.stream),
				   &m)))
		return srv_error_err(r, e, &m);
	if (!q.stream) {
		chat_job j = {.s = r->s, .ctx = r->ctx, .q = q, .question = question, .created = cr_wallclock()};
		new_id(j.id);
		return rag ? rag_plain(r, &j) : provider_plain(r, &j);
	}
	srv_stream *st = srv_stream_new(r);
	if (!st)
		return MHD_YES;
	chat_job *j = cr_arena_zalloc(&st->arena, sizeof *j);
	/* decoded again into the stream's arena, which outlives the request */
	if (!j || srv_decode_chat(r->body.data, r->body.len, &st->arena, &j->q, &m) ||
	    srv_ctx_copy(&st->arena, &r->ctx, &j->ctx)) {
		srv_stream_drop(st);
		return srv_error(r, 500, NULL, "out of memory");
	}
	j->s = r->s;
	j->question = rag ? last_user(&j->q) : NULL;
	j->created = cr_wallclock();
	new_id(j->id);
	return srv_stream_start(r, st, rag ? rag_stream : provider_stream, j);
}

/* ---- embeddings -------------------------------------------------------------------- */

enum MHD_Result srv_handle_embed(srv_req *r)
{
	srv_embed_req q;
	cr_msg m = {{0}};
	cr_err e = srv_decode_embed(r->body.data, r->body.len, &r->arena, &q, &m);
	if (e)
		return srv_error_err(r, e, &m);
	if (!strcmp(q.model, RAG_MODEL))
		return srv_error(r, 400, "model_not_supported",
				 RAG_MODEL " has no embeddings; name a provider whose model has them (GET /v1/models)");
	srv_chain *ch;
	if ((e = srv_chain_get(r->s, q.model, &ch, &m)) == CR_ENOTFOUND)
		return srv_error(r, 404, "model_not_found", "no model '%s' (GET /v1/models lists them)", q.model);
	if (e)
		return srv_error_err(r, e, &m);
	srv_chain_for(ch, &r->ctx);
	cr_cancel cancel;
	cr_cancel_init(&cancel);
	cr_cancel_set_timeout(&cancel, CHAT_TIMEOUT);
	float *vecs;
	int dim;
	e = cr_provider_embed(cr_provider_chain_head(ch->chain), q.inputs, q.n_inputs, &r->arena, &vecs, &dim, &cancel, &m);
	srv_chain_put(r->s, ch);
	if (e == CR_EUNSUPPORTED)
		return srv_error(r, 400, "model_not_supported", "'%s' has no embeddings: %s", q.model,
				 m.text[0] ? m.text : "a generation model");
	if (e)
		return srv_error_err(r, e, &m);
	cr_buf b;
	cr_buf_init(&b, 0);
	e = cr_buf_adds(&b, "{\"object\":\"list\",\"data\":[");
	for (size_t i = 0; i < q.n_inputs && !e; i++) {
		e = cr_buf_printf(&b, "%s{\"object\":\"embedding\",\"index\":%zu,\"embedding\":[", i ? "," : "", i);
		for (int d = 0; d < dim && !e; d++)
			e = cr_buf_printf(&b, "%s%.7g", d ? "," : "", (double)vecs[i * (size_t)dim + (size_t)d]);
		if (!e)
			e = cr_buf_adds(&b, "]}");
	}
	if (!e)
		e = cr_buf_adds(&b, "],\"model\":");
	if (!e)
		e = add_str(&b, q.model, strlen(q.model));
	if (!e)
		e = cr_buf_adds(&b, ",\"usage\":{\"prompt_tokens\":0,\"total_tokens\":0}}\n");
	enum MHD_Result ok = e ? srv_error(r, 500, NULL, "out of memory") : srv_reply_json(r, 200, &b);
	cr_buf_release(&b);
	return ok;
}
