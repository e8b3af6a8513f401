/* test_llm_model.c — model graph pieces against direct formulas (RoPE in
 * both modes, attention against a naive double-precision reference), and,
 * with the shared tiny models, loading errors, batch vs token-by-token
 * decoding, prefix reuse and the golden greedy continuation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "llm/model_int.h"

static uint64_t rs = 0x9E3779B97F4A7C15ull;
static float frand(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return (float)((rs >> 40) / (double)(1 << 24)) * 2.0f - 1.0f;
}

static void test_rope(void **st)
{
	enum { HD = 16, NH = 3, NR = 12 };
	float fdiv[NR / 2];
	for (int i = 0; i < NR / 2; i++)
		fdiv[i] = 1.0f + 0.5f * i;
	for (int mode = 0; mode <= 2; mode += 2)
		for (int variant = 0; variant < 2; variant++) {
			int pos = 37;
			float base = 10000.0f, fs = variant ? 0.25f : 1.0f;
			const float *fd = variant ? fdiv : NULL;
			float x[NH * HD], y[NH * HD], cs[NR];
			for (int i = 0; i < NH * HD; i++)
				x[i] = y[i] = frand();
			cr_hparams hp = {.n_rot = NR, .rope_base = base, .rope_freq_scale = fs};
			cr_rope_table(cs, pos, &hp, fd);
			cr_rope_apply(y, NH, HD, NR, cs, mode);
			for (int h = 0; h < NH; h++) {
				const float *a = x + h * HD, *b = y + h * HD;
				for (int i = 0; i < NR / 2; i++) {
					double th = pos * fs * pow(base, -2.0 * i / NR) / (fd ? fd[i] : 1.0);
					int i0 = mode == CR_ROPE_NEOX ? i : 2 * i;
					int i1 = mode == CR_ROPE_NEOX ? i + NR / 2 : 2 * i + 1;
					double r0 = a[i0] * cos(th) - a[i1] * sin(th);
					double r1 = a[i0] * sin(th) + a[i1] * cos(th);
					assert_true(fabs(b[i0] - r0) < 1e-4);
					assert_true(fabs(b[i1] - r1) < 1e-4);
				}
				for (int i = NR; i < HD; i++) /* beyond n_rot: untouched */
					assert_true(a[i] == b[i]);
			}
		}
}

/* YaRN: pair i's angle mixes pos·fs·θi and pos·θi by the ramp, cos/sin
 * scaled by mscale (GGML's rope with ext_factor 1) */
static void test_rope_yarn(void **st)
{
	(void)st;
	enum { NR = 16 };
	cr_hparams hp = {.n_rot = NR, .rope_base = 10000.0f, .rope_freq_scale = 0.25f, .yarn = 1,
			 .yarn_lo = 2.0f, .yarn_hi = 5.0f, .yarn_mscale = 1.1386f};
	float cs[NR];
	int pos = 91;
	cr_rope_table(cs, pos, &hp, NULL);
	for (int i = 0; i < NR / 2; i++) {
		double ext = pos * pow(10000.0, -2.0 * i / NR), interp = 0.25 * ext;
		double y = (i - 2.0) / 3.0, ramp = 1.0 - (y < 0 ? 0 : y > 1 ? 1 : y);
		double th = interp * (1 - ramp) + ext * ramp;
		assert_true(fabs(cs[2 * i] - 1.1386 * cos(th)) < 1e-4);
		assert_true(fabs(cs[2 * i + 1] - 1.1386 * sin(th)) < 1e-4);
	}
	/* below lo the angle is the unscaled one, above hi the scaled one */
	assert_true(fabs(cs[0] - 1.1386 * cos((double)pos)) < 1e-4);
	double top = 0.25 * pos * pow(10000.0, -2.0 * 7 / NR);
	assert_true(fabs(cs[14] - 1.1386 * cos(top)) < 1e-4);
}

