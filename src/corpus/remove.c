/*
 * remove.c — cr_corpus_remove: a source, a folder or file inside one, or a
 * document, out of the catalog and (through the deleted-chunk journal and a
 * sync) out of the index.
 *
 * What `what` names, first match wins:
 *   1. an ingested root (as given to ingest: its real path is looked up):
 *      the source, all its documents and remembered rejections, go;
 *   2. a path inside an ingested folder: the documents of that file, or of
 *      every file under that folder (names "<root name>/<relative path>");
 *   3. a document name as search prints it (also with "\xNN" escapes):
 *      that document with what it contains (attachments, messages).
 * Documents removed from a source that stays come back at its next ingest;
 * removing the source is for good. Takes the writer lock; one transaction.
 */
#include "corpus_int.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

typedef struct ids {
	int64_t *v;
	size_t n, cap;
	const char *prefix; /* NULL: all; else names equal to it or under it + '/' */
	cr_err e;
} ids;

static int take(void *ctx, int64_t id, const char *name, const char *hash, int64_t mtime, int64_t size)
{
	ids *s = ctx;
	if (s->prefix) {
		size_t l = strlen(s->prefix);
		if (!name || strncmp(name, s->prefix, l) || (name[l] && name[l] != '/'))
			return 0;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		int64_t *p = cr_realloc(s->v, cap * sizeof *p);
		if (!p) {
			s->e = CR_ENOMEM;
			return 1;
		}
		s->v = p;
		s->cap = cap;
	}
	s->v[s->n++] = id;
	return 0;
}

typedef struct rnames {
	cr_arena a;
	const char **v;
	size_t n, cap;
	const char *prefix;
	cr_err e;
} rnames;

static int take_reject(void *ctx, const cr_reject_row *r)
{
	rnames *s = ctx;
	if (s->prefix) {
		size_t l = strlen(s->prefix);
		if (strncmp(r->name, s->prefix, l) || (r->name[l] && r->name[l] != '/'))
			return 0;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		const char **p = cr_realloc(s->v, cap * sizeof *p);
		if (!p) {
			s->e = CR_ENOMEM;
			return 1;
		}
		s->v = p;
		s->cap = cap;
	}
	if (!(s->v[s->n] = cr_arena_strdup(&s->a, r->name))) {
		s->e = CR_ENOMEM;
		return 1;
	}
	s->n++;
	return 0;
}

/* Deletes the files of a source (all, or those under prefix), their
 * rejections, and with drop_source the source row, in one transaction. */
static cr_err drop(cr_corpus *c, int64_t src, const char *prefix, int drop_source, uint64_t *n_docs, cr_msg *m)
{
	cr_store *st = c->store;
	ids d = {.prefix = prefix};
	rnames r = {.prefix = prefix};
	cr_arena_init(&r.a, 0);
	cr_err e = cr_store_files_of_source(st, src, take, &d, m);
	if (!e && d.e)
		e = cr_fail(m, d.e, "out of memory");
	if (!e)
		e = cr_store_rejects_of_source(st, src, take_reject, &r, m);
	if (!e && r.e)
		e = cr_fail(m, r.e, "out of memory");
	if (!e && !d.n && !r.n && !drop_source)
		e = CR_ENOTFOUND;
	if (!e && !(e = cr_store_begin(st, m))) {
		for (size_t i = 0; i < d.n && !e; i++) {
			e = cr_store_doc_delete(st, d.v[i], NULL, m);
			if (e == CR_ENOTFOUND) /* went with its parent */
				e = CR_OK;
		}
		for (size_t i = 0; i < r.n && !e; i++)
			e = cr_store_reject_delete(st, src, r.v[i], m);
		if (!e && drop_source)
			e = cr_store_source_delete(st, src, m);
		if (!e)
			e = cr_store_commit(st, m);
		if (e)
			cr_store_rollback(st);
	}
	if (!e)
		*n_docs = d.n;
	cr_free(d.v);
	cr_free(r.v);
	cr_arena_release(&r.a);
	return e;
}

/* The source holding real path p (a parent folder that is a root), and the
 * document name p has under it. */
static int inside_source(cr_corpus *c, cr_arena *a, const char *p, int64_t *src, const char **name)
{
	char *dir = cr_arena_strdup(a, p);
	if (!dir)
		return 0;
	for (char *sl = strrchr(dir, '/'); sl && sl > dir; sl = strrchr(dir, '/')) {
		*sl = 0;
		cr_msg m2 = {{0}};
		if (cr_store_source_find(c->store, dir, src, &m2) == CR_OK) {
			*name = cr_arena_printf(a, "%s%s", cr_corpus_root_name(c, a, *src, dir), p + strlen(dir));
			return *name != NULL;
		}
	}
	return 0;
}

cr_err cr_corpus_remove(cr_corpus *c, const char *what, uint64_t *n_docs, int *was_source, cr_msg *m)
{
	*n_docs = 0;
	*was_source = 0;
	if (!what || !*what)
		return cr_fail(m, CR_EINVAL, "remove: nothing named");
	cr_err e = cr_corpus_lock(c, m);
	if (e)
		return e;
	cr_arena a;
	cr_arena_init(&a, 0);
	int64_t src = 0;
	const char *name = NULL;
	char *real = realpath(what, NULL);
	if (real && cr_store_source_find(c->store, real, &src, m) == CR_OK) {
		*was_source = 1;
		e = drop(c, src, NULL, 1, n_docs, m);
	} else if (real && inside_source(c, &a, real, &src, &name)) {
		e = drop(c, src, name, 0, n_docs, m);
		if (e == CR_ENOTFOUND)
			e = cr_fail(m, e, "%s: nothing ingested there (as %s)", what, name);
	} else {
		cr_doc_row d;
		e = cr_store_doc_find_any(c->store, &a, what, &d, m);
		if (e == CR_ENOTFOUND) {
			cr_buf raw;
			cr_buf_init(&raw, 0);
			if (cr_utf8_unescape(&raw, what, strlen(what)) == CR_OK)
				e = cr_store_doc_find_any(c->store, &a, raw.data, &d, m);
			cr_buf_release(&raw);
		}
		if (!e && !(e = cr_store_begin(c->store, m))) {
			if (!(e = cr_store_doc_delete(c->store, d.id, NULL, m)))
				e = cr_store_commit(c->store, m);
			if (e)
				cr_store_rollback(c->store);
			else
				*n_docs = 1;
		}
		if (e == CR_ENOTFOUND)
			e = cr_fail(m, e, "%s: no ingested source, file or document of that name", what);
	}
	free(real);
	/* the index follows: journaled chunk ids become tombstones */
	if (!e)
		e = cr_corpus_sync_with(c, NULL, 0, NULL, m);
	cr_arena_release(&a);
	cr_corpus_unlock(c);
	return e;
}
