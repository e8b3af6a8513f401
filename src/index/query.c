/*
 * query.c — parses the search syntax of index.h into clauses.
 *
 *   words            analyzed; each resulting term is optional (OR, ranked)
 *   +word            all of its terms required
 *   -word            entries holding all of its terms are excluded (with
 *                    per-document results: documents, search.c)
 *   "a phrase"       required, terms at the same relative positions
 *                    (+"..." is the same, -"..." excludes the phrase)
 *   prefix*          the prefix expanded over the dictionary (bounded), OR
 *   type:pdf         entry type equals (several type: filters are OR'ed)
 *   path:dir/        the doc name holds this run of path components, from the
 *                    start of the name or after any '/' (path:finance/ finds
 *                    share/finance/q3.xlsx; the last component may be a
 *                    prefix: path:python); several are OR'ed; a quoted value
 *                    may hold spaces: path:"My Documents/"
 *   date:A..B        entry date within [A, B] (days, UTC, both inclusive;
 *                    A or B may be empty; date:A alone is that day/month/year)
 *                    dates are YYYY, YYYY-MM or YYYY-MM-DD
 * Unknown field names (http:...) are plain words. Stray quotes are lenient:
 * an unterminated phrase runs to the end. A bad date gives CR_EINVAL.
 */
#include "index_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <time.h>

typedef struct tokv {
	cr_arena *a;
	cr_ixq_tok *v;
	uint32_t n, cap;
	int oom;
} tokv;

static int on_tok(void *ctx, const cr_token *t)
{
	tokv *tv = ctx;
	if (!t->len)
		return 0;
	if (tv->n == tv->cap) {
		uint32_t n = tv->cap ? tv->cap * 2 : 16;
		cr_ixq_tok *p = cr_arena_alloc(tv->a, n * sizeof *p);
		if (!p) {
			tv->oom = 1;
			return 1;
		}
		if (tv->n)
			memcpy(p, tv->v, tv->n * sizeof *p);
		tv->v = p;
		tv->cap = n;
	}
	uint32_t len = t->len > CR_IX_MAX_TERM ? CR_IX_MAX_TERM : t->len;
	char *s = cr_arena_strndup(tv->a, t->term, len);
	if (!s) {
		tv->oom = 1;
		return 1;
	}
	tv->v[tv->n].term = s;
	tv->v[tv->n].len = len;
	tv->v[tv->n].pos = t->pos;
	tv->v[tv->n].flags = t->flags;
	tv->n++;
	return 0;
}

static int add_clause(cr_arena *a, cr_ixq *q, uint32_t *cap, int occur, int kind, cr_ixq_tok *toks, uint32_t n)
{
	if (q->n_cl == *cap) {
		uint32_t c = *cap ? *cap * 2 : 8;
		cr_ixq_clause *p = cr_arena_alloc(a, c * sizeof *p);
		if (!p)
			return -1;
		if (q->n_cl)
			memcpy(p, q->cl, q->n_cl * sizeof *p);
		q->cl = p;
		*cap = c;
	}
	cr_ixq_clause *c = &q->cl[q->n_cl++];
	c->occur = occur;
	c->kind = kind;
	c->toks = toks;
	c->n_toks = n;
	return 0;
}

static int push_str(cr_arena *a, const char ***v, uint32_t *n, const char *s, size_t len)
{
	const char **p = cr_arena_alloc(a, (*n + 1) * sizeof *p);
	char *c = cr_arena_strndup(a, s, len);
	if (!p || !c)
		return -1;
	if (*n)
		memcpy(p, *v, *n * sizeof *p);
	p[(*n)++] = c;
	*v = p;
	return 0;
}

