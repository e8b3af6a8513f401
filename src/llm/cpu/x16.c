/*
 * x16.c — Q4_0 weights interleaved by 16 rows, for the products of batched
 * generation steps (2 to a few dozen activation rows; llm/batch.c).
 *
 * In GGML's layout a dot product runs along one weight row, so a tile of n
 * rows × m activations pays per (row, activation, few blocks) a float
 * conversion and two FMAs besides the integer products, and a horizontal
 * sum per (row, activation) at the end; at 8 activation rows these, not the
 * products, are most of a step (measured on Qwen2-0.5B: ~22 MACs/cycle of a
 * VNNI core's 64). Interleaving 16 rows puts one row in each 32-bit lane:
 * a 64-byte load holds 4 quant bytes (8 nibbles) of each of 16 rows, and
 * vpdpbusd against 4 activation bytes broadcast to every lane advances all
 * 16 dot products at once; per block and activation row the float work is
 * one conversion and two FMAs for 16 rows, and the sums land in lanes = rows
 * (no horizontal sums).
 *
 * Layout, per group of 16 rows g and block b, 288 bytes at (g·nb + b)·288:
 *   [0, 32)    the 16 rows' f16 scales d (row r at 2r)
 *   [32, 288)  for k = 0..3: 64 bytes, row r's qs[4k .. 4k+3] at 4r
 * (low nibbles: elements 4k..4k+3, high: 16+4k..16+4k+3, as in the block).
 * Made once by cr_x16_repack (a second copy of the weights: the model keeps
 * its GGML copy for single sequences, whose results stay as they are).
 *
 * Activations (cr_x16_act): each row quantized exactly as the Q4_0 path
 * quantizes it (cr_ref_quant_q8_0: Q8_0 blocks), laid out as nb × 32 int8
 * quants, then nb float scales d, then nb float offsets −8·d·Σq (the −8 of
 * Q4_0's nibbles), the row padded to 64 bytes.
 *
 * x16_ref is the scalar truth; a level may provide cr_kern.x16_q4_0 (avx512
 * VNNI) computing the same sums in the same order (fmaf: identical results).
 */
#include <math.h>
#include <string.h>

#include "cpu/quant.h"

size_t cr_x16_bytes(int64_t rows, int64_t cols) { return (size_t)(rows / 16) * (size_t)(cols / 32) * 288; }

void cr_x16_repack(const void *src, void *dst, int64_t rows, int64_t cols)
{
	CR_ASSERT(rows % 16 == 0 && cols % 32 == 0);
	const int64_t nb = cols / 32;
	const cr_block_q4_0 *w = src;
	uint8_t *o = dst;
	for (int64_t g = 0; g < rows / 16; g++)
		for (int64_t b = 0; b < nb; b++, o += 288)
			for (int r = 0; r < 16; r++) {
				const cr_block_q4_0 *blk = w + (g * 16 + r) * nb + b;
				memcpy(o + 2 * r, &blk->d, 2);
				for (int k = 0; k < 4; k++)
					memcpy(o + 32 + 64 * k + 4 * r, blk->qs + 4 * k, 4);
			}
}

size_t cr_x16_act_bytes(int64_t cols) { return ((size_t)(cols / 32) * 40 + 63) & ~(size_t)63; }

void cr_x16_act(const float *x, void *a, int64_t cols)
{
	const int64_t nb = cols / 32;
	int8_t *q = a;
	float *d = (float *)(q + nb * 32), *off = d + nb;
	for (int64_t b = 0; b < nb; b++) {
		cr_block_q8_0 blk;
		cr_ref_quant_q8_0(x + b * 32, &blk, 32);
		memcpy(q + b * 32, blk.qs, 32);
		int s = 0;
		for (int e = 0; e < 32; e++)
			s += blk.qs[e];
		d[b] = cr_f16_to_f32(blk.d);
		off[b] = -8.0f * d[b] * (float)s;
	}
}

void cr_x16_ref(int64_t cols, const void *w, int64_t g0, int64_t g1, const void *a, size_t as, int64_t m,
		float *y, int64_t ys)
{
	const int64_t nb = cols / 32;
	for (int64_t g = g0; g < g1; g++)
		for (int64_t i = 0; i < m; i++) {
			const int8_t *q = (const int8_t *)((const char *)a + (size_t)i * as);
			const float *d = (const float *)(q + nb * 32), *off = d + nb;
			float acc[16] = {0};
			for (int64_t b = 0; b < nb; b++) {
				const uint8_t *p = (const uint8_t *)w + (size_t)(g * nb + b) * 288;
				for (int r = 0; r < 16; r++) {
					int32_t s = 0;
					for (int k = 0; k < 4; k++)
						for (int t = 0; t < 4; t++) {
							uint8_t v = p[32 + 64 * k + 4 * r + t];
							s += (v & 0xF) * q[b * 32 + 4 * k + t] + (v >> 4) * q[b * 32 + 16 + 4 * k + t];
						}
					uint16_t h;
					memcpy(&h, p + 2 * r, 2);
					float t = fmaf((float)s, d[b], off[b]);
					acc[r] = fmaf(cr_f16_to_f32(h), t, acc[r]);
				}
			}
			for (int r = 0; r < 16; r++)
				y[i * ys + g * 16 + r] = acc[r];
		}
}

typedef struct x16_job {
	cr_x16_fn fn;
	const void *w, *a;
	size_t as;
	int64_t cols, m, groups, per;
	float *y;
} x16_job;

static void x16_task(void *ctx, int i, int n)
{
	(void)n;
	x16_job *j = ctx;
	int64_t g0 = (int64_t)i * j->per, g1 = CR_MIN(j->groups, g0 + j->per);
	if (g0 < g1)
		j->fn(j->cols, j->w, g0, g1, j->a, j->as, j->m, j->y, j->groups * 16);
}

void cr_matmul_x16_with(const cr_kern *k, cr_pool *pool, const void *W16, int64_t rows, int64_t cols,
			const float *x, int64_t m, float *y)
{
	CR_ASSERT(rows % 16 == 0 && cols % 32 == 0 && m > 0);
	size_t as = cr_x16_act_bytes(cols);
	char *a = cr_cpu_scratch(0, as * (size_t)m);
	cr_quant_fn act = k->x16_act ? k->x16_act : cr_x16_act;
	for (int64_t i = 0; i < m; i++)
		act(x + i * cols, a + (size_t)i * as, cols);
	x16_job j = {k->x16_q4_0 ? k->x16_q4_0 : cr_x16_ref, W16, a, as, cols, m, rows / 16, 0, y};
	int nt = cr_pool_threads(pool);
	if (nt <= 1) {
		j.fn(cols, W16, 0, j.groups, a, as, m, y, rows);
		return;
	}
	/* about 8 tasks per thread (dynamic: a descheduled thread delays
	 * nobody by more than one), at least 2 groups each */
	j.per = CR_MAX(2, (j.groups + 8 * nt - 1) / (8 * nt));
	cr_pool_run(pool, (int)((j.groups + j.per - 1) / j.per), x16_task, &j);
}

int cr_x16_fast(void) { return cr_kern_get()->x16_q4_0 != NULL; }

void cr_matmul_x16(cr_pool *pool, const void *W16, int64_t rows, int64_t cols, const float *x, int64_t m, float *y)
{
	cr_matmul_x16_with(cr_kern_get(), pool, W16, rows, cols, x, m, y);
}
