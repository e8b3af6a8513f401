/*
 * cmd_stats.c — `cristal stats`: the catalog's figures (documents by type,
 * chunks, text bytes, sources) and the index's (segments, terms, entries,
 * tombstones). The index's entries (live, tombstones excluded) equal the
 * catalog's chunks when the two are in step; --json prints one object
 * ("live" repeats "entries" for scripts that check exactly that).
 */
#include "cli.h"
#include "cristal/corpus.h"

#include <getopt.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: cristal [--data DIR] stats [--json]\n\n"
		   "Documents by type, chunks, bytes; index segments, terms, entries, deleted.\n");
}

int cmd_stats(cr_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {"json", no_argument, NULL, 'j'}, {0}};
	int json = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h': usage(stdout); return 0;
		case 'j': json = 1; break;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc)
		return cli_usage_fail("stats", "unexpected argument '%s'", argv[optind]);
	cr_corpus *cp;
	cr_msg m = {{0}};
	cr_err e = cr_corpus_open(cli->data_dir, 0, &cp, &m);
	if (e)
		return cli_fail("stats", "%s", m.text[0] ? m.text : cr_strerror(e));
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_store_stats st;
	int64_t max_chunk = 0;
	if ((e = cr_store_get_stats(cr_corpus_store(cp), &a, &st, &m)) ||
	    (e = cr_store_max_chunk_id(cr_corpus_store(cp), &max_chunk, &m))) {
		cr_arena_release(&a);
		cr_corpus_close(cp);
		return cli_fail("stats", "%s", m.text);
	}
	cr_index_stats is;
	cr_index_get_stats(cr_corpus_index(cp), &is);
	uint64_t imax = cr_index_max_id(cr_corpus_index(cp));
	if (json) {
		cr_buf b;
		cr_buf_init(&b, 0);
		CR_IGNORE(cr_buf_printf(&b, "{\"documents\":%lld,\"chunks\":%lld,\"bytes\":%lld,\"sources\":%lld,"
					"\"max_chunk_id\":%lld,\"by_type\":{",
				    (long long)st.n_docs, (long long)st.n_chunks, (long long)st.text_bytes,
				    (long long)st.n_sources, (long long)max_chunk));
		for (int64_t i = 0; i < st.by_type_n; i++) {
			if (i)
				CR_IGNORE(cr_buf_addc(&b, ','));
			CR_IGNORE(cr_buf_add_json_str(&b, st.by_type[i].type, strlen(st.by_type[i].type)));
			CR_IGNORE(cr_buf_printf(&b, ":%lld", (long long)st.by_type[i].n));
		}
		CR_IGNORE(cr_buf_printf(&b, "},\"index\":{\"segments\":%llu,\"terms\":%llu,\"entries\":%llu,"
					"\"deleted\":%llu,\"live\":%llu,\"bytes\":%llu,\"max_id\":%llu}}\n",
				    (unsigned long long)is.n_segments, (unsigned long long)is.n_terms,
				    (unsigned long long)is.n_entries, (unsigned long long)is.n_deleted,
				    (unsigned long long)is.n_entries,
				    (unsigned long long)is.bytes, (unsigned long long)imax));
		fwrite(b.data, 1, b.len, stdout);
		cr_buf_release(&b);
	} else {
		printf("data       %s\n", cli->data_dir);
		printf("documents  %lld", (long long)st.n_docs);
		for (int64_t i = 0; i < st.by_type_n; i++)
			printf("%s%s %lld", i ? ", " : " (", st.by_type[i].type, (long long)st.by_type[i].n);
		printf("%s\n", st.by_type_n ? ")" : "");
		printf("chunks     %lld\n", (long long)st.n_chunks);
		printf("text       %.2f MB\n", st.text_bytes / 1e6);
		printf("sources    %lld\n", (long long)st.n_sources);
		printf("index      %llu segments, %llu terms, %llu entries, %llu deleted, %.2f MB\n",
		       (unsigned long long)is.n_segments, (unsigned long long)is.n_terms,
		       (unsigned long long)is.n_entries, (unsigned long long)is.n_deleted, is.bytes / 1e6);
	}
	cr_arena_release(&a);
	cr_corpus_close(cp);
	return 0;
}
