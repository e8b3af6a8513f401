/* test_corpus.c — the corpus pipeline on a temporary tree: ingest, re-ingest
 * (unchanged), modify (updated), delete (deleted and gone from search),
 * rejections (FIFO, broken link, link loop, over the size limit), JSONL
 * documents, and the repairs cr_corpus_open performs after a crash: catalog
 * ahead of the index, deletions not yet tombstoned, index ahead of a lost
 * catalog. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cristal/corpus.h"
#include "corpus/corpus_int.h"

static char tmp[256], tree[300], data[300];

static int setup(void **st)
{
	snprintf(tmp, sizeof tmp, "/tmp/cr_test_corpus.XXXXXX");
	assert_non_null(mkdtemp(tmp));
	snprintf(tree, sizeof tree, "%s/docs", tmp);
	snprintf(data, sizeof data, "%s/data", tmp);
	assert_int_equal(mkdir(tree, 0755), 0);
	return 0;
}

static int teardown(void **st)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void write_file(const char *rel, const char *text)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", tree, rel);
	char *slash = strrchr(p, '/');
	*slash = 0;
	assert_int_equal(cr_mkdirs(p, NULL), CR_OK);
	*slash = '/';
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

typedef struct rejects {
	char names[16][128];
	char reasons[16][160];
	int n;
} rejects;

static void on_file(void *ctx, const char *name, cr_file_outcome o, const char *reason, uint64_t done, uint64_t total)
{
	rejects *r = ctx;
	assert_true(done <= total || o == CR_FILE_INGESTED); /* commits come after the files */
	if ((o == CR_FILE_REJECTED || o == CR_FILE_REJECTED_KNOWN) && r->n < 16) {
		snprintf(r->names[r->n], sizeof r->names[0], "%s", name);
		snprintf(r->reasons[r->n], sizeof r->reasons[0], "%s", reason ? reason : "");
		r->n++;
	}
}

static cr_ingest_report ingest(cr_corpus *c, rejects *rj)
{
	const char *paths[] = {tree};
	cr_ingest_opts o = cr_ingest_opts_default();
	o.limits.max_file_bytes = 100000;
	o.progress = on_file;
	o.progress_ctx = rj;
	cr_ingest_report rep;
	cr_msg m = {{0}};
	cr_err e = cr_corpus_ingest(c, paths, 1, &o, &rep, &m);
	if (e)
		fprintf(stderr, "ingest: %s\n", m.text);
	assert_int_equal(e, CR_OK);
	return rep;
}

/* Names of the documents found for q, comma-joined, in rank order. */
static const char *find(cr_corpus *c, const char *q)
{
	static char out[1024];
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_corpus_query cq = {.text = q, .k = 10};
	cr_result *rs;
	size_t n;
	cr_msg m = {{0}};
	assert_int_equal(cr_corpus_search(c, &a, &cq, &rs, &n, &m), CR_OK);
	out[0] = 0;
	for (size_t i = 0; i < n; i++) {
		strncat(out, rs[i].doc, sizeof out - strlen(out) - 2);
		if (i + 1 < n)
			strcat(out, ",");
		assert_non_null(rs[i].snippet);
	}
	cr_arena_release(&a);
	return out;
}

static int has_reject(const rejects *r, const char *name, const char *reason_part)
{
	for (int i = 0; i < r->n; i++)
		if (!strcmp(r->names[i], name) && strstr(r->reasons[i], reason_part))
			return 1;
	return 0;
}

