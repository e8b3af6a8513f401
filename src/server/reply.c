/*
 * reply.c — responses: bytes with a content type, JSON, and the JSON error
 * object {"error": {"code", "message"}} with the status a cr_err maps to.
 */
#include "server_int.h"

#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

unsigned srv_status(cr_err e)
{
	switch (e) {
	case CR_OK: return 200;
	case CR_EINVAL:
	case CR_ECORRUPT: return 400;
	case CR_EUNAUTH: return 401;
	case CR_EDENIED: return 403;
	case CR_ENOTFOUND: return 404;
	case CR_EEXIST:
	case CR_EBUSY: return 409;
	case CR_ETOOBIG: return 413;
	case CR_ERATELIMIT: return 429;
	case CR_EUNSUPPORTED: return 501;
	case CR_EUPSTREAM: return 502;
	case CR_ETIMEOUT: return 504;
	case CR_ECANCELED: return 503;
	default: return 500;
	}
}

static const char *status_code(unsigned status)
{
	switch (status) {
	case 400: return "bad_request";
	case 401: return "unauthorized";
	case 403: return "forbidden";
	case 404: return "not_found";
	case 405: return "method_not_allowed";
	case 409: return "conflict";
	case 413: return "payload_too_large";
	case 415: return "unsupported_media_type";
	case 422: return "unprocessable_entity";
	case 429: return "rate_limited";
	case 501: return "not_implemented";
	case 502: return "upstream_error";
	case 503: return "unavailable";
	case 504: return "timeout";
	default: return "internal_error";
	}
}

enum MHD_Result srv_reply(srv_req *r, unsigned status, const char *type, const char *p, size_t n)
{
	struct MHD_Response *res = MHD_create_response_from_buffer(n, (void *)p, MHD_RESPMEM_MUST_COPY);
	if (!res)
		return MHD_NO;
	MHD_add_response_header(res, "Content-Type", type);
	MHD_add_response_header(res, "Cache-Control", "no-store");
	MHD_add_response_header(res, "X-Content-Type-Options", "nosniff");
	if (status == 401)
		MHD_add_response_header(res, "WWW-Authenticate", "Bearer realm=\"cristal\"");
	if (r->set_cookie)
		MHD_add_response_header(res, "Set-Cookie", r->set_cookie);
	if (r->retry_after > 0) {
		char ra[24];
		snprintf(ra, sizeof ra, "%ld", r->retry_after);
		MHD_add_response_header(res, "Retry-After", ra);
	}
	enum MHD_Result ok = MHD_queue_response(r->conn, status, res);
	MHD_destroy_response(res);
	r->status = status;
	return ok;
}

enum MHD_Result srv_reply_json(srv_req *r, unsigned status, const cr_buf *b)
{
	return srv_reply(r, status, "application/json", b->data ? b->data : "", b->len);
}

static enum MHD_Result verror(srv_req *r, unsigned status, const char *code, const char *fmt, va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof msg, fmt, ap);
	cr_buf b;
	cr_buf_init(&b, 0);
	cr_err e = cr_buf_printf(&b, "{\"error\":{\"code\":\"%s\",\"message\":", code ? code : status_code(status));
	if (!e)
		e = cr_utf8_valid((const uint8_t *)msg, strlen(msg)) ? cr_buf_add_json_str(&b, msg, strlen(msg))
								    : cr_buf_adds(&b, "\"(message not UTF-8)\"");
	if (!e)
		e = cr_buf_printf(&b, ",\"type\":\"%s\"}}\n", status < 500 ? "invalid_request_error" : "server_error");
	enum MHD_Result ok = e ? MHD_NO : srv_reply_json(r, status, &b);
	cr_buf_release(&b);
	return ok;
}

enum MHD_Result srv_error(srv_req *r, unsigned status, const char *code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	enum MHD_Result ok = verror(r, status, code, fmt, ap);
	va_end(ap);
	return ok;
}

enum MHD_Result srv_error_err(srv_req *r, cr_err e, const cr_msg *m)
{
	return srv_error(r, srv_status(e), NULL, "%s", m && m->text[0] ? m->text : cr_strerror(e));
}

const char *srv_arg(srv_req *r, const char *key, int *bad)
{
	const char *v = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
	if (v && !cr_utf8_valid((const uint8_t *)v, strlen(v))) {
		*bad = 1;
		return NULL;
	}
	return v;
}

enum MHD_Result srv_reply_jsonv(srv_req *r, unsigned status, json_t *o)
{
	char *t = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	cr_buf b;
	cr_buf_init(&b, 0);
	cr_err e = t ? cr_buf_adds(&b, t) : CR_ENOMEM;
	free(t);
	if (!e)
		e = cr_buf_addc(&b, '\n');
	enum MHD_Result ok = e ? srv_error(r, 500, NULL, "out of memory") : srv_reply_json(r, status, &b);
	cr_buf_release(&b);
	return ok;
}
