/* test_ingest_transcript.c — WebVTT and SRT (transcript.c): speakers from
 * voice tags and "Name:" prefixes, times in seconds, turn merging, styling
 * removed; malformed timings skipped or refused, never a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/ingest_int.h"

static cr_err extract_sample(cr_arena *a, const char *rel, cr_doc **out, cr_msg *m)
{
	const char *src = getenv("CR_SOURCE_DIR");
	char p[4096];
	snprintf(p, sizeof p, "%s/%s", src ? src : ".", rel);
	uint8_t *buf;
	size_t len;
	if (cr_file_read(p, 1 << 24, &buf, &len, m) != CR_OK)
		fail_msg("cannot read %s: %s", p, m->text);
	cr_err e = cr_extract(a, rel, buf, len, NULL, out, m);
	cr_free(buf);
	return e;
}

static cr_err extract_str(cr_arena *a, const char *name, const char *s, cr_doc **out, cr_msg *m)
{
	return cr_extract(a, name, (const uint8_t *)s, strlen(s), NULL, out, m);
}

static void test_vtt_sample(void **st)
{
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_doc *d;
	cr_msg m = {{0}};
	assert_int_equal(extract_sample(&a, "samples/meetings/kestrel-design-review.vtt", &d, &m), CR_OK);
	assert_string_equal(d->type, "vtt");
	assert_string_equal(cr_doc_meta(d, "cues"), "12");
	assert_int_equal(d->n_sections, 9);
	cr_section *s = d->sections;
	/* two cues of Daniel merged into one turn */
	assert_string_equal(s[0].loc.speaker, "Daniel Okafor");
	assert_true(s[0].loc.t_start == 1.0 && s[0].loc.t_end == 12.0);
	assert_non_null(strstr(s[0].text, "gripper v2. We have three topics"));
	/* cue settings after the end time; <i> stripped */
	assert_string_equal(s[1].loc.speaker, "Mei Lin");
	assert_true(s[1].loc.t_start == 12.5 && s[1].loc.t_end == 26.0);
	assert_non_null(strstr(s[1].text, "mostly on shrink-wrapped boxes"));
	/* <v.class Name> */
	assert_string_equal(s[2].loc.speaker, "Tom Becker");
	/* the decision, in Hanako's turn at 49 s */
	assert_string_equal(s[5].loc.speaker, "Hanako Yamada");
	assert_true(s[5].loc.t_start == 49.0 && s[5].loc.t_end == 64.0);
	assert_non_null(strstr(s[5].text, "the decision is: we keep the Q3 launch"));
	assert_non_null(strstr(s[7].text, "Northwind & send"));
	assert_string_equal(s[8].text, "Daniel Okafor: Thanks all. Next review on March 16.");
	/* NOTE block not in the text */
	for (size_t i = 0; i < d->n_sections; i++)
		assert_null(strstr(d->sections[i].text, "Recorded for"));
	cr_arena_release(&a);
}

static void test_srt_sample_japanese(void **st)
{
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_doc *d;
	cr_msg m = {{0}};
	assert_int_equal(extract_sample(&a, "samples/meetings/osaka-weekly-2026-03-05.srt", &d, &m), CR_OK);
	assert_string_equal(d->type, "srt");
	assert_string_equal(d->lang, "ja");
	assert_int_equal(d->n_sections, 7);
	cr_section *s = d->sections;
	assert_string_equal(s[0].loc.speaker, "山田花子");
	assert_true(s[0].loc.t_start == 0.5 && s[0].loc.t_end == 11.0);
	assert_string_equal(s[1].loc.speaker, "佐藤健二");
	assert_non_null(strstr(s[1].text, "安全在庫として60台を追加発注"));
	assert_string_equal(s[2].loc.speaker, "山田花子");
	assert_non_null(strstr(s[2].text, "決定事項として"));
	assert_string_equal(s[3].loc.speaker, "Mei Lin");
	assert_string_equal(s[6].text, "山田花子: ありがとうございました。次回は3月12日です。");
	cr_arena_release(&a);
}

