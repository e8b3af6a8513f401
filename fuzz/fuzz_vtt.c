/* fuzz_vtt.c — libFuzzer target for the WebVTT reader (transcript.c).
 * Seeds in fuzz/corpus/vtt/. */
#include "ingest_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_extractor(cr_x_vtt, "fuzz.vtt", data, size);
	return 0;
}
