/*
 * record.c — the server's audit records (audit.h): the same actions the
 * command line records (search, ask, show...), with the request's user as
 * the actor ("user:NAME"; "local" when no users are configured), and in
 * the detail the user's tenant and how the request authenticated ("via":
 * "token:ID" or "session"). A handler writes its record before it answers;
 * when the record cannot be written the request fails and shows nothing.
 *
 * Threads: one cr_audit serves every request thread; each append takes a
 * catalog connection from the corpus's pool and runs in one BEGIN
 * IMMEDIATE transaction (store/sqlite_audit.c), so concurrent requests,
 * and other processes, keep one unbroken chain.
 */
#include "server_int.h"

#include <stdlib.h>
#include <string.h>

json_t *srv_audit_ids(const int64_t *ids, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_integer(ids[i]));
	return a;
}

cr_err srv_audit(cr_server *s, const srv_ctx *ctx, const char *action, json_t *detail, cr_msg *m)
{
	if (!detail)
		detail = json_object();
	if (!detail)
		return cr_fail(m, CR_ENOMEM, "audit: out of memory");
	if (ctx && ctx->user) {
		json_object_set_new(detail, "tenant", json_string(ctx->tenant_name ? ctx->tenant_name : "default"));
		if (ctx->via)
			json_object_set_new(detail, "via", json_string(ctx->via));
	}
	char *d = json_dumps(detail, JSON_COMPACT);
	json_decref(detail);
	if (!d)
		return cr_fail(m, CR_ENOMEM, "audit: out of memory");
	char actor[96];
	if (ctx && ctx->user)
		snprintf(actor, sizeof actor, "user:%s", ctx->user);
	else
		snprintf(actor, sizeof actor, "local");
	cr_store *st;
	cr_err e = cr_corpus_store_acquire(s->corpus, &st, m);
	if (!e) {
		e = cr_audit_log(s->audit, st, actor, action, d, NULL, m);
		cr_corpus_store_release(s->corpus, st);
	}
	free(d);
	if (e)
		cr_log(CR_LOG_WARN, "serve: audit log: %s", m && m->text[0] ? m->text : cr_strerror(e));
	return e;
}
