/*
 * vectors.c — hybrid retrieval in the server, as the CLI has it: searches
 * and answers run hybrid (BM25 and vectors fused) when the corpus has
 * vectors, and an upload's chunks are embedded after its ingest, with the
 * embedder the catalog remembers (cr_corpus_vectors_source; provider.h
 * cr_embedder).
 *
 * Queries share one embedder, opened on first need with a catalog
 * connection of its own (which meters its calls) and kept; a provider
 * serves one thread at a time, so a mutex holds it for the length of one
 * embedding (a query: one short call). When the catalog names another
 * embedder (`cristal index vectors` run again), the next query opens it.
 * An upload embeds with an embedder of its own, so a long embedding does
 * not hold the queries' one.
 *
 * Failure is not an outage: when no mode was asked for, a query whose
 * embedding fails is searched by words (logged); with mode=vector or
 * hybrid it is a 502. An upload whose chunks cannot be embedded stays
 * searchable by words until the next embedding.
 */
#include "server_int.h"

#include <string.h>

void srv_vectors_free(cr_server *s)
{
	cr_embedder_free(s->vec.emb);
	if (s->vec.store)
		cr_corpus_store_release(s->corpus, s->vec.store);
	s->vec.emb = NULL;
	s->vec.store = NULL;
	pthread_mutex_destroy(&s->vec.mu);
}

/* Opens an embedder for source on store st (metered there). */
static cr_err open_embedder(cr_server *s, cr_store *st, const char *source, cr_embedder **out, cr_msg *m)
{
	cr_provider_cfg c = cr_provider_cfg_default();
	c.meter = st;
	return cr_embedder_open(st, source, &c, s->cfg.key, s->cfg.key_ctx, out, m);
}

/* The query's vector by the queries' embedder (under its mutex). */
static cr_err embed_query(cr_server *s, cr_arena *a, const char *source, const char *text, const float **vec,
			  int *dim, cr_msg *m)
{
	cr_err e = CR_OK;
	pthread_mutex_lock(&s->vec.mu);
	if (s->vec.emb && strcmp(cr_embedder_source(s->vec.emb), source)) {
		cr_embedder_free(s->vec.emb);
		s->vec.emb = NULL;
	}
	if (!s->vec.store)
		e = cr_corpus_store_acquire(s->corpus, &s->vec.store, m);
	if (!e && !s->vec.emb)
		e = open_embedder(s, s->vec.store, source, &s->vec.emb, m);
	float *v = NULL;
	if (!e)
		e = cr_embedder_embed(s->vec.emb, &text, 1, a, &v, dim, m);
	pthread_mutex_unlock(&s->vec.mu);
	*vec = v;
	return e;
}

cr_err srv_search_mode(cr_server *s, cr_arena *a, const char *mode, const char *text, cr_search_mode *out,
		       const float **vec, int *dim, cr_msg *m)
{
	*out = CR_SEARCH_BM25;
	*vec = NULL;
	*dim = 0;
	if (mode && !strcmp(mode, "bm25"))
		return CR_OK;
	if (mode && strcmp(mode, "vector") && strcmp(mode, "hybrid"))
		return cr_fail(m, CR_EINVAL, "mode must be bm25, vector or hybrid");
	const char *source;
	cr_arena sa;
	cr_arena_init(&sa, 0);
	cr_err e = cr_corpus_vectors_source(s->corpus, &sa, &source, dim, NULL);
	if (e || !cr_corpus_vectors_count(s->corpus)) {
		cr_arena_release(&sa);
		return mode ? cr_fail(m, CR_EINVAL, "mode %s needs vectors: run `cristal index vectors`", mode) : CR_OK;
	}
	cr_msg em = {{0}};
	e = embed_query(s, a, source, text, vec, dim, &em);
	if (e && !mode) {
		cr_log(CR_LOG_WARN, "serve: embedding a query (%s): %s; searching by words", source,
		       em.text[0] ? em.text : cr_strerror(e));
		*vec = NULL;
		*dim = 0;
		e = CR_OK;
	} else if (e) {
		e = cr_fail(m, CR_EUPSTREAM, "embedding the query (%s): %s", source, em.text[0] ? em.text : cr_strerror(e));
	} else
		*out = mode && !strcmp(mode, "vector") ? CR_SEARCH_VECTOR : CR_SEARCH_HYBRID;
	cr_arena_release(&sa);
	return e;
}

void srv_vectors_after_ingest(cr_server *s)
{
	cr_arena a;
	cr_arena_init(&a, 0);
	const char *source;
	int dim;
	if (cr_corpus_vectors_source(s->corpus, &a, &source, &dim, NULL)) {
		cr_arena_release(&a);
		return; /* no embedder configured */
	}
	cr_store *st = NULL;
	cr_embedder *emb = NULL;
	cr_msg m = {{0}};
	cr_err e = cr_corpus_store_acquire(s->corpus, &st, &m);
	if (!e)
		e = open_embedder(s, st, source, &emb, &m);
	cr_vectors_report rep;
	if (!e) {
		cr_vectors_opts o = {.source = source, .embed = cr_embedder_embed, .embed_ctx = emb, .n_threads = 1};
		e = cr_corpus_vectors_update(s->corpus, &o, &rep, &m);
	}
	if (e)
		cr_log(CR_LOG_WARN, "serve: embedding new chunks (%s): %s; they are searched by words until then",
		       source, m.text[0] ? m.text : cr_strerror(e));
	cr_embedder_free(emb);
	if (st)
		cr_corpus_store_release(s->corpus, st);
	cr_arena_release(&a);
}
