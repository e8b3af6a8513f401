/*
 * llm.h — the local inference engine: GGUF files, tokenizers, model graphs,
 * sampling, chat templates and constrained decoding. CPU only.
 *
 * Layers (lower never include higher):
 *   gguf (reader/writer)  →  tensor types + kernels (src/llm/cpu/)
 *   tokenizer (from gguf metadata)
 *   model (llama, qwen2, qwen3, bert graphs; KV cache)  →  sampler, grammar
 *   chat templates
 */
#ifndef CRISTAL_LLM_H
#define CRISTAL_LLM_H

#include "cristal/base.h"

/* ---- GGUF (src/llm/gguf.c; byte layout in src/llm/gguf_int.h) --------- */

/* Tensor types, numbered as GGML numbers them in GGUF files. */
typedef enum cr_ttype {
	CR_TT_F32 = 0,
	CR_TT_F16 = 1,
	CR_TT_Q4_0 = 2,
	CR_TT_Q4_1 = 3,
	CR_TT_Q5_0 = 6,
	CR_TT_Q5_1 = 7,
	CR_TT_Q8_0 = 8,
	CR_TT_Q8_1 = 9,
	CR_TT_Q2_K = 10,
	CR_TT_Q3_K = 11,
	CR_TT_Q4_K = 12,
	CR_TT_Q5_K = 13,
	CR_TT_Q6_K = 14,
	CR_TT_Q8_K = 15,
	CR_TT_BF16 = 30,
	CR_TT__COUNT = 40
} cr_ttype;

/* Elements per block and bytes per block; 0 for a type we do not support. */
CR_API int cr_ttype_block(cr_ttype t);
CR_API size_t cr_ttype_block_bytes(cr_ttype t);
CR_API const char *cr_ttype_name(cr_ttype t);
/* Bytes of a row of n elements (n a multiple of the block), 0 if unsupported. */
CR_API size_t cr_ttype_row_bytes(cr_ttype t, int64_t n);

typedef enum cr_gguf_vtype {
	CR_GV_U8 = 0, CR_GV_I8, CR_GV_U16, CR_GV_I16, CR_GV_U32, CR_GV_I32,
	CR_GV_F32, CR_GV_BOOL, CR_GV_STRING, CR_GV_ARRAY, CR_GV_U64, CR_GV_I64, CR_GV_F64
} cr_gguf_vtype;

typedef struct cr_gguf cr_gguf;

typedef struct cr_gguf_str {
	const char *p; /* NOT NUL-terminated: points into the mapped file */
	uint64_t n;
} cr_gguf_str;

typedef struct cr_gguf_tensor {
	cr_gguf_str name;
	uint32_t n_dims;
	int64_t ne[4];      /* ne[0] is the contiguous (row) dimension */
	cr_ttype type;
	uint64_t offset;    /* from the start of the data section */
	size_t bytes;
	const void *data;   /* into the mapping */
} cr_gguf_tensor;

/* Opens and validates a GGUF v2/v3 file (mmap). Every offset, count and size
 * is checked; tensors must lie inside the file. */
CR_API cr_err cr_gguf_open(const char *path, cr_gguf **out, cr_msg *m) CR_NODISCARD;
/* Same over bytes the caller keeps alive (used by the fuzzer). */
CR_API cr_err cr_gguf_open_mem(const uint8_t *buf, size_t len, cr_gguf **out, cr_msg *m) CR_NODISCARD;
CR_API void cr_gguf_free(cr_gguf *g);
CR_API uint32_t cr_gguf_version(const cr_gguf *g);

/* Metadata lookup. Each getter returns CR_ENOTFOUND if the key is absent,
 * CR_EINVAL if it has another type (integers convert between widths). */
