/* test_index.c — the full-text index: write/read round trip, BM25F against a
 * hand computation, block-max WAND against the exhaustive scorer on random
 * data, query syntax (phrases, prefixes, +/-, filters), ACL, tombstones and
 * merge, refresh, crash leftovers, corrupt files, snippets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cristal/index.h"
#include "index/index_int.h"

static cr_analyzer *g_an;

static void mkdtemp_dir(char *out, size_t n)
{
	snprintf(out, n, "/tmp/cr_test_index_XXXXXX");
	assert_non_null(mkdtemp(out));
}

static void rm_rf(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char p[4096];
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

static int count_files(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += !strncmp(e->d_name, prefix, strlen(prefix));
	closedir(d);
	return n;
}

static void add(cr_index_writer *w, uint64_t id, uint64_t doc_key, const char *doc, const char *type, int64_t date,
		const char *title, const char *body)
{
	cr_entry_attrs at = {.id = id, .doc_key = doc_key, .doc = doc, .type = type, .date = date};
	assert_int_equal(cr_index_writer_add(w, &at, title, title ? strlen(title) : 0, body, strlen(body)), CR_OK);
}

static int search_ids(cr_index *ix, const char *q, int k, int per_doc, uint64_t *ids, int max)
{
	cr_results r;
	cr_search_opts o = {.k = k, .per_doc = per_doc};
	cr_msg m = {{0}};
	cr_err e = cr_index_search(ix, g_an, q, &o, &r, &m);
	if (e) {
		print_message("search '%s': %s\n", q, m.text);
		return -1;
	}
	int n = (int)r.n;
	for (int i = 0; i < n && i < max; i++)
		ids[i] = r.hits[i].id;
	cr_results_release(&r);
	return n;
}

static int has_id(const uint64_t *ids, int n, uint64_t id)
{
	for (int i = 0; i < n; i++)
		if (ids[i] == id)
			return 1;
	return 0;
}

/* A small fixed corpus used by several tests. */
static cr_index *small_index(char *dir, size_t n)
{
	mkdtemp_dir(dir, n);
	cr_index *ix;
	assert_int_equal(cr_index_open(dir, &ix, NULL), CR_OK);
	cr_index_writer *w;
	assert_int_equal(cr_index_writer_new(ix, g_an, &w, NULL), CR_OK);
	add(w, 1, 10, "finance/q1.pdf", "pdf", 1704067200 /* 2024-01-01 */, "Quarterly report",
	    "red apple pie sales grew in the first quarter");
	add(w, 2, 10, "finance/q1.pdf", "pdf", 1704067200, "Quarterly report", "banana bread and apple juice");
	add(w, 3, 20, "notes/cooking.md", "md", 1717200000 /* 2024-06-01 */, "Cooking",
	    "apple red pie with cinnamon and a banana");
	add(w, 4, 30, "notes/travel.md", "md", 1735689600 /* 2025-01-01 */, NULL, "travel to kyoto by train");
	assert_int_equal(cr_index_writer_commit(w, NULL), CR_OK);
	cr_index_writer_free(w);
	return ix;
}

static void test_roundtrip(void **st)
{
	char dir[64];
	cr_index *ix = small_index(dir, sizeof dir);
	cr_index_close(ix);
	assert_int_equal(cr_index_open(dir, &ix, NULL), CR_OK);
	cr_index_stats s;
	cr_index_get_stats(ix, &s);
	assert_int_equal(s.n_entries, 4);
	assert_int_equal(s.n_segments, 1);
	assert_int_equal(cr_index_max_id(ix), 4);
	cr_results r;
	cr_search_opts o = {.k = 10};
	assert_int_equal(cr_index_search(ix, g_an, "kyoto", &o, &r, NULL), CR_OK);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.hits[0].id, 4);
	assert_int_equal(r.hits[0].doc_key, 30);
	assert_string_equal(r.hits[0].doc, "notes/travel.md");
	assert_string_equal(r.hits[0].type, "md");
	assert_int_equal(r.hits[0].date, 1735689600);
	assert_true(r.hits[0].score > 0);
	assert_true(r.n_terms >= 1);
	cr_results_release(&r);
	/* title terms are searchable */
	uint64_t ids[10];
	int n = search_ids(ix, "quarterly", 10, 0, ids, 10);
	assert_int_equal(n, 2);
	assert_true(has_id(ids, n, 1) && has_id(ids, n, 2));
	/* OR of words, ranked: apple+banana entries first */
	n = search_ids(ix, "apple banana", 10, 0, ids, 10);
	assert_int_equal(n, 3);
	assert_false(has_id(ids, n, 4));
	assert_int_equal(search_ids(ix, "zzzunknown", 10, 0, ids, 10), 0);
	assert_int_equal(search_ids(ix, "", 10, 0, ids, 10), 0);
	cr_index_close(ix);
	rm_rf(dir);
}

