/* test_text.c — the analyzer: folding, stemming, stopwords, offsets, Japanese
 * (MeCab + bigrams), positions, query flags, invalid and huge input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cristal/text.h"

#include <libstemmer.h>
#include <utf8proc.h>
#include <pthread.h>

typedef struct tok {
	char term[300];
	uint32_t len, pos, start, end, flags;
} tok;

typedef struct toks {
	tok *v;
	size_t n, cap;
	const char *text;
	size_t text_len;
	int stop_after; /* cancel after this many tokens (0 = never) */
} toks;

static int collect(void *ctx, const cr_token *t)
{
	toks *ts = ctx;
	assert_true(t->len >= 2 && t->len < sizeof ts->v[0].term);
	assert_true(t->term[0] == 'w' || t->term[0] == 'b');
	assert_true(t->start < t->end && t->end <= ts->text_len);
	if (ts->n)
		assert_true(t->pos >= ts->v[ts->n - 1].pos); /* non-decreasing */
	if (ts->n == ts->cap) {
		ts->cap = ts->cap ? ts->cap * 2 : 64;
		ts->v = realloc(ts->v, ts->cap * sizeof *ts->v);
		assert_non_null(ts->v);
	}
	tok *k = &ts->v[ts->n++];
	memcpy(k->term, t->term, t->len);
	k->term[t->len] = 0;
	k->len = t->len;
	k->pos = t->pos;
	k->start = t->start;
	k->end = t->end;
	k->flags = t->flags;
	return ts->stop_after && ts->n >= (size_t)ts->stop_after;
}

static cr_analyzer *an;

static cr_err run(toks *ts, const char *s, size_t n, int flags)
{
	memset(ts, 0, sizeof *ts);
	ts->text = s;
	ts->text_len = n;
	return cr_analyze(an, s, n, flags, collect, ts);
}

static void analyze(toks *ts, const char *s, int flags)
{
	assert_int_equal(run(ts, s, strlen(s), flags), CR_OK);
}

/* "wfoo@0 wbar@1 ..." for compact comparisons. */
static char *render(const toks *ts, int with_pos)
{
	static char out[8192];
	size_t o = 0;
	out[0] = 0;
	for (size_t i = 0; i < ts->n; i++) {
		if (with_pos)
			o += (size_t)snprintf(out + o, sizeof out - o, "%s%s@%u", i ? " " : "", ts->v[i].term, ts->v[i].pos);
		else
			o += (size_t)snprintf(out + o, sizeof out - o, "%s%s", i ? " " : "", ts->v[i].term);
		if (o >= sizeof out)
			break;
	}
	return out;
}

static int has(const toks *ts, const char *term)
{
	for (size_t i = 0; i < ts->n; i++)
		if (!strcmp(ts->v[i].term, term))
			return 1;
	return 0;
}

static const tok *find(const toks *ts, const char *term)
{
	for (size_t i = 0; i < ts->n; i++)
		if (!strcmp(ts->v[i].term, term))
			return &ts->v[i];
	return NULL;
}

static void expect(const char *text, int flags, int with_pos, const char *want)
{
	toks ts;
	analyze(&ts, text, flags);
	assert_string_equal(render(&ts, with_pos), want);
	free(ts.v);
}

static void same_terms(const char *a, const char *b)
{
	toks ta, tb;
	analyze(&ta, a, 0);
	analyze(&tb, b, 0);
	char ra[8192];
	snprintf(ra, sizeof ra, "%s", render(&ta, 1));
	assert_string_equal(ra, render(&tb, 1));
	assert_true(ta.n > 0);
	free(ta.v);
	free(tb.v);
}

static void test_folding(void **st)
{
	same_terms("ＡＢＣ", "ABC");
	same_terms("ABC", "abc");
	same_terms("ｶﾀｶﾅ", "カタカナ");
	same_terms("ｶﾞｲﾄﾞ", "ガイド");
	same_terms("café", "CAFE\xcc\x81"); /* precomposed vs combining acute */
	same_terms("Straße", "STRASSE");
	same_terms("ＳＴＵＤＩＥＳ", "studies");
	same_terms("ﬁle", "file");
	expect("① ²", 0, 0, "w1 w2");
	expect("ΣΟΦΊΑ Москва", 0, 0, "wσοφία wмосква");
	expect("in\xc2\xad" "formation", 0, 0, "winform"); /* soft hyphen is ignored */
}

