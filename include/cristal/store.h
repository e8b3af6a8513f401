/*
 * store.h — the catalog: the system of record for sources, documents,
 * chunks, ACLs, index segments' progress and registered models.
 *
 * One interface, several back ends (a vtable, like curl's vtls): SQLite in
 * WAL mode (default, one file `catalog.db` in the data directory) and, later,
 * PostgreSQL for many stateless nodes. Every document is written with its
 * chunks in one transaction, so a crash loses at most the document in
 * flight. Every document carries tenant, owner, groups and classification;
 * its chunks inherit them.
 *
 * Threads: a cr_store is one connection to the catalog, with its own
 * cached statements and scratch buffers: one thread uses it at a time (it
 * may move between threads between calls, as the corpus's pool does).
 * Threads that work at once each open their own (cr_store_open, or
 * cr_corpus_store_acquire); connections to one catalog may be used at once
 * from any threads and processes: readers see the last commit and never
 * wait, writers take turns (a write transaction waits up to 10 s for
 * another, then CR_EBUSY).
 *
 * Schema: the catalog carries its schema version; an open upgrades an older
 * catalog step by step (each step one transaction, so a crash leaves the
 * last completed version) and refuses one newer than this build with
 * CR_EUNSUPPORTED.
 */
#ifndef CRISTAL_STORE_H
#define CRISTAL_STORE_H

#include "cristal/base.h"
#include "cristal/doc.h"

typedef struct cr_store cr_store;

CR_API cr_err cr_store_open(const char *data_dir, cr_store **out, cr_msg *m) CR_NODISCARD;
CR_API void cr_store_close(cr_store *s);

CR_API cr_err cr_store_begin(cr_store *s, cr_msg *m) CR_NODISCARD;
CR_API cr_err cr_store_commit(cr_store *s, cr_msg *m) CR_NODISCARD;
CR_API void cr_store_rollback(cr_store *s);

/* ACL and provenance attached to every document and inherited by its
 * chunks. groups holds group ids and, from CR_ACL_ADDRESS_BASE up, the ids
 * of address principals (an e-mail address that may read the document: a
 * message's From/To/Cc/Bcc, a chat channel's members; cr_store_address_ids),
 * which a user's principal holds for each of its addresses
 * (cr_user_row.principal_ids). Group ids stay below the base. */
#define CR_ACL_ADDRESS_BASE 0x40000000u
typedef struct cr_acl {
	uint32_t tenant;
	uint32_t owner;
	const uint32_t *groups;
	uint32_t n_groups;
	uint8_t classification;
} cr_acl;

/* A source is an ingested root (folder, file, repository, JSONL file).
 * Every ingest of a root calls this, and it stamps the time as the
 * source's last ingest (cr_source_row.ingested). */
CR_API cr_err cr_store_source_get_or_add(cr_store *s, const char *root, const char *kind,
					 int64_t *source_id, cr_msg *m) CR_NODISCARD;
/* Calls fn for every source in id order (strings valid during the call);
 * stop by returning non-zero. */
typedef int (*cr_store_source_fn)(void *ctx, int64_t id, const char *root);
CR_API cr_err cr_store_sources(cr_store *s, cr_store_source_fn fn, void *ctx, cr_msg *m) CR_NODISCARD;
/* A source with what the catalog knows of it (strings valid during the
 * call). Every ingest of a root asks cr_store_source_get_or_add for its
 * source, which stamps `ingested`. */
typedef struct cr_source_row {
	int64_t id;
	const char *root;
	const char *kind;   /* "folder", "file", "git", "chat", "jsonl" */
	int64_t added;      /* unix seconds: its first ingest */
	int64_t ingested;   /* unix seconds: its last ingest began; 0: before this was kept */
} cr_source_row;
typedef int (*cr_store_source_row_fn)(void *ctx, const cr_source_row *r);
/* Calls fn for every source in id order; stop by returning non-zero. */
CR_API cr_err cr_store_source_rows(cr_store *s, cr_store_source_row_fn fn, void *ctx, cr_msg *m) CR_NODISCARD;
/* The id of the source with this root, or CR_ENOTFOUND. */
CR_API cr_err cr_store_source_find(cr_store *s, const char *root, int64_t *source_id, cr_msg *m) CR_NODISCARD;
/* Forgets a source row (its documents and rejections are deleted first by
 * the caller, so the deleted-chunk journal sees every chunk). */
CR_API cr_err cr_store_source_delete(cr_store *s, int64_t source_id, cr_msg *m) CR_NODISCARD;

