/*
 * doc.h — the document model every layer speaks: a document (cr_doc) is
 * UTF-8 text in sections, each section knowing where it came from (cr_loc);
 * chunks (cr_chunk) are what the index holds and citations point at.
 *
 * Plain data, no functions with state: ingest produces these, the store
 * keeps them, the corpus, answers and the server read them. Strings are
 * borrowed; who owns them (usually an arena) is said where they are made.
 */
#ifndef CRISTAL_DOC_H
#define CRISTAL_DOC_H

#include <string.h>

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
	/* Who the document itself names as its readers: readers_kind "mail"
	 * (a message's From, To, Cc and Bcc, given to its attachments too) or
	 * "chat" (a channel's members, set by the corpus from the export);
	 * NULL: its format names none. readers are addresses in
	 * cr_email_norm's form, each once; none with a kind set means nobody
	 * is named (an mbox's table of contents). The corpus makes them part
	 * of the ACL when asked (ingest --acl-from-mail, --acl-from-chat). */
	const char *readers_kind;
	const char *const *readers;
	size_t n_readers;
};

typedef struct cr_chunk {
	const char *text;
	size_t len;
	cr_loc loc;
	uint32_t ordinal; /* position of the chunk in its document */
} cr_chunk;

/* Do two locations name the same place (page, slide, sheet, heading and code
 * symbol; line ranges, times and speakers may differ within a place)? A
 * chunk never spans two places. */
static inline int cr_loc_same(const cr_loc *a, const cr_loc *b)
{
#define CR_STR_EQ_(x, y) ((!(x) || !(y)) ? (x) == (y) : strcmp((x), (y)) == 0)
	return a->page == b->page && a->slide == b->slide && CR_STR_EQ_(a->sheet, b->sheet) &&
	       CR_STR_EQ_(a->heading, b->heading) && CR_STR_EQ_(a->symbol, b->symbol);
#undef CR_STR_EQ_
}

#endif
