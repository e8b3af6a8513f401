/*
 * openai.c — the OpenAI-compatible kind: builds the request JSON for
 * URL/chat/completions, URL/embeddings and URL/models, and runs the
 * attempts: one cr_http_once each, a retryable failure (429, 408, 5xx,
 * connection, timeout, a stream cut before any text reached the caller)
 * waits backoff * 2^k seconds (or the server's Retry-After), capped at
 * backoff_max, in 50 ms naps that watch the cancel token, then tries again,
 * up to max_retries times. Failover to another provider is provider.c's.
 */
#include "provider_int.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *url_join(const char *base, const char *path)
{
	size_t n = strlen(base);
	while (n && base[n - 1] == '/')
		n--;
	size_t len = n + strlen(path) + 2;
	char *u = cr_malloc(len);
	if (u)
		snprintf(u, len, "%.*s/%s", (int)n, base, path);
	return u;
}

/* Sleeps s seconds unless the token fires first (its error, else CR_OK). */
static cr_err nap(double s, const cr_cancel *c)
{
	double end = cr_now() + s;
	for (;;) {
		cr_err e = cr_cancel_check(c);
		if (e)
			return e;
		double left = end - cr_now();
		if (left <= 0)
			return CR_OK;
		double step = CR_MIN(left, 0.05);
		struct timespec ts = {.tv_sec = (time_t)step, .tv_nsec = (long)((step - (time_t)step) * 1e9)};
		nanosleep(&ts, NULL);
	}
}

/* Runs q with retries. body (non-streamed) gets a 2xx body; acc (streamed
 * or not) is reset before each attempt and fed. */
static cr_err attempts_run(cr_provider *p, cr_http_req *q, cr_chat_acc *acc, cr_buf *body, int *attempts,
			   int *retryable, cr_msg *m)
{
	const cr_provider_cfg *c = &p->cfg;
	for (int k = 0;; k++) {
		if (acc) {
			cr_provider_text_fn fn = acc->on_text;
			void *ctx = acc->on_text_ctx;
			const char *who = acc->who;
			cr_chat_acc_release(acc);
			cr_chat_acc_init(acc, who, fn, ctx);
			q->on_event = cr_chat_acc_event;
			q->on_event_ctx = acc;
			q->streamed = &acc->streamed;
		}
		cr_http_res res;
		cr_err e = cr_http_once(q, &res, m);
		if (attempts)
			(*attempts)++;
		if (!e && !q->stream) {
			if (acc)
				e = cr_chat_acc_body(acc, res.body.data ? res.body.data : "", res.body.len, m);
			else if (body) {
				cr_buf_release(body);
				*body = res.body;
				cr_buf_init(&res.body, 0);
			}
		} else if (!e && acc && !acc->done && !acc->finish[0]) {
			res.retryable = !acc->streamed;
			e = cr_fail(m, CR_EUPSTREAM, "%s: the stream ended before its end (%d events, no [DONE])",
				    p->name, acc->n_events);
		}
		cr_buf_release(&res.body);
		if (!e)
			return CR_OK;
		int again = res.retryable && e != CR_ECANCELED;
		if (retryable)
			*retryable = again;
		if (!again || k >= c->max_retries)
			return e;
		double wait = res.retry_after > 0 ? res.retry_after : c->backoff * pow(2, k);
		wait = CR_MIN(wait, c->backoff_max);
		cr_log(CR_LOG_INFO, "%s: %s; retry %d of %d in %.2f s", p->name, m ? m->text : cr_strerror(e), k + 1,
		       c->max_retries, wait);
		cr_err ce = nap(wait, q->cancel);
		if (ce)
			return cr_fail(m, ce, "%s: %s while waiting to retry", p->name,
				       ce == CR_ECANCELED ? "canceled" : "deadline passed");
	}
}

static int put(json_t *o, const char *k, json_t *v)
{
	return !v || json_object_set_new(o, k, v);
}

