/* test_ingest_docs.c — document extractors on our samples (samples/docs,
 * samples/finance, samples/ja) and on hostile input: truncated and
 * encrypted PDFs, corrupt zips, zip bombs, deep or DTD-laden XML, binary
 * files with text names, limits and deadlines. Also format detection and
 * nested extraction. Samples come from CR_SOURCE_DIR (set by ctest). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#include "cristal/ingest.h"
#include "ingest/ingest_int.h"

static const char *src_dir(void)
{
	const char *s = getenv("CR_SOURCE_DIR");
	return s ? s : ".";
}

typedef struct fixture {
	cr_arena a;
	uint8_t *buf;
	size_t len;
	cr_doc *doc;
	cr_msg msg;
	cr_err err;
} fixture;

static int setup(void **st)
{
	fixture *f = calloc(1, sizeof *f);
	cr_arena_init(&f->a, 0);
	*st = f;
	return 0;
}

static int teardown(void **st)
{
	fixture *f = *st;
	cr_arena_release(&f->a);
	cr_free(f->buf);
	free(f);
	return 0;
}

static void load(fixture *f, const char *rel)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", src_dir(), rel);
	cr_free(f->buf);
	f->buf = NULL;
	cr_msg m = {{0}};
	cr_err e = cr_file_read(path, 64u << 20, &f->buf, &f->len, &m);
	if (e)
		fail_msg("cannot read %s: %s", path, m.text);
}

static cr_err extract_lim(fixture *f, const char *name, const cr_extract_limits *lim)
{
	memset(&f->msg, 0, sizeof f->msg);
	f->doc = NULL;
	f->err = cr_extract(&f->a, name, f->buf, f->len, lim, &f->doc, &f->msg);
	return f->err;
}

static void extract_ok(fixture *f, const char *rel)
{
	load(f, rel);
	cr_err e = extract_lim(f, rel, NULL);
	if (e)
		fail_msg("%s: %s (%s)", rel, cr_strerror(e), f->msg.text);
	assert_non_null(f->doc);
	/* every section is valid UTF-8 without NULs */
	for (const cr_doc *d = f->doc; d; d = d->next)
		for (size_t i = 0; i < d->n_sections; i++) {
			assert_true(cr_utf8_valid((const uint8_t *)d->sections[i].text, d->sections[i].len));
			assert_int_equal(strlen(d->sections[i].text), d->sections[i].len);
		}
}

/* The first section containing `needle`, or fail. */
static const cr_section *find(const cr_doc *d, const char *needle)
{
	for (size_t i = 0; i < d->n_sections; i++)
		if (strstr(d->sections[i].text, needle))
			return &d->sections[i];
	fail_msg("no section of %s contains \"%s\"", d->name, needle);
	return NULL;
}

static int any_contains(const cr_doc *d, const char *needle)
{
	for (size_t i = 0; i < d->n_sections; i++)
		if (strstr(d->sections[i].text, needle))
			return 1;
	return 0;
}

/* 1-based line of the first occurrence of needle in f->buf. */
static int line_of(const fixture *f, const char *needle)
{
	const char *p = memmem(f->buf, f->len, needle, strlen(needle));
	assert_non_null(p);
	int line = 1;
	for (const char *q = (const char *)f->buf; q < p; q++)
		line += *q == '\n';
	return line;
}

/* ---- our samples ----------------------------------------------------------- */

static void test_md(void **st)
{
	fixture *f = *st;
	extract_ok(f, "samples/docs/employee-handbook.md");
	const cr_doc *d = f->doc;
	assert_string_equal(d->type, "md");
	assert_string_equal(d->title, "Aozora Precision Employee Handbook"); /* front matter */
	assert_int_equal(d->date, 1775001600);                               /* revised: 2026-04-01 */
	assert_string_equal(d->lang, "en");
	const cr_section *s = find(d, "20 days of paid annual leave");
	assert_string_equal(s->loc.heading, "Aozora Precision Employee Handbook > Leave > Annual leave");
	assert_int_equal(s->loc.line_start, line_of(f, "Every full-time employee receives 20 days"));
	assert_int_equal(s->loc.line_end, s->loc.line_start + 2);
	/* a line starting with # inside a code fence is not a heading; the
	 * fenced block belongs to Expenses */
	s = find(d, "manager + CFO");
	assert_string_equal(s->loc.heading, "Aozora Precision Employee Handbook > Expenses");
	/* heading text is searchable itself */
	s = find(d, "Parental leave");
	assert_string_equal(s->loc.heading, "Aozora Precision Employee Handbook > Leave > Parental leave");
	/* front matter is not indexed */
	assert_false(any_contains(d, "owner: People Operations"));
}

