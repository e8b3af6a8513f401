/*
 * file.c — an index on disk: one file, written atomically (temporary file,
 * fsync, rename) and read back through a read-only mapping. The byte layout
 * is in vector.h. Opening checks everything a search will trust: the header's
 * hash, every section's offset and length against the file's, each level,
 * link count and link target, the entry point and the scales, so a truncated
 * or corrupt file is a CR_ECORRUPT with the reason, never a crash. The check
 * reads every link once (about n·(2m+1) words: ~130 MB at 1M vectors, m 16).
 *
 * Encrypted at rest (a key), the same bytes go out through a sealed file
 * (crypt.h) a 64 KiB block at a time, and come back opened into memory.
 */
#include "vector_int.h"
#include "cristal/crypt.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { S_VEC, S_SCALE, S_IDS, S_LEVEL, S_LINKS0, S_UPAT, S_UPPER, N_SEC };

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static uint64_t align64(uint64_t x) { return (x + 63) & ~(uint64_t)63; }

/* Section sizes in bytes for an index of this shape; 0 where absent. */
static int sizes(uint64_t n, uint64_t dim, uint64_t m, uint64_t m0, uint64_t n_upper, int graph, uint64_t sz[N_SEC])
{
	/* every product below stays far from 2^64 with these bounds */
	if (n > CR_VEC_NONE || dim > CR_VEC_MAX_DIM || m > 1024 || m0 > 2048 || n_upper > CR_VEC_NONE)
		return -1;
	sz[S_VEC] = n * dim;
	sz[S_SCALE] = n * 4;
	sz[S_IDS] = n * 8;
	sz[S_LEVEL] = graph ? n : 0;
	sz[S_LINKS0] = graph ? n * (m0 + 1) * 4 : 0;
	sz[S_UPAT] = graph ? n * 4 : 0;
	sz[S_UPPER] = graph ? n_upper * (m + 1) * 4 : 0;
	return 0;
}

/* The file's bytes, plain or sealed a block at a time (the last block,
 * never empty here, held back until close so it can be marked final). */
typedef struct vwriter {
	FILE *f;
	int ok;
	cr_crypt_w cw;
	uint8_t *buf, *sbuf; /* sealed only: one block of plaintext, one sealed */
	size_t len;
} vwriter;

static void vw_seal(vwriter *w, int final)
{
	cr_crypt_w_block(&w->cw, w->buf, w->len, final, w->sbuf);
	w->ok = w->ok && fwrite(w->sbuf, 1, w->len + CR_SEAL_OVERHEAD, w->f) == w->len + CR_SEAL_OVERHEAD;
	w->len = 0;
}

static void vw_write(vwriter *w, const void *p, size_t n)
{
	if (!w->buf) {
		w->ok = w->ok && fwrite(p, 1, n, w->f) == n;
		return;
	}
	const uint8_t *s = p;
	while (n && w->ok) {
		if (w->len == CR_CRYPT_BLOCK)
			vw_seal(w, 0); /* more is coming: not the last block */
		size_t k = CR_MIN(n, CR_CRYPT_BLOCK - w->len);
		memcpy(w->buf + w->len, s, k);
		w->len += k;
		s += k;
		n -= k;
	}
}

cr_err cr_vec_index_save(const cr_vec_index *ix, const char *path, cr_msg *m)
{
	return cr_vec_index_save_key(ix, path, NULL, m);
}

