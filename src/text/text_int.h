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
	CR_CC_KO,        /* Hangul: bigram runs, no MeCab */
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
/* NFKC + case fold + drop default-ignorables of the cluster s[0..n) into
 * out (CR_NORM_MAX slots). Returns the number of code points (may be 0). */
int cr_text_norm_cluster(const uint8_t *s, size_t n, int32_t *out);
/* Class of a normalized code point (non-ASCII or ASCII). */
int cr_text_class(int32_t cp);

/* ---- stem.c ------------------------------------------------------------ */

/* Direct-mapped cache: lowercase word -> stem and stopword bit. */
#define CR_STEM_SLOTS 32768
#define CR_STEM_KEY 30
typedef struct cr_stem_slot {
	uint32_t tag;  /* hash bits, 0 = empty */
	uint8_t klen, slen, stop, pad;
	char key[CR_STEM_KEY];
	char stem[CR_STEM_KEY];
} cr_stem_slot;

typedef struct cr_stemmer {
	struct sb_stemmer *sb;
	cr_stem_slot *slots; /* CR_STEM_SLOTS */
	uint64_t hits, misses;
} cr_stemmer;

cr_err cr_stemmer_init(cr_stemmer *s, cr_msg *m);
void cr_stemmer_release(cr_stemmer *s);
int cr_text_is_stopword(const char *w, size_t n);
/* Looks a lowercase word up: stem and slen get its stem (valid until the
 * next call), stop whether it is a stopword. hash is the word's
 * CR_STEM_HASH (computed by the tokenizer while scanning). */
void cr_stemmer_lookup(cr_stemmer *s, const char *w, size_t n, uint32_t hash,
		       const char **stem, size_t *slen, int *stop);

/* FNV-1a style hash, updated byte by byte by the tokenizer as it scans. */
#define CR_STEM_HASH_INIT 2166136261u
#define CR_STEM_HASH_STEP(h, c) (((h) ^ (uint8_t)(c)) * 16777619u)

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
cr_err cr_mecab_init(cr_mecab *mc, cr_msg *m);
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
