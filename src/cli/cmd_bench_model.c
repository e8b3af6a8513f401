/*
 * cmd_bench_model.c — `cristal bench-model --model M [--threads N] [-p 512]
 * [-n 128] [-r 3] [--parallel P] [--json]`: prompt processing and generation
 * speed, the way llama-bench measures them.
 *
 * ppN: N random tokens decoded as one batch into an empty cache; tgN: N
 * tokens decoded one at a time into an empty cache. Each test runs r times
 * after one warm-up token (which also faults the weights in); we print the
 * median and the spread. --json: {"pp512":…, "tg128":…, "threads":…, ...}.
 *
 * --parallel P (p and n default to 64 there): continuous batching (llm.h cr_batch_*), as llama.cpp's
 * batched-bench measures it: P sequences, each with its own p-token random
 * prompt decoded into its slot, then n steps of one token for every
 * sequence (one forward pass of P rows each). tg_aggregate is P × n tokens
 * over the steps' time (tokens per second over all sequences; median of r
 * runs, each run starting again from the prompts); pp_aggregate the P
 * prompts' tokens over their time; tg_aggregate_cpu the same over process
 * CPU time × threads (what the cores' work achieves when other jobs share
 * the machine). --json: {"parallel", "threads",
 * "tg_aggregate", "pp_aggregate", ...}.
 */
#include "cli.h"
#include "cristal/llm.h"

#include <getopt.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>

int cmd_model_resolve(cr_cli *cli, const char *cmd, const char *arg, char *path, size_t cap);

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* process CPU seconds: on a shared machine, work done rather than time
 * waited (the steady figure for one thread when other jobs share the cores) */
static double cpu_now(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec * 1e-6;
}

static cr_token_id rand_tok(uint64_t *r, int n_vocab)
{
	*r = *r * 6364136223846793005ull + 1442695040888963407ull;
	return (cr_token_id)((*r >> 33) % (uint64_t)n_vocab);
}

/* --parallel: P sequences through one cr_batch (see the header). */
static int bench_parallel(cr_model *md, cr_pool *pool, int threads, int par, int n_pp, int n_tg, int reps,
			  int json)
{
	const cr_model_info *in = cr_model_get_info(md);
	cr_msg m = {{0}};
	cr_batch *b = NULL;
	cr_token_id *toks = NULL;
	int *slots = NULL, rc = 1;
	double pp[100], tg[100], tgc[100];
	cr_err e;
	int p = CR_MAX(n_pp, 1); /* every sequence needs a token to start from */
	if ((e = cr_batch_new(md, par, p + n_tg + 1, pool, &b, &m)))
		goto fail;
	toks = cr_malloc((size_t)par * (size_t)(p + 1) * sizeof *toks);
	slots = cr_malloc((size_t)par * sizeof *slots);
	if (!toks || !slots) {
		e = CR_ENOMEM;
		goto fail;
	}
	uint64_t r = 0x243F6A8885A308D3ull;
	for (int i = 0; i < par * (p + 1); i++)
		toks[i] = rand_tok(&r, in->n_vocab);
	for (int i = 0; i < par; i++)
		slots[i] = i;
	const float *lg;
	if ((e = cr_ctx_decode(cr_batch_slot(b, 0), toks, 1, 0, &lg, &m))) /* warm-up */
		goto fail;
	for (int k = 0; k < reps; k++) {
		double t0 = cr_now();
		for (int i = 0; i < par; i++) {
			cr_ctx *c = cr_batch_slot(b, i);
			cr_ctx_truncate(c, 0);
			if ((e = cr_ctx_decode(c, toks + (size_t)i * (p + 1), p, 0, &lg, &m)))
				goto fail;
		}
		double t1 = cr_now(), c1 = cpu_now();
		cr_token_id *step = toks + (size_t)par * p; /* any tokens will do: the next ones are random */
		for (int j = 0; j < n_tg; j++) {
			for (int i = 0; i < par; i++)
				step[i] = rand_tok(&r, in->n_vocab);
			if ((e = cr_batch_step(b, slots, step, par, &lg, &m)))
				goto fail;
		}
		double t2 = cr_now(), c2 = cpu_now();
		pp[k] = (double)par * p / (t1 - t0);
		tg[k] = n_tg ? (double)par * n_tg / (t2 - t1) : 0;
		tgc[k] = n_tg ? (double)par * n_tg / (c2 - c1) : 0;
	}
	qsort(pp, (size_t)reps, sizeof(double), cmp_d);
	qsort(tg, (size_t)reps, sizeof(double), cmp_d);
	qsort(tgc, (size_t)reps, sizeof(double), cmp_d);
	const char *ty = cr_ttype_name(in->main_type) ? cr_ttype_name(in->main_type) : "?";
	if (json)
		printf("{\"parallel\":%d,\"threads\":%d,\"tg_aggregate\":%.3f,\"tg_aggregate_min\":%.3f,"
		       "\"tg_aggregate_max\":%.3f,\"tg_aggregate_cpu\":%.3f,\"pp_aggregate\":%.3f,\"p\":%d,\"n\":%d,\"reps\":%d,"
		       "\"arch\":\"%s\",\"type\":\"%s\",\"params\":%lld}\n",
		       par, threads, tg[reps / 2], tg[0], tg[reps - 1], tgc[reps / 2] * threads, pp[reps / 2], p, n_tg, reps, in->arch, ty,
		       (long long)in->n_params);
	else {
		printf("| model | type | threads | parallel | test | aggregate t/s (median of %d, min-max) |\n", reps);
		printf("|---|---|---|---|---|---|\n");
		printf("| %s | %s | %d | %d | pp%d | %.2f (%.2f-%.2f) |\n", in->arch, ty, threads, par, p, pp[reps / 2],
		       pp[0], pp[reps - 1]);
		printf("| %s | %s | %d | %d | tg%d | %.2f (%.2f-%.2f) |\n", in->arch, ty, threads, par, n_tg,
		       tg[reps / 2], tg[0], tg[reps - 1]);
	}
	rc = 0;
	goto out;
fail:
	cli_fail("bench-model", "%s", m.text[0] ? m.text : cr_strerror(e));
out:
	cr_free(slots);
	cr_free(toks);
	cr_batch_free(b);
	return rc;
}

