/*
 * cmd_agents.c — stored agents: `cristal agent create | list | show | run |
 * rm | run-due`, and the scheduler thread of `cristal serve`.
 *
 * An agent is a row of the catalog (store.h cr_agent_row): instructions
 * (the file's text at creation), the tools offered (built-in names, by
 * default the read-only ones; MCP tools only when named), scope entries
 * (paths, type:KIND, group:G), a provider, a cron schedule and a report
 * directory. Each run is a row of agent_runs (start, end, status, steps,
 * tokens, report, error) and is audited: "agent.create", "agent.rm",
 * the loop's "agent.tool" and "agent.run", then "agent.run.end".
 *
 * Schedules are five-field cron expressions in the zone of the
 * configuration's time.zone (default Asia/Tokyo), computed from the TZif
 * file (agent.h cr_tz), never through TZ. An agent is due when the first
 * fire time after its last claim (or, never run, after its creation) has
 * come. run-due claims each due agent in one catalog transaction
 * (cr_store_agent_run_begin with claim: last_due moved to now), so two
 * processes never run one fire time twice, and missed fire times give one
 * run, not one each.
 *
 * A run whose process died stays "running" until the next run-due, which
 * ends it as failed ("abandoned") once it is an hour old (runs have a
 * 300 s wall time).
 *
 * CR_TEST_NOW=UNIX_SECONDS replaces the clock of create, run and run-due:
 * for the tests only (tests/e2e/agent_schedule.sh), to step through fire
 * times without waiting for them.
 */
#define _GNU_SOURCE /* memmem */
#include "cli.h"
#include "cristal/agent.h"
#include "cristal/conf.h"
#include "cristal/corpus.h"
#include "cristal/store.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_ZONE "Asia/Tokyo"
#define SHOW_RUNS 20
#define RUN_TIMEOUT 300     /* seconds of a stored agent's run */
#define ABANDON_AFTER 3600  /* a run still "running" after this long lost its process */

static const char *const SUBCOMMANDS[] = {"create", "list", "show", "run", "rm", "run-due"};

int cli_agents_is_subcommand(const char *word)
{
	for (size_t i = 0; i < CR_ARRAY_LEN(SUBCOMMANDS); i++)
		if (!strcmp(word, SUBCOMMANDS[i]))
			return 1;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cristal agent create NAME --instructions FILE [--tool T]... [--scope S]... [--provider P]\n"
		"                            [--schedule CRON] [--out DIR]\n"
		"       cristal agent list [--json]\n"
		"       cristal agent show NAME [--json]\n"
		"       cristal agent run NAME [--json] [--as USER]\n"
		"       cristal agent rm NAME\n"
		"       cristal agent run-due [--json]\n\n"
		"Stored agents: instructions a model works on with the tools named, inside a scope,\n"
		"by hand (run) or on a schedule (run-due, from a systemd timer; cristal serve runs\n"
		"due agents itself).\n\n"
		"  --instructions FILE  the task (its text is stored)\n"
		"  --tool T          a tool offered: search, read_document, list_sources, meeting_actions,\n"
		"                    table_stats, write_report, or mcp:NAME/TOOL (mcp:NAME/* for all);\n"
		"                    repeatable; default: the read-only built-ins\n"
		"  --scope S         only documents under path S, of type KIND (type:KIND) or granted to\n"
		"                    group G (group:G); repeatable; default: everything\n"
		"  --provider P      the model (default: the default provider)\n"
		"  --schedule CRON   minute hour day-of-month month day-of-week, in the time zone of\n"
		"                    time.zone (default Asia/Tokyo); quote it: --schedule '0 9 * * 1-5'\n"
		"  --out DIR         write each run's answer to DIR/NAME-YYYYMMDD-HHMMSS.md (and let\n"
		"                    write_report write there when it is named)\n"
		"  --as USER         (run) as that catalog user: only documents it may read, its quotas\n");
}

/* ---- shared ---------------------------------------------------------------- */

/* cli->test_now ($CR_TEST_NOW, main.c) for this command: 0, the real clock. */
static int64_t test_now;

/* Now, unix seconds. */
static int64_t now_s(void)
{
	return test_now ? test_now : cr_wallclock();
}

static int64_t now_ms(void)
{
	if (test_now)
		return test_now * 1000;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *zone_name(const cr_cli *cli)
{
	const char *z = NULL;
	if (cli->conf && cr_conf_str(cli->conf, "time", "zone", &z, NULL))
		z = NULL;
	return z && *z ? z : DEFAULT_ZONE;
}

static int open_zone(const cr_cli *cli, const char *cmd, cr_tz **z)
{
	cr_msg m = {{0}};
	if (cr_tz_load(zone_name(cli), z, &m))
		return cli_fail(cmd, "%s", m.text);
	return 0;
}

/* "2026-12-03 18:00 Asia/Tokyo" */
static void local_str(const cr_tz *z, int64_t t, char *out, size_t cap)
{
	cr_civil c;
	cr_tz_local(z, t, &c);
	snprintf(out, cap, "%04d-%02d-%02d %02d:%02d %s", c.y, c.mo, c.d, c.h, c.mi, cr_tz_name(z));
}

static void utc_iso(int64_t t, char out[32])
{
	int64_t days = t / 86400 - (t % 86400 < 0), sec = t - days * 86400;
	cr_ymd d = cr_ymd_from_days(days);
	snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02dZ", d.y, d.m, d.d, (int)(sec / 3600), (int)(sec / 60 % 60),
		 (int)(sec % 60));
}

