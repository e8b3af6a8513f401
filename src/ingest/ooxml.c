/*
 * ooxml.c — the bomb-safe zip reader and the guarded XML reader behind
 * docx.c, xlsx.c and pptx.c, plus package relationships and core
 * properties. Limits and error wording are described in ooxml.h.
 *
 * An OOXML package is a zip: [Content_Types].xml, parts like
 * word/document.xml, and for each part a relationships part
 * (word/_rels/document.xml.rels) mapping ids (rId3) to other parts.
 * libzip reads the central directory from our memory buffer; a part's
 * stated size is checked first; XML parts are then inflated as the XML
 * reader asks for bytes (a docx whose XML would inflate to 500 MB costs
 * only what is read before the text limit refuses it), other parts whole
 * into a malloc'd buffer; reads stop at the stated size.
 */
#define _GNU_SOURCE
#include "ooxml.h"

#include <stdio.h>
#include <string.h>
#include <zip.h>

struct cr_zip {
	cr_xctx *x;
	const char *fmt;
	zip_t *zip;
	zip_source_t *src;
	size_t unzipped; /* bytes inflated so far */
};

static cr_err zip_fail(cr_zip *z, cr_err e, const char *fmt, ...) CR_PRINTF(3, 4);
static cr_err zip_fail(cr_zip *z, cr_err e, const char *fmt, ...)
{
	char tmp[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	return cr_fail(z->x->m, e, "%s: %s", z->fmt, tmp);
}

cr_err cr_zip_open(cr_xctx *x, const char *fmt, const uint8_t *buf, size_t len, cr_zip **out)
{
	*out = NULL;
	if (len >= 8 && memcmp(buf, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8) == 0)
		return cr_fail(x->m, CR_EDENIED, "%s: encrypted (password-protected Office file)", fmt);
	if (len < 4 || memcmp(buf, "PK", 2) != 0)
		return cr_fail(x->m, CR_ECORRUPT, "%s: not a zip archive", fmt);
	cr_zip *z = cr_calloc(1, sizeof *z);
	if (!z)
		return cr_fail(x->m, CR_ENOMEM, "%s: out of memory", fmt);
	z->x = x;
	z->fmt = fmt;
	zip_error_t ze;
	zip_error_init(&ze);
	z->src = zip_source_buffer_create(buf, len, 0, &ze);
	if (z->src)
		z->zip = zip_open_from_source(z->src, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
	if (!z->zip) {
		cr_err e = zip_fail(z, CR_ECORRUPT, "corrupt zip (%s)", zip_error_strerror(&ze));
		zip_error_fini(&ze);
		if (z->src)
			zip_source_free(z->src);
		cr_free(z);
		return e;
	}
	zip_error_fini(&ze);
	zip_int64_t n = zip_get_num_entries(z->zip, 0);
	if (n < 0 || n > OOXML_MAX_ENTRIES) {
		cr_err e = zip_fail(z, CR_ETOOBIG, "zip: %lld entries over the limit of %d", (long long)n,
				    OOXML_MAX_ENTRIES);
		cr_zip_close(z);
		return e;
	}
	*out = z;
	return CR_OK;
}

void cr_zip_close(cr_zip *z)
{
	if (!z)
		return;
	if (z->zip)
		zip_discard(z->zip); /* frees the source too */
	else if (z->src)
		zip_source_free(z->src);
	cr_free(z);
}

int cr_zip_has(cr_zip *z, const char *part) { return zip_name_locate(z->zip, part, 0) >= 0; }

cr_err cr_zip_read(cr_zip *z, const char *part, char **data, size_t *len)
{
	*data = NULL;
	*len = 0;
	const cr_extract_limits *lim = z->x->lim;
	zip_int64_t idx = zip_name_locate(z->zip, part, 0);
	if (idx < 0)
		return zip_fail(z, CR_ENOTFOUND, "missing part %s", part);
	zip_stat_t st;
	zip_stat_init(&st);
	if (zip_stat_index(z->zip, (zip_uint64_t)idx, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE) ||
	    !(st.valid & ZIP_STAT_COMP_SIZE))
		return zip_fail(z, CR_ECORRUPT, "zip: cannot stat %s", part);
	if (st.size > lim->max_unzip_bytes || z->unzipped > lim->max_unzip_bytes - st.size)
		return zip_fail(z, CR_ETOOBIG, "zip: %s inflates to %llu bytes, over the limit of %zu", part,
				(unsigned long long)st.size, lim->max_unzip_bytes);
	if (st.size > (1u << 20) && st.size / (st.comp_size ? st.comp_size : 1) > lim->max_ratio)
		return zip_fail(z, CR_ETOOBIG, "zip: ratio %llu:1 over limit (%s)",
				(unsigned long long)(st.size / (st.comp_size ? st.comp_size : 1)), part);
	if (st.size >= SIZE_MAX)
		return zip_fail(z, CR_ETOOBIG, "zip: %s too large", part);
	char *buf = cr_malloc((size_t)st.size + 1);
	if (!buf)
		return zip_fail(z, CR_ENOMEM, "out of memory reading %s", part);
	zip_file_t *f = zip_fopen_index(z->zip, (zip_uint64_t)idx, 0);
	if (!f) {
		cr_free(buf);
		return zip_fail(z, CR_ECORRUPT, "zip: cannot open %s (%s)", part, zip_strerror(z->zip));
	}
	size_t got = 0;
	cr_err e = CR_OK;
	while (got < st.size) {
		size_t want = CR_MIN((size_t)st.size - got, (size_t)1 << 20);
		zip_int64_t r = zip_fread(f, buf + got, want);
		if (r < 0) {
			e = zip_fail(z, CR_ECORRUPT, "zip: %s: %s", part, zip_file_strerror(f));
			break;
		}
		if (r == 0) {
			e = zip_fail(z, CR_ECORRUPT, "zip: %s shorter than stated", part);
			break;
		}
		got += (size_t)r;
		if (cr_x_expired(z->x)) {
			e = zip_fail(z, CR_ETIMEOUT, "time limit reached inflating %s", part);
			break;
		}
	}
	zip_fclose(f);
	if (e) {
		cr_free(buf);
		return e;
	}
	buf[got] = 0;
	z->unzipped += got;
	*data = buf;
	*len = got;
	return CR_OK;
}

/* ---- XML ------------------------------------------------------------------- */

static void xml_error(void *ctx, xmlErrorPtr err)
{
	cr_xml *xr = ctx;
	if (xr->err[0] || !err)
		return;
	char msg[160];
	snprintf(msg, sizeof msg, "%s", err->message ? err->message : "XML error");
	size_t l = strlen(msg);
	while (l && (msg[l - 1] == '\n' || msg[l - 1] == ' '))
		msg[--l] = 0;
	snprintf(xr->err, sizeof xr->err, "line %d: %s", err->line, msg);
}

/* The reader's input: the next bytes of the part, checked for a DTD and
 * the deadline; -1 stops the reader (the reason in xr->io_err). */
static int xml_read(void *ctx, char *buf, int len)
{
	cr_xml *xr = ctx;
	if (xr->io_err)
		return -1;
	if (cr_x_expired(xr->x)) {
		xr->io_err = CR_ETIMEOUT;
		snprintf(xr->io_msg, sizeof xr->io_msg, "time limit reached inflating %s", xr->part);
		return -1;
	}
	zip_int64_t n = len > 0 ? zip_fread((zip_file_t *)xr->zf, buf, (zip_uint64_t)len) : 0;
	if (n < 0) {
		xr->io_err = CR_ECORRUPT;
		snprintf(xr->io_msg, sizeof xr->io_msg, "zip: %s: %s", xr->part, zip_file_strerror((zip_file_t *)xr->zf));
		return -1;
	}
	xr->got += (size_t)n;
	xr->z->unzipped += (size_t)n;
	if (xr->got > xr->stated || xr->z->unzipped > xr->x->lim->max_unzip_bytes) {
		xr->io_err = CR_ETOOBIG;
		snprintf(xr->io_msg, sizeof xr->io_msg, "zip: %s inflates past %zu bytes, over the limit of %zu", xr->part,
			 xr->z->unzipped, xr->x->lim->max_unzip_bytes);
		return -1;
	}
	/* a DTD, also one split between two reads */
	char seam[16];
	size_t k = CR_MIN((size_t)n, (size_t)8);
	memcpy(seam, xr->tail, xr->n_tail);
	memcpy(seam + xr->n_tail, buf, k);
	if (memmem(buf, (size_t)n, "<!DOCTYPE", 9) || memmem(buf, (size_t)n, "<!ENTITY", 8) ||
	    memmem(seam, xr->n_tail + k, "<!DOCTYPE", 9) || memmem(seam, xr->n_tail + k, "<!ENTITY", 8)) {
		xr->io_err = CR_ECORRUPT;
		snprintf(xr->io_msg, sizeof xr->io_msg, "%s: XML with a DTD (never in OOXML)", xr->part);
		return -1;
	}
	if (n >= 8) {
		memcpy(xr->tail, buf + n - 8, 8);
		xr->n_tail = 8;
	} else if (n > 0) {
		size_t keep = CR_MIN(xr->n_tail, (size_t)(8 - n));
		memmove(xr->tail, xr->tail + xr->n_tail - keep, keep);
		memcpy(xr->tail + keep, buf, (size_t)n);
		xr->n_tail = keep + (size_t)n;
	}
	return (int)n;
}

static int xml_close_cb(void *ctx)
{
	CR_UNUSED(ctx);
	return 0;
}

cr_err cr_xml_open_part(cr_xml *xr, cr_zip *z, const char *part)
{
	memset(xr, 0, sizeof *xr);
	xr->x = z->x;
	xr->fmt = z->fmt;
	xr->part = part;
	xr->z = z;
	const cr_extract_limits *lim = z->x->lim;
	zip_int64_t idx = zip_name_locate(z->zip, part, 0);
	if (idx < 0)
		return zip_fail(z, CR_ENOTFOUND, "missing part %s", part);
	zip_stat_t st;
	zip_stat_init(&st);
	if (zip_stat_index(z->zip, (zip_uint64_t)idx, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE) ||
	    !(st.valid & ZIP_STAT_COMP_SIZE))
		return zip_fail(z, CR_ECORRUPT, "zip: cannot stat %s", part);
	if (st.size > lim->max_unzip_bytes || z->unzipped > lim->max_unzip_bytes - st.size)
		return zip_fail(z, CR_ETOOBIG, "zip: %s inflates to %llu bytes, over the limit of %zu", part,
				(unsigned long long)st.size, lim->max_unzip_bytes);
	if (st.size > (1u << 20) && st.size / (st.comp_size ? st.comp_size : 1) > lim->max_ratio)
		return zip_fail(z, CR_ETOOBIG, "zip: ratio %llu:1 over limit (%s)",
				(unsigned long long)(st.size / (st.comp_size ? st.comp_size : 1)), part);
	if (st.size > INT32_MAX)
		return zip_fail(z, CR_ETOOBIG, "%s too large for the XML reader", part);
	xr->stated = (size_t)st.size;
	zip_file_t *f = zip_fopen_index(z->zip, (zip_uint64_t)idx, 0);
	if (!f)
		return zip_fail(z, CR_ECORRUPT, "zip: cannot open %s (%s)", part, zip_strerror(z->zip));
	xr->zf = f;
	xr->r = xmlReaderForIO(xml_read, xml_close_cb, xr, NULL, NULL,
			       XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
	if (!xr->r) {
		zip_fclose(f);
		xr->zf = NULL;
		return zip_fail(z, CR_ENOMEM, "cannot start the XML reader on %s", part);
	}
	xmlTextReaderSetStructuredErrorHandler(xr->r, xml_error, xr);
	return CR_OK;
}

void cr_xml_close(cr_xml *xr)
{
	if (xr->r)
		xmlFreeTextReader(xr->r);
	if (xr->zf)
		zip_fclose((zip_file_t *)xr->zf);
	cr_free(xr->data);
	xr->r = NULL;
	xr->zf = NULL;
	xr->data = NULL;
}

cr_err cr_xml_next(cr_xml *xr, int *more)
{
	*more = 0;
	int r = xmlTextReaderRead(xr->r);
	if (xr->io_err)
		return cr_fail(xr->x->m, xr->io_err, "%s: %s", xr->fmt, xr->io_msg);
	if (r < 0 || xr->err[0])
		return cr_fail(xr->x->m, CR_ECORRUPT, "%s: %s: %s", xr->fmt, xr->part,
			       xr->err[0] ? xr->err : "malformed XML");
	if (r == 0)
		return CR_OK;
	int depth = xmlTextReaderDepth(xr->r);
	if (depth > (int)xr->x->lim->max_depth)
		return cr_fail(xr->x->m, CR_ETOOBIG, "%s: %s: XML nesting deeper than %u", xr->fmt, xr->part,
			       xr->x->lim->max_depth);
	if (++xr->steps % 8192 == 0 && cr_x_expired(xr->x))
		return cr_fail(xr->x->m, CR_ETIMEOUT, "%s: time limit reached in %s", xr->fmt, xr->part);
	*more = 1;
	return CR_OK;
}

cr_err cr_xml_skip(cr_xml *xr, int *more)
{
	*more = 0;
	int r = xmlTextReaderNext(xr->r);
	if (xr->io_err)
		return cr_fail(xr->x->m, xr->io_err, "%s: %s", xr->fmt, xr->io_msg);
	if (r < 0 || xr->err[0])
		return cr_fail(xr->x->m, CR_ECORRUPT, "%s: %s: %s", xr->fmt, xr->part,
			       xr->err[0] ? xr->err : "malformed XML");
	*more = r == 1;
	return CR_OK;
}

int cr_xml_type(cr_xml *xr) { return xmlTextReaderNodeType(xr->r); }

const char *cr_xml_name(cr_xml *xr)
{
	const xmlChar *n = xmlTextReaderConstLocalName(xr->r);
	return n ? (const char *)n : "";
}

int cr_xml_depth(cr_xml *xr) { return xmlTextReaderDepth(xr->r); }

const char *cr_xml_value(cr_xml *xr)
{
	const xmlChar *v = xmlTextReaderConstValue(xr->r);
	return v ? (const char *)v : "";
}

int cr_xml_is_empty(cr_xml *xr) { return xmlTextReaderIsEmptyElement(xr->r) == 1; }

const char *cr_xml_attr(cr_xml *xr, const char *local)
{
	const char *res = NULL;
	if (xmlTextReaderMoveToFirstAttribute(xr->r) != 1)
		return NULL;
	do {
		const xmlChar *n = xmlTextReaderConstLocalName(xr->r);
		if (n && strcmp((const char *)n, local) == 0) {
			const xmlChar *v = xmlTextReaderConstValue(xr->r);
			res = cr_arena_strdup(xr->x->a, v ? (const char *)v : "");
			break;
		}
	} while (xmlTextReaderMoveToNextAttribute(xr->r) == 1);
	xmlTextReaderMoveToElement(xr->r);
	return res;
}

const char *cr_xml_rel_id(cr_xml *xr)
{
	static const char *const ns[] = {"http://schemas.openxmlformats.org/officeDocument/2006/relationships",
					 "http://purl.oclc.org/ooxml/officeDocument/relationships"}; /* strict */
	for (size_t i = 0; i < CR_ARRAY_LEN(ns); i++) {
		xmlChar *v = xmlTextReaderGetAttributeNs(xr->r, (const xmlChar *)"id", (const xmlChar *)ns[i]);
		if (v) {
			const char *r = cr_arena_strdup(xr->x->a, (const char *)v);
			xmlFree(v);
			return r;
		}
	}
	return NULL;
}

int cr_xml_start(cr_xml *xr, const char *local)
{
	return cr_xml_type(xr) == XML_READER_TYPE_ELEMENT && strcmp(cr_xml_name(xr), local) == 0;
}

int cr_xml_end(cr_xml *xr, const char *local)
{
	int t = cr_xml_type(xr);
	return (t == XML_READER_TYPE_END_ELEMENT || (t == XML_READER_TYPE_ELEMENT && cr_xml_is_empty(xr))) &&
	       strcmp(cr_xml_name(xr), local) == 0;
}

/* ---- relationships and core properties --------------------------------- */

/* Joins base directory and a relative target, resolving "." and "..". */
static char *resolve(cr_arena *a, const char *dir, const char *target)
{
	char tmp[1024];
	if (target[0] == '/')
		snprintf(tmp, sizeof tmp, "%s", target + 1);
	else
		snprintf(tmp, sizeof tmp, "%s%s", dir, target);
	/* normalise in place */
	char out[1024];
	size_t o = 0;
	const char *p = tmp;
	while (*p) {
		const char *seg = p;
		while (*p && *p != '/')
			p++;
		size_t sl = (size_t)(p - seg);
		if (*p == '/')
			p++;
		if (sl == 0 || (sl == 1 && seg[0] == '.'))
			continue;
		if (sl == 2 && seg[0] == '.' && seg[1] == '.') {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
			while (o > 0 && out[o - 1] != '/')
				o--;
			continue;
		}
		if (o + sl + 2 >= sizeof out)
			break;
		memcpy(out + o, seg, sl);
		o += sl;
		out[o++] = '/';
	}
	if (o)
		o--; /* last slash */
	return cr_arena_strndup(a, out, o);
}

cr_err cr_ooxml_rels(cr_zip *z, const char *part, cr_kv **rels, size_t *n)
{
	*rels = NULL;
	*n = 0;
	cr_arena *a = z->x->a;
	const char *slash = strrchr(part, '/');
	size_t dl = slash ? (size_t)(slash - part + 1) : 0;
	char *dir = cr_arena_strndup(a, part, dl);
	char *rp = cr_arena_printf(a, "%s_rels/%s.rels", dir ? dir : "", slash ? slash + 1 : part);
	if (!dir || !rp)
		return zip_fail(z, CR_ENOMEM, "out of memory");
	if (!cr_zip_has(z, rp))
		return CR_OK;
	cr_xml xr;
	cr_err e = cr_xml_open_part(&xr, z, rp);
	if (e)
		return e;
	size_t cap = 0;
	int more = 1;
	while (!(e = cr_xml_next(&xr, &more)) && more) {
		if (!cr_xml_start(&xr, "Relationship"))
			continue;
		const char *id = cr_xml_attr(&xr, "Id"), *target = cr_xml_attr(&xr, "Target"),
			   *mode = cr_xml_attr(&xr, "TargetMode");
		if (!id || !target || (mode && strcmp(mode, "External") == 0))
			continue;
		if (*n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			cr_kv *nv = cr_arena_alloc(a, nc * sizeof *nv);
			if (!nv) {
				e = zip_fail(z, CR_ENOMEM, "out of memory");
				break;
			}
			if (*n)
				memcpy(nv, *rels, *n * sizeof *nv);
			*rels = nv;
			cap = nc;
		}
		(*rels)[*n].key = id;
		(*rels)[*n].value = resolve(a, dir, target);
		if (!(*rels)[*n].value) {
			e = zip_fail(z, CR_ENOMEM, "out of memory");
			break;
		}
		(*n)++;
	}
	cr_xml_close(&xr);
	return e;
}

const char *cr_ooxml_rel(const cr_kv *rels, size_t n, const char *id)
{
	for (size_t i = 0; id && i < n; i++)
		if (strcmp(rels[i].key, id) == 0)
			return rels[i].value;
	return NULL;
}

const char *cr_ooxml_main_part(cr_zip *z, const char *fallback)
{
	cr_kv *rels;
	size_t n;
	cr_msg keep = *z->x->m;
	const char *main = NULL;
	if (cr_ooxml_rels(z, "", &rels, &n) == CR_OK) {
		for (size_t i = 0; i < n && !main; i++)
			if (cr_zip_has(z, rels[i].value) && strstr(rels[i].value, "/") &&
			    (strstr(rels[i].value, "document") || strstr(rels[i].value, "workbook") ||
			     strstr(rels[i].value, "presentation")))
				main = rels[i].value;
	}
	*z->x->m = keep;
	return main ? main : fallback;
}

int64_t cr_ooxml_date(const char *s) { return cr_iso_date(s); }

cr_err cr_ooxml_core(cr_zip *z, cr_doc *d)
{
	const char *part = "docProps/core.xml";
	if (!cr_zip_has(z, part))
		return CR_OK;
	cr_xml xr;
	cr_err e = cr_xml_open_part(&xr, z, part);
	if (e)
		return e;
	int more = 1;
	const char *want = NULL;
	cr_buf v;
	cr_buf_init(&v, 4096);
	while (!(e = cr_xml_next(&xr, &more)) && more) {
		int t = cr_xml_type(&xr);
		if (t == XML_READER_TYPE_ELEMENT && cr_xml_depth(&xr) == 1) {
			const char *n = cr_xml_name(&xr);
			want = NULL;
			cr_buf_reset(&v);
			if (!strcmp(n, "title") || !strcmp(n, "creator") || !strcmp(n, "created") || !strcmp(n, "subject") ||
			    !strcmp(n, "keywords") || !strcmp(n, "description") || !strcmp(n, "lastModifiedBy") ||
			    !strcmp(n, "modified"))
				want = cr_arena_strdup(z->x->a, n);
		} else if (want && (t == XML_READER_TYPE_TEXT || t == XML_READER_TYPE_SIGNIFICANT_WHITESPACE)) {
			CR_IGNORE(cr_buf_adds(&v, cr_xml_value(&xr)));
		} else if (want && t == XML_READER_TYPE_END_ELEMENT && cr_xml_depth(&xr) == 1) {
			const char *val = v.len ? cr_arena_strndup(z->x->a, v.data, v.len) : NULL;
			if (val) {
				if (!strcmp(want, "title"))
					d->title = val;
				else if (!strcmp(want, "creator"))
					d->author = val;
				else if (!strcmp(want, "created"))
					d->date = cr_ooxml_date(val);
				else if (!strcmp(want, "modified") && !d->date)
					d->date = cr_ooxml_date(val);
				else if ((e = cr_doc_add_meta(z->x, d, want, val)))
					break;
			}
			want = NULL;
		}
	}
	cr_buf_release(&v);
	cr_xml_close(&xr);
	return e;
}