static void test_txt(void **st)
{
	fixture *f = *st;
	extract_ok(f, "samples/docs/memo-servo-supply.txt");
	const cr_doc *d = f->doc;
	assert_string_equal(d->type, "txt");
	assert_string_equal(d->title, "memo-servo-supply.txt"); /* "MEMO" is too short for a title */
	const cr_section *s = find(d, "Hokuto Motors stays our primary supplier");
	assert_int_equal(s->loc.line_start, line_of(f, "Hokuto Motors stays"));
	assert_int_equal(s->loc.line_end, s->loc.line_start + 2);
	assert_string_equal(cr_doc_meta(d, "charset"), "UTF-8");

	/* a file without blank lines still gets useful line ranges */
	cr_buf b;
	cr_buf_init(&b, 0);
	for (int i = 1; i <= 500; i++)
		assert_int_equal(cr_buf_printf(&b, "log line %d: servo HM-40 torque within limits\n", i), CR_OK);
	cr_free(f->buf);
	f->len = b.len;
	f->buf = (uint8_t *)cr_buf_take(&b, NULL);
	assert_int_equal(extract_lim(f, "servo.log", NULL), CR_OK);
	d = f->doc;
	assert_true(d->n_sections >= 5);
	assert_int_equal(d->sections[0].loc.line_start, 1);
	for (size_t i = 0; i < d->n_sections; i++) {
		assert_true(d->sections[i].len <= 4096 + 100);
		if (i)
			assert_int_equal(d->sections[i].loc.line_start, d->sections[i - 1].loc.line_end + 1);
	}
	assert_int_equal(d->sections[d->n_sections - 1].loc.line_end, 500);
	const cr_section *s2 = find(d, "log line 321:");
	assert_true(s2->loc.line_start <= 321 && s2->loc.line_end >= 321);
}

static void test_html(void **st)
{
	fixture *f = *st;
	extract_ok(f, "samples/docs/intranet-news.html");
	const cr_doc *d = f->doc;
	assert_string_equal(d->type, "html");
	assert_string_equal(d->title, "Aozora Intranet - News: Boston office moves to Summer Street");
	assert_string_equal(d->author, "Facilities Boston");
	assert_int_equal(d->date, 1771545600); /* <meta name="date" content="2026-02-20"> */
	assert_string_equal(d->lang, "en");       /* <html lang="en"> */
	assert_false(any_contains(d, "tracking code")); /* script */
	assert_false(any_contains(d, "font-family"));   /* style */
	assert_false(any_contains(d, "IT help"));       /* nav */
	const cr_section *s = find(d, "Ryo Tanaka");
	assert_string_equal(s->loc.heading, "Company news > Osaka line 3 upgrade > Who to ask");
	s = find(d, "120 m\xc2\xb2 demo lab"); /* &sup2; decoded */
	assert_string_equal(s->loc.heading, "Company news > Boston office moves to Summer Street");
	find(d, "Lunch & learn");
	find(d, "Servo supply | Kenji Sato");
	assert_string_equal(cr_doc_meta(d, "description"), "Office move, new lab space and Osaka line upgrade");
}

static void test_csv(void **st)
{
	fixture *f = *st;
	extract_ok(f, "samples/finance/purchase-orders-2026.csv");
	const cr_doc *d = f->doc;
	assert_string_equal(d->type, "csv");
	const cr_section *s = find(d, "Supplier: Hokuto Motors; Item: HM-40 servo (buffer stock); Quantity: 60");
	assert_int_equal(s->loc.line_start, line_of(f, "PO-2026-0163"));
	find(d, "Item: Finger pad, silicone, shore 40A;"); /* quoted comma */
	find(d, "PO number | Date | Supplier");           /* header row itself */
	assert_string_equal(cr_doc_meta(d, "rows"), "8");
	assert_string_equal(cr_doc_meta(d, "delimiter"), ",");
}

static void test_pdf(void **st)
{
	fixture *f = *st;
	extract_ok(f, "samples/docs/travel-security-policy.pdf");
	const cr_doc *d = f->doc;
	assert_string_equal(d->type, "pdf");
	assert_string_equal(d->title, "Travel and Security Policy");
	assert_string_equal(d->author, "Kenji Sato");
	assert_int_equal(d->date, 1775001600); /* 2026-04-01 09:00 +09:00 */
	assert_string_equal(cr_doc_meta(d, "pages"), "3");
	assert_int_equal(d->n_sections, 3);
	assert_int_equal(find(d, "USD 75 per day")->loc.page, 2);
	assert_int_equal(find(d, "Economy class is the standard")->loc.page, 1);
	assert_int_equal(find(d, "Multi-factor authentication")->loc.page, 3);
	extract_ok(f, "samples/finance/q2-fy2026-quarterly-report.pdf");
	assert_int_equal(find(f->doc, "JPY 1,840 million")->loc.page, 1);
	assert_int_equal(find(f->doc, "Approve an additional JPY 24 million")->loc.page, 3);
}

static void test_docx(void **st)
{
	fixture *f = *st;
	extract_ok(f, "samples/docs/kestrel-kr7-spec.docx");
	const cr_doc *d = f->doc;
	assert_string_equal(d->type, "docx");
	assert_string_equal(d->title, "Kestrel KR-7 Product Specification");
	assert_string_equal(d->author, "Daniel Okafor");
	assert_int_equal(d->date, 1775120400); /* 2026-04-02T09:00:00Z */
	const cr_section *s = find(d, "Rated payload is 7 kg");
	assert_string_equal(s->loc.heading, "Mechanical > Payload and reach");
	s = find(d, "Payload | 7 kg | at 1,150 mm reach"); /* table row */
	assert_string_equal(s->loc.heading, "Mechanical > Payload and reach");
	s = find(d, "HM-40 servo from Hokuto Motors");
	assert_string_equal(s->loc.heading, "Drive train");
	assert_string_equal(cr_doc_meta(d, "keywords"), "Kestrel; KR-7; specification; warehouse picking");
}

