/*
 * model.c — loading and validating a model, inference contexts, and the
 * graph pieces every architecture shares (norms, RoPE, attention).
 *
 * cr_model_load reads general.architecture, then the <arch>.* hyperparameter
 * keys, then looks up every tensor the architecture needs and checks its
 * presence, shape and type; a missing or malformed one fails with a message
 * naming it. Weight matrices stay in the GGUF mapping; 1-D vectors (norms,
 * biases) are converted to float into the model's arena.
 *
 * Supported: llama (Llama 2/3, Mistral, TinyLlama: RoPE on adjacent pairs,
 * optional rope_freqs and linear scaling), qwen2 (Q/K/V biases, NeoX RoPE,
 * output tied to token_embd when output.weight is absent), qwen3 (as qwen2
 * without biases, plus per-head RMSNorm of Q and K), bert (encoder; see
 * arch_bert.c). Weight types: whatever cr_matmul handles (F32, F16, BF16,
 * Q4_0, Q8_0, Q4_K, Q5_K, Q6_K).
 *
 * Costs: attention is O(n_kv × head_dim) per query and head, spread over the
 * pool by head; norms and RoPE are single-threaded O(n_embd) per token.
 */
#include "model_int.h"
#include "gguf_int.h"
#include "cpu/quant.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* ---- metadata helpers -------------------------------------------------- */

static cr_err key_i(const cr_gguf *g, const char *arch, const char *key, int required, int64_t def,
		    int64_t *out, cr_msg *m)
{
	char full[160];
	snprintf(full, sizeof full, "%s.%s", arch, key);
	cr_err e = cr_gguf_get_i64(g, full, out);
	if (e == CR_ENOTFOUND && !required) {
		*out = def;
		return CR_OK;
	}
	if (e == CR_ENOTFOUND)
		return cr_fail(m, CR_ECORRUPT, "model: missing key %s", full);
	if (e)
		return cr_fail(m, CR_ECORRUPT, "model: key %s is not an integer", full);
	return CR_OK;
}

static cr_err key_f(const cr_gguf *g, const char *arch, const char *key, double def, double *out,
		    cr_msg *m)
{
	char full[160];
	snprintf(full, sizeof full, "%s.%s", arch, key);
	cr_err e = cr_gguf_get_f64(g, full, out);
	if (e == CR_ENOTFOUND) {
		*out = def;
		return CR_OK;
	}
	if (e)
		return cr_fail(m, CR_ECORRUPT, "model: key %s is not a number", full);
	return CR_OK;
}

static int matmul_type_ok(cr_ttype t)
{
	switch (t) {
	case CR_TT_F32: case CR_TT_F16: case CR_TT_BF16: case CR_TT_Q4_0: case CR_TT_Q8_0:
	case CR_TT_Q4_K: case CR_TT_Q5_K: case CR_TT_Q6_K:
		return 1;
	default:
		return 0;
	}
}

/* A 2-D weight: ne0 × ne1 (ne1 = 0: any, taken from the file). */
static cr_err get_wt(cr_model *md, const char *name, int required, int64_t ne0, int64_t ne1,
		     cr_wt *out, cr_msg *m)
{
	memset(out, 0, sizeof *out);
	const cr_gguf_tensor *t = cr_gguf_tensor_find(md->g, name);
	if (!t) {
		if (required)
			return cr_fail(m, CR_ECORRUPT, "model: missing tensor %s", name);
		return CR_OK;
	}
	int64_t n1 = t->n_dims >= 2 ? t->ne[1] : 1;
	if (t->n_dims > 2 || (t->n_dims == 2 && (t->ne[2] > 1 || t->ne[3] > 1)) || t->ne[0] != ne0 ||
	    (ne1 && n1 != ne1))
		return cr_fail(m, CR_ECORRUPT,
			       "model: tensor %s has shape [%lld, %lld], expected [%lld, %lld]", name,
			       (long long)t->ne[0], (long long)n1, (long long)ne0, (long long)ne1);
	if (!matmul_type_ok(t->type))
		return cr_fail(m, CR_EUNSUPPORTED, "model: tensor %s has unsupported type %s", name,
			       cr_ttype_name(t->type) ? cr_ttype_name(t->type) : "?");
	size_t rb = cr_ttype_row_bytes(t->type, t->ne[0]);
	if (!rb || rb * (size_t)n1 > t->bytes)
		return cr_fail(m, CR_ECORRUPT, "model: tensor %s: size does not match its shape", name);
	out->data = t->data;
	out->type = t->type;
	out->ne0 = t->ne[0];
	out->ne1 = n1;
	out->row_bytes = rb;
	return CR_OK;
}

/* A 1-D vector of n elements, converted to float in the model's arena. */
static cr_err get_vec(cr_model *md, const char *name, int required, int64_t n, const float **out,
		      cr_msg *m)
{
	*out = NULL;
	const cr_gguf_tensor *t = cr_gguf_tensor_find(md->g, name);
	if (!t) {
		if (required)
			return cr_fail(m, CR_ECORRUPT, "model: missing tensor %s", name);
		return CR_OK;
	}
	int64_t total = t->ne[0];
	for (uint32_t d = 1; d < t->n_dims; d++)
		total *= t->ne[d];
	if (t->ne[0] != n || total != n)
		return cr_fail(m, CR_ECORRUPT, "model: tensor %s has %lld elements, expected %lld",
			       name, (long long)total, (long long)n);
	if (t->type != CR_TT_F32 && t->type != CR_TT_F16 && t->type != CR_TT_BF16)
		return cr_fail(m, CR_EUNSUPPORTED, "model: vector %s has unsupported type %s", name,
			       cr_ttype_name(t->type) ? cr_ttype_name(t->type) : "?");
	size_t rb = cr_ttype_row_bytes(t->type, n);
	if (!rb || rb > t->bytes)
		return cr_fail(m, CR_ECORRUPT, "model: tensor %s: size does not match its shape", name);
	float *v = cr_arena_alloc(&md->arena, (size_t)n * sizeof(float));
	if (!v)
		return cr_fail(m, CR_ENOMEM, "model: out of memory for %s", name);
	cr_dequant_row(t->type, t->data, v, n);
	*out = v;
	return CR_OK;
}

