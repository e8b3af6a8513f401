/*
 * avx512.c — AVX-512 (F/BW/VL/DQ + VNNI) twins of the kernels in ref.c.
 *
 * Built with the AVX-512 flags (CMakeLists.txt); only reached through
 * dispatch.c after CPUID says the CPU and OS support it.
 *
 * Quantized products run on vpdpbusd (u8 × s8 → s32, four products per
 * lane): weights are the unsigned operand (Q4_0/Q4_K nibbles and Q6_K's
 * 6-bit values as they are, Q8_0 with 0x80 flipped, i.e. q + 128), the
 * activation the signed one, and the offsets (−8, −128, −32, the k-quant
 * mins) come back through per-block activation sums computed once when the
 * activation row is quantized. Each level may lay activations out as it
 * likes (cr_mm_kern), and this one stores them in the order the weight
 * unpacking produces, with float scales and sums spread over the lanes that
 * hold each block, so the inner loops need no horizontal work:
 *
 *   Q4_0 weights: per 4 blocks, lo[64] (elements 0..15 of block k in
 *     128-bit lane k), hi[64] (elements 16..31), da[16], off[16] (four lanes
 *     per block; off = −8·da·Σa/4) — 256 bytes; rows padded to 8 blocks.
 *   Q8_0 weights: per 2 blocks, qs[64], da[16], off[16] (eight lanes per
 *     block, off = −128·da·Σa/8) — 192 bytes; rows padded to 4 blocks.
 *   Q4_K: per block, quants reordered as sub-blocks (0,2)(1,3)(4,6)(5,7) to
 *     match low/high nibbles of 64-byte loads, then da and da·Σa per 32.
 *   Q5_K: the Q4_K layout (the fifth bits join the nibbles in registers).
 *   Q6_K: per block, quants in order, da, and da·Σa per 16.
 *
 * Weight bytes are read with unaligned or masked loads (never past a row)
 * and scattered into place with vpermt2b, so the GGML layout is used as it
 * is in the file. Each type has a decode (weight blocks → registers) and a
 * dot (decoded blocks · one activation group); the tiles walk one weight
 * row at a time over up to four activation rows (prompts without AMX reuse
 * each decoded block four times), and generation's one activation row
 * takes four weight rows from four far-apart streams in one loop (gemv4_*).
 */
/* vpermt2b (VBMI) scatters GGML blocks into place; dispatch.c requires it
 * for this level, and the build flags in CMakeLists.txt do not name it. */
#if !defined(__clang__)
#pragma GCC target("avx512vbmi")
#endif
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "cpu/quant.h"
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512vbmi"))), apply_to = function)
#endif

#define AI __attribute__((always_inline)) static inline
/* software prefetch distance in bytes: helps one core keep enough misses in
 * flight when weights stream from DRAM (measured: +20% for Q4_0 m = 1) */
#ifndef PF_DIST
#define PF_DIST 2048
#endif

static __mmask64 bytes_mask(int64_t n) { return n >= 64 ? ~(__mmask64)0 : n <= 0 ? 0 : (((__mmask64)1 << n) - 1); }

/* Quantizes 16·k floats (k zmm) with scale d = amax/127 rounded the way the
 * weight's dot product will read it back; returns the scale, writes quants
 * (round to nearest even, as ref.c) and the sum of each 16. */
AI float quant_span(const float *x, int k, int f16_scale, int8_t *q, int *sum16)
{
	__m512 amax = _mm512_setzero_ps();
	for (int i = 0; i < k; i++)
		amax = _mm512_max_ps(amax, _mm512_abs_ps(_mm512_loadu_ps(x + 16 * i)));
	float am = _mm512_reduce_max_ps(amax);
	float d = am / 127.0f, id = d ? 1.0f / d : 0.0f;
	__m512 vid = _mm512_set1_ps(id);
	for (int i = 0; i < k; i++) {
		__m512i v = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(x + 16 * i), vid));
		v = _mm512_max_epi32(_mm512_min_epi32(v, _mm512_set1_epi32(127)), _mm512_set1_epi32(-127));
		_mm_storeu_si128((__m128i *)(q + 16 * i), _mm512_cvtepi32_epi8(v));
		sum16[i] = _mm512_reduce_add_epi32(v);
	}
	return f16_scale ? _cvtsh_ss(_cvtss_sh(d, _MM_FROUND_TO_NEAREST_INT)) : d;
}

/* The next `full` bytes of a row (136 or 144: four Q8_0 or eight Q4_0
 * blocks) in three registers, with prefetch ahead; fewer left (bytes <
 * full, the row's tail) are read with masks so nothing past the row is. */
AI void load_span(const uint8_t *p, int64_t bytes, int64_t full, __m512i *z0, __m512i *z1, __m512i *z2)
{
	_mm_prefetch((const char *)p + PF_DIST, _MM_HINT_T0);
	_mm_prefetch((const char *)p + PF_DIST + 64, _MM_HINT_T0);
	_mm_prefetch((const char *)p + PF_DIST + 128, _MM_HINT_T0);
	if (bytes >= full) {
		*z0 = _mm512_loadu_si512(p);
		*z1 = _mm512_loadu_si512(p + 64);
		*z2 = _mm512_maskz_loadu_epi8(bytes_mask(full - 128), p + 128);
	} else {
		*z0 = _mm512_maskz_loadu_epi8(bytes_mask(bytes), p);
		*z1 = _mm512_maskz_loadu_epi8(bytes_mask(bytes - 64), p + 64);
		*z2 = _mm512_setzero_si512();
	}
}

/* ---- Q4_0 ------------------------------------------------------------------- */

static size_t act_q4_0_bytes(int64_t cols) { return (size_t)((cols / 32 + 7) / 8) * 512; }

static void act_q4_0(const float *x, void *va, int64_t cols)
{
	int64_t nb = cols / 32;
	uint8_t *a = va;
	memset(a, 0, act_q4_0_bytes(cols));
	for (int64_t b = 0; b < nb; b++, x += 32) {
		uint8_t *g = a + (b / 4) * 256;
		int k = (int)(b % 4), s[2];
		int8_t q[32];
		float d = quant_span(x, 2, 1, q, s);
		memcpy(g + 16 * k, q, 16);
		memcpy(g + 64 + 16 * k, q + 16, 16);
		float off = -8.0f * d * (float)(s[0] + s[1]) / 4.0f;
		for (int l = 0; l < 4; l++) {
			((float *)(g + 128))[4 * k + l] = d;
			((float *)(g + 192))[4 * k + l] = off;
		}
	}
}

