/*
 * verify.c — checking the audit chain, live or exported (audit.h): seq
 * unbroken from 1, each prev the hash before it, each hash its content's,
 * each seal a valid signature of the head before it by the trusted key,
 * and no longer unsigned stretch than allowed. Stops at the first bad
 * record and says what is wrong with it.
 */
#include "audit_int.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct checker {
	const cr_audit_check *c;
	cr_audit_verdict *v;
	int max_unsealed;
	int from_file;
	int64_t expect; /* the next seq (0: not started) */
	char prev[65];
	int64_t since_seal;
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	int have_pk, trusted;
	int64_t cp_seq; /* the signed checkpoint's head (0: none) */
	char cp_hash[65];
	int cp_seen;
} checker;

CR_PRINTF(3, 4) static int bad(checker *k, int64_t seq, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(k->v->reason, sizeof k->v->reason, fmt, ap);
	va_end(ap);
	k->v->intact = 0;
	k->v->bad_seq = seq;
	return 1;
}

static int check_seal(checker *k, int64_t seq, const char *detail, const char *prev)
{
	json_error_t je;
	json_t *j = json_loads(detail, 0, &je);
	json_int_t head = -1;
	const char *head_hash = NULL, *key = NULL, *sig = NULL;
	int ok = j && !json_unpack(j, "{sI ss ss ss}", "head", &head, "head_hash", &head_hash, "key", &key, "sig", &sig);
	int r = 0;
	unsigned char pk[crypto_sign_PUBLICKEYBYTES], sg[crypto_sign_BYTES];
	size_t n_pk = 0, n_sg = 0;
	if (!ok || sodium_hex2bin(pk, sizeof pk, key, strlen(key), NULL, &n_pk, NULL) || n_pk != sizeof pk ||
	    sodium_hex2bin(sg, sizeof sg, sig, strlen(sig), NULL, &n_sg, NULL) || n_sg != sizeof sg) {
		r = bad(k, seq, "record %lld: a seal without a readable head, key and signature", (long long)seq);
		goto out;
	}
	if (head != seq - 1 || strcmp(head_hash, prev) != 0) {
		r = bad(k, seq, "record %lld: the seal names a head (%lld) that is not the record before it",
			(long long)seq, (long long)head);
		goto out;
	}
	if (!k->have_pk) { /* no trusted key given: the log's first */
		memcpy(k->pk, pk, sizeof pk);
		k->have_pk = 1;
	}
	if (memcmp(pk, k->pk, sizeof pk) != 0) {
		r = bad(k, seq, "record %lld: sealed with another key than the %s one", (long long)seq,
			k->trusted ? "trusted" : "log's first");
		goto out;
	}
	char msg[128];
	size_t n = cr_audit_seal_msg(head, head_hash, msg, sizeof msg);
	if (crypto_sign_verify_detached(sg, (const unsigned char *)msg, n, k->pk) != 0) {
		r = bad(k, seq, "record %lld: the signature of head %lld does not verify: the chain up to it was rewritten",
			(long long)seq, (long long)head);
		goto out;
	}
	k->v->n_seals++;
	k->v->last_sealed = head;
out:
	json_decref(j);
	return r;
}

