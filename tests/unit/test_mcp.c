/* test_mcp.c — the MCP client's pieces that need no server (mcp.h,
 * mcp_int.h): the catalog's server list over a real catalog (add, refuse a
 * duplicate and bad rows, list sorted, rm), the allow-list matcher, the
 * message classifier on each JSON-RPC shape, and the SSE decoder with an
 * event split across reads. The transports are tested against real servers
 * in tests/e2e/mcp_client.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "mcp/mcp_int.h"

#define TMPDIR_NAME "/tmp/cr_test_mcp.XXXXXX"
#include "test_tmpdir.h"

static void registry(void **state)
{
	(void)state;
	cr_store *s;
	cr_msg m = {{0}};
	assert_int_equal(cr_store_open(dir, &s, &m), CR_OK);
	cr_mcp_server fs = {.name = "fs", .command = "node server.js /data"};
	cr_mcp_server web = {.name = "web-1", .url = "https://mcp.example/mcp"};
	assert_int_equal(cr_mcp_server_add(s, &web, &m), CR_OK);
	assert_int_equal(cr_mcp_server_add(s, &fs, &m), CR_OK);
	assert_int_equal(cr_mcp_server_add(s, &fs, &m), CR_EEXIST);
	cr_mcp_server bad = {.name = "a/b", .command = "x"};
	assert_int_equal(cr_mcp_server_add(s, &bad, &m), CR_EINVAL);
	bad = (cr_mcp_server){.name = "both", .command = "x", .url = "http://x"};
	assert_int_equal(cr_mcp_server_add(s, &bad, &m), CR_EINVAL);
	bad = (cr_mcp_server){.name = "ftp", .url = "ftp://x"};
	assert_int_equal(cr_mcp_server_add(s, &bad, &m), CR_EINVAL);

	cr_arena a;
	cr_arena_init(&a, 0);
	cr_mcp_server *list;
	size_t n;
	assert_int_equal(cr_mcp_server_list(s, &a, &list, &n, &m), CR_OK);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].name, "fs");
	assert_string_equal(list[0].command, "node server.js /data");
	assert_null(list[0].url);
	assert_string_equal(list[1].url, "https://mcp.example/mcp");
	cr_mcp_server got;
	assert_int_equal(cr_mcp_server_get(s, &a, "web-1", &got, &m), CR_OK);
	assert_string_equal(got.url, "https://mcp.example/mcp");
	assert_int_equal(cr_mcp_server_rm(s, "fs", &m), CR_OK);
	assert_int_equal(cr_mcp_server_rm(s, "fs", &m), CR_ENOTFOUND);
	assert_int_equal(cr_mcp_server_get(s, &a, "fs", &got, &m), CR_ENOTFOUND);
	assert_int_equal(cr_mcp_server_list(s, &a, &list, &n, &m), CR_OK);
	assert_int_equal(n, 1);
	cr_arena_release(&a);
	cr_store_close(s);
}

static void allow_list(void **state)
{
	(void)state;
	const char *allow[] = {"search", "mcp:fs/read_text_file", "mcp:web/*"};
	assert_true(cr_mcp_allowed(allow, 3, "fs", "read_text_file"));
	assert_false(cr_mcp_allowed(allow, 3, "fs", "write_file"));
	assert_false(cr_mcp_allowed(allow, 3, "f", "read_text_file"));
	assert_false(cr_mcp_allowed(allow, 3, "fsx", "read_text_file"));
	assert_true(cr_mcp_allowed(allow, 3, "web", "anything"));
	assert_false(cr_mcp_allowed(allow, 3, "search", "x"));
	assert_false(cr_mcp_allowed(allow, 0, "web", "anything"));
}

static cr_err parse(const char *s, cr_mcp_msg *out)
{
	cr_msg m = {{0}};
	return cr_mcp_msg_parse(s, strlen(s), out, &m);
}

static void messages(void **state)
{
	(void)state;
	cr_mcp_msg msg;
	assert_int_equal(parse("{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{\"a\":1}}", &msg), CR_OK);
	assert_int_equal(msg.kind, CR_MCP_RESPONSE);
	assert_int_equal(json_integer_value(msg.id), 3);
	assert_non_null(json_object_get(msg.result, "a"));
	json_decref(msg.root);
	assert_int_equal(parse("{\"jsonrpc\":\"2.0\",\"id\":4,\"error\":{\"code\":-32601,\"message\":\"nope\"}}", &msg),
			 CR_OK);
	assert_null(msg.result);
	assert_string_equal(msg.error, "nope");
	assert_int_equal(msg.error_code, -32601);
	json_decref(msg.root);
	assert_int_equal(parse("{\"jsonrpc\":\"2.0\",\"id\":\"s1\",\"method\":\"ping\"}", &msg), CR_OK);
	assert_int_equal(msg.kind, CR_MCP_REQUEST);
	assert_string_equal(msg.method, "ping");
	json_decref(msg.root);
	assert_int_equal(parse("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/x\"}", &msg), CR_OK);
	assert_int_equal(msg.kind, CR_MCP_NOTIFICATION);
	json_decref(msg.root);
	const char *bad[] = {"", "nope", "[{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}]", "{\"id\":1,\"result\":{}}",
			     "{\"jsonrpc\":\"2.0\",\"id\":1}", "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1,\"error\":{}}",
			     "{\"jsonrpc\":\"2.0\",\"id\":[1],\"result\":{}}", "{\"jsonrpc\":\"2.0\",\"method\":5}",
			     "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":\"x\"}"};
	for (size_t i = 0; i < CR_ARRAY_LEN(bad); i++)
		assert_int_equal(parse(bad[i], &msg), CR_ECORRUPT);
}

static void sse(void **state)
{
	(void)state;
	const char *stream = ": hi\nevent: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"n\"}\n\n"
			     "data: {\"jsonrpc\":\"2.0\",\r\ndata: \"id\":9,\"result\":{\"ok\":true}}\r\n\r\n";
	for (size_t cut = 0; cut <= strlen(stream); cut += 7) {
		cr_mcp_wait w = {.id = 9};
		cr_mcp_sse d;
		cr_mcp_sse_init(&d, 1024);
		cr_msg m = {{0}};
		assert_int_equal(cr_mcp_sse_feed(&d, stream, cut, (cr_mcp_sse_fn)cr_mcp_on_message, &w, &m), CR_OK);
		assert_int_equal(cr_mcp_sse_feed(&d, stream + cut, strlen(stream) - cut,
						 (cr_mcp_sse_fn)cr_mcp_on_message, &w, &m),
				 CR_OK);
		assert_int_equal(cr_mcp_sse_end(&d, (cr_mcp_sse_fn)cr_mcp_on_message, &w, &m), CR_OK);
		assert_true(w.done);
		assert_true(json_is_true(json_object_get(w.reply.result, "ok")));
		json_decref(w.reply.root);
		cr_mcp_sse_release(&d);
	}
	/* a reply to another id is an error, a line over the cap too */
	cr_mcp_wait w = {.id = 1};
	cr_mcp_sse d;
	cr_mcp_sse_init(&d, 16);
	cr_msg m = {{0}};
	assert_int_equal(cr_mcp_on_message(&w, "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{}}", 36, &m), CR_ECORRUPT);
	assert_non_null(strstr(m.text, "expected 1"));
	assert_int_equal(cr_mcp_sse_feed(&d, "data: 0123456789abcdef\n", 23, (cr_mcp_sse_fn)cr_mcp_on_message, &w, &m),
			 CR_ETOOBIG);
	cr_mcp_sse_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(registry),
		cmocka_unit_test(allow_list),
		cmocka_unit_test(messages),
		cmocka_unit_test(sse),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
