/*
 * server_int.h — the server's private structures: requests, routes,
 * streams, metrics, the pool of provider chains, request decoders.
 *
 * A request (srv_req) lives from libmicrohttpd's first call of the access
 * handler to its completion callback; everything it allocates lives in its
 * arena. Its handler answers at once (srv_reply*) or hands the work to a
 * stream (srv_stream), which owns an arena of its own and outlives the
 * handler. Metrics are recorded at completion, so a stream's latency is
 * its whole duration.
 */
#ifndef CR_SERVER_INT_H
#define CR_SERVER_INT_H

#include "cristal/answer.h"
#include "cristal/audit.h"
#include "cristal/auth.h"
#include "cristal/corpus.h"
#include "cristal/provider.h"
#include "cristal/server.h"

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>

/* ---- who asks --------------------------------------------------------- */

/*
 * The request context: who is asking, in which tenant and groups. Today,
 * with no users configured, every request is the local operator (user
 * NULL, principal NULL: no ACL filter) and the server listens on loopback.
 * Authentication fills it from a token; document ACLs and governance
 * rules read it (who is given to every search and ask).
 */
typedef struct srv_ctx {
	const char *user;         /* NULL: the local operator (no users configured) */
	int64_t user_id;
	const char *role;         /* "admin" | "member" | "auditor" */
	uint32_t tenant;
	const uint32_t *groups;
	uint32_t n_groups;
	const cr_principal *who;  /* what searches filter by; NULL: no filter */
	const char *tenant_name;  /* the tenant's name ("default"); NULL for the local operator */
	const char *via;          /* "token:ID" | "session"; NULL for the local operator */
} srv_ctx;

/* A deep copy of a context into arena a (a stream's job outlives its
 * request, whose arena holds the original). */
cr_err srv_ctx_copy(cr_arena *a, const srv_ctx *in, srv_ctx *out) CR_NODISCARD;

/* ---- routes ----------------------------------------------------------- */

typedef struct srv_req srv_req;
typedef enum MHD_Result (*srv_handler)(srv_req *r);

typedef struct srv_route {
	const char *method;  /* "GET", "POST" */
	const char *path;    /* "/api/search"; a trailing "{id}" takes the rest of the path */
	const char *name;    /* metrics label */
	srv_handler fn;
	int body;            /* 1: reads a JSON body; 2: a file (up to max_upload) */
	int auth;            /* 1: once users exist, a valid token is required */
} srv_route;
/* Which roles may use a route, and whether it counts against the quotas:
 * by route name (session.c's table). A route it does not name is open to
 * admins and members and is counted. */
#define SRV_ROLE_ADMIN 1
#define SRV_ROLE_MEMBER 2
#define SRV_ROLE_AUDITOR 4
#define SRV_ROLE_ANY 7
#define SRV_UNMETERED 8
/* what every tenant shares (group names, the providers' kill-switch): the
 * local operator's and the default tenant's admins' only */
#define SRV_OPERATOR 16
int srv_route_policy(const srv_route *rt);
extern const srv_route srv_routes[];
extern const size_t srv_n_routes;
/* The route for method and path (*param: the {id} part), NULL when none;
 * *path_known is set when the path exists under another method. */
const srv_route *srv_route_find(const char *method, const char *path, const char **param, int *path_known);

/* ---- requests --------------------------------------------------------- */

typedef struct srv_stream srv_stream;

struct srv_req {
	cr_server *s;
	struct MHD_Connection *conn;
	const char *method, *url;
	const srv_route *route;
	const char *param;
	cr_buf body;
	int too_big, started, authed;
	size_t dropped;     /* body bytes dropped past the cap */
	cr_arena arena;
	double t0;
	unsigned status;
	srv_stream *stream; /* set when the response is a stream */
	srv_ctx ctx;
	const char *set_cookie; /* a Set-Cookie header for the response */
	long retry_after;       /* > 0: a Retry-After header (seconds) */
	char csrf[65];          /* the session's CSRF token (cookie requests) */
	cr_quota_verdict quota; /* why a request was over its quota */
};

/* ---- responses (reply.c) ---------------------------------------------- */

