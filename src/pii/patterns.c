/*
 * patterns.c — the kinds with a shape: e-mail addresses, phone numbers,
 * postal addresses after 〒, My Numbers and card numbers, all found on the
 * working copy (fold.c), so full-width forms match like ASCII.
 *
 * Numbers are read as one run: an optional '+', digit groups separated by
 * one separator (space, '-', '.', parentheses; ") " counts as one), not
 * glued to a letter or a digit before or after, and not an amount ("2,450"
 * or "12.5" go on after the run with ',' or '.' and a digit). The run is
 * then tried as a card (Luhn), a My Number (check digit), a phone (the
 * national forms below); anything else, such as dates, order numbers, IP
 * addresses and ISBNs, is no personal data.
 */
#include "pii_int.h"

#include <string.h>
#include <strings.h>

/* ---- e-mail --------------------------------------------------------------- */

static int local_ch(char c) { return pii_is_alnum(c) || strchr("._%+-", c) != NULL; }
static int dom_ch(char c) { return pii_is_alnum(c) || c == '-' || c == '.'; }

static void find_emails(const pii_fold *f, pii_cands *out)
{
	const char *s = f->s;
	size_t n = f->n;
	for (size_t at = 1; at + 1 < n; at++) {
		if (s[at] != '@')
			continue;
		size_t b = at;
		while (b > 0 && local_ch(s[b - 1]))
			b--;
		while (b < at && s[b] == '.')
			b++;
		if (b == at)
			continue;
		size_t e = at + 1;
		while (e < n && dom_ch(s[e]))
			e++;
		while (e > at + 1 && (s[e - 1] == '.' || s[e - 1] == '-'))
			e--;
		/* at least one dot; the last label two letters or more */
		size_t dot = 0;
		for (size_t i = at + 1; i < e; i++)
			if (s[i] == '.')
				dot = i;
		if (!dot || dot == at + 1 || e - dot - 1 < 2)
			continue;
		int tld_alpha = 1;
		for (size_t i = dot + 1; i < e; i++)
			tld_alpha &= pii_is_alpha(s[i]);
		if (!tld_alpha)
			continue;
		pii_cands_add(out, (uint32_t)b, (uint32_t)e, CR_PII_EMAIL, 5);
		at = e;
	}
}

/* ---- number runs ----------------------------------------------------------- */

#define MAX_GROUPS 8
#define MAX_DIGITS 24

typedef struct run {
	uint32_t s, e;            /* working-copy range: first char to last digit */
	char d[MAX_DIGITS + 1];   /* the digits */
	int nd;
	int g[MAX_GROUPS];        /* group lengths */
	int ng;
	int plus, paren, dot, space, dash;
} run;

static int sep_ch(char c) { return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')'; }

/* Reads a run starting at i (a digit, '+' or '('); 0 when it is none. */
static int read_run(const char *s, size_t n, size_t i, run *r, size_t *end_scan)
{
	memset(r, 0, sizeof *r);
	r->s = (uint32_t)i;
	size_t p = i;
	if (s[p] == '+') {
		r->plus = 1;
		p++;
	}
	if (p < n && s[p] == '(') {
		r->paren = 1;
		p++;
	}
	if (p >= n || !pii_is_digit(s[p]))
		return 0;
	int cur = 0;
	size_t last = p;
	while (p < n) {
		if (pii_is_digit(s[p])) {
			if (r->nd >= MAX_DIGITS)
				return 0;
			r->d[r->nd++] = s[p];
			cur++;
			last = p;
			p++;
			continue;
		}
		/* a separator: up to two characters (") ", " ("), at most one space */
		size_t q = p;
		int spaces = 0, k = 0;
		while (q < n && k < 2 && sep_ch(s[q])) {
			spaces += s[q] == ' ';
			q++, k++;
		}
		if (!k || spaces > 1 || q >= n || !pii_is_digit(s[q]))
			break;
		if (k == 2 && !(s[p] == ')' || s[p + 1] == '('))
			break; /* "--", "- " are not one separator */
		for (size_t t = p; t < q; t++) {
			r->paren |= s[t] == '(' || s[t] == ')';
			r->dot |= s[t] == '.';
			r->space |= s[t] == ' ';
			r->dash |= s[t] == '-';
		}
		if (r->ng >= MAX_GROUPS - 1)
			return 0;
		r->g[r->ng++] = cur;
		cur = 0;
		p = q;
	}
	r->g[r->ng++] = cur;
	r->d[r->nd] = 0;
	r->e = (uint32_t)last + 1;
	*end_scan = last + 1;
	/* glued to a word or an amount after it */
	size_t a = last + 1;
	if (a < n && (pii_is_alnum(s[a]) || s[a] == '_'))
		return 0;
	if (a + 1 < n && (s[a] == ',' || s[a] == '.') && pii_is_digit(s[a + 1]))
		return 0;
	return 1;
}

