/*
 * analyzer.c — the tokenizer: turns UTF-8 text into the terms the index
 * stores, with positions and byte ranges in the original text.
 *
 * One pass over the input, bounded memory (a word buffer and a CJK run
 * buffer of fixed size live in the analyzer):
 *
 *  - ASCII fast path. An ASCII byte not followed by a combining mark is
 *    not changed by NFKC except for case, so runs of ASCII letters and
 *    digits are classified, lowercased and stored into the word buffer 16
 *    bytes per step (SSE2; a byte loop elsewhere and for the tail); only
 *    when the run stops at a non-ASCII byte that extends the previous
 *    character (e + U+0301) is the last letter given back to the general
 *    path. Non-ASCII code points that are their own NFKC_Casefold (kana,
 *    kanji, é, ...) take a table lookup (normalize.c); everything else is
 *    normalized one cluster at a time by utf8proc. The stem cache is
 *    probed with a hash computed 8 bytes at a time when the word ends, and
 *    a hit emits the cached 'w'+stem bytes without copying.
 *  - Words (space-delimited scripts): maximal runs of letters, digits and
 *    combining marks. Letters and digits stay together (p53, h2o, 3d). An
 *    apostrophe joins two letters (don't, o'neil; ’ counts as '), '.' and
 *    ',' join two digits (3.14, 1,000); hyphens, underscores, slashes and
 *    all other punctuation separate (covid-19 -> covid 19 at adjacent
 *    positions, so the phrase still matches). Words with a letter go
 *    through the stem cache (stem.c): stopword test on the lowercase form,
 *    then the Snowball stem. Numbers are indexed whole. A word mixing
 *    letters and digits is indexed whole and also by its letter and digit
 *    parts at the same position (il6 -> il6 il 6; apoe4 -> apoe4 apoe 4),
 *    so it meets the hyphenated and the bare spellings (SciFact nDCG@10
 *    0.696 -> 0.706).
 *  - CJK runs: maximal runs of Japanese characters (Han, kana, ー 々) or of
 *    Hangul (also Thai, Lao, Khmer, Myanmar: no spaces, no segmenter).
 *    Each run gives overlapping character bigrams ('b' terms), which
 *    match any substring of length >= 2, unknown words included; Japanese
 *    runs also give MeCab morphemes ('w' terms, japanese.c) which rank
 *    whole words above accidental bigram overlaps. Positions: see text.h.
 *    Runs longer than RUN_MAX characters are processed in chunks that
 *    overlap by one character, so bigrams and positions are exactly those of
 *    the whole run (morphemes may split at a chunk edge).
 *  - Query mode (CR_ANALYZE_QUERY) runs a pre-pass to find out whether
 *    the query is made only of stopwords; if so, they are kept.
 *    CR_ANALYZE_PHRASE leaves out the overlapping tokens (morphemes, parts).
 *
 * Speed (bench/bench_analyzer, SciFact, one thread, CPU time): ~220 MB/s
 * with a warm stem cache, ~170 MB/s including stemming the vocabulary once;
 * SQLite FTS5's porter tokenizer does ~133 MB/s on the same documents.
 * Japanese (JSQuAD) ~6 MB/s, bound by MeCab; bigrams alone ~150 MB/s.
 *
 * Choices for retrieval (measured with tools/ir_eval, see stem.c and
 * japanese.c for the figures): only the English articles are stopwords,
 * dropped with their positions kept; hyphenated compounds are split (joining
 * them, covid-19 -> covid19, cost 0.016 nDCG@10 on SciFact);
 * both bigrams and morphemes are emitted for Japanese: on JSQuAD retrieval
 * nDCG@10 was 0.948 with both, 0.943 with bigrams only, 0.943 with
 * morphemes only (morphemes alone miss compounds and unknown words that
 * MeCab splits differently in a question and in a paragraph; bigrams alone
 * rank accidental overlaps too high).
 */
#include "text_int.h"

