/*
 * test_answer.c — answers and their citations: verification of crafted
 * answers (a fabricated source number, the right number on the wrong
 * source, an unsupported sentence, a wrong number), extractive answers on
 * the bundled samples in English and Japanese, questions the documents do
 * not answer, an empty corpus, and the JSON form.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <jansson.h>

#include "cristal/answer.h"
#include "cristal/lexicon.h"
#include "answer/answer_int.h"

static char tmp[] = "/tmp/cr_answer_XXXXXX";
static cr_corpus *samples; /* samples/ ingested once */

static int setup(void **st)
{
	(void)st;
	if (!mkdtemp(tmp))
		return -1;
	const char *src = getenv("CR_SOURCE_DIR");
	char data[512], root[512];
	snprintf(data, sizeof data, "%s/samples-data", tmp);
	snprintf(root, sizeof root, "%s/samples", src ? src : ".");
	cr_msg m = {{0}};
	if (cr_corpus_open(data, 1, &samples, &m))
		return -1;
	const char *paths[] = {root};
	cr_ingest_report rep;
	cr_err e = cr_corpus_ingest(samples, paths, 1, NULL, &rep, &m);
	if (e || rep.ingested < 20) {
		fprintf(stderr, "ingest of %s: %s (%llu documents)\n", root, m.text, (unsigned long long)rep.ingested);
		return -1;
	}
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	cr_corpus_close(samples);
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
	return system(cmd) == 0 ? 0 : -1;
}

static const cr_source crafted[] = {
	{.n = 1, .doc = "budget.xlsx", .type = "xlsx",
	 .text = "Department: Kestrel R&D; Q1: 48000; Total (JPY thousand): 210000\n"
		 "Department: Manufacturing; Q1: 91000; Total (JPY thousand): 430000\n",
	 .len = 0},
	{.n = 2, .doc = "policy.md", .type = "md",
	 .text = "Travel above 3 nights needs the approval of a director. Hotels are booked through the "
		 "travel desk. 出張旅費は精算システムで申請する。",
	 .len = 0},
};

static cr_source *sources(cr_arena *a)
{
	cr_source *s = cr_arena_memdup(a, crafted, sizeof crafted);
	for (size_t i = 0; i < CR_ARRAY_LEN(crafted); i++)
		s[i].len = strlen(s[i].text);
	return s;
}

static void verify(const char *text, cr_answer *out, cr_arena *a)
{
	cr_analyzer *an = cr_corpus_analyzer_acquire(samples);
	assert_non_null(an);
	memset(out, 0, sizeof *out);
	assert_int_equal(cr_answer_verify(an, a, text, sources(a), CR_ARRAY_LEN(crafted), out), CR_OK);
	cr_corpus_analyzer_release(samples, an);
}

static void test_verify_supported(void **st)
{
	(void)st;
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_answer ans;
	verify("Kestrel R&D has a total budget of 210000 thousand yen [1]. Travel above 3 nights needs a "
	       "director's approval. [2]",
	       &ans, &a);
	assert_int_equal(ans.n_unverified, 0);
	assert_int_equal(ans.n_citations, 2);
	assert_int_equal(ans.citations[0].n, 1);
	assert_non_null(strstr(ans.citations[0].quote, "Kestrel R&D")); /* the row, not the other one */
	assert_null(strstr(ans.citations[0].quote, "Manufacturing"));
	assert_int_equal(ans.citations[1].n, 2);
	assert_non_null(strstr(ans.citations[1].quote, "director"));
	assert_non_null(strstr(ans.text, "210000 thousand yen. [1]"));
	assert_non_null(strstr(ans.text, "approval. [2]"));
	assert_null(strstr(ans.text, "unverified"));
	cr_arena_release(&a);
}

