/*
 * test_kernels.c — the tensor kernels against their scalar twins and against
 * GGML itself.
 *
 * - fp16/bf16 conversions: exhaustive round trips, ties to even.
 * - block layouts: our dequantization of random blocks equals GGML's
 *   (libggml-base from the llama.cpp oracle, dlopened; that case is skipped
 *   when the oracle is not installed), and our quantizer's RMSE is compared
 *   with GGML's reference quantizer on the same data.
 * - quantize → dequantize RMSE per type under stated bounds.
 * - every SIMD level the CPU has: activation quantizer + gemm tile, dot
 *   helpers vs ref on sizes 1, 2, 3, 7, 15, 17, 33, 127, 1023 (rows and
 *   blocks) from unaligned pointers; the f16 KV cache helpers (f32 ↔ f16
 *   conversions bit-exact, including ties, subnormals, overflow and
 *   exhaustively all halves; the f16 axpy).
 * - cr_matmul with m = 1..17 and odd row counts, with and without the pool,
 *   vs a double-precision product of the dequantized weights, under the
 *   worst-case bound of activation quantization.
 * - the pool under many tiny runs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dlfcn.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llm/cpu/quant.h"

static const int sizes[] = {1, 2, 3, 7, 15, 17, 33, 127, 1023};
static const cr_ttype wtypes[] = {CR_TT_F32, CR_TT_F16, CR_TT_BF16, CR_TT_Q4_0, CR_TT_Q8_0,
				  CR_TT_Q4_K, CR_TT_Q5_K, CR_TT_Q6_K};
static const char *const levels[] = {"ref", "avx2", "avx512"};

/* deterministic Gaussian-ish numbers */
static uint64_t rng = 0x9E3779B97F4A7C15ull;
static double urand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / 9007199254740992.0;
}
static float grand(void)
{
	double u = urand() + 1e-12, v = urand();
	return (float)(sqrt(-2 * log(u)) * cos(6.283185307179586 * v));
}
static void fill(float *x, int64_t n, float scale)
{
	for (int64_t i = 0; i < n; i++)
		x[i] = grand() * scale;
}

static const char *tname(cr_ttype t)
{
	switch (t) {
	case CR_TT_F32: return "f32";
	case CR_TT_F16: return "f16";
	case CR_TT_BF16: return "bf16";
	case CR_TT_Q4_0: return "q4_0";
	case CR_TT_Q8_0: return "q8_0";
	case CR_TT_Q4_K: return "q4_k";
	case CR_TT_Q5_K: return "q5_k";
	case CR_TT_Q6_K: return "q6_k";
	case CR_TT_Q8_K: return "q8_k";
	default: return "?";
	}
}

/* ---- fp16 / bf16 ----------------------------------------------------------- */

static void test_f16(void **st)
{
	for (uint32_t h = 0; h < 65536; h++) {
		float f = cr_f16_to_f32((uint16_t)h);
		if (isnan(f))
			continue;
		assert_int_equal(cr_f32_to_f16(f), h);
	}
	assert_int_equal(cr_f32_to_f16(1.0f), 0x3c00);
	assert_int_equal(cr_f32_to_f16(65504.0f), 0x7bff);
	assert_int_equal(cr_f32_to_f16(65519.0f), 0x7bff);
	assert_int_equal(cr_f32_to_f16(65520.0f), 0x7c00);
	assert_int_equal(cr_f32_to_f16(-INFINITY), 0xfc00);
	assert_true((cr_f32_to_f16(NAN) & 0x7fff) > 0x7c00);
	/* ties to even: 1 + 2^-11 is halfway between 1 and 1 + 2^-10 */
	assert_int_equal(cr_f32_to_f16(1.0f + 0x1p-11f), 0x3c00);
	assert_int_equal(cr_f32_to_f16(1.0f + 3 * 0x1p-11f), 0x3c02);
	assert_int_equal(cr_f32_to_f16(0x1p-25f), 0x0000);        /* tie to 0 */
	assert_int_equal(cr_f32_to_f16(0x1p-25f * 3), 0x0002);    /* tie to even 2 */
	assert_int_equal(cr_f32_to_f16(0x1p-24f), 0x0001);
	assert_int_equal(cr_f32_to_f16(0x1p-14f - 0x1p-26f), 0x0400); /* rounds up to min normal */
	/* random floats: the result is the nearest half */
	for (int i = 0; i < 200000; i++) {
		float f = (float)((urand() - 0.5) * pow(2.0, (int)(urand() * 40) - 26));
		uint16_t h = cr_f32_to_f16(f);
		float g = cr_f16_to_f32(h);
		float up = cr_f16_to_f32((uint16_t)(h + 1)), dn = cr_f16_to_f32((uint16_t)(h - 1));
		if ((h & 0x7fff) != 0 && (h & 0x7fff) < 0x7bff) {
			assert_true(fabs((double)f - g) <= fabs((double)f - up));
			assert_true(fabs((double)f - g) <= fabs((double)f - dn));
		}
	}
	for (uint32_t h = 0; h < 65536; h++) {
		float f = cr_bf16_to_f32((uint16_t)h);
		if (isnan(f))
			continue;
		assert_int_equal(cr_f32_to_bf16(f), h);
	}
	assert_int_equal(cr_f32_to_bf16(1.0f + 0x1p-8f), 0x3f80);     /* tie to even */
	assert_int_equal(cr_f32_to_bf16(1.0f + 3 * 0x1p-8f), 0x3f82);
}