/* One record; 1 stops (the verdict says why). */
static int check(checker *k, int64_t seq, const char *time, const char *actor, const char *action,
		 const char *detail, const char *prev, const char *hash)
{
	cr_audit_verdict *v = k->v;
	if (!k->expect) {
		v->first_seq = seq;
		if (seq != 1 && !k->from_file)
			return bad(k, seq, "the log starts at record %lld: the records before it were deleted",
				   (long long)seq);
		if (seq == 1 && *prev)
			return bad(k, seq, "record 1 names a predecessor: records were inserted before it");
		if (seq != 1) /* an export --since: its first prev is taken as given */
			snprintf(k->prev, sizeof k->prev, "%s", prev);
		k->expect = seq;
	}
	if (seq < k->expect)
		return bad(k, seq, "record %lld comes after record %lld: records were reordered or duplicated",
			   (long long)seq, (long long)(k->expect - 1));
	if (seq > k->expect)
		return bad(k, seq, "record%s %lld%s%.0lld missing before record %lld", seq - k->expect > 1 ? "s" : "",
			   (long long)k->expect, seq - k->expect > 1 ? "-" : "",
			   seq - k->expect > 1 ? (long long)(seq - 1) : 0LL, (long long)seq);
	if (strcmp(prev, k->prev) != 0)
		return bad(k, seq, "record %lld: prev is not the hash of record %lld: a record was removed, inserted or changed",
			   (long long)seq, (long long)(seq - 1));
	char h[65];
	cr_audit_hash(seq, time, actor, action, detail, prev, h);
	if (strcmp(h, hash) != 0)
		return bad(k, seq, "record %lld: its hash does not match its content: the record was edited",
			   (long long)seq);
	if (k->cp_seq == seq) {
		if (strcmp(hash, k->cp_hash) != 0)
			return bad(k, seq, "record %lld is not the one signed in the checkpoint beside the key: the log was rewritten",
				   (long long)seq);
		k->cp_seen = 1;
	}
	if (!strcmp(action, AUDIT_SEAL)) {
		if (check_seal(k, seq, detail, prev))
			return 1;
		k->since_seal = 0;
	} else if (++k->since_seal > k->max_unsealed && k->have_pk) {
		return bad(k, seq, "record %lld: more than %d records without a signature: seals were removed",
			   (long long)seq, k->max_unsealed);
	}
	snprintf(k->prev, sizeof k->prev, "%s", hash);
	k->expect = seq + 1;
	v->n_records++;
	v->last_seq = seq;
	return 0;
}

/* The checkpoint beside the key: "<head> <hash> <signature>", signed as a
 * seal is. Absent: nothing to check (no seal was ever made there). */
static cr_err read_checkpoint(checker *k, const char *path, cr_msg *m)
{
	uint8_t *p;
	size_t n;
	cr_msg why = {{0}};
	if (cr_file_read(path, 4096, &p, &n, &why))
		return CR_OK;
	char text[512];
	snprintf(text, sizeof text, "%.*s", (int)n, (const char *)p);
	cr_free(p);
	long long head = 0;
	char hash[65], sig[2 * crypto_sign_BYTES + 1];
	unsigned char sg[crypto_sign_BYTES];
	size_t bl = 0;
	if (sscanf(text, "%lld %64s %128s", &head, hash, sig) != 3 || head < 1 ||
	    sodium_hex2bin(sg, sizeof sg, sig, strlen(sig), NULL, &bl, NULL) || bl != sizeof sg)
		return cr_fail(m, CR_ECORRUPT, "%s: not an audit checkpoint", path);
	char msg[128];
	size_t len = cr_audit_seal_msg(head, hash, msg, sizeof msg);
	if (crypto_sign_verify_detached(sg, (const unsigned char *)msg, len, k->pk) != 0)
		return cr_fail(m, CR_ECORRUPT, "%s: the checkpoint's signature does not verify with the trusted key", path);
	k->cp_seq = head;
	snprintf(k->cp_hash, sizeof k->cp_hash, "%s", hash);
	return CR_OK;
}

static cr_err start(checker *k, const cr_audit_check *c, cr_audit_verdict *v, int from_file, cr_msg *m)
{
	memset(v, 0, sizeof *v);
	memset(k, 0, sizeof *k);
	v->intact = 1;
	k->c = c;
	k->v = v;
	k->from_file = from_file;
	k->max_unsealed = c && c->max_unsealed > 0 ? c->max_unsealed : 2 * AUDIT_DEFAULT_EVERY;
	if (sodium_init() < 0)
		return cr_fail(m, CR_EIO, "audit: libsodium failed to start");
	if (c && c->public_key) {
		size_t n = 0;
		if (sodium_hex2bin(k->pk, sizeof k->pk, c->public_key, strlen(c->public_key), " \r\n", &n, NULL) ||
		    n != sizeof k->pk)
			return cr_fail(m, CR_EINVAL, "audit: the public key is not 64 hex characters");
		k->have_pk = k->trusted = 1;
	}
	if (c && c->head_path && k->trusted)
		return read_checkpoint(k, c->head_path, m);
	return CR_OK;
}

