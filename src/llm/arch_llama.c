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
 *         (batches: blocked, see cr_attention_blocked below)
 *   x += att Wo
 *   cur = RMSNorm(x) · ffn_norm
 *   x += (silu(cur Wgate) ⊙ cur Wup) Wdown              3 × cr_matmul
 * then logits = RMSNorm(x) · output_norm · Woutᵀ for the last row (or all).
 *
 * Batches longer than the context's n_batch are processed in chunks, so
 * the scratch buffers never grow. Nothing here allocates.
 */
#include "model_int.h"
#include "cpu/quant.h"

#include <math.h>
#include <string.h>

/*
 * Batched attention for prompt processing. One task per (kv head, block of
 * up to ATT_QB queries): the keys it can see are converted from the f16
 * cache and transposed once into scratch (head_dim × nk), the values
 * converted to an f32 block (nk × head_dim), then for each query head
 * sharing that kv head S = Q·Kᵀ (cr_gemm_f32), the causal mask and a
 * softmax in place, and O = S·V (cr_gemm_f32), each output row scaled by
 * 1 / its softmax sum.
 * Per-pair dot products and axpys become two register-blocked products
 * whose operands stay in cache. Tasks run on the pool, the blocks with the
 * most keys first.
 */
enum { ATT_QB = 64 };

typedef struct batt_job {
	cr_ctx *c;
	int il, q_stride, n, pos0, n_kv, causal, o_stride, nqb;
	const float *q;
	float *o;
	const cr_cancel *cancel; /* decoder prompts: once it says stop, tasks do nothing (the
				  * batch is then dropped by chunk()) */
} batt_job;

static void batt_task(void *ctx, int t, int n_tasks)
{
	const batt_job *j = ctx;
	const cr_hparams *hp = &j->c->md->hp;
	const int hd = hp->head_dim, gq = hp->n_head / hp->n_head_kv;
	const float scale = 1.0f / sqrtf((float)hd);
	CR_UNUSED(n_tasks);
	if (j->cancel && cr_cancel_check(j->cancel))
		return;
	int kvh = t % hp->n_head_kv, qb = j->nqb - 1 - t / hp->n_head_kv;
	int i0 = qb * ATT_QB, i1 = CR_MIN(j->n, i0 + ATT_QB), m = i1 - i0;
	int nk = j->causal ? CR_MIN(j->pos0 + i1, j->n_kv) : j->n_kv;
	if (nk <= 0)
		return;
	/* scratch: kt (hd × nk), S (ATT_QB × nk), inv (ATT_QB), vf (nk × hd) */
	float *kt = cr_cpu_scratch(0, ((size_t)2 * hd * nk + (size_t)ATT_QB * nk + ATT_QB) * sizeof(float));
	float *S = kt + (size_t)hd * nk, *inv = S + (size_t)ATT_QB * nk, *vf = inv + ATT_QB;
	/* the f16 keys to f32 (through vf, contiguous rows), transposed; then
	 * the values to f32 in place of them */
	cr_cvt_f16_f32(vf, cr_kv_k(j->c, j->il, kvh), (int64_t)nk * hd);
	for (int p = 0; p < nk; p++)
		for (int d = 0; d < hd; d++)
			kt[(size_t)d * nk + p] = vf[(size_t)p * hd + d];
	cr_cvt_f16_f32(vf, cr_kv_v(j->c, j->il, kvh), (int64_t)nk * hd);
	const float *V = vf;
	for (int g = 0; g < gq; g++) {
		int h = kvh * gq + g;
		const float *Q = j->q + (size_t)i0 * j->q_stride + (size_t)h * hd;
		float *O = j->o + (size_t)i0 * j->o_stride + (size_t)h * hd;
		cr_gemm_f32(m, nk, hd, Q, j->q_stride, kt, nk, S, nk);
		for (int r = 0; r < m; r++) {
			float *s = S + (size_t)r * nk;
			int nki = j->causal ? CR_MIN(j->pos0 + i0 + r + 1, nk) : nk;
			inv[r] = nki > 0 ? 1.0f / cr_softmax_f32(s, nki, scale) : 0.0f;
			for (int p = CR_MAX(nki, 0); p < nk; p++)
				s[p] = 0;
		}
		cr_gemm_f32(m, hd, nk, S, nk, V, hd, O, j->o_stride);
		for (int r = 0; r < m; r++)
			for (int d = 0; d < hd; d++)
				O[(size_t)r * j->o_stride + d] *= inv[r];
	}
}

