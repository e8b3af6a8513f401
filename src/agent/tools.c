/*
 * tools.c — the tools of the agent loop (agent.h: cr_agent_tools_*): their
 * JSON Schemas, the dispatch of one call, and the scope every result is
 * held to.
 *
 * Dispatch: unknown tool → arguments parsed (a JSON object, else an error
 * naming the parse failure) → repeated call? (tool name + canonical JSON of
 * the arguments, sorted keys, compared with every earlier call) → the tool,
 * which checks each argument's presence and type. Every refusal is a tool
 * result {"error": "..."} the model can act on; only memory and catalog
 * failures are errors of the call.
 *
 * Scope: search over-fetches (5 × k + 20, at most 100) and drops results
 * outside the scope; read_document answers "no document named X in this
 * agent's scope" alike for a missing, forbidden (ACL) or out-of-scope
 * document, so the model learns nothing of what it may not see;
 * list_sources and meeting_actions drop what is outside.
 * Passages (search results' chunks, read_document's parts) are numbered in
 * the order first returned; a chunk returned again keeps its number.
 * Costs: search, one index search and one catalog row per result;
 * read_document, one document's chunks; list_sources, one listing of every
 * name plus a row per candidate (at most 2,000); results sent to the model
 * are capped (passages 1,500 bytes, a result 16 KiB).
 */
#define _GNU_SOURCE /* memmem */
#include "agent_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PASSAGE_SEND 1500  /* bytes of a passage put in a tool result */
#define READ_BYTES 8000    /* read_document without a range: parts up to this much text */
#define RESULT_MAX 16384   /* bytes of one tool result */
#define LIST_MAX 50
#define LIST_SCAN 2000

struct cr_agent_tools {
	cr_corpus *c;
	cr_agent_opts o;
	cr_arena *a;
	cr_source *src;
	size_t n_src, cap_src;
	char **calls; /* "tool\x01canonical arguments" */
	size_t n_calls, cap_calls;
	uint32_t *gids; /* the scope's groups as ids (those that exist) */
	size_t n_gids;
};

static const char TOOLS_JSON[] =
	"["
	"{\"type\":\"function\",\"function\":{\"name\":\"search\",\"description\":\"Full-text search over the "
	"documents. Returns numbered passages [n] to cite.\",\"parameters\":{\"type\":\"object\",\"properties\":{"
	"\"query\":{\"type\":\"string\",\"description\":\"words to look for\"},"
	"\"k\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":20,\"description\":\"passages wanted (default 5)\"}},"
	"\"required\":[\"query\"],\"additionalProperties\":false}}},"
	"{\"type\":\"function\",\"function\":{\"name\":\"read_document\",\"description\":\"Reads a document by "
	"its name (as search or list_sources give it), part by part; the parts are numbered passages [n] to "
	"cite.\",\"parameters\":{\"type\":\"object\",\"properties\":{"
	"\"doc\":{\"type\":\"string\"},"
	"\"range\":{\"type\":\"object\",\"description\":\"parts to read, 1-based, inclusive\",\"properties\":{"
	"\"start\":{\"type\":\"integer\",\"minimum\":1},\"end\":{\"type\":\"integer\",\"minimum\":1}}}},"
	"\"required\":[\"doc\"],\"additionalProperties\":false}}},"
	"{\"type\":\"function\",\"function\":{\"name\":\"list_sources\",\"description\":\"Lists the documents "
	"(name, title, type), optionally those under a path prefix or of one type.\",\"parameters\":{\"type\":"
	"\"object\",\"properties\":{\"prefix\":{\"type\":\"string\"},\"type\":{\"type\":\"string\"}},"
	"\"additionalProperties\":false}}},"
	"{\"type\":\"function\",\"function\":{\"name\":\"meeting_actions\",\"description\":\"Decisions and action "
	"items (owner, task, due date) of the meetings in a folder or document (path), or among a search's "
	"results (query).\",\"parameters\":{\"type\":\"object\",\"properties\":{\"path\":{\"type\":\"string\"},"
	"\"query\":{\"type\":\"string\"}},\"additionalProperties\":false}}},"
	"{\"type\":\"function\",\"function\":{\"name\":\"table_stats\",\"description\":\"Figures of a "
	"spreadsheet's or CSV's column: rows, count of numbers, sum, mean, min, max, optionally per value of "
	"another column (group_by).\",\"parameters\":{\"type\":\"object\",\"properties\":{"
	"\"doc\":{\"type\":\"string\"},\"sheet\":{\"type\":\"string\"},\"column\":{\"type\":\"string\"},"
	"\"group_by\":{\"type\":\"string\"}},\"required\":[\"doc\",\"column\"],\"additionalProperties\":false}}},"
	"{\"type\":\"function\",\"function\":{\"name\":\"write_report\",\"description\":\"Writes a Markdown report "
	"file (needs the run to allow writing).\",\"parameters\":{\"type\":\"object\",\"properties\":{"
	"\"title\":{\"type\":\"string\"},\"markdown\":{\"type\":\"string\"}},\"required\":[\"title\",\"markdown\"],"
	"\"additionalProperties\":false}}}"
	"]";

static const char *const TOOL_NAMES =
	"search, read_document, list_sources, meeting_actions, table_stats, write_report";

const char *cr_agent_tools_json(void) { return TOOLS_JSON; }

static const char *const BUILTINS[] = {"search", "read_document", "list_sources", "meeting_actions", "table_stats",
				       "write_report"};

int cr_agent_tool_builtin(const char *name)
{
	for (size_t i = 0; name && i < CR_ARRAY_LEN(BUILTINS); i++)
		if (!strcmp(BUILTINS[i], name))
			return 1;
	return 0;
}

const char *const *cr_agent_tools_readonly(size_t *n)
{
	*n = CR_ARRAY_LEN(BUILTINS) - 1; /* all but write_report */
	return BUILTINS;
}

/* Whether o offers built-in tool name to the model. */
static int builtin_offered(const cr_agent_opts *o, const char *name)
{
	if (!o->builtins)
		return 1;
	for (size_t i = 0; i < o->n_builtins; i++)
		if (!strcmp(o->builtins[i], name))
			return 1;
	return 0;
}