/* BM25F by hand: N=3 entries, lengths below 64 so length codes are exact. */
static void test_bm25_hand(void **st)
{
	char dir[64];
	mkdtemp_dir(dir, sizeof dir);
	cr_index *ix;
	assert_int_equal(cr_index_open(dir, &ix, NULL), CR_OK);
	cr_index_set_bm25(ix, 1.2f, 0.75f, 0.5f, 2.0f); /* not the defaults: set explicitly */
	cr_index_writer *w;
	assert_int_equal(cr_index_writer_new(ix, g_an, &w, NULL), CR_OK);
	/* title lengths 1,0,2; body lengths 4,2,3 (no stopwords) */
	add(w, 1, 1, "a", "t", 0, "zebra", "zebra lion zebra tiger");
	add(w, 2, 2, "b", "t", 0, NULL, "lion tiger");
	add(w, 3, 3, "c", "t", 0, "lion cub", "tiger tiger cub");
	assert_int_equal(cr_index_writer_commit(w, NULL), CR_OK);
	cr_index_writer_free(w);
	cr_results r;
	cr_search_opts o = {.k = 10};
	assert_int_equal(cr_index_search(ix, g_an, "zebra tiger", &o, &r, NULL), CR_OK);
	assert_int_equal(r.n, 3);
	double N = 3, k1 = 1.2, bb = 0.75, bt = 0.5, wt = 2.0;
	double avg_t = (1 + 0 + 2) / 3.0, avg_b = (4 + 2 + 3) / 3.0;
	double lt[3] = {1, 0, 2}, lb[3] = {4, 2, 3};
	double tf_zt[3] = {1, 0, 0}, tf_zb[3] = {2, 0, 0}; /* zebra */
	double tf_tt[3] = {0, 0, 0}, tf_tb[3] = {1, 1, 2}; /* tiger */
	double idf_z = log(1 + (N - 1 + 0.5) / (1 + 0.5)), idf_t = log(1 + (N - 3 + 0.5) / (3 + 0.5));
	double want[3];
	for (int d = 0; d < 3; d++) {
		double nt = 1.0 / (1 - bt + bt * lt[d] / avg_t), nb = 1.0 / (1 - bb + bb * lb[d] / avg_b);
		double xz = wt * tf_zt[d] * nt + tf_zb[d] * nb, xt = wt * tf_tt[d] * nt + tf_tb[d] * nb;
		want[d] = idf_z * (k1 + 1) * xz / (k1 + xz) + idf_t * (k1 + 1) * xt / (k1 + xt);
	}
	for (size_t i = 0; i < r.n; i++) {
		int d = (int)r.hits[i].id - 1;
		assert_true(fabs(r.hits[i].score - want[d]) < 1e-4 * want[d]);
	}
	assert_int_equal(r.hits[0].id, 1);
	cr_results_release(&r);
	cr_index_close(ix);
	rm_rf(dir);
}

/* Random Zipfian corpus over several segments with deletions: the fast
 * path must return exactly what the exhaustive scorer returns. */
static uint64_t rng_state = 88172645463325252ull;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* word number r as consonants only ("bc", "bd", ...): one token, unstemmed */
static const char *word(int r, char *buf)
{
	static const char cons[] = "bcdfghjklmnpqrtvwxz";
	int n = 0;
	buf[n++] = 'b';
	do {
		buf[n++] = cons[r % 19];
		r /= 19;
	} while (r);
	buf[n] = 0;
	return buf;
}

static int zipf_word(int vocab)
{
	/* inverse of a 1/r distribution: r = vocab^u */
	double u = (double)(rnd() % 1000000) / 1000000.0;
	int r = (int)pow((double)vocab, u);
	return r < 1 ? 0 : r - 1;
}

static void compare_modes(cr_index *ix, const char *q, int k, int per_doc, const cr_principal *who)
{
	cr_results a, b;
	cr_search_opts o = {.k = k, .per_doc = per_doc, .who = who};
	cr_msg m = {{0}};
	assert_int_equal(cr_ix_search_mode(ix, g_an, q, &o, CR_IX_MODE_FAST, &a, &m), CR_OK);
	assert_int_equal(cr_ix_search_mode(ix, g_an, q, &o, CR_IX_MODE_EXHAUSTIVE, &b, &m), CR_OK);
	if (a.n != b.n)
		print_message("query '%s' k=%d: %zu vs %zu hits\n", q, k, a.n, b.n);
	assert_int_equal(a.n, b.n);
	for (size_t i = 0; i < a.n; i++) {
		if (a.hits[i].id != b.hits[i].id || a.hits[i].score != b.hits[i].score)
			print_message("query '%s' k=%d rank %zu: %llu %.9g vs %llu %.9g\n", q, k, i,
				      (unsigned long long)a.hits[i].id, a.hits[i].score,
				      (unsigned long long)b.hits[i].id, b.hits[i].score);
		assert_int_equal(a.hits[i].id, b.hits[i].id);
		assert_true(a.hits[i].score == b.hits[i].score);
	}
	assert_true(a.total_matched <= b.total_matched);
	cr_results_release(&a);
	cr_results_release(&b);
}

static int g_next_id = 1;

