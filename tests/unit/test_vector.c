/*
 * test_vector.c — the vector module: every kernel level against the scalar
 * truth, quantization error, exact scan against float brute force, HNSW
 * recall against the exact scan (built on two threads), filters, the file
 * round trip and its corruption checks, the fvecs reader, cancellation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cristal/vector.h"

#define TMPDIR_NAME "/tmp/cr_test_vector.XXXXXX"
#include "test_tmpdir.h"

static uint64_t rng_state = 12345;
static uint32_t rnd(void)
{
	rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(rng_state >> 33);
}
static float frnd(void) { return (float)rnd() / 2147483648.0f - 1.0f; }

static void test_kernels(void **st)
{
	static const size_t sizes[] = {1, 2, 3, 7, 15, 17, 33, 63, 64, 65, 127, 128, 129, 384, 1023};
	int8_t *a = malloc(1100), *b = malloc(1100);
	const char *levels[] = {"ref", "avx2", "avx512"};
	int tested = 0;
	for (int l = 0; l < 3; l++) {
		cr_vec_dot_fn f = cr_vec_kernel(levels[l]);
		if (!f)
			continue;
		tested++;
		for (int rep = 0; rep < 20; rep++)
			for (size_t s = 0; s < CR_ARRAY_LEN(sizes); s++) {
				size_t n = sizes[s];
				for (size_t i = 0; i < 1100; i++) {
					/* extremes often: ±127 and 0 */
					uint32_t r = rnd() % 8;
					a[i] = (int8_t)(r == 0 ? 127 : r == 1 ? -127 : (int)(rnd() % 255) - 127);
					r = rnd() % 8;
					b[i] = (int8_t)(r == 0 ? -127 : r == 1 ? 0 : (int)(rnd() % 255) - 127);
				}
				/* unaligned starts */
				int32_t want = cr_vec_dot_i8_ref(a + 1, b + 3, n);
				assert_int_equal(f(a + 1, b + 3, n), want);
				assert_int_equal(f(a, b, n), cr_vec_dot_i8_ref(a, b, n));
			}
		/* all extremes: the largest sums */
		memset(a, 127, 1100);
		memset(b, 0x81, 1100); /* -127 */
		assert_int_equal(f(a, b, 1023), -127 * 127 * 1023);
	}
	assert_true(tested >= 1);
	assert_int_equal(cr_vec_dot_i8(a, b, 5), cr_vec_dot_i8_ref(a, b, 5));
	free(a);
	free(b);
}

static void test_quantize(void **st)
{
	float x[300];
	int8_t q[300];
	float s;
	for (int i = 0; i < 300; i++)
		x[i] = frnd() * 3.0f;
	x[17] = -5.0f;
	cr_vec_quantize(x, 300, q, &s);
	assert_true(fabsf(s - 5.0f / 127.0f) < 1e-6f);
	assert_int_equal(q[17], -127);
	for (int i = 0; i < 300; i++) {
		assert_true(q[i] >= -127 && q[i] <= 127);
		assert_true(fabsf(x[i] - s * (float)q[i]) <= s * 0.5f + 1e-6f);
	}
	memset(x, 0, sizeof x);
	cr_vec_quantize(x, 300, q, &s);
	assert_true(s == 0.0f);
	for (int i = 0; i < 300; i++)
		assert_int_equal(q[i], 0);
}

/* n unit vectors in dim dimensions around a few centres */
static float *make_data(size_t n, int dim, int n_centres)
{
	float *c = malloc((size_t)n_centres * (size_t)dim * sizeof *c), *x = malloc(n * (size_t)dim * sizeof *x);
	for (int i = 0; i < n_centres * dim; i++)
		c[i] = frnd();
	for (size_t i = 0; i < n; i++) {
		const float *cc = c + (size_t)(rnd() % (uint32_t)n_centres) * (size_t)dim;
		double nn = 0;
		for (int j = 0; j < dim; j++) {
			x[i * (size_t)dim + (size_t)j] = cc[j] + 0.6f * frnd();
			nn += (double)x[i * (size_t)dim + (size_t)j] * x[i * (size_t)dim + (size_t)j];
		}
		for (int j = 0; j < dim; j++)
			x[i * (size_t)dim + (size_t)j] /= (float)sqrt(nn);
	}
	free(c);
	return x;
}

static int brute_top1(const float *x, size_t n, int dim, const float *q)
{
	int best = -1;
	double bs = -1e30;
	for (size_t i = 0; i < n; i++) {
		double s = 0;
		for (int j = 0; j < dim; j++)
			s += (double)x[i * (size_t)dim + (size_t)j] * q[j];
		if (s > bs) {
			bs = s;
			best = (int)i;
		}
	}
	return best;
}

