/*
 * corpus.c — a data directory: the catalog (system of record), the index
 * (derived), and the routine that keeps the second in step with the first.
 *
 * Consistency. The catalog commits each document with its chunks in one
 * transaction; chunk ids only grow (store.h). Every chunk deletion lands in
 * the catalog's deleted-chunk journal in the same transaction (a trigger).
 * The index knows only its highest id (cr_index_max_id) and its tombstones.
 * cr_corpus_sync therefore needs no log of its own: tombstone what the
 * journal holds, add what is above the index's highest id. A kill -9 at any
 * point leaves a catalog that is consistent and an index that is at worst
 * behind, and sync is idempotent, so the next open (or ingest) repairs it.
 *
 * Writers. One thread of one process writes a data directory at a time:
 * DATA/lock is flock()ed during sync and ingest, and the thread holding it
 * is recorded, so that another thread of the same process is refused too
 * (flock alone would admit it: the lock belongs to the open file). An open
 * that finds the lock taken (an ingest is running) skips its sync; that
 * ingest will sync.
 *
 * Readers. Searches and lookups run on any number of threads at once, each
 * call on a catalog connection and an analyzer checked out of the corpus's
 * pools (a SQLite connection and an analyzer each serve one thread at a
 * time), next to the writer's own connection.
 */
#include "cristal/policy.h"
#include "corpus_int.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static char *path_join(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *p = cr_malloc(n);
	if (p)
		snprintf(p, n, "%s/%s", a, b);
	return p;
}

/* Takes the writer lock for the calling thread; waits up to `tries` x 50 ms
 * for another process (0: no wait). */
