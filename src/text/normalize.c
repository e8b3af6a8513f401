/*
 * normalize.c — Unicode normalization for search: NFKC + case folding
 * (utf8proc), done one cluster at a time so every normalized code point can
 * be traced back to a byte range of the original input.
 *
 * A cluster is a starter code point plus the code points after it that may
 * compose with it: combining marks (canonical combining class > 0), the
 * starters that are the second half of a canonical composition (U+0B3E
 * after U+0B47, ...), the half-width voiced sound marks ﾞ ﾟ (U+FF9E/U+FF9F,
 * which NFKC turns into combining marks, so ｶﾞ becomes ガ), conjoining
 * Hangul vowel/final jamo, and default-ignorable code points (soft hyphen,
 * zero-width space: removed, so marks after them still compose). NFKC composition never crosses a
 * starter, except for conjoining jamo which we keep inside the cluster, so
 * normalizing cluster by cluster gives the same code points as normalizing
 * the whole text, while each output code point inherits its cluster's byte
 * range. Clusters are capped at CR_CLUSTER_MAX code points so that hostile
 * input (thousands of stacked marks) stays bounded; the excess marks are
 * normalized as their own clusters.
 *
 * Options are utf8proc's NFKC_Casefold: COMPAT | CASEFOLD | IGNORE (drops
 * default-ignorable code points such as soft hyphen and zero-width space) |
 * STRIPNA (drops unassigned code points) | COMPOSE | STABLE.
 *
 * Classification (cr_text_class) is done on normalized code points: Unicode
 * general category decides letter / digit / mark / separator, and block
 * ranges pick out Japanese (Han, Hiragana, Katakana incl. ー, iteration marks)
 * and Hangul, Thai, Lao, Khmer and Myanmar (bigram runs), which the
 * analyzer segments differently from space-delimited scripts.
 */
#include "text_int.h"

#include <pthread.h>
#include <utf8proc.h>

#define NORM_OPTS                                                           \
	(UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_IGNORE |            \
	 UTF8PROC_STRIPNA | UTF8PROC_STABLE)

static int is_extender(uint32_t cp)
{
	if (cp < 0x300)
		return cp == 0xAD; /* soft hyphen, the only default-ignorable below */
	if (cp == 0xFF9E || cp == 0xFF9F)
		return 1;
	if (cp >= 0x1160 && cp <= 0x11FF) /* conjoining jamo V and T */
		return 1;
	const utf8proc_property_t *p = utf8proc_get_property((utf8proc_int32_t)cp);
	/* a combining mark, a starter that composes with the one before it
	 * (utf8proc marks "second of a pair" with comb_index >= 0x8000), or a
	 * default-ignorable code point (dropped, so what follows it may still
	 * compose with what precedes it) */
	return p->combining_class != 0 || (p->comb_index != UINT16_MAX && p->comb_index >= 0x8000) ||
	       p->ignorable;
}

int cr_text_extends_cluster(const uint8_t *s, size_t n)
{
	uint32_t cp;
	if (cr_utf8_decode(s, n, &cp) <= 0)
		return 0;
	return cp < 0x10000 ? (cr_text_bmp[cp] & CR_BMP_EXTENDS) != 0 : is_extender(cp);
}

size_t cr_text_cluster_len(const uint8_t *s, size_t n)
{
	uint32_t cp;
	int l = cr_utf8_decode(s, n, &cp);
	if (l <= 0)
		return 0;
	size_t i = (size_t)l;
	int count = 1;
	while (i < n && s[i] >= 0x80 && count < CR_CLUSTER_MAX) {
		l = cr_utf8_decode(s + i, n - i, &cp);
		if (l <= 0 || !is_extender(cp))
			break;
		i += (size_t)l;
		count++;
	}
	return i;
}

int cr_text_norm_cluster(const uint8_t *s, size_t n, int32_t *out)
{
	/* Most code points (all kana and kanji, lowercase Greek, ...) are their
	 * own NFKC_Casefold: no decomposition, no case folding, not ignorable,
	 * assigned. Skip utf8proc's decompose/compose for those. */
	uint32_t cp;
	int l = cr_utf8_decode(s, n, &cp);
	if (l > 0 && (size_t)l == n) {
		const utf8proc_property_t *p = utf8proc_get_property((utf8proc_int32_t)cp);
		if (p->decomp_seqindex == UINT16_MAX && p->casefold_seqindex == UINT16_MAX &&
		    !p->ignorable && p->category != UTF8PROC_CATEGORY_CN) {
			out[0] = (int32_t)cp;
			return 1;
		}
	}
	utf8proc_ssize_t k = utf8proc_decompose((const utf8proc_uint8_t *)s,
						(utf8proc_ssize_t)n, out,
						CR_NORM_MAX, NORM_OPTS | UTF8PROC_COMPOSE);
	if (k <= 0 || k > CR_NORM_MAX)
		return 0;
	k = utf8proc_normalize_utf32(out, k, NORM_OPTS | UTF8PROC_COMPOSE);
	return k < 0 ? 0 : (int)k;
}