static void test_verify_fabricated(void **st)
{
	(void)st;
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_answer ans;
	verify("Kestrel R&D has a total budget of 210000 thousand yen [7].", &ans, &a);
	assert_int_equal(ans.n_citations, 0);
	assert_int_equal(ans.n_unverified, 1);
	assert_int_equal(ans.unverified[0].n, 7);
	assert_non_null(strstr(ans.unverified[0].reason, "no source [7]"));
	assert_null(strstr(ans.text, "[7]"));
	assert_non_null(strstr(ans.text, "(unverified)"));
	cr_arena_release(&a);
}

static void test_verify_wrong_source(void **st)
{
	(void)st;
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_answer ans;
	/* true, but [2] does not say it */
	verify("Kestrel R&D has a total budget of 210000 thousand yen [2].", &ans, &a);
	assert_int_equal(ans.n_citations, 0);
	assert_int_equal(ans.n_unverified, 1);
	assert_int_equal(ans.unverified[0].n, 2);
	assert_non_null(strstr(ans.text, "(unverified)"));
	/* one good and one bad marker on one sentence: the good one stays */
	verify("Kestrel R&D has a total budget of 210000 thousand yen [2][1].", &ans, &a);
	assert_int_equal(ans.n_citations, 1);
	assert_int_equal(ans.citations[0].n, 1);
	assert_int_equal(ans.n_unverified, 1);
	assert_null(strstr(ans.text, "unverified"));
	assert_non_null(strstr(ans.text, "[1]"));
	assert_null(strstr(ans.text, "[2]"));
	cr_arena_release(&a);
}

static void test_verify_unsupported(void **st)
{
	(void)st;
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_answer ans;
	/* a sentence the source does not hold */
	verify("The cafeteria serves vegetarian lunches every Wednesday [2].", &ans, &a);
	assert_int_equal(ans.n_citations, 0);
	assert_int_equal(ans.n_unverified, 1);
	assert_non_null(strstr(ans.unverified[0].reason, "not supported"));
	/* the right words with a wrong number */
	verify("Kestrel R&D has a total budget of 250000 thousand yen [1].", &ans, &a);
	assert_int_equal(ans.n_citations, 0);
	assert_int_equal(ans.n_unverified, 1);
	assert_non_null(strstr(ans.unverified[0].reason, "number"));
	/* numbers compare normalized: 210,000 is 210000 */
	verify("Kestrel R&D's total is 210,000 [1].", &ans, &a);
	assert_int_equal(ans.n_citations, 1);
	/* a sentence with nothing to check */
	verify("Yes [1].", &ans, &a);
	assert_int_equal(ans.n_citations, 0);
	assert_int_equal(ans.n_unverified, 1);
	/* uncited sentences are left as they are */
	verify("Here is what I found.", &ans, &a);
	assert_int_equal(ans.n_unverified, 0);
	assert_string_equal(ans.text, "Here is what I found.");
	cr_arena_release(&a);
}

static void test_verify_japanese(void **st)
{
	(void)st;
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_answer ans;
	verify("出張旅費は精算システムで申請します [2]。", &ans, &a);
	assert_int_equal(ans.n_unverified, 0);
	assert_int_equal(ans.n_citations, 1);
	verify("出張旅費は現金で支給されます [2]。", &ans, &a);
	assert_int_equal(ans.n_citations, 0);
	assert_non_null(strstr(ans.text, "未検証"));
	cr_arena_release(&a);
}

/* A model's Japanese sentence citing an English source, and the reverse:
 * words count through the lexicon's translations (answer/xlate.c), so the
 * citation holds; a sentence the source does not say still fails. */
