/* terms.c — content terms and stated numbers of a text, as sets. */
#include <string.h>

#include "answer_int.h"

void cr_termset_init(cr_termset *s, cr_arena *a)
{
	memset(s, 0, sizeof *s);
	s->a = a;
}

static size_t slot(const cr_termset *s, const char *t, uint32_t len)
{
	size_t i = cr_hash64(t, len, 0x7465726d) & (s->cap - 1);
	while (s->keys[i] && !(s->lens[i] == len && !memcmp(s->keys[i], t, len)))
		i = (i + 1) & (s->cap - 1);
	return i;
}

static cr_err grow(cr_termset *s)
{
	size_t cap = s->cap ? s->cap * 2 : 64;
	const char **keys = cr_arena_zalloc(s->a, cap * sizeof *keys);
	uint32_t *lens = cr_arena_zalloc(s->a, cap * sizeof *lens);
	float *weights = cr_arena_zalloc(s->a, cap * sizeof *weights);
	if (!keys || !lens || !weights)
		return CR_ENOMEM;
	cr_termset o = *s;
	s->keys = keys, s->lens = lens, s->weights = weights, s->cap = cap;
	for (size_t i = 0; i < o.cap; i++)
		if (o.keys[i]) {
			size_t j = slot(s, o.keys[i], o.lens[i]);
			s->keys[j] = o.keys[i], s->lens[j] = o.lens[i], s->weights[j] = o.weights[i];
		}
	return CR_OK;
}

cr_err cr_termset_add(cr_termset *s, const char *t, uint32_t len, float w)
{
	if ((s->n + 1) * 2 > s->cap) {
		cr_err e = grow(s);
		if (e)
			return e;
	}
	size_t i = slot(s, t, len);
	if (s->keys[i]) {
		if (w > s->weights[i])
			s->weights[i] = w;
		return CR_OK;
	}
	char *k = cr_arena_memdup(s->a, t, len);
	if (!k)
		return CR_ENOMEM;
	s->keys[i] = k, s->lens[i] = len, s->weights[i] = w;
	s->n++;
	return CR_OK;
}

float cr_termset_get(const cr_termset *s, const char *t, uint32_t len)
{
	if (!s->cap)
		return 0;
	size_t i = slot(s, t, len);
	return s->keys[i] ? s->weights[i] : 0;
}

const char *cr_termset_key(const cr_termset *s, const char *t, uint32_t len)
{
	if (!s->cap)
		return NULL;
	return s->keys[slot(s, t, len)];
}

cr_err cr_termset_add_alt(cr_termset *s, const char *of, const char *const *terms, const uint32_t *lens,
			  uint32_t n)
{
	if (!n)
		return CR_OK;
	if (s->n_alts == s->cap_alts) {
		size_t cap = s->cap_alts ? s->cap_alts * 2 : 16;
		cr_alt *v = cr_arena_alloc(s->a, cap * sizeof *v);
		if (!v)
			return CR_ENOMEM;
		if (s->n_alts)
			memcpy(v, s->alts, s->n_alts * sizeof *v);
		s->alts = v, s->cap_alts = cap;
	}
	cr_alt *al = &s->alts[s->n_alts];
	al->of = of;
	al->n = n;
	al->terms = cr_arena_alloc(s->a, n * sizeof *al->terms);
	al->lens = cr_arena_alloc(s->a, n * sizeof *al->lens);
	if (!al->terms || !al->lens)
		return CR_ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		al->terms[i] = cr_arena_memdup(s->a, terms[i], lens[i]);
		al->lens[i] = lens[i];
		if (!al->terms[i])
			return CR_ENOMEM;
	}
	s->n_alts++;
	return CR_OK;
}

/* Whether a translation of key (a key of t) is in `in`. */
static int alt_in(const cr_termset *t, const char *key, const cr_termset *in)
{
	for (size_t i = 0; i < t->n_alts; i++) {
		const cr_alt *al = &t->alts[i];
		if (al->of != key)
			continue;
		uint32_t got = 0;
		for (uint32_t j = 0; j < al->n; j++)
			got += cr_termset_get(in, al->terms[j], al->lens[j]) > 0;
		if (2 * got >= al->n)
			return 1;
	}
	return 0;
}

int cr_termset_covers_other(const cr_termset *t, const cr_termset *in, const cr_termset *except)
{
	int others = 0;
	for (size_t i = 0; i < t->cap; i++) {
		if (!t->keys[i] || t->keys[i][0] != 'w' || cr_termset_get(except, t->keys[i], t->lens[i]) > 0)
			continue;
		others = 1;
		if (cr_termset_get(in, t->keys[i], t->lens[i]) > 0 || (t->n_alts && alt_in(t, t->keys[i], in)))
			return 1;
	}
	return !others;
}

