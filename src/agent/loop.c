/*
 * loop.c — cr_agent_run: the tool loop (agent.h), and its JSON.
 *
 *   system prompt + task ──► provider (tools' schemas, tool_choice auto)
 *        ▲                        │ tool calls?
 *        │ tool messages          ▼ yes: run each (tools.c), one step each
 *        └────────────────── results  (budget, failures checked per step)
 *                                 │ no: the answer
 *                                 ▼
 *                 cr_answer_verify against every passage the tools returned
 *
 * Budgets: max_steps tool calls (once spent, the model is called once more
 * with tool_choice "none" to answer from what it has; a call made anyway
 * ends the run "max_steps"), max_tokens over the run (each call's
 * completion capped to what remains), the cancel token's deadline (checked
 * before each model call and tool, and by the provider while it waits).
 * max_failures tool errors in a row end the run ("tool_failures"): a model
 * that cannot form a valid call does not spin until the budget ends.
 * Model turns are bounded: each turn either answers, or makes at least one
 * call that counts as a step, so at most max_steps + 1 turns run.
 */
#include "agent_int.h"
#include "cristal/policy.h"

#include <jansson.h>
#include <string.h>

static const char SYSTEM_PROMPT[] =
	"You are Cristal's agent: you work on the user's task with the tools given, over the company's "
	"documents. search and read_document return numbered passages such as [3]. Use only what the tools "
	"returned: end every sentence of your answer with the number of the passage that supports it, like [3], "
	"and copy numbers, dates and names exactly. Do not repeat a call with the same arguments. When a tool "
	"returns an error, correct the call. When you know enough, answer briefly in the language of the task, "
	"without calling tools.";

typedef struct msgs {
	cr_provider_msg *v;
	size_t n, cap;
} msgs;

static cr_err push_msg(msgs *l, cr_provider_msg msg)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		cr_provider_msg *p = cr_realloc(l->v, cap * sizeof *p);
		if (!p)
			return CR_ENOMEM;
		l->v = p;
		l->cap = cap;
	}
	l->v[l->n++] = msg;
	return CR_OK;
}

typedef struct steps {
	cr_agent_step *v;
	size_t n, cap;
} steps;

static cr_err push_step(steps *l, const cr_agent_step *s)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		cr_agent_step *p = cr_realloc(l->v, cap * sizeof *p);
		if (!p)
			return CR_ENOMEM;
		l->v = p;
		l->cap = cap;
	}
	l->v[l->n++] = *s;
	return CR_OK;
}

/* The assistant's calls as the API's JSON array (in arena a). */
static const char *calls_json(cr_arena *a, const cr_provider_reply *r)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < r->n_tool_calls; i++) {
		const cr_provider_tool_call *tc = &r->tool_calls[i];
		json_t *c = json_pack("{ss ss s{ss ss}}", "id", tc->id ? tc->id : "", "type", "function", "function",
				      "name", tc->name ? tc->name : "", "arguments", tc->arguments ? tc->arguments : "");
		if (!c || json_array_append_new(arr, c)) {
			json_decref(arr);
			return NULL;
		}
	}
	char *s = arr ? json_dumps(arr, JSON_COMPACT) : NULL;
	json_decref(arr);
	const char *out = s ? cr_arena_strdup(a, s) : NULL;
	free(s);
	return out;
}

static void stop(cr_agent_result *out, cr_arena *a, const char *why, const char *detail)
{
	out->stop = why;
	out->stop_detail = cr_arena_strdup(a, detail);
}