static void test_verify_across(void **st)
{
	(void)st;
	assert_non_null(cr_lexicon_default()); /* scripts/install-deps.sh installs edict */
	static const cr_source across[] = {
		{.n = 1, .doc = "memo.txt", .type = "txt",
		 .text = "Hokuto Motors' quality record on the KR-5 has been excellent (0.3% returns in 2025)."},
		{.n = 2, .doc = "memo-ja.txt", .type = "txt",
		 .text = "ISO 10218 の認証書類を7月1日までに提出する。"},
	};
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_source *src = cr_arena_memdup(&a, across, sizeof across);
	for (size_t i = 0; i < CR_ARRAY_LEN(across); i++)
		src[i].len = strlen(src[i].text);
	cr_analyzer *an = cr_corpus_analyzer_acquire(samples);
	assert_non_null(an);
	cr_answer ans;
	memset(&ans, 0, sizeof ans);
	assert_int_equal(cr_answer_verify(an, &a, "KR-5の返品率は0.3%です [1]。", src, 2, &ans), CR_OK);
	if (ans.n_citations != 1)
		fail_msg("Japanese sentence on an English source: %s (%s)", ans.text,
			 ans.n_unverified ? ans.unverified[0].reason : "");
	assert_int_equal(cr_answer_verify(an, &a, "The ISO 10218 certification documents are due on 7/1 [2].", src, 2,
					  &ans),
			 CR_OK);
	if (ans.n_citations != 1)
		fail_msg("English sentence on a Japanese source: %s (%s)", ans.text,
			 ans.n_unverified ? ans.unverified[0].reason : "");
	/* a figure written with a multiplier is its value: 420万 is 4,200,000,
	 * 7万5千 is 75,000, 4.2 million is 4,200,000 */
	static const cr_source figs[] = {
		{.n = 1, .doc = "po.csv", .type = "txt",
		 .text = "Kenji Sato approved a buffer stock of 60 HM-40 servos, about JPY 4.2 million."},
		{.n = 2, .doc = "kitei.txt", .type = "txt", .text = "7万5千円を超える購入には上長の事前承認が必要です。"},
		{.n = 3, .doc = "zaiko.txt", .type = "txt", .text = "HM-40サーボ60台の安全在庫の費用は4,200,000円です。"},
	};
	cr_source *fs = cr_arena_memdup(&a, figs, sizeof figs);
	for (size_t i = 0; i < CR_ARRAY_LEN(figs); i++)
		fs[i].len = strlen(fs[i].text);
	static const struct {
		const char *sentence;
		int ok;
	} cases[] = {
		{"HM-40サーボ60台の安全在庫の費用は約420万円です [3]。", 1},
		{"HM-40サーボ60台の安全在庫の費用は約430万円です [3]。", 0},
		{"Kenji Sato approved a buffer stock of 60 HM-40 servos, about JPY 4,200,000 [1].", 1},
		{"The buffer stock of 60 HM-40 servos cost JPY 4,200,000 [1].", 1},
		{"75,000円を超える購入には上長の事前承認が必要です [2]。", 1},
		{"75,000円を超える購入には上長の事前承認が必要です [1]。", 0},
	};
	for (size_t i = 0; i < CR_ARRAY_LEN(cases); i++) {
		memset(&ans, 0, sizeof ans);
		assert_int_equal(cr_answer_verify(an, &a, cases[i].sentence, fs, CR_ARRAY_LEN(figs), &ans), CR_OK);
		if ((int)ans.n_citations != cases[i].ok)
			fail_msg("'%s': %zu citations (%s)", cases[i].sentence, ans.n_citations,
				 ans.n_unverified ? ans.unverified[0].reason : "");
	}
	/* translations do not make an unrelated sentence supported */
	assert_int_equal(cr_answer_verify(an, &a, "社員食堂は水曜日に菜食の昼食を出します [1]。", src, 2, &ans), CR_OK);
	assert_int_equal(ans.n_citations, 0);
	assert_non_null(strstr(ans.text, "未検証"));
	cr_corpus_analyzer_release(samples, an);
	cr_arena_release(&a);
}

/* Sentences across wrapped lines: a long line that stops mid-phrase goes
 * on in the next, whatever its first letter; list items, headings and
 * short lines stay apart, and a list item's number is not part of its
 * sentence. */
