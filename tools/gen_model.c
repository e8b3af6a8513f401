/*
 * gen_model.c — writes GGUF models with random weights at realistic shapes,
 * for tests and benchmarks (no real weights needed, nothing downloaded).
 *
 *   gen_model --arch llama|qwen2|qwen3|bert
 *             --shape qwen2-0.5b|tinyllama-1.1b|qwen3-0.6b|bert-small|tiny
 *             --type f32|f16|bf16|q8_0|q4_0|q4_k|q5_k|q6_k|q4_k_m
 *             --vocab VOCAB.gguf --out FILE [--seed S] [--n-vocab N]
 *             [--pre NAME] [--out-scale K] [--res-scale R] [--layers N]
 *             [--yarn FACTOR]
 *
 * --yarn writes rope.scaling.type yarn with that factor over the shape's
 * context as rope.scaling.original_context_length (context_length becomes
 * FACTOR times it), as converted long-context Qwen files carry.
 *
 * The file carries every metadata key llama.cpp reads for the architecture
 * and the tokenizer keys copied from VOCAB.gguf (tokenizer.*). If the shape's
 * vocabulary is larger than the vocab file's (Qwen2's 151936 rows over a
 * smaller BPE vocab), the token list is padded with "[PAD<i>]" tokens of type
 * UNUSED, as convert_hf_to_gguf.py pads real Qwen2 files; --n-vocab N picks
 * another size (0 = the vocab file's). --pre overrides tokenizer.ggml.pre
 * (qwen2/qwen3 shapes over a non-Qwen BPE vocab get "qwen2").
 *
 * Weights: deterministic (seed, tensor name, row) Gaussian rows. Linear
 * layers get std 1/sqrt(fan_in); the residual-writing projections
 * (attn_output, ffn_down) get R/sqrt(fan_in) (R = --res-scale, default 1),
 * so the residual stream grows to a few times the embedding and the layers,
 * not the input token, decide the output; the output projection (or the
 * tied token embedding) gets std K/sqrt(n_embd) with K = --out-scale
 * (default 16), so logits spread by about K and the top-1 / top-2 gap is
 * usually a few logits (llama.cpp on qwen2-0.5b q8_0: see the report in
 * scripts/bench-llm.sh runs, `llama_harness --gap`). With a small R and a
 * tied embedding the input token's own logit dominates instead (gaps in the
 * hundreds, argmax = last token), which makes argmax tests blind.
 * Norm weights are 1 + N(0, 0.05²), biases N(0, 0.02²).
 *
 * Types: norms, biases and 1-D tensors stay F32. --type q4_k_m mixes like
 * llama.cpp's Q4_K_M: Q6_K for the output (or tied embedding) and for
 * attn_v / ffn_down in the layers use_more_bits() picks, Q4_K elsewhere. A
 * k-quant tensor whose row length is not a multiple of 256 falls back (as
 * llama.cpp does, but to types we support): Q4_K → Q4_0, Q5_K/Q6_K → Q8_0.
 * Rows are generated and quantized in parallel over the thread pool.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cristal/base.h"
#include "cristal/llm.h"
#include "llm/cpu/cpu.h"

typedef struct shape {
	const char *name;
	int n_layer, n_embd, n_head, n_head_kv, n_ff, head_dim, n_vocab, n_ctx;
	int tied;
	float rope_base, eps;
} shape;

static const shape shapes[] = {
	{"qwen2-0.5b", 24, 896, 14, 2, 4864, 64, 151936, 32768, 1, 1000000.0f, 1e-6f},
	{"tinyllama-1.1b", 22, 2048, 32, 4, 5632, 64, 32000, 2048, 0, 10000.0f, 1e-5f},
	{"qwen3-0.6b", 28, 1024, 16, 8, 3072, 128, 151936, 40960, 1, 1000000.0f, 1e-6f},
	{"bert-small", 6, 384, 12, 12, 1536, 32, 0, 512, 0, 0, 1e-12f},
	{"tiny", 2, 256, 4, 2, 512, 64, 0, 2048, 0, 10000.0f, 1e-5f},
};

typedef struct opts {
	const char *arch, *shape, *type, *vocab, *out, *pre;
	uint64_t seed;
	long n_vocab; /* -1: shape's */
	float out_scale, res_scale;
	int layers;
	float yarn; /* 0: no rope scaling */
} opts;

