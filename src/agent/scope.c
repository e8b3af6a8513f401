/*
 * scope.c — which documents a meetings analysis reads (agent.h:
 * cr_agent_meetings), and the meetings' JSON (cr_meetings_json).
 *
 * Scope: none → every document of the catalog that looks like meeting
 * material (cr_meeting_like); a document name or a folder of names
 * ("samples/meetings", "./samples/meetings/", names inside a mail too:
 * "x.eml#...") → those documents, a single named one analysed whatever it
 * looks like; anything else → a search (plain words), its meeting
 * documents among the top k. Documents a principal may not read are left
 * out (the same rule as the index's filter, index.h).
 * Cost: one catalog listing (names only), then per document in scope one
 * row and its chunks.
 */
#include "agent_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct doc_list {
	cr_store_id_list ids;
	const char *scope; /* normalised, NULL: all */
	size_t scope_n;
	int exact;         /* a document named exactly */
} doc_list;

/* Adds id once (a search's hits may repeat a document). */
static int push(doc_list *l, int64_t id)
{
	for (size_t i = 0; i < l->ids.n; i++)
		if (l->ids.ids[i] == id)
			return 0;
	return cr_store_id_list_add(&l->ids, id, NULL, NULL, 0, 0);
}

static int on_doc(void *ctx, int64_t id, const char *name, const char *hash, int64_t mtime, int64_t size)
{
	(void)hash, (void)mtime, (void)size;
	doc_list *l = ctx;
	if (l->scope) {
		if (!name || strncmp(name, l->scope, l->scope_n))
			return 0;
		char c = name[l->scope_n];
		if (c == 0)
			l->exact = 1;
		else if (c != '/' && c != '#' && l->scope[l->scope_n - 1] != '/')
			return 0;
	}
	return push(l, id);
}

static int by_date(const void *x, const void *y)
{
	const cr_meeting *a = x, *b = y;
	int64_t da = a->date.y ? cr_ymd_days(a->date) : INT64_MAX, db = b->date.y ? cr_ymd_days(b->date) : INT64_MAX;
	if (da != db)
		return da < db ? -1 : 1;
	return strcmp(a->doc, b->doc);
}

cr_err agent_select(cr_corpus *c, const char *scope_in, int k, const cr_principal *who, const cr_cancel *cancel,
		    int64_t **ids, size_t *n_ids, int *single, cr_msg *m)
{
	*ids = NULL;
	*n_ids = 0;
	doc_list l = {0};
	char *scope = NULL;
	if (scope_in && *scope_in) {
		const char *s = scope_in;
		while (s[0] == '.' && s[1] == '/')
			s += 2;
		scope = strdup(s);
		if (!scope)
			return cr_fail(m, CR_ENOMEM, "meetings: out of memory");
		size_t k = strlen(scope);
		while (k > 1 && scope[k - 1] == '/')
			scope[--k] = 0;
		l.scope = scope;
		l.scope_n = k;
	}
	cr_store *st = NULL;
	cr_err e = cr_corpus_store_acquire(c, &st, m);
	if (!e)
		e = cr_store_docs_of_source(st, -1, on_doc, &l, m);
	cr_corpus_store_release(c, st);
	*single = l.exact && l.ids.n == 1;
	if (!e && scope && !l.ids.n) {
		/* not a name: a query */
		cr_arena qa;
		cr_arena_init(&qa, 0);
		cr_corpus_query q = {.text = scope, .k = k > 0 ? k : 50, .who = who, .no_snippets = 1,
				     .plain = 1, .cancel = cancel};
		cr_result *rs = NULL;
		size_t nr = 0;
		e = cr_corpus_search(c, &qa, &q, &rs, &nr, m);
		for (size_t i = 0; !e && i < nr; i++)
			if (push(&l, rs[i].doc_id))
				break;
		cr_arena_release(&qa);
	}
	if (!e && l.ids.oom)
		e = cr_fail(m, CR_ENOMEM, "out of memory");
	free(scope);
	if (e) {
		cr_free(l.ids.ids);
		return e;
	}
	*ids = l.ids.ids;
	*n_ids = l.ids.n;
	return CR_OK;
}

