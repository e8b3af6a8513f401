/* test_cancel.c — a cancel token stops each long-running kind of work
 * promptly: a generation (in its prompt and while sampling), a search over
 * a large index, an extraction of a large file and its chunking. Each runs
 * on this thread while another thread requests cancellation after some
 * milliseconds; the work must return CR_ECANCELED (or CR_ETIMEOUT for a
 * deadline) within 50 ms of the request. The latencies are printed.
 *
 * The model is written by tools/gen_model (random weights, the tiny shape
 * with 8 layers, over stories260K's vocabulary); that case is skipped
 * without the built tool or the shared data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cristal/index.h"
#include "cristal/ingest.h"
#include "cristal/llm.h"

/* The requirement is 50 ms; builds under a sanitizer run the same code
 * several (ASan) to tens of times (TSan) slower, so there the bound only
 * shows that cancellation still works, scaled accordingly. */
#if defined(__SANITIZE_THREAD__)
#define MAX_LATENCY (0.050 * 20)
#elif defined(__SANITIZE_ADDRESS__)
#define MAX_LATENCY (0.050 * 4)
#else
#define MAX_LATENCY 0.050
#endif

typedef struct canceller {
	cr_cancel *c;
	int after_ms;
	double t_req; /* when the request was made (0: not yet) */
	pthread_t th;
} canceller;

