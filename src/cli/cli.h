/*
 * cli.h — what the subcommands share: the global options and small helpers.
 * One file per subcommand (cmd_<name>.c), each exporting one
 * int cmd_<name>(cr_cli *cli, int argc, char **argv) that returns the exit
 * status; argv[0] is the subcommand's name, so getopt_long works as usual.
 */
#ifndef CR_CLI_H
#define CR_CLI_H

#include "cristal/base.h"

struct cr_corpus;
struct cr_principal;

/* Only the CLI reads the environment (main.c, once at start); the
 * libraries get what it says through their options. */
typedef struct cr_cli {
	const char *data_dir; /* --data, $CRISTAL_DATA, or $XDG_DATA_HOME/cristal */
	int verbose;
	int ingest_threads;   /* $CR_INGEST_THREADS (0: the library's default) */
	size_t index_buffer;  /* $CR_INDEX_BUFFER_MB in bytes (0: default) */
	int keep_mapped;      /* $CR_MMAP=1: models' weights stay in the file mapping */
	struct cr_audit *audit; /* this run's audit log, opened on first record (cmd_audit.c) */
	int audit_pending;      /* records written: seal them at exit */
	const struct cr_conf *conf; /* the configuration file (conf.h); NULL: none */
	const char *as_user;        /* --as USER (as_user.c); NULL: the operator, no ACL filter */
	const char *as_tenant;
	const struct cr_principal *as_who;
	const struct cr_egress_policy *egress; /* [governance.egress] (config.c); NULL: the defaults */
	int agent_events_fd;        /* agent run --events-fd N (cristal serve's runs): each step
				     * written there as one JSON line as it ends; 0: none */
	const struct cr_key *key;   /* the data key (cli_key_load): $CRISTAL_KEY_FILE, $CRISTAL_KEY or
				     * [encryption] key_file; NULL: none */
	int64_t test_now;           /* $CR_TEST_NOW, for the tests only: the clock (unix seconds) of
				     * agent create, run and run-due (cmd_agents.c); 0: the real one */
} cr_cli;

/* --as USER (as_user.c), for search and ask: the command runs as that
 * catalog user. Its principal filters retrieval (cli->as_who), its and its
 * tenant's quotas apply (over one: "cristal: CMD: <limit, use, reset>",
 * exit 1, as the API's 429), the request is counted and the provider calls
 * and audit records are attributed to it. Whoever may open the data
 * directory administers it, so --as needs no further right. 0, or the exit
 * status after printing why. */
int cli_as_begin(cr_cli *cli, struct cr_corpus *cp, const char *cmd, const char *name);

/* The configuration file read when neither --config nor $CRISTAL_CONFIG
 * names one (absent: the built-in defaults). */
#define CLI_CONFIG_DEFAULT "/etc/cristal/cristal.toml"
/* Reads the configuration file (--config FILE, else $CRISTAL_CONFIG, else
 * CLI_CONFIG_DEFAULT if it exists), checks its keys and applies data.dir
 * (unless --data or $CRISTAL_DATA), log.level (unless -v) and time.zone
 * (unless $TZ); sets cli->conf. 0, or CLI_USAGE after printing why
 * (config.c; docs/CONFIG.md). */
int cli_config_load(cr_cli *cli, const char *path);

/* Loads the data key for encryption at rest (config.c; docs/CONFIG.md):
 * $CRISTAL_KEY_FILE (a file only its owner may read) or $CRISTAL_KEY (hex
 * or base64 of 32 bytes), else [encryption] key_file; sets cli->key and
 * the process key (crypt.h), which the catalog and index use to open an
 * encrypted data directory and to create new ones encrypted. 0, or the
 * exit status after printing why. */
int cli_key_load(cr_cli *cli);

/* Prints "cristal: <cmd>: <reason>" to stderr and returns 1. */
int cli_fail(const char *cmd, const char *fmt, ...) CR_PRINTF(2, 3);
/* Usage errors (a bad option or value, a missing argument) exit with 2,
 * everywhere; failures of the work itself with 1. */
#define CLI_USAGE 2
/* Prints "cristal: <cmd>: <reason>" to stderr and returns CLI_USAGE (opt.c). */
int cli_usage_fail(const char *cmd, const char *fmt, ...) CR_PRINTF(2, 3);
/* The shared option-value parser (opt.c): the whole string must be a
 * finite number inside [min, max] (no "nan", "inf", hex, trailing bytes).
 * cli_parse_* return 0 or -1 silently; cli_opt_* return 0, or print why
 * (naming the option, the value and the range) and return CLI_USAGE. */
