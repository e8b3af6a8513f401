/* test_agent_tools.c — the agent loop's tool dispatch (agent.h
 * cr_agent_tools_*) on a real corpus: unknown tool, malformed and mistyped
 * arguments answered as tool errors, a repeated call cut off, passages
 * numbered once, the scope held by search, read_document and list_sources
 * whatever is asked, write_report refused without allow_write and writing
 * with it; the scope's prefix matching at path boundaries. */
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

#include "cristal/agent.h"

static char tmp[256], tree[300], data[300];
static cr_corpus *corpus;

static void write_file(const char *rel, const char *text)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", tree, rel);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **st)
{
	(void)st;
	snprintf(tmp, sizeof tmp, "/tmp/cr_test_agent_tools.XXXXXX");
	assert_non_null(mkdtemp(tmp));
	snprintf(tree, sizeof tree, "%s/docs", tmp);
	snprintf(data, sizeof data, "%s/data", tmp);
	assert_int_equal(mkdir(tree, 0755), 0);
	char p[400];
	snprintf(p, sizeof p, "%s/public", tree);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof p, "%s/hr", tree);
	assert_int_equal(mkdir(p, 0755), 0);
	write_file("public/travel.md", "# Travel\n\nTravel above 3 nights needs the approval of a director.\n");
	write_file("public/kingfisher.txt", "The kingfisher report lists river birds and their travel.\n");
	write_file("public/budget.csv", "Team,Quarter,Cost\nsales,Q1,\"12,000\"\nsales,Q2,8000\nops,Q1,¥500\n"
					 "ops,Q2,n/a\nlab,Q1,1500.5\n");
	write_file("hr/salaries.md", "# Salaries\n\nSalary band E3 pays 9,000,000 yen; travel allowances too.\n");
	cr_msg m = {{0}};
	assert_int_equal(cr_corpus_open(data, 1, &corpus, &m), CR_OK);
	const char *paths[] = {tree};
	cr_ingest_opts o = cr_ingest_opts_default();
	cr_ingest_report rep;
	assert_int_equal(cr_corpus_ingest(corpus, paths, 1, &o, &rep, &m), CR_OK);
	assert_int_equal(rep.ingested, 4);
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	cr_corpus_close(corpus);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
	assert_int_equal(system(cmd), 0);
	return 0;
}

/* Runs one call, which must not fail as a call; returns the result parsed. */
static json_t *run(cr_agent_tools *t, cr_arena *a, const char *name, const char *args, cr_agent_step *s)
{
	cr_msg m = {{0}};
	assert_int_equal(cr_agent_tools_call(t, a, name, args, s, &m), CR_OK);
	assert_non_null(s->result);
	assert_non_null(s->result_summary);
	json_t *j = json_loads(s->result, 0, NULL);
	assert_non_null(j);
	return j;
}

static void assert_error(json_t *j, const char *has)
{
	const char *e = json_string_value(json_object_get(j, "error"));
	assert_non_null(e);
	if (!strstr(e, has))
		fail_msg("error \"%s\" lacks \"%s\"", e, has);
	json_decref(j);
}

static void test_bad_calls(void **st)
{
	(void)st;
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_agent_tools *t;
	cr_msg m = {{0}};
	assert_int_equal(cr_agent_tools_new(corpus, NULL, &a, &t, &m), CR_OK);
	cr_agent_step s;
	assert_error(run(t, &a, "rm_rf", "{}", &s), "unknown tool \"rm_rf\"");
	assert_int_equal(s.ok, 0);
	assert_error(run(t, &a, NULL, NULL, &s), "unknown tool");
	assert_error(run(t, &a, "search", "{\"query\": \"trav", &s), "not valid JSON");
	assert_error(run(t, &a, "search", "[\"travel\"]", &s), "must be a JSON object");
	assert_error(run(t, &a, "search", "{}", &s), "needs \"query\"");
	assert_error(run(t, &a, "search", "{\"query\": 42}", &s), "needs \"query\"");
	assert_error(run(t, &a, "search", "{\"query\": \"travel\", \"k\": \"many\"}", &s), "\"k\" must be");
	assert_error(run(t, &a, "search", "{\"query\": \"travel\", \"k\": 500}", &s), "\"k\" must be");
	assert_error(run(t, &a, "search", "{\"query\": \"travel\", \"limit\": 2}", &s), "not \"limit\"");
	assert_error(run(t, &a, "read_document", "{\"doc\": 7}", &s), "needs \"doc\"");
	assert_error(run(t, &a, "read_document", "{\"doc\": \"docs/public/travel.md\", \"range\": 3}", &s), "\"range\"");
	assert_error(run(t, &a, "read_document", "{\"doc\": \"docs/public/travel.md\", \"range\": {\"start\": 3, \"end\": 1}}", &s),
		     "before its start");
	assert_error(run(t, &a, "read_document", "{\"doc\": \"nope.md\"}", &s), "no document named \"nope.md\"");
	assert_error(run(t, &a, "meeting_actions", "{\"path\": \"a\", \"query\": \"b\"}", &s), "one of");
	assert_error(run(t, &a, "list_sources", "{\"prefix\": 3}", &s), "strings");
	assert_error(run(t, &a, "write_report", "{\"title\": \"x\"}", &s), "needs \"title\" and \"markdown\"");
	assert_error(run(t, &a, "write_report", "{\"title\": \"x\", \"markdown\": \"y\"}", &s), "--allow-write");

	/* a good call, then the same again (keys in another order, other spacing): cut off */
	json_t *j = run(t, &a, "search", "{\"query\": \"travel\", \"k\": 2}", &s);
	assert_int_equal(s.ok, 1);
	assert_int_equal(json_array_size(json_object_get(j, "results")), 2);
	assert_int_equal(s.n_chunk_ids, 2);
	json_decref(j);
	assert_error(run(t, &a, "search", "{ \"k\":2,\"query\":\"travel\" }", &s), "repeated call");
	/* other arguments are another call; passages seen before keep their numbers */
	j = run(t, &a, "search", "{\"query\": \"travel\", \"k\": 3}", &s);
	json_t *rs = json_object_get(j, "results");
	assert_int_equal(json_array_size(rs), 3);
	size_t n_src;
	cr_agent_tools_sources(t, &n_src);
	assert_int_equal(n_src, 3);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(rs, 0), "n")), 1);
	json_decref(j);
	cr_agent_tools_free(t);
	cr_arena_release(&a);
}

