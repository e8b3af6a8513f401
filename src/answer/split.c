/* split.c — a passage's sentences, or a table's rows. */
#include <string.h>

#include "answer_int.h"

int cr_ans_rows(const char *type) { return type && (!strcmp(type, "xlsx") || !strcmp(type, "csv")); }

static int is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

typedef struct spans {
	cr_arena *a;
	cr_span *v;
	size_t n, cap;
} spans;

static cr_err push(spans *s, const char *text, size_t b, size_t e)
{
	while (b < e && is_space((unsigned char)text[b]))
		b++;
	/* U+3000 ideographic space at either end */
	while (b + 3 <= e && !memcmp(text + b, "\xe3\x80\x80", 3))
		b += 3;
	while (e > b && is_space((unsigned char)text[e - 1]))
		e--;
	if (e == b)
		return CR_OK;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 32;
		cr_span *v = cr_arena_alloc(s->a, cap * sizeof *v);
		if (!v)
			return CR_ENOMEM;
		if (s->n)
			memcpy(v, s->v, s->n * sizeof *v);
		s->v = v, s->cap = cap;
	}
	s->v[s->n++] = (cr_span){b, e - b};
	return CR_OK;
}

/*
 * Is the line break at i only where prose was wrapped? In English, when the
 * next line goes on in lower case ("need\nyour manager's approval"), or
 * when a long line (over 60 bytes) stops after a lower-case letter or a
 * comma and the next goes on with a capital or a digit; in
 * Japanese, when a long line (over 60 bytes) stops without 。！？：and
 * the next line goes on in the same script. Headings, list items and rows
 * start with a capital, a marker or a short line, and stay apart.
 */
static int wrapped(const char *text, size_t len, size_t line_start, size_t i)
{
	if (i + 1 >= len || i == line_start)
		return 0;
	size_t e = i; /* the line's end: before the CR of a CRLF */
	if (text[e - 1] == '\r' && e - 1 > line_start)
		e--;
	unsigned char next = (unsigned char)text[i + 1], prev = (unsigned char)text[e - 1];
	if (next >= 'a' && next <= 'z')
		return prev != ':' && prev != '.';
	/* a long line that stops mid-phrase ("lead time for the\nHM-40 has
	 * grown"): wrapped, whatever starts the next line, unless that is a
	 * list item */
	if (e - line_start > 60 && ((prev >= 'a' && prev <= 'z') || prev == ',') &&
	    ((next >= 'A' && next <= 'Z') || (next >= '0' && next <= '9')) &&
	    !(next >= '0' && next <= '9' && i + 2 < len && (text[i + 2] == '.' || text[i + 2] == ')')))
		return 1;
	if (next >= 0xe3 && next <= 0xe9 && prev >= 0x80 && e - line_start > 60) {
		static const char *const enders[] = {"\xe3\x80\x82", "\xef\xbc\x81", "\xef\xbc\x9f", "\xef\xbc\x9a"};
		for (size_t k = 0; k < CR_ARRAY_LEN(enders); k++)
			if (e >= 3 && !memcmp(text + e - 3, enders[k], 3))
				return 0;
		/* a list item on the next line ("・", "1.") stays apart */
		return !(i + 4 <= len && !memcmp(text + i + 1, "\xe3\x83\xbb", 3));
	}
	return 0;
}