/* ---- quantize → dequantize RMSE ------------------------------------------- */

/* Relative RMSE bounds on N(0,1) rows (measured values are printed; GGML's
 * reference quantizers measure about the same, see test_ggml_oracle). */
static double rmse_bound(cr_ttype t)
{
	switch (t) {
	case CR_TT_F32: return 1e-7;
	case CR_TT_F16: return 5e-4;
	case CR_TT_BF16: return 3e-3;
	case CR_TT_Q8_0: return 0.006;
	case CR_TT_Q8_K: return 0.008;
	case CR_TT_Q6_K: return 0.025;
	case CR_TT_Q5_K: return 0.045;
	case CR_TT_Q4_K: return 0.09;
	case CR_TT_Q4_0: return 0.12;
	default: return 0;
	}
}

static double quant_rmse(cr_ttype t, const float *x, int64_t n)
{
	void *q = malloc(cr_cpu_row_bytes(t, n));
	float *y = malloc((size_t)n * 4);
	assert_int_equal(cr_quant_row(t, x, q, n), CR_OK);
	cr_dequant_row(t, q, y, n);
	double se = 0, sx = 0;
	for (int64_t i = 0; i < n; i++) {
		se += ((double)x[i] - y[i]) * ((double)x[i] - y[i]);
		sx += (double)x[i] * x[i];
	}
	free(q);
	free(y);
	return sqrt(se / sx);
}

static void test_quant_rmse(void **st)
{
	const int64_t n = 256 * 64;
	float *x = malloc(n * 4);
	fill(x, n, 1.0f);
	static const cr_ttype all[] = {CR_TT_F32, CR_TT_F16, CR_TT_BF16, CR_TT_Q4_0, CR_TT_Q8_0,
				       CR_TT_Q4_K, CR_TT_Q5_K, CR_TT_Q6_K, CR_TT_Q8_K};
	for (size_t i = 0; i < CR_ARRAY_LEN(all); i++) {
		double e = quant_rmse(all[i], x, n);
		printf("# rmse %-5s %.5f (bound %.4f)\n", tname(all[i]), e, rmse_bound(all[i]));
		assert_true(e <= rmse_bound(all[i]));
	}
	/* shifted and scaled data, constant rows, zeros: still valid blocks */
	for (int64_t i = 0; i < n; i++)
		x[i] = x[i] * 0.01f + 0.05f;
	for (size_t i = 3; i < CR_ARRAY_LEN(all); i++)
		assert_true(quant_rmse(all[i], x, n) <= rmse_bound(all[i]) * 1.5);
	for (int64_t i = 0; i < n; i++)
		x[i] = (i / 300) % 2 ? 0.0f : 1.5f;
	for (size_t i = 3; i < CR_ARRAY_LEN(all); i++)
		assert_true(quant_rmse(all[i], x, n) <= rmse_bound(all[i]));
	assert_int_equal(cr_quant_row(CR_TT_Q4_K, x, x, 100), CR_EINVAL);
	assert_int_equal(cr_quant_row(CR_TT_Q5_1, x, x, 64), CR_EUNSUPPORTED);
	free(x);
}

/* ---- GGML as the oracle of block layouts ---------------------------------- */

struct ggml_traits { /* ggml.h: struct ggml_type_traits */
	const char *type_name;
	int64_t blck_size, blck_size_interleave;
	size_t type_size;
	_Bool is_quantized;
	void (*to_float)(const void *x, float *y, int64_t k);
	void (*from_float_ref)(const float *x, void *y, int64_t k);
};