static void test_xlsx(void **st)
{
	fixture *f = *st;
	extract_ok(f, "samples/finance/budget-fy2026.xlsx");
	const cr_doc *d = f->doc;
	assert_string_equal(d->type, "xlsx");
	assert_string_equal(d->title, "FY2026 Budget");
	assert_string_equal(cr_doc_meta(d, "sheets"), "2");
	const cr_section *s = find(d, "Department: Kestrel R&D; Q1: 48000; Q2: 52000; Q3: 58000; Q4: 52000; "
				      "Total (JPY thousand): 210000");
	assert_string_equal(s->loc.sheet, "Budget FY2026");
	assert_int_equal(s->loc.line_start, 1);
	s = find(d, "Department: Total; Osaka: 138; Boston: 28; Total: 166");
	assert_string_equal(s->loc.sheet, "Headcount");
	assert_int_equal(s->loc.line_end, 6);
	assert_false(any_contains(d, "SUM(")); /* values, not formulas */
	find(d, "Approved by the board on 2026-02-18");
	find(d, "Department: Board approval; Q1: 2026-02-18"); /* a date-styled serial number */
	find(d, "Department: Mid-year review; Q1: 2026-07-22");
}

/* Builds a zip in memory from (name, data, len) triples via a temp file. */
static void make_zip(fixture *f, const char *const *names, const char *const *datas, const size_t *lens, int n)
{
	char path[] = "/tmp/cr_test_zip_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	int ze;
	zip_t *z = zip_open(path, ZIP_TRUNCATE, &ze);
	assert_non_null(z);
	for (int i = 0; i < n; i++) {
		zip_source_t *s = zip_source_buffer(z, datas[i], lens[i], 0);
		assert_non_null(s);
		assert_true(zip_file_add(z, names[i], s, ZIP_FL_OVERWRITE) >= 0);
	}
	assert_int_equal(zip_close(z), 0);
	cr_free(f->buf);
	cr_msg m;
	assert_int_equal(cr_file_read(path, 64u << 20, &f->buf, &f->len, &m), CR_OK);
	unlink(path);
}

static const char CT[] = "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/"
			 "content-types\"/>";

/* Cell kinds in a handwritten workbook: inline strings, booleans, errors,
 * formulas (cached values only), custom and built-in date formats, a 1904
 * workbook, an out-of-range shared string index. */
static void test_xlsx_cells(void **st)
{
	fixture *f = *st;
	static const char wb[] =
		"<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
		"xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">"
		"<workbookPr date1904=\"1\"/><sheets><sheet name=\"Dates &amp; flags\" sheetId=\"1\" r:id=\"rId1\"/>"
		"</sheets></workbook>";
	static const char wb_rels[] =
		"<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
		"<Relationship Id=\"rId1\" Type=\"x/worksheet\" Target=\"worksheets/sheet1.xml\"/>"
		"<Relationship Id=\"rId2\" Type=\"x/styles\" Target=\"/xl/styles.xml\"/></Relationships>";
	static const char styles[] =
		"<styleSheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><numFmts count=\"2\">"
		"<numFmt numFmtId=\"164\" formatCode=\"yyyy/mm/dd\\ hh:mm\"/>"
		"<numFmt numFmtId=\"165\" formatCode=\"&quot;day&quot;\\ 0.00\"/></numFmts>"
		"<cellXfs count=\"4\"><xf numFmtId=\"0\"/><xf numFmtId=\"164\"/><xf numFmtId=\"165\"/>"
		"<xf numFmtId=\"20\"/></cellXfs></styleSheet>";
	static const char sheet[] =
		"<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>"
		"<row r=\"3\"><c r=\"A3\" t=\"inlineStr\"><is><t>Pilot start</t></is></c>"
		"<c r=\"B3\" s=\"1\"><v>44709.5</v></c><c r=\"C3\" s=\"2\"><v>44709.5</v></c>"
		"<c r=\"D3\" s=\"3\"><v>0.75</v></c><c r=\"E3\" t=\"b\"><v>1</v></c>"
		"<c r=\"F3\" t=\"e\"><v>#DIV/0!</v></c><c r=\"G3\" t=\"s\"><v>99</v></c>"
		"<c r=\"H3\" t=\"str\"><f>CONCAT(\"a\",\"b\")</f><v>ab</v></c></row></sheetData></worksheet>";
	const char *names[] = {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml",
			       "xl/worksheets/sheet1.xml"};
	const char *datas[] = {CT, wb, wb_rels, styles, sheet};
	size_t lens[] = {sizeof CT - 1, sizeof wb - 1, sizeof wb_rels - 1, sizeof styles - 1, sizeof sheet - 1};
	make_zip(f, names, datas, lens, 5);
	assert_int_equal(extract_lim(f, "cells.xlsx", NULL), CR_OK);
	/* 1904 system: serial 44709.5 = 2026-05-29 12:00; custom "day" 0.00 is no date;
	 * built-in 20 is h:mm */
	const cr_section *s = find(f->doc, "Pilot start | 2026-05-29 12:00 | 44709.5 | 18:00 | TRUE | #DIV/0! | ab");
	assert_string_equal(s->loc.sheet, "Dates & flags");
	assert_int_equal(s->loc.line_start, 3);
	assert_false(any_contains(f->doc, "CONCAT"));
}

