/*
 * cmd_usage.c — `cristal usage [--by user|tenant|provider] [--json]`: the
 * metered provider calls (store.h cr_store_usage_sum) summed by UTC day and
 * provider: calls, failed calls, prompt and completion tokens, wall time
 * and cost; or (--by) summed by user, tenant or provider, with the API
 * requests counted for each user and tenant (cr_store_usage_by). Calls
 * made with no user (the command line, a server with no users) are the
 * local operator's: key "".
 */
#include "cli.h"
#include "cristal/store.h"

#include <string.h>

typedef struct sum_ctx {
	int json, n;
	cr_buf out;
	cr_usage_sum total;
	int64_t requests;
} sum_ctx;

static int row(void *ctx, const cr_usage_sum *u)
{
	sum_ctx *c = ctx;
	if (c->json) {
		CR_IGNORE(cr_buf_adds(&c->out, c->n ? ",{\"day\":" : "{\"day\":"));
		CR_IGNORE(cr_buf_add_json_str(&c->out, u->day, strlen(u->day)));
		CR_IGNORE(cr_buf_adds(&c->out, ",\"provider\":"));
		CR_IGNORE(cr_buf_add_json_str(&c->out, u->provider, strlen(u->provider)));
		CR_IGNORE(cr_buf_printf(&c->out,
				    ",\"calls\":%lld,\"failed\":%lld,\"prompt_tokens\":%lld,\"completion_tokens\":%lld,"
				    "\"wall_ms\":%lld,\"cost\":%.17g}",
				    (long long)u->calls, (long long)u->failed, (long long)u->prompt_tokens,
				    (long long)u->completion_tokens, (long long)u->wall_ms, u->cost));
	} else {
		CR_IGNORE(cr_buf_printf(&c->out, "%-10s  %-16s %6lld %6lld %12lld %12lld %10.1f %12.6f\n", u->day,
				    u->provider, (long long)u->calls, (long long)u->failed, (long long)u->prompt_tokens,
				    (long long)u->completion_tokens, (double)u->wall_ms / 1e3, u->cost));
	}
	c->total.calls += u->calls;
	c->total.failed += u->failed;
	c->total.prompt_tokens += u->prompt_tokens;
	c->total.completion_tokens += u->completion_tokens;
	c->total.wall_ms += u->wall_ms;
	c->total.cost += u->cost;
	c->n++;
	return 0;
}

static int by_row(void *ctx, const cr_usage_by_row *u)
{
	sum_ctx *c = ctx;
	if (c->json) {
		CR_IGNORE(cr_buf_adds(&c->out, c->n ? ",{\"key\":" : "{\"key\":"));
		CR_IGNORE(cr_buf_add_json_str(&c->out, u->key, strlen(u->key)));
		CR_IGNORE(cr_buf_printf(&c->out,
				    ",\"requests\":%lld,\"calls\":%lld,\"failed\":%lld,\"prompt_tokens\":%lld,"
				    "\"completion_tokens\":%lld,\"wall_ms\":%lld,\"cost\":%.17g}",
				    (long long)u->requests, (long long)u->calls, (long long)u->failed,
				    (long long)u->prompt_tokens, (long long)u->completion_tokens, (long long)u->wall_ms,
				    u->cost));
	} else {
		CR_IGNORE(cr_buf_printf(&c->out, "%-24s %9lld %6lld %6lld %12lld %12lld %12.6f\n",
				    *u->key ? u->key : "(local)", (long long)u->requests, (long long)u->calls,
				    (long long)u->failed, (long long)u->prompt_tokens, (long long)u->completion_tokens,
				    u->cost));
	}
	c->total.calls += u->calls;
	c->total.failed += u->failed;
	c->total.prompt_tokens += u->prompt_tokens;
	c->total.completion_tokens += u->completion_tokens;
	c->total.wall_ms += u->wall_ms;
	c->total.cost += u->cost;
	c->requests += u->requests;
	c->n++;
	return 0;
}

