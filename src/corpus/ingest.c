/*
 * ingest.c — cr_corpus_ingest: roots on disk → catalog → index.
 *
 * Per root: walk.c lists the candidate files; each is then
 *   unchanged  if size and mtime (nanoseconds) and the ACL (the run's
 *              cr_ingest_opts.acl) match the catalog: no read;
 *   rejected   without a read if it was rejected for its content (binary,
 *              corrupt, unsupported) on an earlier run with the same size
 *              and mtime: the catalog remembers the reason (store.h
 *              rejects), reported again; a changed file is retried;
 *   unchanged  if the bytes' SHA-256 and the ACL match: only size/mtime
 *              are updated;
 *   ACL only   if size and mtime, or the bytes' SHA-256, match but the ACL
 *              does not (other --acl, --tenant, --classification, path
 *              rules, owners, --acl-from-mail/--acl-from-chat, a chat
 *              channel's members): acl_update rewrites the ACL of every
 *              document of the file from the catalog's own rows and chunk
 *              text, nothing extracted. The chunks are written again
 *              under new ids (the old ids go to the deletion journal, so
 *              the index tombstones them and indexes the new ones, as for
 *              any changed file), in the batch's transaction: a crash
 *              leaves the old ACL or the new, never a mix;
 *   else       extracted (cr_extract), chunked (cr_chunk_doc) and written
 *              with all the documents it yields (attachments, messages)
 *              in the same catalog transaction that drops the old
 *              version: a transaction holds a batch of whole files, so a
 *              crash loses whole files, which the next run ingests again.
 * Documents of the root whose file is no longer listed (deleted from disk,
 * or now rejected) are deleted. A git repository's commit log is ingested
 * as documents "<repo>@<sha>" (immutable: added once, deleted when gone
 * from the log). New chunks go to the index from memory as their
 * transaction commits, on a thread of its own (feed.c), so indexing runs
 * beside extraction and catalog writes; the closing cr_corpus_sync applies
 * the deletions (and indexes from the catalog whatever the feed did not,
 * as it does every CR_CORPUS_SYNC_BYTES when there is no feed).
 *
 * Reading, hashing, extraction and chunking run on the run's pool
 * (cr_ingest_opts.n_threads threads, the caller's included; the catch-up
 * sync's index writer borrows the same pool; the feed's index thread runs
 * beside it with a writer of its own, feed.c), in
 * batches (see ingest_files); the catalog is written by the calling thread
 * only, in the walk's order, so runs are reproducible.
 *
 * A rejected file is reported with its reason and does not fail the
 * ingest; a catalog or index failure does (the work committed so far
 * stays, and the next run continues from it).
 */
#include "cristal/policy.h"
#include "corpus_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_COMMITS 5000



void cr_run_tell(cr_run *r, const char *name, cr_file_outcome o, const char *reason)
{
	switch (o) {
	case CR_FILE_INGESTED: r->rep->ingested++; break;
	case CR_FILE_UPDATED: r->rep->updated++; break;
	case CR_FILE_UNCHANGED: r->rep->unchanged++; break;
	case CR_FILE_DELETED: r->rep->deleted++; break;
	case CR_FILE_REJECTED: r->rep->rejected++; break;
	case CR_FILE_REJECTED_KNOWN: r->rep->rejected++; r->rep->rejected_known++; break;
	}
	if (o != CR_FILE_DELETED)
		r->done++;
	if (r->o->progress)
		r->o->progress(r->o->progress_ctx, name, o, reason, r->done, r->total);
}

cr_err cr_run_keep(cr_run *r, const char *name)
{
	if (r->n_seen == r->cap_seen) {
		size_t cap = r->cap_seen ? 2 * r->cap_seen : 256;
		const char **p = cr_realloc(r->seen, cap * sizeof *p);
		if (!p)
			return CR_ENOMEM;
		r->seen = p;
		r->cap_seen = cap;
	}
	if (!(r->seen[r->n_seen] = cr_arena_strdup(&r->seen_arena, name)))
		return CR_ENOMEM;
	r->n_seen++;
	return CR_OK;
}

/* Reads a regular file without blocking on special files. On a problem with
 * the file itself, writes the reason and returns CR_EIO/CR_EDENIED/CR_ETOOBIG. */
static cr_err read_file(const char *path, size_t max, uint8_t **out, size_t *len, cr_msg *why)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return cr_fail(why, errno == EACCES || errno == EPERM ? CR_EDENIED : CR_EIO, "%s", strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return cr_fail(why, CR_EIO, "not a regular file");
	}
	if (max && (uint64_t)st.st_size > max) {
		close(fd);
		return cr_fail(why, CR_ETOOBIG, "%lld bytes, over the limit of %zu", (long long)st.st_size, max);
	}
	size_t n = (size_t)st.st_size, got = 0;
	uint8_t *p = cr_malloc(n + 1);
	if (!p) {
		close(fd);
		return cr_fail(why, CR_ENOMEM, "cannot allocate %zu bytes", n);
	}
	while (got < n) {
		ssize_t k = read(fd, p + got, n - got);
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k < 0) {
			int en = errno;
			cr_free(p);
			close(fd);
			return cr_fail(why, CR_EIO, "%s", strerror(en));
		}
		if (k == 0)
			break; /* shrank under us: take what is there */
		got += (size_t)k;
	}
	close(fd);
	p[got] = 0;
	*out = p;
	*len = got;
	return CR_OK;
}

/* Cuts every document of a list into chunks (arrays in a). */
static cr_err chunk_all(cr_arena *a, cr_doc *docs, const cr_chunk_opts *o, cr_chunk ***ch, size_t **nch,
			cr_msg *m)
{
	size_t n = 0;
	for (cr_doc *d = docs; d; d = d->next)
		n++;
	*ch = cr_arena_zalloc(a, (n ? n : 1) * sizeof **ch);
	*nch = cr_arena_zalloc(a, (n ? n : 1) * sizeof **nch);
	if (!*ch || !*nch)
		return cr_fail(m, CR_ENOMEM, "out of memory");
	size_t i = 0;
	for (cr_doc *d = docs; d; d = d->next, i++) {
		cr_err e;
		if (d->n_sections && (e = cr_chunk_doc(a, d, o, &(*ch)[i], &(*nch)[i])))
			return cr_fail(m, e, "%s: chunking failed: %s", d->name, cr_strerror(e));
	}
	return CR_OK;
}

/* Writes the documents of one file (first = the file, then what it
 * contained) with their chunks, replacing old_id: in a transaction of its
 * own, or, with in_tx, in the caller's (which rolls back on failure). */