static void test_pptx(void **st)
{
	fixture *f = *st;
	extract_ok(f, "samples/docs/kestrel-launch-deck.pptx");
	const cr_doc *d = f->doc;
	assert_string_equal(d->type, "pptx");
	assert_string_equal(d->title, "Project Kestrel Launch Plan");
	assert_string_equal(cr_doc_meta(d, "slides"), "5");
	const cr_section *s = find(d, "Northwind Freight pilot starts | 2026-05-29 | Tom Becker");
	assert_int_equal(s->loc.slide, 3);
	assert_string_equal(s->loc.heading, "Timeline to launch");
	s = find(d, "Notes: The pilot moved from June to May 29");
	assert_int_equal(s->loc.slide, 3);
	assert_null(strstr(s->text, "slidenum"));
	/* the notes' slide-number placeholder ("3") is not part of the notes */
	assert_true(s->text[s->len - 1] != '3');
	s = find(d, "Decision: dual-source the joint encoders");
	assert_int_equal(s->loc.slide, 5);
	assert_string_equal(s->loc.heading, "Risks and decisions");
	/* slides come in presentation order */
	int last = 0;
	for (size_t i = 0; i < d->n_sections; i++) {
		assert_true(d->sections[i].loc.slide >= last);
		last = d->sections[i].loc.slide;
	}
}

static void test_japanese(void **st)
{
	fixture *f = *st;
	extract_ok(f, "samples/ja/shugyo-kisoku-sjis.txt");
	assert_string_equal(cr_doc_meta(f->doc, "charset"), "Shift_JIS");
	assert_string_equal(f->doc->lang, "ja");
	assert_string_equal(f->doc->title, "株式会社青空精機　就業規則（抜粋）");
	find(f->doc, "年次有給休暇20日を付与する");
	assert_false(any_contains(f->doc, "\r"));

	extract_ok(f, "samples/ja/kaigi-memo-2026-05-12-eucjp.txt");
	assert_string_equal(cr_doc_meta(f->doc, "charset"), "EUC-JP");
	find(f->doc, "北斗モーターを主要サプライヤーとして継続する");

	extract_ok(f, "samples/ja/seihin-shiyo-utf16.txt");
	assert_string_equal(cr_doc_meta(f->doc, "charset"), "UTF-16LE");
	find(f->doc, "可搬質量：7 kg");
	assert_int_equal(f->doc->sections[0].text[0], "製"[0]); /* no BOM left */

	extract_ok(f, "samples/ja/shain-handbook.md");
	assert_string_equal(f->doc->title, "社員ハンドブック");
	assert_string_equal(find(f->doc, "週3日まで在宅勤務")->loc.heading, "社員ハンドブック > 働き方 > 在宅勤務");

	/* Japanese Word: heading styles have ids "1", "2" and names "heading N" */
	extract_ok(f, "samples/ja/kestrel-shiyosho.docx");
	assert_string_equal(f->doc->title, "Kestrel KR-7 製品仕様書");
	assert_string_equal(f->doc->lang, "ja");
	assert_string_equal(find(f->doc, "繰り返し位置精度")->loc.heading, "機械仕様 > 可搬質量とリーチ");
	find(f->doc, "ピッキング速度 | 毎時620個 | グリッパ v2");
	assert_int_equal(f->doc->date, 1775088000); /* 2026-04-02T09:00:00+09:00 */
}

/* ---- hostile input ---------------------------------------------------------- */

static void expect(fixture *f, const char *name, cr_err want, const char *reason)
{
	double t0 = cr_now();
	cr_err e = extract_lim(f, name, NULL);
	if (e != want)
		fail_msg("%s: got %s (%s), want %s", name, cr_strerror(e), f->msg.text, cr_strerror(want));
	if (!strstr(f->msg.text, reason))
		fail_msg("%s: reason \"%s\" lacks \"%s\"", name, f->msg.text, reason);
	assert_null(f->doc);
	assert_true(cr_now() - t0 < 10); /* a safety bound, not a speed claim */
}

static void test_pdf_bad(void **st)
{
	fixture *f = *st;
	load(f, "fuzz/corpus/pdf/encrypted-rc4.pdf");
	expect(f, "salaries.pdf", CR_EDENIED, "pdf: encrypted");

	load(f, "samples/docs/travel-security-policy.pdf");
	size_t full = f->len;
	f->len = full / 2; /* cut in the middle: poppler cannot rebuild it */
	expect(f, "cut.pdf", CR_ECORRUPT, "pdf:");
	f->len = full - 8; /* only the %%EOF line lost */
	expect(f, "cut.pdf", CR_ECORRUPT, "pdf: truncated");
	f->len = full;

	/* a PDF without any text: one empty page */
	static const char empty_pdf[] =
		"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
		"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
		"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj\n"
		"trailer << /Root 1 0 R >>\n%%EOF\n";
	cr_free(f->buf);
	f->buf = (uint8_t *)cr_strdup(empty_pdf);
	f->len = strlen(empty_pdf);
	expect(f, "scan.pdf", CR_EUNSUPPORTED, "pdf: no text layer (scanned?)");

	memcpy(f->buf, "%PDX", 4); /* named .pdf, not a PDF */
	expect(f, "fake.pdf", CR_ECORRUPT, "pdf:");
}

static void test_zip_bad(void **st)
{
	fixture *f = *st;
	/* corrupt central directory */
	load(f, "samples/docs/kestrel-kr7-spec.docx");
	memset(f->buf + f->len - 40, 0xAB, 40);
	expect(f, "spec.docx", CR_ECORRUPT, "docx: corrupt zip");
	load(f, "samples/docs/kestrel-kr7-spec.docx");
	f->len /= 2;
	expect(f, "spec.docx", CR_ECORRUPT, "docx:");
	/* a damaged deflate stream inside an intact directory */
	load(f, "samples/docs/kestrel-kr7-spec.docx");
	for (size_t i = 200; i < 600 && i < f->len; i++)
		f->buf[i] ^= 0x5a;
	expect(f, "spec.docx", CR_ECORRUPT, "docx:");

	/* a password-protected Office file is an OLE container */
	cr_free(f->buf);
	f->buf = cr_calloc(1, 4096);
	f->len = 4096;
	memcpy(f->buf, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8);
	expect(f, "secret.docx", CR_EDENIED, "docx: encrypted");

	/* a plain zip with an unknown name */
	const char *names[] = {"readme.txt"};
	const char *datas[] = {"hello"};
	size_t lens[] = {5};
	make_zip(f, names, datas, lens, 1);
	expect(f, "archive", CR_EUNSUPPORTED, "zip: not an Office document");
}

