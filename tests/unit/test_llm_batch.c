/* test_llm_batch.c — continuous batching (cr_batch_*, cr_sched_*) against
 * its oracle, each sequence decoded alone in its own context:
 *
 *   - sequences with different prompt lengths join a batch at different
 *     steps and leave after different numbers of tokens (a freed slot is
 *     reused by a later sequence); each gets the same greedy tokens as alone
 *     and logits within a tight bound, with one thread and with a pool;
 *   - a prompt prefix copied from another slot (cr_ctx_copy_prefix) gives
 *     the same logits as computing it;
 *   - bad steps (repeated or unknown slot, bad token, full slot) fail before
 *     computing anything;
 *   - the scheduler (cr_sched): several threads each run a greedy cr_gen_turn
 *     at once through one scheduler and get the tokens a lone session gets;
 *     one of them is canceled while the others finish.
 *
 * The model is written by tools/gen_model (qwen2 graph — Q/K/V biases, NeoX
 * RoPE — at the tiny shape with 2 layers, Q4_0 weights, over stories260K's
 * vocabulary); skipped without the built tool or the shared data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cristal/llm.h"
#include "llm/model_int.h" /* cr_sched_acquire, to hold a slot */

static char model_path[256];
static cr_model *md;
static int n_vocab;

static int setup(void **st)
{
	(void)st;
	const char *data = getenv("CR_SHARED_DATA"), *build = getenv("CR_BUILD_DIR");
	if (!data || !build)
		return 0;
	snprintf(model_path, sizeof model_path, "/tmp/cr_test_batch_%d.gguf", (int)getpid());
	char cmd[2048];
	snprintf(cmd, sizeof cmd,
		 "%s/tools/gen_model --arch qwen2 --shape tiny --type q4_0 --layers 2 "
		 "--vocab %s/gguf-models/stories260K.gguf --out %s >/dev/null 2>&1",
		 build, data, model_path);
	if (system(cmd) != 0)
		return 0;
	cr_msg m = {{0}};
	if (cr_model_load(model_path, &md, &m))
		md = NULL;
	else
		n_vocab = cr_model_get_info(md)->n_vocab;
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	cr_model_free(md);
	unlink(model_path);
	return 0;
}

static int argmax(const float *x, int n)
{
	int b = 0;
	for (int i = 1; i < n; i++)
		if (x[i] > x[b])
			b = i;
	return b;
}

/* A deterministic prompt: sequence s, length n (ids past the control tokens). */
static void prompt_of(int s, int n, cr_token_id *out)
{
	uint64_t r = 0x9E3779B97F4A7C15ull * (uint64_t)(s + 1);
	for (int i = 0; i < n; i++) {
		r = r * 6364136223846793005ull + 1442695040888963407ull;
		out[i] = (cr_token_id)(3 + (r >> 33) % (uint64_t)(n_vocab - 3));
	}
}

enum { N_SEQ = 5, MAX_GEN = 12, MAX_PROMPT = 48 };
static const int plen[N_SEQ] = {5, 17, 1, 40, 9};
static const int ngen[N_SEQ] = {10, 6, 12, 8, 7};
static const int join_at[N_SEQ] = {0, 2, 3, 4, 9}; /* step at which it may join */

typedef struct oracle {
	cr_token_id toks[MAX_GEN];
	float *logits; /* ngen × n_vocab: the logits each token was picked from */
} oracle;

/* Each sequence alone: prompt, then greedy tokens one at a time. */
static void run_alone(cr_pool *pool, oracle *o)
{
	cr_msg m = {{0}};
	for (int s = 0; s < N_SEQ; s++) {
		cr_ctx *c;
		assert_int_equal(cr_ctx_new(md, 128, pool, &c, &m), CR_OK);
		cr_token_id p[MAX_PROMPT];
		prompt_of(s, plen[s], p);
		const float *lg;
		assert_int_equal(cr_ctx_decode(c, p, plen[s], 0, &lg, &m), CR_OK);
		o[s].logits = malloc((size_t)ngen[s] * n_vocab * sizeof(float));
		for (int k = 0; k < ngen[s]; k++) {
			memcpy(o[s].logits + (size_t)k * n_vocab, lg, (size_t)n_vocab * sizeof(float));
			o[s].toks[k] = argmax(lg, n_vocab);
			if (k + 1 < ngen[s])
				assert_int_equal(cr_ctx_decode(c, &o[s].toks[k], 1, 0, &lg, &m), CR_OK);
		}
		cr_ctx_free(c);
	}
}

/* Largest difference relative to the row's largest logit. */
static double max_diff(const float *a, const float *b, int n)
{
	double d = 0, mag = 0;
	for (int i = 0; i < n; i++) {
		d = fmax(d, fabs((double)a[i] - b[i]));
		mag = fmax(mag, fabs((double)b[i]));
	}
	return d / fmax(mag, 1e-30);
}

