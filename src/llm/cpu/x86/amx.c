/*
 * amx.c — prompt-sized matrix products on AMX-INT8 tiles (Sapphire Rapids
 * and later), used by the avx512 level when m >= 16 and the OS has granted
 * the tile state (dispatch.c asks with arch_prctl(ARCH_REQ_XCOMP_PERM)).
 *
 * Every supported weight type is read as 8-bit quants q with, per K-block
 * of KB elements (32; 16 for Q6_K), a scale s and an offset o so that the
 * weight is s·q − o:
 *   Q4_0  q = nibble − 8 (s8),  s = d,     o = 0     (TDPBSSD)
 *   Q8_0  q = qs (s8),          s = d,     o = 0     (TDPBSSD)
 *   Q6_K  q = 6-bit − 32 (s8),  s = d·sc,  o = 0     (TDPBSSD)
 *   Q4_K  q = nibble (u8),      s = d·sc,  o = dmin·m (TDPBUSD; Q5_K: 5-bit)
 * Activations are quantized per K-block to s8 with their own scale da, and
 * stored per group of 16 rows in the tile layout TDPBUSD reads as its second
 * operand (row k/4 holds, for each of the 16 activation rows, 4 consecutive
 * bytes), followed by da and da·Σa for the 16 rows. Then, per 16 weight
 * rows (unpacked once per chunk into a row-major u8 buffer plus s and o per
 * K-block) and per group of 16 activation rows, each K-block is one TDPBUSD
 * of a 16×KB tile by a KB/4×64 tile into a 16×16 int32 tile, which AVX-512
 * turns into y += s·da·C − o·(da·Σa) (the second term only for Q4_K/Q5_K). Rows and groups past the end are zero
 * padding.
 *
 * Activation quantization here is per K-block (finer than Q8_K's 256), so
 * results differ from the VNNI path by activation rounding only; the kernel
 * tests bound both against the exact product.
 */
#if defined(__x86_64__)
#if !defined(__clang__)
#pragma GCC target("amx-tile,amx-int8,avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")
#endif
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "llm/cpu/quant.h"

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("amx-tile,amx-int8,avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c"))), apply_to = function)
#endif

static int kblock(cr_ttype t) { return t == CR_TT_Q6_K ? 16 : 32; }

/* ---- activation packing ----------------------------------------------------- */

static size_t rec_bytes(int kb) { return (size_t)kb * 16 + 128; }

static size_t pack_bytes_kb(int kb, int64_t m, int64_t cols)
{
	return (size_t)((m + 15) / 16) * (size_t)(cols / kb) * rec_bytes(kb);
}

static void pack_kb(int kb, const float *x, int64_t g0, int64_t g1, int64_t m, int64_t cols, void *va)
{
	int64_t nkb = cols / kb;
	size_t rb = rec_bytes(kb);
	uint8_t *a = va;
	for (int64_t g = g0; g < g1; g++) {
		uint8_t *grp = a + (size_t)g * (size_t)nkb * rb;
		for (int n = 0; n < 16; n++) {
			int64_t i = 16 * g + n;
			for (int64_t k = 0; k < nkb; k++) {
				uint8_t *rec = grp + (size_t)k * rb;
				float *da = (float *)(rec + (size_t)kb * 16), *das = da + 16;
				if (i >= m) {
					for (int q = 0; q < kb / 4; q++)
						memset(rec + 64 * q + 4 * n, 0, 4);
					da[n] = das[n] = 0;
					continue;
				}
				const float *xr = x + i * cols + k * kb;
				__mmask16 mk = kb == 32 ? 0xFFFF : 0xFFFF;
				__m512 x0 = _mm512_maskz_loadu_ps(mk, xr), x1 = kb == 32 ? _mm512_loadu_ps(xr + 16) : _mm512_setzero_ps();
				float am = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(x0), _mm512_abs_ps(x1)));
				float d = am / 127.0f, id = d ? 1.0f / d : 0.0f;
				__m512i q0 = _mm512_cvtps_epi32(_mm512_mul_ps(x0, _mm512_set1_ps(id)));
				__m512i q1 = _mm512_cvtps_epi32(_mm512_mul_ps(x1, _mm512_set1_ps(id)));
				int8_t qb[32];
				_mm_storeu_si128((__m128i *)qb, _mm512_cvtsepi32_epi8(q0));
				_mm_storeu_si128((__m128i *)(qb + 16), _mm512_cvtsepi32_epi8(q1));
				int sum = _mm512_reduce_add_epi32(_mm512_add_epi32(q0, q1));
				for (int q = 0; q < kb / 4; q++)
					memcpy(rec + 64 * q + 4 * n, qb + 4 * q, 4);
				da[n] = d;
				das[n] = d * (float)sum;
			}
		}
	}
}

