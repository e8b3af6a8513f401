/*
 * charset.c — bytes of unknown encoding to UTF-8 (uchardet guesses, iconv
 * converts).
 *
 * Order of decisions in cr_charset_to_utf8:
 *   1. a BOM (UTF-8, UTF-16 LE/BE, UTF-32 LE/BE) wins;
 *   2. UTF-16 without BOM, when zero bytes sit (90%) on one parity and that
 *      byte order decodes to plausible characters (ASCII, Latin, kana, CJK,
 *      full-width forms) for >= 90% of code units;
 *   3. a declared hint (HTML meta, MIME charset) that we know, except that a
 *      "UTF-8" hint on bytes that are not UTF-8 is ignored (common lie);
 *   4. ISO-2022-JP when the 7-bit bytes carry its escapes (ESC $ B ...);
 *   5. strict UTF-8 (plain ASCII included);
 *   5b. UTF-8 with a few invalid bytes (valid multi-byte sequences outnumber
 *      them 4:1): decoded as UTF-8, the bad bytes replaced;
 *   6. uchardet's guess; when it is not Japanese but the bytes decode
 *      cleanly as CP932 or EUC-JP into mostly kana/kanji, the Japanese reading
 *      wins (uchardet is weak on short Japanese texts). Short Latin-1 text
 *      fools both (0xE9 0x74 is a kanji, 0xDF a half-width katakana), so
 *      when the high bytes are accented letters inside ASCII words
 *      (latin_words), a Japanese reading needs a score of 24 (about 6 kana/kanji), and a guess
 *      of Japanese or ISO-8859-2 that decodes to less falls to CP1252;
 *   7. CP1252 (every byte means something; Latin-1 is read as CP1252 like
 *      browsers do).
 * Conversion never fails on bad bytes: an invalid or truncated sequence
 * becomes U+FFFD and conversion resumes one byte later; NULs are dropped.
 * Cost: one pass of uchardet over at most 64 KiB, one iconv pass.
 */
#define _GNU_SOURCE
#include "ingest_int.h"

#include <errno.h>
#include <iconv.h>
#include <string.h>
#include <strings.h>
#include <uchardet.h>

#define SNIFF_MAX (64u << 10)

/* Known charsets: what callers and uchardet may call them, what iconv
 * calls them, and the name we report. */
static const struct {
	const char *alias, *iconv, *label;
} charsets[] = {
	{"utf-8", "UTF-8", "UTF-8"},
	{"utf8", "UTF-8", "UTF-8"},
	{"us-ascii", "UTF-8", "UTF-8"},
	{"ascii", "UTF-8", "UTF-8"},
	{"utf-16le", "UTF-16LE", "UTF-16LE"},
	{"utf-16be", "UTF-16BE", "UTF-16BE"},
	{"utf-16", "UTF-16", "UTF-16"},
	{"utf-32le", "UTF-32LE", "UTF-32LE"},
	{"utf-32be", "UTF-32BE", "UTF-32BE"},
	{"shift_jis", "CP932", "Shift_JIS"},
	{"shift-jis", "CP932", "Shift_JIS"},
	{"sjis", "CP932", "Shift_JIS"},
	{"x-sjis", "CP932", "Shift_JIS"},
	{"ms_kanji", "CP932", "Shift_JIS"},
	{"cp932", "CP932", "Shift_JIS"},
	{"windows-31j", "CP932", "Shift_JIS"},
	{"euc-jp", "EUC-JP", "EUC-JP"},
	{"x-euc-jp", "EUC-JP", "EUC-JP"},
	{"eucjp", "EUC-JP", "EUC-JP"},
	{"iso-2022-jp", "ISO-2022-JP-3", "ISO-2022-JP"},
	{"csiso2022jp", "ISO-2022-JP-3", "ISO-2022-JP"},
	{"iso-8859-1", "CP1252", "windows-1252"},
	{"latin1", "CP1252", "windows-1252"},
	{"iso_8859-1", "CP1252", "windows-1252"},
	{"windows-1252", "CP1252", "windows-1252"},
	{"cp1252", "CP1252", "windows-1252"},
	{"iso-8859-2", "ISO-8859-2", "ISO-8859-2"},
	{"iso-8859-5", "ISO-8859-5", "ISO-8859-5"},
	{"iso-8859-7", "ISO-8859-7", "ISO-8859-7"},
	{"iso-8859-9", "CP1254", "windows-1254"},
	{"iso-8859-15", "ISO-8859-15", "ISO-8859-15"},
	{"windows-1250", "CP1250", "windows-1250"},
	{"windows-1251", "CP1251", "windows-1251"},
	{"windows-1253", "CP1253", "windows-1253"},
	{"windows-1254", "CP1254", "windows-1254"},
	{"windows-1255", "CP1255", "windows-1255"},
	{"windows-1256", "CP1256", "windows-1256"},
	{"windows-1257", "CP1257", "windows-1257"},
	{"windows-1258", "CP1258", "windows-1258"},
	{"koi8-r", "KOI8-R", "KOI8-R"},
	{"koi8-u", "KOI8-U", "KOI8-U"},
	{"gb2312", "GB18030", "GB18030"},
	{"gbk", "GB18030", "GB18030"},
	{"gb18030", "GB18030", "GB18030"},
	{"big5", "BIG5", "Big5"},
	{"euc-kr", "CP949", "EUC-KR"},
	{"ks_c_5601-1987", "CP949", "EUC-KR"},
	{"euc-tw", "EUC-TW", "EUC-TW"},
	{"iso-2022-kr", "ISO-2022-KR", "ISO-2022-KR"},
	{"iso-2022-cn", "ISO-2022-CN", "ISO-2022-CN"},
	{"mac-cyrillic", "MAC-CYRILLIC", "x-mac-cyrillic"},
	{"ibm866", "IBM866", "IBM866"},
	{"tis-620", "TIS-620", "TIS-620"},
	{"viscii", "VISCII", "VISCII"},
};

