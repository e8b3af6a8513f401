/* fuzz_analyzer.c — arbitrary bytes through the text analyzer (document,
 * query, prefix and phrase modes) and cr_text_normalize: no crash, every
 * token well-formed and inside the input, positions non-decreasing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cristal/text.h"

typedef struct fz {
	size_t len;
	uint32_t last_pos;
	size_t n;
} fz;

static int check(void *ctx, const cr_token *t)
{
	fz *f = ctx;
	if (t->len < 2 || (t->term[0] != 'w' && t->term[0] != 'b') ||
	    t->start >= t->end || t->end > f->len || t->pos < f->last_pos)
		abort();
	f->last_pos = t->pos;
	f->n++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static cr_analyzer *an;
	if (!an && cr_analyzer_new(NULL, &an, NULL) != CR_OK)
		abort();
	static const int modes[] = {0, CR_ANALYZE_QUERY, CR_ANALYZE_NOSTEM,
				    CR_ANALYZE_QUERY | CR_ANALYZE_NOSTEM,
				    CR_ANALYZE_QUERY | CR_ANALYZE_PHRASE};
	for (size_t k = 0; k < CR_ARRAY_LEN(modes); k++) {
		fz f = {.len = size};
		if (cr_analyze(an, (const char *)data, size, modes[k], check, &f) != CR_OK)
			abort();
	}
	cr_buf b;
	cr_buf_init(&b, 1 << 20);
	if (cr_text_normalize((const char *)data, size, &b) != CR_OK && size < (1 << 17))
		abort();
	cr_buf_release(&b);
	return 0;
}
