/*
 * cmd_eval_pii.c — `cristal eval pii --labels FILE [--json] [--verbose]
 * [--no-lists]`: measures the personal-data detector (pii.h) on a
 * labelled set.
 *
 * Input: JSON Lines, one text each: {"id", "lang": "en"|"ja", "type",
 * "names": [names the caller knows, as a users directory or a mail's
 * metadata would give them], "text", "spans": [[KIND, "value"], ...]}.
 * Every occurrence of a value in the text is a labelled span of that kind,
 * except an occurrence inside a longer labelled span ("Daniel" inside
 * "Daniel Okafor" is that one span).
 * Scores per kind, per language and overall:
 *   recall      labelled spans overlapped by a detected span of the same
 *               kind / labelled spans ("exact": same bytes)
 *   false pos.  detected spans that overlap no labelled span of their kind
 * --no-lists leaves the "names" lists out (the detector alone).
 * --verbose prints every miss and false positive.
 */
#include "cli.h"
#include "cristal/pii.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

typedef struct tally {
	int expected, found, exact, detected, fp;
} tally;

enum { LANG_EN, LANG_JA, LANG_ALL, N_LANG };
static const char *const LANG_NAMES[N_LANG] = {"en", "ja", "all"};

typedef struct lspan {
	size_t s, e;
	int kind;
	int hit;
} lspan;

static void usage(FILE *f)
{
	fprintf(f, "usage: cristal eval pii --labels FILE [--json] [--verbose] [--no-lists]\n\n"
		   "Measures personal-data detection on a labelled set (JSON Lines {\"id\", \"lang\",\n"
		   "\"names\": [...], \"text\", \"spans\": [[KIND, VALUE], ...]}): recall and false\n"
		   "positives per kind (PERSON EMAIL PHONE ADDRESS MYNUMBER CARD) and language.\n");
}

static double ratio(int a, int b) { return b ? (double)a / b : 0; }

static void add(tally *t, const tally *d)
{
	t->expected += d->expected, t->found += d->found, t->exact += d->exact;
	t->detected += d->detected, t->fp += d->fp;
}

/* Labelled spans of one text: every occurrence of each value, minus the
 * ones inside a longer labelled span. */
static size_t label_spans(const char *text, json_t *spans, lspan *out, size_t cap, int *bad)
{
	size_t n = 0, i;
	json_t *v;
	json_array_foreach(spans, i, v)
	{
		const char *kind = json_string_value(json_array_get(v, 0));
		const char *val = json_string_value(json_array_get(v, 1));
		int k = cr_pii_kind_parse(kind);
		if (k < 0 || !val || !*val) {
			*bad = 1;
			continue;
		}
		size_t vl = strlen(val);
		int any = 0;
		for (const char *p = strstr(text, val); p; p = strstr(p + vl, val)) {
			any = 1;
			if (n < cap)
				out[n++] = (lspan){(size_t)(p - text), (size_t)(p - text) + vl, k, 0};
		}
		if (!any)
			*bad = 1;
	}
	/* drop nested ones and duplicates */
	size_t m = 0;
	for (size_t a = 0; a < n; a++) {
		int inside = 0;
		for (size_t b = 0; b < n && !inside; b++) {
			if (a == b)
				continue;
			int within = out[b].s <= out[a].s && out[a].e <= out[b].e;
			int longer = out[b].e - out[b].s > out[a].e - out[a].s;
			inside = within && (longer || (b < a && out[b].s == out[a].s && out[b].e == out[a].e));
		}
		if (!inside)
			out[m++] = out[a];
	}
	return m;
}

