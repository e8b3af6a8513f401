/*
 * ask.c — cr_answer_ask: passages from the corpus, then the extractive
 * answerer, then the citations verified like any other answer's.
 *
 * Extractive answer: every sentence of the retrieved passages (every row in
 * spreadsheets and CSV, whose rows carry their headers as "Header: value")
 * is scored by the share of the question's content-term weight it holds,
 * with a small bonus for the passage's rank and a small penalty for length,
 * so the short sentence a person would quote wins over a paragraph that
 * merely repeats the question's words. Sentences that are questions
 * themselves (a transcript's "can you approve the budget?") are never
 * candidates: the answer is a statement. Below a minimum coverage, the
 * answer is that the sources do not say.
 *
 * Sources that disagree: when another document's best sentence answers
 * the question nearly as well (within RIVAL_MARGIN), says the same in
 * other figures (SAME_STATEMENT of each one's content terms in the other,
 * and each has a number the other lacks: last year's per-diem rate beside
 * this year's, two dates for one launch), the answer
 * gives both, newer document first, each with its citation and date,
 * under a line saying the sources differ. Picking one silently would show
 * a stale figure as fact half the time.
 */
#include <math.h>
#include <string.h>
#include <time.h>

#include "answer_int.h"

#define DEFAULT_K 6
#define MIN_COVERAGE 0.5f /* of the question's content-term weight */
#define LONG_SENTENCE 320 /* bytes: longer sentences are penalised */
#define RIVAL_MARGIN 0.15f /* score below the best at which a disagreeing sentence is still shown */
#define SAME_STATEMENT 0.7f /* share of each sentence's content terms the other holds */
#define CROSS_LANGUAGE 0.1f /* score given up by a sentence in the other language */
#define TITLE_CONTEXT 0.25f /* weight of a question's word found in the title, not the sentence */
#define PAIR 0.2f /* score given up by two sentences in a row against one */
#define FIGURE_BONUS 0.15f /* for a figure, when the question asks for one */

/* What a question asks for besides its words: a figure, the end of a
 * period, its length (or its ends). */
enum { WANT_FIGURE = 1, WANT_END = 2, WANT_LENGTH = 4 };

const char *cr_answer_lang(const char *text)
{
	/* by share, not by presence: "What is the price in 万円?" is English */
	return text && cr_ans_is_ja(text, strlen(text)) ? "ja" : "en";
}

/* Does the text (normalized: lower case, NFKC) hold one of the cues? */
static int has_cue(const char *text, size_t len, const char *const *cues, size_t n)
{
	cr_buf b;
	cr_buf_init(&b, 0);
	int yes = 0;
	if (!cr_text_normalize(text, len, &b) && b.data)
		for (size_t i = 0; i < n && !yes; i++)
			yes = strstr(b.data, cues[i]) != NULL;
	cr_buf_release(&b);
	return yes;
}

/* Does the question ask for a figure, a date or a time (WANT_FIGURE), and
 * for the end or the length of a period (WANT_END, WANT_LENGTH)? */
static int wants(const char *q)
{
	static const char *const cues[] = {"how many", "how much", "how long", "when", "what time", "what date",
					   "how old", "how far", "how big", "price", "cost", "rate", "budget",
					   "いつ", "何", "いくら", "いくつ", "どのくらい", "どれくらい", "価格", "金額", "予算"};
	int end = cr_ans_asks_end(q);
	return (has_cue(q, strlen(q), cues, CR_ARRAY_LEN(cues)) ? WANT_FIGURE : 0) |
	       (end == CR_ANS_END ? WANT_END : end == CR_ANS_LENGTH ? WANT_LENGTH : 0);
}

typedef struct pick {
	float score, coverage;
	size_t src, start, len;
	int found;
	int fits; /* states the end or length of time the question asks for (WANT_END, WANT_LENGTH) */
	cr_termset *terms, *numbers; /* its content terms, and the figures it states */
} pick;

