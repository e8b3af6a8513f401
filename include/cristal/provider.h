/*
 * provider.h — one interface to chat with any model: the local engine or
 * any server that speaks the OpenAI API (llama.cpp's server, vLLM, hosted
 * APIs), so nothing above this layer depends on who answers.
 *
 * A cr_provider is made from a catalog row (store.h cr_provider_row) and
 * what the caller knows beside it: the API key (read by the CLI from the
 * environment variable the row names; libraries never read the
 * environment), the resolved model path for the local engine, timeouts and
 * retry policy. Every call is metered into the catalog's usage table when
 * the config gives a store connection.
 *
 * Kinds:
 *   openai  POST URL/chat/completions (plain or streamed: server-sent
 *           events "data: {...}" up to "data: [DONE]"), POST URL/embeddings,
 *           GET URL/models, with libcurl. Tool definitions are passed
 *           through ("tools", "tool_choice") and tool calls come back as
 *           they were sent (id, function name, arguments text). Connect
 *           and read (idle) timeouts; 429, 5xx and connection failures are
 *           retried with exponential backoff (Retry-After honoured, capped),
 *           then the next provider of the fallback chain is tried, provided
 *           no text was streamed to the caller yet. Garbage from a server
 *           (bad JSON, a cut stream, a wrong content type, an error object)
 *           is an error with a message, never a crash.
 *   local   the engine (llm.h): the model is loaded on the first call and
 *           kept, with one generation session whose KV cache keeps the
 *           prefix a repeated system prompt shares; the model's own chat
 *           template formats the messages.
 *
 * Kill-switch: a provider suspended in the catalog is skipped (the next
 * provider of the chain is tried; with none the call fails CR_EDENIED
 * with the suspension's reason) and never contacted; a stream running to
 * it when it is suspended is cut (CR_EDENIED, "suspended while
 * answering"). Every process on the catalog sees it on its next call.
 *
 * Personal data: a chat to a provider of trust "external" is redacted
 * first (pii.h): names, e-mail addresses, phone numbers, postal addresses,
 * My Numbers and card numbers in every message become placeholders
 * ("[PERSON_1]", the same value the same placeholder across the call's
 * messages), and the answer (streamed text, the reply's text and tool
 * call arguments) comes back with the values restored. The map lives in
 * memory for the call only. opts.pii_names adds names the caller knows;
 * cfg.keep_pii = 1 turns redaction off for a provider. Texts given to
 * cr_provider_embed of an external provider are redacted the same way.
 *
 * Errors: CR_EUPSTREAM (the server failed, answered garbage: message says
 * which), CR_ERATELIMIT (429 after the retries), CR_EUNAUTH (401/403),
 * CR_ECORRUPT (a response that is not what the API says), CR_ETIMEOUT
 * (connect or read timeout, or the cancel token's deadline), CR_ECANCELED
 * (the cancel token, or the text callback returned non-zero).
 *
 * Threads: a provider is used by one thread at a time (it owns a libcurl
 * handle or a generation session). cr_provider_global_init must run once
 * before any thread uses the openai kind (it initialises libcurl).
 */
#ifndef CRISTAL_PROVIDER_H
#define CRISTAL_PROVIDER_H

#include "cristal/base.h"
#include "cristal/store.h"

/* Once per process, before threads (libcurl's global init). Idempotent. */
CR_API cr_err cr_provider_global_init(cr_msg *m) CR_NODISCARD;

typedef struct cr_provider cr_provider;

