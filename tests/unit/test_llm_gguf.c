/* test_llm_gguf.c — the GGUF reader and writer: a file with every value type
 * and several tensor types written, read back and compared; copy_kv between
 * files; the tensor-type table against GGML's block sizes; and hostile
 * files (every truncation, bad counts, version 1, duplicate names, tensors
 * past the end) refused with CR_ECORRUPT and a reason, never a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cristal/llm.h"

static char tmpdir[256];

static int setup(void **st)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/cr_gguf_test_%d", (int)getpid());
	cr_msg m;
	return cr_mkdirs(tmpdir, &m) == CR_OK ? 0 : -1;
}

static int teardown(void **st)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static int streq(cr_gguf_str s, const char *z) { return s.n == strlen(z) && !memcmp(s.p, z, s.n); }

static void test_ttype(void **st)
{
	/* GGML's ggml-common.h block structs. */
	assert_int_equal(cr_ttype_block(CR_TT_F32), 1);
	assert_int_equal(cr_ttype_block_bytes(CR_TT_F32), 4);
	assert_int_equal(cr_ttype_block_bytes(CR_TT_F16), 2);
	assert_int_equal(cr_ttype_block_bytes(CR_TT_BF16), 2);
	assert_int_equal(cr_ttype_block(CR_TT_Q4_0), 32);
	assert_int_equal(cr_ttype_block_bytes(CR_TT_Q4_0), 18);
	assert_int_equal(cr_ttype_block_bytes(CR_TT_Q4_1), 20);
	assert_int_equal(cr_ttype_block_bytes(CR_TT_Q5_0), 22);
	assert_int_equal(cr_ttype_block_bytes(CR_TT_Q5_1), 24);
	assert_int_equal(cr_ttype_block_bytes(CR_TT_Q8_0), 34);
	assert_int_equal(cr_ttype_block_bytes(CR_TT_Q8_1), 36);
	assert_int_equal(cr_ttype_block(CR_TT_Q4_K), 256);
	assert_int_equal(cr_ttype_block_bytes(CR_TT_Q2_K), 84);
	assert_int_equal(cr_ttype_block_bytes(CR_TT_Q3_K), 110);
	assert_int_equal(cr_ttype_block_bytes(CR_TT_Q4_K), 144);
	assert_int_equal(cr_ttype_block_bytes(CR_TT_Q5_K), 176);
	assert_int_equal(cr_ttype_block_bytes(CR_TT_Q6_K), 210);
	assert_int_equal(cr_ttype_block_bytes(CR_TT_Q8_K), 292);
	assert_int_equal(cr_ttype_block((cr_ttype)4), 0);
	assert_int_equal(cr_ttype_block((cr_ttype)16), 0); /* iq2_xxs: stored, not computed */
	assert_int_equal(cr_ttype_block((cr_ttype)99), 0);
	assert_int_equal(cr_ttype_row_bytes(CR_TT_Q4_K, 4096), 16 * 144);
	assert_int_equal(cr_ttype_row_bytes(CR_TT_Q4_K, 100), 0);
	assert_int_equal(cr_ttype_row_bytes(CR_TT_F16, 7), 14);
	assert_string_equal(cr_ttype_name(CR_TT_Q6_K), "q6_K");
}

static const char *path_in_tmp(const char *name)
{
	static char p[400];
	snprintf(p, sizeof p, "%s/%s", tmpdir, name);
	return p;
}

