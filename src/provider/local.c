/*
 * local.c — the local kind: the engine as a provider. A model file is loaded
 * once per process and shared by every local provider naming it (an
 * engine, refcounted, kept while any provider holds it): generation models
 * get one continuous-batching scheduler (llm.h cr_sched_*) with
 * cfg.n_parallel slots, so concurrent chats — the server's threads each
 * hold their own provider — are decoded together, one forward pass per
 * token for all of them, on a pool of its own (cfg.pool's size, or every
 * core). Each provider keeps its own generation session (sampler, grammar),
 * and a conversation whose system prompt and earlier turns repeat only pays
 * for its new tokens (the scheduler keeps a slot's cache and copies a
 * prefix another slot holds). Messages go through the model's own chat
 * template (cr_gen_chat_tokens; chatml for a model that has none). Tool
 * calls are decoded under each tool's JSON Schema (local_tools.c). Embedding
 * models share the loaded model; each provider has its own context.
 */
#include "provider_int.h"

#include "cristal/llm.h"

#include <pthread.h>
#include <string.h>

/* One loaded model (and scheduler) per file, context size and slot count. */
typedef struct engine {
	char *path;
	int n_ctx, n_par, threads;
	cr_model *md;
	cr_pool *pool;
	cr_sched *sched;      /* generation models */
	int refs;
	struct engine *next;
} engine;

static pthread_mutex_t engines_mu = PTHREAD_MUTEX_INITIALIZER;
static engine *engines;

static void engine_free(engine *e)
{
	cr_sched_free(e->sched);
	cr_pool_free(e->pool);
	cr_model_free(e->md);
	cr_free(e->path);
	cr_free(e);
}

static cr_err engine_get(const char *path, int n_ctx, int n_par, int threads, engine **out, cr_msg *m)
{
	cr_err err = CR_OK;
	pthread_mutex_lock(&engines_mu);
	engine *e;
	for (e = engines; e; e = e->next)
		if (!strcmp(e->path, path) && e->n_ctx == n_ctx && e->n_par == n_par && e->threads == threads)
			break;
	if (!e) {
		e = cr_calloc(1, sizeof *e);
		if (!e || !(e->path = cr_strdup(path))) {
			cr_free(e);
			err = cr_fail(m, CR_ENOMEM, "local: out of memory");
			goto out;
		}
		e->n_ctx = n_ctx;
		e->n_par = n_par;
		e->threads = threads;
		if ((err = cr_model_load(path, &e->md, m)))
			goto fail;
		if (!cr_model_get_info(e->md)->is_embedding) {
			if (threads > 1 && (err = cr_pool_new(threads, &e->pool))) {
				cr_fail(m, err, "local: cannot start %d threads", threads);
				goto fail;
			}
			if ((err = cr_sched_new(e->md, n_par, n_ctx, e->pool, &e->sched, m)))
				goto fail;
		}
		e->next = engines;
		engines = e;
	}
	e->refs++;
	*out = e;
	goto out;
fail:
	engine_free(e);
out:
	pthread_mutex_unlock(&engines_mu);
	return err;
}

static void engine_put(engine *e)
{
	if (!e)
		return;
	pthread_mutex_lock(&engines_mu);
	int last = --e->refs == 0;
	if (last)
		for (engine **pp = &engines; *pp; pp = &(*pp)->next)
			if (*pp == e) {
				*pp = e->next;
				break;
			}
	pthread_mutex_unlock(&engines_mu);
	if (last)
		engine_free(e);
}

struct cr_local {
	engine *eng;
	cr_model *md;         /* the engine's */
	cr_gen *gen;          /* generation models: a session on the engine's scheduler */
	cr_ctx *emb;          /* embedding models: one context of n_ctx_train positions */
	float temp;           /* the sampler's temperature now */
	cr_buf ids;
};

void cr_local_free(struct cr_local *l)
{
	if (!l)
		return;
	cr_gen_free(l->gen);
	cr_ctx_free(l->emb);
	engine_put(l->eng);
	cr_buf_release(&l->ids);
	cr_free(l);
}

static cr_err local_open(cr_provider *p, cr_msg *m)
{
	if (p->local)
		return CR_OK;
	struct cr_local *l = cr_calloc(1, sizeof *l);
	if (!l)
		return cr_fail(m, CR_ENOMEM, "%s: out of memory", p->name);
	cr_buf_init(&l->ids, 0);
	int threads = p->cfg.pool ? cr_pool_threads(p->cfg.pool) : cr_ncpu();
	int n_par = p->cfg.n_parallel > 0 ? p->cfg.n_parallel : 8;
	cr_err e = engine_get(p->model_path, p->cfg.n_ctx, n_par, threads, &l->eng, m);
	if (!e)
		l->md = l->eng->md;
	const cr_model_info *in = e ? NULL : cr_model_get_info(l->md);
	if (in && in->is_embedding) {
		e = cr_ctx_new(l->md, in->n_ctx_train > 0 ? in->n_ctx_train : 512, p->cfg.pool, &l->emb, m);
	} else if (!e) {
		cr_gen_opts go = cr_gen_opts_default();
		go.sched = l->eng->sched;
		l->temp = go.sampler.temp;
		e = cr_gen_new(l->md, &go, &l->gen, m);
	}
	if (e) {
		cr_local_free(l);
		return e;
	}
	p->local = l;
	return CR_OK;
}


static int on_text(void *ctx, const char *t, size_t n)
{
	cr_chat_acc *acc = ctx;
	acc->streamed += n;
	return acc->on_text(acc->on_text_ctx, t, n);
}