#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define WORD_MAX 128 /* longest term text in bytes (after the kind byte) */
#define RUN_MAX 256  /* CJK characters per chunk given to MeCab */

typedef struct run_char {
	uint32_t off;    /* byte offset in rb */
	uint32_t len;    /* bytes in rb */
	uint32_t start;  /* original byte range */
	uint32_t end;
} run_char;

typedef struct morph_ref {
	uint32_t ci, cj; /* first and last character index in the run */
	const char *term;
	uint32_t len;
} morph_ref;

typedef struct cr_scan {
	cr_analyzer *a;
	cr_token_fn fn;
	void *ctx;
	int stopped;
	int drop_stop;  /* drop stopwords in this pass */
	int stem;       /* stem in this pass */
	int morphemes;  /* run MeCab in this pass */
	int parts;      /* emit the letter/digit parts of mixed words */
	_Alignas(8) char pb[WORD_MAX + 16]; /* one part, zero-padded for the stem cache */
	uint32_t pos;
	size_t n_emitted, n_stop;

	/* Current word: its text is wb[8..8+wlen), with wb[7] = 'w' so the term
	 * is wb+7. The hash and the cache compare read it 8 bytes at a time,
	 * zero-padded: the SIMD path stores the word's last 16 bytes already
	 * masked (wpad = 1, and the loads forward from that one store); any
	 * other append clears wpad and flush pads with zeros. */
	_Alignas(16) char wb[8 + WORD_MAX + 40];
	int wpad;
	uint32_t wlen;
	int woverlong;
	uint32_t wstart, wend;
	int wlast;      /* CR_CC_LETTER or CR_CC_DIGIT */
	int wletter;    /* has a letter */
	int wdigit;     /* has a digit */
	int joiner;     /* pending CR_CC_APOS / CR_CC_NUMSEP, or 0 */
	char jbyte;

	/* current CJK run chunk */
	int rscript;    /* CR_CC_JA or CR_CC_BIGRAM, 0 = no run */
	int rcarried;   /* character 0 was the last one of the previous chunk */
	uint32_t rbase; /* position of character 0 */
	uint32_t rn;
	uint32_t rblen;
	run_char rc[RUN_MAX];
	char rb[RUN_MAX * 4];
	uint16_t b2c[RUN_MAX * 4];
	morph_ref mr[RUN_MAX];
	uint32_t nm;
	uint32_t moff;  /* byte offset in rb of the text given to MeCab */

	char term[1 + 4 * RUN_MAX + 4];
} cr_scan;

cr_analyzer_opts cr_analyzer_opts_default(void)
{
	cr_analyzer_opts o = {.stem = 1, .stopwords = 1, .japanese = 1, .bigrams = 1};
	return o;
}

cr_err cr_analyzer_new(const cr_analyzer_opts *o, cr_analyzer **out, cr_msg *m)
{
	if (!out)
		return cr_fail(m, CR_EINVAL, "text: cr_analyzer_new without out");
	*out = NULL;
	cr_text_init();
	cr_analyzer *a = cr_calloc(1, sizeof *a);
	if (!a)
		return cr_fail(m, CR_ENOMEM, "text: no memory for an analyzer");
	a->o = o ? *o : cr_analyzer_opts_default();
	if (!a->o.japanese && !a->o.bigrams)
		a->o.bigrams = 1; /* CJK text must give some term */
	cr_err e = cr_stemmer_init(&a->stem, m);
	if (e)
		goto fail;
	a->scan = cr_malloc(sizeof(cr_scan));
	if (!a->scan) {
		e = cr_fail(m, CR_ENOMEM, "text: no memory for an analyzer");
		goto fail;
	}
	if (a->o.japanese) {
		/* Without a dictionary we keep going with bigrams (logged once). */
		a->have_mecab = cr_mecab_init(&a->mecab, NULL) == CR_OK;
		if (!a->have_mecab)
			a->o.bigrams = 1;
	}
	*out = a;
	return CR_OK;
fail:
	cr_analyzer_free(a);
	return e;
}

