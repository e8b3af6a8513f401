/*
 * model_int.h — private structures of the model graphs (model.c, arch_*.c,
 * kvcache.c).
 *
 * A cr_model is the validated view of one GGUF file: hyperparameters read
 * from the <arch>.* keys and, per layer, pointers to the weight matrices in
 * the mapping. Loading (model add, tokenize) reads no weights; the first
 * context moves the data section once into huge-page-backed private memory
 * (cr_gguf_load_data: one copy, faster streaming) and rebases the pointers.
 * 1-D vectors — norms and biases — are converted to float arrays at load,
 * since the graphs read them once per token and they may be stored in any
 * type.
 *
 * A cr_ctx holds what one inference stream needs: the KV cache (f16, layout
 * [layer][kv_head][pos][head_dim] so that one head's keys are contiguous for
 * attention) and scratch buffers sized at creation for a batch of up to
 * n_batch tokens, so decoding allocates nothing per token.
 *
 * A cr_batch (batch.c) is P such contexts, its slots, over one model: each
 * slot owns its KV cache, token ids, attention scores and logits, and
 * borrows the batch-size scratch of one work context (shared_scratch), since
 * a batch computes one thing at a time: a slot's prompt, or one step of one
 * token for each of several slots.
 */
#ifndef CR_LLM_MODEL_INT_H
#define CR_LLM_MODEL_INT_H

#include <pthread.h>

#include "cristal/llm.h"

typedef enum cr_arch {
	CR_ARCH_LLAMA,
	CR_ARCH_QWEN2,
	CR_ARCH_QWEN3,
	CR_ARCH_BERT,
} cr_arch;

enum { CR_ROPE_NORM = 0, CR_ROPE_NEOX = 2 };
enum { CR_POOL_NONE = 0, CR_POOL_MEAN = 1, CR_POOL_CLS = 2, CR_POOL_LAST = 3 };

/* A weight matrix in the mapping: rows of ne0 elements of `type`. */
typedef struct cr_wt {
	const void *data;
	cr_ttype type;
	int64_t ne0, ne1;
	size_t row_bytes;
	const void *x16;        /* Q4_0 repacked for batched steps (cr_model_x16), or NULL */
} cr_wt;

typedef struct cr_layer {
	const float *attn_norm, *attn_norm_b;
	cr_wt wq, wk, wv, wo;
	const float *bq, *bk, *bv, *bo;
	const float *q_norm, *k_norm;        /* qwen3: per-head RMSNorm */
	const float *ffn_norm, *ffn_norm_b;
	cr_wt ffn_gate, ffn_up, ffn_down;
	const float *b_up, *b_down;
	/* bert (post-norm): after attention and after the FFN */
	const float *attn_out_norm, *attn_out_norm_b;
	const float *out_norm, *out_norm_b;
} cr_layer;

typedef struct cr_hparams {
	int n_vocab, n_embd, n_layer, n_head, n_head_kv, n_ff;
	int head_dim, head_dim_v, n_rot;
	int n_ctx_train;
	float eps;
	float rope_base, rope_freq_scale; /* freq_scale = 1 / linear or YaRN factor */
	int yarn;                         /* rope.scaling.type yarn: see cr_rope_table */
	float yarn_lo, yarn_hi, yarn_mscale;
	int rope_type;
	int causal;
	int pooling;
	int n_token_types;
} cr_hparams;

struct cr_model {
	cr_gguf *g;
	cr_tok *tok;
	cr_arch arch;
	cr_hparams hp;
	cr_model_info info;
	char *name;
	char *chat_template;
	cr_arena arena;         /* every 1-D vector converted to float */
	cr_wt tok_embd, output, pos_embd, type_embd;
	const float *output_norm, *output_norm_b;
	const float *embd_norm, *embd_norm_b; /* bert */
	const float *rope_freqs;              /* llama 3: per-frequency divisors */
	cr_layer *layers;
	pthread_mutex_t load_mu; /* guards moving the weights (cr_ctx_new) and making x16 */
	void *x16_mem;          /* the x16 copies (cr_model_x16) */
	size_t x16_len;
	int x16_done;
};

