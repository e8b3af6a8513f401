/*
 * cmd_embed.c — `cristal embed --model NAME|PATH [--threads N] TEXT...`:
 * prints the pooled, L2-normalised embedding of the text (the arguments
 * joined by spaces, or stdin when there are none) as one JSON array.
 * --tokens ID,ID,... embeds those token ids instead (tests against llama.cpp).
 */
#include "cli.h"
#include "cristal/llm.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

int cmd_model_resolve(cr_cli *cli, const char *cmd, const char *arg, char *path, size_t cap);

int cmd_embed(cr_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"model", required_argument, 0, 'm'},
					     {"threads", required_argument, 0, 't'},
					     {"tokens", required_argument, 0, 'T'},
					     {"help", no_argument, 0, 'h'}, {0}};
	const char *model = NULL, *tokens = NULL;
	int threads = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "m:t:h", opts, NULL)) != -1) {
		if (c == 'm')
			model = optarg;
		else if (c == 't') {
			int rc = cli_opt_threads("embed", "--threads", optarg, &threads);
			if (rc)
				return rc;
		}
		else if (c == 'T')
			tokens = optarg;
		else {
			fprintf(c == 'h' ? stdout : stderr,
				"usage: cristal embed --model NAME|PATH [--threads N] TEXT...\n");
			return c == 'h' ? 0 : CLI_USAGE;
		}
	}
	char path[4096];
	int rc = cmd_model_resolve(cli, "embed", model, path, sizeof path);
	if (rc)
		return rc;
	cr_buf text, ids;
	cr_buf_init(&text, 0);
	cr_buf_init(&ids, 0);
	for (int i = optind; i < argc; i++) {
		if (i > optind)
			CR_IGNORE(cr_buf_addc(&text, ' '));
		CR_IGNORE(cr_buf_adds(&text, argv[i]));
	}
	if (optind >= argc && !tokens) {
		char tmp[4096];
		size_t n;
		while ((n = fread(tmp, 1, sizeof tmp, stdin)) > 0)
			CR_IGNORE(cr_buf_add(&text, tmp, n));
	}
	cr_msg m = {{0}};
	cr_model *md = NULL;
	cr_pool *pool = NULL;
	cr_ctx *ctx = NULL;
	float *vec = NULL;
	cr_err e;
	rc = 1;
	if ((e = cr_model_load(path, &md, &m))) {
		cli_fail("embed", "%s: %s", path, m.text[0] ? m.text : cr_strerror(e));
		goto out;
	}
	cr_model_set_keep_mapped(md, cli->keep_mapped);
	const cr_model_info *in = cr_model_get_info(md);
	if (!in->is_embedding) {
		cli_fail("embed", "%s is not an embedding model (arch %s)", path, in->arch);
		goto out;
	}
	if (tokens) {
		for (const char *p = tokens; *p;) {
			char *end;
			long v = strtol(p, &end, 10);
			cr_token_id id = (cr_token_id)v;
			if (end == p || v < 0 || v >= in->n_vocab || (*end && *end != ',')) {
				cli_fail("embed", "--tokens: expected comma-separated token ids below %d", in->n_vocab);
				goto out;
			}
			CR_IGNORE(cr_buf_add(&ids, &id, sizeof id));
			p = *end ? end + 1 : end;
		}
	} else if ((e = cr_tok_encode(cr_model_tok(md), text.data, text.len, CR_TOK_ADD_BOS, &ids))) {
		cli_fail("embed", "tokenize: %s", cr_strerror(e));
		goto out;
	}
	int n = (int)(ids.len / sizeof(cr_token_id));
	if (n == 0) {
		cli_fail("embed", "nothing to embed");
		goto out;
	}
	if (n > in->n_ctx_train) {
		cr_log(CR_LOG_WARN, "embed: %d tokens truncated to the model's %d", n, in->n_ctx_train);
		n = in->n_ctx_train;
	}
	if (threads <= 0)
		threads = cr_ncpu();
	if (threads > 1 && cr_pool_new(threads, &pool)) {
		cli_fail("embed", "cannot start threads");
		goto out;
	}
	vec = cr_malloc((size_t)in->n_embd * sizeof(float));
	if (!vec || (e = cr_ctx_new(md, n, pool, &ctx, &m)) ||
	    (e = cr_ctx_embed(ctx, (const cr_token_id *)ids.data, n, vec, &m))) {
		cli_fail("embed", "%s", m.text[0] ? m.text : "out of memory");
		goto out;
	}
	putchar('[');
	for (int i = 0; i < in->n_embd; i++)
		printf("%s%.7g", i ? "," : "", vec[i]);
	printf("]\n");
	rc = 0;
out:
	cr_free(vec);
	cr_ctx_free(ctx);
	cr_pool_free(pool);
	cr_model_free(md);
	cr_buf_release(&text);
	cr_buf_release(&ids);
	return rc;
}
