/*
 * compress.c — gzip, bzip2 and xz compressed single files (changelog.gz,
 * NEWS.bz2, notes.txt.xz), decompressed so that the inner file is read by
 * its own format (extract.c picks it from the name without the suffix and
 * the bytes).
 *
 * The bomb limits are those of zip containers (cr_extract_limits): the
 * output stops at max_unzip_bytes (and max_file_bytes, since the result is
 * then read as a file) and at max_ratio times the compressed size (with a
 * floor of 1 MiB, so tiny files of repeated bytes still open). Output is
 * produced 64 KiB at a time and the count checked after each step, so a
 * bomb costs at most the limit plus one step, never its full size. The
 * deadline and cancel token are read between steps. Concatenated members
 * (gzip, bzip2 and xz all allow them) are read in turn.
 */
#include "ingest_int.h"

#include <bzlib.h>
#include <lzma.h>
#include <string.h>
#include <zlib.h>

#define STEP (64u << 10)

const char *cr_compressed_kind(const uint8_t *b, size_t n)
{
	if (n >= 3 && b[0] == 0x1f && b[1] == 0x8b && b[2] == 8)
		return "gzip";
	if (n >= 4 && b[0] == 'B' && b[1] == 'Z' && b[2] == 'h' && b[3] >= '1' && b[3] <= '9')
		return "bzip2";
	if (n >= 6 && memcmp(b, "\xFD" "7zXZ\0", 6) == 0)
		return "xz";
	return NULL;
}

/* The output limit for `len` compressed bytes. */
static size_t out_limit(const cr_extract_limits *lim, size_t len)
{
	size_t max = CR_MIN(lim->max_unzip_bytes, lim->max_file_bytes);
	size_t by_ratio = lim->max_ratio ? len * (size_t)lim->max_ratio : max;
	if (lim->max_ratio && by_ratio / lim->max_ratio != len)
		by_ratio = max; /* overflow */
	by_ratio = CR_MAX(by_ratio, (size_t)1 << 20);
	return CR_MIN(max, by_ratio);
}

/* Makes room for one more step in out; fails past the limit. */
static cr_err room(cr_xctx *x, const char *kind, cr_buf *out, size_t limit, size_t len, uint8_t **next, size_t *avail)
{
	if (out->len > limit)
		return cr_fail(x->m, CR_ETOOBIG,
			       "%s: inflates past %zu bytes from %zu (limit: %zu bytes, or %u times the compressed size)",
			       kind, limit, len, CR_MIN(x->lim->max_unzip_bytes, x->lim->max_file_bytes), x->lim->max_ratio);
	if (cr_x_expired(x))
		return cr_fail(x->m, CR_ETIMEOUT, "%s: time limit reached", kind);
	if (cr_buf_reserve(out, STEP))
		return cr_fail(x->m, CR_ENOMEM, "%s: out of memory", kind);
	*next = (uint8_t *)out->data + out->len;
	*avail = CR_MIN((size_t)STEP, out->alloc - out->len - 1);
	return CR_OK;
}

static cr_err gunzip(cr_xctx *x, const uint8_t *buf, size_t len, size_t limit, cr_buf *out)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		return cr_fail(x->m, CR_ENOMEM, "gzip: out of memory");
	cr_err e = CR_OK;
	size_t off = 0;
	while (off < len) {
		size_t take = CR_MIN(len - off, (size_t)UINT32_MAX);
		z.next_in = (Bytef *)(buf + off);
		z.avail_in = (uInt)take;
		int rc = Z_OK;
		while (rc != Z_STREAM_END) {
			uint8_t *next;
			size_t avail;
			if ((e = room(x, "gzip", out, limit, len, &next, &avail)))
				goto out;
			z.next_out = next;
			z.avail_out = (uInt)avail;
			rc = inflate(&z, Z_NO_FLUSH);
			out->len += avail - z.avail_out;
			if (rc == Z_BUF_ERROR && z.avail_in == 0) {
				e = cr_fail(x->m, CR_ECORRUPT, "gzip: truncated after %zu bytes", out->len);
				goto out;
			}
			if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
				e = cr_fail(x->m, CR_ECORRUPT, "gzip: %s", z.msg ? z.msg : "corrupt data");
				goto out;
			}
		}
		off += take - z.avail_in;
		/* another member, or trailing zeros (tar padding): stop at anything else */
		if (off >= len || !cr_compressed_kind(buf + off, len - off))
			break;
		inflateReset(&z);
	}
	if (out->len > limit)
		e = room(x, "gzip", out, limit, len, &(uint8_t *){0}, &(size_t){0});
