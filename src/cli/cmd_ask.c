/*
 * cmd_ask.c — `cristal ask`: a question answered from the documents, with
 * its sources.
 *
 * Output: the answer (markers [n] name its sources), then the sources it
 * cites: number, document, location, title and the quoted passage; then
 * any citation that failed verification. --json prints cr_answer_json's
 * object. Without a model configured the answer is extractive.
 */
#include "cli.h"
#include "cristal/answer.h"
#include "cristal/provider.h"
#include "cristal/store.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: cristal [--data DIR] ask [--json] [-k N] [--provider NAME | --extractive] [--as USER] [--timing] QUESTION...\n\n"
		   "Answers from the ingested documents, citing them as [n]; every citation is\n"
		   "checked against its source. The model is the default provider's (cristal\n"
		   "provider default NAME) or --provider NAME's; with no provider configured the\n"
		   "answer is the sentence or table row that answers (extractive).\n\n"
		   "  -k N              passages to consider (default 6)\n"
		   "  --provider NAME   answer with this provider's model\n"
		   "  --extractive      no model, even when a default provider is set\n"
		   "  --as USER         as that user: only documents it may read, its quotas\n"
		   "                    (over one: exit 1 naming the limit), its usage and audit\n"
		   "  --timing          on stderr: retrieval, the model's first text and the whole, in ms\n"
		   "                    (with a local model also its prompt's tokens and evaluation)\n"
		   "  --json            one JSON object: answer, mode, citations, retrieval, unverified\n"
		   "On a terminal the model's draft streams in (dimmed) and the verified answer\n"
		   "follows it when verification changed it.\n");
}

static void print_answer(const cr_answer *ans)
{
	cli_put(stdout, ans->text, 1);
	putchar('\n');
	if (ans->n_citations)
		printf("\n%s\n", strcmp(ans->lang, "ja") ? "Sources:" : "出典:");
	for (size_t i = 0; i < ans->n_citations; i++) {
		const cr_citation *c = &ans->citations[i];
		const cr_source *s = NULL;
		for (size_t j = 0; j < ans->n_sources; j++)
			if (ans->sources[j].n == c->n)
				s = &ans->sources[j];
		if (!s)
			continue;
		printf("[%d] ", c->n);
		cli_put(stdout, s->doc, 0);
		cli_print_loc(&s->loc, s->type);
		putchar('\n');
		if (s->title && *s->title) {
			printf("    ");
			cli_put(stdout, s->title, 0);
			putchar('\n');
		}
		printf("    \"");
		char *one = cr_strdup(c->quote ? c->quote : "");
		for (char *p = one; p && *p; p++)
			if (*p == '\n' || *p == '\r' || *p == '\t')
				*p = ' ';
		cli_put(stdout, one ? one : "", 0);
		cr_free(one);
		printf("\"\n");
	}
	for (size_t i = 0; i < ans->n_unverified; i++)
		printf("%s[%d] removed: %s\n", i ? "" : "\n", ans->unverified[i].n, ans->unverified[i].reason);
}

static cr_cli *ask_cli; /* NULL (the shell): BM25 retrieval */

/* Records the question, who answered it, and the chunks retrieved and cited. */
static int audit_answer(cr_corpus *cp, const char *question, const cr_answer *ans)
{
	json_t *got = json_array(), *cited = json_array();
	for (size_t i = 0; i < ans->n_sources; i++)
		json_array_append_new(got, json_integer(ans->sources[i].chunk_id));
	for (size_t i = 0; i < ans->n_citations; i++)
		for (size_t j = 0; j < ans->n_sources; j++)
			if (ans->sources[j].n == ans->citations[i].n)
				json_array_append_new(cited, json_integer(ans->sources[j].chunk_id));
	return cli_audit_corpus(cp, "ask", json_pack("{ss ss sb so so si si ss*}", "question", question, "mode", ans->mode,
						      "found", ans->found, "retrieved", got, "cited", cited,
						      "unverified", (int)ans->n_unverified, "withheld",
						      (int)ans->n_withheld, "withheld_class", ans->withheld_class));
}

/* On a terminal the model's draft streams in, dimmed; once it is verified
 * the answer stands as the draft was, or is printed again as verified
 * (citations removed or the passage withheld). */
typedef struct draft {
	cr_buf text;
	int tty, shown;
} draft;

static int show_draft(void *ctx, const char *t, size_t n)
{
	draft *d = ctx;
	if (!d->tty)
		return 0; /* --timing alone: streamed for the first text's time */
	if (!d->shown++)
		fputs("\033[2m", stdout);
	fwrite(t, 1, n, stdout);
	fflush(stdout);
	CR_IGNORE(cr_buf_add(&d->text, t, n));
	return 0;
}

static int g_timing;

