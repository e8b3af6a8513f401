/* test_provider.c — the provider interface against a real HTTP server on
 * loopback (tests/provider/server.py, spawned here on a free port): plain
 * and streamed chat, the request as sent (tools, stop, max_tokens, tool
 * messages), tool calls whole and in pieces, 429 then success (Retry-After
 * honoured and capped), 500s then failover, a refused connection then
 * failover, a cut stream, garbage JSON, a wrong content type, an error
 * object, a bad key, a slow server stopped by a cancel and by the read
 * timeout, a reader that says stop, embeddings, models; every call metered
 * in a catalog; the local kind on the shared stories260K model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cristal/provider.h"

extern char **environ;

static pid_t srv_pid;
static int port;
static char dir[256];
static cr_store *st;

static int start_server(void **state)
{
	const char *src = getenv("CR_SOURCE_DIR");
	char script[1024];
	snprintf(script, sizeof script, "%s/tests/provider/server.py", src ? src : ".");
	if (access(script, R_OK) || system("python3 -c 'import http.server' 2>/dev/null")) {
		fprintf(stderr, "test_provider: no python3 or %s\n", script);
		return -1;
	}
	int fd[2];
	assert_int_equal(pipe(fd), 0);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd[1], 1);
	posix_spawn_file_actions_addclose(&fa, fd[0]);
	char *argv[] = {"python3", script, NULL};
	assert_int_equal(posix_spawnp(&srv_pid, "python3", &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(fd[1]);
	char line[32] = {0};
	size_t n = 0;
	while (n < sizeof line - 1) {
		ssize_t r = read(fd[0], line + n, 1);
		if (r <= 0 || line[n] == '\n')
			break;
		n++;
	}
	close(fd[0]);
	port = atoi(line);
	assert_true(port > 0);
	snprintf(dir, sizeof dir, "/tmp/cr_test_provider.XXXXXX");
	assert_non_null(mkdtemp(dir));
	cr_msg m = {{0}};
	assert_int_equal(cr_store_open(dir, &st, &m), CR_OK);
	assert_int_equal(cr_provider_global_init(&m), CR_OK);
	return 0;
}

static int stop_server(void **state)
{
	cr_store_close(st);
	if (srv_pid > 0) {
		kill(srv_pid, SIGTERM);
		waitpid(srv_pid, NULL, 0);
	}
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) ? -1 : 0;
}

/* A provider for one scenario of the server. */
typedef struct prov {
	char url[128];
	cr_provider_row row;
	cr_provider *p;
} prov;

static void mk(prov *v, const char *name, const char *scen, int retries, const char *key)
{
	memset(v, 0, sizeof *v);
	snprintf(v->url, sizeof v->url, "http://127.0.0.1:%d/%s/v1", port, scen);
	v->row = (cr_provider_row){.name = name, .kind = "openai", .url = v->url, .model = "test-model",
				   .trust = "onprem", .price_in = 1, .price_out = 2};
	cr_provider_cfg c = cr_provider_cfg_default();
	c.row = &v->row;
	c.api_key = key;
	c.max_retries = retries;
	c.backoff = 0.01;
	c.backoff_max = 5;
	c.read_timeout = 10;
	c.meter = st;
	cr_msg m = {{0}};
	assert_int_equal(cr_provider_new(&c, &v->p, &m), CR_OK);
}

static const cr_provider_msg MSGS[] = {
	{.role = "system", .content = "You answer briefly."},
	{.role = "user", .content = "Say hello."},
};

typedef struct sink {
	char text[4096];
	size_t len;
	int calls, stop_after;
} sink;

static int on_text(void *ctx, const char *t, size_t n)
{
	sink *s = ctx;
	if (s->len + n < sizeof s->text) {
		memcpy(s->text + s->len, t, n);
		s->len += n;
	}
	s->calls++;
	return s->stop_after && s->calls >= s->stop_after;
}

static int64_t usage_of(const char *name, int64_t *calls, int64_t *failed, double *cost);

