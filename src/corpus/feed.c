/*
 * feed.c — during an ingest, new chunks go to the index from memory, on a
 * thread of their own, as soon as their catalog transaction has committed,
 * instead of being read back from the catalog by the next cr_corpus_sync.
 * The ingest thread parses, extracts and writes the catalog while this
 * thread (and the index writer's pool) analyses and inverts: two cores
 * busy, and no chunk read twice.
 *
 * Consistency is cr_corpus_sync's (corpus.c): the index must hold every
 * catalog chunk up to its highest id. So the feed hands the writer only
 * chunks whose transaction committed, in id order, and only as one
 * unbroken run of ids that starts right after the catalog's highest id at
 * the start: each document's chunk ids (cr_store_last_chunk_ids) must
 * follow the previous ones, a rollback takes back what it undid. On any
 * surprise (a gap, ids out of order, the writer failing) the feed stops
 * taking chunks and discards the writer's uncommitted entries: what the
 * index holds is still a prefix, and the final sync adds the rest from the
 * catalog. A crash loses at most the writer's uncommitted entries, which
 * the next open's sync adds back, as before.
 *
 * The writer commits a segment every CR_CORPUS_SYNC_BYTES of text (as the
 * catch-up does) and at cr_feed_finish, which must come before any
 * cr_corpus_sync of the run: sync tombstones the deletion journal only for
 * ids the index already holds.
 */
#include "corpus_int.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Committed text waiting for the index thread; past it, the ingest waits. */
#define QUEUE_BYTES ((size_t)32 << 20)

typedef struct fentry {
	uint64_t id, doc_key;
	int64_t date;
	uint32_t tenant, owner, n_groups;
	uint8_t classification;
	size_t doc_off, type_off, title_off, title_len, text_off, text_len, groups_off;
	int has_type;
} fentry;

typedef struct packet {
	struct packet *next;
	cr_buf data; /* strings, texts, groups (uint32_t, aligned) */
	fentry *e;
	size_t n, cap;
} packet;

struct cr_feed {
	cr_corpus *c;
	int n_threads;
	size_t budget;
	pthread_t th;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	packet *head, *tail; /* committed, for the index thread */
	size_t queued;
	int closing;
	int ready; /* the thread has its first writer (or failed to) */
	packet *pending; /* this transaction's chunks */
	int64_t next_id, committed_next; /* the id the next chunk must have */
	int stopped;     /* ingest side: no more chunks taken */
	atomic_int failed; /* index side: the writer failed */
	/* index thread */
	cr_analyzer *an;
	cr_index_writer *w;
	uint64_t bytes;
	uint64_t added;
};

static void packet_free(packet *p)
{
	if (!p)
		return;
	cr_buf_release(&p->data);
	cr_free(p->e);
	cr_free(p);
}

static void packet_clear(packet *p)
{
	cr_buf_reset(&p->data);
	p->n = 0;
}

static cr_err put_str(packet *p, const char *s, size_t n, size_t *off)
{
	*off = p->data.len;
	cr_err e = n ? cr_buf_add(&p->data, s, n) : CR_OK;
	return e ? e : cr_buf_addc(&p->data, 0);
}

