/*
 * tok_ugm.c — Unigram (tokenizer.ggml.model = "t5"), as llama.cpp's
 * llm_tokenizer_ugm: SentencePiece's normalization followed by a Viterbi
 * search for the highest total score.
 *
 * Normalization: at each position a user-defined token prefix is kept as
 * is; otherwise the longest match in the precompiled charsmap (tokenizer.
 * ggml.precompiled_charsmap: u32 size of an XOR-compressed double array,
 * the array, then NUL-terminated replacement strings) is replaced; else
 * one valid UTF-8 character is copied (an invalid byte becomes U+FFFD).
 * Spaces become U+2581 (escape_whitespaces), runs of spaces are merged when
 * remove_extra_whitespaces, and a space is prepended when add_space_prefix.
 * Viterbi: every vocabulary piece (normal, user-defined at score 0, unused)
 * starting at each code point is scored; a code point with no one-character
 * piece may become <unk> at (lowest score - 10); consecutive <unk>s merge.
 * A charsmap that points outside itself makes cr_tok_encode fail with
 * CR_ECORRUPT (llama.cpp throws).
 */
#include "tok_int.h"
#include "gguf_int.h"

#include <float.h>
#include <string.h>

static cr_err load_charsmap(cr_tok *t, const uint8_t *p, size_t n, cr_msg *m);

cr_err cr_tok_ugm_init(cr_tok *t, const cr_gguf *g, cr_msg *m)
{
	t->escape_ws = 1;
	size_t n_map = 0;
	for (int32_t i = 0; i < t->n_vocab; i++)
		if (t->attr[i] & (CR_TA_NORMAL | CR_TA_USER_DEFINED | CR_TA_UNUSED))
			n_map++;
	size_t cap = 64;
	while (cap < n_map * 2)
		cap <<= 1;
	t->ugm_map.slot = cr_calloc(cap, sizeof *t->ugm_map.slot);
	t->ugm_map.cap = cap;
	t->ugm_user = cr_malloc(((size_t)t->n_vocab + 1) * sizeof *t->ugm_user);
	if (!t->ugm_map.slot || !t->ugm_user)
		return CR_ENOMEM;
	float mn = FLT_MAX;
	for (int32_t i = 0; i < t->n_vocab; i++) {
		uint16_t a = t->attr[i];
		if (a & CR_TA_NORMAL)
			mn = CR_MIN(mn, t->score[i]);
		if (a & (CR_TA_NORMAL | CR_TA_USER_DEFINED | CR_TA_UNUSED)) {
			size_t n;
			const char *s = cr_tok_text(t, i, &n);
			/* later duplicates win, as the trie's insert overwrites */
			size_t j = 0;
			uint64_t h = 0xcbf29ce484222325ull;
			for (size_t k = 0; k < n; k++) {
				h ^= (uint8_t)s[k];
				h *= 0x100000001b3ull;
			}
			j = h & (cap - 1);
			for (;;) {
				if (!t->ugm_map.slot[j]) {
					t->ugm_map.slot[j] = (uint32_t)i + 1;
					break;
				}
				size_t on;
				const char *os = cr_tok_text(t, (cr_token_id)t->ugm_map.slot[j] - 1, &on);
				if (on == n && !memcmp(os, s, n)) {
					t->ugm_map.slot[j] = (uint32_t)i + 1;
					break;
				}
				j = (j + 1) & (cap - 1);
			}
		}
		if (a & CR_TA_USER_DEFINED)
			t->ugm_user[t->n_ugm_user++] = i;
	}
	t->ugm_unk_score = (double)(mn - 10.0f);

	const cr_gguf_kv *kv = cr_gguf_kv_find(g, "tokenizer.ggml.precompiled_charsmap");
	if (!kv)
		return CR_OK;
	if (kv->type != CR_GV_ARRAY || (kv->elem != CR_GV_U8 && kv->elem != CR_GV_I8))
		return cr_fail(m, CR_ECORRUPT, "tokenizer: precompiled_charsmap is not an array of bytes");
	return load_charsmap(t, kv->val, (size_t)kv->n, m);
}

