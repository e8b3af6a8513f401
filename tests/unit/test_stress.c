/* test_stress.c — one corpus and one model shared by many threads at once,
 * for a few seconds (CR_STRESS_SECONDS, default 3): three threads search
 * (and rebuild the text of what they found), one ingests files written to a
 * temporary folder and a JSONL file again and again, and two generate with
 * a random-weight model (each its own context and thread pool, one model).
 * Checked: searches find the documents known to be there, including those
 * of every ingest that finished before the search started; every ingest
 * succeeds and reports its files; generation yields tokens. Run by
 * `make tsan` under ThreadSanitizer, where a data race fails it.
 *
 * The model is made by tools/gen_model (tiny llama shape) from the llama
 * vocabulary in $CR_SHARED_DATA/gguf-vocab; without them the generating
 * threads are left out (said on stderr) and the rest still runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cristal/corpus.h"
#include "cristal/llm.h"

static char tmp[256], tree[300], data[300], jsonl[300], model_path[300];

/* Documents that stay: a word found in exactly one of them. */
static const char *const FIXED[][2] = {
	{"zebrafish", "docs/fixed/a.txt"},
	{"marmalade", "docs/fixed/b.md"},
	{"quokka", "docs/fixed/c.txt"},
	{"axolotl", "docs/fixed/d.txt"},
};
enum { N_FIXED = 4, N_SEARCH = 3, N_GEN = 2 };

typedef struct shared {
	cr_corpus *c;
	cr_model *md;
	double until;
	atomic_int rounds_done; /* ingest rounds finished: their words are findable */
} shared;