cr_err cr_agent_tools_json_ext(const cr_agent_opts *o, cr_arena *a, const char **out, cr_msg *m)
{
	*out = TOOLS_JSON;
	if (!o || (!o->n_ext_tools && !o->builtins))
		return CR_OK;
	json_error_t je;
	json_t *all = json_loads(TOOLS_JSON, 0, &je);
	cr_err e = all ? CR_OK : cr_fail(m, CR_ENOMEM, "agent: out of memory");
	for (size_t i = 0; !e && o->builtins && i < json_array_size(all);) {
		const char *nm = json_string_value(json_object_get(json_object_get(json_array_get(all, i), "function"),
								   "name"));
		if (nm && !builtin_offered(o, nm))
			json_array_remove(all, i);
		else
			i++;
	}
	for (size_t i = 0; !e && i < o->n_ext_tools; i++) {
		const cr_agent_ext_tool *x = &o->ext_tools[i];
		json_t *params = json_loads(x->parameters ? x->parameters : "{\"type\":\"object\"}", 0, &je);
		if (!json_is_object(params)) {
			json_decref(params);
			e = cr_fail(m, CR_ECORRUPT, "agent: the schema of tool %s is not a JSON object", x->label);
			break;
		}
		json_t *fn = json_pack("{s:s,s:{s:s,s:s,s:o}}", "type", "function", "function", "name", x->name,
				       "description", x->description ? x->description : "", "parameters", params);
		if (!fn || json_array_append_new(all, fn))
			e = cr_fail(m, CR_ENOMEM, "agent: out of memory");
	}
	char *text = e ? NULL : json_dumps(all, JSON_COMPACT);
	json_decref(all);
	if (!e && !(text && (*out = cr_arena_strdup(a, text))))
		e = cr_fail(m, CR_ENOMEM, "agent: out of memory");
	free(text);
	return e;
}

static cr_err tool_error(cr_arena *a, cr_agent_step *out, const char *fmt, ...) CR_PRINTF(3, 4);
static cr_err set_result(cr_arena *a, cr_agent_step *out, int ok, const char *json, const char *summary);

/* Runs an outside tool (o.ext_tools): its text as {"result": ...}, its
 * error, a failed call or a transport failure as a tool error. */
static cr_err ext_call(cr_agent_tools *t, cr_arena *a, const cr_agent_ext_tool *x, json_t *args, cr_agent_step *out,
		       cr_msg *m)
{
	char *text = json_dumps(args, JSON_COMPACT);
	if (!text)
		return cr_fail(m, CR_ENOMEM, "agent: out of memory");
	cr_buf b, r;
	cr_buf_init(&b, (size_t)1 << 20);
	cr_buf_init(&r, 0);
	int is_error = 0;
	cr_msg xm = {{0}};
	cr_err e = x->call(x->ctx, text, &b, &is_error, &xm);
	free(text);
	(void)t;
	if (e == CR_ENOMEM) {
		e = cr_fail(m, CR_ENOMEM, "agent: out of memory");
	} else if (e || is_error) {
		e = tool_error(a, out, "%s: %s", x->label, e ? (xm.text[0] ? xm.text : cr_strerror(e)) : b.data ? b.data : "");
	} else {
		char summary[200];
		snprintf(summary, sizeof summary, "%s: %zu bytes", x->label, b.len);
		e = cr_buf_adds(&r, "{\"result\":");
		if (!e)
			e = cr_buf_add_json_str(&r, b.data ? b.data : "", b.len);
		if (!e)
			e = cr_buf_addc(&r, '}');
		e = e ? cr_fail(m, CR_ENOMEM, "agent: out of memory") : set_result(a, out, 1, r.data, summary);
	}
	cr_buf_release(&b);
	cr_buf_release(&r);
	return e;
}

/* ---- scope ------------------------------------------------------------- */

cr_err cr_agent_scope_add(cr_agent_scope *s, cr_arena *a, const char *entry)
{
	int is_type = !strncmp(entry, "type:", 5), is_group = !strncmp(entry, "group:", 6);
	const char ***list = is_type ? &s->types : is_group ? &s->groups : &s->prefixes;
	size_t *n = is_type ? &s->n_types : is_group ? &s->n_groups : &s->n_prefixes;
	const char *v = is_type ? entry + 5 : is_group ? entry + 6 : entry;
	while (!is_type && !is_group && v[0] == '.' && v[1] == '/')
		v += 2;
	if (!*v)
		return CR_EINVAL;
	const char **grown = cr_arena_alloc(a, (*n + 1) * sizeof *grown);
	char *copy = cr_arena_strdup(a, v);
	if (!grown || !copy)
		return CR_ENOMEM;
	if (*n)
		memcpy(grown, *list, *n * sizeof *grown);
	grown[(*n)++] = copy;
	*list = grown;
	return CR_OK;
}

static int prefix_has(const char *prefix, const char *name)
{
	size_t n = strlen(prefix);
	if (strncmp(name, prefix, n))
		return 0;
	char c = name[n];
	return c == 0 || c == '/' || c == '#' || prefix[n - 1] == '/';
}

int cr_agent_scope_has(const cr_agent_scope *s, const char *doc, const char *type)
{
	if (!s)
		return 1;
	if (!doc)
		return 0;
	int ok = !s->n_prefixes;
	for (size_t i = 0; i < s->n_prefixes && !ok; i++)
		ok = prefix_has(s->prefixes[i], doc);
	if (!ok)
		return 0;
	if (!s->n_types)
		return 1;
	for (size_t i = 0; i < s->n_types; i++)
		if (type && !strcmp(s->types[i], type))
			return 1;
	return 0;
}

/* Whether a document's ACL grants one of the scope's groups (any, when the
 * scope names none). */
static int scope_groups_allow(const cr_agent_tools *t, const cr_acl *a)
{
	if (!t->o.scope || !t->o.scope->n_groups)
		return 1;
	for (size_t i = 0; i < t->n_gids; i++)
		for (uint32_t j = 0; j < a->n_groups; j++)
			if (t->gids[i] == a->groups[j])
				return 1;
	return 0;
}

/* ---- state ------------------------------------------------------------- */

typedef struct group_ctx {
	const cr_agent_scope *scope;
	uint32_t *ids;
	size_t n;
} group_ctx;

