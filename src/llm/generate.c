/*
 * generate.c — generation turns (llm.h, "generation turns"): the loop that
 * `cristal generate`, the agent and the server share.
 *
 * A turn: keep the cached prefix the prompt shares with what the context
 * holds, evaluate the rest in batches, then sample → feed the grammar →
 * append the token's text → look for stop strings → stream what is final →
 * decode the token, until a stop. The cancel token is checked before every
 * sampled token and, through cr_ctx_set_cancel, between batches and layers
 * of the prompt, so a stop arrives within one layer of one batch.
 *
 * Streaming holds back the longest tail of the text that is a prefix of a
 * stop string (it may still become one) and an incomplete UTF-8 sequence at
 * the end (a token may end inside a character); everything before is final
 * and goes to the callback once.
 *
 * A session on a scheduler (cr_gen_opts.sched, sched.c) has no context of
 * its own: a turn takes a slot, its prompt and each token are decoded by the
 * scheduler thread together with the other sessions' tokens, and the slot is
 * given back at the end of the turn; everything else here is the same.
 */
#define _GNU_SOURCE /* memmem */
#include "model_int.h"

#include <string.h>

struct cr_gen {
	cr_model *md;
	const cr_tok *tok;
	cr_ctx *ctx;            /* NULL on a scheduler */
	cr_sched *sched;
	cr_sampler *smp;
	cr_grammar *gr;
	int n_vocab;
	cr_sampler_opts so;
	/* the last turn's results */
	cr_buf text, tokens, closing;
};

static const char *const stop_names[] = {
	[CR_GEN_STOP_NONE] = "none",
	[CR_GEN_STOP_EOS] = "eog",
	[CR_GEN_STOP_STRING] = "stop",
	[CR_GEN_STOP_LENGTH] = "limit",
	[CR_GEN_STOP_CTX] = "ctx",
	[CR_GEN_STOP_GRAMMAR] = "grammar",
	[CR_GEN_STOP_CANCELED] = "canceled",
	[CR_GEN_STOP_TIMEOUT] = "timeout",
	[CR_GEN_STOP_GRAMMAR_DEAD_END] = "grammar_dead_end",
	[CR_GEN_STOP_ERROR] = "error",
};

const char *cr_gen_stop_name(cr_gen_stop s)
{
	return (unsigned)s < CR_ARRAY_LEN(stop_names) && stop_names[s] ? stop_names[s] : "?";
}

cr_gen_opts cr_gen_opts_default(void)
{
	cr_gen_opts o = {.n_ctx = 0, .pool = NULL, .sampler = cr_sampler_opts_default(), .sched = NULL};
	return o;
}

cr_err cr_gen_new(cr_model *md, const cr_gen_opts *o, cr_gen **out, cr_msg *m)
{
	*out = NULL;
	cr_gen_opts def = cr_gen_opts_default();
	if (!o)
		o = &def;
	const cr_model_info *in = cr_model_get_info(md);
	if (in->is_embedding)
		return cr_fail(m, CR_EINVAL, "generate: %s is an embedding model", in->arch);
	cr_gen *g = cr_calloc(1, sizeof *g);
	if (!g)
		return cr_fail(m, CR_ENOMEM, "generate: out of memory");
	g->md = md;
	g->tok = cr_model_tok(md);
	g->n_vocab = in->n_vocab;
	g->so = o->sampler;
	cr_buf_init(&g->text, 0);
	cr_buf_init(&g->tokens, 0);
	cr_buf_init(&g->closing, 0);
	g->sched = o->sched;
	cr_err e = CR_OK;
	if (g->sched && cr_sched_model(g->sched) != md)
		e = cr_fail(m, CR_EINVAL, "generate: the scheduler runs another model");
	else if (!g->sched)
		e = cr_ctx_new(md, o->n_ctx, o->pool, &g->ctx, m);
	if (!e && (e = cr_sampler_new(&g->so, g->n_vocab, &g->smp)))
		cr_fail(m, e, "generate: sampler: %s", cr_strerror(e));
	if (e) {
		cr_gen_free(g);
		return e;
	}
	*out = g;
	return CR_OK;
}

void cr_gen_free(cr_gen *g)
{
	if (!g)
		return;
	cr_grammar_free(g->gr);
	cr_sampler_free(g->smp);
	cr_ctx_free(g->ctx);
	cr_buf_release(&g->text);
	cr_buf_release(&g->tokens);
	cr_buf_release(&g->closing);
	cr_free(g);
}

