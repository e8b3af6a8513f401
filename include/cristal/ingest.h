/*
 * ingest.h — from outside bytes to documents and chunks.
 *
 *   source ──► extractor ──► sections ──► chunker ──► chunks
 *
 * An extractor turns one file's bytes into a cr_doc: UTF-8 text organised in
 * sections, each a structural unit that knows where it came from (page,
 * slide, sheet, speaker turn and time, line range, heading path, code
 * symbol). The chunker then cuts sections into overlapping chunks that keep
 * that location. Containers (mbox, a mail with attachments, a chat export)
 * yield several documents linked by `parent`.
 *
 * Extractors never trust their input: every size, offset, count and nesting
 * depth is checked against cr_extract_limits, and failures return
 * CR_ECORRUPT / CR_ETOOBIG / CR_EDENIED / CR_EUNSUPPORTED with a one-line
 * reason in the cr_msg (e.g. "pdf: encrypted", "zip: ratio 1000:1 over limit").
 * Everything an extractor returns lives in the caller's arena.
 */
#ifndef CRISTAL_INGEST_H
#define CRISTAL_INGEST_H

#include "cristal/base.h"
#include "cristal/doc.h"

typedef struct cr_extract_limits {
	size_t max_file_bytes;     /* input size (default 256 MiB) */
	size_t max_text_bytes;     /* extracted text per document (default 64 MiB) */
	size_t max_unzip_bytes;    /* total uncompressed bytes in a container (default 512 MiB) */
	unsigned max_ratio;        /* uncompressed:compressed per entry (default 200) */
	unsigned max_depth;        /* nesting: XML, MIME, attachments (default 64) */
	double max_seconds;        /* wall time per file (default 60) */
	const cr_cancel *cancel;   /* NULL: never. Read where the extractors check their time
				    * limit (between pages, zip entries, mail parts, every few
				    * thousand rows, lines or XML nodes): cr_extract then fails
				    * with CR_ECANCELED, or CR_ETIMEOUT past its deadline */
} cr_extract_limits;

CR_API cr_extract_limits cr_extract_limits_default(void);

/*
 * Extracts one file. `name` is used for the format (extension first, then
 * sniffing the bytes) and becomes doc->name. On success *out is a list of
 * one or more documents (doc->next). All memory is in arena `a`.
 */
CR_API cr_err cr_extract(cr_arena *a, const char *name, const uint8_t *buf, size_t len,
			 const cr_extract_limits *lim, cr_doc **out, cr_msg *m) CR_NODISCARD;

/*
 * Sets up, once per process, the libraries behind the extractors that need
 * process-wide initialisation before several threads use them (libxml2's
 * xmlInitParser, GMime's g_mime_init). Call it on one thread before
 * starting threads that call cr_extract; calling it again is a no-op.
 * cr_extract calls it too, so single-threaded callers need not.
 */
CR_API void cr_extract_init(void);

/*
 * cr_extract in a jailed worker process (src/ingest/sandbox.c): `worker` is
 * the program to run as `worker extract-worker [limits] -- NAME` (the
 * cristal binary), with the bytes on its stdin. A crash, a hang or the
 * memory limit in the worker is an error here (CR_ECORRUPT / CR_ETIMEOUT),
 * never more; its output is read as untrusted. Callers must ignore SIGPIPE.
 */
CR_API cr_err cr_extract_sandboxed(const char *worker, cr_arena *a, const char *name, const uint8_t *buf, size_t len,
				   const cr_extract_limits *lim, cr_doc **out, cr_msg *m) CR_NODISCARD;
/* The worker's side: `cristal extract-worker ...` (argv[0] is
 * "extract-worker"). Returns the exit status. */
CR_API int cr_extract_worker_main(int argc, char **argv);

/*
 * Refuses, before a file is read, plain text whose text cannot fit: for a
 * file of `size` bytes whose first bytes are `head` (64 KiB is enough),
 * when its format is txt, md or code (not UTF-16) and the text it would
 * give, estimated from the head (bytes left after dropping CRs and blank
 * lines), passes max_text_bytes by half again: CR_ETOOBIG with the figures
 * in m ("txt: about 200 MB of text, over the limit of 64 MB"). Else CR_OK.
 * A 200 MB one-line log then costs a 64 KiB read instead of 200 MB and
 * its conversion.
 */
CR_API cr_err cr_extract_precheck(const char *name, const uint8_t *head, size_t n_head, uint64_t size,
				  const cr_extract_limits *lim, cr_msg *m) CR_NODISCARD;

/* The format cr_extract would use for this name and these bytes, or NULL if none. */
CR_API const char *cr_extract_detect(const char *name, const uint8_t *buf, size_t len);

