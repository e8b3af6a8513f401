/* test_store_agent.c — the catalog's stored agents and their runs (schema
 * v8): a v7 catalog upgraded with its data kept; agent put / get / list by
 * name / rm (its runs with it) and their errors; runs begun and ended,
 * listed newest first per agent and for all; the scheduler's claim: a
 * compare-and-set of last_due in the run's transaction, so a second
 * claimant holding the old value gets CR_EBUSY and writes nothing, also
 * from a second connection (another process); runs left running ended as
 * abandoned. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "cristal/store.h"
#include "store/store_int.h"

#define TMPDIR_NAME "/tmp/cr_test_storeagent.XXXXXX"
#include "test_tmpdir.h"

static cr_store *open_store(void)
{
	cr_store *s = NULL;
	cr_msg m = {{0}};
	cr_err e = cr_store_open(dir, &s, &m);
	if (e)
		fprintf(stderr, "open: %s\n", m.text);
	assert_int_equal(e, CR_OK);
	return s;
}

static int64_t raw_int(const char *sql)
{
	char path[300];
	snprintf(path, sizeof path, "%s/catalog.db", dir);
	sqlite3 *db;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void raw_sql(const char *sql)
{
	char path[300];
	snprintf(path, sizeof path, "%s/catalog.db", dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static cr_agent_row agent(const char *name, const char *schedule)
{
	return (cr_agent_row){.name = name,
			      .instructions = "Summarise the week.",
			      .tools = "[\"search\"]",
			      .scopes = "[\"group:eng\"]",
			      .schedule = schedule,
			      .created = 1000};
}

typedef struct seen {
	int n;
	char names[8][32];
	char status[8][16];
	int64_t ids[8];
} seen;

static int on_agent(void *ctx, const cr_agent_row *r)
{
	seen *s = ctx;
	snprintf(s->names[s->n++], 32, "%s", r->name);
	return 0;
}

static int on_run(void *ctx, const cr_agent_run_row *r)
{
	seen *s = ctx;
	snprintf(s->names[s->n], 32, "%s", r->agent);
	snprintf(s->status[s->n], 16, "%s", r->status);
	s->ids[s->n++] = r->id;
	return 0;
}

static void test_upgrade_from_v7(void **st)
{
	(void)st;
	cr_store *s = open_store();
	cr_store_close(s);
	/* back to v7: the tables of v8 dropped, the version set back */
	raw_sql("DROP TABLE agent_runs; DROP TABLE agents; UPDATE schema_version SET version = 7;"
		"INSERT INTO kv VALUES ('kept', 'yes');");
	s = open_store();
	assert_int_equal(raw_int("SELECT max(version) FROM schema_version"), CR_STORE_SCHEMA_VERSION);
	assert_int_equal(raw_int("SELECT count(*) FROM kv WHERE key = 'kept'"), 1);
	assert_int_equal(cr_store_agent_put(s, &(cr_agent_row){.name = "a", .instructions = "x", .tools = "[]",
								 .scopes = "[]"},
					    NULL),
			 CR_OK);
	cr_store_close(s);
}

