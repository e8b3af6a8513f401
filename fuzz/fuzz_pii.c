/* fuzz_pii.c — arbitrary bytes as text to redact (documents, messages and
 * model answers are outside bytes): detection must never crash or read out
 * of bounds; spans are sorted, disjoint and inside the text; redaction then
 * restoration gives the text back exactly (placeholders cannot occur in the
 * input's own bytes here: a '[' is replaced); streamed restoration of the
 * redacted text in pieces (sizes from the first byte) equals the whole
 * restoration. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cristal/pii.h"

static cr_pii *P;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	if (!P && cr_pii_new(&P, NULL))
		abort();
	size_t step = (size_t)(data[0] % 7) + 1;
	data++, size--;
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	for (size_t i = 0; i < size; i++)
		if (text[i] == '[')
			text[i] = '(';
	text[size] = 0;
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_pii_span *sp;
	size_t n;
	if (cr_pii_detect(P, text, size, &a, &sp, &n, NULL) == CR_OK) {
		for (size_t i = 0; i < n; i++) {
			if (sp[i].start >= sp[i].end || sp[i].end > size || (unsigned)sp[i].kind >= CR_PII_N_KINDS)
				abort();
			if (i && sp[i].start < sp[i - 1].end)
				abort();
		}
	}
	cr_arena_release(&a);
	cr_pii_map *map;
	if (cr_pii_map_new(&map)) {
		free(text);
		return 0;
	}
	cr_buf red, back, streamed;
	cr_buf_init(&red, 0);
	cr_buf_init(&back, 0);
	cr_buf_init(&streamed, 0);
	if (cr_pii_redact(P, map, text, size, &red, NULL) == CR_OK &&
	    cr_pii_restore(map, red.data ? red.data : "", red.len, &back) == CR_OK) {
		if (back.len != size || (size && memcmp(back.data, text, size)))
			abort();
		cr_pii_stream s;
		cr_pii_stream_init(&s, map);
		int ok = 1;
		for (size_t i = 0; i < red.len && ok; i += step)
			ok = cr_pii_stream_feed(&s, red.data + i, red.len - i < step ? red.len - i : step, &streamed) == CR_OK;
		if (ok && cr_pii_stream_flush(&s, &streamed) == CR_OK)
			if (streamed.len != back.len || (back.len && memcmp(streamed.data, back.data, back.len)))
				abort();
	}
	cr_buf_release(&red);
	cr_buf_release(&back);
	cr_buf_release(&streamed);
	cr_pii_map_free(map);
	free(text);
	return 0;
}
