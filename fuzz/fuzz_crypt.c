/* fuzz_crypt.c — the sealed-file container (crypt.h) that encrypted index
 * segments are stored in. Input 'S' | bytes: the bytes are read as a sealed
 * file (key and label fixed): any outcome but a crash or an out-of-bounds
 * read is fine, and success must give exactly cr_crypt_plain_size bytes.
 * Any other first byte b | bytes: the bytes are sealed in 64 KiB blocks and
 * must open to themselves, and with the byte at b * len / 256 flipped must
 * not open. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cristal/crypt.h"

static const char LABEL[] = "seg_000001.idx";

static const cr_key *key(void)
{
	static cr_key *k;
	if (!k && cr_key_from_text("8f1e6c0d2b3a495867768594a3b2c1d0e0f1021324354657687980a1b2c3d4e5", &k, NULL))
		abort();
	return k;
}

static void sealed(const uint8_t *p, size_t n)
{
	size_t pn = 0;
	if (cr_crypt_plain_size(p, n, &pn, NULL))
		return;
	uint8_t *out = malloc(pn ? pn : 1);
	if (!out)
		abort();
	CR_IGNORE(cr_crypt_open(key(), LABEL, p, n, out, NULL)); /* either way is fine */
	free(out);
}

static void roundtrip(uint8_t flip, const uint8_t *p, size_t n)
{
	size_t nb = n ? (n + CR_CRYPT_BLOCK - 1) / CR_CRYPT_BLOCK : 1;
	size_t fl = CR_CRYPT_HDR + n + nb * CR_SEAL_OVERHEAD;
	uint8_t *f = malloc(fl), *out = malloc(n ? n : 1);
	if (!f || !out)
		abort();
	cr_crypt_w w;
	cr_crypt_w_init(&w, key(), LABEL);
	memcpy(f, w.hdr, CR_CRYPT_HDR);
	size_t o = CR_CRYPT_HDR;
	for (size_t i = 0; i < nb; i++) {
		size_t bl = i + 1 < nb ? CR_CRYPT_BLOCK : n - i * CR_CRYPT_BLOCK;
		cr_crypt_w_block(&w, p + i * CR_CRYPT_BLOCK, bl, i + 1 == nb, f + o);
		o += bl + CR_SEAL_OVERHEAD;
	}
	size_t pn = 0;
	if (o != fl || cr_crypt_plain_size(f, fl, &pn, NULL) || pn != n || cr_crypt_open(key(), LABEL, f, fl, out, NULL) ||
	    (n && memcmp(out, p, n)))
		abort();
	f[(size_t)flip * fl / 256] ^= 0x01;
	if (!cr_crypt_open(key(), LABEL, f, fl, out, NULL))
		abort();
	free(f);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	if (data[0] == 'S')
		sealed(data + 1, size - 1);
	else
		roundtrip(data[0], data + 1, size - 1);
	return 0;
}
