/*
 * index.c — the index directory: MANIFEST, LOCK, snapshots, tombstones.
 *
 * Readers work on a snapshot (the segments of one MANIFEST generation with
 * their deleted-entry bitmaps and the summed collection statistics), taken
 * with a reference under a mutex, so cr_index_refresh can swap in a new one
 * while searches run on the old. Segments are reference counted and shared
 * between snapshots, so a refresh maps only new segments.
 *
 * A refresh installs its snapshot only if its MANIFEST generation is newer
 * than the installed one's, so refreshes racing on several threads never
 * step back to an older state.
 *
 * Changes (writer commit, delete, merge) take LOCK: flock against other
 * processes, and the holding thread recorded against the other threads of
 * this one (flock belongs to the open file, so it would admit them);
 * re-entrant within the holding thread. They re-read MANIFEST before
 * replacing it, so processes sharing a directory never lose each other's
 * changes. Open removes segment
 * files that MANIFEST does not list, when it can take LOCK without waiting
 * (if another process holds it, those files may be its work in progress).
 */
#include "index_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#define MANIFEST_MAX (1u << 30)

/* ---- manifest ---- */

void cr_ix_manifest_release(cr_ix_manifest *mf)
{
	cr_free(mf->segs);
	cr_free(mf->tomb);
	memset(mf, 0, sizeof *mf);
}

cr_err cr_ix_manifest_parse(const uint8_t *p, size_t n, cr_ix_manifest *mf, cr_msg *m)
{
	memset(mf, 0, sizeof *mf);
	if (n < 44 || memcmp(p, "CRIXMAN1", 8))
		return cr_fail(m, CR_ECORRUPT, "index: MANIFEST: bad header");
	if (cr_ix_rd32(p + 8) != 1)
		return cr_fail(m, CR_EUNSUPPORTED, "index: MANIFEST: version %u", cr_ix_rd32(p + 8));
	uint32_t n_segs = cr_ix_rd32(p + 12);
	mf->generation = cr_ix_rd64(p + 16);
	mf->next_seg = cr_ix_rd64(p + 24);
	uint64_t n_tomb = cr_ix_rd64(p + 32);
	if (n_tomb > (n - 40) / 8 || n_segs > (n - 40) / 8 || 40 + 8 * ((uint64_t)n_segs + n_tomb) + 8 != n)
		return cr_fail(m, CR_ECORRUPT, "index: MANIFEST: size does not match counts");
	if (cr_ix_rd64(p + n - 8) != cr_hash64(p, n - 8, 0x3a1))
		return cr_fail(m, CR_ECORRUPT, "index: MANIFEST: checksum mismatch");
	mf->segs = cr_malloc((n_segs ? n_segs : 1) * sizeof *mf->segs);
	mf->tomb = cr_malloc((n_tomb ? n_tomb : 1) * sizeof *mf->tomb);
	if (!mf->segs || !mf->tomb) {
		cr_ix_manifest_release(mf);
		return cr_fail(m, CR_ENOMEM, "index: out of memory");
	}
	mf->n_segs = n_segs;
	mf->n_tomb = n_tomb;
	const uint8_t *q = p + 40;
	for (uint32_t i = 0; i < n_segs; i++, q += 8) {
		mf->segs[i] = cr_ix_rd64(q);
		if (mf->segs[i] >= mf->next_seg || (i && mf->segs[i] <= mf->segs[i - 1])) {
			cr_ix_manifest_release(mf);
			return cr_fail(m, CR_ECORRUPT, "index: MANIFEST: bad segment list");
		}
	}
	for (uint64_t i = 0; i < n_tomb; i++, q += 8) {
		mf->tomb[i] = cr_ix_rd64(q);
		if (i && mf->tomb[i] <= mf->tomb[i - 1]) {
			cr_ix_manifest_release(mf);
			return cr_fail(m, CR_ECORRUPT, "index: MANIFEST: tombstones out of order");
		}
	}
	return CR_OK;
}

