/*
 * extract.c — the ingest dispatcher: picks an extractor for a file and gives
 * extractors the helpers they share (sections, metadata, nesting, limits).
 *
 * Format choice (cr_extract_detect), first match wins:
 *   0. gzip, bzip2 or xz bytes: that kind, under any name (cr_extract
 *      decompresses them, within the zip bomb limits, and reads the inner
 *      file by the name without ".gz" and its own bytes, so changelog.gz is
 *      text and report.csv.xz a CSV; a tar inside is refused);
 *      nothing for binary formats: an extension that is never text (.jpg
 *      .zip .exe .mp4 ...; .doc .xls .ppt unless the bytes are HTML or
 *      RTF), or the magic number of a binary format (JPEG, PNG, GIF, ELF,
 *      OLE2, gzip, ...) under any name but .pdf/.docx/.xlsx/.pptx;
 *   1. a known document extension (.pdf .docx .md .eml .vtt ...);
 *   2. a programming language for the name (cr_code_lang, in code.c), or
 *      for a "#!" first line naming a known interpreter (cr_code_lang_shebang);
 *   3. sniffing the bytes: "%PDF-", a zip holding [Content_Types].xml plus
 *      word/ xl/ or ppt/ parts, an mbox "From " line, RFC 822 headers,
 *      "WEBVTT", an SRT cue ("1" then "00:00:01,000 --> ..."), a JSON array
 *      of message objects (one chat day file);
 *   4. text, if the bytes look like text in some charset (charset.c) and
 *      are not a uuencoded blob ("begin 644 name" + "M..." lines);
 *   5. otherwise nothing: cr_extract rejects the file as "binary file".
 * When the format came from sniffing the bytes (mbox, mail, subtitles,
 * chat; not from the file's extension) and its reading fails on them
 * (CR_ECORRUPT, CR_EUNSUPPORTED), text that looks like text is read as
 * plain text instead, with the reason in the metadata ("read_as"): a note
 * whose first line starts with "From " is not a broken mailbox.
 * The name used is the part after the last '#' and '/' so that nested names
 * ("a.eml#att/b.pdf", "x.mbox#3") resolve by their own file name.
 *
 * Every extractor gets a cr_xctx with the arena, the limits and a deadline
 * (lim->max_seconds from the start of the top-level file) and fills a
 * zeroed cr_doc whose name and type are already set. Documents left
 * without a title get the file name (without folders) as title.
 */
#define _GNU_SOURCE
#include "ingest_int.h"

#include <libxml/parser.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

cr_extract_limits cr_extract_limits_default(void)
{
	cr_extract_limits l = {
		.max_file_bytes = 256u << 20,
		.max_text_bytes = 64u << 20,
		.max_unzip_bytes = 512u << 20,
		.max_ratio = 200,
		.max_depth = 64,
		.max_seconds = 60,
	};
	return l;
}

cr_loc cr_loc_none(void)
{
	cr_loc l;
	memset(&l, 0, sizeof l);
	l.t_start = -1;
	l.t_end = -1;
	return l;
}

int cr_x_expired(cr_xctx *x)
{
	if (x->stop || (x->deadline > 0 && cr_now() > x->deadline))
		return 1;
	cr_err e = cr_cancel_check(x->lim->cancel);
	if (e == CR_ECANCELED)
		x->stop = e;
	return e != CR_OK;
}

/* ---- document building ------------------------------------------------- */

/* Arrays in a cr_doc have no capacity field: capacity is the next power of
 * two at or above the count, so a push reallocates when n is 0 or a power
 * of two. Amortised O(1); the old array stays in the arena (at most 2x). */
static void *grow(cr_arena *a, void *arr, size_t n, size_t elem)
{
	if (n != 0 && (n & (n - 1)) != 0)
		return arr;
	size_t cap = n ? n * 2 : 4;
	if (n && n < 4)
		return arr; /* 1..3 fit in the initial 4 */
	void *p = cr_arena_alloc(a, cap * elem);
	if (p && n)
		memcpy(p, arr, n * elem);
	return p;
}

static int all_space(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r' && s[i] != '\f' && s[i] != '\v')
			return 0;
	return 1;
}

cr_err cr_doc_add_section(cr_xctx *x, cr_doc *d, const char *text, size_t len, const cr_loc *loc)
{
	if (!text || all_space(text, len))
		return CR_OK;
	if (x->text_doc != d) {
		x->text_doc = d;
		x->text_bytes = 0;
		for (size_t i = 0; i < d->n_sections; i++)
			x->text_bytes += d->sections[i].len;
	}
	size_t cap = x->text_cap ? x->text_cap : x->lim ? x->lim->max_text_bytes : SIZE_MAX;
	if (x->text_bytes + len > cap)
		return cr_fail(x->m, CR_ETOOBIG, "%s: text over the limit of %zu bytes (at %zu bytes)",
			       d->type ? d->type : "doc", cap, x->text_bytes + len);
	char *copy;
	size_t n_copy;
	if (cr_utf8_valid((const uint8_t *)text, len) && !memchr(text, 0, len)) {
		copy = cr_arena_strndup(x->a, text, len);
		n_copy = len;
	} else {
		cr_buf b;
		cr_buf_init(&b, 0);
		cr_err e = cr_utf8_sanitize(&b, (const uint8_t *)text, len);
		copy = e ? NULL : cr_arena_strndup(x->a, b.data ? b.data : "", b.len);
		n_copy = b.len;
		cr_buf_release(&b);
	}
	cr_section *s = grow(x->a, d->sections, d->n_sections, sizeof *s);
	if (!copy || !s)
		return cr_fail(x->m, CR_ENOMEM, "%s: out of memory", d->type ? d->type : "doc");
	d->sections = s;
	s[d->n_sections].text = copy;
	s[d->n_sections].len = n_copy;
	s[d->n_sections].loc = loc ? *loc : cr_loc_none();
	d->n_sections++;
	x->text_bytes += n_copy;
	return CR_OK;
}

