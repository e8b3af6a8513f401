/*
 * json.c — the JSON the CLI prints and the server returns, built in one
 * place so both emit the same bytes.
 *
 * Search results: {"<key>": <val>, "results": [ {"doc", "title", "type",
 * "score", "snippet"?, location fields...}, ... ]}. Location fields appear
 * only when they apply: "page", "slide", "sheet", "line"/"line_end" (and,
 * in a sheet, the same range again as "row"/"row_end"), "speaker", "time"
 * (seconds), "heading", "symbol"; "also_at" (names of identical files,
 * at most CR_ALSO_MAX) and "copies" (how many) when the result stands for
 * copies of itself.
 *
 * A document: {"doc", "parent", "title", "type", "lang", "author", "date",
 * "size", "mtime" (seconds), "date_source" ("metadata", "file" when the
 * document had no date of its own and has the file's mtime, or null), "hash", "chunks", "acl": {tenant, owner,
 * classification (its name: public, internal, confidential, secret), groups (group ids; never the
 * address principals of readers)}, "meta" (the catalog's JSON object), "text",
 * "children" (names of the documents inside), "sections": [{"text",
 * location fields...}]}.
 *
 * Appending stops at the first failed append (the buffer's cap or memory)
 * and that error is returned; the buffer then holds a truncated object.
 */
#include "cristal/policy.h"
#include "corpus_int.h"

#include <string.h>

#define PUT(x)                                   \
	do {                                     \
		if (!err)                        \
			err = (x);               \
	} while (0)

static cr_err jstr(cr_buf *b, const char *s)
{
	return s ? cr_buf_add_json_str(b, s, strlen(s)) : cr_buf_adds(b, "null");
}

/* ,"key":"value" */
static cr_err kstr(cr_buf *b, const char *key, const char *s)
{
	cr_err err = cr_buf_printf(b, ",\"%s\":", key);
	PUT(jstr(b, s));
	return err;
}

static cr_err loc_json(cr_buf *b, const cr_loc *l)
{
	cr_err err = CR_OK;
	if (l->page > 0)
		PUT(cr_buf_printf(b, ",\"page\":%d", l->page));
	if (l->slide > 0)
		PUT(cr_buf_printf(b, ",\"slide\":%d", l->slide));
	if (l->sheet)
		PUT(kstr(b, "sheet", l->sheet));
	if (l->line_start > 0) {
		int le = l->line_end > 0 ? l->line_end : l->line_start;
		PUT(cr_buf_printf(b, ",\"line\":%d,\"line_end\":%d", l->line_start, le));
		if (l->sheet) /* in a sheet those are row numbers: say so too */
			PUT(cr_buf_printf(b, ",\"row\":%d,\"row_end\":%d", l->line_start, le));
	}
	if (l->speaker)
		PUT(kstr(b, "speaker", l->speaker));
	if (l->t_start >= 0)
		PUT(cr_buf_printf(b, ",\"time\":%.3f", l->t_start));
	if (l->heading)
		PUT(kstr(b, "heading", l->heading));
	if (l->symbol)
		PUT(kstr(b, "symbol", l->symbol));
	return err;
}

cr_err cr_corpus_loc_json(cr_buf *b, const cr_loc *l)
{
	cr_buf t;
	cr_buf_init(&t, 0);
	cr_err err = loc_json(&t, l);
	PUT(cr_buf_addc(b, '{'));
	if (t.len)
		PUT(cr_buf_add(b, t.data + 1, t.len - 1)); /* without the leading comma */
	PUT(cr_buf_addc(b, '}'));
	cr_buf_release(&t);
	return err;
}

cr_err cr_corpus_search_json(cr_buf *b, cr_search_mode mode, const char *key, const char *val, const cr_result *rs,
			     size_t n)
{
	cr_err err = cr_buf_addc(b, '{');
	PUT(cr_buf_printf(b, "\"mode\":\"%s\",", cr_search_mode_name(mode)));
	PUT(jstr(b, key ? key : "query"));
	PUT(cr_buf_addc(b, ':'));
	PUT(jstr(b, val));
	PUT(cr_buf_adds(b, ",\"results\":["));
	for (size_t i = 0; i < n && !err; i++) {
		const cr_result *r = &rs[i];
		PUT(cr_buf_adds(b, i ? ",{\"doc\":" : "{\"doc\":"));
		PUT(jstr(b, r->doc));
		PUT(kstr(b, "title", r->title));
		PUT(kstr(b, "type", r->type));
		PUT(cr_buf_printf(b, ",\"score\":%.4f", r->score));
		if (r->snippet)
			PUT(kstr(b, "snippet", r->snippet));
		if (r->found_by)
			PUT(kstr(b, "found_by", r->found_by));
		PUT(loc_json(b, &r->loc));
		if (r->n_also) {
			PUT(cr_buf_adds(b, ",\"also_at\":["));
			for (size_t j = 0; j < r->n_also && j < CR_ALSO_MAX; j++) {
				PUT(j ? cr_buf_addc(b, ',') : CR_OK);
				PUT(jstr(b, r->also_at[j]));
			}
			PUT(cr_buf_printf(b, "],\"copies\":%zu", r->n_also));
		}
		PUT(cr_buf_addc(b, '}'));
	}
	PUT(cr_buf_adds(b, "]}"));
	return err;
}