static cr_err load_charsmap(cr_tok *t, const uint8_t *p, size_t n, cr_msg *m)
{
	if (n < 4)
		return cr_fail(m, CR_ECORRUPT, "tokenizer: precompiled_charsmap too small");
	uint32_t xs = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	if ((uint64_t)xs + 4 >= n)
		return cr_fail(m, CR_ECORRUPT, "tokenizer: precompiled_charsmap size field out of bounds");
	t->charsmap = cr_malloc(n + 4);
	if (!t->charsmap)
		return CR_ENOMEM;
	memcpy(t->charsmap, p, n);
	t->charsmap_len = n;
	t->xcda = (const uint32_t *)(t->charsmap + 4);
	t->xcda_n = xs / 4;
	t->repl = (const char *)t->charsmap + 4 + xs;
	t->repl_len = n - 4 - xs;
	return CR_OK;
}

static uint32_t node_at(const uint32_t *x, size_t n, size_t i, int *bad)
{
	if (i >= n) {
		*bad = 1;
		return 0;
	}
	return x[i];
}

/* Normalizes one prefix at s[0..n): returns the bytes to emit (*out, *olen)
 * and how many input bytes were consumed; 0 on a corrupt charsmap. */
static size_t norm_prefix(const cr_tok *t, const char *s, size_t n, const char **out, size_t *olen, int *bad)
{
	/* longest prefix of a user-defined token (the trie's path, as llama.cpp) */
	size_t best = 0;
	for (size_t k = 0; k < t->n_ugm_user; k++) {
		size_t tn;
		const char *tp = cr_tok_text(t, t->ugm_user[k], &tn);
		size_t l = 0;
		while (l < tn && l < n && tp[l] == s[l])
			l++;
		best = CR_MAX(best, l);
	}
	if (best > 0) {
		*out = s;
		*olen = best;
		return best;
	}
	size_t lp_len = 0, lp_off = 0;
	if (t->xcda_n > 0) {
		const uint32_t *x = t->xcda;
#define NODE(i) node_at(x, t->xcda_n, (i), bad)
#define BASE(v) (((v) >> 10) << (((v) & (1u << 9)) >> 6))
#define LCHECK(v) ((v) & ((1u << 31) | 0xffu))
#define LEAF(v) (((v) >> 8) & 1u)
#define VALUE(v) ((v) & ((1u << 31) - 1))
		uint32_t node = BASE(NODE(0));
		for (size_t i = 0; i < n && !*bad; i++) {
			uint8_t c = (uint8_t)s[i];
			if (c == 0)
				break;
			node ^= c;
			uint32_t v = NODE(node);
			if (*bad || LCHECK(v) != c)
				break;
			int leaf = (int)LEAF(v);
			node ^= BASE(v);
			if (leaf) {
				lp_len = i + 1;
				lp_off = VALUE(NODE(node));
			}
		}
		if (*bad)
			return 0;
	}
	if (lp_len > 0) {
		if (lp_off >= t->repl_len) {
			*bad = 1;
			return 0;
		}
		const char *r = t->repl + lp_off;
		size_t max = t->repl_len - lp_off, rl = 0;
		while (rl < max && r[rl])
			rl++;
		if (rl == max) {
			*bad = 1;
			return 0;
		}
		*out = r;
		*olen = rl;
		return lp_len;
	}
	size_t l;
	uint32_t cp = cr_u_decode((const uint8_t *)s, n, &l);
	if (cp == 0xFFFD && l == 1) {
		/* an invalid byte (a real U+FFFD is 3 bytes long) */
		*out = "\xEF\xBF\xBD";
		*olen = 3;
		return 1;
	}
	*out = s;
	*olen = l;
	return l;
}

