/*
 * sqlite_backup.c — a copy of the catalog while others use it: SQLite's
 * online backup API copies every page of the source connection's database
 * into a new file in one step, inside one read transaction (WAL: writers
 * go on meanwhile and the copy is the state of one commit).
 */
#include "store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

cr_err cr_store_backup(cr_store *s, const char *path, cr_msg *m)
{
	if (strcmp(cr_store_backend(s), "sqlite"))
		return cr_fail(m, CR_EUNSUPPORTED, "catalog backup: the %s back end has none", cr_store_backend(s));
	/* a new file of the owner's only */
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return cr_fail(m, CR_EIO, "catalog backup: %s: %s", path, strerror(errno));
	close(fd);
	sqlite3 *dst = NULL;
	cr_err e = CR_OK;
	if (sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		e = cr_fail(m, CR_EIO, "catalog backup: %s: %s", path, dst ? sqlite3_errmsg(dst) : "cannot open");
		goto fail;
	}
	sqlite3_backup *b = sqlite3_backup_init(dst, "main", cr_store_sqlite_db(s), "main");
	if (!b) {
		e = cr_fail(m, CR_EIO, "catalog backup: %s", sqlite3_errmsg(dst));
		goto fail;
	}
	int rc;
	/* one step: the source stays read-locked (a WAL snapshot) throughout,
	 * so the copy is never restarted by a writer; busy is retried */
	for (int tries = 0; (rc = sqlite3_backup_step(b, -1)) == SQLITE_BUSY || rc == SQLITE_LOCKED; tries++) {
		if (tries >= 200)
			break;
		sqlite3_sleep(50);
	}
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		e = cr_fail(m, rc == SQLITE_BUSY ? CR_EBUSY : CR_EIO, "catalog backup: %s", sqlite3_errstr(rc));
		goto fail;
	}
	/* one self-contained file: no -wal beside it */
	char *err = NULL;
	if (sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, &err) != SQLITE_OK) {
		e = cr_fail(m, CR_EIO, "catalog backup: %s", err ? err : "journal mode");
		sqlite3_free(err);
		goto fail;
	}
	if (sqlite3_close(dst) != SQLITE_OK) {
		dst = NULL;
		e = cr_fail(m, CR_EIO, "catalog backup: closing %s", path);
		goto fail_unlink;
	}
	return CR_OK;
fail:
	sqlite3_close(dst);
fail_unlink:
	unlink(path);
	return e;
}
