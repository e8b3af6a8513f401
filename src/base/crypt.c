/*
 * crypt.c — encryption at rest (formats and contract in crypt.h): the data
 * key and its sub-keys in guarded memory, sealed values, sealed files.
 */
#include "cristal/crypt.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEY_CTX "cristal1"

struct cr_key {
	uint8_t master[CR_KEY_BYTES];
	uint8_t catalog[CR_KEY_BYTES];
	uint8_t index[CR_KEY_BYTES];
};

static const cr_key *process_key;

void cr_key_set_process(const cr_key *k) { process_key = k; }
const cr_key *cr_key_process(void) { return process_key; }

static cr_err key_make(const uint8_t raw[CR_KEY_BYTES], cr_key **out, cr_msg *m)
{
	if (sodium_init() < 0)
		return cr_fail(m, CR_EIO, "key: libsodium failed to start");
	cr_key *k = sodium_malloc(sizeof *k); /* guard pages, mlock'd, MADV_DONTDUMP */
	if (!k)
		return cr_fail(m, CR_ENOMEM, "key: out of memory (locked memory)");
	memcpy(k->master, raw, CR_KEY_BYTES);
	crypto_kdf_derive_from_key(k->catalog, CR_KEY_BYTES, CR_KEY_CATALOG, KEY_CTX, k->master);
	crypto_kdf_derive_from_key(k->index, CR_KEY_BYTES, CR_KEY_INDEX, KEY_CTX, k->master);
	sodium_mprotect_readonly(k);
	*out = k;
	return CR_OK;
}

void cr_key_free(cr_key *k)
{
	if (k)
		sodium_free(k); /* wipes before unmapping */
}

/* 32 bytes from hex (64 digits) or base64 (with or without padding),
 * surrounding white space ignored. */
static int key_decode(const char *t, size_t n, uint8_t raw[CR_KEY_BYTES])
{
	while (n && (t[n - 1] == '\n' || t[n - 1] == '\r' || t[n - 1] == ' ' || t[n - 1] == '\t'))
		n--;
	while (n && (*t == ' ' || *t == '\t')) {
		t++;
		n--;
	}
	size_t got = 0;
	const char *end = NULL;
	if (n == 64 && !sodium_hex2bin(raw, CR_KEY_BYTES, t, n, NULL, &got, &end) && got == CR_KEY_BYTES &&
	    end == t + n)
		return 0;
	if ((n == 43 || n == 44) &&
	    !sodium_base642bin(raw, CR_KEY_BYTES, t, n, NULL, &got, &end, sodium_base64_VARIANT_ORIGINAL) &&
	    got == CR_KEY_BYTES && end == t + n)
		return 0;
	if ((n == 43 || n == 44) &&
	    !sodium_base642bin(raw, CR_KEY_BYTES, t, n, NULL, &got, &end,
			       n == 43 ? sodium_base64_VARIANT_ORIGINAL_NO_PADDING : sodium_base64_VARIANT_URLSAFE) &&
	    got == CR_KEY_BYTES && end == t + n)
		return 0;
	return -1;
}

cr_err cr_key_from_text(const char *text, cr_key **out, cr_msg *m)
{
	uint8_t raw[CR_KEY_BYTES];
	if (!text || key_decode(text, strlen(text), raw))
		return cr_fail(m, CR_EINVAL, "key: expected 32 bytes as 64 hex digits or base64");
	cr_err e = key_make(raw, out, m);
	sodium_memzero(raw, sizeof raw);
	return e;
}