static cr_err lock_take(cr_corpus *c, int tries, cr_msg *m)
{
	pthread_t self = pthread_self();
	pthread_mutex_lock(&c->lock_mu);
	if (c->lock_depth) {
		int mine = pthread_equal(c->lock_owner, self);
		if (mine)
			c->lock_depth++;
		pthread_mutex_unlock(&c->lock_mu);
		return mine ? CR_OK
			    : cr_fail(m, CR_EBUSY, "%s: another thread is writing (an ingest is running)", c->dir);
	}
	/* Claimed before waiting for the file lock, so that the other threads
	 * of this process fail at once instead of joining the wait. */
	c->lock_depth = 1;
	c->lock_owner = self;
	pthread_mutex_unlock(&c->lock_mu);
	cr_err e = CR_OK;
	for (int i = 0;; i++) {
		if (flock(c->lock_fd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno != EWOULDBLOCK && errno != EINTR) {
			e = cr_fail(m, CR_EIO, "%s/lock: %s", c->dir, strerror(errno));
			break;
		}
		if (i >= tries) {
			e = cr_fail(m, CR_EBUSY, "%s: another process is writing (an ingest is running)", c->dir);
			break;
		}
		if (i == 4) /* a quarter second: say why nothing happens */
			cr_log(CR_LOG_WARN, "%s: waiting for another process's ingest to finish (up to %d s)", c->dir,
			       tries / 20);
		usleep(50000);
	}
	if (e) {
		pthread_mutex_lock(&c->lock_mu);
		c->lock_depth = 0;
		pthread_mutex_unlock(&c->lock_mu);
	}
	return e;
}

cr_err cr_corpus_lock(cr_corpus *c, cr_msg *m)
{
	/* Wait a little: another process may be running its short repair at open. */
	return lock_take(c, 200, m);
}

void cr_corpus_unlock(cr_corpus *c)
{
	pthread_mutex_lock(&c->lock_mu);
	/* A thread that does not hold the lock (its cr_corpus_lock failed)
	 * changes nothing. */
	if (c->lock_depth && pthread_equal(c->lock_owner, pthread_self()) && --c->lock_depth == 0)
		flock(c->lock_fd, LOCK_UN);
	pthread_mutex_unlock(&c->lock_mu);
}

/* ---- pools of per-call resources ---------------------------------------- */

/* Pushes x on a pool's idle list; 0 when the list cannot grow. */
static int pool_push(void ***list, size_t *n, size_t *cap, void *x)
{
	if (*n == *cap) {
		size_t nc = *cap ? 2 * *cap : 4;
		void **p = cr_realloc(*list, nc * sizeof *p);
		if (!p)
			return 0;
		*list = p;
		*cap = nc;
	}
	(*list)[(*n)++] = x;
	return 1;
}

cr_analyzer *cr_corpus_analyzer_acquire(cr_corpus *c)
{
	cr_analyzer *an = NULL;
	pthread_mutex_lock(&c->pool_mu);
	if (c->n_ans)
		an = c->ans[--c->n_ans];
	pthread_mutex_unlock(&c->pool_mu);
	if (an)
		return an;
	cr_analyzer_opts o = cr_analyzer_opts_default();
	if (cr_analyzer_new(&o, &an, NULL))
		return NULL;
	return an;
}

void cr_corpus_analyzer_release(cr_corpus *c, cr_analyzer *an)
{
	if (!an)
		return;
	pthread_mutex_lock(&c->pool_mu);
	int kept = pool_push((void ***)&c->ans, &c->n_ans, &c->cap_ans, an);
	pthread_mutex_unlock(&c->pool_mu);
	if (!kept)
		cr_analyzer_free(an);
}

cr_err cr_corpus_store_acquire(cr_corpus *c, cr_store **out, cr_msg *m)
{
	*out = NULL;
	pthread_mutex_lock(&c->pool_mu);
	if (c->n_readers)
		*out = c->readers[--c->n_readers];
	pthread_mutex_unlock(&c->pool_mu);
	if (*out)
		return CR_OK;
	return cr_store_open(c->dir, out, m);
}

void cr_corpus_store_release(cr_corpus *c, cr_store *s)
{
	if (!s)
		return;
	/* A connection left inside a transaction would hold the catalog's
	 * write lock for its next user: end it. */
	cr_store_rollback(s);
	pthread_mutex_lock(&c->pool_mu);
	int kept = pool_push((void ***)&c->readers, &c->n_readers, &c->cap_readers, s);
	pthread_mutex_unlock(&c->pool_mu);
	if (!kept)
		cr_store_close(s);
}

cr_store *cr_corpus_store(cr_corpus *c) { return c->store; }
cr_index *cr_corpus_index(cr_corpus *c) { return c->ix; }

/* ---- sync ---------------------------------------------------------------- */

typedef struct catchup {
	cr_corpus *c;
	cr_analyzer *an;
	cr_index_writer *w;
	cr_pool *pool;
	size_t budget;
	uint64_t bytes, added, pending;
	cr_err e;
	cr_msg *m;
} catchup;

cr_err cr_corpus_entry_title(cr_buf *b, const char *title, const char *symbol)
{
	cr_err e = title ? cr_buf_adds(b, title) : CR_OK;
	if (!e && symbol && *symbol) {
		if (title && *title)
			e = cr_buf_addc(b, ' ');
		if (!e)
			e = cr_buf_adds(b, symbol);
	}
	return e;
}

static int catchup_chunk(void *ctx, const cr_chunk_row *r)
{
	catchup *k = ctx;
	if (!k->w) {
		if ((k->e = cr_index_writer_new(k->c->ix, k->an, &k->w, k->m)))
			return 1;
		cr_index_writer_set_budget(k->w, k->budget);
		cr_index_writer_set_pool(k->w, k->pool);
	}
	cr_entry_attrs at = {
		.id = (uint64_t)r->id,
		.doc_key = (uint64_t)r->doc_id,
		.doc = r->doc,
		.type = r->type,
		.date = r->date,
		.tenant = r->acl.tenant,
		.owner = r->acl.owner,
		.groups = r->acl.groups,
		.n_groups = r->acl.n_groups,
		.classification = r->acl.classification,
	};
	cr_buf tb;
	cr_buf_init(&tb, 0);
	cr_err e = cr_corpus_entry_title(&tb, r->title, r->loc.symbol);
	if (!e)
		e = cr_index_writer_add(k->w, &at, tb.data ? tb.data : "", tb.len, r->text, r->len);
	cr_buf_release(&tb);
	if (e == CR_EINVAL || e == CR_ETOOBIG) {
		/* One entry the index refuses must not stop every later sync:
		 * it is left out (and said so), the rest goes on. */
		cr_log(CR_LOG_WARN, "index: chunk %lld of %s left out: %s", (long long)r->id, r->doc,
		       cr_strerror(e));
		return 0;
	}
	if ((k->e = e)) {
		cr_fail(k->m, k->e, "index: cannot add chunk %lld of %s: %s", (long long)r->id, r->doc,
			cr_strerror(k->e));
		return 1;
	}
	k->added++;
	k->pending++;
	k->bytes += r->len;
	if (k->bytes >= CR_CORPUS_SYNC_BYTES) {
		k->e = cr_index_writer_commit(k->w, k->m);
		cr_index_writer_free(k->w);
		k->w = NULL;
		k->bytes = k->pending = 0;
		if (k->e)
			return 1;
	}
	return 0;
}

static cr_err tombstone_journal(cr_corpus *c, cr_msg *m)
{
	cr_buf ids;
	cr_buf_init(&ids, 0);
	cr_err e = cr_store_deleted_chunks(c->store, &ids, m);
	size_t n = ids.len / sizeof(uint64_t);
	if (e || !n)
		goto out;
	uint64_t imax = cr_index_max_id(c->ix);
	const uint64_t *all = (const uint64_t *)ids.data;
	size_t n_old = 0; /* ascending: the ids the index may hold come first */
	while (n_old < n && all[n_old] <= imax)
		n_old++;
	if (n_old && (e = cr_index_delete(c->ix, all, n_old, m)))
		goto out;
	/* Ids above imax were never indexed, and the catalog no longer has
	 * them, so the catch-up will not add them either: just forget them. */
	e = cr_store_deleted_chunks_clear(c->store, all, n, m);
out:
	cr_buf_release(&ids);
	return e;
}

/* The index holds ids the catalog never issued: catalog commits lost to a
 * power cut (or a catalog replaced under an old index). */
static cr_err repair_ahead(cr_corpus *c, cr_msg *m)
{
	int64_t smax = 0;
	cr_err e = cr_store_max_chunk_id(c->store, &smax, m);
	uint64_t imax = cr_index_max_id(c->ix);
	if (e || imax <= (uint64_t)smax)
		return e;
	cr_log(CR_LOG_WARN, "%s: index is ahead of the catalog (%llu > %lld): tombstoning the difference", c->dir,
	       (unsigned long long)imax, (long long)smax);
	enum { BATCH = 65536 };
	uint64_t *ids = cr_malloc(BATCH * sizeof *ids);
	if (!ids)
		return cr_fail(m, CR_ENOMEM, "out of memory");
	for (uint64_t id = (uint64_t)smax + 1; id <= imax && !e;) {
		size_t n = 0;
		while (n < BATCH && id <= imax)
			ids[n++] = id++;
		e = cr_index_delete(c->ix, ids, n, m);
	}
	cr_free(ids);
	if (!e)
		e = cr_store_chunk_ids_reserve(c->store, (int64_t)imax, m);
	return e;
}

cr_err cr_corpus_sync(cr_corpus *c, uint64_t *n_added, cr_msg *m)
{
	return cr_corpus_sync_with(c, NULL, 0, n_added, m);
}

cr_err cr_corpus_sync_with(cr_corpus *c, cr_pool *pool, size_t budget, uint64_t *n_added, cr_msg *m)
{
	if (n_added)
		*n_added = 0;
	cr_err e;
	if ((e = tombstone_journal(c, m)) || (e = repair_ahead(c, m)))
		return e;
	catchup k = {.c = c, .an = cr_corpus_analyzer_acquire(c), .pool = pool, .budget = budget, .m = m};
	if (!k.an)
		return cr_fail(m, CR_ENOMEM, "text analyzer unavailable");
	e = cr_store_chunks_after(c->store, (int64_t)cr_index_max_id(c->ix), catchup_chunk, &k, m);
	if (!e)
		e = k.e;
	if (!e && k.w && k.pending)
		e = cr_index_writer_commit(k.w, m);
	cr_index_writer_free(k.w);
	cr_corpus_analyzer_release(c, k.an);
	if (n_added)
		*n_added = k.added;
	return e;
}

cr_err cr_corpus_maybe_merge(cr_corpus *c, cr_msg *m)
{
	cr_index_stats st;
	cr_index_get_stats(c->ix, &st);
	uint64_t all = st.n_entries + st.n_deleted; /* n_entries: live */
	if (st.n_segments > CR_CORPUS_MAX_SEGMENTS || (st.n_deleted >= 256 && st.n_deleted * 5 > all)) {
		/* The index stays correct unmerged: a failure is only a warning. */
		cr_msg mm = {{0}};
		if (cr_index_merge(c->ix, &mm))
			cr_log(CR_LOG_WARN, "%s: index merge failed (%s); searches stay correct", c->dir, mm.text);
	}
	return CR_OK;
}

/* ---- open / close -------------------------------------------------------- */

void cr_corpus_close(cr_corpus *c)
{
	if (!c)
		return;
	cr_corpus_vectors_close(c);
	pthread_mutex_destroy(&c->vec_mu);
	cr_free(c->vec_dir);
	cr_index_close(c->ix);
	cr_store_close(c->store);
	for (size_t i = 0; i < c->n_readers; i++)
		cr_store_close(c->readers[i]);
	cr_free(c->readers);
	for (size_t i = 0; i < c->n_ans; i++)
		cr_analyzer_free(c->ans[i]);
	cr_free(c->ans);
	pthread_mutex_destroy(&c->pool_mu);
	pthread_mutex_destroy(&c->lock_mu);
	if (c->lock_fd >= 0)
		close(c->lock_fd); /* closing drops the flock, if held */
	cr_free(c->dir);
	cr_free(c->index_dir);
	cr_free(c);
}

cr_err cr_corpus_open(const char *data_dir, int create, cr_corpus **out, cr_msg *m)
{
	*out = NULL;
	if (!data_dir || !*data_dir)
		return cr_fail(m, CR_EINVAL, "no data directory given");
	struct stat st;
	cr_err e;
	if (!create) {
		char *cat = path_join(data_dir, "catalog.db");
		int have = cat && stat(cat, &st) == 0;
		cr_free(cat);
		if (!have)
			return cr_fail(m, CR_ENOTFOUND, "%s: not a data directory (run `cristal --data %s init`)",
				       data_dir, data_dir);
	}
	cr_corpus *c = cr_calloc(1, sizeof *c);
	if (!c)
		return cr_fail(m, CR_ENOMEM, "out of memory");
	c->lock_fd = -1;
	pthread_mutex_init(&c->lock_mu, NULL);
	pthread_mutex_init(&c->pool_mu, NULL);
	pthread_mutex_init(&c->vec_mu, NULL);
	c->dir = cr_strdup(data_dir);
	c->index_dir = path_join(data_dir, "index");
	c->vec_dir = path_join(data_dir, "vectors");
	char *lock = path_join(data_dir, "lock");
	if (!c->dir || !c->index_dir || !c->vec_dir || !lock) {
		cr_free(lock);
		e = cr_fail(m, CR_ENOMEM, "out of memory");
		goto fail;
	}
	if ((e = cr_mkdirs(c->index_dir, m))) {
		cr_free(lock);
		goto fail;
	}
	c->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (c->lock_fd < 0) {
		e = cr_fail(m, errno == EACCES ? CR_EDENIED : CR_EIO, "%s: %s", lock, strerror(errno));
		cr_free(lock);
		goto fail;
	}
	cr_free(lock);
	if ((e = cr_store_open(data_dir, &c->store, m)) || (e = cr_index_open_key(c->index_dir, cr_store_key(c->store), &c->ix, m)))
		goto fail;
	/* Repair now if nobody else is writing; else the writer will. */
	if (lock_take(c, 0, NULL) == CR_OK) {
		e = cr_corpus_sync(c, NULL, m);
		cr_corpus_unlock(c);
		if (e)
			goto fail;
	}
	*out = c;
	return CR_OK;
fail:
	cr_corpus_close(c);
	return e;
}

cr_ingest_opts cr_ingest_opts_default(void)
{
	cr_ingest_opts o;
	memset(&o, 0, sizeof o);
	o.limits = cr_extract_limits_default();
	o.chunking = cr_chunk_opts_default();
	o.acl.classification = CR_CLASS_INTERNAL;
	return o;
}
