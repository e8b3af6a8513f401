/*
 * seg_read.c — opens a segment (layout in index_int.h) by mapping its two
 * files, validates the footer and every fixed-size section against the file
 * size at open, and validates the rest where it is used: a dictionary entry
 * when it is looked up, a block when it is decoded, positions when they are
 * read. A segment that fails any check yields CR_ECORRUPT (at open) or sets
 * the cursor's `corrupt` flag (during a search, reported as CR_ECORRUPT).
 *
 * An encrypted index's segments are sealed files (crypt.h), read and opened
 * into memory here instead of mapped (a cost paid once per open, in time
 * and in memory: the whole segment); everything after sees the same bytes.
 *
 * Cursors decode one block of 128 postings at a time; `shallow` moves only
 * the block pointer along the skip table, so block-max WAND can check a
 * block's score bound without decoding it.
 */
#include "index_int.h"

#include <stdlib.h>

static int sect_ok(uint64_t off, uint64_t len, uint64_t limit)
{
	return off <= limit && len <= limit - off;
}

/* Maps one of the segment's files; a sealed one is opened into memory.
 * Plain and sealed files are each refused where the other is expected, so
 * an encrypted index never reads a plaintext file slipped into it. */
static cr_err seg_map(const char *path, const cr_key *key, cr_mmap *out, cr_msg *m)
{
	cr_mmap mm;
	cr_err e = cr_mmap_open(&mm, path, m);
	if (e)
		return e;
	int sealed = cr_crypt_is_sealed(mm.data, mm.len);
	if (!key) {
		if (sealed) {
			cr_mmap_close(&mm);
			return cr_fail(m, CR_EDENIED, "index: %s is encrypted; set the data key (CRISTAL_KEY_FILE, "
						      "CRISTAL_KEY or [encryption] key_file)", path);
		}
		*out = mm;
		return CR_OK;
	}
	if (!sealed) {
		cr_mmap_close(&mm);
		return cr_fail(m, CR_ECORRUPT, "index: %s: not encrypted in an encrypted index", path);
	}
	size_t n = 0;
	cr_msg em = {{0}};
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	uint8_t *p = NULL;
	if (!(e = cr_crypt_plain_size(mm.data, mm.len, &n, &em))) {
		if (!(p = cr_malloc(n ? n : 1)))
			e = cr_fail(&em, CR_ENOMEM, "out of memory");
		else
			e = cr_crypt_open(key, base, mm.data, mm.len, p, &em);
	}
	cr_mmap_close(&mm);
	if (e) {
		cr_free(p);
		return cr_fail(m, e, "index: %s: %s", path, em.text);
	}
	out->data = p;
	out->len = n;
	return CR_OK;
}

static void seg_unmap(cr_mmap *mm, int heap)
{
	if (heap) {
		cr_wipe((void *)mm->data, mm->len);
		cr_free((void *)mm->data);
		mm->data = NULL;
		mm->len = 0;
	} else {
		cr_mmap_close(mm);
	}
}

