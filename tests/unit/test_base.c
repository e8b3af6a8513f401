/* test_base.c — arenas, buffers, UTF-8, hashing, files (atomic writes from several threads), the
 * thread pool (nested and concurrent runs). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cristal/base.h"

static void test_arena(void **st)
{
	cr_arena a;
	cr_arena_init(&a, 1000);
	char *s = cr_arena_strdup(&a, "hello");
	assert_string_equal(s, "hello");
	assert_int_equal((uintptr_t)s % 16, 0);
	assert_null(cr_arena_alloc(&a, 2000)); /* over the cap */
	char *p = cr_arena_printf(&a, "%d-%s", 42, "x");
	assert_string_equal(p, "42-x");
	cr_arena_release(&a);
	cr_arena_init(&a, 0);
	for (int i = 0; i < 10000; i++)
		assert_non_null(cr_arena_alloc(&a, (size_t)i % 300 + 1));
	assert_non_null(cr_arena_alloc(&a, 1 << 20));
	cr_arena_release(&a);
}

static void test_buf(void **st)
{
	cr_buf b;
	cr_buf_init(&b, 8);
	assert_int_equal(cr_buf_adds(&b, "abcd"), CR_OK);
	assert_int_equal(cr_buf_adds(&b, "efghi"), CR_ETOOBIG);
	assert_string_equal(b.data, "abcd");
	assert_int_equal(cr_buf_adds(&b, "efgh"), CR_OK);
	assert_int_equal(b.len, 8);
	cr_buf_release(&b);
	cr_buf_init(&b, 0);
	assert_int_equal(cr_buf_add_json_str(&b, "a\"b\n\x01", 5), CR_OK);
	assert_string_equal(b.data, "\"a\\\"b\\n\\u0001\"");
	size_t n;
	char *t = cr_buf_take(&b, &n);
	assert_int_equal(n, 14);
	assert_int_equal(b.len, 0);
	cr_free(t);
}

/* Names that are bytes: escaped to valid UTF-8 and back exactly, for every
 * byte value, with and without control escaping; JSON is always UTF-8. */
static void test_utf8_escape(void **st)
{
	cr_buf e, u, j;
	cr_buf_init(&e, 0);
	cr_buf_init(&u, 0);
	cr_buf_init(&j, 0);
	for (int c = 0; c < 256; c++) {
		char name[8] = {'a', '\\', (char)c, 'z'};
		for (int ctl = 0; ctl <= 2; ctl++) {
			cr_buf_reset(&e);
			cr_buf_reset(&u);
			assert_int_equal(cr_utf8_escape(&e, name, 4, ctl), CR_OK);
			assert_true(cr_utf8_valid((const uint8_t *)e.data, e.len));
			for (size_t i = 0; ctl && i < e.len; i++)
				assert_true(((uint8_t)e.data[i] >= 0x20 && (uint8_t)e.data[i] != 0x7f) ||
					    (ctl == 2 && (e.data[i] == '\n' || e.data[i] == '\t')));
			if (e.len == 4 && !memcmp(e.data, name, 4))
				continue; /* left as it was: nothing to undo */
			assert_int_equal(cr_utf8_unescape(&u, e.data, e.len), CR_OK);
			assert_int_equal(u.len, 4);
			assert_memory_equal(u.data, name, 4);
		}
		cr_buf_reset(&j);
		assert_int_equal(cr_buf_add_json_str(&j, name, 4), CR_OK);
		assert_true(cr_utf8_valid((const uint8_t *)j.data, j.len));
	}
	/* valid UTF-8 is left alone; a string with no escape does not unescape */
	cr_buf_reset(&e);
	assert_int_equal(cr_utf8_escape(&e, "caf\xc3\xa9", 5, 1), CR_OK);
	assert_string_equal(e.data, "caf\xc3\xa9");
	cr_buf_reset(&u);
	assert_int_equal(cr_utf8_unescape(&u, "plain", 5), CR_EINVAL);
	/* an ESC is escaped for terminals, a Latin-1 byte in JSON */
	cr_buf_reset(&e);
	assert_int_equal(cr_utf8_escape(&e, "a\x1b[31m", 6, 1), CR_OK);
	assert_string_equal(e.data, "a\\x1b[31m");
	cr_buf_reset(&j);
	assert_int_equal(cr_buf_add_json_str(&j, "caf\xe9", 4), CR_OK);
	assert_string_equal(j.data, "\"caf\\\\xe9\"");
	cr_buf_release(&e);
	cr_buf_release(&u);
	cr_buf_release(&j);
}