static void build_random_t(const char *dir, cr_index **out, int n_docs, int vocab, int n_segs, int threads)
{
	cr_index *ix;
	assert_int_equal(cr_index_open(dir, &ix, NULL), CR_OK);
	char *body = malloc(64 * 1024), *title = malloc(1024);
	int id = g_next_id;
	for (int s = 0; s < n_segs; s++) {
		cr_index_writer *w;
		assert_int_equal(cr_index_writer_new(ix, g_an, &w, NULL), CR_OK);
		if (threads > 0) {
			cr_analyzer_opts ao = cr_analyzer_opts_default();
			assert_int_equal(cr_index_writer_set_threads(w, threads, &ao, NULL), CR_OK);
		}
		for (int d = 0; d < n_docs / n_segs; d++, id++) {
			int len = 5 + (int)(rnd() % 300);
			size_t o = 0;
			char wb[16];
			for (int i = 0; i < len; i++)
				o += (size_t)sprintf(body + o, "%s ", word(zipf_word(vocab), wb));
			int tl = (int)(rnd() % 4);
			size_t to = 0;
			title[0] = 0;
			for (int i = 0; i < tl; i++)
				to += (size_t)sprintf(title + to, "%s ", word(zipf_word(vocab), wb));
			uint32_t groups[2] = {1 + (uint32_t)(rnd() % 3), 10};
			cr_entry_attrs at = {.id = (uint64_t)id, .doc_key = (uint64_t)(id / 3),
					     .doc = (id % 2) ? "even/x" : "odd/y", .type = (id % 5) ? "txt" : "pdf",
					     .date = id * 1000, .tenant = (uint32_t)(id % 2), .owner = (uint32_t)(id % 7),
					     .groups = groups, .n_groups = (uint32_t)(rnd() % 3),
					     .classification = (uint8_t)(id % 4)};
			if (at.n_groups == 1)
				at.groups = &groups[1];
			assert_int_equal(cr_index_writer_add(w, &at, title, to, body, o), CR_OK);
		}
		assert_int_equal(cr_index_writer_commit(w, NULL), CR_OK);
		cr_index_writer_free(w);
	}
	free(body);
	free(title);
	g_next_id = id;
	*out = ix;
}

static void build_random(const char *dir, cr_index **out, int n_docs, int vocab, int n_segs)
{
	build_random_t(dir, out, n_docs, vocab, n_segs, 0);
}

/* Analysis on several threads gives the very same index as on one. */
static void test_parallel_writer(void **st)
{
	char d1[64], d2[64], wb[3][16], q[64];
	mkdtemp_dir(d1, sizeof d1);
	mkdtemp_dir(d2, sizeof d2);
	cr_index *a, *b;
	uint64_t seed = rng_state;
	int id0 = g_next_id;
	build_random_t(d1, &a, 9000, 5000, 1, 0);
	rng_state = seed;
	g_next_id = id0;
	build_random_t(d2, &b, 9000, 5000, 1, 3);
	cr_index_stats sa, sb;
	cr_index_get_stats(a, &sa);
	cr_index_get_stats(b, &sb);
	assert_int_equal(sa.n_entries, sb.n_entries);
	assert_int_equal(sa.n_terms, sb.n_terms);
	assert_int_equal(sa.bytes, sb.bytes);
	for (int i = 0; i < 20; i++) {
		snprintf(q, sizeof q, "%s %s \"%s %s\"", word(zipf_word(100), wb[0]), word(zipf_word(3000), wb[1]),
			 word(zipf_word(30), wb[2]), word(zipf_word(30), wb[2] + 8));
		cr_results ra, rb;
		cr_search_opts o = {.k = 50};
		assert_int_equal(cr_index_search(a, g_an, q, &o, &ra, NULL), CR_OK);
		assert_int_equal(cr_index_search(b, g_an, q, &o, &rb, NULL), CR_OK);
		assert_int_equal(ra.n, rb.n);
		for (size_t h = 0; h < ra.n; h++) {
			assert_int_equal(ra.hits[h].id, rb.hits[h].id);
			assert_true(ra.hits[h].score == rb.hits[h].score);
		}
		cr_results_release(&ra);
		cr_results_release(&rb);
	}
	cr_index_close(a);
	cr_index_close(b);
	rm_rf(d1);
	rm_rf(d2);
}

static void random_queries(cr_index *ix, int vocab, int n_q)
{
	char q[256], wb[16];
	static const int ks[] = {1, 3, 10, 50, 200};
	for (int i = 0; i < n_q; i++) {
		int nt = 1 + (int)(rnd() % 5);
		size_t o = 0;
		for (int t = 0; t < nt; t++)
			o += (size_t)sprintf(q + o, "%s ", word(zipf_word(vocab / 2) * (rnd() % 2 ? 1 : 2), wb));
		int k = ks[rnd() % 5];
		compare_modes(ix, q, k, 0, NULL);
		compare_modes(ix, q, k, 1, NULL);
		if (i % 4 == 0) {
			char q2[300];
			snprintf(q2, sizeof q2, "%s type:txt", q);
			compare_modes(ix, q2, k, 0, NULL);
			uint32_t gr[1] = {2};
			cr_principal who = {.tenant = 1, .user = 3, .groups = gr, .n_groups = 1, .max_classification = 2};
			compare_modes(ix, q, k, 1, &who);
			snprintf(q2, sizeof q2, "%s +%s", q, word(zipf_word(20), wb));
			compare_modes(ix, q2, k, 0, NULL);
			snprintf(q2, sizeof q2, "%s -%s", q, word(zipf_word(20), wb));
			compare_modes(ix, q2, k, 0, NULL);
		}
	}
}

