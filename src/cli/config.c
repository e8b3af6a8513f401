/*
 * config.c — the configuration file (docs/CONFIG.md): which file is read
 * (--config FILE, else $CRISTAL_CONFIG, else /etc/cristal/cristal.toml when
 * it exists), the keys the program knows, and the process-wide ones applied
 * at start: data.dir, log.level, time.zone, answer.glossary. Subcommands
 * read their own tables from cli->conf (serve: [server], [providers]).
 *
 * Precedence, everywhere: a command-line flag, then the environment
 * ($CRISTAL_DATA, $TZ), then the file, then the built-in default.
 */
#include "cli.h"
#include "cristal/conf.h"
#include "cristal/crypt.h"
#include "cristal/lexicon.h"
#include "cristal/policy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Every key the program reads; tables ending in ".*" belong to parts that
 * check their own keys (governance: path rules and egress). */
static const char *const known[] = {
	"data.dir",
	"log.level",
	"time.zone",
	"server.listen",
	"server.threads",
	"server.max_body",
	"server.max_upload",
	"server.tls_cert",
	"server.tls_key",
	"server.mcp_clearance",
	"server.extract_worker",
	"providers.default",
	"encryption.key_file",
	"answer.glossary",
	"governance.*", /* path rules: cmd_ingest.c checks their keys */
	NULL,
};

static int bad(const cr_msg *m)
{
	fprintf(stderr, "cristal: config: %s\n", m->text);
	return CLI_USAGE;
}

/* An IANA zone name the system has (/usr/share/zoneinfo/NAME), or UTC. */
static int zone_ok(const char *z)
{
	if (!strcmp(z, "UTC"))
		return 1;
	if (!*z || z[0] == '/' || strstr(z, "..") || strlen(z) > 200)
		return 0;
	char path[256];
	snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", z);
	struct stat st;
	return !stat(path, &st) && S_ISREG(st.st_mode);
}

/* One egress table: local, onprem, external (levels; absent: -1). */
static int egress_table(const cr_conf *c, const char *table, cr_egress *e)
{
	*e = (cr_egress){-1, -1, -1};
	static const char *const keys[] = {"local", "onprem", "external"};
	int *dst[] = {&e->local, &e->onprem, &e->external};
	for (size_t i = 0; i < 3; i++) {
		const char *v = NULL;
		cr_msg m = {{0}};
		if (cr_conf_str(c, table, keys[i], &v, &m))
			return bad(&m);
		if (v && (*dst[i] = cr_class_parse(v)) < 0) {
			fprintf(stderr, "cristal: config: %s:%d: %s.%s '%s': expected public, internal, confidential or secret\n",
				cr_conf_name(c), cr_conf_get(c, table, keys[i])->line, table, keys[i], v);
			return CLI_USAGE;
		}
	}
	return 0;
}

/* The egress policy: [governance.egress] local/onprem/external, and a
 * tenant's own [governance.egress.TENANT] (docs/CONFIG.md). */
static int egress_load(cr_cli *cli)
{
	static cr_egress_policy pol;
	static const char *names[64];
	static cr_egress per[64];
	const cr_conf *c = cli->conf;
	const char *t, *k;
	const cr_conf_val *v;
	int any = 0;
	for (size_t i = 0; cr_conf_entry(c, i, &t, &k, &v); i++) {
		if (strcmp(t, "governance.egress") && strncmp(t, "governance.egress.", 18))
			continue;
		any = 1;
		if (strcmp(k, "local") && strcmp(k, "onprem") && strcmp(k, "external")) {
			fprintf(stderr, "cristal: config: %s:%d: unknown setting %s.%s (the egress tables take local, "
					"onprem and external)\n", cr_conf_name(c), v->line, t, k);
			return CLI_USAGE;
		}
		if (!strcmp(t, "governance.egress"))
			continue;
		size_t j = 0;
		while (j < pol.n_tenants && strcmp(names[j], t + 18))
			j++;
		if (j == pol.n_tenants) {
			if (j == 64) {
				fprintf(stderr, "cristal: config: at most 64 tenants' egress tables\n");
				return CLI_USAGE;
			}
			names[j] = t + 18;
			int rc = egress_table(c, t, &per[j]);
			if (rc)
				return rc;
			pol.n_tenants++;
		}
	}
	if (!any)
		return 0;
	int rc = egress_table(c, "governance.egress", &pol.base);
	if (rc)
		return rc;
	pol.tenants = names;
	pol.per_tenant = per;
	cli->egress = &pol;
	return 0;
}

