/*
 * chunk.c — cuts a document's sections into overlapping chunks for the index.
 *
 * 1. Grouping: neighbouring sections whose location has the same page,
 *    slide, sheet, heading path and code symbol form one group; their texts
 *    are joined with a blank line. Line ranges, times and speakers are not
 *    part of the key: they merge (a chunk's line range and time span cover
 *    the sections it touches; its speaker is kept only when all agree), so
 *    a transcript or a long text file does not become one chunk per line.
 * 2. Cutting: a group longer than target_chars (Unicode characters, not
 *    bytes) is cut into pieces of about target_chars. The cut is the last
 *    paragraph break in the second half of the window, else the last
 *    sentence end (. ! ? followed by space, or 。！？), else the last space,
 *    else a character boundary: never inside a UTF-8 sequence. A final piece
 *    shorter than a fifth of the target is absorbed by the previous one.
 * 3. Overlap: each piece after the first starts about overlap_chars before
 *    the previous cut, moved forward to the next word start so it does not
 *    begin mid-word.
 * Cost: O(total text + chunks x log sections) per document; memory from the
 * arena.
 */
#include "ingest_int.h"

#include <string.h>

cr_chunk_opts cr_chunk_opts_default(void)
{
	cr_chunk_opts o = {.target_chars = 1200, .overlap_chars = 150};
	return o;
}

static int str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

static int is_cont(uint8_t c) { return (c & 0xc0) == 0x80; }

/* Byte offset after advancing up to n characters from i (bounded by len). */
static size_t adv_chars(const char *s, size_t len, size_t i, size_t n)
{
	while (i < len && n) {
		i++;
		while (i < len && is_cont((uint8_t)s[i]))
			i++;
		n--;
	}
	return i;
}

/* Byte offset after going back up to n characters from i. */
static size_t back_chars(const char *s, size_t i, size_t n)
{
	while (i > 0 && n) {
		i--;
		while (i > 0 && is_cont((uint8_t)s[i]))
			i--;
		n--;
	}
	return i;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

/* Is there a sentence end ending just before byte i? Returns 1 if so. */
static int sentence_end_before(const char *s, size_t i)
{
	if (i >= 3) {
		const char *p = s + i - 3; /* 。！？ are 3-byte sequences */
		if (!memcmp(p, "\xe3\x80\x82", 3) || !memcmp(p, "\xef\xbc\x81", 3) || !memcmp(p, "\xef\xbc\x9f", 3))
			return 1;
	}
	return 0;
}

/* Best cut position in (lo, hi]: paragraph, sentence, word, character. */
static size_t find_cut(const char *s, size_t lo, size_t hi)
{
	for (size_t i = hi; i > lo + 1; i--)
		if (s[i - 1] == '\n' && s[i - 2] == '\n')
			return i;
	for (size_t i = hi; i > lo; i--) {
		if (sentence_end_before(s, i))
			return i;
		if (i >= 2 && is_space(s[i - 1]) && (s[i - 2] == '.' || s[i - 2] == '!' || s[i - 2] == '?'))
			return i;
	}
	for (size_t i = hi; i > lo; i--)
		if (is_space(s[i - 1]))
			return i;
	size_t i = hi;
	while (i > lo && is_cont((uint8_t)s[i]))
		i--;
	return i > lo ? i : hi;
}

/* Start of the overlap: go back `n` characters from cut, then forward to a
 * word start (skipping at most 40 bytes; CJK has no spaces). */
static size_t overlap_start(const char *s, size_t start, size_t cut, size_t n)
{
	if (n == 0)
		return cut;
	size_t o = back_chars(s, cut, n);
	if (o <= start)
		o = start;
	if (o > 0 && !is_space(s[o - 1])) {
		size_t k = o;
		while (k < cut && k - o < 40 && !is_space(s[k]))
			k++;
		if (k < cut && is_space(s[k]))
			o = k;
	}
	while (o < cut && is_space(s[o]))
		o++;
	while (o < cut && is_cont((uint8_t)s[o]))
		o++;
	return o;
}

typedef struct span {
	size_t off, end; /* bytes of the group text */
	const cr_section *sec;
} span;

typedef struct chunk_list {
	cr_arena *a;
	cr_chunk *v;
	size_t n, cap;
} chunk_list;

static cr_err push_chunk(chunk_list *cl, const char *text, size_t b, size_t e, const span *sp, size_t n_sp,
			 const cr_loc *place)
{
	while (b < e && is_space(text[b]))
		b++;
	while (e > b && is_space(text[e - 1]))
		e--;
	if (e == b)
		return CR_OK;
	if (cl->n == cl->cap) {
		size_t nc = cl->cap ? cl->cap * 2 : 16;
		cr_chunk *nv = cr_arena_alloc(cl->a, nc * sizeof *nv);
		if (!nv)
			return CR_ENOMEM;
		if (cl->n)
			memcpy(nv, cl->v, cl->n * sizeof *nv);
		cl->v = nv;
		cl->cap = nc;
	}
	cr_chunk *c = &cl->v[cl->n];
	c->text = cr_arena_strndup(cl->a, text + b, e - b);
	if (!c->text)
		return CR_ENOMEM;
	c->len = e - b;
	c->ordinal = (uint32_t)cl->n;
	c->loc = *place;
	c->loc.line_start = c->loc.line_end = 0;
	c->loc.t_start = c->loc.t_end = -1;
	c->loc.speaker = NULL;
	int first = 1, speakers_agree = 1;
	/* spans are in offset order: binary search the first one ending after b */
	size_t lo = 0, hi = n_sp;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (sp[mid].end <= b)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < n_sp && sp[i].off < e; i++) {
		const cr_loc *l = &sp[i].sec->loc;
		if (l->line_start > 0 && (c->loc.line_start == 0 || l->line_start < c->loc.line_start))
			c->loc.line_start = l->line_start;
		if (l->line_end > c->loc.line_end)
			c->loc.line_end = l->line_end;
		if (l->t_start >= 0 && (c->loc.t_start < 0 || l->t_start < c->loc.t_start))
			c->loc.t_start = l->t_start;
		if (l->t_end > c->loc.t_end)
			c->loc.t_end = l->t_end;
		if (first)
			c->loc.speaker = l->speaker;
		else if (!str_eq(c->loc.speaker, l->speaker))
			speakers_agree = 0;
		first = 0;
	}
	if (!speakers_agree)
		c->loc.speaker = NULL;
	cl->n++;
	return CR_OK;
}

