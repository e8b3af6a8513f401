/*
 * admin.c — what admins and auditors read over the API, always within the
 * caller's tenant (the local operator, with no users configured, sees
 * everything):
 *   GET /api/users               the tenant's users (admin)
 *   GET /api/audit[?after=&limit=]  the tenant's audit records (admin,
 *                                auditor): records whose detail names the
 *                                tenant; records without one (the command
 *                                line's) belong to "default"
 *   GET /api/usage[?by=user|tenant|provider]  metered use: an admin's or
 *                                auditor's tenant, a member's own; without
 *                                by, by UTC day and provider
 * and what they change (admins; below): users, groups, API tokens and the
 * providers' kill-switch.
 */
#include "server_int.h"

#include <limits.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

typedef struct acc {
	cr_buf *b;
	size_t n;
	cr_err e;
	const srv_ctx *ctx;
	size_t limit;
	int64_t last;
	int more;
} acc;

static enum MHD_Result finish(srv_req *r, cr_err e, const cr_msg *m, cr_buf *b)
{
	enum MHD_Result ok = e ? srv_error_err(r, e, m) : srv_reply_json(r, 200, b);
	cr_buf_release(b);
	return ok;
}

/* ---- users ------------------------------------------------------------------ */

static int user_row(void *ctx, const cr_user_row *u)
{
	acc *j = ctx;
	if (j->ctx->user && (!u->tenant || strcmp(u->tenant, j->ctx->tenant_name)))
		return 0; /* another tenant's */
	cr_buf *b = j->b;
	cr_err e = cr_buf_adds(b, j->n++ ? ",{\"name\":" : "{\"name\":");
	if (!e)
		e = cr_buf_add_json_str(b, u->name, strlen(u->name));
	if (!e)
		e = cr_buf_printf(b, ",\"role\":\"%s\",\"tenant\":", u->role);
	if (!e)
		e = cr_buf_add_json_str(b, u->tenant ? u->tenant : "", u->tenant ? strlen(u->tenant) : 0);
	if (!e)
		e = cr_buf_adds(b, ",\"groups\":[");
	for (uint32_t i = 0; i < u->n_groups && !e; i++) {
		if (i)
			e = cr_buf_addc(b, ',');
		if (!e)
			e = cr_buf_add_json_str(b, u->groups[i], strlen(u->groups[i]));
	}
	if (!e)
		e = cr_buf_adds(b, "],\"emails\":[");
	for (uint32_t i = 0; i < u->n_emails && !e; i++) {
		if (i)
			e = cr_buf_addc(b, ',');
		if (!e)
			e = cr_buf_add_json_str(b, u->emails[i], strlen(u->emails[i]));
	}
	if (!e)
		e = cr_buf_printf(b, "],\"password\":%s}", u->pw_hash ? "true" : "false");
	j->e = e;
	return e != CR_OK;
}

enum MHD_Result srv_handle_users(srv_req *r)
{
	cr_msg m = {{0}};
	cr_store *st;
	cr_err e = cr_corpus_store_acquire(r->s->corpus, &st, &m);
	if (e)
		return srv_error_err(r, e, &m);
	cr_buf b;
	cr_buf_init(&b, 0);
	acc j = {.b = &b, .ctx = &r->ctx};
	e = cr_buf_adds(&b, "{\"users\":[");
	if (!e)
		e = cr_store_user_list(st, &r->arena, user_row, &j, &m);
	if (!e)
		e = j.e;
	if (!e)
		e = cr_buf_adds(&b, "]}\n");
	cr_corpus_store_release(r->s->corpus, st);
	return finish(r, e, &m, &b);
}

/* ---- audit ------------------------------------------------------------------- */