typedef struct cr_doc_row {
	int64_t id;
	int64_t source_id;
	const char *name;     /* as in cr_doc.name */
	const char *parent;
	const char *title;
	const char *type;
	const char *lang;
	const char *author;
	int64_t date;
	const char *hash;     /* sha256 hex of the source bytes */
	int64_t size;
	int64_t mtime;        /* nanoseconds since the epoch (corpus.c) */
	const char *meta_json;/* {"from": ..., ...}; NULL: built from cr_doc.meta */
	cr_acl acl;
	int64_t n_chunks;
	/* Who the document names as its readers (schema v9, table doc_readers; cr_doc.readers):
	 * readers_kind "mail" or "chat" (NULL: its format names none), readers
	 * their addresses joined by '\n' (NULL: none), readers_acl 1 when
	 * acl.groups holds their address principals (ingest --acl-from-mail,
	 * --acl-from-chat). Kept whether or not they are in the ACL, so
	 * turning the option on or off needs no extraction. */
	const char *readers_kind;
	const char *readers;
	int readers_acl;
} cr_doc_row;

/* Looks a document up by (source, name). CR_ENOTFOUND if absent. Strings live in arena a. */
CR_API cr_err cr_store_doc_find(cr_store *s, cr_arena *a, int64_t source_id, const char *name,
				cr_doc_row *out, cr_msg *m) CR_NODISCARD;
CR_API cr_err cr_store_doc_get(cr_store *s, cr_arena *a, int64_t doc_id, cr_doc_row *out, cr_msg *m) CR_NODISCARD;
/* Finds by name across sources (first match). */
CR_API cr_err cr_store_doc_find_any(cr_store *s, cr_arena *a, const char *name, cr_doc_row *out, cr_msg *m) CR_NODISCARD;

/*
 * Replaces (or inserts) one document with its chunks. Old chunks of the same
 * document are deleted (their ids are appended to *deleted_chunk_ids for the
 * index's tombstones). New chunk ids are strictly greater than every id ever
 * issued. Call inside cr_store_begin/commit.
 */
CR_API cr_err cr_store_doc_put(cr_store *s, const cr_doc_row *row, const cr_doc *d,
			       const cr_chunk *chunks, size_t n_chunks, int64_t *doc_id,
			       cr_buf *deleted_chunk_ids /* uint64_t array, may be NULL */, cr_msg *m) CR_NODISCARD;
/* The ids the chunks of the last successful cr_store_doc_put received, in
 * order: *first..*last when they are consecutive (always so with SQLite),
 * else both 0; both 0 too when it wrote no chunk. */
CR_API void cr_store_last_chunk_ids(cr_store *s, int64_t *first, int64_t *last);
/* Deletes a document, its chunks and its child documents (attachments). */
CR_API cr_err cr_store_doc_delete(cr_store *s, int64_t doc_id, cr_buf *deleted_chunk_ids, cr_msg *m) CR_NODISCARD;

/* Calls fn for every document of a source (id, name, hash), or of every
 * source when source_id < 0, in id order; stop by returning non-zero. */
typedef int (*cr_store_doc_fn)(void *ctx, int64_t id, const char *name, const char *hash, int64_t mtime, int64_t size);
CR_API cr_err cr_store_docs_of_source(cr_store *s, int64_t source_id, cr_store_doc_fn fn, void *ctx, cr_msg *m) CR_NODISCARD;
/* Document ids gathered by cr_store_id_list_add, a cr_store_doc_fn (ctx: the
 * list). A failed allocation stops the walk and sets oom. Free ids with
 * cr_free. */
typedef struct cr_store_id_list {
	int64_t *ids;
	size_t n, cap;
	int oom;
} cr_store_id_list;
CR_API int cr_store_id_list_add(void *list, int64_t id, const char *name, const char *hash, int64_t mtime,
				int64_t size);
/* Calls fn for every document (of every source) with id > after_id, in id
 * order (a listing's pages: pass the last id seen); stop by returning non-zero. */
CR_API cr_err cr_store_docs_after(cr_store *s, int64_t after_id, cr_store_doc_fn fn, void *ctx, cr_msg *m) CR_NODISCARD;

typedef struct cr_chunk_row {
	int64_t id;
	int64_t doc_id;
	const char *doc;   /* document name */
	const char *title; /* document title */
	const char *type;
	int64_t date;
	const char *text;
	size_t len;
	cr_loc loc;
	uint32_t ordinal;
	cr_acl acl;
} cr_chunk_row;

CR_API cr_err cr_store_chunk_get(cr_store *s, cr_arena *a, int64_t chunk_id, cr_chunk_row *out, cr_msg *m) CR_NODISCARD;
/* Calls fn for chunks with id > after_id in id order (used by the indexer to catch up). */
typedef int (*cr_store_chunk_fn)(void *ctx, const cr_chunk_row *c);
CR_API cr_err cr_store_chunks_after(cr_store *s, int64_t after_id, cr_store_chunk_fn fn, void *ctx, cr_msg *m) CR_NODISCARD;
/* All chunks of one document in order. */
CR_API cr_err cr_store_chunks_of_doc(cr_store *s, int64_t doc_id, cr_store_chunk_fn fn, void *ctx, cr_msg *m) CR_NODISCARD;

