/*
 * gguf.c — the GGUF reader: opens a model or vocabulary file (mmap, or bytes
 * the caller keeps alive), validates every count, length, offset and size
 * against the bytes actually there, and answers metadata and tensor lookups
 * with pointers into the mapping (no copies of tensor data or strings).
 *
 * The byte layout is documented in gguf_int.h. Validation follows what
 * GGML's own gguf.cpp enforces (v2/v3 only, power-of-two alignment, aligned
 * tensor offsets, at most 4 dims, names under 64 bytes, no duplicate keys or
 * tensor names), so a file we accept is one llama.cpp accepts; a hostile
 * file gets CR_ECORRUPT with a one-line reason and at most O(file size)
 * memory. Opening costs one pass over the header (O(n_kv + n_tensors) plus
 * string arrays element by element: 150k tokens take ~1 ms).
 */
#include "gguf_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

typedef struct {
	const uint8_t *p, *end;
	cr_msg *m;
} rd;

static size_t rd_left(const rd *r) { return (size_t)(r->end - r->p); }

static int rd_u32(rd *r, uint32_t *v)
{
	if (rd_left(r) < 4)
		return 0;
	*v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 | (uint32_t)r->p[3] << 24;
	r->p += 4;
	return 1;
}

static int rd_u64(rd *r, uint64_t *v)
{
	if (rd_left(r) < 8)
		return 0;
	uint64_t x = 0;
	for (int i = 7; i >= 0; i--)
		x = x << 8 | r->p[i];
	*v = x;
	r->p += 8;
	return 1;
}

static int rd_str(rd *r, cr_gguf_str *s)
{
	uint64_t n;
	if (!rd_u64(r, &n) || n > rd_left(r))
		return 0;
	s->p = (const char *)r->p;
	s->n = n;
	r->p += n;
	return 1;
}

size_t cr_gguf_vtype_size(cr_gguf_vtype t)
{
	switch (t) {
	case CR_GV_U8: case CR_GV_I8: case CR_GV_BOOL: return 1;
	case CR_GV_U16: case CR_GV_I16: return 2;
	case CR_GV_U32: case CR_GV_I32: case CR_GV_F32: return 4;
	case CR_GV_U64: case CR_GV_I64: case CR_GV_F64: return 8;
	default: return 0;
	}
}

const char *cr_gguf_vtype_name(cr_gguf_vtype t)
{
	static const char *names[] = {"u8", "i8", "u16", "i16", "u32", "i32", "f32",
				      "bool", "string", "array", "u64", "i64", "f64"};
	return (unsigned)t < CR_ARRAY_LEN(names) ? names[t] : "unknown";
}

/* Shows at most 64 bytes of a name from the file in a message. */
#define SHOWN(s) (int)((s).n > 64 ? 64 : (s).n), (s).p

