/* fuzz_docs_figures.c — the key-figure scanner of `analyze docs`
 * (cr_docs_figures, src/agent/docs.c) over any bytes as one sentence.
 * Nothing may read out of the sentence; figures come in order, do not
 * overlap, and each holds a digit. Seeds in fuzz/corpus/docs_figures/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cristal/agent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size ? size : 1); /* exactly size bytes */
	if (!s)
		return 0;
	memcpy(s, data, size);
	size_t st[8], en[8];
	int n = cr_docs_figures(s, size, st, en, 8);
	if (n < 0 || n > 8)
		abort();
	for (int i = 0; i < n; i++) {
		if (st[i] >= en[i] || en[i] > size || (i && st[i] < en[i - 1]))
			abort();
		int digit = 0;
		for (size_t k = st[i]; k < en[i] && !digit; k++)
			digit = s[k] >= '0' && s[k] <= '9';
		if (!digit)
			abort();
	}
	free(s);
	return 0;
}
