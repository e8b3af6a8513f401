/* fuzz_ooxml.c — libFuzzer target for the Office extractors (ooxml.c zip and
 * XML layer, docx.c, xlsx.c, pptx.c).
 *
 * Mutated zips mostly die at the CRC check, so the first byte picks a mode:
 *   0  the whole input (a zip starts with 'P', 0x50) is a package, tried as
 *      .docx, .xlsx and .pptx;
 *   1  the rest is an XML part, stored (uncompressed) in a docx as
 *      word/document.xml and word/styles.xml;
 *   2  ... in an xlsx as the sheet, the shared strings and the styles;
 *   3  ... in a pptx as the slide and its notes.
 * The packages of modes 1-3 are written here by hand (stored entries,
 * CRC-32 computed), so the XML handlers see the mutations. Seeds in
 * fuzz/corpus/ooxml/ (whole packages, and mode-prefixed XML parts). */
#include "ingest_fuzz.h"

typedef struct zbuf {
	uint8_t *p;
	size_t n, cap;
} zbuf;

static void put(zbuf *z, const void *p, size_t n)
{
	if (z->n + n > z->cap) {
		z->cap = (z->n + n) * 2 + 256;
		z->p = realloc(z->p, z->cap);
		if (!z->p)
			abort();
	}
	memcpy(z->p + z->n, p, n);
	z->n += n;
}

static void put16(zbuf *z, uint32_t v)
{
	uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
	put(z, b, 2);
}

static void put32(zbuf *z, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	put(z, b, 4);
}

static uint32_t crc32(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
	}
	return ~c;
}

typedef struct part {
	const char *name;
	const uint8_t *data;
	size_t len;
} part;

/* A zip of stored entries. */
static zbuf make_zip(const part *parts, int n)
{
	zbuf z = {0}, cd = {0};
	for (int i = 0; i < n; i++) {
		uint32_t off = (uint32_t)z.n, crc = crc32(parts[i].data, parts[i].len), len = (uint32_t)parts[i].len;
		uint16_t nl = (uint16_t)strlen(parts[i].name);
		put32(&z, 0x04034b50);
		put16(&z, 20), put16(&z, 0), put16(&z, 0), put16(&z, 0), put16(&z, 0x21);
		put32(&z, crc), put32(&z, len), put32(&z, len);
		put16(&z, nl), put16(&z, 0);
		put(&z, parts[i].name, nl);
		put(&z, parts[i].data, parts[i].len);
		put32(&cd, 0x02014b50);
		put16(&cd, 20), put16(&cd, 20), put16(&cd, 0), put16(&cd, 0), put16(&cd, 0), put16(&cd, 0x21);
		put32(&cd, crc), put32(&cd, len), put32(&cd, len);
		put16(&cd, nl), put16(&cd, 0), put16(&cd, 0), put16(&cd, 0), put16(&cd, 0);
		put32(&cd, 0), put32(&cd, off);
		put(&cd, parts[i].name, nl);
	}
	uint32_t cd_off = (uint32_t)z.n;
	put(&z, cd.p, cd.n);
	put32(&z, 0x06054b50);
	put16(&z, 0), put16(&z, 0), put16(&z, (uint32_t)n), put16(&z, (uint32_t)n);
	put32(&z, (uint32_t)cd.n), put32(&z, cd_off), put16(&z, 0);
	free(cd.p);
	return z;
}

#define S(x) (const uint8_t *)(x), sizeof(x) - 1
static const char CT[] = "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>";
static const char DOC_RELS[] = "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
			       "<Relationship Id=\"rId1\" Type=\"x/styles\" Target=\"styles.xml\"/></Relationships>";
static const char WB[] = "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
			 "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets>"
			 "<sheet name=\"S\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";
static const char WB_RELS[] = "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
			      "<Relationship Id=\"rId1\" Type=\"x/worksheet\" Target=\"worksheets/sheet1.xml\"/>"
			      "<Relationship Id=\"rId2\" Type=\"x/sharedStrings\" Target=\"sharedStrings.xml\"/>"
			      "<Relationship Id=\"rId3\" Type=\"x/styles\" Target=\"styles.xml\"/></Relationships>";
static const char PRES[] = "<p:presentation xmlns:p=\"http://schemas.openxmlformats.org/presentationml/2006/main\" "
			   "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">"
			   "<p:sldIdLst><p:sldId id=\"256\" r:id=\"rId1\"/></p:sldIdLst></p:presentation>";
static const char PRES_RELS[] = "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
				"<Relationship Id=\"rId1\" Type=\"x/slide\" Target=\"slides/slide1.xml\"/></Relationships>";
static const char SLIDE_RELS[] = "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
				 "<Relationship Id=\"rId1\" Type=\"x/notesSlide\" Target=\"../notesSlides/notesSlide1.xml\"/>"
				 "</Relationships>";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0) {
		fuzz_extract("fuzz.docx", data, size);
		return 0;
	}
	int mode = data[0] % 4;
	const uint8_t *x = data + 1;
	size_t n = size - 1;
	zbuf z = {0};
	if (mode == 0) { /* whole input: a zip starts with 'P' (0x50), mode 0 */
		fuzz_extract("fuzz.docx", data, size);
		fuzz_extract("fuzz.xlsx", data, size);
		fuzz_extract("fuzz.pptx", data, size);
		return 0;
	}
	if (mode == 1) {
		part p[] = {{"[Content_Types].xml", S(CT)},
			    {"word/document.xml", x, n},
			    {"word/_rels/document.xml.rels", S(DOC_RELS)},
			    {"word/styles.xml", x, n}};
		z = make_zip(p, 4);
		fuzz_extract("fuzz.docx", z.p, z.n);
	} else if (mode == 2) {
		part p[] = {{"[Content_Types].xml", S(CT)},       {"xl/workbook.xml", S(WB)},
			    {"xl/_rels/workbook.xml.rels", S(WB_RELS)}, {"xl/worksheets/sheet1.xml", x, n},
			    {"xl/sharedStrings.xml", x, n},          {"xl/styles.xml", x, n}};
		z = make_zip(p, 6);
		fuzz_extract("fuzz.xlsx", z.p, z.n);
	} else {
		part p[] = {{"[Content_Types].xml", S(CT)},
			    {"ppt/presentation.xml", S(PRES)},
			    {"ppt/_rels/presentation.xml.rels", S(PRES_RELS)},
			    {"ppt/slides/slide1.xml", x, n},
			    {"ppt/slides/_rels/slide1.xml.rels", S(SLIDE_RELS)},
			    {"ppt/notesSlides/notesSlide1.xml", x, n}};
		z = make_zip(p, 6);
		fuzz_extract("fuzz.pptx", z.p, z.n);
	}
	free(z.p);
	return 0;
}