static void usage(void)
{
	fprintf(stderr,
		"usage: gen_model --arch llama|qwen2|qwen3|bert --shape qwen2-0.5b|tinyllama-1.1b|qwen3-0.6b|"
		"bert-small|tiny\n"
		"                 --type f32|f16|bf16|q8_0|q4_0|q4_k|q5_k|q6_k|q4_k_m --vocab VOCAB.gguf --out FILE\n"
		"                 [--seed S] [--n-vocab N] [--pre NAME] [--out-scale K] [--res-scale R] [--layers N]\n"
		"                 [--yarn FACTOR]\n");
	exit(2);
}

/* ---- random rows -------------------------------------------------------- */

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static void gauss_row(uint64_t seed, float *x, int64_t n, float mean, float std)
{
	uint64_t s = seed;
	for (int64_t i = 0; i < n; i += 2) {
		double u = ((double)(splitmix(&s) >> 11) + 0.5) / 9007199254740992.0;
		double v = (double)(splitmix(&s) >> 11) / 9007199254740992.0;
		double r = sqrt(-2.0 * log(u));
		x[i] = mean + std * (float)(r * cos(6.283185307179586 * v));
		if (i + 1 < n)
			x[i + 1] = mean + std * (float)(r * sin(6.283185307179586 * v));
	}
}

typedef struct gen_job {
	uint64_t seed;
	cr_ttype type;
	int64_t cols, rows;
	float mean, std;
	uint8_t *data;
	size_t row_bytes;
	int failed;
} gen_job;

static void gen_task(void *ctx, int i, int n)
{
	gen_job *j = ctx;
	float *x = malloc((size_t)j->cols * sizeof(float));
	if (!x) {
		j->failed = 1;
		return;
	}
	int64_t r0 = j->rows * i / n, r1 = j->rows * (i + 1) / n;
	for (int64_t r = r0; r < r1; r++) {
		uint64_t s = j->seed ^ ((uint64_t)r * 0xD1B54A32D192ED03ull);
		gauss_row(splitmix(&s), x, j->cols, j->mean, j->std);
		if (cr_quant_row(j->type, x, j->data + (size_t)r * j->row_bytes, j->cols) != CR_OK)
			j->failed = 1;
	}
	free(x);
}

/* ---- the model ---------------------------------------------------------- */

typedef struct gen {
	cr_gguf_writer *w;
	cr_pool *pool;
	opts o;
	shape s;
	cr_ttype base;   /* the main type */
	int q4_k_m;
	int64_t n_vocab;
	size_t bytes;
	int64_t n_params;
} gen;

static cr_ttype fallback(cr_ttype t, int64_t cols)
{
	if (cols % 256 == 0)
		return t;
	switch (t) {
	case CR_TT_Q4_K: return CR_TT_Q4_0;
	case CR_TT_Q5_K: case CR_TT_Q6_K: return CR_TT_Q8_0;
	default: return t;
	}
}

/* llama.cpp's use_more_bits(i, n) */
static int more_bits(int i, int n) { return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2; }

