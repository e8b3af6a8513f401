/*
 * cmd_index.c — `cristal index vectors --provider NAME | --model MODEL
 * [--batch N] [--threads N] [--json]`: embeds every chunk that has no vector
 * yet (all of them the first time, or after the embedder changed), with a
 * provider's /embeddings or a local embedding model, and compacts the
 * vectors (corpus.h). The catalog remembers the embedder: later ingests
 * embed their new chunks with it, and searches embed queries with it.
 *
 * Also the embedding helpers the other commands share (cli.h): opening the
 * remembered embedder (provider/embedder.c), the query's embedding and the
 * search mode.
 */
#include "cli.h"
#include "cristal/corpus.h"
#include "cristal/provider.h"
#include "cristal/vector.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *env_key(void *ctx, const char *var)
{
	(void)ctx;
	return getenv(var);
}

cr_embedder *cli_embedder_open(cr_cli *cli, cr_store *s, const char *source, char *why, size_t cap)
{
	(void)cli;
	cr_provider_cfg c = cr_provider_cfg_default();
	c.meter = s;
	cr_embedder *e = NULL;
	cr_msg m = {{0}};
	cr_err err = cr_embedder_open(s, source, &c, env_key, NULL, &e, &m);
	if (err)
		snprintf(why, cap, "%s", m.text[0] ? m.text : cr_strerror(err));
	return e;
}

static void on_progress(void *ctx, uint64_t done, uint64_t total)
{
	if (*(int *)ctx)
		fprintf(stderr, "\r\033[Kembedded %llu of %llu chunks", (unsigned long long)done,
			(unsigned long long)total);
}

int cli_vectors_update(cr_cli *cli, cr_corpus *cp, const char *source, size_t batch, int threads, int compact,
		       cr_vectors_report *rep, char *why, size_t cap)
{
	cr_embedder *emb = cli_embedder_open(cli, cr_corpus_store(cp), source, why, cap);
	if (!emb)
		return 1;
	int tty = cli_tty();
	cr_vectors_opts o = {.source = source, .embed = cr_embedder_embed, .embed_ctx = emb, .batch = batch,
			     .compact = compact, .n_threads = threads, .progress = on_progress, .progress_ctx = &tty};
	cr_msg m = {{0}};
	cr_err e = cr_corpus_vectors_update(cp, &o, rep, &m);
	if (tty)
		fputs("\r\033[K", stderr);
	cr_embedder_free(emb);
	if (e)
		snprintf(why, cap, "%s", m.text[0] ? m.text : cr_strerror(e));
	return e ? 1 : 0;
}

int cli_vectors_after_ingest(cr_cli *cli, cr_corpus *cp)
{
	cr_arena a;
	cr_arena_init(&a, 0);
	const char *src;
	int dim, rc = 0;
	if (!cr_corpus_vectors_source(cp, &a, &src, &dim, NULL)) {
		char why[512];
		cr_vectors_report rep;
		if (cli_vectors_update(cli, cp, src, 0, 0, 0, &rep, why, sizeof why))
			rc = cli_fail("ingest", "embedding the new chunks (%s): %s", src, why);
	}
	cr_arena_release(&a);
	return rc;
}

/* One embedder per process for queries (a local model loads once). */
static cr_embedder *query_emb;

int cli_search_prepare(cr_cli *cli, cr_corpus *cp, const char *cmd, const char *mode, const char *text,
		       cr_arena *a, cr_corpus_query *q)
{
	if (mode && !strcmp(mode, "bm25")) {
		q->mode = CR_SEARCH_BM25;
		return 0;
	}
	if (mode && strcmp(mode, "vector") && strcmp(mode, "hybrid")) {
		fprintf(stderr, "cristal: %s: --mode bm25|vector|hybrid, not '%s'\n", cmd, mode);
		return 2;
	}
	const char *src;
	int dim;
	if (cr_corpus_vectors_source(cp, a, &src, &dim, NULL) || !cr_corpus_vectors_count(cp)) {
		if (!mode) {
			q->mode = CR_SEARCH_BM25;
			return 0;
		}
		fprintf(stderr, "cristal: %s: --mode %s needs vectors: run `cristal index vectors --provider NAME|--model MODEL`\n",
			cmd, mode);
		return 2;
	}
	q->mode = mode && !strcmp(mode, "vector") ? CR_SEARCH_VECTOR : CR_SEARCH_HYBRID;
	char why[512];
	if (query_emb && strcmp(cr_embedder_source(query_emb), src)) {
		cr_embedder_free(query_emb);
		query_emb = NULL;
	}
	if (!query_emb && !(query_emb = cli_embedder_open(cli, cr_corpus_store(cp), src, why, sizeof why)))
		return cli_fail(cmd, "embedding the query (%s): %s", src, why);
	float *v;
	int d;
	cr_msg m = {{0}};
	cr_err e = cr_embedder_embed(query_emb, &text, 1, a, &v, &d, &m);
	if (e)
		return cli_fail(cmd, "embedding the query (%s): %s", src, m.text[0] ? m.text : cr_strerror(e));
	q->vec = v;
	q->vec_dim = d;
	return 0;
}

