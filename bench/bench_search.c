/*
 * bench_search.c — Cristal's index against SQLite FTS5 and Xapian on the same
 * text, in one run (scripts/bench-search.sh prepares the corpora).
 *
 *   bench_search CORPUS.tsv QUERIES.txt [--runs N] [--index-runs N]
 *                [--engines cristal,fts5,xapian] [--work DIR] [--merge 0|1]
 *                [--threads N] [--xapian-index-runs N]
 *
 * CORPUS.tsv: one document per line, "title TAB body". QUERIES.txt: one query
 * per line, 1-3 plain words, searched as OR of the words, top 10 by each
 * engine's BM25 (ours: BM25F title+body; FTS5: bm25() over title and body
 * with tokenize='porter unicode61'; Xapian: BM25Weight, English stemmer).
 *
 * Every engine runs in its own forked process, which streams the corpus
 * from the file (so the corpus is not in its RSS), builds its index in a
 * fresh directory, and reports: indexing throughput (text bytes / seconds,
 * commit and fsync included), index size on disk, peak RSS (getrusage) of
 * the indexing process (while indexing, and after the merge/optimize step),
 * and top-10 latency p50/p95 over the query set
 * (after a warm-up pass; --runs passes, each giving a p50 and a p95, the
 * medians of which are printed). --index-runs repeats indexing and prints
 * the median throughput. Each figure is printed as ours | peer | ratio.
 * Our writer analyzes on one thread per core (--threads N to change it);
 * FTS5 and Xapian index on one thread. "index CPU s" is the indexing
 * process's user+system time, steadier than wall time on a shared machine.
 */
#define _GNU_SOURCE
#include "cristal/index.h"

#include <dirent.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef CR_HAVE_XAPIAN
/* bench_search_xapian.cc */
void *bx_open(const char *dir);
int bx_add(void *h, const char *title, size_t tl, const char *body, size_t bl);
int bx_commit(void *h);
void bx_close(void *h);
void *bx_open_read(const char *dir);
int bx_search(void *h, const char *q, int k);
#endif

typedef struct result {
	int ok;
	double index_s, index_mb_s;
	double bytes;
	long n_docs;
	double size_mb;
	double rss_mb;       /* peak, after merge/optimize */
	double rss_index_mb; /* peak while indexing */
	double cpu_s;
	double merge_s;
	double p50, p95; /* microseconds, medians over runs */
	double avg_hits;
} result;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double dir_size(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	double tot = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char p[4096];
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		struct stat st;
		if (stat(p, &st) == 0) {
			if (S_ISDIR(st.st_mode))
				tot += dir_size(p);
			else
				tot += (double)st.st_size;
		}
	}
	closedir(d);
	return tot;
}

static void rm_rf(const char *dir)
{
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench: cannot remove %s\n", dir);
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof *v, cmp_d);
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);
	return v[i];
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- the corpus, streamed ---- */
typedef int (*doc_fn)(void *ctx, long i, const char *title, size_t tl, const char *body, size_t bl);

static int each_doc(const char *path, doc_fn fn, void *ctx, double *bytes)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long i = 0;
	*bytes = 0;
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = 0;
		char *tab = memchr(line, '\t', (size_t)n);
		const char *title = "", *body = line;
		size_t tl = 0, bl = (size_t)n;
		if (tab) {
			*tab = 0;
			title = line;
			tl = (size_t)(tab - line);
			body = tab + 1;
			bl = (size_t)n - tl - 1;
		}
		*bytes += (double)(tl + bl);
		if (fn(ctx, i++, title, tl, body, bl)) {
			free(line);
			fclose(f);
			return -1;
		}
	}
	free(line);
	fclose(f);
	return (int)(i > 0 ? 0 : -1);
}

static int g_threads = 0; /* cristal's writer threads: 0 = one per core */
static char **g_queries;
static size_t g_nq;

static void load_queries(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "bench: cannot open %s\n", path);
		exit(2);
	}
	char *line = NULL;
	size_t cap = 0, alloc = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, f)) > 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = 0;
		if (!n)
			continue;
		if (g_nq == alloc) {
			alloc = alloc ? alloc * 2 : 256;
			g_queries = realloc(g_queries, alloc * sizeof *g_queries);
		}
		g_queries[g_nq++] = strdup(line);
	}
	free(line);
	fclose(f);
}

