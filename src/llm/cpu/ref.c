/*
 * ref.c — the scalar kernels: the truth every SIMD kernel is tested against.
 *
 * Plain C, no intrinsics, written to be obviously right rather than fast:
 * fp16/bf16 conversions (exact, round to nearest even), activation
 * quantizers (Q8_0, Q8_K), dot products of each weight type with its
 * activation type, and a matrix-product tile built from them. Integer sums
 * are exact; the float sums follow block order, so SIMD twins differ only by
 * float reassociation (the per-type bounds in tests/kernels allow for it).
 * Block layouts: quant.h.
 */
#include <math.h>
#include <string.h>

#include "cpu/quant.h"

/* ---- fp16 / bf16 --------------------------------------------------------- */

float cr_f16_to_f32(uint16_t h)
{
	uint32_t sign = (uint32_t)(h & 0x8000) << 16;
	uint32_t exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
	if (exp == 0) {
		float f = (float)man * 5.9604644775390625e-8f; /* man * 2^-24, exact */
		return sign ? -f : f;
	}
	if (exp == 31)
		bits = sign | 0x7f800000u | (man << 13);
	else
		bits = sign | ((exp + 112) << 23) | (man << 13);
	float f;
	memcpy(&f, &bits, 4);
	return f;
}

uint16_t cr_f32_to_f16(float f)
{
	uint32_t x;
	memcpy(&x, &f, 4);
	uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
	uint32_t ax = x & 0x7fffffffu;
	if (ax >= 0x7f800000u) /* inf, nan (kept quiet) */
		return sign | 0x7c00 | (ax > 0x7f800000u ? 0x200 : 0);
	if (ax >= 0x477ff000u) /* >= 65520 rounds to inf */
		return sign | 0x7c00;
	if (ax < 0x38800000u) { /* below 2^-14: subnormal half or zero */
		float v;
		memcpy(&v, &ax, 4);
		/* v * 2^24 is exact and < 1024; rintf rounds to nearest even.
		 * 1024 correctly becomes the smallest normal. */
		return sign | (uint16_t)rintf(v * 16777216.0f);
	}
	uint32_t h = ((((ax >> 23) - 127 + 15)) << 10) | ((ax & 0x7fffff) >> 13);
	uint32_t rem = ax & 0x1fff;
	if (rem > 0x1000 || (rem == 0x1000 && (h & 1)))
		h++; /* a carry into the exponent is the right answer */
	return sign | (uint16_t)h;
}

float cr_bf16_to_f32(uint16_t h)
{
	uint32_t bits = (uint32_t)h << 16;
	float f;
	memcpy(&f, &bits, 4);
	return f;
}

uint16_t cr_f32_to_bf16(float f)
{
	uint32_t x;
	memcpy(&x, &f, 4);
	if ((x & 0x7fffffffu) > 0x7f800000u)
		return (uint16_t)((x >> 16) | 0x40); /* quiet nan */
	return (uint16_t)((x + 0x7fff + ((x >> 16) & 1)) >> 16);
}

/* ---- activation quantizers ------------------------------------------------ */

void cr_ref_quant_q8_0(const float *x, void *vy, int64_t n)
{
	cr_block_q8_0 *y = vy;
	for (int64_t b = 0; b < n / CR_QK8_0; b++, x += CR_QK8_0) {
		float amax = 0;
		for (int j = 0; j < CR_QK8_0; j++)
			amax = fmaxf(amax, fabsf(x[j]));
		float d = amax / 127.0f, id = d ? 1.0f / d : 0.0f;
		y[b].d = cr_f32_to_f16(d);
		for (int j = 0; j < CR_QK8_0; j++) {
			float v = rintf(x[j] * id);
			y[b].qs[j] = (int8_t)(v > 127 ? 127 : v < -127 ? -127 : v);
		}
	}
}

