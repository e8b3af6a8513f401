/*
 * llama_harness.c — measures llama.cpp (the prebuilt libllama of the
 * node-llama-cpp oracle) the way llama-bench does, as the peer figure for
 * bench_llm. Not built by CMake: scripts/bench-llm.sh compiles it against
 * llama.h from a temporary clone of the oracle's source bundle (the header
 * is only read at build time; function pointers come from dlsym, typed with
 * __typeof__ of the header's declarations) and runs it.
 *
 *   llama_harness --lib DIR --model FILE [--threads N] [--pp 512] [--tg 128]
 *                 [--reps 5] [--gap 8] [--parallel P]
 *
 * pp: decode a batch of `pp` random tokens into an empty cache (n_batch =
 * n_ubatch = pp). tg: decode `tg` tokens one at a time from an empty cache.
 * One warm-up run each, then `reps` timed runs; prints the median and the
 * spread in tokens/s, and the same over process CPU time (*_cpu_tps: work
 * done rather than time waited, the fair single-thread figure when the
 * machine is shared). --gap N: the top-1 minus top-2 logit over N random
 * prompts (median and minimum), to show how peaked a model's logits are.
 * --parallel P: batched decoding as llama.cpp's batched-bench does it (and
 * as `cristal bench-model --parallel` does for us): a context of P sequences
 * (n_seq_max = P), each sequence's `pp` random tokens decoded as one batch,
 * then `tg` batches of P tokens, one per sequence at its next position, with
 * logits for each. Prints pp_aggregate_tps and tg_aggregate_tps (tokens over
 * all sequences per second: median, min, max of `reps` runs after a warm-up,
 * each run from an empty cache), and tg_aggregate_cpu_tps the same over
 * process CPU time × threads (work done rather than time waited).
 * Output lines are "key value" pairs for the script to parse.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

#include "llama.h"

#define FN(name) static __typeof__(&name) p_##name
FN(llama_backend_init);
FN(llama_model_default_params);
FN(llama_context_default_params);
FN(llama_model_load_from_file);
FN(llama_init_from_model);
FN(llama_model_get_vocab);
FN(llama_vocab_n_tokens);
FN(llama_batch_get_one);
FN(llama_batch_init);
FN(llama_batch_free);
FN(llama_decode);
FN(llama_get_logits_ith);
FN(llama_get_memory);
FN(llama_memory_clear);
FN(llama_free);
FN(llama_model_free);
FN(llama_log_set);
FN(llama_model_size);
static void (*p_load_all_from_path)(const char *);

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* process CPU seconds: on a shared machine, work done rather than time
 * waited (meaningful as a speed for single-threaded runs) */
static double cpu_now(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
}