cr_err cr_ix_seg_open(const char *dir, const cr_key *key, uint64_t no, cr_ix_seg **out, cr_msg *m)
{
	char path[4096];
	cr_ix_seg *s = cr_calloc(1, sizeof *s);
	if (!s)
		return cr_fail(m, CR_ENOMEM, "index: out of memory");
	atomic_init(&s->ref, 1);
	s->no = no;
	cr_err e;
	cr_ix_seg_path(path, sizeof path, dir, no, "idx");
	s->heap = key != NULL;
	if ((e = seg_map(path, key, &s->idx, m)))
		goto fail;
	cr_ix_seg_path(path, sizeof path, dir, no, "pos");
	if ((e = seg_map(path, key, &s->pos, m)))
		goto fail;
	cr_ix_seg_path(path, sizeof path, dir, no, "idx");
	const uint8_t *d = s->idx.data;
	size_t n = s->idx.len;
	if (n < 8 + CR_IX_FOOTER_SIZE || memcmp(d, "CRIXSEG1", 8)) {
		e = cr_fail(m, CR_ECORRUPT, "index: %s: not a segment file", path);
		goto fail;
	}
	const uint8_t *f = d + n - CR_IX_FOOTER_SIZE;
	if (memcmp(f, "CRIXFOOT", 8) || cr_ix_rd64(f + 152) != cr_hash64(f, 152, 0x5e6)) {
		e = cr_fail(m, CR_ECORRUPT, "index: %s: bad footer (truncated or damaged file)", path);
		goto fail;
	}
	if (cr_ix_rd32(f + 8) != 1) {
		e = cr_fail(m, CR_EUNSUPPORTED, "index: %s: segment version %u", path, cr_ix_rd32(f + 8));
		goto fail;
	}
	uint64_t lim = n - CR_IX_FOOTER_SIZE;
	s->n_docs = cr_ix_rd32(f + 12);
	s->n_terms = cr_ix_rd32(f + 16);
	uint64_t post_off = cr_ix_rd64(f + 24), post_len = cr_ix_rd64(f + 32);
	uint64_t attrs_off = cr_ix_rd64(f + 40), norms_off = cr_ix_rd64(f + 48);
	uint64_t strs_off = cr_ix_rd64(f + 56), strs_len = cr_ix_rd64(f + 64);
	uint64_t groups_off = cr_ix_rd64(f + 72), n_groups = cr_ix_rd64(f + 80);
	uint64_t perm_off = cr_ix_rd64(f + 88), terms_off = cr_ix_rd64(f + 96);
	uint64_t tblob_off = cr_ix_rd64(f + 104), tblob_len = cr_ix_rd64(f + 112);
	s->sum_lt = cr_ix_rd64(f + 120);
	s->sum_lb = cr_ix_rd64(f + 128);
	uint64_t pos_len = cr_ix_rd64(f + 136);
	uint64_t nd = s->n_docs;
	if (!sect_ok(post_off, post_len, lim) || !sect_ok(attrs_off, nd * CR_IX_ATTR_SIZE, lim) ||
	    !sect_ok(norms_off, nd * 2, lim) || !sect_ok(strs_off, strs_len, lim) ||
	    n_groups > lim / 4 || !sect_ok(groups_off, n_groups * 4, lim) || !sect_ok(perm_off, nd * 4, lim) ||
	    !sect_ok(terms_off, (uint64_t)s->n_terms * CR_IX_TERM_SIZE, lim) || !sect_ok(tblob_off, tblob_len, lim) ||
	    pos_len != s->pos.len || tblob_len > UINT32_MAX || strs_len > UINT32_MAX) {
		e = cr_fail(m, CR_ECORRUPT, "index: %s: section table out of bounds", path);
		goto fail;
	}
	s->post = d + post_off;
	s->post_len = post_len;
	s->attrs = d + attrs_off;
	s->norm_t = d + norms_off;
	s->norm_b = d + norms_off + nd;
	s->strs = d + strs_off;
	s->strs_len = strs_len;
	s->groups = d + groups_off;
	s->n_groups = n_groups;
	s->perm = d + perm_off;
	s->terms = d + terms_off;
	s->tblob = d + tblob_off;
	s->tblob_len = tblob_len;
	/* attributes: strings and groups in range, perm a permutation sorted by id */
	for (uint32_t i = 0; i < s->n_docs; i++) {
		const uint8_t *a = cr_ix_seg_attr(s, i);
		uint64_t go = cr_ix_rd32(a + CR_IX_ATTR_GROUPS), gn = cr_ix_rd32(a + CR_IX_ATTR_NGROUPS);
		uint64_t so = cr_ix_rd32(a + CR_IX_ATTR_DOC), sl = cr_ix_rd32(a + CR_IX_ATTR_DOCLEN);
		uint64_t to = cr_ix_rd32(a + CR_IX_ATTR_TYPE), tl = cr_ix_rd16(a + CR_IX_ATTR_TYPELEN);
		if (go + gn > n_groups || so + sl > strs_len || to + tl > strs_len) {
			e = cr_fail(m, CR_ECORRUPT, "index: %s: entry %u attributes out of bounds", path, i);
			goto fail;
		}
		uint32_t p = cr_ix_rd32(s->perm + (size_t)i * 4);
		if (p >= s->n_docs) {
			e = cr_fail(m, CR_ECORRUPT, "index: %s: bad id permutation", path);
			goto fail;
		}
		uint64_t id = cr_ix_rd64(cr_ix_seg_attr(s, p));
		if (i > 0 && id < s->max_id) {
			e = cr_fail(m, CR_ECORRUPT, "index: %s: id permutation out of order", path);
			goto fail;
		}
		if (i == 0)
			s->min_id = id;
		s->max_id = id;
	}
	/* dictionary: terms in range and strictly increasing */
	const uint8_t *prev = NULL;
	uint32_t prev_len = 0;
	for (uint32_t i = 0; i < s->n_terms; i++) {
		const uint8_t *r = s->terms + (size_t)i * CR_IX_TERM_SIZE;
		uint64_t to = cr_ix_rd32(r + 24), tl = cr_ix_rd16(r + 28);
		if (to + tl > tblob_len || tl == 0) {
			e = cr_fail(m, CR_ECORRUPT, "index: %s: term %u out of bounds", path, i);
			goto fail;
		}
		const uint8_t *t = s->tblob + to;
		if (prev) {
			int c = memcmp(prev, t, CR_MIN(prev_len, (uint32_t)tl));
			if (c > 0 || (c == 0 && prev_len >= tl)) {
				e = cr_fail(m, CR_ECORRUPT, "index: %s: dictionary out of order at term %u", path, i);
				goto fail;
			}
		}
		prev = t;
		prev_len = (uint32_t)tl;
	}
	s->bytes = s->idx.len + s->pos.len;
	*out = s;
	return CR_OK;
fail:
	seg_unmap(&s->idx, s->heap);
	seg_unmap(&s->pos, s->heap);
	cr_free(s);
	return e;
}

