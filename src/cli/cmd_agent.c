/*
 * cmd_agent.c — `cristal agent TASK`: a model works on a task with
 * Cristal's tools (agent.h cr_agent_run) until it answers or a budget ends.
 *
 * Output: each tool call as it happens (on stdout; with --json on stderr
 * when it is a terminal), then the answer with its verified sources, or
 * --json's one object (cr_agent_result_json). Every tool call is recorded
 * in the audit log ("agent.tool": tool, arguments, chunk ids returned)
 * before its result reaches the model, and the run ("agent.run") before
 * the answer is shown. Without a model configured it says how to add one
 * and exits 2. Exit 1 when the run ended without an answer (a budget, the
 * tools failing) — the steps are shown all the same.
 */
#include "cli.h"
#include "cristal/agent.h"
#include "cristal/mcp.h"
#include "cristal/provider.h"
#include "cristal/store.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: cristal [--data DIR] agent [--json] [--provider NAME] [--max-steps N] [--max-tokens N]\n"
		   "                                  [--timeout SEC] [--scope PATH|type:KIND]... [--allow-write]\n"
		   "                                  [--out DIR] TASK...\n"
		   "       cristal agent create|list|show|run|rm|run-due ...   (stored agents: agent create --help)\n\n"
		   "A model works on the task with Cristal's tools (search, read_document, list_sources,\n"
		   "meeting_actions, write_report) until it answers or a budget ends; the answer's\n"
		   "citations are checked against the passages the tools returned. Needs a model:\n"
		   "the default provider or --provider NAME (cristal provider add ...).\n\n"
		   "  --max-steps N      tool calls allowed (default 8)\n"
		   "  --max-tokens N     prompt + completion tokens over the run (default: no limit)\n"
		   "  --timeout SEC      wall time of the run (default 300)\n"
		   "  --max-failures N   tool errors in a row that end the run (default 3)\n"
		   "  --scope S          only documents under path S, of type KIND (type:KIND) or granted to\n"
		   "                     group G (group:G); repeatable\n"
		   "  --allow-write      write_report may write files (into --out DIR, default .)\n"
		   "  --tool mcp:NAME/TOOL  also offer tool TOOL of MCP server NAME (cristal mcp add);\n"
		   "                     mcp:NAME/* offers all its tools; repeatable\n"
		   "  --json             one JSON object: answer, citations, steps, usage, stop\n\n"
		   "A task whose first word is create, list, show, run, rm or run-due goes after --:\n"
		   "  cristal agent -- list the open action items\n");
}

typedef struct run_ctx {
	cr_corpus *cp;
	FILE *live; /* where steps are printed as they happen; NULL: nowhere */
	int events_fd; /* where steps go as JSON lines (cristal serve's runs); 0: nowhere */
} run_ctx;

/* SIGTERM during a run requests its cancel: the loop stops at its next
 * check, and the run is recorded and audited as canceled (cristal serve
 * cancels its runs so; the scheduler stops run-due so). */
static cr_cancel *volatile g_run_cancel;
static void on_term(int sig)
{
	(void)sig;
	cr_cancel *c = g_run_cancel;
	if (c)
		cr_cancel_request(c);
}

