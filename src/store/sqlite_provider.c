/*
 * sqlite_provider.c — the SQLite back end's providers and usage tables
 * (schema v3, see sqlite.c). These calls are rare (a CLI command, one row
 * per model call), so statements are prepared per call, not cached.
 */
#include "store_int.h"

#include <sqlite3.h>
#include <string.h>

#define PROV_COLS "name, kind, url, model, api_key_env, trust, price_in, price_out, is_default, added"
/* Rows as read: with the kill-switch's reason and time (NULL: active). */
#define PROV_SELECT                                                                                          \
	"SELECT " PROV_COLS ", provider_suspensions.reason, provider_suspensions.at FROM providers"          \
	" LEFT JOIN provider_suspensions USING(name)"

static int read_row(cr_arena *a, sqlite3_stmt *st, cr_provider_row *r)
{
	int oom = 0;
	memset(r, 0, sizeof *r);
	r->name = cr_sq_col(a, st, 0, &oom);
	r->kind = cr_sq_col(a, st, 1, &oom);
	r->url = cr_sq_col(a, st, 2, &oom);
	r->model = cr_sq_col(a, st, 3, &oom);
	r->api_key_env = cr_sq_col(a, st, 4, &oom);
	r->trust = cr_sq_col(a, st, 5, &oom);
	r->price_in = sqlite3_column_double(st, 6);
	r->price_out = sqlite3_column_double(st, 7);
	r->is_default = sqlite3_column_int(st, 8);
	r->added = sqlite3_column_int64(st, 9);
	r->suspended = cr_sq_col(a, st, 10, &oom);
	r->suspended_at = sqlite3_column_int64(st, 11);
	return oom;
}

/* Runs sql (no rows expected); returns the changes through *changes. */
static cr_err sp_put(cr_store *s, const cr_provider_row *r, cr_msg *m)
{
	sqlite3 *db = cr_store_sqlite_db(s);
	int own_tx;
	cr_err e = cr_sq_tx_begin(db, &own_tx, m);
	if (e)
		return e;
	if (r->is_default && (e = cr_sq_exec(db, "UPDATE providers SET is_default = 0", m)))
		goto out;
	sqlite3_stmt *st = cr_sq_prep(db,
				"INSERT INTO providers(" PROV_COLS ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)", m,
				&e);
	if (!st)
		goto out;
	cr_sq_bind_text(st, 1, r->name);
	cr_sq_bind_text(st, 2, r->kind);
	cr_sq_bind_text(st, 3, r->url);
	cr_sq_bind_text(st, 4, r->model);
	cr_sq_bind_text(st, 5, r->api_key_env);
	cr_sq_bind_text(st, 6, r->trust);
	sqlite3_bind_double(st, 7, r->price_in);
	sqlite3_bind_double(st, 8, r->price_out);
	sqlite3_bind_int(st, 9, r->is_default ? 1 : 0);
	sqlite3_bind_int64(st, 10, r->added ? r->added : cr_wallclock());
	e = cr_sq_run(db, st, m, "provider write", NULL);
	if (e == CR_EEXIST)
		e = cr_fail(m, CR_EEXIST, "a provider named %s exists (provider rm %s first)", r->name, r->name);
out:
	return cr_sq_tx_end(db, own_tx, e, m);
}

static cr_err sp_get(cr_store *s, cr_arena *a, const char *name, cr_provider_row *out, cr_msg *m)
{
	sqlite3 *db = cr_store_sqlite_db(s);
	cr_err e;
	sqlite3_stmt *st = cr_sq_prep(db,
				name ? PROV_SELECT " WHERE name = ?1"
				     : PROV_SELECT " WHERE is_default ORDER BY id LIMIT 1",
				m, &e);
	if (!st)
		return e;
	if (name)
		cr_sq_bind_text(st, 1, name);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		e = read_row(a, st, out) ? cr_fail(m, CR_ENOMEM, "catalog: out of memory") : CR_OK;
	else if (rc == SQLITE_DONE)
		e = name ? cr_fail(m, CR_ENOTFOUND, "no provider named %s (see cristal provider list)", name)
			 : cr_fail(m, CR_ENOTFOUND, "no default provider (cristal provider default NAME)");
	else
		e = cr_sq_fail(db, m, "provider lookup");
	sqlite3_finalize(st);
	return e;
}

