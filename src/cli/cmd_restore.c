/*
 * cmd_restore.c — `cristal restore FILE`: a backup (cristal backup) into a
 * new data directory (--data, which must not exist or be empty). Every
 * file is checked against the archive's list (size, SHA-256) before the
 * directory is opened; then the catalog and the index are opened as any
 * command does (an older catalog is upgraded) and their figures printed.
 */
#include "cli.h"
#include "cristal/backup.h"

#include <getopt.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: cristal --data NEWDIR restore FILE\n\n"
		   "Unpacks a backup made by cristal backup into a new data directory (which must not\n"
		   "exist or be empty), checking every file's size and SHA-256; on any failure nothing\n"
		   "is left behind. Then opens it and prints its figures.\n");
}

int cmd_restore(cr_cli *cli, int argc, char **argv)
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
	if (optind + 1 != argc)
		return cli_usage_fail("restore", optind < argc ? "one FILE, please" : "which FILE?");
	cr_msg m = {{0}};
	cr_backup_info inf;
	cr_err e = cr_backup_restore(argv[optind], cli->data_dir, &inf, &m);
	if (e)
		return cli_fail("restore", "%s", m.text[0] ? m.text : cr_strerror(e));
	/* the catalog and index as they came, before any repair */
	int64_t cat_max = 0;
	uint64_t ix_max = 0;
	cr_store *st;
	if ((e = cr_store_open(cli->data_dir, &st, &m)))
		return cli_fail("restore", "the restored catalog does not open: %s", m.text);
	e = cr_store_max_chunk_id(st, &cat_max, &m);
	const cr_key *key = cr_store_key(st); /* the process's, when the catalog is encrypted */
	cr_store_close(st);
	if (e)
		return cli_fail("restore", "the restored catalog: %s", m.text);
	char ixdir[4096];
	snprintf(ixdir, sizeof ixdir, "%s/index", cli->data_dir);
	cr_index *ix;
	if ((e = cr_index_open_key(ixdir, key, &ix, &m)))
		return cli_fail("restore", "the restored index does not open: %s", m.text);
	ix_max = cr_index_max_id(ix);
	cr_index_close(ix);
	cr_corpus *cp;
	if ((e = cr_corpus_open(cli->data_dir, 0, &cp, &m)))
		return cli_fail("restore", "%s", m.text[0] ? m.text : cr_strerror(e));
	cr_store_stats ss;
	cr_arena a;
	cr_arena_init(&a, 0);
	e = cr_store_get_stats(cr_corpus_store(cp), &a, &ss, &m);
	cr_index_stats is;
	cr_index_get_stats(cr_corpus_index(cp), &is);
	cr_corpus_close(cp);
	if (e) {
		cr_arena_release(&a);
		return cli_fail("restore", "%s", m.text);
	}
	printf("restore: %s: %llu files, %.1f MB; %lld documents, %lld chunks; catalog up to chunk %lld, index up to "
	       "%llu (%s)\n",
	       cli->data_dir, (unsigned long long)inf.n_files, (double)inf.bytes / 1e6, (long long)ss.n_docs,
	       (long long)ss.n_chunks, (long long)cat_max, (unsigned long long)ix_max,
	       (uint64_t)cat_max == ix_max ? "in step" : "the index was caught up on open");
	cr_arena_release(&a);
	return 0;
}