/* A heading rather than a statement: a short line (at most 40 bytes) with
 * no figure that does not end as a sentence does ("Per-diem rates",
 * "Decisions:"); never a spreadsheet's row or a "Key: value" line ("Line
 * leader: Ryo Tanaka"). */
static int heading(const char *s, size_t n, size_t figures, int rows)
{
	if (rows || figures || n > 40 || !n || memchr(s, ':', n - 1))
		return 0;
	for (size_t i = 0; i + 3 < n; i++)
		if (!memcmp(s + i, "：", 3)) /* 担当：田中 */
			return 0;
	unsigned char c = (unsigned char)s[n - 1];
	if (c == '.' || c == '!' || c == '?' || c == ')' || c == '"')
		return 0;
	return !(n >= 3 && (!memcmp(s + n - 3, "。", 3) || !memcmp(s + n - 3, "！", 3) || !memcmp(s + n - 3, "」", 3)));
}

/* Does candidate p beat b (which may be none yet)? One that fits what the
 * question asks for first, then the higher score. */
static int better(const pick *p, const pick *b)
{
	if (!b->found)
		return 1;
	return p->fits != b->fits ? p->fits > b->fits : p->score > b->score;
}

/*
 * Scores every sentence of one passage against the question's terms q:
 * the share of q's weight it holds, +0.08 for the passage's rank, -0.3
 * when it says nothing beyond the question's own words or is a heading
 * ("Per-diem rates" cannot be the answer), FIGURE_BONUS when the question
 * asks for a figure and the sentence states one, and a penalty past
 * LONG_SENTENCE. When the question asks how long or until when, a sentence
 * that states an end or a length of time and holds MIN_COVERAGE of its
 * words comes before every sentence that does not, whatever their scores:
 * "runs from May 29" cannot answer it, however many of its words it
 * holds, and "will run from May 29 to June 26" can (see better()).
 * A sentence in the other language (matched through translations) gives
 * up CROSS_LANGUAGE. A sentence that holds only the question's names is
 * no candidate.
 */
typedef struct sctx {
	cr_analyzer *an;
	cr_arena *a;
	const cr_termset *stop, *q, *names, *title;
	int q_ja, want, rows; /* want: WANT_* */
	size_t i_src;
	pick *best;
} sctx;

/* Scores text[start, start + len) (a sentence, or two in a row: extra
 * is what the second costs) and keeps it in x->best when it wins. */
static cr_err consider(sctx *x, const char *text, size_t start, size_t len, float extra)
{
	const char *s = text + start;
	cr_termset st, sn;
	cr_termset_init(&st, x->a);
	cr_termset_init(&sn, x->a);
	cr_err e = cr_ans_terms(x->an, s, len, 0, x->stop, &st, &sn);
	if (e)
		return e;
	const cr_termset *q = x->q;
	size_t novel = 0;
	for (size_t j = 0; j < st.cap; j++)
		novel += st.keys[j] && st.keys[j][0] == 'w' && cr_termset_get(q, st.keys[j], st.lens[j]) <= 0;
	/* a word the sentence lacks but its document's title has (a mail's
	 * subject, a page's heading) counts a quarter */
	float cov = cr_termset_coverage_ctx(q, &st, x->title, TITLE_CONTEXT);
	float score = cov + 0.08f / (1.0f + (float)x->i_src) - extra;
	if (!novel || heading(s, len, sn.n, x->rows))
		score -= 0.3f;
	if ((x->want & WANT_FIGURE) && sn.n)
		score += FIGURE_BONUS;
	if (len > LONG_SENTENCE)
		score -= 0.1f * logf((float)len / LONG_SENTENCE + 1.0f);
	/* a match through translations is less sure than the same words */
	if (q->n_alts && cr_ans_is_ja(s, len) != x->q_ja)
		score -= CROSS_LANGUAGE;
	/* names only place a question ("Tokyo" of 東京の日当): a sentence that
	 * holds none of its other words, nor does its document's title (a
	 * budget sheet's row), does not answer it */
	if (x->names && x->names->n && !cr_termset_covers_other(q, &st, x->names) &&
	    !(x->title && cr_termset_covers_other(q, x->title, x->names)))
		return CR_OK;
	pick *best = x->best;
	pick p = {score, cov, x->i_src, start, len, 1, 0, NULL, NULL};
	p.fits = (x->want & (WANT_END | WANT_LENGTH)) && cov >= MIN_COVERAGE &&
		 cr_ans_states_end(s, len, !!(x->want & WANT_LENGTH));
	if (better(&p, best)) {
		cr_termset *ts = cr_arena_alloc(x->a, 2 * sizeof *ts);
		if (!ts)
			return CR_ENOMEM;
		ts[0] = st;
		ts[1] = sn;
		p.terms = &ts[0];
		p.numbers = &ts[1];
		*best = p;
	}
	return CR_OK;
}

