/*
 * sqlite.c — the SQLite back end of the catalog (store.h): one file,
 * DATA/catalog.db, in WAL mode so readers (search) never block the writer
 * (ingest) and a crash at any point leaves the last committed state.
 *
 * Schema (version in table schema_version; see SCHEMA below):
 *   tenants(id, name)                    ACL tenants; 0 = "default"
 *   sources(id, root, kind, added)       ingested roots (folder, file, repo, jsonl)
 *   documents(id AUTOINCREMENT, source_id, name, parent_id, title, type, lang,
 *             author, date, hash, size, mtime, meta JSON, tenant, owner,
 *             groups "1,5,9", classification, n_chunks, text_bytes)
 *             UNIQUE(source_id, name); children (attachments, messages of an
 *             mbox) point to their parent and are deleted with it (cascade)
 *   chunks(id AUTOINCREMENT, doc_id, ordinal, text, page, slide, sheet,
 *          line_start, line_end, speaker, t_start, t_end, heading, symbol)
 *          chunks inherit their document's ACL by join (never copied, so an
 *          ACL change is one row)
 *   deleted_chunks(id)                   filled by a trigger on every chunk
 *          deletion, emptied once the index's tombstones are durable: the
 *          index can never miss a deletion, whatever crashes when
 *   kv(key, value)                       small settings; crypt.check: the data
 *          key's check value when the catalog is encrypted (document content
 *          sealed per value: see "encrypted values" below)
 *   models(name, path, arch, info, size, added)   `cristal model add`
 *   rejects(source_id, name, size, mtime, reason)  files rejected for their
 *          content, not read again while size and mtime match (v2)
 *   providers(id, name, kind, url, model, api_key_env, trust, price_in,
 *          price_out, is_default, added)  model providers (v3; store/provider.c)
 *   provider_suspensions(name, reason, at)  the kill-switch (v5)
 *   usage(id, time, provider, prompt_tokens, completion_tokens, wall_ms,
 *          cost, ok)                     one row per provider call (v3)
 *   audit(seq, time, actor, action, detail, prev, hash)
 *                                        the hash-chained audit log (v4;
 *                                        store/audit.c, audit/)
 *   users(id, name, role, tenant_id, pw_hash, created), groups(id, name),
 *   user_groups(user_id, group_id), tokens(id, user_id, label, hash,
 *          created, expires, revoked)    users and API tokens (v6; store/user.c)
 *   sessions, quotas, requests, usage_who  (v7; store/user.c)
 *   agents(id, name, instructions, tools, scopes, provider, schedule,
 *          out_dir, created, last_due), agent_runs(id, agent_id, kind,
 *          started, ended, status, stop, steps, prompt_tokens,
 *          completion_tokens, report, error)  stored agents (v8; store/agent.c)
 *   doc_readers(doc_id, kind, readers, in_acl)  who a message or chat day
 *          names as its readers, and whether its ACL holds them (v9)
 *   addresses(id, addr)                  address principals: id +
 *          CR_ACL_ADDRESS_BASE in documents.groups (v9)
 *   user_emails(user_id, addr)           users' e-mail addresses (v9)
 *
 * Migrations. A new catalog is created at version 1 (SCHEMA) and brought up
 * like an old one: UPGRADES lists the steps in order, step k taking the
 * catalog from version k to k+1 (schema_version holds the version). Each
 * step runs in its own BEGIN IMMEDIATE transaction that re-reads the version
 * first, so two processes opening an old catalog at once upgrade it once,
 * and a crash leaves the last completed version. A catalog newer than this
 * build is refused (CR_EUNSUPPORTED): its tables may mean something this
 * code does not know. To change the schema, append a step and bump
 * SCHEMA_VERSION; never edit a step that has shipped.
 *
 * AUTOINCREMENT (not plain rowid) guarantees chunk ids strictly increase and
 * are never reused, even after the highest chunk is deleted: the index
 * relies on that to catch up with "every chunk above my highest id".
 *
 * Costs: statements are prepared once and cached per connection; each
 * commit in WAL with synchronous=NORMAL is an append to the WAL without
 * fsync (durable against a process crash, not a power cut; corpus.c repairs
 * the latter case too). busy_timeout is 10 s so a search started during an
 * ingest waits rather than fails.
 */
#include "store_int.h"
#include "cristal/crypt.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

/* The version SCHEMA creates; UPGRADES lead from it to SCHEMA_VERSION. */
#define SCHEMA_BASE 1
#define SCHEMA_VERSION CR_STORE_SCHEMA_VERSION

static const char SCHEMA[] =
	"CREATE TABLE schema_version(version INTEGER NOT NULL);"
	"CREATE TABLE kv(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE tenants(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
	"INSERT INTO tenants(id, name) VALUES (0, 'default');"
	"CREATE TABLE sources(id INTEGER PRIMARY KEY AUTOINCREMENT, root TEXT NOT NULL UNIQUE,"
	" kind TEXT NOT NULL, added INTEGER NOT NULL);"
	"CREATE TABLE documents(id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,"
	" name TEXT NOT NULL,"
	" parent_id INTEGER REFERENCES documents(id) ON DELETE CASCADE,"
	" title TEXT, type TEXT, lang TEXT, author TEXT, date INTEGER NOT NULL DEFAULT 0,"
	" hash TEXT, size INTEGER NOT NULL DEFAULT 0, mtime INTEGER NOT NULL DEFAULT 0, meta TEXT,"
	" tenant INTEGER NOT NULL DEFAULT 0 REFERENCES tenants(id),"
	" owner INTEGER NOT NULL DEFAULT 0, groups TEXT NOT NULL DEFAULT '',"
	" classification INTEGER NOT NULL DEFAULT 0,"
	" n_chunks INTEGER NOT NULL DEFAULT 0, text_bytes INTEGER NOT NULL DEFAULT 0,"
	" UNIQUE(source_id, name));"
	"CREATE INDEX documents_parent ON documents(parent_id);"
	"CREATE INDEX documents_name ON documents(name);"
	"CREATE TABLE chunks(id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,"
	" ordinal INTEGER NOT NULL, text TEXT NOT NULL,"
	" page INTEGER, slide INTEGER, sheet TEXT, line_start INTEGER, line_end INTEGER,"
	" speaker TEXT, t_start REAL, t_end REAL, heading TEXT, symbol TEXT);"
	"CREATE INDEX chunks_doc ON chunks(doc_id, ordinal);"
	"CREATE TABLE deleted_chunks(id INTEGER PRIMARY KEY);"
	"CREATE TRIGGER chunks_deleted AFTER DELETE ON chunks BEGIN"
	" INSERT OR IGNORE INTO deleted_chunks(id) VALUES (old.id); END;"
	"CREATE TABLE models(name TEXT PRIMARY KEY, path TEXT NOT NULL, arch TEXT, info TEXT,"
	" size INTEGER NOT NULL DEFAULT 0, added INTEGER NOT NULL) WITHOUT ROWID;";

#define DOC_COLS                                                                              \
	"d.id, d.source_id, d.name, p.name, d.title, d.type, d.lang, d.author, d.date, d.hash," \
	" d.size, d.mtime, d.meta, d.tenant, d.owner, d.groups, d.classification, d.n_chunks,"  \
	" r.kind, r.readers, r.in_acl"                                                          \
	" FROM documents d LEFT JOIN documents p ON p.id = d.parent_id"                       \
	" LEFT JOIN doc_readers r ON r.doc_id = d.id"
#define CHUNK_COLS                                                                           \
	"c.id, c.doc_id, d.name, d.title, d.type, d.date, c.text, c.ordinal, c.page, c.slide,"  \
	" c.sheet, c.line_start, c.line_end, c.speaker, c.t_start, c.t_end, c.heading, c.symbol," \
	" d.tenant, d.owner, d.groups, d.classification"                                       \
	" FROM chunks c JOIN documents d ON d.id = c.doc_id"

enum {
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_SRC_GET,
	S_SRC_ADD,
	S_SRC_DEL,
	S_SRC_ALL,
	S_SRC_ROWS,
	S_SRC_STAMP,
	S_DOC_FIND,
	S_DOC_GET,
	S_DOC_FIND_ANY,
	S_DOC_ID,
	S_DOC_INS,
	S_DOC_UPD,
	S_READERS_PUT,
	S_READERS_DEL,
	S_DOC_TREE_CHUNKS,
	S_CHUNKS_DEL,
	S_CHUNK_INS,
	S_DOC_DEL,
	S_DOC_TOUCH,
	S_CHUNK_GET,
	S_MAXID,
	S_DELETED_LIST,
	S_DELETED_DEL,
	S_KV_GET,
	S_KV_SET,
	S_TENANT,
	S_MODEL_PUT,
	S_MODEL_GET,
	S_MODEL_DEL,
	S_REJ_PUT,
	S_REJ_FIND,
	S_REJ_DEL,
	S_DOC_INS_ID,
	S_CHUNK_INS_ID,
	S_DOC_NEXT,
	S_CHUNK_NEXT,
	S__COUNT
};

