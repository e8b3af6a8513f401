/*
 * bench_analyzer.c — throughput of the text analyzer on real corpora,
 * beside SQLite FTS5's tokenizers run over the same documents in the same
 * process (the peer): "porter unicode61" for English (case fold, diacritic
 * removal, Porter stemming), "unicode61" for Japanese (it does not segment
 * CJK at all, so it is a floor, not a like-for-like peer).
 *
 *   bench_analyzer [english.jsonl] [japanese.jsonl] [reps]
 *
 * Defaults: $CR_SHARED_DATA (or /work/shared/data) ir-scifact/corpus.jsonl
 * and ja-jsquad/retrieval/corpus.jsonl, 5 repetitions. Each document's title
 * and text are analyzed as two calls, as the index writer does. "fresh":
 * each repetition creates its analyzer (stemming the whole vocabulary once
 * is included); "warm": one analyzer whose stem cache has seen the corpus,
 * as in a long indexing run. Figures are medians over the repetitions, in
 * MB of input text per second of the thread's CPU time; one thread.
 */
#include <jansson.h>
#include <time.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cristal/text.h"

typedef struct span {
	size_t off, len;
} span;

typedef struct corpus {
	char *buf;
	size_t len, cap;
	span *v;
	size_t n, n_cap;
	size_t bytes;
} corpus;

static void add(corpus *c, const char *s, size_t n)
{
	if (c->len + n + 1 > c->cap) {
		c->cap = (c->len + n + 1) * 2;
		c->buf = realloc(c->buf, c->cap);
	}
	if (c->n == c->n_cap) {
		c->n_cap = c->n_cap ? c->n_cap * 2 : 1024;
		c->v = realloc(c->v, c->n_cap * sizeof *c->v);
	}
	if (!c->buf || !c->v) {
		fprintf(stderr, "bench: out of memory\n");
		exit(1);
	}
	memcpy(c->buf + c->len, s, n);
	c->v[c->n].off = c->len;
	c->v[c->n].len = n;
	c->n++;
	c->len += n;
	c->buf[c->len++] = 0;
	c->bytes += n;
}

static int load(const char *path, corpus *c)
{
	memset(c, 0, sizeof *c);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	while ((got = getline(&line, &cap, f)) > 0) {
		json_t *j = json_loadb(line, (size_t)got, 0, NULL);
		if (!j)
			continue;
		const char *fields[] = {"title", "text"};
		for (int k = 0; k < 2; k++) {
			json_t *s = json_object_get(j, fields[k]);
			if (json_is_string(s) && json_string_length(s))
				add(c, json_string_value(s), json_string_length(s));
		}
		json_decref(j);
	}
	free(line);
	fclose(f);
	return c->n ? 0 : -1;
}

static size_t sink;

/* Time is this thread's CPU time, not wall time: on a shared machine the
 * wall clock also counts the time other processes held the core. Both
 * sides are measured the same way. */
static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int count_tok(void *ctx, const cr_token *t)
{
	(*(size_t *)ctx)++;
	sink += t->len;
	return 0;
}

static cr_analyzer *warm; /* reused across repetitions when set */

static double run_ours(const corpus *c, const cr_analyzer_opts *o, size_t *n_tok)
{
	cr_analyzer *a = warm;
	cr_msg m;
	if (!a && cr_analyzer_new(o, &a, &m)) {
		fprintf(stderr, "bench: %s\n", m.text);
		exit(1);
	}
	*n_tok = 0;
	double t0 = cpu_now();
	for (size_t i = 0; i < c->n; i++)
		if (cr_analyze(a, c->buf + c->v[i].off, c->v[i].len, 0, count_tok, n_tok))
			exit(1);
	double t = cpu_now() - t0;
	if (a != warm)
		cr_analyzer_free(a);
	return c->bytes / t / 1e6;
}

static int fts_tok(void *ctx, int flags, const char *tok, int n, int s, int e)
{
	(*(size_t *)ctx)++;
	sink += (size_t)n;
	return SQLITE_OK;
}

