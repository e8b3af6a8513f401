/* test_ingest_code.c — source code (code.c): languages from names and
 * shebangs, sections at symbols with line ranges, per-language patterns,
 * long functions cut in pieces, minified lines, binary refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/ingest_int.h"

static uint8_t *read_sample(const char *rel, size_t *len)
{
	const char *src = getenv("CR_SOURCE_DIR");
	char p[4096];
	snprintf(p, sizeof p, "%s/%s", src ? src : ".", rel);
	uint8_t *buf;
	cr_msg m;
	if (cr_file_read(p, 1 << 24, &buf, len, &m) != CR_OK)
		fail_msg("cannot read %s: %s", p, m.text);
	return buf;
}

/* 1-based number of the line of buf that starts with `prefix` */
static int line_of(const uint8_t *buf, size_t len, const char *prefix)
{
	int line = 1;
	size_t pl = strlen(prefix);
	for (size_t i = 0; i < len; i++) {
		if ((i == 0 || buf[i - 1] == '\n') && len - i >= pl && memcmp(buf + i, prefix, pl) == 0)
			return line;
		if (buf[i] == '\n')
			line++;
	}
	return -1;
}

static const cr_section *by_symbol(const cr_doc *d, const char *sym)
{
	for (size_t i = 0; i < d->n_sections; i++)
		if (d->sections[i].loc.symbol && strcmp(d->sections[i].loc.symbol, sym) == 0)
			return &d->sections[i];
	return NULL;
}

static cr_err code_str(cr_arena *a, const char *name, const char *s, size_t n, cr_doc **out, cr_msg *m)
{
	return cr_extract(a, name, (const uint8_t *)s, n, NULL, out, m);
}

static void test_lang(void **st)
{
	assert_string_equal(cr_code_lang("src/motor.c"), "c");
	assert_string_equal(cr_code_lang("x/y/PLAN.PY"), "python");
	assert_string_equal(cr_code_lang("a.eml#att/lib.rs"), "rust");
	assert_string_equal(cr_code_lang("Makefile"), "make");
	assert_string_equal(cr_code_lang("web/app.tsx"), "typescript");
	assert_string_equal(cr_code_lang("db/schema.sql"), "sql");
	assert_string_equal(cr_code_lang("run.sh"), "shell");
	assert_string_equal(cr_code_lang("Main.java"), "java");
	assert_null(cr_code_lang("notes.md"));
	assert_null(cr_code_lang("data.json"));
	assert_null(cr_code_lang("archive.tar.gz"));
	assert_null(cr_code_lang(".bashrc"));
	assert_null(cr_code_lang("README"));
	const char *sb[][2] = {{"#!/usr/bin/env python3\n", "python"}, {"#!/bin/bash -e\n", "shell"},
			       {"#!/usr/bin/env -S node --flag\n", "javascript"}, {"#!/usr/bin/perl -w\n", "perl"},
			       {"#!/bin/sh", "shell"}, {"#!/usr/bin/env ruby2.7\n", "ruby"}};
	for (size_t i = 0; i < CR_ARRAY_LEN(sb); i++)
		assert_string_equal(cr_code_lang_shebang((const uint8_t *)sb[i][0], strlen(sb[i][0])), sb[i][1]);
	assert_null(cr_code_lang_shebang((const uint8_t *)"#!/opt/unknown\n", 15));
	assert_null(cr_code_lang_shebang((const uint8_t *)"# comment\n", 10));
}