static void test_ggml_oracle(void **st)
{
	const char *src = getenv("CR_SOURCE_DIR");
	char path[1024];
	snprintf(path, sizeof path,
		 "%s/tools/oracle/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/libggml-base.so",
		 src ? src : ".");
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		printf("# libggml-base not found (%s): skipping the layout oracle\n", path);
		skip();
	}
	const struct ggml_traits *(*traits)(int) = (const struct ggml_traits *(*)(int))dlsym(h, "ggml_get_type_traits");
	size_t (*qchunk)(int, const float *, void *, int64_t, int64_t, int64_t, const float *) =
		(size_t(*)(int, const float *, void *, int64_t, int64_t, int64_t, const float *))dlsym(h, "ggml_quantize_chunk");
	assert_non_null(traits);
	assert_non_null(qchunk);
	const int64_t n = 256 * 32;
	float *x = malloc(n * 4), *y0 = malloc(n * 4), *y1 = malloc(n * 4);
	uint8_t *q = malloc(n * 4 + 64);
	static const cr_ttype all[] = {CR_TT_F16, CR_TT_BF16, CR_TT_Q4_0, CR_TT_Q8_0,
				       CR_TT_Q4_K, CR_TT_Q5_K, CR_TT_Q6_K, CR_TT_Q8_K};
	for (size_t i = 0; i < CR_ARRAY_LEN(all); i++) {
		cr_ttype t = all[i];
		const struct ggml_traits *tr = traits((int)t);
		assert_int_equal(tr->blck_size, cr_cpu_block(t));
		assert_int_equal(tr->type_size, cr_cpu_block_bytes(t));
		/* (a) random bytes as blocks: both dequantizations agree. fp16
		 * fields are kept finite so comparisons make sense. */
		size_t bytes = cr_cpu_row_bytes(t, n);
		for (size_t b = 0; b < bytes; b++)
			q[b] = (uint8_t)(urand() * 256);
		size_t bb = cr_cpu_block_bytes(t);
		for (size_t b = 0; b < bytes / bb; b++) {
			uint8_t *blk = q + b * bb;
			switch (t) {
			case CR_TT_Q4_0: case CR_TT_Q8_0: case CR_TT_Q4_K: case CR_TT_Q5_K:
				blk[1] &= 0x3b; /* |d| < 2 */
				if (t == CR_TT_Q4_K || t == CR_TT_Q5_K)
					blk[3] &= 0x3b;
				break;
			case CR_TT_Q6_K: blk[209] &= 0x3b; break;
			case CR_TT_Q8_K: { float d = (float)urand(); memcpy(blk, &d, 4); break; }
			case CR_TT_F16: case CR_TT_BF16: blk[1] &= 0x3b; break;
			default: break;
			}
		}
		if (tr->to_float) {
			tr->to_float(q, y0, n);
			cr_dequant_row(t, q, y1, n);
			for (int64_t k = 0; k < n; k++)
				if (fabsf(y0[k] - y1[k]) > 1e-6f * (1 + fabsf(y0[k]))) {
					printf("# %s element %ld: ggml %g ours %g\n", tname(t), (long)k, y0[k], y1[k]);
					fail();
				}
		}
		/* (b) quantizer quality vs GGML's on the same data */
		if (t == CR_TT_Q8_K)
			continue;
		fill(x, n, 1.0f);
		double ours = quant_rmse(t, x, n);
		qchunk((int)t, x, q, 0, n / 1024, 1024, NULL);
		cr_dequant_row(t, q, y0, n);
		double se = 0, sx = 0;
		for (int64_t k = 0; k < n; k++) {
			se += ((double)x[k] - y0[k]) * ((double)x[k] - y0[k]);
			sx += (double)x[k] * x[k];
		}
		double theirs = sqrt(se / sx);
		printf("# rmse %-5s ours %.5f ggml %.5f (ratio %.3f)\n", tname(t), ours, theirs, ours / theirs);
		assert_true(ours <= theirs * 1.10 + 1e-7);
	}
	free(x);
	free(y0);
	free(y1);
	free(q);
	dlclose(h);
}

/* ---- SIMD vs ref ---------------------------------------------------------- */

/* n elements of weights of type t, quantized from Gaussian data; returned
 * misaligned (for off != 0) by as much as the type allows: GGUF data is
 * 32-byte aligned, so float rows keep their element alignment and quantized
 * blocks (18, 34, 144, 176, 210 bytes) their 2-byte fields' alignment. */
static void *make_weights(cr_ttype t, int64_t rows, int64_t cols, int off, void **base)
{
	size_t rb = cr_cpu_row_bytes(t, cols);
	uint8_t *p = malloc(rb * (size_t)rows + 128);
	float *x = malloc((size_t)cols * 4);
	uint8_t *w = (uint8_t *)(((uintptr_t)p + 63) & ~(uintptr_t)63) + (off ? (t == CR_TT_F32 ? 4 : 2) : 0);
	for (int64_t r = 0; r < rows; r++) {
		fill(x, cols, 0.05f);
		assert_int_equal(cr_quant_row(t, x, w + rb * (size_t)r, cols), CR_OK);
	}
	free(x);
	*base = p;
	return w;
}

/* Quantizes m activation rows with a level's own quantizer (rows 64-byte
 * aligned as cr_matmul lays them out); returns the buffer and the stride. */
static uint8_t *quant_acts(const cr_mm_kern *mk, const float *x, int64_t m, int64_t cols, size_t *stride)
{
	if (!mk->act_quant) {
		*stride = (size_t)cols * 4;
		uint8_t *a = malloc(*stride * (size_t)m);
		memcpy(a, x, *stride * (size_t)m);
		return a;
	}
	*stride = (mk->act_bytes(cols) + 63) & ~(size_t)63;
	uint8_t *a = aligned_alloc(64, *stride * (size_t)m);
	memset(a, 0xA5, *stride * (size_t)m);
	for (int64_t i = 0; i < m; i++)
		mk->act_quant(x + i * cols, a + *stride * (size_t)i, cols);
	return a;
}

