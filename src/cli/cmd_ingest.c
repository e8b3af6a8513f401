/*
 * cmd_ingest.c — `cristal ingest PATH...` and `cristal ingest --jsonl FILE`.
 *
 * Prints progress on stderr when it is a terminal, every newly rejected file
 * with its reason on stderr (files rejected before and unchanged since are
 * counted, and listed with "known": true in --json), and a summary on stdout (one JSON object with
 * --json). Exits 0 when every readable document was ingested, even if some
 * files were rejected; 1 with a one-line reason when the ingest itself
 * failed (catalog, index, a root that does not exist).
 */
#include "cli.h"
#include "cristal/conf.h"
#include "cristal/corpus.h"
#include "cristal/policy.h"

#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

typedef struct prog {
	int tty;
	int json;
	const cr_ingest_report *rep; /* updated by the ingest as it goes (this thread) */
	double t0;
	cr_buf rejects; /* JSON array body */
	int n_rejects;
	double last;
} prog;

static void usage(FILE *f)
{
	fprintf(f, "usage: cristal [--data DIR] ingest [--json] [--threads N] [--acl group:G|user:U]...\n"
		   "                              [--tenant T] [--classification LEVEL] [--acl-from-owner]\n"
		   "                              [--acl-from-mail] [--acl-from-chat] PATH...\n"
		   "       cristal [--data DIR] ingest [--json] [--threads N] --jsonl FILE\n\n"
		   "Ingests folders, files, git repositories (tracked files and the commit log) and\n"
		   "Slack-style exports. Re-running is incremental: unchanged files are skipped,\n"
		   "changed ones replaced, and files gone from disk removed. Documents are named by\n"
		   "their path relative to the ingested root, prefixed with the root's name\n"
		   "(ingest samples -> samples/docs/handbook.md).\n\n"
		   "  --jsonl FILE  one document per line: {\"_id\"|\"id\", \"title\", \"text\", ...}\n"
		   "  --json        print the summary as one JSON object on stdout\n"
		   "  --threads N   threads to use (default: one per core, at most 4; or $CR_INGEST_THREADS)\n"
		   "  --acl-from-owner  each file readable by its POSIX owner and group, when a\n"
		   "                catalog user (of the tenant) and group have their names; a file\n"
		   "                whose owner and group map to nothing is open to the tenant\n"
		   "  --acl-from-mail  each message (eml, mbox) and its attachments readable by\n"
		   "                the addresses of its From, To, Cc and Bcc: the users given\n"
		   "                them (user add --email), now or later; an mbox's own table of\n"
		   "                contents by the --acl readers only (nobody without --acl)\n"
		   "  --acl-from-chat  each day of a Slack-style export's channel readable by its\n"
		   "                members (channels.json, groups.json, mpims.json, dms.json),\n"
		   "                by the addresses users.json gives them\n"
		   "                (both add to --acl; a file whose ACL alone changed is updated\n"
		   "                from the catalog, not read again)\n"
		   "  --acl group:G | --acl user:U\n"
		   "                who may read the documents: members of group G (any number of\n"
		   "                --acl group:), user U (one); none: everyone in the tenant.\n"
		   "                Re-ingesting with other --acl or --tenant replaces the ACL of\n"
		   "                unchanged files too\n"
		   "  --tenant T    the tenant the documents belong to (default: default)\n"
		   "  --classification public|internal|confidential|secret\n"
		   "                the documents' level (default internal); markers in the text\n"
		   "                (社外秘, 機密, 極秘, 取扱注意, Confidential, Strictly confidential,\n"
		   "                Internal use only) raise it. confidential and secret never\n"
		   "                reach an external provider\n"
		   "Rejected files are listed on stderr with their reason; they do not fail the run.\n");
}

