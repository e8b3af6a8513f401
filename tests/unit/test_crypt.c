/* test_crypt.c — encryption at rest (crypt.h): keys from text and files (a
 * file others may read refused), sealed values (other associated data, use
 * or key, any byte changed: refused), the sealed-file container at block
 * boundaries and against every kind of tampering (a byte, a block moved,
 * truncation at a block boundary, a block appended, another label); an
 * encrypted catalog (values sealed on disk, read back, a changed or swapped
 * value CR_ECORRUPT, no key or another key CR_EDENIED, a plaintext catalog
 * left plaintext); an encrypted index (sealed segments searched, merged,
 * refused without the key, a flipped byte CR_ECORRUPT); searches on three
 * threads while segments are committed and merged; sealed vector files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cristal/crypt.h"
#include "cristal/index.h"
#include "cristal/store.h"
#include "cristal/text.h"
#include "cristal/vector.h"

#define TMPDIR_NAME "/tmp/cr_test_crypt.XXXXXX"
#include "test_tmpdir.h"

static const char HEX1[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
static const char HEX2[] = "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

static cr_key *key_hex(const char *hex)
{
	cr_key *k = NULL;
	cr_msg m = {{0}};
	assert_int_equal(cr_key_from_text(hex, &k, &m), CR_OK);
	return k;
}

static void write_file(const char *path, const void *p, size_t n, mode_t mode)
{
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void test_keys(void **st)
{
	(void)st;
	cr_key *a = key_hex(HEX1), *b = NULL;
	char ca[65], cb[65];
	cr_key_check(a, ca);
	cr_msg m = {{0}};
	/* the same key as base64, with a newline, and as 32 raw bytes in a file */
	assert_int_equal(cr_key_from_text("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", &b, &m), CR_OK);
	cr_key_check(b, cb);
	assert_string_equal(ca, cb);
	cr_key_free(b);
	uint8_t raw[32];
	for (int i = 0; i < 32; i++)
		raw[i] = (uint8_t)i;
	char path[300];
	snprintf(path, sizeof path, "%s/raw.key", dir);
	write_file(path, raw, 32, 0600);
	assert_int_equal(cr_key_from_file(path, &b, &m), CR_OK);
	cr_key_check(b, cb);
	assert_string_equal(ca, cb);
	cr_key_free(b);
	/* group- or world-readable: refused, saying so */
	write_file(path, raw, 32, 0640);
	memset(&m, 0, sizeof m);
	assert_int_equal(cr_key_from_file(path, &b, &m), CR_EDENIED);
	assert_non_null(strstr(m.text, "chmod 600"));
	/* wrong lengths and junk */
	write_file(path, "abcd\n", 5, 0600);
	assert_int_equal(cr_key_from_file(path, &b, &m), CR_EINVAL);
	assert_int_equal(cr_key_from_text("00", &b, &m), CR_EINVAL);
	assert_int_equal(cr_key_from_text(HEX1 + 1, &b, &m), CR_EINVAL);
	snprintf(path, sizeof path, "%s/missing.key", dir);
	assert_int_equal(cr_key_from_file(path, &b, &m), CR_ENOTFOUND);
	/* generated: 0600, never over an existing file, and readable back */
	snprintf(path, sizeof path, "%s/new.key", dir);
	assert_int_equal(cr_key_generate_file(path, &b, &m), CR_OK);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	cr_key *c = NULL;
	assert_int_equal(cr_key_generate_file(path, &c, &m), CR_EEXIST);
	assert_int_equal(cr_key_from_file(path, &c, &m), CR_OK);
	cr_key_check(b, ca);
	cr_key_check(c, cb);
	assert_string_equal(ca, cb);
	cr_key_check(a, cb);
	assert_string_not_equal(ca, cb);
	cr_key_free(a);
	cr_key_free(b);
	cr_key_free(c);
}

