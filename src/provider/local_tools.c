/*
 * local_tools.c — tool calls on the local engine, by constrained decoding.
 *
 * The tools (the OpenAI "tools" array the caller passes) are described in
 * the system message together with the reply the model must give: one JSON
 * object, either {"tool": NAME, "arguments": {...}} or {"tool": "answer",
 * "answer": {"text": "..."}}. The reply is decoded in two constrained
 * steps on the same session (the second reuses the first's prompt in the
 * KV cache):
 *   1. from the opened assistant turn, under {"tool": enum of the names
 *      (and "answer" unless tool_choice is "required")}: which tool;
 *   2. from the prompt followed by `{"tool":"NAME","arguments":`, under
 *      that tool's own parameters schema (every string given a maxLength,
 *      so a value always ends; the grammar closes what the token budget
 *      cuts), or for an answer under {"text": string}.
 * So every call is a known tool with arguments that conform to its schema,
 * whatever the weights. The conversation's earlier calls are shown to the
 * model as the JSON it wrote, and tool results as "tool" turns.
 */
#include "provider_int.h"

#include "cristal/llm.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define CHOICE_TOKENS 48
#define STRING_MAX 512  /* bytes of any string argument */
#define ANSWER_MAX 4000

/* The parameters schema with a maxLength on every string that has none. */
static void cap_strings(json_t *s, int depth)
{
	if (!json_is_object(s) || depth > 16)
		return;
	const char *t = json_string_value(json_object_get(s, "type"));
	if (t && !strcmp(t, "string") && !json_object_get(s, "maxLength"))
		json_object_set_new(s, "maxLength", json_integer(STRING_MAX));
	json_t *props = json_object_get(s, "properties");
	const char *k;
	json_t *v;
	json_object_foreach(props, k, v) cap_strings(v, depth + 1);
	cap_strings(json_object_get(s, "items"), depth + 1);
}

typedef struct tool {
	const char *name;
	char *schema; /* compact JSON, strings capped */
} tool;

static cr_err parse_tools(const char *tools_json, tool **out, size_t *n, cr_buf *desc, cr_msg *m)
{
	json_t *arr = json_loads(tools_json, 0, NULL);
	if (!json_is_array(arr) || !json_array_size(arr) || json_array_size(arr) > 128) {
		json_decref(arr);
		return cr_fail(m, CR_EINVAL, "local: \"tools\" must be an array of 1 to 128 tools");
	}
	tool *v = cr_calloc(json_array_size(arr), sizeof *v);
	if (!v) {
		json_decref(arr);
		return cr_fail(m, CR_ENOMEM, "local: out of memory");
	}
	cr_err e = CR_OK;
	size_t i, k = 0;
	json_t *t;
	json_array_foreach(arr, i, t) {
		json_t *f = json_object_get(t, "function");
		const char *name = json_string_value(json_object_get(f, "name"));
		if (!name || !*name || strlen(name) > 64 || strchr(name, '"') || strchr(name, '\\')) {
			e = cr_fail(m, CR_EINVAL, "local: tool %zu has no usable name", i);
			break;
		}
		json_t *params = json_object_get(f, "parameters");
		json_t *ps = params ? json_deep_copy(params) : json_pack("{ss}", "type", "object");
		cap_strings(ps, 0);
		v[k].name = cr_strdup(name);
		v[k].schema = json_dumps(ps, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(ps);
		if (!v[k].name || !v[k].schema) {
			e = cr_fail(m, CR_ENOMEM, "local: out of memory");
			break;
		}
		/* the prompt names each tool's arguments; their types are the
		 * grammar's business */
		const char *d = json_string_value(json_object_get(f, "description"));
		e = cr_buf_printf(desc, "- %s: %s (arguments:", name, d ? d : "");
		const char *key;
		json_t *pv;
		int na = 0;
		json_object_foreach(json_object_get(params, "properties"), key, pv)
			if (!e)
				e = cr_buf_printf(desc, "%s %s", na++ ? "," : "", key);
		if (!e)
			e = cr_buf_adds(desc, na ? ")\n" : " none)\n");
		k++;
	}
	json_decref(arr);
	*out = v;
	*n = k;
	return e;
}

static void free_tools(tool *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		cr_free((void *)v[i].name);
		free(v[i].schema);
	}
	cr_free(v);
}