static void test_incremental(void **st)
{
	write_file("a.txt", "The zebrafish aquarium opens on Monday.\n");
	write_file("b.md", "# Budget\n\nThe marmalade budget is 40 euros.\n");
	write_file("sub/c.txt", "Line one\nLine two mentions the quokka\n");
	write_file(".hidden.txt", "the zebrafish secret\n");
	char p[512], big[200001];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = 0;
	write_file("big.txt", big);
	snprintf(p, sizeof p, "%s/pipe", tree);
	assert_int_equal(mkfifo(p, 0644), 0);
	snprintf(p, sizeof p, "%s/dangling", tree);
	assert_int_equal(symlink("/nonexistent/target", p), 0);
	snprintf(p, sizeof p, "%s/sub/loop", tree);
	assert_int_equal(symlink("..", p), 0);

	cr_corpus *c;
	cr_msg m = {{0}};
	assert_int_equal(cr_corpus_open(data, 0, &c, &m), CR_ENOTFOUND); /* not created yet */
	assert_int_equal(cr_corpus_open(data, 1, &c, &m), CR_OK);
	rejects rj = {0};
	cr_ingest_report r = ingest(c, &rj);
	assert_int_equal(r.ingested, 3);
	assert_int_equal(r.rejected, 4);
	assert_true(has_reject(&rj, "docs/pipe", "FIFO"));
	assert_true(has_reject(&rj, "docs/dangling", "broken"));
	assert_true(has_reject(&rj, "docs/sub/loop", "loop"));
	assert_true(has_reject(&rj, "docs/big.txt", "limit"));
	assert_string_equal(find(c, "zebrafish"), "docs/a.txt"); /* the hidden file is not there */
	assert_string_equal(find(c, "marmalade"), "docs/b.md");
	assert_string_equal(find(c, "quokka"), "docs/sub/c.txt");
	/* the location of a line in a text file */
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_corpus_query cq = {.text = "quokka", .k = 1};
	cr_result *rs;
	size_t n;
	assert_int_equal(cr_corpus_search(c, &a, &cq, &rs, &n, &m), CR_OK);
	assert_int_equal(n, 1);
	assert_true(rs[0].loc.line_start >= 1);
	assert_non_null(strstr(rs[0].snippet, "\xc2\xab" "quokka" "\xc2\xbb"));
	cr_arena_release(&a);

	/* again: nothing changed */
	memset(&rj, 0, sizeof rj);
	r = ingest(c, &rj);
	assert_int_equal(r.ingested, 0);
	assert_int_equal(r.unchanged, 3);
	assert_int_equal(r.updated, 0);
	assert_int_equal(r.deleted, 0);

	/* touch without change: unchanged (hash), modify: updated */
	snprintf(p, sizeof p, "%s/a.txt", tree);
	write_file("a.txt", "The zebrafish aquarium opens on Monday.\n");
	write_file("b.md", "# Budget\n\nThe pineapple budget is 40 euros.\n");
	r = ingest(c, &rj);
	assert_int_equal(r.updated, 1);
	assert_int_equal(r.unchanged, 2);
	assert_string_equal(find(c, "marmalade"), "");
	assert_string_equal(find(c, "pineapple"), "docs/b.md");

	/* delete: gone from the catalog and from search */
	unlink(p);
	r = ingest(c, &rj);
	assert_int_equal(r.deleted, 1);
	assert_int_equal(r.unchanged, 2);
	assert_string_equal(find(c, "zebrafish"), "");
	cr_index_stats is;
	cr_index_get_stats(cr_corpus_index(c), &is);
	cr_store_stats ss;
	assert_int_equal(cr_store_get_stats(cr_corpus_store(c), &a, &ss, &m), CR_OK);
	assert_int_equal(ss.n_docs, 2);
	assert_int_equal(is.n_entries, (uint64_t)ss.n_chunks); /* live entries */
	cr_arena_release(&a);
	cr_corpus_close(c);
}

