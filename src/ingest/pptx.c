/*
 * pptx.c — PowerPoint decks (PresentationML) through ooxml.c.
 *
 * ppt/presentation.xml gives the slide order (<p:sldIdLst>, relationship
 * ids resolved through its rels). Each slide is streamed: every DrawingML
 * paragraph (<a:p>, in shapes, groups and table cells) is one line, shapes
 * are separated by blank lines, table cells by " | ". The text of the
 * title placeholder (<p:ph type="title"/"ctrTitle">) is the slide's title
 * and goes into loc.heading. Speaker notes come from the slide's
 * notesSlide relationship; their slide-image, number, date, header and
 * footer placeholders are skipped. Sections: the slide text, then
 * "Notes: ..." — both with loc.slide (1-based, in presentation order).
 * Title: core.xml, else the first slide title, else the file name.
 */
#include "ooxml.h"

#include <string.h>

typedef struct slide_text {
	cr_buf body;
	cr_buf title;
} slide_text;

static int skip_placeholder(const char *type)
{
	return type && (!strcmp(type, "sldNum") || !strcmp(type, "sldImg") || !strcmp(type, "dt") ||
			!strcmp(type, "ftr") || !strcmp(type, "hdr"));
}

/* Reads one slide or notes part into st->body (and st->title). */
static cr_err read_slide(cr_xctx *x, cr_zip *z, const char *part, slide_text *st)
{
	cr_xml xr;
	cr_err e = cr_xml_open_part(&xr, z, part);
	if (e)
		return e;
	cr_buf para, shape;
	cr_buf_init(&para, x->lim->max_text_bytes);
	cr_buf_init(&shape, x->lim->max_text_bytes);
	int more = 1, in_t = 0, is_title = 0, skip = 0, sp_depth = -1;
	while (!(e = cr_xml_next(&xr, &more)) && more) {
		int t = cr_xml_type(&xr);
		const char *n = cr_xml_name(&xr);
		if (t == XML_READER_TYPE_ELEMENT) {
			int empty = cr_xml_is_empty(&xr);
			if ((!strcmp(n, "sp") || !strcmp(n, "graphicFrame")) && sp_depth < 0 && !empty) {
				sp_depth = cr_xml_depth(&xr);
				is_title = skip = 0;
				cr_buf_reset(&shape);
			} else if (!strcmp(n, "ph")) {
				const char *type = cr_xml_attr(&xr, "type");
				if (type && (!strcmp(type, "title") || !strcmp(type, "ctrTitle")))
					is_title = 1;
				if (skip_placeholder(type))
					skip = 1;
			} else if (!strcmp(n, "p") && !empty) {
				cr_buf_reset(&para);
			} else if (!strcmp(n, "t")) {
				in_t = !empty;
			} else if (!strcmp(n, "br")) {
				e = cr_buf_addc(&para, '\n');
			}
		} else if (t == XML_READER_TYPE_TEXT || t == XML_READER_TYPE_SIGNIFICANT_WHITESPACE) {
			if (in_t)
				e = cr_buf_adds(&para, cr_xml_value(&xr));
		} else if (t == XML_READER_TYPE_END_ELEMENT) {
			if (!strcmp(n, "t")) {
				in_t = 0;
			} else if (!strcmp(n, "p") && para.len) {
				if (shape.len && shape.data[shape.len - 1] != '\n' &&
				    !(shape.len >= 3 && !memcmp(shape.data + shape.len - 3, " | ", 3)))
					e = cr_buf_addc(&shape, '\n');
				if (!e)
					e = cr_buf_add(&shape, para.data, para.len);
				cr_buf_reset(&para);
			} else if (!strcmp(n, "tc")) {
				e = cr_buf_adds(&shape, " | ");
			} else if (!strcmp(n, "tr")) {
				while (shape.len >= 3 && !memcmp(shape.data + shape.len - 3, " | ", 3))
					shape.len -= 3;
				if (shape.len && shape.data[shape.len - 1] != '\n')
					e = cr_buf_addc(&shape, '\n');
			} else if ((!strcmp(n, "sp") || !strcmp(n, "graphicFrame")) && cr_xml_depth(&xr) == sp_depth) {
				sp_depth = -1;
				if (!skip && shape.len) {
					if (is_title && !st->title.len)
						e = cr_buf_add(&st->title, shape.data, shape.len);
					if (!e && st->body.len)
						e = cr_buf_adds(&st->body, "\n\n");
					if (!e)
						e = cr_buf_add(&st->body, shape.data, shape.len);
				}
				cr_buf_reset(&shape);
			}
		}
		if (e)
			break;
	}
	cr_buf_release(&para);
	cr_buf_release(&shape);
	cr_xml_close(&xr);
	if ((e == CR_ENOMEM || e == CR_ETOOBIG) && !x->m->text[0])
		e = cr_fail(x->m, e, e == CR_ENOMEM ? "pptx: %s: out of memory" : "pptx: %s: text over the limit of %zu bytes",
			    part, x->lim->max_text_bytes);
	return e;
}

