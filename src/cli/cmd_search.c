/*
 * cmd_search.c — `cristal search`: one query from the command line, or a
 * file of queries (JSON Lines {"_id"|"id", "text"}) for evaluation.
 *
 * Output: numbered results (document, location, score, snippet with the
 * matched terms between « »), or with --json one object per query:
 *   {"query": ..., "results": [...]}            single query
 *   {"qid": ..., "results": [...]}              one line per --queries line
 * Each result: "doc" (JSONL id, or the path under the ingested root),
 * "title", "type", "score", "snippet", and the location fields that apply:
 * "page", "line" (first line), "line_end", "sheet", "slide", "speaker",
 * "time" (seconds), "heading", "symbol". In a spreadsheet (with "sheet")
 * the line range is a row range: "row" and "row_end" repeat it under that
 * name ("line"/"line_end" stay for compatibility), and the human output
 * says "rows 2-14".
 *
 * cli_search_run and cli_search_print are shared with cmd_shell.c.
 */
#include "cli.h"
#include "cristal/corpus.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

int cli_search_run(cr_corpus *cp, const char *query, int k, int json, const char *qid, int snippets);
static int plain, passages;
static cr_cli *the_cli;        /* NULL (the shell): BM25 */
static const char *mode_arg;  /* --mode; NULL: hybrid when vectors exist */

static void usage(FILE *f)
{
	fprintf(f, "usage: cristal [--data DIR] search [--json] [-k N] [--mode bm25|vector|hybrid] [--as USER] QUERY...\n"
		   "       cristal [--data DIR] search --json [-k N] --queries FILE\n\n"
		   "Search (BM25F, embeddings or both); the best passage of each document, with its location.\n"
		   "Query syntax: words, \"exact phrase\", prefix*, -excluded, +required,\n"
		   "type:pdf, path:docs/, date:2024-01-01..2024-06-30.\n"
		   "Put -- before a query that starts with '-'.\n\n"
		   "  -k N           results to return (default 10)\n"
		   "  --json         JSON output (one object per query)\n"
		   "  --queries FILE JSON Lines {\"_id\"|\"id\", \"text\"}; one output line {\"qid\",\"results\"} each\n"
		   "  --plain        read queries as plain words (\" + - * : are spaces), as for\n"
		   "                 natural-language questions and benchmark query sets\n"
		   "  --no-snippets  leave snippets out (faster evaluation runs)\n"
		   "  --as USER      as that catalog user: only documents it may read, its quotas\n"
		   "                 (over one: exit 1 naming the limit), its usage and audit\n"
		   "  --mode M       bm25, vector or hybrid (BM25 and vectors fused by reciprocal\n"
		   "                 rank); default hybrid when `cristal index vectors` has run,\n"
		   "                 else bm25. --json says \"mode\" when vector or hybrid ran\n"
		   "  --passages     rank passages: several per document, -term and +word of the\n"
		   "                 passage itself, identical files not folded into one result\n\n"
		   "Without --passages, -term leaves out documents that say term anywhere, +word\n"
		   "keeps those that say it anywhere, and copies of one file are one result\n"
		   "(\"also at\" lists the others). path:finance/ matches those path components\n"
		   "anywhere in the name; date: is the document's own date, else its file's.\n");
}

static void print_json(const cr_result *rs, size_t n, const char *key, const char *val, cr_search_mode mode)
{
	cr_buf b;
	cr_buf_init(&b, 0);
	if (cr_corpus_search_json(&b, mode, key, val, rs, n) || cr_buf_addc(&b, '\n'))
		cli_fail("search", "out of memory");
	else
		fwrite(b.data, 1, b.len, stdout); /* the server's bytes for the same search */
	cr_buf_release(&b);
}

/* A transcript's time is an offset into the recording (m:ss, h:mm:ss); a
 * chat message's is the time of day (hh:mm:ss), so 00:30 is not "30:00". */
