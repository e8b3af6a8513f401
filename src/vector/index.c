/*
 * index.c — the vectors of an index and their search: quantization, adding,
 * the exact scan, and the HNSW graph (Malkov & Yashunin; insertion and the
 * neighbour-selection heuristic follow hnswlib, so the two can be compared
 * at the same m, ef_construction and ef).
 *
 * Graph layout (vector_int.h): layer 0 gives every node m0 = 2m slots, the
 * upper layers m each, in one array addressed through upper_at. Levels are
 * drawn for every node before the build (seeded, so a build's shape does not
 * depend on the thread count's timing beyond insertion races), and nodes
 * are then inserted by the pool's threads, each taking the next id; a node's
 * link list is read and written under its own spin lock (one byte per node),
 * the entry point under a mutex, held through the whole insertion of a node
 * that raises the top level (rare), as hnswlib does.
 *
 * Distances are negated similarities: d(a, b) = -s_a·s_b·dot(q_a, q_b), so
 * smaller is closer throughout.
 */
#include "vector_int.h"
#include "cristal/crypt.h"

#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#define MAX_M 128

void cr_vec_quantize(const float *x, int dim, int8_t *q, float *scale)
{
	float mx = 0;
	for (int i = 0; i < dim; i++) {
		float a = fabsf(x[i]);
		if (a > mx)
			mx = a;
	}
	if (!(mx > 0) || !isfinite(mx)) {
		memset(q, 0, (size_t)dim);
		*scale = 0;
		return;
	}
	float inv = 127.0f / mx;
	for (int i = 0; i < dim; i++) {
		long v = lrintf(x[i] * inv);
		q[i] = (int8_t)(v > 127 ? 127 : v < -127 ? -127 : v);
	}
	*scale = mx / 127.0f;
}

/* ---- heaps and scratch -------------------------------------------------------- */

cr_err cr_vheap_push(cr_vheap *h, float d, uint32_t id)
{
	if (h->n == h->cap) {
		size_t nc = h->cap ? h->cap * 2 : 64;
		cr_vheap_item *na = cr_realloc(h->a, nc * sizeof *na);
		if (!na)
			return CR_ENOMEM;
		h->a = na;
		h->cap = nc;
	}
	size_t i = h->n++;
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (h->a[p].d >= d)
			break;
		h->a[i] = h->a[p];
		i = p;
	}
	h->a[i].d = d;
	h->a[i].id = id;
	return CR_OK;
}

void cr_vheap_pop(cr_vheap *h)
{
	if (!h->n)
		return;
	cr_vheap_item last = h->a[--h->n];
	size_t i = 0, n = h->n;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && h->a[c + 1].d > h->a[c].d)
			c++;
		if (h->a[c].d <= last.d)
			break;
		h->a[i] = h->a[c];
		i = c;
	}
	if (n)
		h->a[i] = last;
}

cr_vec_scratch *cr_vec_scratch_new(void)
{
	return cr_calloc(1, sizeof(cr_vec_scratch));
}

void cr_vec_scratch_free(cr_vec_scratch *s)
{
	if (!s)
		return;
	cr_free(s->mark);
	cr_free(s->cand.a);
	cr_free(s->top.a);
	cr_free(s->sel);
	cr_free(s->q);
	cr_free(s);
}

cr_err cr_vec_scratch_begin(cr_vec_scratch *s, size_t n)
{
	if (s->n_mark < n) {
		uint32_t *m = cr_realloc(s->mark, n * sizeof *m);
		if (!m)
			return CR_ENOMEM;
		memset(m, 0, n * sizeof *m);
		s->mark = m;
		s->n_mark = n;
		s->tag = 0;
	}
	if (++s->tag == 0) {
		memset(s->mark, 0, s->n_mark * sizeof *s->mark);
		s->tag = 1;
	}
	s->cand.n = s->top.n = 0;
	return CR_OK;
}

static cr_err sel_reserve(cr_vec_scratch *s, size_t n)
{
	if (s->sel_cap >= n)
		return CR_OK;
	cr_vheap_item *p = cr_realloc(s->sel, n * sizeof *p);
	if (!p)
		return CR_ENOMEM;
	s->sel = p;
	s->sel_cap = n;
	return CR_OK;
}

