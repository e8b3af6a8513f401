/*
 * lexicon.c — the Japanese-English word list (cristal/lexicon.h) from an
 * EDICT file.
 *
 * An EDICT line is
 *   HEADWORD [READING] /gloss/gloss/.../
 * where a gloss may open with parts of speech and a sense number,
 * "(n,vs) (1) certification", and "(P)" marks a common word. Lines are
 * chosen on their raw bytes (the "/(P)/" marker, or a katakana headword),
 * and only those are converted to UTF-8, so a 19 MB file loads in a few
 * milliseconds. Keys and translations live in one string buffer; a hash
 * table (open addressing) maps a key, with its direction as a first byte
 * ('j' or 'e'), to a chain of translations in insertion order.
 */
#include "cristal/lexicon.h"
#include "cristal/text.h"

#include <ctype.h>
#include <iconv.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define JA_EN_MAX 4     /* glosses kept per entry */
#define JA_EN_WORDS 3   /* words per gloss, at most */
#define EN_JA_WORDS 2   /* words per English key, at most */
#define EN_JA_GLOSSES 2 /* glosses of a sense that give a key: the first two */
#define KEY_MAX 96      /* bytes of a key or a translation */

typedef struct lex_val {
	uint32_t off, next; /* next: index + 1 in vals, 0 = end */
} lex_val;

typedef struct lex_slot {
	uint32_t key, key_len; /* offset in str; key_len 0 = empty */
	uint32_t head, tail;   /* index + 1 in vals */
} lex_slot;

struct cr_lexicon {
	cr_buf str;
	lex_val *vals;
	size_t n_vals, cap_vals;
	lex_slot *slots;
	size_t cap_slots, n_slots;
	size_t n_entries;
};

/* ---- table ------------------------------------------------------------- */

static lex_slot *find(const cr_lexicon *lx, const char *k, size_t n)
{
	size_t i = cr_hash64(k, n, 0x6c6578) & (lx->cap_slots - 1);
	for (;; i = (i + 1) & (lx->cap_slots - 1)) {
		lex_slot *s = &lx->slots[i];
		if (!s->key_len || (s->key_len == n && !memcmp(lx->str.data + s->key, k, n)))
			return s;
	}
}

static cr_err grow_slots(cr_lexicon *lx)
{
	size_t cap = lx->cap_slots ? lx->cap_slots * 2 : 4096;
	lex_slot *old = lx->slots;
	size_t old_cap = lx->cap_slots;
	lx->slots = calloc(cap, sizeof *lx->slots);
	if (!lx->slots) {
		lx->slots = old;
		return CR_ENOMEM;
	}
	lx->cap_slots = cap;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].key_len)
			*find(lx, lx->str.data + old[i].key, old[i].key_len) = old[i];
	free(old);
	return CR_OK;
}

static cr_err add_str(cr_lexicon *lx, const char *s, size_t n, uint32_t *off)
{
	*off = (uint32_t)lx->str.len;
	cr_err e = cr_buf_add(&lx->str, s, n);
	return e ? e : cr_buf_addc(&lx->str, 0);
}