static void on_file(void *ctx, const char *name, cr_file_outcome o, const char *reason, uint64_t done,
		    uint64_t total)
{
	prog *p = ctx;
	if (o == CR_FILE_REJECTED || o == CR_FILE_REJECTED_KNOWN) {
		/* --json lists every rejection; stderr only the new ones */
		if (p->n_rejects++)
			CR_IGNORE(cr_buf_addc(&p->rejects, ','));
		CR_IGNORE(cr_buf_adds(&p->rejects, "{\"name\":"));
		CR_IGNORE(cr_buf_add_json_str(&p->rejects, name, strlen(name)));
		CR_IGNORE(cr_buf_adds(&p->rejects, ",\"reason\":"));
		CR_IGNORE(cr_buf_add_json_str(&p->rejects, reason ? reason : "", reason ? strlen(reason) : 0));
		CR_IGNORE(cr_buf_adds(&p->rejects, o == CR_FILE_REJECTED_KNOWN ? ",\"known\":true}" : "}"));
	}
	if (o == CR_FILE_REJECTED) {
		if (p->tty)
			fputs("\r\033[K", stderr);
		fputs("rejected: ", stderr);
		cli_put(stderr, name, 0);
		fputs(": ", stderr);
		cli_put(stderr, reason ? reason : "unknown reason", 0);
		fputc('\n', stderr);
	}
	if (!p->tty)
		return;
	double now = cr_now();
	if (now - p->last < 0.1 && done < total)
		return;
	p->last = now;
	/* files done of all, MB of text, rate, and the file at hand (its end) */
	double secs = now - p->t0, mb = p->rep ? (double)p->rep->bytes / 1e6 : 0;
	char line[160];
	int n = snprintf(line, sizeof line, "[%llu/%llu files, %.1f MB, %.0f files/s, %.1f MB/s] ",
			 (unsigned long long)done, (unsigned long long)total, mb, secs > 0 ? done / secs : 0.0,
			 secs > 0 ? mb / secs : 0.0);
	int w = 78 - (n > 0 ? n : 0);
	size_t nl = strlen(name);
	const char *shown = w > 10 && nl > (size_t)w ? name + nl - (size_t)w : name;
	while (shown > name && ((unsigned char)*shown & 0xc0) == 0x80)
		shown++; /* start on a character */
	fputs("\r\033[K", stderr);
	fputs(line, stderr);
	cli_put(stderr, shown, 0);
	fflush(stderr);
}

/* Names to ids: the tenant ("default" is 0), the user and the groups must
 * exist (a typo would hide the documents from everyone). acl comes zeroed
 * but for its classification. */
static int acl_resolve(cr_corpus *cp, const char *tenant, const char *user, const char *const *groups,
		       size_t n_groups, uint32_t *group_ids, cr_acl *acl)
{
	if (!tenant && !user && !n_groups)
		return 0;
	cr_store *s;
	cr_msg m = {{0}};
	cr_err e = cr_corpus_store_acquire(cp, &s, &m);
	if (e)
		return cli_fail("ingest", "%s", m.text[0] ? m.text : cr_strerror(e));
	int rc = 0;
	int64_t id;
	if (tenant && strcmp(tenant, "default")) {
		if ((e = cr_store_name_id(s, 1, tenant, &id, &m)))
			rc = cli_fail("ingest", "--tenant %s: %s", tenant, m.text[0] ? m.text : cr_strerror(e));
		else
			acl->tenant = (uint32_t)id;
	}
	for (size_t i = 0; i < n_groups && !rc; i++) {
		if ((e = cr_store_name_id(s, 0, groups[i], &id, &m)))
			rc = cli_fail("ingest", "--acl group:%s: %s", groups[i], m.text[0] ? m.text : cr_strerror(e));
		else
			group_ids[i] = (uint32_t)id;
	}
	if (user && !rc) {
		cr_arena a;
		cr_arena_init(&a, 0);
		cr_user_row u;
		e = cr_store_user_get(s, &a, user, 0, &u, &m);
		if (e == CR_ENOTFOUND)
			rc = cli_fail("ingest", "--acl user:%s: no such user (cristal user list)", user);
		else if (e)
			rc = cli_fail("ingest", "%s", m.text[0] ? m.text : cr_strerror(e));
		else if (u.tenant_id != acl->tenant)
			rc = cli_fail("ingest", "--acl user:%s: the user is in tenant %s, not %s", user,
				      u.tenant ? u.tenant : "default", tenant ? tenant : "default");
		else
			acl->owner = (uint32_t)u.id;
		cr_arena_release(&a);
	}
	acl->groups = n_groups ? group_ids : NULL;
	acl->n_groups = (uint32_t)n_groups;
	cr_corpus_store_release(cp, s);
	return rc;
}

