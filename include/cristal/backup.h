/*
 * backup.h — cristal backup / cristal restore: a whole data directory in
 * one archive file, taken while the server runs.
 *
 * The archive is a POSIX ustar file (so `tar tf` lists it and `tar xf`
 * unpacks it by hand), entries in this order:
 *   catalog.db                 the catalog as of one commit (SQLite online
 *                              backup, journal mode DELETE)
 *   index/MANIFEST             the index's published state at that moment
 *   index/seg_<no>.idx|.pos    the segments that MANIFEST lists
 *   vectors/[bg]<id>.vix       the vector files, when there are any
 *   audit.key, audit.key.pub, audit.key.head   when present
 *   cristal-backup.json        last: {"format": "cristal-backup-1",
 *                              "created": unix seconds, "max_chunk_id",
 *                              "index_max_id", "files": [{"name", "size",
 *                              "sha256"}, ...]} for every entry above
 * Sizes over 8 GiB use the GNU base-256 size field. Regular files only;
 * names are [A-Za-z0-9][A-Za-z0-9_.-]* optionally under "index/" or
 * "vectors/". The catalog and index are consistent with each other: both
 * are taken under the corpus writer lock (corpus.h cr_corpus_snapshot).
 * The archive holds every document's text and the audit signing key: it
 * is created 0600.
 *
 * Restoring reads untrusted bytes: every header is checked (checksum,
 * magic, type, octal fields, name), each file's size and SHA-256 must match
 * the closing JSON, and nothing else may be present; on any failure what
 * was written is removed (fuzz/fuzz_backup.c drives the reader).
 */
#ifndef CRISTAL_BACKUP_H
#define CRISTAL_BACKUP_H

#include "cristal/base.h"
#include "cristal/corpus.h"

typedef struct cr_backup_info {
	uint64_t n_files;
	uint64_t bytes;          /* file bytes (without tar headers) */
	int64_t max_chunk_id;    /* the catalog's highest chunk id */
	int64_t index_max_id;    /* the index's */
	double wait_seconds;     /* backup: waited for the writer lock */
	double lock_seconds;     /* backup: held it */
} cr_backup_info;

/* Writes the archive of corpus c (opened on its data directory) to path:
 * written to a temporary file beside it, fsynced, then renamed over path.
 * wait_s: how long to wait for a running ingest's writer lock (CR_EBUSY
 * after). Searches of other threads and processes go on meanwhile. */
CR_API cr_err cr_backup_write(cr_corpus *c, const char *path, double wait_s, cr_backup_info *info,
			      cr_msg *m) CR_NODISCARD;

/* Unpacks the archive at path into data_dir, which must not exist or be
 * an empty directory (CR_EEXIST otherwise), checking everything (above).
 * The result is a data directory as the backup saw it; open it with
 * cr_corpus_open. On failure nothing is left behind. */
CR_API cr_err cr_backup_restore(const char *path, const char *data_dir, cr_backup_info *info,
				cr_msg *m) CR_NODISCARD;

/* Checks an archive held in memory as restore would, writing nothing
 * (tests, fuzzing): CR_OK when restore would accept it. */
CR_API cr_err cr_backup_check(const uint8_t *p, size_t n, cr_backup_info *info, cr_msg *m) CR_NODISCARD;

#endif
