/* fuzz_gguf.c — libFuzzer target for the GGUF reader: opens arbitrary bytes
 * from memory and, when they parse, walks every key (all getters, every
 * array element) and every tensor (reading its first and last byte), so a
 * reader bug that lets a bad length or offset through shows up as an ASan
 * report. Files that parse are also handed to the tokenizer builder, which
 * must refuse hostile tokenizer.ggml.* metadata or work. Seeds in
 * fuzz/corpus/gguf/. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cristal/llm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cr_gguf *g = NULL;
	cr_msg m;
	if (cr_gguf_open_mem(data, size, &g, &m) != CR_OK)
		return 0;
	volatile uint64_t sink = cr_gguf_version(g);
	for (size_t i = 0; i < cr_gguf_n_kv(g); i++) {
		cr_gguf_str k = cr_gguf_key_name(g, i);
		char key[256];
		if (k.n >= sizeof key || memchr(k.p, 0, k.n))
			continue;
		memcpy(key, k.p, k.n);
		key[k.n] = 0;
		cr_gguf_str s;
		int64_t v;
		double d;
		int b;
		if (cr_gguf_get_str(g, key, &s) == CR_OK && s.n)
			sink += (uint8_t)s.p[s.n - 1];
		if (cr_gguf_get_i64(g, key, &v) == CR_OK)
			sink += (uint64_t)v;
		if (cr_gguf_get_f64(g, key, &d) == CR_OK)
			sink += (uint64_t)(d == d);
		if (cr_gguf_get_bool(g, key, &b) == CR_OK)
			sink += (uint64_t)b;
		cr_gguf_vtype et;
		uint64_t n;
		if (cr_gguf_get_arr(g, key, &et, &n) == CR_OK) {
			for (uint64_t j = 0; j < n && j < 100000; j++) {
				if (cr_gguf_arr_str(g, key, j, &s) == CR_OK && s.n)
					sink += (uint8_t)s.p[0] + (uint8_t)s.p[s.n - 1];
				if (cr_gguf_arr_i64(g, key, j, &v) == CR_OK)
					sink += (uint64_t)v;
				if (cr_gguf_arr_f64(g, key, j, &d) == CR_OK)
					sink += (uint64_t)(d == d);
			}
		}
	}
	for (size_t i = 0; i < cr_gguf_n_tensors(g); i++) {
		const cr_gguf_tensor *t = cr_gguf_tensor_at(g, i);
		if (t->bytes)
			sink += ((const uint8_t *)t->data)[0] + ((const uint8_t *)t->data)[t->bytes - 1];
		char name[80];
		snprintf(name, sizeof name, "%.*s", (int)t->name.n, t->name.p);
		sink += cr_gguf_tensor_find(g, name) != NULL;
	}
	/* hostile tokenizer metadata: the tokenizer must refuse it or work */
	cr_tok *t = NULL;
	if (cr_tok_new(g, &t, NULL) == CR_OK) {
		cr_buf ids, piece;
		cr_buf_init(&ids, 0);
		cr_buf_init(&piece, 0);
		static const char text[] = "Hello <s> world 123 \xe6\x97\xa5\xe6\x9c\xac \xff!";
		if (cr_tok_encode(t, text, sizeof text - 1, CR_TOK_ADD_BOS | CR_TOK_PARSE_SPECIAL, &ids) == CR_OK) {
			const cr_token_id *v = (const cr_token_id *)ids.data;
			for (size_t i = 0; i < ids.len / sizeof *v; i++)
				CR_IGNORE(cr_tok_piece(t, v[i], &piece));
		}
		cr_buf_release(&ids);
		cr_buf_release(&piece);
		cr_tok_free(t);
	}
	(void)sink;
	cr_gguf_free(g);
	return 0;
}
