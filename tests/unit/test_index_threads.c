/* test_index_threads.c — the index used from several threads: the writer
 * lock admits one thread (a second writer thread gets CR_EBUSY, also while
 * the first holds only LOCK through a delete), snapshots installed by
 * racing refreshes never go back to an older generation, and searches run
 * while a writer publishes segments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "cristal/index.h"
#include "index/index_int.h"

#define TMPDIR_NAME "/tmp/cr_test_ixthr_XXXXXX"
#include "test_tmpdir.h"

static cr_analyzer *new_analyzer(void)
{
	cr_analyzer_opts o = cr_analyzer_opts_default();
	cr_analyzer *an = NULL;
	assert_int_equal(cr_analyzer_new(&o, &an, NULL), CR_OK);
	return an;
}

/* A word of letters only for id (the analyzer splits digits from letters). */
static void id_word(uint64_t id, char *out)
{
	int n = 0;
	out[n++] = 'q';
	do {
		out[n++] = (char)('a' + id % 26);
		id /= 26;
	} while (id);
	out[n++] = 'z';
	out[n] = 0;
}

/* Writes one segment of n entries from id `first` on, each saying "<id_word> common". */
static void write_segment(cr_index *ix, cr_analyzer *an, uint64_t first, int n)
{
	cr_index_writer *w = NULL;
	cr_msg m = {{0}};
	assert_int_equal(cr_index_writer_new(ix, an, &w, &m), CR_OK);
	for (int i = 0; i < n; i++) {
		uint64_t id = first + (uint64_t)i;
		char body[64], word[32];
		id_word(id, word);
		snprintf(body, sizeof body, "%s common", word);
		cr_entry_attrs at = {.id = id, .doc_key = id, .doc = "d", .type = "txt"};
		assert_int_equal(cr_index_writer_add(w, &at, NULL, 0, body, strlen(body)), CR_OK);
	}
	assert_int_equal(cr_index_writer_commit(w, &m), CR_OK);
	cr_index_writer_free(w);
}

/* ---- the writer lock ---- */

typedef struct second {
	cr_index *ix;
	cr_analyzer *an;
	cr_err writer, del, lock;
	double seconds;
} second;

static void *second_writer(void *arg)
{
	second *s = arg;
	double t0 = cr_now();
	cr_index_writer *w = NULL;
	cr_msg m = {{0}};
	s->writer = cr_index_writer_new(s->ix, s->an, &w, &m);
	cr_index_writer_free(w);
	uint64_t id = 1;
	s->del = cr_index_delete(s->ix, &id, 1, &m);
	s->lock = cr_ix_lock(s->ix, &m);
	if (!s->lock)
		cr_ix_unlock(s->ix);
	s->seconds = cr_now() - t0;
	return NULL;
}

static void test_writer_lock(void **st)
{
	cr_index *ix = NULL;
	cr_msg m = {{0}};
	assert_int_equal(cr_index_open(dir, &ix, &m), CR_OK);
	cr_analyzer *an = new_analyzer(), *an2 = new_analyzer();
	write_segment(ix, an, 1, 3);

	/* This thread holds a writer: another thread is refused at once. */
	cr_index_writer *w = NULL;
	assert_int_equal(cr_index_writer_new(ix, an, &w, &m), CR_OK);
	/* re-entrant within the holding thread */
	uint64_t dead = 2;
	assert_int_equal(cr_index_delete(ix, &dead, 1, &m), CR_OK);
	second s = {.ix = ix, .an = an2};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, second_writer, &s), 0);
	pthread_join(th, NULL);
	assert_int_equal(s.writer, CR_EBUSY);
	assert_int_equal(s.del, CR_EBUSY);
	assert_int_equal(s.lock, CR_EBUSY);
	assert_true(s.seconds < 1.0); /* no wait for a thread of this process */
	/* ... and another process (here: another open file) cannot take LOCK */
	char path[300];
	snprintf(path, sizeof path, "%s/LOCK", dir);
	int fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), -1);
	assert_int_equal(errno, EWOULDBLOCK);
	cr_index_writer_free(w);

	/* Released: the other thread gets it, and the file lock is free after. */
	memset(&s, 0, sizeof s);
	s.ix = ix;
	s.an = an2;
	assert_int_equal(pthread_create(&th, NULL, second_writer, &s), 0);
	pthread_join(th, NULL);
	assert_int_equal(s.writer, CR_OK);
	assert_int_equal(s.del, CR_OK);
	assert_int_equal(s.lock, CR_OK);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
	/* and now this process is the other one: the index waits for it */
	flock(fd, LOCK_UN);
	close(fd);
	cr_index_stats is;
	cr_index_get_stats(ix, &is);
	assert_int_equal(is.n_entries, 1); /* ids 1 and 2 deleted */
	cr_analyzer_free(an);
	cr_analyzer_free(an2);
	cr_index_close(ix);
}

