/*
 * xlate.c — a question's (or an answer's) words in the other language,
 * from the lexicon (cristal/lexicon.h), so that a Japanese question finds
 * and quotes an English sentence and an English answer's citation of a
 * Japanese source can be checked, without a model.
 *
 * Japanese words come from MeCab's analysis (nouns, verbs and adjectives;
 * verbs and adjectives by their dictionary form, as the index has them;
 * not pronouns, numbers or dependent words); two adjacent nouns are looked
 * up together first (製品仕様), then each alone. English words are looked
 * up as written, then with a plural or past ending taken off, and two
 * adjacent words together (purchase order); months become N月 and N月 its
 * month's name, which no dictionary gives. Each translation becomes an
 * alternative of the term the word gave (cr_termset_add_alt), made of the
 * translation's own content terms after the same analysis: "returned
 * goods" stands for 返品 when "return" or "good" is in the sentence.
 */
#include <string.h>

#include "answer_int.h"
#include "cristal/lexicon.h"

#define PER_WORD 3   /* translations used per Japanese word (its glosses, most central first) */
#define PER_EN_WORD 8 /* per English word: its headwords come in file order, not by centrality */
#define MAX_WORDS 64 /* words of a text looked up */

int cr_ans_is_ja(const char *s, size_t n)
{
	size_t ja = 0, latin = 0;
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x80) {
			latin += (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
			i++;
			continue;
		}
		uint32_t cp;
		int l = cr_utf8_decode((const uint8_t *)s + i, n - i, &cp);
		if (!l) {
			i++;
			continue;
		}
		ja += (cp >= 0x3040 && cp <= 0x30ff) || (cp >= 0x4e00 && cp <= 0x9fff);
		i += (size_t)l;
	}
	return ja && 4 * ja >= latin;
}

typedef struct xctx {
	cr_analyzer *an;
	const cr_termset *stop;
	cr_termset *t;
	cr_buf *query;
	const cr_lexicon *lx, *gl; /* the word list and the company's glossary (either may be NULL) */
	cr_arena *a;
	/* content terms of one translation */
	const char *terms[16];
	uint32_t lens[16];
	uint32_t n;
	cr_err err;
} xctx;

static int on_alt_token(void *ctx, const cr_token *tk)
{
	xctx *x = ctx;
	if (x->n >= CR_ARRAY_LEN(x->terms) || tk->len < 2)
		return 0;
	if (tk->term[0] != 'w' && tk->term[0] != 'b')
		return 0;
	if (x->stop && cr_termset_get(x->stop, tk->term, tk->len) > 0)
		return 0;
	char *c = cr_arena_memdup(x->a, tk->term, tk->len);
	if (!c) {
		x->err = CR_ENOMEM;
		return 1;
	}
	x->terms[x->n] = c;
	x->lens[x->n++] = tk->len;
	return 0;
}

/* The content terms of a translation, as alternatives of `of`: its words
 * and morphemes, or its bigrams when it has no morpheme (a kanji word
 * MeCab does not know). */
static cr_err add_translation(xctx *x, const char *of, const char *tr, int to_query)
{
	x->n = 0;
	cr_err e = cr_analyze(x->an, tr, strlen(tr), CR_ANALYZE_QUERY, on_alt_token, x);
	if (x->err)
		return x->err;
	if (e)
		return e;
	const char *terms[16];
	uint32_t lens[16], n = 0, words = 0;
	for (uint32_t i = 0; i < x->n; i++)
		words += x->terms[i][0] == 'w';
	for (uint32_t i = 0; i < x->n; i++)
		if (x->terms[i][0] == 'w' || !words)
			terms[n] = x->terms[i], lens[n++] = x->lens[i];
	if (!n)
		return CR_OK;
	e = cr_termset_add_alt(x->t, of, terms, lens, n);
	if (!e && x->query && to_query) {
		e = cr_buf_addc(x->query, ' ');
		if (!e)
			e = cr_buf_adds(x->query, tr);
	}
	return e;
}

/* The set's key for an English word's stem, as the analyzer makes it;
 * NULL when the set has none or the word is more than one term. */