static void test_attention(void **st)
{
	cr_model md;
	memset(&md, 0, sizeof md);
	md.hp.n_layer = 2;
	md.hp.n_head = 6;
	md.hp.n_head_kv = 2;
	md.hp.head_dim = 24;
	cr_ctx c;
	memset(&c, 0, sizeof c);
	c.md = &md;
	c.n_ctx = 50;
	assert_int_equal(cr_kv_alloc(&c, NULL), CR_OK);
	c.scores = malloc(sizeof(float) * 6 * 50);
	cr_pool *pool;
	assert_int_equal(cr_pool_new(2, &pool), CR_OK);
	enum { N = 9, NQ = 6 * 24, NKV = 2 * 24 };
	float kb[50 * NKV], vb[50 * NKV], q[N * NQ], o1[N * NQ], o2[N * NQ];
	for (size_t i = 0; i < CR_ARRAY_LEN(kb); i++) {
		kb[i] = frand() * 3;
		vb[i] = frand();
	}
	for (size_t i = 0; i < CR_ARRAY_LEN(q); i++)
		q[i] = frand() * 3;
	for (int il = 0; il < 2; il++)
		cr_kv_store(&c, il, 0, 50, kb, vb);
	for (int causal = 0; causal < 2; causal++)
		for (int threaded = 0; threaded < 2; threaded++) {
			c.pool = threaded ? pool : NULL;
			int pos0 = 30, n_kv = causal ? pos0 + N : 50;
			cr_attention(&c, 1, q, NQ, N, pos0, n_kv, causal, o1, NQ);
			cr_attention_naive(&c, 1, q, NQ, N, pos0, n_kv, causal, o2, NQ);
			for (int i = 0; i < N * NQ; i++)
				assert_true(fabsf(o1[i] - o2[i]) < 1e-5f);
			cr_attention_blocked(&c, 1, q, NQ, N, pos0, n_kv, causal, o1, NQ);
			for (int i = 0; i < N * NQ; i++)
				assert_true(fabsf(o1[i] - o2[i]) < 1e-5f);
		}
	/* causal: query i must not see keys after pos0 + i */
	float o3[N * NQ];
	c.pool = NULL;
	cr_attention(&c, 0, q, NQ, N, 5, 5 + N, 1, o1, NQ);
	for (size_t i = (5 + N) * NKV; i < CR_ARRAY_LEN(kb); i++)
		vb[i] = 100.0f; /* garbage beyond the window */
	cr_kv_store(&c, 0, 0, 50, kb, vb);
	cr_attention(&c, 0, q, NQ, N, 5, 5 + N, 1, o3, NQ);
	assert_memory_equal(o1, o3, sizeof o1);
	cr_pool_free(pool);
	free(c.scores);
	cr_kv_release(&c);
}

/* Blocked attention over several query blocks (N > 64, a ragged last one),
 * a head size that is no multiple of the SIMD width, a cache prefix
 * (pos0 > 0), causal and not, one thread and two, against the naive
 * double-precision reference. */
static void test_attention_blocked(void **st)
{
	(void)st;
	cr_model md;
	memset(&md, 0, sizeof md);
	md.hp.n_layer = 1;
	md.hp.n_head = 6;
	md.hp.n_head_kv = 2;
	md.hp.head_dim = 20;
	cr_ctx c;
	memset(&c, 0, sizeof c);
	c.md = &md;
	c.n_ctx = 250;
	assert_int_equal(cr_kv_alloc(&c, NULL), CR_OK);
	cr_pool *pool;
	assert_int_equal(cr_pool_new(2, &pool), CR_OK);
	enum { N = 150, POS0 = 37, NQ = 6 * 20, NKV = 2 * 20 };
	float *kb = malloc(sizeof(float) * 250 * NKV), *vb = malloc(sizeof(float) * 250 * NKV);
	float *q = malloc(sizeof(float) * N * NQ), *o1 = malloc(sizeof(float) * N * NQ);
	float *o2 = malloc(sizeof(float) * N * NQ);
	for (int i = 0; i < 250 * NKV; i++) {
		kb[i] = frand() * 3;
		vb[i] = frand();
	}
	for (int i = 0; i < N * NQ; i++)
		q[i] = frand() * 3;
	cr_kv_store(&c, 0, 0, 250, kb, vb);
	for (int causal = 0; causal < 2; causal++)
		for (int threaded = 0; threaded < 2; threaded++) {
			c.pool = threaded ? pool : NULL;
			int n_kv = causal ? POS0 + N : 250;
			cr_attention_naive(&c, 0, q, NQ, N, POS0, n_kv, causal, o2, NQ);
			cr_attention_blocked(&c, 0, q, NQ, N, POS0, n_kv, causal, o1, NQ);
			for (int i = 0; i < N * NQ; i++)
				assert_true(fabsf(o1[i] - o2[i]) < 1e-5f);
		}
	cr_pool_free(pool);
	free(kb);
	free(vb);
	free(q);
	free(o1);
	free(o2);
	cr_kv_release(&c);
}

