/*
 * cmd_generate.c — `cristal generate`: text generation with a local GGUF
 * model, streamed to stdout as tokens are produced.
 *
 *   cristal generate --model NAME|PATH [--prompt TEXT | --chat] [-n N]
 *       [--temp T] [--top-k K] [--top-p P] [--min-p P] [--repeat-penalty R]
 *       [--repeat-last-n N] [--presence-penalty P] [--seed S] [--threads N]
 *       [--ctx N] [--chat-template NAME] [--system TEXT] [--turns]
 *       [--grammar json | --json-schema FILE] [--json] [--stop TEXT]...
 *       [--timeout SECONDS] [--tokens ID,ID,... [--logits-out FILE]]
 *
 * The turn itself (prefix reuse, sampling, grammar, stop strings, stop
 * reasons, cancellation) is the library's cr_gen_turn; this file parses
 * options, reads stdin and prints.
 *
 * --chat takes the user's message from --prompt or stdin and applies the
 * model's chat template (detected from tokenizer.chat_template, or named).
 * --chat --turns holds a conversation: each line of stdin is one user
 * message (the default when stdin is a terminal and there is no --prompt),
 * each reply streams as it is produced (with --json: one object per turn),
 * and the whole history is re-templated every turn while the KV cache keeps
 * the tokens it shares with the previous turn (cr_ctx_reuse_prefix), so a
 * turn only evaluates what is new ("reused_tokens" in --json).
 * --json prints nothing while generating and one object at the end:
 * tokens, text, prompt_tokens_per_s, gen_tokens_per_s (and seed, stop).
 * With a grammar, generation stops when the JSON value is complete; if the
 * token limit or the context comes first, the shortest closing bytes are
 * appended to the text (not to the tokens), reported on stderr and as
 * "grammar_closed" in --json output.
 *
 * --stop TEXT (repeatable) ends the reply before TEXT. --timeout SECONDS
 * is a budget for the whole command: when it runs out generation stops
 * ("stop":"timeout", exit status 0 with what was generated so far). Ctrl-C
 * during generation stops it the same way ("canceled", exit status 130); a
 * second Ctrl-C kills the process.
 *
 * For tests against llama.cpp: --tokens gives the prompt as token ids, and
 * --logits-out writes the logits of every prompt position (float32, n_prompt
 * × n_vocab) to FILE after evaluating the prompt as one batch.
 */
#include "cli.h"
#include "cristal/llm.h"

#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int cmd_model_resolve(cr_cli *cli, const char *cmd, const char *arg, char *path, size_t cap);

static void usage(FILE *f)
{
	fprintf(f, "usage: cristal generate --model NAME|PATH [--prompt TEXT | --chat] [-n N]\n"
		   "         [--temp T] [--top-k K] [--top-p P] [--min-p P] [--repeat-penalty R]\n"
		   "         [--repeat-last-n N] [--presence-penalty P] [--seed S] [--threads N]\n"
		   "         [--ctx N] [--chat-template NAME] [--system TEXT] [--turns]\n"
		   "         [--grammar json | --json-schema FILE] [--json] [--stop TEXT]...\n"
		   "         [--timeout SECONDS]\n"
		   "Greedy decoding: --temp 0. Defaults: -n 128, --temp 0.8, --top-k 40, --top-p 0.95,\n"
		   "--min-p 0.05, --repeat-penalty 1 (off), --threads all cores.\n");
}

static cr_err read_stdin(cr_buf *b)
{
	char tmp[4096];
	size_t n;
	while ((n = fread(tmp, 1, sizeof tmp, stdin)) > 0)
		if (cr_buf_add(b, tmp, n))
			return CR_ETOOBIG;
	return CR_OK;
}

enum { O_TEMP = 1000, O_TOPK, O_TOPP, O_MINP, O_REP, O_REPN, O_PRES, O_SEED, O_THREADS, O_CTX,
       O_TMPL, O_SYSTEM, O_GRAMMAR, O_SCHEMA, O_JSON, O_CHAT, O_TOKENS, O_LOGITS, O_TURNS,
       O_STOP, O_TIMEOUT };

