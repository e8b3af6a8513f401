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
#include "tok_int.h"

#include <string.h>

typedef struct {
	int prev, next;
	size_t off, n;
} sym;

static cr_err try_add(const cr_tok *t, const char *s, sym *sy, int l, int r, cr_tok_heap *h)
{
	if (l < 0 || r < 0)
		return CR_OK;
	size_t n = sy[l].n + sy[r].n;
	cr_token_id id = cr_tok_lookup(t, s + sy[l].off, n);
	if (id < 0)
		return CR_OK;
	return cr_tok_heap_push(h, (cr_tok_bigram){l, r, -(double)t->score[id], n}); /* higher score first */
}

cr_err cr_tok_spm_encode(const cr_tok *t, const char *s, size_t n, cr_buf *ids)
{
	if (n == 0)
		return CR_OK;
	sym *sy = cr_malloc(n * sizeof *sy);
	cr_tok_heap h = {0};
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
		cr_tok_bigram b = cr_tok_heap_pop(&h);
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