/* Eight Q4_0 blocks of a weight row (left < 8: the row's tail, read with
 * masked loads), unpacked for the dot product with one activation group. */
typedef struct q4_0_w {
	__m512i lo03, hi03, lo47, hi47;
	__m512 dw03, dw47;
} q4_0_w;

AI void q4_0_decode(const uint8_t *p, int64_t left, q4_0_w *w)
{
	const __m512i idx_n03 = _mm512_set_epi8(
		71, 70, 69, 68, 67, 66, 65, 64, 63, 62, 61, 60, 59, 58, 57, 56,
		53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40, 39, 38,
		35, 34, 33, 32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20,
		17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2);
	const __m512i idx_n47 = _mm512_add_epi8(idx_n03, _mm512_set1_epi8(8)); /* 72 - 64 */
	const __m512i idx_s = _mm512_set_epi8(
		127, 126, 127, 126, 127, 126, 127, 126, 109, 108, 109, 108, 109, 108, 109, 108,
		91, 90, 91, 90, 91, 90, 91, 90, 73, 72, 73, 72, 73, 72, 73, 72,
		55, 54, 55, 54, 55, 54, 55, 54, 37, 36, 37, 36, 37, 36, 37, 36,
		19, 18, 19, 18, 19, 18, 19, 18, 1, 0, 1, 0, 1, 0, 1, 0);
	const __m512i m4 = _mm512_set1_epi8(0x0F);
	__m512i z0, z1, z2;
	load_span(p, 18 * left, 144, &z0, &z1, &z2);
	__m512i n03 = _mm512_permutex2var_epi8(z0, idx_n03, z1);
	__m512i n47 = _mm512_permutex2var_epi8(z1, idx_n47, z2);
	__m512i sc = _mm512_permutex2var_epi8(z0, idx_s, z1);
	w->dw03 = _mm512_cvtph_ps(_mm512_castsi512_si256(sc));
	w->dw47 = _mm512_cvtph_ps(_mm512_extracti64x4_epi64(sc, 1));
	w->lo03 = _mm512_and_si512(n03, m4);
	w->hi03 = _mm512_and_si512(_mm512_srli_epi16(n03, 4), m4);
	w->lo47 = _mm512_and_si512(n47, m4);
	w->hi47 = _mm512_and_si512(_mm512_srli_epi16(n47, 4), m4);
}

/* acc + the eight blocks · activation group g (512 bytes, see act_q4_0) */
AI __m512 q4_0_dot(const q4_0_w *w, const uint8_t *g, __m512 acc)
{
	__m512i d0 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), w->lo03, _mm512_load_si512(g));
	d0 = _mm512_dpbusd_epi32(d0, w->hi03, _mm512_load_si512(g + 64));
	__m512i d1 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), w->lo47, _mm512_load_si512(g + 256));
	d1 = _mm512_dpbusd_epi32(d1, w->hi47, _mm512_load_si512(g + 320));
	__m512 t0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d0), _mm512_load_ps(g + 128), _mm512_load_ps(g + 192));
	__m512 t1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d1), _mm512_load_ps(g + 384), _mm512_load_ps(g + 448));
	acc = _mm512_fmadd_ps(w->dw03, t0, acc);
	return _mm512_fmadd_ps(w->dw47, t1, acc);
}

/* The row tile (one weight row, up to four activation rows) and the
 * generation loop (one activation row, four weight rows from four far-apart
 * streams in one loop: the activation loads are shared and the rows' loads
 * and dependency chains interleave, so more misses are in flight at once)
 * of a type with a decode/dot pair: `nblk` blocks of `bbytes` per decode,
 * `gbytes` of activation group per decode. */
#define ROW_KERNELS(t, nblk, bbytes, gbytes)                                                            \
	AI void gemm_##t##_row(int64_t nb, const uint8_t *row, const uint8_t *a, size_t as, float *y,   \
			       int64_t ys, const int M)                                                  \
	{                                                                                               \
		__m512 acc[4];                                                                          \
		for (int j = 0; j < M; j++)                                                             \
			acc[j] = _mm512_setzero_ps();                                                   \
		for (int64_t b = 0; b < nb; b += (nblk)) {                                              \
			t##_w w;                                                                        \
			t##_decode(row + (bbytes) * b, nb - b, &w);                                     \
			for (int j = 0; j < M; j++)                                                     \
				acc[j] = t##_dot(&w, a + (size_t)j * as + (size_t)(b / (nblk)) * (gbytes), \
						 acc[j]);                                               \
		}                                                                                       \
		for (int j = 0; j < M; j++)                                                             \
			y[j * ys] = _mm512_reduce_add_ps(acc[j]);                                       \
	}                                                                                               \
	AI void gemv4_##t(int64_t nb, const uint8_t *const r[4], const uint8_t *a, float *const y[4])  \
	{                                                                                               \
		__m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(),         \
				 _mm512_setzero_ps()};                                                  \
		for (int64_t b = 0; b < nb; b += (nblk))                                                \
			for (int s = 0; s < 4; s++) {                                                   \
				t##_w w;                                                                \
				t##_decode(r[s] + (bbytes) * b, nb - b, &w);                            \
				acc[s] = t##_dot(&w, a + (size_t)(b / (nblk)) * (gbytes), acc[s]);      \
			}                                                                               \
		for (int s = 0; s < 4; s++)                                                             \
			*y[s] = _mm512_reduce_add_ps(acc[s]);                                           \
	}

ROW_KERNELS(q4_0, 8, 18, 512)

/* ---- Q8_0 ------------------------------------------------------------------- */

static size_t act_q8_0_bytes(int64_t cols) { return (size_t)((cols / 32 + 3) / 4) * 384; }

static void act_q8_0(const float *x, void *va, int64_t cols)
{
	int64_t nb = cols / 32;
	uint8_t *a = va;
	memset(a, 0, act_q8_0_bytes(cols));
	for (int64_t b = 0; b < nb; b++, x += 32) {
		uint8_t *g = a + (b / 2) * 192;
		int k = (int)(b % 2), s[2];
		float d = quant_span(x, 2, 1, (int8_t *)g + 32 * k, s);
		float off = -128.0f * d * (float)(s[0] + s[1]) / 8.0f;
		for (int l = 0; l < 8; l++) {
			((float *)(g + 64))[8 * k + l] = d;
			((float *)(g + 128))[8 * k + l] = off;
		}
	}
}

