/*
 * snippet.c — cr_snippet: the best window of a text for a result's query
 * terms, with the matches marked.
 *
 * The text is analyzed like a document; tokens whose term is one of the
 * result's analyzed terms are matches, with byte ranges in the original
 * text (overlapping ranges, e.g. a Japanese morpheme and its bigrams, are
 * merged). The window of about max_chars characters with the most distinct
 * matched terms (then the most matches) wins; it is widened to centre the
 * matches and its ends moved to word boundaries (a space, punctuation, or
 * a CJK character, which needs no space) when one lies within 40
 * characters, inward first. Unicode spaces count as spaces and no-break
 * spaces (U+00A0, U+2007, U+202F) come out as plain ones. Marks go
 * around whole matched ranges, which the analyzer reports on character
 * boundaries. Cost: one analysis pass plus O(matches) window scans.
 */
#include "index_int.h"

#include <stdlib.h>

typedef struct match {
	uint32_t start, end;
	uint32_t term;
} match;

typedef struct snipctx {
	const cr_results *r;
	uint32_t *lens;
	match *v;
	size_t n, cap;
	int oom;
} snipctx;

static int on_tok(void *ctx, const cr_token *t)
{
	snipctx *s = ctx;
	for (size_t i = 0; i < s->r->n_terms; i++) {
		if (s->lens[i] == t->len && !memcmp(s->r->terms[i], t->term, t->len)) {
			if (s->n == s->cap) {
				size_t c = s->cap ? s->cap * 2 : 64;
				match *p = cr_realloc(s->v, c * sizeof *p);
				if (!p) {
					s->oom = 1;
					return 1;
				}
				s->v = p;
				s->cap = c;
			}
			s->v[s->n].start = t->start;
			s->v[s->n].end = t->end;
			s->v[s->n].term = (uint32_t)i;
			s->n++;
			break;
		}
	}
	return 0;
}

static int cmp_match(const void *a, const void *b)
{
	const match *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->end < y->end ? -1 : x->end > y->end;
}

static inline int is_cont(const char *t, size_t i)
{
	return ((unsigned char)t[i] & 0xc0) == 0x80;
}

/* byte offset after moving `chars` characters forward from `at` */
static size_t fwd(const char *t, size_t len, size_t at, size_t chars)
{
	while (at < len && chars) {
		at++;
		while (at < len && is_cont(t, at))
			at++;
		chars--;
	}
	return at;
}

static size_t back(const char *t, size_t at, size_t chars)
{
	while (at > 0 && chars) {
		at--;
		while (at > 0 && is_cont(t, at))
			at--;
		chars--;
	}
	return at;
}

static size_t nchars(const char *t, size_t a, size_t b)
{
	size_t n = 0;
	for (size_t i = a; i < b; i++)
		n += !is_cont(t, i);
	return n;
}

static int is_space(char c)
{
	return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}

/* The code point at byte i (0 at the end or on a bad byte). */
static uint32_t cp_at(const char *t, size_t len, size_t i)
{
	uint32_t cp = 0;
	if (i >= len || !cr_utf8_decode((const uint8_t *)t + i, len - i, &cp))
		return 0;
	return cp;
}

static int space_cp(uint32_t c)
{
	return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == 0xa0 || c == 0x1680 ||
	       (c >= 0x2000 && c <= 0x200b) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f ||
	       c == 0x3000 || c == 0xfeff;
}

/* A character that belongs to a word: letters and digits of alphabetic
 * scripts. CJK ideographs and kana stand alone (a boundary on each side). */
static int word_cp(uint32_t c)
{
	if (c < 0x80)
		return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '_';
	if (space_cp(c) || (c >= 0x2010 && c <= 0x206f) || (c >= 0x3000 && c <= 0x30ff) ||
	    (c >= 0x3400 && c <= 0x9fff) || (c >= 0xf900 && c <= 0xfaff) || (c >= 0xff00 && c <= 0xffef) ||
	    (c >= 0xa0 && c <= 0xbf) || c == 0xd7 || c == 0xf7)
		return 0;
	return 1;
}

