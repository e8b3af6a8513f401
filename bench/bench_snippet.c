/*
 * bench_snippet.c — time of one Japanese snippet (cr_snippet) on passages
 * the size the chunker makes.
 *
 *   bench_snippet [DATASET_DIR] [N_QUERIES]
 *
 * DATASET_DIR (default $CR_SHARED_DATA/ja-jsquad/retrieval, else
 * /work/shared/data/...) is in BEIR layout. Consecutive paragraphs of one
 * article are joined into passages of up to ~1,200 characters (the
 * chunker's size), indexed, and the first N_QUERIES questions (default
 * 1,000) are searched for their 10 best passages; each hit's snippet (200
 * characters, «» marks) is timed on its own. Prints the median, 90th
 * percentile and maximum per snippet in ms (CPU time of the thread), and the
 * passages' mean size.
 * No peer: SQLite FTS5's snippet() needs its trigram tokenizer for Japanese,
 * which cannot match the two-character words most questions hold.
 */
#include "cristal/index.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* CPU time of this thread: the machine is shared, wall time would count other work. */
static double cpu_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	char dir[2048], path[4096];
	const char *data = getenv("CR_SHARED_DATA");
	if (argc > 1)
		snprintf(dir, sizeof dir, "%s", argv[1]);
	else
		snprintf(dir, sizeof dir, "%s/ja-jsquad/retrieval", data ? data : "/work/shared/data");
	int n_q = argc > 2 ? atoi(argv[2]) : 1000;
	char tmp[] = "/tmp/cr_bench_snippet_XXXXXX";
	if (!mkdtemp(tmp))
		return 2;
	cr_msg m = {{0}};
	cr_analyzer *an = NULL;
	cr_index *ix = NULL;
	cr_index_writer *w = NULL;
	if (cr_analyzer_new(NULL, &an, &m) || cr_index_open(tmp, &ix, &m) || cr_index_writer_new(ix, an, &w, &m)) {
		fprintf(stderr, "bench_snippet: %s\n", m.text);
		return 2;
	}
	/* passages: paragraphs of one title joined up to ~3,600 bytes (~1,200 characters) */
	snprintf(path, sizeof path, "%s/corpus.jsonl", dir);
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "bench_snippet: cannot open %s\n", path);
		return 2;
	}
	char **texts = NULL, *line = NULL, title[1024] = "";
	size_t n_t = 0, cap_t = 0, cap = 0, bytes = 0;
	cr_buf cur;
	cr_buf_init(&cur, 0);
	for (int more = 1; more;) {
		more = getline(&line, &cap, f) > 0;
		json_t *j = more ? json_loads(line, 0, NULL) : NULL;
		const char *t = j ? json_string_value(json_object_get(j, "title")) : NULL;
		const char *x = j ? json_string_value(json_object_get(j, "text")) : NULL;
		if (more && (!t || !x)) {
			json_decref(j);
			continue;
		}
		if (cur.len && (!more || strcmp(t, title) || cur.len + strlen(x) > 3600)) {
			if (n_t == cap_t) {
				cap_t = cap_t ? 2 * cap_t : 1024;
				texts = realloc(texts, cap_t * sizeof *texts);
			}
			texts[n_t] = strndup(cur.data, cur.len);
			cr_entry_attrs at = {.id = n_t + 1, .doc_key = n_t + 1, .doc = "p", .type = "txt"};
			if (cr_index_writer_add(w, &at, title, strlen(title), cur.data, cur.len)) {
				fprintf(stderr, "bench_snippet: indexing failed\n");
				return 2;
			}
			bytes += cur.len;
			n_t++;
			cur.len = 0;
		}
		if (more) {
			snprintf(title, sizeof title, "%s", t);
			if (cur.len)
				CR_IGNORE(cr_buf_add(&cur, "\n", 1));
			CR_IGNORE(cr_buf_add(&cur, x, strlen(x)));
		}
		json_decref(j);
	}
	fclose(f);
	if (cr_index_writer_commit(w, &m)) {
		fprintf(stderr, "bench_snippet: %s\n", m.text);
		return 2;
	}
	cr_index_writer_free(w);
	/* queries */
	snprintf(path, sizeof path, "%s/queries.jsonl", dir);
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "bench_snippet: cannot open %s\n", path);
		return 2;
	}
	double *ts = malloc((size_t)n_q * 10 * sizeof *ts);
	size_t n_ts = 0;
	int q = 0;
	cr_buf out;
	cr_buf_init(&out, 0);
	while (q < n_q && getline(&line, &cap, f) > 0) {
		json_t *j = json_loads(line, 0, NULL);
		const char *x = j ? json_string_value(json_object_get(j, "text")) : NULL;
		if (!x) {
			json_decref(j);
			continue;
		}
		char *qs = strdup(x);
		for (char *p = qs; *p; p++)
			if (strchr("\"+-*:", *p))
				*p = ' ';
		cr_search_opts so = {.k = 10};
		cr_results r;
		if (cr_index_search(ix, an, qs, &so, &r, &m) == CR_OK) {
			for (size_t h = 0; h < r.n; h++) {
				const char *t = texts[r.hits[h].id - 1];
				out.len = 0;
				double t0 = cpu_now();
				cr_err e = cr_snippet(an, &r, t, strlen(t), 200, "\xc2\xab", "\xc2\xbb", &out);
				double t1 = cpu_now();
				if (e) {
					fprintf(stderr, "bench_snippet: %s\n", cr_strerror(e));
					return 1;
				}
				ts[n_ts++] = (t1 - t0) * 1e3;
			}
			cr_results_release(&r);
		}
		free(qs);
		json_decref(j);
		q++;
	}
	fclose(f);
	if (!n_ts) {
		fprintf(stderr, "bench_snippet: no snippets\n");
		return 1;
	}
	qsort(ts, n_ts, sizeof *ts, cmp_d);
	printf("Japanese snippets (JSQuAD): %d questions, %zu snippets over %zu passages of %.0f bytes on average\n", q,
	       n_ts, n_t, (double)bytes / (double)n_t);
	printf("per snippet (CPU): median %.3f ms, p90 %.3f ms, max %.3f ms (target: median under 5 ms: %.0fx under)\n",
	       ts[n_ts / 2], ts[n_ts * 9 / 10], ts[n_ts - 1], 5.0 / ts[n_ts / 2]);
	for (size_t i = 0; i < n_t; i++)
		free(texts[i]);
	free(texts);
	free(ts);
	free(line);
	cr_buf_release(&out);
	cr_buf_release(&cur);
	cr_index_close(ix);
	cr_analyzer_free(an);
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
	return system(cmd) == 0 ? 0 : 1;
}