static int on_child(void *ctx, int64_t id, const char *name, const char *hash, int64_t mtime, int64_t size)
{
	cr_buf *b = ctx;
	cr_err err = b->len ? cr_buf_addc(b, ',') : CR_OK;
	PUT(jstr(b, name ? name : ""));
	return err != CR_OK;
}

const char *cr_corpus_date_source(const cr_doc_row *d)
{
	if (!d->date)
		return NULL;
	return d->mtime > 0 && d->date == d->mtime / 1000000000 ? "file" : "metadata";
}

cr_err cr_corpus_doc_json(cr_corpus *c, const cr_doc_row *d, const cr_doc_text *t, cr_buf *b, cr_msg *m)
{
	cr_buf kids;
	cr_buf_init(&kids, 0);
	cr_store *st = NULL; /* a connection of this call's own: any thread may call */
	cr_err e = cr_corpus_store_acquire(c, &st, m);
	if (!e)
		e = cr_store_children(st, d->id, on_child, &kids, m);
	cr_corpus_store_release(c, st);
	if (e) {
		cr_buf_release(&kids);
		return e;
	}
	cr_err err = cr_buf_adds(b, "{\"doc\":");
	PUT(jstr(b, d->name));
	PUT(kstr(b, "parent", d->parent));
	PUT(kstr(b, "title", d->title));
	PUT(kstr(b, "type", d->type));
	PUT(kstr(b, "lang", d->lang));
	PUT(kstr(b, "author", d->author));
	PUT(cr_buf_printf(b, ",\"date\":%lld,\"size\":%lld,\"mtime\":%lld", (long long)d->date, (long long)d->size,
			  (long long)(d->mtime / 1000000000)));
	PUT(kstr(b, "date_source", cr_corpus_date_source(d)));
	PUT(kstr(b, "hash", d->hash));
	PUT(cr_buf_printf(b, ",\"chunks\":%lld,\"acl\":{\"tenant\":%u,\"owner\":%u,\"classification\":\"%s\",\"groups\":[",
			  (long long)d->n_chunks, d->acl.tenant, d->acl.owner, cr_class_name(d->acl.classification)));
	/* groups only: the address principals of a message's readers would
	 * tell its readers how many Bcc recipients it had */
	for (uint32_t i = 0, k = 0; i < d->acl.n_groups; i++)
		if (d->acl.groups[i] < CR_ACL_ADDRESS_BASE)
			PUT(cr_buf_printf(b, "%s%u", k++ ? "," : "", d->acl.groups[i]));
	PUT(cr_buf_adds(b, "]},\"meta\":"));
	PUT(cr_buf_adds(b, d->meta_json && *d->meta_json == '{' ? d->meta_json : "{}"));
	PUT(cr_buf_adds(b, ",\"text\":"));
	PUT(cr_buf_add_json_str(b, t->text ? t->text : "", t->len));
	PUT(cr_buf_adds(b, ",\"children\":["));
	PUT(cr_buf_add(b, kids.data ? kids.data : "", kids.len));
	PUT(cr_buf_adds(b, "],\"sections\":["));
	for (size_t i = 0; i < t->n_parts && !err; i++) {
		PUT(cr_buf_adds(b, i ? ",{\"text\":" : "{\"text\":"));
		PUT(cr_buf_add_json_str(b, t->text + t->parts[i].start, t->parts[i].len));
		PUT(loc_json(b, &t->parts[i].loc));
		PUT(cr_buf_addc(b, '}'));
	}
	PUT(cr_buf_adds(b, "]}"));
	cr_buf_release(&kids);
	if (err)
		return cr_fail(m, err, "document JSON: %s", cr_strerror(err));
	return CR_OK;
}