/* Runs fn over all queries `runs` times after a warm-up; fills p50/p95. */
typedef int (*query_fn)(void *ctx, const char *q);
static void time_queries(query_fn fn, void *ctx, int runs, result *r)
{
	double *lat = malloc(g_nq * sizeof *lat), p50[64], p95[64];
	long hits = 0;
	for (size_t i = 0; i < g_nq; i++)
		hits += fn(ctx, g_queries[i]); /* warm-up */
	if (runs > 64)
		runs = 64;
	for (int run = 0; run < runs; run++) {
		for (size_t i = 0; i < g_nq; i++) {
			double t = now();
			fn(ctx, g_queries[i]);
			lat[i] = (now() - t) * 1e6;
		}
		p50[run] = pct(lat, g_nq, 0.50);
		p95[run] = pct(lat, g_nq, 0.95);
	}
	r->p50 = median(p50, runs);
	r->p95 = median(p95, runs);
	r->avg_hits = g_nq ? (double)hits / (double)g_nq : 0;
	free(lat);
}

/* ---- cristal ---- */
typedef struct cctx {
	cr_index *ix;
	cr_index_writer *w;
	cr_analyzer *an;
} cctx;

static int c_add(void *ctx, long i, const char *title, size_t tl, const char *body, size_t bl)
{
	cctx *c = ctx;
	cr_entry_attrs at = {.id = (uint64_t)i + 1, .doc_key = (uint64_t)i + 1, .doc = "bench", .type = "txt"};
	return cr_index_writer_add(c->w, &at, title, tl, body, bl) != CR_OK;
}

static int c_query(void *ctx, const char *q)
{
	cctx *c = ctx;
	cr_results r;
	cr_search_opts o = {.k = 10};
	if (cr_index_search(c->ix, c->an, q, &o, &r, NULL) != CR_OK)
		return 0;
	int n = (int)r.n;
	cr_results_release(&r);
	return n;
}

static int run_cristal(const char *corpus, const char *dir, int do_merge, int runs, result *r)
{
	cctx c = {0};
	cr_msg m = {{0}};
	cr_analyzer_opts ao = cr_analyzer_opts_default();
	if (cr_analyzer_new(&ao, &c.an, &m) || cr_index_open(dir, &c.ix, &m) || cr_index_writer_new(c.ix, c.an, &c.w, &m) ||
	    cr_index_writer_set_threads(c.w, g_threads, &ao, &m)) {
		fprintf(stderr, "cristal: %s\n", m.text);
		return -1;
	}
	double t = now();
	if (each_doc(corpus, c_add, &c, &r->bytes) || cr_index_writer_commit(c.w, &m)) {
		fprintf(stderr, "cristal: indexing failed: %s\n", m.text);
		return -1;
	}
	r->index_s = now() - t;
	cr_index_writer_free(c.w);
	struct rusage ru0;
	getrusage(RUSAGE_SELF, &ru0);
	r->rss_index_mb = ru0.ru_maxrss / 1024.0;
	r->cpu_s = ru0.ru_utime.tv_sec + ru0.ru_utime.tv_usec * 1e-6 + ru0.ru_stime.tv_sec + ru0.ru_stime.tv_usec * 1e-6;
	if (do_merge) {
		t = now();
		if (cr_index_merge(c.ix, &m)) {
			fprintf(stderr, "cristal: merge failed: %s\n", m.text);
			return -1;
		}
		r->merge_s = now() - t;
	}
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	r->rss_mb = ru.ru_maxrss / 1024.0;
	if (!r->cpu_s)
		r->cpu_s = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
	if (!r->rss_index_mb)
		r->rss_index_mb = r->rss_mb;
	r->size_mb = dir_size(dir) / 1e6;
	cr_index_stats st;
	cr_index_get_stats(c.ix, &st);
	r->n_docs = (long)st.n_entries;
	if (runs > 0)
		time_queries(c_query, &c, runs, r);
	cr_index_close(c.ix);
	cr_analyzer_free(c.an);
	return 0;
}

/* ---- SQLite FTS5 ---- */
typedef struct fctx {
	sqlite3 *db;
	sqlite3_stmt *ins, *q;
	char *buf;
	size_t cap;
} fctx;

static int f_add(void *ctx, long i, const char *title, size_t tl, const char *body, size_t bl)
{
	fctx *f = ctx;
	sqlite3_bind_text(f->ins, 1, title, (int)tl, SQLITE_STATIC);
	sqlite3_bind_text(f->ins, 2, body, (int)bl, SQLITE_STATIC);
	int rc = sqlite3_step(f->ins);
	sqlite3_reset(f->ins);
	return rc != SQLITE_DONE;
}

static int f_query(void *ctx, const char *q)
{
	fctx *f = ctx;
	/* "w1" OR "w2" OR "w3": each word quoted, so nothing is FTS5 syntax */
	size_t need = strlen(q) * 2 + 64;
	if (need > f->cap) {
		f->cap = need * 2;
		f->buf = realloc(f->buf, f->cap);
	}
	size_t o = 0;
	const char *p = q;
	while (*p) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		if (o)
			o += (size_t)sprintf(f->buf + o, " OR ");
		f->buf[o++] = '"';
		while (*p && *p != ' ') {
			if (*p != '"')
				f->buf[o++] = *p;
			p++;
		}
		f->buf[o++] = '"';
	}
	f->buf[o] = 0;
	sqlite3_bind_text(f->q, 1, f->buf, (int)o, SQLITE_STATIC);
	int n = 0;
	while (sqlite3_step(f->q) == SQLITE_ROW)
		n++;
	sqlite3_reset(f->q);
	return n;
}

