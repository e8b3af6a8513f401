/*
 * quant.c — rows of each tensor type to float and back.
 *
 * cr_dequant_row is exact GGML semantics (the model uses it for embedding
 * lookups; tests use it as the meaning of a block). cr_quant_row writes
 * valid GGML blocks for the model generator and tests:
 *   Q8_0, Q4_0   GGML's reference rule (scale from the signed absolute max,
 *                round to nearest).
 *   Q4_K, Q5_K   per 32-element sub-block a scale s and min m with
 *                x ≈ s*q − m, found by trying 21 candidate step sizes around
 *                (max−min)/qmax, rounding, and refitting s and m by least
 *                squares (unweighted; GGML weights by |x| and searches a few
 *                more steps); then sc and m go to 6 bits under fp16 d, dmin,
 *                and the quants are recomputed against the stored scales.
 *   Q6_K         per 16-element sub-block a signed scale, same candidate
 *                search + least-squares refit, scales to int8 under fp16 d.
 *   Q8_K         activation quantizer (ref.c).
 * Measured RMSE (tests/kernels/test_kernels.c prints it) is within a few
 * percent of GGML's reference quantizers on Gaussian data.
 * Layouts: quant.h.
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "cpu/quant.h"

int cr_cpu_block(cr_ttype t)
{
	switch (t) {
	case CR_TT_F32: case CR_TT_F16: case CR_TT_BF16: return 1;
	case CR_TT_Q4_0: case CR_TT_Q8_0: return 32;
	case CR_TT_Q4_K: case CR_TT_Q5_K: case CR_TT_Q6_K: case CR_TT_Q8_K: return CR_QK_K;
	default: return 0;
	}
}

size_t cr_cpu_block_bytes(cr_ttype t)
{
	switch (t) {
	case CR_TT_F32: return 4;
	case CR_TT_F16: case CR_TT_BF16: return 2;
	case CR_TT_Q4_0: return sizeof(cr_block_q4_0);
	case CR_TT_Q8_0: return sizeof(cr_block_q8_0);
	case CR_TT_Q4_K: return sizeof(cr_block_q4_k);
	case CR_TT_Q5_K: return sizeof(cr_block_q5_k);
	case CR_TT_Q6_K: return sizeof(cr_block_q6_k);
	case CR_TT_Q8_K: return sizeof(cr_block_q8_k);
	default: return 0;
	}
}

cr_ttype cr_cpu_act_type(cr_ttype wt)
{
	switch (wt) {
	case CR_TT_Q4_0: case CR_TT_Q8_0: return CR_TT_Q8_0;
	case CR_TT_Q4_K: case CR_TT_Q5_K: case CR_TT_Q6_K: return CR_TT_Q8_K;
	default: return CR_TT_F32;
	}
}

/* ---- dequantization ----------------------------------------------------- */

static void deq_q4_0(const cr_block_q4_0 *x, float *y, int64_t nb)
{
	for (int64_t b = 0; b < nb; b++, y += 32) {
		float d = cr_f16_to_f32(x[b].d);
		for (int j = 0; j < 16; j++) {
			y[j] = d * (float)((x[b].qs[j] & 15) - 8);
			y[j + 16] = d * (float)((x[b].qs[j] >> 4) - 8);
		}
	}
}

static void deq_q8_0(const cr_block_q8_0 *x, float *y, int64_t nb)
{
	for (int64_t b = 0; b < nb; b++, y += 32) {
		float d = cr_f16_to_f32(x[b].d);
		for (int j = 0; j < 32; j++)
			y[j] = d * (float)x[b].qs[j];
	}
}