void cr_attention_blocked(cr_ctx *c, int il, const float *q, int q_stride, int n, int pos0, int n_kv,
			  int causal, float *o, int o_stride)
{
	batt_job j = {c, il, q_stride, n, pos0, n_kv, causal, o_stride, (n + ATT_QB - 1) / ATT_QB, q, o,
		      c->md->arch == CR_ARCH_BERT ? NULL : c->cancel};
	int nt = j.nqb * c->md->hp.n_head_kv;
	if (c->pool && cr_pool_threads(c->pool) > 1 && nt > 1)
		cr_pool_run(c->pool, nt, batt_task, &j);
	else
		for (int t = 0; t < nt; t++)
			batt_task(&j, t, nt);
}

/* The per-token work between the products (norms, biases, q/k norms, rope,
 * residual adds, SwiGLU), spread over the pool by token for a batch: run on
 * the caller alone it was a serial stretch of every layer at two threads. */
typedef enum { ST_ATTN_NORM, ST_QK, ST_ATTN_RES, ST_FFN, ST_FFN_RES } stage;

typedef struct tok_job {
	cr_ctx *c;
	const cr_layer *L;
	stage st;
	int n;
} tok_job;

static void tok_range(cr_ctx *c, const cr_layer *L, stage st, int i0, int i1)
{
	const cr_hparams *hp = &c->md->hp;
	const int E = hp->n_embd, HD = hp->head_dim, F = hp->n_ff;
	const int NQ = hp->n_head * HD, NKV = hp->n_head_kv * HD;
	float *x = c->x, *cur = c->cur;
	for (int i = i0; i < i1; i++) {
		float *xi = x + (size_t)i * E, *ci = cur + (size_t)i * E, *oi = c->o + (size_t)i * E;
		switch (st) {
		case ST_ATTN_NORM:
			cr_rmsnorm(ci, xi, L->attn_norm, E, hp->eps);
			break;
		case ST_QK: {
			float *qi = c->q + (size_t)i * NQ, *ki = c->kb + (size_t)i * NKV, *vi = c->vb + (size_t)i * NKV;
			cr_add_bias(qi, L->bq, 1, NQ);
			cr_add_bias(ki, L->bk, 1, NKV);
			cr_add_bias(vi, L->bv, 1, NKV);
			if (L->q_norm) {
				for (int h = 0; h < hp->n_head; h++)
					cr_rmsnorm(qi + (size_t)h * HD, qi + (size_t)h * HD, L->q_norm, HD, hp->eps);
				for (int h = 0; h < hp->n_head_kv; h++)
					cr_rmsnorm(ki + (size_t)h * HD, ki + (size_t)h * HD, L->k_norm, HD, hp->eps);
			}
			const float *cs = c->rope_cs + (size_t)i * hp->n_rot;
			cr_rope_apply(qi, hp->n_head, HD, hp->n_rot, cs, hp->rope_type);
			cr_rope_apply(ki, hp->n_head_kv, HD, hp->n_rot, cs, hp->rope_type);
			break;
		}
		case ST_ATTN_RES: /* x += o (+ bo); cur = ffn_norm(x) */
			cr_add_bias(oi, L->bo, 1, E);
			for (int d = 0; d < E; d++)
				xi[d] += oi[d];
			cr_rmsnorm(ci, xi, L->ffn_norm, E, hp->eps);
			break;
		case ST_FFN:
			cr_swiglu_f32(c->gate + (size_t)i * F, c->up + (size_t)i * F, F);
			break;
		case ST_FFN_RES:
			for (int d = 0; d < E; d++)
				xi[d] += oi[d];
			break;
		}
	}
}

static void tok_task(void *ctx, int i, int n)
{
	tok_job *j = ctx;
	tok_range(j->c, j->L, j->st, (int)((int64_t)j->n * i / n), (int)((int64_t)j->n * (i + 1) / n));
}

static void tok_run(cr_ctx *c, const cr_layer *L, stage st, int n)
{
	int nt = c->pool ? cr_pool_threads(c->pool) : 1;
	if (nt > 1 && n >= 16) {
		tok_job j = {c, L, st, n};
		cr_pool_run(c->pool, CR_MIN(n, 4 * nt), tok_task, &j);
	} else {
		tok_range(c, L, st, 0, n);
	}
}

/* Runs one batch; stops between layers (and for a batch of several tokens
 * also between a layer's products and inside its attention) when c->cancel
 * says so: the positions stay unclaimed (c->pos does not move).
 * rows NULL: the n tokens are consecutive positions of c's sequence. Else
 * (a batch's step) token i is the next of rows[i]'s sequence, c only lends
 * its scratch and pool, and each row's K/V and attention go to its own
 * context. */
