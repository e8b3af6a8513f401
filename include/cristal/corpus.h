/*
 * corpus.h — a data directory's documents, kept consistent across the
 * catalog (store.h) and the full-text index (index.h).
 *
 * Layout of a data directory:
 *   catalog.db      the SQLite catalog (WAL), system of record
 *   index/          index segments and manifest
 *   vectors/        chunk embeddings, int8 (vector.h files; vectors.c)
 *   models/         nothing yet (models are registered by path)
 *
 * Ingest: walk sources (folders, files, git repositories, Slack-style chat
 * exports, JSONL files), and for each file whose content hash changed,
 * extract → chunk → write document + chunks in one catalog transaction.
 * Files gone from disk are deleted. The index then catches up: chunks with
 * ids above the index's highest id are written as a new segment, and deleted
 * chunk ids become tombstones. The catalog is the truth: after a crash
 * (kill -9 anywhere), the next open finds the index behind the catalog and
 * catches up; nothing is half-written.
 *
 * Document names: a file's name is its path relative to the ingested root,
 * prefixed with the root's base name ("ingest samples" gives
 * "samples/docs/handbook.md"; a root that is a single file is named by its
 * base name), so two roots never collide. What a file contains is named by
 * its extractor ("x.mbox#3", "a.eml#att/b.pdf"); git commits are
 * "<repo>@<sha>"; JSONL documents are their "_id"/"id". One source per
 * root: re-ingesting a root deletes its documents whose files are gone.
 * The catalog's mtime is in nanoseconds since the epoch.
 *
 * Threads. A cr_corpus is shared by all the threads of a process:
 *  - cr_corpus_search, and catalog lookups on a connection from
 *    cr_corpus_store_acquire, run on any number of threads at once, also
 *    while one thread ingests; each call checks a catalog connection and an
 *    analyzer out of the corpus's pools and returns them (SQLite WAL:
 *    readers see the last commit and never wait for the writer);
 *  - one writer at a time: cr_corpus_ingest and cr_corpus_ingest_jsonl
 *    take the writer lock, held by one thread of one process (DATA/lock is
 *    flock()ed, and the holding thread recorded); a second writer, thread
 *    or process, gets CR_EBUSY (another process is waited for up to 10 s);
 *  - cr_corpus_store (the writer's connection) is for single-threaded
 *    tools; cr_corpus_close when no other call runs.
 */
#ifndef CRISTAL_CORPUS_H
#define CRISTAL_CORPUS_H

#include "cristal/base.h"
#include "cristal/index.h"
#include "cristal/ingest.h"
#include "cristal/store.h"

typedef struct cr_corpus cr_corpus;

/* Opens (creating if `create`) a data directory and brings the index up to
 * date with the catalog. */
CR_API cr_err cr_corpus_open(const char *data_dir, int create, cr_corpus **out, cr_msg *m) CR_NODISCARD;
CR_API void cr_corpus_close(cr_corpus *c);
/* The writer's catalog connection: use it only where no other thread uses
 * the corpus (a command-line tool), or while holding the writer lock. */
CR_API cr_store *cr_corpus_store(cr_corpus *c);
/* The index: safe to search from any thread (index.h). */
CR_API cr_index *cr_corpus_index(cr_corpus *c);
/*
 * A catalog connection of the caller's own until it gives it back: any
 * thread may take one at any time (read-only use; writes go through
 * ingest). The pool opens a connection when none is idle and keeps every
 * one until close (as many as calls ever ran at once). Give it back with
 * cr_corpus_store_release, from any thread; an open transaction is rolled
 * back.
 */
CR_API cr_err cr_corpus_store_acquire(cr_corpus *c, cr_store **out, cr_msg *m) CR_NODISCARD;
CR_API void cr_corpus_store_release(cr_corpus *c, cr_store *s);
/* The same for the text analyzer searches use (NULL when out of memory);
 * an analyzer serves one thread at a time. */