static int audit_row(void *ctx, const cr_audit_row *a)
{
	acc *j = ctx;
	json_t *d = json_loads(a->detail ? a->detail : "{}", 0, NULL);
	if (j->ctx->user) {
		const char *t = json_string_value(json_object_get(d, "tenant"));
		if (strcmp(t ? t : "default", j->ctx->tenant_name)) {
			json_decref(d);
			return 0; /* another tenant's */
		}
	}
	if (j->n == j->limit) {
		json_decref(d);
		j->more = 1;
		return 1;
	}
	json_t *o = json_pack("{sI sI ss ss so* ss ss}", "seq", (json_int_t)a->seq, "time", (json_int_t)a->time, "actor",
			      a->actor, "action", a->action, "detail", d, "prev", a->prev, "hash", a->hash);
	char *txt = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	cr_err e = txt ? cr_buf_adds(j->b, j->n++ ? "," : "") : CR_ENOMEM;
	if (!e)
		e = cr_buf_adds(j->b, txt);
	free(txt);
	j->last = a->seq;
	j->e = e;
	return e != CR_OK;
}

enum MHD_Result srv_handle_audit(srv_req *r)
{
	int bad = 0;
	const char *after_s = srv_arg(r, "after", &bad), *limit_s = srv_arg(r, "limit", &bad);
	cr_msg m = {{0}};
	long after, limit;
	if (bad || srv_parse_int(after_s, 0, INT64_MAX, 0, &after, &m) || srv_parse_int(limit_s, 1, 1000, 100, &limit, &m))
		return srv_error(r, 400, NULL, "after and limit must be integers (limit 1 to 1000)");
	cr_store *st;
	cr_err e = cr_corpus_store_acquire(r->s->corpus, &st, &m);
	if (e)
		return srv_error_err(r, e, &m);
	cr_buf b;
	cr_buf_init(&b, 0);
	acc j = {.b = &b, .ctx = &r->ctx, .limit = (size_t)limit};
	e = cr_buf_adds(&b, "{\"records\":[");
	if (!e)
		e = cr_store_audit_list(st, after + 1, 0, audit_row, &j, &m);
	if (!e)
		e = j.e;
	cr_corpus_store_release(r->s->corpus, st);
	if (!e)
		e = j.more ? cr_buf_printf(&b, "],\"next\":%lld}\n", (long long)j.last) : cr_buf_adds(&b, "],\"next\":null}\n");
	return finish(r, e, &m, &b);
}

/* ---- usage -------------------------------------------------------------------- */

static int usage_row(void *ctx, const cr_usage_by_row *u)
{
	acc *j = ctx;
	cr_buf *b = j->b;
	cr_err e = cr_buf_adds(b, j->n++ ? "," : "");
	if (!e && u->provider) { /* by day and provider */
		e = cr_buf_adds(b, "{\"day\":");
		if (!e)
			e = cr_buf_add_json_str(b, u->key, strlen(u->key));
		if (!e)
			e = cr_buf_adds(b, ",\"provider\":");
		if (!e)
			e = cr_buf_add_json_str(b, u->provider, strlen(u->provider));
	} else if (!e) {
		e = cr_buf_adds(b, "{\"key\":");
		if (!e)
			e = cr_buf_add_json_str(b, u->key, strlen(u->key));
		if (!e)
			e = cr_buf_printf(b, ",\"requests\":%lld", (long long)u->requests);
	}
	if (!e)
		e = cr_buf_printf(b,
				  ",\"calls\":%lld,\"failed\":%lld,\"prompt_tokens\":%lld,\"completion_tokens\":%lld,"
				  "\"wall_ms\":%lld,\"cost\":%.6f}",
				  (long long)u->calls, (long long)u->failed, (long long)u->prompt_tokens,
				  (long long)u->completion_tokens, (long long)u->wall_ms, u->cost);
	j->e = e;
	return e != CR_OK;
}

