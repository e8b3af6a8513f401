/* test_conf.c — the configuration file's parser (conf.h): every form of
 * the subset read back with its value, type and line; each refused form
 * refused with CR_ECORRUPT and a message naming the line; typed look-ups
 * refusing other types and out-of-range numbers; the known-key check,
 * "table.*" admitting a whole section; the example file shipped in dist/
 * parses and passes the program's keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cristal/conf.h"

static cr_conf *parse_ok(const char *text)
{
	cr_conf *c = NULL;
	cr_msg m = {{0}};
	cr_err e = cr_conf_parse(text, strlen(text), "t.toml", &c, &m);
	if (e)
		fail_msg("parse failed: %s", m.text);
	return c;
}

static void parse_bad(const char *text, const char *want_line, const char *want_words)
{
	cr_conf *c = NULL;
	cr_msg m = {{0}};
	assert_int_equal(cr_conf_parse(text, strlen(text), "t.toml", &c, &m), CR_ECORRUPT);
	assert_null(c);
	if (!strstr(m.text, want_line) || !strstr(m.text, want_words))
		fail_msg("for %s: message '%s' lacks '%s' or '%s'", text, m.text, want_line, want_words);
}

static void values(void **state)
{
	(void)state;
	cr_conf *c = parse_ok("# top\n"
			      "top = 'lit\\n' # a literal keeps its backslash\n"
			      "\n"
			      "[server]\n"
			      "listen = \"127.0.0.1:8080\"   \n"
			      "threads = 4\n"
			      "max_body = 1_048_576\n"
			      "neg = -12\n"
			      "on = true\n"
			      "off = false\n"
			      "esc = \"a\\\"b\\\\c\\td\\u00e9\\U0001F600\"\n"
			      "[ governance . paths ]\n"
			      "deny = [\n"
			      "  \"/secret/\", # why\n"
			      "  '/hr/',\n"
			      "]\n"
			      "nums = [1,2 ,3]\n"
			      "empty = []\n");
	const cr_conf_val *v = cr_conf_get(c, "", "top");
	assert_non_null(v);
	assert_int_equal(v->type, CR_CONF_STR);
	assert_string_equal(v->str, "lit\\n");
	assert_int_equal(v->line, 2);
	assert_string_equal(cr_conf_get(c, "server", "listen")->str, "127.0.0.1:8080");
	assert_int_equal(cr_conf_get(c, "server", "listen")->line, 5);
	assert_int_equal(cr_conf_get(c, "server", "threads")->i, 4);
	assert_int_equal(cr_conf_get(c, "server", "max_body")->i, 1048576);
	assert_int_equal(cr_conf_get(c, "server", "neg")->i, -12);
	assert_int_equal(cr_conf_get(c, "server", "on")->type, CR_CONF_BOOL);
	assert_int_equal(cr_conf_get(c, "server", "on")->i, 1);
	assert_int_equal(cr_conf_get(c, "server", "off")->i, 0);
	assert_string_equal(cr_conf_get(c, "server", "esc")->str, "a\"b\\c\td\xC3\xA9\xF0\x9F\x98\x80");
	v = cr_conf_get(c, "governance.paths", "deny");
	assert_non_null(v);
	assert_int_equal(v->type, CR_CONF_ARRAY);
	assert_int_equal(v->n_items, 2);
	assert_string_equal(v->items[0].str, "/secret/");
	assert_string_equal(v->items[1].str, "/hr/");
	assert_int_equal(v->line, 13);
	v = cr_conf_get(c, "governance.paths", "nums");
	assert_int_equal(v->n_items, 3);
	assert_int_equal(v->items[2].i, 3);
	assert_int_equal(cr_conf_get(c, "governance.paths", "empty")->n_items, 0);
	assert_null(cr_conf_get(c, "server", "nope"));
	assert_null(cr_conf_get(c, "", "listen"));
	/* entries in file order */
	const char *t, *k;
	size_t n = 0;
	while (cr_conf_entry(c, n, &t, &k, &v))
		n++;
	assert_int_equal(n, 11);
	assert_true(cr_conf_entry(c, 1, &t, &k, &v));
	assert_string_equal(t, "server");
	assert_string_equal(k, "listen");
	cr_conf_free(c);

	/* limits of integers, CRLF line ends, a byte-order mark, no final newline */
	c = parse_ok("\xEF\xBB\xBF"
		     "a = -9223372036854775808\r\nb = 9223372036854775807\r\nc = 0\r\nd = +0");
	assert_int_equal(cr_conf_get(c, "", "a")->i, INT64_MIN);
	assert_int_equal(cr_conf_get(c, "", "b")->i, INT64_MAX);
	assert_int_equal(cr_conf_get(c, "", "d")->line, 4);
	cr_conf_free(c);
	c = parse_ok("");
	assert_false(cr_conf_entry(c, 0, &t, &k, &v));
	cr_conf_free(c);
}

