/*
 * cmd_report.c — `cristal report meetings [PATH|QUERY] --out DIR`: the
 * meetings analysis (agent.h) written as DIR/meetings-report.md and
 * DIR/meetings-report.html (self-contained, with the SVG chart of action
 * items per owner and due week); prints the paths written.
 * `cristal report code [PATH] --out DIR`: the code analysis as
 * DIR/code-report.md and DIR/code-report.html (charts of lines by
 * language, findings by rule, changes by month).
 */
#include "cli.h"
#include "cristal/agent.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: cristal [--data DIR] report meetings [PATH|QUERY] --out DIR\n"
		   "       cristal [--data DIR] report code [PATH] --out DIR\n"
		   "       cristal [--data DIR] report docs [PATH|QUERY] --out DIR\n\n"
		   "Writes DIR/meetings-report.md and DIR/meetings-report.html (one self-contained\n"
		   "file with a chart of action items per owner and due week) and prints the paths.\n");
}

static int write_one(const char *dir, const char *name, const cr_buf *b, cr_msg *m)
{
	size_t l = strlen(dir) + strlen(name) + 2;
	char *path = malloc(l);
	if (!path)
		return cli_fail("report", "out of memory");
	snprintf(path, l, "%s/%s", dir, name);
	cr_err e = cr_file_write_atomic(path, b->data ? b->data : "", b->len, m);
	int rc = 0;
	if (e)
		rc = cli_fail("report", "%s: %s", path, m->text[0] ? m->text : cr_strerror(e));
	else
		printf("%s\n", path);
	free(path);
	return rc;
}

/* A report as Markdown and HTML, into md and html. */
typedef cr_err (*report_fn)(cr_corpus *cp, cr_arena *a, const char *scope, cr_buf *md, cr_buf *html, cr_msg *m);

static cr_err docs_fn(cr_corpus *cp, cr_arena *a, const char *scope, cr_buf *md, cr_buf *html, cr_msg *m)
{
	cr_docs_opts o = {.scope = scope};
	cr_docs_report r;
	cr_err e = cr_agent_docs(cp, a, &o, &r, m);
	if (!e && cli_tty())
		fprintf(stderr, "report: %zu documents\n", r.n_docs);
	if (!e)
		e = cr_docs_report_md(&r, md);
	return e ? e : cr_docs_report_html(&r, html);
}

static cr_err code_fn(cr_corpus *cp, cr_arena *a, const char *scope, cr_buf *md, cr_buf *html, cr_msg *m)
{
	cr_code_opts o = {.prefix = scope};
	cr_code_report r;
	cr_err e = cr_agent_code(cp, a, &o, &r, m);
	if (!e && cli_tty())
		fprintf(stderr, "report: %d files, %zu findings\n", r.n_files, r.n_findings);
	if (!e)
		e = cr_code_report_md(&r, md);
	return e ? e : cr_code_report_html(&r, html);
}

/* Writes DIR/KIND-report.md and .html. Closes cp and releases a. */
static int report_with(cr_corpus *cp, cr_arena *a, report_fn fn, const char *kind, const char *scope, const char *out)
{
	cr_msg m = {{0}};
	cr_buf md, html;
	cr_buf_init(&md, 0);
	cr_buf_init(&html, 0);
	int rc = 0;
	cr_err e = fn(cp, a, scope, &md, &html, &m);
	if (e)
		rc = cli_fail("report", "%s", m.text[0] ? m.text : cr_strerror(e));
	char name[64];
	snprintf(name, sizeof name, "%s-report.md", kind);
	if (!rc)
		rc = write_one(out, name, &md, &m);
	snprintf(name, sizeof name, "%s-report.html", kind);
	if (!rc)
		rc = write_one(out, name, &html, &m);
	cr_buf_release(&md);
	cr_buf_release(&html);
	cr_arena_release(a);
	cr_corpus_close(cp);
	return rc;
}

int cmd_report(cr_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'}, {"out", required_argument, NULL, 'o'}, {0}};
	const char *out = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		switch (c) {
		case 'h': usage(stdout); return 0;
		case 'o': out = optarg; break;
		default: usage(stderr); return 2;
		}
	}
	int code = optind < argc && !strcmp(argv[optind], "code");
	int docs = optind < argc && !strcmp(argv[optind], "docs");
	if (optind >= argc || (!code && !docs && strcmp(argv[optind], "meetings")) || argc - optind > 2 || !out) {
		usage(stderr);
		return 2;
	}
	const char *scope = optind + 1 < argc ? argv[optind + 1] : NULL;
	cr_msg m = {{0}};
	cr_err e = cr_mkdirs(out, &m);
	if (e)
		return cli_fail("report", "%s: %s", out, m.text[0] ? m.text : cr_strerror(e));
	cr_corpus *cp;
	if ((e = cr_corpus_open(cli->data_dir, 0, &cp, &m)))
		return cli_fail("report", "%s", m.text[0] ? m.text : cr_strerror(e));
	cr_arena a;
	cr_arena_init(&a, 0);
	if (code)
		return report_with(cp, &a, code_fn, "code", scope, out);
	if (docs)
		return report_with(cp, &a, docs_fn, "docs", scope, out);
	cr_meetings_opts o = {.scope = scope};
	cr_meeting *ms = NULL;
	size_t n = 0;
	int rc = 0;
	if ((e = cr_agent_meetings(cp, &a, &o, &ms, &n, &m)))
		rc = cli_fail("report", "%s", m.text[0] ? m.text : cr_strerror(e));
	if (!rc && cli_tty())
		fprintf(stderr, "report: %zu meetings\n", n);
	cr_buf md, html;
	cr_buf_init(&md, 0);
	cr_buf_init(&html, 0);
	if (!rc && (cr_meetings_report_md(ms, n, &md) || cr_meetings_report_html(ms, n, &html)))
		rc = cli_fail("report", "out of memory");
	if (!rc)
		rc = write_one(out, "meetings-report.md", &md, &m);
	if (!rc)
		rc = write_one(out, "meetings-report.html", &html, &m);
	cr_buf_release(&md);
	cr_buf_release(&html);
	cr_arena_release(&a);
	cr_corpus_close(cp);
	return rc;
}