cr_err cr_doc_add_meta(cr_xctx *x, cr_doc *d, const char *key, const char *value)
{
	if (!key || !value || !*value)
		return CR_OK;
	cr_kv *kv = grow(x->a, d->meta, d->n_meta, sizeof *kv);
	const char *k = cr_arena_strdup(x->a, key), *v = cr_arena_strdup(x->a, value);
	if (!kv || !k || !v)
		return cr_fail(x->m, CR_ENOMEM, "%s: out of memory", d->type ? d->type : "doc");
	d->meta = kv;
	kv[d->n_meta].key = k;
	kv[d->n_meta].value = v;
	d->n_meta++;
	return CR_OK;
}

const char *cr_doc_meta(const cr_doc *d, const char *key)
{
	for (size_t i = 0; i < d->n_meta; i++)
		if (strcmp(d->meta[i].key, key) == 0)
			return d->meta[i].value;
	return NULL;
}

/* ---- format detection -------------------------------------------------- */

/* The file's own name: after the last '#', then after the last '/'. */
static const char *leaf_name(const char *name)
{
	if (!name)
		return "";
	const char *h = strrchr(name, '#');
	const char *s = h ? h + 1 : name;
	const char *sl = strrchr(s, '/');
	return sl ? sl + 1 : s;
}

static const struct {
	const char *ext, *type;
} ext_types[] = {
	{"txt", "txt"},   {"text", "txt"},    {"log", "txt"},   {"md", "md"},     {"markdown", "md"},
	{"html", "html"}, {"htm", "html"},    {"xhtml", "html"}, {"csv", "csv"},  {"tsv", "csv"},
	{"pdf", "pdf"},   {"docx", "docx"},   {"xlsx", "xlsx"}, {"pptx", "pptx"}, {"eml", "eml"},
	{"mbox", "mbox"}, {"mbx", "mbox"},    {"vtt", "vtt"},   {"srt", "srt"},
};

static int ieq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char ca = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
		if (ca != *b)
			return 0;
	}
	return *a == *b;
}

static const char *type_by_ext(const char *leaf)
{
	const char *dot = strrchr(leaf, '.');
	if (!dot || dot == leaf)
		return NULL;
	for (size_t i = 0; i < CR_ARRAY_LEN(ext_types); i++)
		if (ieq(dot + 1, ext_types[i].ext))
			return ext_types[i].type;
	return NULL;
}

static size_t skip_bom(const uint8_t *b, size_t n)
{
	return n >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf ? 3 : 0;
}

static int starts(const uint8_t *b, size_t n, const char *lit)
{
	size_t l = strlen(lit);
	return n >= l && memcmp(b, lit, l) == 0;
}

static const char *sniff_zip(const uint8_t *b, size_t n)
{
	if (!memmem(b, n, "[Content_Types].xml", 19))
		return NULL;
	if (memmem(b, n, "word/document.xml", 17))
		return "docx";
	if (memmem(b, n, "xl/workbook.xml", 15))
		return "xlsx";
	if (memmem(b, n, "ppt/presentation.xml", 20))
		return "pptx";
	return NULL;
}

/* RFC 822 header block: the first lines are "Name: value" (or folded
 * continuations) and at least two are headers every mail carries. */
static int sniff_eml(const uint8_t *b, size_t n)
{
	static const char *const known[] = {"from", "to", "subject", "date", "message-id", "received",
					    "mime-version", "return-path", "delivered-to", "cc", "reply-to",
					    "content-type"};
	size_t i = 0, lines = 0;
	int hits = 0;
	n = CR_MIN(n, 8192);
	while (i < n && lines < 200) {
		size_t e = i;
		while (e < n && b[e] != '\n')
			e++;
		size_t le = e > i && b[e - 1] == '\r' ? e - 1 : e;
		if (le == i)
			break; /* blank line: end of headers */
		if (b[i] == ' ' || b[i] == '\t') {
			if (lines == 0)
				return 0;
		} else {
			size_t k = i;
			while (k < le && b[k] > 32 && b[k] < 127 && b[k] != ':')
				k++;
			if (k == i || k >= le || b[k] != ':')
				return 0;
			for (size_t j = 0; j < CR_ARRAY_LEN(known); j++) {
				size_t kl = strlen(known[j]);
				if (k - i == kl && strncasecmp((const char *)b + i, known[j], kl) == 0)
					hits++;
			}
		}
		lines++;
		i = e + 1;
	}
	return hits >= 2;
}

static int is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

