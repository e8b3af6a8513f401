/*
 * audit.h — the tamper-evident audit log: who did what, when, appended to
 * the catalog from the CLI and the server alike.
 *
 * Each record (seq, time, actor, action, detail, prev, hash) holds the
 * SHA-256 of the one before it (prev) and its own hash over all its fields,
 * so an edited, deleted, inserted or reordered record breaks the chain.
 * A rewrite of the whole tail with fresh hashes would not, so the chain
 * head is signed at intervals with an Ed25519 key (libsodium) kept in a
 * file apart from the catalog: the signature is a record of its own
 * (action "audit.seal", detail {"head", "head_hash", "key", "sig"}), and
 * without the secret key no one can sign a rewritten head. The last signed
 * head is also written beside the key (key_path + ".head": "<seq> <hash>
 * <signature>"), so a log cut back or rewritten past it, seals and all,
 * is caught too.
 *
 * The hash of a record is SHA-256 over "cristal-audit-1\n" followed by each
 * field as "<byte length>:<bytes>\n" in the order seq (decimal), time (UTC,
 * "YYYY-MM-DDTHH:MM:SS.ffffffZ"), actor, action, detail (JSON, compact with
 * sorted keys: the form cr_audit_log stores), prev. A seal signs
 * "cristal-audit-seal-1\n<head seq>\n<head hash>".
 *
 * Threads: a cr_audit may be shared by all threads; each passes its own
 * cr_store (a connection is not shared, see store.h).
 */
#ifndef CR_AUDIT_H
#define CR_AUDIT_H

#include "cristal/base.h"
#include "cristal/store.h"

#include <stdio.h>

typedef struct cr_audit cr_audit;

typedef struct cr_audit_opts {
	/* The Ed25519 secret key file (hex); created with mode 0600, and its
	 * public half as key_path + ".pub", when absent. NULL: records are
	 * chained but never signed. */
	const char *key_path;
	/* Sign the head after every sign_every records (0: 64). */
	int sign_every;
} cr_audit_opts;

CR_API cr_err cr_audit_open(const cr_audit_opts *o, cr_audit **out, cr_msg *m) CR_NODISCARD;
/* Signs the head if this handle appended records since its last seal,
 * then frees. */
CR_API cr_err cr_audit_close(cr_audit *au, cr_store *s, cr_msg *m) CR_NODISCARD;

/* Appends one record: actor ("user:sato", "cli:root"), action ("search",
 * "ask", "ingest", "provider.add"...), detail a JSON object (NULL: {}),
 * stored in canonical form. Signs the head when its interval has passed.
 * *seq (may be NULL) receives the record's number. */
CR_API cr_err cr_audit_log(cr_audit *au, cr_store *s, const char *actor, const char *action, const char *detail,
			   int64_t *seq, cr_msg *m) CR_NODISCARD;
/* Signs the current head now (no-op without a key). */
CR_API cr_err cr_audit_seal(cr_audit *au, cr_store *s, cr_msg *m) CR_NODISCARD;
/* The public key as 64 hex chars + NUL ("" without a key). */
CR_API const char *cr_audit_public_key(const cr_audit *au);

/* Writes records as JSON Lines to f, one record a line: seq, time (as in
 * the hash), actor, action, detail (the JSON object), prev, hash; from
 * since_us on (unix microseconds, 0: all). *n gets the count. */
CR_API cr_err cr_audit_export(cr_store *s, int64_t since_us, FILE *f, int64_t *n, cr_msg *m) CR_NODISCARD;

typedef struct cr_audit_verdict {
	int intact;             /* 1: every check passed */
	int64_t bad_seq;        /* the first bad record (0: none, or the file's line when it has no seq) */
	char reason[256];       /* why it is bad, or a summary when intact */
	int64_t n_records, n_seals;
	int64_t first_seq, last_seq, last_sealed; /* last_sealed: the head the last signature covers */
} cr_audit_verdict;

typedef struct cr_audit_check {
	/* The trusted public key (64 hex chars); NULL: signatures are not
	 * checked, and the verdict says so (never intact for a signed log). */
	const char *public_key;
	/* Most records allowed between two seals and after the last one
	 * (0: 2 x 64). A rewritten tail with its seals dropped shows as a gap. */
	int max_unsealed;
	/* The signed head written beside the key (NULL: not checked): the log
	 * must hold that record with that hash. Needs public_key. */
	const char *head_path;
} cr_audit_check;

/* Checks the live log in s. An error return means the log could not be
 * read; a broken chain is a verdict (intact 0), not an error. */
CR_API cr_err cr_audit_verify_store(cr_store *s, const cr_audit_check *c, cr_audit_verdict *v,
				    cr_msg *m) CR_NODISCARD;
/* Checks an exported file. A file that starts above seq 1 (an export
 * --since) is checked from its first record on, and the verdict says so. */
CR_API cr_err cr_audit_verify_file(const char *path, const cr_audit_check *c, cr_audit_verdict *v,
				   cr_msg *m) CR_NODISCARD;
/* The same over an open stream (the file's lines as they come). */
CR_API cr_err cr_audit_verify_stream(FILE *f, const cr_audit_check *c, cr_audit_verdict *v,
				     cr_msg *m) CR_NODISCARD;
/* Reads a public key file (hex) into out (65 bytes). */
CR_API cr_err cr_audit_read_public_key(const char *path, char out[65], cr_msg *m) CR_NODISCARD;

#endif