static int odd_only(void *ctx, size_t i)
{
	const cr_vec_index *ix = ctx;
	return cr_vec_index_id(ix, i) & 1;
}

static cr_vec_index *build(const float *x, size_t n, int dim, int graph)
{
	cr_vec_index *ix = NULL;
	cr_vec_params p = {.m = 16, .ef_construction = 100};
	assert_int_equal(cr_vec_index_new(dim, &p, &ix, NULL), CR_OK);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(cr_vec_index_add(ix, 1000 + i, x + i * (size_t)dim, NULL), CR_OK);
	if (graph) {
		cr_pool *pool = NULL;
		assert_int_equal(cr_pool_new(2, &pool), CR_OK);
		cr_msg m = {{0}};
		assert_int_equal(cr_vec_index_build(ix, pool, NULL, &m), CR_OK);
		cr_pool_free(pool);
		assert_true(cr_vec_index_has_graph(ix));
	}
	return ix;
}

/* recall@10 of the graph against the exact scan over the same int8 vectors */
static double graph_recall(const cr_vec_index *ix, const float *qs, int nq, int dim, int ef)
{
	cr_vec_scratch *s = cr_vec_scratch_new();
	cr_vec_hit a[10], b[10];
	int na, nb, hit = 0;
	for (int i = 0; i < nq; i++) {
		cr_vec_query qe = {.k = 10, .exact = 1}, qg = {.k = 10, .ef = ef};
		assert_int_equal(cr_vec_index_search(ix, s, qs + (size_t)i * (size_t)dim, &qe, a, &na, NULL), CR_OK);
		assert_int_equal(cr_vec_index_search(ix, s, qs + (size_t)i * (size_t)dim, &qg, b, &nb, NULL), CR_OK);
		assert_int_equal(na, 10);
		assert_int_equal(nb, 10);
		for (int j = 1; j < 10; j++)
			assert_true(b[j - 1].score >= b[j].score);
		for (int j = 0; j < 10; j++)
			for (int t = 0; t < 10; t++)
				hit += a[j].id == b[t].id;
	}
	cr_vec_scratch_free(s);
	return hit / (10.0 * nq);
}

static void test_exact_scan(void **st)
{
	int dim = 48;
	size_t n = 2000;
	float *x = make_data(n, dim, 20);
	cr_vec_index *ix = build(x, n, dim, 0);
	assert_int_equal(cr_vec_index_count(ix), n);
	assert_false(cr_vec_index_has_graph(ix));
	cr_vec_hit h[5];
	int nh, agree = 0;
	for (int i = 0; i < 50; i++) {
		const float *q = x + (size_t)(i * 37) * (size_t)dim;
		cr_vec_query qq = {.k = 5};
		assert_int_equal(cr_vec_index_search(ix, NULL, q, &qq, h, &nh, NULL), CR_OK);
		assert_int_equal(nh, 5);
		/* a stored vector finds itself first */
		assert_int_equal(h[0].id, 1000 + (uint64_t)(i * 37));
		assert_true(fabsf(h[0].score - 1.0f) < 0.02f);
		float q2[48];
		for (int j = 0; j < dim; j++)
			q2[j] = frnd();
		assert_int_equal(cr_vec_index_search(ix, NULL, q2, &qq, h, &nh, NULL), CR_OK);
		agree += h[0].id == 1000 + (uint64_t)brute_top1(x, n, dim, q2);
	}
	assert_true(agree >= 45); /* int8 may swap near ties */
	/* the filter: only odd ids */
	cr_vec_query qf = {.k = 5, .filter = odd_only, .filter_ctx = ix};
	assert_int_equal(cr_vec_index_search(ix, NULL, x, &qf, h, &nh, NULL), CR_OK);
	assert_int_equal(nh, 5);
	for (int j = 0; j < nh; j++)
		assert_true(h[j].id & 1);
	cr_vec_index_free(ix);
	free(x);
}

