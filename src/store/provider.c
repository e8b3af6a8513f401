/*
 * provider.c — the catalog's model providers and usage meter (store.h):
 * checks what a provider row may hold, then forwards to the back end's
 * provider table (store_int.h cr_store_prov_vt; SQLite: sqlite_provider.c).
 */
#include "store_int.h"

#include <math.h>
#include <string.h>

static int one_of(const char *v, const char *a, const char *b, const char *c)
{
	return v && (!strcmp(v, a) || !strcmp(v, b) || (c && !strcmp(v, c)));
}

static cr_err check_row(const cr_provider_row *r, cr_msg *m)
{
	if (!r->name || !*r->name)
		return cr_fail(m, CR_EINVAL, "a provider needs a name");
	for (const char *p = r->name; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == '/')
			return cr_fail(m, CR_EINVAL, "provider name '%s': no spaces, control characters or '/'",
				       r->name);
	if (!one_of(r->kind, "local", "openai", NULL))
		return cr_fail(m, CR_EINVAL, "provider %s: kind must be local or openai", r->name);
	if (!one_of(r->trust, "local", "onprem", "external"))
		return cr_fail(m, CR_EINVAL, "provider %s: trust must be local, onprem or external", r->name);
	if (!r->model || !*r->model)
		return cr_fail(m, CR_EINVAL, "provider %s: a model is required", r->name);
	if (!strcmp(r->kind, "openai")) {
		if (!r->url || (strncmp(r->url, "http://", 7) && strncmp(r->url, "https://", 8)))
			return cr_fail(m, CR_EINVAL, "provider %s: --url must be an http:// or https:// API base",
				       r->name);
	}
	if (!(r->price_in >= 0) || !(r->price_out >= 0) || isinf(r->price_in) || isinf(r->price_out))
		return cr_fail(m, CR_EINVAL, "provider %s: prices must be finite and >= 0", r->name);
	return CR_OK;
}

cr_err cr_store_provider_put(cr_store *s, const cr_provider_row *r, cr_msg *m)
{
	cr_err e = check_row(r, m);
	return e ? e : s->vt->prov->put(s, r, m);
}

cr_err cr_store_provider_get(cr_store *s, cr_arena *a, const char *name, cr_provider_row *out, cr_msg *m)
{
	if (!name || !*name)
		return cr_fail(m, CR_EINVAL, "no provider named");
	return s->vt->prov->get(s, a, name, out, m);
}

cr_err cr_store_provider_get_default(cr_store *s, cr_arena *a, cr_provider_row *out, cr_msg *m)
{
	return s->vt->prov->get(s, a, NULL, out, m);
}

cr_err cr_store_provider_del(cr_store *s, const char *name, cr_msg *m)
{
	return s->vt->prov->del(s, name ? name : "", m);
}

cr_err cr_store_provider_set_default(cr_store *s, const char *name, cr_msg *m)
{
	return s->vt->prov->set_default(s, name ? name : "", m);
}

cr_err cr_store_provider_list(cr_store *s, cr_store_provider_fn fn, void *ctx, cr_msg *m)
{
	return s->vt->prov->list(s, fn, ctx, m);
}

cr_err cr_store_provider_suspend(cr_store *s, const char *name, const char *reason, cr_msg *m)
{
	if (reason && !*reason)
		return cr_fail(m, CR_EINVAL, "a suspension needs a reason");
	return s->vt->prov->suspend(s, name ? name : "", reason, m);
}

cr_err cr_store_provider_suspended(cr_store *s, const char *name, char *reason, size_t cap, cr_msg *m)
{
	if (!reason || cap < 2)
		return cr_fail(m, CR_EINVAL, "provider suspended: no room for the reason");
	return s->vt->prov->suspended(s, name ? name : "", reason, cap, m);
}

cr_err cr_store_usage_add(cr_store *s, const cr_usage_row *r, cr_msg *m)
{
	if (!r->provider || !*r->provider)
		return cr_fail(m, CR_EINVAL, "usage: no provider");
	return s->vt->prov->usage_add(s, r, m);
}

cr_err cr_store_usage_sum(cr_store *s, cr_store_usage_fn fn, void *ctx, cr_msg *m)
{
	return s->vt->prov->usage_sum(s, fn, ctx, m);
}