static void test_utf8(void **st)
{
	uint32_t cp;
	assert_int_equal(cr_utf8_decode((const uint8_t *)"\xe6\x97\xa5", 3, &cp), 3);
	assert_int_equal(cp, 0x65e5);
	assert_int_equal(cr_utf8_decode((const uint8_t *)"\xc0\x80", 2, &cp), 0); /* overlong */
	assert_int_equal(cr_utf8_decode((const uint8_t *)"\xed\xa0\x80", 3, &cp), 0); /* surrogate */
	assert_int_equal(cr_utf8_decode((const uint8_t *)"\xe6\x97", 2, &cp), 0); /* truncated */
	cr_buf b;
	cr_buf_init(&b, 0);
	assert_int_equal(cr_utf8_sanitize(&b, (const uint8_t *)"a\xffz\0q", 5), CR_OK);
	assert_string_equal(b.data, "a\xef\xbf\xbdzq");
	assert_true(cr_utf8_valid((const uint8_t *)b.data, b.len));
	cr_buf_release(&b);
}

/* The reference cr_utf8_valid had before its eight-bytes-at-a-time ASCII
 * path: one decode per sequence. */
static int utf8_valid_ref(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		int l = cr_utf8_decode(s + i, n - i, &cp);
		if (!l)
			return 0;
		i += (size_t)l;
	}
	return 1;
}

static void test_utf8_valid_fast(void **st)
{
	/* ASCII runs of every length around the 8-byte blocks, then a valid
	 * or a broken sequence, at every alignment: fast and reference agree */
	static const char *tails[] = {"\xe6\x97\xa5", "\xe6\x97", "\xff", "\xc3\xa9z", "\xf0\x9f\x98\x80", "\xed\xa0\x80"};
	uint8_t buf[64];
	int n_valid = 0, n_invalid = 0;
	for (size_t lead = 0; lead < 20; lead++)
		for (size_t t = 0; t < CR_ARRAY_LEN(tails); t++)
			for (size_t trail = 0; trail < 12; trail++) {
				size_t n = 0, tl = strlen(tails[t]);
				memset(buf, 'a', lead);
				n = lead;
				memcpy(buf + n, tails[t], tl);
				n += tl;
				memset(buf + n, 'b', trail);
				n += trail;
				int want = utf8_valid_ref(buf, n);
				assert_int_equal(cr_utf8_valid(buf, n), want);
				want ? n_valid++ : n_invalid++;
			}
	assert_true(n_valid > 0 && n_invalid > 0);
}