static cr_err best_sentence(cr_analyzer *an, cr_arena *a, const cr_termset *stop, const cr_termset *q,
			    const cr_termset *names, int q_ja, int want, const cr_source *src, size_t i_src, pick *best)
{
	cr_span *sp;
	size_t n;
	int rows = cr_ans_rows(src->type);
	cr_err e = cr_ans_split(a, src->text, src->len, rows, &sp, &n);
	cr_termset title_terms;
	cr_termset_init(&title_terms, a);
	sctx x = {an, a, stop, q, names, NULL, q_ja, want, rows, i_src, best};
	if (!e && src->title && *src->title) {
		e = cr_ans_terms(an, src->title, strlen(src->title), 0, stop, &title_terms, NULL);
		x.title = &title_terms;
	}
	for (size_t i = 0; i < n && !e; i++) {
		/* a question found in the sources ("Kenji, can you approve the
		 * budget?") repeats the asker's words and answers nothing */
		if (cr_ans_is_question(src->text + sp[i].start, sp[i].len))
			continue;
		e = consider(&x, src->text, sp[i].start, sp[i].len, 0);
		/* and with the next sentence, when the question's words are
		 * shared between the two (不良率は1.8%。主な原因はケーブル。) */
		if (!e && !rows && i + 1 < n && !cr_ans_is_question(src->text + sp[i + 1].start, sp[i + 1].len) &&
		    sp[i + 1].start + sp[i + 1].len - sp[i].start <= LONG_SENTENCE)
			e = consider(&x, src->text, sp[i].start, sp[i + 1].start + sp[i + 1].len - sp[i].start, PAIR);
	}
	return e;
}

/* Collapses white space runs (a row or a sentence cut over lines) into one space. */
static char *squeeze(cr_arena *a, const char *s, size_t n)
{
	char *o = cr_arena_alloc(a, n + 1);
	if (!o)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '\n' || c == '\r' || c == '\t')
			c = ' ';
		if (c == ' ' && (k == 0 || o[k - 1] == ' '))
			continue;
		o[k++] = c;
	}
	while (k && o[k - 1] == ' ')
		k--;
	o[k] = 0;
	return o;
}

/* Has a a figure b lacks? */
static int states_other(const cr_termset *a, const cr_termset *b)
{
	for (size_t i = 0; i < a->cap; i++)
		if (a->keys[i] && cr_termset_get(b, a->keys[i], a->lens[i]) <= 0)
			return 1;
	return 0;
}

/* The best sentence of another document that answers nearly as well and
 * states other figures than best's, or NULL. */
