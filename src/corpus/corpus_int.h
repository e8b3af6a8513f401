/*
 * corpus_int.h — what the files of the corpus module share.
 *
 *   corpus.c  open/close, the writer lock, the pools of read connections
 *             and analyzers, and
 *             cr_corpus_sync: the one routine that brings the index up to
 *             the catalog (tombstones, then new chunks)
 *   walk.c    turning roots (folders, repositories, chat exports, files)
 *             into a list of candidate files, with rejections
 *   ingest.c  cr_corpus_ingest: incremental, one transaction per file
 *   jsonl.c   cr_corpus_ingest_jsonl: one document per JSON line
 *   search.c  cr_corpus_search: index → catalog rows → snippets; BM25,
 *             vector or hybrid (reciprocal rank fusion)
 *   vectors.c embeddings of chunks in DATA/vectors/, their search
 */
#ifndef CR_CORPUS_INT_H
#define CR_CORPUS_INT_H

#include <pthread.h>
#include <sys/types.h>

#include "cristal/corpus.h"

struct cr_corpus {
	char *dir;
	char *index_dir;
	cr_store *store;   /* the writer's connection: used only by the thread
			    * holding the writer lock (or before open returns) */
	cr_index *ix;      /* shared: searches take snapshots (index.h) */
	/* The writer lock: one thread of one process at a time. lock_mu
	 * guards the three fields below; DATA/lock is flock()ed while
	 * lock_depth > 0 (another process), lock_owner keeps out the other
	 * threads of this one (flock is per open file, not per thread). */
	pthread_mutex_t lock_mu;
	int lock_fd;
	int lock_depth;
	pthread_t lock_owner;
	/* Pools of per-call resources, checked out by one call on one thread
	 * and returned when it ends (pool_mu guards them). Their size is the
	 * highest number of calls ever running at once; all are freed at
	 * close. */
	pthread_mutex_t pool_mu;
	cr_store **readers; /* idle read connections to the catalog */
	size_t n_readers, cap_readers;
	cr_analyzer **ans;  /* idle analyzers */
	size_t n_ans, cap_ans;
	/* vectors.c: DATA/vectors and the searches' snapshot of its files
	 * (vec_mu guards vset and its reference counts) */
	char *vec_dir;
	pthread_mutex_t vec_mu;
	struct cr_vset *vset;
};

/* -- vectors.c -- */
typedef struct cr_vset cr_vset;
/* Frees the snapshot (cr_corpus_close). */
void cr_corpus_vectors_close(cr_corpus *c);
/* The k best chunks for the query embedding vec (dim floats), best first,
 * each checked against catalog st (deleted: left out) and the principal's
 * ACL; *out is cr_malloc'ed (cr_free). CR_ENOTFOUND when there are no
 * vectors, CR_EINVAL when dim is not theirs. */
struct cr_vec_hit;
cr_err cr_corpus_vec_search(cr_corpus *c, cr_store *st, const float *vec, int dim, int k,
			    const cr_principal *who, const cr_cancel *cancel, struct cr_vec_hit **out, size_t *n,
			    cr_msg *m) CR_NODISCARD;

/* -- jsonl.c: one JSON line, parsed without a catalog (also fuzz/fuzz_jsonl.c) -- */

typedef struct cr_jsonl_rec {
	const char *id;    /* "_id" or "id": a non-empty string as is, an integer in decimal */
	const char *title; /* NULL when absent or not a string */
	size_t title_len;
	const char *text;  /* NULL when absent or not a string (never holds NUL: jansson rejects escaped NULs) */
	size_t text_len;
	const char *meta_json; /* the other fields as compact ASCII JSON, or NULL when there are none */
} cr_jsonl_rec;

/*
 * Parses one line (no newline) into *rec; every string is copied into arena
 * a. CR_ECORRUPT with the reason in m when the line is not a JSON object
 * (jansson's message; duplicate keys are rejected), has no usable id ("no
 * \"_id\" or \"id\"") or neither text nor title. jansson bounds nesting
 * (2048 levels) and rejects integers out of range and invalid UTF-8.
 */
cr_err cr_jsonl_parse_line(cr_arena *a, const char *line, size_t len, cr_jsonl_rec *rec, cr_msg *m) CR_NODISCARD;
/* The same by jansson alone: what cr_jsonl_parse_line's one-pass reader
 * must agree with (fuzz/fuzz_jsonl.c compares them). */