/* Adds value v to key (dir byte + k), unless the key has it already. */
static cr_err add(cr_lexicon *lx, char dir, const char *k, size_t kn, const char *v, size_t vn)
{
	char key[KEY_MAX + 1];
	if (!kn || kn > KEY_MAX || !vn || vn > KEY_MAX)
		return CR_OK;
	key[0] = dir;
	memcpy(key + 1, k, kn);
	kn++;
	if ((lx->n_slots + 1) * 2 > lx->cap_slots) {
		cr_err e = grow_slots(lx);
		if (e)
			return e;
	}
	lex_slot *s = find(lx, key, kn);
	if (s->key_len)
		for (uint32_t i = s->head; i; i = lx->vals[i - 1].next) {
			const char *have = lx->str.data + lx->vals[i - 1].off;
			if (strlen(have) == vn && !memcmp(have, v, vn))
				return CR_OK;
		}
	if (lx->n_vals == lx->cap_vals) {
		size_t cap = lx->cap_vals ? lx->cap_vals * 2 : 8192;
		lex_val *nv = realloc(lx->vals, cap * sizeof *nv);
		if (!nv)
			return CR_ENOMEM;
		lx->vals = nv, lx->cap_vals = cap;
	}
	uint32_t voff, koff;
	cr_err e = add_str(lx, v, vn, &voff);
	if (e)
		return e;
	if (!s->key_len) {
		if ((e = add_str(lx, key, kn, &koff)))
			return e;
		s->key = koff, s->key_len = (uint32_t)kn;
		lx->n_slots++;
	}
	lx->vals[lx->n_vals] = (lex_val){voff, 0};
	uint32_t idx = (uint32_t)++lx->n_vals;
	if (s->tail)
		lx->vals[s->tail - 1].next = idx;
	else
		s->head = idx;
	s->tail = idx;
	return CR_OK;
}

/* ---- lines ------------------------------------------------------------- */

/* Whether an EUC-JP headword is katakana only (two or more characters,
 * ー included): a loanword, whose gloss is usually its English source. */
static int euc_katakana(const uint8_t *s, size_t n)
{
	if (n < 4 || n % 2)
		return 0;
	for (size_t i = 0; i < n; i += 2) {
		int kata = s[i] == 0xa5 && s[i + 1] >= 0xa1 && s[i + 1] <= 0xf6;
		int bar = s[i] == 0xa1 && s[i + 1] == 0xbc;
		if (!kata && !bar)
			return 0;
	}
	return 1;
}

static int utf8_katakana(const uint8_t *s, size_t n)
{
	size_t chars = 0;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		int l = cr_utf8_decode(s + i, n - i, &cp);
		if (!l || !((cp >= 0x30a1 && cp <= 0x30f6) || cp == 0x30fc))
			return 0;
		i += (size_t)l;
		chars++;
	}
	return chars >= 2;
}

static int is_common(const uint8_t *line, size_t n)
{
	return n >= 5 && !memcmp(line + n - 5, "/(P)/", 5);
}

/* A gloss cleaned into out (lowercase ASCII words separated by one space):
 * parenthesised and braced notes dropped, a leading "to " and a trailing
 * "etc." removed. Returns its length and word count, 0 if it is not plain
 * English words after that. *sense: the sense number it opens with, if any. */
static size_t clean_gloss(const char *g, size_t n, char *out, size_t cap, int *words, int *sense)
{
	size_t o = 0;
	int depth = 0;
	*sense = 0;
	for (size_t i = 0; i < n; i++) {
		char c = g[i];
		if (c == '(' || c == '{') {
			if (!depth && i + 2 < n && g[i + 1] >= '1' && g[i + 1] <= '9' && (g[i + 2] == ')'))
				*sense = g[i + 1] - '0';
			depth++;
			continue;
		}
		if ((c == ')' || c == '}') && depth) {
			depth--;
			continue;
		}
		if (depth)
			continue;
		if (c == ' ' || c == '\t') {
			if (o && out[o - 1] != ' ' && o < cap)
				out[o++] = ' ';
			continue;
		}
		unsigned char u = (unsigned char)c;
		if (!(isalnum(u) || c == '-' || c == '\'' || c == '.' || c == ','))
			return 0;
		if (o >= cap)
			return 0;
		out[o++] = (char)tolower(u);
	}
	while (o && (out[o - 1] == ' ' || out[o - 1] == '.' || out[o - 1] == ','))
		o--;
	if (o >= 4 && !memcmp(out + o - 4, " etc", 4))
		o -= 4;
	size_t s = 0;
	if (o > 3 && !memcmp(out, "to ", 3))
		s = 3;
	memmove(out, out + s, o - s);
	o -= s;
	*words = o ? 1 : 0;
	for (size_t i = 0; i < o; i++) {
		if (out[i] == ',' || out[i] == '.')
			return 0; /* a list or a sentence, not a word */
		*words += out[i] == ' ';
	}
	return o;
}