static cr_err blk_wt(cr_model *md, int il, const char *what, int required, int64_t ne0, int64_t ne1,
		     cr_wt *out, cr_msg *m)
{
	char name[128];
	snprintf(name, sizeof name, "blk.%d.%s.weight", il, what);
	return get_wt(md, name, required, ne0, ne1, out, m);
}

static cr_err blk_vec(cr_model *md, int il, const char *what, const char *suffix, int required,
		      int64_t n, const float **out, cr_msg *m)
{
	char name[128];
	snprintf(name, sizeof name, "blk.%d.%s.%s", il, what, suffix);
	return get_vec(md, name, required, n, out, m);
}

static char *gguf_strdup(const cr_gguf *g, const char *key)
{
	cr_gguf_str s;
	if (cr_gguf_get_str(g, key, &s))
		return NULL;
	return cr_strndup(s.p, (size_t)s.n);
}

/* ---- loading ----------------------------------------------------------- */

static cr_err load_hparams(cr_model *md, const char *arch, cr_msg *m)
{
	cr_hparams *hp = &md->hp;
	const cr_gguf *g = md->g;
	int64_t v;
	double f;
	cr_err e;
#define GETI(key, req, def, dst)                                   \
	do {                                                       \
		if ((e = key_i(g, arch, key, req, def, &v, m)))    \
			return e;                                  \
		if (v < 0 || v > (1 << 30))                        \
			return cr_fail(m, CR_ECORRUPT, "model: %s.%s out of range", arch, key); \
		dst = (int)v;                                      \
	} while (0)
	GETI("block_count", 1, 0, hp->n_layer);
	GETI("embedding_length", 1, 0, hp->n_embd);
	GETI("feed_forward_length", 1, 0, hp->n_ff);
	GETI("attention.head_count", 1, 0, hp->n_head);
	GETI("attention.head_count_kv", 0, hp->n_head, hp->n_head_kv);
	GETI("context_length", 0, 2048, hp->n_ctx_train);
	if (hp->n_ctx_train < 1)
		hp->n_ctx_train = 2048;
	if (hp->n_layer < 1 || hp->n_embd < 1 || hp->n_ff < 1 || hp->n_head < 1 || hp->n_head_kv < 1 ||
	    hp->n_head % hp->n_head_kv)
		return cr_fail(m, CR_ECORRUPT,
			       "model: inconsistent hyperparameters (layers %d, embd %d, ff %d, heads %d/%d)",
			       hp->n_layer, hp->n_embd, hp->n_ff, hp->n_head, hp->n_head_kv);
	int def_hd = hp->n_embd / hp->n_head;
	GETI("attention.key_length", 0, def_hd, hp->head_dim);
	GETI("attention.value_length", 0, hp->head_dim, hp->head_dim_v);
	GETI("rope.dimension_count", 0, hp->head_dim, hp->n_rot);
	if (hp->head_dim < 1 || hp->head_dim_v != hp->head_dim || hp->n_rot > hp->head_dim ||
	    hp->n_rot % 2 || hp->head_dim > 1024)
		return cr_fail(m, CR_EUNSUPPORTED,
			       "model: unsupported head sizes (key %d, value %d, rope %d)",
			       hp->head_dim, hp->head_dim_v, hp->n_rot);
	if (md->arch == CR_ARCH_BERT) {
		if ((e = key_f(g, arch, "attention.layer_norm_epsilon", 1e-12, &f, m)))
			return e;
	} else {
		if ((e = key_f(g, arch, "attention.layer_norm_rms_epsilon", 1e-5, &f, m)))
			return e;
	}
	hp->eps = (float)f;
	if ((e = key_f(g, arch, "rope.freq_base", 10000.0, &f, m)))
		return e;
	hp->rope_base = (float)f;
	hp->rope_freq_scale = 1.0f;
	char full[128];
	snprintf(full, sizeof full, "%s.rope.scaling.type", arch);
	cr_gguf_str st = {0};
	int scaled = 0;
	if (cr_gguf_get_str(g, full, &st) == CR_OK) {
		if (st.n == 6 && !memcmp(st.p, "linear", 6))
			scaled = 1;
		else if (st.n == 4 && !memcmp(st.p, "yarn", 4))
			scaled = hp->yarn = 1;
		else if (!(st.n == 4 && !memcmp(st.p, "none", 4)))
			cr_log(CR_LOG_WARN, "model: rope scaling '%.*s' not applied (positions beyond "
					    "the training context will degrade)", (int)st.n, st.p);
	}
	if ((e = key_f(g, arch, "rope.scaling.factor", 0.0, &f, m)))
		return e;
	if (f <= 0) {
		if ((e = key_f(g, arch, "rope.scale_linear", 0.0, &f, m)))
			return e;
		if (f > 0)
			scaled = 1;
	}
	if (scaled && f > 0)
		hp->rope_freq_scale = (float)(1.0 / f);
	if (hp->yarn) {
		/* GGML's correction dims: the pair index i whose wavelength
		 * turns beta times over the original context,
		 * n_rot·ln(n_orig / (2π·beta)) / (2·ln base), for beta 32 and 1 */
		double n_orig, attn;
		if ((e = key_f(g, arch, "rope.scaling.original_context_length", hp->n_ctx_train, &n_orig, m)) ||
		    (e = key_f(g, arch, "rope.scaling.attn_factor", 1.0, &attn, m)))
			return e;
		double nd = hp->n_rot, base = hp->rope_base;
#define CORR_DIM(beta) (nd * log(n_orig / ((beta) * 2 * M_PI)) / (2 * log(base)))
		hp->yarn_lo = (float)CR_MAX(0.0, floor(CORR_DIM(32.0)));
		hp->yarn_hi = (float)CR_MIN(nd - 1, ceil(CORR_DIM(1.0)));
#undef CORR_DIM
		hp->yarn_mscale = (float)(attn * (1.0 + 0.1 * log(1.0 / hp->rope_freq_scale)));
	}
	hp->rope_type = md->arch == CR_ARCH_LLAMA ? CR_ROPE_NORM : CR_ROPE_NEOX;
	hp->causal = md->arch != CR_ARCH_BERT;
	if (md->arch == CR_ARCH_BERT) {
		GETI("pooling_type", 0, CR_POOL_MEAN, hp->pooling);
		if (hp->pooling != CR_POOL_MEAN && hp->pooling != CR_POOL_CLS)
			return cr_fail(m, CR_EUNSUPPORTED,
				       "model: bert pooling type %d (only mean=1 and cls=2)", hp->pooling);
	}
#undef GETI
	return CR_OK;
}