static void test_seal_values(void **st)
{
	(void)st;
	cr_key *k = key_hex(HEX1), *k2 = key_hex(HEX2);
	const char *text = "the quarterly figures", *ad = "chunks.text#1";
	size_t n = strlen(text);
	uint8_t c[128], c2[128], p[128];
	size_t got = 0;
	cr_seal(k, CR_KEY_CATALOG, ad, strlen(ad), text, n, c);
	cr_seal(k, CR_KEY_CATALOG, ad, strlen(ad), text, n, c2);
	assert_memory_not_equal(c, c2, n + CR_SEAL_OVERHEAD); /* a fresh nonce each time */
	assert_int_equal(cr_unseal(k, CR_KEY_CATALOG, ad, strlen(ad), c, n + CR_SEAL_OVERHEAD, p, &got), CR_OK);
	assert_int_equal(got, n);
	assert_memory_equal(p, text, n);
	assert_int_equal(cr_unseal(k, CR_KEY_CATALOG, "chunks.text#2", 13, c, n + CR_SEAL_OVERHEAD, p, &got),
			 CR_ECORRUPT);
	assert_int_equal(cr_unseal(k, CR_KEY_INDEX, ad, strlen(ad), c, n + CR_SEAL_OVERHEAD, p, &got), CR_ECORRUPT);
	assert_int_equal(cr_unseal(k2, CR_KEY_CATALOG, ad, strlen(ad), c, n + CR_SEAL_OVERHEAD, p, &got), CR_ECORRUPT);
	assert_int_equal(cr_unseal(k, CR_KEY_CATALOG, ad, strlen(ad), c, CR_SEAL_OVERHEAD - 1, p, &got), CR_ECORRUPT);
	for (size_t i = 0; i < n + CR_SEAL_OVERHEAD; i++) {
		c[i] ^= 0x01;
		assert_int_equal(cr_unseal(k, CR_KEY_CATALOG, ad, strlen(ad), c, n + CR_SEAL_OVERHEAD, p, &got),
				 CR_ECORRUPT);
		c[i] ^= 0x01;
	}
	cr_key_free(k);
	cr_key_free(k2);
}

/* A sealed file of plaintext p (n bytes) in blocks, as seg_write.c makes it. */
static uint8_t *seal_file(const cr_key *k, const char *label, const uint8_t *p, size_t n, size_t *out_len)
{
	size_t n_blocks = n ? (n + CR_CRYPT_BLOCK - 1) / CR_CRYPT_BLOCK : 1;
	uint8_t *f = malloc(CR_CRYPT_HDR + n + n_blocks * CR_SEAL_OVERHEAD);
	cr_crypt_w w;
	cr_crypt_w_init(&w, k, label);
	memcpy(f, w.hdr, CR_CRYPT_HDR);
	size_t o = CR_CRYPT_HDR;
	for (size_t i = 0; i < n_blocks; i++) {
		size_t bl = i + 1 < n_blocks ? CR_CRYPT_BLOCK : n - i * CR_CRYPT_BLOCK;
		cr_crypt_w_block(&w, p + i * CR_CRYPT_BLOCK, bl, i + 1 == n_blocks, f + o);
		o += bl + CR_SEAL_OVERHEAD;
	}
	*out_len = o;
	return f;
}

static cr_err open_file(const cr_key *k, const char *label, const uint8_t *f, size_t n, uint8_t **out,
			size_t *out_n)
{
	cr_msg m = {{0}};
	size_t pn = 0;
	cr_err e = cr_crypt_plain_size(f, n, &pn, &m);
	if (e)
		return e;
	*out = malloc(pn + 1);
	*out_n = pn;
	e = cr_crypt_open(k, label, f, n, *out, &m);
	if (e) {
		assert_true(m.text[0] != 0);
		free(*out);
		*out = NULL;
	}
	return e;
}