/* scripts without an extension are routed to the code extractor by their "#!" line */
static void test_shebang_dispatch(void **st)
{
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_msg m = {{0}};
	cr_doc *d;
	static const char py[] = "#!/usr/bin/env python3\n\ndef rotate_keys(vault):\n    return vault.rotate()\n\n"
				 "def main():\n    rotate_keys(None)\n";
	assert_string_equal(cr_extract_detect("tools/rotate", (const uint8_t *)py, sizeof py - 1), "code");
	assert_int_equal(code_str(&a, "tools/rotate", py, sizeof py - 1, &d, &m), CR_OK);
	assert_string_equal(d->type, "code");
	assert_string_equal(d->lang, "python");
	const cr_section *s = by_symbol(d, "rotate_keys");
	assert_non_null(s);
	assert_int_equal(s->loc.line_start, 3);
	static const char sh[] = "#!/bin/sh\nset -e\necho deploy\n";
	assert_int_equal(code_str(&a, "a.eml#att/deploy", sh, sizeof sh - 1, &d, &m), CR_OK);
	assert_string_equal(d->type, "code");
	assert_string_equal(d->lang, "shell");
	/* with a BOM before the "#!" */
	static const char bom[] = "\xEF\xBB\xBF#!/usr/bin/perl -w\nprint 1;\n";
	assert_int_equal(code_str(&a, "report", bom, sizeof bom - 1, &d, &m), CR_OK);
	assert_string_equal(d->lang, "perl");
	/* an unknown interpreter, or an extension, keeps the old choice */
	assert_string_equal(cr_extract_detect("notes", (const uint8_t *)"#!/opt/unknown\nhi\n", 18), "txt");
	assert_string_equal(cr_extract_detect("notes.md", (const uint8_t *)"#!/bin/sh\n", 10), "md");
	cr_arena_release(&a);
}

static void test_c_sample(void **st)
{
	size_t len;
	uint8_t *buf = read_sample("samples/code/motor/motor_ctrl.c", &len);
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_doc *d;
	cr_msg m = {{0}};
	assert_int_equal(cr_extract(&a, "code/motor/motor_ctrl.c", buf, len, NULL, &d, &m), CR_OK);
	assert_string_equal(d->type, "code");
	assert_string_equal(d->lang, "c");
	assert_string_equal(cr_doc_meta(d, "symbols"), "4");
	/* the file comment: no symbol, from line 1 */
	assert_null(d->sections[0].loc.symbol);
	assert_int_equal(d->sections[0].loc.line_start, 1);
	const cr_section *s = by_symbol(d, "motor_ctrl_step");
	assert_non_null(s);
	/* the comment line above the function belongs to it */
	assert_int_equal(s->loc.line_start, line_of(buf, len, "/* One control tick"));
	assert_int_equal(s->loc.line_end, line_of(buf, len, "bool motor_ctrl_stalled") - 2);
	assert_true(strncmp(s->text, "/* One control tick", 19) == 0);
	assert_non_null(strstr(s->text, "return cmd;\n}"));
	s = by_symbol(d, "clampf");
	assert_int_equal(s->loc.line_start, line_of(buf, len, "static float clampf"));
	assert_int_equal(s->loc.line_end, s->loc.line_start + 3);
	assert_non_null(by_symbol(d, "motor_ctrl_init"));
	assert_non_null(by_symbol(d, "motor_ctrl_stalled"));
	cr_free(buf);
	/* the header: the struct is a symbol, prototypes are not */
	buf = read_sample("samples/code/motor/motor_ctrl.h", &len);
	assert_int_equal(cr_extract(&a, "motor_ctrl.h", buf, len, NULL, &d, &m), CR_OK);
	assert_non_null(by_symbol(d, "struct motor_ctrl"));
	assert_null(by_symbol(d, "motor_ctrl_init"));
	cr_free(buf);
	cr_arena_release(&a);
}

static void test_python_sample(void **st)
{
	size_t len;
	uint8_t *buf = read_sample("samples/code/planning/pick_planner.py", &len);
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_doc *d;
	cr_msg m = {{0}};
	assert_int_equal(cr_extract(&a, "pick_planner.py", buf, len, NULL, &d, &m), CR_OK);
	assert_string_equal(d->lang, "python");
	const cr_section *s = by_symbol(d, "Item");
	assert_non_null(s);
	assert_true(strncmp(s->text, "@dataclass\nclass Item:", 22) == 0); /* decorator goes with it */
	s = by_symbol(d, "Estimator.picks_per_hour");
	assert_non_null(s);
	assert_int_equal(s->loc.line_start, line_of(buf, len, "    def picks_per_hour"));
	assert_null(strstr(s->text, "__main__")); /* top-level code after it is not part of it */
	assert_non_null(by_symbol(d, "Estimator.__init__"));
	assert_non_null(by_symbol(d, "two_opt"));
	/* the __main__ block is there, without symbol */
	int found = 0;
	for (size_t i = 0; i < d->n_sections; i++)
		if (strstr(d->sections[i].text, "if __name__") && !d->sections[i].loc.symbol)
			found = 1;
	assert_true(found);
	cr_free(buf);
	cr_arena_release(&a);
}