cr_err cr_agent_meetings(cr_corpus *c, cr_arena *a, const cr_meetings_opts *o, cr_meeting **out, size_t *n,
			 cr_msg *m)
{
	*out = NULL;
	*n = 0;
	int64_t *ids = NULL;
	size_t n_ids = 0;
	int single = 0;
	cr_store *st = NULL;
	cr_err e = agent_select(c, o ? o->scope : NULL, o ? o->k : 0, o ? o->who : NULL, o ? o->cancel : NULL, &ids,
				&n_ids, &single, m);
	cr_meeting *ms = NULL;
	size_t nm = 0;
	if (!e && n_ids && !(ms = cr_arena_alloc(a, n_ids * sizeof *ms)))
		e = cr_fail(m, CR_ENOMEM, "meetings: out of memory");
	for (size_t i = 0; !e && i < n_ids; i++) {
		if (o && o->cancel && (e = cr_cancel_check(o->cancel)) != CR_OK) {
			e = cr_fail(m, e, "meetings: %s", cr_strerror(e));
			break;
		}
		cr_doc_row row;
		if (!(e = cr_corpus_store_acquire(c, &st, m))) {
			e = cr_store_doc_get(st, a, ids[i], &row, m);
			cr_corpus_store_release(c, st);
		}
		if (e == CR_ENOTFOUND) { /* deleted meanwhile */
			e = CR_OK;
			continue;
		}
		if (e)
			break;
		if (!cr_acl_allows(o ? o->who : NULL, &row.acl))
			continue;
		cr_doc_text t;
		if ((e = cr_corpus_doc_text(c, a, row.id, &t, m)))
			break;
		if (!single && !cr_meeting_like(row.name, row.title, row.type, t.text, t.len))
			continue;
		cr_meeting_input in = {.doc = row.name, .title = row.title, .type = row.type, .doc_id = row.id,
				       .date = row.date, .text = &t};
		e = cr_meeting_extract(a, &in, &ms[nm], m);
		if (!e)
			nm++;
	}
	cr_free(ids);
	if (e)
		return e;
	if (nm > 1)
		qsort(ms, nm, sizeof *ms, by_date);
	*out = ms;
	*n = nm;
	return CR_OK;
}

/* ---- JSON ------------------------------------------------------------------- */

#define PUT(x)                           \
	do {                             \
		if (!err)                \
			err = (x);       \
	} while (0)

static cr_err jstr(cr_buf *b, const char *s)
{
	return s ? cr_buf_add_json_str(b, s, strlen(s)) : cr_buf_adds(b, "null");
}

static cr_err jdate(cr_buf *b, cr_ymd d)
{
	if (!d.y)
		return cr_buf_adds(b, "null");
	char iso[11];
	cr_ymd_iso(d, iso);
	return cr_buf_printf(b, "\"%s\"", iso);
}

cr_err cr_meetings_json(const cr_meeting *ms, size_t n, cr_buf *b)
{
	cr_err err = cr_buf_adds(b, "{\"meetings\":[");
	for (size_t i = 0; i < n && !err; i++) {
		const cr_meeting *mt = &ms[i];
		PUT(cr_buf_adds(b, i ? ",{\"doc\":" : "{\"doc\":"));
		PUT(jstr(b, mt->doc));
		PUT(cr_buf_adds(b, ",\"date\":"));
		PUT(jdate(b, mt->date));
		PUT(cr_buf_adds(b, ",\"title\":"));
		PUT(jstr(b, mt->title));
		PUT(cr_buf_adds(b, ",\"decisions\":["));
		for (size_t j = 0; j < mt->n_decisions && !err; j++) {
			PUT(cr_buf_adds(b, j ? ",{\"text\":" : "{\"text\":"));
			PUT(jstr(b, mt->decisions[j].text));
			PUT(cr_buf_adds(b, ",\"location\":"));
			PUT(cr_corpus_loc_json(b, &mt->decisions[j].loc));
			PUT(cr_buf_addc(b, '}'));
		}
		PUT(cr_buf_adds(b, "],\"actions\":["));
		for (size_t j = 0; j < mt->n_actions && !err; j++) {
			const cr_action *ac = &mt->actions[j];
			PUT(cr_buf_adds(b, j ? ",{\"owner\":" : "{\"owner\":"));
			PUT(jstr(b, ac->owner));
			PUT(cr_buf_adds(b, ",\"task\":"));
			PUT(jstr(b, ac->task));
			PUT(cr_buf_adds(b, ",\"due\":"));
			PUT(jdate(b, ac->due));
			PUT(cr_buf_adds(b, ",\"due_text\":"));
			PUT(jstr(b, ac->due_text));
			PUT(cr_buf_adds(b, ",\"location\":"));
			PUT(cr_corpus_loc_json(b, &ac->loc));
			PUT(cr_buf_addc(b, '}'));
		}
		PUT(cr_buf_adds(b, "]}"));
	}
	PUT(cr_buf_adds(b, "]}"));
	return err;
}