/* Small key/value settings (index progress, schema version). */
CR_API cr_err cr_store_kv_get(cr_store *s, cr_arena *a, const char *key, const char **value, cr_msg *m) CR_NODISCARD;
CR_API cr_err cr_store_kv_set(cr_store *s, const char *key, const char *value, cr_msg *m) CR_NODISCARD;

typedef struct cr_store_stats {
	int64_t n_sources, n_docs, n_chunks, text_bytes;
	int64_t by_type_n;            /* entries in by_type */
	struct { const char *type; int64_t n; } by_type[32];
} cr_store_stats;
CR_API cr_err cr_store_get_stats(cr_store *s, cr_arena *a, cr_store_stats *st, cr_msg *m) CR_NODISCARD;

/* -- model registry (cristal model add/list/rm) -- */
typedef struct cr_model_row {
	const char *name;
	const char *path;     /* absolute path of the GGUF file */
	const char *arch;
	const char *info_json;/* validation summary: params, types, ctx, template */
	int64_t size;
	int64_t added;
} cr_model_row;
CR_API cr_err cr_store_model_put(cr_store *s, const cr_model_row *r, cr_msg *m) CR_NODISCARD;
CR_API cr_err cr_store_model_get(cr_store *s, cr_arena *a, const char *name, cr_model_row *out, cr_msg *m) CR_NODISCARD;
CR_API cr_err cr_store_model_del(cr_store *s, const char *name, cr_msg *m) CR_NODISCARD;
typedef int (*cr_store_model_fn)(void *ctx, const cr_model_row *r);
CR_API cr_err cr_store_model_list(cr_store *s, cr_store_model_fn fn, void *ctx, cr_msg *m) CR_NODISCARD;
/*
 * What a --model argument or a request's model names (store/model.c): a path
 * (it contains '/' or is an existing regular file) is returned as given, in
 * *path; anything else is a registered name looked up in s, and *path is
 * the registered file's path, in arena a. s may be NULL when no catalog is
 * open: a name then gives CR_ENOTFOUND, so a caller can open the catalog
 * only when it is needed and ask again. CR_EINVAL for an empty name,
 * CR_ENOTFOUND (with a reason) for an unknown one.
 */
CR_API cr_err cr_store_model_resolve(cr_store *s, cr_arena *a, const char *name_or_path, const char **path,
				     cr_msg *m) CR_NODISCARD;

/* -- additions for crash-safe index upkeep (corpus.h) -- */

/* Highest chunk id ever issued (0 if none); ids are never reused. */
CR_API cr_err cr_store_max_chunk_id(cr_store *s, int64_t *out, cr_msg *m) CR_NODISCARD;
/*
 * Chunk ids deleted from the catalog whose index tombstones are not yet
 * confirmed. Every chunk deletion records its id here in the same
 * transaction (a trigger), so a crash cannot lose one. Appends uint64_t ids
 * in ascending order to *ids; cr_store_deleted_chunks_clear forgets the
 * given ids once the index has made their tombstones durable.
 */
CR_API cr_err cr_store_deleted_chunks(cr_store *s, cr_buf *ids, cr_msg *m) CR_NODISCARD;
CR_API cr_err cr_store_deleted_chunks_clear(cr_store *s, const uint64_t *ids, size_t n, cr_msg *m) CR_NODISCARD;
/* Makes every chunk id issued from now on greater than `above` (repair
 * after a power cut lost catalog commits the index had already seen). */
CR_API cr_err cr_store_chunk_ids_reserve(cr_store *s, int64_t above, cr_msg *m) CR_NODISCARD;
/* Records a new size and mtime for a document whose content hash did not change. */
CR_API cr_err cr_store_doc_touch(cr_store *s, int64_t doc_id, int64_t size, int64_t mtime, cr_msg *m) CR_NODISCARD;
/* Like cr_store_docs_of_source, but only top-level documents (no parent): the files. */
CR_API cr_err cr_store_files_of_source(cr_store *s, int64_t source_id, cr_store_doc_fn fn, void *ctx, cr_msg *m) CR_NODISCARD;
/* The documents directly inside one (attachments, messages), in id order. */
CR_API cr_err cr_store_children(cr_store *s, int64_t doc_id, cr_store_doc_fn fn, void *ctx, cr_msg *m) CR_NODISCARD;
/*
 * -- rejected files --
 * A file rejected for its content (binary, corrupt, unsupported) is
 * remembered with its size, mtime and reason, keyed like documents by
 * (source, name), so the next run reports it again without reading it
 * while size and mtime are unchanged. Writes outside a transaction commit
 * on their own.
 */