cr_err cr_ix_manifest_read(const char *dir, cr_ix_manifest *mf, cr_msg *m)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/MANIFEST", dir);
	uint8_t *p = NULL;
	size_t n = 0;
	cr_msg tmp;
	cr_err e = cr_file_read(path, MANIFEST_MAX, &p, &n, &tmp);
	if (e == CR_ENOTFOUND) {
		memset(mf, 0, sizeof *mf);
		mf->next_seg = 1;
		return CR_OK;
	}
	if (e) {
		if (m)
			*m = tmp;
		return e;
	}
	e = cr_ix_manifest_parse(p, n, mf, m);
	cr_free(p);
	return e;
}

static void fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

cr_err cr_ix_manifest_write(const char *dir, const cr_ix_manifest *mf, cr_msg *m)
{
	size_t n = 40 + 8 * ((size_t)mf->n_segs + mf->n_tomb) + 8;
	uint8_t *p = cr_malloc(n);
	if (!p)
		return cr_fail(m, CR_ENOMEM, "index: out of memory");
	memcpy(p, "CRIXMAN1", 8);
	cr_ix_wr32(p + 8, 1);
	cr_ix_wr32(p + 12, mf->n_segs);
	cr_ix_wr64(p + 16, mf->generation);
	cr_ix_wr64(p + 24, mf->next_seg);
	cr_ix_wr64(p + 32, mf->n_tomb);
	uint8_t *q = p + 40;
	for (uint32_t i = 0; i < mf->n_segs; i++, q += 8)
		cr_ix_wr64(q, mf->segs[i]);
	for (size_t i = 0; i < mf->n_tomb; i++, q += 8)
		cr_ix_wr64(q, mf->tomb[i]);
	cr_ix_wr64(q, cr_hash64(p, n - 8, 0x3a1));
	char path[4096];
	snprintf(path, sizeof path, "%s/MANIFEST", dir);
	cr_err e = cr_file_write_atomic(path, p, n, m);
	cr_free(p);
	if (!e)
		fsync_dir(dir);
	return e;
}

uint64_t cr_ix_seg_alloc(cr_index *ix, uint64_t floor)
{
	pthread_mutex_lock(&ix->mu);
	uint64_t no = CR_MAX(floor, ix->seg_hwm);
	ix->seg_hwm = no + 1;
	pthread_mutex_unlock(&ix->mu);
	return no;
}

uint64_t cr_ix_seg_next(cr_index *ix, uint64_t floor)
{
	pthread_mutex_lock(&ix->mu);
	uint64_t no = CR_MAX(floor, ix->seg_hwm);
	pthread_mutex_unlock(&ix->mu);
	return no;
}

/* ---- lock ---- */

cr_err cr_ix_lock(cr_index *ix, cr_msg *m)
{
	pthread_t self = pthread_self();
	pthread_mutex_lock(&ix->mu);
	if (ix->lock_depth > 0) {
		int mine = pthread_equal(ix->lock_owner, self);
		if (mine)
			ix->lock_depth++;
		pthread_mutex_unlock(&ix->mu);
		return mine ? CR_OK
			    : cr_fail(m, CR_EBUSY, "index: %s is being written by another thread", ix->dir);
	}
	/* Claimed before waiting for the file lock, so that the other threads
	 * of this process fail at once instead of joining the wait; lock_fd
	 * stays -1 until the file lock is ours. */
	ix->lock_depth = 1;
	ix->lock_owner = self;
	pthread_mutex_unlock(&ix->mu);
	char path[4096];
	snprintf(path, sizeof path, "%s/LOCK", ix->dir);
	cr_err e = CR_OK;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		e = cr_fail(m, CR_EIO, "index: %s: %s", path, strerror(errno));
	/* wait up to ~30 s for another process */
	for (int i = 0; !e; i++) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno != EWOULDBLOCK && errno != EINTR)
			e = cr_fail(m, CR_EIO, "index: lock %s: %s", path, strerror(errno));
		else if (i >= 3000)
			e = cr_fail(m, CR_EBUSY, "index: %s is being written by another process", ix->dir);
		else
			nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	}
	pthread_mutex_lock(&ix->mu);
	if (e) {
		ix->lock_depth = 0;
		if (fd >= 0)
			close(fd);
	} else {
		ix->lock_fd = fd;
	}
	pthread_mutex_unlock(&ix->mu);
	return e;
}

