/*
 * ingest_int.h — what the files of the ingest module share: one extractor
 * function per format, called by the dispatcher in extract.c, and helpers
 * for building documents.
 *
 * Every extractor has the same shape: it reads `len` bytes at `buf` (the
 * whole file, untrusted), fills *out (already zeroed, with name and type
 * set by the dispatcher) and may append further documents (attachments,
 * messages) through cr_doc.next. Memory comes from the arena; limits come
 * from `lim`; the reason for a failure goes to m.
 */
#ifndef CR_INGEST_INT_H
#define CR_INGEST_INT_H

#include "cristal/ingest.h"

typedef struct cr_xctx {
	cr_arena *a;
	const cr_extract_limits *lim;
	unsigned depth;      /* nesting so far (attachments inside attachments) */
	double deadline;     /* cr_now() value after which extraction gives up */
	cr_err stop;         /* CR_ECANCELED once lim->cancel was found requested */
	cr_msg *m;
	cr_doc *root;        /* first document of this file (set by cr_extract) */
	cr_doc *hint;        /* last parent found by cr_extract_nested (speeds lookup) */
	const cr_doc *text_doc; /* document whose text is being counted ... */
	size_t text_bytes;      /* ... and its text so far (max_text_bytes) */
	size_t text_cap;        /* 0, or the text limit of a table (csv.c, xlsx.c), which
				 * scales with its input: rows grow when written as
				 * "Header: value" */
} cr_xctx;

typedef cr_err (*cr_extractor)(cr_xctx *x, const uint8_t *buf, size_t len, cr_doc *out);

/* text-like formats (ingest-A) */
cr_err cr_x_txt(cr_xctx *x, const uint8_t *buf, size_t len, cr_doc *out) CR_NODISCARD;
cr_err cr_x_md(cr_xctx *x, const uint8_t *buf, size_t len, cr_doc *out) CR_NODISCARD;
cr_err cr_x_html(cr_xctx *x, const uint8_t *buf, size_t len, cr_doc *out) CR_NODISCARD;
cr_err cr_x_csv(cr_xctx *x, const uint8_t *buf, size_t len, cr_doc *out) CR_NODISCARD;
cr_err cr_x_pdf(cr_xctx *x, const uint8_t *buf, size_t len, cr_doc *out) CR_NODISCARD;
cr_err cr_x_docx(cr_xctx *x, const uint8_t *buf, size_t len, cr_doc *out) CR_NODISCARD;
cr_err cr_x_xlsx(cr_xctx *x, const uint8_t *buf, size_t len, cr_doc *out) CR_NODISCARD;
cr_err cr_x_pptx(cr_xctx *x, const uint8_t *buf, size_t len, cr_doc *out) CR_NODISCARD;
/* messages, transcripts, code (ingest-B) */
cr_err cr_x_eml(cr_xctx *x, const uint8_t *buf, size_t len, cr_doc *out) CR_NODISCARD;
cr_err cr_x_mbox(cr_xctx *x, const uint8_t *buf, size_t len, cr_doc *out) CR_NODISCARD;
cr_err cr_x_vtt(cr_xctx *x, const uint8_t *buf, size_t len, cr_doc *out) CR_NODISCARD;
cr_err cr_x_srt(cr_xctx *x, const uint8_t *buf, size_t len, cr_doc *out) CR_NODISCARD;
cr_err cr_x_chat(cr_xctx *x, const uint8_t *buf, size_t len, cr_doc *out) CR_NODISCARD; /* one Slack-export day file (JSON array of messages) */
cr_err cr_x_code(cr_xctx *x, const uint8_t *buf, size_t len, cr_doc *out) CR_NODISCARD; /* language from out->name's extension */

/* Compressed single files (compress.c): "gzip", "bzip2" or "xz" for bytes
 * starting with that format's magic, else NULL. cr_decompress appends the
 * whole output to `out` (a cr_buf the caller releases; NUL-terminated, not
 * counted), stopping with CR_ETOOBIG (the figures in x->m) past
 * min(max_unzip_bytes, max_file_bytes) or max_ratio times `len` (at least
 * 1 MiB); CR_ECORRUPT for damaged or truncated data; reads the deadline. */
const char *cr_compressed_kind(const uint8_t *b, size_t n);
cr_err cr_decompress(cr_xctx *x, const char *kind, const uint8_t *buf, size_t len, cr_buf *out) CR_NODISCARD;

/* Extracted documents as JSON and back (docjson.c): the sandboxed worker's
 * output; the reader trusts nothing (fuzz/fuzz_docjson.c). */
cr_err cr_docs_to_json(const cr_doc *d, cr_buf *b) CR_NODISCARD;
cr_err cr_docs_from_json(cr_arena *a, const char *p, size_t n, cr_doc **out, cr_msg *m) CR_NODISCARD;