static void test_sealed_file(void **st)
{
	(void)st;
	cr_key *k = key_hex(HEX1), *k2 = key_hex(HEX2);
	const size_t B = CR_CRYPT_BLOCK, sizes[] = {0, 1, 100, B - 1, B, B + 1, 3 * B, 3 * B + 7};
	uint8_t *plain = malloc(3 * B + 7);
	for (size_t i = 0; i < 3 * B + 7; i++)
		plain[i] = (uint8_t)(i * 31 + 7);
	for (size_t si = 0; si < CR_ARRAY_LEN(sizes); si++) {
		size_t n = sizes[si], fl = 0, pn = 0;
		uint8_t *f = seal_file(k, "seg_000001.idx", plain, n, &fl), *p = NULL;
		assert_true(cr_crypt_is_sealed(f, fl));
		assert_int_equal(open_file(k, "seg_000001.idx", f, fl, &p, &pn), CR_OK);
		assert_int_equal(pn, n);
		if (n)
			assert_memory_equal(p, plain, n);
		free(p);
		/* another key, another label (a renamed file) */
		assert_int_equal(open_file(k2, "seg_000001.idx", f, fl, &p, &pn), CR_ECORRUPT);
		assert_int_equal(open_file(k, "seg_000002.idx", f, fl, &p, &pn), CR_ECORRUPT);
		/* one byte changed anywhere: the header, a nonce, a ciphertext, a tag */
		size_t at[] = {0, 9, 20, CR_CRYPT_HDR, CR_CRYPT_HDR + 30, fl / 2, fl - 1};
		for (size_t i = 0; i < CR_ARRAY_LEN(at); i++) {
			f[at[i]] ^= 0x40;
			assert_int_equal(open_file(k, "seg_000001.idx", f, fl, &p, &pn), CR_ECORRUPT);
			f[at[i]] ^= 0x40;
		}
		if (n > B) {
			/* truncated at a block boundary: the last block left is not final */
			size_t cut = CR_CRYPT_HDR + B + CR_SEAL_OVERHEAD;
			assert_int_equal(open_file(k, "seg_000001.idx", f, cut, &p, &pn), CR_ECORRUPT);
			/* truncated inside a block */
			assert_int_equal(open_file(k, "seg_000001.idx", f, fl - 3, &p, &pn), CR_ECORRUPT);
		}
		if (n > 2 * B) {
			/* two whole blocks swapped */
			size_t bl = B + CR_SEAL_OVERHEAD;
			uint8_t *t = malloc(bl);
			memcpy(t, f + CR_CRYPT_HDR, bl);
			memcpy(f + CR_CRYPT_HDR, f + CR_CRYPT_HDR + bl, bl);
			memcpy(f + CR_CRYPT_HDR + bl, t, bl);
			assert_int_equal(open_file(k, "seg_000001.idx", f, fl, &p, &pn), CR_ECORRUPT);
			free(t);
		}
		/* a block appended (a copy of the last): the old last is no longer last */
		size_t last = n % B ? n % B : (n ? B : 0);
		uint8_t *g = malloc(fl + last + CR_SEAL_OVERHEAD);
		memcpy(g, f, fl);
		memcpy(g + fl, f + fl - last - CR_SEAL_OVERHEAD, last + CR_SEAL_OVERHEAD);
		assert_int_equal(open_file(k, "seg_000001.idx", g, fl + last + CR_SEAL_OVERHEAD, &p, &pn), CR_ECORRUPT);
		free(g);
		/* header alone, or less */
		assert_int_equal(open_file(k, "seg_000001.idx", f, CR_CRYPT_HDR, &p, &pn), CR_ECORRUPT);
		assert_int_equal(open_file(k, "seg_000001.idx", f, 10, &p, &pn), CR_ECORRUPT);
		free(f);
	}
	free(plain);
	cr_key_free(k);
	cr_key_free(k2);
}

/* ---- the catalog --------------------------------------------------------- */

static cr_chunk mk_chunk(const char *text, uint32_t ord)
{
	cr_chunk c;
	memset(&c, 0, sizeof c);
	c.text = text;
	c.len = strlen(text);
	c.ordinal = ord;
	c.loc.t_start = c.loc.t_end = -1;
	return c;
}

static int64_t put_doc(cr_store *s, const char *name, const char *title, const char *a, const char *b)
{
	cr_msg m = {{0}};
	int64_t src = 0, id = 0;
	assert_int_equal(cr_store_source_get_or_add(s, "/src", "folder", &src, &m), CR_OK);
	cr_chunk ch[2] = {mk_chunk(a, 0), mk_chunk(b, 1)};
	ch[1].loc.heading = "Secret heading";
	ch[1].loc.speaker = "Hanako";
	cr_doc_row row;
	memset(&row, 0, sizeof row);
	row.source_id = src;
	row.name = name;
	row.title = title;
	row.type = "txt";
	row.hash = "abc";
	assert_int_equal(cr_store_begin(s, &m), CR_OK);
	cr_err e = cr_store_doc_put(s, &row, NULL, ch, 2, &id, NULL, &m);
	if (e)
		fprintf(stderr, "doc_put: %s\n", m.text);
	assert_int_equal(e, CR_OK);
	assert_int_equal(cr_store_commit(s, &m), CR_OK);
	return id;
}

