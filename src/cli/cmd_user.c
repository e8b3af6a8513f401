/*
 * cmd_user.c — `cristal user` and `cristal token`: the people who may use
 * the server and their API tokens (auth.h, store.h).
 *
 *   user add NAME [--role admin|member|auditor] [--group G]... [--tenant T]
 *            [--email ADDR]... [--password-stdin]
 *   user list [--json] | rm NAME | passwd NAME (the password on stdin)
 *   user email NAME [ADDR]...   (replaces its addresses; none: clears them)
 * A user's addresses make it a reader of the mail and chat ingested with
 * --acl-from-mail / --acl-from-chat that name them, also mail ingested
 * before the address was given.
 *   token create --user NAME [--label L] [--expires DAYS]
 *            (the token alone on the last line of standard output)
 *   token list [--json] | revoke ID
 * Once a user exists, `cristal serve` asks every API request for a token
 * (Authorization: Bearer TOKEN) and may listen beyond loopback.
 */
#include "cli.h"
#include "cristal/auth.h"
#include "cristal/store.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int open_store(cr_cli *cli, const char *cmd, cr_store **s)
{
	cr_msg m = {{0}};
	cr_err e = cr_store_open(cli->data_dir, s, &m);
	return e ? cli_fail(cmd, "%s", m.text[0] ? m.text : cr_strerror(e)) : 0;
}

/* The first line of stdin without its newline (a password). */
static int read_password(const char *cmd, char *out, size_t cap)
{
	if (!fgets(out, (int)cap, stdin))
		return cli_fail(cmd, "no password on standard input");
	out[strcspn(out, "\r\n")] = 0;
	if (!*out)
		return cli_fail(cmd, "the password is empty");
	return 0;
}

static int user_add(cr_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"role", required_argument, 0, 'r'},   {"group", required_argument, 0, 'g'},
					     {"tenant", required_argument, 0, 't'}, {"password-stdin", no_argument, 0, 'p'},
					     {"email", required_argument, 0, 'e'},  {"help", no_argument, 0, 'h'},
					     {0}};
	cr_user_row r = {.role = "member"};
	const char *groups[64], *emails[64];
	char norm[64][CR_EMAIL_MAX];
	int c, pw = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': r.role = optarg; break;
		case 'g':
			if (r.n_groups == CR_ARRAY_LEN(groups))
				return cli_fail("user add", "at most 64 groups");
			groups[r.n_groups++] = optarg;
			break;
		case 't': r.tenant = optarg; break;
		case 'e':
			if (r.n_emails == CR_ARRAY_LEN(emails))
				return cli_fail("user add", "at most 64 e-mail addresses");
			if (!cr_email_norm(optarg, strlen(optarg), norm[r.n_emails], sizeof norm[0]))
				return cli_fail("user add", "--email '%s' is not an e-mail address (name@domain)", optarg);
			emails[r.n_emails] = norm[r.n_emails];
			r.n_emails++;
			break;
		case 'p': pw = 1; break;
		case 'h':
			printf("usage: cristal user add NAME [--role admin|member|auditor] [--group G]... [--tenant T] "
			       "[--email ADDR]... [--password-stdin]\n");
			return 0;
		default: return 2;
		}
	}
	if (optind != argc - 1)
		return cli_fail("user add", "one user name expected");
	r.name = argv[optind];
	r.groups = groups;
	r.emails = emails;
	char pass[4097], hash[CR_AUTH_HASH_MAX];
	cr_msg m = {{0}};
	if (pw) {
		if (read_password("user add", pass, sizeof pass))
			return 1;
		cr_err e = cr_auth_password_hash(pass, hash, &m);
		memset(pass, 0, sizeof pass);
		if (e)
			return cli_fail("user add", "%s", m.text);
		r.pw_hash = hash;
	}
	cr_store *s;
	if (open_store(cli, "user add", &s))
		return 1;
	cr_err e = cr_store_user_put(s, &r, &m);
	json_t *gs = json_array();
	for (uint32_t i = 0; gs && i < r.n_groups; i++)
		json_array_append_new(gs, json_string(groups[i]));
	json_t *es = json_array();
	for (uint32_t i = 0; es && i < r.n_emails; i++)
		json_array_append_new(es, json_string(emails[i]));
	int audit_failed = !e && cli_audit(s, "user.add", json_pack("{ss ss ss so so sb}", "name", r.name, "role", r.role,
								    "tenant", r.tenant ? r.tenant : "default", "groups",
								    gs, "emails", es, "password", pw));
	if (e) {
		json_decref(gs);
		json_decref(es);
	}
	cr_store_close(s);
	if (e)
		return cli_fail("user add", "%s", m.text[0] ? m.text : cr_strerror(e));
	if (audit_failed)
		return 1;
	printf("added user %s (%s, tenant %s%s)\n", r.name, r.role, r.tenant ? r.tenant : "default",
	       pw ? ", with a password" : "");
	return 0;
}