int cli_parse_long(const char *s, long min, long max, long *out);
int cli_parse_double(const char *s, double min, double max, double *out);
int cli_opt_int(const char *cmd, const char *opt, const char *arg, long min, long max, int *out);
int cli_opt_double(const char *cmd, const char *opt, const char *arg, double min, double max, double *out);
int cli_opt_float(const char *cmd, const char *opt, const char *arg, double min, double max, float *out);
int cli_opt_u64(const char *cmd, const char *opt, const char *arg, uint64_t *out);
/* Thread counts: 1 to cli_max_threads() (8 per core, at least 16). */
int cli_max_threads(void);
int cli_opt_threads(const char *cmd, const char *opt, const char *arg, int *out);
/* Writes text from documents (names, titles, snippets, text) to f with
 * control characters and bytes that are not UTF-8 escaped as "\xNN"
 * (cr_utf8_escape), newlines and tabs kept when keep_lines (out.c). */
void cli_put(FILE *f, const char *s, int keep_lines);
/* Whether stderr is a terminal (progress lines are only drawn on one). */
int cli_tty(void);

/* Prints a location's fields, each after two spaces (cmd_search.c); the
 * document's type says how to read a time (chat: time of day). */
typedef struct cr_loc cr_loc;
void cli_print_loc(const cr_loc *l, const char *type);

/* Answers one question and prints it (cmd_ask.c; also the shell's). */
typedef struct cr_corpus cr_corpus;
int cli_ask_run(cr_corpus *cp, const char *question, int k, int json);

/* The audit log (cmd_audit.c). main.c calls cli_audit_start before the
 * command and cli_audit_finish after it (which signs the run's records).
 * cli_audit records action with detail (a JSON object, stolen; NULL: {})
 * as the user running the command, before its result is shown: 0, or 1
 * after printing why (then show nothing). cli_audit_corpus takes the
 * corpus's connection for it. */
typedef struct json_t json_t;
typedef struct cr_store cr_store;
void cli_audit_start(cr_cli *cli);
void cli_audit_finish(void);
int cli_audit(cr_store *s, const char *action, json_t *detail);
int cli_audit_corpus(cr_corpus *cp, const char *action, json_t *detail);
/* A JSON array of ids (chunk ids in records). */
json_t *cli_audit_ids(const int64_t *ids, size_t n);


int cmd_audit(cr_cli *cli, int argc, char **argv);
int cmd_ask(cr_cli *cli, int argc, char **argv);
int cmd_eval(cr_cli *cli, int argc, char **argv);
int cmd_init(cr_cli *cli, int argc, char **argv);
int cmd_ingest(cr_cli *cli, int argc, char **argv);
int cmd_search(cr_cli *cli, int argc, char **argv);
int cmd_show(cr_cli *cli, int argc, char **argv);
int cmd_stats(cr_cli *cli, int argc, char **argv);
int cmd_shell(cr_cli *cli, int argc, char **argv);
int cmd_serve(cr_cli *cli, int argc, char **argv);
int cmd_backup(cr_cli *cli, int argc, char **argv);
int cmd_restore(cr_cli *cli, int argc, char **argv);
int cmd_user(cr_cli *cli, int argc, char **argv);
int cmd_token(cr_cli *cli, int argc, char **argv);
int cmd_group(cr_cli *cli, int argc, char **argv);
int cmd_tenant(cr_cli *cli, int argc, char **argv);
int cmd_quota(cr_cli *cli, int argc, char **argv);
/* group and tenant (cmd_group.c): tenant 1 for `tenant`. */
int cli_names_cmd(cr_cli *cli, int tenant, int argc, char **argv);
int cmd_model(cr_cli *cli, int argc, char **argv);
int cmd_generate(cr_cli *cli, int argc, char **argv);
int cmd_tokenize(cr_cli *cli, int argc, char **argv);
int cmd_embed(cr_cli *cli, int argc, char **argv);
int cmd_bench_model(cr_cli *cli, int argc, char **argv);
int cmd_bench_vectors(cr_cli *cli, int argc, char **argv);
int cmd_index(cr_cli *cli, int argc, char **argv);
int cmd_provider(cr_cli *cli, int argc, char **argv);
int cmd_mcp(cr_cli *cli, int argc, char **argv);
/* Connects to MCP server `name` of catalog s (cmd_mcp.c); prints the
 * failure and returns 1, else 0 with *out the caller's (cr_mcp_close). */
struct cr_mcp;
int cli_mcp_connect(cr_cli *cli, cr_store *s, const char *name, double timeout, struct cr_mcp **out);
int cmd_usage(cr_cli *cli, int argc, char **argv);
int cmd_analyze(cr_cli *cli, int argc, char **argv);
int cmd_report(cr_cli *cli, int argc, char **argv);
int cmd_agent(cr_cli *cli, int argc, char **argv);
/* One agent run as `agent TASK` and stored agents make it (cmd_agent.c):
 * the provider opened, the MCP tools named connected, the loop run, its
 * steps and the run audited ("agent.tool", "agent.run" with the agent's
 * name), the answer printed (unless quiet) and, with report_path, written
 * there as Markdown. Returns 0 (an answer), 1 (a failure or no answer:
 * error says why; nothing printed about it), CLI_USAGE (no such provider,
 * or none configured). */
