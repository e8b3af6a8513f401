/*
 * bench_crypt.c — the floor under the cost of encryption at rest: what
 * sealing and opening alone cost on this CPU (crypt.h, XChaCha20-Poly1305 from
 * libsodium), beside what the end-to-end figures (scripts/bench-encryption.sh)
 * can resolve on a shared machine.
 *
 *   bench_crypt [--mb N]
 *
 * Catalog values of 1,200 bytes (a chunk) and 60 bytes (a title), sealed and
 * opened with their associated data; sealed files of 64 KiB blocks (index
 * segments). Thread CPU time, median of 5 passes over N MB (default 64),
 * printed as MB/s and as ns per value. One core.
 */
#define _GNU_SOURCE
#include "cristal/crypt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median5(double *v)
{
	qsort(v, 5, sizeof *v, cmp_d);
	return v[2];
}

static void values(const cr_key *k, size_t vlen, size_t total)
{
	size_t n = total / vlen;
	uint8_t *p = malloc(vlen), *c = malloc(vlen + CR_SEAL_OVERHEAD), *o = malloc(vlen);
	memset(p, 'x', vlen);
	const char ad[] = "chunks.text\x01\0\0\0\0\0\0";
	double ts[5], to[5];
	for (int r = 0; r < 5; r++) {
		double t0 = cpu_now();
		for (size_t i = 0; i < n; i++)
			cr_seal(k, CR_KEY_CATALOG, ad, sizeof ad - 1, p, vlen, c);
		double t1 = cpu_now();
		size_t got;
		for (size_t i = 0; i < n; i++)
			if (cr_unseal(k, CR_KEY_CATALOG, ad, sizeof ad - 1, c, vlen + CR_SEAL_OVERHEAD, o, &got))
				abort();
		double t2 = cpu_now();
		ts[r] = t1 - t0;
		to[r] = t2 - t1;
	}
	double s = median5(ts), op = median5(to);
	printf("value %5zu B   seal %7.0f MB/s %7.0f ns   open %7.0f MB/s %7.0f ns\n", vlen, n * vlen / s / 1e6,
	       s / n * 1e9, n * vlen / op / 1e6, op / n * 1e9);
	free(p);
	free(c);
	free(o);
}

static void files(const cr_key *k, size_t total)
{
	size_t nb = total / CR_CRYPT_BLOCK;
	size_t fl = CR_CRYPT_HDR + nb * (CR_CRYPT_BLOCK + CR_SEAL_OVERHEAD);
	uint8_t *p = malloc(nb * CR_CRYPT_BLOCK), *f = malloc(fl), *o = malloc(nb * CR_CRYPT_BLOCK);
	memset(p, 'y', nb * CR_CRYPT_BLOCK);
	double ts[5], to[5];
	for (int r = 0; r < 5; r++) {
		double t0 = cpu_now();
		cr_crypt_w w;
		cr_crypt_w_init(&w, k, "seg_000001.idx");
		memcpy(f, w.hdr, CR_CRYPT_HDR);
		for (size_t i = 0; i < nb; i++)
			cr_crypt_w_block(&w, p + i * CR_CRYPT_BLOCK, CR_CRYPT_BLOCK, i + 1 == nb,
					 f + CR_CRYPT_HDR + i * (CR_CRYPT_BLOCK + CR_SEAL_OVERHEAD));
		double t1 = cpu_now();
		if (cr_crypt_open(k, "seg_000001.idx", f, fl, o, NULL))
			abort();
		double t2 = cpu_now();
		ts[r] = t1 - t0;
		to[r] = t2 - t1;
	}
	double s = median5(ts), op = median5(to);
	printf("file  64 KiB blocks  seal %7.0f MB/s   open %7.0f MB/s   (%.1f ms per 16 MB index)\n",
	       nb * CR_CRYPT_BLOCK / s / 1e6, nb * CR_CRYPT_BLOCK / op / 1e6, op / (nb * CR_CRYPT_BLOCK) * 16e6 * 1e3);
	free(p);
	free(f);
	free(o);
}

int main(int argc, char **argv)
{
	size_t mb = 64;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--mb") && i + 1 < argc)
			mb = (size_t)atoi(argv[++i]);
	cr_key *k;
	if (cr_key_from_text("8f1e6c0d2b3a495867768594a3b2c1d0e0f1021324354657687980a1b2c3d4e5", &k, NULL))
		return 1;
	printf("XChaCha20-Poly1305 (libsodium), thread CPU time, median of 5, %zu MB\n", mb);
	values(k, 1200, mb << 20);
	values(k, 60, (mb << 20) / 8);
	files(k, mb << 20);
	cr_key_free(k);
	return 0;
}