static cr_err add(gen *g, const char *name, cr_ttype t, int64_t cols, int64_t rows, float mean, float std)
{
	uint32_t n_dims = rows > 1 ? 2 : 1;
	if (n_dims == 1)
		t = CR_TT_F32;
	t = fallback(t, cols);
	gen_job j = {.type = t, .cols = cols, .rows = rows, .mean = mean, .std = std};
	j.row_bytes = cr_ttype_row_bytes(t, cols);
	if (!j.row_bytes)
		return CR_EINVAL;
	j.seed = cr_hash64(name, strlen(name), g->o.seed);
	size_t bytes = j.row_bytes * (size_t)rows;
	j.data = malloc(bytes);
	if (!j.data)
		return CR_ENOMEM;
	int n_tasks = (int)CR_MIN(rows, 64);
	cr_pool_run(g->pool, n_tasks, gen_task, &j);
	cr_err e = j.failed ? CR_ENOMEM : CR_OK;
	int64_t ne[4] = {cols, rows, 1, 1};
	if (!e)
		e = cr_gguf_writer_add_tensor(g->w, name, t, n_dims, ne, j.data, bytes);
	free(j.data);
	g->bytes += bytes;
	g->n_params += cols * rows;
	return e;
}

static cr_err addf(gen *g, cr_ttype t, int64_t cols, int64_t rows, float mean, float std, const char *fmt, int il)
{
	char name[128];
	snprintf(name, sizeof name, fmt, il);
	return add(g, name, t, cols, rows, mean, std);
}

/* Copies tokenizer.* keys, padding the token arrays to n_vocab. */
static cr_err copy_vocab(gen *g, const cr_gguf *v, int64_t n_have, cr_msg *m)
{
	cr_err e = CR_OK;
	for (size_t i = 0; !e && i < cr_gguf_n_kv(v); i++) {
		cr_gguf_str k = cr_gguf_key_name(v, i);
		char key[256];
		snprintf(key, sizeof key, "%.*s", (int)CR_MIN(k.n, 255), k.p);
		if (strncmp(key, "tokenizer.", 10))
			continue;
		int is_tok_arr = !strcmp(key, "tokenizer.ggml.tokens") || !strcmp(key, "tokenizer.ggml.scores") ||
				 !strcmp(key, "tokenizer.ggml.token_type");
		if (!strcmp(key, "tokenizer.ggml.pre") && g->o.pre)
			continue;
		if (!is_tok_arr || g->n_vocab == n_have) {
			e = cr_gguf_writer_copy_kv(g->w, v, key);
			continue;
		}
		/* padded copies */
		if (!strcmp(key, "tokenizer.ggml.tokens")) {
			char **toks = calloc((size_t)g->n_vocab, sizeof *toks);
			for (int64_t t = 0; toks && t < g->n_vocab; t++) {
				cr_gguf_str s = {0};
				if (t < n_have && cr_gguf_arr_str(v, key, (uint64_t)t, &s) == CR_OK)
					toks[t] = cr_strndup(s.p, s.n);
				else {
					toks[t] = malloc(32);
					if (toks[t])
						snprintf(toks[t], 32, "[PAD%ld]", (long)t);
				}
			}
			e = toks ? cr_gguf_writer_set_arr_str(g->w, key, (const char *const *)toks, (size_t)g->n_vocab) : CR_ENOMEM;
			for (int64_t t = 0; toks && t < g->n_vocab; t++)
				free(toks[t]);
			free(toks);
		} else if (!strcmp(key, "tokenizer.ggml.scores")) {
			float *sc = calloc((size_t)g->n_vocab, sizeof *sc);
			for (int64_t t = 0; sc && t < n_have; t++) {
				double d = 0;
				if (cr_gguf_arr_f64(v, key, (uint64_t)t, &d) == CR_OK)
					sc[t] = (float)d;
			}
			e = sc ? cr_gguf_writer_set_arr_f32(g->w, key, sc, (size_t)g->n_vocab) : CR_ENOMEM;
			free(sc);
		} else {
			int32_t *tt = calloc((size_t)g->n_vocab, sizeof *tt);
			for (int64_t t = 0; tt && t < g->n_vocab; t++) {
				int64_t x = 5; /* UNUSED */
				if (t < n_have)
					CR_IGNORE(cr_gguf_arr_i64(v, key, (uint64_t)t, &x));
				tt[t] = (int32_t)x;
			}
			e = tt ? cr_gguf_writer_set_arr_i32(g->w, key, tt, (size_t)g->n_vocab) : CR_ENOMEM;
			free(tt);
		}
	}
	if (e)
		return cr_fail(m, e, "gen_model: copying the vocabulary failed");
	return CR_OK;
}

