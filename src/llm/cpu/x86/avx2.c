/*
 * avx2.c — AVX2 + FMA + F16C twins of the scalar kernels in ref.c.
 *
 * Built with -mavx2 -mfma -mf16c (CMakeLists.txt); only reached through
 * dispatch.c after CPUID says the CPU and OS support it. Activations use the
 * GGML Q8_0 / Q8_K blocks of ref.c, so only the tiles differ.
 *
 * Integer products use vpmaddubsw (u8 × s8, pairs summed to s16 with
 * saturation) and vpmaddwd: weights are the unsigned side (Q4_0/Q4_K
 * nibbles, Q6_K's 0..63), activations the signed one in [-127, 127], so
 * pair sums stay below 2·63·127 and never saturate. Q8_0 × Q8_0 uses the
 * sign trick (|w| × a·sign(w)), whose pair sums are at most 2·128·127. The
 * k-quant sub-block scales ride in the vpmaddwd multiplier, so a block's
 * sum stays an exact integer until one convert and FMA. Offsets (−8, −32,
 * the mins) come from activation block sums (Q8_K bsums) or are applied in
 * the weights (Q4_0: nibble − 8 as a signed byte with the sign trick).
 * Each weight row is unpacked once per pass over up to four activation rows.
 */
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "cpu/quant.h"

#define AI __attribute__((always_inline)) static inline

AI float hsum8(__m256 v)
{
	__m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
	s = _mm_add_ps(s, _mm_movehl_ps(s, s));
	s = _mm_add_ss(s, _mm_movehdup_ps(s));
	return _mm_cvtss_f32(s);
}

AI float f16(uint16_t h) { return _cvtsh_ss(h); }

/* Σ over 32 bytes of signed w × signed a (both in [-128, 127], a never -128),
 * as 8 int32 lanes. */
AI __m256i dot_s8(__m256i w, __m256i a)
{
	__m256i p = _mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(a, w));
	return _mm256_madd_epi16(p, _mm256_set1_epi16(1));
}

/* ---- Q4_0, Q8_0 ------------------------------------------------------------ */

AI void gemm_q4_0_row(int64_t nb, const uint8_t *row, const uint8_t *a, size_t as, float *y, int64_t ys,
		      const int M)
{
	const __m256i m4 = _mm256_set1_epi8(0x0F), eight = _mm256_set1_epi8(8);
	__m256 acc[4];
	for (int j = 0; j < M; j++)
		acc[j] = _mm256_setzero_ps();
	for (int64_t b = 0; b < nb; b++) {
		const cr_block_q4_0 *w = (const cr_block_q4_0 *)(row + 18 * b);
		__m128i q = _mm_loadu_si128((const __m128i *)w->qs);
		__m256i v = _mm256_set_m128i(_mm_srli_epi16(q, 4), q);
		v = _mm256_sub_epi8(_mm256_and_si256(v, m4), eight);
		float dw = f16(w->d);
		for (int j = 0; j < M; j++) {
			const cr_block_q8_0 *x = (const cr_block_q8_0 *)(a + (size_t)j * as) + b;
			__m256i d = dot_s8(v, _mm256_loadu_si256((const __m256i *)x->qs));
			acc[j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(d), _mm256_set1_ps(dw * f16(x->d)), acc[j]);
		}
	}
	for (int j = 0; j < M; j++)
		y[j * ys] = hsum8(acc[j]);
}

AI void gemm_q8_0_row(int64_t nb, const uint8_t *row, const uint8_t *a, size_t as, float *y, int64_t ys,
		      const int M)
{
	__m256 acc[4];
	for (int j = 0; j < M; j++)
		acc[j] = _mm256_setzero_ps();
	for (int64_t b = 0; b < nb; b++) {
		const cr_block_q8_0 *w = (const cr_block_q8_0 *)(row + 34 * b);
		__m256i v = _mm256_loadu_si256((const __m256i *)w->qs);
		float dw = f16(w->d);
		for (int j = 0; j < M; j++) {
			const cr_block_q8_0 *x = (const cr_block_q8_0 *)(a + (size_t)j * as) + b;
			__m256i d = dot_s8(v, _mm256_loadu_si256((const __m256i *)x->qs));
			acc[j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(d), _mm256_set1_ps(dw * f16(x->d)), acc[j]);
		}
	}
	for (int j = 0; j < M; j++)
		y[j * ys] = hsum8(acc[j]);
}

