/*
 * code_report.c — the code analysis as JSON, Markdown and one
 * self-contained HTML file (agent.h cr_code_json, cr_code_report_md,
 * cr_code_report_html). The HTML holds its style and its SVG charts inline
 * (lines by language, findings by rule, commits by month): no script, no
 * external asset.
 */
#include "agent_int.h"

#include <string.h>

#define PUT(x)                     \
	do {                       \
		if (!e)            \
			e = (x);   \
	} while (0)

cr_err agent_json_str(cr_buf *b, const char *s)
{
	return s ? cr_buf_add_json_str(b, s, strlen(s)) : cr_buf_adds(b, "null");
}

static cr_err js_list(cr_buf *b, const char *const *v, size_t n)
{
	cr_err e = cr_buf_addc(b, '[');
	for (size_t i = 0; i < n && !e; i++) {
		if (i)
			e = cr_buf_addc(b, ',');
		PUT(agent_json_str(b, v[i]));
	}
	PUT(cr_buf_addc(b, ']'));
	return e;
}

cr_err cr_code_json(const cr_code_report *r, cr_buf *b)
{
	cr_err e = cr_buf_adds(b, "{\"root\":");
	PUT(agent_json_str(b, r->root));
	PUT(cr_buf_adds(b, ",\"summary\":"));
	PUT(agent_json_str(b, r->summary));
	PUT(cr_buf_printf(b, ",\"files\":%d,\"lines\":%lld,\"commits\":%d,\"languages\":[", r->n_files,
			  (long long)r->n_lines, r->n_commits));
	for (size_t i = 0; i < r->n_langs; i++) {
		PUT(cr_buf_adds(b, i ? ",{\"lang\":" : "{\"lang\":"));
		PUT(agent_json_str(b, r->langs[i].lang));
		PUT(cr_buf_printf(b, ",\"files\":%d,\"lines\":%lld,\"bytes\":%lld}", r->langs[i].files,
				  (long long)r->langs[i].lines, (long long)r->langs[i].bytes));
	}
	PUT(cr_buf_adds(b, "],\"modules\":["));
	for (size_t i = 0; i < r->n_modules; i++) {
		const cr_code_module *m = &r->modules[i];
		PUT(cr_buf_adds(b, i ? ",{\"path\":" : "{\"path\":"));
		PUT(agent_json_str(b, m->path));
		PUT(cr_buf_printf(b, ",\"files\":%d,\"lines\":%lld,\"languages\":", m->files, (long long)m->lines));
		PUT(js_list(b, m->langs, m->n_langs));
		PUT(cr_buf_adds(b, ",\"summary\":"));
		PUT(agent_json_str(b, m->summary));
		PUT(cr_buf_adds(b, ",\"entry_points\":"));
		PUT(js_list(b, m->entries, m->n_entries));
		PUT(cr_buf_adds(b, ",\"symbols\":"));
		PUT(js_list(b, m->symbols, m->n_symbols));
		PUT(cr_buf_addc(b, '}'));
	}
	PUT(cr_buf_adds(b, "],\"findings\":["));
	for (size_t i = 0; i < r->n_findings; i++) {
		const cr_code_finding *f = &r->findings[i];
		PUT(cr_buf_printf(b, "%s{\"kind\":\"%s\",\"rule\":\"%s\",\"doc\":", i ? "," : "", f->kind, f->rule));
		PUT(agent_json_str(b, f->doc));
		PUT(cr_buf_printf(b, ",\"line\":%d,\"text\":", f->line));
		PUT(agent_json_str(b, f->text));
		PUT(cr_buf_addc(b, '}'));
	}
	PUT(cr_buf_adds(b, "],\"churn\":["));
	for (size_t i = 0; i < r->n_churn; i++) {
		const cr_code_churn *c = &r->churn[i];
		PUT(cr_buf_printf(b, "%s{\"month\":\"%s\",\"author\":", i ? "," : "", c->month));
		PUT(agent_json_str(b, c->author));
		PUT(cr_buf_adds(b, ",\"area\":"));
		PUT(agent_json_str(b, c->area));
		PUT(cr_buf_printf(b, ",\"commits\":%d}", c->commits));
	}
	PUT(cr_buf_adds(b, "]}"));
	return e;
}

/* ---- text --------------------------------------------------------------------- */

static cr_err md(cr_buf *b, const char *s)
{
	cr_err e = CR_OK;
	for (const char *p = s ? s : ""; *p && !e; p++)
		e = *p == '|' ? cr_buf_adds(b, "\\|") : *p == '\n' ? cr_buf_addc(b, ' ') : cr_buf_addc(b, *p);
	return e;
}

cr_err agent_html(cr_buf *b, const char *s)
{
	cr_err e = CR_OK;
	for (const char *p = s ? s : ""; *p && !e; p++)
		switch (*p) {
		case '<': e = cr_buf_adds(b, "&lt;"); break;
		case '>': e = cr_buf_adds(b, "&gt;"); break;
		case '&': e = cr_buf_adds(b, "&amp;"); break;
		case '"': e = cr_buf_adds(b, "&quot;"); break;
		default: e = cr_buf_addc(b, *p);
		}
	return e;
}

