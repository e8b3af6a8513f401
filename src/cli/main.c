/*
 * main.c — `cristal`: global options, then one subcommand.
 */
#include "cli.h"
#include "cristal/conf.h"
#include "cristal/ingest.h"
#include "cristal/llm.h"
#include "cristal/lexicon.h"
#include "cristal/text.h"
#include "cristal/vector.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct {
	const char *name;
	int (*fn)(cr_cli *, int, char **);
	const char *help;
} commands[] = {
	{"init", cmd_init, "create the data directory"},
	{"ingest", cmd_ingest, "ingest folders, files, repositories (--jsonl FILE for JSON Lines)"},
	{"search", cmd_search, "full-text search with snippets and locations"},
	{"index", cmd_index, "index vectors --provider NAME|--model MODEL: embed chunks for vector search"},
	{"ask", cmd_ask, "answer a question from the documents, with verified citations"},
	{"eval", cmd_eval, "eval ask --questions FILE: answer accuracy, citation precision, recall; eval meetings --expected FILE; eval pii --labels FILE"},
	{"analyze", cmd_analyze, "analyze meetings [PATH|QUERY]: decisions and action items with owners and due dates"},
	{"report", cmd_report, "report meetings [PATH|QUERY] --out DIR: Markdown and self-contained HTML with a chart"},
	{"agent", cmd_agent, "agent TASK: a model works on the task with tools, verified citations; agent create|list|show|run|rm|run-due: stored and scheduled agents"},
	{"show", cmd_show, "print one document's extracted text and metadata"},
	{"rm", cmd_rm, "remove an ingested root, a folder or file in it, or a document"},
	{"stats", cmd_stats, "the catalog's and index's figures"},
	{"shell", cmd_shell, "interactive search over the data directory"},
	{"serve", cmd_serve, "serve the web UI, REST and OpenAI-compatible APIs over HTTP"},
	{"user", cmd_user, "server users: add NAME [--role R] [--group G]... [--tenant T] | list | rm | passwd"},
	{"token", cmd_token, "API tokens: create --user NAME [--label L] [--expires DAYS] | list | revoke ID"},
	{"group", cmd_group, "groups: add NAME | list | rm NAME"},
	{"tenant", cmd_tenant, "tenants, whose data never mix: add NAME | list"},
	{"quota", cmd_quota, "quotas: set --user U|--tenant T [--requests-per-day N] [--tokens-per-day N] [--cost-per-month X] | list | rm"},
	{"model", cmd_model, "model add PATH [--name N] | list | rm NAME"},
	{"generate", cmd_generate, "generate text with a local GGUF model"},
	{"tokenize", cmd_tokenize, "token ids of a text under a model's tokenizer"},
	{"embed", cmd_embed, "a normalized embedding vector from an embedding model"},
	{"bench-model", cmd_bench_model, "prompt (pp512) and generation (tg128) speed of a model"},
	{"bench-vectors", cmd_bench_vectors, "HNSW build and search over fvecs files (recall benchmark)"},
	{"provider", cmd_provider, "model providers: add NAME --kind local|openai ... | list | rm | default | test"},
	{"mcp", cmd_mcp, "MCP servers for agents: add NAME --command CMD | --url URL | list | rm | tools NAME"},
	{"usage", cmd_usage, "provider calls metered by day, or --by user|tenant|provider: requests, tokens, cost"},
	{"audit", cmd_audit, "audit export [--since T] [--out F] | verify [FILE]: the signed audit log"},
	{"backup", cmd_backup, "backup FILE: catalog, index and vectors in one archive, while the server runs"},
	{"restore", cmd_restore, "restore FILE: a backup into a new data directory (--data)"},
};

int cli_fail(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "cristal: %s: ", cmd);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return 1;
}

int cli_tty(void) { return isatty(2); }

/* Edit distance (insert, delete, substitute, swap of neighbours) between
 * two short words, for suggesting a command: `serch` -> `search`. */
