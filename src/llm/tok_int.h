/*
 * tok_int.h — private structures of the tokenizers (tok.c and tok_*.c).
 *
 * One cr_tok holds the vocabulary copied out of the GGUF metadata
 * (tokenizer.ggml.*): token texts in one blob, scores, attributes, a hash
 * from text to id, and what the type needs (BPE merge ranks, the UGM
 * charsmap). Each algorithm follows llama.cpp's src/llama-vocab.cpp and
 * src/unicode.cpp step by step (including their quirks) so ids match
 * llama_tokenize exactly; Unicode categories come from utf8proc, mapped the
 * way llama.cpp's gen-unicode-data.py maps UnicodeData.txt.
 */
#ifndef CR_LLM_TOK_INT_H
#define CR_LLM_TOK_INT_H

#include "cristal/llm.h"

typedef enum { CR_TOKT_SPM, CR_TOKT_BPE, CR_TOKT_WPM, CR_TOKT_UGM } cr_tok_type;

/* Pre-tokenizers of byte-level BPE (tokenizer.ggml.pre). */
typedef enum {
	CR_PRE_DEFAULT,
	CR_PRE_GPT2,
	CR_PRE_LLAMA3,
	CR_PRE_QWEN2,
	CR_PRE_DEEPSEEK_LLM,
} cr_tok_pre;

/* Token attributes, as llama.cpp's llama_token_attr. */
enum {
	CR_TA_UNKNOWN = 1 << 0,
	CR_TA_UNUSED = 1 << 1,
	CR_TA_NORMAL = 1 << 2,
	CR_TA_CONTROL = 1 << 3,
	CR_TA_USER_DEFINED = 1 << 4,
	CR_TA_BYTE = 1 << 5,
	CR_TA_LSTRIP = 1 << 7,
	CR_TA_RSTRIP = 1 << 8,
};

/* Open-addressing hash of strings to ints (ids or ranks). */
typedef struct cr_tok_map {
	uint32_t *slot; /* entry index + 1; 0 = empty */
	size_t cap;     /* power of two */
} cr_tok_map;

typedef struct cr_tok_merge {
	uint32_t off, n_left, n_right; /* into merge_blob: left, then right */
} cr_tok_merge;

struct cr_tok {
	cr_tok_type type;
	cr_tok_pre pre;
	int32_t n_vocab;
	char *blob;        /* token texts, back to back */
	uint32_t *off;     /* n_vocab + 1 offsets into blob */
	float *score;
	uint16_t *attr;
	cr_tok_map by_text; /* text -> id (a later duplicate wins) */
	int max_token_len;

	cr_token_id bos, eos, eot, eom, unk, sep, pad, mask;
	cr_token_id fim_pre, fim_suf, fim_mid, fim_pad, fim_rep, fim_sep;
	uint8_t *eog;      /* n_vocab flags */
	int add_bos, add_eos, add_sep;
	int add_space_prefix, remove_extra_ws, escape_ws, treat_ws_as_suffix;
	int ignore_merges, byte_encode;
	int clean_spaces;  /* detokenizer clean-up (clean_up_tokenization_spaces) */
	int lowercase, strip_accents; /* WPM normalizer */

	cr_token_id *special;  /* control / user-defined / unknown ids, longest text first */
	size_t n_special;

	/* BPE */
	char *merge_blob;
	cr_tok_merge *merges;
	size_t n_merges;
	cr_tok_map merge_map; /* (left, right) -> rank (first occurrence wins) */

	/* UGM */
	uint8_t *charsmap;
	size_t charsmap_len;
	const uint32_t *xcda;
	size_t xcda_n;
	const char *repl;
	size_t repl_len;
	cr_tok_map ugm_map;   /* normal / user-defined / unused texts -> id */
	cr_token_id *ugm_user; /* user-defined ids */
	size_t n_ugm_user;
	double ugm_unk_score;
};

static inline const char *cr_tok_text(const cr_tok *t, cr_token_id id, size_t *n)
{
	*n = t->off[id + 1] - t->off[id];
	return t->blob + t->off[id];
}

