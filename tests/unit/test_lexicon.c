/*
 * test_lexicon.c — the Japanese-English word list (text/lexicon.c): EDICT
 * lines in UTF-8 and in EUC-JP, which entries are kept (common words,
 * loanwords), the first sense only, glosses cleaned, both directions, a
 * file with no entry, a company's glossary (every entry kept), and the installed /usr/share/edict/edict (Debian's
 * edict, which scripts/install-deps.sh installs).
 */
#include <iconv.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cristal/lexicon.h"

static const char sample[] =
	"返品 [へんぴん] /(n,vs) returned goods/returning purchased goods/(P)/\n"
	"率 [りつ] /(n,n-suf) rate/ratio/proportion/percentage/(P)/\n"
	"認証 [にんしょう] /(n,vs) (1) certification/attestation/(n,vs) (2) Imperial attestation/(P)/\n"
	"差し出す [さしだす] /(v5s,vt) (1) to present/to submit/to tender/(P)/\n"
	"サーボ /(n) servo/\n"
	"鮭皮 [さけかわ] /(n) salmon skin/\n"
	"ＣＤ /(n) compact disc/CD/(P)/\n"
	"提出 [ていしゅつ] /(n,vs) presentation (of documents)/submission (of an application, report, etc.)/(P)/\n"
	"プラス /(n) plus/addition/(P)/\n"
	"追加 [ついか] /(n,vs) addition/supplement/(P)/\n"
	"broken line without slashes\n";

static size_t look(const cr_lexicon *lx, cr_lex_dir d, const char *w, const char **out)
{
	return cr_lexicon_lookup(lx, d, w, strlen(w), out, 8);
}

static void check_sample(const cr_lexicon *lx)
{
	const char *o[8];
	assert_int_equal(look(lx, CR_LEX_JA_EN, "返品", o), 2);
	assert_string_equal(o[0], "returned goods");
	assert_string_equal(o[1], "returning purchased goods");
	assert_int_equal(look(lx, CR_LEX_JA_EN, "率", o), 4);
	assert_string_equal(o[3], "percentage");
	/* the first sense only */
	assert_int_equal(look(lx, CR_LEX_JA_EN, "認証", o), 2);
	assert_string_equal(o[0], "certification");
	/* "to " of verbs goes; notes in parentheses go */
	assert_int_equal(look(lx, CR_LEX_JA_EN, "差し出す", o), 3);
	assert_string_equal(o[1], "submit");
	assert_int_equal(look(lx, CR_LEX_JA_EN, "提出", o), 2);
	assert_string_equal(o[0], "presentation");
	assert_string_equal(o[1], "submission");
	/* a loanword is kept without (P); a rare kanji word is not */
	assert_int_equal(look(lx, CR_LEX_JA_EN, "サーボ", o), 1);
	assert_string_equal(o[0], "servo");
	assert_int_equal(look(lx, CR_LEX_JA_EN, "鮭皮", o), 0);
	/* headwords are NFKC-normalized as the analyzer does: ＣＤ is cd */
	assert_int_equal(look(lx, CR_LEX_JA_EN, "cd", o), 2);
	assert_int_equal(look(lx, CR_LEX_JA_EN, "ＣＤ", o), 0);
	/* English to Japanese: the first two glosses of a sense, up to two words */
	assert_int_equal(look(lx, CR_LEX_EN_JA, "rate", o), 1);
	assert_string_equal(o[0], "率");
	assert_int_equal(look(lx, CR_LEX_EN_JA, "returned goods", o), 1);
	assert_string_equal(o[0], "返品");
	assert_int_equal(look(lx, CR_LEX_EN_JA, "submit", o), 1);
	assert_string_equal(o[0], "差し出す");
	assert_int_equal(look(lx, CR_LEX_EN_JA, "submission", o), 1);
	assert_int_equal(look(lx, CR_LEX_EN_JA, "percentage", o), 0); /* fourth gloss */
	assert_int_equal(look(lx, CR_LEX_EN_JA, "tender", o), 0);     /* third gloss */
	/* the headwords whose sense opens with the word come first, whatever
	 * the file's order */
	assert_int_equal(look(lx, CR_LEX_EN_JA, "addition", o), 2);
	assert_string_equal(o[0], "追加");
	assert_string_equal(o[1], "プラス");
	assert_int_equal(cr_lexicon_size(lx), 9); /* not 鮭皮, not the broken line */
}

static void test_utf8(void **st)
{
	(void)st;
	cr_lexicon *lx = NULL;
	cr_msg m = {{0}};
	assert_int_equal(cr_lexicon_parse((const uint8_t *)sample, strlen(sample), 0, &lx, &m), CR_OK);
	check_sample(lx);
	cr_lexicon_free(lx);
}

