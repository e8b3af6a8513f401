/*
 * test_pii.c — personal-data detection and redaction (pii.h): each kind's
 * forms and its look-alikes (dates, order numbers, Luhn- and check-digit
 * failures), byte ranges into full-width text, names from lists, headers,
 * honorifics and MeCab, stable placeholders across messages, restoration,
 * and streamed restoration with a placeholder cut at every byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cristal/pii.h"

static cr_pii *P;

static int setup(void **st)
{
	(void)st;
	return cr_pii_new(&P, NULL) ? -1 : 0;
}

static int teardown(void **st)
{
	(void)st;
	cr_pii_free(P);
	return 0;
}

/* The spans of text as "KIND:value|KIND:value". */
static void spans_of(const char *text, char *out, size_t cap)
{
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_pii_span *sp;
	size_t n;
	assert_int_equal(cr_pii_detect(P, text, strlen(text), &a, &sp, &n, NULL), CR_OK);
	out[0] = 0;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		assert_true(sp[i].start < sp[i].end && sp[i].end <= strlen(text));
		if (i)
			assert_true(sp[i].start >= sp[i - 1].end);
		o += (size_t)snprintf(out + o, cap - o, "%s%s:%.*s", i ? "|" : "", cr_pii_kind_name(sp[i].kind),
				      (int)(sp[i].end - sp[i].start), text + sp[i].start);
		assert_true(o < cap);
	}
	cr_arena_release(&a);
}

static void expect(const char *text, const char *want)
{
	char got[2048];
	spans_of(text, got, sizeof got);
	if (strcmp(got, want)) {
		print_error("text: %s\n got: %s\nwant: %s\n", text, got, want);
		fail();
	}
}

static void test_kinds(void **st)
{
	(void)st;
	assert_string_equal(cr_pii_kind_name(CR_PII_MYNUMBER), "MYNUMBER");
	assert_int_equal(cr_pii_kind_parse("CARD"), CR_PII_CARD);
	assert_int_equal(cr_pii_kind_parse("card"), -1);
	assert_null(cr_pii_kind_name(CR_PII_N_KINDS));
}

static void test_email(void **st)
{
	(void)st;
	expect("mail a.b-c+d@mail.example.co.jp now.", "EMAIL:a.b-c+d@mail.example.co.jp");
	/* full-width: the span covers the original bytes */
	expect("宛先：ｓｕｐｐｏｒｔ＠ｅｘａｍｐｌｅ．ｊｐです", "EMAIL:ｓｕｐｐｏｒｔ＠ｅｘａｍｐｌｅ．ｊｐ");
	expect("user@localhost and @handle and x@y.1", "");
}

static void test_phone(void **st)
{
	(void)st;
	expect("TEL 03-1234-5678", "PHONE:03-1234-5678");
	expect("携帯 090-1234-5678。", "PHONE:090-1234-5678");
	expect("0120-123-456 まで", "PHONE:0120-123-456");
	expect("(03)1234-5678", "PHONE:(03)1234-5678");
	expect("FAX 03（5555）1235", "PHONE:03（5555）1235");
	expect("+81 3-1234-5678", "PHONE:+81 3-1234-5678");
	expect("０９０－９８７６－５４３２", "PHONE:０９０－９８７６－５４３２");
	expect("０９０ー９８７６ー５４３２", "PHONE:０９０ー９８７６ー５４３２");
	expect("緊急 09012345678 へ", "PHONE:09012345678");
	expect("call (415) 555-0132 or +1 (646) 555-0147", "PHONE:(415) 555-0132|PHONE:+1 (646) 555-0147");
	expect("London +44 20 7946 0958.", "PHONE:+44 20 7946 0958");
	/* look-alikes */
	expect("on 2024-05-14 at 10:30-11:45", "");
	expect("PO 4500012877, ISBN 978-0-306-40615-7, IP 192.168.10.254", "");
	expect("P/N 0120-4455-66 and 00120-3-456789", "");
	expect("total 2,450,000 and 1,234,567,890", "");
	expect("ORD-2024-118273 and ref 2024-11-03-7731", "");
}

static void test_mynumber(void **st)
{
	(void)st;
	/* check digits computed by the published algorithm */
	expect("個人番号: 5260 1815 9084", "MYNUMBER:5260 1815 9084");
	expect("番号 301661318600。", "MYNUMBER:301661318600");
	expect("９１３９－０９９６－０３００", "MYNUMBER:９１３９－０９９６－０３００");
	/* the same digits with another check digit */
	expect("番号 301661318601。", "");
	expect("伝票 895559797112", "");
	/* a date-led number needs the word */
	expect("注文 202405140001", "");
}