static double run_fts5(const corpus *c, const char *name, const char *arg, size_t *n_tok)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	fts5_api *api = NULL;
	if (sqlite3_open(":memory:", &db) || sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL))
		return 0;
	sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
	sqlite3_step(st);
	sqlite3_finalize(st);
	void *uctx;
	fts5_tokenizer tk;
	Fts5Tokenizer *tok;
	const char *args[1] = {arg};
	if (!api || api->xFindTokenizer(api, name, &uctx, &tk) ||
	    tk.xCreate(uctx, args, arg ? 1 : 0, &tok)) {
		sqlite3_close(db);
		return 0;
	}
	*n_tok = 0;
	double t0 = cpu_now();
	for (size_t i = 0; i < c->n; i++)
		tk.xTokenize(tok, n_tok, FTS5_TOKENIZE_DOCUMENT, c->buf + c->v[i].off,
			     (int)c->v[i].len, fts_tok);
	double t = cpu_now() - t0;
	tk.xDelete(tok);
	sqlite3_close(db);
	return c->bytes / t / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

typedef double (*runner)(const corpus *, const void *, size_t *);

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_d);
	return v[n / 2];
}

static void bench(const char *label, const corpus *c, int reps, const cr_analyzer_opts *o,
		  const char *fts_name, const char *fts_arg)
{
	double ours[64], peer[64];
	size_t n_ours = 0, n_peer = 0;
	for (int r = 0; r < reps; r++) {
		ours[r] = run_ours(c, o, &n_ours);
		peer[r] = fts_name ? run_fts5(c, fts_name, fts_arg, &n_peer) : 0;
	}
	double mo = median(ours, reps), mp = fts_name ? median(peer, reps) : 0;
	printf("%-34s %8.1f MB/s  %9zu tokens", label, mo, n_ours);
	if (fts_name)
		printf("   | fts5 %s%s%s %8.1f MB/s %9zu tokens | ratio %.2fx",
		       fts_name, fts_arg ? " " : "", fts_arg ? fts_arg : "", mp, n_peer, mo / mp);
	printf("\n");
}

int main(int argc, char **argv)
{
	const char *data = getenv("CR_SHARED_DATA");
	if (!data)
		data = "/work/shared/data";
	char en[1024], ja[1024];
	snprintf(en, sizeof en, "%s/ir-scifact/corpus.jsonl", data);
	snprintf(ja, sizeof ja, "%s/ja-jsquad/retrieval/corpus.jsonl", data);
	const char *en_path = argc > 1 ? argv[1] : en;
	const char *ja_path = argc > 2 ? argv[2] : ja;
	int reps = argc > 3 ? atoi(argv[3]) : 5;
	if (reps < 1 || reps > 63)
		reps = 5;
	corpus ce, cj;
	if (load(en_path, &ce) || load(ja_path, &cj)) {
		fprintf(stderr, "bench_analyzer: cannot read %s or %s\n", en_path, ja_path);
		return 77;
	}
	printf("english: %s, %zu fields, %.1f MB; japanese: %s, %zu fields, %.2f MB; %d reps, medians\n",
	       en_path, ce.n, ce.bytes / 1e6, ja_path, cj.n, cj.bytes / 1e6, reps);
	cr_analyzer_opts def = cr_analyzer_opts_default();
	cr_analyzer_opts nostem = def;
	nostem.stem = 0;
	nostem.stopwords = 0;
	cr_analyzer_opts bigr = def;
	bigr.japanese = 0;
	bench("english, default, fresh analyzer", &ce, reps, &def, "porter", "unicode61");
	cr_analyzer_opts ww = def;
	if (cr_analyzer_new(&ww, &warm, NULL))
		return 1;
	size_t dummy;
	run_ours(&ce, &def, &dummy); /* fill the stem cache */
	bench("english, default, warm analyzer", &ce, reps, &def, "porter", "unicode61");
	cr_analyzer_free(warm);
	warm = NULL;
	bench("english, no stem/stopwords", &ce, reps, &nostem, "unicode61", NULL);
	bench("japanese, default (MeCab+bigrams)", &cj, reps, &def, "unicode61", NULL);
	bench("japanese, bigrams only", &cj, reps, &bigr, NULL, NULL);
	return sink == 42 ? 1 : 0;
}