static int file_type(const char *type)
{
	static const struct { const char *n; int ft; } fts[] = {
		{"f32", 0}, {"f16", 1}, {"q4_0", 2}, {"q8_0", 7}, {"q4_k", 14}, {"q5_k", 16},
		{"q6_k", 18}, {"q4_k_m", 15}, {"bf16", 32},
	};
	for (size_t i = 0; i < CR_ARRAY_LEN(fts); i++)
		if (!strcmp(fts[i].n, type))
			return fts[i].ft;
	return -1;
}

static int parse_type(const char *s, cr_ttype *t, int *q4km)
{
	*q4km = 0;
	if (!strcmp(s, "f32")) *t = CR_TT_F32;
	else if (!strcmp(s, "f16")) *t = CR_TT_F16;
	else if (!strcmp(s, "bf16")) *t = CR_TT_BF16;
	else if (!strcmp(s, "q8_0")) *t = CR_TT_Q8_0;
	else if (!strcmp(s, "q4_0")) *t = CR_TT_Q4_0;
	else if (!strcmp(s, "q4_k")) *t = CR_TT_Q4_K;
	else if (!strcmp(s, "q5_k")) *t = CR_TT_Q5_K;
	else if (!strcmp(s, "q6_k")) *t = CR_TT_Q6_K;
	else if (!strcmp(s, "q4_k_m")) { *t = CR_TT_Q4_K; *q4km = 1; }
	else return -1;
	return 0;
}