/* The next fire time of an agent (0: none: no schedule, or never). */
static int64_t next_fire(const cr_agent_row *r, const cr_tz *z)
{
	cr_cron c;
	int64_t t;
	if (!r->schedule || cr_cron_parse(r->schedule, &c, NULL) ||
	    cr_cron_next(&c, z, r->last_due ? r->last_due : r->created, &t))
		return 0;
	return t;
}

typedef struct opened {
	cr_corpus *cp;
	cr_store *st;
} opened;

static int open_all(cr_cli *cli, const char *cmd, opened *o)
{
	cr_msg m = {{0}};
	cr_err e;
	memset(o, 0, sizeof *o);
	if ((e = cr_corpus_open(cli->data_dir, 0, &o->cp, &m)) || (e = cr_corpus_store_acquire(o->cp, &o->st, &m))) {
		cr_corpus_close(o->cp);
		memset(o, 0, sizeof *o);
		return cli_fail(cmd, "%s", m.text[0] ? m.text : cr_strerror(e));
	}
	return 0;
}

static void close_all(opened *o)
{
	if (o->st)
		cr_corpus_store_release(o->cp, o->st);
	cr_corpus_close(o->cp);
}

/* ---- create ------------------------------------------------------------------- */

static int agents_create(cr_cli *cli, int argc, char **argv)
{
	enum { O_INSTR = 256, O_TOOL, O_SCOPE, O_PROVIDER, O_SCHEDULE, O_OUT };
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
					     {"instructions", required_argument, NULL, O_INSTR},
					     {"tool", required_argument, NULL, O_TOOL},
					     {"scope", required_argument, NULL, O_SCOPE},
					     {"provider", required_argument, NULL, O_PROVIDER},
					     {"schedule", required_argument, NULL, O_SCHEDULE},
					     {"out", required_argument, NULL, O_OUT},
					     {0}};
	const char *instr = NULL, *provider = NULL, *schedule = NULL, *out = NULL;
	json_t *tools = json_array(), *scopes = json_array();
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_agent_scope scope = {0};
	int c, rc = 0;
	optind = 1;
	while (!rc && (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h': usage(stdout); rc = -1; break;
		case O_INSTR: instr = optarg; break;
		case O_TOOL:
			if (!cr_agent_tool_builtin(optarg) && !cli_agent_mcp_entry_ok(optarg))
				rc = cli_usage_fail("agent create",
						    "--tool wants a built-in tool (search, read_document, list_sources, "
						    "meeting_actions, table_stats, write_report) or mcp:NAME/TOOL, not '%s'",
						    optarg);
			else
				json_array_append_new(tools, json_string(optarg));
			break;
		case O_SCOPE:
			if (cr_agent_scope_add(&scope, &a, optarg))
				rc = cli_usage_fail("agent create", "--scope wants a path, type:KIND or group:G, not '%s'",
						    optarg);
			else
				json_array_append_new(scopes, json_string(optarg));
			break;
		case O_PROVIDER: provider = optarg; break;
		case O_SCHEDULE: schedule = optarg; break;
		case O_OUT: out = optarg; break;
		default: usage(stderr); rc = CLI_USAGE;
		}
	}
	if (rc < 0)
		rc = 0;
	else if (!rc && optind != argc - 1) {
		usage(stderr);
		rc = CLI_USAGE;
	} else if (!rc && !instr)
		rc = cli_usage_fail("agent create", "--instructions FILE is required (the task, in words)");
	cr_cron cron;
	cr_msg m = {{0}};
	for (size_t i = 0; !rc && !out && i < json_array_size(tools); i++)
		if (!strcmp(json_string_value(json_array_get(tools, i)), "write_report"))
			rc = cli_usage_fail("agent create", "--tool write_report writes into the report directory: give --out DIR");
	if (!rc && schedule && cr_cron_parse(schedule, &cron, &m))
		rc = cli_usage_fail("agent create", "--schedule '%s': %s", schedule, m.text);
	if (rc)
		goto done;
	const char *name = argv[optind];
	uint8_t *text = NULL;
	size_t len = 0;
	cr_err e = cr_file_read(instr, 64 << 10, &text, &len, &m);
	if (e) {
		rc = cli_fail("agent create", "--instructions %s: %s", instr, m.text[0] ? m.text : cr_strerror(e));
		goto done;
	}
	if (!len || !cr_utf8_valid(text, len) || memchr(text, 0, len)) {
		cr_free(text);
		rc = cli_usage_fail("agent create", "--instructions %s: empty, or not UTF-8 text", instr);
		goto done;
	}
	char outabs[PATH_MAX];
	if (out) {
		if (mkdir(out, 0750) && errno != EEXIST) {
			cr_free(text);
			rc = cli_fail("agent create", "--out %s: %s", out, strerror(errno));
			goto done;
		}
		if (!realpath(out, outabs)) {
			cr_free(text);
			rc = cli_fail("agent create", "--out %s: %s", out, strerror(errno));
			goto done;
		}
	}
	if (!json_array_size(tools)) {
		size_t n;
		const char *const *ro = cr_agent_tools_readonly(&n);
		for (size_t i = 0; i < n; i++)
			json_array_append_new(tools, json_string(ro[i]));
	}
	opened o;
	if (open_all(cli, "agent create", &o)) {
		cr_free(text);
		rc = 1;
		goto done;
	}
	for (size_t i = 0; i < scope.n_groups && !rc; i++) {
		int64_t gid;
		if (cr_store_name_id(o.st, 0, scope.groups[i], &gid, &m))
			rc = cli_usage_fail("agent create", "--scope group:%s: %s", scope.groups[i], m.text);
	}
	cr_provider_row prow;
	if (!rc && provider && (e = cr_store_provider_get(o.st, &a, provider, &prow, &m)))
		rc = e == CR_ENOTFOUND ? cli_usage_fail("agent create", "%s", m.text)
				       : cli_fail("agent create", "%s", m.text);
	char *tools_s = json_dumps(tools, JSON_COMPACT), *scopes_s = json_dumps(scopes, JSON_COMPACT);
	cr_agent_row row = {.name = name,
			    .instructions = (const char *)text,
			    .tools = tools_s,
			    .scopes = scopes_s,
			    .provider = provider,
			    .schedule = schedule,
			    .out_dir = out ? outabs : NULL,
			    .created = now_s()};
	if (!rc && (e = cr_store_agent_put(o.st, &row, &m)))
		rc = e == CR_EEXIST || e == CR_EINVAL ? cli_usage_fail("agent create", "%s", m.text)
						      : cli_fail("agent create", "%s", m.text);
	if (!rc && cli_audit(o.st, "agent.create",
			     json_pack("{ss sO sO ss? ss? ss? si}", "name", name, "tools", tools, "scopes", scopes,
				       "provider", provider, "schedule", schedule, "out", out ? outabs : NULL,
				       "instructions_bytes", (int)len)))
		rc = 1;
	if (!rc) {
		printf("created agent %s\n", name);
		cr_tz *z = NULL;
		if (schedule && !open_zone(cli, "agent create", &z)) {
			int64_t next = next_fire(&row, z);
			char when[96];
			local_str(z, next, when, sizeof when);
			printf("next run: %s\n", next ? when : "never");
		}
		cr_tz_free(z);
	}
	free(tools_s);
	free(scopes_s);
	cr_free(text);
	close_all(&o);
