/*
 * cmd_analyze.c — `cristal analyze code [PATH] [--json]`: the code under an
 * ingested path, its languages, modules, likely secrets, risky calls, TODOs
 * and churn (agent.h cr_agent_code; the text form is its Markdown).
 * `cristal analyze meetings [PATH|QUERY] [--json]`: the
 * meetings in the corpus (or in a folder, a document, a query's results),
 * their dates, decisions and action items (agent.h). --json prints
 * cr_meetings_json; otherwise a report: the meetings, then the action
 * items grouped by owner, earliest due first.
 */
#include "cli.h"
#include "cristal/agent.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: cristal [--data DIR] analyze meetings [PATH|QUERY] [--json] [-k N]\n"
		   "       cristal [--data DIR] analyze code [PATH] [--json]\n"
		   "       cristal [--data DIR] analyze docs [PATH|QUERY] [--json] [-k N]\n\n"
		   "docs: what documents say (a folder or document, or a search's top k): each one's\n"
		   "lead, the key figures, dates and people over them, each with its source.\n"
		   "code: the ingested code under PATH (a name prefix as search prints names: a\n"
		   "repository, a folder): languages and sizes, modules with their entry points,\n"
		   "symbols and what they do (README, first comment), likely secrets (masked),\n"
		   "risky calls, TODO/FIXME/HACK notes with their lines, and changes by month,\n"
		   "author and area from the repository's commits.\n\n"
		   "Meetings (transcripts, minutes, meeting mails) with their date, decisions and\n"
		   "action items (owner, task, due date). PATH is a document or a folder of ingested\n"
		   "names (samples/meetings); anything else is a search query; none: every meeting.\n");
}

typedef struct row {
	const cr_meeting *mt;
	const cr_action *ac;
} row;

static int by_owner(const void *x, const void *y)
{
	const row *a = x, *b = y;
	int c = strcmp(a->ac->owner, b->ac->owner);
	if (c)
		return c;
	int64_t da = a->ac->due.y ? cr_ymd_days(a->ac->due) : INT64_MAX;
	int64_t db = b->ac->due.y ? cr_ymd_days(b->ac->due) : INT64_MAX;
	return da < db ? -1 : da > db;
}

static void print_report(const cr_meeting *ms, size_t n)
{
	size_t n_act = 0, n_dec = 0;
	for (size_t i = 0; i < n; i++)
		n_act += ms[i].n_actions, n_dec += ms[i].n_decisions;
	printf("%zu meetings, %zu decisions, %zu action items\n", n, n_dec, n_act);
	for (size_t i = 0; i < n; i++) {
		char iso[11] = "?";
		if (ms[i].date.y)
			cr_ymd_iso(ms[i].date, iso);
		printf("\n%s  %s  (%s)\n", iso, ms[i].title ? ms[i].title : "", ms[i].doc);
		for (size_t j = 0; j < ms[i].n_decisions; j++) {
			printf("  decision: %s\n", ms[i].decisions[j].text);
		}
	}
	row *rows = n_act ? malloc(n_act * sizeof *rows) : NULL;
	if (n_act && !rows)
		return;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < ms[i].n_actions; j++)
			rows[k++] = (row){&ms[i], &ms[i].actions[j]};
	qsort(rows, k, sizeof *rows, by_owner);
	if (k)
		printf("\nAction items by owner\n");
	for (size_t i = 0; i < k; i++) {
		const cr_action *ac = rows[i].ac;
		if (!i || strcmp(ac->owner, rows[i - 1].ac->owner))
			printf("\n%s\n", ac->owner);
		char iso[11] = "no date";
		if (ac->due.y)
			cr_ymd_iso(ac->due, iso);
		printf("  - [%s] %s", iso, ac->task);
		if (ac->due_text && !ac->due.y)
			printf(" (said: %s)", ac->due_text);
		printf("\n      %s", rows[i].mt->doc);
		cli_print_loc(&ac->loc, rows[i].mt->type);
		printf("\n");
	}
	free(rows);
}