static cr_err cut_group(chunk_list *cl, const char *text, size_t len, const span *sp, size_t n_sp,
			const cr_loc *place, const cr_chunk_opts *o)
{
	size_t target = o->target_chars ? o->target_chars : 1200;
	size_t overlap = o->overlap_chars < target / 2 ? o->overlap_chars : target / 2;
	size_t start = 0;
	while (start < len) {
		size_t hard = adv_chars(text, len, start, target);
		/* the rest fits (with a fifth of slack): last piece */
		if (adv_chars(text, len, hard, target / 5) >= len)
			return push_chunk(cl, text, start, len, sp, n_sp, place);
		size_t half = adv_chars(text, len, start, target / 2);
		size_t cut = find_cut(text, half, hard);
		cr_err e = push_chunk(cl, text, start, cut, sp, n_sp, place);
		if (!e && (cl->n & 255) == 0)
			e = cr_cancel_check(o->cancel);
		if (e)
			return e;
		size_t next = overlap_start(text, start, cut, overlap);
		if (next <= start)
			next = cut;
		start = next;
	}
	return CR_OK;
}

cr_err cr_chunk_doc(cr_arena *a, const cr_doc *d, const cr_chunk_opts *o, cr_chunk **out, size_t *n_out)
{
	cr_chunk_opts def = cr_chunk_opts_default();
	if (!o)
		o = &def;
	if (!a || !d || !out || !n_out)
		return CR_EINVAL;
	chunk_list cl = {.a = a};
	cr_buf text;
	cr_buf_init(&text, 0);
	span *sp = NULL;
	size_t cap_sp = 0;
	cr_err e = CR_OK;
	size_t i = 0;
	while (!e && i < d->n_sections && !(e = cr_cancel_check(o->cancel))) {
		const cr_loc *place = &d->sections[i].loc;
		size_t j = i, n_sp = 0;
		cr_buf_reset(&text);
		for (; j < d->n_sections && cr_loc_same(place, &d->sections[j].loc); j++) {
			const cr_section *s = &d->sections[j];
			if ((j - i) % 1024 == 1023 && (e = cr_cancel_check(o->cancel)))
				break;
			if (n_sp == cap_sp) {
				size_t nc = cap_sp ? cap_sp * 2 : 16;
				span *nsp = cr_realloc(sp, nc * sizeof *nsp);
				if (!nsp) {
					e = CR_ENOMEM;
					break;
				}
				sp = nsp;
				cap_sp = nc;
			}
			if (text.len && (e = cr_buf_add(&text, "\n\n", 2)))
				break;
			sp[n_sp].off = text.len;
			if ((e = cr_buf_add(&text, s->text, s->len)))
				break;
			sp[n_sp].end = text.len;
			sp[n_sp].sec = s;
			n_sp++;
		}
		if (!e)
			e = cut_group(&cl, text.data, text.len, sp, n_sp, place, o);
		i = j;
	}
	cr_buf_release(&text);
	cr_free(sp);
	if (e)
		return e;
	*out = cl.v;
	*n_out = cl.n;
	return CR_OK;
}
