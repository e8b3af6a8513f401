/*
 * cmd_shell.c — `cristal shell`: an interactive loop over the data
 * directory, one line at a time: a question (ending in ? or ？, or after
 * "ask ") is answered with citations as by `cristal ask`; anything else is
 * a search query. A prompt only when stdin is a terminal; ends on EOF,
 * "quit" or "exit". `make run` starts it as the agent's stand-in until the
 * server lands. Each line sees documents ingested meanwhile.
 */
#include "cli.h"
#include "cristal/corpus.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cli_search_run(cr_corpus *cp, const char *query, int k, int json, const char *qid, int snippets);

static void usage(FILE *f)
{
	fprintf(f, "usage: cristal [--data DIR] shell [-k N]\n\n"
		   "Reads one query per line and prints the best passages (see cristal search --help\n"
		   "for the syntax). Ends on EOF, \"quit\" or \"exit\".\n");
}

int cmd_shell(cr_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {0}};
	int k = 5, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "hk:", opts, NULL)) != -1) {
		switch (c) {
		case 'h': usage(stdout); return 0;
		case 'k': {
			int rc = cli_opt_int("shell", "-k", optarg, 1, 1000, &k);
			if (rc)
				return rc;
			break;
		}
		default: usage(stderr); return 2;
		}
	}
	cr_corpus *cp;
	cr_msg m = {{0}};
	cr_err e = cr_corpus_open(cli->data_dir, 0, &cp, &m);
	if (e)
		return cli_fail("shell", "%s", m.text[0] ? m.text : cr_strerror(e));
	int tty = isatty(0);
	if (tty)
		printf("Cristal over %s. Ask a question (end it with ?), type a search query, or quit.\n",
		       cli->data_dir);
	char *line = NULL;
	size_t cap = 0;
	for (;;) {
		if (tty) {
			printf("cristal> ");
			fflush(stdout);
		}
		ssize_t n = getline(&line, &cap, stdin);
		if (n < 0)
			break;
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
			line[--n] = 0;
		char *q = line + strspn(line, " \t");
		if (!*q)
			continue;
		if (!strcmp(q, "quit") || !strcmp(q, "exit"))
			break;
		size_t ql = strlen(q);
		if (!strncmp(q, "ask ", 4))
			cli_ask_run(cp, q + 4, 0, 0);
		else if (q[ql - 1] == '?' || (ql >= 3 && !strcmp(q + ql - 3, "\xef\xbc\x9f")))
			cli_ask_run(cp, q, 0, 0);
		else
			cli_search_run(cp, q, k, 0, NULL, 1);
		fflush(stdout);
	}
	if (tty)
		putchar('\n');
	free(line);
	cr_corpus_close(cp);
	return 0;
}