/* Loads the gconv module of every charset above (and ISO-2022-JP, which
 * GMime asks for by that name) once, on the thread that sets up extraction,
 * and keeps one descriptor of each open for the life of the process: a
 * worker's iconv_open then finds its module loaded and never enters the
 * dynamic loader, whose lock is not a pthread mutex (ThreadSanitizer's
 * runtime could deadlock against it), and no module is unloaded and
 * reloaded between files. Unknown names are skipped. */
static iconv_t g_kept[sizeof charsets / sizeof charsets[0] + 1];

void cr_charset_preload(void)
{
	size_t n = 0;
	for (size_t i = 0; i < sizeof charsets / sizeof charsets[0]; i++) {
		int seen = 0;
		for (size_t j = 0; j < i && !seen; j++)
			seen = !strcmp(charsets[j].iconv, charsets[i].iconv);
		iconv_t cd = seen ? (iconv_t)-1 : iconv_open("UTF-8", charsets[i].iconv);
		if (cd != (iconv_t)-1)
			g_kept[n++] = cd;
	}
	iconv_t cd = iconv_open("UTF-8", "ISO-2022-JP");
	if (cd != (iconv_t)-1)
		g_kept[n++] = cd;
}

static int find_charset(const char *name)
{
	if (!name)
		return -1;
	/* trim spaces and quotes that sloppy headers leave */
	while (*name == ' ' || *name == '"' || *name == '\'')
		name++;
	size_t n = strlen(name);
	while (n && (name[n - 1] == ' ' || name[n - 1] == '"' || name[n - 1] == '\'' || name[n - 1] == ';'))
		n--;
	for (size_t i = 0; i < CR_ARRAY_LEN(charsets); i++)
		if (strlen(charsets[i].alias) == n && strncasecmp(charsets[i].alias, name, n) == 0)
			return (int)i;
	return -1;
}

static int find_label(const char *label)
{
	for (size_t i = 0; i < CR_ARRAY_LEN(charsets); i++)
		if (strcmp(charsets[i].label, label) == 0)
			return (int)i;
	return -1;
}

/* ---- heuristics -------------------------------------------------------- */

/* Code points that real UTF-16 text is made of. */
static int plausible_cp(uint32_t c)
{
	if (c == '\t' || c == '\n' || c == '\r' || c == '\f')
		return 1;
	return (c >= 0x20 && c < 0x7f) || (c >= 0xa0 && c <= 0x24f) || (c >= 0x370 && c <= 0x52f) ||
	       (c >= 0x2000 && c <= 0x206f) || (c >= 0x3000 && c <= 0x30ff) || (c >= 0x4e00 && c <= 0x9fff) ||
	       (c >= 0xff00 && c <= 0xffef);
}

/* Share (in %) of plausible code units reading the first bytes as UTF-16
 * in the given order. */