void cr_ref_quant_q8_k(const float *x, void *vy, int64_t n)
{
	cr_block_q8_k *y = vy;
	for (int64_t b = 0; b < n / CR_QK_K; b++, x += CR_QK_K) {
		float amax = 0;
		for (int j = 0; j < CR_QK_K; j++)
			amax = fmaxf(amax, fabsf(x[j]));
		float d = amax / 127.0f, id = d ? 1.0f / d : 0.0f;
		y[b].d = d;
		for (int j = 0; j < CR_QK_K; j++) {
			float v = rintf(x[j] * id);
			y[b].qs[j] = (int8_t)(v > 127 ? 127 : v < -127 ? -127 : v);
		}
		for (int g = 0; g < CR_QK_K / 16; g++) {
			int s = 0;
			for (int j = 0; j < 16; j++)
				s += y[b].qs[g * 16 + j];
			y[b].bsums[g] = (int16_t)s;
		}
	}
}

/* ---- dot products: weight row · activation row ---------------------------- */

static float dot_f32(const float *a, const float *b, int64_t n)
{
	double s = 0; /* the oracle accumulates in double */
	for (int64_t i = 0; i < n; i++)
		s += (double)a[i] * b[i];
	return (float)s;
}

static float dot_f16_f32(const uint16_t *a, const float *b, int64_t n)
{
	double s = 0;
	for (int64_t i = 0; i < n; i++)
		s += (double)cr_f16_to_f32(a[i]) * b[i];
	return (float)s;
}

static float dot_bf16_f32(const uint16_t *a, const float *b, int64_t n)
{
	double s = 0;
	for (int64_t i = 0; i < n; i++)
		s += (double)cr_bf16_to_f32(a[i]) * b[i];
	return (float)s;
}

static void axpy_f32(float *y, float a, const float *x, int64_t n)
{
	for (int64_t i = 0; i < n; i++)
		y[i] += a * x[i];
}

static void axpy_f16_f32(float *y, float a, const uint16_t *x, int64_t n)
{
	for (int64_t i = 0; i < n; i++)
		y[i] += a * cr_f16_to_f32(x[i]);
}

static void cvt_f32_f16(uint16_t *dst, const float *src, int64_t n)
{
	for (int64_t i = 0; i < n; i++)
		dst[i] = cr_f32_to_f16(src[i]);
}

static void cvt_f16_f32(float *dst, const uint16_t *src, int64_t n)
{
	for (int64_t i = 0; i < n; i++)
		dst[i] = cr_f16_to_f32(src[i]);
}

/* C = A·B in double, p ascending (the truth the blocked twins are held to). */
static void gemm_nn_f32(int64_t m, int64_t n, int64_t k, const float *A, int64_t lda, const float *B, int64_t ldb,
			float *C, int64_t ldc)
{
	for (int64_t i = 0; i < m; i++)
		for (int64_t j = 0; j < n; j++) {
			double s = 0;
			for (int64_t p = 0; p < k; p++)
				s += (double)A[i * lda + p] * B[p * ldb + j];
			C[i * ldc + j] = (float)s;
		}
}

static float softmax_f32(float *x, int64_t n, float scale)
{
	float mx = x[0], sum = 0;
	for (int64_t i = 1; i < n; i++)
		mx = x[i] > mx ? x[i] : mx;
	for (int64_t i = 0; i < n; i++)
		sum += x[i] = expf((x[i] - mx) * scale);
	return sum;
}

static void swiglu_f32(float *g, const float *u, int64_t n)
{
	for (int64_t i = 0; i < n; i++)
		g[i] = g[i] / (1.0f + expf(-g[i])) * u[i];
}

static float dot_q4_0(int64_t n, const void *vw, const void *va)
{
	const cr_block_q4_0 *w = vw;
	const cr_block_q8_0 *a = va;
	float s = 0;
	for (int64_t b = 0; b < n / CR_QK4_0; b++) {
		int sum = 0;
		for (int j = 0; j < 16; j++) {
			sum += ((w[b].qs[j] & 15) - 8) * a[b].qs[j];
			sum += ((w[b].qs[j] >> 4) - 8) * a[b].qs[j + 16];
		}
		s += cr_f16_to_f32(w[b].d) * cr_f16_to_f32(a[b].d) * (float)sum;
	}
	return s;
}

