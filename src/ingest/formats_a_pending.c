/*
 * formats_a_pending.c — temporary stand-ins for the document extractors
 * still being written (each returns CR_EUNSUPPORTED); removed one by one as
 * md.c, html.c, csv.c, pdf.c, docx.c, xlsx.c and pptx.c land.
 */
#include "ingest/ingest_int.h"

static cr_err pending(cr_msg *m, const char *what)
{
	return cr_fail(m, CR_EUNSUPPORTED, "%s: extractor not built yet", what);
}

cr_err cr_x_md(cr_xctx *x, const uint8_t *buf, size_t len, cr_doc *out) { return pending(x->m, "md"); }
cr_err cr_x_html(cr_xctx *x, const uint8_t *buf, size_t len, cr_doc *out) { return pending(x->m, "html"); }
cr_err cr_x_csv(cr_xctx *x, const uint8_t *buf, size_t len, cr_doc *out) { return pending(x->m, "csv"); }
cr_err cr_x_pdf(cr_xctx *x, const uint8_t *buf, size_t len, cr_doc *out) { return pending(x->m, "pdf"); }
cr_err cr_x_docx(cr_xctx *x, const uint8_t *buf, size_t len, cr_doc *out) { return pending(x->m, "docx"); }
cr_err cr_x_xlsx(cr_xctx *x, const uint8_t *buf, size_t len, cr_doc *out) { return pending(x->m, "xlsx"); }
cr_err cr_x_pptx(cr_xctx *x, const uint8_t *buf, size_t len, cr_doc *out) { return pending(x->m, "pptx"); }
