/* test_llm_grammar.c — the JSON pushdown automaton: accepts and rejects,
 * closing from any prefix, random walks that must always end in valid JSON
 * (checked with jansson), and schema adherence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <string.h>

#include "cristal/llm.h"

static int full(cr_grammar *g, const char *s)
{
	cr_grammar_reset(g);
	return cr_grammar_feed(g, s, strlen(s)) == CR_OK && cr_grammar_done(g);
}

static void test_accept_reject(void **st)
{
	cr_grammar *g;
	assert_int_equal(cr_grammar_new_json(&g), CR_OK);
	const char *good[] = {"{}", "[]", " {\"a\": 1}", "{\"a\":[1,-2.5e+3,0,true,false,null,\"x\\n\\u00e9\"]}",
			      "[{\"k\":{}}, [], \"\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80\"]", "[0.5,-0,1E9]"};
	for (size_t i = 0; i < CR_ARRAY_LEN(good); i++)
		assert_true(full(g, good[i]));
	const char *bad[] = {"1", "\"s\"", "{a:1}", "{\"a\" 1}", "[01]", "[1.]", "[-]", "{\"a\":1,}", "[1,]",
			     "[tru]", "[\"\x01\"]", "[\"\\x\"]", "[\"\xc0\xaf\"]", "[\"\xed\xa0\x80\"]", "{}}",
			     "[1 2]", "[\"\\u12G4\"]", "[\"\\u0000\"]", "[\"\\uD800\"]", "[1e123]"};
	for (size_t i = 0; i < CR_ARRAY_LEN(bad); i++)
		assert_false(full(g, bad[i]));
	/* whitespace runs are capped */
	cr_grammar_reset(g);
	assert_false(cr_grammar_accepts(g, "{                                    ", 37));
	/* accepts leaves the state alone; feed of a bad byte does too */
	cr_grammar_reset(g);
	assert_int_equal(cr_grammar_feed(g, "{\"a\"", 4), CR_OK);
	assert_true(cr_grammar_accepts(g, ":1}", 3));
	assert_int_equal(cr_grammar_feed(g, "}", 1), CR_EINVAL);
	assert_int_equal(cr_grammar_feed(g, ": 1}", 4), CR_OK);
	assert_true(cr_grammar_done(g));
	assert_false(cr_grammar_accepts(g, " ", 1));
	cr_grammar_free(g);
}

/* maxLength caps a string's JSON text in bytes: a character or an escape
 * starts only if it fits whole, and then only the closing quote is left */
static void test_max_length(void **st)
{
	static const char schema[] = "{\"type\":\"object\",\"properties\":{\"q\":{\"type\":\"string\",\"maxLength\":4}},"
				     "\"required\":[\"q\"]}";
	cr_grammar *g;
	cr_msg m = {{0}};
	assert_int_equal(cr_grammar_new_schema(schema, sizeof schema - 1, &g, &m), CR_OK);
	assert_true(full(g, "{\"q\":\"abcd\"}"));
	assert_true(full(g, "{\"q\":\"\xc3\xa9" "ab\"}"));   /* é is 2 bytes: 4 in all */
	assert_false(full(g, "{\"q\":\"abcde\"}"));
	assert_false(full(g, "{\"q\":\"abc\xc3\xa9\"}")); /* the 2-byte é does not fit after 3 */
	assert_false(full(g, "{\"q\":\"a\\n\"}"));       /* an escape needs room for \uXXXX */
	cr_grammar_reset(g);
	assert_int_equal(cr_grammar_feed(g, "{\"q\":\"abcd", 10), CR_OK);
	assert_false(cr_grammar_accepts(g, "e", 1));
	assert_true(cr_grammar_accepts(g, "\"}", 2));
	cr_grammar_free(g);
	static const char bad[] = "{\"type\":\"object\",\"properties\":{\"q\":{\"type\":\"string\",\"maxLength\":0}}}";
	assert_int_not_equal(cr_grammar_new_schema(bad, sizeof bad - 1, &g, &m), CR_OK);
}