void cr_ix_unlock(cr_index *ix)
{
	pthread_mutex_lock(&ix->mu);
	CR_ASSERT(ix->lock_depth > 0 && pthread_equal(ix->lock_owner, pthread_self()));
	if (--ix->lock_depth == 0) {
		flock(ix->lock_fd, LOCK_UN);
		close(ix->lock_fd);
		ix->lock_fd = -1;
	}
	pthread_mutex_unlock(&ix->mu);
}

/* ---- snapshots ---- */

void cr_ix_snap_put(cr_ix_snap *s)
{
	if (!s || atomic_fetch_sub(&s->ref, 1) != 1)
		return;
	for (uint32_t i = 0; i < s->n_segs; i++) {
		cr_ix_seg_unref(s->segs[i]);
		cr_free(s->dead[i]);
	}
	cr_free(s->segs);
	cr_free(s->dead);
	cr_free(s->n_dead);
	cr_free(s->tomb);
	cr_free(s);
}

cr_ix_snap *cr_ix_snap_get(cr_index *ix)
{
	pthread_mutex_lock(&ix->mu);
	cr_ix_snap *s = ix->snap;
	if (s) /* NULL only inside cr_index_open */
		atomic_fetch_add(&s->ref, 1);
	pthread_mutex_unlock(&ix->mu);
	return s;
}

/* Builds a snapshot for manifest mf, reusing the segments of old. */
static cr_err snap_build(cr_index *ix, cr_ix_manifest *mf, cr_ix_snap *old, cr_ix_snap **out, cr_msg *m)
{
	cr_ix_snap *s = cr_calloc(1, sizeof *s);
	if (!s)
		return cr_fail(m, CR_ENOMEM, "index: out of memory");
	atomic_init(&s->ref, 1);
	uint32_t n = mf->n_segs;
	s->segs = cr_calloc(n ? n : 1, sizeof *s->segs);
	s->dead = cr_calloc(n ? n : 1, sizeof *s->dead);
	s->n_dead = cr_calloc(n ? n : 1, sizeof *s->n_dead);
	if (!s->segs || !s->dead || !s->n_dead) {
		cr_ix_snap_put(s);
		return cr_fail(m, CR_ENOMEM, "index: out of memory");
	}
	s->generation = mf->generation;
	s->next_seg = mf->next_seg;
	s->tomb = mf->tomb;
	s->n_tomb = mf->n_tomb;
	mf->tomb = NULL;
	mf->n_tomb = 0;
	cr_err e = CR_OK;
	for (uint32_t i = 0; i < n; i++) {
		cr_ix_seg *seg = NULL;
		for (uint32_t j = 0; old && j < old->n_segs; j++)
			if (old->segs[j]->no == mf->segs[i]) {
				seg = old->segs[j];
				atomic_fetch_add(&seg->ref, 1);
				break;
			}
		if (!seg && (e = cr_ix_seg_open(ix->dir, ix->key, mf->segs[i], &seg, m))) {
			s->n_segs = i;
			cr_ix_snap_put(s);
			return e;
		}
		s->segs[i] = seg;
		s->n_segs = i + 1;
		s->n_docs += seg->n_docs;
		s->sum_lt += seg->sum_lt;
		s->sum_lb += seg->sum_lb;
		if (seg->n_docs && seg->max_id > s->max_id)
			s->max_id = seg->max_id;
		/* tombstones that fall in this segment */
		size_t lo = 0, hi = s->n_tomb;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (s->tomb[mid] < seg->min_id)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (size_t t = lo; t < s->n_tomb && s->tomb[t] <= seg->max_id; t++) {
			int64_t d = cr_ix_seg_lookup_id(seg, s->tomb[t]);
			if (d < 0)
				continue;
			if (!s->dead[i] && !(s->dead[i] = cr_calloc((seg->n_docs + 7) / 8, 1))) {
				cr_ix_snap_put(s);
				return cr_fail(m, CR_ENOMEM, "index: out of memory");
			}
			uint8_t bit = (uint8_t)(1u << (d & 7));
			if (!(s->dead[i][d >> 3] & bit)) {
				s->dead[i][d >> 3] |= bit;
				s->n_dead[i]++;
			}
		}
	}
	*out = s;
	return CR_OK;
}