out:
	inflateEnd(&z);
	return e;
}

static cr_err bunzip(cr_xctx *x, const uint8_t *buf, size_t len, size_t limit, cr_buf *out)
{
	cr_err e = CR_OK;
	size_t off = 0;
	while (off < len && cr_compressed_kind(buf + off, len - off)) {
		bz_stream z;
		memset(&z, 0, sizeof z);
		if (BZ2_bzDecompressInit(&z, 0, 0) != BZ_OK)
			return cr_fail(x->m, CR_ENOMEM, "bzip2: out of memory");
		size_t take = CR_MIN(len - off, (size_t)UINT32_MAX);
		z.next_in = (char *)(buf + off);
		z.avail_in = (unsigned)take;
		int rc = BZ_OK;
		while (rc != BZ_STREAM_END) {
			uint8_t *next;
			size_t avail;
			if ((e = room(x, "bzip2", out, limit, len, &next, &avail)))
				break;
			z.next_out = (char *)next;
			z.avail_out = (unsigned)avail;
			rc = BZ2_bzDecompress(&z);
			out->len += avail - z.avail_out;
			if (rc != BZ_OK && rc != BZ_STREAM_END) {
				e = cr_fail(x->m, CR_ECORRUPT, "bzip2: corrupt data (%d)", rc);
				break;
			}
			if (rc == BZ_OK && z.avail_in == 0 && z.avail_out != 0) {
				e = cr_fail(x->m, CR_ECORRUPT, "bzip2: truncated after %zu bytes", out->len);
				break;
			}
		}
		off += take - z.avail_in;
		BZ2_bzDecompressEnd(&z);
		if (e)
			return e;
	}
	if (out->len > limit)
		return room(x, "bzip2", out, limit, len, &(uint8_t *){0}, &(size_t){0});
	return CR_OK;
}

static cr_err unxz(cr_xctx *x, const uint8_t *buf, size_t len, size_t limit, cr_buf *out)
{
	lzma_stream z = LZMA_STREAM_INIT;
	/* the decoder's own memory (dictionary) is bounded too: 256 MiB */
	if (lzma_stream_decoder(&z, 256u << 20, LZMA_CONCATENATED) != LZMA_OK)
		return cr_fail(x->m, CR_ENOMEM, "xz: out of memory");
	cr_err e = CR_OK;
	z.next_in = buf;
	z.avail_in = len;
	lzma_action act = LZMA_RUN;
	for (;;) {
		uint8_t *next;
		size_t avail;
		if ((e = room(x, "xz", out, limit, len, &next, &avail)))
			break;
		if (z.avail_in == 0)
			act = LZMA_FINISH;
		z.next_out = next;
		z.avail_out = avail;
		lzma_ret rc = lzma_code(&z, act);
		out->len += avail - z.avail_out;
		if (rc == LZMA_STREAM_END)
			break;
		if (rc == LZMA_MEMLIMIT_ERROR) {
			e = cr_fail(x->m, CR_ETOOBIG, "xz: the decoder needs more than 256 MiB of memory");
			break;
		}
		if (rc != LZMA_OK) {
			e = cr_fail(x->m, CR_ECORRUPT, "xz: %s", rc == LZMA_BUF_ERROR ? "truncated" : "corrupt data");
			break;
		}
	}
	if (!e && out->len > limit)
		e = room(x, "xz", out, limit, len, &(uint8_t *){0}, &(size_t){0});
	lzma_end(&z);
	return e;
}

cr_err cr_decompress(cr_xctx *x, const char *kind, const uint8_t *buf, size_t len, cr_buf *out)
{
	size_t limit = out_limit(x->lim, len);
	cr_err e;
	if (!strcmp(kind, "gzip"))
		e = gunzip(x, buf, len, limit, out);
	else if (!strcmp(kind, "bzip2"))
		e = bunzip(x, buf, len, limit, out);
	else if (!strcmp(kind, "xz"))
		e = unxz(x, buf, len, limit, out);
	else
		e = cr_fail(x->m, CR_EUNSUPPORTED, "%s: not a compression this reads", kind);
	if (!e && out->alloc)
		out->data[out->len] = 0;
	return e;
}
