/*
 * cmd_rm.c — `cristal rm PATH|DOC...`: removes an ingested root (for good),
 * a folder or file inside one, or a document by the name search prints,
 * from the catalog and the index (cr_corpus_remove).
 */
#include "cli.h"
#include "cristal/corpus.h"

#include <getopt.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: cristal [--data DIR] rm PATH|DOC...\n\n"
		   "Removes from the catalog and the index:\n"
		   "  a root given to ingest       the source and all its documents (not ingested again\n"
		   "                               until you ingest it again)\n"
		   "  a folder or file inside one  its documents (back at the root's next ingest)\n"
		   "  a document name              as search prints it, with what it contains\n");
}

int cmd_rm(cr_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {0}};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return CLI_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return CLI_USAGE;
	}
	cr_corpus *cp;
	cr_msg m = {{0}};
	cr_err e = cr_corpus_open(cli->data_dir, 0, &cp, &m);
	if (e)
		return cli_fail("rm", "%s", m.text[0] ? m.text : cr_strerror(e));
	int rc = 0;
	for (int i = optind; i < argc; i++) {
		uint64_t n = 0;
		int src = 0;
		m.text[0] = 0;
		e = cr_corpus_remove(cp, argv[i], &n, &src, &m);
		if (e) {
			rc = cli_fail("rm", "%s", m.text[0] ? m.text : cr_strerror(e));
			continue;
		}
		printf("removed ");
		cli_put(stdout, argv[i], 0);
		if (src)
			printf(" (a source: %llu files)\n", (unsigned long long)n);
		else
			printf(" (%llu %s)\n", (unsigned long long)n, n == 1 ? "document" : "documents");
	}
	cr_corpus_close(cp);
	return rc;
}
