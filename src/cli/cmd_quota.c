/*
 * cmd_quota.c — `cristal quota`: limits on a user or a tenant, enforced by
 * the server (429 with the limit and when it resets) and by the command
 * line's provider calls made for a user (auth.h cr_auth_quota_check).
 *
 *   quota set --user U|--tenant T [--requests-per-day N] [--tokens-per-day N]
 *             [--cost-per-month X]   (limits not given are kept)
 *   quota list [--json] | rm --user U|--tenant T
 * Days are UTC days; months UTC calendar months. Every change is audited.
 */
#include "cli.h"
#include "cristal/store.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* CR_ENOTFOUND unless the user or tenant exists. */
static cr_err target_exists(cr_store *s, const char *scope, const char *name, cr_msg *m)
{
	if (!strcmp(scope, "user")) {
		cr_arena a;
		cr_arena_init(&a, 0);
		cr_user_row u;
		cr_err e = cr_store_user_get(s, &a, name, 0, &u, m);
		cr_arena_release(&a);
		return e;
	}
	int64_t id;
	return cr_store_name_id(s, 1, name, &id, m);
}

static int parse_count(const char *opt, const char *arg, int64_t *out)
{
	char *end;
	long long v = strtoll(arg, &end, 10);
	if (*end || !*arg || v < 0)
		return cli_usage_fail("quota set", "%s wants a count of 0 or more, not '%s'", opt, arg);
	*out = v;
	return 0;
}

static void fmt_limit(char *buf, size_t cap, double v, int is_cost)
{
	if (v < 0)
		snprintf(buf, cap, "-");
	else if (is_cost)
		snprintf(buf, cap, "%.2f", v);
	else
		snprintf(buf, cap, "%lld", (long long)v);
}

typedef struct quota_out {
	int json, n;
	cr_buf out;
} quota_out;

static int quota_row(void *ctx, const cr_quota_row *q)
{
	quota_out *o = ctx;
	if (o->json) {
		CR_IGNORE(cr_buf_printf(&o->out, "%s{\"scope\":\"%s\",\"name\":", o->n ? "," : "", q->scope));
		CR_IGNORE(cr_buf_add_json_str(&o->out, q->name, strlen(q->name)));
		CR_IGNORE(cr_buf_adds(&o->out, ",\"requests_per_day\":"));
		CR_IGNORE(q->requests_per_day < 0 ? cr_buf_adds(&o->out, "null")
						  : cr_buf_printf(&o->out, "%lld", (long long)q->requests_per_day));
		CR_IGNORE(cr_buf_adds(&o->out, ",\"tokens_per_day\":"));
		CR_IGNORE(q->tokens_per_day < 0 ? cr_buf_adds(&o->out, "null")
						: cr_buf_printf(&o->out, "%lld", (long long)q->tokens_per_day));
		CR_IGNORE(cr_buf_adds(&o->out, ",\"cost_per_month\":"));
		CR_IGNORE(q->cost_per_month < 0 ? cr_buf_adds(&o->out, "null")
						: cr_buf_printf(&o->out, "%.17g", q->cost_per_month));
		CR_IGNORE(cr_buf_adds(&o->out, "}"));
	} else {
		char a[32], b[32], c[32];
		fmt_limit(a, sizeof a, (double)q->requests_per_day, 0);
		fmt_limit(b, sizeof b, (double)q->tokens_per_day, 0);
		fmt_limit(c, sizeof c, q->cost_per_month, 1);
		CR_IGNORE(cr_buf_printf(&o->out, "%-7s %-24s %14s %14s %14s\n", q->scope, q->name, a, b, c));
	}
	o->n++;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: cristal quota set --user U|--tenant T [--requests-per-day N] [--tokens-per-day N]\n"
		   "                         [--cost-per-month X]\n"
		   "       cristal quota list [--json] | rm --user U|--tenant T\n\n"
		   "Limits per UTC day (API requests, provider tokens) and per UTC calendar month\n"
		   "(provider cost, from the providers' prices). Over a limit the server answers 429\n"
		   "naming the limit and when it resets. Limits not given keep their value.\n");
}