cr_err cr_agent_run(cr_corpus *c, cr_provider *p, cr_arena *a, const char *task, const cr_agent_opts *opts,
		    cr_agent_result *out, cr_msg *m)
{
	memset(out, 0, sizeof *out);
	if (!p)
		return cr_fail(m, CR_EINVAL, "agent: no model (a provider is needed)");
	cr_agent_opts o = opts ? *opts : (cr_agent_opts){0};
	if (o.max_steps <= 0)
		o.max_steps = 8;
	if (o.max_failures <= 0)
		o.max_failures = 3;
	/* the egress rule: the tools give the model nothing classified above
	 * its provider's clearance (policy.h), whoever runs the agent */
	int clearance = cr_egress_clearance(o.egress, o.tenant, cr_provider_trust(p));
	cr_principal capped;
	if (!o.who || o.who->max_classification > clearance) {
		capped = o.who ? *o.who : (cr_principal){.sees_all = 1};
		capped.max_classification = (uint8_t)clearance;
		o.who = &capped;
	}
	cr_agent_tools *t = NULL;
	msgs l = {0};
	steps st = {0};
	const char *tools_json = NULL;
	cr_err e = cr_agent_tools_json_ext(&o, a, &tools_json, m);
	if (e)
		return e;
	if ((e = cr_agent_tools_new(c, &o, a, &t, m)))
		return e;
	if ((e = push_msg(&l, (cr_provider_msg){.role = "system", .content = SYSTEM_PROMPT})) ||
	    (e = push_msg(&l, (cr_provider_msg){.role = "user", .content = task})))
		goto oom;
	int fails = 0;
	const char *answer = NULL;
	char detail[640];
	for (;;) {
		cr_err ce = cr_cancel_check(o.cancel);
		if (ce) {
			stop(out, a, ce == CR_ETIMEOUT ? "timeout" : "canceled",
			     ce == CR_ETIMEOUT ? "the run's time ran out" : "the run was canceled");
			break;
		}
		int64_t used = out->prompt_tokens + out->completion_tokens;
		if (o.max_tokens > 0 && used >= o.max_tokens) {
			snprintf(detail, sizeof detail, "the token budget (%lld) is spent: %lld used",
				 (long long)o.max_tokens, (long long)used);
			stop(out, a, "max_tokens", detail);
			break;
		}
		int spent = st.n >= (size_t)o.max_steps;
		cr_provider_chat_opts po = cr_provider_chat_opts_default();
		po.temperature = 0;
		po.max_tokens = 1024;
		if (o.max_tokens > 0 && o.max_tokens - used < po.max_tokens)
			po.max_tokens = (int)(o.max_tokens - used);
		po.tools_json = tools_json;
		po.tool_choice = spent ? "none" : "auto";
		po.cancel = o.cancel;
		cr_provider_reply r = {0};
		e = cr_provider_chat(p, l.v, l.n, &po, &r, m);
		if (e == CR_ETIMEOUT || e == CR_ECANCELED) {
			cr_provider_reply_release(&r);
			stop(out, a, e == CR_ETIMEOUT ? "timeout" : "canceled",
			     e == CR_ETIMEOUT ? "the run's time ran out waiting for the model" : "the run was canceled");
			e = CR_OK;
			break;
		}
		if (e) {
			cr_provider_reply_release(&r);
			goto fail;
		}
		out->model_calls++;
		out->prompt_tokens += r.prompt_tokens;
		out->completion_tokens += r.completion_tokens;
		out->provider = cr_arena_strdup(a, r.provider ? r.provider : cr_provider_name(p));
		if (!r.n_tool_calls) {
			answer = cr_arena_strndup(a, r.text ? r.text : "", r.len);
			cr_provider_reply_release(&r);
			if (!answer)
				goto oom;
			stop(out, a, "answer", "the model answered");
			break;
		}
		if (spent) {
			cr_provider_reply_release(&r);
			snprintf(detail, sizeof detail, "the step budget (%d tool calls) is spent and the model still calls tools",
				 o.max_steps);
			stop(out, a, "max_steps", detail);
			break;
		}
		const char *cj = calls_json(a, &r);
		const char *said = r.len ? cr_arena_strndup(a, r.text, r.len) : NULL;
		if (!cj || push_msg(&l, (cr_provider_msg){.role = "assistant", .content = said, .tool_calls_json = cj})) {
			cr_provider_reply_release(&r);
			goto oom;
		}
		int ended = 0;
		for (size_t i = 0; i < r.n_tool_calls && !ended && !e; i++) {
			const cr_provider_tool_call *tc = &r.tool_calls[i];
			cr_agent_step s;
			if (st.n >= (size_t)o.max_steps) {
				/* the turn asked for more than the budget: the rest are refused */
				const char *id = cr_arena_strdup(a, tc->id ? tc->id : "");
				if (!id || push_msg(&l, (cr_provider_msg){.role = "tool", .tool_call_id = id,
									   .content = "{\"error\":\"not run: the step budget is "
										      "spent; answer with what you have\"}"}))
					e = CR_ENOMEM;
				continue;
			}
			if ((ce = cr_cancel_check(o.cancel))) {
				stop(out, a, ce == CR_ETIMEOUT ? "timeout" : "canceled",
				     ce == CR_ETIMEOUT ? "the run's time ran out" : "the run was canceled");
				ended = 1;
				break;
			}
			e = cr_agent_tools_call(t, a, tc->name, tc->arguments, &s, m);
			if (e == CR_ETIMEOUT || e == CR_ECANCELED) {
				stop(out, a, e == CR_ETIMEOUT ? "timeout" : "canceled",
				     e == CR_ETIMEOUT ? "the run's time ran out in a tool" : "the run was canceled");
				e = CR_OK;
				ended = 1;
				break;
			}
			if (e)
				break;
			s.i = (int)st.n + 1;
			if ((e = push_step(&st, &s)))
				break;
			if (o.on_step && o.on_step(o.on_step_ctx, &s)) {
				e = cr_fail(m, CR_ECANCELED, "agent: stopped after step %d", s.i);
				break;
			}
			const char *id = cr_arena_strdup(a, tc->id ? tc->id : "");
			if (!id || push_msg(&l, (cr_provider_msg){.role = "tool", .content = s.result, .tool_call_id = id})) {
				e = CR_ENOMEM;
				break;
			}
			fails = s.ok ? 0 : fails + 1;
			if (fails >= o.max_failures) {
				snprintf(detail, sizeof detail, "%d tool calls in a row failed; the last: %s %s", fails,
					 s.tool, s.result_summary);
				stop(out, a, "tool_failures", detail);
				ended = 1;
			}
		}
		cr_provider_reply_release(&r);
		if (e == CR_ENOMEM)
			goto oom;
		if (e)
			goto fail;
		if (ended)
			break;
	}
	/* the passages, and the answer checked against them */
	size_t n_src;
	const cr_source *src = cr_agent_tools_sources(t, &n_src);
	cr_answer *ans = &out->answer;
	ans->lang = cr_answer_lang(task);
	ans->mode = cr_arena_printf(a, "agent:%s", out->provider ? out->provider : cr_provider_name(p));
	if (n_src && !(ans->sources = cr_arena_memdup(a, src, n_src * sizeof *src)))
		goto oom;
	ans->n_sources = n_src;
	if (answer) {
		cr_analyzer *an = cr_corpus_analyzer_acquire(c);
		if (!an)
			goto oom;
		e = cr_answer_verify(an, a, answer, ans->sources, ans->n_sources, ans);
		cr_corpus_analyzer_release(c, an);
		if (e) {
			e = cr_fail(m, e, "agent: verifying the answer: %s", cr_strerror(e));
			goto fail;
		}
		ans->found = ans->n_citations > 0;
	}
	if (st.n && !(out->steps = cr_arena_memdup(a, st.v, st.n * sizeof *st.v)))
		goto oom;
	out->n_steps = st.n;
	cr_free(l.v);
	cr_free(st.v);
	cr_agent_tools_free(t);
	return CR_OK;
oom:
	e = cr_fail(m, CR_ENOMEM, "agent: out of memory");
fail:
	cr_free(l.v);
	cr_free(st.v);
	cr_agent_tools_free(t);
	return e;
}

