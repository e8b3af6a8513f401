/* test_store.c — the catalog: documents and chunks CRUD, transactions, chunk
 * ids never reused, ACL fields, the deleted-chunk journal, kv, models, stats,
 * a damaged catalog file reported as CR_ECORRUPT, schema migrations (a v1
 * catalog upgraded with its data, a newer one refused), and connections
 * used from several threads at once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pthread.h>
#include <sqlite3.h>

#include "cristal/store.h"
#include "store/store_int.h"

#define TMPDIR_NAME "/tmp/cr_test_store.XXXXXX"
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

static cr_chunk mk_chunk(const char *text, uint32_t ord)
{
	cr_chunk c;
	memset(&c, 0, sizeof c);
	c.text = text;
	c.len = strlen(text);
	c.ordinal = ord;
	c.loc.t_start = c.loc.t_end = -1;
	return c;
}

/* Puts one document with the given chunk texts in its own transaction. */
static int64_t put_doc(cr_store *s, int64_t src, const char *name, const char *parent, const char *const *texts,
		       size_t n, cr_buf *deleted)
{
	cr_chunk ch[8];
	assert_true(n <= 8);
	for (size_t i = 0; i < n; i++)
		ch[i] = mk_chunk(texts[i], (uint32_t)i);
	cr_doc_row row;
	memset(&row, 0, sizeof row);
	row.source_id = src;
	row.name = name;
	row.parent = parent;
	row.type = "txt";
	row.hash = "abc";
	cr_msg m = {{0}};
	int64_t id = 0;
	assert_int_equal(cr_store_begin(s, &m), CR_OK);
	assert_int_equal(cr_store_doc_put(s, &row, NULL, ch, n, &id, deleted, &m), CR_OK);
	assert_int_equal(cr_store_commit(s, &m), CR_OK);
	assert_true(id > 0);
	return id;
}

typedef struct collect {
	int64_t ids[64];
	char texts[64][64];
	int n;
} collect;

static int collect_chunk(void *ctx, const cr_chunk_row *c)
{
	collect *k = ctx;
	if (k->n < 64) {
		k->ids[k->n] = c->id;
		snprintf(k->texts[k->n], sizeof k->texts[0], "%.*s", (int)c->len, c->text);
		k->n++;
	}
	return 0;
}