static void test_stemming(void **st)
{
	expect("running runs run studies", 0, 0, "wrun wrun wrun wstudi");
	expect("Running RUNS", CR_ANALYZE_NOSTEM, 0, "wrunning wruns");
	expect("generously connection", 0, 0, "wgenerous wconnect");
	/* the cache must not confuse words: 2000 distinct words, twice (the
	 * second time from the cache), each exactly Snowball's stem */
	char buf[20000];
	size_t o = 0;
	for (int i = 0; i < 2000; i++)
		o += (size_t)snprintf(buf + o, sizeof buf - o, "x%c%c%cings ", 'a' + i % 26, 'a' + i / 26 % 26,
				      'a' + i / 676);
	struct sb_stemmer *stemmer = sb_stemmer_new("english", "UTF_8");
	for (int pass = 0; pass < 2; pass++) {
		toks ts;
		analyze(&ts, buf, 0);
		assert_int_equal(ts.n, 2000);
		for (int i = 0; i < 2000; i++) {
			const sb_symbol *r = sb_stemmer_stem(stemmer, (const sb_symbol *)buf + i * 9, 8);
			char w[32];
			snprintf(w, sizeof w, "w%.*s", sb_stemmer_length(stemmer), (const char *)r);
			assert_string_equal(ts.v[i].term, w);
		}
		free(ts.v);
	}
	sb_stemmer_delete(stemmer);
}

static void test_words(void **st)
{
	expect("Don't stop: it's 3.14, 1,000 or COVID-19 (p53) e.g. user_name", 0, 1,
	       "wdon't@0 wstop@1 wit@2 w3.14@3 w1,000@4 wor@5 wcovid@6 w19@7 wp53@8 wp@8 w53@8 we@9 wg@10 wuser@11 wname@12");
	expect("rock’n’roll dogs' 'quoted'", 0, 0, "wrock'n'rol wdog wquot");
	expect("end.The 1..2 a,b", 0, 0, "wend w1 w2 wb");
}

static void test_parts(void **st)
{
	expect("IL6 APOE4 kinases2 3mg a1", 0, 1,
	       "wil6@0 wil@0 w6@0 wapoe4@1 wapo@1 w4@1 wkinases2@2 wkinas@2 w2@2 w3mg@3 w3@3 wmg@3 wa1@4 wa@4 w1@4");
	/* parts have exact offsets */
	toks ts;
	analyze(&ts, "x IL6", 0);
	const tok *p = find(&ts, "w6");
	assert_non_null(p);
	assert_int_equal(p->start, 4);
	assert_int_equal(p->end, 5);
	assert_int_equal(p->flags, CR_TOKEN_OVERLAP);
	free(ts.v);
	/* not in phrases nor prefixes; numbers are not split */
	expect("IL6 3.5", CR_ANALYZE_PHRASE, 1, "wil6@0 w3.5@1");
	expect("IL6", CR_ANALYZE_NOSTEM, 1, "wil6@0");
	/* the hyphenated and the bare spellings share terms */
	toks a, b;
	analyze(&a, "IL-6", CR_ANALYZE_QUERY);
	analyze(&b, "il6", 0);
	for (size_t i = 0; i < a.n; i++)
		assert_true(has(&b, a.v[i].term));
	free(a.v);
	free(b.v);
}

static void test_stopwords(void **st)
{
	expect("the cat is on a mat", 0, 1, "wcat@1 wis@2 won@3 wmat@5");
	expect("the cat is on a mat", CR_ANALYZE_QUERY, 1, "wcat@1 wis@2 won@3 wmat@5");
	expect("not an option", 0, 1, "wnot@0 woption@2");
	/* a query of stopwords only keeps them */
	expect("The A an", CR_ANALYZE_QUERY, 1, "wthe@0 wa@1 wan@2");
	expect("The A an", 0, 1, "");
	expect("the", CR_ANALYZE_NOSTEM, 0, "wthe");
	cr_analyzer_opts o = cr_analyzer_opts_default();
	o.stopwords = 0;
	cr_analyzer *keep = NULL;
	assert_int_equal(cr_analyzer_new(&o, &keep, NULL), CR_OK);
	cr_analyzer *saved = an;
	an = keep;
	expect("the cats", 0, 1, "wthe@0 wcat@1");
	an = saved;
	cr_analyzer_free(keep);
}