typedef struct {
	cr_token_id id;
	size_t from;
	double score;
} best_t;

cr_err cr_tok_ugm_encode(const cr_tok *t, const char *s, size_t n, cr_buf *ids)
{
	const char *space = t->escape_ws ? "\xe2\x96\x81" : " ";
	size_t space_n = strlen(space);
	int prepend = !t->treat_ws_as_suffix && t->add_space_prefix;
	int append = t->treat_ws_as_suffix && t->add_space_prefix;
	int merge = t->remove_extra_ws;
	cr_buf nb;
	cr_buf_init(&nb, 0);
	cr_err e = CR_OK;
	int prepended = 0, non_ws = 0, bad = 0;
	for (size_t off = 0; !e && off < n;) {
		const char *o;
		size_t ol;
		size_t used = norm_prefix(t, s + off, n - off, &o, &ol, &bad);
		if (bad) {
			e = CR_ECORRUPT;
			break;
		}
		for (size_t i = 0; !e && i < ol; i++) {
			char c = o[i];
			if (c != ' ') {
				if (!non_ws) {
					non_ws = 1;
					if ((prepend && !prepended) || merge) {
						e = cr_buf_add(&nb, space, space_n);
						prepended = 1;
					}
				}
				if (!e)
					e = cr_buf_addc(&nb, c);
			} else {
				non_ws = 0;
				if (!merge)
					e = cr_buf_add(&nb, space, space_n);
			}
		}
		off += used;
	}
	if (!e && append)
		e = cr_buf_add(&nb, space, space_n);
	size_t len = nb.len;
	if (e || len == 0) {
		cr_buf_release(&nb);
		return e;
	}
	const char *x = nb.data;
	best_t *r = cr_malloc((len + 1) * sizeof *r);
	if (!r) {
		cr_buf_release(&nb);
		return CR_ENOMEM;
	}
	for (size_t i = 0; i <= len; i++)
		r[i] = (best_t){t->unk, 0, -DBL_MAX};
	r[0].score = 0;
	for (size_t off = 0; off < len;) {
		size_t cu = CR_MIN(cr_u_len((uint8_t)x[off]), len - off);
		int single = 0;
		best_t cur = r[off];
		size_t maxl = CR_MIN((size_t)t->max_token_len, len - off);
		uint64_t h = CR_TOK_HASH0;
		for (size_t l = 1; l <= maxl; l++) {
			h = cr_tok_hash_step(h, (uint8_t)x[off + l - 1]);
			cr_token_id id = cr_tok_ugm_lookup_h(t, x + off, l, h);
			if (id < 0)
				continue;
			if (l == cu)
				single = 1;
			double sc = (t->attr[id] & CR_TA_USER_DEFINED) ? 0.0 : (double)t->score[id];
			double ch = cur.score + sc;
			if (ch > r[off + l].score)
				r[off + l] = (best_t){id, off, ch};
		}
		if (!single) {
			double ch = cur.score + t->ugm_unk_score;
			if (ch > r[off + cu].score)
				r[off + cu] = (best_t){t->unk, off, ch};
		}
		off += cu;
	}
	size_t start = ids->len / sizeof(cr_token_id);
	int prev_unk = 0;
	for (size_t at = len;;) {
		best_t *b = &r[at];
		int is_unk = b->id == t->unk;
		if (!(prev_unk && is_unk) && !e && b->id >= 0)
			e = cr_tok_push(ids, b->id);
		if (b->from == 0)
			break;
		prev_unk = is_unk;
		at = b->from;
	}
	if (!e) {
		cr_token_id *v = (cr_token_id *)ids->data;
		size_t end = ids->len / sizeof(cr_token_id);
		for (size_t i = start, j = end - 1; i < j; i++, j--) {
			cr_token_id tmp = v[i];
			v[i] = v[j];
			v[j] = tmp;
		}
	}
	cr_free(r);
	cr_buf_release(&nb);
	return e;
}
