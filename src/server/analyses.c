/*
 * analyses.c — the agent's analyses over HTTP, under the caller's ACL:
 *   GET /api/meetings?scope=S          cr_meetings_json (analyze meetings --json)
 *   GET /api/code?path=P               cr_code_json (analyze code --json)
 *   GET /api/docs?scope=S              cr_docs_json (analyze docs --json)
 *   GET /api/reports/meetings?scope=S  the meetings report, one HTML file
 *   GET /api/reports/code?path=P       the code report, one HTML file
 *   GET /api/reports/docs?scope=S      the documents report, one HTML file
 * Reports are served with a Content-Security-Policy that allows their
 * inline style and nothing else (they hold no script). Each is audited
 * ("analyze").
 */
#include "server_int.h"

#include "cristal/agent.h"

#include <string.h>

#define ANALYSIS_TIMEOUT 120.0

static enum MHD_Result html_reply(srv_req *r, const cr_buf *b)
{
	struct MHD_Response *res =
		MHD_create_response_from_buffer(b->len, (void *)(b->data ? b->data : ""), MHD_RESPMEM_MUST_COPY);
	if (!res)
		return MHD_NO;
	MHD_add_response_header(res, "Content-Type", "text/html; charset=utf-8");
	MHD_add_response_header(res, "Cache-Control", "no-store");
	MHD_add_response_header(res, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(res, "Content-Security-Policy",
				"default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'");
	enum MHD_Result ok = MHD_queue_response(r->conn, 200, res);
	MHD_destroy_response(res);
	r->status = 200;
	return ok;
}

static enum MHD_Result meetings(srv_req *r, int report)
{
	int bad = 0;
	const char *scope = srv_arg(r, "scope", &bad);
	if (bad)
		return srv_error(r, 400, NULL, "an argument is not valid UTF-8");
	if (scope && !*scope)
		scope = NULL;
	cr_cancel cancel;
	cr_cancel_init(&cancel);
	cr_cancel_set_timeout(&cancel, ANALYSIS_TIMEOUT);
	cr_meetings_opts o = {.scope = scope, .who = r->ctx.who, .cancel = &cancel};
	cr_meeting *ms = NULL;
	size_t n = 0;
	cr_msg m = {{0}};
	cr_err e = cr_agent_meetings(r->s->corpus, &r->arena, &o, &ms, &n, &m);
	if (e)
		return srv_error_err(r, e, &m);
	if ((e = srv_audit(r->s, &r->ctx, "analyze",
			   json_pack("{ss ss* si}", "analysis", report ? "report meetings" : "meetings", "scope", scope,
				     "meetings", (int)n),
			   &m)))
		return srv_error_err(r, e, &m);
	cr_buf b;
	cr_buf_init(&b, 0);
	e = report ? cr_meetings_report_html(ms, n, &b) : cr_meetings_json(ms, n, &b);
	if (!e && !report)
		e = cr_buf_addc(&b, '\n');
	enum MHD_Result ok = e ? srv_error(r, 500, NULL, "out of memory") : report ? html_reply(r, &b) : srv_reply_json(r, 200, &b);
	cr_buf_release(&b);
	return ok;
}

static enum MHD_Result code(srv_req *r, int report)
{
	int bad = 0;
	const char *path = srv_arg(r, "path", &bad);
	if (bad)
		return srv_error(r, 400, NULL, "an argument is not valid UTF-8");
	cr_cancel cancel;
	cr_cancel_init(&cancel);
	cr_cancel_set_timeout(&cancel, ANALYSIS_TIMEOUT);
	cr_code_opts o = {.prefix = path, .who = r->ctx.who, .cancel = &cancel};
	cr_code_report cr;
	cr_msg m = {{0}};
	cr_err e = cr_agent_code(r->s->corpus, &r->arena, &o, &cr, &m);
	if (e)
		return srv_error_err(r, e, &m);
	if ((e = srv_audit(r->s, &r->ctx, "analyze",
			   json_pack("{ss ss* si si}", "analysis", report ? "report code" : "code", "path", path, "files",
				     cr.n_files, "findings", (int)cr.n_findings),
			   &m)))
		return srv_error_err(r, e, &m);
	cr_buf b;
	cr_buf_init(&b, 0);
	e = report ? cr_code_report_html(&cr, &b) : cr_code_json(&cr, &b);
	if (!e && !report)
		e = cr_buf_addc(&b, '\n');
	enum MHD_Result ok = e ? srv_error(r, 500, NULL, "out of memory") : report ? html_reply(r, &b) : srv_reply_json(r, 200, &b);
	cr_buf_release(&b);
	return ok;
}

static enum MHD_Result docs(srv_req *r, int report)
{
	int bad = 0;
	const char *scope = srv_arg(r, "scope", &bad), *ks = srv_arg(r, "k", &bad);
	cr_msg m = {{0}};
	long k;
	if (bad)
		return srv_error(r, 400, NULL, "an argument is not valid UTF-8");
	if (srv_parse_int(ks, 1, 200, 20, &k, &m))
		return srv_error(r, 400, NULL, "k: %s", m.text);
	cr_cancel cancel;
	cr_cancel_init(&cancel);
	cr_cancel_set_timeout(&cancel, ANALYSIS_TIMEOUT);
	cr_docs_opts o = {.scope = scope && *scope ? scope : NULL, .k = (int)k, .who = r->ctx.who, .cancel = &cancel};
	cr_docs_report dr;
	cr_err e = cr_agent_docs(r->s->corpus, &r->arena, &o, &dr, &m);
	if (e)
		return srv_error_err(r, e, &m);
	if ((e = srv_audit(r->s, &r->ctx, "analyze",
			   json_pack("{ss ss* si}", "analysis", report ? "report docs" : "docs", "scope", o.scope,
				     "documents", (int)dr.n_docs),
			   &m)))
		return srv_error_err(r, e, &m);
	cr_buf b;
	cr_buf_init(&b, 0);
	e = report ? cr_docs_report_html(&dr, &b) : cr_docs_json(&dr, &b);
	if (!e && !report)
		e = cr_buf_addc(&b, '\n');
	enum MHD_Result ok = e ? srv_error(r, 500, NULL, "out of memory") : report ? html_reply(r, &b) : srv_reply_json(r, 200, &b);
	cr_buf_release(&b);
	return ok;
}

enum MHD_Result srv_handle_docs_analysis(srv_req *r) { return docs(r, 0); }
enum MHD_Result srv_handle_docs_report(srv_req *r) { return docs(r, 1); }
enum MHD_Result srv_handle_meetings(srv_req *r) { return meetings(r, 0); }
enum MHD_Result srv_handle_meetings_report(srv_req *r) { return meetings(r, 1); }
enum MHD_Result srv_handle_code(srv_req *r) { return code(r, 0); }
enum MHD_Result srv_handle_code_report(srv_req *r) { return code(r, 1); }
