/*
 * docx.c — Word documents (WordprocessingML) through ooxml.c.
 *
 * word/styles.xml maps style ids to heading levels: a style named
 * "heading N" (any id: localized Word writes ids like "1") or with
 * <w:outlineLvl w:val="N-1"/>; "Title" is the title style. The body of
 * word/document.xml is streamed: runs' <w:t> text, <w:tab/> and <w:br/>
 * make paragraphs; a heading paragraph starts a new place with the heading
 * path in loc.heading (as md.c); table rows become one line each, cells
 * separated by " | " (nested tables flatten into their cell). Deleted text
 * (<w:delText>), field codes and the fallback branch of
 * mc:AlternateContent (a duplicate of the choice) are skipped. Headers,
 * footers and comments are not indexed. Title: core.xml title, else the
 * first "Title"-style paragraph, else the first heading, else file name.
 */
#include "ooxml.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_LEVEL 9

typedef struct style {
	const char *id;
	int level; /* 1..9 heading, 0 body, -1 title */
} style;

typedef struct docx_state {
	cr_xctx *x;
	cr_doc *d;
	style *styles;
	size_t n_styles;
	cr_buf para, cell, row, body;
	int level;      /* of the current paragraph */
	int tbl_depth;
	int first_row;  /* no row of the current table written yet */
	const char *levels[MAX_LEVEL + 1];
	const char *path;
	const char *title_style, *first_heading;
} docx_state;

static int style_level_from_name(const char *name)
{
	if (!name)
		return 0;
	if (strcasecmp(name, "title") == 0)
		return -1;
	if (strncasecmp(name, "heading", 7) == 0) {
		const char *p = name + 7;
		while (*p == ' ')
			p++;
		int lv = atoi(p);
		return lv >= 1 && lv <= MAX_LEVEL ? lv : 0;
	}
	return 0;
}

static cr_err read_styles(docx_state *st, cr_zip *z, const char *part)
{
	if (!cr_zip_has(z, part))
		return CR_OK;
	cr_xml xr;
	cr_err e = cr_xml_open_part(&xr, z, part);
	if (e)
		return e;
	size_t cap = 0;
	int more = 1;
	style cur = {0};
	int in_style = 0;
	while (!(e = cr_xml_next(&xr, &more)) && more) {
		if (cr_xml_start(&xr, "style")) {
			memset(&cur, 0, sizeof cur);
			cur.id = cr_xml_attr(&xr, "styleId");
			in_style = !cr_xml_is_empty(&xr);
		} else if (in_style && cr_xml_start(&xr, "name")) {
			int lv = style_level_from_name(cr_xml_attr(&xr, "val"));
			if (lv)
				cur.level = lv;
		} else if (in_style && cr_xml_start(&xr, "outlineLvl")) {
			const char *v = cr_xml_attr(&xr, "val");
			int lv = v ? atoi(v) + 1 : 0;
			if (lv >= 1 && lv <= MAX_LEVEL && cur.level == 0)
				cur.level = lv;
		} else if (in_style && cr_xml_end(&xr, "style")) {
			in_style = 0;
			if (!cur.id || !cur.level)
				continue;
			if (st->n_styles == cap) {
				size_t nc = cap ? cap * 2 : 32;
				style *ns = cr_arena_alloc(st->x->a, nc * sizeof *ns);
				if (!ns) {
					e = cr_fail(st->x->m, CR_ENOMEM, "docx: out of memory");
					break;
				}
				if (st->n_styles)
					memcpy(ns, st->styles, st->n_styles * sizeof *ns);
				st->styles = ns;
				cap = nc;
			}
			st->styles[st->n_styles++] = cur;
		}
	}
	cr_xml_close(&xr);
	return e;
}

static int lookup_style(const docx_state *st, const char *id)
{
	if (!id)
		return 0;
	for (size_t i = 0; i < st->n_styles; i++)
		if (strcmp(st->styles[i].id, id) == 0)
			return st->styles[i].level;
	/* documents without styles.xml still say "Heading1" */
	return style_level_from_name(id);
}

