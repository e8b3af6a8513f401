/* test_llm_gen.c — generation turns (cr_gen_*) on the shared stories260K
 * model: the greedy golden ids, streamed text equal to the result's text,
 * stop strings (text cut before them, nothing of them streamed), a reader
 * that says stop, prefix reuse across turns, the grammar's closing bytes,
 * cancellation and deadlines, and bad arguments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cristal/llm.h"

static char stories[4096];
static cr_model *md;

static int setup(void **st)
{
	const char *d = getenv("CR_SHARED_DATA");
	if (!d)
		return 0;
	snprintf(stories, sizeof stories, "%s/gguf-models/stories260K.gguf", d);
	cr_msg m = {{0}};
	if (cr_model_load(stories, &md, &m))
		md = NULL;
	return 0;
}

static int teardown(void **st)
{
	cr_model_free(md);
	return 0;
}

#define NEED_MODEL() \
	do {                  \
		if (!md)      \
			skip(); \
	} while (0)

static cr_gen *greedy_session(void)
{
	cr_gen_opts o = cr_gen_opts_default();
	o.sampler.temp = 0;
	o.n_ctx = 512;
	cr_gen *g;
	cr_msg m = {{0}};
	assert_int_equal(cr_gen_new(md, &o, &g, &m), CR_OK);
	return g;
}

typedef struct sink {
	cr_buf got;
	int calls, stop_after;
} sink;

static int on_text(void *ctx, const char *t, size_t n)
{
	sink *s = ctx;
	assert_true(n > 0);
	assert_int_equal(cr_buf_add(&s->got, t, n), CR_OK);
	return ++s->calls == s->stop_after;
}

/* The ids of the golden greedy run from BOS (gguf-models/SOURCE.md). */
static const int golden[12] = {403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421};

static void test_golden_and_stream(void **st)
{
	NEED_MODEL();
	cr_gen *g = greedy_session();
	cr_buf ids;
	cr_buf_init(&ids, 0);
	cr_msg m = {{0}};
	assert_int_equal(cr_gen_tokenize(md, "", 0, &ids, &m), CR_OK); /* empty: the lone BOS */
	assert_int_equal(ids.len, sizeof(cr_token_id));
	sink s = {0};
	cr_buf_init(&s.got, 0);
	cr_gen_params p = {.max_tokens = 60, .on_text = on_text, .on_text_ctx = &s};
	cr_gen_result r;
	assert_int_equal(cr_gen_turn(g, (const cr_token_id *)ids.data, 1, &p, &r, &m), CR_OK);
	assert_int_equal(r.stop, CR_GEN_STOP_LENGTH);
	assert_string_equal(cr_gen_stop_name(r.stop), "limit");
	assert_int_equal(r.n_tokens, 60);
	for (int i = 0; i < 12; i++)
		assert_int_equal(r.tokens[i], golden[i]);
	assert_true(!strncmp(r.text, " Once upon a time, there was a little girl named Lily.", 54));
	assert_int_equal(s.got.len, r.len);
	assert_memory_equal(s.got.data, r.text, r.len);
	assert_true(r.prompt_seconds >= 0 && r.gen_seconds > 0);

	/* stop string: the text ends before it and nothing of it was streamed */
	s.got.len = 0;
	const char *stop[] = {"little girl"};
	p.stop = stop;
	p.n_stop = 1;
	assert_int_equal(cr_gen_turn(g, (const cr_token_id *)ids.data, 1, &p, &r, &m), CR_OK);
	assert_int_equal(r.stop, CR_GEN_STOP_STRING);
	assert_string_equal(r.text, " Once upon a time, there was a ");
	assert_int_equal(s.got.len, r.len);
	assert_memory_equal(s.got.data, r.text, r.len);
	assert_int_equal(r.n_reused, 0); /* a prompt of one token: nothing to reuse */

	/* a reader that says stop after 3 pieces */
	s.got.len = 0;
	s.calls = 0;
	s.stop_after = 3;
	p.stop = NULL;
	p.n_stop = 0;
	assert_int_equal(cr_gen_turn(g, (const cr_token_id *)ids.data, 1, &p, &r, &m), CR_ECANCELED);
	assert_int_equal(r.stop, CR_GEN_STOP_CANCELED);
	assert_int_equal(s.calls, 3);
	assert_int_equal(r.n_tokens, 3);
	cr_buf_release(&s.got);
	cr_buf_release(&ids);
	cr_gen_free(g);
}