/* Queues a response (the bytes are copied) and records its status. */
enum MHD_Result srv_reply(srv_req *r, unsigned status, const char *type, const char *p, size_t n);
enum MHD_Result srv_reply_json(srv_req *r, unsigned status, const cr_buf *b);
/* A JSON value as the body (compact, a newline after it); o is released;
 * NULL (a failed json_pack) answers 500. */
enum MHD_Result srv_reply_jsonv(srv_req *r, unsigned status, json_t *o);
/* {"error": {"code": code, "message": ...}} */
enum MHD_Result srv_error(srv_req *r, unsigned status, const char *code, const char *fmt, ...) CR_PRINTF(4, 5);
/* The status and code that fit a library error, message from m (or cr_strerror). */
enum MHD_Result srv_error_err(srv_req *r, cr_err e, const cr_msg *m);
unsigned srv_status(cr_err e);
/* A GET argument, NULL when absent; invalid UTF-8 sets *bad. */
const char *srv_arg(srv_req *r, const char *key, int *bad);

/* ---- request decoders (decode.c; fuzz/fuzz_server.c) ------------------ */

/* Every decoder takes untrusted bytes and returns CR_ECORRUPT with the
 * reason in m for anything malformed (bad JSON, invalid UTF-8, wrong
 * types, out-of-range values); results live in arena a. */
typedef struct srv_ask_req {
	const char *question;
	int k;                 /* 0: default */
	int stream;
	const char *provider;  /* NULL: the default provider, if any */
	int extractive;
} srv_ask_req;
cr_err srv_decode_ask(const char *p, size_t n, cr_arena *a, srv_ask_req *out, cr_msg *m) CR_NODISCARD;

/* POST /api/login: user (1 to 64 bytes) and password (1 to 4,096). */
typedef struct srv_login_req {
	const char *user, *password;
} srv_login_req;
cr_err srv_decode_login(const char *p, size_t n, cr_arena *a, srv_login_req *out, cr_msg *m) CR_NODISCARD;

#define SRV_CHAT_MAX_MSGS 256
#define SRV_CHAT_MAX_STOP 4
typedef struct srv_chat_req {
	const char *model;
	cr_provider_msg *msgs;
	size_t n_msgs;
	int stream;
	int max_tokens;           /* 0: default */
	double temperature;       /* < 0: default */
	const char *stop[SRV_CHAT_MAX_STOP];
	size_t n_stop;
	const char *tools_json;   /* NULL: none */
	const char *tool_choice;  /* string or JSON text; NULL: unset */
	int include_usage;        /* stream_options.include_usage */
} srv_chat_req;
cr_err srv_decode_chat(const char *p, size_t n, cr_arena *a, srv_chat_req *out, cr_msg *m) CR_NODISCARD;

#define SRV_EMBED_MAX_INPUTS 256
typedef struct srv_embed_req {
	const char *model;
	const char **inputs;
	size_t n_inputs;
} srv_embed_req;
cr_err srv_decode_embed(const char *p, size_t n, cr_arena *a, srv_embed_req *out, cr_msg *m) CR_NODISCARD;

/* POST /mcp: one JSON-RPC 2.0 message (protocol 2025-06-18 has no
 * batches). On CR_ECORRUPT, *rpc_code says which JSON-RPC error fits
 * (-32700: not JSON; -32600: not a valid message) and out->id is the id
 * when one could be read. */
typedef enum { SRV_MCP_REQUEST, SRV_MCP_NOTIFICATION, SRV_MCP_RESPONSE } srv_mcp_kind;
typedef struct srv_mcp_msg {
	srv_mcp_kind kind;
	const char *id;     /* a request's id as JSON text ("7", "\"a\""); else NULL */
	const char *method; /* 1 to 128 bytes; NULL for a response */
	const char *params; /* a JSON object as compact text; NULL when absent */
} srv_mcp_msg;
cr_err srv_decode_mcp(const char *p, size_t n, cr_arena *a, srv_mcp_msg *out, int *rpc_code, cr_msg *m) CR_NODISCARD;