enum MHD_Result srv_handle_usage(srv_req *r)
{
	int bad = 0;
	const char *by = srv_arg(r, "by", &bad);
	if (bad || (by && strcmp(by, "user") && strcmp(by, "tenant") && strcmp(by, "provider")))
		return srv_error(r, 400, NULL, "by must be user, tenant or provider");
	/* who sees what: the operator everything, admins and auditors their
	 * tenant, members their own */
	const char *tenant = NULL, *user = NULL;
	if (r->ctx.user) {
		tenant = r->ctx.tenant_name;
		if (!strcmp(r->ctx.role, "member"))
			user = r->ctx.user;
	}
	cr_msg m = {{0}};
	cr_store *st;
	cr_err e = cr_corpus_store_acquire(r->s->corpus, &st, &m);
	if (e)
		return srv_error_err(r, e, &m);
	cr_buf b;
	cr_buf_init(&b, 0);
	acc j = {.b = &b, .ctx = &r->ctx};
	e = by ? cr_buf_printf(&b, "{\"by\":\"%s\",\"rows\":[", by) : cr_buf_adds(&b, "{\"usage\":[");
	if (!e)
		e = cr_store_usage_by(st, by ? by : "day", tenant, user, usage_row, &j, &m);
	if (!e)
		e = j.e;
	if (!e)
		e = cr_buf_adds(&b, "]}\n");
	cr_corpus_store_release(r->s->corpus, st);
	return finish(r, e, &m, &b);
}

/* ---- managing users, groups, tokens and providers (admins) ----------------
 *
 * POST /api/users, DELETE /api/users/NAME, GET|POST /api/groups, DELETE
 * /api/groups/NAME, GET|POST /api/tokens, DELETE /api/tokens/ID,
 * POST|DELETE /api/providers/NAME/suspend. The same library calls as
 * `cristal user|group|token|provider` (store.h, auth.h), audited under the
 * same action names. An admin manages its own tenant's users and tokens
 * only: another tenant's are 404, as if absent (the local operator, with
 * no users configured, manages all). Groups and providers are the
 * installation's, not a tenant's (the catalog keeps them so): any admin
 * may list and add groups and pull the kill-switch, and remove a group
 * none of another tenant's users is in (403 otherwise).
 */

/* The request's body as kind; CR_ECORRUPT (400) with the reason in m. */
static cr_err decoded(srv_req *r, srv_admin_kind kind, srv_admin_req *q, cr_msg *m)
{
	return srv_decode_admin(r->body.data, r->body.len, kind, &r->arena, q, m);
}

/* Whether ctx may manage a user of tenant (NULL: "default"). */
static int same_tenant(const srv_ctx *ctx, const char *tenant)
{
	return !ctx->user || !strcmp(tenant ? tenant : "default", ctx->tenant_name);
}