void cr_analyzer_free(cr_analyzer *a)
{
	if (!a)
		return;
	if (a->have_mecab)
		cr_mecab_release(&a->mecab);
	cr_stemmer_release(&a->stem);
	cr_free(a->scan);
	cr_free(a);
}

/* ---- emitting ---------------------------------------------------------- */

static void emit(cr_scan *sc, const char *term, size_t len, uint32_t pos,
		 uint32_t start, uint32_t end, uint32_t flags)
{
	if (sc->stopped)
		return;
	cr_token t = {.term = term, .len = (uint32_t)len, .pos = pos,
		      .start = start, .end = end, .flags = flags};
	sc->n_emitted++;
	if (sc->fn(sc->ctx, &t))
		sc->stopped = 1;
}

static int is_part_break(char c)
{
	return c == '\'' || c == '.' || c == ',';
}

/* The parts of a word mixing letters and digits (il6 -> il 6, apoe4 ->
 * apoe 4, 3mg -> 3 mg), as extra tokens at the word's position, so il6
 * meets IL-6 and APOE4 meets APOE. Letter parts are stemmed like words but
 * never stop-listed (the a of vitamin A1 is no article). Offsets are exact
 * when the word is ASCII as written. */
static void emit_parts(cr_scan *sc, uint32_t pos, uint32_t wl)
{
	const char *w = sc->wb + 8;
	int exact = sc->wend - sc->wstart == wl;
	uint32_t k = 0;
	while (k < wl && !sc->stopped) {
		if (is_part_break(w[k])) {
			k++;
			continue;
		}
		int d = w[k] >= '0' && w[k] <= '9';
		uint32_t e = k + 1;
		while (e < wl && (w[e] >= '0' && w[e] <= '9') == d && !is_part_break(w[e]))
			e++;
		uint32_t st = exact ? sc->wstart + k : sc->wstart, en = exact ? sc->wstart + e : sc->wend;
		uint32_t pl = e - k;
		const char *term = NULL;
		size_t tl = 0;
		if (!d && sc->stem) {
			int stop; /* a part is never an article: a1 keeps its a */
			memcpy(sc->pb, w + k, pl);
			memset(sc->pb + pl, 0, 8);
			cr_stemmer_lookup(&sc->a->stem, sc->pb, pl, cr_stem_hash(sc->pb, pl), &term, &tl, &stop);
		}
		if (!term) {
			sc->term[0] = 'w';
			memcpy(sc->term + 1, w + k, pl);
			term = sc->term;
			tl = pl + 1;
		}
		emit(sc, term, tl, pos, st, en, CR_TOKEN_OVERLAP);
		k = e;
	}
}

static void flush_word(cr_scan *sc)
{
	sc->joiner = 0;
	if (!sc->wlen)
		return;
	uint32_t pos = sc->pos++;
	uint32_t wl = sc->wlen;
	sc->wlen = 0;
	if (sc->woverlong) {
		sc->woverlong = 0;
		return;
	}
	if (!sc->wpad)
		memset(sc->wb + 8 + wl, 0, 8);
	if (sc->wletter && (sc->stem || sc->drop_stop)) {
		const char *term;
		size_t tl;
		int stop;
		cr_stemmer_lookup(&sc->a->stem, sc->wb + 8, wl,
				  cr_stem_hash(sc->wb + 8, wl), &term, &tl, &stop);
		if (stop && sc->drop_stop) {
			sc->n_stop++;
			return;
		}
		if (sc->stem) {
			emit(sc, term, tl, pos, sc->wstart, sc->wend, 0);
			if (sc->wdigit && sc->parts)
				emit_parts(sc, pos, wl);
			return;
		}
	}
	emit(sc, sc->wb + 7, wl + 1, pos, sc->wstart, sc->wend, 0);
	if (sc->wletter && sc->wdigit && sc->parts)
		emit_parts(sc, pos, wl);
}