static const char *const SQL[S__COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_SRC_GET] = "SELECT id FROM sources WHERE root = ?1",
	[S_SRC_ADD] = "INSERT INTO sources(root, kind, added) VALUES (?1, ?2, ?3)",
	[S_SRC_DEL] = "DELETE FROM sources WHERE id = ?1",
	[S_SRC_ALL] = "SELECT id, root FROM sources ORDER BY id",
	[S_SRC_ROWS] = "SELECT s.id, s.root, s.kind, s.added, CAST(k.value AS INTEGER) FROM sources s"
		       " LEFT JOIN kv k ON k.key = 'source.' || s.id || '.ingested' ORDER BY s.id",
	[S_SRC_STAMP] = "INSERT OR REPLACE INTO kv(key, value) VALUES ('source.' || ?1 || '.ingested', ?2)",
	[S_DOC_FIND] = "SELECT " DOC_COLS " WHERE d.source_id = ?1 AND d.name = ?2",
	[S_DOC_GET] = "SELECT " DOC_COLS " WHERE d.id = ?1",
	[S_DOC_FIND_ANY] = "SELECT " DOC_COLS " WHERE d.name = ?1 ORDER BY d.id LIMIT 1",
	[S_DOC_ID] = "SELECT id FROM documents WHERE source_id = ?1 AND name = ?2",
	[S_DOC_INS] = "INSERT INTO documents(source_id, name, parent_id, title, type, lang, author, date,"
		      " hash, size, mtime, meta, tenant, owner, groups, classification, n_chunks, text_bytes)"
		      " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18)",
	[S_DOC_UPD] = "UPDATE documents SET parent_id=?3, title=?4, type=?5, lang=?6, author=?7, date=?8,"
		      " hash=?9, size=?10, mtime=?11, meta=?12, tenant=?13, owner=?14, groups=?15,"
		      " classification=?16, n_chunks=?17, text_bytes=?18 WHERE id = ?19",
	[S_READERS_PUT] = "INSERT OR REPLACE INTO doc_readers(doc_id, kind, readers, in_acl) VALUES (?1, ?2, ?3, ?4)",
	[S_READERS_DEL] = "DELETE FROM doc_readers WHERE doc_id = ?1",
	[S_DOC_TREE_CHUNKS] = "WITH RECURSIVE t(id) AS (SELECT ?1 UNION ALL"
			      " SELECT documents.id FROM documents JOIN t ON documents.parent_id = t.id)"
			      " SELECT chunks.id FROM chunks WHERE chunks.doc_id IN t ORDER BY chunks.id",
	[S_CHUNKS_DEL] = "DELETE FROM chunks WHERE doc_id = ?1",
	[S_CHUNK_INS] = "INSERT INTO chunks(doc_id, ordinal, text, page, slide, sheet, line_start, line_end,"
			" speaker, t_start, t_end, heading, symbol)"
			" VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)",
	[S_DOC_DEL] = "DELETE FROM documents WHERE id = ?1",
	[S_DOC_TOUCH] = "UPDATE documents SET size = ?2, mtime = ?3 WHERE id = ?1",
	[S_CHUNK_GET] = "SELECT " CHUNK_COLS " WHERE c.id = ?1",
	[S_MAXID] = "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'chunks'), 0)",
	[S_DELETED_LIST] = "SELECT id FROM deleted_chunks ORDER BY id",
	[S_DELETED_DEL] = "DELETE FROM deleted_chunks WHERE id = ?1",
	[S_KV_GET] = "SELECT value FROM kv WHERE key = ?1",
	[S_KV_SET] = "INSERT OR REPLACE INTO kv(key, value) VALUES (?1, ?2)",
	[S_TENANT] = "INSERT OR IGNORE INTO tenants(id, name) VALUES (?1, 'tenant-' || ?1)",
	[S_MODEL_PUT] = "INSERT OR REPLACE INTO models(name, path, arch, info, size, added)"
			" VALUES (?1,?2,?3,?4,?5,?6)",
	[S_MODEL_GET] = "SELECT name, path, arch, info, size, added FROM models WHERE name = ?1",
	[S_MODEL_DEL] = "DELETE FROM models WHERE name = ?1",
	[S_REJ_PUT] = "INSERT OR REPLACE INTO rejects(source_id, name, size, mtime, reason) VALUES (?1,?2,?3,?4,?5)",
	[S_REJ_FIND] = "SELECT size, mtime, reason FROM rejects WHERE source_id = ?1 AND name = ?2",
	[S_REJ_DEL] = "DELETE FROM rejects WHERE source_id = ?1 AND name = ?2",
	/* encrypted catalog: the row id is the sealed values' associated data,
	 * so it is chosen before the insert (inside the writer's transaction) */
	[S_DOC_INS_ID] = "INSERT INTO documents(id, source_id, name, parent_id, title, type, lang, author, date,"
			 " hash, size, mtime, meta, tenant, owner, groups, classification, n_chunks, text_bytes)"
			 " VALUES (?19,?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18)",
	[S_CHUNK_INS_ID] = "INSERT INTO chunks(id, doc_id, ordinal, text, page, slide, sheet, line_start, line_end,"
			   " speaker, t_start, t_end, heading, symbol)"
			   " VALUES (?14,?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)",
	[S_DOC_NEXT] = "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'documents'), 0),"
		       " coalesce((SELECT max(id) FROM documents), 0)) + 1",
	[S_CHUNK_NEXT] = "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'chunks'), 0),"
			 " coalesce((SELECT max(id) FROM chunks), 0)) + 1",
};

/* UPGRADES[i] takes a catalog from version SCHEMA_BASE + i to the next. */
static const char *const UPGRADES[] = {
	/* 1 -> 2: the rejected-file cache. v1 catalogs written by builds that
	 * created it at every open already have it: IF NOT EXISTS. */
	"CREATE TABLE IF NOT EXISTS rejects(source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,"
	" name TEXT NOT NULL, size INTEGER NOT NULL, mtime INTEGER NOT NULL, reason TEXT NOT NULL,"
	" PRIMARY KEY(source_id, name)) WITHOUT ROWID;",
	/* 2 -> 3: model providers and their metered calls (store/provider.c).
	 * id gives the order of addition, which failover follows; prices are
	 * per million tokens; usage.time is unix seconds. */
	"CREATE TABLE IF NOT EXISTS providers(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE,"
	" kind TEXT NOT NULL CHECK(kind IN ('local','openai')), url TEXT, model TEXT NOT NULL,"
	" api_key_env TEXT, trust TEXT NOT NULL CHECK(trust IN ('local','onprem','external')),"
	" price_in REAL NOT NULL DEFAULT 0, price_out REAL NOT NULL DEFAULT 0,"
	" is_default INTEGER NOT NULL DEFAULT 0, added INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS usage(id INTEGER PRIMARY KEY, time INTEGER NOT NULL, provider TEXT NOT NULL,"
	" prompt_tokens INTEGER NOT NULL DEFAULT 0, completion_tokens INTEGER NOT NULL DEFAULT 0,"
	" wall_ms INTEGER NOT NULL DEFAULT 0, cost REAL NOT NULL DEFAULT 0, ok INTEGER NOT NULL DEFAULT 1);"
	"CREATE INDEX IF NOT EXISTS usage_time ON usage(time);",
	/* 3 -> 4: the audit log (store/audit.c, audit/): append-only, each
	 * record chained to the one before by prev = that record's hash;
	 * time is unix microseconds. */
	"CREATE TABLE IF NOT EXISTS audit(seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, actor TEXT NOT NULL,"
	" action TEXT NOT NULL, detail TEXT NOT NULL, prev TEXT NOT NULL, hash TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS audit_time ON audit(time);",
	/* 4 -> 5: the provider kill-switch (store/provider.c): a row per
	 * suspended provider name, with the reason and the time (unix
	 * seconds). Kept by name: a provider removed and added again under
	 * the same name stays suspended until resumed. */
	"CREATE TABLE IF NOT EXISTS provider_suspensions(name TEXT PRIMARY KEY, reason TEXT NOT NULL,"
	" at INTEGER NOT NULL) WITHOUT ROWID;",
	/* 5 -> 6: users, their groups and API tokens (store/user.c). Tenants
	 * are the base schema's table; tokens are stored as SHA-256 hex. */
	"CREATE TABLE IF NOT EXISTS groups(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE);"
	"CREATE TABLE IF NOT EXISTS users(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE,"
	" role TEXT NOT NULL CHECK(role IN ('admin','member','auditor')),"
	" tenant_id INTEGER NOT NULL DEFAULT 0 REFERENCES tenants(id), pw_hash TEXT, created INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS user_groups(user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	" group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE, PRIMARY KEY(user_id, group_id)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS tokens(id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE, label TEXT, hash TEXT NOT NULL UNIQUE,"
	" created INTEGER NOT NULL, expires INTEGER NOT NULL DEFAULT 0, revoked INTEGER NOT NULL DEFAULT 0);",
	/* 6 -> 7: browser sessions (stored as the SHA-256 of the cookie),
	 * quotas on users and tenants, requests counted per user and UTC day,
	 * and provider usage attributed to a user and tenant (usage_who, one
	 * row per attributed usage row, by name so a report outlives a removed
	 * user; no row: the local operator). */
	"CREATE TABLE IF NOT EXISTS sessions(id INTEGER PRIMARY KEY AUTOINCREMENT, hash TEXT NOT NULL UNIQUE,"
	" user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE, created INTEGER NOT NULL,"
	" seen INTEGER NOT NULL, expires INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS quotas(scope TEXT NOT NULL CHECK(scope IN ('user','tenant')), name TEXT NOT NULL,"
	" requests_per_day INTEGER, tokens_per_day INTEGER, cost_per_month REAL, PRIMARY KEY(scope, name)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS requests(day TEXT NOT NULL, user TEXT NOT NULL, tenant TEXT NOT NULL,"
	" n INTEGER NOT NULL, PRIMARY KEY(day, user)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS requests_tenant ON requests(tenant, day);"
	"CREATE TABLE IF NOT EXISTS usage_who(id INTEGER PRIMARY KEY REFERENCES usage(id) ON DELETE CASCADE,"
	" user TEXT NOT NULL, tenant TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS usage_who_user ON usage_who(user);"
	"CREATE INDEX IF NOT EXISTS usage_who_tenant ON usage_who(tenant);",
	/* 7 -> 8: stored agents and their runs (store/agent.c, cristal agent
	 * create / run / run-due). last_due is the scheduler's claim (unix
	 * seconds), moved in the transaction that inserts the run so two
	 * processes never run one fire time twice; run times are unix
	 * milliseconds, ended 0 while running. */
	"CREATE TABLE IF NOT EXISTS agents(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE,"
	" instructions TEXT NOT NULL, tools TEXT NOT NULL, scopes TEXT NOT NULL, provider TEXT, schedule TEXT,"
	" out_dir TEXT, created INTEGER NOT NULL, last_due INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE IF NOT EXISTS agent_runs(id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" agent_id INTEGER NOT NULL REFERENCES agents(id) ON DELETE CASCADE,"
	" kind TEXT NOT NULL CHECK(kind IN ('manual','schedule','api')), started INTEGER NOT NULL,"
	" ended INTEGER NOT NULL DEFAULT 0, status TEXT NOT NULL, stop TEXT, steps INTEGER NOT NULL DEFAULT 0,"
	" prompt_tokens INTEGER NOT NULL DEFAULT 0, completion_tokens INTEGER NOT NULL DEFAULT 0, report TEXT,"
	" error TEXT);"
	"CREATE INDEX IF NOT EXISTS agent_runs_agent ON agent_runs(agent_id, id);",
	/* 8 -> 9: readers and address principals (ingest --acl-from-mail,
	 * --acl-from-chat). A document keeps the readers its format names
	 * (kind "mail" | "chat", readers: addresses joined by '\n') and
	 * whether its ACL holds them (in_acl), in a row of its own (none: its
	 * format names none); an address is a principal whose id in
	 * documents.groups is its row id + CR_ACL_ADDRESS_BASE (2^30, above
	 * every group id); a user holds the principals of its addresses. An
	 * address belongs to one user at most. */
	"CREATE TABLE IF NOT EXISTS doc_readers(doc_id INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,"
	" kind TEXT NOT NULL, readers TEXT, in_acl INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE IF NOT EXISTS addresses(id INTEGER PRIMARY KEY AUTOINCREMENT, addr TEXT NOT NULL UNIQUE);"
	"CREATE TABLE IF NOT EXISTS user_emails(user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	" addr TEXT NOT NULL UNIQUE, PRIMARY KEY(user_id, addr)) WITHOUT ROWID;",
};
_Static_assert(sizeof UPGRADES / sizeof UPGRADES[0] == SCHEMA_VERSION - SCHEMA_BASE,
	       "one upgrade step per schema version");