/* Whether byte offset p (a character start) is between words. */
static int boundary(const char *t, size_t len, size_t p)
{
	if (p == 0 || p >= len)
		return 1;
	size_t q = p - 1;
	while (q > 0 && is_cont(t, q))
		q--;
	return !word_cp(cp_at(t, len, q)) || !word_cp(cp_at(t, len, p));
}

#define SNAP_CHARS 40

/* Moves p to a boundary within SNAP_CHARS characters, first towards `in`
 * (not past it), then away from it; p itself if none. */
static size_t snap(const char *t, size_t len, size_t p, size_t in, int forward_first)
{
	if (boundary(t, len, p))
		return p;
	size_t q = p;
	for (int c = 0; c < SNAP_CHARS; c++) {
		size_t nq = forward_first ? fwd(t, len, q, 1) : back(t, q, 1);
		if (nq == q || (forward_first ? nq > in : nq < in))
			break;
		q = nq;
		if (boundary(t, len, q))
			return q;
	}
	q = p;
	for (int c = 0; c < SNAP_CHARS; c++) {
		size_t nq = forward_first ? back(t, q, 1) : fwd(t, len, q, 1);
		if (nq == q)
			break;
		q = nq;
		if (boundary(t, len, q))
			return q;
	}
	return p;
}

/* Length of a space character at i (ASCII or Unicode), else 0. */
static size_t space_len(const char *t, size_t len, size_t i)
{
	if (i < len && is_space(t[i]))
		return 1;
	uint32_t cp = 0;
	int l = i < len ? cr_utf8_decode((const uint8_t *)t + i, len - i, &cp) : 0;
	return l > 1 && space_cp(cp) ? (size_t)l : 0;
}

/* Appends t[a, b) with no-break spaces as plain spaces. */
static cr_err add_text(cr_buf *out, const char *t, size_t a, size_t b)
{
	cr_err e = CR_OK;
	size_t run = a;
	for (size_t i = a; i < b && !e; i++) {
		if ((unsigned char)t[i] < 0xc2)
			continue;
		uint32_t cp = cp_at(t, b, i);
		if (cp != 0xa0 && cp != 0x2007 && cp != 0x202f)
			continue;
		if (!(e = cr_buf_add(out, t + run, i - run)))
			e = cr_buf_addc(out, ' ');
		i += cp == 0xa0 ? 1 : 2;
		run = i + 1;
	}
	if (!e && run < b)
		e = cr_buf_add(out, t + run, b - run);
	return e;
}

