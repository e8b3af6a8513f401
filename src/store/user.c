/*
 * user.c — the catalog's users, groups and API tokens (store.h): checks
 * what a row may hold, then forwards to the back end (store_int.h
 * cr_store_user_vt; SQLite: sqlite_user.c).
 */
#include "store_int.h"

#include <stdio.h>
#include <string.h>

/* Names of users, tenants and groups: 1 to 64 bytes of letters, digits,
 * '.', '_', '-' and '@' (no spaces, no control characters, no '/'). */
static int name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (!n || n > 64)
		return 0;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
		      *p == '_' || *p == '-' || *p == '@'))
			return 0;
	return 1;
}

/* Addresses must be stored in the one form they are compared in. */
static cr_err emails_ok(const char *const *emails, uint32_t n, cr_msg *m)
{
	char norm[CR_EMAIL_MAX];
	for (uint32_t i = 0; i < n; i++)
		if (!emails[i] || !cr_email_norm(emails[i], strlen(emails[i]), norm, sizeof norm) ||
		    strcmp(norm, emails[i]))
			return cr_fail(m, CR_EINVAL, "'%s' is not an e-mail address in lower case",
				       emails[i] ? emails[i] : "");
	return CR_OK;
}

cr_err cr_store_user_put(cr_store *s, const cr_user_row *r, cr_msg *m)
{
	if (!name_ok(r->name))
		return cr_fail(m, CR_EINVAL, "user name '%s': 1 to 64 letters, digits, '.', '_', '-' or '@'",
			       r->name ? r->name : "");
	if (!r->role || (strcmp(r->role, "admin") && strcmp(r->role, "member") && strcmp(r->role, "auditor")))
		return cr_fail(m, CR_EINVAL, "user %s: the role must be admin, member or auditor", r->name);
	if (r->tenant && !name_ok(r->tenant))
		return cr_fail(m, CR_EINVAL, "tenant name '%s': 1 to 64 letters, digits, '.', '_', '-' or '@'", r->tenant);
	for (uint32_t i = 0; i < r->n_groups; i++)
		if (!name_ok(r->groups[i]))
			return cr_fail(m, CR_EINVAL, "group name '%s': 1 to 64 letters, digits, '.', '_', '-' or '@'",
				       r->groups[i]);
	cr_err e = emails_ok(r->emails, r->n_emails, m);
	return e ? e : s->vt->user->put(s, r, m);
}

cr_err cr_store_user_set_emails(cr_store *s, const char *name, const char *const *emails, uint32_t n, cr_msg *m)
{
	cr_err e = emails_ok(emails, n, m);
	return e ? e : s->vt->user->set_emails(s, name, emails, n, m);
}

cr_err cr_store_address_ids(cr_store *s, const char *const *addrs, size_t n, uint32_t *ids, cr_msg *m)
{
	cr_err e = emails_ok(addrs, n > UINT32_MAX ? UINT32_MAX : (uint32_t)n, m);
	return e ? e : s->vt->user->address_ids(s, addrs, n, ids, m);
}

cr_err cr_store_user_get(cr_store *s, cr_arena *a, const char *name, int64_t id, cr_user_row *out, cr_msg *m)
{
	return s->vt->user->get(s, a, name, id, out, m);
}

cr_err cr_store_user_del(cr_store *s, const char *name, cr_msg *m) { return s->vt->user->del(s, name, m); }

cr_err cr_store_user_set_password(cr_store *s, const char *name, const char *pw_hash, cr_msg *m)
{
	return s->vt->user->set_password(s, name, pw_hash, m);
}

cr_err cr_store_user_set(cr_store *s, const char *name, const char *role, const char *const *groups,
			 uint32_t n_groups, int set_groups, cr_msg *m)
{
	if (role && strcmp(role, "admin") && strcmp(role, "member") && strcmp(role, "auditor"))
		return cr_fail(m, CR_EINVAL, "user %s: the role must be admin, member or auditor", name);
	for (uint32_t i = 0; set_groups && i < n_groups; i++)
		if (!name_ok(groups[i]))
			return cr_fail(m, CR_EINVAL, "group name '%s': 1 to 64 letters, digits, '.', '_', '-' or '@'",
				       groups[i]);
	return s->vt->user->set(s, name, role, groups, n_groups, set_groups, m);
}

