/*
 * dispatch.c — picks the kernel level once per process from CPUID.
 *
 * Built without ISA flags, so it runs on any x86-64 (and elsewhere falls
 * back to ref). A level needs both the instructions (CPUID leaves 1 and 7)
 * and the operating system's promise to save the wide registers (OSXSAVE +
 * XCR0 bits: 0x6 for YMM, 0xE0 more for ZMM and opmasks):
 *   avx2    AVX2 + FMA + F16C
 *   avx512  AVX-512 F/BW/VL/DQ + VNNI + VBMI
 * cr_cpu_configure (made by the program before the first kernel runs; the
 * CLI passes CR_CPU=ref|avx2|avx512) forces a level (lowered to what the CPU
 * has). On CPUs with AMX-INT8 the avx512 level also multiplies
 * prompt-sized batches on tiles, once Linux grants the tile state
 * (arch_prctl ARCH_REQ_XCOMP_PERM); cr_cpu_configure(.., 0) (CR_AMX=0)
 * turns that off. The tables and the choice are process-wide, written once
 * (pthread_once) and read-only after. A level's table starts as a copy of the level below, so a
 * kernel not written for AVX-512 yet runs its AVX2 twin.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/quant.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define CR_X86 1
#endif
#if defined(__linux__) && defined(__x86_64__)
#include <sys/syscall.h>
#include <unistd.h>
#define ARCH_REQ_XCOMP_PERM 0x1023
#define XFEATURE_XTILEDATA 18
#endif

static cr_cpu_caps caps;
static cr_kern tables[3]; /* ref, avx2, avx512 merged */
static int n_levels = 1;   /* levels this CPU can run */
static int level;          /* chosen */
static pthread_once_t once = PTHREAD_ONCE_INIT;
static const char *const level_names[3] = {"ref", "avx2", "avx512"};
/* cr_cpu_configure's request, read once by init */
static pthread_mutex_t cfg_mu = PTHREAD_MUTEX_INITIALIZER;
static int cfg_level = -1; /* -1: the best the CPU has */
static int cfg_amx = 1;
static int cfg_used;       /* init has read it */

cr_err cr_cpu_configure(const char *lvl, int amx)
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
	cr_err e = CR_OK;
	if (cfg_used) {
		e = CR_EBUSY;
	} else {
		cfg_level = w;
		cfg_amx = amx;
	}
	pthread_mutex_unlock(&cfg_mu);
	return e;
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
	caps.fma = (c >> 12) & 1;
	caps.f16c = (c >> 29) & 1;
	if (osxsave && avx) {
		uint64_t xcr0 = xgetbv0();
		caps.os_avx = (xcr0 & 0x6) == 0x6;
		caps.os_avx512 = caps.os_avx && (xcr0 & 0xE0) == 0xE0;
	}
	if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
		caps.avx2 = (b >> 5) & 1;
		caps.avx512f = (b >> 16) & 1;
		caps.avx512dq = (b >> 17) & 1;
		caps.avx512bw = (b >> 30) & 1;
		caps.avx512vl = (b >> 31) & 1;
		caps.avx512vnni = (c >> 11) & 1;
		caps.avx512vbmi = (c >> 1) & 1;
		caps.amx_tile = (d >> 24) & 1;
		caps.amx_int8 = (d >> 25) & 1;
		caps.amx_bf16 = (d >> 22) & 1;
		unsigned max7 = a;
		if (max7 >= 1 && __get_cpuid_count(7, 1, &a, &b, &c, &d)) {
			caps.avxvnni = (a >> 4) & 1;
			caps.avx512bf16 = (a >> 5) & 1;
		}
	}
	if (!caps.os_avx) {
		caps.avx2 = caps.fma = caps.f16c = caps.avxvnni = 0;
	}
#ifdef ARCH_REQ_XCOMP_PERM
	/* AMX: XCR0 bits 17-18 are enabled lazily per process on request */
	if (caps.amx_tile && caps.os_avx512 &&
	    syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0 && (xgetbv0() & 0x60000) == 0x60000)
		caps.os_amx = 1;
#endif
	if (!caps.os_amx)
		caps.amx_tile = caps.amx_int8 = caps.amx_bf16 = 0;
	if (!caps.os_avx512)
		caps.avx512f = caps.avx512dq = caps.avx512vbmi = caps.avx512bw = caps.avx512vl = caps.avx512vnni =
			caps.avx512bf16 = 0;
}
#else
static void detect(void) {}
#endif