/* Four Q8_0 blocks of a weight row (left < 4: the row's tail), as u8
 * (q + 128) with their scales spread over the lanes. */
typedef struct q8_0_w {
	__m512i w01, w23;
	__m512 dw01, dw23;
} q8_0_w;

AI void q8_0_decode(const uint8_t *p, int64_t left, q8_0_w *w)
{
	/* blocks 0,1 qs: bytes 2..33, 36..67; blocks 2,3 from byte 64: 6..37, 40..71 */
	const __m512i idx_p01 = _mm512_set_epi8(
		67, 66, 65, 64, 63, 62, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52,
		51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36,
		33, 32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18,
		17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2);
	const __m512i idx_p23 = _mm512_add_epi8(idx_p01, _mm512_set1_epi8(4));
	const __m512i idx_s = _mm512_set_epi8(
		103, 102, 103, 102, 103, 102, 103, 102, 103, 102, 103, 102, 103, 102, 103, 102,
		69, 68, 69, 68, 69, 68, 69, 68, 69, 68, 69, 68, 69, 68, 69, 68,
		35, 34, 35, 34, 35, 34, 35, 34, 35, 34, 35, 34, 35, 34, 35, 34,
		1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0);
	const __m512i flip = _mm512_set1_epi8((char)0x80);
	__m512i z0, z1, z2;
	load_span(p, 34 * left, 136, &z0, &z1, &z2);
	w->w01 = _mm512_xor_si512(_mm512_permutex2var_epi8(z0, idx_p01, z1), flip);
	w->w23 = _mm512_xor_si512(_mm512_permutex2var_epi8(z1, idx_p23, z2), flip);
	__m512i sc = _mm512_permutex2var_epi8(z0, idx_s, z1);
	w->dw01 = _mm512_cvtph_ps(_mm512_castsi512_si256(sc));
	w->dw23 = _mm512_cvtph_ps(_mm512_extracti64x4_epi64(sc, 1));
}

/* acc + the four blocks · activation group g (384 bytes, see act_q8_0) */
AI __m512 q8_0_dot(const q8_0_w *w, const uint8_t *g, __m512 acc)
{
	__m512i d0 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), w->w01, _mm512_load_si512(g));
	__m512i d1 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), w->w23, _mm512_load_si512(g + 192));
	__m512 t0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d0), _mm512_load_ps(g + 64), _mm512_load_ps(g + 128));
	__m512 t1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d1), _mm512_load_ps(g + 256), _mm512_load_ps(g + 320));
	acc = _mm512_fmadd_ps(w->dw01, t0, acc);
	return _mm512_fmadd_ps(w->dw23, t1, acc);
}

ROW_KERNELS(q8_0, 4, 34, 384)

/* ---- Q4_K ------------------------------------------------------------------- */

#define AK4_BYTES 320 /* qs[256] reordered, float d, float da·Σa per 32 [8] */

static size_t act_q4_k_bytes(int64_t cols) { return (size_t)(cols / 256) * AK4_BYTES; }

static void act_q4_k(const float *x, void *va, int64_t cols)
{
	uint8_t *a = va;
	static const int order[8] = {0, 2, 1, 3, 4, 6, 5, 7};
	for (int64_t b = 0; b < cols / 256; b++, x += 256, a += AK4_BYTES) {
		int8_t q[256];
		int s[16];
		float d = quant_span(x, 16, 0, q, s);
		for (int i = 0; i < 8; i++) {
			memcpy(a + 32 * i, q + 32 * order[i], 32);
			((float *)(a + 260))[i] = d * (float)(s[2 * i] + s[2 * i + 1]);
		}
		memcpy(a + 256, &d, 4);
	}
}

/* The eight 6-bit scales and mins of a Q4_K/Q5_K block as bytes. */
AI void k4_scales(const uint8_t *q, uint64_t *sc, uint64_t *mn)
{
	uint32_t u0, u1, u2;
	memcpy(&u0, q, 4);
	memcpy(&u1, q + 4, 4);
	memcpy(&u2, q + 8, 4);
	uint32_t s_lo = u0 & 0x3f3f3f3fu, m_lo = u1 & 0x3f3f3f3fu;
	uint32_t s_hi = (u2 & 0x0f0f0f0fu) | (((u0 >> 6) & 0x03030303u) << 4);
	uint32_t m_hi = ((u2 >> 4) & 0x0f0f0f0fu) | (((u1 >> 6) & 0x03030303u) << 4);
	*sc = (uint64_t)s_hi << 32 | s_lo;
	*mn = (uint64_t)m_hi << 32 | m_lo;
}

AI void gemm_q4_k_row(int64_t nb, const uint8_t *row, const uint8_t *a, size_t as, float *y, int64_t ys,
		      const int M)
{
	const __m512i m4 = _mm512_set1_epi8(0x0F);
	const __m512i i02 = _mm512_set_epi32(2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0);
	const __m512i i13 = _mm512_add_epi32(i02, _mm512_set1_epi32(1));
	const __m512i i46 = _mm512_add_epi32(i02, _mm512_set1_epi32(4));
	const __m512i i57 = _mm512_add_epi32(i02, _mm512_set1_epi32(5));
	__m512 acc[4];
	__m256 macc[4];
	for (int j = 0; j < M; j++) {
		acc[j] = _mm512_setzero_ps();
		macc[j] = _mm256_setzero_ps();
	}
	for (int64_t b = 0; b < nb; b++) {
		const uint8_t *p = row + 144 * b;
		uint16_t dh, mh;
		_mm_prefetch((const char *)p + PF_DIST, _MM_HINT_T0);
		_mm_prefetch((const char *)p + PF_DIST + 64, _MM_HINT_T0);
		_mm_prefetch((const char *)p + PF_DIST + 128, _MM_HINT_T0);
		memcpy(&dh, p, 2);
		memcpy(&mh, p + 2, 2);
		uint64_t sc8, mn8;
		k4_scales(p + 4, &sc8, &mn8);
		__m256 dsc = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_cvtsi64_si128((long long)sc8))),
					   _mm256_set1_ps(_cvtsh_ss(dh)));
		__m256 dmn = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_cvtsi64_si128((long long)mn8))),
					   _mm256_set1_ps(_cvtsh_ss(mh)));
		__m512 dz = _mm512_castps256_ps512(dsc);
		__m512 s02 = _mm512_permutexvar_ps(i02, dz), s13 = _mm512_permutexvar_ps(i13, dz);
		__m512 s46 = _mm512_permutexvar_ps(i46, dz), s57 = _mm512_permutexvar_ps(i57, dz);
		__m512i A = _mm512_loadu_si512(p + 16), B = _mm512_loadu_si512(p + 80);
		__m512i a0 = _mm512_and_si512(A, m4), a1 = _mm512_and_si512(_mm512_srli_epi16(A, 4), m4);
		__m512i b0 = _mm512_and_si512(B, m4), b1 = _mm512_and_si512(_mm512_srli_epi16(B, 4), m4);
		for (int j = 0; j < M; j++) {
			const uint8_t *g = a + (size_t)j * as + (size_t)b * AK4_BYTES;
			__m512i d0 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), a0, _mm512_loadu_si512(g));
			__m512i d1 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), a1, _mm512_loadu_si512(g + 64));
			__m512i d2 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), b0, _mm512_loadu_si512(g + 128));
			__m512i d3 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), b1, _mm512_loadu_si512(g + 192));
			__m512 t = _mm512_mul_ps(_mm512_cvtepi32_ps(d0), s02);
			t = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d1), s13, t);
			t = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d2), s46, t);
			t = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d3), s57, t);
			float da;
			memcpy(&da, g + 256, 4);
			acc[j] = _mm512_fmadd_ps(t, _mm512_set1_ps(da), acc[j]);
			macc[j] = _mm256_fmadd_ps(dmn, _mm256_loadu_ps((const float *)(g + 260)), macc[j]);
		}
	}
	for (int j = 0; j < M; j++) {
		__m256 h = macc[j];
		__m128 s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
		s = _mm_add_ps(s, _mm_movehl_ps(s, s));
		s = _mm_add_ss(s, _mm_movehdup_ps(s));
		y[j * ys] = _mm512_reduce_add_ps(acc[j]) - _mm_cvtss_f32(s);
	}
}

