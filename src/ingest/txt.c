/*
 * txt.c — plain text: charset detection (charset.c), then one section per
 * paragraph (a run of non-blank lines) with its 1-based line range, so
 * chunks can point back at lines. The chunker joins small paragraphs.
 * Title: a first paragraph that is one short line (8-100 bytes), else the
 * file name.
 */
#include "ingest_int.h"

#include <string.h>

cr_err cr_x_txt(cr_xctx *x, const uint8_t *buf, size_t len, cr_doc *out)
{
	if (!cr_charset_looks_text(buf, len))
		return cr_fail(x->m, CR_EUNSUPPORTED, "txt: binary file");
	char *text;
	size_t n;
	const char *cs;
	cr_err e = cr_charset_to_utf8_cancel(x->lim->cancel, x->a, buf, len, NULL, &text, &n, &cs, x->m);
	if (e)
		return e;
	if ((e = cr_doc_add_meta(x, out, "charset", cs)))
		return e;
	n = cr_text_unix_newlines(text, n);
	if ((e = cr_text_add_paragraphs(x, out, text, n, 1, NULL)))
		return e;
	/* A first paragraph of one short line reads as a title ("MEMO" does not). */
	if (out->n_sections > 0 && out->sections[0].loc.line_start == out->sections[0].loc.line_end &&
	    out->sections[0].len >= 8 && out->sections[0].len <= 100)
		out->title = out->sections[0].text;
	return CR_OK;
}
