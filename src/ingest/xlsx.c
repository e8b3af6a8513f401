/*
 * xlsx.c — Excel workbooks (SpreadsheetML) through ooxml.c.
 *
 * xl/workbook.xml lists the sheets in tab order (name + relationship id);
 * xl/sharedStrings.xml holds the strings cells refer to by index (rich
 * text runs are joined; <rPh> phonetic guides, e.g. furigana, are
 * skipped). Each worksheet is streamed row by row: cell values only, never
 * formulas (<f>); shared, inline and formula-result strings, booleans as
 * TRUE/FALSE, numbers as written, except numbers whose cell style
 * (xl/styles.xml cellXfs -> numFmt, built-in ids 14-22, 27-36, 45-58 or a
 * format code with y/d/h/s outside quotes) is a date or time: those read
 * "2026-02-18", "2026-02-18 09:30" or "09:30". When a sheet's first non-empty row is all
 * text, it is taken as the header and later rows read
 *     "Item: Travel; Q1: 12000; Q2: 15000"
 * (else values joined by " | "). One section per block of up to 40 rows
 * (or ~2000 bytes), with loc.sheet = sheet name and the block's row
 * numbers in loc.line_start/line_end; the first block starts with
 * "Sheet: <name>". Title: core.xml, else the file name.
 */
#include "ooxml.h"

#include <stdlib.h>
#include <string.h>

#define ROWS_PER_BLOCK 40
#define BLOCK_BYTES 2000
#define MAX_COLS 16384

typedef struct xlsx_state {
	cr_xctx *x;
	cr_doc *d;
	const char **sst;
	size_t n_sst;
	const char **hdr; /* by column index, this sheet */
	int n_hdr;
	uint8_t *xf_date;  /* per cell style (cellXfs index): 1 date, 2 date+time, 3 time */
	size_t n_xf;
	int date1904;
} xlsx_state;

/* ---- dates: numbers whose cell style has a date format ------------------ */

/* Kind of a number format: 0 not a date, 1 date, 2 date and time, 3 time. */
static int fmt_kind_builtin(int id)
{
	if ((id >= 14 && id <= 17) || id == 30 || id == 31 || (id >= 27 && id <= 29) || (id >= 34 && id <= 36) ||
	    (id >= 50 && id <= 58))
		return 1;
	if (id == 22)
		return 2;
	if ((id >= 18 && id <= 21) || (id >= 45 && id <= 47) || id == 32 || id == 33)
		return 3;
	return 0;
}

static int fmt_kind_code(const char *code)
{
	int date = 0, time = 0;
	for (const char *p = code; p && *p; p++) {
		if (*p == '"') { /* literal text */
			while (p[1] && p[1] != '"')
				p++;
			if (p[1])
				p++;
			continue;
		}
		if (*p == '[') { /* colour, locale, elapsed time */
			if (p[1] == 'h' || p[1] == 'm' || p[1] == 's')
				time = 1;
			while (p[1] && p[1] != ']')
				p++;
			continue;
		}
		if (*p == '\\' || *p == '_' || *p == '*') {
			if (p[1])
				p++;
			continue;
		}
		char c = (char)(*p | 0x20);
		if (c == 'y' || c == 'd')
			date = 1;
		else if (c == 'h' || c == 's')
			time = 1;
	}
	return date && time ? 2 : date ? 1 : time ? 3 : 0;
}

