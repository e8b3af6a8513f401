/*
 * store_int.h — the back-end interface behind store.h (like curl's vtls):
 * each back end fills one cr_store_vt and embeds struct cr_store first in
 * its own handle. store.c forwards the public calls; sqlite.c is the only
 * back end today, PostgreSQL can follow with the same table.
 */
#ifndef CR_STORE_INT_H
#define CR_STORE_INT_H

#include "cristal/crypt.h"
#include "cristal/store.h"

/* The catalog's schema version this build writes (sqlite.c's migrations
 * lead every older catalog to it); tests read it here. */
#define CR_STORE_SCHEMA_VERSION 9

/* Providers and usage (store/provider.c forwards, sqlite_provider.c implements). */
typedef struct cr_store_prov_vt {
	cr_err (*put)(cr_store *s, const cr_provider_row *r, cr_msg *m);
	cr_err (*get)(cr_store *s, cr_arena *a, const char *name, cr_provider_row *out, cr_msg *m);
	cr_err (*del)(cr_store *s, const char *name, cr_msg *m);
	cr_err (*list)(cr_store *s, cr_store_provider_fn fn, void *ctx, cr_msg *m);
	cr_err (*set_default)(cr_store *s, const char *name, cr_msg *m);
	cr_err (*usage_add)(cr_store *s, const cr_usage_row *r, cr_msg *m);
	cr_err (*usage_sum)(cr_store *s, cr_store_usage_fn fn, void *ctx, cr_msg *m);
	cr_err (*suspend)(cr_store *s, const char *name, const char *reason, cr_msg *m);
	cr_err (*suspended)(cr_store *s, const char *name, char *reason, size_t cap, cr_msg *m);
} cr_store_prov_vt;

/* The audit log (store/audit.c forwards, sqlite_audit.c implements). */
typedef struct cr_store_audit_vt {
	cr_err (*append)(cr_store *s, cr_audit_row *r, cr_store_audit_seal_fn seal, void *ctx, cr_msg *m);
	cr_err (*list)(cr_store *s, int64_t from_seq, int64_t since_time, cr_store_audit_fn fn, void *ctx,
		       cr_msg *m);
} cr_store_audit_vt;
/* Users and tokens (store/user.c forwards, sqlite_user.c implements). */
typedef struct cr_store_user_vt {
	cr_err (*put)(cr_store *s, const cr_user_row *r, cr_msg *m);
	cr_err (*get)(cr_store *s, cr_arena *a, const char *name, int64_t id, cr_user_row *out, cr_msg *m);
	cr_err (*del)(cr_store *s, const char *name, cr_msg *m);
	cr_err (*set_password)(cr_store *s, const char *name, const char *pw_hash, cr_msg *m);
	cr_err (*set)(cr_store *s, const char *name, const char *role, const char *const *groups, uint32_t n_groups,
		      int set_groups, cr_msg *m);
	/* e-mail addresses and address principals (schema v9) */
	cr_err (*set_emails)(cr_store *s, const char *name, const char *const *emails, uint32_t n, cr_msg *m);
	cr_err (*address_ids)(cr_store *s, const char *const *addrs, size_t n, uint32_t *ids, cr_msg *m);
	cr_err (*list)(cr_store *s, cr_arena *a, cr_store_user_fn fn, void *ctx, cr_msg *m);
	cr_err (*count)(cr_store *s, int64_t *n, cr_msg *m);
	cr_err (*token_put)(cr_store *s, const cr_token_row *r, int64_t *id, cr_msg *m);
	cr_err (*token_find)(cr_store *s, cr_arena *a, const char *hash, cr_token_row *out, cr_msg *m);
	cr_err (*token_list)(cr_store *s, cr_store_token_fn fn, void *ctx, cr_msg *m);
	cr_err (*token_revoke)(cr_store *s, int64_t id, cr_msg *m);
	/* tenants, groups, sessions, quotas, attributed usage (schema v7) */
	cr_err (*name_add)(cr_store *s, const char *table, const char *name, cr_msg *m);
	cr_err (*name_list)(cr_store *s, const char *table, cr_store_name_fn fn, void *ctx, cr_msg *m);
	cr_err (*group_del)(cr_store *s, const char *name, cr_msg *m);
	cr_err (*session_put)(cr_store *s, const cr_session_row *r, int64_t *id, cr_msg *m);
	cr_err (*session_find)(cr_store *s, cr_arena *a, const char *hash, cr_session_row *out, cr_msg *m);
	cr_err (*session_touch)(cr_store *s, int64_t id, int64_t seen, cr_msg *m);
	cr_err (*session_del)(cr_store *s, const char *hash, int64_t now, int *n, cr_msg *m);
	cr_err (*session_del_user)(cr_store *s, int64_t user_id, const char *keep, int *n, cr_msg *m);
	cr_err (*quota_put)(cr_store *s, const cr_quota_row *r, cr_msg *m);
	cr_err (*quota_get)(cr_store *s, cr_arena *a, const char *scope, const char *name, cr_quota_row *out, cr_msg *m);
	cr_err (*quota_list)(cr_store *s, cr_store_quota_fn fn, void *ctx, cr_msg *m);
	cr_err (*quota_del)(cr_store *s, const char *scope, const char *name, cr_msg *m);
	cr_err (*request_add)(cr_store *s, const char *user, const char *tenant, int64_t *n_user, int64_t *n_tenant,
			      cr_msg *m);
	cr_err (*usage_of)(cr_store *s, const char *scope, const char *name, int64_t since, int64_t *requests,
			   int64_t *tokens, double *cost, cr_msg *m);
	cr_err (*usage_by)(cr_store *s, const char *by, const char *tenant, const char *user, cr_store_usage_by_fn fn,
			   void *ctx, cr_msg *m);
} cr_store_user_vt;

