/*
 * sqlite_agent.c — the SQLite back end's agents and agent_runs tables
 * (schema v8, see sqlite.c). Rare calls (a command, a run's start and
 * end): statements are prepared per call. A scheduler's claim is a
 * compare-and-set of agents.last_due in the BEGIN IMMEDIATE transaction
 * that inserts the run, so of two processes claiming one fire time, one
 * writes both and the other sees last_due moved and writes nothing.
 */
#include "store_int.h"

#include <sqlite3.h>
#include <string.h>

#define AGENT_COLS "id, name, instructions, tools, scopes, provider, schedule, out_dir, created, last_due"

static int read_agent(cr_arena *a, sqlite3_stmt *st, cr_agent_row *r)
{
	int oom = 0;
	memset(r, 0, sizeof *r);
	r->id = sqlite3_column_int64(st, 0);
	r->name = cr_sq_col(a, st, 1, &oom);
	r->instructions = cr_sq_col(a, st, 2, &oom);
	r->tools = cr_sq_col(a, st, 3, &oom);
	r->scopes = cr_sq_col(a, st, 4, &oom);
	r->provider = cr_sq_col(a, st, 5, &oom);
	r->schedule = cr_sq_col(a, st, 6, &oom);
	r->out_dir = cr_sq_col(a, st, 7, &oom);
	r->created = sqlite3_column_int64(st, 8);
	r->last_due = sqlite3_column_int64(st, 9);
	return oom;
}

static cr_err sa_put(cr_store *s, const cr_agent_row *r, cr_msg *m)
{
	sqlite3 *db = cr_store_sqlite_db(s);
	cr_err e;
	sqlite3_stmt *st = cr_sq_prep(db,
				      "INSERT INTO agents(name, instructions, tools, scopes, provider, schedule, out_dir,"
				      " created, last_due) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,0)",
				      m, &e);
	if (!st)
		return e;
	cr_sq_bind_text(st, 1, r->name);
	cr_sq_bind_text(st, 2, r->instructions);
	cr_sq_bind_text(st, 3, r->tools);
	cr_sq_bind_text(st, 4, r->scopes);
	cr_sq_bind_text(st, 5, r->provider);
	cr_sq_bind_text(st, 6, r->schedule);
	cr_sq_bind_text(st, 7, r->out_dir);
	sqlite3_bind_int64(st, 8, r->created ? r->created : cr_wallclock());
	e = cr_sq_run(db, st, m, "agent write", NULL);
	if (e == CR_EEXIST)
		e = cr_fail(m, CR_EEXIST, "an agent named %s exists (agent rm %s first)", r->name, r->name);
	return e;
}

static cr_err sa_get(cr_store *s, cr_arena *a, const char *name, cr_agent_row *out, cr_msg *m)
{
	sqlite3 *db = cr_store_sqlite_db(s);
	cr_err e;
	sqlite3_stmt *st = cr_sq_prep(db, "SELECT " AGENT_COLS " FROM agents WHERE name = ?1", m, &e);
	if (!st)
		return e;
	cr_sq_bind_text(st, 1, name);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		e = read_agent(a, st, out) ? cr_fail(m, CR_ENOMEM, "catalog: out of memory") : CR_OK;
	else if (rc == SQLITE_DONE)
		e = cr_fail(m, CR_ENOTFOUND, "no agent named %s (see cristal agent list)", name);
	else
		e = cr_sq_fail(db, m, "agent lookup");
	sqlite3_finalize(st);
	return e;
}

static cr_err sa_list(cr_store *s, cr_store_agent_fn fn, void *ctx, cr_msg *m)
{
	sqlite3 *db = cr_store_sqlite_db(s);
	cr_err e;
	sqlite3_stmt *st = cr_sq_prep(db, "SELECT " AGENT_COLS " FROM agents ORDER BY name", m, &e);
	if (!st)
		return e;
	int rc;
	cr_agent_row r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_agent(NULL, st, &r);
		if (fn(ctx, &r))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		e = cr_sq_fail(db, m, "agent list");
	sqlite3_finalize(st);
	return e;
}

static cr_err sa_del(cr_store *s, const char *name, cr_msg *m)
{
	return cr_sq_del_named(cr_store_sqlite_db(s), "DELETE FROM agents WHERE name = ?1", "agent", name, m);
}

