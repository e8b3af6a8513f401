/* fuzz_tokenizer.c — libFuzzer target for the tokenizers: arbitrary bytes
 * are encoded by small vocabularies of every kind built in memory at start
 * (SentencePiece with byte fallback, byte-level BPE under each
 * pre-tokenizer including deepseek-llm, WordPiece, Unigram), with
 * special-token parsing and
 * BOS/EOS on or off, then every id is decoded back to its piece and the
 * sequence decoded under every cr_tok_decode flag. Input
 * layout: byte 0 picks the vocabulary and flags, the rest is the text; for
 * the Unigram vocabulary with mode bit 0x80 the first 64 bytes of the text
 * become its precompiled charsmap (hostile double-array offsets must be
 * refused, not followed). Seeds in fuzz/corpus/tokenizer/. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cristal/llm.h"

/* ---- a minimal GGUF serializer (keys only, no tensors) ---- */
typedef struct {
	cr_buf b;
	uint64_t n_kv;
} gg;

static void put(gg *g, const void *p, size_t n) { CR_IGNORE(cr_buf_add(&g->b, p, n)); }
static void put32(gg *g, uint32_t v) { put(g, &v, 4); }
static void put64(gg *g, uint64_t v) { put(g, &v, 8); }
static void putstr(gg *g, const char *s, size_t n) { put64(g, n), put(g, s, n); }
static void key(gg *g, const char *k, uint32_t type)
{
	putstr(g, k, strlen(k));
	put32(g, type);
	g->n_kv++;
}
static void kv_str(gg *g, const char *k, const char *v) { key(g, k, CR_GV_STRING), putstr(g, v, strlen(v)); }
static void kv_bool(gg *g, const char *k, int v)
{
	uint8_t b = (uint8_t)v;
	key(g, k, CR_GV_BOOL), put(g, &b, 1);
}
static void kv_strs(gg *g, const char *k, char **v, size_t n)
{
	key(g, k, CR_GV_ARRAY), put32(g, CR_GV_STRING), put64(g, n);
	for (size_t i = 0; i < n; i++)
		putstr(g, v[i], strlen(v[i]));
}
static void kv_i32s(gg *g, const char *k, const int32_t *v, size_t n)
{
	key(g, k, CR_GV_ARRAY), put32(g, CR_GV_I32), put64(g, n), put(g, v, n * 4);
}
static void kv_f32s(gg *g, const char *k, const float *v, size_t n)
{
	key(g, k, CR_GV_ARRAY), put32(g, CR_GV_F32), put64(g, n), put(g, v, n * 4);
}
static void kv_u8s(gg *g, const char *k, const uint8_t *v, size_t n)
{
	key(g, k, CR_GV_ARRAY), put32(g, CR_GV_U8), put64(g, n), put(g, v, n);
}

/* header in front of the kvs */
static uint8_t *finish(gg *g, size_t *len)
{
	cr_buf out;
	cr_buf_init(&out, 0);
	uint32_t magic = 0x46554747u, ver = 3;
	uint64_t nt = 0;
	CR_IGNORE(cr_buf_add(&out, &magic, 4));
	CR_IGNORE(cr_buf_add(&out, &ver, 4));
	CR_IGNORE(cr_buf_add(&out, &nt, 8));
	CR_IGNORE(cr_buf_add(&out, &g->n_kv, 8));
	CR_IGNORE(cr_buf_add(&out, g->b.data, g->b.len));
	cr_buf_release(&g->b);
	return (uint8_t *)cr_buf_take(&out, len);
}

typedef struct {
	char **v;
	size_t n;
} strv;

static void sv_add(strv *s, const char *x)
{
	s->v = realloc(s->v, (s->n + 1) * sizeof *s->v);
	s->v[s->n++] = strdup(x);
}

static void sv_free(strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
}

static const char *const pieces[] = {"a", "b", "c", "e", "h", "l", "o", "t", "the", "he", "ll", "llo", "hello",
				     "th", "in", "ing", "1", "23", "日本", "語", "é", "ab", "abc", "\xe2\x96\x81"};

