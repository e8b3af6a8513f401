/*
 * provider_int.h — what the provider module's files share: the response
 * parsers (parse.c: server-sent events and the chat completion's JSON,
 * streamed or whole; the fuzz target drives them), the HTTP exchange
 * (http.c) and the provider handle (provider.c, local.c, openai.c).
 */
#ifndef CR_PROVIDER_INT_H
#define CR_PROVIDER_INT_H

#include "cristal/llm.h"
#include "cristal/pii.h"
#include "cristal/provider.h"

/* ---- parse.c ---- */

/* Server-sent events: bytes in, one callback per event's data (its data:
 * lines joined by "\n"). Lines end with \n (a \r before it is dropped);
 * lines starting ':' are comments; fields other than data and error are
 * ignored. An "error:" field is passed as data with is_error set. */
#define CR_SSE_LINE_MAX (4u << 20)
typedef cr_err (*cr_sse_fn)(void *ctx, const char *data, size_t len, int is_error, cr_msg *m);
typedef struct cr_sse {
	cr_buf line;
	cr_buf data;
	int has_data, is_error;
} cr_sse;
void cr_sse_init(cr_sse *s);
void cr_sse_release(cr_sse *s);
/* Feeds bytes; stops at the first error fn returns. CR_ECORRUPT for a line
 * over CR_SSE_LINE_MAX. */
cr_err cr_sse_feed(cr_sse *s, const char *p, size_t n, cr_sse_fn fn, void *ctx, cr_msg *m) CR_NODISCARD;
/* End of the stream: an event not ended by a blank line is dispatched. */
cr_err cr_sse_end(cr_sse *s, cr_sse_fn fn, void *ctx, cr_msg *m) CR_NODISCARD;

/* A chat completion being assembled from a body or from stream events. */
#define CR_TOOL_CALLS_MAX 64
#define CR_REPLY_TEXT_MAX (64u << 20)
typedef struct cr_chat_acc {
	const char *who;            /* provider name, for messages */
	cr_buf text;
	struct {
		cr_buf id, name, args;
	} calls[CR_TOOL_CALLS_MAX];
	size_t n_calls;
	char finish[32];
	int64_t prompt_tokens, completion_tokens, prompt_cached;
	double load_ms, prompt_ms, first_token_ms; /* local: see cr_provider_reply */
	int done;                   /* [DONE] seen (stream) or body parsed */
	int n_events;
	size_t streamed;            /* bytes passed to on_text */
	cr_provider_text_fn on_text;
	void *on_text_ctx;
} cr_chat_acc;
void cr_chat_acc_init(cr_chat_acc *a, const char *who, cr_provider_text_fn fn, void *ctx);
void cr_chat_acc_release(cr_chat_acc *a);
/* One stream event's data (a cr_sse_fn: ctx is the cr_chat_acc). */
cr_err cr_chat_acc_event(void *acc, const char *data, size_t len, int is_error, cr_msg *m) CR_NODISCARD;
/* A whole non-streamed response body. */
cr_err cr_chat_acc_body(cr_chat_acc *a, const char *body, size_t len, cr_msg *m) CR_NODISCARD;
/* Copies the result into out (its arena). */
cr_err cr_chat_acc_reply(cr_chat_acc *a, cr_provider_reply *out) CR_NODISCARD;
/* The "error" of an API error body, or the body's first bytes, for messages. */
void cr_provider_error_text(const char *body, size_t len, char *out, size_t cap);

/* ---- http.c ---- */

typedef struct cr_http_req {
	const char *who;            /* provider name for messages */
	const char *url;
	const char *api_key;        /* may be NULL */
	const char *body;           /* NULL: GET */
	size_t body_len;
	int stream;                 /* expects text/event-stream */
	double connect_timeout, read_timeout;
	const cr_cancel *cancel;
	/* streaming: bytes of a 200 response go to the SSE parser and this sink */
	cr_sse_fn on_event;
	void *on_event_ctx;
	size_t *streamed;           /* the sink's count of bytes passed on (no retry once > 0) */
} cr_http_req;

typedef struct cr_http_res {
	long status;
	cr_buf body;                /* non-streamed body, or an error body (capped) */
	int retryable;              /* worth another attempt (429, 5xx, connection, timeout) */
	double retry_after;         /* seconds the server asked for, 0: none */
} cr_http_res;