static int on_group(void *ctx, const cr_name_row *r)
{
	group_ctx *g = ctx;
	for (size_t i = 0; i < g->scope->n_groups && g->n < g->scope->n_groups; i++)
		if (r->name && !strcmp(r->name, g->scope->groups[i])) {
			g->ids[g->n++] = (uint32_t)r->id;
			break;
		}
	return 0;
}

cr_err cr_agent_tools_new(cr_corpus *c, const cr_agent_opts *o, cr_arena *a, cr_agent_tools **out, cr_msg *m)
{
	*out = NULL;
	cr_agent_tools *t = cr_calloc(1, sizeof *t);
	if (!t)
		return cr_fail(m, CR_ENOMEM, "agent: out of memory");
	t->c = c;
	if (o)
		t->o = *o;
	t->a = a;
	cr_err e = CR_OK;
	if (t->o.scope && t->o.scope->n_groups) {
		group_ctx g = {.scope = t->o.scope};
		if (!(g.ids = cr_calloc(t->o.scope->n_groups, sizeof *g.ids)))
			e = cr_fail(m, CR_ENOMEM, "agent: out of memory");
		cr_store *st = NULL;
		if (!e && !(e = cr_corpus_store_acquire(c, &st, m))) {
			e = cr_store_group_list(st, on_group, &g, m);
			cr_corpus_store_release(c, st);
		}
		t->gids = g.ids;
		t->n_gids = g.n;
	}
	if (e) {
		cr_agent_tools_free(t);
		return e;
	}
	*out = t;
	return CR_OK;
}

void cr_agent_tools_free(cr_agent_tools *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n_calls; i++)
		cr_free(t->calls[i]);
	cr_free(t->calls);
	cr_free(t->src);
	cr_free(t->gids);
	cr_free(t);
}

const cr_source *cr_agent_tools_sources(const cr_agent_tools *t, size_t *n)
{
	*n = t->n_src;
	return t->src;
}

static const char *adup(cr_arena *a, const char *s) { return s ? cr_arena_strdup(a, s) : NULL; }

static cr_err loc_copy(cr_arena *a, const cr_loc *from, cr_loc *to)
{
	*to = *from;
	to->sheet = adup(a, from->sheet);
	to->speaker = adup(a, from->speaker);
	to->heading = adup(a, from->heading);
	to->symbol = adup(a, from->symbol);
	if ((from->sheet && !to->sheet) || (from->speaker && !to->speaker) || (from->heading && !to->heading) ||
	    (from->symbol && !to->symbol))
		return CR_ENOMEM;
	return CR_OK;
}

/* The number of a chunk's passage, added when new (0: out of memory). */
static int source_add(cr_agent_tools *t, const cr_chunk_row *ch, const char *retriever, float score)
{
	for (size_t i = 0; i < t->n_src; i++)
		if (t->src[i].chunk_id == ch->id)
			return t->src[i].n;
	if (t->n_src == t->cap_src) {
		size_t cap = t->cap_src ? 2 * t->cap_src : 16;
		cr_source *p = cr_realloc(t->src, cap * sizeof *p);
		if (!p)
			return 0;
		t->src = p;
		t->cap_src = cap;
	}
	cr_source s = {.n = (int)t->n_src + 1, .score = score, .retriever = retriever, .doc_id = ch->doc_id,
		       .chunk_id = ch->id, .len = ch->len};
	s.doc = adup(t->a, ch->doc);
	s.title = adup(t->a, ch->title);
	s.type = adup(t->a, ch->type);
	s.text = cr_arena_strndup(t->a, ch->text ? ch->text : "", ch->len);
	if (!s.doc || !s.text || loc_copy(t->a, &ch->loc, &s.loc))
		return 0;
	t->src[t->n_src++] = s;
	return s.n;
}

/* ---- results ----------------------------------------------------------- */

static cr_err set_result(cr_arena *a, cr_agent_step *out, int ok, const char *json, const char *summary)
{
	out->ok = ok;
	out->result = cr_arena_strdup(a, json);
	out->result_summary = cr_arena_strdup(a, summary);
	return out->result && out->result_summary ? CR_OK : CR_ENOMEM;
}

static cr_err tool_error(cr_arena *a, cr_agent_step *out, const char *fmt, ...) CR_PRINTF(3, 4);
static cr_err tool_error(cr_arena *a, cr_agent_step *out, const char *fmt, ...)
{
	char why[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	cr_buf b;
	cr_buf_init(&b, 0);
	cr_err e = cr_buf_adds(&b, "{\"error\":");
	if (!e)
		e = cr_buf_add_json_str(&b, why, strlen(why));
	if (!e)
		e = cr_buf_addc(&b, '}');
	char summary[600];
	snprintf(summary, sizeof summary, "error: %s", why);
	if (!e)
		e = set_result(a, out, 0, b.data, summary);
	cr_buf_release(&b);
	return e;
}

/* A UTF-8-safe cut. */
static size_t cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	return max;
}

static cr_err passage_json(cr_buf *b, const cr_source *s, int part)
{
	cr_err e = cr_buf_printf(b, "{\"n\":%d,\"doc\":", s->n);
	if (!e)
		e = cr_buf_add_json_str(b, s->doc, strlen(s->doc));
	if (!e && s->title && *s->title) {
		e = cr_buf_adds(b, ",\"title\":");
		if (!e)
			e = cr_buf_add_json_str(b, s->title, strlen(s->title));
	}
	if (!e && part)
		e = cr_buf_printf(b, ",\"part\":%d", part);
	if (!e)
		e = cr_buf_adds(b, ",\"location\":");
	if (!e)
		e = cr_corpus_loc_json(b, &s->loc);
	if (!e)
		e = cr_buf_adds(b, ",\"text\":");
	if (!e)
		e = cr_buf_add_json_str(b, s->text, cut(s->text, s->len, PASSAGE_SEND));
	if (!e)
		e = cr_buf_addc(b, '}');
	return e;
}

static cr_err ids_push(cr_arena *a, cr_agent_step *out, int64_t id, size_t cap)
{
	if (!out->chunk_ids) {
		out->chunk_ids = cr_arena_alloc(a, (cap ? cap : 1) * sizeof(int64_t));
		if (!out->chunk_ids)
			return CR_ENOMEM;
	}
	if (out->n_chunk_ids < cap)
		((int64_t *)out->chunk_ids)[out->n_chunk_ids++] = id;
	return CR_OK;
}