static void finish(checker *k)
{
	cr_audit_verdict *v = k->v;
	if (!v->intact)
		return;
	/* An export may end before the checkpoint (it was made earlier): only
	 * the live log must reach it. */
	if (k->cp_seq && !k->cp_seen && !k->from_file && v->last_seq < k->cp_seq) {
		bad(k, v->last_seq + 1, "the log ends at record %lld, but record %lld was signed: records were deleted from the end",
		    (long long)v->last_seq, (long long)k->cp_seq);
		return;
	}
	if (k->have_pk && v->n_records && k->since_seal > k->max_unsealed) {
		bad(k, v->last_seq, "the last %lld records are not signed (at most %d may be)", (long long)k->since_seal,
		    k->max_unsealed);
		return;
	}
	snprintf(v->reason, sizeof v->reason, "%lld records%s%lld-%lld, %lld seals%s; %lld unsigned at the end%s",
		 (long long)v->n_records, v->n_records ? " " : "", (long long)v->first_seq, (long long)v->last_seq,
		 (long long)v->n_seals, k->trusted ? " (trusted key)" : " (the log's own key: none was given)",
		 (long long)k->since_seal, v->first_seq > 1 ? "; the export starts after record 1" : "");
}

static int store_row(void *ctx, const cr_audit_row *r)
{
	char t[48];
	cr_audit_time_str(r->time, t);
	return check(ctx, r->seq, t, r->actor, r->action, r->detail, r->prev, r->hash);
}

cr_err cr_audit_verify_store(cr_store *s, const cr_audit_check *c, cr_audit_verdict *v, cr_msg *m)
{
	checker k;
	cr_err e = start(&k, c, v, 0, m);
	if (!e)
		e = cr_store_audit_list(s, 0, 0, store_row, &k, m);
	if (!e)
		finish(&k);
	return e;
}

cr_err cr_audit_verify_file(const char *path, const cr_audit_check *c, cr_audit_verdict *v, cr_msg *m)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return cr_fail(m, CR_ENOTFOUND, "%s: cannot open", path);
	cr_err e = cr_audit_verify_stream(f, c, v, m);
	fclose(f);
	if (e == CR_EIO)
		return cr_fail(m, CR_EIO, "%s: read error", path);
	return e;
}

cr_err cr_audit_verify_stream(FILE *f, const cr_audit_check *c, cr_audit_verdict *v, cr_msg *m)
{
	checker k;
	cr_err e = start(&k, c, v, 1, m);
	if (e)
		return e;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int64_t no = 0;
	while ((len = getline(&line, &cap, f)) >= 0) {
		no++;
		if (len <= 1 && (len == 0 || line[0] == '\n'))
			continue;
		json_error_t je;
		json_t *j = json_loads(line, 0, &je);
		json_int_t seq = 0;
		const char *time = NULL, *actor = NULL, *action = NULL, *prev = NULL, *hash = NULL;
		json_t *detail = NULL;
		if (!j || json_unpack(j, "{sI ss ss ss so ss ss}", "seq", &seq, "time", &time, "actor", &actor, "action",
				      &action, "detail", &detail, "prev", &prev, "hash", &hash)) {
			json_decref(j);
			bad(&k, -no, "line %lld: not an audit record", (long long)no);
			break;
		}
		/* the stored form of detail: compact, sorted keys (cr_audit_log) */
		char *canon = json_is_string(detail) ? strdup(json_string_value(detail))
						     : json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
		int stop = !canon || check(&k, seq, time, actor, action, canon, prev, hash);
		free(canon);
		json_decref(j);
		if (stop)
			break;
	}
	free(line);
	if (ferror(f))
		return cr_fail(m, CR_EIO, "audit export: read error");
	finish(&k);
	return CR_OK;
}

cr_err cr_audit_read_public_key(const char *path, char out[65], cr_msg *m)
{
	uint8_t *p;
	size_t n;
	cr_err e = cr_file_read(path, 1024, &p, &n, m);
	if (e)
		return e;
	size_t j = 0;
	for (size_t i = 0; i < n && j < 64; i++)
		if (!strchr(" \t\r\n", p[i]))
			out[j++] = (char)p[i];
	out[j] = 0;
	cr_free(p);
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	size_t bl = 0;
	if (j != 64 || sodium_hex2bin(pk, sizeof pk, out, 64, NULL, &bl, NULL) || bl != sizeof pk)
		return cr_fail(m, CR_ECORRUPT, "%s: not an audit public key", path);
	return CR_OK;
}