void cr_ix_seg_unref(cr_ix_seg *s)
{
	if (!s || atomic_fetch_sub(&s->ref, 1) != 1)
		return;
	seg_unmap(&s->idx, s->heap);
	seg_unmap(&s->pos, s->heap);
	cr_free(s);
}

const uint8_t *cr_ix_seg_term(const cr_ix_seg *s, uint32_t i, uint32_t *len)
{
	const uint8_t *r = s->terms + (size_t)i * CR_IX_TERM_SIZE;
	*len = cr_ix_rd16(r + 28);
	return s->tblob + cr_ix_rd32(r + 24);
}

static int term_cmp(const uint8_t *a, uint32_t al, const uint8_t *b, uint32_t bl)
{
	int c = memcmp(a, b, CR_MIN(al, bl));
	if (c)
		return c;
	return al < bl ? -1 : al > bl;
}

uint32_t cr_ix_seg_lower_bound(const cr_ix_seg *s, const uint8_t *key, uint32_t len)
{
	uint32_t lo = 0, hi = s->n_terms;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2, tl;
		const uint8_t *t = cr_ix_seg_term(s, mid, &tl);
		if (term_cmp(t, tl, key, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

cr_err cr_ix_seg_tinfo(const cr_ix_seg *s, uint32_t i, cr_ix_tinfo *ti)
{
	const uint8_t *r = s->terms + (size_t)i * CR_IX_TERM_SIZE;
	uint64_t post_off = cr_ix_rd64(r), pos_off = cr_ix_rd64(r + 8);
	uint64_t post_len = cr_ix_rd32(r + 16);
	ti->df = cr_ix_rd32(r + 20);
	cr_ix_impact_get(r + 32, &ti->impact);
	if (!ti->df || ti->df > s->n_docs || !sect_ok(post_off, post_len, s->post_len) || pos_off > s->pos.len)
		return CR_ECORRUPT;
	ti->n_blocks = (ti->df + CR_IX_BLOCK - 1) / CR_IX_BLOCK;
	uint64_t skip_len = (uint64_t)ti->n_blocks * CR_IX_SKIP_SIZE;
	if (skip_len > post_len)
		return CR_ECORRUPT;
	ti->skip = s->post + post_off;
	ti->data = ti->skip + skip_len;
	ti->data_len = post_len - skip_len;
	ti->pos = s->pos.data + pos_off;
	ti->pos_len = s->pos.len - pos_off;
	return CR_OK;
}

int cr_ix_seg_find(const cr_ix_seg *s, const uint8_t *key, uint32_t len, cr_ix_tinfo *ti)
{
	uint32_t i = cr_ix_seg_lower_bound(s, key, len), tl;
	if (i >= s->n_terms)
		return 0;
	const uint8_t *t = cr_ix_seg_term(s, i, &tl);
	if (term_cmp(t, tl, key, len))
		return 0;
	return cr_ix_seg_tinfo(s, i, ti) ? -1 : 1;
}

int64_t cr_ix_seg_lookup_id(const cr_ix_seg *s, uint64_t id)
{
	if (!s->n_docs || id < s->min_id || id > s->max_id)
		return -1;
	uint32_t lo = 0, hi = s->n_docs;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		uint32_t p = cr_ix_rd32(s->perm + (size_t)mid * 4);
		uint64_t v = cr_ix_rd64(cr_ix_seg_attr(s, p));
		if (v < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < s->n_docs) {
		uint32_t p = cr_ix_rd32(s->perm + (size_t)lo * 4);
		if (cr_ix_rd64(cr_ix_seg_attr(s, p)) == id)
			return p;
	}
	return -1;
}

const char *cr_ix_seg_str(const cr_ix_seg *s, uint32_t off, uint32_t len)
{
	CR_UNUSED(len);
	return (const char *)s->strs + off;
}

/* ---- cursors ---- */

static void decode_block(cr_ix_cur *c, uint32_t b);

void cr_ix_cur_init(cr_ix_cur *c, const cr_ix_tinfo *ti, uint32_t n_docs)
{
	c->ti = *ti;
	c->n_docs = n_docs;
	c->blk = -1;
	c->sblk = 0;
	c->i = c->n = 0;
	c->corrupt = 0;
	c->pos_ready = 0;
	c->posv = NULL;
	c->posv_cap = 0;
	c->bub_blk = -1;
	c->doc = CR_IX_END;
	decode_block(c, 0);
}

void cr_ix_cur_release(cr_ix_cur *c)
{
	cr_free(c->posv);
	c->posv = NULL;
	c->posv_cap = 0;
}

static void cur_fail(cr_ix_cur *c)
{
	c->corrupt = 1;
	c->doc = CR_IX_END;
	c->blk = (int32_t)c->ti.n_blocks;
	c->sblk = c->ti.n_blocks;
}

/* Decodes block b's doc ids; positions the cursor on its first doc. The
 * unpacking may read 7 bytes past the block: postings are always followed by
 * other sections and the footer (checked at open), so that stays in the file. */
static void decode_block(cr_ix_cur *c, uint32_t b)
{
	if (b >= c->ti.n_blocks) {
		c->blk = (int32_t)c->ti.n_blocks;
		c->sblk = c->ti.n_blocks;
		c->doc = CR_IX_END;
		return;
	}
	const uint8_t *sk = c->ti.skip + (size_t)b * CR_IX_SKIP_SIZE;
	uint32_t last = cr_ix_rd32(sk), off = cr_ix_rd32(sk + 4);
	int expect = b + 1 < c->ti.n_blocks ? CR_IX_BLOCK : (int)(c->ti.df - b * CR_IX_BLOCK);
	if ((size_t)off + 4 > c->ti.data_len)
		return cur_fail(c);
	const uint8_t *p = c->ti.data + off;
	int n = p[0], bd = p[1], bb = p[2], bt = p[3];
	if (n != expect || bd > 32 || bb > 32 || bt > 32)
		return cur_fail(c);
	size_t need = cr_ix_packed_bytes(n, bd) + cr_ix_packed_bytes(n, bb) + cr_ix_packed_bytes(n, bt);
	if (need > c->ti.data_len - off - 4)
		return cur_fail(c);
	p += 4;
	uint32_t delta[CR_IX_BLOCK];
	cr_ix_unpack_slack(p, n, bd, delta);
	p += cr_ix_packed_bytes(n, bd);
	c->tf_p = p;
	c->bits_b = (uint8_t)bb;
	c->bits_t = (uint8_t)bt;
	c->tf_ready = 0;
	int64_t prev = b ? (int64_t)cr_ix_rd32(sk - CR_IX_SKIP_SIZE) : -1;
	for (int i = 0; i < n; i++) {
		prev = prev + 1 + delta[i];
		c->docs[i] = (uint32_t)prev;
	}
	if (prev != (int64_t)last || prev >= (int64_t)c->n_docs)
		return cur_fail(c);
	c->blk = (int32_t)b;
	if (c->sblk < b)
		c->sblk = b;
	c->i = 0;
	c->n = n;
	c->doc = c->docs[0];
	c->pos_ready = 0;
}

void cr_ix_cur_decode_tf(cr_ix_cur *c)
{
	int n = c->n;
	cr_ix_unpack_slack(c->tf_p, n, c->bits_b, c->tfb);
	cr_ix_unpack_slack(c->tf_p + cr_ix_packed_bytes(n, c->bits_b), n, c->bits_t, c->tft);
	c->tf_ready = 1;
	for (int i = 0; i < n; i++)
		if ((c->tfb[i] | c->tft[i]) == 0) {
			c->corrupt = 1; /* reported by the search; scores stay finite */
			c->tfb[i] = 1;
		}
}

void cr_ix_cur_next(cr_ix_cur *c)
{
	if (c->doc == CR_IX_END)
		return;
	if (c->blk >= 0 && c->i + 1 < c->n) {
		c->doc = c->docs[++c->i];
		return;
	}
	decode_block(c, (uint32_t)(c->blk + 1));
}

void cr_ix_cur_shallow(cr_ix_cur *c, uint32_t target)
{
	uint32_t nb = c->ti.n_blocks;
	uint32_t b = c->sblk;
	if (c->blk >= 0 && (uint32_t)c->blk > b)
		b = (uint32_t)c->blk;
	/* gallop, then linear */
	uint32_t step = 1;
	while (b + step < nb && cr_ix_rd32(c->ti.skip + (size_t)(b + step) * CR_IX_SKIP_SIZE) < target) {
		b += step;
		step *= 2;
	}
	while (b < nb && cr_ix_rd32(c->ti.skip + (size_t)b * CR_IX_SKIP_SIZE) < target)
		b++;
	c->sblk = b;
}

void cr_ix_cur_advance(cr_ix_cur *c, uint32_t target)
{
	if (c->doc != CR_IX_END && c->doc >= target && c->blk >= 0)
		return;
	if (c->blk < 0 || c->blk >= (int32_t)c->ti.n_blocks || c->docs[c->n - 1] < target) {
		cr_ix_cur_shallow(c, target);
		if (c->sblk >= c->ti.n_blocks) {
			c->blk = (int32_t)c->ti.n_blocks;
			c->doc = CR_IX_END;
			return;
		}
		decode_block(c, c->sblk);
		if (c->doc == CR_IX_END)
			return;
	}
	int i = c->i;
	while (c->docs[i] < target)
		i++;
	c->i = i;
	c->doc = c->docs[i];
}

const uint32_t *cr_ix_cur_positions(cr_ix_cur *c, uint32_t *n)
{
	if (c->doc == CR_IX_END || c->blk < 0)
		return NULL;
	if (!c->pos_ready) {
		if (!c->tf_ready)
			cr_ix_cur_decode_tf(c);
		size_t total = 0;
		for (int i = 0; i < c->n; i++)
			total += (size_t)c->tft[i] + c->tfb[i];
		if (total > c->posv_cap) {
			uint32_t *p = cr_realloc(c->posv, total * sizeof *p);
			if (!p)
				return NULL;
			c->posv = p;
			c->posv_cap = total;
		}
		uint32_t off = cr_ix_rd32(c->ti.skip + (size_t)c->blk * CR_IX_SKIP_SIZE + 8);
		if (off > c->ti.pos_len) {
			c->corrupt = 1;
			return NULL;
		}
		const uint8_t *p = c->ti.pos + off;
		size_t avail = c->ti.pos_len - off, k = 0;
		for (int i = 0; i < c->n; i++) {
			c->pos_idx[i] = (uint32_t)k;
			uint32_t cnt = c->tft[i] + c->tfb[i], prev = 0;
			for (uint32_t j = 0; j < cnt; j++) {
				uint32_t v;
				int r = cr_ix_varint_get(p, avail, &v);
				if (!r || v > UINT32_MAX - prev) {
					c->corrupt = 1;
					return NULL;
				}
				p += r;
				avail -= (size_t)r;
				prev += v;
				c->posv[k++] = prev;
			}
		}
		c->pos_idx[c->n] = (uint32_t)k;
		c->pos_ready = 1;
	}
	*n = c->pos_idx[c->i + 1] - c->pos_idx[c->i];
	return c->posv + c->pos_idx[c->i];
}
