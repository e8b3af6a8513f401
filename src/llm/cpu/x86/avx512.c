/*
 * avx512.c — AVX-512 (F/BW/VL/DQ + VNNI) twins of the kernels in ref.c.
 *
 * Built with the AVX-512 flags (CMakeLists.txt); only reached through
 * dispatch.c after CPUID says the CPU and OS support it. Entries left NULL
 * fall back to the AVX2 table.
 */
#include <immintrin.h>

#include "llm/cpu/quant.h"

const cr_kern cr_kern_avx512 = {
	.name = "avx512",
};
