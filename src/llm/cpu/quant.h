/*
 * quant.h — block layouts of the quantized tensor types and the table of
 * kernels one instruction-set level provides (private to src/llm/cpu/).
 *
 * The layouts are byte-for-byte GGML's, so GGUF files from llama.cpp map
 * directly onto these structs (all fields little-endian, no padding):
 *
 *   Q4_0  (32 elems, 18 B)  fp16 d; qs[16]: element j = d * ((qs[j] & 15) - 8),
 *                           element j+16 = d * ((qs[j] >> 4) - 8)
 *   Q8_0  (32 elems, 34 B)  fp16 d; int8 qs[32]: element j = d * qs[j]
 *   Q4_K  (256 elems, 144 B) fp16 d, fp16 dmin; scales[12]: eight 6-bit
 *                           scales sc[k] and mins m[k] packed (see
 *                           cr_q4k_scale_min); qs[128]: per 64 elements, 32
 *                           bytes whose low nibbles are sub-block 2k and high
 *                           nibbles sub-block 2k+1; element = d*sc*q - dmin*m
 *   Q5_K  (256 elems, 176 B) as Q4_K plus qh[32] between scales and qs: bit
 *                           2k of qh[l] is the fifth bit of element l of
 *                           sub-block 2k, bit 2k+1 of sub-block 2k+1
 *   Q6_K  (256 elems, 210 B) ql[128] low 4 bits, qh[64] high 2 bits, int8
 *                           scales[16] (one per 16 elements), fp16 d last;
 *                           element = d * sc * (q - 32). Per 128 elements:
 *                           ql[0..63], qh[0..31]; element l (l < 32) takes
 *                           ql[l] low, l+32 ql[l+32] low, l+64 ql[l] high,
 *                           l+96 ql[l+32] high; high bits from qh[l] at bit
 *                           shifts 0, 2, 4, 6 respectively.
 *   Q8_K  (256 elems, 292 B) float d; int8 qs[256]; int16 bsums[16] (sums of
 *                           each 16 qs). Only an activation type.
 *
 * Activations are quantized to Q8_0 (for Q4_0, Q8_0 weights) or Q8_K (for
 * the k-quants) with values in [-127, 127], never -128, so the SIMD kernels
 * may use sign tricks with saturating 16-bit pair sums without overflow.
 * The scale is amax/127 and values round to nearest even at every level.
 */
#ifndef CR_LLM_CPU_QUANT_H
#define CR_LLM_CPU_QUANT_H

#include <stddef.h>
#include <stdint.h>

#include "cpu.h"

#define CR_QK4_0 32
#define CR_QK8_0 32
#define CR_QK_K 256

typedef struct {
	uint16_t d;
	uint8_t qs[CR_QK4_0 / 2];
} cr_block_q4_0;

typedef struct {
	uint16_t d;
	int8_t qs[CR_QK8_0];
} cr_block_q8_0;

typedef struct {
	uint16_t d;
	uint16_t dmin;
	uint8_t scales[12];
	uint8_t qs[CR_QK_K / 2];
} cr_block_q4_k;

typedef struct {
	uint16_t d;
	uint16_t dmin;
	uint8_t scales[12];
	uint8_t qh[CR_QK_K / 8];
	uint8_t qs[CR_QK_K / 2];
} cr_block_q5_k;

typedef struct {
	uint8_t ql[CR_QK_K / 2];
	uint8_t qh[CR_QK_K / 4];
	int8_t scales[CR_QK_K / 16];
	uint16_t d;
} cr_block_q6_k;

typedef struct {
	float d;
	int8_t qs[CR_QK_K];
	int16_t bsums[CR_QK_K / 16];
} cr_block_q8_k;

_Static_assert(sizeof(cr_block_q4_0) == 18, "q4_0 layout");
_Static_assert(sizeof(cr_block_q8_0) == 34, "q8_0 layout");
_Static_assert(sizeof(cr_block_q4_k) == 144, "q4_k layout");
_Static_assert(sizeof(cr_block_q5_k) == 176, "q5_k layout");
_Static_assert(sizeof(cr_block_q6_k) == 210, "q6_k layout");
_Static_assert(sizeof(cr_block_q8_k) == 292, "q8_k layout");

/* Elements per block / bytes per block of the types the kernels know
 * (0 for others); kept here so the kernels need nothing from gguf. */
int cr_cpu_block(cr_ttype t);
size_t cr_cpu_block_bytes(cr_ttype t);
static inline size_t cr_cpu_row_bytes(cr_ttype t, int64_t n)
{
	int b = cr_cpu_block(t);
	return b ? (size_t)(n / b) * cr_cpu_block_bytes(t) : 0;
}
/* The activation type a weight type's dot product takes (F32 for float
 * weights). */
cr_ttype cr_cpu_act_type(cr_ttype wt);

/* Sub-block k (0..7) of a Q4_K / Q5_K scales[12] field. */
static inline void cr_q4k_scale_min(int k, const uint8_t *q, uint8_t *sc, uint8_t *m)
{
	if (k < 4) {
		*sc = q[k] & 63;
		*m = q[k + 4] & 63;
	} else {
		*sc = (uint8_t)((q[k + 4] & 0xF) | ((q[k - 4] >> 6) << 4));
		*m = (uint8_t)((q[k + 4] >> 4) | ((q[k] >> 6) << 4));
	}
}

/*
 * A tile of a matrix product: for r < nr and i < m,
 *   y[i * y_stride + r] = dot(W row r, A row i)
 * W rows are w_stride bytes apart (n elements of the weight type), A rows
 * a_stride bytes apart (n elements of the activation type). Kernels tile
 * registers over r and i as they see fit; any nr, m >= 1 is valid.
 */