typedef struct list_ctx {
	int json, n;
	cr_buf out;
} list_ctx;

static int user_row(void *ctx, const cr_user_row *u)
{
	list_ctx *l = ctx;
	if (l->json) {
		CR_IGNORE(cr_buf_printf(&l->out, "%s{\"name\":", l->n ? "," : ""));
		CR_IGNORE(cr_buf_add_json_str(&l->out, u->name, strlen(u->name)));
		CR_IGNORE(cr_buf_printf(&l->out, ",\"role\":\"%s\",\"tenant\":", u->role));
		CR_IGNORE(cr_buf_add_json_str(&l->out, u->tenant ? u->tenant : "", u->tenant ? strlen(u->tenant) : 0));
		CR_IGNORE(cr_buf_adds(&l->out, ",\"groups\":["));
		for (uint32_t i = 0; i < u->n_groups; i++) {
			CR_IGNORE(cr_buf_adds(&l->out, i ? "," : ""));
			CR_IGNORE(cr_buf_add_json_str(&l->out, u->groups[i], strlen(u->groups[i])));
		}
		CR_IGNORE(cr_buf_adds(&l->out, "],\"emails\":["));
		for (uint32_t i = 0; i < u->n_emails; i++) {
			CR_IGNORE(cr_buf_adds(&l->out, i ? "," : ""));
			CR_IGNORE(cr_buf_add_json_str(&l->out, u->emails[i], strlen(u->emails[i])));
		}
		CR_IGNORE(cr_buf_printf(&l->out, "],\"password\":%s,\"created\":%lld}", u->pw_hash ? "true" : "false",
					(long long)u->created));
	} else {
		CR_IGNORE(cr_buf_printf(&l->out, "%-20s %-8s %-12s ", u->name, u->role, u->tenant ? u->tenant : ""));
		for (uint32_t i = 0; i < u->n_groups; i++)
			CR_IGNORE(cr_buf_printf(&l->out, "%s%s", i ? "," : "", u->groups[i]));
		CR_IGNORE(cr_buf_adds(&l->out, u->n_groups ? "" : "-"));
		for (uint32_t i = 0; i < u->n_emails; i++)
			CR_IGNORE(cr_buf_printf(&l->out, "%s%s", i ? "," : " ", u->emails[i]));
		CR_IGNORE(cr_buf_adds(&l->out, "\n"));
	}
	l->n++;
	return 0;
}

static int token_row(void *ctx, const cr_token_row *t)
{
	list_ctx *l = ctx;
	char exp[32] = "never";
	if (t->expires) {
		time_t tt = (time_t)t->expires;
		struct tm tm;
		gmtime_r(&tt, &tm);
		strftime(exp, sizeof exp, "%Y-%m-%d", &tm);
	}
	const char *state = t->revoked ? "revoked" : t->expires && t->expires <= cr_wallclock() ? "expired" : "active";
	if (l->json) {
		CR_IGNORE(cr_buf_printf(&l->out, "%s{\"id\":%lld,\"user\":", l->n ? "," : "", (long long)t->id));
		CR_IGNORE(cr_buf_add_json_str(&l->out, t->user ? t->user : "", t->user ? strlen(t->user) : 0));
		CR_IGNORE(cr_buf_adds(&l->out, ",\"label\":"));
		if (t->label)
			CR_IGNORE(cr_buf_add_json_str(&l->out, t->label, strlen(t->label)));
		else
			CR_IGNORE(cr_buf_adds(&l->out, "null"));
		CR_IGNORE(cr_buf_printf(&l->out, ",\"created\":%lld,\"expires\":%lld,\"state\":\"%s\"}",
					(long long)t->created, (long long)t->expires, state));
	} else
		CR_IGNORE(cr_buf_printf(&l->out, "%-6lld %-20s %-8s %-10s %s\n", (long long)t->id, t->user ? t->user : "?",
					state, exp, t->label ? t->label : ""));
	l->n++;
	return 0;
}