cr_err cr_store_user_list(cr_store *s, cr_arena *a, cr_store_user_fn fn, void *ctx, cr_msg *m)
{
	return s->vt->user->list(s, a, fn, ctx, m);
}

cr_err cr_store_user_count(cr_store *s, int64_t *n, cr_msg *m) { return s->vt->user->count(s, n, m); }

cr_err cr_store_token_put(cr_store *s, const cr_token_row *r, int64_t *id, cr_msg *m)
{
	if (!r->hash || strlen(r->hash) != 64 || strspn(r->hash, "0123456789abcdef") != 64)
		return cr_fail(m, CR_EINVAL, "a token is stored as the SHA-256 hex of its text");
	if (r->label && strlen(r->label) > 200)
		return cr_fail(m, CR_EINVAL, "a token's label is at most 200 bytes");
	return s->vt->user->token_put(s, r, id, m);
}

cr_err cr_store_token_find(cr_store *s, cr_arena *a, const char *hash, cr_token_row *out, cr_msg *m)
{
	return s->vt->user->token_find(s, a, hash, out, m);
}

cr_err cr_store_token_list(cr_store *s, cr_store_token_fn fn, void *ctx, cr_msg *m)
{
	return s->vt->user->token_list(s, fn, ctx, m);
}

cr_err cr_store_token_revoke(cr_store *s, int64_t id, cr_msg *m) { return s->vt->user->token_revoke(s, id, m); }

/* ---- tenants, groups, sessions, quotas, attributed usage ---------------- */

cr_err cr_store_tenant_add(cr_store *s, const char *name, cr_msg *m)
{
	if (!name_ok(name))
		return cr_fail(m, CR_EINVAL, "tenant name '%s': 1 to 64 letters, digits, '.', '_', '-' or '@'",
			       name ? name : "");
	return s->vt->user->name_add(s, "tenants", name, m);
}

cr_err cr_store_tenant_list(cr_store *s, cr_store_name_fn fn, void *ctx, cr_msg *m)
{
	return s->vt->user->name_list(s, "tenants", fn, ctx, m);
}

cr_err cr_store_group_add(cr_store *s, const char *name, cr_msg *m)
{
	if (!name_ok(name))
		return cr_fail(m, CR_EINVAL, "group name '%s': 1 to 64 letters, digits, '.', '_', '-' or '@'",
			       name ? name : "");
	return s->vt->user->name_add(s, "groups", name, m);
}

cr_err cr_store_group_list(cr_store *s, cr_store_name_fn fn, void *ctx, cr_msg *m)
{
	return s->vt->user->name_list(s, "groups", fn, ctx, m);
}

cr_err cr_store_group_del(cr_store *s, const char *name, cr_msg *m) { return s->vt->user->group_del(s, name, m); }

static int hex64(const char *h) { return h && strlen(h) == 64 && strspn(h, "0123456789abcdef") == 64; }

cr_err cr_store_session_put(cr_store *s, const cr_session_row *r, int64_t *id, cr_msg *m)
{
	if (!hex64(r->hash))
		return cr_fail(m, CR_EINVAL, "a session is stored as the SHA-256 hex of its cookie");
	return s->vt->user->session_put(s, r, id, m);
}

cr_err cr_store_session_find(cr_store *s, cr_arena *a, const char *hash, cr_session_row *out, cr_msg *m)
{
	return s->vt->user->session_find(s, a, hash, out, m);
}

cr_err cr_store_session_touch(cr_store *s, int64_t id, int64_t seen, cr_msg *m)
{
	return s->vt->user->session_touch(s, id, seen, m);
}

cr_err cr_store_session_del_user(cr_store *s, int64_t user_id, const char *keep, int *n, cr_msg *m)
{
	return s->vt->user->session_del_user(s, user_id, keep, n, m);
}

