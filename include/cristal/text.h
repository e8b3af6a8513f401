/*
 * text.h — search-side text analysis: the one place that decides what a
 * "term" is, used alike for documents (indexing) and queries.
 *
 * Pipeline: Unicode NFKC + case folding (utf8proc), so ＡＢＣ, ABC and abc
 * are one term and half-width ｶﾀｶﾅ equals full-width カタカナ; then per
 * script run: Latin/Cyrillic/Greek words are runs of letters, digits and
 * marks (apostrophes join letters, '.' and ',' join digits, everything else
 * separates; details in src/text/analyzer.c), stop-listed (optionally) and
 * stemmed with Snowball (English); Japanese runs (kanji, kana) are
 * segmented by MeCab with IPADIC into morphemes and also emitted as
 * overlapping character bigrams, so unknown words still match; Hangul,
 * Thai, Lao, Khmer and Myanmar runs give bigrams only. Numbers stay whole.
 *
 * Term kinds are kept apart by a one-byte prefix inside the term bytes the
 * index sees, so a bigram "東京" never collides with the morpheme "東京":
 *   'w' word or morpheme (stemmed for English)    e.g. "wrun"
 *   'b' CJK character bigram (or a lone CJK char)  e.g. "b東京"
 * The index treats terms as opaque bytes.
 *
 * Threads: an analyzer is not thread-safe (MeCab's lattice, the stem cache);
 * create one per thread. The first creation in a process loads the MeCab
 * dictionary (mmap'd once and shared, ~1 ms); later ones take microseconds.
 * An analyzer holds ~100 KB plus its stem cache (up to ~20 MB for a
 * vocabulary of 256k words, then it starts over).
 */
#ifndef CRISTAL_TEXT_H
#define CRISTAL_TEXT_H

#include "cristal/base.h"

/*
 * Term bytes, exactly as the index stores them:
 *   byte 0     kind: 'w' or 'b'
 *   bytes 1..  the normalized UTF-8 text (NFKC + case fold), for 'w' English
 *              words after stemming; never empty, at most 1 + 128 bytes
 *              (longer words are dropped, but still take a position).
 *
 * Positions: every word (also a dropped stopword or an over-long word) takes
 * one position. A CJK run of n characters starting at position p gives
 *   bigram i (characters i, i+1), 0 <= i < n-1, at position p + i
 *   (n == 1: the character alone as a 'b' term at p),
 *   each morpheme at p + (index of its first character in the run),
 * and the next token after the run gets p + n. So the bigrams of a quoted
 * Japanese phrase appear at consecutive positions exactly where the same
 * characters appear in a document, whatever MeCab does with the context;
 * phrase matching uses words and bigrams: analyze the quoted text with
 * CR_ANALYZE_PHRASE (or skip tokens flagged CR_TOKEN_OVERLAP).
 * A word mixing letters and digits also gives its parts at its own
 * position: "IL6" -> "wil6" "wil" "w6". Tokens are delivered in
 * non-decreasing position order (bigram before the morphemes that start at
 * the same position, a word before its parts).
 */
typedef struct cr_analyzer cr_analyzer;

typedef struct cr_analyzer_opts {
	int stem;      /* English Snowball stemming (default on via cr_analyzer_opts_default) */
	int stopwords; /* drop English stopwords (the articles a, an, the: see src/text/stem.c) */
	int japanese;  /* MeCab morphemes for Japanese runs */
	int bigrams;   /* CJK character bigrams */
} cr_analyzer_opts;

CR_API cr_analyzer_opts cr_analyzer_opts_default(void);
/* Process set-up, made once before the first analyzer (by the program: the
 * CLI passes $CR_MECAB_DICDIR): the MeCab dictionary directory to load
 * instead of /etc/mecabrc's (then /var/lib/mecab/dic/ipadic-utf8); NULL or
 * "" restores that search. CR_EBUSY once the dictionary was loaded (it is
 * loaded once per process), CR_ETOOBIG for a path over 1023 bytes. */
CR_API cr_err cr_text_set_mecab_dicdir(const char *dir) CR_NODISCARD;
CR_API cr_err cr_analyzer_new(const cr_analyzer_opts *o, cr_analyzer **out, cr_msg *m) CR_NODISCARD;
CR_API void cr_analyzer_free(cr_analyzer *a);

