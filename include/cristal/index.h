/*
 * index.h — Cristal's own full-text index.
 *
 * An index is a directory of immutable segments. Each segment holds, for the
 * entries (chunks) added to it: a term dictionary, compressed postings with
 * positions, per-field lengths (title, body) for BM25F, per-block score
 * maxima for block-max WAND, and a small stored-attribute table used to
 * filter (type, path, date, tenant, ACL, classification) and to report
 * results. Segments are written once (cr_index_writer), fsync'd, and become
 * visible only when listed in the manifest, which is replaced atomically;
 * a crash leaves at worst an unlisted file that the next open removes.
 * Deletions are tombstones (a per-index deleted-entry set in the manifest's
 * companion file) until a merge rewrites segments without them.
 *
 * Entries are identified by a 64-bit `id` chosen by the caller (the
 * catalog's chunk id) and grouped by `doc_key` (the catalog's document id),
 * so search can return the best chunk per document.
 *
 * Threads: a cr_index is shared by the threads of a process. Searches,
 * refreshes and stats run on any number of threads at once, each search
 * with its own analyzer (an analyzer serves one thread at a time); each
 * works on a snapshot, and refreshes only ever move it forward. Changes
 * (a writer from new to free, delete, merge) hold the index's LOCK: one
 * thread of one process at a time; a second thread gets CR_EBUSY at once,
 * another process waits up to ~30 s, then CR_EBUSY. A writer is used and
 * freed by the thread that created it. cr_index_set_bm25 before sharing.
 */
#ifndef CRISTAL_INDEX_H
#define CRISTAL_INDEX_H

#include "cristal/base.h"
#include "cristal/crypt.h"
#include "cristal/text.h"

typedef struct cr_index cr_index;
typedef struct cr_index_writer cr_index_writer;

/* What the index stores about an entry, for filtering and display. */
typedef struct cr_entry_attrs {
	uint64_t id;          /* chunk id */
	uint64_t doc_key;     /* document id: results are collapsed per doc_key */
	const char *doc;      /* external doc name (path or JSONL id) */
	const char *type;     /* "pdf", "md", "eml", ... */
	int64_t date;         /* unix seconds, 0 = unknown */
	uint32_t tenant;      /* tenant id, 0 = default */
	uint32_t owner;       /* owning user id, 0 = none */
	const uint32_t *groups; /* groups allowed to read (sorted) */
	uint32_t n_groups;
	uint8_t classification; /* 0 public .. 3 secret */
} cr_entry_attrs;

CR_API cr_err cr_index_open(const char *dir, cr_index **out, cr_msg *m) CR_NODISCARD;
/* An encrypted index (key not NULL; borrowed, must outlive the index):
 * every segment file is written sealed (crypt.h: 64 KiB blocks, the file's
 * name in each block's associated data) and opened into memory at open
 * instead of mapped; a changed, truncated, renamed or plaintext file is
 * CR_ECORRUPT naming it. Without a key, a sealed file is CR_EDENIED. */
CR_API cr_err cr_index_open_key(const char *dir, const cr_key *key, cr_index **out, cr_msg *m) CR_NODISCARD;
CR_API void cr_index_close(cr_index *ix);
/* Picks up segments committed since open (cheap if none). */
CR_API cr_err cr_index_refresh(cr_index *ix, cr_msg *m) CR_NODISCARD;

/* -- writing -- */
CR_API cr_err cr_index_writer_new(cr_index *ix, cr_analyzer *an, cr_index_writer **out, cr_msg *m) CR_NODISCARD;
/* Adds one entry: its title (may be NULL) and body text are analyzed here. */
CR_API cr_err cr_index_writer_add(cr_index_writer *w, const cr_entry_attrs *at,
				  const char *title, size_t title_len,
				  const char *body, size_t body_len) CR_NODISCARD;
/* Writes the segment and publishes it (cr_index_max_id then reports the highest id). */
CR_API cr_err cr_index_writer_commit(cr_index_writer *w, cr_msg *m) CR_NODISCARD;
/* Memory the writer buffers before it flushes a segment (default 64 MiB;
 * 0 restores the default). */
CR_API void cr_index_writer_set_budget(cr_index_writer *w, size_t bytes);
/*
 * Threads: the writer makes none of its own choosing. Without one of the two
 * calls below, analysis and inversion run one after the other on the calling
 * thread. Call either before the first add.
 * set_pool lends the caller's pool (borrowed until cr_index_writer_free; may
 * be shared with other work, cr_pool_run takes turns): the two stages then
 * overlap, with the one analyzer given to cr_index_writer_new.
 * set_threads makes a pool of n_threads (<= 0: one per core) owned by the
 * writer, with n_threads - 1 more analyzers created from *o, which must be
 * the options of the analyzer given to cr_index_writer_new (NULL = defaults).
 */