static const char *stem_key(xctx *x, const char *word, size_t len)
{
	x->n = 0;
	if (cr_analyze(x->an, word, len, CR_ANALYZE_QUERY, on_alt_token, x) || x->n != 1)
		return NULL;
	return cr_termset_key(x->t, x->terms[0], x->lens[0]);
}

/* The set's key for a word as the analyzer gives it ('w' + its form), or
 * NULL when the text's terms do not have it (a function word). */
static const char *key_of(xctx *x, const char *word, size_t len)
{
	cr_buf b;
	cr_buf_init(&b, 0);
	const char *k = NULL;
	if (!cr_buf_addc(&b, 'w') && !cr_text_normalize(word, len, &b) && b.len > 1)
		k = cr_termset_key(x->t, b.data, (uint32_t)b.len);
	cr_buf_release(&b);
	return k ? k : stem_key(x, word, len);
}

/* Up to max translations of a word: the glossary's first, then the word
 * list's that the glossary did not give. */
static size_t lookup(const xctx *x, cr_lex_dir dir, const char *w, size_t n, const char **out, size_t max)
{
	const char *more[PER_EN_WORD];
	if (max > PER_EN_WORD)
		max = PER_EN_WORD;
	size_t k = cr_lexicon_lookup(x->gl, dir, w, n, out, max);
	size_t m = k < max ? cr_lexicon_lookup(x->lx, dir, w, n, more, max) : 0;
	for (size_t i = 0; i < m && k < max; i++) {
		size_t j = 0;
		while (j < k && strcmp(out[j], more[i]))
			j++;
		if (j == k)
			out[k++] = more[i];
	}
	return k;
}

/* Looks a word up and adds its translations to each of the n terms in
 * of[] (NULLs skipped). Returns how many translations it found. */
static size_t look_keys(xctx *x, cr_lex_dir dir, const char *w, size_t n, const char *const *of, size_t n_of)
{
	const char *tr[PER_EN_WORD];
	size_t k = lookup(x, dir, w, n, tr, dir == CR_LEX_JA_EN ? PER_WORD : PER_EN_WORD);
	for (size_t i = 0; i < k && !x->err; i++)
		for (size_t j = 0; j < n_of && !x->err; j++)
			if (of[j])
				x->err = add_translation(x, of[j], tr[i], j == 0);
	return k;
}

static size_t look(xctx *x, cr_lex_dir dir, const char *w, size_t n, const char *of1, const char *of2)
{
	const char *of[2] = {of1, of2};
	return look_keys(x, dir, w, n, of, 2);
}

static const char *const months[] = {"january", "february", "march",     "april",   "may",      "june",
				      "july",    "august",   "september", "october", "november", "december"};

/* 1 to 12 for a month's English name (lower case; "may" too: a question's
 * modal "may" is a function word and never gets here), else 0. */
static int month_of(const char *w)
{
	for (int m = 0; m < 12; m++)
		if (!strcmp(w, months[m]))
			return m + 1;
	return 0;
}

/* ---- Japanese ---------------------------------------------------------- */

typedef struct jword {
	uint32_t start, end;
	char form[64]; /* dictionary form (verbs, adjectives) or surface */
	int noun;
} jword;

typedef struct jbigram {
	const char *key; /* the set's key */
	uint32_t start, end;
} jbigram;

typedef struct jctx {
	const char *text;
	jword w[MAX_WORDS];
	size_t n;
	const cr_termset *t;
	jbigram b[4 * MAX_WORDS];
	size_t nb;
} jctx;

/* The text's kanji and katakana bigrams that are terms of the set. */
static int on_jbigram(void *ctx, const cr_token *tk)
{
	jctx *j = ctx;
	if (tk->term[0] != 'b' || j->nb >= CR_ARRAY_LEN(j->b))
		return 0;
	const char *k = cr_termset_key(j->t, tk->term, tk->len);
	if (k)
		j->b[j->nb++] = (jbigram){k, tk->start, tk->end};
	return 0;
}

