/*
 * ingest.c — GET /api/ingest: what has been ingested, per source root, as
 * the caller may see it, and the uploads being ingested by this server now.
 *
 *   {"sources": [{"id", "name", "root" (admins and the local operator),
 *                 "kind", "documents", "chunks", "added", "ingested",
 *                 "rejected": {"count", "files": [{"name", "reason",
 *                 "size"}]} (admins and the local operator)}],
 *    "running": {"uploads": N, "files": [{"name", "user", "since"}]}}
 *
 * Who sees what: documents are counted by the rule every route applies.
 * A member counts the documents cr_acl_allows lets it read; an admin
 * counts its tenant's documents (whoever they belong to); the local
 * operator (no users configured) counts everything. A source shows only
 * when the caller counts at least one of its documents (an admin also sees
 * its tenant's upload folders), so a root whose documents are all another's
 * is not even named. Rejected files have no ACL (they never became
 * documents): their names and reasons go to admins and the local operator
 * only. An upload in progress shows to its uploader and the admins of its
 * tenant. Times are unix seconds; "ingested" is when the root's last
 * ingest began (0: before the catalog kept it).
 *
 * Cost: one catalog row read per document (as /api/documents), so
 * O(documents) per request.
 */
#include "server_int.h"

#include <stdlib.h>
#include <string.h>

#define MAX_REJECTS 100 /* rejected files listed per source (the count is whole) */

/* ---- uploads in progress ---------------------------------------------- */

int srv_ingest_begin(cr_server *s, const srv_ctx *ctx, const char *doc)
{
	srv_ingests *q = &s->ingests;
	int slot = -1;
	pthread_mutex_lock(&q->mu);
	for (int i = 0; i < SRV_INGEST_SLOTS && slot < 0; i++)
		if (!q->slot[i].used)
			slot = i;
	if (slot >= 0) {
		srv_ingest_slot *x = &q->slot[slot];
		x->used = 1;
		x->tenant = ctx->tenant;
		snprintf(x->user, sizeof x->user, "%s", ctx->user ? ctx->user : "");
		snprintf(x->doc, sizeof x->doc, "%s", doc);
		x->since = cr_wallclock();
	}
	q->running++;
	pthread_mutex_unlock(&q->mu);
	return slot;
}

void srv_ingest_end(cr_server *s, int slot)
{
	srv_ingests *q = &s->ingests;
	pthread_mutex_lock(&q->mu);
	if (slot >= 0)
		q->slot[slot].used = 0;
	q->running--;
	pthread_mutex_unlock(&q->mu);
}

int srv_ingest_running(cr_server *s)
{
	pthread_mutex_lock(&s->ingests.mu);
	int n = s->ingests.running;
	pthread_mutex_unlock(&s->ingests.mu);
	return n;
}

/* ---- the route -------------------------------------------------------- */

typedef struct src_acc {
	cr_arena *a;
	cr_source_row *rows;
	size_t n, cap;
} src_acc;

static int on_source(void *ctx, const cr_source_row *r)
{
	src_acc *l = ctx;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		cr_source_row *rows = cr_arena_alloc(l->a, cap * sizeof *rows);
		if (!rows)
			return 1;
		if (l->n)
			memcpy(rows, l->rows, l->n * sizeof *rows);
		l->rows = rows;
		l->cap = cap;
	}
	cr_source_row *x = &l->rows[l->n];
	*x = *r;
	x->root = cr_arena_strdup(l->a, r->root ? r->root : "");
	x->kind = cr_arena_strdup(l->a, r->kind ? r->kind : "");
	if (!x->root || !x->kind)
		return 1;
	l->n++;
	return 0;
}

typedef struct rej_acc {
	json_t *files;
	int64_t count;
	int oom;
} rej_acc;

static int on_reject(void *ctx, const cr_reject_row *r)
{
	rej_acc *l = ctx;
	l->count++;
	if (json_array_size(l->files) < MAX_REJECTS &&
	    json_array_append_new(l->files, json_pack("{ss ss sI}", "name", r->name ? r->name : "", "reason",
						      r->reason ? r->reason : "", "size", (json_int_t)r->size)))
		l->oom = 1;
	return 0;
}

/* May the caller count a document with this ACL? */
static int counts(const srv_ctx *ctx, int admin, const cr_acl *acl)
{
	if (!ctx->who)
		return 1;
	if (admin)
		return acl->tenant == ctx->tenant;
	return cr_acl_allows(ctx->who, acl);
}

/* The source's name as documents are named: the root's last component. */
static const char *root_name(const char *root)
{
	const char *s = strrchr(root, '/');
	return s && s[1] ? s + 1 : root;
}