static void test_card(void **st)
{
	(void)st;
	expect("card 4111 1111 1111 1111 ok", "CARD:4111 1111 1111 1111");
	expect("5545-9571-1777-7419", "CARD:5545-9571-1777-7419");
	expect("Amex 3782 822463 10005", "CARD:3782 822463 10005");
	expect("JCB ３５７５ ００４７ ４３９５ ７５５８", "CARD:３５７５ ００４７ ４３９５ ７５５８");
	/* Luhn fails, unknown issuer, too short */
	expect("4111 1111 1111 1112", "");
	expect("1234-5678-9012-3456", "");
	expect("4111 1111 1111 11", "");
	expect("JAN 4901234567894", ""); /* an EAN-13 code that passes Luhn */
}

static void test_address(void **st)
{
	(void)st;
	expect("住所：〒100-0001 東京都千代田区千代田1-1 ビル5F です。",
	       "ADDRESS:〒100-0001 東京都千代田区千代田1-1 ビル5F");
	expect("〒５３０－０００１\n大阪府大阪市北区梅田3-1-3\n次の行", "ADDRESS:〒５３０－０００１\n大阪府大阪市北区梅田3-1-3");
	expect("〒460-0008 愛知県名古屋市中区栄3-4-5; 電話: 052-123-4567",
	       "ADDRESS:〒460-0008 愛知県名古屋市中区栄3-4-5|PHONE:052-123-4567");
	expect("郵便番号 100-0005 と 〒 は記号", "");
}

static void test_names(void **st)
{
	(void)st;
	expect("From: Laura Bennett <lb@example.com>\n\nThanks Laura, see you.",
	       "PERSON:Laura Bennett|EMAIL:lb@example.com|PERSON:Laura");
	expect("Dear Ms. Hartley, your order shipped.", "PERSON:Hartley");
	expect("Regards,\nNatalie Brennan\nFabrikam Inc.", "PERSON:Natalie Brennan");
	expect("General Motors and Goldman Sachs met at Grand Central Terminal.", "");
	expect("Name: Olivia Brooks; Department: Marketing", "PERSON:Olivia Brooks");
	/* Japanese: honorifics, titles, labels, MeCab */
	expect("鈴木様、田中課長によろしく。", "PERSON:鈴木|PERSON:田中");
	expect("氏名: 佐々木 拓也; 部署: 総務部", "PERSON:佐々木 拓也");
	expect("出席者：安藤、内田、千葉（敬称略）\n千葉が担当。", "PERSON:安藤|PERSON:内田|PERSON:千葉|PERSON:千葉");
	expect("お客様と皆様、お疲れ様です。", "");
	expect("Date: Tue, 4 Jun 2024 at 09:12", "");
	expect("福田 浩二（Koji Fukuda）", "PERSON:福田 浩二|PERSON:Koji Fukuda");
	expect("トヨタ自動車と日立製作所、東京都と大阪府。", "");
	expect("林業と森林の話。", "");
	/* the caller's list, with its parts; a space is optional in Japanese */
	assert_int_equal(cr_pii_add_name(P, "渡辺 美咲", strlen("渡辺 美咲")), CR_OK);
	assert_int_equal(cr_pii_add_name(P, "Kevin Park", strlen("Kevin Park")), CR_OK);
	expect("渡辺美咲と渡辺さん、Kevin said Park will come", "PERSON:渡辺美咲|PERSON:渡辺|PERSON:Kevin|PERSON:Park");
	cr_pii_clear_names(P);
}

static void test_kind_mask(void **st)
{
	(void)st;
	cr_pii_set_kinds(P, 1u << CR_PII_EMAIL);
	expect("a@b.jp 03-1234-5678 鈴木様", "EMAIL:a@b.jp");
	cr_pii_set_kinds(P, CR_PII_ALL);
}

static char *redact(cr_pii_map *map, const char *text)
{
	cr_buf b;
	cr_buf_init(&b, 0);
	assert_int_equal(cr_pii_redact(P, map, text, strlen(text), &b, NULL), CR_OK);
	return cr_buf_take(&b, NULL);
}

static char *restore(const cr_pii_map *map, const char *text)
{
	cr_buf b;
	cr_buf_init(&b, 0);
	assert_int_equal(cr_pii_restore(map, text, strlen(text), &b), CR_OK);
	return cr_buf_take(&b, NULL);
}