static int edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 31 || lb > 31)
		return 99;
	int d[32][32];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			int c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			c = CR_MIN(c, d[i - 1][j] + 1);
			c = CR_MIN(c, d[i][j - 1] + 1);
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
				c = CR_MIN(c, d[i - 2][j - 2] + 1);
			d[i][j] = c;
		}
	return d[la][lb];
}

/* The command closest to a mistyped one, or NULL when none is close (at
 * most 2 edits, fewer than half the word). */
static const char *closest_command(const char *word)
{
	const char *best = NULL;
	int best_d = 3;
	for (size_t c = 0; c < CR_ARRAY_LEN(commands); c++) {
		int dist = edit_distance(word, commands[c].name);
		if (dist < best_d && (size_t)dist * 2 < strlen(commands[c].name)) {
			best_d = dist;
			best = commands[c].name;
		}
	}
	return best;
}

static int unknown_command(const char *word)
{
	const char *near = closest_command(word);
	if (near)
		fprintf(stderr, "cristal: unknown command '%s'; did you mean '%s'? (see cristal help)\n", word, near);
	else
		fprintf(stderr, "cristal: unknown command '%s' (see cristal help)\n", word);
	return CLI_USAGE;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: cristal [--data DIR] [--config FILE] [-v] COMMAND [ARGS]\n\n"
		   "Cristal: a self-hosted AI agent over your documents.\n\ncommands:\n");
	for (size_t i = 0; i < CR_ARRAY_LEN(commands); i++)
		fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\nThe data directory is --data DIR, else $CRISTAL_DATA, else "
		   "data.dir of the configuration file, else $XDG_DATA_HOME/cristal (~/.local/share/cristal).\n"
		   "The configuration file is --config FILE, else $CRISTAL_CONFIG, else " CLI_CONFIG_DEFAULT "\n"
		   "if it exists (docs/CONFIG.md).\n"
		   "Every command takes --help (or: cristal help COMMAND); cristal --version.\n");
}

/* The environment variables that tune the libraries (for measurements
 * and tests), read here once and handed on as options. */
static void read_env(cr_cli *cli)
{
	const char *v;
	long now;
	if ((v = getenv("CR_TEST_NOW")) && !cli_parse_long(v, 1, LONG_MAX, &now))
		cli->test_now = now;
	if ((v = getenv("CR_INGEST_THREADS")) && atoi(v) > 0)
		cli->ingest_threads = atoi(v);
	if ((v = getenv("CR_INDEX_BUFFER_MB")) && atoi(v) > 0)
		cli->index_buffer = (size_t)atoi(v) << 20;
	if (getenv("CR_INDEX_DEBUG"))
		cr_log_set_level(CR_LOG_DEBUG); /* the index writer's stage times */
	cli->keep_mapped = (v = getenv("CR_MMAP")) && *v && strcmp(v, "0");
	/* process set-up, before any analyzer or kernel runs */
	const char *amx = getenv("CR_AMX");
	v = getenv("CR_CPU");
	if (cr_cpu_configure(v, !(amx && !strcmp(amx, "0"))))
		cr_log(CR_LOG_WARN, "CR_CPU=%s: unknown level (ref, avx2, avx512); using the best this CPU has", v);
	CR_IGNORE(cr_vec_configure(v)); /* the same levels; an unknown one was reported above */
	if ((v = getenv("CR_MECAB_DICDIR")) && *v && cr_text_set_mecab_dicdir(v))
		cr_log(CR_LOG_WARN, "CR_MECAB_DICDIR: path too long; using the default dictionary");
	/* the Japanese-English word list (src/text/lexicon.c); "none" turns it off */
	if ((v = getenv("CR_LEXICON")) && cr_lexicon_set_path(v))
		cr_log(CR_LOG_WARN, "CR_LEXICON: path too long; using /usr/share/edict/edict");
	/* the company's own words, looked up first ("" turns off the file's) */
	if ((v = getenv("CR_GLOSSARY")) && cr_lexicon_set_glossary(v))
		cr_log(CR_LOG_WARN, "CR_GLOSSARY: path too long; ignored");
	/* its parsed tables are kept in the user's cache directory (a map
	 * instead of a 60 ms parse per command) */
	char cache[1024] = "";
	if ((v = getenv("XDG_CACHE_HOME")) && v[0] == '/')
		snprintf(cache, sizeof cache, "%s/cristal", v);
	else if ((v = getenv("HOME")) && v[0] == '/')
		snprintf(cache, sizeof cache, "%s/.cache/cristal", v);
	CR_IGNORE(cr_lexicon_set_cache_dir(cache)); /* too long: no cache, only slower */
}