cr_err cr_index_refresh(cr_index *ix, cr_msg *m)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/MANIFEST", ix->dir);
	for (int attempt = 0;; attempt++) {
		struct stat st;
		int have = stat(path, &st) == 0;
		pthread_mutex_lock(&ix->mu);
		int same = ix->snap && have == ix->have_man_st &&
			   (!have || (st.st_ino == ix->man_st.st_ino && st.st_size == ix->man_st.st_size &&
				      st.st_mtim.tv_sec == ix->man_st.st_mtim.tv_sec &&
				      st.st_mtim.tv_nsec == ix->man_st.st_mtim.tv_nsec));
		pthread_mutex_unlock(&ix->mu);
		if (same)
			return CR_OK;
		cr_ix_manifest mf;
		cr_err e = cr_ix_manifest_read(ix->dir, &mf, m);
		if (e)
			return e;
		cr_ix_snap *old = cr_ix_snap_get(ix);
		cr_ix_snap *s = NULL;
		e = snap_build(ix, &mf, old, &s, m);
		cr_ix_manifest_release(&mf);
		cr_ix_snap_put(old);
		if (e == CR_ENOTFOUND && attempt < 5)
			continue; /* a merge removed a segment between our reads */
		if (e)
			return e;
		cr_ix_snap_install(ix, s, have ? &st : NULL);
		return CR_OK;
	}
}

int cr_ix_snap_install(cr_index *ix, cr_ix_snap *s, const struct stat *man_st)
{
	pthread_mutex_lock(&ix->mu);
	cr_ix_snap *old = ix->snap;
	/* Racing refreshes may finish out of order: a snapshot older than the
	 * one installed is dropped. Generations only grow (every change to
	 * MANIFEST increments it under LOCK), so a newer one always wins. One
	 * of the same generation describes the same MANIFEST: its stat is
	 * recorded (the installed one's may be of an older file, which would
	 * make every later refresh rebuild). */
	int newer = !old || s->generation > old->generation;
	if (newer)
		ix->snap = s;
	if (newer || s->generation == old->generation) {
		ix->have_man_st = man_st != NULL;
		if (man_st)
			ix->man_st = *man_st;
	}
	pthread_mutex_unlock(&ix->mu);
	cr_ix_snap_put(newer ? old : s);
	return newer;
}

/* Removes files of segments MANIFEST does not list (crash leftovers) and
 * stale temp manifests. Caller holds LOCK. */
static void cleanup(cr_index *ix, const cr_ix_manifest *mf)
{
	DIR *d = opendir(ix->dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		const char *nm = de->d_name;
		int stale = 0;
		unsigned long long no;
		char ext[8];
		if (sscanf(nm, "seg_%llu.%3s", &no, ext) == 2 && (!strcmp(ext, "idx") || !strcmp(ext, "pos"))) {
			stale = 1;
			for (uint32_t i = 0; i < mf->n_segs; i++)
				if (mf->segs[i] == no)
					stale = 0;
		} else if (!strncmp(nm, "MANIFEST.tmp.", 13)) {
			stale = 1;
		}
		if (stale) {
			char path[4096];
			snprintf(path, sizeof path, "%s/%s", ix->dir, nm);
			cr_log(CR_LOG_INFO, "index: removing unpublished %s", path);
			unlink(path);
		}
	}
	closedir(d);
}

cr_err cr_index_open(const char *dir, cr_index **out, cr_msg *m)
{
	return cr_index_open_key(dir, NULL, out, m);
}

