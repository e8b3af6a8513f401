/* test_auth.c — passwords and tokens (auth.h) over a real catalog: an
 * argon2id string that checks the right password only; a token that maps
 * to its user and principal (tenant, user, groups), stored only as its
 * SHA-256; malformed, unknown, revoked and expired tokens refused with
 * CR_EUNAUTH; a removed user's tokens gone with it. A user's e-mail
 * addresses: held by one user, in lower case only, and their address
 * principals (store.h) in its principal once a document names them,
 * above its groups and ascending; removed with the address. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "cristal/auth.h"

#define TMPDIR_NAME "/tmp/cr_test_auth.XXXXXX"
#include "test_tmpdir.h"

static void passwords(void **state)
{
	char h[CR_AUTH_HASH_MAX];
	assert_int_equal(cr_auth_password_hash("correct horse", h, NULL), CR_OK);
	assert_true(!strncmp(h, "$argon2id$", 10));
	assert_true(cr_auth_password_check(h, "correct horse"));
	assert_false(cr_auth_password_check(h, "correct horse "));
	assert_false(cr_auth_password_check(h, ""));
	char h2[CR_AUTH_HASH_MAX];
	assert_int_equal(cr_auth_password_hash("correct horse", h2, NULL), CR_OK);
	assert_string_not_equal(h, h2); /* salted */
	assert_int_equal(cr_auth_password_hash("", h, NULL), CR_EINVAL);
}

static void tokens(void **state)
{
	cr_store *s;
	cr_msg m = {{0}};
	assert_int_equal(cr_store_open(dir, &s, &m), CR_OK);
	const char *groups[] = {"eng", "ops"};
	cr_user_row u = {.name = "alice", .role = "member", .tenant = "acme", .groups = groups, .n_groups = 2};
	assert_int_equal(cr_store_user_put(s, &u, &m), CR_OK);
	assert_int_equal(cr_store_user_put(s, &u, &m), CR_EEXIST);
	cr_user_row bad = {.name = "x y", .role = "member"};
	assert_int_equal(cr_store_user_put(s, &bad, &m), CR_EINVAL);
	bad.name = "carol";
	bad.role = "root";
	assert_int_equal(cr_store_user_put(s, &bad, &m), CR_EINVAL);
	int64_t n;
	assert_int_equal(cr_store_user_count(s, &n, &m), CR_OK);
	assert_int_equal(n, 1);

	char tok[CR_AUTH_TOKEN_LEN + 1], tok2[CR_AUTH_TOKEN_LEN + 1];
	int64_t id, id2;
	assert_int_equal(cr_auth_token_create(s, "alice", "ci", 0, tok, &id, &m), CR_OK);
	assert_int_equal(strlen(tok), CR_AUTH_TOKEN_LEN);
	assert_int_equal(cr_auth_token_create(s, "alice", NULL, 1, tok2, &id2, &m), CR_OK);
	assert_string_not_equal(tok, tok2);
	assert_int_equal(cr_auth_token_create(s, "nobody", NULL, 0, tok2, &id2, &m), CR_ENOTFOUND);

	cr_arena a;
	cr_arena_init(&a, 0);
	cr_user_row who_u;
	cr_principal who;
	assert_int_equal(cr_auth_bearer(s, &a, tok, &who_u, &who, &m), CR_OK);
	assert_string_equal(who_u.name, "alice");
	assert_string_equal(who_u.tenant, "acme");
	assert_int_not_equal(who.tenant, 0); /* not the default tenant */
	assert_int_equal(who.user, (uint32_t)who_u.id);
	assert_int_equal(who.n_groups, 2);
	assert_string_equal(who_u.groups[0], "eng");
	assert_string_equal(who_u.groups[1], "ops");

	/* only the hash is stored */
	char hash[65];
	cr_sha256_hex(tok, strlen(tok), hash);
	cr_token_row t;
	assert_int_equal(cr_store_token_find(s, &a, hash, &t, &m), CR_OK);
	assert_int_equal(t.id, id);
	assert_int_equal(cr_store_token_find(s, &a, tok, &t, &m), CR_ENOTFOUND);

	char wrong[CR_AUTH_TOKEN_LEN + 1];
	memcpy(wrong, tok, sizeof wrong);
	wrong[10] = wrong[10] == 'A' ? 'B' : 'A';
	assert_int_equal(cr_auth_bearer(s, &a, wrong, &who_u, &who, &m), CR_EUNAUTH);
	assert_int_equal(cr_auth_bearer(s, &a, "cr_short", &who_u, &who, &m), CR_EUNAUTH);
	assert_int_equal(cr_auth_bearer(s, &a, "", &who_u, &who, &m), CR_EUNAUTH);

	assert_int_equal(cr_store_token_revoke(s, id, &m), CR_OK);
	assert_int_equal(cr_auth_bearer(s, &a, tok, &who_u, &who, &m), CR_EUNAUTH);
	assert_non_null(strstr(m.text, "revoked"));
	assert_int_equal(cr_store_token_revoke(s, 999, &m), CR_ENOTFOUND);

	/* an expired token: one whose expiry has passed */
	const char *old_tok = "cr_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	cr_sha256_hex(old_tok, strlen(old_tok), hash);
	cr_token_row past = {.user_id = who_u.id, .hash = hash, .expires = 1};
	assert_int_equal(cr_store_token_put(s, &past, NULL, &m), CR_OK);
	assert_int_equal(cr_auth_bearer(s, &a, old_tok, &who_u, &who, &m), CR_EUNAUTH);
	assert_non_null(strstr(m.text, "expired"));
	assert_int_equal(cr_auth_bearer(s, &a, tok2, &who_u, &who, &m), CR_OK); /* a day left */

	assert_int_equal(cr_store_user_del(s, "alice", &m), CR_OK);
	assert_int_equal(cr_auth_bearer(s, &a, tok2, &who_u, &who, &m), CR_EUNAUTH);
	assert_int_equal(cr_store_user_del(s, "alice", &m), CR_ENOTFOUND);
	assert_int_equal(cr_store_user_count(s, &n, &m), CR_OK);
	assert_int_equal(n, 0);
	cr_arena_release(&a);
	cr_store_close(s);
}

