/* fuzz_vecindex.c — corrupt vector index files: the input is checked by
 * cr_vec_index_from_bytes (its header hash recomputed first, so mutations
 * reach the section, level and link checks); an index that passes is
 * searched, exactly and through the graph, with and without a filter. Every
 * outcome must be an error or a sane result, never a crash or a read out of
 * bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cristal/vector.h"

static int even(void *ctx, size_t i)
{
	(void)ctx;
	return !(i & 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *p = aligned_alloc(64, (size + 64) & ~(size_t)63);
	if (!p)
		return 0;
	memcpy(p, data, size);
	if (size >= 128) {
		uint64_t h = cr_hash64(p, 120, 0);
		memcpy(p + 120, &h, 8);
	}
	cr_vec_index *ix = NULL;
	if (!cr_vec_index_from_bytes(p, size, &ix, NULL)) {
		int dim = cr_vec_index_dim(ix);
		float *q = malloc((size_t)dim * sizeof *q);
		if (q) {
			for (int i = 0; i < dim; i++)
				q[i] = (float)((i * 7) % 5) - 2.0f;
			cr_vec_hit hits[5];
			int nh;
			cr_vec_query qs[3] = {{.k = 5, .ef = 10}, {.k = 5, .exact = 1}, {.k = 3, .filter = even}};
			for (int i = 0; i < 3; i++)
				if (!cr_vec_index_search(ix, NULL, q, &qs[i], hits, &nh, NULL))
					for (int j = 0; j < nh; j++)
						(void)cr_vec_index_id(ix, 0);
			free(q);
		}
		cr_vec_index_free(ix);
	}
	free(p);
	return 0;
}
