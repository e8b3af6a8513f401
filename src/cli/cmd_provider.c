/*
 * cmd_provider.c — `cristal provider add|list|rm|default|test`: the model
 * providers in the catalog (store.h cr_provider_row) and a short real call
 * to one. Also home of cli_provider_open, which opens a provider and its
 * fallback chain for a command (ask), reading API keys from the
 * environment variables the providers name (only the CLI reads them).
 */
#include "cli.h"
#include "cristal/provider.h"
#include "cristal/store.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char USAGE[] =
	"usage: cristal provider add NAME --kind local --model MODEL [--trust T] [--price-in P] [--price-out P]\n"
	"       cristal provider add NAME --kind openai --url URL --model ID [--api-key-env VAR] [--trust T]\n"
	"                                 [--price-in P] [--price-out P] [--default]\n"
	"       cristal provider list [--json]\n"
	"       cristal provider rm NAME\n"
	"       cristal provider default NAME\n"
	"       cristal provider test NAME [--timeout S] [--json]\n"
	"       cristal provider suspend NAME --reason TEXT\n"
	"       cristal provider resume NAME\n"
	"URL is the API base as OpenAI's clients take it (http://host:8000/v1); MODEL a name from\n"
	"`cristal model list` or a GGUF path. --trust local|onprem|external (default: local for\n"
	"--kind local, external for openai). Prices are per million tokens. The first provider\n"
	"added becomes the default. A suspended provider is never called again (by ask, the\n"
	"server or failover, in any process on this data directory) until it is resumed;\n"
	"answers streaming from it are cut.\n";

static const char *env_key(void *ctx, const char *var) { return getenv(var); }

int cli_provider_open(cr_cli *cli, cr_store *s, const char *name, int fallbacks, double timeout,
		      cr_provider_chain **out, char *why, size_t cap)
{
	cr_provider_cfg c = cr_provider_cfg_default();
	c.meter = s;
	if (timeout > 0)
		c.read_timeout = timeout;
	cr_msg m = {{0}};
	cr_err e = cr_provider_chain_open(s, name, &c, fallbacks, env_key, NULL, out, &m);
	if (e)
		snprintf(why, cap, "%s", m.text[0] ? m.text : cr_strerror(e));
	return e ? 1 : 0;
}

static int open_store(cr_cli *cli, const char *cmd, cr_store **s)
{
	cr_msg m = {{0}};
	cr_err e = cr_store_open(cli->data_dir, s, &m);
	return e ? cli_fail(cmd, "%s", m.text[0] ? m.text : cr_strerror(e)) : 0;
}

static int parse_price(const char *cmd, const char *opt, const char *v, double *out)
{
	return cli_opt_double(cmd, opt, v, 0, 1e12, out);
}

static int count_fn(void *ctx, const cr_provider_row *r)
{
	(*(int *)ctx)++;
	return 0;
}

