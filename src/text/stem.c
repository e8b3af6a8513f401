/*
 * stem.c — English stopwords and stemming.
 *
 * Stemming is Snowball's "english" algorithm (Porter2) from libstemmer:
 * running, runs -> run; studies -> studi. Calling Snowball for every token
 * would dominate indexing time, so each analyzer keeps a direct-mapped cache
 * of CR_STEM_SLOTS entries (lowercase word -> stem + stopword bit, ~2 MB):
 * natural text has a Zipfian vocabulary, so after a few kilobytes nearly all
 * tokens hit. A collision simply overwrites the slot (no eviction policy, no
 * allocation after creation). Words longer than CR_STEM_KEY bytes bypass the
 * cache.
 *
 * The stopword list is Lucene's English list (33 words, the one BEIR's BM25
 * baselines use): short enough that negations and most content-bearing
 * function words survive, while the heavy hitters (the, of, and, to, ...)
 * that carry no ranking signal and make up a third of English tokens are
 * not indexed.
 */
#include "text/text_int.h"

#include <libstemmer.h>
#include <string.h>

static const char *const STOPWORDS[] = {
	"a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if",
	"in", "into", "is", "it", "no", "not", "of", "on", "or", "such",
	"that", "the", "their", "then", "there", "these", "they", "this",
	"to", "was", "will", "with",
};

int cr_text_is_stopword(const char *w, size_t n)
{
	if (n == 0 || n > 5)
		return 0;
	for (size_t i = 0; i < CR_ARRAY_LEN(STOPWORDS); i++)
		if (strlen(STOPWORDS[i]) == n && memcmp(STOPWORDS[i], w, n) == 0)
			return 1;
	return 0;
}

cr_err cr_stemmer_init(cr_stemmer *s, cr_msg *m)
{
	memset(s, 0, sizeof *s);
	s->sb = sb_stemmer_new("english", "UTF_8");
	if (!s->sb)
		return cr_fail(m, CR_ENOMEM, "text: cannot create the Snowball english stemmer");
	s->slots = cr_calloc(CR_STEM_SLOTS, sizeof(cr_stem_slot));
	if (!s->slots) {
		sb_stemmer_delete(s->sb);
		s->sb = NULL;
		return cr_fail(m, CR_ENOMEM, "text: no memory for the stem cache");
	}
	return CR_OK;
}

void cr_stemmer_release(cr_stemmer *s)
{
	if (s->sb)
		sb_stemmer_delete(s->sb);
	cr_free(s->slots);
	memset(s, 0, sizeof *s);
}

void cr_stemmer_lookup(cr_stemmer *s, const char *w, size_t n, uint32_t hash,
		       const char **stem, size_t *slen, int *stop)
{
	if (n <= CR_STEM_KEY) {
		cr_stem_slot *sl = &s->slots[(hash ^ (hash >> 15)) & (CR_STEM_SLOTS - 1)];
		uint32_t tag = hash | 1u;
		if (sl->tag == tag && sl->klen == n && memcmp(sl->key, w, n) == 0) {
			s->hits++;
			*stem = sl->stem;
			*slen = sl->slen;
			*stop = sl->stop;
			return;
		}
		s->misses++;
		const sb_symbol *r = sb_stemmer_stem(s->sb, (const sb_symbol *)w, (int)n);
		int rl = r ? sb_stemmer_length(s->sb) : 0;
		if (!r) { /* out of memory inside Snowball: index the word as is */
			r = (const sb_symbol *)w;
			rl = (int)n;
		}
		int st = cr_text_is_stopword(w, n);
		if (rl <= CR_STEM_KEY) {
			sl->tag = tag;
			sl->klen = (uint8_t)n;
			sl->slen = (uint8_t)rl;
			sl->stop = (uint8_t)st;
			memcpy(sl->key, w, n);
			memcpy(sl->stem, r, (size_t)rl);
			*stem = sl->stem;
		} else {
			*stem = (const char *)r;
		}
		*slen = (size_t)rl;
		*stop = st;
		return;
	}
	const sb_symbol *r = sb_stemmer_stem(s->sb, (const sb_symbol *)w, (int)n);
	if (r) {
		*stem = (const char *)r;
		*slen = (size_t)sb_stemmer_length(s->sb);
	} else {
		*stem = w;
		*slen = n;
	}
	*stop = 0;
}