/* ---- Q4_K, Q5_K, Q6_K ------------------------------------------------------ */

AI void k4_scales(const uint8_t *q, uint8_t sc[8], uint8_t mn[8])
{
	uint32_t u0, u1, u2;
	memcpy(&u0, q, 4);
	memcpy(&u1, q + 4, 4);
	memcpy(&u2, q + 8, 4);
	uint32_t s_lo = u0 & 0x3f3f3f3fu, m_lo = u1 & 0x3f3f3f3fu;
	uint32_t s_hi = (u2 & 0x0f0f0f0fu) | (((u0 >> 6) & 0x03030303u) << 4);
	uint32_t m_hi = ((u2 >> 4) & 0x0f0f0f0fu) | (((u1 >> 6) & 0x03030303u) << 4);
	memcpy(sc, &s_lo, 4);
	memcpy(sc + 4, &s_hi, 4);
	memcpy(mn, &m_lo, 4);
	memcpy(mn + 4, &m_hi, 4);
}

/* Q5_K: Q4_K's nibbles plus the fifth bit of sub-block k, bit k of qh[l],
 * moved to bit 4 of each byte (a 16-bit shift, then the 0x10 mask keeps
 * only the byte's own bit). Values 0..31 keep maddubs pair sums below
 * 2·31·127, so nothing saturates; the mins come from bsums as in Q4_K. */
AI __m256i q5_hbit(__m256i qh, int k)
{
	const __m256i m10 = _mm256_set1_epi8(0x10);
	if (k < 4)
		return _mm256_and_si256(_mm256_slli_epi16(qh, 4 - k), m10);
	return _mm256_and_si256(_mm256_srli_epi16(qh, k - 4), m10);
}

/* Q4_K (five = 0) and Q5_K (five = 1): the same block head (d, dmin,
 * scales), Q5_K adds qh[32] before the nibbles. */
AI void gemm_qk_row(const int five, int64_t nb, const uint8_t *row, const uint8_t *a, size_t as, float *y,
		    int64_t ys, const int M)
{
	const __m256i m4 = _mm256_set1_epi8(0x0F);
	const size_t bb = five ? sizeof(cr_block_q5_k) : sizeof(cr_block_q4_k);
	__m256 acc[4];
	float macc[4];
	for (int j = 0; j < M; j++) {
		acc[j] = _mm256_setzero_ps();
		macc[j] = 0;
	}
	for (int64_t b = 0; b < nb; b++) {
		const cr_block_q4_k *w = (const cr_block_q4_k *)(row + bb * (size_t)b); /* head only for Q5_K */
		const uint8_t *qs = five ? ((const cr_block_q5_k *)w)->qs : w->qs;
		__m256i qh = five ? _mm256_loadu_si256((const __m256i *)((const cr_block_q5_k *)w)->qh)
				  : _mm256_setzero_si256();
		uint8_t sc[8], mn[8];
		k4_scales(w->scales, sc, mn);
		__m256i v[8];
		for (int k = 0; k < 4; k++) {
			__m256i q = _mm256_loadu_si256((const __m256i *)(qs + 32 * k));
			v[2 * k] = _mm256_and_si256(q, m4);
			v[2 * k + 1] = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
			if (five) {
				v[2 * k] = _mm256_or_si256(v[2 * k], q5_hbit(qh, 2 * k));
				v[2 * k + 1] = _mm256_or_si256(v[2 * k + 1], q5_hbit(qh, 2 * k + 1));
			}
		}
		float d = f16(w->d), dmin = f16(w->dmin);
		for (int j = 0; j < M; j++) {
			const cr_block_q8_k *x = (const cr_block_q8_k *)(a + (size_t)j * as) + b;
			__m256i s = _mm256_setzero_si256();
			for (int k = 0; k < 8; k++) {
				__m256i p = _mm256_maddubs_epi16(v[k], _mm256_loadu_si256((const __m256i *)(x->qs + 32 * k)));
				s = _mm256_add_epi32(s, _mm256_madd_epi16(p, _mm256_set1_epi16(sc[k])));
			}
			int summ = 0;
			for (int k = 0; k < 8; k++)
				summ += mn[k] * (x->bsums[2 * k] + x->bsums[2 * k + 1]);
			acc[j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_set1_ps(d * x->d), acc[j]);
			macc[j] += dmin * x->d * (float)summ;
		}
	}
	for (int j = 0; j < M; j++)
		y[j * ys] = hsum8(acc[j]) - macc[j];
}