struct cr_ctx {
	cr_model *md;
	cr_pool *pool;
	int n_ctx, n_batch, pos;
	cr_token_id *toks;      /* the n_ctx ids in the cache, for prefix reuse */
	/* KV cache, f16: [layer][kv_head][n_ctx][head_dim] */
	uint16_t *k, *v;
	/* scratch for a batch of n_batch tokens */
	float *x, *cur, *q, *kb, *vb, *att, *o, *gate, *up;
	float *scores;          /* n_head × n_ctx */
	float *rope_cs;         /* n_batch × n_rot (cos, sin pairs) */
	float *logits;          /* n_batch_logits × n_vocab */
	size_t logits_rows;
	float *norm_tmp;
	const cr_cancel *cancel; /* checked between batches and layers (cr_ctx_set_cancel) */
	int shared_scratch;     /* x .. norm_tmp belong to a batch's work context */
	int use_x16;            /* a batch's work context: products of 2+ rows use the x16 copies */
};

struct cr_batch {
	cr_model *md;
	cr_pool *pool;
	int n_slots;
	cr_ctx *work;           /* scratch for a prompt batch or a step of n_slots rows */
	cr_ctx **slots;
	float *logits;          /* n_slots × n_vocab: one step's rows */
};

/* Loads from an open file, taking ownership of g (freed on failure too);
 * cr_model_load is this over cr_gguf_open. Used by the fuzz target. */
cr_err cr_model_load_gguf(cr_gguf *g, cr_model **out, cr_msg *m) CR_NODISCARD;

/* Tokens per decode batch (model.c: why 256). */
#define CR_N_BATCH 256
/* cr_ctx_new with a batch size (0: the default) and, if share is not NULL,
 * share's scratch buffers borrowed instead of its own (share must outlive
 * the context, and the two must not compute at once). */
cr_err cr_ctx_make(cr_model *md, int n_ctx, int n_batch, cr_pool *pool, const cr_ctx *share, cr_ctx **out,
		   cr_msg *m) CR_NODISCARD;

/* Once per model, for batched steps: a copy of every Q4_0 weight matrix
 * (rows a multiple of 16) interleaved by 16 rows (cpu/x16.c), w->x16. Costs
 * as much memory again as those matrices; single sequences keep using the
 * GGML copy (their results do not change). */
cr_err cr_model_x16(cr_model *md, cr_msg *m) CR_NODISCARD;

/* kvcache.c */
cr_err cr_kv_alloc(cr_ctx *c, cr_msg *m) CR_NODISCARD;
void cr_kv_release(cr_ctx *c);
uint16_t *cr_kv_k(cr_ctx *c, int il, int kvh); /* start of one head's keys (f16) */
uint16_t *cr_kv_v(cr_ctx *c, int il, int kvh);
/* Stores n tokens' K and V rows (n × n_head_kv*head_dim floats) at pos,
 * rounded to f16. */
void cr_kv_store(cr_ctx *c, int il, int pos, int n, const float *kb, const float *vb);

/* arch_llama.c */
/* cr_attention's contract, computed in blocks of queries with cr_gemm_f32
 * (prompt processing); parallel over (kv head, query block) with the pool. */
void cr_attention_blocked(cr_ctx *c, int il, const float *q, int q_stride, int n, int pos0, int n_kv,
			  int causal, float *o, int o_stride);
cr_err cr_llama_decode(cr_ctx *c, const cr_token_id *toks, int n, int logits_all, cr_msg *m) CR_NODISCARD;
/* One token for each of n sequences: row i is toks[i] at position
 * rows[i]->pos of context rows[i] (its K/V stored there, attention over its
 * own cache), computed in w's scratch (n <= w->n_batch) with w's pool, the
 * products over all n rows at once. logits: n × n_vocab. Advances each
 * rows[i]->pos by one. The contexts must be distinct and have room. */
