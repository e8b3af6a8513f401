/*
 * snapshot.c — a consistent copy of the data directory while it is in use
 * (cristal backup). Under the writer lock, so no ingest, deletion or index
 * change runs meanwhile (searches go on): the catalog is copied through
 * SQLite's online backup API, and the index's MANIFEST, the segment files
 * it lists, the vector files and the audit key files are opened. Then the
 * lock is released and the caller reads the files through the descriptors
 * at leisure: segments and vector files are immutable and MANIFEST is
 * replaced by rename, so what a later merge or compaction removes stays
 * readable through an open descriptor. The lock is held for the catalog
 * copy (about a second per few hundred MB) and a few opens.
 *
 * Not copied: DATA/lock, index/LOCK, shell_history, temporary files.
 */
#include "corpus_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static cr_err add_file(cr_corpus_snap *s, const char *dir, const char *sub, const char *name, cr_msg *m)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cr_fail(m, CR_EIO, "snapshot: %s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return cr_fail(m, CR_EIO, "snapshot: %s: not a regular file", path);
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 32;
		cr_corpus_snap_file *f = cr_arena_alloc(&s->arena, cap * sizeof *f);
		if (!f) {
			close(fd);
			return cr_fail(m, CR_ENOMEM, "out of memory");
		}
		if (s->n)
			memcpy(f, s->files, s->n * sizeof *f);
		s->files = f;
		s->cap = cap;
	}
	cr_corpus_snap_file *f = &s->files[s->n];
	f->name = sub ? cr_arena_printf(&s->arena, "%s/%s", sub, name) : cr_arena_strdup(&s->arena, name);
	if (!f->name) {
		close(fd);
		return cr_fail(m, CR_ENOMEM, "out of memory");
	}
	f->fd = fd;
	f->size = (uint64_t)st.st_size;
	s->n++;
	return CR_OK;
}

/* DATA/vectors/[bg]<20 digits>.vix (vectors.c's names). */
static cr_err add_vectors(cr_corpus *c, cr_corpus_snap *s, cr_msg *m)
{
	DIR *d = opendir(c->vec_dir);
	if (!d)
		return errno == ENOENT ? CR_OK : cr_fail(m, CR_EIO, "snapshot: %s: %s", c->vec_dir, strerror(errno));
	cr_err e = CR_OK;
	struct dirent *de;
	while (!e && (de = readdir(d))) {
		const char *n = de->d_name;
		if ((n[0] != 'b' && n[0] != 'g') || strlen(n) != 25 || strcmp(n + 21, ".vix") ||
		    strspn(n + 1, "0123456789") != 20)
			continue;
		e = add_file(s, c->vec_dir, "vectors", n, m);
	}
	closedir(d);
	return e;
}

cr_err cr_corpus_snapshot(cr_corpus *c, const char *catalog_copy, double wait_s, cr_corpus_snap *out, cr_msg *m)
{
	memset(out, 0, sizeof *out);
	cr_arena_init(&out->arena, 0);
	out->catalog_fd = -1;
	double t0 = cr_now();
	cr_err e;
	for (;;) {
		e = cr_corpus_lock(c, m);
		if (e != CR_EBUSY || cr_now() - t0 >= wait_s)
			break;
		usleep(200000);
	}
	if (e)
		goto fail_unlocked;
	out->wait_seconds = cr_now() - t0;
	double t1 = cr_now();
	if ((e = cr_store_max_chunk_id(c->store, &out->max_chunk_id, m)) || (e = cr_index_refresh(c->ix, m)))
		goto fail;
	out->index_max_id = cr_index_max_id(c->ix);
	/* The audit key files first: the signed head beside the key
	 * (audit.key.head, replaced by rename) is then one the catalog copy
	 * holds, even when a server seals the log meanwhile (appends and seals
	 * do not take the writer lock). */
	static const char *const keys[] = {"audit.key", "audit.key.pub", "audit.key.head"};
	for (size_t i = 0; i < CR_ARRAY_LEN(keys); i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", c->dir, keys[i]);
		if (access(path, F_OK) == 0 && (e = add_file(out, c->dir, NULL, keys[i], m)))
			goto fail;
	}
	if ((e = cr_store_backup(c->store, catalog_copy, m)))
		goto fail;
	out->catalog_path = cr_arena_strdup(&out->arena, catalog_copy);
	if (!out->catalog_path) {
		unlink(catalog_copy);
		e = cr_fail(m, CR_ENOMEM, "out of memory");
		goto fail;
	}
	/* the copy, under the name it has in a data directory */
	char *slash = strrchr(out->catalog_path, '/');
	const char *cdir = slash ? cr_arena_strndup(&out->arena, out->catalog_path, (size_t)(slash - out->catalog_path)) : ".";
	if (!cdir || (e = add_file(out, cdir, NULL, slash ? slash + 1 : out->catalog_path, m)))
		goto fail;
	out->files[out->n - 1].name = "catalog.db";
	out->catalog_fd = out->files[out->n - 1].fd;
	{ /* the catalog first in the archive, the key files after it */
		cr_corpus_snap_file cf = out->files[out->n - 1];
		memmove(out->files + 1, out->files, (out->n - 1) * sizeof *out->files);
		out->files[0] = cf;
	}
	const char **ix_files;
	size_t n_ix;
	if ((e = cr_index_files(c->index_dir, &out->arena, &ix_files, &n_ix, m)))
		goto fail;
	for (size_t i = 0; i < n_ix; i++)
		if ((e = add_file(out, c->index_dir, "index", ix_files[i], m)))
			goto fail;
	if ((e = add_vectors(c, out, m)))
		goto fail;
	out->lock_seconds = cr_now() - t1;
	cr_corpus_unlock(c);
	return CR_OK;
fail:
	cr_corpus_unlock(c);
fail_unlocked:
	cr_corpus_snapshot_release(out);
	return e;
}

void cr_corpus_snapshot_release(cr_corpus_snap *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->files[i].fd >= 0)
			close(s->files[i].fd);
	if (s->catalog_path)
		unlink(s->catalog_path);
	cr_arena_release(&s->arena);
	memset(s, 0, sizeof *s);
	s->catalog_fd = -1;
}