/* A word's key, then the keys of the bigrams inside bytes [start, end)
 * (返品: b返品), into of[]. A bigram across two words (b品率 of 返品率)
 * gets no translation: in the other language it is as unmatched as it is
 * in a sentence of the same language that words it differently. */
static size_t word_keys(const jctx *j, const char *key, uint32_t start, uint32_t end, const char **of, size_t max)
{
	size_t n = 0;
	of[n++] = key;
	for (size_t i = 0; i < j->nb && n < max; i++)
		if (j->b[i].start >= start && j->b[i].end <= end)
			of[n++] = j->b[i].key;
	return n;
}

static int has_japanese(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0xe3 && (unsigned char)s[i] <= 0xe9)
			return 1;
	return 0;
}

static int on_jmorph(void *ctx, const cr_text_morph *mo)
{
	jctx *j = ctx;
	const char *f = mo->feature;
	size_t sl = mo->end - mo->start;
	int noun = !strncmp(f, "名詞,", strlen("名詞,"));
	int verb = !strncmp(f, "動詞,自立", strlen("動詞,自立")) || !strncmp(f, "形容詞,自立", strlen("形容詞,自立"));
	if (noun) {
		size_t l;
		const char *sub = cr_text_feature(f, 1, &l);
		/* 代名詞 (何, これ), 数 (三), 非自立 (こと), 接尾 (的, 率 as a suffix is kept below) */
		if (sub && ((l == strlen("代名詞") && !memcmp(sub, "代名詞", l)) ||
			    (l == strlen("数") && !memcmp(sub, "数", l)) ||
			    (l == strlen("非自立") && !memcmp(sub, "非自立", l))))
			noun = 0;
	}
	if ((!noun && !verb) || !has_japanese(j->text + mo->start, sl) || j->n >= MAX_WORDS)
		return 0;
	jword *w = &j->w[j->n];
	const char *form = j->text + mo->start;
	size_t fl = sl;
	if (verb) {
		size_t bl;
		const char *b = cr_text_feature(f, 6, &bl);
		if (b && bl && !(bl == 1 && *b == '*'))
			form = b, fl = bl;
	}
	if (fl >= sizeof w->form)
		return 0;
	memcpy(w->form, form, fl);
	w->form[fl] = 0;
	w->start = mo->start, w->end = mo->end;
	w->noun = noun;
	j->n++;
	return 0;
}

static cr_err japanese_words(xctx *x, const char *text, size_t len)
{
	jctx *j = cr_arena_zalloc(x->a, sizeof *j);
	if (!j)
		return CR_ENOMEM;
	j->text = text;
	j->t = x->t;
	if (cr_text_morphs(x->an, text, len, on_jmorph, j, NULL))
		return CR_OK; /* no dictionary: no Japanese words to translate */
	if (j->n && cr_analyze(x->an, text, len, CR_ANALYZE_QUERY, on_jbigram, j))
		return CR_OK;
	const char *of[16];
	/* N月 (a number, then 月): the month's English name, for the 月 */
	for (size_t i = 0; i + 1 < len && !x->err; i++) {
		if (text[i] < '0' || text[i] > '9' || (i > 0 && text[i - 1] >= '0' && text[i - 1] <= '9'))
			continue;
		size_t d = i;
		int mo = 0;
		while (d < len && text[d] >= '0' && text[d] <= '9' && mo < 100)
			mo = mo * 10 + (text[d++] - '0');
		const char *key = mo >= 1 && mo <= 12 && d + 3 <= len && !memcmp(text + d, "月", 3) ? key_of(x, "月", 3) : NULL;
		if (key)
			x->err = add_translation(x, key, months[mo - 1], 1);
	}
	for (size_t i = 0; i < j->n && !x->err; i++) {
		const jword *w = &j->w[i];
		const char *key = key_of(x, w->form, strlen(w->form));
		if (i + 1 < j->n && w->noun && j->w[i + 1].noun && j->w[i + 1].start == w->end) {
			/* two nouns in a row: 製品 + 仕様 */
			const jword *w2 = &j->w[i + 1];
			char pair[128];
			int pl = snprintf(pair, sizeof pair, "%s%s", w->form, w2->form);
			const char *key2 = key_of(x, w2->form, strlen(w2->form));
			size_t n_of = word_keys(j, key ? key : key2, w->start, w2->end, of, CR_ARRAY_LEN(of) - 1);
			if (key && key2)
				of[n_of++] = key2;
			if (pl > 0 && (size_t)pl < sizeof pair && (key || key2) &&
			    look_keys(x, CR_LEX_JA_EN, pair, (size_t)pl, of, n_of)) {
				i++;
				continue;
			}
		}
		if (key)
			look_keys(x, CR_LEX_JA_EN, w->form, strlen(w->form), of,
				  word_keys(j, key, w->start, w->end, of, CR_ARRAY_LEN(of)));
	}
	return x->err;
}