/* Compares one level's quantizer + gemm tile with ref's on the same data.
 * Every level quantizes activations to the same integers, so only float
 * reassociation separates the results. */
static void check_gemm(const cr_kern *k, cr_ttype t, int64_t rows, int64_t nblk, int64_t m, int off)
{
	const cr_kern *ref = cr_kern_by_name("ref");
	int bs = cr_cpu_block(t) == 1 ? 32 : cr_cpu_block(t);
	int64_t cols = nblk * bs;
	void *wbase;
	const void *w = make_weights(t, rows, cols, off, &wbase);
	size_t wst = cr_cpu_row_bytes(t, cols);
	float *x = malloc((size_t)(m * cols) * 4);
	fill(x, m * cols, 1.0f);
	if (nblk > 2)
		memset(x + bs, 0, (size_t)bs * 4); /* an all-zero block */
	size_t ast0, ast1;
	uint8_t *a0 = quant_acts(&ref->mm[t], x, m, cols, &ast0);
	uint8_t *a1 = quant_acts(&k->mm[t], x, m, cols, &ast1);
	float *y0 = malloc((size_t)(m * rows) * 4), *y1 = malloc((size_t)(m * rows) * 4 + 4);
	float *y1u = (float *)((char *)y1 + (off ? 4 : 0));
	ref->mm[t].gemm(cols, w, wst, rows, a0, ast0, m, y0, rows);
	k->mm[t].gemm(cols, w, wst, rows, a1, ast1, m, y1u, rows);
	/* bound: float reassociation over the sum of |terms| */
	cr_ttype at = cr_cpu_act_type(t);
	float *wr = malloc((size_t)cols * 4), *ar = malloc((size_t)cols * 4);
	for (int64_t r = 0; r < rows; r++) {
		cr_dequant_row(t, (const char *)w + wst * (size_t)r, wr, cols);
		for (int64_t i = 0; i < m; i++) {
			if (at == CR_TT_F32)
				memcpy(ar, x + i * cols, (size_t)cols * 4);
			else
				cr_dequant_row(at, a0 + ast0 * (size_t)i, ar, cols);
			double mag = 0;
			for (int64_t c = 0; c < cols; c++)
				mag += fabs((double)wr[c] * ar[c]);
			double e = fabs((double)y0[i * rows + r] - y1u[i * rows + r]);
			if (!(e <= 1e-5 * mag + 1e-30)) {
				printf("# %s %s rows %ld blocks %ld m %ld: y[%ld][%ld] ref %.7g got %.7g (mag %g)\n",
				       k->name, tname(t), (long)rows, (long)nblk, (long)m, (long)i, (long)r,
				       y0[i * rows + r], y1u[i * rows + r], mag);
				fail();
			}
		}
	}
	free(wr);
	free(ar);
	free(wbase);
	free(x);
	free(a0);
	free(a1);
	free(y0);
	free(y1);
}

static void test_gemm_levels(void **st)
{
	int tested = 0;
	for (int l = 1; l < 3; l++) {
		const cr_kern *k = cr_kern_by_name(levels[l]);
		if (!k)
			continue;
		for (size_t ti = 0; ti < CR_ARRAY_LEN(wtypes); ti++) {
			cr_ttype t = wtypes[ti];
			/* rows over the sizes (a few blocks), blocks over the sizes
			 * (a few rows), m from 1 to 17 */
			for (size_t si = 0; si < CR_ARRAY_LEN(sizes); si++) {
				int64_t big = sizes[si];
				int64_t nb_cap = cr_cpu_block(t) == CR_QK_K ? 127 : 1023;
				check_gemm(k, t, big, 3, 1, (int)si % 2);
				if (big <= nb_cap)
					check_gemm(k, t, 3, big, 2, 1);
			}
			for (int64_t m = 1; m <= 17; m++)
				check_gemm(k, t, m % 2 ? 17 : 9, 2, m, (int)m % 2);
			tested++;
		}
	}
	printf("# gemm: %d type×level combinations against ref (level in use: %s)\n", tested,
	       cr_cpu_level());
}

/* cr_gemm_f32 (C = A·B, strided): every level against ref's double sums,
 * odd shapes so every row-block and column-tail case runs, strides wider
 * than the rows, and C's padding between rows left untouched. */