static void deq_q4_k(const cr_block_q4_k *x, float *y, int64_t nb)
{
	for (int64_t b = 0; b < nb; b++) {
		float d = cr_f16_to_f32(x[b].d), dmin = cr_f16_to_f32(x[b].dmin);
		const uint8_t *q = x[b].qs;
		for (int k = 0; k < 4; k++, q += 32, y += 64) {
			uint8_t sc0, m0, sc1, m1;
			cr_q4k_scale_min(2 * k, x[b].scales, &sc0, &m0);
			cr_q4k_scale_min(2 * k + 1, x[b].scales, &sc1, &m1);
			float d0 = d * sc0, mm0 = dmin * m0, d1 = d * sc1, mm1 = dmin * m1;
			for (int l = 0; l < 32; l++) {
				y[l] = d0 * (float)(q[l] & 15) - mm0;
				y[l + 32] = d1 * (float)(q[l] >> 4) - mm1;
			}
		}
	}
}

static void deq_q5_k(const cr_block_q5_k *x, float *y, int64_t nb)
{
	for (int64_t b = 0; b < nb; b++) {
		float d = cr_f16_to_f32(x[b].d), dmin = cr_f16_to_f32(x[b].dmin);
		const uint8_t *q = x[b].qs, *qh = x[b].qh;
		for (int k = 0; k < 4; k++, q += 32, y += 64) {
			uint8_t sc0, m0, sc1, m1;
			cr_q4k_scale_min(2 * k, x[b].scales, &sc0, &m0);
			cr_q4k_scale_min(2 * k + 1, x[b].scales, &sc1, &m1);
			float d0 = d * sc0, mm0 = dmin * m0, d1 = d * sc1, mm1 = dmin * m1;
			for (int l = 0; l < 32; l++) {
				int v0 = (q[l] & 15) + (((qh[l] >> (2 * k)) & 1) << 4);
				int v1 = (q[l] >> 4) + (((qh[l] >> (2 * k + 1)) & 1) << 4);
				y[l] = d0 * (float)v0 - mm0;
				y[l + 32] = d1 * (float)v1 - mm1;
			}
		}
	}
}

static void deq_q6_k(const cr_block_q6_k *x, float *y, int64_t nb)
{
	for (int64_t b = 0; b < nb; b++) {
		float d = cr_f16_to_f32(x[b].d);
		const uint8_t *ql = x[b].ql, *qh = x[b].qh;
		const int8_t *sc = x[b].scales;
		for (int half = 0; half < 2; half++, ql += 64, qh += 32, sc += 8, y += 128) {
			for (int l = 0; l < 32; l++) {
				int is = l / 16;
				int q1 = ((ql[l] & 15) | (((qh[l] >> 0) & 3) << 4)) - 32;
				int q2 = ((ql[l + 32] & 15) | (((qh[l] >> 2) & 3) << 4)) - 32;
				int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
				int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
				y[l] = d * (float)sc[is + 0] * (float)q1;
				y[l + 32] = d * (float)sc[is + 2] * (float)q2;
				y[l + 64] = d * (float)sc[is + 4] * (float)q3;
				y[l + 96] = d * (float)sc[is + 6] * (float)q4;
			}
		}
	}
}

static void deq_q8_k(const cr_block_q8_k *x, float *y, int64_t nb)
{
	for (int64_t b = 0; b < nb; b++, y += CR_QK_K)
		for (int j = 0; j < CR_QK_K; j++)
			y[j] = x[b].d * (float)x[b].qs[j];
}

void cr_dequant_row(cr_ttype t, const void *src, float *dst, int64_t n)
{
	int bs = cr_cpu_block(t);
	CR_ASSERT(bs > 0 && n % bs == 0);
	int64_t nb = n / bs;
	switch (t) {
	case CR_TT_F32:
		memcpy(dst, src, (size_t)n * 4);
		break;
	case CR_TT_F16: {
		const uint16_t *s = src;
		for (int64_t i = 0; i < n; i++)
			dst[i] = cr_f16_to_f32(s[i]);
		break;
	}
	case CR_TT_BF16: {
		const uint16_t *s = src;
		for (int64_t i = 0; i < n; i++)
			dst[i] = cr_bf16_to_f32(s[i]);
		break;
	}
	case CR_TT_Q4_0: deq_q4_0(src, dst, nb); break;
	case CR_TT_Q8_0: deq_q8_0(src, dst, nb); break;
	case CR_TT_Q4_K: deq_q4_k(src, dst, nb); break;
	case CR_TT_Q5_K: deq_q5_k(src, dst, nb); break;
	case CR_TT_Q6_K: deq_q6_k(src, dst, nb); break;
	case CR_TT_Q8_K: deq_q8_k(src, dst, nb); break;
	default: CR_ASSERT(!"type");
	}
}