cr_err cr_local_chat(cr_provider *p, const cr_provider_msg *msgs, size_t n, const cr_provider_chat_opts *o,
		     cr_chat_acc *acc, cr_msg *m)
{
	double t0 = cr_now();
	int loaded = p->local != NULL;
	cr_err e = local_open(p, m);
	if (e)
		return e;
	acc->load_ms = loaded ? 0.0 : (cr_now() - t0) * 1e3;
	struct cr_local *l = p->local;
	if (!l->gen)
		return cr_fail(m, CR_EUNSUPPORTED, "%s: %s is an embedding model (no chat)", p->name, p->model);
	if (o->tools_json && !(o->tool_choice && !strcmp(o->tool_choice, "none")))
		return cr_local_chat_tools(p, l->md, l->gen, msgs, n, o, acc, m);
	float temp = o->temperature >= 0 ? (float)o->temperature : cr_sampler_opts_default().temp;
	if (temp != l->temp) {
		cr_sampler_opts so = cr_sampler_opts_default();
		so.temp = temp;
		if ((e = cr_gen_set_sampler(l->gen, &so)))
			return cr_fail(m, e, "%s: cannot set the sampler", p->name);
		l->temp = temp;
	}
	cr_chat_msg *cm = cr_calloc(n ? n : 1, sizeof *cm);
	if (!cm)
		return cr_fail(m, CR_ENOMEM, "%s: out of memory", p->name);
	for (size_t i = 0; i < n; i++) {
		cm[i].role = msgs[i].role ? msgs[i].role : "user";
		cm[i].content = msgs[i].content ? msgs[i].content : "";
	}
	cr_buf_reset(&l->ids);
	/* the model's own template; a model without one gets chatml */
	const char *tmpl = cr_model_get_info(l->md)->chat_template ? NULL : "chatml";
	e = cr_gen_chat_tokens(l->md, tmpl, cm, n, &l->ids, m);
	cr_free(cm);
	if (e)
		return e;
	cr_gen_params gp = {
		.max_tokens = o->max_tokens > 0 ? o->max_tokens : 512,
		.stop = o->stop,
		.n_stop = o->n_stop,
		.cancel = o->cancel,
		.on_text = o->on_text ? on_text : NULL,
		.on_text_ctx = acc,
	};
	cr_gen_result r;
	memset(&r, 0, sizeof r);
	double t1 = cr_now();
	e = cr_gen_turn(l->gen, (const cr_token_id *)l->ids.data, (int)(l->ids.len / sizeof(cr_token_id)), &gp, &r,
			m);
	acc->prompt_tokens = r.n_prompt;
	acc->prompt_cached = r.n_reused;
	acc->prompt_ms = r.prompt_seconds * 1e3;
	if (r.first_token_seconds > 0)
		acc->first_token_ms = (t1 - t0 + r.first_token_seconds) * 1e3;
	acc->completion_tokens = r.n_tokens;
	if (e)
		return e;
	if (r.text && r.len && cr_buf_add(&acc->text, r.text, r.len))
		return cr_fail(m, CR_ETOOBIG, "%s: answer too long", p->name);
	const char *fin = r.stop == CR_GEN_STOP_EOS || r.stop == CR_GEN_STOP_STRING ? "stop"
			  : r.stop == CR_GEN_STOP_LENGTH || r.stop == CR_GEN_STOP_CTX ? "length"
										  : cr_gen_stop_name(r.stop);
	snprintf(acc->finish, sizeof acc->finish, "%s", fin);
	acc->done = 1;
	cr_log(CR_LOG_DEBUG, "%s: %d prompt tokens (%d reused), %d generated", p->name, r.n_prompt, r.n_reused,
	       r.n_tokens);
	return CR_OK;
}

cr_err cr_local_embed(cr_provider *p, const char *const *texts, size_t n, cr_arena *a, float **vecs, int *dim,
		      const cr_cancel *cancel, cr_msg *m)
{
	cr_err e = local_open(p, m);
	if (e)
		return e;
	struct cr_local *l = p->local;
	if (!l->emb)
		return cr_fail(m, CR_EUNSUPPORTED, "%s: %s is not an embedding model", p->name, p->model);
	const cr_model_info *in = cr_model_get_info(l->md);
	int d = in->n_embd, max = in->n_ctx_train > 0 ? in->n_ctx_train : 512;
	float *out = cr_arena_zalloc(a, n * (size_t)d * sizeof(float));
	if (!out)
		return cr_fail(m, CR_ENOMEM, "%s: out of memory", p->name);
	for (size_t i = 0; i < n; i++) {
		if ((e = cr_cancel_check(cancel)))
			return cr_fail(m, e, "%s: %s", p->name, cr_strerror(e));
		cr_buf_reset(&l->ids);
		const char *t = texts[i] ? texts[i] : "";
		if ((e = cr_tok_encode(cr_model_tok(l->md), t, strlen(t), CR_TOK_ADD_BOS, &l->ids)))
			return cr_fail(m, e, "%s: cannot tokenize text %zu", p->name, i);
		int nt = (int)(l->ids.len / sizeof(cr_token_id));
		if (nt > max)
			nt = max; /* the model's window: the text's head */
		cr_ctx_truncate(l->emb, 0);
		if ((e = cr_ctx_embed(l->emb, (const cr_token_id *)l->ids.data, nt, out + i * (size_t)d, m)))
			return e;
	}
	*vecs = out;
	*dim = d;
	return CR_OK;
}
