/*
 * open.c — providers from the catalog: the named (or default) provider and
 * its fallback chain (provider.h cr_provider_chain_open), each provider's
 * model path and key resolved for it.
 */
#include "provider_int.h"

#include <string.h>

#define CHAIN_MAX 16

struct cr_provider_chain {
	cr_provider *p[CHAIN_MAX];
	size_t n;
};

typedef struct collect {
	cr_arena *a;
	cr_provider_row rows[CHAIN_MAX * 4];
	size_t n;
	int oom;
} collect;

static const char *dup(cr_arena *a, const char *s, int *oom)
{
	if (!s)
		return NULL;
	char *d = cr_arena_strdup(a, s);
	if (!d)
		*oom = 1;
	return d;
}

static int take(void *ctx, const cr_provider_row *r)
{
	collect *c = ctx;
	if (c->n == CR_ARRAY_LEN(c->rows))
		return 1;
	cr_provider_row *o = &c->rows[c->n++];
	*o = *r;
	o->name = dup(c->a, r->name, &c->oom);
	o->kind = dup(c->a, r->kind, &c->oom);
	o->url = dup(c->a, r->url, &c->oom);
	o->model = dup(c->a, r->model, &c->oom);
	o->api_key_env = dup(c->a, r->api_key_env, &c->oom);
	o->trust = dup(c->a, r->trust, &c->oom);
	return c->oom;
}

static cr_err open_one(cr_store *s, cr_arena *a, const cr_provider_row *r, const cr_provider_cfg *base,
		       cr_provider_key_fn key, void *key_ctx, cr_provider **out, cr_msg *m)
{
	cr_provider_cfg c = *base;
	c.row = r;
	c.api_key = NULL;
	c.model_path = NULL;
	if (r->api_key_env && *r->api_key_env) {
		c.api_key = key ? key(key_ctx, r->api_key_env) : NULL;
		if (!c.api_key || !*c.api_key)
			return cr_fail(m, CR_EUNAUTH, "provider %s: $%s is not set (its API key)", r->name,
				       r->api_key_env);
	}
	if (!strcmp(r->kind, "local")) {
		cr_err e = cr_store_model_resolve(s, a, r->model, &c.model_path, m);
		if (e)
			return e;
	}
	return cr_provider_new(&c, out, m);
}

cr_err cr_provider_chain_open(cr_store *s, const char *name, const cr_provider_cfg *base, int fallbacks,
			      cr_provider_key_fn key, void *key_ctx, cr_provider_chain **out, cr_msg *m)
{
	*out = NULL;
	cr_provider_cfg def = cr_provider_cfg_default();
	if (!base)
		base = &def;
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_provider_row head;
	cr_err e = name ? cr_store_provider_get(s, &a, name, &head, m) : cr_store_provider_get_default(s, &a, &head, m);
	if (e)
		goto out;
	struct cr_provider_chain *ch = cr_calloc(1, sizeof *ch);
	if (!ch) {
		e = cr_fail(m, CR_ENOMEM, "provider: out of memory");
		goto out;
	}
	if ((e = open_one(s, &a, &head, base, key, key_ctx, &ch->p[0], m))) {
		cr_free(ch);
		goto out;
	}
	ch->n = 1;
	if (fallbacks) {
		collect c = {.a = &a};
		if ((e = cr_store_provider_list(s, take, &c, m)) || c.oom) {
			cr_provider_chain_free(ch);
			e = e ? e : cr_fail(m, CR_ENOMEM, "provider: out of memory");
			goto out;
		}
		for (size_t i = 0; i < c.n && ch->n < CHAIN_MAX; i++) {
			const cr_provider_row *r = &c.rows[i];
			if (!strcmp(r->name, head.name) || strcmp(r->kind, head.kind) || strcmp(r->trust, head.trust))
				continue;
			cr_msg mm = {{0}};
			cr_provider *p = NULL;
			if (open_one(s, &a, r, base, key, key_ctx, &p, &mm)) {
				cr_log(CR_LOG_WARN, "fallback %s left out: %s", r->name, mm.text);
				continue;
			}
			cr_provider_set_fallback(ch->p[ch->n - 1], p);
			ch->p[ch->n++] = p;
		}
	}
	*out = ch;
out:
	cr_arena_release(&a);
	return e;
}

cr_provider *cr_provider_chain_head(cr_provider_chain *c) { return c->p[0]; }
size_t cr_provider_chain_len(const cr_provider_chain *c) { return c->n; }

void cr_provider_chain_free(cr_provider_chain *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		cr_provider_free(c->p[i]);
	cr_free(c);
}