/* ---- quantization ------------------------------------------------------- */

static int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

static void quant_q4_0(const float *x, cr_block_q4_0 *y, int64_t nb)
{
	for (int64_t b = 0; b < nb; b++, x += 32) {
		float amax = 0, max = 0;
		for (int j = 0; j < 32; j++)
			if (fabsf(x[j]) > amax) {
				amax = fabsf(x[j]);
				max = x[j];
			}
		float d = max / -8, id = d ? 1.0f / d : 0.0f;
		y[b].d = cr_f32_to_f16(d);
		for (int j = 0; j < 16; j++) {
			int q0 = clampi((int)floorf(x[j] * id + 8.5f), 0, 15);
			int q1 = clampi((int)floorf(x[j + 16] * id + 8.5f), 0, 15);
			y[b].qs[j] = (uint8_t)(q0 | (q1 << 4));
		}
	}
}

/*
 * Fits x[0..n) ≈ s*L − m with L in [0, qmax], s ≥ 0, m ≥ 0 (the min is never
 * above zero, as GGML keeps it). Returns s, stores m and the quants.
 */
static float fit_affine(const float *x, int n, int qmax, uint8_t *L, float *m_out)
{
	float xmin = FLT_MAX, xmax = -FLT_MAX;
	for (int i = 0; i < n; i++) {
		xmin = fminf(xmin, x[i]);
		xmax = fmaxf(xmax, x[i]);
	}
	if (xmin > 0)
		xmin = 0;
	if (xmax <= xmin) {
		memset(L, 0, (size_t)n);
		*m_out = -xmin;
		return 0;
	}
	float sum_x = 0;
	for (int i = 0; i < n; i++)
		sum_x += x[i];
	/* candidate 0: the plain min/max grid */
	float best_s = (xmax - xmin) / (float)qmax, best_b = xmin, best_err = FLT_MAX;
	uint8_t Lc[64];
	for (int c = -10; c <= 10; c++) {
		float is = ((float)qmax + 0.1f * (float)c) / (xmax - xmin);
		float s, bias;
		int sl = 0, sl2 = 0;
		float sxl = 0;
		for (int i = 0; i < n; i++) {
			int l = clampi((int)lrintf(is * (x[i] - xmin)), 0, qmax);
			Lc[i] = (uint8_t)l;
			sl += l;
			sl2 += l * l;
			sxl += x[i] * (float)l;
		}
		float D = (float)n * (float)sl2 - (float)sl * (float)sl;
		if (D <= 0)
			continue;
		s = ((float)n * sxl - (float)sl * sum_x) / D;
		bias = ((float)sl2 * sum_x - (float)sl * sxl) / D;
		if (bias > 0) {
			bias = 0;
			s = sl2 ? sxl / (float)sl2 : 0;
		}
		if (s <= 0)
			continue;
		float err = 0;
		for (int i = 0; i < n; i++) {
			float e = s * (float)Lc[i] + bias - x[i];
			err += e * e;
		}
		if (err < best_err) {
			best_err = err;
			best_s = s;
			best_b = bias;
		}
	}
	for (int i = 0; i < n; i++)
		L[i] = (uint8_t)clampi((int)lrintf((x[i] - best_b) / best_s), 0, qmax);
	*m_out = -best_b;
	return best_s;
}