/* The ACL of a file named name (f: its walk entry, NULL for git commits):
 * the run's, or its POSIX owner's and group's when asked, with the path
 * rules it falls under. */
static cr_acl file_acl(const cr_run *r, const char *name, const cr_walk_file *f)
{
	cr_acl a = r->o->acl;
	if (f && r->o->owner_acl && r->o->owner_acl(r->o->owner_acl_ctx, f->uid, f->gid, &a)) {
		/* the lookup failed: closed to everyone rather than open */
		a = r->o->acl;
		a.owner = UINT32_MAX;
		a.groups = NULL;
		a.n_groups = 0;
	}
	for (size_t i = 0; i < r->o->n_rules; i++) {
		const cr_path_rule *pr = &r->o->rules[i];
		size_t l = strlen(pr->prefix);
		while (l && pr->prefix[l - 1] == '/')
			l--;
		if (!l || strncmp(name, pr->prefix, l) || (name[l] && name[l] != '/' && name[l] != '#' && name[l] != '@'))
			continue;
		if (pr->set_acl) {
			a.owner = pr->owner;
			a.groups = pr->groups;
			a.n_groups = pr->n_groups;
		}
		if (pr->set_tenant)
			a.tenant = pr->tenant;
		if (pr->classification > a.classification)
			a.classification = (uint8_t)pr->classification;
	}
	return a;
}

/* ---- readers in the ACL (--acl-from-mail, --acl-from-chat) ---- */

static int readers_on(const cr_run *r, const char *kind)
{
	return kind && ((!strcmp(kind, "mail") && r->o->acl_from_mail) || (!strcmp(kind, "chat") && r->o->acl_from_chat));
}

/* readers joined by '\n' as the catalog keeps them (NULL: none). */
static const char *readers_join(cr_arena *a, const char *const *v, size_t n, cr_err *e)
{
	cr_buf b;
	cr_buf_init(&b, 0);
	for (size_t i = 0; i < n && !*e; i++)
		if ((i && (*e = cr_buf_addc(&b, '\n'))) || (*e = cr_buf_adds(&b, v[i])))
			break;
	const char *t = !*e && n ? cr_arena_strndup(a, b.data, b.len) : NULL;
	if (!*e && n && !t)
		*e = CR_ENOMEM;
	cr_buf_release(&b);
	return t;
}

/* The catalog's readers text back into an array in arena a. */
static cr_err readers_split(cr_arena *a, const char *text, const char ***out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!text || !*text)
		return CR_OK;
	size_t k = 1;
	for (const char *p = text; *p; p++)
		k += *p == '\n';
	const char **v = cr_arena_alloc(a, k * sizeof *v);
	char *t = cr_arena_strdup(a, text);
	if (!v || !t)
		return CR_ENOMEM;
	for (char *p = t, *nl; p; p = nl ? nl + 1 : NULL) {
		if ((nl = strchr(p, '\n')))
			*nl = 0;
		if (*p)
			v[(*n)++] = p;
	}
	*out = v;
	return CR_OK;
}

/* A document's ACL from its file's (base): with the address principals of
 * its readers among the groups when the run asks for their kind (*on 1);
 * one of that kind naming nobody, under an ACL open to the whole tenant,
 * is closed to every user rather than left open. Groups in arena a; new
 * addresses are written to the catalog (inside the caller's transaction). */
static cr_err doc_acl(cr_run *r, cr_arena *a, const cr_acl *base, const char *kind, const char *const *readers,
		      size_t n, cr_acl *out, int *on, cr_msg *m)
{
	*out = *base;
	*on = readers_on(r, kind);
	if (!*on)
		return CR_OK;
	if (!n) {
		if (!base->owner && !base->n_groups)
			out->owner = UINT32_MAX;
		return CR_OK;
	}
	if (n > UINT32_MAX - base->n_groups)
		return cr_fail(m, CR_ETOOBIG, "too many readers");
	uint32_t *ids = cr_arena_alloc(a, (base->n_groups + n) * sizeof *ids);
	if (!ids)
		return cr_fail(m, CR_ENOMEM, "out of memory");
	if (base->n_groups)
		memcpy(ids, base->groups, base->n_groups * sizeof *ids);
	cr_err e = cr_store_address_ids(r->c->store, readers, n, ids + base->n_groups, m);
	if (e)
		return e;
	out->groups = ids;
	out->n_groups = base->n_groups + (uint32_t)n;
	return CR_OK;
}

/* Raises a document's level to what the markers in its title and text say
 * (policy.h). */
static void raise_class(cr_acl *acl, const char *title, const cr_chunk *ch, size_t n)
{
	int level = title ? cr_class_of_text(title, strlen(title)) : -1;
	for (size_t k = 0; k < n && level < CR_CLASS_SECRET; k++)
		level = CR_MAX(level, cr_class_of_text(ch[k].text, ch[k].len));
	if (level > acl->classification)
		acl->classification = (uint8_t)level;
}

static cr_err put_docs(cr_run *r, const cr_walk_file *wf, int in_tx, int64_t source_id, int64_t old_id, cr_doc *docs,
		       cr_chunk **ch, const size_t *nch, const char *hash, int64_t size, int64_t mtime_ns,
		       uint64_t *text_bytes, cr_msg *m)
{
	cr_store *s = r->c->store;
	cr_err e = in_tx ? CR_OK : cr_store_begin(s, m);
	if (e)
		return e;
	cr_arena a;
	cr_arena_init(&a, 0);
	if (old_id && (e = cr_store_doc_delete(s, old_id, NULL, m)))
		goto fail;
	*text_bytes = 0;
	size_t i = 0;
	cr_acl base = file_acl(r, docs->name, wf);
	for (cr_doc *d = docs; d; d = d->next, i++) {
		cr_doc_row row;
		memset(&row, 0, sizeof row);
		row.source_id = source_id;
		row.name = d->name;
		/* Everything a file yields hangs under it, so the file's
		 * deletion or update takes it along. */
		row.parent = d == docs ? NULL : d->parent ? d->parent : docs->name;
		row.hash = d == docs ? hash : NULL;
		row.size = d == docs ? size : 0;
		row.mtime = mtime_ns;
		row.readers_kind = d->readers_kind;
		row.readers = readers_join(&a, d->readers, d->n_readers, &e);
		if (e || (e = doc_acl(r, &a, &base, d->readers_kind, d->readers, d->n_readers, &row.acl,
				      &row.readers_acl, m)))
			goto fail;
		/* the markers in its title and text may raise its level */
		raise_class(&row.acl, d->title, ch[i], nch[i]);
		/* date: the document's own (mail Date, PDF and Office metadata),
		 * else the file's modification time, so date: finds every file;
		 * which one it is shows as date == mtime (cr_corpus_doc_json's
		 * "date_source") */
		if (!d->date && mtime_ns > 0)
			d->date = mtime_ns / 1000000000;
		int64_t doc_id = 0;
		if ((e = cr_store_doc_put(s, &row, d, ch[i], nch[i], &doc_id, NULL, m)))
			goto fail;
		cr_feed_doc(r->feed, doc_id, &row, d, ch[i], nch[i]);
		r->rep->chunks += nch[i];
		for (size_t k = 0; k < nch[i]; k++)
			*text_bytes += ch[i][k].len;
	}
	if (!in_tx && (e = cr_store_commit(s, m)))
		goto fail;
	if (!in_tx)
		cr_feed_committed(r->feed);
	r->rep->bytes += *text_bytes;
	cr_arena_release(&a);
	return CR_OK;
fail:
	if (!in_tx) {
		cr_store_rollback(s);
		cr_feed_rolled_back(r->feed);
	}
	cr_arena_release(&a);
	return e == CR_ENOMEM && m && !m->text[0] ? cr_fail(m, e, "out of memory") : e;
}