CR_API int64_t cr_gguf_find_key(const cr_gguf *g, const char *key); /* index or -1 */
CR_API size_t cr_gguf_n_kv(const cr_gguf *g);
CR_API cr_gguf_str cr_gguf_key_name(const cr_gguf *g, size_t i);
CR_API cr_gguf_vtype cr_gguf_key_type(const cr_gguf *g, size_t i);
CR_API cr_err cr_gguf_get_str(const cr_gguf *g, const char *key, cr_gguf_str *out) CR_NODISCARD;
CR_API cr_err cr_gguf_get_i64(const cr_gguf *g, const char *key, int64_t *out) CR_NODISCARD;
CR_API cr_err cr_gguf_get_f64(const cr_gguf *g, const char *key, double *out) CR_NODISCARD;
CR_API cr_err cr_gguf_get_bool(const cr_gguf *g, const char *key, int *out) CR_NODISCARD;
/* Arrays: element type and count; elements by index. */
CR_API cr_err cr_gguf_get_arr(const cr_gguf *g, const char *key, cr_gguf_vtype *elem, uint64_t *n) CR_NODISCARD;
CR_API cr_err cr_gguf_arr_str(const cr_gguf *g, const char *key, uint64_t i, cr_gguf_str *out) CR_NODISCARD;
CR_API cr_err cr_gguf_arr_i64(const cr_gguf *g, const char *key, uint64_t i, int64_t *out) CR_NODISCARD;
CR_API cr_err cr_gguf_arr_f64(const cr_gguf *g, const char *key, uint64_t i, double *out) CR_NODISCARD;

CR_API size_t cr_gguf_n_tensors(const cr_gguf *g);
CR_API const cr_gguf_tensor *cr_gguf_tensor_at(const cr_gguf *g, size_t i);
CR_API const cr_gguf_tensor *cr_gguf_tensor_find(const cr_gguf *g, const char *name);

/* GGUF writer (src/llm/gguf_write.c): used by the random-weight model
 * generator and the vocabulary builder. Writes GGUF v3, alignment 32 (or
 * general.alignment if set), tensors in the order added. Data is copied. */
typedef struct cr_gguf_writer cr_gguf_writer;
CR_API cr_err cr_gguf_writer_new(cr_gguf_writer **out) CR_NODISCARD;
CR_API void cr_gguf_writer_free(cr_gguf_writer *w);
CR_API cr_err cr_gguf_writer_set_str(cr_gguf_writer *w, const char *key, const char *v) CR_NODISCARD;
CR_API cr_err cr_gguf_writer_set_u32(cr_gguf_writer *w, const char *key, uint32_t v) CR_NODISCARD;
CR_API cr_err cr_gguf_writer_set_i32(cr_gguf_writer *w, const char *key, int32_t v) CR_NODISCARD;
CR_API cr_err cr_gguf_writer_set_f32(cr_gguf_writer *w, const char *key, float v) CR_NODISCARD;
CR_API cr_err cr_gguf_writer_set_bool(cr_gguf_writer *w, const char *key, int v) CR_NODISCARD;
CR_API cr_err cr_gguf_writer_set_arr_str(cr_gguf_writer *w, const char *key, const char *const *v, size_t n) CR_NODISCARD;
CR_API cr_err cr_gguf_writer_set_arr_i32(cr_gguf_writer *w, const char *key, const int32_t *v, size_t n) CR_NODISCARD;
CR_API cr_err cr_gguf_writer_set_arr_f32(cr_gguf_writer *w, const char *key, const float *v, size_t n) CR_NODISCARD;
/* Any scalar type (v points to one value of that type in host order; not
 * string or array), and arrays of any numeric or bool type. */
CR_API cr_err cr_gguf_writer_set_val(cr_gguf_writer *w, const char *key, cr_gguf_vtype type, const void *v) CR_NODISCARD;
CR_API cr_err cr_gguf_writer_set_arr(cr_gguf_writer *w, const char *key, cr_gguf_vtype elem, const void *v, size_t n) CR_NODISCARD;
/* Copies one key (any type, arrays included) from an open file. */
CR_API cr_err cr_gguf_writer_copy_kv(cr_gguf_writer *w, const cr_gguf *src, const char *key) CR_NODISCARD;
CR_API cr_err cr_gguf_writer_add_tensor(cr_gguf_writer *w, const char *name, cr_ttype type,
					uint32_t n_dims, const int64_t ne[4], const void *data, size_t bytes) CR_NODISCARD;
