/*
 * store.c — the catalog's front: picks a back end and forwards every call
 * through its vtable (store_int.h), so callers never see SQLite. Also the
 * helpers every back end shares (the stored form of ACL groups).
 *
 * Back end choice: a data directory means SQLite (DATA/catalog.db). A
 * "postgres://" URL is reserved for the PostgreSQL back end, which is not
 * built yet (CR_EUNSUPPORTED).
 */
#include "store_int.h"

#include <stdlib.h>
#include <string.h>

cr_err cr_store_open(const char *data_dir, cr_store **out, cr_msg *m)
{
	if (!data_dir || !*data_dir || !out)
		return cr_fail(m, CR_EINVAL, "store: no data directory");
	if (!strncmp(data_dir, "postgres://", 11) || !strncmp(data_dir, "postgresql://", 13))
		return cr_fail(m, CR_EUNSUPPORTED, "store: the PostgreSQL back end is not built");
	return cr_store_sqlite_open(data_dir, out, m);
}

void cr_store_close(cr_store *s)
{
	if (s)
		s->vt->close(s);
}

const char *cr_store_backend(const cr_store *s) { return s->vt->name; }
const cr_key *cr_store_key(const cr_store *s) { return s->vt->key ? s->vt->key(s) : NULL; }

cr_err cr_store_begin(cr_store *s, cr_msg *m) { return s->vt->begin(s, m); }
cr_err cr_store_commit(cr_store *s, cr_msg *m) { return s->vt->commit(s, m); }
void cr_store_rollback(cr_store *s) { s->vt->rollback(s); }

cr_err cr_store_source_get_or_add(cr_store *s, const char *root, const char *kind, int64_t *source_id,
				  cr_msg *m)
{
	return s->vt->source_get_or_add(s, root, kind, source_id, m);
}

cr_err cr_store_source_find(cr_store *s, const char *root, int64_t *source_id, cr_msg *m)
{
	return s->vt->source_find(s, root, source_id, m);
}

cr_err cr_store_sources(cr_store *s, cr_store_source_fn fn, void *ctx, cr_msg *m)
{
	return s->vt->sources(s, fn, ctx, m);
}

cr_err cr_store_source_rows(cr_store *s, cr_store_source_row_fn fn, void *ctx, cr_msg *m)
{
	return s->vt->source_rows(s, fn, ctx, m);
}

cr_err cr_store_source_delete(cr_store *s, int64_t source_id, cr_msg *m)
{
	return s->vt->source_delete(s, source_id, m);
}

cr_err cr_store_doc_find(cr_store *s, cr_arena *a, int64_t source_id, const char *name, cr_doc_row *out,
			 cr_msg *m)
{
	return s->vt->doc_find(s, a, source_id, name, out, m);
}

cr_err cr_store_doc_get(cr_store *s, cr_arena *a, int64_t doc_id, cr_doc_row *out, cr_msg *m)
{
	return s->vt->doc_get(s, a, doc_id, out, m);
}

cr_err cr_store_doc_find_any(cr_store *s, cr_arena *a, const char *name, cr_doc_row *out, cr_msg *m)
{
	return s->vt->doc_find_any(s, a, name, out, m);
}

cr_err cr_store_doc_put(cr_store *s, const cr_doc_row *row, const cr_doc *d, const cr_chunk *chunks,
			size_t n_chunks, int64_t *doc_id, cr_buf *deleted_chunk_ids, cr_msg *m)
{
	return s->vt->doc_put(s, row, d, chunks, n_chunks, doc_id, deleted_chunk_ids, m);
}

void cr_store_last_chunk_ids(cr_store *s, int64_t *first, int64_t *last)
{
	s->vt->last_chunk_ids(s, first, last);
}

cr_err cr_store_doc_delete(cr_store *s, int64_t doc_id, cr_buf *deleted_chunk_ids, cr_msg *m)
{
	return s->vt->doc_delete(s, doc_id, deleted_chunk_ids, m);
}

cr_err cr_store_reject_put(cr_store *s, const cr_reject_row *r, cr_msg *m)
{
	if (!r || !r->name)
		return cr_fail(m, CR_EINVAL, "catalog: rejection without a name");
	return s->vt->reject_put(s, r, m);
}

cr_err cr_store_reject_find(cr_store *s, cr_arena *a, int64_t source_id, const char *name, cr_reject_row *out,
			    cr_msg *m)
{
	return s->vt->reject_find(s, a, source_id, name, out, m);
}

cr_err cr_store_reject_delete(cr_store *s, int64_t source_id, const char *name, cr_msg *m)
{
	return s->vt->reject_delete(s, source_id, name, m);
}

cr_err cr_store_rejects_of_source(cr_store *s, int64_t source_id, cr_store_reject_fn fn, void *ctx, cr_msg *m)
{
	return s->vt->rejects_of_source(s, source_id, fn, ctx, m);
}

cr_err cr_store_doc_touch(cr_store *s, int64_t doc_id, int64_t size, int64_t mtime, cr_msg *m)
{
	return s->vt->doc_touch(s, doc_id, size, mtime, m);
}

cr_err cr_store_docs_of_source(cr_store *s, int64_t source_id, cr_store_doc_fn fn, void *ctx, cr_msg *m)
{
	return s->vt->docs_of_source(s, source_id, 0, fn, ctx, m);
}