/* ---- Q5_K ------------------------------------------------------------------- */

/* Q5_K runs on the Q4_K activation layout (AK4, act_q4_k): the nibbles of
 * qs unpack as in Q4_K into sub-blocks (0,2)(1,3)(4,6)(5,7), one pair per
 * zmm, and the fifth bit of element l of sub-block k (bit k of qh[l]) is
 * ORed in at bit 4: qh is broadcast to both halves and each half shifted
 * (16-bit lanes, per-half counts) so bit k of every byte lands on bit 4 of
 * the same byte, then one vpternlogd does x | (that & 0x10). Weights 0..31
 * stay the unsigned operand of vpdpbusd. Generation (one activation row)
 * takes four weight rows per loop like gemv4_q8_0 (measured a few percent
 * faster than one row at a time). */
AI void q5_k_unpack(const uint8_t *p, __m512i *a0, __m512i *a1, __m512i *b0, __m512i *b1)
{
	const __m512i m4 = _mm512_set1_epi8(0x0F), m10 = _mm512_set1_epi8(0x10);
	/* 16-bit shift counts per half that bring bit k of each byte to bit 4 */
	const __m512i c02 = _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_set1_epi16(2), 1);
	const __m512i c13 = _mm512_sub_epi16(c02, _mm512_set1_epi16(1));
	const __m512i c46 = _mm512_sub_epi16(_mm512_set1_epi16(4), c02);
	const __m512i c57 = _mm512_add_epi16(c46, _mm512_set1_epi16(1));
	__m512i H = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(p + 16)));
	__m512i A = _mm512_loadu_si512(p + 48), B = _mm512_loadu_si512(p + 112);
	__m512i x0 = _mm512_and_si512(A, m4), x1 = _mm512_and_si512(_mm512_srli_epi16(A, 4), m4);
	__m512i y0 = _mm512_and_si512(B, m4), y1 = _mm512_and_si512(_mm512_srli_epi16(B, 4), m4);
	/* x | (shifted qh & 0x10) */
	*a0 = _mm512_ternarylogic_epi32(x0, _mm512_sllv_epi16(H, c02), m10, 0xF8);
	*a1 = _mm512_ternarylogic_epi32(x1, _mm512_sllv_epi16(H, c13), m10, 0xF8);
	*b0 = _mm512_ternarylogic_epi32(y0, _mm512_srlv_epi16(H, c46), m10, 0xF8);
	*b1 = _mm512_ternarylogic_epi32(y1, _mm512_srlv_epi16(H, c57), m10, 0xF8);
}

/* d·sc spread over the lanes of each sub-block pair, d_min·m per sub-block:
 * scales and mins interleaved (sc0, m0, sc1, m1, ...) become one zmm of
 * floats times (d, d_min, d, d_min, ...), then five permutes pick them out. */
AI void q5_k_scales(const uint8_t *p, __m512 *s02, __m512 *s13, __m512 *s46, __m512 *s57, __m256 *dmn)
{
	const __m512i i02 = _mm512_set_epi32(4, 4, 4, 4, 4, 4, 4, 4, 0, 0, 0, 0, 0, 0, 0, 0);
	const __m512i iodd = _mm512_set_epi32(15, 13, 11, 9, 7, 5, 3, 1, 15, 13, 11, 9, 7, 5, 3, 1);
	uint32_t dd;
	memcpy(&dd, p, 4);
	uint64_t sc8, mn8;
	k4_scales(p + 4, &sc8, &mn8);
	__m128i sm = _mm_unpacklo_epi8(_mm_cvtsi64_si128((long long)sc8), _mm_cvtsi64_si128((long long)mn8));
	__m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(sm)),
				 _mm512_cvtph_ps(_mm256_set1_epi32((int)dd)));
	*s02 = _mm512_permutexvar_ps(i02, v);
	*s13 = _mm512_permutexvar_ps(_mm512_add_epi32(i02, _mm512_set1_epi32(2)), v);
	*s46 = _mm512_permutexvar_ps(_mm512_add_epi32(i02, _mm512_set1_epi32(8)), v);
	*s57 = _mm512_permutexvar_ps(_mm512_add_epi32(i02, _mm512_set1_epi32(10)), v);
	*dmn = _mm512_castps512_ps256(_mm512_permutexvar_ps(iodd, v));
}

AI float hsum256(__m256 h)
{
	__m128 s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
	s = _mm_add_ps(s, _mm_movehl_ps(s, s));
	s = _mm_add_ss(s, _mm_movehdup_ps(s));
	return _mm_cvtss_f32(s);
}

/* One Q5_K block of a weight row, unpacked for the dot product. */
typedef struct q5_k_w {
	__m512i a0, a1, b0, b1;
	__m512 s02, s13, s46, s57;
	__m256 dmn;
} q5_k_w;

