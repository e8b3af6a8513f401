/*
 * arch_llama.c — the decoder-only transformer graph: llama (Llama 2/3,
 * Mistral, TinyLlama), qwen2 and qwen3, which differ only in RoPE mode, Q/K/V
 * biases and Q/K per-head norms.
 *
 * Per layer, for a batch of n tokens (rows):
 *   cur = RMSNorm(x) · attn_norm
 *   q, k, v = cur Wq, cur Wk, cur Wv (+ biases)        3 × cr_matmul, m = n
 *   qwen3: q, k = RMSNorm per head · q_norm / k_norm
 *   q, k = RoPE(pos)              (llama: adjacent pairs; qwen: halves)
 *   cache[pos..pos+n) = k, v
 *   att = softmax(q Kᵀ / √d, causal) V                  per head, pool
 *   x += att Wo
 *   cur = RMSNorm(x) · ffn_norm
 *   x += (silu(cur Wgate) ⊙ cur Wup) Wdown              3 × cr_matmul
 * then logits = RMSNorm(x) · output_norm · Woutᵀ for the last row (or all).
 *
 * Batches longer than the context's n_batch are processed in chunks, so
 * the scratch buffers never grow. Nothing here allocates.
 */
#include "llm/model_int.h"

#include <math.h>

static void add_bias(float *y, const float *b, int n, int dim)
{
	if (!b)
		return;
	for (int i = 0; i < n; i++)
		for (int d = 0; d < dim; d++)
			y[(size_t)i * dim + d] += b[d];
}

static void chunk(cr_ctx *c, const cr_token_id *toks, int n, int want_logits, float *logits_out)
{
	cr_model *md = c->md;
	const cr_hparams *hp = &md->hp;
	const int E = hp->n_embd, HD = hp->head_dim, F = hp->n_ff;
	const int NQ = hp->n_head * HD, NKV = hp->n_head_kv * HD;
	const int pos0 = c->pos;
	float *x = c->x, *cur = c->cur;

	cr_get_rows(&md->tok_embd, toks, n, x);
	for (int i = 0; i < n; i++)
		cr_rope_table(c->rope_cs + (size_t)i * hp->n_rot, pos0 + i, hp->n_rot, hp->rope_base,
			      hp->rope_freq_scale, md->rope_freqs);

	for (int il = 0; il < hp->n_layer; il++) {
		const cr_layer *L = &md->layers[il];
		for (int i = 0; i < n; i++)
			cr_rmsnorm(cur + (size_t)i * E, x + (size_t)i * E, L->attn_norm, E, hp->eps);
		cr_model_matmul(c, &L->wq, cur, n, c->q);
		cr_model_matmul(c, &L->wk, cur, n, c->kb);
		cr_model_matmul(c, &L->wv, cur, n, c->vb);
		add_bias(c->q, L->bq, n, NQ);
		add_bias(c->kb, L->bk, n, NKV);
		add_bias(c->vb, L->bv, n, NKV);
		for (int i = 0; i < n; i++) {
			float *qi = c->q + (size_t)i * NQ, *ki = c->kb + (size_t)i * NKV;
			if (L->q_norm) {
				for (int h = 0; h < hp->n_head; h++)
					cr_rmsnorm(qi + (size_t)h * HD, qi + (size_t)h * HD, L->q_norm, HD, hp->eps);
				for (int h = 0; h < hp->n_head_kv; h++)
					cr_rmsnorm(ki + (size_t)h * HD, ki + (size_t)h * HD, L->k_norm, HD, hp->eps);
			}
			const float *cs = c->rope_cs + (size_t)i * hp->n_rot;
			cr_rope_apply(qi, hp->n_head, HD, hp->n_rot, cs, hp->rope_type);
			cr_rope_apply(ki, hp->n_head_kv, HD, hp->n_rot, cs, hp->rope_type);
		}
		cr_kv_store(c, il, pos0, n, c->kb, c->vb);
		cr_attention(c, il, c->q, NQ, n, pos0, pos0 + n, 1, c->att, NQ);
		cr_model_matmul(c, &L->wo, c->att, n, c->o);
		add_bias(c->o, L->bo, n, E);
		for (size_t i = 0; i < (size_t)n * E; i++)
			x[i] += c->o[i];

		for (int i = 0; i < n; i++)
			cr_rmsnorm(cur + (size_t)i * E, x + (size_t)i * E, L->ffn_norm, E, hp->eps);
		cr_model_matmul(c, &L->ffn_gate, cur, n, c->gate);
		cr_model_matmul(c, &L->ffn_up, cur, n, c->up);
		for (size_t i = 0; i < (size_t)n * F; i++) {
			float g = c->gate[i];
			c->gate[i] = g / (1.0f + expf(-g)) * c->up[i];
		}
		cr_model_matmul(c, &L->ffn_down, c->gate, n, c->o);
		for (size_t i = 0; i < (size_t)n * E; i++)
			x[i] += c->o[i];
	}
	c->pos = pos0 + n;

	if (want_logits == 2) { /* every row */
		for (int i = 0; i < n; i++)
			cr_rmsnorm(cur + (size_t)i * E, x + (size_t)i * E, md->output_norm, E, hp->eps);
		cr_model_matmul(c, &md->output, cur, n, logits_out);
	} else if (want_logits == 1) { /* last row */
		cr_rmsnorm(cur, x + (size_t)(n - 1) * E, md->output_norm, E, hp->eps);
		cr_model_matmul(c, &md->output, cur, 1, logits_out);
	}
}

cr_err cr_llama_decode(cr_ctx *c, const cr_token_id *toks, int n, int logits_all, cr_msg *m)
{
	CR_UNUSED(m);
	const size_t V = (size_t)c->md->hp.n_vocab;
	for (int done = 0; done < n;) {
		int nb = CR_MIN(n - done, c->n_batch);
		int last = done + nb == n;
		if (logits_all)
			chunk(c, toks + done, nb, 2, c->logits + (size_t)done * V);
		else
			chunk(c, toks + done, nb, last ? 1 : 0, c->logits);
		done += nb;
	}
	return CR_OK;
}