static int on_morph(void *ctx, const cr_morph *mo)
{
	cr_scan *sc = ctx;
	if (mo->term_len > WORD_MAX || sc->nm >= RUN_MAX)
		return 0;
	uint32_t first = sc->moff + mo->off, last = first + mo->len - 1;
	if (last >= sc->rblen)
		return 0;
	morph_ref *r = &sc->mr[sc->nm++];
	r->ci = sc->b2c[first];
	r->cj = sc->b2c[last];
	r->term = mo->term;
	r->len = mo->term_len;
	return 0;
}

/* Emits the current run chunk. final: the run ended; otherwise the chunk is
 * full and its last character is carried into the next chunk. */
static void flush_run(cr_scan *sc, int final)
{
	uint32_t n = sc->rn;
	if (!n)
		return;
	cr_analyzer *a = sc->a;
	uint32_t base = sc->rbase;
	uint32_t from = sc->rcarried ? 1 : 0;
	sc->nm = 0;
	if (sc->morphemes && sc->rscript == CR_CC_JA && n > from) {
		for (uint32_t i = 0; i < n; i++)
			for (uint32_t b = 0; b < sc->rc[i].len; b++)
				sc->b2c[sc->rc[i].off + b] = (uint16_t)i;
		sc->moff = sc->rc[from].off;
		cr_mecab_parse(&a->mecab, sc->rb + sc->moff, sc->rblen - sc->moff, on_morph, sc);
	}
	uint32_t mi = 0;
	for (uint32_t i = 0; i < n && !sc->stopped; i++) {
		const run_char *c = &sc->rc[i];
		if (a->o.bigrams) {
			if (i + 1 < n) {
				const run_char *d = &sc->rc[i + 1];
				sc->term[0] = 'b';
				memcpy(sc->term + 1, sc->rb + c->off, c->len);
				memcpy(sc->term + 1 + c->len, sc->rb + d->off, d->len);
				emit(sc, sc->term, 1 + c->len + d->len, base + i, c->start, d->end, 0);
			} else if (n == 1 && !sc->rcarried) {
				sc->term[0] = 'b';
				memcpy(sc->term + 1, sc->rb + c->off, c->len);
				emit(sc, sc->term, 1 + c->len, base, c->start, c->end, 0);
			}
		}
		while (mi < sc->nm && sc->mr[mi].ci <= i) {
			const morph_ref *r = &sc->mr[mi++];
			if (r->ci != i)
				continue;
			sc->term[0] = 'w';
			memcpy(sc->term + 1, r->term, r->len);
			emit(sc, sc->term, 1 + r->len, base + i, c->start, sc->rc[r->cj].end,
			     CR_TOKEN_OVERLAP);
		}
	}
	if (final) {
		sc->pos = base + n;
		sc->rn = 0;
		sc->rblen = 0;
		sc->rscript = 0;
		sc->rcarried = 0;
	} else {
		run_char last = sc->rc[n - 1];
		memmove(sc->rb, sc->rb + last.off, last.len);
		last.off = 0;
		sc->rc[0] = last;
		sc->rn = 1;
		sc->rblen = last.len;
		sc->rbase = base + n - 1;
		sc->rcarried = 1;
	}
}

/* ---- feeding normalized code points ------------------------------------ */

static inline void word_push(cr_scan *sc, uint8_t c)
{
	if (sc->wlen >= WORD_MAX) {
		sc->woverlong = 1; /* dropped at flush, but still a word */
		return;
	}
	sc->wb[8 + sc->wlen++] = (char)c;
	sc->wpad = 0;
}

static void word_append(cr_scan *sc, const char *p, size_t n)
{
	for (size_t k = 0; k < n; k++)
		word_push(sc, (uint8_t)p[k]);
}