static void test_jsonl(void **st)
{
	char p[512];
	snprintf(p, sizeof p, "%s/c.jsonl", tmp);
	FILE *f = fopen(p, "w");
	fputs("{\"_id\": \"d1\", \"title\": \"Otters\", \"text\": \"Sea otters hold hands while sleeping.\", \"lang\": \"en\"}\n"
	      "{\"id\": 2, \"text\": \"Wombats produce cube-shaped droppings.\"}\n"
	      "not json\n"
	      "\n"
	      "{\"_id\": \"d3\"}\n",
	      f);
	fclose(f);
	cr_corpus *c;
	cr_msg m = {{0}};
	assert_int_equal(cr_corpus_open(data, 1, &c, &m), CR_OK);
	cr_ingest_report r;
	assert_int_equal(cr_corpus_ingest_jsonl(c, p, NULL, &r, &m), CR_OK);
	assert_int_equal(r.ingested, 2);
	assert_int_equal(r.rejected, 2);
	assert_string_equal(find(c, "otters"), "d1");
	assert_string_equal(find(c, "wombats"), "2");
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_doc_row d;
	assert_int_equal(cr_store_doc_find_any(cr_corpus_store(c), &a, "d1", &d, &m), CR_OK);
	assert_string_equal(d.title, "Otters");
	assert_string_equal(d.meta_json, "{\"lang\":\"en\"}");
	cr_arena_release(&a);
	/* rewrite: d1 unchanged, 2 changed, d4 new, nothing else */
	f = fopen(p, "w");
	fputs("{\"_id\": \"d1\", \"title\": \"Otters\", \"text\": \"Sea otters hold hands while sleeping.\", \"lang\": \"en\"}\n"
	      "{\"id\": 2, \"text\": \"Wombats are marsupials.\"}\n"
	      "{\"_id\": \"d4\", \"text\": \"Axolotls regrow limbs.\"}\n",
	      f);
	fclose(f);
	assert_int_equal(cr_corpus_ingest_jsonl(c, p, NULL, &r, &m), CR_OK);
	assert_int_equal(r.unchanged, 1);
	assert_int_equal(r.updated, 1);
	assert_int_equal(r.ingested, 1);
	assert_string_equal(find(c, "cube"), "");
	assert_string_equal(find(c, "marsupials"), "2");
	f = fopen(p, "w");
	fputs("{\"_id\": \"d4\", \"text\": \"Axolotls regrow limbs.\"}\n", f);
	fclose(f);
	assert_int_equal(cr_corpus_ingest_jsonl(c, p, NULL, &r, &m), CR_OK);
	assert_int_equal(r.deleted, 2);
	assert_string_equal(find(c, "otters"), "");
	assert_string_equal(find(c, "axolotls"), "d4");
	assert_int_equal(cr_corpus_ingest_jsonl(c, "/nonexistent.jsonl", NULL, &r, &m), CR_ENOTFOUND);
	/* many small ingests: one segment each, merged past the limit */
	/* words of letters only: the analyzer splits letters from digits */
	static const char *const ver[12] = {"zqbq", "zqcq", "zqdq", "zqfq", "zqgq", "zqhq",
					    "zqjq", "zqkq", "zqmq", "zqnq", "zqpq", "zqrq"};
	for (int i = 0; i < 12; i++) {
		f = fopen(p, "w");
		fprintf(f, "{\"_id\": \"d4\", \"text\": \"Axolotls regrow limbs.\"}\n"
			   "{\"_id\": \"v\", \"text\": \"version %s of this\"}\n", ver[i]);
		fclose(f);
		assert_int_equal(cr_corpus_ingest_jsonl(c, p, NULL, &r, &m), CR_OK);
		cr_index_stats is;
		cr_index_get_stats(cr_corpus_index(c), &is);
		assert_true(is.n_segments <= 8);
		assert_int_equal(is.n_entries, 2);
	}
	assert_string_equal(find(c, ver[11]), "v");
	assert_string_equal(find(c, ver[10]), "");
	assert_string_equal(find(c, "axolotls"), "d4");
	cr_corpus_close(c);
}

/* A file rejected for its content is remembered (size, mtime, reason) and
 * not read again while those match; a changed file is retried; the memory
 * of a file that is gone is dropped. */
