/*
 * search.c — cr_corpus_search: the index ranks chunks (best chunk per
 * document), the catalog supplies each hit's text, location and document
 * row, and cr_snippet cuts the best window with the query's terms marked.
 *
 * A hit whose chunk is no longer in the catalog (deleted by an ingest that
 * has not yet tombstoned it) is skipped: the catalog is the truth.
 * Threads: any number of searches at once, each on a catalog connection and
 * an analyzer checked out of the corpus's pools for the call.
 * Cost: one index search plus, per hit, one catalog row (a primary-key
 * lookup) and one snippet over at most the chunk's text.
 */
#include "corpus_int.h"

#include <string.h>

cr_err cr_corpus_search(cr_corpus *c, cr_arena *a, const cr_corpus_query *q, cr_result **out, size_t *n,
			cr_msg *m)
{
	*out = NULL;
	*n = 0;
	if (!q || !q->text)
		return cr_fail(m, CR_EINVAL, "empty query");
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
	cr_search_opts so = {.k = q->k > 0 ? q->k : 10, .per_doc = 1, .who = q->who, .cancel = q->cancel};
	cr_results res;
	memset(&res, 0, sizeof res);
	const char *text = q->text;
	if (q->plain) {
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
	const char *open = q->mark_open ? q->mark_open : "\xc2\xab";   /* « */
	const char *close = q->mark_close ? q->mark_close : "\xc2\xbb"; /* » */
	size_t max_chars = q->snippet_chars ? q->snippet_chars : 240;
	cr_result *rs = res.n ? cr_arena_zalloc(a, res.n * sizeof *rs) : NULL;
	if (res.n && !rs) {
		e = cr_fail(m, CR_ENOMEM, "out of memory");
		goto out;
	}
	cr_buf snip;
	cr_buf_init(&snip, 0);
	size_t k = 0;
	for (size_t i = 0; i < res.n; i++) {
		cr_chunk_row row;
		cr_err ge = cr_store_chunk_get(st, a, (int64_t)res.hits[i].id, &row, m);
		if (ge == CR_ENOTFOUND)
			continue;
		if (ge) {
			e = ge;
			break;
		}
		cr_result *r = &rs[k];
		r->doc = row.doc;
		r->title = row.title;
		r->type = row.type;
		r->score = res.hits[i].score;
		r->loc = row.loc;
		r->chunk_id = row.id;
		r->doc_id = row.doc_id;
		if (!q->no_snippets) {
			cr_buf_reset(&snip);
			if (cr_snippet(an, &res, row.text, row.len, max_chars, open, close, &snip) == CR_OK &&
			    snip.len)
				r->snippet = cr_arena_strndup(a, snip.data, snip.len);
			if (!r->snippet)
				r->snippet = "";
		}
		k++;
	}
	cr_buf_release(&snip);
	if (!e) {
		*out = rs;
		*n = k;
	}
out:
	cr_results_release(&res);
	cr_corpus_store_release(c, st);
	cr_corpus_analyzer_release(c, an);
	return e;
}
