/*
 * sqlite_user.c — the SQLite back end's users, groups and tokens (schema
 * v4, see sqlite.c). Rare calls (a CLI command; one token lookup per API
 * request), so statements are prepared per call.
 */
#include "store_int.h"

#include <sqlite3.h>
#include <string.h>

/* The id of a row of tenants or groups by name, inserted when new. */
static cr_err id_of(sqlite3 *db, const char *table, const char *name, int64_t *id, cr_msg *m)
{
	char sql[256];
	cr_err e;
	snprintf(sql, sizeof sql, "INSERT INTO %s(name) VALUES (?1) ON CONFLICT(name) DO NOTHING", table);
	if (!strcmp(table, "tenants"))
		snprintf(sql, sizeof sql,
			 "INSERT INTO tenants(id, name) SELECT (SELECT coalesce(max(id), 0) + 1 FROM tenants), ?1"
			 " WHERE NOT EXISTS (SELECT 1 FROM tenants WHERE name = ?1)");
	sqlite3_stmt *st = cr_sq_prep(db, sql, m, &e);
	if (!st)
		return e;
	cr_sq_bind_text(st, 1, name);
	e = cr_sq_run(db, st, m, "name write", NULL);
	if (e)
		return e;
	snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE name = ?1", table);
	if (!(st = cr_sq_prep(db, sql, m, &e)))
		return e;
	cr_sq_bind_text(st, 1, name);
	if (sqlite3_step(st) == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	else
		e = cr_sq_fail(db, m, "name lookup");
	sqlite3_finalize(st);
	return e;
}

static cr_err su_put(cr_store *s, const cr_user_row *r, cr_msg *m)
{
	sqlite3 *db = cr_store_sqlite_db(s);
	int own_tx = sqlite3_get_autocommit(db);
	cr_err e = own_tx ? cr_sq_exec(db, "BEGIN IMMEDIATE", m) : CR_OK;
	if (e)
		return e;
	int64_t tenant = 0, uid = 0;
	sqlite3_stmt *st = NULL;
	if ((e = id_of(db, "tenants", r->tenant ? r->tenant : "default", &tenant, m)))
		goto out;
	if (!(st = cr_sq_prep(db, "INSERT INTO users(name, role, tenant_id, pw_hash, created) VALUES (?1,?2,?3,?4,?5)", m, &e)))
		goto out;
	cr_sq_bind_text(st, 1, r->name);
	cr_sq_bind_text(st, 2, r->role);
	sqlite3_bind_int64(st, 3, tenant);
	cr_sq_bind_text(st, 4, r->pw_hash);
	sqlite3_bind_int64(st, 5, r->created ? r->created : cr_wallclock());
	e = cr_sq_run(db, st, m, "user write", NULL);
	if (e == CR_EEXIST)
		e = cr_fail(m, CR_EEXIST, "a user named %s exists", r->name);
	if (e)
		goto out;
	uid = sqlite3_last_insert_rowid(db);
	for (uint32_t i = 0; i < r->n_groups && !e; i++) {
		int64_t gid;
		if ((e = id_of(db, "groups", r->groups[i], &gid, m)))
			break;
		if (!(st = cr_sq_prep(db, "INSERT OR IGNORE INTO user_groups(user_id, group_id) VALUES (?1, ?2)", m, &e)))
			break;
		sqlite3_bind_int64(st, 1, uid);
		sqlite3_bind_int64(st, 2, gid);
		e = cr_sq_run(db, st, m, "group write", NULL);
	}
out:
	if (own_tx) {
		if (!e)
			e = cr_sq_exec(db, "COMMIT", m);
		if (e)
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	}
	return e;
}

#define USER_COLS "u.id, u.name, u.role, u.tenant_id, t.name, u.pw_hash, u.created"
#define USER_FROM " FROM users u LEFT JOIN tenants t ON t.id = u.tenant_id"

/* Fills a row from USER_COLS, then its groups. */
static cr_err read_user(sqlite3 *db, cr_arena *a, sqlite3_stmt *st, cr_user_row *r, cr_msg *m)
{
	int oom = 0;
	memset(r, 0, sizeof *r);
	r->id = sqlite3_column_int64(st, 0);
	r->name = cr_sq_col(a, st, 1, &oom);
	r->role = cr_sq_col(a, st, 2, &oom);
	r->tenant_id = (uint32_t)sqlite3_column_int64(st, 3);
	r->tenant = cr_sq_col(a, st, 4, &oom);
	r->pw_hash = cr_sq_col(a, st, 5, &oom);
	r->created = sqlite3_column_int64(st, 6);
	if (oom)
		return cr_fail(m, CR_ENOMEM, "out of memory");
	cr_err e;
	sqlite3_stmt *g = cr_sq_prep(db,
			       "SELECT g.id, g.name FROM user_groups ug JOIN groups g ON g.id = ug.group_id"
			       " WHERE ug.user_id = ?1 ORDER BY g.id",
			       m, &e);
	if (!g)
		return e;
	sqlite3_bind_int64(g, 1, r->id);
	size_t cap = 8, n = 0;
	uint32_t *ids = cr_arena_alloc(a, cap * sizeof *ids);
	const char **names = cr_arena_alloc(a, cap * sizeof *names);
	int rc;
	while (ids && names && (rc = sqlite3_step(g)) == SQLITE_ROW) {
		if (n == cap) {
			uint32_t *ni = cr_arena_alloc(a, 2 * cap * sizeof *ni);
			const char **nn = cr_arena_alloc(a, 2 * cap * sizeof *nn);
			if (!ni || !nn) {
				ids = NULL;
				break;
			}
			memcpy(ni, ids, n * sizeof *ni);
			memcpy(nn, names, n * sizeof *nn);
			ids = ni;
			names = nn;
			cap *= 2;
		}
		ids[n] = (uint32_t)sqlite3_column_int64(g, 0);
		names[n] = cr_sq_col(a, g, 1, &oom);
		n++;
	}
	sqlite3_finalize(g);
	if (!ids || !names || oom)
		return cr_fail(m, CR_ENOMEM, "out of memory");
	r->group_ids = ids;
	r->groups = names;
	r->n_groups = (uint32_t)n;
	return CR_OK;
}

static cr_err su_get(cr_store *s, cr_arena *a, const char *name, int64_t id, cr_user_row *out, cr_msg *m)
{
	sqlite3 *db = cr_store_sqlite_db(s);
	cr_err e;
	sqlite3_stmt *st = cr_sq_prep(db, name ? "SELECT " USER_COLS USER_FROM " WHERE u.name = ?1"
					 : "SELECT " USER_COLS USER_FROM " WHERE u.id = ?1",
				m, &e);
	if (!st)
		return e;
	if (name)
		cr_sq_bind_text(st, 1, name);
	else
		sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		e = read_user(db, a, st, out, m);
	else if (rc == SQLITE_DONE)
		e = name ? cr_fail(m, CR_ENOTFOUND, "no user %s", name) : cr_fail(m, CR_ENOTFOUND, "no user %lld", (long long)id);
	else
		e = cr_sq_fail(db, m, "user lookup");
	sqlite3_finalize(st);
	return e;
}

static cr_err su_del(cr_store *s, const char *name, cr_msg *m)
{
	sqlite3 *db = cr_store_sqlite_db(s);
	cr_err e;
	sqlite3_stmt *st = cr_sq_prep(db, "DELETE FROM users WHERE name = ?1", m, &e);
	if (!st)
		return e;
	cr_sq_bind_text(st, 1, name);
	int n = 0;
	if (!(e = cr_sq_run(db, st, m, "user delete", &n)) && !n)
		e = cr_fail(m, CR_ENOTFOUND, "no user %s", name);
	return e; /* tokens and group memberships go with it (ON DELETE CASCADE) */
}

static cr_err su_set_password(cr_store *s, const char *name, const char *pw_hash, cr_msg *m)
{
	sqlite3 *db = cr_store_sqlite_db(s);
	cr_err e;
	sqlite3_stmt *st = cr_sq_prep(db, "UPDATE users SET pw_hash = ?2 WHERE name = ?1", m, &e);
	if (!st)
		return e;
	cr_sq_bind_text(st, 1, name);
	cr_sq_bind_text(st, 2, pw_hash);
	int n = 0;
	if (!(e = cr_sq_run(db, st, m, "password write", &n)) && !n)
		e = cr_fail(m, CR_ENOTFOUND, "no user %s", name);
	return e;
}

static cr_err su_list(cr_store *s, cr_arena *a, cr_store_user_fn fn, void *ctx, cr_msg *m)
{
	sqlite3 *db = cr_store_sqlite_db(s);
	cr_err e;
	sqlite3_stmt *st = cr_sq_prep(db, "SELECT " USER_COLS USER_FROM " ORDER BY u.id", m, &e);
	if (!st)
		return e;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cr_user_row r;
		if ((e = read_user(db, a, st, &r, m)) || fn(ctx, &r))
			break;
	}
	if (!e && rc != SQLITE_ROW && rc != SQLITE_DONE)
		e = cr_sq_fail(db, m, "user listing");
	sqlite3_finalize(st);
	return e;
}

