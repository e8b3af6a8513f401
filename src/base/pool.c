/*
 * pool.c — the process's worker threads.
 *
 * Inference runs hundreds of short parallel sections per generated token
 * (one per matrix product), each a few microseconds to a millisecond, so a
 * section's start and end must cost well under a microsecond when workers
 * are awake, and nothing when they are not.
 *
 * One 64-bit atomic word, `ticket`, holds the run's generation (24 bits),
 * its task count (20 bits) and the next unclaimed task index (20 bits).
 * cr_pool_run publishes fn/ctx, then stores a ticket with a new generation,
 * the count and index 0. Threads claim a task by compare-and-swap of
 * ticket → ticket + 1, which succeeds only while the whole word is what they
 * read, so a worker that wakes late can never claim a task of a run it did
 * not see published, nor run a task twice (the count lives in the same word
 * because a separate one could change between a worker's check and its
 * claim). Each finished task bumps `done`; the caller (which claims tasks
 * too) returns when done == n_tasks. The next run cannot start before that,
 * so fn/ctx stay valid for every successful claim. Runs of more than 2^20-1
 * tasks go out in batches.
 *
 * Waiting: workers spin on the generation (with pause) for about a
 * millisecond, then sleep on a condition variable. The caller only takes
 * the mutex to broadcast when some worker is asleep (`n_sleeping`); the
 * sequentially consistent store of the ticket and load of n_sleeping, paired
 * with the worker's increment and re-check under the mutex, rule out a lost
 * wake-up (Dekker's argument).
 *
 * Safe calls: the scheme above needs one run at a time. A task that calls
 * cr_pool_run on the pool it runs on (on a worker, or on the caller while it
 * takes part) runs the inner tasks inline: the thread-local `tl_pool` names
 * the pool whose tasks the thread is executing. Two threads calling
 * cr_pool_run on one pool take turns on `run_mu`: the second waits until the
 * first run is over. The lock is uncontended in the common case (one
 * inference slot drives its own pool), a few nanoseconds per run.
 */
#include "cristal/base.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#else
#define cpu_relax() ((void)0)
#endif

#define SPIN_NS 1000000 /* spin this long before sleeping */
#define MAX_BATCH ((1 << 20) - 1)
#define T_GEN(t) ((uint32_t)((t) >> 40))
#define T_N(t) ((uint32_t)((t) >> 20) & MAX_BATCH)
#define T_I(t) ((uint32_t)(t) & MAX_BATCH)

struct cr_pool {
	int n_threads; /* including the caller */
	pthread_t *threads;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_mutex_t run_mu; /* one cr_pool_run at a time */
	_Alignas(64) _Atomic uint64_t ticket; /* gen << 40 | n << 20 | next */
	_Alignas(64) _Atomic int done;
	int base, total; /* this batch's first task and the run's task count */
	_Atomic int n_sleeping;
	_Atomic int stop;
	cr_pool_fn fn;
	void *ctx;
};

/* The pool whose task this thread is running (NULL: none). */
static _Thread_local cr_pool *tl_pool;

