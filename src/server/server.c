/*
 * server.c — the daemon: libmicrohttpd with an internal pool of request
 * threads (epoll where available), the route table, request bodies (capped:
 * a declared Content-Length over the cap is refused before the body is
 * read, a chunked body when it crosses it), the completion callback that
 * records metrics and cancels streams whose client left, and the run loop
 * (a self-pipe for cr_server_stop, the streams' watchdog every 200 ms,
 * then the graceful shutdown).
 *
 * Connection limits: 30 s of inactivity closes a connection (slow
 * clients), 64 KiB of request headers per connection (libmicrohttpd
 * answers 431 beyond), 1,024 connections.
 */
#define _GNU_SOURCE
#include "server_int.h"
#include "cristal/policy.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DROP_MAX ((size_t)64 << 20) /* body bytes read and dropped after the cap */

const srv_route srv_routes[] = {
	{"GET", "/healthz", "healthz", srv_handle_healthz, 0, 0},
	{"GET", "/readyz", "readyz", srv_handle_readyz, 0, 0},
	{"GET", "/metrics", "metrics", srv_handle_metrics, 0, 0},
	{"GET", "/api/openapi.json", "openapi", srv_handle_openapi, 0, 0},
	{"GET", "/api/search", "search", srv_handle_search, 0, 1},
	{"POST", "/api/ask", "ask", srv_handle_ask, 1, 1},
	{"GET", "/api/documents", "documents", srv_handle_docs, 0, 1},
	{"GET", "/api/documents/{id}", "document", srv_handle_doc, 0, 1},
	{"POST", "/api/documents", "upload", srv_handle_upload, 2, 1},
	{"DELETE", "/api/documents/{id}", "delete", srv_handle_doc_delete, 0, 1},
	{"GET", "/api/ingest", "ingest", srv_handle_ingest, 0, 1},
	{"GET", "/api/meetings", "meetings", srv_handle_meetings, 0, 1},
	{"GET", "/api/code", "code", srv_handle_code, 0, 1},
	{"GET", "/api/reports/meetings", "report_meetings", srv_handle_meetings_report, 0, 1},
	{"GET", "/api/reports/code", "report_code", srv_handle_code_report, 0, 1},
	{"GET", "/api/docs", "docs", srv_handle_docs_analysis, 0, 1},
	{"GET", "/api/reports/docs", "report_docs", srv_handle_docs_report, 0, 1},
	{"GET", "/api/providers", "providers", srv_handle_providers, 0, 1},
	{"GET", "/api/usage", "usage", srv_handle_usage, 0, 1},
	{"GET", "/api/me", "me", srv_handle_me, 0, 1},
	{"POST", "/api/me/password", "password", srv_handle_password, 1, 1},
	{"POST", "/api/login", "login", srv_handle_login, 1, 0},
	{"POST", "/api/logout", "logout", srv_handle_logout, 0, 1},
	{"GET", "/api/users", "users", srv_handle_users, 0, 1},
	{"POST", "/api/users", "user_add", srv_handle_user_add, 1, 1},
	{"DELETE", "/api/users/{name}", "user_rm", srv_handle_user_rm, 0, 1},
	{"PATCH", "/api/users/{name}", "user_set", srv_handle_user_set, 1, 1},
	{"GET", "/api/groups", "groups", srv_handle_groups, 0, 1},
	{"POST", "/api/groups", "group_add", srv_handle_group_add, 1, 1},
	{"DELETE", "/api/groups/{name}", "group_rm", srv_handle_group_rm, 0, 1},
	{"GET", "/api/tokens", "tokens", srv_handle_tokens, 0, 1},
	{"POST", "/api/tokens", "token_create", srv_handle_token_create, 1, 1},
	{"DELETE", "/api/tokens/{id}", "token_revoke", srv_handle_token_revoke, 0, 1},
	{"POST", "/api/providers/{name}/suspend", "provider_suspend", srv_handle_provider_suspend, 1, 1},
	{"DELETE", "/api/providers/{name}/suspend", "provider_resume", srv_handle_provider_resume, 0, 1},
	{"GET", "/api/audit", "audit", srv_handle_audit, 0, 1},
	{"GET", "/api/agents", "agents", srv_handle_agents, 0, 1},
	{"GET", "/api/agents/{name}", "agent", srv_handle_agent, 0, 1},
	{"POST", "/api/agents/{name}/run", "agent_run", srv_handle_agent_run, 0, 1},
	{"POST", "/api/agents/{name}/runs", "agent_runs", srv_handle_agent_runs, 0, 1},
	{"GET", "/api/runs/{id}/events", "run_events", srv_handle_run_events, 0, 1},
	{"GET", "/api/runs/{id}", "run", srv_handle_run, 0, 1},
	{"DELETE", "/api/runs/{id}", "run_cancel", srv_handle_run_cancel, 0, 1},
	{"GET", "/v1/models", "models", srv_handle_models, 0, 1},
	{"POST", "/mcp", "mcp", srv_handle_mcp, 1, 1},
	{"GET", "/mcp", "mcp", srv_handle_mcp_other, 0, 0},
	{"POST", "/v1/chat/completions", "chat", srv_handle_chat, 1, 1},
	{"POST", "/v1/embeddings", "embeddings", srv_handle_embed, 1, 1},
	{"GET", "/", "ui", srv_handle_static, 0, 0},
	{"GET", "/{file}", "ui", srv_handle_static, 0, 0},
};
const size_t srv_n_routes = CR_ARRAY_LEN(srv_routes);