static int file_has(const char *path, const char *needle)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	size_t nl = strlen(needle), cap = 1 << 22;
	char *b = malloc(cap);
	size_t n = fread(b, 1, cap, f);
	fclose(f);
	int found = 0;
	for (size_t i = 0; i + nl <= n && !found; i++)
		found = !memcmp(b + i, needle, nl);
	free(b);
	return found;
}

static void sql(const char *db_path, const char *q)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
	char *err = NULL;
	int rc = sqlite3_exec(db, q, NULL, NULL, &err);
	if (rc)
		fprintf(stderr, "%s: %s\n", q, err);
	assert_int_equal(rc, SQLITE_OK);
	sqlite3_close(db);
}

static void test_catalog(void **st)
{
	(void)st;
	cr_key *k = key_hex(HEX1), *k2 = key_hex(HEX2);
	char d[300], db[320];
	snprintf(d, sizeof d, "%s/cat", dir);
	snprintf(db, sizeof db, "%s/catalog.db", d);
	cr_msg m = {{0}};
	cr_store *s;
	cr_key_set_process(k);
	assert_int_equal(cr_store_open(d, &s, &m), CR_OK);
	assert_true(cr_store_key(s) == k);
	int64_t id1 = put_doc(s, "a.txt", "Plum orchard accounts", "the violet giraffe sings at dawn",
			      "second chunk of a");
	int64_t id2 = put_doc(s, "b.txt", "Other", "another text entirely", "b two");
	put_doc(s, "a.txt", "Plum orchard accounts", "the violet giraffe sings at dawn", "a again"); /* update */
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_doc_row r;
	assert_int_equal(cr_store_doc_get(s, &a, id1, &r, &m), CR_OK);
	assert_string_equal(r.title, "Plum orchard accounts");
	int64_t max = 0;
	assert_int_equal(cr_store_max_chunk_id(s, &max, &m), CR_OK);
	cr_chunk_row c;
	assert_int_equal(cr_store_chunk_get(s, &a, max, &c, &m), CR_OK);
	assert_string_equal(c.text, "a again");
	assert_string_equal(c.loc.heading, "Secret heading");
	assert_string_equal(c.loc.speaker, "Hanako");
	assert_string_equal(c.title, "Plum orchard accounts");
	cr_store_close(s);
	assert_false(file_has(db, "violet giraffe"));
	assert_false(file_has(db, "Plum orchard"));
	assert_false(file_has(db, "Secret heading"));
	/* no key, another key */
	cr_key_set_process(NULL);
	memset(&m, 0, sizeof m);
	assert_int_equal(cr_store_open(d, &s, &m), CR_EDENIED);
	assert_non_null(strstr(m.text, "encrypted"));
	cr_key_set_process(k2);
	memset(&m, 0, sizeof m);
	assert_int_equal(cr_store_open(d, &s, &m), CR_EDENIED);
	assert_non_null(strstr(m.text, "wrong key"));
	/* a value swapped between two rows, then a flipped byte: CR_ECORRUPT */
	cr_key_set_process(k);
	char q[512];
	snprintf(q, sizeof q,
		 "UPDATE chunks SET text = (SELECT text FROM chunks WHERE doc_id = %lld ORDER BY id LIMIT 1)"
		 " WHERE id = %lld",
		 (long long)id2, (long long)max);
	sql(db, q);
	assert_int_equal(cr_store_open(d, &s, &m), CR_OK);
	memset(&m, 0, sizeof m);
	assert_int_equal(cr_store_chunk_get(s, &a, max, &c, &m), CR_ECORRUPT);
	assert_non_null(strstr(m.text, "chunks.text"));
	cr_store_close(s);
	snprintf(q, sizeof q,
		 "UPDATE documents SET title = CAST(substr(title, 1, 30) || x'00' || substr(title, 32) AS BLOB) WHERE id = %lld",
		 (long long)id2);
	sql(db, q);
	assert_int_equal(cr_store_open(d, &s, &m), CR_OK);
	assert_int_equal(cr_store_doc_get(s, &a, id2, &r, &m), CR_ECORRUPT);
	/* a plaintext value slipped in */
	snprintf(q, sizeof q, "UPDATE chunks SET text = 'injected' WHERE id = %lld", (long long)(max - 1));
	sql(db, q);
	assert_int_equal(cr_store_chunk_get(s, &a, max - 1, &c, &m), CR_ECORRUPT);
	cr_store_close(s);
	/* an existing plaintext catalog stays plaintext with a key set */
	cr_key_set_process(NULL);
	snprintf(d, sizeof d, "%s/plain", dir);
	snprintf(db, sizeof db, "%s/catalog.db", d);
	assert_int_equal(cr_store_open(d, &s, &m), CR_OK);
	assert_null(cr_store_key(s));
	put_doc(s, "p.txt", "Plain", "the violet giraffe sings at dawn", "x");
	cr_store_close(s);
	assert_true(file_has(db, "violet giraffe") || file_has(db + 0, "violet giraffe"));
	cr_key_set_process(k);
	assert_int_equal(cr_store_open(d, &s, &m), CR_OK);
	assert_null(cr_store_key(s));
	cr_store_close(s);
	cr_key_set_process(NULL);
	cr_arena_release(&a);
	cr_key_free(k);
	cr_key_free(k2);
}