typedef void (*cr_gemm_fn)(int64_t n, const void *w, size_t w_stride, int64_t nr,
			   const void *a, size_t a_stride, int64_t m, float *y, int64_t y_stride);
typedef void (*cr_quant_fn)(const float *x, void *y, int64_t n);

/*
 * One weight type's matrix product at one level: how activation rows are
 * quantized (act_bytes/act_quant; NULL for float weights, which take the f32
 * rows as they are) and the tile. A level may use its own activation layout
 * (the AVX-512 kernels reorder quants and precompute block sums), so the
 * three always travel together.
 */
typedef struct cr_mm_kern {
	size_t (*act_bytes)(int64_t cols);
	cr_quant_fn act_quant;
	cr_gemm_fn gemm;
} cr_mm_kern;

/*
 * An optional path for many activation rows (prompts): pack() converts the
 * whole activation matrix (groups of 32 rows, g0 <= g < g1, rows past m as
 * zeros) into the layout gemm() reads. gemm() then computes, for a slice of
 * nr <= `rows` weight rows and all m activation rows, the part of the
 * product over columns [k0, k1) (multiples of the type's block), storing it
 * into y or, with acc, adding it to what y holds. The driver cuts the
 * columns into passes of at most `panel` so that one pass's activations
 * stay in L2 while every slice of weight rows goes over them. Used when
 * m >= min_m.
 */
typedef struct cr_big_kern {
	int64_t min_m, rows, panel;
	size_t (*pack_bytes)(int64_t m, int64_t cols);
	void (*pack)(const float *x, int64_t g0, int64_t g1, int64_t m, int64_t cols, void *a);
	void (*gemm)(int64_t cols, int64_t k0, int64_t k1, int acc, const void *w, size_t w_stride, int64_t nr,
		     const void *a, int64_t m, float *y, int64_t ys);
} cr_big_kern;

/* Q4_0 interleaved by 16 rows (x16.c): groups [g0, g1) of 16 weight rows
 * × m activation rows (cr_x16_act layout, a_stride bytes apart) into
 * y[i·ys + row]. */
typedef void (*cr_x16_fn)(int64_t cols, const void *w, int64_t g0, int64_t g1, const void *a, size_t as,
			  int64_t m, float *y, int64_t ys);

typedef struct cr_kern {
	const char *name;
	cr_x16_fn x16_q4_0;     /* NULL: x16.c's scalar cr_x16_ref */
	cr_quant_fn x16_act;    /* NULL: cr_x16_act (a level's must give the same bytes) */
	cr_mm_kern mm[CR_TT__COUNT];
	const cr_big_kern *big; /* [CR_TT__COUNT] or NULL */
	float (*dot_f32)(const float *a, const float *b, int64_t n);
	float (*dot_f16_f32)(const uint16_t *a, const float *b, int64_t n);
	void (*axpy_f32)(float *y, float a, const float *x, int64_t n);
	void (*axpy_f16_f32)(float *y, float a, const uint16_t *x, int64_t n);
	void (*cvt_f32_f16)(uint16_t *dst, const float *src, int64_t n);
	void (*cvt_f16_f32)(float *dst, const uint16_t *src, int64_t n);
	void (*gemm_f32)(int64_t m, int64_t n, int64_t k, const float *A, int64_t lda, const float *B, int64_t ldb,
			 float *C, int64_t ldc); /* cr_gemm_f32 */
	float (*softmax_f32)(float *x, int64_t n, float scale);
	void (*swiglu_f32)(float *g, const float *u, int64_t n);
} cr_kern;

/* AMX tiles (x86/amx.c), enabled by dispatch.c when the CPU and OS allow. */
extern const cr_big_kern cr_amx_kern[CR_TT__COUNT];

/* Per-thread scratch that only grows (freed at thread exit); slot 0 is the
 * matmul driver's, slot 1 a kernel's. Valid until the next call with the
 * same slot on the same thread. */
void *cr_cpu_scratch(int slot, size_t n);

/* x16.c */
size_t cr_x16_bytes(int64_t rows, int64_t cols);
void cr_x16_repack(const void *src, void *dst, int64_t rows, int64_t cols);
size_t cr_x16_act_bytes(int64_t cols);
void cr_x16_act(const float *x, void *a, int64_t cols);
void cr_x16_ref(int64_t cols, const void *w, int64_t g0, int64_t g1, const void *a, size_t as, int64_t m,
		float *y, int64_t ys);
void cr_matmul_x16_with(const cr_kern *k, cr_pool *pool, const void *W16, int64_t rows, int64_t cols,
			const float *x, int64_t m, float *y);

/* Tables per level; a level's missing entries are filled from the level
 * below by dispatch.c. */
extern const cr_kern cr_kern_ref;
extern const cr_kern cr_kern_avx2;
extern const cr_kern cr_kern_avx512;

/* The table in use (chosen on first call), and one by name for tests
 * ("ref", "avx2", "avx512"; NULL if the CPU lacks it). */
const cr_kern *cr_kern_get(void);
const cr_kern *cr_kern_by_name(const char *name);

/* Scalar activation quantizers (ref.c): GGML Q8_0 / Q8_K blocks with
 * round-to-nearest-even, the same rounding the SIMD quantizers use, so every
 * level quantizes an activation to the same integers. */
void cr_ref_quant_q8_0(const float *x, void *y, int64_t n);
void cr_ref_quant_q8_k(const float *x, void *y, int64_t n);

/* Matrix product with an explicit kernel table (tests compare levels). */
void cr_matmul_with(const cr_kern *k, cr_pool *pool, cr_ttype wt, const void *W, int64_t rows,
		    int64_t cols, const float *x, int64_t m, float *y);

#endif