int cmd_quota(cr_cli *cli, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";
	int set = !strcmp(sub, "set"), rm = !strcmp(sub, "rm"), list = !strcmp(sub, "list");
	if (!strcmp(sub, "--help") || !strcmp(sub, "-h")) {
		usage(stdout);
		return 0;
	}
	if (!set && !rm && !list) {
		usage(stderr);
		return 2;
	}
	cr_quota_row q = {.requests_per_day = -1, .tokens_per_day = -1, .cost_per_month = -1};
	int json = 0;
	if (list) {
		json = argc == 3 && !strcmp(argv[2], "--json");
		if (argc != 2 + json)
			return cli_usage_fail("quota list", "unexpected argument '%s'", argv[2]);
	} else {
		static const struct option opts[] = {{"user", required_argument, 0, 'u'},
						     {"tenant", required_argument, 0, 't'},
						     {"requests-per-day", required_argument, 0, 'r'},
						     {"tokens-per-day", required_argument, 0, 'k'},
						     {"cost-per-month", required_argument, 0, 'c'},
						     {0}};
		int c;
		optind = 1;
		while ((c = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
			switch (c) {
			case 'u':
			case 't':
				if (q.scope)
					return cli_usage_fail("quota", "one of --user or --tenant");
				q.scope = c == 'u' ? "user" : "tenant";
				q.name = optarg;
				break;
			case 'r':
			case 'k':
				if (!set || parse_count(c == 'r' ? "--requests-per-day" : "--tokens-per-day", optarg,
							c == 'r' ? &q.requests_per_day : &q.tokens_per_day))
					return 2;
				break;
			case 'c': {
				char *end;
				double v = strtod(optarg, &end);
				if (!set || *end || !*optarg || !(v >= 0) || v > 1e12)
					return cli_usage_fail("quota set", "--cost-per-month wants an amount of 0 or more, not '%s'",
							      optarg);
				q.cost_per_month = v;
				break;
			}
			default: usage(stderr); return 2;
			}
		}
		if (!q.scope || optind != argc - 1)
			return cli_usage_fail(set ? "quota set" : "quota rm", "--user U or --tenant T, and nothing else");
		if (set && q.requests_per_day < 0 && q.tokens_per_day < 0 && q.cost_per_month < 0)
			return cli_usage_fail("quota set", "give at least one limit (--requests-per-day, --tokens-per-day, "
							   "--cost-per-month)");
	}
	cr_msg m = {{0}};
	cr_store *s;
	cr_err e = cr_store_open(cli->data_dir, &s, &m);
	if (e)
		return cli_fail("quota", "%s", m.text[0] ? m.text : cr_strerror(e));
	int rc = 0;
	if (list) {
		quota_out o = {.json = json};
		cr_buf_init(&o.out, 0);
		CR_IGNORE(cr_buf_adds(&o.out, json ? "{\"quotas\":[" : ""));
		if (!json)
			CR_IGNORE(cr_buf_printf(&o.out, "%-7s %-24s %14s %14s %14s\n", "scope", "name", "requests/day",
						"tokens/day", "cost/month"));
		e = cr_store_quota_list(s, quota_row, &o, &m);
		CR_IGNORE(cr_buf_adds(&o.out, json ? "]}\n" : ""));
		if (!e)
			fwrite(o.out.data ? o.out.data : "", 1, o.out.len, stdout);
		cr_buf_release(&o.out);
	} else {
		e = set ? target_exists(s, q.scope, q.name, &m) : CR_OK;
		if (!e)
			e = set ? cr_store_quota_put(s, &q, &m) : cr_store_quota_del(s, q.scope, q.name, &m);
		if (!e) {
			json_t *d = json_pack("{ss ss}", "scope", q.scope, "name", q.name);
			if (set && d) {
				if (q.requests_per_day >= 0)
					json_object_set_new(d, "requests_per_day", json_integer(q.requests_per_day));
				if (q.tokens_per_day >= 0)
					json_object_set_new(d, "tokens_per_day", json_integer(q.tokens_per_day));
				if (q.cost_per_month >= 0)
					json_object_set_new(d, "cost_per_month", json_real(q.cost_per_month));
			}
			if (cli_audit(s, set ? "quota.set" : "quota.rm", d))
				rc = 1;
			else
				printf("%s quota on %s %s\n", set ? "set" : "removed", q.scope, q.name);
		}
	}
	cr_store_close(s);
	if (e)
		return cli_fail("quota", "%s", m.text[0] ? m.text : cr_strerror(e));
	return rc;
}
