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

/* The principal user searches as: its tenant, its id and its groups
 * (user's group_ids stay referenced). */
CR_API void cr_auth_principal(const cr_user_row *user, cr_principal *who);

/*
 * Browser sessions. A session is "cs_" and 43 base64url characters (32
 * random bytes) sent as an HttpOnly cookie; the catalog keeps its SHA-256,
 * an absolute end (ttl seconds after log-in) and the last use (a session
 * unused for idle seconds ends). Its CSRF token is derived from the
 * session itself: SHA-256 hex of "cristal-csrf-1\n" and the session, so it
 * needs no storage and cannot be computed from the stored hash. The page
 * sends it in a header with every state-changing request;
 * cr_auth_csrf_check compares in constant time.
 */
#define CR_AUTH_SESSION_LEN 46 /* "cs_" + 43 */

/* Makes a session for user (by id) that lasts ttl seconds, writes its
 * cookie value to out and its CSRF token to csrf. */
CR_API cr_err cr_auth_session_create(cr_store *s, int64_t user_id, int64_t ttl, char out[CR_AUTH_SESSION_LEN + 1],
				     char csrf[65], cr_msg *m) CR_NODISCARD;
/* The user and principal of a session cookie (as cr_auth_bearer), its
 * CSRF token; refreshes its last use. CR_EUNAUTH for a malformed, unknown,
 * expired or idle session (an ended session is deleted). */
CR_API cr_err cr_auth_session_check(cr_store *s, cr_arena *a, const char *cookie, int64_t idle, cr_user_row *user,
				    cr_principal *who, char csrf[65], cr_msg *m) CR_NODISCARD;
/* Ends a session (log-out); CR_OK when there was none. */
CR_API cr_err cr_auth_session_end(cr_store *s, const char *cookie, cr_msg *m) CR_NODISCARD;
/* The CSRF token of a session cookie. */
CR_API void cr_auth_csrf_of(const char *cookie, char out[65]);
/* 1 when given is the CSRF token of cookie (constant time). */
CR_API int cr_auth_csrf_check(const char *cookie, const char *given);

/* Like cr_auth_bearer, and *token_id gets the token's row id (for the
 * audit log). */
CR_API cr_err cr_auth_bearer_id(cr_store *s, cr_arena *a, const char *token, cr_user_row *user, cr_principal *who,
				int64_t *token_id, cr_msg *m) CR_NODISCARD;

/*
 * Quotas (store.h cr_quota_row) on a user and on its tenant: requests and
 * provider tokens per UTC day, cost per UTC calendar month. A check counts
 * nothing; cr_store_request_add counts.
 */
typedef struct cr_quota_verdict {
	int over;               /* 1: a limit is reached */
	char scope[8];          /* "user" | "tenant" */
	char name[65];
	char limit[24];         /* "requests_per_day" | "tokens_per_day" | "cost_per_month" */
	double value, used;
	int64_t resets;         /* unix seconds: next UTC midnight or month */
	char resets_text[32];   /* "2026-12-03T00:00:00Z" */
} cr_quota_verdict;
/* Checks user's and tenant's quotas at time now (0: the clock). Over a
 * limit: CR_ERATELIMIT with v filled and a message naming the limit, the
 * use and when it resets. */
CR_API cr_err cr_auth_quota_check(cr_store *s, const char *user, const char *tenant, int64_t now,
				  cr_quota_verdict *v, cr_msg *m) CR_NODISCARD;

#endif