static void test_docs_and_chunks(void **st)
{
	cr_store *s = open_store();
	assert_string_equal(cr_store_backend(s), "sqlite");
	cr_msg m = {{0}};
	int64_t src = 0, src2 = 0;
	assert_int_equal(cr_store_source_get_or_add(s, "/data/docs", "folder", &src, &m), CR_OK);
	assert_int_equal(cr_store_source_get_or_add(s, "/data/docs", "folder", &src2, &m), CR_OK);
	assert_int_equal(src, src2);

	/* A document with metadata, ACL and located chunks. */
	cr_kv meta[2] = {{"from", "alice@example.com"}, {"charset", "utf-8"}};
	cr_section sec = {"x", 1, {0}};
	cr_doc d;
	memset(&d, 0, sizeof d);
	d.name = "docs/report.pdf";
	d.title = "Quarterly report";
	d.type = "pdf";
	d.lang = "en";
	d.author = "Alice";
	d.date = 1700000000;
	d.meta = meta;
	d.n_meta = 2;
	d.sections = &sec;
	d.n_sections = 1;
	uint32_t groups[3] = {9, 2, 5};
	cr_doc_row row;
	memset(&row, 0, sizeof row);
	row.source_id = src;
	row.hash = "deadbeef";
	row.size = 1234;
	row.mtime = 1700000001;
	row.acl = (cr_acl){.tenant = 7, .owner = 42, .groups = groups, .n_groups = 3, .classification = 2};
	cr_chunk ch[3] = {mk_chunk("first page text", 0), mk_chunk("second page", 1), mk_chunk("sheet row", 2)};
	ch[0].loc.page = 1;
	ch[1].loc.page = 2;
	ch[1].loc.heading = "Intro > Scope";
	ch[2].loc.sheet = "Sales";
	ch[2].loc.line_start = 10;
	ch[2].loc.line_end = 12;
	ch[2].loc.speaker = "Bob";
	ch[2].loc.t_start = 61.5;
	ch[2].loc.t_end = 70;
	ch[2].loc.symbol = "main";
	int64_t id = 0;
	assert_int_equal(cr_store_begin(s, &m), CR_OK);
	assert_int_equal(cr_store_doc_put(s, &row, &d, ch, 3, &id, NULL, &m), CR_OK);
	assert_int_equal(cr_store_commit(s, &m), CR_OK);

	cr_arena a;
	cr_arena_init(&a, 0);
	cr_doc_row r;
	assert_int_equal(cr_store_doc_find(s, &a, src, "docs/report.pdf", &r, &m), CR_OK);
	assert_int_equal(r.id, id);
	assert_string_equal(r.title, "Quarterly report");
	assert_string_equal(r.type, "pdf");
	assert_string_equal(r.author, "Alice");
	assert_string_equal(r.lang, "en");
	assert_int_equal(r.date, 1700000000);
	assert_string_equal(r.hash, "deadbeef");
	assert_int_equal(r.size, 1234);
	assert_int_equal(r.mtime, 1700000001);
	assert_int_equal(r.n_chunks, 3);
	assert_null(r.parent);
	assert_non_null(strstr(r.meta_json, "\"from\":\"alice@example.com\""));
	assert_int_equal(r.acl.tenant, 7);
	assert_int_equal(r.acl.owner, 42);
	assert_int_equal(r.acl.classification, 2);
	assert_int_equal(r.acl.n_groups, 3);
	assert_int_equal(r.acl.groups[0], 2); /* stored sorted */
	assert_int_equal(r.acl.groups[1], 5);
	assert_int_equal(r.acl.groups[2], 9);
	assert_int_equal(cr_store_doc_get(s, &a, id, &r, &m), CR_OK);
	assert_string_equal(r.name, "docs/report.pdf");
	assert_int_equal(cr_store_doc_find_any(s, &a, "docs/report.pdf", &r, &m), CR_OK);
	assert_int_equal(r.id, id);
	assert_int_equal(cr_store_doc_find(s, &a, src, "nope", &r, &m), CR_ENOTFOUND);
	assert_int_equal(cr_store_doc_find(s, &a, src + 1, "docs/report.pdf", &r, &m), CR_ENOTFOUND);

	/* Chunks come back with their location and the document's ACL. */
	collect k = {0};
	assert_int_equal(cr_store_chunks_of_doc(s, id, collect_chunk, &k, &m), CR_OK);
	assert_int_equal(k.n, 3);
	assert_string_equal(k.texts[0], "first page text");
	assert_string_equal(k.texts[2], "sheet row");
	cr_chunk_row c;
	assert_int_equal(cr_store_chunk_get(s, &a, k.ids[0], &c, &m), CR_OK);
	assert_int_equal(c.loc.page, 1);
	assert_null(c.loc.sheet);
	assert_true(c.loc.t_start < 0);
	assert_int_equal(c.doc_id, id);
	assert_string_equal(c.doc, "docs/report.pdf");
	assert_string_equal(c.title, "Quarterly report");
	assert_string_equal(c.type, "pdf");
	assert_int_equal(c.acl.tenant, 7);
	assert_int_equal(c.acl.owner, 42);
	assert_int_equal(c.acl.n_groups, 3);
	assert_int_equal(c.acl.groups[1], 5);
	assert_int_equal(c.acl.classification, 2);
	assert_int_equal(cr_store_chunk_get(s, &a, k.ids[1], &c, &m), CR_OK);
	assert_string_equal(c.loc.heading, "Intro > Scope");
	assert_int_equal(cr_store_chunk_get(s, &a, k.ids[2], &c, &m), CR_OK);
	assert_string_equal(c.loc.sheet, "Sales");
	assert_int_equal(c.loc.line_start, 10);
	assert_int_equal(c.loc.line_end, 12);
	assert_string_equal(c.loc.speaker, "Bob");
	assert_true(c.loc.t_start == 61.5 && c.loc.t_end == 70);
	assert_string_equal(c.loc.symbol, "main");
	assert_int_equal(c.ordinal, 2);
	assert_int_equal(cr_store_chunk_get(s, &a, 999999, &c, &m), CR_ENOTFOUND);

	/* Touch keeps the content, updates size and mtime. */
	assert_int_equal(cr_store_doc_touch(s, id, 99, 5, &m), CR_OK);
	assert_int_equal(cr_store_doc_get(s, &a, id, &r, &m), CR_OK);
	assert_int_equal(r.size, 99);
	assert_int_equal(r.mtime, 5);
	assert_int_equal(r.n_chunks, 3);

	cr_store_stats sts;
	assert_int_equal(cr_store_get_stats(s, &a, &sts, &m), CR_OK);
	assert_int_equal(sts.n_sources, 1);
	assert_int_equal(sts.n_docs, 1);
	assert_int_equal(sts.n_chunks, 3);
	assert_int_equal(sts.text_bytes, (int64_t)(strlen("first page text") + strlen("second page") + strlen("sheet row")));
	assert_int_equal(sts.by_type_n, 1);
	assert_string_equal(sts.by_type[0].type, "pdf");
	cr_arena_release(&a);
	cr_store_close(s);
}

