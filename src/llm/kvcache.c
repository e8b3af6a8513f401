/*
 * kvcache.c — the key/value cache of one inference context.
 *
 * f16 (IEEE half, rounded to nearest even as llama.cpp's default cache is),
 * laid out [layer][kv_head][position][head_dim]: attention for one head
 * then reads its keys and values as two contiguous arrays, and storing a
 * token scatters its K and V rows across heads (n_head_kv vector
 * conversions, cr_cvt_f32_f16). Size: 2 × n_layer × n_ctx × n_head_kv ×
 * head_dim × 2 bytes (Qwen2-0.5B at 4096 positions: 48 MiB), half of an f32
 * cache, and half the bytes each generated token's attention streams.
 * Generation reads it directly (cr_dot_f16_f32, cr_axpy_f16_f32); prompt
 * attention converts one head's rows back to f32 blocks for its GEMMs.
 *
 * Positions >= cr_ctx_pos are garbage; truncation only moves the counter.
 */
#include "model_int.h"
#include "cpu/cpu.h"

cr_err cr_kv_alloc(cr_ctx *c, cr_msg *m)
{
	const cr_hparams *hp = &c->md->hp;
	size_t n = (size_t)hp->n_layer * hp->n_head_kv * (size_t)c->n_ctx * hp->head_dim;
	c->k = cr_malloc(n * sizeof(uint16_t));
	c->v = cr_malloc(n * sizeof(uint16_t));
	if (!c->k || !c->v) {
		cr_kv_release(c);
		return cr_fail(m, CR_ENOMEM, "ctx: out of memory for a KV cache of %d positions "
				"(%zu MiB)", c->n_ctx, (2 * n * sizeof(uint16_t)) >> 20);
	}
	c->pos = 0;
	return CR_OK;
}

size_t cr_ctx_kv_bytes(const cr_ctx *c)
{
	const cr_hparams *hp = &c->md->hp;
	return 2 * (size_t)hp->n_layer * hp->n_head_kv * (size_t)c->n_ctx * hp->head_dim * sizeof(uint16_t);
}

void cr_kv_release(cr_ctx *c)
{
	cr_free(c->k);
	cr_free(c->v);
	c->k = c->v = NULL;
}

static size_t head_off(const cr_ctx *c, int il, int kvh)
{
	const cr_hparams *hp = &c->md->hp;
	return (((size_t)il * hp->n_head_kv + (size_t)kvh) * (size_t)c->n_ctx) * hp->head_dim;
}

uint16_t *cr_kv_k(cr_ctx *c, int il, int kvh) { return c->k + head_off(c, il, kvh); }
uint16_t *cr_kv_v(cr_ctx *c, int il, int kvh) { return c->v + head_off(c, il, kvh); }

void cr_kv_store(cr_ctx *c, int il, int pos, int n, const float *kb, const float *vb)
{
	const cr_hparams *hp = &c->md->hp;
	const int hd = hp->head_dim, nkv = hp->n_head_kv;
	CR_ASSERT(pos >= 0 && pos + n <= c->n_ctx);
	for (int h = 0; h < nkv; h++) {
		uint16_t *K = cr_kv_k(c, il, h) + (size_t)pos * hd;
		uint16_t *V = cr_kv_v(c, il, h) + (size_t)pos * hd;
		for (int i = 0; i < n; i++) {
			cr_cvt_f32_f16(K + (size_t)i * hd, kb + ((size_t)i * nkv + h) * hd, hd);
			cr_cvt_f32_f16(V + (size_t)i * hd, vb + ((size_t)i * nkv + h) * hd, hd);
		}
	}
}