/* ---- names ------------------------------------------------------------- */

typedef struct nctx {
	cr_analyzer *an;
	const char *text;
	cr_termset *out;
	cr_err err;
} nctx;

static int on_name_token(void *ctx, const cr_token *t)
{
	nctx *x = ctx;
	if (t->term[0] == 'w' && (x->err = cr_termset_add(x->out, t->term, t->len, 1.0f)))
		return 1;
	return 0;
}

static int on_name_morph(void *ctx, const cr_text_morph *mo)
{
	nctx *x = ctx;
	if (strncmp(mo->feature, "名詞,固有名詞,", strlen("名詞,固有名詞,")))
		return 0;
	cr_buf b;
	cr_buf_init(&b, 0);
	if (!(x->err = cr_buf_addc(&b, 'w')) && !(x->err = cr_text_normalize(x->text + mo->start, mo->end - mo->start, &b)))
		x->err = cr_termset_add(x->out, b.data, (uint32_t)b.len, 1.0f);
	cr_buf_release(&b);
	return x->err != CR_OK;
}

int cr_ans_latin_words(const char *text, size_t len, cr_ans_word_fn fn, void *ctx)
{
	int first = 1;
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)text[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
			i++;
			continue;
		}
		size_t s = i;
		int cap = 0, digit = 0;
		while (i < len && (((c = (unsigned char)text[i]) >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				   (c >= '0' && c <= '9') || c == '-')) {
			cap |= c >= 'A' && c <= 'Z';
			digit |= c >= '0' && c <= '9';
			i++;
		}
		int r = fn(ctx, text + s, i - s, first, cap, digit);
		if (r)
			return r;
		first = 0;
	}
	return 0;
}

static int on_name_word(void *ctx, const char *w, size_t n, int first, int cap, int digit)
{
	nctx *x = ctx;
	if ((cap && !first) || digit) {
		cr_err e = cr_analyze(x->an, w, n, CR_ANALYZE_QUERY, on_name_token, x);
		if (!x->err)
			x->err = e == CR_ECANCELED ? CR_OK : e;
	}
	return x->err != CR_OK;
}

cr_err cr_ans_names(cr_analyzer *an, const char *text, size_t len, cr_termset *out)
{
	nctx x = {an, text, out, CR_OK};
	/* English: capitalised words after the first, and codes with a digit */
	cr_ans_latin_words(text, len, on_name_word, &x);
	/* Japanese: MeCab's proper nouns (固有名詞); none without a dictionary */
	if (!x.err && cr_text_morphs(an, text, len, on_name_morph, &x, NULL) && x.err)
		return x.err;
	return x.err;
}

static int has(const cr_termset *t, size_t i, const cr_termset *in)
{
	return in && (cr_termset_get(in, t->keys[i], t->lens[i]) > 0 || (t->n_alts && alt_in(t, t->keys[i], in)));
}

int cr_termset_holds(const cr_termset *t, const char *key, uint32_t len, const cr_termset *in)
{
	if (cr_termset_get(in, key, len) > 0)
		return 1;
	const char *k = t->n_alts ? cr_termset_key(t, key, len) : NULL;
	return k && alt_in(t, k, in);
}

float cr_termset_coverage_ctx(const cr_termset *t, const cr_termset *in, const cr_termset *ctx, float ctx_w)
{
	float total = 0, got = 0;
	for (size_t i = 0; i < t->cap; i++)
		if (t->keys[i]) {
			total += t->weights[i];
			got += has(t, i, in) ? t->weights[i] : has(t, i, ctx) ? ctx_w * t->weights[i] : 0;
		}
	return total > 0 ? got / total : 0;
}

float cr_termset_coverage(const cr_termset *t, const cr_termset *in, float *total_out)
{
	float total = 0, got = 0;
	for (size_t i = 0; i < t->cap; i++)
		if (t->keys[i]) {
			total += t->weights[i];
			if (has(t, i, in))
				got += t->weights[i];
		}
	if (total_out)
		*total_out = total;
	return total > 0 ? got / total : 0;
}

/*
 * Function words: what a question or a sentence says besides its subject.
 * Analyzed with the caller's analyzer (cr_ans_stopwords), so they match
 * the stemmed and segmented terms of the text exactly.
 */
static const char function_words[] =
	"what who whom whose when where which how why is are was were be been being am do does did "
	"has have had can could will would should shall may might must of to in on at for by with from "
	"and or it its this that these those there here i we you he she they our your their tell me us "
	"about any so not no please give show list "
	"何 なに いつ 誰 だれ どこ どれ どの どう なぜ いくら いくつ どちら どなた "
	"する ある いる なる れる られる こと もの 教え ください です ます でし ましょう か の は が を に で と も "
	"ですか ますか でしょうか ありますか いますか したか";