/* One UTF-8 entry line: HEAD [READING] /g/g/.../ */
static cr_err add_line(cr_lexicon *lx, const char *s, size_t n, cr_buf *norm)
{
	const char *sp = memchr(s, ' ', n);
	const char *sl = memchr(s, '/', n);
	if (!sp || !sl || sl < sp || sp == s)
		return CR_OK;
	/* kanji and kana are NFKC-stable; full-width letters and digits and
	 * half-width kana (U+FF00-U+FFEF: EF BC..EF BF) and a few others are
	 * not, so only headwords with bytes outside E3..E9 lead bytes go
	 * through the analyzer's normalization */
	const char *head = s;
	size_t head_len = (size_t)(sp - s);
	int plain = 1;
	for (size_t i = 0; i < head_len && plain;) {
		unsigned char c = (unsigned char)s[i];
		plain = c >= 0xe3 && c <= 0xe9;
		i += 3;
	}
	if (!plain) {
		cr_buf_reset(norm);
		if (cr_text_normalize(s, head_len, norm) || !norm->len)
			return CR_OK;
		head = norm->data;
		head_len = norm->len;
	}
	int kept = 0, g_in_sense = 0, added = 0;
	const char *p = sl + 1, *end = s + n;
	while (p < end) {
		const char *q = memchr(p, '/', (size_t)(end - p));
		if (!q)
			break;
		char g[KEY_MAX + 1];
		int words, sense;
		size_t gl = clean_gloss(p, (size_t)(q - p), g, KEY_MAX, &words, &sense);
		p = q + 1;
		if (sense >= 2)
			break; /* the first sense only */
		if (!gl) {
			g_in_sense++;
			continue;
		}
		if (kept < JA_EN_MAX && words <= JA_EN_WORDS) {
			cr_err e = add(lx, 'j', head, head_len, g, gl);
			if (e)
				return e;
			kept++;
			added = 1;
		}
		if (g_in_sense < EN_JA_GLOSSES && words <= EN_JA_WORDS) {
			cr_err e = add(lx, 'e', g, gl, head, head_len);
			if (e)
				return e;
		}
		g_in_sense++;
	}
	lx->n_entries += (size_t)added;
	return CR_OK;
}

cr_err cr_lexicon_parse(const uint8_t *data, size_t len, int euc, cr_lexicon **out, cr_msg *m)
{
	*out = NULL;
	if (!data && len)
		return cr_fail(m, CR_EINVAL, "lexicon: no data");
	cr_lexicon *lx = calloc(1, sizeof *lx);
	if (!lx)
		return CR_ENOMEM;
	cr_buf_init(&lx->str, 0);
	iconv_t cd = euc ? iconv_open("UTF-8", "EUC-JP") : (iconv_t)-1;
	if (euc && cd == (iconv_t)-1) {
		cr_lexicon_free(lx);
		return cr_fail(m, CR_EUNSUPPORTED, "lexicon: no EUC-JP converter");
	}
	cr_buf norm, conv;
	cr_buf_init(&norm, 4096);
	cr_buf_init(&conv, 0);
	cr_err e = CR_OK;
	for (size_t i = 0; i < len && !e;) {
		const uint8_t *nl = memchr(data + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (data + i)) : len - i;
		const uint8_t *line = data + i;
		i += n + (nl != NULL);
		while (n && (line[n - 1] == '\r' || line[n - 1] == ' '))
			n--;
		const uint8_t *sp = memchr(line, ' ', n);
		if (!sp || n > 4096)
			continue;
		size_t hl = (size_t)(sp - line);
		int want = is_common(line, n) || (euc ? euc_katakana(line, hl) : utf8_katakana(line, hl));
		if (!want)
			continue;
		const char *u = (const char *)line;
		size_t un = n;
		if (euc) {
			cr_buf_reset(&conv);
			if ((e = cr_buf_reserve(&conv, 3 * n + 1)))
				break;
			char *in = (char *)line, *o = conv.data;
			size_t il = n, ol = 3 * n + 1;
			iconv(cd, NULL, NULL, NULL, NULL);
			if (iconv(cd, &in, &il, &o, &ol) == (size_t)-1)
				continue; /* not EUC-JP: skip the line */
			u = conv.data;
			un = (size_t)(o - conv.data);
		} else {
			cr_buf_reset(&conv);
			if (cr_utf8_sanitize(&conv, line, n) || conv.len != n)
				continue; /* invalid UTF-8 */
		}
		e = add_line(lx, u, un, &norm);
	}
	if (euc)
		iconv_close(cd);
	cr_buf_release(&norm);
	cr_buf_release(&conv);
	if (!e && !lx->n_entries)
		e = cr_fail(m, CR_ECORRUPT, "lexicon: no EDICT entry found");
	if (e) {
		cr_lexicon_free(lx);
		return e == CR_ENOMEM ? cr_fail(m, e, "lexicon: out of memory") : e;
	}
	*out = lx;
	return CR_OK;
}