static cr_err read_styles(xlsx_state *st, cr_zip *z, const char *part)
{
	if (!part || !cr_zip_has(z, part))
		return CR_OK;
	cr_xml xr;
	cr_err e = cr_xml_open_part(&xr, z, part);
	if (e)
		return e;
	int custom_id[256], custom_kind[256], n_custom = 0, in_xfs = 0, more = 1;
	size_t cap = 0;
	while (!(e = cr_xml_next(&xr, &more)) && more) {
		if (cr_xml_start(&xr, "numFmt") && n_custom < 256) {
			const char *id = cr_xml_attr(&xr, "numFmtId");
			custom_id[n_custom] = id ? atoi(id) : -1;
			custom_kind[n_custom++] = fmt_kind_code(cr_xml_attr(&xr, "formatCode"));
		} else if (cr_xml_start(&xr, "cellXfs")) {
			in_xfs = !cr_xml_is_empty(&xr);
		} else if (cr_xml_end(&xr, "cellXfs")) {
			in_xfs = 0;
		} else if (in_xfs && cr_xml_start(&xr, "xf")) {
			const char *v = cr_xml_attr(&xr, "numFmtId");
			int id = v ? atoi(v) : 0, kind = fmt_kind_builtin(id);
			for (int k = 0; k < n_custom; k++)
				if (custom_id[k] == id)
					kind = custom_kind[k];
			if (st->n_xf == cap) {
				size_t nc = cap ? cap * 2 : 64;
				if (nc > 65536)
					continue; /* Excel allows 64000 styles */
				uint8_t *nv = cr_arena_alloc(st->x->a, nc);
				if (!nv) {
					e = CR_ENOMEM;
					break;
				}
				if (st->n_xf)
					memcpy(nv, st->xf_date, st->n_xf);
				st->xf_date = nv;
				cap = nc;
			}
			st->xf_date[st->n_xf++] = (uint8_t)kind;
		} else if (cr_xml_start(&xr, "dxfs")) {
			break; /* nothing we need after cellXfs */
		}
	}
	cr_xml_close(&xr);
	return e;
}

/* Excel serial day number -> "2026-02-18" (kind 1), "2026-02-18 09:30"
 * (2) or "09:30" (3). Serial 0 is 1899-12-30 (Lotus's 1900 leap-year bug
 * included), or 1904-01-01 in 1904 workbooks. */
static int format_date(char *out, size_t n, double serial, int kind, int date1904)
{
	if (!(serial >= 0 && serial < 2958466)) /* up to 9999-12-31 */
		return 0;
	long days = (long)serial;
	double frac = serial - (double)days;
	long secs = (long)(frac * 86400 + 0.5);
	if (secs >= 86400) {
		days++;
		secs -= 86400;
	}
	/* civil date from days since 1970-01-01 (Howard Hinnant's algorithm) */
	/* serial 25569 is 1970-01-01; a 1904 workbook's serial 0 is serial 1462 */
	long z = (date1904 ? days + 1462 : days) - 25569 + 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	long doe = z - era * 146097;
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	long d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	if (kind == 3)
		return snprintf(out, n, "%02ld:%02ld", secs / 3600, secs / 60 % 60);
	if (kind == 2)
		return snprintf(out, n, "%04ld-%02ld-%02ld %02ld:%02ld", y, m, d, secs / 3600, secs / 60 % 60);
	return snprintf(out, n, "%04ld-%02ld-%02ld", y, m, d);
}