/* text -> id or -1. */
cr_token_id cr_tok_lookup(const cr_tok *t, const char *s, size_t n);
cr_token_id cr_tok_ugm_lookup(const cr_tok *t, const char *s, size_t n);
/* The same with the hash of s[0..n) already known: hashes are FNV-1a 64,
 * grown a byte at a time from CR_TOK_HASH0 with cr_tok_hash_step, so a
 * scan over ever longer prefixes hashes each byte once. */
#define CR_TOK_HASH0 0xcbf29ce484222325ull
uint64_t cr_tok_hash_step(uint64_t h, uint8_t c);
cr_token_id cr_tok_ugm_lookup_h(const cr_tok *t, const char *s, size_t n, uint64_t h);
/* Rank of the merge (left, right), or -1. */
int32_t cr_tok_bpe_rank(const cr_tok *t, const char *l, size_t nl, const char *r, size_t nr);
/* id of byte ch ("<0xNN>" tokens for SPM/UGM; the GPT-2 byte char for BPE). */
cr_token_id cr_tok_byte_token(const cr_tok *t, uint8_t ch);
cr_err cr_tok_push(cr_buf *ids, cr_token_id id) CR_NODISCARD;

/* The algorithms: encode one raw-text fragment (no special tokens in it). */
cr_err cr_tok_spm_encode(const cr_tok *t, const char *s, size_t n, cr_buf *ids) CR_NODISCARD;
cr_err cr_tok_bpe_encode(const cr_tok *t, const char *s, size_t n, cr_buf *ids) CR_NODISCARD;
cr_err cr_tok_wpm_encode(const cr_tok *t, const char *s, size_t n, cr_buf *ids) CR_NODISCARD;
cr_err cr_tok_ugm_encode(const cr_tok *t, const char *s, size_t n, cr_buf *ids) CR_NODISCARD;
cr_err cr_tok_ugm_init(cr_tok *t, const cr_gguf *g, cr_msg *m) CR_NODISCARD;

/* ---- Unicode as llama.cpp sees it (tok_unicode.c) ---------------------- */
enum {
	CR_UF_UNDEFINED = 0x0001,
	CR_UF_NUMBER = 0x0002,
	CR_UF_LETTER = 0x0004,
	CR_UF_SEPARATOR = 0x0008,
	CR_UF_MARK = 0x0010,
	CR_UF_PUNCT = 0x0020,
	CR_UF_SYMBOL = 0x0040,
	CR_UF_CONTROL = 0x0080,
	CR_UF_WHITESPACE = 0x0100,
};
/* Category flags of a code point (0 for a position out of range: pass
 * CR_U_OUT). */
#define CR_U_OUT 0xFFFFFFFFu
uint16_t cr_u_flags(uint32_t cp);
uint32_t cr_u_tolower(uint32_t cp);
/* First code point of the canonical decomposition (llama.cpp's "NFD"). */
uint32_t cr_u_nfd_first(uint32_t cp);
/* llama.cpp's lenient decoder: returns the code point and its length, or
 * 0xFFFD with length 1 on an invalid sequence. */
uint32_t cr_u_decode(const uint8_t *s, size_t n, size_t *len);
/* llama.cpp's encoder (no surrogate check); returns length, 0 if > 0x10FFFF. */
int cr_u_encode(uint32_t cp, char out[4]);
/* Length of the UTF-8 sequence by its first byte (1 for continuation bytes). */
static inline size_t cr_u_len(uint8_t c)
{
	static const uint8_t lookup[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
	return lookup[c >> 4];
}

/*
 * The merge queue of the BPE-style encoders (SentencePiece BPE, byte-level
 * BPE): candidate pairs of adjacent symbols, popped smallest key first, ties
 * to the leftmost pair. SPM keys are the negated token score, byte-level BPE
 * keys the merge rank; both are exact in a double.
 */
typedef struct cr_tok_bigram {
	int left, right; /* symbol indices */
	double key;
	size_t size;     /* bytes of the merged text, to detect stale entries */
} cr_tok_bigram;

typedef struct cr_tok_heap {
	cr_tok_bigram *v;
	size_t n, cap;
} cr_tok_heap; /* zero-initialised; free v with cr_free */

cr_err cr_tok_heap_push(cr_tok_heap *h, cr_tok_bigram b) CR_NODISCARD;
cr_tok_bigram cr_tok_heap_pop(cr_tok_heap *h); /* h->n must be > 0 */

#endif
