/*
 * ir_eval.c — retrieval quality of Cristal's index on a BEIR-layout data set.
 *
 *   ir_eval DIR [--k1 X] [--b Y] [--bt Y] [--wt W] [--min-ndcg F] [--runs FILE]
 *
 * DIR holds corpus.jsonl ({"_id","title","text"}), queries.jsonl ({"_id",
 * "text"}) and qrels/test.tsv (header, then query-id TAB corpus-id TAB score).
 * The corpus is indexed (title and text as the two BM25F fields) into a
 * temporary directory with the default analyzer, every query of the qrels
 * is searched for its top 100, and the standard trec_eval/BEIR measures are
 * printed, averaged over the judged queries:
 *   nDCG@10    = DCG@10 / IDCG@10, DCG = sum rel_i / log2(i + 1) (rank i from 1)
 *   Recall@100 = relevant retrieved in the top 100 / relevant judged (score > 0)
 * Query text is searched as plain words: the query syntax characters
 * (" + - * :) are replaced by spaces first. --min-ndcg makes the exit status
 * 1 when nDCG@10 falls below F (the quality test uses it).
 */
#include "cristal/index.h"

#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct qrel {
	char *qid, *did;
	int rel;
} qrel;

static char **g_doc_ids;
static size_t g_n_docs;

static char **g_qids;

static int cmp_qrel(const void *a, const void *b)
{
	const qrel *x = a, *y = b;
	int c = strcmp(x->qid, y->qid);
	return c ? c : (x < y ? -1 : 1);
}

static int cmp_qorder(const void *a, const void *b)
{
	return strcmp(g_qids[*(const size_t *)a], g_qids[*(const size_t *)b]);
}