static cr_err load_tensors(cr_model *md, cr_msg *m)
{
	cr_hparams *hp = &md->hp;
	const int E = hp->n_embd, HD = hp->head_dim, F = hp->n_ff;
	const int64_t nq = (int64_t)hp->n_head * HD, nkv = (int64_t)hp->n_head_kv * HD;
	cr_err e;
	if ((e = get_wt(md, "token_embd.weight", 1, E, 0, &md->tok_embd, m)))
		return e;
	hp->n_vocab = (int)md->tok_embd.ne1;
	if (hp->n_vocab < 1)
		return cr_fail(m, CR_ECORRUPT, "model: empty vocabulary");
	if ((size_t)hp->n_layer > cr_gguf_n_tensors(md->g)) /* before allocating per layer */
		return cr_fail(m, CR_ECORRUPT, "model: block_count %d exceeds the file's %zu tensors",
			       hp->n_layer, cr_gguf_n_tensors(md->g));
	md->layers = cr_calloc((size_t)hp->n_layer, sizeof(cr_layer));
	if (!md->layers)
		return CR_ENOMEM;
	if (md->arch == CR_ARCH_BERT) {
		if ((e = get_wt(md, "position_embd.weight", 1, E, 0, &md->pos_embd, m)) ||
		    (e = get_wt(md, "token_types.weight", 0, E, 0, &md->type_embd, m)) ||
		    (e = get_vec(md, "token_embd_norm.weight", 1, E, &md->embd_norm, m)) ||
		    (e = get_vec(md, "token_embd_norm.bias", 1, E, &md->embd_norm_b, m)))
			return e;
		if (hp->n_ctx_train > md->pos_embd.ne1)
			hp->n_ctx_train = (int)md->pos_embd.ne1;
		for (int il = 0; il < hp->n_layer; il++) {
			cr_layer *L = &md->layers[il];
			if ((e = blk_wt(md, il, "attn_q", 1, E, nq, &L->wq, m)) ||
			    (e = blk_wt(md, il, "attn_k", 1, E, nkv, &L->wk, m)) ||
			    (e = blk_wt(md, il, "attn_v", 1, E, nkv, &L->wv, m)) ||
			    (e = blk_wt(md, il, "attn_output", 1, nq, E, &L->wo, m)) ||
			    (e = blk_vec(md, il, "attn_q", "bias", 1, nq, &L->bq, m)) ||
			    (e = blk_vec(md, il, "attn_k", "bias", 1, nkv, &L->bk, m)) ||
			    (e = blk_vec(md, il, "attn_v", "bias", 1, nkv, &L->bv, m)) ||
			    (e = blk_vec(md, il, "attn_output", "bias", 1, E, &L->bo, m)) ||
			    (e = blk_vec(md, il, "attn_output_norm", "weight", 1, E, &L->attn_out_norm, m)) ||
			    (e = blk_vec(md, il, "attn_output_norm", "bias", 1, E, &L->attn_out_norm_b, m)) ||
			    (e = blk_wt(md, il, "ffn_up", 1, E, F, &L->ffn_up, m)) ||
			    (e = blk_vec(md, il, "ffn_up", "bias", 1, F, &L->b_up, m)) ||
			    (e = blk_wt(md, il, "ffn_down", 1, F, E, &L->ffn_down, m)) ||
			    (e = blk_vec(md, il, "ffn_down", "bias", 1, E, &L->b_down, m)) ||
			    (e = blk_vec(md, il, "layer_output_norm", "weight", 1, E, &L->out_norm, m)) ||
			    (e = blk_vec(md, il, "layer_output_norm", "bias", 1, E, &L->out_norm_b, m)))
				return e;
		}
		if (cr_gguf_tensor_find(md->g, "blk.0.ffn_gate.weight"))
			return cr_fail(m, CR_EUNSUPPORTED, "model: bert with a gated FFN is not supported");
		return CR_OK;
	}
	if ((e = get_vec(md, "output_norm.weight", 1, E, &md->output_norm, m)) ||
	    (e = get_wt(md, "output.weight", 0, E, hp->n_vocab, &md->output, m)))
		return e;
	if (!md->output.data)
		md->output = md->tok_embd; /* tied */
	if ((e = get_vec(md, "rope_freqs.weight", 0, hp->n_rot / 2, &md->rope_freqs, m)))
		return e;
	int bias = md->arch == CR_ARCH_QWEN2;
	for (int il = 0; il < hp->n_layer; il++) {
		cr_layer *L = &md->layers[il];
		if ((e = blk_vec(md, il, "attn_norm", "weight", 1, E, &L->attn_norm, m)) ||
		    (e = blk_wt(md, il, "attn_q", 1, E, nq, &L->wq, m)) ||
		    (e = blk_wt(md, il, "attn_k", 1, E, nkv, &L->wk, m)) ||
		    (e = blk_wt(md, il, "attn_v", 1, E, nkv, &L->wv, m)) ||
		    (e = blk_wt(md, il, "attn_output", 1, nq, E, &L->wo, m)) ||
		    (e = blk_vec(md, il, "attn_q", "bias", bias, nq, &L->bq, m)) ||
		    (e = blk_vec(md, il, "attn_k", "bias", bias, nkv, &L->bk, m)) ||
		    (e = blk_vec(md, il, "attn_v", "bias", bias, nkv, &L->bv, m)) ||
		    (e = blk_vec(md, il, "attn_output", "bias", 0, E, &L->bo, m)) ||
		    (e = blk_vec(md, il, "ffn_norm", "weight", 1, E, &L->ffn_norm, m)) ||
		    (e = blk_wt(md, il, "ffn_gate", 1, E, F, &L->ffn_gate, m)) ||
		    (e = blk_wt(md, il, "ffn_up", 1, E, F, &L->ffn_up, m)) ||
		    (e = blk_wt(md, il, "ffn_down", 1, F, E, &L->ffn_down, m)))
			return e;
		if (md->arch == CR_ARCH_QWEN3 &&
		    ((e = blk_vec(md, il, "attn_q_norm", "weight", 1, HD, &L->q_norm, m)) ||
		     (e = blk_vec(md, il, "attn_k_norm", "weight", 1, HD, &L->k_norm, m))))
			return e;
	}
	return CR_OK;
}