static void test_hash_file(void **st)
{
	char hex[65];
	cr_sha256_hex("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	cr_sha256_hex("", 0, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	const char *two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	cr_sha256_hex(two_blocks, strlen(two_blocks), hex);
	assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	assert_int_not_equal(cr_hash64("a", 1, 0), cr_hash64("b", 1, 0));
	char path[] = "/tmp/cr_test_base_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(cr_file_write_atomic(path, "data", 4, NULL), CR_OK);
	uint8_t *p;
	size_t n;
	assert_int_equal(cr_file_read(path, 0, &p, &n, NULL), CR_OK);
	assert_int_equal(n, 4);
	assert_memory_equal(p, "data", 4);
	cr_free(p);
	cr_msg m = {{0}};
	assert_int_equal(cr_file_read(path, 2, &p, &n, &m), CR_ETOOBIG);
	assert_non_null(strstr(m.text, "over the limit"));
	unlink(path);
	assert_int_equal(cr_file_read(path, 0, &p, &n, NULL), CR_ENOTFOUND);
}

static void add_task(void *ctx, int i, int n)
{
	atomic_fetch_add((_Atomic long *)ctx, i + 1);
}

static void test_pool(void **st)
{
	cr_pool *p;
	assert_int_equal(cr_pool_new(3, &p), CR_OK);
	for (int r = 0; r < 2000; r++) {
		_Atomic long sum = 0;
		int n = r % 37 + 1;
		cr_pool_run(p, n, add_task, &sum);
		assert_int_equal(sum, (long)n * (n + 1) / 2);
	}
	cr_pool_free(p);
}

/* A task that runs a whole inner run on the pool it is running on. */
typedef struct nest_ctx {
	cr_pool *p;
	_Atomic long inner[8];
} nest_ctx;

static void nest_task(void *ctx, int i, int n)
{
	nest_ctx *c = ctx;
	cr_pool_run(c->p, 5, add_task, &c->inner[i]);
}

static void test_pool_reentrant(void **st)
{
	cr_pool *p;
	assert_int_equal(cr_pool_new(3, &p), CR_OK);
	for (int r = 0; r < 300; r++) {
		nest_ctx c = {.p = p};
		cr_pool_run(p, 8, nest_task, &c);
		for (int i = 0; i < 8; i++)
			assert_int_equal(c.inner[i], 15); /* 1+2+3+4+5: every inner task once */
	}
	cr_pool_free(p);
}

/* Several threads drive one pool at once: each run must see all of its own
 * tasks and none of another's. */
typedef struct driver {
	cr_pool *p;
	int id, bad;
} driver;

static void id_task(void *ctx, int i, int n)
{
	_Atomic long *sum = ctx;
	atomic_fetch_add(sum, (long)(i + 1) * 1000 + n);
}

static void *drive(void *arg)
{
	driver *d = arg;
	for (int r = 0; r < 1000; r++) {
		_Atomic long sum = 0;
		int n = (r + d->id) % 29 + 2;
		cr_pool_run(d->p, n, id_task, &sum);
		if (sum != (long)n * (n + 1) / 2 * 1000 + (long)n * n)
			d->bad++;
	}
	return NULL;
}

static void test_pool_concurrent(void **st)
{
	cr_pool *p;
	assert_int_equal(cr_pool_new(3, &p), CR_OK);
	pthread_t th[4];
	driver d[4];
	for (int i = 0; i < 4; i++) {
		d[i] = (driver){.p = p, .id = i};
		assert_int_equal(pthread_create(&th[i], NULL, drive, &d[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(d[i].bad, 0);
	}
	cr_pool_free(p);
}

/* Threads replace one file at once: whatever wins is one writer's bytes
 * whole, and no temporary file is left beside it. */
typedef struct writer_arg {
	const char *path;
	int id;
	cr_err e;
} writer_arg;

#define WRITE_LEN 100000

static void *write_many(void *arg)
{
	writer_arg *w = arg;
	char *buf = malloc(WRITE_LEN);
	memset(buf, 'a' + w->id, WRITE_LEN);
	for (int r = 0; r < 40 && !w->e; r++)
		w->e = cr_file_write_atomic(w->path, buf, WRITE_LEN, NULL);
	free(buf);
	return NULL;
}

static void test_write_atomic_threads(void **st)
{
	char dir[] = "/tmp/cr_test_atomic_XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof path, "%s/f", dir);
	pthread_t th[4];
	writer_arg w[4];
	for (int i = 0; i < 4; i++) {
		w[i] = (writer_arg){.path = path, .id = i};
		assert_int_equal(pthread_create(&th[i], NULL, write_many, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(w[i].e, CR_OK);
	}
	uint8_t *p;
	size_t n;
	assert_int_equal(cr_file_read(path, 0, &p, &n, NULL), CR_OK);
	assert_int_equal(n, WRITE_LEN);
	assert_true(p[0] >= 'a' && p[0] < 'a' + 4);
	for (size_t i = 0; i < n; i++)
		if (p[i] != p[0])
			fail_msg("byte %zu is '%c', byte 0 '%c': two writers mixed", i, p[i], p[0]);
	cr_free(p);
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *de;
	int n_files = 0;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.') {
			n_files++;
			assert_string_equal(de->d_name, "f");
		}
	closedir(d);
	assert_int_equal(n_files, 1);
	unlink(path);
	rmdir(dir);
}

static void test_alloc_fail(void **st)
{
	cr_alloc_fail_after(2, 0);
	void *a = cr_malloc(8);
	void *b = cr_malloc(8);
	void *c = cr_malloc(8);
	assert_non_null(a);
	assert_null(b);
	assert_non_null(c);
	cr_free(a);
	cr_free(c);
	cr_alloc_fail_after(1, 1);
	assert_null(cr_malloc(1));
	assert_null(cr_malloc(1));
	cr_alloc_fail_after(0, 0);
	a = cr_malloc(1);
	assert_non_null(a);
	cr_free(a);
}

/* cr_email_norm: the one form addresses are compared in */
static void test_email_norm(void **st)
{
	(void)st;
	char out[CR_EMAIL_MAX];
	assert_int_equal(cr_email_norm("  Mei.Lin+x@Example.CO.JP\t", 26, out, sizeof out), 23);
	assert_string_equal(out, "mei.lin+x@example.co.jp");
	static const char *const bad[] = {"", "mei", "@example.com", "mei@", "a@b@c", "mei lin@example.com",
					  "\"q\"@example.com", "<mei@example.com>", "mei@[1.2.3.4]", "mei@-.-",
					  "m\xc3\xa9i@example.com", "mei@exa\nmple.com", "a,b@example.com"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(cr_email_norm(bad[i], strlen(bad[i]), out, sizeof out), 0);
	char longer[300];
	memset(longer, 'a', sizeof longer);
	memcpy(longer + 250, "@b.cd", 6);
	assert_int_equal(cr_email_norm(longer, strlen(longer), out, sizeof out), 0); /* over 254 bytes */
	assert_int_equal(cr_email_norm("a@b.c", 5, out, 5), 0);                     /* no room for the NUL */
	assert_int_equal(cr_email_norm("a@b.c", 3, out, sizeof out), 3);             /* n bytes only */
	assert_string_equal(out, "a@b");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arena), cmocka_unit_test(test_buf),
		cmocka_unit_test(test_utf8), cmocka_unit_test(test_utf8_valid_fast), cmocka_unit_test(test_utf8_escape),
		cmocka_unit_test(test_hash_file),
		cmocka_unit_test(test_pool), cmocka_unit_test(test_pool_reentrant),
		cmocka_unit_test(test_pool_concurrent), cmocka_unit_test(test_write_atomic_threads),
		cmocka_unit_test(test_alloc_fail), cmocka_unit_test(test_email_norm),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
