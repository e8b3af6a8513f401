/*
 * server.h — `cristal serve`: the corpus, the answerer and the providers
 * over HTTP (libmicrohttpd), calling the same library functions as the
 * command line.
 *
 * Routes (the OpenAPI 3.1 document at /api/openapi.json lists them all):
 *   GET  /healthz /readyz /metrics        process, corpus, Prometheus text
 *   GET  /api/search?q=&k=&type=&path=    cr_corpus_results_json's object
 *   POST /api/ask                         cr_answer_json's object, or SSE
 *   GET  /api/documents[?after=&limit=]   the catalog's documents, by id
 *   GET  /api/documents/{id or name}      cr_corpus_doc_json's object
 *   GET  /api/providers, /api/usage       read-only (usage: the caller's
 *                                         tenant, or a member's own)
 *   POST /api/login, /api/logout          browser sessions (a cookie)
 *   GET  /api/ingest                      per source root what the caller may read
 *   POST /api/agents/NAME/runs, GET|DELETE /api/runs/ID, GET
 *        /api/runs/ID/events              agent runs in the background
 *   GET  /api/users                       the tenant's users (admin); PATCH
 *        /api/users/NAME its role and groups; POST /api/me/password one's own
 *   GET  /api/audit                       the tenant's audit records
 *                                         (admin, auditor)
 *   GET  /v1/models, POST /v1/chat/completions, POST /v1/embeddings
 *                                         OpenAI-compatible; model
 *                                         "cristal-rag" answers as ask does
 *   GET  /  and the web UI's files        embedded at build time (web/)
 * Errors are {"error": {"code", "message"}} with the HTTP status that fits
 * the cr_err (server_int.h srv_status).
 *
 * Threads: libmicrohttpd's internal pool of cfg.n_threads threads runs the
 * handlers; one cr_corpus serves them all (corpus.h). A streamed answer
 * (server-sent events) runs on a thread of its own, its connection
 * suspended while nothing is ready; a client that goes away cancels its
 * work through its cr_cancel.
 */
#ifndef CRISTAL_SERVER_H
#define CRISTAL_SERVER_H

#include "cristal/base.h"
#include "cristal/corpus.h"
#include "cristal/provider.h"

typedef struct cr_server cr_server;

typedef struct cr_server_cfg {
	const char *listen;     /* "ADDR:PORT" (IPv4, [IPv6] or a name of
				 * localhost); NULL: 127.0.0.1:8080; port 0: any
				 * free port (cr_server_port says which) */
	int n_threads;          /* request threads; <= 0: one per core, at least 2 */
	size_t max_body;        /* request body cap in bytes; 0: 1 MiB */
	int max_streams;        /* streams open at once; <= 0: 64 (then 503) */
	double grace;           /* seconds a shutdown lets streams finish; < 0: 5 */
	cr_provider_key_fn key; /* providers' API keys (the CLI passes getenv) */
	void *key_ctx;
	const char *data_dir;   /* shown by /readyz (may be NULL) */
	const char *tls_cert;   /* PEM certificate chain file: serve HTTPS; NULL: HTTP */
	const char *tls_key;    /* PEM private key file (needed with tls_cert) */
	const char *default_provider; /* the provider for requests that name none;
				       * NULL: the catalog's default */
	const char *audit_key;  /* the audit log's signing key file (audit.h);
				 * NULL: records chained but not signed */
	int64_t session_ttl;    /* seconds a browser session lasts; <= 0: 12 h */
	int64_t session_idle;   /* seconds unused before it ends; <= 0: 30 min */
	const struct cr_egress_policy *egress; /* what may leave for which provider, per tenant
				     * (policy.h); NULL: the defaults */
	size_t max_upload;      /* POST /api/documents body cap in bytes; 0: 32 MiB */
	const char *extract_worker; /* the program uploads are extracted by, jailed
				     * (ingest.h cr_extract_sandboxed; the CLI gives
				     * its own binary); NULL: uploads are refused */
	const char *mcp_clearance; /* the highest classification the MCP endpoint's
				    * tools return (policy.h names): its callers are
				    * assistants whose model Cristal does not know;
				    * NULL: "internal", as for an external provider */
	/* Runs stored agent `name` now for user (NULL: the local operator)
	 * and fills out with the run's JSON (cr_agent_result_json). on_step
	 * (may be NULL) gets each step as it ends, one JSON object {"step",
	 * "tool", "arguments", "result_summary", "ok", "ms"}; a requested
	 * cancel (may be NULL) stops the run through the agent's own
	 * cr_cancel, and the run is recorded as canceled. Called on a request
	 * thread (POST /api/agents/NAME/run) or a run's thread (POST
	 * /api/agents/NAME/runs). NULL: those routes answer 501. The CLI runs
	 * `cristal agent run` in a child process. */
	cr_err (*agent_run)(void *ctx, const char *name, const char *user, const cr_cancel *cancel,
			    void (*on_step)(void *step_ctx, const char *json, size_t n), void *step_ctx, cr_buf *out,
			    cr_msg *m);
	void *agent_run_ctx;
} cr_server_cfg;
CR_API cr_server_cfg cr_server_cfg_default(void);

/* Binds the address and starts serving c (not owned; it must outlive the
 * server). CR_EINVAL for a bad address, CR_EIO when it cannot bind or read
 * the TLS files, CR_ECORRUPT when GnuTLS refuses them, CR_EUNSUPPORTED for
 * TLS files when libmicrohttpd was built without TLS (checked at run time:
 * cr_server_tls_supported). */
CR_API cr_err cr_server_new(cr_corpus *c, const cr_server_cfg *cfg, cr_server **out, cr_msg *m) CR_NODISCARD;
/* 1 when the libmicrohttpd this process runs with can serve HTTPS. */
CR_API int cr_server_tls_supported(void);
/* The bound port and "http://ADDR:PORT" ("https://" with TLS). */
CR_API int cr_server_port(const cr_server *s);
CR_API const char *cr_server_url(const cr_server *s);
/* Serves until cr_server_stop; then stops accepting, lets streams finish
 * for cfg.grace seconds, cancels the rest (their clients get a final error
 * event), and returns once every connection is closed. */
CR_API cr_err cr_server_run(cr_server *s, cr_msg *m) CR_NODISCARD;
/* Asks cr_server_run to return: async-signal-safe (a write to a pipe). */
CR_API void cr_server_stop(cr_server *s);
/* After cr_server_run returned (or instead of it). NULL is fine. */
CR_API void cr_server_free(cr_server *s);

#endif