cr_err cr_ans_stopwords(cr_analyzer *an, cr_termset *out)
{
	return cr_ans_terms(an, function_words, sizeof function_words - 1, 0, NULL, out, NULL);
}

/* A bigram with hiragana (particles, inflections: "の際", "則は") or a
 * symbol in it says little that the morphemes do not: only bigrams of
 * kanji, katakana and letters count. */
static int bigram_says_much(const char *s, uint32_t n)
{
	for (uint32_t i = 0; i < n;) {
		uint32_t cp;
		int l = cr_utf8_decode((const uint8_t *)s + i, n - i, &cp);
		if (!l)
			return 0;
		if ((cp >= 0x3040 && cp <= 0x309f) || (cp >= 0x3000 && cp <= 0x303f) || (cp >= 0xff00 && cp <= 0xff0f) ||
		    cp < 0x30)
			return 0;
		i += (uint32_t)l;
	}
	return 1;
}

typedef struct tctx {
	const cr_termset *stop;
	cr_termset *terms, *numbers;
	cr_err err;
} tctx;

static int on_token(void *ctx, const cr_token *t)
{
	tctx *x = ctx;
	if (t->len < 2)
		return 0;
	const char *s = t->term + 1;
	uint32_t n = t->len - 1;
	if (x->numbers && t->term[0] == 'w' && !(t->flags & CR_TOKEN_OVERLAP)) {
		/* a number: digits with . and , inside (normalized already) */
		char dig[64];
		uint32_t nd = 0, other = 0;
		for (uint32_t i = 0; i < n; i++) {
			if (s[i] >= '0' && s[i] <= '9') {
				if (nd < sizeof dig)
					dig[nd++] = s[i];
			} else if (s[i] != ',' && s[i] != '.')
				other++;
		}
		if (nd && !other) {
			/* "2026-02-18" arrives as 2026, 02, 18: leading zeros go */
			uint32_t z = 0;
			while (z + 1 < nd && dig[z] == '0')
				z++;
			if ((x->err = cr_termset_add(x->numbers, dig + z, nd - z, 1.0f)))
				return 1;
		}
	}
	if (t->term[0] == 'b' && !bigram_says_much(s, n))
		return 0;
	if (x->terms && !(x->stop && cr_termset_get(x->stop, t->term, t->len) > 0)) {
		float w = t->term[0] == 'b' ? 0.5f : 1.0f;
		if ((x->err = cr_termset_add(x->terms, t->term, t->len, w)))
			return 1;
	}
	return 0;
}

void cr_termset_remove(cr_termset *s, const char *t, uint32_t len)
{
	if (!s->cap)
		return;
	size_t i = slot(s, t, len);
	if (!s->keys[i])
		return;
	s->keys[i] = NULL;
	s->n--;
	/* linear probing: the entries after it in its run are placed again */
	for (size_t j = (i + 1) & (s->cap - 1); s->keys[j]; j = (j + 1) & (s->cap - 1)) {
		const char *k = s->keys[j];
		uint32_t l = s->lens[j];
		float w = s->weights[j];
		s->keys[j] = NULL;
		size_t to = slot(s, k, l);
		s->keys[to] = k, s->lens[to] = l, s->weights[to] = w;
	}
}

/* The digits of the number at p (digits, ',' and '.' inside), into dig
 * (leading zeros gone, as on_token keeps them); its value in *v. Returns
 * the bytes read, 0 if p holds no number. */
static size_t read_number(const char *p, size_t n, char *dig, size_t cap, size_t *nd, double *v)
{
	size_t i = 0, k = 0;
	double val = 0, scale = 0;
	while (i < n && ((p[i] >= '0' && p[i] <= '9') ||
			 ((p[i] == ',' || p[i] == '.') && i > 0 && i + 1 < n && p[i + 1] >= '0' && p[i + 1] <= '9'))) {
		if (p[i] == '.')
			scale = 1;
		else if (p[i] != ',') {
			if (k + 1 < cap && !(k == 0 && p[i] == '0' && i + 1 < n && p[i + 1] >= '0' && p[i + 1] <= '9'))
				dig[k++] = p[i];
			if (scale)
				scale *= 10, val += (p[i] - '0') / scale;
			else
				val = val * 10 + (p[i] - '0');
		}
		i++;
	}
	*nd = k;
	*v = val;
	return k ? i : 0;
}

/* The multiplier word at p (億 万 千, billion million thousand), its
 * bytes in *l; 0 when none. */
