/*
 * tok_unicode.c — the Unicode facts the tokenizers need, answered the way
 * llama.cpp's unicode.cpp answers them: category flags (\p{L}, \p{N}, ...)
 * mapped from the general category as gen-unicode-data.py maps it, its
 * fixed whitespace set, simple lowercase, "NFD" as the first code point of
 * the canonical decomposition, and its lenient UTF-8 decoder (an invalid
 * byte becomes U+FFFD and one byte is consumed; overlong forms and values
 * past U+10FFFF from 4-byte forms are accepted as llama.cpp accepts them).
 * The tables are utf8proc's (Debian's libutf8proc); llama.cpp's are
 * generated from the latest UnicodeData.txt, so code points assigned after
 * utf8proc's Unicode version may be classed differently.
 */
#include "tok_int.h"

#include <utf8proc.h>

static int is_ws(uint32_t cp)
{
	if ((cp >= 0x09 && cp <= 0x0D) || cp == 0x20)
		return 1;
	if (cp < 0x85)
		return 0;
	return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
	       cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

uint16_t cr_u_flags(uint32_t cp)
{
	if (cp == CR_U_OUT)
		return 0;
	if (cp >= 0x110000)
		return CR_UF_UNDEFINED;
	uint16_t f;
	switch (utf8proc_category((utf8proc_int32_t)cp)) {
	case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
		f = CR_UF_LETTER; break;
	case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
		f = CR_UF_MARK; break;
	case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
		f = CR_UF_NUMBER; break;
	case UTF8PROC_CATEGORY_PC: case UTF8PROC_CATEGORY_PD: case UTF8PROC_CATEGORY_PS:
	case UTF8PROC_CATEGORY_PE: case UTF8PROC_CATEGORY_PI: case UTF8PROC_CATEGORY_PF:
	case UTF8PROC_CATEGORY_PO:
		f = CR_UF_PUNCT; break;
	case UTF8PROC_CATEGORY_SM: case UTF8PROC_CATEGORY_SC: case UTF8PROC_CATEGORY_SK:
	case UTF8PROC_CATEGORY_SO:
		f = CR_UF_SYMBOL; break;
	case UTF8PROC_CATEGORY_ZS: case UTF8PROC_CATEGORY_ZL: case UTF8PROC_CATEGORY_ZP:
		f = CR_UF_SEPARATOR; break;
	case UTF8PROC_CATEGORY_CC: case UTF8PROC_CATEGORY_CF: case UTF8PROC_CATEGORY_CS:
	case UTF8PROC_CATEGORY_CO:
		f = CR_UF_CONTROL; break;
	default:
		f = CR_UF_UNDEFINED; break;
	}
	if (is_ws(cp))
		f |= CR_UF_WHITESPACE;
	return f;
}

uint32_t cr_u_tolower(uint32_t cp)
{
	if (cp >= 0x110000)
		return cp;
	return (uint32_t)utf8proc_tolower((utf8proc_int32_t)cp);
}

uint32_t cr_u_nfd_first(uint32_t cp)
{
	if (cp < 0xC0 || cp >= 0x110000)
		return cp;
	utf8proc_int32_t out[32];
	int last = 0;
	utf8proc_ssize_t n = utf8proc_decompose_char((utf8proc_int32_t)cp, out, 32, UTF8PROC_DECOMPOSE, &last);
	return n >= 1 ? (uint32_t)out[0] : cp;
}

uint32_t cr_u_decode(const uint8_t *s, size_t n, size_t *len)
{
	uint8_t b = s[0];
	if (!(b & 0x80)) {
		*len = 1;
		return b;
	}
	if (!(b & 0x40))
		goto bad;
	if (!(b & 0x20)) {
		if (n < 2 || (s[1] & 0xc0) != 0x80)
			goto bad;
		*len = 2;
		return (uint32_t)(b & 0x1f) << 6 | (s[1] & 0x3f);
	}
	if (!(b & 0x10)) {
		if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			goto bad;
		*len = 3;
		return (uint32_t)(b & 0x0f) << 12 | (uint32_t)(s[1] & 0x3f) << 6 | (s[2] & 0x3f);
	}
	if (!(b & 0x08)) {
		if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
			goto bad;
		*len = 4;
		return (uint32_t)(b & 0x07) << 18 | (uint32_t)(s[1] & 0x3f) << 12 | (uint32_t)(s[2] & 0x3f) << 6 |
		       (s[3] & 0x3f);
	}
bad:
	*len = 1;
	return 0xFFFD;
}

int cr_u_encode(uint32_t cp, char out[4])
{
	if (cp <= 0x7f) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp <= 0x7ff) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp <= 0xffff) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	if (cp <= 0x10ffff) {
		out[0] = (char)(0xf0 | (cp >> 18));
		out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[3] = (char)(0x80 | (cp & 0x3f));
		return 4;
	}
	return 0;
}