static int usage(FILE *f, int rc)
{
	fprintf(f, "usage: cristal [--data DIR] index vectors --provider NAME | --model MODEL\n"
		   "                                   [--batch N] [--threads N] [--json]\n\n"
		   "Embeds every chunk without a vector (a provider's /embeddings, or a local\n"
		   "embedding model), int8 beside the index; later ingests embed their new chunks\n"
		   "with the same embedder, and search --mode vector|hybrid embeds queries with it.\n"
		   "Resumable: an interrupted run continues after the last chunks saved.\n\n"
		   "  --batch N    texts per embedding call (default 32)\n"
		   "  --threads N  threads building the HNSW graph (default: one per core)\n"
		   "  --json       print the summary as one JSON object\n");
	return rc;
}

int cmd_index(cr_cli *cli, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "vectors"))
		return usage(argc >= 2 && !strcmp(argv[1], "--help") ? stdout : stderr,
			     argc >= 2 && !strcmp(argv[1], "--help") ? 0 : 2);
	argc--;
	argv++;
	static const struct option opts[] = {{"provider", required_argument, 0, 'p'},
					     {"model", required_argument, 0, 'm'},
					     {"batch", required_argument, 0, 'b'},
					     {"threads", required_argument, 0, 't'},
					     {"json", no_argument, 0, 'j'},
					     {"help", no_argument, 0, 'h'},
					     {0}};
	const char *provider = NULL, *model = NULL;
	int batch = 0, threads = 0, json = 0, c, rc = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "p:m:b:t:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'p': provider = optarg; break;
		case 'm': model = optarg; break;
		case 'b': rc = cli_opt_int("index vectors", "--batch", optarg, 1, 1 << 20, &batch); break;
		case 't': rc = cli_opt_threads("index vectors", "--threads", optarg, &threads); break;
		case 'j': json = 1; break;
		case 'h': return usage(stdout, 0);
		default: return usage(stderr, 2);
		}
		if (rc)
			return rc;
	}
	if (!provider == !model || batch < 0 || optind < argc)
		return usage(stderr, 2);
	char source[1024];
	snprintf(source, sizeof source, "%s:%s", provider ? "provider" : "model", provider ? provider : model);
	cr_corpus *cp;
	cr_msg m = {{0}};
	cr_err e = cr_corpus_open(cli->data_dir, 0, &cp, &m);
	if (e)
		return cli_fail("index", "%s", m.text[0] ? m.text : cr_strerror(e));
	cr_vectors_report rep;
	char why[512];
	rc = cli_vectors_update(cli, cp, source, (size_t)batch, threads, 1, &rep, why, sizeof why);
	cr_corpus_close(cp);
	if (rc)
		return cli_fail("index", "vectors: %s", why);
	if (json)
		printf("{\"embedded\":%llu,\"vectors\":%llu,\"dim\":%d,\"graph\":%s,\"seconds\":%.3f,\"source\":\"%s\"}\n",
		       (unsigned long long)rep.embedded, (unsigned long long)rep.total, rep.dim,
		       rep.graph ? "true" : "false", rep.seconds, source);
	else
		printf("embedded %llu chunks; %llu vectors of %d dimensions (%s) in %.2f s\n",
		       (unsigned long long)rep.embedded, (unsigned long long)rep.total, rep.dim,
		       rep.graph ? "HNSW" : "exact scan", rep.seconds);
	return 0;
}
