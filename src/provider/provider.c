/*
 * provider.c — the provider handle and the one chat call over any kind:
 * runs the provider's kind (openai.c, local.c), and when it fails with a
 * retryable error after its own retries, the next provider of the fallback
 * chain, as long as no text has reached the caller. Every provider tried
 * is metered: one usage row (prompt and completion tokens, wall time, cost
 * from its prices per million tokens, ok) in the catalog given by the
 * config, if any; a failure to meter is logged, never fails the call.
 */
#include "provider_int.h"

#include <curl/curl.h>
#include <math.h>
#include <pthread.h>
#include <string.h>

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static CURLcode g_curl = CURLE_FAILED_INIT;

static void global_init(void) { g_curl = curl_global_init(CURL_GLOBAL_DEFAULT); }

cr_err cr_provider_global_init(cr_msg *m)
{
	pthread_once(&g_once, global_init);
	return g_curl == CURLE_OK ? CR_OK : cr_fail(m, CR_EIO, "libcurl: %s", curl_easy_strerror(g_curl));
}

cr_provider_cfg cr_provider_cfg_default(void)
{
	cr_provider_cfg c = {.connect_timeout = 10, .read_timeout = 120, .max_retries = 3, .backoff = 0.5,
			     .backoff_max = 30};
	return c;
}

cr_provider_chat_opts cr_provider_chat_opts_default(void)
{
	cr_provider_chat_opts o = {.temperature = -1};
	return o;
}

void cr_provider_free(cr_provider *p)
{
	if (!p)
		return;
	cr_local_free(p->local);
	cr_pii_free(p->pii);
	if (p->api_key)
		memset(p->api_key, 0, strlen(p->api_key));
	cr_free(p->name);
	cr_free(p->kind);
	cr_free(p->url);
	cr_free(p->model);
	cr_free(p->trust);
	cr_free(p->api_key);
	cr_free(p->model_path);
	cr_free(p);
}

static int dup_or_null(const char *s, char **out)
{
	*out = s ? cr_strdup(s) : NULL;
	return s && !*out;
}

cr_err cr_provider_new(const cr_provider_cfg *c, cr_provider **out, cr_msg *m)
{
	*out = NULL;
	const cr_provider_row *r = c ? c->row : NULL;
	if (!r || !r->name || !*r->name || !r->kind || !r->model)
		return cr_fail(m, CR_EINVAL, "provider: a name, a kind and a model are required");
	int openai = !strcmp(r->kind, "openai"), local = !strcmp(r->kind, "local");
	if (!openai && !local)
		return cr_fail(m, CR_EINVAL, "provider %s: unknown kind '%s'", r->name, r->kind);
	if (openai && (!r->url || !*r->url))
		return cr_fail(m, CR_EINVAL, "provider %s: an openai provider needs a url", r->name);
	if (local && (!c->model_path || !*c->model_path))
		return cr_fail(m, CR_EINVAL, "provider %s: a local provider needs the model's path", r->name);
	if (openai) {
		cr_err e = cr_provider_global_init(m);
		if (e)
			return e;
	}
	cr_provider *p = cr_calloc(1, sizeof *p);
	if (!p)
		return cr_fail(m, CR_ENOMEM, "provider: out of memory");
	p->cfg = *c;
	p->cfg.row = NULL;
	cr_provider_cfg d = cr_provider_cfg_default();
	if (p->cfg.connect_timeout <= 0)
		p->cfg.connect_timeout = d.connect_timeout;
	if (p->cfg.read_timeout <= 0)
		p->cfg.read_timeout = d.read_timeout;
	if (p->cfg.max_retries < 0)
		p->cfg.max_retries = 0;
	if (p->cfg.backoff <= 0)
		p->cfg.backoff = d.backoff;
	if (p->cfg.backoff_max <= 0)
		p->cfg.backoff_max = d.backoff_max;
	p->price_in = r->price_in;
	p->price_out = r->price_out;
	if (dup_or_null(r->name, &p->name) || dup_or_null(r->kind, &p->kind) || dup_or_null(r->url, &p->url) ||
	    dup_or_null(r->model, &p->model) || dup_or_null(r->trust ? r->trust : (local ? "local" : "external"), &p->trust) ||
	    dup_or_null(c->api_key, &p->api_key) || dup_or_null(c->model_path, &p->model_path)) {
		cr_provider_free(p);
		return cr_fail(m, CR_ENOMEM, "provider: out of memory");
	}
	*out = p;
	return CR_OK;
}