int cli_config_load(cr_cli *cli, const char *path)
{
	int explicit = path != NULL;
	if (!path && (path = getenv("CRISTAL_CONFIG")) && *path)
		explicit = 1;
	if (!explicit)
		path = CLI_CONFIG_DEFAULT;
	cr_msg m = {{0}};
	cr_conf *c;
	cr_err e = cr_conf_load(path, &c, &m);
	if (e == CR_ENOTFOUND && !explicit)
		return 0; /* no file at the default path: the built-in defaults */
	if (e)
		return bad(&m);
	const char *dir = NULL, *level = NULL, *zone = NULL, *glossary = NULL;
	if (cr_conf_check(c, known, &m) || cr_conf_str(c, "data", "dir", &dir, &m) ||
	    cr_conf_str(c, "log", "level", &level, &m) || cr_conf_str(c, "time", "zone", &zone, &m) ||
	    cr_conf_str(c, "answer", "glossary", &glossary, &m)) {
		cr_conf_free(c);
		return bad(&m);
	}
	if (dir && !*dir) {
		fprintf(stderr, "cristal: config: %s: data.dir is empty\n", path);
		cr_conf_free(c);
		return CLI_USAGE;
	}
	if (level) {
		static const char *const names[] = {"debug", "info", "warn", "error"};
		int l = -1;
		for (int i = 0; i < 4; i++)
			if (!strcmp(level, names[i]))
				l = i;
		if (l < 0) {
			fprintf(stderr, "cristal: config: %s:%d: log.level must be debug, info, warn or error, not '%s'\n",
				path, cr_conf_get(c, "log", "level")->line, level);
			cr_conf_free(c);
			return CLI_USAGE;
		}
		if (!cli->verbose)
			cr_log_set_level((cr_log_level)l);
	}
	if (zone) {
		if (!zone_ok(zone)) {
			fprintf(stderr,
				"cristal: config: %s:%d: time.zone '%s' is not a time zone of this system "
				"(a name under /usr/share/zoneinfo, such as Asia/Tokyo, or UTC)\n",
				path, cr_conf_get(c, "time", "zone")->line, zone);
			cr_conf_free(c);
			return CLI_USAGE;
		}
		if (!getenv("TZ")) {
			setenv("TZ", zone, 1);
			tzset();
		}
	}
	if (glossary) {
		errno = 0;
		/* read on first use; a file that is not there is a mistake to
		 * say now, not a warning in the middle of an answer */
		if (access(glossary, R_OK) || cr_lexicon_set_glossary(glossary)) {
			fprintf(stderr, "cristal: config: %s:%d: answer.glossary '%s': %s\n", path,
				cr_conf_get(c, "answer", "glossary")->line, glossary,
				errno ? strerror(errno) : "path too long");
			cr_conf_free(c);
			return CLI_USAGE;
		}
	}
	if (!cli->data_dir && !getenv("CRISTAL_DATA") && dir)
		cli->data_dir = dir;
	cli->conf = c;
	return egress_load(cli);
}

int cli_key_load(cr_cli *cli)
{
	const char *file = getenv("CRISTAL_KEY_FILE"), *text = getenv("CRISTAL_KEY");
	if (file && !*file)
		file = NULL;
	if (text && !*text)
		text = NULL;
	if (file && text) {
		fprintf(stderr, "cristal: both CRISTAL_KEY_FILE and CRISTAL_KEY are set: set one\n");
		return CLI_USAGE;
	}
	cr_msg m = {{0}};
	if (!file && !text && cli->conf && cr_conf_str(cli->conf, "encryption", "key_file", &file, &m))
		return bad(&m);
	if (file && !*file) {
		fprintf(stderr, "cristal: config: encryption.key_file is empty\n");
		return CLI_USAGE;
	}
	if (!file && !text)
		return 0;
	static cr_key *key; /* kept until the process ends: locked, left out of core dumps */
	cr_err e = file ? cr_key_from_file(file, &key, &m) : cr_key_from_text(text, &key, &m);
	if (e) {
		fprintf(stderr, "cristal: %s%s\n", text ? "CRISTAL_KEY: " : "", m.text);
		return 1;
	}
	cli->key = key;
	cr_key_set_process(key);
	return 0;
}