static void test_zip_bomb(void **st)
{
	fixture *f = *st;
	/* 64 MiB of one byte compresses ~1000:1: over the ratio limit */
	size_t big = 64u << 20;
	char *doc = malloc(big);
	assert_non_null(doc);
	static const char head[] = "<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/"
				   "main\"><w:body><w:p><w:r><w:t>";
	memcpy(doc, head, sizeof head - 1);
	memset(doc + sizeof head - 1, 'A', big - (sizeof head - 1));
	const char *names[] = {"[Content_Types].xml", "word/document.xml"};
	const char *datas[] = {CT, doc};
	size_t lens[] = {sizeof CT - 1, big};
	make_zip(f, names, datas, lens, 2);
	free(doc);
	assert_true(f->len < big / 100);
	expect(f, "bomb.docx", CR_ETOOBIG, "ratio");
	assert_non_null(strstr(f->msg.text, "over limit"));

	/* too many entries */
	enum { N_ENTRIES = 20001 };
	const char **many_names = calloc(N_ENTRIES, sizeof *many_names), **many_datas = calloc(N_ENTRIES, sizeof *many_datas);
	size_t *many_lens = calloc(N_ENTRIES, sizeof *many_lens);
	char *name_buf = calloc(N_ENTRIES, 32);
	assert_non_null(many_names && many_datas && many_lens && name_buf);
	many_names[0] = "[Content_Types].xml";
	many_datas[0] = CT;
	many_lens[0] = sizeof CT - 1;
	for (int i = 1; i < N_ENTRIES; i++) {
		snprintf(name_buf + 32 * i, 32, "word/m%d.xml", i);
		many_names[i] = name_buf + 32 * i;
		many_datas[i] = "";
	}
	many_names[1] = "word/document.xml";
	make_zip(f, many_names, many_datas, many_lens, N_ENTRIES);
	free(many_names);
	free(many_datas);
	free(many_lens);
	free(name_buf);
	expect(f, "many.docx", CR_ETOOBIG, "docx: zip: 20001 entries over the limit of 20000");

	/* the total inflated size cap, with a small limit */
	load(f, "samples/docs/kestrel-kr7-spec.docx");
	cr_extract_limits lim = cr_extract_limits_default();
	lim.max_unzip_bytes = 1000;
	assert_int_equal(extract_lim(f, "spec.docx", &lim), CR_ETOOBIG);
	assert_non_null(strstr(f->msg.text, "over the limit of 1000"));
}

static void test_xml_bad(void **st)
{
	fixture *f = *st;
	/* nesting far deeper than max_depth */
	cr_buf b;
	cr_buf_init(&b, 0);
	assert_int_equal(cr_buf_adds(&b, "<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/"
					 "main\"><w:body>"),
			 CR_OK);
	for (int i = 0; i < 5000; i++)
		assert_int_equal(cr_buf_adds(&b, "<w:sdt>"), CR_OK);
	const char *names[] = {"[Content_Types].xml", "word/document.xml"};
	const char *datas[] = {CT, b.data};
	size_t lens[] = {sizeof CT - 1, b.len};
	make_zip(f, names, datas, lens, 2);
	expect(f, "deep.docx", CR_ETOOBIG, "XML nesting deeper than 64");
	cr_buf_release(&b);

	/* billion laughs: refused before any expansion */
	static const char lol[] = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
				  "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]>"
				  "<w:document xmlns:w=\"x\"><w:body><w:p><w:r><w:t>&lol2;</w:t></w:r></w:p>"
				  "</w:body></w:document>";
	datas[1] = lol;
	lens[1] = sizeof lol - 1;
	make_zip(f, names, datas, lens, 2);
	expect(f, "lol.docx", CR_ECORRUPT, "DTD");

	/* malformed XML */
	static const char broken[] = "<w:document xmlns:w=\"x\"><w:body><w:p></w:body>";
	datas[1] = broken;
	lens[1] = sizeof broken - 1;
	make_zip(f, names, datas, lens, 2);
	expect(f, "broken.docx", CR_ECORRUPT, "docx: word/document.xml: line 1");

	/* HTML nested 20,000 deep, far past libxml2's default limit of 256 (tag
	 * soup and generated pages do that): read whole, the text at the bottom */
	cr_buf h;
	cr_buf_init(&h, 0);
	assert_int_equal(cr_buf_adds(&h, "<html><body>"), CR_OK);
	for (int i = 0; i < 20000; i++)
		assert_int_equal(cr_buf_adds(&h, "<div>"), CR_OK);
	assert_int_equal(cr_buf_adds(&h, "deep text"), CR_OK);
	cr_free(f->buf);
	f->len = h.len;
	f->buf = (uint8_t *)cr_buf_take(&h, NULL);
	assert_int_equal(extract_lim(f, "deep.html", NULL), CR_OK);
	find(f->doc, "deep text");

	/* OOXML without its main part */
	const char *n2[] = {"[Content_Types].xml", "word/other.xml"};
	datas[1] = "<x/>";
	lens[1] = 4;
	make_zip(f, n2, datas, lens, 2);
	expect(f, "empty.docx", CR_ECORRUPT, "docx: no word/document.xml");
	expect(f, "empty.xlsx", CR_ECORRUPT, "xlsx: no xl/workbook.xml");
	expect(f, "empty.pptx", CR_ECORRUPT, "pptx: no ppt/presentation.xml");
}