typedef struct cr_provider_cfg {
	const cr_provider_row *row; /* name, kind, url, model, trust, prices (copied) */
	const char *api_key;        /* openai: bearer token, NULL: none (copied) */
	const char *model_path;     /* local: the GGUF file (copied) */
	double connect_timeout;     /* seconds; <= 0: 10 */
	double read_timeout;        /* seconds without a byte; <= 0: 120 */
	int max_retries;            /* after the first attempt; < 0: 0, default (0 in a zeroed cfg) */
	double backoff;             /* first retry's wait in seconds, doubled each time; <= 0: 0.5 */
	double backoff_max;         /* cap of a wait, Retry-After included; <= 0: 30 */
	cr_store *meter;            /* the catalog (not owned): usage rows go here, and the kill-switch
				     * (store.h cr_store_provider_suspend) is read from it before every
				     * call and every 0.25 s of a stream; NULL: neither */
	cr_pool *pool;              /* local: its size is the decoding threads of the model's shared
				     * scheduler, which has a pool of its own; NULL: every core */
	int n_ctx;                  /* local: context positions per sequence; <= 0: the engine's default */
	int n_parallel;             /* local: sequences decoded together (the scheduler's slots, each
				     * with a KV cache of n_ctx positions); <= 0: 8 */
	int keep_pii;               /* 1: chats to an external provider are NOT redacted (see below) */
} cr_provider_cfg;

/* A zeroed config with the defaults above and 3 retries. */
CR_API cr_provider_cfg cr_provider_cfg_default(void);

/* Nothing is contacted or loaded yet. CR_EINVAL for a row that makes no
 * sense (unknown kind, openai without url, local without model_path). */
CR_API cr_err cr_provider_new(const cr_provider_cfg *c, cr_provider **out, cr_msg *m) CR_NODISCARD;
/* Frees p only, not its fallbacks. NULL is fine. */
CR_API void cr_provider_free(cr_provider *p);
CR_API const char *cr_provider_name(const cr_provider *p);
/* "local", "onprem" or "external" (its failovers share it). */
CR_API const char *cr_provider_trust(const cr_provider *p);
CR_API const char *cr_provider_kind(const cr_provider *p);
/* The provider tried when p fails after its retries (not owned; NULL ends
 * the chain). The CLI chains the other providers of the same kind. */
CR_API void cr_provider_set_fallback(cr_provider *p, cr_provider *next);

/* One message of a conversation. */
typedef struct cr_provider_msg {
	const char *role;            /* "system", "user", "assistant", "tool" */
	const char *content;         /* may be NULL for an assistant turn that only calls tools */
	const char *tool_call_id;    /* role "tool": the call this answers */
	const char *tool_calls_json; /* role "assistant": its calls as a JSON array (as received) */
} cr_provider_msg;

/* Text as it arrives; return non-zero to stop (the call ends CR_ECANCELED). */
typedef int (*cr_provider_text_fn)(void *ctx, const char *text, size_t len);

typedef struct cr_provider_chat_opts {
	int max_tokens;              /* 0: the provider's default (local: 512) */
	double temperature;          /* < 0: the provider's default */
	const char *const *stop;     /* stop strings, may be NULL */
	size_t n_stop;
	const char *tools_json;      /* openai "tools" array, passed through; NULL: none */
	const char *tool_choice;     /* "auto", "none", "required" or a JSON object; NULL: unset */
	cr_provider_text_fn on_text; /* non-NULL: the answer is streamed */
	void *on_text_ctx;
	const cr_cancel *cancel;     /* may be NULL */
	const char *const *pii_names; /* names the caller knows (users, a document's metadata), for redaction */
	size_t n_pii_names;
} cr_provider_chat_opts;
/* max_tokens 0, temperature -1, everything else unset. */
CR_API cr_provider_chat_opts cr_provider_chat_opts_default(void);

typedef struct cr_provider_tool_call {
	const char *id;
	const char *name;
	const char *arguments;       /* the JSON text the model wrote (not validated) */
} cr_provider_tool_call;

/* The result of a call. Everything lives in its arena: release with
 * cr_provider_reply_release (a zeroed or released reply may be reused). */
typedef struct cr_provider_reply {
	const char *text;            /* NUL-terminated, never NULL after success */
	size_t len;
	const cr_provider_tool_call *tool_calls;
	size_t n_tool_calls;
	const char *finish_reason;   /* "stop", "length", "tool_calls", ... as the server said */
	int64_t prompt_tokens, completion_tokens; /* as reported (local: counted) */
	int64_t prompt_cached;       /* prompt tokens served from a cache (local: the KV prefix kept) */
	/* local engine only (0 remote): loading the model in this call (0 when
	 * it was loaded), evaluating the prompt, and the first token sampled,
	 * counted from the call (load, template and tokenizing included) */
	double load_ms, prompt_ms, first_token_ms;
	double wall_ms;
	const char *provider;        /* the provider that answered (after failover) */
	int attempts;                /* HTTP attempts over the whole chain */
	int pii_redacted;            /* values replaced by placeholders before sending (external trust) */
	cr_arena arena;
} cr_provider_reply;
CR_API void cr_provider_reply_release(cr_provider_reply *r);