CR_API cr_analyzer *cr_corpus_analyzer_acquire(cr_corpus *c);
CR_API void cr_corpus_analyzer_release(cr_corpus *c, cr_analyzer *an);

/* CR_FILE_REJECTED_KNOWN: rejected again for the reason a previous run
 * found (the catalog remembers it until the file's size or mtime changes),
 * without reading the file. */
typedef enum { CR_FILE_INGESTED, CR_FILE_UPDATED, CR_FILE_UNCHANGED, CR_FILE_DELETED, CR_FILE_REJECTED,
	       CR_FILE_REJECTED_KNOWN } cr_file_outcome;

typedef struct cr_ingest_report {
	uint64_t ingested, updated, unchanged, deleted, rejected;
	uint64_t chunks, bytes;
	double seconds;
	uint64_t rejected_known; /* of `rejected`, those already known (CR_FILE_REJECTED_KNOWN) */
	uint64_t acl_updated; /* of `updated`, files whose ACL alone changed: their documents
			       * re-indexed from the catalog, nothing read or extracted */
	uint64_t extracted;   /* files run through an extractor */
} cr_ingest_report;

/* Called for every file (and for progress); reason is set for rejections. */
typedef void (*cr_ingest_fn)(void *ctx, const char *name, cr_file_outcome o, const char *reason,
			     uint64_t done, uint64_t total);

/* A path rule (the configuration's [governance.paths.NAME], docs/CONFIG.md):
 * the documents of a file whose name (as search prints it) lies under
 * prefix get the rule's ACL instead of the run's when it gives one, its
 * tenant when it gives one, and at least its classification. Rules apply
 * in order; a later rule's ACL or tenant wins over an earlier one's. */
typedef struct cr_path_rule {
	const char *prefix;
	int set_acl;                /* owner and groups replace the run's */
	uint32_t owner;
	const uint32_t *groups;
	uint32_t n_groups;
	int set_tenant;
	uint32_t tenant;
	int classification;         /* -1: none */
} cr_path_rule;

typedef struct cr_ingest_opts {
	cr_extract_limits limits;
	cr_chunk_opts chunking;
	cr_acl acl;          /* given to every document ingested */
	cr_ingest_fn progress; /* may be NULL */
	void *progress_ctx;
	/* Threads of the run, the caller's included: extraction of several
	 * files at once, and the index writer's two stages overlapping (1: all
	 * on the calling thread; <= 0: one per core, at most 4). The run owns
	 * one pool of this size from start to end. */
	int n_threads;
	size_t index_buffer; /* bytes the index writer buffers per segment (0: 64 MiB) */
	const cr_path_rule *rules;  /* applied to every file (NULL: none) */
	size_t n_rules;
	/* ACLs from the files' POSIX owners and groups (ingest --acl-from-owner):
	 * sets acl->owner and acl->groups from a file's uid and gid when they
	 * name a catalog user and group, and leaves what maps to nothing as it
	 * is (the run's ACL); the path rules apply after. Called on the ingest's
	 * own thread; the groups it gives must live as long as the run. */
	cr_err (*owner_acl)(void *ctx, uint32_t uid, uint32_t gid, cr_acl *acl);
	void *owner_acl_ctx;
	/* Readers into the ACL (ingest --acl-from-mail, --acl-from-chat): a
	 * document whose format names readers (cr_doc.readers: a message's
	 * From/To/Cc/Bcc and its attachments; a chat channel's members) gets
	 * their address principals (store.h CR_ACL_ADDRESS_BASE) added to its
	 * groups; one of that kind naming nobody (an mbox's table of contents,
	 * a channel not listed) keeps the run's ACL, or, when that is open to
	 * the whole tenant, is closed to every user. */
	int acl_from_mail;
	int acl_from_chat;
	const char *extract_worker; /* NULL: extract in this process; else the program
				     * cr_extract_sandboxed runs (ingest.h): files from
				     * people not trusted (the server's uploads) */
} cr_ingest_opts;
CR_API cr_ingest_opts cr_ingest_opts_default(void);