static void test_chat_plain_and_stream(void **state)
{
	prov v;
	mk(&v, "plain", "ok", 0, NULL);
	cr_provider_reply r = {0};
	cr_msg m = {{0}};
	assert_int_equal(cr_provider_chat(v.p, MSGS, 2, NULL, &r, &m), CR_OK);
	assert_string_equal(r.text, "hello from ok");
	assert_string_equal(r.finish_reason, "stop");
	assert_int_equal(r.prompt_tokens, 11);
	assert_int_equal(r.completion_tokens, 3);
	assert_string_equal(r.provider, "plain");
	assert_int_equal(r.attempts, 1);
	assert_int_equal(r.n_tool_calls, 0);

	sink s = {0};
	cr_provider_chat_opts o = cr_provider_chat_opts_default();
	o.on_text = on_text;
	o.on_text_ctx = &s;
	assert_int_equal(cr_provider_chat(v.p, MSGS, 2, &o, &r, &m), CR_OK);
	assert_string_equal(r.text, "hello from ok");
	assert_true(s.calls >= 2); /* it came in pieces */
	assert_int_equal(s.len, strlen("hello from ok"));
	assert_memory_equal(s.text, "hello from ok", s.len);
	assert_int_equal(r.prompt_tokens, 11); /* usage from the stream's last chunk */
	assert_int_equal(r.completion_tokens, 3);
	cr_provider_reply_release(&r);

	int64_t calls = 0, failed = 0;
	double cost = 0;
	assert_int_equal(usage_of("plain", &calls, &failed, &cost), 28); /* (11 + 3) per call */
	assert_int_equal(calls, 2);
	assert_int_equal(failed, 0);
	assert_true(cost > 2 * 17e-6 * 0.999 && cost < 2 * 17e-6 * 1.001); /* (11*1 + 3*2) / 1e6 per call */
	cr_provider_free(v.p);
}

static void test_request_as_sent(void **state)
{
	prov v;
	mk(&v, "echo", "echo", 0, "sekret");
	const cr_provider_msg msgs[] = {
		{.role = "user", .content = "weather?"},
		{.role = "assistant", .tool_calls_json = "[{\"id\":\"c9\",\"type\":\"function\",\"function\":"
							 "{\"name\":\"w\",\"arguments\":\"{}\"}}]"},
		{.role = "tool", .tool_call_id = "c9", .content = "sunny"},
	};
	cr_provider_chat_opts o = cr_provider_chat_opts_default();
	o.max_tokens = 77;
	o.temperature = 0;
	const char *stop[] = {"\n\n"};
	o.stop = stop;
	o.n_stop = 1;
	o.tools_json = "[{\"type\":\"function\",\"function\":{\"name\":\"w\",\"parameters\":{\"type\":\"object\"}}}]";
	o.tool_choice = "auto";
	cr_provider_reply r = {0};
	cr_msg m = {{0}};
	assert_int_equal(cr_provider_chat(v.p, msgs, 3, &o, &r, &m), CR_OK);
	assert_non_null(strstr(r.text, "\"model\":\"test-model\""));
	assert_non_null(strstr(r.text, "\"max_tokens\":77"));
	assert_non_null(strstr(r.text, "\"stop\":[\"\\n\\n\"]"));
	assert_non_null(strstr(r.text, "\"tools\":[{\"type\":\"function\""));
	assert_non_null(strstr(r.text, "\"tool_choice\":\"auto\""));
	assert_non_null(strstr(r.text, "\"tool_call_id\":\"c9\""));
	assert_non_null(strstr(r.text, "\"tool_calls\":[{\"id\":\"c9\""));
	assert_non_null(strstr(r.text, "\"content\":null"));
	assert_null(strstr(r.text, "\"stream\""));
	/* bad tools JSON: refused before sending */
	o.tools_json = "{not an array";
	assert_int_equal(cr_provider_chat(v.p, msgs, 3, &o, &r, &m), CR_EINVAL);
	assert_non_null(strstr(m.text, "tools"));
	cr_provider_reply_release(&r);
	cr_provider_free(v.p);

	/* the wrong key: 401 is CR_EUNAUTH, not retried */
	mk(&v, "badkey", "ok", 3, "wrong");
	assert_int_equal(cr_provider_chat(v.p, MSGS, 2, NULL, &r, &m), CR_EUNAUTH);
	assert_non_null(strstr(m.text, "401"));
	assert_int_equal(r.attempts, 1);
	cr_provider_reply_release(&r);
	cr_provider_free(v.p);
}

static void test_tool_calls(void **state)
{
	prov v;
	mk(&v, "tools", "tools", 0, NULL);
	cr_provider_reply r = {0};
	cr_msg m = {{0}};
	for (int streamed = 0; streamed < 2; streamed++) {
		sink s = {0};
		cr_provider_chat_opts o = cr_provider_chat_opts_default();
		o.tools_json = "[]";
		if (streamed) {
			o.on_text = on_text;
			o.on_text_ctx = &s;
		}
		assert_int_equal(cr_provider_chat(v.p, MSGS, 2, &o, &r, &m), CR_OK);
		assert_int_equal(r.n_tool_calls, 1);
		assert_string_equal(r.tool_calls[0].id, "call_1");
		assert_string_equal(r.tool_calls[0].name, "get_weather");
		assert_string_equal(r.tool_calls[0].arguments, "{\"city\":\"Paris\"}");
		assert_string_equal(r.finish_reason, "tool_calls");
		assert_string_equal(r.text, "");
	}
	cr_provider_reply_release(&r);
	cr_provider_free(v.p);
}