typedef struct sq_store {
	cr_store base;
	sqlite3 *db;
	sqlite3_stmt *st[S__COUNT];
	int in_tx;
	cr_buf scratch; /* groups text / parsed groups */
	cr_buf scratch2;
	int64_t put_first, put_last; /* chunk ids of the last doc_put (0, 0: none or not consecutive) */
	const cr_key *key; /* the catalog is encrypted (kv crypt.check); NULL: plaintext */
	cr_buf seal[5];    /* sealed values bound to the statement being run */
	cr_buf open[6];    /* opened values of the row last read without an arena */
	struct {
		const char *name;
		sqlite3_stmt *st;
	} kept[8]; /* the other table files' kept statements (cr_store_sqlite_stmt_slot) */
} sq_store;

#define SQ(s) ((sq_store *)(s))

static cr_err db_fail(sq_store *q, cr_msg *m, const char *what)
{
	int rc = sqlite3_extended_errcode(q->db);
	int prim = rc & 0xff;
	cr_err e = prim == SQLITE_NOMEM	   ? CR_ENOMEM
		   : prim == SQLITE_CORRUPT || prim == SQLITE_NOTADB ? CR_ECORRUPT
		   : prim == SQLITE_BUSY || prim == SQLITE_LOCKED    ? CR_EBUSY
		   : prim == SQLITE_CONSTRAINT			     ? CR_EEXIST
		   : prim == SQLITE_FULL				     ? CR_ETOOBIG
		   : prim == SQLITE_READONLY || prim == SQLITE_PERM || prim == SQLITE_AUTH ? CR_EDENIED
										   : CR_EIO;
	return cr_fail(m, e, "catalog: %s: %s", what, sqlite3_errmsg(q->db));
}

/* The cached statement k, reset and with bindings cleared. */
static sqlite3_stmt *stmt(sq_store *q, int k, cr_msg *m, cr_err *e)
{
	if (!q->st[k]) {
		if (sqlite3_prepare_v3(q->db, SQL[k], -1, SQLITE_PREPARE_PERSISTENT, &q->st[k], NULL) !=
		    SQLITE_OK) {
			*e = db_fail(q, m, "prepare");
			return NULL;
		}
	} else {
		sqlite3_reset(q->st[k]);
		sqlite3_clear_bindings(q->st[k]);
	}
	*e = CR_OK;
	return q->st[k];
}

static void done(sqlite3_stmt *s)
{
	if (s)
		sqlite3_reset(s);
}

/* Runs a statement that returns no rows, then resets it. */
static cr_err step_done(sq_store *q, sqlite3_stmt *st, cr_msg *m, const char *what)
{
	cr_err e = sqlite3_step(st) == SQLITE_DONE ? CR_OK : db_fail(q, m, what);
	done(st);
	return e;
}

static int bind_text(sqlite3_stmt *s, int i, const char *t)
{
	return t ? sqlite3_bind_text(s, i, t, -1, SQLITE_STATIC) : sqlite3_bind_null(s, i);
}

static const char *col_dup(cr_arena *a, sqlite3_stmt *s, int i)
{
	const char *t = (const char *)sqlite3_column_text(s, i);
	if (!t)
		return NULL;
	return a ? cr_arena_strndup(a, t, (size_t)sqlite3_column_bytes(s, i)) : t;
}

/* ---- encrypted values ----------------------------------------------------
 * In an encrypted catalog the document content columns hold sealed values
 * (crypt.h: nonce, ciphertext, tag) as BLOBs: documents.title, author,
 * meta; chunks.text, sheet, speaker, heading, symbol. The associated data
 * is "table.column" and the row's id, so a value copied to another row or
 * column does not open. Everything else (names, types, dates, ACLs, sizes,
 * locations by number) stays plaintext: lookups and listings need it. */

enum { OPEN_TITLE, OPEN_TEXT, OPEN_SHEET, OPEN_SPEAKER, OPEN_HEADING, OPEN_SYMBOL, OPEN_AUTHOR = OPEN_SHEET,
       OPEN_META = OPEN_SPEAKER };

static size_t value_ad(uint8_t *ad, const char *what, int64_t id)
{
	size_t n = strlen(what);
	memcpy(ad, what, n);
	for (int b = 0; b < 8; b++)
		ad[n++] = (uint8_t)((uint64_t)id >> (8 * b));
	return n;
}

/* Binds value t (n bytes; NULL binds NULL), sealed into q->seal[slot] when
 * the catalog is encrypted. */
static cr_err bind_value(sq_store *q, sqlite3_stmt *st, int i, int slot, const char *what, int64_t id,
			 const char *t, size_t n, cr_msg *m)
{
	if (!t) {
		sqlite3_bind_null(st, i);
		return CR_OK;
	}
	if (!q->key) {
		sqlite3_bind_text(st, i, t, (int)n, SQLITE_STATIC);
		return CR_OK;
	}
	cr_buf *b = &q->seal[slot];
	cr_buf_reset(b);
	if (cr_buf_reserve(b, n + CR_SEAL_OVERHEAD))
		return cr_fail(m, CR_ENOMEM, "catalog: out of memory");
	uint8_t ad[64];
	cr_seal(q->key, CR_KEY_CATALOG, ad, value_ad(ad, what, id), t, n, (uint8_t *)b->data);
	sqlite3_bind_blob(st, i, b->data, (int)(n + CR_SEAL_OVERHEAD), SQLITE_STATIC);
	return CR_OK;
}

/* Column i as text: copied to a, or borrowed (from the statement, or from
 * bufs[slot] when opened) until the next row is read when a is NULL. */
static cr_err col_value(sq_store *q, cr_arena *a, cr_buf *bufs, sqlite3_stmt *s, int i, int slot, const char *what,
			int64_t id, const char **out, size_t *len, cr_msg *m)
{
	*out = NULL;
	if (len)
		*len = 0;
	int type = sqlite3_column_type(s, i);
	if (type == SQLITE_NULL)
		return CR_OK;
	if (!q->key) {
		if (!(*out = col_dup(a, s, i)))
			return cr_fail(m, CR_ENOMEM, "catalog: out of memory");
		if (len)
			*len = (size_t)sqlite3_column_bytes(s, i);
		return CR_OK;
	}
	const uint8_t *c = sqlite3_column_blob(s, i);
	size_t n = (size_t)sqlite3_column_bytes(s, i);
	if (type != SQLITE_BLOB || n < CR_SEAL_OVERHEAD)
		return cr_fail(m, CR_ECORRUPT, "catalog: %s of row %lld is not encrypted in an encrypted catalog", what,
			       (long long)id);
	char *p;
	if (a)
		p = cr_arena_alloc(a, n - CR_SEAL_OVERHEAD + 1);
	else {
		cr_buf_reset(&bufs[slot]);
		p = cr_buf_reserve(&bufs[slot], n - CR_SEAL_OVERHEAD + 1) ? NULL : bufs[slot].data;
	}
	if (!p)
		return cr_fail(m, CR_ENOMEM, "catalog: out of memory");
	uint8_t ad[64];
	size_t got = 0;
	if (cr_unseal(q->key, CR_KEY_CATALOG, ad, value_ad(ad, what, id), c, n, (uint8_t *)p, &got))
		return cr_fail(m, CR_ECORRUPT, "catalog: %s of row %lld fails authentication (changed, moved or "
					       "damaged)", what, (long long)id);
	p[got] = 0;
	*out = p;
	if (len)
		*len = got;
	return CR_OK;
}