done:
	json_decref(tools);
	json_decref(scopes);
	cr_arena_release(&a);
	return rc;
}

/* ---- runs ----------------------------------------------------------------------- */

/* Runs a stored agent once: kind "manual" (agent run) or "schedule"
 * (run-due, with claim = the last_due it saw). *claimed = 0 when another
 * process had claimed it. Returns the exit status of the run (0: an
 * answer). The run's row and audit record say how it went. */
static int run_stored(cr_cli *cli, opened *o, const cr_agent_row *r, const char *kind, const int64_t *claim,
		      const cr_tz *z, int json, int quiet, int *claimed, cli_agent_outcome *oc, int64_t *run_id)
{
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_msg m = {{0}};
	*claimed = 1;
	*run_id = 0;
	memset(oc, 0, sizeof *oc);
	oc->status = "failed";
	/* the settings, as stored */
	cr_agent_scope scope = {0};
	const char *builtins[16], *mcp[64];
	size_t n_builtins = 0, n_mcp = 0;
	int write_named = 0, rc = 0;
	json_t *tools = json_loads(r->tools ? r->tools : "[]", 0, NULL),
	       *scopes = json_loads(r->scopes ? r->scopes : "[]", 0, NULL);
	size_t i;
	json_t *v;
	json_array_foreach(tools, i, v)
	{
		const char *t = json_string_value(v);
		if (!t)
			continue;
		if (cr_agent_tool_builtin(t) && n_builtins < CR_ARRAY_LEN(builtins)) {
			builtins[n_builtins++] = cr_arena_strdup(&a, t);
			write_named |= !strcmp(t, "write_report");
		} else if (cli_agent_mcp_entry_ok(t) && n_mcp < CR_ARRAY_LEN(mcp))
			mcp[n_mcp++] = cr_arena_strdup(&a, t);
	}
	json_array_foreach(scopes, i, v)
	{
		if (json_string_value(v) && cr_agent_scope_add(&scope, &a, json_string_value(v)))
			snprintf(oc->error, sizeof oc->error, "bad scope entry %s", json_string_value(v));
	}
	json_decref(tools);
	json_decref(scopes);
	cr_err e = cr_store_agent_run_begin(o->st, r->name, kind, now_ms(), claim, run_id, &m);
	if (e == CR_EBUSY) {
		*claimed = 0;
		cr_arena_release(&a);
		return 0;
	}
	if (e) {
		cr_arena_release(&a);
		snprintf(oc->error, sizeof oc->error, "%s", m.text);
		return cli_fail("agent", "%s", m.text);
	}
	char report[PATH_MAX] = "";
	if (r->out_dir) {
		cr_civil c;
		cr_tz_local(z, now_s(), &c);
		snprintf(report, sizeof report, "%s/%s-%04d%02d%02d-%02d%02d%02d.md", r->out_dir, r->name, c.y, c.mo, c.d,
			 c.h, c.mi, c.s);
		if (mkdir(r->out_dir, 0750) && errno != EEXIST)
			snprintf(oc->error, sizeof oc->error, "report directory %s: %s", r->out_dir, strerror(errno));
	}
	if (oc->error[0])
		rc = 1;
	else {
		cli_agent_task t = {.task = r->instructions,
				    .provider = r->provider,
				    .max_steps = 8,
				    .timeout = RUN_TIMEOUT,
				    .max_fails = 3,
				    .scope = scope.n_prefixes || scope.n_types || scope.n_groups ? &scope : NULL,
				    .allow_write = r->out_dir && write_named,
				    .out_dir = r->out_dir,
				    .mcp = mcp,
				    .n_mcp = n_mcp,
				    .builtins = builtins,
				    .n_builtins = n_builtins,
				    .json = json,
				    .quiet = quiet,
				    .agent = r->name,
				    .report_path = r->out_dir ? report : NULL};
		rc = cli_agent_task_run(cli, o->cp, &t, oc);
	}
	cr_agent_run_row end = {.ended = now_ms(),
				.status = oc->status,
				.stop = oc->stop,
				.steps = oc->steps,
				.prompt_tokens = oc->prompt_tokens,
				.completion_tokens = oc->completion_tokens,
				.report = oc->report[0] ? oc->report : NULL,
				.error = oc->error[0] ? oc->error : NULL};
	if ((e = cr_store_agent_run_end(o->st, *run_id, &end, &m)))
		rc = cli_fail("agent", "recording the run: %s", m.text);
	if (cli_audit(o->st, "agent.run.end",
		      json_pack("{ss sI ss ss sI sI sI ss? ss?}", "agent", r->name, "run", (json_int_t)*run_id, "kind", kind,
				"status", oc->status, "steps", (json_int_t)oc->steps, "prompt_tokens",
				(json_int_t)oc->prompt_tokens, "completion_tokens", (json_int_t)oc->completion_tokens,
				"report", end.report, "error", end.error)))
		rc = 1;
	cr_arena_release(&a);
	return rc;
}

