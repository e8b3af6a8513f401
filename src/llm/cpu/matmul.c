/*
 * matmul.c — y = x · Wᵀ for every weight type, spread over the thread pool.
 *
 * One call: (1) the m activation rows are quantized once into the type the
 * weight's dot product takes (Q8_0 for Q4_0/Q8_0, Q8_K for k-quants, left as
 * f32 for float weights; a level may use its own layout of those, see
 * cr_mm_kern), each row 64-byte aligned, in parallel when m is large; (2) the weight rows
 * are cut into chunks and the pool's threads claim chunks; each chunk runs
 * the level's gemm tile over all m activation rows, so a chunk of weights is
 * read from memory once and reused from L1/L2 for every activation row.
 *
 * Chunk size: for generation (m small) the work is a stream over the
 * weights, cut into one contiguous lane per thread (see run_lanes); for
 * prompts (m large) 16-row chunks keep the weight tile in L1 while the
 * activations (m × cols bytes, a few MB at most) stay in L2.
 *
 * With many activation rows a level may offer a second path (cr_big_kern:
 * AMX tiles on the avx512 level): the activations are packed for it in
 * groups of 32 rows, each task takes the kernel's slice of weight rows, and
 * the columns go in passes (one pool run each) small enough that a pass's
 * packed activations stay in L2.
 *
 * The quantized activations live in a per-thread scratch buffer that only
 * grows (freed at thread exit), so steady-state calls never allocate.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/quant.h"

/* ---- per-thread scratch ------------------------------------------------- */

typedef struct scratch {
	void *p[2];
	size_t cap[2];
} scratch;

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void scratch_free(void *v)
{
	scratch *s = v;
	if (s) {
		free(s->p[0]);
		free(s->p[1]);
		free(s);
	}
}

static void scratch_init(void) { CR_ASSERT(pthread_key_create(&scratch_key, scratch_free) == 0); }

void *cr_cpu_scratch(int slot, size_t n)
{
	pthread_once(&scratch_once, scratch_init);
	scratch *s = pthread_getspecific(scratch_key);
	if (!s) {
		s = calloc(1, sizeof *s);
		CR_ASSERT(s);
		CR_ASSERT(pthread_setspecific(scratch_key, s) == 0);
	}
	if (s->cap[slot] < n) {
		free(s->p[slot]);
		size_t cap = n + n / 4 + 4096;
		s->p[slot] = NULL;
		CR_ASSERT(posix_memalign(&s->p[slot], 64, cap) == 0);
		s->cap[slot] = cap;
	}
	return s->p[slot];
}

/* ---- jobs ---------------------------------------------------------------- */

typedef struct quant_job {
	cr_quant_fn fn;
	const float *x;
	char *a;
	int64_t cols, m;
	size_t a_stride;
} quant_job;

static void quant_task(void *ctx, int i, int n)
{
	quant_job *q = ctx;
	int64_t r0 = q->m * i / n, r1 = q->m * (i + 1) / n;
	for (int64_t r = r0; r < r1; r++)
		q->fn(q->x + r * q->cols, q->a + (size_t)r * q->a_stride, q->cols);
}

typedef struct pack_job {
	const cr_big_kern *bk;
	const float *x;
	void *a;
	int64_t m, cols;
} pack_job;

static void pack_task(void *ctx, int i, int n)
{
	pack_job *p = ctx;
	int64_t ng = (p->m + 31) / 32;
	p->bk->pack(p->x, ng * i / n, ng * (i + 1) / n, p->m, p->cols, p->a);
}

typedef struct big_job {
	const cr_big_kern *bk;
	const char *W;
	size_t w_stride;
	int64_t rows, cols, k0, k1;
	const void *A;
	int64_t m;
	float *y;
} big_job;

static void big_task(void *ctx, int i, int n)
{
	(void)n;
	big_job *b = ctx;
	int64_t r0 = (int64_t)i * b->bk->rows, nr = CR_MIN(b->bk->rows, b->rows - r0);
	b->bk->gemm(b->cols, b->k0, b->k1, b->k0 > 0, b->W + (size_t)r0 * b->w_stride, b->w_stride, nr, b->A, b->m,
		    b->y + r0, b->rows);
}

typedef struct mm_job {
	cr_gemm_fn fn;
	const char *W;
	size_t w_stride;
	int64_t rows, cols;
	const char *A;
	size_t a_stride;
	int64_t m;
	float *y;
	int64_t chunk;
} mm_job;

static void mm_task(void *ctx, int i, int n)
{
	mm_job *j = ctx;
	int64_t r0 = (int64_t)i * j->chunk;
	int64_t nr = CR_MIN(j->chunk, j->rows - r0);
	if (nr <= 0)
		return;
	j->fn(j->cols, j->W + (size_t)r0 * j->w_stride, j->w_stride, nr, j->A, j->a_stride, j->m,
	      j->y + r0, j->rows);
}

/* ---- lanes: contiguous row ranges with stealing (generation) --------------
 *
 * With one activation row the product is a stream over the weights, and a
 * thread streams fastest through one contiguous range: interleaved chunks
 * (thread A rows 0-27, B 28-55, A 56-83, ...) break each thread's stream at
 * every chunk and cost about a fifth of the speed at two threads. So the
 * rows are cut into one lane per thread, each lane into LANE_CHUNKS chunks;
 * a thread takes its lane's chunks from the front, then steals other lanes'
 * chunks from the back, so a descheduled thread delays nobody by more than a
 * chunk. A lane is one atomic word (front << 32 | back), claimed by CAS. */