static void test_scope(void **st)
{
	(void)st;
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_agent_scope sc = {0};
	assert_int_equal(cr_agent_scope_add(&sc, &a, "./docs/public"), CR_OK);
	assert_true(cr_agent_scope_has(&sc, "docs/public/travel.md", "md"));
	assert_true(cr_agent_scope_has(&sc, "docs/public", "md"));
	assert_false(cr_agent_scope_has(&sc, "docs/publicity/x.md", "md"));
	assert_false(cr_agent_scope_has(&sc, "docs/hr/salaries.md", "md"));
	assert_false(cr_agent_scope_has(&sc, NULL, "md"));
	assert_true(cr_agent_scope_has(NULL, "anything", NULL));
	cr_agent_opts o = {.scope = &sc};
	cr_agent_tools *t;
	cr_msg m = {{0}};
	assert_int_equal(cr_agent_tools_new(corpus, &o, &a, &t, &m), CR_OK);
	cr_agent_step s;
	/* every document mentions travel; only the public ones come back */
	json_t *j = run(t, &a, "search", "{\"query\": \"travel\", \"k\": 10}", &s);
	json_t *rs = json_object_get(j, "results"), *r;
	size_t i;
	assert_int_equal(json_array_size(rs), 2);
	json_array_foreach(rs, i, r) assert_non_null(strstr(json_string_value(json_object_get(r, "doc")), "docs/public/"));
	json_decref(j);
	j = run(t, &a, "search", "{\"query\": \"salary band\"}", &s);
	assert_int_equal(json_array_size(json_object_get(j, "results")), 0);
	json_decref(j);
	/* the same answer whether the document exists or not */
	assert_error(run(t, &a, "read_document", "{\"doc\": \"docs/hr/salaries.md\"}", &s),
		     "no document named \"docs/hr/salaries.md\" in this agent's scope");
	assert_error(run(t, &a, "read_document", "{\"doc\": \"./docs/hr/salaries.md\", \"range\": {\"start\": 1}}", &s),
		     "in this agent's scope");
	j = run(t, &a, "read_document", "{\"doc\": \"docs/public/travel.md\"}", &s);
	assert_int_equal(s.ok, 1);
	assert_non_null(strstr(json_string_value(json_object_get(json_array_get(json_object_get(j, "results"), 0), "text")),
			       "director"));
	json_decref(j);
	j = run(t, &a, "list_sources", "{}", &s);
	assert_int_equal(json_array_size(json_object_get(j, "documents")), 3);
	json_decref(j);
	j = run(t, &a, "list_sources", "{\"type\": \"csv\"}", &s);
	assert_int_equal(json_array_size(json_object_get(j, "documents")), 1);
	json_decref(j);
	j = run(t, &a, "list_sources", "{\"prefix\": \"docs/hr\"}", &s);
	assert_int_equal(json_array_size(json_object_get(j, "documents")), 0);
	json_decref(j);
	cr_agent_tools_free(t);

	/* a type scope */
	cr_agent_scope ty = {0};
	assert_int_equal(cr_agent_scope_add(&ty, &a, "type:txt"), CR_OK);
	o.scope = &ty;
	assert_int_equal(cr_agent_tools_new(corpus, &o, &a, &t, &m), CR_OK);
	j = run(t, &a, "search", "{\"query\": \"travel\", \"k\": 10}", &s);
	rs = json_object_get(j, "results");
	assert_int_equal(json_array_size(rs), 1);
	assert_non_null(strstr(json_string_value(json_object_get(json_array_get(rs, 0), "doc")), "kingfisher"));
	json_decref(j);
	cr_agent_tools_free(t);
	cr_arena_release(&a);
}