static cr_err read_shared_strings(xlsx_state *st, cr_zip *z, const char *part)
{
	if (!cr_zip_has(z, part))
		return CR_OK;
	cr_xml xr;
	cr_err e = cr_xml_open_part(&xr, z, part);
	if (e)
		return e;
	size_t cap = 0;
	int more = 1, loaded = 0, in_t = 0;
	cr_buf s;
	cr_buf_init(&s, st->x->lim->max_text_bytes);
	for (;;) {
		if (!loaded && ((e = cr_xml_next(&xr, &more)) || !more))
			break;
		loaded = 0;
		int t = cr_xml_type(&xr);
		if (t == XML_READER_TYPE_ELEMENT) {
			const char *n = cr_xml_name(&xr);
			if (!strcmp(n, "si")) {
				cr_buf_reset(&s);
				if (cr_xml_is_empty(&xr))
					goto push;
			} else if (!strcmp(n, "rPh") && !cr_xml_is_empty(&xr)) {
				if ((e = cr_xml_skip(&xr, &more)) || !more)
					break;
				loaded = 1;
			} else if (!strcmp(n, "t")) {
				in_t = !cr_xml_is_empty(&xr);
			}
			continue;
		}
		if (t == XML_READER_TYPE_TEXT || t == XML_READER_TYPE_SIGNIFICANT_WHITESPACE) {
			if (in_t && (e = cr_buf_adds(&s, cr_xml_value(&xr))))
				break;
			continue;
		}
		if (t != XML_READER_TYPE_END_ELEMENT)
			continue;
		if (!strcmp(cr_xml_name(&xr), "t")) {
			in_t = 0;
			continue;
		}
		if (strcmp(cr_xml_name(&xr), "si"))
			continue;
	push:
		if (st->n_sst == cap) {
			size_t nc = cap ? cap * 2 : 256;
			const char **nv = cr_arena_alloc(st->x->a, nc * sizeof *nv);
			if (!nv) {
				e = CR_ENOMEM;
				break;
			}
			if (st->n_sst)
				memcpy(nv, st->sst, st->n_sst * sizeof *nv);
			st->sst = nv;
			cap = nc;
		}
		if (!(st->sst[st->n_sst++] = cr_arena_strndup(st->x->a, s.data, s.len))) {
			e = CR_ENOMEM;
			break;
		}
	}
	cr_buf_release(&s);
	cr_xml_close(&xr);
	if ((e == CR_ENOMEM || e == CR_ETOOBIG) && !st->x->m->text[0])
		e = cr_fail(st->x->m, e, e == CR_ENOMEM ? "xlsx: shared strings: out of memory"
							: "xlsx: shared strings over the limit of %zu bytes", st->x->lim->max_text_bytes);
	return e;
}

/* "BC12" -> column 54 (0-based), or -1. */
static int col_of(const char *ref)
{
	if (!ref)
		return -1;
	int c = 0, n = 0;
	for (; *ref >= 'A' && *ref <= 'Z' && n < 4; ref++, n++)
		c = c * 26 + (*ref - 'A' + 1);
	return n && c <= MAX_COLS ? c - 1 : -1;
}

typedef struct cell {
	int col;
	size_t off, len; /* in the row buffer */
} cell;

typedef struct row_state {
	cr_buf vals;  /* cell values, back to back */
	cell *cells;
	int n_cells, cap_cells;
} row_state;

static cr_err row_add(row_state *r, int col, const char *v, size_t n)
{
	if (!n)
		return CR_OK;
	if (r->n_cells == r->cap_cells) {
		int nc = r->cap_cells ? r->cap_cells * 2 : 32;
		if (nc > MAX_COLS)
			return CR_ETOOBIG;
		cell *c = cr_realloc(r->cells, (size_t)nc * sizeof *c);
		if (!c)
			return CR_ENOMEM;
		r->cells = c;
		r->cap_cells = nc;
	}
	cell *c = &r->cells[r->n_cells++];
	c->col = col;
	c->off = r->vals.len;
	c->len = n;
	return cr_buf_add(&r->vals, v, n);
}

static int is_number(const char *s, size_t n)
{
	char tmp[64];
	if (!n || n >= sizeof tmp)
		return 0;
	memcpy(tmp, s, n);
	tmp[n] = 0;
	char *end;
	strtod(tmp, &end);
	return end != tmp && *end == 0;
}

/* Writes a finished row into the block text; the first all-text row of a
 * sheet becomes its header. */