CR_API cr_err cr_gguf_writer_write(cr_gguf_writer *w, const char *path, cr_msg *m) CR_NODISCARD;

/* ---- tokenizer (src/llm/tok_*.c) --------------------------------------- */

typedef struct cr_tok cr_tok;
typedef int32_t cr_token_id;

/* Builds the tokenizer the file describes (tokenizer.ggml.model: llama =
 * SentencePiece, gpt2 = byte-level BPE with the pre-tokenizer named by
 * tokenizer.ggml.pre, bert = WordPiece, t5 = Unigram). The vocabulary is
 * copied: g may be freed afterwards. A cr_tok never changes after this, so
 * any number of threads may encode with it at once. */
CR_API cr_err cr_tok_new(const cr_gguf *g, cr_tok **out, cr_msg *m) CR_NODISCARD;
CR_API void cr_tok_free(cr_tok *t);
CR_API int32_t cr_tok_n_vocab(const cr_tok *t);
CR_API cr_token_id cr_tok_bos(const cr_tok *t); /* -1 if none */
CR_API cr_token_id cr_tok_eos(const cr_tok *t);
CR_API int cr_tok_is_eog(const cr_tok *t, cr_token_id id); /* end of generation (eos, eot, im_end...) */
CR_API int cr_tok_add_bos_default(const cr_tok *t);
/* Control or unknown tokens (<s>, <|im_start|>, [CLS] ...): text a chat
 * front end usually hides. */
CR_API int cr_tok_is_control(const cr_tok *t, cr_token_id id);

enum {
	CR_TOK_ADD_BOS = 1 << 0,     /* llama.cpp's add_special: BOS (and EOS) as the file's
					add_bos_token / add_eos_token say; bert: [CLS] ... [SEP] */
	CR_TOK_PARSE_SPECIAL = 1 << 1, /* "<|im_start|>" in the text becomes its special id */
};
/* Encodes UTF-8 text, exactly as llama.cpp's llama_tokenize does for the
 * same file and flags. Appends ids to *ids (a cr_buf of cr_token_id). */
CR_API cr_err cr_tok_encode(const cr_tok *t, const char *text, size_t len, int flags, cr_buf *ids) CR_NODISCARD;
/* Appends the bytes of one token's text (decoding byte tokens, ▁ → space),
 * as llama_token_to_piece with special = true: control tokens give their
 * text. CR_EINVAL for an id out of range. */
CR_API cr_err cr_tok_piece(const cr_tok *t, cr_token_id id, cr_buf *out) CR_NODISCARD;
enum {
	CR_TOK_DECODE_SPECIAL = 1 << 0,        /* render control tokens' text (<|im_end|>) */
	CR_TOK_DECODE_REMOVE_SPECIAL = 1 << 1, /* drop the BOS / EOS the vocabulary adds */
};
/* Appends the text of a token sequence, as llama_detokenize with
 * unparse_special = CR_TOK_DECODE_SPECIAL and remove_special =
 * CR_TOK_DECODE_REMOVE_SPECIAL: the leading space SentencePiece added is
 * removed, and for vocabularies that ask for it (GPT-2 style BPE, WordPiece)
 * spaces before . , ! ? and some apostrophes are cleaned up. CR_EINVAL for
 * an id out of range (nothing appended). */
CR_API cr_err cr_tok_decode(const cr_tok *t, const cr_token_id *ids, size_t n, int flags, cr_buf *out) CR_NODISCARD;

/* ---- models (src/llm/model.c, arch_*.c) -------------------------------- */

typedef struct cr_model cr_model;
typedef struct cr_ctx cr_ctx;

