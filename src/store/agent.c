/*
 * agent.c — the catalog's stored agents and their runs (store.h): checks
 * names and rows, then forwards to the back end (store_int.h
 * cr_store_agent_vt; SQLite: sqlite_agent.c).
 */
#include "store_int.h"

#include <string.h>

static cr_err check_name(const char *name, cr_msg *m)
{
	size_t n = name ? strlen(name) : 0;
	if (!n || n > 64 || name[0] == '-' || name[0] == '.')
		return cr_fail(m, CR_EINVAL, "agent name '%s': 1 to 64 of A-Z a-z 0-9 _ . -, not starting with - or .",
			       name ? name : "");
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
		      *p == '.' || *p == '-'))
			return cr_fail(m, CR_EINVAL,
				       "agent name '%s': 1 to 64 of A-Z a-z 0-9 _ . -, not starting with - or .", name);
	return CR_OK;
}

cr_err cr_store_agent_put(cr_store *s, const cr_agent_row *r, cr_msg *m)
{
	cr_err e = check_name(r->name, m);
	if (e)
		return e;
	if (!r->instructions || !*r->instructions)
		return cr_fail(m, CR_EINVAL, "agent %s: no instructions", r->name);
	if (!r->tools || !r->scopes)
		return cr_fail(m, CR_EINVAL, "agent %s: tools and scopes are JSON arrays", r->name);
	return s->vt->agent->put(s, r, m);
}

cr_err cr_store_agent_get(cr_store *s, cr_arena *a, const char *name, cr_agent_row *out, cr_msg *m)
{
	return s->vt->agent->get(s, a, name ? name : "", out, m);
}

cr_err cr_store_agent_list(cr_store *s, cr_store_agent_fn fn, void *ctx, cr_msg *m)
{
	return s->vt->agent->list(s, fn, ctx, m);
}

cr_err cr_store_agent_del(cr_store *s, const char *name, cr_msg *m)
{
	return s->vt->agent->del(s, name ? name : "", m);
}

cr_err cr_store_agent_run_begin(cr_store *s, const char *name, const char *kind, int64_t now_ms,
				const int64_t *claim, int64_t *run_id, cr_msg *m)
{
	if (!kind || (strcmp(kind, "manual") && strcmp(kind, "schedule") && strcmp(kind, "api")))
		return cr_fail(m, CR_EINVAL, "agent run: kind is manual, schedule or api");
	return s->vt->agent->run_begin(s, name ? name : "", kind, now_ms, claim, run_id, m);
}

cr_err cr_store_agent_run_end(cr_store *s, int64_t run_id, const cr_agent_run_row *r, cr_msg *m)
{
	return s->vt->agent->run_end(s, run_id, r, m);
}

cr_err cr_store_agent_runs(cr_store *s, const char *name, int limit, cr_store_agent_run_fn fn, void *ctx,
			   cr_msg *m)
{
	return s->vt->agent->runs(s, name, limit, fn, ctx, m);
}

cr_err cr_store_agent_runs_abandon(cr_store *s, int64_t before_ms, int64_t now_ms, const char *why, int *n,
				   cr_msg *m)
{
	return s->vt->agent->runs_abandon(s, before_ms, now_ms, why ? why : "abandoned", n, m);
}
