/*
 * x86_avx2.c — the int8 inner product with AVX2 (built with -mavx2).
 * |a| · (b with a's sign) through vpmaddubsw: each int16 lane sums two
 * products of at most 127·127, so it never saturates for values in
 * [-127, 127] (vector.h's contract); vpmaddwd widens to int32.
 */
#include "vector_int.h"

#if defined(__x86_64__)
#include <immintrin.h>

int32_t cr_vec_dot_i8_avx2(const int8_t *a, const int8_t *b, size_t n)
{
	const __m256i ones = _mm256_set1_epi16(1);
	__m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
	size_t i = 0;
	for (; i + 64 <= n; i += 64) {
		__m256i a0 = _mm256_loadu_si256((const __m256i *)(a + i));
		__m256i b0 = _mm256_loadu_si256((const __m256i *)(b + i));
		__m256i a1 = _mm256_loadu_si256((const __m256i *)(a + i + 32));
		__m256i b1 = _mm256_loadu_si256((const __m256i *)(b + i + 32));
		__m256i p0 = _mm256_maddubs_epi16(_mm256_sign_epi8(a0, a0), _mm256_sign_epi8(b0, a0));
		__m256i p1 = _mm256_maddubs_epi16(_mm256_sign_epi8(a1, a1), _mm256_sign_epi8(b1, a1));
		acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(p0, ones));
		acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(p1, ones));
	}
	for (; i + 32 <= n; i += 32) {
		__m256i a0 = _mm256_loadu_si256((const __m256i *)(a + i));
		__m256i b0 = _mm256_loadu_si256((const __m256i *)(b + i));
		__m256i p0 = _mm256_maddubs_epi16(_mm256_sign_epi8(a0, a0), _mm256_sign_epi8(b0, a0));
		acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(p0, ones));
	}
	acc0 = _mm256_add_epi32(acc0, acc1);
	__m128i s = _mm_add_epi32(_mm256_castsi256_si128(acc0), _mm256_extracti128_si256(acc0, 1));
	s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
	s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
	int32_t r = _mm_cvtsi128_si32(s);
	for (; i < n; i++)
		r += (int32_t)a[i] * (int32_t)b[i];
	return r;
}
#else
int32_t cr_vec_dot_i8_avx2(const int8_t *a, const int8_t *b, size_t n)
{
	return cr_vec_dot_i8_ref(a, b, n);
}
#endif