typedef struct cr_token {
	const char *term; /* kind byte + normalized bytes; valid during the callback only */
	uint32_t len;
	uint32_t pos;     /* token position (for phrases); bigrams and morphemes of one span share positions sensibly */
	uint32_t start;   /* byte range in the ORIGINAL input, for snippets and highlighting */
	uint32_t end;
	uint32_t flags;   /* CR_TOKEN_* below */
} cr_token;

/* cr_token.flags: an extra token that overlaps the positions of others: a
 * MeCab morpheme inside a CJK run (it shares positions with the run's
 * bigrams), or a letter/digit part of a mixed word (il6 -> il, 6 at the
 * position of il6). Phrase matching should skip these (CR_ANALYZE_PHRASE
 * leaves them out). */
#define CR_TOKEN_OVERLAP 1u
#define CR_TOKEN_MORPHEME CR_TOKEN_OVERLAP /* former name */

/* Return non-zero from the callback to stop early (cr_analyze then returns CR_ECANCELED). */
typedef int (*cr_token_fn)(void *ctx, const cr_token *t);

enum {
	/* Query text. Stopwords are dropped as in documents (their positions
	 * stay, so phrases line up) unless the text has nothing but stopwords:
	 * then all of them are kept, so "the" still yields a term (which
	 * matches only in an index built with opts.stopwords = 0). */
	CR_ANALYZE_QUERY = 1 << 0,
	CR_ANALYZE_NOSTEM = 1 << 1, /* prefix terms: normalize but do not stem (nor drop stopwords) */
	/* Quoted phrase: no overlapping tokens (MeCab morphemes, whose
	 * positions depend on context; parts of mixed words), only words and
	 * bigrams, whose positions match a document's wherever the same text
	 * occurs. */
	CR_ANALYZE_PHRASE = 1 << 2,
};

/*
 * Analyzes UTF-8 text and calls fn once per token. Invalid UTF-8 bytes are
 * skipped (they separate words). Memory is bounded whatever len is: the
 * analyzer streams over the text. len must fit in 32 bits (offsets are
 * uint32_t), else CR_ETOOBIG before any callback. CR_EINVAL for NULL a/fn.
 */
CR_API cr_err cr_analyze(cr_analyzer *a, const char *text, size_t len, int flags,
			 cr_token_fn fn, void *ctx) CR_NODISCARD;

/* NFKC + case fold (+ removal of default-ignorable code points) of a UTF-8
 * string, appended to out; invalid bytes are skipped. For display and
 * filters: no stemming, no segmentation. CR_ETOOBIG if out's cap is hit. */
CR_API cr_err cr_text_normalize(const char *text, size_t len, cr_buf *out) CR_NODISCARD;

/* One morpheme of MeCab's analysis (cr_text_morphs). */
typedef struct cr_text_morph {
	uint32_t start, end;  /* byte range in the text given */
	const char *feature;  /* IPADIC features, "名詞,固有名詞,人名,姓,..."; valid during the callback */
} cr_text_morph;
typedef int (*cr_text_morph_fn)(void *ctx, const cr_text_morph *mo);

/* Field i (0-based) of a morpheme's feature string ("名詞,固有名詞,...";
 * IPADIC: 0 part of speech, 1 its subdivision, 6 the dictionary form), its
 * length in *len; NULL when the string has fewer fields. */
CR_API const char *cr_text_feature(const char *feature, int i, size_t *len);

/* Every morpheme MeCab finds in text[0..len) (particles and symbols too),
 * in order, with its features, on a's tagger (for callers that need parts
 * of speech, such as person-name detection). Return non-zero from fn to
 * stop (then CR_ECANCELED). CR_ENOTFOUND when the process has no MeCab
 * dictionary or a was made without opts.japanese; CR_ETOOBIG past 32 bits. */
CR_API cr_err cr_text_morphs(cr_analyzer *a, const char *text, size_t len, cr_text_morph_fn fn, void *ctx,
			     cr_msg *m) CR_NODISCARD;

#endif
