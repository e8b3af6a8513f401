/*
 * report.c — the meetings report (agent.h: cr_meetings_report_md,
 * cr_meetings_report_html, cr_meetings_chart_svg).
 *
 * Owners are grouped under one name: an owner written short ("Kenji",
 * "Okafor", 佐藤) is put under the one longer owner or speaker of the same
 * meetings it is a word of, or a family name beginning ("Kenji Sato",
 * "Daniel Okafor", 佐藤健二) — only when exactly one such name exists.
 *
 * The chart is SVG drawn here: one row per owner, a bar of their action
 * items, and a grid of the weeks the items are due (Monday of the ISO week;
 * undated items in a column of their own), each cell a square whose area
 * grows with the count, the count written in it. At most 16 week columns:
 * later weeks are counted in a last "later" column. The HTML file holds
 * its style and the SVG inline: no external assets, no script.
 */
#include "agent_int.h"

#include <stdlib.h>
#include <string.h>

#define PUT(x)                           \
	do {                             \
		if (!err)                \
			err = (x);       \
	} while (0)

#define MAX_WEEKS 16

/* ---- owners ------------------------------------------------------------------ */

static int is_word_of(const char *w, const char *s)
{
	size_t l = strlen(w);
	if (!l || strlen(s) <= l)
		return 0;
	if ((unsigned char)w[0] >= 0x80) /* a family name beginning a Japanese name */
		return l >= 6 && !strncmp(s, w, l);
	for (const char *p = s; (p = strstr(p, w)); p++)
		if ((p == s || p[-1] == ' ') && (p[l] == 0 || p[l] == ' '))
			return 1;
	return 0;
}

typedef struct owner_set {
	const char **names; /* distinct owners and speakers */
	size_t n;
} owner_set;

static void set_add(owner_set *o, const char *s)
{
	if (!s || !*s)
		return;
	for (size_t i = 0; i < o->n; i++)
		if (!strcmp(o->names[i], s))
			return;
	o->names[o->n++] = s;
}

/* The name an owner is reported under. */
static const char *canonical(const owner_set *o, const char *owner)
{
	const char *best = NULL;
	for (size_t i = 0; i < o->n; i++)
		if (is_word_of(owner, o->names[i])) {
			if (best && strcmp(best, o->names[i]))
				return owner; /* ambiguous */
			best = o->names[i];
		}
	return best ? best : owner;
}

typedef struct row {
	const cr_meeting *mt;
	const cr_action *ac;
	const char *owner; /* canonical */
	int64_t week;      /* days of the due week's Monday; INT64_MAX: no date */
} row;

static int by_owner_due(const void *x, const void *y)
{
	const row *a = x, *b = y;
	int c = strcmp(a->owner, b->owner);
	if (c)
		return c;
	int64_t da = a->ac->due.y ? cr_ymd_days(a->ac->due) : INT64_MAX;
	int64_t db = b->ac->due.y ? cr_ymd_days(b->ac->due) : INT64_MAX;
	return da < db ? -1 : da > db;
}

/* Every action with its canonical owner, sorted by owner then due date
 * (free with free()); NULL when there are none or memory ran out. */
static row *rows_of(const cr_meeting *ms, size_t n, size_t *n_rows)
{
	size_t n_act = 0, n_names = 0;
	for (size_t i = 0; i < n; i++) {
		n_act += ms[i].n_actions;
		n_names += 2 * ms[i].n_actions + ms[i].n_decisions;
	}
	*n_rows = 0;
	if (!n_act)
		return NULL;
	owner_set os = {calloc(n_names + 1, sizeof(char *)), 0};
	row *r = malloc(n_act * sizeof *r);
	if (!os.names || !r) {
		free(os.names);
		free(r);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < ms[i].n_actions; j++) {
			set_add(&os, ms[i].actions[j].owner);
			set_add(&os, ms[i].actions[j].loc.speaker);
		}
		for (size_t j = 0; j < ms[i].n_decisions; j++)
			set_add(&os, ms[i].decisions[j].loc.speaker);
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < ms[i].n_actions; j++) {
			const cr_action *ac = &ms[i].actions[j];
			int64_t w = INT64_MAX;
			if (ac->due.y) {
				int64_t d = cr_ymd_days(ac->due);
				w = d - (((d % 7) + 7 + 3) % 7); /* back to Monday (1970-01-01 was a Thursday) */
			}
			r[k++] = (row){&ms[i], ac, canonical(&os, ac->owner), w};
		}
	free(os.names);
	qsort(r, k, sizeof *r, by_owner_due);
	*n_rows = k;
	return r;
}