/* Ingests paths (folders, files, repositories). Returns CR_OK when every
 * readable document was ingested, even if some files were rejected. */
CR_API cr_err cr_corpus_ingest(cr_corpus *c, const char *const *paths, size_t n,
			       const cr_ingest_opts *o, cr_ingest_report *rep, cr_msg *m) CR_NODISCARD;
/* One document per JSON line: id or _id, optional title, text; other fields kept as metadata. */
/*
 * Removes `what` from the catalog and the index: an ingested root (the
 * source and everything from it, for good), a folder or file inside one
 * (its documents; they come back at the root's next ingest), or a document
 * by the name search prints. *n_docs: files or documents removed (each with
 * what it contained); *was_source: 1 when a whole source went. Takes the
 * writer lock. CR_ENOTFOUND with the reason when nothing matches.
 */
CR_API cr_err cr_corpus_remove(cr_corpus *c, const char *what, uint64_t *n_docs, int *was_source,
			       cr_msg *m) CR_NODISCARD;

CR_API cr_err cr_corpus_ingest_jsonl(cr_corpus *c, const char *path, const cr_ingest_opts *o,
				     cr_ingest_report *rep, cr_msg *m) CR_NODISCARD;

/* Search: index → best chunk per document → catalog rows and snippets. */
typedef struct cr_result {
	const char *doc;     /* external name */
	const char *title;
	const char *type;
	float score;
	const char *snippet; /* matched terms marked with « » (or the marks given) */
	cr_loc loc;
	int64_t chunk_id;
	int64_t doc_id;
	const char *found_by; /* vector, hybrid: "bm25", "vector" or "both"; BM25 mode: NULL */
	/* Files with exactly the same bytes (SHA-256) as this result's, found
	 * by the same search: one result stands for them all (the best
	 * ranked), their names here (at most CR_ALSO_MAX; n_also counts all). */
	const char **also_at;
	size_t n_also;
} cr_result;
#define CR_ALSO_MAX 16

/* What ranks the results. BM25 is the default (a zeroed query); vector and
 * hybrid need cr_corpus_query.vec, the query embedded by the model the
 * chunks were (cr_corpus_vectors_source). Hybrid is reciprocal rank fusion:
 * a document scores Σ 1/(60 + rank) over the two rankings (BM25's and the
 * vectors', each its best chunk per document, CR_CORPUS_RRF_DEPTH deep). */
typedef enum { CR_SEARCH_BM25 = 0, CR_SEARCH_VECTOR, CR_SEARCH_HYBRID } cr_search_mode;
#define CR_CORPUS_RRF_K 60
#define CR_CORPUS_RRF_DEPTH 50
CR_API const char *cr_search_mode_name(cr_search_mode mode);

typedef struct cr_corpus_query {
	const char *text;
	int k;
	const cr_principal *who;
	const char *mark_open, *mark_close; /* default « » */
	size_t snippet_chars;               /* default 240 */
	int no_snippets; /* 1: leave cr_result.snippet NULL (snippets cost an
			  * analysis of each hit's text: MeCab for Japanese) */
	int plain; /* 1: the text is plain words (natural-language questions,
		    * benchmark queries): the syntax characters " + - * : are
		    * read as spaces. 0: query syntax (index.h). */
	const cr_cancel *cancel; /* NULL: never; the index search checks it
				  * (cr_search_opts.cancel): CR_ECANCELED / CR_ETIMEOUT */
	cr_search_mode mode;
	const float *vec; /* vector, hybrid: the query's embedding, vec_dim floats */
	int vec_dim;
	int passages; /* 1: rank passages, not documents: several results may come
		       * from one document, -term and +word apply to the passage,
		       * and copies of a file are not folded (also_at). 0: one
		       * result per document, -term / +word of the document, and
		       * identical files as one result */
} cr_corpus_query;

