/*
 * cmd_show.c — `cristal show DOC`: one document's metadata and extracted
 * text. The text is rebuilt from the chunks in order with the overlap the
 * chunker carried between neighbours removed; chunks with a different
 * location (another page, slide, speaker turn) start a new paragraph.
 * --json prints one object: the catalog row, "meta" (parsed), "text",
 * "children" (names of the documents inside: attachments, messages) and
 * "sections" (each chunk's location and de-overlapped text).
 */
#include "cli/cli.h"
#include "cristal/corpus.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: cristal [--data DIR] show [--json] DOC\n\n"
		   "Prints a document's metadata and extracted text. DOC is the name search\n"
		   "reports (samples/docs/handbook.md, a JSONL id, repo@sha).\n");
}

typedef struct piece {
	cr_loc loc;
	size_t start, len; /* in the text buffer */
} piece;

typedef struct rebuild {
	cr_buf text;
	cr_buf prev;  /* previous chunk's text */
	cr_loc prev_loc;
	int have_prev;
	piece *pieces;
	size_t n, cap;
	cr_arena a;  /* location strings */
	int err;
} rebuild;

static int same_str(const char *a, const char *b) { return (!a && !b) || (a && b && !strcmp(a, b)); }

static int same_loc(const cr_loc *a, const cr_loc *b)
{
	return a->page == b->page && a->slide == b->slide && same_str(a->sheet, b->sheet) &&
	       same_str(a->speaker, b->speaker) && same_str(a->heading, b->heading) &&
	       same_str(a->symbol, b->symbol);
}

/* Length of the longest suffix of a that is a prefix of b (>= 16 bytes to
 * count, so chance matches of a word are left alone). */
static size_t overlap(const char *a, size_t na, const char *b, size_t nb)
{
	size_t max = na < nb ? na : nb;
	if (max > 4096)
		max = 4096;
	for (size_t k = max; k >= 16; k--)
		if (!memcmp(a + na - k, b, k))
			return k;
	return 0;
}

static cr_loc loc_dup(cr_arena *a, const cr_loc *l)
{
	cr_loc o = *l;
	o.sheet = l->sheet ? cr_arena_strdup(a, l->sheet) : NULL;
	o.speaker = l->speaker ? cr_arena_strdup(a, l->speaker) : NULL;
	o.heading = l->heading ? cr_arena_strdup(a, l->heading) : NULL;
	o.symbol = l->symbol ? cr_arena_strdup(a, l->symbol) : NULL;
	return o;
}

static int on_chunk(void *ctx, const cr_chunk_row *c)
{
	rebuild *r = ctx;
	size_t skip = 0;
	int cont = r->have_prev && same_loc(&r->prev_loc, &c->loc);
	if (cont)
		skip = overlap(r->prev.data, r->prev.len, c->text, c->len);
	if (r->have_prev && (!cont || !skip))
		(void)cr_buf_adds(&r->text, cont ? " " : "\n\n");
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 16;
		piece *p = cr_realloc(r->pieces, cap * sizeof *p);
		if (!p) {
			r->err = 1;
			return 1;
		}
		r->pieces = p;
		r->cap = cap;
	}
	piece *p = &r->pieces[r->n++];
	p->loc = loc_dup(&r->a, &c->loc);
	p->start = r->text.len;
	if (cr_buf_add(&r->text, c->text + skip, c->len - skip)) {
		r->err = 1;
		return 1;
	}
	p->len = r->text.len - p->start;
	cr_buf_reset(&r->prev);
	(void)cr_buf_add(&r->prev, c->text, c->len);
	r->prev_loc = p->loc;
	r->have_prev = 1;
	return 0;
}

/* Names of the documents inside this one, as a JSON array body. */
static int on_child(void *ctx, int64_t id, const char *name, const char *hash, int64_t mtime, int64_t size)
{
	cr_buf *b = ctx;
	if (b->len)
		(void)cr_buf_addc(b, ',');
	(void)cr_buf_add_json_str(b, name ? name : "", name ? strlen(name) : 0);
	return 0;
}

static int print_child(void *ctx, int64_t id, const char *name, const char *hash, int64_t mtime, int64_t size)
{
	printf("%-10s %s\n", *(int *)ctx ? "" : "contains", name ? name : "?");
	*(int *)ctx = 1;
	return 0;
}

static void jstr(cr_buf *b, const char *s)
{
	if (!s)
		(void)cr_buf_adds(b, "null");
	else
		(void)cr_buf_add_json_str(b, s, strlen(s));
}