static void test_text_bad(void **st)
{
	fixture *f = *st;
	/* binary bytes named .txt */
	cr_free(f->buf);
	f->len = 4096;
	f->buf = cr_malloc(f->len);
	uint32_t r = 12345;
	for (size_t i = 0; i < f->len; i++) {
		r = r * 1103515245 + 12345;
		f->buf[i] = (uint8_t)(r >> 16);
	}
	expect(f, "notes.txt", CR_EUNSUPPORTED, "txt: binary file");
	expect(f, "page.html", CR_EUNSUPPORTED, "html: binary file");
	expect(f, "data.csv", CR_EUNSUPPORTED, "csv: binary file");
	expect(f, "blob", CR_EUNSUPPORTED, "binary file");
	expect(f, "blob.bin", CR_EUNSUPPORTED, "binary file");

	/* invalid UTF-8 in otherwise UTF-8 text: replaced, never passed on */
	static const char bad[] = "日本語のテキスト \xff\xfe です。\nCaf\xc3 ok \xed\xa0\x80 end\n";
	cr_free(f->buf);
	f->buf = (uint8_t *)cr_strdup(bad);
	f->len = sizeof bad - 1;
	assert_int_equal(extract_lim(f, "bad.txt", NULL), CR_OK);
	const cr_section *s = find(f->doc, "日本語のテキスト");
	assert_true(cr_utf8_valid((const uint8_t *)s->text, s->len));
	assert_non_null(strstr(s->text, "\xef\xbf\xbd"));
	assert_non_null(strstr(s->text, "end"));
	assert_string_equal(cr_doc_meta(f->doc, "charset"), "UTF-8");

	/* a declared UTF-8 page that is not */
	static const char page[] = "<html><head><meta charset=\"utf-8\"><title>Caf\xe9</title></head>"
				   "<body><p>Men\xfc du jour: cr\xe8me br\xfbl\xe9\x65</p></body></html>";
	cr_free(f->buf);
	f->buf = (uint8_t *)cr_strdup(page);
	f->len = sizeof page - 1;
	assert_int_equal(extract_lim(f, "menu.html", NULL), CR_OK);
	assert_string_equal(f->doc->title, "Café");
	find(f->doc, "crème brûlée");

	/* empty files are empty documents */
	f->len = 0;
	assert_int_equal(extract_lim(f, "empty.txt", NULL), CR_OK);
	assert_int_equal(f->doc->n_sections, 0);
	assert_string_equal(f->doc->title, "empty.txt");
}

static void test_limits(void **st)
{
	fixture *f = *st;
	load(f, "samples/docs/employee-handbook.md");
	cr_extract_limits lim = cr_extract_limits_default();
	lim.max_file_bytes = 100;
	assert_int_equal(extract_lim(f, "h.md", &lim), CR_ETOOBIG);
	assert_non_null(strstr(f->msg.text, "over the limit of 100"));
	lim = cr_extract_limits_default();
	lim.max_text_bytes = 200;
	assert_int_equal(extract_lim(f, "h.md", &lim), CR_ETOOBIG);
	assert_non_null(strstr(f->msg.text, "md: text over the limit of 200"));
	/* a deadline already past */
	lim = cr_extract_limits_default();
	lim.max_seconds = 1e-9;
	load(f, "samples/docs/travel-security-policy.pdf");
	usleep(1000);
	assert_int_equal(extract_lim(f, "p.pdf", &lim), CR_ETIMEOUT);
	assert_non_null(strstr(f->msg.text, "time limit"));
	/* m stays untouched on success */
	load(f, "samples/docs/memo-servo-supply.txt");
	strcpy(f->msg.text, "before");
	f->err = cr_extract(&f->a, "memo.txt", f->buf, f->len, NULL, &f->doc, &f->msg);
	assert_int_equal(f->err, CR_OK);
	assert_string_equal(f->msg.text, "before");
}

/* ---- detection and nesting --------------------------------------------------- */

