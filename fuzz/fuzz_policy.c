/* fuzz_policy.c — cr_class_of_text (policy.h) over any bytes: it reads
 * only within the given length, and returns -1 or a level. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cristal/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *t = malloc(size ? size : 1); /* exactly size bytes: ASan sees any overread */
	if (!t)
		return 0;
	memcpy(t, data, size);
	int l = cr_class_of_text(t, size);
	if (l < -1 || l > CR_CLASS_SECRET)
		abort();
	free(t);
	return 0;
}