typedef struct cr_reject_row {
	int64_t source_id;
	const char *name;
	int64_t size;
	int64_t mtime;      /* nanoseconds, as cr_doc_row.mtime */
	const char *reason; /* the one-line reason reported */
} cr_reject_row;
/* Inserts or replaces the rejection of (source_id, name). */
CR_API cr_err cr_store_reject_put(cr_store *s, const cr_reject_row *r, cr_msg *m) CR_NODISCARD;
/* CR_ENOTFOUND if (source_id, name) has no rejection. Strings live in arena a. */
CR_API cr_err cr_store_reject_find(cr_store *s, cr_arena *a, int64_t source_id, const char *name,
				   cr_reject_row *out, cr_msg *m) CR_NODISCARD;
/* Forgets the rejection of (source_id, name), if any. */
CR_API cr_err cr_store_reject_delete(cr_store *s, int64_t source_id, const char *name, cr_msg *m) CR_NODISCARD;
/* Calls fn for every rejection of a source (strings valid during the call); stop by returning non-zero.
 * fn may call the store. */
typedef int (*cr_store_reject_fn)(void *ctx, const cr_reject_row *r);
CR_API cr_err cr_store_rejects_of_source(cr_store *s, int64_t source_id, cr_store_reject_fn fn, void *ctx,
					 cr_msg *m) CR_NODISCARD;

/*
 * -- model providers and their usage (store/provider.c) --
 * A provider is a named way to reach a chat model: the local engine over a
 * registered model (kind "local", model = a model name or path) or an
 * OpenAI-compatible server (kind "openai", url = the API base such as
 * http://host:8000/v1, model = the server's model id, api_key_env = the
 * name of the environment variable holding its key, read by the CLI only).
 * trust says where the data goes: "local", "onprem" or "external". Prices
 * are per million tokens (0: free). At most one provider is the default.
 * Listing order is the order of addition, which failover follows.
 */
typedef struct cr_provider_row {
	const char *name;
	const char *kind;        /* "local" | "openai" */
	const char *url;         /* openai: API base; local: NULL */
	const char *model;
	const char *api_key_env; /* may be NULL */
	const char *trust;       /* "local" | "onprem" | "external" */
	double price_in, price_out;
	int is_default;
	int64_t added;           /* unix seconds; 0 on put: now */
	const char *suspended;   /* the kill-switch's reason; NULL: active (ignored by put) */
	int64_t suspended_at;    /* unix seconds */
} cr_provider_row;
/* Adds a provider: CR_EEXIST if the name is taken, CR_EINVAL (with the
 * reason) for a bad kind, trust, missing url/model or a negative price.
 * is_default makes it the only default. */
CR_API cr_err cr_store_provider_put(cr_store *s, const cr_provider_row *r, cr_msg *m) CR_NODISCARD;
/* CR_ENOTFOUND if absent. Strings live in arena a. */
CR_API cr_err cr_store_provider_get(cr_store *s, cr_arena *a, const char *name, cr_provider_row *out,
				    cr_msg *m) CR_NODISCARD;
/* The default provider; CR_ENOTFOUND when none is set. */
CR_API cr_err cr_store_provider_get_default(cr_store *s, cr_arena *a, cr_provider_row *out, cr_msg *m) CR_NODISCARD;
CR_API cr_err cr_store_provider_del(cr_store *s, const char *name, cr_msg *m) CR_NODISCARD;
/* Makes name the one default (CR_ENOTFOUND if no such provider). */
CR_API cr_err cr_store_provider_set_default(cr_store *s, const char *name, cr_msg *m) CR_NODISCARD;
/* Calls fn for every provider in order of addition (strings valid during
 * the call); stop by returning non-zero. */
typedef int (*cr_store_provider_fn)(void *ctx, const cr_provider_row *r);
CR_API cr_err cr_store_provider_list(cr_store *s, cr_store_provider_fn fn, void *ctx, cr_msg *m) CR_NODISCARD;

/* The kill-switch: suspends provider name with a reason (resumes it with
 * reason NULL). Every process that uses the catalog sees it on its next
 * call (provider.h checks before each call and while streaming).
 * CR_ENOTFOUND if absent, CR_EINVAL for an empty reason. */
CR_API cr_err cr_store_provider_suspend(cr_store *s, const char *name, const char *reason, cr_msg *m) CR_NODISCARD;
/* reason gets the suspension's reason, or "" when name is active (or
 * unknown); a cheap point query. */
CR_API cr_err cr_store_provider_suspended(cr_store *s, const char *name, char *reason, size_t cap,
					  cr_msg *m) CR_NODISCARD;

