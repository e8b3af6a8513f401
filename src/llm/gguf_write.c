/*
 * gguf_write.c — the GGUF v3 writer: collects metadata and tensors in
 * memory, then writes the file in one pass (header, kv pairs, tensor infos,
 * padding, aligned tensor data) to a temporary file that is renamed into
 * place, so a reader never sees half a file. Layout in gguf_int.h.
 *
 * Used by the random-weight model generator (tools/) and the vocabulary
 * builder (tools/make_vocab_gguf.c). Values are serialized as they are set
 * (setting a key twice replaces it, keeping its position); tensor data is
 * copied, so memory use is the sum of the tensors. Alignment is 32 unless
 * general.alignment (u32, power of two) is set.
 */
#include "gguf_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
	char *key;
	uint32_t type;
	cr_buf val; /* serialized value (for arrays: elem type, count, elements) */
} wkv;

typedef struct {
	char *name;
	uint32_t type;
	uint32_t n_dims;
	int64_t ne[4];
	void *data;
	size_t bytes;
	uint64_t offset;
} wtensor;

struct cr_gguf_writer {
	wkv *kv;
	size_t n_kv, cap_kv;
	wtensor *t;
	size_t n_t, cap_t;
	uint32_t alignment;
};

cr_err cr_gguf_writer_new(cr_gguf_writer **out)
{
	*out = cr_calloc(1, sizeof **out);
	if (!*out)
		return CR_ENOMEM;
	(*out)->alignment = CR_GGUF_DEFAULT_ALIGNMENT;
	return CR_OK;
}

void cr_gguf_writer_free(cr_gguf_writer *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->n_kv; i++) {
		cr_free(w->kv[i].key);
		cr_buf_release(&w->kv[i].val);
	}
	for (size_t i = 0; i < w->n_t; i++) {
		cr_free(w->t[i].name);
		cr_free(w->t[i].data);
	}
	cr_free(w->kv);
	cr_free(w->t);
	cr_free(w);
}

static cr_err put_le(cr_buf *b, uint64_t v, int n)
{
	uint8_t x[8];
	for (int i = 0; i < n; i++)
		x[i] = (uint8_t)(v >> (8 * i));
	return cr_buf_add(b, x, (size_t)n);
}

static cr_err put_str(cr_buf *b, const char *s, size_t n)
{
	cr_err e = put_le(b, n, 8);
	return e ? e : cr_buf_add(b, s, n);
}

/* Returns the slot for key (new or replaced, value emptied), or NULL. */
static wkv *slot(cr_gguf_writer *w, const char *key, uint32_t type)
{
	if (!key)
		return NULL;
	for (size_t i = 0; i < w->n_kv; i++)
		if (!strcmp(w->kv[i].key, key)) {
			cr_buf_reset(&w->kv[i].val);
			w->kv[i].type = type;
			return &w->kv[i];
		}
	if (w->n_kv == w->cap_kv) {
		size_t nc = w->cap_kv ? w->cap_kv * 2 : 32;
		wkv *n = cr_realloc(w->kv, nc * sizeof *n);
		if (!n)
			return NULL;
		w->kv = n;
		w->cap_kv = nc;
	}
	wkv *s = &w->kv[w->n_kv];
	s->key = cr_strdup(key);
	if (!s->key)
		return NULL;
	s->type = type;
	cr_buf_init(&s->val, 0);
	w->n_kv++;
	return s;
}

static cr_err set_scalar(cr_gguf_writer *w, const char *key, uint32_t type, uint64_t bits, int n)
{
	wkv *s = slot(w, key, type);
	if (!s)
		return key ? CR_ENOMEM : CR_EINVAL;
	if (!strcmp(key, "general.alignment") && type == CR_GV_U32) {
		uint32_t a = (uint32_t)bits;
		if (a == 0 || (a & (a - 1)))
			return CR_EINVAL;
		w->alignment = a;
	}
	return put_le(&s->val, bits, n);
}

cr_err cr_gguf_writer_set_str(cr_gguf_writer *w, const char *key, const char *v)
{
	wkv *s = slot(w, key, CR_GV_STRING);
	if (!s)
		return key ? CR_ENOMEM : CR_EINVAL;
	return put_str(&s->val, v, strlen(v));
}

cr_err cr_gguf_writer_set_u32(cr_gguf_writer *w, const char *key, uint32_t v)
{
	return set_scalar(w, key, CR_GV_U32, v, 4);
}

cr_err cr_gguf_writer_set_i32(cr_gguf_writer *w, const char *key, int32_t v)
{
	return set_scalar(w, key, CR_GV_I32, (uint32_t)v, 4);
}

cr_err cr_gguf_writer_set_f32(cr_gguf_writer *w, const char *key, float v)
{
	uint32_t u;
	memcpy(&u, &v, 4);
	return set_scalar(w, key, CR_GV_F32, u, 4);
}

