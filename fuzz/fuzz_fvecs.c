/* fuzz_fvecs.c — the fvecs reader (cristal bench-vectors' input): every
 * record of any bytes is read; each must give a vector or an error. */
#include <stdint.h>
#include <stdlib.h>

#include "cristal/vector.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cr_fvecs f;
	if (cr_fvecs_init(&f, data, size, NULL))
		return 0;
	float *row = malloc((size_t)f.dim * sizeof *row);
	if (!row)
		return 0;
	for (size_t i = 0; i < f.n; i++)
		if (cr_fvecs_row(&f, i, row, NULL))
			break;
	free(row);
	return 0;
}
