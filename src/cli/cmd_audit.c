/*
 * cmd_audit.c — `cristal audit export|verify`, and the audit log of every
 * command run (cli_audit): the record is written before the result is
 * shown, so nothing is seen that was not recorded, and the run's records
 * are sealed when the command ends (cli_audit_finish, from main.c).
 *
 * The signing key is $CRISTAL_AUDIT_KEY, else DATA/audit.key (created on
 * first use, mode 0600; its public half beside it as audit.key.pub). Put it
 * where the catalog's writers cannot reach it (another owner, another
 * disk) for the seals to mean more than the chain alone.
 */
#define _GNU_SOURCE /* strptime, timegm */
#include "cli.h"
#include "cristal/audit.h"
#include "cristal/corpus.h"

#include <getopt.h>
#include <jansson.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *key_path(cr_cli *cli, char *buf, size_t cap)
{
	const char *k = getenv("CRISTAL_AUDIT_KEY");
	if (k && *k)
		return k;
	snprintf(buf, cap, "%s/audit.key", cli->data_dir);
	return buf;
}

/* The run's options: one command per process, so the search and answer
 * paths the shell shares need not carry them. */
static cr_cli *run_cli;

/* "cli:OSUSER", and " as USER" under --as. */
static const char *actor(char *buf, size_t cap)
{
	struct passwd *pw = getpwuid(geteuid());
	const char *as = run_cli ? run_cli->as_user : NULL;
	if (pw && pw->pw_name)
		snprintf(buf, cap, "cli:%s%s%s", pw->pw_name, as ? " as " : "", as ? as : "");
	else
		snprintf(buf, cap, "cli:uid%ld%s%s", (long)geteuid(), as ? " as " : "", as ? as : "");
	return buf;
}

void cli_audit_start(cr_cli *cli) { run_cli = cli; }

int cli_audit(cr_store *s, const char *action, json_t *detail)
{
	cr_cli *cli = run_cli;
	cr_msg m = {{0}};
	cr_err e = CR_OK;
	char *d = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
	json_decref(detail);
	if (detail && !d)
		return cli_fail(action, "audit: out of memory");
	if (!cli->audit) {
		char kb[4096];
		cr_audit_opts o = {.key_path = key_path(cli, kb, sizeof kb)};
		e = cr_audit_open(&o, &cli->audit, &m);
	}
	char who[128];
	if (!e)
		e = cr_audit_log(cli->audit, s, actor(who, sizeof who), action, d, NULL, &m);
	free(d);
	if (e)
		return cli_fail(action, "audit log: %s (nothing is shown that is not recorded)",
				m.text[0] ? m.text : cr_strerror(e));
	cli->audit_pending = 1;
	return 0;
}

int cli_audit_corpus(cr_corpus *cp, const char *action, json_t *detail)
{
	cr_store *s;
	cr_msg m = {{0}};
	cr_err e = cr_corpus_store_acquire(cp, &s, &m);
	if (e) {
		json_decref(detail);
		return cli_fail(action, "audit log: %s", m.text[0] ? m.text : cr_strerror(e));
	}
	int rc = cli_audit(s, action, detail);
	cr_corpus_store_release(cp, s);
	return rc;
}

void cli_audit_finish(void)
{
	cr_cli *cli = run_cli;
	if (!cli || !cli->audit)
		return;
	cr_store *s = NULL;
	cr_msg m = {{0}};
	cr_err e = CR_OK;
	if (cli->audit_pending && !(e = cr_store_open(cli->data_dir, &s, &m)))
		e = cr_audit_close(cli->audit, s, &m);
	else
		CR_IGNORE(cr_audit_close(cli->audit, NULL, NULL));
	if (e)
		fprintf(stderr, "cristal: audit log: cannot sign the run's records: %s\n",
			m.text[0] ? m.text : cr_strerror(e));
	if (s)
		cr_store_close(s);
	cli->audit = NULL;
}

json_t *cli_audit_ids(const int64_t *ids, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_integer(ids[i]));
	return a;
}

/* -- the command -- */

static void usage(FILE *f)
{
	fprintf(f, "usage: cristal [--data DIR] audit export [--since TIME] [--out FILE]\n"
		   "       cristal [--data DIR] audit verify [FILE] [--key PUBFILE]\n\n"
		   "The audit log records every command that reads or changes the documents, who\n"
		   "ran it and what it returned (chunk ids). Each record holds the hash of the one\n"
		   "before it, and the chain's head is signed with the key in $CRISTAL_AUDIT_KEY\n"
		   "or DATA/audit.key.\n\n"
		   "  export           JSON Lines, one record a line: seq, time, actor, action,\n"
		   "                   detail, prev, hash (signatures are records of their own)\n"
		   "  --since TIME     YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS (UTC) or unix seconds\n"
		   "  --out FILE       write there instead of standard output\n"
		   "  verify [FILE]    check the live log, or an exported file; exit 0 when intact,\n"
		   "                   1 when not, naming the first bad record\n"
		   "  --key PUBFILE    the trusted public key (default: the signing key's .pub);\n"
		   "                   the last signed head, kept beside the key (.head), must be\n"
		   "                   in the log unchanged\n");
}

