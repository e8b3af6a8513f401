/*
 * cmd_shell.c — `cristal shell`: an interactive loop over the data
 * directory, one line at a time: a question (ending in ? or ？, or after
 * "ask ") is answered with citations as by `cristal ask`; anything else is
 * a search query. A prompt only when stdin is a terminal; ends on EOF,
 * "quit" or "exit"; "help" prints what it takes. `make run` starts it as the
 * agent's stand-in until the server lands. Each line sees documents
 * ingested meanwhile.
 *
 * At a terminal, lines are read with libedit (Debian's BSD-licensed
 * readline): line editing, Up/Down through the history, Ctrl-R search. The
 * history is kept in DATA/shell_history (the last 1,000 lines).
 */
#include "cli.h"
#include "cristal/corpus.h"

#include <editline/readline.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cli_search_run(cr_corpus *cp, const char *query, int k, int json, const char *qid, int snippets);

static void usage(FILE *f)
{
	fprintf(f, "usage: cristal [--data DIR] shell [-k N]\n\n"
		   "Reads one query per line and prints the best passages (see cristal search --help\n"
		   "for the syntax). Ends on EOF, \"quit\" or \"exit\"; \"help\" lists what it takes.\n");
}

static void shell_help(void)
{
	printf("  a question ending in ? (or ask QUESTION)   answered from the documents, with sources\n"
	       "  anything else                              a search: words, \"a phrase\", prefix*,\n"
	       "                                             -exclude, +require, type:pdf, path:docs/,\n"
	       "                                             date:2024-01..2024-06\n"
	       "  help                                       this\n"
	       "  quit, exit, Ctrl-D                         leave\n"
	       "Up and Down recall earlier lines; Ctrl-R searches them.\n");
}

/* One line, without its end: from libedit at a terminal (NULL at EOF). */
static char *next_line(int tty, char **buf, size_t *cap)
{
	if (tty) {
		free(*buf);
		*buf = readline("cristal> ");
		return *buf;
	}
	ssize_t n = getline(buf, cap, stdin);
	if (n < 0)
		return NULL;
	while (n && ((*buf)[n - 1] == '\n' || (*buf)[n - 1] == '\r'))
		(*buf)[--n] = 0;
	return *buf;
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
	int tty = isatty(0) && isatty(1);
	char hist[4096];
	snprintf(hist, sizeof hist, "%s/shell_history", cli->data_dir);
	if (tty) {
		printf("Cristal over %s. Ask a question (end it with ?), type a search query, help, or quit.\n",
		       cli->data_dir);
		using_history();
		stifle_history(1000);
		read_history(hist); /* none yet is fine */
	}
	char *line = NULL;
	size_t cap = 0;
	for (;;) {
		if (!next_line(tty, &line, &cap))
			break;
		size_t n = strlen(line);
		while (n && (line[n - 1] == ' ' || line[n - 1] == '\t'))
			line[--n] = 0;
		char *q = line + strspn(line, " \t");
		if (!*q)
			continue;
		if (!strcmp(q, "quit") || !strcmp(q, "exit"))
			break;
		if (tty)
			add_history(q);
		if (!strcmp(q, "help") || !strcmp(q, "?")) {
			shell_help();
			continue;
		}
		size_t ql = strlen(q);
		if (!strncmp(q, "ask ", 4))
			cli_ask_run(cp, q + 4, 0, 0);
		else if (q[ql - 1] == '?' || (ql >= 3 && !strcmp(q + ql - 3, "\xef\xbc\x9f")))
			cli_ask_run(cp, q, 0, 0);
		else
			cli_search_run(cp, q, k, 0, NULL, 1);
		fflush(stdout);
	}
	if (tty) {
		putchar('\n');
		if (write_history(hist))
			cr_log(CR_LOG_INFO, "%s: history not saved", hist);
	}
	free(line);
	cr_corpus_close(cp);
	return 0;
}
