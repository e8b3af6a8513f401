/*
 * amx.c — prompt-sized matrix products on AMX-BF16 tiles (Sapphire Rapids
 * and later), used by the avx512 level when m >= 32 and the OS has granted
 * the tile state (dispatch.c asks with arch_prctl(ARCH_REQ_XCOMP_PERM)).
 *
 * Activations are converted once per product to bf16, row-major, rows padded
 * with zeros to a multiple of 32. Weights are dequantized per task (a slice
 * of 32 rows, one pass of columns) to bf16 in the layout TDPBF16PS reads as
 * its B operand: for each 32 columns a 16×16 grid of dwords whose row j
 * holds, for each of 16 weight rows, the pair of columns 2j, 2j+1 (a 16×16
 * transpose of the rows' bf16 pairs). Each step of 32 columns is then four
 * TDPBF16PS into four fp32 accumulator tiles (2 groups of 16 activation
 * rows × 2 groups of 16 weight rows; A and B tiles each used twice), and the
 * accumulators stay in the tiles across the whole pass: no per-block
 * conversion or scaling, which with int8 tiles (a scale per 32-column
 * block) cost more vector work than the tile product itself. A pass ends
 * with the tiles stored straight into y (loaded from y first on later
 * passes).
 *
 * Dequantization is exact in f32 (s·q − o per block, as ref.c); rounding to
 * bf16 (8 significant bits, on weights and activations) is this path's only
 * approximation, about the size of Q8 activation rounding; the kernel tests
 * bound it against the exact product and the oracle tests compare prompt
 * logits with llama.cpp.
 */
#if defined(__x86_64__)
#if !defined(__clang__)
#pragma GCC target("amx-tile,amx-bf16,avx512f,avx512bw,avx512vl,avx512dq,avx512bf16,avx2,fma,f16c")
#endif
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "cpu/quant.h"

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("amx-tile,amx-bf16,avx512f,avx512bw,avx512vl,avx512dq,avx512bf16,avx2,fma,f16c"))), apply_to = function)
#endif

static int kblock(cr_ttype t) { return t == CR_TT_Q6_K ? 16 : 32; }

/* ---- activation packing: f32 rows → bf16 rows ------------------------------ */

static size_t pack_bytes(int64_t m, int64_t cols) { return (size_t)((m + 31) / 32) * 32 * (size_t)cols * 2; }

static void pack(const float *x, int64_t g0, int64_t g1, int64_t m, int64_t cols, void *va)
{
	uint16_t *a = va;
	for (int64_t i = 32 * g0; i < 32 * g1; i++) {
		uint16_t *dst = a + (size_t)i * (size_t)cols;
		if (i >= m) {
			memset(dst, 0, (size_t)cols * 2);
			continue;
		}
		const float *xr = x + i * cols;
		for (int64_t c = 0; c < cols; c += 32) {
			__m512bh v = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(xr + c + 16), _mm512_loadu_ps(xr + c));
			_mm512_storeu_si512(dst + c, (__m512i)v);
		}
	}
}

/* ---- weight unpacking: 16 rows → u8 quants, s and o per K-block ------------ */

