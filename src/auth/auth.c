/*
 * auth.c — passwords and API tokens (auth.h).
 */
#include "cristal/auth.h"

#include <sodium.h>
#include <string.h>

cr_err cr_auth_password_hash(const char *pw, char out[CR_AUTH_HASH_MAX], cr_msg *m)
{
	size_t n = pw ? strlen(pw) : 0;
	if (!n || n > 4096)
		return cr_fail(m, CR_EINVAL, "a password is 1 to 4096 bytes");
	_Static_assert(crypto_pwhash_STRBYTES <= CR_AUTH_HASH_MAX, "hash buffer");
	if (sodium_init() < 0)
		return cr_fail(m, CR_EIO, "libsodium cannot start");
	if (crypto_pwhash_str_alg(out, pw, n, crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE,
				  crypto_pwhash_ALG_ARGON2ID13))
		return cr_fail(m, CR_ENOMEM, "argon2id: out of memory");
	return CR_OK;
}

int cr_auth_password_check(const char *hash, const char *pw)
{
	if (!hash || !pw || sodium_init() < 0)
		return 0;
	return crypto_pwhash_str_verify(hash, pw, strlen(pw)) == 0;
}

cr_err cr_auth_token_create(cr_store *s, const char *user, const char *label, int days, char out[CR_AUTH_TOKEN_LEN + 1],
			    int64_t *id, cr_msg *m)
{
	if (sodium_init() < 0)
		return cr_fail(m, CR_EIO, "libsodium cannot start");
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_user_row u;
	cr_err e = cr_store_user_get(s, &a, user, 0, &u, m);
	cr_arena_release(&a);
	if (e)
		return e;
	unsigned char raw[32];
	randombytes_buf(raw, sizeof raw);
	memcpy(out, "cr_", 3);
	sodium_bin2base64(out + 3, CR_AUTH_TOKEN_LEN + 1 - 3, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
	char hash[65];
	cr_sha256_hex(out, strlen(out), hash);
	cr_token_row t = {.user_id = u.id,
			  .label = label,
			  .hash = hash,
			  .expires = days > 0 ? cr_wallclock() + (int64_t)days * 86400 : 0};
	return cr_store_token_put(s, &t, id, m);
}

static int token_shape(const char *t)
{
	if (!t || strlen(t) != CR_AUTH_TOKEN_LEN || strncmp(t, "cr_", 3))
		return 0;
	for (const char *p = t + 3; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		      *p == '_'))
			return 0;
	return 1;
}

cr_err cr_auth_bearer(cr_store *s, cr_arena *a, const char *token, cr_user_row *user, cr_principal *who, cr_msg *m)
{
	if (!token_shape(token))
		return cr_fail(m, CR_EUNAUTH, "not a Cristal token");
	char hash[65];
	cr_sha256_hex(token, strlen(token), hash);
	cr_token_row t;
	cr_err e = cr_store_token_find(s, a, hash, &t, m);
	if (e == CR_ENOTFOUND)
		return cr_fail(m, CR_EUNAUTH, "unknown token");
	if (e)
		return e;
	if (t.revoked)
		return cr_fail(m, CR_EUNAUTH, "the token was revoked");
	if (t.expires && t.expires <= cr_wallclock())
		return cr_fail(m, CR_EUNAUTH, "the token expired");
	if ((e = cr_store_user_get(s, a, NULL, t.user_id, user, m)))
		return e == CR_ENOTFOUND ? cr_fail(m, CR_EUNAUTH, "the token's user is gone") : e;
	memset(who, 0, sizeof *who);
	who->tenant = user->tenant_id;
	who->user = (uint32_t)user->id;
	who->groups = user->group_ids;
	who->n_groups = user->n_groups;
	who->max_classification = 255; /* classification rules come with governance */
	return CR_OK;
}