/* The assistant's earlier calls as the JSON it wrote (the first call). */
static char *call_text(const char *tool_calls_json)
{
	json_t *a = json_loads(tool_calls_json, 0, NULL);
	json_t *f = json_object_get(json_array_get(a, 0), "function");
	const char *name = json_string_value(json_object_get(f, "name"));
	const char *args = json_string_value(json_object_get(f, "arguments"));
	json_t *aj = args ? json_loads(args, 0, NULL) : NULL;
	json_t *o = json_pack("{ss so}", "tool", name ? name : "?", "arguments", aj ? aj : json_object());
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	char *r = s ? cr_strdup(s) : NULL;
	free(s);
	json_decref(o);
	json_decref(a);
	return r;
}

static void count(cr_chat_acc *acc, const cr_gen_result *r)
{
	acc->prompt_tokens += r->n_prompt;
	acc->prompt_cached += r->n_reused;
	acc->prompt_ms += r->prompt_seconds * 1e3;
	acc->completion_tokens += r->n_tokens;
}

/* One constrained turn over ids; the text in r (valid until the next turn). */
static cr_err turn(cr_gen *gen, const cr_buf *ids, const char *schema, int max_tokens, const cr_provider_chat_opts *o,
		   cr_gen_result *r, cr_msg *m)
{
	cr_err e = cr_gen_set_grammar(gen, CR_GEN_GRAMMAR_SCHEMA, schema, strlen(schema), m);
	if (e)
		return e;
	cr_gen_params gp = {.max_tokens = max_tokens, .cancel = o->cancel};
	memset(r, 0, sizeof *r);
	e = cr_gen_turn(gen, (const cr_token_id *)ids->data, (int)(ids->len / sizeof(cr_token_id)), &gp, r, m);
	CR_IGNORE(cr_gen_set_grammar(gen, CR_GEN_GRAMMAR_NONE, NULL, 0, NULL));
	return e;
}