static void test_gemm_f32(void **st)
{
	(void)st;
	const cr_kern *ref = cr_kern_by_name("ref");
	static const int64_t shapes[][3] = {
		{1, 1, 1}, {1, 5, 3}, {7, 13, 64}, {6, 32, 64}, {5, 33, 17}, {13, 47, 64}, {64, 64, 64},
		{11, 64, 129}, {2, 17, 512}, {31, 100, 7}, {12, 16, 1}, {3, 8, 9},
	};
	int tested = 0;
	for (int l = 0; l < 3; l++) {
		const cr_kern *k = cr_kern_by_name(levels[l]);
		if (!k)
			continue;
		for (size_t si = 0; si < CR_ARRAY_LEN(shapes); si++) {
			int64_t m = shapes[si][0], n = shapes[si][1], kk = shapes[si][2];
			int64_t lda = kk + 3, ldb = n + 5, ldc = n + 2;
			float *A = malloc((size_t)(m * lda) * 4), *B = malloc((size_t)(kk * ldb) * 4);
			float *C0 = malloc((size_t)(m * ldc) * 4), *C1 = malloc((size_t)(m * ldc) * 4);
			fill(A, m * lda, 1.0f);
			fill(B, kk * ldb, 1.0f);
			for (int64_t i = 0; i < m * ldc; i++)
				C0[i] = C1[i] = 12345.0f;
			ref->gemm_f32(m, n, kk, A, lda, B, ldb, C0, ldc);
			k->gemm_f32(m, n, kk, A, lda, B, ldb, C1, ldc);
			for (int64_t i = 0; i < m; i++)
				for (int64_t j = 0; j < ldc; j++) {
					float a = C0[i * ldc + j], b = C1[i * ldc + j];
					if (j >= n) {
						assert_true(a == 12345.0f && b == 12345.0f);
						continue;
					}
					double mag = 0, exact = 0;
					for (int64_t p = 0; p < kk; p++) {
						mag += fabs((double)A[i * lda + p] * B[p * ldb + j]);
						exact += (double)A[i * lda + p] * B[p * ldb + j];
					}
					assert_true(fabs((double)a - exact) <= 1e-6 * mag + 1e-7);
					if (fabs((double)a - b) > 1e-5 * mag + 1e-6)
						fail_msg("gemm_f32 %s %lldx%lldx%lld at (%lld,%lld): %g vs ref %g", levels[l],
							 (long long)m, (long long)n, (long long)kk, (long long)i, (long long)j,
							 b, a);
				}
			free(A);
			free(B);
			free(C0);
			free(C1);
			tested++;
		}
	}
	assert_true(tested >= (int)CR_ARRAY_LEN(shapes));
}

/* cr_softmax_f32 and cr_swiglu_f32: every level's polynomial exp against
 * ref's expf, odd lengths (tails), wide ranges (underflow to ~0, large
 * gates whose silu is the identity or 0). */
static void test_exp_helpers(void **st)
{
	(void)st;
	const cr_kern *ref = cr_kern_by_name("ref");
	static const int64_t lens[] = {1, 3, 8, 15, 16, 17, 33, 64, 101, 512};
	for (int l = 1; l < 3; l++) {
		const cr_kern *k = cr_kern_by_name(levels[l]);
		if (!k)
			continue;
		for (size_t li = 0; li < CR_ARRAY_LEN(lens); li++) {
			int64_t n = lens[li];
			float *x0 = malloc((size_t)n * 4), *x1 = malloc((size_t)n * 4), *u = malloc((size_t)n * 4);
			for (float sc = 1.0f; sc <= 1000.0f; sc *= 10.0f) {
				fill(x0, n, sc);
				fill(u, n, 1.0f);
				memcpy(x1, x0, (size_t)n * 4);
				float s0 = ref->softmax_f32(x0, n, 0.125f), s1 = k->softmax_f32(x1, n, 0.125f);
				assert_true(fabsf(s0 - s1) <= 1e-6f * s0);
				for (int64_t i = 0; i < n; i++)
					assert_true(fabsf(x0[i] - x1[i]) <= 2e-7f * x0[i] + 1e-30f);
				fill(x0, n, sc);
				memcpy(x1, x0, (size_t)n * 4);
				ref->swiglu_f32(x0, u, n);
				k->swiglu_f32(x1, u, n);
				for (int64_t i = 0; i < n; i++)
					if (fabsf(x0[i] - x1[i]) > 3e-7f * fabsf(x0[i]) + 1e-30f)
						fail_msg("swiglu %s n=%lld: %g vs ref %g", levels[l], (long long)n, x1[i],
							 x0[i]);
			}
			free(x0);
			free(x1);
			free(u);
		}
	}
}

static void test_dot_helpers(void **st)
{
	const cr_kern *ref = cr_kern_by_name("ref");
	for (int l = 1; l < 3; l++) {
		const cr_kern *k = cr_kern_by_name(levels[l]);
		if (!k)
			continue;
		for (size_t si = 0; si < CR_ARRAY_LEN(sizes); si++) {
			int64_t n = sizes[si] * 3 + (int64_t)si; /* odd lengths, tails */
			float *a = malloc((size_t)n * 4 + 4), *b = malloc((size_t)n * 4 + 4);
			uint16_t *h = malloc((size_t)n * 2 + 2);
			float *au = a + 1;
			fill(au, n, 1.0f);
			fill(b, n, 1.0f);
			double mag = 0;
			for (int64_t i = 0; i < n; i++) {
				h[i + 1] = cr_f32_to_f16(au[i]);
				mag += fabs((double)au[i] * b[i]);
			}
			assert_true(fabsf(ref->dot_f32(au, b, n) - k->dot_f32(au, b, n)) <= 1e-5 * mag + 1e-6);
			assert_true(fabsf(ref->dot_f16_f32(h + 1, b, n) - k->dot_f16_f32(h + 1, b, n)) <=
				    1e-5 * mag + 1e-6);
			float *y0 = malloc((size_t)n * 4), *y1 = malloc((size_t)n * 4 + 4);
			memcpy(y0, b, (size_t)n * 4);
			memcpy(y1 + 1, b, (size_t)n * 4);
			ref->axpy_f32(y0, 0.37f, au, n);
			k->axpy_f32(y1 + 1, 0.37f, au, n);
			for (int64_t i = 0; i < n; i++)
				assert_true(fabsf(y0[i] - y1[i + 1]) <= 1e-6f * (1 + fabsf(y0[i])));
			free(a);
			free(b);
			free(h);
			free(y0);
			free(y1);
		}
	}
}