/* ---- the index's vectors ---------------------------------------------------------- */

cr_err cr_vec_index_new(int dim, const cr_vec_params *p, cr_vec_index **out, cr_msg *m)
{
	*out = NULL;
	if (dim < 1 || dim > CR_VEC_MAX_DIM)
		return cr_fail(m, CR_EINVAL, "vector: dimension %d outside 1..%d", dim, CR_VEC_MAX_DIM);
	int mm = p && p->m ? p->m : 16;
	if (mm < 2 || mm > MAX_M)
		return cr_fail(m, CR_EINVAL, "vector: m %d outside 2..%d", mm, MAX_M);
	cr_vec_index *ix = cr_calloc(1, sizeof *ix);
	if (!ix)
		return CR_ENOMEM;
	ix->dim = dim;
	ix->m = mm;
	ix->m0 = 2 * mm;
	ix->efc = p && p->ef_construction > 0 ? p->ef_construction : 200;
	ix->seed = p && p->seed ? p->seed : 0x9E3779B97F4A7C15ull;
	ix->entry = CR_VEC_NONE;
	ix->max_level = -1;
	*out = ix;
	return CR_OK;
}

void cr_vec_index_free(cr_vec_index *ix)
{
	if (!ix)
		return;
	if (ix->mapped && ix->heap) {
		cr_wipe((void *)ix->mm.data, ix->mm.len);
		cr_free((void *)ix->mm.data);
	} else if (ix->mapped) {
		cr_mmap_close(&ix->mm);
	} else {
		cr_free(ix->vec);
		cr_free(ix->scale);
		cr_free(ix->ids);
		cr_free(ix->level);
		cr_free(ix->links0);
		cr_free(ix->upper_at);
		cr_free(ix->upper);
	}
	cr_free(ix);
}

size_t cr_vec_index_count(const cr_vec_index *ix) { return ix->n; }
int cr_vec_index_dim(const cr_vec_index *ix) { return ix->dim; }
int cr_vec_index_has_graph(const cr_vec_index *ix) { return ix->has_graph; }
uint64_t cr_vec_index_id(const cr_vec_index *ix, size_t i) { return ix->ids[i]; }

const int8_t *cr_vec_index_vec(const cr_vec_index *ix, size_t i, float *scale)
{
	if (scale)
		*scale = ix->scale[i];
	return ix->vec + i * (size_t)ix->dim;
}

static cr_err grow(cr_vec_index *ix)
{
	if (ix->n < ix->cap)
		return CR_OK;
	size_t nc = ix->cap ? ix->cap * 2 : 1024;
	int8_t *v = cr_realloc(ix->vec, nc * (size_t)ix->dim);
	if (!v)
		return CR_ENOMEM;
	ix->vec = v;
	float *s = cr_realloc(ix->scale, nc * sizeof *s);
	if (!s)
		return CR_ENOMEM;
	ix->scale = s;
	uint64_t *id = cr_realloc(ix->ids, nc * sizeof *id);
	if (!id)
		return CR_ENOMEM;
	ix->ids = id;
	ix->cap = nc;
	return CR_OK;
}

cr_err cr_vec_index_add_q(cr_vec_index *ix, uint64_t id, const int8_t *q, float scale, cr_msg *m)
{
	if (ix->mapped || ix->built)
		return cr_fail(m, CR_EINVAL, "vector: index is read-only (opened or built)");
	if (ix->n >= CR_VEC_NONE - 1)
		return cr_fail(m, CR_ETOOBIG, "vector: too many vectors");
	if (grow(ix))
		return cr_fail(m, CR_ENOMEM, "vector: out of memory at %zu vectors", ix->n);
	memcpy(ix->vec + ix->n * (size_t)ix->dim, q, (size_t)ix->dim);
	ix->scale[ix->n] = isfinite(scale) ? scale : 0;
	ix->ids[ix->n] = id;
	ix->n++;
	return CR_OK;
}

cr_err cr_vec_index_add(cr_vec_index *ix, uint64_t id, const float *x, cr_msg *m)
{
	if (ix->mapped || ix->built)
		return cr_fail(m, CR_EINVAL, "vector: index is read-only (opened or built)");
	if (grow(ix))
		return cr_fail(m, CR_ENOMEM, "vector: out of memory at %zu vectors", ix->n);
	cr_vec_quantize(x, ix->dim, ix->vec + ix->n * (size_t)ix->dim, &ix->scale[ix->n]);
	ix->ids[ix->n] = id;
	ix->n++;
	return CR_OK;
}

