/*
 * seg_write.c — streams one immutable segment (layout in index_int.h) to
 * seg_<no>.idx and seg_<no>.pos. Terms arrive in byte order with their
 * postings in doc order (from the in-memory writer or from a merge); each
 * term's skip table and blocks are buffered (a term's postings only) and
 * written when the term ends; positions go straight to the .pos stream. The
 * dictionary and attributes are written at finish, followed by a footer
 * with the section offsets and a checksum, and both files are fsync'd. The
 * segment is not visible until the caller lists it in MANIFEST.
 *
 * In an encrypted index (a key) both files are sealed files (crypt.h): the
 * layout below is the plaintext inside them, offsets count plaintext bytes,
 * and the buffer is sealed a 64 KiB block at a time as it fills.
 */
#define _GNU_SOURCE /* qsort_r */
#include "index_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

typedef struct bfile {
	int fd;
	uint8_t *buf;
	size_t len, cap;
	uint64_t off; /* bytes written so far, buffered ones included */
	int err;
	/* sealed (an encrypted index): whole CR_CRYPT_BLOCKs go out sealed as
	 * the buffer fills, and the rest, always some, as the final block at
	 * close; plaintext never reaches the file */
	int sealed;
	cr_crypt_w cw;
	uint8_t *sbuf;
} bfile;