static void test_split_wrapped(void **st)
{
	(void)st;
	static const char text[] =
		"Subject: Servo supply decision\n"
		"Hokuto Motors stays our primary supplier for the HM-40 and HM-25 servos. Their quality\n"
		"record on the KR-5 has been excellent (0.3% returns in 2025), but their lead time for the\n"
		"HM-40 has grown from six to ten weeks.\n"
		"Decisions:\n"
		"1. Kenji Sato has approved a buffer stock of 60 HM-40 servos, about JPY 4.2 million. The\n"
		"2. We will qualify a second encoder supplier by April 30.\n";
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_span *sp;
	size_t n;
	assert_int_equal(cr_ans_split(&a, text, sizeof text - 1, 0, &sp, &n), CR_OK);
	static const char *const want[] = {
		"Subject: Servo supply decision",
		"Hokuto Motors stays our primary supplier for the HM-40 and HM-25 servos.",
		"Their quality\nrecord on the KR-5 has been excellent (0.3% returns in 2025), but their lead time for "
		"the\nHM-40 has grown from six to ten weeks.",
		"Decisions:",
		"Kenji Sato has approved a buffer stock of 60 HM-40 servos, about JPY 4.2 million.",
		"The",
		"We will qualify a second encoder supplier by April 30.",
	};
	assert_int_equal(n, CR_ARRAY_LEN(want));
	for (size_t i = 0; i < n; i++)
		if (sp[i].len != strlen(want[i]) || memcmp(text + sp[i].start, want[i], sp[i].len))
			fail_msg("sentence %zu: '%.*s', expected '%s'", i, (int)sp[i].len, text + sp[i].start, want[i]);
	/* the same with CRLF line ends (mail): the same sentences */
	char crlf[2 * sizeof text];
	size_t m = 0;
	for (size_t i = 0; i + 1 < sizeof text; i++) {
		if (text[i] == '\n')
			crlf[m++] = '\r';
		crlf[m++] = text[i];
	}
	cr_span *sq;
	size_t n2;
	assert_int_equal(cr_ans_split(&a, crlf, m, 0, &sq, &n2), CR_OK);
	assert_int_equal(n2, n);
	for (size_t i = 0; i < n2; i++) {
		size_t crs = 0;
		for (size_t j = 0; j < sq[i].len; j++)
			crs += crlf[sq[i].start + j] == '\r';
		assert_int_equal(sq[i].len - crs, sp[i].len);
	}
	cr_arena_release(&a);
}

typedef struct qa {
	const char *question;
	const char *expect; /* in the answer */
	const char *doc;    /* cited */
} qa;

static void ask(const char *q, cr_arena *a, cr_answer *ans)
{
	cr_msg m = {{0}};
	cr_ask_opts o = {0};
	cr_err e = cr_answer_ask(samples, a, q, &o, ans, &m);
	if (e)
		fail_msg("ask '%s': %s", q, m.text);
}

/* The source of the answer's first citation, which must be q->doc when set. */
static const cr_source *first_cited(const cr_answer *ans, const qa *q)
{
	assert_true(ans->n_citations >= 1);
	const cr_source *s = NULL;
	for (size_t j = 0; j < ans->n_sources; j++)
		if (ans->sources[j].n == ans->citations[0].n)
			s = &ans->sources[j];
	assert_non_null(s);
	if (q->doc && strcmp(s->doc, q->doc))
		fail_msg("'%s': cited %s, expected %s", q->question, s->doc, q->doc);
	return s;
}