static cr_err row_emit(xlsx_state *st, row_state *r, cr_buf *block, int *header_done, int *all_text_first)
{
	cr_err e = CR_OK;
	if (r->n_cells == 0)
		return CR_OK;
	if (!*header_done) {
		*header_done = 1;
		int all_text = r->n_cells > 1;
		for (int i = 0; i < r->n_cells && all_text; i++)
			if (is_number(r->vals.data + r->cells[i].off, r->cells[i].len))
				all_text = 0;
		*all_text_first = all_text;
		if (all_text) {
			st->n_hdr = 0;
			for (int i = 0; i < r->n_cells; i++)
				if (r->cells[i].col + 1 > st->n_hdr)
					st->n_hdr = r->cells[i].col + 1;
			st->hdr = cr_arena_zalloc(st->x->a, (size_t)st->n_hdr * sizeof *st->hdr);
			if (!st->hdr)
				return CR_ENOMEM;
			for (int i = 0; i < r->n_cells; i++)
				st->hdr[r->cells[i].col] =
					cr_arena_strndup(st->x->a, r->vals.data + r->cells[i].off, r->cells[i].len);
		}
		/* the header row itself is written plainly */
		for (int i = 0; i < r->n_cells && !e; i++) {
			if (i)
				e = cr_buf_adds(block, " | ");
			if (!e)
				e = cr_buf_add(block, r->vals.data + r->cells[i].off, r->cells[i].len);
		}
		return e ? e : cr_buf_addc(block, '\n');
	}
	for (int i = 0; i < r->n_cells && !e; i++) {
		const cell *c = &r->cells[i];
		const char *h = c->col >= 0 && c->col < st->n_hdr ? st->hdr[c->col] : NULL;
		if (i)
			e = cr_buf_adds(block, h || st->n_hdr ? "; " : " | ");
		if (!e && h && *h)
			e = cr_buf_printf(block, "%s: ", h);
		if (!e)
			e = cr_buf_add(block, r->vals.data + c->off, c->len);
	}
	return e ? e : cr_buf_addc(block, '\n');
}

static cr_err flush_block(xlsx_state *st, cr_buf *block, const char *sheet, int row_first, int row_last)
{
	if (!block->len)
		return CR_OK;
	cr_loc loc = cr_loc_none();
	loc.sheet = sheet;
	loc.line_start = row_first;
	loc.line_end = row_last;
	cr_err e = cr_doc_add_section(st->x, st->d, block->data, block->len, &loc);
	cr_buf_reset(block);
	return e;
}