/* The next id of a table (documents or chunks) for an encrypted insert. */
static cr_err next_id(sq_store *q, int k, int64_t *out, cr_msg *m)
{
	cr_err e;
	sqlite3_stmt *st = stmt(q, k, m, &e);
	if (!st)
		return e;
	if (sqlite3_step(st) == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	else
		e = db_fail(q, m, "next id");
	done(st);
	return e;
}

/* Runs a statement that returns no rows. */
static cr_err exec_k(sq_store *q, int k, cr_msg *m)
{
	cr_err e;
	sqlite3_stmt *s = stmt(q, k, m, &e);
	if (!s)
		return e;
	int rc = sqlite3_step(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		e = db_fail(q, m, SQL[k]);
	done(s);
	return e;
}

/* ---- open / close / transactions ---------------------------------------- */

static void sq_close(cr_store *s)
{
	sq_store *q = SQ(s);
	for (int i = 0; i < S__COUNT; i++)
		sqlite3_finalize(q->st[i]);
	for (size_t i = 0; i < CR_ARRAY_LEN(q->kept); i++)
		sqlite3_finalize(q->kept[i].st);
	if (q->db)
		sqlite3_close_v2(q->db);
	cr_buf_release(&q->scratch);
	cr_buf_release(&q->scratch2);
	for (size_t i = 0; i < CR_ARRAY_LEN(q->seal); i++)
		cr_buf_release(&q->seal[i]);
	for (size_t i = 0; i < CR_ARRAY_LEN(q->open); i++) {
		cr_wipe(q->open[i].data, q->open[i].alloc);
		cr_buf_release(&q->open[i]);
	}
	cr_free(q);
}

static cr_err sq_begin(cr_store *s, cr_msg *m)
{
	sq_store *q = SQ(s);
	if (q->in_tx)
		return cr_fail(m, CR_EINVAL, "catalog: transaction already open");
	cr_err e = exec_k(q, S_BEGIN, m);
	if (!e)
		q->in_tx = 1;
	return e;
}

static cr_err sq_commit(cr_store *s, cr_msg *m)
{
	sq_store *q = SQ(s);
	if (!q->in_tx)
		return cr_fail(m, CR_EINVAL, "catalog: no transaction to commit");
	cr_err e = exec_k(q, S_COMMIT, m);
	if (!e)
		q->in_tx = 0;
	return e;
}

static void sq_rollback(cr_store *s)
{
	sq_store *q = SQ(s);
	if (!q->in_tx)
		return;
	(void)exec_k(q, S_ROLLBACK, NULL);
	q->in_tx = 0;
}

/* ---- sources ------------------------------------------------------------ */

static cr_err sq_source_find(cr_store *s, const char *root, int64_t *id, cr_msg *m)
{
	sq_store *q = SQ(s);
	cr_err e;
	sqlite3_stmt *st = stmt(q, S_SRC_GET, m, &e);
	if (!st)
		return e;
	bind_text(st, 1, root);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	e = rc == SQLITE_ROW ? CR_OK : rc == SQLITE_DONE ? CR_ENOTFOUND : db_fail(q, m, "source lookup");
	done(st);
	return e;
}

static cr_err sq_sources(cr_store *s, cr_store_source_fn fn, void *ctx, cr_msg *m)
{
	sq_store *q = SQ(s);
	cr_err e;
	sqlite3_stmt *st = stmt(q, S_SRC_ALL, m, &e);
	if (!st)
		return e;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (fn(ctx, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1)))
			break;
	e = rc == SQLITE_ROW || rc == SQLITE_DONE ? CR_OK : db_fail(q, m, "source list");
	done(st);
	return e;
}

static cr_err sq_source_rows(cr_store *s, cr_store_source_row_fn fn, void *ctx, cr_msg *m)
{
	sq_store *q = SQ(s);
	cr_err e;
	sqlite3_stmt *st = stmt(q, S_SRC_ROWS, m, &e);
	if (!st)
		return e;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cr_source_row r = {.id = sqlite3_column_int64(st, 0),
				   .root = (const char *)sqlite3_column_text(st, 1),
				   .kind = (const char *)sqlite3_column_text(st, 2),
				   .added = sqlite3_column_int64(st, 3),
				   .ingested = sqlite3_column_int64(st, 4)};
		if (fn(ctx, &r))
			break;
	}
	e = rc == SQLITE_ROW || rc == SQLITE_DONE ? CR_OK : db_fail(q, m, "source list");
	done(st);
	return e;
}

static cr_err sq_source_delete(cr_store *s, int64_t id, cr_msg *m)
{
	sq_store *q = SQ(s);
	cr_err e;
	sqlite3_stmt *st = stmt(q, S_SRC_DEL, m, &e);
	if (!st)
		return e;
	sqlite3_bind_int64(st, 1, id);
	return step_done(q, st, m, "source delete");
}

/* Every ingest of a root asks for its source: the time of that ingest is
 * kept in kv "source.ID.ingested" (cr_source_row.ingested). */
static cr_err source_stamp(sq_store *q, int64_t id, cr_msg *m)
{
	cr_err e;
	sqlite3_stmt *st = stmt(q, S_SRC_STAMP, m, &e);
	if (!st)
		return e;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, cr_wallclock());
	return step_done(q, st, m, "source stamp");
}

static cr_err sq_source_get_or_add(cr_store *s, const char *root, const char *kind, int64_t *id, cr_msg *m)
{
	sq_store *q = SQ(s);
	cr_err e;
	sqlite3_stmt *st = stmt(q, S_SRC_GET, m, &e);
	if (!st)
		return e;
	bind_text(st, 1, root);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		done(st);
		return source_stamp(q, *id, m);
	}
	if (rc != SQLITE_DONE) {
		e = db_fail(q, m, "source lookup");
		done(st);
		return e;
	}
	done(st);
	if (!(st = stmt(q, S_SRC_ADD, m, &e)))
		return e;
	bind_text(st, 1, root);
	bind_text(st, 2, kind ? kind : "folder");
	sqlite3_bind_int64(st, 3, cr_wallclock());
	if (sqlite3_step(st) != SQLITE_DONE)
		e = db_fail(q, m, "source insert");
	else
		*id = sqlite3_last_insert_rowid(q->db);
	done(st);
	return e ? e : source_stamp(q, *id, m);
}

/* ---- documents ---------------------------------------------------------- */

static cr_err read_doc_row(sq_store *q, cr_arena *a, sqlite3_stmt *s, cr_doc_row *r, cr_msg *m)
{
	memset(r, 0, sizeof *r);
	r->id = sqlite3_column_int64(s, 0);
	r->source_id = sqlite3_column_int64(s, 1);
	r->name = col_dup(a, s, 2);
	r->parent = col_dup(a, s, 3);
	cr_err e;
	if ((e = col_value(q, a, q->open, s, 4, OPEN_TITLE, "documents.title", r->id, &r->title, NULL, m)) ||
	    (e = col_value(q, a, q->open, s, 7, OPEN_AUTHOR, "documents.author", r->id, &r->author, NULL, m)) ||
	    (e = col_value(q, a, q->open, s, 12, OPEN_META, "documents.meta", r->id, &r->meta_json, NULL, m)))
		return e;
	r->type = col_dup(a, s, 5);
	r->lang = col_dup(a, s, 6);
	r->date = sqlite3_column_int64(s, 8);
	r->hash = col_dup(a, s, 9);
	r->size = sqlite3_column_int64(s, 10);
	r->mtime = sqlite3_column_int64(s, 11);
	r->acl.tenant = (uint32_t)sqlite3_column_int64(s, 13);
	r->acl.owner = (uint32_t)sqlite3_column_int64(s, 14);
	uint32_t n = 0;
	if (cr_store_groups_parse((const char *)sqlite3_column_text(s, 15), &q->scratch, &n))
		return cr_fail(m, CR_ECORRUPT, "catalog: document %lld: malformed groups", (long long)r->id);
	if (n) {
		r->acl.groups = cr_arena_memdup(a, q->scratch.data, n * sizeof(uint32_t));
		if (!r->acl.groups)
			return cr_fail(m, CR_ENOMEM, "catalog: out of memory");
	}
	r->acl.n_groups = n;
	r->acl.classification = (uint8_t)sqlite3_column_int(s, 16);
	r->n_chunks = sqlite3_column_int64(s, 17);
	r->readers_kind = col_dup(a, s, 18);
	r->readers = col_dup(a, s, 19);
	r->readers_acl = sqlite3_column_int(s, 20);
	if ((sqlite3_column_type(s, 18) != SQLITE_NULL && !r->readers_kind) ||
	    (sqlite3_column_type(s, 19) != SQLITE_NULL && !r->readers))
		return cr_fail(m, CR_ENOMEM, "catalog: out of memory");
	if ((sqlite3_column_type(s, 2) != SQLITE_NULL && !r->name))
		return cr_fail(m, CR_ENOMEM, "catalog: out of memory");
	return CR_OK;
}

static cr_err doc_query(sq_store *q, cr_arena *a, int k, int64_t id, const char *name, cr_doc_row *out,
			cr_msg *m)
{
	cr_err e;
	sqlite3_stmt *s = stmt(q, k, m, &e);
	if (!s)
		return e;
	if (k == S_DOC_FIND) {
		sqlite3_bind_int64(s, 1, id);
		bind_text(s, 2, name);
	} else if (k == S_DOC_GET) {
		sqlite3_bind_int64(s, 1, id);
	} else {
		bind_text(s, 1, name);
	}
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		e = read_doc_row(q, a, s, out, m);
	else if (rc == SQLITE_DONE)
		e = cr_fail(m, CR_ENOTFOUND, "no document %s", name ? name : "with that id");
	else
		e = db_fail(q, m, "document lookup");
	done(s);
	return e;
}

static cr_err sq_doc_find(cr_store *s, cr_arena *a, int64_t source_id, const char *name, cr_doc_row *out,
			  cr_msg *m)
{
	return doc_query(SQ(s), a, S_DOC_FIND, source_id, name, out, m);
}

static cr_err sq_doc_get(cr_store *s, cr_arena *a, int64_t doc_id, cr_doc_row *out, cr_msg *m)
{
	return doc_query(SQ(s), a, S_DOC_GET, doc_id, NULL, out, m);
}

static cr_err sq_doc_find_any(cr_store *s, cr_arena *a, const char *name, cr_doc_row *out, cr_msg *m)
{
	return doc_query(SQ(s), a, S_DOC_FIND_ANY, 0, name, out, m);
}

/* Looks up a document id by (source, name); 0 if absent. */
static cr_err doc_id_of(sq_store *q, int64_t source_id, const char *name, int64_t *id, cr_msg *m)
{
	cr_err e;
	sqlite3_stmt *s = stmt(q, S_DOC_ID, m, &e);
	if (!s)
		return e;
	sqlite3_bind_int64(s, 1, source_id);
	bind_text(s, 2, name);
	int rc = sqlite3_step(s);
	*id = 0;
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(s, 0);
	else if (rc != SQLITE_DONE)
		e = db_fail(q, m, "document lookup");
	done(s);
	return e;
}

