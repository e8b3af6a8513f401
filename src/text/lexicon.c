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
 * ('j' or 'e'), to a chain of translations in insertion order. An entry's
 * Japanese key and the English keys of its sense's first gloss are added
 * as the file is read; those of its second gloss are kept aside and added
 * after the last line, so "addition" lists 追加 (addition/supplement)
 * before プラス (plus/addition) whatever the file's order.
 */
#include "cristal/lexicon.h"
#include "cristal/text.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <sys/stat.h>
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
	cr_buf str;          /* built by the parser, or empty for an image */
	lex_val *vals;
	size_t n_vals, cap_vals;
	lex_slot *slots;
	size_t cap_slots, n_slots;
	size_t n_entries;
	/* what lookups read: the parser's arrays or a mapped image's */
	const char *s;
	size_t s_len;
	const lex_val *v;
	const lex_slot *sl;
	cr_mmap map;         /* the image, when opened from one */
};

/* ---- table ------------------------------------------------------------- */

static size_t find_in(const lex_slot *sl, size_t cap, const char *str, const char *k, size_t n)
{
	size_t i = cr_hash64(k, n, 0x6c6578) & (cap - 1);
	for (;; i = (i + 1) & (cap - 1))
		if (!sl[i].key_len || (sl[i].key_len == n && !memcmp(str + sl[i].key, k, n)))
			return i;
}

static lex_slot *find(const cr_lexicon *lx, const char *k, size_t n)
{
	return &lx->slots[find_in(lx->slots, lx->cap_slots, lx->str.data, k, n)];
}