static cr_err parse_value(rd *r, cr_gguf_kv *kv, uint32_t type)
{
	if (type > CR_GV_F64)
		return cr_fail(r->m, CR_ECORRUPT, "gguf: key '%.*s' has unknown value type %u", SHOWN(kv->key), type);
	kv->type = (cr_gguf_vtype)type;
	kv->n = 1;
	if (type == CR_GV_STRING) {
		kv->strs = cr_malloc(sizeof *kv->strs);
		if (!kv->strs)
			return CR_ENOMEM;
		kv->val = r->p;
		if (!rd_str(r, kv->strs))
			return cr_fail(r->m, CR_ECORRUPT, "gguf: string value of '%.*s' extends past end of file",
				       SHOWN(kv->key));
		return CR_OK;
	}
	if (type != CR_GV_ARRAY) {
		size_t sz = cr_gguf_vtype_size(kv->type);
		if (rd_left(r) < sz)
			return cr_fail(r->m, CR_ECORRUPT, "gguf: value of '%.*s' extends past end of file", SHOWN(kv->key));
		kv->val = r->p;
		r->p += sz;
		return CR_OK;
	}
	uint32_t et;
	uint64_t n;
	if (!rd_u32(r, &et) || !rd_u64(r, &n))
		return cr_fail(r->m, CR_ECORRUPT, "gguf: array header of '%.*s' extends past end of file", SHOWN(kv->key));
	if (et == CR_GV_ARRAY)
		return cr_fail(r->m, CR_EUNSUPPORTED, "gguf: key '%.*s' is an array of arrays (not supported)",
			       SHOWN(kv->key));
	if (et > CR_GV_F64)
		return cr_fail(r->m, CR_ECORRUPT, "gguf: array '%.*s' has unknown element type %u", SHOWN(kv->key), et);
	kv->elem = (cr_gguf_vtype)et;
	kv->n = n;
	kv->val = r->p;
	if (et != CR_GV_STRING) {
		size_t sz = cr_gguf_vtype_size(kv->elem);
		if (n > rd_left(r) / sz)
			return cr_fail(r->m, CR_ECORRUPT,
				       "gguf: array '%.*s' (%llu elements) extends past end of file", SHOWN(kv->key),
				       (unsigned long long)n);
		r->p += n * sz;
		return CR_OK;
	}
	/* Each string takes at least its 8-byte length. */
	if (n > rd_left(r) / 8)
		return cr_fail(r->m, CR_ECORRUPT, "gguf: string array '%.*s' (%llu elements) extends past end of file",
			       SHOWN(kv->key), (unsigned long long)n);
	kv->strs = cr_malloc((size_t)(n ? n : 1) * sizeof *kv->strs);
	if (!kv->strs)
		return CR_ENOMEM;
	for (uint64_t i = 0; i < n; i++)
		if (!rd_str(r, &kv->strs[i]))
			return cr_fail(r->m, CR_ECORRUPT, "gguf: element %llu of string array '%.*s' extends past end of file",
				       (unsigned long long)i, SHOWN(kv->key));
	return CR_OK;
}

static uint32_t name_hash(const char *p, size_t n) { return (uint32_t)cr_hash64(p, n, 0x67677566); }

/* Builds an open-addressing table of names: CR_OK, CR_ENOMEM, or CR_EEXIST
 * with the index of the first duplicate in *dup. */
static cr_err build_hash(const cr_gguf_str *(*get)(const cr_gguf *, size_t), const cr_gguf *g, size_t n,
			 uint32_t **out, size_t *cap_out, size_t *dup)
{
	size_t cap = 16;
	while (cap < n * 2)
		cap <<= 1;
	uint32_t *h = cr_calloc(cap, sizeof *h);
	if (!h)
		return CR_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const cr_gguf_str *s = get(g, i);
		size_t j = name_hash(s->p, s->n) & (cap - 1);
		while (h[j]) {
			const cr_gguf_str *o = get(g, h[j] - 1);
			if (o->n == s->n && !memcmp(o->p, s->p, s->n)) {
				cr_free(h);
				*dup = i;
				return CR_EEXIST;
			}
			j = (j + 1) & (cap - 1);
		}
		h[j] = (uint32_t)i + 1;
	}
	*out = h;
	*cap_out = cap;
	return CR_OK;
}

static const cr_gguf_str *kv_name(const cr_gguf *g, size_t i) { return &g->kv[i].key; }
static const cr_gguf_str *t_name(const cr_gguf *g, size_t i) { return &g->tensors[i].name; }