static void unpack_row(cr_ttype t, const uint8_t *w, int64_t cols, uint8_t *u, float *s, float *o)
{
	const __m256i m4 = _mm256_set1_epi8(0x0F), m2 = _mm256_set1_epi8(0x03);
	switch (t) {
	case CR_TT_Q4_0:
		for (int64_t b = 0; b < cols / 32; b++) {
			const cr_block_q4_0 *x = (const cr_block_q4_0 *)w + b;
			__m128i q = _mm_loadu_si128((const __m128i *)x->qs);
			__m256i v = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(q, 4), q), m4);
			_mm256_storeu_si256((__m256i *)(u + 32 * b), _mm256_sub_epi8(v, _mm256_set1_epi8(8)));
			s[b] = _cvtsh_ss(x->d);
			o[b] = 0;
		}
		break;
	case CR_TT_Q8_0:
		for (int64_t b = 0; b < cols / 32; b++) {
			const cr_block_q8_0 *x = (const cr_block_q8_0 *)w + b;
			_mm256_storeu_si256((__m256i *)(u + 32 * b), _mm256_loadu_si256((const __m256i *)x->qs));
			s[b] = _cvtsh_ss(x->d);
			o[b] = 0;
		}
		break;
	case CR_TT_Q4_K:
	case CR_TT_Q5_K: {
		size_t bb = t == CR_TT_Q4_K ? sizeof(cr_block_q4_k) : sizeof(cr_block_q5_k);
		for (int64_t b = 0; b < cols / 256; b++) {
			const uint8_t *blk = w + (size_t)b * bb;
			uint16_t dh, mh;
			memcpy(&dh, blk, 2);
			memcpy(&mh, blk + 2, 2);
			float d = _cvtsh_ss(dh), dmin = _cvtsh_ss(mh);
			const uint8_t *sc = blk + 4;
			const uint8_t *qs = t == CR_TT_Q4_K ? blk + 16 : blk + 48, *qh = blk + 16;
			for (int k = 0; k < 4; k++) {
				__m256i q = _mm256_loadu_si256((const __m256i *)(qs + 32 * k));
				__m256i lo = _mm256_and_si256(q, m4), hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
				if (t == CR_TT_Q5_K) {
					__m256i h = _mm256_loadu_si256((const __m256i *)qh);
					__m256i b0 = _mm256_and_si256(_mm256_srli_epi16(h, 2 * k), _mm256_set1_epi8(1));
					__m256i b1 = _mm256_and_si256(_mm256_srli_epi16(h, 2 * k + 1), _mm256_set1_epi8(1));
					lo = _mm256_or_si256(lo, _mm256_slli_epi16(b0, 4));
					hi = _mm256_or_si256(hi, _mm256_slli_epi16(b1, 4));
				}
				_mm256_storeu_si256((__m256i *)(u + 256 * b + 64 * k), lo);
				_mm256_storeu_si256((__m256i *)(u + 256 * b + 64 * k + 32), hi);
			}
			for (int k = 0; k < 8; k++) {
				uint8_t scv, mv;
				cr_q4k_scale_min(k, sc, &scv, &mv);
				s[8 * b + k] = d * scv;
				o[8 * b + k] = dmin * mv;
			}
		}
		break;
	}
	case CR_TT_Q6_K:
		for (int64_t b = 0; b < cols / 256; b++) {
			const cr_block_q6_k *x = (const cr_block_q6_k *)(w + (size_t)b * sizeof(cr_block_q6_k));
			for (int h = 0; h < 2; h++) {
				__m256i l0 = _mm256_loadu_si256((const __m256i *)(x->ql + 64 * h));
				__m256i l1 = _mm256_loadu_si256((const __m256i *)(x->ql + 64 * h + 32));
				__m256i qh = _mm256_loadu_si256((const __m256i *)(x->qh + 32 * h));
				uint8_t *dst = u + 256 * b + 128 * h;
				const __m256i k32 = _mm256_set1_epi8(32);
				_mm256_storeu_si256((__m256i *)dst, _mm256_sub_epi8(_mm256_or_si256(_mm256_and_si256(l0, m4),
					_mm256_slli_epi16(_mm256_and_si256(qh, m2), 4)), k32));
				_mm256_storeu_si256((__m256i *)(dst + 32), _mm256_sub_epi8(_mm256_or_si256(_mm256_and_si256(l1, m4),
					_mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2), m2), 4)), k32));
				_mm256_storeu_si256((__m256i *)(dst + 64), _mm256_sub_epi8(_mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4),
					_mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 4), m2), 4)), k32));
				_mm256_storeu_si256((__m256i *)(dst + 96), _mm256_sub_epi8(_mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4),
					_mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 6), m2), 4)), k32));
			}
			float d = _cvtsh_ss(x->d);
			for (int k = 0; k < 16; k++) {
				s[16 * b + k] = d * (float)x->scales[k];
				o[16 * b + k] = 0;
			}
		}
		break;
	default:
		break;
	}
}