cr_err cr_local_chat_tools(cr_provider *p, cr_model *md, cr_gen *gen, const cr_provider_msg *msgs, size_t n,
			   const cr_provider_chat_opts *o, cr_chat_acc *acc, cr_msg *m)
{
	tool *tools = NULL;
	size_t n_tools = 0;
	cr_buf desc, ids, sch;
	cr_buf_init(&desc, 0);
	cr_buf_init(&ids, 0);
	cr_buf_init(&sch, 0);
	cr_chat_msg *cm = NULL;
	char **owned = NULL;
	size_t n_owned = 0;
	cr_err e = parse_tools(o->tools_json, &tools, &n_tools, &desc, m);
	int required = o->tool_choice && !strcmp(o->tool_choice, "required");
	if (e)
		goto out;
	/* the conversation, the tools and the reply's form in the system turn */
	if (!(cm = cr_calloc(n + 1, sizeof *cm)) || !(owned = cr_calloc(n + 1, sizeof *owned))) {
		e = cr_fail(m, CR_ENOMEM, "%s: out of memory", p->name);
		goto out;
	}
	size_t k = 0, first = 0;
	cr_buf sys;
	cr_buf_init(&sys, 0);
	if (n && msgs[0].role && !strcmp(msgs[0].role, "system")) {
		e = cr_buf_printf(&sys, "%s\n\n", msgs[0].content ? msgs[0].content : "");
		first = 1;
	}
	if (!e)
		e = cr_buf_printf(&sys,
				  "You can use these tools:\n%.*s\nReply with exactly one JSON object: "
				  "{\"tool\": NAME, \"arguments\": {...}} to call a tool%s.",
				  (int)desc.len, desc.data ? desc.data : "",
				  required ? "" : ", or {\"tool\": \"answer\", \"answer\": {\"text\": \"...\"}} to give "
						  "your final answer");
	if (!e && !(owned[n_owned++] = cr_strndup(sys.data, sys.len)))
		e = CR_ENOMEM;
	cr_buf_release(&sys);
	if (e) {
		e = cr_fail(m, e, "%s: out of memory", p->name);
		goto out;
	}
	cm[k++] = (cr_chat_msg){"system", owned[n_owned - 1]};
	for (size_t i = first; i < n; i++) {
		const cr_provider_msg *x = &msgs[i];
		const char *role = x->role ? x->role : "user", *content = x->content ? x->content : "";
		if (!strcmp(role, "assistant") && x->tool_calls_json) {
			char *t = call_text(x->tool_calls_json);
			if (!t) {
				e = cr_fail(m, CR_ENOMEM, "%s: out of memory", p->name);
				goto out;
			}
			owned[n_owned++] = t;
			content = t;
		}
		cm[k++] = (cr_chat_msg){role, content};
	}
	const char *tmpl = cr_model_get_info(md)->chat_template ? NULL : "chatml";
	if ((e = cr_gen_chat_tokens(md, tmpl, cm, k, &ids, m)))
		goto out;
	size_t base = ids.len;
	/* 1: which tool */
	e = cr_buf_adds(&sch, "{\"type\":\"object\",\"properties\":{\"tool\":{\"enum\":[");
	for (size_t i = 0; i < n_tools && !e; i++)
		e = cr_buf_printf(&sch, "%s\"%s\"", i ? "," : "", tools[i].name);
	if (!e && !required)
		e = cr_buf_adds(&sch, ",\"answer\"");
	if (!e)
		e = cr_buf_adds(&sch, "]}},\"required\":[\"tool\"]}");
	if (e) {
		e = cr_fail(m, e, "%s: out of memory", p->name);
		goto out;
	}
	cr_gen_result r;
	e = turn(gen, &ids, sch.data, CHOICE_TOKENS, o, &r, m);
	count(acc, &r);
	if (e)
		goto out;
	json_t *cj = json_loadb(r.text ? r.text : "", r.len, 0, NULL);
	const char *chosen = json_string_value(json_object_get(cj, "tool"));
	size_t ti = n_tools;
	for (size_t i = 0; chosen && i < n_tools; i++)
		if (!strcmp(chosen, tools[i].name))
			ti = i;
	int answer = chosen && !strcmp(chosen, "answer");
	json_decref(cj);
	if (ti == n_tools && !answer) {
		e = cr_fail(m, CR_EUPSTREAM, "%s: the model's tool choice did not complete (%s)", p->name,
			    cr_gen_stop_name(r.stop));
		goto out;
	}
	/* 2: its arguments, or the answer, after the JSON written so far */
	char head[128];
	snprintf(head, sizeof head, answer ? "{\"tool\":\"answer\",\"answer\":" : "{\"tool\":\"%s\",\"arguments\":",
		 answer ? "" : tools[ti].name);
	ids.len = base;
	if ((e = cr_tok_encode(cr_model_tok(md), head, strlen(head), 0, &ids))) {
		e = cr_fail(m, e, "%s: cannot tokenize the reply's head", p->name);
		goto out;
	}
	char ans_schema[96];
	snprintf(ans_schema, sizeof ans_schema,
		 "{\"type\":\"object\",\"properties\":{\"text\":{\"type\":\"string\",\"maxLength\":%d}},\"required\":[\"text\"]}",
		 ANSWER_MAX);
	e = turn(gen, &ids, answer ? ans_schema : tools[ti].schema, o->max_tokens > 0 ? o->max_tokens : 512, o, &r, m);
	count(acc, &r);
	if (e)
		goto out;
	json_t *v = json_loadb(r.text ? r.text : "", r.len, 0, NULL);
	if (!json_is_object(v)) {
		json_decref(v);
		e = cr_fail(m, CR_EUPSTREAM, "%s: the model's %s did not complete (%s)", p->name,
			    answer ? "answer" : "arguments", cr_gen_stop_name(r.stop));
		goto out;
	}
	if (answer) {
		const char *t = json_string_value(json_object_get(v, "text"));
		e = cr_buf_adds(&acc->text, t ? t : "");
		if (!e && t && o->on_text && *t)
			acc->on_text(acc->on_text_ctx, t, strlen(t)), acc->streamed += strlen(t);
		snprintf(acc->finish, sizeof acc->finish, "stop");
	} else {
		/* ids count the conversation's calls: call_0, call_1, ... */
		size_t n_calls = 0;
		for (size_t i = 0; i < n; i++)
			n_calls += msgs[i].role && !strcmp(msgs[i].role, "assistant") && msgs[i].tool_calls_json;
		char id[32];
		snprintf(id, sizeof id, "call_%zu", n_calls);
		acc->n_calls = 1;
		e = cr_buf_adds(&acc->calls[0].id, id);
		if (!e)
			e = cr_buf_adds(&acc->calls[0].name, tools[ti].name);
		if (!e)
			e = cr_buf_add(&acc->calls[0].args, r.text, r.len);
		snprintf(acc->finish, sizeof acc->finish, "tool_calls");
	}
	json_decref(v);
	if (e) {
		e = cr_fail(m, e, "%s: out of memory", p->name);
		goto out;
	}
	acc->done = 1;
out:
	for (size_t i = 0; owned && i < n_owned; i++)
		cr_free(owned[i]);
	cr_free(owned);
	cr_free(cm);
	free_tools(tools, n_tools);
	cr_buf_release(&desc);
	cr_buf_release(&ids);
	cr_buf_release(&sch);
	return e;
}