cr_ctx *cr_gen_ctx(cr_gen *g) { return g->ctx; }
int cr_gen_n_ctx(const cr_gen *g) { return g->sched ? cr_sched_n_ctx(g->sched) : g->ctx->n_ctx; }

cr_err cr_gen_set_sampler(cr_gen *g, const cr_sampler_opts *o)
{
	cr_sampler *s;
	cr_err e = cr_sampler_new(o, g->n_vocab, &s);
	if (e)
		return e;
	cr_sampler_free(g->smp);
	g->smp = s;
	g->so = *o;
	return CR_OK;
}

cr_err cr_gen_set_grammar(cr_gen *g, cr_gen_grammar kind, const char *schema, size_t len, cr_msg *m)
{
	cr_grammar *gr = NULL;
	cr_err e = CR_OK;
	switch (kind) {
	case CR_GEN_GRAMMAR_NONE: break;
	case CR_GEN_GRAMMAR_JSON: e = cr_grammar_new_json(&gr); break;
	case CR_GEN_GRAMMAR_SCHEMA:
		e = schema ? cr_grammar_new_schema(schema, len, &gr, m) : cr_fail(m, CR_EINVAL, "grammar: no schema");
		break;
	default: return cr_fail(m, CR_EINVAL, "grammar: unknown kind %d", (int)kind);
	}
	if (!e && gr && (e = cr_grammar_bind(gr, g->tok, g->n_vocab)))
		cr_fail(m, e, "grammar: %s", cr_strerror(e));
	if (e) {
		cr_grammar_free(gr);
		return e;
	}
	cr_grammar_free(g->gr);
	g->gr = gr;
	return CR_OK;
}

cr_err cr_gen_tokenize(const cr_model *md, const char *text, size_t len, cr_buf *ids, cr_msg *m)
{
	size_t before = ids->len;
	const cr_tok *tok = cr_model_tok(md);
	int flags = CR_TOK_PARSE_SPECIAL | (cr_tok_add_bos_default(tok) ? CR_TOK_ADD_BOS : 0);
	cr_err e = cr_tok_encode(tok, text, len, flags, ids);
	if (e)
		return cr_fail(m, e, "tokenize: %s", cr_strerror(e));
	if (ids->len == before) {
		cr_token_id b = cr_tok_bos(tok);
		if (b < 0)
			return cr_fail(m, CR_EINVAL, "empty prompt and the model has no BOS token");
		if ((e = cr_buf_add(ids, &b, sizeof b)))
			return cr_fail(m, e, "tokenize: %s", cr_strerror(e));
	}
	return CR_OK;
}

cr_err cr_gen_chat_tokens(const cr_model *md, const char *tmpl, const cr_chat_msg *msgs, size_t n, cr_buf *ids,
			  cr_msg *m)
{
	cr_buf text;
	cr_buf_init(&text, 0);
	cr_err e = cr_chat_apply(tmpl, cr_model_get_info(md)->chat_template, msgs, n, 1, &text, m);
	if (!e)
		e = cr_gen_tokenize(md, text.data ? text.data : "", text.len, ids, m);
	cr_buf_release(&text);
	return e;
}

/* ---- one turn ------------------------------------------------------------ */

typedef struct stream {
	const cr_gen_params *p;
	size_t emitted; /* bytes of the text already given to the callback */
	size_t max_stop;
	int said_stop;  /* the callback returned non-zero */
} stream;

/* Length of the longest tail of t[0..n) that begins some stop string
 * (shorter than the whole string: a whole one would have stopped). */
static size_t stop_prefix_tail(const cr_gen_params *p, const char *t, size_t n, size_t max_stop)
{
	size_t best = 0;
	for (size_t k = CR_MIN(n, max_stop ? max_stop - 1 : 0); k > best; k--)
		for (size_t i = 0; i < p->n_stop; i++) {
			size_t sl = p->stop[i] ? strlen(p->stop[i]) : 0;
			if (sl > k && !memcmp(t + n - k, p->stop[i], k)) {
				best = k;
				break;
			}
		}
	return best;
}

/* Bytes at the end of t[0..n) that begin a UTF-8 sequence not yet complete. */
static size_t utf8_incomplete_tail(const char *t, size_t n)
{
	for (size_t k = 1; k <= 3 && k <= n; k++) {
		unsigned char c = (unsigned char)t[n - k];
		if ((c & 0xC0) == 0x80)
			continue; /* continuation: look further back */
		size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
		return need > k ? k : 0;
	}
	return 0;
}

