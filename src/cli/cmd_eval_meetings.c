/*
 * cmd_eval_meetings.c — `cristal eval meetings --expected FILE [--json]
 * [--verbose] [PATH|QUERY]`: scores the meetings analysis (agent.h) against
 * hand-written expectations.
 *
 * Input: JSON Lines, one meeting each: {"doc", "lang": "en"|"ja", "date",
 * "decisions": [phrases, each to be found in one extracted decision],
 * "actions": [{"owner", "due": ISO date or null, "kind": due-expression
 * kind (agent.h: date, weekday, week, day, month, period, span, vague,
 * none), "task"}]}.
 * Scores, over every meeting the analysis finds or expects (a meeting found
 * that is not expected brings only false positives):
 *   actions     (owner, due) pairs: precision = matched / extracted, recall
 *               = matched / expected. Owners match when equal after NFKC
 *               and case folding, honorifics (さん, 様, 社長 ...) dropped, or
 *               when one is a word of the other ("Kenji" / "Kenji Sato") or
 *               a family name beginning it (佐藤 / 佐藤健二).
 *               Per meeting language, and per due-expression kind (the
 *               expected kind for expected pairs, the extracted kind for
 *               extracted ones).
 *   decisions   an expected phrase is found when an extracted decision
 *               contains it (NFKC + case folded); an extracted decision is
 *               right when it contains one of the phrases.
 *   dates       meetings whose date is the expected one.
 */
#include "cli.h"
#include "cristal/agent.h"
#include "cristal/text.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

typedef struct tally {
	int tp_pred, pred, tp_exp, exp; /* matched extracted, extracted, matched expected, expected */
} tally;

static double ratio(int a, int b) { return b ? (double)a / b : 0; }

static char *norm(const char *s)
{
	cr_buf b;
	cr_buf_init(&b, 0);
	if (cr_text_normalize(s, strlen(s), &b) || !b.data) {
		cr_buf_release(&b);
		return strdup(s);
	}
	char *r = strndup(b.data, b.len);
	cr_buf_release(&b);
	static const char *const hon[] = {"さん", "様", "社長", "部長", "課長", "くん", "君", " san"};
	for (int again = 1; r && again;) {
		again = 0;
		size_t l = strlen(r);
		while (l && r[l - 1] == ' ')
			r[--l] = 0;
		for (size_t i = 0; i < sizeof hon / sizeof *hon; i++) {
			size_t h = strlen(hon[i]);
			if (l > h && !strcmp(r + l - h, hon[i])) {
				r[l - h] = 0;
				again = 1;
				break;
			}
		}
	}
	return r;
}

static int word_in(const char *w, size_t wl, const char *s)
{
	for (const char *p = s; *p;) {
		const char *e = strchr(p, ' ');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == wl && !memcmp(p, w, l))
			return 1;
		p += l + (e != NULL);
	}
	return 0;
}

static int owner_match(const char *a, const char *b)
{
	char *x = norm(a), *y = norm(b);
	int hit = 0;
	if (x && y) {
		if (!strcmp(x, y))
			hit = 1;
		const char *sh = strlen(x) <= strlen(y) ? x : y, *lo = sh == x ? y : x;
		if (!hit && strchr(lo, ' ') && !strchr(sh, ' ') && strlen(sh) >= 2 && word_in(sh, strlen(sh), lo))
			hit = 1;
		/* a Japanese family name: at least two characters beginning the other */
		if (!hit && (unsigned char)sh[0] >= 0x80 && strlen(sh) >= 6 && !strncmp(sh, lo, strlen(sh)))
			hit = 1;
	}
	free(x);
	free(y);
	return hit;
}

static int contains_norm(const char *hay, const char *needle)
{
	char *h = norm(hay), *n = norm(needle);
	int hit = h && n && *n && strstr(h, n) != NULL;
	free(h);
	free(n);
	return hit;
}

static void iso_or_null(cr_ymd d, char out[11])
{
	if (d.y)
		cr_ymd_iso(d, out);
	else
		strcpy(out, "null");
}

static int kind_index(const char *k)
{
	for (int i = 0; i < CR_DUE_N_KINDS; i++)
		if (k && !strcmp(k, cr_due_kind_name((cr_due_kind)i)))
			return i;
	return 0;
}

static json_t *tally_json(const tally *t)
{
	return json_pack("{s:f,s:f,s:i,s:i,s:i}", "precision", ratio(t->tp_pred, t->pred), "recall",
			 ratio(t->tp_exp, t->exp), "matched", t->tp_exp, "extracted", t->pred, "expected", t->exp);
}

static void print_tally(const char *name, const tally *t)
{
	printf("%-10s %9.3f %7.3f   (%d/%d extracted right, %d/%d expected found)\n", name, ratio(t->tp_pred, t->pred),
	       ratio(t->tp_exp, t->exp), t->tp_pred, t->pred, t->tp_exp, t->exp);
}

