/*
 * runs.c — stored agents run as jobs in the background:
 *   POST   /api/agents/NAME/runs  starts a run as the caller: 202 {"run": ID,
 *                                 "state": "running"}; 404 no such agent,
 *                                 429 SRV_MAX_RUNS runs already running,
 *                                 501 this server runs no agents
 *   GET    /api/runs/ID           {"run", "agent", "user", "state" (running |
 *                                 done | failed | canceled), "started",
 *                                 "ended", "steps": [...so far], "result":
 *                                 the run's JSON (cr_agent_result_json:
 *                                 answer, citations, steps, usage, stop) |
 *                                 null, "error"}
 *   GET    /api/runs/ID/events    server-sent events: "step" per step as it
 *                                 ends (a late client gets the steps so far
 *                                 first), then "done" with the object above
 *   DELETE /api/runs/ID           cancels it: 202 with the object; a run
 *                                 already over is left as it is (200)
 * A run is its user's: another user, or another tenant's admin, gets 404 as
 * for a run that does not exist; an admin sees and cancels its tenant's.
 *
 * The run itself is cfg.agent_run's, on a thread of its own (the CLI runs
 * `cristal agent run` in a child process, which records and audits the
 * run): each step it reports is kept in the run, and a cancel request
 * reaches the agent loop's own cr_cancel (the run is recorded as
 * canceled). A run outlives the request that started it and any client
 * following it; shutdown cancels the running ones and waits for them.
 * Finished runs are kept, the SRV_KEEP_RUNS newest, then forgotten (the
 * catalog's agent_runs keeps every run's row).
 *
 * Lifetime: a run is reference-counted (the list, its thread, each events
 * stream while it reads). Locks: the list's mutex before a run's.
 */
#include "server_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_EVENTS 1024 /* steps kept per run (the loop's budget is far lower) */