static float dot_q8_0(int64_t n, const void *vw, const void *va)
{
	const cr_block_q8_0 *w = vw;
	const cr_block_q8_0 *a = va;
	float s = 0;
	for (int64_t b = 0; b < n / CR_QK8_0; b++) {
		int sum = 0;
		for (int j = 0; j < CR_QK8_0; j++)
			sum += w[b].qs[j] * a[b].qs[j];
		s += cr_f16_to_f32(w[b].d) * cr_f16_to_f32(a[b].d) * (float)sum;
	}
	return s;
}

/* Q4_K and Q5_K: sum over sub-blocks k of d*sc[k]*Σ q·a − dmin*m[k]*Σ a,
 * the second sum taken from the activation's bsums. */
static float dot_q4_k(int64_t n, const void *vw, const void *va)
{
	const cr_block_q4_k *w = vw;
	const cr_block_q8_k *a = va;
	float s = 0;
	for (int64_t b = 0; b < n / CR_QK_K; b++) {
		const uint8_t *q = w[b].qs;
		const int8_t *y = a[b].qs;
		int sumi = 0, summ = 0;
		for (int k = 0; k < 4; k++, q += 32, y += 64) {
			uint8_t sc0, m0, sc1, m1;
			cr_q4k_scale_min(2 * k, w[b].scales, &sc0, &m0);
			cr_q4k_scale_min(2 * k + 1, w[b].scales, &sc1, &m1);
			int s0 = 0, s1 = 0;
			for (int l = 0; l < 32; l++) {
				s0 += (q[l] & 15) * y[l];
				s1 += (q[l] >> 4) * y[l + 32];
			}
			sumi += sc0 * s0 + sc1 * s1;
			summ += m0 * (a[b].bsums[4 * k] + a[b].bsums[4 * k + 1]) +
				m1 * (a[b].bsums[4 * k + 2] + a[b].bsums[4 * k + 3]);
		}
		s += a[b].d * (cr_f16_to_f32(w[b].d) * (float)sumi - cr_f16_to_f32(w[b].dmin) * (float)summ);
	}
	return s;
}

static float dot_q5_k(int64_t n, const void *vw, const void *va)
{
	const cr_block_q5_k *w = vw;
	const cr_block_q8_k *a = va;
	float s = 0;
	for (int64_t b = 0; b < n / CR_QK_K; b++) {
		const uint8_t *q = w[b].qs, *qh = w[b].qh;
		const int8_t *y = a[b].qs;
		int sumi = 0, summ = 0;
		for (int k = 0; k < 4; k++, q += 32, y += 64) {
			uint8_t sc0, m0, sc1, m1;
			cr_q4k_scale_min(2 * k, w[b].scales, &sc0, &m0);
			cr_q4k_scale_min(2 * k + 1, w[b].scales, &sc1, &m1);
			int s0 = 0, s1 = 0;
			for (int l = 0; l < 32; l++) {
				int v0 = (q[l] & 15) + (((qh[l] >> (2 * k)) & 1) << 4);
				int v1 = (q[l] >> 4) + (((qh[l] >> (2 * k + 1)) & 1) << 4);
				s0 += v0 * y[l];
				s1 += v1 * y[l + 32];
			}
			sumi += sc0 * s0 + sc1 * s1;
			summ += m0 * (a[b].bsums[4 * k] + a[b].bsums[4 * k + 1]) +
				m1 * (a[b].bsums[4 * k + 2] + a[b].bsums[4 * k + 3]);
		}
		s += a[b].d * (cr_f16_to_f32(w[b].d) * (float)sumi - cr_f16_to_f32(w[b].dmin) * (float)summ);
	}
	return s;
}

