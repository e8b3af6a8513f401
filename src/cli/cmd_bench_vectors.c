/*
 * cmd_bench_vectors.c — `cristal bench-vectors --base B.fvecs --queries
 * Q.fvecs -k 10 [--ef N] [--m M] [--ef-construction N] [--threads N]
 * [--exact] [--save FILE | --load FILE] [--json]`: builds the HNSW index
 * over the base vectors (their row numbers are the ids), searches every
 * query on --threads threads and prints one JSON object {"build_s", "qps",
 * "ids": [[k base row numbers] per query]}. The base is read from its
 * mapping a window at a time, each window quantized and then dropped from
 * memory, so the resident set is the index's (scripts/bench-vectors.sh
 * compares it with hnswlib's).
 */
#include "cli.h"
#include "cristal/vector.h"

#include <getopt.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

typedef struct qrun {
	const cr_vec_index *ix;
	const float *q;
	int dim, k, ef, exact;
	size_t nq;
	uint64_t *ids; /* nq·k, UINT64_MAX where fewer hits */
	_Atomic size_t next;
	_Atomic int err;
} qrun;

static void query_task(void *ctx, int i_task, int n_tasks)
{
	qrun *r = ctx;
	cr_vec_scratch *s = cr_vec_scratch_new();
	cr_vec_hit *hits = malloc((size_t)r->k * sizeof *hits);
	if (!s || !hits) {
		atomic_store(&r->err, 1);
		goto out;
	}
	cr_vec_query q = {.k = r->k, .ef = r->ef, .exact = r->exact};
	for (;;) {
		size_t i = atomic_fetch_add(&r->next, 1);
		if (i >= r->nq)
			break;
		int nh = 0;
		if (cr_vec_index_search(r->ix, s, r->q + i * (size_t)r->dim, &q, hits, &nh, NULL)) {
			atomic_store(&r->err, 1);
			break;
		}
		for (int j = 0; j < r->k; j++)
			r->ids[i * (size_t)r->k + (size_t)j] = j < nh ? hits[j].id : UINT64_MAX;
	}
out:
	free(hits);
	cr_vec_scratch_free(s);
}

static void drop_pages(const uint8_t *base, size_t from, size_t to)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t a = from & ~((size_t)pg - 1);
	if (to > a)
		madvise((void *)(base + a), to - a, MADV_DONTNEED);
}

static int usage(FILE *f, int rc)
{
	fprintf(f, "usage: cristal bench-vectors --base B.fvecs --queries Q.fvecs -k K [--ef N] [--m M]\n"
		   "         [--ef-construction N] [--threads N] [--exact] [--save FILE | --load FILE] [--json]\n");
	return rc;
}

