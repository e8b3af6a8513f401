/*
 * cmd_model.c — `cristal model add PATH [--name NAME] | list [--json] | rm NAME`:
 * the registry of local GGUF models in the catalog.
 *
 * `add` validates the file by loading it (architecture, every tensor's
 * shape and type, tokenizer) before storing name, absolute path, arch and a
 * JSON summary. Also home of cmd_model_resolve, which the generate, embed
 * and bench-model commands use to turn --model NAME|PATH into a file path.
 */
#include "cli.h"
#include "cristal/llm.h"
#include "cristal/store.h"

#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int cmd_model_resolve(cr_cli *cli, const char *cmd, const char *arg, char *path, size_t cap);

/* NAME (registered) or PATH (a file) -> path. 0 on success, else the exit
 * status after printing why. The catalog is opened only for a name. */
int cmd_model_resolve(cr_cli *cli, const char *cmd, const char *arg, char *path, size_t cap)
{
	cr_msg m = {{0}};
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_store *st = NULL;
	const char *p = NULL;
	cr_err e = cr_store_model_resolve(NULL, &a, arg, &p, &m);
	if (e == CR_ENOTFOUND) {
		m.text[0] = 0;
		e = cr_store_open(cli->data_dir, &st, &m);
		if (!e)
			e = cr_store_model_resolve(st, &a, arg, &p, &m);
	}
	int rc = 0;
	if (e == CR_EINVAL)
		rc = cli_usage_fail(cmd, "--model NAME|PATH is required");
	else if (e)
		rc = cli_fail(cmd, "%s", m.text[0] ? m.text : cr_strerror(e));
	else if (strlen(p) >= cap)
		rc = cli_fail(cmd, "path too long");
	else
		strcpy(path, p);
	cr_arena_release(&a);
	cr_store_close(st);
	return rc;
}

static const char *tmpl_family(const cr_model_info *in)
{
	const char *f = cr_chat_detect(in->chat_template);
	return f ? f : NULL;
}

static cr_err info_json(const cr_model_info *in, int64_t size, cr_buf *b)
{
	const char *fam = tmpl_family(in);
	cr_err e = cr_buf_printf(b, "{\"arch\":\"%s\",\"name\":", in->arch);
	if (!e)
		e = cr_buf_add_json_str(b, in->name ? in->name : "", in->name ? strlen(in->name) : 0);
	if (!e)
		e = cr_buf_printf(b,
				  ",\"params\":%lld,\"type\":\"%s\",\"layers\":%d,\"embd\":%d,\"heads\":%d,"
				  "\"heads_kv\":%d,\"ff\":%d,\"vocab\":%d,\"ctx_train\":%d,\"embedding\":%s,"
				  "\"size\":%lld,\"chat_template\":%s%s%s}",
				  (long long)in->n_params,
				  cr_ttype_name(in->main_type) ? cr_ttype_name(in->main_type) : "?",
				  in->n_layer, in->n_embd, in->n_head, in->n_head_kv, in->n_ff, in->n_vocab,
				  in->n_ctx_train, in->is_embedding ? "true" : "false", (long long)size,
				  fam ? "\"" : "", fam ? fam : "null", fam ? "\"" : "");
	return e;
}