static cr_err su_count(cr_store *s, int64_t *n, cr_msg *m)
{
	sqlite3 *db = cr_store_sqlite_db(s);
	cr_err e;
	sqlite3_stmt *st = cr_sq_prep(db, "SELECT count(*) FROM users", m, &e);
	if (!st)
		return e;
	if (sqlite3_step(st) == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	else
		e = cr_sq_fail(db, m, "user count");
	sqlite3_finalize(st);
	return e;
}

static cr_err st_put(cr_store *s, const cr_token_row *r, int64_t *id, cr_msg *m)
{
	sqlite3 *db = cr_store_sqlite_db(s);
	cr_err e;
	sqlite3_stmt *st = cr_sq_prep(db, "INSERT INTO tokens(user_id, label, hash, created, expires) VALUES (?1,?2,?3,?4,?5)", m, &e);
	if (!st)
		return e;
	sqlite3_bind_int64(st, 1, r->user_id);
	cr_sq_bind_text(st, 2, r->label);
	cr_sq_bind_text(st, 3, r->hash);
	sqlite3_bind_int64(st, 4, r->created ? r->created : cr_wallclock());
	sqlite3_bind_int64(st, 5, r->expires);
	if (!(e = cr_sq_run(db, st, m, "token write", NULL)) && id)
		*id = sqlite3_last_insert_rowid(db);
	return e;
}

#define TOKEN_COLS "k.id, k.user_id, u.name, k.label, k.hash, k.created, k.expires, k.revoked"
#define TOKEN_FROM " FROM tokens k JOIN users u ON u.id = k.user_id"

static int read_token(cr_arena *a, sqlite3_stmt *st, cr_token_row *r)
{
	int oom = 0;
	memset(r, 0, sizeof *r);
	r->id = sqlite3_column_int64(st, 0);
	r->user_id = sqlite3_column_int64(st, 1);
	r->user = cr_sq_col(a, st, 2, &oom);
	r->label = cr_sq_col(a, st, 3, &oom);
	r->hash = cr_sq_col(a, st, 4, &oom);
	r->created = sqlite3_column_int64(st, 5);
	r->expires = sqlite3_column_int64(st, 6);
	r->revoked = sqlite3_column_int(st, 7);
	return oom;
}

static cr_err st_find(cr_store *s, cr_arena *a, const char *hash, cr_token_row *out, cr_msg *m)
{
	sqlite3 *db = cr_store_sqlite_db(s);
	cr_err e;
	sqlite3_stmt *st = cr_sq_prep(db, "SELECT " TOKEN_COLS TOKEN_FROM " WHERE k.hash = ?1", m, &e);
	if (!st)
		return e;
	cr_sq_bind_text(st, 1, hash);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		e = read_token(a, st, out) ? cr_fail(m, CR_ENOMEM, "out of memory") : CR_OK;
	else if (rc == SQLITE_DONE)
		e = cr_fail(m, CR_ENOTFOUND, "no such token");
	else
		e = cr_sq_fail(db, m, "token lookup");
	sqlite3_finalize(st);
	return e;
}

static cr_err st_list(cr_store *s, cr_store_token_fn fn, void *ctx, cr_msg *m)
{
	sqlite3 *db = cr_store_sqlite_db(s);
	cr_err e;
	sqlite3_stmt *st = cr_sq_prep(db, "SELECT " TOKEN_COLS TOKEN_FROM " ORDER BY k.id", m, &e);
	if (!st)
		return e;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cr_token_row r;
		read_token(NULL, st, &r);
		if (fn(ctx, &r))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		e = cr_sq_fail(db, m, "token listing");
	sqlite3_finalize(st);
	return e;
}

static cr_err st_revoke(cr_store *s, int64_t id, cr_msg *m)
{
	sqlite3 *db = cr_store_sqlite_db(s);
	cr_err e;
	sqlite3_stmt *st = cr_sq_prep(db, "UPDATE tokens SET revoked = 1 WHERE id = ?1", m, &e);
	if (!st)
		return e;
	sqlite3_bind_int64(st, 1, id);
	int n = 0;
	if (!(e = cr_sq_run(db, st, m, "token revoke", &n)) && !n)
		e = cr_fail(m, CR_ENOTFOUND, "no token %lld", (long long)id);
	return e;
}

const cr_store_user_vt cr_store_sqlite_user_vt = {
	.put = su_put,
	.get = su_get,
	.del = su_del,
	.set_password = su_set_password,
	.list = su_list,
	.count = su_count,
	.token_put = st_put,
	.token_find = st_find,
	.token_list = st_list,
	.token_revoke = st_revoke,
};
