/*
 * ingest.h — from outside bytes to documents and chunks.
 *
 *   source ──► extractor ──► sections ──► chunker ──► chunks
 *
 * An extractor turns one file's bytes into a cr_doc: UTF-8 text organised in
 * sections, each a structural unit that knows where it came from (page,
 * slide, sheet, speaker turn and time, line range, heading path, code
 * symbol). The chunker then cuts sections into overlapping chunks that keep
 * that location. Containers (mbox, a mail with attachments, a chat export)
 * yield several documents linked by `parent`.
 *
 * Extractors never trust their input: every size, offset, count and nesting
 * depth is checked against cr_extract_limits, and failures return
 * CR_ECORRUPT / CR_ETOOBIG / CR_EDENIED / CR_EUNSUPPORTED with a one-line
 * reason in the cr_msg (e.g. "pdf: encrypted", "zip: ratio 1000:1 over limit").
 * Everything an extractor returns lives in the caller's arena.
 */
#ifndef CRISTAL_INGEST_H
#define CRISTAL_INGEST_H

#include "cristal/base.h"

typedef struct cr_kv {
	const char *key;
	const char *value;
} cr_kv;

/* Location fields: 0 / NULL / negative time mean "not applicable". */
typedef struct cr_loc {
	int page;          /* 1-based PDF page */
	int slide;         /* 1-based pptx slide */
	const char *sheet; /* xlsx sheet name */
	int line_start;    /* 1-based line range (code, txt, md) */
	int line_end;
	const char *speaker; /* transcript / chat speaker */
	double t_start;    /* seconds from start (vtt/srt), -1 = n/a */
	double t_end;
	const char *heading; /* heading path "Intro > Scope" */
	const char *symbol;  /* code symbol (function/class) the lines belong to */
} cr_loc;

typedef struct cr_section {
	const char *text; /* UTF-8, NUL-terminated */
	size_t len;
	cr_loc loc;
} cr_section;

typedef struct cr_doc cr_doc;
struct cr_doc {
	const char *name;  /* path relative to the ingested root, "x.mbox#3", "a.eml#att/b.pdf", or JSONL id */
	const char *parent;/* name of the containing document, or NULL */
	const char *title;
	const char *type;  /* format: txt md html pdf docx xlsx pptx csv eml mbox vtt srt chat code git-commit jsonl */
	const char *lang;  /* programming language for code ("c", "python"...), else natural language "en"/"ja" if known */
	int64_t date;      /* unix seconds, 0 = unknown */
	const char *author;
	cr_kv *meta;       /* other metadata (from, to, subject, charset, ...) */
	size_t n_meta;
	cr_section *sections;
	size_t n_sections;
	cr_doc *next;      /* further documents from the same file (attachments, mbox messages) */
};

typedef struct cr_extract_limits {
	size_t max_file_bytes;     /* input size (default 256 MiB) */
	size_t max_text_bytes;     /* extracted text per document (default 64 MiB) */
	size_t max_unzip_bytes;    /* total uncompressed bytes in a container (default 512 MiB) */
	unsigned max_ratio;        /* uncompressed:compressed per entry (default 200) */
	unsigned max_depth;        /* nesting: XML, MIME, attachments (default 64) */
	double max_seconds;        /* wall time per file (default 60) */
} cr_extract_limits;

CR_API cr_extract_limits cr_extract_limits_default(void);

/*
 * Extracts one file. `name` is used for the format (extension first, then
 * sniffing the bytes) and becomes doc->name. On success *out is a list of
 * one or more documents (doc->next). All memory is in arena `a`.
 */
CR_API cr_err cr_extract(cr_arena *a, const char *name, const uint8_t *buf, size_t len,
			 const cr_extract_limits *lim, cr_doc **out, cr_msg *m) CR_NODISCARD;

/*
 * Sets up, once per process, the libraries behind the extractors that need
 * process-wide initialisation before several threads use them (libxml2's
 * xmlInitParser, GMime's g_mime_init). Call it on one thread before
 * starting threads that call cr_extract; calling it again is a no-op.
 * cr_extract calls it too, so single-threaded callers need not.
 */
CR_API void cr_extract_init(void);

/* The format cr_extract would use for this name and these bytes, or NULL if none. */
CR_API const char *cr_extract_detect(const char *name, const uint8_t *buf, size_t len);

/*
 * Charset: converts bytes of unknown encoding to UTF-8. `hint` (may be NULL)
 * is a declared charset (HTML meta, MIME header). Detects BOMs, UTF-16 without
 * BOM, Shift_JIS/CP932, EUC-JP, ISO-2022-JP, Latin-1/CP1252 (uchardet + iconv).
 * Writes the charset it chose to *used (static string) if used is not NULL.
 */
CR_API cr_err cr_charset_to_utf8(cr_arena *a, const uint8_t *buf, size_t len, const char *hint,
				 char **out, size_t *out_len, const char **used, cr_msg *m) CR_NODISCARD;

/* -- chunking -- */

typedef struct cr_chunk {
	const char *text;
	size_t len;
	cr_loc loc;
	uint32_t ordinal; /* position of the chunk in its document */
} cr_chunk;

typedef struct cr_chunk_opts {
	size_t target_chars; /* aim (default 1200 characters) */
	size_t overlap_chars;/* carried from the previous chunk of the same section (default 150) */
} cr_chunk_opts;

CR_API cr_chunk_opts cr_chunk_opts_default(void);
/* Cuts a document's sections into chunks (never across sections whose
 * location differs; small neighbouring sections with the same location are
 * joined). Cuts prefer paragraph, then sentence (. 。！？), then word
 * boundaries, never inside a UTF-8 character. */
CR_API cr_err cr_chunk_doc(cr_arena *a, const cr_doc *d, const cr_chunk_opts *o,
			   cr_chunk **out, size_t *n_out) CR_NODISCARD;

#endif