cr_err cr_jsonl_parse_line_ref(cr_arena *a, const char *line, size_t len, cr_jsonl_rec *rec, cr_msg *m) CR_NODISCARD;

/* Text indexed between two catch-ups during a long ingest, and per segment. */
#define CR_CORPUS_SYNC_BYTES ((uint64_t)64 << 20)

/* Takes the writer lock for the calling thread (re-entrant within it): one
 * thread of one process per data directory. CR_EBUSY at once when another
 * thread of this process holds it, after up to 10 s when another process
 * does. */
cr_err cr_corpus_lock(cr_corpus *c, cr_msg *m) CR_NODISCARD;
/* Releases one level of the calling thread's hold; nothing if it holds none. */
void cr_corpus_unlock(cr_corpus *c);
/*
 * Brings the index up to the catalog; the caller holds the lock.
 *  1. chunk ids in the catalog's deleted journal that the index may hold
 *     become tombstones (durable), then leave the journal;
 *  2. if the index holds ids the catalog never issued (a power cut lost
 *     catalog commits), those ids are tombstoned and the catalog's id
 *     counter moves past them;
 *  3. chunks above the index's highest id are added, one segment per
 *     CR_CORPUS_SYNC_BYTES of text.
 * Every step is idempotent, so a crash anywhere is repaired by the next run.
 */
cr_err cr_corpus_sync(cr_corpus *c, uint64_t *n_added, cr_msg *m) CR_NODISCARD;
/* The same, the index writer running on the caller's pool (NULL: on the
 * calling thread) with `budget` bytes buffered per segment (0: default). */
cr_err cr_corpus_sync_with(cr_corpus *c, cr_pool *pool, size_t budget, uint64_t *n_added, cr_msg *m) CR_NODISCARD;

/* -- feed.c: an ingest's new chunks to the index from memory, on a thread -- */

typedef struct cr_feed cr_feed;
/* Starts the index thread (the caller holds the lock and has synced).
 * n_threads: the feed's (cr_run.feed_threads): its thread, and above one a
 * pool of that many for its writer (beside the run's pool, which the
 * extraction uses at the same time). budget: the writer's buffer (0: its
 * default). */
cr_err cr_feed_start(cr_corpus *c, int n_threads, size_t budget, cr_feed **out, cr_msg *m) CR_NODISCARD;
/* After a successful cr_store_doc_put(row, d, ch, n) that gave doc_id: the
 * chunks, copied, wait for the transaction's end. NULL f: nothing. */
void cr_feed_doc(cr_feed *f, int64_t doc_id, const cr_doc_row *row, const cr_doc *d, const cr_chunk *ch,
		 size_t n);
/* The catalog transaction committed: its chunks go to the index thread
 * (waits while too much text is queued). */
void cr_feed_committed(cr_feed *f);
/* The catalog transaction rolled back: its chunks are forgotten. */
void cr_feed_rolled_back(cr_feed *f);
/* Waits for the index thread, commits what it holds and frees the feed;
 * returns the chunks indexed. Problems are logged: the index then holds a
 * prefix of the catalog, and the cr_corpus_sync that must follow adds the
 * rest. */
uint64_t cr_feed_finish(cr_feed *f);

/* -- ingest.c: one ingest run, shared with jsonl.c -- */

typedef struct cr_run {
	cr_corpus *c;
	const cr_ingest_opts *o;
	cr_ingest_report *rep;
	uint64_t done, total;
	uint64_t since_sync;
	/* names seen in the current source (sorted before the sweep) */
	const char **seen;
	size_t n_seen, cap_seen;
	cr_arena seen_arena;
	/* users.json of each chat export met (names for user ids) */
	struct cr_run_chat {
		const char *dir;
		cr_kv *users;
		size_t n_users;
		cr_chat_channel *channels; /* membership (--acl-from-chat) */
		size_t n_channels;
		int channels_failed; /* not read: every channel names nobody */
	} **chats; /* each in chat_arena: pointers stay valid */
	size_t n_chats;
	cr_arena chat_arena;
	int n_threads; /* threads of the run (cr_ingest_opts.n_threads resolved) */
	int feed_threads; /* of which the feed's (0: no feed), the pool has the rest */
	cr_pool *pool; /* the run's pool (NULL with one thread), cr_run_threads */
	/* names rejected for their content in the current source (seen_arena);
	 * rejections remembered in the catalog for other names are forgotten
	 * by the sweep */
	const char **rejected;
	size_t n_rejected, cap_rejected;
	const char *const *unlisted; /* names of folders not listed: not swept */
	size_t n_unlisted;
	cr_feed *feed; /* new chunks to the index as they commit (NULL: by sync) */
} cr_run;

