/*
 * sched.c — the continuous-batching scheduler: one thread that computes for
 * every generation session of one model (llm.h, "scheduler").
 *
 * Sessions made with cr_gen_opts.sched run their turns on their own threads
 * (sampling, grammar, stop strings and streaming stay with the caller), but
 * every forward pass goes through here. A turn takes a slot of the
 * scheduler's cr_batch, asks for its prompt, then for one token at a time,
 * and gives the slot back. The scheduler thread loops:
 *
 *   - the slots whose owners asked for a token ("ready") are stepped
 *     together, one forward pass of n rows (cr_batch_step); it waits for
 *     every generating slot to be ready, or at most STEP_WAIT after the
 *     first one was (an owner busy streaming to a slow reader does not hold
 *     the others back by more than that);
 *   - between steps, one piece (up to CR_N_BATCH tokens) of one waiting
 *     prompt is decoded into its slot, so a long prompt delays the running
 *     sequences by one piece at a time, not by its whole length. A prompt
 *     first keeps what its slot already holds of it, or copies a longer
 *     shared prefix (the same system prompt) from any other slot
 *     (cr_ctx_copy_prefix), so a common prefix is computed once.
 *
 * The scheduler thread is the only one that touches the batch; the owners
 * and the thread hand requests and results over under one mutex, and each
 * owner sleeps on its slot's condition variable. A slot's logits are copied
 * into the slot's own buffer (n_vocab floats), which only its owner's next
 * request overwrites, so an owner reads them while others are stepped.
 *
 * Slot choice: a free slot holding the longest prefix of the new prompt,
 * else the one free longest. A turn waits for a free slot (checking its
 * cancel token every 50 ms).
 */
#include "model_int.h"

#include <errno.h>
#include <string.h>
#include <time.h>

/* how long a step waits for the slowest owner once one is ready */
#define STEP_WAIT_NS 3000000LL

enum { SL_FREE, SL_IDLE, SL_PREFILL, SL_STEP, SL_DONE };

typedef struct sched_slot {
	int state;
	int generating;         /* prompt done, between tokens: counted for a step */
	uint64_t last_used;     /* release order, for picking a free slot */
	/* prompt request */
	const cr_token_id *toks;
	int n, logits_all, done; /* done: tokens evaluated so far */
	const cr_cancel *cancel;
	/* step request */
	cr_token_id tok;
	int64_t ready_ns;
	/* result */
	cr_err err;
	cr_msg msg;
	int reused;
	const float *logits;
	pthread_cond_t cv;
} sched_slot;

struct cr_sched {
	cr_model *md;
	cr_batch *b;
	int n_slots, n_ctx;
	pthread_t th;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv_work; /* the thread waits for requests */
	pthread_cond_t cv_free; /* turns wait for a slot */
	int stop;
	uint64_t clock;
	int next_prefill;       /* round robin over waiting prompts */
	sched_slot *sl;
	int *rows;              /* a step's slots */
	cr_token_id *toks;      /* and tokens */
	uint64_t n_steps, n_rows;
};

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static struct timespec abs_in(int64_t ns)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	int64_t t = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec + ns;
	ts.tv_sec = (time_t)(t / 1000000000LL);
	ts.tv_nsec = (long)(t % 1000000000LL);
	return ts;
}

static void cond_init_mono(pthread_cond_t *cv)
{
	pthread_condattr_t a;
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(cv, &a);
	pthread_condattr_destroy(&a);
}

/* ---- the scheduler thread ------------------------------------------------ */

/* A prompt's start in slot i: what the slot holds of it, or a longer prefix
 * copied from another slot (at most n - 1: the last token is decoded for
 * its logits); none with logits_all. Scheduler thread only. */
static int prompt_start(cr_sched *s, int i, const cr_token_id *toks, int n, int logits_all)
{
	cr_ctx *c = cr_batch_slot(s->b, i);
	if (logits_all) {
		cr_ctx_truncate(c, 0);
		return 0;
	}
	int own = CR_MIN(cr_ctx_common_prefix(c, toks, n), n - 1), best = own, from = i;
	for (int j = 0; j < s->n_slots; j++) {
		if (j == i)
			continue;
		int k = CR_MIN(cr_ctx_common_prefix(cr_batch_slot(s->b, j), toks, n), n - 1);
		if (k > best) {
			best = k;
			from = j;
		}
	}
	if (from != i && cr_ctx_copy_prefix(c, cr_batch_slot(s->b, from), best, NULL) == CR_OK)
		return best;
	cr_ctx_truncate(c, own);
	return own;
}

/* One piece of slot i's prompt (the mutex not held). Returns 1 when the
 * prompt is finished (or failed). */
