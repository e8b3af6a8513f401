/*
 * cmd_mcp.c — `cristal mcp`: the Model Context Protocol servers whose tools
 * agents may use (mcp.h).
 *
 *   mcp add NAME --command "CMD ARGS" | --url URL
 *   mcp list [--json] | rm NAME
 *   mcp tools NAME [--json] [--timeout S]    connects and lists its tools
 *   mcp call NAME TOOL [JSON] [--timeout S]  calls one tool, prints its text
 * An agent uses a server's tools only where allowed by name:
 * `cristal agent --tool mcp:NAME/TOOL`, or every tool of it with mcp:NAME/ followed by a star.
 */
#include "cli.h"
#include "cristal/mcp.h"
#include "cristal/store.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char USAGE[] =
	"usage: cristal mcp add NAME --command \"CMD ARGS\" | --url URL\n"
	"       cristal mcp list [--json] | rm NAME\n"
	"       cristal mcp tools NAME [--json] [--timeout S]\n"
	"       cristal mcp call NAME TOOL [JSON-ARGS] [--timeout S]\n"
	"Agents use a server's tools only where allowed: cristal agent --tool mcp:NAME/TOOL | mcp:NAME/*\n";

static int open_store(cr_cli *cli, const char *cmd, cr_store **s)
{
	cr_msg m = {{0}};
	cr_err e = cr_store_open(cli->data_dir, s, &m);
	return e ? cli_fail(cmd, "%s", m.text[0] ? m.text : cr_strerror(e)) : 0;
}

static void json_str(const char *s)
{
	cr_buf b;
	cr_buf_init(&b, 0);
	if (s)
		CR_IGNORE(cr_buf_add_json_str(&b, s, strlen(s)));
	fputs(s && b.data ? b.data : "null", stdout);
	cr_buf_release(&b);
}

int cli_mcp_connect(cr_cli *cli, cr_store *s, const char *name, double timeout, cr_mcp **out)
{
	(void)cli;
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_mcp_server r;
	cr_msg m = {{0}};
	cr_err e = cr_mcp_server_get(s, &a, name, &r, &m);
	if (!e) {
		cr_mcp_opts o = {.command = r.command, .url = r.url, .timeout = timeout};
		e = cr_mcp_connect(&o, out, &m);
	}
	cr_arena_release(&a);
	return e ? cli_fail("mcp", "%s: %s", name, m.text[0] ? m.text : cr_strerror(e)) : 0;
}