static size_t pack_bytes32(int64_t m, int64_t cols) { return pack_bytes_kb(32, m, cols); }
static size_t pack_bytes16(int64_t m, int64_t cols) { return pack_bytes_kb(16, m, cols); }
static void pack32(const float *x, int64_t g0, int64_t g1, int64_t m, int64_t cols, void *a)
{
	pack_kb(32, x, g0, g1, m, cols, a);
}
static void pack16(const float *x, int64_t g0, int64_t g1, int64_t m, int64_t cols, void *a)
{
	pack_kb(16, x, g0, g1, m, cols, a);
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

/* ---- the tile product ---------------------------------------------------- */

typedef struct tilecfg {
	uint8_t palette, start_row;
	uint8_t reserved[14];
	uint16_t colsb[16];
	uint8_t rows[16];
} tilecfg;

static __thread int cfg_kb;

static void tiles_config(int kb)
{
	if (cfg_kb == kb)
		return;
	tilecfg c;
	memset(&c, 0, sizeof c);
	c.palette = 1;
	c.rows[0] = 16; /* C: 16 weight rows × 16 int32 */
	c.colsb[0] = 64;
	c.rows[1] = 16; /* A: 16 weight rows × kb u8 */
	c.colsb[1] = (uint16_t)kb;
	c.rows[2] = (uint8_t)(kb / 4); /* B: kb/4 rows × 16 activation rows × 4 s8 */
	c.colsb[2] = 64;

	_tile_loadconfig(&c);
	cfg_kb = kb;
}

/* scratch: u8 quants [16][cols], s and o [16][nkb] */
static void *thread_buf(size_t n)
{
	return cr_cpu_scratch(1, n);
}

/* acc[r] += s[r]·da·C[r] (− o[r]·da·Σa) for the 16 weight rows r */
__attribute__((always_inline)) static inline void post(__m512 acc[16], int32_t C[16][16], const uint8_t *rec, int kb,
						       const float *sk, const float *ok, int64_t nkb, int sgn)
{
	__m512 da = _mm512_loadu_ps((const float *)(rec + (size_t)kb * 16));
	for (int r = 0; r < 16; r++) {
		__m512 c = _mm512_cvtepi32_ps(_mm512_load_si512(C[r]));
		acc[r] = _mm512_fmadd_ps(c, _mm512_mul_ps(_mm512_set1_ps(sk[r * nkb]), da), acc[r]);
	}
	if (!sgn) {
		__m512 das = _mm512_loadu_ps((const float *)(rec + (size_t)kb * 16 + 64));
		for (int r = 0; r < 16; r++)
			acc[r] = _mm512_fnmadd_ps(_mm512_set1_ps(ok[r * nkb]), das, acc[r]);
	}
}

static void gemm_amx(cr_ttype t, int64_t n, const void *w, size_t ws, int64_t nr, const void *a, int64_t m,
		     float *y, int64_t ys)
{
	int kb = kblock(t);
	/* type-0 quants go in signed (q − 8, qs, q − 32) through TDPBSSD and
	 * need no offset; Q4_K/Q5_K keep u8 and subtract dmin·m·Σa */
	int sgn = t == CR_TT_Q4_0 || t == CR_TT_Q8_0 || t == CR_TT_Q6_K;
	int64_t nkb = n / kb, ng = (m + 15) / 16;
	size_t rb = rec_bytes(kb);
	uint8_t *u = thread_buf((size_t)16 * (size_t)n + (size_t)32 * (size_t)nkb * sizeof(float) + 64);
	float *s = (float *)(u + (((size_t)16 * (size_t)n + 63) & ~(size_t)63)), *o = s + 16 * nkb;
	_Alignas(64) int32_t C[16][16];
	_Alignas(64) float tmp[16][16];
	tiles_config(kb);
	for (int64_t r0 = 0; r0 < nr; r0 += 16) {
		int64_t rr = CR_MIN(16, nr - r0);
		for (int r = 0; r < 16; r++) {
			if (r < rr)
				unpack_row(t, (const uint8_t *)w + (size_t)(r0 + r) * ws, n, u + (size_t)r * (size_t)n,
					   s + r * nkb, o + r * nkb);
			else {
				memset(u + (size_t)r * (size_t)n, 0, (size_t)n);
				memset(s + r * nkb, 0, sizeof(float) * (size_t)nkb);
				memset(o + r * nkb, 0, sizeof(float) * (size_t)nkb);
			}
		}
		for (int64_t g = 0; g < ng; g++) {
			const uint8_t *grp = (const uint8_t *)a + (size_t)g * (size_t)nkb * rb;
			__m512 acc[16];
			for (int r = 0; r < 16; r++)
				acc[r] = _mm512_setzero_ps();
			for (int64_t k = 0; k < nkb; k++) {
				const uint8_t *rec = grp + (size_t)k * rb;
				_tile_loadd(1, u + k * kb, n);
				_tile_loadd(2, rec, 64);
				_tile_zero(0);
				if (sgn)
					_tile_dpbssd(0, 1, 2);
				else
					_tile_dpbusd(0, 1, 2);
				_tile_stored(0, C, 64);
				post(acc, C, rec, kb, s + k, o + k, nkb, sgn);
			}
			for (int r = 0; r < 16; r++)
				_mm512_store_ps(tmp[r], acc[r]);
			int64_t nn = CR_MIN(16, m - 16 * g);
			for (int64_t i = 0; i < nn; i++)
				for (int64_t r = 0; r < rr; r++)
					y[(16 * g + i) * ys + r0 + r] = tmp[r][i];
		}
	}
	_tile_release();
	cfg_kb = 0;
}

#define GEMM_AMX(name, type)                                                                     \
	static void name(int64_t n, const void *w, size_t ws, int64_t nr, const void *a, size_t as, \
			 int64_t m, float *y, int64_t ys)                                          \
	{                                                                                           \
		(void)as;                                                                           \
		gemm_amx(type, n, w, ws, nr, a, m, y, ys);                                          \
	}

GEMM_AMX(amx_q4_0, CR_TT_Q4_0)
GEMM_AMX(amx_q8_0, CR_TT_Q8_0)
GEMM_AMX(amx_q4_k, CR_TT_Q4_K)
GEMM_AMX(amx_q5_k, CR_TT_Q5_K)
GEMM_AMX(amx_q6_k, CR_TT_Q6_K)

const cr_big_kern cr_amx_kern[CR_TT__COUNT] = {
	[CR_TT_Q4_0] = {16, pack_bytes32, pack32, amx_q4_0},
	[CR_TT_Q8_0] = {16, pack_bytes32, pack32, amx_q8_0},
	[CR_TT_Q4_K] = {16, pack_bytes32, pack32, amx_q4_k},
	[CR_TT_Q5_K] = {16, pack_bytes32, pack32, amx_q5_k},
	[CR_TT_Q6_K] = {16, pack_bytes16, pack16, amx_q6_k},
};

#if defined(__clang__)
#pragma clang attribute pop
#endif
#else
#include "llm/cpu/quant.h"
const cr_big_kern cr_amx_kern[CR_TT__COUNT];
#endif