static double multiplier(const char *p, size_t n, size_t *l)
{
	static const struct {
		const char *w;
		double m;
	} units[] = {{"億", 1e8}, {"万", 1e4}, {"千", 1e3}, {" billion", 1e9}, {" million", 1e6}, {" thousand", 1e3},
		     {"billion", 1e9}, {"million", 1e6}};
	for (size_t i = 0; i < CR_ARRAY_LEN(units); i++) {
		size_t ul = strlen(units[i].w);
		if (n >= ul && !memcmp(p, units[i].w, ul)) {
			*l = ul;
			return units[i].m;
		}
	}
	return 0;
}

/*
 * Numbers written with a multiplier — 420万, 7万5千, 1億2000万, 4.2 million —
 * count as their value (4200000, 75000, 120000000, 4200000), with the
 * digits as written as its alternatives (each one alone stands for it),
 * not as numbers of their own: "約420万円" and "JPY 4,200,000" state the
 * same figure, and "210000 thousand yen" the one a "JPY thousand" column
 * says 210000. Read on the normalized text
 * (full-width digits are ASCII, letters lower case).
 */
static cr_err multiplied(const char *text, size_t len, cr_termset *numbers)
{
	cr_buf b;
	cr_buf_init(&b, 0);
	cr_err e = cr_text_normalize(text, len, &b);
	const char *p = b.data ? b.data : "";
	size_t n = b.len;
	for (size_t i = 0; i < n && !e;) {
		char dig[64];
		size_t nd, ul;
		double v, m;
		size_t r = (i == 0 || !(p[i - 1] >= '0' && p[i - 1] <= '9')) ? read_number(p + i, n - i, dig, sizeof dig, &nd, &v) : 0;
		if (!r || !(m = multiplier(p + i + r, n - i - r, &ul))) {
			i += r ? r : 1;
			continue;
		}
		/* a chain of them: 1億2000万, 7万5千, and a plain tail after 万: 1万2000 */
		double total = 0, last = 1e30;
		size_t j = i;
		char parts[4][64];
		const char *pk[4];
		uint32_t pl[4], np = 0;
		while (j < n) {
			char d2[64];
			size_t n2, u2 = 0;
			double v2, m2;
			size_t r2 = read_number(p + j, n - j, d2, sizeof d2, &n2, &v2);
			if (!r2)
				break;
			m2 = multiplier(p + j + r2, n - j - r2, &u2);
			int part = (m2 && m2 < last) || (!m2 && last >= 1e4 && last < 1e30 && v2 < last);
			if (!part)
				break;
			total += m2 ? v2 * m2 : v2; /* 7万5千; 1万2000 */
			last = m2 ? m2 : 1;
			cr_termset_remove(numbers, d2, (uint32_t)n2);
			if (np < 4) {
				memcpy(parts[np], d2, n2);
				pk[np] = parts[np], pl[np] = (uint32_t)n2, np++;
			}
			j += r2 + (m2 ? u2 : 0);
			if (!m2)
				break;
		}
		if (total >= 1 && total < 1e15 && total == (double)(long long)total) {
			char out[32];
			int ol = snprintf(out, sizeof out, "%lld", (long long)total);
			e = cr_termset_add(numbers, out, (uint32_t)ol, 1.0f);
			/* its digits as written stand for it too: "210000 thousand
			 * yen" is stated by a table whose header says "JPY thousand" */
			const char *key = e ? NULL : cr_termset_key(numbers, out, (uint32_t)ol);
			for (uint32_t q = 0; key && q < np && !e; q++)
				e = cr_termset_add_alt(numbers, key, &pk[q], &pl[q], 1);
		}
		i = j > i ? j : i + 1;
	}
	cr_buf_release(&b);
	return e;
}

static const char PERCENT[] = "percent percentage パーセント";

static int has_percent(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '%' || (i + 3 <= n && !memcmp(s + i, "\xef\xbc\x85", 3))) /* or U+FF05 */
			return 1;
	return 0;
}

cr_err cr_ans_terms(cr_analyzer *an, const char *text, size_t len, int flags, const cr_termset *stop,
		    cr_termset *terms, cr_termset *numbers)
{
	tctx x = {stop, terms, numbers, CR_OK};
	cr_err e = cr_analyze(an, text, len, flags, on_token, &x);
	/* "%" is a word in either language: 3% says percent and パーセント */
	if (!e && !x.err && terms && has_percent(text, len)) {
		x.numbers = NULL;
		e = cr_analyze(an, PERCENT, sizeof PERCENT - 1, flags, on_token, &x);
		x.numbers = numbers;
	}
	if (x.err)
		return x.err;
	if (!e && numbers)
		e = multiplied(text, len, numbers);
	return e;
}