int cli_eval_pii(cr_cli *cli, int argc, char **argv)
{
	CR_UNUSED(cli);
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
					     {"json", no_argument, NULL, 'j'},
					     {"labels", required_argument, NULL, 'l'},
					     {"verbose", no_argument, NULL, 'v'},
					     {"no-lists", no_argument, NULL, 'n'},
					     {0}};
	int json = 0, verbose = 0, no_lists = 0, c;
	const char *labels = NULL;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h': usage(stdout); return 0;
		case 'j': json = 1; break;
		case 'v': verbose = 1; break;
		case 'n': no_lists = 1; break;
		case 'l': labels = optarg; break;
		default: usage(stderr); return CLI_USAGE;
		}
	}
	if (!labels || optind != argc) {
		usage(stderr);
		return CLI_USAGE;
	}
	FILE *f = fopen(labels, "r");
	if (!f)
		return cli_fail("eval", "cannot open %s", labels);
	cr_msg msg = {0};
	cr_pii *p = NULL;
	if (cr_pii_new(&p, &msg)) {
		fclose(f);
		return cli_fail("eval", "%s", msg.text);
	}
	tally t[CR_PII_N_KINDS + 1][N_LANG];
	memset(t, 0, sizeof t);
	int texts = 0, negatives = 0, negatives_clean = 0, rc = 0, line_no = 0;
	char *line = NULL;
	size_t cap = 0;
	json_t *report_items = json_array();
	while (getline(&line, &cap, f) > 0) {
		line_no++;
		if (line[0] == '\n' || line[0] == '#')
			continue;
		json_error_t jerr;
		json_t *o = json_loads(line, 0, &jerr);
		const char *text = json_string_value(json_object_get(o, "text"));
		const char *lang = json_string_value(json_object_get(o, "lang"));
		const char *id = json_string_value(json_object_get(o, "id"));
		json_t *spans = json_object_get(o, "spans");
		if (!o || !text || !lang || !json_is_array(spans)) {
			json_decref(o);
			rc = cli_fail("eval", "%s:%d: not a labelled text (%s)", labels, line_no,
				      o ? "needs text, lang, spans" : jerr.text);
			break;
		}
		int li = !strcmp(lang, "ja") ? LANG_JA : LANG_EN;
		cr_pii_clear_names(p);
		size_t i;
		json_t *v;
		json_array_foreach(json_object_get(o, "names"), i, v)
		{
			const char *nm = json_string_value(v);
			if (nm && !no_lists)
				CR_IGNORE(cr_pii_add_name(p, nm, strlen(nm))); /* a refused name is a miss */
		}
		lspan ls[512];
		int bad = 0;
		size_t nl = label_spans(text, spans, ls, CR_ARRAY_LEN(ls), &bad);
		if (bad) {
			json_decref(o);
			rc = cli_fail("eval", "%s:%d: a labelled value that is not in the text, or an unknown kind", labels,
				      line_no);
			break;
		}
		cr_arena a;
		cr_arena_init(&a, 0);
		cr_pii_span *d;
		size_t nd;
		cr_err e = cr_pii_detect(p, text, strlen(text), &a, &d, &nd, &msg);
		if (e) {
			cr_arena_release(&a);
			json_decref(o);
			rc = cli_fail("eval", "%s: %s", id ? id : "?", msg.text);
			break;
		}
		texts++;
		int fps_here = 0;
		json_t *misses = json_array(), *fps = json_array();
		for (size_t k = 0; k < nd; k++) {
			int hit = 0;
			for (size_t j = 0; j < nl; j++) {
				if ((int)d[k].kind != ls[j].kind || d[k].end <= ls[j].s || d[k].start >= ls[j].e)
					continue;
				hit = 1;
				if (!ls[j].hit)
					ls[j].hit = 1 + (d[k].start == ls[j].s && d[k].end == ls[j].e);
				else if (d[k].start == ls[j].s && d[k].end == ls[j].e)
					ls[j].hit = 2;
			}
			for (int l = li; l <= LANG_ALL; l += LANG_ALL - li) {
				t[d[k].kind][l].detected++;
				t[d[k].kind][l].fp += !hit;
				if (l == LANG_ALL)
					break;
			}
			if (!hit) {
				fps_here++;
				json_array_append_new(fps, json_pack("[s s#]", cr_pii_kind_name(d[k].kind),
								     text + d[k].start, (int)(d[k].end - d[k].start)));
			}
		}
		for (size_t j = 0; j < nl; j++) {
			for (int l = li; l <= LANG_ALL; l += LANG_ALL - li) {
				t[ls[j].kind][l].expected++;
				t[ls[j].kind][l].found += ls[j].hit > 0;
				t[ls[j].kind][l].exact += ls[j].hit == 2;
				if (l == LANG_ALL)
					break;
			}
			if (!ls[j].hit)
				json_array_append_new(misses, json_pack("[s s#]", cr_pii_kind_name(ls[j].kind),
									text + ls[j].s, (int)(ls[j].e - ls[j].s)));
		}
		if (!nl) {
			negatives++;
			negatives_clean += !fps_here;
		}
		if (verbose && !json) {
			size_t q;
			json_t *x;
			json_array_foreach(misses, q, x)
			{
				printf("%s  miss  %-8s ", id ? id : "?", json_string_value(json_array_get(x, 0)));
				cli_put(stdout, json_string_value(json_array_get(x, 1)), 0);
				putchar('\n');
			}
			json_array_foreach(fps, q, x)
			{
				printf("%s  false %-8s ", id ? id : "?", json_string_value(json_array_get(x, 0)));
				cli_put(stdout, json_string_value(json_array_get(x, 1)), 0);
				putchar('\n');
			}
		}
		if (json_array_size(misses) || json_array_size(fps))
			json_array_append_new(report_items, json_pack("{s:s?, s:o, s:o}", "id", id, "missed", misses,
								      "false_positives", fps));
		else
			json_decref(misses), json_decref(fps);
		cr_arena_release(&a);
		json_decref(o);
	}
	free(line);
	fclose(f);
	cr_pii_free(p);
	if (rc) {
		json_decref(report_items);
		return rc;
	}
	for (int k = 0; k < CR_PII_N_KINDS; k++)
		for (int l = 0; l < N_LANG; l++)
			add(&t[CR_PII_N_KINDS][l], &t[k][l]);
	if (json) {
		json_t *kinds = json_object();
		for (int k = 0; k <= CR_PII_N_KINDS; k++) {
			json_t *per = json_object();
			for (int l = 0; l < N_LANG; l++) {
				const tally *x = &t[k][l];
				json_object_set_new(per, LANG_NAMES[l],
						    json_pack("{s:i, s:i, s:i, s:f, s:f, s:i, s:i}", "expected", x->expected,
							      "found", x->found, "exact", x->exact, "recall",
							      ratio(x->found, x->expected), "exact_recall",
							      ratio(x->exact, x->expected), "detected", x->detected,
							      "false_positives", x->fp));
			}
			json_object_set_new(kinds, k < CR_PII_N_KINDS ? cr_pii_kind_name((cr_pii_kind)k) : "all", per);
		}
		json_t *r = json_pack("{s:s, s:i, s:i, s:i, s:b, s:o, s:o}", "labels", labels, "texts", texts,
				      "negative_texts", negatives, "negative_texts_clean", negatives_clean, "lists",
				      !no_lists, "kinds", kinds, "items", report_items);
		char *out = json_dumps(r, JSON_INDENT(1));
		if (out)
			puts(out);
		free(out);
		json_decref(r);
		return 0;
	}
	json_decref(report_items);
	printf("%d texts, %d labelled spans, %d texts with none (%d without a false positive)%s\n\n", texts,
	       t[CR_PII_N_KINDS][LANG_ALL].expected, negatives, negatives_clean, no_lists ? ", lists left out" : "");
	printf("%-9s %-4s %8s %7s %7s %8s %9s\n", "kind", "lang", "labelled", "recall", "exact", "detected", "false pos");
	for (int k = 0; k <= CR_PII_N_KINDS; k++)
		for (int l = 0; l < N_LANG; l++) {
			const tally *x = &t[k][l];
			if (!x->expected && !x->detected)
				continue;
			printf("%-9s %-4s %8d %7.3f %7.3f %8d %9d\n",
			       k < CR_PII_N_KINDS ? cr_pii_kind_name((cr_pii_kind)k) : "all", LANG_NAMES[l], x->expected,
			       ratio(x->found, x->expected), ratio(x->exact, x->expected), x->detected, x->fp);
		}
	return 0;
}
