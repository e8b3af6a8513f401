/*
 * jsonl.c — cr_corpus_ingest_jsonl: one document per JSON line, the form
 * benchmark corpora (BEIR) and exports come in:
 *   {"_id" or "id": string or integer, "title": ..., "text": ..., other...}
 * The id becomes the document's name (what search results report), the
 * title is indexed as the title field, the other fields are kept as the
 * document's metadata JSON. A line that is not such an object is rejected
 * ("line N: ...") and the rest goes on.
 *
 * Incremental like files: a line whose bytes hash as before is unchanged;
 * ids no longer in the file are deleted. A document is one chunk (the whole
 * text, so BM25 sees documents as the benchmarks define them) up to
 * WHOLE_MAX bytes; longer texts are chunked like any document.
 *
 * The line parser (cr_jsonl_parse_line) needs no catalog, so the fuzz
 * target fuzz/fuzz_jsonl.c runs it directly.
 *
 * Cost: the file is mapped, each line parsed once (jansson); documents are
 * committed in batches of BATCH per transaction (each document still lies
 * whole inside one transaction), which keeps the catalog side to a few
 * microseconds per document; committed chunks go to the index from memory
 * on another thread (feed.c) while the next lines are parsed.
 */
#include "corpus_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define WHOLE_MAX (64 << 10)
#define BATCH 512

/* Hash of a line → the name of the document it produced last time, so an
 * unchanged line costs one SHA-256 and one probe, no JSON parsing. */
typedef struct known {
	char (*hash)[65];
	const char **name;
	size_t cap; /* power of two; 0 = empty table */
	cr_arena a;
} known;

static size_t slot_of(const known *k, const char *hash)
{
	uint64_t h = 0;
	for (int i = 0; i < 16; i++)
		h = h << 4 | (uint64_t)(hash[i] <= '9' ? hash[i] - '0' : hash[i] - 'a' + 10);
	return (size_t)h & (k->cap - 1);
}

static int known_add(void *ctx, int64_t id, const char *name, const char *hash, int64_t mtime, int64_t size)
{
	known *k = ctx;
	if (!hash || strlen(hash) != 64 || !name)
		return 0;
	size_t i = slot_of(k, hash);
	while (k->name[i])
		i = (i + 1) & (k->cap - 1);
	memcpy(k->hash[i], hash, 65);
	k->name[i] = cr_arena_strdup(&k->a, name);
	return !k->name[i];
}

static const char *known_get(const known *k, const char *hash)
{
	if (!k->cap)
		return NULL;
	for (size_t i = slot_of(k, hash); k->name[i]; i = (i + 1) & (k->cap - 1))
		if (!memcmp(k->hash[i], hash, 64))
			return k->name[i];
	return NULL;
}

static int count_doc(void *ctx, int64_t id, const char *name, const char *hash, int64_t mtime, int64_t size)
{
	(*(size_t *)ctx)++;
	return 0;
}

static cr_err known_load(known *k, cr_store *s, int64_t source_id, cr_msg *m)
{
	size_t n = 0;
	cr_err e = cr_store_files_of_source(s, source_id, count_doc, &n, m);
	if (e || !n)
		return e;
	k->cap = 16;
	while (k->cap < 2 * n)
		k->cap *= 2;
	k->hash = cr_calloc(k->cap, sizeof *k->hash);
	k->name = cr_calloc(k->cap, sizeof *k->name);
	if (!k->hash || !k->name)
		return cr_fail(m, CR_ENOMEM, "out of memory");
	if ((e = cr_store_files_of_source(s, source_id, known_add, k, m)))
		return e;
	return CR_OK;
}

static void known_release(known *k)
{
	cr_free(k->hash);
	cr_free(k->name);
	cr_arena_release(&k->a);
}

typedef struct jl {
	cr_run *r;
	known k;
	cr_store *s;
	int64_t source_id;
	int in_tx;
	size_t in_batch;
	uint64_t batch_bytes;
} jl;

static cr_err flush(jl *j, cr_msg *m)
{
	if (!j->in_tx)
		return CR_OK;
	cr_err e = cr_store_commit(j->s, m);
	if (e) {
		cr_store_rollback(j->s);
		cr_feed_rolled_back(j->r->feed);
		return e;
	}
	cr_feed_committed(j->r->feed);
	j->in_tx = 0;
	j->in_batch = 0;
	uint64_t tb = j->batch_bytes;
	j->batch_bytes = 0;
	return cr_run_maybe_sync(j->r, tb, m);
}