/* The admin routes' bodies (admin.c), by kind:
 *   SRV_ADMIN_USER    POST /api/users {name, role?, tenant?, groups?: [..64],
 *                     password?: 8 to 4,096 bytes}
 *   SRV_ADMIN_GROUP   POST /api/groups {name}
 *   SRV_ADMIN_TOKEN   POST /api/tokens {user, label?, days?: 0 to 36,500}
 *   SRV_ADMIN_SUSPEND POST /api/providers/NAME/suspend {reason: 1 to 1,024}
 *   SRV_ADMIN_USER_SET PATCH /api/users/NAME {role?, groups?: [..64]} (one
 *                     at least; groups, even [], replaces them: set_groups)
 *   SRV_ADMIN_PASSWORD POST /api/me/password {current: 1 to 4,096 bytes
 *                     (in password), new: 8 to 4,096 (in new_password)}
 * Names are 1 to 64 bytes (the store checks their characters); unknown
 * members are refused, so a misspelt one is not silently ignored. */
typedef enum {
	SRV_ADMIN_USER,
	SRV_ADMIN_GROUP,
	SRV_ADMIN_TOKEN,
	SRV_ADMIN_SUSPEND,
	SRV_ADMIN_USER_SET,
	SRV_ADMIN_PASSWORD
} srv_admin_kind;
#define SRV_ADMIN_MAX_GROUPS 64
#define SRV_ADMIN_MAX_EMAILS 16
typedef struct srv_admin_req {
	const char *name, *role, *tenant, *password;
	const char *groups[SRV_ADMIN_MAX_GROUPS];
	uint32_t n_groups;
	const char *user, *label, *reason;
	int days;
	int set_groups;           /* SRV_ADMIN_USER_SET: groups given */
	const char *emails[SRV_ADMIN_MAX_EMAILS]; /* cr_email_norm's form */
	uint32_t n_emails;
	int set_emails;           /* SRV_ADMIN_USER_SET: emails given */
	const char *new_password; /* SRV_ADMIN_PASSWORD */
} srv_admin_req;
cr_err srv_decode_admin(const char *p, size_t n, srv_admin_kind kind, cr_arena *a, srv_admin_req *out,
			cr_msg *m) CR_NODISCARD;

/* A decimal integer in [lo, hi]; NULL or "" gives def. */
cr_err srv_parse_int(const char *s, long lo, long hi, long def, long *out, cr_msg *m) CR_NODISCARD;
/* "ADDR:PORT", "[v6]:PORT" or "PORT" into host (cap bytes) and port. */
cr_err srv_parse_listen(const char *s, char *host, size_t cap, int *port, cr_msg *m) CR_NODISCARD;
/* A path safe to look up among the embedded files: no "..", no "//", no
 * backslash, no NUL or control bytes, valid UTF-8. */
int srv_path_safe(const char *p, size_t n);
/* The search query text from q and the filters (type, path, from, to) as
 * the query language writes them; CR_ECORRUPT for a filter with spaces or
 * quotes. */
cr_err srv_query_text(cr_arena *a, const char *q, const char *type, const char *path, const char *from,
		      const char *to, const char **out, cr_msg *m) CR_NODISCARD;

/* ---- streams (stream.c) ----------------------------------------------- */

typedef void (*srv_stream_fn)(srv_stream *st, void *job);
struct srv_stream {
	cr_server *s;
	pthread_mutex_t mu;
	struct MHD_Connection *conn;
	int fd;            /* the connection's socket, polled while suspended */
	cr_buf out;        /* bytes not yet handed to libmicrohttpd */
	size_t off;
	int done, suspended, refs, gone;
	cr_cancel cancel;
	cr_arena arena;    /* the job's memory */
	srv_stream_fn fn;
	void *job;
	srv_stream *next, *prev; /* the server's open streams */
};
/* A stream for request r: its arena is for the job. NULL: none free (the
 * handler has answered 503). */
srv_stream *srv_stream_new(srv_req *r);
/* Queues the text/event-stream response and starts fn(st, job) on a thread
 * of its own. On failure the stream is freed and an error answered. */
enum MHD_Result srv_stream_start(srv_req *r, srv_stream *st, srv_stream_fn fn, void *job);
/* Frees a stream that was never started. */
void srv_stream_drop(srv_stream *st);
/* Appends bytes for the client. Non-zero: the client is gone or the
 * server stops (stop the work: cr_cancel_check(&st->cancel) says so). */
