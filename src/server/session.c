/*
 * session.c — who a request is (server_int.h srv_ctx): an API token
 * (Authorization: Bearer) or a browser session cookie; what its role may
 * do on the route; its quotas; and the browser's log-in and log-out.
 *
 * Browser sessions: POST /api/login {"user", "password"} checks the
 * argon2id hash and answers {"user", "role", "tenant", "csrf", "expires"}
 * with the cookie `cristal_session` (HttpOnly, SameSite=Strict, Path=/,
 * Secure when the connection is TLS). A request carrying the cookie that is
 * not GET or HEAD must send the session's CSRF token in X-CSRF-Token
 * (auth.h: derived from the session, compared in constant time), so a page
 * of another site cannot make the browser change anything. Bearer-token
 * requests carry no ambient credential and need none.
 *
 * Failed log-ins are counted per user name and per client address in a
 * fixed table (srv_limiter, 1,024 slots; the oldest slot is reused when
 * full): past the limits they are refused with 429 and Retry-After before
 * the password is even hashed. Every log-in, ok or not, is audited. An
 * unknown user costs the same argon2id check as a known one.
 */
#define _GNU_SOURCE
#include "server_int.h"

#include <netdb.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#define COOKIE "cristal_session"

/* ---- the request context ------------------------------------------------- */

static const struct {
	const char *name;
	int policy;
} policies[] = {
	{"me", SRV_ROLE_ANY | SRV_UNMETERED},
	{"password", SRV_ROLE_ANY | SRV_UNMETERED},
	{"user_set", SRV_ROLE_ADMIN | SRV_UNMETERED},
	{"logout", SRV_ROLE_ANY | SRV_UNMETERED},
	{"usage", SRV_ROLE_ANY | SRV_UNMETERED},
	{"users", SRV_ROLE_ADMIN | SRV_UNMETERED},
	{"user_add", SRV_ROLE_ADMIN | SRV_UNMETERED},
	{"user_rm", SRV_ROLE_ADMIN | SRV_UNMETERED},
	{"groups", SRV_ROLE_ADMIN | SRV_UNMETERED},
	{"group_add", SRV_ROLE_ADMIN | SRV_UNMETERED | SRV_OPERATOR},
	{"group_rm", SRV_ROLE_ADMIN | SRV_UNMETERED | SRV_OPERATOR},
	{"tokens", SRV_ROLE_ADMIN | SRV_UNMETERED},
	{"token_create", SRV_ROLE_ADMIN | SRV_UNMETERED},
	{"token_revoke", SRV_ROLE_ADMIN | SRV_UNMETERED},
	{"provider_suspend", SRV_ROLE_ADMIN | SRV_UNMETERED | SRV_OPERATOR},
	{"provider_resume", SRV_ROLE_ADMIN | SRV_UNMETERED | SRV_OPERATOR},
	{"audit", SRV_ROLE_ADMIN | SRV_ROLE_AUDITOR | SRV_UNMETERED},
	{"providers", SRV_ROLE_ADMIN | SRV_ROLE_MEMBER | SRV_UNMETERED},
	{"models", SRV_ROLE_ADMIN | SRV_ROLE_MEMBER | SRV_UNMETERED},
	{"ingest", SRV_ROLE_ADMIN | SRV_ROLE_MEMBER | SRV_UNMETERED},
};

int srv_route_policy(const srv_route *rt)
{
	for (size_t i = 0; i < CR_ARRAY_LEN(policies); i++)
		if (!strcmp(policies[i].name, rt->name))
			return policies[i].policy;
	return SRV_ROLE_ADMIN | SRV_ROLE_MEMBER;
}

static int role_bit(const char *role)
{
	if (!role)
		return 0;
	return !strcmp(role, "admin") ? SRV_ROLE_ADMIN : !strcmp(role, "member") ? SRV_ROLE_MEMBER
							: !strcmp(role, "auditor")	       ? SRV_ROLE_AUDITOR
											       : 0;
}

static int state_changing(const char *method)
{
	return strcmp(method, "GET") && strcmp(method, "HEAD") && strcmp(method, "OPTIONS");
}

