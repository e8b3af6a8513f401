/* fuzz_mail.c — libFuzzer target for the e-mail extractors (mail.c): bytes
 * starting with "From " go to the mbox reader, anything else to the
 * single-message reader; attachments run through the whole dispatcher.
 * Seeds in fuzz/corpus/mail/. */
#include "ingest_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_extractor(size >= 5 && memcmp(data, "From ", 5) == 0 ? cr_x_mbox : cr_x_eml, "fuzz.eml",
		       data, size);
	return 0;
}