/* The id as text: strings as they are, integers in decimal. */
static const char *id_of(cr_arena *a, json_t *o)
{
	json_t *v = json_object_get(o, "_id");
	if (!v)
		v = json_object_get(o, "id");
	if (json_is_string(v))
		return json_string_length(v) ? cr_arena_strndup(a, json_string_value(v), json_string_length(v)) : NULL;
	if (json_is_integer(v))
		return cr_arena_printf(a, "%lld", (long long)json_integer_value(v));
	return NULL;
}

/* A string field copied into the arena, or NULL. */
static const char *str_of(cr_arena *a, json_t *o, const char *key, size_t *len)
{
	json_t *v = json_object_get(o, key);
	*len = 0;
	if (!json_is_string(v))
		return NULL;
	*len = json_string_length(v);
	return cr_arena_strndup(a, json_string_value(v), *len);
}

cr_err cr_jsonl_parse_line_ref(cr_arena *a, const char *line, size_t len, cr_jsonl_rec *rec, cr_msg *m)
{
	memset(rec, 0, sizeof *rec);
	if (!a || (!line && len))
		return cr_fail(m, CR_EINVAL, "jsonl: bad arguments");
	json_error_t jerr;
	json_t *o = json_loadb(line ? line : "", len, JSON_REJECT_DUPLICATES, &jerr);
	if (!o || !json_is_object(o)) {
		cr_err e = cr_fail(m, CR_ECORRUPT, "%s", o ? "not a JSON object" : jerr.text);
		json_decref(o);
		return e;
	}
	cr_err e = CR_OK;
	rec->id = id_of(a, o);
	rec->text = str_of(a, o, "text", &rec->text_len);
	rec->title = str_of(a, o, "title", &rec->title_len);
	if (!rec->id || (!rec->text && !rec->title)) {
		int oom = (json_object_get(o, "text") && json_is_string(json_object_get(o, "text")) && !rec->text) ||
			  (json_object_get(o, "title") && json_is_string(json_object_get(o, "title")) && !rec->title);
		e = oom ? cr_fail(m, CR_ENOMEM, "jsonl: out of memory")
			: cr_fail(m, CR_ECORRUPT, "%s", !rec->id ? "no \"_id\" or \"id\"" : "no \"text\" or \"title\"");
		json_decref(o);
		return e;
	}
	/* Metadata: everything but the fields used above. */
	json_object_del(o, "_id");
	json_object_del(o, "id");
	json_object_del(o, "text");
	json_object_del(o, "title");
	if (json_object_size(o)) {
		char *meta = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
		rec->meta_json = meta ? cr_arena_strdup(a, meta) : NULL;
		free(meta);
		if (!rec->meta_json)
			e = cr_fail(m, CR_ENOMEM, "jsonl: out of memory");
	}
	json_decref(o);
	return e;
}

/* ---- the fast path: one pass, no tree ----------------------------------
 *
 * Most lines are an object of string members ("_id", "title", "text",
 * perhaps a few others). fast_parse reads such a line in one pass and
 * copies the strings straight into the arena; jansson would build a tree of
 * allocated values first and cost several times as much. Whatever it does
 * not expect (escaped keys, both "_id" and "id", a duplicate, a non-string
 * title or text, a number id that is not a plain integer, anything
 * malformed) it leaves to jansson (returns 0), so the result and every
 * error message stay jansson's; fuzz/fuzz_jsonl.c checks both agree.
 * The other members are handed to jansson alone, for the metadata. */