/* Appends the chunk ids of a document and all its descendants to ids. */
static cr_err tree_chunk_ids(sq_store *q, int64_t doc_id, cr_buf *ids, cr_msg *m)
{
	if (!ids)
		return CR_OK;
	cr_err e;
	sqlite3_stmt *s = stmt(q, S_DOC_TREE_CHUNKS, m, &e);
	if (!s)
		return e;
	sqlite3_bind_int64(s, 1, doc_id);
	int rc;
	while (!e && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		uint64_t id = (uint64_t)sqlite3_column_int64(s, 0);
		e = cr_buf_add(ids, &id, sizeof id);
	}
	if (!e && rc != SQLITE_DONE)
		e = db_fail(q, m, "chunk listing");
	done(s);
	return e;
}

/* The metadata as a JSON object text (caller frees), or NULL if none. */
static char *meta_json(const cr_doc *d)
{
	if (!d || !d->n_meta)
		return NULL;
	json_t *o = json_object();
	if (!o)
		return NULL;
	for (size_t i = 0; i < d->n_meta; i++)
		if (d->meta[i].key && d->meta[i].value)
			json_object_set_new(o, d->meta[i].key, json_string(d->meta[i].value));
	char *t = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_SORT_KEYS);
	json_decref(o);
	return t;
}

static int loc_has_time(const cr_loc *l)
{
	return l->t_start >= 0 && (l->t_start > 0 || l->t_end > 0 || l->speaker);
}

static cr_err sq_doc_put(cr_store *s, const cr_doc_row *row, const cr_doc *d, const cr_chunk *chunks,
			 size_t n_chunks, int64_t *doc_id, cr_buf *deleted, cr_msg *m)
{
	sq_store *q = SQ(s);
	cr_err e = CR_OK;
	char *mj = NULL;
	q->put_first = q->put_last = 0;
	const char *name = row->name ? row->name : d ? d->name : NULL;
	const char *parent = row->parent ? row->parent : d ? d->parent : NULL;
	if (!name || !*name)
		return cr_fail(m, CR_EINVAL, "catalog: document without a name");
#define PICK(f) (row->f ? row->f : d ? d->f : NULL)
	const char *title = PICK(title), *type = PICK(type), *lang = PICK(lang), *author = PICK(author);
#undef PICK
	int64_t date = row->date ? row->date : d ? d->date : 0;
	int64_t parent_id = 0, old_id = 0;
	if (parent) {
		if ((e = doc_id_of(q, row->source_id, parent, &parent_id, m)))
			return e;
		if (!parent_id)
			return cr_fail(m, CR_EINVAL, "catalog: %s: parent %s is not in the catalog", name, parent);
	}
	if ((e = doc_id_of(q, row->source_id, name, &old_id, m)))
		return e;
	if (old_id) {
		sqlite3_stmt *st;
		if ((e = tree_chunk_ids(q, old_id, deleted, m)))
			return e;
		if (!(st = stmt(q, S_CHUNKS_DEL, m, &e)))
			return e;
		sqlite3_bind_int64(st, 1, old_id);
		if (sqlite3_step(st) != SQLITE_DONE)
			e = db_fail(q, m, "chunk delete");
		done(st);
		if (e)
			return e;
	}
	if (row->acl.tenant) {
		sqlite3_stmt *st = stmt(q, S_TENANT, m, &e);
		if (!st)
			return e;
		sqlite3_bind_int64(st, 1, row->acl.tenant);
		if (sqlite3_step(st) != SQLITE_DONE)
			e = db_fail(q, m, "tenant insert");
		done(st);
		if (e)
			return e;
	}
	if ((e = cr_store_groups_format(row->acl.groups, row->acl.n_groups, &q->scratch2)))
		return cr_fail(m, e, "catalog: out of memory");
	int64_t text_bytes = 0;
	for (size_t i = 0; i < n_chunks; i++)
		text_bytes += (int64_t)chunks[i].len;
	const char *mjs = row->meta_json;
	if (!mjs)
		mjs = mj = meta_json(d);

	/* encrypted: the new row's id is known before the insert (AD) */
	int64_t new_id = 0, next_chunk = 0;
	if (q->key && ((!old_id && (e = next_id(q, S_DOC_NEXT, &new_id, m))) ||
		       (n_chunks && (e = next_id(q, S_CHUNK_NEXT, &next_chunk, m)))))
		goto out;
	int64_t row_id = old_id ? old_id : new_id;
	sqlite3_stmt *st = stmt(q, old_id ? S_DOC_UPD : q->key ? S_DOC_INS_ID : S_DOC_INS, m, &e);
	if (!st)
		goto out;
	sqlite3_bind_int64(st, 1, row->source_id);
	bind_text(st, 2, name);
	if (parent_id)
		sqlite3_bind_int64(st, 3, parent_id);
	else
		sqlite3_bind_null(st, 3);
	if ((e = bind_value(q, st, 4, 0, "documents.title", row_id, title, title ? strlen(title) : 0, m)) ||
	    (e = bind_value(q, st, 7, 1, "documents.author", row_id, author, author ? strlen(author) : 0, m)) ||
	    (e = bind_value(q, st, 12, 2, "documents.meta", row_id, mjs, mjs ? strlen(mjs) : 0, m)))
		goto out;
	bind_text(st, 5, type);
	bind_text(st, 6, lang);
	sqlite3_bind_int64(st, 8, date);
	bind_text(st, 9, row->hash);
	sqlite3_bind_int64(st, 10, row->size);
	sqlite3_bind_int64(st, 11, row->mtime);
	sqlite3_bind_int64(st, 13, row->acl.tenant);
	sqlite3_bind_int64(st, 14, row->acl.owner);
	bind_text(st, 15, q->scratch2.data ? q->scratch2.data : "");
	sqlite3_bind_int(st, 16, row->acl.classification);
	sqlite3_bind_int64(st, 17, (int64_t)n_chunks);
	sqlite3_bind_int64(st, 18, text_bytes);
	if (row_id)
		sqlite3_bind_int64(st, 19, row_id);
	if (sqlite3_step(st) != SQLITE_DONE) {
		e = db_fail(q, m, "document write");
		done(st);
		goto out;
	}
	done(st);
	int64_t id = old_id ? old_id : sqlite3_last_insert_rowid(q->db);
	if (row->readers_kind || old_id) {
		if (!(st = stmt(q, row->readers_kind ? S_READERS_PUT : S_READERS_DEL, m, &e)))
			goto out;
		sqlite3_bind_int64(st, 1, id);
		if (row->readers_kind) {
			bind_text(st, 2, row->readers_kind);
			bind_text(st, 3, row->readers);
			sqlite3_bind_int(st, 4, row->readers_acl);
		}
		if (sqlite3_step(st) != SQLITE_DONE)
			e = db_fail(q, m, "readers write");
		done(st);
		if (e)
			goto out;
	}

	if (!(st = stmt(q, q->key ? S_CHUNK_INS_ID : S_CHUNK_INS, m, &e)))
		goto out;
	int64_t first = 0, last = 0;
	for (size_t i = 0; i < n_chunks; i++) {
		const cr_chunk *c = &chunks[i];
		const cr_loc *l = &c->loc;
		int64_t cid = next_chunk + (int64_t)i; /* encrypted only */
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, c->ordinal);
		if (q->key)
			sqlite3_bind_int64(st, 14, cid);
#define VAL(k, slot, what, v) bind_value(q, st, k, slot, what, cid, v, v ? strlen(v) : 0, m)
		if ((e = bind_value(q, st, 3, 0, "chunks.text", cid, c->text ? c->text : "", c->text ? c->len : 0, m)) ||
		    (e = VAL(6, 1, "chunks.sheet", l->sheet)) || (e = VAL(9, 2, "chunks.speaker", l->speaker)) ||
		    (e = VAL(12, 3, "chunks.heading", l->heading)) || (e = VAL(13, 4, "chunks.symbol", l->symbol)))
			break;
#undef VAL
		if (l->page > 0)
			sqlite3_bind_int(st, 4, l->page);
		if (l->slide > 0)
			sqlite3_bind_int(st, 5, l->slide);
		if (l->line_start > 0) {
			sqlite3_bind_int(st, 7, l->line_start);
			sqlite3_bind_int(st, 8, l->line_end > 0 ? l->line_end : l->line_start);
		}
		if (loc_has_time(l)) {
			sqlite3_bind_double(st, 10, l->t_start);
			sqlite3_bind_double(st, 11, l->t_end >= l->t_start ? l->t_end : l->t_start);
		}
		if (sqlite3_step(st) != SQLITE_DONE) {
			e = db_fail(q, m, "chunk write");
			break;
		}
		cid = sqlite3_last_insert_rowid(q->db);
		if (!i)
			first = cid;
		else if (cid != last + 1)
			first = INT64_MIN; /* not consecutive (never seen) */
		last = cid;
	}
	done(st);
	if (!e) {
		q->put_first = first > 0 ? first : 0;
		q->put_last = first > 0 ? last : 0;
	}
	if (!e && doc_id)
		*doc_id = id;
out:
	free(mj);
	return e;
}

static void sq_last_chunk_ids(cr_store *s, int64_t *first, int64_t *last)
{
	*first = SQ(s)->put_first;
	*last = SQ(s)->put_last;
}

static cr_err sq_doc_delete(cr_store *s, int64_t doc_id, cr_buf *deleted, cr_msg *m)
{
	sq_store *q = SQ(s);
	cr_err e = tree_chunk_ids(q, doc_id, deleted, m);
	if (e)
		return e;
	sqlite3_stmt *st = stmt(q, S_DOC_DEL, m, &e);
	if (!st)
		return e;
	sqlite3_bind_int64(st, 1, doc_id);
	if (sqlite3_step(st) != SQLITE_DONE)
		e = db_fail(q, m, "document delete");
	else if (!sqlite3_changes(q->db))
		e = cr_fail(m, CR_ENOTFOUND, "catalog: no document %lld", (long long)doc_id);
	done(st);
	return e;
}