/* Values that exercise f32 → f16 rounding: ordinary magnitudes, half
 * subnormals, exact ties (even and odd), overflow to inf, ±inf, ±0, NaN. */
static float f16_case(int64_t i)
{
	switch (i % 11) {
	case 0: return grand() * 1e-6f;                  /* half subnormal range */
	case 1: return 1.0f + 0x1p-11f;                  /* tie, rounds to even (down) */
	case 2: return -(1.0f + 3 * 0x1p-11f);           /* tie, rounds to even (up) */
	case 3: return grand() * 70000.0f;               /* some overflow to inf */
	case 4: return (i & 1) ? INFINITY : -0.0f;
	case 5: return 0x1p-25f * 3;                     /* subnormal tie */
	case 6: return (i % 7 == 0) ? NAN : 65519.0f;    /* NaN; largest finite after rounding */
	default: return grand() * 4.0f;
	}
}

/* The f16 KV cache helpers: conversions bit-exact against ref (NaN stays
 * NaN), exhaustively for f16 → f32; the f16 axpy within float rounding. */
static void test_f16_helpers(void **st)
{
	const cr_kern *ref = cr_kern_by_name("ref");
	/* ref is the scalar conversion */
	uint16_t hs[64];
	float fs[64], fb[64];
	for (int i = 0; i < 64; i++)
		fs[i] = f16_case(i);
	ref->cvt_f32_f16(hs, fs, 64);
	ref->cvt_f16_f32(fb, hs, 64);
	for (int i = 0; i < 64; i++) {
		assert_int_equal(hs[i], cr_f32_to_f16(fs[i]));
		if (!isnan(fs[i]))
			assert_memory_equal(&fb[i], &(float){cr_f16_to_f32(hs[i])}, 4);
	}
	uint16_t *all = malloc(2 * 65537);
	float *f0 = malloc(4 * 65536), *f1 = malloc(4 * 65537);
	for (uint32_t h = 0; h < 65536; h++)
		all[h + 1] = (uint16_t)h;
	ref->cvt_f16_f32(f0, all + 1, 65536);
	for (int l = 1; l < 3; l++) {
		const cr_kern *k = cr_kern_by_name(levels[l]);
		if (!k)
			continue;
		k->cvt_f16_f32(f1 + 1, all + 1, 65536);
		for (uint32_t h = 0; h < 65536; h++) {
			if (isnan(f0[h]))
				assert_true(isnan(f1[h + 1]));
			else
				assert_memory_equal(&f0[h], &f1[h + 1], 4);
		}
		for (size_t si = 0; si < CR_ARRAY_LEN(sizes); si++) {
			int64_t n = sizes[si] * 3 + (int64_t)si; /* odd lengths, tails */
			float *a = malloc((size_t)n * 4 + 4), *b = malloc((size_t)n * 4 + 4);
			uint16_t *h0 = malloc((size_t)n * 2 + 4), *h1 = malloc((size_t)n * 2 + 4);
			float *au = a + 1;
			for (int64_t i = 0; i < n; i++)
				au[i] = f16_case(i + (int64_t)si);
			/* guards: nothing past n is written */
			h0[n] = h1[n + 1] = 0xABCD;
			ref->cvt_f32_f16(h0, au, n);
			k->cvt_f32_f16(h1 + 1, au, n);
			for (int64_t i = 0; i < n; i++) {
				if (isnan(au[i]))
					assert_true((h1[i + 1] & 0x7fff) > 0x7c00);
				else if (h0[i] != h1[i + 1]) {
					printf("# cvt_f32_f16 %s n %ld [%ld] %a: ref %04x got %04x\n", k->name, (long)n,
					       (long)i, (double)au[i], h0[i], h1[i + 1]);
					fail();
				}
			}
			assert_int_equal(h1[n + 1], 0xABCD);
			b[n] = 1234.5f;
			k->cvt_f16_f32(b, h1 + 1, n);
			for (int64_t i = 0; i < n; i++)
				if (!isnan(au[i]))
					assert_memory_equal(&b[i], &(float){cr_f16_to_f32(h0[i])}, 4);
			assert_true(b[n] == 1234.5f);
			/* axpy over finite halves */
			for (int64_t i = 0; i < n; i++)
				h0[i + 1] = cr_f32_to_f16(grand());
			float *y0 = malloc((size_t)n * 4 + 4), *y1 = malloc((size_t)n * 4 + 8);
			fill(y0, n, 1.0f);
			memcpy(y1 + 1, y0, (size_t)n * 4);
			y1[n + 1] = 7.0f;
			ref->axpy_f16_f32(y0, -0.37f, h0 + 1, n);
			k->axpy_f16_f32(y1 + 1, -0.37f, h0 + 1, n);
			for (int64_t i = 0; i < n; i++)
				assert_true(fabsf(y0[i] - y1[i + 1]) <= 1e-6f * (1 + fabsf(y0[i])));
			assert_true(y1[n + 1] == 7.0f);
			free(a);
			free(b);
			free(h0);
			free(h1);
			free(y0);
			free(y1);
		}
	}
	free(all);
	free(f0);
	free(f1);
	(void)st;
}