static void test_reject_cache(void **st)
{
	write_file("ok.txt", "The pangolin eats ants.\n");
	static const char blob[] = "\x7f" "ELF\x02\x01\x01 not text at all";
	char p[512];
	snprintf(p, sizeof p, "%s/tool", tree);
	FILE *f = fopen(p, "wb");
	fwrite(blob, 1, sizeof blob - 1, f);
	fclose(f);
	struct stat sb;
	assert_int_equal(stat(p, &sb), 0);
	cr_corpus *c;
	cr_msg m = {{0}};
	assert_int_equal(cr_corpus_open(data, 1, &c, &m), CR_OK);
	rejects rj = {0};
	cr_ingest_report rep = ingest(c, &rj);
	assert_int_equal(rep.rejected, 1);
	assert_int_equal(rep.rejected_known, 0);
	assert_true(has_reject(&rj, "docs/tool", "binary file (ELF executable)"));
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_reject_row rr;
	cr_doc_row d;
	assert_int_equal(cr_store_doc_find_any(cr_corpus_store(c), &a, "docs/ok.txt", &d, &m), CR_OK);
	int64_t src = d.source_id;
	assert_int_equal(cr_store_reject_find(cr_corpus_store(c), &a, src, "docs/tool", &rr, &m), CR_OK);
	assert_int_equal(rr.size, (int64_t)sizeof blob - 1);
	assert_string_equal(rr.reason, "binary file (ELF executable)");

	/* same size and mtime, other bytes (readable text now): not read, so
	 * still rejected with the remembered reason */
	f = fopen(p, "wb");
	fputs("The aardvark digs deep.", f); /* same length as blob */
	fclose(f);
	assert_int_equal((int)strlen("The aardvark digs deep."), (int)sizeof blob - 1);
	struct timespec ts[2] = {sb.st_atim, sb.st_mtim};
	assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
	memset(&rj, 0, sizeof rj);
	rep = ingest(c, &rj);
	assert_int_equal(rep.rejected, 1);
	assert_int_equal(rep.rejected_known, 1); /* said as known, not as new */
	assert_int_equal(rep.unchanged, 1);
	assert_true(has_reject(&rj, "docs/tool", "binary file (ELF executable)"));
	assert_string_equal(find(c, "aardvark"), "");

	/* a new mtime: retried, now a document, and the rejection forgotten */
	ts[1].tv_sec += 10;
	assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
	memset(&rj, 0, sizeof rj);
	rep = ingest(c, &rj);
	assert_int_equal(rep.rejected, 0);
	assert_int_equal(rep.ingested, 1);
	assert_string_equal(find(c, "aardvark"), "docs/tool");
	assert_int_equal(cr_store_reject_find(cr_corpus_store(c), &a, src, "docs/tool", &rr, &m), CR_ENOTFOUND);

	/* rejected again, then deleted from disk: the rejection goes too */
	f = fopen(p, "wb");
	fwrite(blob, 1, sizeof blob - 1, f);
	fclose(f);
	ts[1].tv_sec += 10;
	assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
	memset(&rj, 0, sizeof rj);
	rep = ingest(c, &rj);
	assert_int_equal(rep.rejected, 1);
	assert_int_equal(rep.deleted, 1); /* the text version */
	assert_int_equal(cr_store_reject_find(cr_corpus_store(c), &a, src, "docs/tool", &rr, &m), CR_OK);
	assert_int_equal(unlink(p), 0);
	memset(&rj, 0, sizeof rj);
	rep = ingest(c, &rj);
	assert_int_equal(rep.rejected, 0);
	assert_int_equal(cr_store_reject_find(cr_corpus_store(c), &a, src, "docs/tool", &rr, &m), CR_ENOTFOUND);
	cr_arena_release(&a);
	cr_corpus_close(c);
}

/* The per-line JSONL parser on its own (no catalog), as the fuzz target uses it. */
static void test_jsonl_parse_line(void **st)
{
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_jsonl_rec r;
	cr_msg m = {{0}};
#define P(s) cr_jsonl_parse_line(&a, s, strlen(s), &r, &m)
	assert_int_equal(P("{\"_id\": \"d1\", \"title\": \"Otters\", \"text\": \"Sea otters\", \"lang\": \"en\", \"n\": 3}"), CR_OK);
	assert_string_equal(r.id, "d1");
	assert_string_equal(r.title, "Otters");
	assert_int_equal(r.title_len, 6);
	assert_string_equal(r.text, "Sea otters");
	assert_int_equal(r.text_len, 10);
	assert_string_equal(r.meta_json, "{\"lang\":\"en\",\"n\":3}");
	assert_int_equal(P("{\"id\": -42, \"text\": \"\\u65e5\\u672c\"}"), CR_OK);
	assert_string_equal(r.id, "-42");
	assert_string_equal(r.text, "日本");
	assert_null(r.title);
	assert_null(r.meta_json);
	assert_int_equal(P("{\"_id\": \"t\", \"title\": \"only\"}"), CR_OK);
	assert_null(r.text);
	/* rejections, each with its reason */
	assert_int_equal(P("{\"title\": \"x\", \"text\": \"y\"}"), CR_ECORRUPT);
	assert_string_equal(m.text, "no \"_id\" or \"id\"");
	assert_int_equal(P("{\"_id\": 1.5, \"text\": \"y\"}"), CR_ECORRUPT);
	assert_int_equal(P("{\"_id\": \"\", \"text\": \"y\"}"), CR_ECORRUPT);
	assert_int_equal(P("{\"_id\": [\"a\"], \"text\": \"y\"}"), CR_ECORRUPT);
	assert_int_equal(P("{\"_id\": \"a\", \"text\": 5}"), CR_ECORRUPT);
	assert_string_equal(m.text, "no \"text\" or \"title\"");
	assert_int_equal(P("[1, 2]"), CR_ECORRUPT);
	assert_string_equal(m.text, "not a JSON object");
	assert_int_equal(P("not json"), CR_ECORRUPT);
	assert_true(m.text[0] != 0);
	assert_int_equal(P("{\"_id\": 99999999999999999999999, \"text\": \"big\"}"), CR_ECORRUPT);
	assert_int_equal(P("{\"_id\": \"a\", \"_id\": \"b\", \"text\": \"dup\"}"), CR_ECORRUPT);
	assert_int_equal(P("{\"_id\": \"u\", \"text\": \"bad \xff utf8\"}"), CR_ECORRUPT);
	assert_int_equal(P("{\"_id\": \"u\", \"text\": \"nul \\u0000 inside\"}"), CR_ECORRUPT);
	assert_int_equal(cr_jsonl_parse_line(&a, NULL, 0, &r, &m), CR_ECORRUPT);
	/* deep nesting is refused, not a stack overflow */
	size_t d = 100000;
	char *deep = cr_arena_alloc(&a, 2 * d + 64);
	size_t k = (size_t)sprintf(deep, "{\"_id\":\"x\",\"text\":\"t\",\"m\":");
	memset(deep + k, '[', d);
	memset(deep + k + d, ']', d);
	deep[k + 2 * d] = '}';
	assert_int_equal(cr_jsonl_parse_line(&a, deep, k + 2 * d + 1, &r, &m), CR_ECORRUPT);
#undef P
	cr_arena_release(&a);
}

