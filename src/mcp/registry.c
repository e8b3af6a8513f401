/*
 * registry.c — the catalog's MCP servers (mcp.h): one JSON object in the
 * settings table under "mcp.servers", {"NAME": {"command"|"url": ...}},
 * read, changed and written back in a store transaction. A handful of rows
 * an administrator types in: no table of its own, no schema step.
 * Also the allow-list matcher for tool names "mcp:NAME/TOOL".
 */
#include "mcp_int.h"

#include <string.h>

#define KEY "mcp.servers"

static int name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (!n || n > 64)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' ||
		      *s == '-'))
			return 0;
	return 1;
}

static cr_err load(cr_store *s, json_t **out, cr_msg *m)
{
	cr_arena a;
	cr_arena_init(&a, 0);
	const char *v = NULL;
	cr_err e = cr_store_kv_get(s, &a, KEY, &v, m);
	if (e == CR_ENOTFOUND || (!e && !v)) {
		*out = json_object();
		e = CR_OK;
	} else if (!e) {
		*out = json_loads(v, 0, NULL);
		if (!json_is_object(*out)) {
			json_decref(*out);
			*out = NULL;
			e = cr_fail(m, CR_ECORRUPT, "the catalog's MCP server list is not a JSON object");
		}
	}
	cr_arena_release(&a);
	if (!e && !*out)
		e = cr_fail(m, CR_ENOMEM, "out of memory");
	return e;
}

static cr_err save(cr_store *s, json_t *all, cr_msg *m)
{
	char *t = json_dumps(all, JSON_COMPACT | JSON_SORT_KEYS);
	if (!t)
		return cr_fail(m, CR_ENOMEM, "out of memory");
	cr_err e = cr_store_kv_set(s, KEY, t, m);
	free(t);
	return e;
}

cr_err cr_mcp_server_add(cr_store *s, const cr_mcp_server *r, cr_msg *m)
{
	if (!name_ok(r->name))
		return cr_fail(m, CR_EINVAL, "MCP server name '%s': 1-64 letters, digits, '_' or '-'",
			       r->name ? r->name : "");
	if (!r->command == !r->url)
		return cr_fail(m, CR_EINVAL, "MCP server %s: give --command or --url", r->name);
	if (r->command && !*r->command)
		return cr_fail(m, CR_EINVAL, "MCP server %s: the command is empty", r->name);
	if (r->url && strncmp(r->url, "http://", 7) && strncmp(r->url, "https://", 8))
		return cr_fail(m, CR_EINVAL, "MCP server %s: --url must be http:// or https://", r->name);
	cr_err e = cr_store_begin(s, m);
	if (e)
		return e;
	json_t *all = NULL;
	if ((e = load(s, &all, m)))
		goto fail;
	if (json_object_get(all, r->name)) {
		e = cr_fail(m, CR_EEXIST, "an MCP server named %s exists", r->name);
		goto fail;
	}
	json_object_set_new(all, r->name,
			    r->command ? json_pack("{s:s}", "command", r->command) : json_pack("{s:s}", "url", r->url));
	if ((e = save(s, all, m)) || (e = cr_store_commit(s, m)))
		goto fail;
	json_decref(all);
	return CR_OK;
fail:
	json_decref(all);
	cr_store_rollback(s);
	return e;
}

cr_err cr_mcp_server_rm(cr_store *s, const char *name, cr_msg *m)
{
	cr_err e = cr_store_begin(s, m);
	if (e)
		return e;
	json_t *all = NULL;
	if ((e = load(s, &all, m)))
		goto fail;
	if (!name || json_object_del(all, name)) {
		e = cr_fail(m, CR_ENOTFOUND, "no MCP server named %s", name ? name : "");
		goto fail;
	}
	if ((e = save(s, all, m)) || (e = cr_store_commit(s, m)))
		goto fail;
	json_decref(all);
	return CR_OK;
fail:
	json_decref(all);
	cr_store_rollback(s);
	return e;
}

static cr_err row(cr_arena *a, const char *name, json_t *v, cr_mcp_server *out, cr_msg *m)
{
	const char *cmd = json_string_value(json_object_get(v, "command"));
	const char *url = json_string_value(json_object_get(v, "url"));
	out->name = cr_arena_strdup(a, name);
	out->command = cmd ? cr_arena_strdup(a, cmd) : NULL;
	out->url = url ? cr_arena_strdup(a, url) : NULL;
	if (!out->name || (cmd && !out->command) || (url && !out->url))
		return cr_fail(m, CR_ENOMEM, "out of memory");
	return CR_OK;
}

cr_err cr_mcp_server_get(cr_store *s, cr_arena *a, const char *name, cr_mcp_server *out, cr_msg *m)
{
	json_t *all = NULL;
	cr_err e = load(s, &all, m);
	if (e)
		return e;
	json_t *v = name ? json_object_get(all, name) : NULL;
	e = v ? row(a, name, v, out, m) : cr_fail(m, CR_ENOTFOUND, "no MCP server named %s (see cristal mcp list)",
						   name ? name : "");
	json_decref(all);
	return e;
}

static int by_name(const void *x, const void *y)
{
	return strcmp(((const cr_mcp_server *)x)->name, ((const cr_mcp_server *)y)->name);
}

cr_err cr_mcp_server_list(cr_store *s, cr_arena *a, cr_mcp_server **out, size_t *n, cr_msg *m)
{
	json_t *all = NULL;
	cr_err e = load(s, &all, m);
	if (e)
		return e;
	size_t k = 0;
	cr_mcp_server *list = cr_arena_alloc(a, (json_object_size(all) + 1) * sizeof *list);
	const char *key;
	json_t *v;
	if (!list)
		e = cr_fail(m, CR_ENOMEM, "out of memory");
	json_object_foreach(all, key, v) {
		if (e)
			break;
		e = row(a, key, v, &list[k++], m);
	}
	json_decref(all);
	if (e)
		return e;
	qsort(list, k, sizeof *list, by_name);
	*out = list;
	*n = k;
	return CR_OK;
}

int cr_mcp_allowed(const char *const *allow, size_t n, const char *server, const char *tool)
{
	size_t ls = strlen(server);
	for (size_t i = 0; i < n; i++) {
		const char *a = allow[i];
		if (strncmp(a, "mcp:", 4))
			continue;
		a += 4;
		if (strncmp(a, server, ls) || a[ls] != '/')
			continue;
		a += ls + 1;
		if (!strcmp(a, "*") || !strcmp(a, tool))
			return 1;
	}
	return 0;
}
