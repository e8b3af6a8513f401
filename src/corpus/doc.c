/*
 * doc.c — cr_corpus_doc_text: a document's text rebuilt from its chunks.
 *
 * The chunker carries up to overlap_chars of one chunk into the next of the
 * same section, so concatenating chunks repeats text. The overlap is found
 * again here as the longest suffix of the previous chunk (at least 16
 * bytes, at most 4 KiB, so a chance match of one word is left alone) that
 * begins the next chunk of the same location, and is dropped. A chunk at
 * another location (page, slide, sheet, speaker, heading, symbol) starts a
 * new paragraph ("\n\n"); a chunk at the same location without an overlap
 * follows after a space.
 * Cost: one pass over the chunks, O(overlap window) comparisons per chunk
 * (4 KiB × 4 KiB in the worst case, in practice one memcmp per length).
 */
#include "corpus_int.h"

#include <string.h>

typedef struct rebuild {
	cr_arena *a;
	cr_buf text;
	const char *prev;  /* previous chunk's text (in the arena) */
	size_t prev_len;
	cr_loc prev_loc;
	int have_prev;
	cr_doc_part *parts;
	size_t n, cap;
	cr_err err;
} rebuild;

static int same_str(const char *a, const char *b) { return (!a && !b) || (a && b && !strcmp(a, b)); }

static int same_loc(const cr_loc *a, const cr_loc *b)
{
	return a->page == b->page && a->slide == b->slide && same_str(a->sheet, b->sheet) &&
	       same_str(a->speaker, b->speaker) && same_str(a->heading, b->heading) &&
	       same_str(a->symbol, b->symbol);
}

/* Length of the longest suffix of a that is a prefix of b, >= 16 to count. */
static size_t overlap(const char *a, size_t na, const char *b, size_t nb)
{
	size_t max = na < nb ? na : nb;
	if (max > 4096)
		max = 4096;
	for (size_t k = max; k >= 16; k--)
		if (!memcmp(a + na - k, b, k))
			return k;
	return 0;
}

static int loc_dup(cr_arena *a, const cr_loc *l, cr_loc *o)
{
	*o = *l;
	o->sheet = l->sheet ? cr_arena_strdup(a, l->sheet) : NULL;
	o->speaker = l->speaker ? cr_arena_strdup(a, l->speaker) : NULL;
	o->heading = l->heading ? cr_arena_strdup(a, l->heading) : NULL;
	o->symbol = l->symbol ? cr_arena_strdup(a, l->symbol) : NULL;
	return (l->sheet && !o->sheet) || (l->speaker && !o->speaker) || (l->heading && !o->heading) ||
	       (l->symbol && !o->symbol);
}

static int on_chunk(void *ctx, const cr_chunk_row *c)
{
	rebuild *r = ctx;
	size_t skip = 0;
	int cont = r->have_prev && same_loc(&r->prev_loc, &c->loc);
	if (cont)
		skip = overlap(r->prev, r->prev_len, c->text, c->len);
	if (r->have_prev && (!cont || !skip) && (r->err = cr_buf_adds(&r->text, cont ? " " : "\n\n")))
		return 1;
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 16;
		cr_doc_part *p = cr_realloc(r->parts, cap * sizeof *p);
		if (!p) {
			r->err = CR_ENOMEM;
			return 1;
		}
		r->parts = p;
		r->cap = cap;
	}
	cr_doc_part *p = &r->parts[r->n];
	char *prev = cr_arena_memdup(r->a, c->text, c->len);
	if (loc_dup(r->a, &c->loc, &p->loc) || (c->len && !prev)) {
		r->err = CR_ENOMEM;
		return 1;
	}
	p->start = r->text.len;
	if ((r->err = cr_buf_add(&r->text, c->text + skip, c->len - skip)))
		return 1;
	p->len = r->text.len - p->start;
	r->n++;
	r->prev = prev;
	r->prev_len = c->len;
	r->prev_loc = p->loc;
	r->have_prev = 1;
	return 0;
}

cr_err cr_corpus_doc_text(cr_corpus *c, cr_arena *a, int64_t doc_id, cr_doc_text *out, cr_msg *m)
{
	memset(out, 0, sizeof *out);
	rebuild r;
	memset(&r, 0, sizeof r);
	r.a = a;
	cr_buf_init(&r.text, 0);
	cr_store *st = NULL; /* a connection of this call's own: any thread may call */
	cr_err e = cr_corpus_store_acquire(c, &st, m);
	if (!e)
		e = cr_store_chunks_of_doc(st, doc_id, on_chunk, &r, m);
	cr_corpus_store_release(c, st);
	if (!e && r.err)
		e = cr_fail(m, r.err, "document text: %s", cr_strerror(r.err));
	char *text = NULL;
	cr_doc_part *parts = NULL;
	if (!e) {
		text = cr_arena_memdup(a, r.text.data ? r.text.data : "", r.text.len + 1);
		parts = r.n ? cr_arena_memdup(a, r.parts, r.n * sizeof *parts) : NULL;
		if (!text || (r.n && !parts))
			e = cr_fail(m, CR_ENOMEM, "document text: out of memory");
	}
	if (!e) {
		out->text = text;
		out->len = r.text.len;
		out->parts = parts;
		out->n_parts = r.n;
	}
	cr_buf_release(&r.text);
	cr_free(r.parts);
	return e;
}