static void test_detect(void **st)
{
	fixture *f = *st;
#define D(name, bytes) cr_extract_detect(name, (const uint8_t *)(bytes), sizeof(bytes) - 1)
	assert_string_equal(D("Report.PDF", "whatever"), "pdf");
	assert_string_equal(D("noext", "%PDF-1.7\n..."), "pdf");
	assert_string_equal(D("x.markdown", ""), "md");
	assert_string_equal(D("x.htm", ""), "html");
	assert_string_equal(D("x.tsv", ""), "csv");
	assert_string_equal(D("mailbox", "From alice@example.com Mon Mar  2 09:00:00 2026\nSubject: hi\n\nyo\n"), "mbox");
	assert_string_equal(D("msg", "Received: from x\r\nFrom: a@b\r\nSubject: s\r\nDate: Mon, 2 Mar 2026\r\n\r\nbody"),
			    "eml");
	assert_string_equal(D("config", "name: cristal\nversion: 1\n\nbody"), "txt"); /* not mail headers */
	assert_string_equal(D("talk", "\xef\xbb\xbfWEBVTT\n\n00:01.000 --> 00:02.000\nhi\n"), "vtt");
	assert_string_equal(D("subs", "1\n00:00:01,000 --> 00:00:04,000\nHello\n"), "srt");
	assert_string_equal(D("2026-03-02", "[\n {\"type\": \"message\", \"ts\": \"1.2\", \"text\": \"hi\"}]"), "chat");
	assert_string_equal(D("plain", "just words\n"), "txt");
	assert_null(D("blob", "\x00\x01\x02\x03\x04"));
	assert_string_equal(D("a.eml#att/b.pdf", "x"), "pdf");
	assert_string_equal(D("x.mbox#3", "From: a@b\nTo: c@d\nSubject: s\n\nbody"), "eml");
	/* no bytes at all: name only, an empty file is text (no pointer arithmetic on NULL) */
	assert_string_equal(cr_extract_detect("x.pdf", NULL, 0), "pdf");
	assert_string_equal(cr_extract_detect("noext", NULL, 0), "txt");
	assert_string_equal(cr_extract_detect("noext", NULL, 12), "txt");
	assert_string_equal(cr_extract_detect(NULL, NULL, 0), "txt");
	/* binary formats: by magic number under any name (text names too), or by an extension that is never text */
	assert_null(D("photo", "\xFF\xD8\xFF\xE0 JFIF text-like"));
	assert_null(D("photo.txt", "\xFF\xD8\xFF\xE0 JFIF text-like"));
	assert_null(D("logo", "\x89PNG\r\n\x1a\n...."));
	assert_null(D("anim", "GIF89a some bytes"));
	assert_null(D("tool", "\x7f" "ELF\x02\x01\x01"));
	/* compressed bytes under any name: read through what is inside */
	assert_string_equal(D("notes.md", "\x1f\x8b\x08 gzipped"), "gzip");
	assert_null(D("legacy", "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 word 97"));
	assert_null(D("legacy.doc", "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 word 97"));
	assert_null(D("arch.zip", "PK\x05\x06"));
	assert_null(D("x.jpg", "BINARY_CONTENT_GOES_HERE\n"));
	assert_null(D("a.eml#att/song.MP3", "ID3 looks like words"));
	assert_null(D("empty.doc", ""));
	assert_string_equal(D("page.doc", "<html><body>Saved as a web page</body></html>"), "html");
	assert_string_equal(D("memo.doc", "{\\rtf1\\ansi Hello}"), "txt");
	assert_string_equal(D("Report.PDF", "\x1f\x8b not really"), "pdf"); /* the PDF reader judges */
	assert_string_equal(D("plain", "JFIF is a word in this text\n"), "txt");
	/* a uuencoded blob is data */
	static const char uue[] = "begin 644 report.doc\n"
				  "M5&AI<R!I<R!A('1E<W0@;V8@=75E;F-O9&EN9R!W:71H(&$@;&]N9R!L:6YE\n"
				  "#9&%T\n`\nend\n";
	assert_null(D("blob", uue));
	cr_msg rm = {{0}};
	cr_doc *rd;
	assert_int_equal(cr_extract(&f->a, "blob", (const uint8_t *)uue, sizeof uue - 1, NULL, &rd, &rm), CR_EUNSUPPORTED);
	assert_string_equal(rm.text, "binary file (uuencoded data)");
	assert_int_equal(cr_extract(&f->a, "x.png", (const uint8_t *)"\x89PNG\r\n\x1a\n", 8, NULL, &rd, &rm),
			 CR_EUNSUPPORTED);
	assert_string_equal(rm.text, "binary file (PNG image)");
	/* inside a text file, a uuencoded block is left out and the text around it kept */
	static const char mixed[] = "Here is the report.\n\nbegin 644 report.doc\n"
				    "M5&AI<R!I<R!A('1E<W0@;V8@=75E;F-O9&EN9R!W:71H(&$@;&]N9R!L:6YE\n"
				    "#9&%T\n`\nend\nRegards, Lon\n";
	assert_int_equal(cr_extract(&f->a, "mail.txt", (const uint8_t *)mixed, sizeof mixed - 1, NULL, &rd, &rm), CR_OK);
	assert_int_equal(rd->n_sections, 2);
	assert_string_equal(rd->sections[0].text, "Here is the report.");
	assert_string_equal(rd->sections[1].text, "Regards, Lon");
	assert_int_equal(rd->sections[1].loc.line_start, 8);
#undef D
	load(f, "samples/docs/kestrel-launch-deck.pptx");
	assert_string_equal(cr_extract_detect("deck", f->buf, f->len), "pptx");
	load(f, "samples/finance/budget-fy2026.xlsx");
	assert_string_equal(cr_extract_detect("book", f->buf, f->len), "xlsx");
	load(f, "samples/ja/seihin-shiyo-utf16.txt");
	assert_string_equal(cr_extract_detect("spec", f->buf, f->len), "txt");
}