static void fill_info(cr_model *md)
{
	cr_model_info *in = &md->info;
	const cr_hparams *hp = &md->hp;
	size_t bytes_by_type[CR_TT__COUNT] = {0};
	int64_t n_params = 0;
	for (size_t i = 0; i < cr_gguf_n_tensors(md->g); i++) {
		const cr_gguf_tensor *t = cr_gguf_tensor_at(md->g, i);
		int64_t ne = 1;
		for (uint32_t d = 0; d < t->n_dims; d++)
			ne *= t->ne[d];
		n_params += ne;
		if (t->n_dims >= 2 && (int)t->type >= 0 && t->type < CR_TT__COUNT)
			bytes_by_type[t->type] += t->bytes;
	}
	int best = 0;
	for (int t = 1; t < CR_TT__COUNT; t++)
		if (bytes_by_type[t] > bytes_by_type[best])
			best = t;
	in->n_params = n_params;
	in->main_type = (cr_ttype)best;
	in->n_layer = hp->n_layer;
	in->n_embd = hp->n_embd;
	in->n_head = hp->n_head;
	in->n_head_kv = hp->n_head_kv;
	in->n_ff = hp->n_ff;
	in->n_vocab = hp->n_vocab;
	in->n_ctx_train = hp->n_ctx_train;
	in->is_embedding = md->arch == CR_ARCH_BERT;
	in->name = md->name ? md->name : "";
	in->chat_template = md->chat_template;
}

cr_err cr_model_load(const char *path, cr_model **out, cr_msg *m)
{
	*out = NULL;
	cr_gguf *g = NULL;
	cr_err e = cr_gguf_open(path, &g, m);
	if (e)
		return e;
	return cr_model_load_gguf(g, out, m);
}

cr_err cr_model_load_gguf(cr_gguf *g, cr_model **out, cr_msg *m)
{
	*out = NULL;
	cr_model *md = cr_calloc(1, sizeof *md);
	if (!md) {
		cr_gguf_free(g);
		return CR_ENOMEM;
	}
	cr_arena_init(&md->arena, 0);
	pthread_mutex_init(&md->load_mu, NULL);
	md->g = g;
	cr_err e;
	cr_gguf_str a;
	if (cr_gguf_get_str(md->g, "general.architecture", &a)) {
		e = cr_fail(m, CR_ECORRUPT, "model: no general.architecture key");
		goto fail;
	}
	static const struct { const char *name; cr_arch arch; } archs[] = {
		{"llama", CR_ARCH_LLAMA}, {"qwen2", CR_ARCH_QWEN2}, {"qwen3", CR_ARCH_QWEN3},
		{"bert", CR_ARCH_BERT},
	};
	const char *arch = NULL;
	for (size_t i = 0; i < CR_ARRAY_LEN(archs); i++)
		if (strlen(archs[i].name) == a.n && !memcmp(archs[i].name, a.p, a.n)) {
			arch = archs[i].name;
			md->arch = archs[i].arch;
		}
	if (!arch) {
		e = cr_fail(m, CR_EUNSUPPORTED, "model: architecture '%.*s' is not supported "
				"(llama, qwen2, qwen3, bert)", (int)CR_MIN(a.n, 64), a.p);
		goto fail;
	}
	md->info.arch = arch;
	if ((e = load_hparams(md, arch, m)) || (e = load_tensors(md, m)))
		goto fail;
	if ((e = cr_tok_new(md->g, &md->tok, m)))
		goto fail;
	int nv = cr_tok_n_vocab(md->tok);
	if (nv < 1 || nv > md->hp.n_vocab) {
		e = cr_fail(m, CR_ECORRUPT, "model: tokenizer has %d tokens but token_embd has %d rows",
			    nv, md->hp.n_vocab);
		goto fail;
	}
	md->name = gguf_strdup(md->g, "general.name");
	md->chat_template = gguf_strdup(md->g, "tokenizer.chat_template");
	fill_info(md);
	*out = md;
	return CR_OK;
fail:
	cr_model_free(md);
	return e;
}

void cr_model_set_keep_mapped(cr_model *md, int keep)
{
	pthread_mutex_lock(&md->load_mu);
	md->g->keep_mapped = keep;
	pthread_mutex_unlock(&md->load_mu);
}

