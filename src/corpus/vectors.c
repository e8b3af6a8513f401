/*
 * vectors.c — chunk embeddings beside the index (corpus.h, "vectors"):
 * embedding the chunks that have none, batch files and their compaction,
 * the searches' snapshot of the files, and the vector ranking search.c fuses
 * with BM25.
 *
 * Files in DATA/vectors/ (each a vector.h index whose ids are chunk ids):
 *   b<20-digit last chunk id>.vix  a batch, flat, written atomically
 *   g<20-digit last chunk id>.vix  the compacted set (graph or flat)
 * The set in force is the newest g plus every b above its last id; older
 * files are removed by the writer after a compaction (a crash in between
 * leaves files that are ignored and removed by the next compaction).
 * Embedding resumes after the highest last id, so a chunk is embedded once
 * unless its batch was lost in flight. Chunk ids only grow (store.h), so
 * "above the last id" is exactly "not embedded yet".
 *
 * Costs: a compaction reads every vector once, looks each chunk up in the
 * catalog (deleted ones are dropped) and rebuilds the graph: O(n log n).
 * Searches check the catalog for each candidate that could enter the
 * results (a primary-key lookup).
 */
#include "corpus_int.h"
#include "cristal/vector.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FLUSH_VECTORS 512
#define FLUSH_SECONDS 2.0

struct cr_vset {
	int refs;
	struct timespec mtime;
	cr_vec_index **parts;
	size_t n_parts;
	uint64_t n_vec;
};

const char *cr_search_mode_name(cr_search_mode mode)
{
	return mode == CR_SEARCH_VECTOR ? "vector" : mode == CR_SEARCH_HYBRID ? "hybrid" : "bm25";
}

/* ---- the directory ------------------------------------------------------- */

typedef struct vfile {
	char kind; /* 'b' or 'g' */
	uint64_t last;
} vfile;

static int parse_name(const char *n, vfile *f)
{
	if ((n[0] != 'b' && n[0] != 'g') || strlen(n) != 25 || strcmp(n + 21, ".vix"))
		return 0;
	uint64_t v = 0;
	for (int i = 1; i <= 20; i++) {
		if (n[i] < '0' || n[i] > '9')
			return 0;
		v = v * 10 + (uint64_t)(n[i] - '0');
	}
	f->kind = n[0];
	f->last = v;
	return 1;
}

static int cmp_vfile(const void *a, const void *b)
{
	const vfile *x = a, *y = b;
	return x->last < y->last ? -1 : x->last > y->last ? 1 : (x->kind > y->kind) - (x->kind < y->kind);
}

/* The files of the directory, sorted by last id; *g_last the newest g's
 * (0: none). CR_OK with none when the directory is absent. */
static cr_err list_files(const char *dir, vfile **out, size_t *n, uint64_t *g_last, int *have_g, cr_msg *m)
{
	*out = NULL;
	*n = 0;
	*g_last = 0;
	*have_g = 0;
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? CR_OK : cr_fail(m, CR_EIO, "%s: %s", dir, strerror(errno));
	vfile *v = NULL;
	size_t cap = 0;
	struct dirent *e;
	cr_err err = CR_OK;
	while ((e = readdir(d))) {
		vfile f;
		if (!parse_name(e->d_name, &f))
			continue;
		if (*n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			vfile *nv = cr_realloc(v, nc * sizeof *nv);
			if (!nv) {
				err = cr_fail(m, CR_ENOMEM, "out of memory");
				break;
			}
			v = nv;
			cap = nc;
		}
		v[(*n)++] = f;
		if (f.kind == 'g' && (!*have_g || f.last > *g_last)) {
			*g_last = f.last;
			*have_g = 1;
		}
	}
	closedir(d);
	if (err) {
		cr_free(v);
		*n = 0;
		return err;
	}
	if (*n)
		qsort(v, *n, sizeof *v, cmp_vfile);
	*out = v;
	return CR_OK;
}

static char *file_path(const cr_corpus *c, char kind, uint64_t last)
{
	size_t n = strlen(c->vec_dir) + 32;
	char *p = cr_malloc(n);
	if (p)
		snprintf(p, n, "%s/%c%020llu.vix", c->vec_dir, kind, (unsigned long long)last);
	return p;
}

/* Whether file f is part of the set in force. */
static int in_force(const vfile *f, uint64_t g_last, int have_g)
{
	return f->kind == 'g' ? have_g && f->last == g_last : !have_g || f->last > g_last;
}