static cr_err flush_body(docx_state *st)
{
	cr_err e = CR_OK;
	if (st->body.len)
		e = cr_text_add_paragraphs(st->x, st->d, st->body.data, st->body.len, 0, st->path);
	cr_buf_reset(&st->body);
	return e;
}

static const char *trimmed(cr_arena *a, const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t' || *s == '\n'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n'))
		n--;
	return cr_arena_strndup(a, s, n);
}

static cr_err end_paragraph(docx_state *st)
{
	cr_err e = CR_OK;
	if (st->tbl_depth > 0) {
		if (st->para.len) {
			if (st->cell.len)
				e = cr_buf_addc(&st->cell, ' ');
			if (!e)
				e = cr_buf_add(&st->cell, st->para.data, st->para.len);
		}
	} else if (st->level > 0 && st->para.len) {
		const char *h = trimmed(st->x->a, st->para.data, st->para.len);
		if (!h)
			return CR_ENOMEM;
		if ((e = flush_body(st)))
			return e;
		int lv = st->level;
		st->levels[lv] = h;
		for (int k = lv + 1; k <= MAX_LEVEL; k++)
			st->levels[k] = NULL;
		cr_buf p;
		cr_buf_init(&p, 0);
		for (int k = 1; k <= lv; k++) {
			if (!st->levels[k] || !*st->levels[k])
				continue;
			if (p.len)
				CR_IGNORE(cr_buf_adds(&p, " > "));
			CR_IGNORE(cr_buf_adds(&p, st->levels[k]));
		}
		st->path = cr_arena_strndup(st->x->a, p.data, p.len);
		cr_buf_release(&p);
		if (!st->path)
			return CR_ENOMEM;
		if (!st->first_heading && *h)
			st->first_heading = h;
		cr_loc loc = cr_loc_none();
		loc.heading = st->path;
		e = cr_doc_add_section(st->x, st->d, h, strlen(h), &loc);
	} else if (st->para.len) {
		if (st->level < 0 && !st->title_style)
			st->title_style = trimmed(st->x->a, st->para.data, st->para.len);
		if (st->body.len)
			e = cr_buf_adds(&st->body, "\n\n");
		if (!e)
			e = cr_buf_add(&st->body, st->para.data, st->para.len);
	}
	cr_buf_reset(&st->para);
	st->level = 0;
	return e;
}