static void test_retry_429(void **state)
{
	prov v;
	mk(&v, "r429", "r429-a", 2, NULL);
	cr_provider_reply r = {0};
	cr_msg m = {{0}};
	double t0 = cr_now();
	assert_int_equal(cr_provider_chat(v.p, MSGS, 2, NULL, &r, &m), CR_OK);
	double dt = cr_now() - t0;
	assert_string_equal(r.text, "hello from r429");
	assert_int_equal(r.attempts, 2);
	assert_true(dt >= 0.95); /* Retry-After: 1 honoured */
	cr_provider_free(v.p);

	/* capped by backoff_max */
	mk(&v, "r429b", "r429-b", 2, NULL);
	cr_provider_free(v.p);
	cr_provider_row row = v.row;
	cr_provider_cfg c = cr_provider_cfg_default();
	c.row = &row;
	c.max_retries = 2;
	c.backoff_max = 0.1;
	assert_int_equal(cr_provider_new(&c, &v.p, &m), CR_OK);
	t0 = cr_now();
	assert_int_equal(cr_provider_chat(v.p, MSGS, 2, NULL, &r, &m), CR_OK);
	assert_true(cr_now() - t0 < 0.9);
	assert_int_equal(r.attempts, 2);
	cr_provider_free(v.p);

	/* no retries left: CR_ERATELIMIT with the server's reason */
	mk(&v, "r429c", "r429-c", 0, NULL);
	assert_int_equal(cr_provider_chat(v.p, MSGS, 2, NULL, &r, &m), CR_ERATELIMIT);
	assert_non_null(strstr(m.text, "429"));
	assert_non_null(strstr(m.text, "slow down"));
	cr_provider_reply_release(&r);
	cr_provider_free(v.p);
}

static int64_t get_count(const char *scen)
{
	char cmd[256];
	snprintf(cmd, sizeof cmd, "curl -s http://127.0.0.1:%d/%s/count", port, scen);
	FILE *f = popen(cmd, "r");
	char buf[128] = {0};
	size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
	if (f)
		pclose(f);
	const char *p = n ? strstr(buf, "\"count\":") : NULL;
	return p ? atoll(p + 8) : -1;
}

static void test_failover(void **state)
{
	prov a, b, dead;
	mk(&a, "bad500", "e500", 2, NULL);
	mk(&b, "good", "ok", 0, NULL);
	cr_provider_reply r = {0};
	cr_msg m = {{0}};
	/* alone: CR_EUPSTREAM with the status and the server's reason, 3 tries */
	assert_int_equal(cr_provider_chat(a.p, MSGS, 2, NULL, &r, &m), CR_EUPSTREAM);
	assert_non_null(strstr(m.text, "HTTP 500"));
	assert_non_null(strstr(m.text, "boom"));
	assert_int_equal(r.attempts, 3);
	assert_int_equal(get_count("e500"), 3);
	/* chained: the next provider answers */
	cr_provider_set_fallback(a.p, b.p);
	sink s = {0};
	cr_provider_chat_opts o = cr_provider_chat_opts_default();
	o.on_text = on_text;
	o.on_text_ctx = &s;
	assert_int_equal(cr_provider_chat(a.p, MSGS, 2, &o, &r, &m), CR_OK);
	assert_string_equal(r.provider, "good");
	assert_string_equal(r.text, "hello from ok");
	assert_int_equal(r.attempts, 4);
	assert_int_equal(get_count("e500"), 6);
	assert_memory_equal(s.text, "hello from ok", s.len); /* nothing from the failed one */
	int64_t calls = 0, failed = 0;
	double cost = 0;
	usage_of("bad500", &calls, &failed, &cost);
	assert_int_equal(calls, 2);
	assert_int_equal(failed, 2);

	/* nobody listening: a connection error, retried, then failover */
	int fd_port = 1; /* port 1 on loopback: refused */
	memset(&dead, 0, sizeof dead);
	snprintf(dead.url, sizeof dead.url, "http://127.0.0.1:%d/v1", fd_port);
	dead.row = (cr_provider_row){.name = "dead", .kind = "openai", .url = dead.url, .model = "x", .trust = "onprem"};
	cr_provider_cfg c = cr_provider_cfg_default();
	c.row = &dead.row;
	c.max_retries = 1;
	c.backoff = 0.01;
	assert_int_equal(cr_provider_new(&c, &dead.p, &m), CR_OK);
	assert_int_equal(cr_provider_chat(dead.p, MSGS, 2, NULL, &r, &m), CR_EUPSTREAM);
	assert_int_equal(r.attempts, 2);
	cr_provider_set_fallback(dead.p, b.p);
	assert_int_equal(cr_provider_chat(dead.p, MSGS, 2, NULL, &r, &m), CR_OK);
	assert_string_equal(r.provider, "good");
	cr_provider_reply_release(&r);
	cr_provider_free(a.p);
	cr_provider_free(b.p);
	cr_provider_free(dead.p);
}