/* ---- cr_matmul end to end ------------------------------------------------- */

static void check_matmul(cr_pool *pool, const cr_kern *k, cr_ttype t, int64_t rows, int64_t cols, int64_t m)
{
	void *wbase;
	const void *w = make_weights(t, rows, cols, 1, &wbase);
	size_t wst = cr_cpu_row_bytes(t, cols);
	float *x = malloc((size_t)(m * cols) * 4), *y = malloc((size_t)(m * rows) * 4);
	fill(x, m * cols, 1.0f);
	cr_matmul_with(k, pool, t, w, rows, cols, x, m, y);
	float *wr = malloc((size_t)cols * 4);
	cr_ttype at = cr_cpu_act_type(t);
	for (int64_t r = 0; r < rows; r++) {
		cr_dequant_row(t, (const char *)w + wst * (size_t)r, wr, cols);
		double wn = 0;
		for (int64_t c = 0; c < cols; c++)
			wn += (double)wr[c] * wr[c];
		for (int64_t i = 0; i < m; i++) {
			const float *xi = x + i * cols;
			double s = 0, amax = 0, mag = 0;
			for (int64_t c = 0; c < cols; c++) {
				s += (double)wr[c] * xi[c];
				amax = fmax(amax, fabs(xi[c]));
				mag += fabs((double)wr[c] * xi[c]);
			}
			/* worst case of rounding each activation to a grid of
			 * step amax/127 (plus fp16 rounding of the scale), and
			 * float accumulation */
			double bound = 1e-5 * mag + 1e-6;
			if (at != CR_TT_F32)
				bound += sqrt(wn) * sqrt((double)cols) * amax / 254.0 * 1.01 + 1e-3 * mag;
			double e = fabs(s - y[i * rows + r]);
			if (e > bound) {
				printf("# matmul %s %s rows %ld cols %ld m %ld: [%ld][%ld] want %.6g got %.6g bound %.3g\n",
				       k->name, tname(t), (long)rows, (long)cols, (long)m, (long)i, (long)r, s,
				       y[i * rows + r], bound);
				fail();
			}
		}
	}
	free(wr);
	free(wbase);
	free(x);
	free(y);
}

/* Q4_0 interleaved by 16 rows (x16.c, batched generation): cr_x16_ref is
 * the truth, every level's x16 product must equal it exactly (same integer
 * sums, same fused float operations), and it must agree with the GGML-layout
 * reference product (cr_matmul_with ref) within float rounding, which
 * quantizes the activations the same way. Odd group counts, short and long
 * rows, 1 to 17 activation rows, with and without the pool. */