static void test_ids_never_reused(void **st)
{
	cr_store *s = open_store();
	cr_msg m = {{0}};
	int64_t src;
	assert_int_equal(cr_store_source_get_or_add(s, "/r", "folder", &src, &m), CR_OK);
	const char *t1[] = {"a1", "a2"};
	int64_t d1 = put_doc(s, src, "a.txt", NULL, t1, 2, NULL);
	int64_t maxid = 0;
	assert_int_equal(cr_store_max_chunk_id(s, &maxid, &m), CR_OK);
	collect k = {0};
	assert_int_equal(cr_store_chunks_of_doc(s, d1, collect_chunk, &k, &m), CR_OK);
	assert_int_equal(k.n, 2);
	assert_int_equal(maxid, k.ids[1]);

	/* Replacing the document: old ids reported, new ids above every old one. */
	cr_buf del;
	cr_buf_init(&del, 0);
	const char *t2[] = {"b1", "b2", "b3"};
	int64_t d1b = put_doc(s, src, "a.txt", NULL, t2, 3, &del);
	assert_int_equal(d1b, d1); /* same document row */
	assert_int_equal(del.len, 2 * sizeof(uint64_t));
	const uint64_t *dl = (const uint64_t *)del.data;
	assert_int_equal(dl[0], k.ids[0]);
	assert_int_equal(dl[1], k.ids[1]);
	collect k2 = {0};
	assert_int_equal(cr_store_chunks_of_doc(s, d1, collect_chunk, &k2, &m), CR_OK);
	assert_int_equal(k2.n, 3);
	assert_string_equal(k2.texts[0], "b1");
	assert_true(k2.ids[0] > maxid);

	/* Deleting the document holding the highest ids, then reopening: still no reuse. */
	int64_t top = k2.ids[2];
	cr_buf_reset(&del);
	assert_int_equal(cr_store_begin(s, &m), CR_OK);
	assert_int_equal(cr_store_doc_delete(s, d1, &del, &m), CR_OK);
	assert_int_equal(cr_store_commit(s, &m), CR_OK);
	assert_int_equal(del.len, 3 * sizeof(uint64_t));
	assert_int_equal(cr_store_doc_delete(s, d1, NULL, &m), CR_ENOTFOUND);
	cr_store_close(s);
	s = open_store();
	const char *t3[] = {"c1"};
	int64_t d3 = put_doc(s, src, "c.txt", NULL, t3, 1, NULL);
	collect k3 = {0};
	assert_int_equal(cr_store_chunks_of_doc(s, d3, collect_chunk, &k3, &m), CR_OK);
	assert_int_equal(k3.n, 1);
	assert_true(k3.ids[0] > top);
	assert_true(d3 > d1);

	/* The deleted-chunk journal holds all five deleted ids until cleared. */
	cr_buf_reset(&del);
	assert_int_equal(cr_store_deleted_chunks(s, &del, &m), CR_OK);
	assert_int_equal(del.len, 5 * sizeof(uint64_t));
	dl = (const uint64_t *)del.data;
	assert_int_equal(dl[0], k.ids[0]);
	assert_int_equal(dl[4], (uint64_t)top);
	assert_int_equal(cr_store_deleted_chunks_clear(s, dl, 3, &m), CR_OK);
	cr_buf_reset(&del);
	assert_int_equal(cr_store_deleted_chunks(s, &del, &m), CR_OK);
	assert_int_equal(del.len, 2 * sizeof(uint64_t));
	cr_buf_release(&del);

	/* Reserving ids (repair after a lost commit) moves the next id past it. */
	assert_int_equal(cr_store_chunk_ids_reserve(s, k3.ids[0] + 100, &m), CR_OK);
	assert_int_equal(cr_store_chunk_ids_reserve(s, 5, &m), CR_OK); /* never backwards */
	assert_int_equal(cr_store_max_chunk_id(s, &maxid, &m), CR_OK);
	assert_int_equal(maxid, k3.ids[0] + 100);

	/* chunks_after sees only the newer chunk. */
	collect k4 = {0};
	assert_int_equal(cr_store_chunks_after(s, top, collect_chunk, &k4, &m), CR_OK);
	assert_int_equal(k4.n, 1);
	assert_string_equal(k4.texts[0], "c1");
	const char *t5[] = {"d1"};
	int64_t d5 = put_doc(s, src, "d.txt", NULL, t5, 1, NULL);
	collect k5 = {0};
	assert_int_equal(cr_store_chunks_of_doc(s, d5, collect_chunk, &k5, &m), CR_OK);
	assert_int_equal(k5.ids[0], maxid + 1);
	cr_store_close(s);
}

