/* fuzz_compress.c — libFuzzer target for compressed single files
 * (compress.c: gzip, bzip2, xz members, truncation, bombs) and the
 * dispatcher's reading of what is inside (extract.c: inner name, tar
 * refusal, format of the inner bytes). The input is given as is and behind
 * each format's magic, so mutations reach the decoders. Seeds in
 * fuzz/corpus/compress/. */
#include "ingest_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_extract("fuzz.txt.gz", data, size);
	fuzz_extract("fuzz.csv.xz", data, size);
	fuzz_extract("fuzz", data, size);
	return 0;
}