static cr_err read_sheet(xlsx_state *st, cr_zip *z, const char *part, const char *name)
{
	cr_xml xr;
	cr_err e = cr_xml_open_part(&xr, z, part);
	if (e)
		return e;
	row_state r = {0};
	size_t cap = st->x->text_cap ? st->x->text_cap : st->x->lim->max_text_bytes;
	cr_buf_init(&r.vals, cap);
	cr_buf block, v;
	cr_buf_init(&block, cap);
	cr_buf_init(&v, cap);
	st->hdr = NULL;
	st->n_hdr = 0;
	int more = 1, loaded = 0, in_v = 0, in_t = 0, header_done = 0, all_text_first = 0;
	char datebuf[40];
	int row_num = 0, next_col = 0, col = 0, block_first = 0, block_last = 0, block_rows = 0;
	const char *ctype = NULL, *cstyle = NULL;
	if ((e = cr_buf_printf(&block, "Sheet: %s\n", name)))
		goto out;
	for (;;) {
		if (!loaded && ((e = cr_xml_next(&xr, &more)) || !more))
			break;
		loaded = 0;
		int t = cr_xml_type(&xr);
		const char *n = cr_xml_name(&xr);
		if (t == XML_READER_TYPE_ELEMENT) {
			int empty = cr_xml_is_empty(&xr);
			if (!strcmp(n, "row")) {
				const char *rr = cr_xml_attr(&xr, "r");
				row_num = rr ? atoi(rr) : row_num + 1;
				r.n_cells = 0;
				cr_buf_reset(&r.vals);
				next_col = 0;
			} else if (!strcmp(n, "c")) {
				int c = col_of(cr_xml_attr(&xr, "r"));
				col = c >= 0 ? c : next_col;
				next_col = col + 1;
				ctype = cr_xml_attr(&xr, "t");
				cstyle = cr_xml_attr(&xr, "s");
				cr_buf_reset(&v);
			} else if (!strcmp(n, "v")) {
				in_v = !empty;
			} else if (!strcmp(n, "t")) {
				in_t = !empty;
			} else if ((!strcmp(n, "f") || !strcmp(n, "rPh") || !strcmp(n, "extLst")) && !empty) {
				if ((e = cr_xml_skip(&xr, &more)) || !more)
					break;
				loaded = 1;
			}
			if (!empty || strcmp(n, "row"))
				continue;
		}
		if (t == XML_READER_TYPE_TEXT || t == XML_READER_TYPE_SIGNIFICANT_WHITESPACE) {
			if ((in_v || in_t) && (e = cr_buf_adds(&v, cr_xml_value(&xr))))
				break;
			continue;
		}
		if (t == XML_READER_TYPE_END_ELEMENT && !strcmp(n, "v")) {
			in_v = 0;
		} else if (t == XML_READER_TYPE_END_ELEMENT && !strcmp(n, "t")) {
			in_t = 0;
		} else if (t == XML_READER_TYPE_END_ELEMENT && !strcmp(n, "c")) {
			const char *val = v.data;
			size_t vl = v.len;
			if (ctype && !strcmp(ctype, "s")) {
				char *end;
				long idx = strtol(v.data, &end, 10);
				if (vl == 0 || *end || idx < 0 || (size_t)idx >= st->n_sst) {
					val = "";
					vl = 0;
				} else {
					val = st->sst[idx];
					vl = strlen(val);
				}
			} else if (ctype && !strcmp(ctype, "b")) {
				val = vl && v.data[0] == '1' ? "TRUE" : "FALSE";
				vl = vl ? strlen(val) : 0;
			} else if ((!ctype || !strcmp(ctype, "n")) && cstyle && vl) {
				long xf = strtol(cstyle, NULL, 10);
				char *end;
				double num = strtod(v.data, &end);
				if (xf >= 0 && (size_t)xf < st->n_xf && st->xf_date[xf] && !*end &&
				    format_date(datebuf, sizeof datebuf, num, st->xf_date[xf], st->date1904) > 0) {
					val = datebuf;
					vl = strlen(datebuf);
				}
			}
			while (vl && (*val == ' ' || *val == '\n' || *val == '\t'))
				val++, vl--;
			while (vl && (val[vl - 1] == ' ' || val[vl - 1] == '\n' || val[vl - 1] == '\t'))
				vl--;
			if ((e = row_add(&r, col, val, vl)))
				break;
		} else if ((t == XML_READER_TYPE_END_ELEMENT || t == XML_READER_TYPE_ELEMENT) && !strcmp(n, "row")) {
			if (r.n_cells == 0)
				continue;
			if (block_rows == 0)
				block_first = row_num;
			if ((e = row_emit(st, &r, &block, &header_done, &all_text_first)))
				break;
			block_last = row_num;
			block_rows++;
			if (block_rows >= ROWS_PER_BLOCK || block.len >= BLOCK_BYTES) {
				if ((e = flush_block(st, &block, name, block_first, block_last)))
					break;
				block_rows = 0;
			}
		}
	}
	if (!e && block_rows)
		e = flush_block(st, &block, name, block_first, block_last);
out:
	if (e == CR_ENOMEM || e == CR_ETOOBIG) {
		if (!st->x->m->text[0])
			e = cr_fail(st->x->m, e, e == CR_ENOMEM ? "xlsx: sheet %s: out of memory"
								: "xlsx: sheet %s: a row over the limit of %zu bytes", name,
				    st->x->text_cap ? st->x->text_cap : st->x->lim->max_text_bytes);
	}
	cr_free(r.cells);
	cr_buf_release(&r.vals);
	cr_buf_release(&block);
	cr_buf_release(&v);
	cr_xml_close(&xr);
	return e;
}

