/* test_server_admin.c — the admin routes' table entries and bodies: each
 * admin route is open to admins only and unmetered; the matcher keeps
 * GET /api/agents/NAME apart from POST /api/agents/NAME/run and the
 * suspension's POST (suspend) from its DELETE (resume); srv_decode_admin
 * takes each kind's members, refuses unknown ones, wrong types, short
 * passwords, too many groups, out-of-range days and blank reasons. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "server/server_int.h"

static void admin_routes_are_admin_only(void **state)
{
	static const char *const names[] = {"users",	 "user_add",	 "user_rm",	 "groups",
					    "group_add", "group_rm",	 "tokens",	 "token_create",
					    "token_revoke", "provider_suspend", "provider_resume"};
	for (size_t i = 0; i < CR_ARRAY_LEN(names); i++) {
		const srv_route *rt = NULL;
		for (size_t k = 0; k < srv_n_routes; k++)
			if (!strcmp(srv_routes[k].name, names[i]))
				rt = &srv_routes[k];
		assert_non_null(rt);
		assert_true(rt->auth);
		/* what every tenant shares is the default tenant's admins' only */
		int shared = !strcmp(names[i], "group_add") || !strcmp(names[i], "group_rm") ||
			     !strncmp(names[i], "provider_", 9);
		assert_int_equal(srv_route_policy(rt), SRV_ROLE_ADMIN | SRV_UNMETERED | (shared ? SRV_OPERATOR : 0));
	}
}

static void matcher(void **state)
{
	const char *param;
	int known;
	const srv_route *rt = srv_route_find("GET", "/api/agents/digest", &param, &known);
	assert_string_equal(rt->name, "agent");
	assert_string_equal(param, "digest");
	rt = srv_route_find("POST", "/api/agents/digest/run", &param, &known);
	assert_string_equal(rt->name, "agent_run");
	rt = srv_route_find("POST", "/api/providers/main/suspend", &param, &known);
	assert_string_equal(rt->name, "provider_suspend");
	assert_string_equal(param, "main/suspend");
	rt = srv_route_find("DELETE", "/api/providers/main/suspend", &param, &known);
	assert_string_equal(rt->name, "provider_resume");
	rt = srv_route_find("DELETE", "/api/tokens/12", &param, &known);
	assert_string_equal(rt->name, "token_revoke");
	assert_string_equal(param, "12");
	assert_null(srv_route_find("PUT", "/api/users", &param, &known));
	assert_true(known);
}

static cr_err dec(srv_admin_kind k, const char *json, srv_admin_req *q, cr_arena *a, cr_msg *m)
{
	return srv_decode_admin(json, strlen(json), k, a, q, m);
}