static int utf16_score(const uint8_t *b, size_t n, int big_endian)
{
	n = CR_MIN(n, SNIFF_MAX) & ~(size_t)1;
	if (n < 4)
		return 0;
	size_t good = 0, total = 0;
	for (size_t i = 0; i + 1 < n; i += 2) {
		uint32_t u = big_endian ? (uint32_t)b[i] << 8 | b[i + 1] : (uint32_t)b[i + 1] << 8 | b[i];
		total++;
		good += (size_t)plausible_cp(u);
	}
	return (int)(good * 100 / total);
}

/* 0 = not UTF-16, 1 = LE, 2 = BE. Real UTF-16 text holds some ASCII
 * (newlines, spaces, digits), whose high bytes are zero and all sit on one
 * parity; without such zeros the guess is refused, because Shift_JIS kanji
 * read as UTF-16BE also land in the CJK block. */
static int sniff_utf16(const uint8_t *b, size_t n)
{
	size_t w = CR_MIN(n, SNIFF_MAX), z_even = 0, z_odd = 0;
	if (!memchr(b, 0, w))
		return 0; /* no NUL byte: not UTF-16 (the common case, one fast pass) */
	for (size_t i = 0; i < w; i++)
		if (b[i] == 0) {
			if (i & 1)
				z_odd++;
			else
				z_even++;
		}
	size_t z = z_even + z_odd;
	if (z < 2 || w < 16)
		return 0; /* too little to go on */
	if (z_odd * 10 >= z * 9 && utf16_score(b, n, 0) >= 90)
		return 1;
	if (z_even * 10 >= z * 9 && utf16_score(b, n, 1) >= 90)
		return 2;
	return 0;
}

static size_t bom_len(const uint8_t *b, size_t n, int *idx)
{
	if (n >= 4 && b[0] == 0xff && b[1] == 0xfe && b[2] == 0 && b[3] == 0) {
		*idx = find_label("UTF-32LE");
		return 4;
	}
	if (n >= 4 && b[0] == 0 && b[1] == 0 && b[2] == 0xfe && b[3] == 0xff) {
		*idx = find_label("UTF-32BE");
		return 4;
	}
	if (n >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf) {
		*idx = find_label("UTF-8");
		return 3;
	}
	if (n >= 2 && b[0] == 0xff && b[1] == 0xfe) {
		*idx = find_label("UTF-16LE");
		return 2;
	}
	if (n >= 2 && b[0] == 0xfe && b[1] == 0xff) {
		*idx = find_label("UTF-16BE");
		return 2;
	}
	return 0;
}

int cr_charset_looks_text(const uint8_t *buf, size_t len)
{
	int idx;
	if (!buf || len == 0)
		return 1;
	if (bom_len(buf, len, &idx))
		return 1;
	if (sniff_utf16(buf, len))
		return 1;
	size_t n = CR_MIN(len, SNIFF_MAX), ctrl = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = buf[i];
		if (c == 0)
			return 0;
		if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v' && c != 0x1b) ||
		    c == 0x7f)
			ctrl++;
	}
	return ctrl * 100 <= n * 2;
}

/* Mostly UTF-8 with a few bad bytes (a cut, a stray Latin-1 byte)? Valid
 * multi-byte sequences outnumber invalid bytes 4 to 1. Text in a legacy
 * charset almost never forms valid UTF-8 sequences, so this is safe. */
static int mostly_utf8(const uint8_t *b, size_t n)
{
	n = CR_MIN(n, SNIFF_MAX * 4);
	size_t good = 0, bad = 0, i = 0;
	while (i < n) {
		if (b[i] < 0x80) {
			i++;
			continue;
		}
		uint32_t cp;
		int l = cr_utf8_decode(b + i, n - i, &cp);
		if (l > 0) {
			good++;
			i += (size_t)l;
		} else {
			bad++;
			i++;
		}
	}
	return good > 0 && good >= bad * 4;
}

static int has_iso2022jp_escape(const uint8_t *b, size_t n)
{
	n = CR_MIN(n, SNIFF_MAX);
	if (!memchr(b, 0x1b, n))
		return 0; /* no ESC at all (the common case, one fast pass) */
	for (size_t i = 0; i < n; i++)
		if (b[i] >= 0x80)
			return 0;
	return memmem(b, n, "\x1b$B", 3) || memmem(b, n, "\x1b$@", 3) || memmem(b, n, "\x1b(J", 3) ||
	       memmem(b, n, "\x1b(I", 3) || memmem(b, n, "\x1b$(D", 4) || memmem(b, n, "\x1b$(Q", 4);
}