static cr_err grow_slots_to(cr_lexicon *lx, size_t cap)
{
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

static cr_err grow_slots(cr_lexicon *lx)
{
	return grow_slots_to(lx, lx->cap_slots ? lx->cap_slots * 2 : 64);
}

static cr_err add_str(cr_lexicon *lx, const char *s, size_t n, uint32_t *off)
{
	*off = (uint32_t)lx->str.len;
	cr_err e = cr_buf_add(&lx->str, s, n);
	return e ? e : cr_buf_addc(&lx->str, 0);
}

/* The slot of key dir + k, made if new. Its index stays valid until the
 * next call (which may grow the table). -1 for a key too long or no memory. */
static long slot_for(cr_lexicon *lx, char dir, const char *k, size_t kn, cr_err *err)
{
	char key[KEY_MAX + 1];
	if (!kn || kn > KEY_MAX)
		return -1;
	key[0] = dir;
	memcpy(key + 1, k, kn);
	kn++;
	if ((lx->n_slots + 1) * 2 > lx->cap_slots && (*err = grow_slots(lx)))
		return -1;
	lex_slot *s = find(lx, key, kn);
	if (!s->key_len) {
		uint32_t koff;
		if ((*err = add_str(lx, key, kn, &koff)))
			return -1;
		s->key = koff, s->key_len = (uint32_t)kn;
		lx->n_slots++;
	}
	return (long)(s - lx->slots);
}

/* Adds value v to slot i, unless it has it already. */
static cr_err push_val(cr_lexicon *lx, long i, const char *v, size_t vn)
{
	if (i < 0 || !vn || vn > KEY_MAX)
		return CR_OK;
	lex_slot *s = &lx->slots[i];
	for (uint32_t j = s->head; j; j = lx->vals[j - 1].next) {
		const char *have = lx->str.data + lx->vals[j - 1].off;
		if (!strncmp(have, v, vn) && !have[vn])
			return CR_OK;
	}
	if (lx->n_vals == lx->cap_vals) {
		size_t cap = lx->cap_vals ? lx->cap_vals * 2 : 8192;
		lex_val *nv = realloc(lx->vals, cap * sizeof *nv);
		if (!nv)
			return CR_ENOMEM;
		lx->vals = nv, lx->cap_vals = cap;
	}
	uint32_t voff;
	cr_err e = add_str(lx, v, vn, &voff);
	if (e)
		return e;
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

/* A glossary's line: its headword holds Japanese (a lead byte of kana or
 * kanji, E3..E9, or of full-width forms, EF: ＣＤ) and the line ends with
 * '/', as EDICT's do; so a text that is not a glossary (a README with
 * paths in it) gives no entry. */
static int glossary_line(const uint8_t *line, size_t n, size_t hl)
{
	int ja = 0;
	for (size_t i = 0; i < hl && !ja; i++)
		ja = (line[i] >= 0xe3 && line[i] <= 0xe9) || line[i] == 0xef;
	return ja && line[n - 1] == '/';
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

typedef struct gloss {
	char text[KEY_MAX + 1];
	size_t len;
	int words, rank; /* rank: its place in the first sense */
} gloss;

/* An English key and its headword kept for later (the second gloss of a
 * sense): each as a uint32_t length and its bytes. */
static cr_err defer(cr_buf *later, const char *k, size_t kn, const char *head, size_t hn)
{
	uint32_t l[2] = {(uint32_t)kn, (uint32_t)hn};
	cr_err e = cr_buf_add(later, &l[0], sizeof l[0]);
	if (!e)
		e = cr_buf_add(later, k, kn);
	if (!e)
		e = cr_buf_add(later, &l[1], sizeof l[1]);
	if (!e)
		e = cr_buf_add(later, head, hn);
	return e;
}

/* Adds what defer kept, in the order it was kept. */
static cr_err add_deferred(cr_lexicon *lx, const cr_buf *later)
{
	cr_err e = CR_OK;
	for (size_t i = 0; i < later->len && !e;) {
		uint32_t kn, hn;
		memcpy(&kn, later->data + i, sizeof kn);
		const char *k = later->data + i + sizeof kn;
		i += sizeof kn + kn;
		memcpy(&hn, later->data + i, sizeof hn);
		const char *head = later->data + i + sizeof hn;
		i += sizeof hn + hn;
		long ei = slot_for(lx, 'e', k, kn, &e);
		if (!e)
			e = push_val(lx, ei, head, hn);
	}
	return e;
}

/* One entry: the headword (UTF-8) and the line's glosses part "/g/g/.../"
 * (ASCII, in either encoding). */
static cr_err add_entry(cr_lexicon *lx, const char *head, size_t head_len, const char *p, const char *end,
			cr_buf *norm, cr_buf *later)
{
	/* kanji and kana are NFKC-stable; full-width letters and digits and
	 * half-width kana (U+FF00-U+FFEF: EF BC..EF BF) and a few others are
	 * not, so only headwords with other lead bytes than E3..E9 go through
	 * the analyzer's normalization */
	int plain = 1;
	for (size_t i = 0; i < head_len && plain; i += 3) {
		unsigned char c = (unsigned char)head[i];
		plain = c >= 0xe3 && c <= 0xe9;
	}
	if (!plain) {
		cr_buf_reset(norm);
		if (cr_text_normalize(head, head_len, norm) || !norm->len)
			return CR_OK;
		head = norm->data;
		head_len = norm->len;
	}
	gloss g[8];
	size_t n = 0;
	int rank = 0;
	while (p < end && n < CR_ARRAY_LEN(g)) {
		const char *q = memchr(p, '/', (size_t)(end - p));
		if (!q)
			break;
		int sense;
		gloss *x = &g[n];
		x->len = clean_gloss(p, (size_t)(q - p), x->text, KEY_MAX, &x->words, &sense);
		p = q + 1;
		if (sense >= 2)
			break; /* the first sense only */
		if (x->len) {
			x->rank = rank;
			n++;
		}
		rank++;
	}
	cr_err e = CR_OK;
	long ji = -1;
	int kept = 0;
	for (size_t i = 0; i < n && !e && kept < JA_EN_MAX; i++)
		if (g[i].words <= JA_EN_WORDS) {
			if (ji < 0 && (ji = slot_for(lx, 'j', head, head_len, &e)) < 0)
				break;
			e = push_val(lx, ji, g[i].text, g[i].len);
			kept++;
		}
	lx->n_entries += kept > 0;
	for (size_t i = 0; i < n && !e; i++)
		if (g[i].rank < EN_JA_GLOSSES && g[i].words <= EN_JA_WORDS) {
			if (g[i].rank > 0) {
				e = defer(later, g[i].text, g[i].len, head, head_len);
				continue;
			}
			long ei = slot_for(lx, 'e', g[i].text, g[i].len, &e);
			if (!e)
				e = push_val(lx, ei, head, head_len);
		}
	return e;
}

/* all: every entry (a glossary), not only the common ones and loanwords */
static cr_err parse(const uint8_t *data, size_t len, int euc, int all, cr_lexicon **out, cr_msg *m)
{
	*out = NULL;
	if (!data && len)
		return cr_fail(m, CR_EINVAL, "lexicon: no data");
	cr_lexicon *lx = calloc(1, sizeof *lx);
	if (!lx)
		return CR_ENOMEM;
	cr_buf_init(&lx->str, 0);
	/* Debian's file (19 MB) gives ~130,000 keys: size the table once */
	if (len > (4u << 20) && grow_slots_to(lx, 1u << 18)) {
		cr_lexicon_free(lx);
		return cr_fail(m, CR_ENOMEM, "lexicon: out of memory");
	}
	iconv_t cd = euc ? iconv_open("UTF-8", "EUC-JP") : (iconv_t)-1;
	if (euc && cd == (iconv_t)-1) {
		cr_lexicon_free(lx);
		return cr_fail(m, CR_EUNSUPPORTED, "lexicon: no EUC-JP converter");
	}
	cr_buf norm, conv, later;
	cr_buf_init(&norm, 4096);
	cr_buf_init(&conv, 0);
	cr_buf_init(&later, 0);
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
		int want = all ? glossary_line(line, n, hl)
			       : is_common(line, n) || (euc ? euc_katakana(line, hl) : utf8_katakana(line, hl));
		if (!want)
			continue;
		const char *head = (const char *)line;
		const char *gl = memchr(sp, '/', n - hl);
		if (!gl)
			continue;
		if (euc) {
			/* only the headword needs converting: glosses are ASCII */
			cr_buf_reset(&conv);
			if ((e = cr_buf_reserve(&conv, 2 * hl + 1)))
				break;
			char *in = (char *)line, *o = conv.data;
			size_t il = hl, ol = 2 * hl + 1;
			iconv(cd, NULL, NULL, NULL, NULL);
			if (iconv(cd, &in, &il, &o, &ol) == (size_t)-1)
				continue; /* not EUC-JP: skip the line */
			head = conv.data;
			hl = (size_t)(o - conv.data);
		} else {
			cr_buf_reset(&conv);
			if (cr_utf8_sanitize(&conv, line, hl) || conv.len != hl)
				continue; /* invalid UTF-8 */
		}
		if (memchr(head, 0, hl))
			continue; /* a NUL in a headword: not text */
		e = add_entry(lx, head, hl, gl + 1, (const char *)line + n, &norm, &later);
	}
	if (!e)
		e = add_deferred(lx, &later);
	if (euc)
		iconv_close(cd);
	cr_buf_release(&norm);
	cr_buf_release(&conv);
	cr_buf_release(&later);
	if (!e && !lx->n_entries)
		e = cr_fail(m, CR_ECORRUPT, "lexicon: no EDICT entry found");
	if (e) {
		cr_lexicon_free(lx);
		return e == CR_ENOMEM ? cr_fail(m, e, "lexicon: out of memory") : e;
	}
	lx->s = lx->str.data, lx->s_len = lx->str.len;
	lx->v = lx->vals, lx->sl = lx->slots;
	*out = lx;
	return CR_OK;
}

cr_err cr_lexicon_parse(const uint8_t *data, size_t len, int euc, cr_lexicon **out, cr_msg *m)
{
	return parse(data, len, euc, 0, out, m);
}

cr_err cr_lexicon_parse_glossary(const uint8_t *data, size_t len, cr_lexicon **out, cr_msg *m)
{
	return parse(data, len, 0, 1, out, m);
}

/* ---- the image: the parsed tables as one file, mapped ------------------ */

/* changed whenever the tables are built by other rules, so an image from
 * an earlier version is parsed again rather than used (002: English keys
 * list the headwords whose sense opens with them first) */
#define IMAGE_MAGIC "CRLEX002"

typedef struct image_hdr {
	char magic[8];
	uint64_t src_size;  /* the EDICT file it was made from */
	int64_t src_mtime;
	uint64_t s_len, n_vals, cap_slots, n_slots, n_entries;
} image_hdr;

cr_err cr_lexicon_image(const cr_lexicon *lx, uint64_t src_size, int64_t src_mtime, cr_buf *out)
{
	image_hdr h = {.src_size = src_size, .src_mtime = src_mtime, .s_len = lx->s_len, .n_vals = lx->n_vals,
		       .cap_slots = lx->cap_slots, .n_slots = lx->n_slots, .n_entries = lx->n_entries};
	memcpy(h.magic, IMAGE_MAGIC, 8);
	cr_err e = cr_buf_add(out, &h, sizeof h);
	if (!e)
		e = cr_buf_add(out, lx->v, lx->n_vals * sizeof *lx->v);
	if (!e)
		e = cr_buf_add(out, lx->sl, lx->cap_slots * sizeof *lx->sl);
	if (!e)
		e = cr_buf_add(out, lx->s, lx->s_len);
	return e;
}

/* Checks an image whole before use: sizes, every offset and link in
 * range, every string ended, a free slot left (so a lookup ends). */
static cr_err image_check(const uint8_t *p, size_t len, image_hdr *h, cr_msg *m)
{
	if (len < sizeof *h)
		return cr_fail(m, CR_ECORRUPT, "lexicon image: truncated");
	memcpy(h, p, sizeof *h);
	if (memcmp(h->magic, IMAGE_MAGIC, 8))
		return cr_fail(m, CR_ECORRUPT, "lexicon image: not an image");
	if (h->cap_slots < 2 || (h->cap_slots & (h->cap_slots - 1)) || h->cap_slots > (1u << 26) ||
	    h->n_slots >= h->cap_slots || h->n_vals > UINT32_MAX || h->s_len > UINT32_MAX || !h->s_len)
		return cr_fail(m, CR_ECORRUPT, "lexicon image: bad counts");
	uint64_t want = sizeof *h + h->n_vals * sizeof(lex_val) + h->cap_slots * sizeof(lex_slot) + h->s_len;
	if (want != len)
		return cr_fail(m, CR_ECORRUPT, "lexicon image: %zu bytes, expected %llu", len,
			       (unsigned long long)want);
	const lex_val *v = (const lex_val *)(p + sizeof *h);
	const lex_slot *sl = (const lex_slot *)(v + h->n_vals);
	const char *s = (const char *)(sl + h->cap_slots);
	if (s[h->s_len - 1])
		return cr_fail(m, CR_ECORRUPT, "lexicon image: strings not ended");
	for (uint64_t i = 0; i < h->n_vals; i++)
		if (v[i].off >= h->s_len || v[i].next > h->n_vals)
			return cr_fail(m, CR_ECORRUPT, "lexicon image: bad value %llu", (unsigned long long)i);
	uint64_t used = 0;
	for (uint64_t i = 0; i < h->cap_slots; i++) {
		if (!sl[i].key_len)
			continue;
		used++;
		if ((uint64_t)sl[i].key + sl[i].key_len > h->s_len || sl[i].head > h->n_vals || sl[i].tail > h->n_vals)
			return cr_fail(m, CR_ECORRUPT, "lexicon image: bad slot %llu", (unsigned long long)i);
	}
	if (used != h->n_slots)
		return cr_fail(m, CR_ECORRUPT, "lexicon image: slot count");
	return CR_OK;
}

static void image_views(cr_lexicon *lx, const uint8_t *p, const image_hdr *h)
{
	lx->v = (const lex_val *)(p + sizeof *h);
	lx->sl = (const lex_slot *)(lx->v + h->n_vals);
	lx->s = (const char *)(lx->sl + h->cap_slots);
	lx->s_len = h->s_len, lx->n_vals = h->n_vals, lx->cap_slots = h->cap_slots;
	lx->n_slots = h->n_slots, lx->n_entries = h->n_entries;
}

cr_err cr_lexicon_from_image(const uint8_t *data, size_t len, cr_lexicon **out, cr_msg *m)
{
	*out = NULL;
	cr_lexicon *lx = calloc(1, sizeof *lx);
	if (!lx)
		return CR_ENOMEM;
	/* checked and used in a copy: aligned, and the caller's bytes need
	 * not outlive it */
	cr_buf_init(&lx->str, 0);
	image_hdr h;
	cr_err e = cr_buf_add(&lx->str, data, len) ? cr_fail(m, CR_ENOMEM, "lexicon image: out of memory")
						    : image_check((const uint8_t *)lx->str.data, len, &h, m);
	if (e) {
		cr_lexicon_free(lx);
		return e;
	}
	image_views(lx, (const uint8_t *)lx->str.data, &h);
	*out = lx;
	return CR_OK;
}

/* Opens the image at path if it was made from a file of this size and
 * mtime; CR_ENOTFOUND if it is absent or stale. */
static cr_err image_open(const char *path, uint64_t size, int64_t mtime, cr_lexicon **out, cr_msg *m)
{
	cr_mmap mm;
	*out = NULL;
	if (cr_mmap_open(&mm, path, NULL))
		return CR_ENOTFOUND;
	image_hdr h;
	cr_err e = image_check(mm.data, mm.len, &h, m);
	if (!e && (h.src_size != size || h.src_mtime != mtime))
		e = CR_ENOTFOUND;
	cr_lexicon *lx = e ? NULL : calloc(1, sizeof *lx);
	if (!e && !lx)
		e = CR_ENOMEM;
	if (e) {
		cr_mmap_close(&mm);
		return e;
	}
	cr_buf_init(&lx->str, 0);
	lx->map = mm;
	image_views(lx, mm.data, &h);
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
	if (lx->map.data)
		cr_mmap_close(&lx->map);
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
	const lex_slot *s = &lx->sl[find_in(lx->sl, lx->cap_slots, lx->s, key, len + 1)];
	size_t n = 0;
	if (s->key_len)
		for (uint32_t i = s->head; i && n < max; i = lx->v[i - 1].next)
			out[n++] = lx->s + lx->v[i - 1].off;
	return n;
}

/* ---- the process's lexicon --------------------------------------------- */

#define DEFAULT_PATH "/usr/share/edict/edict"

static pthread_mutex_t def_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t def_once = PTHREAD_ONCE_INIT;
static char def_path[1024] = DEFAULT_PATH;
static char def_cache[1024];
static int def_loading;
static cr_lexicon *def_lx;

static cr_err set_str(char *dst, size_t cap, const char *v)
{
	if (v && strlen(v) >= cap)
		return CR_ETOOBIG;
	pthread_mutex_lock(&def_mu);
	cr_err e = CR_OK;
	if (def_loading)
		e = CR_EBUSY;
	else
		snprintf(dst, cap, "%s", v ? v : "");
	pthread_mutex_unlock(&def_mu);
	return e;
}

cr_err cr_lexicon_set_path(const char *path)
{
	return set_str(def_path, sizeof def_path, path ? path : DEFAULT_PATH);
}

cr_err cr_lexicon_set_cache_dir(const char *dir)
{
	return set_str(def_cache, sizeof def_cache, dir);
}

/* Loads path through the image in cache_dir: opened when it matches the
 * file, else made after the parse (best effort: a cache that cannot be
 * written is only slower). */
static cr_err load_cached(const char *path, const char *cache_dir, cr_lexicon **out, cr_msg *m)
{
	struct stat st;
	if (stat(path, &st))
		return cr_fail(m, CR_ENOTFOUND, "lexicon: %s: %s", path, strerror(errno));
	char img[1200];
	int have_img = cache_dir[0] &&
		       snprintf(img, sizeof img, "%s/lexicon-%016llx.img", cache_dir,
				(unsigned long long)cr_hash64(path, strlen(path), 0x6c6578)) < (int)sizeof img;
	if (have_img && !image_open(img, (uint64_t)st.st_size, (int64_t)st.st_mtime, out, NULL))
		return CR_OK;
	cr_err e = cr_lexicon_load(path, out, m);
	if (e || !have_img)
		return e;
	cr_buf b;
	cr_buf_init(&b, 0);
	cr_msg ignored;
	if (!cr_lexicon_image(*out, (uint64_t)st.st_size, (int64_t)st.st_mtime, &b) && !cr_mkdirs(cache_dir, &ignored) &&
	    cr_file_write_atomic(img, b.data, b.len, &ignored))
		cr_log(CR_LOG_DEBUG, "lexicon: cache %s: %s", img, ignored.text);
	cr_buf_release(&b);
	return CR_OK;
}

/* A copy of a setting, taken as a load starts: none can change after. */
static void take(char *dst, const char *setting, size_t n)
{
	pthread_mutex_lock(&def_mu);
	def_loading = 1;
	memcpy(dst, setting, n);
	pthread_mutex_unlock(&def_mu);
}

static void def_load(void)
{
	char path[sizeof def_path], cache[sizeof def_cache];
	take(path, def_path, sizeof path);
	take(cache, def_cache, sizeof cache);
	if (!path[0] || !strcmp(path, "none"))
		return;
	cr_msg m = {{0}};
	if (load_cached(path, cache, &def_lx, &m))
		cr_log(CR_LOG_INFO, "lexicon: %s; questions across Japanese and English match only shared words",
		       m.text);
}

const cr_lexicon *cr_lexicon_default(void)
{
	pthread_once(&def_once, def_load);
	return def_lx;
}

/* ---- the process's glossary -------------------------------------------- */

#define GLOSSARY_MAX (64u << 20) /* bytes: a word list, not a corpus */

static pthread_once_t gl_once = PTHREAD_ONCE_INIT;
static char gl_path[1024];
static cr_lexicon *gl_lx;

cr_err cr_lexicon_glossary_load(const char *path, cr_lexicon **out, cr_msg *m)
{
	*out = NULL;
	cr_mmap mm;
	cr_err e = cr_mmap_open(&mm, path, m);
	if (e)
		return e;
	if (mm.len > GLOSSARY_MAX)
		e = cr_fail(m, CR_ETOOBIG, "glossary: %s: %zu bytes, over the %u MiB a glossary may have", path,
			    mm.len, GLOSSARY_MAX >> 20);
	else if ((e = cr_lexicon_parse_glossary(mm.data, mm.len, out, m)) == CR_ECORRUPT)
		e = cr_fail(m, e, "glossary: %s: no line of the form 'WORD [READING] /gloss/gloss/'", path);
	cr_mmap_close(&mm);
	return e;
}

cr_err cr_lexicon_set_glossary(const char *path)
{
	return set_str(gl_path, sizeof gl_path, path);
}

static void gl_load(void)
{
	char path[sizeof gl_path];
	take(path, gl_path, sizeof path);
	cr_msg m = {{0}};
	if (path[0] && cr_lexicon_glossary_load(path, &gl_lx, &m))
		cr_log(CR_LOG_WARN, "%s; answers use the word list alone", m.text);
}

const cr_lexicon *cr_lexicon_glossary(void)
{
	pthread_once(&gl_once, gl_load);
	return gl_lx;
}
