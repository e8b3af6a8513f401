/* hash.c — a fast 64-bit hash for tables and a SHA-256 for content. */
#include "cristal/base.h"

#include <sodium.h>
#include <string.h>

static inline uint64_t rd64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static inline uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

uint64_t cr_hash64(const void *p, size_t n, uint64_t seed)
{
	const uint8_t *s = p;
	uint64_t h = seed ^ (n * 0x9e3779b97f4a7c15ULL);
	while (n >= 8) {
		h = (h ^ mix(rd64(s))) * 0x9e3779b97f4a7c15ULL;
		s += 8;
		n -= 8;
	}
	uint64_t t = 0;
	memcpy(&t, s, n);
	h = (h ^ mix(t ^ n)) * 0x9e3779b97f4a7c15ULL;
	return mix(h);
}

void cr_sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char d[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(d, p, n);
	sodium_bin2hex(out, 65, d, sizeof d);
}