static void test_ask_samples(void **st)
{
	(void)st;
	static const qa set[] = {
		{"What is the total budget of Kestrel R&D?", "210000", "samples/finance/budget-fy2026.xlsx"},
		{"When is the Kestrel launch?", "August 17, 2026", NULL},
		{"Which supplier was chosen for the servos?", "Hokuto Motors", "samples/docs/memo-servo-supply.txt"},
		{"就業時間は何時から？", "午前9時", "samples/ja/shugyo-kisoku-sjis.txt"},
		{"有給休暇は何日？", "20日", "samples/ja/shain-handbook.md"},
	};
	for (size_t i = 0; i < CR_ARRAY_LEN(set); i++) {
		cr_arena a;
		cr_arena_init(&a, 0);
		cr_answer ans;
		ask(set[i].question, &a, &ans);
		if (!ans.found || !strstr(ans.text, set[i].expect))
			fail_msg("'%s': got '%s', expected '%s'", set[i].question, ans.text, set[i].expect);
		assert_string_equal(ans.mode, "extractive");
		assert_int_equal(ans.n_unverified, 0);
		const cr_source *s = first_cited(&ans, &set[i]);
		assert_non_null(strstr(s->text, set[i].expect)); /* the cited passage holds it */
		assert_string_equal(ans.lang, strstr(set[i].question, "何") ? "ja" : "en");
		cr_arena_release(&a);
	}
}

/* Questions for a period's end or length, and the sentences that state
 * one (when.c); then an ask where the starting date alone was the answer
 * before: "runs from May 29, 2026" held more of the question's words than
 * "will run from May 29 to June 26". */
static void test_period(void **st)
{
	(void)st;
	static const struct {
		const char *q;
		int what;
	} qs[] = {
		{"How long will the pilot run?", CR_ANS_LENGTH},
		{"パイロットの期間は？", CR_ANS_LENGTH},
		{"納期は何週間ですか", CR_ANS_LENGTH},
		{"Northwind Freightのパイロットはいつまでですか？", CR_ANS_END},
		{"By when will Sato reconfirm the date?", CR_ANS_END},
		{"When does the trial end?", CR_ANS_END},
		{"When is the contract finished?", CR_ANS_END},
		{"申請の期限は？", CR_ANS_END},
		{"When is the Kestrel launch?", 0},
		{"Where does the endpoint live, and when?", 0},
		{"いつから休業しますか", 0},
	};
	for (size_t i = 0; i < CR_ARRAY_LEN(qs); i++)
		if (cr_ans_asks_end(qs[i].q) != qs[i].what)
			fail_msg("'%s': %d, expected %d", qs[i].q, cr_ans_asks_end(qs[i].q), qs[i].what);
	static const struct {
		const char *s;
		int end, length; /* with lengths 0, with 1 */
	} ss[] = {
		{"The pilot cell will run from May 29 to June 26 on the returns line.", 1, 1},
		{"The offer is valid until 30 June.", 1, 1},
		{"Send the spec by March 13.", 1, 1},
		{"佐藤：3月10日までに納期を再確認する。", 1, 1},
		{"休業は12月29日〜1月4日です。", 1, 1},
		{"試験期間は5/29〜6/26。", 1, 1},
		{"The pilot starts May 29 and runs four weeks.", 0, 1},
		{"納期が6週間から10週間に延びる。", 0, 1},
		{"The pilot cell runs from May 29, 2026.", 0, 0},
		{"関節1〜3には HM-40 を使用します。", 0, 0},
		{"これまでの実績は良好です。", 0, 0},
		{"He went to the office by car.", 0, 0},
		{"Leads come through marketing and are paid by money order.", 0, 0},
		{"Payment is due by Mar. 3 at the latest.", 1, 1},
		{"Once we tension the belt, it works.", 0, 0},
	};
	for (size_t i = 0; i < CR_ARRAY_LEN(ss); i++)
		if (cr_ans_states_end(ss[i].s, strlen(ss[i].s), 0) != ss[i].end ||
		    cr_ans_states_end(ss[i].s, strlen(ss[i].s), 1) != ss[i].length)
			fail_msg("'%s': end %d length %d, expected %d %d", ss[i].s,
				 cr_ans_states_end(ss[i].s, strlen(ss[i].s), 0),
				 cr_ans_states_end(ss[i].s, strlen(ss[i].s), 1), ss[i].end, ss[i].length);

	static const qa q = {"How long will the Kestrel pilot cell run at Northwind Freight?", "June 26",
			     "samples/mail/northwind-pilot.eml"};
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_answer ans;
	ask(q.question, &a, &ans);
	if (!ans.found || !strstr(ans.text, q.expect))
		fail_msg("'%s': got '%s', expected '%s'", q.question, ans.text, q.expect);
	const cr_source *s = first_cited(&ans, &q);
	assert_non_null(strstr(s->text, q.expect));
	cr_arena_release(&a);
}