typedef struct cr_model_info {
	const char *arch;        /* "llama", "qwen2", "qwen3", "bert" */
	const char *name;
	int64_t n_params;
	int n_layer, n_embd, n_head, n_head_kv, n_ff, n_vocab, n_ctx_train;
	int is_embedding;        /* encoder only */
	cr_ttype main_type;      /* most common weight type */
	const char *chat_template; /* from tokenizer.chat_template, or NULL */
} cr_model_info;

/* Process set-up, made once by the program before the first model computes
 * (the CLI passes $CR_CPU and $CR_AMX): level "ref", "avx2" or "avx512"
 * forces that kernel level, lowered to what the CPU has (NULL or "": the
 * best it has); amx = 0 keeps AMX tiles off. CR_EINVAL for an unknown
 * level, CR_EBUSY once the kernels were chosen (they are, once per process,
 * on first use). */
CR_API cr_err cr_cpu_configure(const char *level, int amx) CR_NODISCARD;

/* Loads and validates a model: architecture supported, every tensor present
 * with the expected shape and a supported type, tokenizer consistent.
 * Errors name the offending key or tensor. The model owns g (freed with it). */
CR_API cr_err cr_model_load(const char *path, cr_model **out, cr_msg *m) CR_NODISCARD;
CR_API void cr_model_free(cr_model *md);
/* keep = 1: the weights stay in the file's mapping (the shared page cache,
 * which other processes mapping the file share) instead of being copied
 * into private huge-page memory before the first context computes (faster
 * streaming, one private copy). Call before the first cr_ctx_new; the CLI
 * sets it for $CR_MMAP=1. */
CR_API void cr_model_set_keep_mapped(cr_model *md, int keep);
CR_API const cr_model_info *cr_model_get_info(const cr_model *md);
CR_API const cr_tok *cr_model_tok(const cr_model *md);

/* An inference context: KV cache for n_ctx positions, scratch buffers,
 * threads from pool (NULL = single-threaded; borrowed, must outlive the
 * context). Threads: a context is used by one thread at a time; contexts of
 * one model may run at once on different threads. Give each inference slot
 * its own pool: slots sharing one pool take turns in every cr_pool_run. */
CR_API cr_err cr_ctx_new(cr_model *md, int n_ctx, cr_pool *pool, cr_ctx **out, cr_msg *m) CR_NODISCARD;
CR_API void cr_ctx_free(cr_ctx *c);
CR_API int cr_ctx_pos(const cr_ctx *c); /* tokens in the KV cache */
CR_API size_t cr_ctx_kv_bytes(const cr_ctx *c); /* the KV cache's size for n_ctx positions */
/* Drops cached positions >= pos (prefix reuse between chat turns). */
CR_API void cr_ctx_truncate(cr_ctx *c, int pos);
/* Prefix reuse in one call: keeps the longest cached prefix shared with
 * toks[0..n) (at most n - 1, so the caller always decodes at least the last
 * token and gets its logits), drops the rest, and returns its length; then
 * decode toks[ret..n). */
CR_API int cr_ctx_reuse_prefix(cr_ctx *c, const cr_token_id *toks, int n);
/* Runs n tokens through the model at positions pos..pos+n-1 (pos =
 * cr_ctx_pos). If logits_all, returns logits for every token (n × n_vocab),
 * else for the last only. The returned pointer is valid until the next call. */
CR_API cr_err cr_ctx_decode(cr_ctx *c, const cr_token_id *toks, int n, int logits_all,
			    const float **logits, cr_msg *m) CR_NODISCARD;
/* Length of the longest prefix the cache shares with toks[0..n). */
CR_API int cr_ctx_common_prefix(const cr_ctx *c, const cr_token_id *toks, int n);
/* Copies src's first n cached positions (K/V rows and ids) into dst, which
 * then holds exactly those n (a shared system prompt computed once). Same
 * model; n <= cr_ctx_pos(src) and dst's n_ctx, else CR_EINVAL. Cost: a
 * copy of n × n_layer × n_head_kv × head_dim × 4 bytes. */