static int path_match(const char *pat, const char *path, const char **param)
{
	const char *brace = strchr(pat, '{');
	if (!brace)
		return !strcmp(pat, path);
	size_t pre = (size_t)(brace - pat);
	if (strncmp(pat, path, pre) || !path[pre])
		return 0;
	/* "/api/runs/{id}/events": the path ends with what follows the
	 * parameter, and the parameter is not empty (the handler strips it) */
	const char *close = strchr(brace, '}'), *suf = close ? close + 1 : "";
	size_t n_suf = strlen(suf), n = strlen(path + pre);
	if (n_suf && (n <= n_suf || strcmp(path + pre + n - n_suf, suf)))
		return 0;
	*param = path + pre;
	return 1;
}

const srv_route *srv_route_find(const char *method, const char *path, const char **param, int *path_known)
{
	*path_known = 0;
	*param = NULL;
	for (size_t i = 0; i < srv_n_routes; i++) {
		const srv_route *rt = &srv_routes[i];
		const char *p = NULL;
		if (!path_match(rt->path, path, &p))
			continue;
		if (!strcmp(rt->method, method) || (!strcmp(method, "HEAD") && !strcmp(rt->method, "GET"))) {
			*param = p;
			return rt;
		}
		/* the web UI's catch-all does not make every path known */
		if (strcmp(rt->path, "/{file}"))
			*path_known = 1;
	}
	return NULL;
}

cr_server_cfg cr_server_cfg_default(void)
{
	cr_server_cfg c = {0};
	c.listen = "127.0.0.1:8080";
	c.max_body = 1 << 20;
	c.max_upload = 32u << 20;
	c.max_streams = 64;
	c.grace = 5;
	return c;
}

/* ---- libmicrohttpd callbacks ------------------------------------------ */

static void req_free(srv_req *r)
{
	cr_buf_release(&r->body);
	cr_arena_release(&r->arena);
	cr_free(r);
}

