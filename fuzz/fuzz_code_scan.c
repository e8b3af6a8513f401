/* fuzz_code_scan.c — the line scanner of `analyze code`
 * (cr_code_scan_line, src/agent/code.c) over any bytes: the first byte
 * picks the language, the rest is the line. Nothing may crash or read out
 * of the line; a secret's value must lie inside it; at most one finding of
 * each kind. Seeds in fuzz/corpus/code_scan/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cristal/agent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const langs[] = {NULL, "c", "cpp", "python", "javascript", "typescript", "go", "java",
					    "ruby", "php", "shell", "rust"};
	if (!size)
		return 0;
	const char *lang = langs[data[0] % (sizeof langs / sizeof langs[0])];
	size_t n = size - 1;
	char *line = malloc(n ? n : 1); /* exactly n bytes: ASan sees any read past the line */
	if (!line)
		return 0;
	memcpy(line, data + 1, n);
	cr_code_hit h[3];
	int k = cr_code_scan_line(lang, line, n, h, 3);
	if (k < 0 || k > 3)
		abort();
	for (int i = 0; i < k; i++) {
		if (!h[i].kind || !h[i].rule)
			abort();
		if (!strcmp(h[i].kind, "secret") && (h[i].off > n || h[i].len > n - h[i].off || !h[i].len))
			abort();
		for (int j = 0; j < i; j++)
			if (!strcmp(h[i].kind, h[j].kind))
				abort();
	}
	free(line);
	return 0;
}
