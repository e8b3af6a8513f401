/* test_corpus_api.c — what the CLI and the server share from the corpus:
 * a document's text rebuilt without the chunks' overlap, the JSON of search
 * results and of a document (parsed back here), and model name resolution
 * against the catalog's registry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cristal/corpus.h"

static char tmp[256], tree[300], data[300];

static int setup(void **st)
{
	snprintf(tmp, sizeof tmp, "/tmp/cr_test_corpus_api.XXXXXX");
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
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Sentence i, distinct from every other (numbers spelt out as words would
 * be analysed the same; the digits keep them apart). */
static void sentence(char *out, size_t cap, int i)
{
	snprintf(out, cap, "Sentence %03d tells of the heron number %03d by the river. ", i, i);
}

static cr_corpus *ingest_long_doc(char *expect, size_t cap)
{
	expect[0] = 0;
	char s[128];
	for (int i = 0; i < 60; i++) {
		sentence(s, sizeof s, i);
		strncat(expect, s, cap - strlen(expect) - 1);
	}
	expect[strlen(expect) - 1] = 0; /* the trailing space */
	char file[8192 + 64];
	snprintf(file, sizeof file, "%s\n\nSecond paragraph about the kingfisher.\n", expect);
	write_file("long.txt", file);
	cr_corpus *c;
	cr_msg m = {{0}};
	assert_int_equal(cr_corpus_open(data, 1, &c, &m), CR_OK);
	const char *paths[] = {tree};
	cr_ingest_opts o = cr_ingest_opts_default();
	o.chunking.target_chars = 300;
	o.chunking.overlap_chars = 80;
	cr_ingest_report rep;
	assert_int_equal(cr_corpus_ingest(c, paths, 1, &o, &rep, &m), CR_OK);
	assert_int_equal(rep.ingested, 1);
	assert_true(rep.chunks >= 8); /* overlapping chunks to undo */
	return c;
}

static void test_doc_text(void **st)
{
	char expect[8192];
	cr_corpus *c = ingest_long_doc(expect, sizeof expect);
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_doc_row d;
	cr_msg m = {{0}};
	assert_int_equal(cr_store_doc_find_any(cr_corpus_store(c), &a, "docs/long.txt", &d, &m), CR_OK);
	cr_doc_text t;
	assert_int_equal(cr_corpus_doc_text(c, &a, d.id, &t, &m), CR_OK);
	assert_int_equal(strlen(t.text), t.len);
	assert_true(t.n_parts >= 8);
	/* every sentence exactly once, in order: the overlap is gone */
	const char *at = t.text;
	char s[128];
	for (int i = 0; i < 60; i++) {
		sentence(s, sizeof s, i);
		s[strlen(s) - 1] = 0;
		const char *hit = strstr(t.text, s);
		assert_non_null(hit);
		assert_null(strstr(hit + 1, s));
		assert_true(hit >= at);
		at = hit;
	}
	assert_non_null(strstr(t.text, "Second paragraph about the kingfisher."));
	/* the parts tile the text, each inside it */
	size_t covered = 0;
	for (size_t i = 0; i < t.n_parts; i++) {
		assert_true(t.parts[i].start >= covered);
		assert_true(t.parts[i].start + t.parts[i].len <= t.len);
		covered = t.parts[i].start + t.parts[i].len;
	}
	/* a document without chunks: empty text */
	cr_doc_text none;
	assert_int_equal(cr_corpus_doc_text(c, &a, 999999, &none, &m), CR_OK);
	assert_int_equal(none.len, 0);
	assert_string_equal(none.text, "");
	assert_int_equal(none.n_parts, 0);

	/* the document as JSON parses back with the same text and sections */
	cr_buf b;
	cr_buf_init(&b, 0);
	assert_int_equal(cr_corpus_doc_json(c, &d, &t, &b, &m), CR_OK);
	json_error_t je;
	json_t *o = json_loadb(b.data, b.len, 0, &je);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "doc")), "docs/long.txt");
	assert_string_equal(json_string_value(json_object_get(o, "text")), t.text);
	assert_int_equal(json_array_size(json_object_get(o, "sections")), t.n_parts);
	assert_true(json_is_array(json_object_get(o, "children")));
	assert_true(json_is_object(json_object_get(o, "acl")));
	assert_int_equal(json_integer_value(json_object_get(o, "chunks")), (json_int_t)t.n_parts);
	json_t *s0 = json_array_get(json_object_get(o, "sections"), 0);
	assert_int_equal(json_integer_value(json_object_get(s0, "line")), 1);
	json_decref(o);
	/* a buffer too small: an error, not a crash */
	cr_buf small;
	cr_buf_init(&small, 64);
	assert_int_equal(cr_corpus_doc_json(c, &d, &t, &small, &m), CR_ETOOBIG);
	cr_buf_release(&small);

	/* search results as JSON */
	cr_corpus_query q = {.text = "kingfisher", .k = 5};
	cr_result *rs;
	size_t n;
	assert_int_equal(cr_corpus_search(c, &a, &q, &rs, &n, &m), CR_OK);
	assert_int_equal(n, 1);
	b.len = 0;
	assert_int_equal(cr_corpus_search_json(&b, CR_SEARCH_BM25, "query", "kingfisher \"q\"", rs, n), CR_OK);
	o = json_loadb(b.data, b.len, 0, &je);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "query")), "kingfisher \"q\"");
	assert_string_equal(json_string_value(json_object_get(o, "mode")), "bm25");
	json_t *r0 = json_array_get(json_object_get(o, "results"), 0);
	assert_string_equal(json_string_value(json_object_get(r0, "doc")), "docs/long.txt");
	assert_string_equal(json_string_value(json_object_get(r0, "type")), "txt");
	assert_non_null(strstr(json_string_value(json_object_get(r0, "snippet")), "\xc2\xabkingfisher\xc2\xbb"));
	assert_true(json_integer_value(json_object_get(r0, "line")) >= 1);
	assert_true(json_integer_value(json_object_get(r0, "line_end")) >= 3);
	assert_true(json_is_number(json_object_get(r0, "score")));
	assert_null(json_object_get(r0, "page"));
	json_decref(o);
	b.len = 0;
	assert_int_equal(cr_corpus_search_json(&b, CR_SEARCH_HYBRID, "qid", "7", NULL, 0), CR_OK);
	assert_string_equal(b.data, "{\"mode\":\"hybrid\",\"qid\":\"7\",\"results\":[]}");
	cr_buf_release(&b);
	cr_arena_release(&a);
	cr_corpus_close(c);
}