/* ---- weights → B tiles -------------------------------------------------------- */

/* 16×16 dwords in place: v[r] lane i → v[i] lane r */
__attribute__((always_inline)) static inline void transpose16(__m512 v[16])
{
	__m512 t[16];
#pragma GCC unroll 8
	for (int k = 0; k < 8; k++) {
		t[2 * k] = _mm512_unpacklo_ps(v[2 * k], v[2 * k + 1]);
		t[2 * k + 1] = _mm512_unpackhi_ps(v[2 * k], v[2 * k + 1]);
	}
#pragma GCC unroll 4
	for (int k = 0; k < 4; k++) {
		v[4 * k] = _mm512_shuffle_ps(t[4 * k], t[4 * k + 2], 0x44);
		v[4 * k + 1] = _mm512_shuffle_ps(t[4 * k], t[4 * k + 2], 0xEE);
		v[4 * k + 2] = _mm512_shuffle_ps(t[4 * k + 1], t[4 * k + 3], 0x44);
		v[4 * k + 3] = _mm512_shuffle_ps(t[4 * k + 1], t[4 * k + 3], 0xEE);
	}
#pragma GCC unroll 4
	for (int k = 0; k < 4; k++) {
		t[k] = _mm512_shuffle_f32x4(v[k], v[k + 4], 0x88);
		t[k + 4] = _mm512_shuffle_f32x4(v[k], v[k + 4], 0xDD);
		t[k + 8] = _mm512_shuffle_f32x4(v[k + 8], v[k + 12], 0x88);
		t[k + 12] = _mm512_shuffle_f32x4(v[k + 8], v[k + 12], 0xDD);
	}
#pragma GCC unroll 8
	for (int k = 0; k < 8; k++) {
		v[k] = _mm512_shuffle_f32x4(t[k], t[k + 8], 0x88);
		v[k + 8] = _mm512_shuffle_f32x4(t[k], t[k + 8], 0xDD);
	}
}

/* 32 columns of one unpacked row (quants q, per-block s and o) as 32 bf16 */
__attribute__((always_inline)) static inline __m512 row_bf16(const uint8_t *q, int sgn, float s0, float o0, float s1,
							      float o1)
{
	__m128i lo = _mm_loadu_si128((const __m128i *)q), hi = _mm_loadu_si128((const __m128i *)(q + 16));
	__m512i il = sgn ? _mm512_cvtepi8_epi32(lo) : _mm512_cvtepu8_epi32(lo);
	__m512i ih = sgn ? _mm512_cvtepi8_epi32(hi) : _mm512_cvtepu8_epi32(hi);
	__m512 fl = _mm512_fmsub_ps(_mm512_cvtepi32_ps(il), _mm512_set1_ps(s0), _mm512_set1_ps(o0));
	__m512 fh = _mm512_fmsub_ps(_mm512_cvtepi32_ps(ih), _mm512_set1_ps(s1), _mm512_set1_ps(o1));
	return _mm512_castsi512_ps((__m512i)_mm512_cvtne2ps_pbh(fh, fl));
}

/* Rows [0, nr) of w (nr <= 32; the rest zero), columns [k0, k0 + kc), into
 * two runs (weight rows 0-15, 16-31) of kc/32 B tiles of 1 KiB each. */
