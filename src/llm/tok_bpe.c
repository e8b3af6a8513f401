/*
 * tok_bpe.c — byte-level BPE (tokenizer.ggml.model = "gpt2"), as llama.cpp's
 * llm_tokenizer_bpe_session with unicode_regex_split:
 *
 *  1. the fragment is decoded to code points (invalid bytes become U+FFFD)
 *     and split into words by the pre-tokenizer that tokenizer.ggml.pre
 *     names. The regexes are not run by a regex engine: like llama.cpp's
 *     custom splitters, each is a hand-written scanner over Unicode
 *     categories (tok_unicode.c):
 *       gpt2    's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 *       llama3  (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
 *               ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 *       qwen2   the llama3 expression with \p{N} (one digit) for \p{N}{1,3}
 *       default [\p{P}\$\+<=>\^~\|]+, then gpt2, then \p{N}+, then [0-9]{3},
 *               each splitting the pieces of the one before
 *       deepseek-llm  [\r\n], then \s?[letters]+, then \s?[punctuation]+, then
 *               \s+$, then [CJK]+, then \p{N}+ (the classes are listed
 *               ranges of code points, below; as std::wregex sees the text,
 *               whitespace above U+007F counts as \v)
 *  2. each word's UTF-8 bytes are mapped to GPT-2's printable byte chars;
 *  3. merges by rank: adjacent symbol pairs found in tokenizer.ggml.merges
 *     go into a min-heap by rank (ties: leftmost), merged until none is left;
 *     with ignore_merges (llama3) a word that is already a token is kept
 *     whole;
 *  4. each final symbol is looked up; one that is not a token falls back to
 *     its single bytes that are (as llama.cpp, others are dropped).
 */
#include "tok_int.h"

#include <string.h>

typedef struct {
	size_t *v;
	size_t n, cap;
} szv;

static cr_err szv_push(szv *s, size_t x)
{
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 64;
		size_t *nv = cr_realloc(s->v, nc * sizeof *nv);
		if (!nv)
			return CR_ENOMEM;
		s->v = nv;
		s->cap = nc;
	}
	s->v[s->n++] = x;
	return CR_OK;
}

/* One segment [ini, end) of the code points being split. */
typedef struct {
	const uint32_t *cp;
	size_t ini, end, prev_end;
	szv *out;
	cr_err e;
} seg;

static uint32_t get_cp(const seg *s, size_t pos) { return pos >= s->ini && pos < s->end ? s->cp[pos] : CR_U_OUT; }
static uint16_t get_f(const seg *s, size_t pos) { return cr_u_flags(get_cp(s, pos)); }

static size_t add_tok(seg *s, size_t end)
{
	size_t len = end - s->prev_end;
	if (len > 0 && !s->e)
		s->e = szv_push(s->out, len);
	s->prev_end = end;
	return len;
}

#define F_WLN (CR_UF_WHITESPACE | CR_UF_LETTER | CR_UF_NUMBER)

static void split_gpt2(seg *s)
{
	for (size_t pos = s->ini; pos < s->end;) {
		uint32_t cpt = get_cp(s, pos);
		uint16_t flags = get_f(s, pos);
		if (cpt == '\'' && pos + 1 < s->end) {
			uint32_t nx = get_cp(s, pos + 1);
			if (nx == 's' || nx == 't' || nx == 'm' || nx == 'd') {
				pos += add_tok(s, pos + 2);
				continue;
			}
			if (pos + 2 < s->end) {
				uint32_t nn = get_cp(s, pos + 2);
				if ((nx == 'r' && nn == 'e') || (nx == 'v' && nn == 'e') || (nx == 'l' && nn == 'l')) {
					pos += add_tok(s, pos + 3);
					continue;
				}
			}
		}
		uint16_t f2 = cpt == ' ' ? get_f(s, pos + 1) : flags;
		if (f2 & CR_UF_LETTER) {
			pos += cpt == ' ';
			while (f2 & CR_UF_LETTER)
				f2 = get_f(s, ++pos);
			add_tok(s, pos);
			continue;
		}
		if (f2 & CR_UF_NUMBER) {
			pos += cpt == ' ';
			while (f2 & CR_UF_NUMBER)
				f2 = get_f(s, ++pos);
			add_tok(s, pos);
			continue;
		}
		if (!(f2 & F_WLN) && f2) {
			pos += cpt == ' ';
			while (!(f2 & F_WLN) && f2)
				f2 = get_f(s, ++pos);
			add_tok(s, pos);
			continue;
		}
		size_t nws = 0;
		while (get_f(s, pos + nws) & CR_UF_WHITESPACE)
			nws++;
		if (nws > 1 && get_cp(s, pos + nws) != CR_U_OUT) {
			pos += nws - 1;
			add_tok(s, pos);
			continue;
		}
		if (nws > 0) {
			pos += nws;
			add_tok(s, pos);
			continue;
		}
		add_tok(s, ++pos);
	}
}

