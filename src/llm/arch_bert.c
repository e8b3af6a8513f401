/*
 * arch_bert.c — the BERT encoder graph for embedding models (all-MiniLM,
 * bge, e5 ... as converted by llama.cpp: arch "bert").
 *
 *   x = LayerNorm(tok_embd[id] + token_types[0] + position_embd[pos])
 *   per layer (post-norm):
 *     q, k, v = x Wq + bq, x Wk + bk, x Wv + bv
 *     att = softmax(q Kᵀ / √d) V           (bidirectional, no RoPE)
 *     x = LayerNorm(x + att Wo + bo)       attn_output_norm
 *     x = LayerNorm(x + GELU(x Wup + bup) Wdown + bdown)   layer_output_norm
 *   pooled = mean over tokens (pooling type 1) or the first token (2),
 *   then L2-normalised.
 *
 * The whole input is one batch (n <= n_ctx <= the trained context, since
 * positions are learned). K and V go through the context's cache so the
 * shared attention routine serves both graphs. GELU is the tanh form GGML
 * uses.
 */
#include "model_int.h"

#include <math.h>
#include <string.h>

static float gelu(float x)
{
	const float k = 0.7978845608028654f; /* sqrt(2/pi) */
	return 0.5f * x * (1.0f + tanhf(k * x * (1.0f + 0.044715f * x * x)));
}

cr_err cr_bert_embed(cr_ctx *c, const cr_token_id *toks, int n, float *out, cr_msg *m)
{
	CR_UNUSED(m);
	cr_model *md = c->md;
	const cr_hparams *hp = &md->hp;
	const int E = hp->n_embd, HD = hp->head_dim, F = hp->n_ff;
	const int NQ = hp->n_head * HD, NKV = hp->n_head_kv * HD;
	float *x = c->x, *cur = c->cur;
	CR_ASSERT(n <= c->n_batch);

	cr_get_rows(&md->tok_embd, toks, n, x);
	for (int i = 0; i < n; i++) {
		float *xi = x + (size_t)i * E;
		cr_token_id p = i, t0 = 0;
		cr_get_rows(&md->pos_embd, &p, 1, cur);
		for (int d = 0; d < E; d++)
			xi[d] += cur[d];
		if (md->type_embd.data) {
			cr_get_rows(&md->type_embd, &t0, 1, cur);
			for (int d = 0; d < E; d++)
				xi[d] += cur[d];
		}
		cr_layernorm(xi, xi, md->embd_norm, md->embd_norm_b, E, hp->eps);
	}
	c->pos = 0;
	for (int il = 0; il < hp->n_layer; il++) {
		const cr_layer *L = &md->layers[il];
		cr_model_matmul(c, &L->wq, x, n, c->q);
		cr_model_matmul(c, &L->wk, x, n, c->kb);
		cr_model_matmul(c, &L->wv, x, n, c->vb);
		cr_add_bias(c->q, L->bq, n, NQ);
		cr_add_bias(c->kb, L->bk, n, NKV);
		cr_add_bias(c->vb, L->bv, n, NKV);
		cr_kv_store(c, il, 0, n, c->kb, c->vb);
		cr_attention(c, il, c->q, NQ, n, 0, n, 0, c->att, NQ);
		cr_model_matmul(c, &L->wo, c->att, n, c->o);
		cr_add_bias(c->o, L->bo, n, E);
		for (int i = 0; i < n; i++) {
			float *xi = x + (size_t)i * E, *oi = c->o + (size_t)i * E;
			for (int d = 0; d < E; d++)
				oi[d] += xi[d];
			cr_layernorm(xi, oi, L->attn_out_norm, L->attn_out_norm_b, E, hp->eps);
		}
		cr_model_matmul(c, &L->ffn_up, x, n, c->up);
		cr_add_bias(c->up, L->b_up, n, F);
		for (size_t i = 0; i < (size_t)n * F; i++)
			c->up[i] = gelu(c->up[i]);
		cr_model_matmul(c, &L->ffn_down, c->up, n, c->o);
		cr_add_bias(c->o, L->b_down, n, E);
		for (int i = 0; i < n; i++) {
			float *xi = x + (size_t)i * E, *oi = c->o + (size_t)i * E;
			for (int d = 0; d < E; d++)
				oi[d] += xi[d];
			cr_layernorm(xi, oi, L->out_norm, L->out_norm_b, E, hp->eps);
		}
	}
	memset(out, 0, (size_t)E * sizeof(float));
	if (hp->pooling == CR_POOL_CLS) {
		memcpy(out, x, (size_t)E * sizeof(float));
	} else {
		for (int i = 0; i < n; i++)
			for (int d = 0; d < E; d++)
				out[d] += x[(size_t)i * E + d];
		for (int d = 0; d < E; d++)
			out[d] /= (float)n;
	}
	double ss = 0;
	for (int d = 0; d < E; d++)
		ss += (double)out[d] * out[d];
	float s = ss > 0 ? (float)(1.0 / sqrt(ss)) : 0.0f;
	for (int d = 0; d < E; d++)
		out[d] *= s;
	return CR_OK;
}