struct srv_run {
	int64_t id;
	cr_server *s;
	char agent[80];
	char user[80];           /* "" : the local operator */
	uint32_t tenant;
	pthread_mutex_t mu;
	pthread_cond_t cv;       /* a step, or the end */
	const char *state;       /* static: "running", "done", "failed", "canceled" */
	char **events;           /* each step's JSON */
	size_t n_events, cap_events;
	char *result;            /* the run's JSON (NUL-terminated); NULL until done */
	char error[512];
	int64_t started, ended;  /* unix ms */
	cr_cancel cancel;
	int canceled;            /* a cancel was asked for */
	int refs;
	srv_run *next;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void run_unref(srv_run *x)
{
	pthread_mutex_lock(&x->mu);
	int last = --x->refs == 0;
	pthread_mutex_unlock(&x->mu);
	if (!last)
		return;
	for (size_t i = 0; i < x->n_events; i++)
		free(x->events[i]);
	free(x->events);
	cr_free(x->result);
	pthread_cond_destroy(&x->cv);
	pthread_mutex_destroy(&x->mu);
	cr_free(x);
}

/* The run with this id if ctx may see it, with a reference; else NULL. */
static srv_run *run_get(cr_server *s, const srv_ctx *ctx, int64_t id)
{
	srv_run *found = NULL;
	pthread_mutex_lock(&s->runs.mu);
	for (srv_run *x = s->runs.list; x; x = x->next) {
		if (x->id != id)
			continue;
		int admin = ctx->role && !strcmp(ctx->role, "admin");
		int ok = !ctx->who || (x->tenant == ctx->tenant && (admin || (ctx->user && !strcmp(x->user, ctx->user))));
		if (ok) {
			pthread_mutex_lock(&x->mu);
			x->refs++;
			pthread_mutex_unlock(&x->mu);
			found = x;
		}
		break;
	}
	pthread_mutex_unlock(&s->runs.mu);
	return found;
}

static void on_step(void *ctx, const char *json, size_t n)
{
	srv_run *x = ctx;
	char *t = malloc(n + 1);
	if (!t)
		return;
	memcpy(t, json, n);
	t[n] = 0;
	pthread_mutex_lock(&x->mu);
	if (x->n_events < MAX_EVENTS && x->n_events == x->cap_events) {
		size_t cap = x->cap_events ? 2 * x->cap_events : 16;
		char **ev = realloc(x->events, cap * sizeof *ev);
		if (ev) {
			x->events = ev;
			x->cap_events = cap;
		}
	}
	if (x->n_events < x->cap_events) {
		x->events[x->n_events++] = t;
		t = NULL;
	}
	pthread_cond_broadcast(&x->cv);
	pthread_mutex_unlock(&x->mu);
	free(t);
}

/* x is over: one run fewer running, and the reference its thread held
 * dropped. The last touch of s: once n_running is seen at zero, shutdown
 * may free the server; the list's reference keeps x alive. */
static void running_done(cr_server *s, srv_run *x)
{
	pthread_mutex_lock(&s->runs.mu);
	s->runs.n_running--;
	pthread_cond_broadcast(&s->runs.cv);
	pthread_mutex_unlock(&s->runs.mu);
	run_unref(x);
}

static void *run_main(void *arg)
{
	srv_run *x = arg;
	cr_server *s = x->s;
	cr_buf out;
	cr_buf_init(&out, 16 << 20);
	cr_msg m = {{0}};
	cr_err e = s->cfg.agent_run(s->cfg.agent_run_ctx, x->agent, x->user[0] ? x->user : NULL, &x->cancel, on_step, x,
				    &out, &m);
	char *result = NULL;
	const char *state = "failed";
	if (!e && !cr_buf_addc(&out, 0)) {
		result = cr_buf_take(&out, NULL);
		json_t *o = json_loads(result, 0, NULL);
		const char *stop = json_string_value(json_object_get(o, "stop"));
		state = stop && !strcmp(stop, "canceled") ? "canceled" : "done";
		json_decref(o);
	} else if (!e)
		e = cr_fail(&m, CR_ENOMEM, "out of memory");
	cr_buf_release(&out);
	pthread_mutex_lock(&x->mu);
	if (e && x->canceled)
		state = "canceled";
	x->state = state;
	x->result = result;
	if (e)
		snprintf(x->error, sizeof x->error, "%s", m.text[0] ? m.text : cr_strerror(e));
	x->ended = now_ms();
	pthread_cond_broadcast(&x->cv);
	pthread_mutex_unlock(&x->mu);
	running_done(s, x);
	return NULL;
}

/* The run's object (x->mu held). */
static json_t *run_json(const srv_run *x)
{
	json_t *steps = json_array();
	for (size_t i = 0; steps && i < x->n_events; i++) {
		json_t *v = json_loads(x->events[i], 0, NULL);
		if (v)
			json_array_append_new(steps, v);
	}
	json_t *res = x->result ? json_loads(x->result, 0, NULL) : NULL;
	return json_pack("{sI ss ss ss sI so so so so}", "run", (json_int_t)x->id, "agent", x->agent, "user",
			 x->user[0] ? x->user : "local", "state", x->state, "started", (json_int_t)x->started,
			 "ended", x->ended ? json_integer(x->ended) : json_null(), "steps", steps ? steps : json_array(),
			 "result", res ? res : json_null(), "error", x->error[0] ? json_string(x->error) : json_null());
}

/* ---- POST /api/agents/NAME/runs ---------------------------------------- */

enum MHD_Result srv_handle_agent_runs(srv_req *r)
{
	cr_server *s = r->s;
	const char *p = r->param ? r->param : "";
	size_t n = strlen(p);
	char name[80];
	if (n <= 5 || strcmp(p + n - 5, "/runs") || n - 5 >= sizeof name)
		return srv_error(r, 404, "not_found", "no such agent");
	memcpy(name, p, n - 5);
	name[n - 5] = 0;
	cr_msg m = {{0}};
	cr_store *st;
	cr_err e = cr_corpus_store_acquire(s->corpus, &st, &m);
	if (e)
		return srv_error_err(r, e, &m);
	cr_agent_row row;
	e = cr_store_agent_get(st, &r->arena, name, &row, &m);
	cr_corpus_store_release(s->corpus, st);
	if (e == CR_ENOTFOUND)
		return srv_error(r, 404, "not_found", "no agent named %s", name);
	if (e)
		return srv_error_err(r, e, &m);
	if (!s->cfg.agent_run)
		return srv_error(r, 501, "not_implemented", "this server does not run agents");
	srv_run *x = cr_calloc(1, sizeof *x);
	if (!x)
		return srv_error(r, 500, NULL, "out of memory");
	x->s = s;
	snprintf(x->agent, sizeof x->agent, "%s", name);
	snprintf(x->user, sizeof x->user, "%s", r->ctx.user ? r->ctx.user : "");
	x->tenant = r->ctx.tenant;
	x->state = "running";
	x->started = now_ms();
	x->refs = 2; /* the list's, the thread's */
	cr_cancel_init(&x->cancel);
	pthread_mutex_init(&x->mu, NULL);
	pthread_cond_init(&x->cv, NULL);
	srv_run *evict = NULL;
	pthread_mutex_lock(&s->runs.mu);
	int full = s->runs.n_running >= SRV_MAX_RUNS || atomic_load(&s->stopping);
	if (!full) {
		x->id = ++s->runs.last_id;
		/* the finished runs past SRV_KEEP_RUNS are forgotten, oldest first
		 * (the list is newest first) */
		size_t kept = 0;
		for (srv_run **pp = &s->runs.list; *pp;) {
			srv_run *y = *pp;
			pthread_mutex_lock(&y->mu);
			int over = y->ended && ++kept > SRV_KEEP_RUNS;
			pthread_mutex_unlock(&y->mu);
			if (over) {
				*pp = y->next;
				y->next = evict;
				evict = y;
			} else
				pp = &y->next;
		}
		x->next = s->runs.list;
		s->runs.list = x;
		s->runs.n_running++;
	}
	pthread_mutex_unlock(&s->runs.mu);
	while (evict) {
		srv_run *y = evict;
		evict = y->next;
		run_unref(y);
	}
	if (full) {
		pthread_cond_destroy(&x->cv);
		pthread_mutex_destroy(&x->mu);
		cr_free(x);
		r->retry_after = 5;
		return srv_error(r, 429, "too_many_runs", "%d agent runs are running; try again later", SRV_MAX_RUNS);
	}
	pthread_t t;
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	int ce = pthread_create(&t, &at, run_main, x);
	pthread_attr_destroy(&at);
	if (ce) {
		pthread_mutex_lock(&x->mu);
		x->state = "failed";
		snprintf(x->error, sizeof x->error, "cannot start a thread");
		x->ended = now_ms();
		pthread_mutex_unlock(&x->mu);
		running_done(s, x);
		return srv_error(r, 500, NULL, "cannot start a thread for the run");
	}
	return srv_reply_jsonv(r, 202, json_pack("{sI ss ss}", "run", (json_int_t)x->id, "agent", name, "state", "running"));
}

/* ---- GET|DELETE /api/runs/ID, GET /api/runs/ID/events -------------------- */

/* The run named by the request's path (param "ID" or "ID/events"), or an
 * answer already given. */
static srv_run *req_run(srv_req *r, const char *suffix)
{
	const char *p = r->param ? r->param : "";
	size_t n = strlen(p), k = strlen(suffix);
	char id_s[24];
	long id = 0;
	if (n <= k || n - k >= sizeof id_s || strcmp(p + n - k, suffix)) {
		CR_IGNORE(srv_error(r, 404, "not_found", "no such run"));
		return NULL;
	}
	memcpy(id_s, p, n - k);
	id_s[n - k] = 0;
	srv_run *x = NULL;
	if (strspn(id_s, "0123456789") == strlen(id_s) && !srv_parse_int(id_s, 1, INT64_MAX, 0, &id, NULL))
		x = run_get(r->s, &r->ctx, id);
	if (!x)
		CR_IGNORE(srv_error(r, 404, "not_found", "no run %s", id_s));
	return x;
}

enum MHD_Result srv_handle_run(srv_req *r)
{
	srv_run *x = req_run(r, "");
	if (!x)
		return MHD_YES;
	pthread_mutex_lock(&x->mu);
	json_t *o = run_json(x);
	pthread_mutex_unlock(&x->mu);
	run_unref(x);
	return srv_reply_jsonv(r, 200, o);
}

enum MHD_Result srv_handle_run_cancel(srv_req *r)
{
	srv_run *x = req_run(r, "");
	if (!x)
		return MHD_YES;
	pthread_mutex_lock(&x->mu);
	int running = !x->ended;
	if (running && !x->canceled) {
		x->canceled = 1;
		cr_cancel_request(&x->cancel);
	}
	json_t *o = run_json(x);
	pthread_mutex_unlock(&x->mu);
	int64_t id = x->id;
	char agent[80];
	snprintf(agent, sizeof agent, "%s", x->agent);
	run_unref(x);
	cr_msg m = {{0}};
	cr_err e = running ? srv_audit(r->s, &r->ctx, "agent.run.cancel",
				       json_pack("{ss sI}", "agent", agent, "run", (json_int_t)id), &m)
			   : CR_OK;
	if (e) {
		json_decref(o);
		return srv_error_err(r, e, &m);
	}
	return srv_reply_jsonv(r, running ? 202 : 200, o);
}

typedef struct events_job {
	int64_t id;
	srv_ctx ctx;
} events_job;

static void events_main(srv_stream *st, void *arg)
{
	events_job *j = arg;
	srv_run *x = run_get(st->s, &j->ctx, j->id);
	if (!x) { /* forgotten since the request */
		static const char gone[] = "{\"error\":{\"code\":\"not_found\",\"message\":\"the run was forgotten\"}}";
		CR_IGNORE(srv_stream_event(st, "error", gone, sizeof gone - 1));
		return;
	}
	size_t sent = 0;
	for (;;) {
		pthread_mutex_lock(&x->mu);
		while (sent == x->n_events && !x->ended && cr_cancel_check(&st->cancel) == CR_OK) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 200 * 1000000;
			if (ts.tv_nsec >= 1000000000)
				ts.tv_sec++, ts.tv_nsec -= 1000000000;
			pthread_cond_timedwait(&x->cv, &x->mu, &ts);
		}
		/* the steps not yet sent, copied out of the lock */
		size_t n_new = x->n_events - sent;
		char **batch = n_new ? malloc(n_new * sizeof *batch) : NULL;
		for (size_t i = 0; batch && i < n_new; i++)
			batch[i] = strdup(x->events[sent + i]);
		int ended = x->ended != 0;
		json_t *fin = ended ? run_json(x) : NULL;
		pthread_mutex_unlock(&x->mu);
		int stop = n_new && !batch;
		for (size_t i = 0; batch && i < n_new; i++) {
			if (!stop && batch[i])
				stop = srv_stream_event(st, "step", batch[i], strlen(batch[i]));
			free(batch[i]);
		}
		free(batch);
		sent += n_new;
		if (!stop && ended) {
			char *t = fin ? json_dumps(fin, JSON_COMPACT) : NULL;
			if (t)
				CR_IGNORE(srv_stream_event(st, "done", t, strlen(t)));
			free(t);
			stop = 1;
		}
		json_decref(fin);
		if (stop || cr_cancel_check(&st->cancel))
			break; /* the client left (the run goes on), or the server stops */
	}
	run_unref(x);
}