static void test_vtt_malformed(void **st)
{
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_doc *d;
	cr_msg m = {{0}};
	/* no header: given to the VTT extractor by its name */
	assert_int_equal(extract_str(&a, "x.vtt", "00:01.000 --> 00:02.000\nhello\n", &d, &m), CR_ECORRUPT);
	assert_string_equal(m.text, "vtt: missing WEBVTT header");
	/* bad timings skipped and counted; mm:ss and h:mm:ss forms */
	const char *v = "WEBVTT\n\n00:00:xx.000 --> 00:00:02.000\nbad one\n\n"
			"00:05.000 --> 00:03.000\nend before start\n\n"
			"01:02.500 --> 01:04.000\nJane Doe: short form\n\n"
			"1:00:00.250 --> 1:00:01.000\n<c.yellow>late</c> &lt;cue&gt;\n\n"
			"00:99:00.000 --> 01:00:00.000\nminutes over 59\n";
	assert_int_equal(extract_str(&a, "x.vtt", v, &d, &m), CR_OK);
	assert_string_equal(cr_doc_meta(d, "skipped_cues"), "3");
	assert_int_equal(d->n_sections, 2);
	assert_string_equal(d->sections[0].loc.speaker, "Jane Doe");
	assert_string_equal(d->sections[0].text, "Jane Doe: short form");
	assert_true(d->sections[0].loc.t_start == 62.5);
	/* no "Name:" on the next cue: Jane still talking, but the 3600 s gap splits the turn */
	assert_true(d->sections[1].loc.t_start == 3600.25);
	assert_string_equal(d->sections[1].text, "Jane Doe: late <cue>");
	/* nothing valid at all */
	assert_int_equal(extract_str(&a, "x.vtt", "WEBVTT\n\n1 --> 2\nx\n\n-->\n", &d, &m), CR_ECORRUPT);
	assert_non_null(strstr(m.text, "no cue with a valid timing"));
	/* header only: an empty transcript */
	assert_int_equal(extract_str(&a, "x.vtt", "WEBVTT\n", &d, &m), CR_OK);
	assert_int_equal(d->n_sections, 0);
	/* timing line at the very end, arrows without times, huge numbers */
	static const char *odd[] = {
		"WEBVTT\n\n00:00.000 -->",
		"WEBVTT\n\n-->\n-->\n-->",
		"WEBVTT\n\n99999999999999999:00:00.000 --> 1:00.000\nx",
		"WEBVTT\n\n00:00.000 --> 00:01.000\n<v",
		"WEBVTT\n\n00:00.000 --> 00:01.000\n<v >x</v>&amp",
		"WEBVTT\r\n\r\n00:00.000 --> 00:01.000\r\n<ruby>漢<rt>かん</rt></ruby>字\r\n",
	};
	for (size_t i = 0; i < CR_ARRAY_LEN(odd); i++) {
		cr_err e = extract_str(&a, "x.vtt", odd[i], &d, &m);
		assert_true(e == CR_OK || e == CR_ECORRUPT);
	}
	assert_int_equal(extract_str(&a, "x.vtt", odd[5], &d, &m), CR_OK);
	assert_string_equal(d->sections[0].text, "漢字");
	cr_arena_release(&a);
}