static void test_hnsw(void **st)
{
	int dim = 32;
	size_t n = 6000;
	float *x = make_data(n, dim, 30);
	float *qs = make_data(100, dim, 30);
	cr_vec_index *ix = build(x, n, dim, 1);
	double r = graph_recall(ix, qs, 100, dim, 128);
	print_message("recall@10 at ef 128: %.3f\n", r);
	assert_true(r >= 0.95);
	/* the filter holds on the graph too, and still fills k */
	cr_vec_hit h[10];
	int nh;
	cr_vec_query qf = {.k = 10, .ef = 64, .filter = odd_only, .filter_ctx = ix};
	assert_int_equal(cr_vec_index_search(ix, NULL, qs, &qf, h, &nh, NULL), CR_OK);
	assert_int_equal(nh, 10);
	for (int j = 0; j < nh; j++)
		assert_true(h[j].id & 1);
	/* built indexes are read-only */
	assert_int_equal(cr_vec_index_add(ix, 1, x, NULL), CR_EINVAL);

	/* save, open, same answers */
	char path[300];
	snprintf(path, sizeof path, "%s/v.vix", dir);
	cr_msg m = {{0}};
	assert_int_equal(cr_vec_index_save(ix, path, &m), CR_OK);
	cr_vec_index *ox = NULL;
	assert_int_equal(cr_vec_index_open(path, &ox, &m), CR_OK);
	assert_int_equal(cr_vec_index_count(ox), n);
	assert_true(cr_vec_index_has_graph(ox));
	for (int i = 0; i < 20; i++) {
		cr_vec_hit a[10], b[10];
		int na, nb;
		cr_vec_query q = {.k = 10, .ef = 50};
		assert_int_equal(cr_vec_index_search(ix, NULL, qs + (size_t)i * (size_t)dim, &q, a, &na, NULL), CR_OK);
		assert_int_equal(cr_vec_index_search(ox, NULL, qs + (size_t)i * (size_t)dim, &q, b, &nb, NULL), CR_OK);
		assert_int_equal(na, nb);
		for (int j = 0; j < na; j++) {
			assert_int_equal(a[j].id, b[j].id);
			assert_true(a[j].score == b[j].score);
		}
	}
	cr_vec_index_free(ox);

	/* corruption: truncated, a bad link, a header byte */
	uint8_t *buf;
	size_t len;
	assert_int_equal(cr_file_read(path, 1u << 30, &buf, &len, NULL), CR_OK);
	uint8_t *al = aligned_alloc(64, (len + 63) & ~(size_t)63);
	memcpy(al, buf, len);
	cr_vec_index *bx = NULL;
	assert_int_equal(cr_vec_index_from_bytes(al, len, &bx, &m), CR_OK);
	cr_vec_index_free(bx);
	memset(&m, 0, sizeof m);
	assert_int_equal(cr_vec_index_from_bytes(al, len - 100, &bx, &m), CR_ECORRUPT);
	assert_non_null(strstr(m.text, "truncated"));
	assert_null(bx);
	uint64_t off_links0;
	memcpy(&off_links0, al + 48 + 8 * 4, 8);
	uint32_t bad = 0xFFFFFF00u;
	memcpy(al + off_links0 + 4, &bad, 4); /* node 0's first layer-0 link */
	uint32_t cnt;
	memcpy(&cnt, al + off_links0, 4);
	assert_true(cnt > 0);
	assert_int_equal(cr_vec_index_from_bytes(al, len, &bx, &m), CR_ECORRUPT);
	assert_non_null(strstr(m.text, "link"));
	memcpy(al, buf, len);
	al[13] ^= 1; /* dimension */
	assert_int_equal(cr_vec_index_from_bytes(al, len, &bx, &m), CR_ECORRUPT);
	assert_non_null(strstr(m.text, "checksum"));
	/* a truncated file on disk */
	char tpath[320];
	snprintf(tpath, sizeof tpath, "%s/t.vix", dir);
	assert_int_equal(cr_file_write_atomic(tpath, buf, len / 2, NULL), CR_OK);
	memset(&m, 0, sizeof m);
	assert_int_equal(cr_vec_index_open(tpath, &bx, &m), CR_ECORRUPT);
	assert_non_null(strstr(m.text, "truncated"));
	free(al);
	cr_free(buf);
	cr_vec_index_free(ix);
	free(x);
	free(qs);
}