void cr_model_free(cr_model *md)
{
	if (!md)
		return;
	cr_tok_free(md->tok);
	cr_gguf_free(md->g);
	cr_free(md->layers);
	cr_free(md->name);
	cr_free(md->chat_template);
	cr_arena_release(&md->arena);
	if (md->x16_mem)
		munmap(md->x16_mem, md->x16_len);
	pthread_mutex_destroy(&md->load_mu);
	cr_free(md);
}

static void rebase(cr_wt *w, const uint8_t *from, size_t len, const cr_gguf *g)
{
	const uint8_t *d = w->data;
	if (d >= from && d < from + len)
		w->data = g->data_copy + (d - from);
}

/* Once per model, before the first context computes: the weights into
 * private huge-page memory (see cr_gguf_load_data). */
static cr_err make_resident(cr_model *md, cr_msg *m)
{
	pthread_mutex_lock(&md->load_mu);
	int moved = 0;
	const uint8_t *from = NULL;
	cr_err e = cr_gguf_load_data(md->g, &moved, &from, m);
	if (!e && moved) {
		size_t len = md->g->len - md->g->data_offset;
		cr_wt *top[] = {&md->tok_embd, &md->output, &md->pos_embd, &md->type_embd};
		for (size_t i = 0; i < CR_ARRAY_LEN(top); i++)
			rebase(top[i], from, len, md->g);
		for (int l = 0; l < md->hp.n_layer; l++) {
			cr_layer *L = &md->layers[l];
			cr_wt *ws[] = {&L->wq, &L->wk, &L->wv, &L->wo, &L->ffn_gate, &L->ffn_up, &L->ffn_down};
			for (size_t i = 0; i < CR_ARRAY_LEN(ws); i++)
				rebase(ws[i], from, len, md->g);
		}
	}
	pthread_mutex_unlock(&md->load_mu);
	return e;
}

static int x16_fits(const cr_wt *w)
{
	return w->data && w->type == CR_TT_Q4_0 && w->ne1 % 16 == 0 && w->ne0 % 32 == 0;
}

cr_err cr_model_x16(cr_model *md, cr_msg *m)
{
	cr_err e = CR_OK;
	cr_wt **ws = NULL;
	pthread_mutex_lock(&md->load_mu);
	if (md->x16_done)
		goto out;
	if (!cr_x16_fast()) { /* this level's GGML tiles are faster than the scalar x16 */
		md->x16_done = 1;
		goto out;
	}
	size_t n = 0, len = 0;
	ws = cr_malloc((7 * (size_t)md->hp.n_layer + 1) * sizeof *ws);
	if (!ws) {
		e = cr_fail(m, CR_ENOMEM, "model: out of memory");
		goto out;
	}
	if (x16_fits(&md->output))
		ws[n++] = &md->output;
	for (int l = 0; l < md->hp.n_layer; l++) {
		cr_layer *L = &md->layers[l];
		cr_wt *lw[] = {&L->wq, &L->wk, &L->wv, &L->wo, &L->ffn_gate, &L->ffn_up, &L->ffn_down};
		for (size_t i = 0; i < CR_ARRAY_LEN(lw); i++)
			if (x16_fits(lw[i]))
				ws[n++] = lw[i];
	}
	for (size_t i = 0; i < n; i++)
		len += (cr_x16_bytes(ws[i]->ne1, ws[i]->ne0) + 63) & ~(size_t)63;
	if (!len) {
		md->x16_done = 1;
		goto out;
	}
	const size_t huge = (size_t)2 << 20;
	size_t span = (len + huge - 1) & ~(huge - 1);
	uint8_t *p = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		e = cr_fail(m, CR_ENOMEM, "model: out of memory for the batched copy of the weights (%zu MiB)",
			    len >> 20);
		goto out;
	}
#ifdef MADV_HUGEPAGE
	madvise(p, span, MADV_HUGEPAGE); /* streamed every step, like the weights */
#endif
	md->x16_mem = p;
	md->x16_len = span;
	for (size_t i = 0; i < n; i++) {
		cr_x16_repack(ws[i]->data, p, ws[i]->ne1, ws[i]->ne0);
		ws[i]->x16 = p;
		p += (cr_x16_bytes(ws[i]->ne1, ws[i]->ne0) + 63) & ~(size_t)63;
	}
	if (md->output.data == md->tok_embd.data)
		md->tok_embd.x16 = md->output.x16;
	md->x16_done = 1;
out:
	pthread_mutex_unlock(&md->load_mu);
	cr_free(ws);
	return e;
}

const cr_model_info *cr_model_get_info(const cr_model *md) { return &md->info; }
const cr_tok *cr_model_tok(const cr_model *md) { return md->tok; }

/* ---- contexts ---------------------------------------------------------- */

/* Tokens per decode batch (CR_N_BATCH, model_int.h): 256 keeps prompt speed
 * (the AMX path's passes already reuse each dequantized weight slice over
 * the whole batch; 512 measured the same, 128 about 12% slower) while
 * halving the batch scratch (the FFN's gate and up rows dominate: 2 × 256 ×
 * n_ff floats). */

cr_err cr_ctx_new(cr_model *md, int n_ctx, cr_pool *pool, cr_ctx **out, cr_msg *m)
{
	return cr_ctx_make(md, n_ctx, 0, pool, NULL, out, m);
}

