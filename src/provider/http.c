/*
 * http.c — one HTTP exchange with a model server over libcurl, driven by
 * a multi handle polled every 50 ms so a cancel token or a read timeout
 * (no byte for read_timeout seconds, headers included) ends it promptly,
 * even in the middle of a stream. The status and content type are checked
 * before a body byte is parsed; a 2xx body goes to the caller's parser
 * (streamed: the event parser, as bytes arrive) and an error body is kept
 * (64 KiB at most) for the message. Whether another attempt is worth it is
 * decided here (429, 408, 5xx, connection failures, timeouts); waiting and
 * failover are the caller's (openai.c).
 */
#include "provider_int.h"

#include <curl/curl.h>
#include <string.h>
#include <strings.h>

#define ERR_BODY_MAX (64u << 10)
#define BODY_MAX (64u << 20)

typedef struct xfer {
	const cr_http_req *q;
	cr_http_res *res;
	CURL *h;
	int checked, ok_body;
	cr_err err;           /* set by a callback that stopped the transfer */
	cr_msg *m;
	cr_sse sse;
	double last_byte;
} xfer;

static int type_is(const char *ct, const char *want)
{
	if (!ct)
		return 1; /* none given: judged by the parser */
	size_t n = strlen(want);
	while (*ct == ' ')
		ct++;
	return !strncasecmp(ct, want, n) && (!ct[n] || ct[n] == ';' || ct[n] == ' ');
}

/* First body bytes: is this the success we expect? */
static int check_response(xfer *x)
{
	x->checked = 1;
	long status = 0;
	char *ct = NULL;
	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(x->h, CURLINFO_CONTENT_TYPE, &ct);
	x->res->status = status;
	if (status < 200 || status > 299)
		return 1; /* error body: kept for the message */
	const char *want = x->q->stream ? "text/event-stream" : "application/json";
	if (!type_is(ct, want)) {
		x->err = cr_fail(x->m, CR_ECORRUPT, "%s: %s answered with content type '%s', expected %s", x->q->who,
				 x->q->url, ct, want);
		return 0;
	}
	x->ok_body = 1;
	return 1;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
	xfer *x = ud;
	size_t n = size * nmemb;
	x->last_byte = cr_now();
	if (!x->checked && !check_response(x))
		return 0;
	if (!x->ok_body) {
		size_t room = ERR_BODY_MAX > x->res->body.len ? ERR_BODY_MAX - x->res->body.len : 0;
		if (room && cr_buf_add(&x->res->body, p, CR_MIN(n, room)))
			return 0;
		return n;
	}
	if (x->q->stream) {
		cr_err e = cr_sse_feed(&x->sse, p, n, x->q->on_event, x->q->on_event_ctx, x->m);
		if (e) {
			x->err = e;
			return 0;
		}
		return n;
	}
	if (cr_buf_add(&x->res->body, p, n)) {
		x->err = cr_fail(x->m, CR_ETOOBIG, "%s: response over %u bytes", x->q->who, BODY_MAX);
		return 0;
	}
	return n;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *ud)
{
	xfer *x = ud;
	x->last_byte = cr_now();
	return size * nmemb;
}