static void decoder(void **state)
{
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_msg m = {{0}};
	srv_admin_req q;
	assert_int_equal(dec(SRV_ADMIN_USER, "{\"name\":\"kenji\",\"role\":\"member\",\"tenant\":\"acme\","
					     "\"groups\":[\"eng\",\"ops\"],\"password\":\"12345678\"}",
			     &q, &a, &m),
			 CR_OK);
	assert_string_equal(q.name, "kenji");
	assert_string_equal(q.tenant, "acme");
	assert_int_equal(q.n_groups, 2);
	assert_string_equal(q.groups[1], "ops");
	assert_string_equal(q.password, "12345678");
	/* addresses: normalised, a repeat once, anything else refused */
	assert_int_equal(dec(SRV_ADMIN_USER, "{\"name\":\"k\",\"emails\":[\"K.Sato@Example.COM\",\"k.sato@example.com\"]}",
			     &q, &a, &m),
			 CR_OK);
	assert_int_equal(q.n_emails, 1);
	assert_string_equal(q.emails[0], "k.sato@example.com");
	assert_int_equal(dec(SRV_ADMIN_USER, "{\"name\":\"k\",\"emails\":[\"Kenji <k@example.com>\"]}", &q, &a, &m),
			 CR_ECORRUPT);
	assert_int_equal(dec(SRV_ADMIN_USER, "{\"name\":\"k\",\"emails\":\"k@example.com\"}", &q, &a, &m), CR_ECORRUPT);
	assert_int_equal(dec(SRV_ADMIN_USER, "{\"name\":\"k\",\"emails\":[7]}", &q, &a, &m), CR_ECORRUPT);
	assert_int_equal(dec(SRV_ADMIN_USER_SET, "{\"emails\":[]}", &q, &a, &m), CR_OK);
	assert_true(q.set_emails);
	assert_int_equal(q.n_emails, 0);
	assert_int_equal(dec(SRV_ADMIN_USER, "{\"name\":\"k\",\"tenant\":\"\"}", &q, &a, &m), CR_OK);
	assert_null(q.tenant); /* empty: the admin's own */
	assert_null(q.password);
	static const char *const bad_user[] = {
		"{\"name\":\"\"}", "{}", "{\"name\":1}", "{\"name\":\"k\",\"password\":\"1234567\"}",
		"{\"name\":\"k\",\"groups\":\"eng\"}", "{\"name\":\"k\",\"groups\":[\"\"]}", "{\"name\":\"k\",\"x\":1}",
		"{\"name\":\"k\",\"name\":\"j\"}", "[1]", "{\"name\":\"k\\u0000\"}",
		"{\"name\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}", /* 65 bytes */
	};
	for (size_t i = 0; i < CR_ARRAY_LEN(bad_user); i++)
		assert_int_equal(dec(SRV_ADMIN_USER, bad_user[i], &q, &a, &m), CR_ECORRUPT);
	char many[2048] = "{\"name\":\"k\",\"groups\":[";
	for (int i = 0; i < 65; i++)
		snprintf(many + strlen(many), sizeof many - strlen(many), "%s\"g%d\"", i ? "," : "", i);
	strcat(many, "]}");
	assert_int_equal(dec(SRV_ADMIN_USER, many, &q, &a, &m), CR_ECORRUPT);

	assert_int_equal(dec(SRV_ADMIN_GROUP, "{\"name\":\"hr\"}", &q, &a, &m), CR_OK);
	assert_string_equal(q.name, "hr");
	assert_int_equal(dec(SRV_ADMIN_GROUP, "{\"name\":\"hr\",\"role\":\"admin\"}", &q, &a, &m), CR_ECORRUPT);

	assert_int_equal(dec(SRV_ADMIN_TOKEN, "{\"user\":\"kenji\",\"label\":\"ci\",\"days\":30}", &q, &a, &m), CR_OK);
	assert_string_equal(q.user, "kenji");
	assert_string_equal(q.label, "ci");
	assert_int_equal(q.days, 30);
	assert_int_equal(dec(SRV_ADMIN_TOKEN, "{\"user\":\"kenji\",\"days\":36501}", &q, &a, &m), CR_ECORRUPT);
	assert_int_equal(dec(SRV_ADMIN_TOKEN, "{\"user\":\"kenji\",\"days\":1.5}", &q, &a, &m), CR_ECORRUPT);
	assert_int_equal(dec(SRV_ADMIN_TOKEN, "{\"label\":\"x\"}", &q, &a, &m), CR_ECORRUPT);

	assert_int_equal(dec(SRV_ADMIN_SUSPEND, "{\"reason\":\"key leaked\"}", &q, &a, &m), CR_OK);
	assert_string_equal(q.reason, "key leaked");
	assert_int_equal(dec(SRV_ADMIN_SUSPEND, "{\"reason\":\" \\n\"}", &q, &a, &m), CR_ECORRUPT);
	assert_int_equal(dec(SRV_ADMIN_SUSPEND, "{\"reason\":null}", &q, &a, &m), CR_ECORRUPT);
	assert_int_equal(dec((srv_admin_kind)9, "{}", &q, &a, &m), CR_EINVAL);
	cr_arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(admin_routes_are_admin_only),
		cmocka_unit_test(matcher),
		cmocka_unit_test(decoder),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
