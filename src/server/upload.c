/*
 * upload.c — documents added and deleted through the API.
 *
 * POST /api/documents?name=FILE[&share=private|tenant|group:G][&classification=C]
 *   The body is the file's bytes (any content type; at most
 *   server.max_upload). The file is kept under the data directory in one
 *   folder per audience, each ingested as its own source with one ACL:
 *     private (default)  uploads/T/uploads-user-U/FILE      owner U
 *     tenant             uploads/T/uploads-tenant-T/FILE    tenant T
 *     group:G            uploads/T/uploads-group-G/FILE     group G (a member's)
 *   so documents are named "uploads-user-alice/report.pdf" and never meet
 *   another audience's. Extraction runs in the jailed worker
 *   (cr_extract_sandboxed: a hostile file can crash only the worker). A file
 *   of the same name replaces the earlier one. 201 with the document, or
 *   422 with the extractor's reason (the file is then not kept).
 * DELETE /api/documents/{id}
 *   An uploaded document, by its owner or an admin of its tenant who may
 *   read it: the file and the document go. Documents ingested from disk
 *   are removed at their source (409).
 * Both are audited ("upload", "delete").
 */
#include "server_int.h"

#include "cristal/policy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A plain file name: 1 to 255 bytes of UTF-8, no path separator, no
 * control character, not starting with a dot. */
static int name_ok(const char *n)
{
	size_t len = strlen(n);
	if (!len || len > 255 || n[0] == '.' || !cr_utf8_valid((const uint8_t *)n, len))
		return 0;
	for (const unsigned char *p = (const unsigned char *)n; *p; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '/' || *p == '\\')
			return 0;
	return 1;
}

static int mkdirs(const char *path)
{
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s", path);
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = 0;
			if (mkdir(tmp, 0700) && errno != EEXIST)
				return -1;
			*p = '/';
		}
	return mkdir(tmp, 0700) && errno != EEXIST ? -1 : 0;
}

typedef struct outcome {
	const char *name;
	cr_file_outcome o;
	char reason[256];
	int seen;
} outcome;

static void on_file(void *ctx, const char *name, cr_file_outcome o, const char *reason, uint64_t done,
		    uint64_t total)
{
	outcome *w = ctx;
	(void)done;
	(void)total;
	if (!name || strcmp(name, w->name))
		return;
	w->o = o;
	w->seen = 1;
	snprintf(w->reason, sizeof w->reason, "%s", reason ? reason : "");
}