static void test_model_resolve(void **st)
{
	cr_store *s;
	cr_msg m = {{0}};
	cr_arena a;
	cr_arena_init(&a, 0);
	assert_int_equal(cr_mkdirs(data, &m), CR_OK);
	assert_int_equal(cr_store_open(data, &s, &m), CR_OK);
	cr_model_row row = {.name = "tiny", .path = "/models/tiny.gguf", .arch = "llama", .info_json = "{}"};
	assert_int_equal(cr_store_model_put(s, &row, &m), CR_OK);
	const char *p;
	/* a registered name */
	assert_int_equal(cr_store_model_resolve(s, &a, "tiny", &p, &m), CR_OK);
	assert_string_equal(p, "/models/tiny.gguf");
	/* a path, with or without a catalog */
	assert_int_equal(cr_store_model_resolve(NULL, &a, "./x.gguf", &p, &m), CR_OK);
	assert_string_equal(p, "./x.gguf");
	char file[400];
	snprintf(file, sizeof file, "%s/tiny", tree);
	write_file("tiny", "x");
	assert_int_equal(chdir(tree), 0);
	assert_int_equal(cr_store_model_resolve(s, &a, "tiny", &p, &m), CR_OK); /* an existing file wins */
	assert_string_equal(p, "tiny");
	assert_int_equal(chdir("/"), 0);
	/* a name with no catalog, an unknown name, no name */
	m.text[0] = 0;
	assert_int_equal(cr_store_model_resolve(NULL, &a, "tiny", &p, &m), CR_ENOTFOUND);
	assert_int_equal(cr_store_model_resolve(s, &a, "nope", &p, &m), CR_ENOTFOUND);
	assert_non_null(strstr(m.text, "nope"));
	assert_null(p);
	assert_int_equal(cr_store_model_resolve(s, &a, "", &p, &m), CR_EINVAL);
	assert_int_equal(cr_store_model_resolve(s, &a, NULL, &p, &m), CR_EINVAL);
	cr_store_close(s);
	cr_arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_doc_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_model_resolve, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
