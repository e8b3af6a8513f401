/*
 * cmd_backup.c — `cristal backup FILE`: the data directory (catalog, index,
 * vectors, audit key) in one archive, taken while the server and searches
 * run (backup.h has the format; the catalog and the index are taken
 * together under the writer lock, so they agree). Recorded in the audit
 * log as "backup".
 */
#include "cli.h"
#include "cristal/backup.h"

#include <getopt.h>
#include <jansson.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: cristal [--data DIR] backup [--wait SECONDS] FILE\n\n"
		   "Writes the data directory (catalog, index, vectors, audit key) to FILE, a tar archive,\n"
		   "while the server runs: searches go on; a running ingest is waited for (--wait, default\n"
		   "600 s). FILE is replaced atomically and created readable by its owner only: it holds\n"
		   "every document's text. Restore it with cristal restore FILE into a new data directory.\n");
}

int cmd_backup(cr_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {"wait", required_argument, NULL, 'w'}, {0}};
	double wait_s = 600;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h': usage(stdout); return 0;
		case 'w': {
			int rc = cli_opt_double("backup", "--wait", optarg, 0, 86400, &wait_s);
			if (rc)
				return rc;
			break;
		}
		default: usage(stderr); return CLI_USAGE;
		}
	}
	if (optind + 1 != argc)
		return cli_usage_fail("backup", optind < argc ? "one FILE, please" : "which FILE?");
	const char *path = argv[optind];
	cr_msg m = {{0}};
	cr_corpus *cp;
	cr_err e = cr_corpus_open(cli->data_dir, 0, &cp, &m);
	if (e)
		return cli_fail("backup", "%s", m.text[0] ? m.text : cr_strerror(e));
	cr_backup_info inf;
	double t0 = cr_now();
	e = cr_backup_write(cp, path, wait_s, &inf, &m);
	if (e) {
		cr_corpus_close(cp);
		return cli_fail("backup", "%s", m.text[0] ? m.text : cr_strerror(e));
	}
	int rc = cli_audit_corpus(cp, "backup",
				  json_pack("{ss sI sI sI}", "file", path, "files", (json_int_t)inf.n_files, "bytes",
					    (json_int_t)inf.bytes, "max_chunk_id", (json_int_t)inf.max_chunk_id));
	cr_corpus_close(cp);
	if (rc)
		return rc;
	printf("backup: %s: %llu files, %.1f MB, chunks up to id %lld (index up to %lld); writer lock held %.2f s "
	       "(waited %.2f s), %.2f s in all\n",
	       path, (unsigned long long)inf.n_files, (double)inf.bytes / 1e6, (long long)inf.max_chunk_id,
	       (long long)inf.index_max_id, inf.lock_seconds, inf.wait_seconds, cr_now() - t0);
	return 0;
}
