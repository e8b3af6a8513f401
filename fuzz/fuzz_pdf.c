/* fuzz_pdf.c — libFuzzer target for the PDF extractor (pdf.c, poppler-glib):
 * any bytes named "x.pdf". Seeds in fuzz/corpus/pdf/ (our sample PDFs, an
 * RC4-encrypted one, a page without text). */
#include "ingest_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_extract("fuzz.pdf", data, size);
	return 0;
}