/* Strictly decodes a sample with iconv; returns a score for reading it as
 * Japanese in that charset, or -1 if the sample is not valid in that
 * charset or does not read as Japanese: kana, kanji, CJK punctuation and
 * full-width forms must outnumber other non-ASCII characters 4 to 1.
 * Score: 4 per hiragana (real Japanese is full of it; bytes of the other
 * charset almost never decode to it), 3 per other full-width character,
 * 1 per half-width katakana, so "half-width soup" (EUC-JP bytes read as
 * Shift_JIS single bytes) loses to the reading with kana and kanji. Half-
 * width katakana count at all only when `halfwidth` is set: Latin-1
 * letters (0xA1-0xDF: "ß" -> "ﾟ") land there, so the caller clears it for
 * Latin-looking bytes. A character cut at the end is forgiven only when
 * the sample itself was cut. */
static long japanese_score(const char *cs, const uint8_t *b, size_t n, int halfwidth)
{
	iconv_t cd = iconv_open("UTF-32LE", cs);
	if (cd == (iconv_t)-1)
		return -1;
	int cut = n > 16384;
	n = CR_MIN(n, (size_t)16384);
	char out[4096];
	char *in = (char *)b;
	size_t in_left = n;
	long kana = 0, other = 0, score = 0;
	while (in_left) {
		char *o = out;
		size_t o_left = sizeof out;
		size_t r = iconv(cd, &in, &in_left, &o, &o_left);
		for (char *p = out; p + 4 <= o; p += 4) {
			uint32_t c = (uint32_t)(uint8_t)p[0] | (uint32_t)(uint8_t)p[1] << 8 | (uint32_t)(uint8_t)p[2] << 16 |
				     (uint32_t)(uint8_t)p[3] << 24;
			if (c >= 0x3040 && c <= 0x309f) {
				kana++;
				score += 4;
			} else if ((c >= 0x30a0 && c <= 0x30ff) || (c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3000 && c <= 0x303f) ||
				   (c >= 0xff00 && c <= 0xff60) || (c >= 0xffe0 && c <= 0xffef)) {
				kana++;
				score += 3;
			} else if (halfwidth && c >= 0xff61 && c <= 0xff9f) {
				kana++;
				score += 1;
			} else if (c >= 0x80) {
				other++;
			}
		}
		if (r == (size_t)-1 && errno != E2BIG) {
			if (errno != EINVAL || !cut) /* EINVAL: a character cut at the end of the sample */
				kana = -1;
			break;
		}
	}
	iconv_close(cd);
	if (kana < 0)
		return -1;
	return kana > other * 4 ? score : -1;
}

/* Does the text read as Latin-1/CP1252 words: at least 80% of its high
 * bytes are accented letters (0xC0-0xFF but × and ÷) touching an ASCII
 * letter ("Caf\xe9 ", "Gr\xfc\xdf" "e")? Shift_JIS kana leads (0x82,
 * 0x83) and EUC-JP byte pairs rarely pass. */
static int latin_words(const uint8_t *b, size_t n)
{
	n = CR_MIN(n, (size_t)16384);
	size_t hi = 0, good = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = b[i];
		if (c < 0x80)
			continue;
		hi++;
		if (c < 0xc0 || c == 0xd7 || c == 0xf7)
			continue;
		/* the nearest non-accented neighbours (a run of accented letters is one word) */
		size_t l = i, r = i;
		while (l > 0 && b[l - 1] >= 0xc0)
			l--;
		while (r + 1 < n && b[r + 1] >= 0xc0)
			r++;
		int left = l > 0 && ((b[l - 1] | 0x20) >= 'a' && (b[l - 1] | 0x20) <= 'z');
		int right = r + 1 < n && ((b[r + 1] | 0x20) >= 'a' && (b[r + 1] | 0x20) <= 'z');
		good += (size_t)(left || right);
	}
	return hi > 0 && good * 10 >= hi * 8;
}

static int is_japanese_label(const char *lab)
{
	return strcmp(lab, "Shift_JIS") == 0 || strcmp(lab, "EUC-JP") == 0 || strcmp(lab, "ISO-2022-JP") == 0;
}