static uint8_t *build(int kind, const uint8_t *charsmap, size_t cm_len, size_t *len)
{
	gg g = {{0}, 0};
	cr_buf_init(&g.b, 0);
	strv t = {0}, merges = {0};
	int32_t types[1024];
	float scores[1024];
	static const char *const pre[] = {"default", "gpt-2", "llama-bpe", "qwen2", "", "", "", "deepseek-llm"};
	if (kind == 0) { /* SPM */
		kv_str(&g, "tokenizer.ggml.model", "llama");
		sv_add(&t, "<unk>"), sv_add(&t, "<s>"), sv_add(&t, "</s>");
		for (int b = 0; b < 256; b++) {
			char x[8];
			snprintf(x, sizeof x, "<0x%02X>", b);
			sv_add(&t, x);
		}
		for (size_t i = 0; i < sizeof pieces / sizeof *pieces; i++) {
			char x[32];
			sv_add(&t, pieces[i]);
			snprintf(x, sizeof x, "\xe2\x96\x81%s", pieces[i]);
			sv_add(&t, x);
		}
		sv_add(&t, "<|u|>");
		for (size_t i = 0; i < t.n; i++) {
			types[i] = i == 0 ? 2 : i < 3 ? 3 : i < 259 ? 6 : i + 1 == t.n ? 4 : 1;
			scores[i] = -(float)(i % 17);
		}
	} else if (kind <= 4 || kind == 8) { /* byte-level BPE */
		kv_str(&g, "tokenizer.ggml.model", "gpt2");
		kv_str(&g, "tokenizer.ggml.pre", pre[kind - 1]);
		for (int b = 0; b < 256; b++) {
			uint32_t cp = (uint32_t)b;
			int pr = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
			if (!pr) {
				int n = 0;
				for (int c = 0; c < b; c++)
					n += !((c >= 0x21 && c <= 0x7E) || (c >= 0xA1 && c <= 0xAC) || c >= 0xAE);
				cp = 256 + (uint32_t)n;
			}
			char x[4] = {0};
			if (cp < 0x80)
				x[0] = (char)cp;
			else
				x[0] = (char)(0xc0 | (cp >> 6)), x[1] = (char)(0x80 | (cp & 0x3f));
			sv_add(&t, x);
		}
		static const char *const mg[] = {"t h", "th e", "\xc4\xa0 t", "\xc4\xa0t he", "h e", "l l", "he ll",
						 "hell o", "i n", "in g", "\xc4\xa0 \xc4\xa0", "1 2", "12 3", "a b", "nospace",
						 " x"};
		for (size_t i = 0; i < sizeof mg / sizeof *mg; i++) {
			sv_add(&merges, mg[i]);
			char x[32];
			const char *sp = strchr(mg[i] + 1, ' ');
			if (!sp)
				continue;
			snprintf(x, sizeof x, "%.*s%s", (int)(sp - mg[i]), mg[i], sp + 1);
			sv_add(&t, x);
		}
		sv_add(&t, "<|endoftext|>"), sv_add(&t, "<|im_start|>"), sv_add(&t, "<think>");
		for (size_t i = 0; i < t.n; i++)
			types[i] = i + 3 == t.n || i + 2 == t.n ? 3 : i + 1 == t.n ? 4 : 1;
		kv_strs(&g, "tokenizer.ggml.merges", merges.v, merges.n);
	} else if (kind == 5) { /* WordPiece */
		kv_str(&g, "tokenizer.ggml.model", "bert");
		sv_add(&t, "[PAD]");
		for (int i = 1; i < 100; i++) {
			char x[16];
			snprintf(x, sizeof x, "[unused%d]", i);
			sv_add(&t, x);
		}
		sv_add(&t, "[UNK]"), sv_add(&t, "[CLS]"), sv_add(&t, "[SEP]"), sv_add(&t, "[MASK]");
		for (size_t i = 0; i < sizeof pieces / sizeof *pieces; i++) {
			char x[32];
			sv_add(&t, pieces[i]);
			snprintf(x, sizeof x, "\xe2\x96\x81%s", pieces[i]);
			sv_add(&t, x);
		}
		sv_add(&t, "\xe2\x96\x81!"), sv_add(&t, "\xe2\x96\x81.");
		for (size_t i = 0; i < t.n; i++)
			types[i] = i == 100 ? 2 : (i < 104 && (i == 0 || i >= 100)) ? 3 : 1;
	} else { /* Unigram */
		kv_str(&g, "tokenizer.ggml.model", "t5");
		sv_add(&t, "<pad>"), sv_add(&t, "</s>"), sv_add(&t, "<unk>");
		for (size_t i = 0; i < sizeof pieces / sizeof *pieces; i++) {
			char x[32];
			sv_add(&t, pieces[i]);
			snprintf(x, sizeof x, "\xe2\x96\x81%s", pieces[i]);
			sv_add(&t, x);
		}
		sv_add(&t, "<X>");
		for (size_t i = 0; i < t.n; i++) {
			types[i] = i < 2 ? 3 : i == 2 ? 2 : i + 1 == t.n ? 4 : 1;
			scores[i] = -1.0f - (float)(i % 7);
		}
		kv_bool(&g, "tokenizer.ggml.add_space_prefix", 1);
		kv_bool(&g, "tokenizer.ggml.remove_extra_whitespaces", kind == 7);
		if (charsmap)
			kv_u8s(&g, "tokenizer.ggml.precompiled_charsmap", charsmap, cm_len);
	}
	kv_strs(&g, "tokenizer.ggml.tokens", t.v, t.n);
	kv_i32s(&g, "tokenizer.ggml.token_type", types, t.n);
	if (kind == 0 || kind == 6 || kind == 7)
		kv_f32s(&g, "tokenizer.ggml.scores", scores, t.n);
	sv_free(&t);
	sv_free(&merges);
	return finish(&g, len);
}