/* Where a document's date comes from: "metadata" (its own: mail Date, PDF
 * or Office properties), "file" (it had none: the file's modification
 * time, set at ingest so date: finds it), or NULL (no date). */
CR_API const char *cr_corpus_date_source(const cr_doc_row *d);

/* The index's ACL rule (index.h cr_principal) on a catalog row's ACL: 1
 * when who may read a document with this ACL. NULL who reads everything. */
CR_API int cr_acl_allows(const cr_principal *who, const cr_acl *acl);
CR_API cr_err cr_corpus_search(cr_corpus *c, cr_arena *a, const cr_corpus_query *q,
			       cr_result **out, size_t *n, cr_msg *m) CR_NODISCARD;

/* ---- vectors: chunk embeddings beside the index (vectors.c) -------------
 *
 * Embeddings come from the caller (the CLI opens the provider or model: the
 * corpus does not depend on them) through an embed function, are
 * quantized to int8 and kept in DATA/vectors/ as vector.h files: batch files
 * b<last chunk id>.vix written atomically as chunks are embedded (so a kill
 * -9 loses at most the batch in flight, and the next run starts after the
 * last chunk saved), compacted into one g<last chunk id>.vix (an HNSW graph
 * from CR_CORPUS_VEC_GRAPH_MIN vectors, else a flat file for the exact
 * scan) without the chunks deleted since. Searches see a reference-counted
 * snapshot of the files, reopened when the directory changes, and check each
 * candidate chunk against the catalog: a deleted chunk never comes back
 * (the catalog is the truth, as for BM25), and the principal's ACL is the
 * index's rule (index.h cr_principal) applied to the chunk's document.
 * The catalog remembers the embedder (kv "vectors.source", "vectors.dim");
 * changing it drops the vectors made by the old one.
 */
#define CR_CORPUS_VEC_GRAPH_MIN 4096

/* Embeds n texts: *vecs is n × *dim floats in arena a (cr_provider_embed's shape). */
typedef cr_err (*cr_embed_fn)(void *ctx, const char *const *texts, size_t n, cr_arena *a, float **vecs,
			      int *dim, cr_msg *m);

typedef struct cr_vectors_opts {
	const char *source;      /* names the embedder: "provider:NAME", "model:NAME" */
	cr_embed_fn embed;
	void *embed_ctx;
	size_t batch;            /* texts per embed call (0: 32) */
	int compact;             /* 1: always compact at the end (else when the batch
				  * files hold an eighth of the compacted file or more) */
	int n_threads;           /* graph build (<= 0: one per core) */
	const cr_cancel *cancel;
	void (*progress)(void *ctx, uint64_t done, uint64_t total);
	void *progress_ctx;
} cr_vectors_opts;

typedef struct cr_vectors_report {
	uint64_t embedded;  /* chunks embedded by this call */
	uint64_t total;     /* vectors held after it */
	int dim;
	int graph;          /* the compacted file has an HNSW graph */
	double seconds;
} cr_vectors_report;

/* Embeds every chunk that has no vector yet (takes the writer lock). */
CR_API cr_err cr_corpus_vectors_update(cr_corpus *c, const cr_vectors_opts *o, cr_vectors_report *rep,
				       cr_msg *m) CR_NODISCARD;
/* The embedder the catalog remembers ("provider:NAME" / "model:NAME") and
 * its dimension, in arena a; CR_ENOTFOUND when none was configured. */
CR_API cr_err cr_corpus_vectors_source(cr_corpus *c, cr_arena *a, const char **source, int *dim,
				       cr_msg *m) CR_NODISCARD;
/* Vectors held (0: none; searches then fall back to BM25 by default). */
CR_API uint64_t cr_corpus_vectors_count(cr_corpus *c);

