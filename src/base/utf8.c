/* utf8.c — strict UTF-8 decoding, encoding and sanitising. */
#include "cristal/base.h"

#include <string.h>

int cr_utf8_decode(const uint8_t *s, size_t n, uint32_t *cp)
{
	if (n == 0)
		return 0;
	uint8_t c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	int len;
	uint32_t v, min;
	if ((c & 0xe0) == 0xc0) { len = 2; v = c & 0x1f; min = 0x80; }
	else if ((c & 0xf0) == 0xe0) { len = 3; v = c & 0x0f; min = 0x800; }
	else if ((c & 0xf8) == 0xf0) { len = 4; v = c & 0x07; min = 0x10000; }
	else return 0;
	if ((size_t)len > n)
		return 0;
	for (int i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

int cr_utf8_encode(uint32_t cp, char out[4])
{
	if (cp < 0x80) { out[0] = (char)cp; return 1; }
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp >= 0xd800 && cp <= 0xdfff)
		return 0;
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	if (cp > 0x10ffff)
		return 0;
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

int cr_utf8_valid(const uint8_t *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		/* ASCII eight bytes at a time: most text is mostly ASCII */
		while (i + 8 <= n) {
			uint64_t w;
			memcpy(&w, s + i, 8);
			if (w & 0x8080808080808080ULL)
				break;
			i += 8;
		}
		if (i >= n)
			break;
		if (s[i] < 0x80) { i++; continue; }
		uint32_t cp;
		int l = cr_utf8_decode(s + i, n - i, &cp);
		if (!l)
			return 0;
		i += (size_t)l;
	}
	return 1;
}

cr_err cr_utf8_sanitize(cr_buf *b, const uint8_t *s, size_t n)
{
	cr_err e = cr_buf_reserve(b, n);
	size_t i = 0;
	while (!e && i < n) {
		size_t run = i;
		while (run < n && s[run] < 0x80 && s[run] != 0)
			run++;
		if (run > i) {
			e = cr_buf_add(b, s + i, run - i);
			i = run;
			continue;
		}
		if (s[i] == 0) { i++; continue; }
		uint32_t cp;
		int l = cr_utf8_decode(s + i, n - i, &cp);
		if (l) {
			e = cr_buf_add(b, s + i, (size_t)l);
			i += (size_t)l;
		} else {
			e = cr_buf_add(b, "\xef\xbf\xbd", 3);
			i++;
		}
	}
	return e;
}

/* Whether s needs the escaped form: invalid UTF-8, or (with controls) a
 * control character. */
static int needs_escape(const uint8_t *s, size_t n, int controls)
{
	size_t i = 0;
	while (i < n) {
		uint32_t cp;
		int l = cr_utf8_decode(s + i, n - i, &cp);
		if (!l)
			return 1;
		if (controls && (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) &&
		    !(controls == 2 && (cp == '\n' || cp == '\t')))
			return 1;
		i += (size_t)l;
	}
	return 0;
}

cr_err cr_utf8_escape(cr_buf *b, const char *str, size_t n, int controls)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *s = (const uint8_t *)str;
	if (!needs_escape(s, n, controls))
		return cr_buf_add(b, str, n);
	cr_err e = CR_OK;
	size_t i = 0;
	while (!e && i < n) {
		uint32_t cp = 0;
		int l = cr_utf8_decode(s + i, n - i, &cp);
		int ctl = l && controls && (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) &&
			  !(controls == 2 && (cp == '\n' || cp == '\t'));
		if (l && !ctl) {
			e = cp == '\\' ? cr_buf_add(b, "\\\\", 2) : cr_buf_add(b, s + i, (size_t)l);
			i += (size_t)l;
			continue;
		}
		size_t k = l ? (size_t)l : 1; /* a control (1 or 2 bytes), or one bad byte */
		for (size_t j = 0; j < k && !e; j++) {
			char x[4] = {'\\', 'x', hex[s[i + j] >> 4], hex[s[i + j] & 15]};
			e = cr_buf_add(b, x, 4);
		}
		i += k;
	}
	return e;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

cr_err cr_utf8_unescape(cr_buf *b, const char *s, size_t n)
{
	int any = 0;
	cr_err e = CR_OK;
	for (size_t i = 0; !e && i < n; i++) {
		if (s[i] == '\\' && i + 1 < n && s[i + 1] == '\\') {
			e = cr_buf_addc(b, '\\');
			i++;
			any = 1;
		} else if (s[i] == '\\' && i + 3 < n && s[i + 1] == 'x' && hexval(s[i + 2]) >= 0 && hexval(s[i + 3]) >= 0) {
			e = cr_buf_addc(b, (char)(hexval(s[i + 2]) << 4 | hexval(s[i + 3])));
			i += 3;
			any = 1;
		} else {
			e = cr_buf_addc(b, s[i]);
		}
	}
	return e ? e : any ? CR_OK : CR_EINVAL;
}