static void bf_put(bfile *f, const uint8_t *p, size_t n)
{
	size_t done = 0;
	while (done < n && !f->err) {
		ssize_t w = write(f->fd, p + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			f->err = errno ? errno : EIO;
		else
			done += (size_t)w;
	}
}

static int bf_open(bfile *f, const char *path, const cr_key *key)
{
	memset(f, 0, sizeof *f);
	f->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	f->cap = 1 << 20;
	f->buf = cr_malloc(f->cap);
	if (key) {
		const char *base = strrchr(path, '/');
		cr_crypt_w_init(&f->cw, key, base ? base + 1 : path);
		f->sealed = 1;
		f->sbuf = cr_malloc(CR_CRYPT_BLOCK + CR_SEAL_OVERHEAD);
	}
	if (f->fd < 0 || !f->buf || (key && !f->sbuf)) {
		if (f->fd >= 0)
			close(f->fd);
		cr_free(f->buf);
		cr_free(f->sbuf);
		f->fd = -1;
		f->buf = NULL;
		f->sbuf = NULL;
		return -1;
	}
	if (key)
		bf_put(f, f->cw.hdr, CR_CRYPT_HDR);
	return f->err ? -1 : 0;
}

/* Writes the buffer out; sealed, all but the last block's worth (at
 * least one byte or, at close, everything, with the last block final). */
static void bf_flush_to(bfile *f, int closing)
{
	if (!f->sealed) {
		bf_put(f, f->buf, f->len);
		f->len = 0;
		return;
	}
	size_t at = 0;
	while (!f->err && (f->len - at > CR_CRYPT_BLOCK || closing)) {
		size_t n = CR_MIN(f->len - at, (size_t)CR_CRYPT_BLOCK);
		int final = closing && at + n == f->len;
		cr_crypt_w_block(&f->cw, f->buf + at, n, final, f->sbuf);
		bf_put(f, f->sbuf, n + CR_SEAL_OVERHEAD);
		at += n;
		if (final)
			break;
	}
	memmove(f->buf, f->buf + at, f->len - at);
	f->len -= at;
}

static void bf_flush(bfile *f)
{
	bf_flush_to(f, 0);
}

static void bf_write(bfile *f, const void *p, size_t n)
{
	f->off += n;
	if (f->err || !n)
		return;
	const uint8_t *src = p;
	if (f->len + n > f->cap && !f->sealed) {
		bf_flush(f);
		if (n > f->cap) {
			bf_put(f, src, n);
			return;
		}
	}
	while (f->len + n > f->cap && !f->err) { /* sealed: in pieces through the buffer */
		size_t k = f->cap - f->len;
		memcpy(f->buf + f->len, src, k);
		f->len += k;
		src += k;
		n -= k;
		bf_flush(f);
	}
	if (f->err)
		return; /* a failed flush keeps the buffer full */
	memcpy(f->buf + f->len, src, n);
	f->len += n;
}

static void bf_align8(bfile *f)
{
	static const uint8_t zero[8];
	if (f->off & 7)
		bf_write(f, zero, 8 - (f->off & 7));
}

static int bf_close(bfile *f, int sync)
{
	int rc = 0;
	if (f->fd >= 0) {
		bf_flush_to(f, 1);
		if (!f->err && sync && fsync(f->fd) < 0)
			f->err = errno;
		if (close(f->fd) < 0 && !f->err)
			f->err = errno;
		f->fd = -1;
		rc = f->err ? -1 : 0;
	}
	if (f->sealed && f->buf)
		cr_wipe(f->buf, f->cap);
	cr_free(f->buf);
	cr_free(f->sbuf);
	f->buf = NULL;
	f->sbuf = NULL;
	return rc;
}

struct cr_ix_segw {
	char idx_path[4096], pos_path[4096];
	bfile idx, pos;
	uint32_t n_docs;
	const uint8_t *norms;
	uint64_t post_start;
	/* current term */
	int in_term;
	uint32_t term_off, term_len;
	uint32_t df;
	int64_t prev_last;
	uint64_t term_pos_start, block_pos_start;
	int nb;
	uint32_t docs[CR_IX_BLOCK], tft[CR_IX_BLOCK], tfb[CR_IX_BLOCK];
	cr_ix_impact bimp, timp;
	cr_buf skip, data;
	/* dictionary */
	cr_buf terms, tblob;
	cr_err err;
};

void cr_ix_seg_path(char *out, size_t n, const char *dir, uint64_t seg_no, const char *ext)
{
	snprintf(out, n, "%s/seg_%06llu.%s", dir, (unsigned long long)seg_no, ext);
}

cr_err cr_ix_segw_open(const char *dir, const cr_key *key, uint64_t seg_no, uint32_t n_docs, const uint8_t *norms,
		       cr_ix_segw **out, cr_msg *m)
{
	cr_ix_segw *w = cr_calloc(1, sizeof *w);
	if (!w)
		return cr_fail(m, CR_ENOMEM, "index: out of memory");
	cr_ix_seg_path(w->idx_path, sizeof w->idx_path, dir, seg_no, "idx");
	cr_ix_seg_path(w->pos_path, sizeof w->pos_path, dir, seg_no, "pos");
	w->idx.fd = w->pos.fd = -1;
	if (bf_open(&w->idx, w->idx_path, key) < 0 || bf_open(&w->pos, w->pos_path, key) < 0) {
		cr_err e = cr_fail(m, CR_EIO, "index: cannot create %s: %s", w->idx_path, strerror(errno));
		cr_ix_segw_abort(w);
		return e;
	}
	w->n_docs = n_docs;
	w->norms = norms;
	cr_buf_init(&w->skip, 0);
	cr_buf_init(&w->data, 0);
	cr_buf_init(&w->terms, 0);
	cr_buf_init(&w->tblob, 0);
	bf_write(&w->idx, "CRIXSEG1", 8);
	w->post_start = w->idx.off;
	*out = w;
	return CR_OK;
}

cr_err cr_ix_segw_term_begin(cr_ix_segw *w, const uint8_t *term, uint32_t len)
{
	if (w->err)
		return w->err;
	CR_ASSERT(!w->in_term);
	if (len > CR_IX_MAX_TERM)
		len = CR_IX_MAX_TERM;
	w->in_term = 1;
	w->term_off = (uint32_t)w->tblob.len;
	w->term_len = len;
	if (w->tblob.len + len > UINT32_MAX || cr_buf_add(&w->tblob, term, len))
		return w->err = CR_ENOMEM;
	w->df = 0;
	w->prev_last = -1;
	w->nb = 0;
	w->term_pos_start = w->pos.off;
	cr_buf_reset(&w->skip);
	cr_buf_reset(&w->data);
	cr_ix_impact_reset(&w->timp);
	return CR_OK;
}

static void flush_block(cr_ix_segw *w)
{
	int n = w->nb;
	if (!n)
		return;
	uint32_t delta[CR_IX_BLOCK];
	uint32_t maxd = 0, maxb = 0, maxt = 0;
	int64_t prev = w->prev_last;
	for (int i = 0; i < n; i++) {
		delta[i] = (uint32_t)((int64_t)w->docs[i] - prev - 1);
		prev = w->docs[i];
		maxd |= delta[i];
		maxb |= w->tfb[i];
		maxt |= w->tft[i];
	}
	int bd = cr_ix_bits(maxd), bb = cr_ix_bits(maxb), bt = cr_ix_bits(maxt);
	size_t need = 4 + cr_ix_packed_bytes(n, bd) + cr_ix_packed_bytes(n, bb) + cr_ix_packed_bytes(n, bt);
	uint8_t skip[CR_IX_SKIP_SIZE];
	cr_ix_wr32(skip, w->docs[n - 1]);
	cr_ix_wr32(skip + 4, (uint32_t)w->data.len);
	cr_ix_wr32(skip + 8, (uint32_t)(w->block_pos_start - w->term_pos_start));
	cr_ix_impact_put(skip + 12, &w->bimp);
	if (cr_buf_add(&w->skip, skip, sizeof skip) || cr_buf_reserve(&w->data, need)) {
		w->err = CR_ENOMEM;
		return;
	}
	uint8_t *o = (uint8_t *)w->data.data + w->data.len;
	o[0] = (uint8_t)n;
	o[1] = (uint8_t)bd;
	o[2] = (uint8_t)bb;
	o[3] = (uint8_t)bt;
	o += 4;
	cr_ix_pack(delta, n, bd, o);
	o += cr_ix_packed_bytes(n, bd);
	cr_ix_pack(w->tfb, n, bb, o);
	o += cr_ix_packed_bytes(n, bb);
	cr_ix_pack(w->tft, n, bt, o);
	w->data.len += need;
	w->data.data[w->data.len] = 0;
	cr_ix_impact_merge(&w->timp, &w->bimp);
	w->prev_last = w->docs[n - 1];
	w->nb = 0;
}

cr_err cr_ix_segw_add(cr_ix_segw *w, uint32_t doc, uint32_t tf_t, uint32_t tf_b, const uint32_t *pos)
{
	if (w->err)
		return w->err;
	CR_ASSERT(w->in_term && doc < w->n_docs && (int64_t)doc > (w->nb ? (int64_t)w->docs[w->nb - 1] : w->prev_last));
	CR_ASSERT(tf_t + tf_b > 0);
	if (w->nb == 0) {
		w->block_pos_start = w->pos.off;
		cr_ix_impact_reset(&w->bimp);
	}
	w->docs[w->nb] = doc;
	w->tft[w->nb] = tf_t;
	w->tfb[w->nb] = tf_b;
	w->nb++;
	w->df++;
	cr_ix_impact_add(&w->bimp, tf_t, w->norms[doc], tf_b, w->norms[w->n_docs + doc]);
	uint8_t tmp[5 * 64];
	size_t k = 0;
	uint32_t prev = 0, npos = tf_t + tf_b;
	for (uint32_t i = 0; i < npos; i++) {
		CR_ASSERT(pos[i] >= prev);
		k += (size_t)cr_ix_varint_put(tmp + k, pos[i] - prev);
		prev = pos[i];
		if (k > sizeof tmp - 5) {
			bf_write(&w->pos, tmp, k);
			k = 0;
		}
	}
	bf_write(&w->pos, tmp, k);
	if (w->nb == CR_IX_BLOCK)
		flush_block(w);
	return w->err;
}

cr_err cr_ix_segw_term_end(cr_ix_segw *w)
{
	if (w->err)
		return w->err;
	CR_ASSERT(w->in_term);
	w->in_term = 0;
	if (!w->df) {
		w->tblob.len = w->term_off; /* nothing live: drop the term */
		return CR_OK;
	}
	flush_block(w);
	if (w->err)
		return w->err;
	if (w->data.len > UINT32_MAX || w->pos.off - w->term_pos_start > UINT32_MAX ||
	    w->skip.len + w->data.len > UINT32_MAX)
		return w->err = CR_ETOOBIG;
	uint8_t rec[CR_IX_TERM_SIZE];
	memset(rec, 0, sizeof rec);
	cr_ix_wr64(rec, w->idx.off - w->post_start);
	cr_ix_wr64(rec + 8, w->term_pos_start);
	cr_ix_wr32(rec + 16, (uint32_t)(w->skip.len + w->data.len));
	cr_ix_wr32(rec + 20, w->df);
	cr_ix_wr32(rec + 24, w->term_off);
	cr_ix_wr16(rec + 28, (uint16_t)w->term_len);
	cr_ix_impact_put(rec + 32, &w->timp);
	bf_write(&w->idx, w->skip.data, w->skip.len);
	bf_write(&w->idx, w->data.data, w->data.len);
	if (cr_buf_add(&w->terms, rec, sizeof rec))
		return w->err = CR_ENOMEM;
	return CR_OK;
}

static int cmp_by_id(const void *a, const void *b, void *ctx)
{
	const uint8_t *attrs = ctx;
	uint64_t x = cr_ix_rd64(attrs + (size_t)*(const uint32_t *)a * CR_IX_ATTR_SIZE);
	uint64_t y = cr_ix_rd64(attrs + (size_t)*(const uint32_t *)b * CR_IX_ATTR_SIZE);
	if (x != y)
		return x < y ? -1 : 1;
	return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
}

cr_err cr_ix_segw_finish(cr_ix_segw *w, const uint8_t *attrs, const uint8_t *strs, size_t strs_len,
			 const uint32_t *groups, size_t n_groups, cr_msg *m)
{
	cr_err e = w->err;
	uint32_t *perm = NULL;
	if (e)
		goto fail;
	CR_ASSERT(!w->in_term);
	uint64_t post_len = w->idx.off - w->post_start;
	bf_align8(&w->idx);
	uint64_t attrs_off = w->idx.off;
	bf_write(&w->idx, attrs, (size_t)w->n_docs * CR_IX_ATTR_SIZE);
	uint64_t norms_off = w->idx.off;
	bf_write(&w->idx, w->norms, (size_t)w->n_docs * 2);
	bf_align8(&w->idx);
	uint64_t strs_off = w->idx.off;
	bf_write(&w->idx, strs, strs_len);
	bf_align8(&w->idx);
	uint64_t groups_off = w->idx.off;
	bf_write(&w->idx, groups, n_groups * 4);
	uint64_t perm_off = w->idx.off;
	perm = cr_malloc((size_t)(w->n_docs ? w->n_docs : 1) * 4);
	if (!perm) {
		e = CR_ENOMEM;
		goto fail;
	}
	uint64_t sum_lt = 0, sum_lb = 0;
	for (uint32_t i = 0; i < w->n_docs; i++) {
		perm[i] = i;
		sum_lt += cr_ix_rd32(attrs + (size_t)i * CR_IX_ATTR_SIZE + CR_IX_ATTR_LENT);
		sum_lb += cr_ix_rd32(attrs + (size_t)i * CR_IX_ATTR_SIZE + CR_IX_ATTR_LENB);
	}
	qsort_r(perm, w->n_docs, 4, cmp_by_id, (void *)attrs);
	bf_write(&w->idx, perm, (size_t)w->n_docs * 4);
	bf_align8(&w->idx);
	uint64_t terms_off = w->idx.off;
	bf_write(&w->idx, w->terms.data, w->terms.len);
	uint64_t tblob_off = w->idx.off;
	bf_write(&w->idx, w->tblob.data, w->tblob.len);
	bf_align8(&w->idx);
	uint8_t f[CR_IX_FOOTER_SIZE];
	memset(f, 0, sizeof f);
	memcpy(f, "CRIXFOOT", 8);
	cr_ix_wr32(f + 8, 1);
	cr_ix_wr32(f + 12, w->n_docs);
	cr_ix_wr32(f + 16, (uint32_t)(w->terms.len / CR_IX_TERM_SIZE));
	cr_ix_wr64(f + 24, w->post_start);
	cr_ix_wr64(f + 32, post_len);
	cr_ix_wr64(f + 40, attrs_off);
	cr_ix_wr64(f + 48, norms_off);
	cr_ix_wr64(f + 56, strs_off);
	cr_ix_wr64(f + 64, strs_len);
	cr_ix_wr64(f + 72, groups_off);
	cr_ix_wr64(f + 80, n_groups);
	cr_ix_wr64(f + 88, perm_off);
	cr_ix_wr64(f + 96, terms_off);
	cr_ix_wr64(f + 104, tblob_off);
	cr_ix_wr64(f + 112, w->tblob.len);
	cr_ix_wr64(f + 120, sum_lt);
	cr_ix_wr64(f + 128, sum_lb);
	cr_ix_wr64(f + 136, w->pos.off);
	cr_ix_wr64(f + 152, cr_hash64(f, 152, 0x5e6));
	bf_write(&w->idx, f, sizeof f);
	cr_free(perm);
	perm = NULL;
	int rc1 = bf_close(&w->idx, 1), rc2 = bf_close(&w->pos, 1);
	if (rc1 || rc2) {
		e = cr_fail(m, CR_EIO, "index: writing %s: %s", w->idx_path, strerror(rc1 ? w->idx.err : w->pos.err));
		unlink(w->idx_path);
		unlink(w->pos_path);
		goto out;
	}
	e = CR_OK;
	goto out;
fail:
	cr_free(perm);
	bf_close(&w->idx, 0);
	bf_close(&w->pos, 0);
	unlink(w->idx_path);
	unlink(w->pos_path);
	cr_fail(m, e, "index: cannot write segment %s", w->idx_path);
out:
	cr_buf_release(&w->skip);
	cr_buf_release(&w->data);
	cr_buf_release(&w->terms);
	cr_buf_release(&w->tblob);
	cr_free(w);
	return e;
}

void cr_ix_segw_abort(cr_ix_segw *w)
{
	if (!w)
		return;
	bf_close(&w->idx, 0);
	bf_close(&w->pos, 0);
	unlink(w->idx_path);
	unlink(w->pos_path);
	cr_buf_release(&w->skip);
	cr_buf_release(&w->data);
	cr_buf_release(&w->terms);
	cr_buf_release(&w->tblob);
	cr_free(w);
}