static void test_offsets(void **st)
{
	const char *s = "Ｈｅｌｌｏ, ＷＯＲＬＤ! ｶﾀｶﾅ";
	toks ts;
	analyze(&ts, s, 0);
	const tok *h = find(&ts, "whello");
	assert_non_null(h);
	assert_int_equal(h->start, 0);
	assert_int_equal(h->end, strlen("Ｈｅｌｌｏ"));
	const tok *w = find(&ts, "wworld");
	assert_non_null(w);
	assert_memory_equal(s + w->start, "ＷＯＲＬＤ", w->end - w->start);
	const tok *k = find(&ts, "bカタ");
	assert_non_null(k);
	assert_memory_equal(s + k->start, "ｶﾀ", k->end - k->start);
	free(ts.v);
	/* a combining sequence maps to all its bytes */
	analyze(&ts, "x Cafe\xcc\x81 y", 0);
	assert_string_equal(ts.v[1].term, "wcafé");
	assert_int_equal(ts.v[1].start, 2);
	assert_int_equal(ts.v[1].end, 2 + 6);
	free(ts.v);
}

static void test_japanese(void **st)
{
	toks ts;
	analyze(&ts, "東京都に住んでいる", 0);
	/* morphemes: content words only, verbs by dictionary form */
	assert_true(has(&ts, "w東京"));
	assert_true(has(&ts, "w都"));
	assert_true(has(&ts, "w住む"));
	assert_false(has(&ts, "wに"));
	/* bigrams of the whole run at positions 0..7 */
	const char *bg[] = {"b東京", "b京都", "b都に", "bに住", "b住ん", "bんで", "bでい", "bいる"};
	for (uint32_t i = 0; i < 8; i++) {
		const tok *b = find(&ts, bg[i]);
		assert_non_null(b);
		assert_int_equal(b->pos, i);
		assert_int_equal(b->flags, 0);
	}
	const tok *m = find(&ts, "w住む");
	assert_int_equal(m->pos, 4); /* its first character is the 5th of the run */
	assert_int_equal(m->flags, CR_TOKEN_OVERLAP);
	assert_int_equal(m->start, strlen("東京都に"));
	assert_int_equal(m->end, strlen("東京都に住ん"));
	free(ts.v);

	/* a lone CJK character is its own unigram */
	expect("猫", 0, 0, "b猫 w猫");
	/* Hangul: bigrams only */
	expect("한국어", 0, 1, "b한국@0 b국어@1");
	/* Thai has no spaces and no segmenter here: bigrams, not one long word */
	expect("ภาษาไทย", 0, 0, "bภา bาษ bษา bาไ bไท bทย");
	/* punctuation splits runs; positions continue */
	expect("日本。東京", 0, 1, "b日本@0 w日本@0 b東京@2 w東京@2");
}

static void test_mixed(void **st)
{
	toks ts;
	analyze(&ts, "Kestrelプロジェクトの予算は2024年度", 0);
	const tok *k = find(&ts, "wkestrel");
	assert_non_null(k);
	assert_int_equal(k->pos, 0);
	const tok *p = find(&ts, "wプロジェクト");
	assert_non_null(p);
	assert_int_equal(p->pos, 1);
	assert_true(has(&ts, "bプロ"));
	const tok *y = find(&ts, "w予算");
	assert_non_null(y);
	assert_int_equal(y->pos, 8);
	const tok *n = find(&ts, "w2024");
	assert_non_null(n);
	assert_int_equal(n->pos, 11); /* run of 10 chars from 1 */
	assert_true(has(&ts, "b年度"));
	free(ts.v);
}

/* A quoted phrase's bigrams appear in a document at the same relative positions. */
static void test_phrase_positions(void **st)
{
	toks q, d;
	analyze(&q, "東京タワー", CR_ANALYZE_QUERY);
	analyze(&d, "私は昨日東京タワーに行きました", 0);
	uint32_t off = 0;
	int first = 1, matched = 0;
	for (size_t i = 0; i < q.n; i++) {
		if (q.v[i].flags & CR_TOKEN_OVERLAP)
			continue;
		const tok *t = find(&d, q.v[i].term);
		assert_non_null(t);
		if (first)
			off = t->pos - q.v[i].pos, first = 0;
		assert_int_equal(t->pos - q.v[i].pos, off);
		matched++;
	}
	assert_int_equal(matched, 4);
	free(q.v);
	/* CR_ANALYZE_PHRASE gives exactly those bigrams */
	expect("東京タワー", CR_ANALYZE_QUERY | CR_ANALYZE_PHRASE, 1, "b東京@0 b京タ@1 bタワ@2 bワー@3");
	expect("Kestrel の予算", CR_ANALYZE_PHRASE, 1, "wkestrel@0 bの予@1 b予算@2");
	free(d.v);
}