/* Agents and their runs (store/agent.c forwards, sqlite_agent.c implements; schema v8). */
typedef struct cr_store_agent_vt {
	cr_err (*put)(cr_store *s, const cr_agent_row *r, cr_msg *m);
	cr_err (*get)(cr_store *s, cr_arena *a, const char *name, cr_agent_row *out, cr_msg *m);
	cr_err (*list)(cr_store *s, cr_store_agent_fn fn, void *ctx, cr_msg *m);
	cr_err (*del)(cr_store *s, const char *name, cr_msg *m);
	cr_err (*run_begin)(cr_store *s, const char *name, const char *kind, int64_t now_ms, const int64_t *claim,
			    int64_t *run_id, cr_msg *m);
	cr_err (*run_end)(cr_store *s, int64_t run_id, const cr_agent_run_row *r, cr_msg *m);
	cr_err (*runs)(cr_store *s, const char *name, int limit, cr_store_agent_run_fn fn, void *ctx, cr_msg *m);
	cr_err (*runs_abandon)(cr_store *s, int64_t before_ms, int64_t now_ms, const char *why, int *n, cr_msg *m);
} cr_store_agent_vt;

typedef struct cr_store_vt {
	const char *name;
	void (*close)(cr_store *s);
	cr_err (*begin)(cr_store *s, cr_msg *m);
	cr_err (*commit)(cr_store *s, cr_msg *m);
	void (*rollback)(cr_store *s);
	const cr_key *(*key)(const cr_store *s);
	cr_err (*source_get_or_add)(cr_store *s, const char *root, const char *kind, int64_t *id, cr_msg *m);
	cr_err (*source_find)(cr_store *s, const char *root, int64_t *id, cr_msg *m);
	cr_err (*sources)(cr_store *s, cr_store_source_fn fn, void *ctx, cr_msg *m);
	cr_err (*source_rows)(cr_store *s, cr_store_source_row_fn fn, void *ctx, cr_msg *m);
	cr_err (*source_delete)(cr_store *s, int64_t id, cr_msg *m);
	cr_err (*doc_find)(cr_store *s, cr_arena *a, int64_t source_id, const char *name, cr_doc_row *out, cr_msg *m);
	cr_err (*doc_get)(cr_store *s, cr_arena *a, int64_t doc_id, cr_doc_row *out, cr_msg *m);
	cr_err (*doc_find_any)(cr_store *s, cr_arena *a, const char *name, cr_doc_row *out, cr_msg *m);
	cr_err (*doc_put)(cr_store *s, const cr_doc_row *row, const cr_doc *d, const cr_chunk *chunks,
			  size_t n_chunks, int64_t *doc_id, cr_buf *deleted, cr_msg *m);
	void (*last_chunk_ids)(cr_store *s, int64_t *first, int64_t *last);
	cr_err (*doc_delete)(cr_store *s, int64_t doc_id, cr_buf *deleted, cr_msg *m);
	cr_err (*doc_touch)(cr_store *s, int64_t doc_id, int64_t size, int64_t mtime, cr_msg *m);
	cr_err (*docs_of_source)(cr_store *s, int64_t source_id, int files_only, cr_store_doc_fn fn,
				 void *ctx, cr_msg *m);
	cr_err (*children)(cr_store *s, int64_t doc_id, cr_store_doc_fn fn, void *ctx, cr_msg *m);
	cr_err (*docs_after)(cr_store *s, int64_t after_id, cr_store_doc_fn fn, void *ctx, cr_msg *m);
	cr_err (*chunk_get)(cr_store *s, cr_arena *a, int64_t chunk_id, cr_chunk_row *out, cr_msg *m);
	cr_err (*chunks_after)(cr_store *s, int64_t after_id, cr_store_chunk_fn fn, void *ctx, cr_msg *m);
	cr_err (*chunks_of_doc)(cr_store *s, int64_t doc_id, cr_store_chunk_fn fn, void *ctx, cr_msg *m);
	cr_err (*max_chunk_id)(cr_store *s, int64_t *out, cr_msg *m);
	cr_err (*chunk_ids_reserve)(cr_store *s, int64_t above, cr_msg *m);
	cr_err (*deleted_chunks)(cr_store *s, cr_buf *ids, cr_msg *m);
	cr_err (*deleted_chunks_clear)(cr_store *s, const uint64_t *ids, size_t n, cr_msg *m);
	cr_err (*kv_get)(cr_store *s, cr_arena *a, const char *key, const char **value, cr_msg *m);
	cr_err (*kv_set)(cr_store *s, const char *key, const char *value, cr_msg *m);
	cr_err (*get_stats)(cr_store *s, cr_arena *a, cr_store_stats *st, cr_msg *m);
	cr_err (*model_put)(cr_store *s, const cr_model_row *r, cr_msg *m);
	cr_err (*model_get)(cr_store *s, cr_arena *a, const char *name, cr_model_row *out, cr_msg *m);
	cr_err (*model_del)(cr_store *s, const char *name, cr_msg *m);
	cr_err (*model_list)(cr_store *s, cr_store_model_fn fn, void *ctx, cr_msg *m);
	cr_err (*reject_put)(cr_store *s, const cr_reject_row *r, cr_msg *m);
	cr_err (*reject_find)(cr_store *s, cr_arena *a, int64_t source_id, const char *name, cr_reject_row *out,
			      cr_msg *m);
	cr_err (*reject_delete)(cr_store *s, int64_t source_id, const char *name, cr_msg *m);
	cr_err (*rejects_of_source)(cr_store *s, int64_t source_id, cr_store_reject_fn fn, void *ctx, cr_msg *m);
	const cr_store_prov_vt *prov;
	const cr_store_audit_vt *audit;
	const cr_store_user_vt *user;
	const cr_store_agent_vt *agent;
} cr_store_vt;