cr_err cr_index_open_key(const char *dir, const cr_key *key, cr_index **out, cr_msg *m)
{
	if (!dir || !*dir)
		return cr_fail(m, CR_EINVAL, "index: no directory");
	cr_err e = cr_mkdirs(dir, m);
	if (e)
		return e;
	cr_index *ix = cr_calloc(1, sizeof *ix);
	if (!ix || !(ix->dir = cr_strdup(dir))) {
		cr_free(ix);
		return cr_fail(m, CR_ENOMEM, "index: out of memory");
	}
	pthread_mutex_init(&ix->mu, NULL);
	pthread_mutex_init(&ix->wmu, NULL);
	ix->lock_fd = -1;
	ix->key = key;
	/* tuned on BEIR SciFact (tools/ir_eval), checked on JSQuAD */
	ix->params.k1 = 0.9f;
	ix->params.b_body = 0.75f;
	ix->params.b_title = 0.7f;
	ix->params.w_title = 3.0f;
	/* a CJK bigram counts half a word in queries: JSQuAD nDCG@10 0.951 -> 0.953 */
	ix->params.w_bigram = 0.5f;
	/* clean up crash leftovers if nobody is writing */
	char path[4096];
	snprintf(path, sizeof path, "%s/LOCK", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			cr_ix_manifest mf;
			if (cr_ix_manifest_read(dir, &mf, NULL) == CR_OK) {
				cleanup(ix, &mf);
				cr_ix_manifest_release(&mf);
			}
			flock(fd, LOCK_UN);
		}
		close(fd);
	}
	if ((e = cr_index_refresh(ix, m))) {
		cr_index_close(ix);
		return e;
	}
	*out = ix;
	return CR_OK;
}

void cr_index_close(cr_index *ix)
{
	if (!ix)
		return;
	cr_ix_snap_put(ix->snap);
	if (ix->lock_fd >= 0)
		close(ix->lock_fd);
	pthread_mutex_destroy(&ix->mu);
	pthread_mutex_destroy(&ix->wmu);
	cr_free(ix->dir);
	cr_free(ix);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

cr_err cr_index_delete(cr_index *ix, const uint64_t *ids, size_t n, cr_msg *m)
{
	if (!n)
		return CR_OK;
	if (!ids)
		return cr_fail(m, CR_EINVAL, "index: delete without ids");
	cr_err e = cr_ix_lock(ix, m);
	if (e)
		return e;
	pthread_mutex_lock(&ix->wmu);
	cr_ix_manifest mf;
	e = cr_ix_manifest_read(ix->dir, &mf, m);
	if (!e) {
		uint64_t *t = cr_realloc(mf.tomb, (mf.n_tomb + n) * sizeof *t);
		if (!t) {
			e = cr_fail(m, CR_ENOMEM, "index: out of memory");
		} else {
			memcpy(t + mf.n_tomb, ids, n * sizeof *ids);
			size_t tot = mf.n_tomb + n, k = 0;
			qsort(t, tot, sizeof *t, cmp_u64);
			for (size_t i = 0; i < tot; i++)
				if (!k || t[i] != t[k - 1])
					t[k++] = t[i];
			mf.tomb = t;
			mf.n_tomb = k;
			mf.generation++;
			e = cr_ix_manifest_write(ix->dir, &mf, m);
		}
		cr_ix_manifest_release(&mf);
	}
	pthread_mutex_unlock(&ix->wmu);
	cr_ix_unlock(ix);
	if (e)
		return e;
	return cr_index_refresh(ix, m);
}

uint64_t cr_index_max_id(const cr_index *ix)
{
	cr_index *mix = (cr_index *)ix;
	cr_ix_snap *s = cr_ix_snap_get(mix);
	uint64_t v = s->max_id;
	cr_ix_snap_put(s);
	return v;
}

void cr_index_get_stats(const cr_index *ix, cr_index_stats *st)
{
	cr_index *mix = (cr_index *)ix;
	cr_ix_snap *s = cr_ix_snap_get(mix);
	memset(st, 0, sizeof *st);
	for (uint32_t i = 0; i < s->n_segs; i++) {
		st->n_entries += s->segs[i]->n_docs - s->n_dead[i];
		st->n_deleted += s->n_dead[i];
		st->n_terms += s->segs[i]->n_terms;
		st->bytes += s->segs[i]->bytes;
	}
	st->n_segments = s->n_segs;
	cr_ix_snap_put(s);
}

void cr_index_set_bm25(cr_index *ix, float k1, float b, float b_title, float w_title)
{
	if (k1 >= 0)
		ix->params.k1 = k1;
	if (b >= 0 && b <= 1)
		ix->params.b_body = b;
	if (b_title >= 0 && b_title <= 1)
		ix->params.b_title = b_title;
	if (w_title >= 0)
		ix->params.w_title = w_title;
}
