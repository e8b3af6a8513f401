/*
 * as_user.c — --as USER for search and ask (cli.h cli_as_begin): the user
 * is looked up in the catalog, its principal filters retrieval, its and its
 * tenant's quotas are checked and the request counted (as the server does
 * per API request, src/server/session.c), and the catalog connection's
 * actor is set so provider calls are metered to it.
 */
#include "cli.h"

#include "cristal/auth.h"
#include "cristal/corpus.h"

/* One command per process: the user's row and principal live as long. */
static cr_arena as_arena;
static cr_user_row as_row;
static cr_principal as_who;

int cli_as_begin(cr_cli *cli, cr_corpus *cp, const char *cmd, const char *name)
{
	cr_store *s;
	cr_msg m = {{0}};
	cr_err e = cr_corpus_store_acquire(cp, &s, &m);
	if (e)
		return cli_fail(cmd, "%s", m.text[0] ? m.text : cr_strerror(e));
	cr_arena_init(&as_arena, 0);
	int rc = 0;
	e = cr_store_user_get(s, &as_arena, name, 0, &as_row, &m);
	if (e == CR_ENOTFOUND)
		rc = cli_fail(cmd, "--as %s: no such user (cristal user list)", name);
	else if (e)
		rc = cli_fail(cmd, "--as %s: %s", name, m.text[0] ? m.text : cr_strerror(e));
	if (!rc) {
		cr_quota_verdict v;
		e = cr_auth_quota_check(s, as_row.name, as_row.tenant, 0, &v, &m);
		if (!e)
			e = cr_store_request_add(s, as_row.name, as_row.tenant, NULL, NULL, &m);
		if (e)
			rc = cli_fail(cmd, "%s", m.text[0] ? m.text : cr_strerror(e));
	}
	if (!rc) {
		cr_auth_principal(&as_row, &as_who);
		cli->as_user = as_row.name;
		cli->as_tenant = as_row.tenant ? as_row.tenant : "default";
		cli->as_who = &as_who;
		cr_store_set_actor(s, cli->as_user, cli->as_tenant);
	}
	cr_corpus_store_release(cp, s);
	return rc;
}
