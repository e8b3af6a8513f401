/* test_ingest_charset.c — cr_charset_to_utf8: BOMs, UTF-16 with and without
 * BOM, Shift_JIS, EUC-JP, ISO-2022-JP, Latin-1/CP1252, declared hints, HTML
 * meta charset, invalid and truncated sequences. Legacy-encoded inputs are
 * produced here with iconv from UTF-8 originals, so each test knows the
 * exact text it must get back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <iconv.h>
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

/* UTF-8 -> charset with iconv; result in the arena. */
static uint8_t *encode(const char *utf8, const char *cs, size_t *n)
{
	iconv_t cd = iconv_open(cs, "UTF-8");
	assert_true(cd != (iconv_t)-1);
	size_t in_left = strlen(utf8), cap = in_left * 4 + 16, out_left = cap;
	char *out = cr_arena_alloc(&A, cap), *o = out, *in = (char *)utf8;
	assert_true(iconv(cd, &in, &in_left, &o, &out_left) != (size_t)-1);
	assert_true(iconv(cd, NULL, NULL, &o, &out_left) != (size_t)-1);
	iconv_close(cd);
	*n = (size_t)(o - out);
	return (uint8_t *)out;
}

static const char *conv(const uint8_t *b, size_t n, const char *hint, const char **used)
{
	char *out;
	size_t out_len;
	cr_msg m = {{0}};
	assert_int_equal(cr_charset_to_utf8(&A, b, n, hint, &out, &out_len, used, &m), CR_OK);
	assert_int_equal(strlen(out), out_len);
	assert_true(cr_utf8_valid((const uint8_t *)out, out_len));
	return out;
}

static const char JA[] = "就業規則の第4条により、年次有給休暇は毎年4月1日に20日付与されます。\n"
			 "在宅勤務は週3日までとし、会社のVPNを使用すること。北斗モーターのHM-40サーボの納期は10週間です。\n";
static const char JA_SHORT[] = "会議メモ：発売日は8月17日。";
static const char FR[] = "Le café du comité coûte 2,50 € — très économique, n'est-ce pas ? Déjà vu.\n";

static void test_utf8_and_ascii(void **st)
{
	const char *used;
	assert_string_equal(conv((const uint8_t *)JA, strlen(JA), NULL, &used), JA);
	assert_string_equal(used, "UTF-8");
	assert_string_equal(conv((const uint8_t *)"plain ascii", 11, NULL, &used), "plain ascii");
	assert_string_equal(used, "UTF-8");
	assert_string_equal(conv((const uint8_t *)"", 0, NULL, &used), "");
	/* UTF-8 BOM is removed */
	char bom[256];
	snprintf(bom, sizeof bom, "\xef\xbb\xbf%s", FR);
	assert_string_equal(conv((const uint8_t *)bom, strlen(bom), NULL, &used), FR);
	assert_string_equal(used, "UTF-8");
}

static void test_utf16(void **st)
{
	const char *used;
	size_t n;
	/* with BOM, both orders */
	uint8_t *le = encode(JA, "UTF-16LE", &n);
	uint8_t *b = cr_arena_alloc(&A, n + 2);
	b[0] = 0xff;
	b[1] = 0xfe;
	memcpy(b + 2, le, n);
	assert_string_equal(conv(b, n + 2, NULL, &used), JA);
	assert_string_equal(used, "UTF-16LE");
	uint8_t *be = encode(JA, "UTF-16BE", &n);
	b = cr_arena_alloc(&A, n + 2);
	b[0] = 0xfe;
	b[1] = 0xff;
	memcpy(b + 2, be, n);
	assert_string_equal(conv(b, n + 2, NULL, &used), JA);
	assert_string_equal(used, "UTF-16BE");
	/* without BOM: Japanese (few zero bytes) and English (many) */
	le = encode(JA, "UTF-16LE", &n);
	assert_string_equal(conv(le, n, NULL, &used), JA);
	assert_string_equal(used, "UTF-16LE");
	be = encode(JA, "UTF-16BE", &n);
	assert_string_equal(conv(be, n, NULL, &used), JA);
	assert_string_equal(used, "UTF-16BE");
	le = encode(FR, "UTF-16LE", &n);
	assert_string_equal(conv(le, n, NULL, &used), FR);
	assert_string_equal(used, "UTF-16LE");
	/* UTF-16 is text, not binary */
	assert_true(cr_charset_looks_text(le, n));
	assert_string_equal(cr_extract_detect("spec", le, n), "txt");
	/* an odd trailing byte is replaced, not read past */
	const char *out = conv(le, n - 1, NULL, &used);
	assert_non_null(strstr(out, "\xef\xbf\xbd"));
}