enum MHD_Result srv_handle_run_events(srv_req *r)
{
	srv_run *x = req_run(r, "/events");
	if (!x)
		return MHD_YES;
	int64_t id = x->id;
	run_unref(x);
	srv_stream *st = srv_stream_new(r);
	if (!st)
		return MHD_YES;
	events_job *j = cr_arena_alloc(&st->arena, sizeof *j);
	if (!j || srv_ctx_copy(&st->arena, &r->ctx, &j->ctx)) {
		srv_stream_drop(st);
		return srv_error(r, 500, NULL, "out of memory");
	}
	j->id = id;
	return srv_stream_start(r, st, events_main, j);
}

/* ---- the server's runs ------------------------------------------------- */

void srv_runs_init(cr_server *s)
{
	pthread_mutex_init(&s->runs.mu, NULL);
	pthread_cond_init(&s->runs.cv, NULL);
}

void srv_runs_cancel_all(cr_server *s)
{
	pthread_mutex_lock(&s->runs.mu);
	for (srv_run *x = s->runs.list; x; x = x->next) {
		pthread_mutex_lock(&x->mu);
		if (!x->ended) {
			x->canceled = 1;
			cr_cancel_request(&x->cancel);
		}
		pthread_mutex_unlock(&x->mu);
	}
	pthread_mutex_unlock(&s->runs.mu);
}