static int run_fts5(const char *corpus, const char *dir, int do_merge, int runs, result *r)
{
	fctx f = {0};
	char path[4200];
	mkdir(dir, 0755);
	snprintf(path, sizeof path, "%s/fts.db", dir);
	if (sqlite3_open(path, &f.db) != SQLITE_OK)
		return -1;
	char *err = NULL;
	if (sqlite3_exec(f.db,
			 "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
			 "CREATE VIRTUAL TABLE docs USING fts5(title, body, tokenize='porter unicode61');",
			 NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "fts5: %s\n", err);
		return -1;
	}
	double t = now();
	sqlite3_exec(f.db, "BEGIN", NULL, NULL, NULL);
	sqlite3_prepare_v2(f.db, "INSERT INTO docs(title, body) VALUES (?, ?)", -1, &f.ins, NULL);
	if (each_doc(corpus, f_add, &f, &r->bytes)) {
		fprintf(stderr, "fts5: indexing failed: %s\n", sqlite3_errmsg(f.db));
		return -1;
	}
	sqlite3_finalize(f.ins);
	sqlite3_exec(f.db, "COMMIT", NULL, NULL, NULL);
	sqlite3_exec(f.db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	r->index_s = now() - t;
	struct rusage ru0;
	getrusage(RUSAGE_SELF, &ru0);
	r->rss_index_mb = ru0.ru_maxrss / 1024.0;
	r->cpu_s = ru0.ru_utime.tv_sec + ru0.ru_utime.tv_usec * 1e-6 + ru0.ru_stime.tv_sec + ru0.ru_stime.tv_usec * 1e-6;
	if (do_merge) {
		t = now();
		sqlite3_exec(f.db, "INSERT INTO docs(docs) VALUES('optimize'); PRAGMA wal_checkpoint(TRUNCATE);", NULL,
			     NULL, NULL);
		r->merge_s = now() - t;
	}
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	r->rss_mb = ru.ru_maxrss / 1024.0;
	if (!r->cpu_s)
		r->cpu_s = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
	if (!r->rss_index_mb)
		r->rss_index_mb = r->rss_mb;
	r->size_mb = dir_size(dir) / 1e6;
	sqlite3_stmt *cnt;
	sqlite3_prepare_v2(f.db, "SELECT count(*) FROM docs", -1, &cnt, NULL);
	if (sqlite3_step(cnt) == SQLITE_ROW)
		r->n_docs = sqlite3_column_int64(cnt, 0);
	sqlite3_finalize(cnt);
	sqlite3_prepare_v2(f.db, "SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY rank LIMIT 10", -1, &f.q, NULL);
	if (runs > 0)
		time_queries(f_query, &f, runs, r);
	sqlite3_finalize(f.q);
	sqlite3_close(f.db);
	free(f.buf);
	return 0;
}

#ifdef CR_HAVE_XAPIAN
static int x_add(void *ctx, long i, const char *title, size_t tl, const char *body, size_t bl)
{
	return bx_add(ctx, title, tl, body, bl);
}

static int x_query(void *ctx, const char *q)
{
	return bx_search(ctx, q, 10);
}

static int run_xapian(const char *corpus, const char *dir, int do_merge, int runs, result *r)
{
	void *h = bx_open(dir);
	if (!h)
		return -1;
	double t = now();
	if (each_doc(corpus, x_add, h, &r->bytes) || bx_commit(h))
		return -1;
	bx_close(h);
	r->index_s = now() - t;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	r->rss_mb = ru.ru_maxrss / 1024.0;
	if (!r->cpu_s)
		r->cpu_s = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
	if (!r->rss_index_mb)
		r->rss_index_mb = r->rss_mb;
	r->size_mb = dir_size(dir) / 1e6;
	h = bx_open_read(dir);
	if (!h)
		return -1;
	if (runs > 0)
		time_queries(x_query, h, runs, r);
	bx_close(h);
	return 0;
}
#endif

typedef int (*engine_fn)(const char *corpus, const char *dir, int do_merge, int runs, result *r);

/* Runs one engine in a child process; its result comes back through a pipe. */
static int in_child(engine_fn fn, const char *corpus, const char *dir, int do_merge, int runs, result *r)
{
	int fds[2];
	if (pipe(fds))
		return -1;
	rm_rf(dir);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(fds[0]);
		result cr = {0};
		cr.ok = fn(corpus, dir, do_merge, runs, &cr) == 0;
		if (cr.index_s > 0)
			cr.index_mb_s = cr.bytes / 1e6 / cr.index_s;
		ssize_t w = write(fds[1], &cr, sizeof cr);
		_exit(w == (ssize_t)sizeof cr ? 0 : 1);
	}
	close(fds[1]);
	memset(r, 0, sizeof *r);
	ssize_t got = read(fds[0], r, sizeof *r);
	close(fds[0]);
	int st;
	waitpid(pid, &st, 0);
	rm_rf(dir);
	return got == (ssize_t)sizeof *r && r->ok ? 0 : -1;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench_search CORPUS.tsv QUERIES.txt [--runs N] [--index-runs N] "
				"[--engines cristal,fts5,xapian] [--work DIR] [--merge 0|1]\n");
		return 2;
	}
	const char *corpus = argv[1];
	int runs = 5, index_runs = 1, do_merge = 1, xapian_runs = -1;
	const char *engines = "cristal,fts5,xapian", *work = "/tmp/cr_bench_search";
	for (int i = 3; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--runs"))
			runs = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--index-runs"))
			index_runs = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--engines"))
			engines = argv[i + 1];
		else if (!strcmp(argv[i], "--work"))
			work = argv[i + 1];
		else if (!strcmp(argv[i], "--merge"))
			do_merge = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--threads"))
			g_threads = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--xapian-index-runs"))
			xapian_runs = atoi(argv[i + 1]);
	}
	load_queries(argv[2]);
	mkdir(work, 0755);
	struct {
		const char *name;
		engine_fn fn;
	} all[] = {
		{"cristal", run_cristal},
		{"fts5", run_fts5},
#ifdef CR_HAVE_XAPIAN
		{"xapian", run_xapian},
#endif
	};
	result res[3];
	const char *names[3];
	int n = 0;
	for (size_t e = 0; e < sizeof all / sizeof all[0]; e++) {
		if (!strstr(engines, all[e].name))
			continue;
		char dir[4096];
		snprintf(dir, sizeof dir, "%s/%s", work, all[e].name);
		double mbs[16];
		int k = index_runs < 1 ? 1 : index_runs > 16 ? 16 : index_runs;
		if (!strcmp(all[e].name, "xapian") && xapian_runs > 0)
			k = xapian_runs < 16 ? xapian_runs : 16; /* Xapian indexes slowly here */
		result r;
		for (int i = 0; i < k; i++) {
			/* queries only on the last indexing run */
			if (in_child(all[e].fn, corpus, dir, do_merge, i == k - 1 ? runs : 0, &r)) {
				fprintf(stderr, "bench: %s failed\n", all[e].name);
				break;
			}
			mbs[i] = r.index_mb_s;
			fprintf(stderr, "  %s: run %d: %.1f MB/s\n", all[e].name, i + 1, r.index_mb_s);
			if (i == k - 1)
				r.index_mb_s = median(mbs, k);
		}
		if (!r.ok)
			continue;
		res[n] = r;
		names[n] = all[e].name;
		n++;
	}
	if (!n)
		return 1;
	printf("corpus %s: %.1f MB, %ld docs; %zu queries x %d runs (after a warm-up); merge/optimize %s\n", corpus,
	       res[0].bytes / 1e6, res[0].n_docs, g_nq, runs, do_merge ? "on" : "off");
	printf("%-22s", "");
	for (int i = 0; i < n; i++)
		printf(" %12s", names[i]);
	for (int i = 1; i < n; i++)
		printf("   %s/%s", names[0], names[i]);
	printf("\n");
#define ROW(label, field, fmt)                                                         \
	do {                                                                           \
		printf("%-22s", label);                                                \
		for (int i = 0; i < n; i++)                                            \
			printf(" %12" fmt, res[i].field);                              \
		for (int i = 1; i < n; i++)                                            \
			printf("   %*.2fx", (int)(strlen(names[0]) + strlen(names[i])), \
			       res[i].field > 0 ? res[0].field / res[i].field : 0.0);  \
		printf("\n");                                                          \
	} while (0)
	ROW("index MB/s (median)", index_mb_s, ".1f");
	ROW("index seconds", index_s, ".2f");
	ROW("index CPU s", cpu_s, ".2f");
	ROW("merge/optimize s", merge_s, ".2f");
	ROW("index size MB", size_mb, ".1f");
	ROW("peak RSS index MB", rss_index_mb, ".1f");
	ROW("peak RSS +merge MB", rss_mb, ".1f");
	ROW("query p50 us", p50, ".0f");
	ROW("query p95 us", p95, ".0f");
	ROW("avg hits/query", avg_hits, ".1f");
	return 0;
}