static int detect_uchardet(const uint8_t *b, size_t n)
{
	uchardet_t ud = uchardet_new();
	if (!ud)
		return -1;
	int idx = -1;
	if (uchardet_handle_data(ud, (const char *)b, CR_MIN(n, SNIFF_MAX)) == 0) {
		uchardet_data_end(ud);
		idx = find_charset(uchardet_get_charset(ud));
	}
	uchardet_delete(ud);
	return idx;
}

/* ---- conversion -------------------------------------------------------- */

/* Conversion goes a slice at a time, so a cancel token is read about
 * every SLICE bytes of input or output. */
#define SLICE ((size_t)1 << 20)

static cr_err convert(cr_buf *ob, const char *cs, const uint8_t *b, size_t n, const cr_cancel *cancel)
{
	if (strcmp(cs, "UTF-8") == 0) {
		cr_err e = CR_OK;
		for (size_t off = 0; off < n && !e;) {
			size_t end = n - off > SLICE ? off + SLICE : n;
			while (end < n && (b[end] & 0xC0) == 0x80)
				end++; /* never between a lead byte and its continuation bytes */
			e = cr_utf8_sanitize(ob, b + off, end - off);
			off = end;
			if (!e && off < n)
				e = cr_cancel_check(cancel);
		}
		return e;
	}
	iconv_t cd = iconv_open("UTF-8", cs);
	if (cd == (iconv_t)-1)
		return CR_EUNSUPPORTED;
	cr_err e = cr_buf_reserve(ob, n + n / 2 + 16);
	char *in = (char *)b;
	size_t in_left = n;
	while (!e && in_left) {
		if (ob->alloc - ob->len < 16)
			e = cr_buf_reserve(ob, ob->alloc);
		if (e)
			break;
		if ((e = cr_cancel_check(cancel)))
			break;
		char *o = ob->data + ob->len;
		size_t o_left = CR_MIN(ob->alloc - ob->len - 1, SLICE);
		size_t r = iconv(cd, &in, &in_left, &o, &o_left);
		ob->len = (size_t)(o - ob->data);
		ob->data[ob->len] = 0;
		if (r != (size_t)-1)
			break;
		int err = errno;
		if (err == E2BIG) {
			if (ob->alloc - ob->len - 1 <= SLICE) /* the buffer, not the slice, is full */
				e = cr_buf_reserve(ob, ob->alloc);
		} else if (err == EINVAL) {
			break; /* truncated at the end: one U+FFFD below */
		} else if (err == EILSEQ) {
			e = cr_buf_add(ob, "\xef\xbf\xbd", 3);
			in++;
			in_left--;
		} else {
			e = CR_EIO;
		}
	}
	if (!e && in_left == 0) {
		/* flush shift state (ISO-2022) */
		char tail[16], *o = tail;
		size_t o_left = sizeof tail;
		if (iconv(cd, NULL, NULL, &o, &o_left) != (size_t)-1)
			e = cr_buf_add(ob, tail, (size_t)(o - tail));
	} else if (!e && in_left) {
		e = cr_buf_add(ob, "\xef\xbf\xbd", 3);
	}
	iconv_close(cd);
	return e;
}

cr_err cr_charset_to_utf8(cr_arena *a, const uint8_t *buf, size_t len, const char *hint, char **out,
			  size_t *out_len, const char **used, cr_msg *m)
{
	return cr_charset_to_utf8_cancel(NULL, a, buf, len, hint, out, out_len, used, m);
}

/* cr_utf8_valid a slice at a time (cut before a lead byte, so no sequence
 * is split), reading the cancel token between slices: 1 valid, 0 not,
 * -1 canceled (*e says why). */
static int valid_utf8(const uint8_t *b, size_t n, const cr_cancel *cancel, cr_err *e)
{
	for (size_t off = 0; off < n;) {
		size_t end = n - off > SLICE ? off + SLICE : n;
		while (end < n && (b[end] & 0xC0) == 0x80)
			end++;
		if (!cr_utf8_valid(b + off, end - off))
			return 0;
		off = end;
		if (off < n && (*e = cr_cancel_check(cancel)))
			return -1;
	}
	return 1;
}