static size_t body_cap(const cr_server *s, const srv_req *r)
{
	return r->route && r->route->body == 2 ? s->cfg.max_upload : s->cfg.max_body;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	cr_server *s = cls;
	srv_req *r = *con_cls;
	if (!r) {
		if (!(r = cr_calloc(1, sizeof *r)))
			return MHD_NO;
		r->s = s;
		r->conn = conn;
		r->method = method;
		r->url = url;
		r->t0 = cr_now();
		cr_arena_init(&r->arena, 0);
		*con_cls = r;
		int known;
		r->route = srv_route_find(method, url, &r->param, &known);
		if (!r->route) {
			r->status = known ? 405 : 404;
		}
		size_t cap = body_cap(s, r);
		cr_buf_init(&r->body, cap);
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > cap) {
			r->too_big = 1;
			r->started = 1;
			return srv_error(r, 413, NULL, "the request body is over %zu bytes", cap);
		}
		/* a file upload is authenticated before its body is read */
		if (r->route && r->route->body == 2 && r->route->auth && cr_utf8_valid((const uint8_t *)url, strlen(url))) {
			cr_msg m = {{0}};
			cr_err e = srv_authenticate(r, &m);
			r->authed = 1;
			if (e) {
				r->started = 1;
				r->too_big = 1; /* the body is dropped */
				if (e == CR_ERATELIMIT)
					return srv_quota_reply(r, &m);
				return srv_error(r, srv_status(e), NULL, "%s", m.text[0] ? m.text : cr_strerror(e));
			}
		}
		return MHD_YES;
	}
	if (*upload_size) {
		/* a chunked body over the cap: libmicrohttpd cannot answer
		 * before the body ends, so the rest is read and dropped, up to
		 * a bound past which the connection is closed */
		if (!r->too_big && cr_buf_add(&r->body, upload, *upload_size))
			r->too_big = 1;
		if (r->too_big && (r->dropped += *upload_size) > DROP_MAX)
			return MHD_NO;
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->started)
		return MHD_YES;
	r->started = 1;
	if (r->too_big)
		return srv_error(r, 413, NULL, "the request body is over %zu bytes", body_cap(s, r));
	if (!cr_utf8_valid((const uint8_t *)url, strlen(url)))
		return srv_error(r, 400, NULL, "the path is not valid UTF-8");
	if (!r->route) {
		if (r->status == 405)
			return srv_error(r, 405, NULL, "%s is not allowed on %s", method, url);
		return srv_error(r, 404, NULL, "no route %s %s", method, url);
	}
	if (r->route->body == 1) {
		const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
		if (ct && strncasecmp(ct, "application/json", 16) && strncasecmp(ct, "text/plain", 10))
			return srv_error(r, 415, NULL, "the body must be application/json, not %s", ct);
		if (!r->body.len)
			return srv_error(r, 400, NULL, "a JSON body is required");
	}
	if (atomic_load(&s->stopping) && r->route->body)
		return srv_error(r, 503, NULL, "the server is shutting down");
	if (r->route->auth && !r->authed) {
		cr_msg m = {{0}};
		cr_err e = srv_authenticate(r, &m);
		if (e == CR_ERATELIMIT)
			return srv_quota_reply(r, &m);
		if (e)
			return srv_error(r, srv_status(e), NULL, "%s", m.text[0] ? m.text : cr_strerror(e));
	}
	return r->route->fn(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	cr_server *s = cls;
	srv_req *r = *con_cls;
	if (!r)
		return;
	*con_cls = NULL;
	if (r->stream) {
		if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
			srv_stream_client_gone(r->stream);
		srv_stream_unref(r->stream);
	}
	unsigned status = r->status ? r->status : 499; /* closed before an answer */
	srv_metrics_observe(&s->metrics, r->route ? r->route->name : "unknown", status, cr_now() - r->t0);
	req_free(r);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	vsnprintf(line, sizeof line, fmt, ap);
	size_t n = strlen(line);
	while (n && line[n - 1] == '\n')
		line[--n] = 0;
	cr_log(CR_LOG_INFO, "http: %s", line);
}

/* ---- lifecycle --------------------------------------------------------- */

int cr_server_tls_supported(void) { return MHD_is_feature_supported(MHD_FEATURE_TLS) == MHD_YES; }

/* Reads the PEM files named by the configuration (both or neither). */
static cr_err load_tls(cr_server *s, cr_msg *m)
{
	const char *cert = s->cfg.tls_cert, *key = s->cfg.tls_key;
	if (!cert && !key)
		return CR_OK;
	if (!cert || !key)
		return cr_fail(m, CR_EINVAL, "TLS needs both a certificate and a key (--tls-cert FILE --tls-key FILE)");
	if (!cr_server_tls_supported())
		return cr_fail(m, CR_EUNSUPPORTED,
			       "the libmicrohttpd this program runs with was built without TLS support, so it cannot "
			       "serve HTTPS; serve HTTP behind a TLS-terminating proxy, or install a libmicrohttpd "
			       "built with GnuTLS (Debian's libmicrohttpd12 is)");
	size_t n;
	cr_msg fm = {{0}};
	if (cr_file_read(cert, 1 << 20, &s->tls_cert, &n, &fm))
		return cr_fail(m, CR_EIO, "TLS certificate %s: %s", cert, fm.text);
	if (!strstr((const char *)s->tls_cert, "-----BEGIN CERTIFICATE-----"))
		return cr_fail(m, CR_ECORRUPT, "TLS certificate %s: not a PEM certificate", cert);
	if (cr_file_read(key, 1 << 20, &s->tls_key, &n, &fm))
		return cr_fail(m, CR_EIO, "TLS key %s: %s", key, fm.text);
	if (!strstr((const char *)s->tls_key, "PRIVATE KEY-----"))
		return cr_fail(m, CR_ECORRUPT, "TLS key %s: not a PEM private key", key);
	return CR_OK;
}