static void test_japanese_legacy(void **st)
{
	const char *used;
	size_t n;
	uint8_t *sj = encode(JA, "CP932", &n);
	assert_string_equal(conv(sj, n, NULL, &used), JA);
	assert_string_equal(used, "Shift_JIS");
	uint8_t *euc = encode(JA, "EUC-JP", &n);
	assert_string_equal(conv(euc, n, NULL, &used), JA);
	assert_string_equal(used, "EUC-JP");
	uint8_t *jis = encode(JA, "ISO-2022-JP", &n);
	assert_true(jis[0] == 0x1b); /* 7-bit, escapes */
	assert_string_equal(conv(jis, n, NULL, &used), JA);
	assert_string_equal(used, "ISO-2022-JP");
	/* short texts, where statistical detection has little to go on */
	sj = encode(JA_SHORT, "CP932", &n);
	assert_string_equal(conv(sj, n, NULL, &used), JA_SHORT);
	assert_string_equal(used, "Shift_JIS");
	euc = encode(JA_SHORT, "EUC-JP", &n);
	assert_string_equal(conv(euc, n, NULL, &used), JA_SHORT);
	assert_string_equal(used, "EUC-JP");
	/* CP932 extensions (NEC special characters) */
	static const char ext[] = "①②③ ㈱青空精機 ～ 髙橋";
	sj = encode(ext, "CP932", &n);
	assert_string_equal(conv(sj, n, "Shift_JIS", &used), ext);
}

static void test_latin(void **st)
{
	const char *used;
	size_t n;
	size_t n_l1;
	uint8_t *l1 = encode(FR, "CP1252", &n_l1);
	assert_string_equal(conv(l1, n_l1, NULL, &used), FR);
	assert_string_equal(used, "windows-1252");
	/* a declared ISO-8859-1 is read as windows-1252 (the € at 0x80) */
	assert_string_equal(conv(l1, n_l1, "ISO-8859-1", &used), FR);
	assert_string_equal(used, "windows-1252");
	/* the hint wins over detection when it is a charset we know */
	static const char ru[] = "Привет, мир";
	uint8_t *koi = encode(ru, "KOI8-R", &n);
	assert_string_equal(conv(koi, n, "koi8-r", &used), ru);
	assert_string_equal(used, "KOI8-R");
	/* quoted, padded hints from sloppy headers */
	assert_string_equal(conv(koi, n, " \"KOI8-R\" ", &used), ru);
	/* an unknown hint is ignored */
	assert_string_equal(conv(l1, n_l1, "x-no-such-charset", &used), FR);
}

/* Short Latin-1 text: a few high bytes also read as Shift_JIS ("\xe9t" is a
 * kanji, "\xdf" a half-width katakana) or EUC-JP; they must stay Latin.
 * And the other way: short Shift_JIS / EUC-JP must still read as Japanese. */
static void test_short_latin_vs_japanese(void **st)
{
	const char *used;
	static const struct {
		const char *l1, *utf8;
	} latin[] = {
		{"Caf\xe9 cr\xe8me br\xfbl\xe9" "e", "Café crème brûlée"},
		{"Sch\xf6ne Gr\xfc\xdf" "e aus M\xfcnchen, sagte der B\xe4" "cker.", "Schöne Grüße aus München, sagte der Bäcker."},
		{"Le gar\xe7on a mang\xe9 une cr\xeape \xe0 la gare.", "Le garçon a mangé une crêpe à la gare."},
		{"Stra\xdf" "e", "Straße"},
		{"\xe9t\xe9", "été"},
		{"Caf\xe9", "Café"},
		{"\xc4rger \xfc" "ber \xd6l", "Ärger über Öl"},
		{"na\xefve fa\xe7" "ade", "naïve façade"},
	};
	for (size_t i = 0; i < CR_ARRAY_LEN(latin); i++) {
		const char *out = conv((const uint8_t *)latin[i].l1, strlen(latin[i].l1), NULL, &used);
		if (strcmp(out, latin[i].utf8) != 0)
			fail_msg("%s read as %s: %s", latin[i].utf8, used, out);
	}
	static const char *const ja[] = {"はい", "了解です", "東京", "山田太郎", "メモ", "HM-40型の納期",
					 "ｶﾀｶﾅとひらがな", "Tokyo 東京 Osaka 大阪"};
	static const char *const cs[][2] = {{"CP932", "Shift_JIS"}, {"EUC-JP", "EUC-JP"}};
	for (size_t i = 0; i < CR_ARRAY_LEN(ja); i++)
		for (size_t k = 0; k < 2; k++) {
			size_t n;
			uint8_t *b = encode(ja[i], cs[k][0], &n);
			const char *out = conv(b, n, NULL, &used);
			if (strcmp(out, ja[i]) != 0 || strcmp(used, cs[k][1]) != 0)
				fail_msg("%s in %s read as %s: %s", ja[i], cs[k][0], used, out);
		}
}