/* One step as a JSON line on fd (write(2) whole, retried). */
static void step_event(int fd, const cr_agent_step *s)
{
	json_t *o = json_pack("{si ss ss ss sb sf}", "step", s->i, "tool", s->tool ? s->tool : "", "arguments",
			      s->arguments ? s->arguments : "", "result_summary", s->result_summary ? s->result_summary : "",
			      "ok", s->ok, "ms", (double)(int64_t)(s->ms * 10 + 0.5) / 10);
	char *t = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!t)
		return;
	size_t n = strlen(t);
	t[n] = '\n'; /* json_dumps's NUL becomes the line's end */
	for (size_t off = 0; off <= n;) {
		ssize_t w = write(fd, t + off, n + 1 - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	free(t);
}

/* Text from the model or the documents on one line, escaped, cut near max bytes. */
static void print_oneline(FILE *f, const char *s, size_t max)
{
	if (!s)
		return;
	size_t n = strlen(s);
	char *t = cr_strndup(s, n > max ? max : n);
	if (!t)
		return;
	for (char *p = t; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	cli_put(f, t, 0);
	cr_free(t);
	if (n > max)
		fputs("...", f);
}

static int on_step(void *ctx, const cr_agent_step *s)
{
	run_ctx *r = ctx;
	json_t *args = json_loads(s->arguments ? s->arguments : "", 0, NULL);
	if (!args || !json_is_object(args)) {
		json_decref(args);
		args = json_string(s->arguments ? s->arguments : "");
	}
	if (cli_audit_corpus(r->cp, "agent.tool",
			     json_pack("{si ss so sb so}", "step", s->i, "tool", s->tool ? s->tool : "", "arguments", args,
				       "ok", s->ok, "chunks", cli_audit_ids(s->chunk_ids, s->n_chunk_ids))))
		return 1;
	if (r->events_fd > 0)
		step_event(r->events_fd, s);
	if (r->live) {
		fprintf(r->live, "step %d: ", s->i);
		print_oneline(r->live, s->tool, 64);
		fputc(' ', r->live);
		print_oneline(r->live, s->arguments, 200);
		fputs("\n        -> ", r->live);
		print_oneline(r->live, s->result_summary, 300);
		fprintf(r->live, " (%.0f ms)\n", s->ms);
		fflush(r->live);
	}
	return 0;
}

static int audit_run(cr_corpus *cp, const char *agent, const char *task, const cr_agent_result *res)
{
	const cr_answer *ans = &res->answer;
	json_t *got = json_array(), *cited = json_array();
	for (size_t i = 0; i < ans->n_sources; i++)
		json_array_append_new(got, json_integer(ans->sources[i].chunk_id));
	for (size_t i = 0; i < ans->n_citations; i++)
		for (size_t j = 0; j < ans->n_sources; j++)
			if (ans->sources[j].n == ans->citations[i].n)
				json_array_append_new(cited, json_integer(ans->sources[j].chunk_id));
	json_t *d = json_pack("{ss ss ss si si si so so si}", "task", task, "mode", ans->mode ? ans->mode : "", "stop",
			      res->stop ? res->stop : "", "steps", (int)res->n_steps, "prompt_tokens",
			      (int)res->prompt_tokens, "completion_tokens", (int)res->completion_tokens, "retrieved", got,
			      "cited", cited, "unverified", (int)ans->n_unverified);
	if (d && agent)
		json_object_set_new(d, "agent", json_string(agent));
	return cli_audit_corpus(cp, "agent.run", d);
}

static void print_answer(const cr_agent_result *res)
{
	const cr_answer *ans = &res->answer;
	putchar('\n');
	cli_put(stdout, ans->text, 1);
	putchar('\n');
	if (ans->n_citations)
		printf("\n%s\n", strcmp(ans->lang, "ja") ? "Sources:" : "出典:");
	for (size_t i = 0; i < ans->n_citations; i++) {
		const cr_citation *c = &ans->citations[i];
		for (size_t j = 0; j < ans->n_sources; j++) {
			const cr_source *s = &ans->sources[j];
			if (s->n != c->n)
				continue;
			printf("[%d] ", c->n);
			cli_put(stdout, s->doc ? s->doc : "?", 0);
			cli_print_loc(&s->loc, s->type);
			printf("\n    \"");
			print_oneline(stdout, c->quote, 400);
			printf("\"\n");
		}
	}
	for (size_t i = 0; i < ans->n_unverified; i++)
		printf("%s[%d] removed: %s\n", i ? "" : "\n", ans->unverified[i].n, ans->unverified[i].reason);
}

/* ---- MCP tools: the servers named by --tool mcp:NAME/..., connected for
 * the run, their allowed tools offered to the model as mcp__NAME__TOOL. */
typedef struct mcp_conn {
	cr_mcp *c;
	const char *tool; /* the MCP tool name */
} mcp_conn;

static cr_err mcp_tool_call(void *ctx, const char *arguments, cr_buf *out, int *is_error, cr_msg *m)
{
	mcp_conn *x = ctx;
	return cr_mcp_call(x->c, x->tool, arguments, out, is_error, m);
}

/* Model-facing name: [A-Za-z0-9_-], at most 64 bytes. */
static char *model_name(cr_arena *a, const char *server, const char *tool)
{
	char *n = cr_arena_printf(a, "mcp__%s__%s", server, tool);
	if (!n)
		return NULL;
	for (char *p = n; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-'))
			*p = '_';
	if (strlen(n) > 64)
		n[64] = 0;
	return n;
}

static int mcp_open_tools(cr_cli *cli, cr_store *st, cr_arena *a, const char **allow, size_t n_allow, int timeout,
			  cr_mcp **conns, size_t *n_conns, cr_agent_ext_tool **out, size_t *n_out)
{
	size_t cap = 0;
	*out = NULL;
	*n_out = 0;
	for (size_t i = 0; i < n_allow; i++) {
		const char *srv = allow[i] + 4, *slash = strchr(srv, '/');
		char name[65];
		snprintf(name, sizeof name, "%.*s", (int)(slash - srv), srv);
		int seen = 0;
		for (size_t j = 0; j < i; j++)
			seen |= !strncmp(allow[j] + 4, srv, (size_t)(slash - srv) + 1);
		if (seen)
			continue;
		cr_mcp *c = NULL;
		if (cli_mcp_connect(cli, st, name, (double)CR_MIN(timeout, 60), &c))
			return 1;
		conns[(*n_conns)++] = c;
		cr_mcp_tool *tl;
		size_t nt;
		cr_msg m = {{0}};
		if (cr_mcp_tools(c, a, &tl, &nt, &m))
			return cli_fail("agent", "%s: %s", name, m.text);
		for (size_t k = 0; k < nt; k++) {
			if (!cr_mcp_allowed(allow, n_allow, name, tl[k].name))
				continue;
			if (*n_out == cap) {
				size_t nc = cap ? cap * 2 : 16;
				cr_agent_ext_tool *nv = cr_arena_alloc(a, nc * sizeof *nv);
				if (!nv)
					return cli_fail("agent", "out of memory");
				if (cap)
					memcpy(nv, *out, cap * sizeof *nv);
				*out = nv;
				cap = nc;
			}
			mcp_conn *x = cr_arena_zalloc(a, sizeof *x);
			char *mn = model_name(a, name, tl[k].name);
			char *label = cr_arena_printf(a, "mcp:%s/%s", name, tl[k].name);
			if (!x || !mn || !label)
				return cli_fail("agent", "out of memory");
			x->c = c;
			x->tool = tl[k].name;
			(*out)[(*n_out)++] = (cr_agent_ext_tool){.name = mn, .label = label,
							       .description = tl[k].description,
							       .parameters = tl[k].input_schema,
							       .call = mcp_tool_call, .ctx = x};
		}
	}
	for (size_t i = 0; i < n_allow; i++) {
		const char *srv = allow[i] + 4, *slash = strchr(srv, '/');
		char name[65];
		snprintf(name, sizeof name, "%.*s", (int)(slash - srv), srv);
		int found = !strcmp(slash + 1, "*");
		for (size_t k = 0; k < *n_out && !found; k++)
			found = !strcmp((*out)[k].label, allow[i]);
		if (!found)
			return cli_fail("agent", "MCP server %s has no tool %s (see cristal mcp tools %s)", name, slash + 1,
					name);
	}
	return 0;
}

/* Writes the answer and its sources as Markdown to path (atomically). */
static int write_answer(const char *path, const char *title, const cr_agent_result *res, char *why, size_t cap)
{
	const cr_answer *ans = &res->answer;
	cr_buf b;
	cr_buf_init(&b, 0);
	cr_err e = cr_buf_printf(&b, "# %s\n\n%s\n", title, ans->text ? ans->text : "");
	for (size_t i = 0; !e && i < ans->n_citations; i++)
		for (size_t j = 0; !e && j < ans->n_sources; j++)
			if (ans->sources[j].n == ans->citations[i].n)
				e = cr_buf_printf(&b, "%s[%d] %s: \"%s\"\n", i ? "" : "\n## Sources\n\n", ans->citations[i].n,
						  ans->sources[j].doc ? ans->sources[j].doc : "?",
						  ans->citations[i].quote ? ans->citations[i].quote : "");
	cr_msg m = {{0}};
	if (!e)
		e = cr_file_write_atomic(path, b.data, b.len, &m);
	cr_buf_release(&b);
	if (e)
		snprintf(why, cap, "writing %.200s: %.280s", path, m.text[0] ? m.text : cr_strerror(e));
	return e ? 1 : 0;
}

int cli_agent_task_run(cr_cli *cli, cr_corpus *cp, const cli_agent_task *t, cli_agent_outcome *res_out)
{
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_store *st = NULL;
	cr_provider_chain *ch = NULL;
	cr_embedder *emb = NULL;
	cr_mcp *conns[64];
	size_t n_conns = 0;
	cr_agent_ext_tool *ext = NULL;
	size_t n_ext = 0;
	cr_msg m = {{0}};
	int rc = 0;
	cli_agent_outcome *oc = res_out;
	memset(oc, 0, sizeof *oc);
	oc->status = "failed";
	cr_err e;
	if ((e = cr_corpus_store_acquire(cp, &st, &m))) {
		snprintf(oc->error, sizeof oc->error, "%s", m.text[0] ? m.text : cr_strerror(e));
		rc = 1;
		goto out;
	}
	if (!t->provider) {
		cr_provider_row row;
		cr_err pe = cr_store_provider_get_default(st, &a, &row, NULL);
		if (pe == CR_ENOTFOUND) {
			snprintf(oc->error, sizeof oc->error, "needs a model, and no provider is configured");
			if (!t->quiet)
				fprintf(stderr, "cristal: agent: needs a model, and no provider is configured.\n"
						"  Add one: cristal provider add NAME --kind openai --url URL --model MODEL --default\n"
						"       or: cristal provider add NAME --kind local --model MODEL --default\n"
						"  or name one with --provider NAME.\n");
			rc = CLI_USAGE;
			goto out;
		}
		if (pe) {
			snprintf(oc->error, sizeof oc->error, "reading the providers: %s", cr_strerror(pe));
			rc = 1;
			goto out;
		}
	}
	if (cli_provider_open(cli, st, t->provider, 1, (double)t->timeout, &ch, oc->error, sizeof oc->error)) {
		rc = strstr(oc->error, "no provider named") ? CLI_USAGE : 1;
		goto out;
	}
	if (t->n_mcp && mcp_open_tools(cli, st, &a, (const char **)t->mcp, t->n_mcp, t->timeout, conns, &n_conns, &ext,
				       &n_ext)) {
		snprintf(oc->error, sizeof oc->error, "the MCP tools could not be opened");
		rc = 1;
		goto out;
	}
	cr_cancel cancel;
	cr_cancel_init(&cancel);
	cr_cancel_set_timeout(&cancel, (double)t->timeout);
	run_ctx rctx = {.cp = cp,
			.live = t->quiet ? NULL : t->json ? (cli_tty() ? stderr : NULL) : stdout,
			.events_fd = cli->agent_events_fd};
	/* the search tool runs hybrid when the corpus has vectors */
	const char *vsrc;
	int vdim;
	char why[256];
	if (!cr_corpus_vectors_source(cp, &a, &vsrc, &vdim, NULL) && cr_corpus_vectors_count(cp) &&
	    !(emb = cli_embedder_open(cli, st, vsrc, why, sizeof why)))
		cr_log(CR_LOG_WARN, "agent: embedding queries (%s): %s; the search tool uses words", vsrc, why);
	cr_agent_opts o = {.max_steps = t->max_steps,
			   .max_tokens = t->max_tokens,
			   .max_failures = t->max_fails,
			   .cancel = &cancel,
			   .scope = t->scope,
			   .who = cli->as_who, /* agent run --as USER: that user's ACL too */
			   .allow_write = t->allow_write,
			   .out_dir = t->out_dir,
			   .on_step = on_step,
			   .on_step_ctx = &rctx,
			   .ext_tools = ext,
			   .n_ext_tools = n_ext,
			   .builtins = t->builtins,
			   .n_builtins = t->n_builtins,
			   .egress = cli->egress,
			   .tenant = cli->as_tenant ? cli->as_tenant : "default",
			   .embed = emb ? cr_embedder_embed : NULL,
			   .embed_ctx = emb};
	cr_agent_result res;
	struct sigaction sa = {.sa_handler = on_term}, old_term;
	sigemptyset(&sa.sa_mask);
	g_run_cancel = &cancel;
	int term_set = sigaction(SIGTERM, &sa, &old_term) == 0;
	e = cr_agent_run(cp, cr_provider_chain_head(ch), &a, t->task, &o, &res, &m);
	if (term_set)
		sigaction(SIGTERM, &old_term, NULL);
	g_run_cancel = NULL;
	if (e) {
		snprintf(oc->error, sizeof oc->error, "%s", m.text[0] ? m.text : cr_strerror(e));
		rc = 1;
		goto out;
	}
	oc->steps = (int64_t)res.n_steps;
	oc->prompt_tokens = res.prompt_tokens;
	oc->completion_tokens = res.completion_tokens;
	oc->stop = res.stop;
	oc->status = res.answer.text ? "ok" : "stopped";
	if (!res.answer.text)
		snprintf(oc->error, sizeof oc->error, "stopped without an answer (%s): %s", res.stop,
			 res.stop_detail ? res.stop_detail : "");
	if (audit_run(cp, t->agent, t->task, &res)) {
		snprintf(oc->error, sizeof oc->error, "the audit log could not be written");
		oc->status = "failed";
		rc = 1;
		goto out;
	}
	if (t->report_path && res.answer.text) {
		if (write_answer(t->report_path, t->agent ? t->agent : "Agent report", &res, oc->error,
				 sizeof oc->error)) {
			oc->status = "failed";
			rc = 1;
			goto out;
		}
		snprintf(oc->report, sizeof oc->report, "%s", t->report_path);
	}
	if (t->quiet) {
	} else if (t->json) {
		cr_buf b;
		cr_buf_init(&b, 0);
		if (cr_agent_result_json(&res, &b) || cr_buf_addc(&b, '\n'))
			rc = cli_fail("agent", "out of memory");
		else
			fwrite(b.data, 1, b.len, stdout);
		cr_buf_release(&b);
	} else if (res.answer.text)
		print_answer(&res);
	if (!rc && !res.answer.text)
		rc = 1;
out:
	cr_embedder_free(emb);
	for (size_t i = 0; i < n_conns; i++)
		cr_mcp_close(conns[i]);
	cr_provider_chain_free(ch);
	if (st)
		cr_corpus_store_release(cp, st);
	cr_arena_release(&a);
	return rc;
}

int cmd_agent(cr_cli *cli, int argc, char **argv)
{
	/* the subcommands of stored agents (cmd_agents.c); a task that begins
	 * with one of these words is written after "--" */
	if (argc > 1 && cli_agents_is_subcommand(argv[1]))
		return cli_agents_cmd(cli, argc - 1, argv + 1);
	enum { O_JSON = 256, O_PROVIDER, O_STEPS, O_TOKENS, O_TIMEOUT, O_FAILS, O_SCOPE, O_WRITE, O_OUT, O_TOOL };
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
					     {"json", no_argument, NULL, O_JSON},
					     {"provider", required_argument, NULL, O_PROVIDER},
					     {"max-steps", required_argument, NULL, O_STEPS},
					     {"max-tokens", required_argument, NULL, O_TOKENS},
					     {"timeout", required_argument, NULL, O_TIMEOUT},
					     {"max-failures", required_argument, NULL, O_FAILS},
					     {"scope", required_argument, NULL, O_SCOPE},
					     {"allow-write", no_argument, NULL, O_WRITE},
					     {"out", required_argument, NULL, O_OUT},
					     {"tool", required_argument, NULL, O_TOOL},
					     {0}};
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_agent_scope scope = {0};
	int json = 0, c, has_scope = 0, rc = 0;
	int max_steps = 8, max_tokens = 0, timeout = 300, max_fails = 3;
	const char *provider = NULL, *out_dir = NULL;
	int allow_write = 0;
	const char *allow[64];
	size_t n_allow = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h': usage(stdout); cr_arena_release(&a); return 0;
		case O_JSON: json = 1; break;
		case O_PROVIDER: provider = optarg; break;
		case O_STEPS: rc = cli_opt_int("agent", "--max-steps", optarg, 1, 100, &max_steps); break;
		case O_TOKENS: rc = cli_opt_int("agent", "--max-tokens", optarg, 1, 100000000, &max_tokens); break;
		case O_TIMEOUT: rc = cli_opt_int("agent", "--timeout", optarg, 1, 86400, &timeout); break;
		case O_FAILS: rc = cli_opt_int("agent", "--max-failures", optarg, 1, 100, &max_fails); break;
		case O_SCOPE:
			if (cr_agent_scope_add(&scope, &a, optarg))
				rc = cli_usage_fail("agent", "--scope wants a path, type:KIND or group:G, not '%s'", optarg);
			has_scope = 1;
			break;
		case O_WRITE: allow_write = 1; break;
		case O_OUT: out_dir = optarg; break;
		case O_TOOL:
			if (!cli_agent_mcp_entry_ok(optarg))
				rc = cli_usage_fail("agent", "--tool wants mcp:NAME/TOOL or mcp:NAME/*, not '%s'", optarg);
			else if (n_allow == CR_ARRAY_LEN(allow))
				rc = cli_usage_fail("agent", "at most 64 --tool entries");
			else
				allow[n_allow++] = optarg;
			break;
		default: rc = CLI_USAGE;
		}
		if (rc) {
			if (c == '?')
				usage(stderr);
			cr_arena_release(&a);
			return CLI_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		cr_arena_release(&a);
		return CLI_USAGE;
	}
	cr_buf tb;
	cr_buf_init(&tb, 64 << 10);
	cr_err e = CR_OK;
	for (int i = optind; i < argc && !e; i++) {
		if (i > optind)
			e = cr_buf_addc(&tb, ' ');
		if (!e)
			e = cr_buf_adds(&tb, argv[i]);
	}
	if (e) {
		cr_buf_release(&tb);
		cr_arena_release(&a);
		return cli_fail("agent", "the task is over 64 KiB");
	}
	cr_corpus *cp = NULL;
	cr_msg m = {{0}};
	if ((e = cr_corpus_open(cli->data_dir, 0, &cp, &m))) {
		rc = cli_fail("agent", "%s", m.text[0] ? m.text : cr_strerror(e));
		goto out;
	}
	cli_agent_task t = {.task = tb.data,
			    .provider = provider,
			    .max_steps = max_steps,
			    .max_tokens = max_tokens,
			    .timeout = timeout,
			    .max_fails = max_fails,
			    .scope = has_scope ? &scope : NULL,
			    .allow_write = allow_write,
			    .out_dir = out_dir,
			    .mcp = allow,
			    .n_mcp = n_allow,
			    .json = json};
	cli_agent_outcome oc;
	rc = cli_agent_task_run(cli, cp, &t, &oc);
	if (rc && rc != CLI_USAGE)
		cli_fail("agent", "%s", oc.error);
	else if (rc == CLI_USAGE && strcmp(oc.error, "needs a model, and no provider is configured"))
		cli_fail("agent", "%s", oc.error);
out:
	cr_corpus_close(cp);
	cr_buf_release(&tb);
	cr_arena_release(&a);
	return rc;
}

int cli_agent_mcp_entry_ok(const char *s)
{
	const char *sl = strncmp(s, "mcp:", 4) ? NULL : strchr(s + 4, '/');
	return sl && sl != s + 4 && sl - (s + 4) <= 64 && sl[1];
}
