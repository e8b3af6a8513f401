/* test_ingest_init.c — cr_extract_init: in a fresh process, one call and
 * then several threads extracting at once (HTML through libxml2, mail
 * through GMime, xlsx through libxml2 + libzip) with no extraction done
 * beforehand on the main thread. Every thread must get the same documents
 * as a single-threaded run afterwards. Its own test program, so no earlier
 * test has initialised the libraries already. Run it under
 * -DCR_SANITIZE=ON (or TSan) to see races. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cristal/ingest.h"

static const char *const files[] = {"samples/finance/budget-fy2026.xlsx"};
static const char html[] = "<html><head><title>Kestrel</title></head><body><h1>Spec</h1><p>Payload 7 kg.</p>"
			   "<p>Reach 900 mm.</p></body></html>";
static const char eml[] = "From: a@example.com\r\nTo: b@example.com\r\nSubject: HM-40 order\r\n"
			  "Date: Mon, 2 Mar 2026 09:00:00 +0000\r\nMIME-Version: 1.0\r\n"
			  "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\n"
			  "Please confirm the HM-40 order.\r\n--b1\r\nContent-Type: text/html; name=\"n.html\"\r\n"
			  "Content-Disposition: attachment; filename=\"n.html\"\r\n\r\n<p>attached note</p>\r\n--b1--\r\n";

typedef struct {
	const char *name[3];
	const uint8_t *buf[3];
	size_t len[3];
} job;

typedef struct {
	const job *j;
	uint64_t got[4][3]; /* per round, per input */
} worker_out;

static uint64_t hash_of(const char *name, const uint8_t *buf, size_t len)
{
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_doc *d;
	cr_msg m;
	uint64_t h = 0;
	if (cr_extract(&a, name, buf, len, NULL, &d, &m) == CR_OK)
		for (h = 1; d; d = d->next)
			for (size_t i = 0; i < d->n_sections; i++)
				h = cr_hash64(d->sections[i].text, d->sections[i].len, h);
	cr_arena_release(&a);
	return h;
}

static void *worker(void *arg)
{
	worker_out *w = arg;
	for (int round = 0; round < 4; round++)
		for (int k = 0; k < 3; k++) {
			int i = (k + round) % 3;
			w->got[round][i] = hash_of(w->j->name[i], w->j->buf[i], w->j->len[i]);
		}
	return NULL;
}

static void test_threads_after_init(void **st)
{
	(void)st;
	const char *src = getenv("CR_SOURCE_DIR");
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", src ? src : ".", files[0]);
	uint8_t *x;
	size_t xn;
	cr_msg m;
	if (cr_file_read(path, 1 << 26, &x, &xn, &m) != CR_OK)
		fail_msg("cannot read %s: %s", path, m.text);
	job j = {.name = {"spec.html", "order.eml", "budget.xlsx"},
		 .buf = {(const uint8_t *)html, (const uint8_t *)eml, x},
		 .len = {sizeof html - 1, sizeof eml - 1, xn}};
	cr_extract_init();
	cr_extract_init(); /* a no-op the second time */
	pthread_t t[4];
	static worker_out w[4];
	for (int i = 0; i < 4; i++) {
		w[i].j = &j;
		assert_int_equal(pthread_create(&t[i], NULL, worker, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	/* the single-threaded answer, now that the threads are done */
	for (int i = 0; i < 3; i++) {
		uint64_t h = hash_of(j.name[i], j.buf[i], j.len[i]);
		assert_true(h > 1); /* extracted, with text */
		for (int k = 0; k < 4; k++)
			for (int round = 0; round < 4; round++)
				if (w[k].got[round][i] != h)
					fail_msg("%s: thread %d round %d got another result", j.name[i], k, round);
	}
	cr_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_threads_after_init)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