/* "1,2,3" -> ids appended to b. */
static int parse_ids(const char *s, cr_buf *b)
{
	while (*s) {
		char *end;
		long v = strtol(s, &end, 10);
		if (end == s || v < 0 || v > INT32_MAX)
			return -1;
		cr_token_id id = (cr_token_id)v;
		if (cr_buf_add(b, &id, sizeof id))
			return -1;
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return -1;
	}
	return 0;
}

/* The command's cancel token: --timeout sets its deadline, Ctrl-C requests it. */
static cr_cancel cancel;

static void on_sigint(int sig)
{
	CR_UNUSED(sig);
	cr_cancel_request(&cancel); /* an atomic store: safe in a handler */
}

typedef struct gen {
	cr_cli *cli;
	cr_model *md;
	cr_gen *g;
	int json;
	uint64_t seed;
	const char *const *stop;
	size_t n_stop;
} gen;

static int put_text(void *ctx, const char *text, size_t len)
{
	CR_UNUSED(ctx);
	fwrite(text, 1, len, stdout);
	fflush(stdout);
	return 0;
}

typedef struct logits_file {
	const char *path;
	cr_msg m;
} logits_file;

static cr_err put_logits(void *ctx, const float *logits, int n_prompt, int n_vocab)
{
	logits_file *lf = ctx;
	return cr_file_write_atomic(lf->path, logits, (size_t)n_vocab * sizeof(float) * (size_t)n_prompt, &lf->m);
}

/* One reply to pt[0..n_prompt), streamed unless --json, which prints one
 * object at the end. Returns 0, 1 after reporting an error, 130 after
 * Ctrl-C. The reply's text goes to *reply if not NULL. */
static int run_turn(gen *g, const cr_token_id *pt, int n_prompt, int n_predict, const char *logits_out, cr_buf *reply)
{
	cr_msg m = {{0}};
	logits_file lf = {.path = logits_out};
	cr_gen_params p = {.max_tokens = n_predict, .stop = g->stop, .n_stop = g->n_stop, .cancel = &cancel,
			   .on_text = g->json ? NULL : put_text,
			   .on_prompt_logits = logits_out ? put_logits : NULL, .on_prompt_logits_ctx = &lf};
	cr_gen_result r;
	cr_err e = cr_gen_turn(g->g, pt, n_prompt, &p, &r, &m);
	int canceled = e == CR_ECANCELED || e == CR_ETIMEOUT;
	if (e && lf.m.text[0])
		return cli_fail("generate", "--logits-out: %s", lf.m.text);
	if (e && !canceled)
		return cli_fail("generate", "%s", m.text[0] ? m.text : cr_strerror(e));
	const char *stop = cr_gen_stop_name(r.stop);
	if (r.closing_len)
		fprintf(stderr, "cristal: generate: stopped (%s) before the JSON value was complete; "
				"appended %zu closing bytes: %s\n", stop, r.closing_len, r.closing);
	int n_eval = r.n_prompt - r.n_reused, n_gen = r.n_tokens;
	double pp = r.prompt_seconds > 0 ? n_eval / r.prompt_seconds : 0;
	double tg = r.gen_seconds > 0 && n_gen ? n_gen / r.gen_seconds : 0;
	if (g->json) {
		cr_buf js;
		cr_buf_init(&js, 0);
		CR_IGNORE(cr_buf_adds(&js, "{\"tokens\":["));
		for (int i = 0; i < n_gen; i++)
			CR_IGNORE(cr_buf_printf(&js, "%s%d", i ? "," : "", r.tokens[i]));
		CR_IGNORE(cr_buf_adds(&js, "],\"text\":"));
		cr_buf clean;
		cr_buf_init(&clean, 0);
		CR_IGNORE(cr_utf8_sanitize(&clean, (const uint8_t *)r.text, r.len));
		CR_IGNORE(cr_buf_add_json_str(&js, clean.data ? clean.data : "", clean.len));
		cr_buf_release(&clean);
		CR_IGNORE(cr_buf_printf(&js, ",\"prompt_tokens\":%d,\"reused_tokens\":%d,\"prompt_tokens_per_s\":%.3f,"
					 "\"gen_tokens_per_s\":%.3f,\"seed\":%llu,\"stop\":\"%s\"",
				    r.n_prompt, r.n_reused, pp, tg, (unsigned long long)g->seed, stop));
		if (r.closing_len) {
			CR_IGNORE(cr_buf_adds(&js, ",\"grammar_closed\":"));
			CR_IGNORE(cr_buf_add_json_str(&js, r.closing, r.closing_len));
		}
		CR_IGNORE(cr_buf_adds(&js, "}\n"));
		fwrite(js.data, 1, js.len, stdout);
		cr_buf_release(&js);
	} else {
		fputc('\n', stdout);
		if (g->cli->verbose)
			fprintf(stderr, "prompt: %d tokens (%d reused), %.2f t/s; generated: %d tokens, %.2f t/s (%s)\n",
				r.n_prompt, r.n_reused, pp, n_gen, tg, stop);
	}
	fflush(stdout);
	if (canceled)
		fprintf(stderr, "cristal: generate: stopped (%s) after %d tokens\n", stop, n_gen);
	if (reply) {
		reply->len = 0;
		if (cr_buf_add(reply, r.text, r.len) || cr_buf_add(reply, "", 1))
			return cli_fail("generate", "out of memory");
		reply->len--; /* NUL-terminated, not counted */
	}
	return e == CR_ECANCELED ? 130 : 0;
}