static cr_err sq_doc_touch(cr_store *s, int64_t doc_id, int64_t size, int64_t mtime, cr_msg *m)
{
	sq_store *q = SQ(s);
	cr_err e;
	sqlite3_stmt *st = stmt(q, S_DOC_TOUCH, m, &e);
	if (!st)
		return e;
	sqlite3_bind_int64(st, 1, doc_id);
	sqlite3_bind_int64(st, 2, size);
	sqlite3_bind_int64(st, 3, mtime);
	return step_done(q, st, m, "document update");
}

/* ---- rejected files ----------------------------------------------------- */

static cr_err sq_reject_put(cr_store *s, const cr_reject_row *r, cr_msg *m)
{
	sq_store *q = SQ(s);
	cr_err e;
	sqlite3_stmt *st = stmt(q, S_REJ_PUT, m, &e);
	if (!st)
		return e;
	sqlite3_bind_int64(st, 1, r->source_id);
	bind_text(st, 2, r->name);
	sqlite3_bind_int64(st, 3, r->size);
	sqlite3_bind_int64(st, 4, r->mtime);
	bind_text(st, 5, r->reason ? r->reason : "");
	return step_done(q, st, m, "rejection write");
}

static cr_err sq_reject_find(cr_store *s, cr_arena *a, int64_t source_id, const char *name, cr_reject_row *out,
			     cr_msg *m)
{
	sq_store *q = SQ(s);
	cr_err e;
	sqlite3_stmt *st = stmt(q, S_REJ_FIND, m, &e);
	if (!st)
		return e;
	sqlite3_bind_int64(st, 1, source_id);
	bind_text(st, 2, name);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		memset(out, 0, sizeof *out);
		out->source_id = source_id;
		out->name = cr_arena_strdup(a, name);
		out->size = sqlite3_column_int64(st, 0);
		out->mtime = sqlite3_column_int64(st, 1);
		out->reason = col_dup(a, st, 2);
		if (!out->name || !out->reason)
			e = cr_fail(m, CR_ENOMEM, "catalog: out of memory");
	} else if (rc == SQLITE_DONE) {
		e = cr_fail(m, CR_ENOTFOUND, "catalog: no rejection of %s", name);
	} else {
		e = db_fail(q, m, "rejection lookup");
	}
	done(st);
	return e;
}

static cr_err sq_reject_delete(cr_store *s, int64_t source_id, const char *name, cr_msg *m)
{
	sq_store *q = SQ(s);
	cr_err e;
	sqlite3_stmt *st = stmt(q, S_REJ_DEL, m, &e);
	if (!st)
		return e;
	sqlite3_bind_int64(st, 1, source_id);
	bind_text(st, 2, name);
	return step_done(q, st, m, "rejection delete");
}

static cr_err sq_rejects_of_source(cr_store *s, int64_t source_id, cr_store_reject_fn fn, void *ctx, cr_msg *m)
{
	sq_store *q = SQ(s);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(q->db, "SELECT name, size, mtime, reason FROM rejects WHERE source_id = ?1 ORDER BY name",
			       -1, &st, NULL) != SQLITE_OK)
		return db_fail(q, m, "prepare");
	sqlite3_bind_int64(st, 1, source_id);
	cr_err e = CR_OK;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cr_reject_row r = {.source_id = source_id,
				   .name = (const char *)sqlite3_column_text(st, 0),
				   .size = sqlite3_column_int64(st, 1),
				   .mtime = sqlite3_column_int64(st, 2),
				   .reason = (const char *)sqlite3_column_text(st, 3)};
		if (!r.name)
			continue;
		if (fn(ctx, &r))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		e = db_fail(q, m, "rejection list");
	sqlite3_finalize(st);
	return e;
}

/* Iterations use their own statement so a callback may call the store. */
static cr_err doc_iter(sq_store *q, const char *sql, int64_t arg, cr_store_doc_fn fn, void *ctx, cr_msg *m)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_fail(q, m, "prepare");
	sqlite3_bind_int64(st, 1, arg);
	cr_err e = CR_OK;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (fn(ctx, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
		       (const char *)sqlite3_column_text(st, 2), sqlite3_column_int64(st, 3),
		       sqlite3_column_int64(st, 4)))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		e = db_fail(q, m, "document listing");
	sqlite3_finalize(st);
	return e;
}

static cr_err sq_docs_of_source(cr_store *s, int64_t source_id, int files_only, cr_store_doc_fn fn, void *ctx,
				cr_msg *m)
{
	if (source_id < 0) /* every document of every source */
		return doc_iter(SQ(s), "SELECT id, name, hash, mtime, size FROM documents WHERE ?1 < 0 ORDER BY id",
				source_id, fn, ctx, m);
	return doc_iter(SQ(s),
			files_only ? "SELECT id, name, hash, mtime, size FROM documents"
				     " WHERE source_id = ?1 AND parent_id IS NULL ORDER BY id"
				   : "SELECT id, name, hash, mtime, size FROM documents WHERE source_id = ?1 ORDER BY id",
			source_id, fn, ctx, m);
}

static cr_err sq_children(cr_store *s, int64_t doc_id, cr_store_doc_fn fn, void *ctx, cr_msg *m)
{
	return doc_iter(SQ(s), "SELECT id, name, hash, mtime, size FROM documents WHERE parent_id = ?1 ORDER BY id",
			doc_id, fn, ctx, m);
}

static cr_err sq_docs_after(cr_store *s, int64_t after_id, cr_store_doc_fn fn, void *ctx, cr_msg *m)
{
	return doc_iter(SQ(s), "SELECT id, name, hash, mtime, size FROM documents WHERE id > ?1 ORDER BY id",
			after_id, fn, ctx, m);
}

/* ---- chunks ------------------------------------------------------------- */

/* Fills a chunk row from a CHUNK_COLS statement; strings are copied to a, or
 * borrowed from the statement when a is NULL (valid until the next step). */
static cr_err read_chunk_row(sq_store *q, cr_arena *a, cr_buf *bufs, sqlite3_stmt *s, cr_chunk_row *r,
			     cr_buf *groups, cr_msg *m)
{
	memset(r, 0, sizeof *r);
	r->id = sqlite3_column_int64(s, 0);
	r->doc_id = sqlite3_column_int64(s, 1);
	r->doc = col_dup(a, s, 2);
	r->type = col_dup(a, s, 4);
	r->date = sqlite3_column_int64(s, 5);
	r->ordinal = (uint32_t)sqlite3_column_int64(s, 7);
	cr_loc *l = &r->loc;
	l->page = sqlite3_column_int(s, 8);
	l->slide = sqlite3_column_int(s, 9);
	l->line_start = sqlite3_column_int(s, 11);
	l->line_end = sqlite3_column_int(s, 12);
	l->t_start = sqlite3_column_type(s, 14) == SQLITE_NULL ? -1 : sqlite3_column_double(s, 14);
	l->t_end = sqlite3_column_type(s, 15) == SQLITE_NULL ? -1 : sqlite3_column_double(s, 15);
	/* the one read path of document text: opened here when encrypted */
	cr_err e;
	if ((e = col_value(q, a, bufs, s, 3, OPEN_TITLE, "documents.title", r->doc_id, &r->title, NULL, m)) ||
	    (e = col_value(q, a, bufs, s, 6, OPEN_TEXT, "chunks.text", r->id, &r->text, &r->len, m)) ||
	    (e = col_value(q, a, bufs, s, 10, OPEN_SHEET, "chunks.sheet", r->id, &l->sheet, NULL, m)) ||
	    (e = col_value(q, a, bufs, s, 13, OPEN_SPEAKER, "chunks.speaker", r->id, &l->speaker, NULL, m)) ||
	    (e = col_value(q, a, bufs, s, 16, OPEN_HEADING, "chunks.heading", r->id, &l->heading, NULL, m)) ||
	    (e = col_value(q, a, bufs, s, 17, OPEN_SYMBOL, "chunks.symbol", r->id, &l->symbol, NULL, m)))
		return e;
	r->acl.tenant = (uint32_t)sqlite3_column_int64(s, 18);
	r->acl.owner = (uint32_t)sqlite3_column_int64(s, 19);
	uint32_t n = 0;
	if (cr_store_groups_parse((const char *)sqlite3_column_text(s, 20), groups, &n))
		return cr_fail(m, CR_ECORRUPT, "catalog: chunk %lld: malformed groups", (long long)r->id);
	if (n)
		r->acl.groups = a ? cr_arena_memdup(a, groups->data, n * sizeof(uint32_t))
				  : (const uint32_t *)groups->data;
	r->acl.n_groups = n;
	r->acl.classification = (uint8_t)sqlite3_column_int(s, 21);
	if (!r->text)
		r->text = "";
	if (a && ((n && !r->acl.groups) || (r->len && !*r->text)))
		return cr_fail(m, CR_ENOMEM, "catalog: out of memory");
	return CR_OK;
}

static cr_err sq_chunk_get(cr_store *s, cr_arena *a, int64_t chunk_id, cr_chunk_row *out, cr_msg *m)
{
	sq_store *q = SQ(s);
	cr_err e;
	sqlite3_stmt *st = stmt(q, S_CHUNK_GET, m, &e);
	if (!st)
		return e;
	sqlite3_bind_int64(st, 1, chunk_id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		e = read_chunk_row(q, a, q->open, st, out, &q->scratch, m);
	else if (rc == SQLITE_DONE)
		e = cr_fail(m, CR_ENOTFOUND, "catalog: no chunk %lld", (long long)chunk_id);
	else
		e = db_fail(q, m, "chunk lookup");
	done(st);
	return e;
}

static cr_err chunk_iter(sq_store *q, const char *sql, int64_t arg, cr_store_chunk_fn fn, void *ctx, cr_msg *m)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_fail(q, m, "prepare");
	sqlite3_bind_int64(st, 1, arg);
	cr_err e = CR_OK;
	int rc;
	cr_buf groups, open[CR_ARRAY_LEN(q->open)];
	cr_buf_init(&groups, 0);
	for (size_t i = 0; i < CR_ARRAY_LEN(open); i++)
		cr_buf_init(&open[i], 0);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cr_chunk_row r;
		/* The callback may use the store: the groups and opened values
		 * live in our own buffers. */
		e = read_chunk_row(q, NULL, open, st, &r, &groups, m);
		if (e || fn(ctx, &r))
			break;
	}
	if (!e && rc != SQLITE_ROW && rc != SQLITE_DONE)
		e = db_fail(q, m, "chunk listing");
	cr_buf_release(&groups);
	for (size_t i = 0; i < CR_ARRAY_LEN(open); i++) {
		cr_wipe(open[i].data, open[i].alloc);
		cr_buf_release(&open[i]);
	}
	sqlite3_finalize(st);
	return e;
}

