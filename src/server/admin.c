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
 */
#include "server_int.h"

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