enum MHD_Result srv_handle_upload(srv_req *r)
{
	cr_server *s = r->s;
	if (!s->cfg.extract_worker || !s->cfg.data_dir)
		return srv_error(r, 501, NULL, "uploads need the extraction worker and a data directory");
	int bad = 0;
	const char *name = srv_arg(r, "name", &bad), *share = srv_arg(r, "share", &bad),
		   *cls = srv_arg(r, "classification", &bad);
	if (bad)
		return srv_error(r, 400, NULL, "an argument is not valid UTF-8");
	if (!name || !name_ok(name))
		return srv_error(r, 400, NULL,
				 "name must be a plain file name (1 to 255 bytes, no '/', no leading '.', no control "
				 "characters)");
	if (!r->body.len)
		return srv_error(r, 400, NULL, "the body (the file's bytes) is empty");
	const char *tenant = r->ctx.tenant_name ? r->ctx.tenant_name : "default";
	cr_ingest_opts o = cr_ingest_opts_default();
	o.acl.tenant = r->ctx.tenant;
	char leaf[160];
	if (!share || !*share || !strcmp(share, "private")) {
		snprintf(leaf, sizeof leaf, "uploads-%s-%s", r->ctx.user ? "user" : "tenant", r->ctx.user ? r->ctx.user : tenant);
		o.acl.owner = (uint32_t)r->ctx.user_id;
		share = r->ctx.user ? "private" : "tenant";
	} else if (!strcmp(share, "tenant")) {
		snprintf(leaf, sizeof leaf, "uploads-tenant-%s", tenant);
	} else if (!strncmp(share, "group:", 6) && share[6] && strlen(share) < 80) {
		cr_store *st;
		cr_msg m = {{0}};
		cr_err e = cr_corpus_store_acquire(s->corpus, &st, &m);
		if (e)
			return srv_error_err(r, e, &m);
		int64_t gid64 = 0;
		e = cr_store_name_id(st, 0, share + 6, &gid64, &m);
		cr_corpus_store_release(s->corpus, st);
		if (e && e != CR_ENOTFOUND)
			return srv_error_err(r, e, &m);
		int member = !r->ctx.user || !strcmp(r->ctx.role, "admin");
		for (uint32_t i = 0; i < r->ctx.n_groups && !member; i++)
			member = r->ctx.groups[i] == (uint32_t)gid64;
		if (e || !member)
			return srv_error(r, 403, NULL, "share: %s is not a group of yours", share + 6);
		uint32_t *gid = cr_arena_alloc(&r->arena, sizeof *gid);
		if (!gid)
			return srv_error(r, 500, NULL, "out of memory");
		*gid = (uint32_t)gid64;
		o.acl.groups = gid;
		o.acl.n_groups = 1;
		snprintf(leaf, sizeof leaf, "uploads-group-%s", share + 6);
	} else
		return srv_error(r, 400, NULL, "share must be private, tenant or group:NAME");
	if (cls && *cls) {
		int lv = cr_class_parse(cls);
		if (lv < 0)
			return srv_error(r, 400, NULL, "classification must be public, internal, confidential or secret");
		o.acl.classification = (uint8_t)lv;
	}
	char dir[4096], path[4352], docname[512];
	snprintf(dir, sizeof dir, "%s/uploads/%s/%s", s->cfg.data_dir, tenant, leaf);
	snprintf(path, sizeof path, "%s/%s", dir, name);
	snprintf(docname, sizeof docname, "%s/%s", leaf, name);
	cr_msg m = {{0}};
	if (mkdirs(dir))
		return srv_error(r, 500, NULL, "cannot make the upload folder: %s", strerror(errno));
	cr_err e = cr_file_write_atomic(path, r->body.data, r->body.len, &m);
	if (e)
		return srv_error_err(r, e, &m);
	outcome w = {.name = docname};
	o.progress = on_file;
	o.progress_ctx = &w;
	o.extract_worker = s->cfg.extract_worker;
	o.n_threads = 1;
	const char *root = dir;
	cr_ingest_report rep;
	int slot = srv_ingest_begin(s, &r->ctx, docname);
	e = cr_corpus_ingest(s->corpus, &root, 1, &o, &rep, &m);
	if (!e && rep.chunks)
		srv_vectors_after_ingest(s); /* its chunks join the vectors, as after `cristal ingest` */
	srv_ingest_end(s, slot);
	if (e)
		return srv_error_err(r, e, &m);
	if (!w.seen || w.o == CR_FILE_REJECTED || w.o == CR_FILE_REJECTED_KNOWN) {
		/* not kept: the next ingest of the folder forgets it */
		unlink(path);
		const char *rs = root;
		cr_ingest_report r2;
		cr_msg m2 = {{0}};
		CR_IGNORE(cr_corpus_ingest(s->corpus, &rs, 1, &o, &r2, &m2));
		CR_IGNORE(srv_audit(s, &r->ctx, "upload",
				    json_pack("{ss sI ss ss}", "doc", docname, "bytes", (json_int_t)r->body.len, "share",
					      share, "rejected", w.reason),
				    &m2));
		return srv_error(r, 422, NULL, "%s: %s", name, w.seen ? w.reason : "not ingested");
	}
	cr_store *st;
	if ((e = cr_corpus_store_acquire(s->corpus, &st, &m)))
		return srv_error_err(r, e, &m);
	cr_doc_row d;
	e = cr_store_doc_find_any(st, &r->arena, docname, &d, &m);
	cr_corpus_store_release(s->corpus, st);
	if (e)
		return srv_error_err(r, e, &m);
	if ((e = srv_audit(s, &r->ctx, "upload",
			   json_pack("{ss sI sI ss ss}", "doc", docname, "doc_id", (json_int_t)d.id, "bytes",
				     (json_int_t)r->body.len, "share", share, "classification",
				     cr_class_name(d.acl.classification)),
			   &m)))
		return srv_error_err(r, e, &m);
	cr_buf b;
	cr_buf_init(&b, 0);
	e = cr_buf_printf(&b, "{\"status\":\"%s\",\"document\":{\"id\":%lld,\"name\":",
			  w.o == CR_FILE_UPDATED ? "updated" : w.o == CR_FILE_UNCHANGED ? "unchanged" : "added",
			  (long long)d.id);
	if (!e)
		e = cr_buf_add_json_str(&b, d.name, strlen(d.name));
	if (!e)
		e = cr_buf_adds(&b, ",\"title\":");
	if (!e)
		e = d.title ? cr_buf_add_json_str(&b, d.title, strlen(d.title)) : cr_buf_adds(&b, "null");
	if (!e)
		e = cr_buf_printf(&b, ",\"type\":\"%s\",\"chunks\":%lld,\"share\":\"%s\",\"classification\":\"%s\"}}\n",
				  d.type ? d.type : "", (long long)d.n_chunks, share, cr_class_name(d.acl.classification));
	enum MHD_Result ok = e ? srv_error(r, 500, NULL, "out of memory")
			       : srv_reply_json(r, w.o == CR_FILE_INGESTED ? 201 : 200, &b);
	cr_buf_release(&b);
	return ok;
}