int cmd_mcp(cr_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"command", required_argument, 0, 'c'}, {"url", required_argument, 0, 'u'},
					     {"json", no_argument, 0, 'j'},	       {"timeout", required_argument, 0, 't'},
					     {"help", no_argument, 0, 'h'},	       {0}};
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(USAGE, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	const char *sub = argv[1], *command = NULL, *url = NULL;
	int json = 0, c;
	double timeout = 30;
	argc--, argv++;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': command = optarg; break;
		case 'u': url = optarg; break;
		case 'j': json = 1; break;
		case 't': timeout = atof(optarg); break;
		case 'h': fputs(USAGE, stdout); return 0;
		default: return 2;
		}
	}
	int npos = argc - optind;
	char **pos = argv + optind;
	cr_store *s = NULL;
	cr_msg m = {{0}};
	cr_arena a;
	cr_arena_init(&a, 0);
	int rc = 0;
	if (!strcmp(sub, "add")) {
		if (npos != 1) {
			fputs(USAGE, stderr);
			return 2;
		}
		if (!command == !url) {
			fprintf(stderr, "cristal mcp add: give --command \"CMD ARGS\" or --url URL\n");
			return 2;
		}
		if ((rc = open_store(cli, "mcp add", &s)))
			goto out;
		cr_mcp_server r = {.name = pos[0], .command = command, .url = url};
		cr_err e = cr_mcp_server_add(s, &r, &m);
		if (e)
			rc = cli_fail("mcp add", "%s", m.text[0] ? m.text : cr_strerror(e));
		else
			printf("added MCP server %s (%s)\n", pos[0], command ? "stdio" : "streamable HTTP");
	} else if (!strcmp(sub, "rm")) {
		if (npos != 1) {
			fputs(USAGE, stderr);
			return 2;
		}
		if ((rc = open_store(cli, "mcp rm", &s)))
			goto out;
		cr_err e = cr_mcp_server_rm(s, pos[0], &m);
		if (e)
			rc = cli_fail("mcp rm", "%s", m.text[0] ? m.text : cr_strerror(e));
		else
			printf("removed MCP server %s\n", pos[0]);
	} else if (!strcmp(sub, "list")) {
		if ((rc = open_store(cli, "mcp list", &s)))
			goto out;
		cr_mcp_server *list;
		size_t n;
		cr_err e = cr_mcp_server_list(s, &a, &list, &n, &m);
		if (e) {
			rc = cli_fail("mcp list", "%s", m.text[0] ? m.text : cr_strerror(e));
			goto out;
		}
		if (json)
			fputs("{\"servers\":[", stdout);
		for (size_t i = 0; i < n; i++) {
			if (json) {
				printf("%s{\"name\":", i ? "," : "");
				json_str(list[i].name);
				fputs(",\"transport\":", stdout);
				json_str(list[i].command ? "stdio" : "http");
				fputs(list[i].command ? ",\"command\":" : ",\"url\":", stdout);
				json_str(list[i].command ? list[i].command : list[i].url);
				fputs("}", stdout);
			} else {
				printf("%-16s %-6s %s\n", list[i].name, list[i].command ? "stdio" : "http",
				       list[i].command ? list[i].command : list[i].url);
			}
		}
		if (json)
			fputs("]}\n", stdout);
		else if (!n)
			printf("no MCP servers (add one: cristal mcp add NAME --command \"CMD ARGS\" | --url URL)\n");
	} else if (!strcmp(sub, "tools") || !strcmp(sub, "call")) {
		int call = !strcmp(sub, "call");
		if (call ? (npos < 2 || npos > 3) : npos != 1) {
			fputs(USAGE, stderr);
			return 2;
		}
		if ((rc = open_store(cli, call ? "mcp call" : "mcp tools", &s)))
			goto out;
		cr_mcp *mc = NULL;
		if ((rc = cli_mcp_connect(cli, s, pos[0], timeout, &mc)))
			goto out;
		if (call) {
			cr_buf b;
			cr_buf_init(&b, (size_t)16 << 20);
			int is_err = 0;
			cr_err e = cr_mcp_call(mc, pos[1], npos == 3 ? pos[2] : NULL, &b, &is_err, &m);
			if (e)
				rc = cli_fail("mcp call", "%s", m.text[0] ? m.text : cr_strerror(e));
			else if (is_err)
				rc = cli_fail("mcp call", "%s/%s: tool error: %s", pos[0], pos[1], b.data ? b.data : "");
			else
				printf("%s\n", b.data ? b.data : "");
			cr_buf_release(&b);
		} else {
			cr_mcp_tool *t;
			size_t n;
			cr_err e = cr_mcp_tools(mc, &a, &t, &n, &m);
			if (e) {
				rc = cli_fail("mcp tools", "%s", m.text[0] ? m.text : cr_strerror(e));
			} else if (json) {
				fputs("{\"server\":", stdout);
				json_str(cr_mcp_server_name(mc));
				fputs(",\"tools\":[", stdout);
				for (size_t i = 0; i < n; i++) {
					fputs(i ? ",{\"name\":" : "{\"name\":", stdout);
					json_str(t[i].name);
					fputs(",\"description\":", stdout);
					json_str(t[i].description);
					printf(",\"input_schema\":%s}", t[i].input_schema);
				}
				fputs("]}\n", stdout);
			} else {
				printf("%s %s: %zu tools\n", cr_mcp_server_name(mc), cr_mcp_server_version(mc), n);
				for (size_t i = 0; i < n; i++) {
					const char *d = t[i].description;
					size_t dl = strcspn(d, "\n");
					printf("  mcp:%s/%s  %.*s%s\n", pos[0], t[i].name, (int)CR_MIN(dl, 100), d,
					       dl > 100 ? "..." : "");
				}
			}
		}
		cr_mcp_close(mc);
	} else {
		fputs(USAGE, stderr);
		rc = 2;
	}
out:
	cr_arena_release(&a);
	if (s)
		cr_store_close(s);
	return rc;
}
