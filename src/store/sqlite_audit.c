/*
 * sqlite_audit.c — the SQLite back end's audit table (schema v4, see
 * sqlite.c). An append reads the last record and inserts the next inside
 * one BEGIN IMMEDIATE transaction (or a savepoint within the caller's), so
 * two processes appending at once serialize on SQLite's write lock and the
 * chain never forks. Statements are prepared per call: one record per
 * user action is rare next to the work it records.
 */
#include "store_int.h"

#include <sqlite3.h>
#include <string.h>
#include <sys/time.h>

typedef struct sq_audit_keep {
	char prev[65], hash[65];
} sq_audit_keep;

static _Thread_local sq_audit_keep keep; /* r->prev and r->hash point here */

static int64_t now_us(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

static cr_err sa_append(cr_store *s, cr_audit_row *r, cr_store_audit_seal_fn seal, void *ctx, cr_msg *m)
{
	sqlite3 *db = cr_store_sqlite_db(s);
	int own = sqlite3_get_autocommit(db);
	cr_err e = cr_sq_exec(db, own ? "BEGIN IMMEDIATE" : "SAVEPOINT audit", m);
	if (e)
		return e;
	sqlite3_stmt *st = cr_sq_prep(db, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", m, &e);
	if (!st)
		goto out;
	int rc = sqlite3_step(st);
	r->seq = 1;
	keep.prev[0] = 0;
	if (rc == SQLITE_ROW) {
		r->seq = sqlite3_column_int64(st, 0) + 1;
		const char *h = (const char *)sqlite3_column_text(st, 1);
		snprintf(keep.prev, sizeof keep.prev, "%s", h ? h : "");
	} else if (rc != SQLITE_DONE) {
		e = cr_sq_fail(db, m, "reading the audit log's end");
	}
	sqlite3_finalize(st);
	if (e)
		goto out;
	if (!r->time)
		r->time = now_us();
	r->prev = keep.prev;
	seal(ctx, r, keep.hash);
	r->hash = keep.hash;
	st = cr_sq_prep(db, "INSERT INTO audit(seq, time, actor, action, detail, prev, hash) VALUES (?,?,?,?,?,?,?)", m,
			&e);
	if (!st)
		goto out;
	sqlite3_bind_int64(st, 1, r->seq);
	sqlite3_bind_int64(st, 2, r->time);
	cr_sq_bind_text(st, 3, r->actor);
	cr_sq_bind_text(st, 4, r->action);
	cr_sq_bind_text(st, 5, r->detail);
	cr_sq_bind_text(st, 6, r->prev);
	cr_sq_bind_text(st, 7, r->hash);
	if (sqlite3_step(st) != SQLITE_DONE)
		e = cr_sq_fail(db, m, "appending to the audit log");
	sqlite3_finalize(st);
out:
	if (e) {
		if (own)
			CR_IGNORE(cr_sq_exec(db, "ROLLBACK", NULL));
		else
			CR_IGNORE(cr_sq_exec(db, "ROLLBACK TO audit; RELEASE audit", NULL));
		return e;
	}
	return cr_sq_exec(db, own ? "COMMIT" : "RELEASE audit", m);
}

static cr_err sa_list(cr_store *s, int64_t from_seq, int64_t since_time, cr_store_audit_fn fn, void *ctx,
		      cr_msg *m)
{
	sqlite3 *db = cr_store_sqlite_db(s);
	cr_err e;
	sqlite3_stmt *st = cr_sq_prep(db,
				      "SELECT seq, time, actor, action, detail, prev, hash FROM audit"
				      " WHERE seq >= ? AND time >= ? ORDER BY seq",
				      m, &e);
	if (!st)
		return e;
	sqlite3_bind_int64(st, 1, from_seq);
	sqlite3_bind_int64(st, 2, since_time);
	int rc, oom = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cr_audit_row r = {
			.seq = sqlite3_column_int64(st, 0),
			.time = sqlite3_column_int64(st, 1),
			.actor = cr_sq_col(NULL, st, 2, &oom),
			.action = cr_sq_col(NULL, st, 3, &oom),
			.detail = cr_sq_col(NULL, st, 4, &oom),
			.prev = cr_sq_col(NULL, st, 5, &oom),
			.hash = cr_sq_col(NULL, st, 6, &oom),
		};
		if (!r.actor || !r.action || !r.detail || !r.prev || !r.hash) {
			sqlite3_finalize(st);
			return cr_fail(m, CR_ECORRUPT, "audit log: record %lld has an empty field", (long long)r.seq);
		}
		if (fn(ctx, &r))
			break;
	}
	e = rc == SQLITE_ROW || rc == SQLITE_DONE ? CR_OK : cr_sq_fail(db, m, "reading the audit log");
	sqlite3_finalize(st);
	return e;
}

const cr_store_audit_vt cr_store_sqlite_audit_vt = {
	.append = sa_append,
	.list = sa_list,
};