static void quiet(enum ggml_log_level level, const char *text, void *ud)
{
	(void)ud;
	if (level >= GGML_LOG_LEVEL_ERROR)
		fputs(text, stderr);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void *sym(void *h, const char *n)
{
	void *p = dlsym(h, n);
	if (!p) {
		fprintf(stderr, "llama_harness: %s missing\n", n);
		exit(1);
	}
	return p;
}

/* --parallel: P sequences decoded together (see the header). */
static int run_parallel(struct llama_model *m, struct llama_context_params cp, int threads, int par, int pp,
			int tg, int reps)
{
	if (pp < 1)
		pp = 1;
	cp.n_ctx = (uint32_t)(par * (pp + tg + 16));
	cp.n_batch = (uint32_t)(pp > par ? pp : par);
	cp.n_ubatch = cp.n_batch;
	cp.n_seq_max = (uint32_t)par;
	cp.n_threads = threads;
	cp.n_threads_batch = threads;
	struct llama_context *c = p_llama_init_from_model(m, cp);
	if (!c) {
		fprintf(stderr, "llama_harness: cannot create a context of %d sequences\n", par);
		return 1;
	}
	int n_vocab = p_llama_vocab_n_tokens(p_llama_model_get_vocab(m));
	struct llama_batch b = p_llama_batch_init((int32_t)cp.n_batch, 0, 1);
	double *t = malloc(sizeof(double) * (size_t)(reps + 1)), *tp = malloc(sizeof(double) * (size_t)(reps + 1));
	double *tc = malloc(sizeof(double) * (size_t)(reps + 1));
	srand(1);
	for (int r = 0; r <= reps; r++) {
		p_llama_memory_clear(p_llama_get_memory(c), 1);
		double t0 = now();
		for (int s = 0; s < par; s++) {
			b.n_tokens = pp;
			for (int i = 0; i < pp; i++) {
				b.token[i] = 10 + rand() % (n_vocab - 20);
				b.pos[i] = i;
				b.n_seq_id[i] = 1;
				b.seq_id[i][0] = s;
				b.logits[i] = i == pp - 1;
			}
			if (p_llama_decode(c, b)) {
				fprintf(stderr, "llama_harness: prompt decode failed\n");
				return 1;
			}
		}
		(void)p_llama_get_logits_ith(c, -1);
		double t1 = now(), c1 = cpu_now();
		for (int k = 0; k < tg; k++) {
			b.n_tokens = par;
			for (int s = 0; s < par; s++) {
				b.token[s] = 10 + rand() % (n_vocab - 20);
				b.pos[s] = pp + k;
				b.n_seq_id[s] = 1;
				b.seq_id[s][0] = s;
				b.logits[s] = 1;
			}
			if (p_llama_decode(c, b)) {
				fprintf(stderr, "llama_harness: step decode failed\n");
				return 1;
			}
			(void)p_llama_get_logits_ith(c, -1); /* waits for the result */
		}
		double t2 = now(), c2 = cpu_now();
		if (r) {
			tp[r - 1] = (double)par * pp / (t1 - t0);
			t[r - 1] = (double)par * tg / (t2 - t1);
			tc[r - 1] = (double)par * tg / (c2 - c1) * threads;
		}
	}
	qsort(tp, (size_t)reps, sizeof *tp, cmp);
	printf("pp_aggregate_tps %.2f min %.2f max %.2f\n", tp[reps / 2], tp[0], tp[reps - 1]);
	qsort(t, (size_t)reps, sizeof *t, cmp);
	printf("tg_aggregate_tps %.2f min %.2f max %.2f\n", t[reps / 2], t[0], t[reps - 1]);
	qsort(tc, (size_t)reps, sizeof *tc, cmp);
	printf("tg_aggregate_cpu_tps %.2f min %.2f max %.2f\n", tc[reps / 2], tc[0], tc[reps - 1]);
	free(tc);
	free(t);
	free(tp);
	p_llama_batch_free(b);
	p_llama_free(c);
	p_llama_model_free(m);
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir = NULL, *model = NULL;
	int threads = 1, pp = 512, tg = 128, reps = 5, gap = 0, par = 0;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--lib")) dir = argv[i + 1];
		else if (!strcmp(argv[i], "--model")) model = argv[i + 1];
		else if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--pp")) pp = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--tg")) tg = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--reps")) reps = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--gap")) gap = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--parallel")) par = atoi(argv[i + 1]);
	}
	if (!dir || !model) {
		fprintf(stderr, "usage: llama_harness --lib DIR --model FILE [--threads N] [--pp N] [--tg N] [--reps N] [--gap N]\n");
		return 2;
	}
	char path[4096];
	snprintf(path, sizeof path, "%s/libggml.v0.5.0.so", dir);
	void *hg = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
	snprintf(path, sizeof path, "%s/libllama.v0.5.0.so", dir);
	void *hl = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
	if (!hg || !hl) {
		fprintf(stderr, "llama_harness: %s\n", dlerror());
		return 1;
	}
	*(void **)&p_load_all_from_path = sym(hg, "ggml_backend_load_all_from_path");