/* ---- distances ---------------------------------------------------------------------- */

static inline float dist_q(const cr_vec_index *ix, const int8_t *q, float qs, uint32_t j)
{
	return -(qs * ix->scale[j] * (float)cr_vec_dot_impl(q, ix->vec + (size_t)j * (size_t)ix->dim, (size_t)ix->dim));
}

static inline float dist_nn(const cr_vec_index *ix, uint32_t a, uint32_t b)
{
	return dist_q(ix, ix->vec + (size_t)a * (size_t)ix->dim, ix->scale[a], b);
}

static inline void prefetch_vec(const cr_vec_index *ix, uint32_t j)
{
	const char *p = (const char *)ix->vec + (size_t)j * (size_t)ix->dim;
	for (int o = 0; o < ix->dim && o < 512; o += 64)
		__builtin_prefetch(p + o);
}

/* ---- build-time locks ------------------------------------------------------------------ */

typedef struct build {
	cr_vec_index *ix;
	atomic_uchar *lock;
	pthread_mutex_t mu;
	_Atomic size_t next;
	_Atomic int err;
	const cr_cancel *cancel;
} build;

static inline void lk(atomic_uchar *l)
{
	int spins = 0;
	while (atomic_exchange_explicit(l, 1, memory_order_acquire)) {
		while (atomic_load_explicit(l, memory_order_relaxed)) {
			if (++spins > 64) {
				sched_yield();
				spins = 0;
			} else {
#if defined(__x86_64__)
				__builtin_ia32_pause();
#endif
			}
		}
	}
}

static inline void ulk(atomic_uchar *l)
{
	atomic_store_explicit(l, 0, memory_order_release);
}

/* Copies node i's layer-l links into buf (count first); under its lock
 * during a build. */
static uint32_t read_links(const cr_vec_index *ix, build *b, uint32_t i, int l, uint32_t *buf)
{
	const uint32_t *lst = cr_vec_links(ix, i, l);
	if (b)
		lk(&b->lock[i]);
	uint32_t cnt = lst[0];
	memcpy(buf, lst + 1, cnt * sizeof *buf);
	if (b)
		ulk(&b->lock[i]);
	return cnt;
}

/* ---- search in one layer ---------------------------------------------------------------- */

/* The ef closest to q reachable from ep in layer l, into s->top (a max-heap
 * on distance). Only nodes the filter keeps enter top; all are walked. */
static cr_err search_layer(const cr_vec_index *ix, build *b, cr_vec_scratch *s, const int8_t *q, float qs,
			   uint32_t ep, float epd, size_t ef, int l, cr_vec_filter keep, void *kctx,
			   const cr_cancel *cancel)
{
	uint32_t buf[2 * MAX_M + 1];
	cr_err e = cr_vec_scratch_begin(s, ix->n);
	if (e)
		return e;
	uint32_t tag = s->tag, *mark = s->mark;
	mark[ep] = tag;
	float lower = INFINITY;
	if (!keep || keep(kctx, ep)) {
		if ((e = cr_vheap_push(&s->top, epd, ep)))
			return e;
		lower = epd;
	}
	if ((e = cr_vheap_push(&s->cand, -epd, ep)))
		return e;
	size_t steps = 0;
	while (s->cand.n) {
		cr_vheap_item c = s->cand.a[0];
		if (-c.d > lower && (s->top.n >= ef || !keep))
			break;
		cr_vheap_pop(&s->cand);
		if (cancel && (++steps & 1023) == 0 && (e = cr_cancel_check(cancel)))
			return e;
		uint32_t cnt = read_links(ix, b, c.id, l, buf);
		if (cnt)
			prefetch_vec(ix, buf[0]);
		for (uint32_t j = 0; j < cnt; j++) {
			uint32_t nb = buf[j];
			if (j + 1 < cnt) {
				__builtin_prefetch(&mark[buf[j + 1]]);
				prefetch_vec(ix, buf[j + 1]);
			}
			if (mark[nb] == tag)
				continue;
			mark[nb] = tag;
			float d = dist_q(ix, q, qs, nb);
			if (s->top.n < ef || d < lower) {
				if ((e = cr_vheap_push(&s->cand, -d, nb)))
					return e;
				if (!keep || keep(kctx, nb)) {
					if ((e = cr_vheap_push(&s->top, d, nb)))
						return e;
					if (s->top.n > ef)
						cr_vheap_pop(&s->top);
					lower = s->top.a[0].d;
				}
			}
		}
	}
	return CR_OK;
}