static int luhn(const char *d, int n)
{
	int sum = 0;
	for (int i = 0; i < n; i++) {
		int v = d[n - 1 - i] - '0';
		if (i & 1) {
			v *= 2;
			if (v > 9)
				v -= 9;
		}
		sum += v;
	}
	return sum % 10 == 0;
}

static int prefix_num(const char *d, int k)
{
	int v = 0;
	for (int i = 0; i < k; i++)
		v = v * 10 + (d[i] - '0');
	return v;
}

/* Issuer prefixes and lengths (ISO/IEC 7812 ranges of the major networks). */
static int card_issuer(const char *d, int n)
{
	int p1 = prefix_num(d, 1), p2 = prefix_num(d, 2), p3 = prefix_num(d, 3), p4 = prefix_num(d, 4);
	if (p1 == 4) /* Visa (13-digit cards are no longer issued: a JAN/EAN-13 code is likelier) */
		return n == 16 || n == 19;
	if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720))
		return n == 16;                                               /* Mastercard */
	if (p2 == 34 || p2 == 37)
		return n == 15;                                               /* Amex */
	if (p4 >= 3528 && p4 <= 3589)
		return n >= 16 && n <= 19;                                    /* JCB */
	if ((p3 >= 300 && p3 <= 305) || p2 == 36 || p2 == 38 || p2 == 39)
		return n >= 14 && n <= 19;                                    /* Diners */
	if (p4 == 6011 || p2 == 65 || (p3 >= 644 && p3 <= 649))
		return n >= 16 && n <= 19;                                    /* Discover */
	if (p2 == 62)
		return n >= 16 && n <= 19;                                    /* UnionPay */
	return 0;
}

static int is_card(const run *r)
{
	if (r->plus || r->paren || r->dot || r->nd < 13 || r->nd > 19)
		return 0;
	if (r->space && r->dash)
		return 0;
	for (int i = 0; i < r->ng; i++)
		if (r->g[i] < 3)
			return 0;
	return card_issuer(r->d, r->nd) && luhn(r->d, r->nd);
}

/* The My Number check digit: P_n the n-th digit from the right of the
 * first eleven, Q_n = n + 1 (n <= 6) or n - 5 (n >= 7); r = Σ P_n Q_n mod
 * 11; the check digit is 0 when r <= 1, else 11 - r. */
static int mynumber_ok(const char *d)
{
	int sum = 0;
	for (int n = 1; n <= 11; n++) {
		int p = d[11 - n] - '0';
		int q = n <= 6 ? n + 1 : n - 5;
		sum += p * q;
	}
	int r = sum % 11;
	int check = r <= 1 ? 0 : 11 - r;
	return check == d[11] - '0';
}

static int date_led(const char *d)
{
	int y = prefix_num(d, 4), mo = prefix_num(d + 4, 2), da = prefix_num(d + 6, 2);
	return y >= 1900 && y <= 2099 && mo >= 1 && mo <= 12 && da >= 1 && da <= 31;
}