#define LOAD(name) *(void **)&p_##name = sym(hl, #name)
	LOAD(llama_backend_init);
	LOAD(llama_model_default_params);
	LOAD(llama_context_default_params);
	LOAD(llama_model_load_from_file);
	LOAD(llama_init_from_model);
	LOAD(llama_model_get_vocab);
	LOAD(llama_vocab_n_tokens);
	LOAD(llama_batch_get_one);
	LOAD(llama_batch_init);
	LOAD(llama_batch_free);
	LOAD(llama_decode);
	LOAD(llama_get_logits_ith);
	LOAD(llama_get_memory);
	LOAD(llama_memory_clear);
	LOAD(llama_free);
	LOAD(llama_model_free);
	LOAD(llama_log_set);
	LOAD(llama_model_size);
	p_llama_log_set(quiet, NULL);
	p_load_all_from_path(dir);
	p_llama_backend_init();

	struct llama_model_params mp = p_llama_model_default_params();
	mp.n_gpu_layers = 0;
	struct llama_model *m = p_llama_model_load_from_file(model, mp);
	if (!m) {
		fprintf(stderr, "llama_harness: cannot load %s\n", model);
		return 1;
	}
	struct llama_context_params cp = p_llama_context_default_params();
	if (par > 0)
		return run_parallel(m, cp, threads, par, pp, tg, reps);
	cp.n_ctx = (uint32_t)(pp + tg + 16);
	cp.n_batch = (uint32_t)(pp > 0 ? pp : 512);
	cp.n_ubatch = cp.n_batch;
	cp.n_threads = threads;
	cp.n_threads_batch = threads;
	struct llama_context *c = p_llama_init_from_model(m, cp);
	if (!c) {
		fprintf(stderr, "llama_harness: cannot create a context\n");
		return 1;
	}
	int n_vocab = p_llama_vocab_n_tokens(p_llama_model_get_vocab(m));
	printf("model_bytes %llu\n", (unsigned long long)p_llama_model_size(m));
	printf("n_vocab %d\n", n_vocab);
	llama_token *toks = malloc(sizeof(llama_token) * (size_t)(pp + tg + 16));
	srand(1);
	for (int i = 0; i < pp + tg + 16; i++)
		toks[i] = 10 + rand() % (n_vocab - 20);
	double *t = malloc(sizeof(double) * (size_t)(reps + 1)), *tc = malloc(sizeof(double) * (size_t)(reps + 1));
	if (pp > 0) {
		for (int r = 0; r <= reps; r++) {
			p_llama_memory_clear(p_llama_get_memory(c), 1);
			double t0 = now(), c0 = cpu_now();
			if (p_llama_decode(c, p_llama_batch_get_one(toks, pp))) {
				fprintf(stderr, "llama_harness: decode failed\n");
				return 1;
			}
			(void)p_llama_get_logits_ith(c, -1); /* waits for the result */
			if (r) {
				t[r - 1] = pp / (now() - t0);
				tc[r - 1] = pp / (cpu_now() - c0);
			}
		}
		qsort(t, (size_t)reps, sizeof *t, cmp);
		printf("pp_tps %.2f min %.2f max %.2f\n", t[reps / 2], t[0], t[reps - 1]);
		qsort(tc, (size_t)reps, sizeof *tc, cmp);
		printf("pp_cpu_tps %.2f min %.2f max %.2f\n", tc[reps / 2], tc[0], tc[reps - 1]);
	}
	if (tg > 0) {
		for (int r = 0; r <= reps; r++) {
			p_llama_memory_clear(p_llama_get_memory(c), 1);
			double t0 = now(), c0 = cpu_now();
			for (int i = 0; i < tg; i++) {
				if (p_llama_decode(c, p_llama_batch_get_one(toks + i, 1))) {
					fprintf(stderr, "llama_harness: decode failed\n");
					return 1;
				}
				(void)p_llama_get_logits_ith(c, -1);
			}
			if (r) {
				t[r - 1] = tg / (now() - t0);
				tc[r - 1] = tg / (cpu_now() - c0);
			}
		}
		qsort(t, (size_t)reps, sizeof *t, cmp);
		printf("tg_tps %.2f min %.2f max %.2f\n", t[reps / 2], t[0], t[reps - 1]);
		qsort(tc, (size_t)reps, sizeof *tc, cmp);
		printf("tg_cpu_tps %.2f min %.2f max %.2f\n", tc[reps / 2], tc[0], tc[reps - 1]);
	}
	if (gap > 0) {
		double *g = malloc(sizeof(double) * (size_t)gap);
		for (int k = 0; k < gap; k++) {
			p_llama_memory_clear(p_llama_get_memory(c), 1);
			llama_token pr[8];
			for (int i = 0; i < 8; i++)
				pr[i] = 10 + rand() % (n_vocab - 20);
			if (p_llama_decode(c, p_llama_batch_get_one(pr, 8)))
				return 1;
			const float *lg = p_llama_get_logits_ith(c, -1);
			float a = -1e30f, b = -1e30f;
			for (int i = 0; i < n_vocab; i++) {
				if (lg[i] > a) {
					b = a;
					a = lg[i];
				} else if (lg[i] > b)
					b = lg[i];
			}
			g[k] = a - b;
		}
		qsort(g, (size_t)gap, sizeof *g, cmp);
		printf("logit_gap median %.3f min %.3f max %.3f\n", g[gap / 2], g[0], g[gap - 1]);
		free(g);
	}
	free(t);
	free(tc);
	free(toks);
	p_llama_free(c);
	p_llama_model_free(m);
	return 0;
}
