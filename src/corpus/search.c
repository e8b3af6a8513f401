/*
 * search.c — cr_corpus_search: the index ranks chunks (best chunk per
 * document), the catalog supplies each hit's text, location and document
 * row, and cr_snippet cuts the best window with the query's terms marked.
 * Vector and hybrid modes rank by the chunks' embeddings (vectors.c), the
 * vector ranking reduced to the best chunk per document; hybrid fuses the
 * two rankings by reciprocal rank fusion (corpus.h), each CR_CORPUS_RRF_DEPTH
 * documents deep (or k, if more), the passage shown being BM25's best chunk
 * when BM25 found the document, else the vectors'.
 *
 * Identical files (the same licence in a hundred packages) would fill the
 * page: per document, a ranked document whose file has the SHA-256 of a
 * better one is folded into it (cr_result.also_at); the text search goes
 * 3k + 10 deep so the page still fills after folding. --passages
 * (cr_corpus_query.passages) ranks passages and folds nothing.
 *
 * A hit whose chunk is no longer in the catalog (deleted by an ingest that
 * has not yet tombstoned it) is skipped: the catalog is the truth.
 * Threads: any number of searches at once, each on a catalog connection and
 * an analyzer checked out of the corpus's pools for the call.
 * Cost: one index search plus, per hit, one catalog row (a primary-key
 * lookup; one more per document ranked, when folding copies) and one snippet over at most the chunk's text; the vector modes
 * add one vector search (its candidates checked in the catalog).
 */
#include "corpus_int.h"
#include "cristal/vector.h"

#include <stdlib.h>
#include <string.h>

/* One ranked document: its chunk, score, and where it came from. */
typedef struct ranked {
	int64_t chunk_id;
	int64_t doc_id; /* 0 until known */
	float score;
	int rank_bm25, rank_vec; /* 1-based; 0: not in that ranking */
} ranked;

static ranked *find_doc(ranked *r, size_t n, int64_t doc_id)
{
	for (size_t i = 0; i < n; i++)
		if (r[i].doc_id == doc_id)
			return &r[i];
	return NULL;
}

static int cmp_ranked(const void *a, const void *b)
{
	const ranked *x = a, *y = b;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return (x->chunk_id > y->chunk_id) - (x->chunk_id < y->chunk_id);
}