static void emails(void **state)
{
	cr_store *s;
	cr_msg m = {{0}};
	assert_int_equal(cr_store_open(dir, &s, &m), CR_OK);
	const char *groups[] = {"eng"}, *em[] = {"mei@example.com", "mei.lin@example.org"};
	cr_user_row u = {.name = "mei", .role = "member", .groups = groups, .n_groups = 1, .emails = em, .n_emails = 2};
	assert_int_equal(cr_store_user_put(s, &u, &m), CR_OK);
	cr_user_row dup = {.name = "ken", .role = "member", .emails = em, .n_emails = 1};
	assert_int_equal(cr_store_user_put(s, &dup, &m), CR_EEXIST); /* mei's address */
	assert_non_null(strstr(m.text, "another user"));
	const char *upper[] = {"Ken@example.com"};
	dup.emails = upper;
	assert_int_equal(cr_store_user_put(s, &dup, &m), CR_EINVAL); /* not normalised */
	dup.n_emails = 0;
	assert_int_equal(cr_store_user_put(s, &dup, &m), CR_OK);

	cr_arena a;
	cr_arena_init(&a, 0);
	cr_user_row r;
	cr_principal who;
	assert_int_equal(cr_store_user_get(s, &a, "mei", 0, &r, &m), CR_OK);
	assert_int_equal(r.n_emails, 2);
	assert_int_equal(r.n_principal_ids, 1); /* no document names her addresses yet */
	/* a document names one: its principal joins hers */
	const char *named[] = {"x@example.net", "mei.lin@example.org"};
	uint32_t ids[2];
	assert_int_equal(cr_store_begin(s, &m), CR_OK);
	assert_int_equal(cr_store_address_ids(s, named, 2, ids, &m), CR_OK);
	assert_int_equal(cr_store_commit(s, &m), CR_OK);
	assert_true(ids[0] > CR_ACL_ADDRESS_BASE && ids[1] > ids[0]);
	uint32_t again[2];
	assert_int_equal(cr_store_address_ids(s, named, 2, again, &m), CR_OK);
	assert_memory_equal(ids, again, sizeof ids);
	const char *bad[] = {"Not An Address"};
	assert_int_equal(cr_store_address_ids(s, bad, 1, again, &m), CR_EINVAL);
	assert_int_equal(cr_store_user_get(s, &a, "mei", 0, &r, &m), CR_OK);
	cr_auth_principal(&r, &who);
	assert_int_equal(who.n_groups, 2);
	assert_int_equal(who.groups[0], r.group_ids[0]);
	assert_int_equal(who.groups[1], ids[1]);
	/* given to ken instead: his principal, no longer hers */
	assert_int_equal(cr_store_user_set_emails(s, "mei", em, 1, &m), CR_OK);
	assert_int_equal(cr_store_user_set_emails(s, "ken", named + 1, 1, &m), CR_OK);
	assert_int_equal(cr_store_user_get(s, &a, "mei", 0, &r, &m), CR_OK);
	cr_auth_principal(&r, &who);
	assert_int_equal(who.n_groups, 1);
	assert_int_equal(cr_store_user_get(s, &a, "ken", 0, &r, &m), CR_OK);
	cr_auth_principal(&r, &who);
	assert_int_equal(who.n_groups, 1);
	assert_int_equal(who.groups[0], ids[1]);
	assert_string_equal(r.emails[0], "mei.lin@example.org");
	assert_int_equal(cr_store_user_set_emails(s, "nobody", em, 1, &m), CR_ENOTFOUND);
	assert_int_equal(cr_store_user_del(s, "ken", &m), CR_OK);
	assert_int_equal(cr_store_user_set_emails(s, "mei", named + 1, 1, &m), CR_OK); /* free again */
	assert_int_equal(cr_store_user_del(s, "mei", &m), CR_OK);
	cr_arena_release(&a);
	cr_store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(passwords),
		cmocka_unit_test(tokens),
		cmocka_unit_test(emails),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