/* ---- the index ----------------------------------------------------------- */

/* A word of its own for an id: its digits as letters ("q" + "bcd" for 123). */
static void id_word(uint64_t id, char *out)
{
	char d[24];
	int n = snprintf(d, sizeof d, "%llu", (unsigned long long)id);
	out[0] = 'q';
	for (int i = 0; i < n; i++)
		out[1 + i] = (char)('a' + (d[i] - '0'));
	out[1 + n] = 0;
}

static int search_n(cr_index *ix, cr_analyzer *an, const char *q)
{
	cr_results r;
	cr_search_opts o = {.k = 10};
	cr_msg m = {{0}};
	if (cr_index_search(ix, an, q, &o, &r, &m))
		return -1;
	int n = (int)r.n;
	cr_results_release(&r);
	return n;
}

static void test_index(void **st)
{
	(void)st;
	cr_key *k = key_hex(HEX1), *k2 = key_hex(HEX2);
	char d[300];
	snprintf(d, sizeof d, "%s/ix", dir);
	cr_analyzer *an;
	assert_int_equal(cr_analyzer_new(NULL, &an, NULL), CR_OK);
	cr_index *ix;
	cr_msg m = {{0}};
	assert_int_equal(cr_index_open_key(d, k, &ix, &m), CR_OK);
	for (int round = 0; round < 2; round++) {
		cr_index_writer *w;
		assert_int_equal(cr_index_writer_new(ix, an, &w, &m), CR_OK);
		/* enough text for segments of several 64 KiB blocks */
		char body[256];
		for (uint64_t i = 1; i <= 3000; i++) {
			uint64_t id = (uint64_t)round * 3000 + i;
			char word[32];
			id_word(id, word);
			snprintf(body, sizeof body, "entry common violet giraffe %s", word);
			cr_entry_attrs at = {.id = id, .doc_key = id, .doc = "x.txt", .type = "txt"};
			assert_int_equal(cr_index_writer_add(w, &at, NULL, 0, body, strlen(body)), CR_OK);
		}
		assert_int_equal(cr_index_writer_commit(w, &m), CR_OK);
		cr_index_writer_free(w);
	}
	assert_int_equal(search_n(ix, an, "qedcb"), 1);
	assert_int_equal(cr_index_merge(ix, &m), CR_OK);
	assert_int_equal(search_n(ix, an, "qedcb"), 1);
	assert_int_equal(search_n(ix, an, "\"violet giraffe\""), 10);
	cr_index_close(ix);
	/* the segment files are sealed: no term in clear */
	cr_arena a;
	cr_arena_init(&a, 0);
	const char **names;
	size_t n = 0;
	assert_int_equal(cr_index_files(d, &a, &names, &n, &m), CR_OK);
	char idx[400] = "";
	for (size_t i = 0; i < n; i++) {
		char p[400];
		snprintf(p, sizeof p, "%s/%s", d, names[i]);
		assert_false(file_has(p, "giraffe"));
		if (strstr(names[i], ".idx"))
			snprintf(idx, sizeof idx, "%s", p);
	}
	assert_true(*idx);
	/* reopened with the key; without it, with another, plain where sealed is expected */
	assert_int_equal(cr_index_open_key(d, k, &ix, &m), CR_OK);
	assert_int_equal(search_n(ix, an, "qbh"), 1);
	cr_index_close(ix);
	memset(&m, 0, sizeof m);
	assert_int_equal(cr_index_open(d, &ix, &m), CR_EDENIED);
	assert_non_null(strstr(m.text, "encrypted"));
	assert_int_equal(cr_index_open_key(d, k2, &ix, &m), CR_ECORRUPT);
	/* one byte flipped in the middle of the segment */
	FILE *f = fopen(idx, "r+b");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, len / 2, SEEK_SET);
	int ch = fgetc(f);
	fseek(f, len / 2, SEEK_SET);
	fputc(ch ^ 0x20, f);
	fclose(f);
	memset(&m, 0, sizeof m);
	assert_int_equal(cr_index_open_key(d, k, &ix, &m), CR_ECORRUPT);
	assert_non_null(strstr(m.text, "authentication"));
	/* a plaintext index opened with a key: its segments are refused */
	snprintf(d, sizeof d, "%s/ixplain", dir);
	assert_int_equal(cr_index_open(d, &ix, &m), CR_OK);
	cr_index_writer *w;
	assert_int_equal(cr_index_writer_new(ix, an, &w, &m), CR_OK);
	cr_entry_attrs at = {.id = 1, .doc_key = 1, .doc = "x.txt", .type = "txt"};
	assert_int_equal(cr_index_writer_add(w, &at, NULL, 0, "plain words", 11), CR_OK);
	assert_int_equal(cr_index_writer_commit(w, &m), CR_OK);
	cr_index_writer_free(w);
	cr_index_close(ix);
	assert_int_equal(cr_index_open_key(d, k, &ix, &m), CR_ECORRUPT);
	cr_arena_release(&a);
	cr_analyzer_free(an);
	cr_key_free(k);
	cr_key_free(k2);
}