static int ask_run(cr_corpus *cp, const char *question, int k, int json, cr_provider *p)
{
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_ask_opts o = {.k = k};
	if (ask_cli) {
		o.who = ask_cli->as_who;
		o.egress = ask_cli->egress;
		o.tenant = ask_cli->as_tenant ? ask_cli->as_tenant : "default";
		/* hybrid retrieval when the chunks have vectors */
		cr_corpus_query sq = {0};
		int prc = cli_search_prepare(ask_cli, cp, "ask", NULL, question, &a, &sq);
		if (prc) {
			cr_arena_release(&a);
			return prc;
		}
		o.mode = sq.mode;
		o.vec = sq.vec;
		o.vec_dim = sq.vec_dim;
	}
	draft dr = {0};
	cr_buf_init(&dr.text, 0);
	dr.tty = !json && isatty(1);
	if (p && (dr.tty || g_timing)) {
		o.on_draft = show_draft;
		o.on_draft_ctx = &dr;
	}
	cr_answer ans;
	cr_msg m = {{0}};
	cr_err e = p ? cr_answer_ask_model(cp, &a, question, &o, p, &ans, &m) : cr_answer_ask(cp, &a, question, &o, &ans, &m);
	if (dr.shown) {
		fputs("\033[0m\n", stdout);
		/* the verified answer replaces the draft only when it differs */
		if (!e && dr.text.len == strlen(ans.text) && !memcmp(dr.text.data, ans.text, dr.text.len))
			ans.text = "";
		else if (!e)
			fputs(strcmp(ans.lang, "ja") ? "\nVerified:\n" : "\n検証後:\n", stdout);
	}
	cr_buf_release(&dr.text);
	if (!e && g_timing) {
		fprintf(stderr, "timing: retrieval %.1f ms, first text %.1f ms, total %.1f ms", ans.retrieval_ms,
			ans.first_text_ms, ans.total_ms);
		if (ans.prompt_ms > 0) /* the local engine's share of the first text */
			fprintf(stderr, "; model load %.1f ms, prompt %lld tokens (%lld cached) evaluated in %.1f ms, first token %.1f ms",
				ans.load_ms, (long long)ans.prompt_tokens, (long long)ans.prompt_cached, ans.prompt_ms,
				ans.first_token_ms);
		fputc('\n', stderr);
	}
	int rc = 0;
	if (e)
		rc = cli_fail("ask", "%s", m.text[0] ? m.text : cr_strerror(e));
	else if (audit_answer(cp, question, &ans))
		rc = 1;
	else if (json) {
		cr_buf b;
		cr_buf_init(&b, 0);
		if (cr_answer_json(&ans, &b) || cr_buf_addc(&b, '\n'))
			rc = cli_fail("ask", "out of memory");
		else
			fwrite(b.data, 1, b.len, stdout);
		cr_buf_release(&b);
	} else
		print_answer(&ans);
	cr_arena_release(&a);
	return rc;
}

int cli_ask_run(cr_corpus *cp, const char *question, int k, int json) { return ask_run(cp, question, k, json, NULL); }

int cmd_ask(cr_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
					     {"json", no_argument, NULL, 'j'},
					     {"provider", required_argument, NULL, 'P'},
					     {"extractive", no_argument, NULL, 'X'},
					     {"as", required_argument, NULL, 'U'},
					     {"timing", no_argument, NULL, 'T'},
					     {0}};
	int json = 0, k = 0, c, extractive = 0;
	const char *provider = NULL, *as = NULL;
	ask_cli = cli;
	optind = 1;
	while ((c = getopt_long(argc, argv, "hk:", opts, NULL)) != -1) {
		switch (c) {
		case 'h': usage(stdout); return 0;
		case 'j': json = 1; break;
		case 'P': provider = optarg; break;
		case 'X': extractive = 1; break;
		case 'U': as = optarg; break;
		case 'T': g_timing = 1; break;
		case 'k': {
			int rc = cli_opt_int("ask", "-k", optarg, 1, 100, &k);
			if (rc)
				return rc;
			break;
		}
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	cr_buf qb;
	cr_buf_init(&qb, 64 << 10);
	cr_err e = CR_OK;
	for (int i = optind; i < argc && !e; i++) {
		if (i > optind)
			e = cr_buf_addc(&qb, ' ');
		if (!e)
			e = cr_buf_adds(&qb, argv[i]);
	}
	if (e) {
		cr_buf_release(&qb);
		return cli_fail("ask", "the question is over 64 KiB");
	}
	cr_corpus *cp;
	cr_msg m = {{0}};
	e = cr_corpus_open(cli->data_dir, 0, &cp, &m);
	if (e) {
		cr_buf_release(&qb);
		return cli_fail("ask", "%s", m.text[0] ? m.text : cr_strerror(e));
	}
	/* the model: --provider NAME, else the default provider if one is set */
	cr_store *st = NULL;
	cr_provider_chain *ch = NULL;
	int rc = as ? cli_as_begin(cli, cp, "ask", as) : 0;
	if (!rc && !extractive && (e = cr_corpus_store_acquire(cp, &st, &m)))
		rc = cli_fail("ask", "%s", m.text[0] ? m.text : cr_strerror(e));
	if (st && cli->as_user)
		cr_store_set_actor(st, cli->as_user, cli->as_tenant); /* provider calls metered to the user */
	if (!rc && st) {
		cr_arena pa;
		cr_arena_init(&pa, 0);
		cr_provider_row row;
		int want = provider || cr_store_provider_get_default(st, &pa, &row, &m) == CR_OK;
		cr_arena_release(&pa);
		char why[512];
		if (want && cli_provider_open(cli, st, provider, 1, 0, &ch, why, sizeof why))
			rc = cli_fail("ask", "%s", why);
	}
	if (!rc)
		rc = ask_run(cp, qb.data, k, json, ch ? cr_provider_chain_head(ch) : NULL);
	cr_provider_chain_free(ch);
	if (st)
		cr_corpus_store_release(cp, st);
	cr_corpus_close(cp);
	cr_buf_release(&qb);
	return rc;
}