static int model_add(cr_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"name", required_argument, 0, 'N'}, {"help", no_argument, 0, 'h'}, {0}};
	const char *name = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'N')
			name = optarg;
		else {
			fprintf(c == 'h' ? stdout : stderr, "usage: cristal model add PATH.gguf [--name NAME]\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (optind != argc - 1)
		return cli_usage_fail("model add", "expected one PATH.gguf");
	const char *path = argv[optind];
	char abs[PATH_MAX];
	if (!realpath(path, abs))
		return cli_fail("model add", "%s: no such file", path);
	cr_msg m = {{0}};
	cr_model *md = NULL;
	cr_err e = cr_model_load(abs, &md, &m);
	if (e)
		return cli_fail("model add", "%s: %s", path, m.text[0] ? m.text : cr_strerror(e));
	const cr_model_info *in = cr_model_get_info(md);
	char defname[PATH_MAX];
	if (!name) {
		const char *base = strrchr(abs, '/');
		base = base ? base + 1 : abs;
		snprintf(defname, sizeof defname, "%s", base);
		char *dot = strstr(defname, ".gguf");
		if (dot && dot != defname)
			*dot = 0;
		name = defname;
	}
	struct stat st;
	int64_t size = stat(abs, &st) == 0 ? (int64_t)st.st_size : 0;
	cr_buf info;
	cr_buf_init(&info, 0);
	int rc = 0;
	if (info_json(in, size, &info)) {
		rc = cli_fail("model add", "out of memory");
		goto out;
	}
	cr_store *s = NULL;
	if ((e = cr_store_open(cli->data_dir, &s, &m))) {
		rc = cli_fail("model add", "%s", m.text[0] ? m.text : cr_strerror(e));
		goto out;
	}
	cr_model_row row = {.name = name, .path = abs, .arch = in->arch, .info_json = info.data,
			    .size = size, .added = cr_wallclock()};
	e = cr_store_model_put(s, &row, &m);
	if (!e && cli_audit(s, "model.add", json_pack("{ss ss ss*}", "name", name, "path", abs, "arch", in->arch))) {
		cr_store_close(s);
		rc = 1;
		goto out;
	}
	cr_store_close(s);
	if (e) {
		rc = cli_fail("model add", "%s", m.text[0] ? m.text : cr_strerror(e));
		goto out;
	}
	printf("added %s: %s, %s, %.1fM params, %d layers, ctx %d%s\n", name, in->arch,
	       cr_ttype_name(in->main_type) ? cr_ttype_name(in->main_type) : "?",
	       (double)in->n_params / 1e6, in->n_layer, in->n_ctx_train,
	       in->is_embedding ? ", embedding model" : "");
out:
	cr_buf_release(&info);
	cr_model_free(md);
	return rc;
}

typedef struct list_ctx {
	int json, n;
	cr_buf out;
} list_ctx;

static int list_row(void *ctx, const cr_model_row *r)
{
	list_ctx *l = ctx;
	if (l->json) {
		if (l->n)
			CR_IGNORE(cr_buf_addc(&l->out, ','));
		CR_IGNORE(cr_buf_adds(&l->out, "{\"name\":"));
		CR_IGNORE(cr_buf_add_json_str(&l->out, r->name, strlen(r->name)));
		CR_IGNORE(cr_buf_adds(&l->out, ",\"path\":"));
		CR_IGNORE(cr_buf_add_json_str(&l->out, r->path, strlen(r->path)));
		CR_IGNORE(cr_buf_adds(&l->out, ",\"arch\":"));
		CR_IGNORE(cr_buf_add_json_str(&l->out, r->arch ? r->arch : "", r->arch ? strlen(r->arch) : 0));
		CR_IGNORE(cr_buf_printf(&l->out, ",\"size\":%lld,\"added\":%lld,\"info\":%s}", (long long)r->size,
				    (long long)r->added, r->info_json && *r->info_json ? r->info_json : "null"));
	} else {
		CR_IGNORE(cr_buf_printf(&l->out, "%-24s %-6s %10.1f MiB  %s\n", r->name, r->arch ? r->arch : "?",
				    (double)r->size / 1048576.0, r->path));
	}
	l->n++;
	return 0;
}

static int model_list(cr_cli *cli, int argc, char **argv)
{
	list_ctx l = {0};
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			l.json = 1;
		else
			return cli_usage_fail("model list", "unknown argument %s", argv[i]);
	}
	cr_buf_init(&l.out, 0);
	cr_msg m = {{0}};
	cr_store *s = NULL;
	cr_err e = cr_store_open(cli->data_dir, &s, &m);
	if (e)
		return cli_fail("model list", "%s", m.text[0] ? m.text : cr_strerror(e));
	if (l.json)
		CR_IGNORE(cr_buf_addc(&l.out, '['));
	e = cr_store_model_list(s, list_row, &l, &m);
	cr_store_close(s);
	if (e) {
		cr_buf_release(&l.out);
		return cli_fail("model list", "%s", m.text[0] ? m.text : cr_strerror(e));
	}
	if (l.json)
		CR_IGNORE(cr_buf_adds(&l.out, "]\n"));
	else if (!l.n)
		CR_IGNORE(cr_buf_adds(&l.out, "no models (add one with: cristal model add PATH.gguf)\n"));
	fwrite(l.out.data, 1, l.out.len, stdout);
	cr_buf_release(&l.out);
	return 0;
}

static int model_rm(cr_cli *cli, int argc, char **argv)
{
	if (argc != 2)
		return cli_usage_fail("model rm", "expected one NAME");
	cr_msg m = {{0}};
	cr_store *s = NULL;
	cr_err e = cr_store_open(cli->data_dir, &s, &m);
	if (!e)
		e = cr_store_model_del(s, argv[1], &m);
	int audit_failed = !e && cli_audit(s, "model.rm", json_pack("{ss}", "name", argv[1]));
	cr_store_close(s);
	if (e)
		return cli_fail("model rm", "%s", m.text[0] ? m.text : cr_strerror(e));
	if (audit_failed)
		return 1;
	printf("removed %s\n", argv[1]);
	return 0;
}

int cmd_model(cr_cli *cli, int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fprintf(argc < 2 ? stderr : stdout,
			"usage: cristal model add PATH.gguf [--name NAME]\n"
			"       cristal model list [--json]\n"
			"       cristal model rm NAME\n");
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "add"))
		return model_add(cli, argc - 1, argv + 1);
	if (!strcmp(argv[1], "list") || !strcmp(argv[1], "ls"))
		return model_list(cli, argc - 1, argv + 1);
	if (!strcmp(argv[1], "rm") || !strcmp(argv[1], "remove"))
		return model_rm(cli, argc - 1, argv + 1);
	return cli_usage_fail("model", "unknown subcommand '%s' (add, list, rm)", argv[1]);
}