static void test_prefix_reuse(void **st)
{
	NEED_MODEL();
	cr_gen *g = greedy_session();
	cr_buf ids;
	cr_buf_init(&ids, 0);
	cr_msg m = {{0}};
	assert_int_equal(cr_gen_tokenize(md, "Once upon a time there was a dog", 32, &ids, &m), CR_OK);
	int n1 = (int)(ids.len / sizeof(cr_token_id));
	cr_gen_params p = {.max_tokens = 8};
	cr_gen_result r;
	assert_int_equal(cr_gen_turn(g, (const cr_token_id *)ids.data, n1, &p, &r, &m), CR_OK);
	assert_int_equal(r.n_reused, 0);
	assert_int_equal(r.n_prompt, n1);
	/* the next turn's prompt extends the first with its reply */
	char first[256];
	snprintf(first, sizeof first, "%s", r.text);
	assert_int_equal(cr_buf_add(&ids, r.tokens, (size_t)r.n_tokens * sizeof(cr_token_id)), CR_OK);
	int n2 = (int)(ids.len / sizeof(cr_token_id));
	assert_int_equal(cr_gen_turn(g, (const cr_token_id *)ids.data, n2, &p, &r, &m), CR_OK);
	assert_true(r.n_reused >= n1 + 8 - 1 - 1);
	assert_true(r.n_reused < n2);
	/* and the same continuation as a fresh session on the whole prompt */
	char second[256];
	snprintf(second, sizeof second, "%s", r.text);
	cr_gen *fresh = greedy_session();
	assert_int_equal(cr_gen_turn(fresh, (const cr_token_id *)ids.data, n2, &p, &r, &m), CR_OK);
	assert_int_equal(r.n_reused, 0);
	assert_string_equal(r.text, second);
	cr_gen_free(fresh);
	cr_buf_release(&ids);
	cr_gen_free(g);
}

static void test_grammar_closes(void **st)
{
	NEED_MODEL();
	cr_gen *g = greedy_session();
	cr_msg m = {{0}};
	assert_int_equal(cr_gen_set_grammar(g, CR_GEN_GRAMMAR_JSON, NULL, 0, &m), CR_OK);
	cr_sampler_opts so = cr_sampler_opts_default();
	so.seed = 7;
	assert_int_equal(cr_gen_set_sampler(g, &so), CR_OK);
	cr_token_id bos = cr_tok_bos(cr_model_tok(md));
	sink s = {0};
	cr_buf_init(&s.got, 0);
	cr_gen_params p = {.max_tokens = 6, .on_text = on_text, .on_text_ctx = &s};
	cr_gen_result r;
	assert_int_equal(cr_gen_turn(g, &bos, 1, &p, &r, &m), CR_OK);
	assert_true(r.len > 0);
	json_error_t je;
	json_t *v = json_loadb(r.text, r.len, 0, &je); /* valid JSON, closed or complete */
	if (!v)
		fprintf(stderr, "not JSON (%s): %s\n", je.text, r.text);
	assert_non_null(v);
	assert_true(json_is_object(v) || json_is_array(v));
	json_decref(v);
	if (r.stop != CR_GEN_STOP_GRAMMAR) { /* stopped early: closed */
		assert_non_null(r.closing);
		assert_true(r.len >= r.closing_len);
		assert_memory_equal(r.text + r.len - r.closing_len, r.closing, r.closing_len);
	}
	assert_int_equal(s.got.len, r.len); /* the closing bytes are streamed too */
	/* a schema that is not one */
	assert_int_not_equal(cr_gen_set_grammar(g, CR_GEN_GRAMMAR_SCHEMA, "{\"type\":", 8, &m), CR_OK);
	assert_int_equal(cr_gen_set_grammar(g, CR_GEN_GRAMMAR_NONE, NULL, 0, &m), CR_OK);
	cr_buf_release(&s.got);
	cr_gen_free(g);
}

static void test_cancel_and_errors(void **st)
{
	NEED_MODEL();
	cr_gen *g = greedy_session();
	cr_msg m = {{0}};
	cr_token_id bos = cr_tok_bos(cr_model_tok(md));
	cr_cancel c;
	cr_cancel_init(&c);
	cr_cancel_request(&c);
	cr_gen_params p = {.max_tokens = 10, .cancel = &c};
	cr_gen_result r;
	assert_int_equal(cr_gen_turn(g, &bos, 1, &p, &r, &m), CR_ECANCELED);
	assert_int_equal(r.stop, CR_GEN_STOP_CANCELED);
	assert_int_equal(r.n_tokens, 0);
	assert_string_equal(r.text, "");
	cr_cancel_init(&c);
	cr_cancel_set_timeout(&c, 1e-9);
	assert_int_equal(cr_gen_turn(g, &bos, 1, &p, &r, &m), CR_ETIMEOUT);
	assert_int_equal(r.stop, CR_GEN_STOP_TIMEOUT);
	assert_string_equal(cr_gen_stop_name(r.stop), "timeout");
	/* the session still works afterwards */
	p.cancel = NULL;
	assert_int_equal(cr_gen_turn(g, &bos, 1, &p, &r, &m), CR_OK);
	assert_int_equal(r.n_tokens, 10);
	assert_int_equal(r.tokens[0], golden[0]);
	/* bad prompts */
	assert_int_equal(cr_gen_turn(g, &bos, 0, &p, &r, &m), CR_EINVAL);
	cr_token_id big[600];
	for (int i = 0; i < 600; i++)
		big[i] = bos;
	assert_int_equal(cr_gen_turn(g, big, 600, &p, &r, &m), CR_ETOOBIG);
	cr_token_id bad = 1 << 30;
	assert_int_not_equal(cr_gen_turn(g, &bad, 1, &p, &r, &m), CR_OK);
	p.max_tokens = -1;
	assert_int_equal(cr_gen_turn(g, &bos, 1, &p, &r, &m), CR_EINVAL);
	cr_gen_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_and_stream),
		cmocka_unit_test(test_prefix_reuse),
		cmocka_unit_test(test_grammar_closes),
		cmocka_unit_test(test_cancel_and_errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