int main(int argc, char **argv)
{
	static char def_dir[4096];
	cr_cli cli = {0};
	const char *config = NULL;
	/* the server's jailed extraction worker (ingest/sandbox.c): no
	 * configuration, data directory or logging of its own */
	if (argc > 1 && !strcmp(argv[1], "extract-worker"))
		return cr_extract_worker_main(argc - 1, argv + 1);
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--data") && i + 1 < argc) {
			cli.data_dir = argv[++i];
		} else if (!strncmp(argv[i], "--data=", 7)) {
			cli.data_dir = argv[i] + 7;
		} else if (!strcmp(argv[i], "--config") && i + 1 < argc) {
			config = argv[++i];
		} else if (!strncmp(argv[i], "--config=", 9)) {
			config = argv[i] + 9;
		} else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
			cli.verbose = 1;
			cr_log_set_level(CR_LOG_INFO);
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-V")) {
			printf("cristal %s\n", CR_VERSION);
			return 0;
		} else if (!strcmp(argv[i], "--data")) {
			fprintf(stderr, "cristal: --data wants a directory\n");
			return CLI_USAGE;
		} else if (!strcmp(argv[i], "--config")) {
			fprintf(stderr, "cristal: --config wants a file\n");
			return CLI_USAGE;
		} else {
			fprintf(stderr, "cristal: unknown option %s\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[i], "help") || !strcmp(argv[i], "version")) {
		if (argv[i][0] == 'v') {
			printf("cristal %s\n", CR_VERSION);
			return 0;
		}
		if (i + 1 >= argc) {
			usage(stdout);
			return 0;
		}
		for (size_t c = 0; c < CR_ARRAY_LEN(commands); c++)
			if (!strcmp(argv[i + 1], commands[c].name)) {
				char *hv[] = {argv[i + 1], "--help", NULL};
				return commands[c].fn(&cli, 2, hv);
			}
		return unknown_command(argv[i + 1]);
	}
	int crc = cli_config_load(&cli, config);
	if (crc)
		return crc;
	read_env(&cli);
	if ((crc = cli_key_load(&cli))) {
		cr_conf_free((cr_conf *)cli.conf);
		return crc;
	}
	if (!cli.data_dir)
		cli.data_dir = getenv("CRISTAL_DATA");
	if (!cli.data_dir || !*cli.data_dir) {
		const char *x = getenv("XDG_DATA_HOME"), *h = getenv("HOME");
		if (x && *x)
			snprintf(def_dir, sizeof def_dir, "%s/cristal", x);
		else
			snprintf(def_dir, sizeof def_dir, "%s/.local/share/cristal", h ? h : ".");
		cli.data_dir = def_dir;
	}
	for (size_t c = 0; c < CR_ARRAY_LEN(commands); c++)
		if (!strcmp(argv[i], commands[c].name)) {
			cli_audit_start(&cli);
			int rc = commands[c].fn(&cli, argc - i, argv + i);
			cli_audit_finish();
			cr_conf_free((cr_conf *)cli.conf);
			return rc;
		}
	cr_conf_free((cr_conf *)cli.conf);
	return unknown_command(argv[i]);
}