static void weights_to_tiles(cr_ttype t, const uint8_t *w, size_t ws, int64_t nr, int64_t k0, int64_t kc, uint8_t *u,
			     float *s, float *o, uint8_t *B)
{
	int kb = kblock(t);
	int sgn = t == CR_TT_Q4_0 || t == CR_TT_Q8_0 || t == CR_TT_Q6_K;
	int64_t nkb = kc / kb, nks = kc / 32;
	size_t woff = cr_cpu_row_bytes(t, k0);
	for (int64_t r = 0; r < nr; r++)
		unpack_row(t, w + (size_t)r * ws + woff, kc, u + (size_t)r * (size_t)kc, s + r * nkb, o + r * nkb);
	for (int h = 0; h < 2; h++)
		for (int64_t ks = 0; ks < nks; ks++) {
			__m512 v[16];
			for (int rr = 0; rr < 16; rr++) {
				int64_t r = 16 * h + rr;
				if (r >= nr) {
					v[rr] = _mm512_setzero_ps();
					continue;
				}
				const float *sr = s + r * nkb, *orr = o + r * nkb;
				int64_t b0 = kb == 32 ? ks : 2 * ks, b1 = kb == 32 ? ks : 2 * ks + 1;
				v[rr] = row_bf16(u + (size_t)r * (size_t)kc + 32 * ks, sgn, sr[b0], orr[b0], sr[b1], orr[b1]);
			}
			transpose16(v);
			uint8_t *dst = B + ((size_t)h * (size_t)nks + (size_t)ks) * 1024;
			for (int j = 0; j < 16; j++)
				_mm512_store_ps((float *)(dst + 64 * j), v[j]);
		}
}

/* ---- the tile product ---------------------------------------------------- */

typedef struct tilecfg {
	uint8_t palette, start_row;
	uint8_t reserved[14];
	uint16_t colsb[16];
	uint8_t rows[16];
} tilecfg;

static __thread int cfg_done;

/* every tile 16 rows × 64 bytes: C 0-3 (fp32 16×16), A 4-5 (16 activation
 * rows × 32 bf16), B 6-7 (16 column pairs × 16 weight rows) */
static void tiles_config(void)
{
	if (cfg_done)
		return;
	tilecfg c;
	memset(&c, 0, sizeof c);
	c.palette = 1;
	for (int t = 0; t < 8; t++) {
		c.rows[t] = 16;
		c.colsb[t] = 64;
	}
	_tile_loadconfig(&c);
	cfg_done = 1;
}

/* A C tile's 16×16 block of y: straight from/to y when whole, else through
 * a zero-padded copy. */
#define C_IN(tile, yb, ni, nw, acc, tmp)                                                             \
	do {                                                                                         \
		if (!(acc))                                                                          \
			_tile_zero(tile);                                                            \
		else if ((ni) == 16 && (nw) == 16)                                                   \
			_tile_loadd(tile, yb, ys * 4);                                               \
		else {                                                                               \
			memset(tmp, 0, sizeof tmp);                                                  \
			for (int64_t i_ = 0; i_ < (ni); i_++)                                        \
				memcpy(tmp[i_], (yb) + i_ * ys, sizeof(float) * (size_t)(nw));      \
			_tile_loadd(tile, tmp, 64);                                                  \
		}                                                                                    \
	} while (0)

#define C_OUT(tile, yb, ni, nw, tmp)                                                                 \
	do {                                                                                         \
		if ((ni) == 16 && (nw) == 16)                                                        \
			_tile_stored(tile, yb, ys * 4);                                              \
		else if ((ni) > 0 && (nw) > 0) {                                                     \
			_tile_stored(tile, tmp, 64);                                                 \
			for (int64_t i_ = 0; i_ < (ni); i_++)                                        \
				memcpy((yb) + i_ * ys, tmp[i_], sizeof(float) * (size_t)(nw));      \
		}                                                                                    \
	} while (0)