static void test_invalid(void **st)
{
	const char *used;
	/* declared UTF-8 but Latin-1 bytes: detection takes over */
	static const uint8_t l1[] = "Men\xfc: cr\xe8me br\xfbl\xe9\x65";
	assert_string_equal(conv(l1, sizeof l1 - 1, "utf-8", &used), "Menü: crème brûlée");
	/* UTF-8 with a few bad bytes: each bad byte replaced */
	static const uint8_t u8[] = "日本語 \xff テキスト \xe6\x97 終わり";
	const char *out = conv(u8, sizeof u8 - 1, NULL, &used);
	assert_string_equal(used, "UTF-8");
	assert_string_equal(out, "日本語 \xef\xbf\xbd テキスト \xef\xbf\xbd\xef\xbf\xbd 終わり");
	/* a Shift_JIS text with an invalid sequence and a cut at the end */
	size_t n;
	uint8_t *sj = encode(JA, "CP932", &n);
	uint8_t *bad = cr_arena_alloc(&A, n + 4);
	memcpy(bad, sj, n);
	bad[10] = 0x85; /* 0x85 0x?? is unassigned in CP932 */
	bad[11] = 0x40;
	bad[n] = 0x88; /* lead byte without trail */
	out = conv(bad, n + 1, "Shift_JIS", &used);
	assert_non_null(strstr(out, "\xef\xbf\xbd"));
	assert_non_null(strstr(out, "在宅勤務"));
	/* NUL bytes never reach the output */
	static const uint8_t nul[] = {'a', 0, 'b', 0xe3, 0x81, 0x82};
	out = conv(nul, sizeof nul, "utf-8", &used);
	assert_string_equal(out, "ab\xe3\x81\x82");
	/* every single byte and byte pair: never crashes, always valid */
	uint8_t two[2];
	for (int i = 0; i < 256; i += 3)
		for (int j = 0; j < 256; j += 5) {
			two[0] = (uint8_t)i;
			two[1] = (uint8_t)j;
			conv(two, 2, NULL, NULL);
			conv(two, 2, "ISO-2022-JP", NULL);
			conv(two, 1, "EUC-JP", NULL);
		}
}

static void test_html_meta(void **st)
{
	/* an HTML page in Shift_JIS that says so in <meta> */
	static const char page[] = "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=Shift_JIS\">"
				   "<title>製品仕様</title></head><body><h1>Kestrel</h1><p>可搬質量は7 kgです。</p></body></html>";
	size_t n;
	uint8_t *sj = encode(page, "CP932", &n);
	cr_doc *d;
	cr_msg m = {{0}};
	assert_int_equal(cr_extract(&A, "spec.html", sj, n, NULL, &d, &m), CR_OK);
	assert_string_equal(d->title, "製品仕様");
	assert_string_equal(cr_doc_meta(d, "charset"), "Shift_JIS");
	int found = 0;
	for (size_t i = 0; i < d->n_sections; i++)
		found |= strstr(d->sections[i].text, "可搬質量は7 kgです。") != NULL;
	assert_true(found);
	/* <meta charset=euc-jp> */
	static const char page2[] = "<html><head><meta charset=\"euc-jp\"><title>会議メモ</title></head><body>北斗モーター</body></html>";
	uint8_t *euc = encode(page2, "EUC-JP", &n);
	assert_int_equal(cr_extract(&A, "memo.html", euc, n, NULL, &d, &m), CR_OK);
	assert_string_equal(d->title, "会議メモ");
	assert_string_equal(cr_doc_meta(d, "charset"), "EUC-JP");
	assert_string_equal(d->sections[0].text, "北斗モーター");
}

static void test_looks_text(void **st)
{
	assert_true(cr_charset_looks_text((const uint8_t *)"", 0));
	assert_true(cr_charset_looks_text((const uint8_t *)JA, strlen(JA)));
	assert_false(cr_charset_looks_text((const uint8_t *)"ab\0cd", 5));
	uint8_t ctl[100];
	memset(ctl, 'a', sizeof ctl);
	for (int i = 0; i < 10; i++)
		ctl[i * 10] = 0x01;
	assert_false(cr_charset_looks_text(ctl, sizeof ctl));
	ctl[0] = 0x1b; /* ESC alone (ISO-2022-JP) is fine */
	for (int i = 1; i < 10; i++)
		ctl[i * 10] = 'a';
	assert_true(cr_charset_looks_text(ctl, sizeof ctl));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_and_ascii), cmocka_unit_test(test_utf16),
		cmocka_unit_test(test_japanese_legacy), cmocka_unit_test(test_latin),
		cmocka_unit_test(test_short_latin_vs_japanese),
		cmocka_unit_test(test_invalid),         cmocka_unit_test(test_html_meta),
		cmocka_unit_test(test_looks_text),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
