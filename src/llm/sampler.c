/*
 * sampler.c — picking the next token from logits.
 *
 * Order (llama.cpp's default chain): mask (grammar) → repetition and
 * presence penalties over the last repeat_last_n accepted tokens → greedy
 * if temp <= 0, else top-k → softmax → top-p → min-p → temperature →
 * draw. The random numbers come from our own xoshiro256** seeded through
 * splitmix64, so a seed gives the same tokens on every machine and libc.
 *
 * Costs: O(n_vocab) per call for the penalties and the mask, O(n_vocab
 * log k) for top-k; without top-k (k = 0) the survivors are fully sorted,
 * O(n_vocab log n_vocab). All buffers are allocated once in cr_sampler_new.
 */
#include "cristal/llm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct cand {
	int32_t id;
	float logit;
	float p;
} cand;

struct cr_sampler {
	cr_sampler_opts o;
	int n_vocab;
	float *w;         /* penalised logits */
	cand *c;
	int32_t *hist;    /* ring of the last repeat_last_n tokens */
	int hist_len, hist_pos, hist_cap;
	uint32_t *mark;   /* de-duplication stamps for penalties */
	uint32_t stamp;
	int32_t *count;
	uint64_t s[4];
};

cr_sampler_opts cr_sampler_opts_default(void)
{
	cr_sampler_opts o = {
		.temp = 0.8f, .top_k = 40, .top_p = 0.95f, .min_p = 0.05f,
		.repeat_penalty = 1.0f, .repeat_last_n = 64, .presence_penalty = 0.0f, .seed = 0,
	};
	return o;
}

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t next_u64(cr_sampler *s)
{
	uint64_t *q = s->s;
	uint64_t r = rotl(q[1] * 5, 7) * 9, t = q[1] << 17;
	q[2] ^= q[0];
	q[3] ^= q[1];
	q[1] ^= q[2];
	q[0] ^= q[3];
	q[2] ^= t;
	q[3] = rotl(q[3], 45);
	return r;
}

static double next_unit(cr_sampler *s) { return (double)(next_u64(s) >> 11) * 0x1.0p-53; }

cr_err cr_sampler_new(const cr_sampler_opts *o, int n_vocab, cr_sampler **out)
{
	*out = NULL;
	if (n_vocab < 1 || !o)
		return CR_EINVAL;
	cr_sampler *s = cr_calloc(1, sizeof *s);
	if (!s)
		return CR_ENOMEM;
	s->o = *o;
	s->n_vocab = n_vocab;
	s->hist_cap = o->repeat_last_n > 0 ? o->repeat_last_n : 0;
	s->w = cr_malloc((size_t)n_vocab * sizeof(float));
	s->c = cr_malloc((size_t)n_vocab * sizeof(cand));
	s->mark = cr_calloc((size_t)n_vocab, sizeof(uint32_t));
	s->count = cr_calloc((size_t)n_vocab, sizeof(int32_t));
	s->hist = cr_malloc((size_t)(s->hist_cap ? s->hist_cap : 1) * sizeof(int32_t));
	if (!s->w || !s->c || !s->mark || !s->count || !s->hist) {
		cr_sampler_free(s);
		return CR_ENOMEM;
	}
	uint64_t x = o->seed;
	for (int i = 0; i < 4; i++)
		s->s[i] = splitmix64(&x);
	*out = s;
	return CR_OK;
}

void cr_sampler_free(cr_sampler *s)
{
	if (!s)
		return;
	cr_free(s->w);
	cr_free(s->c);
	cr_free(s->mark);
	cr_free(s->count);
	cr_free(s->hist);
	cr_free(s);
}

void cr_sampler_accept(cr_sampler *s, cr_token_id id)
{
	if (!s->hist_cap || id < 0 || id >= s->n_vocab)
		return;
	s->hist[s->hist_pos] = id;
	s->hist_pos = (s->hist_pos + 1) % s->hist_cap;
	if (s->hist_len < s->hist_cap)
		s->hist_len++;
}