static void test_wand_equals_exhaustive(void **st)
{
	char dir[64];
	mkdtemp_dir(dir, sizeof dir);
	cr_index *ix;
	build_random(dir, &ix, 6000, 3000, 3);
	random_queries(ix, 3000, 150);
	/* merging segments without deletions changes no score */
	char q[64], wb[3][16];
	snprintf(q, sizeof q, "%s %s %s", word(1, wb[0]), word(5, wb[1]), word(17, wb[2]));
	cr_results before, after;
	cr_search_opts o = {.k = 20};
	assert_int_equal(cr_index_search(ix, g_an, q, &o, &before, NULL), CR_OK);
	assert_int_equal(cr_index_merge(ix, NULL), CR_OK);
	cr_index_stats s;
	cr_index_get_stats(ix, &s);
	assert_int_equal(s.n_segments, 1);
	assert_int_equal(cr_index_search(ix, g_an, q, &o, &after, NULL), CR_OK);
	assert_int_equal(before.n, 20);
	assert_int_equal(before.n, after.n);
	for (size_t i = 0; i < before.n; i++) {
		assert_int_equal(before.hits[i].id, after.hits[i].id);
		assert_true(fabsf(before.hits[i].score - after.hits[i].score) <= 1e-5f * before.hits[i].score);
	}
	cr_results_release(&before);
	cr_results_release(&after);
	/* more segments (one analyzed on three threads), then tombstones */
	cr_index_close(ix);
	build_random_t(dir, &ix, 2000, 3000, 2, 3);
	uint64_t del[500];
	for (int i = 0; i < 500; i++)
		del[i] = 1 + rnd() % 6000;
	assert_int_equal(cr_index_delete(ix, del, 500, NULL), CR_OK);
	random_queries(ix, 3000, 60);
	/* merged: tombstones applied */
	assert_int_equal(cr_index_merge(ix, NULL), CR_OK);
	cr_index_get_stats(ix, &s);
	assert_int_equal(s.n_segments, 1);
	assert_int_equal(s.n_deleted, 0);
	random_queries(ix, 3000, 60);
	cr_index_close(ix);
	rm_rf(dir);
}

static void test_query_syntax(void **st)
{
	char dir[64];
	cr_index *ix = small_index(dir, sizeof dir);
	uint64_t ids[10];
	int n;
	/* phrase: "red apple" is in entry 1 only ("apple red" in 3) */
	n = search_ids(ix, "\"red apple\"", 10, 0, ids, 10);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], 1);
	n = search_ids(ix, "\"apple red pie\"", 10, 0, ids, 10);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], 3);
	/* phrases do not span title and body */
	n = search_ids(ix, "\"report red\"", 10, 0, ids, 10);
	assert_int_equal(n, 0);
	/* prefix */
	n = search_ids(ix, "banan*", 10, 0, ids, 10);
	assert_int_equal(n, 2);
	assert_true(has_id(ids, n, 2) && has_id(ids, n, 3));
	n = search_ids(ix, "cinn*", 10, 0, ids, 10);
	assert_int_equal(n, 1);
	/* exclusion and requirement */
	n = search_ids(ix, "apple -banana", 10, 0, ids, 10);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], 1);
	n = search_ids(ix, "pie +banana", 10, 0, ids, 10);
	assert_int_equal(n, 2);
	assert_int_equal(ids[0], 3); /* holds both */
	n = search_ids(ix, "apple -\"red apple\"", 10, 0, ids, 10);
	assert_int_equal(n, 2);
	assert_false(has_id(ids, n, 1));
	n = search_ids(ix, "apple -banan*", 10, 0, ids, 10);
	assert_int_equal(n, 1);
	/* filters */
	n = search_ids(ix, "apple type:md", 10, 0, ids, 10);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], 3);
	n = search_ids(ix, "apple path:finance/", 10, 0, ids, 10);
	assert_int_equal(n, 2);
	n = search_ids(ix, "apple date:2024-05-01..", 10, 0, ids, 10);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], 3);
	n = search_ids(ix, "apple date:..2024-01-01", 10, 0, ids, 10);
	assert_int_equal(n, 2);
	n = search_ids(ix, "apple date:2024", 10, 0, ids, 10);
	assert_int_equal(n, 3);
	n = search_ids(ix, "type:md", 10, 0, ids, 10); /* filter only: all matching entries */
	assert_int_equal(n, 2);
	n = search_ids(ix, "type:md -kyoto", 10, 0, ids, 10);
	assert_int_equal(n, 1);
	/* per-doc collapsing: entries 1 and 2 share doc_key 10 */
	n = search_ids(ix, "apple", 10, 1, ids, 10);
	assert_int_equal(n, 2);
	/* malformed */
	cr_results r;
	cr_search_opts o = {.k = 5};
	cr_msg m = {{0}};
	assert_int_equal(cr_index_search(ix, g_an, "apple date:2024-13-01", &o, &r, &m), CR_EINVAL);
	assert_true(strlen(m.text) > 0);
	cr_results_release(&r);
	assert_int_equal(cr_index_search(ix, g_an, "apple date:yesterday", &o, &r, &m), CR_EINVAL);
	cr_results_release(&r);
	assert_int_equal(cr_index_search(ix, g_an, "type:", &o, &r, &m), CR_EINVAL);
	cr_results_release(&r);
	/* limits */
	char *big = malloc(70000);
	memset(big, 'a', 69999);
	big[69999] = 0;
	assert_int_equal(cr_index_search(ix, g_an, big, &o, &r, &m), CR_EINVAL);
	cr_results_release(&r);
	size_t bo = 0;
	for (int i = 0; i < 1500; i++)
		bo += (size_t)sprintf(big + bo, "w%d ", i);
	assert_int_equal(cr_index_search(ix, g_an, big, &o, &r, &m), CR_EINVAL);
	cr_results_release(&r);
	free(big);
	/* odd inputs do not fail */
	assert_true(search_ids(ix, "\"unterminated apple", 10, 0, ids, 10) >= 0);
	assert_true(search_ids(ix, "+ - * \"\" ** -", 10, 0, ids, 10) >= 0);
	assert_true(search_ids(ix, "http://x.y/z apple", 10, 0, ids, 10) >= 1);
	cr_index_close(ix);
	rm_rf(dir);
}