/* Arguments: a string field (NULL when absent); *bad set when mistyped. */
static const char *arg_str(json_t *args, const char *key, int *bad)
{
	json_t *v = json_object_get(args, key);
	if (!v || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		*bad = 1;
		return NULL;
	}
	return json_string_value(v);
}

/* ---- the tools --------------------------------------------------------- */

static cr_err do_search(cr_agent_tools *t, cr_arena *a, json_t *args, cr_agent_step *out, cr_msg *m)
{
	int bad = 0;
	const char *query = arg_str(args, "query", &bad);
	if (bad || !query || !*query)
		return tool_error(a, out, "search needs \"query\": the words to look for (a non-empty string)");
	json_t *kv = json_object_get(args, "k");
	int k = 5;
	if (kv && !json_is_null(kv)) {
		if (!json_is_integer(kv) || json_integer_value(kv) < 1 || json_integer_value(kv) > 20)
			return tool_error(a, out, "search: \"k\" must be an integer from 1 to 20");
		k = (int)json_integer_value(kv);
	}
	json_t *extra;
	const char *key;
	json_object_foreach(args, key, extra)
	{
		if (strcmp(key, "query") && strcmp(key, "k"))
			return tool_error(a, out, "search takes \"query\" and \"k\", not \"%s\"", key);
	}
	cr_corpus_query q = {.text = query,
			     .k = t->o.scope ? CR_MIN(100, 5 * k + 20) : k,
			     .who = t->o.who,
			     .no_snippets = 1,
			     .plain = 1,
			     .cancel = t->o.cancel};
	if (t->o.embed && cr_corpus_vectors_count(t->c)) {
		/* hybrid, as `cristal search`; without the embedding, words */
		float *v = NULL;
		int dim = 0;
		cr_msg em = {{0}};
		if (!t->o.embed(t->o.embed_ctx, &query, 1, a, &v, &dim, &em))
			q.mode = CR_SEARCH_HYBRID, q.vec = v, q.vec_dim = dim;
	}
	cr_result *rs;
	size_t n_rs;
	cr_err e = cr_corpus_search(t->c, a, &q, &rs, &n_rs, m);
	if (e)
		return e == CR_ECANCELED || e == CR_ETIMEOUT ? e : tool_error(a, out, "search failed: %s", m->text);
	cr_store *s;
	if ((e = cr_corpus_store_acquire(t->c, &s, m)))
		return e;
	cr_buf b;
	cr_buf_init(&b, 0);
	e = cr_buf_adds(&b, "{\"query\":");
	if (!e)
		e = cr_buf_add_json_str(&b, query, strlen(query));
	if (!e)
		e = cr_buf_adds(&b, ",\"results\":[");
	int got = 0, first = 0, last = 0;
	for (size_t i = 0; i < n_rs && got < k && !e; i++) {
		if (!cr_agent_scope_has(t->o.scope, rs[i].doc, rs[i].type))
			continue;
		cr_chunk_row ch;
		if (cr_store_chunk_get(s, a, rs[i].chunk_id, &ch, NULL))
			continue; /* deleted since the index saw it */
		if (!scope_groups_allow(t, &ch.acl))
			continue;
		int num = source_add(t, &ch, rs[i].found_by ? rs[i].found_by : "bm25", rs[i].score);
		if (!num) {
			e = CR_ENOMEM;
			break;
		}
		if (got && b.len > RESULT_MAX)
			break;
		if (got)
			e = cr_buf_addc(&b, ',');
		if (!e)
			e = passage_json(&b, &t->src[num - 1], 0);
		if (!e)
			e = ids_push(a, out, ch.id, (size_t)k);
		first = got ? CR_MIN(first, num) : num;
		last = CR_MAX(last, num);
		got++;
	}
	cr_corpus_store_release(t->c, s);
	if (!e)
		e = cr_buf_adds(&b, "]}");
	char summary[128];
	if (!got)
		snprintf(summary, sizeof summary, "no passage found");
	else
		snprintf(summary, sizeof summary, "%d passage%s [%d]-[%d]", got, got == 1 ? "" : "s", first, last);
	if (!e)
		e = set_result(a, out, 1, b.data, summary);
	cr_buf_release(&b);
	return e ? cr_fail(m, e, "agent: search: %s", cr_strerror(e)) : CR_OK;
}

typedef struct read_ctx {
	cr_agent_tools *t;
	cr_arena *a;
	int start, end; /* 1-based inclusive; end 0: up to READ_BYTES */
	int part, total;
	size_t bytes;
	int nums[256];
	int parts[256];
	int n;
	int oom;
} read_ctx;

static int on_chunk(void *ctx, const cr_chunk_row *ch)
{
	read_ctx *r = ctx;
	r->part++;
	r->total = r->part;
	if (r->part < r->start || r->n == (int)CR_ARRAY_LEN(r->nums))
		return 0;
	if (r->end ? r->part > r->end : (r->n && r->bytes + ch->len > READ_BYTES))
		return 0;
	int num = source_add(r->t, ch, "read", 0);
	if (!num) {
		r->oom = 1;
		return 1;
	}
	r->bytes += ch->len;
	r->parts[r->n] = r->part;
	r->nums[r->n++] = num;
	return 0;
}

/* The document a tool names, if the scope and the ACL let the agent see it;
 * else *refused = 1 and out holds the tool error (the same for a missing
 * document). On success *s is a catalog connection to give back. */
static cr_err find_doc(cr_agent_tools *t, cr_arena *a, const char *doc, cr_store **s, cr_doc_row *row, int *refused,
		       cr_agent_step *out, cr_msg *m)
{
	*refused = 0;
	cr_err e = cr_corpus_store_acquire(t->c, s, m);
	if (e)
		return e;
	const char *name = doc;
	while (name[0] == '.' && name[1] == '/')
		name += 2;
	cr_err fe = cr_store_doc_find_any(*s, a, name, row, NULL);
	if (fe || !cr_agent_scope_has(t->o.scope, row->name, row->type) || !scope_groups_allow(t, &row->acl) ||
	    !cr_acl_allows(t->o.who, &row->acl)) {
		cr_corpus_store_release(t->c, *s);
		*s = NULL;
		if (fe && fe != CR_ENOTFOUND)
			return cr_fail(m, fe, "agent: %s: %s", out->tool, cr_strerror(fe));
		*refused = 1;
		return tool_error(a, out, "no document named \"%s\" in this agent's scope", doc);
	}
	return CR_OK;
}