/* Parses YYYY[-MM[-DD]] into [first second, last second] of that period. */
static int parse_date(const char *s, size_t n, int64_t *lo, int64_t *hi)
{
	int y = 0, mo = 0, d = 0;
	size_t i = 0;
	for (int k = 0; k < 4; k++, i++) {
		if (i >= n || !isdigit((unsigned char)s[i]))
			return -1;
		y = y * 10 + (s[i] - '0');
	}
	int parts = 1;
	for (int f = 0; f < 2 && i < n; f++) {
		if (s[i] != '-' || i + 3 > n || !isdigit((unsigned char)s[i + 1]) || !isdigit((unsigned char)s[i + 2]))
			return -1;
		int v = (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
		if (f == 0)
			mo = v;
		else
			d = v;
		i += 3;
		parts++;
	}
	if (i != n)
		return -1;
	if (parts >= 2 && (mo < 1 || mo > 12))
		return -1;
	if (parts == 3 && (d < 1 || d > 31))
		return -1;
	struct tm a = {0}, b = {0};
	a.tm_year = b.tm_year = y - 1900;
	a.tm_mon = parts >= 2 ? mo - 1 : 0;
	a.tm_mday = parts == 3 ? d : 1;
	b = a;
	if (parts == 1)
		b.tm_year++;
	else if (parts == 2)
		b.tm_mon++;
	else
		b.tm_mday++;
	*lo = (int64_t)timegm(&a);
	*hi = (int64_t)timegm(&b) - 1;
	return 0;
}

static int field_is(const char *s, size_t n, const char *name)
{
	size_t l = strlen(name);
	return n == l && !strncasecmp(s, name, l);
}

cr_err cr_ixq_parse(cr_arena *a, cr_analyzer *an, const char *q, cr_ixq *out, cr_msg *m)
{
	memset(out, 0, sizeof *out);
	uint32_t cap = 0;
	size_t n = q ? strlen(q) : 0;
	size_t i = 0;
	while (i < n) {
		while (i < n && isspace((unsigned char)q[i]))
			i++;
		if (i >= n)
			break;
		int occur = CR_IXQ_SHOULD;
		if ((q[i] == '+' || q[i] == '-') && i + 1 < n && !isspace((unsigned char)q[i + 1])) {
			occur = q[i] == '+' ? CR_IXQ_MUST : CR_IXQ_NOT;
			i++;
		}
		int kind;
		const char *text;
		size_t tlen;
		if (q[i] == '"') {
			size_t j = i + 1;
			while (j < n && q[j] != '"')
				j++;
			text = q + i + 1;
			tlen = j - i - 1;
			i = j < n ? j + 1 : j;
			kind = CR_IXQ_PHRASE;
			if (occur == CR_IXQ_SHOULD)
				occur = CR_IXQ_MUST;
		} else {
			size_t j = i;
			while (j < n && !isspace((unsigned char)q[j]))
				j++;
			text = q + i;
			tlen = j - i;
			i = j;
			const char *colon = memchr(text, ':', tlen);
			if (colon && colon > text) {
				size_t fl = (size_t)(colon - text);
				const char *v = colon + 1;
				size_t vl = tlen - fl - 1;
				if (vl && *v == '"') { /* quoted value: may hold spaces */
					const char *e = memchr(v + 1, '"', (size_t)(q + n - (v + 1)));
					if (!e)
						e = q + n;
					v++;
					vl = (size_t)(e - v);
					i = (size_t)(e - q) + (e < q + n ? 1 : 0);
				}
				int is_type = field_is(text, fl, "type"), is_path = field_is(text, fl, "path");
				int is_date = field_is(text, fl, "date");
				if (is_type || is_path || is_date) {
					if (!vl)
						return cr_fail(m, CR_EINVAL, "query: empty value for %.*s:", (int)fl, text);
					if (occur == CR_IXQ_NOT)
						return cr_fail(m, CR_EINVAL, "query: -%.*s: filters cannot be negated",
							       (int)fl, text);
					if (is_type && push_str(a, &out->types, &out->n_types, v, vl))
						return cr_fail(m, CR_ENOMEM, "query: out of memory");
					if (is_path && push_str(a, &out->paths, &out->n_paths, v, vl))
						return cr_fail(m, CR_ENOMEM, "query: out of memory");
					if (is_date) {
						const char *dd = NULL;
						for (size_t k = 0; k + 1 < vl; k++)
							if (v[k] == '.' && v[k + 1] == '.') {
								dd = v + k;
								break;
							}
						int64_t lo, hi;
						if (!dd) {
							if (parse_date(v, vl, &lo, &hi))
								return cr_fail(m, CR_EINVAL,
									       "query: bad date '%.*s' (want YYYY-MM-DD)",
									       (int)vl, v);
							out->has_from = out->has_to = 1;
							out->date_from = lo;
							out->date_to = hi;
						} else {
							size_t l1 = (size_t)(dd - v), l2 = vl - l1 - 2;
							if (!l1 && !l2)
								return cr_fail(m, CR_EINVAL, "query: empty date range");
							if (l1) {
								if (parse_date(v, l1, &lo, &hi))
									return cr_fail(m, CR_EINVAL,
										       "query: bad date '%.*s' (want YYYY-MM-DD)",
										       (int)l1, v);
								out->has_from = 1;
								out->date_from = lo;
							}
							if (l2) {
								if (parse_date(dd + 2, l2, &lo, &hi))
									return cr_fail(m, CR_EINVAL,
										       "query: bad date '%.*s' (want YYYY-MM-DD)",
										       (int)l2, dd + 2);
								out->has_to = 1;
								out->date_to = hi;
							}
						}
					}
					continue;
				}
			}
			kind = CR_IXQ_WORDS;
			if (tlen > 1 && text[tlen - 1] == '*') {
				kind = CR_IXQ_PREFIX;
				tlen--;
				while (tlen && text[tlen - 1] == '*')
					tlen--;
			}
		}
		if (!tlen)
			continue;
		tokv tv = {.a = a};
		int flags = CR_ANALYZE_QUERY | (kind == CR_IXQ_PREFIX ? CR_ANALYZE_NOSTEM : 0) |
			    (kind == CR_IXQ_PHRASE ? CR_ANALYZE_PHRASE : 0);
		cr_err e = cr_analyze(an, text, tlen, flags, on_tok, &tv);
		if (tv.oom)
			return cr_fail(m, CR_ENOMEM, "query: out of memory");
		if (e)
			return cr_fail(m, e, "query: cannot analyze: %s", cr_strerror(e));
		if (!tv.n)
			continue;
		if (kind == CR_IXQ_PHRASE) {
			/* morphemes share positions with bigrams: phrases use words and bigrams */
			uint32_t k = 0;
			for (uint32_t t = 0; t < tv.n; t++)
				if (!(tv.v[t].flags & CR_TOKEN_MORPHEME))
					tv.v[k++] = tv.v[t];
			if (k)
				tv.n = k;
		}
		if (kind == CR_IXQ_PREFIX && tv.n > 1)
			kind = CR_IXQ_WORDS; /* several terms (e.g. Japanese): match them as words */
		if (kind == CR_IXQ_PHRASE && tv.n == 1)
			kind = CR_IXQ_WORDS; /* a one-term phrase is the word, required */
		if (add_clause(a, out, &cap, occur, kind, tv.v, tv.n))
			return cr_fail(m, CR_ENOMEM, "query: out of memory");
	}
	if (out->has_from && out->has_to && out->date_from > out->date_to)
		return cr_fail(m, CR_EINVAL, "query: date range ends before it starts");
	return CR_OK;
}