static void test_languages(void **st)
{
	static const struct {
		const char *name, *src, *syms[4];
	} cases[] = {
		{"a.js", "import x from 'y';\n\nexport async function fetchPicks(id) {\n  return 1;\n}\n\nconst plan = (a) => a * 2;\n\nexport default class Planner {\n  constructor(n) {\n    this.n = n;\n    if (n) {\n    }\n  }\n\n  async run(tote) {\n    return plan(tote);\n  }\n}\n",
		 {"fetchPicks", "plan", "Planner.constructor", "Planner.run"}},
		{"a.ts", "export interface Pick { sku: string }\nexport type Id = string;\nfunction f(): void {}\n", {"Pick", "Id", "f"}},
		{"a.go", "package motor\n\ntype Ctrl struct {\n\tkp float64\n}\n\nfunc (c *Ctrl) Step(x float64) float64 {\n\treturn x\n}\n\nfunc New() *Ctrl { return nil }\n",
		 {"Ctrl", "Ctrl.Step", "New"}},
		{"a.rs", "use std::io;\n\npub struct Arm { n: u32 }\n\nimpl Arm {\n    pub fn new() -> Self { Arm { n: 0 } }\n}\n\npub(crate) async fn run() {}\n",
		 {"Arm", "impl Arm", "Arm::new", "run"}},
		{"A.java", "package x;\n\npublic class Planner {\n    private int n;\n\n    public int plan(int a) {\n        return a;\n    }\n\n    static void helper()\n    {\n    }\n}\n",
		 {"Planner", "Planner.plan", "Planner.helper"}},
		{"s.sql", "-- schema\nCREATE TABLE IF NOT EXISTS picks (id INT);\n\ncreate or replace view v_picks as select 1;\n", {"picks", "v_picks"}},
		{"r.sh", "#!/bin/sh\nset -e\n\nbuild() {\n  make\n}\n\nfunction deploy {\n  echo\n}\n", {"build", "deploy"}},
		{"r.rb", "module Kestrel\nend\n\nclass Arm\n  def pick!(x)\n  end\nend\n", {"Kestrel", "Arm", "Arm#pick!"}},
		{"x.cpp", "namespace k {\nint f(int);\n}\n\ntemplate <typename T>\nclass Box {\n};\n\nint Box::size() const\n{\n  return 0;\n}\n", {"namespace k", "Box::size"}},
	};
	cr_arena a;
	cr_arena_init(&a, 0);
	for (size_t i = 0; i < CR_ARRAY_LEN(cases); i++) {
		cr_doc *d;
		cr_msg m = {{0}};
		assert_int_equal(code_str(&a, cases[i].name, cases[i].src, strlen(cases[i].src), &d, &m), CR_OK);
		for (int k = 0; k < 4 && cases[i].syms[k]; k++) {
			if (!by_symbol(d, cases[i].syms[k])) {
				for (size_t j = 0; j < d->n_sections; j++)
					print_message("  %s: section %zu symbol %s\n", cases[i].name, j,
						      d->sections[j].loc.symbol ? d->sections[j].loc.symbol : "-");
				fail_msg("%s: no symbol %s", cases[i].name, cases[i].syms[k]);
			}
		}
	}
	cr_arena_release(&a);
}