static int is_japanese(int32_t cp)
{
	return (cp >= 0x3040 && cp <= 0x30FF) ||   /* Hiragana, Katakana */
	       (cp >= 0x31F0 && cp <= 0x31FF) ||   /* Katakana ext. */
	       (cp >= 0x3400 && cp <= 0x4DBF) ||   /* Han ext. A */
	       (cp >= 0x4E00 && cp <= 0x9FFF) ||   /* Han */
	       (cp >= 0xF900 && cp <= 0xFAFF) ||   /* Han compatibility */
	       (cp >= 0x20000 && cp <= 0x3FFFF) || /* Han ext. B.. */
	       (cp >= 0x3005 && cp <= 0x3007) ||   /* 々 〆 〇 */
	       cp == 0x303B;                       /* 〻 */
}

/* Other scripts segmented by bigrams: Hangul (as CJK analyzers do) and the
 * scripts written without spaces that we have no segmenter for (Thai, Lao,
 * Khmer, Myanmar), which would otherwise make sentence-long "words". */
static int is_bigram_script(int32_t cp)
{
	return (cp >= 0xAC00 && cp <= 0xD7FF) || (cp >= 0x1100 && cp <= 0x11FF) ||
	       (cp >= 0x3130 && cp <= 0x318F) || (cp >= 0xA960 && cp <= 0xA97F) ||
	       (cp >= 0x0E00 && cp <= 0x0EFF) || /* Thai, Lao */
	       (cp >= 0x1780 && cp <= 0x17FF) || /* Khmer */
	       (cp >= 0x1000 && cp <= 0x109F);   /* Myanmar */
}

int cr_text_class(int32_t cp)
{
	if (cp < 0x80) {
		if ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z')
			return CR_CC_LETTER;
		if (cp >= '0' && cp <= '9')
			return CR_CC_DIGIT;
		if (cp == '\'')
			return CR_CC_APOS;
		if (cp == '.' || cp == ',')
			return CR_CC_NUMSEP;
		return CR_CC_SEP;
	}
	if (cp == 0x2019 || cp == 0x02BC) /* right single quote, modifier apostrophe */
		return CR_CC_APOS;
	utf8proc_category_t c = utf8proc_category(cp);
	int cls;
	switch (c) {
	case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
		cls = CR_CC_LETTER;
		break;
	case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
		cls = CR_CC_DIGIT;
		break;
	case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
		cls = CR_CC_MARK;
		break;
	default:
		return CR_CC_SEP;
	}
	if (is_japanese(cp))
		return CR_CC_JA;
	if (is_bigram_script(cp))
		return CR_CC_BIGRAM;
	return cls;
}

cr_err cr_text_normalize(const char *text, size_t len, cr_buf *out)
{
	if (!out || (!text && len))
		return CR_EINVAL;
	const uint8_t *s = (const uint8_t *)text;
	int32_t cps[CR_NORM_MAX];
	size_t i = 0;
	cr_err e = CR_OK;
	while (i < len && !e) {
		/* ASCII run not followed by a combining mark: lowercase only. */
		size_t j = i;
		while (j < len && s[j] < 0x80 && (j + 1 >= len || s[j + 1] < 0x80))
			j++;
		if (j > i) {
			e = cr_buf_reserve(out, j - i);
			if (e)
				break;
			for (size_t k = i; k < j; k++) {
				uint8_t c = s[k];
				out->data[out->len++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
			}
			out->data[out->len] = 0;
			i = j;
			continue;
		}
		size_t cl = cr_text_cluster_len(s + i, len - i);
		if (!cl) { /* invalid byte: skipped */
			i++;
			continue;
		}
		int n = cr_text_norm_cluster(s + i, cl, cps);
		for (int k = 0; k < n && !e; k++) {
			char u[4];
			int ul = cr_utf8_encode((uint32_t)cps[k], u);
			e = cr_buf_add(out, u, (size_t)ul);
		}
		i += cl;
	}
	return e;
}

/* ---- BMP property table ------------------------------------------------ */

uint8_t cr_text_bmp[0x10000];
static pthread_once_t bmp_once = PTHREAD_ONCE_INIT;

static void bmp_build(void)
{
	for (int32_t cp = 0; cp < 0x10000; cp++) {
		if (cp >= 0xD800 && cp <= 0xDFFF)
			continue;
		uint8_t f = (uint8_t)cr_text_class(cp);
		/* stable: NFKC_Casefold of the code point alone is itself (é, ä,
		 * kana, kanji, lowercase Greek and Cyrillic, ...) */
		char u[4];
		int32_t out[CR_NORM_MAX];
		int ul = cr_utf8_encode((uint32_t)cp, u);
		if (cp >= 0x80 && ul > 0 && cr_text_norm_cluster((const uint8_t *)u, (size_t)ul, out) == 1 &&
		    out[0] == cp)
			f |= CR_BMP_STABLE;
		if (is_extender((uint32_t)cp))
			f |= CR_BMP_EXTENDS;
		cr_text_bmp[cp] = f;
	}
}

void cr_text_init(void)
{
	pthread_once(&bmp_once, bmp_build);
}