static void write_text(const char *path, const char *text)
{
	char tmpname[600];
	snprintf(tmpname, sizeof tmpname, "%s.tmp", path);
	FILE *f = fopen(tmpname, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(rename(tmpname, path), 0); /* whole, never half-written */
}

/* A word of letters only for a number (the analyzer splits digits off). */
static void round_word(char kind, int r, char *out)
{
	int n = 0;
	out[n++] = kind;
	out[n++] = 'x';
	do {
		out[n++] = (char)('a' + r % 26);
		r /= 26;
	} while (r);
	out[n++] = 'q';
	out[n] = 0;
}

/* ---- searching threads ---- */

typedef struct searcher {
	shared *sh;
	int searches, errors;
} searcher;

static int expect_one(searcher *s, cr_arena *a, const char *word, const char *doc)
{
	cr_corpus_query q = {.text = word, .k = 5};
	cr_result *rs = NULL;
	size_t n = 0;
	cr_msg m = {{0}};
	cr_err e = cr_corpus_search(s->sh->c, a, &q, &rs, &n, &m);
	s->searches++;
	if (e || n != 1 || (doc && strcmp(rs[0].doc, doc)) || !rs[0].snippet || !strstr(rs[0].snippet, word)) {
		if (s->errors++ < 5)
			print_message("search %s: %s, %zu hits, first %s\n", word, e ? m.text : "ok", n,
				      n ? rs[0].doc : "-");
		return 0;
	}
	/* the document's text, rebuilt from the catalog on this thread */
	cr_doc_text t;
	if (cr_corpus_doc_text(s->sh->c, a, rs[0].doc_id, &t, &m) || !strstr(t.text, word)) {
		if (s->errors++ < 5)
			print_message("text of %s: %s\n", rs[0].doc, m.text);
		return 0;
	}
	return 1;
}

static void *search_thread(void *arg)
{
	searcher *s = arg;
	cr_arena a;
	cr_arena_init(&a, 0);
	unsigned seed = (unsigned)(uintptr_t)s;
	while (cr_now() < s->sh->until) {
		for (int i = 0; i < N_FIXED; i++)
			expect_one(s, &a, FIXED[i][0], FIXED[i][1]);
		/* the words of a finished ingest round: its file's and its JSONL
		 * document's */
		int done = atomic_load(&s->sh->rounds_done);
		if (done > 0) {
			int r = (int)(rand_r(&seed) % (unsigned)done);
			char w[32], doc[64];
			round_word('f', r, w);
			snprintf(doc, sizeof doc, "docs/churn/r%d.txt", r);
			expect_one(s, &a, w, doc);
			round_word('j', r, w);
			snprintf(doc, sizeof doc, "j%d", r);
			expect_one(s, &a, w, doc);
		}
		cr_arena_release(&a);
	}
	cr_arena_release(&a);
	return NULL;
}

/* ---- the ingesting thread ---- */

typedef struct ingester {
	shared *sh;
	int rounds, errors;
	uint64_t files;
} ingester;

static void *ingest_thread(void *arg)
{
	ingester *g = arg;
	cr_buf lines;
	cr_buf_init(&lines, 0);
	while (cr_now() < g->sh->until) {
		int r = g->rounds;
		char w[32], path[400], text[256];
		round_word('f', r, w);
		/* a new file, and one that changes every round */
		snprintf(path, sizeof path, "%s/churn/r%d.txt", tree, r);
		snprintf(text, sizeof text, "Round %d of the stress test carries the word %s.\n", r, w);
		write_text(path, text);
		snprintf(path, sizeof path, "%s/churn/changing.txt", tree);
		snprintf(text, sizeof text, "This file changes: now round %d.\n", r);
		write_text(path, text);
		const char *paths[] = {tree};
		cr_ingest_report rep;
		cr_msg m = {{0}};
		cr_err e = cr_corpus_ingest(g->sh->c, paths, 1, NULL, &rep, &m);
		/* round 0 adds r0 and changing.txt, later rounds add one and update one */
		if (e || rep.ingested + rep.updated != 2 || rep.rejected) {
			if (g->errors++ < 5)
				print_message("ingest round %d: %s (%llu new, %llu updated)\n", r, e ? m.text : "ok",
					      (unsigned long long)rep.ingested, (unsigned long long)rep.updated);
		}
		g->files += rep.ingested + rep.updated + rep.unchanged;
		/* the JSONL file grows by one document per round */
		round_word('j', r, w);
		assert_int_equal(cr_buf_printf(&lines, "{\"id\": \"j%d\", \"title\": \"Round %d\", \"text\": \"jsonl %s\"}\n",
					       r, r, w),
				 CR_OK);
		write_text(jsonl, lines.data);
		e = cr_corpus_ingest_jsonl(g->sh->c, jsonl, NULL, &rep, &m);
		if (e || rep.ingested != 1 || rep.unchanged != (uint64_t)r) {
			if (g->errors++ < 5)
				print_message("jsonl round %d: %s (%llu new, %llu unchanged)\n", r, e ? m.text : "ok",
					      (unsigned long long)rep.ingested, (unsigned long long)rep.unchanged);
		}
		g->rounds++;
		atomic_store(&g->sh->rounds_done, g->rounds);
	}
	cr_buf_release(&lines);
	return NULL;
}

/* ---- generating threads ---- */

typedef struct generator {
	shared *sh;
	int runs, errors;
	uint64_t tokens;
} generator;

static void *gen_thread(void *arg)
{
	generator *g = arg;
	cr_pool *pool = NULL;
	cr_ctx *ctx = NULL;
	cr_msg m = {{0}};
	if (cr_pool_new(2, &pool) || cr_ctx_new(g->sh->md, 64, pool, &ctx, &m)) {
		g->errors++;
		print_message("context: %s\n", m.text);
		cr_pool_free(pool);
		return NULL;
	}
	const cr_tok *tok = cr_model_tok(g->sh->md);
	int n_vocab = cr_tok_n_vocab(tok);
	cr_buf ids;
	cr_buf_init(&ids, 0);
	const char *prompt = "Once upon a time, the zebrafish";
	if (cr_tok_encode(tok, prompt, strlen(prompt), CR_TOK_ADD_BOS, &ids) || !ids.len) {
		g->errors++;
		goto out;
	}
	do { /* at least once, however slow the build (sanitizers) */
		cr_ctx_truncate(ctx, 0);
		const float *lg = NULL;
		int n = (int)(ids.len / sizeof(cr_token_id));
		if (cr_ctx_decode(ctx, (const cr_token_id *)ids.data, n, 0, &lg, &m)) {
			g->errors++;
			break;
		}
		for (int i = 0; i < 16 && cr_ctx_pos(ctx) < 64 && (!i || cr_now() < g->sh->until); i++) {
			cr_token_id best = 0;
			for (int v = 1; v < n_vocab; v++)
				if (lg[v] > lg[best])
					best = v;
			if (best < 0 || best >= n_vocab || cr_ctx_decode(ctx, &best, 1, 0, &lg, &m)) {
				g->errors++;
				break;
			}
			g->tokens++;
		}
		g->runs++;
	} while (cr_now() < g->sh->until);
out:
	cr_buf_release(&ids);
	cr_ctx_free(ctx);
	cr_pool_free(pool);
	return NULL;
}

/* Makes the random-weight model; 0 when the tool or the vocabulary is missing. */
static int make_model(void)
{
	const char *build = getenv("CR_BUILD_DIR"), *shared_dir = getenv("CR_SHARED_DATA");
	char gen[512], vocab[512], cmd[2048];
	snprintf(gen, sizeof gen, "%s/tools/gen_model", build ? build : ".");
	snprintf(vocab, sizeof vocab, "%s/gguf-vocab/ggml-vocab-llama-spm.gguf", shared_dir ? shared_dir : "");
	if (access(gen, X_OK) || access(vocab, R_OK)) {
		fprintf(stderr, "test_stress: no %s or %s: no generating threads\n", gen, vocab);
		return 0;
	}
	snprintf(model_path, sizeof model_path, "%s/tiny.gguf", tmp);
	snprintf(cmd, sizeof cmd, "'%s' --arch llama --shape tiny --type q8_0 --vocab '%s' --out '%s' --seed 3 >/dev/null",
		 gen, vocab, model_path);
	assert_int_equal(system(cmd), 0);
	return 1;
}

static void test_stress(void **st)
{
	snprintf(tmp, sizeof tmp, "/tmp/cr_test_stress.XXXXXX");
	assert_non_null(mkdtemp(tmp));
	snprintf(tree, sizeof tree, "%s/docs", tmp);
	snprintf(data, sizeof data, "%s/data", tmp);
	snprintf(jsonl, sizeof jsonl, "%s/docs.jsonl", tmp);
	char p[400];
	snprintf(p, sizeof p, "%s/fixed", tree);
	assert_int_equal(cr_mkdirs(p, NULL), CR_OK);
	snprintf(p, sizeof p, "%s/churn", tree);
	assert_int_equal(cr_mkdirs(p, NULL), CR_OK);
	for (int i = 0; i < N_FIXED; i++) {
		char text[256];
		snprintf(p, sizeof p, "%s/%s", tree, FIXED[i][1] + strlen("docs/"));
		snprintf(text, sizeof text, "A fixed document about the %s, which stays all along.\n", FIXED[i][0]);
		write_text(p, text);
	}
	shared sh = {0};
	atomic_init(&sh.rounds_done, 0);
	cr_msg m = {{0}};
	assert_int_equal(cr_corpus_open(data, 1, &sh.c, &m), CR_OK);
	const char *paths[] = {tree};
	cr_ingest_report rep;
	assert_int_equal(cr_corpus_ingest(sh.c, paths, 1, NULL, &rep, &m), CR_OK);
	assert_int_equal(rep.ingested, N_FIXED);
	int have_model = make_model();
	if (have_model) {
		cr_err e = cr_model_load(model_path, &sh.md, &m);
		if (e)
			print_message("model: %s\n", m.text);
		assert_int_equal(e, CR_OK);
	}
	const char *secs = getenv("CR_STRESS_SECONDS");
	double seconds = secs && atof(secs) > 0 ? atof(secs) : 3.0;
	sh.until = cr_now() + seconds;

	searcher s[N_SEARCH];
	generator g[N_GEN];
	ingester in = {.sh = &sh};
	pthread_t ts[N_SEARCH], tg[N_GEN], ti;
	for (int i = 0; i < N_SEARCH; i++) {
		s[i] = (searcher){.sh = &sh};
		assert_int_equal(pthread_create(&ts[i], NULL, search_thread, &s[i]), 0);
	}
	for (int i = 0; i < N_GEN && have_model; i++) {
		g[i] = (generator){.sh = &sh};
		assert_int_equal(pthread_create(&tg[i], NULL, gen_thread, &g[i]), 0);
	}
	assert_int_equal(pthread_create(&ti, NULL, ingest_thread, &in), 0);

	/* every thread joined before any assertion can leave this frame */
	pthread_join(ti, NULL);
	for (int i = 0; i < N_SEARCH; i++)
		pthread_join(ts[i], NULL);
	for (int i = 0; i < N_GEN && have_model; i++)
		pthread_join(tg[i], NULL);
	double took = cr_now() - (sh.until - seconds);
	int searches = 0;
	for (int i = 0; i < N_SEARCH; i++) {
		assert_int_equal(s[i].errors, 0);
		assert_true(s[i].searches > 0);
		searches += s[i].searches;
	}
	uint64_t tokens = 0;
	for (int i = 0; i < N_GEN && have_model; i++) {
		assert_int_equal(g[i].errors, 0);
		assert_true(g[i].tokens > 0);
		tokens += g[i].tokens;
	}
	assert_int_equal(in.errors, 0);
	assert_true(in.rounds > 0);
	fprintf(stderr, "test_stress: %.1f s: %d searches on %d threads, %d ingest rounds (%llu files), %llu tokens on %d threads\n",
		took, searches, N_SEARCH, in.rounds, (unsigned long long)in.files, (unsigned long long)tokens,
		have_model ? N_GEN : 0);

	/* afterwards, every round's documents are there, once */
	cr_arena a;
	cr_arena_init(&a, 0);
	searcher check = {.sh = &sh};
	for (int r = 0; r < in.rounds; r++) {
		char w[32], doc[64];
		round_word('f', r, w);
		snprintf(doc, sizeof doc, "docs/churn/r%d.txt", r);
		assert_true(expect_one(&check, &a, w, doc));
		round_word('j', r, w);
		snprintf(doc, sizeof doc, "j%d", r);
		assert_true(expect_one(&check, &a, w, doc));
		cr_arena_release(&a);
	}
	assert_true(expect_one(&check, &a, "marmalade", "docs/fixed/b.md"));
	cr_arena_release(&a);
	cr_model_free(sh.md);
	cr_corpus_close(sh.c);
	snprintf(p, sizeof p, "rm -rf %s", tmp);
	assert_int_equal(system(p), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stress),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
