/*
 * fold.c — the working copy every pattern runs on. Each code point whose
 * NFKC form is ASCII (full-width digits and letters, ＠ ． （ ） －, the
 * ideographic space) becomes that ASCII; the dashes people type in numbers
 * (‐ ‑ ‒ – — ― − ﹣, and ー ｰ between two digits) become '-'; everything
 * else is copied as is. Each byte of the copy keeps the byte range of the
 * original code point, so a span found in the copy maps back exactly.
 */
#include "pii_int.h"

#include <string.h>
#include <utf8proc.h>

uint32_t pii_cp(const char *s, size_t n, size_t i, int *len)
{
	uint32_t cp = 0;
	int l = cr_utf8_decode((const uint8_t *)s + i, n - i, &cp);
	*len = l > 0 ? l : 0;
	return l > 0 ? cp : 0;
}

int pii_is_kanji(uint32_t cp)
{
	return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || cp == 0x3005 ||
	       cp == 0x3006 || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x2FFFF);
}
int pii_is_hira(uint32_t cp) { return cp >= 0x3041 && cp <= 0x309F; }
int pii_is_kata(uint32_t cp)
{
	/* not the middle dot ・ (U+30FB, U+FF65): a list separator */
	return (cp >= 0x30A1 && cp <= 0x30FF && cp != 0x30FB) || (cp >= 0xFF66 && cp <= 0xFF9F);
}

static int is_dash(uint32_t cp)
{
	return (cp >= 0x2010 && cp <= 0x2015) || cp == 0x2212 || cp == 0xFE63 || cp == 0xFF0D;
}

static int digit_at(const char *s, size_t n, size_t i)
{
	if (i >= n)
		return 0;
	if (pii_is_digit(s[i]))
		return 1;
	int l;
	uint32_t cp = pii_cp(s, n, i, &l);
	return cp >= 0xFF10 && cp <= 0xFF19;
}

cr_err pii_fold_make(cr_arena *a, const char *text, size_t len, pii_fold *f)
{
	memset(f, 0, sizeof *f);
	/* NFKC of one code point to ASCII gives at most a few bytes (the
	 * copy never grows beyond the original: a multi-byte code point maps
	 * to fewer ASCII bytes, or to itself) */
	f->s = cr_arena_alloc(a, len + 1);
	f->st = cr_arena_alloc(a, (len + 1) * sizeof *f->st);
	f->en = cr_arena_alloc(a, (len + 1) * sizeof *f->en);
	if (!f->s || !f->st || !f->en)
		return CR_ENOMEM;
	size_t o = 0;
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)text[i];
		if (c < 0x80) {
			f->s[o] = (char)c;
			f->st[o] = (uint32_t)i;
			f->en[o] = (uint32_t)i + 1;
			o++, i++;
			continue;
		}
		int l;
		uint32_t cp = pii_cp(text, len, i, &l);
		if (!l) { /* invalid byte: a separator of its own */
			f->s[o] = 0x1a;
			f->st[o] = (uint32_t)i;
			f->en[o] = (uint32_t)i + 1;
			o++, i++;
			continue;
		}
		char asc[8];
		int na = 0;
		if (is_dash(cp) ||
		    ((cp == 0x30FC || cp == 0xFF70) && o && pii_is_digit(f->s[o - 1]) && digit_at(text, len, i + (size_t)l))) {
			asc[na++] = '-';
		} else {
			utf8proc_int32_t d[8];
			int bc = 0;
			utf8proc_ssize_t nd = utf8proc_decompose_char((utf8proc_int32_t)cp, d, 8, UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT, &bc);
			if (nd > 0 && nd <= l) {
				int ascii = 1;
				for (utf8proc_ssize_t k = 0; k < nd; k++)
					ascii &= d[k] > 0 && d[k] < 0x80;
				if (ascii)
					for (utf8proc_ssize_t k = 0; k < nd; k++)
						asc[na++] = (char)d[k];
			}
		}
		if (na) {
			for (int k = 0; k < na; k++) {
				f->s[o] = asc[k];
				f->st[o] = (uint32_t)i;
				f->en[o] = (uint32_t)(i + (size_t)l);
				o++;
			}
		} else {
			for (int k = 0; k < l; k++) {
				f->s[o] = text[i + (size_t)k];
				f->st[o] = (uint32_t)i;
				f->en[o] = (uint32_t)(i + (size_t)l);
				o++;
			}
		}
		i += (size_t)l;
	}
	f->s[o] = 0;
	f->st[o] = (uint32_t)len;
	f->en[o] = (uint32_t)len;
	f->n = o;
	return CR_OK;
}