static void write_sample(const char *path, uint32_t alignment)
{
	cr_gguf_writer *w;
	assert_int_equal(cr_gguf_writer_new(&w), CR_OK);
	if (alignment)
		assert_int_equal(cr_gguf_writer_set_u32(w, "general.alignment", alignment), CR_OK);
	assert_int_equal(cr_gguf_writer_set_str(w, "general.architecture", "llama"), CR_OK);
	assert_int_equal(cr_gguf_writer_set_str(w, "general.name", "overwritten"), CR_OK);
	assert_int_equal(cr_gguf_writer_set_str(w, "general.name", "tiny ✓"), CR_OK);
	assert_int_equal(cr_gguf_writer_set_u32(w, "llama.block_count", 3), CR_OK);
	assert_int_equal(cr_gguf_writer_set_i32(w, "t.i32", -7), CR_OK);
	assert_int_equal(cr_gguf_writer_set_f32(w, "t.f32", 1.5f), CR_OK);
	assert_int_equal(cr_gguf_writer_set_bool(w, "t.bool", 1), CR_OK);
	uint8_t u8 = 250; int8_t i8 = -100; uint16_t u16 = 65000; int16_t i16 = -30000;
	uint64_t u64 = 1ull << 40; int64_t i64 = -(1ll << 50); double f64 = -2.25;
	assert_int_equal(cr_gguf_writer_set_val(w, "t.u8", CR_GV_U8, &u8), CR_OK);
	assert_int_equal(cr_gguf_writer_set_val(w, "t.i8", CR_GV_I8, &i8), CR_OK);
	assert_int_equal(cr_gguf_writer_set_val(w, "t.u16", CR_GV_U16, &u16), CR_OK);
	assert_int_equal(cr_gguf_writer_set_val(w, "t.i16", CR_GV_I16, &i16), CR_OK);
	assert_int_equal(cr_gguf_writer_set_val(w, "t.u64", CR_GV_U64, &u64), CR_OK);
	assert_int_equal(cr_gguf_writer_set_val(w, "t.i64", CR_GV_I64, &i64), CR_OK);
	assert_int_equal(cr_gguf_writer_set_val(w, "t.f64", CR_GV_F64, &f64), CR_OK);
	assert_int_equal(cr_gguf_writer_set_val(w, "t.bad", CR_GV_STRING, &f64), CR_EINVAL);
	const char *strs[] = {"a", "", "<0x0A>", "▁the"};
	assert_int_equal(cr_gguf_writer_set_arr_str(w, "t.astr", strs, 4), CR_OK);
	int32_t ai[] = {1, -2, 3};
	assert_int_equal(cr_gguf_writer_set_arr_i32(w, "t.ai32", ai, 3), CR_OK);
	float af[] = {0.5f, -1.0f};
	assert_int_equal(cr_gguf_writer_set_arr_f32(w, "t.af32", af, 2), CR_OK);
	int16_t ai16[] = {-1, 2};
	assert_int_equal(cr_gguf_writer_set_arr(w, "t.ai16", CR_GV_I16, ai16, 2), CR_OK);
	assert_int_equal(cr_gguf_writer_set_arr_i32(w, "t.empty", NULL, 0), CR_OK);

	float f[3 * 5];
	for (int i = 0; i < 15; i++)
		f[i] = (float)i * 0.25f;
	int64_t ne[4] = {5, 3, 1, 1};
	assert_int_equal(cr_gguf_writer_add_tensor(w, "a.weight", CR_TT_F32, 2, ne, f, sizeof f), CR_OK);
	assert_int_equal(cr_gguf_writer_add_tensor(w, "a.weight", CR_TT_F32, 2, ne, f, sizeof f), CR_EEXIST);
	assert_int_equal(cr_gguf_writer_add_tensor(w, "b", CR_TT_F32, 2, ne, f, sizeof f - 4), CR_EINVAL);
	uint8_t q[2 * 34];
	for (size_t i = 0; i < sizeof q; i++)
		q[i] = (uint8_t)(i * 7);
	int64_t neq[4] = {64, 1, 1, 1};
	assert_int_equal(cr_gguf_writer_add_tensor(w, "blk.0.q", CR_TT_Q8_0, 1, neq, q, sizeof q), CR_OK);
	int64_t neb[4] = {33, 1, 1, 1};
	assert_int_equal(cr_gguf_writer_add_tensor(w, "bad.q", CR_TT_Q8_0, 1, neb, q, sizeof q), CR_EINVAL);
	int64_t ne3[4] = {2, 1, 2, 2};
	uint16_t h[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	assert_int_equal(cr_gguf_writer_add_tensor(w, "c.f16", CR_TT_F16, 4, ne3, h, sizeof h), CR_OK);
	cr_msg m = {{0}};
	assert_int_equal(cr_gguf_writer_write(w, path, &m), CR_OK);
	cr_gguf_writer_free(w);
}

static void check_sample(const cr_gguf *g, uint32_t alignment)
{
	cr_gguf_str s;
	int64_t v;
	double d;
	int b;
	assert_int_equal(cr_gguf_version(g), 3);
	assert_int_equal(cr_gguf_get_str(g, "general.name", &s), CR_OK);
	assert_true(streq(s, "tiny ✓"));
	assert_int_equal(cr_gguf_get_str(g, "nope", &s), CR_ENOTFOUND);
	assert_int_equal(cr_gguf_get_str(g, "llama.block_count", &s), CR_EINVAL);
	assert_int_equal(cr_gguf_get_i64(g, "llama.block_count", &v), CR_OK);
	assert_int_equal(v, 3);
	assert_int_equal(cr_gguf_get_i64(g, "t.i32", &v), CR_OK);
	assert_int_equal(v, -7);
	assert_int_equal(cr_gguf_get_i64(g, "t.u8", &v), CR_OK);
	assert_int_equal(v, 250);
	assert_int_equal(cr_gguf_get_i64(g, "t.i8", &v), CR_OK);
	assert_int_equal(v, -100);
	assert_int_equal(cr_gguf_get_i64(g, "t.u16", &v), CR_OK);
	assert_int_equal(v, 65000);
	assert_int_equal(cr_gguf_get_i64(g, "t.i16", &v), CR_OK);
	assert_int_equal(v, -30000);
	assert_int_equal(cr_gguf_get_i64(g, "t.u64", &v), CR_OK);
	assert_true(v == 1ll << 40);
	assert_int_equal(cr_gguf_get_i64(g, "t.i64", &v), CR_OK);
	assert_true(v == -(1ll << 50));
	assert_int_equal(cr_gguf_get_i64(g, "t.f32", &v), CR_EINVAL);
	assert_int_equal(cr_gguf_get_f64(g, "t.f32", &d), CR_OK);
	assert_true(d == 1.5);
	assert_int_equal(cr_gguf_get_f64(g, "t.f64", &d), CR_OK);
	assert_true(d == -2.25);
	assert_int_equal(cr_gguf_get_bool(g, "t.bool", &b), CR_OK);
	assert_int_equal(b, 1);
	cr_gguf_vtype et;
	uint64_t n;
	assert_int_equal(cr_gguf_get_arr(g, "t.astr", &et, &n), CR_OK);
	assert_int_equal(et, CR_GV_STRING);
	assert_int_equal(n, 4);
	assert_int_equal(cr_gguf_arr_str(g, "t.astr", 3, &s), CR_OK);
	assert_true(streq(s, "▁the"));
	assert_int_equal(cr_gguf_arr_str(g, "t.astr", 1, &s), CR_OK);
	assert_int_equal(s.n, 0);
	assert_int_equal(cr_gguf_arr_str(g, "t.astr", 4, &s), CR_EINVAL);
	assert_int_equal(cr_gguf_arr_i64(g, "t.ai32", 1, &v), CR_OK);
	assert_int_equal(v, -2);
	assert_int_equal(cr_gguf_arr_f64(g, "t.af32", 1, &d), CR_OK);
	assert_true(d == -1.0);
	assert_int_equal(cr_gguf_arr_i64(g, "t.ai16", 0, &v), CR_OK);
	assert_int_equal(v, -1);
	assert_int_equal(cr_gguf_get_arr(g, "t.empty", &et, &n), CR_OK);
	assert_int_equal(n, 0);
	int64_t ki = cr_gguf_find_key(g, "t.astr");
	assert_true(ki >= 0);
	assert_int_equal(cr_gguf_key_type(g, (size_t)ki), CR_GV_ARRAY);
	assert_true(streq(cr_gguf_key_name(g, (size_t)ki), "t.astr"));

	assert_int_equal(cr_gguf_n_tensors(g), 3);
	const cr_gguf_tensor *t = cr_gguf_tensor_find(g, "a.weight");
	assert_non_null(t);
	assert_int_equal(t->n_dims, 2);
	assert_int_equal(t->ne[0], 5);
	assert_int_equal(t->ne[1], 3);
	assert_int_equal(t->type, CR_TT_F32);
	assert_int_equal(t->bytes, 60);
	float f7; /* memcpy: with general.alignment 1 the data may be unaligned */
	memcpy(&f7, (const char *)t->data + 7 * sizeof f7, sizeof f7);
	assert_float_equal(f7, 1.75f, 0);
	const cr_gguf_tensor *tq = cr_gguf_tensor_find(g, "blk.0.q");
	assert_non_null(tq);
	assert_int_equal(tq->bytes, 68);
	assert_int_equal(((const uint8_t *)tq->data)[10], 70);
	assert_int_equal(tq->offset % (alignment ? alignment : 32), 0);
	const cr_gguf_tensor *th = cr_gguf_tensor_at(g, 2);
	assert_true(streq(th->name, "c.f16"));
	assert_int_equal(th->n_dims, 4);
	assert_int_equal(th->ne[3], 2);
	uint16_t h7;
	memcpy(&h7, (const char *)th->data + 14, 2);
	assert_int_equal(h7, 8);
	assert_null(cr_gguf_tensor_find(g, "missing"));
	assert_null(cr_gguf_tensor_at(g, 3));
}

static void test_roundtrip(void **st)
{
	uint32_t aligns[] = {0, 64, 1};
	for (size_t k = 0; k < CR_ARRAY_LEN(aligns); k++) {
		const char *p = path_in_tmp("rt.gguf");
		write_sample(p, aligns[k]);
		cr_gguf *g;
		cr_msg m = {{0}};
		assert_int_equal(cr_gguf_open(p, &g, &m), CR_OK);
		check_sample(g, aligns[k]);
		/* Data pointers are aligned relative to the file start. */
		const uint8_t *base = (const uint8_t *)cr_gguf_tensor_at(g, 0)->data - cr_gguf_tensor_at(g, 0)->offset;
		uint32_t a = aligns[k] ? aligns[k] : 32;
		for (size_t i = 0; i < cr_gguf_n_tensors(g); i++)
			assert_int_equal(((const uint8_t *)cr_gguf_tensor_at(g, i)->data - base) % a, 0);

		/* copy every key into a second file; it must read back the same. */
		cr_gguf_writer *w;
		assert_int_equal(cr_gguf_writer_new(&w), CR_OK);
		for (size_t i = 0; i < cr_gguf_n_kv(g); i++) {
			cr_gguf_str kn = cr_gguf_key_name(g, i);
			char key[128];
			snprintf(key, sizeof key, "%.*s", (int)kn.n, kn.p);
			assert_int_equal(cr_gguf_writer_copy_kv(w, g, key), CR_OK);
		}
		assert_int_equal(cr_gguf_writer_copy_kv(w, g, "absent"), CR_ENOTFOUND);
		for (size_t i = 0; i < cr_gguf_n_tensors(g); i++) {
			const cr_gguf_tensor *t = cr_gguf_tensor_at(g, i);
			char name[80];
			snprintf(name, sizeof name, "%.*s", (int)t->name.n, t->name.p);
			assert_int_equal(cr_gguf_writer_add_tensor(w, name, t->type, t->n_dims, t->ne, t->data, t->bytes),
					 CR_OK);
		}
		const char *p2 = path_in_tmp("rt2.gguf");
		assert_int_equal(cr_gguf_writer_write(w, p2, &m), CR_OK);
		cr_gguf_writer_free(w);
		cr_gguf *g2;
		assert_int_equal(cr_gguf_open(p2, &g2, &m), CR_OK);
		check_sample(g2, aligns[k]);
		cr_gguf_free(g2);
		/* Byte-identical: same keys, same order, same layout. */
		uint8_t *b1, *b2;
		size_t n1, n2;
		assert_int_equal(cr_file_read(p, 1 << 20, &b1, &n1, &m), CR_OK);
		assert_int_equal(cr_file_read(p2, 1 << 20, &b2, &n2, &m), CR_OK);
		assert_int_equal(n1, n2);
		assert_memory_equal(b1, b2, n1);
		cr_free(b2);

		/* Every truncation before the end of the last tensor's data is
		 * refused cleanly (only the final padding may go). */
		const cr_gguf_tensor *last = cr_gguf_tensor_at(g, cr_gguf_n_tensors(g) - 1);
		size_t data_end = n1 - (a - last->bytes % a) % a;
		for (size_t cut = 0; cut < n1; cut++) {
			cr_gguf *gt = NULL;
			cr_msg mt = {{0}};
			cr_err e = cr_gguf_open_mem(b1, cut, &gt, &mt);
			if (cut >= data_end) {
				assert_int_equal(e, CR_OK);
				cr_gguf_free(gt);
				continue;
			}
			assert_int_not_equal(e, CR_OK);
			assert_null(gt);
			if (!mt.text[0])
				fail_msg("no reason at cut %zu (err %d)", cut, (int)e);
		}
		/* Every single-byte corruption either opens or fails cleanly. */
		for (size_t i = 0; i < n1; i++) {
			uint8_t save = b1[i];
			b1[i] ^= 0xff;
			cr_gguf *gt = NULL;
			if (cr_gguf_open_mem(b1, n1, &gt, NULL) == CR_OK)
				cr_gguf_free(gt);
			b1[i] = save;
		}
		cr_free(b1);
		cr_gguf_free(g);
	}
}

/* A tiny hand-made file: header + given body. */
static size_t mk(uint8_t *out, uint32_t version, uint64_t n_t, uint64_t n_kv, const void *body, size_t n)
{
	memcpy(out, "GGUF", 4);
	memcpy(out + 4, &version, 4);
	memcpy(out + 8, &n_t, 8);
	memcpy(out + 16, &n_kv, 8);
	memcpy(out + 24, body, n);
	return 24 + n;
}

static cr_err open_bytes(const uint8_t *b, size_t n, cr_msg *m)
{
	cr_gguf *g = NULL;
	memset(m, 0, sizeof *m);
	cr_err e = cr_gguf_open_mem(b, n, &g, m);
	cr_gguf_free(g);
	return e;
}

static void test_hostile(void **st)
{
	uint8_t buf[512];
	cr_msg m;
	size_t n;
	/* kv: key "a", type u32, value */
	static const uint8_t kv_a[] = {1, 0, 0, 0, 0, 0, 0, 0, 'a', 4, 0, 0, 0, 7, 0, 0, 0};
	n = mk(buf, 3, 0, 1, kv_a, sizeof kv_a);
	assert_int_equal(open_bytes(buf, n, &m), CR_OK);
	n = mk(buf, 2, 0, 1, kv_a, sizeof kv_a);
	assert_int_equal(open_bytes(buf, n, &m), CR_OK);
	n = mk(buf, 1, 0, 1, kv_a, sizeof kv_a);
	assert_int_equal(open_bytes(buf, n, &m), CR_EUNSUPPORTED);
	assert_non_null(strstr(m.text, "version 1"));
	n = mk(buf, 3, 0, 1, kv_a, sizeof kv_a);
	buf[0] = 'X';
	assert_int_equal(open_bytes(buf, n, &m), CR_ECORRUPT);
	/* Huge counts. */
	n = mk(buf, 3, 0, UINT64_MAX, kv_a, sizeof kv_a);
	assert_int_equal(open_bytes(buf, n, &m), CR_ECORRUPT);
	n = mk(buf, 3, 1ull << 60, 1, kv_a, sizeof kv_a);
	assert_int_equal(open_bytes(buf, n, &m), CR_ECORRUPT);
	/* Duplicate keys. */
	uint8_t two[64];
	memcpy(two, kv_a, sizeof kv_a);
	memcpy(two + sizeof kv_a, kv_a, sizeof kv_a);
	n = mk(buf, 3, 0, 2, two, 2 * sizeof kv_a);
	assert_int_equal(open_bytes(buf, n, &m), CR_ECORRUPT);
	assert_non_null(strstr(m.text, "duplicate key 'a'"));
	/* String length past the end. */
	static const uint8_t kv_s[] = {1, 0, 0, 0, 0, 0, 0, 0, 'a', 8, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 'x'};
	n = mk(buf, 3, 0, 1, kv_s, sizeof kv_s);
	assert_int_equal(open_bytes(buf, n, &m), CR_ECORRUPT);
	/* Array count past the end, nested array, unknown type. */
	static const uint8_t kv_arr[] = {1, 0, 0, 0, 0, 0, 0, 0, 'a', 9, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10};
	n = mk(buf, 3, 0, 1, kv_arr, sizeof kv_arr);
	assert_int_equal(open_bytes(buf, n, &m), CR_ECORRUPT);
	static const uint8_t kv_nest[] = {1, 0, 0, 0, 0, 0, 0, 0, 'a', 9, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	n = mk(buf, 3, 0, 1, kv_nest, sizeof kv_nest);
	assert_int_equal(open_bytes(buf, n, &m), CR_EUNSUPPORTED);
	static const uint8_t kv_unk[] = {1, 0, 0, 0, 0, 0, 0, 0, 'a', 13, 0, 0, 0, 1, 2, 3, 4};
	n = mk(buf, 3, 0, 1, kv_unk, sizeof kv_unk);
	assert_int_equal(open_bytes(buf, n, &m), CR_ECORRUPT);
	/* Bad alignment. */
	static const uint8_t kv_al[] = {17, 0, 0, 0, 0, 0, 0, 0, 'g', 'e', 'n', 'e', 'r', 'a', 'l', '.', 'a', 'l', 'i',
					'g', 'n', 'm', 'e', 'n', 't', 4, 0, 0, 0, 3, 0, 0, 0};
	n = mk(buf, 3, 0, 1, kv_al, sizeof kv_al);
	assert_int_equal(open_bytes(buf, n, &m), CR_ECORRUPT);
	assert_non_null(strstr(m.text, "power of two"));

	/* A tensor past the end of the file. */
	uint8_t ti[128];
	size_t k = 0;
	const char *nm = "blk.3.ffn_up.weight";
	uint64_t nl = strlen(nm);
	memcpy(ti + k, &nl, 8), k += 8;
	memcpy(ti + k, nm, nl), k += nl;
	uint32_t nd = 2;
	memcpy(ti + k, &nd, 4), k += 4;
	uint64_t ne0 = 64, ne1 = 1000;
	memcpy(ti + k, &ne0, 8), k += 8;
	memcpy(ti + k, &ne1, 8), k += 8;
	uint32_t ty = 0;
	memcpy(ti + k, &ty, 4), k += 4;
	uint64_t off = 0;
	memcpy(ti + k, &off, 8), k += 8;
	n = mk(buf, 3, 1, 0, ti, k);
	memset(buf + n, 0, 100);
	assert_int_equal(open_bytes(buf, n + 100, &m), CR_ECORRUPT);
	assert_string_equal(m.text, "gguf: tensor 'blk.3.ffn_up.weight' extends past end of file");
	/* Two tensors of the same name. */
	uint8_t tt[256];
	memcpy(tt, ti, k);
	memcpy(tt + k, ti, k);
	memcpy(tt + 8 + nl + 4, &(uint64_t){1}, 8);
	memcpy(tt + 8 + nl + 12, &(uint64_t){1}, 8);
	memcpy(tt + k + 8 + nl + 4, &(uint64_t){1}, 8);
	memcpy(tt + k + 8 + nl + 12, &(uint64_t){1}, 8);
	n = mk(buf, 3, 2, 0, tt, 2 * k);
	memset(buf + n, 0, 100);
	assert_int_equal(open_bytes(buf, n + 100, &m), CR_ECORRUPT);
	assert_non_null(strstr(m.text, "duplicate tensor"));
	/* Unaligned (and so unexpected) offset, too many dims, unknown type. */
	memcpy(tt, ti, k);
	memcpy(tt + k - 8, &(uint64_t){4}, 8);
	n = mk(buf, 3, 1, 0, tt, k);
	assert_int_equal(open_bytes(buf, n + 100, &m), CR_ECORRUPT);
	memcpy(tt, ti, k);
	memcpy(tt + 8 + nl, &(uint32_t){5}, 4);
	n = mk(buf, 3, 1, 0, tt, k);
	assert_int_equal(open_bytes(buf, n + 100, &m), CR_ECORRUPT);
	memcpy(tt, ti, k);
	memcpy(tt + k - 12, &(uint32_t){5}, 4);
	n = mk(buf, 3, 1, 0, tt, k);
	assert_int_equal(open_bytes(buf, n + 100, &m), CR_ECORRUPT);
	/* Dimensions whose product overflows. */
	memcpy(tt, ti, k);
	memcpy(tt + 8 + nl + 4, &(uint64_t){1ull << 62}, 8);
	memcpy(tt + 8 + nl + 12, &(uint64_t){1ull << 62}, 8);
	n = mk(buf, 3, 1, 0, tt, k);
	assert_int_equal(open_bytes(buf, n + 100, &m), CR_ECORRUPT);

	/* Tensors must be back to back: a gap is refused; a 0-dim tensor (one
	 * element) is fine. */
	uint8_t t2[256];
	size_t q = 0;
	for (int i = 0; i < 2; i++) {
		char nm2[8];
		snprintf(nm2, sizeof nm2, "t%d", i);
		memcpy(t2 + q, &(uint64_t){2}, 8), q += 8;
		memcpy(t2 + q, nm2, 2), q += 2;
		memcpy(t2 + q, &(uint32_t){(uint32_t)i}, 4), q += 4; /* t0: 0 dims, t1: 1 dim */
		if (i)
			memcpy(t2 + q, &(uint64_t){4}, 8), q += 8;
		memcpy(t2 + q, &(uint32_t){0}, 4), q += 4;
		memcpy(t2 + q, &(uint64_t){i ? 32u : 0u}, 8), q += 8;
	}
	n = mk(buf, 3, 2, 0, t2, q);
	memset(buf + n, 0, 128);
	assert_int_equal(open_bytes(buf, n + 100, &m), CR_OK);
	memcpy(t2 + q - 8, &(uint64_t){64}, 8);
	n = mk(buf, 3, 2, 0, t2, q);
	assert_int_equal(open_bytes(buf, n + 100, &m), CR_ECORRUPT);
	assert_non_null(strstr(m.text, "has offset 64, expected 32"));
}

static void test_shared_vocab(void **st)
{
	const char *dir = getenv("CR_SHARED_DATA");
	if (!dir) {
		skip();
		return;
	}
	char p[512];
	snprintf(p, sizeof p, "%s/gguf-vocab/ggml-vocab-llama-spm.gguf", dir);
	if (access(p, R_OK) != 0) {
		skip();
		return;
	}
	cr_gguf *g;
	cr_msg m = {{0}};
	assert_int_equal(cr_gguf_open(p, &g, &m), CR_OK);
	cr_gguf_str s;
	assert_int_equal(cr_gguf_get_str(g, "tokenizer.ggml.model", &s), CR_OK);
	assert_true(streq(s, "llama"));
	uint64_t n;
	cr_gguf_vtype et;
	assert_int_equal(cr_gguf_get_arr(g, "tokenizer.ggml.tokens", &et, &n), CR_OK);
	assert_int_equal(n, 32000);
	assert_int_equal(cr_gguf_arr_str(g, "tokenizer.ggml.tokens", 1, &s), CR_OK);
	assert_true(streq(s, "<s>"));
	int64_t v;
	assert_int_equal(cr_gguf_get_i64(g, "tokenizer.ggml.eos_token_id", &v), CR_OK);
	assert_int_equal(v, 2);
	/* copy the tokenizer keys into a new file */
	cr_gguf_writer *w;
	assert_int_equal(cr_gguf_writer_new(&w), CR_OK);
	for (size_t i = 0; i < cr_gguf_n_kv(g); i++) {
		cr_gguf_str kn = cr_gguf_key_name(g, i);
		char key[256];
		snprintf(key, sizeof key, "%.*s", (int)kn.n, kn.p);
		assert_int_equal(cr_gguf_writer_copy_kv(w, g, key), CR_OK);
	}
	const char *p2 = path_in_tmp("vocab.gguf");
	assert_int_equal(cr_gguf_writer_write(w, p2, &m), CR_OK);
	cr_gguf_writer_free(w);
	uint8_t *b1, *b2;
	size_t n1, n2;
	assert_int_equal(cr_file_read(p, 1 << 24, &b1, &n1, &m), CR_OK);
	assert_int_equal(cr_file_read(p2, 1 << 24, &b2, &n2, &m), CR_OK);
	assert_int_equal(n1, n2);
	assert_memory_equal(b1, b2, n1);
	cr_free(b1);
	cr_free(b2);
	cr_gguf_free(g);

	/* the models carry tensors */
	const char *models[] = {"stories260K.gguf", "llama-2-tiny-random.gguf"};
	for (size_t i = 0; i < 2; i++) {
		snprintf(p, sizeof p, "%s/gguf-models/%s", dir, models[i]);
		assert_int_equal(cr_gguf_open(p, &g, &m), CR_OK);
		assert_true(cr_gguf_n_tensors(g) > 5);
		assert_non_null(cr_gguf_tensor_find(g, "token_embd.weight"));
		cr_gguf_free(g);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ttype),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_shared_vocab),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
