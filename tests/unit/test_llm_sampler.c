/* test_llm_sampler.c — the sampler: greedy, seeded reproducibility, and the
 * effect of each filter (top-k, top-p, min-p, temperature, penalties, mask). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "cristal/llm.h"

static cr_sampler_opts off(void)
{
	cr_sampler_opts o = cr_sampler_opts_default();
	o.temp = 1.0f;
	o.top_k = 0;
	o.top_p = 1.0f;
	o.min_p = 0.0f;
	o.repeat_penalty = 1.0f;
	o.presence_penalty = 0.0f;
	o.seed = 1;
	return o;
}

/* Draws n tokens and counts them per id (logits of V entries). */
static void histogram(const cr_sampler_opts *o, const float *lg, int V, int n, int *count)
{
	cr_sampler *s;
	assert_int_equal(cr_sampler_new(o, V, &s), CR_OK);
	memset(count, 0, (size_t)V * sizeof(int));
	for (int i = 0; i < n; i++) {
		cr_token_id id = cr_sampler_sample(s, lg, NULL);
		assert_true(id >= 0 && id < V);
		count[id]++;
	}
	cr_sampler_free(s);
}

static void test_greedy_and_mask(void **st)
{
	float lg[5] = {0.1f, 3.0f, -1.0f, 2.9f, 0.0f};
	cr_sampler_opts o = off();
	o.temp = 0;
	cr_sampler *s;
	assert_int_equal(cr_sampler_new(&o, 5, &s), CR_OK);
	assert_int_equal(cr_sampler_sample(s, lg, NULL), 1);
	uint8_t mask[5] = {1, 0, 1, 1, 1};
	assert_int_equal(cr_sampler_sample(s, lg, mask), 3);
	uint8_t none[5] = {0};
	assert_int_equal(cr_sampler_sample(s, lg, none), -1);
	cr_sampler_free(s);
}

static void test_seeded(void **st)
{
	float lg[50];
	for (int i = 0; i < 50; i++)
		lg[i] = sinf((float)i) * 2;
	cr_sampler_opts o = off();
	o.seed = 1234;
	cr_token_id a[200], b[200], c[200];
	for (int run = 0; run < 3; run++) {
		if (run == 2)
			o.seed = 99;
		cr_sampler *s;
		assert_int_equal(cr_sampler_new(&o, 50, &s), CR_OK);
		for (int i = 0; i < 200; i++)
			(run == 0 ? a : run == 1 ? b : c)[i] = cr_sampler_sample(s, lg, NULL);
		cr_sampler_free(s);
	}
	assert_memory_equal(a, b, sizeof a);
	assert_memory_not_equal(a, c, sizeof a);
}

static void test_top_k(void **st)
{
	float lg[6] = {1.0f, 0.9f, 0.8f, 0.7f, 0.6f, 0.5f};
	int cnt[6];
	cr_sampler_opts o = off();
	histogram(&o, lg, 6, 3000, cnt);
	for (int i = 0; i < 6; i++)
		assert_true(cnt[i] > 0); /* unfiltered: all reachable */
	o.top_k = 2;
	histogram(&o, lg, 6, 3000, cnt);
	assert_true(cnt[0] > 0 && cnt[1] > 0);
	for (int i = 2; i < 6; i++)
		assert_int_equal(cnt[i], 0);
	o.top_k = 1;
	histogram(&o, lg, 6, 500, cnt);
	assert_int_equal(cnt[0], 500);
}

static void test_top_p_min_p(void **st)
{
	/* probabilities 0.5, 0.3, 0.15, 0.05 */
	float lg[4] = {logf(0.5f), logf(0.3f), logf(0.15f), logf(0.05f)};
	int cnt[4];
	cr_sampler_opts o = off();
	o.top_p = 0.7f; /* 0.5 < 0.7 <= 0.8: keeps two */
	histogram(&o, lg, 4, 3000, cnt);
	assert_true(cnt[0] > 0 && cnt[1] > 0);
	assert_int_equal(cnt[2] + cnt[3], 0);
	o.top_p = 1.0f;
	o.min_p = 0.25f; /* keeps p >= 0.125: three */
	histogram(&o, lg, 4, 3000, cnt);
	assert_true(cnt[2] > 0);
	assert_int_equal(cnt[3], 0);
}

static void test_temperature(void **st)
{
	float lg[2] = {0.0f, logf(3.0f)}; /* 0.25 / 0.75 at temp 1 */
	int cnt[2];
	cr_sampler_opts o = off();
	histogram(&o, lg, 2, 8000, cnt);
	assert_true(fabs(cnt[1] / 8000.0 - 0.75) < 0.03);
	o.temp = 0.25f; /* 3^4 = 81 : 1 */
	histogram(&o, lg, 2, 8000, cnt);
	assert_true(fabs(cnt[1] / 8000.0 - 81.0 / 82.0) < 0.01);
	o.temp = 1000.0f; /* nearly uniform */
	histogram(&o, lg, 2, 8000, cnt);
	assert_true(fabs(cnt[1] / 8000.0 - 0.5) < 0.03);
}

static void test_penalties(void **st)
{
	float lg[3] = {2.0f, 1.9f, -1.0f};
	cr_sampler_opts o = off();
	o.temp = 0;
	o.repeat_penalty = 1.5f; /* 2.0 / 1.5 < 1.9 */
	o.repeat_last_n = 2;
	cr_sampler *s;
	assert_int_equal(cr_sampler_new(&o, 3, &s), CR_OK);
	assert_int_equal(cr_sampler_sample(s, lg, NULL), 0);
	cr_sampler_accept(s, 0);
	assert_int_equal(cr_sampler_sample(s, lg, NULL), 1);
	cr_sampler_accept(s, 1); /* both penalised: 1.333 vs 1.267 */
	assert_int_equal(cr_sampler_sample(s, lg, NULL), 0);
	cr_sampler_accept(s, 2);
	cr_sampler_accept(s, 2); /* window of 2: 0 and 1 fell out */
	assert_int_equal(cr_sampler_sample(s, lg, NULL), 0);
	cr_sampler_free(s);

	o.repeat_penalty = 1.0f;
	o.presence_penalty = 0.5f;
	o.repeat_last_n = 64;
	assert_int_equal(cr_sampler_new(&o, 3, &s), CR_OK);
	cr_sampler_accept(s, 0);
	cr_sampler_accept(s, 0); /* presence counts once: 2.0 - 0.5 = 1.5 < 1.9 */
	assert_int_equal(cr_sampler_sample(s, lg, NULL), 1);
	cr_sampler_free(s);

	/* negative logits are multiplied, pushing them further down */
	float neg[2] = {-1.0f, -1.2f};
	o.presence_penalty = 0;
	o.repeat_penalty = 1.5f;
	assert_int_equal(cr_sampler_new(&o, 2, &s), CR_OK);
	cr_sampler_accept(s, 0);
	assert_int_equal(cr_sampler_sample(s, neg, NULL), 1);
	cr_sampler_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_greedy_and_mask), cmocka_unit_test(test_seeded),
		cmocka_unit_test(test_top_k), cmocka_unit_test(test_top_p_min_p),
		cmocka_unit_test(test_temperature), cmocka_unit_test(test_penalties),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