cr_err cr_gguf_writer_set_bool(cr_gguf_writer *w, const char *key, int v)
{
	return set_scalar(w, key, CR_GV_BOOL, v ? 1 : 0, 1);
}

static cr_err arr_head(cr_gguf_writer *w, const char *key, uint32_t elem, size_t n, wkv **out)
{
	wkv *s = slot(w, key, CR_GV_ARRAY);
	if (!s)
		return key ? CR_ENOMEM : CR_EINVAL;
	*out = s;
	cr_err e = put_le(&s->val, elem, 4);
	return e ? e : put_le(&s->val, n, 8);
}

cr_err cr_gguf_writer_set_arr_str(cr_gguf_writer *w, const char *key, const char *const *v, size_t n)
{
	wkv *s;
	cr_err e = arr_head(w, key, CR_GV_STRING, n, &s);
	for (size_t i = 0; !e && i < n; i++)
		e = put_str(&s->val, v[i], strlen(v[i]));
	return e;
}

cr_err cr_gguf_writer_set_arr_i32(cr_gguf_writer *w, const char *key, const int32_t *v, size_t n)
{
	wkv *s;
	cr_err e = arr_head(w, key, CR_GV_I32, n, &s);
	for (size_t i = 0; !e && i < n; i++)
		e = put_le(&s->val, (uint32_t)v[i], 4);
	return e;
}

cr_err cr_gguf_writer_set_arr_f32(cr_gguf_writer *w, const char *key, const float *v, size_t n)
{
	wkv *s;
	cr_err e = arr_head(w, key, CR_GV_F32, n, &s);
	for (size_t i = 0; !e && i < n; i++) {
		uint32_t u;
		memcpy(&u, &v[i], 4);
		e = put_le(&s->val, u, 4);
	}
	return e;
}

cr_err cr_gguf_writer_copy_kv(cr_gguf_writer *w, const cr_gguf *src, const char *key)
{
	const cr_gguf_kv *kv = cr_gguf_kv_find(src, key);
	if (!kv)
		return CR_ENOTFOUND;
	wkv *s = slot(w, key, kv->type);
	if (!s)
		return CR_ENOMEM;
	cr_err e = CR_OK;
	if (kv->type == CR_GV_STRING) {
		e = put_str(&s->val, kv->strs[0].p, kv->strs[0].n);
	} else if (kv->type == CR_GV_ARRAY) {
		e = put_le(&s->val, kv->elem, 4);
		if (!e)
			e = put_le(&s->val, kv->n, 8);
		if (kv->elem == CR_GV_STRING) {
			for (uint64_t i = 0; !e && i < kv->n; i++)
				e = put_str(&s->val, kv->strs[i].p, kv->strs[i].n);
		} else if (!e) {
			e = cr_buf_add(&s->val, kv->val, kv->n * cr_gguf_vtype_size(kv->elem));
		}
	} else {
		e = cr_buf_add(&s->val, kv->val, cr_gguf_vtype_size(kv->type));
		if (!e && !strcmp(key, "general.alignment") && kv->type == CR_GV_U32)
			w->alignment = src->alignment;
	}
	return e;
}

cr_err cr_gguf_writer_add_tensor(cr_gguf_writer *w, const char *name, cr_ttype type, uint32_t n_dims,
				 const int64_t ne[4], const void *data, size_t bytes)
{
	int blck;
	size_t bb;
	if (!name || strlen(name) >= CR_GGUF_MAX_NAME || n_dims < 1 || n_dims > 4 ||
	    !cr_ttype_ggml_geom((uint32_t)type, &blck, &bb, NULL))
		return CR_EINVAL;
	uint64_t want = 0;
	for (uint32_t d = 0; d < n_dims; d++)
		if (ne[d] < 0)
			return CR_EINVAL;
	if (ne[0] % blck)
		return CR_EINVAL;
	want = (uint64_t)(ne[0] / blck) * bb;
	for (uint32_t d = 1; d < n_dims; d++)
		if (__builtin_mul_overflow(want, (uint64_t)ne[d], &want))
			return CR_EINVAL;
	if (want != bytes || (bytes && !data))
		return CR_EINVAL;
	for (size_t i = 0; i < w->n_t; i++)
		if (!strcmp(w->t[i].name, name))
			return CR_EEXIST;
	if (w->n_t == w->cap_t) {
		size_t nc = w->cap_t ? w->cap_t * 2 : 64;
		wtensor *n = cr_realloc(w->t, nc * sizeof *n);
		if (!n)
			return CR_ENOMEM;
		w->t = n;
		w->cap_t = nc;
	}
	wtensor *t = &w->t[w->n_t];
	memset(t, 0, sizeof *t);
	t->name = cr_strdup(name);
	t->data = cr_malloc(bytes ? bytes : 1);
	if (!t->name || !t->data) {
		cr_free(t->name);
		cr_free(t->data);
		return CR_ENOMEM;
	}
	if (bytes)
		memcpy(t->data, data, bytes);
	t->type = (uint32_t)type;
	t->n_dims = n_dims;
	for (int d = 0; d < 4; d++)
		t->ne[d] = d < (int)n_dims ? ne[d] : 1;
	t->bytes = bytes;
	w->n_t++;
	return CR_OK;
}