/* ---- English ----------------------------------------------------------- */

/* Looks up an English word as written, then without a plural or past
 * ending (documents, submitted, approved, policies). */
static size_t look_english(xctx *x, const char *w, size_t n, const char *of)
{
	size_t k = look(x, CR_LEX_EN_JA, w, n, of, NULL);
	char v[64];
	if (k || n < 4 || n >= sizeof v)
		return k;
	memcpy(v, w, n);
	if (n > 4 && !memcmp(w + n - 3, "ies", 3)) { /* policies -> policy */
		memcpy(v + n - 3, "y", 1);
		return look(x, CR_LEX_EN_JA, v, n - 2, of, NULL);
	}
	if (w[n - 1] == 's' && w[n - 2] != 's')
		return look(x, CR_LEX_EN_JA, w, n - 1, of, NULL);
	if (!memcmp(w + n - 2, "ed", 2)) {
		k = look(x, CR_LEX_EN_JA, w, n - 1, of, NULL); /* approved -> approve */
		if (!k && n > 5 && w[n - 3] == w[n - 4])
			k = look(x, CR_LEX_EN_JA, w, n - 3, of, NULL); /* submitted -> submit */
		if (!k)
			k = look(x, CR_LEX_EN_JA, w, n - 2, of, NULL); /* signed -> sign */
	}
	return k;
}

/*
 * The word's relatives with the same stem (the same term to search):
 * additional -> addition, propose -> proposal, promotion -> promote,
 * hiring -> hire. The lexicon keys glosses as EDICT writes them, mostly
 * as nouns, so a question's adjective or verb finds its noun's headword
 * (追加, 提案). Each relative is looked up after the word's own entries.
 */
static void look_relatives(xctx *x, const char *w, size_t n, const char *of, size_t have)
{
	/* endings taken off; of them, those put on are the first PUT_ON
	 * (boarding, boarder are other words than board) */
	enum { PUT_ON = 6 };
	static const char *const sfx[] = {"", "e", "al", "ion", "ation", "ment", "ional", "ing", "er", "or"};
	char root[64], v[80];
	if (n < 4 || n >= sizeof root)
		return;
	for (size_t r = 0; r < CR_ARRAY_LEN(sfx) && have < PER_EN_WORD && !x->err; r++) {
		size_t sl = strlen(sfx[r]);
		if (n < sl + 3 || memcmp(w + n - sl, sfx[r], sl))
			continue;
		size_t rl = n - sl;
		memcpy(root, w, rl);
		for (size_t t = 0; t < PUT_ON && have < PER_EN_WORD && !x->err; t++) {
			int vl = snprintf(v, sizeof v, "%.*s%s", (int)rl, root, sfx[t]);
			if (vl <= 0 || (size_t)vl >= sizeof v || ((size_t)vl == n && !memcmp(v, w, n)) ||
			    stem_key(x, v, (size_t)vl) != of || x->err) /* additional, addition: "addit" */
				continue;
			const char *tr[PER_EN_WORD];
			size_t k = lookup(x, CR_LEX_EN_JA, v, (size_t)vl, tr, PER_EN_WORD - have);
			for (size_t i = 0; i < k && !x->err; i++)
				x->err = add_translation(x, of, tr[i], 1);
			have += k;
		}
	}
}

