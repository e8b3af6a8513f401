/*
 * agents.c — stored agents over the API (admins and members, as the
 * default route policy: session.c):
 *   GET  /api/agents             {agents: [{name, schedule, tools, scopes,
 *                                provider, last_run: {id, kind, started,
 *                                status, steps, error} | null}]}
 *   GET  /api/agents/NAME        {agent: {name, instructions, schedule,
 *                                tools, scopes, provider, created},
 *                                runs: [{id, kind, started, ended, status,
 *                                stop, steps, prompt_tokens,
 *                                completion_tokens, report, error}]} (the
 *                                20 newest runs, newest first); 404
 *   POST /api/agents/NAME/run    runs the agent now, as the caller (its
 *                                ACL filters what the agent reads, its
 *                                quotas count) and answers the run's JSON
 *                                (agent.h cr_agent_result_json); 404: no
 *                                such agent; 501: this server runs no
 *                                agents (cr_server_cfg.agent_run unset)
 * The run itself is cfg.agent_run's (the CLI runs `cristal agent run` in a
 * child process, which records the run and audits it), so a request thread
 * shares no state with it. Time stamps are unix milliseconds.
 */
#include "server_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct last_run {
	json_t *o;
} last_run;

static int on_last(void *ctx, const cr_agent_run_row *r)
{
	last_run *l = ctx;
	l->o = json_pack("{sI ss sI ss sI ss?}", "id", (json_int_t)r->id, "kind", r->kind, "started",
			 (json_int_t)r->started, "status", r->status, "steps", (json_int_t)r->steps, "error", r->error);
	return 1;
}

typedef struct list_acc {
	cr_store *st;
	json_t *arr;
	cr_err e;
} list_acc;

static int on_agent(void *ctx, const cr_agent_row *r)
{
	list_acc *l = ctx;
	json_t *tools = json_loads(r->tools ? r->tools : "[]", 0, NULL);
	json_t *scopes = json_loads(r->scopes ? r->scopes : "[]", 0, NULL);
	json_t *o = json_pack("{ss so so ss? ss?}", "name", r->name, "tools", tools ? tools : json_array(), "scopes",
			      scopes ? scopes : json_array(), "schedule", r->schedule, "provider", r->provider);
	if (!o || json_array_append_new(l->arr, o)) {
		l->e = CR_ENOMEM;
		return 1;
	}
	return 0;
}

enum MHD_Result srv_handle_agents(srv_req *r)
{
	cr_msg m = {{0}};
	cr_store *st;
	cr_err e = cr_corpus_store_acquire(r->s->corpus, &st, &m);
	if (e)
		return srv_error_err(r, e, &m);
	list_acc l = {.st = st, .arr = json_array()};
	if (!l.arr)
		e = cr_fail(&m, CR_ENOMEM, "out of memory");
	if (!e)
		e = cr_store_agent_list(st, on_agent, &l, &m);
	if (!e && l.e)
		e = cr_fail(&m, l.e, "out of memory");
	/* each one's last run (a second pass: list holds a statement open) */
	for (size_t i = 0; !e && i < json_array_size(l.arr); i++) {
		json_t *a = json_array_get(l.arr, i);
		last_run lr = {0};
		e = cr_store_agent_runs(st, json_string_value(json_object_get(a, "name")), 1, on_last, &lr, &m);
		json_object_set_new(a, "last_run", lr.o ? lr.o : json_null());
	}
	cr_corpus_store_release(r->s->corpus, st);
	if (e) {
		json_decref(l.arr);
		return srv_error_err(r, e, &m);
	}
	return srv_reply_jsonv(r, 200, json_pack("{so}", "agents", l.arr));
}

enum MHD_Result srv_handle_agent_run(srv_req *r)
{
	const char *p = r->param ? r->param : "";
	size_t n = strlen(p);
	if (n <= 4 || strcmp(p + n - 4, "/run"))
		return srv_error(r, 404, "not_found", "no such path: POST /api/agents/NAME/run runs an agent");
	char name[80];
	if (n - 4 >= sizeof name)
		return srv_error(r, 404, "not_found", "no such agent");
	memcpy(name, p, n - 4);
	name[n - 4] = 0;
	cr_msg m = {{0}};
	cr_store *st;
	cr_err e = cr_corpus_store_acquire(r->s->corpus, &st, &m);
	if (e)
		return srv_error_err(r, e, &m);
	cr_agent_row row;
	e = cr_store_agent_get(st, &r->arena, name, &row, &m);
	cr_corpus_store_release(r->s->corpus, st);
	if (e == CR_ENOTFOUND)
		return srv_error(r, 404, "not_found", "no agent named %s", name);
	if (e)
		return srv_error_err(r, e, &m);
	if (!r->s->cfg.agent_run)
		return srv_error(r, 501, "not_implemented", "this server does not run agents");
	cr_buf b;
	cr_buf_init(&b, 16 << 20);
	e = r->s->cfg.agent_run(r->s->cfg.agent_run_ctx, name, r->ctx.user, NULL, NULL, NULL, &b, &m);
	enum MHD_Result ok = e ? srv_error_err(r, e, &m) : srv_reply_json(r, 200, &b);
	cr_buf_release(&b);
	return ok;
}

static int on_run(void *ctx, const cr_agent_run_row *r)
{
	json_t *o = json_pack("{sI ss sI sI ss ss? sI sI sI ss? ss?}", "id", (json_int_t)r->id, "kind", r->kind, "started",
			      (json_int_t)r->started, "ended", (json_int_t)r->ended, "status", r->status, "stop", r->stop,
			      "steps", (json_int_t)r->steps, "prompt_tokens", (json_int_t)r->prompt_tokens,
			      "completion_tokens", (json_int_t)r->completion_tokens, "report", r->report, "error", r->error);
	return !o || json_array_append_new(ctx, o);
}

enum MHD_Result srv_handle_agent(srv_req *r)
{
	const char *name = r->param ? r->param : "";
	cr_msg m = {{0}};
	cr_store *st;
	cr_err e = cr_corpus_store_acquire(r->s->corpus, &st, &m);
	if (e)
		return srv_error_err(r, e, &m);
	cr_agent_row row;
	json_t *runs = json_array(), *doc = NULL;
	e = runs ? cr_store_agent_get(st, &r->arena, name, &row, &m) : cr_fail(&m, CR_ENOMEM, "out of memory");
	if (!e)
		e = cr_store_agent_runs(st, name, 20, on_run, runs, &m);
	cr_corpus_store_release(r->s->corpus, st);
	if (e == CR_ENOTFOUND) {
		json_decref(runs);
		return srv_error(r, 404, "not_found", "no agent named %s", name);
	}
	if (!e) {
		json_t *tools = json_loads(row.tools ? row.tools : "[]", 0, NULL);
		json_t *scopes = json_loads(row.scopes ? row.scopes : "[]", 0, NULL);
		doc = json_pack("{s{ss ss? so so ss? ss? sI} sO}", "agent", "name", row.name, "instructions",
				row.instructions, "tools", tools ? tools : json_array(), "scopes",
				scopes ? scopes : json_array(), "schedule", row.schedule, "provider", row.provider,
				"created", (json_int_t)row.created, "runs", runs);
	}
	json_decref(runs);
	if (e)
		return srv_error_err(r, e, &m);
	return srv_reply_jsonv(r, 200, doc);
}