/* --acl-from-owner: a file's POSIX owner and group, by name, as the
 * catalog user (of the run's tenant) and group who may read it. Names are
 * looked up once per uid and gid. */
typedef struct owner_map {
	cr_corpus *cp;
	uint32_t tenant;
	struct {
		uint32_t id, to; /* to: 0 when the name maps to nothing */
	} users[256], groups[256];
	size_t n_users, n_groups;
} owner_map;

static cr_err owner_acl(void *ctx, uint32_t uid, uint32_t gid, cr_acl *acl)
{
	owner_map *om = ctx;
	size_t i;
	for (i = 0; i < om->n_users && om->users[i].id != uid; i++)
		;
	if (i == om->n_users) {
		if (i == 256)
			return CR_ETOOBIG;
		uint32_t to = 0;
		struct passwd pw, *pp = NULL;
		char buf[4096];
		if (!getpwuid_r(uid, &pw, buf, sizeof buf, &pp) && pp) {
			cr_store *s;
			cr_arena a;
			cr_arena_init(&a, 0);
			cr_user_row u;
			cr_err e = cr_corpus_store_acquire(om->cp, &s, NULL);
			if (e)
				return e;
			e = cr_store_user_get(s, &a, pp->pw_name, 0, &u, NULL);
			cr_corpus_store_release(om->cp, s);
			if (!e && u.tenant_id == om->tenant)
				to = (uint32_t)u.id;
			cr_arena_release(&a);
			if (e && e != CR_ENOTFOUND)
				return e;
		}
		om->users[om->n_users].id = uid;
		om->users[om->n_users++].to = to;
	}
	uint32_t owner = om->users[i].to;
	for (i = 0; i < om->n_groups && om->groups[i].id != gid; i++)
		;
	if (i == om->n_groups) {
		if (i == 256)
			return CR_ETOOBIG;
		uint32_t to = 0;
		struct group gr, *gp = NULL;
		char buf[4096];
		if (!getgrgid_r(gid, &gr, buf, sizeof buf, &gp) && gp) {
			cr_store *s;
			int64_t id;
			cr_msg m = {{0}};
			cr_err e = cr_corpus_store_acquire(om->cp, &s, NULL);
			if (e)
				return e;
			e = cr_store_name_id(s, 0, gp->gr_name, &id, &m);
			cr_corpus_store_release(om->cp, s);
			if (!e)
				to = (uint32_t)id;
			else if (e != CR_ENOTFOUND)
				return e;
		}
		om->groups[om->n_groups].id = gid;
		om->groups[om->n_groups++].to = to;
	}
	if (owner || om->groups[i].to) {
		acl->owner = owner;
		acl->groups = om->groups[i].to ? &om->groups[i].to : NULL;
		acl->n_groups = om->groups[i].to ? 1 : 0;
	}
	return CR_OK;
}

/* The configuration's path rules, [governance.paths.NAME] (docs/CONFIG.md):
 *   prefix = "samples/finance"            required: names as search prints them
 *   acl = ["group:finance", "user:sato"]  groups (and one user) who may read
 *   tenant = "acme"
 *   classification = "confidential"
 * Names resolve as --acl does; any other key, or a name that does not
 * exist, stops the ingest before it starts. */