/* ---- snapshots ------------------------------------------------------------- */

static void vset_unref(cr_vset *s)
{
	if (!s || --s->refs > 0)
		return;
	for (size_t i = 0; i < s->n_parts; i++)
		cr_vec_index_free(s->parts[i]);
	cr_free(s->parts);
	cr_free(s);
}

static cr_err vset_load(cr_corpus *c, struct timespec mt, cr_vset **out, cr_msg *m)
{
	vfile *f;
	size_t n;
	uint64_t g_last;
	int have_g;
	cr_err e = list_files(c->vec_dir, &f, &n, &g_last, &have_g, m);
	if (e)
		return e;
	cr_vset *s = cr_calloc(1, sizeof *s);
	if (!s || (n && !(s->parts = cr_calloc(n, sizeof *s->parts)))) {
		cr_free(s);
		cr_free(f);
		return cr_fail(m, CR_ENOMEM, "out of memory");
	}
	s->refs = 1;
	s->mtime = mt;
	for (size_t i = 0; i < n && !e; i++) {
		if (!in_force(&f[i], g_last, have_g))
			continue;
		char *p = file_path(c, f[i].kind, f[i].last);
		if (!p) {
			e = cr_fail(m, CR_ENOMEM, "out of memory");
			break;
		}
		cr_vec_index *ix = NULL;
		e = cr_vec_index_open_key(p, cr_store_key(c->store), &ix, m);
		cr_free(p);
		if (!e) {
			s->parts[s->n_parts++] = ix;
			s->n_vec += cr_vec_index_count(ix);
		}
	}
	cr_free(f);
	if (e) {
		vset_unref(s);
		return e;
	}
	*out = s;
	return CR_OK;
}

/* The current snapshot (NULL when there are no vectors), referenced. */
static cr_err vset_acquire(cr_corpus *c, cr_vset **out, cr_msg *m)
{
	*out = NULL;
	struct stat st;
	if (stat(c->vec_dir, &st) != 0)
		return CR_OK;
	pthread_mutex_lock(&c->vec_mu);
	cr_err e = CR_OK;
	cr_vset *s = c->vset;
	if (!s || s->mtime.tv_sec != st.st_mtim.tv_sec || s->mtime.tv_nsec != st.st_mtim.tv_nsec) {
		cr_vset *ns = NULL;
		if ((e = vset_load(c, st.st_mtim, &ns, m)) == CR_OK) {
			vset_unref(c->vset);
			c->vset = s = ns;
		}
	}
	if (!e && s) {
		s->refs++;
		*out = s;
	}
	pthread_mutex_unlock(&c->vec_mu);
	return e;
}

static void vset_release(cr_corpus *c, cr_vset *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&c->vec_mu);
	vset_unref(s);
	pthread_mutex_unlock(&c->vec_mu);
}

void cr_corpus_vectors_close(cr_corpus *c)
{
	vset_unref(c->vset);
	c->vset = NULL;
}

uint64_t cr_corpus_vectors_count(cr_corpus *c)
{
	cr_vset *s = NULL;
	cr_msg m = {{0}};
	if (vset_acquire(c, &s, &m)) {
		/* a damaged (or, encrypted, tampered) file: searches go on without
		 * vectors, saying why */
		cr_log(CR_LOG_WARN, "vectors not used: %s", m.text);
		return 0;
	}
	if (!s)
		return 0;
	uint64_t n = s->n_vec;
	vset_release(c, s);
	return n;
}

/* ---- searching --------------------------------------------------------------- */

typedef struct keep_ctx {
	const cr_vec_index *ix;
	cr_store *st;
	const cr_principal *who;
	cr_arena a;
	int failed;
} keep_ctx;

static int keep_chunk(void *ctx, size_t i)
{
	keep_ctx *k = ctx;
	cr_chunk_row row;
	cr_err e = cr_store_chunk_get(k->st, &k->a, (int64_t)cr_vec_index_id(k->ix, i), &row, NULL);
	int ok = !e && cr_acl_allows(k->who, &row.acl);
	if (e && e != CR_ENOTFOUND)
		k->failed = 1;
	if (k->a.used > (1u << 20))
		cr_arena_release(&k->a);
	return ok;
}

static int cmp_hit(const void *a, const void *b)
{
	const cr_vec_hit *x = a, *y = b;
	return x->score > y->score ? -1 : x->score < y->score ? 1 : (x->id > y->id) - (x->id < y->id);
}