typedef cr_err (*esc_fn)(cr_buf *, const char *);

/* Both formats from one walk: md (1) or html (0). */
static cr_err body(const cr_code_report *r, cr_buf *b, int as_md)
{
	esc_fn esc = as_md ? md : agent_html;
	cr_err e = CR_OK;
	int todo = 0, secret = 0, risk = 0;
	for (size_t i = 0; i < r->n_findings; i++)
		*(!strcmp(r->findings[i].kind, "todo") ? &todo : !strcmp(r->findings[i].kind, "secret") ? &secret : &risk) += 1;
	if (r->summary) {
		PUT(cr_buf_adds(b, as_md ? "" : "<p>"));
		PUT(esc(b, r->summary));
		PUT(cr_buf_adds(b, as_md ? "\n\n" : "</p>\n"));
	}
	if (as_md) {
		PUT(cr_buf_printf(b, "%d files, %lld lines, %zu modules, %d commits. Findings: %d likely secrets, "
				     "%d risky calls, %d TODO/FIXME notes.\n\n## Languages\n\n| language | files | lines |\n|---|---:|---:|\n",
				  r->n_files, (long long)r->n_lines, r->n_modules, r->n_commits, secret, risk, todo));
		for (size_t i = 0; i < r->n_langs; i++)
			PUT(cr_buf_printf(b, "| %s | %d | %lld |\n", r->langs[i].lang, r->langs[i].files,
					  (long long)r->langs[i].lines));
		PUT(cr_buf_adds(b, "\n## Modules\n"));
	} else {
		PUT(cr_buf_printf(b, "<p>%d files, %lld lines, %zu modules, %d commits. Findings: <b>%d likely secrets</b>, "
				     "%d risky calls, %d TODO/FIXME notes.</p>\n<h2>Modules</h2>\n",
				  r->n_files, (long long)r->n_lines, r->n_modules, r->n_commits, secret, risk, todo));
	}
	for (size_t i = 0; i < r->n_modules; i++) {
		const cr_code_module *m = &r->modules[i];
		PUT(cr_buf_adds(b, as_md ? "\n### " : "<h3>"));
		PUT(esc(b, m->path));
		PUT(cr_buf_printf(b, as_md ? "\n\n%d files, %lld lines (" : "</h3><p>%d files, %lld lines (", m->files,
				  (long long)m->lines));
		for (size_t k = 0; k < m->n_langs; k++) {
			PUT(cr_buf_adds(b, k ? ", " : ""));
			PUT(esc(b, m->langs[k]));
		}
		PUT(cr_buf_adds(b, ")."));
		if (m->summary) {
			PUT(cr_buf_adds(b, " "));
			PUT(esc(b, m->summary));
		}
		if (m->n_entries) {
			PUT(cr_buf_adds(b, as_md ? "\n\nEntry points: " : "<br>Entry points: "));
			for (size_t k = 0; k < m->n_entries; k++) {
				PUT(cr_buf_adds(b, k ? ", " : ""));
				PUT(esc(b, m->entries[k]));
			}
		}
		if (m->n_symbols) {
			PUT(cr_buf_adds(b, as_md ? "\n\nSymbols: " : "<br>Symbols: "));
			for (size_t k = 0; k < m->n_symbols; k++) {
				PUT(cr_buf_adds(b, k ? ", " : ""));
				PUT(esc(b, m->symbols[k]));
			}
		}
		PUT(cr_buf_adds(b, as_md ? "\n" : "</p>\n"));
	}
	static const char *const kinds[] = {"secret", "risk", "todo"};
	static const char *const titles[] = {"Likely secrets (values masked)", "Risky calls", "TODO, FIXME, HACK"};
	for (size_t k = 0; k < 3; k++) {
		PUT(cr_buf_printf(b, as_md ? "\n## %s\n\n" : "<h2>%s</h2>\n", titles[k]));
		int any = 0;
		for (size_t i = 0; i < r->n_findings; i++) {
			const cr_code_finding *f = &r->findings[i];
			if (strcmp(f->kind, kinds[k]))
				continue;
			if (!any++)
				PUT(cr_buf_adds(b, as_md ? "| where | rule | line |\n|---|---|---|\n"
							 : "<table><tr><th>where</th><th>rule</th><th>line</th></tr>\n"));
			PUT(cr_buf_adds(b, as_md ? "| " : "<tr><td>"));
			PUT(esc(b, f->doc));
			PUT(cr_buf_printf(b, as_md ? ":%d | %s | `" : ":%d</td><td>%s</td><td><code>", f->line, f->rule));
			PUT(esc(b, f->text));
			PUT(cr_buf_adds(b, as_md ? "` |\n" : "</code></td></tr>\n"));
		}
		PUT(cr_buf_adds(b, any ? (as_md ? "" : "</table>\n") : (as_md ? "None found.\n" : "<p>None found.</p>\n")));
	}
	if (r->n_churn) {
		PUT(cr_buf_adds(b, as_md ? "\n## Changes by month, author and area\n\n| month | author | area | commits |\n|---|---|---|---:|\n"
					 : "<h2>Changes by month, author and area</h2>\n<table><tr><th>month</th><th>author</th><th>area</th><th>commits</th></tr>\n"));
		for (size_t i = 0; i < r->n_churn; i++) {
			const cr_code_churn *c = &r->churn[i];
			PUT(cr_buf_printf(b, as_md ? "| %s | " : "<tr><td>%s</td><td>", c->month));
			PUT(esc(b, c->author));
			PUT(cr_buf_adds(b, as_md ? " | " : "</td><td>"));
			PUT(esc(b, c->area));
			PUT(cr_buf_printf(b, as_md ? " | %d |\n" : "</td><td>%d</td></tr>\n", c->commits));
		}
		if (!as_md)
			PUT(cr_buf_adds(b, "</table>\n"));
	}
	return e;
}