static void expect_fail(const char *scen, int stream, cr_err want, const char *needle)
{
	prov v, fb;
	mk(&v, scen, scen, 2, NULL);
	mk(&fb, "fallback", "ok", 0, NULL);
	cr_provider_set_fallback(v.p, fb.p); /* garbage is not failed over */
	sink s = {0};
	cr_provider_chat_opts o = cr_provider_chat_opts_default();
	if (stream) {
		o.on_text = on_text;
		o.on_text_ctx = &s;
	}
	cr_provider_reply r = {0};
	cr_msg m = {{0}};
	cr_err e = cr_provider_chat(v.p, MSGS, 2, &o, &r, &m);
	if (e != want || !strstr(m.text, needle))
		fprintf(stderr, "%s (stream %d): %s: %s\n", scen, stream, cr_strerror(e), m.text);
	assert_int_equal(e, want);
	assert_non_null(strstr(m.text, needle));
	assert_int_equal(r.attempts, 1);
	cr_provider_reply_release(&r);
	cr_provider_free(v.p);
	cr_provider_free(fb.p);
}

static void test_garbage(void **state)
{
	expect_fail("cut", 1, CR_EUPSTREAM, "stream ended");
	expect_fail("garbage", 0, CR_ECORRUPT, "not a JSON object");
	expect_fail("garbage", 1, CR_ECORRUPT, "not a JSON object");
	expect_fail("html", 0, CR_ECORRUPT, "text/html");
	expect_fail("html", 1, CR_ECORRUPT, "text/html");
	expect_fail("errobj", 0, CR_EUPSTREAM, "model overloaded");
	expect_fail("errobj", 1, CR_ECORRUPT, "text/event-stream"); /* JSON where a stream was asked */
}

typedef struct canceler {
	cr_cancel *c;
	double after;
} canceler;

static void *cancel_later(void *arg)
{
	canceler *k = arg;
	usleep((useconds_t)(k->after * 1e6));
	cr_cancel_request(k->c);
	return NULL;
}

static void test_cancel_and_timeout(void **state)
{
	prov v;
	mk(&v, "slow", "slow", 2, NULL);
	cr_cancel c;
	cr_cancel_init(&c);
	canceler k = {&c, 0.3};
	pthread_t th;
	sink s = {0};
	cr_provider_chat_opts o = cr_provider_chat_opts_default();
	o.on_text = on_text;
	o.on_text_ctx = &s;
	o.cancel = &c;
	cr_provider_reply r = {0};
	cr_msg m = {{0}};
	double t0 = cr_now();
	assert_int_equal(pthread_create(&th, NULL, cancel_later, &k), 0);
	assert_int_equal(cr_provider_chat(v.p, MSGS, 2, &o, &r, &m), CR_ECANCELED);
	double dt = cr_now() - t0;
	pthread_join(th, NULL);
	fprintf(stderr, "cancel stopped the stream %.0f ms after the request (asked at 300 ms)\n", dt * 1e3);
	assert_true(dt < 1.3);
	assert_memory_equal(s.text, "hello f", 7); /* the first piece arrived before */
	cr_provider_free(v.p);

	/* the read timeout: no byte for 0.5 s */
	cr_provider_row row = {.name = "slow2", .kind = "openai", .url = v.url, .model = "m", .trust = "onprem"};
	cr_provider_cfg cf = cr_provider_cfg_default();
	cf.row = &row;
	cf.read_timeout = 0.5;
	cf.max_retries = 0;
	assert_int_equal(cr_provider_new(&cf, &v.p, &m), CR_OK);
	memset(&s, 0, sizeof s);
	o.cancel = NULL;
	t0 = cr_now();
	assert_int_equal(cr_provider_chat(v.p, MSGS, 2, &o, &r, &m), CR_ETIMEOUT);
	assert_true(cr_now() - t0 < 2.5);
	assert_non_null(strstr(m.text, "read timeout"));
	cr_provider_free(v.p);

	/* a reader that says stop */
	mk(&v, "stopper", "ok", 0, NULL);
	memset(&s, 0, sizeof s);
	s.stop_after = 1;
	assert_int_equal(cr_provider_chat(v.p, MSGS, 2, &o, &r, &m), CR_ECANCELED);
	assert_int_equal(s.calls, 1);
	cr_provider_reply_release(&r);
	cr_provider_free(v.p);
}