AI void q5_k_decode(const uint8_t *p, q5_k_w *w)
{
	_mm_prefetch((const char *)p + PF_DIST, _MM_HINT_T0);
	_mm_prefetch((const char *)p + PF_DIST + 64, _MM_HINT_T0);
	_mm_prefetch((const char *)p + PF_DIST + 128, _MM_HINT_T0);
	q5_k_scales(p, &w->s02, &w->s13, &w->s46, &w->s57, &w->dmn);
	q5_k_unpack(p, &w->a0, &w->a1, &w->b0, &w->b1);
}

/* the block · activation block g (Q4_K's layout, AK4_BYTES) into acc, and
 * dmin·m · da·Σa per 32 into macc (subtracted at the end) */
AI void q5_k_dot(const q5_k_w *w, const uint8_t *g, __m512 *acc, __m256 *macc)
{
	__m512i d0 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), w->a0, _mm512_loadu_si512(g));
	__m512i d1 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), w->a1, _mm512_loadu_si512(g + 64));
	__m512i d2 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), w->b0, _mm512_loadu_si512(g + 128));
	__m512i d3 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), w->b1, _mm512_loadu_si512(g + 192));
	__m512 t = _mm512_mul_ps(_mm512_cvtepi32_ps(d0), w->s02);
	t = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d1), w->s13, t);
	t = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d2), w->s46, t);
	t = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d3), w->s57, t);
	float da;
	memcpy(&da, g + 256, 4);
	*acc = _mm512_fmadd_ps(t, _mm512_set1_ps(da), *acc);
	*macc = _mm256_fmadd_ps(w->dmn, _mm256_loadu_ps((const float *)(g + 260)), *macc);
}

AI void gemm_q5_k_row(int64_t nb, const uint8_t *row, const uint8_t *a, size_t as, float *y, int64_t ys,
		      const int M)
{
	__m512 acc[4];
	__m256 macc[4];
	for (int j = 0; j < M; j++) {
		acc[j] = _mm512_setzero_ps();
		macc[j] = _mm256_setzero_ps();
	}
	for (int64_t b = 0; b < nb; b++) {
		q5_k_w w;
		q5_k_decode(row + 176 * b, &w);
		for (int j = 0; j < M; j++)
			q5_k_dot(&w, a + (size_t)j * as + (size_t)b * AK4_BYTES, &acc[j], &macc[j]);
	}
	for (int j = 0; j < M; j++)
		y[j * ys] = _mm512_reduce_add_ps(acc[j]) - hsum256(macc[j]);
}

/* Q5_K's generation loop (see ROW_KERNELS) */
AI void gemv4_q5_k(int64_t nb, const uint8_t *const r[4], const uint8_t *a, float *const y[4])
{
	__m512 acc[4];
	__m256 macc[4];
	for (int s = 0; s < 4; s++) {
		acc[s] = _mm512_setzero_ps();
		macc[s] = _mm256_setzero_ps();
	}
	for (int64_t b = 0; b < nb; b++)
		for (int s = 0; s < 4; s++) {
			q5_k_w w;
			q5_k_decode(r[s] + 176 * b, &w);
			q5_k_dot(&w, a + (size_t)b * AK4_BYTES, &acc[s], &macc[s]);
		}
	for (int s = 0; s < 4; s++)
		*y[s] = _mm512_reduce_add_ps(acc[s]) - hsum256(macc[s]);
}

/* ---- Q6_K ------------------------------------------------------------------- */

#define AK6_BYTES 384 /* qs[256], float d (+pad to 320), float da·Σa per 16 [16] */

static size_t act_q6_k_bytes(int64_t cols) { return (size_t)(cols / 256) * AK6_BYTES; }

static void act_q6_k(const float *x, void *va, int64_t cols)
{
	uint8_t *a = va;
	for (int64_t b = 0; b < cols / 256; b++, x += 256, a += AK6_BYTES) {
		int s[16];
		float d = quant_span(x, 16, 0, (int8_t *)a, s);
		memset(a + 256, 0, 64);
		memcpy(a + 256, &d, 4);
		for (int i = 0; i < 16; i++)
			((float *)(a + 320))[i] = d * (float)s[i];
	}
}

AI void gemm_q6_k_row(int64_t nb, const uint8_t *row, const uint8_t *a, size_t as, float *y, int64_t ys,
		      const int M)
{
	const __m512i m4 = _mm512_set1_epi8(0x0F), m2 = _mm512_set1_epi8(0x03);
	const __m512i sh0 = _mm512_set_epi16(2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
					     0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
	const __m512i sh1 = _mm512_add_epi16(sh0, _mm512_set1_epi16(4));
	/* lane groups of four: sub-blocks 0..3 of a 64-element span */
	const __m512i q0 = _mm512_set_epi32(3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0);
	__m512 acc[4], oacc[4];
	for (int j = 0; j < M; j++) {
		acc[j] = _mm512_setzero_ps();
		oacc[j] = _mm512_setzero_ps();
	}
	for (int64_t b = 0; b < nb; b++) {
		const uint8_t *p = row + 210 * b;
		uint16_t dh;
		for (int l = 0; l < 4; l++)
			_mm_prefetch((const char *)p + PF_DIST + 64 * l, _MM_HINT_T0);
		memcpy(&dh, p + 208, 2);
		__m512 S = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(p + 192)))),
					 _mm512_set1_ps(_cvtsh_ss(dh)));
		__m512i v[4];
		__m512 sl[4];
		for (int h = 0; h < 2; h++) {
			__m512i QL = _mm512_loadu_si512(p + 64 * h);
			__m512i QH = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(p + 128 + 32 * h)));
			__m512i hb0 = _mm512_slli_epi16(_mm512_and_si512(_mm512_srlv_epi16(QH, sh0), m2), 4);
			__m512i hb1 = _mm512_slli_epi16(_mm512_and_si512(_mm512_srlv_epi16(QH, sh1), m2), 4);
			v[2 * h] = _mm512_or_si512(_mm512_and_si512(QL, m4), hb0);
			v[2 * h + 1] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(QL, 4), m4), hb1);
			sl[2 * h] = _mm512_permutexvar_ps(_mm512_add_epi32(q0, _mm512_set1_epi32(8 * h)), S);
			sl[2 * h + 1] = _mm512_permutexvar_ps(_mm512_add_epi32(q0, _mm512_set1_epi32(8 * h + 4)), S);
		}
		for (int j = 0; j < M; j++) {
			const uint8_t *g = a + (size_t)j * as + (size_t)b * AK6_BYTES;
			__m512 t = _mm512_setzero_ps();
			for (int k = 0; k < 4; k++) {
				__m512i d = _mm512_dpbusd_epi32(_mm512_setzero_si512(), v[k], _mm512_loadu_si512(g + 64 * k));
				t = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d), sl[k], t);
			}
			float da;
			memcpy(&da, g + 256, 4);
			acc[j] = _mm512_fmadd_ps(t, _mm512_set1_ps(da), acc[j]);
			oacc[j] = _mm512_fmadd_ps(S, _mm512_loadu_ps((const float *)(g + 320)), oacc[j]);
		}
	}
	for (int j = 0; j < M; j++)
		y[j * ys] = _mm512_reduce_add_ps(acc[j]) - 32.0f * _mm512_reduce_add_ps(oacc[j]);
}