/* Greedy descent through the layers above `down_to`. */
static uint32_t descend(const cr_vec_index *ix, build *b, const int8_t *q, float qs, uint32_t cur, float *curd,
			int from, int down_to)
{
	uint32_t buf[2 * MAX_M + 1];
	for (int l = from; l > down_to; l--) {
		int changed = 1;
		while (changed) {
			changed = 0;
			uint32_t cnt = read_links(ix, b, cur, l, buf);
			for (uint32_t j = 0; j < cnt; j++) {
				float d = dist_q(ix, q, qs, buf[j]);
				if (d < *curd) {
					*curd = d;
					cur = buf[j];
					changed = 1;
				}
			}
		}
	}
	return cur;
}

static int cmp_item(const void *a, const void *b)
{
	const cr_vheap_item *x = a, *y = b;
	return x->d < y->d ? -1 : x->d > y->d ? 1 : (x->id > y->id) - (x->id < y->id);
}

/* hnswlib's getNeighborsByHeuristic2: items sorted closest first; keeps a
 * candidate only if it is closer to the base than to every one kept. */
static size_t select_heuristic(const cr_vec_index *ix, cr_vheap_item *items, size_t n, size_t max)
{
	qsort(items, n, sizeof *items, cmp_item);
	if (n <= max)
		return n;
	size_t kept = 0;
	for (size_t i = 0; i < n && kept < max; i++) {
		int good = 1;
		for (size_t r = 0; r < kept; r++)
			if (dist_nn(ix, items[i].id, items[r].id) < items[i].d) {
				good = 0;
				break;
			}
		if (good)
			items[kept++] = items[i];
	}
	return kept;
}

static cr_err insert(build *b, cr_vec_scratch *s, uint32_t q)
{
	cr_vec_index *ix = b->ix;
	int L = ix->level[q];
	const int8_t *qv = ix->vec + (size_t)q * (size_t)ix->dim;
	float qs = ix->scale[q];
	cr_err e = CR_OK;
	pthread_mutex_lock(&b->mu);
	uint32_t cur = ix->entry;
	int maxL = ix->max_level;
	int hold = L > maxL;
	if (!hold)
		pthread_mutex_unlock(&b->mu);
	if (cur == CR_VEC_NONE) {
		ix->entry = q;
		ix->max_level = L;
		pthread_mutex_unlock(&b->mu);
		return CR_OK;
	}
	float curd = dist_q(ix, qv, qs, cur);
	cur = descend(ix, b, qv, qs, cur, &curd, maxL, L);
	uint32_t chosen[2 * MAX_M];
	for (int l = CR_MIN(L, maxL); l >= 0; l--) {
		if ((e = search_layer(ix, b, s, qv, qs, cur, curd, (size_t)ix->efc, l, NULL, NULL, NULL)))
			goto out;
		if ((e = sel_reserve(s, s->top.n > (size_t)ix->m0 + 1 ? s->top.n : (size_t)ix->m0 + 1)))
			goto out;
		size_t nt = s->top.n;
		memcpy(s->sel, s->top.a, nt * sizeof *s->sel);
		size_t nk = select_heuristic(ix, s->sel, nt, (size_t)ix->m);
		cur = s->sel[0].id;
		curd = s->sel[0].d;
		for (size_t j = 0; j < nk; j++)
			chosen[j] = s->sel[j].id;
		uint32_t *mine = cr_vec_links(ix, q, l);
		lk(&b->lock[q]);
		memcpy(mine + 1, chosen, nk * sizeof *chosen);
		mine[0] = (uint32_t)nk;
		ulk(&b->lock[q]);
		uint32_t max_links = (uint32_t)(l ? ix->m : ix->m0);
		for (size_t j = 0; j < nk; j++) {
			uint32_t o = chosen[j];
			uint32_t *lst = cr_vec_links(ix, o, l);
			lk(&b->lock[o]);
			uint32_t cnt = lst[0];
			if (cnt < max_links) {
				lst[1 + cnt] = q;
				lst[0] = cnt + 1;
			} else {
				cr_vheap_item *it = s->sel;
				it[0].id = q;
				it[0].d = dist_nn(ix, o, q);
				for (uint32_t t = 0; t < cnt; t++) {
					it[1 + t].id = lst[1 + t];
					it[1 + t].d = dist_nn(ix, o, lst[1 + t]);
				}
				size_t nn = select_heuristic(ix, it, (size_t)cnt + 1, max_links);
				for (size_t t = 0; t < nn; t++)
					lst[1 + t] = it[t].id;
				lst[0] = (uint32_t)nn;
			}
			ulk(&b->lock[o]);
		}
	}
	if (hold) {
		ix->entry = q;
		ix->max_level = L;
	}
out:
	if (hold)
		pthread_mutex_unlock(&b->mu);
	return e;
}