/* Fits x[0..n) ≈ s*L with L in [-nmax, nmax-1]; returns s (any sign). */
static float fit_sym(const float *x, int n, int nmax)
{
	float amax = 0, max = 0;
	for (int i = 0; i < n; i++)
		if (fabsf(x[i]) > amax) {
			amax = fabsf(x[i]);
			max = x[i];
		}
	if (amax < 1e-30f)
		return 0;
	float best_s = 0, best_gain = -1;
	for (int c = -9; c <= 9; c++) {
		float is = -((float)nmax + 0.1f * (float)c) / max;
		float sxl = 0, sll = 0;
		for (int i = 0; i < n; i++) {
			int l = clampi((int)lrintf(is * x[i]), -nmax, nmax - 1);
			sxl += x[i] * (float)l;
			sll += (float)(l * l);
		}
		/* error = Σx² − sxl²/sll: maximise sxl²/sll */
		if (sll > 0 && sxl * sxl / sll > best_gain) {
			best_gain = sxl * sxl / sll;
			best_s = sxl / sll;
		}
	}
	return best_s;
}

/* Packs eight 6-bit scales and mins the way cr_q4k_scale_min reads them. */
static void pack_scales_k4(const uint8_t ls[8], const uint8_t lm[8], uint8_t out[12])
{
	memset(out, 0, 12);
	for (int j = 0; j < 8; j++) {
		if (j < 4) {
			out[j] = ls[j];
			out[j + 4] = lm[j];
		} else {
			out[j + 4] = (uint8_t)((ls[j] & 0xF) | ((lm[j] & 0xF) << 4));
			out[j - 4] |= (uint8_t)((ls[j] >> 4) << 6);
			out[j] |= (uint8_t)((lm[j] >> 4) << 6);
		}
	}
}

/* Shared by Q4_K (qmax 15) and Q5_K (qmax 31): the scales, the 6-bit codes,
 * and the final quants L[256]. */
static void quant_k_affine(const float *x, int qmax, uint16_t *d_out, uint16_t *dmin_out,
			   uint8_t scales[12], uint8_t L[CR_QK_K])
{
	float sc[8], mn[8], max_sc = 0, max_mn = 0;
	for (int k = 0; k < 8; k++) {
		sc[k] = fit_affine(x + 32 * k, 32, qmax, L + 32 * k, &mn[k]);
		max_sc = fmaxf(max_sc, sc[k]);
		max_mn = fmaxf(max_mn, mn[k]);
	}
	float isc = max_sc > 0 ? 63.0f / max_sc : 0, imn = max_mn > 0 ? 63.0f / max_mn : 0;
	uint8_t ls[8], lm[8];
	for (int k = 0; k < 8; k++) {
		ls[k] = (uint8_t)clampi((int)lrintf(isc * sc[k]), 0, 63);
		lm[k] = (uint8_t)clampi((int)lrintf(imn * mn[k]), 0, 63);
	}
	*d_out = cr_f32_to_f16(max_sc / 63.0f);
	*dmin_out = cr_f32_to_f16(max_mn / 63.0f);
	pack_scales_k4(ls, lm, scales);
	float d = cr_f16_to_f32(*d_out), dmin = cr_f16_to_f32(*dmin_out);
	for (int k = 0; k < 8; k++) {
		float ds = d * ls[k], dm = dmin * lm[k];
		for (int i = 0; i < 32; i++)
			L[32 * k + i] = ds ? (uint8_t)clampi((int)lrintf((x[32 * k + i] + dm) / ds), 0, qmax) : 0;
	}
}

static void quant_q4_k(const float *x, cr_block_q4_k *y, int64_t nb)
{
	uint8_t L[CR_QK_K];
	for (int64_t b = 0; b < nb; b++, x += CR_QK_K) {
		quant_k_affine(x, 15, &y[b].d, &y[b].dmin, y[b].scales, L);
		for (int j = 0; j < CR_QK_K; j += 64)
			for (int l = 0; l < 32; l++)
				y[b].qs[j / 2 + l] = (uint8_t)(L[j + l] | (L[j + l + 32] << 4));
	}
}