static cr_err status_error(xfer *x, cr_msg *m)
{
	const cr_http_req *q = x->q;
	cr_http_res *r = x->res;
	char why[300];
	cr_provider_error_text(r->body.data, r->body.len, why, sizeof why);
	long st = r->status;
	cr_err e = st == 401 || st == 403 ? CR_EUNAUTH : st == 429 ? CR_ERATELIMIT : CR_EUPSTREAM;
	r->retryable = st == 429 || st == 408 || st >= 500;
	curl_off_t ra = -1;
	if (curl_easy_getinfo(x->h, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
		r->retry_after = (double)ra;
	return cr_fail(m, e, "%s: %s: HTTP %ld%s%s", q->who, q->url, st, why[0] ? ": " : "", why);
}

static int retryable_curl(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
		return 1;
	default:
		return 0;
	}
}

cr_err cr_http_once(const cr_http_req *q, cr_http_res *res, cr_msg *m)
{
	memset(res, 0, sizeof *res);
	cr_buf_init(&res->body, BODY_MAX);
	xfer x = {.q = q, .res = res, .m = m};
	cr_sse_init(&x.sse);
	cr_err e = CR_OK;
	struct curl_slist *hdr = NULL;
	CURLM *mh = curl_multi_init();
	x.h = curl_easy_init();
	char *auth = NULL;
	if (!mh || !x.h) {
		e = cr_fail(m, CR_ENOMEM, "%s: cannot start an HTTP transfer", q->who);
		goto out;
	}
	if (q->body) {
		hdr = curl_slist_append(hdr, "Content-Type: application/json");
		curl_easy_setopt(x.h, CURLOPT_POST, 1L);
		curl_easy_setopt(x.h, CURLOPT_POSTFIELDS, q->body);
		curl_easy_setopt(x.h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->body_len);
	}
	hdr = curl_slist_append(hdr, q->stream ? "Accept: text/event-stream" : "Accept: application/json");
	hdr = curl_slist_append(hdr, "Expect:");
	if (q->api_key && *q->api_key) {
		size_t n = strlen(q->api_key) + 32;
		auth = cr_malloc(n);
		if (!auth) {
			e = cr_fail(m, CR_ENOMEM, "%s: out of memory", q->who);
			goto out;
		}
		snprintf(auth, n, "Authorization: Bearer %s", q->api_key);
		hdr = curl_slist_append(hdr, auth);
	}
	if (!hdr) {
		e = cr_fail(m, CR_ENOMEM, "%s: out of memory", q->who);
		goto out;
	}
	curl_easy_setopt(x.h, CURLOPT_URL, q->url);
	curl_easy_setopt(x.h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(x.h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(x.h, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(x.h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(x.h, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(x.h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x.h, CURLOPT_CONNECTTIMEOUT_MS, (long)(q->connect_timeout * 1000));
	curl_easy_setopt(x.h, CURLOPT_USERAGENT, "cristal");
	curl_easy_setopt(x.h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(x.h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(x.h, CURLOPT_ACCEPT_ENCODING, ""); /* whatever libcurl can decode */
	curl_multi_add_handle(mh, x.h);
	x.last_byte = cr_now();
	int running = 1;
	cr_err stop = CR_OK;
	while (running) {
		CURLMcode mc = curl_multi_perform(mh, &running);
		if (mc != CURLM_OK) {
			e = cr_fail(m, CR_EUPSTREAM, "%s: %s", q->who, curl_multi_strerror(mc));
			goto out;
		}
		if (!running || x.err)
			break;
		if ((stop = cr_cancel_check(q->cancel)))
			break;
		if (cr_now() - x.last_byte > q->read_timeout) {
			res->retryable = 1;
			e = cr_fail(m, CR_ETIMEOUT, "%s: %s: no data for %.1f s (read timeout)", q->who, q->url,
				    q->read_timeout);
			goto out;
		}
		curl_multi_poll(mh, NULL, 0, 50, NULL);
	}
	if (stop) {
		e = cr_fail(m, stop, "%s: %s", q->who, stop == CR_ECANCELED ? "canceled" : "deadline passed");
		goto out;
	}
	CURLcode cres = CURLE_OK;
	int left;
	CURLMsg *msg;
	while ((msg = curl_multi_info_read(mh, &left)))
		if (msg->msg == CURLMSG_DONE)
			cres = msg->data.result;
	if (x.err) {
		e = x.err;
		goto out;
	}
	if (!x.checked && cres == CURLE_OK) {
		/* an empty body: still check the status and type */
		if (!check_response(&x)) {
			e = x.err;
			goto out;
		}
	}
	if (cres != CURLE_OK) {
		res->retryable = retryable_curl(cres);
		if (x.ok_body && q->stream)
			e = cr_fail(m, CR_EUPSTREAM, "%s: %s: the stream was cut (%s)", q->who, q->url,
				    curl_easy_strerror(cres));
		else
			e = cr_fail(m, cres == CURLE_OPERATION_TIMEDOUT ? CR_ETIMEOUT : CR_EUPSTREAM, "%s: %s: %s",
				    q->who, q->url, curl_easy_strerror(cres));
		goto out;
	}
	if (!x.ok_body) {
		e = status_error(&x, m);
		goto out;
	}
	if (q->stream)
		e = cr_sse_end(&x.sse, q->on_event, q->on_event_ctx, m);
out:
	if (q->streamed && *q->streamed)
		res->retryable = 0; /* the caller has seen text: another attempt would repeat it */
	if (mh && x.h)
		curl_multi_remove_handle(mh, x.h);
	if (x.h)
		curl_easy_cleanup(x.h);
	if (mh)
		curl_multi_cleanup(mh);
	curl_slist_free_all(hdr);
	if (auth) {
		memset(auth, 0, strlen(auth));
		cr_free(auth);
	}
	cr_sse_release(&x.sse);
	return e;
}
