/*
 * cmd_show.c — `cristal show DOC`: one document's metadata and extracted
 * text, rebuilt from the chunks without their overlap (cr_corpus_doc_text).
 * --json prints cr_corpus_doc_json's object: the catalog row, "meta"
 * (parsed), "text", "children" (names of the documents inside: attachments,
 * messages) and "sections" (each chunk's location and de-overlapped text).
 */
#include "cli.h"
#include "cristal/policy.h"
#include "cristal/corpus.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: cristal [--data DIR] show [--json] DOC\n\n"
		   "Prints a document's metadata and extracted text. DOC is the name search\n"
		   "reports (samples/docs/handbook.md, a JSONL id, repo@sha).\n");
}

static int print_child(void *ctx, int64_t id, const char *name, const char *hash, int64_t mtime, int64_t size)
{
	printf("%-10s ", *(int *)ctx ? "" : "contains");
	cli_put(stdout, name, 0);
	putchar('\n');
	*(int *)ctx = 1;
	return 0;
}

static void field(const char *label, const char *value)
{
	printf("%-10s ", label);
	cli_put(stdout, value, 0);
	putchar('\n');
}

static void print_date(const char *label, int64_t t)
{
	if (!t)
		return;
	time_t tt = (time_t)t;
	struct tm tm;
	char s[64];
	gmtime_r(&tt, &tm);
	strftime(s, sizeof s, "%Y-%m-%d %H:%M:%S UTC", &tm);
	printf("%-10s %s\n", label, s);
}

int cmd_show(cr_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {"json", no_argument, NULL, 'j'}, {0}};
	int json = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h': usage(stdout); return 0;
		case 'j': json = 1; break;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	const char *name = argv[optind];
	cr_corpus *cp;
	cr_msg m = {{0}};
	cr_err e = cr_corpus_open(cli->data_dir, 0, &cp, &m);
	if (e)
		return cli_fail("show", "%s", m.text[0] ? m.text : cr_strerror(e));
	cr_store *s = cr_corpus_store(cp);
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_doc_row d;
	cr_doc_text t;
	int rc = 0;
	e = cr_store_doc_find_any(s, &a, name, &d, &m);
	if (e == CR_ENOTFOUND) {
		/* the name as search and --json print it: "\xNN" for raw bytes */
		cr_buf raw;
		cr_buf_init(&raw, 0);
		if (cr_utf8_unescape(&raw, name, strlen(name)) == CR_OK) {
			m.text[0] = 0;
			e = cr_store_doc_find_any(s, &a, raw.data, &d, &m);
		}
		cr_buf_release(&raw);
	}
	if (e) {
		rc = cli_fail("show", "%s", e == CR_ENOTFOUND ? "no such document (names are as search prints them)"
							    : m.text);
		goto out;
	}
	if ((e = cr_corpus_doc_text(cp, &a, d.id, &t, &m))) {
		rc = cli_fail("show", "%s", m.text[0] ? m.text : cr_strerror(e));
		goto out;
	}
	if (cli_audit(s, "show", json_pack("{ss sI}", "doc", d.name, "doc_id", (json_int_t)d.id))) {
		rc = 1;
		goto out;
	}
	if (json) {
		cr_buf b;
		cr_buf_init(&b, 0);
		if ((e = cr_corpus_doc_json(cp, &d, &t, &b, &m)) || (e = cr_buf_addc(&b, '\n'))) {
			cr_buf_release(&b);
			rc = cli_fail("show", "%s", m.text[0] ? m.text : cr_strerror(e));
			goto out;
		}
		fwrite(b.data, 1, b.len, stdout);
		cr_buf_release(&b);
	} else {
		field("document", d.name);
		if (d.parent)
			field("in", d.parent);
		if (d.title)
			field("title", d.title);
		field("type", d.type ? d.type : "?");
		if (d.lang)
			field("language", d.lang);
		if (d.author)
			field("author", d.author);
		print_date(!d.date ? "date" : strcmp(cr_corpus_date_source(&d), "file") ? "date" : "date (file)", d.date);
		print_date("modified", d.mtime / 1000000000);
		if (d.size)
			printf("%-10s %lld bytes\n", "size", (long long)d.size);
		if (d.hash)
			printf("%-10s %s\n", "sha256", d.hash);
		printf("%-10s %lld\n", "chunks", (long long)d.n_chunks);
		printf("%-10s %s\n", "class", cr_class_name(d.acl.classification));
		if (d.meta_json && strcmp(d.meta_json, "{}"))
			field("metadata", d.meta_json);
		int any = 0;
		if ((e = cr_store_children(s, d.id, print_child, &any, &m))) {
			rc = cli_fail("show", "%s", m.text);
			goto out;
		}
		putchar('\n');
		cli_put(stdout, t.text ? t.text : "", 1);
		putchar('\n');
	}
out:
	cr_arena_release(&a);
	cr_corpus_close(cp);
	return rc;
}
