/*
 * fvecs.c — the ANN benchmarks' vector files (layout in vector.h), read
 * from bytes the caller holds (a mapping): outside bytes, so every record's
 * dimension field and every value are checked as they are read.
 */
#include "vector_int.h"

#include <math.h>
#include <string.h>

cr_err cr_fvecs_init(cr_fvecs *f, const uint8_t *p, size_t len, cr_msg *m)
{
	memset(f, 0, sizeof *f);
	if (len < 4)
		return cr_fail(m, CR_ECORRUPT, "fvecs: empty or shorter than a dimension field (%zu bytes)", len);
	int32_t d;
	memcpy(&d, p, 4);
	if (d < 1 || d > CR_VEC_MAX_DIM)
		return cr_fail(m, CR_ECORRUPT, "fvecs: dimension %d outside 1..%d", (int)d, CR_VEC_MAX_DIM);
	size_t rec = 4 + 4 * (size_t)d;
	if (len % rec)
		return cr_fail(m, CR_ECORRUPT, "fvecs: %zu bytes is not a whole number of %zu-byte records (truncated?)",
			       len, rec);
	f->p = p;
	f->len = len;
	f->dim = (int)d;
	f->n = len / rec;
	return CR_OK;
}

cr_err cr_fvecs_row(const cr_fvecs *f, size_t i, float *out, cr_msg *m)
{
	if (i >= f->n)
		return cr_fail(m, CR_EINVAL, "fvecs: vector %zu of %zu", i, f->n);
	size_t rec = 4 + 4 * (size_t)f->dim;
	const uint8_t *r = f->p + i * rec;
	int32_t d;
	memcpy(&d, r, 4);
	if (d != f->dim)
		return cr_fail(m, CR_ECORRUPT, "fvecs: vector %zu has dimension %d, the first %d", i, (int)d, f->dim);
	memcpy(out, r + 4, 4 * (size_t)f->dim);
	for (int j = 0; j < f->dim; j++)
		if (!isfinite(out[j]))
			return cr_fail(m, CR_ECORRUPT, "fvecs: vector %zu value %d is not finite", i, j);
	return CR_OK;
}