static void penalise(cr_sampler *s)
{
	const float rp = s->o.repeat_penalty, pp = s->o.presence_penalty;
	if (!s->hist_len || ((rp == 1.0f || rp <= 0) && pp == 0.0f))
		return;
	if (++s->stamp == 0) {
		memset(s->mark, 0, (size_t)s->n_vocab * sizeof(uint32_t));
		s->stamp = 1;
	}
	for (int i = 0; i < s->hist_len; i++) {
		int32_t id = s->hist[i];
		if (s->mark[id] == s->stamp)
			continue;
		s->mark[id] = s->stamp;
		float *l = &s->w[id];
		if (rp != 1.0f && rp > 0)
			*l = *l > 0 ? *l / rp : *l * rp;
		*l -= pp;
	}
}

static int cand_desc(const void *a, const void *b)
{
	float x = ((const cand *)a)->logit, y = ((const cand *)b)->logit;
	if (x != y)
		return x > y ? -1 : 1;
	return ((const cand *)a)->id - ((const cand *)b)->id;
}

/* Min-heap of k candidates by logit (ties: larger id is "smaller"). */
static int less(const cand *a, const cand *b)
{
	return a->logit < b->logit || (a->logit == b->logit && a->id > b->id);
}

static void sift_down(cand *h, int n, int i)
{
	for (;;) {
		int l = 2 * i + 1, r = l + 1, m = i;
		if (l < n && less(&h[l], &h[m]))
			m = l;
		if (r < n && less(&h[r], &h[m]))
			m = r;
		if (m == i)
			return;
		cand t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

cr_token_id cr_sampler_sample(cr_sampler *s, const float *logits, const uint8_t *allowed)
{
	const int V = s->n_vocab;
	memcpy(s->w, logits, (size_t)V * sizeof(float));
	penalise(s);
	if (s->o.temp <= 0) {
		int best = -1;
		for (int i = 0; i < V; i++)
			if ((!allowed || allowed[i]) && (best < 0 || s->w[i] > s->w[best]))
				best = i;
		return best;
	}
	int n = 0, k = s->o.top_k;
	cand *c = s->c;
	if (k > 0 && k < V) {
		for (int i = 0; i < V; i++) {
			if (allowed && !allowed[i])
				continue;
			cand x = {i, s->w[i], 0};
			if (n < k) {
				c[n++] = x;
				if (n == k)
					for (int j = k / 2 - 1; j >= 0; j--)
						sift_down(c, n, j);
			} else if (less(&c[0], &x)) {
				c[0] = x;
				sift_down(c, n, 0);
			}
		}
	} else {
		for (int i = 0; i < V; i++)
			if (!allowed || allowed[i])
				c[n++] = (cand){i, s->w[i], 0};
	}
	if (n == 0)
		return -1;
	qsort(c, (size_t)n, sizeof(cand), cand_desc);
	/* softmax of the survivors (before temperature, as llama.cpp does) */
	double sum = 0;
	for (int i = 0; i < n; i++)
		sum += (c[i].p = expf(c[i].logit - c[0].logit));
	for (int i = 0; i < n; i++)
		c[i].p = (float)(c[i].p / sum);
	if (s->o.top_p < 1.0f) {
		double cum = 0;
		int keep = n;
		for (int i = 0; i < n; i++) {
			cum += c[i].p;
			if (cum >= s->o.top_p) {
				keep = i + 1;
				break;
			}
		}
		n = keep;
	}
	if (s->o.min_p > 0.0f) {
		float lim = c[0].p * s->o.min_p;
		int keep = 1;
		while (keep < n && c[keep].p >= lim)
			keep++;
		n = keep;
	}
	sum = 0;
	for (int i = 0; i < n; i++)
		sum += (c[i].p = expf((c[i].logit - c[0].logit) / s->o.temp));
	double r = next_unit(s) * sum, acc = 0;
	for (int i = 0; i < n; i++) {
		acc += c[i].p;
		if (r < acc)
			return c[i].id;
	}
	return c[n - 1].id;
}