static void test_euc(void **st)
{
	(void)st;
	iconv_t cd = iconv_open("EUC-JP", "UTF-8");
	assert_true(cd != (iconv_t)-1);
	char euc[4096], *in = (char *)sample, *out = euc;
	size_t il = strlen(sample), ol = sizeof euc;
	assert_true(iconv(cd, &in, &il, &out, &ol) != (size_t)-1);
	iconv_close(cd);
	cr_lexicon *lx = NULL;
	cr_msg m = {{0}};
	assert_int_equal(cr_lexicon_parse((const uint8_t *)euc, (size_t)(out - euc), 1, &lx, &m), CR_OK);
	check_sample(lx);
	cr_lexicon_free(lx);
	/* UTF-8 bytes read as EUC-JP: what converts is gibberish, never 返品 */
	lx = NULL;
	cr_err e = cr_lexicon_parse((const uint8_t *)sample, strlen(sample), 1, &lx, &m);
	assert_true(e == CR_OK || e == CR_ECORRUPT);
	const char *o[8];
	if (!e)
		assert_int_equal(look(lx, CR_LEX_JA_EN, "返品", o), 0);
	cr_lexicon_free(lx);
}

/* A glossary keeps every entry (鮭皮 too), a reading is optional, and
 * what is not a glossary is refused with the reason. */
static void test_glossary(void **st)
{
	(void)st;
	static const char gl[] = "棚卸し /(n,vs) stocktaking/inventory count/\n"
				 "納期 [のうき] /(n) delivery date/lead time/\n"
				 "# a comment line: skipped\n";
	cr_lexicon *lx = NULL;
	cr_msg m = {{0}};
	assert_int_equal(cr_lexicon_parse_glossary((const uint8_t *)gl, sizeof gl - 1, &lx, &m), CR_OK);
	const char *o[8];
	assert_int_equal(look(lx, CR_LEX_JA_EN, "棚卸し", o), 2);
	assert_string_equal(o[0], "stocktaking");
	assert_string_equal(o[1], "inventory count");
	assert_int_equal(look(lx, CR_LEX_EN_JA, "stocktaking", o), 1);
	assert_string_equal(o[0], "棚卸し");
	assert_int_equal(look(lx, CR_LEX_EN_JA, "delivery date", o), 1);
	assert_string_equal(o[0], "納期");
	assert_int_equal(cr_lexicon_size(lx), 2);
	cr_lexicon_free(lx);
	/* EDICT's rule on the same bytes keeps neither (no (P), not katakana) */
	assert_int_equal(cr_lexicon_parse((const uint8_t *)gl, sizeof gl - 1, 0, &lx, &m), CR_ECORRUPT);
	/* the sample's rare word is kept in a glossary */
	assert_int_equal(cr_lexicon_parse_glossary((const uint8_t *)sample, strlen(sample), &lx, &m), CR_OK);
	assert_int_equal(look(lx, CR_LEX_JA_EN, "鮭皮", o), 1);
	assert_int_equal(cr_lexicon_size(lx), 10);
	cr_lexicon_free(lx);
	/* files: missing, and not a glossary */
	lx = NULL;
	assert_true(cr_lexicon_glossary_load("/nonexistent/glossary.txt", &lx, &m) != CR_OK);
	assert_null(lx);
	assert_non_null(strstr(m.text, "/nonexistent/glossary.txt"));
	const char *src = getenv("CR_SOURCE_DIR");
	char path[512];
	snprintf(path, sizeof path, "%s/README.md", src ? src : ".");
	assert_int_equal(cr_lexicon_glossary_load(path, &lx, &m), CR_ECORRUPT);
	assert_non_null(strstr(m.text, "README.md: no line of the form"));
}

static void test_not_edict(void **st)
{
	(void)st;
	cr_lexicon *lx = NULL;
	cr_msg m = {{0}};
	static const char junk[] = "hello world\n\n/ / /\n\xff\xfe (P)/\n";
	assert_int_equal(cr_lexicon_parse((const uint8_t *)junk, sizeof junk - 1, 0, &lx, &m), CR_ECORRUPT);
	assert_non_null(strstr(m.text, "no EDICT entry"));
	assert_int_equal(cr_lexicon_parse(NULL, 0, 0, &lx, &m), CR_ECORRUPT);
	assert_true(cr_lexicon_load("/nonexistent/edict", &lx, &m) != CR_OK);
	assert_null(lx);
}

static void test_installed(void **st)
{
	(void)st;
	cr_lexicon *lx = NULL;
	cr_msg m = {{0}};
	cr_err e = cr_lexicon_load("/usr/share/edict/edict", &lx, &m);
	if (e)
		fail_msg("/usr/share/edict/edict (Debian's edict, scripts/install-deps.sh): %s", m.text);
	assert_true(cr_lexicon_size(lx) > 50000);
	const char *o[8];
	assert_true(look(lx, CR_LEX_JA_EN, "予算", o) >= 1);
	int budget = 0;
	for (size_t i = 0, n = look(lx, CR_LEX_JA_EN, "予算", o); i < n; i++)
		budget |= !strcmp(o[i], "budget");
	assert_true(budget);
	int yosan = 0;
	for (size_t i = 0, n = look(lx, CR_LEX_EN_JA, "budget", o); i < n; i++)
		yosan |= !strcmp(o[i], "予算");
	assert_true(yosan);
	cr_lexicon_free(lx);
	/* the process's lexicon is the same file */
	assert_non_null(cr_lexicon_default());
	assert_int_equal(cr_lexicon_set_path("/elsewhere"), CR_EBUSY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_euc),
		cmocka_unit_test(test_not_edict),
		cmocka_unit_test(test_glossary),
		cmocka_unit_test(test_installed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