int srv_stream_write(srv_stream *st, const char *p, size_t n);
/* One SSE event: "event: ev\n" (if ev), "data: <data>\n\n". */
int srv_stream_event(srv_stream *st, const char *ev, const char *data, size_t n);
/* The client went away (completion callback): cancels the work. */
void srv_stream_client_gone(srv_stream *st);
/* Drops the request's reference (completion callback). */
void srv_stream_unref(srv_stream *st);
/* The server's watchdog: cancels suspended streams whose client hung up. */
void srv_streams_watch(cr_server *s);
/* Cancels every open stream (shutdown). */
void srv_streams_cancel_all(cr_server *s);

/* ---- metrics (metrics.c) ---------------------------------------------- */

#define SRV_METRICS_MAX 256
#define SRV_N_BUCKETS 12
typedef struct srv_metric {
	const char *route;
	unsigned status;
	uint64_t count;
	double sum;
	uint64_t buckets[SRV_N_BUCKETS];
} srv_metric;
typedef struct srv_metrics {
	pthread_mutex_t mu;
	srv_metric m[SRV_METRICS_MAX];
	size_t n;
	uint64_t dropped;
} srv_metrics;
void srv_metrics_init(srv_metrics *mt);
void srv_metrics_release(srv_metrics *mt);
void srv_metrics_observe(srv_metrics *mt, const char *route, unsigned status, double seconds);
enum MHD_Result srv_handle_metrics(srv_req *r);

/* ---- provider chains (chains.c) --------------------------------------- */

/* A provider chain checked out for one request, with the catalog
 * connection that meters it. */
typedef struct srv_chain {
	char *name;
	cr_provider_chain *chain;
	cr_store *store;
	struct srv_chain *next;
} srv_chain;
/* The named provider's chain (NULL: the default provider's; CR_ENOTFOUND
 * when there is none). Give it back with srv_chain_put. */
cr_err srv_chain_get(cr_server *s, const char *name, srv_chain **out, cr_msg *m) CR_NODISCARD;
void srv_chain_put(cr_server *s, srv_chain *c);
void srv_chains_free(cr_server *s);

/* ---- log-in, sessions, roles, quotas (session.c) ----------------------- */

/* Failed log-ins remembered per user and per client address: after
 * SRV_LOGIN_MAX_USER (or _ADDR) failures within SRV_LOGIN_WINDOW seconds,
 * log-ins for that key are refused (429) for 30 s, doubling with each
 * further failure up to the window. A success forgets the user's. */
#define SRV_LOGIN_MAX_USER 5
#define SRV_LOGIN_MAX_ADDR 20
#define SRV_LOGIN_WINDOW 900
#define SRV_LOGIN_SLOTS 1024
typedef struct srv_login_slot {
	char key[96];      /* "u:NAME" | "a:ADDRESS"; "" : free */
	int fails;
	int64_t first, until;
} srv_login_slot;
typedef struct srv_limiter {
	pthread_mutex_t mu;
	srv_login_slot slot[SRV_LOGIN_SLOTS];
} srv_limiter;

enum MHD_Result srv_handle_login(srv_req *r);
enum MHD_Result srv_handle_logout(srv_req *r);
/* The client's address as text ("?" when unknown). */
void srv_client_addr(srv_req *r, char *out, size_t cap);

/* ---- the audit log (record.c) ------------------------------------------- */

/* Appends a record for ctx's user (actor "user:NAME", or "local" for the
 * local operator), adding the tenant and how the request authenticated to
 * detail (owned: always released). An error means nothing may be shown. */
cr_err srv_audit(cr_server *s, const srv_ctx *ctx, const char *action, json_t *detail, cr_msg *m) CR_NODISCARD;
/* A JSON array of ids (NULL when out of memory). */
json_t *srv_audit_ids(const int64_t *ids, size_t n);

/* The provider calls a checked-out chain makes are metered for ctx's
 * user and tenant (srv_chain_put clears it). */
void srv_chain_for(srv_chain *c, const srv_ctx *ctx);

/* ---- uploads being ingested (ingest.c) ---------------------------------- */