static void test_embed_models(void **state)
{
	prov v;
	mk(&v, "emb", "ok", 0, NULL);
	cr_arena a;
	cr_arena_init(&a, 0);
	const char *texts[] = {"first", "second"};
	float *vec = NULL;
	int dim = 0;
	cr_msg m = {{0}};
	assert_int_equal(cr_provider_embed(v.p, texts, 2, &a, &vec, &dim, NULL, &m), CR_OK);
	assert_int_equal(dim, 3);
	assert_true(vec[0] == 0.0f && vec[3] == 1.0f); /* back in the texts' order */
	assert_true(vec[1] == 0.5f && vec[5] == -1.0f);
	const char **ids = NULL;
	size_t n = 0;
	assert_int_equal(cr_provider_models(v.p, &a, &ids, &n, NULL, &m), CR_OK);
	assert_int_equal(n, 2);
	assert_string_equal(ids[0], "m1");
	assert_string_equal(ids[1], "m2");
	cr_arena_release(&a);
	cr_provider_free(v.p);
}

static void test_local(void **state)
{
	const char *d = getenv("CR_SHARED_DATA");
	char path[1024];
	snprintf(path, sizeof path, "%s/gguf-models/stories260K.gguf", d ? d : "/nonexistent");
	if (access(path, R_OK))
		skip();
	cr_provider_row row = {.name = "loc", .kind = "local", .model = "stories", .trust = "local"};
	cr_provider_cfg c = cr_provider_cfg_default();
	c.row = &row;
	c.model_path = path;
	c.n_ctx = 256;
	c.meter = st;
	cr_provider *p = NULL;
	cr_msg m = {{0}};
	assert_int_equal(cr_provider_new(&c, &p, &m), CR_OK);
	cr_provider_chat_opts o = cr_provider_chat_opts_default();
	o.max_tokens = 8;
	o.temperature = 0;
	sink s = {0};
	o.on_text = on_text;
	o.on_text_ctx = &s;
	cr_provider_reply r = {0};
	cr_err e = cr_provider_chat(p, MSGS, 2, &o, &r, &m);
	if (e)
		fprintf(stderr, "local: %s\n", m.text);
	assert_int_equal(e, CR_OK);
	assert_true(r.completion_tokens > 0 && r.completion_tokens <= 8);
	assert_true(r.prompt_tokens > 0);
	assert_int_equal(s.len, r.len);
	char first[4096];
	snprintf(first, sizeof first, "%s", r.text);
	int64_t prompt1 = r.prompt_tokens;
	/* the same conversation again: same greedy answer from the kept model,
	 * the prompt served from the KV cache but for its last token */
	assert_int_equal(cr_provider_chat(p, MSGS, 2, &o, &r, &m), CR_OK);
	assert_string_equal(r.text, first);
	assert_int_equal(r.prompt_cached, prompt1 - 1);
	/* a new question after the same system prompt: its prefix is reused */
	const cr_provider_msg other[] = {MSGS[0], {.role = "user", .content = "Tell me about a cat."}};
	assert_int_equal(cr_provider_chat(p, other, 2, &o, &r, &m), CR_OK);
	assert_true(r.prompt_cached >= 5 && r.prompt_cached < r.prompt_tokens);
	fprintf(stderr, "local: second question reused %lld of %lld prompt tokens\n", (long long)r.prompt_cached,
		(long long)r.prompt_tokens);
	int64_t calls = 0, failed = 0;
	double cost = 0;
	assert_true(usage_of("loc", &calls, &failed, &cost) > 0);
	assert_int_equal(calls, 3);
	/* not an embedding model */
	cr_arena a;
	cr_arena_init(&a, 0);
	const char *texts[] = {"a"};
	float *vec;
	int dim;
	assert_int_equal(cr_provider_embed(p, texts, 1, &a, &vec, &dim, NULL, &m), CR_EUNSUPPORTED);
	cr_arena_release(&a);
	o.tools_json = "[]"; /* tool calls are decoded under their schemas (test_agent_local); none is an error */
	assert_int_equal(cr_provider_chat(p, MSGS, 2, &o, &r, &m), CR_EINVAL);
	cr_provider_reply_release(&r);
	cr_provider_free(p);
}

/* Concurrent chats to local providers on one model file (as the server's
 * threads each hold a provider): they share the loaded model and its
 * scheduler, are decoded together, and each gets the greedy answer it gets
 * alone; one is canceled from its own text callback and stops. */
typedef struct local_job {
	const char *path;
	const char *question;
	int cancel_after;
	cr_cancel cancel;
	char text[4096];
	sink s;
	cr_err err;
} local_job;

static int cancel_text(void *ctx, const char *t, size_t n)
{
	local_job *j = ctx;
	on_text(&j->s, t, n);
	if (j->cancel_after && j->s.calls >= j->cancel_after)
		cr_cancel_request(&j->cancel);
	return 0;
}