/* "1\n00:00:01,000 --> 00:00:04,000" (hours may have 1-3 digits). */
static int sniff_srt(const uint8_t *b, size_t n)
{
	size_t i = 0;
	n = CR_MIN(n, 512);
	while (i < n && (b[i] == '\n' || b[i] == '\r' || b[i] == ' '))
		i++;
	size_t d = i;
	while (i < n && is_digit(b[i]))
		i++;
	if (i == d || i - d > 9)
		return 0;
	while (i < n && (b[i] == ' ' || b[i] == '\r'))
		i++;
	if (i >= n || b[i] != '\n')
		return 0;
	i++;
	size_t h = i;
	while (i < n && is_digit(b[i]))
		i++;
	if (i == h || i - h > 3)
		return 0;
	const char *pat = ":dd:dd,ddd";
	for (size_t k = 0; pat[k]; k++, i++) {
		if (i >= n)
			return 0;
		if (pat[k] == 'd' ? !is_digit(b[i]) : (pat[k] == ',' ? b[i] != ',' && b[i] != '.' : b[i] != (uint8_t)pat[k]))
			return 0;
	}
	while (i < n && b[i] == ' ')
		i++;
	return starts(b + i, n - i, "-->");
}

/* A JSON array of objects with a "ts" or "type": one chat day file. */
static int sniff_chat(const uint8_t *b, size_t n)
{
	size_t i = 0;
	while (i < n && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t'))
		i++;
	if (i >= n || b[i] != '[')
		return 0;
	i++;
	while (i < n && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t'))
		i++;
	if (i >= n || b[i] != '{')
		return 0;
	size_t w = CR_MIN(n - i, 4096);
	return memmem(b + i, w, "\"ts\"", 4) != NULL || memmem(b + i, w, "\"type\"", 6) != NULL;
}

/* Magic numbers of common binary formats we do not read: the name of the
 * format, or NULL. Checked before any text reading, because a short or
 * truncated blob may pass the "few control characters" test. */
static const char *binary_magic(const uint8_t *b, size_t n)
{
	static const struct {
		const char *magic;
		size_t len;
		const char *what;
	} tab[] = {
		{"\xFF\xD8\xFF", 3, "JPEG image"},
		{"\x89PNG\r\n\x1a\n", 8, "PNG image"},
		{"GIF87a", 6, "GIF image"},
		{"GIF89a", 6, "GIF image"},
		{"II*\0", 4, "TIFF image"},
		{"MM\0*", 4, "TIFF image"},
		{"\x7f" "ELF", 4, "ELF executable"},
		{"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8, "OLE2 compound file (doc, xls, ppt, msg)"},
		{"\x1f\x8b", 2, "gzip archive"},
		{"BZh", 3, NULL}, /* + a digit, below */
		{"\xFD" "7zXZ\0", 6, "xz archive"},
		{"7z\xBC\xAF\x27\x1C", 6, "7z archive"},
		{"Rar!\x1a\x07", 6, "RAR archive"},
		{"PK\x05\x06", 4, "zip archive"},
		{"PK\x07\x08", 4, "zip archive"},
		{"\xCA\xFE\xBA\xBE", 4, "Java class or Mach-O"},
		{"\xCF\xFA\xED\xFE", 4, "Mach-O executable"},
		{"\xCE\xFA\xED\xFE", 4, "Mach-O executable"},
		{"\0asm", 4, "WebAssembly"},
		{"SQLite format 3\0", 16, "SQLite database"},
		{"OggS\0", 5, "Ogg media"},
		{"fLaC", 4, "FLAC audio"},
		{"ID3", 3, NULL}, /* + a version byte < 0x10, below */
		{"wOFF", 4, "WOFF font"},
		{"wOF2", 4, "WOFF font"},
		{"\x28\xB5\x2F\xFD", 4, "zstd archive"},
		{"MSCF\0\0\0\0", 8, "cabinet archive"},
	};
	for (size_t i = 0; i < CR_ARRAY_LEN(tab); i++) {
		if (n < tab[i].len || memcmp(b, tab[i].magic, tab[i].len) != 0)
			continue;
		if (tab[i].what)
			return tab[i].what;
		if (b[0] == 'B' && n > 3 && b[3] >= '1' && b[3] <= '9')
			return "bzip2 archive";
		if (b[0] == 'I' && n > 3 && b[3] < 0x10)
			return "MP3 audio";
	}
	if (n >= 12 && memcmp(b, "RIFF", 4) == 0)
		return "RIFF media (wav, avi, webp)";
	if (n >= 12 && memcmp(b + 4, "ftyp", 4) == 0 && b[0] == 0)
		return "MP4/QuickTime/HEIF media";
	if (n >= 64 && b[0] == 'M' && b[1] == 'Z' && memchr(b, 0, CR_MIN(n, (size_t)512)))
		return "Windows executable";
	return NULL;
}

/* Extensions of binary formats that are never text: a file so named is
 * rejected whatever its bytes (a redacted "BINARY_CONTENT_GOES_HERE" .jpg
 * in a test mail is not a text document). Office 97 files (.doc .xls .ppt)
 * are listed apart: some are HTML or RTF saved under that name. */
static const char *const binary_exts[] = {
	"jpg", "jpeg", "jpe", "png", "gif", "bmp", "tif", "tiff", "webp", "ico", "heic", "heif", "psd",
	"zip", "tar", "tgz", "tbz2", "txz", "7z", "rar", "zst", "cab", "jar", "war", "apk", "iso", "dmg",
	"exe", "dll", "so", "dylib", "o", "a", "obj", "lib", "class", "wasm", "pyc", "bin",
	"mp3", "mp4", "m4a", "m4v", "wav", "flac", "ogg", "oga", "ogv", "opus", "avi", "mov", "mkv", "webm", "wmv", "wma",
	"ttf", "otf", "woff", "woff2", "sqlite", "db", "gguf",
};
static const char *const office97_exts[] = {"doc", "xls", "ppt", "msg", "dot", "xlt", "pps"};

static const char *ext_of(const char *leaf)
{
	const char *dot = strrchr(leaf, '.');
	return dot && dot != leaf ? dot + 1 : NULL;
}

static int ext_in(const char *ext, const char *const *list, size_t n)
{
	if (ext)
		for (size_t i = 0; i < n; i++)
			if (ieq(ext, list[i]))
				return 1;
	return 0;
}

/* uuencoded data: a "begin 644 name" line (after blank lines) followed by
 * body lines whose first character gives their length ("M" = 45 bytes). */
static int is_uuencoded(const uint8_t *b, size_t n)
{
	size_t i = 0;
	while (i < n && (b[i] == '\n' || b[i] == '\r' || b[i] == ' ' || b[i] == '\t'))
		i++;
	if (!starts(b + i, n - i, "begin ") || n - i < 10)
		return 0;
	size_t k = i + 6;
	size_t d = k;
	while (k < n && b[k] >= '0' && b[k] <= '7')
		k++;
	if (k - d < 3 || k - d > 4 || k >= n || b[k] != ' ')
		return 0;
	while (k < n && b[k] != '\n')
		k++;
	/* the next body line must be a uuencode line: "M" + 60 characters, or a short last line */
	k++;
	if (k >= n)
		return 0;
	size_t e = k;
	while (e < n && b[e] != '\n' && b[e] != '\r')
		e++;
	if (e == k || b[k] < 0x20 || b[k] > 0x60)
		return 0;
	size_t want = ((size_t)(b[k] - 0x20) + 2) / 3 * 4 + 1;
	for (size_t j = k; j < e; j++)
		if (b[j] < 0x20 || b[j] > 0x60)
			return 0;
	return e - k >= want && e - k <= want + 2;
}

const char *cr_extract_detect(const char *name, const uint8_t *buf, size_t len)
{
	const char *leaf = leaf_name(name);
	static const uint8_t none[1];
	if (!buf) { /* no bytes: sniff an empty buffer (never offset a NULL pointer) */
		buf = none;
		len = 0;
	}
	const char *ext = ext_of(leaf);
	if (ext_in(ext, binary_exts, CR_ARRAY_LEN(binary_exts)))
		return NULL;
	if (ext_in(ext, office97_exts, CR_ARRAY_LEN(office97_exts))) {
		size_t b = skip_bom(buf, len);
		while (b < len && (buf[b] == ' ' || buf[b] == '\n' || buf[b] == '\r' || buf[b] == '\t'))
			b++;
		if (b < len && buf[b] == '<')
			return "html"; /* "Save as web page" under the old name */
		if (starts(buf + b, len - b, "{\\rtf"))
			return "txt";
		return NULL;
	}
	/* gzip, bzip2, xz: extracted through the inner file (cr_extract) */
	const char *packed = cr_compressed_kind(buf, len);
	if (packed)
		return packed;
	const char *t = type_by_ext(leaf);
	/* binary bytes under a text name are still binary; zip-based Office and
	 * PDF files check their own structure */
	if (binary_magic(buf, len) && !(t && (strcmp(t, "docx") == 0 || strcmp(t, "xlsx") == 0 ||
					     strcmp(t, "pptx") == 0 || strcmp(t, "pdf") == 0)))
		return NULL;
	if (t)
		return t;
	if (cr_code_lang(leaf))
		return "code";
	size_t o = skip_bom(buf, len);
	/* a script without an extension: "#!/bin/sh", "#!/usr/bin/env python3" */
	if (cr_code_lang_shebang(buf + o, len - o))
		return "code";
	if (starts(buf, len, "%PDF-"))
		return "pdf";
	/* %PDF may follow some junk (allowed within the first KiB) */
	if (len > 5 && memmem(buf, CR_MIN(len, 1024), "%PDF-", 5))
		return "pdf";
	if (starts(buf, len, "PK\x03\x04"))
		return sniff_zip(buf, len);
	if (starts(buf, len, "From ") && memchr(buf, '\n', CR_MIN(len, 1024)))
		return "mbox";
	if (starts(buf + o, len - o, "WEBVTT") &&
	    (len - o == 6 || buf[o + 6] == '\n' || buf[o + 6] == '\r' || buf[o + 6] == ' ' || buf[o + 6] == '\t'))
		return "vtt";
	if (sniff_eml(buf + o, len - o))
		return "eml";
	if (sniff_srt(buf + o, len - o))
		return "srt";
	if (sniff_chat(buf + o, len - o))
		return "chat";
	if (is_uuencoded(buf + o, len - o))
		return NULL;
	if (cr_charset_looks_text(buf, len))
		return "txt";
	return NULL;
}

cr_err cr_extract_precheck(const char *name, const uint8_t *head, size_t n_head, uint64_t size,
			   const cr_extract_limits *lim, cr_msg *m)
{
	cr_extract_limits def = cr_extract_limits_default();
	if (!lim)
		lim = &def;
	double cap = (double)lim->max_text_bytes;
	if (!head || !n_head || (double)size <= 1.5 * cap)
		return CR_OK;
	const char *t = cr_extract_detect(name, head, n_head);
	if (!t || (strcmp(t, "txt") && strcmp(t, "md") && strcmp(t, "code")) || memchr(head, 0, n_head))
		return CR_OK; /* not text byte for byte (UTF-16 has NULs) */
	/* bytes that stay text: no CR, no blank line */
	size_t kept = 0, line = 0, line_text = 0;
	for (size_t i = 0; i < n_head; i++) {
		uint8_t c = head[i];
		if (c == '\n') {
			if (line_text)
				kept += line + 1;
			line = line_text = 0;
		} else if (c != '\r') {
			line++;
			line_text |= c != ' ' && c != '\t';
		}
	}
	kept += line_text ? line : 0;
	double est = (double)size * (double)kept / (double)n_head;
	if (est <= 1.5 * cap)
		return CR_OK;
	return cr_fail(m, CR_ETOOBIG, "%s: about %.0f MB of text (%llu bytes, judged by the first %zu), over the limit of %.0f MB",
		       t, est / 1e6, (unsigned long long)size, n_head, cap / 1e6);
}

static cr_extractor extractor_for(const char *type)
{
	static const struct {
		const char *type;
		cr_extractor fn;
	} tab[] = {
		{"txt", cr_x_txt},   {"md", cr_x_md},     {"html", cr_x_html}, {"csv", cr_x_csv},
		{"pdf", cr_x_pdf},   {"docx", cr_x_docx}, {"xlsx", cr_x_xlsx}, {"pptx", cr_x_pptx},
		{"eml", cr_x_eml},   {"mbox", cr_x_mbox}, {"vtt", cr_x_vtt},   {"srt", cr_x_srt},
		{"chat", cr_x_chat}, {"code", cr_x_code},
	};
	for (size_t i = 0; i < CR_ARRAY_LEN(tab); i++)
		if (strcmp(tab[i].type, type) == 0)
			return tab[i].fn;
	return NULL;
}

/* Why detection found nothing, in one line. */
static cr_err reject(const char *name, const uint8_t *buf, size_t len, cr_msg *m)
{
	static const uint8_t none[1];
	if (!buf)
		buf = none, len = 0;
	if (starts(buf, len, "PK\x03\x04"))
		return cr_fail(m, CR_EUNSUPPORTED, "zip: not an Office document (docx, xlsx, pptx)");
	const char *what = binary_magic(buf, len);
	if (what)
		return cr_fail(m, CR_EUNSUPPORTED, "binary file (%s)", what);
	const char *ext = ext_of(leaf_name(name));
	if (ext_in(ext, binary_exts, CR_ARRAY_LEN(binary_exts)) || ext_in(ext, office97_exts, CR_ARRAY_LEN(office97_exts)))
		return cr_fail(m, CR_EUNSUPPORTED, "binary file (.%s)", ext);
	size_t o = skip_bom(buf, len);
	if (is_uuencoded(buf + o, len - o))
		return cr_fail(m, CR_EUNSUPPORTED, "binary file (uuencoded data)");
	return cr_fail(m, CR_EUNSUPPORTED, "binary file");
}

/* "ja" when kana or kanji make up a tenth of the first characters, "en"
 * when Latin letters dominate, else unknown. */
static const char *guess_lang(const cr_doc *d)
{
	size_t ja = 0, latin = 0, total = 0;
	for (size_t i = 0; i < d->n_sections && total < 4096; i++) {
		const uint8_t *s = (const uint8_t *)d->sections[i].text;
		size_t n = d->sections[i].len, k = 0;
		while (k < n && total < 4096) {
			uint32_t cp = s[k];
			if (cp < 0x80) { /* ASCII inline: the decoder call cost more than the rest */
				k++;
				if (cp <= 0x40)
					continue; /* space, digits, punctuation */
				total++;
				latin += (cp | 0x20) >= 'a' && (cp | 0x20) <= 'z';
				continue;
			}
			int l = cr_utf8_decode(s + k, n - k, &cp);
			if (l <= 0)
				l = 1, cp = 0;
			k += (size_t)l;
			if (cp == 0)
				continue;
			total++;
			if ((cp >= 0x3040 && cp <= 0x30ff) || (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0xff66 && cp <= 0xff9f))
				ja++;
			else if ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z')
				latin++;
		}
	}
	if (total == 0)
		return NULL;
	if (ja * 10 >= total)
		return "ja";
	if (latin * 10 >= total * 6)
		return "en";
	return NULL;
}

static void default_titles(cr_arena *a, cr_doc *d)
{
	for (; d; d = d->next) {
		if (!d->title || !*d->title)
			d->title = cr_arena_strdup(a, leaf_name(d->name));
		if (!d->lang && d->type && strcmp(d->type, "code") != 0)
			d->lang = guess_lang(d);
	}
}

/* Runs one extractor on a fresh document. */
static cr_err run(cr_xctx *x, const char *type, cr_doc *d, const uint8_t *buf, size_t len)
{
	cr_extractor fn = extractor_for(type);
	if (!fn)
		return cr_fail(x->m, CR_EUNSUPPORTED, "%s: no extractor", type);
	if (cr_x_expired(x))
		return cr_fail(x->m, CR_ETIMEOUT, "%s: time limit reached", type);
	static const uint8_t empty[1];
	cr_err e = fn(x, buf ? buf : empty, buf ? len : 0, d);
	if (e && x->m && !x->m->text[0])
		cr_fail(x->m, e, "%s: %s", type, cr_strerror(e));
	return e;
}

/* libxml2 and GMime want their globals set up once before threads use
 * them (libxml2 2.9's xmlInitParser is not safe to race); iconv's modules
 * are loaded here too, so workers never enter the dynamic loader. */
static void init_libs(void)
{
	xmlInitParser();
	cr_mail_init();
	cr_charset_preload();
}

void cr_extract_init(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, init_libs);
}

/* The name of a compressed file's content: without ".gz", ".bz2", ".xz"
 * (also ".z", ".bz", ".lzma"); the name itself when it has none of them. */
static const char *inner_name(cr_arena *a, const char *name)
{
	const char *leaf = leaf_name(name), *ext = ext_of(leaf);
	static const char *const packed_exts[] = {"gz", "z", "bz2", "bz", "xz", "lzma"};
	if (!ext_in(ext, packed_exts, CR_ARRAY_LEN(packed_exts)))
		return name;
	return cr_arena_strndup(a, name, (size_t)(ext - 1 - name));
}

/* Decompresses a file of `kind` and finds the format of what is inside:
 * *buf and *len then point into hold, *name is the inner name, *type its
 * format. Refuses archives (tar) and files compressed twice. */
static cr_err unpack(cr_xctx *x, const char *kind, const uint8_t **buf, size_t *len, cr_buf *hold,
		     const char **name, const char **type)
{
	const char *in = inner_name(x->a, *name);
	if (!in)
		return cr_fail(x->m, CR_ENOMEM, "%s: out of memory", kind);
	const char *in_ext = ext_of(leaf_name(in));
	if (in_ext && ieq(in_ext, "tar"))
		return cr_fail(x->m, CR_EUNSUPPORTED, "binary file (%s-compressed tar archive)", kind);
	cr_err e = cr_decompress(x, kind, *buf, *len, hold);
	if (e)
		return e;
	static const uint8_t none[1];
	const uint8_t *b = hold->data ? (const uint8_t *)hold->data : none;
	size_t n = hold->len;
	if (cr_compressed_kind(b, n))
		return cr_fail(x->m, CR_EUNSUPPORTED, "%s: compressed twice (not read)", kind);
	if (n >= 262 && memcmp(b + 257, "ustar", 5) == 0)
		return cr_fail(x->m, CR_EUNSUPPORTED, "binary file (%s-compressed tar archive)", kind);
	const char *t = cr_extract_detect(in, b, n);
	if (!t) {
		cr_msg r;
		r.text[0] = 0;
		e = reject(in, b, n, &r);
		return cr_fail(x->m, e, "%s (inside %s)", r.text, kind);
	}
	*buf = b;
	*len = n;
	*name = in;
	*type = t;
	return CR_OK;
}

/* Formats whose reading may fall back to plain text (see the header):
 * those found by sniffing the bytes, not named by the file's extension
 * (a file named .mbox that is no mailbox is refused as such). */
static int text_fallback(const char *name, const char *type, cr_err e)
{
	static const char *const tab[] = {"mbox", "eml", "vtt", "srt", "chat"};
	if (e != CR_ECORRUPT && e != CR_EUNSUPPORTED)
		return 0;
	if (type_by_ext(leaf_name(name)))
		return 0;
	for (size_t i = 0; i < CR_ARRAY_LEN(tab); i++)
		if (!strcmp(type, tab[i]))
			return 1;
	return 0;
}

/* Renames documents named after the inner file of a compressed one
 * ("NEWS" and "NEWS#..." become "NEWS.gz" and "NEWS.gz#..."). */
static void rename_inner(cr_arena *a, cr_doc *d, const char *inner, const char *outer)
{
	size_t il = strlen(inner);
	for (; d; d = d->next) {
		const char **fields[] = {&d->name, &d->parent};
		for (size_t i = 0; i < 2; i++) {
			const char *v = *fields[i];
			if (!v || strncmp(v, inner, il) || (v[il] && v[il] != '#'))
				continue;
			const char *nv = cr_arena_printf(a, "%s%s", outer, v + il);
			if (nv)
				*fields[i] = nv;
		}
	}
}

/* Runs the extractor for `type`, falling back to plain text (see above). */
static cr_err run_with_fallback(cr_xctx *x, const char *type, cr_doc *d, const uint8_t *buf, size_t len)
{
	cr_err e = run(x, type, d, buf, len);
	if (!e || !text_fallback(d->name, type, e) || !cr_charset_looks_text(buf ? buf : (const uint8_t *)"", len))
		return e;
	char *why = cr_arena_printf(x->a, "txt (%s)", x->m->text[0] ? x->m->text : cr_strerror(e));
	const char *name = d->name, *parent = d->parent;
	memset(d, 0, sizeof *d);
	d->name = name;
	d->parent = parent;
	d->type = "txt";
	x->text_doc = NULL;
	x->text_bytes = 0;
	x->m->text[0] = 0;
	e = run(x, "txt", d, buf, len);
	if (!e && why)
		e = cr_doc_add_meta(x, d, "read_as", why);
	return e;
}

cr_err cr_extract(cr_arena *a, const char *name, const uint8_t *buf, size_t len, const cr_extract_limits *lim,
		  cr_doc **out, cr_msg *m)
{
	cr_extract_init();
	cr_extract_limits def = cr_extract_limits_default();
	if (!lim)
		lim = &def;
	if (!a || !name || !out || (!buf && len))
		return cr_fail(m, CR_EINVAL, "extract: bad arguments");
	*out = NULL;
	if (len > lim->max_file_bytes)
		return cr_fail(m, CR_ETOOBIG, "file: %zu bytes over the limit of %zu", len, lim->max_file_bytes);
	const char *type = cr_extract_detect(name, buf, len);
	if (!type)
		return reject(name, buf, len, m);
	/* Extractors write their reason to a local message so that m stays
	 * untouched on success even if an extractor wrote and then recovered. */
	cr_msg local;
	local.text[0] = 0;
	cr_xctx x = {
		.a = a, .lim = lim, .depth = 0, .m = &local,
		.deadline = lim->max_seconds > 0 ? cr_now() + lim->max_seconds : 0,
	};
	cr_buf hold;
	cr_buf_init(&hold, 0);
	const char *packed = cr_compressed_kind(buf ? buf : (const uint8_t *)"", len) ? type : NULL;
	const char *xname = name;
	cr_err e = packed ? unpack(&x, packed, &buf, &len, &hold, &xname, &type) : CR_OK;
	cr_doc *d = e ? NULL : cr_arena_zalloc(a, sizeof *d);
	if (!e && (!d || !(d->name = cr_arena_strdup(a, xname))))
		e = cr_fail(&local, CR_ENOMEM, "extract: out of memory");
	if (!e) {
		d->type = type;
		x.root = d;
		e = run_with_fallback(&x, type, d, buf, len);
	}
	if (e == CR_ETIMEOUT && x.stop == CR_ECANCELED)
		e = cr_fail(&local, CR_ECANCELED, "%s: canceled", type);
	if (!e && packed) {
		rename_inner(a, d, xname, name);
		e = cr_doc_add_meta(&x, d, "compressed", packed);
	}
	cr_buf_release(&hold);
	if (e) {
		if (m)
			*m = local;
		if (e == CR_ENOMEM && m && !m->text[0])
			cr_fail(m, e, "extract: out of memory");
		return e;
	}
	default_titles(a, d);
	*out = d;
	return CR_OK;
}

/* ---- nested documents ---------------------------------------------------- */

static cr_doc *find_parent(cr_xctx *x, const char *parent, cr_doc *tail)
{
	if (!parent)
		return x->root;
	if (x->hint && x->hint->name && strcmp(x->hint->name, parent) == 0)
		return x->hint;
	/* Documents are appended in order, so the parent usually sits between
	 * the last one found and the tail. */
	for (cr_doc *d = x->hint ? x->hint : x->root; d; d = d->next) {
		if (d->name && strcmp(d->name, parent) == 0)
			return x->hint = d;
		if (d == tail)
			break;
	}
	for (cr_doc *d = x->root; d; d = d->next)
		if (d->name && strcmp(d->name, parent) == 0)
			return x->hint = d;
	return x->root;
}

static cr_err note_skip(cr_xctx *x, const char *parent, cr_doc *tail, const char *name, const char *why)
{
	cr_doc *p = find_parent(x, parent, tail);
	if (!p)
		return CR_OK;
	char *v = cr_arena_printf(x->a, "%s: %s", leaf_name(name), why);
	if (!v)
		return CR_ENOMEM;
	cr_msg keep = *x->m;
	cr_err e = cr_doc_add_meta(x, p, "skipped", v);
	*x->m = keep;
	return e;
}

cr_err cr_extract_nested(cr_xctx *x, const char *name, const char *parent, const uint8_t *buf, size_t len,
			 cr_doc **tail)
{
	if (!tail || !*tail || !name)
		return CR_EINVAL;
	if (cr_x_expired(x))
		return cr_fail(x->m, CR_ETIMEOUT, "extract: time limit reached");
	if (x->depth + 1 > x->lim->max_depth)
		return note_skip(x, parent, *tail, name, "nesting too deep");
	if (len > x->lim->max_file_bytes)
		return note_skip(x, parent, *tail, name, "over the file size limit");
	const char *type = cr_extract_detect(name, buf, len);
	if (!type) {
		cr_msg r;
		r.text[0] = 0;
		(void)reject(name, buf, len, &r);
		return note_skip(x, parent, *tail, name, r.text);
	}
	cr_msg *outer = x->m, local;
	local.text[0] = 0;
	x->m = &local;
	cr_buf hold;
	cr_buf_init(&hold, 0);
	const char *packed = buf && cr_compressed_kind(buf, len) ? type : NULL, *xname = name;
	cr_err e = packed ? unpack(x, packed, &buf, &len, &hold, &xname, &type) : CR_OK;
	x->m = outer;
	if (e) {
		cr_buf_release(&hold);
		if (e == CR_ENOMEM || e == CR_ETIMEOUT) {
			if (outer)
				*outer = local;
			return e;
		}
		return note_skip(x, parent, *tail, name, local.text);
	}
	cr_doc *d = cr_arena_zalloc(x->a, sizeof *d);
	if (!d || !(d->name = cr_arena_strdup(x->a, xname)) || (parent && !(d->parent = cr_arena_strdup(x->a, parent)))) {
		cr_buf_release(&hold);
		return cr_fail(x->m, CR_ENOMEM, "extract: out of memory");
	}
	d->type = type;
	x->m = &local;
	x->depth++;
	const cr_doc *counted = x->text_doc;
	size_t counted_bytes = x->text_bytes;
	e = run_with_fallback(x, type, d, buf, len);
	cr_buf_release(&hold);
	if (!e && packed) {
		rename_inner(x->a, d, xname, name);
		e = cr_doc_add_meta(x, d, "compressed", packed);
	}
	x->depth--;
	x->text_doc = counted;
	x->text_bytes = counted_bytes;
	x->m = outer;
	if (e == CR_ENOMEM || e == CR_ETIMEOUT) {
		if (outer)
			*outer = local;
		return e;
	}
	if (e)
		return note_skip(x, parent, *tail, name, local.text[0] ? local.text : cr_strerror(e));
	default_titles(x->a, d);
	cr_doc *last = *tail;
	cr_doc *after = last->next;
	last->next = d;
	while (d->next)
		d = d->next;
	d->next = after;
	*tail = d;
	return CR_OK;
}

/* ---- shared text helpers ------------------------------------------------- */

int64_t cr_iso_date(const char *s)
{
	if (!s)
		return 0;
	int y = 0, mo = 1, d = 1, h = 0, mi = 0, sec = 0;
	int k = sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec);
	if (k < 3 || y < 1900 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return 0;
	struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = sec};
	int64_t t = (int64_t)timegm(&tm);
	/* a zone offset "+09:00" after the seconds */
	size_t sl = strlen(s);
	const char *z = strpbrk(s + (sl < 10 ? sl : 10), "+-Z");
	if (z && *z != 'Z' && strlen(z) >= 6) {
		int oh = 0, om = 0;
		if (sscanf(z + 1, "%2d:%2d", &oh, &om) == 2)
			t -= (*z == '+' ? 1 : -1) * (int64_t)(oh * 3600 + om * 60);
	}
	return t;
}


static int blank_line(const char *s, size_t n)
{
	return all_space(s, n);
}

size_t cr_text_unix_newlines(char *s, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\r') {
			s[o++] = '\n';
			if (i + 1 < n && s[i + 1] == '\n')
				i++;
		} else {
			s[o++] = s[i];
		}
	}
	if (o < n)
		s[o] = 0;
	return o;
}