static cr_err do_read(cr_agent_tools *t, cr_arena *a, json_t *args, cr_agent_step *out, cr_msg *m)
{
	int bad = 0;
	const char *doc = arg_str(args, "doc", &bad);
	if (bad || !doc || !*doc)
		return tool_error(a, out, "read_document needs \"doc\": a document name as search or list_sources give it");
	int start = 1, end = 0;
	json_t *range = json_object_get(args, "range");
	if (range && !json_is_null(range)) {
		json_t *js = json_object_get(range, "start"), *je = json_object_get(range, "end");
		if (!json_is_object(range) || (js && !json_is_integer(js)) || (je && !json_is_integer(je)))
			return tool_error(a, out, "read_document: \"range\" is {\"start\": N, \"end\": M}, parts counted from 1");
		if (js)
			start = (int)CR_MAX(1, CR_MIN(json_integer_value(js), 1 << 30));
		if (je)
			end = (int)CR_MAX(1, CR_MIN(json_integer_value(je), 1 << 30));
		if (end && end < start)
			return tool_error(a, out, "read_document: range end %d is before its start %d", end, start);
	}
	cr_store *s;
	cr_doc_row row;
	int refused;
	cr_err e = find_doc(t, a, doc, &s, &row, &refused, out, m);
	if (e || refused)
		return e;
	read_ctx r = {.t = t, .a = a, .start = start, .end = end};
	e = cr_store_chunks_of_doc(s, row.id, on_chunk, &r, m);
	cr_corpus_store_release(t->c, s);
	if (!e && r.oom)
		e = cr_fail(m, CR_ENOMEM, "agent: out of memory");
	if (e)
		return e;
	if (!r.n)
		return tool_error(a, out, "\"%s\" has %d part%s; nothing at part %d", row.name, r.total,
				  r.total == 1 ? "" : "s", start);
	cr_buf b;
	cr_buf_init(&b, 0);
	e = cr_buf_adds(&b, "{\"doc\":");
	if (!e)
		e = cr_buf_add_json_str(&b, row.name, strlen(row.name));
	if (!e && row.type)
		e = cr_buf_printf(&b, ",\"type\":\"%s\"", row.type);
	if (!e)
		e = cr_buf_printf(&b, ",\"parts\":%d,\"results\":[", r.total);
	int sent = 0;
	for (int i = 0; i < r.n && !e; i++) {
		if (i && b.len > RESULT_MAX)
			break;
		if (i)
			e = cr_buf_addc(&b, ',');
		if (!e)
			e = passage_json(&b, &t->src[r.nums[i] - 1], r.parts[i]);
		if (!e)
			e = ids_push(a, out, t->src[r.nums[i] - 1].chunk_id, (size_t)r.n);
		sent = r.parts[i];
	}
	if (!e)
		e = cr_buf_printf(&b, "],\"more\":%s}", sent < r.total ? "true" : "false");
	char summary[256];
	snprintf(summary, sizeof summary, "%s: parts %d-%d of %d", row.name, r.parts[0], sent, r.total);
	if (!e)
		e = set_result(a, out, 1, b.data, summary);
	cr_buf_release(&b);
	return e ? cr_fail(m, e, "agent: read_document: %s", cr_strerror(e)) : CR_OK;
}

typedef struct list_ctx {
	const cr_agent_scope *scope;
	const char *prefix;
	int64_t ids[LIST_SCAN];
	int n;
} list_ctx;

static int on_name(void *ctx, int64_t id, const char *name, const char *hash, int64_t mtime, int64_t size)
{
	(void)hash, (void)mtime, (void)size;
	list_ctx *l = ctx;
	if (!name || (l->prefix && !prefix_has(l->prefix, name)))
		return 0;
	if (l->scope) { /* the paths only: types and groups are checked on the row */
		cr_agent_scope paths = {.prefixes = l->scope->prefixes, .n_prefixes = l->scope->n_prefixes};
		if (!cr_agent_scope_has(&paths, name, NULL))
			return 0;
	}
	l->ids[l->n++] = id;
	return l->n == LIST_SCAN;
}

static cr_err do_list(cr_agent_tools *t, cr_arena *a, json_t *args, cr_agent_step *out, cr_msg *m)
{
	int bad = 0;
	const char *prefix = arg_str(args, "prefix", &bad);
	const char *type = arg_str(args, "type", &bad);
	if (bad)
		return tool_error(a, out, "list_sources: \"prefix\" and \"type\" are strings");
	if (prefix && !*prefix)
		prefix = NULL;
	list_ctx *l = cr_arena_zalloc(a, sizeof *l);
	if (!l)
		return cr_fail(m, CR_ENOMEM, "agent: out of memory");
	l->scope = t->o.scope;
	l->prefix = prefix;
	cr_store *s;
	cr_err e = cr_corpus_store_acquire(t->c, &s, m);
	if (e)
		return e;
	e = cr_store_docs_of_source(s, -1, on_name, l, m);
	cr_buf b;
	cr_buf_init(&b, 0);
	if (!e)
		e = cr_buf_adds(&b, "{\"documents\":[");
	int got = 0, more = 0;
	for (int i = 0; i < l->n && !e; i++) {
		cr_doc_row row;
		if (cr_store_doc_get(s, a, l->ids[i], &row, NULL))
			continue;
		if ((type && (!row.type || strcmp(row.type, type))) || !cr_agent_scope_has(t->o.scope, row.name, row.type) ||
		    !scope_groups_allow(t, &row.acl) || !cr_acl_allows(t->o.who, &row.acl))
			continue;
		if (got == LIST_MAX) {
			more = 1;
			break;
		}
		e = cr_buf_adds(&b, got ? ",{\"doc\":" : "{\"doc\":");
		if (!e)
			e = cr_buf_add_json_str(&b, row.name, strlen(row.name));
		if (!e && row.title) {
			e = cr_buf_adds(&b, ",\"title\":");
			if (!e)
				e = cr_buf_add_json_str(&b, row.title, strlen(row.title));
		}
		if (!e)
			e = cr_buf_printf(&b, ",\"type\":\"%s\",\"parts\":%lld}", row.type ? row.type : "",
					  (long long)row.n_chunks);
		got++;
	}
	cr_corpus_store_release(t->c, s);
	if (!e)
		e = cr_buf_printf(&b, "],\"more\":%s}", more || l->n == LIST_SCAN ? "true" : "false");
	char summary[64];
	snprintf(summary, sizeof summary, "%d document%s%s", got, got == 1 ? "" : "s", more ? " (more)" : "");
	if (!e)
		e = set_result(a, out, 1, b.data, summary);
	cr_buf_release(&b);
	return e ? cr_fail(m, e, "agent: list_sources: %s", m->text[0] ? m->text : cr_strerror(e)) : CR_OK;
}