/* GMime's process-wide set-up, once (mail.c; called by cr_extract_init). */
void cr_mail_init(void);
/* Loads every known charset's gconv module once and keeps it loaded
 * (charset.c; called by cr_extract_init before workers start). */
void cr_charset_preload(void);

/* The programming language for a file name, or NULL if not code. */
const char *cr_code_lang(const char *name);
/* The language named by a "#!" first line ("#!/usr/bin/env python3" ->
 * "python"), or NULL. cr_x_code uses it when the name says nothing. */
const char *cr_code_lang_shebang(const uint8_t *buf, size_t len);

/*
 * Extracts nested bytes (a mail attachment) as its own document named
 * `name`, linked to `parent`, and appends it (and whatever it yields) to the
 * list after `tail`. Depth is checked. A failing attachment does not fail
 * the parent: it is skipped and noted in the parent's metadata (key
 * "skipped", value "<name>: <reason>"), and CR_OK is returned.
 *
 * `*tail` is the last document of the list so far (initially the extractor's
 * own `out`); on return it is the new last document, so successive calls
 * keep appending in order. The format comes from `name` (the part after the
 * last '#' and '/', e.g. "a.eml#att/b.pdf" -> "b.pdf"), then the bytes.
 * Only CR_ENOMEM and CR_ETIMEOUT are returned as errors (the whole file
 * fails); x->m is left untouched otherwise.
 */
cr_err cr_extract_nested(cr_xctx *x, const char *name, const char *parent, const uint8_t *buf,
			 size_t len, cr_doc **tail) CR_NODISCARD;

/*
 * Helpers for extractors (extract.c).
 *
 * cr_doc_add_section copies `text` into the arena (invalid UTF-8 replaced by
 * U+FFFD, NUL dropped); whitespace-only text is skipped (CR_OK). The strings
 * inside `loc` (sheet, speaker, heading, symbol) are NOT copied: they must
 * live in x->a. loc NULL means cr_loc_none(). Fails with CR_ETOOBIG once the
 * document's text passes lim->max_text_bytes, with the reason in x->m.
 * cr_doc_add_meta copies key and value; a NULL or empty value is skipped.
 */
cr_err cr_doc_add_section(cr_xctx *x, cr_doc *d, const char *text, size_t len, const cr_loc *loc) CR_NODISCARD;
cr_err cr_doc_add_meta(cr_xctx *x, cr_doc *d, const char *key, const char *value) CR_NODISCARD;
cr_loc cr_loc_none(void); /* all fields "not applicable" */
/* Past the deadline, or lim->cancel says stop: return CR_ETIMEOUT. (A
 * requested cancel is remembered in x->stop, and cr_extract turns the
 * CR_ETIMEOUT that comes out into CR_ECANCELED, so extractors need only
 * one way to stop.) */
int cr_x_expired(cr_xctx *x);
/* The value of meta `key` in d, or NULL. */
const char *cr_doc_meta(const cr_doc *d, const char *key);

/* -- shared by the text-like extractors -- */

/*
 * Adds UTF-8 `text` (n bytes) to d as one section per paragraph (run of
 * non-blank lines; one over 4 KiB is cut at a line end), each with its line range; `first_line` is the number of
 * the text's first line in the file (0: no line numbers, for formats whose
 * lines mean nothing, like HTML), `heading` (may be NULL, must live in
 * x->a) goes into every section's loc. (extract.c)
 */
cr_err cr_text_add_paragraphs(cr_xctx *x, cr_doc *d, const char *text, size_t n, int first_line,
			      const char *heading) CR_NODISCARD;
/* "2026-04-01", "2026-04-01T09:30:00Z" or with "+09:00" to unix seconds
 * (a missing zone is UTC); 0 if it is not such a date. */
int64_t cr_iso_date(const char *s);
/* CRLF and lone CR become LF, in place (line count unchanged); returns the new length. */
size_t cr_text_unix_newlines(char *s, size_t n);

/* cr_charset_to_utf8 that reads `cancel` about every MiB converted and
 * then fails with CR_ECANCELED / CR_ETIMEOUT (charset.c). */
cr_err cr_charset_to_utf8_cancel(const cr_cancel *cancel, cr_arena *a, const uint8_t *buf, size_t len,
				 const char *hint, char **out, size_t *out_len, const char **used,
				 cr_msg *m) CR_NODISCARD;

/* Do these bytes look like text in some charset (no NULs outside UTF-16,
 * few control characters)? Looks at the first 64 KiB only. */
int cr_charset_looks_text(const uint8_t *buf, size_t len);

#endif
