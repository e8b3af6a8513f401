/* fuzz_verify.c — arbitrary bytes as an answer whose citations are checked
 * (a model's output is outside bytes): markers, sentence splitting and
 * analysis must never crash, and every citation kept must name a source. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cristal/answer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static cr_analyzer *an;
	if (!an && cr_analyzer_new(NULL, &an, NULL) != CR_OK)
		abort();
	static const char *texts[] = {
		"Department: Kestrel R&D; Q1: 48000; Total (JPY thousand): 210000\n",
		"Travel above 3 nights needs the approval of a director. 出張旅費は精算システムで申請する。",
	};
	cr_source src[2] = {{.n = 1, .type = "xlsx"}, {.n = 2, .type = "md"}};
	for (int i = 0; i < 2; i++)
		src[i].text = texts[i], src[i].len = strlen(texts[i]);
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0; /* the answer is a C string: it ends at the first NUL */
	cr_arena a;
	cr_arena_init(&a, 64 << 20);
	cr_answer ans;
	memset(&ans, 0, sizeof ans);
	if (cr_answer_verify(an, &a, text, src, 2, &ans) == CR_OK) {
		for (size_t i = 0; i < ans.n_citations; i++)
			if (ans.citations[i].n != 1 && ans.citations[i].n != 2)
				abort();
		if (!ans.text)
			abort();
	}
	cr_arena_release(&a);
	free(text);
	return 0;
}