static const pick *find_rival(const cr_answer *out, const pick *per, const pick *best)
{
	const pick *r = NULL;
	const cr_source *bs = &out->sources[best->src];
	for (size_t i = 0; i < out->n_sources; i++) {
		const pick *p = &per[i];
		if (!p->found || p->src == best->src || out->sources[i].doc_id == bs->doc_id)
			continue;
		if (p->coverage < MIN_COVERAGE || p->score < best->score - RIVAL_MARGIN)
			continue;
		if (!p->numbers->n || !best->numbers->n || !states_other(p->numbers, best->numbers) ||
		    !states_other(best->numbers, p->numbers))
			continue;
		/* the same statement with other figures, not two statements
		 * that share the question's words (a budget and a spend) */
		if (cr_termset_coverage(p->terms, best->terms, NULL) < SAME_STATEMENT ||
		    cr_termset_coverage(best->terms, p->terms, NULL) < SAME_STATEMENT)
			continue;
		if (!r || p->score > r->score)
			r = p;
	}
	return r;
}

int cr_ans_day(int64_t t, char out[16])
{
	time_t tt = (time_t)t;
	struct tm tm;
	return t > 0 && gmtime_r(&tt, &tm) && strftime(out, 16, "%Y-%m-%d", &tm);
}

static const char *day(cr_arena *a, int64_t t)
{
	char d[16];
	return cr_ans_day(t, d) ? cr_arena_strdup(a, d) : NULL;
}

/* Both sentences, the newer document's first, each with its citation, then
 * (when the two dates differ) a line with the dates. The dates stay out of
 * the cited sentences: verification requires a cited sentence's numbers
 * in its source, and a document's date need not be in its text. */
static const char *differ_draft(cr_arena *a, cr_answer *out, int ja, const pick *best, const pick *rival)
{
	const pick *p[2] = {best, rival};
	const cr_source *s[2] = {&out->sources[best->src], &out->sources[rival->src]};
	if (s[1]->date > s[0]->date) {
		const pick *tp = p[0];
		p[0] = p[1];
		p[1] = tp;
		const cr_source *ts = s[0];
		s[0] = s[1];
		s[1] = ts;
	}
	const char *d0 = s[0]->date != s[1]->date ? day(a, s[0]->date) : NULL;
	const char *d1 = d0 ? day(a, s[1]->date) : NULL;
	const char *txt = ja ? (d0 ? "資料によって記述が異なります（新しい資料から順に）。" : "資料によって記述が異なります。")
			     : (d0 ? "The sources differ (the newer first):" : "The sources differ:");
	for (int i = 0; i < 2 && txt; i++) {
		const char *sent = squeeze(a, s[i]->text + p[i]->start, p[i]->len);
		if (!sent)
			return NULL;
		txt = cr_arena_printf(a, "%s\n%s [%d]", txt, sent, s[i]->n);
		out->differ[i] = s[i]->n;
	}
	if (txt && d0)
		txt = d1 ? cr_arena_printf(a, ja ? "%s\n（資料%dの日付は %s、資料%dは %s）" : "%s\n(Source %d is dated %s, source %d %s.)",
					   txt, s[0]->n, d0, s[1]->n, d1)
			 : cr_arena_printf(a, ja ? "%s\n（資料%dの日付は %s）" : "%s\n(Source %d is dated %s.)", txt, s[0]->n, d0);
	return txt;
}

/* Appends the passages of rs not yet among out's sources (at most n), with
 * their text from the catalog; found_by overrides the retriever's name. */
static cr_err add_sources(cr_store *st, cr_arena *a, const cr_result *rs, size_t n, const char *found_by,
			  cr_answer *out, cr_msg *m)
{
	for (size_t i = 0; i < n; i++) {
		int have = 0;
		for (size_t j = 0; j < out->n_sources && !have; j++)
			have = out->sources[j].chunk_id == rs[i].chunk_id;
		if (have)
			continue;
		cr_chunk_row row;
		cr_err e = cr_store_chunk_get(st, a, rs[i].chunk_id, &row, m);
		if (e == CR_ENOTFOUND) /* deleted since the search: skip it */
			continue;
		if (e)
			return e;
		cr_source *s = &out->sources[out->n_sources];
		*s = (cr_source){.n = (int)out->n_sources + 1, .doc = rs[i].doc, .title = rs[i].title,
				 .type = rs[i].type, .loc = rs[i].loc, .text = row.text, .len = row.len,
				 .score = rs[i].score,
				 .retriever = found_by ? found_by : rs[i].found_by ? rs[i].found_by : "bm25",
				 .doc_id = rs[i].doc_id, .chunk_id = rs[i].chunk_id, .date = row.date};
		out->n_sources++;
	}
	return CR_OK;
}