cr_err cr_run_maybe_sync(cr_run *r, uint64_t text_bytes, cr_msg *m)
{
	if (r->feed)
		return CR_OK;
	r->since_sync += text_bytes;
	if (r->since_sync < CR_CORPUS_SYNC_BYTES)
		return CR_OK;
	r->since_sync = 0;
	return cr_run_sync(r, m);
}

cr_err cr_run_threads(cr_run *r, cr_msg *m)
{
	int n = r->o->n_threads > 0 ? r->o->n_threads : CR_MIN(cr_ncpu(), 4);
	r->n_threads = n;
	/* With two threads or more, some index beside the others (feed.c):
	 * one of two, two of three or four, half of more. */
	r->feed_threads = n >= 2 ? n - CR_MAX(1, n / 2) : 0;
	n -= r->feed_threads;
	if (n > 1 && cr_pool_new(n, &r->pool))
		return cr_fail(m, CR_ENOMEM, "cannot start %d threads", n);
	return CR_OK;
}

void cr_run_threads_stop(cr_run *r)
{
	cr_pool_free(r->pool);
	r->pool = NULL;
}

cr_err cr_run_sync(cr_run *r, cr_msg *m)
{
	return cr_corpus_sync_with(r->c, r->pool, r->o->index_buffer, NULL, m);
}

/*
 * Files go through in batches: the main thread looks each one up in the
 * catalog (unchanged by size and mtime costs nothing more), workers then
 * read, hash, extract and chunk the others in parallel (extraction is the
 * expensive part and touches no shared state), and the main thread
 * writes the results in order, the whole batch in one transaction (a
 * transaction per file cost more than the rest of a small file's ingest:
 * each commit rewrites the B-tree pages it touched into the WAL). A batch
 * holds at most BATCH_FILES files and BATCH_BYTES of input, which bounds
 * memory.
 */
#define BATCH_FILES 256
#define BATCH_BYTES ((int64_t)64 << 20)

typedef struct job {
	const cr_walk_file *f;
	cr_arena a;
	int have;		/* already in the catalog */
	int64_t old_id;
	const char *old_hash;
	int acl_changed;	/* the stored ACL is not the run's */
	int acl_only;		/* same size and mtime, other ACL: rewritten from the catalog */
	int reextract;		/* the catalog lacks what an ACL-only update needs (readers
				 * of mail ingested before schema v9): extract again */
	int extracted;		/* went through an extractor */
	const char *const *chat_rd; /* a chat day file's channel members (--acl-from-chat) */
	size_t n_chat_rd;
	int unchanged;		/* same size and mtime: nothing to read */
	int had_reject;		/* the catalog remembers a rejection of this name */
	const char *cached_reject; /* ... with the same size and mtime: its reason, nothing to read */
	const struct cr_run_chat *chat;
	/* filled by a worker */
	cr_err fe;		/* the file's own problem: a rejection */
	cr_msg why;
	int same;		/* the bytes hash as before */
	size_t len;
	char hash[65];
	cr_doc *docs;
	cr_chunk **ch;
	size_t *nch;
	cr_err e;		/* a failure that stops the ingest */
	cr_msg em;
} job;

typedef struct batch {
	cr_run *r;
	job *jobs;
	size_t n;
	atomic_size_t next;
} batch;

/*
 * A large file that is no format we read (a photo, a video, an archive)
 * is recognised from its first HEAD_BYTES, so it is not read whole on
 * every run. Zip containers are read whole: what they are depends on their
 * directory, at the end.
 */
#define HEAD_BYTES 65536

/* A large file judged by its head: 1 when it is binary; or a refusal of
 * text too big for the limit (cr_extract_precheck, reason in why). */
static int judged_by_head(const cr_walk_file *f, const cr_extract_limits *lim, cr_err *fe, cr_msg *why)
{
	*fe = CR_OK;
	if (f->size <= HEAD_BYTES)
		return 0;
	int fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return 0; /* the full read will report why */
	uint8_t *head = cr_malloc(HEAD_BYTES);
	ssize_t n = head ? pread(fd, head, HEAD_BYTES, 0) : -1;
	close(fd);
	int binary = n == HEAD_BYTES && memcmp(head, "PK", 2) &&
		     !cr_extract_detect(f->name, head, (size_t)n);
	if (!binary && n == HEAD_BYTES)
		*fe = cr_extract_precheck(f->name, head, (size_t)n, (uint64_t)f->size, lim, why);
	cr_free(head);
	return binary;
}