CR_API cr_err cr_ctx_copy_prefix(cr_ctx *dst, const cr_ctx *src, int n, cr_msg *m) CR_NODISCARD;
/* Makes later cr_ctx_decode calls check `cancel` between batches and
 * between layers, so a long prompt stops promptly: they then return
 * CR_ECANCELED or CR_ETIMEOUT, with the positions of the batches already
 * done kept in the cache (cr_ctx_pos) and the interrupted batch dropped.
 * NULL (the default) never cancels. The token must outlive its use. */
CR_API void cr_ctx_set_cancel(cr_ctx *c, const cr_cancel *cancel);
/* Encoder models: pooled, L2-normalised embedding of the tokens (n_embd floats). */
CR_API cr_err cr_ctx_embed(cr_ctx *c, const cr_token_id *toks, int n, float *out, cr_msg *m) CR_NODISCARD;

/* ---- batched decoding (src/llm/batch.c) ----------------------------- */

/*
 * Continuous batching: P slots (sequences) over one model, each an ordinary
 * context with its own KV cache; a step decodes one token for each of n
 * slots as one forward pass of n rows, so the weights are read once per
 * step for all of them (aggregate speed grows with n while generation is
 * bound by memory bandwidth). Results equal decoding each slot alone, up
 * to the rounding of the activation quantization per row (the same per row
 * as alone: greedy tokens match). A slot's prompt is decoded with
 * cr_ctx_decode on cr_batch_slot; cr_ctx_copy_prefix shares a prompt prefix
 * between slots; sequences join and leave between steps freely.
 * Threads: one thread at a time per batch, its slots included (they share
 * the batch's scratch and pool). Slots must not be freed with cr_ctx_free.
 */
typedef struct cr_batch cr_batch;
/* n_slots 1..256; n_ctx positions per slot (<= 0: as cr_ctx_new); pool is
 * borrowed. CR_EINVAL for an embedding model. */
CR_API cr_err cr_batch_new(cr_model *md, int n_slots, int n_ctx, cr_pool *pool, cr_batch **out,
			   cr_msg *m) CR_NODISCARD;
CR_API void cr_batch_free(cr_batch *b);
CR_API int cr_batch_n_slots(const cr_batch *b);
/* Slot i's context (owned by the batch). */
CR_API cr_ctx *cr_batch_slot(cr_batch *b, int i);
/* One token for each of n distinct slots: toks[i] is decoded at the next
 * position of slot slots[i]. *logits: n × n_vocab, row i for slots[i], valid
 * until the next step. CR_EINVAL (bad slot, repeated slot, bad token) or
 * CR_ETOOBIG (a slot is full) before anything is computed. */
CR_API cr_err cr_batch_step(cr_batch *b, const int *slots, const cr_token_id *toks, int n,
			    const float **logits, cr_msg *m) CR_NODISCARD;

/*
 * The scheduler (src/llm/sched.c): one thread in front of a cr_batch that
 * computes for every generation session made with cr_gen_opts.sched.
 * Concurrent turns on different threads each take a slot for their turn,
 * have their prompt decoded between steps (in pieces of 256 tokens, a
 * prefix another slot already holds copied instead of computed), and then
 * share one forward pass per token (continuous batching); each keeps its
 * own sampler, grammar, stop strings, streaming and cancel token. More
 * concurrent turns than slots wait for a free slot. The pool is borrowed
 * and used by the scheduler thread only. Free the sessions before the
 * scheduler.
 */
typedef struct cr_sched cr_sched;
CR_API cr_err cr_sched_new(cr_model *md, int n_slots, int n_ctx, cr_pool *pool, cr_sched **out,
			   cr_msg *m) CR_NODISCARD;