static void close_check(cr_grammar *g, const char *prefix, const char *want)
{
	cr_grammar_reset(g);
	assert_int_equal(cr_grammar_feed(g, prefix, strlen(prefix)), CR_OK);
	cr_buf b;
	cr_buf_init(&b, 0);
	assert_int_equal(cr_grammar_close(g, &b), CR_OK);
	assert_string_equal(b.data, want);
	cr_buf_release(&b);
}

static void test_close(void **st)
{
	cr_grammar *g;
	assert_int_equal(cr_grammar_new_json(&g), CR_OK);
	close_check(g, "", "{}");
	close_check(g, "{\"a\": [1, 2", "]}");
	close_check(g, "{\"a\": \"x\\", "n\"}");
	close_check(g, "{\"a\": tr", "ue}");
	close_check(g, "{\"a\": -", "0}");
	close_check(g, "{\"a\": 1.", "0}");
	close_check(g, "{\"a\":1,", "\"\":null}");
	close_check(g, "[\"\\u1", "000\"]");
	close_check(g, "[\"\xe6\x97", "\x80\"]");
	close_check(g, "[{\"k\"", ":null}]");
	cr_grammar_free(g);

	const char *schema = "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},"
			     "\"n\":{\"type\":\"integer\"},\"c\":{\"enum\":[\"red\",\"green\"]},"
			     "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"boolean\"}}},"
			     "\"required\":[\"n\",\"c\",\"tags\"]}";
	assert_int_equal(cr_grammar_new_schema(schema, strlen(schema), &g, NULL), CR_OK);
	close_check(g, "", "{\"n\":0,\"c\":\"red\",\"tags\":[]}");
	close_check(g, "{\"c\": \"gr", "een\",\"n\":0,\"tags\":[]}");
	close_check(g, "{\"na", "me\":\"\",\"n\":0,\"c\":\"red\",\"tags\":[]}");
	cr_grammar_free(g);
}

/* ---- random walks ------------------------------------------------------- */

static uint64_t rng = 88172645463325252ull;
static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 32);
}

/* "Tokens" a model could emit: single bytes and multi-byte pieces. */
static const char *const pieces[] = {
	"{", "}", "[", "]", ",", ":", "\"", " ", "\n", "-", "0", "1", "7", ".", "e", "E", "+", "t", "r", "u",
	"e", "f", "a", "l", "s", "n", "\\", "/", "x", "true", "false", "null", "\"name\"", "\": ", "}, ",
	"\"n\":", "\"c\":", "\"tags\":", "\"red\"", "\"green\"", "[true", "12", "3.5", "\xc3\xa9", "\xc3",
	"\xa9", "\xe6\x97\xa5", "\\u00", "41", "ab", "\"}", "\"]", "{\"", ", \"",
};

/* Walks: at each step picks a random accepted piece; stops at done or after
 * `steps`, then closes. Returns the text (caller frees). */
static char *walk(cr_grammar *g, int steps)
{
	cr_buf b;
	cr_buf_init(&b, 0);
	cr_grammar_reset(g);
	for (int i = 0; i < steps && !cr_grammar_done(g); i++) {
		int ok = 0;
		for (int tries = 0; tries < 64 && !ok; tries++) {
			const char *p = pieces[rnd() % CR_ARRAY_LEN(pieces)];
			if (cr_grammar_accepts(g, p, strlen(p))) {
				assert_int_equal(cr_grammar_feed(g, p, strlen(p)), CR_OK);
				assert_int_equal(cr_buf_adds(&b, p), CR_OK);
				ok = 1;
			}
		}
		if (!ok)
			break;
	}
	assert_int_equal(cr_grammar_close(g, &b), CR_OK);
	return cr_buf_take(&b, NULL);
}

static void test_random_json(void **st)
{
	cr_grammar *g;
	assert_int_equal(cr_grammar_new_json(&g), CR_OK);
	for (int w = 0; w < 2000; w++) {
		char *t = walk(g, (int)(rnd() % 80));
		json_error_t je;
		json_t *j = json_loads(t, JSON_DECODE_ANY, &je);
		if (!j)
			fail_msg("walk %d produced invalid JSON: %s (%s)", w, t, je.text);
		assert_true(json_is_object(j) || json_is_array(j));
		json_decref(j);
		/* and the grammar accepts exactly what it produced */
		assert_true(full(g, t));
		cr_free(t);
	}
	cr_grammar_free(g);
}