/* Stops taking chunks: the catalog keeps them, the final sync indexes them. */
static void stop(cr_feed *f)
{
	f->stopped = 1;
	packet_clear(f->pending);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static void fail_index(cr_feed *f, const char *what, cr_err e, const char *why)
{
	cr_log(CR_LOG_WARN, "index: %s failed (%s); the catalog is complete and the next sync catches up",
	       what, why && *why ? why : cr_strerror(e));
	cr_index_writer_free(f->w); /* discards its uncommitted entries */
	f->w = NULL;
	atomic_store(&f->failed, 1);
}

/* A writer for the next segment (its threads start with it). */
static int writer_start(cr_feed *f)
{
	cr_msg m = {{0}};
	cr_err e;
	if ((e = cr_index_writer_new(f->c->ix, f->an, &f->w, &m)) ||
	    (f->n_threads > 1 && (e = cr_index_writer_set_threads(f->w, f->n_threads, NULL, &m)))) {
		fail_index(f, "starting a segment", e, m.text);
		return -1;
	}
	if (f->budget)
		cr_index_writer_set_budget(f->w, f->budget);
	return 0;
}

static void index_packet(cr_feed *f, packet *p)
{
	cr_msg m = {{0}};
	for (size_t i = 0; i < p->n && !atomic_load(&f->failed); i++) {
		const fentry *x = &p->e[i];
		cr_err e;
		if (!f->w && writer_start(f))
			return;
		const char *d = p->data.data;
		cr_entry_attrs at = {
			.id = x->id,
			.doc_key = x->doc_key,
			.doc = d + x->doc_off,
			.type = x->has_type ? d + x->type_off : NULL,
			.date = x->date,
			.tenant = x->tenant,
			.owner = x->owner,
			.groups = x->n_groups ? (const uint32_t *)(d + x->groups_off) : NULL,
			.n_groups = x->n_groups,
			.classification = x->classification,
		};
		e = cr_index_writer_add(f->w, &at, d + x->title_off, x->title_len, d + x->text_off, x->text_len);
		if (e == CR_EINVAL || e == CR_ETOOBIG) {
			/* as the catch-up does: one refused entry does not stop the rest */
			cr_log(CR_LOG_WARN, "index: chunk %llu of %s left out: %s", (unsigned long long)x->id,
			       d + x->doc_off, cr_strerror(e));
			continue;
		}
		if (e) {
			fail_index(f, "adding a chunk", e, NULL);
			return;
		}
		f->added++;
		f->bytes += x->text_len + 1;
		if (f->bytes >= CR_CORPUS_SYNC_BYTES) {
			e = cr_index_writer_commit(f->w, &m);
			if (e) {
				fail_index(f, "committing a segment", e, m.text);
				return;
			}
			cr_index_writer_free(f->w);
			f->w = NULL;
			f->bytes = 0;
		}
	}
}

static void *feed_main(void *arg)
{
	cr_feed *f = arg;
	(void)writer_start(f); /* at once: the run has all its threads from the start */
	pthread_mutex_lock(&f->mu);
	f->ready = 1;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	for (;;) {
		pthread_mutex_lock(&f->mu);
		while (!f->head && !f->closing)
			pthread_cond_wait(&f->cv, &f->mu);
		packet *p = f->head;
		if (p) {
			f->head = p->next;
			if (!f->head)
				f->tail = NULL;
			f->queued -= p->data.len;
			pthread_cond_broadcast(&f->cv);
		}
		pthread_mutex_unlock(&f->mu);
		if (!p)
			break;
		if (!atomic_load(&f->failed))
			index_packet(f, p);
		packet_free(p);
	}
	/* on this thread: the writer's index lock belongs to it */
	if (f->w && !atomic_load(&f->failed) && f->bytes) {
		cr_msg m = {{0}};
		cr_err e = cr_index_writer_commit(f->w, &m);
		if (e)
			fail_index(f, "committing a segment", e, m.text);
	}
	cr_index_writer_free(f->w);
	f->w = NULL;
	return NULL;
}

cr_err cr_feed_start(cr_corpus *c, int n_threads, size_t budget, cr_feed **out, cr_msg *m)
{
	*out = NULL;
	int64_t smax = 0;
	cr_err e = cr_store_max_chunk_id(c->store, &smax, m);
	if (e)
		return e;
	cr_feed *f = cr_calloc(1, sizeof *f);
	if (!f)
		return cr_fail(m, CR_ENOMEM, "out of memory");
	f->c = c;
	f->n_threads = n_threads > 0 ? n_threads : 1;
	f->budget = budget;
	f->next_id = f->committed_next = smax + 1;
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	cr_analyzer_opts ao = cr_analyzer_opts_default();
	if ((e = cr_analyzer_new(&ao, &f->an, m)) || !(f->pending = cr_calloc(1, sizeof *f->pending))) {
		if (!e)
			e = cr_fail(m, CR_ENOMEM, "out of memory");
		goto fail;
	}
	cr_buf_init(&f->pending->data, 0);
	if (pthread_create(&f->th, NULL, feed_main, f)) {
		e = cr_fail(m, CR_ENOMEM, "cannot start the index thread");
		goto fail;
	}
	f->started = 1;
	pthread_mutex_lock(&f->mu);
	while (!f->ready)
		pthread_cond_wait(&f->cv, &f->mu);
	pthread_mutex_unlock(&f->mu);
	*out = f;
	return CR_OK;
fail:
	packet_free(f->pending);
	cr_analyzer_free(f->an);
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->cv);
	cr_free(f);
	return e;
}

