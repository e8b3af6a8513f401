/*
 * audit_int.h — what the audit files share: the record hash and the seal
 * message (audit.h states both formats), and the time format.
 */
#ifndef CR_AUDIT_INT_H
#define CR_AUDIT_INT_H

#include "cristal/audit.h"

#define AUDIT_SEAL "audit.seal"
#define AUDIT_DEFAULT_EVERY 64

/* UTC "YYYY-MM-DDTHH:MM:SS.ffffffZ" of unix microseconds. */
void cr_audit_time_str(int64_t us, char out[48]);
/* The record's hash, time given as its string form. */
void cr_audit_hash(int64_t seq, const char *time, const char *actor, const char *action, const char *detail,
		   const char *prev, char out[65]);
/* The message a seal of head (seq, hash) signs, into out; returns its length. */
size_t cr_audit_seal_msg(int64_t head, const char *head_hash, char *out, size_t cap);

#endif