CR_API void cr_sched_free(cr_sched *s);
CR_API int cr_sched_n_ctx(const cr_sched *s);   /* positions per slot */
CR_API int cr_sched_n_slots(const cr_sched *s);
/* Steps run so far and rows in them (rows / steps: the mean batch). */
CR_API void cr_sched_stats(cr_sched *s, uint64_t *steps, uint64_t *rows);

/* ---- sampling (src/llm/sampler.c) ------------------------------------ */

typedef struct cr_sampler_opts {
	float temp;          /* 0 = greedy */
	int top_k;           /* 0 = off */
	float top_p;         /* 1 = off */
	float min_p;         /* 0 = off */
	float repeat_penalty;/* 1 = off */
	int repeat_last_n;
	float presence_penalty;
	uint64_t seed;
} cr_sampler_opts;
CR_API cr_sampler_opts cr_sampler_opts_default(void);

typedef struct cr_sampler cr_sampler;
CR_API cr_err cr_sampler_new(const cr_sampler_opts *o, int n_vocab, cr_sampler **out) CR_NODISCARD;
CR_API void cr_sampler_free(cr_sampler *s);
/* Picks the next token. `allowed` (may be NULL) masks tokens (grammar). */
CR_API cr_token_id cr_sampler_sample(cr_sampler *s, const float *logits, const uint8_t *allowed);
CR_API void cr_sampler_accept(cr_sampler *s, cr_token_id id); /* history for penalties */

/* ---- chat templates (src/llm/chat.c) --------------------------------- */

typedef struct cr_chat_msg {
	const char *role;    /* system, user, assistant, tool */
	const char *content;
} cr_chat_msg;
/* Names: chatml, llama3, llama2, mistral, gemma, phi3, zephyr. Picks from the
 * template text when name is NULL. Appends the prompt (with the assistant
 * turn opened if add_assistant). */
CR_API cr_err cr_chat_apply(const char *name, const char *template_text, const cr_chat_msg *msgs,
			    size_t n, int add_assistant, cr_buf *out, cr_msg *m) CR_NODISCARD;
CR_API const char *cr_chat_detect(const char *template_text); /* family name or NULL */

/* ---- constrained decoding (src/llm/grammar.c) -------------------------- */

/*
 * A JSON grammar as a character-level pushdown automaton. `json` accepts one
 * JSON object or array (any content, whitespace runs capped at 16 bytes,
 * numbers at 32 characters, nesting at 32 levels). A schema (a subset of
 * JSON Schema: object with properties/required — only the listed keys,
 * each at most once —, array with items, string (maxLength: bytes of its JSON
 * text), number, integer, boolean,
 * null, enum; the root an object or array) accepts only conforming values.
 */
typedef struct cr_grammar cr_grammar;
CR_API cr_err cr_grammar_new_json(cr_grammar **out) CR_NODISCARD;
CR_API cr_err cr_grammar_new_schema(const char *schema, size_t len, cr_grammar **out,
				    cr_msg *m) CR_NODISCARD;
CR_API void cr_grammar_free(cr_grammar *g);
CR_API void cr_grammar_reset(cr_grammar *g);
/* Whether the bytes can follow what was fed so far (state unchanged). */
CR_API int cr_grammar_accepts(const cr_grammar *g, const char *p, size_t n);
/* Consumes bytes; CR_EINVAL (state unchanged) if they are not accepted. */
CR_API cr_err cr_grammar_feed(cr_grammar *g, const char *p, size_t n) CR_NODISCARD;
/* A complete value has been fed; nothing more is accepted. */
CR_API int cr_grammar_done(const cr_grammar *g);
/* Appends the shortest bytes that complete the value (schema: missing
 * required properties get default values: "", 0, false, null, [], the
 * first enum value). */
CR_API cr_err cr_grammar_close(const cr_grammar *g, cr_buf *out) CR_NODISCARD;
/* Token level: precomputes every token's bytes for the tokenizer. n_logits
 * is the length of the logit rows the sampler sees (the model's n_vocab, at
 * least the tokenizer's); ids past the tokenizer are never picked. */
