/* fuzz_csv.c — libFuzzer target for the CSV extractor (csv.c: delimiter
 * choice, quoted fields, header rows), as .csv and as .tsv. Seeds in
 * fuzz/corpus/csv/. */
#include "ingest_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_extract("fuzz.csv", data, size);
	fuzz_extract("fuzz.tsv", data, size);
	return 0;
}
