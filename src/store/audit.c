/*
 * audit.c — the catalog's audit log (store.h): checks a record, then
 * forwards to the back end (store_int.h cr_store_audit_vt; SQLite:
 * sqlite_audit.c). The chain's hashing and signatures are audit/'s.
 */
#include "store_int.h"

cr_err cr_store_audit_append(cr_store *s, cr_audit_row *r, cr_store_audit_seal_fn seal, void *ctx, cr_msg *m)
{
	if (!r || !seal || !r->actor || !*r->actor || !r->action || !*r->action || !r->detail)
		return cr_fail(m, CR_EINVAL, "audit: a record needs an actor, an action and a detail");
	return s->vt->audit->append(s, r, seal, ctx, m);
}

cr_err cr_store_audit_list(cr_store *s, int64_t from_seq, int64_t since_time, cr_store_audit_fn fn, void *ctx,
			   cr_msg *m)
{
	return s->vt->audit->list(s, from_seq, since_time, fn, ctx, m);
}