/* ---- with the shared tiny models ---------------------------------------- */

static char stories[4096];

static int have_stories(void)
{
	const char *d = getenv("CR_SHARED_DATA");
	if (!d)
		return 0;
	snprintf(stories, sizeof stories, "%s/gguf-models/stories260K.gguf", d);
	FILE *f = fopen(stories, "rb");
	if (!f)
		return 0;
	fclose(f);
	return 1;
}

static const int golden[60] = {
	403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267, 337,
	410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426, 385, 328, 432, 358, 394, 261, 370, 432, 352,
	266, 268, 388, 426, 338, 391, 266, 267, 337, 335, 312, 432, 398, 312, 286, 267, 414, 270, 333, 415};

static int argmax(const float *x, int n)
{
	int b = 0;
	for (int i = 1; i < n; i++)
		if (x[i] > x[b])
			b = i;
	return b;
}

static void test_stories(void **st)
{
	if (!have_stories())
		skip();
	cr_msg m = {{0}};
	cr_model *md;
	assert_int_equal(cr_model_load(stories, &md, &m), CR_OK);
	const cr_model_info *in = cr_model_get_info(md);
	assert_string_equal(in->arch, "llama");
	assert_int_equal(in->n_layer, 5);
	assert_int_equal(in->n_vocab, 512);
	cr_pool *pool;
	assert_int_equal(cr_pool_new(2, &pool), CR_OK);
	cr_ctx *c;
	assert_int_equal(cr_ctx_new(md, 128, pool, &c, &m), CR_OK);
	/* greedy from BOS */
	cr_token_id seq[61];
	seq[0] = 1;
	const float *lg;
	for (int i = 0; i < 60; i++) {
		assert_int_equal(cr_ctx_decode(c, &seq[i], 1, 0, &lg, &m), CR_OK);
		seq[i + 1] = argmax(lg, 512);
		assert_int_equal(seq[i + 1], golden[i]);
	}
	/* the whole sequence as one batch: same argmax at every position */
	cr_ctx_truncate(c, 0);
	assert_int_equal(cr_ctx_pos(c), 0);
	assert_int_equal(cr_ctx_decode(c, seq, 60, 1, &lg, &m), CR_OK);
	for (int i = 0; i < 60; i++)
		assert_int_equal(argmax(lg + (size_t)i * 512, 512), golden[i]);
	float last[512];
	memcpy(last, lg + 59 * 512, sizeof last);
	/* prefix reuse: drop the tail and decode it again */
	cr_ctx_truncate(c, 25);
	assert_int_equal(cr_ctx_decode(c, seq + 25, 35, 0, &lg, &m), CR_OK);
	for (int v = 0; v < 512; v++)
		assert_true(fabsf(lg[v] - last[v]) < 1e-3f);
	/* reuse_prefix: a conversation that shares the first 25 tokens */
	cr_token_id alt[40];
	memcpy(alt, seq, sizeof alt);
	alt[25] = 300;
	assert_int_equal(cr_ctx_reuse_prefix(c, alt, 40), 25);
	assert_int_equal(cr_ctx_pos(c), 25);
	assert_int_equal(cr_ctx_decode(c, alt + 25, 15, 0, &lg, &m), CR_OK);
	float reused[512];
	memcpy(reused, lg, sizeof reused);
	cr_ctx_truncate(c, 0);
	assert_int_equal(cr_ctx_decode(c, alt, 40, 0, &lg, &m), CR_OK);
	for (int v = 0; v < 512; v++)
		assert_true(fabsf(lg[v] - reused[v]) < 1e-3f);
	/* identical input: everything but the last token is kept */
	assert_int_equal(cr_ctx_reuse_prefix(c, alt, 40), 39);
	assert_int_equal(cr_ctx_reuse_prefix(c, alt, 10), 9);
	/* errors */
	cr_token_id bad = 512;
	assert_int_equal(cr_ctx_decode(c, &bad, 1, 0, &lg, &m), CR_EINVAL);
	cr_ctx_truncate(c, 0);
	cr_token_id many[129] = {0};
	assert_int_equal(cr_ctx_decode(c, many, 129, 0, &lg, &m), CR_ETOOBIG);
	float emb[64];
	assert_int_equal(cr_ctx_embed(c, seq, 3, emb, &m), CR_EINVAL);
	cr_ctx_free(c);
	cr_pool_free(pool);
	cr_model_free(md);
}

