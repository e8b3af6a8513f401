/*
 * auth.c — passwords, API tokens, browser sessions and their CSRF tokens,
 * quotas (auth.h).
 */
#define _GNU_SOURCE /* timegm */
#include "cristal/auth.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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

static int token_shape(const char *t, const char *prefix)
{
	if (!t || strlen(t) != CR_AUTH_TOKEN_LEN || strncmp(t, prefix, 3))
		return 0;
	for (const char *p = t + 3; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		      *p == '_'))
			return 0;
	return 1;
}

void cr_auth_principal(const cr_user_row *user, cr_principal *who)
{
	memset(who, 0, sizeof *who);
	who->tenant = user->tenant_id;
	who->user = (uint32_t)user->id;
	/* its groups and its addresses' principals (store.h) */
	who->groups = user->principal_ids ? user->principal_ids : user->group_ids;
	who->n_groups = user->principal_ids ? user->n_principal_ids : user->n_groups;
	who->max_classification = 255; /* classification rules come with governance */
}

cr_err cr_auth_bearer_id(cr_store *s, cr_arena *a, const char *token, cr_user_row *user, cr_principal *who,
			 int64_t *token_id, cr_msg *m)
{
	if (!token_shape(token, "cr_"))
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
	cr_auth_principal(user, who);
	if (token_id)
		*token_id = t.id;
	return CR_OK;
}

cr_err cr_auth_bearer(cr_store *s, cr_arena *a, const char *token, cr_user_row *user, cr_principal *who, cr_msg *m)
{
	return cr_auth_bearer_id(s, a, token, user, who, NULL, m);
}

/* ---- sessions ------------------------------------------------------------ */

void cr_auth_csrf_of(const char *cookie, char out[65])
{
	cr_buf b;
	cr_buf_init(&b, 0);
	if (cr_buf_adds(&b, "cristal-csrf-1\n") || cr_buf_adds(&b, cookie ? cookie : "")) {
		memset(out, '0', 64); /* out of memory: a token no session has */
		out[64] = 0;
	} else
		cr_sha256_hex(b.data, b.len, out);
	cr_buf_release(&b);
}

int cr_auth_csrf_check(const char *cookie, const char *given)
{
	if (!cookie || !given || strlen(given) != 64)
		return 0;
	char want[65];
	cr_auth_csrf_of(cookie, want);
	return sodium_memcmp(want, given, 64) == 0;
}