cr_err cr_corpus_vec_search(cr_corpus *c, cr_store *st, const float *vec, int dim, int k,
			    const cr_principal *who, const cr_cancel *cancel, cr_vec_hit **out, size_t *n, cr_msg *m)
{
	*out = NULL;
	*n = 0;
	cr_vset *s = NULL;
	cr_err e = vset_acquire(c, &s, m);
	if (e)
		return e;
	if (!s || !s->n_vec) {
		vset_release(c, s);
		return cr_fail(m, CR_ENOTFOUND, "no vectors (run `cristal index vectors`)");
	}
	cr_vec_hit *all = cr_malloc(s->n_parts * (size_t)k * sizeof *all);
	cr_vec_scratch *sc = cr_vec_scratch_new();
	size_t got = 0;
	if (!all || !sc) {
		e = cr_fail(m, CR_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < s->n_parts && !e; i++) {
		const cr_vec_index *ix = s->parts[i];
		if (cr_vec_index_dim(ix) != dim) {
			e = cr_fail(m, CR_EINVAL, "the query's embedding has %d dimensions, the chunks' %d (re-embed with "
				    "`cristal index vectors`)", dim, cr_vec_index_dim(ix));
			break;
		}
		keep_ctx kc = {.ix = ix, .st = st, .who = who};
		cr_arena_init(&kc.a, 0);
		cr_vec_query q = {.k = k, .ef = k > 64 ? k : 64, .filter = keep_chunk, .filter_ctx = &kc,
				  .cancel = cancel};
		int nh = 0;
		e = cr_vec_index_search(ix, sc, vec, &q, all + got, &nh, m);
		cr_arena_release(&kc.a);
		if (!e && kc.failed)
			e = cr_fail(m, CR_EIO, "catalog lookup failed during vector search");
		got += (size_t)nh;
	}
	if (!e) {
		qsort(all, got, sizeof *all, cmp_hit);
		*out = all;
		*n = got < (size_t)k ? got : (size_t)k;
		all = NULL;
	}
out:
	cr_free(all);
	cr_vec_scratch_free(sc);
	vset_release(c, s);
	return e;
}

/* ---- embedding ----------------------------------------------------------------- */

cr_err cr_corpus_vectors_source(cr_corpus *c, cr_arena *a, const char **source, int *dim, cr_msg *m)
{
	cr_store *st = NULL;
	cr_err e = cr_corpus_store_acquire(c, &st, m);
	if (e)
		return e;
	const char *src = NULL, *d = NULL;
	e = cr_store_kv_get(st, a, "vectors.source", &src, m);
	if (!e)
		e = cr_store_kv_get(st, a, "vectors.dim", &d, m);
	cr_corpus_store_release(c, st);
	if (e == CR_ENOTFOUND)
		return cr_fail(m, CR_ENOTFOUND, "no embeddings configured (run `cristal index vectors`)");
	if (e)
		return e;
	*source = src;
	*dim = atoi(d);
	return CR_OK;
}

typedef struct collect {
	cr_arena *a;
	size_t max, n;
	const char **texts;
	int64_t *ids;
} collect;

static int collect_chunk(void *ctx, const cr_chunk_row *r)
{
	collect *k = ctx;
	const char *t = r->title && *r->title ? cr_arena_printf(k->a, "%s\n%.*s", r->title, (int)r->len, r->text)
					      : cr_arena_strndup(k->a, r->text, r->len);
	if (!t)
		return 1;
	k->texts[k->n] = t;
	k->ids[k->n] = r->id;
	return ++k->n >= k->max;
}

static cr_err remove_all(cr_corpus *c, cr_msg *m)
{
	vfile *f;
	size_t n;
	uint64_t g;
	int hg;
	cr_err e = list_files(c->vec_dir, &f, &n, &g, &hg, m);
	for (size_t i = 0; !e && i < n; i++) {
		char *p = file_path(c, f[i].kind, f[i].last);
		if (p)
			unlink(p);
		cr_free(p);
	}
	cr_free(f);
	return e;
}

static cr_err flush(cr_corpus *c, cr_vec_index **pending, uint64_t last, cr_msg *m)
{
	if (!*pending || !cr_vec_index_count(*pending))
		return CR_OK;
	char *p = file_path(c, 'b', last);
	if (!p)
		return cr_fail(m, CR_ENOMEM, "out of memory");
	cr_err e = cr_vec_index_save_key(*pending, p, cr_store_key(c->store), m);
	cr_free(p);
	cr_vec_index_free(*pending);
	*pending = NULL;
	return e;
}

/* Merges the set in force into one g file without deleted chunks, then
 * removes every older file. */
static cr_err compact(cr_corpus *c, const cr_vectors_opts *o, cr_vectors_report *rep, cr_msg *m)
{
	cr_vset *s = NULL;
	struct timespec zero = {0};
	cr_err e = vset_load(c, zero, &s, m);
	if (e)
		return e;
	vfile *f = NULL;
	size_t nf = 0;
	uint64_t g_last, last = 0;
	int have_g;
	cr_vec_index *out = NULL;
	cr_pool *pool = NULL;
	cr_arena a;
	cr_arena_init(&a, 0);
	if ((e = list_files(c->vec_dir, &f, &nf, &g_last, &have_g, m)))
		goto done;
	for (size_t i = 0; i < nf; i++)
		if (f[i].last > last)
			last = f[i].last;
	if (!s->n_parts)
		goto done;
	if ((e = cr_vec_index_new(cr_vec_index_dim(s->parts[0]), NULL, &out, m)))
		goto done;
	for (size_t i = 0; i < s->n_parts && !e; i++) {
		const cr_vec_index *ix = s->parts[i];
		for (size_t j = 0; j < cr_vec_index_count(ix) && !e; j++) {
			uint64_t id = cr_vec_index_id(ix, j);
			cr_chunk_row row;
			cr_err g = cr_store_chunk_get(c->store, &a, (int64_t)id, &row, m);
			if (a.used > (1u << 20))
				cr_arena_release(&a);
			if (g == CR_ENOTFOUND)
				continue; /* deleted since it was embedded */
			if (g) {
				e = g;
				break;
			}
			float sc;
			const int8_t *q = cr_vec_index_vec(ix, j, &sc);
			e = cr_vec_index_add_q(out, id, q, sc, m);
		}
	}
	if (e)
		goto done;
	if (cr_vec_index_count(out) >= CR_CORPUS_VEC_GRAPH_MIN) {
		if ((e = cr_pool_new(o->n_threads, &pool)))
			goto done;
		if ((e = cr_vec_index_build(out, pool, o->cancel, m)))
			goto done;
	}
	char *p = file_path(c, 'g', last);
	if (!p) {
		e = cr_fail(m, CR_ENOMEM, "out of memory");
		goto done;
	}
	e = cr_vec_index_save_key(out, p, cr_store_key(c->store), m);
	cr_free(p);
	if (e)
		goto done;
	for (size_t i = 0; i < nf; i++) {
		if (f[i].kind == 'g' && f[i].last == last)
			continue;
		if (f[i].last <= last) {
			char *q = file_path(c, f[i].kind, f[i].last);
			if (q)
				unlink(q);
			cr_free(q);
		}
	}
	if (rep) {
		rep->total = cr_vec_index_count(out);
		rep->graph = cr_vec_index_has_graph(out);
	}
done:
	cr_arena_release(&a);
	cr_pool_free(pool);
	cr_vec_index_free(out);
	cr_free(f);
	vset_unref(s);
	return e;
}

cr_err cr_corpus_vectors_update(cr_corpus *c, const cr_vectors_opts *o, cr_vectors_report *rep, cr_msg *m)
{
	cr_vectors_report r0;
	if (!rep)
		rep = &r0;
	memset(rep, 0, sizeof *rep);
	if (!o || !o->embed || !o->source || !*o->source)
		return cr_fail(m, CR_EINVAL, "vectors: no embedder given");
	double t0 = cr_now();
	cr_err e = cr_corpus_lock(c, m);
	if (e)
		return e;
	cr_store *st = c->store;
	cr_arena a, ka;
	cr_arena_init(&a, 0);
	cr_arena_init(&ka, 0);
	cr_vec_index *pending = NULL;
	vfile *f = NULL;
	size_t nf = 0, batch = o->batch ? o->batch : 32;
	const char **texts = cr_malloc(batch * sizeof *texts);
	int64_t *ids = cr_malloc(batch * sizeof *ids);
	if (!texts || !ids) {
		e = cr_fail(m, CR_ENOMEM, "out of memory");
		goto out;
	}
	/* the embedder the catalog remembers: another one's vectors go */
	const char *old = NULL, *olddim = NULL;
	cr_err ge = cr_store_kv_get(st, &ka, "vectors.source", &old, m);
	if (ge && ge != CR_ENOTFOUND) {
		e = ge;
		goto out;
	}
	int dim = 0;
	if (!ge && !strcmp(old, o->source) && !cr_store_kv_get(st, &ka, "vectors.dim", &olddim, NULL))
		dim = atoi(olddim);
	if ((e = cr_mkdirs(c->vec_dir, m)))
		goto out;
	if (ge || strcmp(old, o->source)) {
		if ((e = remove_all(c, m)) || (e = cr_store_kv_set(st, "vectors.source", o->source, m)))
			goto out;
	}
	uint64_t g_last, last = 0;
	int have_g;
	if ((e = list_files(c->vec_dir, &f, &nf, &g_last, &have_g, m)))
		goto out;
	for (size_t i = 0; i < nf; i++)
		if (in_force(&f[i], g_last, have_g) && f[i].last > last)
			last = f[i].last;
	size_t n_batch_files = 0;
	uint64_t in_batches = 0;
	for (size_t i = 0; i < nf; i++)
		n_batch_files += f[i].kind == 'b' && in_force(&f[i], g_last, have_g);
	cr_store_stats ss;
	uint64_t total = 0;
	if (!cr_store_get_stats(st, &ka, &ss, NULL))
		total = (uint64_t)ss.n_chunks;
	double t_flush = cr_now();
	uint64_t pend_last = last;
	for (;;) {
		if (o->cancel && (e = cr_cancel_check(o->cancel)))
			break;
		collect k = {.a = &a, .max = batch, .texts = texts, .ids = ids};
		if ((e = cr_store_chunks_after(st, (int64_t)pend_last, collect_chunk, &k, m)))
			break;
		if (!k.n)
			break;
		float *vecs = NULL;
		int d = 0;
		if ((e = o->embed(o->embed_ctx, texts, k.n, &a, &vecs, &d, m)))
			break;
		if (d < 1 || d > CR_VEC_MAX_DIM || (dim && d != dim)) {
			e = cr_fail(m, CR_EUPSTREAM, "the embedder gave %d dimensions, expected %d", d, dim);
			break;
		}
		if (!dim) {
			char buf[16];
			snprintf(buf, sizeof buf, "%d", d);
			if ((e = cr_store_kv_set(st, "vectors.dim", buf, m)))
				break;
			dim = d;
		}
		if (!pending && (e = cr_vec_index_new(dim, NULL, &pending, m)))
			break;
		for (size_t i = 0; i < k.n && !e; i++)
			e = cr_vec_index_add(pending, (uint64_t)ids[i], vecs + i * (size_t)dim, m);
		if (e)
			break;
		pend_last = (uint64_t)ids[k.n - 1];
		rep->embedded += k.n;
		cr_arena_release(&a);
		if (cr_vec_index_count(pending) >= FLUSH_VECTORS || cr_now() - t_flush > FLUSH_SECONDS) {
			in_batches += cr_vec_index_count(pending);
			if ((e = flush(c, &pending, pend_last, m)))
				break;
			n_batch_files++;
			t_flush = cr_now();
		}
		if (o->progress)
			o->progress(o->progress_ctx, rep->embedded, total);
	}
	if (pending) {
		in_batches += cr_vec_index_count(pending);
		cr_err fe = flush(c, &pending, pend_last, e ? NULL : m);
		if (!e && fe)
			e = fe;
		n_batch_files++;
	}
	if (e)
		goto out;
	rep->dim = dim;
	/* compact when asked, with no compacted file yet, or when the batches
	 * have grown to an eighth of it (or are many files) */
	uint64_t g_count = 0;
	if (have_g) {
		char *p = file_path(c, 'g', g_last);
		cr_vec_index *gx = NULL;
		if (p && !cr_vec_index_open_key(p, cr_store_key(c->store), &gx, NULL))
			g_count = cr_vec_index_count(gx);
		cr_vec_index_free(gx);
		cr_free(p);
	}
	if (o->compact || (!have_g && n_batch_files) || n_batch_files > 16 || (in_batches && in_batches >= g_count / 8))
		e = compact(c, o, rep, m);
	else
		rep->total = g_count + in_batches;
out:
	cr_vec_index_free(pending);
	cr_free(texts);
	cr_free(ids);
	cr_free(f);
	cr_arena_release(&a);
	cr_arena_release(&ka);
	cr_corpus_unlock(c);
	rep->seconds = cr_now() - t0;
	return e;
}