/* Work done on the catalog alone (as if the process died before the index
 * caught up) is repaired by the next open. */
static void test_repair(void **st)
{
	write_file("x.txt", "The capybara is the largest rodent.\n");
	write_file("y.txt", "The narwhal has a long tusk.\n");
	cr_corpus *c;
	cr_msg m = {{0}};
	assert_int_equal(cr_corpus_open(data, 1, &c, &m), CR_OK);
	rejects rj = {0};
	ingest(c, &rj);
	assert_string_equal(find(c, "narwhal"), "docs/y.txt");
	cr_corpus_close(c);

	/* behind the index's back: a new document and a deletion */
	cr_store *s;
	assert_int_equal(cr_store_open(data, &s, &m), CR_OK);
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_doc_row d;
	assert_int_equal(cr_store_doc_find_any(s, &a, "docs/y.txt", &d, &m), CR_OK);
	assert_int_equal(cr_store_begin(s, &m), CR_OK);
	assert_int_equal(cr_store_doc_delete(s, d.id, NULL, &m), CR_OK);
	cr_chunk ch;
	memset(&ch, 0, sizeof ch);
	ch.text = "The okapi lives in the Congo.";
	ch.len = strlen(ch.text);
	ch.loc.t_start = ch.loc.t_end = -1;
	cr_doc_row row;
	memset(&row, 0, sizeof row);
	row.source_id = d.source_id;
	row.name = "docs/z.txt";
	row.type = "txt";
	assert_int_equal(cr_store_doc_put(s, &row, NULL, &ch, 1, NULL, NULL, &m), CR_OK);
	assert_int_equal(cr_store_commit(s, &m), CR_OK);
	cr_store_close(s);

	assert_int_equal(cr_corpus_open(data, 0, &c, &m), CR_OK);
	assert_string_equal(find(c, "okapi"), "docs/z.txt");
	assert_string_equal(find(c, "narwhal"), "");
	cr_index_stats is;
	cr_index_get_stats(cr_corpus_index(c), &is);
	assert_int_equal(is.n_entries, 2);
	cr_buf j;
	cr_buf_init(&j, 0);
	assert_int_equal(cr_store_deleted_chunks(cr_corpus_store(c), &j, &m), CR_OK);
	assert_int_equal(j.len, 0); /* the journal was emptied */
	cr_buf_release(&j);
	cr_corpus_close(c);

	/* The catalog is lost (power cut, or replaced) but the index remains:
	 * the index's entries are tombstoned and new ids go above them. */
	char p[1024];
	snprintf(p, sizeof p, "rm -f %s/catalog.db %s/catalog.db-wal %s/catalog.db-shm", data, data, data);
	assert_int_equal(system(p), 0);
	assert_int_equal(cr_corpus_open(data, 1, &c, &m), CR_OK);
	assert_string_equal(find(c, "capybara"), "");
	uint64_t imax = cr_index_max_id(cr_corpus_index(c));
	int64_t next = 0;
	assert_int_equal(cr_store_max_chunk_id(cr_corpus_store(c), &next, &m), CR_OK);
	assert_true((uint64_t)next >= imax);
	ingest(c, &rj);
	assert_string_equal(find(c, "capybara"), "docs/x.txt");
	assert_true(cr_index_max_id(cr_corpus_index(c)) > imax);
	cr_arena_release(&a);
	cr_corpus_close(c);
}


