/*
 * docjson.c — extracted documents as JSON and back: how the sandboxed
 * extractor (sandbox.c) hands its result to the process that stores it.
 *
 *   {"docs": [{"name", "parent", "title", "type", "lang", "date", "author",
 *              "meta": [[key, value], ...], "readers_kind", "readers": [addr, ...],
 *              "sections": [{"text", "page", "slide", "sheet", "line_start",
 *                            "line_end", "speaker", "t_start", "t_end",
 *                            "heading", "symbol"}, ...]}, ...]}
 *
 * Absent strings are null, absent numbers 0 (times -1). The reader trusts
 * nothing (the worker that wrote it may have been subverted by the file it
 * read): every member is type-checked, strings must be valid UTF-8 without
 * NUL bytes, counts are capped, and documents must have a name; readers
 * must be addresses in cr_email_norm's form under a kind "mail" or "chat"
 * (they widen who may read the document: nothing else is taken on trust).
 */
#include "ingest_int.h"

#include <jansson.h>
#include <string.h>

#define DOCS_MAX 100000
#define META_MAX 4096
#define READERS_MAX 100000

static cr_err str_member(cr_buf *b, const char *key, const char *v, int first)
{
	cr_err e = cr_buf_printf(b, "%s\"%s\":", first ? "" : ",", key);
	if (!e)
		e = v ? cr_buf_add_json_str(b, v, strlen(v)) : cr_buf_adds(b, "null");
	return e;
}

cr_err cr_docs_to_json(const cr_doc *d, cr_buf *b)
{
	cr_err e = cr_buf_adds(b, "{\"docs\":[");
	for (const cr_doc *x = d; x && !e; x = x->next) {
		e = cr_buf_adds(b, x == d ? "{" : ",{");
		if (!e)
			e = str_member(b, "name", x->name, 1);
		if (!e)
			e = str_member(b, "parent", x->parent, 0);
		if (!e)
			e = str_member(b, "title", x->title, 0);
		if (!e)
			e = str_member(b, "type", x->type, 0);
		if (!e)
			e = str_member(b, "lang", x->lang, 0);
		if (!e)
			e = cr_buf_printf(b, ",\"date\":%lld", (long long)x->date);
		if (!e)
			e = str_member(b, "author", x->author, 0);
		if (!e)
			e = cr_buf_adds(b, ",\"meta\":[");
		for (size_t i = 0; i < x->n_meta && !e; i++) {
			e = cr_buf_adds(b, i ? ",[" : "[");
			if (!e)
				e = cr_buf_add_json_str(b, x->meta[i].key, strlen(x->meta[i].key));
			if (!e)
				e = cr_buf_addc(b, ',');
			if (!e)
				e = x->meta[i].value ? cr_buf_add_json_str(b, x->meta[i].value, strlen(x->meta[i].value))
						     : cr_buf_adds(b, "null");
			if (!e)
				e = cr_buf_addc(b, ']');
		}
		if (!e)
			e = cr_buf_adds(b, "],");
		if (!e)
			e = str_member(b, "readers_kind", x->readers_kind, 1);
		if (!e)
			e = cr_buf_adds(b, ",\"readers\":[");
		for (size_t i = 0; i < x->n_readers && !e; i++) {
			e = i ? cr_buf_addc(b, ',') : CR_OK;
			if (!e)
				e = cr_buf_add_json_str(b, x->readers[i], strlen(x->readers[i]));
		}
		if (!e)
			e = cr_buf_adds(b, "],\"sections\":[");
		for (size_t i = 0; i < x->n_sections && !e; i++) {
			const cr_section *s = &x->sections[i];
			const cr_loc *l = &s->loc;
			e = cr_buf_adds(b, i ? ",{\"text\":" : "{\"text\":");
			if (!e)
				e = cr_buf_add_json_str(b, s->text, s->len);
			if (!e)
				e = cr_buf_printf(b, ",\"page\":%d,\"slide\":%d,\"line_start\":%d,\"line_end\":%d", l->page,
						  l->slide, l->line_start, l->line_end);
			if (!e)
				e = cr_buf_printf(b, ",\"t_start\":%.17g,\"t_end\":%.17g", l->t_start, l->t_end);
			if (!e)
				e = str_member(b, "sheet", l->sheet, 0);
			if (!e)
				e = str_member(b, "speaker", l->speaker, 0);
			if (!e)
				e = str_member(b, "heading", l->heading, 0);
			if (!e)
				e = str_member(b, "symbol", l->symbol, 0);
			if (!e)
				e = cr_buf_addc(b, '}');
		}
		if (!e)
			e = cr_buf_adds(b, "]}");
	}
	if (!e)
		e = cr_buf_adds(b, "]}");
	return e;
}

