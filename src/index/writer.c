/*
 * writer.c — cr_index_writer: inverts entries in memory and writes them out
 * as segments.
 *
 * Each added entry is analyzed (title, then body with positions shifted past
 * the title), its tokens are sorted by term, and each term's postings grow
 * by one record in a per-term byte vector: varint(doc gap), varint(tf_title),
 * varint(tf_body), varint position gaps. When the buffered bytes pass the
 * memory budget the buffer is flushed to an unpublished segment file; commit
 * flushes the rest and publishes all of them in one MANIFEST replacement.
 * The writer holds the index LOCK for its whole life, so no other process
 * changes the index (or mistakes its unpublished files for crash leftovers).
 */
#include "index/index_int.h"

#include <stdlib.h>
#include <unistd.h>

typedef struct wvec {
	uint8_t *p;
	uint32_t len, cap;
} wvec;

typedef struct wterm {
	uint64_t hash;
	uint32_t off, len;   /* bytes in w->blob */
	int64_t last_doc;
	wvec post;
} wterm;

struct cr_index_writer {
	cr_index *ix;
	cr_analyzer *an;
	size_t budget;
	uint64_t next_seg;
	uint64_t *pending; size_t n_pending, cap_pending;
	/* in-memory segment */
	wterm *terms; uint32_t n_terms, cap_terms;
	uint32_t *table; uint32_t table_mask; /* term index + 1, 0 = empty */
	cr_buf blob;
	cr_buf attrs, strs;
	uint32_t *groups; size_t n_groups, cap_groups;
	uint32_t n_docs;
	size_t mem;
	/* per-entry scratch */
	uint64_t *toks; size_t n_toks, cap_toks;
	uint32_t pos_base;
	uint32_t max_pos;
	cr_err err;
	/* last strings, deduplicated */
	uint32_t last_doc_off, last_doc_len, last_type_off, last_type_len;
	int have_last;
};

static cr_err w_reset(cr_index_writer *w)
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
	w->mem = 0;
	w->have_last = 0;
	return CR_OK;
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
	uint32_t *t = cr_calloc(n, sizeof *t);
	if (!t)
		return -1;
	for (uint32_t i = 0; i < w->n_terms; i++) {
		uint32_t h = (uint32_t)w->terms[i].hash & (n - 1);
		while (t[h])
			h = (h + 1) & (n - 1);
		t[h] = i + 1;
	}
	w->mem += (size_t)(n - (w->table ? w->table_mask + 1 : 0)) * sizeof *t;
	cr_free(w->table);
	w->table = t;
	w->table_mask = n - 1;
	return 0;
}