/* Gives the callback text[emitted .. upto). */
static void emit(stream *s, const cr_buf *text, size_t upto)
{
	if (upto <= s->emitted || s->said_stop)
		return;
	if (s->p->on_text && s->p->on_text(s->p->on_text_ctx, text->data + s->emitted, upto - s->emitted))
		s->said_stop = 1;
	s->emitted = upto;
}

/* After a token's text was appended at text->len - added: truncates at the
 * first stop string (returns 1) or streams what is final (returns 0). */
static int after_piece(stream *s, cr_buf *text, size_t added)
{
	const cr_gen_params *p = s->p;
	if (p->n_stop) {
		size_t from = text->len - added;
		from = from > s->max_stop ? from - s->max_stop : 0;
		size_t cut = (size_t)-1;
		for (size_t i = 0; i < p->n_stop; i++) {
			size_t sl = p->stop[i] ? strlen(p->stop[i]) : 0;
			if (!sl || sl > text->len - from)
				continue;
			const char *hit = memmem(text->data + from, text->len - from, p->stop[i], sl);
			if (hit && (size_t)(hit - text->data) < cut)
				cut = (size_t)(hit - text->data);
		}
		if (cut != (size_t)-1) {
			if (cut < s->emitted)
				cut = s->emitted; /* cannot happen: such bytes were held back */
			text->len = cut;
			text->data[cut] = 0;
			return 1;
		}
	}
	size_t hold = stop_prefix_tail(p, text->data, text->len, s->max_stop);
	size_t u = utf8_incomplete_tail(text->data, text->len - hold);
	emit(s, text, text->len - hold - u);
	return 0;
}

static cr_gen_stop cancel_stop(cr_err e) { return e == CR_ETIMEOUT ? CR_GEN_STOP_TIMEOUT : CR_GEN_STOP_CANCELED; }

