/*
 * verify.c — checks an answer's citations against the sources it was given.
 *
 * The answer is cut into sentences; markers "[n]" belong to the sentence
 * they end (a marker alone after a full stop joins the sentence before).
 * A marker holds when source n was given and supports the sentence: at
 * least 60% of the weight of the sentence's content terms occurs in the
 * source (a word of the other language's sentence also counts through its
 * translations: xlate.c), and every number the sentence states does too. Markers that fail
 * are removed and reported; a sentence left without any citation it had is
 * marked unverified in the text itself.
 */
#include <stdlib.h>
#include <string.h>

#include "answer_int.h"

#define MIN_SUPPORT 0.6f
#define MAX_QUOTE 320
#define MAX_MARKS 16

typedef struct srcinfo {
	int ready;
	cr_termset terms, numbers;
	cr_span *sents;
	size_t n_sents;
} srcinfo;

static cr_err src_prepare(cr_analyzer *an, cr_arena *a, const cr_source *s, srcinfo *si)
{
	if (si->ready)
		return CR_OK;
	cr_termset_init(&si->terms, a);
	cr_termset_init(&si->numbers, a);
	cr_err e = cr_ans_terms(an, s->text, s->len, 0, NULL, &si->terms, &si->numbers);
	if (!e)
		e = cr_ans_split(a, s->text, s->len, cr_ans_rows(s->type), &si->sents, &si->n_sents);
	si->ready = !e;
	return e;
}

static int numbers_in(const cr_termset *nums, const cr_termset *in)
{
	for (size_t i = 0; i < nums->cap; i++)
		if (nums->keys[i] && !cr_termset_holds(nums, nums->keys[i], nums->lens[i], in))
			return 0;
	return 1;
}

/* Cuts s to at most max bytes at a UTF-8 boundary, with "…" when cut. */
static const char *clip(cr_arena *a, const char *s, size_t len, size_t max)
{
	if (len <= max)
		return cr_arena_strndup(a, s, len);
	size_t n = max;
	while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return cr_arena_printf(a, "%.*s…", (int)n, s);
}

/* The source's sentence that shares most with the answer's sentence. */
static cr_err best_quote(cr_analyzer *an, cr_arena *a, const cr_source *s, const srcinfo *si,
			 const cr_termset *want, const char **quote)
{
	float best = -1;
	size_t bi = 0;
	for (size_t i = 0; i < si->n_sents; i++) {
		cr_termset st;
		cr_termset_init(&st, a);
		cr_err e = cr_ans_terms(an, s->text + si->sents[i].start, si->sents[i].len, 0, NULL, &st, NULL);
		if (e)
			return e;
		float c = cr_termset_coverage(want, &st, NULL);
		if (c > best)
			best = c, bi = i;
	}
	*quote = si->n_sents ? clip(a, s->text + si->sents[bi].start, si->sents[bi].len, MAX_QUOTE)
			     : clip(a, s->text, s->len, MAX_QUOTE);
	return *quote ? CR_OK : CR_ENOMEM;
}

typedef struct seg {
	size_t start, len;   /* the sentence in the answer, markers included */
	int marks[MAX_MARKS];
	int n_marks;
	int newline_before;
} seg;

/* Parses "[12]" at p; returns its length or 0. */
static size_t marker_at(const char *p, size_t left, int *n)
{
	if (left < 3 || p[0] != '[' || p[1] < '0' || p[1] > '9')
		return 0;
	size_t i = 1;
	int v = 0;
	while (i < left && p[i] >= '0' && p[i] <= '9' && i < 6)
		v = v * 10 + (p[i++] - '0');
	if (i >= left || p[i] != ']')
		return 0;
	*n = v;
	return i + 1;
}

/* Only punctuation and spaces? */
static int is_empty_text(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))
			return 0;
	}
	return 1;
}

static cr_err add_unverified(cr_arena *a, cr_answer *out, size_t *cap, int n, const char *sentence, const char *reason)
{
	if (out->n_unverified == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		cr_unverified *v = cr_arena_alloc(a, nc * sizeof *v);
		if (!v)
			return CR_ENOMEM;
		if (out->n_unverified)
			memcpy(v, out->unverified, out->n_unverified * sizeof *v);
		out->unverified = v, *cap = nc;
	}
	out->unverified[out->n_unverified++] = (cr_unverified){n, sentence, reason};
	return CR_OK;
}