/* Returns the term's index, or UINT32_MAX on allocation failure. */
static uint32_t term_intern(cr_index_writer *w, const char *s, uint32_t len)
{
	if (len > CR_IX_MAX_TERM)
		len = CR_IX_MAX_TERM;
	uint64_t h = cr_hash64(s, len, 0x1d);
	uint32_t i = (uint32_t)h & w->table_mask;
	for (;;) {
		uint32_t t = w->table[i];
		if (!t)
			break;
		wterm *wt = &w->terms[t - 1];
		if (wt->hash == h && wt->len == len && !memcmp(w->blob.data + wt->off, s, len))
			return t - 1;
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
	if (cr_buf_add(&w->blob, s, len))
		return UINT32_MAX;
	w->mem += len;
	uint32_t idx = w->n_terms++;
	wterm *wt = &w->terms[idx];
	wt->hash = h;
	wt->off = (uint32_t)off;
	wt->len = len;
	wt->last_doc = -1;
	wt->post.p = NULL;
	wt->post.len = wt->post.cap = 0;
	w->table[i] = idx + 1;
	if ((size_t)w->n_terms * 2 > w->table_mask && table_grow(w))
		return UINT32_MAX;
	return idx;
}

static int on_token(void *ctx, const cr_token *t)
{
	cr_index_writer *w = ctx;
	if (!t->len)
		return 0;
	uint32_t idx = term_intern(w, t->term, t->len);
	if (idx == UINT32_MAX) {
		w->err = CR_ENOMEM;
		return 1;
	}
	if (w->n_toks == w->cap_toks) {
		size_t n = w->cap_toks ? w->cap_toks * 2 : 1024;
		uint64_t *p = cr_realloc(w->toks, n * sizeof *p);
		if (!p) {
			w->err = CR_ENOMEM;
			return 1;
		}
		w->toks = p;
		w->cap_toks = n;
	}
	uint32_t pos = w->pos_base + t->pos;
	if (pos < w->pos_base)
		pos = UINT32_MAX - 1; /* absurdly long text: clamp */
	if (pos > w->max_pos)
		w->max_pos = pos;
	w->toks[w->n_toks++] = (uint64_t)idx << 32 | pos;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

cr_err cr_index_writer_new(cr_index *ix, cr_analyzer *an, cr_index_writer **out, cr_msg *m)
{
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
	const char *env = getenv("CR_INDEX_BUFFER_MB");
	if (env && atoi(env) > 0)
		w->budget = (size_t)atoi(env) << 20;
	cr_buf_init(&w->blob, 0);
	cr_buf_init(&w->attrs, 0);
	cr_buf_init(&w->strs, 0);
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

static cr_err add_string(cr_index_writer *w, const char *s, uint32_t *off, uint32_t *len)
{
	size_t n = s ? strlen(s) : 0;
	if (n > 65535)
		n = 65535;
	if (w->strs.len + n > UINT32_MAX)
		return CR_ETOOBIG;
	*off = (uint32_t)w->strs.len;
	*len = (uint32_t)n;
	w->mem += n;
	return cr_buf_add(&w->strs, s ? s : "", n);
}

static cr_err w_flush(cr_index_writer *w, cr_msg *m);

cr_err cr_index_writer_add(cr_index_writer *w, const cr_entry_attrs *at, const char *title, size_t title_len,
			   const char *body, size_t body_len)
{
	if (w->err)
		return w->err;
	if (!at || (!body && body_len) || (!title && title_len))
		return CR_EINVAL;
	if (w->n_docs == UINT32_MAX - 1) {
		cr_err e = w_flush(w, NULL);
		if (e)
			return e;
	}
	uint32_t doc = w->n_docs;
	/* analyze title then body */
	w->n_toks = 0;
	w->pos_base = 0;
	w->max_pos = 0;
	cr_err e = CR_OK;
	if (title && title_len) {
		e = cr_analyze(w->an, title, title_len, 0, on_token, w);
		if (e == CR_ECANCELED && w->err)
			e = w->err;
		if (e)
			goto fail;
	}
	size_t n_title = w->n_toks;
	w->pos_base = n_title ? w->max_pos + 1 + CR_IX_BODY_POS_GAP : 0;
	if (body && body_len) {
		e = cr_analyze(w->an, body, body_len, 0, on_token, w);
		if (e == CR_ECANCELED && w->err)
			e = w->err;
		if (e)
			goto fail;
	}
	size_t n_body = w->n_toks - n_title;
	uint32_t body_base = w->pos_base;
	/* attributes */
	uint8_t rec[CR_IX_ATTR_SIZE];
	memset(rec, 0, sizeof rec);
	cr_ix_wr64(rec + CR_IX_ATTR_ID, at->id);
	cr_ix_wr64(rec + CR_IX_ATTR_DOCKEY, at->doc_key);
	cr_ix_wr64(rec + CR_IX_ATTR_DATE, (uint64_t)at->date);
	cr_ix_wr32(rec + CR_IX_ATTR_TENANT, at->tenant);
	cr_ix_wr32(rec + CR_IX_ATTR_OWNER, at->owner);
	uint32_t so, sl, to, tl;
	const char *docname = at->doc ? at->doc : "", *type = at->type ? at->type : "";
	if (w->have_last && strlen(docname) == w->last_doc_len &&
	    !memcmp(w->strs.data + w->last_doc_off, docname, w->last_doc_len)) {
		so = w->last_doc_off;
		sl = w->last_doc_len;
	} else {
		if ((e = add_string(w, docname, &so, &sl)))
			goto fail;
	}
	if (w->have_last && strlen(type) == w->last_type_len &&
	    !memcmp(w->strs.data + w->last_type_off, type, w->last_type_len)) {
		to = w->last_type_off;
		tl = w->last_type_len;
	} else {
		if ((e = add_string(w, type, &to, &tl)))
			goto fail;
	}
	w->have_last = 1;
	w->last_doc_off = so;
	w->last_doc_len = sl;
	w->last_type_off = to;
	w->last_type_len = tl;
	uint32_t ng = at->groups ? at->n_groups : 0;
	if (w->n_groups + ng > UINT32_MAX) {
		e = CR_ETOOBIG;
		goto fail;
	}
	cr_ix_wr32(rec + CR_IX_ATTR_GROUPS, (uint32_t)w->n_groups);
	cr_ix_wr32(rec + CR_IX_ATTR_NGROUPS, ng);
	if (w->n_groups + ng > w->cap_groups) {
		size_t n = CR_MAX(w->cap_groups * 2, w->n_groups + ng + 64);
		uint32_t *p = cr_realloc(w->groups, n * sizeof *p);
		if (!p) {
			e = CR_ENOMEM;
			goto fail;
		}
		w->mem += (n - w->cap_groups) * sizeof *p;
		w->groups = p;
		w->cap_groups = n;
	}
	if (ng) {
		memcpy(w->groups + w->n_groups, at->groups, ng * sizeof *at->groups);
		qsort(w->groups + w->n_groups, ng, sizeof *w->groups, cmp_u32);
	}
	w->n_groups += ng;
	cr_ix_wr32(rec + CR_IX_ATTR_DOC, so);
	cr_ix_wr32(rec + CR_IX_ATTR_DOCLEN, sl);
	cr_ix_wr32(rec + CR_IX_ATTR_TYPE, to);
	cr_ix_wr16(rec + CR_IX_ATTR_TYPELEN, (uint16_t)tl);
	rec[CR_IX_ATTR_CLASS] = at->classification;
	cr_ix_wr32(rec + CR_IX_ATTR_LENT, (uint32_t)n_title);
	cr_ix_wr32(rec + CR_IX_ATTR_LENB, (uint32_t)n_body);
	if ((e = cr_buf_add(&w->attrs, rec, sizeof rec)))
		goto fail;
	w->mem += sizeof rec;
	/* invert */
	if (w->n_toks)
		qsort(w->toks, w->n_toks, sizeof *w->toks, cmp_u64);
	for (size_t i = 0; i < w->n_toks;) {
		uint32_t t = (uint32_t)(w->toks[i] >> 32);
		size_t j = i;
		uint32_t tf_t = 0, tf_b = 0;
		while (j < w->n_toks && (uint32_t)(w->toks[j] >> 32) == t)
			j++;
		for (size_t k = i; k < j; k++) {
			if (n_title && (uint32_t)w->toks[k] < body_base)
				tf_t++;
			else
				tf_b++;
		}
		wterm *wt = &w->terms[t];
		if (wvec_grow(&wt->post, (uint32_t)(15 + 5 * (j - i)), &w->mem)) {
			/* postings of this entry are half written: the writer is unusable */
			return w->err = CR_ENOMEM;
		}
		uint8_t *o = wt->post.p + wt->post.len;
		o += cr_ix_varint_put(o, (uint32_t)((int64_t)doc - wt->last_doc - 1));
		o += cr_ix_varint_put(o, tf_t);
		o += cr_ix_varint_put(o, tf_b);
		uint32_t prev = 0;
		for (size_t k = i; k < j; k++) {
			uint32_t p = (uint32_t)w->toks[k];
			o += cr_ix_varint_put(o, p - prev);
			prev = p;
		}
		wt->post.len = (uint32_t)(o - wt->post.p);
		wt->last_doc = doc;
		i = j;
	}
	w->n_docs++;
	if (w->mem > w->budget)
		return w_flush(w, NULL);
	return CR_OK;
fail:
	/* the entry is dropped; nothing of it reached the postings */
	if (e == CR_ENOMEM)
		w->err = e;
	return e;
}

static const char *g_blob;
static const wterm *g_terms;
static int cmp_term(const void *a, const void *b)
{
	const wterm *x = &g_terms[*(const uint32_t *)a], *y = &g_terms[*(const uint32_t *)b];
	int c = memcmp(g_blob + x->off, g_blob + y->off, CR_MIN(x->len, y->len));
	if (c)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}
static pthread_mutex_t g_sort_mu = PTHREAD_MUTEX_INITIALIZER;

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
	pthread_mutex_lock(&g_sort_mu);
	g_blob = w->blob.data;
	g_terms = w->terms;
	qsort(order, w->n_terms, sizeof *order, cmp_term);
	pthread_mutex_unlock(&g_sort_mu);
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
	if ((e = cr_ix_segw_open(w->ix->dir, w->next_seg, w->n_docs, norms, &sw, m)))
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
	w->pending[w->n_pending++] = w->next_seg++;
	w_reset(w);
out:
	cr_free(order);
	cr_free(norms);
	cr_free(posbuf);
	return e;
}

cr_err cr_index_writer_commit(cr_index_writer *w, cr_msg *m)
{
	cr_err e = w_flush(w, m);
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
			mf.next_seg = CR_MAX(mf.next_seg, w->next_seg);
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
	cr_free(w->terms);
	cr_free(w->table);
	cr_buf_release(&w->blob);
	cr_buf_release(&w->attrs);
	cr_buf_release(&w->strs);
	cr_free(w->groups);
	cr_free(w->toks);
	cr_free(w->pending);
	cr_ix_unlock(w->ix);
	cr_free(w);
}