static void test_write_report(void **st)
{
	(void)st;
	cr_arena a;
	cr_arena_init(&a, 0);
	char out[400];
	snprintf(out, sizeof out, "%s/reports", tmp);
	cr_agent_opts o = {.allow_write = 1, .out_dir = out};
	cr_agent_tools *t;
	cr_msg m = {{0}};
	assert_int_equal(cr_agent_tools_new(corpus, &o, &a, &t, &m), CR_OK);
	cr_agent_step s;
	json_t *j = run(t, &a, "write_report", "{\"title\": \"Travel / rules: 2026\", \"markdown\": \"- directors approve\"}", &s);
	assert_int_equal(s.ok, 1);
	const char *path = json_string_value(json_object_get(j, "path"));
	assert_non_null(path);
	assert_non_null(strstr(path, "/reports/Travel-rules-2026.md"));
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char buf[256] = {0};
	assert_true(fread(buf, 1, sizeof buf - 1, f) > 0);
	fclose(f);
	assert_string_equal(buf, "# Travel / rules: 2026\n\n- directors approve\n");
	json_decref(j);
	cr_agent_tools_free(t);
	cr_arena_release(&a);
}

static double num(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	assert_true(json_is_number(v));
	return json_number_value(v);
}

static void test_table_stats(void **st)
{
	(void)st;
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_agent_tools *t;
	cr_msg m = {{0}};
	assert_int_equal(cr_agent_tools_new(corpus, NULL, &a, &t, &m), CR_OK);
	cr_agent_step s;
	json_t *j = run(t, &a, "table_stats", "{\"doc\": \"docs/public/budget.csv\", \"column\": \"cost\", \"group_by\": \"Team\"}", &s);
	assert_int_equal(s.ok, 1);
	assert_int_equal((int)num(j, "rows"), 5);
	assert_int_equal((int)num(j, "count"), 4); /* "n/a" is no number */
	assert_true(num(j, "sum") == 22000.5);
	assert_true(num(j, "min") == 500 && num(j, "max") == 12000);
	assert_true(num(j, "mean") == 22000.5 / 4);
	json_t *g = json_object_get(j, "groups");
	assert_int_equal(json_array_size(g), 3);
	json_t *sales = json_array_get(g, 0);
	assert_string_equal(json_string_value(json_object_get(sales, "key")), "sales");
	assert_true(num(sales, "sum") == 20000 && num(sales, "count") == 2);
	json_t *ops = json_array_get(g, 1);
	assert_int_equal((int)num(ops, "rows"), 2);
	assert_int_equal((int)num(ops, "count"), 1);
	json_decref(j);
	assert_error(run(t, &a, "table_stats", "{\"doc\": \"docs/public/budget.csv\", \"column\": \"Price\"}", &s),
		     "no column \"Price\" in docs/public/budget.csv (columns: Team, Quarter, Cost)");
	assert_error(run(t, &a, "table_stats", "{\"doc\": \"docs/public/budget.csv\", \"column\": \"Cost\", \"sheet\": \"X\"}", &s),
		     "no sheet");
	assert_error(run(t, &a, "table_stats", "{\"doc\": \"docs/public/budget.csv\"}", &s), "needs \"doc\" and \"column\"");
	cr_agent_tools_free(t);
	/* out of scope: refused like a missing document */
	cr_agent_scope sc = {0};
	assert_int_equal(cr_agent_scope_add(&sc, &a, "docs/hr"), CR_OK);
	cr_agent_opts o = {.scope = &sc};
	assert_int_equal(cr_agent_tools_new(corpus, &o, &a, &t, &m), CR_OK);
	assert_error(run(t, &a, "table_stats", "{\"doc\": \"docs/public/budget.csv\", \"column\": \"Cost\"}", &s),
		     "in this agent's scope");
	cr_agent_tools_free(t);
	cr_arena_release(&a);
}

static void test_tools_json(void **st)
{
	(void)st;
	json_t *j = json_loads(cr_agent_tools_json(), 0, NULL);
	assert_non_null(j);
	const char *want[] = {"search", "read_document", "list_sources", "meeting_actions", "table_stats", "write_report"};
	assert_int_equal(json_array_size(j), 6);
	for (size_t i = 0; i < 6; i++) {
		json_t *fn = json_object_get(json_array_get(j, i), "function");
		assert_string_equal(json_string_value(json_object_get(fn, "name")), want[i]);
		assert_true(json_is_object(json_object_get(fn, "parameters")));
	}
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tools_json),
		cmocka_unit_test(test_bad_calls),
		cmocka_unit_test(test_scope),
		cmocka_unit_test(test_write_report),
		cmocka_unit_test(test_table_stats),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
