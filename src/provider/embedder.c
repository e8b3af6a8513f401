/*
 * embedder.c — the embedder a corpus's vectors are made with, for every
 * caller alike (the CLI's `index vectors`, `search`, `ask`; the server's
 * searches, answers and uploads): "provider:NAME" (the named provider's
 * /embeddings, opened as a chain of one) or "model:NAME" (a local embedding
 * model, a registered name or a path). Vectors come L2-normalised, so the
 * inner product is the cosine whatever the server returns.
 */
#include "provider_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct cr_embedder {
	cr_provider_chain *chain; /* provider:NAME */
	cr_provider *local;       /* model:NAME */
	cr_pool *pool;
	cr_provider *p;           /* the one to call */
	char *source;
};

void cr_embedder_free(cr_embedder *e)
{
	if (!e)
		return;
	cr_provider_chain_free(e->chain);
	cr_provider_free(e->local);
	cr_pool_free(e->pool);
	free(e->source);
	free(e);
}

cr_err cr_embedder_open(cr_store *s, const char *source, const cr_provider_cfg *base, cr_provider_key_fn key,
			void *key_ctx, cr_embedder **out, cr_msg *m)
{
	*out = NULL;
	if (!source)
		return cr_fail(m, CR_EINVAL, "embedder: none");
	cr_embedder *e = calloc(1, sizeof *e);
	if (!e || !(e->source = strdup(source))) {
		free(e);
		return cr_fail(m, CR_ENOMEM, "embedder: out of memory");
	}
	cr_provider_cfg c = base ? *base : cr_provider_cfg_default();
	cr_err err = cr_provider_global_init(m);
	if (!err && !strncmp(source, "provider:", 9)) {
		err = cr_provider_chain_open(s, source + 9, &c, 0, key, key_ctx, &e->chain, m);
		if (!err)
			e->p = cr_provider_chain_head(e->chain);
	} else if (!err && !strncmp(source, "model:", 6)) {
		cr_arena a;
		cr_arena_init(&a, 0);
		const char *path = NULL;
		err = cr_store_model_resolve(s, &a, source + 6, &path, m);
		if (!err && !c.pool && !(err = cr_pool_new(0, &e->pool)))
			c.pool = e->pool;
		if (!err) {
			cr_provider_row row = {.name = source + 6, .kind = "local", .model = source + 6, .trust = "local"};
			c.row = &row;
			c.model_path = path;
			err = cr_provider_new(&c, &e->local, m);
		}
		cr_arena_release(&a);
		e->p = e->local;
	} else if (!err)
		err = cr_fail(m, CR_EINVAL, "embedder: unknown source '%s'", source);
	if (err) {
		cr_embedder_free(e);
		return err;
	}
	*out = e;
	return CR_OK;
}

const char *cr_embedder_source(const cr_embedder *e)
{
	return e ? e->source : NULL;
}

cr_err cr_embedder_embed(void *ctx, const char *const *texts, size_t n, cr_arena *a, float **vecs, int *dim,
			 cr_msg *m)
{
	cr_embedder *e = ctx;
	cr_err err = cr_provider_embed(e->p, texts, n, a, vecs, dim, NULL, m);
	if (err)
		return err;
	for (size_t i = 0; i < n; i++) {
		float *v = *vecs + i * (size_t)*dim;
		double s = 0;
		for (int j = 0; j < *dim; j++)
			s += (double)v[j] * v[j];
		if (s > 0)
			for (int j = 0; j < *dim; j++)
				v[j] = (float)(v[j] / sqrt(s));
	}
	return CR_OK;
}