cr_err cr_answer_verify(cr_analyzer *an, cr_arena *a, const char *text, const cr_source *src, size_t n,
			cr_answer *out)
{
	if (!an || !a || !text || (!src && n) || !out)
		return CR_EINVAL;
	size_t tlen = strlen(text);
	int ja = !strcmp(cr_answer_lang(text), "ja");
	cr_termset stop;
	cr_termset_init(&stop, a);
	cr_err e = cr_ans_stopwords(an, &stop);
	cr_span *sp = NULL;
	size_t n_sp = 0;
	if (!e)
		e = cr_ans_split(a, text, tlen, 0, &sp, &n_sp);
	srcinfo *si = cr_arena_zalloc(a, (n ? n : 1) * sizeof *si);
	seg *segs = cr_arena_zalloc(a, (n_sp ? n_sp : 1) * sizeof *segs);
	if (!e && (!si || !segs))
		e = CR_ENOMEM;
	if (e)
		return e;

	/* sentences and their markers; a sentence of markers only joins the one before */
	size_t n_segs = 0;
	for (size_t i = 0; i < n_sp; i++) {
		seg g = {.start = sp[i].start, .len = sp[i].len};
		size_t prev_end = i ? sp[i - 1].start + sp[i - 1].len : 0;
		g.newline_before = memchr(text + prev_end, '\n', g.start - prev_end) != NULL;
		char *plain = cr_arena_alloc(a, g.len + 1);
		if (!plain)
			return CR_ENOMEM;
		size_t np = 0;
		for (size_t j = 0; j < g.len;) {
			int v;
			size_t ml = marker_at(text + g.start + j, g.len - j, &v);
			if (ml) {
				if (g.n_marks < MAX_MARKS)
					g.marks[g.n_marks++] = v;
				j += ml;
			} else
				plain[np++] = text[g.start + j++];
		}
		if (n_segs && g.n_marks && is_empty_text(plain, np)) {
			seg *p = &segs[n_segs - 1];
			for (int k = 0; k < g.n_marks && p->n_marks < MAX_MARKS; k++)
				p->marks[p->n_marks++] = g.marks[k];
			p->len = g.start + g.len - p->start;
			continue;
		}
		segs[n_segs++] = g;
	}

	cr_buf b;
	cr_buf_init(&b, 0);
	size_t cap_unv = 0, cap_cit = 0;
	out->citations = NULL, out->n_citations = 0;
	out->unverified = NULL, out->n_unverified = 0;
	for (size_t i = 0; i < n_segs && !e; i++) {
		seg *g = &segs[i];
		/* the sentence without its markers (and the space before each) */
		cr_buf s;
		cr_buf_init(&s, 0);
		for (size_t j = 0; j < g->len && !e;) {
			int v;
			size_t ml = marker_at(text + g->start + j, g->len - j, &v);
			if (ml) {
				while (s.len && s.data[s.len - 1] == ' ')
					s.data[--s.len] = 0;
				j += ml;
			} else
				e = cr_buf_addc(&s, text[g->start + j++]);
		}
		const char *sentence = e ? NULL : cr_arena_strndup(a, s.data ? s.data : "", s.len);
		cr_buf_release(&s);
		if (!e && !sentence)
			e = CR_ENOMEM;
		if (e)
			break;
		size_t slen = strlen(sentence);
		cr_termset st, sn;
		cr_termset_init(&st, a);
		cr_termset_init(&sn, a);
		if (g->n_marks)
			e = cr_ans_terms(an, sentence, slen, 0, &stop, &st, &sn);
		int kept[MAX_MARKS], n_kept = 0, s_ja = cr_ans_is_ja(sentence, slen), translated = 0;
		for (int k = 0; k < g->n_marks && !e; k++) {
			int mk = g->marks[k], dup = 0;
			for (int j = 0; j < n_kept; j++)
				dup |= kept[j] == mk;
			if (dup)
				continue;
			size_t si_i = n;
			for (size_t j = 0; j < n; j++)
				if (src[j].n == mk)
					si_i = j;
			if (si_i == n) {
				e = add_unverified(a, out, &cap_unv, mk, sentence,
						   cr_arena_printf(a, "no source [%d] was given", mk));
				continue;
			}
			e = src_prepare(an, a, &src[si_i], &si[si_i]);
			if (e)
				break;
			/* a sentence citing a source in the other language (a model
			 * answering in Japanese from an English document): its words
			 * also count through their translations */
			if (!translated && cr_ans_is_ja(src[si_i].text, src[si_i].len) != s_ja) {
				translated = 1;
				e = cr_ans_translate(an, &stop, sentence, slen, &st, NULL);
				if (e == CR_ENOTFOUND)
					e = CR_OK;
				if (e)
					break;
			}
			float total;
			float cov = cr_termset_coverage(&st, &si[si_i].terms, &total);
			const char *why = NULL;
			if (total <= 0)
				why = cr_arena_printf(a, "nothing in the sentence to check against [%d]", mk);
			else if (!numbers_in(&sn, &si[si_i].numbers))
				why = cr_arena_printf(a, "a number in the sentence is not in [%d]", mk);
			else if (cov < MIN_SUPPORT)
				why = cr_arena_printf(a, "not supported by [%d] (%.0f%% of its terms found)", mk, cov * 100);
			if (why) {
				e = add_unverified(a, out, &cap_unv, mk, sentence, why);
				continue;
			}
			kept[n_kept++] = mk;
			int seen = 0;
			for (size_t j = 0; j < out->n_citations; j++)
				seen |= out->citations[j].n == mk;
			if (seen)
				continue;
			const char *quote;
			e = best_quote(an, a, &src[si_i], &si[si_i], &st, &quote);
			if (e)
				break;
			if (out->n_citations == cap_cit) {
				size_t nc = cap_cit ? cap_cit * 2 : 8;
				cr_citation *v = cr_arena_alloc(a, nc * sizeof *v);
				if (!v) {
					e = CR_ENOMEM;
					break;
				}
				if (out->n_citations)
					memcpy(v, out->citations, out->n_citations * sizeof *v);
				out->citations = v, cap_cit = nc;
			}
			out->citations[out->n_citations++] = (cr_citation){mk, quote};
		}
		if (e)
			break;
		if (b.len)
			e = cr_buf_adds(&b, g->newline_before ? "\n" : ((unsigned char)sentence[0] < 0x80 || !ja ? " " : ""));
		if (!e)
			e = cr_buf_adds(&b, sentence);
		for (int k = 0; k < n_kept && !e; k++)
			e = cr_buf_printf(&b, " [%d]", kept[k]);
		if (!e && g->n_marks && !n_kept)
			e = cr_buf_adds(&b, ja ? "（未検証）" : " (unverified)");
	}
	if (!e) {
		out->text = cr_arena_strndup(a, b.data ? b.data : "", b.len);
		if (!out->text)
			e = CR_ENOMEM;
	}
	cr_buf_release(&b);
	return e;
}
