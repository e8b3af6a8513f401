/*
 * mcp_int.h — the MCP client's private parts: the connection, the two
 * transports (stdio.c, http.c) and the message classifier (message.c) the
 * fuzz target drives.
 */
#ifndef CR_MCP_INT_H
#define CR_MCP_INT_H

#include "cristal/mcp.h"

#include <jansson.h>
#include <sys/types.h>

/* What one incoming JSON-RPC message is. */
typedef enum { CR_MCP_RESPONSE, CR_MCP_REQUEST, CR_MCP_NOTIFICATION } cr_mcp_kind;

typedef struct cr_mcp_msg {
	cr_mcp_kind kind;
	json_t *root;       /* owns everything below */
	json_t *id;         /* response, request (borrowed) */
	const char *method; /* request, notification */
	json_t *result;     /* response: result, or NULL when error */
	const char *error;  /* response: error.message ("" if none given) */
	long long error_code;
} cr_mcp_msg;

/* Parses and classifies n bytes as one JSON-RPC 2.0 message: CR_ECORRUPT
 * (with the reason) for anything else, including batches. On CR_OK the
 * caller frees out->root with json_decref. */
cr_err cr_mcp_msg_parse(const char *s, size_t n, cr_mcp_msg *out, cr_msg *m) CR_NODISCARD;

/* An SSE decoder: fed bytes in any pieces, calls fn with each event's data
 * (data lines joined by \n). Lines over cap are CR_ETOOBIG. */
typedef struct cr_mcp_sse {
	cr_buf line, data;
} cr_mcp_sse;
typedef cr_err (*cr_mcp_sse_fn)(void *ctx, const char *data, size_t n, cr_msg *m);
void cr_mcp_sse_init(cr_mcp_sse *s, size_t cap);
void cr_mcp_sse_release(cr_mcp_sse *s);
cr_err cr_mcp_sse_feed(cr_mcp_sse *s, const char *p, size_t n, cr_mcp_sse_fn fn, void *ctx, cr_msg *m) CR_NODISCARD;
/* Ends the stream: an event not closed by a blank line is still delivered. */
cr_err cr_mcp_sse_end(cr_mcp_sse *s, cr_mcp_sse_fn fn, void *ctx, cr_msg *m) CR_NODISCARD;

/* Called by a transport for every message it receives while waiting for
 * the reply to request id: returns 1 when msg is that reply (kept in
 * c->reply), 0 to keep waiting, -1 with m set for a fatal reply. */
typedef struct cr_mcp_wait {
	struct cr_mcp *c;
	long long id;
	int done;
	cr_mcp_msg reply;
} cr_mcp_wait;
cr_err cr_mcp_on_message(cr_mcp_wait *w, const char *s, size_t n, cr_msg *m) CR_NODISCARD;

struct cr_mcp {
	int http;
	double timeout;
	size_t max_msg;
	const cr_cancel *cancel;
	long long next_id;
	char name[128], version[64];
	/* stdio */
	pid_t pid;
	int fd_to, fd_from, fd_err;
	cr_buf rbuf;   /* bytes read from stdout, not yet a whole line */
	char errtail[2048];
	size_t n_errtail;
	/* http */
	void *curl;
	char *url, *bearer, *session;
	int initialized;
};

/* Transports: send one message (text, no newline); for a request (id >= 0)
 * wait for its reply through w. */
cr_err cr_mcp_stdio_start(struct cr_mcp *c, const char *command, cr_msg *m) CR_NODISCARD;
cr_err cr_mcp_stdio_send(struct cr_mcp *c, const char *text, size_t n, cr_mcp_wait *w, cr_msg *m) CR_NODISCARD;
void cr_mcp_stdio_stop(struct cr_mcp *c);
cr_err cr_mcp_http_start(struct cr_mcp *c, const char *url, const char *bearer, cr_msg *m) CR_NODISCARD;
cr_err cr_mcp_http_send(struct cr_mcp *c, const char *text, size_t n, cr_mcp_wait *w, cr_msg *m) CR_NODISCARD;
void cr_mcp_http_stop(struct cr_mcp *c);

#endif