static int do_list(cr_cli *cli, int tokens, int argc, char **argv)
{
	const char *cmd = tokens ? "token list" : "user list";
	int json = argc > 1 && !strcmp(argv[1], "--json");
	if (argc > 1 + json)
		return cli_fail(cmd, "unexpected argument '%s'", argv[1 + json]);
	cr_store *s;
	if (open_store(cli, cmd, &s))
		return 1;
	list_ctx l = {.json = json};
	cr_buf_init(&l.out, 0);
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_msg m = {{0}};
	CR_IGNORE(cr_buf_adds(&l.out, json ? (tokens ? "{\"tokens\":[" : "{\"users\":[") : ""));
	cr_err e = tokens ? cr_store_token_list(s, token_row, &l, &m) : cr_store_user_list(s, &a, user_row, &l, &m);
	CR_IGNORE(cr_buf_adds(&l.out, json ? "]}\n" : ""));
	cr_arena_release(&a);
	cr_store_close(s);
	int rc = e ? cli_fail(cmd, "%s", m.text) : 0;
	if (!e)
		fwrite(l.out.data ? l.out.data : "", 1, l.out.len, stdout);
	cr_buf_release(&l.out);
	return rc;
}

/* user email NAME [ADDR]...: argv[0] is the name. */
static int user_email(cr_cli *cli, int argc, char **argv)
{
	const char *emails[64];
	char norm[64][CR_EMAIL_MAX];
	uint32_t n = 0;
	if (argc - 1 > (int)CR_ARRAY_LEN(emails))
		return cli_fail("user email", "at most 64 e-mail addresses");
	for (int i = 1; i < argc; i++) {
		if (!cr_email_norm(argv[i], strlen(argv[i]), norm[n], sizeof norm[0]))
			return cli_fail("user email", "'%s' is not an e-mail address (name@domain)", argv[i]);
		emails[n] = norm[n];
		n++;
	}
	cr_store *s;
	if (open_store(cli, "user email", &s))
		return 1;
	cr_msg m = {{0}};
	cr_err e = cr_store_user_set_emails(s, argv[0], emails, n, &m);
	json_t *es = json_array();
	for (uint32_t i = 0; es && i < n; i++)
		json_array_append_new(es, json_string(emails[i]));
	int audit_failed = !e && cli_audit(s, "user.email", json_pack("{ss so}", "name", argv[0], "emails", es));
	if (e)
		json_decref(es);
	cr_store_close(s);
	if (e)
		return cli_fail("user email", "%s", m.text[0] ? m.text : cr_strerror(e));
	if (audit_failed)
		return 1;
	printf("%s has %u e-mail address%s\n", argv[0], n, n == 1 ? "" : "es");
	return 0;
}