static cr_err parse(cr_gguf *g, cr_msg *m)
{
	rd r = {g->base, g->base + g->len, m};
	uint32_t magic, version;
	if (!rd_u32(&r, &magic) || magic != CR_GGUF_MAGIC)
		return cr_fail(m, CR_ECORRUPT, "gguf: not a GGUF file (bad magic)");
	if (!rd_u32(&r, &version))
		return cr_fail(m, CR_ECORRUPT, "gguf: truncated header");
	if (version == 1)
		return cr_fail(m, CR_EUNSUPPORTED, "gguf: version 1 files are not supported (convert to v3)");
	if (version != 2 && version != 3)
		return cr_fail(m, CR_EUNSUPPORTED, "gguf: unknown version %u (expected 2 or 3)", version);
	g->version = version;
	uint64_t n_tensors, n_kv;
	if (!rd_u64(&r, &n_tensors) || !rd_u64(&r, &n_kv))
		return cr_fail(m, CR_ECORRUPT, "gguf: truncated header");
	/* A kv takes at least 8 (key length) + 4 (type) + 1 bytes. */
	if (n_kv > rd_left(&r) / 13)
		return cr_fail(m, CR_ECORRUPT, "gguf: %llu metadata keys cannot fit in the file", (unsigned long long)n_kv);
	/* A tensor info takes at least 8 + 4 + 8 + 4 + 8 bytes. */
	if (n_tensors > rd_left(&r) / 32 || n_tensors >= UINT32_MAX)
		return cr_fail(m, CR_ECORRUPT, "gguf: %llu tensors cannot fit in the file", (unsigned long long)n_tensors);

	g->kv = cr_calloc(n_kv ? n_kv : 1, sizeof *g->kv);
	if (!g->kv)
		return CR_ENOMEM;
	g->alignment = CR_GGUF_DEFAULT_ALIGNMENT;
	for (uint64_t i = 0; i < n_kv; i++) {
		cr_gguf_kv *kv = &g->kv[i];
		uint32_t type;
		if (!rd_str(&r, &kv->key))
			return cr_fail(m, CR_ECORRUPT, "gguf: key %llu extends past end of file", (unsigned long long)i);
		g->n_kv = i + 1;
		if (!rd_u32(&r, &type))
			return cr_fail(m, CR_ECORRUPT, "gguf: type of '%.*s' extends past end of file", SHOWN(kv->key));
		cr_err e = parse_value(&r, kv, type);
		if (e)
			return e;
		if (kv->key.n == 17 && !memcmp(kv->key.p, "general.alignment", 17)) {
			if (kv->type != CR_GV_U32)
				return cr_fail(m, CR_ECORRUPT, "gguf: general.alignment has type %s (expected u32)",
					       cr_gguf_vtype_name(kv->type));
			uint32_t a;
			memcpy(&a, kv->val, 4);
			if (a == 0 || (a & (a - 1)))
				return cr_fail(m, CR_ECORRUPT, "gguf: general.alignment %u is not a power of two", a);
			g->alignment = a;
		}
	}
	uint32_t *kh = NULL;
	size_t kcap = 0;
	size_t dup = 0;
	cr_err he = build_hash(kv_name, g, g->n_kv, &kh, &kcap, &dup);
	if (he == CR_ENOMEM)
		return he;
	if (he)
		return cr_fail(m, CR_ECORRUPT, "gguf: duplicate key '%.*s'", SHOWN(g->kv[dup].key));
	cr_free(kh);

	g->tensors = cr_calloc(n_tensors ? n_tensors : 1, sizeof *g->tensors);
	if (!g->tensors)
		return CR_ENOMEM;
	for (uint64_t i = 0; i < n_tensors; i++) {
		cr_gguf_tensor *t = &g->tensors[i];
		uint32_t nd, type;
		if (!rd_str(&r, &t->name))
			return cr_fail(m, CR_ECORRUPT, "gguf: name of tensor %llu extends past end of file",
				       (unsigned long long)i);
		g->n_tensors = i + 1;
		if (t->name.n >= CR_GGUF_MAX_NAME)
			return cr_fail(m, CR_ECORRUPT, "gguf: tensor name '%.*s...' is %llu bytes (max %d)", SHOWN(t->name),
				       (unsigned long long)t->name.n, CR_GGUF_MAX_NAME - 1);
		if (!rd_u32(&r, &nd))
			return cr_fail(m, CR_ECORRUPT, "gguf: tensor '%.*s' info extends past end of file", SHOWN(t->name));
		if (nd > 4)
			return cr_fail(m, CR_ECORRUPT, "gguf: tensor '%.*s' has %u dimensions (at most 4)", SHOWN(t->name), nd);
		t->n_dims = nd;
		for (int d = 0; d < 4; d++)
			t->ne[d] = 1;
		for (uint32_t d = 0; d < nd; d++) {
			uint64_t v;
			if (!rd_u64(&r, &v))
				return cr_fail(m, CR_ECORRUPT, "gguf: tensor '%.*s' info extends past end of file",
					       SHOWN(t->name));
			if (v > INT64_MAX)
				return cr_fail(m, CR_ECORRUPT, "gguf: tensor '%.*s' has a negative dimension", SHOWN(t->name));
			t->ne[d] = (int64_t)v;
		}
		if (!rd_u32(&r, &type) || !rd_u64(&r, &t->offset))
			return cr_fail(m, CR_ECORRUPT, "gguf: tensor '%.*s' info extends past end of file", SHOWN(t->name));
		int blck;
		size_t bb;
		if (!cr_ttype_ggml_geom(type, &blck, &bb, NULL))
			return cr_fail(m, CR_ECORRUPT, "gguf: tensor '%.*s' has unknown type %u", SHOWN(t->name), type);
		t->type = (cr_ttype)type;
		if (t->ne[0] % blck)
			return cr_fail(m, CR_ECORRUPT, "gguf: tensor '%.*s': row of %lld elements is not a multiple of the %s block (%d)",
				       SHOWN(t->name), (long long)t->ne[0], cr_ttype_name(t->type), blck);
		/* bytes = ne0/blck*bb * ne1 * ne2 * ne3, checked for overflow. */
		uint64_t bytes = (uint64_t)(t->ne[0] / blck);
		int ovf = __builtin_mul_overflow(bytes, (uint64_t)bb, &bytes);
		uint64_t nel = (uint64_t)t->ne[0];
		for (int d = 1; d < 4; d++) {
			ovf |= __builtin_mul_overflow(bytes, (uint64_t)t->ne[d], &bytes);
			ovf |= __builtin_mul_overflow(nel, (uint64_t)t->ne[d], &nel);
		}
		if (ovf || nel > INT64_MAX || bytes > SIZE_MAX)
			return cr_fail(m, CR_ECORRUPT, "gguf: tensor '%.*s' is too large", SHOWN(t->name));
		t->bytes = (size_t)bytes;
		if (t->offset % g->alignment)
			return cr_fail(m, CR_ECORRUPT, "gguf: tensor '%.*s' offset %llu is not a multiple of the alignment %u",
				       SHOWN(t->name), (unsigned long long)t->offset, g->alignment);
	}
	uint32_t *th = NULL;
	size_t tcap = 0;
	he = build_hash(t_name, g, g->n_tensors, &th, &tcap, &dup);
	if (he == CR_ENOMEM)
		return he;
	if (he)
		return cr_fail(m, CR_ECORRUPT, "gguf: duplicate tensor '%.*s'", SHOWN(g->tensors[dup].name));
	g->thash = th;
	g->thash_cap = tcap;

	/* Tensors follow each other in order, each padded to the alignment
	 * (GGML refuses any other layout). */
	uint64_t expect = 0;
	for (size_t i = 0; i < g->n_tensors; i++) {
		const cr_gguf_tensor *t = &g->tensors[i];
		if (t->offset != expect)
			return cr_fail(m, CR_ECORRUPT, "gguf: tensor '%.*s' has offset %llu, expected %llu", SHOWN(t->name),
				       (unsigned long long)t->offset, (unsigned long long)expect);
		uint64_t padded = (uint64_t)t->bytes + (g->alignment - t->bytes % g->alignment) % g->alignment;
		if (padded < t->bytes || UINT64_MAX - expect < padded)
			return cr_fail(m, CR_ECORRUPT, "gguf: tensor '%.*s' is too large", SHOWN(t->name));
		expect += padded;
	}

	size_t pos = (size_t)(r.p - g->base);
	size_t data = pos + (g->alignment - pos % g->alignment) % g->alignment;
	g->data_offset = data;
	if (n_tensors == 0)
		return CR_OK; /* vocab-only files may end right after the metadata */
	if (data > g->len)
		return cr_fail(m, CR_ECORRUPT, "gguf: data section starts past end of file");
	size_t avail = g->len - data;
	for (size_t i = 0; i < g->n_tensors; i++) {
		cr_gguf_tensor *t = &g->tensors[i];
		if (t->offset > avail || t->bytes > avail - t->offset)
			return cr_fail(m, CR_ECORRUPT, "gguf: tensor '%.*s' extends past end of file", SHOWN(t->name));
		t->data = g->base + data + t->offset;
	}
	return CR_OK;
}