/* ---- snapshots: monotonic refresh ---- */

static cr_ix_snap *fake_snap(uint64_t generation)
{
	cr_ix_snap *s = cr_calloc(1, sizeof *s);
	assert_non_null(s);
	atomic_init(&s->ref, 1);
	s->generation = generation;
	return s;
}

static void test_install_monotonic(void **st)
{
	cr_index *ix = NULL;
	cr_msg m = {{0}};
	assert_int_equal(cr_index_open(dir, &ix, &m), CR_OK);
	uint64_t g0 = ix->snap->generation;
	assert_int_equal(cr_ix_snap_install(ix, fake_snap(g0 + 5), NULL), 1);
	assert_int_equal(ix->snap->generation, g0 + 5);
	/* a refresh that read an older MANIFEST finishes last: dropped */
	assert_int_equal(cr_ix_snap_install(ix, fake_snap(g0 + 3), NULL), 0);
	assert_int_equal(ix->snap->generation, g0 + 5);
	assert_int_equal(cr_ix_snap_install(ix, fake_snap(g0 + 5), NULL), 0);
	assert_int_equal(cr_ix_snap_install(ix, fake_snap(g0 + 6), NULL), 1);
	assert_int_equal(ix->snap->generation, g0 + 6);
	cr_index_close(ix);
}

typedef struct refresher {
	cr_index *ix;
	cr_analyzer *an;
	atomic_int *stop;
	int went_back, errors;
	uint64_t searches, last_gen;
} refresher;

static void *refresh_loop(void *arg)
{
	refresher *r = arg;
	uint64_t last = 0, last_max = 0;
	while (!atomic_load(r->stop)) {
		cr_msg m = {{0}};
		if (cr_index_refresh(r->ix, &m)) {
			r->errors++;
			continue;
		}
		cr_ix_snap *s = cr_ix_snap_get(r->ix);
		if (s->generation < last)
			r->went_back++;
		last = s->generation;
		cr_ix_snap_put(s);
		/* every entry the index reported is still found */
		uint64_t mx = cr_index_max_id(r->ix);
		if (mx < last_max)
			r->went_back++;
		last_max = mx;
		if (mx) {
			char q[32];
			id_word(mx, q);
			cr_results res;
			cr_search_opts o = {.k = 5};
			cr_err e = cr_index_search(r->ix, r->an, q, &o, &res, &m);
			if (e || res.n != 1 || res.hits[0].id != mx) {
				if (r->errors++ < 3)
					print_message("search %s: %s, %zu hits, first %llu\n", q, cr_strerror(e),
						      e ? 0 : res.n, e || !res.n ? 0ull : (unsigned long long)res.hits[0].id);
			}
			else
				r->searches++;
			cr_results_release(&res);
		}
	}
	r->last_gen = last;
	return NULL;
}

static void test_refresh_race(void **st)
{
	cr_index *ix = NULL;
	cr_msg m = {{0}};
	assert_int_equal(cr_index_open(dir, &ix, &m), CR_OK);
	cr_analyzer *an = new_analyzer();
	enum { N = 3, SEGS = 24 };
	refresher r[N];
	pthread_t th[N];
	atomic_int stop;
	atomic_init(&stop, 0);
	for (int i = 0; i < N; i++) {
		r[i] = (refresher){.ix = ix, .an = new_analyzer(), .stop = &stop};
		assert_int_equal(pthread_create(&th[i], NULL, refresh_loop, &r[i]), 0);
	}
	for (int i = 0; i < SEGS; i++)
		write_segment(ix, an, 1 + 4 * (uint64_t)i, 4);
	atomic_store(&stop, 1);
	uint64_t total = 0;
	for (int i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(r[i].went_back, 0);
		assert_int_equal(r[i].errors, 0);
		total += r[i].searches;
		cr_analyzer_free(r[i].an);
	}
	assert_true(total > 0);
	assert_int_equal(cr_index_refresh(ix, &m), CR_OK);
	assert_int_equal(cr_index_max_id(ix), 4 * SEGS);
	cr_index_stats is;
	cr_index_get_stats(ix, &is);
	assert_int_equal(is.n_entries, 4 * SEGS);
	cr_analyzer_free(an);
	cr_index_close(ix);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_writer_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_install_monotonic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refresh_race, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