/* Whether one of words occurs in s[from..to). */
static int context_before(const char *s, size_t at, size_t span, const char *const *words, size_t n_words)
{
	size_t from = at > span ? at - span : 0;
	for (size_t w = 0; w < n_words; w++) {
		size_t l = strlen(words[w]);
		for (size_t i = from; i + l <= at; i++)
			if (!strncasecmp(s + i, words[w], l))
				return 1;
	}
	return 0;
}

static const char *const MYNUMBER_WORDS[] = {"個人番号", "マイナンバー", "my number", "mynumber"};
static const char *const PHONE_WORDS[] = {"tel", "phone", "fax", "mobile", "cell", "電話", "携帯", "連絡先", "ダイヤル"};

static int is_mynumber(const pii_fold *f, const run *r)
{
	if (r->plus || r->paren || r->dot || r->nd != 12)
		return 0;
	if (!(r->ng == 1 || (r->ng == 3 && r->g[0] == 4 && r->g[1] == 4)))
		return 0;
	if (!mynumber_ok(r->d))
		return 0;
	if (date_led(r->d) && !context_before(f->s, r->s, 40, MYNUMBER_WORDS, CR_ARRAY_LEN(MYNUMBER_WORDS)))
		return 0;
	return 1;
}

static int is_phone(const pii_fold *f, const run *r)
{
	const char *d = r->d;
	int n = r->nd;
	if (r->plus)
		return d[0] != '0' && n >= 8 && n <= 15 && (r->ng >= 2 || n >= 11);
	if (d[0] == '0') {
		if (n < 10 || n > 11 || d[1] == '0')
			return 0;
		if (r->ng == 1) {
			if (n == 11 && strchr("5789", d[1]) && d[2] == '0')
				return 1; /* 090..., 080..., 070..., 050... */
			return context_before(f->s, r->s, 16, PHONE_WORDS, CR_ARRAY_LEN(PHONE_WORDS));
		}
		if (r->ng == 2)
			return r->g[1] >= 4 && r->g[0] >= 2;
		if (r->ng == 3) {
			if (r->g[2] == 4 && r->g[0] >= 2 && r->g[0] <= 5 && r->g[1] >= 1 && r->g[1] <= 4)
				return 1;
			int p4 = prefix_num(d, 4);
			return r->g[0] == 4 && r->g[1] == 3 && r->g[2] == 3 &&
			       (p4 == 120 || p4 == 800 || p4 == 570 || p4 == 990);
		}
		return 0;
	}
	/* North American: NXX-NXX-XXXX, (NXX) NXX-XXXX */
	return n == 10 && r->ng == 3 && r->g[0] == 3 && r->g[1] == 3 && r->g[2] == 4 && d[0] >= '2' &&
	       d[3] >= '2';
}

static void find_numbers(const pii_fold *f, unsigned kinds, pii_cands *out)
{
	const char *s = f->s;
	size_t n = f->n;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!(pii_is_digit(c) || ((c == '+' || c == '(') && i + 1 < n && (pii_is_digit(s[i + 1]) || s[i + 1] == '('))))
			continue;
		if (i > 0) {
			char b = s[i - 1];
			if (pii_is_alnum(b) || b == '_' || b == '/' || b == '#' || b == '@' ||
			    ((b == '-' || b == '.' || b == ',' || b == '+') && c != '+'))
				continue;
		}
		run r;
		size_t end = i + 1;
		if (!read_run(s, n, i, &r, &end)) {
			/* skip the rest of this run */
			while (i + 1 < n && (pii_is_alnum(s[i + 1]) || sep_ch(s[i + 1]) || s[i + 1] == ',' || s[i + 1] == '+'))
				i++;
			continue;
		}
		if ((kinds & (1u << CR_PII_CARD)) && is_card(&r))
			pii_cands_add(out, r.s, r.e, CR_PII_CARD, 4);
		else if ((kinds & (1u << CR_PII_MYNUMBER)) && is_mynumber(f, &r))
			pii_cands_add(out, r.s, r.e, CR_PII_MYNUMBER, 4);
		else if ((kinds & (1u << CR_PII_PHONE)) && is_phone(f, &r))
			pii_cands_add(out, r.s, r.e, CR_PII_PHONE, 3);
		i = end - 1;
	}
}

