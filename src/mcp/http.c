/*
 * http.c — the streamable HTTP transport (2025-06-18): each message is a
 * POST of one JSON-RPC message to the server's URL with
 *   Content-Type: application/json
 *   Accept: application/json, text/event-stream
 *   MCP-Protocol-Version: 2025-06-18     (after initialize)
 *   Mcp-Session-Id: ID                   (when the server gave one)
 * A request's reply is either a JSON body (Content-Type application/json)
 * or an SSE stream whose events carry messages until the reply; the
 * transfer is cut as soon as the reply has arrived. A notification is
 * answered 202 Accepted with no body. Closing sends DELETE with the session
 * id. Bodies are capped at max_msg; each exchange at the timeout.
 */
#include "mcp_int.h"

#include <curl/curl.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>

typedef struct xfer {
	cr_mcp *c;
	cr_mcp_wait *w;
	int sse, sse_known;
	cr_mcp_sse sse_dec;
	cr_buf body;
	cr_err e;
	cr_msg *m;
	char session[256];
} xfer;

static cr_err on_event(void *ctx, const char *data, size_t n, cr_msg *m)
{
	xfer *x = ctx;
	while (n && isspace((unsigned char)*data))
		data++, n--;
	if (!n || !x->w)
		return CR_OK;
	return cr_mcp_on_message(x->w, data, n, m);
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *ctx)
{
	xfer *x = ctx;
	size_t n = size * nmemb;
	if (n > 15 && !strncasecmp(p, "Mcp-Session-Id:", 15)) {
		const char *v = p + 15;
		size_t k = n - 15;
		while (k && (*v == ' ' || *v == '\t'))
			v++, k--;
		while (k && isspace((unsigned char)v[k - 1]))
			k--;
		if (k < sizeof x->session) {
			memcpy(x->session, v, k);
			x->session[k] = 0;
		}
	}
	return n;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ctx)
{
	xfer *x = ctx;
	size_t n = size * nmemb;
	if (!x->sse_known) {
		char *ct = NULL;
		CR_IGNORE(curl_easy_getinfo((CURL *)x->c->curl, CURLINFO_CONTENT_TYPE, &ct));
		x->sse = ct && !strncasecmp(ct, "text/event-stream", 17);
		x->sse_known = 1;
	}
	if (x->sse) {
		x->e = cr_mcp_sse_feed(&x->sse_dec, p, n, on_event, x, x->m);
		if (x->e || (x->w && x->w->done))
			return 0; /* cut: an error, or the reply is in */
		return n;
	}
	if (cr_buf_add(&x->body, p, n)) {
		x->e = cr_fail(x->m, CR_ETOOBIG, "mcp: the server's reply is over %zu bytes", x->c->max_msg);
		return 0;
	}
	return n;
}

static int on_progress(void *ctx, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	(void)dt, (void)dn, (void)ut, (void)un;
	xfer *x = ctx;
	return cr_cancel_check(x->c->cancel) != CR_OK;
}

cr_err cr_mcp_http_start(cr_mcp *c, const char *url, const char *bearer, cr_msg *m)
{
	if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
		return cr_fail(m, CR_EINVAL, "mcp: the URL must be http:// or https://");
	c->curl = curl_easy_init();
	c->url = cr_strdup(url);
	c->bearer = bearer ? cr_strdup(bearer) : NULL;
	if (!c->curl || !c->url || (bearer && !c->bearer))
		return cr_fail(m, CR_ENOMEM, "mcp: out of memory");
	return CR_OK;
}

static struct curl_slist *headers(cr_mcp *c, int post)
{
	struct curl_slist *h = NULL, *t;
	char line[512];
#define ADD(s)                                  \
	do {                                    \
		if (!(t = curl_slist_append(h, s))) \
			goto oom;               \
		h = t;                          \
	} while (0)
	if (post) {
		ADD("Content-Type: application/json");
		ADD("Accept: application/json, text/event-stream");
	}
	if (c->initialized)
		ADD("MCP-Protocol-Version: " CR_MCP_PROTOCOL);
	if (c->session) {
		snprintf(line, sizeof line, "Mcp-Session-Id: %s", c->session);
		ADD(line);
	}
	if (c->bearer) {
		snprintf(line, sizeof line, "Authorization: Bearer %s", c->bearer);
		ADD(line);
	}
	ADD("Expect:");
	return h;
oom:
	curl_slist_free_all(h);
	return NULL;
#undef ADD
}