static void quant_q5_k(const float *x, cr_block_q5_k *y, int64_t nb)
{
	uint8_t L[CR_QK_K];
	for (int64_t b = 0; b < nb; b++, x += CR_QK_K) {
		quant_k_affine(x, 31, &y[b].d, &y[b].dmin, y[b].scales, L);
		memset(y[b].qh, 0, sizeof y[b].qh);
		for (int j = 0, k = 0; j < CR_QK_K; j += 64, k++)
			for (int l = 0; l < 32; l++) {
				int l0 = L[j + l], l1 = L[j + l + 32];
				if (l0 > 15) {
					l0 -= 16;
					y[b].qh[l] |= (uint8_t)(1 << (2 * k));
				}
				if (l1 > 15) {
					l1 -= 16;
					y[b].qh[l] |= (uint8_t)(2 << (2 * k));
				}
				y[b].qs[j / 2 + l] = (uint8_t)(l0 | (l1 << 4));
			}
	}
}

static void quant_q6_k(const float *x, cr_block_q6_k *y, int64_t nb)
{
	for (int64_t b = 0; b < nb; b++, x += CR_QK_K) {
		float sc[16], amax = 0, max = 0;
		for (int k = 0; k < 16; k++) {
			sc[k] = fit_sym(x + 16 * k, 16, 32);
			if (fabsf(sc[k]) > amax) {
				amax = fabsf(sc[k]);
				max = sc[k];
			}
		}
		uint8_t L[CR_QK_K];
		if (amax == 0) {
			memset(y[b].scales, 0, 16);
			y[b].d = 0;
			memset(L, 32, sizeof L);
		} else {
			float is = -128.0f / max;
			y[b].d = cr_f32_to_f16(1.0f / is);
			float d = cr_f16_to_f32(y[b].d);
			for (int k = 0; k < 16; k++) {
				y[b].scales[k] = (int8_t)clampi((int)lrintf(is * sc[k]), -128, 127);
				float ds = d * (float)y[b].scales[k];
				for (int i = 0; i < 16; i++)
					L[16 * k + i] = (uint8_t)(32 + (ds ? clampi((int)lrintf(x[16 * k + i] / ds), -32, 31) : 0));
			}
		}
		for (int j = 0; j < CR_QK_K; j += 128)
			for (int l = 0; l < 32; l++) {
				int q1 = L[j + l], q2 = L[j + l + 32], q3 = L[j + l + 64], q4 = L[j + l + 96];
				y[b].ql[j / 2 + l] = (uint8_t)((q1 & 15) | ((q3 & 15) << 4));
				y[b].ql[j / 2 + l + 32] = (uint8_t)((q2 & 15) | ((q4 & 15) << 4));
				y[b].qh[j / 4 + l] = (uint8_t)((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
			}
	}
}

cr_err cr_quant_row(cr_ttype t, const float *src, void *dst, int64_t n)
{
	int bs = cr_cpu_block(t);
	if (bs == 0)
		return CR_EUNSUPPORTED;
	if (n < 0 || n % bs)
		return CR_EINVAL;
	int64_t nb = n / bs;
	switch (t) {
	case CR_TT_F32:
		memcpy(dst, src, (size_t)n * 4);
		break;
	case CR_TT_F16: {
		uint16_t *d = dst;
		for (int64_t i = 0; i < n; i++)
			d[i] = cr_f32_to_f16(src[i]);
		break;
	}
	case CR_TT_BF16: {
		uint16_t *d = dst;
		for (int64_t i = 0; i < n; i++)
			d[i] = cr_f32_to_bf16(src[i]);
		break;
	}
	case CR_TT_Q4_0: quant_q4_0(src, dst, nb); break;
	case CR_TT_Q8_0: cr_ref_quant_q8_0(src, dst, n); break;
	case CR_TT_Q4_K: quant_q4_k(src, dst, nb); break;
	case CR_TT_Q5_K: quant_q5_k(src, dst, nb); break;
	case CR_TT_Q6_K: quant_q6_k(src, dst, nb); break;
	case CR_TT_Q8_K: cr_ref_quant_q8_k(src, dst, n); break;
	default: return CR_EUNSUPPORTED;
	}
	return CR_OK;
}