static void refused(void **state)
{
	(void)state;
	parse_bad("a = 1\n[t]\nb = 2\n[t]\n", "t.toml:4:", "defined twice");
	parse_bad("a = 1\na = 2\n", ":2:", "set twice");
	parse_bad("[t]\nb = 1\n[t.b]\n", ":3:", "clashes");
	parse_bad("[t.b]\n[t]\nb = 1\n", ":3:", "clashes");
	parse_bad("a = 01\n", ":1:", "leading zeros");
	parse_bad("a = 1.5\n", ":1:", "whole numbers");
	parse_bad("a = 1979-05-27\n", ":1:", "whole numbers");
	parse_bad("a = 0x1f\n", ":1:", "whole numbers");
	parse_bad("a = 9223372036854775808\n", ":1:", "64-bit");
	parse_bad("a = -9223372036854775809\n", ":1:", "64-bit");
	parse_bad("a = 1__0\n", ":1:", "between digits");
	parse_bad("a = 10_\n", ":1:", "between digits");
	parse_bad("x = 1\n\na = \"open\n", ":3:", "not closed");
	parse_bad("a = \"\"\"multi\"\"\"\n", ":1:", "multi-line");
	parse_bad("a = \"\\q\"\n", ":1:", "unknown escape");
	parse_bad("a = \"\\ud800\"\n", ":1:", "cannot hold");
	parse_bad("a = \"\\u0000\"\n", ":1:", "cannot hold");
	parse_bad("a = \"\\u12\"\n", ":1:", "hexadecimal");
	parse_bad("a = [1, \"x\"]\n", ":1:", "one kind");
	parse_bad("a = [[1]]\n", ":1:", "arrays of arrays");
	parse_bad("a = [1 2]\n", ":1:", "',' or ']'");
	parse_bad("a = [1,\n2,\n", ":3:", "not closed");
	parse_bad("a = {x = 1}\n", ":1:", "inline tables");
	parse_bad("[[t]]\n", ":1:", "arrays of tables");
	parse_bad("a.b = 1\n", ":1:", "dotted keys");
	parse_bad("\"a\" = 1\n", ":1:", "quoted keys");
	parse_bad("a = 1 b = 2\n", ":1:", "one key = value per line");
	parse_bad("a =\n", ":1:", "value is expected");
	parse_bad("a = yes\n", ":1:", "value is expected");
	parse_bad("a 1\n", ":1:", "'=' is expected");
	parse_bad("[t\n", ":1:", "']' is expected");
	parse_bad("[]\n", ":1:", "table name");
	parse_bad("a = truex\n", ":1:", "value is expected");
	parse_bad("a = 1\nb = \"x\x01\"\n", "t.toml:2:", "control character");
	parse_bad("a = \"\xC3\x28\"\n", "t.toml", "UTF-8");
	parse_bad("a = 1\rb = 2\n", "t.toml:1:", "control character");
	/* a NUL inside the given length is a control character, not the end */
	cr_conf *c = NULL;
	cr_msg m = {{0}};
	assert_int_equal(cr_conf_parse("a = 1\n\0b = 2\n", 13, "t.toml", &c, &m), CR_ECORRUPT);
	assert_non_null(strstr(m.text, "control character"));
	/* over the size limit */
	static char big[CR_CONF_MAX_BYTES + 2];
	memset(big, '#', sizeof big);
	assert_int_equal(cr_conf_parse(big, sizeof big, "t.toml", &c, &m), CR_ETOOBIG);
}