AI void gemm_q4_k_row(int64_t nb, const uint8_t *row, const uint8_t *a, size_t as, float *y, int64_t ys,
		      const int M)
{
	gemm_qk_row(0, nb, row, a, as, y, ys, M);
}

AI void gemm_q5_k_row(int64_t nb, const uint8_t *row, const uint8_t *a, size_t as, float *y, int64_t ys,
		      const int M)
{
	gemm_qk_row(1, nb, row, a, as, y, ys, M);
}

AI void gemm_q6_k_row(int64_t nb, const uint8_t *row, const uint8_t *a, size_t as, float *y, int64_t ys,
		      const int M)
{
	const __m256i m4 = _mm256_set1_epi8(0x0F), m2 = _mm256_set1_epi8(0x03);
	__m256 acc[4];
	for (int j = 0; j < M; j++)
		acc[j] = _mm256_setzero_ps();
	for (int64_t b = 0; b < nb; b++) {
		const cr_block_q6_k *w = (const cr_block_q6_k *)(row + 210 * b);
		__m256i v[8];
		for (int h = 0; h < 2; h++) {
			__m256i l0 = _mm256_loadu_si256((const __m256i *)(w->ql + 64 * h));
			__m256i l1 = _mm256_loadu_si256((const __m256i *)(w->ql + 64 * h + 32));
			__m256i qh = _mm256_loadu_si256((const __m256i *)(w->qh + 32 * h));
			v[4 * h + 0] = _mm256_or_si256(_mm256_and_si256(l0, m4), _mm256_slli_epi16(_mm256_and_si256(qh, m2), 4));
			v[4 * h + 1] = _mm256_or_si256(_mm256_and_si256(l1, m4),
						       _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2), m2), 4));
			v[4 * h + 2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4),
						       _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 4), m2), 4));
			v[4 * h + 3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4),
						       _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 6), m2), 4));
		}
		/* int16 multipliers: low 8 lanes the scale of the first 16
		 * elements of a 32-element span, high 8 the second */
		__m256i scv[8];
		for (int k = 0; k < 8; k++)
			scv[k] = _mm256_set_m128i(_mm_set1_epi16(w->scales[2 * k + 1]), _mm_set1_epi16(w->scales[2 * k]));
		int off_sc[16];
		for (int k = 0; k < 16; k++)
			off_sc[k] = w->scales[k];
		float d = f16(w->d);
		for (int j = 0; j < M; j++) {
			const cr_block_q8_k *x = (const cr_block_q8_k *)(a + (size_t)j * as) + b;
			__m256i s = _mm256_setzero_si256();
			for (int k = 0; k < 8; k++) {
				__m256i p = _mm256_maddubs_epi16(v[k], _mm256_loadu_si256((const __m256i *)(x->qs + 32 * k)));
				s = _mm256_add_epi32(s, _mm256_madd_epi16(p, scv[k]));
			}
			int off = 0;
			for (int k = 0; k < 16; k++)
				off += off_sc[k] * x->bsums[k];
			__m256i tot = _mm256_sub_epi32(s, _mm256_setr_epi32(32 * off, 0, 0, 0, 0, 0, 0, 0));
			acc[j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(tot), _mm256_set1_ps(d * x->d), acc[j]);
		}
	}
	for (int j = 0; j < M; j++)
		y[j * ys] = hsum8(acc[j]);
}

/* ---- float weights --------------------------------------------------------- */