/* A letter, digit or mark of a space-delimited script. */
static void feed_word(cr_scan *sc, int32_t cp, int cls, uint32_t start, uint32_t end)
{
	if (sc->rn)
		flush_run(sc, 1);
	if (sc->joiner) {
		int ok = (sc->joiner == CR_CC_APOS && sc->wlast == CR_CC_LETTER && cls == CR_CC_LETTER) ||
			 (sc->joiner == CR_CC_NUMSEP && sc->wlast == CR_CC_DIGIT && cls == CR_CC_DIGIT);
		if (ok) {
			word_append(sc, &sc->jbyte, 1);
			sc->joiner = 0;
		} else {
			flush_word(sc);
		}
	}
	if (!sc->wlen) {
		sc->wstart = start;
		sc->wletter = 0;
		sc->wdigit = 0;
		sc->wlast = CR_CC_LETTER;
	}
	char u[4];
	int ul = cr_utf8_encode((uint32_t)cp, u);
	word_append(sc, u, (size_t)ul);
	if (cls == CR_CC_LETTER)
		sc->wletter = 1;
	else if (cls == CR_CC_DIGIT)
		sc->wdigit = 1;
	if (cls != CR_CC_MARK)
		sc->wlast = cls;
	sc->wend = end;
}

static void feed_sep(cr_scan *sc)
{
	if (sc->wlen)
		flush_word(sc);
	if (sc->rn)
		flush_run(sc, 1);
}

static void feed_joiner(cr_scan *sc, int cls, char byte)
{
	if (sc->wlen && !sc->joiner) {
		sc->joiner = cls;
		sc->jbyte = byte;
		return;
	}
	feed_sep(sc);
}

static void feed_cjk(cr_scan *sc, int32_t cp, int cls, uint32_t start, uint32_t end)
{
	if (sc->wlen)
		flush_word(sc);
	sc->joiner = 0;
	if (sc->rn && sc->rscript != cls)
		flush_run(sc, 1);
	if (sc->rn == RUN_MAX)
		flush_run(sc, 0);
	if (!sc->rn) {
		sc->rscript = cls;
		sc->rbase = sc->pos;
		sc->rcarried = 0;
		sc->rblen = 0;
	}
	run_char *c = &sc->rc[sc->rn++];
	c->off = sc->rblen;
	c->len = (uint32_t)cr_utf8_encode((uint32_t)cp, sc->rb + sc->rblen);
	c->start = start;
	c->end = end;
	sc->rblen += c->len;
}

static void feed_cls(cr_scan *sc, int32_t cp, int cls, uint32_t start, uint32_t end)
{
	switch (cls) {
	case CR_CC_LETTER:
	case CR_CC_DIGIT:
	case CR_CC_MARK:
		if (cp < 0x80 && cp >= 'A' && cp <= 'Z')
			cp += 32;
		feed_word(sc, cp, cls, start, end);
		break;
	case CR_CC_APOS:
		feed_joiner(sc, cls, '\'');
		break;
	case CR_CC_NUMSEP:
		feed_joiner(sc, cls, (char)cp);
		break;
	case CR_CC_JA:
	case CR_CC_BIGRAM:
		feed_cjk(sc, cp, cls, start, end);
		break;
	default:
		feed_sep(sc);
	}
}

static void feed_cp(cr_scan *sc, int32_t cp, uint32_t start, uint32_t end)
{
	feed_cls(sc, cp, cr_text_class(cp), start, end);
}

/* ---- the pass ---------------------------------------------------------- */