/* One metered call: when, which provider, tokens, wall time, cost, success. */
typedef struct cr_usage_row {
	int64_t time;            /* unix seconds; 0: now */
	const char *provider;
	int64_t prompt_tokens, completion_tokens, wall_ms;
	double cost;
	int ok;
	const char *user, *tenant; /* NULL: the connection's actor (cr_store_set_actor) */
} cr_usage_row;
CR_API cr_err cr_store_usage_add(cr_store *s, const cr_usage_row *r, cr_msg *m) CR_NODISCARD;
/* Sums per provider and UTC day ("YYYY-MM-DD"), day then provider order. */
typedef struct cr_usage_sum {
	const char *provider;
	const char *day;
	int64_t calls, failed, prompt_tokens, completion_tokens, wall_ms;
	double cost;
} cr_usage_sum;
typedef int (*cr_store_usage_fn)(void *ctx, const cr_usage_sum *u);
CR_API cr_err cr_store_usage_sum(cr_store *s, cr_store_usage_fn fn, void *ctx, cr_msg *m) CR_NODISCARD;

/*
 * -- the audit log (store/audit.c) --
 * An append-only table of records, each chained to the one before it:
 * prev is the previous record's hash ("" for the first), hash is what the
 * caller's seal function computes over the whole record (audit/ does the
 * hashing and signing; the store only keeps the chain's order). seq counts
 * from 1 with no gaps; time is unix microseconds.
 */
typedef struct cr_audit_row {
	int64_t seq;
	int64_t time;
	const char *actor, *action, *detail; /* detail: JSON text */
	const char *prev, *hash;
} cr_audit_row;
/* Computes r's hash (64 hex chars + NUL) into hash, once seq and prev are set;
 * it may first set r->detail (a record about its predecessor, such as a
 * signature of the chain head, is only known then). */
typedef void (*cr_store_audit_seal_fn)(void *ctx, cr_audit_row *r, char hash[65]);
/* Appends r at the end of the log in one write transaction (a savepoint
 * inside the caller's, if one is open): fills r->seq, r->prev and r->hash
 * (r->prev and r->hash point into storage of the calling thread, valid
 * until its next append), so
 * processes appending at once keep one unbroken chain. time 0: now. */
CR_API cr_err cr_store_audit_append(cr_store *s, cr_audit_row *r, cr_store_audit_seal_fn seal, void *ctx,
				    cr_msg *m) CR_NODISCARD;
/* Calls fn for records in seq order from seq from_seq on (0: the first)
 * with time >= since_time (unix microseconds; 0: all); strings valid during
 * the call; stop by returning non-zero. */
typedef int (*cr_store_audit_fn)(void *ctx, const cr_audit_row *r);
CR_API cr_err cr_store_audit_list(cr_store *s, int64_t from_seq, int64_t since_time, cr_store_audit_fn fn,
				  void *ctx, cr_msg *m) CR_NODISCARD;

/*
 * -- users, groups and API tokens (store/user.c; schema v6) --
 * A user has a unique name, a role ("admin", "member", "auditor"), one
 * tenant (by name; "default" is tenant 0, others are created on first use)
 * and any number of groups (by name, created on first use); the ids are
 * what document ACLs and cr_principal hold. pw_hash is an argon2id string
 * (auth.h), NULL when the user has no password. A token row holds only the
 * SHA-256 of the token (auth.h makes and checks tokens); expires is unix
 * seconds (0: never).
 */
typedef struct cr_user_row {
	int64_t id;
	const char *name;
	const char *role;
	const char *tenant;           /* NULL on put: "default" */
	uint32_t tenant_id;           /* filled on get */
	const char *const *groups;    /* names */
	const uint32_t *group_ids;    /* filled on get */
	uint32_t n_groups;
	const char *pw_hash;
	int64_t created;              /* unix seconds; 0 on put: now */
	/* e-mail addresses (schema v9), each in cr_email_norm's form and held
	 * by one user at most (CR_EEXIST on put) */
	const char *const *emails;
	uint32_t n_emails;
	/* filled on get: what the user's principal holds, ascending: group_ids,
	 * then the address principals (cr_store_address_ids) of its addresses
	 * that some document names */
	const uint32_t *principal_ids;
	uint32_t n_principal_ids;
} cr_user_row;
/* Adds a user: CR_EEXIST if the name is taken, CR_EINVAL for a bad name
 * or role. */
CR_API cr_err cr_store_user_put(cr_store *s, const cr_user_row *r, cr_msg *m) CR_NODISCARD;
/* By name (id 0) or by id (name NULL); CR_ENOTFOUND if absent. Strings and
 * arrays live in arena a. */
CR_API cr_err cr_store_user_get(cr_store *s, cr_arena *a, const char *name, int64_t id, cr_user_row *out,
				cr_msg *m) CR_NODISCARD;