static void split_llama3(seg *s, int max_digits)
{
	for (size_t pos = s->ini; pos < s->end;) {
		uint32_t cpt = get_cp(s, pos);
		uint16_t flags = get_f(s, pos);
		if (cpt == '\'' && pos + 1 < s->end) {
			uint32_t nx = cr_u_tolower(get_cp(s, pos + 1));
			if (nx == 's' || nx == 't' || nx == 'm' || nx == 'd') {
				pos += add_tok(s, pos + 2);
				continue;
			}
			if (pos + 2 < s->end) {
				uint32_t nn = cr_u_tolower(get_cp(s, pos + 2));
				if ((nx == 'r' && nn == 'e') || (nx == 'v' && nn == 'e') || (nx == 'l' && nn == 'l')) {
					pos += add_tok(s, pos + 3);
					continue;
				}
			}
		}
		if (!(cpt == '\r' || cpt == '\n' || (flags & CR_UF_NUMBER))) {
			if ((flags & CR_UF_LETTER) || (get_f(s, pos + 1) & CR_UF_LETTER)) {
				pos++;
				while (get_f(s, pos) & CR_UF_LETTER)
					pos++;
				add_tok(s, pos);
				continue;
			}
		}
		if (flags & CR_UF_NUMBER) {
			if (max_digits == 1) {
				pos++;
				add_tok(s, pos);
				continue;
			}
			size_t ini = pos;
			while (get_f(s, pos) & CR_UF_NUMBER) {
				if (++pos - ini >= (size_t)max_digits) {
					add_tok(s, pos);
					ini = pos;
				}
			}
			add_tok(s, pos);
			continue;
		}
		uint16_t f2 = cpt == ' ' ? get_f(s, pos + 1) : flags;
		if (!(f2 & F_WLN) && flags) {
			pos += cpt == ' ';
			while (!(f2 & F_WLN) && f2)
				f2 = get_f(s, ++pos);
			uint32_t c2 = get_cp(s, pos);
			while (c2 == '\r' || c2 == '\n')
				c2 = get_cp(s, ++pos);
			add_tok(s, pos);
			continue;
		}
		size_t nws = 0, last_rn = 0;
		while (get_f(s, pos + nws) & CR_UF_WHITESPACE) {
			uint32_t c2 = get_cp(s, pos + nws);
			if (c2 == '\r' || c2 == '\n')
				last_rn = pos + nws + 1;
			nws++;
		}
		if (last_rn > 0) {
			pos = last_rn;
			add_tok(s, pos);
			continue;
		}
		if (nws > 1 && get_cp(s, pos + nws) != CR_U_OUT) {
			pos += nws - 1;
			add_tok(s, pos);
			continue;
		}
		if (nws > 0) {
			pos += nws;
			add_tok(s, pos);
			continue;
		}
		add_tok(s, ++pos);
	}
}

/* The "default" pre-tokenizer's plain regexes, as std::regex runs them over
 * llama.cpp's collapsed text: maximal runs (or ASCII digit triples) of a
 * class become pieces, the text between them other pieces. */