/*
 * Charset: converts bytes of unknown encoding to UTF-8. `hint` (may be NULL)
 * is a declared charset (HTML meta, MIME header). Detects BOMs, UTF-16 without
 * BOM, Shift_JIS/CP932, EUC-JP, ISO-2022-JP, Latin-1/CP1252 (uchardet + iconv).
 * Writes the charset it chose to *used (static string) if used is not NULL.
 */
CR_API cr_err cr_charset_to_utf8(cr_arena *a, const uint8_t *buf, size_t len, const char *hint,
				 char **out, size_t *out_len, const char **used, cr_msg *m) CR_NODISCARD;

/* -- chunking -- */

typedef struct cr_chunk_opts {
	size_t target_chars; /* aim (default 1200 characters) */
	size_t overlap_chars;/* carried from the previous chunk of the same section (default 150) */
	const cr_cancel *cancel; /* NULL: never; read every 256 chunks, 1,024 sections and place:
				  * cr_chunk_doc then fails with CR_ECANCELED / CR_ETIMEOUT */
} cr_chunk_opts;

CR_API cr_chunk_opts cr_chunk_opts_default(void);
/* Cuts a document's sections into chunks (never across sections whose
 * location differs; small neighbouring sections with the same location are
 * joined). Cuts prefer paragraph, then sentence (. 。！？), then word
 * boundaries, never inside a UTF-8 character. */
CR_API cr_err cr_chunk_doc(cr_arena *a, const cr_doc *d, const cr_chunk_opts *o,
			   cr_chunk **out, size_t *n_out) CR_NODISCARD;

/* -- sources that are folders, not files (walked by the corpus) -- */

/* Is `dir` the top of a git work tree? */
CR_API int cr_git_is_repo(const char *dir);
/* Tracked files at HEAD, as paths relative to dir (NUL-separated list in out). */
CR_API cr_err cr_git_ls_files(cr_arena *a, const char *dir, char ***paths, size_t *n, cr_msg *m) CR_NODISCARD;
/* The commit log as documents (type "git-commit", name "<repo>@<sha>", author, date, message, files changed). */
CR_API cr_err cr_git_log_docs(cr_arena *a, const char *dir, const char *repo_name, size_t max_commits,
			      cr_doc **out, cr_msg *m) CR_NODISCARD;
/* Is `dir` a Slack-style export (users.json + channels.json + channel folders)? */
CR_API int cr_chat_is_export(const char *dir);
/* Loads users.json so chat day files can show names instead of ids (optional). */
CR_API cr_err cr_chat_load_users(cr_arena *a, const char *dir, cr_kv **users, size_t *n, cr_msg *m) CR_NODISCARD;
/* Replaces user ids left in chat documents of the list d (speakers and
 * "@U123" mentions) by the names in users (from cr_chat_load_users). New
 * strings go into arena a. */
CR_API cr_err cr_chat_name_users(cr_arena *a, cr_doc *d, const cr_kv *users, size_t n) CR_NODISCARD;

/*
 * Channel membership of a Slack-style export (ingest --acl-from-chat): a
 * channel's day files are read by its members, named by the e-mail
 * addresses users.json gives them (profile.email, or email). A channel is
 * the folder its day files are in: "name" of channels.json (public),
 * groups.json (private), mpims.json (group messages), "id" of dms.json
 * (direct messages); its readers are its "members" that have an address
 * (cr_email_norm's form, each once; at most CR_CHAT_MAX_MEMBERS).
 */
#define CR_CHAT_MAX_MEMBERS 100000
typedef struct cr_chat_channel {
	const char *folder;
	const char **readers;
	size_t n_readers;
} cr_chat_channel;
/* users.json bytes → (user id, address) pairs sorted by id, in arena a;
 * users without a valid address are left out. CR_ECORRUPT with the reason
 * for JSON that is not an array. */
CR_API cr_err cr_chat_parse_emails(cr_arena *a, const uint8_t *buf, size_t len, cr_kv **emails, size_t *n,
				   cr_msg *m) CR_NODISCARD;
/* One listing's bytes (channels.json, groups.json, mpims.json; dms: 1 for
 * dms.json) → channels appended to *chans (*n of them; grown in arena a),
 * members looked up in emails (from cr_chat_parse_emails). Entries that
 * are not objects or name no folder are skipped; a folder listed twice
 * keeps its first entry. CR_ECORRUPT for JSON that is not an array. */
CR_API cr_err cr_chat_parse_channels(cr_arena *a, const uint8_t *buf, size_t len, int dms, const cr_kv *emails,
				     size_t n_emails, cr_chat_channel **chans, size_t *n, cr_msg *m) CR_NODISCARD;
/* Reads the export's users.json and each listing present into channels. */
CR_API cr_err cr_chat_load_channels(cr_arena *a, const char *dir, cr_chat_channel **chans, size_t *n,
				    cr_msg *m) CR_NODISCARD;

#endif
