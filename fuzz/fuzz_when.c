/* fuzz_when.c — the period cues of the answerer (src/answer/when.c) over
 * any bytes: a sentence of exactly size bytes, and the same bytes as a
 * question. Nothing may read out of them, and a sentence that states an
 * end states an end or a length (lengths only add). Seeds in
 * fuzz/corpus/when/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "answer/answer_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size ? size : 1); /* exactly size bytes */
	if (!s)
		return 0;
	memcpy(s, data, size);
	int end = cr_ans_states_end(s, size, 0), any = cr_ans_states_end(s, size, 1);
	if ((end != 0 && end != 1) || (any != 0 && any != 1) || (end && !any))
		abort();
	free(s);
	char *q = malloc(size + 1);
	if (!q)
		return 0;
	memcpy(q, data, size);
	q[size] = 0;
	int what = cr_ans_asks_end(q);
	if (what != 0 && what != CR_ANS_END && what != CR_ANS_LENGTH)
		abort();
	free(q);
	return 0;
}