/* Every source's best sentence into per[], the best of all into *best. */
static cr_err score_sources(cr_analyzer *an, cr_arena *a, const cr_termset *stop, const cr_termset *qt,
			    const cr_termset *names, int q_ja, int want, const cr_ask_opts *o, cr_answer *out, pick *per,
			    pick *best)
{
	cr_err e = CR_OK;
	for (size_t i = 0; i < out->n_sources && !e && qt->n; i++) {
		e = o ? cr_cancel_check(o->cancel) : CR_OK;
		if (!e)
			e = best_sentence(an, a, stop, qt, names, q_ja, want, &out->sources[i], i, &per[i]);
		if (!e && per[i].found) {
			out->sources[i].focus = per[i].start;
			out->sources[i].focus_len = per[i].len;
			if (better(&per[i], best))
				*best = per[i];
		}
	}
	return e;
}

static cr_err ask_inner(cr_corpus *c, cr_arena *a, const char *question, const cr_ask_opts *o, cr_answer *out,
			cr_msg *m)
{
	if (!c || !a || !question || !out)
		return cr_fail(m, CR_EINVAL, "ask: no question");
	memset(out, 0, sizeof *out);
	out->mode = "extractive";
	out->lang = cr_answer_lang(question);
	int ja = !strcmp(out->lang, "ja");
	int k = o && o->k > 0 ? o->k : DEFAULT_K;

	cr_err e = o ? cr_cancel_check(o->cancel) : CR_OK;
	if (e)
		return cr_fail(m, e, "ask: %s", cr_strerror(e));
	cr_corpus_query q = {.text = question, .k = k, .who = o ? o->who : NULL, .no_snippets = 1, .plain = 1,
			     .cancel = o ? o->cancel : NULL, .mode = o ? o->mode : CR_SEARCH_BM25,
			     .vec = o ? o->vec : NULL, .vec_dim = o ? o->vec_dim : 0};
	cr_result *rs = NULL;
	size_t n_rs = 0;
	e = cr_corpus_search(c, a, &q, &rs, &n_rs, m);
	if (e)
		return e;

	cr_store *st = NULL;
	cr_analyzer *an = NULL;
	e = cr_corpus_store_acquire(c, &st, m);
	if (e)
		return e;
	an = cr_corpus_analyzer_acquire(c);
	if (!an) {
		cr_corpus_store_release(c, st);
		return cr_fail(m, CR_ENOMEM, "ask: no analyzer");
	}
	/* room for a second search's passages, in the other language */
	out->sources = cr_arena_zalloc(a, (2 * (size_t)k) * sizeof *out->sources);
	if (!out->sources)
		e = CR_ENOMEM;
	if (!e)
		e = add_sources(st, a, rs, n_rs, NULL, out, m);

	/* the question's content terms, and the sentence that covers most of them */
	cr_termset stop, qt;
	cr_termset_init(&stop, a);
	cr_termset_init(&qt, a);
	if (!e)
		e = cr_ans_stopwords(an, &stop);
	if (!e)
		e = cr_ans_terms(an, question, strlen(question), CR_ANALYZE_QUERY, &stop, &qt, NULL);
	/* a number the question states (three digits or more) is its most specific term: weight 2 */
	for (size_t j = 0; j < qt.cap; j++)
		if (qt.keys[j]) {
			int digits = 1, n_digits = 0;
			for (uint32_t l = 1; l < qt.lens[j]; l++) {
				char ch = qt.keys[j][l];
				n_digits += ch >= '0' && ch <= '9';
				digits &= (ch >= '0' && ch <= '9') || ch == ',' || ch == '.';
			}
			if (digits && n_digits >= 3) /* "5,000", "10218"; not the 7 of "KR-7" */
				qt.weights[j] = 2.0f;
		}
	int want = wants(question), q_ja = cr_ans_is_ja(question, strlen(question));
	cr_termset names;
	cr_termset_init(&names, a);
	if (!e)
		e = cr_ans_names(an, question, strlen(question), &names);
	pick best = {0};
	pick *per = cr_arena_zalloc(a, (2 * (size_t)k) * sizeof *per);
	if (!per && !e)
		e = CR_ENOMEM;
	if (!e)
		e = score_sources(an, a, &stop, &qt, &names, q_ja, want, o, out, per, &best);

	/* Across languages: the question's words get their translations from
	 * the lexicon, a second search looks for them (a Japanese question's
	 * answer may be in an English document and the reverse), and every
	 * passage is scored again with a word counting where its translation
	 * is. Without a lexicon, one language at a time. */
	if (!e && qt.n) {
		cr_buf tq;
		cr_buf_init(&tq, 0);
		cr_err te = cr_ans_translate(an, &stop, question, strlen(question), &qt, &tq);
		if (te == CR_ENOTFOUND)
			te = CR_OK; /* no lexicon: one language at a time */
		e = te;
		if (!e && qt.n_alts && tq.len) {
			cr_corpus_query q2 = q;
			q2.text = tq.data;
			cr_result *rs2 = NULL;
			size_t n_rs2 = 0;
			e = cr_corpus_search(c, a, &q2, &rs2, &n_rs2, m);
			if (!e)
				e = add_sources(st, a, rs2, CR_MIN(n_rs2, (size_t)k), "translated", out, m);
			if (!e) {
				memset(per, 0, (2 * (size_t)k) * sizeof *per);
				best = (pick){0};
				e = score_sources(an, a, &stop, &qt, &names, q_ja, want, o, out, per, &best);
			}
		}
		cr_buf_release(&tq);
	}

	const char *draft = NULL;
	const pick *rival = NULL;
	if (!e && best.found && best.coverage >= MIN_COVERAGE)
		rival = find_rival(out, per, &best);
	if (!e && rival) {
		draft = differ_draft(a, out, ja, &best, rival);
		out->found = 1;
	} else if (!e && best.found && best.coverage >= MIN_COVERAGE) {
		const cr_source *s = &out->sources[best.src];
		const char *sent = squeeze(a, s->text + best.start, best.len);
		int src_ja = sent && !strcmp(cr_answer_lang(sent), "ja");
		if (!sent)
			e = CR_ENOMEM;
		else if (ja && !src_ja)
			draft = cr_arena_printf(a, "該当する記述は英語の資料にあります。\n%s [%d]", sent, s->n);
		else if (!ja && src_ja)
			draft = cr_arena_printf(a, "A Japanese source says:\n%s [%d]", sent, s->n);
		else
			draft = cr_arena_printf(a, "%s [%d]", sent, s->n);
		out->found = 1;
	} else if (!e) {
		draft = ja ? "資料には、この質問に答える記述が見つかりませんでした。"
			   : "The sources do not say.";
	}
	if (!e && !draft)
		e = CR_ENOMEM;
	if (!e)
		e = cr_answer_verify(an, a, draft, out->sources, out->n_sources, out);
	if (!e && out->found && !out->n_citations) {
		/* the answerer's own sentence failed its check: say so, never show it as fact */
		out->found = 0;
	}
	cr_corpus_analyzer_release(c, an);
	cr_corpus_store_release(c, st);
	return e;
}

cr_err cr_answer_ask(cr_corpus *c, cr_arena *a, const char *question, const cr_ask_opts *o, cr_answer *out, cr_msg *m)
{
	double t0 = cr_now();
	cr_err e = ask_inner(c, a, question, o, out, m);
	out->retrieval_ms = out->total_ms = (cr_now() - t0) * 1e3;
	return e;
}