/* ---- threads ---- */

typedef struct searcher {
	cr_corpus *c;
	atomic_int *stop;
	int rounds, errors;
} searcher;

/* Searches words known to be in fixed documents, and looks them up in the
 * catalog, until told to stop. */
static void *search_loop(void *arg)
{
	searcher *s = arg;
	static const char *const words[][2] = {
		{"zebrafish", "docs/fixed/a.txt"}, {"marmalade", "docs/fixed/b.txt"}, {"quokka", "docs/fixed/c.txt"}};
	cr_arena a;
	cr_arena_init(&a, 0);
	do {
		for (int i = 0; i < 3; i++) {
			cr_corpus_query cq = {.text = words[i][0], .k = 5};
			cr_result *rs;
			size_t n;
			cr_msg m = {{0}};
			if (cr_corpus_search(s->c, &a, &cq, &rs, &n, &m) || n != 1 || strcmp(rs[0].doc, words[i][1]) ||
			    !strstr(rs[0].snippet, words[i][0])) {
				if (s->errors++ < 3)
					print_message("search %s: %s (%zu hits)\n", words[i][0], m.text, n);
				continue;
			}
			cr_store *st = NULL;
			cr_doc_row d;
			if (cr_corpus_store_acquire(s->c, &st, &m) ||
			    cr_store_doc_find_any(st, &a, words[i][1], &d, &m) || d.id != rs[0].doc_id)
				s->errors++;
			cr_corpus_store_release(s->c, st);
		}
		cr_arena_release(&a);
		s->rounds++;
	} while (!atomic_load(s->stop));
	return NULL;
}

static void test_threads(void **st)
{
	write_file("fixed/a.txt", "The zebrafish aquarium opens on Monday.\n");
	write_file("fixed/b.txt", "The marmalade budget is 40 euros.\n");
	write_file("fixed/c.txt", "Line two mentions the quokka.\n");
	cr_corpus *c;
	cr_msg m = {{0}};
	assert_int_equal(cr_corpus_open(data, 1, &c, &m), CR_OK);
	rejects rj = {0};
	assert_int_equal(ingest(c, &rj).ingested, 3);

	/* Threads that search once and end leave one analyzer and one
	 * connection in the pools, not one each. */
	atomic_int stop;
	atomic_init(&stop, 1);
	for (int i = 0; i < 6; i++) {
		searcher s = {.c = c, .stop = &stop};
		pthread_t th;
		assert_int_equal(pthread_create(&th, NULL, search_loop, &s), 0);
		pthread_join(th, NULL);
		assert_int_equal(s.errors, 0);
	}
	assert_int_equal(c->n_ans, 1);
	assert_int_equal(c->n_readers, 1);

	/* Three searching threads while this one ingests new and changed files. */
	enum { N = 3 };
	searcher s[N];
	pthread_t th[N];
	atomic_store(&stop, 0);
	for (int i = 0; i < N; i++) {
		s[i] = (searcher){.c = c, .stop = &stop};
		assert_int_equal(pthread_create(&th[i], NULL, search_loop, &s[i]), 0);
	}
	for (int round = 0; round < 6; round++) {
		char name[64], text[128];
		snprintf(name, sizeof name, "new/n%d.txt", round);
		snprintf(text, sizeof text, "Round %d brings the ocelot number %d.\n", round, round);
		write_file(name, text);
		write_file("new/changing.txt", round % 2 ? "the okapi sleeps\n" : "the okapi wakes\n");
		cr_ingest_report r = ingest(c, &rj);
		assert_int_equal(r.ingested + r.updated, 2);
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(s[i].errors, 0);
		assert_true(s[i].rounds > 0);
	}
	/* the pools hold at most one of each per thread that ran at once
	 * (the ingest's sync took an analyzer too) */
	assert_true(c->n_ans >= 1 && c->n_ans <= N + 1);
	assert_true(c->n_readers >= 1 && c->n_readers <= N);
	assert_string_equal(find(c, "ocelot"), "docs/new/n0.txt,docs/new/n1.txt,docs/new/n2.txt,docs/new/n3.txt,"
					       "docs/new/n4.txt,docs/new/n5.txt");
	cr_corpus_close(c);
}