cr_err cr_gen_turn(cr_gen *g, const cr_token_id *prompt, int n_prompt, const cr_gen_params *p, cr_gen_result *r,
		   cr_msg *m)
{
	memset(r, 0, sizeof *r);
	cr_buf_reset(&g->text);
	cr_buf_reset(&g->tokens);
	cr_buf_reset(&g->closing);
	cr_gen_params none = {0};
	if (!p)
		p = &none;
	cr_ctx *ctx = g->ctx;
	const int n_ctx = cr_gen_n_ctx(g);
	int slot = -1;
	if (n_prompt < 1 || !prompt)
		return cr_fail(m, CR_EINVAL, "generate: empty prompt");
	if (n_prompt >= n_ctx)
		return cr_fail(m, CR_ETOOBIG, "generate: the prompt has %d tokens, the context only %d", n_prompt, n_ctx);
	if (p->max_tokens < 0)
		return cr_fail(m, CR_EINVAL, "generate: max_tokens must be >= 0");
	stream s = {.p = p};
	for (size_t i = 0; i < p->n_stop; i++)
		if (p->stop[i] && strlen(p->stop[i]) > s.max_stop)
			s.max_stop = strlen(p->stop[i]);
	cr_grammar *gr = g->gr;
	if (gr)
		cr_grammar_reset(gr);
	int logits_all = p->on_prompt_logits != NULL;
	int reused = 0;
	r->n_prompt = n_prompt;
	const float *logits = NULL;
	cr_gen_stop stop = CR_GEN_STOP_LENGTH;
	double t0 = cr_now(), t1 = t0;
	cr_err e = cr_cancel_check(p->cancel);
	if (e) {
		cr_fail(m, e, "generate: %s before the prompt", e == CR_ETIMEOUT ? "timed out" : "canceled");
		stop = cancel_stop(e);
		goto done;
	}
	if (g->sched) {
		e = cr_sched_acquire(g->sched, prompt, n_prompt, p->cancel, &slot, m);
		if (!e)
			e = cr_sched_prompt(g->sched, slot, prompt, n_prompt, logits_all, p->cancel, &reused, &logits, m);
	} else {
		reused = logits_all ? 0 : cr_ctx_reuse_prefix(ctx, prompt, n_prompt);
		if (logits_all)
			cr_ctx_truncate(ctx, 0);
		cr_ctx_set_cancel(ctx, p->cancel);
		e = cr_ctx_decode(ctx, prompt + reused, n_prompt - reused, logits_all, &logits, m);
	}
	t1 = cr_now();
	r->n_reused = reused;
	for (int i = reused; i < n_prompt; i++)
		cr_sampler_accept(g->smp, prompt[i]);
	int pos = n_prompt; /* positions in the cache */
	if (!e && logits_all) {
		e = p->on_prompt_logits(p->on_prompt_logits_ctx, logits, n_prompt, g->n_vocab);
		logits += (size_t)(n_prompt - 1) * g->n_vocab;
	}
	if (e) {
		stop = e == CR_ECANCELED || e == CR_ETIMEOUT ? cancel_stop(e) : CR_GEN_STOP_ERROR;
		goto done;
	}
	const cr_tok *tok = g->tok;
	for (int n_gen = 0; n_gen < p->max_tokens; n_gen++) {
		if ((e = cr_cancel_check(p->cancel))) {
			stop = cancel_stop(e);
			cr_fail(m, e, "generate: %s after %d tokens", e == CR_ETIMEOUT ? "timed out" : "canceled", n_gen);
			break;
		}
		if (gr && cr_grammar_done(gr)) {
			stop = CR_GEN_STOP_GRAMMAR;
			break;
		}
		cr_token_id id = gr ? cr_grammar_sample(gr, g->smp, logits) : cr_sampler_sample(g->smp, logits, NULL);
		if (!n_gen)
			r->first_token_seconds = cr_now() - t0;
		if (id < 0) {
			stop = gr ? CR_GEN_STOP_GRAMMAR_DEAD_END : CR_GEN_STOP_ERROR;
			break;
		}
		if (!gr && cr_tok_is_eog(tok, id)) {
			stop = CR_GEN_STOP_EOS;
			break;
		}
		if (gr && cr_grammar_accept_token(gr, id)) {
			stop = CR_GEN_STOP_GRAMMAR_DEAD_END;
			break;
		}
		cr_sampler_accept(g->smp, id);
		size_t before = g->text.len;
		if ((e = cr_buf_add(&g->tokens, &id, sizeof id)) || (e = cr_tok_piece(tok, id, &g->text))) {
			stop = CR_GEN_STOP_ERROR;
			cr_fail(m, e, "generate: %s", cr_strerror(e));
			break;
		}
		if (after_piece(&s, &g->text, g->text.len - before)) {
			stop = CR_GEN_STOP_STRING;
			break;
		}
		if (s.said_stop) {
			stop = CR_GEN_STOP_CANCELED;
			e = cr_fail(m, CR_ECANCELED, "generate: stopped by the reader after %d tokens", n_gen + 1);
			break;
		}
		if (n_gen + 1 == p->max_tokens)
			break; /* no need to decode the last token */
		if (pos >= n_ctx) {
			stop = CR_GEN_STOP_CTX;
			break;
		}
		e = g->sched ? cr_sched_step(g->sched, slot, id, &logits, m) : cr_ctx_decode(ctx, &id, 1, 0, &logits, m);
		pos++;
		if (e) {
			stop = e == CR_ECANCELED || e == CR_ETIMEOUT ? cancel_stop(e) : CR_GEN_STOP_ERROR;
			break;
		}
	}
done:;
	double t2 = cr_now();
	if (ctx)
		cr_ctx_set_cancel(ctx, NULL);
	if (g->sched)
		cr_sched_release(g->sched, slot);
	/* what was held back is final now */
	emit(&s, &g->text, g->text.len);
	if (gr && !cr_grammar_done(gr) && stop != CR_GEN_STOP_ERROR && cr_grammar_close(gr, &g->closing) == CR_OK &&
	    g->closing.len) {
		size_t at = g->text.len;
		if (cr_buf_add(&g->text, g->closing.data, g->closing.len) == CR_OK)
			emit(&s, &g->text, g->text.len);
		else
			g->text.len = at;
	}
	if (!g->text.data)
		CR_IGNORE(cr_buf_adds(&g->text, "")); /* a NUL-terminated empty text */
	r->stop = stop;
	r->text = g->text.data ? g->text.data : "";
	r->len = g->text.len;
	r->tokens = (const cr_token_id *)g->tokens.data;
	r->n_tokens = (int)(g->tokens.len / sizeof(cr_token_id));
	r->closing = g->closing.len ? g->closing.data : NULL;
	r->closing_len = g->closing.len;
	r->prompt_seconds = t1 - t0;
	r->gen_seconds = t2 - t1;
	return e;
}
