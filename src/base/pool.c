/*
 * pool.c — the process's worker threads.
 *
 * Workers wait on a generation counter: cr_pool_run publishes a job and bumps
 * the generation, workers spin on it for a short while (parallel sections in
 * inference come hundreds of times per token) and then sleep on a condition
 * variable. Tasks are claimed with an atomic counter, so uneven task costs
 * balance themselves. The caller takes part, and returns when the last task
 * is done.
 */
#include "cristal/base.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#else
#define cpu_relax() ((void)0)
#endif

#define SPIN_ITERS 20000

struct cr_pool {
	int n_threads; /* including the caller */
	pthread_t *threads;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	_Atomic unsigned gen;
	_Atomic int next_task;
	_Atomic int done_tasks;
	_Atomic int stop;
	int n_tasks;
	cr_pool_fn fn;
	void *ctx;
};

int cr_ncpu(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}

static void work(cr_pool *p)
{
	for (;;) {
		int i = atomic_fetch_add(&p->next_task, 1);
		if (i >= p->n_tasks)
			break;
		p->fn(p->ctx, i, p->n_tasks);
		atomic_fetch_add_explicit(&p->done_tasks, 1, memory_order_release);
	}
}

static void *worker(void *arg)
{
	cr_pool *p = arg;
	unsigned seen = atomic_load(&p->gen);
	for (;;) {
		int spins = 0;
		while (atomic_load_explicit(&p->gen, memory_order_acquire) == seen && !p->stop) {
			if (++spins < SPIN_ITERS) {
				cpu_relax();
				continue;
			}
			pthread_mutex_lock(&p->mu);
			while (atomic_load(&p->gen) == seen && !p->stop)
				pthread_cond_wait(&p->cv, &p->mu);
			pthread_mutex_unlock(&p->mu);
		}
		if (p->stop)
			return NULL;
		seen = atomic_load(&p->gen);
		work(p);
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
	p->threads = cr_calloc((size_t)n, sizeof(pthread_t));
	if (!p->threads) {
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
	p->stop = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (int i = 1; i < p->n_threads; i++)
		pthread_join(p->threads[i], NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	cr_free(p->threads);
	cr_free(p);
}

int cr_pool_threads(const cr_pool *p) { return p ? p->n_threads : 1; }

void cr_pool_run(cr_pool *p, int n_tasks, cr_pool_fn fn, void *ctx)
{
	if (!p || p->n_threads == 1 || n_tasks <= 1) {
		for (int i = 0; i < n_tasks; i++)
			fn(ctx, i, n_tasks);
		return;
	}
	p->fn = fn;
	p->ctx = ctx;
	p->n_tasks = n_tasks;
	atomic_store(&p->done_tasks, 0);
	atomic_store(&p->next_task, 0);
	pthread_mutex_lock(&p->mu);
	atomic_fetch_add_explicit(&p->gen, 1, memory_order_release);
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	work(p);
	while (atomic_load_explicit(&p->done_tasks, memory_order_acquire) < n_tasks)
		cpu_relax();
}