static int provider_add(cr_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"kind", required_argument, 0, 'k'},	 {"url", required_argument, 0, 'u'},
		{"model", required_argument, 0, 'm'},	 {"api-key-env", required_argument, 0, 'K'},
		{"trust", required_argument, 0, 't'},	 {"price-in", required_argument, 0, 'i'},
		{"price-out", required_argument, 0, 'o'}, {"default", no_argument, 0, 'd'},
		{"help", no_argument, 0, 'h'},		 {0}};
	cr_provider_row r = {0};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': r.kind = optarg; break;
		case 'u': r.url = optarg; break;
		case 'm': r.model = optarg; break;
		case 'K': r.api_key_env = optarg; break;
		case 't': r.trust = optarg; break;
		case 'i':
			if (parse_price("provider add", "--price-in", optarg, &r.price_in))
				return CLI_USAGE;
			break;
		case 'o':
			if (parse_price("provider add", "--price-out", optarg, &r.price_out))
				return CLI_USAGE;
			break;
		case 'd': r.is_default = 1; break;
		default:
			fputs(USAGE, c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : 2;
		}
	}
	if (optind != argc - 1)
		return cli_usage_fail("provider add", "expected one NAME (see cristal provider --help)");
	r.name = argv[optind];
	if (!r.kind)
		return cli_usage_fail("provider add", "--kind local|openai is required");
	if (!r.model)
		return cli_usage_fail("provider add", "--model is required");
	if (!strcmp(r.kind, "local") && (r.url || r.api_key_env))
		return cli_usage_fail("provider add", "--url and --api-key-env are for --kind openai");
	if (!strcmp(r.kind, "openai") && !r.url)
		return cli_usage_fail("provider add", "--kind openai needs --url (the API base, e.g. http://host:8000/v1)");
	if (!r.trust)
		r.trust = !strcmp(r.kind, "local") ? "local" : "external";
	cr_store *s = NULL;
	if (open_store(cli, "provider add", &s))
		return 1;
	cr_msg m = {{0}};
	cr_arena a;
	cr_arena_init(&a, 0);
	int rc = 0;
	if (!strcmp(r.kind, "local")) {
		const char *path = NULL;
		cr_err e = cr_store_model_resolve(s, &a, r.model, &path, &m);
		if (e) {
			rc = cli_fail("provider add", "%s", m.text[0] ? m.text : cr_strerror(e));
			goto out;
		}
	}
	int n = 0;
	if (cr_store_provider_list(s, count_fn, &n, &m) == CR_OK && n == 0)
		r.is_default = 1;
	cr_err e = cr_store_provider_put(s, &r, &m);
	if (e) {
		rc = cli_fail("provider add", "%s", m.text[0] ? m.text : cr_strerror(e));
		goto out;
	}
	if (cli_audit(s, "provider.add", json_pack("{ss ss ss ss* ss}", "name", r.name, "kind", r.kind, "model", r.model,
						   "url", r.url, "trust", r.trust))) {
		rc = 1;
		goto out;
	}
	printf("added %s: %s %s%s%s, trust %s%s\n", r.name, r.kind, r.model, r.url ? " at " : "", r.url ? r.url : "",
	       r.trust, r.is_default ? " (default)" : "");
	if (r.api_key_env && !getenv(r.api_key_env))
		fprintf(stderr, "cristal: provider add: note: $%s is not set in this environment\n", r.api_key_env);
out:
	cr_arena_release(&a);
	cr_store_close(s);
	return rc;
}

typedef struct list_ctx {
	int json, n;
	cr_buf out;
} list_ctx;

static void json_str(cr_buf *b, const char *s)
{
	if (s)
		CR_IGNORE(cr_buf_add_json_str(b, s, strlen(s)));
	else
		CR_IGNORE(cr_buf_adds(b, "null"));
}

static int list_row(void *ctx, const cr_provider_row *r)
{
	list_ctx *l = ctx;
	if (l->json) {
		CR_IGNORE(cr_buf_adds(&l->out, l->n ? ",{\"name\":" : "{\"name\":"));
		json_str(&l->out, r->name);
		CR_IGNORE(cr_buf_adds(&l->out, ",\"kind\":"));
		json_str(&l->out, r->kind);
		CR_IGNORE(cr_buf_adds(&l->out, ",\"url\":"));
		json_str(&l->out, r->url);
		CR_IGNORE(cr_buf_adds(&l->out, ",\"model\":"));
		json_str(&l->out, r->model);
		CR_IGNORE(cr_buf_adds(&l->out, ",\"api_key_env\":"));
		json_str(&l->out, r->api_key_env);
		CR_IGNORE(cr_buf_adds(&l->out, ",\"trust\":"));
		json_str(&l->out, r->trust);
		CR_IGNORE(cr_buf_printf(&l->out, ",\"price_in\":%.17g,\"price_out\":%.17g,\"default\":%s,\"added\":%lld",
				    r->price_in, r->price_out, r->is_default ? "true" : "false", (long long)r->added));
		CR_IGNORE(cr_buf_adds(&l->out, ",\"suspended\":"));
		json_str(&l->out, r->suspended);
		CR_IGNORE(cr_buf_addc(&l->out, '}'));
	} else {
		CR_IGNORE(cr_buf_printf(&l->out, "%c %-16s %-6s %-8s %-24s %s", r->is_default ? '*' : ' ', r->name, r->kind,
				    r->trust, r->model, r->url ? r->url : "-"));
		if (r->api_key_env)
			CR_IGNORE(cr_buf_printf(&l->out, "  key $%s", r->api_key_env));
		if (r->price_in || r->price_out)
			CR_IGNORE(cr_buf_printf(&l->out, "  $%g/$%g per M tokens", r->price_in, r->price_out));
		if (r->suspended)
			CR_IGNORE(cr_buf_printf(&l->out, "  SUSPENDED: %s", r->suspended));
		CR_IGNORE(cr_buf_addc(&l->out, '\n'));
	}
	l->n++;
	return 0;
}