static void test_japanese(void **st)
{
	char dir[64];
	mkdtemp_dir(dir, sizeof dir);
	cr_index *ix;
	assert_int_equal(cr_index_open(dir, &ix, NULL), CR_OK);
	cr_index_writer *w;
	assert_int_equal(cr_index_writer_new(ix, g_an, &w, NULL), CR_OK);
	add(w, 1, 1, "a", "txt", 0, "天気", "東京都の天気は晴れです。");
	add(w, 2, 2, "b", "txt", 0, NULL, "京都の天気は雨でした。");
	add(w, 3, 3, "c", "txt", 0, NULL, "天気と京都について");
	assert_int_equal(cr_index_writer_commit(w, NULL), CR_OK);
	cr_index_writer_free(w);
	uint64_t ids[10];
	int n = search_ids(ix, "\"京都の天気\"", 10, 0, ids, 10);
	assert_int_equal(n, 2);
	assert_false(has_id(ids, n, 3));
	n = search_ids(ix, "\"東京都\"", 10, 0, ids, 10);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], 1);
	n = search_ids(ix, "京都の天気", 10, 0, ids, 10);
	assert_int_equal(n, 3);
	n = search_ids(ix, "晴れ -雨", 10, 0, ids, 10);
	assert_int_equal(n, 1);
	cr_index_close(ix);
	rm_rf(dir);
}

static void test_acl(void **st)
{
	char dir[64];
	mkdtemp_dir(dir, sizeof dir);
	cr_index *ix;
	assert_int_equal(cr_index_open(dir, &ix, NULL), CR_OK);
	cr_index_writer *w;
	assert_int_equal(cr_index_writer_new(ix, g_an, &w, NULL), CR_OK);
	uint32_t g12[2] = {1, 2}, g3[1] = {3};
	cr_entry_attrs a[] = {
		{.id = 1, .doc_key = 1, .doc = "pub"},                                  /* public */
		{.id = 2, .doc_key = 2, .doc = "own", .owner = 7},                      /* owner 7 */
		{.id = 3, .doc_key = 3, .doc = "grp", .groups = g12, .n_groups = 2},    /* groups 1,2 */
		{.id = 4, .doc_key = 4, .doc = "g3", .owner = 9, .groups = g3, .n_groups = 1},
		{.id = 5, .doc_key = 5, .doc = "secret", .classification = 3},
		{.id = 6, .doc_key = 6, .doc = "other tenant", .tenant = 2},
	};
	for (size_t i = 0; i < CR_ARRAY_LEN(a); i++)
		assert_int_equal(cr_index_writer_add(w, &a[i], NULL, 0, "shared words", 12), CR_OK);
	assert_int_equal(cr_index_writer_commit(w, NULL), CR_OK);
	cr_index_writer_free(w);
	struct {
		cr_principal p;
		const char *want;
	} cases[] = {
		{{.tenant = 0, .user = 7, .max_classification = 1}, "12"},
		{{.tenant = 0, .user = 8, .groups = g3, .n_groups = 1, .max_classification = 1}, "14"},
		{{.tenant = 0, .user = 8, .groups = g12 + 1, .n_groups = 1, .max_classification = 3}, "135"},
		{{.tenant = 0, .user = 9, .max_classification = 0}, "14"},
		{{.tenant = 2, .user = 0, .max_classification = 3}, "6"},
	};
	for (size_t c = 0; c < CR_ARRAY_LEN(cases); c++) {
		cr_results r;
		cr_search_opts o = {.k = 10, .who = &cases[c].p};
		assert_int_equal(cr_index_search(ix, g_an, "shared", &o, &r, NULL), CR_OK);
		char got[16] = {0};
		uint64_t ids[10];
		for (size_t i = 0; i < r.n; i++)
			ids[i] = r.hits[i].id;
		for (size_t i = 0; i < r.n; i++) /* sort ids */
			for (size_t j = i + 1; j < r.n; j++)
				if (ids[j] < ids[i]) {
					uint64_t t = ids[i];
					ids[i] = ids[j];
					ids[j] = t;
				}
		for (size_t i = 0; i < r.n; i++)
			got[i] = (char)('0' + ids[i]);
		if (strcmp(got, cases[c].want))
			print_message("case %zu: got %s want %s\n", c, got, cases[c].want);
		assert_string_equal(got, cases[c].want);
		cr_results_release(&r);
	}
	/* no principal: everything */
	uint64_t ids[10];
	assert_int_equal(search_ids(ix, "shared", 10, 0, ids, 10), 6);
	cr_index_close(ix);
	rm_rf(dir);
}

