/*
 * stem.c — English stopwords and stemming.
 *
 * Stemming is Snowball's "english" algorithm (Porter2) from libstemmer:
 * running, runs -> run; studies -> studi. Calling Snowball for every token
 * would dominate indexing time (it costs ~200 ns a word), so each analyzer
 * keeps a cache of the words it has seen (lowercase word -> 'w'+stem and
 * stopword bit; layout in text_int.h): natural text has a Zipfian
 * vocabulary, so after a few kilobytes nearly all tokens hit, and each
 * distinct word is stemmed once. A direct-mapped cache was tried first and
 * thrashed on SciFact's ~80k-word vocabulary (10% misses at 1 MB, 2% at 16
 * MB); this table holds every word up to CR_STEM_MAX (then starts over), in
 * about 40 bytes a word. Words longer than CR_STEM_KEY bytes bypass it.
 * The lookup is bound by memory latency (table slot, then record). Two
 * variants measured slower on SciFact: one-cache-line entries with key and
 * stem inline (the table grows to 8 MB and loses the locality of the pool,
 * where the frequent words, seen first, sit together), a 512-line
 * direct-mapped front cache (collisions and copies cost more than it saved),
 * and a 16 KB table of the first 1024 words probed before the main one
 * (177 vs 221 MB/s: the extra probe costs more than the locality gains).
 *
 * The stopword list is the English articles only (a, an, the). Measured on
 * BEIR SciFact with tools/ir_eval (nDCG@10, same index and BM25 settings):
 * no stopwords 0.696, articles 0.696, Lucene's 33-word list (the one BEIR's
 * BM25 baselines use) 0.680, Lucene's list without no/not 0.689, articles
 * plus of/and 0.689. Words like not, no, of and with carry meaning in
 * short queries (claims, questions), while the articles are ~8% of English
 * tokens and never do. Snowball "english" also beat the original Porter
 * algorithm there (0.696 vs 0.694).
 */
#include "text_int.h"

#include <libstemmer.h>
#include <string.h>

static const char *const STOPWORDS[] = {"a", "an", "the"};

int cr_text_is_stopword(const char *w, size_t n)
{
	for (size_t i = 0; i < CR_ARRAY_LEN(STOPWORDS); i++)
		if (strlen(STOPWORDS[i]) == n && memcmp(STOPWORDS[i], w, n) == 0)
			return 1;
	return 0;
}

#define POOL_HDR 8

static cr_err table_alloc(cr_stemmer *s, uint32_t size)
{
	cr_stem_ent *t = cr_calloc(size, sizeof *t);
	if (!t)
		return CR_ENOMEM;
	cr_free(s->tab);
	s->tab = t;
	s->mask = size - 1;
	return CR_OK;
}

static void cache_clear(cr_stemmer *s)
{
	memset(s->tab, 0, ((size_t)s->mask + 1) * sizeof *s->tab);
	s->count = 0;
	s->pool_len = POOL_HDR; /* offset 0 means empty */
	s->resets++;
}

cr_err cr_stemmer_init(cr_stemmer *s, cr_msg *m)
{
	memset(s, 0, sizeof *s);
	s->sb = sb_stemmer_new("english", "UTF_8");
	if (!s->sb)
		return cr_fail(m, CR_ENOMEM, "text: cannot create the Snowball english stemmer");
	s->pool_cap = 1 << 16;
	s->pool = cr_malloc(s->pool_cap);
	if (!s->pool || table_alloc(s, 4096)) {
		cr_stemmer_release(s);
		return cr_fail(m, CR_ENOMEM, "text: no memory for the stem cache");
	}
	s->pool_len = POOL_HDR;
	return CR_OK;
}

void cr_stemmer_release(cr_stemmer *s)
{
	if (s->sb)
		sb_stemmer_delete(s->sb);
	cr_free(s->tab);
	cr_free(s->pool);
	memset(s, 0, sizeof *s);
}