cr_err srv_authenticate(srv_req *r, cr_msg *m)
{
	cr_store *st;
	cr_err e = cr_corpus_store_acquire(r->s->corpus, &st, m);
	if (e)
		return e;
	int64_t n_users = 0;
	if ((e = cr_store_user_count(st, &n_users, m)) || !n_users) {
		cr_corpus_store_release(r->s->corpus, st);
		return e; /* no users: the local operator, on loopback */
	}
	const char *h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	const char *cookie = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, COOKIE);
	cr_user_row *u = cr_arena_zalloc(&r->arena, sizeof *u);
	cr_principal *who = cr_arena_zalloc(&r->arena, sizeof *who);
	const char *via = NULL;
	int64_t token_id = 0;
	if (!u || !who)
		e = cr_fail(m, CR_ENOMEM, "out of memory");
	else if (h && !strncasecmp(h, "Bearer ", 7)) {
		e = cr_auth_bearer_id(st, &r->arena, h + 7 + strspn(h + 7, " "), u, who, &token_id, m);
		if (!e)
			via = cr_arena_printf(&r->arena, "token:%lld", (long long)token_id);
	} else if (!h && cookie) {
		e = cr_auth_session_check(st, &r->arena, cookie, r->s->cfg.session_idle, u, who, r->csrf, m);
		via = "session";
		if (!e && state_changing(r->method)) {
			const char *given = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-CSRF-Token");
			if (!cr_auth_csrf_check(cookie, given))
				e = cr_fail(m, CR_EDENIED, given ? "the CSRF token is wrong (X-CSRF-Token)"
								 : "a request made with the session cookie must send its "
								   "CSRF token in X-CSRF-Token");
		}
	} else
		e = cr_fail(m, CR_EUNAUTH, "this server needs an API token: Authorization: Bearer TOKEN "
					   "(cristal token create --user NAME), or a log-in (POST /api/login)");
	if (!e && !via)
		e = cr_fail(m, CR_ENOMEM, "out of memory");
	int policy = srv_route_policy(r->route);
	if (!e && !(role_bit(u->role) & policy))
		e = cr_fail(m, CR_EDENIED, "%s %s is not open to the %s role", r->method, r->route->path, u->role);
	if (!e && (policy & SRV_OPERATOR) && u->tenant_id != 0)
		e = cr_fail(m, CR_EDENIED, "%s %s acts on every tenant: only the default tenant's admins may", r->method,
			    r->route->path);
	if (!e && !(policy & SRV_UNMETERED)) {
		e = cr_auth_quota_check(st, u->name, u->tenant, 0, &r->quota, m);
		if (!e)
			e = cr_store_request_add(st, u->name, u->tenant, NULL, NULL, m);
	}
	cr_corpus_store_release(r->s->corpus, st);
	if (e)
		return e;
	r->ctx.user = u->name;
	r->ctx.user_id = u->id;
	r->ctx.role = u->role;
	r->ctx.tenant = u->tenant_id;
	r->ctx.tenant_name = u->tenant ? u->tenant : "default";
	r->ctx.groups = u->group_ids;
	r->ctx.n_groups = u->n_groups;
	r->ctx.who = who;
	r->ctx.via = via;
	return CR_OK;
}

enum MHD_Result srv_quota_reply(srv_req *r, const cr_msg *m)
{
	const cr_quota_verdict *v = &r->quota;
	int64_t wait = v->resets - cr_wallclock();
	r->retry_after = wait > 0 ? (long)wait : 1;
	const char *msg = m && m->text[0] ? m->text : "a quota is reached";
	cr_buf b;
	cr_buf_init(&b, 0);
	cr_err e = cr_buf_adds(&b, "{\"error\":{\"code\":\"quota_exceeded\",\"message\":");
	if (!e)
		e = cr_buf_add_json_str(&b, msg, strlen(msg));
	if (!e)
		e = cr_buf_printf(&b, ",\"type\":\"invalid_request_error\",\"limit\":\"%s\",\"scope\":\"%s\",\"name\":", v->limit,
				  v->scope);
	if (!e)
		e = cr_buf_add_json_str(&b, v->name, strlen(v->name));
	if (!e)
		e = cr_buf_printf(&b, ",\"value\":%.17g,\"used\":%.17g,\"resets\":\"%s\"}}\n", v->value, v->used,
				  v->resets_text);
	enum MHD_Result ok = e ? srv_error(r, 429, "quota_exceeded", "%s", msg) : srv_reply_json(r, 429, &b);
	cr_buf_release(&b);
	return ok;
}