/* ---- a document's text, and JSON for results and documents ------------- */

/* One chunk's part of a rebuilt document text. */
typedef struct cr_doc_part {
	cr_loc loc;        /* the chunk's location (strings in the arena) */
	size_t start, len; /* its text without the overlap: text[start .. start + len) */
} cr_doc_part;
typedef struct cr_doc_text {
	const char *text;  /* NUL-terminated */
	size_t len;
	cr_doc_part *parts; /* one per chunk, in order */
	size_t n_parts;
} cr_doc_text;
/*
 * A document's extracted text rebuilt from its chunks in order, with the
 * overlap the chunker carried between neighbours removed; a chunk at
 * another location (page, slide, speaker turn...) starts a new paragraph
 * (doc.c). Everything lives in arena a. A document without chunks gives an
 * empty text.
 */
CR_API cr_err cr_corpus_doc_text(cr_corpus *c, cr_arena *a, int64_t doc_id, cr_doc_text *out,
				 cr_msg *m) CR_NODISCARD;
/*
 * Appends {"mode": "bm25"|"vector"|"hybrid", "<key>": val, "results": [...]}
 * for search results (json.c, which lists the fields): mode is the search
 * that ran, key is "query" (the query text) or "qid" (an evaluation query's
 * id). No trailing newline. CR_ETOOBIG / CR_ENOMEM if the buffer could not
 * grow (its content is then a truncated object).
 */
CR_API cr_err cr_corpus_search_json(cr_buf *b, cr_search_mode mode, const char *key, const char *val,
				    const cr_result *rs, size_t n) CR_NODISCARD;
/* Appends a location as a JSON object with the fields that apply, as in
 * search results ({"page": 3}, {"sheet": "Budget", "line": 4, ...}). */
CR_API cr_err cr_corpus_loc_json(cr_buf *b, const cr_loc *l) CR_NODISCARD;
/* Appends one document as JSON (what `cristal show --json` prints): the
 * catalog row d, its text t (cr_corpus_doc_text) and the names of the
 * documents inside it (from the catalog). No trailing newline. */
CR_API cr_err cr_corpus_doc_json(cr_corpus *c, const cr_doc_row *d, const cr_doc_text *t, cr_buf *b,
				 cr_msg *m) CR_NODISCARD;

/*
 * A consistent snapshot of the data directory while it is in use (cristal
 * backup; snapshot.c). Waits up to wait_s seconds for the writer lock (a
 * running ingest), then, holding it: copies the catalog through SQLite's
 * online backup API to catalog_copy (a new file; removed again by
 * release), and opens the index's MANIFEST and segment files, the vector
 * files and the audit key files; releases the lock. Searches go on
 * throughout. The files are then read through their descriptors, which
 * keep them readable whatever merges remove later (they are immutable).
 * Names are as in a data directory: "catalog.db", "index/MANIFEST",
 * "index/seg_000001.idx", "vectors/g....vix", "audit.key.pub".
 */
typedef struct cr_corpus_snap_file {
	const char *name;
	int fd;
	uint64_t size;
} cr_corpus_snap_file;
typedef struct cr_corpus_snap {
	cr_arena arena;
	cr_corpus_snap_file *files;
	size_t n, cap;
	int catalog_fd;
	const char *catalog_path;
	int64_t max_chunk_id;    /* the catalog's, at the snapshot */
	uint64_t index_max_id;   /* the index's, at the snapshot */
	double wait_seconds;     /* waited for the lock */
	double lock_seconds;     /* held it */
} cr_corpus_snap;
CR_API cr_err cr_corpus_snapshot(cr_corpus *c, const char *catalog_copy, double wait_s, cr_corpus_snap *out,
				 cr_msg *m) CR_NODISCARD;
/* Closes the files and removes the catalog copy; s is empty after. */
CR_API void cr_corpus_snapshot_release(cr_corpus_snap *s);

#endif
