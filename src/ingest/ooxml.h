/*
 * ooxml.h — what docx.c, xlsx.c and pptx.c share (ooxml.c): a zip reader
 * that refuses bombs, a streaming XML reader that refuses DTDs and deep
 * nesting, package relationships and core properties.
 *
 * Zip limits (from cr_extract_limits): at most OOXML_MAX_ENTRIES entries;
 * a part is read only if its stated size fits what is left of
 * max_unzip_bytes (the sum of all parts read from one file) and, when over
 * 1 MiB, its ratio size:compressed is at most max_ratio; bytes beyond the
 * stated size are never read (libzip also checks sizes and CRCs). Reads
 * stop at the deadline.
 *
 * XML: libxml2's xmlTextReader without network, entity substitution, DTD
 * loading or XML_PARSE_HUGE; any <!DOCTYPE or <!ENTITY makes the part
 * corrupt (OOXML never has one); element depth over max_depth is
 * CR_ETOOBIG. Errors name the format and part: "docx: word/document.xml:
 * line 3: ...".
 */
#ifndef CR_INGEST_OOXML_H
#define CR_INGEST_OOXML_H

#include "ingest_int.h"

#include <libxml/xmlreader.h>

#define OOXML_MAX_ENTRIES 20000

typedef struct cr_zip cr_zip;

/* Opens an OOXML package held in memory (not copied: buf must outlive z).
 * fmt ("docx") prefixes messages. A password-protected Office file (an OLE
 * container, not a zip) is CR_EDENIED "<fmt>: encrypted". */
cr_err cr_zip_open(cr_xctx *x, const char *fmt, const uint8_t *buf, size_t len, cr_zip **out) CR_NODISCARD;
void cr_zip_close(cr_zip *z);
int cr_zip_has(cr_zip *z, const char *part);
/* Reads a whole part; *data is NUL-terminated, free with cr_free.
 * CR_ENOTFOUND (message set) when absent. */
cr_err cr_zip_read(cr_zip *z, const char *part, char **data, size_t *len) CR_NODISCARD;

typedef struct cr_xml {
	xmlTextReaderPtr r;
	cr_xctx *x;
	const char *fmt, *part;
	char *data;      /* unused (parts are streamed) */
	char err[200];   /* libxml2's first error */
	size_t steps;
	/* the part streamed from the zip as the reader asks for it */
	cr_zip *z;
	void *zf;        /* zip_file_t */
	size_t got, stated;
	char tail[8];    /* last bytes of the previous read (a DTD split in two) */
	size_t n_tail;
	cr_err io_err;   /* why the stream stopped early, with io_msg */
	char io_msg[200];
} cr_xml;

/* Starts an XML reader on part, inflated from z as the reader reads (a
 * part is never held whole: a refusal at the text limit or the deadline
 * stops inflating there); the stated size is checked first as for
 * cr_zip_read, and a DTD anywhere in the stream makes it corrupt. */
cr_err cr_xml_open_part(cr_xml *xr, cr_zip *z, const char *part) CR_NODISCARD;
/* Advances one node: *more = 0 at the end. Errors: CR_ECORRUPT,
 * CR_ETOOBIG (depth), CR_ETIMEOUT. */
cr_err cr_xml_next(cr_xml *xr, int *more) CR_NODISCARD;
void cr_xml_close(cr_xml *xr);
/* The current node: type (XML_READER_TYPE_*), local name (never NULL),
 * depth, value of the text node, an attribute by local name (arena copy
 * or NULL), empty element <x/>? */
int cr_xml_type(cr_xml *xr);
const char *cr_xml_name(cr_xml *xr);
int cr_xml_depth(cr_xml *xr);
const char *cr_xml_value(cr_xml *xr);
const char *cr_xml_attr(cr_xml *xr, const char *local);
int cr_xml_is_empty(cr_xml *xr);
/* The r:id attribute (relationships namespace), arena copy or NULL. */
const char *cr_xml_rel_id(cr_xml *xr);
/* Skips the current element's subtree (the next node read is after it). */
cr_err cr_xml_skip(cr_xml *xr, int *more) CR_NODISCARD;
/* Is the node an element start / end with this local name? */
int cr_xml_start(cr_xml *xr, const char *local);
int cr_xml_end(cr_xml *xr, const char *local);

/* Relationships of `part` ("word/document.xml" -> "word/_rels/document.xml.rels"):
 * key = Id, value = target resolved to a package path; external targets
 * are skipped. A missing rels part gives n = 0. */
cr_err cr_ooxml_rels(cr_zip *z, const char *part, cr_kv **rels, size_t *n) CR_NODISCARD;
const char *cr_ooxml_rel(const cr_kv *rels, size_t n, const char *id);
/* The main part of the package: the target of the officeDocument
 * relationship in _rels/.rels, else `fallback`. */
const char *cr_ooxml_main_part(cr_zip *z, const char *fallback);
/* docProps/core.xml: title, creator, created (and subject, keywords as meta). */
cr_err cr_ooxml_core(cr_zip *z, cr_doc *d) CR_NODISCARD;
/* W3CDTF "2024-05-01T09:30:00Z" (or a prefix of it) to unix seconds; 0 if bad. */
int64_t cr_ooxml_date(const char *s);

#endif