/* ---- Q4_0 interleaved by 16 rows (x16.c) -------------------------------------
 *
 * One row in each 32-bit lane: per block, four 64-byte loads give the 16
 * rows' nibbles (low and high: eight u8 registers, shared by the M
 * activation rows), and each activation row takes eight vpdpbusd against
 * its quant bytes broadcast four at a time, one conversion and two FMAs
 * (the same fused operations as cr_x16_ref, so the results are identical).
 * The 16 sums of a row are stored as they are: no horizontal work. */
typedef int32_t x16_i32 __attribute__((may_alias, aligned(1)));

/* Blocks [b0, b1) of a row of nb blocks; b0 > 0 continues the sums in y. */
AI void x16_rows(int64_t nb, int64_t b0, int64_t b1, const uint8_t *wg, const char *a, size_t as, float *y,
		 int64_t ys, const int M)
{
	const __m512i m4 = _mm512_set1_epi8(0x0F);
	__m512 acc[8];
	for (int j = 0; j < M; j++)
		acc[j] = b0 ? _mm512_loadu_ps(y + j * ys) : _mm512_setzero_ps();
	for (int64_t b = b0; b < b1; b++) {
		const uint8_t *p = wg + (size_t)b * 288;
		_mm_prefetch((const char *)p + 1152, _MM_HINT_T0);
		_mm_prefetch((const char *)p + 1152 + 64, _MM_HINT_T0);
		_mm_prefetch((const char *)p + 1152 + 128, _MM_HINT_T0);
		_mm_prefetch((const char *)p + 1152 + 192, _MM_HINT_T0);
		_mm_prefetch((const char *)p + 1152 + 256, _MM_HINT_T0);
		__m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p));
		__m512i w[8];
		for (int k = 0; k < 4; k++) {
			__m512i v = _mm512_loadu_si512(p + 32 + 64 * k);
			w[2 * k] = _mm512_and_si512(v, m4);
			w[2 * k + 1] = _mm512_and_si512(_mm512_srli_epi16(v, 4), m4);
		}
		/* the M rows' integer sums side by side (independent chains);
		 * quant bytes broadcast straight from memory ({1to16}) */
		__m512i sum[8];
		for (int j = 0; j < M; j++)
			sum[j] = _mm512_setzero_si512();
		for (int k = 0; k < 4; k++)
			for (int h = 0; h < 2; h++)
				for (int j = 0; j < M; j++) {
					const x16_i32 *q = (const x16_i32 *)(a + (size_t)j * as + (size_t)b * 32);
					sum[j] = _mm512_dpbusd_epi32(sum[j], w[2 * k + h], _mm512_set1_epi32(q[4 * h + k]));
				}
		for (int j = 0; j < M; j++) {
			const float *d = (const float *)(a + (size_t)j * as + (size_t)nb * 32);
			__m512 t = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum[j]), _mm512_set1_ps(d[b]), _mm512_set1_ps(d[nb + b]));
			acc[j] = _mm512_fmadd_ps(dw, t, acc[j]);
		}
	}
	for (int j = 0; j < M; j++)
		_mm512_storeu_ps(y + j * ys, acc[j]);
}

/* cr_x16_act's bytes (quant_span rounds and scales as cr_ref_quant_q8_0) */
static void x16_act(const float *x, void *va, int64_t cols)
{
	const int64_t nb = cols / 32;
	int8_t *q = va;
	float *d = (float *)(q + nb * 32), *off = d + nb;
	for (int64_t b = 0; b < nb; b++) {
		int s[2];
		d[b] = quant_span(x + 32 * b, 2, 1, q + 32 * b, s);
		off[b] = -8.0f * d[b] * (float)(s[0] + s[1]);
	}
}

/* Long rows go in panels of X16_PANEL blocks (all the task's groups over
 * one panel, then the next, the sums kept in y between panels): eight
 * activation rows of ffn_down's 4,864 columns are 48 KB, more than L1, and
 * every group would read them again from L2; a panel's are 10 KB. Same
 * operations in the same order per row as without panels. */
#define X16_PANEL 32

static void x16_q4_0(int64_t cols, const void *w, int64_t g0, int64_t g1, const void *a, size_t as, int64_t m,
		     float *y, int64_t ys)
{
	const int64_t nb = cols / 32;
	for (int64_t b0 = 0; b0 < nb; b0 += X16_PANEL) {
		int64_t b1 = CR_MIN(nb, b0 + X16_PANEL);
		for (int64_t g = g0; g < g1; g++) {
			const uint8_t *wg = (const uint8_t *)w + (size_t)g * (size_t)nb * 288;
			for (int64_t i = 0; i < m; i += 8) {
				const char *ai = (const char *)a + (size_t)i * as;
				float *yi = y + i * ys + g * 16;
				switch (CR_MIN(8, m - i)) {
				case 8: x16_rows(nb, b0, b1, wg, ai, as, yi, ys, 8); break;
				case 7: x16_rows(nb, b0, b1, wg, ai, as, yi, ys, 7); break;
				case 6: x16_rows(nb, b0, b1, wg, ai, as, yi, ys, 6); break;
				case 5: x16_rows(nb, b0, b1, wg, ai, as, yi, ys, 5); break;
				case 4: x16_rows(nb, b0, b1, wg, ai, as, yi, ys, 4); break;
				case 3: x16_rows(nb, b0, b1, wg, ai, as, yi, ys, 3); break;
				case 2: x16_rows(nb, b0, b1, wg, ai, as, yi, ys, 2); break;
				default: x16_rows(nb, b0, b1, wg, ai, as, yi, ys, 1); break;
				}
			}
		}
	}
}

/* ---- float weights ---------------------------------------------------------- */

