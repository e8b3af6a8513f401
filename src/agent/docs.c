/*
 * docs.c — `analyze docs`: what a set of documents says, with rules alone
 * (agent.h cr_agent_docs). The set is a folder or a document (names as
 * search prints them) or a search's top documents (agent_select), under
 * the caller's ACL. For each document: its title, type, date and its lead
 * (the first two sentences of substance: not its title, no question, 30
 * bytes or more). Over the set, each with the sentence it comes from and
 * its location (a citation):
 *   - key figures: a number with a currency (¥ $ € £, USD, JPY, EUR) or a
 *     unit (%, million, yen, 円, 万円, days, 日間, units, 台, 名, ...);
 *     bare numbers, years and dates are not figures;
 *   - dates: calendar dates the text gives ("June 26", 3月13日,
 *     2026-06-01), resolved against the document's date (cr_due_find);
 *   - people: names the personal-data detector finds (pii.h), by mentions.
 */
#include "agent_int.h"

#include "cristal/pii.h"

#include <stdlib.h>
#include <string.h>

#define MAX_DOCS 200
#define MAX_FIGURES 100
#define MAX_DATES 100
#define MAX_PEOPLE 30

static const char *const units[] = {
	"%", "％", " percent", " million", " billion", " thousand", " yen", "円", "万円", "億円", "万", "億",
	" days", " day", " hours", " weeks", " months", " years", " units", " nights", " people", " employees",
	" arms", " kg", " km", " mm", " ms", " MB", " GB", " TB", "日間", "時間", "週間", "か月", "ヶ月", "件", "台",
	"名", "人", "個", " per cent"};
static const char *const currencies[] = {"¥", "￥", "$", "€", "£", "USD ", "JPY ", "EUR "};

static int digit(unsigned char c) { return c >= '0' && c <= '9'; }

/* The figure starting at or around number p..q in s: [*fs, *fe). */
static int figure_at(const char *s, size_t n, size_t p, size_t q, size_t *fs, size_t *fe)
{
	size_t start = p, end = q;
	int cur = 0;
	for (size_t i = 0; i < CR_ARRAY_LEN(currencies) && !cur; i++) {
		size_t l = strlen(currencies[i]);
		if (p >= l && !memcmp(s + p - l, currencies[i], l)) {
			start = p - l;
			cur = 1;
		}
	}
	/* a scale after the number: "48 million", "7.2 million" */
	for (size_t i = 0; i < CR_ARRAY_LEN(units); i++) {
		size_t l = strlen(units[i]);
		if (end + l <= n && !memcmp(s + end, units[i], l) &&
		    (end + l == n || !(s[end + l] >= 'a' && s[end + l] <= 'z'))) {
			end += l;
			cur = 2;
			break;
		}
	}
	if (!cur)
		return 0;
	/* dates are not figures: 2026-06-01, 6/15, 3月13日 */
	if ((p && (s[p - 1] == '-' || s[p - 1] == '/')) || (q < n && (s[q] == '-' || s[q] == '/')) ||
	    (q + 3 <= n && !memcmp(s + q, "月", 3)) || (p >= 3 && !memcmp(s + p - 3, "月", 3)))
		return 0;
	*fs = start;
	*fe = end;
	return 1;
}

int cr_docs_figures(const char *s, size_t sl, size_t *starts, size_t *ends, int max)
{
	int n = 0;
	for (size_t p = 0; p < sl && n < max;) {
		if (!digit((unsigned char)s[p]) ||
		    (p && (digit((unsigned char)s[p - 1]) || ((unsigned char)s[p - 1] >= 'A' && (unsigned char)s[p - 1] < 0x80)))) {
			p++;
			continue;
		}
		size_t q = p;
		while (q < sl && (digit((unsigned char)s[q]) ||
				  ((s[q] == ',' || s[q] == '.') && q + 1 < sl && digit((unsigned char)s[q + 1]))))
			q++;
		size_t fs, fe;
		if ((q == sl || !((unsigned char)s[q] >= 'A' && (unsigned char)s[q] < 0x80) || s[q] == ' ' || s[q] == '%') &&
		    figure_at(s, sl, p, q, &fs, &fe)) {
			starts[n] = fs;
			ends[n++] = fe;
			p = fe;
		} else
			p = q;
	}
	return n;
}

