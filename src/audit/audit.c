/*
 * audit.c — appending to the audit log: canonical detail, the chained
 * hash, and Ed25519 seals of the head with a key kept apart from the
 * catalog (audit.h).
 */
#include "audit_int.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct cr_audit {
	int has_key;
	char head_path[4096]; /* key_path + ".head": the last signed head, outside the catalog */
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
	char pub_hex[65];
	int every;
	atomic_long unsealed; /* records this handle appended since its last seal */
};

void cr_audit_time_str(int64_t us, char out[48])
{
	time_t sec = (time_t)(us / 1000000);
	long frac = (long)(us % 1000000);
	if (frac < 0) {
		frac += 1000000;
		sec--;
	}
	struct tm tm;
	gmtime_r(&sec, &tm);
	snprintf(out, 48, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

static cr_err field(cr_buf *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	char len[24];
	snprintf(len, sizeof len, "%zu:", n);
	cr_err e = cr_buf_adds(b, len);
	if (!e)
		e = cr_buf_add(b, s ? s : "", n);
	return e ? e : cr_buf_add(b, "\n", 1);
}

void cr_audit_hash(int64_t seq, const char *time, const char *actor, const char *action, const char *detail,
		   const char *prev, char out[65])
{
	cr_buf b;
	cr_buf_init(&b, 0);
	char n[24];
	snprintf(n, sizeof n, "%lld", (long long)seq);
	cr_err e = cr_buf_adds(&b, "cristal-audit-1\n");
	const char *f[] = {n, time, actor, action, detail, prev};
	for (size_t i = 0; i < CR_ARRAY_LEN(f) && !e; i++)
		e = field(&b, f[i]);
	if (e) /* cannot hash what could not be built: a hash no record has */
		memset(out, '0', 64), out[64] = 0;
	else
		cr_sha256_hex(b.data, b.len, out);
	cr_buf_release(&b);
}

size_t cr_audit_seal_msg(int64_t head, const char *head_hash, char *out, size_t cap)
{
	int n = snprintf(out, cap, "cristal-audit-seal-1\n%lld\n%s", (long long)head, head_hash ? head_hash : "");
	return n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
}

/* -- the key -- */

static cr_err read_hex(const char *path, unsigned char *out, size_t n, cr_msg *m)
{
	uint8_t *p;
	size_t len;
	cr_err e = cr_file_read(path, 4096, &p, &len, m);
	if (e)
		return e;
	size_t bin_len = 0;
	int rc = sodium_hex2bin(out, n, (const char *)p, len, " \t\r\n", &bin_len, NULL);
	cr_free(p);
	if (rc || bin_len != n)
		return cr_fail(m, CR_ECORRUPT, "%s: not a key (%zu hex bytes expected)", path, n);
	return CR_OK;
}

static cr_err write_hex(const char *path, const unsigned char *b, size_t n, mode_t mode, cr_msg *m)
{
	char hex[2 * crypto_sign_SECRETKEYBYTES + 2];
	sodium_bin2hex(hex, sizeof hex, b, n);
	size_t len = strlen(hex);
	hex[len++] = '\n';
	/* O_EXCL: two processes creating the key at once must not both win */
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return cr_fail(m, errno == EEXIST ? CR_EEXIST : CR_EIO, "%s: %s", path, strerror(errno));
	ssize_t w = write(fd, hex, len);
	int bad = w != (ssize_t)len || fsync(fd) != 0;
	close(fd);
	sodium_memzero(hex, sizeof hex);
	if (bad) {
		unlink(path);
		return cr_fail(m, CR_EIO, "%s: cannot write the key", path);
	}
	return CR_OK;
}

static cr_err load_or_create_key(cr_audit *au, const char *path, cr_msg *m)
{
	char pub_path[4096];
	if (snprintf(pub_path, sizeof pub_path, "%s.pub", path) >= (int)sizeof pub_path)
		return cr_fail(m, CR_EINVAL, "audit key path too long");
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	if (access(path, F_OK) != 0) {
		crypto_sign_keypair(pk, au->sk);
		cr_err e = write_hex(path, au->sk, sizeof au->sk, 0600, m);
		if (e == CR_EEXIST)
			return load_or_create_key(au, path, m); /* another process made it first */
		if (e)
			return e;
		unlink(pub_path);
		if ((e = write_hex(pub_path, pk, sizeof pk, 0644, m)))
			return e;
	} else {
		struct stat st;
		if (stat(path, &st) == 0 && (st.st_mode & 077))
			return cr_fail(m, CR_EDENIED, "%s: the audit key is readable by others (chmod 600 it)", path);
		cr_err e = read_hex(path, au->sk, sizeof au->sk, m);
		if (e)
			return e;
		crypto_sign_ed25519_sk_to_pk(pk, au->sk);
	}
	sodium_bin2hex(au->pub_hex, sizeof au->pub_hex, pk, sizeof pk);
	au->has_key = 1;
	return CR_OK;
}

cr_err cr_audit_open(const cr_audit_opts *o, cr_audit **out, cr_msg *m)
{
	*out = NULL;
	if (sodium_init() < 0)
		return cr_fail(m, CR_EIO, "audit: libsodium failed to start");
	cr_audit *au = cr_calloc(1, sizeof *au);
	if (!au)
		return cr_fail(m, CR_ENOMEM, "out of memory");
	au->every = o && o->sign_every > 0 ? o->sign_every : AUDIT_DEFAULT_EVERY;
	if (o && o->key_path) {
		if (snprintf(au->head_path, sizeof au->head_path, "%s.head", o->key_path) >= (int)sizeof au->head_path) {
			cr_free(au);
			return cr_fail(m, CR_EINVAL, "audit key path too long");
		}
		cr_err e = load_or_create_key(au, o->key_path, m);
		if (e) {
			sodium_memzero(au, sizeof *au);
			cr_free(au);
			return e;
		}
	}
	*out = au;
	return CR_OK;
}

const char *cr_audit_public_key(const cr_audit *au)
{
	return au && au->has_key ? au->pub_hex : "";
}

/* -- appending -- */

typedef struct seal_ctx {
	cr_audit *au;
	int is_seal;
	char detail[512];
	char checkpoint[256]; /* "<head> <head_hash> <sig>\n" */
} seal_ctx;

static void seal_fn(void *ctx, cr_audit_row *r, char hash[65])
{
	seal_ctx *c = ctx;
	if (c->is_seal) {
		/* the head is the record before this one: known only now */
		char msg[128];
		size_t n = cr_audit_seal_msg(r->seq - 1, r->prev, msg, sizeof msg);
		unsigned char sig[crypto_sign_BYTES];
		crypto_sign_detached(sig, NULL, (const unsigned char *)msg, n, c->au->sk);
		char sig_hex[2 * crypto_sign_BYTES + 1];
		sodium_bin2hex(sig_hex, sizeof sig_hex, sig, sizeof sig);
		/* keys in sorted order: the canonical form */
		snprintf(c->detail, sizeof c->detail, "{\"head\":%lld,\"head_hash\":\"%s\",\"key\":\"%s\",\"sig\":\"%s\"}",
			 (long long)(r->seq - 1), r->prev, c->au->pub_hex, sig_hex);
		r->detail = c->detail;
		snprintf(c->checkpoint, sizeof c->checkpoint, "%lld %s %s\n", (long long)(r->seq - 1), r->prev, sig_hex);
	}
	char t[48];
	cr_audit_time_str(r->time, t);
	cr_audit_hash(r->seq, t, r->actor, r->action, r->detail, r->prev, hash);
}

cr_err cr_audit_seal(cr_audit *au, cr_store *s, cr_msg *m)
{
	if (!au->has_key)
		return CR_OK;
	seal_ctx c = {.au = au, .is_seal = 1};
	cr_audit_row r = {.actor = "cristal", .action = AUDIT_SEAL, .detail = "{}"};
	cr_err e = cr_store_audit_append(s, &r, seal_fn, &c, m);
	if (e)
		return e;
	atomic_store(&au->unsealed, 0);
	/* The signed head, kept beside the key as well: a log truncated or
	 * rewritten back past it, seals and all, no longer holds that head. */
	return cr_file_write_atomic(au->head_path, c.checkpoint, strlen(c.checkpoint), m);
}

cr_err cr_audit_log(cr_audit *au, cr_store *s, const char *actor, const char *action, const char *detail,
		    int64_t *seq, cr_msg *m)
{
	if (!au || !s)
		return cr_fail(m, CR_EINVAL, "audit: no log");
	if (action && !strcmp(action, AUDIT_SEAL))
		return cr_fail(m, CR_EINVAL, "audit: %s is the log's own action", AUDIT_SEAL);
	json_error_t je;
	json_t *j = json_loads(detail && *detail ? detail : "{}", 0, &je);
	if (!j || !json_is_object(j)) {
		json_decref(j);
		return cr_fail(m, CR_EINVAL, "audit: detail must be a JSON object");
	}
	char *canon = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	if (!canon)
		return cr_fail(m, CR_ENOMEM, "out of memory");
	seal_ctx c = {.au = au};
	cr_audit_row r = {.actor = actor, .action = action, .detail = canon};
	cr_err e = cr_store_audit_append(s, &r, seal_fn, &c, m);
	free(canon);
	if (e)
		return e;
	if (seq)
		*seq = r.seq;
	long n = atomic_fetch_add(&au->unsealed, 1) + 1;
	if (au->has_key && n >= au->every)
		return cr_audit_seal(au, s, m);
	return CR_OK;
}

cr_err cr_audit_close(cr_audit *au, cr_store *s, cr_msg *m)
{
	if (!au)
		return CR_OK;
	cr_err e = CR_OK;
	if (s && au->has_key && atomic_load(&au->unsealed) > 0)
		e = cr_audit_seal(au, s, m);
	sodium_memzero(au, sizeof *au);
	cr_free(au);
	return e;
}

/* -- export -- */

typedef struct export_ctx {
	FILE *f;
	int64_t n;
	cr_err e;
	cr_msg *m;
} export_ctx;

static int export_one(void *ctx, const cr_audit_row *r)
{
	export_ctx *x = ctx;
	json_error_t je;
	json_t *detail = json_loads(r->detail, 0, &je);
	char t[48];
	cr_audit_time_str(r->time, t);
	/* a detail that is not JSON (only a tampered catalog has one) is
	 * exported as a string, so verify reports that record */
	json_t *o = json_pack("{sI ss ss ss so ss ss}", "seq", (json_int_t)r->seq, "time", t, "actor", r->actor, "action",
			      r->action, "detail", detail ? detail : json_string(r->detail), "prev", r->prev, "hash",
			      r->hash);
	char *line = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	if (!line) {
		x->e = cr_fail(x->m, CR_ENOMEM, "out of memory");
		return 1;
	}
	int bad = fputs(line, x->f) < 0 || fputc('\n', x->f) < 0;
	free(line);
	if (bad) {
		x->e = cr_fail(x->m, CR_EIO, "audit export: %s", strerror(errno));
		return 1;
	}
	x->n++;
	return 0;
}

cr_err cr_audit_export(cr_store *s, int64_t since_us, FILE *f, int64_t *n, cr_msg *m)
{
	export_ctx x = {.f = f, .m = m};
	cr_err e = cr_store_audit_list(s, 0, since_us, export_one, &x, m);
	if (!e)
		e = x.e;
	if (!e && fflush(f) != 0)
		e = cr_fail(m, CR_EIO, "audit export: %s", strerror(errno));
	if (n)
		*n = x.n;
	return e;
}