static cr_err open_common(cr_gguf *g, cr_gguf **out, cr_msg *m)
{
	cr_err e = parse(g, m);
	if (e) {
		if (e == CR_ENOMEM)
			cr_fail(m, e, "gguf: out of memory");
		cr_gguf_free(g);
		return e;
	}
	*out = g;
	return CR_OK;
}

cr_err cr_gguf_open_mem(const uint8_t *buf, size_t len, cr_gguf **out, cr_msg *m)
{
	*out = NULL;
	if (!buf && len)
		return cr_fail(m, CR_EINVAL, "gguf: NULL buffer");
	cr_gguf *g = cr_calloc(1, sizeof *g);
	if (!g)
		return cr_fail(m, CR_ENOMEM, "gguf: out of memory");
	g->base = buf;
	g->len = len;
	return open_common(g, out, m);
}

cr_err cr_gguf_open(const char *path, cr_gguf **out, cr_msg *m)
{
	*out = NULL;
	cr_gguf *g = cr_calloc(1, sizeof *g);
	if (!g)
		return cr_fail(m, CR_ENOMEM, "gguf: out of memory");
	cr_err e = cr_mmap_open(&g->mm, path, m);
	if (e) {
		cr_free(g);
		return e;
	}
	g->base = g->mm.data;
	g->len = g->mm.len;
	g->mapped = 1;
	e = open_common(g, out, m);
	if (e && m) {
		/* Prefix the path so the reason says which file. */
		char tmp[sizeof m->text];
		memcpy(tmp, m->text, sizeof tmp);
		snprintf(m->text, sizeof m->text, "%.150s: %.350s", path, tmp);
	}
	return e;
}