uint64_t cr_stem_hash(const char *w, size_t n)
{
	uint64_t h = n * 0x9E3779B97F4A7C15ull;
	for (size_t i = 0; i < n; i += 8) {
		uint64_t x;
		memcpy(&x, w + i, 8);
		h = (h ^ x) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	return h;
}

/* Stems w into s->buf (after the kind byte); returns the term length. */
static size_t stem_into(cr_stemmer *s, const char *w, size_t n)
{
	s->buf[0] = 'w';
	const sb_symbol *r = sb_stemmer_stem(s->sb, (const sb_symbol *)w, (int)n);
	size_t rl = r ? (size_t)sb_stemmer_length(s->sb) : 0;
	if (!r || rl == 0 || rl > sizeof s->buf - 1) { /* no memory in Snowball: keep the word */
		r = (const sb_symbol *)w;
		rl = n;
	}
	memcpy(s->buf + 1, r, rl);
	return rl + 1;
}

/* Doubles the table (rehashing from the stored keys). */
static cr_err grow(cr_stemmer *s)
{
	uint32_t old_size = s->mask + 1;
	cr_stem_ent *old = s->tab;
	cr_stem_ent *t = cr_calloc((size_t)old_size * 2, sizeof *t);
	if (!t)
		return CR_ENOMEM;
	uint32_t mask = old_size * 2 - 1;
	for (uint32_t i = 0; i < old_size; i++) {
		if (!old[i].off)
			continue;
		const uint8_t *rec = s->pool + old[i].off;
		uint64_t h = cr_stem_hash((const char *)rec + POOL_HDR, rec[0]);
		uint32_t j = (uint32_t)h & mask;
		while (t[j].off)
			j = (j + 1) & mask;
		t[j] = old[i];
	}
	cr_free(old);
	s->tab = t;
	s->mask = mask;
	return CR_OK;
}

void cr_stemmer_lookup(cr_stemmer *s, const char *w, size_t n, uint64_t hash,
		       const char **term, size_t *tlen, int *stop)
{
	if (n > CR_STEM_KEY)
		goto uncached;
	uint32_t tag = (uint32_t)(hash >> 32);
	size_t kpad = (n + 7) & ~(size_t)7;
	uint32_t i = (uint32_t)hash & s->mask;
	for (;; i = (i + 1) & s->mask) {
		const cr_stem_ent *e = &s->tab[i];
		if (!e->off)
			break;
		if (e->tag != tag)
			continue;
		const uint8_t *rec = s->pool + e->off;
		if (rec[0] != n)
			continue;
		uint64_t x, y, diff = 0;
		for (size_t k = 0; k < n; k += 8) {
			memcpy(&x, w + k, 8);
			memcpy(&y, rec + POOL_HDR + k, 8);
			diff |= x ^ y;
		}
		if (diff)
			continue;
		s->hits++;
		*term = (const char *)rec + POOL_HDR + kpad;
		*tlen = rec[1];
		*stop = rec[2];
		return;
	}
	/* miss: stem, then insert (slot i is free) */
	s->misses++;
	size_t tl = stem_into(s, w, n);
	int st = cr_text_is_stopword(w, n);
	*term = s->buf;
	*tlen = tl;
	*stop = st;
	if (tl > 255)
		return;
	size_t need = POOL_HDR + kpad + ((tl + 7) & ~(size_t)7);
	if (s->count >= CR_STEM_MAX || s->pool_len + need > CR_STEM_POOL_MAX) {
		cache_clear(s);
		i = (uint32_t)hash & s->mask;
	} else if ((s->count + 1) * 2 > s->mask + 1) {
		if (grow(s))
			return; /* no memory: serve uncached */
		i = (uint32_t)hash & s->mask;
		while (s->tab[i].off)
			i = (i + 1) & s->mask;
	}
	if (s->pool_len + need > s->pool_cap) {
		size_t cap = s->pool_cap * 2;
		while (cap < s->pool_len + need)
			cap *= 2;
		uint8_t *p = cr_realloc(s->pool, cap);
		if (!p)
			return;
		s->pool = p;
		s->pool_cap = cap;
	}
	uint8_t *rec = s->pool + s->pool_len;
	memset(rec, 0, need);
	rec[0] = (uint8_t)n;
	rec[1] = (uint8_t)tl;
	rec[2] = (uint8_t)st;
	memcpy(rec + POOL_HDR, w, n);
	memcpy(rec + POOL_HDR + kpad, s->buf, tl);
	s->tab[i].tag = tag;
	s->tab[i].off = (uint32_t)s->pool_len;
	s->pool_len += need;
	s->count++;
	*term = (const char *)rec + POOL_HDR + kpad;
	return;
uncached:
	s->misses++;
	*tlen = stem_into(s, w, n);
	*term = s->buf;
	*stop = 0;
}