static int in_punct_class(uint32_t c)
{
	if (c < 128)
		return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x5F) ||
		       (c >= 0x7B && c <= 0x7E); /* ASCII \p{P} and $+<=>^~| (not `) */
	uint16_t f = cr_u_flags(c);
	return !(f & CR_UF_WHITESPACE) && (f & 0xFF) == CR_UF_PUNCT;
}

static int in_number_class(uint32_t c)
{
	if (c < 128)
		return c >= '0' && c <= '9';
	uint16_t f = cr_u_flags(c);
	return !(f & CR_UF_WHITESPACE) && (f & 0xFF) == CR_UF_NUMBER;
}

static void split_runs(seg *s, int (*cls)(uint32_t))
{
	size_t pos = s->ini;
	while (pos < s->end) {
		if (!cls(s->cp[pos])) {
			pos++;
			continue;
		}
		size_t st = pos;
		while (pos < s->end && cls(s->cp[pos]))
			pos++;
		add_tok(s, st);
		add_tok(s, pos);
	}
	add_tok(s, s->end);
}

static void split_triples(seg *s)
{
	size_t pos = s->ini;
	while (pos + 3 <= s->end) {
		const uint32_t *c = s->cp + pos;
		if (c[0] >= '0' && c[0] <= '9' && c[1] >= '0' && c[1] <= '9' && c[2] >= '0' && c[2] <= '9') {
			add_tok(s, pos);
			add_tok(s, pos + 3);
			pos += 3;
		} else {
			pos++;
		}
	}
	add_tok(s, s->end);
}


/* deepseek-llm's character classes (ranges of code points, inclusive). */
static const uint32_t ds_letters[][2] = {
	{0x41, 0x5A}, {0x61, 0x7A}, {0xB5, 0xB5}, {0xC0, 0xD6}, {0xD8, 0xF6}, {0xF8, 0x1BA},
	{0x1BC, 0x1BF}, {0x1C4, 0x293}, {0x295, 0x2AF}, {0x370, 0x373}, {0x376, 0x377},
	{0x37B, 0x37D}, {0x37F, 0x37F}, {0x386, 0x386}, {0x388, 0x38A}, {0x38C, 0x38C}, {0x38E, 0x3A1},
	{0x3A3, 0x3F5}, {0x3F7, 0x481}, {0x48A, 0x52F}, {0x531, 0x556}, {0x10A0, 0x10C5}, {0x13A0, 0x13F5},
	{0x13F8, 0x13FD}, {0x1C90, 0x1CBA}, {0x1CBD, 0x1CBF}, {0x1D00, 0x1D2B}, {0x1D6B, 0x1D77}, {0x1D79, 0x1D9A},
	{0x1E00, 0x1F15}, {0x1F18, 0x1F1D}, {0x1F20, 0x1F45}, {0x1F48, 0x1F4D}, {0x1F50, 0x1F57}, {0x1F59, 0x1F59},
	{0x1F5B, 0x1F5B}, {0x1F5D, 0x1F5D}, {0x1F5F, 0x1F7D}, {0x1F80, 0x1FB4}, {0x1FB6, 0x1FBC}, {0x1FBE, 0x1FBE},
	{0x1FC2, 0x1FC4}, {0x1FC6, 0x1FCC}, {0x1FD0, 0x1FD3}, {0x1FD6, 0x1FDB}, {0x1FE0, 0x1FEC}, {0x1FF2, 0x1FF4},
	{0x1FF6, 0x1FFC}, {0x2102, 0x2102}, {0x2107, 0x2107}, {0x210A, 0x2113}, {0x2115, 0x2115}, {0x2119, 0x211D},
	{0x2124, 0x2124}, {0x2126, 0x2126}, {0x2128, 0x2128}, {0x212A, 0x212D}, {0x212F, 0x2134}, {0x2139, 0x2139},
	{0x213C, 0x213F}, {0x2145, 0x2149}, {0x214E, 0x214E}, {0x2183, 0x2184}, {0x2C00, 0x2C7B},
	{0x2C7E, 0x2CE4}, {0x2CEB, 0x2CEE}, {0x2CF2, 0x2CF3}, {0xA640, 0xA66D}, {0xA680, 0xA69B},
	{0xA722, 0xA76F}, {0xA771, 0xA787}, {0xA78B, 0xA78E}, {0xAB70, 0xABBF}, {0xFB00, 0xFB06}, {0xFB13, 0xFB17},
	{0xFF21, 0xFF3A}, {0xFF41, 0xFF5A}, {0x10400, 0x1044F}, {0x104B0, 0x104D3}, {0x104D8, 0x104FB},
	{0x10C80, 0x10CB2}, {0x10CC0, 0x10CF2}, {0x118A0, 0x118DF}, {0x1E900, 0x1E943},
};
/* !-/ and :-~ (which holds the ASCII letters too), fullwidth forms,
 * quotation marks, U+3000..U+3002 */