/* ASCII byte classes for the fast path: 1 letter/digit, 2 letter. */
static const uint8_t ascii_word[256] = {
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1,
	['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
#define L(c) [c] = 3, [c - 32] = 3
	L('a'), L('b'), L('c'), L('d'), L('e'), L('f'), L('g'), L('h'), L('i'),
	L('j'), L('k'), L('l'), L('m'), L('n'), L('o'), L('p'), L('q'), L('r'),
	L('s'), L('t'), L('u'), L('v'), L('w'), L('x'), L('y'), L('z'),
#undef L
};

/* The fast path: the ASCII word characters from s[i]; returns the new i
 * (== i when s[i] must go through the general path after all). */
static size_t ascii_word_run(cr_scan *sc, const uint8_t *s, size_t n, size_t i)
{
	uint8_t k = ascii_word[s[i]];
	if (sc->rn)
		flush_run(sc, 1);
	if (sc->joiner) {
		int cls = k & 2 ? CR_CC_LETTER : CR_CC_DIGIT;
		if ((sc->joiner == CR_CC_APOS && sc->wlast == CR_CC_LETTER && cls == CR_CC_LETTER) ||
		    (sc->joiner == CR_CC_NUMSEP && sc->wlast == CR_CC_DIGIT && cls == CR_CC_DIGIT))
			word_append(sc, &sc->jbyte, 1);
		else
			flush_word(sc);
		sc->joiner = 0;
	}
	if (!sc->wlen) {
		sc->wstart = (uint32_t)i;
		sc->wletter = 0;
		sc->wdigit = 0;
	}
	uint32_t wl = sc->wlen;
	char *w = sc->wb + 8;
	unsigned letter = 0, digit = 0;
	int pad = 0;
	size_t j = i;
#ifdef __SSE2__
	/* 16 bytes at a time: classify, lowercase, store (masked past the end
	 * of the word), advance by the length of the run of word bytes. */
	static const uint8_t prefix[32] = {
		255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255};
	const __m128i c20 = _mm_set1_epi8(0x20);
	const __m128i ka = _mm_set1_epi8((char)(-'a' - 128)), k26 = _mm_set1_epi8(-128 + 26);
	const __m128i k0 = _mm_set1_epi8((char)(-'0' - 128)), k10 = _mm_set1_epi8(-128 + 10);
	while (n - j >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(s + j));
		__m128i lc = _mm_or_si128(v, c20); /* digits have bit 5 set already */
		unsigned ml = (unsigned)_mm_movemask_epi8(_mm_cmplt_epi8(_mm_add_epi8(lc, ka), k26));
		unsigned md = (unsigned)_mm_movemask_epi8(_mm_cmplt_epi8(_mm_add_epi8(v, k0), k10));
		unsigned r = (unsigned)__builtin_ctz(~(ml | md)); /* <= 16: bits 16+ of ~m are set */
		if (wl <= WORD_MAX) {
			if (r < 16)
				lc = _mm_and_si128(lc, _mm_loadu_si128((const __m128i *)(prefix + 16 - r)));
			_mm_storeu_si128((__m128i *)(w + wl), lc);
		}
		letter |= ml & ((1u << r) - 1);
		digit |= md & ((1u << r) - 1);
		wl += r;
		j += r;
		if (r < 16) {
			pad = 1;
			goto done;
		}
	}
#endif
	for (uint8_t k; j < n && (k = ascii_word[s[j]]); j++) {
		if (wl <= WORD_MAX)
			w[wl] = (char)(s[j] | 0x20);
		wl++;
		letter |= k & 2;
		digit |= k == 1;
	}
#ifdef __SSE2__
done:
#endif
	if (j < n && s[j] >= 0x80 && cr_text_extends_cluster(s + j, n - j)) {
		j--; /* the last letter combines with what follows: give it back */
		wl--;
		pad = 0;
	}
	if (wl > WORD_MAX) {
		sc->woverlong = 1;
		wl = WORD_MAX;
	}
	sc->wlen = wl;
	sc->wpad = pad;
	if (j == i)
		return i;
	sc->wletter |= letter != 0;
	sc->wdigit |= digit != 0;
	sc->wlast = ascii_word[s[j - 1]] & 2 ? CR_CC_LETTER : CR_CC_DIGIT;
	sc->wend = (uint32_t)j;
	return j;
}

