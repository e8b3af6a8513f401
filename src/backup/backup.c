/*
 * backup.c — the archive of a data directory (backup.h has the format):
 * written from a corpus snapshot (corpus.h cr_corpus_snapshot), read back
 * by restore into a fresh directory or checked in memory.
 *
 * The reader is one loop over 512-byte blocks fed by a source (a file or
 * memory) that hands each entry's bytes to a sink (files in a directory,
 * or nothing); every entry is hashed as it passes, and the closing JSON is
 * checked against what passed. Cost: one pass over the archive; memory:
 * one 64 KiB buffer plus the JSON (at most 64 MiB).
 */
#define _GNU_SOURCE
#include "cristal/backup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BLOCK 512
#define BUF (64 << 10)
#define META_NAME "cristal-backup.json"
#define META_MAX ((size_t)64 << 20)
#define MAX_ENTRIES 100000
#define FORMAT "cristal-backup-1"

/* ---- names ------------------------------------------------------------- */

/* [A-Za-z0-9][A-Za-z0-9_.-]* with no "..", optionally under index/ or
 * vectors/ — what a data directory holds, and nothing that could leave
 * it. */
static int name_ok(const char *n)
{
	const char *base = n;
	if (!strncmp(n, "index/", 6))
		base = n + 6;
	else if (!strncmp(n, "vectors/", 8))
		base = n + 8;
	size_t len = strlen(base);
	if (!len || len > 90 || strstr(base, ".."))
		return 0;
	if (!((base[0] >= 'a' && base[0] <= 'z') || (base[0] >= 'A' && base[0] <= 'Z') ||
	      (base[0] >= '0' && base[0] <= '9')))
		return 0;
	return strspn(base, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == len;
}

/* ---- ustar headers ----------------------------------------------------- */

static void octal(char *field, size_t w, uint64_t v)
{
	/* w-1 digits and a NUL */
	field[w - 1] = 0;
	for (size_t i = w - 1; i-- > 0;) {
		field[i] = (char)('0' + (v & 7));
		v >>= 3;
	}
}

static void put_size(char *field, uint64_t v)
{
	if (v < (1ull << 33)) {
		octal(field, 12, v);
		return;
	}
	/* GNU base-256: high bit of the first byte set, big-endian value */
	memset(field, 0, 12);
	field[0] = (char)0x80;
	for (int i = 11; i >= 4; i--) {
		field[i] = (char)(v & 0xff);
		v >>= 8;
	}
}

static void header(uint8_t h[BLOCK], const char *name, uint64_t size, unsigned mode, int64_t mtime)
{
	memset(h, 0, BLOCK);
	char *c = (char *)h;
	snprintf(c, 100, "%s", name);
	octal(c + 100, 8, mode);
	octal(c + 108, 8, 0);
	octal(c + 116, 8, 0);
	put_size(c + 124, size);
	octal(c + 136, 12, (uint64_t)(mtime > 0 ? mtime : 0));
	c[156] = '0';
	memcpy(c + 257, "ustar", 6);
	memcpy(c + 263, "00", 2);
	memcpy(c + 148, "        ", 8);
	unsigned sum = 0;
	for (int i = 0; i < BLOCK; i++)
		sum += h[i];
	snprintf(c + 148, 8, "%06o", sum & 0777777);
	c[155] = ' ';
}

/* An octal field: optional leading spaces, digits, then NULs or spaces. */
static int parse_octal(const char *f, size_t w, uint64_t *out)
{
	size_t i = 0;
	while (i < w && f[i] == ' ')
		i++;
	uint64_t v = 0;
	size_t digits = 0;
	for (; i < w && f[i] >= '0' && f[i] <= '7'; i++, digits++) {
		if (v >> 60)
			return -1;
		v = v << 3 | (uint64_t)(f[i] - '0');
	}
	if (!digits)
		return -1;
	for (; i < w; i++)
		if (f[i] != 0 && f[i] != ' ')
			return -1;
	*out = v;
	return 0;
}

static int parse_size(const char *f, uint64_t *out)
{
	if ((unsigned char)f[0] == 0x80) {
		uint64_t v = 0;
		for (int i = 1; i < 4; i++)
			if (f[i])
				return -1;
		for (int i = 4; i < 12; i++)
			v = v << 8 | (unsigned char)f[i];
		if (v >> 62)
			return -1;
		*out = v;
		return 0;
	}
	return parse_octal(f, 12, out);
}

static int all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* Checks a header and gives its name and size; CR_ECORRUPT with why. */
static cr_err parse_header(const uint8_t h[BLOCK], uint64_t at, char name[101], uint64_t *size, cr_msg *m)
{
	const char *c = (const char *)h;
	uint64_t want;
	if (parse_octal(c + 148, 8, &want))
		return cr_fail(m, CR_ECORRUPT, "backup: header at byte %llu: bad checksum field", (unsigned long long)at);
	uint64_t sum = 0;
	for (int i = 0; i < BLOCK; i++)
		sum += (i >= 148 && i < 156) ? (unsigned)' ' : h[i];
	if (sum != want)
		return cr_fail(m, CR_ECORRUPT, "backup: header at byte %llu: checksum mismatch (not an archive, or damaged)",
			       (unsigned long long)at);
	if (memcmp(c + 257, "ustar", 5))
		return cr_fail(m, CR_ECORRUPT, "backup: header at byte %llu: not a ustar header", (unsigned long long)at);
	if (c[156] != '0' && c[156] != 0)
		return cr_fail(m, CR_ECORRUPT, "backup: entry at byte %llu: type '%c' (only regular files belong in a backup)",
			       (unsigned long long)at, c[156] >= 0x20 && c[156] < 0x7f ? c[156] : '?');
	if (!memchr(c, 0, 100) && c[99])
		return cr_fail(m, CR_ECORRUPT, "backup: entry at byte %llu: name not terminated", (unsigned long long)at);
	if (c[345])
		return cr_fail(m, CR_ECORRUPT, "backup: entry at byte %llu: long names do not belong in a backup",
			       (unsigned long long)at);
	memcpy(name, c, 100);
	name[100] = 0;
	if (parse_size(c + 124, size))
		return cr_fail(m, CR_ECORRUPT, "backup: entry at byte %llu: bad size field", (unsigned long long)at);
	return CR_OK;
}

/* ---- writing ----------------------------------------------------------- */

static cr_err write_all(int fd, const void *p, size_t n, const char *path, cr_msg *m)
{
	const uint8_t *b = p;
	while (n) {
		ssize_t w = write(fd, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return cr_fail(m, CR_EIO, "backup: writing %s: %s", path, w < 0 ? strerror(errno) : "no space");
		b += w;
		n -= (size_t)w;
	}
	return CR_OK;
}

static void hex(const unsigned char d[32], char out[65])
{
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* One entry from a descriptor: header, bytes (exactly size), padding. */
static cr_err put_entry(int out, const char *tmp, const char *name, int in, uint64_t size, unsigned mode,
			uint8_t *buf, char sha[65], cr_msg *m)
{
	uint8_t h[BLOCK];
	header(h, name, size, mode, (int64_t)time(NULL));
	cr_err e = write_all(out, h, BLOCK, tmp, m);
	if (e)
		return e;
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	uint64_t off = 0;
	while (off < size) {
		size_t want = (size_t)CR_MIN((uint64_t)BUF, size - off);
		ssize_t r = pread(in, buf, want, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return cr_fail(m, CR_EIO, "backup: reading %s: %s", name,
				       r < 0 ? strerror(errno) : "the file became shorter");
		crypto_hash_sha256_update(&st, buf, (size_t)r);
		if ((e = write_all(out, buf, (size_t)r, tmp, m)))
			return e;
		off += (uint64_t)r;
	}
	unsigned char d[32];
	crypto_hash_sha256_final(&st, d);
	hex(d, sha);
	size_t pad = (size_t)((BLOCK - size % BLOCK) % BLOCK);
	if (pad) {
		memset(buf, 0, pad);
		e = write_all(out, buf, pad, tmp, m);
	}
	return e;
}

static cr_err put_mem(int out, const char *tmp, const char *name, const void *p, size_t n, cr_msg *m)
{
	uint8_t h[BLOCK];
	header(h, name, n, 0600, (int64_t)time(NULL));
	cr_err e = write_all(out, h, BLOCK, tmp, m);
	if (!e)
		e = write_all(out, p, n, tmp, m);
	size_t pad = (BLOCK - n % BLOCK) % BLOCK;
	uint8_t z[BLOCK] = {0};
	if (!e && pad)
		e = write_all(out, z, pad, tmp, m);
	return e;
}

cr_err cr_backup_write(cr_corpus *c, const char *path, double wait_s, cr_backup_info *info, cr_msg *m)
{
	char tmp[4096], cat[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid());
	snprintf(cat, sizeof cat, "%s.catalog-%ld", path, (long)getpid());
	cr_corpus_snap snap;
	uint8_t *buf = NULL;
	json_t *meta = NULL, *files = NULL;
	char *meta_text = NULL;
	int out = -1;
	cr_err e = cr_corpus_snapshot(c, cat, wait_s, &snap, m);
	if (e)
		return e;
	if (!(buf = cr_malloc(BUF)) || !(meta = json_object()) || !(files = json_array())) {
		e = cr_fail(m, CR_ENOMEM, "out of memory");
		goto done;
	}
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0) {
		e = cr_fail(m, CR_EIO, "backup: %s: %s", tmp, strerror(errno));
		goto done;
	}
	cr_backup_info inf = {0};
	for (size_t i = 0; i < snap.n; i++) {
		const cr_corpus_snap_file *f = &snap.files[i];
		char sha[65];
		unsigned mode = !strncmp(f->name, "audit.key", 9) && strcmp(f->name, "audit.key.pub") ? 0600 : 0644;
		if ((e = put_entry(out, tmp, f->name, f->fd, f->size, mode, buf, sha, m)))
			goto done;
		json_t *o = json_pack("{s:s, s:I, s:s}", "name", f->name, "size", (json_int_t)f->size, "sha256", sha);
		if (!o || json_array_append_new(files, o)) {
			e = cr_fail(m, CR_ENOMEM, "out of memory");
			goto done;
		}
		inf.n_files++;
		inf.bytes += f->size;
	}
	inf.max_chunk_id = snap.max_chunk_id;
	inf.index_max_id = (int64_t)snap.index_max_id;
	inf.wait_seconds = snap.wait_seconds;
	inf.lock_seconds = snap.lock_seconds;
	if (json_object_set_new(meta, "format", json_string(FORMAT)) ||
	    json_object_set_new(meta, "created", json_integer((json_int_t)time(NULL))) ||
	    json_object_set_new(meta, "max_chunk_id", json_integer(snap.max_chunk_id)) ||
	    json_object_set_new(meta, "index_max_id", json_integer((json_int_t)snap.index_max_id)) ||
	    json_object_set(meta, "files", files) || !(meta_text = json_dumps(meta, JSON_SORT_KEYS | JSON_INDENT(1)))) {
		e = cr_fail(m, CR_ENOMEM, "out of memory");
		goto done;
	}
	if ((e = put_mem(out, tmp, META_NAME, meta_text, strlen(meta_text), m)))
		goto done;
	memset(buf, 0, 2 * BLOCK);
	if ((e = write_all(out, buf, 2 * BLOCK, tmp, m)))
		goto done;
	if (fsync(out) || close(out)) {
		out = -1;
		e = cr_fail(m, CR_EIO, "backup: %s: %s", tmp, strerror(errno));
		goto done;
	}
	out = -1;
	if (rename(tmp, path)) {
		e = cr_fail(m, CR_EIO, "backup: %s: %s", path, strerror(errno));
		goto done;
	}
	/* the rename is durable once the directory is */
	char dir[4096];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = 0;
	int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	if (info)
		*info = inf;
done:
	if (out >= 0)
		close(out);
	if (e)
		unlink(tmp);
	free(meta_text);
	json_decref(files);
	json_decref(meta);
	cr_free(buf);
	cr_corpus_snapshot_release(&snap);
	return e;
}

/* ---- reading ----------------------------------------------------------- */

typedef struct src {
	/* exactly n bytes, or an error */
	cr_err (*read)(struct src *s, void *p, size_t n, cr_msg *m);
	int fd;
	const uint8_t *mem;
	size_t len, pos;
	uint64_t off; /* bytes consumed */
} src;

static cr_err src_mem(src *s, void *p, size_t n, cr_msg *m)
{
	if (s->len - s->pos < n)
		return cr_fail(m, CR_ECORRUPT, "backup: the archive ends early (at byte %zu)", s->len);
	memcpy(p, s->mem + s->pos, n);
	s->pos += n;
	s->off += n;
	return CR_OK;
}

static cr_err src_fd(src *s, void *p, size_t n, cr_msg *m)
{
	uint8_t *b = p;
	while (n) {
		ssize_t r = read(s->fd, b, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return cr_fail(m, CR_EIO, "backup: reading the archive: %s", strerror(errno));
		if (!r)
			return cr_fail(m, CR_ECORRUPT, "backup: the archive ends early (at byte %llu)",
				       (unsigned long long)s->off);
		b += r;
		n -= (size_t)r;
		s->off += (uint64_t)r;
	}
	return CR_OK;
}

/* Where entries go: a directory, or nowhere (check). */
typedef struct sink {
	const char *dir; /* NULL: check only */
	int fd;          /* the entry being written */
	char **made;     /* paths written, for clean-up */
	size_t n_made, cap_made;
	int made_index, made_vectors;
} sink;

typedef struct seen {
	char name[101];
	uint64_t size;
	char sha[65];
} seen;

static cr_err sink_open(sink *k, const char *name, cr_msg *m)
{
	k->fd = -1;
	if (!k->dir)
		return CR_OK;
	char path[4096];
	for (int i = 0; i < 2; i++) {
		const char *sub = i ? "vectors" : "index";
		int *made = i ? &k->made_vectors : &k->made_index;
		if (!strncmp(name, sub, strlen(sub)) && name[strlen(sub)] == '/' && !*made) {
			snprintf(path, sizeof path, "%s/%s", k->dir, sub);
			if (mkdir(path, 0700) && errno != EEXIST)
				return cr_fail(m, CR_EIO, "%s: %s", path, strerror(errno));
			*made = 1;
		}
	}
	snprintf(path, sizeof path, "%s/%s", k->dir, name);
	int mode = !strncmp(name, "audit.key", 9) && strcmp(name, "audit.key.pub") ? 0600 : 0644;
	if (k->n_made == k->cap_made) {
		size_t cap = k->cap_made ? k->cap_made * 2 : 64;
		char **nm = realloc(k->made, cap * sizeof *nm);
		if (!nm)
			return cr_fail(m, CR_ENOMEM, "out of memory");
		k->made = nm;
		k->cap_made = cap;
	}
	k->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (k->fd < 0)
		return cr_fail(m, CR_EIO, "%s: %s", path, strerror(errno));
	if (!(k->made[k->n_made++] = strdup(path)))
		return cr_fail(m, CR_ENOMEM, "out of memory");
	return CR_OK;
}

static cr_err sink_close(sink *k, cr_msg *m)
{
	if (k->fd < 0)
		return CR_OK;
	int bad = fsync(k->fd) | close(k->fd);
	k->fd = -1;
	return bad ? cr_fail(m, CR_EIO, "%s", strerror(errno)) : CR_OK;
}

static void sink_undo(sink *k)
{
	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
	for (size_t i = 0; i < k->n_made; i++)
		unlink(k->made[i]);
	if (k->dir) {
		char path[4096];
		if (k->made_index) {
			snprintf(path, sizeof path, "%s/index", k->dir);
			rmdir(path);
		}
		if (k->made_vectors) {
			snprintf(path, sizeof path, "%s/vectors", k->dir);
			rmdir(path);
		}
	}
}

static void sink_free(sink *k)
{
	for (size_t i = 0; i < k->n_made; i++)
		free(k->made[i]);
	free(k->made);
}

/* The closing JSON against the entries that passed. */
static cr_err check_meta(const char *text, size_t n, const seen *got, size_t n_got, cr_backup_info *inf, cr_msg *m)
{
	json_error_t je;
	json_t *j = json_loadb(text, n, JSON_REJECT_DUPLICATES, &je);
	cr_err e = CR_OK;
	if (!j || !json_is_object(j)) {
		e = cr_fail(m, CR_ECORRUPT, "backup: %s: %s", META_NAME, j ? "not an object" : je.text);
		goto done;
	}
	json_t *fmt = json_object_get(j, "format"), *files = json_object_get(j, "files");
	json_t *mc = json_object_get(j, "max_chunk_id"), *mi = json_object_get(j, "index_max_id");
	if (!json_is_string(fmt) || strcmp(json_string_value(fmt), FORMAT)) {
		e = cr_fail(m, CR_EUNSUPPORTED, "backup: not a %s archive", FORMAT);
		goto done;
	}
	if (!json_is_array(files) || !json_is_integer(mc) || !json_is_integer(mi)) {
		e = cr_fail(m, CR_ECORRUPT, "backup: %s: files, max_chunk_id or index_max_id missing", META_NAME);
		goto done;
	}
	if (json_array_size(files) != n_got) {
		e = cr_fail(m, CR_ECORRUPT, "backup: %s lists %zu files, the archive holds %zu", META_NAME,
			    json_array_size(files), n_got);
		goto done;
	}
	for (size_t i = 0; i < n_got; i++) {
		json_t *f = json_array_get(files, i);
		json_t *nm = json_object_get(f, "name"), *sz = json_object_get(f, "size"), *sh = json_object_get(f, "sha256");
		if (!json_is_string(nm) || !json_is_integer(sz) || !json_is_string(sh)) {
			e = cr_fail(m, CR_ECORRUPT, "backup: %s: entry %zu malformed", META_NAME, i);
			goto done;
		}
		if (strcmp(json_string_value(nm), got[i].name) || (uint64_t)json_integer_value(sz) != got[i].size) {
			e = cr_fail(m, CR_ECORRUPT, "backup: %s does not match the archive at %s", META_NAME, got[i].name);
			goto done;
		}
		if (strcmp(json_string_value(sh), got[i].sha)) {
			e = cr_fail(m, CR_ECORRUPT, "backup: %s: SHA-256 mismatch (the archive is damaged)", got[i].name);
			goto done;
		}
	}
	inf->max_chunk_id = json_integer_value(mc);
	inf->index_max_id = json_integer_value(mi);
done:
	json_decref(j);
	return e;
}

static cr_err read_archive(src *s, sink *k, cr_backup_info *info, cr_msg *m)
{
	uint8_t h[BLOCK];
	uint8_t *buf = cr_malloc(BUF);
	seen *got = NULL;
	size_t n_got = 0, cap_got = 0;
	cr_buf meta;
	cr_buf_init(&meta, META_MAX);
	int have_meta = 0, have_catalog = 0;
	cr_backup_info inf = {0};
	cr_err e = CR_OK;
	if (!buf)
		return cr_fail(m, CR_ENOMEM, "out of memory");
	for (;;) {
		uint64_t at = s->off;
		if ((e = s->read(s, h, BLOCK, m)))
			goto done;
		if (all_zero(h, BLOCK))
			break; /* the end (a second zero block may follow) */
		if (have_meta) {
			e = cr_fail(m, CR_ECORRUPT, "backup: entries after %s", META_NAME);
			goto done;
		}
		char name[101];
		uint64_t size;
		if ((e = parse_header(h, at, name, &size, m)))
			goto done;
		int is_meta = !strcmp(name, META_NAME);
		if (!is_meta && !name_ok(name)) {
			e = cr_fail(m, CR_ECORRUPT, "backup: entry '%.100s' is not a data directory's file", name);
			goto done;
		}
		for (size_t i = 0; i < n_got; i++)
			if (!strcmp(got[i].name, name)) {
				e = cr_fail(m, CR_ECORRUPT, "backup: %s appears twice", name);
				goto done;
			}
		if (n_got >= MAX_ENTRIES) {
			e = cr_fail(m, CR_ECORRUPT, "backup: more than %d entries", MAX_ENTRIES);
			goto done;
		}
		if (is_meta && size > META_MAX) {
			e = cr_fail(m, CR_ECORRUPT, "backup: %s is too large", META_NAME);
			goto done;
		}
		if (!is_meta && (e = sink_open(k, name, m)))
			goto done;
		crypto_hash_sha256_state st;
		crypto_hash_sha256_init(&st);
		uint64_t left = size;
		while (left) {
			size_t want = (size_t)CR_MIN((uint64_t)BUF, left);
			if ((e = s->read(s, buf, want, m)))
				goto done;
			if (is_meta) {
				if (cr_buf_add(&meta, buf, want)) {
					e = cr_fail(m, CR_ENOMEM, "out of memory");
					goto done;
				}
			} else {
				crypto_hash_sha256_update(&st, buf, want);
				if (k->fd >= 0 && (e = write_all(k->fd, buf, want, name, m)))
					goto done;
			}
			left -= want;
		}
		size_t pad = (size_t)((BLOCK - size % BLOCK) % BLOCK);
		if (pad && (e = s->read(s, buf, pad, m)))
			goto done;
		if (is_meta) {
			have_meta = 1;
			continue;
		}
		if ((e = sink_close(k, m)))
			goto done;
		if (n_got == cap_got) {
			size_t cap = cap_got ? cap_got * 2 : 64;
			seen *ng = realloc(got, cap * sizeof *ng);
			if (!ng) {
				e = cr_fail(m, CR_ENOMEM, "out of memory");
				goto done;
			}
			got = ng;
			cap_got = cap;
		}
		seen *g = &got[n_got++];
		snprintf(g->name, sizeof g->name, "%s", name);
		g->size = size;
		unsigned char d[32];
		crypto_hash_sha256_final(&st, d);
		hex(d, g->sha);
		have_catalog |= !strcmp(name, "catalog.db");
		inf.n_files++;
		inf.bytes += size;
	}
	if (!have_meta) {
		e = cr_fail(m, CR_ECORRUPT, "backup: no %s (not a Cristal backup, or cut short)", META_NAME);
		goto done;
	}
	if (!have_catalog) {
		e = cr_fail(m, CR_ECORRUPT, "backup: no catalog.db");
		goto done;
	}
	if ((e = check_meta(meta.data, meta.len, got, n_got, &inf, m)))
		goto done;
	if (info)
		*info = inf;
done:
	cr_buf_release(&meta);
	free(got);
	cr_free(buf);
	return e;
}

cr_err cr_backup_check(const uint8_t *p, size_t n, cr_backup_info *info, cr_msg *m)
{
	src s = {.read = src_mem, .fd = -1, .mem = p, .len = n};
	sink k = {.fd = -1};
	cr_err e = read_archive(&s, &k, info, m);
	sink_free(&k);
	return e;
}

/* 1: absent (created here), 0: an empty directory, -1: refused (m set). */
static int prepare_dir(const char *dir, cr_err *e, cr_msg *m)
{
	if (!mkdir(dir, 0700))
		return 1;
	if (errno != EEXIST) {
		*e = cr_fail(m, CR_EIO, "%s: %s", dir, strerror(errno));
		return -1;
	}
	DIR *d = opendir(dir);
	if (!d) {
		*e = cr_fail(m, CR_EEXIST, "%s exists and is not a directory", dir);
		return -1;
	}
	struct dirent *de;
	int empty = 1;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			empty = 0;
	closedir(d);
	if (!empty) {
		*e = cr_fail(m, CR_EEXIST,
			     "%s is not empty (restore goes into a new data directory; move the old one "
			     "aside first)",
			     dir);
		return -1;
	}
	return 0;
}

cr_err cr_backup_restore(const char *path, const char *data_dir, cr_backup_info *info, cr_msg *m)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cr_fail(m, errno == ENOENT ? CR_ENOTFOUND : CR_EIO, "%s: %s", path, strerror(errno));
	cr_err e = CR_OK;
	int created = prepare_dir(data_dir, &e, m);
	if (created < 0) {
		close(fd);
		return e;
	}
	src s = {.read = src_fd, .fd = fd};
	sink k = {.dir = data_dir, .fd = -1};
	e = read_archive(&s, &k, info, m);
	close(fd);
	if (e) {
		sink_undo(&k);
		if (created)
			rmdir(data_dir);
	} else {
		int dfd = open(data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
	sink_free(&k);
	return e;
}
