/*
 * crypt.h — encryption at rest (part of base): the data key, sealed values
 * for the catalog and the sealed-file container for the index. All of it is
 * libsodium's XChaCha20-Poly1305 (crypto_aead_xchacha20poly1305_ietf_*),
 * each value and block with a fresh random 24-byte nonce, so no nonce
 * bookkeeping is needed and a key can seal 2^64 values safely.
 *
 * The key: 32 bytes, read from a file (raw 32 bytes, 64 hex digits or 44
 * base64 characters; a file group or others can read is refused) or from
 * text (the environment), kept in sodium_malloc'd memory (guard pages,
 * mlock'd, excluded from core dumps where the OS allows) and wiped at free.
 * Sub-keys are derived per use (crypto_kdf, context "cristal1"), so the
 * catalog's and the index's ciphertexts never share a key, and the check
 * value stored in the catalog (a keyed BLAKE2b of a constant) reveals nothing
 * of either.
 *
 * Sealed value (catalog column): nonce[24] ciphertext[n] tag[16], the
 * associated data given by the caller (table, column, row id), so a value
 * moved to another row or column fails to open.
 *
 * Sealed file (index segments), CR_CRYPT_HDR bytes of header then blocks:
 *   header:  "CRENCF01" | u32 block size B (65536) | u32 0 | file id[16]
 *   block i: nonce[24] ciphertext[n_i] tag[16], n_i = B except the last
 *            (0 <= n_last <= B; a file always has a last block)
 *   AD(i) =  header[32] | label (the file's name, e.g. "seg_000003.idx") |
 *            u64le i | u8 final (1 for the last block only)
 * So a block edited, moved, taken from another file or a file renamed,
 * truncated at a block boundary or extended fails to open (CR_ECORRUPT,
 * saying which block). Overhead: 32 + 40 bytes per 64 KiB (0.06%).
 *
 * Process key: the program sets it once at start, before any thread
 * (cr_key_set_process), like the other write-once process settings; the
 * catalog and index read it when they open a data directory.
 */
#ifndef CRISTAL_CRYPT_H
#define CRISTAL_CRYPT_H

#include "cristal/base.h"

typedef struct cr_key cr_key;

typedef enum cr_key_use {
	CR_KEY_CATALOG = 1, /* sealed values in catalog.db */
	CR_KEY_INDEX = 2,   /* sealed segment files */
} cr_key_use;

#define CR_KEY_BYTES 32
#define CR_SEAL_OVERHEAD 40 /* nonce + tag */
#define CR_CRYPT_HDR 32
#define CR_CRYPT_BLOCK 65536u
#define CR_CRYPT_MAGIC "CRENCF01"

/* Reads a key file. CR_EDENIED if group or others may read it (or it is not
 * a regular file), CR_EINVAL if it holds no 32-byte key; the message says
 * which and what to do. */
CR_API cr_err cr_key_from_file(const char *path, cr_key **out, cr_msg *m) CR_NODISCARD;
/* A key given as text: 64 hex digits or base64 of 32 bytes. */
CR_API cr_err cr_key_from_text(const char *text, cr_key **out, cr_msg *m) CR_NODISCARD;
/* Makes a new random key and writes it as hex to a new file (mode 0600,
 * never over an existing file: CR_EEXIST). */
CR_API cr_err cr_key_generate_file(const char *path, cr_key **out, cr_msg *m) CR_NODISCARD;
/* Wipes and frees; NULL is fine. */
CR_API void cr_key_free(cr_key *k);
/* The check value the catalog stores: 64 hex digits + NUL. Equal check
 * values mean the same key (with overwhelming probability). */
CR_API void cr_key_check(const cr_key *k, char out[65]);

/* The process's key (NULL: none). Set once before threads start; the key
 * stays owned by the caller and must outlive every user. */
CR_API void cr_key_set_process(const cr_key *k);
CR_API const cr_key *cr_key_process(void);

/* Seals n bytes into out (n + CR_SEAL_OVERHEAD bytes). */
CR_API void cr_seal(const cr_key *k, cr_key_use use, const void *ad, size_t ad_len, const void *p, size_t n,
		    uint8_t *out);
/* Opens a sealed value into out (n - CR_SEAL_OVERHEAD bytes, *out_len).
 * CR_ECORRUPT if it is too short or fails authentication (other key, other
 * associated data, any byte changed). */
CR_API cr_err cr_unseal(const cr_key *k, cr_key_use use, const void *ad, size_t ad_len, const uint8_t *c,
			size_t n, uint8_t *out, size_t *out_len) CR_NODISCARD;

/* Writing a sealed file: cr_crypt_w_init makes the header (write it first),
 * then each cr_crypt_w_block seals one block of at most CR_CRYPT_BLOCK bytes
 * into out (n + CR_SEAL_OVERHEAD bytes); every block but the last must be
 * full, and the last has final = 1. */
typedef struct cr_crypt_w {
	const cr_key *key;
	uint8_t hdr[CR_CRYPT_HDR];
	char label[64];
	uint64_t i_block;
} cr_crypt_w;
CR_API void cr_crypt_w_init(cr_crypt_w *w, const cr_key *k, const char *label);
CR_API void cr_crypt_w_block(cr_crypt_w *w, const uint8_t *p, size_t n, int final, uint8_t *out);

/* Zeroes memory the compiler may not skip (sodium_memzero). */
CR_API void cr_wipe(void *p, size_t n);

/* Whether bytes begin like a sealed file (the magic only). */
CR_API int cr_crypt_is_sealed(const uint8_t *p, size_t n);
/* The plaintext size of a sealed file of n bytes, or CR_ECORRUPT if n
 * cannot be one (no header, a last block shorter than its overhead). */
CR_API cr_err cr_crypt_plain_size(const uint8_t *p, size_t n, size_t *out, cr_msg *m) CR_NODISCARD;
/* Opens a whole sealed file into out (cr_crypt_plain_size bytes; caller's
 * buffer). CR_ECORRUPT with the block and reason on any failure; out then
 * holds no plaintext (wiped). Threads: any, no shared state. */
CR_API cr_err cr_crypt_open(const cr_key *k, const char *label, const uint8_t *p, size_t n, uint8_t *out,
			    cr_msg *m) CR_NODISCARD;

#endif