cr_err cr_store_files_of_source(cr_store *s, int64_t source_id, cr_store_doc_fn fn, void *ctx, cr_msg *m)
{
	return s->vt->docs_of_source(s, source_id, 1, fn, ctx, m);
}

cr_err cr_store_docs_after(cr_store *s, int64_t after_id, cr_store_doc_fn fn, void *ctx, cr_msg *m)
{
	return s->vt->docs_after(s, after_id, fn, ctx, m);
}

cr_err cr_store_children(cr_store *s, int64_t doc_id, cr_store_doc_fn fn, void *ctx, cr_msg *m)
{
	return s->vt->children(s, doc_id, fn, ctx, m);
}

cr_err cr_store_chunk_get(cr_store *s, cr_arena *a, int64_t chunk_id, cr_chunk_row *out, cr_msg *m)
{
	return s->vt->chunk_get(s, a, chunk_id, out, m);
}

cr_err cr_store_chunks_after(cr_store *s, int64_t after_id, cr_store_chunk_fn fn, void *ctx, cr_msg *m)
{
	return s->vt->chunks_after(s, after_id, fn, ctx, m);
}

cr_err cr_store_chunks_of_doc(cr_store *s, int64_t doc_id, cr_store_chunk_fn fn, void *ctx, cr_msg *m)
{
	return s->vt->chunks_of_doc(s, doc_id, fn, ctx, m);
}

cr_err cr_store_max_chunk_id(cr_store *s, int64_t *out, cr_msg *m) { return s->vt->max_chunk_id(s, out, m); }

cr_err cr_store_chunk_ids_reserve(cr_store *s, int64_t above, cr_msg *m)
{
	return s->vt->chunk_ids_reserve(s, above, m);
}

cr_err cr_store_deleted_chunks(cr_store *s, cr_buf *ids, cr_msg *m) { return s->vt->deleted_chunks(s, ids, m); }

cr_err cr_store_deleted_chunks_clear(cr_store *s, const uint64_t *ids, size_t n, cr_msg *m)
{
	return s->vt->deleted_chunks_clear(s, ids, n, m);
}

cr_err cr_store_kv_get(cr_store *s, cr_arena *a, const char *key, const char **value, cr_msg *m)
{
	return s->vt->kv_get(s, a, key, value, m);
}

cr_err cr_store_kv_set(cr_store *s, const char *key, const char *value, cr_msg *m)
{
	return s->vt->kv_set(s, key, value, m);
}

cr_err cr_store_get_stats(cr_store *s, cr_arena *a, cr_store_stats *st, cr_msg *m)
{
	return s->vt->get_stats(s, a, st, m);
}

cr_err cr_store_model_put(cr_store *s, const cr_model_row *r, cr_msg *m) { return s->vt->model_put(s, r, m); }

cr_err cr_store_model_get(cr_store *s, cr_arena *a, const char *name, cr_model_row *out, cr_msg *m)
{
	return s->vt->model_get(s, a, name, out, m);
}

cr_err cr_store_model_del(cr_store *s, const char *name, cr_msg *m) { return s->vt->model_del(s, name, m); }

cr_err cr_store_model_list(cr_store *s, cr_store_model_fn fn, void *ctx, cr_msg *m)
{
	return s->vt->model_list(s, fn, ctx, m);
}

/* ---- shared helpers ------------------------------------------------------ */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

cr_err cr_store_groups_format(const uint32_t *g, uint32_t n, cr_buf *out)
{
	cr_buf_reset(out);
	if (!n)
		return cr_buf_adds(out, "");
	uint32_t *tmp = cr_malloc(n * sizeof *tmp);
	if (!tmp)
		return CR_ENOMEM;
	memcpy(tmp, g, n * sizeof *tmp);
	qsort(tmp, n, sizeof *tmp, cmp_u32);
	cr_err e = CR_OK;
	for (uint32_t i = 0; i < n && !e; i++) {
		if (i && tmp[i] == tmp[i - 1])
			continue; /* a set: duplicates collapse */
		e = cr_buf_printf(out, "%s%u", out->len ? "," : "", tmp[i]);
	}
	cr_free(tmp);
	return e;
}

cr_err cr_store_groups_parse(const char *s, cr_buf *out, uint32_t *n)
{
	cr_buf_reset(out);
	*n = 0;
	if (!s)
		return CR_OK;
	while (*s) {
		char *end;
		if (*s < '0' || *s > '9')
			return CR_ECORRUPT;
		unsigned long v = strtoul(s, &end, 10);
		if (v > UINT32_MAX)
			return CR_ECORRUPT;
		uint32_t g = (uint32_t)v;
		cr_err e = cr_buf_add(out, &g, sizeof g);
		if (e)
			return e;
		(*n)++;
		s = end;
		if (*s == ',')
			s++;
		else if (*s)
			return CR_ECORRUPT;
	}
	return CR_OK;
}

int cr_store_id_list_add(void *list, int64_t id, const char *name, const char *hash, int64_t mtime, int64_t size)
{
	(void)name, (void)hash, (void)mtime, (void)size;
	cr_store_id_list *l = list;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		int64_t *p = cr_realloc(l->ids, cap * sizeof *p);
		if (!p) {
			l->oom = 1;
			return 1;
		}
		l->ids = p;
		l->cap = cap;
	}
	l->ids[l->n++] = id;
	return 0;
}