static void overlay(cr_kern *dst, const cr_kern *src)
{
	for (int t = 0; t < CR_TT__COUNT; t++)
		if (src->mm[t].gemm)
			dst->mm[t] = src->mm[t];
	if (src->x16_q4_0)
		dst->x16_q4_0 = src->x16_q4_0;
	if (src->x16_act)
		dst->x16_act = src->x16_act;
	if (src->dot_f32)
		dst->dot_f32 = src->dot_f32;
	if (src->dot_f16_f32)
		dst->dot_f16_f32 = src->dot_f16_f32;
	if (src->axpy_f32)
		dst->axpy_f32 = src->axpy_f32;
	if (src->axpy_f16_f32)
		dst->axpy_f16_f32 = src->axpy_f16_f32;
	if (src->cvt_f32_f16)
		dst->cvt_f32_f16 = src->cvt_f32_f16;
	if (src->cvt_f16_f32)
		dst->cvt_f16_f32 = src->cvt_f16_f32;
	if (src->gemm_f32)
		dst->gemm_f32 = src->gemm_f32;
	if (src->softmax_f32)
		dst->softmax_f32 = src->softmax_f32;
	if (src->swiglu_f32)
		dst->swiglu_f32 = src->swiglu_f32;
	dst->name = src->name;
}

static void init(void)
{
	detect();
	tables[0] = cr_kern_ref;
	tables[1] = tables[0];
	overlay(&tables[1], &cr_kern_avx2);
	tables[2] = tables[1];
	overlay(&tables[2], &cr_kern_avx512);
	pthread_mutex_lock(&cfg_mu);
	cfg_used = 1;
	int want = cfg_level, amx = cfg_amx;
	pthread_mutex_unlock(&cfg_mu);
	if (caps.os_amx && caps.amx_bf16 && caps.avx512bf16 && amx)
		tables[2].big = cr_amx_kern;
	if (caps.avx2 && caps.fma && caps.f16c)
		n_levels = 2;
	if (n_levels == 2 && caps.avx512f && caps.avx512bw && caps.avx512vl && caps.avx512dq &&
	    caps.avx512vnni && caps.avx512vbmi)
		n_levels = 3;
	level = n_levels - 1;
	if (want > level)
		cr_log(CR_LOG_WARN, "cpu level %s: this CPU lacks it; using %s", level_names[want], level_names[level]);
	else if (want >= 0)
		level = want;
}

const cr_cpu_caps *cr_cpu_caps_get(void)
{
	pthread_once(&once, init);
	return &caps;
}

const char *cr_cpu_level(void)
{
	pthread_once(&once, init);
	return level_names[level];
}

static const cr_kern *_Atomic chosen; /* set once init has run */

const cr_kern *cr_kern_get(void)
{
	const cr_kern *k = atomic_load_explicit(&chosen, memory_order_acquire);
	if (__builtin_expect(k != NULL, 1))
		return k;
	pthread_once(&once, init);
	atomic_store_explicit(&chosen, &tables[level], memory_order_release);
	return &tables[level];
}

const cr_kern *cr_kern_by_name(const char *name)
{
	pthread_once(&once, init);
	for (int i = 0; i < n_levels; i++)
		if (!strcmp(name, level_names[i]))
			return &tables[i];
	return NULL;
}

float cr_dot_f32(const float *a, const float *b, int64_t n) { return cr_kern_get()->dot_f32(a, b, n); }

float cr_dot_f16_f32(const uint16_t *a, const float *b, int64_t n)
{
	return cr_kern_get()->dot_f16_f32(a, b, n);
}

void cr_axpy_f32(float *y, float a, const float *x, int64_t n) { cr_kern_get()->axpy_f32(y, a, x, n); }
void cr_axpy_f16_f32(float *y, float a, const uint16_t *x, int64_t n) { cr_kern_get()->axpy_f16_f32(y, a, x, n); }
void cr_cvt_f32_f16(uint16_t *dst, const float *src, int64_t n) { cr_kern_get()->cvt_f32_f16(dst, src, n); }
void cr_cvt_f16_f32(float *dst, const uint16_t *src, int64_t n) { cr_kern_get()->cvt_f16_f32(dst, src, n); }
void cr_gemm_f32(int64_t m, int64_t n, int64_t k, const float *A, int64_t lda, const float *B, int64_t ldb,
		 float *C, int64_t ldc)
{
	cr_kern_get()->gemm_f32(m, n, k, A, lda, B, ldb, C, ldc);
}
float cr_softmax_f32(float *x, int64_t n, float scale) { return cr_kern_get()->softmax_f32(x, n, scale); }
void cr_swiglu_f32(float *g, const float *u, int64_t n) { cr_kern_get()->swiglu_f32(g, u, n); }
