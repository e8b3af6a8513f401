/*
 * avx2.c — AVX2 + FMA + F16C twins of the scalar kernels in ref.c.
 *
 * Built with -mavx2 -mfma -mf16c (CMakeLists.txt); only reached through
 * dispatch.c after CPUID says the CPU and OS support it. Entries left NULL
 * fall back to ref.c.
 */
#include <immintrin.h>

#include "llm/cpu/quant.h"

const cr_kern cr_kern_avx2 = {
	.name = "avx2",
};
