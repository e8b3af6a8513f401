/*
 * tok_wpm.c — WordPiece (tokenizer.ggml.model = "bert"), as llama.cpp's
 * llm_tokenizer_wpm_session. The GGUF converter has already rewritten the
 * vocabulary: word-initial pieces start with U+2581 and "##" continuations
 * lost their "##".
 *
 * Basic tokenization: code points (invalid bytes = U+FFFD), each replaced
 * by the first code point of its canonical decomposition when accents are
 * stripped; whitespace splits words; NUL, U+FFFD and control characters
 * vanish; combining marks vanish when accents are stripped; letters are
 * lowercased (tokenizer.ggml.normalizer.lowercase, default on);
 * punctuation, ASCII symbols and CJK ideographs become one-character words.
 * Then each word, prefixed with U+2581, is cut greedily into the longest
 * vocabulary pieces from the left; a word that cannot be cut entirely
 * becomes [UNK].
 */
#include "tok_int.h"

#include <string.h>

static int is_chinese(uint32_t c)
{
	return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
	       (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) ||
	       (c >= 0x2B920 && c <= 0x2CEAF) || /* sic: HF's range */
	       (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

static cr_err word_ids(const cr_tok *t, const char *w, size_t n, cr_buf *ids)
{
	if (n == 0)
		return CR_OK;
	size_t before = ids->len;
	cr_err e = CR_OK;
	for (size_t i = 0; !e && i < n; i++) {
		int match = 0;
		size_t jmax = CR_MIN(n, i + (size_t)t->max_token_len + 1);
		for (size_t j = jmax; j > i; j--) {
			cr_token_id id = cr_tok_lookup(t, w + i, j - i);
			if (id >= 0) {
				e = cr_tok_push(ids, id);
				match = 1;
				i = j - 1;
				break;
			}
		}
		if (!match) {
			ids->len = before;
			break;
		}
	}
	if (!e && ids->len == before && t->unk >= 0)
		e = cr_tok_push(ids, t->unk);
	return e;
}

cr_err cr_tok_wpm_encode(const cr_tok *t, const char *s, size_t n, cr_buf *ids)
{
	cr_buf w;
	cr_buf_init(&w, 0);
	cr_err e = cr_buf_add(&w, "\xe2\x96\x81", 3);
	for (size_t i = 0; !e && i < n;) {
		size_t l;
		uint32_t cp = cr_u_decode((const uint8_t *)s + i, n - i, &l);
		i += l;
		if (t->strip_accents)
			cp = cr_u_nfd_first(cp);
		uint16_t f = cr_u_flags(cp);
		if (f & CR_UF_WHITESPACE) {
			if (w.len > 3)
				e = word_ids(t, w.data, w.len, ids);
			w.len = 3;
			continue;
		}
		if (cp == 0 || cp == 0xFFFD || (f & CR_UF_CONTROL))
			continue;
		if (t->strip_accents && (f & CR_UF_MARK))
			continue;
		char u[4];
		int ul = cr_u_encode(t->lowercase ? cr_u_tolower(cp) : cp, u);
		if (ul == 0)
			ul = cr_u_encode(0xFFFD, u);
		if ((f & CR_UF_PUNCT) || (cp < 0x7F && (f & CR_UF_SYMBOL)) || is_chinese(cp)) {
			if (w.len > 3)
				e = word_ids(t, w.data, w.len, ids);
			w.len = 3;
			if (!e)
				e = cr_buf_add(&w, u, (size_t)ul);
			if (!e)
				e = word_ids(t, w.data, w.len, ids);
			w.len = 3;
		} else {
			e = cr_buf_add(&w, u, (size_t)ul);
		}
	}
	if (!e && w.len > 3)
		e = word_ids(t, w.data, w.len, ids);
	cr_buf_release(&w);
	return e;
}