static void *local_chat(void *arg)
{
	local_job *j = arg;
	cr_provider_row row = {.name = "loc", .kind = "local", .model = "stories", .trust = "local"};
	cr_provider_cfg c = cr_provider_cfg_default();
	c.row = &row;
	c.model_path = j->path;
	c.n_ctx = 256;
	c.n_parallel = 3;
	cr_provider *p = NULL;
	cr_msg m = {{0}};
	j->err = cr_provider_new(&c, &p, &m);
	if (j->err)
		return NULL;
	const cr_provider_msg msgs[] = {MSGS[0], {.role = "user", .content = j->question}};
	cr_provider_chat_opts o = cr_provider_chat_opts_default();
	o.max_tokens = j->cancel_after ? 200 : 12;
	o.temperature = 0;
	o.on_text = cancel_text;
	o.on_text_ctx = j;
	o.cancel = &j->cancel;
	cr_provider_reply r = {0};
	j->err = cr_provider_chat(p, msgs, 2, &o, &r, &m);
	if (!j->err)
		snprintf(j->text, sizeof j->text, "%s", r.text);
	cr_provider_reply_release(&r);
	cr_provider_free(p);
	return NULL;
}

static void test_local_concurrent(void **state)
{
	(void)state;
	const char *d = getenv("CR_SHARED_DATA");
	char path[1024];
	snprintf(path, sizeof path, "%s/gguf-models/stories260K.gguf", d ? d : "/nonexistent");
	if (access(path, R_OK))
		skip();
	enum { N = 5 };
	static const char *const qs[N] = {"Tell me about a dog.", "Where is the ball?", "Once upon a time",
					  "What did Lily see?", "Sing a song."};
	local_job alone[N], together[N];
	memset(alone, 0, sizeof alone);
	memset(together, 0, sizeof together);
	for (int i = 0; i < N; i++) {
		alone[i].path = together[i].path = path;
		alone[i].question = together[i].question = qs[i];
		cr_cancel_init(&alone[i].cancel);
		cr_cancel_init(&together[i].cancel);
		local_chat(&alone[i]);
		assert_int_equal(alone[i].err, CR_OK);
	}
	together[N - 1].cancel_after = 2;
	pthread_t th[N];
	for (int i = 0; i < N; i++)
		assert_int_equal(pthread_create(&th[i], NULL, local_chat, &together[i]), 0);
	for (int i = 0; i < N; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < N - 1; i++) {
		assert_int_equal(together[i].err, CR_OK);
		assert_string_equal(together[i].text, alone[i].text);
	}
	assert_int_equal(together[N - 1].err, CR_ECANCELED);
}

/* The local kind over an encoder: a tiny random-weight bert from
 * tools/gen_model with the shared bge vocabulary. */
static void test_local_embed(void **state)
{
	const char *d = getenv("CR_SHARED_DATA"), *b = getenv("CR_BUILD_DIR");
	char voc[1024], gen[1024], out[1100], cmd[4096];
	snprintf(voc, sizeof voc, "%s/gguf-vocab/ggml-vocab-bert-bge.gguf", d ? d : "/nonexistent");
	snprintf(gen, sizeof gen, "%s/tools/gen_model", b ? b : "/nonexistent");
	if (access(voc, R_OK) || access(gen, X_OK))
		skip();
	snprintf(out, sizeof out, "%s/bert.gguf", dir);
	snprintf(cmd, sizeof cmd, "'%s' --arch bert --shape tiny --type f32 --vocab '%s' --out '%s' --seed 7 >/dev/null",
		 gen, voc, out);
	assert_int_equal(system(cmd), 0);
	cr_provider_row row = {.name = "emb", .kind = "local", .model = "bert", .trust = "local"};
	cr_provider_cfg c = cr_provider_cfg_default();
	c.row = &row;
	c.model_path = out;
	cr_provider *p = NULL;
	cr_msg m = {{0}};
	assert_int_equal(cr_provider_new(&c, &p, &m), CR_OK);
	cr_arena a;
	cr_arena_init(&a, 0);
	const char *texts[] = {"the cat sat on the mat", "a report about revenue", "the cat sat on the mat"};
	float *v = NULL;
	int dim = 0;
	cr_err e = cr_provider_embed(p, texts, 3, &a, &v, &dim, NULL, &m);
	if (e)
		fprintf(stderr, "embed: %s\n", m.text);
	assert_int_equal(e, CR_OK);
	assert_true(dim > 0);
	double n0 = 0, diff02 = 0, diff01 = 0;
	for (int i = 0; i < dim; i++) {
		n0 += (double)v[i] * v[i];
		diff02 += fabs((double)v[i] - v[2 * dim + i]);
		diff01 += fabs((double)v[i] - v[dim + i]);
	}
	assert_true(fabs(n0 - 1) < 1e-3); /* normalised */
	assert_true(diff02 < 1e-4);       /* same text, same vector */
	assert_true(diff01 > 1e-3);
	cr_provider_chat_opts o = cr_provider_chat_opts_default();
	cr_provider_reply r = {0};
	assert_int_equal(cr_provider_chat(p, MSGS, 2, &o, &r, &m), CR_EUNSUPPORTED);
	cr_provider_reply_release(&r);
	cr_arena_release(&a);
	cr_provider_free(p);
}