/* ---- failed log-ins ------------------------------------------------------- */

/* The slot of key (a free or the stalest one when new); under mu. */
static srv_login_slot *slot_of(srv_limiter *l, const char *key, int64_t now)
{
	srv_login_slot *free_s = NULL, *old = NULL;
	for (size_t i = 0; i < SRV_LOGIN_SLOTS; i++) {
		srv_login_slot *s = &l->slot[i];
		if (s->key[0] && !strcmp(s->key, key)) {
			if (now - s->first > SRV_LOGIN_WINDOW && s->until <= now)
				s->fails = 0, s->first = now; /* the window passed */
			return s;
		}
		if (!s->key[0] || (now - s->first > SRV_LOGIN_WINDOW && s->until <= now)) {
			if (!free_s)
				free_s = s;
		} else if (!old || s->first < old->first)
			old = s;
	}
	srv_login_slot *s = free_s ? free_s : old;
	memset(s, 0, sizeof *s);
	snprintf(s->key, sizeof s->key, "%s", key);
	s->first = now;
	return s;
}

/* Seconds until key may try again (0: now). */
static int64_t login_blocked(srv_limiter *l, const char *key, int64_t now)
{
	pthread_mutex_lock(&l->mu);
	int64_t wait = 0;
	for (size_t i = 0; i < SRV_LOGIN_SLOTS; i++)
		if (l->slot[i].key[0] && !strcmp(l->slot[i].key, key)) {
			wait = l->slot[i].until > now ? l->slot[i].until - now : 0;
			break;
		}
	pthread_mutex_unlock(&l->mu);
	return wait;
}

static void login_failed(srv_limiter *l, const char *key, int max, int64_t now)
{
	pthread_mutex_lock(&l->mu);
	srv_login_slot *s = slot_of(l, key, now);
	if (++s->fails >= max) {
		int over = CR_MIN(s->fails - max, 5);
		s->until = now + CR_MIN((int64_t)30 << over, (int64_t)SRV_LOGIN_WINDOW);
	}
	pthread_mutex_unlock(&l->mu);
}

static void login_forget(srv_limiter *l, const char *key)
{
	pthread_mutex_lock(&l->mu);
	for (size_t i = 0; i < SRV_LOGIN_SLOTS; i++)
		if (l->slot[i].key[0] && !strcmp(l->slot[i].key, key))
			memset(&l->slot[i], 0, sizeof l->slot[i]);
	pthread_mutex_unlock(&l->mu);
}

void srv_client_addr(srv_req *r, char *out, size_t cap)
{
	snprintf(out, cap, "?");
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (!ci || !ci->client_addr)
		return;
	socklen_t len = ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	if (getnameinfo(ci->client_addr, len, out, (socklen_t)cap, NULL, 0, NI_NUMERICHOST))
		snprintf(out, cap, "?");
}

/* ---- log-in and log-out ------------------------------------------------------ */

/* An argon2id string of a password nobody has: unknown users are checked
 * against it so they take as long as known ones. */
static char dummy_hash[CR_AUTH_HASH_MAX];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static void make_dummy(void)
{
	unsigned char raw[16];
	char pw[33];
	if (sodium_init() < 0)
		return;
	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(pw, sizeof pw, raw, sizeof raw);
	CR_IGNORE(cr_auth_password_hash(pw, dummy_hash, NULL));
}

static int is_tls(srv_req *r)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_PROTOCOL);
	return ci != NULL;
}

static enum MHD_Result login_refused(srv_req *r, const char *user, const char *addr, const char *reason,
				     unsigned status, const char *code, const char *msg)
{
	/* a refused log-in is recorded; if even that fails, it is refused the same */
	cr_msg m = {{0}};
	srv_ctx anon = {0};
	CR_IGNORE(srv_audit(r->s, &anon, "login",
			    json_pack("{ss sb ss ss}", "user", user, "ok", 0, "reason", reason, "address", addr), &m));
	return srv_error(r, status, code, "%s", msg);
}