cr_err cr_charset_to_utf8_cancel(const cr_cancel *cancel, cr_arena *a, const uint8_t *buf, size_t len,
				 const char *hint, char **out, size_t *out_len, const char **used, cr_msg *m)
{
	cr_err ce = CR_OK;
	int valid = -2; /* not yet known */
	if (!a || !out || (!buf && len))
		return cr_fail(m, CR_EINVAL, "charset: bad arguments");
	static const uint8_t none[1];
	if (!buf)
		buf = none;
	int idx = -1;
	size_t skip = bom_len(buf, len, &idx);
	if (!skip) {
		int u16 = sniff_utf16(buf, len);
		if (u16)
			idx = find_label(u16 == 1 ? "UTF-16LE" : "UTF-16BE");
	}
	if (idx < 0 && hint) {
		int h = find_charset(hint);
		if (h >= 0 && strcmp(charsets[h].iconv, "UTF-8") == 0 && !(valid = valid_utf8(buf, len, cancel, &ce)))
			h = -1; /* declared UTF-8 but is not: detect */
		idx = h;
	}
	if (idx < 0 && has_iso2022jp_escape(buf, len)) /* 7-bit: check before UTF-8 */
		idx = find_label("ISO-2022-JP");
	if (idx < 0 && valid == -2)
		valid = valid_utf8(buf, len, cancel, &ce);
	if (valid == -1)
		return cr_fail(m, ce, "charset: %s", ce == CR_ETIMEOUT ? "time limit reached" : "canceled");
	if (idx < 0 && valid == 1)
		idx = find_label("UTF-8");
	if (idx < 0 && mostly_utf8(buf, len))
		idx = find_label("UTF-8"); /* bad bytes become U+FFFD */
	if (idx < 0) {
		int u = detect_uchardet(buf, len);
		const char *lab = u >= 0 ? charsets[u].label : "";
		int latin = latin_words(buf, len);
		if (!is_japanese_label(lab)) {
			long sj = japanese_score("CP932", buf, len, !latin),
			     ej = japanese_score("EUC-JP", buf, len, !latin);
			/* a few kanji read into Latin words ("\xe9t\xe9") are not Japanese */
			long need = latin ? 24 : 1; /* about 6 or more kana/kanji */
			if (sj >= need && sj >= ej)
				u = find_label("Shift_JIS");
			else if (ej >= need)
				u = find_label("EUC-JP");
			else if (latin && u >= 0 && strcmp(charsets[u].label, "windows-1252") != 0 &&
				 strncmp(charsets[u].label, "ISO-8859", 8) != 0 && strncmp(charsets[u].label, "windows-125", 11) != 0)
				u = -1; /* Latin words but an exotic guess: CP1252 below */
		} else if (latin && strcmp(lab, "ISO-2022-JP") != 0 &&
			   japanese_score(strcmp(lab, "Shift_JIS") == 0 ? "CP932" : "EUC-JP", buf, len, 0) < 24) {
			u = -1; /* uchardet said Japanese, but the bytes are Latin words and decode to little Japanese */
		}
		if (u >= 0 && latin && len < 1024 &&
		    (strcmp(charsets[u].label, "ISO-8859-2") == 0 || strcmp(charsets[u].label, "windows-1250") == 0))
			u = -1; /* too short to tell Central European from Western: take the common case */
		idx = u;
	}
	if (idx < 0)
		idx = find_label("windows-1252");

	cr_buf ob;
	cr_buf_init(&ob, 0);
	cr_err e = convert(&ob, charsets[idx].iconv, buf + skip, len - skip, cancel);
	if (e == CR_EUNSUPPORTED) { /* iconv lacks it: fall back to CP1252 */
		cr_buf_reset(&ob);
		idx = find_label("windows-1252");
		e = convert(&ob, charsets[idx].iconv, buf + skip, len - skip, cancel);
	}
	if (e == CR_ECANCELED || e == CR_ETIMEOUT) {
		cr_buf_release(&ob);
		return cr_fail(m, e, "charset: %s", e == CR_ETIMEOUT ? "time limit reached" : "canceled");
	}
	if (!e && ob.len && memchr(ob.data, 0, ob.len)) {
		cr_buf clean;
		cr_buf_init(&clean, 0);
		e = cr_utf8_sanitize(&clean, (const uint8_t *)ob.data, ob.len);
		cr_buf_release(&ob);
		ob = clean;
	}
	char *res = e ? NULL : cr_arena_strndup(a, ob.data ? ob.data : "", ob.len);
	size_t res_len = ob.len;
	cr_buf_release(&ob);
	if (e || !res)
		return cr_fail(m, CR_ENOMEM, "charset: out of memory");
	*out = res;
	if (out_len)
		*out_len = res_len;
	if (used)
		*used = charsets[idx].label;
	return CR_OK;
}