typedef struct second_writer {
	cr_corpus *c;
	cr_err lock, ingest;
	double seconds;
} second_writer;

static void *try_write(void *arg)
{
	second_writer *w = arg;
	double t0 = cr_now();
	cr_msg m = {{0}};
	w->lock = cr_corpus_lock(w->c, &m);
	cr_corpus_unlock(w->c); /* nothing when the lock was refused */
	const char *paths[] = {tree};
	cr_ingest_report rep;
	w->ingest = cr_corpus_ingest(w->c, paths, 1, NULL, &rep, &m);
	w->seconds = cr_now() - t0;
	return NULL;
}

static void test_writer_lock(void **st)
{
	write_file("a.txt", "The zebrafish aquarium opens on Monday.\n");
	cr_corpus *c;
	cr_msg m = {{0}};
	assert_int_equal(cr_corpus_open(data, 1, &c, &m), CR_OK);
	assert_int_equal(cr_corpus_lock(c, &m), CR_OK);
	assert_int_equal(cr_corpus_lock(c, &m), CR_OK); /* re-entrant in this thread */
	second_writer w = {.c = c};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, try_write, &w), 0);
	pthread_join(th, NULL);
	assert_int_equal(w.lock, CR_EBUSY);
	assert_int_equal(w.ingest, CR_EBUSY);
	assert_true(w.seconds < 1.0);
	/* the other thread's failed attempt did not release ours: no other
	 * open file can take DATA/lock */
	char p[400];
	snprintf(p, sizeof p, "%s/lock", data);
	int fd = open(p, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), -1);
	assert_int_equal(errno, EWOULDBLOCK);
	cr_corpus_unlock(c);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), -1); /* still held once */
	cr_corpus_unlock(c);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
	flock(fd, LOCK_UN);
	close(fd);
	/* free now: the other thread writes */
	memset(&w, 0, sizeof w);
	w.c = c;
	assert_int_equal(pthread_create(&th, NULL, try_write, &w), 0);
	pthread_join(th, NULL);
	assert_int_equal(w.lock, CR_OK);
	assert_int_equal(w.ingest, CR_OK);
	assert_string_equal(find(c, "zebrafish"), "docs/a.txt");
	cr_corpus_close(c);
}

/* Threads alive in this process (the entries of /proc/self/task). */
static int count_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	int n = 0;
	struct dirent *de;
	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static void on_file_threads(void *ctx, const char *name, cr_file_outcome o, const char *reason, uint64_t done,
			    uint64_t total)
{
	int *max = ctx;
	int n = count_threads();
	if (n > *max)
		*max = n;
}

/* The run uses the threads its options give, whatever the environment says. */
static void test_ingest_threads(void **st)
{
	for (int i = 0; i < 6; i++) {
		char name[32];
		snprintf(name, sizeof name, "t%d.txt", i);
		write_file(name, "The okapi lives in the forest.\n");
	}
	setenv("CR_INGEST_THREADS", "6", 1); /* read by the CLI only */
	int base = count_threads();
	cr_corpus *c;
	assert_int_equal(cr_corpus_open(data, 1, &c, NULL), CR_OK);
	const char *paths[] = {tree};
	int want[] = {1, 3};
	for (int k = 0; k < 2; k++) {
		if (k) /* changed files: read and extracted again */
			write_file("t0.txt", "The okapi lives in the rainforest.\n");
		int max = 0;
		cr_ingest_opts o = cr_ingest_opts_default();
		o.n_threads = want[k];
		o.progress = on_file_threads;
		o.progress_ctx = &max;
		cr_ingest_report rep;
		assert_int_equal(cr_corpus_ingest(c, paths, 1, &o, &rep, NULL), CR_OK);
		assert_int_equal(max, base + want[k] - 1);
		assert_int_equal(count_threads(), base); /* the run's pool is gone */
	}
	assert_string_equal(find(c, "rainforest"), "docs/t0.txt");
	cr_corpus_close(c);
	unsetenv("CR_INGEST_THREADS");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_incremental, setup, teardown),
		cmocka_unit_test_setup_teardown(test_jsonl, setup, teardown),
		cmocka_unit_test(test_jsonl_parse_line),
		cmocka_unit_test_setup_teardown(test_reject_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repair, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ingest_threads, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