#define LANE_CHUNKS 8
#define MAX_LANES 64

typedef struct lane {
	_Alignas(64) _Atomic uint64_t fb;
} lane;

typedef struct lanes_job {
	mm_job *j;
	lane *lanes;
	int n;
} lanes_job;

static int64_t lane_claim(lane *l, int from_back)
{
	uint64_t v = atomic_load_explicit(&l->fb, memory_order_relaxed);
	for (;;) {
		uint32_t f = (uint32_t)(v >> 32), b = (uint32_t)v;
		if (f >= b)
			return -1;
		uint64_t nv = from_back ? ((uint64_t)f << 32 | (b - 1)) : ((uint64_t)(f + 1) << 32 | b);
		if (atomic_compare_exchange_weak_explicit(&l->fb, &v, nv, memory_order_relaxed, memory_order_relaxed))
			return from_back ? (int64_t)b - 1 : (int64_t)f;
	}
}

static void lanes_task(void *ctx, int i, int n)
{
	(void)n;
	lanes_job *lj = ctx;
	for (int k = 0; k < lj->n; k++) {
		int li = (i + k) % lj->n;
		int64_t c;
		while ((c = lane_claim(&lj->lanes[li], k > 0)) >= 0)
			mm_task(lj->j, (int)c, 0);
	}
}

static void run_lanes(cr_pool *pool, mm_job *j, int n_threads)
{
	int n = CR_MIN(n_threads, MAX_LANES);
	int64_t total = (int64_t)n * LANE_CHUNKS;
	j->chunk = (((j->rows + total - 1) / total) + 3) & ~(int64_t)3;
	lane lanes[MAX_LANES];
	for (int i = 0; i < n; i++)
		atomic_init(&lanes[i].fb, (uint64_t)(i * LANE_CHUNKS) << 32 | (uint64_t)((i + 1) * LANE_CHUNKS));
	lanes_job lj = {.j = j, .lanes = lanes, .n = n};
	cr_pool_run(pool, n, lanes_task, &lj);
}

void cr_matmul_with(const cr_kern *k, cr_pool *pool, cr_ttype wt, const void *W, int64_t rows,
		    int64_t cols, const float *x, int64_t m, float *y)
{
	const cr_mm_kern *mk = (unsigned)wt < CR_TT__COUNT ? &k->mm[wt] : NULL;
	CR_ASSERT(mk && mk->gemm && rows > 0 && m > 0 && cols % cr_cpu_block(wt) == 0);
	cr_gemm_fn fn = mk->gemm;
	int n_threads = cr_pool_threads(pool);

	const cr_big_kern *bk = k->big ? &k->big[wt] : NULL;
	if (bk && bk->gemm && m >= bk->min_m) {
		pack_job pj = {.bk = bk, .x = x, .m = m, .cols = cols};
		pj.a = cr_cpu_scratch(0, bk->pack_bytes(m, cols));
		int64_t ng = (m + 31) / 32;
		int np = (int)CR_MIN(ng, (int64_t)n_threads * 2);
		if (np > 1)
			cr_pool_run(pool, np, pack_task, &pj);
		else
			pack_task(&pj, 0, 1);
		big_job b = {.bk = bk, .W = W, .w_stride = cr_cpu_row_bytes(wt, cols), .rows = rows, .cols = cols,
			     .A = pj.a, .m = m, .y = y};
		int64_t n_tasks = (rows + bk->rows - 1) / bk->rows;
		for (b.k0 = 0; b.k0 < cols; b.k0 = b.k1) {
			b.k1 = CR_MIN(cols, b.k0 + bk->panel);
			if (n_threads == 1 || n_tasks == 1)
				for (int64_t i = 0; i < n_tasks; i++)
					big_task(&b, (int)i, (int)n_tasks);
			else
				cr_pool_run(pool, (int)n_tasks, big_task, &b);
		}
		return;
	}

	const char *A = (const char *)x;
	size_t a_stride = (size_t)cols * sizeof(float);
	if (mk->act_quant) {
		quant_job q = {
			.fn = mk->act_quant,
			.x = x,
			.cols = cols,
			.m = m,
			.a_stride = (mk->act_bytes(cols) + 63) & ~(size_t)63,
		};
		q.a = cr_cpu_scratch(0, q.a_stride * (size_t)m);
		int nq = m >= 8 ? (int)CR_MIN(m, (int64_t)n_threads * 4) : 1;
		if (nq > 1)
			cr_pool_run(pool, nq, quant_task, &q);
		else
			quant_task(&q, 0, 1);
		A = q.a;
		a_stride = q.a_stride;
	}

	mm_job j = {
		.fn = fn,
		.W = W,
		.w_stride = cr_cpu_row_bytes(wt, cols),
		.rows = rows,
		.cols = cols,
		.A = A,
		.a_stride = a_stride,
		.m = m,
		.y = y,
	};
	if (n_threads == 1 || rows <= 16) {
		fn(cols, W, j.w_stride, rows, A, a_stride, m, y, rows);
		return;
	}
	if (m < 8) {
		run_lanes(pool, &j, n_threads);
		return;
	}
	j.chunk = 16;
	cr_pool_run(pool, (int)((rows + 15) / 16), mm_task, &j);
}

void cr_matmul(cr_pool *pool, cr_ttype wt, const void *W, int64_t rows, int64_t cols, const float *x,
	       int64_t m, float *y)
{
	cr_matmul_with(cr_kern_get(), pool, wt, W, rows, cols, x, m, y);
}