static const char *skip_ws(const char *s, const char *end)
{
	while (s < end && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
		s++;
	return s;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static int hex4(const char *s, const char *end, uint32_t *v)
{
	if (end - s < 4)
		return 0;
	*v = 0;
	for (int i = 0; i < 4; i++) {
		int h = hexval(s[i]);
		if (h < 0)
			return 0;
		*v = *v << 4 | (uint32_t)h;
	}
	return 1;
}

/* A string's body from s (after its opening quote): returns what follows
 * the closing quote, or NULL when jansson should judge it (control bytes,
 * bad escapes or UTF-8). *esc says whether it holds escapes. */
static const char *scan_str(const char *s, const char *end, int *esc)
{
	*esc = 0;
	while (s < end) {
		unsigned char c = (unsigned char)*s;
		if (c == '"')
			return s + 1;
		if (c < 0x20)
			return NULL;
		if (c == '\\') {
			*esc = 1;
			if (++s >= end)
				return NULL;
			uint32_t v;
			if (*s == 'u') {
				if (!hex4(s + 1, end, &v))
					return NULL;
				s += 5;
			} else if (strchr("\"\\/bfnrt", *s) && *s) {
				s++;
			} else {
				return NULL;
			}
			continue;
		}
		if (c >= 0x80) {
			uint32_t cp;
			int l = cr_utf8_decode((const uint8_t *)s, (size_t)(end - s), &cp);
			if (!l)
				return NULL;
			s += l;
			continue;
		}
		s++;
	}
	return NULL;
}

/* The string body [s, e) (escapes already checked by scan_str) decoded
 * into the arena; NULL with *oom when out of memory, NULL alone when
 * jansson should judge it (\u0000, a lone surrogate). */
static char *unescape(cr_arena *a, const char *s, const char *e, int esc, size_t *len, int *oom)
{
	size_t n = (size_t)(e - s);
	char *o = cr_arena_alloc(a, n + 1);
	if (!o) {
		*oom = 1;
		return NULL;
	}
	if (!esc) {
		memcpy(o, s, n);
		o[n] = 0;
		*len = n;
		return o;
	}
	size_t k = 0;
	while (s < e) {
		if (*s != '\\') {
			o[k++] = *s++;
			continue;
		}
		s++;
		char c = *s++;
		switch (c) {
		case 'b': o[k++] = '\b'; break;
		case 'f': o[k++] = '\f'; break;
		case 'n': o[k++] = '\n'; break;
		case 'r': o[k++] = '\r'; break;
		case 't': o[k++] = '\t'; break;
		case 'u': {
			uint32_t v, lo;
			(void)hex4(s, e, &v);
			s += 4;
			if (v >= 0xdc00 && v <= 0xdfff)
				return NULL;
			if (v >= 0xd800 && v <= 0xdbff) {
				if (e - s < 6 || s[0] != '\\' || s[1] != 'u' || !hex4(s + 2, e, &lo) || lo < 0xdc00 ||
				    lo > 0xdfff)
					return NULL;
				s += 6;
				v = 0x10000 + ((v - 0xd800) << 10) + (lo - 0xdc00);
			}
			if (!v)
				return NULL;
			k += (size_t)cr_utf8_encode(v, o + k); /* never longer than its escape */
			break;
		}
		default: o[k++] = c; break; /* " \ / */
		}
	}
	o[k] = 0;
	*len = k;
	return o;
}

/* Any value from s: returns what follows it, or NULL (jansson judges). */
static const char *skip_value(const char *s, const char *end)
{
	int depth = 0, esc;
	do {
		s = skip_ws(s, end);
		if (s >= end)
			return NULL;
		char c = *s;
		if (c == '"') {
			if (!(s = scan_str(s + 1, end, &esc)))
				return NULL;
		} else if (c == '{' || c == '[') {
			if (++depth > 64)
				return NULL;
			s++;
		} else if (c == '}' || c == ']') {
			if (--depth < 0)
				return NULL;
			s++;
		} else if (c == ',' || c == ':') {
			if (!depth)
				return NULL;
			s++;
		} else {
			const char *b = s;
			while (s < end && (strchr("+-.eE", *s) || (*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z')) && *s)
				s++;
			if (s == b)
				return NULL;
		}
	} while (depth);
	return s;
}

static int fast_parse(cr_arena *a, const char *line, size_t len, cr_jsonl_rec *rec, cr_err *err)
{
	const char *s = line, *end = line + len;
	enum { F_UID, F_ID, F_TITLE, F_TEXT, F__N };
	static const char *const keys[F__N] = {"_id", "id", "title", "text"};
	const char *vb[F__N] = {0}, *ve[F__N] = {0};
	int vesc[F__N] = {0}, is_num = 0;
	const char *ob = NULL; /* the first other member */
	size_t n_other = 0;
	int esc, oom = 0;
	s = skip_ws(s, end);
	if (s >= end || *s != '{')
		return 0;
	s = skip_ws(s + 1, end);
	if (s < end && *s == '}')
		return 0; /* empty: jansson says what is missing */
	for (;;) {
		if (s >= end || *s != '"')
			return 0;
		const char *kb = s + 1, *ke = scan_str(kb, end, &esc);
		if (!ke || esc)
			return 0;
		s = skip_ws(ke, end);
		if (s >= end || *s != ':')
			return 0;
		s = skip_ws(s + 1, end);
		size_t kl = (size_t)(ke - 1 - kb);
		int f = -1;
		for (int i = 0; i < F__N; i++)
			if (kl == strlen(keys[i]) && !memcmp(kb, keys[i], kl))
				f = i;
		if (f >= 0) {
			if (vb[f])
				return 0; /* duplicate */
			if (s < end && *s == '"') {
				vb[f] = s + 1;
				if (!(s = scan_str(s + 1, end, &vesc[f])))
					return 0;
				ve[f] = s - 1;
			} else if (f <= F_ID && s < end && (*s == '-' || (*s >= '0' && *s <= '9'))) {
				vb[f] = s;
				if (*s == '-')
					s++;
				const char *d = s;
				while (s < end && *s >= '0' && *s <= '9')
					s++;
				if (s == d || s - d > 18 || (*d == '0' && s - d > 1))
					return 0;
				ve[f] = s;
				is_num |= 1 << f;
			} else {
				return 0;
			}
		} else {
			const char *v = skip_value(s, end);
			if (!v)
				return 0;
			if (!ob)
				ob = kb - 1;
			n_other++;
			s = v;
		}
		s = skip_ws(s, end);
		if (s < end && *s == ',') {
			s = skip_ws(s + 1, end);
			continue;
		}
		if (s < end && *s == '}')
			break;
		return 0;
	}
	if (skip_ws(s + 1, end) != end)
		return 0;
	if (vb[F_UID] && vb[F_ID])
		return 0;
	int fid = vb[F_UID] ? F_UID : F_ID;
	if (!vb[fid] || (!vb[F_TITLE] && !vb[F_TEXT]))
		return 0;
	size_t l;
	if (is_num & (1 << fid)) {
		char num[24];
		size_t nl = (size_t)(ve[fid] - vb[fid]);
		memcpy(num, vb[fid], nl);
		num[nl] = 0;
		rec->id = cr_arena_printf(a, "%lld", strtoll(num, NULL, 10));
		oom = !rec->id;
	} else if (ve[fid] == vb[fid]) {
		return 0; /* empty id */
	} else {
		rec->id = unescape(a, vb[fid], ve[fid], vesc[fid], &l, &oom);
	}
	if (!rec->id)
		goto fail;
	if (vb[F_TEXT] && !(rec->text = unescape(a, vb[F_TEXT], ve[F_TEXT], vesc[F_TEXT], &rec->text_len, &oom)))
		goto fail;
	if (vb[F_TITLE] &&
	    !(rec->title = unescape(a, vb[F_TITLE], ve[F_TITLE], vesc[F_TITLE], &rec->title_len, &oom)))
		goto fail;
	if (n_other) {
		/* the other members, in order, as an object of their own */
		cr_buf o;
		cr_buf_init(&o, 0);
		cr_err e = cr_buf_addc(&o, '{');
		/* walk the members again from the first other one (the first
		 * pass checked their syntax): "key": value, ... */
		const char *p = ob;
		for (size_t i = 0; i < n_other && !e;) {
			const char *kb = p + 1, *ke = scan_str(kb, end, &esc);
			const char *vend = skip_value(skip_ws(skip_ws(ke, end) + 1, end), end);
			size_t kl = (size_t)(ke - 1 - kb);
			int special = 0;
			for (int k = 0; k < F__N; k++)
				special |= kl == strlen(keys[k]) && !memcmp(kb, keys[k], kl);
			if (!special) {
				if (o.len > 1)
					e = cr_buf_addc(&o, ',');
				if (!e)
					e = cr_buf_add(&o, p, (size_t)(vend - p));
				i++;
			}
			p = skip_ws(vend, end);
			if (p < end && *p == ',')
				p = skip_ws(p + 1, end);
		}
		if (!e)
			e = cr_buf_addc(&o, '}');
		if (e) {
			cr_buf_release(&o);
			oom = 1;
			goto fail;
		}
		json_error_t jerr;
		json_t *mo = json_loadb(o.data, o.len, JSON_REJECT_DUPLICATES, &jerr);
		cr_buf_release(&o);
		if (!mo)
			return 0;
		char *meta = json_dumps(mo, JSON_COMPACT | JSON_ENSURE_ASCII);
		json_decref(mo);
		rec->meta_json = meta ? cr_arena_strdup(a, meta) : NULL;
		free(meta);
		if (!rec->meta_json) {
			oom = 1;
			goto fail;
		}
	}
	return 1;
fail:
	memset(rec, 0, sizeof *rec);
	if (oom)
		*err = CR_ENOMEM;
	return 0;
}

cr_err cr_jsonl_parse_line(cr_arena *a, const char *line, size_t len, cr_jsonl_rec *rec, cr_msg *m)
{
	memset(rec, 0, sizeof *rec);
	if (!a || (!line && len))
		return cr_fail(m, CR_EINVAL, "jsonl: bad arguments");
	cr_err e = CR_OK;
	if (line && fast_parse(a, line, len, rec, &e))
		return CR_OK;
	if (e)
		return cr_fail(m, e, "jsonl: out of memory");
	return cr_jsonl_parse_line_ref(a, line, len, rec, m);
}

/* One line. Problems with the line are rejections, not errors. */
static cr_err one_line(jl *j, const char *line, size_t len, size_t lineno, cr_msg *m)
{
	cr_run *r = j->r;
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_err e = CR_OK;
	char hash[65];
	cr_sha256_hex(line, len, hash);
	const char *same = known_get(&j->k, hash);
	if (same) {
		cr_run_tell(r, same, CR_FILE_UNCHANGED, NULL);
		return cr_run_keep(r, same);
	}
	char where[48];
	snprintf(where, sizeof where, "line %zu", lineno);
	cr_jsonl_rec rec;
	cr_msg pm;
	pm.text[0] = 0;
	e = cr_jsonl_parse_line(&a, line, len, &rec, &pm);
	if (e == CR_ECORRUPT) {
		char why[sizeof pm.text + sizeof where + 4];
		snprintf(why, sizeof why, "%s: %s", where, pm.text);
		cr_run_tell(r, where, CR_FILE_REJECTED, why);
		e = CR_OK;
		goto out;
	}
	if (e) {
		cr_fail(m, e, "%s: %s", where, pm.text);
		goto out;
	}
	const char *id = rec.id, *text = rec.text, *title = rec.title;
	size_t text_len = rec.text_len;
	cr_doc_row old;
	e = cr_store_doc_find(j->s, &a, j->source_id, id, &old, m);
	int have = e == CR_OK;
	if (e && e != CR_ENOTFOUND)
		goto out;
	e = CR_OK;
	if (have && old.hash && !strcmp(old.hash, hash)) {
		cr_run_tell(r, id, CR_FILE_UNCHANGED, NULL);
		e = cr_run_keep(r, id);
		goto out;
	}
	cr_section sec;
	memset(&sec, 0, sizeof sec);
	sec.text = text ? text : "";
	sec.len = text_len;
	sec.loc.t_start = sec.loc.t_end = -1;
	cr_doc d;
	memset(&d, 0, sizeof d);
	d.name = id;
	d.title = title;
	d.type = "jsonl";
	d.sections = &sec;
	d.n_sections = 1;
	cr_chunk one, *chunks = &one;
	size_t n = 1;
	if (text_len <= WHOLE_MAX) {
		memset(&one, 0, sizeof one);
		one.text = sec.text;
		one.len = text_len;
		one.loc = sec.loc;
	} else if ((e = cr_chunk_doc(&a, &d, &r->o->chunking, &chunks, &n))) {
		cr_fail(m, e, "%s: chunking failed", id);
		goto out;
	}
	cr_doc_row row;
	memset(&row, 0, sizeof row);
	row.source_id = j->source_id;
	row.name = id;
	row.hash = hash;
	row.size = (int64_t)len;
	row.meta_json = rec.meta_json;
	row.acl = r->o->acl;
	if (!j->in_tx) {
		if ((e = cr_store_begin(j->s, m)))
			goto out;
		j->in_tx = 1;
	}
	int64_t doc_id = 0;
	e = cr_store_doc_put(j->s, &row, &d, chunks, n, &doc_id, NULL, m);
	if (e) {
		cr_store_rollback(j->s);
		cr_feed_rolled_back(r->feed);
		j->in_tx = 0;
		goto out;
	}
	cr_feed_doc(r->feed, doc_id, &row, &d, chunks, n);
	r->rep->chunks += n;
	for (size_t i = 0; i < n; i++) {
		r->rep->bytes += chunks[i].len;
		j->batch_bytes += chunks[i].len;
	}
	cr_run_tell(r, id, have ? CR_FILE_UPDATED : CR_FILE_INGESTED, NULL);
	if (!(e = cr_run_keep(r, id)) && ++j->in_batch >= BATCH)
		e = flush(j, m);
out:
	cr_arena_release(&a);
	return e;
}

cr_err cr_corpus_ingest_jsonl(cr_corpus *c, const char *path, const cr_ingest_opts *o, cr_ingest_report *rep,
			      cr_msg *m)
{
	double t0 = cr_now();
	cr_ingest_opts def;
	if (!o) {
		def = cr_ingest_opts_default();
		o = &def;
	}
	cr_ingest_report dummy;
	if (!rep)
		rep = &dummy;
	memset(rep, 0, sizeof *rep);
	cr_run r = {.c = c, .o = o, .rep = rep};
	cr_arena_init(&r.seen_arena, 0);
	cr_mmap mm = {0};
	char *real = realpath(path, NULL);
	if (!real)
		return cr_fail(m, CR_ENOTFOUND, "%s: no such file", path);
	cr_err e = cr_mmap_open(&mm, real, m);
	if (e)
		goto out0;
	if (o->limits.max_file_bytes && mm.len > o->limits.max_file_bytes * 64) {
		/* a JSONL corpus may be large, but not unboundedly */
		e = cr_fail(m, CR_ETOOBIG, "%s: %zu bytes, over the limit", path, mm.len);
		goto out1;
	}
	if ((e = cr_corpus_lock(c, m)))
		goto out1;
	jl j = {.r = &r, .s = c->store};
	cr_arena_init(&j.k.a, 0);
	if ((e = cr_run_threads(&r, m)) || (e = cr_run_sync(&r, m)) ||
	    (e = cr_store_source_get_or_add(c->store, real, "jsonl", &j.source_id, m)) ||
	    (e = known_load(&j.k, c->store, j.source_id, m)))
		goto out2;
	cr_msg fm;
	if (r.feed_threads && cr_feed_start(c, r.feed_threads, r.o->index_buffer, &r.feed, &fm))
		r.feed = NULL; /* the syncs index instead */
	const char *p = (const char *)mm.data, *end = p + mm.len;
	for (const char *q = p; q < end; q++)
		r.total += *q == '\n';
	r.total += mm.len && end[-1] != '\n';
	size_t lineno = 0;
	while (p < end && !e) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		lineno++;
		const char *s = p;
		while (s < le && (*s == ' ' || *s == '\t' || *s == '\r'))
			s++;
		if (s < le) {
			size_t len = (size_t)(le - s);
			while (len && (s[len - 1] == '\r' || s[len - 1] == ' ' || s[len - 1] == '\t'))
				len--;
			e = one_line(&j, s, len, lineno, m);
		}
		p = nl ? nl + 1 : end;
	}
	if (!e)
		e = flush(&j, m);
	else if (j.in_tx) {
		cr_store_rollback(c->store);
		cr_feed_rolled_back(r.feed);
	}
	cr_feed_finish(r.feed); /* before any sync */
	r.feed = NULL;
	if (!e)
		e = cr_run_sweep(&r, j.source_id, m);
	if (!e)
		e = cr_run_sync(&r, m);
	if (!e)
		e = cr_corpus_maybe_merge(c, m);
out2:
	cr_run_threads_stop(&r);
	known_release(&j.k);
	cr_corpus_unlock(c);
out1:
	cr_mmap_close(&mm);
out0:
	free(real);
	cr_free(r.seen);
	cr_free(r.rejected);
	cr_arena_release(&r.seen_arena);
	rep->seconds = cr_now() - t0;
	return e;
}
