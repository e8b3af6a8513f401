/*
 * detect.c — the detector: the caller's names, the kinds asked for, one
 * analyzer for MeCab; candidates from patterns.c and names.c, then the
 * overlap rule: the stronger kind wins (EMAIL 5, CARD and MYNUMBER 4,
 * PHONE and ADDRESS 3, PERSON 2), then the longer span, then the earlier.
 */
#include "pii_int.h"

#include <stdlib.h>
#include <string.h>

#define MAX_TEXT ((size_t)64 << 20)
#define MAX_NAMES 4096

struct cr_pii {
	cr_analyzer *an; /* NULL without a MeCab dictionary */
	pii_names names;
	unsigned kinds;
};

static const char *const KIND_NAMES[CR_PII_N_KINDS] = {"PERSON", "EMAIL", "PHONE", "ADDRESS", "MYNUMBER", "CARD"};

const char *cr_pii_kind_name(cr_pii_kind k)
{
	return (unsigned)k < CR_PII_N_KINDS ? KIND_NAMES[k] : NULL;
}

int cr_pii_kind_parse(const char *name)
{
	for (int k = 0; name && k < CR_PII_N_KINDS; k++)
		if (!strcmp(name, KIND_NAMES[k]))
			return k;
	return -1;
}

void pii_cands_add(pii_cands *c, uint32_t s, uint32_t e, cr_pii_kind kind, int strength)
{
	if (e <= s || c->oom)
		return;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 32;
		pii_cand *v = cr_realloc(c->v, cap * sizeof *v);
		if (!v) {
			c->oom = 1;
			return;
		}
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n++] = (pii_cand){s, e, kind, strength};
}

cr_err cr_pii_new(cr_pii **out, cr_msg *m)
{
	*out = NULL;
	cr_pii *p = cr_calloc(1, sizeof *p);
	if (!p)
		return cr_fail(m, CR_ENOMEM, "pii: out of memory");
	p->kinds = CR_PII_ALL;
	cr_analyzer_opts o = cr_analyzer_opts_default();
	o.japanese = 1;
	o.stem = 0;
	if (cr_analyzer_new(&o, &p->an, NULL))
		p->an = NULL; /* names from lists, headers and honorifics only */
	*out = p;
	return CR_OK;
}

void cr_pii_free(cr_pii *p)
{
	if (!p)
		return;
	cr_analyzer_free(p->an);
	pii_names_release(&p->names);
	cr_free(p);
}

void cr_pii_set_kinds(cr_pii *p, unsigned mask) { p->kinds = mask & CR_PII_ALL; }

cr_err cr_pii_add_name(cr_pii *p, const char *name, size_t len)
{
	if (!p || (!name && len))
		return CR_EINVAL;
	if (!len || len > 128)
		return CR_OK;
	if (p->names.n >= MAX_NAMES)
		return CR_ETOOBIG;
	cr_arena a;
	cr_arena_init(&a, 0);
	pii_fold f;
	cr_err e = pii_fold_make(&a, name, len, &f);
	if (!e) {
		/* honorifics and titles are no part of the name */
		for (size_t i = 0; i < f.n; i++)
			if (f.s[i] == '\t' || f.s[i] == '\n' || f.s[i] == '\r')
				f.s[i] = ' ';
		if (pii_names_add(&p->names, f.s, f.n, 1))
			e = CR_ENOMEM;
	}
	cr_arena_release(&a);
	return e;
}

void cr_pii_clear_names(cr_pii *p) { pii_names_release(&p->names); }

static int by_rank(const void *a, const void *b)
{
	const pii_cand *x = a, *y = b;
	if (x->strength != y->strength)
		return y->strength - x->strength;
	uint32_t lx = x->e - x->s, ly = y->e - y->s;
	if (lx != ly)
		return lx < ly ? 1 : -1;
	return x->s < y->s ? -1 : x->s > y->s;
}

static int by_start(const void *a, const void *b)
{
	const cr_pii_span *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

cr_err pii_detect_with(cr_pii *p, pii_names *learned, const char *text, size_t len, cr_arena *a,
		       cr_pii_span **out, size_t *n_out, cr_msg *m)
{
	*out = NULL;
	*n_out = 0;
	if (!p || (!text && len))
		return CR_EINVAL;
	if (len > MAX_TEXT)
		return cr_fail(m, CR_ETOOBIG, "pii: %zu bytes is over the 64 MiB a text may have", len);
	if (!len)
		return CR_OK;
	cr_arena tmp;
	cr_arena_init(&tmp, 0);
	pii_fold f;
	pii_cands c = {0};
	uint8_t *taken = NULL;
	cr_err e = pii_fold_make(&tmp, text, len, &f);
	if (e)
		goto fail;
	pii_find_patterns(&f, p->kinds, &c);
	if (p->kinds & (1u << CR_PII_PERSON))
		CR_IGNORE(pii_find_names(p->an, &f, &p->names, learned, &c)); /* c.oom says it */
	if (c.oom) {
		e = CR_ENOMEM;
		goto fail;
	}
	if (c.n)
		qsort(c.v, c.n, sizeof *c.v, by_rank);
	taken = cr_calloc(f.n + 1, 1);
	cr_pii_span *spans = c.n ? cr_arena_alloc(a, c.n * sizeof *spans) : NULL;
	if (!taken || (c.n && !spans)) {
		e = CR_ENOMEM;
		goto fail;
	}
	size_t k = 0;
	for (size_t i = 0; i < c.n; i++) {
		const pii_cand *x = &c.v[i];
		int free_ = 1;
		for (uint32_t j = x->s; j < x->e && free_; j++)
			free_ = !taken[j];
		if (!free_)
			continue;
		memset(taken + x->s, 1, x->e - x->s);
		spans[k].start = f.st[x->s];
		spans[k].end = f.en[x->e - 1];
		spans[k].kind = x->kind;
		k++;
	}
	if (k)
		qsort(spans, k, sizeof *spans, by_start);
	*out = spans;
	*n_out = k;
fail:
	if (e == CR_ENOMEM)
		cr_fail(m, e, "pii: out of memory");
	cr_free(taken);
	cr_free(c.v);
	cr_arena_release(&tmp);
	return e;
}

cr_err cr_pii_detect(cr_pii *p, const char *text, size_t len, cr_arena *a, cr_pii_span **out, size_t *n,
		     cr_msg *m)
{
	pii_names learned = {0};
	cr_err e = pii_detect_with(p, &learned, text, len, a, out, n, m);
	pii_names_release(&learned);
	return e;
}

cr_err pii_learn_with(cr_pii *p, pii_names *learned, const char *text, size_t len, cr_msg *m)
{
	if (!p || (!text && len))
		return CR_EINVAL;
	if (len > MAX_TEXT)
		return cr_fail(m, CR_ETOOBIG, "pii: %zu bytes is over the 64 MiB a text may have", len);
	if (!len || !(p->kinds & (1u << CR_PII_PERSON)))
		return CR_OK;
	cr_arena tmp;
	cr_arena_init(&tmp, 0);
	pii_fold f;
	cr_err e = pii_fold_make(&tmp, text, len, &f);
	if (!e) {
		if (pii_find_names(p->an, &f, &p->names, learned, NULL))
			e = CR_ENOMEM;
	}
	cr_arena_release(&tmp);
	return e ? cr_fail(m, e, "pii: out of memory") : CR_OK;
}