static int by_date_item(const void *a, const void *b)
{
	const cr_docs_item *x = a, *y = b;
	int c = strcmp(x->text, y->text);
	return c ? c : strcmp(x->doc, y->doc);
}

static int by_mentions(const void *a, const void *b)
{
	const cr_docs_item *x = a, *y = b;
	return x->count != y->count ? y->count - x->count : strcmp(x->text, y->text);
}

/* The location of a text offset: the part (chunk) holding it. */
static cr_loc loc_at(const cr_doc_text *t, size_t off)
{
	for (size_t i = 0; i < t->n_parts; i++)
		if (off < t->parts[i].start + t->parts[i].len)
			return t->parts[i].loc;
	return t->n_parts ? t->parts[t->n_parts - 1].loc : (cr_loc){.t_start = -1, .t_end = -1};
}

static const char *clip(cr_arena *a, const char *s, size_t n)
{
	if (n > 400) {
		n = 400;
		while (n && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	char *r = cr_arena_strndup(a, s, n);
	for (char *p = r; p && *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	return r;
}

cr_err cr_agent_docs(cr_corpus *c, cr_arena *a, const cr_docs_opts *o, cr_docs_report *out, cr_msg *m)
{
	memset(out, 0, sizeof *out);
	out->scope = o && o->scope ? cr_arena_strdup(a, o->scope) : NULL;
	int64_t *ids = NULL;
	size_t n_ids = 0;
	int single = 0;
	cr_err e = agent_select(c, o ? o->scope : NULL, o && o->k > 0 ? o->k : 20, o ? o->who : NULL,
				o ? o->cancel : NULL, &ids, &n_ids, &single, m);
	if (e)
		return e;
	cr_pii *pii = NULL;
	if ((e = cr_pii_new(&pii, m))) {
		cr_free(ids);
		return e;
	}
	cr_pii_set_kinds(pii, 1u << CR_PII_PERSON);
	size_t cap = CR_MIN(n_ids, (size_t)MAX_DOCS);
	out->docs = cap ? cr_arena_zalloc(a, cap * sizeof *out->docs) : NULL;
	out->figures = cr_arena_zalloc(a, MAX_FIGURES * sizeof *out->figures);
	out->dates = cr_arena_zalloc(a, MAX_DATES * sizeof *out->dates);
	cr_docs_item *people = cr_arena_zalloc(a, 512 * sizeof *people);
	size_t n_people = 0;
	if ((cap && !out->docs) || !out->figures || !out->dates || !people)
		e = cr_fail(m, CR_ENOMEM, "out of memory");
	for (size_t i = 0; i < n_ids && !e && out->n_docs < MAX_DOCS; i++) {
		if ((e = cr_cancel_check(o ? o->cancel : NULL)))
			break;
		cr_store *st;
		cr_doc_row row;
		if ((e = cr_corpus_store_acquire(c, &st, m)))
			break;
		e = cr_store_doc_get(st, a, ids[i], &row, m);
		cr_corpus_store_release(c, st);
		if (e == CR_ENOTFOUND) {
			e = CR_OK;
			continue;
		}
		if (e)
			break;
		if (!cr_acl_allows(o ? o->who : NULL, &row.acl) || (row.type && !strcmp(row.type, "git-commit")))
			continue;
		cr_doc_text t;
		if ((e = cr_corpus_doc_text(c, a, row.id, &t, m)))
			break;
		cr_docs_doc *d = &out->docs[out->n_docs++];
		d->doc = row.name;
		d->title = row.title;
		d->type = row.type;
		d->date = row.date;
		cr_sentence *ss;
		size_t ns;
		if ((e = cr_answer_sentences(a, row.type, t.text, t.len, &ss, &ns)))
			break;
		cr_ymd ref = row.date > 0 ? cr_ymd_from_days(row.date / 86400) : (cr_ymd){0};
		cr_buf lead;
		cr_buf_init(&lead, 0);
		int n_lead = 0;
		for (size_t k = 0; k < ns && !e; k++) {
			const char *s = t.text + ss[k].start;
			size_t sl = ss[k].len;
			int is_title = row.title && strlen(row.title) == sl && !memcmp(row.title, s, sl);
			if (n_lead < 2 && sl >= 30 && !is_title && s[sl - 1] != '?' && !(sl >= 3 && !memcmp(s + sl - 3, "？", 3))) {
				if (!n_lead)
					d->loc = loc_at(&t, ss[k].start);
				e = cr_buf_printf(&lead, "%s%.*s", n_lead ? " " : "", (int)sl, s);
				n_lead++;
			}
			/* figures */
			size_t fs[8], fe[8];
			int nf = cr_docs_figures(s, sl, fs, fe, 8);
			for (int q = 0; q < nf && out->n_figures < MAX_FIGURES; q++) {
				cr_docs_item *f = &out->figures[out->n_figures++];
				f->text = clip(a, s + fs[q], fe[q] - fs[q]);
				f->sentence = clip(a, s, sl);
				f->doc = row.name;
				f->loc = loc_at(&t, ss[k].start);
				f->count = 1;
			}
			/* dates: every calendar date of the sentence, left to right
			 * (cr_due_find gives one expression; the rest is searched again) */
			cr_due du;
			for (size_t at = 0, round = 0; round < 6 && at < sl && out->n_dates < MAX_DATES; round++) {
				if (!cr_due_find(s + at, sl - at, ref, &du) || !du.len)
					break;
				if (du.kind == CR_DUE_DATE && du.date.y) {
					char iso[11];
					cr_ymd_iso(du.date, iso);
					cr_docs_item *dt = &out->dates[out->n_dates++];
					dt->text = cr_arena_strdup(a, iso);
					dt->sentence = clip(a, s, sl);
					dt->doc = row.name;
					dt->loc = loc_at(&t, ss[k].start);
					dt->count = 1;
				}
				at += du.off + du.len;
			}
		}
		if (!e && lead.len && !(d->summary = clip(a, lead.data, lead.len)))
			e = cr_fail(m, CR_ENOMEM, "out of memory");
		cr_buf_release(&lead);
		/* people */
		cr_pii_span *sp;
		size_t nsp;
		if (!e && (e = cr_pii_detect(pii, t.text, t.len, a, &sp, &nsp, m)) == CR_ETOOBIG)
			e = CR_OK, nsp = 0;
		for (size_t k = 0; !e && k < nsp; k++) {
			const char *nm = t.text + sp[k].start;
			size_t nl = sp[k].end - sp[k].start;
			size_t j = 0;
			while (j < n_people && !(strlen(people[j].text) == nl && !memcmp(people[j].text, nm, nl)))
				j++;
			if (j < n_people) {
				people[j].count++;
				continue;
			}
			if (n_people == 512)
				continue;
			size_t sb = 0, se = t.len;
			for (size_t q = 0; q < ns; q++)
				if (ss[q].start <= sp[k].start && sp[k].start < ss[q].start + ss[q].len) {
					sb = ss[q].start;
					se = ss[q].start + ss[q].len;
					break;
				}
			people[n_people++] = (cr_docs_item){.text = clip(a, nm, nl), .sentence = clip(a, t.text + sb, se - sb),
							    .doc = row.name, .loc = loc_at(&t, sb), .count = 1};
		}
	}
	cr_free(ids);
	cr_pii_free(pii);
	if (e)
		return e == CR_ENOMEM ? cr_fail(m, e, "out of memory") : e;
	if (out->n_dates > 1)
		qsort(out->dates, out->n_dates, sizeof *out->dates, by_date_item);
	if (n_people > 1)
		qsort(people, n_people, sizeof *people, by_mentions);
	out->people = people;
	out->n_people = CR_MIN(n_people, (size_t)MAX_PEOPLE);
	if (!out->n_docs)
		return cr_fail(m, CR_ENOTFOUND, "no documents you may read in '%s'", o && o->scope ? o->scope : "the corpus");
	return CR_OK;
}

/* ---- output ---------------------------------------------------------------------- */

#define PUT(x)                     \
	do {                       \
		if (!e)            \
			e = (x);   \
	} while (0)


static cr_err items_json(cr_buf *b, const char *key, const char *what, const cr_docs_item *v, size_t n, int counts)
{
	cr_err e = cr_buf_printf(b, ",\"%s\":[", key);
	for (size_t i = 0; i < n; i++) {
		PUT(cr_buf_printf(b, "%s{\"%s\":", i ? "," : "", what));
		PUT(agent_json_str(b, v[i].text));
		if (counts)
			PUT(cr_buf_printf(b, ",\"mentions\":%d", v[i].count));
		PUT(cr_buf_adds(b, ",\"sentence\":"));
		PUT(agent_json_str(b, v[i].sentence));
		PUT(cr_buf_adds(b, ",\"doc\":"));
		PUT(agent_json_str(b, v[i].doc));
		PUT(cr_buf_adds(b, ",\"location\":"));
		PUT(cr_corpus_loc_json(b, &v[i].loc));
		PUT(cr_buf_addc(b, '}'));
	}
	PUT(cr_buf_addc(b, ']'));
	return e;
}

cr_err cr_docs_json(const cr_docs_report *r, cr_buf *b)
{
	cr_err e = cr_buf_adds(b, "{\"scope\":");
	PUT(agent_json_str(b, r->scope));
	PUT(cr_buf_adds(b, ",\"documents\":["));
	for (size_t i = 0; i < r->n_docs; i++) {
		const cr_docs_doc *d = &r->docs[i];
		PUT(cr_buf_adds(b, i ? ",{\"doc\":" : "{\"doc\":"));
		PUT(agent_json_str(b, d->doc));
		PUT(cr_buf_adds(b, ",\"title\":"));
		PUT(agent_json_str(b, d->title));
		PUT(cr_buf_adds(b, ",\"type\":"));
		PUT(agent_json_str(b, d->type));
		if (d->date > 0) {
			char iso[11];
			cr_ymd_iso(cr_ymd_from_days(d->date / 86400), iso);
			PUT(cr_buf_printf(b, ",\"date\":\"%s\"", iso));
		} else
			PUT(cr_buf_adds(b, ",\"date\":null"));
		PUT(cr_buf_adds(b, ",\"summary\":"));
		PUT(agent_json_str(b, d->summary));
		PUT(cr_buf_adds(b, ",\"location\":"));
		PUT(cr_corpus_loc_json(b, &d->loc));
		PUT(cr_buf_addc(b, '}'));
	}
	PUT(cr_buf_addc(b, ']'));
	PUT(items_json(b, "figures", "figure", r->figures, r->n_figures, 0));
	PUT(items_json(b, "dates", "date", r->dates, r->n_dates, 0));
	PUT(items_json(b, "people", "name", r->people, r->n_people, 1));
	PUT(cr_buf_addc(b, '}'));
	return e;
}

static cr_err md(cr_buf *b, const char *s) { return cr_buf_adds(b, s ? s : ""); }

typedef cr_err (*esc_fn)(cr_buf *, const char *);

static cr_err body(const cr_docs_report *r, cr_buf *b, int as_md)
{
	esc_fn esc = as_md ? md : agent_html;
	cr_err e = cr_buf_printf(b, as_md ? "%zu documents, %zu key figures, %zu dates, %zu people.\n\n## Documents\n\n"
					  : "<p>%zu documents, %zu key figures, %zu dates, %zu people.</p><h2>Documents</h2>\n<ul>\n",
				 r->n_docs, r->n_figures, r->n_dates, r->n_people);
	for (size_t i = 0; i < r->n_docs; i++) {
		const cr_docs_doc *d = &r->docs[i];
		PUT(cr_buf_adds(b, as_md ? "- **" : "<li><b>"));
		PUT(esc(b, d->title ? d->title : d->doc));
		PUT(cr_buf_adds(b, as_md ? "** (" : "</b> ("));
		PUT(esc(b, d->doc));
		PUT(cr_buf_adds(b, ")"));
		if (d->summary) {
			PUT(cr_buf_adds(b, ": "));
			PUT(esc(b, d->summary));
		}
		PUT(cr_buf_adds(b, as_md ? "\n" : "</li>\n"));
	}
	if (!as_md)
		PUT(cr_buf_adds(b, "</ul>\n"));
	static const char *const heads[] = {"Key figures", "Dates", "People"};
	const cr_docs_item *lists[] = {r->figures, r->dates, r->people};
	size_t ns[] = {r->n_figures, r->n_dates, r->n_people};
	for (int k = 0; k < 3; k++) {
		PUT(cr_buf_printf(b, as_md ? "\n## %s\n\n" : "<h2>%s</h2>\n<table>\n", heads[k]));
		for (size_t i = 0; i < ns[k]; i++) {
			const cr_docs_item *v = &lists[k][i];
			PUT(cr_buf_adds(b, as_md ? "- **" : "<tr><td><b>"));
			PUT(esc(b, v->text));
			if (k == 2)
				PUT(cr_buf_printf(b, as_md ? "** (%d mentions): " : "</b> (%d)</td><td>", v->count));
			else
				PUT(cr_buf_adds(b, as_md ? "**: " : "</b></td><td>"));
			PUT(esc(b, v->sentence));
			PUT(cr_buf_adds(b, as_md ? " — " : "</td><td>"));
			PUT(esc(b, v->doc));
			PUT(cr_buf_adds(b, as_md ? "\n" : "</td></tr>\n"));
		}
		if (!as_md)
			PUT(cr_buf_adds(b, "</table>\n"));
	}
	return e;
}

cr_err cr_docs_report_md(const cr_docs_report *r, cr_buf *b)
{
	cr_err e = cr_buf_adds(b, "# Documents: ");
	PUT(md(b, r->scope ? r->scope : "everything"));
	PUT(cr_buf_adds(b, "\n\n"));
	PUT(body(r, b, 1));
	return e;
}

cr_err cr_docs_report_html(const cr_docs_report *r, cr_buf *b)
{
	cr_err e = cr_buf_adds(b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Documents: ");
	PUT(agent_html(b, r->scope ? r->scope : "everything"));
	PUT(cr_buf_printf(b, "</title><style>%s</style></head><body>\n<h1>Documents: ", agent_report_css));
	PUT(agent_html(b, r->scope ? r->scope : "everything"));
	PUT(cr_buf_adds(b, "</h1>\n"));
	/* documents by type, and by month */
	agent_bar v[32];
	size_t n = 0;
	for (size_t i = 0; i < r->n_docs; i++) {
		const char *t = r->docs[i].type ? r->docs[i].type : "?";
		size_t k = 0;
		while (k < n && strcmp(v[k].label, t))
			k++;
		if (k == n && n < 32)
			v[n++] = (agent_bar){t, 0};
		if (k < n)
			v[k].v++;
	}
	PUT(agent_svg_bars(b, "Documents by type", v, n, ""));
	char months[32][8];
	n = 0;
	for (size_t i = 0; i < r->n_docs; i++) {
		if (r->docs[i].date <= 0)
			continue;
		cr_ymd d = cr_ymd_from_days(r->docs[i].date / 86400);
		char mo[16];
		snprintf(mo, sizeof mo, "%04d-%02d", d.y % 10000, d.m % 100);
		size_t k = 0;
		while (k < n && strcmp(months[k], mo))
			k++;
		if (k == n && n < 32) {
			memcpy(months[n], mo, 8);
			v[n++] = (agent_bar){months[k], 0};
		}
		if (k < n)
			v[k].v++;
	}
	/* months in order */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(v[j - 1].label, v[j].label) > 0; j--) {
			agent_bar x = v[j];
			v[j] = v[j - 1];
			v[j - 1] = x;
		}
	if (n)
		PUT(agent_svg_bars(b, "Documents by month", v, n, ""));
	PUT(body(r, b, 0));
	PUT(cr_buf_adds(b, "</body></html>\n"));
	return e;
}
