/*
 * redact.c — the per-request placeholder map, redaction and restoration.
 *
 * A value's key is its kind and its normalized form (the working copy of
 * fold.c with spaces dropped; digits only, and a leading '+', for phones,
 * My Numbers and cards; lower case for e-mail), so "03-1234-5678" and
 * "０３（１２３４）５６７８" share a placeholder, and so do 山田 太郎 and
 * 山田太郎. The value restored is the first form seen. Lookups are linear
 * in the map's size (a request holds tens of values, not thousands). Values
 * are wiped (sodium-free: a volatile memset) when the map is freed.
 */
#include "pii_int.h"

#include <stdio.h>
#include <string.h>

typedef struct entry {
	cr_pii_kind kind;
	int num;
	char *key;
	char *value;
	size_t key_len, value_len;
} entry;

struct cr_pii_map {
	entry *v;
	size_t n, cap;
	int count[CR_PII_N_KINDS];
	pii_names learned;
};

cr_err cr_pii_map_new(cr_pii_map **out)
{
	*out = cr_calloc(1, sizeof **out);
	return *out ? CR_OK : CR_ENOMEM;
}

static void wipe(char *p, size_t n)
{
	volatile char *v = p;
	while (n--)
		*v++ = 0;
}

void cr_pii_map_free(cr_pii_map *map)
{
	if (!map)
		return;
	for (size_t i = 0; i < map->n; i++) {
		wipe(map->v[i].key, map->v[i].key_len);
		wipe(map->v[i].value, map->v[i].value_len);
		cr_free(map->v[i].key);
		cr_free(map->v[i].value);
	}
	for (size_t i = 0; i < map->learned.n; i++)
		wipe(map->learned.v[i], strlen(map->learned.v[i]));
	pii_names_release(&map->learned);
	cr_free(map->v);
	cr_free(map);
}

size_t cr_pii_map_count(const cr_pii_map *map) { return map ? map->n : 0; }

size_t cr_pii_map_count_kind(const cr_pii_map *map, cr_pii_kind k)
{
	return map && (unsigned)k < CR_PII_N_KINDS ? (size_t)map->count[k] : 0;
}

/* The key of a value: kind-specific normalization of its working copy. */
static cr_err make_key(cr_pii_kind kind, const char *v, size_t n, cr_buf *key)
{
	cr_arena a;
	cr_arena_init(&a, 0);
	pii_fold f;
	cr_err e = pii_fold_make(&a, v, n, &f);
	for (size_t i = 0; !e && i < f.n; i++) {
		char c = f.s[i];
		if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
			continue;
		if (kind == CR_PII_PHONE || kind == CR_PII_MYNUMBER || kind == CR_PII_CARD) {
			if (!pii_is_digit(c) && !(c == '+' && !key->len))
				continue;
		} else if (kind == CR_PII_EMAIL && c >= 'A' && c <= 'Z') {
			c = (char)(c - 'A' + 'a');
		}
		e = cr_buf_addc(key, c);
	}
	cr_arena_release(&a);
	return e;
}

/* The entry of a value, added when new; NULL out of memory. */
static const entry *value_entry(cr_pii_map *map, cr_pii_kind kind, const char *v, size_t n)
{
	cr_buf key;
	cr_buf_init(&key, 0);
	if (make_key(kind, v, n, &key)) {
		cr_buf_release(&key);
		return NULL;
	}
	for (size_t i = 0; i < map->n; i++)
		if (map->v[i].kind == kind && map->v[i].key_len == key.len && !memcmp(map->v[i].key, key.data, key.len)) {
			wipe(key.data, key.len);
			cr_buf_release(&key);
			return &map->v[i];
		}
	if (map->n == map->cap) {
		size_t cap = map->cap ? map->cap * 2 : 16;
		entry *nv = cr_realloc(map->v, cap * sizeof *nv);
		if (!nv) {
			cr_buf_release(&key);
			return NULL;
		}
		map->v = nv;
		map->cap = cap;
	}
	entry *en = &map->v[map->n];
	en->kind = kind;
	en->key_len = key.len;
	en->key = cr_buf_take(&key, NULL);
	if (!en->key)
		en->key = cr_strdup("");
	en->value = cr_strndup(v, n);
	en->value_len = n;
	if (!en->key || !en->value) {
		cr_free(en->key);
		cr_free(en->value);
		return NULL;
	}
	en->num = ++map->count[kind];
	map->n++;
	return en;
}

cr_err cr_pii_learn(cr_pii *p, cr_pii_map *map, const char *text, size_t len, cr_msg *m)
{
	if (!p || !map)
		return CR_EINVAL;
	return pii_learn_with(p, &map->learned, text, len, m);
}