void cr_gguf_free(cr_gguf *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->n_kv; i++)
		cr_free(g->kv[i].strs);
	cr_free(g->kv);
	cr_free(g->tensors);
	cr_free(g->thash);
	cr_mmap_close(&g->mm);
	if (g->data_copy)
		munmap(g->data_copy, g->data_copy_len);
	cr_free(g);
}

static int thp_disabled(void)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	if (!f)
		return 1;
	char buf[128] = "";
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	return strstr(buf, "[never]") != NULL;
}

cr_err cr_gguf_load_data(cr_gguf *g, int *moved, const uint8_t **from, cr_msg *m)
{
	if (moved)
		*moved = 0;
	if (!g->mapped || g->data_copy || g->n_tensors == 0 || g->data_offset >= g->len || g->keep_mapped ||
	    thp_disabled())
		return CR_OK;
	const size_t huge = (size_t)2 << 20;
	size_t len = g->len - g->data_offset;
	size_t span = (len + huge - 1) / huge * huge;
	/* over-allocate by one huge page and trim, so the copy starts on a
	 * 2 MiB boundary (the untouched slack costs address space only) */
	uint8_t *raw = mmap(NULL, span + huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		return cr_fail(m, CR_ENOMEM, "gguf: cannot reserve %zu MB for the weights: %s", len >> 20,
			       strerror(errno));
	uint8_t *p = (uint8_t *)(((uintptr_t)raw + huge - 1) & ~(uintptr_t)(huge - 1));
	if (p > raw)
		munmap(raw, (size_t)(p - raw));
	if (p + span < raw + span + huge)
		munmap(p + span, (size_t)(raw + span + huge - (p + span)));
	madvise(p, span, MADV_HUGEPAGE);
	/* copied from the validated mapping itself (not re-read by path, which
	 * could name another file by now), a window at a time, each window's
	 * source pages dropped from the resident set once copied */
	const uint8_t *src = g->base + g->data_offset;
	madvise((void *)g->base, g->len, MADV_SEQUENTIAL);
	const size_t win = (size_t)2 << 20;
	for (size_t done = 0; done < len; done += win) {
		size_t n = CR_MIN(win, len - done);
		memcpy(p + done, src + done, n);
		uintptr_t a = ((uintptr_t)(src + done) + 4095) & ~(uintptr_t)4095;
		uintptr_t b = ((uintptr_t)(src + done + n)) & ~(uintptr_t)4095;
		if (b > a)
			madvise((void *)a, b - a, MADV_DONTNEED);
	}
	const uint8_t *old = g->base + g->data_offset;
	for (size_t i = 0; i < g->n_tensors; i++)
		g->tensors[i].data = p + ((const uint8_t *)g->tensors[i].data - old);
	g->data_copy = p;
	g->data_copy_len = span;
	/* the pages of the mapping this process touched (metadata, read by the
	 * tokenizer at load) leave the resident set; a later read faults them
	 * back in from the page cache */
	madvise((void *)g->base, g->len, MADV_DONTNEED);
	madvise((void *)g->base, g->len, MADV_NORMAL);
	if (moved)
		*moved = 1;
	if (from)
		*from = old;
	return CR_OK;
}

uint32_t cr_gguf_version(const cr_gguf *g) { return g->version; }
size_t cr_gguf_n_kv(const cr_gguf *g) { return g->n_kv; }

cr_gguf_str cr_gguf_key_name(const cr_gguf *g, size_t i)
{
	cr_gguf_str none = {"", 0};
	return i < g->n_kv ? g->kv[i].key : none;
}

cr_gguf_vtype cr_gguf_key_type(const cr_gguf *g, size_t i) { return i < g->n_kv ? g->kv[i].type : CR_GV_U8; }

int64_t cr_gguf_find_key(const cr_gguf *g, const char *key)
{
	size_t n = strlen(key);
	for (size_t i = 0; i < g->n_kv; i++)
		if (g->kv[i].key.n == n && !memcmp(g->kv[i].key.p, key, n))
			return (int64_t)i;
	return -1;
}

const cr_gguf_kv *cr_gguf_kv_find(const cr_gguf *g, const char *key)
{
	int64_t i = cr_gguf_find_key(g, key);
	return i < 0 ? NULL : &g->kv[i];
}

int cr_gguf_kv_num(const cr_gguf_kv *kv, uint64_t i, double *f, int64_t *v)
{
	cr_gguf_vtype t = kv->type == CR_GV_ARRAY ? kv->elem : kv->type;
	size_t sz = cr_gguf_vtype_size(t);
	if (!sz || i >= kv->n)
		return 0;
	const uint8_t *p = kv->val + i * sz;
	uint8_t b[8];
	memcpy(b, p, sz);
	uint64_t u = 0;
	for (size_t k = sz; k-- > 0;)
		u = u << 8 | b[k];
	double d;
	int64_t s;
	switch (t) {
	case CR_GV_U8: case CR_GV_U16: case CR_GV_U32: case CR_GV_BOOL:
		s = (int64_t)u, d = (double)u;
		break;
	case CR_GV_U64:
		s = u > INT64_MAX ? INT64_MAX : (int64_t)u, d = (double)u;
		break;
	case CR_GV_I8: s = (int8_t)u, d = (double)s; break;
	case CR_GV_I16: s = (int16_t)u, d = (double)s; break;
	case CR_GV_I32: s = (int32_t)u, d = (double)s; break;
	case CR_GV_I64: s = (int64_t)u, d = (double)s; break;
	case CR_GV_F32: {
		uint32_t w = (uint32_t)u;
		float x;
		memcpy(&x, &w, 4);
		d = x;
		s = 0;
		break;
	}
	case CR_GV_F64: memcpy(&d, &u, 8); s = 0; break;
	default: return 0;
	}
	if (f)
		*f = d;
	if (v)
		*v = s;
	return 1;
}

static int is_int(cr_gguf_vtype t)
{
	return t <= CR_GV_I32 || t == CR_GV_U64 || t == CR_GV_I64;
}

cr_err cr_gguf_get_str(const cr_gguf *g, const char *key, cr_gguf_str *out)
{
	const cr_gguf_kv *kv = cr_gguf_kv_find(g, key);
	if (!kv)
		return CR_ENOTFOUND;
	if (kv->type != CR_GV_STRING)
		return CR_EINVAL;
	*out = kv->strs[0];
	return CR_OK;
}

cr_err cr_gguf_get_i64(const cr_gguf *g, const char *key, int64_t *out)
{
	const cr_gguf_kv *kv = cr_gguf_kv_find(g, key);
	if (!kv)
		return CR_ENOTFOUND;
	if (!is_int(kv->type))
		return CR_EINVAL;
	if (kv->type == CR_GV_U64) {
		uint64_t u;
		memcpy(&u, kv->val, 8);
		if (u > INT64_MAX)
			return CR_EINVAL;
	}
	return cr_gguf_kv_num(kv, 0, NULL, out) ? CR_OK : CR_EINVAL;
}

cr_err cr_gguf_get_f64(const cr_gguf *g, const char *key, double *out)
{
	const cr_gguf_kv *kv = cr_gguf_kv_find(g, key);
	if (!kv)
		return CR_ENOTFOUND;
	if (kv->type == CR_GV_BOOL || !cr_gguf_vtype_size(kv->type))
		return CR_EINVAL;
	return cr_gguf_kv_num(kv, 0, out, NULL) ? CR_OK : CR_EINVAL;
}

cr_err cr_gguf_get_bool(const cr_gguf *g, const char *key, int *out)
{
	const cr_gguf_kv *kv = cr_gguf_kv_find(g, key);
	if (!kv)
		return CR_ENOTFOUND;
	if (kv->type != CR_GV_BOOL && !is_int(kv->type))
		return CR_EINVAL;
	int64_t v;
	if (!cr_gguf_kv_num(kv, 0, NULL, &v))
		return CR_EINVAL;
	*out = v != 0;
	return CR_OK;
}

cr_err cr_gguf_get_arr(const cr_gguf *g, const char *key, cr_gguf_vtype *elem, uint64_t *n)
{
	const cr_gguf_kv *kv = cr_gguf_kv_find(g, key);
	if (!kv)
		return CR_ENOTFOUND;
	if (kv->type != CR_GV_ARRAY)
		return CR_EINVAL;
	if (elem)
		*elem = kv->elem;
	if (n)
		*n = kv->n;
	return CR_OK;
}

cr_err cr_gguf_arr_str(const cr_gguf *g, const char *key, uint64_t i, cr_gguf_str *out)
{
	const cr_gguf_kv *kv = cr_gguf_kv_find(g, key);
	if (!kv)
		return CR_ENOTFOUND;
	if (kv->type != CR_GV_ARRAY || kv->elem != CR_GV_STRING || i >= kv->n)
		return CR_EINVAL;
	*out = kv->strs[i];
	return CR_OK;
}

cr_err cr_gguf_arr_i64(const cr_gguf *g, const char *key, uint64_t i, int64_t *out)
{
	const cr_gguf_kv *kv = cr_gguf_kv_find(g, key);
	if (!kv)
		return CR_ENOTFOUND;
	if (kv->type != CR_GV_ARRAY || !(is_int(kv->elem) || kv->elem == CR_GV_BOOL))
		return CR_EINVAL;
	return cr_gguf_kv_num(kv, i, NULL, out) ? CR_OK : CR_EINVAL;
}

cr_err cr_gguf_arr_f64(const cr_gguf *g, const char *key, uint64_t i, double *out)
{
	const cr_gguf_kv *kv = cr_gguf_kv_find(g, key);
	if (!kv)
		return CR_ENOTFOUND;
	if (kv->type != CR_GV_ARRAY || kv->elem == CR_GV_STRING || kv->elem == CR_GV_BOOL)
		return CR_EINVAL;
	return cr_gguf_kv_num(kv, i, out, NULL) ? CR_OK : CR_EINVAL;
}

size_t cr_gguf_n_tensors(const cr_gguf *g) { return g->n_tensors; }

const cr_gguf_tensor *cr_gguf_tensor_at(const cr_gguf *g, size_t i)
{
	return i < g->n_tensors ? &g->tensors[i] : NULL;
}

const cr_gguf_tensor *cr_gguf_tensor_find(const cr_gguf *g, const char *name)
{
	if (!g->thash)
		return NULL;
	size_t n = strlen(name);
	size_t j = name_hash(name, n) & (g->thash_cap - 1);
	while (g->thash[j]) {
		const cr_gguf_tensor *t = &g->tensors[g->thash[j] - 1];
		if (t->name.n == n && !memcmp(t->name.p, name, n))
			return t;
		j = (j + 1) & (g->thash_cap - 1);
	}
	return NULL;
}