AI __m512 load_w(int kind, const void *w, int64_t i, __mmask16 k)
{
	if (kind == 0)
		return _mm512_maskz_loadu_ps(k, (const float *)w + i);
	__m256i h = _mm256_maskz_loadu_epi16(k, (const uint16_t *)w + i);
	if (kind == 1)
		return _mm512_cvtph_ps(h);
	return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

AI void gemm_float_row(int kind, int64_t n, const void *w, const float *x, size_t xs, float *y, int64_t ys,
		       const int M)
{
	__m512 acc[4];
	for (int j = 0; j < M; j++)
		acc[j] = _mm512_setzero_ps();
	for (int64_t i = 0; i < n; i += 16) {
		__mmask16 k = n - i >= 16 ? 0xFFFF : (__mmask16)((1u << (n - i)) - 1);
		__m512 wv = load_w(kind, w, i, k);
		for (int j = 0; j < M; j++)
			acc[j] = _mm512_fmadd_ps(wv, _mm512_maskz_loadu_ps(k, (const float *)((const char *)x + j * xs) + i), acc[j]);
	}
	for (int j = 0; j < M; j++)
		y[j * ys] = _mm512_reduce_add_ps(acc[j]);
}

/* ---- tiles: rows × activation rows in passes of up to four ------------------ */

#define GEMM_Q(name, rowfn, row4fn, blk)                                                                     \
	static void name(int64_t n, const void *w, size_t ws, int64_t nr, const void *a, size_t as,     \
			 int64_t m, float *y, int64_t ys)                                              \
	{                                                                                               \
		int64_t nb = n / (blk);                                                                 \
		if (m == 1 && nr >= 16) {                                                               \
			int64_t q = nr / 4;                                                             \
			for (int64_t r = 0; r < q; r++) {                                               \
				const uint8_t *r4[4];                                                   \
				float *y4[4];                                                           \
				for (int s = 0; s < 4; s++) {                                           \
					r4[s] = (const uint8_t *)w + (size_t)(r + s * q) * ws;          \
					y4[s] = y + r + s * q;                                          \
				}                                                                       \
				row4fn(nb, r4, (const uint8_t *)a, as, y4, rowfn);                      \
			}                                                                               \
			for (int64_t r = 4 * q; r < nr; r++)                                            \
				rowfn(nb, (const uint8_t *)w + (size_t)r * ws, (const uint8_t *)a, as,  \
				      y + r, ys, 1);                                                    \
			return;                                                                         \
		}                                                                                       \
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

/* the four streams one row after another (types without a gemv4) */
#define ROWS4(nb, r4, a, as, y4, rowfn)                                                      \
	do {                                                                                 \
		for (int s_ = 0; s_ < 4; s_++)                                               \
			rowfn(nb, (r4)[s_], a, as, (y4)[s_], 1, 1);                          \
	} while (0)
#define Q8_0_ROWS4(nb, r4, a, as, y4, rowfn) gemv4_q8_0(nb, r4, a, y4)
#define Q4_0_ROWS4(nb, r4, a, as, y4, rowfn) gemv4_q4_0(nb, r4, a, y4)
#define Q5_K_ROWS4(nb, r4, a, as, y4, rowfn) gemv4_q5_k(nb, r4, a, y4)

GEMM_Q(gemm_q4_0, gemm_q4_0_row, Q4_0_ROWS4, 32)
GEMM_Q(gemm_q8_0, gemm_q8_0_row, Q8_0_ROWS4, 32)
GEMM_Q(gemm_q4_k, gemm_q4_k_row, ROWS4, 256)
GEMM_Q(gemm_q5_k, gemm_q5_k_row, Q5_K_ROWS4, 256)
GEMM_Q(gemm_q6_k, gemm_q6_k_row, ROWS4, 256)

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
	__m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
	int64_t i = 0;
	for (; i + 32 <= n; i += 32) {
		s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
		s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
	}
	for (; i < n; i += 16) {
		__mmask16 k = n - i >= 16 ? 0xFFFF : (__mmask16)((1u << (n - i)) - 1);
		s0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(k, a + i), _mm512_maskz_loadu_ps(k, b + i), s0);
	}
	return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

static float dot_f16_f32(const uint16_t *a, const float *b, int64_t n)
{
	__m512 s0 = _mm512_setzero_ps();
	for (int64_t i = 0; i < n; i += 16) {
		__mmask16 k = n - i >= 16 ? 0xFFFF : (__mmask16)((1u << (n - i)) - 1);
		s0 = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_maskz_loadu_epi16(k, a + i)), _mm512_maskz_loadu_ps(k, b + i), s0);
	}
	return _mm512_reduce_add_ps(s0);
}

static void axpy_f32(float *y, float a, const float *x, int64_t n)
{
	__m512 va = _mm512_set1_ps(a);
	for (int64_t i = 0; i < n; i += 16) {
		__mmask16 k = n - i >= 16 ? 0xFFFF : (__mmask16)((1u << (n - i)) - 1);
		_mm512_mask_storeu_ps(y + i, k, _mm512_fmadd_ps(va, _mm512_maskz_loadu_ps(k, x + i), _mm512_maskz_loadu_ps(k, y + i)));
	}
}

/* y += a * x for f16 x (the V rows of the KV cache). */
static void axpy_f16_f32(float *y, float a, const uint16_t *x, int64_t n)
{
	__m512 va = _mm512_set1_ps(a);
	for (int64_t i = 0; i < n; i += 16) {
		__mmask16 k = n - i >= 16 ? 0xFFFF : (__mmask16)((1u << (n - i)) - 1);
		_mm512_mask_storeu_ps(y + i, k, _mm512_fmadd_ps(va, _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(k, x + i)),
								_mm512_maskz_loadu_ps(k, y + i)));
	}
}