#define N_KINDS 9
static uint8_t *files[N_KINDS];
static size_t file_len[N_KINDS];
static cr_gguf *ggufs[N_KINDS];
static cr_tok *toks[N_KINDS];

static void init(void)
{
	for (int k = 0; k < N_KINDS; k++) {
		files[k] = build(k, NULL, 0, &file_len[k]);
		cr_msg m = {{0}};
		if (cr_gguf_open_mem(files[k], file_len[k], &ggufs[k], &m) || cr_tok_new(ggufs[k], &toks[k], &m)) {
			fprintf(stderr, "fuzz_tokenizer: vocabulary %d: %s\n", k, m.text);
			abort();
		}
	}
}

static void run(const cr_tok *t, const uint8_t *s, size_t n, int flags)
{
	cr_buf ids, piece;
	cr_buf_init(&ids, 0);
	cr_buf_init(&piece, 0);
	if (cr_tok_encode(t, (const char *)s, n, flags, &ids) == CR_OK) {
		const cr_token_id *v = (const cr_token_id *)ids.data;
		for (size_t i = 0; i < ids.len / sizeof *v; i++) {
			if (v[i] < 0 || v[i] >= cr_tok_n_vocab(t))
				abort(); /* an id outside the vocabulary is a bug */
			CR_IGNORE(cr_tok_piece(t, v[i], &piece));
			(void)cr_tok_is_eog(t, v[i]);
		}
		for (int f = 0; f < 4; f++) {
			cr_buf_reset(&piece);
			if (cr_tok_decode(t, v, ids.len / sizeof *v, f, &piece) != CR_OK)
				abort(); /* every id came from the encoder */
		}
	}
	cr_buf_release(&ids);
	cr_buf_release(&piece);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		init();
		ready = 1;
	}
	if (size < 1)
		return 0;
	uint8_t mode = data[0];
	int kind = mode % N_KINDS;
	int flags = ((mode >> 3) & 1 ? CR_TOK_ADD_BOS : 0) | ((mode >> 4) & 1 ? CR_TOK_PARSE_SPECIAL : 0);
	data++, size--;
	if ((kind == 6 || kind == 7) && (mode & 0x80) && size >= 4) {
		size_t cm = size < 64 ? size : 64;
		size_t len;
		uint8_t *f = build(kind, data, cm, &len);
		cr_gguf *g = NULL;
		cr_tok *t = NULL;
		if (cr_gguf_open_mem(f, len, &g, NULL) == CR_OK && cr_tok_new(g, &t, NULL) == CR_OK)
			run(t, data + cm, size - cm, flags);
		cr_tok_free(t);
		cr_gguf_free(g);
		cr_free(f);
		return 0;
	}
	run(toks[kind], data, size, flags);
	return 0;
}