/* --chat --turns: one user message per line of stdin, the history
 * re-templated every turn, the cached prefix reused. */
static int run_turns(gen *g, const char *tmpl, const char *system, int n_predict)
{
	cr_chat_msg *msgs = NULL;
	size_t nm = 0, cap = 0;
	char *line = NULL;
	size_t line_cap = 0;
	cr_buf ids, reply;
	cr_buf_init(&ids, 0);
	cr_buf_init(&reply, 0);
	int rc = 0, tty = isatty(STDIN_FILENO);
	int n_ctx = cr_gen_n_ctx(g->g);
	cr_msg m = {{0}};
	cr_err e;
	for (;;) {
		if (nm + 2 > cap) {
			size_t nc = cap ? 2 * cap : 16;
			cr_chat_msg *nv = cr_realloc(msgs, nc * sizeof *nv);
			if (!nv) {
				rc = cli_fail("generate", "out of memory");
				break;
			}
			msgs = nv;
			cap = nc;
		}
		if (nm == 0 && system)
			msgs[nm++] = (cr_chat_msg){"system", system};
		if (tty) {
			fputs("> ", stderr);
			fflush(stderr);
		}
		ssize_t len = getline(&line, &line_cap, stdin);
		if (len < 0)
			break;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = 0;
		if (!len)
			continue;
		char *user = cr_strdup(line);
		if (!user) {
			rc = cli_fail("generate", "out of memory");
			break;
		}
		msgs[nm++] = (cr_chat_msg){"user", user};
		ids.len = 0;
		if ((e = cr_gen_chat_tokens(g->md, tmpl, msgs, nm, &ids, &m))) {
			rc = cli_fail("generate", "%s", m.text[0] ? m.text : cr_strerror(e));
			break;
		}
		int n = (int)(ids.len / sizeof(cr_token_id));
		if (n >= n_ctx) {
			rc = cli_fail("generate", "the conversation has %d tokens, the context only %d (--ctx)", n,
				      n_ctx);
			break;
		}
		if ((rc = run_turn(g, (const cr_token_id *)ids.data, n, n_predict, NULL, &reply)))
			break;
		char *said = cr_strdup(reply.data ? reply.data : "");
		if (!said) {
			rc = cli_fail("generate", "out of memory");
			break;
		}
		msgs[nm++] = (cr_chat_msg){"assistant", said};
	}
	for (size_t i = 0; i < nm; i++)
		if (msgs[i].content != system)
			cr_free((char *)msgs[i].content);
	cr_free(msgs);
	free(line);
	cr_buf_release(&ids);
	cr_buf_release(&reply);
	return rc;
}
int cmd_generate(cr_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"model", required_argument, 0, 'm'}, {"prompt", required_argument, 0, 'p'},
		{"chat", no_argument, 0, O_CHAT}, {"n-predict", required_argument, 0, 'n'},
		{"temp", required_argument, 0, O_TEMP}, {"top-k", required_argument, 0, O_TOPK},
		{"top-p", required_argument, 0, O_TOPP}, {"min-p", required_argument, 0, O_MINP},
		{"repeat-penalty", required_argument, 0, O_REP},
		{"repeat-last-n", required_argument, 0, O_REPN},
		{"presence-penalty", required_argument, 0, O_PRES}, {"seed", required_argument, 0, O_SEED},
		{"threads", required_argument, 0, O_THREADS}, {"ctx", required_argument, 0, O_CTX},
		{"chat-template", required_argument, 0, O_TMPL}, {"system", required_argument, 0, O_SYSTEM},
		{"grammar", required_argument, 0, O_GRAMMAR}, {"json-schema", required_argument, 0, O_SCHEMA},
		{"json", no_argument, 0, O_JSON}, {"tokens", required_argument, 0, O_TOKENS},
		{"logits-out", required_argument, 0, O_LOGITS}, {"turns", no_argument, 0, O_TURNS},
		{"stop", required_argument, 0, O_STOP}, {"timeout", required_argument, 0, O_TIMEOUT},
		{"help", no_argument, 0, 'h'}, {0}};
	const char *model = NULL, *prompt = NULL, *tmpl = NULL, *system = NULL, *grammar = NULL,
		   *schema = NULL, *tokens = NULL, *logits_out = NULL;
	int chat = 0, n_predict = 128, threads = 0, n_ctx = 0, json = 0, seed_set = 0, turns = 0;
	const char *stops[16];
	size_t n_stop = 0;
	double timeout = 0;
	cr_sampler_opts so = cr_sampler_opts_default();
	static const char G[] = "generate";
	int c, rc = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "m:p:n:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'm': model = optarg; break;
		case 'p': prompt = optarg; break;
		case 'n': rc = cli_opt_int(G, "-n", optarg, 0, 1 << 24, &n_predict); break;
		case O_CHAT: chat = 1; break;
		case O_TEMP: rc = cli_opt_float(G, "--temp", optarg, 0, 100, &so.temp); break;
		case O_TOPK: rc = cli_opt_int(G, "--top-k", optarg, 0, 1 << 24, &so.top_k); break;
		case O_TOPP: rc = cli_opt_float(G, "--top-p", optarg, 0, 1, &so.top_p); break;
		case O_MINP: rc = cli_opt_float(G, "--min-p", optarg, 0, 1, &so.min_p); break;
		case O_REP: rc = cli_opt_float(G, "--repeat-penalty", optarg, 0, 100, &so.repeat_penalty); break;
		case O_REPN: rc = cli_opt_int(G, "--repeat-last-n", optarg, 0, 1 << 24, &so.repeat_last_n); break;
		case O_PRES: rc = cli_opt_float(G, "--presence-penalty", optarg, -100, 100, &so.presence_penalty); break;
		case O_SEED: rc = cli_opt_u64(G, "--seed", optarg, &so.seed); seed_set = 1; break;
		case 't': case O_THREADS: rc = cli_opt_threads(G, "--threads", optarg, &threads); break;
		case O_CTX: rc = cli_opt_int(G, "--ctx", optarg, 1, 1 << 24, &n_ctx); break;
		case O_TMPL: tmpl = optarg; break;
		case O_SYSTEM: system = optarg; break;
		case O_GRAMMAR: grammar = optarg; break;
		case O_SCHEMA: schema = optarg; break;
		case O_JSON: json = 1; break;
		case O_TOKENS: tokens = optarg; break;
		case O_LOGITS: logits_out = optarg; break;
		case O_TURNS: turns = 1; break;
		case O_STOP:
			if (n_stop == CR_ARRAY_LEN(stops) || !*optarg)
				return cli_usage_fail("generate", "--stop: at most %zu non-empty strings", CR_ARRAY_LEN(stops));
			stops[n_stop++] = optarg;
			break;
		case O_TIMEOUT:
			rc = cli_opt_double(G, "--timeout", optarg, 0.001, 1e7, &timeout);
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return CLI_USAGE;
		}
		if (rc)
			return rc;
	}
	if (optind < argc)
		return cli_usage_fail("generate", "unexpected argument '%s'", argv[optind]);
	if (grammar && strcmp(grammar, "json"))
		return cli_usage_fail("generate", "--grammar: only 'json' is built in (or use --json-schema FILE)");
	if (grammar && schema)
		return cli_usage_fail("generate", "--grammar and --json-schema are exclusive");
	if (chat && !prompt && !tokens && isatty(STDIN_FILENO))
		turns = 1; /* a person at a terminal: hold a conversation */
	if (turns && (!chat || prompt || tokens || grammar || schema))
		return cli_usage_fail("generate", "--turns needs --chat and reads the messages from stdin "
					    "(no --prompt, --tokens, --grammar or --json-schema)");
	if (!chat && !prompt && !tokens)
		return cli_usage_fail("generate", "--prompt TEXT, --chat or --tokens is required");
	if (logits_out && !tokens)
		return cli_usage_fail("generate", "--logits-out needs --tokens");
	if (!seed_set)
		so.seed = (uint64_t)time(NULL);

	char path[4096];
	rc = cmd_model_resolve(cli, "generate", model, path, sizeof path);
	if (rc)
		return rc;

	cr_msg m = {{0}};
	cr_model *md = NULL;
	cr_pool *pool = NULL;
	cr_gen *gs = NULL;
	cr_buf ids, stdin_buf, schema_buf;
	cr_buf_init(&ids, 0);
	cr_buf_init(&stdin_buf, 0);
	cr_buf_init(&schema_buf, 0);
	struct sigaction old_int;
	int sig_set = 0;
	cr_err e;
	rc = 1;
	cr_cancel_init(&cancel);
	if (timeout > 0)
		cr_cancel_set_timeout(&cancel, timeout); /* the budget covers loading too */

	if (schema) {
		uint8_t *sb = NULL;
		size_t sl = 0;
		if ((e = cr_file_read(schema, 1 << 20, &sb, &sl, &m))) {
			cli_fail("generate", "--json-schema %s: %s", schema, m.text[0] ? m.text : cr_strerror(e));
			goto out;
		}
		e = cr_buf_add(&schema_buf, sb, sl);
		cr_free(sb);
		if (e) {
			cli_fail("generate", "out of memory");
			goto out;
		}
	}
	if ((e = cr_model_load(path, &md, &m))) {
		cli_fail("generate", "%s: %s", path, m.text[0] ? m.text : cr_strerror(e));
		goto out;
	}
	cr_model_set_keep_mapped(md, cli->keep_mapped);
	const cr_model_info *in = cr_model_get_info(md);
	const cr_tok *tok = cr_model_tok(md);
	if (in->is_embedding) {
		cli_fail("generate", "%s is an embedding model (use cristal embed)", path);
		goto out;
	}
	if (chat && !tmpl && !cr_chat_detect(in->chat_template)) {
		cli_fail("generate", "the model has no recognizable chat template; name one with "
				     "--chat-template (chatml, llama3, llama2, mistral, gemma, phi3, zephyr)");
		goto out;
	}
	/* the prompt (with --turns, each turn builds its own) */
	if (turns) {
		/* nothing yet */
	} else if (tokens) {
		if (parse_ids(tokens, &ids)) {
			cli_fail("generate", "--tokens: expected comma-separated token ids");
			goto out;
		}
	} else if (chat) {
		if (!prompt) {
			if (read_stdin(&stdin_buf)) {
				cli_fail("generate", "stdin too large");
				goto out;
			}
			while (stdin_buf.len && (stdin_buf.data[stdin_buf.len - 1] == '\n' ||
						 stdin_buf.data[stdin_buf.len - 1] == '\r'))
				stdin_buf.data[--stdin_buf.len] = 0; /* the message, not the line end */
			prompt = stdin_buf.data ? stdin_buf.data : "";
		}
	}
	if (!turns && !tokens) {
		if (chat) {
			cr_chat_msg msgs[2];
			size_t nm = 0;
			if (system)
				msgs[nm++] = (cr_chat_msg){"system", system};
			msgs[nm++] = (cr_chat_msg){"user", prompt};
			e = cr_gen_chat_tokens(md, tmpl, msgs, nm, &ids, &m);
		} else {
			e = cr_gen_tokenize(md, prompt, strlen(prompt), &ids, &m);
		}
		if (e) {
			cli_fail("generate", "%s", m.text[0] ? m.text : cr_strerror(e));
			goto out;
		}
	}
	int n_prompt = (int)(ids.len / sizeof(cr_token_id));
	if (n_prompt == 0 && !turns) { /* --tokens "" */
		if (cr_tok_bos(tok) < 0) {
			cli_fail("generate", "empty prompt and the model has no BOS token");
			goto out;
		}
		cr_token_id b = cr_tok_bos(tok);
		CR_IGNORE(cr_buf_add(&ids, &b, sizeof b));
		n_prompt = 1;
	}
	if (n_ctx <= 0)
		n_ctx = CR_MIN(in->n_ctx_train, CR_MAX(4096, n_prompt + n_predict));
	if (n_prompt >= n_ctx && !turns) {
		cli_fail("generate", "the prompt has %d tokens, the context only %d (--ctx)", n_prompt, n_ctx);
		goto out;
	}
	if (threads <= 0)
		threads = cr_ncpu();
	if (threads > 1 && cr_pool_new(threads, &pool)) {
		cli_fail("generate", "cannot start %d threads", threads);
		goto out;
	}
	cr_gen_opts go = cr_gen_opts_default();
	go.pool = pool;
	go.sampler = so;
	go.n_ctx = n_ctx;
	if ((e = cr_gen_new(md, &go, &gs, &m))) {
		cli_fail("generate", "%s", m.text[0] ? m.text : cr_strerror(e));
		goto out;
	}
	if ((grammar || schema) &&
	    (e = cr_gen_set_grammar(gs, grammar ? CR_GEN_GRAMMAR_JSON : CR_GEN_GRAMMAR_SCHEMA, schema_buf.data,
				    schema_buf.len, &m))) {
		cli_fail("generate", "%s", m.text[0] ? m.text : cr_strerror(e));
		goto out;
	}

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigint;
	sa.sa_flags = SA_RESETHAND; /* a second Ctrl-C kills */
	sigemptyset(&sa.sa_mask);
	sig_set = sigaction(SIGINT, &sa, &old_int) == 0;
	gen g = {.cli = cli, .md = md, .g = gs, .json = json, .seed = so.seed, .stop = stops, .n_stop = n_stop};
	if (turns)
		rc = run_turns(&g, tmpl, system, n_predict);
	else
		rc = run_turn(&g, (const cr_token_id *)ids.data, n_prompt, n_predict, logits_out, NULL);
out:
	if (sig_set)
		sigaction(SIGINT, &old_int, NULL);
	cr_buf_release(&ids);
	cr_buf_release(&stdin_buf);
	cr_buf_release(&schema_buf);
	cr_gen_free(gs);
	cr_pool_free(pool);
	cr_model_free(md);
	return rc;
}