/* Batched: 3 slots for 5 sequences, joining at join_at (or when a slot is
 * free) and leaving after ngen tokens. */
static void run_batched(cr_pool *pool, const oracle *o, int x16)
{
	cr_msg m = {{0}};
	cr_batch *b;
	assert_int_equal(cr_batch_new(md, 3, 128, pool, &b, &m), CR_OK);
	b->work->use_x16 = x16;
	assert_int_equal(cr_batch_n_slots(b), 3);
	int slot_of[N_SEQ], done[N_SEQ] = {0}, owner[3] = {-1, -1, -1};
	cr_token_id next[N_SEQ];
	for (int s = 0; s < N_SEQ; s++)
		slot_of[s] = -1;
	double worst = 0;
	int finished = 0, max_rows = 0;
	for (int step = 0; finished < N_SEQ; step++) {
		assert_true(step < 100);
		/* joins: a prompt decoded into a free slot, its first token picked */
		for (int s = 0; s < N_SEQ; s++) {
			if (slot_of[s] >= 0 || done[s] || step < join_at[s])
				continue;
			int f = -1;
			for (int i = 0; i < 3 && f < 0; i++)
				if (owner[i] < 0)
					f = i;
			if (f < 0)
				break;
			owner[f] = s;
			slot_of[s] = f;
			cr_ctx *c = cr_batch_slot(b, f);
			cr_ctx_truncate(c, 0); /* a reused slot starts empty */
			cr_token_id p[MAX_PROMPT];
			prompt_of(s, plen[s], p);
			const float *lg;
			assert_int_equal(cr_ctx_decode(c, p, plen[s], 0, &lg, &m), CR_OK);
			worst = fmax(worst, max_diff(lg, o[s].logits, n_vocab));
			next[s] = argmax(lg, n_vocab);
			assert_int_equal(next[s], o[s].toks[0]);
			done[s] = 1; /* tokens produced so far */
			if (done[s] == ngen[s]) { /* no step needed */
				owner[f] = -1;
				finished++;
			}
		}
		/* one step for every active sequence */
		int slots[3], rows = 0, seq[3];
		cr_token_id toks[3];
		for (int i = 0; i < 3; i++)
			if (owner[i] >= 0) {
				seq[rows] = owner[i];
				slots[rows] = i;
				toks[rows] = next[owner[i]];
				rows++;
			}
		if (!rows)
			continue;
		max_rows = rows > max_rows ? rows : max_rows;
		const float *lg;
		assert_int_equal(cr_batch_step(b, slots, toks, rows, &lg, &m), CR_OK);
		for (int r = 0; r < rows; r++) {
			int s = seq[r], k = done[s];
			const float *row = lg + (size_t)r * n_vocab;
			worst = fmax(worst, max_diff(row, o[s].logits + (size_t)k * n_vocab, n_vocab));
			next[s] = argmax(row, n_vocab);
			assert_int_equal(next[s], o[s].toks[k]);
			if (++done[s] == ngen[s]) { /* leaves */
				owner[slots[r]] = -1;
				slot_of[s] = -2;
				finished++;
			}
		}
	}
	assert_int_equal(max_rows, 3);
	printf("batched vs alone (%s): max |logit difference| / max |logit| %.2e\n",
	       x16 ? "x16 products" : "GGML-layout products", worst);
	/* With the products of a lone sequence, a step is the same computation
	 * row by row: identical logits. With the x16 products (the default) the
	 * float sums run in another order, and the rare activation that then
	 * rounds to the neighbouring 8-bit step in the next product moves the
	 * logits by up to about 1% of their range (as between kernel levels);
	 * the greedy tokens above are the same. */
	if (x16)
		assert_true(worst < 2e-2);
	else
		assert_true(worst == 0);
	cr_batch_free(b);
}

static void free_oracle(oracle *o)
{
	for (int s = 0; s < N_SEQ; s++)
		free(o[s].logits);
}

static void test_batch_matches_alone(void **st)
{
	(void)st;
	if (!md)
		skip();
	oracle o[N_SEQ];
	run_alone(NULL, o);
	run_batched(NULL, o, 0);
	run_batched(NULL, o, 1);
	cr_pool *pool;
	assert_int_equal(cr_pool_new(2, &pool), CR_OK);
	run_batched(pool, o, 0); /* the pool's split of products and attention changes nothing */
	run_batched(pool, o, 1);
	free_oracle(o);
	run_alone(pool, o);
	run_batched(pool, o, 0);
	run_batched(pool, o, 1);
	free_oracle(o);
	cr_pool_free(pool);
}