int cmd_bench_vectors(cr_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"base", required_argument, 0, 'b'},
					     {"queries", required_argument, 0, 'q'},
					     {"ef", required_argument, 0, 'e'},
					     {"m", required_argument, 0, 'M'},
					     {"ef-construction", required_argument, 0, 'c'},
					     {"threads", required_argument, 0, 't'},
					     {"exact", no_argument, 0, 'x'},
					     {"save", required_argument, 0, 's'},
					     {"load", required_argument, 0, 'l'},
					     {"json", no_argument, 0, 'j'},
					     {"help", no_argument, 0, 'h'},
					     {0}};
	const char *base = NULL, *queries = NULL, *save = NULL, *load = NULL;
	int k = 10, ef = 0, mm = 16, efc = 200, threads = 0, json = 0, exact = 0, c, rc = 0;
	static const char BV[] = "bench-vectors";
	optind = 1;
	while ((c = getopt_long(argc, argv, "b:q:k:e:M:c:t:xs:l:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'b': base = optarg; break;
		case 'q': queries = optarg; break;
		case 'k': rc = cli_opt_int(BV, "-k", optarg, 1, 10000, &k); break;
		case 'e': rc = cli_opt_int(BV, "--ef", optarg, 0, 1 << 20, &ef); break;
		case 'M': rc = cli_opt_int(BV, "-M", optarg, 2, 1024, &mm); break;
		case 'c': rc = cli_opt_int(BV, "--ef-construction", optarg, 1, 1 << 20, &efc); break;
		case 't': rc = cli_opt_threads(BV, "--threads", optarg, &threads); break;
		case 'x': exact = 1; break;
		case 's': save = optarg; break;
		case 'l': load = optarg; break;
		case 'j': json = 1; break;
		case 'h': return usage(stdout, 0);
		default: return usage(stderr, 2);
		}
		if (rc)
			return rc;
	}
	if ((!base && !load) || !queries || k < 1 || k > 10000 || ef < 0 || (save && load))
		return usage(stderr, 2);
	if (threads <= 0)
		threads = cr_ncpu();
	cr_msg m = {{0}};
	cr_mmap bm = {0}, qm = {0};
	cr_vec_index *ix = NULL;
	cr_pool *pool = NULL;
	float *qv = NULL, *row = NULL;
	uint64_t *ids = NULL;
	rc = 1;
	cr_err e;
	double build_s = 0;
	if ((e = cr_pool_new(threads, &pool))) {
		cli_fail("bench-vectors", "thread pool: %s", cr_strerror(e));
		goto out;
	}
	if (load) {
		double t0 = cr_now();
		if ((e = cr_vec_index_open(load, &ix, &m))) {
			cli_fail("bench-vectors", "%s: %s", load, m.text[0] ? m.text : cr_strerror(e));
			goto out;
		}
		build_s = cr_now() - t0;
	} else {
		cr_fvecs bf;
		if ((e = cr_mmap_open(&bm, base, &m)) || (e = cr_fvecs_init(&bf, bm.data, bm.len, &m))) {
			cli_fail("bench-vectors", "%s: %s", base, m.text[0] ? m.text : cr_strerror(e));
			goto out;
		}
		cr_vec_params vp = {.m = mm, .ef_construction = efc};
		if ((e = cr_vec_index_new(bf.dim, &vp, &ix, &m))) {
			cli_fail("bench-vectors", "%s", m.text);
			goto out;
		}
		if (!(row = malloc((size_t)bf.dim * sizeof *row)))
			goto oom;
		double t0 = cr_now();
		size_t rec = 4 + 4 * (size_t)bf.dim, dropped = 0;
		for (size_t i = 0; i < bf.n; i++) {
			if ((e = cr_fvecs_row(&bf, i, row, &m)) || (e = cr_vec_index_add(ix, i, row, &m))) {
				cli_fail("bench-vectors", "%s: %s", base, m.text[0] ? m.text : cr_strerror(e));
				goto out;
			}
			if ((i + 1) * rec - dropped >= (64u << 20)) {
				drop_pages(bm.data, dropped, (i + 1) * rec);
				dropped = (i + 1) * rec;
			}
		}
		cr_mmap_close(&bm);
		bm.data = NULL;
		if (!exact && (e = cr_vec_index_build(ix, pool, NULL, &m))) {
			cli_fail("bench-vectors", "%s", m.text[0] ? m.text : cr_strerror(e));
			goto out;
		}
		build_s = cr_now() - t0;
		if (save && (e = cr_vec_index_save(ix, save, &m))) {
			cli_fail("bench-vectors", "%s", m.text);
			goto out;
		}
	}
	cr_fvecs qf;
	if ((e = cr_mmap_open(&qm, queries, &m)) || (e = cr_fvecs_init(&qf, qm.data, qm.len, &m))) {
		cli_fail("bench-vectors", "%s: %s", queries, m.text[0] ? m.text : cr_strerror(e));
		goto out;
	}
	if (qf.dim != cr_vec_index_dim(ix)) {
		cli_fail("bench-vectors", "queries have dimension %d, the base %d", qf.dim, cr_vec_index_dim(ix));
		goto out;
	}
	if (!(qv = malloc(qf.n * (size_t)qf.dim * sizeof *qv)) || !(ids = malloc(qf.n * (size_t)k * sizeof *ids)))
		goto oom;
	for (size_t i = 0; i < qf.n; i++)
		if ((e = cr_fvecs_row(&qf, i, qv + i * (size_t)qf.dim, &m))) {
			cli_fail("bench-vectors", "%s: %s", queries, m.text);
			goto out;
		}
	qrun r = {.ix = ix, .q = qv, .dim = qf.dim, .k = k, .ef = ef, .exact = exact, .nq = qf.n, .ids = ids};
	double t0 = cr_now();
	cr_pool_run(pool, threads, query_task, &r);
	double search_s = cr_now() - t0;
	if (atomic_load(&r.err))
		goto oom;
	double qps = search_s > 0 ? (double)qf.n / search_s : 0;
	if (json) {
		printf("{\"build_s\": %.3f, \"qps\": %.1f, \"ids\": [", build_s, qps);
		for (size_t i = 0; i < qf.n; i++) {
			printf(i ? ", [" : "[");
			int first = 1;
			for (int j = 0; j < k; j++) {
				uint64_t id = ids[i * (size_t)k + (size_t)j];
				if (id == UINT64_MAX)
					continue;
				printf(first ? "%llu" : ", %llu", (unsigned long long)id);
				first = 0;
			}
			printf("]");
		}
		printf("]}\n");
	} else {
		printf("vectors %zu × %d (int8, kernels %s), %s, m %d, threads %d\n", cr_vec_index_count(ix),
		       cr_vec_index_dim(ix), cr_vec_isa(), cr_vec_index_has_graph(ix) && !exact ? "HNSW" : "exact scan",
		       mm, threads);
		printf("build %.3f s, %zu queries in %.3f s: %.1f queries/s (k %d, ef %d)\n", build_s, qf.n, search_s,
		       qps, k, ef);
	}
	rc = 0;
	goto out;
oom:
	cli_fail("bench-vectors", "out of memory");
out:
	free(row);
	free(qv);
	free(ids);
	cr_vec_index_free(ix);
	if (bm.data)
		cr_mmap_close(&bm);
	if (qm.data)
		cr_mmap_close(&qm);
	cr_pool_free(pool);
	return rc;
}