static void test_srt_forms(void **st)
{
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_doc *d;
	cr_msg m = {{0}};
	/* missing blank line between cues, '.' for ',', "- Name:" dialogue, {\an8}, <font> */
	const char *s = "1\n00:00:01,000 --> 00:00:02,000\n- Daniel: First.\n"
			"2\n00:00:02.500 --> 00:00:04,000\n{\\an8}<font color=\"#ff0\">Second</font> line\n\n"
			"3\n00:00:05,000 --> 00:00:06,000\nMei Lin: Third.\n";
	assert_int_equal(extract_str(&a, "y.srt", s, &d, &m), CR_OK);
	assert_string_equal(cr_doc_meta(d, "cues"), "3");
	assert_int_equal(d->n_sections, 2);
	assert_string_equal(d->sections[0].loc.speaker, "Daniel");
	assert_string_equal(d->sections[0].text, "Daniel: First. Second line");
	assert_true(d->sections[0].loc.t_end == 4.0);
	assert_string_equal(d->sections[1].loc.speaker, "Mei Lin");
	/* Latin-1 SRT converted to UTF-8 */
	const char *l1 = "1\n00:00:01,000 --> 00:00:02,000\nUn caf\xe9 cr\xe8me, s'il vous pla\xeet, avec le g\xe2teau.\n";
	assert_int_equal(extract_str(&a, "z.srt", l1, &d, &m), CR_OK);
	assert_non_null(strstr(d->sections[0].text, "café crème"));
	/* lowercase "note:" and clock times are not speakers */
	const char *t = "1\n00:00:01,000 --> 00:00:02,000\nnote: this is text\n\n2\n00:00:03,000 --> 00:00:04,000\nAt 10:30 we meet\n";
	assert_int_equal(extract_str(&a, "t.srt", t, &d, &m), CR_OK);
	assert_null(d->sections[0].loc.speaker);
	assert_non_null(strstr(d->sections[0].text, "note: this is text"));
	/* labels of minutes are text too, and keep the previous speaker */
	const char *lab = "1\n00:00:01,000 --> 00:00:02,000\nTom Becker: Agreed.\n\n2\n00:00:03,000 --> 00:00:04,000\n"
			  "Decision: pilot on May 29.\n\n3\n00:00:05,000 --> 00:00:06,000\n決定事項：60台を発注する。\n";
	assert_int_equal(extract_str(&a, "l.srt", lab, &d, &m), CR_OK);
	assert_int_equal(d->n_sections, 1);
	assert_string_equal(d->sections[0].loc.speaker, "Tom Becker");
	assert_string_equal(d->sections[0].text, "Tom Becker: Agreed. Decision: pilot on May 29. 決定事項：60台を発注する。");
	/* all cues broken */
	assert_int_equal(extract_str(&a, "b.srt", "1\n00:00:01 --> x\nhello\n", &d, &m), CR_ECORRUPT);
	cr_arena_release(&a);
}

static void test_turn_size_limit(void **st)
{
	/* one speaker for 200 cues: turns are cut at the size limit */
	cr_buf b;
	cr_buf_init(&b, 0);
	CR_IGNORE(cr_buf_adds(&b, "WEBVTT\n\n"));
	for (int i = 0; i < 200; i++)
		CR_IGNORE(cr_buf_printf(&b, "%02d:%02d.000 --> %02d:%02d.500\n<v Hanako Yamada>Sentence number %d of a long talk.\n\n",
				    i / 60, i % 60, i / 60, i % 60, i));
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_doc *d;
	cr_msg m = {{0}};
	assert_int_equal(cr_extract(&a, "long.vtt", (const uint8_t *)b.data, b.len, NULL, &d, &m), CR_OK);
	assert_true(d->n_sections > 3);
	double prev_end = -1;
	for (size_t i = 0; i < d->n_sections; i++) {
		assert_true(d->sections[i].len <= 1600);
		assert_string_equal(d->sections[i].loc.speaker, "Hanako Yamada");
		assert_true(d->sections[i].loc.t_start >= prev_end);
		prev_end = d->sections[i].loc.t_end;
	}
	assert_true(prev_end == 199.5);
	cr_buf_release(&b);
	cr_arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vtt_sample),
		cmocka_unit_test(test_srt_sample_japanese),
		cmocka_unit_test(test_vtt_malformed),
		cmocka_unit_test(test_srt_forms),
		cmocka_unit_test(test_turn_size_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
