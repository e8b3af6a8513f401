/* buf.c — growable, capped, NUL-terminated byte buffers. */
#include "cristal/base.h"

#include <string.h>

static char empty[1];

void cr_buf_init(cr_buf *b, size_t cap)
{
	b->data = empty;
	b->len = b->alloc = 0;
	b->cap = cap;
}

void cr_buf_release(cr_buf *b)
{
	if (b->alloc)
		cr_free(b->data);
	cr_buf_init(b, b->cap);
}

void cr_buf_reset(cr_buf *b)
{
	b->len = 0;
	if (b->alloc)
		b->data[0] = 0;
}

cr_err cr_buf_reserve(cr_buf *b, size_t extra)
{
	if (extra > SIZE_MAX - b->len - 1)
		return CR_ETOOBIG;
	size_t need = b->len + extra + 1;
	if (b->cap && need > b->cap + 1)
		return CR_ETOOBIG;
	if (need <= b->alloc)
		return CR_OK;
	size_t n = b->alloc ? b->alloc : 64;
	while (n < need)
		n = n > SIZE_MAX / 2 ? need : n * 2;
	if (b->cap && n > b->cap + 1)
		n = b->cap + 1;
	char *p = cr_realloc(b->alloc ? b->data : NULL, n);
	if (!p)
		return CR_ENOMEM;
	if (!b->alloc)
		p[0] = 0;
	b->data = p;
	b->alloc = n;
	return CR_OK;
}

cr_err cr_buf_add(cr_buf *b, const void *p, size_t n)
{
	cr_err e = cr_buf_reserve(b, n);
	if (e)
		return e;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = 0;
	return CR_OK;
}

cr_err cr_buf_adds(cr_buf *b, const char *s) { return cr_buf_add(b, s, strlen(s)); }
cr_err cr_buf_addc(cr_buf *b, char c) { return cr_buf_add(b, &c, 1); }

cr_err cr_buf_vprintf(cr_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return CR_EINVAL;
	cr_err e = cr_buf_reserve(b, (size_t)n);
	if (e)
		return e;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return CR_OK;
}

cr_err cr_buf_printf(cr_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cr_err e = cr_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return e;
}

cr_err cr_buf_add_json_str(cr_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	if (!cr_utf8_valid((const uint8_t *)s, n)) {
		/* JSON is UTF-8: raw bytes (a file name in Latin-1) go in escaped,
		 * "\\xe9", which cr_utf8_unescape turns back into the bytes */
		cr_buf t;
		cr_buf_init(&t, 0);
		cr_err e = cr_utf8_escape(&t, s, n, 0);
		if (!e)
			e = cr_buf_add_json_str(b, t.data, t.len);
		cr_buf_release(&t);
		return e;
	}
	size_t start = b->len;
	cr_err e = cr_buf_addc(b, '"');
	for (size_t i = 0; !e && i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"': e = cr_buf_add(b, "\\\"", 2); break;
		case '\\': e = cr_buf_add(b, "\\\\", 2); break;
		case '\n': e = cr_buf_add(b, "\\n", 2); break;
		case '\r': e = cr_buf_add(b, "\\r", 2); break;
		case '\t': e = cr_buf_add(b, "\\t", 2); break;
		default:
			if (c < 0x20) {
				char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
				e = cr_buf_add(b, u, 6);
			} else {
				e = cr_buf_addc(b, (char)c);
			}
		}
	}
	if (!e)
		e = cr_buf_addc(b, '"');
	if (e) {
		b->len = start;
		if (b->alloc)
			b->data[start] = 0;
	}
	return e;
}

char *cr_buf_take(cr_buf *b, size_t *len_out)
{
	char *p;
	if (len_out)
		*len_out = b->len;
	if (b->alloc) {
		p = b->data;
	} else {
		p = cr_malloc(1);
		if (p)
			p[0] = 0;
	}
	cr_buf_init(b, b->cap);
	return p;
}