static void test_tombstones_merge_refresh(void **st)
{
	char dir[64];
	cr_index *ix = small_index(dir, sizeof dir);
	cr_index *other;
	assert_int_equal(cr_index_open(dir, &other, NULL), CR_OK);
	uint64_t ids[10];
	uint64_t del[] = {1, 99};
	assert_int_equal(cr_index_delete(ix, del, 2, NULL), CR_OK);
	int n = search_ids(ix, "apple", 10, 0, ids, 10);
	assert_int_equal(n, 2);
	assert_false(has_id(ids, n, 1));
	/* the other handle sees it after refresh */
	assert_int_equal(search_ids(other, "apple", 10, 0, ids, 10), 3);
	assert_int_equal(cr_index_refresh(other, NULL), CR_OK);
	assert_int_equal(search_ids(other, "apple", 10, 0, ids, 10), 2);
	/* durable */
	cr_index_close(ix);
	assert_int_equal(cr_index_open(dir, &ix, NULL), CR_OK);
	assert_int_equal(search_ids(ix, "apple", 10, 0, ids, 10), 2);
	/* a second segment, seen by the other handle after refresh */
	cr_index_writer *w;
	assert_int_equal(cr_index_writer_new(ix, g_an, &w, NULL), CR_OK);
	add(w, 5, 40, "new.txt", "txt", 0, NULL, "apple orchard");
	assert_int_equal(cr_index_writer_commit(w, NULL), CR_OK);
	cr_index_writer_free(w);
	assert_int_equal(cr_index_max_id(ix), 5);
	assert_int_equal(cr_index_refresh(other, NULL), CR_OK);
	assert_int_equal(search_ids(other, "apple", 10, 0, ids, 10), 3);
	cr_index_stats s;
	cr_index_get_stats(ix, &s);
	assert_int_equal(s.n_segments, 2);
	assert_int_equal(s.n_entries, 4);
	assert_int_equal(s.n_deleted, 1);
	/* merge drops the tombstoned entry and the old files */
	assert_int_equal(cr_index_merge(ix, NULL), CR_OK);
	cr_index_get_stats(ix, &s);
	assert_int_equal(s.n_segments, 1);
	assert_int_equal(s.n_entries, 4);
	assert_int_equal(s.n_deleted, 0);
	assert_int_equal(count_files(dir, "seg_"), 2);
	n = search_ids(ix, "apple", 10, 0, ids, 10);
	assert_int_equal(n, 3);
	assert_false(has_id(ids, n, 1));
	assert_int_equal(search_ids(ix, "\"red apple\"", 10, 0, ids, 10), 0);
	assert_int_equal(search_ids(ix, "\"apple red pie\"", 10, 0, ids, 10), 1);
	/* the other handle still works on its snapshot, then refreshes */
	assert_int_equal(search_ids(other, "apple", 10, 0, ids, 10), 3);
	assert_int_equal(cr_index_refresh(other, NULL), CR_OK);
	assert_int_equal(search_ids(other, "orchard", 10, 0, ids, 10), 1);
	/* delete everything, merge: empty index */
	uint64_t all[] = {2, 3, 4, 5};
	assert_int_equal(cr_index_delete(ix, all, 4, NULL), CR_OK);
	assert_int_equal(cr_index_merge(ix, NULL), CR_OK);
	cr_index_get_stats(ix, &s);
	assert_int_equal(s.n_entries, 0);
	assert_int_equal(search_ids(ix, "apple", 10, 0, ids, 10), 0);
	cr_index_close(other);
	cr_index_close(ix);
	rm_rf(dir);
}

/* A merge (and delete) in the same process while a writer has unpublished
 * segments: nothing is overwritten or lost. */
static void test_merge_during_write(void **st)
{
	char dir[64];
	cr_index *ix = small_index(dir, sizeof dir);
	cr_index_writer *w;
	assert_int_equal(cr_index_writer_new(ix, g_an, &w, NULL), CR_OK);
	cr_index_writer_set_budget(w, 600 << 10);
	for (int i = 0; i < 9000; i++)
		add(w, 100 + (uint64_t)i, 100 + (uint64_t)i, "bulk", "txt", 0, NULL, "orchard apple");
	assert_true(count_files(dir, "seg_") > 2); /* some flushed, unpublished */
	uint64_t del[] = {2};
	assert_int_equal(cr_index_delete(ix, del, 1, NULL), CR_OK);
	assert_int_equal(cr_index_merge(ix, NULL), CR_OK);
	assert_int_equal(cr_index_writer_commit(w, NULL), CR_OK);
	cr_index_writer_free(w);
	cr_index_stats s;
	cr_index_get_stats(ix, &s);
	assert_int_equal(s.n_entries, 3 + 9000);
	uint64_t ids[10];
	assert_int_equal(search_ids(ix, "kyoto", 10, 0, ids, 10), 1);
	cr_results r;
	cr_search_opts o = {.k = 10};
	assert_int_equal(cr_index_search(ix, g_an, "orchard", &o, &r, NULL), CR_OK);
	assert_int_equal(r.total_matched >= 10, 1);
	cr_results_release(&r);
	cr_index_close(ix);
	assert_int_equal(cr_index_open(dir, &ix, NULL), CR_OK);
	cr_index_get_stats(ix, &s);
	assert_int_equal(s.n_entries, 3 + 9000);
	assert_int_equal(cr_index_merge(ix, NULL), CR_OK);
	cr_index_get_stats(ix, &s);
	assert_int_equal(s.n_entries, 3 + 9000);
	assert_int_equal(s.n_segments, 1);
	cr_index_close(ix);
	rm_rf(dir);
}