static void build_task(void *ctx, int i_task, int n_tasks)
{
	build *b = ctx;
	cr_vec_scratch *s = cr_vec_scratch_new();
	if (!s) {
		atomic_store(&b->err, CR_ENOMEM);
		return;
	}
	size_t done = 0;
	for (;;) {
		if (atomic_load_explicit(&b->err, memory_order_relaxed))
			break;
		size_t i = atomic_fetch_add(&b->next, 1);
		if (i >= b->ix->n)
			break;
		cr_err e = insert(b, s, (uint32_t)i);
		if (!e && b->cancel && (++done & 1023) == 0)
			e = cr_cancel_check(b->cancel);
		if (e) {
			int z = 0;
			atomic_compare_exchange_strong(&b->err, &z, (int)e);
			break;
		}
	}
	cr_vec_scratch_free(s);
}

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

cr_err cr_vec_index_build(cr_vec_index *ix, cr_pool *pool, const cr_cancel *cancel, cr_msg *m)
{
	if (ix->mapped || ix->built)
		return cr_fail(m, CR_EINVAL, "vector: index already built");
	cr_vec_dot_init();
	size_t n = ix->n;
	build b = {.ix = ix, .cancel = cancel};
	cr_err e = CR_OK;
	ix->level = cr_calloc(n ? n : 1, 1);
	ix->upper_at = cr_calloc(n ? n : 1, sizeof *ix->upper_at);
	ix->links0 = cr_calloc(n ? n * (size_t)(ix->m0 + 1) : 1, sizeof *ix->links0);
	b.lock = cr_calloc(n ? n : 1, sizeof *b.lock);
	if (!ix->level || !ix->upper_at || !ix->links0 || !b.lock) {
		e = cr_fail(m, CR_ENOMEM, "vector: out of memory for the graph of %zu vectors", n);
		goto fail;
	}
	double mult = 1.0 / log((double)ix->m);
	uint64_t rng = ix->seed;
	size_t up = 0;
	for (size_t i = 0; i < n; i++) {
		double u = ((double)(splitmix(&rng) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
		int L = (int)(-log(u) * mult);
		if (L > CR_VEC_MAX_LEVEL - 1)
			L = CR_VEC_MAX_LEVEL - 1;
		ix->level[i] = (uint8_t)L;
		ix->upper_at[i] = (uint32_t)up;
		up += (size_t)L;
	}
	if (up > CR_VEC_NONE) {
		e = cr_fail(m, CR_ETOOBIG, "vector: too many upper links");
		goto fail;
	}
	ix->n_upper = up;
	ix->upper = cr_calloc(up ? up * (size_t)(ix->m + 1) : 1, sizeof *ix->upper);
	if (!ix->upper) {
		e = cr_fail(m, CR_ENOMEM, "vector: out of memory for the graph");
		goto fail;
	}
	pthread_mutex_init(&b.mu, NULL);
	if (n) {
		/* the first node alone, so every other insertion has an entry */
		cr_vec_scratch *s = cr_vec_scratch_new();
		if (!s) {
			e = CR_ENOMEM;
			pthread_mutex_destroy(&b.mu);
			goto fail;
		}
		e = insert(&b, s, 0);
		cr_vec_scratch_free(s);
		atomic_store(&b.next, 1);
		if (!e) {
			int nt = pool ? cr_pool_threads(pool) : 1;
			if (pool)
				cr_pool_run(pool, nt, build_task, &b);
			else
				build_task(&b, 0, 1);
			e = (cr_err)atomic_load(&b.err);
		}
	}
	pthread_mutex_destroy(&b.mu);
	if (e) {
		if (e != CR_ECANCELED && e != CR_ETIMEOUT)
			cr_fail(m, e, "vector: build failed: %s", cr_strerror(e));
		goto fail;
	}
	cr_free(b.lock);
	ix->has_graph = 1;
	ix->built = 1;
	return CR_OK;
fail:
	cr_free(b.lock);
	cr_free(ix->level);
	cr_free(ix->upper_at);
	cr_free(ix->links0);
	cr_free(ix->upper);
	ix->level = NULL;
	ix->upper_at = NULL;
	ix->links0 = ix->upper = NULL;
	ix->entry = CR_VEC_NONE;
	ix->max_level = -1;
	return e;
}

/* ---- search --------------------------------------------------------------------------------- */

static cr_err scan(const cr_vec_index *ix, cr_vec_scratch *s, const int8_t *q, float qs, const cr_vec_query *qq)
{
	s->top.n = 0;
	size_t k = (size_t)qq->k;
	cr_err e;
	for (size_t i = 0; i < ix->n; i++) {
		if (qq->cancel && (i & 65535) == 65535 && (e = cr_cancel_check(qq->cancel)))
			return e;
		if (qq->filter && !qq->filter(qq->filter_ctx, i))
			continue;
		float d = dist_q(ix, q, qs, (uint32_t)i);
		if (s->top.n < k || d < s->top.a[0].d) {
			if ((e = cr_vheap_push(&s->top, d, (uint32_t)i)))
				return e;
			if (s->top.n > k)
				cr_vheap_pop(&s->top);
		}
	}
	return CR_OK;
}

cr_err cr_vec_index_search(const cr_vec_index *ix, cr_vec_scratch *s, const float *x, const cr_vec_query *qq,
			   cr_vec_hit *hits, int *n_hits, cr_msg *m)
{
	*n_hits = 0;
	if (qq->k <= 0)
		return CR_OK;
	cr_vec_dot_init();
	cr_vec_scratch *own = NULL;
	if (!s && !(s = own = cr_vec_scratch_new()))
		return CR_ENOMEM;
	cr_err e = CR_OK;
	if (s->q_cap < (size_t)ix->dim) {
		int8_t *nq = cr_realloc(s->q, (size_t)ix->dim);
		if (!nq) {
			e = CR_ENOMEM;
			goto out;
		}
		s->q = nq;
		s->q_cap = (size_t)ix->dim;
	}
	float qs;
	cr_vec_quantize(x, ix->dim, s->q, &qs);
	if (!ix->n)
		goto out;
	if (qq->exact || !ix->has_graph) {
		e = scan(ix, s, s->q, qs, qq);
	} else {
		size_t ef = qq->ef > 0 ? (size_t)qq->ef : 64;
		if (ef < (size_t)qq->k)
			ef = (size_t)qq->k;
		uint32_t cur = ix->entry;
		float curd = dist_q(ix, s->q, qs, cur);
		cur = descend(ix, NULL, s->q, qs, cur, &curd, ix->max_level, 0);
		e = search_layer(ix, NULL, s, s->q, qs, cur, curd, ef, 0, qq->filter, qq->filter_ctx, qq->cancel);
	}
	if (e)
		goto out;
	while (s->top.n > (size_t)qq->k)
		cr_vheap_pop(&s->top);
	int n = (int)s->top.n;
	for (int i = n - 1; i >= 0; i--) {
		hits[i].id = ix->ids[s->top.a[0].id];
		hits[i].score = -s->top.a[0].d;
		cr_vheap_pop(&s->top);
	}
	*n_hits = n;
out:
	cr_vec_scratch_free(own);
	if (e == CR_ENOMEM)
		cr_fail(m, e, "vector: out of memory while searching");
	return e;
}
