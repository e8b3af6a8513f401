/*
 * merge.c — cr_index_merge: rewrites all segments of the index as one,
 * without tombstoned entries, and clears the tombstones it applied.
 *
 * Entries keep their relative order (segments in MANIFEST order, then local
 * order), so each term's postings are the concatenation of its live postings
 * in each segment: a k-way merge of the sorted dictionaries feeding the
 * segment writer term by term. Memory: the new dictionary and attributes,
 * plus one block per source cursor. The old files are unlinked after the new
 * MANIFEST is published (searches that still hold them keep their mappings).
 */
#include "index_int.h"

#include <sys/mman.h>
#include <unistd.h>

/* Drops already-merged pages of a source mapping from our resident set
 * (they are file pages: a later touch just faults them back in), so a merge
 * of big segments does not hold them all at once. */
static void release_done(const uint8_t *base, size_t *done, size_t upto)
{
	if (upto < *done + (8u << 20))
		return;
	uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t a = ((uintptr_t)base + *done) & ~(pg - 1), b = ((uintptr_t)base + upto) & ~(pg - 1);
	if (b > a)
		madvise((void *)a, b - a, MADV_DONTNEED);
	*done = upto;
}

static int term_cmp(const uint8_t *a, uint32_t al, const uint8_t *b, uint32_t bl)
{
	int c = memcmp(a, b, CR_MIN(al, bl));
	if (c)
		return c;
	return al < bl ? -1 : al > bl;
}

static int is_dead(const cr_ix_snap *s, uint32_t i, uint32_t d)
{
	return s->dead[i] && (s->dead[i][d >> 3] >> (d & 7) & 1);
}