static void test_redact(void **st)
{
	(void)st;
	cr_pii_map *map;
	assert_int_equal(cr_pii_map_new(&map), CR_OK);
	const char *m1 = "Call 03-1234-5678 or mail ken@example.jp.";
	const char *m2 = "The phone ０３（１２３４）５６７８ again; other: 090-1111-2222, KEN@example.jp";
	char *r1 = redact(map, m1), *r2 = redact(map, m2);
	assert_string_equal(r1, "Call [PHONE_1] or mail [EMAIL_1].");
	assert_string_equal(r2, "The phone [PHONE_1] again; other: [PHONE_2], [EMAIL_1]");
	assert_int_equal(cr_pii_map_count(map), 3);
	assert_int_equal(cr_pii_map_count_kind(map, CR_PII_PHONE), 2);
	/* the answer gets the first form of each value back */
	char *back = restore(map, "Use [PHONE_2] (not [PHONE_1]); write [EMAIL_1]. [PHONE_9] [CARD_1] [x]");
	assert_string_equal(back, "Use 090-1111-2222 (not 03-1234-5678); write ken@example.jp. [PHONE_9] [CARD_1] [x]");
	free(back);
	back = restore(map, r1);
	assert_string_equal(back, m1);
	free(back);
	free(r1);
	free(r2);

	/* a name stated in a later message is found in an earlier one once learned */
	const char *early = "Please ask Okafor about it.";
	const char *late = "From: Daniel Okafor <d@example.org>";
	assert_int_equal(cr_pii_learn(P, map, late, strlen(late), NULL), CR_OK);
	char *r3 = redact(map, early);
	assert_string_equal(r3, "Please ask [PERSON_1] about it.");
	free(r3);
	char *r4 = redact(map, "田中様より。");
	assert_string_equal(r4, "[PERSON_2]様より。");
	free(r4);
	/* out's cap: nothing appended on failure */
	cr_buf small;
	cr_buf_init(&small, 8);
	assert_int_not_equal(cr_pii_redact(P, map, m1, strlen(m1), &small, NULL), CR_OK);
	assert_int_equal(small.len, 0);
	cr_buf_release(&small);
	cr_pii_map_free(map);
}

/* Streams text in two pieces cut at every byte, then in pieces of 1..5
 * bytes: the result must always equal the whole restoration. */
static void test_stream(void **st)
{
	(void)st;
	cr_pii_map *map;
	assert_int_equal(cr_pii_map_new(&map), CR_OK);
	char *r = redact(map, "鈴木様 (a@b.jp, 03-1234-5678)");
	assert_string_equal(r, "[PERSON_1]様 ([EMAIL_1], [PHONE_1])");
	free(r);
	const char *answer = "[PERSON_1]さんの連絡先は[EMAIL_1]と[PHONE_1]です。[link] [PERSON_ [EMAIL_12] [PHONE_1";
	char *whole = restore(map, answer);
	size_t n = strlen(answer);
	for (size_t step = 0; step <= 5; step++) {
		for (size_t cut = 0; cut <= n; cut++) {
			cr_pii_stream s;
			cr_pii_stream_init(&s, map);
			cr_buf out;
			cr_buf_init(&out, 0);
			if (step == 0) {
				assert_int_equal(cr_pii_stream_feed(&s, answer, cut, &out), CR_OK);
				assert_int_equal(cr_pii_stream_feed(&s, answer + cut, n - cut, &out), CR_OK);
			} else {
				if (cut)
					break;
				for (size_t i = 0; i < n; i += step)
					assert_int_equal(cr_pii_stream_feed(&s, answer + i, CR_MIN(step, n - i), &out), CR_OK);
			}
			assert_int_equal(cr_pii_stream_flush(&s, &out), CR_OK);
			if (strcmp(out.data ? out.data : "", whole)) {
				print_error("step %zu cut %zu: %s\nwant %s\n", step, cut, out.data, whole);
				fail();
			}
			cr_buf_release(&out);
		}
	}
	assert_non_null(strstr(whole, "鈴木さんの連絡先はa@b.jpと03-1234-5678です。"));
	free(whole);
	cr_pii_map_free(map);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds),   cmocka_unit_test(test_email),     cmocka_unit_test(test_phone),
		cmocka_unit_test(test_mynumber), cmocka_unit_test(test_card),     cmocka_unit_test(test_address),
		cmocka_unit_test(test_names),   cmocka_unit_test(test_kind_mask), cmocka_unit_test(test_redact),
		cmocka_unit_test(test_stream),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
