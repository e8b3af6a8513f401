/* test_backup.c — the backup archive's reader (backup.h) on archives made
 * by another writer (Python's tarfile, fuzz/corpus/backup/): a well-formed
 * one is accepted with its files counted; a wrong SHA-256, a name that
 * would leave the data directory, a symbolic link, a missing catalog, a
 * foreign format and a cut-off archive are each refused with their reason;
 * a damaged header byte is caught by the checksum; restore into a
 * directory that is not empty is refused and leaves it as it was, and a
 * refused archive leaves nothing behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cristal/backup.h"

#define TMPDIR_NAME "/tmp/cr_test_backup.XXXXXX"
#include "test_tmpdir.h"

static uint8_t *load(const char *name, size_t *n)
{
	const char *src = getenv("CR_SOURCE_DIR");
	char path[4096];
	snprintf(path, sizeof path, "%s/fuzz/corpus/backup/%s", src ? src : ".", name);
	uint8_t *p = NULL;
	if (cr_file_read(path, 1 << 20, &p, n, NULL))
		fail_msg("cannot read %s", path);
	return p;
}

static void expect(const char *name, cr_err want, const char *words)
{
	size_t n;
	uint8_t *p = load(name, &n);
	cr_backup_info inf;
	cr_msg m = {{0}};
	cr_err e = cr_backup_check(p, n, &inf, &m);
	if (e != want || (words && !strstr(m.text, words)))
		fail_msg("%s: got %d '%s', wanted %d '%s'", name, e, m.text, want, words ? words : "");
	cr_free(p);
}

static void archives(void **state)
{
	(void)state;
	size_t n;
	uint8_t *p = load("ok.tar", &n);
	cr_backup_info inf;
	cr_msg m = {{0}};
	assert_int_equal(cr_backup_check(p, n, &inf, &m), CR_OK);
	assert_int_equal(inf.n_files, 4);
	assert_int_equal(inf.max_chunk_id, 3);
	/* one flipped byte in the first header's name: the checksum says so */
	p[3] ^= 1;
	assert_int_equal(cr_backup_check(p, n, &inf, &m), CR_ECORRUPT);
	assert_non_null(strstr(m.text, "checksum"));
	p[3] ^= 1;
	/* a flipped byte inside the catalog's bytes: the SHA-256 says so */
	p[512 + 20] ^= 1;
	assert_int_equal(cr_backup_check(p, n, &inf, &m), CR_ECORRUPT);
	assert_non_null(strstr(m.text, "catalog.db: SHA-256 mismatch"));
	cr_free(p);
	expect("bad_hash.tar", CR_ECORRUPT, "SHA-256 mismatch");
	expect("traversal.tar", CR_ECORRUPT, "not a data directory's file");
	expect("symlink_after.tar", CR_ECORRUPT, "entries after");
	expect("no_catalog.tar", CR_ECORRUPT, "no catalog.db");
	expect("wrong_format.tar", CR_EUNSUPPORTED, "not a cristal-backup-1 archive");
	expect("truncated.tar", CR_ECORRUPT, "ends early");
	/* nothing at all, and zeros only */
	assert_int_equal(cr_backup_check((const uint8_t *)"", 0, &inf, &m), CR_ECORRUPT);
	static uint8_t zeros[1024];
	assert_int_equal(cr_backup_check(zeros, sizeof zeros, &inf, &m), CR_ECORRUPT);
	assert_non_null(strstr(m.text, "no cristal-backup.json"));
}

static void restore_refusals(void **state)
{
	(void)state;
	const char *src = getenv("CR_SOURCE_DIR");
	char arc[4096], target[512], f[4096];
	cr_backup_info inf;
	cr_msg m = {{0}};
	/* a refused archive into a new directory: the directory is gone again */
	snprintf(arc, sizeof arc, "%s/fuzz/corpus/backup/bad_hash.tar", src ? src : ".");
	snprintf(target, sizeof target, "%s/new", dir);
	assert_int_equal(cr_backup_restore(arc, target, &inf, &m), CR_ECORRUPT);
	struct stat st;
	assert_int_not_equal(stat(target, &st), 0);
	/* a good one restores its files */
	snprintf(arc, sizeof arc, "%s/fuzz/corpus/backup/ok.tar", src ? src : ".");
	assert_int_equal(cr_backup_restore(arc, target, &inf, &m), CR_OK);
	snprintf(f, sizeof f, "%s/vectors/g00000000000000000003.vix", target);
	assert_int_equal(stat(f, &st), 0);
	assert_int_equal(st.st_size, 10);
	/* and will not go over an existing data directory */
	assert_int_equal(cr_backup_restore(arc, target, &inf, &m), CR_EEXIST);
	assert_non_null(strstr(m.text, "not empty"));
	assert_int_equal(stat(f, &st), 0);
	/* a missing archive */
	snprintf(target, sizeof target, "%s/other", dir);
	assert_int_equal(cr_backup_restore("/nonexistent.tar", target, &inf, &m), CR_ENOTFOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(archives),
		cmocka_unit_test(restore_refusals),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
