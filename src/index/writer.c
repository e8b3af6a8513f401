/*
 * writer.c — cr_index_writer: inverts entries in memory and writes them out
 * as segments.
 *
 * Entries are copied into a batch (about 1 MiB of text). A full batch goes
 * through two stages that run at the same time on the writer's pool, like a
 * pipeline: while batch k is analyzed (tokens with their term bytes and
 * hashes), batch k-1 is inverted. Analysis is split into parts, one task
 * each, that take a free analyzer (the caller's, plus those made by
 * cr_index_writer_set_threads), so the thread that finishes inverting joins
 * the analysis; with one analyzer the stages still overlap. The pool is the
 * caller's choice: lent (cr_index_writer_set_pool) or sized by
 * cr_index_writer_set_threads; without either the stages run one after the
 * other on the calling thread. Entries reach the index in add order.
 *
 * Inversion is linear: an entry's tokens are counted per term (a stamp per
 * term marks the terms the entry touched), their positions placed by
 * counting sort, and each touched term's postings grow by one record in a
 * per-term byte vector: varint(doc gap), varint(tf_title), varint(tf_body),
 * varint position gaps (title positions first, then body positions shifted
 * past the title). When the buffered bytes pass the memory budget they are
 * flushed to an unpublished segment file; commit flushes the rest and
 * publishes all of them in one MANIFEST replacement. The writer holds the
 * index LOCK for its whole life, so no other process changes the index (or
 * mistakes its unpublished files for crash leftovers).
 *
 * Errors found in a pipeline stage (out of memory, a failed flush) are
 * sticky: they are returned by the next add or by commit.
 */
#define _GNU_SOURCE /* qsort_r */
#include "index_int.h"

#include <stdlib.h>
#include <unistd.h>

#define BATCH_TEXT (1u << 20)
#define BATCH_ENTRIES 4096

typedef struct wvec {
	uint8_t *p;
	uint32_t len, cap;
} wvec;

typedef struct wterm {
	uint64_t hash;
	uint32_t off, len;   /* bytes in w->blob */
	int64_t last_doc;
	uint32_t stamp;      /* doc + 1 of the entry being inverted */
	uint32_t cnt, fill;
	wvec post;
} wterm;

/* an analyzed token: a term local to its batch part, and a position */
typedef struct atok {
	uint32_t lid;
	uint32_t pos;
} atok;

/* a distinct term of a batch part: bytes in the part's tblob */
typedef struct lterm {
	uint64_t hash;
	uint32_t off, len;
} lterm;

typedef struct bentry {
	uint32_t part;                    /* analysis part holding its tokens */
	uint64_t id, doc_key;
	int64_t date;
	uint32_t tenant, owner, classification;
	size_t doc_off, doc_len, type_off, type_len;
	size_t groups_off, n_groups;
	size_t title_off, title_len, body_off, body_len;
	size_t tok_off, n_title, n_body;  /* tokens in part->toks */
	uint32_t body_base;
} bentry;

#define MAX_PARTS 16
#define MAX_ANALYZERS 8

/* A slice of a batch analyzed by one task, with its own outputs. */
typedef struct bpart {
	size_t e_begin, e_end;
	atok *toks; size_t n_toks, cap_toks;
	/* the part's distinct terms (analysis thread), so inversion looks each
	 * up once in the big table; l2g maps them to writer terms */
	lterm *lt; uint32_t n_lt, cap_lt;
	uint32_t *ltab; uint32_t lmask;   /* local id + 1, 0 = empty */
	uint32_t *l2g; uint32_t cap_l2g;
	cr_buf tblob;
	uint32_t max_pos, pos_base;
	cr_err err;
} bpart;

typedef struct batch {
	cr_buf text;                 /* titles, bodies, doc names, types */
	bentry *e; size_t n, cap;
	uint32_t *groups; size_t n_groups, cap_groups;
	bpart part[MAX_PARTS];
	int n_parts;
	const char *text_data;       /* text.data while analyzed */
} batch;

struct cr_index_writer {
	cr_index *ix;
	cr_analyzer *an;
	cr_pool *pool;
	int own_pool;                /* pool was made here (set_threads), else lent */
	_Atomic uint64_t ns_analyze, ns_invert; /* summed stage times (debug log) */
	/* analyzers for concurrent analysis tasks: an[0] is the caller's */
	cr_analyzer *ans[MAX_ANALYZERS];
	int n_ans, own_from;         /* ans[own_from..] were created here */
	int an_busy[MAX_ANALYZERS];
	pthread_mutex_t an_mu;
	pthread_cond_t an_cv;
	size_t budget;
	uint64_t next_seg;
	uint64_t *pending; size_t n_pending, cap_pending;
	batch b[2];
	int cur;                     /* batch being filled; the other awaits inversion */
	int prev_ready;
	/* in-memory segment */
	wterm *terms; uint32_t n_terms, cap_terms;
	uint64_t *table; uint32_t table_mask; /* hash32 << 32 | (term index + 1), 0 = empty */
	cr_buf blob;
	cr_buf attrs, strs;
	uint32_t *groups; size_t n_groups, cap_groups;
	uint32_t n_docs;
	size_t mem;
	uint32_t flushes;            /* segments written (term ids restart) */
	/* per-entry scratch */
	uint32_t *touched; size_t cap_touched;
	uint32_t *tids; uint32_t *posv; size_t cap_scratch;
	cr_err err;
	/* last strings, deduplicated */
	uint32_t last_doc_off, last_doc_len, last_type_off, last_type_len;
	int have_last;
};