static cr_err add_slide(cr_xctx *x, cr_zip *z, cr_doc *d, const char *part, int num, const char **first_title)
{
	slide_text st;
	cr_buf_init(&st.body, x->lim->max_text_bytes);
	cr_buf_init(&st.title, 4096);
	cr_kv *rels;
	size_t n_rels;
	cr_err e = read_slide(x, z, part, &st);
	cr_loc loc = cr_loc_none();
	loc.slide = num;
	if (!e && st.title.len) {
		for (size_t i = 0; i < st.title.len; i++)
			if (st.title.data[i] == '\n')
				st.title.data[i] = ' ';
		loc.heading = cr_arena_strndup(x->a, st.title.data, st.title.len);
		if (!*first_title)
			*first_title = loc.heading;
	}
	if (!e)
		e = cr_doc_add_section(x, d, st.body.data, st.body.len, &loc);
	if (!e)
		e = cr_ooxml_rels(z, part, &rels, &n_rels);
	for (size_t i = 0; !e && i < n_rels; i++) {
		if (!strstr(rels[i].value, "notesSlide") || !cr_zip_has(z, rels[i].value))
			continue;
		cr_buf_reset(&st.body);
		cr_buf_reset(&st.title);
		if ((e = cr_buf_adds(&st.body, "Notes:")))
			break;
		size_t empty_len = st.body.len;
		if ((e = read_slide(x, z, rels[i].value, &st)))
			break;
		if (st.body.len > empty_len + 2) {
			/* "Notes:\n\n..." -> "Notes: ..." */
			memmove(st.body.data + empty_len + 1, st.body.data + empty_len + 2, st.body.len - empty_len - 2);
			st.body.data[empty_len] = ' ';
			st.body.len--;
			e = cr_doc_add_section(x, d, st.body.data, st.body.len, &loc);
		}
		break;
	}
	cr_buf_release(&st.body);
	cr_buf_release(&st.title);
	return e;
}

cr_err cr_x_pptx(cr_xctx *x, const uint8_t *buf, size_t len, cr_doc *out)
{
	cr_zip *z;
	cr_err e = cr_zip_open(x, "pptx", buf, len, &z);
	if (e)
		return e;
	const char *pres = cr_ooxml_main_part(z, "ppt/presentation.xml");
	cr_kv *rels;
	size_t n_rels;
	const char *first_title = NULL;
	if (!cr_zip_has(z, pres)) {
		e = cr_fail(x->m, CR_ECORRUPT, "pptx: no ppt/presentation.xml");
		goto out;
	}
	if ((e = cr_ooxml_core(z, out)) || (e = cr_ooxml_rels(z, pres, &rels, &n_rels)))
		goto out;
	cr_xml xr;
	if ((e = cr_xml_open_part(&xr, z, pres)))
		goto out;
	const char **slides = NULL;
	size_t n_slides = 0, cap = 0;
	int more = 1;
	while (!(e = cr_xml_next(&xr, &more)) && more) {
		if (!cr_xml_start(&xr, "sldId"))
			continue;
		const char *part = cr_ooxml_rel(rels, n_rels, cr_xml_rel_id(&xr));
		if (!part || !cr_zip_has(z, part))
			continue;
		if (n_slides == cap) {
			size_t nc = cap ? cap * 2 : 16;
			const char **ns = cr_arena_alloc(x->a, nc * sizeof *ns);
			if (!ns) {
				e = cr_fail(x->m, CR_ENOMEM, "pptx: out of memory");
				break;
			}
			if (n_slides)
				memcpy(ns, slides, n_slides * sizeof *ns);
			slides = ns;
			cap = nc;
		}
		slides[n_slides++] = part;
	}
	cr_xml_close(&xr);
	for (size_t i = 0; i < n_slides && !e; i++)
		e = add_slide(x, z, out, slides[i], (int)i + 1, &first_title);
	if (!e) {
		char v[24];
		snprintf(v, sizeof v, "%zu", n_slides);
		e = cr_doc_add_meta(x, out, "slides", v);
	}
	if (!e && (!out->title || !*out->title))
		out->title = first_title;
out:
	cr_zip_close(z);
	return e;
}