/* Searches on three threads while the main thread commits segments and
 * merges: sealed segments opened into memory and freed as snapshots change
 * hands (ThreadSanitizer's and ASan's business). */
typedef struct searcher {
	cr_index *ix;
	int n_ok;
} searcher;

static void *search_loop(void *arg)
{
	searcher *s = arg;
	cr_analyzer *an;
	if (cr_analyzer_new(NULL, &an, NULL))
		return NULL;
	for (int i = 0; i < 150; i++) {
		cr_msg m = {{0}};
		CR_IGNORE(cr_index_refresh(s->ix, &m));
		s->n_ok += search_n(s->ix, an, "violet") > 0;
	}
	cr_analyzer_free(an);
	return NULL;
}

static void test_threads(void **st)
{
	(void)st;
	cr_key *k = key_hex(HEX1);
	char d[300];
	snprintf(d, sizeof d, "%s/ixt", dir);
	cr_analyzer *an;
	assert_int_equal(cr_analyzer_new(NULL, &an, NULL), CR_OK);
	cr_index *ix;
	cr_msg m = {{0}};
	assert_int_equal(cr_index_open_key(d, k, &ix, &m), CR_OK);
	pthread_t th[3];
	searcher ss[3];
	memset(ss, 0, sizeof ss);
	uint64_t id = 0;
	for (int round = 0; round < 5; round++) {
		cr_index_writer *w;
		assert_int_equal(cr_index_writer_new(ix, an, &w, &m), CR_OK);
		for (int i = 0; i < 400; i++) {
			char body[96], word[32];
			id_word(++id, word);
			snprintf(body, sizeof body, "violet %s entry", word);
			cr_entry_attrs at = {.id = id, .doc_key = id, .doc = "t.txt", .type = "txt"};
			assert_int_equal(cr_index_writer_add(w, &at, NULL, 0, body, strlen(body)), CR_OK);
		}
		assert_int_equal(cr_index_writer_commit(w, &m), CR_OK);
		cr_index_writer_free(w);
		if (round == 0)
			for (int t = 0; t < 3; t++) {
				ss[t].ix = ix;
				assert_int_equal(pthread_create(&th[t], NULL, search_loop, &ss[t]), 0);
			}
		if (round == 3)
			assert_int_equal(cr_index_merge(ix, &m), CR_OK);
	}
	for (int t = 0; t < 3; t++) {
		assert_int_equal(pthread_join(th[t], NULL), 0);
		assert_int_equal(ss[t].n_ok, 150); /* every search found entries */
	}
	cr_index_close(ix);
	cr_analyzer_free(an);
	cr_key_free(k);
}