static cr_err sp_del(cr_store *s, const char *name, cr_msg *m)
{
	return cr_sq_del_named(cr_store_sqlite_db(s), "DELETE FROM providers WHERE name = ?1", "provider", name, m);
}

static cr_err sp_set_default(cr_store *s, const char *name, cr_msg *m)
{
	sqlite3 *db = cr_store_sqlite_db(s);
	int own_tx;
	cr_err e = cr_sq_tx_begin(db, &own_tx, m);
	if (e)
		return e;
	sqlite3_stmt *st = cr_sq_prep(db, "UPDATE providers SET is_default = (name = ?1)", m, &e);
	if (st) {
		cr_sq_bind_text(st, 1, name);
		e = cr_sq_run(db, st, m, "provider default", NULL);
	}
	if (!e && (st = cr_sq_prep(db, "SELECT count(*) FROM providers WHERE name = ?1", m, &e))) {
		cr_sq_bind_text(st, 1, name);
		if (sqlite3_step(st) != SQLITE_ROW)
			e = cr_sq_fail(db, m, "provider lookup");
		else if (!sqlite3_column_int(st, 0))
			e = cr_fail(m, CR_ENOTFOUND, "no provider named %s", name);
		sqlite3_finalize(st);
	}
	return cr_sq_tx_end(db, own_tx, e, m);
}

static cr_err sp_list(cr_store *s, cr_store_provider_fn fn, void *ctx, cr_msg *m)
{
	sqlite3 *db = cr_store_sqlite_db(s);
	cr_err e;
	sqlite3_stmt *st = cr_sq_prep(db, PROV_SELECT " ORDER BY id", m, &e);
	if (!st)
		return e;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cr_provider_row r;
		read_row(NULL, st, &r);
		if (fn(ctx, &r))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		e = cr_sq_fail(db, m, "provider listing");
	sqlite3_finalize(st);
	return e;
}

static cr_err sp_suspend(cr_store *s, const char *name, const char *reason, cr_msg *m)
{
	sqlite3 *db = cr_store_sqlite_db(s);
	cr_err e;
	/* a name that is neither a provider nor suspended is a typo */
	sqlite3_stmt *st = cr_sq_prep(db,
				      "SELECT (SELECT count(*) FROM providers WHERE name = ?1)"
				      " + (SELECT count(*) FROM provider_suspensions WHERE name = ?1)",
				      m, &e);
	if (!st)
		return e;
	cr_sq_bind_text(st, 1, name);
	int known = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_finalize(st);
	if (known < 0)
		return cr_sq_fail(db, m, "provider lookup");
	if (!known)
		return cr_fail(m, CR_ENOTFOUND, "no provider named %s", name);
	st = cr_sq_prep(db,
			reason ? "INSERT OR REPLACE INTO provider_suspensions(name, reason, at) VALUES (?1, ?2, ?3)"
			       : "DELETE FROM provider_suspensions WHERE name = ?1",
			m, &e);
	if (!st)
		return e;
	cr_sq_bind_text(st, 1, name);
	if (reason) {
		cr_sq_bind_text(st, 2, reason);
		sqlite3_bind_int64(st, 3, cr_wallclock());
	}
	return cr_sq_run(db, st, m, "provider suspend", NULL);
}

/* One indexed point query, asked before every call and while streaming:
 * the statement is prepared once per connection and kept. */
