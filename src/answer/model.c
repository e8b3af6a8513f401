/*
 * model.c — cr_answer_ask_model: an answer written by a model through any
 * provider (provider.h), held to the same checks as the extractive one.
 *
 * Retrieval is cr_answer_ask's (its ranked passages, and its extractive
 * answer as the fallback when there is nothing to give the model). The
 * model gets a system prompt (use only the numbered sources, cite each
 * sentence as [n], copy numbers as written, say that the sources do not
 * say when they do not, answer in the question's language) and the
 * numbered passages with the question. Its answer then goes through
 * cr_answer_verify: a fabricated or unsupported [n] is removed and its
 * sentence marked unverified. An answer left with no verified citation is
 * not shown as fact: the text becomes "the sources do not say", in the
 * question's language.
 *
 * Egress (policy.h): a passage whose document is classified above the
 * provider's clearance (confidential and secret for an external provider)
 * is never put in its request. The model gets the other passages; the
 * answer carries a note that n sources were withheld (n_withheld), and with
 * none left the extractive answer stands, with the same note.
 */
#include "answer_int.h"

#include "cristal/policy.h"
#include "cristal/provider.h"

#include <string.h>

#define PASSAGE_MAX 2400 /* bytes of each passage given to the model */
/* On the local engine the prompt's evaluation is the time to the first
 * token (a 0.5B model on two cores: about 8 ms a token), so each passage
 * is cut to this many bytes around the sentence that answers best. */
#define LOCAL_PASSAGE_MAX 900

static const char SYSTEM_PROMPT[] =
	"You answer questions using only the numbered sources the user gives. "
	"End every sentence of your answer with the number of the source that supports it, like [1]. "
	"Copy numbers, dates and names exactly as the sources write them. "
	"If the sources do not contain the answer, reply only: The sources do not say. "
	"If the sources disagree, say so and give what each one says with its number, the newer first. "
	"Answer briefly, in the language of the question, even when the sources are in another language.";

static const char *not_found(int ja)
{
	return ja ? "資料には、この質問に答える記述が見つかりませんでした。" : "The sources do not say.";
}

/* A cut that does not split a UTF-8 sequence. */
static size_t utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	return max;
}

cr_err cr_ans_excerpt(cr_buf *b, const cr_source *s, size_t max)
{
	if (s->len <= max || !s->focus_len || s->focus + s->focus_len <= max)
		return cr_buf_add(b, s->text, utf8_cut(s->text, s->len, max));
	size_t lead = max / 4; /* context before the focus */
	size_t from = s->focus > lead ? s->focus - lead : 0;
	if (from + max > s->len)
		from = s->len - max;
	while (from && ((unsigned char)s->text[from] & 0xC0) == 0x80)
		from--;
	size_t n = utf8_cut(s->text + from, s->len - from, max);
	cr_err e = cr_buf_adds(b, "…");
	if (!e)
		e = cr_buf_add(b, s->text + from, n);
	if (!e && from + n < s->len)
		e = cr_buf_adds(b, "…");
	return e;
}

static cr_err user_prompt(const cr_answer *ans, const uint8_t *withheld, const char *question, size_t max,
			  cr_buf *b)
{
	cr_err e = cr_buf_adds(b, "Sources:\n");
	for (size_t i = 0; i < ans->n_sources && !e; i++) {
		const cr_source *s = &ans->sources[i];
		if (withheld[i])
			continue;
		e = cr_buf_printf(b, "\n[%d] %s%s%s", s->n, s->title && *s->title ? s->title : "",
				  s->title && *s->title ? " — " : "", s->doc ? s->doc : "");
		char d[16];
		if (!e && cr_ans_day(s->date, d)) /* so the model can tell the newer of two that disagree */
			e = cr_buf_printf(b, " (%s)", d);
		if (!e)
			e = cr_buf_addc(b, '\n');
		if (!e)
			e = cr_ans_excerpt(b, s, max);
		if (!e)
			e = cr_buf_addc(b, '\n');
	}
	if (!e)
		e = cr_buf_printf(b, "\nQuestion: %s\n", question);
	return e;
}

/* Marks the sources whose document is classified above clearance. */
static cr_err egress_filter(cr_corpus *c, cr_arena *a, cr_answer *ans, int clearance, uint8_t *withheld, cr_msg *m)
{
	memset(withheld, 0, ans->n_sources);
	ans->n_withheld = 0;
	ans->withheld_class = NULL;
	cr_store *st;
	cr_err e = cr_corpus_store_acquire(c, &st, m);
	if (e)
		return e;
	int top = -1;
	for (size_t i = 0; i < ans->n_sources && !e; i++) {
		cr_doc_row d;
		if ((e = cr_store_doc_get(st, a, ans->sources[i].doc_id, &d, m)))
			break;
		if ((int)d.acl.classification > clearance) {
			withheld[i] = 1;
			ans->n_withheld++;
			top = CR_MAX(top, (int)d.acl.classification);
		}
	}
	cr_corpus_store_release(c, st);
	if (top >= 0)
		ans->withheld_class = cr_class_name(top);
	return e;
}