int cli_eval_meetings(cr_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
					     {"json", no_argument, NULL, 'j'},
					     {"expected", required_argument, NULL, 'e'},
					     {"verbose", no_argument, NULL, 'v'},
					     {0}};
	int json = 0, verbose = 0, c;
	const char *expected = NULL;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			printf("usage: cristal [--data DIR] eval meetings --expected FILE [--json] [--verbose] [PATH|QUERY]\n");
			return 0;
		case 'j': json = 1; break;
		case 'v': verbose = 1; break;
		case 'e': expected = optarg; break;
		default: return 2;
		}
	}
	if (!expected || argc - optind > 1) {
		fprintf(stderr, "usage: cristal [--data DIR] eval meetings --expected FILE [--json] [--verbose] [PATH|QUERY]\n");
		return 2;
	}
	const char *scope = optind < argc ? argv[optind] : NULL;
	/* expectations */
	json_error_t jerr;
	FILE *f = fopen(expected, "r");
	if (!f)
		return cli_fail("eval", "%s: cannot open", expected);
	json_t *exp = json_array();
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t len;
	while ((len = getline(&line, &cap, f)) != -1) {
		lineno++;
		if (strspn(line, " \t\r\n") == (size_t)len)
			continue;
		json_t *o = json_loadb(line, (size_t)len, 0, &jerr);
		if (!json_is_string(json_object_get(o, "doc")) || !json_is_array(json_object_get(o, "actions"))) {
			free(line);
			fclose(f);
			json_decref(o);
			json_decref(exp);
			return cli_fail("eval", "%s: line %zu: not {\"doc\", \"lang\", \"date\", \"decisions\", \"actions\"}",
					expected, lineno);
		}
		json_array_append_new(exp, o);
	}
	free(line);
	fclose(f);

	cr_corpus *cp;
	cr_msg m = {{0}};
	cr_err e = cr_corpus_open(cli->data_dir, 0, &cp, &m);
	if (e) {
		json_decref(exp);
		return cli_fail("eval", "%s", m.text[0] ? m.text : cr_strerror(e));
	}
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_meetings_opts mo = {.scope = scope};
	cr_meeting *ms = NULL;
	size_t n = 0;
	if ((e = cr_agent_meetings(cp, &a, &mo, &ms, &n, &m))) {
		cr_arena_release(&a);
		cr_corpus_close(cp);
		json_decref(exp);
		return cli_fail("eval", "%s", m.text[0] ? m.text : cr_strerror(e));
	}

	tally all = {0}, by_lang[2] = {{0}}, by_kind[CR_DUE_N_KINDS] = {{0}}, dec = {0};
	int n_exp = (int)json_array_size(exp), found = 0, dates_right = 0;
	json_t *misses = json_array();
	char *used = calloc(n ? n : 1, 1);
	size_t i;
	json_t *em;
	json_array_foreach(exp, i, em)
	{
		const char *doc = json_string_value(json_object_get(em, "doc"));
		const char *lang = json_string_value(json_object_get(em, "lang"));
		int li = lang && !strcmp(lang, "ja");
		const cr_meeting *mt = NULL;
		for (size_t j = 0; j < n; j++)
			if (!strcmp(ms[j].doc, doc)) {
				mt = &ms[j];
				used[j] = 1;
			}
		found += mt != NULL;
		char iso[11] = "null";
		if (mt)
			iso_or_null(mt->date, iso);
		const char *edate = json_string_value(json_object_get(em, "date"));
		if (mt && edate && !strcmp(iso, edate))
			dates_right++;
		else if (verbose && !json)
			printf("date %s: %s, expected %s\n", doc, iso, edate ? edate : "null");
		/* actions */
		json_t *acts = json_object_get(em, "actions");
		size_t na = json_array_size(acts);
		char *hit_pred = calloc(mt && mt->n_actions ? mt->n_actions : 1, 1);
		for (size_t k = 0; k < na; k++) {
			json_t *ea = json_array_get(acts, k);
			const char *owner = json_string_value(json_object_get(ea, "owner"));
			const char *due = json_string_value(json_object_get(ea, "due"));
			int ki = kind_index(json_string_value(json_object_get(ea, "kind")));
			int ok = 0;
			for (size_t p = 0; mt && p < mt->n_actions && !ok; p++) {
				char d[11];
				iso_or_null(mt->actions[p].due, d);
				if (!hit_pred[p] && owner && owner_match(owner, mt->actions[p].owner) &&
				    !strcmp(d, due ? due : "null")) {
					hit_pred[p] = 1;
					ok = 1;
				}
			}
			all.exp++, by_lang[li].exp++, by_kind[ki].exp++;
			all.tp_exp += ok, by_lang[li].tp_exp += ok, by_kind[ki].tp_exp += ok;
			if (!ok) {
				json_array_append_new(misses, json_pack("{s:s,s:s,s:s?,s:s?,s:s}", "miss", "expected", "doc", doc,
									"owner", owner, "due", due, "task",
									json_string_value(json_object_get(ea, "task")) ?: ""));
				if (verbose && !json)
					printf("missed   %s: %s, %s: %s\n", doc, owner ? owner : "?", due ? due : "null",
					       json_string_value(json_object_get(ea, "task")) ?: "");
			}
		}
		for (size_t p = 0; mt && p < mt->n_actions; p++) {
			int ki = mt->actions[p].due.y || mt->actions[p].due_text ? (int)mt->actions[p].due_kind : 0;
			int ok = hit_pred[p];
			all.pred++, by_lang[li].pred++, by_kind[ki].pred++;
			all.tp_pred += ok, by_lang[li].tp_pred += ok, by_kind[ki].tp_pred += ok;
			if (!ok) {
				char d[11];
				iso_or_null(mt->actions[p].due, d);
				json_array_append_new(misses, json_pack("{s:s,s:s,s:s,s:s,s:s}", "miss", "extracted", "doc", doc,
									"owner", mt->actions[p].owner, "due", d, "task",
									mt->actions[p].task));
				if (verbose && !json)
					printf("extra    %s: %s, %s: %s\n", doc, mt->actions[p].owner, d, mt->actions[p].task);
			}
		}
		free(hit_pred);
		/* decisions */
		json_t *ds = json_object_get(em, "decisions");
		size_t nd = json_array_size(ds);
		for (size_t k = 0; k < nd; k++) {
			const char *ph = json_string_value(json_array_get(ds, k));
			int ok = 0;
			for (size_t p = 0; mt && p < mt->n_decisions && !ok; p++)
				ok = ph && contains_norm(mt->decisions[p].text, ph);
			dec.exp++, dec.tp_exp += ok;
			if (!ok && verbose && !json)
				printf("missed   %s: decision '%s'\n", doc, ph ? ph : "");
		}
		for (size_t p = 0; mt && p < mt->n_decisions; p++) {
			int ok = 0;
			for (size_t k = 0; k < nd && !ok; k++) {
				const char *ph = json_string_value(json_array_get(ds, k));
				ok = ph && contains_norm(mt->decisions[p].text, ph);
			}
			dec.pred++, dec.tp_pred += ok;
			if (!ok && verbose && !json)
				printf("extra    %s: decision '%s'\n", doc, mt->decisions[p].text);
		}
	}
	/* meetings found that nobody expected: all their actions are wrong */
	int unexpected = 0;
	for (size_t j = 0; j < n; j++) {
		if (used[j])
			continue;
		unexpected++;
		int li = !strcmp(ms[j].lang, "ja");
		for (size_t p = 0; p < ms[j].n_actions; p++) {
			int ki = ms[j].actions[p].due.y || ms[j].actions[p].due_text ? (int)ms[j].actions[p].due_kind : 0;
			all.pred++, by_lang[li].pred++, by_kind[ki].pred++;
		}
		dec.pred += (int)ms[j].n_decisions;
		json_array_append_new(misses, json_pack("{s:s,s:s}", "miss", "unexpected meeting", "doc", ms[j].doc));
		if (verbose && !json)
			printf("unexpected meeting %s (%zu actions)\n", ms[j].doc, ms[j].n_actions);
	}
	free(used);
	if (json) {
		json_t *kinds = json_object();
		for (int k = 0; k < CR_DUE_N_KINDS; k++)
			if (by_kind[k].exp || by_kind[k].pred)
				json_object_set_new(kinds, cr_due_kind_name((cr_due_kind)k), tally_json(&by_kind[k]));
		json_t *out = json_pack("{s:{s:i,s:i,s:i,s:i},s:o,s:o,s:{s:o,s:o},s:o,s:o}", "meetings", "expected", n_exp,
					"found", found, "unexpected", unexpected, "dates_right", dates_right, "actions",
					tally_json(&all), "decisions", tally_json(&dec), "by_lang", "en",
					tally_json(&by_lang[0]), "ja", tally_json(&by_lang[1]), "by_kind", kinds, "misses",
					misses);
		char *s = json_dumps(out, JSON_COMPACT);
		if (s)
			printf("%s\n", s);
		free(s);
		json_decref(out);
	} else {
		json_decref(misses);
		printf("meetings: %d expected, %d found, %d not expected, %d dated right\n", n_exp, found, unexpected,
		       dates_right);
		printf("%-10s %9s %7s\n", "", "precision", "recall");
		print_tally("actions", &all);
		print_tally("decisions", &dec);
		printf("by language\n");
		print_tally("en", &by_lang[0]);
		print_tally("ja", &by_lang[1]);
		printf("by due-date kind\n");
		for (int k = 0; k < CR_DUE_N_KINDS; k++)
			if (by_kind[k].exp || by_kind[k].pred)
				print_tally(cr_due_kind_name((cr_due_kind)k), &by_kind[k]);
	}
	json_decref(exp);
	cr_arena_release(&a);
	cr_corpus_close(cp);
	return 0;
}
