/*
 * sqlite_user.c — the SQLite back end's users, groups and tokens (schema
 * v4, see sqlite.c). Rare calls (a CLI command; one token lookup per API
 * request), so statements are prepared per call.
 */
#include "store_int.h"

#include <sqlite3.h>
#include <stdio.h>
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

/* Gives user uid the addresses (inside the caller's transaction). */
static cr_err put_emails(sqlite3 *db, int64_t uid, const char *name, const char *const *emails, uint32_t n,
			 cr_msg *m)
{
	cr_err e = CR_OK;
	for (uint32_t i = 0; i < n && !e; i++) {
		sqlite3_stmt *st = cr_sq_prep(db, "INSERT INTO user_emails(user_id, addr) VALUES (?1, ?2)"
						  " ON CONFLICT(user_id, addr) DO NOTHING",
					      m, &e);
		if (!st)
			break;
		sqlite3_bind_int64(st, 1, uid);
		cr_sq_bind_text(st, 2, emails[i]);
		if ((e = cr_sq_run(db, st, m, "e-mail write", NULL)) == CR_EEXIST)
			e = cr_fail(m, CR_EEXIST, "%s: another user has the address %s", name, emails[i]);
	}
	return e;
}

static cr_err su_put(cr_store *s, const cr_user_row *r, cr_msg *m)
{
	sqlite3 *db = cr_store_sqlite_db(s);
	int own_tx;
	cr_err e = cr_sq_tx_begin(db, &own_tx, m);
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
	if (!e)
		e = put_emails(db, uid, r->name, r->emails, r->n_emails, m);
out:
	return cr_sq_tx_end(db, own_tx, e, m);
}

#define USER_COLS "u.id, u.name, u.role, u.tenant_id, t.name, u.pw_hash, u.created"
#define USER_FROM " FROM users u LEFT JOIN tenants t ON t.id = u.tenant_id"

/* Fills r->emails and r->principal_ids (its groups already read): the
 * addresses in order, the principals of those some document named (rows
 * of addresses) after the groups. Address ids ascend with the addresses'
 * row ids and lie above every group id, so the whole stays ascending. */