/* Writes a copy of src with tensor `drop` left out (or `reshape` given one
 * row less), and checks that loading fails naming it. */
static void broken_copy(const char *src, const char *drop, const char *reshape, cr_err want)
{
	cr_gguf *g;
	assert_int_equal(cr_gguf_open(src, &g, NULL), CR_OK);
	cr_gguf_writer *w;
	assert_int_equal(cr_gguf_writer_new(&w), CR_OK);
	for (size_t i = 0; i < cr_gguf_n_kv(g); i++) {
		cr_gguf_str k = cr_gguf_key_name(g, i);
		char key[256];
		snprintf(key, sizeof key, "%.*s", (int)k.n, k.p);
		if (!strcmp(key, "general.alignment"))
			continue;
		assert_int_equal(cr_gguf_writer_copy_kv(w, g, key), CR_OK);
	}
	for (size_t i = 0; i < cr_gguf_n_tensors(g); i++) {
		const cr_gguf_tensor *t = cr_gguf_tensor_at(g, i);
		char name[256];
		snprintf(name, sizeof name, "%.*s", (int)t->name.n, t->name.p);
		if (drop && !strcmp(name, drop))
			continue;
		int64_t ne[4] = {t->ne[0], t->ne[1], t->ne[2], t->ne[3]};
		size_t bytes = t->bytes;
		if (reshape && !strcmp(name, reshape)) {
			bytes -= bytes / (size_t)ne[1];
			ne[1]--;
		}
		assert_int_equal(cr_gguf_writer_add_tensor(w, name, t->type, t->n_dims, ne, t->data, bytes), CR_OK);
	}
	char out[] = "/tmp/cr_test_model_XXXXXX";
	int fd = mkstemp(out);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(cr_gguf_writer_write(w, out, NULL), CR_OK);
	cr_gguf_writer_free(w);
	cr_gguf_free(g);
	cr_msg m = {{0}};
	cr_model *md = NULL;
	assert_int_equal(cr_model_load(out, &md, &m), want);
	assert_null(md);
	assert_non_null(strstr(m.text, drop ? drop : reshape));
	unlink(out);
}

static void test_load_errors(void **st)
{
	if (!have_stories())
		skip();
	broken_copy(stories, "blk.3.ffn_up.weight", NULL, CR_ECORRUPT);
	broken_copy(stories, "output_norm.weight", NULL, CR_ECORRUPT);
	broken_copy(stories, NULL, "blk.1.attn_k.weight", CR_ECORRUPT);
	cr_msg m = {{0}};
	cr_model *md = NULL;
	assert_int_not_equal(cr_model_load("/nonexistent.gguf", &md, &m), CR_OK);
	assert_null(md);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rope),
		cmocka_unit_test(test_rope_yarn), cmocka_unit_test(test_attention),
		cmocka_unit_test(test_attention_blocked),
		cmocka_unit_test(test_stories), cmocka_unit_test(test_load_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