static cr_err do_meetings(cr_agent_tools *t, cr_arena *a, json_t *args, cr_agent_step *out, cr_msg *m)
{
	int bad = 0;
	const char *path = arg_str(args, "path", &bad);
	const char *query = arg_str(args, "query", &bad);
	if (bad || (path && query) || (!path && !query) || (path && !*path) || (query && !*query))
		return tool_error(a, out, "meeting_actions needs one of \"path\" (a folder or document) or \"query\" (words)");
	cr_meetings_opts mo = {.scope = path ? path : query, .k = 50, .who = t->o.who, .cancel = t->o.cancel};
	cr_meeting *ms;
	size_t n;
	cr_err e = cr_agent_meetings(t->c, a, &mo, &ms, &n, m);
	if (e)
		return e == CR_ECANCELED || e == CR_ETIMEOUT || e == CR_ENOMEM
			       ? e
			       : tool_error(a, out, "meeting_actions failed: %s", m->text);
	size_t kept = 0, n_act = 0;
	for (size_t i = 0; i < n; i++) {
		if (!cr_agent_scope_has(t->o.scope, ms[i].doc, ms[i].type))
			continue;
		if (t->o.scope && t->o.scope->n_groups) {
			cr_store *s;
			cr_doc_row row;
			if ((e = cr_corpus_store_acquire(t->c, &s, m)))
				return e;
			cr_err ge = cr_store_doc_get(s, a, ms[i].doc_id, &row, NULL);
			cr_corpus_store_release(t->c, s);
			if (ge || !scope_groups_allow(t, &row.acl))
				continue;
		}
		ms[kept++] = ms[i];
	}
	cr_buf b;
	cr_buf_init(&b, 0);
	for (;;) { /* fewer meetings until the result fits */
		cr_buf_reset(&b);
		if ((e = cr_meetings_json(ms, kept, &b)))
			break;
		if (b.len <= RESULT_MAX || kept <= 1)
			break;
		kept = kept * 3 / 4;
	}
	for (size_t i = 0; i < kept; i++)
		n_act += ms[i].n_actions;
	char summary[96];
	snprintf(summary, sizeof summary, "%zu meeting%s, %zu action item%s", kept, kept == 1 ? "" : "s", n_act,
		 n_act == 1 ? "" : "s");
	if (!e)
		e = set_result(a, out, 1, b.data, summary);
	cr_buf_release(&b);
	return e ? cr_fail(m, e, "agent: meeting_actions: %s", cr_strerror(e)) : CR_OK;
}

static cr_err do_write(cr_agent_tools *t, cr_arena *a, json_t *args, cr_agent_step *out, cr_msg *m)
{
	int bad = 0;
	const char *title = arg_str(args, "title", &bad);
	const char *md = arg_str(args, "markdown", &bad);
	if (bad || !title || !*title || !md)
		return tool_error(a, out, "write_report needs \"title\" and \"markdown\" (strings)");
	if (!t->o.allow_write)
		return tool_error(a, out, "write_report writes a file, and this run is read-only (it needs --allow-write)");
	char slug[96];
	size_t j = 0;
	for (const unsigned char *p = (const unsigned char *)title; *p && j < 80; p++) {
		if (*p >= 0xC0 && j + (size_t)(*p >= 0xF0 ? 4 : *p >= 0xE0 ? 3 : 2) > 80)
			break; /* never a cut sequence */
		int keep = *p >= 0x80 || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			   *p == '_' || *p == '-';
		char c = keep ? (char)*p : '-';
		if (c == '-' && (j == 0 || slug[j - 1] == '-'))
			continue;
		slug[j++] = c;
	}
	while (j && slug[j - 1] == '-')
		j--;
	slug[j] = 0;
	if (!j)
		snprintf(slug, sizeof slug, "report");
	const char *dir = t->o.out_dir && *t->o.out_dir ? t->o.out_dir : ".";
	cr_err e = cr_mkdirs(dir, m);
	if (e)
		return tool_error(a, out, "write_report: cannot create %s", dir);
	char *path = cr_arena_printf(a, "%s/%s.md", dir, slug);
	cr_buf b;
	cr_buf_init(&b, 0);
	e = cr_buf_printf(&b, "# %s\n\n%s\n", title, md);
	cr_msg wm = {{0}};
	if (!e && path && cr_file_write_atomic(path, b.data, b.len, &wm)) {
		cr_buf_release(&b);
		return tool_error(a, out, "write_report: %s", wm.text);
	}
	size_t bytes = b.len;
	cr_buf_reset(&b);
	if (!e && path) {
		e = cr_buf_adds(&b, "{\"path\":");
		if (!e)
			e = cr_buf_add_json_str(&b, path, strlen(path));
		if (!e)
			e = cr_buf_printf(&b, ",\"bytes\":%zu}", bytes);
	}
	char summary[512];
	snprintf(summary, sizeof summary, "wrote %s (%zu bytes)", path ? path : "?", bytes);
	if (!e && path)
		e = set_result(a, out, 1, b.data, summary);
	cr_buf_release(&b);
	return e || !path ? cr_fail(m, CR_ENOMEM, "agent: out of memory") : CR_OK;
}

/* ---- table_stats: figures of a spreadsheet's or CSV's column ---------- */

#define GROUPS_MAX 50

typedef struct stat_acc {
	const char *key;
	size_t key_len;
	int64_t rows, n;
	double sum, min, max;
} stat_acc;

