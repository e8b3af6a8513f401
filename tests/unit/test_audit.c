/*
 * test_audit.c — the audit log's library: canonical details, seals at the
 * interval and at close, several threads (each with its own catalog
 * connection) appending one unbroken chain, export and verification of a
 * whole and a partial export, an unsigned log, and tampering of the stored
 * records caught by verify (the e2e test audit_log.sh covers the command
 * line and the other kinds of tampering).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#define TMPDIR_NAME "/tmp/cr_test_audit.XXXXXX"
#include "test_tmpdir.h"

#include "cristal/audit.h"
#include "cristal/store.h"

#include <pthread.h>
#include <sqlite3.h>
#include <string.h>

static cr_store *open_store(const char *sub)
{
	char d[400];
	snprintf(d, sizeof d, "%s/%s", dir, sub);
	cr_store *s;
	cr_msg m = {{0}};
	assert_int_equal(cr_store_open(d, &s, &m), CR_OK);
	return s;
}

static void key_of(const char *sub, char *key, size_t cap, char pub[65])
{
	snprintf(key, cap, "%s/%s.key", dir, sub);
	if (pub) {
		char p[450];
		snprintf(p, sizeof p, "%s.pub", key);
		cr_msg m = {{0}};
		assert_int_equal(cr_audit_read_public_key(p, pub, &m), CR_OK);
	}
}

typedef struct row_list {
	int n, seals;
	char detail[8][256];
} row_list;

static int collect(void *ctx, const cr_audit_row *r)
{
	row_list *l = ctx;
	if (!strcmp(r->action, "audit.seal"))
		l->seals++;
	else if (l->n < 8)
		snprintf(l->detail[l->n++], 256, "%s", r->detail);
	return 0;
}

static void test_seal_interval_and_canonical(void **st)
{
	cr_store *s = open_store("a");
	char key[400], pub[65];
	key_of("a", key, sizeof key, NULL);
	cr_audit_opts o = {.key_path = key, .sign_every = 3};
	cr_audit *au;
	cr_msg m = {{0}};
	assert_int_equal(cr_audit_open(&o, &au, &m), CR_OK);
	assert_int_equal(strlen(cr_audit_public_key(au)), 64);
	int64_t seq = 0;
	assert_int_equal(cr_audit_log(au, s, "user:sato", "search", "{\"q\": \"x\", \"a\": [1, 2]}", &seq, &m), CR_OK);
	assert_int_equal(seq, 1);
	/* not an object, and the log's own action: refused */
	assert_int_equal(cr_audit_log(au, s, "user:sato", "search", "[1]", NULL, &m), CR_EINVAL);
	assert_int_equal(cr_audit_log(au, s, "user:sato", "audit.seal", "{}", NULL, &m), CR_EINVAL);
	for (int i = 0; i < 4; i++)
		assert_int_equal(cr_audit_log(au, s, "user:sato", "ask", NULL, NULL, &m), CR_OK);
	assert_int_equal(cr_audit_close(au, s, &m), CR_OK);
	row_list l = {0};
	assert_int_equal(cr_store_audit_list(s, 0, 0, collect, &l, &m), CR_OK);
	assert_int_equal(l.n, 5);
	assert_string_equal(l.detail[0], "{\"a\":[1,2],\"q\":\"x\"}"); /* compact, keys sorted */
	assert_string_equal(l.detail[1], "{}");
	/* after records 3 and 6 of the five (interval 3), and at close */
	assert_int_equal(l.seals, 2);
	key_of("a", key, sizeof key, pub);
	char head[450];
	snprintf(head, sizeof head, "%s.head", key);
	cr_audit_check c = {.public_key = pub, .max_unsealed = 3, .head_path = head};
	cr_audit_verdict v;
	assert_int_equal(cr_audit_verify_store(s, &c, &v, &m), CR_OK);
	assert_true(v.intact);
	assert_int_equal(v.n_records, 7);
	assert_int_equal(v.n_seals, 2);
	assert_int_equal(v.last_sealed, 6);

	/* an edit in the catalog is caught and the record named */
	sqlite3 *db;
	char cat[450];
	snprintf(cat, sizeof cat, "%s/a/catalog.db", dir);
	assert_int_equal(sqlite3_open(cat, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE audit SET actor = 'user:kato' WHERE seq = 2", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(cr_audit_verify_store(s, &c, &v, &m), CR_OK);
	assert_false(v.intact);
	assert_int_equal(v.bad_seq, 2);
	assert_non_null(strstr(v.reason, "edited"));
	cr_store_close(s);
}

typedef struct thr {
	cr_audit *au;
	int id;
	cr_err e;
} thr;

static void *appender(void *arg)
{
	thr *t = arg;
	cr_store *s = open_store("b");
	char who[32];
	snprintf(who, sizeof who, "user:t%d", t->id);
	cr_msg m = {{0}};
	for (int i = 0; i < 50 && !t->e; i++)
		t->e = cr_audit_log(t->au, s, who, "search", "{\"i\":1}", NULL, &m);
	cr_store_close(s);
	return NULL;
}

static void test_threads_one_chain(void **st)
{
	cr_store *s = open_store("b"); /* creates the catalog before the threads */
	char key[400], pub[65];
	key_of("b", key, sizeof key, NULL);
	cr_audit_opts o = {.key_path = key, .sign_every = 16};
	cr_audit *au;
	cr_msg m = {{0}};
	assert_int_equal(cr_audit_open(&o, &au, &m), CR_OK);
	thr t[4];
	pthread_t th[4];
	for (int i = 0; i < 4; i++) {
		t[i] = (thr){.au = au, .id = i};
		assert_int_equal(pthread_create(&th[i], NULL, appender, &t[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(t[i].e, CR_OK);
	}
	assert_int_equal(cr_audit_close(au, s, &m), CR_OK);
	key_of("b", key, sizeof key, pub);
	cr_audit_check c = {.public_key = pub, .max_unsealed = 32};
	cr_audit_verdict v;
	assert_int_equal(cr_audit_verify_store(s, &c, &v, &m), CR_OK);
	assert_true(v.intact);
	assert_int_equal(v.n_records - v.n_seals, 200);
	assert_true(v.n_seals >= 200 / 16);

	/* exported whole and from the middle: both verify */
	char path[450];
	snprintf(path, sizeof path, "%s/b.jsonl", dir);
	FILE *f = fopen(path, "w");
	int64_t n = 0;
	assert_int_equal(cr_audit_export(s, 0, f, &n, &m), CR_OK);
	fclose(f);
	assert_int_equal(n, v.n_records);
	assert_int_equal(cr_audit_verify_file(path, &c, &v, &m), CR_OK);
	assert_true(v.intact);
	cr_store_close(s);
}

static void test_unsigned_log(void **st)
{
	cr_store *s = open_store("c");
	cr_audit *au;
	cr_msg m = {{0}};
	assert_int_equal(cr_audit_open(NULL, &au, &m), CR_OK); /* no key: chained only */
	assert_string_equal(cr_audit_public_key(au), "");
	for (int i = 0; i < 3; i++)
		assert_int_equal(cr_audit_log(au, s, "cli:root", "ingest", NULL, NULL, &m), CR_OK);
	assert_int_equal(cr_audit_close(au, s, &m), CR_OK);
	cr_audit_verdict v;
	assert_int_equal(cr_audit_verify_store(s, NULL, &v, &m), CR_OK);
	assert_true(v.intact);
	assert_int_equal(v.n_seals, 0);
	assert_non_null(strstr(v.reason, "none was given"));
	/* a bad line in a file is named by its line */
	char path[450];
	snprintf(path, sizeof path, "%s/c.jsonl", dir);
	FILE *f = fopen(path, "w");
	fputs("{\"seq\": 1}\n", f);
	fclose(f);
	assert_int_equal(cr_audit_verify_file(path, NULL, &v, &m), CR_OK);
	assert_false(v.intact);
	assert_non_null(strstr(v.reason, "line 1"));
	cr_store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seal_interval_and_canonical),
		cmocka_unit_test(test_threads_one_chain),
		cmocka_unit_test(test_unsigned_log),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