static void test_nested(void **st)
{
	fixture *f = *st;
	cr_extract_limits lim = cr_extract_limits_default();
	cr_msg m = {{0}};
	cr_doc *root = cr_arena_zalloc(&f->a, sizeof *root);
	root->name = "mail.eml";
	root->type = "eml";
	cr_xctx x = {.a = &f->a, .lim = &lim, .m = &m, .root = root, .deadline = cr_now() + 10};
	cr_doc *tail = root;
	static const char note[] = "Attachment text about the HM-40 order.\n";
	assert_int_equal(cr_extract_nested(&x, "mail.eml#att/note.txt", "mail.eml", (const uint8_t *)note,
					   sizeof note - 1, &tail),
			 CR_OK);
	assert_ptr_equal(root->next, tail);
	assert_string_equal(tail->parent, "mail.eml");
	assert_string_equal(tail->type, "txt");
	assert_string_equal(tail->title, "Attachment text about the HM-40 order.");
	/* a broken attachment is skipped and noted on its parent */
	static const char junk[] = "\x00\x01\x02\x03 junk";
	cr_doc *before = tail;
	assert_int_equal(cr_extract_nested(&x, "mail.eml#att/x.bin", "mail.eml", (const uint8_t *)junk, sizeof junk - 1,
					   &tail),
			 CR_OK);
	assert_ptr_equal(tail, before);
	assert_string_equal(cr_doc_meta(root, "skipped"), "x.bin: binary file (.bin)");
	load(f, "fuzz/corpus/pdf/encrypted-rc4.pdf");
	assert_int_equal(cr_extract_nested(&x, "mail.eml#att/pay.pdf", "mail.eml", f->buf, f->len, &tail), CR_OK);
	assert_non_null(strstr(root->meta[root->n_meta - 1].value, "pay.pdf: pdf: encrypted"));
	assert_string_equal(m.text, ""); /* the caller's message is untouched */
	/* depth */
	x.depth = lim.max_depth;
	assert_int_equal(cr_extract_nested(&x, "mail.eml#att/deep.txt", "mail.eml", (const uint8_t *)note, sizeof note - 1,
					   &tail),
			 CR_OK);
	assert_string_equal(root->meta[root->n_meta - 1].value, "deep.txt: nesting too deep");
	assert_ptr_equal(tail, before);
}

static void test_dates(void **st)
{
	assert_int_equal(cr_iso_date("2026-04-01"), 1775001600);
	assert_int_equal(cr_iso_date("2026-04-01T09:00:00+09:00"), 1775001600);
	assert_int_equal(cr_iso_date("2026-03-31T19:00:00-05:00"), 1775001600);
	assert_int_equal(cr_iso_date("2026-04-01T00:00:00Z"), 1775001600);
	assert_int_equal(cr_iso_date("2026-4-1"), 1775001600);
	assert_int_equal(cr_iso_date("2026"), 0);
	assert_int_equal(cr_iso_date("2026-13-01"), 0);
	assert_int_equal(cr_iso_date("yesterday"), 0);
	assert_int_equal(cr_iso_date(""), 0);
	assert_int_equal(cr_iso_date(NULL), 0);
}

/* Extraction from several threads at once gives what one thread gives
 * (poppler, libxml2, iconv and uchardet are used per call). */
#include <pthread.h>

static const char *const thread_files[] = {
	"samples/docs/travel-security-policy.pdf", "samples/docs/kestrel-kr7-spec.docx",
	"samples/finance/budget-fy2026.xlsx",     "samples/docs/kestrel-launch-deck.pptx",
	"samples/docs/intranet-news.html",        "samples/ja/shugyo-kisoku-sjis.txt",
	"samples/ja/kaigi-memo-2026-05-12-eucjp.txt", "samples/docs/employee-handbook.md",
};

typedef struct thread_job {
	uint64_t want[CR_ARRAY_LEN(thread_files)];
	uint8_t *buf[CR_ARRAY_LEN(thread_files)];
	size_t len[CR_ARRAY_LEN(thread_files)];
	int bad;
} thread_job;

static uint64_t doc_hash(const cr_doc *d)
{
	uint64_t h = cr_hash64(d->title, strlen(d->title), 1);
	for (size_t i = 0; i < d->n_sections; i++)
		h = cr_hash64(d->sections[i].text, d->sections[i].len, h) + (uint64_t)d->sections[i].loc.page * 7 +
		    (uint64_t)d->sections[i].loc.slide * 13;
	return h;
}

static uint64_t run_one(thread_job *j, size_t k)
{
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_doc *d;
	cr_msg m;
	uint64_t h = 0;
	if (cr_extract(&a, thread_files[k], j->buf[k], j->len[k], NULL, &d, &m) == CR_OK)
		h = doc_hash(d);
	cr_arena_release(&a);
	return h;
}

static void *thread_main(void *arg)
{
	thread_job *j = arg;
	for (int round = 0; round < 5; round++)
		for (size_t k = 0; k < CR_ARRAY_LEN(thread_files); k++)
			if (run_one(j, (k + (size_t)round) % CR_ARRAY_LEN(thread_files)) !=
			    j->want[(k + (size_t)round) % CR_ARRAY_LEN(thread_files)])
				__atomic_fetch_add(&j->bad, 1, __ATOMIC_RELAXED);
	return NULL;
}

static void test_threads(void **st)
{
	fixture *f = *st;
	thread_job j = {0};
	for (size_t k = 0; k < CR_ARRAY_LEN(thread_files); k++) {
		load(f, thread_files[k]);
		j.buf[k] = f->buf;
		j.len[k] = f->len;
		f->buf = NULL;
		j.want[k] = run_one(&j, k);
		assert_true(j.want[k] != 0);
	}
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, thread_main, &j), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(j.bad, 0);
	for (size_t k = 0; k < CR_ARRAY_LEN(thread_files); k++)
		cr_free(j.buf[k]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_md, setup, teardown),
		cmocka_unit_test_setup_teardown(test_txt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_html, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csv, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pdf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_docx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xlsx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xlsx_cells, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pptx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_japanese, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pdf_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zip_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zip_bomb, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xml_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_detect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nested, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
		cmocka_unit_test(test_dates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