static void test_transactions(void **st)
{
	cr_store *s = open_store();
	cr_msg m = {{0}};
	int64_t src;
	assert_int_equal(cr_store_source_get_or_add(s, "/t", "folder", &src, &m), CR_OK);
	cr_chunk ch = mk_chunk("rolled back", 0);
	cr_doc_row row;
	memset(&row, 0, sizeof row);
	row.source_id = src;
	row.name = "gone.txt";
	int64_t id;
	assert_int_equal(cr_store_begin(s, &m), CR_OK);
	assert_int_equal(cr_store_begin(s, &m), CR_EINVAL); /* no nesting */
	assert_int_equal(cr_store_doc_put(s, &row, NULL, &ch, 1, &id, NULL, &m), CR_OK);
	cr_store_rollback(s);
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_doc_row r;
	assert_int_equal(cr_store_doc_find(s, &a, src, "gone.txt", &r, &m), CR_ENOTFOUND);
	assert_int_equal(cr_store_commit(s, &m), CR_EINVAL);
	/* A second connection sees only committed work. */
	cr_store *s2 = open_store();
	assert_int_equal(cr_store_begin(s, &m), CR_OK);
	assert_int_equal(cr_store_doc_put(s, &row, NULL, &ch, 1, &id, NULL, &m), CR_OK);
	assert_int_equal(cr_store_doc_find(s2, &a, src, "gone.txt", &r, &m), CR_ENOTFOUND);
	assert_int_equal(cr_store_commit(s, &m), CR_OK);
	assert_int_equal(cr_store_doc_find(s2, &a, src, "gone.txt", &r, &m), CR_OK);
	/* A document without a name or with a missing parent is refused. */
	row.name = NULL;
	assert_int_equal(cr_store_doc_put(s, &row, NULL, &ch, 1, &id, NULL, &m), CR_EINVAL);
	row.name = "child";
	row.parent = "no-such-parent";
	assert_int_equal(cr_store_doc_put(s, &row, NULL, &ch, 1, &id, NULL, &m), CR_EINVAL);
	assert_non_null(strstr(m.text, "no-such-parent"));
	cr_arena_release(&a);
	cr_store_close(s2);
	cr_store_close(s);
}

static int count_doc(void *ctx, int64_t id, const char *name, const char *hash, int64_t mtime, int64_t size)
{
	(*(int *)ctx)++;
	return 0;
}