/* ---- escaping ------------------------------------------------------------------ */

static cr_err xml(cr_buf *b, const char *s)
{
	cr_err err = CR_OK;
	for (; s && *s && !err; s++) {
		switch (*s) {
		case '<': err = cr_buf_adds(b, "&lt;"); break;
		case '>': err = cr_buf_adds(b, "&gt;"); break;
		case '&': err = cr_buf_adds(b, "&amp;"); break;
		case '"': err = cr_buf_adds(b, "&quot;"); break;
		case '\'': err = cr_buf_adds(b, "&#39;"); break;
		default:
			if ((unsigned char)*s < 0x20)
				err = cr_buf_addc(b, ' ');
			else
				err = cr_buf_addc(b, *s);
		}
	}
	return err;
}

/* Markdown table cell: | and line breaks would break the table. */
static cr_err md_cell(cr_buf *b, const char *s)
{
	cr_err err = CR_OK;
	for (; s && *s && !err; s++)
		err = *s == '|' ? cr_buf_adds(b, "\\|") : (unsigned char)*s < 0x20 ? cr_buf_addc(b, ' ') : cr_buf_addc(b, *s);
	return err;
}

static void iso(cr_ymd d, char out[11])
{
	if (d.y)
		cr_ymd_iso(d, out);
	else
		strcpy(out, "no date");
}

/* Where an item was said, in words: "Mei Lin at 0:43", "page 2", "lines 3-9". */
static cr_err where(cr_buf *b, const cr_loc *l)
{
	cr_err err = CR_OK;
	const char *sep = "";
	if (l->page > 0) {
		PUT(cr_buf_printf(b, "page %d", l->page));
		sep = ", ";
	}
	if (l->slide > 0) {
		PUT(cr_buf_printf(b, "%sslide %d", sep, l->slide));
		sep = ", ";
	}
	if (l->line_start > 0) {
		PUT(cr_buf_printf(b, "%sline %d", sep, l->line_start));
		sep = ", ";
	}
	if (l->heading) {
		PUT(cr_buf_printf(b, "%s%s", sep, l->heading));
		sep = ", ";
	}
	if (l->speaker) {
		PUT(cr_buf_printf(b, "%s%s", sep, l->speaker));
		sep = " ";
	}
	if (l->t_start >= 0) {
		int t = (int)l->t_start;
		PUT(cr_buf_printf(b, "%sat %d:%02d", *sep ? " " : "", t / 60, t % 60));
	}
	return err;
}

/* ---- the chart -------------------------------------------------------------------- */

typedef struct grid {
	const char **owners;
	size_t n_owners;
	int64_t weeks[MAX_WEEKS];
	size_t n_weeks; /* dated columns */
	int later;      /* a "later" column */
	int undated;    /* a "no date" column */
	int *cells;     /* n_owners × (n_weeks + later + undated) */
	int *totals;
} grid;

static int cmp64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return a < b ? -1 : a > b;
}

static int grid_make(const row *r, size_t n, grid *g)
{
	memset(g, 0, sizeof *g);
	g->owners = calloc(n + 1, sizeof *g->owners);
	int64_t *ws = calloc(n + 1, sizeof *ws);
	if (!g->owners || !ws) {
		free(ws);
		return -1;
	}
	size_t nw = 0;
	for (size_t i = 0; i < n; i++) {
		if (!g->n_owners || strcmp(g->owners[g->n_owners - 1], r[i].owner))
			g->owners[g->n_owners++] = r[i].owner;
		if (r[i].week == INT64_MAX)
			g->undated = 1;
		else
			ws[nw++] = r[i].week;
	}
	qsort(ws, nw, sizeof *ws, cmp64);
	for (size_t i = 0; i < nw; i++) {
		if (g->n_weeks && g->weeks[g->n_weeks - 1] == ws[i])
			continue;
		if (g->n_weeks == MAX_WEEKS) {
			g->later = 1;
			break;
		}
		g->weeks[g->n_weeks++] = ws[i];
	}
	free(ws);
	size_t cols = g->n_weeks + (size_t)g->later + (size_t)g->undated;
	g->cells = calloc(g->n_owners * cols + 1, sizeof *g->cells);
	g->totals = calloc(g->n_owners + 1, sizeof *g->totals);
	if (!g->cells || !g->totals)
		return -1;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		while (strcmp(g->owners[o], r[i].owner))
			o++;
		size_t c = g->n_weeks + (size_t)g->later; /* no date */
		if (r[i].week != INT64_MAX) {
			c = g->n_weeks; /* later */
			for (size_t k = 0; k < g->n_weeks; k++)
				if (g->weeks[k] == r[i].week)
					c = k;
		}
		g->cells[o * cols + c]++;
		g->totals[o]++;
	}
	return 0;
}

