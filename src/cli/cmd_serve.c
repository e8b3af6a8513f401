/*
 * cmd_serve.c — `cristal serve`: the HTTP server (include/cristal/server.h)
 * over the data directory until SIGINT or SIGTERM, which stop it
 * gracefully (no new connections, streams given a few seconds, then cut
 * with a final error event). Prints the URL on standard output once it
 * listens. With no users configured it listens on loopback addresses only
 * (and says so); once users exist (cristal user add), API requests need a
 * token (cristal token create) and any address may be given.
 */
#include "cli.h"
#include "cristal/conf.h"
#include "cristal/server.h"
#include "cristal/store.h"

#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static cr_server *g_server;

static void on_signal(int sig)
{
	(void)sig;
	cr_server_stop(g_server); /* async-signal-safe: a write to a pipe */
}

static const char *env_key(void *ctx, const char *var) { return getenv(var); }

static void usage(FILE *f)
{
	fprintf(f, "usage: cristal [--data DIR] serve [--listen ADDR:PORT] [--threads N] [--max-body BYTES]\n"
		   "                      [--tls-cert FILE --tls-key FILE] [--no-agents]\n\n"
		   "Serves the data directory over HTTP: the web UI at /, the REST API under /api/\n"
		   "(described at /api/openapi.json), an OpenAI-compatible API under /v1/ (model\n"
		   "cristal-rag answers from the documents), /healthz, /readyz and /metrics.\n"
		   "SIGINT or SIGTERM stop it gracefully.\n\n"
		   "  --listen ADDR:PORT  address to listen on (default 127.0.0.1:8080; port 0: any free\n"
		   "                      port). With no users configured, loopback addresses only.\n"
		   "  --threads N         request threads (default: one per core, at least 2)\n"
		   "  --max-body BYTES    request body limit (default 1048576)\n"
		   "  --tls-cert FILE     serve HTTPS with this PEM certificate (chain)\n"
		   "  --tls-key FILE      and this PEM private key\n"
		   "  --no-agents         do not run scheduled agents (by default a scheduler runs\n"
		   "                      `cristal agent run-due` once a minute)\n");
}

/* The configuration file's [server] and [providers] tables (docs/CONFIG.md);
 * flags parsed afterwards override them. */
static int conf_apply(const cr_conf *c, cr_server_cfg *cfg)
{
	if (!c)
		return 0;
	cr_msg m = {{0}};
	int64_t threads = cfg->n_threads, max_body = (int64_t)cfg->max_body, max_upload = (int64_t)cfg->max_upload;
	const char *prov = NULL;
	if (cr_conf_str(c, "server", "listen", &cfg->listen, &m) ||
	    cr_conf_int(c, "server", "threads", 0, 256, &threads, &m) ||
	    cr_conf_int(c, "server", "max_body", 1024, 1 << 30, &max_body, &m) ||
	    cr_conf_int(c, "server", "max_upload", 1024, 1ll << 32, &max_upload, &m) ||
	    cr_conf_str(c, "server", "tls_cert", &cfg->tls_cert, &m) ||
	    cr_conf_str(c, "server", "tls_key", &cfg->tls_key, &m) ||
	    cr_conf_str(c, "server", "mcp_clearance", &cfg->mcp_clearance, &m) ||
	    cr_conf_str(c, "server", "extract_worker", &cfg->extract_worker, &m) ||
	    cr_conf_str(c, "providers", "default", &prov, &m))
		return cli_usage_fail("serve", "config: %s", m.text);
	cfg->n_threads = (int)threads;
	cfg->max_body = (size_t)max_body;
	cfg->max_upload = (size_t)max_upload;
	if (prov && *prov)
		cfg->default_provider = prov;
	if (cfg->tls_cert && !*cfg->tls_cert)
		cfg->tls_cert = NULL;
	if (cfg->tls_key && !*cfg->tls_key)
		cfg->tls_key = NULL;
	return 0;
}

static int loopback(const char *listen)
{
	return !strncmp(listen, "127.", 4) || !strncmp(listen, "[::1]:", 6) || !strncmp(listen, "localhost:", 10) ||
	       strspn(listen, "0123456789") == strlen(listen); /* a bare port: 127.0.0.1 */
}