static int agents_run(cr_cli *cli, int argc, char **argv)
{
	int json = 0;
	const char *as = NULL, *kind = "manual";
	/* --kind api: how cristal serve's POST /api/agents/NAME/run records its runs;
	 * --events-fd N: serve's pipe for the steps as they end (background runs) */
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
					     {"json", no_argument, NULL, 'j'},
					     {"as", required_argument, NULL, 'a'},
					     {"kind", required_argument, NULL, 'k'},
					     {"events-fd", required_argument, NULL, 'e'},
					     {0}};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		if (c == 'a')
			as = optarg;
		else if (c == 'k' && (!strcmp(optarg, "manual") || !strcmp(optarg, "api")))
			kind = optarg;
		else if (c == 'j')
			json = 1;
		else if (c == 'e' && atoi(optarg) > 2)
			cli->agent_events_fd = atoi(optarg);
		else {
			usage(stderr);
			return CLI_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return CLI_USAGE;
	}
	opened o;
	if (open_all(cli, "agent run", &o))
		return 1;
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_agent_row r;
	cr_msg m = {{0}};
	cr_tz *z = NULL;
	int rc;
	cr_err e = cr_store_agent_get(o.st, &a, argv[optind], &r, &m);
	if (e)
		rc = e == CR_ENOTFOUND ? cli_usage_fail("agent run", "%s", m.text) : cli_fail("agent run", "%s", m.text);
	else if (!(rc = open_zone(cli, "agent run", &z)) && !(rc = as ? cli_as_begin(cli, o.cp, "agent run", as) : 0)) {
		int claimed;
		int64_t run_id;
		cli_agent_outcome oc;
		if (as) /* the user's principal and actor are on the corpus's connections */
			cr_store_set_actor(o.st, cli->as_user, cli->as_tenant);
		rc = run_stored(cli, &o, &r, kind, NULL, z, json, 0, &claimed, &oc, &run_id);
		if (rc && oc.error[0])
			cli_fail("agent run", "%s: %s", r.name, oc.error);
		if (!json && oc.report[0])
			printf("\nreport: %s\n", oc.report);
	}
	cr_tz_free(z);
	cr_arena_release(&a);
	close_all(&o);
	return rc;
}

/* ---- run-due ---------------------------------------------------------------------- */

typedef struct due_list {
	char **names;
	int64_t *last_due;
	size_t n, cap;
	const cr_tz *z;
	int64_t now;
	int oom;
} due_list;

static int on_due(void *ctx, const cr_agent_row *r)
{
	due_list *l = ctx;
	int64_t next = next_fire(r, l->z);
	if (!next || next > l->now)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		char **nn = cr_realloc(l->names, cap * sizeof *nn);
		if (nn)
			l->names = nn;
		int64_t *nl = cr_realloc(l->last_due, cap * sizeof *nl);
		if (nl)
			l->last_due = nl;
		if (!nn || !nl) {
			l->oom = 1;
			return 1;
		}
		l->cap = cap;
	}
	if (!(l->names[l->n] = cr_strdup(r->name))) {
		l->oom = 1;
		return 1;
	}
	l->last_due[l->n++] = r->last_due;
	return 0;
}