int srv_runs_wait(cr_server *s, double seconds)
{
	double end = cr_now() + seconds;
	pthread_mutex_lock(&s->runs.mu);
	while (s->runs.n_running > 0 && cr_now() < end) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100 * 1000000;
		if (ts.tv_nsec >= 1000000000)
			ts.tv_sec++, ts.tv_nsec -= 1000000000;
		pthread_cond_timedwait(&s->runs.cv, &s->runs.mu, &ts);
	}
	int none = s->runs.n_running == 0;
	pthread_mutex_unlock(&s->runs.mu);
	return none;
}

int srv_runs_running(cr_server *s)
{
	pthread_mutex_lock(&s->runs.mu);
	int n = s->runs.n_running;
	pthread_mutex_unlock(&s->runs.mu);
	return n;
}

void srv_runs_free(cr_server *s)
{
	srv_runs_cancel_all(s);
	if (!srv_runs_wait(s, 30)) {
		/* a run's thread still uses the server: leave it all rather than
		 * free memory under it */
		cr_log(CR_LOG_WARN, "serve: agent runs still running after 30 s; not freeing them");
		return;
	}
	srv_run *x = s->runs.list;
	s->runs.list = NULL;
	while (x) {
		srv_run *next = x->next;
		run_unref(x);
		x = next;
	}
	pthread_cond_destroy(&s->runs.cv);
	pthread_mutex_destroy(&s->runs.mu);
}
