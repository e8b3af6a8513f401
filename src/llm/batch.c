/*
 * batch.c — continuous batching: several sequences of one model decoded
 * together, one token each per step (llm.h, "batched decoding").
 *
 * A cr_batch holds P slots. A slot is an ordinary cr_ctx (its own f16 KV
 * cache, token ids, scores and logits) whose batch-size scratch is borrowed
 * from the batch's work context, so P slots cost P caches, not P copies of
 * the prompt scratch. A slot's prompt goes through cr_ctx_decode on the slot
 * (batches of 256 tokens, as for a lone context); cr_batch_step then runs
 * one token for each of n slots as ONE forward pass of n rows:
 *
 *   the weight products (Q, K, V, O, gate, up, down, output) are cr_matmul
 *   over n activation rows, so every weight block is read from memory once
 *   per step for all sequences instead of once per sequence — generation is
 *   bound by streaming the weights, so n sequences cost little more than one;
 *   the norms, RoPE (each row at its own position) and SwiGLU are per row;
 *   K/V rows go to each slot's own cache and attention runs per (row, head)
 *   over that slot's keys, all rows' heads as tasks of one pool run.
 *
 * Sequences join (a slot's prompt decoded) and leave (a slot not passed)
 * between steps; the batch keeps no per-step state. A common prefix (the
 * same system prompt) is computed once: cr_ctx_copy_prefix copies its K/V
 * rows into another slot (n_layer × n_head_kv × n × head_dim × 4 bytes).
 *
 * Threads: one thread at a time per batch (its slots included: a slot's
 * prompt and a step share the scratch). sched.c puts a thread in front.
 */
#include "model_int.h"

#include <string.h>

cr_err cr_batch_new(cr_model *md, int n_slots, int n_ctx, cr_pool *pool, cr_batch **out, cr_msg *m)
{
	*out = NULL;
	if (md->arch == CR_ARCH_BERT)
		return cr_fail(m, CR_EINVAL, "batch: %s is an embedding model", md->info.arch);
	if (n_slots < 1 || n_slots > 256)
		return cr_fail(m, CR_EINVAL, "batch: %d slots (1 to 256)", n_slots);
	cr_batch *b = cr_calloc(1, sizeof *b);
	if (!b)
		return cr_fail(m, CR_ENOMEM, "batch: out of memory");
	b->md = md;
	b->pool = pool;
	b->n_slots = n_slots;
	cr_err e;
	/* the work context's own cache is never used: one position */
	if ((e = cr_ctx_make(md, 1, CR_N_BATCH, pool, NULL, &b->work, m)) || (e = cr_model_x16(md, m)))
		goto fail;
	b->work->use_x16 = 1; /* steps (not the slots' prompts) */
	if (b->work->n_batch < n_slots) { /* the default batch (256) holds any slot count we allow */
		e = cr_fail(m, CR_EINVAL, "batch: %d slots exceed the batch of %d rows", n_slots, b->work->n_batch);
		goto fail;
	}
	b->slots = cr_calloc((size_t)n_slots, sizeof *b->slots);
	b->logits = cr_malloc((size_t)n_slots * (size_t)md->hp.n_vocab * sizeof(float));
	if (!b->slots || !b->logits) {
		e = cr_fail(m, CR_ENOMEM, "batch: out of memory");
		goto fail;
	}
	for (int i = 0; i < n_slots; i++)
		if ((e = cr_ctx_make(md, n_ctx, 0, pool, b->work, &b->slots[i], m)))
			goto fail;
	*out = b;
	return CR_OK;
fail:
	cr_batch_free(b);
	return e;
}


void cr_batch_free(cr_batch *b)
{
	if (!b)
		return;
	if (b->slots)
		for (int i = 0; i < b->n_slots; i++)
			cr_ctx_free(b->slots[i]);
	cr_free(b->slots);
	cr_ctx_free(b->work);
	cr_free(b->logits);
	cr_free(b);
}

int cr_batch_n_slots(const cr_batch *b) { return b->n_slots; }

cr_ctx *cr_batch_slot(cr_batch *b, int i)
{
	CR_ASSERT(i >= 0 && i < b->n_slots);
	return b->slots[i];
}

cr_err cr_batch_step(cr_batch *b, const int *slots, const cr_token_id *toks, int n, const float **logits,
		     cr_msg *m)
{
	if (logits)
		*logits = NULL;
	if (n < 1 || n > b->n_slots)
		return cr_fail(m, CR_EINVAL, "batch: %d rows in a step of %d slots", n, b->n_slots);
	cr_ctx *rows[256];
	for (int i = 0; i < n; i++) {
		if (slots[i] < 0 || slots[i] >= b->n_slots)
			return cr_fail(m, CR_EINVAL, "batch: no slot %d", slots[i]);
		for (int k = 0; k < i; k++)
			if (slots[k] == slots[i])
				return cr_fail(m, CR_EINVAL, "batch: slot %d twice in one step", slots[i]);
		cr_ctx *c = b->slots[slots[i]];
		if (c->pos >= c->n_ctx)
			return cr_fail(m, CR_ETOOBIG, "batch: slot %d is full (%d positions)", slots[i], c->n_ctx);
		if (toks[i] < 0 || toks[i] >= b->md->hp.n_vocab)
			return cr_fail(m, CR_EINVAL, "batch: token id %d out of range", toks[i]);
		rows[i] = c;
	}
	cr_llama_step(b->work, rows, toks, n, b->logits);
	if (logits)
		*logits = b->logits;
	return CR_OK;
}