static const uint32_t ds_punct[][2] = {
	{0x21, 0x2F}, {0x3A, 0x7E}, {0xFF01, 0xFF0F}, {0xFF1A, 0xFF5E}, {0x2018, 0x201F}, {0x3000, 0x3002},
};
static const uint32_t ds_cjk[][2] = {{0x4E00, 0x9FA5}, {0x800, 0x4E00}, {0xAC00, 0xD7FF}};

/* The code point as llama.cpp hands it to std::wregex: whitespace above
 * U+007F becomes U+000B. */
static uint32_t wre_cp(uint32_t c) { return c > 0x7F && (cr_u_flags(c) & CR_UF_WHITESPACE) ? 0x0B : c; }
static int wre_space(uint32_t c) { return c == ' ' || (c >= 0x09 && c <= 0x0D); }

static int in_ranges(uint32_t c, const uint32_t (*r)[2], size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (c >= r[i][0] && c <= r[i][1])
			return 1;
	return 0;
}

static int ds_letter(uint32_t c) { return in_ranges(wre_cp(c), ds_letters, CR_ARRAY_LEN(ds_letters)); }
static int ds_punc(uint32_t c) { return in_ranges(wre_cp(c), ds_punct, CR_ARRAY_LEN(ds_punct)); }
static int ds_cjk_c(uint32_t c) { return in_ranges(wre_cp(c), ds_cjk, CR_ARRAY_LEN(ds_cjk)); }
static int is_rn(uint32_t c) { return c == '\r' || c == '\n'; }

/* \s?[class]+ : an optional whitespace joins a following run. */
static void split_opt_space_runs(seg *s, int (*cls)(uint32_t))
{
	size_t pos = s->ini;
	while (pos < s->end) {
		size_t st = pos;
		if (wre_space(wre_cp(s->cp[pos])) && pos + 1 < s->end && cls(s->cp[pos + 1]))
			pos++;
		else if (!cls(s->cp[pos])) {
			pos++;
			continue;
		}
		while (pos < s->end && cls(s->cp[pos]))
			pos++;
		add_tok(s, st);
		add_tok(s, pos);
	}
	add_tok(s, s->end);
}

/* [\r\n] : each one alone */
static void split_each_rn(seg *s)
{
	for (size_t pos = s->ini; pos < s->end; pos++)
		if (is_rn(s->cp[pos])) {
			add_tok(s, pos);
			add_tok(s, pos + 1);
		}
	add_tok(s, s->end);
}

/* \s+$ : the trailing whitespace run */
static void split_trailing_ws(seg *s)
{
	size_t st = s->end;
	while (st > s->ini && wre_space(wre_cp(s->cp[st - 1])))
		st--;
	add_tok(s, st);
	add_tok(s, s->end);
}

enum { SP_GPT2, SP_LLAMA3, SP_QWEN2, SP_PUNCT, SP_NUM, SP_TRIPLES, SP_EACH_RN, SP_DS_LETTERS, SP_DS_PUNCT,
       SP_TRAIL_WS, SP_DS_CJK };

