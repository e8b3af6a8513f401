/* test_server_routes.c — the OpenAPI document built into the server and
 * its route table describe the same routes: every route served is listed
 * with its method, and every operation listed is routed to a handler
 * (tests/e2e/server_openapi.sh then calls each over HTTP). Also the
 * route matcher: exact paths, {id} taking the rest of the path, 405 for a
 * known path under another method, the web UI's catch-all never making a
 * path "known". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <ctype.h>
#include <string.h>

#include "server/server_int.h"

static json_t *openapi(void)
{
	const srv_asset *as = srv_asset_find("api:openapi.json");
	assert_non_null(as);
	json_error_t je;
	json_t *doc = json_loadb((const char *)as->data, as->len, 0, &je);
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc, "openapi")), "3.1.0");
	return doc;
}

static void served_routes_are_listed(void **state)
{
	json_t *doc = openapi(), *paths = json_object_get(doc, "paths");
	for (size_t i = 0; i < srv_n_routes; i++) {
		char method[16];
		size_t k = 0;
		for (; srv_routes[i].method[k] && k < sizeof method - 1; k++)
			method[k] = (char)tolower((unsigned char)srv_routes[i].method[k]);
		method[k] = 0;
		json_t *op = json_object_get(json_object_get(paths, srv_routes[i].path), method);
		if (!op)
			fail_msg("%s %s is served but not in the OpenAPI document", srv_routes[i].method,
				 srv_routes[i].path);
		assert_non_null(json_object_get(op, "responses"));
	}
	json_decref(doc);
}

static void listed_routes_are_served(void **state)
{
	json_t *doc = openapi(), *paths = json_object_get(doc, "paths"), *item;
	const char *path;
	size_t n_ops = 0;
	json_object_foreach(paths, path, item)
	{
		const char *method;
		json_t *op;
		json_object_foreach(item, method, op)
		{
			char m[16], p[256];
			size_t k = 0;
			for (; method[k] && k < sizeof m - 1; k++)
				m[k] = (char)toupper((unsigned char)method[k]);
			m[k] = 0;
			/* a template's parameter becomes a value */
			const char *brace = strchr(path, '{'), *close = brace ? strchr(brace, '}') : NULL;
			snprintf(p, sizeof p, "%.*s%s%s", brace ? (int)(brace - path) : (int)strlen(path), path,
				 brace ? "x" : "", close ? close + 1 : "");
			const char *param;
			int known;
			const srv_route *rt = srv_route_find(m, p, &param, &known);
			if (!rt || strcmp(rt->path, path))
				fail_msg("%s %s is listed but not routed", m, path);
			n_ops++;
		}
	}
	assert_int_equal(n_ops, srv_n_routes);
	json_decref(doc);
}

static void matcher(void **state)
{
	const char *param;
	int known;
	const srv_route *rt = srv_route_find("GET", "/api/documents/samples/docs/a.md", &param, &known);
	assert_non_null(rt);
	assert_string_equal(rt->path, "/api/documents/{id}");
	assert_string_equal(param, "samples/docs/a.md");
	rt = srv_route_find("GET", "/api/documents", &param, &known);
	assert_string_equal(rt->path, "/api/documents");
	assert_null(param);
	assert_null(srv_route_find("POST", "/api/search", &param, &known));
	assert_true(known);
	assert_null(srv_route_find("POST", "/no/such", &param, &known));
	assert_false(known); /* the UI's GET /{file} does not count */
	rt = srv_route_find("HEAD", "/healthz", &param, &known);
	assert_non_null(rt);
	assert_string_equal(rt->name, "healthz");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(served_routes_are_listed),
		cmocka_unit_test(listed_routes_are_served),
		cmocka_unit_test(matcher),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
