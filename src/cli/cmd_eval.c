/*
 * cmd_eval.c — `cristal eval ask`: answers a set of questions over the
 * ingested corpus and scores them.
 *
 * Input: JSON Lines {"id", "question", "answers": [accepted strings],
 * "sources": [document names]}. Scores, overall and per question language:
 *   accuracy          an accepted string occurs in the answer (both NFKC +
 *                     case folded)
 *   citation precision  cited sources that are among "sources" (a name
 *                     also matches the documents inside it: "x.eml#att/...")
 *   source recall@k   questions with one of "sources" among the k passages
 *                     retrieved
 * --json prints one object with the figures and every question's outcome,
 * the answerer ("mode") and the retriever ("retrieval": --mode bm25, the
 * default, vector or hybrid; the last two need `cristal index vectors`
 * first and are refused with exit 2 until then).
 */
#include "cli.h"
#include "cristal/answer.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: cristal [--data DIR] eval ask --questions FILE [--mode bm25|vector|hybrid] [-k N] [--json] [--verbose]\n"
		   "       cristal [--data DIR] eval meetings --expected FILE [--json] [--verbose] [PATH|QUERY]\n"
		   "       cristal eval pii --labels FILE [--json] [--verbose] [--no-lists]\n\n"
		   "Scores cristal ask over a question set (JSON Lines {\"id\", \"question\",\n"
		   "\"answers\": [...], \"sources\": [...]}): answer accuracy, citation precision and\n"
		   "source recall@k, overall and per question language. --mode names the retriever:\n"
		   "bm25 (default), vector or hybrid (after `cristal index vectors`).\n");
}

typedef struct score {
	int questions, correct, found;
	int citations, good_citations;
	int recalled;
} score;

static int norm_contains(const char *hay, const char *needle)
{
	cr_buf h, n;
	cr_buf_init(&h, 0);
	cr_buf_init(&n, 0);
	int hit = 0;
	if (!cr_text_normalize(hay, strlen(hay), &h) && !cr_text_normalize(needle, strlen(needle), &n))
		hit = n.len && h.len && strstr(h.data, n.data) != NULL;
	cr_buf_release(&h);
	cr_buf_release(&n);
	return hit;
}

static int source_match(const char *doc, json_t *sources)
{
	size_t i;
	json_t *v;
	json_array_foreach(sources, i, v)
	{
		const char *s = json_string_value(v);
		size_t l = s ? strlen(s) : 0;
		if (s && doc && !strncmp(doc, s, l) && (doc[l] == 0 || doc[l] == '#'))
			return 1;
	}
	return 0;
}

static void add(score *s, const score *d)
{
	s->questions += d->questions, s->correct += d->correct, s->found += d->found;
	s->citations += d->citations, s->good_citations += d->good_citations, s->recalled += d->recalled;
}

static double ratio(int a, int b) { return b ? (double)a / b : 0; }

static void print_row(const char *name, const score *s)
{
	printf("%-6s %9d %9.3f %10.3f %9.3f   (%d/%d correct, %d/%d citations, %d answered)\n", name,
	       s->questions, ratio(s->correct, s->questions), ratio(s->good_citations, s->citations),
	       ratio(s->recalled, s->questions), s->correct, s->questions, s->good_citations, s->citations,
	       s->found);
}

static json_t *score_json(const score *s)
{
	return json_pack("{s:i,s:f,s:f,s:f,s:i,s:i,s:i}", "questions", s->questions, "accuracy",
			 ratio(s->correct, s->questions), "citation_precision", ratio(s->good_citations, s->citations),
			 "source_recall", ratio(s->recalled, s->questions), "answered", s->found, "citations",
			 s->citations, "correct", s->correct);
}

