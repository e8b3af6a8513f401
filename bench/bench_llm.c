/*
 * bench_llm.c — Cristal's inference speed on one GGUF file, measured the way
 * llama-bench measures llama.cpp (scripts/bench-llm.sh runs both and prints
 * the ratios).
 *
 *   bench_llm --model FILE [--threads N] [--pp 512] [--tg 128] [--reps 5]
 *             [--mode model|kern] [--bw-mb 1024]
 *
 * mode model: cr_model_load + cr_ctx_decode. pp: `pp` random tokens decoded
 *   as one batch into an empty cache; tg: `tg` tokens one at a time from an
 *   empty cache. One warm-up run each, then `reps` timed runs; median, min,
 *   max in tokens/s; *_cpu_tps the same over process CPU time (work done,
 *   not time waited: the fair figure for one thread on a shared machine).
 * mode kern: the kernels alone, as a stand-in for the model: one cr_matmul
 *   per 2-D weight of the file (the tied token embedding counts as the
 *   output projection; an untied one is only gathered from, so skipped),
 *   with m = pp (prompt) or m = 1 repeated tg times (generation).
 *
 * Also measured in the same run: streaming-read bandwidth with the same
 * thread count over a huge-page buffer of --bw-mb MB (vector loads from four
 * streams per thread with prefetch, as the kernels read; the best of five
 * passes), the weight bytes one generated token must read, and from
 * them the generation speed the bandwidth allows; peak RSS against the file
 * size (measured before the bandwidth buffer exists). Output lines are "key value ..." pairs for the script.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "cristal/base.h"
#include "cristal/llm.h"
#include "llm/cpu/cpu.h"

/* process CPU seconds: on a shared machine, work done rather than time
 * waited (meaningful as a speed for single-threaded runs) */