cr_err cr_auth_session_create(cr_store *s, int64_t user_id, int64_t ttl, char out[CR_AUTH_SESSION_LEN + 1],
			      char csrf[65], cr_msg *m)
{
	if (sodium_init() < 0)
		return cr_fail(m, CR_EIO, "libsodium cannot start");
	if (ttl <= 0)
		return cr_fail(m, CR_EINVAL, "a session lasts a positive number of seconds");
	unsigned char raw[32];
	randombytes_buf(raw, sizeof raw);
	memcpy(out, "cs_", 3);
	sodium_bin2base64(out + 3, CR_AUTH_SESSION_LEN + 1 - 3, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
	char hash[65];
	cr_sha256_hex(out, strlen(out), hash);
	int64_t now = cr_wallclock();
	cr_session_row r = {.user_id = user_id, .hash = hash, .created = now, .seen = now, .expires = now + ttl};
	cr_err e = cr_store_session_put(s, &r, NULL, m);
	if (!e) {
		cr_auth_csrf_of(out, csrf);
		/* ended sessions are swept at each log-in */
		CR_IGNORE(cr_store_session_del(s, NULL, now, NULL, NULL));
	}
	return e;
}

cr_err cr_auth_session_check(cr_store *s, cr_arena *a, const char *cookie, int64_t idle, cr_user_row *user,
			     cr_principal *who, char csrf[65], cr_msg *m)
{
	if (!token_shape(cookie, "cs_"))
		return cr_fail(m, CR_EUNAUTH, "not a Cristal session");
	char hash[65];
	cr_sha256_hex(cookie, strlen(cookie), hash);
	cr_session_row r;
	cr_err e = cr_store_session_find(s, a, hash, &r, m);
	if (e == CR_ENOTFOUND)
		return cr_fail(m, CR_EUNAUTH, "the session ended (log in again)");
	if (e)
		return e;
	int64_t now = cr_wallclock();
	int expired = r.expires <= now, idled = idle > 0 && r.seen + idle <= now;
	if (expired || idled) {
		CR_IGNORE(cr_store_session_del(s, hash, now, NULL, NULL));
		return cr_fail(m, CR_EUNAUTH, expired ? "the session expired (log in again)"
						      : "the session was idle too long (log in again)");
	}
	if ((e = cr_store_user_get(s, a, NULL, r.user_id, user, m)))
		return e == CR_ENOTFOUND ? cr_fail(m, CR_EUNAUTH, "the session's user is gone") : e;
	/* the last use, written at most once a minute */
	if (now - r.seen >= 60 && (e = cr_store_session_touch(s, r.id, now, m)))
		return e;
	cr_auth_principal(user, who);
	cr_auth_csrf_of(cookie, csrf);
	return CR_OK;
}

cr_err cr_auth_session_end(cr_store *s, const char *cookie, cr_msg *m)
{
	if (!token_shape(cookie, "cs_"))
		return CR_OK;
	char hash[65];
	cr_sha256_hex(cookie, strlen(cookie), hash);
	return cr_store_session_del(s, hash, 0, NULL, m);
}

/* ---- quotas ---------------------------------------------------------------- */

static void utc_text(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* One scope's limits against its use; 1 when one is reached (v filled). */
static cr_err check_scope(cr_store *s, const char *scope, const char *name, int64_t day0, int64_t month0,
			  int64_t next_day, int64_t next_month, cr_quota_verdict *v, cr_msg *m)
{
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_quota_row q;
	cr_err e = cr_store_quota_get(s, &a, scope, name, &q, m);
	if (e == CR_ENOTFOUND) {
		cr_arena_release(&a);
		return CR_OK;
	}
	int64_t req = 0, tok = 0, mtok = 0;
	double cost = 0;
	if (!e && (q.requests_per_day >= 0 || q.tokens_per_day >= 0))
		e = cr_store_usage_of(s, scope, name, day0, &req, &tok, NULL, m);
	if (!e && q.cost_per_month >= 0)
		e = cr_store_usage_of(s, scope, name, month0, NULL, &mtok, &cost, m);
	if (!e) {
		const char *lim = NULL;
		double val = 0, used = 0;
		int64_t resets = next_day;
		if (q.requests_per_day >= 0 && req >= q.requests_per_day)
			lim = "requests_per_day", val = (double)q.requests_per_day, used = (double)req;
		else if (q.tokens_per_day >= 0 && tok >= q.tokens_per_day)
			lim = "tokens_per_day", val = (double)q.tokens_per_day, used = (double)tok;
		else if (q.cost_per_month >= 0 && cost >= q.cost_per_month)
			lim = "cost_per_month", val = q.cost_per_month, used = cost, resets = next_month;
		if (lim) {
			v->over = 1;
			snprintf(v->scope, sizeof v->scope, "%s", scope);
			snprintf(v->name, sizeof v->name, "%s", name);
			snprintf(v->limit, sizeof v->limit, "%s", lim);
			v->value = val;
			v->used = used;
			v->resets = resets;
			utc_text(resets, v->resets_text);
			e = cr_fail(m, CR_ERATELIMIT, "quota reached: %s %s has used %g of its %s limit of %g; it resets at %s",
				    scope, name, used, lim, val, v->resets_text);
		}
	}
	cr_arena_release(&a);
	return e;
}

cr_err cr_auth_quota_check(cr_store *s, const char *user, const char *tenant, int64_t now, cr_quota_verdict *v,
			   cr_msg *m)
{
	memset(v, 0, sizeof *v);
	if (!user)
		return CR_OK; /* the local operator */
	if (!now)
		now = cr_wallclock();
	time_t tt = (time_t)now;
	struct tm tm;
	gmtime_r(&tt, &tm);
	struct tm d = {.tm_year = tm.tm_year, .tm_mon = tm.tm_mon, .tm_mday = tm.tm_mday};
	int64_t day0 = (int64_t)timegm(&d);
	struct tm mo = {.tm_year = tm.tm_year, .tm_mon = tm.tm_mon, .tm_mday = 1};
	int64_t month0 = (int64_t)timegm(&mo);
	mo.tm_mon++;
	int64_t next_month = (int64_t)timegm(&mo);
	cr_err e = check_scope(s, "user", user, day0, month0, day0 + 86400, next_month, v, m);
	if (!e)
		e = check_scope(s, "tenant", tenant ? tenant : "default", day0, month0, day0 + 86400, next_month, v, m);
	return e;
}