/* Unix microseconds of TIME; -1 if unreadable. */
static int64_t parse_since(const char *t)
{
	char *end;
	long long v = strtoll(t, &end, 10);
	if (*t && !*end && v >= 0)
		return (int64_t)v * 1000000;
	struct tm tm = {0};
	const char *p = strptime(t, "%Y-%m-%d", &tm);
	if (p && (*p == 'T' || *p == ' '))
		p = strptime(p + 1, "%H:%M:%S", &tm);
	if (!p || (*p && strcmp(p, "Z") != 0))
		return -1;
	return (int64_t)timegm(&tm) * 1000000;
}

static int do_export(cr_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"since", required_argument, NULL, 's'}, {"out", required_argument, NULL, 'o'}, {"help", no_argument, NULL, 'h'}, {0}};
	const char *out = NULL;
	int64_t since = 0;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if ((since = parse_since(optarg)) < 0)
				return cli_fail("audit", "--since: '%s' is not a time (YYYY-MM-DD[THH:MM:SS] or unix seconds)",
						optarg), 2;
			break;
		case 'o': out = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	cr_store *s;
	cr_msg m = {{0}};
	cr_err e = cr_store_open(cli->data_dir, &s, &m);
	if (e)
		return cli_fail("audit", "%s", m.text[0] ? m.text : cr_strerror(e));
	/* the export is itself recorded, before it is written */
	json_t *d = json_pack("{sIss}", "since_us", (json_int_t)since, "out", out ? out : "-");
	if (cli_audit(s, "audit.export", d)) {
		cr_store_close(s);
		return 1;
	}
	FILE *f = out ? fopen(out, "w") : stdout;
	if (!f) {
		cr_store_close(s);
		return cli_fail("audit", "%s: cannot write", out);
	}
	int64_t n = 0;
	e = cr_audit_export(s, since, f, &n, &m);
	if (out && fclose(f) != 0 && !e)
		e = cr_fail(&m, CR_EIO, "%s: write error", out);
	cr_store_close(s);
	if (e)
		return cli_fail("audit", "%s", m.text[0] ? m.text : cr_strerror(e));
	if (out)
		fprintf(stderr, "%lld records written to %s\n", (long long)n, out);
	return 0;
}

static int do_verify(cr_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"key", required_argument, NULL, 'k'}, {"help", no_argument, NULL, 'h'}, {0}};
	const char *pub = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': pub = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (argc - optind > 1) {
		usage(stderr);
		return 2;
	}
	const char *file = optind < argc ? argv[optind] : NULL;
	char kb[4096], pb[4160], hb[4160], hex[65];
	key_path(cli, kb, sizeof kb);
	if (!pub) {
		snprintf(pb, sizeof pb, "%s.pub", kb);
		pub = pb;
	}
	snprintf(hb, sizeof hb, "%s.head", kb);
	cr_msg m = {{0}};
	cr_audit_check chk = {0};
	cr_err e = cr_audit_read_public_key(pub, hex, &m);
	if (e == CR_OK) {
		chk.public_key = hex;
		chk.head_path = hb;
	}
	else if (e == CR_ENOTFOUND || access(pub, F_OK) != 0)
		fprintf(stderr, "cristal: audit: no public key at %s: signatures are checked against the log's own key only\n", pub);
	else
		return cli_fail("audit", "%s", m.text);
	cr_audit_verdict v;
	if (file) {
		e = cr_audit_verify_file(file, &chk, &v, &m);
	} else {
		cr_store *s;
		if (!(e = cr_store_open(cli->data_dir, &s, &m))) {
			e = cr_audit_verify_store(s, &chk, &v, &m);
			cr_store_close(s);
		}
	}
	if (e)
		return cli_fail("audit", "%s", m.text[0] ? m.text : cr_strerror(e)), 2;
	if (!v.intact) {
		printf("NOT INTACT: %s\n", v.reason);
		return 1;
	}
	printf("intact: %s\n", v.reason);
	return 0;
}

int cmd_audit(cr_cli *cli, int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "export"))
		return do_export(cli, argc - 1, argv + 1);
	if (!strcmp(argv[1], "verify"))
		return do_verify(cli, argc - 1, argv + 1);
	fprintf(stderr, "cristal: audit: unknown subcommand '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