static int agents_run_due(cr_cli *cli, int argc, char **argv)
{
	int json = 0, c;
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {"json", no_argument, NULL, 'j'}, {0}};
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		if (c != 'j') {
			usage(stderr);
			return CLI_USAGE;
		}
		json = 1;
	}
	if (optind != argc) {
		usage(stderr);
		return CLI_USAGE;
	}
	cr_tz *z = NULL;
	if (open_zone(cli, "agent run-due", &z))
		return 1;
	opened o;
	if (open_all(cli, "agent run-due", &o)) {
		cr_tz_free(z);
		return 1;
	}
	due_list l = {.z = z, .now = now_s()};
	cr_msg m = {{0}};
	int rc = 0;
	/* runs whose process died: a run lasts at most RUN_TIMEOUT (+ MCP set-up) */
	cr_err e = cr_store_agent_runs_abandon(o.st, now_ms() - (int64_t)ABANDON_AFTER * 1000, now_ms(),
					       "abandoned: the process running it ended before the run did", NULL, &m);
	if (!e)
		e = cr_store_agent_list(o.st, on_due, &l, &m);
	if (e || l.oom)
		rc = cli_fail("agent run-due", "%s", e ? m.text : "out of memory");
	json_t *ran = json_array();
	for (size_t i = 0; !rc && i < l.n; i++) {
		cr_arena a;
		cr_arena_init(&a, 0);
		cr_agent_row r;
		if ((e = cr_store_agent_get(o.st, &a, l.names[i], &r, &m))) { /* removed meanwhile */
			cr_arena_release(&a);
			continue;
		}
		int claimed;
		int64_t run_id;
		cli_agent_outcome oc;
		int rrc = run_stored(cli, &o, &r, "schedule", &l.last_due[i], z, 0, 1, &claimed, &oc, &run_id);
		if (claimed) {
			json_array_append_new(ran, json_pack("{ss sI ss ss? ss?}", "agent", r.name, "run", (json_int_t)run_id,
							     "status", oc.status, "report", oc.report[0] ? oc.report : NULL,
							     "error", oc.error[0] ? oc.error : NULL));
			if (!json) {
				printf("ran %s: %s, %lld step%s", r.name, oc.status, (long long)oc.steps,
				       oc.steps == 1 ? "" : "s");
				if (oc.report[0])
					printf(", report %s", oc.report);
				if (oc.error[0])
					printf(": %s", oc.error);
				putchar('\n');
			}
			if (rrc)
				rc = 1; /* the others still run */
		}
		cr_arena_release(&a);
	}
	if (json) {
		json_t *out = json_pack("{sO}", "ran", ran);
		char *s = json_dumps(out, JSON_COMPACT);
		if (s)
			printf("%s\n", s);
		free(s);
		json_decref(out);
	} else if (!json_array_size(ran) && !rc)
		printf("no agent is due\n");
	json_decref(ran);
	for (size_t i = 0; i < l.n; i++)
		cr_free(l.names[i]);
	cr_free(l.names);
	cr_free(l.last_due);
	close_all(&o);
	cr_tz_free(z);
	return rc;
}

/* ---- list, show, rm ------------------------------------------------------------- */

static json_t *agent_json(const cr_agent_row *r, const cr_tz *z)
{
	int64_t next = next_fire(r, z);
	char iso[32];
	utc_iso(next, iso);
	json_t *tools = json_loads(r->tools ? r->tools : "[]", 0, NULL);
	json_t *scopes = json_loads(r->scopes ? r->scopes : "[]", 0, NULL);
	return json_pack("{ss so so ss? ss? ss? ss? ss}", "name", r->name, "tools", tools ? tools : json_array(), "scopes",
			 scopes ? scopes : json_array(), "provider", r->provider, "schedule", r->schedule, "out",
			 r->out_dir, "next_run", next ? iso : NULL, "time_zone", cr_tz_name(z));
}

typedef struct list_ctx {
	const cr_tz *z;
	json_t *arr;
	int json;
} list_ctx;

static int on_list(void *ctx, const cr_agent_row *r)
{
	list_ctx *l = ctx;
	if (l->json) {
		json_array_append_new(l->arr, agent_json(r, l->z));
		return 0;
	}
	int64_t next = next_fire(r, l->z);
	char when[96] = "-";
	if (next)
		local_str(l->z, next, when, sizeof when);
	printf("%-20s %-16s next %s\n", r->name, r->schedule ? r->schedule : "(by hand)", when);
	return 0;
}

static int agents_list(cr_cli *cli, int argc, char **argv)
{
	int json = argc == 2 && !strcmp(argv[1], "--json");
	if (argc > 2 || (argc == 2 && !json)) {
		usage(stderr);
		return CLI_USAGE;
	}
	cr_tz *z = NULL;
	opened o;
	if (open_zone(cli, "agent list", &z))
		return 1;
	if (open_all(cli, "agent list", &o)) {
		cr_tz_free(z);
		return 1;
	}
	list_ctx l = {.z = z, .arr = json_array(), .json = json};
	cr_msg m = {{0}};
	int rc = 0;
	if (cr_store_agent_list(o.st, on_list, &l, &m))
		rc = cli_fail("agent list", "%s", m.text);
	else if (json) {
		json_t *out = json_pack("{sO}", "agents", l.arr);
		char *s = json_dumps(out, JSON_COMPACT);
		if (s)
			printf("%s\n", s);
		free(s);
		json_decref(out);
	}
	json_decref(l.arr);
	close_all(&o);
	cr_tz_free(z);
	return rc;
}