AI __m256 load8(int kind, const void *w, int64_t i)
{
	if (kind == 0)
		return _mm256_loadu_ps((const float *)w + i);
	__m128i h = _mm_loadu_si128((const __m128i *)((const uint16_t *)w + i));
	if (kind == 1)
		return _mm256_cvtph_ps(h);
	return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

AI float load1(int kind, const void *w, int64_t i)
{
	if (kind == 0)
		return ((const float *)w)[i];
	uint16_t h = ((const uint16_t *)w)[i];
	return kind == 1 ? f16(h) : cr_bf16_to_f32(h);
}

AI void gemm_float_row(int kind, int64_t n, const void *w, const float *x, size_t xs, float *y, int64_t ys,
		       const int M)
{
	__m256 acc[4];
	for (int j = 0; j < M; j++)
		acc[j] = _mm256_setzero_ps();
	int64_t i = 0;
	for (; i + 8 <= n; i += 8) {
		__m256 wv = load8(kind, w, i);
		for (int j = 0; j < M; j++)
			acc[j] = _mm256_fmadd_ps(wv, _mm256_loadu_ps((const float *)((const char *)x + j * xs) + i), acc[j]);
	}
	for (int j = 0; j < M; j++) {
		float s = hsum8(acc[j]);
		for (int64_t k = i; k < n; k++)
			s += load1(kind, w, k) * ((const float *)((const char *)x + j * xs))[k];
		y[j * ys] = s;
	}
}

/* ---- tiles ------------------------------------------------------------------ */

#define GEMM_Q(name, rowfn, blk, bsz)                                                                  \
	static void name(int64_t n, const void *w, size_t ws, int64_t nr, const void *a, size_t as,     \
			 int64_t m, float *y, int64_t ys)                                              \
	{                                                                                               \
		int64_t nb = n / (blk);                                                                 \
		for (int64_t i = 0; i < m; i += 4) {                                                    \
			int64_t mm = CR_MIN(4, m - i);                                                  \
			const uint8_t *ai = (const uint8_t *)a + (size_t)i * as;                        \
			float *yi = y + i * ys;                                                         \
			for (int64_t r = 0; r < nr; r++) {                                              \
				const uint8_t *wr = (const uint8_t *)w + (size_t)r * ws;                \
				switch (mm) {                                                           \
				case 4: rowfn(nb, wr, ai, as, yi + r, ys, 4); break;                    \
				case 3: rowfn(nb, wr, ai, as, yi + r, ys, 3); break;                    \
				case 2: rowfn(nb, wr, ai, as, yi + r, ys, 2); break;                    \
				default: rowfn(nb, wr, ai, as, yi + r, ys, 1); break;                   \
				}                                                                       \
			}                                                                               \
		}                                                                                       \
	}

GEMM_Q(gemm_q4_0, gemm_q4_0_row, 32, 18)
GEMM_Q(gemm_q8_0, gemm_q8_0_row, 32, 34)
GEMM_Q(gemm_q4_k, gemm_q4_k_row, 256, 144)
GEMM_Q(gemm_q5_k, gemm_q5_k_row, 256, 176)
GEMM_Q(gemm_q6_k, gemm_q6_k_row, 256, 210)

#define GEMM_F(name, kind)                                                                              \
	static void name(int64_t n, const void *w, size_t ws, int64_t nr, const void *a, size_t as,      \
			 int64_t m, float *y, int64_t ys)                                               \
	{                                                                                                \
		for (int64_t i = 0; i < m; i += 4) {                                                     \
			int64_t mm = CR_MIN(4, m - i);                                                   \
			const float *ai = (const float *)((const char *)a + (size_t)i * as);             \
			float *yi = y + i * ys;                                                          \
			for (int64_t r = 0; r < nr; r++) {                                               \
				const void *wr = (const char *)w + (size_t)r * ws;                       \
				switch (mm) {                                                            \
				case 4: gemm_float_row(kind, n, wr, ai, as, yi + r, ys, 4); break;       \
				case 3: gemm_float_row(kind, n, wr, ai, as, yi + r, ys, 3); break;       \
				case 2: gemm_float_row(kind, n, wr, ai, as, yi + r, ys, 2); break;       \
				default: gemm_float_row(kind, n, wr, ai, as, yi + r, ys, 1); break;      \
				}                                                                        \
			}                                                                                \
		}                                                                                        \
	}

GEMM_F(gemm_f32, 0)
GEMM_F(gemm_f16, 1)
GEMM_F(gemm_bf16, 2)

/* ---- dense helpers ---------------------------------------------------------- */

static float dot_f32(const float *a, const float *b, int64_t n)
{
	__m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
	int64_t i = 0;
	for (; i + 16 <= n; i += 16) {
		s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
		s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
	}
	for (; i + 8 <= n; i += 8)
		s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
	float s = hsum8(_mm256_add_ps(s0, s1));
	for (; i < n; i++)
		s += a[i] * b[i];
	return s;
}

static float dot_f16_f32(const uint16_t *a, const float *b, int64_t n)
{
	__m256 s0 = _mm256_setzero_ps();
	int64_t i = 0;
	for (; i + 8 <= n; i += 8)
		s0 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(a + i))), _mm256_loadu_ps(b + i), s0);
	float s = hsum8(s0);
	for (; i < n; i++)
		s += f16(a[i]) * b[i];
	return s;
}

