/*
 * sqlite_util.c — small helpers the SQLite back end's table files share
 * (store_int.h): errors from the connection, statements prepared per call,
 * text bound and read, a statement run to its end, a plain SQL command.
 */
#include "store_int.h"

#include <sqlite3.h>
#include <string.h>

cr_err cr_sq_fail(sqlite3 *db, cr_msg *m, const char *what)
{
	int prim = sqlite3_errcode(db) & 0xff;
	cr_err e = prim == SQLITE_BUSY || prim == SQLITE_LOCKED ? CR_EBUSY
		   : prim == SQLITE_CONSTRAINT			? CR_EEXIST
		   : prim == SQLITE_NOMEM			? CR_ENOMEM
		   : prim == SQLITE_CORRUPT			? CR_ECORRUPT
								: CR_EIO;
	return cr_fail(m, e, "catalog: %s: %s", what, sqlite3_errmsg(db));
}

sqlite3_stmt *cr_sq_prep(sqlite3 *db, const char *sql, cr_msg *m, cr_err *e)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		*e = cr_sq_fail(db, m, "prepare");
		return NULL;
	}
	*e = CR_OK;
	return st;
}

void cr_sq_bind_text(sqlite3_stmt *st, int i, const char *t)
{
	if (t)
		sqlite3_bind_text(st, i, t, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

const char *cr_sq_col(cr_arena *a, sqlite3_stmt *st, int i, int *oom)
{
	const char *t = (const char *)sqlite3_column_text(st, i);
	if (!t || !a)
		return t;
	char *d = cr_arena_strndup(a, t, (size_t)sqlite3_column_bytes(st, i));
	if (!d)
		*oom = 1;
	return d;
}

cr_err cr_sq_run(sqlite3 *db, sqlite3_stmt *st, cr_msg *m, const char *what, int *changes)
{
	cr_err e = sqlite3_step(st) == SQLITE_DONE ? CR_OK : cr_sq_fail(db, m, what);
	if (changes)
		*changes = sqlite3_changes(db);
	sqlite3_finalize(st);
	return e;
}

cr_err cr_sq_exec(sqlite3 *db, const char *sql, cr_msg *m)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? CR_OK : cr_sq_fail(db, m, sql);
}

cr_err cr_sq_tx_begin(sqlite3 *db, int *own, cr_msg *m)
{
	*own = sqlite3_get_autocommit(db);
	return *own ? cr_sq_exec(db, "BEGIN IMMEDIATE", m) : CR_OK;
}

cr_err cr_sq_tx_end(sqlite3 *db, int own, cr_err e, cr_msg *m)
{
	if (own) {
		if (!e)
			e = cr_sq_exec(db, "COMMIT", m);
		if (e)
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	}
	return e;
}

cr_err cr_sq_del_named(sqlite3 *db, const char *sql, const char *what, const char *name, cr_msg *m)
{
	cr_err e;
	sqlite3_stmt *st = cr_sq_prep(db, sql, m, &e);
	if (!st)
		return e;
	cr_sq_bind_text(st, 1, name);
	int n = 0;
	char ctx[64];
	snprintf(ctx, sizeof ctx, "%s delete", what);
	if (!(e = cr_sq_run(db, st, m, ctx, &n)) && !n)
		e = cr_fail(m, CR_ENOTFOUND, "no %s named %s", what, name);
	return e;
}