static inline uint64_t term_hash(const char *s, uint32_t n)
{
	const uint64_t k = 0x9e3779b97f4a7c15ull;
	uint64_t h = (uint64_t)n * k ^ 0x2545f4914f6cdd1dull, v;
	while (n >= 8) {
		memcpy(&v, s, 8);
		h = (h ^ v) * k;
		h ^= h >> 29;
		s += 8;
		n -= 8;
	}
	v = 0;
	memcpy(&v, s, n);
	h = (h ^ v) * k;
	h ^= h >> 32;
	return h * 0xbf58476d1ce4e5b9ull;
}

static void w_reset(cr_index_writer *w)
{
	for (uint32_t i = 0; i < w->n_terms; i++)
		cr_free(w->terms[i].post.p);
	w->n_terms = 0;
	if (w->table)
		memset(w->table, 0, ((size_t)w->table_mask + 1) * sizeof *w->table);
	cr_buf_reset(&w->blob);
	cr_buf_reset(&w->attrs);
	cr_buf_reset(&w->strs);
	w->n_groups = 0;
	w->n_docs = 0;
	w->mem = w->table ? ((size_t)w->table_mask + 1) * sizeof *w->table : 0;
	w->have_last = 0;
}

static int wvec_grow(wvec *v, uint32_t extra, size_t *mem)
{
	if (v->len + extra <= v->cap)
		return 0;
	uint32_t n = v->cap ? v->cap + v->cap / 2 : 16;
	while (n < v->len + extra)
		n += n / 2;
	uint8_t *p = cr_realloc(v->p, n);
	if (!p)
		return -1;
	*mem += n - v->cap;
	v->p = p;
	v->cap = n;
	return 0;
}

static int table_grow(cr_index_writer *w)
{
	uint32_t n = w->table ? (w->table_mask + 1) * 2 : 1u << 16;
	uint64_t *t = cr_calloc(n, sizeof *t);
	if (!t)
		return -1;
	for (uint32_t i = 0; i < w->n_terms; i++) {
		uint32_t h = (uint32_t)w->terms[i].hash & (n - 1);
		while (t[h])
			h = (h + 1) & (n - 1);
		t[h] = (w->terms[i].hash >> 32) << 32 | (i + 1);
	}
	w->mem += (size_t)(n - (w->table ? w->table_mask + 1 : 0)) * sizeof *t;
	cr_free(w->table);
	w->table = t;
	w->table_mask = n - 1;
	return 0;
}

