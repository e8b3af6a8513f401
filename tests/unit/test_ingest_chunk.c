/* test_ingest_chunk.c — cr_chunk_doc: sizes near the target, cuts at
 * paragraph / sentence / word boundaries, overlap carried from the previous
 * chunk, locations kept and merged, small same-place sections joined,
 * Japanese sentences, and never a cut inside a UTF-8 character. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "cristal/ingest.h"
#include "ingest/ingest_int.h"

static cr_arena A;

static int setup(void **st)
{
	cr_arena_init(&A, 0);
	return 0;
}

static int teardown(void **st)
{
	cr_arena_release(&A);
	return 0;
}

static size_t n_chars(const char *s, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += ((uint8_t)s[i] & 0xc0) != 0x80;
	return c;
}

static cr_doc *doc_new(void)
{
	cr_doc *d = cr_arena_zalloc(&A, sizeof *d);
	d->name = "t";
	d->type = "txt";
	return d;
}

static void add(cr_doc *d, const char *text, cr_loc loc)
{
	cr_extract_limits lim = cr_extract_limits_default();
	cr_msg m;
	cr_xctx x = {.a = &A, .lim = &lim, .m = &m};
	assert_int_equal(cr_doc_add_section(&x, d, text, strlen(text), &loc), CR_OK);
}

/* English prose: numbered sentences, paragraphs every 5 sentences. */
static char *prose(int n_sent)
{
	cr_buf b;
	cr_buf_init(&b, 0);
	for (int i = 0; i < n_sent; i++) {
		assert_int_equal(cr_buf_printf(&b, "Sentence %d tells about arm%d and its servo%d supply%d. ", i, i, i, i), CR_OK);
		if (i % 5 == 4)
			assert_int_equal(cr_buf_adds(&b, "\n\n"), CR_OK);
	}
	char *s = cr_arena_strndup(&A, b.data, b.len);
	cr_buf_release(&b);
	return s;
}

static void check_valid(const cr_chunk *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		assert_true(c[i].len > 0);
		assert_int_equal(strlen(c[i].text), c[i].len);
		assert_true(cr_utf8_valid((const uint8_t *)c[i].text, c[i].len));
		assert_int_equal(c[i].ordinal, i);
		assert_false(c[i].text[0] == ' ' || c[i].text[0] == '\n');
		assert_false(c[i].text[c[i].len - 1] == ' ' || c[i].text[c[i].len - 1] == '\n');
	}
}

static void test_sizes_and_boundaries(void **st)
{
	cr_doc *d = doc_new();
	cr_loc loc = cr_loc_none();
	loc.page = 3;
	char *text = prose(200); /* ~12,400 characters */
	add(d, text, loc);
	cr_chunk *c;
	size_t n;
	assert_int_equal(cr_chunk_doc(&A, d, NULL, &c, &n), CR_OK);
	check_valid(c, n);
	assert_true(n >= 9 && n <= 16);
	for (size_t i = 0; i < n; i++) {
		size_t ch = n_chars(c[i].text, c[i].len);
		assert_true(ch <= 1200 + 240);
		if (i + 1 < n) {
			assert_true(ch >= 600);
			/* cut after a sentence: every chunk but the last ends with '.' */
			assert_int_equal(c[i].text[c[i].len - 1], '.');
		}
		assert_int_equal(c[i].loc.page, 3);
	}
	/* every sentence of the input appears in some chunk */
	for (int i = 0; i < 200; i++) {
		char needle[64];
		snprintf(needle, sizeof needle, "Sentence %d tells", i);
		int found = 0;
		for (size_t k = 0; k < n && !found; k++)
			found = memmem(c[k].text, c[k].len, needle, strlen(needle)) != NULL;
		assert_true(found);
	}
}

static void test_overlap(void **st)
{
	cr_doc *d = doc_new();
	add(d, prose(60), cr_loc_none());
	cr_chunk_opts o = {.target_chars = 500, .overlap_chars = 100};
	cr_chunk *c;
	size_t n;
	assert_int_equal(cr_chunk_doc(&A, d, &o, &c, &n), CR_OK);
	check_valid(c, n);
	assert_true(n >= 4);
	for (size_t i = 1; i < n; i++) {
		/* the next chunk starts with text from the end of the previous one,
		 * at a word start, about overlap_chars long */
		const cr_chunk *p = &c[i - 1];
		size_t k = 20;
		assert_true(c[i].len > k);
		const char *hit = NULL; /* last occurrence: the prose repeats itself */
		for (const char *q = p->text; (q = memmem(q, p->len - (size_t)(q - p->text), c[i].text, k)); q++)
			hit = q;
		assert_non_null(hit);
		size_t tail = (size_t)(p->text + p->len - hit);
		assert_true(tail >= 40 && tail <= 140);
		assert_true(hit == p->text || hit[-1] == ' ' || hit[-1] == '\n');
	}
	/* no overlap when asked for none */
	o.overlap_chars = 0;
	assert_int_equal(cr_chunk_doc(&A, d, &o, &c, &n), CR_OK);
	size_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += c[i].len;
	assert_true(total <= d->sections[0].len);
}