static float dot_q6_k(int64_t n, const void *vw, const void *va)
{
	const cr_block_q6_k *w = vw;
	const cr_block_q8_k *a = va;
	float s = 0;
	for (int64_t b = 0; b < n / CR_QK_K; b++) {
		const uint8_t *ql = w[b].ql, *qh = w[b].qh;
		const int8_t *sc = w[b].scales, *y = a[b].qs;
		int sumi = 0;
		for (int half = 0; half < 2; half++, ql += 64, qh += 32, sc += 8, y += 128) {
			for (int l = 0; l < 32; l++) {
				int is = l / 16;
				int q1 = ((ql[l] & 15) | (((qh[l] >> 0) & 3) << 4)) - 32;
				int q2 = ((ql[l + 32] & 15) | (((qh[l] >> 2) & 3) << 4)) - 32;
				int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
				int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
				sumi += sc[is + 0] * q1 * y[l] + sc[is + 2] * q2 * y[l + 32] +
					sc[is + 4] * q3 * y[l + 64] + sc[is + 6] * q4 * y[l + 96];
			}
		}
		s += cr_f16_to_f32(w[b].d) * a[b].d * (float)sumi;
	}
	return s;
}

/* ---- tiles ------------------------------------------------------------------ */

#define REF_GEMM(name, dotexpr)                                                                  \
	static void name(int64_t n, const void *w, size_t w_stride, int64_t nr, const void *a,    \
			 size_t a_stride, int64_t m, float *y, int64_t y_stride)                   \
	{                                                                                         \
		for (int64_t r = 0; r < nr; r++) {                                                \
			const void *wr = (const char *)w + (size_t)r * w_stride;                  \
			for (int64_t i = 0; i < m; i++) {                                         \
				const void *ai = (const char *)a + (size_t)i * a_stride;          \
				y[i * y_stride + r] = dotexpr;                                    \
			}                                                                         \
		}                                                                                 \
	}

REF_GEMM(gemm_f32, dot_f32(wr, ai, n))
REF_GEMM(gemm_f16, dot_f16_f32(wr, ai, n))
REF_GEMM(gemm_bf16, dot_bf16_f32(wr, ai, n))
REF_GEMM(gemm_q4_0, dot_q4_0(n, wr, ai))
REF_GEMM(gemm_q8_0, dot_q8_0(n, wr, ai))
REF_GEMM(gemm_q4_k, dot_q4_k(n, wr, ai))
REF_GEMM(gemm_q5_k, dot_q5_k(n, wr, ai))
REF_GEMM(gemm_q6_k, dot_q6_k(n, wr, ai))

static size_t act_q8_0_bytes(int64_t cols) { return (size_t)(cols / CR_QK8_0) * sizeof(cr_block_q8_0); }
static size_t act_q8_k_bytes(int64_t cols) { return (size_t)(cols / CR_QK_K) * sizeof(cr_block_q8_k); }

#define MM_Q8_0(g) {act_q8_0_bytes, cr_ref_quant_q8_0, g}
#define MM_Q8_K(g) {act_q8_k_bytes, cr_ref_quant_q8_k, g}

const cr_kern cr_kern_ref = {
	.name = "ref",
	.mm = {
		[CR_TT_F32] = {NULL, NULL, gemm_f32},
		[CR_TT_F16] = {NULL, NULL, gemm_f16},
		[CR_TT_BF16] = {NULL, NULL, gemm_bf16},
		[CR_TT_Q4_0] = MM_Q8_0(gemm_q4_0),
		[CR_TT_Q8_0] = MM_Q8_0(gemm_q8_0),
		[CR_TT_Q4_K] = MM_Q8_K(gemm_q4_k),
		[CR_TT_Q5_K] = MM_Q8_K(gemm_q5_k),
		[CR_TT_Q6_K] = MM_Q8_K(gemm_q6_k),
	},
	.dot_f32 = dot_f32,
	.dot_f16_f32 = dot_f16_f32,
	.axpy_f32 = axpy_f32,
	.axpy_f16_f32 = axpy_f16_f32,
	.cvt_f32_f16 = cvt_f32_f16,
	.cvt_f16_f32 = cvt_f16_f32,
	.gemm_f32 = gemm_nn_f32,
	.softmax_f32 = softmax_f32,
	.swiglu_f32 = swiglu_f32,
};
