/* test_store_provider.c — the catalog's providers and usage tables: a v2
 * catalog (before providers) upgraded to v3 with its data kept, provider
 * add / get / list order / default / rm with their errors, usage rows
 * summed by provider and UTC day. */
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

#define TMPDIR_NAME "/tmp/cr_test_storeprov.XXXXXX"
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

static void raw_sql(const char *sql)
{
	char path[300];
	snprintf(path, sizeof path, "%s/catalog.db", dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
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

typedef struct names {
	int n;
	char name[8][32];
	int dflt[8];
} names;

static int collect(void *ctx, const cr_provider_row *r)
{
	names *k = ctx;
	snprintf(k->name[k->n], sizeof k->name[0], "%s", r->name);
	k->dflt[k->n++] = r->is_default;
	return k->n == 8;
}

/* A stand-in for audit/'s hash: the store only keeps the chain's order. */
static void fixed_hash(void *ctx, cr_audit_row *r, char hash[65])
{
	(void)ctx;
	snprintf(hash, 65, "h%lld", (long long)r->seq);
}

static void test_upgrade_from_v2(void **st)
{
	cr_store *s = open_store();
	cr_msg m = {{0}};
	int64_t src = 0;
	assert_int_equal(cr_store_source_get_or_add(s, "/data/docs", "folder", &src, &m), CR_OK);
	cr_model_row mr = {.name = "tiny", .path = "/models/tiny.gguf", .arch = "llama", .size = 5};
	assert_int_equal(cr_store_model_put(s, &mr, &m), CR_OK);
	assert_int_equal(cr_store_kv_set(s, "k", "v", &m), CR_OK);
	cr_store_close(s);
	assert_int_equal(raw_int("SELECT max(version) FROM schema_version"), CR_STORE_SCHEMA_VERSION);

	/* The v2 layout: no providers, no usage. */
	raw_sql("DROP TABLE providers; DROP TABLE usage; UPDATE schema_version SET version = 2;");
	assert_int_equal(raw_int("SELECT count(*) FROM sqlite_master WHERE name IN ('providers','usage')"), 0);
	s = open_store();
	assert_int_equal(raw_int("SELECT max(version) FROM schema_version"), CR_STORE_SCHEMA_VERSION);
	assert_int_equal(raw_int("SELECT count(*) FROM schema_version"), 1);
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_model_row got;
	assert_int_equal(cr_store_model_get(s, &a, "tiny", &got, &m), CR_OK);
	assert_string_equal(got.path, "/models/tiny.gguf");
	const char *v = NULL;
	assert_int_equal(cr_store_kv_get(s, &a, "k", &v, &m), CR_OK);
	assert_string_equal(v, "v");
	int64_t src2 = 0;
	assert_int_equal(cr_store_source_get_or_add(s, "/data/docs", "folder", &src2, &m), CR_OK);
	assert_int_equal(src2, src);
	/* the new tables work */
	cr_provider_row p = {.name = "loc", .kind = "local", .model = "tiny", .trust = "local"};
	assert_int_equal(cr_store_provider_put(s, &p, &m), CR_OK);
	cr_usage_row u = {.provider = "loc", .prompt_tokens = 3, .completion_tokens = 4, .ok = 1};
	assert_int_equal(cr_store_usage_add(s, &u, &m), CR_OK);
	cr_store_close(s);

	/* The v3 layout: no audit log; after the upgrade it takes records. */
	raw_sql("DROP TABLE audit; UPDATE schema_version SET version = 3;");
	assert_int_equal(raw_int("SELECT count(*) FROM sqlite_master WHERE name = 'audit'"), 0);
	s = open_store();
	assert_int_equal(raw_int("SELECT max(version) FROM schema_version"), CR_STORE_SCHEMA_VERSION);
	cr_audit_row ar = {.actor = "cli:root", .action = "ingest", .detail = "{}"};
	assert_int_equal(cr_store_audit_append(s, &ar, fixed_hash, NULL, &m), CR_OK);
	assert_int_equal(ar.seq, 1);
	assert_string_equal(ar.prev, "");
	assert_int_equal(cr_store_audit_append(s, &ar, fixed_hash, NULL, &m), CR_OK);
	assert_int_equal(ar.seq, 2);
	assert_string_equal(ar.prev, "h1");
	cr_store_close(s);

	/* The v4 layout: no kill-switch; after the upgrade a provider can be
	 * suspended and the listing says so. */
	raw_sql("DROP TABLE provider_suspensions; UPDATE schema_version SET version = 4;");
	s = open_store();
	assert_int_equal(raw_int("SELECT max(version) FROM schema_version"), CR_STORE_SCHEMA_VERSION);
	assert_int_equal(cr_store_provider_suspend(s, "loc", "audit pending", &m), CR_OK);
	cr_provider_row sr;
	assert_int_equal(cr_store_provider_get(s, &a, "loc", &sr, &m), CR_OK);
	assert_string_equal(sr.suspended, "audit pending");
	assert_true(sr.suspended_at > 0);
	assert_int_equal(cr_store_provider_suspend(s, "loc", NULL, &m), CR_OK);
	assert_int_equal(cr_store_provider_get(s, &a, "loc", &sr, &m), CR_OK);
	assert_null(sr.suspended);
	cr_store_close(s);

	/* A v2 catalog that already has the tables (a crash after the step's
	 * commit cannot happen, but a hand-made one can) upgrades, rows kept. */
	raw_sql("UPDATE schema_version SET version = 2;");
	s = open_store();
	assert_int_equal(raw_int("SELECT max(version) FROM schema_version"), CR_STORE_SCHEMA_VERSION);
	cr_provider_row pr;
	assert_int_equal(cr_store_provider_get(s, &a, "loc", &pr, &m), CR_OK);
	assert_string_equal(pr.model, "tiny");
	assert_int_equal(raw_int("SELECT count(*) FROM usage"), 1);
	cr_store_close(s);
	cr_arena_release(&a);
}

static void test_providers(void **st)
{
	cr_store *s = open_store();
	cr_msg m = {{0}};
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_provider_row r;
	assert_int_equal(cr_store_provider_get_default(s, &a, &r, &m), CR_ENOTFOUND);
	assert_non_null(strstr(m.text, "no default provider"));

	cr_provider_row p1 = {.name = "vllm", .kind = "openai", .url = "http://127.0.0.1:8000/v1",
			      .model = "qwen", .api_key_env = "VLLM_KEY", .trust = "onprem",
			      .price_in = 0.5, .price_out = 1.5};
	cr_provider_row p2 = {.name = "loc", .kind = "local", .model = "tiny", .trust = "local", .is_default = 1};
	cr_provider_row p3 = {.name = "cloud", .kind = "openai", .url = "https://api.example.com/v1",
			      .model = "m", .trust = "external", .is_default = 1};
	assert_int_equal(cr_store_provider_put(s, &p1, &m), CR_OK);
	assert_int_equal(cr_store_provider_put(s, &p2, &m), CR_OK);
	assert_int_equal(cr_store_provider_put(s, &p3, &m), CR_OK);
	memset(&m, 0, sizeof m);
	assert_int_equal(cr_store_provider_put(s, &p1, &m), CR_EEXIST);
	assert_non_null(strstr(m.text, "vllm"));

	/* bad rows, each with its reason */
	cr_provider_row bad = p1;
	bad.name = "x";
	bad.kind = "grpc";
	assert_int_equal(cr_store_provider_put(s, &bad, &m), CR_EINVAL);
	assert_non_null(strstr(m.text, "kind"));
	bad.kind = "openai";
	bad.url = "ftp://h";
	assert_int_equal(cr_store_provider_put(s, &bad, &m), CR_EINVAL);
	assert_non_null(strstr(m.text, "url"));
	bad.url = p1.url;
	bad.trust = "cloud";
	assert_int_equal(cr_store_provider_put(s, &bad, &m), CR_EINVAL);
	bad.trust = "external";
	bad.price_in = -1;
	assert_int_equal(cr_store_provider_put(s, &bad, &m), CR_EINVAL);
	bad.price_in = 0;
	bad.name = "a b";
	assert_int_equal(cr_store_provider_put(s, &bad, &m), CR_EINVAL);

	/* order of addition; one default (the last put with is_default) */
	names k = {0};
	assert_int_equal(cr_store_provider_list(s, collect, &k, &m), CR_OK);
	assert_int_equal(k.n, 3);
	assert_string_equal(k.name[0], "vllm");
	assert_string_equal(k.name[1], "loc");
	assert_string_equal(k.name[2], "cloud");
	assert_int_equal(k.dflt[0] + k.dflt[1] + k.dflt[2], 1);
	assert_int_equal(k.dflt[2], 1);

	assert_int_equal(cr_store_provider_get(s, &a, "vllm", &r, &m), CR_OK);
	assert_string_equal(r.url, "http://127.0.0.1:8000/v1");
	assert_string_equal(r.api_key_env, "VLLM_KEY");
	assert_string_equal(r.trust, "onprem");
	assert_true(r.price_in == 0.5 && r.price_out == 1.5);
	assert_int_equal(cr_store_provider_get(s, &a, "loc", &r, &m), CR_OK);
	assert_null(r.url);
	assert_null(r.api_key_env);

	assert_int_equal(cr_store_provider_set_default(s, "vllm", &m), CR_OK);
	assert_int_equal(cr_store_provider_get_default(s, &a, &r, &m), CR_OK);
	assert_string_equal(r.name, "vllm");
	assert_int_equal(raw_int("SELECT count(*) FROM providers WHERE is_default"), 1);
	/* an unknown name changes nothing */
	assert_int_equal(cr_store_provider_set_default(s, "nope", &m), CR_ENOTFOUND);
	assert_int_equal(cr_store_provider_get_default(s, &a, &r, &m), CR_OK);
	assert_string_equal(r.name, "vllm");

	assert_int_equal(cr_store_provider_del(s, "vllm", &m), CR_OK);
	assert_int_equal(cr_store_provider_del(s, "vllm", &m), CR_ENOTFOUND);
	assert_int_equal(cr_store_provider_get(s, &a, "vllm", &r, &m), CR_ENOTFOUND);
	assert_int_equal(cr_store_provider_get_default(s, &a, &r, &m), CR_ENOTFOUND);
	cr_store_close(s);
	cr_arena_release(&a);
}

typedef struct sums {
	int n;
	cr_usage_sum u[8];
	char prov[8][16], day[8][16];
} sums;

static int collect_sum(void *ctx, const cr_usage_sum *u)
{
	sums *k = ctx;
	k->u[k->n] = *u;
	snprintf(k->prov[k->n], 16, "%s", u->provider);
	snprintf(k->day[k->n], 16, "%s", u->day);
	k->n++;
	return k->n == 8;
}

static void test_usage(void **st)
{
	cr_store *s = open_store();
	cr_msg m = {{0}};
	/* 2026-01-01 00:00:10 and 23:59:59 UTC, then 2026-01-02 */
	const int64_t d1 = 1767225610, d1b = 1767311999, d2 = 1767312000;
	cr_usage_row rows[] = {
		{.time = d1, .provider = "b", .prompt_tokens = 10, .completion_tokens = 5, .wall_ms = 100, .cost = 0.25, .ok = 1},
		{.time = d1b, .provider = "b", .prompt_tokens = 1, .completion_tokens = 2, .wall_ms = 50, .cost = 0.5, .ok = 0},
		{.time = d1, .provider = "a", .prompt_tokens = 7, .completion_tokens = 0, .wall_ms = 1, .cost = 0, .ok = 1},
		{.time = d2, .provider = "b", .prompt_tokens = 100, .completion_tokens = 200, .wall_ms = 9, .cost = 1, .ok = 1},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		assert_int_equal(cr_store_usage_add(s, &rows[i], &m), CR_OK);
	cr_usage_row bad = {.time = d1};
	assert_int_equal(cr_store_usage_add(s, &bad, &m), CR_EINVAL);
	sums k = {0};
	assert_int_equal(cr_store_usage_sum(s, collect_sum, &k, &m), CR_OK);
	assert_int_equal(k.n, 3);
	assert_string_equal(k.day[0], "2026-01-01");
	assert_string_equal(k.prov[0], "a");
	assert_string_equal(k.prov[1], "b");
	assert_int_equal(k.u[1].calls, 2);
	assert_int_equal(k.u[1].failed, 1);
	assert_int_equal(k.u[1].prompt_tokens, 11);
	assert_int_equal(k.u[1].completion_tokens, 7);
	assert_int_equal(k.u[1].wall_ms, 150);
	assert_true(k.u[1].cost == 0.75);
	assert_string_equal(k.day[2], "2026-01-02");
	assert_int_equal(k.u[2].completion_tokens, 200);
	cr_store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_upgrade_from_v2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_providers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_usage, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