static void work_one(cr_run *r, job *j)
{
	if (j->unchanged || j->cached_reject || j->acl_only)
		return;
	if (judged_by_head(j->f, &r->o->limits, &j->fe, &j->why)) {
		j->fe = cr_fail(&j->why, CR_EUNSUPPORTED, "binary file (no format Cristal reads)");
		return;
	}
	if (j->fe)
		return; /* text too big, known from its head without reading it */
	uint8_t *buf = NULL;
	if ((j->fe = read_file(j->f->path, r->o->limits.max_file_bytes, &buf, &j->len, &j->why)))
		return;
	cr_sha256_hex(buf, j->len, j->hash);
	if (j->have && j->old_hash && !strcmp(j->old_hash, j->hash) && !j->reextract) {
		j->same = 1;
		cr_free(buf);
		return;
	}
	j->extracted = 1;
	j->fe = r->o->extract_worker ? cr_extract_sandboxed(r->o->extract_worker, &j->a, j->f->name, buf, j->len,
							   &r->o->limits, &j->docs, &j->why)
				     : cr_extract(&j->a, j->f->name, buf, j->len, &r->o->limits, &j->docs, &j->why);
	cr_free(buf);
	if (!j->fe && !j->docs)
		j->fe = cr_fail(&j->why, CR_ECORRUPT, "no document extracted");
	if (j->fe) {
		if (!j->why.text[0])
			snprintf(j->why.text, sizeof j->why.text, "%s", cr_strerror(j->fe));
		return;
	}
	if (j->chat && j->chat->n_users)
		for (cr_doc *d = j->docs; d; d = d->next)
			if ((j->e = cr_chat_name_users(&j->a, d, j->chat->users, j->chat->n_users))) {
				cr_fail(&j->em, j->e, "%s: naming chat users: %s", j->f->name, cr_strerror(j->e));
				return;
			}
	if (j->chat)
		for (cr_doc *d = j->docs; d; d = d->next) {
			d->readers_kind = "chat";
			d->readers = j->chat_rd;
			d->n_readers = j->n_chat_rd;
		}
	j->e = chunk_all(&j->a, j->docs, &r->o->chunking, &j->ch, &j->nch, &j->em);
}

/* One pool task: takes files until none are left. */
static void worker(void *arg, int i_task, int n_tasks)
{
	batch *b = arg;
	size_t i;
	while ((i = atomic_fetch_add(&b->next, 1)) < b->n)
		work_one(b->r, &b->jobs[i]);
}

/* The users of the chat export `dir`, loaded once per run. */
static const struct cr_run_chat *chat_of(cr_run *r, const char *dir)
{
	for (size_t i = 0; i < r->n_chats; i++)
		if (!strcmp(r->chats[i]->dir, dir))
			return r->chats[i];
	struct cr_run_chat **p = cr_realloc(r->chats, (r->n_chats + 1) * sizeof *p);
	if (!p)
		return NULL;
	r->chats = p;
	struct cr_run_chat *c = cr_arena_zalloc(&r->chat_arena, sizeof *c);
	if (!c || !(c->dir = cr_arena_strdup(&r->chat_arena, dir)))
		return NULL;
	cr_msg um = {{0}};
	if (cr_chat_load_users(&r->chat_arena, dir, &c->users, &c->n_users, &um)) {
		cr_log(CR_LOG_WARN, "%s: %s (user ids stay as they are)", dir, um.text);
		c->users = NULL;
		c->n_users = 0;
	}
	cr_err ce = r->o->acl_from_chat ? cr_chat_load_channels(&r->chat_arena, dir, &c->channels, &c->n_channels, &um)
					: CR_OK;
	if (ce == CR_ENOMEM)
		return NULL;
	if (ce) {
		/* closed rather than open: a channel not listed names nobody */
		cr_log(CR_LOG_WARN, "%s: membership not read: %s (the days of channels not listed name no reader)",
		       dir, um.text);
		c->channels_failed = !c->n_channels;
	}
	r->chats[r->n_chats++] = c;
	return c;
}

/* The members of the channel a chat day file is in (its folder under the
 * export), none when the channel is not listed. */
static void chat_readers(const struct cr_run_chat *c, const cr_walk_file *f, const char *const **rd, size_t *n)
{
	*rd = NULL;
	*n = 0;
	size_t dl = strlen(c->dir);
	if (c->channels_failed || strncmp(f->path, c->dir, dl) || f->path[dl] != '/')
		return;
	const char *folder = f->path + dl + 1, *end = strchr(folder, '/');
	if (!end)
		return;
	for (size_t i = 0; i < c->n_channels; i++)
		if (strlen(c->channels[i].folder) == (size_t)(end - folder) &&
		    !memcmp(c->channels[i].folder, folder, (size_t)(end - folder))) {
			*rd = c->channels[i].readers;
			*n = c->channels[i].n_readers;
			return;
		}
}

/* Notes a name rejected for its content in this run (kept from the sweep). */
static cr_err note_rejected(cr_run *r, const char *name)
{
	if (r->n_rejected == r->cap_rejected) {
		size_t cap = r->cap_rejected ? 2 * r->cap_rejected : 64;
		const char **p = cr_realloc(r->rejected, cap * sizeof *p);
		if (!p)
			return CR_ENOMEM;
		r->rejected = p;
		r->cap_rejected = cap;
	}
	if (!(r->rejected[r->n_rejected] = cr_arena_strdup(&r->seen_arena, name)))
		return CR_ENOMEM;
	r->n_rejected++;
	return CR_OK;
}

/* Rejections that depend on the file are remembered until it changes
 * (size or mtime): its format, damage, a limit it passes (the limits are
 * the program's), the time it took (a file that took the whole minute is
 * not tried again every run). Access rights and memory may change without
 * the file changing: those are tried again. */
static int reject_lasts(cr_err fe)
{
	return fe == CR_EUNSUPPORTED || fe == CR_ECORRUPT || fe == CR_ETOOBIG || fe == CR_ETIMEOUT;
}

/* Whether a stored ACL stands for the run's b (groups compared as sets).
 * The stored classification may have been raised by markers in the text
 * (policy.h), so a level at least b's stands: a higher --classification
 * takes effect at once, a lower one when the file changes. */
static int acl_same(const cr_acl *a, const cr_acl *b)
{
	if (a->tenant != b->tenant || a->owner != b->owner || a->classification < b->classification ||
	    a->n_groups != b->n_groups)
		return 0;
	for (uint32_t i = 0; i < a->n_groups; i++) {
		uint32_t k = 0;
		while (k < b->n_groups && b->groups[k] != a->groups[i])
			k++;
		if (k == b->n_groups)
			return 0;
	}
	return 1;
}

/* Whether the file's stored ACL (its top document's, old) is not what
 * this run gives it (j->acl_changed), and whether that needs the file
 * extracted again (j->reextract). */