static void check_schema_value(json_t *v, json_t *s)
{
	json_t *en = json_object_get(s, "enum");
	if (en) {
		int found = 0;
		for (size_t i = 0; i < json_array_size(en); i++)
			found |= json_equal(json_array_get(en, i), v);
		assert_true(found);
		return;
	}
	const char *t = json_string_value(json_object_get(s, "type"));
	if (!strcmp(t, "string"))
		assert_true(json_is_string(v));
	else if (!strcmp(t, "integer"))
		assert_true(json_is_integer(v));
	else if (!strcmp(t, "number"))
		assert_true(json_is_number(v));
	else if (!strcmp(t, "boolean"))
		assert_true(json_is_boolean(v));
	else if (!strcmp(t, "array")) {
		assert_true(json_is_array(v));
		for (size_t i = 0; i < json_array_size(v); i++)
			check_schema_value(json_array_get(v, i), json_object_get(s, "items"));
	} else if (!strcmp(t, "object")) {
		assert_true(json_is_object(v));
		json_t *props = json_object_get(s, "properties"), *req = json_object_get(s, "required");
		const char *k;
		json_t *x;
		json_object_foreach(v, k, x) {
			json_t *ps = json_object_get(props, k);
			if (!ps)
				fail_msg("unexpected property %s", k);
			check_schema_value(x, ps);
		}
		for (size_t i = 0; i < json_array_size(req); i++)
			assert_non_null(json_object_get(v, json_string_value(json_array_get(req, i))));
	}
}

static void test_random_schema(void **st)
{
	const char *schema = "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},"
			     "\"n\":{\"type\":\"integer\"},\"x\":{\"type\":\"number\"},"
			     "\"c\":{\"enum\":[\"red\",\"green\",12]},"
			     "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"boolean\"}},"
			     "\"sub\":{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"null\"}},\"required\":[\"a\"]}},"
			     "\"required\":[\"n\",\"c\",\"tags\"]}";
	json_t *sj = json_loads(schema, 0, NULL);
	assert_non_null(sj);
	cr_grammar *g;
	cr_msg m = {{0}};
	assert_int_equal(cr_grammar_new_schema(schema, strlen(schema), &g, &m), CR_OK);
	int n_full = 0;
	for (int w = 0; w < 2000; w++) {
		char *t = walk(g, (int)(rnd() % 60));
		json_t *j = json_loads(t, 0, NULL);
		if (!j)
			fail_msg("schema walk %d produced invalid JSON: %s", w, t);
		check_schema_value(j, sj);
		n_full += json_object_size(j) > 3;
		json_decref(j);
		cr_free(t);
	}
	assert_true(n_full > 0);
	/* things the schema refuses */
	assert_false(full(g, "{\"n\":1.5,\"c\":\"red\",\"tags\":[]}"));
	assert_false(full(g, "{\"n\":1,\"c\":\"blue\",\"tags\":[]}"));
	assert_false(full(g, "{\"n\":1,\"c\":\"red\"}"));
	assert_false(full(g, "{\"n\":1,\"n\":2,\"c\":\"red\",\"tags\":[]}"));
	assert_false(full(g, "{\"zzz\":1,\"n\":1,\"c\":\"red\",\"tags\":[]}"));
	assert_true(full(g, "{ \"tags\": [true, false], \"c\": 12, \"n\": -3, \"sub\": {\"a\": null} }"));
	cr_grammar_free(g);
	json_decref(sj);

	/* schema errors */
	const char *bad[] = {"{\"type\":\"string\"}", "{\"type\":\"object\",\"required\":[\"q\"],\"properties\":{}}",
			     "{\"type\":[\"string\",\"null\"]}", "[1", "{\"type\":\"tuple\"}"};
	for (size_t i = 0; i < CR_ARRAY_LEN(bad); i++) {
		assert_int_not_equal(cr_grammar_new_schema(bad[i], strlen(bad[i]), &g, &m), CR_OK);
		assert_true(strlen(m.text) > 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accept_reject), cmocka_unit_test(test_close), cmocka_unit_test(test_max_length),
		cmocka_unit_test(test_random_json), cmocka_unit_test(test_random_schema),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