/* A cell's number: "12,000", "¥12000", "$1,250.50", "15%", "1 200 円"; 0 if none. */
static int cell_number(const char *v, size_t len, double *out)
{
	char buf[64];
	size_t j = 0;
	const unsigned char *p = (const unsigned char *)v, *end = p + len;
	if (len >= 3 && !memcmp(end - 3, "\xe5\x86\x86", 3)) /* 円 */
		end -= 3;
	for (; p < end; p++) {
		if (*p == ',' || *p == ' ' || *p == '$' || *p == '%')
			continue;
		if (end - p >= 2 && (!memcmp(p, "\xc2\xa5", 2) || !memcmp(p, "\xc2\xa3", 2))) { /* ¥ £ */
			p++;
			continue;
		}
		if (end - p >= 3 && !memcmp(p, "\xe2\x82\xac", 3)) { /* € */
			p += 2;
			continue;
		}
		if (!((*p >= '0' && *p <= '9') || *p == '.' || *p == '-' || *p == '+' || *p == 'e' || *p == 'E') ||
		    j + 1 >= sizeof buf)
			return 0;
		buf[j++] = (char)*p;
	}
	if (!j)
		return 0;
	buf[j] = 0;
	char *e;
	double x = strtod(buf, &e);
	if (*e || x != x || x > 1e300 || x < -1e300)
		return 0;
	*out = x;
	return 1;
}

static void acc_add(stat_acc *s, int has, double x)
{
	s->rows++;
	if (!has)
		return;
	if (!s->n || x < s->min)
		s->min = x;
	if (!s->n || x > s->max)
		s->max = x;
	s->sum += x;
	s->n++;
}

/* The value of cell `col` in a row "A: 1; B: 2" (NULL when absent). */
static const char *cell_of(const char *row, size_t len, const char *col, size_t *vlen)
{
	size_t cl = strlen(col);
	const char *p = row, *end = row + len;
	while (p < end) {
		const char *semi = p;
		while (semi < end && !(semi[0] == ';' && semi + 1 < end && semi[1] == ' '))
			semi++;
		const char *colon = p;
		while (colon + 1 < semi && !(colon[0] == ':' && colon[1] == ' '))
			colon++;
		if (colon + 1 < semi && (size_t)(colon - p) == cl && !strncasecmp(p, col, cl)) {
			*vlen = (size_t)(semi - colon - 2);
			return colon + 2;
		}
		p = semi + 2;
	}
	return NULL;
}

static cr_err stats_json(cr_buf *b, const stat_acc *s)
{
	cr_err e = cr_buf_printf(b, "\"rows\":%lld,\"count\":%lld", (long long)s->rows, (long long)s->n);
	if (!e && s->n)
		e = cr_buf_printf(b, ",\"sum\":%.15g,\"mean\":%.15g,\"min\":%.15g,\"max\":%.15g", s->sum, s->sum / (double)s->n,
				  s->min, s->max);
	return e;
}

static cr_err do_table(cr_agent_tools *t, cr_arena *a, json_t *args, cr_agent_step *out, cr_msg *m)
{
	int bad = 0;
	const char *doc = arg_str(args, "doc", &bad);
	const char *sheet = arg_str(args, "sheet", &bad);
	const char *column = arg_str(args, "column", &bad);
	const char *group = arg_str(args, "group_by", &bad);
	if (bad || !doc || !*doc || !column || !*column)
		return tool_error(a, out, "table_stats needs \"doc\" and \"column\" (strings); \"sheet\" and \"group_by\" are optional strings");
	cr_store *s;
	cr_doc_row row;
	int refused;
	cr_err e = find_doc(t, a, doc, &s, &row, &refused, out, m);
	if (e || refused)
		return e;
	cr_corpus_store_release(t->c, s);
	cr_doc_text dt;
	if ((e = cr_corpus_doc_text(t->c, a, row.id, &dt, m)))
		return e;
	stat_acc all = {0};
	stat_acc *groups = cr_arena_zalloc(a, GROUPS_MAX * sizeof *groups);
	if (!groups)
		return cr_fail(m, CR_ENOMEM, "agent: out of memory");
	size_t n_groups = 0;
	int more_groups = 0, sheet_seen = 0;
	const char *first_row = NULL;
	size_t first_len = 0;
	for (size_t i = 0; i < dt.n_parts; i++) {
		const cr_doc_part *pt = &dt.parts[i];
		if (sheet && (!pt->loc.sheet || strcmp(pt->loc.sheet, sheet)))
			continue;
		sheet_seen = 1;
		const char *p = dt.text + pt->start, *end = p + pt->len;
		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			const char *le = nl ? nl : end;
			size_t vl = 0, gl = 0;
			const char *v = cell_of(p, (size_t)(le - p), column, &vl);
			if (!first_row && memmem(p, (size_t)(le - p), ": ", 2)) {
				first_row = p;
				first_len = (size_t)(le - p);
			}
			if (v) {
				double x = 0;
				int has = cell_number(v, vl, &x);
				acc_add(&all, has, x);
				const char *g = group ? cell_of(p, (size_t)(le - p), group, &gl) : NULL;
				if (g) {
					size_t k = 0;
					while (k < n_groups && !(groups[k].key_len == gl && !memcmp(groups[k].key, g, gl)))
						k++;
					if (k == n_groups && n_groups < GROUPS_MAX) {
						groups[k].key = g;
						groups[k].key_len = gl;
						n_groups++;
					}
					if (k < n_groups)
						acc_add(&groups[k], has, x);
					else
						more_groups = 1;
				}
			}
			p = le + 1;
		}
	}
	if (sheet && !sheet_seen)
		return tool_error(a, out, "\"%s\" has no sheet \"%s\"", row.name, sheet);
	if (!all.rows) {
		/* name the columns there are, from the first row with cells */
		char cols[256] = "";
		size_t cj = 0;
		for (const char *p = first_row, *end = first_row + first_len; p && p < end && cj + 4 < sizeof cols;) {
			const char *colon = memmem(p, (size_t)(end - p), ": ", 2);
			if (!colon)
				break;
			size_t l = CR_MIN((size_t)(colon - p), sizeof cols - cj - 4);
			if (cj)
				cols[cj++] = ',', cols[cj++] = ' ';
			memcpy(cols + cj, p, l);
			cj += l;
			cols[cj] = 0;
			const char *semi = memmem(colon, (size_t)(end - colon), "; ", 2);
			p = semi ? semi + 2 : end;
		}
		return tool_error(a, out, "no column \"%s\" in %s%s%s%s", column, row.name, cj ? " (columns: " : "", cols,
				  cj ? ")" : "");
	}
	cr_buf b;
	cr_buf_init(&b, 0);
	e = cr_buf_adds(&b, "{\"doc\":");
	if (!e)
		e = cr_buf_add_json_str(&b, row.name, strlen(row.name));
	if (!e && sheet) {
		e = cr_buf_adds(&b, ",\"sheet\":");
		if (!e)
			e = cr_buf_add_json_str(&b, sheet, strlen(sheet));
	}
	if (!e)
		e = cr_buf_adds(&b, ",\"column\":");
	if (!e)
		e = cr_buf_add_json_str(&b, column, strlen(column));
	if (!e)
		e = cr_buf_addc(&b, ',');
	if (!e)
		e = stats_json(&b, &all);
	if (!e && group) {
		e = cr_buf_adds(&b, ",\"group_by\":");
		if (!e)
			e = cr_buf_add_json_str(&b, group, strlen(group));
		if (!e)
			e = cr_buf_adds(&b, ",\"groups\":[");
		for (size_t k = 0; k < n_groups && !e; k++) {
			e = cr_buf_adds(&b, k ? ",{\"key\":" : "{\"key\":");
			if (!e)
				e = cr_buf_add_json_str(&b, groups[k].key, groups[k].key_len);
			if (!e)
				e = cr_buf_addc(&b, ',');
			if (!e)
				e = stats_json(&b, &groups[k]);
			if (!e)
				e = cr_buf_addc(&b, '}');
		}
		if (!e)
			e = cr_buf_printf(&b, "],\"more_groups\":%s", more_groups ? "true" : "false");
	}
	if (!e)
		e = cr_buf_addc(&b, '}');
	char summary[200];
	snprintf(summary, sizeof summary, "%s: %lld rows, %lld numbers, sum %.15g", column, (long long)all.rows,
		 (long long)all.n, all.sum);
	if (!e)
		e = set_result(a, out, 1, b.data, summary);
	cr_buf_release(&b);
	return e ? cr_fail(m, e, "agent: table_stats: %s", cr_strerror(e)) : CR_OK;
}