cr_err cr_corpus_search(cr_corpus *c, cr_arena *a, const cr_corpus_query *q, cr_result **out, size_t *n,
			cr_msg *m)
{
	*out = NULL;
	*n = 0;
	if (!q || !q->text)
		return cr_fail(m, CR_EINVAL, "empty query");
	if (q->mode != CR_SEARCH_BM25 && (!q->vec || q->vec_dim < 1))
		return cr_fail(m, CR_EINVAL, "%s search needs the query's embedding", cr_search_mode_name(q->mode));
	cr_err e = cr_index_refresh(c->ix, m);
	if (e)
		return e;
	cr_store *st = NULL;
	cr_analyzer *an = cr_corpus_analyzer_acquire(c);
	if (!an)
		return cr_fail(m, CR_ENOMEM, "text analyzer unavailable");
	if ((e = cr_corpus_store_acquire(c, &st, m))) {
		cr_corpus_analyzer_release(c, an);
		return e;
	}
	int k = q->k > 0 ? q->k : 10;
	int fold = !q->passages;
	int want = fold ? 3 * k + 10 : k;
	int depth = q->mode == CR_SEARCH_BM25 ? want : CR_MAX(want, CR_CORPUS_RRF_DEPTH);
	/* vector mode still runs the text search, for the snippets' terms */
	cr_search_opts so = {.k = q->mode == CR_SEARCH_VECTOR ? 1 : depth, .per_doc = !q->passages, .who = q->who,
			     .cancel = q->cancel};
	cr_results res;
	memset(&res, 0, sizeof res);
	cr_vec_hit *vh = NULL;
	size_t n_vh = 0, n_rk = 0;
	ranked *rk = NULL;
	cr_buf snip;
	cr_buf_init(&snip, 0);
	const char *text = q->text;
	if (q->plain || q->mode == CR_SEARCH_VECTOR) {
		char *t = cr_arena_strdup(a, q->text);
		if (!t) {
			e = cr_fail(m, CR_ENOMEM, "out of memory");
			goto out;
		}
		for (char *p = t; *p; p++)
			if (*p == '"' || *p == '+' || *p == '-' || *p == '*' || *p == ':')
				*p = ' ';
		text = t;
	}
	if ((e = cr_index_search(c->ix, an, text, &so, &res, m)))
		goto out;
	if (q->mode != CR_SEARCH_BM25 &&
	    (e = cr_corpus_vec_search(c, st, q->vec, q->vec_dim, depth * 3, q->who, q->cancel, &vh, &n_vh, m)))
		goto out;
	rk = cr_arena_zalloc(a, (res.n + n_vh + 1) * sizeof *rk);
	if (!rk) {
		e = cr_fail(m, CR_ENOMEM, "out of memory");
		goto out;
	}
	if (q->mode != CR_SEARCH_VECTOR)
		for (size_t i = 0; i < res.n; i++) {
			rk[n_rk].chunk_id = (int64_t)res.hits[i].id;
			rk[n_rk].doc_id = (int64_t)res.hits[i].doc_key;
			rk[n_rk].score = res.hits[i].score;
			rk[n_rk].rank_bm25 = (int)i + 1;
			n_rk++;
		}
	/* the vector ranking, best chunk per document */
	int vrank = 0;
	for (size_t i = 0; i < n_vh && vrank < depth; i++) {
		cr_chunk_row row;
		cr_err ge = cr_store_chunk_get(st, a, (int64_t)vh[i].id, &row, m);
		if (ge == CR_ENOTFOUND)
			continue;
		if (ge) {
			e = ge;
			goto out;
		}
		ranked *d = find_doc(rk, n_rk, row.doc_id);
		if (d && d->rank_vec)
			continue; /* a better chunk of this document came first */
		vrank++;
		if (!d) {
			d = &rk[n_rk++];
			d->chunk_id = row.id;
			d->doc_id = row.doc_id;
			d->score = vh[i].score;
		}
		d->rank_vec = vrank;
	}
	if (q->mode == CR_SEARCH_HYBRID) {
		for (size_t i = 0; i < n_rk; i++)
			rk[i].score = (rk[i].rank_bm25 ? 1.0f / (float)(CR_CORPUS_RRF_K + rk[i].rank_bm25) : 0) +
				      (rk[i].rank_vec ? 1.0f / (float)(CR_CORPUS_RRF_K + rk[i].rank_vec) : 0);
		qsort(rk, n_rk, sizeof *rk, cmp_ranked);
	}
	/* copies of one file: the best ranked stands for them all */
	const char ***also = NULL;
	size_t *n_also = NULL;
	if (fold && n_rk) {
		ranked *keep = cr_arena_zalloc(a, n_rk * sizeof *keep);
		const char **hs = cr_arena_zalloc(a, n_rk * sizeof *hs);
		also = cr_arena_zalloc(a, n_rk * sizeof *also);
		n_also = cr_arena_zalloc(a, n_rk * sizeof *n_also);
		if (!keep || !hs || !also || !n_also) {
			e = cr_fail(m, CR_ENOMEM, "out of memory");
			goto out;
		}
		size_t nk = 0;
		for (size_t i = 0; i < n_rk; i++) {
			cr_doc_row dr;
			cr_err ge = cr_store_doc_get(st, a, rk[i].doc_id, &dr, m);
			if (ge == CR_ENOTFOUND)
				continue;
			if (ge) {
				e = ge;
				goto out;
			}
			const char *h = dr.hash && *dr.hash && !dr.parent ? dr.hash : NULL;
			size_t same = nk;
			for (size_t j = 0; h && j < nk; j++)
				if (hs[j] && !strcmp(hs[j], h))
					same = j;
			if (same < nk) {
				if (!also[same] && !(also[same] = cr_arena_zalloc(a, CR_ALSO_MAX * sizeof **also))) {
					e = cr_fail(m, CR_ENOMEM, "out of memory");
					goto out;
				}
				if (n_also[same] < CR_ALSO_MAX)
					also[same][n_also[same]] = dr.name;
				n_also[same]++;
				continue;
			}
			if (nk == (size_t)k)
				continue; /* the page is full: only copies of it are still of use */
			keep[nk] = rk[i];
			hs[nk] = h;
			nk++;
		}
		rk = keep;
		n_rk = nk;
	}
	if (n_rk > (size_t)k)
		n_rk = (size_t)k;
	const char *open = q->mark_open ? q->mark_open : "\xc2\xab";   /* « */
	const char *close = q->mark_close ? q->mark_close : "\xc2\xbb"; /* » */
	size_t max_chars = q->snippet_chars ? q->snippet_chars : 240;
	cr_result *rs = n_rk ? cr_arena_zalloc(a, n_rk * sizeof *rs) : NULL;
	if (n_rk && !rs) {
		e = cr_fail(m, CR_ENOMEM, "out of memory");
		goto out;
	}
	size_t got = 0;
	for (size_t i = 0; i < n_rk; i++) {
		cr_chunk_row row;
		cr_err ge = cr_store_chunk_get(st, a, rk[i].chunk_id, &row, m);
		if (ge == CR_ENOTFOUND)
			continue;
		if (ge) {
			e = ge;
			break;
		}
		cr_result *r = &rs[got];
		r->doc = row.doc;
		r->title = row.title;
		r->type = row.type;
		r->score = rk[i].score;
		r->loc = row.loc;
		r->chunk_id = row.id;
		r->doc_id = row.doc_id;
		if (also) {
			r->also_at = also[i];
			r->n_also = n_also[i];
		}
		if (q->mode != CR_SEARCH_BM25)
			r->found_by = rk[i].rank_bm25 && rk[i].rank_vec ? "both" : rk[i].rank_vec ? "vector" : "bm25";
		if (!q->no_snippets) {
			cr_buf_reset(&snip);
			if (cr_snippet(an, &res, row.text, row.len, max_chars, open, close, &snip) == CR_OK &&
			    snip.len)
				r->snippet = cr_arena_strndup(a, snip.data, snip.len);
			if (!r->snippet)
				r->snippet = "";
		}
		got++;
	}
	if (!e) {
		*out = rs;
		*n = got;
	}
out:
	cr_buf_release(&snip);
	cr_free(vh);
	cr_results_release(&res);
	cr_corpus_store_release(c, st);
	cr_corpus_analyzer_release(c, an);
	return e;
}

int cr_acl_allows(const cr_principal *w, const cr_acl *a)
{
	if (!w)
		return 1;
	if (a->classification > w->max_classification)
		return 0;
	if (w->sees_all)
		return 1;
	if (a->tenant != w->tenant)
		return 0;
	if (!a->owner && !a->n_groups)
		return 1;
	if (a->owner && a->owner == w->user)
		return 1;
	for (uint32_t i = 0; i < a->n_groups; i++)
		for (uint32_t j = 0; j < w->n_groups; j++)
			if (a->groups[i] == w->groups[j])
				return 1;
	return 0;
}