static const char *key_of(void *ctx, const char *var) { return !strcmp(var, "K_SET") ? "sekret" : NULL; }

/* The catalog's providers as a chain: same kind and trust only, in order
 * of addition; a fallback without its key is left out, the named one
 * without its key is CR_EUNAUTH; the chain fails over for real. */
static void test_chain_open(void **state)
{
	char u500[128], uok[128];
	snprintf(u500, sizeof u500, "http://127.0.0.1:%d/e500-chain/v1", port);
	snprintf(uok, sizeof uok, "http://127.0.0.1:%d/ok/v1", port);
	cr_provider_row rows[] = {
		{.name = "c-a", .kind = "openai", .url = u500, .model = "m", .trust = "onprem"},
		{.name = "c-ext", .kind = "openai", .url = uok, .model = "m", .trust = "external"},
		{.name = "c-nokey", .kind = "openai", .url = uok, .model = "m", .trust = "onprem", .api_key_env = "K_UNSET"},
		{.name = "c-key", .kind = "openai", .url = uok, .model = "m", .trust = "onprem", .api_key_env = "K_SET"},
		{.name = "c-d", .kind = "openai", .url = uok, .model = "m", .trust = "onprem"},
	};
	cr_msg m = {{0}};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		assert_int_equal(cr_store_provider_put(st, &rows[i], &m), CR_OK);
	cr_provider_cfg base = cr_provider_cfg_default();
	base.max_retries = 0;
	base.meter = st;
	cr_provider_chain *ch = NULL;
	assert_int_equal(cr_provider_chain_open(st, "c-a", &base, 1, key_of, NULL, &ch, &m), CR_OK);
	assert_int_equal(cr_provider_chain_len(ch), 3); /* c-a, c-key, c-d */
	cr_provider_reply r = {0};
	assert_int_equal(cr_provider_chat(cr_provider_chain_head(ch), MSGS, 2, NULL, &r, &m), CR_OK);
	assert_string_equal(r.provider, "c-key"); /* c-a failed, c-nokey was left out */
	cr_provider_reply_release(&r);
	cr_provider_chain_free(ch);
	assert_int_equal(cr_provider_chain_open(st, "c-a", &base, 0, key_of, NULL, &ch, &m), CR_OK);
	assert_int_equal(cr_provider_chain_len(ch), 1);
	cr_provider_chain_free(ch);
	assert_int_equal(cr_provider_chain_open(st, "c-nokey", &base, 1, key_of, NULL, &ch, &m), CR_EUNAUTH);
	assert_non_null(strstr(m.text, "K_UNSET"));
	assert_int_equal(cr_provider_chain_open(st, "nope", &base, 1, key_of, NULL, &ch, &m), CR_ENOTFOUND);
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		assert_int_equal(cr_store_provider_del(st, rows[i].name, &m), CR_OK);
}

/* The kill-switch: a suspended provider is never called (its calls are
 * counted by the server), the chain fails over to an allowed one, with
 * none the call fails with the reason, embeddings too; resumed, it serves
 * again; a stream to a provider suspended meanwhile (from another
 * connection, as another process would) is cut. */
typedef struct drip_ctx {
	int pieces;
	const char *name;
} drip_ctx;

static int suspend_midway(void *ctx, const char *t, size_t n)
{
	drip_ctx *d = ctx;
	if (++d->pieces == 1) {
		cr_store *other;
		cr_msg m = {{0}};
		assert_int_equal(cr_store_open(dir, &other, &m), CR_OK);
		assert_int_equal(cr_store_provider_suspend(other, d->name, "vendor incident", &m), CR_OK);
		cr_store_close(other);
	}
	return 0;
}