static void copy_file(const char *from, const char *to)
{
	uint8_t *p;
	size_t n;
	assert_int_equal(cr_file_read(from, 0, &p, &n, NULL), CR_OK);
	FILE *f = fopen(to, "wb");
	fwrite(p, 1, n, f);
	fclose(f);
	cr_free(p);
}

static void test_crash_leftovers(void **st)
{
	char dir[64], a[4096], b[4096];
	cr_index *ix = small_index(dir, sizeof dir);
	cr_index_close(ix);
	/* a segment written but never published, and a torn temp manifest */
	cr_ix_seg_path(a, sizeof a, dir, 1, "idx");
	cr_ix_seg_path(b, sizeof b, dir, 77, "idx");
	copy_file(a, b);
	cr_ix_seg_path(a, sizeof a, dir, 1, "pos");
	cr_ix_seg_path(b, sizeof b, dir, 77, "pos");
	copy_file(a, b);
	snprintf(a, sizeof a, "%s/MANIFEST.tmp.12345", dir);
	FILE *f = fopen(a, "wb");
	fputs("torn", f);
	fclose(f);
	assert_int_equal(count_files(dir, "seg_"), 4);
	assert_int_equal(cr_index_open(dir, &ix, NULL), CR_OK);
	assert_int_equal(count_files(dir, "seg_"), 2);
	assert_int_equal(count_files(dir, "MANIFEST.tmp"), 0);
	uint64_t ids[10];
	assert_int_equal(search_ids(ix, "apple", 10, 0, ids, 10), 3); /* not doubled */
	/* a writer discarded without commit leaves nothing */
	cr_index_writer *w;
	assert_int_equal(cr_index_writer_new(ix, g_an, &w, NULL), CR_OK);
	cr_index_writer_set_budget(w, 600 << 10); /* flush a few times */
	for (int i = 0; i < 9000; i++)
		add(w, 100 + (uint64_t)i, 9, "x", "x", 0, NULL, "apple apple");
	assert_true(count_files(dir, "seg_") > 2);
	cr_index_writer_free(w);
	assert_int_equal(count_files(dir, "seg_"), 2);
	assert_int_equal(search_ids(ix, "apple", 10, 0, ids, 10), 3);
	cr_index_close(ix);
	rm_rf(dir);
}

static void flip(const char *path, long off, int len, uint8_t v, int from_end)
{
	int fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	struct stat st;
	fstat(fd, &st);
	long at = from_end ? (long)st.st_size - off : off;
	for (int i = 0; i < len; i++)
		assert_int_equal(pwrite(fd, &v, 1, at + i), 1);
	close(fd);
}

static void test_corrupt(void **st)
{
	char dir[64], p[4096];
	cr_msg m = {{0}};
	cr_index *ix = small_index(dir, sizeof dir);
	cr_index_close(ix);
	cr_ix_seg_path(p, sizeof p, dir, 1, "idx");
	/* postings bytes overwritten: open works (footer intact), search reports it */
	flip(p, 8, 200, 0xff, 0);
	assert_int_equal(cr_index_open(dir, &ix, NULL), CR_OK);
	cr_results r;
	cr_search_opts o = {.k = 5};
	assert_int_equal(cr_index_search(ix, g_an, "apple", &o, &r, &m), CR_ECORRUPT);
	cr_results_release(&r);
	cr_index_close(ix);
	/* footer damaged */
	flip(p, 40, 1, 0x55, 1);
	assert_int_equal(cr_index_open(dir, &ix, &m), CR_ECORRUPT);
	assert_non_null(strstr(m.text, "footer"));
	/* truncated */
	assert_int_equal(truncate(p, 100), 0);
	assert_int_equal(cr_index_open(dir, &ix, &m), CR_ECORRUPT);
	/* manifest damaged */
	snprintf(p, sizeof p, "%s/MANIFEST", dir);
	flip(p, 20, 1, 0x7f, 0);
	assert_int_equal(cr_index_open(dir, &ix, &m), CR_ECORRUPT);
	rm_rf(dir);
}