static cr_err chat_body(cr_provider *p, const cr_provider_msg *msgs, size_t n, const cr_provider_chat_opts *o,
			int stream, char **out, cr_msg *m)
{
	cr_err e = CR_OK;
	json_t *root = json_object(), *arr = json_array();
	if (!root || !arr) {
		json_decref(root);
		json_decref(arr);
		return cr_fail(m, CR_ENOMEM, "%s: out of memory", p->name);
	}
	int bad = put(root, "model", json_string(p->model)) || put(root, "messages", arr);
	for (size_t i = 0; i < n && !bad; i++) {
		if (!msgs[i].role)
			return json_decref(root), cr_fail(m, CR_EINVAL, "%s: message %zu has no role", p->name, i);
		json_t *jm = json_object();
		bad = !jm || json_array_append_new(arr, jm) || put(jm, "role", json_string(msgs[i].role)) ||
		      put(jm, "content", msgs[i].content ? json_string(msgs[i].content) : json_null());
		if (!bad && msgs[i].content && !json_is_string(json_object_get(jm, "content"))) {
			json_decref(root);
			return cr_fail(m, CR_EINVAL, "%s: message %zu is not valid UTF-8", p->name, i);
		}
		if (!bad && msgs[i].tool_call_id)
			bad = put(jm, "tool_call_id", json_string(msgs[i].tool_call_id));
		if (!bad && msgs[i].tool_calls_json) {
			json_t *tc = json_loads(msgs[i].tool_calls_json, 0, NULL);
			if (!json_is_array(tc)) {
				json_decref(tc);
				json_decref(root);
				return cr_fail(m, CR_EINVAL, "%s: message %zu: tool_calls_json is not a JSON array",
					       p->name, i);
			}
			bad = put(jm, "tool_calls", tc);
		}
	}
	if (!bad && o->max_tokens > 0)
		bad = put(root, "max_tokens", json_integer(o->max_tokens));
	if (!bad && o->temperature >= 0)
		bad = put(root, "temperature", json_real(o->temperature));
	if (!bad && o->n_stop) {
		json_t *st = json_array();
		bad = put(root, "stop", st);
		for (size_t i = 0; i < o->n_stop && !bad; i++)
			bad = json_array_append_new(st, json_string(o->stop[i] ? o->stop[i] : ""));
	}
	if (!bad && o->tools_json) {
		json_t *t = json_loads(o->tools_json, 0, NULL);
		if (!json_is_array(t)) {
			json_decref(t);
			json_decref(root);
			return cr_fail(m, CR_EINVAL, "%s: tools is not a JSON array", p->name);
		}
		bad = put(root, "tools", t);
	}
	if (!bad && o->tool_choice) {
		json_t *t = o->tool_choice[0] == '{' ? json_loads(o->tool_choice, 0, NULL) : json_string(o->tool_choice);
		if (!t) {
			json_decref(root);
			return cr_fail(m, CR_EINVAL, "%s: tool_choice is not valid", p->name);
		}
		bad = put(root, "tool_choice", t);
	}
	if (!bad && stream) {
		json_t *so = json_object();
		bad = put(root, "stream", json_true()) || put(root, "stream_options", so) ||
		      put(so, "include_usage", json_true());
	}
	if (!bad && !(*out = json_dumps(root, JSON_COMPACT)))
		bad = 1;
	if (bad)
		e = cr_fail(m, CR_ENOMEM, "%s: cannot build the request", p->name);
	json_decref(root);
	return e;
}

static void base_req(cr_provider *p, cr_http_req *q, const char *url, const cr_cancel *cancel)
{
	memset(q, 0, sizeof *q);
	q->who = p->name;
	q->url = url;
	q->api_key = p->api_key;
	q->connect_timeout = p->cfg.connect_timeout;
	q->read_timeout = p->cfg.read_timeout;
	q->cancel = cancel;
}

cr_err cr_openai_chat(cr_provider *p, const cr_provider_msg *msgs, size_t n, const cr_provider_chat_opts *o,
		      cr_chat_acc *acc, int *attempts, int *retryable, cr_msg *m)
{
	char *body = NULL, *url = url_join(p->url, "chat/completions");
	if (!url)
		return cr_fail(m, CR_ENOMEM, "%s: out of memory", p->name);
	int stream = o->on_text != NULL;
	cr_err e = chat_body(p, msgs, n, o, stream, &body, m);
	if (!e) {
		cr_http_req q;
		base_req(p, &q, url, o->cancel);
		q.body = body;
		q.body_len = strlen(body);
		q.stream = stream;
		e = attempts_run(p, &q, acc, NULL, attempts, retryable, m);
	}
	free(body);
	cr_free(url);
	return e;
}