static int rules_load(cr_cli *cli, cr_corpus *cp, cr_arena *a, cr_path_rule **out, size_t *n_out)
{
	*out = NULL;
	*n_out = 0;
	const cr_conf *c = cli->conf;
	const char *t, *k;
	const cr_conf_val *v;
	size_t n = 0;
	static const char pre[] = "governance.paths.";
	/* the rules' tables, in the file's order */
	const char *tables[64];
	for (size_t i = 0; c && cr_conf_entry(c, i, &t, &k, &v); i++) {
		if (strncmp(t, pre, sizeof pre - 1) || !t[sizeof pre - 1] || strchr(t + sizeof pre - 1, '.'))
			continue;
		if (strcmp(k, "prefix") && strcmp(k, "acl") && strcmp(k, "tenant") && strcmp(k, "classification"))
			return cli_usage_fail("ingest", "config: %s:%d: %s.%s: a path rule takes prefix, acl, tenant and "
							"classification", cr_conf_name(c), v->line, t, k);
		size_t j = 0;
		while (j < n && strcmp(tables[j], t))
			j++;
		if (j == n) {
			if (n == 64)
				return cli_usage_fail("ingest", "config: at most 64 path rules");
			tables[n++] = t;
		}
	}
	if (!n)
		return 0;
	cr_path_rule *r = cr_arena_zalloc(a, n * sizeof *r);
	if (!r)
		return cli_fail("ingest", "out of memory");
	for (size_t i = 0; i < n; i++) {
		const char *prefix = NULL, *tenant = NULL, *cls = NULL, *user = NULL;
		const char *groups[64];
		size_t n_groups = 0;
		cr_msg m = {{0}};
		if (cr_conf_str(c, tables[i], "prefix", &prefix, &m) || cr_conf_str(c, tables[i], "tenant", &tenant, &m) ||
		    cr_conf_str(c, tables[i], "classification", &cls, &m))
			return cli_usage_fail("ingest", "config: %s", m.text);
		if (!prefix || !*prefix)
			return cli_usage_fail("ingest", "config: [%s] needs a prefix", tables[i]);
		r[i].prefix = prefix;
		r[i].classification = -1;
		if (cls && (r[i].classification = cr_class_parse(cls)) < 0)
			return cli_usage_fail("ingest", "config: [%s] classification %s: expected public, internal, "
							"confidential or secret", tables[i], cls);
		const cr_conf_val *acl = cr_conf_get(c, tables[i], "acl");
		if (acl && acl->type != CR_CONF_ARRAY)
			return cli_usage_fail("ingest", "config: [%s] acl must be an array of \"group:G\" and \"user:U\"",
					      tables[i]);
		for (size_t j = 0; acl && j < acl->n_items; j++) {
			const cr_conf_val *x = &acl->items[j];
			if (x->type == CR_CONF_STR && !strncmp(x->str, "group:", 6) && x->str[6] && n_groups < 64)
				groups[n_groups++] = x->str + 6;
			else if (x->type == CR_CONF_STR && !strncmp(x->str, "user:", 5) && x->str[5] && !user)
				user = x->str + 5;
			else
				return cli_usage_fail("ingest", "config: %s:%d: [%s] acl: expected \"group:NAME\" or one "
								"\"user:NAME\"", cr_conf_name(c), x->line, tables[i]);
		}
		uint32_t *ids = n_groups ? cr_arena_alloc(a, n_groups * sizeof *ids) : NULL;
		if (n_groups && !ids)
			return cli_fail("ingest", "out of memory");
		cr_acl ra = {0};
		int rc = acl_resolve(cp, tenant, user, groups, n_groups, ids, &ra);
		if (rc)
			return rc;
		r[i].set_acl = acl != NULL;
		r[i].owner = ra.owner;
		r[i].groups = ra.groups;
		r[i].n_groups = ra.n_groups;
		r[i].set_tenant = tenant != NULL;
		r[i].tenant = ra.tenant;
	}
	*out = r;
	*n_out = n;
	return 0;
}

