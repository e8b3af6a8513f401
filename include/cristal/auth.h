/*
 * auth.h — who is calling: passwords (argon2id, libsodium's
 * crypto_pwhash_str at its interactive limits) and API tokens.
 *
 * A token is "cr_" and 43 base64url characters (32 random bytes); the
 * catalog keeps only its SHA-256 (a token has 256 bits of entropy, so a
 * fast hash is enough; passwords get argon2id). A token is shown once, when
 * it is made. cr_auth_bearer turns a token into its user and the
 * cr_principal searches filter by: the user's id, tenant and groups.
 *
 * Threads: every call uses only the given catalog connection.
 */
#ifndef CRISTAL_AUTH_H
#define CRISTAL_AUTH_H

#include "cristal/base.h"
#include "cristal/index.h"
#include "cristal/store.h"

#define CR_AUTH_HASH_MAX 128 /* crypto_pwhash_STRBYTES */
#define CR_AUTH_TOKEN_LEN 46 /* "cr_" + 43 */

/* The argon2id string of a password (1 to 4,096 bytes). CR_ENOMEM when
 * the hashing cannot get its memory. */
CR_API cr_err cr_auth_password_hash(const char *pw, char out[CR_AUTH_HASH_MAX], cr_msg *m) CR_NODISCARD;
/* 1 when pw matches hash. */
CR_API int cr_auth_password_check(const char *hash, const char *pw);

/* Makes a token for user name (label may be NULL; days > 0: it expires
 * then), stores its hash, writes the token (NUL-terminated) to out.
 * CR_ENOTFOUND if no such user. */
CR_API cr_err cr_auth_token_create(cr_store *s, const char *user, const char *label, int days,
				   char out[CR_AUTH_TOKEN_LEN + 1], int64_t *id, cr_msg *m) CR_NODISCARD;

/* The user a token belongs to, and the principal it searches as (groups
 * in arena a). CR_EUNAUTH for a malformed, unknown, revoked or expired
 * token (the message says which, without the token). */
CR_API cr_err cr_auth_bearer(cr_store *s, cr_arena *a, const char *token, cr_user_row *user, cr_principal *who,
			     cr_msg *m) CR_NODISCARD;

#endif