/* f32 → f16 with round-to-nearest-even, f16 → f32 exactly; masked tails. */
static void cvt_f32_f16(uint16_t *dst, const float *src, int64_t n)
{
	for (int64_t i = 0; i < n; i += 16) {
		__mmask16 k = n - i >= 16 ? 0xFFFF : (__mmask16)((1u << (n - i)) - 1);
		_mm256_mask_storeu_epi16(dst + i, k,
					 _mm512_cvtps_ph(_mm512_maskz_loadu_ps(k, src + i),
							 _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
	}
}

static void cvt_f16_f32(float *dst, const uint16_t *src, int64_t n)
{
	for (int64_t i = 0; i < n; i += 16) {
		__mmask16 k = n - i >= 16 ? 0xFFFF : (__mmask16)((1u << (n - i)) - 1);
		_mm512_mask_storeu_ps(dst + i, k, _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(k, src + i)));
	}
}

/* C = A·B, blocked 6 rows × 32 columns: twelve accumulators, one row of B
 * (two vectors, masked at the column tail) per step of p, each A element
 * broadcast once. Columns outer so a B panel stays in L1 across row blocks. */
static inline __attribute__((always_inline)) void gemm_blk(int mr, int64_t k, const float *A, int64_t lda,
							  const float *B, int64_t ldb, float *C, int64_t ldc,
							  __mmask16 k0, __mmask16 k1)
{
	__m512 c0[6], c1[6];
	for (int r = 0; r < 6; r++)
		c0[r] = c1[r] = _mm512_setzero_ps();
	for (int64_t p = 0; p < k; p++) {
		__m512 b0 = _mm512_maskz_loadu_ps(k0, B + p * ldb);
		__m512 b1 = _mm512_maskz_loadu_ps(k1, B + p * ldb + 16);
		for (int r = 0; r < mr; r++) {
			__m512 a = _mm512_set1_ps(A[r * lda + p]);
			c0[r] = _mm512_fmadd_ps(a, b0, c0[r]);
			c1[r] = _mm512_fmadd_ps(a, b1, c1[r]);
		}
	}
	for (int r = 0; r < mr; r++) {
		_mm512_mask_storeu_ps(C + r * ldc, k0, c0[r]);
		_mm512_mask_storeu_ps(C + r * ldc + 16, k1, c1[r]);
	}
}

static void gemm_nn_f32(int64_t m, int64_t n, int64_t k, const float *A, int64_t lda, const float *B, int64_t ldb,
			float *C, int64_t ldc)
{
	for (int64_t j = 0; j < n; j += 32) {
		int64_t w = n - j;
		__mmask16 k0 = w >= 16 ? 0xFFFF : (__mmask16)((1u << w) - 1);
		__mmask16 k1 = w >= 32 ? 0xFFFF : w > 16 ? (__mmask16)((1u << (w - 16)) - 1) : 0;
		const float *Bj = B + j;
		float *Cj = C + j;
		int64_t i = 0;
		for (; i + 6 <= m; i += 6)
			gemm_blk(6, k, A + i * lda, lda, Bj, ldb, Cj + i * ldc, ldc, k0, k1);
		switch (m - i) {
		case 5: gemm_blk(5, k, A + i * lda, lda, Bj, ldb, Cj + i * ldc, ldc, k0, k1); break;
		case 4: gemm_blk(4, k, A + i * lda, lda, Bj, ldb, Cj + i * ldc, ldc, k0, k1); break;
		case 3: gemm_blk(3, k, A + i * lda, lda, Bj, ldb, Cj + i * ldc, ldc, k0, k1); break;
		case 2: gemm_blk(2, k, A + i * lda, lda, Bj, ldb, Cj + i * ldc, ldc, k0, k1); break;
		case 1: gemm_blk(1, k, A + i * lda, lda, Bj, ldb, Cj + i * ldc, ldc, k0, k1); break;
		default: break;
		}
	}
}

/* exp(x), Cephes expf: n = round(x log2 e), r = x - n ln 2 (two parts), a
 * degree-6 polynomial, then scalef by 2^n (0 on underflow, inf on overflow). */
static inline __m512 exp512(__m512 x)
{
	x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-104.0f)), _mm512_set1_ps(88.7f));
	__m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
					_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
	__m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
	r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
	__m512 p = _mm512_set1_ps(1.9875691500e-4f);
	p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
	p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
	p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
	p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
	p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
	p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
	return _mm512_scalef_ps(p, n);
}

static float softmax_f32(float *x, int64_t n, float scale)
{
	__m512 vm = _mm512_set1_ps(-INFINITY);
	for (int64_t i = 0; i < n; i += 16) {
		__mmask16 k = n - i >= 16 ? 0xFFFF : (__mmask16)((1u << (n - i)) - 1);
		vm = _mm512_mask_max_ps(vm, k, vm, _mm512_maskz_loadu_ps(k, x + i));
	}
	__m512 mx = _mm512_set1_ps(_mm512_reduce_max_ps(vm)), vs = _mm512_set1_ps(scale), sum = _mm512_setzero_ps();
	for (int64_t i = 0; i < n; i += 16) {
		__mmask16 k = n - i >= 16 ? 0xFFFF : (__mmask16)((1u << (n - i)) - 1);
		__m512 e = exp512(_mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, x + i), mx), vs));
		_mm512_mask_storeu_ps(x + i, k, e);
		sum = _mm512_mask_add_ps(sum, k, sum, e);
	}
	return _mm512_reduce_add_ps(sum);
}

static void swiglu_f32(float *g, const float *u, int64_t n)
{
	const __m512 one = _mm512_set1_ps(1.0f);
	for (int64_t i = 0; i < n; i += 16) {
		__mmask16 k = n - i >= 16 ? 0xFFFF : (__mmask16)((1u << (n - i)) - 1);
		__m512 v = _mm512_maskz_loadu_ps(k, g + i);
		__m512 e = exp512(_mm512_sub_ps(_mm512_setzero_ps(), v));
		__m512 y = _mm512_mul_ps(_mm512_div_ps(v, _mm512_add_ps(one, e)), _mm512_maskz_loadu_ps(k, u + i));
		_mm512_mask_storeu_ps(g + i, k, y);
	}
}

const cr_kern cr_kern_avx512 = {
	.name = "avx512",
	.x16_q4_0 = x16_q4_0,
	.x16_act = x16_act,
	.mm = {
		[CR_TT_F32] = {NULL, NULL, gemm_f32},
		[CR_TT_F16] = {NULL, NULL, gemm_f16},
		[CR_TT_BF16] = {NULL, NULL, gemm_bf16},
		[CR_TT_Q4_0] = {act_q4_0_bytes, act_q4_0, gemm_q4_0},
		[CR_TT_Q8_0] = {act_q8_0_bytes, act_q8_0, gemm_q8_0},
		[CR_TT_Q4_K] = {act_q4_k_bytes, act_q4_k, gemm_q4_k},
		[CR_TT_Q5_K] = {act_q4_k_bytes, act_q4_k, gemm_q5_k},
		[CR_TT_Q6_K] = {act_q6_k_bytes, act_q6_k, gemm_q6_k},
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

#if defined(__clang__)
#pragma clang attribute pop
#endif