cr_err cr_vec_index_save_key(const cr_vec_index *ix, const char *path, const cr_key *key, cr_msg *m)
{
	uint64_t sz[N_SEC], off[N_SEC];
	int graph = ix->has_graph;
	if (sizes(ix->n, (uint64_t)ix->dim, (uint64_t)ix->m, (uint64_t)ix->m0, ix->n_upper, graph, sz))
		return cr_fail(m, CR_ETOOBIG, "vector: index too large to save");
	uint64_t pos = CR_VEC_HDR;
	for (int i = 0; i < N_SEC; i++) {
		pos = align64(pos);
		off[i] = pos;
		pos += sz[i];
	}
	uint64_t flen = pos;
	uint8_t h[CR_VEC_HDR];
	memset(h, 0, sizeof h);
	memcpy(h, CR_VEC_MAGIC, 8);
	put32(h + 8, CR_VEC_VERSION);
	put32(h + 12, (uint32_t)ix->dim);
	put64(h + 16, ix->n);
	put32(h + 24, (uint32_t)ix->m);
	put32(h + 28, (uint32_t)ix->m0);
	put32(h + 32, graph ? (uint32_t)ix->max_level : CR_VEC_NONE);
	put32(h + 36, graph ? ix->entry : CR_VEC_NONE);
	put32(h + 40, graph ? 1u : 0u);
	for (int i = 0; i < N_SEC; i++)
		put64(h + 48 + 8 * i, sz[i] ? off[i] : flen);
	put64(h + 104, graph ? ix->n_upper : 0);
	put64(h + 112, flen);
	put64(h + 120, cr_hash64(h, 120, 0));

	const void *src[N_SEC] = {ix->vec, ix->scale, ix->ids, ix->level, ix->links0, ix->upper_at, ix->upper};
	size_t plen = strlen(path);
	char *tmp = cr_malloc(plen + 32);
	if (!tmp)
		return CR_ENOMEM;
	snprintf(tmp, plen + 32, "%s.tmp.%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "wb");
	if (!f) {
		cr_err e = cr_fail(m, CR_EIO, "vector: %s: %s", tmp, strerror(errno));
		cr_free(tmp);
		return e;
	}
	static const uint8_t zero[64];
	vwriter w = {.f = f, .ok = 1};
	if (key) {
		const char *base = strrchr(path, '/');
		cr_crypt_w_init(&w.cw, key, base ? base + 1 : path);
		w.buf = cr_malloc(CR_CRYPT_BLOCK);
		w.sbuf = cr_malloc(CR_CRYPT_BLOCK + CR_SEAL_OVERHEAD);
		w.ok = w.buf && w.sbuf && fwrite(w.cw.hdr, 1, CR_CRYPT_HDR, f) == CR_CRYPT_HDR;
	}
	vw_write(&w, h, sizeof h);
	pos = CR_VEC_HDR;
	for (int i = 0; i < N_SEC && w.ok; i++) {
		if (!sz[i])
			continue;
		if (off[i] > pos)
			vw_write(&w, zero, off[i] - pos);
		vw_write(&w, src[i], sz[i]);
		pos = off[i] + sz[i];
	}
	if (w.ok && flen > pos)
		vw_write(&w, zero, flen - pos);
	if (key && w.ok)
		vw_seal(&w, 1);
	if (w.buf)
		cr_wipe(w.buf, CR_CRYPT_BLOCK);
	cr_free(w.buf);
	cr_free(w.sbuf);
	int ok = w.ok && fflush(f) == 0 && fsync(fileno(f)) == 0;
	ok = (fclose(f) == 0) && ok;
	if (!ok || rename(tmp, path) != 0) {
		cr_err e = cr_fail(m, CR_EIO, "vector: writing %s: %s", path, strerror(errno));
		unlink(tmp);
		cr_free(tmp);
		return e;
	}
	cr_free(tmp);
	return CR_OK;
}

cr_err cr_vec_index_from_bytes(const uint8_t *p, size_t len, cr_vec_index **out, cr_msg *m)
{
	*out = NULL;
	if ((uintptr_t)p % 8)
		return cr_fail(m, CR_EINVAL, "vector index: bytes must be 8-byte aligned");
	if (len < CR_VEC_HDR)
		return cr_fail(m, CR_ECORRUPT, "vector index: truncated: %zu bytes, a header is %u", len, CR_VEC_HDR);
	if (memcmp(p, CR_VEC_MAGIC, 8))
		return cr_fail(m, CR_ECORRUPT, "vector index: not a vector index (bad magic)");
	if (get64(p + 120) != cr_hash64(p, 120, 0))
		return cr_fail(m, CR_ECORRUPT, "vector index: header checksum mismatch");
	uint32_t ver = get32(p + 8), dim = get32(p + 12), mm = get32(p + 24), m0 = get32(p + 28);
	uint32_t max_level = get32(p + 32), entry = get32(p + 36), flags = get32(p + 40);
	uint64_t n = get64(p + 16), n_upper = get64(p + 104), flen = get64(p + 112);
	if (ver != CR_VEC_VERSION)
		return cr_fail(m, CR_EUNSUPPORTED, "vector index: version %u (this build reads %u)", ver, CR_VEC_VERSION);
	if (flen != len)
		return cr_fail(m, CR_ECORRUPT, "vector index: truncated or extended: %zu bytes, header says %llu", len,
			       (unsigned long long)flen);
	int graph = flags & 1;
	if (flags & ~1u || dim < 1 || dim > CR_VEC_MAX_DIM || (graph && (mm < 2 || mm > 128 || m0 != 2 * mm)))
		return cr_fail(m, CR_ECORRUPT, "vector index: bad shape (dim %u, m %u, m0 %u, flags %u)", dim, mm, m0, flags);
	uint64_t sz[N_SEC], off[N_SEC];
	if (sizes(n, dim, mm, m0, n_upper, graph, sz))
		return cr_fail(m, CR_ECORRUPT, "vector index: counts out of range (n %llu)", (unsigned long long)n);
	for (int i = 0; i < N_SEC; i++) {
		off[i] = get64(p + 48 + 8 * i);
		if (off[i] % 64 && sz[i])
			return cr_fail(m, CR_ECORRUPT, "vector index: section %d misaligned", i);
		if (off[i] < CR_VEC_HDR || off[i] > len || sz[i] > len - off[i])
			return cr_fail(m, CR_ECORRUPT, "vector index: section %d outside the file (truncated?)", i);
	}
	if (graph && n && (entry >= n || max_level >= CR_VEC_MAX_LEVEL))
		return cr_fail(m, CR_ECORRUPT, "vector index: bad entry point %u or top level %u", entry, max_level);
	cr_vec_index *ix = cr_calloc(1, sizeof *ix);
	if (!ix)
		return CR_ENOMEM;
	ix->dim = (int)dim;
	ix->m = (int)mm;
	ix->m0 = (int)m0;
	ix->n = ix->cap = n;
	ix->vec = (int8_t *)(p + off[S_VEC]);
	ix->scale = (float *)(p + off[S_SCALE]);
	ix->ids = (uint64_t *)(p + off[S_IDS]);
	ix->built = 1;
	ix->mapped = 1;
	ix->entry = CR_VEC_NONE;
	ix->max_level = -1;
	for (uint64_t i = 0; i < n; i++)
		if (!isfinite(ix->scale[i]))
			goto bad_scale;
	if (graph && n) {
		ix->level = (uint8_t *)(p + off[S_LEVEL]);
		ix->links0 = (uint32_t *)(p + off[S_LINKS0]);
		ix->upper_at = (uint32_t *)(p + off[S_UPAT]);
		ix->upper = (uint32_t *)(p + off[S_UPPER]);
		ix->n_upper = n_upper;
		ix->entry = entry;
		ix->max_level = (int)max_level;
		if (ix->level[entry] != max_level) {
			cr_fail(m, CR_ECORRUPT, "vector index: entry point %u is not on the top level", entry);
			goto fail;
		}
		for (uint64_t i = 0; i < n; i++) {
			uint32_t L = ix->level[i];
			if (L > max_level || (uint64_t)ix->upper_at[i] + L > n_upper) {
				cr_fail(m, CR_ECORRUPT, "vector index: node %llu: bad level %u", (unsigned long long)i, L);
				goto fail;
			}
			for (uint32_t l = 0; l <= L; l++) {
				const uint32_t *lst = cr_vec_links(ix, (uint32_t)i, (int)l);
				uint32_t cnt = lst[0], cap = l ? mm : m0;
				if (cnt > cap) {
					cr_fail(m, CR_ECORRUPT, "vector index: node %llu: %u links on layer %u (at most %u)",
						(unsigned long long)i, cnt, l, cap);
					goto fail;
				}
				for (uint32_t j = 0; j < cnt; j++)
					if (lst[1 + j] >= n || (l && ix->level[lst[1 + j]] < l)) {
						cr_fail(m, CR_ECORRUPT, "vector index: node %llu: bad link on layer %u",
							(unsigned long long)i, l);
						goto fail;
					}
			}
		}
		ix->has_graph = 1;
	}
	*out = ix;
	return CR_OK;
bad_scale:
	cr_fail(m, CR_ECORRUPT, "vector index: a scale is not finite");
fail:
	cr_free(ix);
	return CR_ECORRUPT;
}

cr_err cr_vec_index_open(const char *path, cr_vec_index **out, cr_msg *m)
{
	return cr_vec_index_open_key(path, NULL, out, m);
}

cr_err cr_vec_index_open_key(const char *path, const cr_key *key, cr_vec_index **out, cr_msg *m)
{
	*out = NULL;
	cr_mmap mm;
	cr_err e = cr_mmap_open(&mm, path, m);
	if (e)
		return e;
	int sealed = cr_crypt_is_sealed(mm.data, mm.len);
	if (sealed != (key != NULL)) {
		cr_mmap_close(&mm);
		return key ? cr_fail(m, CR_ECORRUPT, "vector: %s: not encrypted in an encrypted data directory", path)
			   : cr_fail(m, CR_EDENIED, "vector: %s is encrypted; set the data key", path);
	}
	if (key) {
		size_t n = 0;
		uint8_t *p = NULL;
		cr_msg em = {{0}};
		const char *base = strrchr(path, '/');
		if (!(e = cr_crypt_plain_size(mm.data, mm.len, &n, &em))) {
			if (!(p = cr_malloc(n ? n : 1)))
				e = cr_fail(&em, CR_ENOMEM, "out of memory");
			else
				e = cr_crypt_open(key, base ? base + 1 : path, mm.data, mm.len, p, &em);
		}
		cr_mmap_close(&mm);
		if (e) {
			cr_free(p);
			return cr_fail(m, e, "vector: %s: %s", path, em.text);
		}
		cr_vec_index *ix = NULL;
		if ((e = cr_vec_index_from_bytes(p, n, &ix, m))) {
			cr_wipe(p, n);
			cr_free(p);
			return e;
		}
		ix->mm.data = p;
		ix->mm.len = n;
		ix->heap = 1;
		*out = ix;
		return CR_OK;
	}
	cr_vec_index *ix = NULL;
	if ((e = cr_vec_index_from_bytes(mm.data, mm.len, &ix, m))) {
		cr_mmap_close(&mm);
		return e;
	}
	ix->mm = mm;
	*out = ix;
	return CR_OK;
}