static void scan_text(cr_scan *sc, const uint8_t *s, size_t n)
{
	int32_t cps[CR_NORM_MAX];
	size_t i = 0;
	while (i < n && !sc->stopped) {
		uint8_t c = s[i];
		if (c < 0x80) {
			if (ascii_word[c]) {
				size_t j = ascii_word_run(sc, s, n, i);
				if (j > i) {
					i = j;
					continue;
				}
				/* else: s[i] starts a combining cluster */
			} else if (i + 1 == n || s[i + 1] < 0x80) {
				if (c == '\'')
					feed_joiner(sc, CR_CC_APOS, '\'');
				else if (c == '.' || c == ',')
					feed_joiner(sc, CR_CC_NUMSEP, (char)c);
				else
					feed_sep(sc);
				i++;
				continue;
			}
		}
		/* 2- and 3-byte sequences of a stable code point not followed by
		 * anything that would combine with it: no normalization needed. */
		if ((c & 0xe0) == 0xc0 || (c & 0xf0) == 0xe0) {
			uint32_t cp;
			int l = cr_utf8_decode(s + i, n - i, &cp);
			if (l > 0) {
				uint8_t f = cr_text_bmp[cp];
				size_t e = i + (size_t)l;
				if ((f & CR_BMP_STABLE) && (e == n || s[e] < 0x80 ||
							    !cr_text_extends_cluster(s + e, n - e))) {
					feed_cls(sc, (int32_t)cp, f & CR_BMP_CLASS, (uint32_t)i, (uint32_t)e);
					i = e;
					continue;
				}
			}
		}
		size_t cl = cr_text_cluster_len(s + i, n - i);
		if (!cl) { /* invalid UTF-8: skip one byte, it separates words */
			feed_sep(sc);
			i++;
			continue;
		}
		int k = cr_text_norm_cluster(s + i, cl, cps);
		for (int j = 0; j < k && !sc->stopped; j++)
			feed_cp(sc, cps[j], (uint32_t)i, (uint32_t)(i + cl));
		i += cl;
	}
	if (!sc->stopped)
		feed_sep(sc);
}

static void scan_init(cr_scan *sc, cr_analyzer *a, cr_token_fn fn, void *ctx, int drop_stop, int stem,
		      int flags)
{
	/* a phrase is matched on bigrams, unless the index has none */
	sc->morphemes = a->have_mecab && !((flags & CR_ANALYZE_PHRASE) && a->o.bigrams);
	sc->parts = !(flags & (CR_ANALYZE_PHRASE | CR_ANALYZE_NOSTEM));
	sc->a = a;
	sc->fn = fn;
	sc->ctx = ctx;
	sc->stopped = 0;
	sc->drop_stop = drop_stop;
	sc->stem = stem;
	sc->pos = 0;
	sc->n_emitted = sc->n_stop = 0;
	sc->wb[7] = 'w';
	sc->wlen = 0;
	sc->wpad = 0;
	sc->woverlong = 0;
	sc->joiner = 0;
	sc->rscript = 0;
	sc->rcarried = 0;
	sc->rn = 0;
	sc->rblen = 0;
	sc->nm = 0;
}

/* Pre-pass of a query: one kept token is enough to know. */
static int count_fn(void *ctx, const cr_token *t)
{
	return 1;
}

cr_err cr_analyze(cr_analyzer *a, const char *text, size_t len, int flags,
		  cr_token_fn fn, void *ctx)
{
	if (!a || !fn || (!text && len))
		return CR_EINVAL;
	if (len > UINT32_MAX)
		return CR_ETOOBIG;
	int stem = a->o.stem && !(flags & CR_ANALYZE_NOSTEM);
	int drop = a->o.stopwords && !(flags & CR_ANALYZE_NOSTEM);
	cr_scan *sc = a->scan;
	if (drop && (flags & CR_ANALYZE_QUERY)) {
		/* no MeCab in the pre-pass: words and bigrams tell as much */
		scan_init(sc, a, count_fn, NULL, 1, stem, flags | CR_ANALYZE_PHRASE);
		scan_text(sc, (const uint8_t *)text, len);
		if (sc->n_emitted == 0 && sc->n_stop > 0)
			drop = 0;
	}
	scan_init(sc, a, fn, ctx, drop, stem, flags);
	scan_text(sc, (const uint8_t *)text, len);
	return sc->stopped ? CR_ECANCELED : CR_OK;
}