cr_err cr_code_report_md(const cr_code_report *r, cr_buf *b)
{
	cr_err e = cr_buf_adds(b, "# Code: ");
	PUT(md(b, r->root && *r->root ? r->root : "everything"));
	PUT(cr_buf_adds(b, "\n\n"));
	PUT(body(r, b, 1));
	return e;
}

/* ---- charts ----------------------------------------------------------------------- */

cr_err agent_svg_bars(cr_buf *b, const char *title, const agent_bar *v, size_t n, const char *unit)
{
	double max = 1;
	for (size_t i = 0; i < n; i++)
		if (v[i].v > max)
			max = v[i].v;
	int h = 34 + (int)n * 22;
	cr_err e = cr_buf_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"560\" height=\"%d\" role=\"img\" "
				    "aria-label=\"",
				 h);
	PUT(agent_html(b, title));
	PUT(cr_buf_printf(b, "\"><text x=\"0\" y=\"16\" class=\"t\">"));
	PUT(agent_html(b, title));
	PUT(cr_buf_adds(b, "</text>"));
	for (size_t i = 0; i < n; i++) {
		int y = 28 + (int)i * 22, w = (int)(300.0 * v[i].v / max + 0.5);
		PUT(cr_buf_printf(b, "<text x=\"150\" y=\"%d\" text-anchor=\"end\">", y + 13));
		PUT(agent_html(b, v[i].label));
		PUT(cr_buf_printf(b, "</text><rect x=\"158\" y=\"%d\" width=\"%d\" height=\"16\" fill=\"#3b6fd8\"/>"
				     "<text x=\"%d\" y=\"%d\">%.0f %s</text>",
				  y, w < 1 ? 1 : w, 164 + w, y + 13, v[i].v, unit));
	}
	PUT(cr_buf_adds(b, "</svg>\n"));
	return e;
}

const char agent_report_css[] =
	"body{font:15px/1.45 system-ui,sans-serif;max-width:1000px;margin:2rem auto;padding:0 1rem;color:#1d2433}"
	"table{border-collapse:collapse;margin:.5rem 0}td,th{border-bottom:1px solid #dde2ea;padding:.3rem .6rem;"
	"text-align:left;vertical-align:top}code{font-size:.85em;white-space:pre-wrap}svg{display:block;margin:1rem 0}"
	"svg text{font:12px system-ui,sans-serif;fill:#1d2433}svg .t{font-weight:600;font-size:13px}";

cr_err cr_code_report_html(const cr_code_report *r, cr_buf *b)
{
	cr_err e = cr_buf_printf(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Code: ");
	PUT(agent_html(b, r->root && *r->root ? r->root : "everything"));
	PUT(cr_buf_printf(b, "</title><style>%s</style></head><body>\n<h1>Code: ", agent_report_css));
	PUT(agent_html(b, r->root && *r->root ? r->root : "everything"));
	PUT(cr_buf_adds(b, "</h1>\n"));
	agent_bar v[32];
	size_t n = 0;
	for (size_t i = 0; i < r->n_langs && n < 16; i++)
		v[n++] = (agent_bar){r->langs[i].lang, (double)r->langs[i].lines};
	PUT(agent_svg_bars(b, "Lines by language", v, n, "lines"));
	n = 0;
	for (size_t i = 0; i < r->n_findings; i++) {
		size_t k = 0;
		while (k < n && strcmp(v[k].label, r->findings[i].rule))
			k++;
		if (k == n && n < 32)
			v[n++] = (agent_bar){r->findings[i].rule, 0};
		if (k < n)
			v[k].v++;
	}
	if (n)
		PUT(agent_svg_bars(b, "Findings by rule", v, n, ""));
	n = 0;
	for (size_t i = 0; i < r->n_churn; i++) {
		if (n && !strcmp(v[n - 1].label, r->churn[i].month))
			v[n - 1].v += r->churn[i].commits;
		else if (n < 32)
			v[n++] = (agent_bar){r->churn[i].month, r->churn[i].commits};
	}
	if (n)
		PUT(agent_svg_bars(b, "Commit-areas changed by month", v, n, ""));
	PUT(body(r, b, 0));
	PUT(cr_buf_adds(b, "</body></html>\n"));
	return e;
}