cr_err cr_ctx_make(cr_model *md, int n_ctx, int n_batch, cr_pool *pool, const cr_ctx *share, cr_ctx **out,
		   cr_msg *m)
{
	*out = NULL;
	const cr_hparams *hp = &md->hp;
	if (n_ctx <= 0)
		n_ctx = CR_MIN(hp->n_ctx_train, 4096);
	if (md->arch == CR_ARCH_BERT && n_ctx > hp->n_ctx_train)
		n_ctx = hp->n_ctx_train;
	if (n_ctx < 1 || n_ctx > (1 << 20))
		return cr_fail(m, CR_EINVAL, "ctx: context size %d out of range", n_ctx);
	cr_err e = make_resident(md, m);
	if (e)
		return e;
	cr_ctx *c = cr_calloc(1, sizeof *c);
	if (!c)
		return CR_ENOMEM;
	c->md = md;
	c->pool = pool;
	c->n_ctx = n_ctx;
	/* bert runs a whole input in one batch */
	c->n_batch = md->arch == CR_ARCH_BERT ? n_ctx : n_batch > 0 ? n_batch : CR_MIN(CR_N_BATCH, n_ctx);
	e = cr_kv_alloc(c, m);
	if (e)
		goto fail;
	if (share) {
		c->shared_scratch = 1;
		c->n_batch = share->n_batch;
		c->x = share->x;
		c->cur = share->cur;
		c->q = share->q;
		c->kb = share->kb;
		c->vb = share->vb;
		c->att = share->att;
		c->o = share->o;
		c->gate = share->gate;
		c->up = share->up;
		c->rope_cs = share->rope_cs;
		c->norm_tmp = share->norm_tmp;
	} else {
		size_t B = (size_t)c->n_batch, E = (size_t)hp->n_embd, F = (size_t)hp->n_ff;
		size_t nq = (size_t)hp->n_head * hp->head_dim, nkv = (size_t)hp->n_head_kv * hp->head_dim;
		size_t wide = CR_MAX(E, nq);
		c->x = cr_malloc(B * E * sizeof(float));
		c->cur = cr_malloc(B * wide * sizeof(float));
		c->q = cr_malloc(B * nq * sizeof(float));
		c->kb = cr_malloc(B * nkv * sizeof(float));
		c->vb = cr_malloc(B * nkv * sizeof(float));
		c->att = cr_malloc(B * nq * sizeof(float));
		c->o = cr_malloc(B * wide * sizeof(float));
		c->gate = cr_malloc(B * F * sizeof(float));
		c->up = cr_malloc(B * F * sizeof(float));
		c->rope_cs = cr_malloc(B * (size_t)(hp->n_rot > 0 ? hp->n_rot : 2) * sizeof(float));
	}
	c->scores = cr_malloc((size_t)hp->n_head * (size_t)n_ctx * sizeof(float));
	c->logits = cr_malloc((size_t)hp->n_vocab * sizeof(float));
	c->logits_rows = 1;
	c->toks = cr_malloc((size_t)n_ctx * sizeof(cr_token_id));
	if (!c->toks || !c->x || !c->cur || !c->q || !c->kb || !c->vb || !c->att || !c->o || !c->gate || !c->up ||
	    !c->scores || !c->rope_cs || !c->logits) {
		e = cr_fail(m, CR_ENOMEM, "ctx: out of memory for scratch buffers");
		goto fail;
	}
	*out = c;
	return CR_OK;
fail:
	cr_ctx_free(c);
	return e;
}

void cr_ctx_free(cr_ctx *c)
{
	if (!c)
		return;
	cr_kv_release(c);
	if (!c->shared_scratch) {
		cr_free(c->x);
		cr_free(c->cur);
		cr_free(c->q);
		cr_free(c->kb);
		cr_free(c->vb);
		cr_free(c->att);
		cr_free(c->o);
		cr_free(c->gate);
		cr_free(c->up);
		cr_free(c->rope_cs);
	}
	cr_free(c->scores);
	cr_free(c->logits);
	cr_free(c->toks);
	cr_free(c);
}

int cr_ctx_pos(const cr_ctx *c) { return c->pos; }

void cr_ctx_truncate(cr_ctx *c, int pos)
{
	if (pos < 0)
		pos = 0;
	if (pos < c->pos)
		c->pos = pos;
}

int cr_ctx_reuse_prefix(cr_ctx *c, const cr_token_id *toks, int n)
{
	int k = 0, lim = CR_MIN(c->pos, n - 1);
	while (k < lim && c->toks[k] == toks[k])
		k++;
	cr_ctx_truncate(c, k);
	return k;
}

int cr_ctx_common_prefix(const cr_ctx *c, const cr_token_id *toks, int n)
{
	int k = 0, lim = CR_MIN(c->pos, n);
	while (k < lim && c->toks[k] == toks[k])
		k++;
	return k;
}

cr_err cr_ctx_copy_prefix(cr_ctx *dst, const cr_ctx *src, int n, cr_msg *m)
{
	if (dst == src)
		return CR_OK;
	if (dst->md != src->md || n < 0 || n > src->pos || n > dst->n_ctx)
		return cr_fail(m, CR_EINVAL, "ctx: cannot copy %d positions (source holds %d, room for %d)", n,
			       src->pos, dst->n_ctx);
	const cr_hparams *hp = &src->md->hp;
	size_t row = (size_t)hp->head_dim * sizeof(uint16_t);
	for (int il = 0; il < hp->n_layer; il++)
		for (int h = 0; h < hp->n_head_kv; h++) {
			memcpy(cr_kv_k(dst, il, h), cr_kv_k((cr_ctx *)src, il, h), (size_t)n * row);
			memcpy(cr_kv_v(dst, il, h), cr_kv_v((cr_ctx *)src, il, h), (size_t)n * row);
		}
	memcpy(dst->toks, src->toks, (size_t)n * sizeof(cr_token_id));
	dst->pos = n;
	return CR_OK;
}

void cr_ctx_set_cancel(cr_ctx *c, const cr_cancel *cancel) { c->cancel = cancel; }