/* One attempt. CR_OK only for a 2xx with the expected content type (and,
 * streaming, an event sink that accepted every event and a [DONE] or end).
 * res->body is initialised by the call; release it with cr_buf_release. */
cr_err cr_http_once(const cr_http_req *q, cr_http_res *res, cr_msg *m) CR_NODISCARD;

/* ---- the handle ---- */

struct cr_local;
struct cr_provider {
	char *name, *kind, *url, *model, *trust, *api_key, *model_path;
	double price_in, price_out;
	cr_provider_cfg cfg;
	cr_provider *fallback;
	struct cr_local *local;     /* local.c */
	cr_pii *pii;                /* redact.c: the detector, made on first use */
};

/* ---- redact.c: personal data kept from external providers ---- */

typedef struct cr_redaction {
	cr_pii *pii;                /* the provider's */
	cr_pii_map *map;            /* this call's placeholders */
	cr_provider_msg *msgs;      /* the redacted messages (arena) */
	cr_arena arena;
	cr_pii_stream stream;       /* restores streamed text */
	cr_buf piece;
	cr_provider_text_fn fn;     /* the caller's on_text */
	void *ctx;
} cr_redaction;

/* Whether a chat to p is redacted: trust "external" and not cfg.keep_pii. */
int cr_redaction_wanted(const cr_provider *p);
/* Redacts msgs into r->msgs (learning names over all of them first). */
cr_err cr_redaction_begin(cr_provider *p, const cr_provider_msg *msgs, size_t n, const cr_provider_chat_opts *o,
			  cr_redaction *r, cr_msg *m) CR_NODISCARD;
/* A cr_provider_text_fn (ctx: the cr_redaction) restoring into the caller's on_text. */
int cr_redaction_text(void *ctx, const char *text, size_t len);
/* Passes the text a stream held back to the caller's on_text (non-zero: it stopped). */
int cr_redaction_flush(cr_redaction *r);
/* Restores the reply's text and tool calls' arguments (in its arena). */
cr_err cr_redaction_restore_reply(cr_redaction *r, cr_provider_reply *out) CR_NODISCARD;
void cr_redaction_end(cr_redaction *r);
/* Texts to embed, redacted into arena a (one map for the batch, dropped
 * after: embeddings are never restored). */
cr_err cr_redaction_texts(cr_provider *p, const char *const *texts, size_t n, cr_arena *a, const char *const **out,
			  cr_msg *m) CR_NODISCARD;

/* What one provider does for one chat, without failover or metering. */
cr_err cr_openai_chat(cr_provider *p, const cr_provider_msg *msgs, size_t n, const cr_provider_chat_opts *o,
		      cr_chat_acc *acc, int *attempts, int *retryable, cr_msg *m) CR_NODISCARD;
cr_err cr_openai_embed(cr_provider *p, const char *const *texts, size_t n, cr_arena *a, float **vecs, int *dim,
		       const cr_cancel *cancel, cr_msg *m) CR_NODISCARD;
cr_err cr_openai_models(cr_provider *p, cr_arena *a, const char ***ids, size_t *n, const cr_cancel *cancel,
			cr_msg *m) CR_NODISCARD;
cr_err cr_local_chat(cr_provider *p, const cr_provider_msg *msgs, size_t n, const cr_provider_chat_opts *o,
		     cr_chat_acc *acc, cr_msg *m) CR_NODISCARD;
cr_err cr_local_embed(cr_provider *p, const char *const *texts, size_t n, cr_arena *a, float **vecs, int *dim,
		      const cr_cancel *cancel, cr_msg *m) CR_NODISCARD;
/* A chat with tools on the local engine (local_tools.c): the reply decoded
 * under the tools' schemas, as one tool call or an answer, into acc. */
cr_err cr_local_chat_tools(cr_provider *p, cr_model *md, cr_gen *gen, const cr_provider_msg *msgs, size_t n,
			   const cr_provider_chat_opts *o, cr_chat_acc *acc, cr_msg *m) CR_NODISCARD;
void cr_local_free(struct cr_local *l);

#endif
