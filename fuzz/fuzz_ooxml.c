/* fuzz_ooxml.c — libFuzzer target for the Office extractors (ooxml.c zip and
 * XML layer, docx.c, xlsx.c, pptx.c): the same bytes go through all three,
 * so a docx seed also exercises the xlsx and pptx paths of a foreign
 * package. Seeds in fuzz/corpus/ooxml/. */
#include "ingest_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_extract("fuzz.docx", data, size);
	fuzz_extract("fuzz.xlsx", data, size);
	fuzz_extract("fuzz.pptx", data, size);
	return 0;
}
