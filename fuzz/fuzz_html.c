/* fuzz_html.c — libFuzzer target for the HTML extractor (html.c: meta
 * charset scan, conversion, libxml2's HTML parser, the tree walk) and the
 * Markdown one (md.c), which share the heading-path logic. Seeds in
 * fuzz/corpus/html/. */
#include "ingest_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_extract("fuzz.html", data, size);
	fuzz_extract("fuzz.md", data, size);
	return 0;
}