static void gemm_amx(cr_ttype t, int64_t cols, int64_t k0, int64_t k1, int acc, const void *w, size_t ws,
		     int64_t nr, const void *a, int64_t m, float *y, int64_t ys)
{
	int64_t kc = k1 - k0, nks = kc / 32, nkb = kc / kblock(t);
	size_t ub = ((size_t)32 * (size_t)kc + 63) & ~(size_t)63, sb = ((size_t)64 * (size_t)nkb * sizeof(float) + 63) & ~(size_t)63;
	uint8_t *u = cr_cpu_scratch(1, ub + sb + (size_t)2 * (size_t)nks * 1024 + 64);
	float *s = (float *)(u + ub), *o = s + 32 * nkb;
	uint8_t *B = u + ub + sb;
	weights_to_tiles(t, w, ws, nr, k0, kc, u, s, o, B);
	const uint8_t *B0 = B, *B1 = B + (size_t)nks * 1024;
	int64_t nw0 = CR_MIN(16, nr), nw1 = CR_MAX(0, nr - 16);
	size_t astride = (size_t)cols * 2;
	_Alignas(64) float tmp[16][16];
	tiles_config();
	for (int64_t i0 = 0; i0 < m; i0 += 32) {
		const uint8_t *a0 = (const uint8_t *)a + (size_t)i0 * astride + (size_t)k0 * 2, *a1 = a0 + 16 * astride;
		int64_t ni0 = CR_MIN(16, m - i0), ni1 = CR_MAX(0, CR_MIN(16, m - i0 - 16));
		float *y00 = y + i0 * ys, *y10 = y00 + 16 * ys;
		C_IN(0, y00, ni0, nw0, acc, tmp);
		C_IN(1, y00 + 16, ni0, nw1, acc, tmp);
		C_IN(2, y10, ni1, nw0, acc, tmp);
		C_IN(3, y10 + 16, ni1, nw1, acc, tmp);
		for (int64_t ks = 0; ks < nks; ks++) {
			_tile_loadd(4, a0 + 64 * ks, astride);
			_tile_loadd(6, B0 + 1024 * ks, 64);
			_tile_dpbf16ps(0, 4, 6);
			_tile_loadd(7, B1 + 1024 * ks, 64);
			_tile_dpbf16ps(1, 4, 7);
			_tile_loadd(5, a1 + 64 * ks, astride);
			_tile_dpbf16ps(2, 5, 6);
			_tile_dpbf16ps(3, 5, 7);
		}
		C_OUT(0, y00, ni0, nw0, tmp);
		C_OUT(1, y00 + 16, ni0, nw1, tmp);
		C_OUT(2, y10, ni1, nw0, tmp);
		C_OUT(3, y10 + 16, ni1, nw1, tmp);
	}
	_tile_release();
	cfg_done = 0;
}

#define GEMM_AMX(name, type)                                                                            \
	static void name(int64_t cols, int64_t k0, int64_t k1, int acc, const void *w, size_t ws, int64_t nr, \
			 const void *a, int64_t m, float *y, int64_t ys)                                  \
	{                                                                                                  \
		gemm_amx(type, cols, k0, k1, acc, w, ws, nr, a, m, y, ys);                                 \
	}

GEMM_AMX(amx_q4_0, CR_TT_Q4_0)
GEMM_AMX(amx_q8_0, CR_TT_Q8_0)
GEMM_AMX(amx_q4_k, CR_TT_Q4_K)
GEMM_AMX(amx_q5_k, CR_TT_Q5_K)
GEMM_AMX(amx_q6_k, CR_TT_Q6_K)

/* min_m 32, 32 weight rows per task, passes of 1024 columns (512 activation
 * rows of bf16: 1 MiB, half of L2) */
const cr_big_kern cr_amx_kern[CR_TT__COUNT] = {
	[CR_TT_Q4_0] = {32, 32, 1024, pack_bytes, pack, amx_q4_0},
	[CR_TT_Q8_0] = {32, 32, 1024, pack_bytes, pack, amx_q8_0},
	[CR_TT_Q4_K] = {32, 32, 1024, pack_bytes, pack, amx_q4_k},
	[CR_TT_Q5_K] = {32, 32, 1024, pack_bytes, pack, amx_q5_k},
	[CR_TT_Q6_K] = {32, 32, 1024, pack_bytes, pack, amx_q6_k},
};

#if defined(__clang__)
#pragma clang attribute pop
#endif
#else
#include "cpu/quant.h"
const cr_big_kern cr_amx_kern[CR_TT__COUNT];
#endif
