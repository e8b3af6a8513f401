/*
 * pdf.c — PDF text layers through poppler-glib.
 *
 * One section per page, loc.page 1-based, text as poppler lays it out
 * (reading order, lines joined by newlines). Title, author and creation
 * date come from the info dictionary. Failures:
 *   encrypted (a user password we do not have)  CR_EDENIED     "pdf: encrypted"
 *   poppler cannot open it                        CR_ECORRUPT    "pdf: <poppler's reason>"
 *   no "%%EOF" in the last KiB (cut short)        CR_ECORRUPT    "pdf: truncated file (no %%EOF)"
 *   no text on any page                           CR_EUNSUPPORTED "pdf: no text layer (scanned?)"
 *   past the deadline between pages             CR_ETIMEOUT
 * poppler-glib reports parse trouble ("Syntax error at position 726: Bad
 * 'Length' attribute in stream") through GLib logging, domain "Poppler",
 * level INFO, which reaches stderr when G_MESSAGES_DEBUG is set: a handler
 * installed once drops every "Poppler" message, so damaged files never spray
 * the console. Poppler repairs what it can (a broken xref is rebuilt); we
 * report only what it cannot open. The bytes are wrapped, not copied.
 * A single page cannot be interrupted: the deadline is checked between pages.
 */
#define _GNU_SOURCE
#include "ingest_int.h"

#include <glib.h>
#include <poppler.h>
#include <pthread.h>
#include <string.h>

static void quiet(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer data) {}

static void install_quiet(void)
{
	g_log_set_handler("Poppler", G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL | G_LOG_FLAG_RECURSION, quiet, NULL);
}

static const char *dup_g(cr_arena *a, gchar *s)
{
	const char *r = NULL;
	if (s && *s)
		r = cr_arena_strdup(a, s);
	g_free(s);
	return r;
}

/* A file cut short loses its trailer: look for %%EOF near the end. */
static int has_eof(const uint8_t *buf, size_t len)
{
	size_t w = CR_MIN(len, (size_t)2048);
	return memmem(buf + len - w, w, "%%EOF", 5) != NULL;
}

cr_err cr_x_pdf(cr_xctx *x, const uint8_t *buf, size_t len, cr_doc *out)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, install_quiet);
	if (len < 8 || !memmem(buf, CR_MIN(len, (size_t)1024), "%PDF-", 5))
		return cr_fail(x->m, CR_ECORRUPT, "pdf: no %%PDF header");
	GBytes *bytes = g_bytes_new_static(buf, len);
	GError *err = NULL;
	PopplerDocument *doc = poppler_document_new_from_bytes(bytes, NULL, &err);
	cr_err e = CR_OK;
	if (!doc) {
		if (err && err->domain == POPPLER_ERROR && err->code == POPPLER_ERROR_ENCRYPTED)
			e = cr_fail(x->m, CR_EDENIED, "pdf: encrypted");
		else
			e = cr_fail(x->m, CR_ECORRUPT, "pdf: %s", err && err->message ? err->message : "unreadable");
		goto out;
	}
	if (!has_eof(buf, len)) {
		e = cr_fail(x->m, CR_ECORRUPT, "pdf: truncated file (no %%%%EOF)");
		goto out;
	}
	out->title = dup_g(x->a, poppler_document_get_title(doc));
	out->author = dup_g(x->a, poppler_document_get_author(doc));
	time_t t = poppler_document_get_creation_date(doc);
	if (t > 0)
		out->date = (int64_t)t;
	const char *subject = dup_g(x->a, poppler_document_get_subject(doc));
	const char *producer = dup_g(x->a, poppler_document_get_producer(doc));
	const char *keywords = dup_g(x->a, poppler_document_get_keywords(doc));
	if ((e = cr_doc_add_meta(x, out, "subject", subject)) || (e = cr_doc_add_meta(x, out, "producer", producer)) ||
	    (e = cr_doc_add_meta(x, out, "keywords", keywords)))
		goto out;
	int n_pages = poppler_document_get_n_pages(doc);
	char pages[24];
	snprintf(pages, sizeof pages, "%d", n_pages);
	if ((e = cr_doc_add_meta(x, out, "pages", pages)))
		goto out;
	size_t n_text = 0;
	for (int i = 0; i < n_pages && !e; i++) {
		if (cr_x_expired(x)) {
			e = cr_fail(x->m, CR_ETIMEOUT, "pdf: time limit reached at page %d of %d", i + 1, n_pages);
			break;
		}
		PopplerPage *page = poppler_document_get_page(doc, i);
		if (!page)
			continue;
		gchar *txt = poppler_page_get_text(page);
		if (txt && *txt) {
			cr_loc loc = cr_loc_none();
			loc.page = i + 1;
			size_t before = out->n_sections;
			e = cr_doc_add_section(x, out, txt, strlen(txt), &loc);
			if (out->n_sections > before)
				n_text++;
		}
		g_free(txt);
		g_object_unref(page);
	}
	if (!e && n_text == 0)
		e = cr_fail(x->m, CR_EUNSUPPORTED, "pdf: no text layer (scanned?)");
out:
	if (err)
		g_error_free(err);
	if (doc)
		g_object_unref(doc);
	g_bytes_unref(bytes);
	return e;
}