int cmd_bench_model(cr_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"model", required_argument, 0, 'm'},
					     {"threads", required_argument, 0, 't'},
					     {"json", no_argument, 0, 'j'},
					     {"parallel", required_argument, 0, 'P'},
					     {"help", no_argument, 0, 'h'}, {0}};
	const char *model = NULL;
	int threads = 0, n_pp = 512, n_tg = 128, reps = 3, json = 0, par = 0, p_set = 0, n_set = 0, c, rc = 0;
	static const char B[] = "bench-model";
	optind = 1;
	while ((c = getopt_long(argc, argv, "m:t:p:n:r:h", opts, NULL)) != -1) {
		switch (c) {
		case 'm': model = optarg; break;
		case 't': rc = cli_opt_threads(B, "--threads", optarg, &threads); break;
		case 'p': rc = cli_opt_int(B, "-p", optarg, 0, 1 << 20, &n_pp); p_set = 1; break;
		case 'n': rc = cli_opt_int(B, "-n", optarg, 0, 1 << 20, &n_tg); n_set = 1; break;
		case 'r': rc = cli_opt_int(B, "-r", optarg, 1, 100, &reps); break;
		case 'j': json = 1; break;
		case 'P': rc = cli_opt_int(B, "--parallel", optarg, 1, 256, &par); break;
		default:
			fprintf(c == 'h' ? stdout : stderr,
				"usage: cristal bench-model --model NAME|PATH [--threads N] [-p 512] [-n 128] "
				"[-r 3] [--parallel P] [--json]\n");
			return c == 'h' ? 0 : CLI_USAGE;
		}
		if (rc)
			return rc;
	}
	if (optind < argc)
		return cli_usage_fail(B, "unexpected argument '%s'", argv[optind]);
	char path[4096];
	rc = cmd_model_resolve(cli, "bench-model", model, path, sizeof path);
	if (rc)
		return rc;
	if (threads <= 0)
		threads = cr_ncpu();
	cr_msg m = {{0}};
	cr_model *md = NULL;
	cr_pool *pool = NULL;
	cr_ctx *ctx = NULL;
	cr_token_id *toks = NULL;
	double pp[100], tg[100];
	cr_err e;
	rc = 1;
	if ((e = cr_model_load(path, &md, &m))) {
		cli_fail("bench-model", "%s: %s", path, m.text[0] ? m.text : cr_strerror(e));
		goto out;
	}
	cr_model_set_keep_mapped(md, cli->keep_mapped);
	const cr_model_info *in = cr_model_get_info(md);
	if (in->is_embedding) {
		cli_fail("bench-model", "embedding models are not benchmarked here");
		goto out;
	}
	int n_ctx = CR_MAX(CR_MAX(n_pp, n_tg), 1);
	if (threads > 1 && cr_pool_new(threads, &pool)) {
		cli_fail("bench-model", "cannot start threads");
		goto out;
	}
	if (par) { /* batched-bench sizes unless given */
		rc = bench_parallel(md, pool, threads, par, p_set ? n_pp : 64, n_set ? n_tg : 64, reps, json);
		goto out;
	}
	toks = cr_malloc((size_t)n_ctx * sizeof *toks);
	if (!toks || (e = cr_ctx_new(md, n_ctx, pool, &ctx, &m))) {
		cli_fail("bench-model", "%s", m.text[0] ? m.text : "out of memory");
		goto out;
	}
	uint64_t r = 0x243F6A8885A308D3ull;
	for (int i = 0; i < n_ctx; i++) {
		r = r * 6364136223846793005ull + 1442695040888963407ull;
		toks[i] = (cr_token_id)((r >> 33) % (uint64_t)in->n_vocab);
	}
	const float *lg;
	if ((e = cr_ctx_decode(ctx, toks, 1, 0, &lg, &m))) /* warm-up */
		goto fail;
	for (int k = 0; k < reps; k++) {
		if (n_pp) {
			cr_ctx_truncate(ctx, 0);
			double t0 = cr_now();
			if ((e = cr_ctx_decode(ctx, toks, n_pp, 0, &lg, &m)))
				goto fail;
			pp[k] = n_pp / (cr_now() - t0);
		}
		if (n_tg) {
			cr_ctx_truncate(ctx, 0);
			double t0 = cr_now();
			for (int i = 0; i < n_tg; i++)
				if ((e = cr_ctx_decode(ctx, &toks[i], 1, 0, &lg, &m)))
					goto fail;
			tg[k] = n_tg / (cr_now() - t0);
		}
	}
	qsort(pp, (size_t)reps, sizeof(double), cmp_d);
	qsort(tg, (size_t)reps, sizeof(double), cmp_d);
	const char *ty = cr_ttype_name(in->main_type) ? cr_ttype_name(in->main_type) : "?";
	if (json) {
		printf("{");
		if (n_pp)
			printf("\"pp%d\":%.3f,", n_pp, pp[reps / 2]);
		if (n_tg)
			printf("\"tg%d\":%.3f,", n_tg, tg[reps / 2]);
		printf("\"threads\":%d,\"reps\":%d,\"arch\":\"%s\",\"type\":\"%s\",\"params\":%lld}\n", threads,
		       reps, in->arch, ty, (long long)in->n_params);
	} else {
		printf("| model | type | params | threads | test | t/s (median of %d, min-max) |\n", reps);
		printf("|---|---|---|---|---|---|\n");
		if (n_pp)
			printf("| %s | %s | %.1fM | %d | pp%d | %.2f (%.2f-%.2f) |\n", in->arch, ty,
			       in->n_params / 1e6, threads, n_pp, pp[reps / 2], pp[0], pp[reps - 1]);
		if (n_tg)
			printf("| %s | %s | %.1fM | %d | tg%d | %.2f (%.2f-%.2f) |\n", in->arch, ty,
			       in->n_params / 1e6, threads, n_tg, tg[reps / 2], tg[0], tg[reps - 1]);
	}
	rc = 0;
	goto out;
fail:
	cli_fail("bench-model", "%s", m.text[0] ? m.text : cr_strerror(e));
out:
	cr_free(toks);
	cr_ctx_free(ctx);
	cr_pool_free(pool);
	cr_model_free(md);
	return rc;
}