static void test_x16(void **st)
{
	(void)st;
	cr_pool *pool;
	assert_int_equal(cr_pool_new(3, &pool), CR_OK);
	const cr_kern *ref = cr_kern_by_name("ref");
	static const int64_t shapes[][2] = {{16, 32}, {48, 96}, {80, 896}, {32, 4864}};
	for (size_t si = 0; si < CR_ARRAY_LEN(shapes); si++) {
		int64_t rows = shapes[si][0], cols = shapes[si][1];
		void *wbase;
		const void *w = make_weights(CR_TT_Q4_0, rows, cols, 0, &wbase);
		void *w16 = malloc(cr_x16_bytes(rows, cols));
		cr_x16_repack(w, w16, rows, cols);
		for (int64_t m = 1; m <= 17; m++) {
			float *x = malloc((size_t)(m * cols) * 4), *y0 = malloc((size_t)(m * rows) * 4);
			float *y1 = malloc((size_t)(m * rows) * 4), *yg = malloc((size_t)(m * rows) * 4);
			fill(x, m * cols, 1.0f);
			cr_matmul_x16_with(ref, NULL, w16, rows, cols, x, m, y0);
			cr_matmul_with(ref, NULL, CR_TT_Q4_0, w, rows, cols, x, m, yg);
			for (int64_t i = 0; i < m * rows; i++)
				if (fabsf(y0[i] - yg[i]) > 1e-4f * (1.0f + fabsf(yg[i])))
					fail_msg("x16 ref vs GGML layout, %lldx%lld m %lld at %lld: %g vs %g", (long long)rows,
						 (long long)cols, (long long)m, (long long)i, y0[i], yg[i]);
			for (int l = 1; l < 3; l++) {
				const cr_kern *k = cr_kern_by_name(levels[l]);
				if (!k)
					continue;
				if (k->x16_act) { /* the level's activation bytes are the reference's */
					size_t ab = cr_x16_act_bytes(cols);
					char *a0 = calloc(1, ab), *a1 = calloc(1, ab);
					cr_x16_act(x, a0, cols);
					k->x16_act(x, a1, cols);
					assert_memory_equal(a0, a1, (size_t)(cols / 32) * 40);
					free(a0);
					free(a1);
				}
				cr_matmul_x16_with(k, m % 2 ? pool : NULL, w16, rows, cols, x, m, y1);
				for (int64_t i = 0; i < m * rows; i++)
					if (y1[i] != y0[i])
						fail_msg("x16 %s %lldx%lld m %lld at %lld: %g vs ref %g", levels[l],
							 (long long)rows, (long long)cols, (long long)m, (long long)i, y1[i], y0[i]);
			}
			free(x);
			free(y0);
			free(y1);
			free(yg);
		}
		free(w16);
		free(wbase);
	}
	cr_pool_free(pool);
}

static void test_matmul(void **st)
{
	cr_pool *pool;
	assert_int_equal(cr_pool_new(3, &pool), CR_OK);
	for (int l = 0; l < 3; l++) {
		const cr_kern *k = cr_kern_by_name(levels[l]);
		if (!k)
			continue;
		for (size_t ti = 0; ti < CR_ARRAY_LEN(wtypes); ti++) {
			cr_ttype t = wtypes[ti];
			int64_t cols = cr_cpu_block(t) == CR_QK_K ? 512 : 96;
			for (int64_t m = 1; m <= 17; m += (l ? 1 : 4)) {
				check_matmul(m % 3 ? pool : NULL, k, t, 67, cols, m);
			}
			check_matmul(pool, k, t, 1023, cols, 1);
			check_matmul(pool, k, t, 5, cols * 3, 33);
			/* prompt-sized: the AMX path where present (row and
			 * activation-group tails) */
			check_matmul(pool, k, t, 67, cols, 40);
		}
	}
	/* the public entry uses the dispatched level */
	float x[64], y[3];
	uint8_t w[3 * 68];
	fill(x, 64, 1.0f);
	for (int r = 0; r < 3; r++)
		assert_int_equal(cr_quant_row(CR_TT_Q8_0, x, w + 68 * r, 64), CR_OK);
	cr_matmul(pool, CR_TT_Q8_0, w, 3, 64, x, 1, y);
	double s = 0;
	for (int c = 0; c < 64; c++)
		s += (double)x[c] * x[c];
	assert_true(fabs(y[0] - s) < 0.02 * s);
	cr_pool_free(pool);
}

/* ---- pool ----------------------------------------------------------------- */

typedef struct pool_ctx {
	_Atomic int hits[64];
	_Atomic long total;
} pool_ctx;

static void pool_fn(void *v, int i, int n)
{
	pool_ctx *c = v;
	atomic_fetch_add(&c->hits[i], 1);
	atomic_fetch_add(&c->total, n);
}

static void test_pool_tiny(void **st)
{
	for (int nt = 1; nt <= 4; nt++) {
		cr_pool *p;
		assert_int_equal(cr_pool_new(nt, &p), CR_OK);
		assert_int_equal(cr_pool_threads(p), nt);
		pool_ctx *c = calloc(1, sizeof *c);
		long want = 0;
		for (int run = 0; run < 20000; run++) {
			int n = 1 + run % 17;
			cr_pool_run(p, n, pool_fn, c);
			want += (long)n * n;
			/* every task of this run done before return */
			for (int i = 0; i < n; i++)
				assert_int_equal(atomic_load(&c->hits[i]), 1);
			for (int i = 0; i < n; i++)
				atomic_store(&c->hits[i], 0);
		}
		assert_int_equal(atomic_load(&c->total), want);
		cr_pool_run(p, 0, pool_fn, c);
		free(c);
		cr_pool_free(p);
	}
}

int main(void)
{
	printf("# cpu level %s\n", cr_cpu_level());
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_f16),
		cmocka_unit_test(test_quant_rmse),
		cmocka_unit_test(test_ggml_oracle),
		cmocka_unit_test(test_gemm_levels),
		cmocka_unit_test(test_dot_helpers),
		cmocka_unit_test(test_f16_helpers),
		cmocka_unit_test(test_gemm_f32),
		cmocka_unit_test(test_exp_helpers),
		cmocka_unit_test(test_matmul),
		cmocka_unit_test(test_x16),
		cmocka_unit_test(test_pool_tiny),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
