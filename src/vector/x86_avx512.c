/*
 * x86_avx512.c — the int8 inner product with AVX-512 VNNI (built with
 * -mavx512f -mavx512bw -mavx512vnni). vpdpbusd multiplies unsigned by
 * signed bytes: it gets |a| and b negated where a < 0 (exact for values in
 * [-127, 127]); the tail is a masked load, so any n runs in vector code.
 */
#include "vector_int.h"

#if defined(__x86_64__)
#include <immintrin.h>

static inline __m512i step(__m512i acc, __m512i va, __m512i vb)
{
	__mmask64 neg = _mm512_movepi8_mask(va);
	__m512i sb = _mm512_mask_sub_epi8(vb, neg, _mm512_setzero_si512(), vb);
	return _mm512_dpbusd_epi32(acc, _mm512_abs_epi8(va), sb);
}

int32_t cr_vec_dot_i8_avx512(const int8_t *a, const int8_t *b, size_t n)
{
	__m512i acc0 = _mm512_setzero_si512(), acc1 = _mm512_setzero_si512();
	size_t i = 0;
	for (; i + 128 <= n; i += 128) {
		acc0 = step(acc0, _mm512_loadu_si512(a + i), _mm512_loadu_si512(b + i));
		acc1 = step(acc1, _mm512_loadu_si512(a + i + 64), _mm512_loadu_si512(b + i + 64));
	}
	for (; i + 64 <= n; i += 64)
		acc0 = step(acc0, _mm512_loadu_si512(a + i), _mm512_loadu_si512(b + i));
	if (i < n) {
		__mmask64 k = n - i >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << (n - i)) - 1);
		acc1 = step(acc1, _mm512_maskz_loadu_epi8(k, a + i), _mm512_maskz_loadu_epi8(k, b + i));
	}
	return _mm512_reduce_add_epi32(_mm512_add_epi32(acc0, acc1));
}
#else
int32_t cr_vec_dot_i8_avx512(const int8_t *a, const int8_t *b, size_t n)
{
	return cr_vec_dot_i8_ref(a, b, n);
}
#endif