static cr_err sp_suspended(cr_store *s, const char *name, char *reason, size_t cap, cr_msg *m)
{
	sqlite3 *db = cr_store_sqlite_db(s);
	sqlite3_stmt **st = cr_store_sqlite_stmt_slot(s, "provider suspended");
	cr_err e = CR_OK;
	if (!*st && !(*st = cr_sq_prep(db, "SELECT reason FROM provider_suspensions WHERE name = ?1", m, &e)))
		return e;
	sqlite3_reset(*st);
	cr_sq_bind_text(*st, 1, name);
	reason[0] = 0;
	int rc = sqlite3_step(*st);
	if (rc == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(*st, 0);
		if (t)
			snprintf(reason, cap, "%s", *t ? t : "suspended");
	} else if (rc != SQLITE_DONE) {
		e = cr_sq_fail(db, m, "provider lookup");
	}
	sqlite3_reset(*st);
	sqlite3_clear_bindings(*st);
	return e;
}

static cr_err sp_usage_add(cr_store *s, const cr_usage_row *r, cr_msg *m)
{
	sqlite3 *db = cr_store_sqlite_db(s);
	cr_err e;
	sqlite3_stmt *st = cr_sq_prep(db,
				"INSERT INTO usage(time, provider, prompt_tokens, completion_tokens, wall_ms, cost, ok)"
				" VALUES (?1,?2,?3,?4,?5,?6,?7)",
				m, &e);
	if (!st)
		return e;
	sqlite3_bind_int64(st, 1, r->time ? r->time : cr_wallclock());
	cr_sq_bind_text(st, 2, r->provider);
	sqlite3_bind_int64(st, 3, r->prompt_tokens);
	sqlite3_bind_int64(st, 4, r->completion_tokens);
	sqlite3_bind_int64(st, 5, r->wall_ms);
	sqlite3_bind_double(st, 6, r->cost);
	sqlite3_bind_int(st, 7, r->ok ? 1 : 0);
	if ((e = cr_sq_run(db, st, m, "usage write", NULL)))
		return e;
	/* who it was for (cr_store_set_actor): a row of usage_who */
	const char *user = r->user ? r->user : s->actor_user[0] ? s->actor_user : NULL;
	if (!user)
		return CR_OK;
	int64_t id = sqlite3_last_insert_rowid(db);
	if (!(st = cr_sq_prep(db, "INSERT OR REPLACE INTO usage_who(id, user, tenant) VALUES (?1,?2,?3)", m, &e)))
		return e;
	sqlite3_bind_int64(st, 1, id);
	cr_sq_bind_text(st, 2, user);
	cr_sq_bind_text(st, 3, r->user ? (r->tenant ? r->tenant : "default") : s->actor_tenant);
	return cr_sq_run(db, st, m, "usage write", NULL);
}

static cr_err sp_usage_sum(cr_store *s, cr_store_usage_fn fn, void *ctx, cr_msg *m)
{
	sqlite3 *db = cr_store_sqlite_db(s);
	cr_err e;
	sqlite3_stmt *st = cr_sq_prep(db,
				"SELECT provider, date(time, 'unixepoch') AS day, count(*), sum(ok = 0),"
				" sum(prompt_tokens), sum(completion_tokens), sum(wall_ms), sum(cost)"
				" FROM usage GROUP BY day, provider ORDER BY day, provider",
				m, &e);
	if (!st)
		return e;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cr_usage_sum u = {
			.provider = (const char *)sqlite3_column_text(st, 0),
			.day = (const char *)sqlite3_column_text(st, 1),
			.calls = sqlite3_column_int64(st, 2),
			.failed = sqlite3_column_int64(st, 3),
			.prompt_tokens = sqlite3_column_int64(st, 4),
			.completion_tokens = sqlite3_column_int64(st, 5),
			.wall_ms = sqlite3_column_int64(st, 6),
			.cost = sqlite3_column_double(st, 7),
		};
		if (!u.day)
			u.day = "?";
		if (fn(ctx, &u))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		e = cr_sq_fail(db, m, "usage listing");
	sqlite3_finalize(st);
	return e;
}

const cr_store_prov_vt cr_store_sqlite_prov_vt = {
	.put = sp_put,
	.get = sp_get,
	.del = sp_del,
	.list = sp_list,
	.set_default = sp_set_default,
	.usage_add = sp_usage_add,
	.usage_sum = sp_usage_sum,
	.suspend = sp_suspend,
	.suspended = sp_suspended,
};