cr_err cr_lexicon_load(const char *path, cr_lexicon **out, cr_msg *m)
{
	cr_mmap mm;
	cr_err e = cr_mmap_open(&mm, path, m);
	if (e)
		return e;
	e = cr_lexicon_parse(mm.data, mm.len, 1, out, m);
	cr_mmap_close(&mm);
	return e;
}

void cr_lexicon_free(cr_lexicon *lx)
{
	if (!lx)
		return;
	cr_buf_release(&lx->str);
	free(lx->vals);
	free(lx->slots);
	free(lx);
}

size_t cr_lexicon_size(const cr_lexicon *lx)
{
	return lx ? lx->n_entries : 0;
}

size_t cr_lexicon_lookup(const cr_lexicon *lx, cr_lex_dir dir, const char *word, size_t len, const char **out,
			 size_t max)
{
	char key[KEY_MAX + 1];
	if (!lx || !word || !len || len > KEY_MAX || !lx->cap_slots)
		return 0;
	key[0] = dir == CR_LEX_JA_EN ? 'j' : 'e';
	memcpy(key + 1, word, len);
	const lex_slot *s = find(lx, key, len + 1);
	size_t n = 0;
	if (s->key_len)
		for (uint32_t i = s->head; i && n < max; i = lx->vals[i - 1].next)
			out[n++] = lx->str.data + lx->vals[i - 1].off;
	return n;
}

/* ---- the process's lexicon --------------------------------------------- */

#define DEFAULT_PATH "/usr/share/edict/edict"

static pthread_mutex_t def_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t def_once = PTHREAD_ONCE_INIT;
static char def_path[1024] = DEFAULT_PATH;
static int def_loading;
static cr_lexicon *def_lx;

cr_err cr_lexicon_set_path(const char *path)
{
	if (path && strlen(path) >= sizeof def_path)
		return CR_ETOOBIG;
	pthread_mutex_lock(&def_mu);
	cr_err e = CR_OK;
	if (def_loading)
		e = CR_EBUSY;
	else
		snprintf(def_path, sizeof def_path, "%s", path ? path : DEFAULT_PATH);
	pthread_mutex_unlock(&def_mu);
	return e;
}

static void def_load(void)
{
	char path[sizeof def_path];
	pthread_mutex_lock(&def_mu);
	def_loading = 1;
	memcpy(path, def_path, sizeof path);
	pthread_mutex_unlock(&def_mu);
	if (!path[0] || !strcmp(path, "none"))
		return;
	cr_msg m = {{0}};
	if (cr_lexicon_load(path, &def_lx, &m))
		cr_log(CR_LOG_INFO, "lexicon: %s; questions across Japanese and English match only shared words",
		       m.text);
}

const cr_lexicon *cr_lexicon_default(void)
{
	pthread_once(&def_once, def_load);
	return def_lx;
}
