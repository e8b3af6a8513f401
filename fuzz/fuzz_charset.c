/* fuzz_charset.c — libFuzzer target for charset detection and conversion
 * (charset.c) and the plain-text path (txt.c, format sniffing in
 * extract.c). The first input byte picks a declared charset hint (or none);
 * the output must always be valid UTF-8 without NULs. Seeds in
 * fuzz/corpus/charset/. */
#include "ingest_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const hints[] = {NULL, "utf-8", "Shift_JIS", "euc-jp", "iso-2022-jp", "iso-8859-1",
					    "utf-16", "utf-16le", "koi8-r", "gb2312", "bogus"};
	const char *hint = size ? hints[data[0] % (sizeof hints / sizeof hints[0])] : NULL;
	const uint8_t *p = size ? data + 1 : data;
	size_t n = size ? size - 1 : 0;
	cr_arena a;
	cr_arena_init(&a, 256u << 20);
	char *out;
	size_t out_len;
	const char *used;
	cr_msg m;
	if (cr_charset_to_utf8(&a, p, n, hint, &out, &out_len, &used, &m) == CR_OK) {
		if (strlen(out) != out_len || !cr_utf8_valid((const uint8_t *)out, out_len) || !used)
			abort();
	}
	cr_arena_release(&a);
	fuzz_extract("fuzz.txt", data, size);
	fuzz_extract("fuzz", data, size); /* sniffing */
	return 0;
}
