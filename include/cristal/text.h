/*
 * text.h — search-side text analysis: the one place that decides what a
 * "term" is, used alike for documents (indexing) and queries.
 *
 * Pipeline: Unicode NFKC + case folding (utf8proc), so ＡＢＣ, ABC and abc
 * are one term and half-width ｶﾀｶﾅ equals full-width カタカナ; then per
 * script run: Latin/Cyrillic/Greek words are split on Unicode word
 * boundaries, stop-listed (optionally) and stemmed with Snowball (English);
 * Japanese runs (kanji, kana) are segmented by MeCab with IPADIC into
 * morphemes and also emitted as overlapping character bigrams, so unknown
 * words still match. Digits stay whole.
 *
 * Term kinds are kept apart by a one-byte prefix inside the term bytes the
 * index sees, so a bigram "東京" never collides with the morpheme "東京":
 *   'w' word or morpheme (stemmed for English)    e.g. "wrun"
 *   'b' CJK character bigram (or a lone CJK char)  e.g. "b東京"
 * The index treats terms as opaque bytes.
 *
 * Threads: an analyzer is not thread-safe (MeCab's lattice); create one per
 * thread. Creation costs a few milliseconds (dictionary is mmap'd once per
 * process and shared).
 */
#ifndef CRISTAL_TEXT_H
#define CRISTAL_TEXT_H

#include "cristal/base.h"

typedef struct cr_analyzer cr_analyzer;

typedef struct cr_analyzer_opts {
	int stem;      /* English Snowball stemming (default on via cr_analyzer_opts_default) */
	int stopwords; /* drop English stopwords when indexing (queries keep them if they are all stopwords) */
	int japanese;  /* MeCab morphemes for Japanese runs */
	int bigrams;   /* CJK character bigrams */
} cr_analyzer_opts;

CR_API cr_analyzer_opts cr_analyzer_opts_default(void);
CR_API cr_err cr_analyzer_new(const cr_analyzer_opts *o, cr_analyzer **out, cr_msg *m) CR_NODISCARD;
CR_API void cr_analyzer_free(cr_analyzer *a);

typedef struct cr_token {
	const char *term; /* kind byte + normalized bytes; valid during the callback only */
	uint32_t len;
	uint32_t pos;     /* token position (for phrases); bigrams and morphemes of one span share positions sensibly */
	uint32_t start;   /* byte range in the ORIGINAL input, for snippets and highlighting */
	uint32_t end;
} cr_token;

/* Return non-zero from the callback to stop early (cr_analyze then returns CR_ECANCELED). */
typedef int (*cr_token_fn)(void *ctx, const cr_token *t);

enum {
	CR_ANALYZE_QUERY = 1 << 0,  /* query text: keep stopwords */
	CR_ANALYZE_NOSTEM = 1 << 1, /* prefix terms: normalize but do not stem */
};

/* Analyzes UTF-8 text (invalid bytes are skipped). */
CR_API cr_err cr_analyze(cr_analyzer *a, const char *text, size_t len, int flags,
			 cr_token_fn fn, void *ctx);

/* NFKC + case fold of a UTF-8 string into out (appended). */
CR_API cr_err cr_text_normalize(const char *text, size_t len, cr_buf *out);

#endif