int cmd_eval(cr_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
					     {"json", no_argument, NULL, 'j'},
					     {"questions", required_argument, NULL, 'q'},
					     {"verbose", no_argument, NULL, 'v'},
					     {"mode", required_argument, NULL, 'm'},
					     {0}};
	int json = 0, verbose = 0, k = 0, c;
	const char *questions = NULL, *mode = "bm25";
	cr_search_mode ran = CR_SEARCH_BM25;
	if (argc > 1 && !strcmp(argv[1], "meetings"))
		return cli_eval_meetings(cli, argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "pii"))
		return cli_eval_pii(cli, argc - 1, argv + 1);
	optind = 1;
	while ((c = getopt_long(argc, argv, "hk:", opts, NULL)) != -1) {
		switch (c) {
		case 'h': usage(stdout); return 0;
		case 'j': json = 1; break;
		case 'v': verbose = 1; break;
		case 'q': questions = optarg; break;
		case 'm':
			if (strcmp(optarg, "bm25") && strcmp(optarg, "vector") && strcmp(optarg, "hybrid")) {
				cli_fail("eval", "--mode wants bm25, vector or hybrid, not '%s'", optarg);
				return 2;
			}
			mode = optarg;
			break;
		case 'k': {
			int rc = cli_opt_int("eval", "-k", optarg, 1, 100, &k);
			if (rc)
				return rc;
			break;
		}
		default: usage(stderr); return CLI_USAGE;
		}
	}
	if (optind >= argc || strcmp(argv[optind], "ask") || !questions || k < 0 || k > 100) {
		usage(stderr);
		return 2;
	}
	json_error_t jerr;
	FILE *f = fopen(questions, "r");
	if (!f)
		return cli_fail("eval", "%s: cannot open", questions);
	cr_corpus *cp;
	cr_msg m = {{0}};
	cr_err e = cr_corpus_open(cli->data_dir, 0, &cp, &m);
	if (e) {
		fclose(f);
		return cli_fail("eval", "%s", m.text[0] ? m.text : cr_strerror(e));
	}
	if (strcmp(mode, "bm25") && !cr_corpus_vectors_count(cp)) {
		fclose(f);
		cr_corpus_close(cp);
		cli_fail("eval", "--mode %s: no vector index is built yet (run `cristal index vectors`)", mode);
		return 2;
	}
	score total = {0}, by_lang[2] = {{0}};
	json_t *items = json_array();
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t len;
	int rc = 0;
	while ((len = getline(&line, &cap, f)) != -1) {
		lineno++;
		if (strspn(line, " \t\r\n") == (size_t)len)
			continue;
		json_t *o = json_loadb(line, (size_t)len, 0, &jerr);
		json_t *q = json_object_get(o, "question"), *ans = json_object_get(o, "answers"),
		       *src = json_object_get(o, "sources");
		if (!json_is_string(q) || !json_is_array(ans) || !json_is_array(src)) {
			rc = cli_fail("eval", "%s: line %zu: not {\"id\", \"question\", \"answers\": [...], \"sources\": [...]}",
				      questions, lineno);
			json_decref(o);
			continue;
		}
		cr_arena a;
		cr_arena_init(&a, 0);
		cr_ask_opts ao = {.k = k};
		cr_corpus_query sq = {0};
		int prc = cli_search_prepare(cli, cp, "eval", mode, json_string_value(q), &a, &sq);
		if (prc) {
			rc = prc;
			cr_arena_release(&a);
			json_decref(o);
			break;
		}
		ao.mode = ran = sq.mode;
		ao.vec = sq.vec;
		ao.vec_dim = sq.vec_dim;
		cr_answer an;
		e = cr_answer_ask(cp, &a, json_string_value(q), &ao, &an, &m);
		if (e) {
			rc = cli_fail("eval", "%s: line %zu: %s", questions, lineno, m.text[0] ? m.text : cr_strerror(e));
			cr_arena_release(&a);
			json_decref(o);
			break;
		}
		score d = {.questions = 1, .found = an.found};
		size_t i;
		json_t *v;
		json_array_foreach(ans, i, v) if (an.found && json_is_string(v) && norm_contains(an.text, json_string_value(v)))
			d.correct = 1;
		for (size_t j = 0; j < an.n_citations; j++) {
			const char *doc = NULL;
			for (size_t s = 0; s < an.n_sources; s++)
				if (an.sources[s].n == an.citations[j].n)
					doc = an.sources[s].doc;
			d.citations++;
			d.good_citations += source_match(doc, src);
		}
		for (size_t s = 0; s < an.n_sources; s++)
			d.recalled |= source_match(an.sources[s].doc, src);
		add(&total, &d);
		add(&by_lang[!strcmp(an.lang, "ja")], &d);
		json_t *id = json_object_get(o, "id");
		json_array_append_new(items, json_pack("{s:O,s:s,s:s,s:b,s:b,s:i,s:i,s:b}", "id", id ? id : json_null(),
						       "lang", an.lang, "answer", an.text, "found", an.found, "correct",
						       d.correct, "citations", d.citations, "good_citations",
						       d.good_citations, "recalled", d.recalled));
		if (verbose && !json && !d.correct)
			printf("miss %s: %s\n  -> %s\n", id ? json_string_value(id) : "?", json_string_value(q), an.text);
		cr_arena_release(&a);
		json_decref(o);
	}
	free(line);
	fclose(f);
	cr_corpus_close(cp);
	if (json) {
		json_t *out = json_pack("{s:s,s:s,s:o,s:{s:o,s:o},s:o}", "mode", "extractive", "retrieval", cr_search_mode_name(ran), "all", score_json(&total),
					"by_lang", "en", score_json(&by_lang[0]), "ja", score_json(&by_lang[1]),
					"questions", items);
		char *s = json_dumps(out, JSON_COMPACT);
		if (s)
			printf("%s\n", s);
		free(s);
		json_decref(out);
	} else {
		json_decref(items);
		printf("%-6s %9s %9s %10s %9s\n", "lang", "questions", "accuracy", "cit.prec.", "recall@k");
		print_row("en", &by_lang[0]);
		print_row("ja", &by_lang[1]);
		print_row("all", &total);
	}
	return rc;
}