static void test_flat_file(void **st)
{
	int dim = 5;
	float x[3][5] = {{1, 0, 0, 0, 0}, {0, 1, 0, 0, 0}, {0, 0, 0.6f, 0.8f, 0}};
	cr_vec_index *ix = NULL;
	assert_int_equal(cr_vec_index_new(dim, NULL, &ix, NULL), CR_OK);
	for (int i = 0; i < 3; i++)
		assert_int_equal(cr_vec_index_add(ix, (uint64_t)(7 * i), x[i], NULL), CR_OK);
	char path[300];
	snprintf(path, sizeof path, "%s/flat.vix", dir);
	assert_int_equal(cr_vec_index_save(ix, path, NULL), CR_OK);
	cr_vec_index_free(ix);
	assert_int_equal(cr_vec_index_open(path, &ix, NULL), CR_OK);
	assert_false(cr_vec_index_has_graph(ix));
	float q[5] = {0, 0, 0, 1, 0};
	cr_vec_hit h[3];
	int nh;
	cr_vec_query qq = {.k = 3};
	assert_int_equal(cr_vec_index_search(ix, NULL, q, &qq, h, &nh, NULL), CR_OK);
	assert_int_equal(nh, 3);
	assert_int_equal(h[0].id, 14);
	assert_true(fabsf(h[0].score - 0.8f) < 0.01f);
	cr_vec_index_free(ix);
	/* an empty index saves and opens too */
	assert_int_equal(cr_vec_index_new(dim, NULL, &ix, NULL), CR_OK);
	assert_int_equal(cr_vec_index_build(ix, NULL, NULL, NULL), CR_OK);
	assert_int_equal(cr_vec_index_save(ix, path, NULL), CR_OK);
	cr_vec_index_free(ix);
	assert_int_equal(cr_vec_index_open(path, &ix, NULL), CR_OK);
	assert_int_equal(cr_vec_index_search(ix, NULL, q, &qq, h, &nh, NULL), CR_OK);
	assert_int_equal(nh, 0);
	cr_vec_index_free(ix);
}

static void test_cancel_build(void **st)
{
	int dim = 16;
	size_t n = 5000;
	float *x = make_data(n, dim, 10);
	cr_vec_index *ix = NULL;
	assert_int_equal(cr_vec_index_new(dim, NULL, &ix, NULL), CR_OK);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(cr_vec_index_add(ix, i, x + i * (size_t)dim, NULL), CR_OK);
	cr_cancel c;
	cr_cancel_init(&c);
	cr_cancel_request(&c);
	assert_int_equal(cr_vec_index_build(ix, NULL, &c, NULL), CR_ECANCELED);
	assert_false(cr_vec_index_has_graph(ix));
	/* still searchable, exactly */
	cr_vec_hit h[1];
	int nh;
	cr_vec_query qq = {.k = 1};
	assert_int_equal(cr_vec_index_search(ix, NULL, x + 3 * (size_t)dim, &qq, h, &nh, NULL), CR_OK);
	assert_int_equal(h[0].id, 3);
	cr_vec_index_free(ix);
	free(x);
}

static void test_fvecs(void **st)
{
	uint8_t buf[3 * 12];
	int32_t d = 2;
	float v[2] = {1.5f, -2.0f};
	for (int i = 0; i < 3; i++) {
		memcpy(buf + i * 12, &d, 4);
		memcpy(buf + i * 12 + 4, v, 8);
	}
	cr_fvecs f;
	cr_msg m = {{0}};
	assert_int_equal(cr_fvecs_init(&f, buf, sizeof buf, &m), CR_OK);
	assert_int_equal(f.n, 3);
	assert_int_equal(f.dim, 2);
	float out[2];
	assert_int_equal(cr_fvecs_row(&f, 2, out, &m), CR_OK);
	assert_true(out[0] == 1.5f && out[1] == -2.0f);
	assert_int_equal(cr_fvecs_row(&f, 3, out, &m), CR_EINVAL);
	assert_int_equal(cr_fvecs_init(&f, buf, sizeof buf - 1, &m), CR_ECORRUPT);
	assert_non_null(strstr(m.text, "truncated"));
	assert_int_equal(cr_fvecs_init(&f, buf, 0, &m), CR_ECORRUPT);
	int32_t bad = 0;
	memcpy(buf, &bad, 4);
	assert_int_equal(cr_fvecs_init(&f, buf, sizeof buf, &m), CR_ECORRUPT);
	memcpy(buf, &d, 4);
	int32_t other = 3;
	memcpy(buf + 12, &other, 4);
	assert_int_equal(cr_fvecs_init(&f, buf, sizeof buf, &m), CR_OK);
	assert_int_equal(cr_fvecs_row(&f, 1, out, &m), CR_ECORRUPT);
	float nan = NAN;
	memcpy(buf + 24 + 4, &nan, 4);
	assert_int_equal(cr_fvecs_row(&f, 2, out, &m), CR_ECORRUPT);
	assert_non_null(strstr(m.text, "finite"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernels),   cmocka_unit_test(test_quantize),
		cmocka_unit_test(test_exact_scan), cmocka_unit_test(test_hnsw),
		cmocka_unit_test(test_flat_file), cmocka_unit_test(test_cancel_build),
		cmocka_unit_test(test_fvecs),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