cr_err cr_server_new(cr_corpus *c, const cr_server_cfg *cfg, cr_server **out, cr_msg *m)
{
	cr_server_cfg def = cr_server_cfg_default();
	struct addrinfo *ai = NULL; /* freed at fail:, which the first failures reach too */
	cr_server *s = cr_calloc(1, sizeof *s);
	if (!s)
		return cr_fail(m, CR_ENOMEM, "out of memory");
	s->corpus = c;
	s->cfg = cfg ? *cfg : def;
	if (!s->cfg.listen)
		s->cfg.listen = def.listen;
	if (s->cfg.n_threads <= 0)
		s->cfg.n_threads = CR_MAX(2, cr_ncpu());
	if (!s->cfg.max_body)
		s->cfg.max_body = def.max_body;
	if (!s->cfg.max_upload)
		s->cfg.max_upload = def.max_upload;
	if (s->cfg.max_streams <= 0)
		s->cfg.max_streams = def.max_streams;
	if (s->cfg.grace < 0)
		s->cfg.grace = def.grace;
	s->pipe[0] = s->pipe[1] = -1;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	srv_metrics_init(&s->metrics);
	pthread_mutex_init(&s->ingests.mu, NULL);
	pthread_mutex_init(&s->vec.mu, NULL);
	srv_runs_init(s);
	s->started = (double)cr_wallclock();
	if (s->cfg.session_ttl <= 0)
		s->cfg.session_ttl = 12 * 3600;
	if (s->cfg.session_idle <= 0)
		s->cfg.session_idle = 30 * 60;
	cr_err e;
	s->mcp_clearance = cr_class_parse(s->cfg.mcp_clearance ? s->cfg.mcp_clearance : "internal");
	if (s->mcp_clearance < 0) {
		e = cr_fail(m, CR_EINVAL, "mcp_clearance: '%s' is not public, internal, confidential or secret",
			    s->cfg.mcp_clearance);
		goto fail;
	}
	cr_audit_opts ao = {.key_path = s->cfg.audit_key};
	if ((e = cr_audit_open(&ao, &s->audit, m)))
		goto fail;
	if (!(s->logins = cr_calloc(1, sizeof *s->logins))) {
		e = cr_fail(m, CR_ENOMEM, "out of memory");
		goto fail;
	}
	pthread_mutex_init(&s->logins->mu, NULL);
	int port;
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
	char sport[16];
	if ((e = srv_parse_listen(s->cfg.listen, s->host, sizeof s->host, &port, m)))
		goto fail;
	snprintf(sport, sizeof sport, "%d", port);
	if (getaddrinfo(s->host, sport, &hints, &ai) || !ai) {
		e = cr_fail(m, CR_EINVAL, "listen: cannot resolve '%s'", s->host);
		goto fail;
	}
	if (pipe2(s->pipe, O_CLOEXEC | O_NONBLOCK)) {
		e = cr_fail(m, CR_EIO, "pipe: %s", strerror(errno));
		goto fail;
	}
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if ((e = load_tls(s, m)))
		goto fail;
	if (s->tls_cert)
		flags |= MHD_USE_TLS;
	struct MHD_OptionItem ops[] = {
		{MHD_OPTION_SOCK_ADDR, 0, ai->ai_addr},
		{MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)s->cfg.n_threads, NULL},
		{MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)(void *)on_completed, s},
		{MHD_OPTION_CONNECTION_TIMEOUT, 30, NULL},
		{MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)(64 << 10), NULL},
		{MHD_OPTION_CONNECTION_LIMIT, 1024, NULL},
		{MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)(void *)mhd_log, NULL},
		{s->tls_cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, s->tls_cert},
		{MHD_OPTION_HTTPS_MEM_KEY, 0, s->tls_key},
		{MHD_OPTION_END, 0, NULL},
	};
	s->d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request, s, MHD_OPTION_ARRAY, ops,
				MHD_OPTION_END);
	if (!s->d) {
		if (s->tls_cert)
			e = cr_fail(m, CR_EIO,
				    "cannot listen on %s with TLS (the address is in use or not this machine's, or "
				    "GnuTLS refused the certificate or key: see the log above)",
				    s->cfg.listen);
		else
			e = cr_fail(m, CR_EIO, "cannot listen on %s (in use, or not an address of this machine)",
				    s->cfg.listen);
		goto fail;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di ? di->port : port;
	snprintf(s->url, sizeof s->url, ai->ai_family == AF_INET6 ? "%s://[%s]:%d" : "%s://%s:%d",
		 s->tls_cert ? "https" : "http", s->host, s->port);
	freeaddrinfo(ai);
	*out = s;
	return CR_OK;
fail:
	if (ai)
		freeaddrinfo(ai);
	cr_server_free(s);
	return e;
}

