/* test_ingest_docs_fixtures.c — the extractors on real files from other
 * projects' test suites (CR_SHARED_DATA/docs-fixtures, see its SOURCE.md):
 * PDFs from py-pdf/sample-files checked against that project's files.json
 * (page count, encryption, creation date), docx/pptx/xlsx from python-docx,
 * python-pptx and excelize with the text their fixtures are known to hold.
 * Skipped (exit 77) when the shared data is absent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cristal/ingest.h"
#include "ingest/ingest_int.h"

static char ROOT[4096];
static cr_arena A;

static cr_err run(const char *rel, cr_doc **d, cr_msg *m)
{
	char path[8192];
	snprintf(path, sizeof path, "%s/%s", ROOT, rel);
	uint8_t *buf;
	size_t len;
	cr_err e = cr_file_read(path, 64u << 20, &buf, &len, m);
	if (e)
		fail_msg("cannot read %s: %s", path, m->text);
	m->text[0] = 0;
	e = cr_extract(&A, rel, buf, len, NULL, d, m);
	cr_free(buf);
	if (!e)
		for (const cr_doc *x = *d; x; x = x->next)
			for (size_t i = 0; i < x->n_sections; i++)
				assert_true(cr_utf8_valid((const uint8_t *)x->sections[i].text, x->sections[i].len));
	return e;
}

static cr_doc *ok(const char *rel)
{
	cr_doc *d;
	cr_msg m;
	cr_err e = run(rel, &d, &m);
	if (e)
		fail_msg("%s: %s (%s)", rel, cr_strerror(e), m.text);
	return d;
}

static int has(const cr_doc *d, const char *needle)
{
	for (size_t i = 0; i < d->n_sections; i++)
		if (strstr(d->sections[i].text, needle))
			return 1;
	return 0;
}

static const cr_section *find(const cr_doc *d, const char *needle)
{
	for (size_t i = 0; i < d->n_sections; i++)
		if (strstr(d->sections[i].text, needle))
			return &d->sections[i];
	fail_msg("%s: no \"%s\"", d->name, needle);
	return NULL;
}

/* "2022-04-03T18:05:42+02:00" -> unix seconds; 0 without a zone (upstream
 * then wrote local time we cannot know) */
static int64_t iso_time(const char *s)
{
	struct tm tm = {0};
	int oh = 0, om = 0;
	char sign = '+';
	int k = sscanf(s, "%d-%d-%dT%d:%d:%d%c%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
		       &tm.tm_sec, &sign, &oh, &om);
	if (k < 7 || (k < 9 && sign != 'Z'))
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	int64_t t = (int64_t)timegm(&tm);
	return t - (sign == '-' ? -1 : 1) * (oh * 3600 + om * 60);
}

static void test_pdf(void **st)
{
	char path[8192];
	snprintf(path, sizeof path, "%s/pdf/files.json", ROOT);
	json_error_t je;
	json_t *root = json_load_file(path, 0, &je);
	assert_non_null(root);
	json_t *arr = json_object_get(root, "data");
	size_t i, checked = 0;
	json_t *it;
	json_array_foreach(arr, i, it) {
		const char *p = json_string_value(json_object_get(it, "path"));
		const char *base = p ? strrchr(p, '/') : NULL;
		base = base ? base + 1 : p;
		char rel[512];
		snprintf(rel, sizeof rel, "pdf/%s", base ? base : "");
		snprintf(path, sizeof path, "%s/%s", ROOT, rel);
		struct stat sb;
		if (!base || stat(path, &sb) != 0)
			continue; /* only some of upstream's files are in the fixture set */
		cr_doc *d;
		cr_msg m;
		cr_err e = run(rel, &d, &m);
		if (json_is_true(json_object_get(it, "encrypted"))) {
			assert_int_equal(e, CR_EDENIED);
			assert_string_equal(m.text, "pdf: encrypted");
		} else {
			if (e)
				fail_msg("%s: %s (%s)", rel, cr_strerror(e), m.text);
			char pages[16];
			snprintf(pages, sizeof pages, "%lld", (long long)json_integer_value(json_object_get(it, "pages")));
			assert_string_equal(cr_doc_meta(d, "pages"), pages);
			int max_page = 0;
			for (size_t k = 0; k < d->n_sections; k++) {
				assert_true(d->sections[k].loc.page >= 1);
				assert_true(d->sections[k].loc.page > max_page); /* one section per page, in order */
				max_page = d->sections[k].loc.page;
			}
			assert_true(max_page <= atoi(pages));
			const char *cd = json_string_value(json_object_get(it, "creation_date"));
			if (cd && iso_time(cd))
				assert_int_equal(d->date, iso_time(cd));
			const char *prod = json_string_value(json_object_get(it, "producer"));
			if (prod && *prod)
				assert_string_equal(cr_doc_meta(d, "producer"), prod);
		}
		checked++;
	}
	json_decref(root);
	assert_true(checked >= 7);
	/* text in reading order, pages kept */
	cr_doc *d = ok("pdf/pdflatex-4-pages.pdf");
	assert_int_equal(d->n_sections, 4);
	assert_int_equal(d->sections[3].loc.page, 4);
	d = ok("pdf/google-doc-document.pdf");
	assert_string_equal(d->title, "PDF Example Document");
	find(d, "Beautiful is better than ugly.");
	d = ok("pdf/multicolumn.pdf");
	find(d, "Two-Column Document");
	d = ok("pdf/habibi.pdf"); /* Arabic through a ToUnicode CMap */
	assert_true(has(d, "\xd8") || has(d, "\xd9"));
	d = ok("pdf/pdflatex-outline.pdf");
	find(d, "Contents");
}