enum MHD_Result srv_handle_login(srv_req *r)
{
	cr_msg m = {{0}};
	srv_login_req q;
	cr_err e = srv_decode_login(r->body.data, r->body.len, &r->arena, &q, &m);
	sodium_memzero(r->body.data, r->body.len); /* the password */
	if (e)
		return srv_error_err(r, e, &m);
	char addr[INET6_ADDRSTRLEN + 8], ukey[96], akey[96];
	srv_client_addr(r, addr, sizeof addr);
	snprintf(ukey, sizeof ukey, "u:%s", q.user);
	snprintf(akey, sizeof akey, "a:%s", addr);
	int64_t now = cr_wallclock(), wait = CR_MAX(login_blocked(r->s->logins, ukey, now),
						    login_blocked(r->s->logins, akey, now));
	if (wait > 0) {
		r->retry_after = (long)wait;
		return login_refused(r, q.user, addr, "rate limited", 429, "rate_limited",
				     "too many failed log-ins: try again later");
	}
	cr_store *st;
	if ((e = cr_corpus_store_acquire(r->s->corpus, &st, &m)))
		return srv_error_err(r, e, &m);
	cr_user_row u;
	e = cr_store_user_get(st, &r->arena, q.user, 0, &u, &m);
	int ok = 0;
	if (!e && u.pw_hash)
		ok = cr_auth_password_check(u.pw_hash, q.password);
	else if (!e || e == CR_ENOTFOUND) {
		pthread_once(&dummy_once, make_dummy);
		CR_IGNORE(cr_auth_password_check(dummy_hash, q.password));
		e = CR_OK;
	}
	sodium_memzero((void *)q.password, strlen(q.password));
	char cookie[CR_AUTH_SESSION_LEN + 1], csrf[65];
	if (!e && ok)
		e = cr_auth_session_create(st, u.id, r->s->cfg.session_ttl, cookie, csrf, &m);
	cr_corpus_store_release(r->s->corpus, st);
	if (e)
		return srv_error_err(r, e, &m);
	if (!ok) {
		login_failed(r->s->logins, ukey, SRV_LOGIN_MAX_USER, now);
		login_failed(r->s->logins, akey, SRV_LOGIN_MAX_ADDR, now);
		return login_refused(r, q.user, addr, "wrong user or password", 401, "login_failed",
				     "wrong user name or password");
	}
	login_forget(r->s->logins, ukey);
	srv_ctx ctx = {.user = u.name, .user_id = u.id, .role = u.role, .tenant = u.tenant_id,
		       .tenant_name = u.tenant ? u.tenant : "default", .via = "session"};
	if ((e = srv_audit(r->s, &ctx, "login", json_pack("{ss sb ss}", "user", u.name, "ok", 1, "address", addr), &m))) {
		/* not recorded: not logged in */
		if (!cr_corpus_store_acquire(r->s->corpus, &st, NULL)) {
			CR_IGNORE(cr_auth_session_end(st, cookie, NULL));
			cr_corpus_store_release(r->s->corpus, st);
		}
		return srv_error_err(r, e, &m);
	}
	r->set_cookie = cr_arena_printf(&r->arena, COOKIE "=%s; Path=/; Max-Age=%lld; HttpOnly; SameSite=Strict%s", cookie,
					(long long)r->s->cfg.session_ttl, is_tls(r) ? "; Secure" : "");
	cr_buf b;
	cr_buf_init(&b, 0);
	e = cr_buf_adds(&b, "{\"user\":");
	if (!e)
		e = cr_buf_add_json_str(&b, u.name, strlen(u.name));
	if (!e)
		e = cr_buf_printf(&b, ",\"role\":\"%s\",\"tenant\":", u.role);
	if (!e)
		e = cr_buf_add_json_str(&b, ctx.tenant_name, strlen(ctx.tenant_name));
	if (!e)
		e = cr_buf_printf(&b, ",\"csrf\":\"%s\",\"expires\":%lld}\n", csrf, (long long)(now + r->s->cfg.session_ttl));
	sodium_memzero(cookie, sizeof cookie);
	enum MHD_Result res = !e && r->set_cookie ? srv_reply_json(r, 200, &b) : srv_error(r, 500, NULL, "out of memory");
	cr_buf_release(&b);
	return res;
}

/* POST /api/me/password {current, new}: the caller's own password, checked
 * first. Wrong current passwords count as failed log-ins of the user and
 * the address (the same limiter: a stolen session cannot guess it
 * unchecked), and past the limit the change is refused with 429 before
 * any hashing. Audited as user.passwd (ok or not). The user's other
 * sessions end (the caller's own stays); API tokens stay (a token is no
 * password), and a bearer-token caller may change it too. */