static void test_snippet(void **st)
{
	char dir[64];
	cr_index *ix = small_index(dir, sizeof dir);
	cr_results r;
	cr_search_opts o = {.k = 5};
	assert_int_equal(cr_index_search(ix, g_an, "cinnamon pies", &o, &r, NULL), CR_OK);
	const char *text = "A long introduction that has nothing to do with it. Then: Apple PIE with Cinnamon, "
			   "the best pie. And a tail that goes on and on without any match at all.";
	cr_buf b;
	cr_buf_init(&b, 0);
	assert_int_equal(cr_snippet(g_an, &r, text, strlen(text), 40, "[", "]", &b), CR_OK);
	assert_non_null(strstr(b.data, "[PIE]"));
	assert_non_null(strstr(b.data, "[Cinnamon]"));
	assert_null(strstr(b.data, "introduction"));
	cr_buf_reset(&b);
	/* no match: the start of the text */
	assert_int_equal(cr_snippet(g_an, &r, "nothing here at all", 19, 10, "[", "]", &b), CR_OK);
	assert_string_equal(b.data, "nothing");
	cr_buf_reset(&b);
	/* multibyte text: whole characters, marks on the match */
	const char *ja = "今日は京都の天気がとても良いです。apple pie";
	assert_int_equal(cr_snippet(g_an, &r, ja, strlen(ja), 8, "<", ">", &b), CR_OK);
	assert_true(cr_utf8_valid((const uint8_t *)b.data, b.len));
	assert_non_null(strstr(b.data, "<pie>"));
	cr_buf_release(&b);
	cr_results_release(&r);
	cr_index_close(ix);
	rm_rf(dir);
}

/* Snippets start and end between words for every window size, and
 * no-break spaces come out as spaces (text generated here). */
static void test_snippet_boundaries(void **st)
{
	char dir[64];
	cr_index *ix = small_index(dir, sizeof dir);
	cr_results r;
	cr_search_opts o = {.k = 5};
	assert_int_equal(cr_index_search(ix, g_an, "cinnamon pies", &o, &r, NULL), CR_OK);
	cr_buf text, b, plain;
	cr_buf_init(&text, 0);
	cr_buf_init(&b, 0);
	cr_buf_init(&plain, 0);
	for (int i = 0; i < 300; i++) {
		assert_int_equal(cr_buf_printf(&text, "%sw%04dlongish", i ? " " : "", i), CR_OK);
		if (i == 150)
			assert_int_equal(cr_buf_adds(&text, " apple\xc2\xa0pie with\xc2\xa0" "cinnamon,"), CR_OK);
	}
	/* the text as the snippet should show it: no-break spaces as spaces */
	cr_buf spaced;
	cr_buf_init(&spaced, 0);
	for (size_t i = 0; i < text.len; i++) {
		int nb = i + 1 < text.len && (uint8_t)text.data[i] == 0xc2 && (uint8_t)text.data[i + 1] == 0xa0;
		assert_int_equal(cr_buf_addc(&spaced, nb ? ' ' : text.data[i]), CR_OK);
		i += (size_t)nb;
	}
	for (size_t max = 12; max < 260; max += 7) {
		cr_buf_reset(&b);
		assert_int_equal(cr_snippet(g_an, &r, text.data, text.len, max, "[", "]", &b), CR_OK);
		assert_null(strstr(b.data, "\xc2\xa0"));
		assert_non_null(strstr(b.data, "[cinnamon]"));
		/* without the marks, it is a piece of the text */
		cr_buf_reset(&plain);
		for (size_t i = 0; i < b.len; i++)
			if (b.data[i] != '[' && b.data[i] != ']')
				assert_int_equal(cr_buf_addc(&plain, b.data[i]), CR_OK);
		const char *at = strstr(spaced.data, plain.data);
		assert_non_null(at);
		size_t start = (size_t)(at - spaced.data);
		assert_true(start == 0 || spaced.data[start - 1] == ' ');
		assert_true(plain.data[0] != ' ' && plain.data[plain.len - 1] != ' ');
		/* it ends at the end of a word: "longish", the query's words, or a comma */
		char last = plain.data[plain.len - 1];
		const char *tail = plain.data + plain.len;
		assert_true((plain.len >= 7 && !memcmp(tail - 7, "longish", 7)) || last == ',' ||
			    (plain.len >= 8 && !memcmp(tail - 8, "cinnamon", 8)));
	}
	cr_buf_release(&text);
	cr_buf_release(&spaced);
	cr_buf_release(&b);
	cr_buf_release(&plain);
	cr_results_release(&r);
	cr_index_close(ix);
	rm_rf(dir);
}

static int setup(void **st)
{
	cr_analyzer_opts o = cr_analyzer_opts_default();
	return cr_analyzer_new(&o, &g_an, NULL) == CR_OK ? 0 : -1;
}

static int teardown(void **st)
{
	cr_analyzer_free(g_an);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_bm25_hand),
		cmocka_unit_test(test_query_syntax),
		cmocka_unit_test(test_japanese),
		cmocka_unit_test(test_acl),
		cmocka_unit_test(test_tombstones_merge_refresh),
		cmocka_unit_test(test_crash_leftovers),
		cmocka_unit_test(test_merge_during_write),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_snippet), cmocka_unit_test(test_snippet_boundaries),
		cmocka_unit_test(test_wand_equals_exhaustive),
		cmocka_unit_test(test_parallel_writer),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