/* ---- reading ------------------------------------------------------------- */

typedef struct rd {
	cr_arena *a;
	cr_msg *m;
	cr_err e;
} rd;

/* A string or null (NULL); anything else, or a NUL byte inside, fails. */
static const char *str_of(rd *r, json_t *v, const char *where, const char *key)
{
	if (r->e || !v || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		r->e = cr_fail(r->m, CR_ECORRUPT, "extracted documents: %s.%s is not a string", where, key);
		return NULL;
	}
	size_t n = json_string_length(v);
	if (memchr(json_string_value(v), 0, n)) {
		r->e = cr_fail(r->m, CR_ECORRUPT, "extracted documents: %s.%s holds a NUL byte", where, key);
		return NULL;
	}
	const char *s = cr_arena_strndup(r->a, json_string_value(v), n);
	if (!s)
		r->e = cr_fail(r->m, CR_ENOMEM, "out of memory");
	return s;
}

static const char *get_s(rd *r, json_t *o, const char *key, const char *where)
{
	return str_of(r, json_object_get(o, key), where, key);
}

static double get_n(rd *r, json_t *o, const char *key, double def, double lo, double hi, const char *where)
{
	json_t *v = json_object_get(o, key);
	if (r->e || !v)
		return def;
	if (!json_is_number(v) || json_number_value(v) < lo || json_number_value(v) > hi) {
		r->e = cr_fail(r->m, CR_ECORRUPT, "extracted documents: %s.%s is not a number in range", where, key);
		return def;
	}
	return json_number_value(v);
}

static json_t *get_a(rd *r, json_t *o, const char *key, size_t max, const char *where)
{
	json_t *v = json_object_get(o, key);
	if (r->e)
		return NULL;
	if (!v || !json_is_array(v) || json_array_size(v) > max) {
		r->e = cr_fail(r->m, CR_ECORRUPT, "extracted documents: %s.%s is not an array (of at most %zu)", where,
			       key, max);
		return NULL;
	}
	return v;
}

/* "readers_kind" and "readers" (both may be absent: none). */
static void read_readers(rd *r, json_t *o, cr_doc *d)
{
	const char *kind = get_s(r, o, "readers_kind", "doc");
	json_t *v = json_object_get(o, "readers");
	if (r->e || (!kind && !v))
		return;
	if (kind && strcmp(kind, "mail") && strcmp(kind, "chat")) {
		r->e = cr_fail(r->m, CR_ECORRUPT, "extracted documents: doc.readers_kind is neither mail nor chat");
		return;
	}
	json_t *arr = v ? get_a(r, o, "readers", READERS_MAX, "doc") : NULL;
	if (r->e)
		return;
	if (json_array_size(arr) && !kind) {
		r->e = cr_fail(r->m, CR_ECORRUPT, "extracted documents: doc.readers without a readers_kind");
		return;
	}
	d->readers_kind = kind ? (!strcmp(kind, "mail") ? "mail" : "chat") : NULL;
	size_t n = json_array_size(arr);
	const char **rs = n ? cr_arena_zalloc(r->a, n * sizeof *rs) : NULL;
	if (n && !rs) {
		r->e = cr_fail(r->m, CR_ENOMEM, "out of memory");
		return;
	}
	for (size_t i = 0; i < n && !r->e; i++) {
		const char *s = str_of(r, json_array_get(arr, i), "doc", "readers");
		char norm[CR_EMAIL_MAX];
		if (!r->e && (!s || !cr_email_norm(s, strlen(s), norm, sizeof norm) || strcmp(norm, s)))
			r->e = cr_fail(r->m, CR_ECORRUPT, "extracted documents: doc.readers holds a bad address");
		rs[i] = s;
	}
	d->readers = rs;
	d->n_readers = r->e ? 0 : n;
}