struct cr_store {
	const cr_store_vt *vt;
	char actor_user[65], actor_tenant[65]; /* cr_store_set_actor; "" : none */
};

/* The SQLite back end: DATA/catalog.db. */
cr_err cr_store_sqlite_open(const char *data_dir, cr_store **out, cr_msg *m) CR_NODISCARD;
/* Its connection, for the back end's other files (sqlite_provider.c). */
struct sqlite3 *cr_store_sqlite_db(cr_store *s);
/* A statement kept on the connection for the back end's other files,
 * by a name of the caller's (NULL slot until the caller prepares it;
 * finalized when the store closes). */
struct sqlite3_stmt **cr_store_sqlite_stmt_slot(cr_store *s, const char *name);
extern const cr_store_prov_vt cr_store_sqlite_prov_vt;
extern const cr_store_audit_vt cr_store_sqlite_audit_vt;
/* Helpers of the SQLite back end's table files (sqlite_util.c): an
 * error from the connection's last failure, a statement prepared per call,
 * text bound as NULL when absent, a column copied into arena a (or the
 * statement's own text when a is NULL; *oom set when the copy fails). */
typedef struct sqlite3_stmt sqlite3_stmt;
cr_err cr_sq_fail(struct sqlite3 *db, cr_msg *m, const char *what);
sqlite3_stmt *cr_sq_prep(struct sqlite3 *db, const char *sql, cr_msg *m, cr_err *e);
void cr_sq_bind_text(sqlite3_stmt *st, int i, const char *t);
const char *cr_sq_col(cr_arena *a, sqlite3_stmt *st, int i, int *oom);
/* Steps st to its end and finalizes it; *changes (may be NULL) gets the rows changed. */
cr_err cr_sq_run(struct sqlite3 *db, sqlite3_stmt *st, cr_msg *m, const char *what, int *changes);
/* Runs SQL with no rows (BEGIN, COMMIT, ...). */
cr_err cr_sq_exec(struct sqlite3 *db, const char *sql, cr_msg *m);
/* A write of several statements: cr_sq_tx_begin opens a transaction unless
 * the caller has one (*own says which); cr_sq_tx_end commits it when e is
 * CR_OK, else rolls it back, and returns the result. */
cr_err cr_sq_tx_begin(struct sqlite3 *db, int *own, cr_msg *m);
cr_err cr_sq_tx_end(struct sqlite3 *db, int own, cr_err e, cr_msg *m);
/* Runs sql (a DELETE with the name as ?1): CR_ENOTFOUND "no WHAT named
 * NAME" when it removed no row. */
cr_err cr_sq_del_named(struct sqlite3 *db, const char *sql, const char *what, const char *name, cr_msg *m);
extern const cr_store_user_vt cr_store_sqlite_user_vt;
extern const cr_store_agent_vt cr_store_sqlite_agent_vt;

/* Groups as stored: sorted, comma-separated decimal ids ("" = none). */
cr_err cr_store_groups_format(const uint32_t *g, uint32_t n, cr_buf *out) CR_NODISCARD;
/* Parses the stored form into `out` (reset first) as a uint32_t array of *n
 * ids; malformed text gives CR_ECORRUPT. */
cr_err cr_store_groups_parse(const char *s, cr_buf *out, uint32_t *n) CR_NODISCARD;

#endif