static void lookups(void **state)
{
	(void)state;
	cr_conf *c = parse_ok("[s]\nn = 5\nstr = \"x\"\nb = true\n[governance]\nanything = 1\n[governance.paths]\nz = 2\n");
	cr_msg m = {{0}};
	int64_t n = 42;
	assert_int_equal(cr_conf_int(c, "s", "n", 0, 10, &n, &m), CR_OK);
	assert_int_equal(n, 5);
	n = 42;
	assert_int_equal(cr_conf_int(c, "s", "absent", 0, 10, &n, &m), CR_OK);
	assert_int_equal(n, 42); /* untouched */
	assert_int_equal(cr_conf_int(c, "s", "n", 6, 10, &n, &m), CR_EINVAL);
	assert_non_null(strstr(m.text, "t.toml:2: s.n must be a whole number from 6 to 10"));
	assert_int_equal(cr_conf_int(c, "s", "str", 0, 10, &n, &m), CR_EINVAL);
	const char *s = NULL;
	assert_int_equal(cr_conf_str(c, "s", "str", &s, &m), CR_OK);
	assert_string_equal(s, "x");
	assert_int_equal(cr_conf_str(c, "s", "n", &s, &m), CR_EINVAL);
	assert_non_null(strstr(m.text, "t.toml:2: s.n must be a string"));
	int b = 0;
	assert_int_equal(cr_conf_bool(c, "s", "b", &b, &m), CR_OK);
	assert_int_equal(b, 1);
	assert_int_equal(cr_conf_bool(c, "s", "str", &b, &m), CR_EINVAL);

	static const char *const known[] = {"s.n", "s.str", "s.b", "governance.*", NULL};
	assert_int_equal(cr_conf_check(c, known, &m), CR_OK);
	static const char *const fewer[] = {"s.n", "s.b", "governance.*", NULL};
	assert_int_equal(cr_conf_check(c, fewer, &m), CR_EINVAL);
	assert_non_null(strstr(m.text, "t.toml:3: unknown setting s.str"));
	static const char *const no_sub[] = {"s.*", "governance.anything", NULL};
	assert_int_equal(cr_conf_check(c, no_sub, &m), CR_EINVAL);
	assert_non_null(strstr(m.text, "governance.paths.z"));
	/* "gov.*" is not "governance.*" */
	static const char *const prefix[] = {"s.*", "gov.*", NULL};
	assert_int_equal(cr_conf_check(c, prefix, &m), CR_EINVAL);
	cr_conf_free(c);
}

static void example_file(void **state)
{
	(void)state;
	const char *src = getenv("CR_SOURCE_DIR");
	if (!src)
		skip();
	char path[4096];
	snprintf(path, sizeof path, "%s/dist/cristal.toml", src);
	cr_conf *c = NULL;
	cr_msg m = {{0}};
	if (cr_conf_load(path, &c, &m))
		fail_msg("%s", m.text);
	assert_string_equal(cr_conf_get(c, "server", "listen")->str, "127.0.0.1:8080");
	assert_string_equal(cr_conf_get(c, "data", "dir")->str, "/var/lib/cristal");
	assert_int_equal(cr_conf_get(c, "server", "max_body")->i, 1048576);
	cr_conf_free(c);
	assert_int_equal(cr_conf_load("/nonexistent/cristal.toml", &c, &m), CR_ENOTFOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(values),
		cmocka_unit_test(refused),
		cmocka_unit_test(lookups),
		cmocka_unit_test(example_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