static void test_locations(void **st)
{
	cr_doc *d = doc_new();
	/* small paragraphs of one place join; line ranges merge */
	for (int i = 0; i < 6; i++) {
		cr_loc l = cr_loc_none();
		l.heading = "Leave > Annual leave";
		l.line_start = 10 + i * 3;
		l.line_end = 11 + i * 3;
		char t[64];
		snprintf(t, sizeof t, "Paragraph %d about annual leave.", i);
		add(d, t, l);
	}
	/* then another heading: never joined with the above */
	cr_loc l2 = cr_loc_none();
	l2.heading = "Leave > Sick leave";
	l2.line_start = l2.line_end = 40;
	add(d, "Ten days of sick leave.", l2);
	/* pages never mix */
	cr_loc p1 = cr_loc_none(), p2 = cr_loc_none();
	p1.page = 1;
	p2.page = 2;
	add(d, "End of page one.", p1);
	add(d, "Start of page two.", p2);
	/* transcript turns: times merge, speaker only when all agree */
	cr_loc t1 = cr_loc_none(), t2 = cr_loc_none();
	t1.speaker = t2.speaker = "Mei Lin";
	t1.t_start = 12.5, t1.t_end = 19.25, t2.t_start = 19.25, t2.t_end = 26;
	add(d, "Mei Lin: The v2 gripper picks 620 items per hour.", t1);
	add(d, "Mei Lin: Failures are on shrink-wrapped boxes.", t2);
	cr_loc t3 = t2;
	t3.speaker = "Tom Becker";
	t3.t_start = 26.5, t3.t_end = 33;
	add(d, "Tom Becker: Northwind asked for May.", t3);
	cr_chunk *c;
	size_t n;
	assert_int_equal(cr_chunk_doc(&A, d, NULL, &c, &n), CR_OK);
	check_valid(c, n);
	assert_int_equal(n, 5);
	assert_string_equal(c[0].loc.heading, "Leave > Annual leave");
	assert_int_equal(c[0].loc.line_start, 10);
	assert_int_equal(c[0].loc.line_end, 26);
	assert_non_null(strstr(c[0].text, "Paragraph 0"));
	assert_non_null(strstr(c[0].text, "Paragraph 5"));
	assert_non_null(strstr(c[0].text, "leave.\n\nParagraph 1"));
	assert_string_equal(c[1].loc.heading, "Leave > Sick leave");
	assert_int_equal(c[1].loc.line_start, 40);
	assert_int_equal(c[2].loc.page, 1);
	assert_int_equal(c[3].loc.page, 2);
	assert_null(c[4].loc.speaker); /* Mei Lin and Tom Becker */
	assert_true(c[4].loc.t_start == 12.5);
	assert_true(c[4].loc.t_end == 33);
	assert_int_equal(c[4].loc.line_start, 0);
	/* one speaker: kept */
	cr_doc *d2 = doc_new();
	add(d2, "Mei Lin: The v2 gripper picks 620 items per hour.", t1);
	add(d2, "Mei Lin: Failures are on shrink-wrapped boxes.", t2);
	assert_int_equal(cr_chunk_doc(&A, d2, NULL, &c, &n), CR_OK);
	assert_int_equal(n, 1);
	assert_string_equal(c[0].loc.speaker, "Mei Lin");
	assert_true(c[0].loc.t_start == 12.5 && c[0].loc.t_end == 26);
	/* a long section's chunks take the line ranges of the sections they touch */
	cr_doc *d3 = doc_new();
	for (int i = 0; i < 40; i++) {
		cr_loc l = cr_loc_none();
		l.line_start = l.line_end = i + 1;
		char t[128];
		snprintf(t, sizeof t, "Line %d of the memo says something about servo lead times and budgets.", i + 1);
		add(d3, t, l);
	}
	cr_chunk_opts o = {.target_chars = 400, .overlap_chars = 0};
	assert_int_equal(cr_chunk_doc(&A, d3, &o, &c, &n), CR_OK);
	assert_true(n > 3);
	assert_int_equal(c[0].loc.line_start, 1);
	for (size_t i = 1; i < n; i++)
		assert_int_equal(c[i].loc.line_start, c[i - 1].loc.line_end + 1);
	assert_int_equal(c[n - 1].loc.line_end, 40);
}

static void test_japanese(void **st)
{
	cr_doc *d = doc_new();
	cr_buf b;
	cr_buf_init(&b, 0);
	for (int i = 0; i < 120; i++)
		assert_int_equal(cr_buf_printf(&b, "第%d条では年次有給休暇と在宅勤務について定める%s", i,
					       i % 3 == 0 ? "！" : i % 3 == 1 ? "。" : "？"),
				 CR_OK);
	add(d, b.data, cr_loc_none());
	cr_buf_release(&b);
	cr_chunk_opts o = {.target_chars = 300, .overlap_chars = 40};
	cr_chunk *c;
	size_t n;
	assert_int_equal(cr_chunk_doc(&A, d, &o, &c, &n), CR_OK);
	check_valid(c, n);
	assert_true(n >= 8);
	for (size_t i = 0; i + 1 < n; i++) {
		/* cut after 。！？ */
		const char *end = c[i].text + c[i].len - 3;
		assert_true(!memcmp(end, "。", 3) || !memcmp(end, "！", 3) || !memcmp(end, "？", 3));
		assert_true(n_chars(c[i].text, c[i].len) <= 360);
	}
}