static cr_err merge_into(cr_index *ix, cr_ix_snap *s, uint64_t seg_no, uint32_t *n_out, cr_msg *m)
{
	cr_err e = CR_OK;
	uint32_t k = s->n_segs;
	uint64_t n_live = 0;
	for (uint32_t i = 0; i < k; i++)
		n_live += s->segs[i]->n_docs - s->n_dead[i];
	if (n_live >= UINT32_MAX)
		return cr_fail(m, CR_ETOOBIG, "index: too many entries to merge into one segment");
	uint32_t **map = cr_calloc(k, sizeof *map);
	uint32_t *tpos = cr_calloc(k, sizeof *tpos);
	size_t *done = cr_calloc(2 * (size_t)k, sizeof *done); /* postings, positions released up to */
	uint8_t *attrs = cr_malloc((size_t)(n_live ? n_live : 1) * CR_IX_ATTR_SIZE);
	uint8_t *norms = cr_malloc((size_t)(n_live ? n_live : 1) * 2);
	uint32_t *groups = NULL, *posbuf = NULL;
	size_t n_groups = 0, cap_groups = 0, posbuf_cap = 0;
	cr_buf strs;
	cr_buf_init(&strs, 0);
	cr_ix_segw *sw = NULL;
	cr_ix_cur *cur = NULL;
	if (!map || !tpos || !done || !attrs || !norms || !(cur = cr_malloc(sizeof *cur))) {
		e = cr_fail(m, CR_ENOMEM, "index: out of memory");
		goto out;
	}
	/* doc maps and attributes */
	uint32_t nd = 0;
	for (uint32_t i = 0; i < k; i++) {
		const cr_ix_seg *g = s->segs[i];
		if (!(map[i] = cr_malloc((size_t)(g->n_docs ? g->n_docs : 1) * sizeof **map))) {
			e = cr_fail(m, CR_ENOMEM, "index: out of memory");
			goto out;
		}
		uint32_t last_so = 0, last_sl = 0, last_to = 0, last_tl = 0;
		const uint8_t *last_doc = NULL, *last_type = NULL;
		for (uint32_t d = 0; d < g->n_docs; d++) {
			if (is_dead(s, i, d)) {
				map[i][d] = CR_IX_END;
				continue;
			}
			map[i][d] = nd;
			const uint8_t *a = cr_ix_seg_attr(g, d);
			uint8_t *r = attrs + (size_t)nd * CR_IX_ATTR_SIZE;
			memcpy(r, a, CR_IX_ATTR_SIZE);
			const uint8_t *sd = g->strs + cr_ix_rd32(a + CR_IX_ATTR_DOC);
			uint32_t sl = cr_ix_rd32(a + CR_IX_ATTR_DOCLEN);
			if (sd != last_doc) {
				last_so = (uint32_t)strs.len;
				last_sl = sl;
				last_doc = sd;
				if (strs.len + sl > UINT32_MAX || cr_buf_add(&strs, sd, sl)) {
					e = cr_fail(m, CR_ENOMEM, "index: out of memory");
					goto out;
				}
			}
			const uint8_t *st = g->strs + cr_ix_rd32(a + CR_IX_ATTR_TYPE);
			uint32_t tl = cr_ix_rd16(a + CR_IX_ATTR_TYPELEN);
			if (st != last_type) {
				last_to = (uint32_t)strs.len;
				last_tl = tl;
				last_type = st;
				if (strs.len + tl > UINT32_MAX || cr_buf_add(&strs, st, tl)) {
					e = cr_fail(m, CR_ENOMEM, "index: out of memory");
					goto out;
				}
			}
			cr_ix_wr32(r + CR_IX_ATTR_DOC, last_so);
			cr_ix_wr32(r + CR_IX_ATTR_DOCLEN, last_sl);
			cr_ix_wr32(r + CR_IX_ATTR_TYPE, last_to);
			cr_ix_wr16(r + CR_IX_ATTR_TYPELEN, (uint16_t)last_tl);
			uint32_t go = cr_ix_rd32(a + CR_IX_ATTR_GROUPS), gn = cr_ix_rd32(a + CR_IX_ATTR_NGROUPS);
			if (n_groups + gn > cap_groups) {
				size_t c = CR_MAX(cap_groups * 2, n_groups + gn + 64);
				uint32_t *p = cr_realloc(groups, c * sizeof *p);
				if (!p) {
					e = cr_fail(m, CR_ENOMEM, "index: out of memory");
					goto out;
				}
				groups = p;
				cap_groups = c;
			}
			cr_ix_wr32(r + CR_IX_ATTR_GROUPS, (uint32_t)n_groups);
			for (uint32_t j = 0; j < gn; j++)
				groups[n_groups++] = cr_ix_rd32(g->groups + (size_t)(go + j) * 4);
			norms[nd] = g->norm_t[d];
			norms[n_live + nd] = g->norm_b[d];
			nd++;
		}
	}
	if ((e = cr_ix_segw_open(ix->dir, ix->key, seg_no, nd, norms, &sw, m)))
		goto out;
	/* k-way merge of dictionaries */
	for (;;) {
		const uint8_t *best = NULL;
		uint32_t best_len = 0;
		for (uint32_t i = 0; i < k; i++) {
			if (tpos[i] >= s->segs[i]->n_terms)
				continue;
			uint32_t tl;
			const uint8_t *t = cr_ix_seg_term(s->segs[i], tpos[i], &tl);
			if (!best || term_cmp(t, tl, best, best_len) < 0) {
				best = t;
				best_len = tl;
			}
		}
		if (!best)
			break;
		if ((e = cr_ix_segw_term_begin(sw, best, best_len)))
			goto fail;
		for (uint32_t i = 0; i < k; i++) {
			const cr_ix_seg *g = s->segs[i];
			if (tpos[i] >= g->n_terms)
				continue;
			uint32_t tl;
			const uint8_t *t = cr_ix_seg_term(g, tpos[i], &tl);
			if (term_cmp(t, tl, best, best_len))
				continue;
			const uint8_t *rec = g->terms + (size_t)tpos[i] * CR_IX_TERM_SIZE;
			uint64_t po = cr_ix_rd64(rec), qo = cr_ix_rd64(rec + 8);
			if (po <= g->post_len)
				release_done(g->post, &done[2 * i], (size_t)po);
			if (qo <= g->pos.len && g->pos.len)
				release_done(g->pos.data, &done[2 * i + 1], (size_t)qo);
			cr_ix_tinfo ti;
			if (cr_ix_seg_tinfo(g, tpos[i], &ti)) {
				e = cr_fail(m, CR_ECORRUPT, "index: segment %llu: bad dictionary entry",
					    (unsigned long long)g->no);
				goto fail;
			}
			tpos[i]++;
			cr_ix_cur_init(cur, &ti, g->n_docs);
			for (; cur->doc != CR_IX_END; cr_ix_cur_next(cur)) {
				uint32_t nd2 = map[i][cur->doc];
				if (nd2 == CR_IX_END)
					continue;
				uint32_t np;
				const uint32_t *pos = cr_ix_cur_positions(cur, &np);
				if (!pos || np != cr_ix_cur_tf_t(cur) + cr_ix_cur_tf_b(cur))
					break;
				if (np > posbuf_cap) {
					uint32_t *p = cr_realloc(posbuf, np * sizeof *p);
					if (!p) {
						cr_ix_cur_release(cur);
						e = cr_fail(m, CR_ENOMEM, "index: out of memory");
						goto fail;
					}
					posbuf = p;
					posbuf_cap = np;
				}
				memcpy(posbuf, pos, np * sizeof *pos);
				if ((e = cr_ix_segw_add(sw, nd2, cr_ix_cur_tf_t(cur), cr_ix_cur_tf_b(cur), posbuf))) {
					cr_ix_cur_release(cur);
					goto fail;
				}
			}
			int bad = cur->corrupt || cur->doc != CR_IX_END;
			cr_ix_cur_release(cur);
			if (bad) {
				e = cr_fail(m, CR_ECORRUPT, "index: segment %llu: corrupt postings",
					    (unsigned long long)g->no);
				goto fail;
			}
		}
		if ((e = cr_ix_segw_term_end(sw)))
			goto fail;
	}
	e = cr_ix_segw_finish(sw, attrs, (const uint8_t *)strs.data, strs.len, groups, n_groups, m);
	sw = NULL;
	*n_out = nd;
	goto out;
fail:
	cr_ix_segw_abort(sw);
	sw = NULL;
	if (!m || !m->text[0])
		cr_fail(m, e, "index: merge failed: %s", cr_strerror(e));
out:
	for (uint32_t i = 0; map && i < k; i++)
		cr_free(map[i]);
	cr_free(map);
	cr_free(tpos);
	cr_free(done);
	cr_free(attrs);
	cr_free(norms);
	cr_free(groups);
	cr_free(posbuf);
	cr_free(cur);
	cr_buf_release(&strs);
	return e;
}