cr_err cr_ctx_decode(cr_ctx *c, const cr_token_id *toks, int n, int logits_all,
		     const float **logits, cr_msg *m)
{
	if (logits)
		*logits = NULL;
	if (c->md->arch == CR_ARCH_BERT)
		return cr_fail(m, CR_EINVAL, "decode: %s is an embedding model (use embed)",
			       c->md->info.arch);
	if (n < 1)
		return cr_fail(m, CR_EINVAL, "decode: no tokens");
	if (n > c->n_ctx - c->pos)
		return cr_fail(m, CR_ETOOBIG, "decode: context full (%d + %d tokens > %d)", c->pos, n,
			       c->n_ctx);
	for (int i = 0; i < n; i++)
		if (toks[i] < 0 || toks[i] >= c->md->hp.n_vocab)
			return cr_fail(m, CR_EINVAL, "decode: token id %d out of range", toks[i]);
	size_t rows = logits_all ? (size_t)n : 1;
	if (rows > c->logits_rows) {
		float *p = cr_realloc(c->logits, rows * (size_t)c->md->hp.n_vocab * sizeof(float));
		if (!p)
			return cr_fail(m, CR_ENOMEM, "decode: out of memory for %zu rows of logits", rows);
		c->logits = p;
		c->logits_rows = rows;
	}
	memcpy(c->toks + c->pos, toks, (size_t)n * sizeof(cr_token_id));
	cr_err e = cr_llama_decode(c, toks, n, logits_all, m);
	if (e)
		return e;
	if (logits)
		*logits = c->logits;
	return CR_OK;
}

cr_err cr_ctx_embed(cr_ctx *c, const cr_token_id *toks, int n, float *out, cr_msg *m)
{
	if (c->md->arch != CR_ARCH_BERT)
		return cr_fail(m, CR_EINVAL, "embed: %s is not an embedding model", c->md->info.arch);
	if (n < 1)
		return cr_fail(m, CR_EINVAL, "embed: no tokens");
	if (n > c->n_ctx)
		return cr_fail(m, CR_ETOOBIG, "embed: %d tokens exceed the context of %d", n, c->n_ctx);
	for (int i = 0; i < n; i++)
		if (toks[i] < 0 || toks[i] >= c->md->hp.n_vocab)
			return cr_fail(m, CR_EINVAL, "embed: token id %d out of range", toks[i]);
	return cr_bert_embed(c, toks, n, out, m);
}

/* ---- shared graph pieces ----------------------------------------------- */

void cr_rmsnorm(float *y, const float *x, const float *w, int n, float eps)
{
	double ss = 0;
	for (int i = 0; i < n; i++)
		ss += (double)x[i] * x[i];
	float s = (float)(1.0 / sqrt(ss / n + eps));
	if (w)
		for (int i = 0; i < n; i++)
			y[i] = x[i] * s * w[i];
	else
		for (int i = 0; i < n; i++)
			y[i] = x[i] * s;
}

void cr_layernorm(float *y, const float *x, const float *w, const float *b, int n, float eps)
{
	double mean = 0, var = 0;
	for (int i = 0; i < n; i++)
		mean += x[i];
	mean /= n;
	for (int i = 0; i < n; i++) {
		double d = x[i] - mean;
		var += d * d;
	}
	var /= n;
	float s = (float)(1.0 / sqrt(var + eps)), mu = (float)mean;
	for (int i = 0; i < n; i++) {
		float v = (x[i] - mu) * s;
		y[i] = v * (w ? w[i] : 1.0f) + (b ? b[i] : 0.0f);
	}
}

void cr_add_bias(float *y, const float *b, int n, int dim)
{
	if (!b)
		return;
	for (int i = 0; i < n; i++)
		for (int d = 0; d < dim; d++)
			y[(size_t)i * dim + d] += b[d];
}

void cr_rope_table(float *cs, int pos, const cr_hparams *hp, const float *freq_div)
{
	/* as GGML computes it: theta_scale^i by repeated multiplication */
	const int n_rot = hp->n_rot;
	const float freq_scale = hp->rope_freq_scale;
	const float theta_scale = powf(hp->rope_base, -2.0f / (float)n_rot);
	float theta = (float)pos;
	for (int i = 0; i < n_rot / 2; i++) {
		float ext = theta;
		if (freq_div)
			ext /= freq_div[i];
		float t = ext * freq_scale, ms = 1.0f;
		if (hp->yarn) {
			float y = ((float)i - hp->yarn_lo) / CR_MAX(0.001f, hp->yarn_hi - hp->yarn_lo);
			float ramp = 1.0f - CR_MIN(1.0f, CR_MAX(0.0f, y));
			t = t * (1.0f - ramp) + ext * ramp;
			ms = hp->yarn_mscale;
		}
		cs[2 * i] = cosf(t) * ms;
		cs[2 * i + 1] = sinf(t) * ms;
		theta *= theta_scale;
	}
}

void cr_rope_apply(float *x, int n_heads, int head_dim, int n_rot, const float *cs, int mode)
{
	const int half = n_rot / 2;
	for (int h = 0; h < n_heads; h++) {
		float *v = x + (size_t)h * head_dim;
		if (mode == CR_ROPE_NEOX) {
			for (int i = 0; i < half; i++) {
				float c = cs[2 * i], s = cs[2 * i + 1];
				float a = v[i], b = v[i + half];
				v[i] = a * c - b * s;
				v[i + half] = a * s + b * c;
			}
		} else {
			for (int i = 0; i < half; i++) {
				float c = cs[2 * i], s = cs[2 * i + 1];
				float a = v[2 * i], b = v[2 * i + 1];
				v[2 * i] = a * c - b * s;
				v[2 * i + 1] = a * s + b * c;
			}
		}
	}
}

void cr_get_rows(const cr_wt *w, const cr_token_id *toks, int n, float *x)
{
	for (int i = 0; i < n; i++)
		cr_dequant_row(w->type, (const uint8_t *)w->data + (size_t)toks[i] * w->row_bytes,
			       x + (size_t)i * w->ne0, w->ne0);
}