static int provider_list(cr_cli *cli, int argc, char **argv)
{
	list_ctx l = {0};
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			l.json = 1;
		else
			return cli_usage_fail("provider list", "unknown argument %s", argv[i]);
	}
	cr_store *s = NULL;
	if (open_store(cli, "provider list", &s))
		return 1;
	cr_buf_init(&l.out, 0);
	if (l.json)
		CR_IGNORE(cr_buf_addc(&l.out, '['));
	cr_msg m = {{0}};
	cr_err e = cr_store_provider_list(s, list_row, &l, &m);
	cr_store_close(s);
	if (e) {
		cr_buf_release(&l.out);
		return cli_fail("provider list", "%s", m.text[0] ? m.text : cr_strerror(e));
	}
	if (l.json)
		CR_IGNORE(cr_buf_adds(&l.out, "]\n"));
	else if (!l.n)
		CR_IGNORE(cr_buf_adds(&l.out, "no providers (add one with: cristal provider add NAME --kind ...)\n"));
	fwrite(l.out.data, 1, l.out.len, stdout);
	cr_buf_release(&l.out);
	return 0;
}

static int provider_name_cmd(cr_cli *cli, int argc, char **argv, int dflt)
{
	const char *cmd = dflt ? "provider default" : "provider rm";
	if (argc != 2)
		return cli_usage_fail(cmd, "expected one NAME");
	cr_store *s = NULL;
	if (open_store(cli, cmd, &s))
		return 1;
	cr_msg m = {{0}};
	cr_err e = dflt ? cr_store_provider_set_default(s, argv[1], &m) : cr_store_provider_del(s, argv[1], &m);
	int audit_failed = !e && cli_audit(s, dflt ? "provider.default" : "provider.rm", json_pack("{ss}", "name", argv[1]));
	cr_store_close(s);
	if (e)
		return cli_fail(cmd, "%s", m.text[0] ? m.text : cr_strerror(e));
	if (audit_failed)
		return 1;
	printf(dflt ? "default provider: %s\n" : "removed %s\n", argv[1]);
	return 0;
}

/* provider suspend NAME --reason TEXT | provider resume NAME */
static int provider_switch(cr_cli *cli, int argc, char **argv, int suspend)
{
	const char *cmd = suspend ? "provider suspend" : "provider resume";
	const char *name = NULL, *reason = NULL;
	for (int i = 1; i < argc; i++) {
		if (suspend && !strcmp(argv[i], "--reason") && i + 1 < argc)
			reason = argv[++i];
		else if (suspend && !strncmp(argv[i], "--reason=", 9))
			reason = argv[i] + 9;
		else if (argv[i][0] != '-' && !name)
			name = argv[i];
		else
			return cli_usage_fail(cmd, "unexpected argument '%s'", argv[i]);
	}
	if (!name)
		return cli_usage_fail(cmd, "expected one NAME");
	if (suspend && (!reason || !*reason))
		return cli_usage_fail(cmd, "--reason TEXT is required (it is shown to everyone the switch stops)");
	cr_store *s = NULL;
	if (open_store(cli, cmd, &s))
		return 1;
	cr_msg m = {{0}};
	cr_err e = cr_store_provider_suspend(s, name, suspend ? reason : NULL, &m);
	int audit_failed = !e && cli_audit(s, suspend ? "provider.suspend" : "provider.resume",
					   json_pack("{ss ss*}", "name", name, "reason", suspend ? reason : NULL));
	cr_store_close(s);
	if (e)
		return cli_fail(cmd, "%s", m.text[0] ? m.text : cr_strerror(e));
	if (audit_failed)
		return 1;
	if (suspend)
		printf("suspended %s: %s (no process on this data directory will call it until: cristal provider resume %s)\n",
		       name, reason, name);
	else
		printf("resumed %s\n", name);
	return 0;
}