void cr_feed_doc(cr_feed *f, int64_t doc_id, const cr_doc_row *row, const cr_doc *d, const cr_chunk *ch,
		 size_t n)
{
	if (!f || f->stopped || !n)
		return;
	if (atomic_load(&f->failed)) {
		stop(f);
		return;
	}
	int64_t first, last;
	cr_store_last_chunk_ids(f->c->store, &first, &last);
	if (first != f->next_id || last - first + 1 != (int64_t)n) {
		/* not the ids expected: leave this run's rest to the sync */
		stop(f);
		return;
	}
	/* what sq_doc_put stores, so the index gets what the catalog returns */
	const char *name = row->name ? row->name : d ? d->name : "";
	const char *title = row->title ? row->title : d ? d->title : NULL;
	const char *type = row->type ? row->type : d ? d->type : NULL;
	int64_t date = row->date ? row->date : d ? d->date : 0;
	packet *p = f->pending;
	if (p->n + n > p->cap) {
		size_t cap = p->cap ? p->cap : 256;
		while (cap < p->n + n)
			cap *= 2;
		fentry *q = cr_realloc(p->e, cap * sizeof *q);
		if (!q) {
			stop(f);
			return;
		}
		p->e = q;
		p->cap = cap;
	}
	fentry x = {.doc_key = (uint64_t)doc_id, .date = date, .tenant = row->acl.tenant, .owner = row->acl.owner,
		    .classification = row->acl.classification, .has_type = type != NULL};
	cr_err e = put_str(p, name, strlen(name), &x.doc_off);
	if (!e && type)
		e = put_str(p, type, strlen(type), &x.type_off);
	if (!e)
		e = put_str(p, title ? title : "", title ? strlen(title) : 0, &x.title_off);
	x.title_len = title ? strlen(title) : 0;
	if (!e && row->acl.n_groups) {
		/* stored as a sorted set: the same here */
		while (!e && p->data.len % sizeof(uint32_t))
			e = cr_buf_addc(&p->data, 0);
		x.groups_off = p->data.len;
		if (!e)
			e = cr_buf_add(&p->data, row->acl.groups, row->acl.n_groups * sizeof(uint32_t));
		if (!e) {
			uint32_t *g = (uint32_t *)(p->data.data + x.groups_off), k = 0;
			qsort(g, row->acl.n_groups, sizeof *g, cmp_u32);
			for (uint32_t i = 0; i < row->acl.n_groups; i++)
				if (!k || g[i] != g[k - 1])
					g[k++] = g[i];
			x.n_groups = k;
		}
	}
	cr_buf tb;
	cr_buf_init(&tb, 0);
	for (size_t i = 0; i < n && !e; i++) {
		fentry *y = &p->e[p->n + i];
		*y = x;
		y->id = (uint64_t)(first + (int64_t)i);
		y->text_len = ch[i].text ? ch[i].len : 0;
		e = put_str(p, ch[i].text, y->text_len, &y->text_off);
		if (!e && ch[i].loc.symbol && *ch[i].loc.symbol) {
			/* a code chunk: its symbol joins the title field */
			cr_buf_reset(&tb);
			e = cr_corpus_entry_title(&tb, title, ch[i].loc.symbol);
			if (!e)
				e = put_str(p, tb.data, tb.len, &y->title_off);
			y->title_len = tb.len;
		}
	}
	cr_buf_release(&tb);
	if (e) {
		stop(f);
		return;
	}
	p->n += n;
	f->next_id = last + 1;
}

void cr_feed_committed(cr_feed *f)
{
	if (!f || f->stopped)
		return;
	f->committed_next = f->next_id;
	packet *p = f->pending;
	if (!p->n)
		return;
	packet *fresh = cr_calloc(1, sizeof *fresh);
	if (!fresh) {
		stop(f);
		return;
	}
	cr_buf_init(&fresh->data, 0);
	f->pending = fresh;
	pthread_mutex_lock(&f->mu);
	while (f->queued > QUEUE_BYTES && !atomic_load(&f->failed))
		pthread_cond_wait(&f->cv, &f->mu);
	if (f->tail)
		f->tail->next = p;
	else
		f->head = p;
	f->tail = p;
	f->queued += p->data.len;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
}

void cr_feed_rolled_back(cr_feed *f)
{
	if (!f || f->stopped)
		return;
	packet_clear(f->pending);
	f->next_id = f->committed_next; /* SQLite issues the undone ids again */
}

uint64_t cr_feed_finish(cr_feed *f)
{
	if (!f)
		return 0;
	pthread_mutex_lock(&f->mu);
	f->closing = 1;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	if (f->started)
		pthread_join(f->th, NULL);
	uint64_t added = f->added;
	for (packet *p = f->head, *nx; p; p = nx) {
		nx = p->next;
		packet_free(p);
	}
	packet_free(f->pending);
	cr_analyzer_free(f->an);
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->cv);
	cr_free(f);
	return added;
}
