/* test_agent_local.c — the agent's tools on the local engine: tool calls
 * decoded under each tool's JSON Schema (src/provider/local_tools.c) with a
 * random-weight model from the shared data (skipped without it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cristal/agent.h"
#include "cristal/provider.h"

/* Does v conform to schema s (the subset the grammar knows: type, properties,
 * required, items, enum, maxLength)? */
static int conforms(json_t *v, json_t *s)
{
	json_t *en = json_object_get(s, "enum");
	if (en) {
		size_t i;
		json_t *x;
		json_array_foreach(en, i, x) if (json_equal(x, v)) return 1;
		return 0;
	}
	const char *t = json_string_value(json_object_get(s, "type"));
	if (!t)
		return 1;
	if (!strcmp(t, "string")) {
		json_t *ml = json_object_get(s, "maxLength");
		return json_is_string(v) && (!ml || (json_int_t)json_string_length(v) <= json_integer_value(ml));
	}
	if (!strcmp(t, "integer"))
		return json_is_integer(v);
	if (!strcmp(t, "number"))
		return json_is_number(v);
	if (!strcmp(t, "boolean"))
		return json_is_boolean(v);
	if (!strcmp(t, "array")) {
		if (!json_is_array(v))
			return 0;
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x) if (json_object_get(s, "items") && !conforms(x, json_object_get(s, "items"))) return 0;
		return 1;
	}
	if (!strcmp(t, "object")) {
		if (!json_is_object(v))
			return 0;
		json_t *props = json_object_get(s, "properties");
		const char *k;
		json_t *x;
		json_object_foreach(v, k, x) {
			json_t *ps = json_object_get(props, k);
			if (props && (!ps || !conforms(x, ps)))
				return 0;
		}
		size_t i;
		json_array_foreach(json_object_get(s, "required"), i, x) if (!json_object_get(v, json_string_value(x))) return 0;
		return 1;
	}
	return 1;
}

/* Tool calls on the local engine, by constrained decoding: a random-weight
 * model offered the agent's tools with tool_choice "required" makes, turn
 * after turn with each result fed back, one call of a known tool whose
 * arguments conform to that tool's schema; with "auto" a call or an
 * answer; with "none" plain text. */
static void test_local_tools(void **state)
{
	(void)state;
	const char *d = getenv("CR_SHARED_DATA");
	char path[1024];
	snprintf(path, sizeof path, "%s/gguf-models/llama-2-tiny-random.gguf", d ? d : "/nonexistent");
	if (access(path, R_OK))
		skip();
	cr_provider_row row = {.name = "loc", .kind = "local", .model = "tiny", .trust = "local"};
	cr_provider_cfg c = cr_provider_cfg_default();
	c.row = &row;
	c.model_path = path;
	c.n_ctx = 4096;
	cr_provider *p = NULL;
	cr_msg m = {{0}};
	assert_int_equal(cr_provider_new(&c, &p, &m), CR_OK);
	const char *tools_json = cr_agent_tools_json();
	json_t *tools = json_loads(tools_json, 0, NULL);
	assert_non_null(tools);
	enum { TURNS = 10 };
	cr_provider_msg msgs[2 + 2 * TURNS] = {{.role = "system", .content = "You are an agent over company documents."},
					       {.role = "user", .content = "What does the travel policy say about flights?"}};
	char *keep[4 * TURNS];
	size_t n = 2, n_keep = 0, seen_tools = 0;
	char names[8][32];
	for (int turn = 0; turn < TURNS; turn++) {
		cr_provider_chat_opts o = cr_provider_chat_opts_default();
		o.tools_json = tools_json;
		o.tool_choice = "required";
		o.max_tokens = 96;
		cr_provider_reply r = {0};
		cr_err e = cr_provider_chat(p, msgs, n, &o, &r, &m);
		if (e)
			print_error("turn %d: %s\n", turn, m.text);
		assert_int_equal(e, CR_OK);
		assert_int_equal(r.n_tool_calls, 1);
		assert_string_equal(r.finish_reason, "tool_calls");
		const cr_provider_tool_call *tc = &r.tool_calls[0];
		json_t *schema = NULL;
		size_t i;
		json_t *t;
		json_array_foreach(tools, i, t) {
			json_t *f = json_object_get(t, "function");
			if (!strcmp(json_string_value(json_object_get(f, "name")), tc->name))
				schema = json_object_get(f, "parameters");
		}
		assert_non_null(schema); /* a known tool */
		json_t *args = json_loads(tc->arguments, 0, NULL);
		if (!args || !conforms(args, schema))
			print_error("turn %d: %s(%s) does not conform\n", turn, tc->name, tc->arguments);
		assert_true(args && conforms(args, schema));
		json_decref(args);
		size_t k = 0;
		while (k < seen_tools && strcmp(names[k], tc->name))
			k++;
		if (k == seen_tools && seen_tools < 8)
			snprintf(names[seen_tools++], sizeof names[0], "%s", tc->name);
		/* the call and its result go back */
		json_t *calls = json_pack("[{ss ss s{ss ss}}]", "id", tc->id, "type", "function", "function", "name",
					  tc->name, "arguments", tc->arguments);
		keep[n_keep] = json_dumps(calls, JSON_COMPACT);
		json_decref(calls);
		keep[n_keep + 1] = strdup(tc->id);
		msgs[n++] = (cr_provider_msg){.role = "assistant", .tool_calls_json = keep[n_keep]};
		msgs[n++] = (cr_provider_msg){.role = "tool", .tool_call_id = keep[n_keep + 1],
					      .content = "{\"error\": \"no document named that\"}"};
		n_keep += 2;
		cr_provider_reply_release(&r);
	}
	/* "auto": a call or an answer; "none": text */
	cr_provider_chat_opts o = cr_provider_chat_opts_default();
	o.tools_json = tools_json;
	o.max_tokens = 64;
	cr_provider_reply r = {0};
	assert_int_equal(cr_provider_chat(p, msgs, 2, &o, &r, &m), CR_OK);
	assert_true(r.n_tool_calls == 1 || (r.n_tool_calls == 0 && !strcmp(r.finish_reason, "stop")));
	cr_provider_reply_release(&r);
	o.tool_choice = "none";
	assert_int_equal(cr_provider_chat(p, msgs, 2, &o, &r, &m), CR_OK);
	assert_int_equal(r.n_tool_calls, 0);
	cr_provider_reply_release(&r);
	print_message("local tools: %d turns, %zu distinct tools called, every call conforming\n", TURNS, seen_tools);
	for (size_t i = 0; i < n_keep; i++)
		free(keep[i]);
	json_decref(tools);
	cr_provider_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_local_tools),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