struct cr_agent_scope;
typedef struct cli_agent_task {
	const char *task;
	const char *provider;                 /* NULL: the default */
	int max_steps, max_tokens, timeout, max_fails;
	const struct cr_agent_scope *scope;   /* NULL: everything */
	int allow_write;
	const char *out_dir;                  /* write_report's directory */
	const char *const *mcp;               /* "mcp:NAME/TOOL" entries */
	size_t n_mcp;
	const char *const *builtins;          /* built-in tools offered; NULL: all */
	size_t n_builtins;
	int json, quiet;
	const char *agent;                    /* a stored agent's name, or NULL */
	const char *report_path;
} cli_agent_task;
typedef struct cli_agent_outcome {
	const char *status;                   /* "ok", "stopped", "failed" (static) */
	const char *stop;                     /* valid until the call returns only: copy it */
	int64_t steps, prompt_tokens, completion_tokens;
	char report[1024];                    /* "" : none */
	char error[512];
} cli_agent_outcome;
int cli_agent_task_run(cr_cli *cli, struct cr_corpus *cp, const cli_agent_task *t, cli_agent_outcome *out);
/* "mcp:NAME/TOOL", or "mcp:NAME/" followed by "*" (cmd_agent.c). */
int cli_agent_mcp_entry_ok(const char *s);
/* Stored agents: agent create|list|show|run|rm|run-due (cmd_agents.c). */
int cli_agents_is_subcommand(const char *word);
int cli_agents_cmd(cr_cli *cli, int argc, char **argv);
/* The scheduler of `cristal serve` (cmd_agents.c): made by _new (the
 * program, data directory and configuration its children get), then
 * _start runs a thread that runs `cristal agent run-due` in a child
 * process once a minute, until _stop (which wakes it, gives a run in
 * progress 30 s, then SIGTERM, joins the thread and frees s). The same
 * object is the ctx of cli_agents_api_run, serve's cr_server_cfg.agent_run:
 * `cristal agent run NAME --json --kind api [--as USER] [--events-fd 3]`
 * in a child process, its output the answer, its steps handed to on_step
 * as they end, a cancel request a SIGTERM that cancels the run inside it. */
typedef struct cli_scheduler cli_scheduler;
int cli_agents_scheduler_new(cr_cli *cli, cli_scheduler **out);
int cli_agents_scheduler_start(cli_scheduler *s);
void cli_agents_scheduler_stop(cli_scheduler *s);
cr_err cli_agents_api_run(void *ctx, const char *name, const char *user, const cr_cancel *cancel,
			  void (*on_step)(void *step_ctx, const char *json, size_t n), void *step_ctx, cr_buf *out,
			  cr_msg *m);
/* `eval meetings` (cmd_eval_meetings.c), reached through cmd_eval. */
int cli_eval_meetings(cr_cli *cli, int argc, char **argv);
/* `eval pii` (cmd_eval_pii.c), reached through cmd_eval. */
int cli_eval_pii(cr_cli *cli, int argc, char **argv);
int cmd_rm(cr_cli *cli, int argc, char **argv);

/* Opens provider `name` (NULL: the default) from the catalog s, with its
 * fallbacks if asked, keys read from the environment, calls metered in s,
 * read timeout `timeout` seconds (<= 0: the default). 0 on success, else 1
 * with the reason in why (cmd_provider.c). */
typedef struct cr_store cr_store;
typedef struct cr_provider_chain cr_provider_chain;
int cli_provider_open(cr_cli *cli, cr_store *s, const char *name, int fallbacks, double timeout,
		      cr_provider_chain **out, char *why, size_t cap);

/* Embeddings (cmd_index.c). An embedder is "provider:NAME" or "model:NAME"
 * (what the catalog remembers; provider.h cr_embedder, whose
 * cr_embedder_embed is the cr_embed_fn); API keys from the environment.
 * NULL with the reason in why. Each other returns 0, or 1 with the reason. */
typedef struct cr_embedder cr_embedder;
cr_embedder *cli_embedder_open(cr_cli *cli, cr_store *s, const char *source, char *why, size_t cap);
typedef struct cr_vectors_report cr_vectors_report;
int cli_vectors_update(cr_cli *cli, cr_corpus *cp, const char *source, size_t batch, int threads, int compact,
		       cr_vectors_report *rep, char *why, size_t cap);
/* After an ingest: embeds the new chunks when an embedder is configured
 * (0, or the exit status after printing why). */
int cli_vectors_after_ingest(cr_cli *cli, cr_corpus *cp);
/* Sets q->mode from --mode (NULL: hybrid when the corpus has vectors, else
 * bm25) and, for vector and hybrid, q->vec: the text embedded (in a) by
 * the remembered embedder. 0, 2 for a bad or impossible mode, 1 for a
 * failure, after printing why. */
typedef struct cr_corpus_query cr_corpus_query;
int cli_search_prepare(cr_cli *cli, cr_corpus *cp, const char *cmd, const char *mode, const char *text,
		       cr_arena *a, cr_corpus_query *q);

#endif