/* ---- JSON ------------------------------------------------------------- */

#define PUT(x)                  \
	do {                    \
		if ((e = (x)))  \
			return e; \
	} while (0)

static cr_err str(cr_buf *b, const char *s)
{
	return s ? cr_buf_add_json_str(b, s, strlen(s)) : cr_buf_adds(b, "null");
}

cr_err cr_agent_result_json(const cr_agent_result *r, cr_buf *b)
{
	cr_err e;
	const cr_answer *ans = &r->answer;
	PUT(cr_buf_adds(b, "{\"answer\":"));
	PUT(str(b, ans->text));
	PUT(cr_buf_adds(b, ",\"citations\":["));
	for (size_t i = 0; i < ans->n_citations; i++) {
		const cr_citation *c = &ans->citations[i];
		const cr_source *s = NULL;
		for (size_t j = 0; j < ans->n_sources; j++)
			if (ans->sources[j].n == c->n)
				s = &ans->sources[j];
		PUT(cr_buf_printf(b, "%s{\"n\":%d,\"doc\":", i ? "," : "", c->n));
		PUT(str(b, s ? s->doc : NULL));
		PUT(cr_buf_printf(b, ",\"chunk_id\":%lld,\"location\":", s ? (long long)s->chunk_id : 0LL));
		if (s)
			PUT(cr_corpus_loc_json(b, &s->loc));
		else
			PUT(cr_buf_adds(b, "{}"));
		PUT(cr_buf_adds(b, ",\"quote\":"));
		PUT(str(b, c->quote));
		PUT(cr_buf_addc(b, '}'));
	}
	PUT(cr_buf_adds(b, "],\"unverified\":["));
	for (size_t i = 0; i < ans->n_unverified; i++) {
		PUT(cr_buf_printf(b, "%s{\"n\":%d,\"sentence\":", i ? "," : "", ans->unverified[i].n));
		PUT(str(b, ans->unverified[i].sentence));
		PUT(cr_buf_adds(b, ",\"reason\":"));
		PUT(str(b, ans->unverified[i].reason));
		PUT(cr_buf_addc(b, '}'));
	}
	PUT(cr_buf_adds(b, "],\"steps\":["));
	for (size_t i = 0; i < r->n_steps; i++) {
		const cr_agent_step *s = &r->steps[i];
		PUT(cr_buf_adds(b, i ? ",{\"tool\":" : "{\"tool\":"));
		PUT(str(b, s->tool));
		PUT(cr_buf_adds(b, ",\"arguments\":"));
		/* as an object when it is one, else the text as written */
		json_t *j = json_loads(s->arguments ? s->arguments : "", 0, NULL);
		char *canon = j && json_is_object(j) ? json_dumps(j, JSON_COMPACT) : NULL;
		json_decref(j);
		e = canon ? cr_buf_adds(b, canon) : str(b, s->arguments);
		free(canon);
		if (e)
			return e;
		PUT(cr_buf_adds(b, ",\"result_summary\":"));
		PUT(str(b, s->result_summary));
		PUT(cr_buf_printf(b, ",\"ok\":%s,\"ms\":%.1f}", s->ok ? "true" : "false", s->ms));
	}
	PUT(cr_buf_printf(b, "],\"usage\":{\"prompt_tokens\":%lld,\"completion_tokens\":%lld,\"model_calls\":%d}",
			  (long long)r->prompt_tokens, (long long)r->completion_tokens, r->model_calls));
	PUT(cr_buf_adds(b, ",\"stop\":"));
	PUT(str(b, r->stop));
	PUT(cr_buf_adds(b, ",\"stop_detail\":"));
	PUT(str(b, r->stop_detail));
	PUT(cr_buf_adds(b, ",\"mode\":"));
	PUT(str(b, ans->mode));
	PUT(cr_buf_addc(b, '}'));
	return CR_OK;
}