static void test_docx(void **st)
{
	cr_doc *d = ok("docx/doc-coreprops.docx");
	assert_string_equal(d->title, "Title");
	assert_string_equal(d->author, "Steve Canny");
	assert_string_equal(cr_doc_meta(d, "subject"), "Subject");
	assert_string_equal(cr_doc_meta(d, "keywords"), "key; word; keyword");
	d = ok("docx/blk-paras-and-tables.docx");
	/* paragraphs and tables interleaved, in order; a nested table flattens */
	assert_int_equal(d->n_sections, 3);
	assert_non_null(strstr(d->sections[0].text, "Lorem ipsum dolor sit amet"));
	assert_non_null(strstr(d->sections[1].text, "Text before Table Between Text after"));
	assert_non_null(strstr(d->sections[2].text, "Donec semper facilisis"));
	d = ok("docx/par-known-paragraphs.docx");
	assert_string_equal(d->title, "Heading Paragraph");
	assert_string_equal(find(d, "Normal paragraph")->loc.heading, "Heading Paragraph");
	d = ok("docx/par-hyperlinks.docx");
	find(d, "Three hyperlinks: the first one here, the second one, and the third.");
	d = ok("docx/hdr-header-footer.docx");
	find(d, "section with header");
	d = ok("docx/comments-rich-para.docx");
	find(d, "Some text worthy of note.");
	d = ok("docx/num-having-numbering-part.docx");
	find(d, "Paragraph having List Number style.");
	d = ok("docx/tbl-2x2-table.docx"); /* an empty table: no text, no error */
	assert_int_equal(d->n_sections, 0);
}

static void test_pptx(void **st)
{
	cr_doc *d = ok("pptx/sld-notes.pptx");
	const cr_section *s = find(d, "Notes: ");
	assert_true(s->loc.slide >= 1);
	d = ok("pptx/tbl-cell.pptx");
	assert_int_equal(find(d, "a | b | c\nd | e | f\ng | h | i")->loc.slide, 3);
	d = ok("pptx/txt-text.pptx");
	find(d, "Foo Bar");
	assert_string_equal(cr_doc_meta(d, "slides"), "2");
	d = ok("pptx/sld-slides.pptx");
	assert_string_equal(cr_doc_meta(d, "slides"), "3");
	d = ok("pptx/shp-groupshape.pptx");
	assert_string_equal(cr_doc_meta(d, "slides"), "1");
	d = ok("pptx/prs-properties.pptx");
	assert_string_equal(d->author, "python-pptx");
}

static void test_xlsx(void **st)
{
	cr_doc *d = ok("xlsx/Book1.xlsx");
	assert_string_equal(cr_doc_meta(d, "sheets"), "2");
	const cr_section *s = find(d, "Brand: DELL");
	assert_string_equal(s->loc.sheet, "Sheet2");
	s = find(d, "Total:");
	assert_string_equal(s->loc.sheet, "Sheet1");
	d = ok("xlsx/SharedStrings.xlsx"); /* a string split over rich-text runs comes back whole */
	find(d, "Test Weight (Kgs)");
	d = ok("xlsx/MergeCell.xlsx");
	find(d, "D8");
	d = ok("xlsx/CalcChain.xlsx");
	assert_int_equal(d->n_sections, 1);
	d = ok("xlsx/shp-embedded-xlsx.xlsx");
	assert_int_equal(find(d, "1\n2\n3")->loc.line_end, 3);
}

int main(void)
{
	const char *data = getenv("CR_SHARED_DATA");
	struct stat sb;
	if (!data || snprintf(ROOT, sizeof ROOT, "%s/docs-fixtures", data) <= 0 || stat(ROOT, &sb) != 0) {
		printf("skipped: CR_SHARED_DATA/docs-fixtures not available\n");
		return 77;
	}
	cr_arena_init(&A, 0);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pdf),
		cmocka_unit_test(test_docx),
		cmocka_unit_test(test_pptx),
		cmocka_unit_test(test_xlsx),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	cr_arena_release(&A);
	return r;
}