/* An analysis whose result is JSON (--json) or its Markdown report. */
typedef cr_err (*analysis_fn)(cr_corpus *cp, cr_arena *a, const char *scope, int k, int json, cr_buf *b, cr_msg *m);

static cr_err docs_fn(cr_corpus *cp, cr_arena *a, const char *scope, int k, int json, cr_buf *b, cr_msg *m)
{
	cr_docs_opts o = {.scope = scope, .k = k};
	cr_docs_report r;
	cr_err e = cr_agent_docs(cp, a, &o, &r, m);
	return e ? e : json ? cr_docs_json(&r, b) : cr_docs_report_md(&r, b);
}

static cr_err code_fn(cr_corpus *cp, cr_arena *a, const char *scope, int k, int json, cr_buf *b, cr_msg *m)
{
	(void)k;
	cr_code_opts o = {.prefix = scope};
	cr_code_report r;
	cr_err e = cr_agent_code(cp, a, &o, &r, m);
	return e ? e : json ? cr_code_json(&r, b) : cr_code_report_md(&r, b);
}

static int analyze_with(cr_cli *cli, analysis_fn fn, const char *scope, int k, int json)
{
	cr_corpus *cp;
	cr_msg m = {{0}};
	cr_err e = cr_corpus_open(cli->data_dir, 0, &cp, &m);
	if (e)
		return cli_fail("analyze", "%s", m.text[0] ? m.text : cr_strerror(e));
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_buf b;
	cr_buf_init(&b, 0);
	int rc = 0;
	if ((e = fn(cp, &a, scope, k, json, &b, &m)))
		rc = cli_fail("analyze", "%s", m.text[0] ? m.text : cr_strerror(e));
	else
		printf("%.*s\n", (int)b.len, b.data ? b.data : "");
	cr_buf_release(&b);
	cr_arena_release(&a);
	cr_corpus_close(cp);
	return rc;
}

int cmd_analyze(cr_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'}, {"json", no_argument, NULL, 'j'}, {0}};
	int json = 0, k = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "hk:", opts, NULL)) != -1) {
		switch (c) {
		case 'h': usage(stdout); return 0;
		case 'j': json = 1; break;
		case 'k': {
			int rc = cli_opt_int("analyze", "-k", optarg, 1, 10000, &k);
			if (rc)
				return rc;
			break;
		}
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc && !strcmp(argv[optind], "code") && argc - optind <= 2)
		return analyze_with(cli, code_fn, optind + 1 < argc ? argv[optind + 1] : NULL, 0, json);
	if (optind < argc && !strcmp(argv[optind], "docs") && argc - optind <= 2)
		return analyze_with(cli, docs_fn, optind + 1 < argc ? argv[optind + 1] : NULL, k, json);
	if (optind >= argc || strcmp(argv[optind], "meetings") || argc - optind > 2 || k < 0) {
		usage(stderr);
		return 2;
	}
	const char *scope = optind + 1 < argc ? argv[optind + 1] : NULL;
	cr_corpus *cp;
	cr_msg m = {{0}};
	cr_err e = cr_corpus_open(cli->data_dir, 0, &cp, &m);
	if (e)
		return cli_fail("analyze", "%s", m.text[0] ? m.text : cr_strerror(e));
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_meetings_opts o = {.scope = scope, .k = k};
	cr_meeting *ms = NULL;
	size_t n = 0;
	int rc = 0;
	e = cr_agent_meetings(cp, &a, &o, &ms, &n, &m);
	if (e)
		rc = cli_fail("analyze", "%s", m.text[0] ? m.text : cr_strerror(e));
	else if (json) {
		cr_buf b;
		cr_buf_init(&b, 0);
		if (cr_meetings_json(ms, n, &b))
			rc = cli_fail("analyze", "out of memory");
		else
			printf("%.*s\n", (int)b.len, b.data ? b.data : "");
		cr_buf_release(&b);
	} else
		print_report(ms, n);
	cr_arena_release(&a);
	cr_corpus_close(cp);
	return rc;
}