cr_err cr_key_from_file(const char *path, cr_key **out, cr_msg *m)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC); /* a link is fine: its target is checked */
	if (fd < 0)
		return cr_fail(m, errno == ENOENT ? CR_ENOTFOUND : CR_EIO, "key file %s: %s", path, strerror(errno));
	struct stat st;
	cr_err e = CR_OK;
	char buf[128];
	ssize_t n = 0;
	uint8_t raw[CR_KEY_BYTES];
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		e = cr_fail(m, CR_EDENIED, "key file %s: not a regular file", path);
		goto done;
	}
	if (st.st_mode & 077) {
		e = cr_fail(m, CR_EDENIED, "key file %s: group or others may read it (mode %03o); chmod 600 %s", path,
			    (unsigned)(st.st_mode & 0777), path);
		goto done;
	}
	for (;;) {
		ssize_t r = read(fd, buf + n, sizeof buf - (size_t)n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			e = cr_fail(m, CR_EIO, "key file %s: %s", path, strerror(errno));
			goto done;
		}
		if (r == 0 || (n += r) == (ssize_t)sizeof buf)
			break;
	}
	if (n == CR_KEY_BYTES)
		memcpy(raw, buf, CR_KEY_BYTES);
	else if (n == (ssize_t)sizeof buf || key_decode(buf, (size_t)n, raw)) {
		e = cr_fail(m, CR_EINVAL, "key file %s: expected 32 bytes (raw, 64 hex digits or base64)", path);
		goto done;
	}
	e = key_make(raw, out, m);
done:
	sodium_memzero(buf, sizeof buf);
	sodium_memzero(raw, sizeof raw);
	close(fd);
	return e;
}

cr_err cr_key_generate_file(const char *path, cr_key **out, cr_msg *m)
{
	if (sodium_init() < 0)
		return cr_fail(m, CR_EIO, "key: libsodium failed to start");
	uint8_t raw[CR_KEY_BYTES];
	char hex[2 * CR_KEY_BYTES + 2];
	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(hex, sizeof hex - 1, raw, sizeof raw);
	hex[2 * CR_KEY_BYTES] = '\n';
	cr_err e = CR_OK;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		e = cr_fail(m, errno == EEXIST ? CR_EEXIST : CR_EIO, "key file %s: %s", path, strerror(errno));
		goto done;
	}
	size_t off = 0;
	while (off < sizeof hex - 1) {
		ssize_t w = write(fd, hex + off, sizeof hex - 1 - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	if (off != sizeof hex - 1 || fsync(fd) < 0) {
		e = cr_fail(m, CR_EIO, "key file %s: %s", path, strerror(errno ? errno : EIO));
		close(fd);
		unlink(path);
		goto done;
	}
	close(fd);
	e = key_make(raw, out, m);
done:
	sodium_memzero(raw, sizeof raw);
	sodium_memzero(hex, sizeof hex);
	return e;
}

void cr_key_check(const cr_key *k, char out[65])
{
	static const char what[] = "cristal key check 1";
	uint8_t h[32];
	crypto_generichash(h, sizeof h, (const uint8_t *)what, sizeof what - 1, k->master, CR_KEY_BYTES);
	sodium_bin2hex(out, 65, h, sizeof h);
}

void cr_wipe(void *p, size_t n)
{
	if (p && n)
		sodium_memzero(p, n);
}

static const uint8_t *subkey(const cr_key *k, cr_key_use use)
{
	return use == CR_KEY_INDEX ? k->index : k->catalog;
}

void cr_seal(const cr_key *k, cr_key_use use, const void *ad, size_t ad_len, const void *p, size_t n, uint8_t *out)
{
	randombytes_buf(out, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
	unsigned long long cl;
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, &cl, p, n, ad,
						   ad_len, NULL, out, subkey(k, use));
}

cr_err cr_unseal(const cr_key *k, cr_key_use use, const void *ad, size_t ad_len, const uint8_t *c, size_t n,
		 uint8_t *out, size_t *out_len)
{
	if (n < CR_SEAL_OVERHEAD)
		return CR_ECORRUPT;
	unsigned long long pl;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, &pl, NULL, c + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
						       n - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, ad, ad_len, c,
						       subkey(k, use)))
		return CR_ECORRUPT;
	*out_len = (size_t)pl;
	return CR_OK;
}

/* ---- sealed files ------------------------------------------------------- */

static size_t block_ad(uint8_t *ad, const uint8_t hdr[CR_CRYPT_HDR], const char *label, uint64_t i, int final)
{
	size_t ll = strlen(label), n = 0;
	memcpy(ad, hdr, CR_CRYPT_HDR);
	n += CR_CRYPT_HDR;
	memcpy(ad + n, label, ll);
	n += ll;
	for (int b = 0; b < 8; b++)
		ad[n++] = (uint8_t)(i >> (8 * b));
	ad[n++] = (uint8_t)(final != 0);
	return n;
}