int cr_ncpu(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Claims and runs tasks of generation gen until none are left. */
static void work(cr_pool *p, uint32_t gen)
{
	uint64_t t = atomic_load_explicit(&p->ticket, memory_order_acquire);
	for (;;) {
		if (T_GEN(t) != gen || T_I(t) >= T_N(t))
			return;
		if (!atomic_compare_exchange_weak_explicit(&p->ticket, &t, t + 1, memory_order_acq_rel,
							   memory_order_acquire))
			continue; /* t reloaded */
		p->fn(p->ctx, p->base + (int)T_I(t), p->total);
		atomic_fetch_add_explicit(&p->done, 1, memory_order_release);
		t = atomic_load_explicit(&p->ticket, memory_order_acquire);
	}
}

static void *worker(void *arg)
{
	cr_pool *p = arg;
	tl_pool = p;
	uint32_t seen = T_GEN(atomic_load(&p->ticket));
	for (;;) {
		uint32_t gen = T_GEN(atomic_load_explicit(&p->ticket, memory_order_acquire));
		if (gen == seen && !atomic_load_explicit(&p->stop, memory_order_relaxed)) {
			uint64_t t0 = now_ns();
			int spins = 0;
			for (;;) {
				gen = T_GEN(atomic_load_explicit(&p->ticket, memory_order_acquire));
				if (gen != seen || atomic_load_explicit(&p->stop, memory_order_relaxed))
					break;
				cpu_relax();
				if (++spins % 256 == 0 && now_ns() - t0 > SPIN_NS) {
					pthread_mutex_lock(&p->mu);
					atomic_fetch_add(&p->n_sleeping, 1);
					while (T_GEN(atomic_load(&p->ticket)) == seen && !atomic_load(&p->stop))
						pthread_cond_wait(&p->cv, &p->mu);
					atomic_fetch_sub(&p->n_sleeping, 1);
					pthread_mutex_unlock(&p->mu);
					t0 = now_ns();
				}
			}
		}
		if (atomic_load(&p->stop))
			return NULL;
		seen = gen;
		work(p, gen);
	}
}

cr_err cr_pool_new(int n, cr_pool **out)
{
	if (n <= 0)
		n = cr_ncpu();
	cr_pool *p = cr_calloc(1, sizeof *p);
	if (!p)
		return CR_ENOMEM;
	p->n_threads = n;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	pthread_mutex_init(&p->run_mu, NULL);
	p->threads = cr_calloc((size_t)n, sizeof(pthread_t));
	if (!p->threads) {
		pthread_mutex_destroy(&p->mu);
		pthread_cond_destroy(&p->cv);
		pthread_mutex_destroy(&p->run_mu);
		cr_free(p);
		return CR_ENOMEM;
	}
	for (int i = 1; i < n; i++) {
		if (pthread_create(&p->threads[i], NULL, worker, p) != 0) {
			p->n_threads = i;
			cr_pool_free(p);
			return CR_EIO;
		}
	}
	*out = p;
	return CR_OK;
}

void cr_pool_free(cr_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	atomic_store(&p->stop, 1);
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (int i = 1; i < p->n_threads; i++)
		pthread_join(p->threads[i], NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->run_mu);
	cr_free(p->threads);
	cr_free(p);
}

int cr_pool_threads(const cr_pool *p) { return p ? p->n_threads : 1; }

void cr_pool_run(cr_pool *p, int n_tasks, cr_pool_fn fn, void *ctx)
{
	if (!p || p->n_threads == 1 || n_tasks <= 1 || tl_pool == p) {
		for (int i = 0; i < n_tasks; i++)
			fn(ctx, i, n_tasks);
		return;
	}
	pthread_mutex_lock(&p->run_mu);
	cr_pool *outer = tl_pool; /* a task of another pool may call this one */
	tl_pool = p;
	p->fn = fn;
	p->ctx = ctx;
	p->total = n_tasks;
	for (int base = 0; base < n_tasks; base += MAX_BATCH) {
		int n = CR_MIN(MAX_BATCH, n_tasks - base);
		p->base = base;
		atomic_store_explicit(&p->done, 0, memory_order_relaxed);
		uint32_t gen = (T_GEN(atomic_load(&p->ticket)) + 1) & 0xffffff;
		/* seq_cst: publishes the fields above */
		atomic_store(&p->ticket, (uint64_t)gen << 40 | (uint64_t)n << 20);
		if (atomic_load(&p->n_sleeping) > 0) {
			pthread_mutex_lock(&p->mu);
			pthread_cond_broadcast(&p->cv);
			pthread_mutex_unlock(&p->mu);
		}
		work(p, gen);
		int spins = 0;
		while (atomic_load_explicit(&p->done, memory_order_acquire) < n) {
			cpu_relax();
			if (++spins % 4096 == 0)
				sched_yield(); /* a worker holding a task may be descheduled */
		}
	}
	tl_pool = outer;
	pthread_mutex_unlock(&p->run_mu);
}