static void test_flags_and_cancel(void **st)
{
	toks ts;
	memset(&ts, 0, sizeof ts);
	ts.stop_after = 2;
	const char *s = "alpha beta gamma delta 東京都";
	ts.text = s;
	ts.text_len = strlen(s);
	assert_int_equal(cr_analyze(an, s, strlen(s), 0, collect, &ts), CR_ECANCELED);
	assert_int_equal(ts.n, 2);
	free(ts.v);
	assert_int_equal(cr_analyze(NULL, "x", 1, 0, collect, &ts), CR_EINVAL);
	assert_int_equal(cr_analyze(an, NULL, 1, 0, collect, &ts), CR_EINVAL);
	assert_int_equal(cr_analyze(an, NULL, 0, 0, collect, &ts), CR_OK);
}

static void test_invalid_utf8(void **st)
{
	expect("ab\xff" "cd\xc3", 0, 0, "wab wcd");
	expect("caf\xe9 au lait", 0, 0, "wcaf wau wlait");
	expect("\xe6\x9d" "東京\xed\xa0\x80", 0, 0, "b東京 w東京"); /* truncated, surrogate */
	/* random bytes: no crash, every token well-formed (checked in collect) */
	unsigned seed = 12345;
	char buf[4096];
	for (int round = 0; round < 200; round++) {
		for (size_t i = 0; i < sizeof buf; i++) {
			seed = seed * 1103515245u + 12345u;
			buf[i] = (char)(seed >> 16);
		}
		toks ts;
		assert_int_equal(run(&ts, buf, sizeof buf, round & 3), CR_OK);
		free(ts.v);
	}
}

/* Differential test of the ASCII fast path (16-byte SIMD blocks, scalar
 * tail, joiners, combining marks, over-long words) against a plain
 * reference tokenizer, on random text. */
static int ref_cls(const char *s, size_t n, size_t i, size_t *len)
{
	/* 2 letter, 1 digit, 0 other; "e" + U+0301 is one letter of 3 bytes */
	char c = s[i];
	*len = 1;
	if (c == 'e' || c == 'E') {
		if (i + 2 < n && (uint8_t)s[i + 1] == 0xcc && (uint8_t)s[i + 2] == 0x81)
			*len = 3;
		return 2;
	}
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return 2;
	if (c >= '0' && c <= '9')
		return 1;
	return 0;
}