/* Deletes a user and its tokens; CR_ENOTFOUND if absent. */
CR_API cr_err cr_store_user_del(cr_store *s, const char *name, cr_msg *m) CR_NODISCARD;
CR_API cr_err cr_store_user_set_password(cr_store *s, const char *name, const char *pw_hash, cr_msg *m) CR_NODISCARD;
/* Changes a user's role (NULL: kept) and, with set_groups, replaces its
 * groups (created on first use), in one transaction. CR_ENOTFOUND if
 * absent, CR_EINVAL for a bad role or group name. */
CR_API cr_err cr_store_user_set(cr_store *s, const char *name, const char *role, const char *const *groups,
				uint32_t n_groups, int set_groups, cr_msg *m) CR_NODISCARD;
/* Replaces a user's e-mail addresses (n 0: none): CR_EINVAL for one not in
 * cr_email_norm's form, CR_EEXIST for one another user holds, CR_ENOTFOUND
 * for no such user. */
CR_API cr_err cr_store_user_set_emails(cr_store *s, const char *name, const char *const *emails, uint32_t n,
				       cr_msg *m) CR_NODISCARD;
/* The principal ids (CR_ACL_ADDRESS_BASE + row id) of n addresses in
 * cr_email_norm's form, in ids[i]; an address seen for the first time is
 * added. Call inside cr_store_begin/commit (ingest does). */
CR_API cr_err cr_store_address_ids(cr_store *s, const char *const *addrs, size_t n, uint32_t *ids,
				   cr_msg *m) CR_NODISCARD;
/* Every user, in order of addition (rows valid during the call; arena a
 * is used for them and may be reset by the caller between calls). */
typedef int (*cr_store_user_fn)(void *ctx, const cr_user_row *r);
CR_API cr_err cr_store_user_list(cr_store *s, cr_arena *a, cr_store_user_fn fn, void *ctx, cr_msg *m) CR_NODISCARD;
CR_API cr_err cr_store_user_count(cr_store *s, int64_t *n, cr_msg *m) CR_NODISCARD;

typedef struct cr_token_row {
	int64_t id;
	int64_t user_id;
	const char *user;    /* the user's name (filled on get and list) */
	const char *label;   /* may be NULL */
	const char *hash;    /* SHA-256 hex of the token */
	int64_t created;     /* unix seconds; 0 on put: now */
	int64_t expires;     /* unix seconds; 0: never */
	int revoked;
} cr_token_row;
CR_API cr_err cr_store_token_put(cr_store *s, const cr_token_row *r, int64_t *id, cr_msg *m) CR_NODISCARD;
/* By hash; CR_ENOTFOUND if absent (revoked and expired rows are found:
 * the caller decides). */
CR_API cr_err cr_store_token_find(cr_store *s, cr_arena *a, const char *hash, cr_token_row *out, cr_msg *m) CR_NODISCARD;
typedef int (*cr_store_token_fn)(void *ctx, const cr_token_row *r);
CR_API cr_err cr_store_token_list(cr_store *s, cr_store_token_fn fn, void *ctx, cr_msg *m) CR_NODISCARD;
/* CR_ENOTFOUND if no such token. */
CR_API cr_err cr_store_token_revoke(cr_store *s, int64_t id, cr_msg *m) CR_NODISCARD;

/*
 * -- tenants, groups, browser sessions, quotas, attributed usage
 *    (store/user.c; schema v7) --
 * Tenants and groups are rows by name (users also create them on first
 * use). A session row holds only the SHA-256 of the session's cookie
 * (auth.h makes and checks sessions); seen is the last use (idle timeout),
 * expires the absolute end, both unix seconds.
 */
typedef struct cr_name_row {
	int64_t id;
	const char *name;
	int64_t n_users;      /* users in the tenant or group */
} cr_name_row;
typedef int (*cr_store_name_fn)(void *ctx, const cr_name_row *r);
/* CR_EEXIST if the name is taken, CR_EINVAL for a bad name. */
CR_API cr_err cr_store_tenant_add(cr_store *s, const char *name, cr_msg *m) CR_NODISCARD;
CR_API cr_err cr_store_tenant_list(cr_store *s, cr_store_name_fn fn, void *ctx, cr_msg *m) CR_NODISCARD;
CR_API cr_err cr_store_group_add(cr_store *s, const char *name, cr_msg *m) CR_NODISCARD;
CR_API cr_err cr_store_group_list(cr_store *s, cr_store_name_fn fn, void *ctx, cr_msg *m) CR_NODISCARD;
/* The id of the tenant (tenant 1) or group named name: CR_ENOTFOUND, with
 * a message saying how to add it, when there is none. */
CR_API cr_err cr_store_name_id(cr_store *s, int tenant, const char *name, int64_t *id, cr_msg *m) CR_NODISCARD;
/* Removes a group and its memberships; CR_ENOTFOUND if absent. */
CR_API cr_err cr_store_group_del(cr_store *s, const char *name, cr_msg *m) CR_NODISCARD;