static void print_time(double t, int clock)
{
	int s = (int)t;
	if (clock)
		printf("%02d:%02d:%02d", s / 3600 % 24, s / 60 % 60, s % 60);
	else if (s >= 3600)
		printf("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
	else
		printf("%d:%02d", s / 60, s % 60);
}

void cli_print_loc(const cr_loc *l, const char *type)
{
	if (l->page > 0)
		printf("  page %d", l->page);
	if (l->slide > 0)
		printf("  slide %d", l->slide);
	if (l->sheet) {
		printf("  sheet ");
		cli_put(stdout, l->sheet, 0);
	}
	if (l->line_start > 0) {
		const char *unit = l->sheet ? "row" : "line"; /* xlsx ranges are sheet rows */
		if (l->line_end > l->line_start)
			printf("  %ss %d-%d", unit, l->line_start, l->line_end);
		else
			printf("  %s %d", unit, l->line_start);
	}
	if (l->speaker) {
		printf("  ");
		cli_put(stdout, l->speaker, 0);
	}
	if (l->t_start >= 0) {
		printf("  at ");
		print_time(l->t_start, type && !strcmp(type, "chat"));
	}
	if (l->symbol) {
		printf("  in ");
		cli_put(stdout, l->symbol, 0);
	}
}

void cli_search_print(const cr_result *rs, size_t n)
{
	if (!n) {
		printf("no results\n");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const cr_result *r = &rs[i];
		const cr_loc *l = &r->loc;
		printf("%zu. ", i + 1);
		cli_put(stdout, r->doc, 0);
		cli_print_loc(l, r->type);
		printf("  (score %.2f)\n", r->score);
		if (r->title && *r->title) {
			printf("   ");
			cli_put(stdout, r->title, 0);
			putchar('\n');
		}
		if (r->snippet && *r->snippet) {
			printf("   ");
			char *one = cr_strdup(r->snippet); /* one line: breaks become spaces */
			for (char *s = one; s && *s; s++)
				if (*s == '\n' || *s == '\r' || *s == '\t')
					*s = ' ';
			cli_put(stdout, one ? one : "", 0);
			cr_free(one);
			putchar('\n');
		}
		if (r->n_also) {
			printf("   also at: ");
			for (size_t j = 0; j < r->n_also && j < 3; j++) {
				if (j)
					printf(", ");
				cli_put(stdout, r->also_at[j], 0);
			}
			if (r->n_also > 3)
				printf(" (and %zu more identical files)", r->n_also - 3);
			putchar('\n');
		}
	}
}

int cli_search_run(cr_corpus *cp, const char *query, int k, int json, const char *qid, int snippets)
{
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_corpus_query q = {.text = query, .k = k, .plain = plain, .no_snippets = !snippets, .passages = passages};
	if (the_cli) {
		q.who = the_cli->as_who;
		int rc = cli_search_prepare(the_cli, cp, "search", mode_arg, query, &a, &q);
		if (rc) {
			cr_arena_release(&a);
			return rc;
		}
	}
	cr_result *rs;
	size_t n;
	cr_msg m = {{0}};
	cr_err e = cr_corpus_search(cp, &a, &q, &rs, &n, &m);
	if (!e) {
		json_t *ids = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(ids, json_integer(rs[i].chunk_id));
		if (cli_audit_corpus(cp, "search", json_pack("{ss si so}", "query", query, "k", k, "chunks", ids))) {
			cr_arena_release(&a);
			return 1;
		}
		if (json)
			print_json(rs, n, qid ? "qid" : "query", qid ? qid : query, q.mode);
		else
			cli_search_print(rs, n);
	}
	cr_arena_release(&a);
	if (e)
		return cli_fail("search", "%s", m.text[0] ? m.text : cr_strerror(e));
	return 0;
}

static int run_queries(cr_corpus *cp, const char *path, int k, int snippets)
{
	FILE *f = !strcmp(path, "-") ? stdin : fopen(path, "r");
	if (!f)
		return cli_fail("search", "%s: cannot open", path);
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int rc = 0;
	size_t lineno = 0;
	while ((len = getline(&line, &cap, f)) != -1) {
		lineno++;
		json_error_t jerr;
		json_t *o = json_loadb(line, (size_t)len, 0, &jerr);
		if (!o && strspn(line, " \t\r\n") == (size_t)len)
			continue;
		json_t *id = o ? json_object_get(o, "_id") : NULL;
		if (!id && o)
			id = json_object_get(o, "id");
		json_t *text = o ? json_object_get(o, "text") : NULL;
		if (!json_is_object(o) || !json_is_string(text) || !(json_is_string(id) || json_is_integer(id))) {
			rc = cli_fail("search", "%s: line %zu: not a query object {\"_id\", \"text\"}", path, lineno);
			json_decref(o);
			continue;
		}
		char num[32];
		const char *qid = json_is_string(id) ? json_string_value(id) : num;
		if (json_is_integer(id))
			snprintf(num, sizeof num, "%lld", (long long)json_integer_value(id));
		if (cli_search_run(cp, json_string_value(text), k, 1, qid, snippets)) {
			/* keep one output line per query, so scorers stay aligned */
			print_json(NULL, 0, "qid", qid, CR_SEARCH_BM25);
			rc = 1;
		}
		json_decref(o);
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return rc;
}

int cmd_search(cr_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
					     {"json", no_argument, NULL, 'j'},
					     {"queries", required_argument, NULL, 'q'},
					     {"no-snippets", no_argument, NULL, 'S'},
					     {"plain", no_argument, NULL, 'P'},
					     {"mode", required_argument, NULL, 'M'},
					     {"passages", no_argument, NULL, 'A'},
					     {"as", required_argument, NULL, 'U'},
					     {0}};
	int json = 0, k = 10, snippets = 1;
	const char *queries = NULL, *as = NULL;
	int c;
	optind = 1;
	the_cli = cli;
	while ((c = getopt_long(argc, argv, "hk:", opts, NULL)) != -1) {
		switch (c) {
		case 'h': usage(stdout); return 0;
		case 'j': json = 1; break;
		case 'q': queries = optarg; break;
		case 'S': snippets = 0; break;
		case 'P': plain = 1; break;
		case 'M': mode_arg = optarg; break;
		case 'A': passages = 1; break;
		case 'U': as = optarg; break;
		case 'k': {
			int rc = cli_opt_int("search", "-k", optarg, 1, 10000, &k);
			if (rc)
				return rc;
			break;
		}
		default: usage(stderr); return 2;
		}
	}
	if (!queries && optind >= argc) {
		usage(stderr);
		return 2;
	}
	cr_buf qb;
	cr_buf_init(&qb, 0);
	for (int i = optind; i < argc; i++) {
		if (i > optind)
			CR_IGNORE(cr_buf_addc(&qb, ' '));
		CR_IGNORE(cr_buf_adds(&qb, argv[i]));
	}
	cr_corpus *cp;
	cr_msg m = {{0}};
	cr_err e = cr_corpus_open(cli->data_dir, 0, &cp, &m);
	if (e) {
		cr_buf_release(&qb);
		return cli_fail("search", "%s", m.text[0] ? m.text : cr_strerror(e));
	}
	int rc = as ? cli_as_begin(cli, cp, "search", as) : 0;
	if (queries && !rc)
		rc = run_queries(cp, queries, k, snippets);
	if (qb.len && !rc)
		rc = cli_search_run(cp, qb.data, k, json, NULL, snippets);
	cr_corpus_close(cp);
	cr_buf_release(&qb);
	return rc;
}