static cr_err build(gen *g, const cr_gguf *v, cr_msg *m)
{
	const shape *s = &g->s;
	const char *arch = g->o.arch;
	int bert = !strcmp(arch, "bert");
	char k[128];
	cr_err e = CR_OK;
#define KEY(suffix) (snprintf(k, sizeof k, "%s." suffix, arch), k)
#define CHK(x) do { if (!e) e = (x); } while (0)
	char name[128];
	snprintf(name, sizeof name, "cristal-random-%s-%s-%s", arch, s->name, g->o.type);
	CHK(cr_gguf_writer_set_str(g->w, "general.architecture", arch));
	CHK(cr_gguf_writer_set_str(g->w, "general.name", name));
	CHK(cr_gguf_writer_set_u32(g->w, "general.file_type", (uint32_t)file_type(g->o.type)));
	CHK(cr_gguf_writer_set_u32(g->w, "general.quantization_version", 2));
	CHK(cr_gguf_writer_set_u32(g->w, KEY("context_length"),
				   (uint32_t)(g->o.yarn > 0 ? s->n_ctx * g->o.yarn : s->n_ctx)));
	if (g->o.yarn > 0) {
		CHK(cr_gguf_writer_set_str(g->w, KEY("rope.scaling.type"), "yarn"));
		CHK(cr_gguf_writer_set_f32(g->w, KEY("rope.scaling.factor"), g->o.yarn));
		CHK(cr_gguf_writer_set_u32(g->w, KEY("rope.scaling.original_context_length"), (uint32_t)s->n_ctx));
	}
	CHK(cr_gguf_writer_set_u32(g->w, KEY("embedding_length"), (uint32_t)s->n_embd));
	CHK(cr_gguf_writer_set_u32(g->w, KEY("block_count"), (uint32_t)s->n_layer));
	CHK(cr_gguf_writer_set_u32(g->w, KEY("feed_forward_length"), (uint32_t)s->n_ff));
	CHK(cr_gguf_writer_set_u32(g->w, KEY("attention.head_count"), (uint32_t)s->n_head));
	CHK(cr_gguf_writer_set_u32(g->w, KEY("attention.head_count_kv"), (uint32_t)s->n_head_kv));
	if (bert) {
		CHK(cr_gguf_writer_set_f32(g->w, KEY("attention.layer_norm_epsilon"), s->eps));
		CHK(cr_gguf_writer_set_bool(g->w, KEY("attention.causal"), 0));
		CHK(cr_gguf_writer_set_u32(g->w, KEY("pooling_type"), 2)); /* CLS, as bge */
	} else {
		CHK(cr_gguf_writer_set_f32(g->w, KEY("attention.layer_norm_rms_epsilon"), s->eps));
		CHK(cr_gguf_writer_set_f32(g->w, KEY("rope.freq_base"), s->rope_base));
		CHK(cr_gguf_writer_set_u32(g->w, KEY("rope.dimension_count"), (uint32_t)s->head_dim));
		CHK(cr_gguf_writer_set_u32(g->w, KEY("attention.key_length"), (uint32_t)s->head_dim));
		CHK(cr_gguf_writer_set_u32(g->w, KEY("attention.value_length"), (uint32_t)s->head_dim));
		CHK(cr_gguf_writer_set_u32(g->w, KEY("vocab_size"), (uint32_t)g->n_vocab));
	}
	int64_t n_have = 0;
	cr_gguf_vtype et;
	uint64_t nt;
	if (cr_gguf_get_arr(v, "tokenizer.ggml.tokens", &et, &nt) != CR_OK || et != CR_GV_STRING)
		return cr_fail(m, CR_ECORRUPT, "gen_model: vocab file has no tokenizer.ggml.tokens");
	n_have = (int64_t)nt;
	if (!e)
		e = copy_vocab(g, v, n_have, m);
	if (g->o.pre)
		CHK(cr_gguf_writer_set_str(g->w, "tokenizer.ggml.pre", g->o.pre));
	if (e)
		return e;

	const int64_t E = s->n_embd, F = s->n_ff, V = g->n_vocab, L = s->n_layer;
	const int64_t Dq = (int64_t)s->n_head * s->head_dim, Dkv = (int64_t)s->n_head_kv * s->head_dim;
	cr_ttype T = g->base;
	float out_std = g->o.out_scale / sqrtf((float)E);
	float res = g->o.res_scale;
	cr_ttype t_out = g->q4_k_m ? CR_TT_Q6_K : T;
	/* token embedding: the output projection too when tied */
	CHK(add(g, "token_embd.weight", s->tied ? t_out : T, E, V, 0, s->tied ? out_std : 1.0f));
	if (bert) {
		CHK(add(g, "token_types.weight", CR_TT_F32, E, 2, 0, 0.1f));
		CHK(add(g, "position_embd.weight", CR_TT_F32, E, s->n_ctx, 0, 0.1f));
		CHK(add(g, "token_embd_norm.weight", CR_TT_F32, E, 1, 1, 0.05f));
		CHK(add(g, "token_embd_norm.bias", CR_TT_F32, E, 1, 0, 0.02f));
	}
	for (int il = 0; !e && il < L; il++) {
		cr_ttype tv = g->q4_k_m && more_bits(il, (int)L) ? CR_TT_Q6_K : T;
		cr_ttype td = tv;
		float wq = 1.0f / sqrtf((float)E);
		if (!bert)
			CHK(addf(g, T, E, 1, 1, 0.05f, "blk.%d.attn_norm.weight", il));
		CHK(addf(g, T, E, Dq, 0, wq, "blk.%d.attn_q.weight", il));
		CHK(addf(g, T, E, Dkv, 0, wq, "blk.%d.attn_k.weight", il));
		CHK(addf(g, tv, E, Dkv, 0, wq, "blk.%d.attn_v.weight", il));
		if (bert || !strcmp(arch, "qwen2")) {
			CHK(addf(g, T, Dq, 1, 0, bert ? 0.02f : 0.1f, "blk.%d.attn_q.bias", il));
			CHK(addf(g, T, Dkv, 1, 0, bert ? 0.02f : 0.1f, "blk.%d.attn_k.bias", il));
			CHK(addf(g, T, Dkv, 1, 0, 0.02f, "blk.%d.attn_v.bias", il));
		}
		if (!strcmp(arch, "qwen3")) {
			CHK(addf(g, T, s->head_dim, 1, 1, 0.05f, "blk.%d.attn_q_norm.weight", il));
			CHK(addf(g, T, s->head_dim, 1, 1, 0.05f, "blk.%d.attn_k_norm.weight", il));
		}
		CHK(addf(g, T, Dq, E, 0, res / sqrtf((float)Dq), "blk.%d.attn_output.weight", il));
		if (bert) {
			CHK(addf(g, T, E, 1, 0, 0.02f, "blk.%d.attn_output.bias", il));
			CHK(addf(g, T, E, 1, 1, 0.05f, "blk.%d.attn_output_norm.weight", il));
			CHK(addf(g, T, E, 1, 0, 0.02f, "blk.%d.attn_output_norm.bias", il));
			CHK(addf(g, T, E, F, 0, wq, "blk.%d.ffn_up.weight", il));
			CHK(addf(g, T, F, 1, 0, 0.02f, "blk.%d.ffn_up.bias", il));
			CHK(addf(g, td, F, E, 0, res / sqrtf((float)F), "blk.%d.ffn_down.weight", il));
			CHK(addf(g, T, E, 1, 0, 0.02f, "blk.%d.ffn_down.bias", il));
			CHK(addf(g, T, E, 1, 1, 0.05f, "blk.%d.layer_output_norm.weight", il));
			CHK(addf(g, T, E, 1, 0, 0.02f, "blk.%d.layer_output_norm.bias", il));
		} else {
			CHK(addf(g, T, E, 1, 1, 0.05f, "blk.%d.ffn_norm.weight", il));
			CHK(addf(g, T, E, F, 0, wq, "blk.%d.ffn_gate.weight", il));
			CHK(addf(g, T, E, F, 0, wq, "blk.%d.ffn_up.weight", il));
			CHK(addf(g, td, F, E, 0, res / sqrtf((float)F), "blk.%d.ffn_down.weight", il));
		}
	}
	if (!bert) {
		CHK(add(g, "output_norm.weight", CR_TT_F32, E, 1, 1, 0.05f));
		if (!s->tied)
			CHK(add(g, "output.weight", t_out, E, V, 0, out_std));
	}
#undef KEY
#undef CHK
	if (e)
		return cr_fail(m, e, "gen_model: adding tensors failed (%s)", cr_strerror(e));
	return CR_OK;
}