/* ---- postal addresses ------------------------------------------------------ */

static int starts_with(const char *s, size_t n, size_t i, const char *w)
{
	size_t l = strlen(w);
	return i + l <= n && !strncmp(s + i, w, l);
}

static void find_addresses(const pii_fold *f, pii_cands *out)
{
	static const char MARK[] = "\xe3\x80\x92"; /* 〒 */
	const char *s = f->s;
	size_t n = f->n;
	for (size_t i = 0; i + 3 < n; i++) {
		if (!starts_with(s, n, i, MARK))
			continue;
		size_t p = i + 3;
		while (p < n && s[p] == ' ')
			p++;
		/* the postal code: 3 digits, '-', 4 digits, or 7 digits */
		size_t q = p;
		int d1 = 0, d2 = 0;
		while (q < n && pii_is_digit(s[q]) && d1 < 8)
			q++, d1++;
		if (d1 == 3 && q < n && s[q] == '-') {
			q++;
			while (q < n && pii_is_digit(s[q]) && d2 < 5)
				q++, d2++;
			if (d2 != 4)
				continue;
		} else if (d1 != 7) {
			continue;
		}
		if (q < n && pii_is_digit(s[q]))
			continue;
		size_t end = q;
		/* the address: the rest of the line, or the next line when the
		 * code ends its own */
		size_t b = q;
		while (b < n && s[b] == ' ')
			b++;
		if (b < n && s[b] == '\r')
			b++;
		if (b < n && s[b] == '\n') {
			b++;
			while (b < n && s[b] == ' ')
				b++;
		}
		size_t e = b, limit = b + 240 < n ? b + 240 : n;
		while (e < limit) {
			char c = s[e];
			if (c == '\n' || c == '\r' || c == ';' || c == '|' || c == '(' || c == ',' || c == '/' || c == ':' ||
			    c == '"' || c == '\\' || c == '{' || c == '}' || c == '<' || c == '[' || c == '\t')
				break;
			if (starts_with(s, n, e, "\xe3\x80\x82") || starts_with(s, n, e, "\xe3\x80\x81") ||
			    starts_with(s, n, e, "\xe3\x80\x8c")) /* 。 、 「 */
				break;
			int word = e == b || !pii_is_alpha(s[e - 1]);
			if ((word && (!strncasecmp(s + e, "tel", 3) || !strncasecmp(s + e, "fax", 3))) ||
			    starts_with(s, n, e, "電話") || starts_with(s, n, e, "代表"))
				break;
			if (c == ' ') {
				/* a word after a space continues the address unless it
				 * is hiragana (です, まで) */
				size_t w = e;
				while (w < n && s[w] == ' ')
					w++;
				int l;
				uint32_t cp = w < n ? pii_cp(s, n, w, &l) : 0;
				if (w >= n || pii_is_hira(cp) || s[w] == '\n')
					break;
				e = w;
				continue;
			}
			int l;
			pii_cp(s, n, e, &l);
			e += l ? (size_t)l : 1;
		}
		while (e > b && s[e - 1] == ' ')
			e--;
		if (e > b) {
			int l;
			uint32_t cp = pii_cp(s, n, b, &l);
			if (pii_is_kanji(cp) || pii_is_kata(cp) || pii_is_hira(cp))
				end = e;
		}
		pii_cands_add(out, (uint32_t)i, (uint32_t)end, CR_PII_ADDRESS, 3);
		i = end - 1;
	}
}

void pii_find_patterns(const pii_fold *f, unsigned kinds, pii_cands *out)
{
	if (kinds & (1u << CR_PII_EMAIL))
		find_emails(f, out);
	if (kinds & ((1u << CR_PII_PHONE) | (1u << CR_PII_CARD) | (1u << CR_PII_MYNUMBER)))
		find_numbers(f, kinds, out);
	if (kinds & (1u << CR_PII_ADDRESS))
		find_addresses(f, out);
}