static size_t pad_to(size_t x, size_t a) { return (a - x % a) % a; }

cr_err cr_gguf_writer_write(cr_gguf_writer *w, const char *path, cr_msg *m)
{
	cr_buf h;
	cr_buf_init(&h, 0);
	cr_err e = CR_OK;
	FILE *f = NULL;
	char *tmp = NULL;
	e = put_le(&h, CR_GGUF_MAGIC, 4);
	if (!e) e = put_le(&h, 3, 4);
	if (!e) e = put_le(&h, w->n_t, 8);
	if (!e) e = put_le(&h, w->n_kv, 8);
	for (size_t i = 0; !e && i < w->n_kv; i++) {
		e = put_str(&h, w->kv[i].key, strlen(w->kv[i].key));
		if (!e) e = put_le(&h, w->kv[i].type, 4);
		if (!e) e = cr_buf_add(&h, w->kv[i].val.data, w->kv[i].val.len);
	}
	uint64_t off = 0;
	for (size_t i = 0; !e && i < w->n_t; i++) {
		wtensor *t = &w->t[i];
		t->offset = off;
		off += t->bytes + pad_to(t->bytes, w->alignment);
		e = put_str(&h, t->name, strlen(t->name));
		if (!e) e = put_le(&h, t->n_dims, 4);
		for (uint32_t d = 0; !e && d < t->n_dims; d++)
			e = put_le(&h, (uint64_t)t->ne[d], 8);
		if (!e) e = put_le(&h, t->type, 4);
		if (!e) e = put_le(&h, t->offset, 8);
	}
	if (!e && w->n_t) {
		static const char zeros[64];
		size_t p = pad_to(h.len, w->alignment);
		while (!e && p) {
			size_t k = CR_MIN(p, sizeof zeros);
			e = cr_buf_add(&h, zeros, k);
			p -= k;
		}
	}
	if (e) {
		e = cr_fail(m, CR_ENOMEM, "gguf: out of memory writing %s", path);
		goto done;
	}
	tmp = cr_malloc(strlen(path) + 16);
	if (!tmp) {
		e = cr_fail(m, CR_ENOMEM, "gguf: out of memory");
		goto done;
	}
	sprintf(tmp, "%s.tmp%d", path, (int)getpid());
	f = fopen(tmp, "wb");
	if (!f) {
		e = cr_fail(m, CR_EIO, "%s: %s", tmp, strerror(errno));
		goto done;
	}
	int ok = fwrite(h.data, 1, h.len, f) == h.len;
	for (size_t i = 0; ok && i < w->n_t; i++) {
		static const char zeros[64];
		const wtensor *t = &w->t[i];
		ok = fwrite(t->data, 1, t->bytes, f) == t->bytes;
		size_t p = pad_to(t->bytes, w->alignment);
		while (ok && p) {
			size_t k = CR_MIN(p, sizeof zeros);
			ok = fwrite(zeros, 1, k, f) == k;
			p -= k;
		}
	}
	if (ok)
		ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
	if (fclose(f) != 0)
		ok = 0;
	f = NULL;
	if (!ok || rename(tmp, path) != 0) {
		e = cr_fail(m, CR_EIO, "%s: %s", path, strerror(errno));
		unlink(tmp);
	}
done:
	cr_free(tmp);
	cr_buf_release(&h);
	return e;
}

cr_err cr_gguf_writer_set_val(cr_gguf_writer *w, const char *key, cr_gguf_vtype type, const void *v)
{
	size_t sz = cr_gguf_vtype_size(type);
	if (!sz || !v)
		return CR_EINVAL;
	uint64_t bits = 0;
	uint8_t b[8];
	memcpy(b, v, sz);
	for (size_t k = sz; k-- > 0;) /* host order: little-endian machines only, as GGML */
		bits = bits << 8 | b[k];
	if (type == CR_GV_BOOL)
		bits = bits != 0;
	return set_scalar(w, key, (uint32_t)type, bits, (int)sz);
}

cr_err cr_gguf_writer_set_arr(cr_gguf_writer *w, const char *key, cr_gguf_vtype elem, const void *v, size_t n)
{
	size_t sz = cr_gguf_vtype_size(elem);
	if (!sz || (n && !v))
		return CR_EINVAL;
	wkv *s;
	cr_err e = arr_head(w, key, (uint32_t)elem, n, &s);
	return e ? e : cr_buf_add(&s->val, v, n * sz);
}
