/*
 * cmd_group.c — `cristal group add|list|rm` and `cristal tenant add|list`:
 * the groups document ACLs name and the tenants whose data never mix
 * (store.h). `user add --group G --tenant T` also creates them on first
 * use. Every change is audited.
 *
 *   group add NAME | list [--json] | rm NAME
 *   tenant add NAME | list [--json]
 */
#include "cli.h"
#include "cristal/store.h"

#include <jansson.h>
#include <string.h>

typedef struct names_out {
	int json, n;
	cr_buf out;
} names_out;

static int name_row(void *ctx, const cr_name_row *r)
{
	names_out *o = ctx;
	if (o->json) {
		CR_IGNORE(cr_buf_printf(&o->out, "%s{\"id\":%lld,\"name\":", o->n ? "," : "", (long long)r->id));
		CR_IGNORE(cr_buf_add_json_str(&o->out, r->name, strlen(r->name)));
		CR_IGNORE(cr_buf_printf(&o->out, ",\"users\":%lld}", (long long)r->n_users));
	} else
		CR_IGNORE(cr_buf_printf(&o->out, "%-6lld %-32s %lld users\n", (long long)r->id, r->name, (long long)r->n_users));
	o->n++;
	return 0;
}

/* tenant: 1 for `tenant`, 0 for `group`. */
int cli_names_cmd(cr_cli *cli, int tenant, int argc, char **argv)
{
	const char *what = tenant ? "tenant" : "group", *sub = argc > 1 ? argv[1] : "";
	int list = !strcmp(sub, "list"), json = list && argc == 3 && !strcmp(argv[2], "--json");
	int add = !strcmp(sub, "add") && argc == 3, rm = !tenant && !strcmp(sub, "rm") && argc == 3;
	if (!(add || rm || (list && argc == 2 + json))) {
		if (tenant)
			fprintf(stderr, "usage: cristal tenant add NAME | list [--json]\n");
		else
			fprintf(stderr, "usage: cristal group add NAME | list [--json] | rm NAME\n");
		return 2;
	}
	cr_msg m = {{0}};
	cr_store *s;
	cr_err e = cr_store_open(cli->data_dir, &s, &m);
	if (e)
		return cli_fail(what, "%s", m.text[0] ? m.text : cr_strerror(e));
	int rc = 0;
	if (list) {
		names_out o = {.json = json};
		cr_buf_init(&o.out, 0);
		CR_IGNORE(cr_buf_adds(&o.out, json ? (tenant ? "{\"tenants\":[" : "{\"groups\":[") : ""));
		e = tenant ? cr_store_tenant_list(s, name_row, &o, &m) : cr_store_group_list(s, name_row, &o, &m);
		CR_IGNORE(cr_buf_adds(&o.out, json ? "]}\n" : ""));
		if (!e)
			fwrite(o.out.data ? o.out.data : "", 1, o.out.len, stdout);
		cr_buf_release(&o.out);
	} else {
		const char *name = argv[2];
		if (add)
			e = tenant ? cr_store_tenant_add(s, name, &m) : cr_store_group_add(s, name, &m);
		else
			e = cr_store_group_del(s, name, &m);
		char action[32];
		snprintf(action, sizeof action, "%s.%s", what, add ? "add" : "rm");
		if (!e && cli_audit(s, action, json_pack("{ss}", "name", name)))
			rc = 1;
		else if (!e)
			printf("%s %s %s\n", add ? "added" : "removed", what, name);
	}
	cr_store_close(s);
	if (e)
		return cli_fail(what, "%s", m.text[0] ? m.text : cr_strerror(e));
	return rc;
}

int cmd_group(cr_cli *cli, int argc, char **argv) { return cli_names_cmd(cli, 0, argc, argv); }