enum MHD_Result srv_handle_password(srv_req *r)
{
	cr_msg m = {{0}};
	srv_admin_req q;
	cr_err e = srv_decode_admin(r->body.data, r->body.len, SRV_ADMIN_PASSWORD, &r->arena, &q, &m);
	sodium_memzero(r->body.data, r->body.len);
	if (e)
		return srv_error_err(r, e, &m);
	if (!r->ctx.user)
		return srv_error(r, 409, NULL, "the local operator has no password (no users are configured)");
	char addr[INET6_ADDRSTRLEN + 8], ukey[96], akey[96];
	srv_client_addr(r, addr, sizeof addr);
	snprintf(ukey, sizeof ukey, "u:%s", r->ctx.user);
	snprintf(akey, sizeof akey, "a:%s", addr);
	int64_t now = cr_wallclock(), wait = CR_MAX(login_blocked(r->s->logins, ukey, now),
						    login_blocked(r->s->logins, akey, now));
	int ok = 0;
	char hash[CR_AUTH_HASH_MAX];
	cr_store *st = NULL;
	if (wait > 0) {
		r->retry_after = (long)wait;
		e = cr_fail(&m, CR_ERATELIMIT, "too many wrong passwords: try again later");
	}
	if (!e)
		e = cr_corpus_store_acquire(r->s->corpus, &st, &m);
	cr_user_row u;
	if (!e && !(e = cr_store_user_get(st, &r->arena, r->ctx.user, 0, &u, &m)))
		ok = u.pw_hash && cr_auth_password_check(u.pw_hash, q.password);
	/* the user's other sessions end with the old password (this one stays) */
	char keep[65] = "";
	const char *cookie = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, COOKIE);
	if (r->ctx.via && !strcmp(r->ctx.via, "session") && cookie)
		cr_sha256_hex(cookie, strlen(cookie), keep);
	int ended = 0;
	if (!e && ok && !(e = cr_auth_password_hash(q.new_password, hash, &m)) &&
	    !(e = cr_store_user_set_password(st, u.name, hash, &m)))
		e = cr_store_session_del_user(st, u.id, keep[0] ? keep : NULL, &ended, &m);
	if (st)
		cr_corpus_store_release(r->s->corpus, st);
	sodium_memzero((void *)q.password, strlen(q.password));
	sodium_memzero((void *)q.new_password, strlen(q.new_password));
	sodium_memzero(hash, sizeof hash);
	if (!e && !ok) {
		login_failed(r->s->logins, ukey, SRV_LOGIN_MAX_USER, now);
		login_failed(r->s->logins, akey, SRV_LOGIN_MAX_ADDR, now);
	}
	cr_msg am = {{0}};
	if (srv_audit(r->s, &r->ctx, "user.passwd",
				     json_pack("{ss sb ss ss? si}", "name", r->ctx.user, "ok", !e && ok, "address", addr,
					       "reason", e ? m.text : ok ? NULL : "wrong current password", "sessions_ended",
					       ended),
				     &am))
		return srv_error(r, 500, NULL, "%s", ok && !e ? "the password was changed but the audit log failed"
							      : "the audit log failed");
	if (e)
		return srv_error_err(r, e, &m);
	if (!ok)
		return srv_error(r, 403, "wrong_password", "the current password is wrong");
	return srv_reply_jsonv(r, 200, json_pack("{sb si}", "ok", 1, "sessions_ended", ended));
}

enum MHD_Result srv_handle_logout(srv_req *r)
{
	cr_msg m = {{0}};
	const char *cookie = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, COOKIE);
	cr_err e = CR_OK;
	if (r->ctx.via && !strcmp(r->ctx.via, "session") && cookie) {
		cr_store *st;
		if (!(e = cr_corpus_store_acquire(r->s->corpus, &st, &m))) {
			e = cr_auth_session_end(st, cookie, &m);
			cr_corpus_store_release(r->s->corpus, st);
		}
		if (!e)
			e = srv_audit(r->s, &r->ctx, "logout", NULL, &m);
	}
	if (e)
		return srv_error_err(r, e, &m);
	r->set_cookie = COOKIE "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict";
	static const char ok[] = "{\"ok\":true}\n";
	return srv_reply(r, 200, "application/json", ok, sizeof ok - 1);
}