typedef struct cr_session_row {
	int64_t id;
	int64_t user_id;
	const char *hash;     /* SHA-256 hex of the session cookie */
	int64_t created, seen, expires;
} cr_session_row;
CR_API cr_err cr_store_session_put(cr_store *s, const cr_session_row *r, int64_t *id, cr_msg *m) CR_NODISCARD;
/* By hash; CR_ENOTFOUND if absent (expired rows are found: the caller
 * decides). */
CR_API cr_err cr_store_session_find(cr_store *s, cr_arena *a, const char *hash, cr_session_row *out,
				    cr_msg *m) CR_NODISCARD;
CR_API cr_err cr_store_session_touch(cr_store *s, int64_t id, int64_t seen, cr_msg *m) CR_NODISCARD;
/* Deletes by hash (NULL: every session that ended before now); *n (may be
 * NULL) gets the rows deleted. */
CR_API cr_err cr_store_session_del(cr_store *s, const char *hash, int64_t now, int *n, cr_msg *m) CR_NODISCARD;
/* Ends every session of a user but the one whose hash is keep (NULL: all);
 * *n (may be NULL) says how many ended (a password change ends the others). */
CR_API cr_err cr_store_session_del_user(cr_store *s, int64_t user_id, const char *keep, int *n, cr_msg *m) CR_NODISCARD;

/* A quota on a user or a tenant; a limit < 0 is unset. */
typedef struct cr_quota_row {
	const char *scope;    /* "user" | "tenant" */
	const char *name;
	int64_t requests_per_day, tokens_per_day;
	double cost_per_month;
} cr_quota_row;
/* Sets the limits given (>= 0) and keeps the others (a new row: unset). */
CR_API cr_err cr_store_quota_put(cr_store *s, const cr_quota_row *r, cr_msg *m) CR_NODISCARD;
/* CR_ENOTFOUND when none. */
CR_API cr_err cr_store_quota_get(cr_store *s, cr_arena *a, const char *scope, const char *name, cr_quota_row *out,
				 cr_msg *m) CR_NODISCARD;
typedef int (*cr_store_quota_fn)(void *ctx, const cr_quota_row *r);
CR_API cr_err cr_store_quota_list(cr_store *s, cr_store_quota_fn fn, void *ctx, cr_msg *m) CR_NODISCARD;
CR_API cr_err cr_store_quota_del(cr_store *s, const char *scope, const char *name, cr_msg *m) CR_NODISCARD;

/* Who this connection's metered provider calls are for (usage.user and
 * usage.tenant of the rows cr_store_usage_add writes without their own);
 * NULL, NULL: nobody (the local operator). Names are copied (64 bytes). */
CR_API void cr_store_set_actor(cr_store *s, const char *user, const char *tenant);
/* Counts one request of user (in tenant) today (UTC); *n_user and
 * *n_tenant (may be NULL) get today's counts after it. */
CR_API cr_err cr_store_request_add(cr_store *s, const char *user, const char *tenant, int64_t *n_user,
				   int64_t *n_tenant, cr_msg *m) CR_NODISCARD;
/* What a user or tenant used since a time (unix seconds): requests
 * (counted by day: since is rounded down to its UTC day), provider tokens
 * (prompt + completion) and cost. */
CR_API cr_err cr_store_usage_of(cr_store *s, const char *scope, const char *name, int64_t since, int64_t *requests,
				int64_t *tokens, double *cost, cr_msg *m) CR_NODISCARD;
/* Usage summed by "user", "tenant" or "provider" (or "day": by UTC day and
 * provider, as cr_store_usage_sum), in key order; tenant and user (may be
 * NULL) restrict it. Rows with no user are the local operator's (key "").
 * requests is 0 for "provider" and "day". */
typedef struct cr_usage_by_row {
	const char *key;
	const char *provider; /* "day" only */
	int64_t requests, calls, failed, prompt_tokens, completion_tokens, wall_ms;
	double cost;
} cr_usage_by_row;
typedef int (*cr_store_usage_by_fn)(void *ctx, const cr_usage_by_row *r);
CR_API cr_err cr_store_usage_by(cr_store *s, const char *by, const char *tenant, const char *user,
				cr_store_usage_by_fn fn, void *ctx, cr_msg *m) CR_NODISCARD;

/*
 * -- agents and their runs (store/agent.c; schema v8) --
 * A stored agent (`cristal agent create`): its instructions (the text, not
 * the file it came from), the tools it is offered and the scope entries it
 * keeps to (JSON arrays of strings), its provider (NULL: the default), its
 * five-field cron schedule (NULL: run by hand only) and report directory
 * (NULL: no report). last_due is when the scheduler last claimed a run
 * (unix seconds; 0: never: schedules count from created).
 */