/* Vector files: a flat and a graph index sealed, opened to the same
 * answers; no key, another key, a flipped byte and a renamed file refused. */
static void test_vectors(void **st)
{
	(void)st;
	cr_key *k = key_hex(HEX1), *k2 = key_hex(HEX2);
	const int dim = 16;
	const size_t n = 5000; /* a graph from 4,096 on; files of several blocks */
	for (int graph = 0; graph < 2; graph++) {
		cr_vec_params vp = {.m = 8};
		cr_vec_index *ix;
		cr_msg m = {{0}};
		assert_int_equal(cr_vec_index_new(dim, &vp, &ix, &m), CR_OK);
		float x[16];
		uint32_t r = 12345;
		for (size_t i = 0; i < n; i++) {
			for (int j = 0; j < dim; j++) {
				r = r * 1103515245u + 12345u;
				x[j] = (float)((r >> 8) % 1000) / 1000.0f - 0.5f;
			}
			assert_int_equal(cr_vec_index_add(ix, i + 1, x, &m), CR_OK);
		}
		if (graph)
			assert_int_equal(cr_vec_index_build(ix, NULL, NULL, &m), CR_OK);
		char path[300], moved[300];
		snprintf(path, sizeof path, "%s/g%d.vix", dir, graph);
		snprintf(moved, sizeof moved, "%s/h%d.vix", dir, graph);
		assert_int_equal(cr_vec_index_save_key(ix, path, k, &m), CR_OK);
		cr_vec_index *ox = NULL;
		assert_int_equal(cr_vec_index_open_key(path, k, &ox, &m), CR_OK);
		assert_int_equal(cr_vec_index_count(ox), n);
		assert_int_equal(cr_vec_index_has_graph(ox), graph);
		cr_vec_hit a[10], b[10];
		int na, nb;
		cr_vec_query q = {.k = 10, .ef = 50};
		assert_int_equal(cr_vec_index_search(ix, NULL, x, &q, a, &na, NULL), CR_OK);
		assert_int_equal(cr_vec_index_search(ox, NULL, x, &q, b, &nb, NULL), CR_OK);
		assert_int_equal(na, nb);
		for (int i = 0; i < na; i++)
			assert_int_equal(a[i].id, b[i].id);
		cr_vec_index_free(ox);
		memset(&m, 0, sizeof m);
		assert_int_equal(cr_vec_index_open(path, &ox, &m), CR_EDENIED);
		assert_int_equal(cr_vec_index_open_key(path, k2, &ox, &m), CR_ECORRUPT);
		assert_int_equal(rename(path, moved), 0);
		assert_int_equal(cr_vec_index_open_key(moved, k, &ox, &m), CR_ECORRUPT);
		assert_int_equal(rename(moved, path), 0);
		FILE *f = fopen(path, "r+b");
		fseek(f, 0, SEEK_END);
		long len = ftell(f);
		fseek(f, len / 3, SEEK_SET);
		int ch = fgetc(f);
		fseek(f, len / 3, SEEK_SET);
		fputc(ch ^ 0x04, f);
		fclose(f);
		assert_int_equal(cr_vec_index_open_key(path, k, &ox, &m), CR_ECORRUPT);
		/* a plaintext file where a sealed one is expected */
		assert_int_equal(cr_vec_index_save(ix, path, &m), CR_OK);
		assert_int_equal(cr_vec_index_open_key(path, k, &ox, &m), CR_ECORRUPT);
		assert_int_equal(cr_vec_index_open(path, &ox, &m), CR_OK);
		cr_vec_index_free(ox);
		cr_vec_index_free(ix);
	}
	cr_key_free(k);
	cr_key_free(k2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),    cmocka_unit_test(test_seal_values), cmocka_unit_test(test_sealed_file),
		cmocka_unit_test(test_catalog), cmocka_unit_test(test_index),   cmocka_unit_test(test_threads),
		cmocka_unit_test(test_vectors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