/* A JSON array of n strings (NULL when out of memory). */
static json_t *str_array(const char *const *v, uint32_t n)
{
	json_t *a = json_array();
	for (uint32_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_string(v[i]))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* Replies {"ok": true, ...more} (more: JSON members or ""). */
/* The audit record first: nothing is reported done that the log lacks. */
static enum MHD_Result audited(srv_req *r, const char *action, json_t *detail, unsigned status, json_t *reply)
{
	cr_msg m = {{0}};
	if (srv_audit(r->s, &r->ctx, action, detail, &m)) {
		json_decref(reply);
		return srv_error(r, 500, NULL, "the action was done but the audit log failed: %s", m.text);
	}
	return srv_reply_jsonv(r, status, reply);
}

enum MHD_Result srv_handle_user_add(srv_req *r)
{
	srv_admin_req q;
	cr_msg dm = {{0}};
	cr_err de = decoded(r, SRV_ADMIN_USER, &q, &dm);
	if (de)
		return srv_error_err(r, de, &dm);
	if (!q.tenant && r->ctx.user)
		q.tenant = r->ctx.tenant_name;
	if (!same_tenant(&r->ctx, q.tenant))
		return srv_error(r, 403, NULL, "an admin adds users to its own tenant (%s) only", r->ctx.tenant_name);
	cr_msg m = {{0}};
	char hash[CR_AUTH_HASH_MAX];
	cr_user_row u = {.name = q.name, .role = q.role ? q.role : "member", .tenant = q.tenant, .groups = q.groups,
			 .n_groups = q.n_groups, .emails = q.emails, .n_emails = q.n_emails};
	cr_err e = CR_OK;
	if (q.password) {
		e = cr_auth_password_hash(q.password, hash, &m);
		u.pw_hash = hash;
	}
	cr_store *st = NULL;
	if (!e)
		e = cr_corpus_store_acquire(r->s->corpus, &st, &m);
	if (!e) {
		e = cr_store_user_put(st, &u, &m);
		cr_corpus_store_release(r->s->corpus, st);
	}
	if (e)
		return srv_error_err(r, e, &m);
	json_t *gs = str_array(q.groups, q.n_groups), *es = str_array(q.emails, q.n_emails);
	const char *tenant = q.tenant ? q.tenant : "default";
	return audited(r, "user.add",
		       json_pack("{ss ss ss sO sO sb}", "name", u.name, "role", u.role, "user_tenant", tenant, "groups", gs,
				 "emails", es, "password", q.password != NULL),
		       201,
		       json_pack("{ss ss ss so so sb}", "name", u.name, "role", u.role, "tenant", tenant, "groups", gs,
				 "emails", es, "password", q.password != NULL));
}

enum MHD_Result srv_handle_user_rm(srv_req *r)
{
	const char *name = r->param;
	cr_msg m = {{0}};
	cr_store *st;
	cr_err e = cr_corpus_store_acquire(r->s->corpus, &st, &m);
	if (e)
		return srv_error_err(r, e, &m);
	cr_user_row u;
	e = cr_store_user_get(st, &r->arena, name, 0, &u, &m);
	if (!e && !same_tenant(&r->ctx, u.tenant))
		e = cr_fail(&m, CR_ENOTFOUND, "no user named %s", name);
	else if (!e && r->ctx.user && !strcmp(u.name, r->ctx.user))
		e = cr_fail(&m, CR_EBUSY, "an admin cannot remove itself");
	if (!e)
		e = cr_store_user_del(st, name, &m);
	cr_corpus_store_release(r->s->corpus, st);
	if (e == CR_ENOTFOUND)
		return srv_error(r, 404, "not_found", "no user named %s", name);
	if (e)
		return srv_error_err(r, e, &m);
	return audited(r, "user.rm", json_pack("{ss}", "name", name), 200, json_pack("{ss sb}", "name", name, "removed", 1));
}

/* PATCH /api/users/NAME {role?, groups?}: a user of the admin's tenant (404
 * otherwise); an admin does not take its own admin role away (409: the
 * tenant could be left without one). Audited as user.set. */
enum MHD_Result srv_handle_user_set(srv_req *r)
{
	const char *name = r->param;
	srv_admin_req q;
	cr_msg m = {{0}};
	cr_err e = decoded(r, SRV_ADMIN_USER_SET, &q, &m);
	if (e)
		return srv_error_err(r, e, &m);
	cr_store *st;
	if ((e = cr_corpus_store_acquire(r->s->corpus, &st, &m)))
		return srv_error_err(r, e, &m);
	cr_user_row u;
	e = cr_store_user_get(st, &r->arena, name, 0, &u, &m);
	if (!e && !same_tenant(&r->ctx, u.tenant))
		e = cr_fail(&m, CR_ENOTFOUND, "no user named %s", name);
	else if (!e && r->ctx.user && !strcmp(u.name, r->ctx.user) && q.role && strcmp(q.role, "admin"))
		e = cr_fail(&m, CR_EBUSY, "an admin cannot take its own admin role away");
	/* the addresses first: the change most likely refused (one another user holds) */
	if (!e && q.set_emails)
		e = cr_store_user_set_emails(st, name, q.emails, q.n_emails, &m);
	if (!e && (q.role || q.set_groups))
		e = cr_store_user_set(st, name, q.role, q.groups, q.n_groups, q.set_groups, &m);
	if (!e)
		e = cr_store_user_get(st, &r->arena, name, 0, &u, &m);
	cr_corpus_store_release(r->s->corpus, st);
	if (e == CR_ENOTFOUND)
		return srv_error(r, 404, "not_found", "no user named %s", name);
	if (e)
		return srv_error_err(r, e, &m);
	json_t *gs = str_array(u.groups, u.n_groups), *es = str_array(u.emails, u.n_emails);
	json_t *detail = json_pack("{ss}", "name", u.name);
	if (detail && q.role)
		json_object_set_new(detail, "role", json_string(q.role));
	if (detail && q.set_groups)
		json_object_set(detail, "groups", gs);
	if (detail && q.set_emails)
		json_object_set(detail, "emails", es);
	return audited(r, "user.set", detail, 200,
		       json_pack("{ss ss ss so so}", "name", u.name, "role", u.role, "tenant", u.tenant ? u.tenant : "default",
				 "groups", gs, "emails", es));
}

/* ---- groups ---- */

static int group_row(void *ctx, const cr_name_row *g)
{
	json_t *o = json_pack("{ss sI}", "name", g->name, "users", (json_int_t)g->n_users);
	return !o || json_array_append_new(ctx, o);
}

/* Group names are shared by all tenants: another tenant's admin sees the
 * groups its own users are in, counting its own users only. */
typedef struct tenant_groups {
	const srv_ctx *ctx;
	json_t *count; /* name -> users of the tenant */
} tenant_groups;

static int tenant_group_row(void *ctx, const cr_user_row *u)
{
	tenant_groups *t = ctx;
	if (!same_tenant(t->ctx, u->tenant))
		return 0;
	for (uint32_t i = 0; i < u->n_groups; i++) {
		json_t *n = json_object_get(t->count, u->groups[i]);
		if (json_object_set_new(t->count, u->groups[i], json_integer(n ? json_integer_value(n) + 1 : 1)))
			return 1;
	}
	return 0;
}

enum MHD_Result srv_handle_groups(srv_req *r)
{
	cr_msg m = {{0}};
	cr_store *st;
	cr_err e = cr_corpus_store_acquire(r->s->corpus, &st, &m);
	if (e)
		return srv_error_err(r, e, &m);
	json_t *arr = json_array();
	if (arr && r->ctx.user && r->ctx.tenant != 0) {
		tenant_groups t = {.ctx = &r->ctx, .count = json_object()};
		e = t.count ? cr_store_user_list(st, &r->arena, tenant_group_row, &t, &m)
			    : cr_fail(&m, CR_ENOMEM, "out of memory");
		const char *k;
		json_t *v;
		json_object_foreach(t.count, k, v) {
			if (!e && json_array_append_new(arr, json_pack("{ss sI}", "name", k, "users", json_integer_value(v))))
				e = cr_fail(&m, CR_ENOMEM, "out of memory");
		}
		json_decref(t.count);
	} else
		e = arr ? cr_store_group_list(st, group_row, arr, &m) : cr_fail(&m, CR_ENOMEM, "out of memory");
	cr_corpus_store_release(r->s->corpus, st);
	if (e) {
		json_decref(arr);
		return srv_error_err(r, e, &m);
	}
	return srv_reply_jsonv(r, 200, json_pack("{so}", "groups", arr));
}

enum MHD_Result srv_handle_group_add(srv_req *r)
{
	srv_admin_req q;
	cr_msg dm = {{0}};
	cr_err de = decoded(r, SRV_ADMIN_GROUP, &q, &dm);
	if (de)
		return srv_error_err(r, de, &dm);
	cr_msg m = {{0}};
	cr_store *st;
	cr_err e = cr_corpus_store_acquire(r->s->corpus, &st, &m);
	if (!e) {
		e = cr_store_group_add(st, q.name, &m);
		cr_corpus_store_release(r->s->corpus, st);
	}
	if (e)
		return srv_error_err(r, e, &m);
	return audited(r, "group.add", json_pack("{ss}", "name", q.name), 201, json_pack("{ss}", "name", q.name));
}

/* Whether a user of another tenant than ctx's is in group g. */
typedef struct foreign_acc {
	const srv_ctx *ctx;
	const char *group;
	int found;
} foreign_acc;

static int foreign_row(void *ctx, const cr_user_row *u)
{
	foreign_acc *f = ctx;
	if (same_tenant(f->ctx, u->tenant))
		return 0;
	for (uint32_t i = 0; i < u->n_groups; i++)
		if (!strcmp(u->groups[i], f->group))
			return f->found = 1;
	return 0;
}

enum MHD_Result srv_handle_group_rm(srv_req *r)
{
	const char *name = r->param;
	cr_msg m = {{0}};
	cr_store *st;
	cr_err e = cr_corpus_store_acquire(r->s->corpus, &st, &m);
	if (!e) {
		/* a group another tenant's users are in is not this admin's to remove */
		foreign_acc f = {.ctx = &r->ctx, .group = name};
		cr_arena a;
		cr_arena_init(&a, 0);
		if (r->ctx.user)
			e = cr_store_user_list(st, &a, foreign_row, &f, &m);
		cr_arena_release(&a);
		if (!e && f.found)
			e = cr_fail(&m, CR_EDENIED, "group %s has members in another tenant", name);
		if (!e)
			e = cr_store_group_del(st, name, &m);
		cr_corpus_store_release(r->s->corpus, st);
	}
	if (e == CR_ENOTFOUND)
		return srv_error(r, 404, "not_found", "no group named %s", name);
	if (e)
		return srv_error_err(r, e, &m);
	return audited(r, "group.rm", json_pack("{ss}", "name", name), 200, json_pack("{ss sb}", "name", name, "removed", 1));
}

/* ---- tokens ---- */

/* The names of the users ctx may manage, as the keys of an object. */
typedef struct names_acc {
	json_t *names;
	const srv_ctx *ctx;
} names_acc;

static int name_row(void *ctx, const cr_user_row *u)
{
	names_acc *n = ctx;
	if (same_tenant(n->ctx, u->tenant))
		json_object_set_new(n->names, u->name, json_true());
	return 0;
}

static cr_err tenant_users(srv_req *r, cr_store *st, json_t **out, cr_msg *m)
{
	names_acc n = {.names = json_object(), .ctx = &r->ctx};
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_err e = n.names ? cr_store_user_list(st, &a, name_row, &n, m) : cr_fail(m, CR_ENOMEM, "out of memory");
	cr_arena_release(&a);
	if (e)
		json_decref(n.names);
	else
		*out = n.names;
	return e;
}

typedef struct tokens_acc {
	json_t *names, *arr;
	int64_t want;       /* > 0: find this id only */
	const char *user;   /* its user, when found (in arena) */
	cr_arena *a;
} tokens_acc;

static int token_row(void *ctx, const cr_token_row *t)
{
	tokens_acc *k = ctx;
	if (!t->user || !json_object_get(k->names, t->user))
		return 0; /* another tenant's */
	if (k->want) {
		if (t->id != k->want)
			return 0;
		k->user = cr_arena_strdup(k->a, t->user);
		return 1;
	}
	json_t *o = json_pack("{sI ss ss? sI sI sb}", "id", (json_int_t)t->id, "user", t->user, "label", t->label, "created",
			      (json_int_t)t->created, "expires", (json_int_t)t->expires, "revoked", t->revoked);
	return !o || json_array_append_new(k->arr, o);
}

enum MHD_Result srv_handle_tokens(srv_req *r)
{
	cr_msg m = {{0}};
	cr_store *st;
	cr_err e = cr_corpus_store_acquire(r->s->corpus, &st, &m);
	if (e)
		return srv_error_err(r, e, &m);
	tokens_acc k = {.arr = json_array(), .a = &r->arena};
	e = k.arr ? tenant_users(r, st, &k.names, &m) : cr_fail(&m, CR_ENOMEM, "out of memory");
	if (!e)
		e = cr_store_token_list(st, token_row, &k, &m);
	cr_corpus_store_release(r->s->corpus, st);
	json_decref(k.names);
	if (e) {
		json_decref(k.arr);
		return srv_error_err(r, e, &m);
	}
	return srv_reply_jsonv(r, 200, json_pack("{so}", "tokens", k.arr));
}

enum MHD_Result srv_handle_token_create(srv_req *r)
{
	srv_admin_req q;
	cr_msg dm = {{0}};
	cr_err de = decoded(r, SRV_ADMIN_TOKEN, &q, &dm);
	if (de)
		return srv_error_err(r, de, &dm);
	cr_msg m = {{0}};
	cr_store *st;
	cr_err e = cr_corpus_store_acquire(r->s->corpus, &st, &m);
	if (e)
		return srv_error_err(r, e, &m);
	cr_user_row u;
	char tok[CR_AUTH_TOKEN_LEN + 1];
	int64_t id = 0;
	e = cr_store_user_get(st, &r->arena, q.user, 0, &u, &m);
	if (!e && !same_tenant(&r->ctx, u.tenant))
		e = CR_ENOTFOUND;
	if (!e)
		e = cr_auth_token_create(st, q.user, q.label, q.days, tok, &id, &m);
	cr_corpus_store_release(r->s->corpus, st);
	if (e == CR_ENOTFOUND)
		return srv_error(r, 404, "not_found", "no user named %s", q.user);
	if (e)
		return srv_error_err(r, e, &m);
	enum MHD_Result ok = audited(r, "token.create",
				     json_pack("{sI ss ss* si}", "id", (json_int_t)id, "user", q.user, "label", q.label, "days", q.days),
				     201,
				     json_pack("{sI ss ss? si ss}", "id", (json_int_t)id, "user", q.user, "label", q.label, "days",
					       q.days, "token", tok));
	sodium_memzero(tok, sizeof tok);
	return ok;
}

enum MHD_Result srv_handle_token_revoke(srv_req *r)
{
	cr_msg m = {{0}};
	long id;
	if (srv_parse_int(r->param, 1, LONG_MAX, 0, &id, &m) || id < 1)
		return srv_error(r, 400, NULL, "a token id is a positive integer (GET /api/tokens lists them)");
	cr_store *st;
	cr_err e = cr_corpus_store_acquire(r->s->corpus, &st, &m);
	if (e)
		return srv_error_err(r, e, &m);
	tokens_acc k = {.want = id, .a = &r->arena};
	e = tenant_users(r, st, &k.names, &m);
	if (!e)
		e = cr_store_token_list(st, token_row, &k, &m);
	if (!e && !k.user)
		e = CR_ENOTFOUND;
	if (!e)
		e = cr_store_token_revoke(st, id, &m);
	cr_corpus_store_release(r->s->corpus, st);
	json_decref(k.names);
	if (e == CR_ENOTFOUND)
		return srv_error(r, 404, "not_found", "no token %ld", id);
	if (e)
		return srv_error_err(r, e, &m);
	return audited(r, "token.revoke", json_pack("{sI ss}", "id", (json_int_t)id, "user", k.user), 200,
		       json_pack("{sI sb}", "id", (json_int_t)id, "revoked", 1));
}

/* ---- the providers' kill-switch ---- */

/* NAME of "NAME/suspend" in the arena, NULL when the path is another. */
static const char *provider_of(srv_req *r)
{
	const char *p = r->param ? r->param : "";
	size_t n = strlen(p);
	if (n <= 8 || strcmp(p + n - 8, "/suspend") || n - 8 > 256)
		return NULL;
	return cr_arena_strndup(&r->arena, p, n - 8);
}

static enum MHD_Result provider_switch(srv_req *r, int suspend)
{
	const char *name = provider_of(r);
	if (!name)
		return srv_error(r, 404, "not_found", "no such path: /api/providers/NAME/suspend");
	srv_admin_req q = {0};
	cr_msg dm = {{0}};
	cr_err de = suspend ? decoded(r, SRV_ADMIN_SUSPEND, &q, &dm) : CR_OK;
	if (de)
		return srv_error_err(r, de, &dm);
	cr_msg m = {{0}};
	cr_store *st;
	cr_err e = cr_corpus_store_acquire(r->s->corpus, &st, &m);
	if (!e) {
		e = cr_store_provider_suspend(st, name, suspend ? q.reason : NULL, &m);
		cr_corpus_store_release(r->s->corpus, st);
	}
	if (e == CR_ENOTFOUND)
		return srv_error(r, 404, "not_found", "no provider named %s", name);
	if (e)
		return srv_error_err(r, e, &m);
	return audited(r, suspend ? "provider.suspend" : "provider.resume",
		       json_pack("{ss ss*}", "name", name, "reason", q.reason), 200,
		       json_pack("{ss ss?}", "name", name, "suspended", q.reason));
}

enum MHD_Result srv_handle_provider_suspend(srv_req *r)
{
	return provider_switch(r, 1);
}

enum MHD_Result srv_handle_provider_resume(srv_req *r)
{
	return provider_switch(r, 0);
}