static int prefill_piece(cr_sched *s, int i, sched_slot *r)
{
	cr_ctx *c = cr_batch_slot(s->b, i);
	if (r->done == 0 && r->reused < 0) {
		r->reused = prompt_start(s, i, r->toks, r->n, r->logits_all);
		r->done = r->reused;
	}
	int left = r->n - r->done;
	int piece = r->logits_all ? left : CR_MIN(left, CR_N_BATCH);
	const float *lg = NULL;
	cr_ctx_set_cancel(c, r->cancel);
	r->err = cr_ctx_decode(c, r->toks + r->done, piece, r->logits_all, &lg, &r->msg);
	cr_ctx_set_cancel(c, NULL);
	if (r->err)
		return 1;
	r->done += piece;
	if (r->done < r->n)
		return 0;
	r->logits = lg;
	return 1;
}

static void *sched_main(void *arg)
{
	cr_sched *s = arg;
	const size_t V = (size_t)s->md->hp.n_vocab;
	pthread_mutex_lock(&s->mu);
	for (;;) {
		if (s->stop)
			break;
		int n_ready = 0, n_gen = 0, pre = -1;
		int64_t first = 0;
		for (int i = 0; i < s->n_slots; i++) {
			sched_slot *r = &s->sl[i];
			if (r->generating)
				n_gen++;
			if (r->state == SL_STEP) {
				n_ready++;
				if (!first || r->ready_ns < first)
					first = r->ready_ns;
			}
		}
		for (int k = 0; k < s->n_slots && pre < 0; k++) {
			int i = (s->next_prefill + k) % s->n_slots;
			if (s->sl[i].state == SL_PREFILL)
				pre = i;
		}
		if (!n_ready && pre < 0) {
			pthread_cond_wait(&s->cv_work, &s->mu);
			continue;
		}
		if (n_ready && n_ready < n_gen && pre < 0) {
			int64_t wait = first + STEP_WAIT_NS - now_ns();
			if (wait > 0) { /* let the other generating owners catch up */
				struct timespec ts = abs_in(wait);
				pthread_cond_timedwait(&s->cv_work, &s->mu, &ts);
				continue;
			}
		}
		/* take the step's rows, then compute without the mutex */
		int n = 0;
		for (int i = 0; i < s->n_slots; i++)
			if (s->sl[i].state == SL_STEP) {
				s->rows[n] = i;
				s->toks[n++] = s->sl[i].tok;
			}
		sched_slot *pr = pre >= 0 ? &s->sl[pre] : NULL;
		pthread_mutex_unlock(&s->mu);
		cr_err e = CR_OK;
		cr_msg msg = {{0}};
		const float *lg = NULL;
		if (n)
			e = cr_batch_step(s->b, s->rows, s->toks, n, &lg, &msg);
		for (int k = 0; k < n && !e; k++) {
			cr_ctx *c = cr_batch_slot(s->b, s->rows[k]);
			memcpy(c->logits, lg + (size_t)k * V, V * sizeof(float));
		}
		int pre_done = pr ? prefill_piece(s, pre, pr) : 0;
		pthread_mutex_lock(&s->mu);
		s->n_steps += n > 0;
		s->n_rows += (uint64_t)n;
		for (int k = 0; k < n; k++) {
			sched_slot *r = &s->sl[s->rows[k]];
			r->err = e;
			if (e)
				r->msg = msg;
			r->logits = e ? NULL : cr_batch_slot(s->b, s->rows[k])->logits;
			r->state = SL_DONE;
			pthread_cond_signal(&r->cv);
		}
		if (pr && pre_done) {
			pr->state = SL_DONE;
			if (!pr->err)
				pr->generating = 1;
			s->next_prefill = (pre + 1) % s->n_slots;
			pthread_cond_signal(&pr->cv);
		}
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* ---- public ------------------------------------------------------------- */

cr_err cr_sched_new(cr_model *md, int n_slots, int n_ctx, cr_pool *pool, cr_sched **out, cr_msg *m)
{
	*out = NULL;
	cr_sched *s = cr_calloc(1, sizeof *s);
	if (!s)
		return cr_fail(m, CR_ENOMEM, "sched: out of memory");
	s->md = md;
	pthread_mutex_init(&s->mu, NULL);
	cond_init_mono(&s->cv_work);
	cond_init_mono(&s->cv_free);
	cr_err e = cr_batch_new(md, n_slots, n_ctx, pool, &s->b, m);
	if (e)
		goto fail;
	s->n_slots = n_slots;
	s->n_ctx = cr_batch_slot(s->b, 0)->n_ctx;
	s->sl = cr_calloc((size_t)n_slots, sizeof *s->sl);
	s->rows = cr_calloc((size_t)n_slots, sizeof *s->rows);
	s->toks = cr_calloc((size_t)n_slots, sizeof *s->toks);
	if (!s->sl || !s->rows || !s->toks) {
		e = cr_fail(m, CR_ENOMEM, "sched: out of memory");
		goto fail;
	}
	for (int i = 0; i < n_slots; i++)
		cond_init_mono(&s->sl[i].cv);
	if (pthread_create(&s->th, NULL, sched_main, s)) {
		e = cr_fail(m, CR_EIO, "sched: cannot start the scheduler thread");
		goto fail;
	}
	s->started = 1;
	*out = s;
	return CR_OK;
fail:
	cr_sched_free(s);
	return e;
}

void cr_sched_free(cr_sched *s)
{
	if (!s)
		return;
	if (s->started) {
		pthread_mutex_lock(&s->mu);
		s->stop = 1;
		pthread_cond_signal(&s->cv_work);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->th, NULL);
	}
	if (s->sl)
		for (int i = 0; i < s->n_slots; i++)
			pthread_cond_destroy(&s->sl[i].cv);
	cr_free(s->sl);
	cr_free(s->rows);
	cr_free(s->toks);
	cr_batch_free(s->b);
	pthread_cond_destroy(&s->cv_work);
	pthread_cond_destroy(&s->cv_free);
	pthread_mutex_destroy(&s->mu);
	cr_free(s);
}

int cr_sched_n_ctx(const cr_sched *s) { return s->n_ctx; }
const cr_model *cr_sched_model(const cr_sched *s) { return s->md; }
int cr_sched_n_slots(const cr_sched *s) { return s->n_slots; }

void cr_sched_stats(cr_sched *s, uint64_t *steps, uint64_t *rows)
{
	pthread_mutex_lock(&s->mu);
	*steps = s->n_steps;
	*rows = s->n_rows;
	pthread_mutex_unlock(&s->mu);
}

/* ---- a turn's side (generate.c) ------------------------------------------ */

cr_err cr_sched_acquire(cr_sched *s, const cr_token_id *toks, int n, const cr_cancel *cancel, int *slot,
			cr_msg *m)
{
	*slot = -1;
	pthread_mutex_lock(&s->mu);
	for (;;) {
		cr_err e = cr_cancel_check(cancel);
		if (e) {
			pthread_mutex_unlock(&s->mu);
			return cr_fail(m, e, "generate: %s waiting for a decoding slot",
				       e == CR_ETIMEOUT ? "timed out" : "canceled");
		}
		int best = -1, best_k = -1;
		for (int i = 0; i < s->n_slots; i++) {
			if (s->sl[i].state != SL_FREE)
				continue;
			/* a free slot is touched by nobody: its cache is stable */
			int k = cr_ctx_common_prefix(cr_batch_slot(s->b, i), toks, n);
			if (k > best_k || (k == best_k && s->sl[i].last_used < s->sl[best].last_used)) {
				best = i;
				best_k = k;
			}
		}
		if (best >= 0) {
			s->sl[best].state = SL_IDLE;
			s->sl[best].generating = 0;
			*slot = best;
			break;
		}
		struct timespec ts = abs_in(50000000LL);
		pthread_cond_timedwait(&s->cv_free, &s->mu, &ts);
	}
	pthread_mutex_unlock(&s->mu);
	return CR_OK;
}

/* Posts a request on slot i and waits for its result (mutex held on entry
 * and exit). */
static void post_wait(cr_sched *s, sched_slot *r)
{
	r->err = CR_OK;
	r->msg.text[0] = 0;
	r->logits = NULL;
	pthread_cond_signal(&s->cv_work);
	while (r->state != SL_DONE)
		pthread_cond_wait(&r->cv, &s->mu);
	r->state = SL_IDLE;
}

cr_err cr_sched_prompt(cr_sched *s, int slot, const cr_token_id *toks, int n, int logits_all,
		       const cr_cancel *cancel, int *reused, const float **logits, cr_msg *m)
{
	sched_slot *r = &s->sl[slot];
	pthread_mutex_lock(&s->mu);
	CR_ASSERT(r->state == SL_IDLE);
	r->generating = 0;
	r->toks = toks;
	r->n = n;
	r->logits_all = logits_all;
	r->done = 0;
	r->reused = -1;
	r->cancel = cancel;
	r->state = SL_PREFILL;
	post_wait(s, r);
	cr_err e = r->err;
	*reused = r->reused < 0 ? 0 : r->reused;
	*logits = r->logits;
	if (e && m)
		*m = r->msg;
	pthread_mutex_unlock(&s->mu);
	return e;
}

cr_err cr_sched_step(cr_sched *s, int slot, cr_token_id tok, const float **logits, cr_msg *m)
{
	sched_slot *r = &s->sl[slot];
	pthread_mutex_lock(&s->mu);
	CR_ASSERT(r->state == SL_IDLE && r->generating);
	r->tok = tok;
	r->ready_ns = now_ns();
	r->state = SL_STEP;
	post_wait(s, r);
	cr_err e = r->err;
	*logits = r->logits;
	if (e && m)
		*m = r->msg;
	pthread_mutex_unlock(&s->mu);
	return e;
}

void cr_sched_release(cr_sched *s, int slot)
{
	if (slot < 0)
		return;
	pthread_mutex_lock(&s->mu);
	sched_slot *r = &s->sl[slot];
	CR_ASSERT(r->state == SL_IDLE);
	r->state = SL_FREE;
	r->generating = 0;
	r->last_used = ++s->clock;
	pthread_cond_signal(&s->cv_free);
	pthread_cond_signal(&s->cv_work); /* one fewer to wait for in a step */
	pthread_mutex_unlock(&s->mu);
}
