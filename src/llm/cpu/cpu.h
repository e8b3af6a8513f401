/*
 * cpu.h — tensor kernels for the inference engine, chosen at run time.
 *
 * Every kernel exists first as portable C in ref.c (the truth the tests
 * compare against); x86/avx2.c and x86/avx512.c (built with their own ISA
 * flags) provide fast twins, and dispatch.c picks one per kernel from CPUID
 * at start-up. cr_cpu_configure (llm.h; the CLI's CR_CPU=ref or avx2)
 * forces a level.
 *
 * Block layouts are exactly GGML's (see quant.h): Q4_0, Q8_0, Q4_K, Q5_K,
 * Q6_K, Q8_K, F16, BF16, F32.
 */
#ifndef CR_LLM_CPU_H
#define CR_LLM_CPU_H

#include "cristal/base.h"
#include "cristal/llm.h"

typedef struct cr_cpu_caps {
	int avx2, fma, f16c, avx512f, avx512bw, avx512vl, avx512vnni, avx512bf16, avxvnni;
	int avx512dq, avx512vbmi, os_avx, os_avx512;
	int amx_tile, amx_int8, amx_bf16, os_amx; /* os_amx: the kernel granted tile state */ /* the OS saves the wide registers (XCR0) */
} cr_cpu_caps;
const cr_cpu_caps *cr_cpu_caps_get(void);
/* "ref", "avx2" or "avx512": what dispatch chose. */
const char *cr_cpu_level(void);

/* fp16 / bf16 conversions (scalar, exact round-to-nearest-even). */
float cr_f16_to_f32(uint16_t h);
uint16_t cr_f32_to_f16(float f);
float cr_bf16_to_f32(uint16_t h);
uint16_t cr_f32_to_bf16(float f);

/* Rows of weights in type t to float, and back (quantization for the model
 * generator and tests; n must be a multiple of the type's block). */
void cr_dequant_row(cr_ttype t, const void *src, float *dst, int64_t n);
cr_err cr_quant_row(cr_ttype t, const float *src, void *dst, int64_t n) CR_NODISCARD;

/*
 * y[i][r] = sum_c W[r][c] * x[i][c] for i < m, r < rows.
 * W: `rows` rows of `cols` elements of type wt, row-major (GGUF layout of a
 * linear layer's weight: ne0 = cols, ne1 = rows). x: m × cols floats,
 * y: m × rows floats. Activations are quantized internally as the type's
 * dot product needs (Q8_0 for Q4_0/Q8_0, Q8_K for k-quants). Work is split
 * over the pool (NULL = calling thread only).
 */
void cr_matmul(cr_pool *pool, cr_ttype wt, const void *W, int64_t rows, int64_t cols,
	       const float *x, int64_t m, float *y);

/*
 * The same product for Q4_0 weights repacked by cr_x16_repack (quant.h;
 * x16.c: 16 rows interleaved, rows % 16 == 0, cols % 32 == 0), the layout
 * batched generation steps use: y = x · Wᵀ for m activation rows.
 */
void cr_matmul_x16(cr_pool *pool, const void *W16, int64_t rows, int64_t cols, const float *x, int64_t m,
		   float *y);
/* Whether the chosen level has a fast x16 kernel (else the GGML tiles are
 * faster than x16.c's scalar truth, and batched steps keep them). */
int cr_x16_fast(void);

/* Small dense helpers the model graphs use in attention and norms. */
float cr_dot_f32(const float *a, const float *b, int64_t n);
float cr_dot_f16_f32(const uint16_t *a, const float *b, int64_t n);
/* y += a * x */
void cr_axpy_f32(float *y, float a, const float *x, int64_t n);
void cr_axpy_f16_f32(float *y, float a, const uint16_t *x, int64_t n);
/* Vector conversions (round-to-nearest-even like cr_f32_to_f16; f16 → f32
 * is exact): the f16 KV cache is written and, for prompts, read with them. */
void cr_cvt_f32_f16(uint16_t *dst, const float *src, int64_t n);
void cr_cvt_f16_f32(float *dst, const uint16_t *src, int64_t n);
/*
 * Dense f32 product, C = A·B: C[i][j] = sum_p A[i][p] * B[p][j] for i < m,
 * j < n, p < k; row strides lda, ldb, ldc in floats; C is overwritten.
 * Register-blocked (rows × two vectors of columns, B rows streamed); the
 * batched attention of prompt processing runs Q·Kᵀ (against keys transposed
 * once per head) and P·V through it.
 */
void cr_gemm_f32(int64_t m, int64_t n, int64_t k, const float *A, int64_t lda, const float *B, int64_t ldb,
		 float *C, int64_t ldc);
/* Unnormalized softmax in place: x[i] = exp((x[i] - max x) * scale)
 * (scale > 0), returns the sum (n >= 1). The SIMD twins use a polynomial
 * exp (Cephes' expf, about 1 ulp). */
float cr_softmax_f32(float *x, int64_t n, float scale);
/* SwiGLU in place: g[i] = silu(g[i]) * u[i] = g / (1 + exp(-g)) * u. */
void cr_swiglu_f32(float *g, const float *u, int64_t n);

#endif