int cmd_user(cr_cli *cli, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";
	if (!strcmp(sub, "add"))
		return user_add(cli, argc - 1, argv + 1);
	if (!strcmp(sub, "list"))
		return do_list(cli, 0, argc - 1, argv + 1);
	if (!strcmp(sub, "email") && argc >= 3)
		return user_email(cli, argc - 2, argv + 2);
	if ((!strcmp(sub, "rm") || !strcmp(sub, "passwd")) && argc == 3) {
		cr_msg m = {{0}};
		char hash[CR_AUTH_HASH_MAX];
		if (!strcmp(sub, "passwd")) {
			char pass[4097];
			if (read_password("user passwd", pass, sizeof pass))
				return 1;
			cr_err e = cr_auth_password_hash(pass, hash, &m);
			memset(pass, 0, sizeof pass);
			if (e)
				return cli_fail("user passwd", "%s", m.text);
		}
		cr_store *s;
		if (open_store(cli, "user", &s))
			return 1;
		cr_err e = !strcmp(sub, "rm") ? cr_store_user_del(s, argv[2], &m) : cr_store_user_set_password(s, argv[2], hash, &m);
		int audit_failed =
			!e && cli_audit(s, !strcmp(sub, "rm") ? "user.rm" : "user.passwd", json_pack("{ss}", "name", argv[2]));
		cr_store_close(s);
		if (e)
			return cli_fail("user", "%s", m.text[0] ? m.text : cr_strerror(e));
		if (audit_failed)
			return 1;
		printf("%s %s\n", !strcmp(sub, "rm") ? "removed user" : "new password for", argv[2]);
		return 0;
	}
	fprintf(stderr, "usage: cristal user add NAME [--role admin|member|auditor] [--group G]... [--tenant T] [--email ADDR]...\n"
			"                [--password-stdin]\n"
			"       cristal user list [--json] | rm NAME | passwd NAME (password on stdin)\n"
			"       cristal user email NAME [ADDR]...\n");
	return 2;
}

static int token_create(cr_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"user", required_argument, 0, 'u'},
					     {"label", required_argument, 0, 'l'},
					     {"expires", required_argument, 0, 'e'},
					     {0}};
	const char *user = NULL, *label = NULL;
	int days = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'u': user = optarg; break;
		case 'l': label = optarg; break;
		case 'e': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 36500)
				return cli_fail("token create", "--expires wants days from 1 to 36500, not '%s'", optarg);
			days = (int)v;
			break;
		}
		default: return 2;
		}
	}
	if (!user || optind != argc)
		return cli_fail("token create", "usage: cristal token create --user NAME [--label L] [--expires DAYS]");
	cr_store *s;
	if (open_store(cli, "token create", &s))
		return 1;
	char tok[CR_AUTH_TOKEN_LEN + 1];
	int64_t id = 0;
	cr_msg m = {{0}};
	cr_err e = cr_auth_token_create(s, user, label, days, tok, &id, &m);
	int audit_failed = !e && cli_audit(s, "token.create", json_pack("{sI ss ss* si}", "id", (json_int_t)id, "user", user,
									 "label", label, "days", days));
	cr_store_close(s);
	if (e)
		return cli_fail("token create", "%s", m.text[0] ? m.text : cr_strerror(e));
	if (audit_failed)
		return 1;
	char exp[40] = "no expiry";
	if (days) {
		time_t tt = (time_t)(cr_wallclock() + (int64_t)days * 86400);
		struct tm tm;
		gmtime_r(&tt, &tm);
		strftime(exp, sizeof exp, "expires %Y-%m-%d", &tm);
	}
	printf("token %lld for %s%s%s (%s); shown once, keep it secret:\n%s\n", (long long)id, user,
	       label ? ", " : "", label ? label : "", exp, tok);
	return 0;
}

int cmd_token(cr_cli *cli, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";
	if (!strcmp(sub, "create"))
		return token_create(cli, argc - 1, argv + 1);
	if (!strcmp(sub, "list"))
		return do_list(cli, 1, argc - 1, argv + 1);
	if (!strcmp(sub, "revoke") && argc == 3) {
		char *end;
		long long id = strtoll(argv[2], &end, 10);
		if (*end || id < 1)
			return cli_fail("token revoke", "a token id (token list shows them), not '%s'", argv[2]);
		cr_store *s;
		if (open_store(cli, "token revoke", &s))
			return 1;
		cr_msg m = {{0}};
		cr_err e = cr_store_token_revoke(s, id, &m);
		int audit_failed = !e && cli_audit(s, "token.revoke", json_pack("{sI}", "id", (json_int_t)id));
		cr_store_close(s);
		if (e)
			return cli_fail("token revoke", "%s", m.text[0] ? m.text : cr_strerror(e));
		if (audit_failed)
			return 1;
		printf("revoked token %lld\n", id);
		return 0;
	}
	fprintf(stderr, "usage: cristal token create --user NAME [--label L] [--expires DAYS]\n"
			"       cristal token list [--json] | revoke ID\n");
	return 2;
}
