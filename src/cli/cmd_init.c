/*
 * cmd_init.c — `cristal init`: creates the data directory (catalog and
 * index). Running it on an existing data directory is harmless: it opens
 * it, which also repairs an index left behind by a crash.
 *
 * Encryption at rest is chosen here, once: a data directory created while
 * a key is set (cli_key_load) is encrypted; --new-key FILE makes the key
 * first; --encrypt insists (no key, or an existing plaintext directory, is
 * an error rather than a plaintext directory).
 */
#include "cli.h"
#include "cristal/corpus.h"
#include "cristal/crypt.h"
#include "cristal/store.h"

#include <getopt.h>
#include <unistd.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: cristal [--data DIR] init [--encrypt] [--new-key FILE]\n\n"
		   "Creates the data directory DIR (catalog.db, index/). Harmless if it exists.\n"
		   "  --encrypt        encrypt document text and the index (XChaCha20-Poly1305); needs a key:\n"
		   "                   CRISTAL_KEY_FILE=FILE, CRISTAL_KEY=HEX or [encryption] key_file\n"
		   "  --new-key FILE   make a new random key in FILE (mode 0600) and encrypt with it\n"
		   "A directory created while a key is set is encrypted; every later command needs the key.\n");
}

int cmd_init(cr_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
					     {"encrypt", no_argument, NULL, 'e'},
					     {"new-key", required_argument, NULL, 'k'},
					     {0}};
	int c, encrypt = 0;
	const char *new_key = NULL;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		if (c == 'e') {
			encrypt = 1;
			continue;
		}
		if (c == 'k') {
			new_key = optarg;
			encrypt = 1;
			continue;
		}
		usage(stderr);
		return 2;
	}
	if (optind < argc)
		return cli_usage_fail("init", "unexpected argument '%s'", argv[optind]);
	cr_msg m = {{0}};
	cr_err e;
	if (new_key) {
		if (cli->key)
			return cli_usage_fail("init", "--new-key with a key already set (CRISTAL_KEY_FILE, CRISTAL_KEY "
						      "or [encryption] key_file)");
		static cr_key *key; /* kept until the process ends */
		if ((e = cr_key_generate_file(new_key, &key, &m)))
			return cli_fail("init", "%s", m.text);
		cli->key = key;
		cr_key_set_process(key); /* single-threaded still */
	}
	if (encrypt && !cli->key)
		return cli_usage_fail("init", "--encrypt needs a key: set CRISTAL_KEY_FILE=FILE (mode 0600), "
					      "CRISTAL_KEY=HEX or [encryption] key_file, or use --new-key FILE");
	cr_corpus *cp;
	if ((e = cr_corpus_open(cli->data_dir, 1, &cp, &m))) {
		if (new_key)
			unlink(new_key);
		return cli_fail("init", "%s", m.text[0] ? m.text : cr_strerror(e));
	}
	int encrypted = cr_store_key(cr_corpus_store(cp)) != NULL;
	cr_corpus_close(cp);
	if (encrypt && !encrypted) {
		if (new_key)
			unlink(new_key); /* made for nothing */
		return cli_fail("init", "%s exists and is not encrypted: encryption is chosen when a data directory "
					"is created (make a new one and ingest again)", cli->data_dir);
	}
	printf("initialized %s%s\n", cli->data_dir, encrypted ? " (encrypted)" : "");
	if (new_key)
		printf("key written to %s: keep a copy apart from the data; without it the data cannot be read\n",
		       new_key);
	return 0;
}