static cr_err sq_chunks_after(cr_store *s, int64_t after_id, cr_store_chunk_fn fn, void *ctx, cr_msg *m)
{
	return chunk_iter(SQ(s), "SELECT " CHUNK_COLS " WHERE c.id > ?1 ORDER BY c.id", after_id, fn, ctx, m);
}

static cr_err sq_chunks_of_doc(cr_store *s, int64_t doc_id, cr_store_chunk_fn fn, void *ctx, cr_msg *m)
{
	return chunk_iter(SQ(s), "SELECT " CHUNK_COLS " WHERE c.doc_id = ?1 ORDER BY c.ordinal, c.id", doc_id,
			  fn, ctx, m);
}

static cr_err sq_max_chunk_id(cr_store *s, int64_t *out, cr_msg *m)
{
	sq_store *q = SQ(s);
	cr_err e;
	sqlite3_stmt *st = stmt(q, S_MAXID, m, &e);
	if (!st)
		return e;
	if (sqlite3_step(st) == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	else
		e = db_fail(q, m, "max chunk id");
	done(st);
	return e;
}

static cr_err sq_chunk_ids_reserve(cr_store *s, int64_t above, cr_msg *m)
{
	sq_store *q = SQ(s);
	int64_t cur = 0;
	cr_err e = sq_max_chunk_id(s, &cur, m);
	if (e || cur >= above)
		return e;
	sqlite3_stmt *st;
	/* sqlite_sequence has a row for chunks once one was ever inserted. */
	const char *sql = "INSERT INTO sqlite_sequence(name, seq) SELECT 'chunks', ?1"
			  " WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'chunks')";
	if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_fail(q, m, "prepare");
	sqlite3_bind_int64(st, 1, above);
	if (sqlite3_step(st) != SQLITE_DONE)
		e = db_fail(q, m, "reserve chunk ids");
	sqlite3_finalize(st);
	if (e)
		return e;
	if (sqlite3_prepare_v2(q->db, "UPDATE sqlite_sequence SET seq = ?1 WHERE name = 'chunks' AND seq < ?1", -1,
			       &st, NULL) != SQLITE_OK)
		return db_fail(q, m, "prepare");
	sqlite3_bind_int64(st, 1, above);
	if (sqlite3_step(st) != SQLITE_DONE)
		e = db_fail(q, m, "reserve chunk ids");
	sqlite3_finalize(st);
	return e;
}

static cr_err sq_deleted_chunks(cr_store *s, cr_buf *ids, cr_msg *m)
{
	sq_store *q = SQ(s);
	cr_err e;
	sqlite3_stmt *st = stmt(q, S_DELETED_LIST, m, &e);
	if (!st)
		return e;
	int rc;
	while (!e && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint64_t id = (uint64_t)sqlite3_column_int64(st, 0);
		e = cr_buf_add(ids, &id, sizeof id);
	}
	if (!e && rc != SQLITE_DONE)
		e = db_fail(q, m, "deleted chunk listing");
	done(st);
	return e;
}

static cr_err sq_deleted_chunks_clear(cr_store *s, const uint64_t *ids, size_t n, cr_msg *m)
{
	sq_store *q = SQ(s);
	cr_err e = CR_OK;
	int own = !q->in_tx;
	if (own && (e = sq_begin(s, m)))
		return e;
	sqlite3_stmt *st = stmt(q, S_DELETED_DEL, m, &e);
	for (size_t i = 0; st && i < n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, (int64_t)ids[i]);
		if (sqlite3_step(st) != SQLITE_DONE) {
			e = db_fail(q, m, "deleted chunk clear");
			break;
		}
	}
	done(st);
	if (own) {
		if (e)
			sq_rollback(s);
		else
			e = sq_commit(s, m);
	}
	return e;
}

/* ---- kv, stats, models -------------------------------------------------- */

static cr_err sq_kv_get(cr_store *s, cr_arena *a, const char *key, const char **value, cr_msg *m)
{
	sq_store *q = SQ(s);
	cr_err e;
	sqlite3_stmt *st = stmt(q, S_KV_GET, m, &e);
	if (!st)
		return e;
	bind_text(st, 1, key);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*value = col_dup(a, st, 0);
		if (!*value)
			e = cr_fail(m, CR_ENOMEM, "catalog: out of memory");
	} else if (rc == SQLITE_DONE) {
		e = cr_fail(m, CR_ENOTFOUND, "catalog: no setting %s", key);
	} else {
		e = db_fail(q, m, "setting lookup");
	}
	done(st);
	return e;
}

static cr_err sq_kv_set(cr_store *s, const char *key, const char *value, cr_msg *m)
{
	sq_store *q = SQ(s);
	cr_err e;
	sqlite3_stmt *st = stmt(q, S_KV_SET, m, &e);
	if (!st)
		return e;
	bind_text(st, 1, key);
	bind_text(st, 2, value ? value : "");
	return step_done(q, st, m, "setting write");
}

static cr_err one_int(sq_store *q, const char *sql, int64_t *out, cr_msg *m)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_fail(q, m, "prepare");
	cr_err e = CR_OK;
	if (sqlite3_step(st) == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	else
		e = db_fail(q, m, "stats");
	sqlite3_finalize(st);
	return e;
}

static cr_err sq_get_stats(cr_store *s, cr_arena *a, cr_store_stats *out, cr_msg *m)
{
	sq_store *q = SQ(s);
	memset(out, 0, sizeof *out);
	cr_err e;
	if ((e = one_int(q, "SELECT count(*) FROM sources", &out->n_sources, m)) ||
	    (e = one_int(q, "SELECT count(*) FROM documents", &out->n_docs, m)) ||
	    (e = one_int(q, "SELECT count(*) FROM chunks", &out->n_chunks, m)) ||
	    (e = one_int(q, "SELECT coalesce(sum(text_bytes), 0) FROM documents", &out->text_bytes, m)))
		return e;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(q->db,
			       "SELECT coalesce(type, '?'), count(*) FROM documents GROUP BY 1 ORDER BY 2 DESC, 1"
			       " LIMIT 32",
			       -1, &st, NULL) != SQLITE_OK)
		return db_fail(q, m, "prepare");
	while (sqlite3_step(st) == SQLITE_ROW && out->by_type_n < 32) {
		const char *t = col_dup(a, st, 0);
		if (!t) {
			e = cr_fail(m, CR_ENOMEM, "catalog: out of memory");
			break;
		}
		out->by_type[out->by_type_n].type = t;
		out->by_type[out->by_type_n].n = sqlite3_column_int64(st, 1);
		out->by_type_n++;
	}
	sqlite3_finalize(st);
	return e;
}

static cr_err sq_model_put(cr_store *s, const cr_model_row *r, cr_msg *m)
{
	sq_store *q = SQ(s);
	if (!r->name || !*r->name || !r->path)
		return cr_fail(m, CR_EINVAL, "catalog: a model needs a name and a path");
	cr_err e;
	sqlite3_stmt *st = stmt(q, S_MODEL_PUT, m, &e);
	if (!st)
		return e;
	bind_text(st, 1, r->name);
	bind_text(st, 2, r->path);
	bind_text(st, 3, r->arch);
	bind_text(st, 4, r->info_json);
	sqlite3_bind_int64(st, 5, r->size);
	sqlite3_bind_int64(st, 6, r->added ? r->added : cr_wallclock());
	return step_done(q, st, m, "model write");
}

static void read_model(cr_arena *a, sqlite3_stmt *st, cr_model_row *r)
{
	r->name = col_dup(a, st, 0);
	r->path = col_dup(a, st, 1);
	r->arch = col_dup(a, st, 2);
	r->info_json = col_dup(a, st, 3);
	r->size = sqlite3_column_int64(st, 4);
	r->added = sqlite3_column_int64(st, 5);
}

static cr_err sq_model_get(cr_store *s, cr_arena *a, const char *name, cr_model_row *out, cr_msg *m)
{
	sq_store *q = SQ(s);
	cr_err e;
	sqlite3_stmt *st = stmt(q, S_MODEL_GET, m, &e);
	if (!st)
		return e;
	bind_text(st, 1, name);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		read_model(a, st, out);
		if (!out->name || !out->path)
			e = cr_fail(m, CR_ENOMEM, "catalog: out of memory");
	} else if (rc == SQLITE_DONE) {
		e = cr_fail(m, CR_ENOTFOUND, "no model named %s", name);
	} else {
		e = db_fail(q, m, "model lookup");
	}
	done(st);
	return e;
}

static cr_err sq_model_del(cr_store *s, const char *name, cr_msg *m)
{
	sq_store *q = SQ(s);
	cr_err e;
	sqlite3_stmt *st = stmt(q, S_MODEL_DEL, m, &e);
	if (!st)
		return e;
	bind_text(st, 1, name);
	if (sqlite3_step(st) != SQLITE_DONE)
		e = db_fail(q, m, "model delete");
	else if (!sqlite3_changes(q->db))
		e = cr_fail(m, CR_ENOTFOUND, "no model named %s", name);
	done(st);
	return e;
}

static cr_err sq_model_list(cr_store *s, cr_store_model_fn fn, void *ctx, cr_msg *m)
{
	sq_store *q = SQ(s);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(q->db, "SELECT name, path, arch, info, size, added FROM models ORDER BY name", -1,
			       &st, NULL) != SQLITE_OK)
		return db_fail(q, m, "prepare");
	cr_err e = CR_OK;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cr_model_row r;
		read_model(NULL, st, &r);
		if (fn(ctx, &r))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		e = db_fail(q, m, "model listing");
	sqlite3_finalize(st);
	return e;
}

static const cr_key *sq_key(const cr_store *s)
{
	return SQ(s)->key;
}