cr_err cr_x_xlsx(cr_xctx *x, const uint8_t *buf, size_t len, cr_doc *out)
{
	cr_zip *z;
	cr_err e = cr_zip_open(x, "xlsx", buf, len, &z);
	if (e)
		return e;
	/* a big workbook's text limit scales with it (like csv.c): cells become
	 * "Header: value", bounded by the inflated bytes the zip may give */
	size_t by_size = len > SIZE_MAX / 64 ? SIZE_MAX : 64 * len;
	x->text_cap = CR_MAX(x->lim->max_text_bytes, CR_MIN(x->lim->max_unzip_bytes, by_size));
	xlsx_state st = {.x = x, .d = out};
	const char *wb = cr_ooxml_main_part(z, "xl/workbook.xml");
	cr_kv *rels;
	size_t n_rels;
	if (!cr_zip_has(z, wb)) {
		e = cr_fail(x->m, CR_ECORRUPT, "xlsx: no xl/workbook.xml");
		goto out;
	}
	if ((e = cr_ooxml_core(z, out)) || (e = cr_ooxml_rels(z, wb, &rels, &n_rels)))
		goto out;
	/* shared strings: the target of the sharedStrings relationship */
	const char *sst = NULL;
	for (size_t i = 0; i < n_rels && !sst; i++)
		if (strstr(rels[i].value, "sharedStrings"))
			sst = rels[i].value;
	if ((e = read_shared_strings(&st, z, sst ? sst : "xl/sharedStrings.xml")))
		goto out;
	const char *styles = NULL;
	for (size_t i = 0; i < n_rels && !styles; i++)
		if (strstr(rels[i].value, "styles"))
			styles = rels[i].value;
	if ((e = read_styles(&st, z, styles)))
		goto out;
	/* sheets in workbook order */
	cr_xml xr;
	if ((e = cr_xml_open_part(&xr, z, wb)))
		goto out;
	const char **names = NULL, **parts = NULL;
	size_t n_sheets = 0, cap = 0;
	int more = 1;
	while (!(e = cr_xml_next(&xr, &more)) && more) {
		if (cr_xml_start(&xr, "workbookPr")) {
			const char *d1904 = cr_xml_attr(&xr, "date1904");
			st.date1904 = d1904 && (!strcmp(d1904, "1") || !strcmp(d1904, "true"));
		}
		if (!cr_xml_start(&xr, "sheet"))
			continue;
		const char *name = cr_xml_attr(&xr, "name"), *id = cr_xml_rel_id(&xr);
		const char *part = cr_ooxml_rel(rels, n_rels, id);
		if (!part || !cr_zip_has(z, part))
			continue; /* chart sheets, dangling ids */
		if (n_sheets == cap) {
			size_t nc = cap ? cap * 2 : 8;
			const char **nn = cr_arena_alloc(x->a, nc * sizeof *nn), **np = cr_arena_alloc(x->a, nc * sizeof *np);
			if (!nn || !np) {
				e = cr_fail(x->m, CR_ENOMEM, "xlsx: out of memory");
				break;
			}
			if (n_sheets) {
				memcpy(nn, names, n_sheets * sizeof *nn);
				memcpy(np, parts, n_sheets * sizeof *np);
			}
			names = nn;
			parts = np;
			cap = nc;
		}
		names[n_sheets] = name ? name : part;
		parts[n_sheets++] = part;
	}
	cr_xml_close(&xr);
	for (size_t i = 0; i < n_sheets && !e; i++)
		e = read_sheet(&st, z, parts[i], names[i]);
	if (!e) {
		char v[24];
		snprintf(v, sizeof v, "%zu", n_sheets);
		e = cr_doc_add_meta(x, out, "sheets", v);
	}
out:
	x->text_cap = 0;
	cr_zip_close(z);
	return e;
}