static void test_agents(void **st)
{
	(void)st;
	cr_store *s = open_store();
	cr_msg m = {{0}};
	cr_agent_row r = agent("weekly", "0 9 * * 1");
	assert_int_equal(cr_store_agent_put(s, &r, &m), CR_OK);
	assert_int_equal(cr_store_agent_put(s, &r, &m), CR_EEXIST);
	assert_non_null(strstr(m.text, "weekly exists"));
	r = agent("daily", NULL);
	assert_int_equal(cr_store_agent_put(s, &r, NULL), CR_OK);
	r = agent("bad name", NULL);
	assert_int_equal(cr_store_agent_put(s, &r, NULL), CR_EINVAL);
	r = agent("-dash", NULL);
	assert_int_equal(cr_store_agent_put(s, &r, NULL), CR_EINVAL);
	r = agent("empty", NULL);
	r.instructions = "";
	assert_int_equal(cr_store_agent_put(s, &r, NULL), CR_EINVAL);

	cr_arena a;
	cr_arena_init(&a, 0);
	cr_agent_row got;
	assert_int_equal(cr_store_agent_get(s, &a, "weekly", &got, NULL), CR_OK);
	assert_string_equal(got.schedule, "0 9 * * 1");
	assert_string_equal(got.scopes, "[\"group:eng\"]");
	assert_null(got.provider);
	assert_null(got.out_dir);
	assert_int_equal(got.created, 1000);
	assert_int_equal(got.last_due, 0);
	assert_int_equal(cr_store_agent_get(s, &a, "nosuch", &got, &m), CR_ENOTFOUND);
	assert_non_null(strstr(m.text, "no agent named nosuch"));
	seen l = {0};
	assert_int_equal(cr_store_agent_list(s, on_agent, &l, NULL), CR_OK);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.names[0], "daily"); /* by name */
	assert_string_equal(l.names[1], "weekly");

	/* runs */
	int64_t r1, r2, r3;
	assert_int_equal(cr_store_agent_run_begin(s, "weekly", "manual", 5000, NULL, &r1, NULL), CR_OK);
	assert_int_equal(cr_store_agent_run_begin(s, "daily", "api", 6000, NULL, &r2, NULL), CR_OK);
	assert_int_equal(cr_store_agent_run_begin(s, "nosuch", "manual", 6000, NULL, &r3, NULL), CR_ENOTFOUND);
	assert_int_equal(cr_store_agent_run_begin(s, "daily", "cron", 6000, NULL, &r3, NULL), CR_EINVAL);
	cr_agent_run_row end = {.ended = 7000, .status = "ok", .stop = "answer", .steps = 3, .prompt_tokens = 30,
				.completion_tokens = 9, .report = "/r/weekly.md"};
	assert_int_equal(cr_store_agent_run_end(s, r1, &end, NULL), CR_OK);
	assert_int_equal(cr_store_agent_run_end(s, 999, &end, NULL), CR_ENOTFOUND);
	seen rs = {0};
	assert_int_equal(cr_store_agent_runs(s, NULL, 0, on_run, &rs, NULL), CR_OK);
	assert_int_equal(rs.n, 2);
	assert_true(rs.ids[0] == r2 && rs.ids[1] == r1); /* newest first */
	assert_string_equal(rs.status[0], "running");
	assert_string_equal(rs.status[1], "ok");
	memset(&rs, 0, sizeof rs);
	assert_int_equal(cr_store_agent_runs(s, "weekly", 10, on_run, &rs, NULL), CR_OK);
	assert_int_equal(rs.n, 1);
	assert_int_equal(raw_int("SELECT steps + prompt_tokens + completion_tokens FROM agent_runs WHERE status = 'ok'"), 42);

	/* runs left running an hour ago are ended as abandoned; newer ones not */
	int n = -1;
	assert_int_equal(cr_store_agent_runs_abandon(s, 5999, 9000, "abandoned", &n, NULL), CR_OK);
	assert_int_equal(n, 0);
	assert_int_equal(cr_store_agent_runs_abandon(s, 6001, 9000, "abandoned", &n, NULL), CR_OK);
	assert_int_equal(n, 1);
	assert_int_equal(raw_int("SELECT count(*) FROM agent_runs WHERE status = 'failed' AND error = 'abandoned'"
				 " AND ended = 9000"),
			 1);

	/* removal takes the runs with it */
	assert_int_equal(cr_store_agent_del(s, "weekly", NULL), CR_OK);
	assert_int_equal(cr_store_agent_del(s, "weekly", &m), CR_ENOTFOUND);
	assert_int_equal(raw_int("SELECT count(*) FROM agent_runs"), 1);
	cr_arena_release(&a);
	cr_store_close(s);
}

static void test_claim(void **st)
{
	(void)st;
	cr_store *s = open_store(), *other = open_store(); /* two connections, as two processes */
	cr_agent_row r = agent("nightly", "0 2 * * *");
	assert_int_equal(cr_store_agent_put(s, &r, NULL), CR_OK);
	/* both read last_due 0; the first claim wins */
	int64_t seen_due = 0, id1 = 0, id2 = 0;
	assert_int_equal(cr_store_agent_run_begin(s, "nightly", "schedule", 86400000, &seen_due, &id1, NULL), CR_OK);
	cr_msg m = {{0}};
	assert_int_equal(cr_store_agent_run_begin(other, "nightly", "schedule", 86400500, &seen_due, &id2, &m), CR_EBUSY);
	assert_non_null(strstr(m.text, "claimed by another process"));
	assert_int_equal(raw_int("SELECT count(*) FROM agent_runs"), 1);
	assert_int_equal(raw_int("SELECT last_due FROM agents WHERE name = 'nightly'"), 86400);
	/* the next fire time: claimed from the new value */
	seen_due = 86400;
	assert_int_equal(cr_store_agent_run_begin(other, "nightly", "schedule", 172800000, &seen_due, &id2, NULL), CR_OK);
	assert_true(id2 > id1);
	assert_int_equal(raw_int("SELECT last_due FROM agents WHERE name = 'nightly'"), 172800);
	/* a manual run leaves the claim alone */
	int64_t id3;
	assert_int_equal(cr_store_agent_run_begin(s, "nightly", "manual", 180000000, NULL, &id3, NULL), CR_OK);
	assert_int_equal(raw_int("SELECT last_due FROM agents WHERE name = 'nightly'"), 172800);
	/* a claim of an agent removed meanwhile */
	seen_due = 172800;
	assert_int_equal(cr_store_agent_del(s, "nightly", NULL), CR_OK);
	assert_int_equal(cr_store_agent_run_begin(other, "nightly", "schedule", 259200000, &seen_due, &id3, NULL),
			 CR_EBUSY);
	cr_store_close(other);
	cr_store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_upgrade_from_v7, setup, teardown),
		cmocka_unit_test_setup_teardown(test_agents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_claim, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