static int provider_test(cr_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"timeout", required_argument, 0, 'T'},
					     {"json", no_argument, 0, 'j'},
					     {"help", no_argument, 0, 'h'},
					     {0}};
	double timeout = 60;
	int json = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'T') {
			int rc = cli_opt_double("provider test", "--timeout", optarg, 0.001, 1e7, &timeout);
			if (rc)
				return rc;
		} else if (c == 'j')
			json = 1;
		else {
			fputs(USAGE, c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : 2;
		}
	}
	if (optind != argc - 1)
		return cli_usage_fail("provider test", "expected one NAME");
	const char *name = argv[optind];
	cr_store *s = NULL;
	if (open_store(cli, "provider test", &s))
		return 1;
	cr_provider_chain *ch = NULL;
	char why[512];
	if (cli_provider_open(cli, s, name, 0, timeout, &ch, why, sizeof why)) {
		cr_store_close(s);
		return cli_fail("provider test", "%s", why);
	}
	cr_provider *p = cr_provider_chain_head(ch);
	cr_provider_msg msgs[] = {{.role = "user", .content = "Reply with the single word: ok"}};
	cr_provider_chat_opts o = cr_provider_chat_opts_default();
	o.max_tokens = 16;
	o.temperature = 0;
	cr_cancel cancel;
	cr_cancel_init(&cancel);
	if (timeout > 0)
		cr_cancel_set_timeout(&cancel, timeout);
	o.cancel = &cancel;
	cr_provider_reply r = {0};
	cr_msg m = {{0}};
	double t0 = cr_now();
	cr_err e = cr_provider_chat(p, msgs, 1, &o, &r, &m);
	double ms = (cr_now() - t0) * 1e3;
	int rc = 0;
	if (e) {
		rc = cli_fail("provider test", "%s: failed after %.0f ms: %s", name, ms, m.text[0] ? m.text : cr_strerror(e));
	} else if (json) {
		cr_buf b;
		cr_buf_init(&b, 0);
		CR_IGNORE(cr_buf_adds(&b, "{\"provider\":"));
		json_str(&b, name);
		CR_IGNORE(cr_buf_printf(&b, ",\"ok\":true,\"latency_ms\":%.1f,\"prompt_tokens\":%lld,\"completion_tokens\":%lld,"
					"\"finish_reason\":",
				    ms, (long long)r.prompt_tokens, (long long)r.completion_tokens));
		json_str(&b, r.finish_reason);
		CR_IGNORE(cr_buf_adds(&b, ",\"text\":"));
		json_str(&b, r.text);
		CR_IGNORE(cr_buf_adds(&b, "}\n"));
		fwrite(b.data, 1, b.len, stdout);
		cr_buf_release(&b);
	} else {
		char head[81];
		size_t k = 0;
		for (size_t i = 0; i < r.len && k < 80; i++)
			head[k++] = r.text[i] == '\n' || r.text[i] == '\r' ? ' ' : r.text[i];
		head[k] = 0;
		printf("%s: ok in %.0f ms (%lld prompt + %lld completion tokens, %s): %s\n", name, ms,
		       (long long)r.prompt_tokens, (long long)r.completion_tokens, r.finish_reason, head);
	}
	cr_provider_reply_release(&r);
	cr_provider_chain_free(ch);
	cr_store_close(s);
	return rc;
}

int cmd_provider(cr_cli *cli, int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(USAGE, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "add"))
		return provider_add(cli, argc - 1, argv + 1);
	if (!strcmp(argv[1], "list") || !strcmp(argv[1], "ls"))
		return provider_list(cli, argc - 1, argv + 1);
	if (!strcmp(argv[1], "rm") || !strcmp(argv[1], "remove"))
		return provider_name_cmd(cli, argc - 1, argv + 1, 0);
	if (!strcmp(argv[1], "default"))
		return provider_name_cmd(cli, argc - 1, argv + 1, 1);
	if (!strcmp(argv[1], "test"))
		return provider_test(cli, argc - 1, argv + 1);
	if (!strcmp(argv[1], "suspend"))
		return provider_switch(cli, argc - 1, argv + 1, 1);
	if (!strcmp(argv[1], "resume"))
		return provider_switch(cli, argc - 1, argv + 1, 0);
	return cli_usage_fail("provider", "unknown subcommand '%s' (add, list, rm, default, test, suspend, resume)", argv[1]);
}
