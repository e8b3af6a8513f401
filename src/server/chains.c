/*
 * chains.c — provider chains kept between requests. A provider serves one
 * thread at a time (provider.h), so each request checks a chain out of an
 * idle list (by provider name) or opens one (cr_provider_chain_open, with
 * its failover chain and a catalog connection of its own that meters its
 * calls), and gives it back. A local provider's chain keeps its loaded
 * model and KV cache this way. At most 2 × threads chains stay idle.
 * A provider changed in the catalog while the server runs is seen by
 * chains opened after the change; idle ones keep the old row.
 */
#include "server_int.h"

#include <string.h>

static void chain_close(cr_server *s, srv_chain *c)
{
	cr_provider_chain_free(c->chain);
	if (c->store)
		cr_corpus_store_release(s->corpus, c->store);
	cr_free(c->name);
	cr_free(c);
}

cr_err srv_chain_get(cr_server *s, const char *name, srv_chain **out, cr_msg *m)
{
	char defname[256];
	cr_err e;
	if (!name)
		name = s->cfg.default_provider;
	if (!name) {
		cr_store *st;
		if ((e = cr_corpus_store_acquire(s->corpus, &st, m)))
			return e;
		cr_arena a;
		cr_arena_init(&a, 0);
		cr_provider_row row;
		e = cr_store_provider_get_default(st, &a, &row, m);
		if (!e)
			snprintf(defname, sizeof defname, "%s", row.name);
		cr_arena_release(&a);
		cr_corpus_store_release(s->corpus, st);
		if (e)
			return e;
		name = defname;
	}
	pthread_mutex_lock(&s->mu);
	for (srv_chain **pp = &s->idle; *pp; pp = &(*pp)->next)
		if (!strcmp((*pp)->name, name)) {
			*out = *pp;
			*pp = (*pp)->next;
			(*out)->next = NULL;
			pthread_mutex_unlock(&s->mu);
			return CR_OK;
		}
	pthread_mutex_unlock(&s->mu);
	srv_chain *c = cr_calloc(1, sizeof *c);
	if (!c || !(c->name = cr_strdup(name))) {
		cr_free(c);
		return cr_fail(m, CR_ENOMEM, "out of memory");
	}
	if ((e = cr_corpus_store_acquire(s->corpus, &c->store, m))) {
		c->store = NULL;
		chain_close(s, c);
		return e;
	}
	cr_provider_cfg cfg = cr_provider_cfg_default();
	cfg.meter = c->store;
	if ((e = cr_provider_chain_open(c->store, name, &cfg, 1, s->cfg.key, s->cfg.key_ctx, &c->chain, m))) {
		c->chain = NULL;
		chain_close(s, c);
		return e;
	}
	*out = c;
	return CR_OK;
}

void srv_chain_for(srv_chain *c, const srv_ctx *ctx)
{
	if (c && c->store)
		cr_store_set_actor(c->store, ctx ? ctx->user : NULL, ctx ? ctx->tenant_name : NULL);
}

void srv_chain_put(cr_server *s, srv_chain *c)
{
	if (!c)
		return;
	srv_chain_for(c, NULL);
	pthread_mutex_lock(&s->mu);
	int n = 0;
	for (srv_chain *i = s->idle; i; i = i->next)
		n++;
	int keep = n < 2 * s->cfg.n_threads && !atomic_load(&s->stopping);
	if (keep) {
		c->next = s->idle;
		s->idle = c;
	}
	pthread_mutex_unlock(&s->mu);
	if (!keep)
		chain_close(s, c);
}

void srv_chains_free(cr_server *s)
{
	pthread_mutex_lock(&s->mu);
	srv_chain *c = s->idle;
	s->idle = NULL;
	pthread_mutex_unlock(&s->mu);
	while (c) {
		srv_chain *next = c->next;
		chain_close(s, c);
		c = next;
	}
}