static const cr_store_vt SQLITE_VT = {
	.name = "sqlite",
	.close = sq_close,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.key = sq_key,
	.source_get_or_add = sq_source_get_or_add,
	.source_find = sq_source_find,
	.sources = sq_sources,
	.source_rows = sq_source_rows,
	.source_delete = sq_source_delete,
	.doc_find = sq_doc_find,
	.doc_get = sq_doc_get,
	.doc_find_any = sq_doc_find_any,
	.doc_put = sq_doc_put,
	.last_chunk_ids = sq_last_chunk_ids,
	.doc_delete = sq_doc_delete,
	.doc_touch = sq_doc_touch,
	.docs_of_source = sq_docs_of_source,
	.children = sq_children,
	.docs_after = sq_docs_after,
	.chunk_get = sq_chunk_get,
	.chunks_after = sq_chunks_after,
	.chunks_of_doc = sq_chunks_of_doc,
	.max_chunk_id = sq_max_chunk_id,
	.chunk_ids_reserve = sq_chunk_ids_reserve,
	.deleted_chunks = sq_deleted_chunks,
	.deleted_chunks_clear = sq_deleted_chunks_clear,
	.kv_get = sq_kv_get,
	.kv_set = sq_kv_set,
	.get_stats = sq_get_stats,
	.model_put = sq_model_put,
	.model_get = sq_model_get,
	.model_del = sq_model_del,
	.model_list = sq_model_list,
	.reject_put = sq_reject_put,
	.reject_find = sq_reject_find,
	.reject_delete = sq_reject_delete,
	.rejects_of_source = sq_rejects_of_source,
	.prov = &cr_store_sqlite_prov_vt,
	.audit = &cr_store_sqlite_audit_vt,
	.user = &cr_store_sqlite_user_vt,
	.agent = &cr_store_sqlite_agent_vt,
};

sqlite3 *cr_store_sqlite_db(cr_store *s) { return SQ(s)->db; }

sqlite3_stmt **cr_store_sqlite_stmt_slot(cr_store *s, const char *name)
{
	sq_store *q = SQ(s);
	for (size_t i = 0; i < CR_ARRAY_LEN(q->kept); i++) {
		if (!q->kept[i].name)
			q->kept[i].name = name;
		if (!strcmp(q->kept[i].name, name))
			return &q->kept[i].st;
	}
	abort(); /* more kept statements than slots: a build-time mistake */
}

static cr_err schema_exec(sq_store *q, const char *path, const char *sql, const char *what, cr_msg *m)
{
	char *err = NULL;
	if (sqlite3_exec(q->db, sql, NULL, NULL, &err) == SQLITE_OK)
		return CR_OK;
	int prim = sqlite3_errcode(q->db) & 0xff;
	cr_err e = cr_fail(m, prim == SQLITE_BUSY || prim == SQLITE_LOCKED ? CR_EBUSY : CR_EIO, "%s: %s: %s", path,
			   what, err ? err : sqlite3_errmsg(q->db));
	sqlite3_free(err);
	return e;
}

/* The catalog's schema version: 0 when it has no schema_version table. */
static cr_err schema_version(sq_store *q, const char *path, int64_t *v, cr_msg *m)
{
	int64_t have = 0;
	*v = 0;
	cr_err e = one_int(q, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'",
			   &have, m);
	if (e || !have)
		return e;
	if ((e = one_int(q, "SELECT coalesce(max(version), 0) FROM schema_version", v, m)))
		return e;
	if (*v < SCHEMA_BASE)
		return cr_fail(m, CR_ECORRUPT, "%s: catalog has no schema version", path);
	if (*v > SCHEMA_VERSION)
		return cr_fail(m, CR_EUNSUPPORTED,
			       "%s: catalog schema v%lld is newer than this build (v%d): upgrade cristal to open it",
			       path, (long long)*v, SCHEMA_VERSION);
	return CR_OK;
}

/* One transaction: creates the schema (want == SCHEMA_BASE) in an empty
 * file, or runs the step to version `want`, unless another connection did
 * it meanwhile. */
static cr_err schema_step(sq_store *q, const char *path, int64_t want, cr_msg *m)
{
	cr_err e = schema_exec(q, path, "BEGIN IMMEDIATE", "cannot upgrade the catalog", m);
	if (e)
		return e;
	int64_t v = 0;
	if ((e = schema_version(q, path, &v, m)) || v >= want)
		goto end;
	char what[64], ver[96];
	snprintf(what, sizeof what, "cannot upgrade the catalog to v%lld", (long long)want);
	snprintf(ver, sizeof ver, "DELETE FROM schema_version; INSERT INTO schema_version VALUES (%lld);",
		 (long long)want);
	if (want == SCHEMA_BASE)
		e = schema_exec(q, path, SCHEMA, "cannot create the catalog", m);
	else if (v != want - 1)
		e = cr_fail(m, CR_ECORRUPT, "%s: catalog at v%lld, expected v%lld", path, (long long)v,
			    (long long)want - 1);
	else
		e = schema_exec(q, path, UPGRADES[want - 1 - SCHEMA_BASE], what, m);
	if (!e)
		e = schema_exec(q, path, ver, what, m);
end:
	if (e) {
		sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
		return e;
	}
	if ((e = schema_exec(q, path, "COMMIT", "cannot upgrade the catalog", m)))
		sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
	else if (want > SCHEMA_BASE && v < want)
		cr_log(CR_LOG_INFO, "%s: catalog upgraded to schema v%lld", path, (long long)want);
	return e;
}

/* Creates the schema in a new file, or upgrades an old one to SCHEMA_VERSION. */
static cr_err schema_init(sq_store *q, const char *path, cr_msg *m)
{
	int64_t v = 0;
	cr_err e = schema_version(q, path, &v, m);
	for (int64_t want = v < SCHEMA_BASE ? SCHEMA_BASE : v + 1; !e && want <= SCHEMA_VERSION; want++)
		e = schema_step(q, path, want, m);
	return e;
}

/* Encryption at rest: the catalog is encrypted when kv holds crypt.check
 * (the key's check value, crypt.h). A new catalog is made encrypted when the
 * process has a key; an existing one keeps what it was made with. Opening an
 * encrypted catalog needs the same key. */
static cr_err key_init(sq_store *q, const char *data_dir, int is_new, cr_msg *m)
{
	const cr_key *k = cr_key_process();
	cr_err e;
	sqlite3_stmt *st = stmt(q, S_KV_GET, m, &e);
	if (!st)
		return e;
	bind_text(st, 1, "crypt.check");
	char have[72] = "";
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(have, sizeof have, "%s", (const char *)sqlite3_column_text(st, 0));
	else if (rc != SQLITE_DONE)
		e = db_fail(q, m, "key check");
	done(st);
	if (e)
		return e;
	char want[65];
	if (!*have) {
		if (!k || !is_new)
			return CR_OK; /* plaintext */
		cr_key_check(k, want);
		if (!(st = stmt(q, S_KV_SET, m, &e)))
			return e;
		bind_text(st, 1, "crypt.check");
		bind_text(st, 2, want);
		if ((e = step_done(q, st, m, "marking the catalog encrypted")))
			return e;
		q->key = k;
		return CR_OK;
	}
	if (!k)
		return cr_fail(m, CR_EDENIED,
			       "%s: this data directory is encrypted; set the key with CRISTAL_KEY_FILE=FILE, "
			       "CRISTAL_KEY=HEX or [encryption] key_file in the configuration",
			       data_dir);
	cr_key_check(k, want);
	if (strlen(have) != 64 || memcmp(have, want, 64))
		return cr_fail(m, CR_EDENIED, "%s: wrong key: this data directory was encrypted with another key",
			       data_dir);
	q->key = k;
	return CR_OK;
}

cr_err cr_store_sqlite_open(const char *data_dir, cr_store **out, cr_msg *m)
{
	/* Connections are used by one thread at a time but by many threads
	 * over their life: the library must be built thread-safe. */
	if (!sqlite3_threadsafe())
		return cr_fail(m, CR_EUNSUPPORTED, "catalog: SQLite was built without thread support");
	cr_err e = cr_mkdirs(data_dir, m);
	if (e)
		return e;
	sq_store *q = cr_calloc(1, sizeof *q);
	if (!q)
		return cr_fail(m, CR_ENOMEM, "catalog: out of memory");
	q->base.vt = &SQLITE_VT;
	cr_buf_init(&q->scratch, 0);
	cr_buf_init(&q->scratch2, 0);
	size_t pl = strlen(data_dir) + 16;
	char *path = cr_malloc(pl);
	if (!path) {
		cr_free(q);
		return cr_fail(m, CR_ENOMEM, "catalog: out of memory");
	}
	snprintf(path, pl, "%s/catalog.db", data_dir);
	int rc = sqlite3_open_v2(path, &q->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
				 NULL);
	if (rc != SQLITE_OK) {
		e = cr_fail(m, rc == SQLITE_CANTOPEN ? CR_EIO : CR_ECORRUPT, "%s: %s", path,
			    q->db ? sqlite3_errmsg(q->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_busy_timeout(q->db, 10000);
	sqlite3_extended_result_codes(q->db, 1);
	char *err = NULL;
	if (sqlite3_exec(q->db,
			 "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;"
			 "PRAGMA temp_store = MEMORY; PRAGMA cache_size = -16000;",
			 NULL, NULL, &err) != SQLITE_OK) {
		int prim = sqlite3_errcode(q->db) & 0xff;
		e = cr_fail(m, prim == SQLITE_NOTADB || prim == SQLITE_CORRUPT ? CR_ECORRUPT : CR_EIO, "%s: %s",
			    path, err ? err : sqlite3_errmsg(q->db));
		sqlite3_free(err);
		goto fail;
	}
	int64_t v0 = 0;
	if ((e = schema_version(q, path, &v0, m)) || (e = schema_init(q, path, m)) ||
	    (e = key_init(q, data_dir, v0 == 0, m)))
		goto fail;
	cr_free(path);
	*out = &q->base;
	return CR_OK;
fail:
	cr_free(path);
	sq_close(&q->base);
	return e;
}