static cr_err read_emails(sqlite3 *db, cr_arena *a, cr_user_row *r, cr_msg *m)
{
	cr_err e;
	sqlite3_stmt *st = cr_sq_prep(db,
				      "SELECT e.addr, a.id FROM user_emails e LEFT JOIN addresses a ON a.addr = e.addr"
				      " WHERE e.user_id = ?1 ORDER BY a.id IS NULL, a.id, e.addr",
				      m, &e);
	if (!st)
		return e;
	sqlite3_bind_int64(st, 1, r->id);
	size_t cap = 4, n = 0, n_ids = 0;
	const char **em = cr_arena_alloc(a, cap * sizeof *em);
	uint32_t *ids = cr_arena_alloc(a, (r->n_groups + cap) * sizeof *ids);
	int rc, oom = !em || !ids;
	if (ids && r->n_groups)
		memcpy(ids, r->group_ids, r->n_groups * sizeof *ids);
	while (!oom && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			const char **ne = cr_arena_alloc(a, 2 * cap * sizeof *ne);
			uint32_t *ni = cr_arena_alloc(a, (r->n_groups + 2 * cap) * sizeof *ni);
			if (!ne || !ni) {
				oom = 1;
				break;
			}
			memcpy(ne, em, n * sizeof *ne);
			memcpy(ni, ids, (r->n_groups + n_ids) * sizeof *ni);
			em = ne;
			ids = ni;
			cap *= 2;
		}
		em[n++] = cr_sq_col(a, st, 0, &oom);
		if (sqlite3_column_type(st, 1) != SQLITE_NULL)
			ids[r->n_groups + n_ids++] = CR_ACL_ADDRESS_BASE + (uint32_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (oom)
		return cr_fail(m, CR_ENOMEM, "out of memory");
	r->emails = em;
	r->n_emails = (uint32_t)n;
	r->principal_ids = ids;
	r->n_principal_ids = r->n_groups + (uint32_t)n_ids;
	return CR_OK;
}

/* Fills a row from USER_COLS, then its groups and addresses. */
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
	return read_emails(db, a, r, m);
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
	/* tokens and group memberships go with it (ON DELETE CASCADE) */
	return cr_sq_del_named(cr_store_sqlite_db(s), "DELETE FROM users WHERE name = ?1", "user", name, m);
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

static cr_err su_set_emails(cr_store *s, const char *name, const char *const *emails, uint32_t n, cr_msg *m)
{
	sqlite3 *db = cr_store_sqlite_db(s);
	int own_tx;
	cr_err e = cr_sq_tx_begin(db, &own_tx, m);
	if (e)
		return e;
	int64_t uid = 0;
	sqlite3_stmt *st = cr_sq_prep(db, "SELECT id FROM users WHERE name = ?1", m, &e);
	if (st) {
		cr_sq_bind_text(st, 1, name);
		if (sqlite3_step(st) == SQLITE_ROW)
			uid = sqlite3_column_int64(st, 0);
		else
			e = cr_fail(m, CR_ENOTFOUND, "no user %s", name);
		sqlite3_finalize(st);
	}
	if (!e && (st = cr_sq_prep(db, "DELETE FROM user_emails WHERE user_id = ?1", m, &e))) {
		sqlite3_bind_int64(st, 1, uid);
		e = cr_sq_run(db, st, m, "e-mail delete", NULL);
	}
	if (!e)
		e = put_emails(db, uid, name, emails, n, m);
	return cr_sq_tx_end(db, own_tx, e, m);
}

static cr_err su_address_ids(cr_store *s, const char *const *addrs, size_t n, uint32_t *ids, cr_msg *m)
{
	sqlite3 *db = cr_store_sqlite_db(s);
	sqlite3_stmt **ins = cr_store_sqlite_stmt_slot(s, "address_ins");
	sqlite3_stmt **sel = cr_store_sqlite_stmt_slot(s, "address_sel");
	cr_err e = CR_OK;
	if (!*ins && !(*ins = cr_sq_prep(db, "INSERT INTO addresses(addr) VALUES (?1) ON CONFLICT(addr) DO NOTHING", m, &e)))
		return e;
	if (!*sel && !(*sel = cr_sq_prep(db, "SELECT id FROM addresses WHERE addr = ?1", m, &e)))
		return e;
	for (size_t i = 0; i < n && !e; i++) {
		sqlite3_reset(*sel);
		cr_sq_bind_text(*sel, 1, addrs[i]);
		int rc = sqlite3_step(*sel);
		if (rc == SQLITE_DONE) {
			sqlite3_reset(*ins);
			cr_sq_bind_text(*ins, 1, addrs[i]);
			if (sqlite3_step(*ins) != SQLITE_DONE) {
				e = cr_sq_fail(db, m, "address write");
				break;
			}
			sqlite3_reset(*sel);
			cr_sq_bind_text(*sel, 1, addrs[i]);
			rc = sqlite3_step(*sel);
		}
		if (rc != SQLITE_ROW) {
			e = cr_sq_fail(db, m, "address lookup");
			break;
		}
		int64_t id = sqlite3_column_int64(*sel, 0);
		if (id <= 0 || id >= (int64_t)(UINT32_MAX - CR_ACL_ADDRESS_BASE))
			e = cr_fail(m, CR_ECORRUPT, "catalog: address id %lld out of range", (long long)id);
		ids[i] = CR_ACL_ADDRESS_BASE + (uint32_t)id;
	}
	if (*sel)
		sqlite3_reset(*sel);
	if (*ins)
		sqlite3_reset(*ins);
	return e;
}

static cr_err su_set(cr_store *s, const char *name, const char *role, const char *const *groups, uint32_t n_groups,
		     int set_groups, cr_msg *m)
{
	sqlite3 *db = cr_store_sqlite_db(s);
	int own_tx;
	cr_err e = cr_sq_tx_begin(db, &own_tx, m);
	if (e)
		return e;
	int64_t uid = 0;
	sqlite3_stmt *st = cr_sq_prep(db, "SELECT id FROM users WHERE name = ?1", m, &e);
	if (!st)
		goto out;
	cr_sq_bind_text(st, 1, name);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		uid = sqlite3_column_int64(st, 0);
	else
		e = rc == SQLITE_DONE ? cr_fail(m, CR_ENOTFOUND, "no user %s", name) : cr_sq_fail(db, m, "user lookup");
	sqlite3_finalize(st);
	if (e)
		goto out;
	if (role) {
		if (!(st = cr_sq_prep(db, "UPDATE users SET role = ?2 WHERE id = ?1", m, &e)))
			goto out;
		sqlite3_bind_int64(st, 1, uid);
		cr_sq_bind_text(st, 2, role);
		if ((e = cr_sq_run(db, st, m, "role write", NULL)))
			goto out;
	}
	if (set_groups) {
		if (!(st = cr_sq_prep(db, "DELETE FROM user_groups WHERE user_id = ?1", m, &e)))
			goto out;
		sqlite3_bind_int64(st, 1, uid);
		if ((e = cr_sq_run(db, st, m, "group write", NULL)))
			goto out;
		for (uint32_t i = 0; i < n_groups && !e; i++) {
			int64_t gid;
			if ((e = id_of(db, "groups", groups[i], &gid, m)))
				break;
			if (!(st = cr_sq_prep(db, "INSERT OR IGNORE INTO user_groups(user_id, group_id) VALUES (?1, ?2)", m, &e)))
				break;
			sqlite3_bind_int64(st, 1, uid);
			sqlite3_bind_int64(st, 2, gid);
			e = cr_sq_run(db, st, m, "group write", NULL);
		}
	}
out:
	return cr_sq_tx_end(db, own_tx, e, m);
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

/* ---- tenants, groups, sessions, quotas, attributed usage (v7) ------------ */

static cr_err sn_add(cr_store *s, const char *table, const char *name, cr_msg *m)
{
	sqlite3 *db = cr_store_sqlite_db(s);
	cr_err e;
	int tenants = !strcmp(table, "tenants");
	sqlite3_stmt *st = cr_sq_prep(db, tenants ? "INSERT INTO tenants(id, name) VALUES"
						    " ((SELECT coalesce(max(id), 0) + 1 FROM tenants), ?1)"
						  : "INSERT INTO groups(name) VALUES (?1)",
				      m, &e);
	if (!st)
		return e;
	cr_sq_bind_text(st, 1, name);
	e = cr_sq_run(db, st, m, tenants ? "tenant write" : "group write", NULL);
	if (e == CR_EEXIST)
		e = cr_fail(m, CR_EEXIST, "a %s named %s exists", tenants ? "tenant" : "group", name);
	return e;
}

static cr_err sn_list(cr_store *s, const char *table, cr_store_name_fn fn, void *ctx, cr_msg *m)
{
	sqlite3 *db = cr_store_sqlite_db(s);
	cr_err e;
	sqlite3_stmt *st = cr_sq_prep(db, !strcmp(table, "tenants")
						  ? "SELECT t.id, t.name, (SELECT count(*) FROM users u WHERE u.tenant_id = t.id)"
						    " FROM tenants t ORDER BY t.id"
						  : "SELECT g.id, g.name, (SELECT count(*) FROM user_groups ug WHERE"
						    " ug.group_id = g.id) FROM groups g ORDER BY g.id",
				      m, &e);
	if (!st)
		return e;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cr_name_row r = {.id = sqlite3_column_int64(st, 0),
				 .name = (const char *)sqlite3_column_text(st, 1),
				 .n_users = sqlite3_column_int64(st, 2)};
		if (fn(ctx, &r))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		e = cr_sq_fail(db, m, "listing");
	sqlite3_finalize(st);
	return e;
}

static cr_err sg_del(cr_store *s, const char *name, cr_msg *m)
{
	return cr_sq_del_named(cr_store_sqlite_db(s), "DELETE FROM groups WHERE name = ?1", "group", name, m);
}

static cr_err ss_put(cr_store *s, const cr_session_row *r, int64_t *id, cr_msg *m)
{
	sqlite3 *db = cr_store_sqlite_db(s);
	cr_err e;
	sqlite3_stmt *st = cr_sq_prep(db, "INSERT INTO sessions(hash, user_id, created, seen, expires) VALUES (?1,?2,?3,?4,?5)",
				      m, &e);
	if (!st)
		return e;
	int64_t now = cr_wallclock();
	cr_sq_bind_text(st, 1, r->hash);
	sqlite3_bind_int64(st, 2, r->user_id);
	sqlite3_bind_int64(st, 3, r->created ? r->created : now);
	sqlite3_bind_int64(st, 4, r->seen ? r->seen : now);
	sqlite3_bind_int64(st, 5, r->expires);
	if (!(e = cr_sq_run(db, st, m, "session write", NULL)) && id)
		*id = sqlite3_last_insert_rowid(db);
	return e;
}

static cr_err ss_find(cr_store *s, cr_arena *a, const char *hash, cr_session_row *out, cr_msg *m)
{
	sqlite3 *db = cr_store_sqlite_db(s);
	cr_err e;
	sqlite3_stmt *st =
		cr_sq_prep(db, "SELECT id, user_id, hash, created, seen, expires FROM sessions WHERE hash = ?1", m, &e);
	if (!st)
		return e;
	cr_sq_bind_text(st, 1, hash);
	int rc = sqlite3_step(st), oom = 0;
	if (rc == SQLITE_ROW) {
		memset(out, 0, sizeof *out);
		out->id = sqlite3_column_int64(st, 0);
		out->user_id = sqlite3_column_int64(st, 1);
		out->hash = cr_sq_col(a, st, 2, &oom);
		out->created = sqlite3_column_int64(st, 3);
		out->seen = sqlite3_column_int64(st, 4);
		out->expires = sqlite3_column_int64(st, 5);
		if (oom)
			e = cr_fail(m, CR_ENOMEM, "out of memory");
	} else if (rc == SQLITE_DONE)
		e = cr_fail(m, CR_ENOTFOUND, "no such session");
	else
		e = cr_sq_fail(db, m, "session lookup");
	sqlite3_finalize(st);
	return e;
}

static cr_err ss_touch(cr_store *s, int64_t id, int64_t seen, cr_msg *m)
{
	sqlite3 *db = cr_store_sqlite_db(s);
	cr_err e;
	sqlite3_stmt *st = cr_sq_prep(db, "UPDATE sessions SET seen = ?2 WHERE id = ?1", m, &e);
	if (!st)
		return e;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, seen);
	return cr_sq_run(db, st, m, "session write", NULL);
}

static cr_err ss_del(cr_store *s, const char *hash, int64_t now, int *n, cr_msg *m)
{
	sqlite3 *db = cr_store_sqlite_db(s);
	cr_err e;
	sqlite3_stmt *st = cr_sq_prep(db, hash ? "DELETE FROM sessions WHERE hash = ?1"
					       : "DELETE FROM sessions WHERE expires <= ?2",
				      m, &e);
	if (!st)
		return e;
	if (hash)
		cr_sq_bind_text(st, 1, hash);
	else
		sqlite3_bind_int64(st, 2, now);
	int k = 0;
	e = cr_sq_run(db, st, m, "session delete", &k);
	if (n)
		*n = k;
	return e;
}

static cr_err ss_del_user(cr_store *s, int64_t user_id, const char *keep, int *n, cr_msg *m)
{
	sqlite3 *db = cr_store_sqlite_db(s);
	cr_err e;
	sqlite3_stmt *st = cr_sq_prep(db, "DELETE FROM sessions WHERE user_id = ?1 AND hash IS NOT ?2", m, &e);
	if (!st)
		return e;
	sqlite3_bind_int64(st, 1, user_id);
	cr_sq_bind_text(st, 2, keep);
	int k = 0;
	e = cr_sq_run(db, st, m, "session delete", &k);
	if (n)
		*n = k;
	return e;
}

static void bind_limit(sqlite3_stmt *st, int i, int64_t v)
{
	if (v >= 0)
		sqlite3_bind_int64(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

static cr_err sq_quota_put(cr_store *s, const cr_quota_row *r, cr_msg *m)
{
	sqlite3 *db = cr_store_sqlite_db(s);
	cr_err e;
	sqlite3_stmt *st = cr_sq_prep(db,
				      "INSERT INTO quotas(scope, name, requests_per_day, tokens_per_day, cost_per_month)"
				      " VALUES (?1,?2,?3,?4,?5) ON CONFLICT(scope, name) DO UPDATE SET"
				      " requests_per_day = coalesce(?3, requests_per_day),"
				      " tokens_per_day = coalesce(?4, tokens_per_day),"
				      " cost_per_month = coalesce(?5, cost_per_month)",
				      m, &e);
	if (!st)
		return e;
	cr_sq_bind_text(st, 1, r->scope);
	cr_sq_bind_text(st, 2, r->name);
	bind_limit(st, 3, r->requests_per_day);
	bind_limit(st, 4, r->tokens_per_day);
	if (r->cost_per_month >= 0)
		sqlite3_bind_double(st, 5, r->cost_per_month);
	else
		sqlite3_bind_null(st, 5);
	return cr_sq_run(db, st, m, "quota write", NULL);
}

static void read_quota(cr_arena *a, sqlite3_stmt *st, cr_quota_row *r, int *oom)
{
	r->scope = cr_sq_col(a, st, 0, oom);
	r->name = cr_sq_col(a, st, 1, oom);
	r->requests_per_day = sqlite3_column_type(st, 2) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 2);
	r->tokens_per_day = sqlite3_column_type(st, 3) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 3);
	r->cost_per_month = sqlite3_column_type(st, 4) == SQLITE_NULL ? -1 : sqlite3_column_double(st, 4);
}

#define QUOTA_COLS "SELECT scope, name, requests_per_day, tokens_per_day, cost_per_month FROM quotas"

static cr_err sq_quota_get(cr_store *s, cr_arena *a, const char *scope, const char *name, cr_quota_row *out, cr_msg *m)
{
	sqlite3 *db = cr_store_sqlite_db(s);
	cr_err e;
	sqlite3_stmt *st = cr_sq_prep(db, QUOTA_COLS " WHERE scope = ?1 AND name = ?2", m, &e);
	if (!st)
		return e;
	cr_sq_bind_text(st, 1, scope);
	cr_sq_bind_text(st, 2, name);
	int rc = sqlite3_step(st), oom = 0;
	if (rc == SQLITE_ROW) {
		read_quota(a, st, out, &oom);
		if (oom)
			e = cr_fail(m, CR_ENOMEM, "out of memory");
	} else if (rc == SQLITE_DONE)
		e = cr_fail(m, CR_ENOTFOUND, "no quota on %s %s", scope, name);
	else
		e = cr_sq_fail(db, m, "quota lookup");
	sqlite3_finalize(st);
	return e;
}

static cr_err sq_quota_list(cr_store *s, cr_store_quota_fn fn, void *ctx, cr_msg *m)
{
	sqlite3 *db = cr_store_sqlite_db(s);
	cr_err e;
	sqlite3_stmt *st = cr_sq_prep(db, QUOTA_COLS " ORDER BY scope DESC, name", m, &e);
	if (!st)
		return e;
	int rc, oom = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cr_quota_row r;
		read_quota(NULL, st, &r, &oom);
		if (fn(ctx, &r))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		e = cr_sq_fail(db, m, "quota listing");
	sqlite3_finalize(st);
	return e;
}

static cr_err sq_quota_del(cr_store *s, const char *scope, const char *name, cr_msg *m)
{
	sqlite3 *db = cr_store_sqlite_db(s);
	cr_err e;
	sqlite3_stmt *st = cr_sq_prep(db, "DELETE FROM quotas WHERE scope = ?1 AND name = ?2", m, &e);
	if (!st)
		return e;
	cr_sq_bind_text(st, 1, scope);
	cr_sq_bind_text(st, 2, name);
	int n = 0;
	if (!(e = cr_sq_run(db, st, m, "quota delete", &n)) && !n)
		e = cr_fail(m, CR_ENOTFOUND, "no quota on %s %s", scope, name);
	return e;
}

/* The first row of a query whose parameters are among ?1, ?2 (text) and ?3
 * (integer; binding a parameter a query lacks is a harmless SQLITE_RANGE):
 * column 0 as an integer, column 1 as a double. */
static cr_err one_value(sqlite3 *db, const char *sql, const char *a1, const char *a2, int64_t a3, int64_t *iv,
			double *dv, cr_msg *m)
{
	cr_err e;
	sqlite3_stmt *st = cr_sq_prep(db, sql, m, &e);
	if (!st)
		return e;
	cr_sq_bind_text(st, 1, a1);
	cr_sq_bind_text(st, 2, a2);
	sqlite3_bind_int64(st, 3, a3);
	if (sqlite3_step(st) == SQLITE_ROW) {
		if (iv)
			*iv = sqlite3_column_int64(st, 0);
		if (dv)
			*dv = sqlite3_column_double(st, 1);
	} else
		e = cr_sq_fail(db, m, "usage lookup");
	sqlite3_finalize(st);
	return e;
}

static cr_err sr_add(cr_store *s, const char *user, const char *tenant, int64_t *n_user, int64_t *n_tenant, cr_msg *m)
{
	sqlite3 *db = cr_store_sqlite_db(s);
	cr_err e;
	sqlite3_stmt *st = cr_sq_prep(db,
				      "INSERT INTO requests(day, user, tenant, n) VALUES (date('now'), ?1, ?2, 1)"
				      " ON CONFLICT(day, user) DO UPDATE SET n = n + 1, tenant = ?2",
				      m, &e);
	if (!st)
		return e;
	cr_sq_bind_text(st, 1, user);
	cr_sq_bind_text(st, 2, tenant);
	if ((e = cr_sq_run(db, st, m, "request count", NULL)))
		return e;
	if (n_user && (e = one_value(db, "SELECT coalesce(sum(n), 0), 0 FROM requests WHERE day = date('now') AND user = ?1",
				     user, tenant, 0, n_user, NULL, m)))
		return e;
	if (n_tenant)
		e = one_value(db, "SELECT coalesce(sum(n), 0), 0 FROM requests WHERE day = date('now') AND tenant = ?2",
			      user, tenant, 0, n_tenant, NULL, m);
	return e;
}

static cr_err su_usage_of(cr_store *s, const char *scope, const char *name, int64_t since, int64_t *requests,
			  int64_t *tokens, double *cost, cr_msg *m)
{
	sqlite3 *db = cr_store_sqlite_db(s);
	int user = !strcmp(scope, "user");
	cr_err e = CR_OK;
	if (requests)
		e = one_value(db, user ? "SELECT coalesce(sum(n), 0), 0 FROM requests WHERE user = ?1 AND day >= date(?3, 'unixepoch')"
				       : "SELECT coalesce(sum(n), 0), 0 FROM requests WHERE tenant = ?1 AND day >= date(?3, 'unixepoch')",
			      name, NULL, since, requests, NULL, m);
	if (!e && (tokens || cost)) {
		int64_t t = 0;
		double c = 0;
		e = one_value(db, user ? "SELECT coalesce(sum(prompt_tokens + completion_tokens), 0), coalesce(sum(cost), 0)"
					 " FROM usage JOIN usage_who w ON w.id = usage.id WHERE w.user = ?1 AND time >= ?3"
				       : "SELECT coalesce(sum(prompt_tokens + completion_tokens), 0), coalesce(sum(cost), 0)"
					 " FROM usage JOIN usage_who w ON w.id = usage.id WHERE w.tenant = ?1 AND time >= ?3",
			      name, NULL, since, &t, &c, m);
		if (tokens)
			*tokens = t;
		if (cost)
			*cost = c;
	}
	return e;
}

static cr_err su_usage_by(cr_store *s, const char *by, const char *tenant, const char *user, cr_store_usage_by_fn fn,
			  void *ctx, cr_msg *m)
{
	sqlite3 *db = cr_store_sqlite_db(s);
	char sql[1024];
	int day = !strcmp(by, "day");
	const char *col = !strcmp(by, "user")	  ? "w.user"
			  : !strcmp(by, "tenant") ? "w.tenant"
			  : day			  ? "date(time, 'unixepoch') || ' ' || provider"
						  : "provider";
	int with_req = strcmp(by, "provider") && !day;
	/* provider calls by key, and (by user or tenant) the requests counted */
	snprintf(sql, sizeof sql,
		 "WITH u AS (SELECT coalesce(%s, '') AS k, count(*) AS calls, sum(ok = 0) AS failed,"
		 " sum(prompt_tokens) AS pt, sum(completion_tokens) AS ct, sum(cost) AS cost, sum(wall_ms) AS ms"
		 " FROM usage LEFT JOIN usage_who w ON w.id = usage.id"
		 " WHERE (?1 IS NULL OR w.tenant = ?1) AND (?2 IS NULL OR w.user = ?2) GROUP BY 1),"
		 " r AS (SELECT %s AS k, sum(n) AS n FROM requests WHERE %d AND (?1 IS NULL OR tenant = ?1)"
		 " AND (?2 IS NULL OR user = ?2) GROUP BY 1),"
		 " keys AS (SELECT k FROM u UNION SELECT k FROM r)"
		 " SELECT keys.k, coalesce(r.n, 0), coalesce(u.calls, 0), coalesce(u.failed, 0), coalesce(u.pt, 0),"
		 " coalesce(u.ct, 0), coalesce(u.cost, 0), coalesce(u.ms, 0) FROM keys LEFT JOIN u ON u.k = keys.k"
		 " LEFT JOIN r ON r.k = keys.k ORDER BY keys.k",
		 col, with_req ? col + 2 : "''", with_req);
	cr_err e;
	sqlite3_stmt *st = cr_sq_prep(db, sql, m, &e);
	if (!st)
		return e;
	cr_sq_bind_text(st, 1, tenant);
	cr_sq_bind_text(st, 2, user);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cr_usage_by_row r = {.key = (const char *)sqlite3_column_text(st, 0),
				     .requests = sqlite3_column_int64(st, 1),
				     .calls = sqlite3_column_int64(st, 2),
				     .failed = sqlite3_column_int64(st, 3),
				     .prompt_tokens = sqlite3_column_int64(st, 4),
				     .completion_tokens = sqlite3_column_int64(st, 5),
				     .cost = sqlite3_column_double(st, 6),
				     .wall_ms = sqlite3_column_int64(st, 7)};
		if (!r.key)
			r.key = "";
		char dk[128];
		if (day) { /* "YYYY-MM-DD provider" */
			snprintf(dk, sizeof dk, "%s", r.key);
			char *sp = strchr(dk, ' ');
			if (sp) {
				*sp = 0;
				r.provider = r.key + (sp - dk) + 1;
			}
			r.key = dk;
		}
		if (fn(ctx, &r))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		e = cr_sq_fail(db, m, "usage report");
	sqlite3_finalize(st);
	return e;
}

const cr_store_user_vt cr_store_sqlite_user_vt = {
	.put = su_put,
	.get = su_get,
	.del = su_del,
	.set_password = su_set_password,
	.set = su_set,
	.set_emails = su_set_emails,
	.address_ids = su_address_ids,
	.list = su_list,
	.count = su_count,
	.token_put = st_put,
	.token_find = st_find,
	.token_list = st_list,
	.token_revoke = st_revoke,
	.name_add = sn_add,
	.name_list = sn_list,
	.group_del = sg_del,
	.session_put = ss_put,
	.session_find = ss_find,
	.session_touch = ss_touch,
	.session_del = ss_del,
	.session_del_user = ss_del_user,
	.quota_put = sq_quota_put,
	.quota_get = sq_quota_get,
	.quota_list = sq_quota_list,
	.quota_del = sq_quota_del,
	.request_add = sr_add,
	.usage_of = su_usage_of,
	.usage_by = su_usage_by,
};
