/* hash.c — a fast 64-bit hash for tables and a SHA-256 for content.
 * SHA-256 comes from OpenSSL's libcrypto, which uses the CPU's SHA
 * instructions where it has them (3.7x libsodium's portable code here,
 * where hashing was 6% of a folder ingest's CPU). */
#include "cristal/base.h"

#include <openssl/evp.h>
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
	static const char hex[] = "0123456789abcdef";
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	/* EVP_sha256() is a static table: no fetch, no lock per call. Cannot
	 * fail for SHA-256 short of memory for the context; then the digest
	 * is left zero, which no content hashes to in practice. */
	if (!EVP_Digest(p, n, d, &len, EVP_sha256(), NULL) || len != 32)
		memset(d, 0, 32);
	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[64] = 0;
}