const char *cr_provider_name(const cr_provider *p) { return p->name; }
const char *cr_provider_kind(const cr_provider *p) { return p->kind; }
const char *cr_provider_trust(const cr_provider *p) { return p->trust; }
void cr_provider_set_fallback(cr_provider *p, cr_provider *next) { p->fallback = next; }

void cr_provider_reply_release(cr_provider_reply *r)
{
	cr_arena_release(&r->arena);
	memset(r, 0, sizeof *r);
}

static void meter(cr_provider *p, const cr_chat_acc *acc, double ms, int ok)
{
	if (!p->cfg.meter)
		return;
	cr_usage_row u = {
		.provider = p->name,
		.prompt_tokens = acc->prompt_tokens,
		.completion_tokens = acc->completion_tokens,
		.wall_ms = (int64_t)llround(ms),
		.cost = ((double)acc->prompt_tokens * p->price_in + (double)acc->completion_tokens * p->price_out) / 1e6,
		.ok = ok,
	};
	cr_msg mm = {{0}};
	if (cr_store_usage_add(p->cfg.meter, &u, &mm))
		cr_log(CR_LOG_WARN, "%s: usage not recorded: %s", p->name, mm.text);
}

/* The kill-switch (store.h cr_store_provider_suspend): 1 with the reason
 * when the catalog says p is suspended. Without a catalog connection there
 * is nothing to ask; a catalog that cannot answer is taken as "suspended"
 * (a switch that fails open is no switch). */
static int suspended(cr_provider *p, char *reason, size_t cap)
{
	if (!p->cfg.meter)
		return 0;
	cr_msg mm = {{0}};
	if (cr_store_provider_suspended(p->cfg.meter, p->name, reason, cap, &mm)) {
		snprintf(reason, cap, "the catalog cannot say whether it is suspended (%.160s)", mm.text);
		return 1;
	}
	return reason[0] != 0;
}

/* Streamed text passes through here: the switch is read again every
 * quarter second, so a stream to a provider suspended meanwhile is cut. */
typedef struct guard {
	cr_provider *p;
	cr_provider_text_fn fn;
	void *ctx;
	double next;
	int cut;
	char reason[256];
} guard;

static int guarded_text(void *ctx, const char *text, size_t len)
{
	guard *g = ctx;
	double now = cr_now();
	if (now >= g->next) {
		g->next = now + 0.25;
		if (suspended(g->p, g->reason, sizeof g->reason)) {
			g->cut = 1;
			return 1;
		}
	}
	return g->fn(g->ctx, text, len);
}