static cr_err read_body(docx_state *st, cr_zip *z, const char *part)
{
	cr_xml xr;
	cr_err e = cr_xml_open_part(&xr, z, part);
	if (e)
		return e;
	int more = 1, in_text = 0, loaded = 0;
	for (;;) {
		if (!loaded && ((e = cr_xml_next(&xr, &more)) || !more))
			break;
		loaded = 0;
		int t = cr_xml_type(&xr);
		const char *n = cr_xml_name(&xr);
		if (t == XML_READER_TYPE_ELEMENT) {
			int empty = cr_xml_is_empty(&xr);
			if (!empty && (!strcmp(n, "Fallback") || !strcmp(n, "delText") || !strcmp(n, "instrText"))) {
				/* skip the subtree; the node after it is already loaded */
				if ((e = cr_xml_skip(&xr, &more)) || !more)
					break;
				loaded = 1;
				continue;
			}
			if (!strcmp(n, "p")) {
				cr_buf_reset(&st->para);
				st->level = 0;
				if (empty)
					e = end_paragraph(st);
			} else if (!strcmp(n, "pStyle")) {
				st->level = lookup_style(st, cr_xml_attr(&xr, "val"));
			} else if (!strcmp(n, "outlineLvl")) {
				const char *v = cr_xml_attr(&xr, "val");
				int lv = v ? atoi(v) + 1 : 0;
				if (lv >= 1 && lv <= MAX_LEVEL)
					st->level = lv;
			} else if (!strcmp(n, "t")) {
				in_text = !empty;
			} else if (!strcmp(n, "tab")) {
				e = cr_buf_addc(&st->para, '\t');
			} else if (!strcmp(n, "br") || !strcmp(n, "cr")) {
				e = cr_buf_addc(&st->para, '\n');
			} else if (!strcmp(n, "tbl")) {
				if (st->tbl_depth == 0 && (e = end_paragraph(st)) == CR_OK) {
					cr_buf_reset(&st->row);
					st->first_row = 1;
					if (st->body.len)
						e = cr_buf_adds(&st->body, "\n\n");
				}
				st->tbl_depth++;
			} else if (!strcmp(n, "tr") && st->tbl_depth == 1) {
				cr_buf_reset(&st->row);
			} else if (!strcmp(n, "tc") && st->tbl_depth == 1) {
				cr_buf_reset(&st->cell);
			}
			if (e)
				break;
			continue;
		}
		if (t == XML_READER_TYPE_TEXT || t == XML_READER_TYPE_SIGNIFICANT_WHITESPACE) {
			if (in_text)
				e = cr_buf_adds(&st->para, cr_xml_value(&xr));
		} else if (t == XML_READER_TYPE_END_ELEMENT) {
			if (!strcmp(n, "t")) {
				in_text = 0;
			} else if (!strcmp(n, "p")) {
				e = end_paragraph(st);
			} else if (!strcmp(n, "tc") && st->tbl_depth == 1) {
				if (st->row.len)
					e = cr_buf_adds(&st->row, " | ");
				if (!e)
					e = cr_buf_add(&st->row, st->cell.data, st->cell.len);
				cr_buf_reset(&st->cell);
			} else if (!strcmp(n, "tr") && st->tbl_depth == 1) {
				if (st->row.len) {
					if (!st->first_row)
						e = cr_buf_adds(&st->body, "\n");
					st->first_row = 0;
					if (!e)
						e = cr_buf_add(&st->body, st->row.data, st->row.len);
				}
				cr_buf_reset(&st->row);
			} else if (!strcmp(n, "tbl") && st->tbl_depth > 0) {
				st->tbl_depth--;
				if (st->tbl_depth == 0 && st->body.len)
					e = cr_buf_adds(&st->body, "\n\n");
			}
		}
		if (e)
			break;
	}
	cr_xml_close(&xr);
	if (!e)
		e = flush_body(st);
	if (e == CR_ETOOBIG && !st->x->m->text[0])
		e = cr_fail(st->x->m, e, "docx: text over the limit of %zu bytes", st->x->lim->max_text_bytes);
	else if (e == CR_ENOMEM && !st->x->m->text[0])
		e = cr_fail(st->x->m, e, "docx: out of memory");
	return e;
}

cr_err cr_x_docx(cr_xctx *x, const uint8_t *buf, size_t len, cr_doc *out)
{
	cr_zip *z;
	cr_err e = cr_zip_open(x, "docx", buf, len, &z);
	if (e)
		return e;
	docx_state st = {.x = x, .d = out};
	size_t cap = x->lim->max_text_bytes;
	cr_buf_init(&st.para, cap);
	cr_buf_init(&st.cell, cap);
	cr_buf_init(&st.row, cap);
	cr_buf_init(&st.body, cap);
	const char *main = cr_ooxml_main_part(z, "word/document.xml");
	if (!cr_zip_has(z, main)) {
		e = cr_fail(x->m, CR_ECORRUPT, "docx: no word/document.xml");
		goto out;
	}
	if ((e = cr_ooxml_core(z, out)))
		goto out;
	if ((e = read_styles(&st, z, "word/styles.xml")))
		goto out;
	if ((e = read_body(&st, z, main)))
		goto out;
	if (!out->title || !*out->title)
		out->title = st.title_style && *st.title_style ? st.title_style : st.first_heading;
out:
	cr_buf_release(&st.para);
	cr_buf_release(&st.cell);
	cr_buf_release(&st.row);
	cr_buf_release(&st.body);
	cr_zip_close(z);
	return e;
}
