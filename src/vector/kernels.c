/*
 * kernels.c — the int8 inner product: the scalar truth, and the choice of
 * its fast twin from CPUID, made once per process (pthread_once), like
 * llm/cpu/dispatch.c. Built without ISA flags so it runs on any x86-64.
 *   avx2    AVX2 (vpsignb + vpmaddubsw + vpmaddwd, 32 values a step)
 *   avx512  AVX-512 F/BW + VNNI (vpdpbusd, 64 values a step, masked tail)
 * cr_vec_configure (the CLI passes CR_CPU) forces a level before first use.
 */
#include "vector_int.h"

#include <pthread.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#define CR_X86 1
#endif

static const char *const level_names[3] = {"ref", "avx2", "avx512"};
static int have[3] = {1, 0, 0};
static int level;
static int cfg_level = -1;
static int cfg_used;
static pthread_mutex_t cfg_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
cr_vec_dot_fn cr_vec_dot_impl = cr_vec_dot_i8_ref;

int32_t cr_vec_dot_i8_ref(const int8_t *a, const int8_t *b, size_t n)
{
	int32_t s = 0;
	for (size_t i = 0; i < n; i++)
		s += (int32_t)a[i] * (int32_t)b[i];
	return s;
}

#ifdef CR_X86
static uint64_t xgetbv0(void)
{
	uint32_t eax, edx;
	__asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
	return ((uint64_t)edx << 32) | eax;
}

static void detect(void)
{
	unsigned a, b, c, d;
	if (!__get_cpuid(1, &a, &b, &c, &d))
		return;
	int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
	if (!osxsave || !avx)
		return;
	uint64_t xcr0 = xgetbv0();
	int os_avx = (xcr0 & 0x6) == 0x6, os_avx512 = os_avx && (xcr0 & 0xE0) == 0xE0;
	if (!os_avx || !__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return;
	have[1] = (b >> 5) & 1;
	have[2] = have[1] && os_avx512 && ((b >> 16) & 1) && ((b >> 30) & 1) && ((b >> 31) & 1) && ((c >> 11) & 1);
}
#else
static void detect(void) {}
#endif

static void init(void)
{
	detect();
	pthread_mutex_lock(&cfg_mu);
	cfg_used = 1;
	int want = cfg_level;
	pthread_mutex_unlock(&cfg_mu);
	level = 2;
	while (level > 0 && !have[level])
		level--;
	if (want >= 0 && want < level)
		level = want;
	cr_vec_dot_impl = level == 2 ? cr_vec_dot_i8_avx512 : level == 1 ? cr_vec_dot_i8_avx2 : cr_vec_dot_i8_ref;
}

void cr_vec_dot_init(void)
{
	pthread_once(&once, init);
}

cr_err cr_vec_configure(const char *lvl)
{
	int w = -1;
	if (lvl && *lvl) {
		for (int i = 0; i < 3; i++)
			if (!strcmp(lvl, level_names[i]))
				w = i;
		if (w < 0)
			return CR_EINVAL;
	}
	pthread_mutex_lock(&cfg_mu);
	cr_err e = cfg_used ? CR_EBUSY : CR_OK;
	if (!e)
		cfg_level = w;
	pthread_mutex_unlock(&cfg_mu);
	return e;
}

const char *cr_vec_isa(void)
{
	cr_vec_dot_init();
	return level_names[level];
}

cr_vec_dot_fn cr_vec_kernel(const char *lvl)
{
	cr_vec_dot_init();
	if (!strcmp(lvl, "ref"))
		return cr_vec_dot_i8_ref;
	if (!strcmp(lvl, "avx2"))
		return have[1] ? cr_vec_dot_i8_avx2 : NULL;
	if (!strcmp(lvl, "avx512"))
		return have[2] ? cr_vec_dot_i8_avx512 : NULL;
	return NULL;
}

int32_t cr_vec_dot_i8(const int8_t *a, const int8_t *b, size_t n)
{
	cr_vec_dot_init();
	return cr_vec_dot_impl(a, b, n);
}