static void axpy_f32(float *y, float a, const float *x, int64_t n)
{
	__m256 va = _mm256_set1_ps(a);
	int64_t i = 0;
	for (; i + 8 <= n; i += 8)
		_mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
	for (; i < n; i++)
		y[i] += a * x[i];
}

/* y += a * x for f16 x (the V rows of the KV cache). */
static void axpy_f16_f32(float *y, float a, const uint16_t *x, int64_t n)
{
	__m256 va = _mm256_set1_ps(a);
	int64_t i = 0;
	for (; i + 8 <= n; i += 8)
		_mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i))),
							_mm256_loadu_ps(y + i)));
	for (; i < n; i++)
		y[i] += a * f16(x[i]);
}

/* f32 → f16 with round-to-nearest-even (F16C), f16 → f32 exactly. */
static void cvt_f32_f16(uint16_t *dst, const float *src, int64_t n)
{
	int64_t i = 0;
	for (; i + 8 <= n; i += 8)
		_mm_storeu_si128((__m128i *)(dst + i),
				 _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
	for (; i < n; i++)
		dst[i] = _cvtss_sh(src[i], _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}

static void cvt_f16_f32(float *dst, const uint16_t *src, int64_t n)
{
	int64_t i = 0;
	for (; i + 8 <= n; i += 8)
		_mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(src + i))));
	for (; i < n; i++)
		dst[i] = f16(src[i]);
}

static size_t act_q8_0_bytes(int64_t cols) { return (size_t)(cols / CR_QK8_0) * sizeof(cr_block_q8_0); }
static size_t act_q8_k_bytes(int64_t cols) { return (size_t)(cols / CR_QK_K) * sizeof(cr_block_q8_k); }

/* C = A·B, blocked 6 rows × 16 columns (twelve ymm accumulators); the
 * column tail is masked. See the AVX-512 twin. */
static inline __attribute__((always_inline)) void gemm_blk(int mr, int64_t k, const float *A, int64_t lda,
							  const float *B, int64_t ldb, float *C, int64_t ldc,
							  __m256i m0, __m256i m1)
{
	__m256 c0[6], c1[6];
	for (int r = 0; r < 6; r++)
		c0[r] = c1[r] = _mm256_setzero_ps();
	for (int64_t p = 0; p < k; p++) {
		__m256 b0 = _mm256_maskload_ps(B + p * ldb, m0);
		__m256 b1 = _mm256_maskload_ps(B + p * ldb + 8, m1);
		for (int r = 0; r < mr; r++) {
			__m256 a = _mm256_broadcast_ss(A + r * lda + p);
			c0[r] = _mm256_fmadd_ps(a, b0, c0[r]);
			c1[r] = _mm256_fmadd_ps(a, b1, c1[r]);
		}
	}
	for (int r = 0; r < mr; r++) {
		_mm256_maskstore_ps(C + r * ldc, m0, c0[r]);
		_mm256_maskstore_ps(C + r * ldc + 8, m1, c1[r]);
	}
}

static void gemm_nn_f32(int64_t m, int64_t n, int64_t k, const float *A, int64_t lda, const float *B, int64_t ldb,
			float *C, int64_t ldc)
{
	const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
	for (int64_t j = 0; j < n; j += 16) {
		int w = (int)CR_MIN(n - j, (int64_t)16);
		__m256i m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(w), iota);
		__m256i m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(w - 8), iota);
		const float *Bj = B + j;
		float *Cj = C + j;
		int64_t i = 0;
		for (; i + 6 <= m; i += 6)
			gemm_blk(6, k, A + i * lda, lda, Bj, ldb, Cj + i * ldc, ldc, m0, m1);
		switch (m - i) {
		case 5: gemm_blk(5, k, A + i * lda, lda, Bj, ldb, Cj + i * ldc, ldc, m0, m1); break;
		case 4: gemm_blk(4, k, A + i * lda, lda, Bj, ldb, Cj + i * ldc, ldc, m0, m1); break;
		case 3: gemm_blk(3, k, A + i * lda, lda, Bj, ldb, Cj + i * ldc, ldc, m0, m1); break;
		case 2: gemm_blk(2, k, A + i * lda, lda, Bj, ldb, Cj + i * ldc, ldc, m0, m1); break;
		case 1: gemm_blk(1, k, A + i * lda, lda, Bj, ldb, Cj + i * ldc, ldc, m0, m1); break;
		default: break;
		}
	}
}

/* exp(x) as in the AVX-512 twin, 2^n built in the exponent field (inputs
 * clamped to [-87.3, 88.7], so below that it returns ~1e-38, not 0). */