static void test_never_splits_utf8(void **st)
{
	/* no spaces, no sentence ends: only character boundaries are left */
	static const char *const pieces[] = {"あ", "😀", "é", "x", "漢"};
	for (int round = 0; round < 5; round++) {
		cr_doc *d = doc_new();
		cr_buf b;
		cr_buf_init(&b, 0);
		for (int i = 0; i < 3000; i++)
			assert_int_equal(cr_buf_adds(&b, pieces[(i * 7 + round) % 5]), CR_OK);
		add(d, b.data, cr_loc_none());
		cr_chunk_opts o = {.target_chars = 97 + (size_t)round * 31, .overlap_chars = 13};
		cr_chunk *c;
		size_t n;
		assert_int_equal(cr_chunk_doc(&A, d, &o, &c, &n), CR_OK);
		check_valid(c, n);
		assert_true(n > 10);
		/* with no overlap the chunks concatenate back to the input */
		o.overlap_chars = 0;
		assert_int_equal(cr_chunk_doc(&A, d, &o, &c, &n), CR_OK);
		cr_buf r;
		cr_buf_init(&r, 0);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(cr_buf_add(&r, c[i].text, c[i].len), CR_OK);
		assert_int_equal(r.len, b.len);
		assert_memory_equal(r.data, b.data, b.len);
		cr_buf_release(&r);
		cr_buf_release(&b);
	}
}

static void test_edge_cases(void **st)
{
	cr_chunk *c;
	size_t n;
	cr_doc *d = doc_new();
	assert_int_equal(cr_chunk_doc(&A, d, NULL, &c, &n), CR_OK); /* no sections */
	assert_int_equal(n, 0);
	add(d, "   \n\n  ", cr_loc_none()); /* whitespace only: not even a section */
	assert_int_equal(d->n_sections, 0);
	add(d, "Short.", cr_loc_none());
	assert_int_equal(cr_chunk_doc(&A, d, NULL, &c, &n), CR_OK);
	assert_int_equal(n, 1);
	assert_string_equal(c[0].text, "Short.");
	/* a tail shorter than a fifth of the target joins the last chunk */
	cr_doc *d2 = doc_new();
	cr_buf b;
	cr_buf_init(&b, 0);
	for (int i = 0; i < 105; i++)
		assert_int_equal(cr_buf_adds(&b, "word "), CR_OK); /* 525 chars */
	add(d2, b.data, cr_loc_none());
	cr_buf_release(&b);
	cr_chunk_opts o = {.target_chars = 500, .overlap_chars = 0};
	assert_int_equal(cr_chunk_doc(&A, d2, &o, &c, &n), CR_OK);
	assert_int_equal(n, 1);
	/* defaults */
	cr_chunk_opts def = cr_chunk_opts_default();
	assert_int_equal(def.target_chars, 1200);
	assert_int_equal(def.overlap_chars, 150);
	assert_int_equal(cr_chunk_doc(&A, NULL, NULL, &c, &n), CR_EINVAL);
}

/* The real thing: samples through extraction and chunking. */
static void test_samples(void **st)
{
	static const char *const files[] = {"samples/docs/employee-handbook.md", "samples/docs/travel-security-policy.pdf",
					    "samples/finance/budget-fy2026.xlsx", "samples/ja/shugyo-kisoku-sjis.txt",
					    "samples/docs/kestrel-launch-deck.pptx"};
	const char *root = getenv("CR_SOURCE_DIR");
	for (size_t i = 0; i < CR_ARRAY_LEN(files); i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", root ? root : ".", files[i]);
		uint8_t *buf;
		size_t len;
		cr_msg m;
		assert_int_equal(cr_file_read(path, 1 << 26, &buf, &len, &m), CR_OK);
		cr_doc *d;
		assert_int_equal(cr_extract(&A, files[i], buf, len, NULL, &d, &m), CR_OK);
		cr_chunk *c;
		size_t n;
		assert_int_equal(cr_chunk_doc(&A, d, NULL, &c, &n), CR_OK);
		check_valid(c, n);
		assert_true(n >= 1);
		for (size_t k = 0; k < n; k++) {
			if (!strcmp(d->type, "pdf"))
				assert_true(c[k].loc.page >= 1 && c[k].loc.page <= 3);
			if (!strcmp(d->type, "pptx"))
				assert_true(c[k].loc.slide >= 1 && c[k].loc.slide <= 5);
			if (!strcmp(d->type, "xlsx"))
				assert_non_null(c[k].loc.sheet);
		}
		cr_free(buf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes_and_boundaries), cmocka_unit_test(test_overlap),
		cmocka_unit_test(test_locations),            cmocka_unit_test(test_japanese),
		cmocka_unit_test(test_never_splits_utf8),    cmocka_unit_test(test_edge_cases),
		cmocka_unit_test(test_samples),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