static void rm_rf(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char p[4096];
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

static char *read_line(FILE *f, char **buf, size_t *cap)
{
	ssize_t n = getline(buf, cap, f);
	if (n < 0)
		return NULL;
	while (n > 0 && ((*buf)[n - 1] == '\n' || (*buf)[n - 1] == '\r'))
		(*buf)[--n] = 0;
	return *buf;
}

int main(int argc, char **argv)
{
	char **qids = NULL, **qtexts = NULL; /* freed at out: */
	size_t n_q = 0;
	if (argc < 2) {
		fprintf(stderr, "usage: ir_eval DIR [--k1 X] [--b Y] [--bt Y] [--wt W] [--min-ndcg F] [--runs FILE]\n");
		return 2;
	}
	const char *dir = argv[1];
	float k1 = -1, b = -1, bt = -1, wt = -1;
	double min_ndcg = -1;
	const char *runs_path = NULL;
	for (int i = 2; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--k1"))
			k1 = (float)atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--b"))
			b = (float)atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--bt"))
			bt = (float)atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--wt"))
			wt = (float)atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--min-ndcg"))
			min_ndcg = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--runs"))
			runs_path = argv[i + 1];
		else {
			fprintf(stderr, "ir_eval: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	char path[4096], tmp[] = "/tmp/cr_ir_eval_XXXXXX";
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 2;
	}
	cr_msg m = {{0}};
	cr_analyzer *an = NULL;
	cr_index *ix = NULL;
	cr_index_writer *w = NULL;
	int rc = 2;
	char *line = NULL;
	size_t cap = 0;
	cr_analyzer_opts ao = cr_analyzer_opts_default();
	if (cr_analyzer_new(&ao, &an, &m) || cr_index_open(tmp, &ix, &m) || cr_index_writer_new(ix, an, &w, &m) ||
	    cr_index_writer_set_threads(w, 0, &ao, &m)) {
		fprintf(stderr, "ir_eval: %s\n", m.text);
		goto out;
	}
	cr_index_set_bm25(ix, k1, b, bt, wt);
	/* corpus */
	snprintf(path, sizeof path, "%s/corpus.jsonl", dir);
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "ir_eval: cannot open %s\n", path);
		goto out;
	}
	size_t cap_docs = 0, bytes = 0;
	double t0 = cr_now();
	while (read_line(f, &line, &cap)) {
		if (!*line)
			continue;
		json_error_t je;
		json_t *j = json_loads(line, 0, &je);
		const char *id = j ? json_string_value(json_object_get(j, "_id")) : NULL;
		const char *title = j ? json_string_value(json_object_get(j, "title")) : NULL;
		const char *text = j ? json_string_value(json_object_get(j, "text")) : NULL;
		if (!id || !text) {
			fprintf(stderr, "ir_eval: %s: bad line %zu\n", path, g_n_docs + 1);
			json_decref(j);
			fclose(f);
			goto out;
		}
		if (g_n_docs == cap_docs) {
			cap_docs = cap_docs ? cap_docs * 2 : 1024;
			g_doc_ids = realloc(g_doc_ids, cap_docs * sizeof *g_doc_ids);
		}
		g_doc_ids[g_n_docs] = strdup(id);
		cr_entry_attrs at = {.id = g_n_docs + 1, .doc_key = g_n_docs + 1, .doc = id, .type = "txt"};
		size_t tl = title ? strlen(title) : 0, bl = strlen(text);
		bytes += tl + bl;
		if (cr_index_writer_add(w, &at, title, tl, text, bl)) {
			fprintf(stderr, "ir_eval: indexing failed\n");
			json_decref(j);
			fclose(f);
			goto out;
		}
		g_n_docs++;
		json_decref(j);
	}
	fclose(f);
	if (cr_index_writer_commit(w, &m)) {
		fprintf(stderr, "ir_eval: %s\n", m.text);
		goto out;
	}
	double t_index = cr_now() - t0;
	cr_index_writer_free(w);
	w = NULL;
	/* queries */
	snprintf(path, sizeof path, "%s/queries.jsonl", dir);
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "ir_eval: cannot open %s\n", path);
		goto out;
	}
	size_t cap_q = 0;
	while (read_line(f, &line, &cap)) {
		if (!*line)
			continue;
		json_t *j = json_loads(line, 0, NULL);
		const char *id = j ? json_string_value(json_object_get(j, "_id")) : NULL;
		const char *text = j ? json_string_value(json_object_get(j, "text")) : NULL;
		if (id && text) {
			if (n_q == cap_q) {
				cap_q = cap_q ? cap_q * 2 : 1024;
				qids = realloc(qids, cap_q * sizeof *qids);
				qtexts = realloc(qtexts, cap_q * sizeof *qtexts);
			}
			qids[n_q] = strdup(id);
			qtexts[n_q] = strdup(text);
			n_q++;
		}
		json_decref(j);
	}
	fclose(f);
	/* qrels */
	snprintf(path, sizeof path, "%s/qrels/test.tsv", dir);
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "ir_eval: cannot open %s\n", path);
		goto out;
	}
	qrel *qr = NULL;
	size_t n_qr = 0, cap_qr = 0;
	int first = 1;
	while (read_line(f, &line, &cap)) {
		char *a = strtok(line, "\t"), *bb = strtok(NULL, "\t"), *c = strtok(NULL, "\t");
		if (!a || !bb || !c)
			continue;
		if (first && !strcmp(a, "query-id")) {
			first = 0;
			continue;
		}
		first = 0;
		if (n_qr == cap_qr) {
			cap_qr = cap_qr ? cap_qr * 2 : 1024;
			qr = realloc(qr, cap_qr * sizeof *qr);
		}
		qr[n_qr].qid = strdup(a);
		qr[n_qr].did = strdup(bb);
		qr[n_qr].rel = atoi(c);
		n_qr++;
	}
	fclose(f);
	FILE *runs = runs_path ? fopen(runs_path, "w") : NULL;
	/* evaluate each judged query: qrels grouped by query id, queries by id */
	qsort(qr, n_qr, sizeof *qr, cmp_qrel);
	size_t *qorder = malloc((n_q ? n_q : 1) * sizeof *qorder);
	for (size_t j = 0; j < n_q; j++)
		qorder[j] = j;
	g_qids = qids;
	qsort(qorder, n_q, sizeof *qorder, cmp_qorder);
	double sum_ndcg = 0, sum_recall = 0, t_search = 0;
	size_t n_eval = 0;
	cr_search_opts so = {.k = 100, .per_doc = 0};
	for (size_t i = 0; i < n_qr;) {
		size_t e = i;
		while (e < n_qr && !strcmp(qr[e].qid, qr[i].qid))
			e++;
		const char *qt = NULL;
		size_t lo = 0, hi = n_q;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			int c = strcmp(qids[qorder[mid]], qr[i].qid);
			if (!c) {
				qt = qtexts[qorder[mid]];
				break;
			}
			if (c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (!qt) {
			i = e;
			continue;
		}
		char *q = strdup(qt);
		for (char *p = q; *p; p++)
			if (*p == '"' || *p == '+' || *p == '-' || *p == '*' || *p == ':')
				*p = ' ';
		cr_results r;
		double ts = cr_now();
		if (cr_index_search(ix, an, q, &so, &r, &m)) {
			fprintf(stderr, "ir_eval: query %s: %s\n", qr[i].qid, m.text);
			free(q);
			goto out;
		}
		t_search += cr_now() - ts;
		free(q);
		size_t n_pos = 0;
		for (size_t j = i; j < e; j++)
			n_pos += qr[j].rel > 0;
		double dcg = 0;
		size_t hit100 = 0;
		for (size_t h = 0; h < r.n; h++) {
			const char *did = g_doc_ids[r.hits[h].id - 1];
			int rel = 0;
			for (size_t j = i; j < e; j++)
				if (!strcmp(qr[j].did, did)) {
					rel = qr[j].rel;
					break;
				}
			if (h < 10)
				dcg += rel / log2((double)h + 2);
			if (rel > 0)
				hit100++;
			if (runs)
				fprintf(runs, "%s Q0 %s %zu %.6f cristal\n", qr[i].qid, did, h + 1, r.hits[h].score);
		}
		/* ideal DCG: judgements sorted by grade */
		int rels[64];
		size_t n_rel = 0;
		for (size_t j = i; j < e && n_rel < 64; j++)
			rels[n_rel++] = qr[j].rel;
		for (size_t a2 = 0; a2 < n_rel; a2++)
			for (size_t b2 = a2 + 1; b2 < n_rel; b2++)
				if (rels[b2] > rels[a2]) {
					int t = rels[a2];
					rels[a2] = rels[b2];
					rels[b2] = t;
				}
		double idcg = 0;
		for (size_t h = 0; h < n_rel && h < 10; h++)
			if (rels[h] > 0)
				idcg += rels[h] / log2((double)h + 2);
		sum_ndcg += idcg > 0 ? dcg / idcg : 0;
		sum_recall += n_pos ? (double)hit100 / (double)n_pos : 0;
		n_eval++;
		cr_results_release(&r);
		i = e;
	}
	if (runs)
		fclose(runs);
	double ndcg = n_eval ? sum_ndcg / (double)n_eval : 0, recall = n_eval ? sum_recall / (double)n_eval : 0;
	printf("docs %zu (%.1f MB) indexed in %.2f s; %zu queries, %.0f us/query\n", g_n_docs, bytes / 1e6, t_index,
	       n_eval, n_eval ? t_search / (double)n_eval * 1e6 : 0);
	printf("nDCG@10 %.4f\nRecall@100 %.4f\n", ndcg, recall);
	for (size_t j = 0; j < n_qr; j++) {
		free(qr[j].qid);
		free(qr[j].did);
	}
	free(qr);
	free(qorder);
	rc = 0;
	if (min_ndcg >= 0 && ndcg < min_ndcg) {
		fprintf(stderr, "ir_eval: nDCG@10 %.4f is below the floor %.4f\n", ndcg, min_ndcg);
		rc = 1;
	}
out:
	for (size_t j = 0; j < n_q; j++) {
		free(qids[j]);
		free(qtexts[j]);
	}
	free(qids);
	free(qtexts);
	cr_index_writer_free(w);
	cr_index_close(ix);
	cr_analyzer_free(an);
	rm_rf(tmp);
	free(line);
	return rc;
}