static cr_err split_pass(const uint32_t *cp, szv *in, szv *out, int kind)
{
	out->n = 0;
	size_t start = 0;
	cr_err e = CR_OK;
	for (size_t i = 0; i < in->n && !e; i++) {
		seg s = {cp, start, start + in->v[i], start, out, CR_OK};
		switch (kind) {
		case SP_GPT2: split_gpt2(&s); break;
		case SP_LLAMA3: split_llama3(&s, 3); break;
		case SP_QWEN2: split_llama3(&s, 1); break;
		case SP_PUNCT: split_runs(&s, in_punct_class); break;
		case SP_NUM: split_runs(&s, in_number_class); break;
		case SP_TRIPLES: split_triples(&s); break;
		case SP_EACH_RN: split_each_rn(&s); break;
		case SP_DS_LETTERS: split_opt_space_runs(&s, ds_letter); break;
		case SP_DS_PUNCT: split_opt_space_runs(&s, ds_punc); break;
		case SP_TRAIL_WS: split_trailing_ws(&s); break;
		case SP_DS_CJK: split_runs(&s, ds_cjk_c); break;
		}
		e = s.e;
		start += in->v[i];
	}
	return e;
}

/* ---- merges ------------------------------------------------------------- */

typedef struct {
	int prev, next;
	size_t off, n;
} sym;

static cr_err try_add(const cr_tok *t, const char *w, sym *sy, int l, int r, cr_tok_heap *h)
{
	if (l < 0 || r < 0)
		return CR_OK;
	int32_t rank = cr_tok_bpe_rank(t, w + sy[l].off, sy[l].n, w + sy[r].off, sy[r].n);
	if (rank < 0)
		return CR_OK;
	return cr_tok_heap_push(h, (cr_tok_bigram){l, r, rank, sy[l].n + sy[r].n}); /* lower rank first */
}

static cr_err bpe_word(const cr_tok *t, const char *w, size_t n, sym *sy, cr_tok_heap *h, cr_buf *ids)
{
	int ns = 0;
	cr_err e = CR_OK;
	h->n = 0;
	if (t->ignore_merges && cr_tok_lookup(t, w, n) >= 0) {
		sy[0] = (sym){-1, -1, 0, n};
		ns = 1;
	} else {
		for (size_t off = 0; off < n;) {
			size_t l = CR_MIN(cr_u_len((uint8_t)w[off]), n - off);
			sy[ns] = (sym){ns - 1, off + l == n ? -1 : ns + 1, off, l};
			off += l;
			ns++;
		}
	}
	for (int i = 1; !e && i < ns; i++)
		e = try_add(t, w, sy, i - 1, i, h);
	while (!e && h->n) {
		cr_tok_bigram b = cr_tok_heap_pop(h);
		sym *L = &sy[b.left], *R = &sy[b.right];
		if (L->n == 0 || R->n == 0 || L->n + R->n != b.size)
			continue;
		L->n += R->n;
		R->n = 0;
		L->next = R->next;
		if (R->next >= 0)
			sy[R->next].prev = b.left;
		e = try_add(t, w, sy, L->prev, b.left, h);
		if (!e)
			e = try_add(t, w, sy, b.left, L->next, h);
	}
	for (int i = 0; !e && i < ns; i++) {
		if (sy[i].n == 0)
			continue;
		cr_token_id id = cr_tok_lookup(t, w + sy[i].off, sy[i].n);
		if (id >= 0) {
			e = cr_tok_push(ids, id);
			continue;
		}
		for (size_t j = 0; !e && j < sy[i].n; j++) {
			cr_token_id b = cr_tok_lookup(t, w + sy[i].off + j, 1);
			if (b >= 0)
				e = cr_tok_push(ids, b);
		}
	}
	return e;
}

/* GPT-2's byte -> printable code point table, as UTF-8: printable bytes
 * stand for themselves, the others for 256 + n in byte order. */