#define STOP_IN_BATCH() (n > 1 && (e = cr_cancel_check(c->cancel)) != CR_OK)
static cr_err chunk(cr_ctx *c, cr_ctx *const *rows, const cr_token_id *toks, int n, int want_logits,
		    float *logits_out)
{
	cr_model *md = c->md;
	const cr_hparams *hp = &md->hp;
	const int E = hp->n_embd, HD = hp->head_dim;
	const int NQ = hp->n_head * HD;
	const int pos0 = c->pos;
	float *x = c->x, *cur = c->cur;

	cr_get_rows(&md->tok_embd, toks, n, x);
	for (int i = 0; i < n; i++)
		cr_rope_table(c->rope_cs + (size_t)i * hp->n_rot, rows ? rows[i]->pos : pos0 + i, hp, md->rope_freqs);

	for (int il = 0; il < hp->n_layer; il++) {
		const cr_layer *L = &md->layers[il];
		cr_err e = cr_cancel_check(c->cancel);
		if (e)
			return e;
		tok_run(c, L, ST_ATTN_NORM, n);
		cr_model_matmul(c, &L->wq, cur, n, c->q);
		cr_model_matmul(c, &L->wk, cur, n, c->kb);
		cr_model_matmul(c, &L->wv, cur, n, c->vb);
		if (STOP_IN_BATCH())
			return e;
		tok_run(c, L, ST_QK, n);
		if (rows) {
			const size_t NKV = (size_t)hp->n_head_kv * HD;
			for (int i = 0; i < n; i++)
				cr_kv_store(rows[i], il, rows[i]->pos, 1, c->kb + i * NKV, c->vb + i * NKV);
			cr_attention_rows(c->pool, rows, n, il, c->q, NQ, c->att, NQ);
		} else {
			cr_kv_store(c, il, pos0, n, c->kb, c->vb);
			if (n >= 4)
				cr_attention_blocked(c, il, c->q, NQ, n, pos0, pos0 + n, 1, c->att, NQ);
			else
				cr_attention(c, il, c->q, NQ, n, pos0, pos0 + n, 1, c->att, NQ);
		}
		if (STOP_IN_BATCH())
			return e;
		cr_model_matmul(c, &L->wo, c->att, n, c->o);
		tok_run(c, L, ST_ATTN_RES, n);
		cr_model_matmul(c, &L->ffn_gate, cur, n, c->gate);
		if (STOP_IN_BATCH())
			return e;
		cr_model_matmul(c, &L->ffn_up, cur, n, c->up);
		tok_run(c, L, ST_FFN, n);
		if (STOP_IN_BATCH())
			return e;
		cr_model_matmul(c, &L->ffn_down, c->gate, n, c->o);
		tok_run(c, L, ST_FFN_RES, n);
	}
	if (rows)
		for (int i = 0; i < n; i++)
			rows[i]->toks[rows[i]->pos++] = toks[i];
	else
		c->pos = pos0 + n;

	if (want_logits == 2) { /* every row */
		for (int i = 0; i < n; i++)
			cr_rmsnorm(cur + (size_t)i * E, x + (size_t)i * E, md->output_norm, E, hp->eps);
		cr_model_matmul(c, &md->output, cur, n, logits_out);
	} else if (want_logits == 1) { /* last row */
		cr_rmsnorm(cur, x + (size_t)(n - 1) * E, md->output_norm, E, hp->eps);
		cr_model_matmul(c, &md->output, cur, 1, logits_out);
	}
	return CR_OK;
}

cr_err cr_llama_decode(cr_ctx *c, const cr_token_id *toks, int n, int logits_all, cr_msg *m)
{
	const size_t V = (size_t)c->md->hp.n_vocab;
	for (int done = 0; done < n;) {
		int nb = CR_MIN(n - done, c->n_batch);
		int last = done + nb == n;
		cr_err e = logits_all ? chunk(c, NULL, toks + done, nb, 2, c->logits + (size_t)done * V)
				      : chunk(c, NULL, toks + done, nb, last ? 1 : 0, c->logits);
		if (e)
			return cr_fail(m, e, "decode: %s after %d of %d tokens", e == CR_ETIMEOUT ? "timed out" : "canceled",
				       done, n);
		done += nb;
	}
	return CR_OK;
}

void cr_llama_step(cr_ctx *w, cr_ctx *const *rows, const cr_token_id *toks, int n, float *logits)
{
	CR_ASSERT(n >= 1 && n <= w->n_batch && !w->cancel);
	CR_IGNORE(chunk(w, rows, toks, n, 2, logits)); /* no cancel token: cannot fail */
}