static cr_err sa_run_begin(cr_store *s, const char *name, const char *kind, int64_t now_ms, const int64_t *claim,
			   int64_t *run_id, cr_msg *m)
{
	sqlite3 *db = cr_store_sqlite_db(s);
	int own_tx;
	cr_err e = cr_sq_tx_begin(db, &own_tx, m);
	if (e)
		return e;
	sqlite3_stmt *st;
	int n = 0;
	if (claim) {
		if (!(st = cr_sq_prep(db, "UPDATE agents SET last_due = ?1 WHERE name = ?2 AND last_due = ?3", m, &e)))
			goto out;
		sqlite3_bind_int64(st, 1, now_ms / 1000);
		cr_sq_bind_text(st, 2, name);
		sqlite3_bind_int64(st, 3, *claim);
		if ((e = cr_sq_run(db, st, m, "agent claim", &n)))
			goto out;
		if (!n) {
			e = cr_fail(m, CR_EBUSY, "agent %s: this run was claimed by another process", name);
			goto out;
		}
	}
	if (!(st = cr_sq_prep(db,
			      "INSERT INTO agent_runs(agent_id, kind, started, status)"
			      " SELECT id, ?2, ?3, 'running' FROM agents WHERE name = ?1",
			      m, &e)))
		goto out;
	cr_sq_bind_text(st, 1, name);
	cr_sq_bind_text(st, 2, kind);
	sqlite3_bind_int64(st, 3, now_ms);
	if ((e = cr_sq_run(db, st, m, "agent run", &n)))
		goto out;
	if (!n)
		e = cr_fail(m, CR_ENOTFOUND, "no agent named %s", name);
	else
		*run_id = sqlite3_last_insert_rowid(db);
out:
	return cr_sq_tx_end(db, own_tx, e, m);
}

static cr_err sa_run_end(cr_store *s, int64_t run_id, const cr_agent_run_row *r, cr_msg *m)
{
	sqlite3 *db = cr_store_sqlite_db(s);
	cr_err e;
	sqlite3_stmt *st = cr_sq_prep(db,
				      "UPDATE agent_runs SET ended = ?2, status = ?3, stop = ?4, steps = ?5,"
				      " prompt_tokens = ?6, completion_tokens = ?7, report = ?8, error = ?9 WHERE id = ?1",
				      m, &e);
	if (!st)
		return e;
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int64(st, 2, r->ended);
	cr_sq_bind_text(st, 3, r->status ? r->status : "failed");
	cr_sq_bind_text(st, 4, r->stop);
	sqlite3_bind_int64(st, 5, r->steps);
	sqlite3_bind_int64(st, 6, r->prompt_tokens);
	sqlite3_bind_int64(st, 7, r->completion_tokens);
	cr_sq_bind_text(st, 8, r->report);
	cr_sq_bind_text(st, 9, r->error);
	int n = 0;
	if (!(e = cr_sq_run(db, st, m, "agent run end", &n)) && !n)
		e = cr_fail(m, CR_ENOTFOUND, "no agent run %lld", (long long)run_id);
	return e;
}

static cr_err sa_runs(cr_store *s, const char *name, int limit, cr_store_agent_run_fn fn, void *ctx, cr_msg *m)
{
	sqlite3 *db = cr_store_sqlite_db(s);
	cr_err e;
	sqlite3_stmt *st = cr_sq_prep(db,
				      "SELECT r.id, a.name, r.kind, r.started, r.ended, r.status, r.stop, r.steps,"
				      " r.prompt_tokens, r.completion_tokens, r.report, r.error"
				      " FROM agent_runs r JOIN agents a ON a.id = r.agent_id"
				      " WHERE ?1 IS NULL OR a.name = ?1 ORDER BY r.id DESC LIMIT ?2",
				      m, &e);
	if (!st)
		return e;
	cr_sq_bind_text(st, 1, name);
	sqlite3_bind_int64(st, 2, limit > 0 ? limit : -1);
	int rc, oom = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cr_agent_run_row r = {
			.id = sqlite3_column_int64(st, 0),
			.agent = cr_sq_col(NULL, st, 1, &oom),
			.kind = cr_sq_col(NULL, st, 2, &oom),
			.started = sqlite3_column_int64(st, 3),
			.ended = sqlite3_column_int64(st, 4),
			.status = cr_sq_col(NULL, st, 5, &oom),
			.stop = cr_sq_col(NULL, st, 6, &oom),
			.steps = sqlite3_column_int64(st, 7),
			.prompt_tokens = sqlite3_column_int64(st, 8),
			.completion_tokens = sqlite3_column_int64(st, 9),
			.report = cr_sq_col(NULL, st, 10, &oom),
			.error = cr_sq_col(NULL, st, 11, &oom),
		};
		if (fn(ctx, &r))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		e = cr_sq_fail(db, m, "agent runs");
	sqlite3_finalize(st);
	return e;
}

static cr_err sa_runs_abandon(cr_store *s, int64_t before_ms, int64_t now_ms, const char *why, int *n, cr_msg *m)
{
	sqlite3 *db = cr_store_sqlite_db(s);
	cr_err e;
	sqlite3_stmt *st = cr_sq_prep(db,
				      "UPDATE agent_runs SET status = 'failed', ended = ?2, error = ?3"
				      " WHERE status = 'running' AND started < ?1",
				      m, &e);
	if (!st)
		return e;
	sqlite3_bind_int64(st, 1, before_ms);
	sqlite3_bind_int64(st, 2, now_ms);
	cr_sq_bind_text(st, 3, why);
	int changed = 0;
	e = cr_sq_run(db, st, m, "agent runs abandon", &changed);
	if (n)
		*n = changed;
	return e;
}

const cr_store_agent_vt cr_store_sqlite_agent_vt = {
	.runs_abandon = sa_runs_abandon,
	.put = sa_put,
	.get = sa_get,
	.list = sa_list,
	.del = sa_del,
	.run_begin = sa_run_begin,
	.run_end = sa_run_end,
	.runs = sa_runs,
};