static void grid_free(grid *g)
{
	free(g->owners);
	free(g->cells);
	free(g->totals);
}

static cr_err chart(cr_buf *b, const row *r, size_t n)
{
	grid g;
	if (grid_make(r, n, &g)) {
		grid_free(&g);
		return CR_ENOMEM;
	}
	size_t cols = g.n_weeks + (size_t)g.later + (size_t)g.undated;
	int max_total = 1, max_cell = 1;
	for (size_t o = 0; o < g.n_owners; o++) {
		if (g.totals[o] > max_total)
			max_total = g.totals[o];
		for (size_t c = 0; c < cols; c++)
			if (g.cells[o * cols + c] > max_cell)
				max_cell = g.cells[o * cols + c];
	}
	const int name_w = 130, bar_w = 130, cell = 28, top = 70, row_h = 28, pad = 12;
	int grid_x = pad + name_w + bar_w + 24;
	int width = grid_x + (int)cols * cell + pad + 40; /* room for the last slanted head */
	int height = top + (int)g.n_owners * row_h + pad + 20;
	cr_err err = cr_buf_printf(b,
				   "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
				   "role=\"img\" aria-label=\"Action items per owner and due week\" "
				   "font-family=\"sans-serif\" font-size=\"12\">\n",
				   width, height, width, height);
	PUT(cr_buf_printf(b, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", width, height));
	PUT(cr_buf_printf(b, "<text x=\"%d\" y=\"20\" font-size=\"14\" font-weight=\"bold\">Action items per owner and due week</text>\n", pad));
	PUT(cr_buf_printf(b, "<text x=\"%d\" y=\"%d\" fill=\"#555\">items</text>\n", pad + name_w, top - 8));
	/* column heads: the week's Monday, written vertically */
	for (size_t c = 0; c < cols && !err; c++) {
		char lab[16];
		if (c < g.n_weeks) {
			cr_ymd d = cr_ymd_from_days(g.weeks[c]);
			snprintf(lab, sizeof lab, "%02d-%02d", d.m % 100, d.d % 100);
		} else
			snprintf(lab, sizeof lab, "%s", c == g.n_weeks && g.later ? "later" : "no date");
		int x = grid_x + (int)c * cell + cell / 2;
		PUT(cr_buf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"start\" transform=\"rotate(-45 %d %d)\" fill=\"#333\">%s</text>\n",
				  x, top - 8, x, top - 8, lab));
	}
	if (g.n_weeks) {
		cr_ymd d0 = cr_ymd_from_days(g.weeks[0]);
		PUT(cr_buf_printf(b, "<text x=\"%d\" y=\"%d\" fill=\"#555\">weeks from Monday %04d-%02d-%02d</text>\n",
				  grid_x, height - 8, d0.y % 10000, d0.m % 100, d0.d % 100));
	}
	for (size_t o = 0; o < g.n_owners && !err; o++) {
		int y = top + (int)o * row_h;
		if (o % 2)
			PUT(cr_buf_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#f4f6fa\"/>\n", pad, y,
					  width - 2 * pad, row_h));
		PUT(cr_buf_printf(b, "<text x=\"%d\" y=\"%d\">", pad, y + row_h / 2 + 4));
		PUT(xml(b, g.owners[o]));
		PUT(cr_buf_adds(b, "</text>\n"));
		int w = (bar_w - 30) * g.totals[o] / max_total;
		PUT(cr_buf_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#3b6fb6\"/>\n", pad + name_w, y + 7,
				  w > 2 ? w : 2, row_h - 14));
		PUT(cr_buf_printf(b, "<text x=\"%d\" y=\"%d\" fill=\"#222\">%d</text>\n", pad + name_w + (w > 2 ? w : 2) + 4,
				  y + row_h / 2 + 4, g.totals[o]));
		for (size_t c = 0; c < cols && !err; c++) {
			int v = g.cells[o * cols + c];
			int cx = grid_x + (int)c * cell;
			PUT(cr_buf_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#dde2ea\"/>\n", cx,
					  y, cell, row_h));
			if (!v)
				continue;
			/* area in proportion to the count */
			double side = (row_h - 6) * (0.45 + 0.55 * ((double)v / max_cell));
			int undated = c == cols - 1 && g.undated;
			PUT(cr_buf_printf(b,
					  "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" rx=\"3\" fill=\"%s\"/>\n"
					  "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"#fff\" font-size=\"11\">%d</text>\n",
					  cx + (cell - side) / 2, y + (row_h - side) / 2, side, side, undated ? "#9aa3ad" : "#e07b39",
					  cx + cell / 2, y + row_h / 2 + 4, v));
		}
	}
	PUT(cr_buf_adds(b, "</svg>\n"));
	grid_free(&g);
	return err;
}