static void read_doc(rd *r, json_t *o, cr_doc *d)
{
	if (!json_is_object(o)) {
		r->e = cr_fail(r->m, CR_ECORRUPT, "extracted documents: a document is not an object");
		return;
	}
	d->name = get_s(r, o, "name", "doc");
	if (!r->e && (!d->name || !*d->name))
		r->e = cr_fail(r->m, CR_ECORRUPT, "extracted documents: a document has no name");
	d->parent = get_s(r, o, "parent", "doc");
	d->title = get_s(r, o, "title", "doc");
	d->type = get_s(r, o, "type", "doc");
	d->lang = get_s(r, o, "lang", "doc");
	d->author = get_s(r, o, "author", "doc");
	d->date = (int64_t)get_n(r, o, "date", 0, -1e15, 1e15, "doc");
	json_t *meta = get_a(r, o, "meta", META_MAX, "doc"), *secs = get_a(r, o, "sections", SIZE_MAX / 2, "doc");
	if (r->e)
		return;
	d->n_meta = json_array_size(meta);
	d->n_sections = json_array_size(secs);
	if ((d->n_meta && !(d->meta = cr_arena_zalloc(r->a, d->n_meta * sizeof *d->meta))) ||
	    (d->n_sections && !(d->sections = cr_arena_zalloc(r->a, d->n_sections * sizeof *d->sections)))) {
		r->e = cr_fail(r->m, CR_ENOMEM, "out of memory");
		return;
	}
	for (size_t i = 0; i < d->n_meta && !r->e; i++) {
		json_t *kv = json_array_get(meta, i);
		json_t *k = json_array_get(kv, 0), *v = json_array_get(kv, 1);
		if (!json_is_array(kv) || json_array_size(kv) != 2 || !json_is_string(k) ||
		    (!json_is_string(v) && !json_is_null(v))) {
			r->e = cr_fail(r->m, CR_ECORRUPT, "extracted documents: a meta entry is not [key, value]");
			break;
		}
		d->meta[i].key = str_of(r, k, "meta", "key");
		d->meta[i].value = str_of(r, v, "meta", "value");
	}
	read_readers(r, o, d);
	for (size_t i = 0; i < d->n_sections && !r->e; i++) {
		json_t *s = json_array_get(secs, i);
		cr_section *x = &d->sections[i];
		if (!json_is_object(s)) {
			r->e = cr_fail(r->m, CR_ECORRUPT, "extracted documents: a section is not an object");
			break;
		}
		x->text = get_s(r, s, "text", "section");
		if (!r->e && !x->text)
			r->e = cr_fail(r->m, CR_ECORRUPT, "extracted documents: a section has no text");
		x->len = x->text ? strlen(x->text) : 0;
		x->loc.page = (int)get_n(r, s, "page", 0, 0, 1e9, "section");
		x->loc.slide = (int)get_n(r, s, "slide", 0, 0, 1e9, "section");
		x->loc.line_start = (int)get_n(r, s, "line_start", 0, 0, 2e9, "section");
		x->loc.line_end = (int)get_n(r, s, "line_end", 0, 0, 2e9, "section");
		x->loc.t_start = get_n(r, s, "t_start", -1, -1, 1e9, "section");
		x->loc.t_end = get_n(r, s, "t_end", -1, -1, 1e9, "section");
		x->loc.sheet = get_s(r, s, "sheet", "section");
		x->loc.speaker = get_s(r, s, "speaker", "section");
		x->loc.heading = get_s(r, s, "heading", "section");
		x->loc.symbol = get_s(r, s, "symbol", "section");
	}
}

cr_err cr_docs_from_json(cr_arena *a, const char *p, size_t n, cr_doc **out, cr_msg *m)
{
	*out = NULL;
	json_error_t je;
	json_t *j = json_loadb(p, n, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		return cr_fail(m, CR_ECORRUPT, "extracted documents: malformed JSON: %s", je.text);
	rd r = {.a = a, .m = m};
	json_t *docs = json_is_object(j) ? get_a(&r, j, "docs", DOCS_MAX, "root") : NULL;
	if (!r.e && !docs)
		r.e = cr_fail(m, CR_ECORRUPT, "extracted documents: not an object with \"docs\"");
	cr_doc **tail = out;
	for (size_t i = 0; !r.e && i < json_array_size(docs); i++) {
		cr_doc *d = cr_arena_zalloc(a, sizeof *d);
		if (!d) {
			r.e = cr_fail(m, CR_ENOMEM, "out of memory");
			break;
		}
		read_doc(&r, json_array_get(docs, i), d);
		*tail = d;
		tail = &d->next;
	}
	json_decref(j);
	if (r.e)
		*out = NULL;
	return r.e;
}