void cr_crypt_w_init(cr_crypt_w *w, const cr_key *k, const char *label)
{
	memset(w, 0, sizeof *w);
	w->key = k;
	snprintf(w->label, sizeof w->label, "%s", label);
	memcpy(w->hdr, CR_CRYPT_MAGIC, 8);
	uint32_t b = CR_CRYPT_BLOCK;
	for (int i = 0; i < 4; i++)
		w->hdr[8 + i] = (uint8_t)(b >> (8 * i));
	randombytes_buf(w->hdr + 16, 16);
}

void cr_crypt_w_block(cr_crypt_w *w, const uint8_t *p, size_t n, int final, uint8_t *out)
{
	uint8_t ad[CR_CRYPT_HDR + 64 + 9];
	size_t adl = block_ad(ad, w->hdr, w->label, w->i_block++, final);
	cr_seal(w->key, CR_KEY_INDEX, ad, adl, p, n, out);
}

int cr_crypt_is_sealed(const uint8_t *p, size_t n)
{
	return n >= 8 && !memcmp(p, CR_CRYPT_MAGIC, 8);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

cr_err cr_crypt_plain_size(const uint8_t *p, size_t n, size_t *out, cr_msg *m)
{
	if (n < CR_CRYPT_HDR || !cr_crypt_is_sealed(p, n))
		return cr_fail(m, CR_ECORRUPT, "not a sealed file (no header)");
	if (rd32(p + 8) != CR_CRYPT_BLOCK || rd32(p + 12) != 0)
		return cr_fail(m, CR_ECORRUPT, "sealed file: unknown block size %u", rd32(p + 8));
	size_t body = n - CR_CRYPT_HDR, full = CR_CRYPT_BLOCK + CR_SEAL_OVERHEAD;
	size_t n_full = body / full, rest = body % full;
	/* the last block is the remainder, or a full block when the remainder is 0 */
	if (rest == 0) {
		if (n_full == 0)
			return cr_fail(m, CR_ECORRUPT, "sealed file: no blocks (truncated)");
		*out = n_full * CR_CRYPT_BLOCK;
		return CR_OK;
	}
	if (rest < CR_SEAL_OVERHEAD)
		return cr_fail(m, CR_ECORRUPT, "sealed file: last block of %zu bytes (truncated)", rest);
	*out = n_full * CR_CRYPT_BLOCK + rest - CR_SEAL_OVERHEAD;
	return CR_OK;
}

cr_err cr_crypt_open(const cr_key *k, const char *label, const uint8_t *p, size_t n, uint8_t *out, cr_msg *m)
{
	size_t plain;
	cr_err e = cr_crypt_plain_size(p, n, &plain, m);
	if (e)
		return e;
	if (strlen(label) > 64)
		return cr_fail(m, CR_EINVAL, "sealed file: label too long");
	const uint8_t *hdr = p, *c = p + CR_CRYPT_HDR;
	size_t left = n - CR_CRYPT_HDR, done = 0;
	uint8_t ad[CR_CRYPT_HDR + 64 + 9];
	for (uint64_t i = 0; left; i++) {
		size_t bl = CR_MIN(left, (size_t)CR_CRYPT_BLOCK + CR_SEAL_OVERHEAD);
		int final = bl == left;
		size_t adl = block_ad(ad, hdr, label, i, final), got = 0;
		if (cr_unseal(k, CR_KEY_INDEX, ad, adl, c, bl, out + done, &got)) {
			sodium_memzero(out, plain);
			return cr_fail(m, CR_ECORRUPT,
				       "sealed file: block %llu of %llu fails authentication (changed, moved, "
				       "truncated, or another key)",
				       (unsigned long long)i, (unsigned long long)((n - CR_CRYPT_HDR + CR_CRYPT_BLOCK +
										    CR_SEAL_OVERHEAD - 1) /
										   (CR_CRYPT_BLOCK + CR_SEAL_OVERHEAD)));
		}
		done += got;
		c += bl;
		left -= bl;
	}
	CR_ASSERT(done == plain);
	return CR_OK;
}