int main(int argc, char **argv)
{
	opts o = {.seed = 42, .n_vocab = -1, .out_scale = 16.0f, .res_scale = 1.0f};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (i + 1 >= argc)
			usage();
		const char *v = argv[++i];
		if (!strcmp(a, "--arch")) o.arch = v;
		else if (!strcmp(a, "--shape")) o.shape = v;
		else if (!strcmp(a, "--type")) o.type = v;
		else if (!strcmp(a, "--vocab")) o.vocab = v;
		else if (!strcmp(a, "--out")) o.out = v;
		else if (!strcmp(a, "--seed")) o.seed = strtoull(v, NULL, 0);
		else if (!strcmp(a, "--n-vocab")) o.n_vocab = strtol(v, NULL, 0);
		else if (!strcmp(a, "--pre")) o.pre = v;
		else if (!strcmp(a, "--out-scale")) o.out_scale = strtof(v, NULL);
		else if (!strcmp(a, "--layers")) o.layers = atoi(v);
		else if (!strcmp(a, "--res-scale")) o.res_scale = strtof(v, NULL);
		else if (!strcmp(a, "--yarn")) o.yarn = strtof(v, NULL);
		else usage();
	}
	if (!o.arch || !o.shape || !o.type || !o.vocab || !o.out)
		usage();
	if (strcmp(o.arch, "llama") && strcmp(o.arch, "qwen2") && strcmp(o.arch, "qwen3") && strcmp(o.arch, "bert")) {
		fprintf(stderr, "gen_model: unknown arch %s\n", o.arch);
		return 2;
	}
	gen g = {.o = o};
	const shape *sp = NULL;
	for (size_t i = 0; i < CR_ARRAY_LEN(shapes); i++)
		if (!strcmp(shapes[i].name, o.shape))
			sp = &shapes[i];
	if (!sp || parse_type(o.type, &g.base, &g.q4_k_m)) {
		fprintf(stderr, "gen_model: unknown shape or type\n");
		return 2;
	}
	g.s = *sp;
	if (o.layers > 0)
		g.s.n_layer = o.layers;
	if (!strcmp(o.arch, "bert") && strcmp(o.shape, "bert-small") && strcmp(o.shape, "tiny")) {
		fprintf(stderr, "gen_model: bert takes --shape bert-small or tiny\n");
		return 2;
	}
	if (!strcmp(o.arch, "bert")) {
		g.s.tied = 0;
		g.s.n_head_kv = g.s.n_head;
		g.s.head_dim = g.s.n_embd / g.s.n_head;
		if (g.s.n_ctx > 512)
			g.s.n_ctx = 512;
	}
	cr_msg m = {{0}};
	cr_gguf *v = NULL;
	if (cr_gguf_open(o.vocab, &v, &m) != CR_OK) {
		fprintf(stderr, "gen_model: %s: %s\n", o.vocab, m.text);
		return 1;
	}
	cr_gguf_vtype et;
	uint64_t n_tok = 0;
	CR_IGNORE(cr_gguf_get_arr(v, "tokenizer.ggml.tokens", &et, &n_tok));
	g.n_vocab = o.n_vocab >= 0 ? (o.n_vocab ? o.n_vocab : (int64_t)n_tok) : (g.s.n_vocab ? g.s.n_vocab : (int64_t)n_tok);
	if (g.n_vocab < (int64_t)n_tok)
		g.n_vocab = (int64_t)n_tok; /* never drop tokens */
	if (!o.pre && (!strcmp(o.arch, "qwen2") || !strcmp(o.arch, "qwen3"))) {
		cr_gguf_str pre, tm;
		if (cr_gguf_get_str(v, "tokenizer.ggml.model", &tm) == CR_OK && tm.n == 4 && !memcmp(tm.p, "gpt2", 4) &&
		    cr_gguf_get_str(v, "tokenizer.ggml.pre", &pre) == CR_OK && !(pre.n >= 4 && !memcmp(pre.p, "qwen", 4)))
			g.o.pre = "qwen2";
	}
	int rc = 1;
	if (cr_pool_new(0, &g.pool) != CR_OK || cr_gguf_writer_new(&g.w) != CR_OK) {
		fprintf(stderr, "gen_model: out of memory\n");
		goto out;
	}
	double t0 = cr_now();
	if (build(&g, v, &m) != CR_OK) {
		fprintf(stderr, "%s\n", m.text);
		goto out;
	}
	if (cr_gguf_writer_write(g.w, o.out, &m) != CR_OK) {
		fprintf(stderr, "gen_model: %s: %s\n", o.out, m.text);
		goto out;
	}
	printf("gen_model: %s: %s %s %s, %d layers, vocab %ld, %.1fM params, %.1f MB of tensors, %.1f s\n", o.out,
	       o.arch, g.s.name, o.type, g.s.n_layer, (long)g.n_vocab, (double)g.n_params / 1e6,
	       (double)g.bytes / 1e6, cr_now() - t0);
	rc = 0;
out:
	cr_gguf_writer_free(g.w);
	cr_pool_free(g.pool);
	cr_gguf_free(v);
	return rc;
}