#define SRV_INGEST_SLOTS 32
typedef struct srv_ingest_slot {
	int used;
	uint32_t tenant;
	char user[80];     /* "" for the local operator */
	char doc[512];     /* the document's name */
	int64_t since;     /* unix seconds */
} srv_ingest_slot;
typedef struct srv_ingests {
	pthread_mutex_t mu;
	int running;       /* uploads in ingest now (past the slots too) */
	srv_ingest_slot slot[SRV_INGEST_SLOTS];
} srv_ingests;
/* An upload of doc for ctx's user begins its ingest: the slot to give to
 * srv_ingest_end (-1 when all are taken: it is counted, not listed). */
int srv_ingest_begin(cr_server *s, const srv_ctx *ctx, const char *doc);
void srv_ingest_end(cr_server *s, int slot);
int srv_ingest_running(cr_server *s);

/* ---- agent runs in the background (runs.c) ------------------------------ */

#define SRV_MAX_RUNS 4   /* running at once (then 429) */
#define SRV_KEEP_RUNS 64 /* finished runs remembered */
typedef struct srv_run srv_run;
typedef struct srv_runs {
	pthread_mutex_t mu;
	pthread_cond_t cv;   /* a run ended */
	srv_run *list;       /* newest first */
	int n_running;
	int64_t last_id;
} srv_runs;
void srv_runs_init(cr_server *s);
/* Requests every running run's cancel (shutdown). */
void srv_runs_cancel_all(cr_server *s);
/* Waits until no run is running or the time is up; 1 if none is. */
int srv_runs_wait(cr_server *s, double seconds);
int srv_runs_running(cr_server *s);
/* Cancels, waits for and frees the runs (cr_server_free). */
void srv_runs_free(cr_server *s);

/* ---- the server ------------------------------------------------------- */

struct cr_server {
	cr_corpus *corpus;
	cr_server_cfg cfg;
	int mcp_clearance;        /* cfg.mcp_clearance as a level (policy.h) */
	struct MHD_Daemon *d;
	char host[256];
	int port;
	char url[300];
	int pipe[2];
	pthread_mutex_t mu;       /* streams, chains */
	pthread_cond_t cv;        /* a stream ended */
	srv_stream *streams;
	int n_streams;            /* under mu */
	atomic_int open_streams;  /* for /metrics */
	atomic_int stopping;
	srv_chain *idle;
	srv_metrics metrics;
	double started;
	uint8_t *tls_cert, *tls_key; /* PEM bytes, alive as long as the daemon */
	struct cr_audit *audit;   /* the audit log (audit.h); shared by all threads */
	srv_limiter *logins;      /* failed log-ins */
	srv_ingests ingests;      /* uploads being ingested */
	srv_runs runs;            /* agent runs in the background */
	struct {
		pthread_mutex_t mu;       /* emb: one query at a time */
		cr_embedder *emb;         /* the queries' embedder, opened on first need */
		cr_store *store;          /* its catalog connection (meters it) */
	} vec;                    /* vectors.c */
};

/* ---- vectors (vectors.c) ------------------------------------------------ */

/* The search mode for a query: mode NULL is hybrid when the corpus has
 * vectors, else bm25; "vector" and "hybrid" need vectors (CR_EINVAL).
 * For vector and hybrid, *vec is the text's embedding in arena a; an
 * embedding failure is CR_EUPSTREAM when a mode was asked for, else bm25. */
cr_err srv_search_mode(cr_server *s, cr_arena *a, const char *mode, const char *text, cr_search_mode *out,
		       const float **vec, int *dim, cr_msg *m) CR_NODISCARD;
/* After an upload's ingest: its new chunks embedded (failures logged). */
void srv_vectors_after_ingest(cr_server *s);
void srv_vectors_free(cr_server *s);

/* ---- handlers --------------------------------------------------------- */