static int alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Q1 to Q4 are 第1四半期 to 第4四半期, for the term q3 and its part q. */
static void quarters(xctx *x, const char *text, size_t len)
{
	for (size_t i = 0; i + 1 < len && !x->err; i++) {
		if ((text[i] != 'Q' && text[i] != 'q') || text[i + 1] < '1' || text[i + 1] > '4' ||
		    (i > 0 && alnum(text[i - 1])) || (i + 2 < len && alnum(text[i + 2])))
			continue;
		char q[3] = {'q', text[i + 1], 0}, ja[32];
		snprintf(ja, sizeof ja, "第%c四半期", text[i + 1]);
		const char *of[2] = {key_of(x, q, 2), key_of(x, "q", 1)};
		for (size_t k = 0; k < 2 && !x->err; k++)
			if (of[k])
				x->err = add_translation(x, of[k], ja, k == 0);
	}
}

static cr_err english_words(xctx *x, const char *text, size_t len)
{
	quarters(x, text, len);
	char words[MAX_WORDS][48];
	const char *keys[MAX_WORDS];
	size_t n = 0;
	for (size_t i = 0; i < len && n < MAX_WORDS;) {
		unsigned char c = (unsigned char)text[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
			i++;
			continue;
		}
		size_t s = i, l = 0;
		while (i < len && (((c = (unsigned char)text[i]) >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-')) {
			if (l + 1 < sizeof words[0])
				words[n][l++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
			i++;
		}
		words[n][l] = 0;
		if (l >= 2 && l + 1 < sizeof words[0]) {
			keys[n] = key_of(x, text + s, i - s);
			n++;
		}
	}
	for (size_t i = 0; i < n && !x->err; i++) {
		if (!keys[i])
			continue; /* a function word */
		/* a month is a number in Japanese: September is 9月 */
		int mo = month_of(words[i]);
		if (mo) {
			char ja[16];
			snprintf(ja, sizeof ja, "%d月", mo);
			x->err = add_translation(x, keys[i], ja, 1);
			continue;
		}
		if (i + 1 < n && keys[i + 1]) {
			char pair[100];
			int pl = snprintf(pair, sizeof pair, "%s %s", words[i], words[i + 1]);
			if (pl > 0 && (size_t)pl < sizeof pair &&
			    look(x, CR_LEX_EN_JA, pair, (size_t)pl, keys[i], keys[i + 1])) {
				i++;
				continue;
			}
		}
		size_t k = look_english(x, words[i], strlen(words[i]), keys[i]);
		look_relatives(x, words[i], strlen(words[i]), keys[i], k);
	}
	return x->err;
}

/* The words of text both languages write alike, for the search in the
 * other language: those with a digit (ISO 10218, KR-5) or a capital after
 * the first word (Northwind, CFO), and every Latin word of a Japanese
 * text (Hokuto Motors). */
typedef struct swctx {
	cr_buf *q;
	int ja;
	cr_err err;
} swctx;

static int on_shared(void *ctx, const char *w, size_t n, int first, int cap, int digit)
{
	swctx *x = ctx;
	if (x->ja || digit || (cap && !first)) {
		x->err = cr_buf_addc(x->q, ' ');
		if (!x->err)
			x->err = cr_buf_add(x->q, w, n);
	}
	return x->err != CR_OK;
}

static cr_err shared_words(const char *text, size_t len, cr_buf *q)
{
	swctx x = {q, cr_ans_is_ja(text, len), CR_OK};
	cr_ans_latin_words(text, len, on_shared, &x);
	return x.err;
}

cr_err cr_ans_translate(cr_analyzer *an, const cr_termset *stop, const char *text, size_t len, cr_termset *t,
			cr_buf *query)
{
	const cr_lexicon *lx = cr_lexicon_default(), *gl = cr_lexicon_glossary();
	if (!lx && !gl)
		return CR_ENOTFOUND;
	xctx x = {.an = an, .stop = stop, .t = t, .query = query, .lx = lx, .gl = gl, .a = t->a};
	cr_err e = japanese_words(&x, text, len);
	if (!e)
		e = english_words(&x, text, len);
	if (!e && query)
		e = shared_words(text, len, query);
	return e;
}