static void test_long_function_and_minified(void **st)
{
	cr_buf b;
	cr_buf_init(&b, 0);
	CR_IGNORE(cr_buf_adds(&b, "int big(void)\n{\n"));
	for (int i = 0; i < 400; i++)
		CR_IGNORE(cr_buf_printf(&b, "\tx += %d;%s\n", i, i % 50 == 49 ? "\n" : ""));
	CR_IGNORE(cr_buf_adds(&b, "}\n"));
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_doc *d;
	cr_msg m = {{0}};
	assert_int_equal(code_str(&a, "big.c", b.data, b.len, &d, &m), CR_OK);
	assert_true(d->n_sections >= 3);
	int next = 1;
	for (size_t i = 0; i < d->n_sections; i++) {
		const cr_loc *l = &d->sections[i].loc;
		assert_string_equal(l->symbol, "big");
		assert_true(l->line_start >= next); /* in order, no overlap */
		assert_true(l->line_end - l->line_start < 150);
		next = l->line_end + 1;
	}
	/* a 300 KB minified line with multi-byte characters and no spaces */
	cr_buf_reset(&b);
	CR_IGNORE(cr_buf_adds(&b, "// header\n"));
	for (int i = 0; i < 30000; i++)
		CR_IGNORE(cr_buf_adds(&b, i % 7 ? "a=1;" : "é日"));
	CR_IGNORE(cr_buf_adds(&b, "\nvar end = 1;\n"));
	assert_int_equal(code_str(&a, "app.min.js", b.data, b.len, &d, &m), CR_OK);
	assert_string_equal(cr_doc_meta(d, "minified"), "yes");
	size_t on_line2 = 0, total = 0;
	for (size_t i = 0; i < d->n_sections; i++) {
		assert_true(d->sections[i].len <= 6000);
		assert_true(cr_utf8_valid((const uint8_t *)d->sections[i].text, d->sections[i].len));
		if (d->sections[i].loc.line_start == 2 && d->sections[i].loc.line_end == 2) {
			on_line2++;
			total += d->sections[i].len;
		}
	}
	assert_true(on_line2 > 10);
	assert_int_equal(total, b.len - strlen("// header\n") - strlen("\nvar end = 1;\n"));
	cr_buf_release(&b);
	cr_arena_release(&a);
}

static void test_binary_and_charset(void **st)
{
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_extract_limits lim = cr_extract_limits_default();
	cr_msg m = {{0}};
	cr_doc d;
	memset(&d, 0, sizeof d);
	d.name = "prog.c";
	d.type = "code";
	cr_xctx x = {.a = &a, .lim = &lim, .m = &m, .root = &d};
	static const uint8_t elf[] = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0};
	assert_int_equal(cr_x_code(&x, elf, sizeof elf, &d), CR_EUNSUPPORTED);
	assert_string_equal(m.text, "code: binary content");
	/* Shift_JIS comment: converted, line numbers kept */
	const char *sj = "/* \x83\x82\x81[\x83^\x81[\x82\xcc\x91\xac\x93x\x90\xa7\x8c\xe4\x82\xc6\x93" "d\x97\xac\x90\xa7\x8c\xc0\x81" "A\x92\xe2\x8e~\x8c\x9f\x8fo\x82\xf0\x8ds\x82\xa4\x83\x82\x83W\x83\x85\x81[\x83\x8b\x82\xc5\x82\xb7\x81" "B */\n"
			 "int f(void)\n{\n\treturn 0;\n}\n";
	memset(&d, 0, sizeof d);
	d.name = "prog.c";
	d.type = "code";
	assert_int_equal(cr_x_code(&x, (const uint8_t *)sj, strlen(sj), &d), CR_OK);
	assert_non_null(strstr(d.sections[0].text, "モーターの速度制御"));
	assert_string_equal(cr_doc_meta(&d, "charset"), "Shift_JIS");
	assert_int_equal(d.sections[0].loc.line_start, 1);
	assert_int_equal(d.sections[0].loc.line_end, 5);
	assert_string_equal(d.sections[0].loc.symbol, "f");
	/* Latin-1: whatever charset detection picks, the text is UTF-8 and the lines stay */
	const char *l1 = "/* r\xe9glage du moteur */\nint g(void)\n{\n\treturn 0;\n}\n";
	memset(&d, 0, sizeof d);
	d.name = "prog.c";
	d.type = "code";
	assert_int_equal(cr_x_code(&x, (const uint8_t *)l1, strlen(l1), &d), CR_OK);
	assert_true(cr_utf8_valid((const uint8_t *)d.sections[0].text, d.sections[0].len));
	assert_int_equal(d.sections[0].loc.line_end, 5);
	assert_string_equal(d.sections[0].loc.symbol, "g");
	/* empty and whitespace-only files */
	memset(&d, 0, sizeof d);
	d.name = "e.py";
	assert_int_equal(cr_x_code(&x, (const uint8_t *)"", 0, &d), CR_OK);
	assert_int_equal(cr_x_code(&x, (const uint8_t *)"\n\n  \n", 4, &d), CR_OK);
	assert_int_equal(d.n_sections, 0);
	cr_arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lang), cmocka_unit_test(test_shebang_dispatch),
		cmocka_unit_test(test_c_sample),
		cmocka_unit_test(test_python_sample),
		cmocka_unit_test(test_languages),
		cmocka_unit_test(test_long_function_and_minified),
		cmocka_unit_test(test_binary_and_charset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