/*
 * Sends the conversation and fills *out. Streams through o->on_text when it
 * is set (openai: "stream": true; local: as tokens become text). Metered:
 * one usage row per provider tried (failed tries with ok = 0).
 */
CR_API cr_err cr_provider_chat(cr_provider *p, const cr_provider_msg *msgs, size_t n,
			       const cr_provider_chat_opts *o, cr_provider_reply *out, cr_msg *m) CR_NODISCARD;

/* Embeddings of n texts (openai: URL/embeddings; local: an encoder model,
 * each text cut to its window): *vecs is n × *dim floats in arena a, in the
 * order of the texts. CR_EUNSUPPORTED for a local generation model. */
CR_API cr_err cr_provider_embed(cr_provider *p, const char *const *texts, size_t n, cr_arena *a, float **vecs,
				int *dim, const cr_cancel *cancel, cr_msg *m) CR_NODISCARD;

/* The model ids the server lists (GET URL/models), in arena a. Local: the
 * one model. */
CR_API cr_err cr_provider_models(cr_provider *p, cr_arena *a, const char ***ids, size_t *n,
				 const cr_cancel *cancel, cr_msg *m) CR_NODISCARD;

/*
 * The catalog's providers as a chain (provider/open.c): the named provider
 * (NULL: the default one) first, then the other providers of the same
 * kind and the same trust, in order of addition, as its fallbacks, so a
 * failover never sends data somewhere less trusted. A local provider's
 * model (a registered name or a path) is resolved through the catalog. The
 * API key of a provider is asked of key(key_ctx, variable name) (the CLI
 * passes getenv); a fallback whose key is missing is left out, the named
 * provider without its key is CR_EUNAUTH. base gives timeouts, retries,
 * meter, pool and n_ctx for all (its row, api_key, model_path are ignored).
 * fallbacks = 0 opens the named provider alone.
 */
typedef const char *(*cr_provider_key_fn)(void *ctx, const char *var);
typedef struct cr_provider_chain cr_provider_chain;
CR_API cr_err cr_provider_chain_open(cr_store *s, const char *name, const cr_provider_cfg *base, int fallbacks,
				     cr_provider_key_fn key, void *key_ctx, cr_provider_chain **out,
				     cr_msg *m) CR_NODISCARD;
/* The first provider: the one to call. Valid until cr_provider_chain_free. */
CR_API cr_provider *cr_provider_chain_head(cr_provider_chain *c);
CR_API size_t cr_provider_chain_len(const cr_provider_chain *c);
CR_API void cr_provider_chain_free(cr_provider_chain *c);

/*
 * The embedder a corpus's vectors are made with (provider/embedder.c), as
 * the catalog names it (cr_corpus_vectors_source): "provider:NAME" (that
 * provider's /embeddings, key from key(key_ctx, var) as for chains) or
 * "model:NAME" (a local embedding model, registered name or path; a pool
 * of its own unless base gives one). base: timeouts, meter, pool (may be
 * NULL). One thread at a time, like a provider. cr_embedder_embed has the
 * shape of corpus.h's cr_embed_fn (ctx: the embedder) and L2-normalises.
 */
typedef struct cr_embedder cr_embedder;
CR_API cr_err cr_embedder_open(cr_store *s, const char *source, const cr_provider_cfg *base, cr_provider_key_fn key,
			       void *key_ctx, cr_embedder **out, cr_msg *m) CR_NODISCARD;
CR_API const char *cr_embedder_source(const cr_embedder *e);
CR_API cr_err cr_embedder_embed(void *ctx, const char *const *texts, size_t n, cr_arena *a, float **vecs, int *dim,
				cr_msg *m) CR_NODISCARD;
CR_API void cr_embedder_free(cr_embedder *e);

#endif