cr_err cr_store_session_del(cr_store *s, const char *hash, int64_t now, int *n, cr_msg *m)
{
	return s->vt->user->session_del(s, hash, now, n, m);
}

static int scope_ok(const char *scope) { return scope && (!strcmp(scope, "user") || !strcmp(scope, "tenant")); }

cr_err cr_store_quota_put(cr_store *s, const cr_quota_row *r, cr_msg *m)
{
	if (!scope_ok(r->scope))
		return cr_fail(m, CR_EINVAL, "a quota is on a user or a tenant");
	if (!name_ok(r->name))
		return cr_fail(m, CR_EINVAL, "quota: bad %s name '%s'", r->scope, r->name ? r->name : "");
	return s->vt->user->quota_put(s, r, m);
}

cr_err cr_store_quota_get(cr_store *s, cr_arena *a, const char *scope, const char *name, cr_quota_row *out,
			  cr_msg *m)
{
	if (!scope_ok(scope))
		return cr_fail(m, CR_EINVAL, "a quota is on a user or a tenant");
	return s->vt->user->quota_get(s, a, scope, name, out, m);
}

cr_err cr_store_quota_list(cr_store *s, cr_store_quota_fn fn, void *ctx, cr_msg *m)
{
	return s->vt->user->quota_list(s, fn, ctx, m);
}

cr_err cr_store_quota_del(cr_store *s, const char *scope, const char *name, cr_msg *m)
{
	if (!scope_ok(scope))
		return cr_fail(m, CR_EINVAL, "a quota is on a user or a tenant");
	return s->vt->user->quota_del(s, scope, name, m);
}

void cr_store_set_actor(cr_store *s, const char *user, const char *tenant)
{
	snprintf(s->actor_user, sizeof s->actor_user, "%s", user ? user : "");
	snprintf(s->actor_tenant, sizeof s->actor_tenant, "%s", user ? (tenant ? tenant : "default") : "");
}

cr_err cr_store_request_add(cr_store *s, const char *user, const char *tenant, int64_t *n_user, int64_t *n_tenant,
			    cr_msg *m)
{
	if (!user || !*user)
		return cr_fail(m, CR_EINVAL, "a request is counted for a user");
	return s->vt->user->request_add(s, user, tenant ? tenant : "default", n_user, n_tenant, m);
}

cr_err cr_store_usage_of(cr_store *s, const char *scope, const char *name, int64_t since, int64_t *requests,
			 int64_t *tokens, double *cost, cr_msg *m)
{
	if (!scope_ok(scope))
		return cr_fail(m, CR_EINVAL, "usage is of a user or a tenant");
	return s->vt->user->usage_of(s, scope, name, since, requests, tokens, cost, m);
}

cr_err cr_store_usage_by(cr_store *s, const char *by, const char *tenant, const char *user, cr_store_usage_by_fn fn,
			 void *ctx, cr_msg *m)
{
	if (!by || (strcmp(by, "user") && strcmp(by, "tenant") && strcmp(by, "provider") && strcmp(by, "day")))
		return cr_fail(m, CR_EINVAL, "usage --by user, tenant or provider");
	return s->vt->user->usage_by(s, by, tenant, user, fn, ctx, m);
}

typedef struct find_name {
	const char *name;
	int64_t id;
} find_name;

static int match_name(void *ctx, const cr_name_row *r)
{
	find_name *f = ctx;
	if (strcmp(r->name, f->name))
		return 0;
	f->id = r->id;
	return 1;
}

cr_err cr_store_name_id(cr_store *s, int tenant, const char *name, int64_t *id, cr_msg *m)
{
	find_name f = {name, -1};
	cr_err e = tenant ? cr_store_tenant_list(s, match_name, &f, m) : cr_store_group_list(s, match_name, &f, m);
	if (!e && f.id < 0)
		e = cr_fail(m, CR_ENOTFOUND, "no such %s %s (cristal %s add %s)", tenant ? "tenant" : "group", name,
			    tenant ? "tenant" : "group", name);
	if (!e)
		*id = f.id;
	return e;
}