static void test_copy_prefix(void **st)
{
	(void)st;
	if (!md)
		skip();
	cr_msg m = {{0}};
	cr_batch *b;
	assert_int_equal(cr_batch_new(md, 2, 64, NULL, &b, &m), CR_OK);
	cr_ctx *a = cr_batch_slot(b, 0), *c = cr_batch_slot(b, 1);
	cr_token_id p[40], q[40];
	prompt_of(7, 40, p);
	memcpy(q, p, sizeof q);
	q[30] = (q[30] + 1) % n_vocab; /* shares 30 tokens with p */
	const float *lg;
	assert_int_equal(cr_ctx_decode(a, p, 40, 0, &lg, &m), CR_OK);
	assert_int_equal(cr_ctx_common_prefix(a, q, 40), 30);
	assert_int_equal(cr_ctx_copy_prefix(c, a, 30, &m), CR_OK);
	assert_int_equal(cr_ctx_pos(c), 30);
	assert_int_equal(cr_ctx_decode(c, q + 30, 10, 0, &lg, &m), CR_OK);
	float *got = malloc((size_t)n_vocab * sizeof(float));
	memcpy(got, lg, (size_t)n_vocab * sizeof(float));
	cr_ctx *alone;
	assert_int_equal(cr_ctx_new(md, 64, NULL, &alone, &m), CR_OK);
	assert_int_equal(cr_ctx_decode(alone, q, 40, 0, &lg, &m), CR_OK);
	/* the same f16 rows either way; only the batch split of the prompt differs */
	assert_true(max_diff(got, lg, n_vocab) < 1e-3);
	assert_int_equal(argmax(got, n_vocab), argmax(lg, n_vocab));
	/* bad copies */
	assert_int_equal(cr_ctx_copy_prefix(c, a, 41, &m), CR_EINVAL);
	cr_ctx_free(alone);
	free(got);
	cr_batch_free(b);
}

static void test_step_errors(void **st)
{
	(void)st;
	if (!md)
		skip();
	cr_msg m = {{0}};
	cr_batch *b;
	assert_int_equal(cr_batch_new(md, 2, 4, NULL, &b, &m), CR_OK);
	const float *lg = (const float *)1;
	int twice[2] = {0, 0}, bad[1] = {2}, one[1] = {1};
	cr_token_id t[2] = {5, 6}, badtok[1] = {-1};
	assert_int_equal(cr_batch_step(b, twice, t, 2, &lg, &m), CR_EINVAL);
	assert_null(lg);
	assert_int_equal(cr_batch_step(b, bad, t, 1, &lg, &m), CR_EINVAL);
	assert_int_equal(cr_batch_step(b, one, badtok, 1, &lg, &m), CR_EINVAL);
	assert_int_equal(cr_batch_step(b, one, t, 0, &lg, &m), CR_EINVAL);
	for (int i = 0; i < 4; i++)
		assert_int_equal(cr_batch_step(b, one, t, 1, &lg, &m), CR_OK);
	assert_int_equal(cr_ctx_pos(cr_batch_slot(b, 1)), 4);
	assert_int_equal(cr_ctx_pos(cr_batch_slot(b, 0)), 0);
	assert_int_equal(cr_batch_step(b, one, t, 1, &lg, &m), CR_ETOOBIG);
	cr_batch_free(b);
	assert_int_equal(cr_batch_new(md, 0, 4, NULL, &b, &m), CR_EINVAL);
}

/* ---- the scheduler ---------------------------------------------------------- */

enum { N_TURN = 5, TURN_GEN = 10, SYS = 24 };

typedef struct turn {
	cr_sched *sched;
	cr_token_id prompt[64];
	int n_prompt, max_tokens, cancel_after; /* cancel_after > 0: cancel from the text callback */
	cr_cancel cancel;
	int calls;
	cr_token_id got[64];
	int n_got, reused;
	cr_gen_stop stop;
	cr_err err;
} turn;

static int turn_text(void *ctx, const char *t, size_t n)
{
	(void)t;
	(void)n;
	turn *u = ctx;
	if (u->cancel_after && ++u->calls == u->cancel_after)
		cr_cancel_request(&u->cancel);
	return 0;
}

/* One greedy turn, alone (sched NULL) or through the scheduler. */
static void run_turn(turn *u)
{
	cr_gen_opts o = cr_gen_opts_default();
	o.sampler.temp = 0;
	o.n_ctx = 128;
	o.sched = u->sched;
	cr_gen *g;
	cr_msg m = {{0}};
	assert_int_equal(cr_gen_new(md, &o, &g, &m), CR_OK);
	cr_gen_params gp = {.max_tokens = u->max_tokens, .cancel = &u->cancel, .on_text = turn_text, .on_text_ctx = u};
	cr_gen_result r;
	u->err = cr_gen_turn(g, u->prompt, u->n_prompt, &gp, &r, &m);
	u->n_got = r.n_tokens;
	memcpy(u->got, r.tokens, (size_t)r.n_tokens * sizeof(cr_token_id));
	u->reused = r.n_reused;
	u->stop = r.stop;
	cr_gen_free(g);
}

