/*
 * tok_spm.c — SentencePiece BPE (tokenizer.ggml.model = "llama"), as
 * llama.cpp's llm_tokenizer_spm_session: the text (spaces already turned
 * into U+2581) is split into UTF-8 characters; every adjacent pair whose
 * concatenation is a token goes into a max-heap ordered by that token's
 * score (ties: leftmost first); the best pair is merged and its new
 * neighbours are offered, until no pair is a token. A final symbol that is
 * not a token is emitted as byte tokens <0xNN> (byte fallback).
 * O(n log n) in the characters of the fragment.
 */
#include "llm/tok_int.h"

#include <string.h>

typedef struct {
	int prev, next;
	size_t off, n;
} sym;

typedef struct {
	int left, right;
	float score;
	size_t size;
} bigram;

typedef struct {
	bigram *v;
	size_t n, cap;
} heap;

/* a before b in the heap: higher score, then smaller left */
static int before(const bigram *a, const bigram *b)
{
	return a->score > b->score || (a->score == b->score && a->left < b->left);
}

static cr_err heap_push(heap *h, bigram b)
{
	if (h->n == h->cap) {
		size_t nc = h->cap ? h->cap * 2 : 64;
		bigram *nv = cr_realloc(h->v, nc * sizeof *nv);
		if (!nv)
			return CR_ENOMEM;
		h->v = nv;
		h->cap = nc;
	}
	size_t i = h->n++;
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!before(&b, &h->v[p]))
			break;
		h->v[i] = h->v[p];
		i = p;
	}
	h->v[i] = b;
	return CR_OK;
}

static bigram heap_pop(heap *h)
{
	bigram top = h->v[0], last = h->v[--h->n];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && before(&h->v[c + 1], &h->v[c]))
			c++;
		if (!before(&h->v[c], &last))
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	if (h->n)
		h->v[i] = last;
	return top;
}

static cr_err try_add(const cr_tok *t, const char *s, sym *sy, int l, int r, heap *h)
{
	if (l < 0 || r < 0)
		return CR_OK;
	size_t n = sy[l].n + sy[r].n;
	cr_token_id id = cr_tok_lookup(t, s + sy[l].off, n);
	if (id < 0)
		return CR_OK;
	return heap_push(h, (bigram){l, r, t->score[id], n});
}

cr_err cr_tok_spm_encode(const cr_tok *t, const char *s, size_t n, cr_buf *ids)
{
	if (n == 0)
		return CR_OK;
	sym *sy = cr_malloc(n * sizeof *sy);
	heap h = {0};
	cr_err e = CR_OK;
	if (!sy)
		return CR_ENOMEM;
	int ns = 0;
	for (size_t off = 0; off < n;) {
		size_t l = CR_MIN(cr_u_len((uint8_t)s[off]), n - off);
		sy[ns] = (sym){ns - 1, off + l == n ? -1 : ns + 1, off, l};
		off += l;
		ns++;
	}
	for (int i = 1; !e && i < ns; i++)
		e = try_add(t, s, sy, i - 1, i, &h);
	while (!e && h.n) {
		bigram b = heap_pop(&h);
		sym *L = &sy[b.left], *R = &sy[b.right];
		if (L->n == 0 || R->n == 0 || L->n + R->n != b.size)
			continue;
		L->n += R->n;
		R->n = 0;
		L->next = R->next;
		if (R->next >= 0)
			sy[R->next].prev = b.left;
		e = try_add(t, s, sy, L->prev, b.left, &h);
		if (!e)
			e = try_add(t, s, sy, b.left, L->next, &h);
	}
	for (int i = 0; !e && i != -1; i = sy[i].next) {
		cr_token_id id = cr_tok_lookup(t, s + sy[i].off, sy[i].n);
		if (id >= 0) {
			e = cr_tok_push(ids, id);
			continue;
		}
		/* Merged symbols are always tokens; this is a lone character. */
		for (size_t j = 0; !e && j < sy[i].n; j++) {
			cr_token_id b = cr_tok_byte_token(t, (uint8_t)s[sy[i].off + j]);
			if (b < 0)
				b = t->unk; /* llama.cpp throws here */
			if (b >= 0)
				e = cr_tok_push(ids, b);
		}
	}
	cr_free(h.v);
	cr_free(sy);
	return e;
}