static void *cancel_later(void *p)
{
	canceller *k = p;
	struct timespec ts = {k->after_ms / 1000, (long)(k->after_ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
	k->t_req = cr_now();
	cr_cancel_request(k->c);
	return NULL;
}

static void start(canceller *k, cr_cancel *c, int after_ms)
{
	cr_cancel_init(c);
	k->c = c;
	k->after_ms = after_ms;
	k->t_req = 0;
	assert_int_equal(pthread_create(&k->th, NULL, cancel_later, k), 0);
}

/* Joins the canceller; checks the work was still running when it asked
 * (else the case proves nothing); returns whether it stopped in time. On a
 * shared machine a thread may wait for a core longer than the work takes
 * to notice, so each case gets a second attempt (ATTEMPTS) and must stop
 * in time in one of them; every latency is printed. */
#define ATTEMPTS(body)                                         \
	do {                                                   \
		int in_time_ = 0;                              \
		for (int try_ = 0; try_ < 2 && !in_time_; try_++) { \
			body                                   \
		}                                              \
		assert_true(in_time_);                         \
	} while (0)
static int finish(canceller *k, const char *what, double t_end, double t_start)
{
	assert_int_equal(pthread_join(k->th, NULL), 0);
	assert_true(k->t_req > 0);
	double lat = t_end - k->t_req;
	printf("cancel latency: %-28s %6.2f ms (ran %.0f ms before the request)\n", what, lat * 1e3,
	       (k->t_req - t_start) * 1e3);
	fflush(stdout);
	assert_true(lat >= 0);
	return lat < MAX_LATENCY;
}

/* ---- generation ---------------------------------------------------------- */

static char model_path[256];
static cr_model *md;

static int model_setup(void **st)
{
	const char *data = getenv("CR_SHARED_DATA"), *build = getenv("CR_BUILD_DIR");
	if (!data || !build)
		return 0;
	snprintf(model_path, sizeof model_path, "/tmp/cr_test_cancel_%d.gguf", (int)getpid());
	char cmd[2048];
	snprintf(cmd, sizeof cmd,
		 "%s/tools/gen_model --arch llama --shape tiny --type f32 --layers 8 "
		 "--vocab %s/gguf-models/stories260K.gguf --out %s >/dev/null 2>&1",
		 build, data, model_path);
	if (system(cmd) != 0)
		return 0;
	cr_msg m = {{0}};
	if (cr_model_load(model_path, &md, &m))
		md = NULL;
	return 0;
}

static int model_teardown(void **st)
{
	cr_model_free(md);
	unlink(model_path);
	return 0;
}

static void test_generation(void **st)
{
	if (!md)
		skip();
	cr_gen_opts o = cr_gen_opts_default();
	o.n_ctx = 2048;
	o.sampler.temp = 0;
	cr_gen *g;
	cr_msg m = {{0}};
	assert_int_equal(cr_gen_new(md, &o, &g, &m), CR_OK);
	int n_vocab = cr_model_get_info(md)->n_vocab;
	enum { N_PROMPT = 2000 };
	cr_token_id *prompt = malloc(N_PROMPT * sizeof *prompt);
	for (int i = 0; i < N_PROMPT; i++)
		prompt[i] = 3 + (i * 7919) % (n_vocab - 3);
	cr_cancel c;
	canceller k;
	cr_gen_result r;

	/* 1. inside the prompt: 2,000 tokens in batches, stopped between layers */
	cr_gen_params p = {.max_tokens = 40, .cancel = &c};
	double t0, t1;
	cr_err e;
	ATTEMPTS({
		prompt[0] = 3 + try_; /* nothing cached to reuse */
		start(&k, &c, 30);
		t0 = cr_now();
		e = cr_gen_turn(g, prompt, N_PROMPT, &p, &r, &m);
		t1 = cr_now();
		assert_int_equal(e, CR_ECANCELED);
		assert_int_equal(r.stop, CR_GEN_STOP_CANCELED);
		assert_int_equal(r.n_tokens, 0);
		in_time_ = finish(&k, "generation, in the prompt", t1, t0);
		assert_true(cr_ctx_pos(cr_gen_ctx(g)) < N_PROMPT); /* the interrupted batch was not kept */
	});

	/* 2. while sampling: a short prompt, up to 2,000 tokens */
	p.max_tokens = 2000;
	ATTEMPTS({
		start(&k, &c, 150);
		t0 = cr_now();
		e = cr_gen_turn(g, prompt, 4, &p, &r, &m);
		t1 = cr_now();
		assert_int_equal(e, CR_ECANCELED);
		assert_int_equal(r.stop, CR_GEN_STOP_CANCELED);
		assert_true(r.n_tokens > 0 && r.n_tokens < 2000);
		in_time_ = finish(&k, "generation, sampling", t1, t0);
	});

	/* 3. a deadline instead of a request */
	cr_cancel_init(&c);
	cr_cancel_set_timeout(&c, 0.05);
	t0 = cr_now();
	e = cr_gen_turn(g, prompt, 4, &p, &r, &m);
	t1 = cr_now();
	assert_int_equal(e, CR_ETIMEOUT);
	assert_int_equal(r.stop, CR_GEN_STOP_TIMEOUT);
	printf("cancel latency: %-28s %6.2f ms past a 50 ms deadline\n", "generation, deadline",
	       (t1 - t0 - 0.05) * 1e3);
	assert_true(t1 - t0 < 0.05 + MAX_LATENCY);

	/* what checking costs: 256-token prompts and 100 sampled tokens, with
	 * a token (a deadline far away: every check reads the clock) and
	 * without, alternated */
	cr_cancel_init(&c);
	cr_cancel_set_timeout(&c, 3600);
	double pp[2] = {0}, tg[2] = {0};
	p.max_tokens = 100;
	for (int rep = 0; rep < 4; rep++)
		for (int with = 0; with < 2; with++) {
			p.cancel = with ? &c : NULL;
			prompt[0] = 3 + rep * 2 + with; /* no prefix to reuse */
			assert_int_equal(cr_gen_turn(g, prompt, 256, &p, &r, &m), CR_OK);
			pp[with] += r.prompt_seconds;
			tg[with] += r.gen_seconds;
		}
	printf("generation: prompt %.0f vs %.0f tokens/s, sampling %.0f vs %.0f tokens/s (with vs without a token)\n",
	       4 * 256 / pp[1], 4 * 256 / pp[0], 4 * 100 / tg[1], 4 * 100 / tg[0]);
	free(prompt);
	cr_gen_free(g);
}

/* ---- search -------------------------------------------------------------- */

/* A pronounceable word for i (stemming leaves such words alone). */
static void word(char *out, unsigned i)
{
	static const char cons[] = "bdfgklmnprstvz", vow[] = "aeiou";
	int n = 0;
	for (int s = 0; s < 3; s++) {
		out[n++] = cons[i % 14];
		i /= 14;
		out[n++] = vow[i % 5];
		i /= 5;
	}
	out[n++] = 'x';
	out[n] = 0;
}

static void test_search(void **st)
{
	char dir[] = "/tmp/cr_test_cancel_ix.XXXXXX";
	assert_non_null(mkdtemp(dir));
	cr_analyzer *an;
	cr_analyzer_opts ao = cr_analyzer_opts_default();
	assert_int_equal(cr_analyzer_new(&ao, &an, NULL), CR_OK);
	cr_index *ix;
	assert_int_equal(cr_index_open(dir, &ix, NULL), CR_OK);
	cr_index_writer *w;
	assert_int_equal(cr_index_writer_new(ix, an, &w, NULL), CR_OK);
	enum { N_DOCS = 150000, N_WORDS = 12, VOCAB = 400 };
	uint64_t rs = 88172645463325252ull;
	char body[N_WORDS * 9], wd[16], name[32];
	double tb = cr_now();
	for (unsigned d = 1; d <= N_DOCS; d++) {
		size_t n = 0;
		for (int j = 0; j < N_WORDS; j++) {
			rs ^= rs << 13, rs ^= rs >> 7, rs ^= rs << 17;
			word(wd, (unsigned)(rs % VOCAB));
			n += (size_t)sprintf(body + n, "%s%s", j ? " " : "", wd);
		}
		snprintf(name, sizeof name, "d%u.txt", d);
		cr_entry_attrs at = {.id = d, .doc_key = d, .doc = name, .type = "txt"};
		assert_int_equal(cr_index_writer_add(w, &at, NULL, 0, body, n), CR_OK);
	}
	assert_int_equal(cr_index_writer_commit(w, NULL), CR_OK);
	cr_index_writer_free(w);
	printf("search index: %d entries built in %.2f s\n", N_DOCS, cr_now() - tb);
	/* a query of 300 words, each in ~3%% of the entries, top 100,000: the
	 * pruning has little to skip */
	char q[300 * 9];
	size_t n = 0;
	for (unsigned i = 0; i < 300; i++) {
		word(wd, i);
		n += (size_t)sprintf(q + n, "%s%s", i ? " " : "", wd);
	}
	cr_cancel c;
	canceller k;
	cr_search_opts so = {.k = 100000, .per_doc = 1, .cancel = &c};
	cr_results res;
	cr_msg m = {{0}};
	ATTEMPTS({
		start(&k, &c, 40);
		double t0 = cr_now();
		cr_err e = cr_index_search(ix, an, q, &so, &res, &m);
		double t1 = cr_now();
		assert_int_equal(e, CR_ECANCELED);
		assert_int_equal(res.n, 0);
		in_time_ = finish(&k, "search, 300 terms", t1, t0);
	});
	/* without a token the index answers (a top 10: the uncanceled top
	 * 100,000 takes seconds to tens of seconds here) */
	so.cancel = NULL;
	so.k = 10;
	assert_int_equal(cr_index_search(ix, an, q, &so, &res, &m), CR_OK);
	assert_int_equal(res.n, 10);
	cr_results_release(&res);
	/* what checking costs: the same 3-word queries with and without a token
	 * (a deadline far away, so every check also reads the clock), alternated */
	cr_cancel far;
	cr_cancel_init(&far);
	cr_cancel_set_timeout(&far, 3600);
	double t_with = 0, t_without = 0;
	for (int rep = 0; rep < 60; rep++)
		for (int with = 0; with < 2; with++) {
			char q3[64];
			size_t l = 0;
			for (unsigned i = 0; i < 3; i++) {
				word(wd, (unsigned)(rep * 3 + i) % VOCAB);
				l += (size_t)sprintf(q3 + l, "%s%s", i ? " " : "", wd);
			}
			so.cancel = with ? &far : NULL;
			so.k = 1000;
			double ts = cr_now();
			assert_int_equal(cr_index_search(ix, an, q3, &so, &res, &m), CR_OK);
			*(with ? &t_with : &t_without) += cr_now() - ts;
			cr_results_release(&res);
		}
	printf("search: 60 queries of 3 words, top 1,000: %.1f ms with a token, %.1f ms without (%.3fx)\n",
	       t_with * 1e3, t_without * 1e3, t_with / t_without);
	so.cancel = NULL;
	assert_int_equal(cr_index_search(ix, an, q, &so, &res, &m), CR_OK);
	cr_results_release(&res);
	cr_index_close(ix);
	cr_analyzer_free(an);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* ---- extraction and chunking ---------------------------------------------- */

static void test_extract(void **st)
{
	/* a 16 MB CSV: 200,000 rows */
	enum { ROWS = 200000 };
	cr_buf csv;
	cr_buf_init(&csv, 0);
	assert_int_equal(cr_buf_adds(&csv, "id,name,city,comment\n"), CR_OK);
	for (int i = 0; i < ROWS; i++)
		assert_int_equal(cr_buf_printf(&csv, "%d,Person %d,City %d,\"likes row %d, and the next one\"\n", i,
					       i, i % 977, i + 1),
				 CR_OK);
	cr_extract_limits lim = cr_extract_limits_default();
	lim.max_text_bytes = (size_t)1 << 30;
	lim.max_seconds = 0;
	cr_cancel c;
	canceller k;
	lim.cancel = &c;
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_doc *d = NULL;
	cr_msg m = {{0}};
	double t0, t1;
	cr_err e;
	ATTEMPTS({
		start(&k, &c, 40);
		t0 = cr_now();
		e = cr_extract(&a, "big.csv", (const uint8_t *)csv.data, csv.len, &lim, &d, &m);
		t1 = cr_now();
		if (e != CR_ECANCELED)
			fprintf(stderr, "extract: %s (%s)\n", cr_strerror(e), m.text);
		assert_int_equal(e, CR_ECANCELED);
		assert_null(d);
		assert_non_null(strstr(m.text, "canceled"));
		in_time_ = finish(&k, "extraction, 16 MB CSV", t1, t0);
		cr_arena_release(&a);
	});

	/* chunking a document of 500,000 rows (one place) */
	enum { SECTIONS = 500000 };
	cr_doc big = {.name = "big.csv", .type = "csv"};
	big.sections = cr_arena_zalloc(&a, SECTIONS * sizeof *big.sections);
	assert_non_null(big.sections);
	for (int i = 0; i < SECTIONS; i++) {
		cr_section *s = &big.sections[i];
		s->text = "id: 17; name: Person 17; city: City 17; comment: likes row 18, and the next one";
		s->len = strlen(s->text);
		s->loc = (cr_loc){.line_start = i + 2, .line_end = i + 2, .t_start = -1, .t_end = -1};
	}
	big.n_sections = SECTIONS;
	d = &big;
	cr_chunk_opts co = cr_chunk_opts_default();
	co.target_chars = 200;
	co.cancel = &c;
	cr_chunk *ch;
	size_t n_ch;
	ATTEMPTS({
		start(&k, &c, 20);
		t0 = cr_now();
		e = cr_chunk_doc(&a, d, &co, &ch, &n_ch);
		t1 = cr_now();
		assert_int_equal(e, CR_ECANCELED);
		in_time_ = finish(&k, "chunking", t1, t0);
	});

	/* a deadline, and a token already requested */
	cr_cancel_init(&c);
	cr_cancel_set_timeout(&c, 0.03);
	lim.cancel = &c;
	assert_int_equal(cr_extract(&a, "big.csv", (const uint8_t *)csv.data, csv.len, &lim, &d, &m), CR_ETIMEOUT);
	cr_cancel_init(&c);
	cr_cancel_request(&c);
	assert_int_equal(cr_extract(&a, "big.txt", (const uint8_t *)csv.data, csv.len, &lim, &d, &m), CR_ECANCELED);
	cr_arena_release(&a);
	cr_buf_release(&csv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_generation, model_setup, model_teardown),
		cmocka_unit_test(test_search),
		cmocka_unit_test(test_extract),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
