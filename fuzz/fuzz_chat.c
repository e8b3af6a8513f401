/* fuzz_chat.c — libFuzzer target for the chat day-file reader (chat.c):
 * Slack JSON arrays, generic chat JSON and JSON Lines. Seeds in
 * fuzz/corpus/chat/. */
#include "ingest_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_extractor(cr_x_chat, "general/2026-03-02.json", data, size);
	return 0;
}
