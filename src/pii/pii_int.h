/*
 * pii_int.h — private structures of the pii module (pii.h has the contract).
 *
 *   fold.c      the NFKC working copy: ASCII digits, letters and punctuation
 *               for their full-width forms, each byte remembering the byte
 *               range of the original code point it came from.
 *   patterns.c  e-mail, phone, postal address, My Number, card numbers.
 *   names.c     person names: lists, headers and labels, signatures,
 *               honorifics, MeCab, English given names.
 *   given.c     the English (and romanised Japanese) given-name list.
 *   detect.c    the detector object, span collection and overlap rules.
 *   redact.c    the placeholder map, redaction, restoration, streams.
 */
#ifndef CR_PII_INT_H
#define CR_PII_INT_H

#include "cristal/pii.h"
#include "cristal/text.h"

/* ---- fold.c ------------------------------------------------------------- */

typedef struct pii_fold {
	char *s;        /* working copy, NUL-terminated */
	uint32_t *st;   /* per byte of s: start of its code point in the original */
	uint32_t *en;   /* per byte of s: end of its code point in the original */
	size_t n;
} pii_fold;

/* Builds the working copy of text[0..len) in arena a. */
cr_err pii_fold_make(cr_arena *a, const char *text, size_t len, pii_fold *f) CR_NODISCARD;

/* ---- spans being collected ---------------------------------------------- */

typedef struct pii_cand {
	uint32_t s, e;   /* in the working copy */
	cr_pii_kind kind;
	int strength;    /* ties between overlapping candidates: higher wins */
} pii_cand;

typedef struct pii_cands {
	pii_cand *v;
	size_t n, cap;
	int oom;
} pii_cands;

void pii_cands_add(pii_cands *c, uint32_t s, uint32_t e, cr_pii_kind kind, int strength);

/* ---- names -------------------------------------------------------------- */

/* A set of names in working-copy form (NFKC, single spaces). */
typedef struct pii_names {
	char **v;
	size_t n, cap;
} pii_names;

int pii_names_has(const pii_names *ns, const char *s, size_t n);
/* Adds s[0..n) (already folded) and its parts; 0, or -1 out of memory. */
int pii_names_add(pii_names *ns, const char *s, size_t n, int parts);
void pii_names_release(pii_names *ns);

/* ---- patterns.c --------------------------------------------------------- */

void pii_find_patterns(const pii_fold *f, unsigned kinds, pii_cands *out);

/* ---- names.c ------------------------------------------------------------ */

/* Finds names in context (headers, labels, honorifics, MeCab, given names)
 * and adds them to learned; then, when out is non-NULL, every occurrence of
 * a name in caller or learned becomes a candidate. Non-zero when memory ran
 * out (then out->oom is set too). */
int pii_find_names(cr_analyzer *an, const pii_fold *f, const pii_names *caller, pii_names *learned,
		   pii_cands *out);

/* ---- detect.c ----------------------------------------------------------- */

/* cr_pii_detect with the learned names kept in (and read from) learned. */
cr_err pii_detect_with(cr_pii *p, pii_names *learned, const char *text, size_t len, cr_arena *a,
		       cr_pii_span **out, size_t *n_out, cr_msg *m) CR_NODISCARD;
/* Only the learning part of names.c over text. */
cr_err pii_learn_with(cr_pii *p, pii_names *learned, const char *text, size_t len, cr_msg *m) CR_NODISCARD;

/* ---- given.c ------------------------------------------------------------ */

/* Whether w[0..n) is a given name of the list (ASCII, first letter upper,
 * compared case-insensitively); ambiguous ones (Will, May, Mark, Grace...)
 * report 2: a name only before a family name. */
int pii_given_name(const char *w, size_t n);

/* ---- helpers shared by the files ---------------------------------------- */

static inline int pii_is_digit(char c) { return c >= '0' && c <= '9'; }
static inline int pii_is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static inline int pii_is_alnum(char c) { return pii_is_digit(c) || pii_is_alpha(c); }
static inline int pii_is_upper(char c) { return c >= 'A' && c <= 'Z'; }
static inline int pii_is_lower(char c) { return c >= 'a' && c <= 'z'; }

/* Code point at s[i] (n bytes total) and its length; 0 for invalid bytes. */
uint32_t pii_cp(const char *s, size_t n, size_t i, int *len);
/* Kanji (CJK unified ideographs, 々 〆), hiragana, katakana (incl. ー). */
int pii_is_kanji(uint32_t cp);
int pii_is_hira(uint32_t cp);
int pii_is_kata(uint32_t cp);

#endif