enum MHD_Result srv_handle_healthz(srv_req *r);
enum MHD_Result srv_handle_readyz(srv_req *r);
enum MHD_Result srv_handle_search(srv_req *r);
enum MHD_Result srv_handle_ask(srv_req *r);
enum MHD_Result srv_handle_docs(srv_req *r);
enum MHD_Result srv_handle_doc(srv_req *r);
enum MHD_Result srv_handle_providers(srv_req *r);
enum MHD_Result srv_handle_usage(srv_req *r);
enum MHD_Result srv_handle_openapi(srv_req *r);
enum MHD_Result srv_handle_models(srv_req *r);
enum MHD_Result srv_handle_chat(srv_req *r);
enum MHD_Result srv_handle_embed(srv_req *r);
enum MHD_Result srv_handle_static(srv_req *r);
enum MHD_Result srv_handle_me(srv_req *r);
enum MHD_Result srv_handle_users(srv_req *r);
enum MHD_Result srv_handle_agents(srv_req *r);
enum MHD_Result srv_handle_agent_run(srv_req *r);
enum MHD_Result srv_handle_agent(srv_req *r);
enum MHD_Result srv_handle_user_add(srv_req *r);
enum MHD_Result srv_handle_user_rm(srv_req *r);
enum MHD_Result srv_handle_groups(srv_req *r);
enum MHD_Result srv_handle_group_add(srv_req *r);
enum MHD_Result srv_handle_group_rm(srv_req *r);
enum MHD_Result srv_handle_tokens(srv_req *r);
enum MHD_Result srv_handle_token_create(srv_req *r);
enum MHD_Result srv_handle_token_revoke(srv_req *r);
enum MHD_Result srv_handle_provider_suspend(srv_req *r);
enum MHD_Result srv_handle_provider_resume(srv_req *r);
enum MHD_Result srv_handle_audit(srv_req *r);
enum MHD_Result srv_handle_mcp(srv_req *r);
enum MHD_Result srv_handle_meetings(srv_req *r);
enum MHD_Result srv_handle_meetings_report(srv_req *r);
enum MHD_Result srv_handle_code(srv_req *r);
enum MHD_Result srv_handle_code_report(srv_req *r);
enum MHD_Result srv_handle_docs_analysis(srv_req *r);
enum MHD_Result srv_handle_docs_report(srv_req *r);
enum MHD_Result srv_handle_upload(srv_req *r);
enum MHD_Result srv_handle_doc_delete(srv_req *r);
enum MHD_Result srv_handle_mcp_other(srv_req *r);
enum MHD_Result srv_handle_ingest(srv_req *r);
enum MHD_Result srv_handle_user_set(srv_req *r);
enum MHD_Result srv_handle_password(srv_req *r);
enum MHD_Result srv_handle_agent_runs(srv_req *r);
enum MHD_Result srv_handle_run(srv_req *r);
enum MHD_Result srv_handle_run_events(srv_req *r);
enum MHD_Result srv_handle_run_cancel(srv_req *r);
/* Fills r->ctx from the request's token or session cookie when users
 * exist (CR_EUNAUTH without a valid one; CR_EDENIED for a cookie request
 * that changes state without its CSRF token, or a role the route does not
 * allow; CR_ERATELIMIT over a quota, then the reply is srv_quota_reply's);
 * with no users, leaves the local operator. Counts the request for the
 * quotas. */
cr_err srv_authenticate(srv_req *r, cr_msg *m) CR_NODISCARD;
/* 429 with {"error": {"code": "quota_exceeded", "message", "limit",
 * "scope", "name", "value", "used", "resets"}} and Retry-After, from the
 * verdict srv_authenticate left in r. */
enum MHD_Result srv_quota_reply(srv_req *r, const cr_msg *m);

/* Answers a question as `ask` does: provider name (NULL: the default, if
 * any, else extractive), or extractive when asked. */
cr_err srv_answer(cr_server *s, cr_arena *a, const srv_ctx *ctx, const char *question, int k, const char *provider,
		  int extractive, const cr_cancel *cancel, cr_answer *out, cr_msg *m) CR_NODISCARD;
/* The answer's verified citations as a source list in text ("Sources:" /
 * "出典:", one line per citation: [n] doc, location, the quote). */
cr_err srv_sources_text(const cr_answer *ans, cr_buf *b) CR_NODISCARD;

/* The end of the next piece of a finished text to stream (a word, or a
 * CJK character; never inside a UTF-8 sequence). */
size_t srv_piece_end(const char *t, size_t len, size_t at);
/* An SSE error event for e (message from m). */
void srv_stream_error(srv_stream *st, cr_err e, const cr_msg *m);

/* ---- embedded files (assets.c; the generated srv_assets.c) ------------ */

typedef struct srv_asset {
	const char *path;   /* "/index.html", "/openapi.json" */
	const char *type;   /* content type */
	const unsigned char *data;
	size_t len;
} srv_asset;
const srv_asset *srv_asset_find(const char *path);

#endif