static inline __m256 exp256(__m256 x)
{
	x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.7f));
	__m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
				   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
	__m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
	r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
	__m256 p = _mm256_set1_ps(1.9875691500e-4f);
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
	p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
	/* 2^n in two halves so n = 128 (x near 88.7) does not overflow the field */
	__m256i ni = _mm256_cvtps_epi32(n);
	__m256i h = _mm256_srai_epi32(ni, 1);
	__m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(h, _mm256_set1_epi32(127)), 23));
	__m256 s2 = _mm256_castsi256_ps(
		_mm256_slli_epi32(_mm256_add_epi32(_mm256_sub_epi32(ni, h), _mm256_set1_epi32(127)), 23));
	return _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
}

static float softmax_f32(float *x, int64_t n, float scale)
{
	float mx = x[0];
	int64_t i = 0;
	__m256 vm = _mm256_set1_ps(-INFINITY);
	for (; i + 8 <= n; i += 8)
		vm = _mm256_max_ps(vm, _mm256_loadu_ps(x + i));
	float t[8];
	_mm256_storeu_ps(t, vm);
	for (int l = 0; l < 8; l++)
		mx = t[l] > mx ? t[l] : mx;
	for (; i < n; i++)
		mx = x[i] > mx ? x[i] : mx;
	__m256 vx = _mm256_set1_ps(mx), vs = _mm256_set1_ps(scale), sum = _mm256_setzero_ps();
	for (i = 0; i + 8 <= n; i += 8) {
		__m256 e = exp256(_mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), vx), vs));
		_mm256_storeu_ps(x + i, e);
		sum = _mm256_add_ps(sum, e);
	}
	_mm256_storeu_ps(t, sum);
	float s = ((t[0] + t[1]) + (t[2] + t[3])) + ((t[4] + t[5]) + (t[6] + t[7]));
	if (i < n) {
		float buf[8] = {0};
		int64_t r = n - i;
		for (int64_t l = 0; l < r; l++)
			buf[l] = (x[i + l] - mx) * scale;
		_mm256_storeu_ps(buf, exp256(_mm256_loadu_ps(buf)));
		for (int64_t l = 0; l < r; l++)
			s += x[i + l] = buf[l];
	}
	return s;
}

static void swiglu_f32(float *g, const float *u, int64_t n)
{
	const __m256 one = _mm256_set1_ps(1.0f);
	int64_t i = 0;
	for (; i + 8 <= n; i += 8) {
		__m256 v = _mm256_loadu_ps(g + i);
		__m256 e = exp256(_mm256_sub_ps(_mm256_setzero_ps(), v));
		_mm256_storeu_ps(g + i, _mm256_mul_ps(_mm256_div_ps(v, _mm256_add_ps(one, e)), _mm256_loadu_ps(u + i)));
	}
	if (i < n) {
		float bg[8] = {0}, bu[8] = {0};
		int64_t r = n - i;
		memcpy(bg, g + i, (size_t)r * sizeof(float));
		memcpy(bu, u + i, (size_t)r * sizeof(float));
		__m256 v = _mm256_loadu_ps(bg);
		__m256 e = exp256(_mm256_sub_ps(_mm256_setzero_ps(), v));
		_mm256_storeu_ps(bg, _mm256_mul_ps(_mm256_div_ps(v, _mm256_add_ps(one, e)), _mm256_loadu_ps(bu)));
		memcpy(g + i, bg, (size_t)r * sizeof(float));
	}
}

const cr_kern cr_kern_avx2 = {
	.name = "avx2",
	.mm = {
		[CR_TT_F32] = {NULL, NULL, gemm_f32},
		[CR_TT_F16] = {NULL, NULL, gemm_f16},
		[CR_TT_BF16] = {NULL, NULL, gemm_bf16},
		[CR_TT_Q4_0] = {act_q8_0_bytes, cr_ref_quant_q8_0, gemm_q4_0},
		[CR_TT_Q8_0] = {act_q8_0_bytes, cr_ref_quant_q8_0, gemm_q8_0},
		[CR_TT_Q4_K] = {act_q8_k_bytes, cr_ref_quant_q8_k, gemm_q4_k},
		[CR_TT_Q5_K] = {act_q8_k_bytes, cr_ref_quant_q8_k, gemm_q5_k},
		[CR_TT_Q6_K] = {act_q8_k_bytes, cr_ref_quant_q8_k, gemm_q6_k},
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