cr_err cr_provider_chat(cr_provider *p, const cr_provider_msg *msgs, size_t n, const cr_provider_chat_opts *o,
			cr_provider_reply *out, cr_msg *m)
{
	cr_provider_chat_opts def = cr_provider_chat_opts_default();
	if (!o)
		o = &def;
	cr_arena_release(&out->arena);
	memset(out, 0, sizeof *out);
	cr_arena_init(&out->arena, 0);
	if (!n || !msgs)
		return cr_fail(m, CR_EINVAL, "%s: no messages", p->name);
	double t_all = cr_now();
	cr_err e = CR_OK;
	int attempts = 0;
	char why[256];
	for (cr_provider *cur = p; cur; cur = cur->fallback) {
		if (suspended(cur, why, sizeof why)) {
			/* never called: on to an allowed fallback, or fail with the reason */
			if (!e) /* the first refusal says why; a later failure keeps its own */
				e = cr_fail(m, CR_EDENIED, "provider %s is suspended: %s", cur->name, why);
			if (cur->fallback)
				cr_log(CR_LOG_WARN, "%s is suspended (%s); trying %s", cur->name, why, cur->fallback->name);
			continue;
		}
		/* personal data never reaches an external provider: the
		 * messages go redacted, the answer comes back restored */
		cr_redaction red;
		int redact = cr_redaction_wanted(cur);
		const cr_provider_msg *send = msgs;
		cr_provider_text_fn fn = o->on_text;
		void *fn_ctx = o->on_text_ctx;
		if (redact) {
			if ((e = cr_redaction_begin(cur, msgs, n, o, &red, m)))
				break;
			send = red.msgs;
			if (fn) {
				fn = cr_redaction_text;
				fn_ctx = &red;
			}
		}
		guard g = {.p = cur, .fn = fn, .ctx = fn_ctx, .next = cr_now() + 0.25};
		cr_chat_acc acc;
		cr_chat_acc_init(&acc, cur->name, fn ? guarded_text : NULL, fn ? &g : NULL);
		double t0 = cr_now();
		int retryable = 0;
		if (!strcmp(cur->kind, "local")) {
			e = cr_local_chat(cur, send, n, o, &acc, m);
			attempts++;
		} else {
			e = cr_openai_chat(cur, send, n, o, &acc, &attempts, &retryable, m);
		}
		double ms = (cr_now() - t0) * 1e3;
		meter(cur, &acc, ms, !e);
		if (g.cut)
			e = cr_fail(m, CR_EDENIED, "provider %s was suspended while answering (%s): the answer was cut",
				    cur->name, g.reason);
		if (!e && redact && o->on_text && cr_redaction_flush(&red))
			e = cr_fail(m, CR_ECANCELED, "%s: the caller stopped the answer", cur->name);
		size_t streamed = acc.streamed;
		if (!e) {
			e = cr_chat_acc_reply(&acc, out);
			if (!e && redact)
				e = cr_redaction_restore_reply(&red, out);
			cr_chat_acc_release(&acc);
			if (redact)
				cr_redaction_end(&red);
			if (e)
				return cr_fail(m, e, "%s: out of memory", cur->name);
			out->provider = cur->name;
			out->attempts = attempts;
			out->wall_ms = (cr_now() - t_all) * 1e3;
			return CR_OK;
		}
		cr_chat_acc_release(&acc);
		if (redact)
			cr_redaction_end(&red);
		if (!retryable || streamed || !cur->fallback)
			break;
		cr_log(CR_LOG_WARN, "%s failed (%s); trying %s", cur->name, m ? m->text : cr_strerror(e),
		       cur->fallback->name);
	}
	out->attempts = attempts;
	out->wall_ms = (cr_now() - t_all) * 1e3;
	return e;
}

cr_err cr_provider_embed(cr_provider *p, const char *const *texts, size_t n, cr_arena *a, float **vecs, int *dim,
			 const cr_cancel *cancel, cr_msg *m)
{
	*vecs = NULL;
	*dim = 0;
	if (!n)
		return cr_fail(m, CR_EINVAL, "%s: no texts to embed", p->name);
	char why[256];
	if (suspended(p, why, sizeof why))
		return cr_fail(m, CR_EDENIED, "provider %s is suspended: %s", p->name, why);
	if (!strcmp(p->kind, "local"))
		return cr_local_embed(p, texts, n, a, vecs, dim, cancel, m);
	if (!cr_redaction_wanted(p))
		return cr_openai_embed(p, texts, n, a, vecs, dim, cancel, m);
	/* texts to embed are personal data too: they go redacted */
	cr_arena tmp;
	cr_arena_init(&tmp, 0);
	const char *const *red;
	cr_err e = cr_redaction_texts(p, texts, n, &tmp, &red, m);
	if (!e)
		e = cr_openai_embed(p, red, n, a, vecs, dim, cancel, m);
	cr_arena_release(&tmp);
	return e;
}

cr_err cr_provider_models(cr_provider *p, cr_arena *a, const char ***ids, size_t *n, const cr_cancel *cancel,
			  cr_msg *m)
{
	if (!strcmp(p->kind, "openai"))
		return cr_openai_models(p, a, ids, n, cancel, m);
	const char **v = cr_arena_zalloc(a, 2 * sizeof *v);
	if (!v || !(v[0] = cr_arena_strdup(a, p->model)))
		return cr_fail(m, CR_ENOMEM, "%s: out of memory", p->name);
	*ids = v;
	*n = 1;
	return CR_OK;
}