/* Counts an outcome and calls the progress callback. */
void cr_run_tell(cr_run *r, const char *name, cr_file_outcome o, const char *reason);
/* Marks a top-level document name as present in this run. */
cr_err cr_run_keep(cr_run *r, const char *name) CR_NODISCARD;
/* Deletes the source's top-level documents this run did not keep. */
cr_err cr_run_sweep(cr_run *r, int64_t source_id, cr_msg *m) CR_NODISCARD;
/* Starts the run's pool from r->o->n_threads (stopped by cr_run_threads_stop). */
cr_err cr_run_threads(cr_run *r, cr_msg *m) CR_NODISCARD;
void cr_run_threads_stop(cr_run *r);
/* cr_corpus_sync on the run's pool, with its index buffer. */
cr_err cr_run_sync(cr_run *r, cr_msg *m) CR_NODISCARD;
/* Counts new text and runs cr_run_sync past CR_CORPUS_SYNC_BYTES (call
 * outside a transaction); nothing while a feed indexes (it bounds its own
 * memory). */
cr_err cr_run_maybe_sync(cr_run *r, uint64_t text_bytes, cr_msg *m) CR_NODISCARD;

/* After an ingest: merges the index's segments when there are more than
 * CR_CORPUS_MAX_SEGMENTS or tombstones are over a fifth of the entries. A
 * failed merge is logged, not returned: the unmerged index is still right. */
#define CR_CORPUS_MAX_SEGMENTS 8
cr_err cr_corpus_maybe_merge(cr_corpus *c, cr_msg *m) CR_NODISCARD;

/* -- walk.c -- */

typedef struct cr_walk_file {
	const char *path;  /* absolute path to open */
	const char *name;  /* document name: root base name + relative path */
	int64_t size;
	int64_t mtime_ns;
	int64_t source_id;
	const char *chat_dir; /* the Slack-style export this day file belongs to, or NULL */
	uint32_t uid, gid;    /* its POSIX owner and group */
} cr_walk_file;

typedef struct cr_walk_reject {
	const char *name;
	const char *reason;
} cr_walk_reject;

typedef struct cr_walk_repo {
	const char *path;  /* absolute path of the work tree */
	const char *name;  /* "samples/repo" */
	int64_t source_id;
} cr_walk_repo;

typedef struct cr_walk {
	cr_arena a;
	cr_walk_file *files;
	size_t n_files, cap_files;
	cr_walk_reject *rejects;
	size_t n_rejects, cap_rejects;
	cr_walk_repo *repos;
	size_t n_repos, cap_repos;
	/* directories visited (dev, inode): symlink loops and duplicates */
	struct { dev_t dev; ino_t ino; } *seen;
	size_t n_seen, cap_seen;
	/* folders that could not be listed (names): their documents stay */
	const char **unlisted;
	size_t n_unlisted, cap_unlisted;
	/* symbolic links to folders, walked after the root's real folders */
	struct cr_walk_link { const char *path, *name, *chat; int depth; } *links;
	size_t n_links, cap_links;
} cr_walk;

/* The name prefix of a root's documents: its folder's (or file's) name,
 * with parent folders when a source added before has the same name, so
 * document names stay unique per source (ingest.c). */
const char *cr_corpus_root_name(cr_corpus *c, cr_arena *a, int64_t source_id, const char *root);

void cr_walk_init(cr_walk *w);
void cr_walk_release(cr_walk *w);
/* Never walks into `dir` (the data directory). */
cr_err cr_walk_exclude(cr_walk *w, const char *dir) CR_NODISCARD;
/* Adds the files under `root` (already resolved with realpath) named
 * "<base>/...". Problems with single files become rejections; only a
 * failure to allocate is an error. */
cr_err cr_walk_root(cr_walk *w, const char *root, const char *base, int64_t source_id, cr_msg *m) CR_NODISCARD;

/* The text an index entry's title field gets: the document's title, and a
 * code chunk's symbol after it, so the chunk that defines an identifier
 * outranks chunks that only mention it (BM25F weighs the title). The feed
 * and the catalog sync use it alike. Appends to b. */
cr_err cr_corpus_entry_title(cr_buf *b, const char *title, const char *symbol) CR_NODISCARD;

#endif