/* Without a model, a question in one language answered from a document
 * in the other: the second search finds it and the sentence is quoted
 * under a line in the question's language. */
static void test_ask_across(void **st)
{
	(void)st;
	static const qa set[] = {
		{"Hokuto MotorsのKR-5での返品率は？", "0.3%", "samples/docs/memo-servo-supply.txt"},
		{"Kestrel R&Dの予算合計は？", "210000", "samples/finance/budget-fy2026.xlsx"},
		/* 何パーセント is "3%": the sign says percent in either language */
		{"保守契約の料金は1月から何パーセント上がりますか？", "3%", "samples/meetings/2026-10-20-fees-followup.eml"},
		{"What is the standard price of the KR-7 in 万円?", "720万円", NULL},
		/* Q3 is 第3四半期; additional finds 追加 through addition, propose
		 * 提案 through proposal */
		{"How much additional promotion budget for Q3 will Sato propose to the board?", "2,400万円",
		 "samples/ja/kaigi-memo-2026-05-12-eucjp.txt"},
	};
	for (size_t i = 0; i < CR_ARRAY_LEN(set); i++) {
		cr_arena a;
		cr_arena_init(&a, 0);
		cr_answer ans;
		ask(set[i].question, &a, &ans);
		if (!ans.found || !strstr(ans.text, set[i].expect) || ans.n_citations < 1)
			fail_msg("'%s': got '%s', expected '%s'", set[i].question, ans.text, set[i].expect);
		first_cited(&ans, &set[i]);
		/* a Japanese question quoting an English sentence says so first */
		assert_string_equal(ans.lang, i < 3 ? "ja" : "en");
		if (i > 3)
			assert_non_null(strstr(ans.text, "A Japanese source says"));
		if (i < 3)
			assert_non_null(strstr(ans.text, "英語の資料"));
		cr_arena_release(&a);
	}
}

static void test_ask_unanswerable(void **st)
{
	(void)st;
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_answer ans;
	ask("What is the capital of France?", &a, &ans);
	assert_false(ans.found);
	assert_int_equal(ans.n_citations, 0);
	assert_non_null(strstr(ans.text, "do not say"));
	/* one shared name is not an answer: 東京 is only in a sentence about
	 * an expo booth, 日当 (per diem) nowhere in Japanese */
	ask("東京の日当はいくらですか？", &a, &ans);
	assert_false(ans.found);
	assert_int_equal(ans.n_citations, 0);
	/* a heading that repeats the question is not its answer */
	ask("What is the per diem for Tokyo?", &a, &ans);
	assert_null(strstr(ans.text, "Per-diem rates"));
	ask("火星の人口は何人ですか？", &a, &ans);
	assert_false(ans.found);
	assert_string_equal(ans.lang, "ja");
	assert_non_null(strstr(ans.text, "見つかりませんでした"));
	cr_arena_release(&a);
}

static void test_ask_empty_corpus(void **st)
{
	(void)st;
	char data[512];
	snprintf(data, sizeof data, "%s/empty", tmp);
	cr_corpus *c;
	cr_msg m = {{0}};
	assert_int_equal(cr_corpus_open(data, 1, &c, &m), CR_OK);
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_answer ans;
	cr_ask_opts o = {0};
	assert_int_equal(cr_answer_ask(c, &a, "What is the total budget?", &o, &ans, &m), CR_OK);
	assert_false(ans.found);
	assert_int_equal(ans.n_sources, 0);
	/* a canceled request does no work */
	cr_cancel cancel;
	cr_cancel_init(&cancel);
	cr_cancel_request(&cancel);
	o.cancel = &cancel;
	assert_int_equal(cr_answer_ask(c, &a, "budget", &o, &ans, &m), CR_ECANCELED);
	cr_arena_release(&a);
	cr_corpus_close(c);
}