int cmd_ingest(cr_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
					     {"json", no_argument, NULL, 'j'},
					     {"jsonl", required_argument, NULL, 'l'},
					     {"threads", required_argument, NULL, 't'},
					     {"acl", required_argument, NULL, 'a'},
					     {"tenant", required_argument, NULL, 'T'},
					     {"classification", required_argument, NULL, 'C'},
					     {"acl-from-owner", no_argument, NULL, 'O'},
					     {"acl-from-mail", no_argument, NULL, 'M'},
					     {"acl-from-chat", no_argument, NULL, 'H'},
					     {0}};
	int level = CR_CLASS_INTERNAL, from_owner = 0, from_mail = 0, from_chat = 0;
	const char *jsonl = NULL, *tenant = NULL, *acl_user = NULL;
	const char *acl_groups[64];
	size_t n_acl_groups = 0;
	int threads = cli->ingest_threads;
	prog p = {0};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h': usage(stdout); return 0;
		case 'j': p.json = 1; break;
		case 'l': jsonl = optarg; break;
		case 'T': tenant = optarg; break;
		case 'O': from_owner = 1; break;
		case 'M': from_mail = 1; break;
		case 'H': from_chat = 1; break;
		case 'C':
			if ((level = cr_class_parse(optarg)) < 0)
				return cli_usage_fail("ingest", "--classification %s: expected public, internal, "
								"confidential or secret", optarg);
			break;
		case 'a':
			if (!strncmp(optarg, "group:", 6) && optarg[6]) {
				if (n_acl_groups == sizeof acl_groups / sizeof *acl_groups)
					return cli_usage_fail("ingest", "at most 64 --acl group: entries");
				acl_groups[n_acl_groups++] = optarg + 6;
			} else if (!strncmp(optarg, "user:", 5) && optarg[5]) {
				if (acl_user)
					return cli_usage_fail("ingest", "--acl user: may be given once (give several "
									"users a group)");
				acl_user = optarg + 5;
			} else
				return cli_usage_fail("ingest", "--acl %s: expected group:NAME or user:NAME", optarg);
			break;
		case 't': {
			int rc = cli_opt_threads("ingest", "--threads", optarg, &threads);
			if (rc)
				return rc;
			break;
		}
		default: usage(stderr); return 2;
		}
	}
	if (!jsonl && optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (jsonl && optind < argc)
		return cli_usage_fail("ingest", "--jsonl takes one file and no other paths");
	p.tty = cli_tty();
	cr_buf_init(&p.rejects, 0);
	cr_corpus *cp;
	cr_msg m = {{0}};
	cr_err e = cr_corpus_open(cli->data_dir, 1, &cp, &m);
	if (e) {
		cr_buf_release(&p.rejects);
		return cli_fail("ingest", "%s", m.text[0] ? m.text : cr_strerror(e));
	}
	cr_ingest_opts o = cr_ingest_opts_default();
	uint32_t group_ids[64];
	o.acl.classification = (uint8_t)level;
	cr_arena ra;
	cr_arena_init(&ra, 0);
	int arc = acl_resolve(cp, tenant, acl_user, acl_groups, n_acl_groups, group_ids, &o.acl);
	if (!arc)
		arc = rules_load(cli, cp, &ra, (cr_path_rule **)&o.rules, &o.n_rules);
	if (arc) {
		cr_arena_release(&ra);
		cr_corpus_close(cp);
		cr_buf_release(&p.rejects);
		return arc;
	}
	owner_map *om = NULL;
	if (from_owner) {
		if (jsonl || (acl_user || n_acl_groups)) {
			cr_arena_release(&ra);
			cr_corpus_close(cp);
			cr_buf_release(&p.rejects);
			return cli_usage_fail("ingest", "--acl-from-owner takes the readers from the files: not with --acl "
							"or --jsonl");
		}
		if (!(om = cr_arena_zalloc(&ra, sizeof *om))) {
			cr_arena_release(&ra);
			cr_corpus_close(cp);
			cr_buf_release(&p.rejects);
			return cli_fail("ingest", "out of memory");
		}
		om->cp = cp;
		om->tenant = o.acl.tenant;
		o.owner_acl = owner_acl;
		o.owner_acl_ctx = om;
	}
	o.acl_from_mail = from_mail;
	o.acl_from_chat = from_chat;
	o.progress = on_file;
	o.progress_ctx = &p;
	cr_ingest_report rep;
	memset(&rep, 0, sizeof rep);
	p.rep = &rep;
	p.t0 = cr_now();
	o.n_threads = threads;
	o.index_buffer = cli->index_buffer;
	if (jsonl)
		e = cr_corpus_ingest_jsonl(cp, jsonl, &o, &rep, &m);
	else
		e = cr_corpus_ingest(cp, (const char *const *)argv + optind, (size_t)(argc - optind), &o, &rep, &m);
	if (p.tty)
		fputs("\r\033[K", stderr);
	/* once an embedder is configured, new chunks get their vectors too */
	int vrc = e ? 0 : cli_vectors_after_ingest(cli, cp);
	json_t *roots = json_array();
	if (jsonl)
		json_array_append_new(roots, json_string(jsonl));
	for (int i = optind; !jsonl && i < argc; i++)
		json_array_append_new(roots, json_string(argv[i]));
	int audit_failed = cli_audit_corpus(
		cp, "ingest",
		json_pack("{so sI sI sI sI sI sb sb ss*}", "roots", roots, "ingested", (json_int_t)rep.ingested, "updated",
			  (json_int_t)rep.updated, "acl_updated", (json_int_t)rep.acl_updated, "deleted",
			  (json_int_t)rep.deleted, "rejected", (json_int_t)rep.rejected, "acl_from_mail", from_mail,
			  "acl_from_chat", from_chat, "error", e ? (m.text[0] ? m.text : cr_strerror(e)) : NULL));
	cr_corpus_close(cp);
	cr_arena_release(&ra);
	if (audit_failed) {
		cr_buf_release(&p.rejects);
		return 1;
	}
	if (p.json) {
		printf("{\"ingested\":%llu,\"updated\":%llu,\"unchanged\":%llu,\"deleted\":%llu,\"rejected\":%llu,"
		       "\"rejected_known\":%llu,\"acl_updated\":%llu,\"extracted\":%llu,\"chunks\":%llu,\"bytes\":%llu,"
		       "\"seconds\":%.3f,\"ok\":%s,\"rejections\":[%s]",
		       (unsigned long long)rep.ingested, (unsigned long long)rep.updated,
		       (unsigned long long)rep.unchanged, (unsigned long long)rep.deleted,
		       (unsigned long long)rep.rejected, (unsigned long long)rep.rejected_known,
		       (unsigned long long)rep.acl_updated, (unsigned long long)rep.extracted,
		       (unsigned long long)rep.chunks, (unsigned long long)rep.bytes, rep.seconds, e ? "false" : "true",
		       p.rejects.data ? p.rejects.data : "");
		if (e) {
			cr_buf err;
			cr_buf_init(&err, 0);
			const char *t = m.text[0] ? m.text : cr_strerror(e);
			CR_IGNORE(cr_buf_add_json_str(&err, t, strlen(t)));
			printf(",\"error\":%s", err.data);
			cr_buf_release(&err);
		}
		printf("}\n");
	} else {
		printf("ingested %llu, updated %llu, unchanged %llu, deleted %llu, rejected %llu "
		       "(%llu chunks, %.1f MB of text) in %.2f s\n",
		       (unsigned long long)rep.ingested, (unsigned long long)rep.updated,
		       (unsigned long long)rep.unchanged, (unsigned long long)rep.deleted,
		       (unsigned long long)rep.rejected, (unsigned long long)rep.chunks, rep.bytes / 1e6,
		       rep.seconds);
		if (rep.acl_updated)
			printf("(%llu of the updated files with only a new ACL: rewritten from the catalog, "
			       "nothing extracted)\n", (unsigned long long)rep.acl_updated);
		if (rep.rejected_known)
			printf("(%llu of them rejected before and unchanged since: not listed again; --json lists them)\n",
			       (unsigned long long)rep.rejected_known);
	}
	cr_buf_release(&p.rejects);
	if (e)
		return cli_fail("ingest", "%s", m.text[0] ? m.text : cr_strerror(e));
	return vrc;
}