static void test_children(void **st)
{
	cr_store *s = open_store();
	cr_msg m = {{0}};
	int64_t src;
	assert_int_equal(cr_store_source_get_or_add(s, "/mail", "folder", &src, &m), CR_OK);
	const char *tp[] = {"the mail body"};
	const char *tc[] = {"attachment text", "more"};
	const char *tg[] = {"nested"};
	int64_t p = put_doc(s, src, "x.eml", NULL, tp, 1, NULL);
	int64_t c = put_doc(s, src, "x.eml#att/a.pdf", "x.eml", tc, 2, NULL);
	int64_t g = put_doc(s, src, "x.eml#att/a.pdf#1", "x.eml#att/a.pdf", tg, 1, NULL);
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_doc_row r;
	assert_int_equal(cr_store_doc_get(s, &a, c, &r, &m), CR_OK);
	assert_string_equal(r.parent, "x.eml");
	int n_all = 0, n_files = 0;
	assert_int_equal(cr_store_docs_of_source(s, src, count_doc, &n_all, &m), CR_OK);
	assert_int_equal(cr_store_files_of_source(s, src, count_doc, &n_files, &m), CR_OK);
	assert_int_equal(n_all, 3);
	assert_int_equal(n_files, 1);
	int n_kids = 0;
	assert_int_equal(cr_store_children(s, p, count_doc, &n_kids, &m), CR_OK);
	assert_int_equal(n_kids, 1); /* the attachment, not its own child */
	/* Deleting the parent takes the children and all their chunks. */
	cr_buf del;
	cr_buf_init(&del, 0);
	assert_int_equal(cr_store_begin(s, &m), CR_OK);
	assert_int_equal(cr_store_doc_delete(s, p, &del, &m), CR_OK);
	assert_int_equal(cr_store_commit(s, &m), CR_OK);
	assert_int_equal(del.len, 4 * sizeof(uint64_t));
	assert_int_equal(cr_store_doc_get(s, &a, g, &r, &m), CR_ENOTFOUND);
	cr_store_stats sts;
	assert_int_equal(cr_store_get_stats(s, &a, &sts, &m), CR_OK);
	assert_int_equal(sts.n_docs, 0);
	assert_int_equal(sts.n_chunks, 0);
	/* ...and the journal (filled by the cascade too) has all four. */
	cr_buf_reset(&del);
	assert_int_equal(cr_store_deleted_chunks(s, &del, &m), CR_OK);
	assert_int_equal(del.len, 4 * sizeof(uint64_t));
	cr_buf_release(&del);
	cr_arena_release(&a);
	cr_store_close(s);
}

static int count_model(void *ctx, const cr_model_row *r)
{
	(*(int *)ctx)++;
	return 0;
}

static void test_kv_models(void **st)
{
	cr_store *s = open_store();
	cr_msg m = {{0}};
	cr_arena a;
	cr_arena_init(&a, 0);
	const char *v;
	assert_int_equal(cr_store_kv_get(s, &a, "k", &v, &m), CR_ENOTFOUND);
	assert_int_equal(cr_store_kv_set(s, "k", "one", &m), CR_OK);
	assert_int_equal(cr_store_kv_set(s, "k", "two", &m), CR_OK);
	assert_int_equal(cr_store_kv_get(s, &a, "k", &v, &m), CR_OK);
	assert_string_equal(v, "two");
	int64_t mx = -1;
	assert_int_equal(cr_store_max_chunk_id(s, &mx, &m), CR_OK);
	assert_int_equal(mx, 0);
	assert_int_equal(cr_store_chunk_ids_reserve(s, 1000, &m), CR_OK); /* no chunk ever */
	assert_int_equal(cr_store_max_chunk_id(s, &mx, &m), CR_OK);
	assert_int_equal(mx, 1000);

	cr_model_row r = {"tiny", "/models/tiny.gguf", "llama", "{\"params\":1}", 1000, 0};
	assert_int_equal(cr_store_model_put(s, &r, &m), CR_OK);
	r.name = "other";
	assert_int_equal(cr_store_model_put(s, &r, &m), CR_OK);
	cr_model_row g;
	assert_int_equal(cr_store_model_get(s, &a, "tiny", &g, &m), CR_OK);
	assert_string_equal(g.path, "/models/tiny.gguf");
	assert_string_equal(g.arch, "llama");
	assert_string_equal(g.info_json, "{\"params\":1}");
	assert_int_equal(g.size, 1000);
	assert_true(g.added > 0);
	int n = 0;
	assert_int_equal(cr_store_model_list(s, count_model, &n, &m), CR_OK);
	assert_int_equal(n, 2);
	assert_int_equal(cr_store_model_del(s, "tiny", &m), CR_OK);
	assert_int_equal(cr_store_model_del(s, "tiny", &m), CR_ENOTFOUND);
	assert_int_equal(cr_store_model_get(s, &a, "tiny", &g, &m), CR_ENOTFOUND);
	r.name = NULL;
	assert_int_equal(cr_store_model_put(s, &r, &m), CR_EINVAL);
	cr_arena_release(&a);
	cr_store_close(s);
}