cr_err cr_openai_embed(cr_provider *p, const char *const *texts, size_t n, cr_arena *a, float **vecs, int *dim,
		       const cr_cancel *cancel, cr_msg *m)
{
	*vecs = NULL;
	*dim = 0;
	json_t *root = json_object(), *in = json_array();
	int bad = !root || !in || put(root, "model", json_string(p->model)) || put(root, "input", in);
	for (size_t i = 0; i < n && !bad; i++)
		bad = json_array_append_new(in, json_string(texts[i] ? texts[i] : ""));
	char *body = bad ? NULL : json_dumps(root, JSON_COMPACT);
	json_decref(root);
	char *url = url_join(p->url, "embeddings");
	cr_buf got;
	cr_buf_init(&got, 0);
	cr_err e = CR_OK;
	json_t *res = NULL;
	if (!body || !url) {
		e = cr_fail(m, CR_ENOMEM, "%s: cannot build the request", p->name);
		goto out;
	}
	cr_http_req q;
	base_req(p, &q, url, cancel);
	q.body = body;
	q.body_len = strlen(body);
	if ((e = attempts_run(p, &q, NULL, &got, NULL, NULL, m)))
		goto out;
	res = json_loadb(got.data ? got.data : "", got.len, 0, NULL);
	json_t *data = json_object_get(res, "data");
	if (!json_is_array(data) || json_array_size(data) != n) {
		e = cr_fail(m, CR_ECORRUPT, "%s: embeddings response without %zu vectors in \"data\"", p->name, n);
		goto out;
	}
	size_t i;
	json_t *d;
	float *out = NULL;
	json_array_foreach(data, i, d)
	{
		json_t *emb = json_object_get(d, "embedding"), *ix = json_object_get(d, "index");
		size_t at = json_is_integer(ix) ? (size_t)json_integer_value(ix) : i;
		if (!json_is_array(emb) || !json_array_size(emb) || at >= n ||
		    (*dim && json_array_size(emb) != (size_t)*dim) || json_array_size(emb) > (1u << 16)) {
			e = cr_fail(m, CR_ECORRUPT, "%s: embedding %zu is malformed", p->name, i);
			goto out;
		}
		if (!*dim) {
			*dim = (int)json_array_size(emb);
			if (!(out = cr_arena_zalloc(a, n * (size_t)*dim * sizeof(float)))) {
				e = cr_fail(m, CR_ENOMEM, "%s: out of memory", p->name);
				goto out;
			}
		}
		size_t k;
		json_t *x;
		json_array_foreach(emb, k, x)
		{
			if (!json_is_number(x)) {
				e = cr_fail(m, CR_ECORRUPT, "%s: embedding %zu holds a non-number", p->name, i);
				goto out;
			}
			out[at * (size_t)*dim + k] = (float)json_number_value(x);
		}
	}
	*vecs = out;
out:
	if (e)
		*dim = 0;
	json_decref(res);
	cr_buf_release(&got);
	free(body);
	cr_free(url);
	return e;
}

cr_err cr_openai_models(cr_provider *p, cr_arena *a, const char ***ids, size_t *n, const cr_cancel *cancel,
			cr_msg *m)
{
	*ids = NULL;
	*n = 0;
	char *url = url_join(p->url, "models");
	if (!url)
		return cr_fail(m, CR_ENOMEM, "%s: out of memory", p->name);
	cr_buf got;
	cr_buf_init(&got, 0);
	cr_http_req q;
	base_req(p, &q, url, cancel);
	cr_err e = attempts_run(p, &q, NULL, &got, NULL, NULL, m);
	json_t *res = NULL;
	if (e)
		goto out;
	res = json_loadb(got.data ? got.data : "", got.len, 0, NULL);
	json_t *data = json_object_get(res, "data");
	if (!json_is_array(data)) {
		e = cr_fail(m, CR_ECORRUPT, "%s: models response without a \"data\" array", p->name);
		goto out;
	}
	const char **v = cr_arena_zalloc(a, (json_array_size(data) + 1) * sizeof *v);
	if (!v) {
		e = cr_fail(m, CR_ENOMEM, "%s: out of memory", p->name);
		goto out;
	}
	size_t i;
	json_t *d;
	json_array_foreach(data, i, d)
	{
		const char *id = json_string_value(json_object_get(d, "id"));
		if (id && !(v[(*n)++] = cr_arena_strdup(a, id))) {
			e = cr_fail(m, CR_ENOMEM, "%s: out of memory", p->name);
			goto out;
		}
	}
	*ids = v;
out:
	json_decref(res);
	cr_buf_release(&got);
	cr_free(url);
	return e;
}