cr_err cr_pii_redact(cr_pii *p, cr_pii_map *map, const char *text, size_t len, cr_buf *out, cr_msg *m)
{
	if (!p || !map || !out || (!text && len))
		return CR_EINVAL;
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_pii_span *sp;
	size_t n, at = 0, mark = out->len;
	cr_err e = pii_detect_with(p, &map->learned, text, len, &a, &sp, &n, m);
	for (size_t i = 0; !e && i < n; i++) {
		const entry *en = value_entry(map, sp[i].kind, text + sp[i].start, sp[i].end - sp[i].start);
		if (!en) {
			e = cr_fail(m, CR_ENOMEM, "pii: out of memory");
			break;
		}
		e = cr_buf_add(out, text + at, sp[i].start - at);
		if (!e)
			e = cr_buf_printf(out, "[%s_%d]", cr_pii_kind_name(en->kind), en->num);
		at = sp[i].end;
	}
	if (!e)
		e = cr_buf_add(out, text + at, len - at);
	if (e && e != CR_ENOMEM && e != CR_ETOOBIG)
		; /* detection's own error, message set */
	else if (e)
		cr_fail(m, e, "pii: the redacted text does not fit");
	if (e) {
		out->len = mark;
		if (out->data)
			out->data[mark] = 0;
	}
	cr_arena_release(&a);
	return e;
}

/* A placeholder at s[0..n): its length when whole ("[EMAIL_2]"), with its
 * entry in *en (NULL when the map has no such value); 0 when s does not
 * start one. *partial says s[0..n) is all a placeholder's beginning. */
static size_t placeholder_at(const cr_pii_map *map, const char *s, size_t n, const entry **en, int *partial)
{
	*en = NULL;
	*partial = 0;
	if (!n || s[0] != '[')
		return 0;
	size_t i = 1;
	while (i < n && i <= 9 && s[i] >= 'A' && s[i] <= 'Z')
		i++;
	if (i == n) {
		*partial = 1;
		return 0;
	}
	if (s[i] != '_' || i == 1)
		return 0;
	size_t kind_end = i++;
	long num = 0;
	size_t d0 = i;
	while (i < n && i - d0 < 9 && pii_is_digit(s[i]))
		num = num * 10 + (s[i++] - '0');
	if (i == n) {
		*partial = 1;
		return 0;
	}
	if (i == d0 || s[i] != ']')
		return 0;
	char kind[12];
	memcpy(kind, s + 1, kind_end - 1);
	kind[kind_end - 1] = 0;
	int k = cr_pii_kind_parse(kind);
	for (size_t j = 0; map && k >= 0 && j < map->n; j++)
		if ((int)map->v[j].kind == k && map->v[j].num == num)
			*en = &map->v[j];
	return i + 1;
}

cr_err cr_pii_restore(const cr_pii_map *map, const char *text, size_t len, cr_buf *out)
{
	if (!out || (!text && len))
		return CR_EINVAL;
	size_t mark = out->len, at = 0;
	cr_err e = CR_OK;
	for (size_t i = 0; i < len && !e; i++) {
		if (text[i] != '[')
			continue;
		const entry *en;
		int partial;
		size_t l = placeholder_at(map, text + i, len - i, &en, &partial);
		if (!l || !en)
			continue;
		e = cr_buf_add(out, text + at, i - at);
		if (!e)
			e = cr_buf_add(out, en->value, en->value_len);
		at = i + l;
		i += l - 1;
	}
	if (!e)
		e = cr_buf_add(out, text + at, len - at);
	if (e) {
		out->len = mark;
		if (out->data)
			out->data[mark] = 0;
	}
	return e;
}

void cr_pii_stream_init(cr_pii_stream *s, const cr_pii_map *map)
{
	memset(s, 0, sizeof *s);
	s->map = map;
}

/* Restores s->hold + text into out, holding a final partial placeholder. */
cr_err cr_pii_stream_feed(cr_pii_stream *s, const char *text, size_t len, cr_buf *out)
{
	if (!s || !out || (!text && len))
		return CR_EINVAL;
	cr_buf all;
	cr_buf_init(&all, 0);
	cr_err e = cr_buf_add(&all, s->hold, s->n_hold);
	if (!e)
		e = cr_buf_add(&all, text, len);
	if (e) {
		cr_buf_release(&all);
		return e;
	}
	size_t mark = out->len, at = 0, n = all.len, hold_at = n;
	const char *t = all.data ? all.data : "";
	for (size_t k = 0; k < n && !e; k++) {
		if (t[k] != '[')
			continue;
		const entry *en;
		int partial;
		size_t l = placeholder_at(s->map, t + k, n - k, &en, &partial);
		if (partial && n - k <= CR_PII_PLACEHOLDER_MAX) {
			hold_at = k;
			break;
		}
		if (!l || !en)
			continue;
		e = cr_buf_add(out, t + at, k - at);
		if (!e)
			e = cr_buf_add(out, en->value, en->value_len);
		at = k + l;
		k += l - 1;
	}
	if (!e)
		e = cr_buf_add(out, t + at, hold_at - at);
	if (e) {
		out->len = mark;
		if (out->data)
			out->data[mark] = 0;
	} else {
		s->n_hold = n - hold_at;
		memcpy(s->hold, t + hold_at, s->n_hold);
	}
	cr_buf_release(&all);
	return e;
}

cr_err cr_pii_stream_flush(cr_pii_stream *s, cr_buf *out)
{
	if (!s || !out)
		return CR_EINVAL;
	cr_err e = s->n_hold ? cr_buf_add(out, s->hold, s->n_hold) : CR_OK;
	s->n_hold = 0;
	return e;
}