void cr_model_matmul(cr_ctx *c, const cr_wt *w, const float *x, int n, float *y)
{
	if (c->use_x16 && w->x16 && n >= 2)
		cr_matmul_x16(c->pool, w->x16, w->ne1, w->ne0, x, n, y);
	else
		cr_matmul(c->pool, w->type, w->data, w->ne1, w->ne0, x, n, y);
}

typedef struct att_job {
	cr_ctx *c;
	int il, q_stride, n, pos0, n_kv, causal, o_stride;
	const float *q;
	float *o;
} att_job;

static void att_head(const att_job *j, int h)
{
	const cr_hparams *hp = &j->c->md->hp;
	const int hd = hp->head_dim, gq = hp->n_head / hp->n_head_kv;
	const float scale = 1.0f / sqrtf((float)hd);
	const uint16_t *K = cr_kv_k(j->c, j->il, h / gq), *V = cr_kv_v(j->c, j->il, h / gq);
	float *sc = j->c->scores + (size_t)h * j->c->n_ctx;
	for (int i = 0; i < j->n; i++) {
		const float *q = j->q + (size_t)i * j->q_stride + (size_t)h * hd;
		float *o = j->o + (size_t)i * j->o_stride + (size_t)h * hd;
		int nk = j->causal ? j->pos0 + i + 1 : j->n_kv;
		float mx = -INFINITY;
		for (int t = 0; t < nk; t++) {
			float s = cr_dot_f16_f32(K + (size_t)t * hd, q, hd) * scale;
			sc[t] = s;
			if (s > mx)
				mx = s;
		}
		float sum = 0;
		for (int t = 0; t < nk; t++) {
			float e = expf(sc[t] - mx);
			sc[t] = e;
			sum += e;
		}
		float inv = 1.0f / sum;
		memset(o, 0, (size_t)hd * sizeof(float));
		for (int t = 0; t < nk; t++)
			cr_axpy_f16_f32(o, sc[t] * inv, V + (size_t)t * hd, hd);
	}
}

static void att_task(void *ctx, int i_task, int n_tasks)
{
	CR_UNUSED(n_tasks);
	att_head(ctx, i_task);
}

void cr_attention(cr_ctx *c, int il, const float *q, int q_stride, int n, int pos0, int n_kv,
		  int causal, float *o, int o_stride)
{
	att_job j = {c, il, q_stride, n, pos0, n_kv, causal, o_stride, q, o};
	int nh = c->md->hp.n_head;
	if (c->pool && cr_pool_threads(c->pool) > 1 && (size_t)n * (size_t)n_kv >= 64)
		cr_pool_run(c->pool, nh, att_task, &j);
	else
		for (int h = 0; h < nh; h++)
			att_head(&j, h);
}

typedef struct att_rows_job {
	cr_ctx *const *rows;
	int il, q_stride, o_stride, n_head;
	const float *q;
	float *o;
} att_rows_job;

static void att_rows_task(void *ctx, int t, int n_tasks)
{
	CR_UNUSED(n_tasks);
	const att_rows_job *r = ctx;
	int i = t / r->n_head, h = t % r->n_head;
	cr_ctx *c = r->rows[i];
	att_job j = {c, r->il, r->q_stride, 1, c->pos, c->pos + 1, 1, r->o_stride, r->q + (size_t)i * r->q_stride,
		     r->o + (size_t)i * r->o_stride};
	att_head(&j, h);
}

void cr_attention_rows(cr_pool *pool, cr_ctx *const *rows, int n, int il, const float *q, int q_stride,
		       float *o, int o_stride)
{
	att_rows_job j = {rows, il, q_stride, o_stride, 0, q, o};
	if (n < 1)
		return;
	j.n_head = rows[0]->md->hp.n_head;
	int nt = n * j.n_head;
	size_t work = 0;
	for (int i = 0; i < n; i++)
		work += (size_t)rows[i]->pos + 1;
	if (pool && cr_pool_threads(pool) > 1 && work >= 64)
		cr_pool_run(pool, nt, att_rows_task, &j);
	else
		for (int t = 0; t < nt; t++)
			att_rows_task(&j, t, nt);
}

void cr_attention_naive(cr_ctx *c, int il, const float *q, int q_stride, int n, int pos0,
			int n_kv, int causal, float *o, int o_stride)
{
	const cr_hparams *hp = &c->md->hp;
	const int hd = hp->head_dim, gq = hp->n_head / hp->n_head_kv;
	double *p = cr_malloc((size_t)n_kv * sizeof(double));
	CR_ASSERT(p);
	for (int h = 0; h < hp->n_head; h++) {
		const uint16_t *K = cr_kv_k(c, il, h / gq), *V = cr_kv_v(c, il, h / gq);
		for (int i = 0; i < n; i++) {
			const float *qi = q + (size_t)i * q_stride + (size_t)h * hd;
			int nk = causal ? pos0 + i + 1 : n_kv;
			double mx = -INFINITY, sum = 0;
			for (int t = 0; t < nk; t++) {
				double s = 0;
				for (int d = 0; d < hd; d++)
					s += (double)qi[d] * cr_f16_to_f32(K[(size_t)t * hd + d]);
				p[t] = s / sqrt((double)hd);
				if (p[t] > mx)
					mx = p[t];
			}
			for (int t = 0; t < nk; t++)
				sum += (p[t] = exp(p[t] - mx));
			for (int d = 0; d < hd; d++) {
				double acc = 0;
				for (int t = 0; t < nk; t++)
					acc += p[t] / sum * cr_f16_to_f32(V[(size_t)t * hd + d]);
				o[(size_t)i * o_stride + (size_t)h * hd + d] = (float)acc;
			}
		}
	}
	cr_free(p);
}