cr_err cr_index_merge(cr_index *ix, cr_msg *m)
{
	cr_err e = cr_ix_lock(ix, m);
	if (e)
		return e;
	pthread_mutex_lock(&ix->wmu);
	cr_ix_manifest mf;
	memset(&mf, 0, sizeof mf);
	cr_ix_snap *s = NULL;
	if ((e = cr_index_refresh(ix, m)))
		goto out;
	if ((e = cr_ix_manifest_read(ix->dir, &mf, m)))
		goto out;
	s = cr_ix_snap_get(ix);
	if (s->generation != mf.generation) {
		e = cr_fail(m, CR_EBUSY, "index: changed during merge");
		goto out;
	}
	uint64_t n_dead = 0;
	for (uint32_t i = 0; i < s->n_segs; i++)
		n_dead += s->n_dead[i];
	if (s->n_segs <= 1 && !n_dead && !mf.n_tomb)
		goto out; /* nothing to do */
	uint64_t no = cr_ix_seg_alloc(ix, mf.next_seg);
	uint32_t n_new = 0;
	int have_new = 0;
	if (s->n_segs) {
		if ((e = merge_into(ix, s, no, &n_new, m)))
			goto out;
		have_new = 1;
	}
	cr_ix_manifest nm;
	memset(&nm, 0, sizeof nm);
	nm.generation = mf.generation + 1;
	nm.next_seg = cr_ix_seg_next(ix, no + 1);
	nm.segs = &no;
	nm.n_segs = have_new && n_new ? 1 : 0;
	if ((e = cr_ix_manifest_write(ix->dir, &nm, m))) {
		char path[4096];
		cr_ix_seg_path(path, sizeof path, ix->dir, no, "idx");
		unlink(path);
		cr_ix_seg_path(path, sizeof path, ix->dir, no, "pos");
		unlink(path);
		goto out;
	}
	if (have_new && !n_new) { /* everything was deleted */
		char path[4096];
		cr_ix_seg_path(path, sizeof path, ix->dir, no, "idx");
		unlink(path);
		cr_ix_seg_path(path, sizeof path, ix->dir, no, "pos");
		unlink(path);
	}
	for (uint32_t i = 0; i < s->n_segs; i++) {
		char path[4096];
		cr_ix_seg_path(path, sizeof path, ix->dir, s->segs[i]->no, "idx");
		unlink(path);
		cr_ix_seg_path(path, sizeof path, ix->dir, s->segs[i]->no, "pos");
		unlink(path);
	}
	e = cr_index_refresh(ix, m);
out:
	cr_ix_snap_put(s);
	cr_ix_manifest_release(&mf);
	pthread_mutex_unlock(&ix->wmu);
	cr_ix_unlock(ix);
	return e;
}