cr_err cr_ans_split(cr_arena *a, const char *text, size_t len, int rows, cr_span **out, size_t *n)
{
	spans s = {.a = a};
	size_t b = 0;
	cr_err e = CR_OK;
	for (size_t i = 0; i < len && !e; i++) {
		unsigned char c = (unsigned char)text[i];
		size_t end = 0; /* where the sentence ends (exclusive), 0: not here */
		if (c == '\n' && (rows || !wrapped(text, len, b, i)))
			end = i + 1;
		else if (!rows && (c == '.' || c == '!' || c == '?') && (i + 1 == len || is_space((unsigned char)text[i + 1]))) {
			/* not after a lone capital or a common abbreviation: "J. Smith", "e.g." */
			int abbrev = i >= 1 && (i < 2 || is_space((unsigned char)text[i - 2])) &&
				     text[i - 1] >= 'A' && text[i - 1] <= 'Z';
			if (!abbrev && i >= 3 && (!memcmp(text + i - 3, "e.g", 3) || !memcmp(text + i - 3, "i.e", 3) ||
						  !memcmp(text + i - 2, "Mr", 2) || !memcmp(text + i - 2, "Dr", 2) ||
						  !memcmp(text + i - 2, "vs", 2) || !memcmp(text + i - 3, "etc", 3)))
				abbrev = c == '.';
			/* a list item's number at the start of a line ("1. Kenji
			 * ...") is not a sentence: the sentence starts after it */
			if (!abbrev && c == '.') {
				size_t d = i, m;
				while (d > 0 && text[d - 1] >= '0' && text[d - 1] <= '9' && i - d < 3)
					d--;
				for (m = d; m > 0 && (text[m - 1] == ' ' || text[m - 1] == '\t'); m--)
					;
				if (d < i && (m == 0 || text[m - 1] == '\n') && m >= b) {
					b = i + 1;
					continue;
				}
			}
			if (!abbrev)
				end = i + 1;
		} else if (!rows && c == 0xe3 && i + 2 < len &&
			   ((unsigned char)text[i + 1] == 0x80 && (unsigned char)text[i + 2] == 0x82)) /* 。 */
			end = i + 3;
		else if (!rows && c == 0xef && i + 2 < len && (unsigned char)text[i + 1] == 0xbc &&
			 ((unsigned char)text[i + 2] == 0x81 || (unsigned char)text[i + 2] == 0x9f)) /* ！ ？ */
			end = i + 3;
		if (end) {
			e = push(&s, text, b, end);
			b = end;
			i = end - 1;
		}
	}
	if (!e)
		e = push(&s, text, b, len);
	if (e)
		return e;
	*out = s.v;
	*n = s.n;
	return CR_OK;
}

/* Does the sentence s[0..n) ask rather than state? It ends with '?' or
 * '？' (before closing quotes and brackets), or, in Japanese, with a
 * question ending (ですか, ますか, でしょうか, ませんか, ましたか, のか,
 * だろうか, ないか; 。 after it allowed). */
int cr_ans_is_question(const char *s, size_t n)
{
	static const char *const closers[] = {"\"", "'", ")", "\xe2\x80\x9d", "\xe2\x80\x99", "\xe3\x80\x8d",
					      "\xe3\x80\x8f", "\xef\xbc\x89", "\xe3\x80\x82"};
	static const char *const endings[] = {"\xe3\x81\xa7\xe3\x81\x99\xe3\x81\x8b", /* ですか */
					      "\xe3\x81\xbe\xe3\x81\x99\xe3\x81\x8b", /* ますか */
					      "\xe3\x81\x97\xe3\x82\x87\xe3\x81\x86\xe3\x81\x8b", /* しょうか */
					      "\xe3\x81\x9b\xe3\x82\x93\xe3\x81\x8b", /* せんか */
					      "\xe3\x81\x97\xe3\x81\x9f\xe3\x81\x8b", /* したか */
					      "\xe3\x81\xae\xe3\x81\x8b", /* のか */
					      "\xe3\x82\x8d\xe3\x81\x86\xe3\x81\x8b", /* ろうか */
					      "\xe3\x81\xaa\xe3\x81\x84\xe3\x81\x8b"}; /* ないか */
	for (int more = 1; more && n;) {
		more = 0;
		while (n && is_space((unsigned char)s[n - 1]))
			n--;
		for (size_t k = 0; k < CR_ARRAY_LEN(closers); k++) {
			size_t l = strlen(closers[k]);
			if (n >= l && !memcmp(s + n - l, closers[k], l)) {
				n -= l;
				more = 1;
				break;
			}
		}
	}
	if (n && s[n - 1] == '?')
		return 1;
	if (n >= 3 && !memcmp(s + n - 3, "\xef\xbc\x9f", 3)) /* ？ */
		return 1;
	for (size_t k = 0; k < CR_ARRAY_LEN(endings); k++) {
		size_t l = strlen(endings[k]);
		if (n >= l && !memcmp(s + n - l, endings[k], l))
			return 1;
	}
	return 0;
}

cr_err cr_answer_sentences(cr_arena *a, const char *type, const char *text, size_t len, cr_sentence **out, size_t *n)
{
	cr_span *sp = NULL;
	*out = NULL;
	*n = 0;
	cr_err e = cr_ans_split(a, text, len, cr_ans_rows(type), &sp, n);
	if (e || !*n)
		return e;
	if (!(*out = cr_arena_alloc(a, *n * sizeof **out)))
		return CR_ENOMEM;
	for (size_t i = 0; i < *n; i++)
		(*out)[i] = (cr_sentence){sp[i].start, sp[i].len};
	return CR_OK;
}