CR_API void cr_index_writer_set_pool(cr_index_writer *w, cr_pool *pool);
CR_API cr_err cr_index_writer_set_threads(cr_index_writer *w, int n_threads, const cr_analyzer_opts *o,
					  cr_msg *m) CR_NODISCARD;
CR_API void cr_index_writer_free(cr_index_writer *w); /* discards uncommitted entries */

/* Marks entries deleted (tombstones), durable on return. */
CR_API cr_err cr_index_delete(cr_index *ix, const uint64_t *ids, size_t n, cr_msg *m) CR_NODISCARD;
/* Merges all segments into one, dropping tombstoned entries. */
CR_API cr_err cr_index_merge(cr_index *ix, cr_msg *m) CR_NODISCARD;
/* The files of the published state in dir, relative to it: "MANIFEST"
 * (when there is one) and "seg_<no>.idx" / ".pos" of every segment it
 * lists, in arena a. Call while nothing publishes (the corpus writer lock)
 * for a consistent set (files.c). */
CR_API cr_err cr_index_files(const char *dir, cr_arena *a, const char ***names, size_t *n, cr_msg *m) CR_NODISCARD;
/* Highest entry id present in any committed segment (0 if empty). */
CR_API uint64_t cr_index_max_id(const cr_index *ix);

typedef struct cr_index_stats {
	uint64_t n_entries, n_deleted, n_terms, n_segments, bytes;
} cr_index_stats;
CR_API void cr_index_get_stats(const cr_index *ix, cr_index_stats *st);

/* -- searching -- */

/* Who is asking: entries pass if tenant matches and (owner == user, or a
 * group is shared, or the entry has no owner and no groups), and its
 * classification is <= max_classification. NULL principal = no filter
 * (local single-user CLI). sees_all: every tenant and ACL passes, only
 * max_classification applies (the local operator behind a clearance, such
 * as the MCP endpoint's). */
typedef struct cr_principal {
	uint32_t tenant;
	uint32_t user;
	const uint32_t *groups;
	uint32_t n_groups;
	uint8_t max_classification;
	uint8_t sees_all;
} cr_principal;

typedef struct cr_search_opts {
	int k;                       /* results wanted */
	int per_doc;                 /* 1: best entry per doc_key (default in CLI) */
	const cr_principal *who;     /* NULL: no ACL filter */
	const cr_cancel *cancel;     /* NULL: never; read between segments and every 1,024
				      * entries scored or skipped: the search then fails
				      * with CR_ECANCELED or CR_ETIMEOUT */
} cr_search_opts;

typedef struct cr_hit {
	uint64_t id;
	uint64_t doc_key;
	float score;
	const char *doc;   /* from attributes; valid until the result is freed */
	const char *type;
	int64_t date;
} cr_hit;

typedef struct cr_results {
	cr_hit *hits;
	size_t n;
	uint64_t total_matched; /* lower bound when top-k pruning skipped documents */
	/* Terms of the query after analysis (for highlighting), NUL-separated. */
	const char **terms;
	size_t n_terms;
	cr_arena arena;
} cr_results;

/*
 * Query syntax: words (OR, ranked by BM25F), "exact phrase", prefix*,
 * -excluded, +required (with per_doc: of the document, in any of its
 * entries), field filters type:pdf path:finance/ (path components anywhere
 * in doc, the last may be a prefix)
 * date:2024-01-01..2024-06-30 (either side may be empty). Malformed queries
 * get CR_EINVAL with a reason.
 */
CR_API cr_err cr_index_search(cr_index *ix, cr_analyzer *an, const char *query,
			      const cr_search_opts *o, cr_results *out, cr_msg *m) CR_NODISCARD;
CR_API void cr_results_release(cr_results *r);

/* BM25F parameters for later searches on ix (not thread-safe against running
 * searches; set them after open). Negative values keep the current one.
 * Defaults (tuned on BEIR SciFact, where a grid over k1 0.9-1.5, b 0.75-1,
 * b_title 0.7-1, title weight 2-4 spans nDCG@10 0.698-0.707): k1 0.9,
 * b 0.75 (body), b_title 0.7, title weight 3. */
CR_API void cr_index_set_bm25(cr_index *ix, float k1, float b, float b_title, float w_title);

/*
 * Snippet: the best window of `text` (around max_chars characters) for the
 * analyzed query terms, with matches wrapped in open/close marks (e.g. "«","»"
 * or "<b>","</b>"), on whole characters, appended to out.
 */
CR_API cr_err cr_snippet(cr_analyzer *an, const cr_results *r, const char *text, size_t len,
			 size_t max_chars, const char *open, const char *close, cr_buf *out) CR_NODISCARD;

#endif