int cr_server_port(const cr_server *s) { return s->port; }
const char *cr_server_url(const cr_server *s) { return s->url; }

void cr_server_stop(cr_server *s)
{
	if (s && s->pipe[1] >= 0) {
		ssize_t n = write(s->pipe[1], "x", 1);
		(void)n;
	}
}

/* Waits until no stream is open or the time is up; 1 if none is left. */
static int wait_streams(cr_server *s, double seconds)
{
	double end = cr_now() + seconds;
	pthread_mutex_lock(&s->mu);
	while (s->n_streams > 0 && cr_now() < end) {
		pthread_mutex_unlock(&s->mu);
		srv_streams_watch(s);
		usleep(20000);
		pthread_mutex_lock(&s->mu);
	}
	int none = s->n_streams == 0;
	pthread_mutex_unlock(&s->mu);
	return none;
}

cr_err cr_server_run(cr_server *s, cr_msg *m)
{
	for (;;) {
		struct pollfd p = {.fd = s->pipe[0], .events = POLLIN};
		int rc = poll(&p, 1, 200);
		if (rc > 0)
			break;
		if (rc < 0 && errno != EINTR)
			return cr_fail(m, CR_EIO, "poll: %s", strerror(errno));
		srv_streams_watch(s);
	}
	atomic_store(&s->stopping, 1);
	cr_log(CR_LOG_INFO, "serve: stopping: no new connections; streams have %.0f s to finish", s->cfg.grace);
	/* agent runs are canceled at once (each recorded as canceled); their
	 * followers get the final event within the streams' grace */
	srv_runs_cancel_all(s);
	MHD_socket ls = MHD_quiesce_daemon(s->d);
	if (ls != MHD_INVALID_SOCKET)
		close(ls);
	if (!wait_streams(s, s->cfg.grace)) {
		srv_streams_cancel_all(s);
		if (!wait_streams(s, 10))
			cr_log(CR_LOG_WARN, "serve: streams still open after cancelling them; closing anyway");
	}
	if (wait_streams(s, 0)) {
		MHD_stop_daemon(s->d);
		s->d = NULL;
	}
	if (!srv_runs_wait(s, 15))
		cr_log(CR_LOG_WARN, "serve: agent runs still running 15 s after cancelling them");
	return CR_OK;
}

void cr_server_free(cr_server *s)
{
	if (!s)
		return;
	if (s->d) {
		/* never run, or streams left suspended: stopping the daemon
		 * with suspended connections is not allowed, so they are
		 * cancelled and waited for */
		srv_streams_cancel_all(s);
		if (wait_streams(s, 10))
			MHD_stop_daemon(s->d);
	}
	srv_runs_free(s);
	srv_chains_free(s);
	srv_vectors_free(s);
	if (s->audit) {
		/* the records of this run are sealed */
		cr_store *st = NULL;
		cr_msg m = {{0}};
		cr_err e = cr_corpus_store_acquire(s->corpus, &st, &m);
		if (!e)
			e = cr_audit_close(s->audit, st, &m);
		else
			CR_IGNORE(cr_audit_close(s->audit, NULL, NULL));
		if (st)
			cr_corpus_store_release(s->corpus, st);
		if (e)
			cr_log(CR_LOG_WARN, "serve: audit log: cannot sign the run's records: %s",
			       m.text[0] ? m.text : cr_strerror(e));
	}
	if (s->logins) {
		pthread_mutex_destroy(&s->logins->mu);
		cr_free(s->logins);
	}
	srv_metrics_release(&s->metrics);
	pthread_mutex_destroy(&s->ingests.mu);
	if (s->pipe[0] >= 0)
		close(s->pipe[0]);
	if (s->pipe[1] >= 0)
		close(s->pipe[1]);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	if (s->tls_key)
		explicit_bzero(s->tls_key, strlen((char *)s->tls_key));
	cr_free(s->tls_key);
	cr_free(s->tls_cert);
	cr_free(s);
}
