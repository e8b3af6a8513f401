/* fuzz_grammar.c — the JSON grammar and the JSON Schema subset it reads.
 *
 * Input: a first line that is a JSON Schema (an empty line = plain JSON),
 * then bytes fed one at a time (rejected bytes are skipped). Whatever was
 * accepted, closing must succeed and leave the grammar complete, and the
 * accepted text plus the closing bytes must be accepted again from the
 * start. */
#include <stdint.h>
#include <string.h>

#include "cristal/llm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t slen = nl ? (size_t)(nl - data) : size;
	cr_grammar *g = NULL;
	cr_err e = slen ? cr_grammar_new_schema((const char *)data, slen, &g, NULL) : cr_grammar_new_json(&g);
	if (e)
		return 0;
	cr_buf text, close;
	cr_buf_init(&text, 0);
	cr_buf_init(&close, 0);
	for (size_t i = slen + 1; i < size && !cr_grammar_done(g); i++) {
		char c = (char)data[i];
		if (cr_grammar_feed(g, &c, 1) == CR_OK)
			CR_IGNORE(cr_buf_addc(&text, c));
	}
	if (cr_grammar_close(g, &close) != CR_OK)
		__builtin_trap();
	CR_IGNORE(cr_buf_add(&text, close.data, close.len));
	cr_grammar_reset(g);
	if (cr_grammar_feed(g, text.data, text.len) != CR_OK || !cr_grammar_done(g))
		__builtin_trap();
	cr_buf_release(&text);
	cr_buf_release(&close);
	cr_grammar_free(g);
	return 0;
}
