/*
 * cmd_init.c — `cristal init`: creates the data directory (catalog and
 * index). Running it on an existing data directory is harmless: it opens
 * it, which also repairs an index left behind by a crash.
 */
#include "cli.h"
#include "cristal/corpus.h"

#include <getopt.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: cristal [--data DIR] init\n\n"
		   "Creates the data directory DIR (catalog.db, index/). Harmless if it exists.\n");
}

int cmd_init(cr_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {0}};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		usage(stderr);
		return 2;
	}
	if (optind < argc)
		return cli_usage_fail("init", "unexpected argument '%s'", argv[optind]);
	cr_corpus *cp;
	cr_msg m = {{0}};
	cr_err e = cr_corpus_open(cli->data_dir, 1, &cp, &m);
	if (e)
		return cli_fail("init", "%s", m.text[0] ? m.text : cr_strerror(e));
	cr_corpus_close(cp);
	printf("initialized %s\n", cli->data_dir);
	return 0;
}