static void test_corrupt(void **st)
{
	char path[300];
	snprintf(path, sizeof path, "%s/catalog.db", dir);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	for (int i = 0; i < 4096; i++)
		fputc("garbage!"[i % 8], f);
	fclose(f);
	cr_store *s = NULL;
	cr_msg m = {{0}};
	assert_int_equal(cr_store_open(dir, &s, &m), CR_ECORRUPT);
	assert_null(s);
	assert_non_null(strstr(m.text, "catalog.db"));
	assert_int_equal(cr_store_open("postgres://x", &s, &m), CR_EUNSUPPORTED);
}


/* Runs SQL on the catalog file directly, as an older build would have left it. */
static void raw_sql(const char *sql)
{
	char path[300];
	snprintf(path, sizeof path, "%s/catalog.db", dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	char *err = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
	if (rc != SQLITE_OK)
		fprintf(stderr, "%s: %s\n", sql, err);
	assert_int_equal(rc, SQLITE_OK);
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

static void test_migrations(void **st)
{
	/* A new catalog is at the current version, with every table. */
	cr_store *s = open_store();
	cr_msg m = {{0}};
	int64_t src = 0;
	assert_int_equal(cr_store_source_get_or_add(s, "/data/docs", "folder", &src, &m), CR_OK);
	const char *texts[] = {"alpha beta", "gamma delta"};
	int64_t id = put_doc(s, src, "docs/a.txt", NULL, texts, 2, NULL);
	assert_int_equal(cr_store_kv_set(s, "k", "v", &m), CR_OK);
	cr_store_close(s);
	assert_int_equal(raw_int("SELECT max(version) FROM schema_version"), CR_STORE_SCHEMA_VERSION);

	/* The v1 layout: what builds before the rejects table created. */
	raw_sql("DROP TABLE rejects; UPDATE schema_version SET version = 1;");
	assert_int_equal(raw_int("SELECT count(*) FROM sqlite_master WHERE name = 'rejects'"), 0);
	s = open_store();
	assert_int_equal(raw_int("SELECT max(version) FROM schema_version"), CR_STORE_SCHEMA_VERSION);
	assert_int_equal(raw_int("SELECT count(*) FROM schema_version"), 1);
	/* the data survived */
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_doc_row d;
	assert_int_equal(cr_store_doc_find(s, &a, src, "docs/a.txt", &d, &m), CR_OK);
	assert_int_equal(d.id, id);
	assert_int_equal(d.n_chunks, 2);
	collect k = {0};
	assert_int_equal(cr_store_chunks_of_doc(s, id, collect_chunk, &k, &m), CR_OK);
	assert_int_equal(k.n, 2);
	assert_string_equal(k.texts[1], "gamma delta");
	const char *v = NULL;
	assert_int_equal(cr_store_kv_get(s, &a, "k", &v, &m), CR_OK);
	assert_string_equal(v, "v");
	/* and the new table works */
	cr_reject_row rr = {.source_id = src, .name = "docs/bin", .size = 3, .mtime = 4, .reason = "binary"};
	assert_int_equal(cr_store_reject_put(s, &rr, &m), CR_OK);
	cr_reject_row got;
	assert_int_equal(cr_store_reject_find(s, &a, src, "docs/bin", &got, &m), CR_OK);
	assert_string_equal(got.reason, "binary");
	cr_store_close(s);

	/* A v1 catalog that already had the table (made by the builds that
	 * created it at every open) upgrades too, keeping its rows. */
	raw_sql("UPDATE schema_version SET version = 1;");
	s = open_store();
	assert_int_equal(raw_int("SELECT max(version) FROM schema_version"), CR_STORE_SCHEMA_VERSION);
	assert_int_equal(cr_store_reject_find(s, &a, src, "docs/bin", &got, &m), CR_OK);
	cr_store_close(s);

	/* Newer than this build: refused, with the versions in the message. */
	raw_sql("UPDATE schema_version SET version = 99;");
	cr_store *s2 = NULL;
	memset(&m, 0, sizeof m);
	assert_int_equal(cr_store_open(dir, &s2, &m), CR_EUNSUPPORTED);
	assert_null(s2);
	char want[64];
	snprintf(want, sizeof want, "v99 is newer than this build (v%d)", CR_STORE_SCHEMA_VERSION);
	assert_non_null(strstr(m.text, want));
	/* and left as it was */
	assert_int_equal(raw_int("SELECT max(version) FROM schema_version"), 99);

	/* No version at all: corrupt, not silently recreated. */
	raw_sql("DELETE FROM schema_version;");
	memset(&m, 0, sizeof m);
	assert_int_equal(cr_store_open(dir, &s2, &m), CR_ECORRUPT);
	assert_non_null(strstr(m.text, "no schema version"));
	cr_arena_release(&a);
}

/* Two connections opening the same v1 catalog at once upgrade it once. */
typedef struct opener {
	cr_store *s;
	cr_err e;
	char msg[sizeof ((cr_msg *)0)->text];
} opener;

static void *open_thread(void *arg)
{
	opener *o = arg;
	cr_msg m = {{0}};
	o->e = cr_store_open(dir, &o->s, &m);
	snprintf(o->msg, sizeof o->msg, "%s", m.text);
	return NULL;
}

/* v8 -> v9: readers and addresses come in beside what was there; a
 * document's readers are written, read back, replaced and dropped with
 * it. */
static void test_readers_v9(void **st)
{
	cr_store *s = open_store();
	cr_msg m = {{0}};
	int64_t src = 0;
	assert_int_equal(cr_store_source_get_or_add(s, "/data/mail", "folder", &src, &m), CR_OK);
	const char *texts[] = {"hello"};
	put_doc(s, src, "mail/old.txt", NULL, texts, 1, NULL);
	cr_store_close(s);
	raw_sql("DROP TABLE doc_readers; DROP TABLE addresses; DROP TABLE user_emails;"
		"UPDATE schema_version SET version = 8;");
	s = open_store();
	assert_int_equal(raw_int("SELECT max(version) FROM schema_version"), CR_STORE_SCHEMA_VERSION);
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_doc_row row;
	assert_int_equal(cr_store_doc_find(s, &a, src, "mail/old.txt", &row, &m), CR_OK);
	assert_null(row.readers_kind);
	assert_null(row.readers);
	/* a message's readers */
	cr_chunk ch = mk_chunk("the message", 0);
	cr_doc_row w;
	memset(&w, 0, sizeof w);
	w.source_id = src;
	w.name = "mail/m.eml";
	w.type = "eml";
	w.readers_kind = "mail";
	w.readers = "a@x.org\nb@x.org";
	w.readers_acl = 1;
	int64_t id = 0;
	assert_int_equal(cr_store_begin(s, &m), CR_OK);
	assert_int_equal(cr_store_doc_put(s, &w, NULL, &ch, 1, &id, NULL, &m), CR_OK);
	assert_int_equal(cr_store_commit(s, &m), CR_OK);
	assert_int_equal(cr_store_doc_get(s, &a, id, &row, &m), CR_OK);
	assert_string_equal(row.readers_kind, "mail");
	assert_string_equal(row.readers, "a@x.org\nb@x.org");
	assert_int_equal(row.readers_acl, 1);
	/* written again without readers: none */
	w.readers_kind = w.readers = NULL;
	w.readers_acl = 0;
	assert_int_equal(cr_store_begin(s, &m), CR_OK);
	assert_int_equal(cr_store_doc_put(s, &w, NULL, &ch, 1, &id, NULL, &m), CR_OK);
	assert_int_equal(cr_store_commit(s, &m), CR_OK);
	assert_int_equal(cr_store_doc_get(s, &a, id, &row, &m), CR_OK);
	assert_null(row.readers_kind);
	assert_int_equal(raw_int("SELECT count(*) FROM doc_readers"), 0);
	/* and gone with its document */
	w.readers_kind = "chat";
	assert_int_equal(cr_store_begin(s, &m), CR_OK);
	assert_int_equal(cr_store_doc_put(s, &w, NULL, &ch, 1, &id, NULL, &m), CR_OK);
	assert_int_equal(cr_store_doc_delete(s, id, NULL, &m), CR_OK);
	assert_int_equal(cr_store_commit(s, &m), CR_OK);
	assert_int_equal(raw_int("SELECT count(*) FROM doc_readers"), 0);
	cr_arena_release(&a);
	cr_store_close(s);
}

static void test_migration_race(void **st)
{
	cr_store *s = open_store();
	cr_store_close(s);
	raw_sql("DROP TABLE rejects; UPDATE schema_version SET version = 1;");
	enum { N = 4 };
	opener o[N];
	pthread_t th[N];
	memset(o, 0, sizeof o);
	for (int i = 0; i < N; i++)
		assert_int_equal(pthread_create(&th[i], NULL, open_thread, &o[i]), 0);
	for (int i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		if (o[i].e)
			fprintf(stderr, "open %d: %s\n", i, o[i].msg);
		assert_int_equal(o[i].e, CR_OK);
		cr_store_close(o[i].s);
	}
	assert_int_equal(raw_int("SELECT max(version) FROM schema_version"), CR_STORE_SCHEMA_VERSION);
	assert_int_equal(raw_int("SELECT count(*) FROM schema_version"), 1);
}

/* One writer and readers on their own connections, at the same time: every
 * read sees a whole document (all its chunks or none). */
typedef struct reader_arg {
	int64_t src;
	int64_t seen_max;
	int errors;
	volatile int *stop;
} reader_arg;

static void *reader_thread(void *arg)
{
	reader_arg *r = arg;
	cr_store *s = NULL;
	cr_msg m = {{0}};
	if (cr_store_open(dir, &s, &m)) {
		r->errors++;
		return NULL;
	}
	cr_arena a;
	cr_arena_init(&a, 0);
	while (!__atomic_load_n(r->stop, __ATOMIC_ACQUIRE)) {
		for (int i = 0; i < 50; i++) {
			char name[32];
			snprintf(name, sizeof name, "d%d", i);
			cr_doc_row d;
			cr_err e = cr_store_doc_find(s, &a, r->src, name, &d, &m);
			if (e == CR_ENOTFOUND)
				continue;
			if (e || d.n_chunks != 3) {
				r->errors++;
				continue;
			}
			collect k = {0};
			if (cr_store_chunks_of_doc(s, d.id, collect_chunk, &k, &m) || k.n != 3)
				r->errors++;
			if (d.id > r->seen_max)
				r->seen_max = d.id;
		}
		cr_arena_release(&a);
	}
	cr_arena_release(&a);
	cr_store_close(s);
	return NULL;
}

static void test_threads(void **st)
{
	cr_store *w = open_store();
	cr_msg m = {{0}};
	int64_t src = 0;
	assert_int_equal(cr_store_source_get_or_add(w, "/data/docs", "folder", &src, &m), CR_OK);
	volatile int stop = 0;
	enum { N = 3 };
	reader_arg ra[N];
	pthread_t th[N];
	for (int i = 0; i < N; i++) {
		ra[i] = (reader_arg){.src = src, .stop = &stop};
		assert_int_equal(pthread_create(&th[i], NULL, reader_thread, &ra[i]), 0);
	}
	const char *texts[] = {"one", "two", "three"};
	for (int round = 0; round < 4; round++)
		for (int i = 0; i < 50; i++) {
			char name[32];
			snprintf(name, sizeof name, "d%d", i);
			put_doc(w, src, name, NULL, texts, 3, NULL);
		}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(ra[i].errors, 0);
	}
	cr_store_close(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_docs_and_chunks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ids_never_reused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_children, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kv_models, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_race, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readers_v9, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