enum MHD_Result srv_handle_ingest(srv_req *r)
{
	cr_server *s = r->s;
	int admin = !r->ctx.who || (r->ctx.role && !strcmp(r->ctx.role, "admin"));
	/* an admin's tenant's upload folders: DATA/uploads/TENANT/ */
	char uploads[4400] = "";
	if (r->ctx.who && admin && s->cfg.data_dir)
		snprintf(uploads, sizeof uploads, "%s/uploads/%s/", s->cfg.data_dir,
			 r->ctx.tenant_name ? r->ctx.tenant_name : "default");
	cr_msg m = {{0}};
	cr_store *st;
	cr_err e = cr_corpus_store_acquire(s->corpus, &st, &m);
	if (e)
		return srv_error_err(r, e, &m);
	src_acc sl = {.a = &r->arena};
	cr_store_id_list il = {0};
	json_t *sources = json_array();
	e = sources ? cr_store_source_rows(st, on_source, &sl, &m) : CR_ENOMEM;
	for (size_t i = 0; !e && i < sl.n; i++) {
		const cr_source_row *src = &sl.rows[i];
		il.n = 0;
		if ((e = cr_store_docs_of_source(st, src->id, cr_store_id_list_add, &il, &m)))
			break;
		if (il.oom) {
			e = cr_fail(&m, CR_ENOMEM, "out of memory");
			break;
		}
		int64_t n_docs = 0, n_chunks = 0;
		for (size_t k = 0; k < il.n && !e; k++) {
			cr_arena da;
			cr_arena_init(&da, 0);
			cr_doc_row d;
			e = cr_store_doc_get(st, &da, il.ids[k], &d, &m);
			if (e == CR_ENOTFOUND) /* removed meanwhile */
				e = CR_OK;
			else if (!e && counts(&r->ctx, admin, &d.acl)) {
				n_docs++;
				n_chunks += d.n_chunks;
			}
			cr_arena_release(&da);
		}
		if (e)
			break;
		int own_uploads = uploads[0] && !strncmp(src->root, uploads, strlen(uploads));
		if (!n_docs && r->ctx.who && !own_uploads)
			continue; /* nothing of it is the caller's to see */
		json_t *o = json_pack("{sI ss ss sI sI sI sI}", "id", (json_int_t)src->id, "name", root_name(src->root),
				      "kind", src->kind, "documents", (json_int_t)n_docs, "chunks", (json_int_t)n_chunks,
				      "added", (json_int_t)src->added, "ingested", (json_int_t)src->ingested);
		if (!o || json_array_append_new(sources, o)) {
			e = cr_fail(&m, CR_ENOMEM, "out of memory");
			break;
		}
		if (!admin)
			continue;
		rej_acc rl = {.files = json_array()};
		if (!rl.files || json_object_set_new(o, "root", json_string(src->root)) ||
		    json_object_set_new(o, "rejected", json_pack("{sI so}", "count", (json_int_t)0, "files", rl.files))) {
			e = cr_fail(&m, CR_ENOMEM, "out of memory");
			break;
		}
		if ((e = cr_store_rejects_of_source(st, src->id, on_reject, &rl, &m)))
			break;
		if (rl.oom || json_object_set_new(json_object_get(o, "rejected"), "count", json_integer(rl.count))) {
			e = cr_fail(&m, CR_ENOMEM, "out of memory");
			break;
		}
	}
	cr_corpus_store_release(s->corpus, st);
	cr_free(il.ids);
	if (e) {
		json_decref(sources);
		return srv_error_err(r, e, &m);
	}
	/* uploads being ingested now */
	json_t *files = json_array();
	int n_up = 0;
	pthread_mutex_lock(&s->ingests.mu);
	for (int i = 0; files && i < SRV_INGEST_SLOTS; i++) {
		const srv_ingest_slot *x = &s->ingests.slot[i];
		if (!x->used)
			continue;
		int mine = !r->ctx.who || (admin ? x->tenant == r->ctx.tenant
						 : x->tenant == r->ctx.tenant && r->ctx.user && !strcmp(x->user, r->ctx.user));
		if (!mine)
			continue;
		n_up++;
		json_array_append_new(files, json_pack("{ss ss sI}", "name", x->doc, "user", x->user, "since",
						       (json_int_t)x->since));
	}
	pthread_mutex_unlock(&s->ingests.mu);
	return srv_reply_jsonv(r, 200,
			       json_pack("{so s{si so}}", "sources", sources, "running", "uploads", n_up, "files",
					 files ? files : json_array()));
}