cr_err cr_snippet(cr_analyzer *an, const cr_results *r, const char *text, size_t len, size_t max_chars,
		  const char *open, const char *close, cr_buf *out)
{
	if (!an || !r || (!text && len) || !out)
		return CR_EINVAL;
	if (!open)
		open = "";
	if (!close)
		close = "";
	if (!max_chars)
		max_chars = 200;
	snipctx s = {.r = r};
	cr_err e = CR_OK;
	if (r->n_terms) {
		s.lens = cr_malloc(r->n_terms * sizeof *s.lens);
		if (!s.lens)
			return CR_ENOMEM;
		for (size_t i = 0; i < r->n_terms; i++)
			s.lens[i] = (uint32_t)strlen(r->terms[i]);
		if (len) {
			e = cr_analyze(an, text, len, 0, on_tok, &s);
			if (s.oom)
				e = CR_ENOMEM;
			if (e)
				goto out;
		}
	}
	if (s.n)
		qsort(s.v, s.n, sizeof *s.v, cmp_match);
	/* drop ranges that are out of bounds (defensive) and merge overlaps */
	size_t k = 0;
	for (size_t i = 0; i < s.n; i++) {
		match mt = s.v[i];
		if (mt.end > len || mt.start >= mt.end)
			continue;
		if (k && mt.start < s.v[k - 1].end) {
			if (mt.end > s.v[k - 1].end)
				s.v[k - 1].end = mt.end;
			continue;
		}
		s.v[k++] = mt;
	}
	s.n = k;
	size_t ws = 0, we;
	if (s.n) {
		/* ranges are now sorted and disjoint: character offsets in one pass */
		size_t *cs = cr_malloc(s.n * 2 * sizeof *cs), *ce = cs ? cs + s.n : NULL;
		uint8_t *seen = cr_calloc(r->n_terms ? r->n_terms : 1, 1);
		if (!cs || !seen) {
			cr_free(cs);
			cr_free(seen);
			e = CR_ENOMEM;
			goto out;
		}
		size_t at = 0, chars = 0;
		for (size_t i = 0; i < s.n; i++) {
			chars += nchars(text, at, s.v[i].start);
			cs[i] = chars;
			chars += nchars(text, s.v[i].start, s.v[i].end);
			ce[i] = chars;
			at = s.v[i].end;
		}
		/* best window of matches [i, j] */
		size_t best_i = 0, best_j = 0;
		int best_distinct = -1;
		size_t best_count = 0;
		for (size_t i = 0; i < s.n; i++) {
			memset(seen, 0, r->n_terms ? r->n_terms : 1);
			int distinct = 0;
			size_t j = i;
			for (; j < s.n; j++) {
				if (ce[j] - cs[i] > max_chars && j > i)
					break;
				if (!seen[s.v[j].term]) {
					seen[s.v[j].term] = 1;
					distinct++;
				}
			}
			size_t cnt = j - i;
			if (distinct > best_distinct || (distinct == best_distinct && cnt > best_count)) {
				best_distinct = distinct;
				best_count = cnt;
				best_i = i;
				best_j = j - 1;
			}
			if (j == s.n)
				break; /* later windows hold a subset */
		}
		cr_free(cs);
		cr_free(seen);
		size_t a = s.v[best_i].start, b = s.v[best_j].end;
		size_t span = nchars(text, a, b);
		size_t extra = span < max_chars ? max_chars - span : 0;
		ws = back(text, a, extra / 2);
		ws = snap(text, len, ws, a, 1); /* start between words */
		we = fwd(text, len, ws, CR_MAX(max_chars, nchars(text, ws, b)));
		if (we < b)
			we = b;
		if (we == len && ws > 0) { /* use the room left at the end */
			size_t used = nchars(text, ws, we);
			if (used < max_chars)
				ws = snap(text, len, back(text, ws, max_chars - used), a, 1);
		}
	} else {
		we = fwd(text, len, 0, max_chars);
	}
	/* end between words, not before the last match it shows */
	if (we < len) {
		size_t last_end = ws;
		for (size_t i = 0; i < s.n; i++)
			if (s.v[i].start < we && s.v[i].end > last_end)
				last_end = s.v[i].end;
		we = snap(text, len, we, CR_MAX(last_end, ws), 0);
	}
	for (size_t l; we > ws && (l = space_len(text, len, back(text, we, 1))) && back(text, we, 1) + l == we;)
		we -= l;
	for (size_t l; ws < we && (l = space_len(text, len, ws));)
		ws += l;
	size_t at = ws;
	for (size_t i = 0; i < s.n && !e; i++) {
		size_t a = s.v[i].start, b = s.v[i].end;
		if (b <= ws || a >= we)
			continue;
		if (a < ws)
			a = ws;
		if (b > we)
			b = we;
		if ((e = add_text(out, text, at, a)) || (e = cr_buf_adds(out, open)) ||
		    (e = add_text(out, text, a, b)) || (e = cr_buf_adds(out, close)))
			break;
		at = b;
	}
	if (!e && at < we)
		e = add_text(out, text, at, we);
out:
	cr_free(s.lens);
	cr_free(s.v);
	return e;
}