static void test_kill_switch(void **state)
{
	char ua[128], ub[128], ud[128];
	snprintf(ua, sizeof ua, "http://127.0.0.1:%d/ok-ksa/v1", port);
	snprintf(ub, sizeof ub, "http://127.0.0.1:%d/ok-ksb/v1", port);
	snprintf(ud, sizeof ud, "http://127.0.0.1:%d/drip/v1", port);
	cr_provider_row rows[] = {
		{.name = "k-a", .kind = "openai", .url = ua, .model = "m", .trust = "onprem"},
		{.name = "k-b", .kind = "openai", .url = ub, .model = "m", .trust = "onprem"},
		{.name = "k-drip", .kind = "openai", .url = ud, .model = "m", .trust = "external"},
	};
	cr_msg m = {{0}};
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(cr_store_provider_put(st, &rows[i], &m), CR_OK);
	assert_int_equal(cr_store_provider_suspend(st, "k-a", "", &m), CR_EINVAL); /* a reason is required */
	assert_int_equal(cr_store_provider_suspend(st, "nope", "x", &m), CR_ENOTFOUND);
	assert_int_equal(cr_store_provider_suspend(st, "k-a", "legal review", &m), CR_OK);
	char why[128];
	assert_int_equal(cr_store_provider_suspended(st, "k-a", why, sizeof why, &m), CR_OK);
	assert_string_equal(why, "legal review");
	cr_provider_cfg base = cr_provider_cfg_default();
	base.max_retries = 0;
	base.meter = st;
	cr_provider_chain *ch = NULL;
	assert_int_equal(cr_provider_chain_open(st, "k-a", &base, 1, key_of, NULL, &ch, &m), CR_OK);
	cr_provider_reply r = {0};
	assert_int_equal(cr_provider_chat(cr_provider_chain_head(ch), MSGS, 2, NULL, &r, &m), CR_OK);
	assert_string_equal(r.provider, "k-b"); /* failed over to the allowed one */
	assert_int_equal(get_count("ok-ksa"), 0); /* the suspended one received nothing */
	assert_int_equal(get_count("ok-ksb"), 1);
	/* both suspended: refused with the first one's reason, nothing sent */
	assert_int_equal(cr_store_provider_suspend(st, "k-b", "budget", &m), CR_OK);
	memset(&m, 0, sizeof m);
	assert_int_equal(cr_provider_chat(cr_provider_chain_head(ch), MSGS, 2, NULL, &r, &m), CR_EDENIED);
	assert_non_null(strstr(m.text, "k-a is suspended: legal review"));
	float *vecs;
	int dim;
	cr_arena a;
	cr_arena_init(&a, 0);
	const char *texts[] = {"x"};
	assert_int_equal(cr_provider_embed(cr_provider_chain_head(ch), texts, 1, &a, &vecs, &dim, NULL, &m), CR_EDENIED);
	cr_arena_release(&a);
	assert_int_equal(get_count("ok-ksa"), 0);
	assert_int_equal(get_count("ok-ksb"), 1);
	/* resumed: served by the named one again */
	assert_int_equal(cr_store_provider_suspend(st, "k-a", NULL, &m), CR_OK);
	assert_int_equal(cr_provider_chat(cr_provider_chain_head(ch), MSGS, 2, NULL, &r, &m), CR_OK);
	assert_string_equal(r.provider, "k-a");
	assert_int_equal(get_count("ok-ksa"), 1);
	cr_provider_reply_release(&r);
	cr_provider_chain_free(ch);

	/* suspended while streaming: cut with the reason */
	assert_int_equal(cr_provider_chain_open(st, "k-drip", &base, 0, key_of, NULL, &ch, &m), CR_OK);
	drip_ctx d = {.name = "k-drip"};
	cr_provider_chat_opts o = cr_provider_chat_opts_default();
	o.on_text = suspend_midway;
	o.on_text_ctx = &d;
	memset(&m, 0, sizeof m);
	assert_int_equal(cr_provider_chat(cr_provider_chain_head(ch), MSGS, 2, &o, &r, &m), CR_EDENIED);
	assert_non_null(strstr(m.text, "suspended while answering (vendor incident)"));
	assert_true(d.pieces >= 1 && d.pieces < 20); /* the whole answer is 23 pieces */
	cr_provider_reply_release(&r);
	cr_provider_chain_free(ch);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(cr_store_provider_del(st, rows[i].name, &m), CR_OK);
}

typedef struct usage_q {
	const char *name;
	int64_t tokens, calls, failed;
	double cost;
} usage_q;

static int sum_fn(void *ctx, const cr_usage_sum *u)
{
	usage_q *q = ctx;
	if (!strcmp(u->provider, q->name)) {
		q->tokens += u->prompt_tokens + u->completion_tokens;
		q->calls += u->calls;
		q->failed += u->failed;
		q->cost += u->cost;
	}
	return 0;
}

static int64_t usage_of(const char *name, int64_t *calls, int64_t *failed, double *cost)
{
	usage_q q = {.name = name};
	cr_msg m = {{0}};
	assert_int_equal(cr_store_usage_sum(st, sum_fn, &q, &m), CR_OK);
	*calls = q.calls;
	*failed = q.failed;
	*cost = q.cost;
	return q.tokens;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chat_plain_and_stream),
		cmocka_unit_test(test_request_as_sent),
		cmocka_unit_test(test_tool_calls),
		cmocka_unit_test(test_retry_429),
		cmocka_unit_test(test_failover),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_cancel_and_timeout),
		cmocka_unit_test(test_embed_models),
		cmocka_unit_test(test_chain_open),
		cmocka_unit_test(test_kill_switch),
		cmocka_unit_test(test_local),
		cmocka_unit_test(test_local_embed),
		cmocka_unit_test(test_local_concurrent),
	};
	return cmocka_run_group_tests(tests, start_server, stop_server);
}