cr_err cr_mcp_http_send(cr_mcp *c, const char *text, size_t n, cr_mcp_wait *w, cr_msg *m)
{
	CURL *cu = c->curl;
	xfer x = {.c = c, .w = w, .m = m};
	cr_mcp_sse_init(&x.sse_dec, c->max_msg);
	cr_buf_init(&x.body, c->max_msg);
	struct curl_slist *h = headers(c, 1);
	cr_err e = CR_OK;
	if (!h) {
		e = cr_fail(m, CR_ENOMEM, "mcp: out of memory");
		goto out;
	}
	curl_easy_reset(cu);
	curl_easy_setopt(cu, CURLOPT_URL, c->url);
	curl_easy_setopt(cu, CURLOPT_POST, 1L);
	curl_easy_setopt(cu, CURLOPT_POSTFIELDS, text);
	curl_easy_setopt(cu, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
	curl_easy_setopt(cu, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(cu, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(cu, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(cu, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(cu, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(cu, CURLOPT_XFERINFODATA, &x);
	curl_easy_setopt(cu, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(cu, CURLOPT_TIMEOUT_MS, (long)(c->timeout * 1000));
	curl_easy_setopt(cu, CURLOPT_CONNECTTIMEOUT_MS, (long)(c->timeout * 1000));
	curl_easy_setopt(cu, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(cu, CURLOPT_PROTOCOLS_STR, "http,https");
	CURLcode rc = curl_easy_perform(cu);
	long status = 0;
	curl_easy_getinfo(cu, CURLINFO_RESPONSE_CODE, &status);
	if (x.session[0] && (!c->session || strcmp(c->session, x.session))) {
		cr_free(c->session);
		c->session = cr_strdup(x.session);
	}
	if (x.e) {
		e = x.e;
		goto out;
	}
	if (rc == CURLE_WRITE_ERROR && w && w->done)
		goto out; /* we cut the stream after the reply */
	if (rc == CURLE_OPERATION_TIMEDOUT) {
		e = cr_fail(m, CR_ETIMEOUT, "mcp: no reply from %s within %.0f s", c->url, c->timeout);
		goto out;
	}
	if (rc == CURLE_ABORTED_BY_CALLBACK) {
		cr_err ce = cr_cancel_check(c->cancel);
		e = cr_fail(m, ce ? ce : CR_ECANCELED, "mcp: %s", cr_strerror(ce ? ce : CR_ECANCELED));
		goto out;
	}
	if (rc != CURLE_OK) {
		e = cr_fail(m, CR_EUPSTREAM, "mcp: %s: %s", c->url, curl_easy_strerror(rc));
		goto out;
	}
	if (status == 401 || status == 403) {
		e = cr_fail(m, status == 401 ? CR_EUNAUTH : CR_EDENIED, "mcp: %s refused the request (HTTP %ld)", c->url,
			    status);
		goto out;
	}
	if (status == 404 && c->session) {
		e = cr_fail(m, CR_EUPSTREAM, "mcp: %s: the session has expired (HTTP 404)", c->url);
		goto out;
	}
	if (status < 200 || status > 299) {
		e = cr_fail(m, CR_EUPSTREAM, "mcp: %s answered HTTP %ld", c->url, status);
		goto out;
	}
	if (!w)
		goto out; /* a notification or a response: 202, nothing to read */
	if (x.sse) {
		if ((e = cr_mcp_sse_end(&x.sse_dec, on_event, &x, m)))
			goto out;
	} else if (x.body.len) {
		if ((e = cr_mcp_on_message(w, x.body.data, x.body.len, m)))
			goto out;
	}
	if (!w->done)
		e = cr_fail(m, CR_EUPSTREAM, "mcp: %s answered HTTP %ld without a reply to the request", c->url,
			    status);
out:
	curl_slist_free_all(h);
	cr_mcp_sse_release(&x.sse_dec);
	cr_buf_release(&x.body);
	return e;
}

void cr_mcp_http_stop(cr_mcp *c)
{
	if (c->curl && c->session) {
		CURL *cu = c->curl;
		struct curl_slist *h = headers(c, 0);
		curl_easy_reset(cu);
		curl_easy_setopt(cu, CURLOPT_URL, c->url);
		curl_easy_setopt(cu, CURLOPT_CUSTOMREQUEST, "DELETE");
		curl_easy_setopt(cu, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(cu, CURLOPT_NOBODY, 1L);
		curl_easy_setopt(cu, CURLOPT_TIMEOUT_MS, 2000L);
		curl_easy_setopt(cu, CURLOPT_NOSIGNAL, 1L);
		CR_IGNORE(curl_easy_perform(cu));
		curl_slist_free_all(h);
	}
	if (c->curl)
		curl_easy_cleanup(c->curl);
	c->curl = NULL;
	cr_free(c->url);
	cr_free(c->bearer);
	cr_free(c->session);
	c->url = c->bearer = c->session = NULL;
}