/* ---- dispatch ---------------------------------------------------------- */

typedef cr_err (*tool_fn)(cr_agent_tools *t, cr_arena *a, json_t *args, cr_agent_step *out, cr_msg *m);
static const struct {
	const char *name;
	tool_fn fn;
} TOOLS[] = {{"search", do_search},
	     {"read_document", do_read},
	     {"list_sources", do_list},
	     {"meeting_actions", do_meetings},
	     {"table_stats", do_table},
	     {"write_report", do_write}};

/* 1 when this call was made before; else remembers it (-1: out of memory). */
static int repeated(cr_agent_tools *t, const char *name, json_t *args)
{
	char *canon = json_dumps(args, JSON_COMPACT | JSON_SORT_KEYS);
	if (!canon)
		return -1;
	size_t len = strlen(name) + 1 + strlen(canon) + 1;
	char *key = cr_malloc(len);
	if (!key) {
		free(canon);
		return -1;
	}
	snprintf(key, len, "%s\x01%s", name, canon);
	free(canon);
	for (size_t i = 0; i < t->n_calls; i++)
		if (!strcmp(t->calls[i], key)) {
			cr_free(key);
			return 1;
		}
	if (t->n_calls == t->cap_calls) {
		size_t cap = t->cap_calls ? 2 * t->cap_calls : 16;
		char **p = cr_realloc(t->calls, cap * sizeof *p);
		if (!p) {
			cr_free(key);
			return -1;
		}
		t->calls = p;
		t->cap_calls = cap;
	}
	t->calls[t->n_calls++] = key;
	return 0;
}

cr_err cr_agent_tools_call(cr_agent_tools *t, cr_arena *a, const char *name, const char *arguments,
			   cr_agent_step *out, cr_msg *m)
{
	memset(out, 0, sizeof *out);
	double t0 = cr_now();
	out->tool = cr_arena_strdup(a, name ? name : "");
	out->arguments = cr_arena_strdup(a, arguments ? arguments : "");
	if (!out->tool || !out->arguments)
		return cr_fail(m, CR_ENOMEM, "agent: out of memory");
	tool_fn fn = NULL;
	for (size_t i = 0; i < CR_ARRAY_LEN(TOOLS) && name; i++)
		if (!strcmp(TOOLS[i].name, name) && builtin_offered(&t->o, name))
			fn = TOOLS[i].fn;
	const cr_agent_ext_tool *ext = NULL;
	for (size_t i = 0; !fn && name && i < t->o.n_ext_tools; i++)
		if (!strcmp(t->o.ext_tools[i].name, name))
			ext = &t->o.ext_tools[i];
	cr_err e;
	json_t *args = NULL;
	if (!fn && !ext) {
		char names[256] = "";
		for (size_t i = 0; t->o.builtins && i < t->o.n_builtins; i++)
			snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "",
				 t->o.builtins[i]);
		e = tool_error(a, out, "unknown tool \"%.64s\"; the tools are %s", name ? name : "",
			       t->o.builtins ? names : TOOL_NAMES);
		goto done;
	}
	const char *text = arguments;
	while (text && (*text == ' ' || *text == '\n' || *text == '\t' || *text == '\r'))
		text++;
	json_error_t jerr;
	args = json_loads(text && *text ? text : "{}", JSON_REJECT_DUPLICATES, &jerr);
	if (!args) {
		e = tool_error(a, out, "the arguments of %s are not valid JSON (%s, at character %d); send one JSON object",
			       name, jerr.text, jerr.position);
		goto done;
	}
	if (!json_is_object(args)) {
		e = tool_error(a, out, "the arguments of %s must be a JSON object", name);
		goto done;
	}
	int rep = repeated(t, name, args);
	if (rep < 0) {
		e = cr_fail(m, CR_ENOMEM, "agent: out of memory");
		goto done;
	}
	if (rep) {
		e = tool_error(a, out,
			       "repeated call: %s was already called with these arguments; use its result above or "
			       "call with other arguments",
			       name);
		goto done;
	}
	if ((e = cr_cancel_check(t->o.cancel)))
		goto done;
	e = ext ? ext_call(t, a, ext, args, out, m) : fn(t, a, args, out, m);
done:
	json_decref(args);
	out->ms = (cr_now() - t0) * 1000.0;
	return e;
}