/* text, then a note that sources were withheld from the provider. */
static const char *withheld_note(cr_arena *a, const cr_answer *ans, int ja, const char *text)
{
	return ja ? cr_arena_printf(a, "%s\n（外部のモデルに送れない資料 %zu 件（最高 %s）は、回答に使っていません。）", text,
				    ans->n_withheld, ans->withheld_class)
		  : cr_arena_printf(a, "%s\n(%zu source%s classified up to %s withheld from this provider.)", text,
				    ans->n_withheld, ans->n_withheld == 1 ? "" : "s", ans->withheld_class);
}

typedef struct draft_ctx {
	const cr_ask_opts *o;
	double t0, first;
} draft_ctx;

static int on_text(void *ctx, const char *t, size_t n)
{
	draft_ctx *d = ctx;
	if (!d->first && n)
		d->first = cr_now();
	return d->o->on_draft(d->o->on_draft_ctx, t, n);
}

cr_err cr_answer_ask_model(cr_corpus *c, cr_arena *a, const char *question, const cr_ask_opts *o, cr_provider *p,
			   cr_answer *out, cr_msg *m)
{
	double t0 = cr_now();
	if (!p)
		return cr_answer_ask(c, a, question, o, out, m);
	cr_err e = cr_answer_ask(c, a, question, o, out, m);
	if (e || !out->n_sources)
		return e; /* nothing retrieved: the extractive "sources do not say" stands */
	int ja = !strcmp(out->lang, "ja");
	uint8_t *withheld = cr_arena_alloc(a, out->n_sources);
	if (!withheld)
		return cr_fail(m, CR_ENOMEM, "ask: out of memory");
	int clearance = cr_egress_clearance(o ? o->egress : NULL, o ? o->tenant : NULL, cr_provider_trust(p));
	if ((e = egress_filter(c, a, out, clearance, withheld, m)))
		return e;
	if (out->n_withheld == out->n_sources) {
		/* nothing may go: the extractive answer stands, with the note */
		out->text = withheld_note(a, out, ja, out->text);
		return out->text ? CR_OK : cr_fail(m, CR_ENOMEM, "ask: out of memory");
	}
	cr_buf prompt;
	cr_buf_init(&prompt, 0);
	size_t max = strcmp(cr_provider_kind(p), "local") ? PASSAGE_MAX : LOCAL_PASSAGE_MAX;
	if ((e = user_prompt(out, withheld, question, max, &prompt))) {
		cr_buf_release(&prompt);
		return cr_fail(m, e, "ask: cannot build the prompt");
	}
	cr_provider_msg msgs[] = {{.role = "system", .content = SYSTEM_PROMPT},
				  {.role = "user", .content = prompt.data}};
	cr_provider_chat_opts po = cr_provider_chat_opts_default();
	po.max_tokens = 512;
	po.temperature = 0;
	po.cancel = o ? o->cancel : NULL;
	draft_ctx dc = {.o = o, .t0 = t0};
	if (o && o->on_draft) {
		po.on_text = on_text;
		po.on_text_ctx = &dc;
	}
	cr_provider_reply r = {0};
	double t_chat = cr_now();
	e = cr_provider_chat(p, msgs, 2, &po, &r, m);
	if (dc.first)
		out->first_text_ms = (dc.first - t0) * 1e3;
	out->load_ms = r.load_ms;
	out->prompt_ms = r.prompt_ms;
	if (r.first_token_ms > 0)
		out->first_token_ms = (t_chat - t0) * 1e3 + r.first_token_ms;
	out->prompt_tokens = r.prompt_tokens;
	out->prompt_cached = r.prompt_cached;
	cr_buf_release(&prompt);
	if (e) {
		cr_provider_reply_release(&r);
		return e;
	}
	const char *mode = cr_arena_printf(a, "model:%s", r.provider ? r.provider : cr_provider_name(p));
	char *draft = cr_arena_strndup(a, r.text, r.len);
	cr_provider_reply_release(&r);
	if (!mode || !draft)
		return cr_fail(m, CR_ENOMEM, "ask: out of memory");
	out->mode = mode;
	out->differ[0] = out->differ[1] = 0; /* the extractive answer's finding: the model's answer replaces it */
	cr_analyzer *an = cr_corpus_analyzer_acquire(c);
	if (!an)
		return cr_fail(m, CR_ENOMEM, "ask: no analyzer");
	e = cr_answer_verify(an, a, draft, out->sources, out->n_sources, out);
	cr_corpus_analyzer_release(c, an);
	if (e)
		return cr_fail(m, e, "ask: verifying the model's answer: %s", cr_strerror(e));
	out->found = out->n_citations > 0;
	if (!out->found) {
		cr_log(CR_LOG_INFO, "ask: the model's answer has no verified citation: %s", draft);
		out->text = not_found(ja);
	}
	if (out->n_withheld && !(out->text = withheld_note(a, out, ja, out->text)))
		return cr_fail(m, CR_ENOMEM, "ask: out of memory");
	out->total_ms = (cr_now() - t0) * 1e3;
	return CR_OK;
}