/* A question found in the sources is never the answer (issue 9): the
 * classifier, then ask over a transcript whose question line repeats the
 * asker's words better than the statement that answers it. */
static void test_question_sentences(void **st)
{
	(void)st;
	static const char *const asks[] = {"Kenji, can you approve the budget?", "Is it approved?\"",
					   "予算を承認できますか？", "予算は承認されましたか。",
					   "予算を承認してもらえませんか", "本当に必要なのか。", "どうでしょうか」",
					   "（確認できますか）"};
	static const char *const states[] = {"The budget is approved.", "Kenji approved it (see below).",
					     "予算は承認されました。", "いくつか。", "承認済み",
					     "The price is 40,000 yen."};
	for (size_t i = 0; i < CR_ARRAY_LEN(asks); i++)
		if (!cr_ans_is_question(asks[i], strlen(asks[i])))
			fail_msg("'%s' not taken for a question", asks[i]);
	for (size_t i = 0; i < CR_ARRAY_LEN(states); i++)
		if (cr_ans_is_question(states[i], strlen(states[i])))
			fail_msg("'%s' taken for a question", states[i]);
	assert_false(cr_ans_is_question("", 0));

	char dir[600], path[700], data[600];
	snprintf(dir, sizeof dir, "%s/questions", tmp);
	snprintf(data, sizeof data, "%s/questions-data", tmp);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(path, sizeof path, "%s/pilot-sync.txt", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("Lucas: Kenji, can you approve the Kestrel pilot budget of 40,000 dollars?\n"
	      "Kenji: Yes. The Kestrel pilot budget is approved by Kenji Sato, effective today.\n"
	      "佐藤さん、パイロットの予算を承認できますか？\n"
	      "佐藤: パイロットの予算は佐藤が承認しました。\n",
	      f);
	fclose(f);
	cr_corpus *c;
	cr_msg m = {{0}};
	assert_int_equal(cr_corpus_open(data, 1, &c, &m), CR_OK);
	const char *paths[] = {dir};
	cr_ingest_report rep;
	assert_int_equal(cr_corpus_ingest(c, paths, 1, NULL, &rep, &m), CR_OK);
	static const qa set[] = {
		{"Who approves the Kestrel pilot budget?", "approved by Kenji Sato", NULL},
		{"パイロットの予算を承認したのは誰？", "佐藤が承認しました", NULL},
	};
	for (size_t i = 0; i < CR_ARRAY_LEN(set); i++) {
		cr_arena a;
		cr_arena_init(&a, 0);
		cr_answer ans;
		cr_ask_opts o = {0};
		assert_int_equal(cr_answer_ask(c, &a, set[i].question, &o, &ans, &m), CR_OK);
		if (!ans.found || !strstr(ans.text, set[i].expect))
			fail_msg("'%s': got '%s', expected '%s'", set[i].question, ans.text, set[i].expect);
		assert_null(strstr(ans.text, "?"));
		assert_null(strstr(ans.text, "？"));
		cr_arena_release(&a);
	}
	cr_corpus_close(c);
}

/* A local model gets each passage cut around its focus sentence. */
static void test_excerpt(void **st)
{
	(void)st;
	char text[4096];
	size_t n = 0;
	for (int i = 0; i < 40; i++) /* 40 filler sentences, then the answer, then more filler */
		n += (size_t)snprintf(text + n, sizeof text - n, "Filler sentence number %02d says little. ", i);
	size_t focus = n;
	n += (size_t)snprintf(text + n, sizeof text - n, "The answer is forty-two. ");
	size_t focus_len = strlen("The answer is forty-two.");
	for (int i = 0; i < 10; i++)
		n += (size_t)snprintf(text + n, sizeof text - n, "Tail %d. ", i);
	cr_source s = {.n = 1, .text = text, .len = n, .focus = focus, .focus_len = focus_len};
	cr_buf b;
	cr_buf_init(&b, 0);
	assert_int_equal(cr_ans_excerpt(&b, &s, 300), CR_OK);
	assert_non_null(strstr(b.data, "The answer is forty-two."));
	assert_null(strstr(b.data, "number 00")); /* the start was cut */
	assert_memory_equal(b.data, "…", strlen("…"));
	assert_true(b.len <= 300 + 2 * strlen("…"));
	/* a focus near the start: the passage's start, cut at the end only */
	cr_buf_reset(&b);
	s.focus = 0;
	s.focus_len = 10;
	assert_int_equal(cr_ans_excerpt(&b, &s, 300), CR_OK);
	assert_int_equal(b.len, 300);
	assert_memory_equal(b.data, text, 300);
	/* short passages whole; no focus: the start */
	cr_buf_reset(&b);
	s.focus_len = 0;
	assert_int_equal(cr_ans_excerpt(&b, &s, 100000), CR_OK);
	assert_int_equal(b.len, n);
	/* Japanese: cuts fall on character boundaries */
	const char *ja = "前置きの文です。前置きの文です。前置きの文です。前置きの文です。答えは四十二です。後書き。";
	cr_source j = {.n = 1, .text = ja, .len = strlen(ja), .focus = strstr(ja, "答え") - ja,
		       .focus_len = strlen("答えは四十二です。")};
	cr_buf_reset(&b);
	assert_int_equal(cr_ans_excerpt(&b, &j, 40), CR_OK);
	assert_non_null(strstr(b.data, "答えは"));
	assert_true(cr_utf8_valid((const uint8_t *)b.data, b.len));
	cr_buf_release(&b);
}

static void test_json(void **st)
{
	(void)st;
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_answer ans;
	ask("What is the total budget of Kestrel R&D?", &a, &ans);
	cr_buf b;
	cr_buf_init(&b, 0);
	assert_int_equal(cr_answer_json(&ans, &b), CR_OK);
	json_error_t err;
	json_t *o = json_loadb(b.data, b.len, 0, &err);
	if (!o)
		fail_msg("invalid JSON: %s in %s", err.text, b.data);
	assert_string_equal(json_string_value(json_object_get(o, "mode")), "extractive");
	assert_true(json_is_true(json_object_get(o, "found")));
	json_t *cit = json_array_get(json_object_get(o, "citations"), 0);
	assert_non_null(cit);
	assert_string_equal(json_string_value(json_object_get(cit, "doc")), "samples/finance/budget-fy2026.xlsx");
	assert_string_equal(json_string_value(json_object_get(json_object_get(cit, "location"), "sheet")),
			    "Budget FY2026");
	assert_non_null(strstr(json_string_value(json_object_get(cit, "quote")), "210000"));
	assert_true(json_array_size(json_object_get(o, "retrieval")) >= 1);
	assert_int_equal(json_array_size(json_object_get(o, "unverified")), 0);
	json_decref(o);
	cr_buf_release(&b);
	cr_arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verify_supported),   cmocka_unit_test(test_verify_fabricated),
		cmocka_unit_test(test_verify_wrong_source), cmocka_unit_test(test_verify_unsupported),
		cmocka_unit_test(test_verify_japanese),    cmocka_unit_test(test_ask_samples),
		cmocka_unit_test(test_ask_unanswerable),   cmocka_unit_test(test_ask_empty_corpus),
		cmocka_unit_test(test_json),               cmocka_unit_test(test_question_sentences),
		cmocka_unit_test(test_excerpt),            cmocka_unit_test(test_verify_across),
		cmocka_unit_test(test_ask_across),         cmocka_unit_test(test_period),
		         cmocka_unit_test(test_split_wrapped),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