CR_API cr_err cr_grammar_bind(cr_grammar *g, const cr_tok *tok, int n_logits) CR_NODISCARD;
/* Picks a token the grammar accepts: samples unconstrained first and masks
 * rejected picks (up to 16), then builds the full mask. -1 if none or done.
 * End-of-generation tokens are never picked (stop when cr_grammar_done). */
CR_API cr_token_id cr_grammar_sample(cr_grammar *g, cr_sampler *s, const float *logits);
/* Feeds the token's bytes (after cr_grammar_bind). */
CR_API cr_err cr_grammar_accept_token(cr_grammar *g, cr_token_id id) CR_NODISCARD;

/* ---- generation turns (src/llm/generate.c) ----------------------------- */

/*
 * A generation session: one context (KV cache), a sampler and an optional
 * grammar, for one conversation or one client at a time. Each turn takes the
 * whole prompt as tokens (a chat re-templated with its history, say); the
 * part the cache already holds from the previous turn is not evaluated
 * again (cr_ctx_reuse_prefix), then tokens are sampled until a stop:
 *
 *   EOS        an end-of-generation token (not part of the text)
 *   STRING     one of the stop strings appeared (the text ends before it)
 *   LENGTH     max_tokens were generated
 *   CTX        the context is full
 *   GRAMMAR    the constrained JSON value is complete
 *   CANCELED   the cancel token was requested, or the text callback said stop
 *   TIMEOUT    the cancel token's deadline passed
 *   GRAMMAR_DEAD_END, ERROR   no token could be sampled, or decoding failed
 *
 * Text is streamed to a callback as it is produced, holding back only what
 * could still become a stop string and an incomplete UTF-8 sequence. With a
 * grammar, a turn that stops before the value is complete gets the shortest
 * closing bytes appended to its text (and streamed), so the text is always
 * valid JSON. Threads: one thread at a time per session; sessions over the
 * same cr_model may run on different threads, each with its own pool.
 */
typedef enum cr_gen_stop {
	CR_GEN_STOP_NONE = 0,
	CR_GEN_STOP_EOS,
	CR_GEN_STOP_STRING,
	CR_GEN_STOP_LENGTH,
	CR_GEN_STOP_CTX,
	CR_GEN_STOP_GRAMMAR,
	CR_GEN_STOP_CANCELED,
	CR_GEN_STOP_TIMEOUT,
	CR_GEN_STOP_GRAMMAR_DEAD_END,
	CR_GEN_STOP_ERROR,
} cr_gen_stop;
/* "eog", "stop", "limit", "ctx", "grammar", "canceled", "timeout",
 * "grammar_dead_end", "error" (the names `cristal generate --json` prints). */
CR_API const char *cr_gen_stop_name(cr_gen_stop s);

typedef struct cr_gen_opts {
	int n_ctx;                /* context positions; <= 0: min(n_ctx_train, 4096) */
	cr_pool *pool;            /* decoding threads (not owned); NULL: the caller's thread */
	cr_sampler_opts sampler;
	cr_sched *sched;          /* non-NULL: decode through this scheduler (same model; n_ctx and
				   * pool are then the scheduler's, and the session has no context
				   * of its own: cr_gen_ctx returns NULL) */
} cr_gen_opts;
CR_API cr_gen_opts cr_gen_opts_default(void);

typedef struct cr_gen cr_gen;
/* CR_EINVAL for an embedding model. md must outlive the session. */
CR_API cr_err cr_gen_new(cr_model *md, const cr_gen_opts *o, cr_gen **out, cr_msg *m) CR_NODISCARD;
CR_API void cr_gen_free(cr_gen *g);
CR_API cr_ctx *cr_gen_ctx(cr_gen *g); /* NULL for a session on a scheduler */
CR_API int cr_gen_n_ctx(const cr_gen *g);
/* Sampling options for the following turns (the sampler is rebuilt). */
CR_API cr_err cr_gen_set_sampler(cr_gen *g, const cr_sampler_opts *o) CR_NODISCARD;
typedef enum { CR_GEN_GRAMMAR_NONE, CR_GEN_GRAMMAR_JSON, CR_GEN_GRAMMAR_SCHEMA } cr_gen_grammar;
/* Constrains the following turns: none, any JSON object or array, or the
 * JSON Schema in schema[0..len) (see cr_grammar_new_schema). Each turn
 * starts the grammar afresh. CR_ECORRUPT / CR_EUNSUPPORTED for a bad schema. */