static int usage_by(cr_cli *cli, sum_ctx *c, const char *by)
{
	cr_msg m = {{0}};
	cr_store *s = NULL;
	cr_err e = cr_store_open(cli->data_dir, &s, &m);
	if (e)
		return cli_fail("usage", "%s", m.text[0] ? m.text : cr_strerror(e));
	cr_buf_init(&c->out, 0);
	if (c->json)
		CR_IGNORE(cr_buf_printf(&c->out, "{\"by\":\"%s\",\"rows\":[", by));
	else
		CR_IGNORE(cr_buf_printf(&c->out, "%-24s %9s %6s %6s %12s %12s %12s\n", by, "requests", "calls", "failed",
				    "prompt_tok", "complet_tok", "cost"));
	e = cr_store_usage_by(s, by, NULL, NULL, by_row, c, &m);
	cr_store_close(s);
	if (e) {
		cr_buf_release(&c->out);
		return cli_fail("usage", "%s", m.text[0] ? m.text : cr_strerror(e));
	}
	if (c->json)
		CR_IGNORE(cr_buf_printf(&c->out,
				    "],\"total\":{\"requests\":%lld,\"calls\":%lld,\"failed\":%lld,\"prompt_tokens\":%lld,"
				    "\"completion_tokens\":%lld,\"wall_ms\":%lld,\"cost\":%.17g}}\n",
				    (long long)c->requests, (long long)c->total.calls, (long long)c->total.failed,
				    (long long)c->total.prompt_tokens, (long long)c->total.completion_tokens,
				    (long long)c->total.wall_ms, c->total.cost));
	else if (!c->n)
		CR_IGNORE(cr_buf_adds(&c->out, "no use recorded yet\n"));
	else
		CR_IGNORE(cr_buf_printf(&c->out, "%-24s %9lld %6lld %6lld %12lld %12lld %12.6f\n", "total",
				    (long long)c->requests, (long long)c->total.calls, (long long)c->total.failed,
				    (long long)c->total.prompt_tokens, (long long)c->total.completion_tokens, c->total.cost));
	fwrite(c->out.data, 1, c->out.len, stdout);
	cr_buf_release(&c->out);
	return 0;
}

int cmd_usage(cr_cli *cli, int argc, char **argv)
{
	sum_ctx c = {0};
	const char *by = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--by") && i + 1 < argc) {
			by = argv[++i];
			if (strcmp(by, "user") && strcmp(by, "tenant") && strcmp(by, "provider"))
				return cli_usage_fail("usage", "--by user, tenant or provider, not '%s'", by);
		} else if (!strcmp(argv[i], "--json")) {
			c.json = 1;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: cristal usage [--by user|tenant|provider] [--json]\n"
			       "Provider calls summed by UTC day and provider: calls, failed, prompt and completion\n"
			       "tokens, wall time (s) and cost (from the providers' prices per million tokens).\n"
			       "--by sums them by user, tenant or provider instead, with the API requests of each\n"
			       "user and tenant; \"(local)\" is use with no user (the command line).\n");
			return 0;
		} else {
			return cli_usage_fail("usage", "unknown argument %s", argv[i]);
		}
	}
	if (by)
		return usage_by(cli, &c, by);
	cr_msg m = {{0}};
	cr_store *s = NULL;
	cr_err e = cr_store_open(cli->data_dir, &s, &m);
	if (e)
		return cli_fail("usage", "%s", m.text[0] ? m.text : cr_strerror(e));
	cr_buf_init(&c.out, 0);
	if (c.json)
		CR_IGNORE(cr_buf_adds(&c.out, "{\"rows\":["));
	else
		CR_IGNORE(cr_buf_printf(&c.out, "%-10s  %-16s %6s %6s %12s %12s %10s %12s\n", "day", "provider", "calls",
				    "failed", "prompt_tok", "complet_tok", "wall_s", "cost"));
	e = cr_store_usage_sum(s, row, &c, &m);
	cr_store_close(s);
	if (e) {
		cr_buf_release(&c.out);
		return cli_fail("usage", "%s", m.text[0] ? m.text : cr_strerror(e));
	}
	if (c.json)
		CR_IGNORE(cr_buf_printf(&c.out,
				    "],\"total\":{\"calls\":%lld,\"failed\":%lld,\"prompt_tokens\":%lld,"
				    "\"completion_tokens\":%lld,\"wall_ms\":%lld,\"cost\":%.17g}}\n",
				    (long long)c.total.calls, (long long)c.total.failed, (long long)c.total.prompt_tokens,
				    (long long)c.total.completion_tokens, (long long)c.total.wall_ms, c.total.cost));
	else if (!c.n)
		CR_IGNORE(cr_buf_adds(&c.out, "no provider calls yet\n"));
	else
		CR_IGNORE(cr_buf_printf(&c.out, "%-10s  %-16s %6lld %6lld %12lld %12lld %10.1f %12.6f\n", "total", "",
				    (long long)c.total.calls, (long long)c.total.failed,
				    (long long)c.total.prompt_tokens, (long long)c.total.completion_tokens,
				    (double)c.total.wall_ms / 1e3, c.total.cost));
	fwrite(c.out.data, 1, c.out.len, stdout);
	cr_buf_release(&c.out);
	return 0;
}