static cr_err check_acl(cr_run *r, job *j, const cr_doc_row *old, cr_msg *m)
{
	cr_acl base = file_acl(r, j->f->name, j->f);
	const char *kind = j->chat ? "chat" : old->readers_kind;
	const char *const *rd = NULL;
	size_t n = 0;
	cr_err e = CR_OK;
	int members_changed = 0;
	if (j->chat) {
		chat_readers(j->chat, j->f, &j->chat_rd, &j->n_chat_rd);
		rd = j->chat_rd;
		n = j->n_chat_rd;
		const char *now = readers_join(&j->a, rd, n, &e);
		if (e)
			return cr_fail(m, e, "out of memory");
		members_changed = r->o->acl_from_chat && (!now != !old->readers || (now && strcmp(now, old->readers)));
	} else {
		const char **sp;
		if ((e = readers_split(&j->a, old->readers, &sp, &n)))
			return cr_fail(m, e, "out of memory");
		rd = sp;
	}
	/* mail ingested before the catalog kept readers (schema v9) */
	if (!old->readers_kind && !j->chat && r->o->acl_from_mail && old->type &&
	    (!strcmp(old->type, "eml") || !strcmp(old->type, "mbox"))) {
		j->acl_changed = j->reextract = 1;
		return CR_OK;
	}
	cr_acl want;
	int on;
	if ((e = doc_acl(r, &j->a, &base, kind, rd, n, &want, &on, m)))
		return e;
	j->acl_changed = members_changed || !acl_same(&old->acl, &want) || old->readers_acl != on;
	return CR_OK;
}

typedef struct chunk_copy {
	cr_arena *a;
	cr_chunk *v;
	size_t n, cap;
	int oom;
} chunk_copy;

static const char *dup_or_null(cr_arena *a, const char *s, int *oom)
{
	const char *t = s ? cr_arena_strdup(a, s) : NULL;
	*oom |= s && !t;
	return t;
}

static int chunk_add(void *ctx, const cr_chunk_row *c)
{
	chunk_copy *k = ctx;
	if (k->n == k->cap) {
		size_t cap = k->cap ? 2 * k->cap : 64;
		cr_chunk *p = cr_arena_alloc(k->a, cap * sizeof *p);
		if (!p) {
			k->oom = 1;
			return 1;
		}
		if (k->n)
			memcpy(p, k->v, k->n * sizeof *p);
		k->v = p;
		k->cap = cap;
	}
	cr_chunk *x = &k->v[k->n++];
	x->text = cr_arena_strndup(k->a, c->text ? c->text : "", c->text ? c->len : 0);
	x->len = c->text ? c->len : 0;
	x->ordinal = c->ordinal;
	x->loc = c->loc;
	x->loc.sheet = dup_or_null(k->a, c->loc.sheet, &k->oom);
	x->loc.speaker = dup_or_null(k->a, c->loc.speaker, &k->oom);
	x->loc.heading = dup_or_null(k->a, c->loc.heading, &k->oom);
	x->loc.symbol = dup_or_null(k->a, c->loc.symbol, &k->oom);
	k->oom |= !x->text;
	return k->oom;
}

/*
 * The ACL-only update of one file (inside the batch's transaction): every
 * document of it (the file's, then what it contains, parents first) is
 * written again from its catalog row and chunks under the ACL this run
 * gives it; readers come from the row (mail) or from the export's current
 * membership (chat). Nothing is read from disk or extracted; the text is
 * the catalog's. Costs a read and a write of the file's chunks.
 */
static cr_err acl_update(cr_run *r, job *j, uint64_t *tb, cr_msg *m)
{
	cr_store *s = r->c->store;
	cr_store_id_list t = {0};
	cr_err e = cr_store_id_list_add(&t, j->old_id, NULL, NULL, 0, 0) ? CR_ENOMEM : CR_OK;
	for (size_t i = 0; i < t.n && !e; i++)
		if (!(e = cr_store_children(s, t.ids[i], cr_store_id_list_add, &t, m)) && t.oom)
			e = CR_ENOMEM;
	cr_acl base = file_acl(r, j->f->name, j->f);
	for (size_t i = 0; i < t.n && !e; i++) {
		cr_arena a;
		cr_arena_init(&a, 0);
		cr_doc_row row;
		chunk_copy k = {.a = &a};
		if ((e = cr_store_doc_get(s, &a, t.ids[i], &row, m)) ||
		    (e = cr_store_chunks_of_doc(s, t.ids[i], chunk_add, &k, m)) || (e = k.oom ? CR_ENOMEM : CR_OK)) {
			cr_arena_release(&a);
			break;
		}
		const char *const *rd = NULL;
		size_t n = 0;
		if (j->chat && !i) {
			row.readers_kind = "chat";
			rd = j->chat_rd;
			n = j->n_chat_rd;
			row.readers = readers_join(&a, rd, n, &e);
		} else {
			const char **sp;
			e = readers_split(&a, row.readers, &sp, &n);
			rd = sp;
		}
		if (!e && !(e = doc_acl(r, &a, &base, row.readers_kind, rd, n, &row.acl, &row.readers_acl, m))) {
			raise_class(&row.acl, row.title, k.v, k.n);
			row.mtime = j->f->mtime_ns;
			if (!i)
				row.size = j->same ? (int64_t)j->len : j->f->size;
			int64_t doc_id = 0;
			if (!(e = cr_store_doc_put(s, &row, NULL, k.v, k.n, &doc_id, NULL, m))) {
				cr_feed_doc(r->feed, doc_id, &row, NULL, k.v, k.n);
				r->rep->chunks += k.n;
				for (size_t c = 0; c < k.n; c++)
					*tb += k.v[c].len;
			}
		}
		cr_arena_release(&a);
	}
	cr_free(t.ids);
	if (e == CR_ENOMEM && m && !m->text[0])
		cr_fail(m, e, "out of memory");
	return e;
}

/* Writes one job's outcome (main thread) inside the batch's transaction;
 * *tb counts the text written. */