static size_t ref_tokens(const char *s, size_t n, tok *out, size_t max)
{
	size_t i = 0, nt = 0;
	uint32_t pos = 0;
	while (i < n) {
		size_t l;
		int cls = ref_cls(s, n, i, &l);
		if (!cls) {
			i++;
			continue;
		}
		char buf[1024];
		size_t bl = 0, start = i;
		int last = cls;
		while (i < n) {
			cls = ref_cls(s, n, i, &l);
			if (!cls)
				break;
			if (l == 3) {
				buf[bl++] = (char)0xc3, buf[bl++] = (char)0xa9; /* é */
			} else {
				char c = s[i];
				buf[bl++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
			}
			last = cls;
			i += l;
			if (i + 1 < n) {
				size_t l2;
				int next = ref_cls(s, n, i + 1, &l2);
				if ((s[i] == '\'' && last == 2 && next == 2) ||
				    ((s[i] == '.' || s[i] == ',') && last == 1 && next == 1)) {
					buf[bl++] = s[i];
					i++;
				}
			}
			if (bl > 1000)
				break;
		}
		if (bl <= 128 && nt < max) {
			tok *t = &out[nt++];
			t->term[0] = 'w';
			memcpy(t->term + 1, buf, bl);
			t->term[bl + 1] = 0;
			t->pos = pos;
			t->start = (uint32_t)start;
			t->end = (uint32_t)i;
		}
		pos++;
	}
	return nt;
}

static void test_ascii_paths(void **st)
{
	cr_analyzer_opts o = cr_analyzer_opts_default();
	o.stem = 0;
	o.stopwords = 0;
	cr_analyzer *plain = NULL;
	assert_int_equal(cr_analyzer_new(&o, &plain, NULL), CR_OK);
	cr_analyzer *saved = an;
	an = plain;
	static const char *pieces[] = {"a", "B", "z", "Q", "0", "7", " ", " ", "'", ".", ",", "-", "e\xcc\x81", "\n"};
	unsigned seed = 99;
	static char text[8192];
	static tok want[4096];
	struct sb_stemmer *stemmer = sb_stemmer_new("english", "UTF_8");
	assert_non_null(stemmer);
	for (int round = 0; round < 3000; round++) {
		size_t n = 0;
		seed = seed * 1103515245u + 12345u;
		size_t target = (seed >> 8) % 600;
		while (n + 8 < target) {
			seed = seed * 1103515245u + 12345u;
			unsigned r = seed >> 16;
			const char *p;
			size_t reps = 1;
			if (r % 7 == 0) { /* a long word crossing 16-byte blocks */
				p = pieces[r % 6];
				reps = (r >> 4) % 140 + 1;
			} else {
				p = pieces[r % CR_ARRAY_LEN(pieces)];
			}
			size_t pl = strlen(p);
			for (size_t k = 0; k < reps && n + pl + 8 < sizeof text; k++) {
				memcpy(text + n, p, pl);
				n += pl;
			}
		}
		toks ts;
		assert_int_equal(run(&ts, text, n, CR_ANALYZE_PHRASE), CR_OK); /* no parts */
		size_t nw = ref_tokens(text, n, want, CR_ARRAY_LEN(want));
		if (ts.n != nw) {
			for (size_t k = 0; k < ts.n || k < nw; k++)
				print_message("%zu: %s@%u [%u,%u) | %s@%u [%u,%u)\n", k, k < ts.n ? ts.v[k].term : "-",
					      k < ts.n ? ts.v[k].pos : 0, k < ts.n ? ts.v[k].start : 0,
					      k < ts.n ? ts.v[k].end : 0, k < nw ? want[k].term : "-",
					      k < nw ? want[k].pos : 0, k < nw ? want[k].start : 0, k < nw ? want[k].end : 0);
			an = saved;
			fail_msg("round %d: %zu tokens, want %zu in '%.*s'", round, ts.n, nw, (int)n, text);
		}
		for (size_t k = 0; k < nw; k++) {
			if (strcmp(ts.v[k].term, want[k].term) || ts.v[k].pos != want[k].pos ||
			    ts.v[k].start != want[k].start || ts.v[k].end != want[k].end) {
				an = saved;
				fail_msg("round %d token %zu: %s@%u [%u,%u) want %s@%u [%u,%u)", round, k,
					 ts.v[k].term, ts.v[k].pos, ts.v[k].start, ts.v[k].end, want[k].term,
					 want[k].pos, want[k].start, want[k].end);
			}
		}
		free(ts.v);

		/* default analyzer: the same words, stemmed through the cache,
		 * articles dropped */
		an = saved;
		assert_int_equal(run(&ts, text, n, CR_ANALYZE_PHRASE), CR_OK);
		size_t k2 = 0;
		for (size_t k = 0; k < nw; k++) {
			const char *w = want[k].term + 1;
			size_t wl = strlen(w);
			if (!strcmp(w, "a") || !strcmp(w, "an") || !strcmp(w, "the"))
				continue;
			char exp[300];
			exp[0] = 'w';
			if (strpbrk(w, "abcdefghijklmnopqrstuvwxyz\xc3")) {
				const sb_symbol *r = sb_stemmer_stem(stemmer, (const sb_symbol *)w, (int)wl);
				int rl = sb_stemmer_length(stemmer);
				memcpy(exp + 1, r, (size_t)rl);
				exp[rl + 1] = 0;
			} else {
				strcpy(exp + 1, w);
			}
			assert_true(k2 < ts.n);
			if (strcmp(ts.v[k2].term, exp) || ts.v[k2].pos != want[k].pos)
				fail_msg("round %d: stemmed %s@%u, want %s@%u", round, ts.v[k2].term,
					 ts.v[k2].pos, exp, want[k].pos);
			k2++;
		}
		assert_int_equal(k2, ts.n);
		/* without CR_ANALYZE_PHRASE: the same tokens plus the parts of
		 * mixed words, right after their word, inside its range */
		toks tp;
		assert_int_equal(run(&tp, text, n, 0), CR_OK);
		size_t kw = 0;
		for (size_t k = 0; k < tp.n; k++) {
			if (!(tp.v[k].flags & CR_TOKEN_OVERLAP)) {
				assert_true(kw < ts.n);
				assert_string_equal(tp.v[k].term, ts.v[kw].term);
				assert_int_equal(tp.v[k].pos, ts.v[kw].pos);
				kw++;
				continue;
			}
			assert_true(kw > 0);
			const tok *wd = &ts.v[kw - 1];
			assert_int_equal(tp.v[k].pos, wd->pos);
			assert_true(tp.v[k].start >= wd->start && tp.v[k].end <= wd->end);
			assert_true(strpbrk(wd->term, "0123456789") != NULL);
		}
		assert_int_equal(kw, ts.n);
		free(tp.v);
		free(ts.v);
		an = plain;
	}
	an = saved;
	cr_analyzer_free(plain);
	sb_stemmer_delete(stemmer);
}

/* Cluster-by-cluster normalization (and its fast paths) must give the same
 * terms as normalizing the whole text first: analyze random strings of
 * tricky code points both ways and compare terms and positions. */
static void test_normalization_equivalence(void **st)
{
	static const char *pool[] = {
		"a", "Z", "7", " ", "'", ".", "-", "\xc3\xa9" /* é */, "E\xcc\x81", "\xcc\x81",
		"\xef\xbd\xb6" /* ｶ */, "\xef\xbe\x9e" /* ﾞ */, "\xe3\x82\xab" /* カ */,
		"\xe3\x82\xac" /* ガ */, "\xe6\x9d\xb1" /* 東 */, "\xe3\x81\xae" /* の */,
		"\xe2\x91\xa0" /* ① */, "\xe3\x8d\xbf" /* ㍿ */, "\xef\xbc\xa1" /* Ａ */,
		"\xc3\x9f" /* ß */, "\xef\xac\x81" /* ﬁ */, "\xc4\xb0" /* İ */, "\xce\xa3" /* Σ */,
		"\xcf\x82" /* ς */, "\xe0\xad\x87" /* U+0B47 */, "\xe0\xac\xbe" /* U+0B3E */,
		"\xe1\x84\x80" /* ᄀ */, "\xe1\x85\xa1" /* ᅡ */, "\xe1\x86\xa8" /* ᆨ */,
		"\xe0\xb8\x81" /* ก */, "\xe2\x80\x8b" /* ZWSP */, "\xc2\xad" /* soft hyphen */,
		"\xe2\x80\x99" /* ’ */, "\xe3\x82\x99" /* U+3099 */, "\xe3\x83\xbc" /* ー */,
		"\xea\xb0\x80" /* 가 */, "\xe3\x80\x80" /* ideographic space */, "\xef\xbc\x91" /* １ */,
	};
	unsigned seed = 7;
	char text[2048];
	int rounds = getenv("CR_TEST_ROUNDS") ? atoi(getenv("CR_TEST_ROUNDS")) : 3000;
	for (int round = 0; round < rounds; round++) {
		size_t n = 0;
		seed = seed * 1103515245u + 12345u;
		size_t target = (seed >> 8) % 200;
		while (n + 8 < target) {
			seed = seed * 1103515245u + 12345u;
			const char *p = pool[(seed >> 16) % CR_ARRAY_LEN(pool)];
			size_t pl = strlen(p);
			memcpy(text + n, p, pl);
			n += pl;
		}
		text[n] = 0;
		char *norm = (char *)utf8proc_NFKC_Casefold((const utf8proc_uint8_t *)text);
		assert_non_null(norm);
		toks a, b;
		assert_int_equal(run(&a, text, n, 0), CR_OK);
		char ra[8192];
		snprintf(ra, sizeof ra, "%s", render(&a, 1));
		assert_int_equal(run(&b, norm, strlen(norm), 0), CR_OK);
		if (strcmp(ra, render(&b, 1)))
			fail_msg("round %d: '%s'\n  as is:      %s\n  normalized: %s", round, text, ra, render(&b, 1));
		free(a.v);
		free(b.v);
		free(norm);
	}
}

/* More distinct words than the stem cache holds (it starts over): every
 * stem stays right, before and after the reset. */
static void test_stem_cache_reset(void **st)
{
	size_t n_words = 300000;
	char *text = malloc(n_words * 8 + 1);
	assert_non_null(text);
	size_t n = 0;
	for (size_t i = 0; i < n_words; i++) {
		size_t v = i * 7919 % n_words; /* scattered, all distinct */
		text[n++] = 'q';
		for (int d = 0; d < 4; d++, v /= 26)
			text[n++] = (char)('a' + v % 26);
		text[n++] = 'i', text[n++] = 's';
		text[n++] = ' ';
	}
	struct sb_stemmer *stemmer = sb_stemmer_new("english", "UTF_8");
	for (int pass = 0; pass < 2; pass++) {
		toks ts;
		assert_int_equal(run(&ts, text, n, 0), CR_OK);
		assert_int_equal(ts.n, n_words);
		for (size_t i = 0; i < n_words; i += 997) {
			const sb_symbol *r = sb_stemmer_stem(stemmer, (const sb_symbol *)text + i * 8, 7);
			int rl = sb_stemmer_length(stemmer);
			assert_int_equal(ts.v[i].len == 0, 0);
			assert_int_equal(strlen(ts.v[i].term), (size_t)rl + 1);
			assert_memory_equal(ts.v[i].term + 1, r, (size_t)rl);
		}
		free(ts.v);
	}
	sb_stemmer_delete(stemmer);
	free(text);
}

static void test_normalize(void **st)
{
	cr_buf b;
	cr_buf_init(&b, 0);
	assert_int_equal(cr_text_normalize("ＡＢＣ ｶﾞｲﾄﾞ Straße ①\xff!", strlen("ＡＢＣ ｶﾞｲﾄﾞ Straße ①\xff!"), &b), CR_OK);
	assert_string_equal(b.data, "abc ガイド strasse 1!");
	cr_buf_release(&b);
	cr_buf_init(&b, 4);
	assert_int_equal(cr_text_normalize("abcdefgh", 8, &b), CR_ETOOBIG);
	cr_buf_release(&b);
}

/* Several MB: English, Japanese, and one Japanese run far longer than the
 * analyzer's chunk, whose bigrams must still be contiguous. */
static void test_huge(void **st)
{
	size_t run_chars = 300000;
	size_t cap = 8u << 20;
	char *s = malloc(cap + 16);
	assert_non_null(s);
	size_t o = 0;
	const char *kan[] = {"日", "本", "語", "の", "文", "章", "で", "す"};
	for (size_t i = 0; i < run_chars; i++) {
		memcpy(s + o, kan[i % 8], 3);
		o += 3;
	}
	const char *eng = "The quick brown foxes were jumping over lazy dogs. ";
	const char *ja = "東京都に住んでいる。";
	while (o + 200 < cap) {
		o += (size_t)snprintf(s + o, cap - o, "%s%s", eng, ja);
	}
	toks ts;
	assert_int_equal(run(&ts, s, o, 0), CR_OK);
	size_t nb = 0;
	for (size_t i = 0; i < ts.n && ts.v[i].start < run_chars * 3; i++) {
		if (ts.v[i].term[0] != 'b')
			continue;
		assert_int_equal(ts.v[i].pos, nb);
		assert_int_equal(ts.v[i].start, nb * 3);
		nb++;
	}
	assert_int_equal(nb, run_chars - 1);
	assert_true(ts.n > 1000000);
	assert_true(has(&ts, "wfox"));
	free(ts.v);
	free(s);
}

static void test_jsquad(void **st)
{
	const char *dir = getenv("CR_SHARED_DATA");
	char path[1024];
	snprintf(path, sizeof path, "%s/ja-jsquad/retrieval/corpus.jsonl", dir ? dir : "");
	FILE *f = dir ? fopen(path, "r") : NULL;
	if (!f) {
		print_message("CR_SHARED_DATA/ja-jsquad not available: skipped\n");
		skip();
	}
	char line[65536];
	int docs = 0;
	size_t n_morph = 0, n_bigram = 0;
	while (docs < 200 && fgets(line, sizeof line, f)) {
		toks ts;
		assert_int_equal(run(&ts, line, strlen(line), 0), CR_OK);
		for (size_t i = 0; i < ts.n; i++) {
			n_morph += ts.v[i].flags & CR_TOKEN_OVERLAP ? 1 : 0;
			n_bigram += ts.v[i].term[0] == 'b';
		}
		free(ts.v);
		docs++;
	}
	fclose(f);
	assert_int_equal(docs, 200);
	assert_true(n_morph > 1000 && n_bigram > n_morph);
	/* a JSQuAD-style sentence */
	toks ts;
	analyze(&ts, "梅雨は、北海道と小笠原諸島を除く日本、朝鮮半島南部の気象現象である。", 0);
	assert_true(has(&ts, "w梅雨"));
	assert_true(has(&ts, "w北海道"));
	assert_true(has(&ts, "w除く"));
	assert_true(has(&ts, "w気象"));
	assert_true(has(&ts, "b小笠"));
	assert_false(has(&ts, "wは"));
	free(ts.v);
}

/* Allocation failures: creation fails cleanly with CR_ENOMEM (no leak under
 * ASan); during analysis the stem cache stops growing but every term is
 * still right. */
static void test_alloc_failures(void **st)
{
	for (long k = 1; k < 8; k++) {
		cr_analyzer *a = NULL;
		cr_msg m = {{0}};
		cr_alloc_fail_after(k, 0);
		cr_err e = cr_analyzer_new(NULL, &a, &m);
		cr_alloc_fail_after(0, 0);
		if (e) {
			assert_int_equal(e, CR_ENOMEM);
			assert_null(a);
			assert_true(m.text[0] != 0);
		}
		cr_analyzer_free(a);
	}
	cr_analyzer *a = NULL;
	assert_int_equal(cr_analyzer_new(NULL, &a, NULL), CR_OK);
	char *text = malloc(200000);
	size_t n = 0;
	for (int i = 0; n + 16 < 200000; i++)
		n += (size_t)snprintf(text + n, 200000 - n, "running%dx ", i);
	toks ts;
	memset(&ts, 0, sizeof ts);
	ts.text = text;
	ts.text_len = n;
	cr_alloc_fail_after(1, 1);
	cr_err e = cr_analyze(a, text, n, 0, collect, &ts);
	cr_alloc_fail_after(0, 0);
	assert_int_equal(e, CR_OK);
	assert_string_equal(ts.v[0].term, "wrunning0x");
	assert_string_equal(ts.v[ts.n - 1].term + strlen(ts.v[ts.n - 1].term) - 1, "x");
	free(ts.v);
	free(text);
	cr_analyzer_free(a);
}

/* One analyzer per thread, created concurrently (shared MeCab model, BMP
 * table built once): every thread sees exactly the single-thread tokens. */
typedef struct thr {
	const char *text;
	char out[8192];
	size_t o;
	int ok;
} thr;

/* No cmocka asserts off the main thread: just render. */
static int thr_tok(void *ctx, const cr_token *t)
{
	thr *th = ctx;
	int w = snprintf(th->out + th->o, sizeof th->out - th->o, "%s%.*s@%u", th->o ? " " : "",
			 (int)t->len, t->term, t->pos);
	if (w > 0 && (size_t)w < sizeof th->out - th->o)
		th->o += (size_t)w;
	return 0;
}

static void *thr_main(void *p)
{
	thr *t = p;
	cr_analyzer *a = NULL;
	if (cr_analyzer_new(NULL, &a, NULL) != CR_OK)
		return NULL;
	int ok = 1;
	for (int r = 0; r < 20 && ok; r++) {
		t->o = 0;
		t->out[0] = 0;
		ok = cr_analyze(a, t->text, strlen(t->text), CR_ANALYZE_QUERY, thr_tok, t) == CR_OK;
	}
	cr_analyzer_free(a);
	t->ok = ok;
	return NULL;
}

static void test_threads(void **st)
{
	const char *text = "Kestrelプロジェクトの予算は東京都に住んでいる running studies";
	toks ts;
	analyze(&ts, text, CR_ANALYZE_QUERY);
	const char *want = render(&ts, 1);
	free(ts.v);
	enum { N = 4 };
	pthread_t th[N];
	static thr t[N];
	for (int i = 0; i < N; i++) {
		memset(&t[i], 0, sizeof t[i]);
		t[i].text = text;
		assert_int_equal(pthread_create(&th[i], NULL, thr_main, &t[i]), 0);
	}
	for (int i = 0; i < N; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < N; i++) {
		assert_true(t[i].ok);
		assert_string_equal(t[i].out, want);
	}
}

static int setup(void **st)
{
	cr_msg m = {{0}};
	if (cr_analyzer_new(NULL, &an, &m) != CR_OK) {
		fprintf(stderr, "analyzer: %s\n", m.text);
		return -1;
	}
	return 0;
}

static int teardown(void **st)
{
	cr_analyzer_free(an);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_folding),
		cmocka_unit_test(test_stemming),
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_parts),
		cmocka_unit_test(test_stopwords),
		cmocka_unit_test(test_offsets),
		cmocka_unit_test(test_japanese),
		cmocka_unit_test(test_mixed),
		cmocka_unit_test(test_phrase_positions),
		cmocka_unit_test(test_flags_and_cancel),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_ascii_paths),
		cmocka_unit_test(test_normalization_equivalence),
		cmocka_unit_test(test_stem_cache_reset),
		cmocka_unit_test(test_huge),
		cmocka_unit_test(test_jsquad),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_alloc_failures),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
