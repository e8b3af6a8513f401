/* fuzz_srt.c — libFuzzer target for the SRT reader (transcript.c).
 * Seeds in fuzz/corpus/srt/. */
#include "ingest_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_extractor(cr_x_srt, "fuzz.srt", data, size);
	return 0;
}