static cr_err finish(cr_run *r, job *j, uint64_t *tb, cr_msg *m)
{
	const cr_walk_file *f = j->f;
	cr_err e = CR_OK;
	if (j->unchanged) {
		cr_run_tell(r, f->name, CR_FILE_UNCHANGED, NULL);
		return cr_run_keep(r, f->name);
	}
	r->rep->extracted += (uint64_t)j->extracted;
	if (j->acl_only || (j->same && j->acl_changed)) {
		uint64_t b = 0;
		if ((j->had_reject && (e = cr_store_reject_delete(r->c->store, f->source_id, f->name, m))) ||
		    (e = acl_update(r, j, &b, m)))
			return e;
		*tb += b;
		r->rep->bytes += b;
		r->rep->acl_updated++;
		cr_run_tell(r, f->name, CR_FILE_UPDATED, NULL);
		return cr_run_keep(r, f->name);
	}
	if (j->cached_reject) {
		cr_run_tell(r, f->name, CR_FILE_REJECTED_KNOWN, j->cached_reject);
		return note_rejected(r, f->name) ? cr_fail(m, CR_ENOMEM, "out of memory") : CR_OK;
	}
	if (j->e)
		return cr_fail(m, j->e, "%s", j->em.text);
	if (j->fe) {
		cr_run_tell(r, f->name, CR_FILE_REJECTED, j->why.text);
		if (!reject_lasts(j->fe))
			return CR_OK;
		cr_reject_row rr = {.source_id = f->source_id, .name = f->name, .size = f->size,
				    .mtime = f->mtime_ns, .reason = j->why.text};
		if ((e = cr_store_reject_put(r->c->store, &rr, m)))
			return e;
		return note_rejected(r, f->name) ? cr_fail(m, CR_ENOMEM, "out of memory") : CR_OK;
	}
	if (j->had_reject && (e = cr_store_reject_delete(r->c->store, f->source_id, f->name, m)))
		return e;
	if (j->same) {
		if ((e = cr_store_doc_touch(r->c->store, j->old_id, (int64_t)j->len, f->mtime_ns, m)))
			return e;
		cr_run_tell(r, f->name, CR_FILE_UNCHANGED, NULL);
		return cr_run_keep(r, f->name);
	}
	uint64_t b = 0;
	if ((e = put_docs(r, f, 1, f->source_id, j->have ? j->old_id : 0, j->docs, j->ch, j->nch, j->hash,
			  (int64_t)j->len, f->mtime_ns, &b, m)))
		return e;
	*tb += b;
	cr_run_tell(r, f->name, j->have ? CR_FILE_UPDATED : CR_FILE_INGESTED, NULL);
	return cr_run_keep(r, f->name);
}

/* Files [0, n) of one root. Returns an error only for catalog/index failures. */
static cr_err ingest_files(cr_run *r, const cr_walk_file *files, size_t n, cr_msg *m)
{
	if (r->n_threads > 1)
		cr_extract_init(); /* libraries with process-wide set-up, before workers start */
	job *jobs = cr_calloc(BATCH_FILES, sizeof *jobs);
	if (!jobs)
		return cr_fail(m, CR_ENOMEM, "out of memory");
	cr_err e = CR_OK;
	for (size_t start = 0; start < n && !e;) {
		/* One transaction per batch, from the look-ups on: one read
		 * snapshot for them (not a lock round per query) and one commit
		 * for the writes. A crash loses whole files, which the next run
		 * ingests again. */
		if ((e = cr_store_begin(r->c->store, m)))
			break;
		/* 1. look the batch up */
		size_t k = 0, to_read = 0;
		int64_t bytes = 0;
		while (start + k < n && k < BATCH_FILES && bytes < BATCH_BYTES && !e) {
			job *j = &jobs[k];
			memset(j, 0, sizeof *j);
			cr_arena_init(&j->a, 0);
			j->f = &files[start + k];
			cr_doc_row old;
			cr_err le = cr_store_doc_find(r->c->store, &j->a, j->f->source_id, j->f->name, &old, m);
			if (le && le != CR_ENOTFOUND)
				e = le;
			j->have = le == CR_OK;
			if (!e && j->f->chat_dir && !(j->chat = chat_of(r, j->f->chat_dir)))
				e = cr_fail(m, CR_ENOMEM, "out of memory");
			if (j->have && !e) {
				j->old_id = old.id;
				j->old_hash = old.hash;
				/* other --acl, --tenant, readers than last time: the
				 * documents get the new ACL from the catalog (acl_update),
				 * or, when the file changed too, are replaced */
				e = check_acl(r, j, &old, m);
				int same_stat = old.size == j->f->size && old.mtime == j->f->mtime_ns;
				j->unchanged = !j->acl_changed && same_stat;
				j->acl_only = j->acl_changed && !j->reextract && same_stat;
			} else if (!e) {
				cr_reject_row rj;
				le = cr_store_reject_find(r->c->store, &j->a, j->f->source_id, j->f->name, &rj, m);
				if (le && le != CR_ENOTFOUND)
					e = le;
				j->had_reject = le == CR_OK;
				if (j->had_reject && rj.size == j->f->size && rj.mtime == j->f->mtime_ns)
					j->cached_reject = rj.reason;
			}
			if (j->cached_reject) {
				k++;
				continue;
			}
			if (!j->unchanged && !j->acl_only) {
				to_read++;
				bytes += j->f->size;
			}
			if (!e && j->chat && !j->have)
				chat_readers(j->chat, j->f, &j->chat_rd, &j->n_chat_rd);
			k++;
		}
		/* 2. extract in parallel */
		if (!e && to_read) {
			batch b = {.r = r, .jobs = jobs, .n = k};
			atomic_init(&b.next, 0);
			int nt = cr_pool_threads(r->pool);
			if ((size_t)nt > to_read)
				nt = (int)to_read;
			cr_pool_run(r->pool, nt, worker, &b);
		}
		/* 3. write in order */
		uint64_t tb = 0;
		for (size_t i = 0; i < k && !e; i++)
			e = finish(r, &jobs[i], &tb, m);
		if (!e)
			e = cr_store_commit(r->c->store, m);
		if (e) {
			cr_store_rollback(r->c->store);
			cr_feed_rolled_back(r->feed);
		} else {
			cr_feed_committed(r->feed);
			e = cr_run_maybe_sync(r, tb, m);
		}
		for (size_t i = 0; i < k; i++)
			cr_arena_release(&jobs[i].a);
		start += k;
	}
	cr_free(jobs);
	return e;
}

typedef struct keep_prefix {
	cr_run *r;
	const char *prefix;
	cr_err e;
} keep_prefix;

static int keep_prefixed(void *ctx, int64_t id, const char *name, const char *hash, int64_t mtime, int64_t size)
{
	keep_prefix *k = ctx;
	if (name && !strncmp(name, k->prefix, strlen(k->prefix)) && (k->e = cr_run_keep(k->r, name)))
		return 1;
	return 0;
}