cr_err cr_meetings_chart_svg(const cr_meeting *ms, size_t n, cr_buf *b)
{
	size_t nr;
	row *r = rows_of(ms, n, &nr);
	cr_err err = chart(b, r, nr);
	free(r);
	return err;
}

/* ---- Markdown -------------------------------------------------------------------- */

cr_err cr_meetings_report_md(const cr_meeting *ms, size_t n, cr_buf *b)
{
	size_t nr;
	row *r = rows_of(ms, n, &nr);
	size_t n_dec = 0;
	for (size_t i = 0; i < n; i++)
		n_dec += ms[i].n_decisions;
	cr_err err = cr_buf_printf(b, "# Meetings: decisions and action items\n\n%zu meetings, %zu decisions, %zu action items.\n",
				   n, n_dec, nr);
	PUT(cr_buf_adds(b, "\n## Action items by owner\n"));
	for (size_t i = 0; i < nr && !err; i++) {
		if (!i || strcmp(r[i].owner, r[i - 1].owner)) {
			PUT(cr_buf_adds(b, "\n### "));
			PUT(md_cell(b, r[i].owner));
			PUT(cr_buf_adds(b, "\n\n| due | task | said | meeting | where |\n|---|---|---|---|---|\n"));
		}
		char d[11];
		iso(r[i].ac->due, d);
		PUT(cr_buf_printf(b, "| %s | ", d));
		PUT(md_cell(b, r[i].ac->task));
		PUT(cr_buf_adds(b, " | "));
		PUT(md_cell(b, r[i].ac->due_text ? r[i].ac->due_text : ""));
		PUT(cr_buf_adds(b, " | "));
		PUT(md_cell(b, r[i].mt->doc));
		PUT(cr_buf_adds(b, " | "));
		cr_buf w;
		cr_buf_init(&w, 0);
		PUT(where(&w, &r[i].ac->loc));
		PUT(md_cell(b, w.data ? w.data : ""));
		cr_buf_release(&w);
		PUT(cr_buf_adds(b, " |\n"));
	}
	PUT(cr_buf_adds(b, "\n## Meetings\n"));
	for (size_t i = 0; i < n && !err; i++) {
		char d[11];
		iso(ms[i].date, d);
		PUT(cr_buf_printf(b, "\n### %s ", d));
		PUT(md_cell(b, ms[i].title ? ms[i].title : ms[i].doc));
		PUT(cr_buf_adds(b, "\n\n`"));
		PUT(md_cell(b, ms[i].doc));
		PUT(cr_buf_printf(b, "`: %zu decisions, %zu action items\n", ms[i].n_decisions, ms[i].n_actions));
		if (ms[i].n_decisions)
			PUT(cr_buf_adds(b, "\n"));
		for (size_t j = 0; j < ms[i].n_decisions && !err; j++) {
			PUT(cr_buf_adds(b, "- Decision: "));
			PUT(md_cell(b, ms[i].decisions[j].text));
			PUT(cr_buf_addc(b, '\n'));
		}
	}
	free(r);
	return err;
}

/* ---- HTML ------------------------------------------------------------------------- */