enum MHD_Result srv_handle_doc_delete(srv_req *r)
{
	cr_server *s = r->s;
	cr_msg m = {{0}};
	long id;
	if (srv_parse_int(r->param, 1, INT64_MAX, 0, &id, &m))
		return srv_error(r, 400, NULL, "a document id is a positive integer");
	cr_store *st;
	cr_err e = cr_corpus_store_acquire(s->corpus, &st, &m);
	if (e)
		return srv_error_err(r, e, &m);
	cr_doc_row d;
	e = cr_store_doc_get(st, &r->arena, id, &d, &m);
	cr_corpus_store_release(s->corpus, st);
	if (e == CR_ENOTFOUND || (!e && !cr_acl_allows(r->ctx.who, &d.acl)))
		return srv_error(r, 404, NULL, "no document %ld", id);
	if (e)
		return srv_error_err(r, e, &m);
	int admin = !r->ctx.user || !strcmp(r->ctx.role, "admin");
	if (!admin && d.acl.owner != (uint32_t)r->ctx.user_id)
		return srv_error(r, 403, NULL, "only its owner or an admin may delete a document");
	const char *slash = strchr(d.name, '/');
	if (strncmp(d.name, "uploads-", 8) || !slash || d.parent || !s->cfg.data_dir)
		return srv_error(r, 409, NULL, "%s was not uploaded: remove it from its source (cristal rm)", d.name);
	const char *tenant = r->ctx.tenant_name ? r->ctx.tenant_name : "default";
	char path[4352];
	snprintf(path, sizeof path, "%s/uploads/%s/%s", s->cfg.data_dir, tenant, d.name);
	uint64_t n = 0;
	int was_source = 0;
	if ((e = cr_corpus_remove(s->corpus, d.name, &n, &was_source, &m)))
		return srv_error_err(r, e, &m);
	if (unlink(path) && errno != ENOENT)
		return srv_error(r, 500, NULL, "cannot remove the uploaded file: %s", strerror(errno));
	if ((e = srv_audit(s, &r->ctx, "delete", json_pack("{ss sI}", "doc", d.name, "doc_id", (json_int_t)d.id), &m)))
		return srv_error_err(r, e, &m);
	cr_buf b;
	cr_buf_init(&b, 0);
	e = cr_buf_printf(&b, "{\"deleted\":%lld,\"name\":", (long long)d.id);
	if (!e)
		e = cr_buf_add_json_str(&b, d.name, strlen(d.name));
	if (!e)
		e = cr_buf_adds(&b, "}\n");
	enum MHD_Result ok = e ? srv_error(r, 500, NULL, "out of memory") : srv_reply_json(r, 200, &b);
	cr_buf_release(&b);
	return ok;
}
