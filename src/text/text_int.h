/*
 * text_int.h — private structures of the text module (see text.h for the
 * contract and analyzer.c for the pipeline).
 *
 *   normalize.c  NFKC + case folding of one "cluster" (a starter code point
 *                and the combining marks after it) with utf8proc, and the
 *                code-point classes the tokenizer needs.
 *   stem.c       English stopwords and the per-analyzer stem cache in front
 *                of Snowball (libstemmer).
 *   japanese.c   the process-wide MeCab model and per-analyzer taggers.
 *   analyzer.c   the tokenizer: ASCII fast path, words, CJK runs (bigrams +
 *                morphemes), positions and byte offsets.
 */
#ifndef CR_TEXT_INT_H
#define CR_TEXT_INT_H

#include "cristal/text.h"

struct sb_stemmer;
struct mecab_t;
struct mecab_lattice_t;

/* ---- normalize.c ------------------------------------------------------- */

/* Code-point classes after normalization. */
enum {
	CR_CC_SEP = 0,   /* separator: space, punctuation, symbols, controls */
	CR_CC_LETTER,    /* letter of a space-delimited script (Latin, Greek, ...) */
	CR_CC_DIGIT,     /* number */
	CR_CC_MARK,      /* combining mark: continues the current word */
	CR_CC_APOS,      /* apostrophe (joins letters: don't) */
	CR_CC_NUMSEP,    /* '.' or ',' (joins digits: 3.14, 1,000) */
	CR_CC_JA,        /* kanji, kana (incl. ー 々 〆): Japanese runs */
	CR_CC_BIGRAM,    /* Hangul, Thai, Lao, Khmer, Myanmar: bigram runs, no MeCab */
};

/* Longest cluster we normalize as one unit (code points of input). */
#define CR_CLUSTER_MAX 32
/* Room for the normalized code points of one cluster (U+FDFA expands to 18). */
#define CR_NORM_MAX (CR_CLUSTER_MAX * 18 + 8)

/* Length in bytes of the cluster at s (n > 0 bytes left): a valid code
 * point plus the combining marks (and half-width voiced sound marks) that
 * follow it, at most CR_CLUSTER_MAX code points. Returns 0 if s starts with
 * an invalid or truncated sequence (the caller skips one byte). */
size_t cr_text_cluster_len(const uint8_t *s, size_t n);
/* Whether s (n > 0 bytes) starts with a code point that would join the
 * cluster before it (a combining mark, ﾞ ﾟ, a conjoining jamo). */
int cr_text_extends_cluster(const uint8_t *s, size_t n);
/* NFKC + case fold + drop default-ignorables of the cluster s[0..n) into
 * out (CR_NORM_MAX slots). Returns the number of code points (may be 0). */
int cr_text_norm_cluster(const uint8_t *s, size_t n, int32_t *out);
/* Class of a normalized code point (non-ASCII or ASCII). */
int cr_text_class(int32_t cp);

/* For every BMP code point: its class (low 3 bits), whether it is its own
 * NFKC_Casefold (CR_BMP_STABLE, never set for ASCII) and whether it joins
 * the cluster before it (CR_BMP_EXTENDS). Built once by cr_text_init (64 KB)
 * so kana and kanji skip utf8proc entirely. */
#define CR_BMP_CLASS 7u
#define CR_BMP_STABLE 8u
#define CR_BMP_EXTENDS 16u
extern uint8_t cr_text_bmp[0x10000];
void cr_text_init(void); /* idempotent, thread-safe */

/* ---- stem.c ------------------------------------------------------------ */

/* The stem cache: an open-addressing table of (hash tag, record offset)
 * over a pool of records. A record is 8-byte aligned:
 *   klen (1), tlen (1), stop (1), 5 zero bytes,
 *   key: klen bytes zero-padded to a multiple of 8 (compared as words),
 *   term: 'w' + stem, tlen bytes.
 * The table doubles up to CR_STEM_MAX words or CR_STEM_POOL_MAX bytes of
 * records, then the cache is cleared and refilled (bounded memory for
 * endless vocabularies: at most 4 MB of table and 16 MB of records). */
#define CR_STEM_MAX (1u << 18)
#define CR_STEM_POOL_MAX ((size_t)16 << 20)
#define CR_STEM_KEY 64 /* longer words are stemmed without caching */

typedef struct cr_stem_ent {
	uint32_t tag; /* hash bits */
	uint32_t off; /* record offset in pool, 0 = empty */
} cr_stem_ent;

typedef struct cr_stemmer {
	struct sb_stemmer *sb;
	cr_stem_ent *tab;
	uint32_t mask;   /* table size - 1 */
	uint32_t count;  /* words cached */
	uint8_t *pool;
	size_t pool_len, pool_cap;
	char buf[1 + 256]; /* 'w' + stem of an uncached word */
	uint64_t hits, misses, resets;
} cr_stemmer;

cr_err cr_stemmer_init(cr_stemmer *s, cr_msg *m) CR_NODISCARD;
void cr_stemmer_release(cr_stemmer *s);
int cr_text_is_stopword(const char *w, size_t n);
/* Hash of a word whose bytes are followed by at least 8 zero bytes. */
uint64_t cr_stem_hash(const char *w, size_t n);
/* Looks a lowercase word up. w must be followed by 8 zero bytes and be at
 * most 128 bytes long; hash is cr_stem_hash(w, n). *term gets 'w' + stem,
 * *tlen its length (valid until the next call), *stop whether the word is a
 * stopword. */
void cr_stemmer_lookup(cr_stemmer *s, const char *w, size_t n, uint64_t hash,
		       const char **term, size_t *tlen, int *stop);

/* ---- japanese.c -------------------------------------------------------- */

typedef struct cr_mecab {
	struct mecab_t *tagger;
	struct mecab_lattice_t *lattice;
} cr_mecab;

/* A morpheme as MeCab sees it: byte range in the sentence, and the term to
 * index (surface, or the dictionary form of inflected words). */
typedef struct cr_morph {
	uint32_t off, len;   /* in the sentence given to cr_mecab_parse */
	const char *term;    /* valid until the next parse */
	uint32_t term_len;
} cr_morph;

/* Creates a tagger on the shared model (loaded once per process). */
cr_err cr_mecab_init(cr_mecab *mc, cr_msg *m) CR_NODISCARD;
void cr_mecab_release(cr_mecab *mc);
typedef int (*cr_morph_fn)(void *ctx, const cr_morph *mo);
/* Segments sentence[0..len) and calls fn for each content morpheme (particles,
 * auxiliary verbs and symbols are left out). Returns non-zero if fn did. */
int cr_mecab_parse(cr_mecab *mc, const char *sentence, size_t len, cr_morph_fn fn, void *ctx);

/* ---- analyzer ---------------------------------------------------------- */

struct cr_scan;
struct cr_analyzer {
	cr_analyzer_opts o;
	cr_stemmer stem;
	int have_mecab;
	cr_mecab mecab;
	struct cr_scan *scan; /* tokenizer state, reused by every call */
};

#endif