static const char CSS[] =
	"body{font-family:sans-serif;margin:2em auto;max-width:64em;color:#222;line-height:1.4}"
	"h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccd}"
	"h3{font-size:1em;margin:1.4em 0 .4em}table{border-collapse:collapse;width:100%}"
	"td,th{border-bottom:1px solid #e3e6ec;padding:.3em .5em;text-align:left;vertical-align:top;font-size:.92em}"
	"th{background:#f4f6fa}.due{white-space:nowrap;font-variant-numeric:tabular-nums}.nd{color:#888}"
	".src{color:#666;font-size:.85em}ul{margin:.3em 0}figure{margin:1em 0;overflow-x:auto}";

cr_err cr_meetings_report_html(const cr_meeting *ms, size_t n, cr_buf *b)
{
	size_t nr;
	row *r = rows_of(ms, n, &nr);
	size_t n_dec = 0;
	for (size_t i = 0; i < n; i++)
		n_dec += ms[i].n_decisions;
	cr_err err = cr_buf_printf(b,
				   "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
				   "<title>Meetings: decisions and action items</title><style>%s</style></head><body>\n"
				   "<h1>Meetings: decisions and action items</h1>\n<p>%zu meetings, %zu decisions, %zu action items.</p>\n",
				   CSS, n, n_dec, nr);
	if (nr) {
		PUT(cr_buf_adds(b, "<figure>\n"));
		PUT(chart(b, r, nr));
		PUT(cr_buf_adds(b, "</figure>\n"));
	}
	PUT(cr_buf_adds(b, "<h2>Action items by owner</h2>\n"));
	for (size_t i = 0; i < nr && !err; i++) {
		if (!i || strcmp(r[i].owner, r[i - 1].owner)) {
			if (i)
				PUT(cr_buf_adds(b, "</table>\n"));
			PUT(cr_buf_adds(b, "<h3>"));
			PUT(xml(b, r[i].owner));
			PUT(cr_buf_adds(b, "</h3>\n<table><tr><th>due</th><th>task</th><th>said</th><th>meeting</th></tr>\n"));
		}
		char d[11];
		iso(r[i].ac->due, d);
		PUT(cr_buf_printf(b, "<tr><td class=\"due%s\">%s</td><td>", r[i].ac->due.y ? "" : " nd", d));
		PUT(xml(b, r[i].ac->task));
		PUT(cr_buf_adds(b, "</td><td>"));
		PUT(xml(b, r[i].ac->due_text ? r[i].ac->due_text : ""));
		PUT(cr_buf_adds(b, "</td><td class=\"src\">"));
		PUT(xml(b, r[i].mt->doc));
		cr_buf w;
		cr_buf_init(&w, 0);
		PUT(where(&w, &r[i].ac->loc));
		if (w.len) {
			PUT(cr_buf_adds(b, "<br>"));
			PUT(xml(b, w.data));
		}
		cr_buf_release(&w);
		PUT(cr_buf_adds(b, "</td></tr>\n"));
	}
	if (nr)
		PUT(cr_buf_adds(b, "</table>\n"));
	PUT(cr_buf_adds(b, "<h2>Meetings</h2>\n"));
	for (size_t i = 0; i < n && !err; i++) {
		char d[11];
		iso(ms[i].date, d);
		PUT(cr_buf_printf(b, "<h3>%s &mdash; ", d));
		PUT(xml(b, ms[i].title ? ms[i].title : ms[i].doc));
		PUT(cr_buf_adds(b, "</h3>\n<p class=\"src\">"));
		PUT(xml(b, ms[i].doc));
		PUT(cr_buf_printf(b, ": %zu decisions, %zu action items</p>\n", ms[i].n_decisions, ms[i].n_actions));
		if (ms[i].n_decisions)
			PUT(cr_buf_adds(b, "<ul>\n"));
		for (size_t j = 0; j < ms[i].n_decisions && !err; j++) {
			PUT(cr_buf_adds(b, "<li>"));
			PUT(xml(b, ms[i].decisions[j].text));
			PUT(cr_buf_adds(b, "</li>\n"));
		}
		if (ms[i].n_decisions)
			PUT(cr_buf_adds(b, "</ul>\n"));
	}
	PUT(cr_buf_adds(b, "</body></html>\n"));
	free(r);
	return err;
}