static void loc_json(cr_buf *b, const cr_loc *l)
{
	if (l->page > 0)
		(void)cr_buf_printf(b, ",\"page\":%d", l->page);
	if (l->slide > 0)
		(void)cr_buf_printf(b, ",\"slide\":%d", l->slide);
	if (l->sheet)
		(void)cr_buf_adds(b, ",\"sheet\":"), jstr(b, l->sheet);
	if (l->line_start > 0) {
		(void)cr_buf_printf(b, ",\"line\":%d,\"line_end\":%d", l->line_start, l->line_end);
		if (l->sheet) /* sheet rows, named as such (as in search --json) */
			(void)cr_buf_printf(b, ",\"row\":%d,\"row_end\":%d", l->line_start, l->line_end);
	}
	if (l->speaker)
		(void)cr_buf_adds(b, ",\"speaker\":"), jstr(b, l->speaker);
	if (l->t_start >= 0)
		(void)cr_buf_printf(b, ",\"time\":%.3f", l->t_start);
	if (l->heading)
		(void)cr_buf_adds(b, ",\"heading\":"), jstr(b, l->heading);
	if (l->symbol)
		(void)cr_buf_adds(b, ",\"symbol\":"), jstr(b, l->symbol);
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
	rebuild r;
	memset(&r, 0, sizeof r);
	cr_buf_init(&r.text, 0);
	cr_buf_init(&r.prev, 0);
	cr_arena_init(&r.a, 0);
	int rc = 0;
	if ((e = cr_store_doc_find_any(s, &a, name, &d, &m))) {
		rc = cli_fail("show", "%s", e == CR_ENOTFOUND ? "no such document (names are as search prints them)"
							    : m.text);
		goto out;
	}
	if ((e = cr_store_chunks_of_doc(s, d.id, on_chunk, &r, &m)) || r.err) {
		rc = cli_fail("show", "%s", e ? m.text : "out of memory");
		goto out;
	}
	if (json) {
		cr_buf b;
		cr_buf_init(&b, 0);
		(void)cr_buf_adds(&b, "{\"doc\":");
		jstr(&b, d.name);
		(void)cr_buf_adds(&b, ",\"parent\":"), jstr(&b, d.parent);
		(void)cr_buf_adds(&b, ",\"title\":"), jstr(&b, d.title);
		(void)cr_buf_adds(&b, ",\"type\":"), jstr(&b, d.type);
		(void)cr_buf_adds(&b, ",\"lang\":"), jstr(&b, d.lang);
		(void)cr_buf_adds(&b, ",\"author\":"), jstr(&b, d.author);
		(void)cr_buf_printf(&b, ",\"date\":%lld,\"size\":%lld,\"mtime\":%lld", (long long)d.date,
				    (long long)d.size, (long long)(d.mtime / 1000000000));
		(void)cr_buf_adds(&b, ",\"hash\":"), jstr(&b, d.hash);
		(void)cr_buf_printf(&b, ",\"chunks\":%lld,\"acl\":{\"tenant\":%u,\"owner\":%u,\"classification\":%u,\"groups\":[",
				    (long long)d.n_chunks, d.acl.tenant, d.acl.owner, d.acl.classification);
		for (uint32_t i = 0; i < d.acl.n_groups; i++)
			(void)cr_buf_printf(&b, "%s%u", i ? "," : "", d.acl.groups[i]);
		(void)cr_buf_adds(&b, "]},\"meta\":");
		(void)cr_buf_adds(&b, d.meta_json && *d.meta_json == '{' ? d.meta_json : "{}");
		(void)cr_buf_adds(&b, ",\"text\":");
		(void)cr_buf_add_json_str(&b, r.text.data ? r.text.data : "", r.text.len);
		cr_buf kids;
		cr_buf_init(&kids, 0);
		if ((e = cr_store_children(s, d.id, on_child, &kids, &m))) {
			cr_buf_release(&kids);
			cr_buf_release(&b);
			rc = cli_fail("show", "%s", m.text);
			goto out;
		}
		(void)cr_buf_adds(&b, ",\"children\":[");
		(void)cr_buf_adds(&b, kids.data ? kids.data : "");
		(void)cr_buf_adds(&b, "]");
		cr_buf_release(&kids);
		(void)cr_buf_adds(&b, ",\"sections\":[");
		for (size_t i = 0; i < r.n; i++) {
			(void)cr_buf_adds(&b, i ? ",{\"text\":" : "{\"text\":");
			(void)cr_buf_add_json_str(&b, r.text.data + r.pieces[i].start, r.pieces[i].len);
			loc_json(&b, &r.pieces[i].loc);
			(void)cr_buf_addc(&b, '}');
		}
		(void)cr_buf_adds(&b, "]}\n");
		fwrite(b.data, 1, b.len, stdout);
		cr_buf_release(&b);
	} else {
		printf("%-10s %s\n", "document", d.name);
		if (d.parent)
			printf("%-10s %s\n", "in", d.parent);
		if (d.title)
			printf("%-10s %s\n", "title", d.title);
		printf("%-10s %s\n", "type", d.type ? d.type : "?");
		if (d.lang)
			printf("%-10s %s\n", "language", d.lang);
		if (d.author)
			printf("%-10s %s\n", "author", d.author);
		print_date("date", d.date);
		print_date("modified", d.mtime / 1000000000);
		if (d.size)
			printf("%-10s %lld bytes\n", "size", (long long)d.size);
		if (d.hash)
			printf("%-10s %s\n", "sha256", d.hash);
		printf("%-10s %lld\n", "chunks", (long long)d.n_chunks);
		if (d.meta_json && strcmp(d.meta_json, "{}"))
			printf("%-10s %s\n", "metadata", d.meta_json);
		int any = 0;
		if ((e = cr_store_children(s, d.id, print_child, &any, &m))) {
			rc = cli_fail("show", "%s", m.text);
			goto out;
		}
		printf("\n%s\n", r.text.data ? r.text.data : "");
	}
out:
	cr_buf_release(&r.text);
	cr_buf_release(&r.prev);
	cr_free(r.pieces);
	cr_arena_release(&r.a);
	cr_arena_release(&a);
	cr_corpus_close(cp);
	return rc;
}