/* A paragraph longer than this is cut at a line end, so line ranges stay
 * useful in files without blank lines (logs, listings, some Japanese text). */
#define PARA_MAX 4096

cr_err cr_text_add_paragraphs(cr_xctx *x, cr_doc *d, const char *text, size_t n, int first_line,
			      const char *heading)
{
	size_t i = 0, para = 0;
	int line = first_line, para_line = 0;
	int in_para = 0;
	while (i <= n) {
		size_t e = i;
		while (e < n && text[e] != '\n')
			e++;
		int blank = blank_line(text + i, e - i);
		/* a uuencoded blob (old mail attachments) is data, not text: it ends
		 * the paragraph and is skipped up to its "end" line */
		int uu = !blank && e - i > 6 && text[i] == 'b' && is_uuencoded((const uint8_t *)text + i, n - i);
		if (uu) {
			if (in_para) {
				size_t end = i;
				while (end > para && (text[end - 1] == '\n' || text[end - 1] == '\r'))
					end--;
				cr_loc loc = cr_loc_none();
				if (first_line > 0) {
					loc.line_start = para_line;
					loc.line_end = line - 1;
				}
				loc.heading = heading;
				cr_err err = cr_doc_add_section(x, d, text + para, end - para, &loc);
				if (err)
					return err;
				in_para = 0;
			}
			for (;;) {
				size_t le = e;
				while (le > i && (text[le - 1] == '\r' || text[le - 1] == ' '))
					le--;
				int is_end = le - i == 3 && memcmp(text + i, "end", 3) == 0;
				if (e >= n || is_end)
					break;
				i = e + 1;
				line++;
				e = i;
				while (e < n && text[e] != '\n')
					e++;
			}
			if (e >= n)
				break;
			i = e + 1;
			line++;
			continue;
		}
		if (!blank && !in_para) {
			in_para = 1;
			para = i;
			para_line = line;
		}
		/* end the paragraph at a blank line, at the end, or when long */
		int cut_long = in_para && !blank && e - para >= PARA_MAX;
		if ((blank || e >= n || cut_long) && in_para) {
			size_t end = blank ? i : e;
			while (end > para && (text[end - 1] == '\n' || text[end - 1] == '\r'))
				end--;
			cr_loc loc = cr_loc_none();
			if (first_line > 0) {
				loc.line_start = para_line;
				loc.line_end = blank ? line - 1 : line;
			}
			loc.heading = heading;
			cr_err err = cr_doc_add_section(x, d, text + para, end - para, &loc);
			if (err)
				return err;
			in_para = 0;
			if (cr_x_expired(x))
				return cr_fail(x->m, CR_ETIMEOUT, "%s: time limit reached", d->type);
		}
		if (e >= n)
			break;
		i = e + 1;
		line++;
	}
	return CR_OK;
}