CR_API cr_err cr_gen_set_grammar(cr_gen *g, cr_gen_grammar kind, const char *schema, size_t len,
				 cr_msg *m) CR_NODISCARD;

/* A prompt's tokens: text encoded with special tokens parsed and the
 * model's default BOS; an empty result becomes the lone BOS (CR_EINVAL if
 * the model has none). Appends to *ids (cr_token_id). */
CR_API cr_err cr_gen_tokenize(const cr_model *md, const char *text, size_t len, cr_buf *ids,
			      cr_msg *m) CR_NODISCARD;
/* A chat's tokens: msgs through the chat template `tmpl` (NULL: the one the
 * model's tokenizer.chat_template names), the assistant turn opened, then
 * cr_gen_tokenize. */
CR_API cr_err cr_gen_chat_tokens(const cr_model *md, const char *tmpl, const cr_chat_msg *msgs, size_t n,
				 cr_buf *ids, cr_msg *m) CR_NODISCARD;

/* Streams generated text: bytes as they become final. Return non-zero to
 * stop the turn (it ends with CR_GEN_STOP_CANCELED and CR_ECANCELED). */
typedef int (*cr_gen_text_fn)(void *ctx, const char *text, size_t len);
/* Gets the logits of every prompt position (n_prompt × n_vocab floats,
 * valid during the call); a non-OK return ends the turn with that error. */
typedef cr_err (*cr_gen_logits_fn)(void *ctx, const float *logits, int n_prompt, int n_vocab);

typedef struct cr_gen_params {
	int max_tokens;              /* tokens to generate at most (0: evaluate the prompt only) */
	const char *const *stop;     /* stop strings (may be NULL) */
	size_t n_stop;
	const cr_cancel *cancel;     /* checked between tokens and inside prompt evaluation; may be NULL */
	cr_gen_text_fn on_text;      /* may be NULL */
	void *on_text_ctx;
	cr_gen_logits_fn on_prompt_logits; /* non-NULL: no prefix reuse, the prompt is evaluated
					    * from position 0 with logits for every position */
	void *on_prompt_logits_ctx;
} cr_gen_params;

typedef struct cr_gen_result {
	cr_gen_stop stop;
	const char *text;            /* the generated text (closing bytes included), NUL-terminated */
	size_t len;
	const cr_token_id *tokens;   /* the generated tokens (not the closing bytes) */
	int n_tokens;
	const char *closing;         /* closing bytes the grammar appended, or NULL */
	size_t closing_len;
	int n_prompt, n_reused;      /* prompt tokens, and how many the cache already held */
	double prompt_seconds, gen_seconds;
	double first_token_seconds;  /* from the call to the first token sampled (0: none) */
} cr_gen_result;

/*
 * One turn over prompt[0..n_prompt). Fills *r (its pointers stay valid until
 * the next turn or cr_gen_free) whenever generation started, even on error:
 * CR_OK for the stops EOS, STRING, LENGTH, CTX, GRAMMAR, GRAMMAR_DEAD_END
 * and a sampler that found no token (ERROR); CR_ECANCELED / CR_ETIMEOUT when
 * canceled; CR_ETOOBIG when the prompt does not fit the context; the
 * decoder's error otherwise.
 */
CR_API cr_err cr_gen_turn(cr_gen *g, const cr_token_id *prompt, int n_prompt, const cr_gen_params *p,
			  cr_gen_result *r, cr_msg *m) CR_NODISCARD;

#endif