static cr_err ingest_commits(cr_run *r, const cr_walk_repo *repo, cr_msg *m)
{
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_doc *docs = NULL;
	cr_msg why = {{0}};
	cr_err e = CR_OK;
	if (cr_git_log_docs(&a, repo->path, repo->name, MAX_COMMITS, &docs, &why)) {
		cr_log(CR_LOG_WARN, "%s: commit log not read: %s", repo->name, why.text);
		/* Keep the commits already in the catalog: the log may come back. */
		keep_prefix kp = {r, cr_arena_printf(&a, "%s@", repo->name), CR_OK};
		if (!kp.prefix)
			e = cr_fail(m, CR_ENOMEM, "out of memory");
		else if (!(e = cr_store_files_of_source(r->c->store, repo->source_id, keep_prefixed, &kp, m)))
			e = kp.e;
		goto out;
	}
	for (cr_doc *d = docs; d && !e; d = d->next) {
		cr_doc_row old;
		cr_arena tmp;
		cr_arena_init(&tmp, 0);
		e = cr_store_doc_find(r->c->store, &tmp, repo->source_id, d->name, &old, m);
		cr_arena_release(&tmp);
		if (e == CR_OK) {
			r->rep->unchanged++;
			e = cr_run_keep(r, d->name);
			continue;
		}
		if (e != CR_ENOTFOUND)
			break;
		cr_doc *next = d->next;
		d->next = NULL; /* one commit per transaction */
		uint64_t tb = 0;
		cr_chunk **ch;
		size_t *nch;
		e = chunk_all(&a, d, &r->o->chunking, &ch, &nch, m);
		if (!e)
			e = put_docs(r, NULL, 0, repo->source_id, 0, d, ch, nch, NULL, 0, d->date * 1000000000, &tb, m);
		d->next = next;
		if (!e) {
			r->rep->ingested++;
			if (r->o->progress)
				r->o->progress(r->o->progress_ctx, d->name, CR_FILE_INGESTED, NULL, r->done, r->total);
			if (!(e = cr_run_keep(r, d->name)))
				e = cr_run_maybe_sync(r, tb, m);
		}
	}
out:
	cr_arena_release(&a);
	return e;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

typedef struct gone {
	cr_run *r;
	int64_t *ids;
	const char **names;
	size_t n, cap;
	cr_arena a;
	cr_err e;
} gone;

static int collect_gone(void *ctx, int64_t id, const char *name, const char *hash, int64_t mtime, int64_t size)
{
	gone *g = ctx;
	if (name && g->r->n_seen && bsearch(&name, g->r->seen, g->r->n_seen, sizeof *g->r->seen, cmp_name))
		return 0;
	for (size_t i = 0; name && i < g->r->n_unlisted; i++) {
		size_t k = strlen(g->r->unlisted[i]);
		if (!strncmp(name, g->r->unlisted[i], k) && (name[k] == '/' || !name[k]))
			return 0; /* under a folder we could not list this time */
	}
	if (g->n == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 64;
		int64_t *ids = cr_realloc(g->ids, cap * sizeof *ids);
		if (ids)
			g->ids = ids;
		const char **nm = cr_realloc(g->names, cap * sizeof *nm);
		if (nm)
			g->names = nm;
		if (!ids || !nm) {
			g->e = CR_ENOMEM;
			return 1;
		}
		g->cap = cap;
	}
	g->ids[g->n] = id;
	g->names[g->n] = cr_arena_strdup(&g->a, name ? name : "");
	g->n++;
	return 0;
}

typedef struct stale {
	cr_run *r;
	cr_arena a;
	const char **names;
	size_t n, cap;
	cr_err e;
} stale;

/* A remembered rejection whose file was not rejected in this run (gone,
 * or now a document). */
static int collect_stale(void *ctx, const cr_reject_row *rj)
{
	stale *st = ctx;
	if (st->r->n_rejected &&
	    bsearch(&rj->name, st->r->rejected, st->r->n_rejected, sizeof *st->r->rejected, cmp_name))
		return 0;
	for (size_t i = 0; i < st->r->n_unlisted; i++) {
		size_t k = strlen(st->r->unlisted[i]);
		if (!strncmp(rj->name, st->r->unlisted[i], k) && (rj->name[k] == '/' || !rj->name[k]))
			return 0;
	}
	if (st->n == st->cap) {
		size_t cap = st->cap ? 2 * st->cap : 64;
		const char **p = cr_realloc(st->names, cap * sizeof *p);
		if (!p) {
			st->e = CR_ENOMEM;
			return 1;
		}
		st->names = p;
		st->cap = cap;
	}
	if (!(st->names[st->n] = cr_arena_strdup(&st->a, rj->name))) {
		st->e = CR_ENOMEM;
		return 1;
	}
	st->n++;
	return 0;
}

/* Forgets the remembered rejections of a source that this run did not reject. */
static cr_err sweep_rejects(cr_run *r, int64_t source_id, cr_msg *m)
{
	if (r->n_rejected) /* (NULL, 0) is undefined for qsort and bsearch */
		qsort(r->rejected, r->n_rejected, sizeof *r->rejected, cmp_name);
	stale st = {.r = r};
	cr_arena_init(&st.a, 0);
	cr_err e = cr_store_rejects_of_source(r->c->store, source_id, collect_stale, &st, m);
	if (!e && st.e)
		e = cr_fail(m, st.e, "out of memory");
	if (!e && st.n && !(e = cr_store_begin(r->c->store, m))) {
		for (size_t i = 0; i < st.n && !e; i++)
			e = cr_store_reject_delete(r->c->store, source_id, st.names[i], m);
		if (!e)
			e = cr_store_commit(r->c->store, m);
		if (e)
			cr_store_rollback(r->c->store);
	}
	cr_free(st.names);
	cr_arena_release(&st.a);
	r->n_rejected = 0;
	return e;
}

/* Deletes the documents of a source that this run did not see. */
cr_err cr_run_sweep(cr_run *r, int64_t source_id, cr_msg *m)
{
	if (r->n_seen)
		qsort(r->seen, r->n_seen, sizeof *r->seen, cmp_name);
	gone g = {.r = r};
	cr_arena_init(&g.a, 0);
	cr_err e = sweep_rejects(r, source_id, m);
	if (!e)
		e = cr_store_files_of_source(r->c->store, source_id, collect_gone, &g, m);
	if (!e)
		e = g.e;
	for (size_t i = 0; i < g.n && !e; i++) {
		if ((e = cr_store_begin(r->c->store, m)))
			break;
		if ((e = cr_store_doc_delete(r->c->store, g.ids[i], NULL, m)) ||
		    (e = cr_store_commit(r->c->store, m))) {
			cr_store_rollback(r->c->store);
			break;
		}
		cr_run_tell(r, g.names[i], CR_FILE_DELETED, NULL);
	}
	cr_free(g.ids);
	cr_free(g.names);
	cr_arena_release(&g.a);
	return e;
}

/* The last k components of a real path ("/a/b/c", 2 -> "b/c"), or NULL
 * when it has fewer. */
static const char *tail_k(const char *path, int k)
{
	const char *p = path + strlen(path);
	for (int i = 0; i < k; i++) {
		if (i) {
			if (p == path)
				return NULL;
			p--; /* onto the '/' before the component */
		}
		while (p > path && p[-1] != '/')
			p--;
	}
	return p;
}

typedef struct namer {
	int64_t id;
	const char *root;
	int k;
	int taken;
} namer;

static int name_taken(void *ctx, int64_t id, const char *root)
{
	namer *n = ctx;
	if (id >= n->id)
		return 1; /* only sources added before this one count */
	const char *a = tail_k(n->root, n->k), *b = tail_k(root, n->k);
	if (a && b && !strcmp(a, b) && strcmp(root, n->root))
		n->taken = 1;
	return n->taken;
}

const char *cr_corpus_root_name(cr_corpus *c, cr_arena *a, int64_t source_id, const char *root)
{
	/* the folder's name; when a source added earlier has the same one
	 * (/usr/share/doc and /opt/x/doc), as many parent folders as make
	 * it unique (x/doc), so names never change for the sources before */
	namer n = {.id = source_id, .root = root, .k = 1};
	for (; n.k < 64; n.k++) {
		n.taken = 0;
		if (!tail_k(root, n.k) || cr_store_sources(c->store, name_taken, &n, NULL) || !n.taken)
			break;
	}
	const char *t = tail_k(root, n.k);
	if (!t && n.k > 1)
		t = tail_k(root, n.k - 1);
	while (t && *t == '/')
		t++;
	return t && *t ? cr_arena_strdup(a, t) : "root";
}

cr_err cr_corpus_ingest(cr_corpus *c, const char *const *paths, size_t n, const cr_ingest_opts *o,
			cr_ingest_report *rep, cr_msg *m)
{
	double t0 = cr_now();
	cr_ingest_opts def;
	if (!o) {
		def = cr_ingest_opts_default();
		o = &def;
	}
	cr_ingest_report dummy;
	if (!rep)
		rep = &dummy;
	memset(rep, 0, sizeof *rep);
	cr_run r = {.c = c, .o = o, .rep = rep};
	cr_arena_init(&r.seen_arena, 0);
	cr_arena_init(&r.chat_arena, 0);
	cr_walk w;
	cr_walk_init(&w);
	cr_err e = cr_corpus_lock(c, m), missing = CR_OK;
	cr_msg missing_msg = {{0}};
	if (e || (e = cr_run_threads(&r, m)))
		goto out;
	/* Catch up first: the index must hold everything the catalog has
	 * before this run's deletions are journaled against it. */
	if ((e = cr_run_sync(&r, m)))
		goto out;
	cr_msg fm;
	if (r.feed_threads && cr_feed_start(c, r.feed_threads, r.o->index_buffer, &r.feed, &fm))
		r.feed = NULL; /* the syncs index instead */

	/* 1. list every root (never the data directory itself) */
	if ((e = cr_walk_exclude(&w, c->dir))) {
		e = cr_fail(m, e, "out of memory");
		goto out;
	}
	int64_t *src = cr_calloc(n ? n : 1, sizeof *src);
	size_t *first_file = cr_calloc(n + 1, sizeof *first_file);
	size_t *first_repo = cr_calloc(n + 1, sizeof *first_repo);
	if (!src || !first_file || !first_repo) {
		e = cr_fail(m, CR_ENOMEM, "out of memory");
		goto out2;
	}
	for (size_t i = 0; i < n; i++) {
		first_file[i] = w.n_files;
		first_repo[i] = w.n_repos;
		char *real = realpath(paths[i], NULL);
		if (!real) {
			src[i] = -1;
			missing = cr_fail(&missing_msg, CR_ENOTFOUND, "%s: %s", paths[i], strerror(errno));
			cr_run_tell(&r, paths[i], CR_FILE_REJECTED, strerror(errno));
			continue;
		}
		struct stat st;
		const char *kind = stat(real, &st) == 0 && S_ISREG(st.st_mode) ? "file"
				   : cr_git_is_repo(real)			    ? "git"
				   : cr_chat_is_export(real)			    ? "chat"
										    : "folder";
		e = cr_store_source_get_or_add(c->store, real, kind, &src[i], m);
		if (!e)
			e = cr_walk_root(&w, real, cr_corpus_root_name(c, &w.a, src[i], real), src[i], m);
		free(real);
		if (e)
			goto out2;
	}
	first_file[n] = w.n_files;
	first_repo[n] = w.n_repos;
	r.total = w.n_files + w.n_rejects + r.done;
	r.unlisted = w.unlisted;
	r.n_unlisted = w.n_unlisted;
	for (size_t i = 0; i < w.n_rejects; i++)
		cr_run_tell(&r, w.rejects[i].name, CR_FILE_REJECTED, w.rejects[i].reason);

	/* 2. per root: files, commit logs, then what disappeared */
	for (size_t i = 0; i < n && !e; i++) {
		if (src[i] < 0)
			continue;
		r.n_seen = 0;
		r.n_rejected = 0;
		cr_arena_release(&r.seen_arena);
		e = ingest_files(&r, w.files + first_file[i], first_file[i + 1] - first_file[i], m);
		for (size_t k = first_repo[i]; k < first_repo[i + 1] && !e; k++)
			e = ingest_commits(&r, &w.repos[k], m);
		/* The same root given twice in one run is swept once. */
		int dup = 0;
		for (size_t j = 0; j < i; j++)
			dup |= src[j] == src[i];
		if (!e && !dup)
			e = cr_run_sweep(&r, src[i], m);
	}
	/* 3. the index catches up, and is compacted when fragmented */
	cr_feed_finish(r.feed); /* before any sync */
	r.feed = NULL;
	if (!e)
		e = cr_run_sync(&r, m);
	if (!e)
		e = cr_corpus_maybe_merge(c, m);
out2:
	cr_free(src);
	cr_free(first_file);
	cr_free(first_repo);
out:
	cr_feed_finish(r.feed);
	cr_run_threads_stop(&r);
	cr_corpus_unlock(c);
	cr_walk_release(&w);
	cr_free(r.seen);
	cr_free(r.rejected);
	cr_arena_release(&r.seen_arena);
	cr_arena_release(&r.chat_arena);
	cr_free(r.chats);
	rep->seconds = cr_now() - t0;
	if (!e && missing) {
		if (m)
			*m = missing_msg;
		e = missing;
	}
	return e;
}