static void byte_chars(char map[256][2], uint8_t len[256])
{
	uint32_t n = 0;
	for (int b = 0; b < 256; b++) {
		int printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
		uint32_t cp = printable ? (uint32_t)b : 256 + n++;
		if (cp < 0x80) {
			map[b][0] = (char)cp;
			len[b] = 1;
		} else {
			map[b][0] = (char)(0xc0 | (cp >> 6));
			map[b][1] = (char)(0x80 | (cp & 0x3f));
			len[b] = 2;
		}
	}
}

cr_err cr_tok_bpe_encode(const cr_tok *t, const char *s, size_t n, cr_buf *ids)
{
	if (n == 0)
		return CR_OK;
	char bmap[256][2];
	uint8_t blen[256];
	byte_chars(bmap, blen); /* per call: 256 steps, no table shared between threads */
	cr_err e = CR_OK;
	uint32_t *cp = cr_malloc(n * sizeof *cp);
	char *w = cr_malloc(n * 3 * 2 + 8);     /* 3 bytes per U+FFFD, 2 per mapped byte */
	sym *sy = NULL; /* grown to the longest word: symbols <= its bytes */
	size_t sy_cap = 0;
	szv a = {0}, b = {0};
	cr_tok_heap h = {0};
	if (!cp || !w) {
		e = CR_ENOMEM;
		goto done;
	}
	size_t ncp = 0;
	for (size_t i = 0; i < n;) {
		size_t l;
		cp[ncp++] = cr_u_decode((const uint8_t *)s + i, n - i, &l);
		i += l;
	}
	if ((e = szv_push(&a, ncp)))
		goto done;
	switch (t->pre) {
	case CR_PRE_GPT2:
		e = split_pass(cp, &a, &b, SP_GPT2);
		break;
	case CR_PRE_LLAMA3:
		e = split_pass(cp, &a, &b, SP_LLAMA3);
		break;
	case CR_PRE_QWEN2:
		e = split_pass(cp, &a, &b, SP_QWEN2);
		break;
	case CR_PRE_DEFAULT:
		e = split_pass(cp, &a, &b, SP_PUNCT);
		if (!e) e = split_pass(cp, &b, &a, SP_GPT2);
		if (!e) e = split_pass(cp, &a, &b, SP_NUM);
		if (!e) e = split_pass(cp, &b, &a, SP_TRIPLES);
		if (!e) {
			szv tmp = a;
			a = b;
			b = tmp;
		}
		break;
	case CR_PRE_DEEPSEEK_LLM: {
		static const int passes[] = {SP_EACH_RN, SP_DS_LETTERS, SP_DS_PUNCT, SP_TRAIL_WS, SP_DS_CJK, SP_NUM};
		for (size_t k = 0; !e && k < CR_ARRAY_LEN(passes); k++) {
			e = split_pass(cp, &a, &b, passes[k]);
			szv tmp = a;
			a = b;
			b = tmp;
		}
		if (!e) {
			szv tmp = a;
			a = b;
			b = tmp;
		}
		break;
	}
	}
	size_t start = 0;
	for (size_t i = 0; !e && i < b.n; i++) {
		size_t wn = 0;
		for (size_t k = start; k < start + b.v[i]; k++) {
			char u[4];
			int ul = cr_u_encode(cp[k], u);
			if (ul == 0)
				ul = cr_u_encode(0xFFFD, u);
			for (int q = 0; q < ul; q++) {
				uint8_t by = (uint8_t)u[q];
				memcpy(w + wn, bmap[by], blen[by]);
				wn += blen[by];
			}
		}
		start += b.v[i];
		if (wn + 1 > sy_cap) {
			sym *nsy = cr_realloc(sy, (wn + 1) * sizeof *sy);
			if (!nsy) {
				e = CR_ENOMEM;
				break;
			}
			sy = nsy;
			sy_cap = wn + 1;
		}
		e = bpe_word(t, w, wn, sy, &h, ids);
	}
done:
	cr_free(h.v);
	cr_free(a.v);
	cr_free(b.v);
	cr_free(sy);
	cr_free(w);
	cr_free(cp);
	return e;
}