/* Returns the term's index, or UINT32_MAX on allocation failure. */
static uint32_t term_intern(cr_index_writer *w, const char *s, uint32_t len, uint64_t h)
{
	uint32_t i = (uint32_t)h & w->table_mask;
	uint64_t hi = h >> 32 << 32;
	for (;;) {
		uint64_t t = w->table[i];
		if (!t)
			break;
		if ((t & 0xffffffff00000000ull) == hi) {
			wterm *wt = &w->terms[(uint32_t)t - 1];
			if (wt->len == len && !memcmp(w->blob.data + wt->off, s, len))
				return (uint32_t)t - 1;
		}
		i = (i + 1) & w->table_mask;
	}
	if (w->n_terms == w->cap_terms) {
		uint32_t n = w->cap_terms ? w->cap_terms * 2 : 4096;
		wterm *p = cr_realloc(w->terms, (size_t)n * sizeof *p);
		if (!p)
			return UINT32_MAX;
		w->mem += (size_t)(n - w->cap_terms) * sizeof *p;
		w->terms = p;
		w->cap_terms = n;
	}
	size_t off = w->blob.len;
	if (off + len > UINT32_MAX || cr_buf_add(&w->blob, s, len))
		return UINT32_MAX;
	w->mem += len;
	uint32_t idx = w->n_terms++;
	wterm *wt = &w->terms[idx];
	memset(wt, 0, sizeof *wt);
	wt->hash = h;
	wt->off = (uint32_t)off;
	wt->len = len;
	wt->last_doc = -1;
	w->table[i] = hi | (idx + 1);
	if ((size_t)w->n_terms * 2 > w->table_mask && table_grow(w))
		return UINT32_MAX;
	return idx;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* ---- batches ---- */

static void batch_init(batch *b)
{
	memset(b, 0, sizeof *b);
	cr_buf_init(&b->text, 0);
	for (int i = 0; i < MAX_PARTS; i++)
		cr_buf_init(&b->part[i].tblob, 0);
}

static void batch_clear(batch *b)
{
	cr_buf_reset(&b->text);
	for (int i = 0; i < MAX_PARTS; i++) {
		cr_buf_reset(&b->part[i].tblob);
		b->part[i].n_toks = 0;
		if (b->part[i].n_lt && b->part[i].ltab)
			memset(b->part[i].ltab, 0, ((size_t)b->part[i].lmask + 1) * sizeof *b->part[i].ltab);
		b->part[i].n_lt = 0;
		b->part[i].err = CR_OK;
	}
	b->n = b->n_groups = 0;
	b->n_parts = 0;
}

static void batch_release(batch *b)
{
	cr_buf_release(&b->text);
	for (int i = 0; i < MAX_PARTS; i++) {
		cr_buf_release(&b->part[i].tblob);
		cr_free(b->part[i].toks);
		cr_free(b->part[i].lt);
		cr_free(b->part[i].ltab);
		cr_free(b->part[i].l2g);
	}
	cr_free(b->e);
	cr_free(b->groups);
	memset(b, 0, sizeof *b);
}

/* Splits the batch's entries into n parts of about equal text size. */
static void batch_split(batch *b, int n)
{
	if (n > MAX_PARTS)
		n = MAX_PARTS;
	if ((size_t)n > b->n)
		n = (int)(b->n ? b->n : 1);
	size_t total = b->text.len, acc = 0, e = 0;
	for (int p = 0; p < n; p++) {
		b->part[p].e_begin = e;
		size_t goal = total * (size_t)(p + 1) / (size_t)n;
		while (e < b->n && (acc < goal || p == n - 1)) {
			acc += b->e[e].title_len + b->e[e].body_len + b->e[e].doc_len + b->e[e].type_len;
			b->e[e].part = (uint32_t)p;
			e++;
		}
		b->part[p].e_end = e;
	}
	b->n_parts = n;
}

static int ltab_grow(bpart *b)
{
	uint32_t n = b->ltab ? (b->lmask + 1) * 2 : 1u << 14;
	uint32_t *t = cr_calloc(n, sizeof *t);
	if (!t)
		return -1;
	for (uint32_t i = 0; i < b->n_lt; i++) {
		uint32_t h = (uint32_t)b->lt[i].hash & (n - 1);
		while (t[h])
			h = (h + 1) & (n - 1);
		t[h] = i + 1;
	}
	cr_free(b->ltab);
	b->ltab = t;
	b->lmask = n - 1;
	return 0;
}

static int on_token(void *ctx, const cr_token *t)
{
	bpart *b = ctx;
	if (!t->len)
		return 0;
	uint32_t len = t->len > CR_IX_MAX_TERM ? CR_IX_MAX_TERM : t->len;
	if (b->n_toks == b->cap_toks) {
		size_t n = b->cap_toks ? b->cap_toks * 2 : 65536;
		atok *p = cr_realloc(b->toks, n * sizeof *p);
		if (!p)
			goto oom;
		b->toks = p;
		b->cap_toks = n;
	}
	if (!b->ltab && ltab_grow(b))
		goto oom;
	uint64_t h = term_hash(t->term, len);
	uint32_t i = (uint32_t)h & b->lmask, lid;
	for (;;) {
		uint32_t e = b->ltab[i];
		if (!e) {
			/* new in this part */
			if (b->n_lt == b->cap_lt) {
				uint32_t n = b->cap_lt ? b->cap_lt * 2 : 4096;
				lterm *p = cr_realloc(b->lt, (size_t)n * sizeof *p);
				if (!p)
					goto oom;
				b->lt = p;
				b->cap_lt = n;
			}
			size_t off = b->tblob.len;
			if (cr_buf_add(&b->tblob, t->term, len))
				goto oom;
			lid = b->n_lt++;
			b->lt[lid].hash = h;
			b->lt[lid].off = (uint32_t)off;
			b->lt[lid].len = len;
			b->ltab[i] = lid + 1;
			if ((size_t)b->n_lt * 2 > b->lmask && ltab_grow(b))
				goto oom;
			break;
		}
		const lterm *l = &b->lt[e - 1];
		if (l->hash == h && l->len == len && !memcmp(b->tblob.data + l->off, t->term, len)) {
			lid = e - 1;
			break;
		}
		i = (i + 1) & b->lmask;
	}
	uint32_t pos = b->pos_base + t->pos;
	if (pos < b->pos_base)
		pos = UINT32_MAX - 1; /* absurdly long text: clamp */
	if (pos > b->max_pos)
		b->max_pos = pos;
	atok *a = &b->toks[b->n_toks++];
	a->lid = lid;
	a->pos = pos;
	return 0;
oom:
	b->err = CR_ENOMEM;
	return 1;
}

/* Stage 1: analyze the entries of one part of the batch. */
static void part_analyze(batch *bt, bpart *b, cr_analyzer *an)
{
	const char *text = bt->text.data;
	for (size_t i = b->e_begin; i < b->e_end && !b->err; i++) {
		bentry *e = &bt->e[i];
		e->tok_off = b->n_toks;
		b->pos_base = 0;
		b->max_pos = 0;
		cr_err r = CR_OK;
		if (e->title_len)
			r = cr_analyze(an, text + e->title_off, e->title_len, 0, on_token, b);
		e->n_title = b->n_toks - e->tok_off;
		b->pos_base = e->n_title ? b->max_pos + 1 + CR_IX_BODY_POS_GAP : 0;
		e->body_base = b->pos_base;
		if (!r && e->body_len)
			r = cr_analyze(an, text + e->body_off, e->body_len, 0, on_token, b);
		e->n_body = b->n_toks - e->tok_off - e->n_title;
		if (r && !b->err)
			b->err = r;
		if (b->tblob.len > UINT32_MAX / 2 && !b->err)
			b->err = CR_ETOOBIG;
	}
}

static cr_err add_string(cr_index_writer *w, const char *s, size_t n, uint32_t *off, uint32_t *len)
{
	if (n > 65535)
		n = 65535;
	if (w->strs.len + n > UINT32_MAX)
		return CR_ETOOBIG;
	*off = (uint32_t)w->strs.len;
	*len = (uint32_t)n;
	w->mem += n;
	return cr_buf_add(&w->strs, s, n);
}

static cr_err w_flush(cr_index_writer *w, cr_msg *m);

/* Stage 2 for one entry: attributes and postings. */
static cr_err invert_entry(cr_index_writer *w, batch *b, const bentry *be)
{
	cr_err e;
	if (w->n_docs == UINT32_MAX - 1 && (e = w_flush(w, NULL)))
		return e;
	uint32_t doc = w->n_docs;
	const char *txt = b->text.data;
	/* attributes */
	uint8_t rec[CR_IX_ATTR_SIZE];
	memset(rec, 0, sizeof rec);
	cr_ix_wr64(rec + CR_IX_ATTR_ID, be->id);
	cr_ix_wr64(rec + CR_IX_ATTR_DOCKEY, be->doc_key);
	cr_ix_wr64(rec + CR_IX_ATTR_DATE, (uint64_t)be->date);
	cr_ix_wr32(rec + CR_IX_ATTR_TENANT, be->tenant);
	cr_ix_wr32(rec + CR_IX_ATTR_OWNER, be->owner);
	uint32_t so, sl, to, tl;
	const char *dn = txt + be->doc_off, *ty = txt + be->type_off;
	if (w->have_last && CR_MIN(be->doc_len, 65535) == w->last_doc_len &&
	    !memcmp(w->strs.data + w->last_doc_off, dn, w->last_doc_len)) {
		so = w->last_doc_off;
		sl = w->last_doc_len;
	} else if ((e = add_string(w, dn, be->doc_len, &so, &sl))) {
		return e;
	}
	if (w->have_last && CR_MIN(be->type_len, 65535) == w->last_type_len &&
	    !memcmp(w->strs.data + w->last_type_off, ty, w->last_type_len)) {
		to = w->last_type_off;
		tl = w->last_type_len;
	} else if ((e = add_string(w, ty, be->type_len, &to, &tl))) {
		return e;
	}
	w->have_last = 1;
	w->last_doc_off = so;
	w->last_doc_len = sl;
	w->last_type_off = to;
	w->last_type_len = tl;
	size_t ng = be->n_groups;
	if (w->n_groups + ng > UINT32_MAX)
		return CR_ETOOBIG;
	if (w->n_groups + ng > w->cap_groups) {
		size_t n = CR_MAX(w->cap_groups * 2, w->n_groups + ng + 64);
		uint32_t *p = cr_realloc(w->groups, n * sizeof *p);
		if (!p)
			return CR_ENOMEM;
		w->mem += (n - w->cap_groups) * sizeof *p;
		w->groups = p;
		w->cap_groups = n;
	}
	cr_ix_wr32(rec + CR_IX_ATTR_GROUPS, (uint32_t)w->n_groups);
	cr_ix_wr32(rec + CR_IX_ATTR_NGROUPS, (uint32_t)ng);
	if (ng) {
		memcpy(w->groups + w->n_groups, b->groups + be->groups_off, ng * sizeof *w->groups);
		qsort(w->groups + w->n_groups, ng, sizeof *w->groups, cmp_u32);
	}
	w->n_groups += ng;
	cr_ix_wr32(rec + CR_IX_ATTR_DOC, so);
	cr_ix_wr32(rec + CR_IX_ATTR_DOCLEN, sl);
	cr_ix_wr32(rec + CR_IX_ATTR_TYPE, to);
	cr_ix_wr16(rec + CR_IX_ATTR_TYPELEN, (uint16_t)tl);
	rec[CR_IX_ATTR_CLASS] = (uint8_t)be->classification;
	cr_ix_wr32(rec + CR_IX_ATTR_LENT, (uint32_t)be->n_title);
	cr_ix_wr32(rec + CR_IX_ATTR_LENB, (uint32_t)be->n_body);
	if ((e = cr_buf_add(&w->attrs, rec, sizeof rec)))
		return e;
	w->mem += sizeof rec;
	/* terms: intern, count per term */
	size_t nt = be->n_title + be->n_body;
	if (nt > w->cap_scratch) {
		size_t n = CR_MAX(nt, w->cap_scratch * 2);
		uint32_t *a = cr_realloc(w->tids, n * sizeof *a);
		if (a)
			w->tids = a;
		uint32_t *c = cr_realloc(w->posv, n * sizeof *c);
		if (c)
			w->posv = c;
		uint32_t *d = cr_realloc(w->touched, n * sizeof *d);
		if (d)
			w->touched = d;
		if (!a || !c || !d)
			goto oom;
		w->cap_scratch = n;
	}
	bpart *bp = &b->part[be->part];
	const atok *tk = bp->toks + be->tok_off;
	const char *tb = bp->tblob.data;
	size_t n_touched = 0;
	uint32_t stamp = doc + 1;
	for (size_t i = 0; i < nt; i++) {
		uint32_t lid = tk[i].lid, t = bp->l2g[lid];
		if (t == UINT32_MAX) {
			const lterm *l = &bp->lt[lid];
			t = term_intern(w, tb + l->off, l->len, l->hash);
			if (t == UINT32_MAX)
				goto oom;
			bp->l2g[lid] = t;
		}
		wterm *wt = &w->terms[t];
		if (wt->stamp != stamp) {
			wt->stamp = stamp;
			wt->cnt = 0;
			w->touched[n_touched++] = t;
		}
		wt->cnt++;
		w->tids[i] = t;
	}
	/* counting sort of positions by term */
	uint32_t acc = 0;
	for (size_t k = 0; k < n_touched; k++) {
		wterm *wt = &w->terms[w->touched[k]];
		wt->fill = acc;
		acc += wt->cnt;
	}
	for (size_t i = 0; i < nt; i++)
		w->posv[w->terms[w->tids[i]].fill++] = tk[i].pos;
	/* one postings record per touched term */
	uint32_t body_base = be->body_base, has_title = be->n_title > 0;
	for (size_t k = 0; k < n_touched; k++) {
		wterm *wt = &w->terms[w->touched[k]];
		uint32_t cnt = wt->cnt;
		const uint32_t *pv = w->posv + (wt->fill - cnt);
		uint32_t tf_t = 0;
		if (has_title)
			while (tf_t < cnt && pv[tf_t] < body_base)
				tf_t++;
		if (wvec_grow(&wt->post, 15 + 5 * cnt, &w->mem))
			goto oom;
		uint8_t *o = wt->post.p + wt->post.len;
		o += cr_ix_varint_put(o, (uint32_t)((int64_t)doc - wt->last_doc - 1));
		o += cr_ix_varint_put(o, tf_t);
		o += cr_ix_varint_put(o, cnt - tf_t);
		uint32_t prev = 0;
		for (uint32_t j = 0; j < cnt; j++) {
			o += cr_ix_varint_put(o, pv[j] - prev);
			prev = pv[j];
		}
		wt->post.len = (uint32_t)(o - wt->post.p);
		wt->last_doc = doc;
	}
	w->n_docs++;
	if (w->mem > w->budget)
		return w_flush(w, NULL);
	return CR_OK;
oom:
	/* postings of this entry may be half written: the writer is unusable */
	return CR_ENOMEM;
}

/* Stage 2: invert a whole analyzed batch. */
static void batch_invert(cr_index_writer *w, batch *b)
{
	for (int p = 0; p < b->n_parts; p++)
		if (b->part[p].err) {
			if (!w->err)
				w->err = b->part[p].err;
			return;
		}
	for (int p = 0; p < b->n_parts; p++) {
		bpart *bp = &b->part[p];
		if (bp->n_lt > bp->cap_l2g) {
			uint32_t *q = cr_realloc(bp->l2g, (size_t)bp->n_lt * sizeof *q);
			if (!q) {
				w->err = CR_ENOMEM;
				return;
			}
			bp->l2g = q;
			bp->cap_l2g = bp->n_lt;
		}
		memset(bp->l2g, 0xff, (size_t)bp->n_lt * sizeof *bp->l2g);
	}
	uint32_t gen = w->flushes;
	for (size_t i = 0; i < b->n && !w->err; i++) {
		cr_err e = invert_entry(w, b, &b->e[i]);
		if (e)
			w->err = e;
		if (w->flushes != gen) { /* a flush renumbered the writer's terms */
			gen = w->flushes;
			for (int p = 0; p < b->n_parts; p++)
				memset(b->part[p].l2g, 0xff, (size_t)b->part[p].n_lt * sizeof *b->part[p].l2g);
		}
	}
}

typedef struct step_ctx {
	cr_index_writer *w;
	batch *analyze, *invert;
} step_ctx;

static cr_analyzer *an_claim(cr_index_writer *w, int *slot)
{
	pthread_mutex_lock(&w->an_mu);
	for (;;) {
		for (int i = 0; i < w->n_ans; i++)
			if (!w->an_busy[i]) {
				w->an_busy[i] = 1;
				*slot = i;
				pthread_mutex_unlock(&w->an_mu);
				return w->ans[i];
			}
		pthread_cond_wait(&w->an_cv, &w->an_mu);
	}
}

static void an_release(cr_index_writer *w, int slot)
{
	pthread_mutex_lock(&w->an_mu);
	w->an_busy[slot] = 0;
	pthread_cond_signal(&w->an_cv);
	pthread_mutex_unlock(&w->an_mu);
}

/* Task 0 inverts the previous batch (if any); the others analyze parts of
 * the current one, each with a free analyzer. */
static void step_task(void *ctx, int i, int n)
{
	step_ctx *s = ctx;
	double t = cr_now();
	if (s->invert && i == 0) {
		batch_invert(s->w, s->invert);
		atomic_fetch_add_explicit(&s->w->ns_invert, (uint64_t)((cr_now() - t) * 1e9), memory_order_relaxed);
		return;
	}
	int p = s->invert ? i - 1 : i;
	if (!s->analyze || p >= s->analyze->n_parts)
		return;
	int slot;
	cr_analyzer *an = an_claim(s->w, &slot);
	part_analyze(s->analyze, &s->analyze->part[p], an);
	an_release(s->w, slot);
	atomic_fetch_add_explicit(&s->w->ns_analyze, (uint64_t)((cr_now() - t) * 1e9), memory_order_relaxed);
}

/* Analyzes the current batch while the previous one is inverted. */
static void pipeline_step(cr_index_writer *w)
{
	batch *cur = &w->b[w->cur], *prev = &w->b[w->cur ^ 1];
	step_ctx s = {.w = w, .analyze = cur->n ? cur : NULL, .invert = w->prev_ready ? prev : NULL};
	if (s.analyze)
		batch_split(cur, w->n_ans > 1 ? 2 * w->n_ans : 1);
	int n_tasks = (s.invert ? 1 : 0) + (s.analyze ? s.analyze->n_parts : 0);
	if (w->pool && n_tasks > 1) {
		cr_pool_run(w->pool, n_tasks, step_task, &s);
	} else {
		for (int i = 0; i < n_tasks; i++)
			step_task(&s, i, n_tasks);
	}
	if (s.invert) {
		batch_clear(prev);
		w->prev_ready = 0;
	}
	if (s.analyze) {
		w->cur ^= 1;
		w->prev_ready = 1;
	}
}

static void pipeline_drain(cr_index_writer *w)
{
	pipeline_step(w); /* analyze the current batch, invert the previous */
	if (w->prev_ready)
		pipeline_step(w); /* invert the last */
}

cr_err cr_index_writer_new(cr_index *ix, cr_analyzer *an, cr_index_writer **out, cr_msg *m)
{
	if (!ix || !an || !out)
		return cr_fail(m, CR_EINVAL, "index: writer needs an index and an analyzer");
	cr_err e = cr_ix_lock(ix, m);
	if (e)
		return e;
	cr_index_writer *w = cr_calloc(1, sizeof *w);
	if (!w) {
		cr_ix_unlock(ix);
		return cr_fail(m, CR_ENOMEM, "index: out of memory");
	}
	w->ix = ix;
	w->an = an;
	w->budget = 64u << 20;
	cr_buf_init(&w->blob, 0);
	cr_buf_init(&w->attrs, 0);
	cr_buf_init(&w->strs, 0);
	batch_init(&w->b[0]);
	batch_init(&w->b[1]);
	pthread_mutex_init(&w->an_mu, NULL);
	pthread_cond_init(&w->an_cv, NULL);
	w->ans[0] = an;
	w->n_ans = w->own_from = 1;
	cr_ix_manifest mf;
	pthread_mutex_lock(&ix->wmu);
	e = cr_ix_manifest_read(ix->dir, &mf, m);
	pthread_mutex_unlock(&ix->wmu);
	if (e) {
		cr_index_writer_free(w);
		return e;
	}
	w->next_seg = mf.next_seg;
	cr_ix_manifest_release(&mf);
	if (table_grow(w)) {
		cr_index_writer_free(w);
		return cr_fail(m, CR_ENOMEM, "index: out of memory");
	}
	*out = w;
	return CR_OK;
}

void cr_index_writer_set_budget(cr_index_writer *w, size_t bytes)
{
	w->budget = bytes ? bytes : 64u << 20;
}

cr_err cr_index_writer_set_threads(cr_index_writer *w, int n_threads, const cr_analyzer_opts *o, cr_msg *m)
{
	if (n_threads <= 0)
		n_threads = cr_ncpu();
	if (n_threads > MAX_ANALYZERS)
		n_threads = MAX_ANALYZERS;
	/* pending batches were analyzed with the old set: process them first */
	cr_pool *pool = NULL;
	if (n_threads > 1 && cr_pool_new(n_threads, &pool) != CR_OK)
		return cr_fail(m, CR_ENOMEM, "index: cannot start %d threads", n_threads);
	if (w->own_pool)
		cr_pool_free(w->pool);
	w->pool = pool;
	w->own_pool = 1;
	while (w->n_ans < n_threads) {
		cr_analyzer *a;
		cr_err e = cr_analyzer_new(o, &a, m);
		if (e)
			return e;
		w->ans[w->n_ans++] = a;
	}
	return CR_OK;
}

void cr_index_writer_set_pool(cr_index_writer *w, cr_pool *pool)
{
	if (w->own_pool)
		cr_pool_free(w->pool);
	w->pool = pool;
	w->own_pool = 0;
}

static cr_err batch_text(batch *b, const char *s, size_t n, size_t *off)
{
	*off = b->text.len;
	return n ? cr_buf_add(&b->text, s, n) : CR_OK;
}

cr_err cr_index_writer_add(cr_index_writer *w, const cr_entry_attrs *at, const char *title, size_t title_len,
			   const char *body, size_t body_len)
{
	if (w->err)
		return w->err;
	if (!at || (!body && body_len) || (!title && title_len) || (at->n_groups && !at->groups))
		return CR_EINVAL;
	if (title_len > UINT32_MAX || body_len > UINT32_MAX)
		return CR_ETOOBIG;
	batch *b = &w->b[w->cur];
	if (b->n == b->cap) {
		size_t n = b->cap ? b->cap * 2 : 256;
		bentry *p = cr_realloc(b->e, n * sizeof *p);
		if (!p)
			return CR_ENOMEM;
		b->e = p;
		b->cap = n;
	}
	if (b->n_groups + at->n_groups > b->cap_groups) {
		size_t n = CR_MAX(b->cap_groups * 2, b->n_groups + at->n_groups + 64);
		uint32_t *p = cr_realloc(b->groups, n * sizeof *p);
		if (!p)
			return CR_ENOMEM;
		b->groups = p;
		b->cap_groups = n;
	}
	bentry *e = &b->e[b->n];
	memset(e, 0, sizeof *e);
	e->id = at->id;
	e->doc_key = at->doc_key;
	e->date = at->date;
	e->tenant = at->tenant;
	e->owner = at->owner;
	e->classification = at->classification;
	const char *dn = at->doc ? at->doc : "", *ty = at->type ? at->type : "";
	e->doc_len = strlen(dn);
	e->type_len = strlen(ty);
	e->title_len = title_len;
	e->body_len = body_len;
	size_t len0 = b->text.len;
	cr_err r;
	if ((r = batch_text(b, dn, e->doc_len, &e->doc_off)) || (r = batch_text(b, ty, e->type_len, &e->type_off)) ||
	    (r = batch_text(b, title, title_len, &e->title_off)) || (r = batch_text(b, body, body_len, &e->body_off))) {
		b->text.len = len0;
		return r;
	}
	e->groups_off = b->n_groups;
	e->n_groups = at->n_groups;
	if (at->n_groups)
		memcpy(b->groups + b->n_groups, at->groups, at->n_groups * sizeof *at->groups);
	b->n_groups += at->n_groups;
	b->n++;
	if (b->text.len >= BATCH_TEXT || b->n >= BATCH_ENTRIES)
		pipeline_step(w);
	return w->err;
}

static int cmp_term(const void *a, const void *b, void *ctx)
{
	const cr_index_writer *w = ctx;
	const wterm *x = &w->terms[*(const uint32_t *)a], *y = &w->terms[*(const uint32_t *)b];
	int c = memcmp(w->blob.data + x->off, w->blob.data + y->off, CR_MIN(x->len, y->len));
	if (c)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

/* Writes the in-memory entries as segment w->next_seg (unpublished). */
static cr_err w_flush(cr_index_writer *w, cr_msg *m)
{
	if (!w->n_docs)
		return CR_OK;
	cr_err e = CR_OK;
	uint32_t *order = NULL, *posbuf = NULL;
	uint8_t *norms = NULL;
	cr_ix_segw *sw = NULL;
	size_t posbuf_cap = 0;
	order = cr_malloc((size_t)(w->n_terms ? w->n_terms : 1) * sizeof *order);
	norms = cr_malloc((size_t)w->n_docs * 2);
	if (!order || !norms) {
		e = cr_fail(m, CR_ENOMEM, "index: out of memory");
		goto out;
	}
	for (uint32_t i = 0; i < w->n_terms; i++)
		order[i] = i;
	qsort_r(order, w->n_terms, sizeof *order, cmp_term, w);
	for (uint32_t d = 0; d < w->n_docs; d++) {
		const uint8_t *a = (const uint8_t *)w->attrs.data + (size_t)d * CR_IX_ATTR_SIZE;
		norms[d] = cr_ix_len_code(cr_ix_rd32(a + CR_IX_ATTR_LENT));
		norms[w->n_docs + d] = cr_ix_len_code(cr_ix_rd32(a + CR_IX_ATTR_LENB));
	}
	if (w->n_pending == w->cap_pending) {
		size_t n = w->cap_pending ? w->cap_pending * 2 : 8;
		uint64_t *p = cr_realloc(w->pending, n * sizeof *p);
		if (!p) {
			e = cr_fail(m, CR_ENOMEM, "index: out of memory");
			goto out;
		}
		w->pending = p;
		w->cap_pending = n;
	}
	uint64_t no = cr_ix_seg_alloc(w->ix, w->next_seg);
	if ((e = cr_ix_segw_open(w->ix->dir, w->ix->key, no, w->n_docs, norms, &sw, m)))
		goto out;
	for (uint32_t k = 0; k < w->n_terms && !e; k++) {
		const wterm *wt = &w->terms[order[k]];
		if ((e = cr_ix_segw_term_begin(sw, (const uint8_t *)w->blob.data + wt->off, wt->len)))
			break;
		const uint8_t *p = wt->post.p, *end = p + wt->post.len;
		int64_t doc = -1;
		while (p < end) {
			uint32_t gap, tf_t, tf_b;
			p += cr_ix_varint_get(p, (size_t)(end - p), &gap);
			p += cr_ix_varint_get(p, (size_t)(end - p), &tf_t);
			p += cr_ix_varint_get(p, (size_t)(end - p), &tf_b);
			doc += (int64_t)gap + 1;
			uint32_t np = tf_t + tf_b;
			if (np > posbuf_cap) {
				size_t n = CR_MAX((size_t)np, posbuf_cap * 2);
				uint32_t *q = cr_realloc(posbuf, n * sizeof *q);
				if (!q) {
					e = CR_ENOMEM;
					break;
				}
				posbuf = q;
				posbuf_cap = n;
			}
			uint32_t prev = 0;
			for (uint32_t i = 0; i < np; i++) {
				uint32_t v;
				p += cr_ix_varint_get(p, (size_t)(end - p), &v);
				prev += v;
				posbuf[i] = prev;
			}
			if ((e = cr_ix_segw_add(sw, (uint32_t)doc, tf_t, tf_b, posbuf)))
				break;
		}
		if (!e)
			e = cr_ix_segw_term_end(sw);
	}
	if (e) {
		cr_ix_segw_abort(sw);
		sw = NULL;
		cr_fail(m, e, "index: writing segment failed: %s", cr_strerror(e));
		goto out;
	}
	e = cr_ix_segw_finish(sw, (const uint8_t *)w->attrs.data, (const uint8_t *)w->strs.data, w->strs.len,
			      w->groups, w->n_groups, m);
	sw = NULL;
	if (e)
		goto out;
	w->pending[w->n_pending++] = no;
	w->flushes++;
	w->next_seg = no + 1;
	w_reset(w);
out:
	cr_free(order);
	cr_free(norms);
	cr_free(posbuf);
	return e;
}

cr_err cr_index_writer_commit(cr_index_writer *w, cr_msg *m)
{
	if (w->err)
		return cr_fail(m, w->err, "index: writer failed earlier: %s", cr_strerror(w->err));
	pipeline_drain(w);
	if (w->err)
		return cr_fail(m, w->err, "index: indexing failed: %s", cr_strerror(w->err));
	double t = cr_now();
	cr_err e = w_flush(w, m);
	cr_log(CR_LOG_DEBUG, "index: analyze %.2f s, invert %.2f s (flushes included), last flush %.2f s",
	       (double)atomic_load(&w->ns_analyze) * 1e-9, (double)atomic_load(&w->ns_invert) * 1e-9, cr_now() - t);
	if (e)
		return e;
	if (!w->n_pending)
		return CR_OK;
	cr_index *ix = w->ix;
	cr_ix_manifest mf;
	pthread_mutex_lock(&ix->wmu);
	e = cr_ix_manifest_read(ix->dir, &mf, m);
	if (!e) {
		uint64_t *segs = cr_realloc(mf.segs, (mf.n_segs + w->n_pending) * sizeof *segs);
		if (!segs) {
			e = cr_fail(m, CR_ENOMEM, "index: out of memory");
		} else {
			mf.segs = segs;
			memcpy(segs + mf.n_segs, w->pending, w->n_pending * sizeof *segs);
			mf.n_segs += (uint32_t)w->n_pending;
			/* a merge in this process may have published a higher number meanwhile */
			qsort(segs, mf.n_segs, sizeof *segs, cmp_u64);
			mf.next_seg = cr_ix_seg_next(ix, CR_MAX(mf.next_seg, w->next_seg));
			mf.generation++;
			e = cr_ix_manifest_write(ix->dir, &mf, m);
		}
		cr_ix_manifest_release(&mf);
	}
	pthread_mutex_unlock(&ix->wmu);
	if (e)
		return e;
	w->n_pending = 0;
	return cr_index_refresh(ix, m);
}

void cr_index_writer_free(cr_index_writer *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->n_pending; i++) {
		char path[4096];
		cr_ix_seg_path(path, sizeof path, w->ix->dir, w->pending[i], "idx");
		unlink(path);
		cr_ix_seg_path(path, sizeof path, w->ix->dir, w->pending[i], "pos");
		unlink(path);
	}
	w_reset(w);
	if (w->own_pool)
		cr_pool_free(w->pool);
	for (int i = w->own_from; i < w->n_ans; i++)
		cr_analyzer_free(w->ans[i]);
	if (w->n_ans) {
		pthread_mutex_destroy(&w->an_mu);
		pthread_cond_destroy(&w->an_cv);
	}
	batch_release(&w->b[0]);
	batch_release(&w->b[1]);
	cr_free(w->touched);
	cr_free(w->tids);
	cr_free(w->posv);
	cr_free(w->terms);
	cr_free(w->table);
	cr_buf_release(&w->blob);
	cr_buf_release(&w->attrs);
	cr_buf_release(&w->strs);
	cr_free(w->groups);
	cr_free(w->pending);
	cr_ix_unlock(w->ix);
	cr_free(w);
}