int cmd_serve(cr_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
					     {"listen", required_argument, NULL, 'l'},
					     {"threads", required_argument, NULL, 't'},
					     {"max-body", required_argument, NULL, 'b'},
					     {"tls-cert", required_argument, NULL, 'C'},
					     {"tls-key", required_argument, NULL, 'K'},
					     {"no-agents", no_argument, NULL, 'N'},
					     {0}};
	int agents = 1;
	cr_server_cfg cfg = cr_server_cfg_default();
	int c, rc = conf_apply(cli->conf, &cfg);
	if (rc)
		return rc;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h': usage(stdout); return 0;
		case 'l': cfg.listen = optarg; break;
		case 't': {
			int v, rc = cli_opt_int("serve", "--threads", optarg, 1, 256, &v);
			if (rc)
				return rc;
			cfg.n_threads = v;
			break;
		}
		case 'b': {
			int v, rc = cli_opt_int("serve", "--max-body", optarg, 1024, 1 << 30, &v);
			if (rc)
				return rc;
			cfg.max_body = (size_t)v;
			break;
		}
		case 'C': cfg.tls_cert = optarg; break;
		case 'K': cfg.tls_key = optarg; break;
		case 'N': agents = 0; break;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc)
		return cli_usage_fail("serve", "unexpected argument '%s'", argv[optind]);
	if (!cfg.tls_cert != !cfg.tls_key)
		return cli_usage_fail("serve", "--tls-cert and --tls-key go together");
	cr_msg m = {{0}};
	cr_err e = cr_provider_global_init(&m);
	if (e)
		return cli_fail("serve", "%s", m.text[0] ? m.text : cr_strerror(e));
	cr_corpus *cp;
	if ((e = cr_corpus_open(cli->data_dir, 0, &cp, &m)))
		return cli_fail("serve", "%s", m.text[0] ? m.text : cr_strerror(e));
	/* with no users there is no authentication: loopback only */
	int64_t n_users = 0;
	if ((e = cr_store_user_count(cr_corpus_store(cp), &n_users, &m))) {
		cr_corpus_close(cp);
		return cli_fail("serve", "%s", m.text[0] ? m.text : cr_strerror(e));
	}
	if (!n_users && !loopback(cfg.listen)) {
		cr_corpus_close(cp);
		return cli_fail("serve", "no users are configured, so the server listens on loopback addresses only "
					 "(127.0.0.1, [::1]); '%s' is not one (cristal user add NAME, then cristal "
					 "token create --user NAME)",
				cfg.listen);
	}
	cfg.key = env_key;
	cfg.data_dir = cli->data_dir;
	cfg.egress = cli->egress;
	/* uploads are extracted by this same program, jailed (extract-worker) */
	static char self[4096];
	ssize_t sl = cfg.extract_worker ? 0 : readlink("/proc/self/exe", self, sizeof self - 1);
	if (sl > 0) {
		self[sl] = 0;
		cfg.extract_worker = self;
	}
	/* the audit log's signing key, as the command line's (cmd_audit.c) */
	char kb[4096];
	const char *ak = getenv("CRISTAL_AUDIT_KEY");
	if (!ak || !*ak) {
		snprintf(kb, sizeof kb, "%s/audit.key", cli->data_dir);
		ak = kb;
	}
	cfg.audit_key = ak;
	cli_scheduler *sched = NULL;
	if (cli_agents_scheduler_new(cli, &sched)) {
		cr_corpus_close(cp);
		return 1;
	}
	cfg.agent_run = cli_agents_api_run;
	cfg.agent_run_ctx = sched;
	cr_server *s;
	if ((e = cr_server_new(cp, &cfg, &s, &m))) {
		cli_agents_scheduler_stop(sched);
		cr_corpus_close(cp);
		return cli_fail("serve", "%s", m.text[0] ? m.text : cr_strerror(e));
	}
	g_server = s;
	struct sigaction sa = {0};
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (n_users)
		printf("cristal: serving %s at %s/ (%lld users: API requests need a token)\n", cli->data_dir,
		       cr_server_url(s), (long long)n_users);
	else
		printf("cristal: serving %s at %s/ (loopback only: no users are configured)\n", cli->data_dir,
		       cr_server_url(s));
	fflush(stdout);
	rc = 0;
	if (agents && cli_agents_scheduler_start(sched))
		rc = 1;
	if (!rc && (e = cr_server_run(s, &m)))
		rc = cli_fail("serve", "%s", m.text[0] ? m.text : cr_strerror(e));
	fprintf(stderr, "cristal: serve: stopped\n");
	cr_server_free(s);
	cli_agents_scheduler_stop(sched); /* after the server: no request uses it any more */
	g_server = NULL;
	cr_corpus_close(cp);
	return rc;
}