typedef struct runs_ctx {
	json_t *arr;
	int json;
} runs_ctx;

static int on_run(void *ctx, const cr_agent_run_row *r)
{
	runs_ctx *c = ctx;
	char started[32], ended[32];
	utc_iso(r->started / 1000, started);
	utc_iso(r->ended / 1000, ended);
	if (c->json) {
		json_array_append_new(c->arr, json_pack("{sI ss ss ss? ss ss? sI sI sI ss? ss? sI}", "id", (json_int_t)r->id,
							"kind", r->kind, "started", started, "ended",
							r->ended ? ended : NULL, "status", r->status, "stop", r->stop,
							"steps", (json_int_t)r->steps, "prompt_tokens",
							(json_int_t)r->prompt_tokens, "completion_tokens",
							(json_int_t)r->completion_tokens, "report", r->report, "error",
							r->error, "ms", (json_int_t)(r->ended ? r->ended - r->started : 0)));
		return 0;
	}
	printf("  #%-4lld %-8s %s  %-8s %2lld steps %6lld tokens", (long long)r->id, r->kind, started, r->status,
	       (long long)r->steps, (long long)(r->prompt_tokens + r->completion_tokens));
	if (r->report)
		printf("  report %s", r->report);
	if (r->error) {
		fputs("  ", stdout);
		cli_put(stdout, r->error, 0);
	}
	putchar('\n');
	return 0;
}

static int agents_show(cr_cli *cli, int argc, char **argv)
{
	int json = 0;
	const char *name = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (!name && argv[i][0] != '-')
			name = argv[i];
		else {
			usage(stderr);
			return CLI_USAGE;
		}
	}
	if (!name) {
		usage(stderr);
		return CLI_USAGE;
	}
	cr_tz *z = NULL;
	opened o;
	if (open_zone(cli, "agent show", &z))
		return 1;
	if (open_all(cli, "agent show", &o)) {
		cr_tz_free(z);
		return 1;
	}
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_agent_row r;
	cr_msg m = {{0}};
	int rc = 0;
	cr_err e = cr_store_agent_get(o.st, &a, name, &r, &m);
	if (e) {
		rc = e == CR_ENOTFOUND ? cli_usage_fail("agent show", "%s", m.text) : cli_fail("agent show", "%s", m.text);
		goto out;
	}
	runs_ctx rc_ = {.arr = json_array(), .json = json};
	if (json) {
		json_t *j = agent_json(&r, z);
		json_object_set_new(j, "instructions", json_string(r.instructions));
		if ((e = cr_store_agent_runs(o.st, r.name, SHOW_RUNS, on_run, &rc_, &m)))
			rc = cli_fail("agent show", "%s", m.text);
		json_object_set(j, "runs", rc_.arr);
		char *s = json_dumps(j, JSON_COMPACT);
		if (!rc && s)
			printf("%s\n", s);
		free(s);
		json_decref(j);
	} else {
		int64_t next = next_fire(&r, z);
		char when[96] = "-";
		if (next)
			local_str(z, next, when, sizeof when);
		printf("agent %s\n  tools     %s\n  scope     %s\n  provider  %s\n  schedule  %s\n  next run  %s\n"
		       "  report to %s\ninstructions:\n",
		       r.name, r.tools, strcmp(r.scopes, "[]") ? r.scopes : "everything",
		       r.provider ? r.provider : "(the default)", r.schedule ? r.schedule : "(by hand)", when,
		       r.out_dir ? r.out_dir : "(no report)");
		cli_put(stdout, r.instructions, 1);
		printf("%sruns (newest first):\n", r.instructions[strlen(r.instructions) - 1] == '\n' ? "" : "\n");
		if ((e = cr_store_agent_runs(o.st, r.name, SHOW_RUNS, on_run, &rc_, &m)))
			rc = cli_fail("agent show", "%s", m.text);
	}
	json_decref(rc_.arr);
out:
	cr_arena_release(&a);
	close_all(&o);
	cr_tz_free(z);
	return rc;
}

static int agents_rm(cr_cli *cli, int argc, char **argv)
{
	if (argc != 2 || argv[1][0] == '-') {
		usage(argc == 2 && !strcmp(argv[1], "--help") ? stdout : stderr);
		return argc == 2 && !strcmp(argv[1], "--help") ? 0 : CLI_USAGE;
	}
	opened o;
	if (open_all(cli, "agent rm", &o))
		return 1;
	cr_msg m = {{0}};
	int rc = 0;
	cr_err e = cr_store_agent_del(o.st, argv[1], &m);
	if (e)
		rc = e == CR_ENOTFOUND ? cli_usage_fail("agent rm", "%s", m.text) : cli_fail("agent rm", "%s", m.text);
	else if (cli_audit(o.st, "agent.rm", json_pack("{ss}", "name", argv[1])))
		rc = 1;
	else
		printf("removed agent %s\n", argv[1]);
	close_all(&o);
	return rc;
}