static void *turn_thread(void *arg)
{
	run_turn(arg);
	return NULL;
}

static void make_turns(turn *u, cr_sched *s)
{
	memset(u, 0, sizeof(turn) * N_TURN);
	for (int i = 0; i < N_TURN; i++) {
		u[i].sched = s;
		u[i].n_prompt = 3 + 11 * i;
		prompt_of(20 + i, u[i].n_prompt, u[i].prompt);
		u[i].max_tokens = TURN_GEN - i % 3;
		cr_cancel_init(&u[i].cancel);
	}
	u[N_TURN - 1].max_tokens = 60;
	u[N_TURN - 1].cancel_after = 3; /* leaves in the middle */
}

static void test_sched_threads(void **st)
{
	(void)st;
	if (!md)
		skip();
	turn alone[N_TURN], batched[N_TURN];
	make_turns(alone, NULL);
	alone[N_TURN - 1].cancel_after = 0;
	for (int i = 0; i < N_TURN; i++)
		run_turn(&alone[i]);
	cr_pool *pool;
	assert_int_equal(cr_pool_new(2, &pool), CR_OK);
	cr_sched *s;
	cr_msg m = {{0}};
	assert_int_equal(cr_sched_new(md, 3, 128, pool, &s, &m), CR_OK); /* fewer slots than turns */
	assert_int_equal(cr_sched_n_slots(s), 3);
	assert_int_equal(cr_sched_n_ctx(s), 128);
	make_turns(batched, s);
	pthread_t th[N_TURN];
	for (int i = 0; i < N_TURN; i++)
		assert_int_equal(pthread_create(&th[i], NULL, turn_thread, &batched[i]), 0);
	for (int i = 0; i < N_TURN; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < N_TURN - 1; i++) {
		assert_int_equal(batched[i].err, CR_OK);
		assert_int_equal(batched[i].n_got, alone[i].n_got);
		assert_memory_equal(batched[i].got, alone[i].got, (size_t)alone[i].n_got * sizeof(cr_token_id));
	}
	/* the canceled one stopped early, with the tokens it had right */
	turn *c = &batched[N_TURN - 1];
	assert_int_equal(c->err, CR_ECANCELED);
	assert_int_equal(c->stop, CR_GEN_STOP_CANCELED);
	assert_true(c->n_got < 60);
	assert_memory_equal(c->got, alone[N_TURN - 1].got, (size_t)c->n_got * sizeof(cr_token_id));
	uint64_t steps, rows;
	cr_sched_stats(s, &steps, &rows);
	printf("scheduler: %llu steps, %llu rows (%.2f per step)\n", (unsigned long long)steps,
	       (unsigned long long)rows, steps ? (double)rows / steps : 0.0);
	assert_true(rows > steps); /* some steps carried several sequences */

	/* a shared system prompt: the second turn reuses the first one's
	 * prefix, from its own slot or copied from the other */
	turn a, b, ra, rb;
	memset(&a, 0, sizeof a);
	a.sched = s;
	a.n_prompt = SYS + 6;
	prompt_of(40, a.n_prompt, a.prompt);
	a.max_tokens = 4;
	b = a;
	prompt_of(41, 6, b.prompt + SYS); /* same first SYS tokens, another tail */
	ra = a;
	rb = b;
	ra.sched = rb.sched = NULL;
	run_turn(&ra);
	run_turn(&rb);
	run_turn(&a);
	run_turn(&b);
	assert_true(b.reused >= SYS);
	assert_int_equal(b.n_got, rb.n_got);
	assert_memory_equal(b.got, rb.got, (size_t)rb.n_got * sizeof(cr_token_id));
	assert_memory_equal(a.got, ra.got, (size_t)ra.n_got * sizeof(cr_token_id));

	/* canceled while waiting for a slot: every slot held by other turns */
	cr_sched *one;
	assert_int_equal(cr_sched_new(md, 1, 64, NULL, &one, &m), CR_OK);
	int held;
	assert_int_equal(cr_sched_acquire(one, a.prompt, 4, NULL, &held, &m), CR_OK);
	turn w = a;
	w.sched = one;
	cr_cancel_init(&w.cancel);
	cr_cancel_request(&w.cancel);
	run_turn(&w);
	assert_int_equal(w.err, CR_ECANCELED);
	cr_sched_release(one, held);
	cr_sched_free(one);
	cr_sched_free(s);
	cr_pool_free(pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batch_matches_alone),
		cmocka_unit_test(test_copy_prefix),
		cmocka_unit_test(test_step_errors),
		cmocka_unit_test(test_sched_threads),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