typedef struct cr_agent_row {
	int64_t id;
	const char *name;
	const char *instructions;
	const char *tools;    /* JSON array: ["search", "mcp:fs/read_text_file"] */
	const char *scopes;   /* JSON array: ["docs/public", "type:md", "group:hr"] */
	const char *provider;
	const char *schedule;
	const char *out_dir;
	int64_t created;      /* unix seconds; 0 on put: now */
	int64_t last_due;
} cr_agent_row;
/* CR_EEXIST if the name is taken, CR_EINVAL for a bad name ([A-Za-z0-9_.-],
 * 1-64 bytes, not starting with '-' or '.'). */
CR_API cr_err cr_store_agent_put(cr_store *s, const cr_agent_row *r, cr_msg *m) CR_NODISCARD;
/* CR_ENOTFOUND if absent; strings in arena a. */
CR_API cr_err cr_store_agent_get(cr_store *s, cr_arena *a, const char *name, cr_agent_row *out,
				 cr_msg *m) CR_NODISCARD;
/* Every agent by name (rows valid during the call). */
typedef int (*cr_store_agent_fn)(void *ctx, const cr_agent_row *r);
CR_API cr_err cr_store_agent_list(cr_store *s, cr_store_agent_fn fn, void *ctx, cr_msg *m) CR_NODISCARD;
/* Removes an agent and its runs; CR_ENOTFOUND if absent. */
CR_API cr_err cr_store_agent_del(cr_store *s, const char *name, cr_msg *m) CR_NODISCARD;

typedef struct cr_agent_run_row {
	int64_t id;
	const char *agent;
	const char *kind;     /* "manual", "schedule" or "api" */
	int64_t started, ended; /* unix milliseconds; ended 0: still running (or its process died) */
	const char *status;   /* "running", "ok" (an answer), "stopped" (a budget ended it), "failed" */
	const char *stop;     /* the loop's stop reason (agent.h), NULL when it failed before */
	int64_t steps, prompt_tokens, completion_tokens;
	const char *report;   /* the report file written, NULL: none */
	const char *error;    /* why it failed or stopped, NULL: it answered */
} cr_agent_run_row;
/*
 * Starts a run of agent `name` (a "running" row started at now_ms) and sets
 * *run_id. With claim non-NULL (the scheduler), in the same transaction,
 * moves the agent's last_due from *claim to now_ms / 1000 and fails with
 * CR_EBUSY, writing nothing, when it no longer holds *claim: another
 * process claimed this fire time first. CR_ENOTFOUND: no such agent.
 */
CR_API cr_err cr_store_agent_run_begin(cr_store *s, const char *name, const char *kind, int64_t now_ms,
				       const int64_t *claim, int64_t *run_id, cr_msg *m) CR_NODISCARD;
/* Records the end of a run: ended, status, stop, steps, tokens, report,
 * error of r (its id, agent, kind and started are ignored). */
CR_API cr_err cr_store_agent_run_end(cr_store *s, int64_t run_id, const cr_agent_run_row *r, cr_msg *m) CR_NODISCARD;
/* Ends every run still "running" that started before before_ms (its
 * process died: a run's wall time is bounded) as "failed" with error
 * why; *n (may be NULL) gets how many. */
CR_API cr_err cr_store_agent_runs_abandon(cr_store *s, int64_t before_ms, int64_t now_ms, const char *why, int *n,
					  cr_msg *m) CR_NODISCARD;
/* An agent's runs (NULL: every agent's), newest first, at most limit (0:
 * all); rows valid during the call. */
typedef int (*cr_store_agent_run_fn)(void *ctx, const cr_agent_run_row *r);
CR_API cr_err cr_store_agent_runs(cr_store *s, const char *name, int limit, cr_store_agent_run_fn fn, void *ctx,
				  cr_msg *m) CR_NODISCARD;

/* Which back end this is ("sqlite"). */
CR_API const char *cr_store_backend(const cr_store *s);
/* Encryption at rest (crypt.h): the key the catalog's document content is
 * sealed with, or NULL for a plaintext catalog. A catalog created while the
 * process has a key (cr_key_set_process) is encrypted: the document title,
 * author and metadata and the chunk text, sheet, speaker, heading and
 * symbol are sealed per value with the table, column and row id as
 * associated data, and opened by the store's one read path, so callers see
 * plaintext. Opening an encrypted catalog without the key or with another
 * is CR_EDENIED saying which; a sealed value that fails to open is
 * CR_ECORRUPT naming the row. */
typedef struct cr_key cr_key;
CR_API const cr_key *cr_store_key(const cr_store *s);

/* Copies the whole catalog, as of one commit, into a new file at path
 * (created 0600; CR_EIO if it exists), while other connections and
 * processes go on reading and writing (sqlite_backup.c). */
CR_API cr_err cr_store_backup(cr_store *s, const char *path, cr_msg *m) CR_NODISCARD;

#endif