int cli_agents_cmd(cr_cli *cli, int argc, char **argv)
{
	const char *w = argv[0];
	test_now = cli->test_now;
	if (!strcmp(w, "create"))
		return agents_create(cli, argc, argv);
	if (!strcmp(w, "list"))
		return agents_list(cli, argc, argv);
	if (!strcmp(w, "show"))
		return agents_show(cli, argc, argv);
	if (!strcmp(w, "run"))
		return agents_run(cli, argc, argv);
	if (!strcmp(w, "rm"))
		return agents_rm(cli, argc, argv);
	return agents_run_due(cli, argc, argv);
}

/* ---- the scheduler of cristal serve ------------------------------------------------ */

/* Once a minute (at the start of each minute), `cristal agent run-due` in
 * a child process of its own process group (a terminal's Ctrl-C stops
 * serve, which then lets the child finish), so a run has the CLI's
 * provider, audit and catalog handling and cannot disturb the server's
 * threads. At stop: the thread is woken; a child still running gets
 * STOP_GRACE seconds, then SIGTERM. */
#define STOP_GRACE 30

struct cli_scheduler {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop, running;
	char *argv[8];
	char exe[PATH_MAX];
};

extern char **environ;

static void *scheduler_main(void *arg)
{
	cli_scheduler *s = arg;
	pthread_mutex_lock(&s->mu);
	while (!s->stop) {
		pid_t pid = -1;
		posix_spawnattr_t at;
		if (!posix_spawnattr_init(&at)) {
			posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
			posix_spawnattr_setpgroup(&at, 0);
			pthread_mutex_unlock(&s->mu);
			if (posix_spawn(&pid, s->exe, NULL, &at, s->argv, environ))
				pid = -1;
			pthread_mutex_lock(&s->mu);
			posix_spawnattr_destroy(&at);
		}
		double grace_end = 0;
		while (pid > 0) {
			pthread_mutex_unlock(&s->mu);
			int status;
			pid_t w = waitpid(pid, &status, WNOHANG);
			pthread_mutex_lock(&s->mu);
			if (w == pid || (w < 0 && errno != EINTR))
				break;
			if (s->stop) {
				if (!grace_end)
					grace_end = cr_now() + STOP_GRACE;
				else if (cr_now() > grace_end) {
					kill(pid, SIGTERM);
					grace_end = cr_now() + 1e9;
				}
			}
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 100 * 1000000;
			if (ts.tv_nsec >= 1000000000)
				ts.tv_sec++, ts.tv_nsec -= 1000000000;
			pthread_cond_timedwait(&s->cv, &s->mu, &ts);
		}
		/* sleep to the start of the next minute */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec = (ts.tv_sec / 60 + 1) * 60;
		ts.tv_nsec = 0;
		while (!s->stop && pthread_cond_timedwait(&s->cv, &s->mu, &ts) != ETIMEDOUT) {
		}
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

int cli_agents_scheduler_new(cr_cli *cli, cli_scheduler **out)
{
	*out = NULL;
	cli_scheduler *s = cr_calloc(1, sizeof *s);
	if (!s)
		return cli_fail("serve", "out of memory");
	ssize_t n = readlink("/proc/self/exe", s->exe, sizeof s->exe - 1);
	if (n <= 0) {
		cr_free(s);
		return cli_fail("serve", "the scheduler cannot find its own program (/proc/self/exe)");
	}
	s->exe[n] = 0;
	int k = 0;
	s->argv[k++] = "cristal";
	s->argv[k++] = "--data";
	s->argv[k++] = (char *)cli->data_dir;
	if (cli->conf) {
		s->argv[k++] = "--config";
		s->argv[k++] = (char *)cr_conf_name(cli->conf);
	}
	s->argv[k++] = "agent";
	s->argv[k++] = "run-due";
	s->argv[k] = NULL;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	*out = s;
	return 0;
}

int cli_agents_scheduler_start(cli_scheduler *s)
{
	if (pthread_create(&s->th, NULL, scheduler_main, s))
		return cli_fail("serve", "the scheduler thread could not start");
	s->running = 1;
	return 0;
}

void cli_agents_scheduler_stop(cli_scheduler *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	if (s->running)
		pthread_join(s->th, NULL);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	cr_free(s);
}

/* ---- POST /api/agents/NAME/run (cristal serve) -------------------------------------- */

/* `cristal agent run NAME --json --kind api [--as USER] [--events-fd 3]`
 * in a child process; its standard output is the answer. Exit 0 or 1 with
 * JSON on stdout: the run's result (an answer, or a budget that ended it);
 * else the child's last line of standard error as the failure. With
 * on_step, the child writes each step as a JSON line on its fd 3, handed
 * to on_step line by line as it comes. A cancel request sends the child
 * SIGTERM, which cancels the run inside it (recorded as canceled); one
 * that has not ended KILL_AFTER seconds later is killed. */
#define KILL_AFTER 10.0
static void events_lines(cr_buf *ev, int flush, void (*on_step)(void *, const char *, size_t), void *step_ctx)
{
	size_t start = 0;
	for (size_t i = 0; i < ev->len; i++)
		if (ev->data[i] == '\n') {
			if (i > start)
				on_step(step_ctx, ev->data + start, i - start);
			start = i + 1;
		}
	if (flush && start < ev->len) {
		on_step(step_ctx, ev->data + start, ev->len - start);
		start = ev->len;
	}
	if (start) {
		memmove(ev->data, ev->data + start, ev->len - start);
		ev->len -= start;
	}
}

cr_err cli_agents_api_run(void *ctx, const char *name, const char *user, const cr_cancel *cancel,
			  void (*on_step)(void *step_ctx, const char *json, size_t n), void *step_ctx, cr_buf *out,
			  cr_msg *m)
{
	cli_scheduler *s = ctx;
	char *argv[16];
	int k = 0;
	for (; s->argv[k] && strcmp(s->argv[k], "agent"); k++)
		argv[k] = s->argv[k];
	argv[k++] = "agent";
	argv[k++] = "run";
	argv[k++] = (char *)name;
	argv[k++] = "--json";
	argv[k++] = "--kind";
	argv[k++] = "api";
	if (user) {
		argv[k++] = "--as";
		argv[k++] = (char *)user;
	}
	if (on_step) {
		argv[k++] = "--events-fd";
		argv[k++] = "3";
	}
	argv[k] = NULL;
	int po[2], pe[2], pv[2] = {-1, -1};
	if (pipe(po))
		return cr_fail(m, CR_EIO, "agent run: pipe: %s", strerror(errno));
	if (pipe(pe)) {
		close(po[0]);
		close(po[1]);
		return cr_fail(m, CR_EIO, "agent run: pipe: %s", strerror(errno));
	}
	if (on_step && pipe(pv)) {
		int err = errno;
		close(po[0]);
		close(po[1]);
		close(pe[0]);
		close(pe[1]);
		return cr_fail(m, CR_EIO, "agent run: pipe: %s", strerror(err));
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
	posix_spawn_file_actions_addclose(&fa, po[0]);
	posix_spawn_file_actions_addclose(&fa, pe[0]);
	if (on_step) {
		posix_spawn_file_actions_adddup2(&fa, pv[1], 3);
		posix_spawn_file_actions_addclose(&fa, pv[0]);
	}
	pid_t pid;
	int se = posix_spawn(&pid, s->exe, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(po[1]);
	close(pe[1]);
	if (on_step)
		close(pv[1]);
	if (se) {
		close(po[0]);
		close(pe[0]);
		if (on_step)
			close(pv[0]);
		return cr_fail(m, CR_EIO, "agent run: cannot start %s: %s", s->exe, strerror(se));
	}
	cr_buf err, ev;
	cr_buf_init(&err, 64 << 10);
	cr_buf_init(&ev, 1 << 20);
	struct pollfd pf[3] = {{.fd = po[0], .events = POLLIN}, {.fd = pe[0], .events = POLLIN}, {.fd = pv[0], .events = POLLIN}};
	int n_pf = on_step ? 3 : 2, open_fds = n_pf, too_big = 0;
	double termed = 0;
	while (open_fds) {
		if (cancel && cr_cancel_check(cancel) && !termed) {
			kill(pid, SIGTERM);
			termed = cr_now();
		} else if (termed && termed > 0 && cr_now() - termed > KILL_AFTER) {
			kill(pid, SIGKILL);
			termed = -1;
		}
		int pr = poll(pf, (nfds_t)n_pf, cancel ? 100 : -1);
		if (pr < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < n_pf; i++) {
			if (pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			char buf[8192];
			ssize_t n = read(pf[i].fd, buf, sizeof buf);
			if (n > 0) {
				if (i == 2) {
					if (!cr_buf_add(&ev, buf, (size_t)n))
						events_lines(&ev, 0, on_step, step_ctx);
				} else if (i == 0 ? cr_buf_add(out, buf, (size_t)n) : cr_buf_add(&err, buf, (size_t)n))
					too_big |= i == 0;
				continue;
			}
			if (n < 0 && errno == EINTR)
				continue;
			close(pf[i].fd);
			pf[i].fd = -1;
			open_fds--;
		}
	}
	for (int i = 0; i < n_pf; i++)
		if (pf[i].fd >= 0)
			close(pf[i].fd);
	if (on_step)
		events_lines(&ev, 1, on_step, step_ctx);
	cr_buf_release(&ev);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
	}
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
	cr_err e = CR_OK;
	if (too_big)
		e = cr_fail(m, CR_ETOOBIG, "agent %s: the run's answer is over 16 MiB", name);
	else if ((code == 0 || code == 1) && out->len && out->data[0] == '{')
		e = CR_OK;
	else {
		/* the last line of standard error */
		char *t = err.data ? err.data : "";
		size_t n = err.len;
		while (n && (t[n - 1] == '\n' || t[n - 1] == '\r'))
			n--;
		size_t b = n;
		while (b && t[b - 1] != '\n')
			b--;
		const char *prefix = "cristal: agent run: ";
		if (n - b > strlen(prefix) && !strncmp(t + b, prefix, strlen(prefix)))
			b += strlen(prefix);
		e = cr_fail(m, code == CLI_USAGE && memmem(t + b, n - b, "no agent named", 14) ? CR_ENOTFOUND
			    : code == CLI_USAGE ? CR_EINVAL
						: CR_EUPSTREAM,
			    "%.*s", (int)(n - b), t + b);
		if (!m || !m->text[0])
			e = cr_fail(m, CR_EUPSTREAM, "agent %s: the run failed (exit %d)", name, code);
	}
	cr_buf_release(&err);
	return e;
}