void cr_llama_step(cr_ctx *w, cr_ctx *const *rows, const cr_token_id *toks, int n, float *logits);
/* sched.c: a turn's side. acquire waits for a free slot (CR_ECANCELED /
 * CR_ETIMEOUT from cancel); prompt decodes toks[0..n) into it (what the
 * slot or another holds of it reused: *reused) and gives the last row's
 * logits (all rows with logits_all); step decodes one token; release gives
 * the slot back. Logits stay valid until the slot's next request. */
cr_err cr_sched_acquire(cr_sched *s, const cr_token_id *toks, int n, const cr_cancel *cancel, int *slot,
			cr_msg *m) CR_NODISCARD;
cr_err cr_sched_prompt(cr_sched *s, int slot, const cr_token_id *toks, int n, int logits_all,
		       const cr_cancel *cancel, int *reused, const float **logits, cr_msg *m) CR_NODISCARD;
cr_err cr_sched_step(cr_sched *s, int slot, cr_token_id tok, const float **logits, cr_msg *m) CR_NODISCARD;
void cr_sched_release(cr_sched *s, int slot);
const cr_model *cr_sched_model(const cr_sched *s);

/* arch_bert.c */
cr_err cr_bert_embed(cr_ctx *c, const cr_token_id *toks, int n, float *out, cr_msg *m) CR_NODISCARD;

/* Shared graph pieces (model.c). */
/* y[i][d] += b[d] for n rows of dim (b NULL: nothing). */
void cr_add_bias(float *y, const float *b, int n, int dim);
void cr_rmsnorm(float *y, const float *x, const float *w, int n, float eps);
void cr_layernorm(float *y, const float *x, const float *w, const float *b, int n, float eps);
/* Rotates the first n_rot dims of each of n_heads heads (stride head_dim)
 * of one token; cs holds n_rot/2 (cos, sin) pairs for its position. */
void cr_rope_apply(float *x, int n_heads, int head_dim, int n_rot, const float *cs, int mode);
/* cos/sin table for one position (n_rot/2 pairs): angle pos · freq_scale ·
 * base^(−2i/n_rot) [/ freq_div[i]]. With hp->yarn, as GGML's rope with
 * ext_factor 1: pair i mixes the scaled angle with the unscaled one by a
 * ramp that is 1 below yarn_lo and 0 above yarn_hi (the correction dims of
 * beta_fast 32 / beta_slow 1 over the original context), and cos/sin are
 * multiplied by yarn_mscale = 1 + 0.1·ln(1/freq_scale) (times the file's
 * attention factor). */
void cr_rope_table(float *cs, int pos, const cr_hparams *hp, const float *freq_div);
/* Attention of n query tokens (rows of q, stride q_stride floats) against
 * the layer's cache positions [0, n_kv); query i sits at position pos0 + i
 * and, if causal, sees keys 0..pos0+i. Output rows stride o_stride.
 * Parallel over heads with the pool. */
void cr_attention(cr_ctx *c, int il, const float *q, int q_stride, int n, int pos0, int n_kv,
		  int causal, float *o, int o_stride);
/* Attention of n single queries, row i (q + i·q_stride) belonging to
 * context rows[i] at its position rows[i]->pos (causal over its keys
 * 0..pos); tasks over (row, head) on the pool. */
void cr_attention_rows(cr_pool *pool, cr_ctx *const *rows, int n, int il, const float *q, int q_stride,
		       float *o, int o_stride);
/* The reference the tests compare against: same contract, one thread, plain loops. */
void cr_attention_naive(cr_ctx *c, int il, const float *q, int q_stride, int n, int pos0,
			int n_kv, int causal, float *o, int o_stride);
/* Embedding rows for token ids into x (n × n_embd). */
void cr_get_rows(const cr_wt *w, const cr_token_id *toks, int n, float *x);
void cr_model_matmul(cr_ctx *c, const cr_wt *w, const float *x, int n, float *y);

#endif