static double cpu_now(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void report(const char *key, double *t, int reps)
{
	qsort(t, (size_t)reps, sizeof *t, cmp_d);
	printf("%s %.2f min %.2f max %.2f\n", key, t[reps / 2], t[0], t[reps - 1]);
}

/* ---- bandwidth ------------------------------------------------------------ */

typedef struct bw_job {
	const uint64_t *p;
	size_t n;
	uint64_t sums[64];
} bw_job;

/* The best streaming read we know how to do, as the generation kernels do
 * it: 64-byte vector loads (AVX-512 where the CPU has it) from four
 * far-apart streams per thread, with software prefetch 2 KiB ahead. */
#if defined(__x86_64__) && defined(__GNUC__)
typedef long long v8q __attribute__((vector_size(64), aligned(64)));
__attribute__((target("avx512f"))) static uint64_t bw_sum512(const uint64_t *const s[4], size_t q)
{
	v8q a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
	for (size_t k = 0; k + 8 <= q; k += 8) {
		__builtin_prefetch(s[0] + k + 256);
		__builtin_prefetch(s[1] + k + 256);
		__builtin_prefetch(s[2] + k + 256);
		__builtin_prefetch(s[3] + k + 256);
		a0 += *(const v8q *)(s[0] + k);
		a1 += *(const v8q *)(s[1] + k);
		a2 += *(const v8q *)(s[2] + k);
		a3 += *(const v8q *)(s[3] + k);
	}
	v8q t = a0 + a1 + a2 + a3;
	uint64_t r = 0;
	for (int i = 0; i < 8; i++)
		r += (uint64_t)t[i];
	return r;
}
#endif

static uint64_t bw_sum(const uint64_t *const s[4], size_t q)
{
#if defined(__x86_64__) && defined(__GNUC__)
	if (__builtin_cpu_supports("avx512f"))
		return bw_sum512(s, q);
#endif
	uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	for (size_t k = 0; k < q; k++) {
		s0 += s[0][k];
		s1 += s[1][k];
		s2 += s[2][k];
		s3 += s[3][k];
	}
	return s0 + s1 + s2 + s3;
}

static void bw_task(void *ctx, int i, int n)
{
	bw_job *j = ctx;
	size_t a = j->n * (size_t)i / (size_t)n, b = j->n * (size_t)(i + 1) / (size_t)n;
	size_t q = (b - a) / 4 & ~(size_t)7; /* streams start 64-byte aligned (the buffer is) */
	const uint64_t *p0 = j->p + (a & ~(size_t)7);
	const uint64_t *const s[4] = {p0, p0 + q, p0 + 2 * q, p0 + 3 * q};
	j->sums[i % 64] = bw_sum(s, q);
}

static double bandwidth(cr_pool *pool, size_t mb)
{
	size_t n = mb * 1024 * 1024 / 8;
	/* anonymous memory with transparent huge pages, like the engine's
	 * weights (see cr_gguf_load_data) */
	uint64_t *p = mmap(NULL, n * 8, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 0;
	madvise(p, n * 8, MADV_HUGEPAGE);
	for (size_t i = 0; i < n; i++)
		p[i] = i;
	bw_job j = {.p = p, .n = n};
	double best = 0;
	int nt = cr_pool_threads(pool);
	for (int r = 0; r < 5; r++) {
		double t0 = cr_now();
		cr_pool_run(pool, nt, bw_task, &j);
		double gbs = (double)n * 8 / (cr_now() - t0) / 1e9;
		if (gbs > best)
			best = gbs;
	}
	munmap(p, n * 8);
	return best;
}

static double g_kv_mb; /* the model run's KV cache */

static double peak_rss_mb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_maxrss / 1024.0;
}

/* ---- kernels-only stand-in ------------------------------------------------ */

typedef struct wmat {
	const cr_gguf_tensor *t;
} wmat;

static int is_matmul_weight(const cr_gguf *g, const cr_gguf_tensor *t)
{
	if (t->n_dims != 2)
		return 0;
	if (t->name.n == 17 && !memcmp(t->name.p, "token_embd.weight", 17))
		return cr_gguf_tensor_find(g, "output.weight") == NULL; /* tied: the output projection */
	static const char *const skip[] = {"token_types.weight", "position_embd.weight"};
	for (size_t i = 0; i < CR_ARRAY_LEN(skip); i++)
		if (t->name.n == strlen(skip[i]) && !memcmp(t->name.p, skip[i], t->name.n))
			return 0;
	return 1;
}

static int run_kern(const char *path, cr_pool *pool, int pp, int tg, int reps)
{
	cr_gguf *g;
	cr_msg m = {{0}};
	if (cr_gguf_open(path, &g, &m) != CR_OK) {
		fprintf(stderr, "bench_llm: %s\n", m.text);
		return 1;
	}
	size_t n = cr_gguf_n_tensors(g), nw = 0;
	const cr_gguf_tensor **w = calloc(n, sizeof *w);
	int64_t max_dim = 0;
	for (size_t i = 0; i < n; i++) {
		const cr_gguf_tensor *t = cr_gguf_tensor_at(g, i);
		if (is_matmul_weight(g, t)) {
			w[nw++] = t;
			max_dim = CR_MAX(max_dim, CR_MAX(t->ne[0], t->ne[1]));
		}
	}
	int64_t mx = CR_MAX(pp, 1);
	float *x = malloc(sizeof(float) * (size_t)(mx * max_dim)), *y = malloc(sizeof(float) * (size_t)(mx * max_dim));
	for (int64_t i = 0; i < mx * max_dim; i++)
		x[i] = (float)((i * 7919) % 1000) / 1000.0f - 0.5f;
	double *t = malloc(sizeof(double) * (size_t)(reps + 1)), *tc = malloc(sizeof(double) * (size_t)(reps + 1));
	if (pp > 0) {
		for (int r = 0; r <= reps; r++) {
			double t0 = cr_now(), c0 = cpu_now();
			for (size_t k = 0; k < nw; k++)
				cr_matmul(pool, w[k]->type, w[k]->data, w[k]->ne[1], w[k]->ne[0], x, pp, y);
			if (r) {
				t[r - 1] = pp / (cr_now() - t0);
				tc[r - 1] = pp / (cpu_now() - c0);
			}
		}
		{
			report("pp_tps", t, reps);
			report("pp_cpu_tps", tc, reps);
		}
	}
	if (tg > 0) {
		for (int r = 0; r <= reps; r++) {
			double t0 = cr_now(), c0 = cpu_now();
			for (int s = 0; s < tg; s++)
				for (size_t k = 0; k < nw; k++)
					cr_matmul(pool, w[k]->type, w[k]->data, w[k]->ne[1], w[k]->ne[0], x, 1, y);
			if (r) {
				t[r - 1] = tg / (cr_now() - t0);
				tc[r - 1] = tg / (cpu_now() - c0);
			}
		}
		{
			report("tg_tps", t, reps);
			report("tg_cpu_tps", tc, reps);
		}
	}
	free(t);
	free(tc);
	free(x);
	free(y);
	free(w);
	cr_gguf_free(g);
	return 0;
}

/* ---- the model ---------------------------------------------------------- */

static int run_model(const char *path, cr_pool *pool, int pp, int tg, int reps)
{
	cr_msg m = {{0}};
	cr_model *md;
	cr_ctx *c;
	if (cr_model_load(path, &md, &m) != CR_OK) {
		fprintf(stderr, "bench_llm: %s\n", m.text);
		return 1;
	}
	if (cr_ctx_new(md, pp + tg + 16, pool, &c, &m) != CR_OK) {
		fprintf(stderr, "bench_llm: %s\n", m.text);
		cr_model_free(md);
		return 1;
	}
	g_kv_mb = (double)cr_ctx_kv_bytes(c) / (1024.0 * 1024.0);
	int n_vocab = cr_model_get_info(md)->n_vocab;
	cr_token_id *toks = malloc(sizeof(cr_token_id) * (size_t)(pp + tg + 16));
	srand(1);
	for (int i = 0; i < pp + tg + 16; i++)
		toks[i] = 10 + rand() % (n_vocab - 20);
	double *t = malloc(sizeof(double) * (size_t)(reps + 1)), *tc = malloc(sizeof(double) * (size_t)(reps + 1));
	const float *logits;
	int rc = 0;
	if (pp > 0) {
		for (int r = 0; r <= reps && !rc; r++) {
			cr_ctx_truncate(c, 0);
			double t0 = cr_now(), c0 = cpu_now();
			if (cr_ctx_decode(c, toks, pp, 0, &logits, &m) != CR_OK)
				rc = 1;
			if (r) {
				t[r - 1] = pp / (cr_now() - t0);
				tc[r - 1] = pp / (cpu_now() - c0);
			}
		}
		if (!rc)
			{
			report("pp_tps", t, reps);
			report("pp_cpu_tps", tc, reps);
		}
	}
	if (tg > 0) {
		for (int r = 0; r <= reps && !rc; r++) {
			cr_ctx_truncate(c, 0);
			double t0 = cr_now(), c0 = cpu_now();
			for (int i = 0; i < tg && !rc; i++)
				if (cr_ctx_decode(c, toks + i, 1, 0, &logits, &m) != CR_OK)
					rc = 1;
			if (r) {
				t[r - 1] = tg / (cr_now() - t0);
				tc[r - 1] = tg / (cpu_now() - c0);
			}
		}
		if (!rc)
			{
			report("tg_tps", t, reps);
			report("tg_cpu_tps", tc, reps);
		}
	}
	if (rc)
		fprintf(stderr, "bench_llm: decode: %s\n", m.text);
	free(t);
	free(tc);
	free(toks);
	cr_ctx_free(c);
	cr_model_free(md);
	return rc;
}

int main(int argc, char **argv)
{
	const char *model = NULL, *mode = "model";
	int threads = 1, pp = 512, tg = 128, reps = 5;
	size_t bw_mb = 1024;
	/* a program may read the environment: the kernel level as the CLI takes it */
	const char *amx = getenv("CR_AMX");
	if (cr_cpu_configure(getenv("CR_CPU"), !(amx && !strcmp(amx, "0"))))
		fprintf(stderr, "bench_llm: CR_CPU: unknown level (ref, avx2, avx512)\n");
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--model")) model = argv[i + 1];
		else if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--pp")) pp = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--tg")) tg = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--reps")) reps = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--mode")) mode = argv[i + 1];
		else if (!strcmp(argv[i], "--bw-mb")) bw_mb = (size_t)atol(argv[i + 1]);
	}
	if (!model || reps < 1) {
		fprintf(stderr, "usage: bench_llm --model FILE [--threads N] [--pp N] [--tg N] [--reps N] "
				"[--mode model|kern] [--bw-mb MB]\n");
		return 2;
	}
	cr_pool *pool = NULL;
	if (threads > 1 && cr_pool_new(threads, &pool) != CR_OK)
		return 1;
	printf("cpu_level %s\n", cr_cpu_level());

	/* bytes of weights one generated token reads */
	cr_gguf *g;
	cr_msg m = {{0}};
	if (cr_gguf_open(model, &g, &m) != CR_OK) {
		fprintf(stderr, "bench_llm: %s\n", m.text);
		return 1;
	}
	double wbytes = 0;
	for (size_t i = 0; i < cr_gguf_n_tensors(g); i++) {
		const cr_gguf_tensor *t = cr_gguf_tensor_at(g, i);
		if (is_matmul_weight(g, t))
			wbytes += (double)t->bytes;
	}
	cr_gguf_free(g);
	struct stat st;
	double file_mb = stat(model, &st) == 0 ? (double)st.st_size / 1048576.0 : 0;
	double rss0 = peak_rss_mb();
	int rc = !strcmp(mode, "kern") ? run_kern(model, pool, pp, tg, reps) : run_model(model, pool, pp, tg, reps);
	/* the memory budget: the file, the KV cache, and 10% */
	printf("peak_rss_mb %.1f file_mb %.1f before_model_mb %.1f kv_mb %.1f limit_mb %.1f\n", peak_rss_mb(), file_mb,
	       rss0, g_kv_mb, 1.1 * (file_mb + g_kv_mb));
	/* after the model, so its buffer does not count in the peak RSS */
	double bw = bw_mb ? bandwidth(pool, bw_mb) : 0;
	printf("bandwidth_gbs %.2f\n", bw);
	printf("bytes_per_token %.0f\n", wbytes);
	if (bw > 0)
		printf("tg_bw_limit_tps %.2f\n", bw * 1e9 / wbytes);
	cr_pool_free(pool);
	return rc;
}
