/*
 * policy.h — the classification of documents and what may leave for which
 * provider (the egress rule).
 *
 * Levels, in rising order: public, internal (the default), confidential,
 * secret. A document's level is the highest of what ingest was told
 * (--classification) and the markers its text carries:
 *   secret        極秘, "Strictly confidential"
 *   confidential  社外秘, 機密, 取扱注意, "Confidential" / "CONFIDENTIAL"
 *                 (as a word, capitalised: the lower-case adjective in
 *                 running text is not a marker)
 *   internal      "Internal use only"
 * (cr_acl.classification holds it, store.h). A provider's trust sets its
 * clearance, the highest level its requests may carry: external providers
 * internal, onprem and local ones secret.
 *
 * Threads: pure functions.
 */
#ifndef CRISTAL_POLICY_H
#define CRISTAL_POLICY_H

#include "cristal/base.h"

typedef enum {
	CR_CLASS_PUBLIC = 0,
	CR_CLASS_INTERNAL = 1,
	CR_CLASS_CONFIDENTIAL = 2,
	CR_CLASS_SECRET = 3
} cr_class;

/* "public", "internal", "confidential", "secret" ("secret" above it). */
CR_API const char *cr_class_name(int level);
/* The level a name gives, or -1. */
CR_API int cr_class_parse(const char *name);
/* The highest level the markers in text give, or -1 when it has none. */
CR_API int cr_class_of_text(const char *text, size_t len);
/* The clearance of a provider trust ("local", "onprem", "external"; an
 * unknown one gets public). */
CR_API int cr_class_clearance(const char *trust);

/* The egress policy (the configuration's [governance.egress] and
 * [governance.egress.TENANT]): per trust, the highest level a request may
 * carry; a tenant's own table overrides the base for that tenant. A level
 * < 0 keeps the default (cr_class_clearance). */
typedef struct cr_egress {
	int local, onprem, external;
} cr_egress;
typedef struct cr_egress_policy {
	cr_egress base;
	const char **tenants;     /* tenant names ... */
	const cr_egress *per_tenant; /* ... and their tables */
	size_t n_tenants;
} cr_egress_policy;
/* The clearance for a provider of this trust in this tenant (NULL tenant:
 * the base; NULL policy: cr_class_clearance). */
CR_API int cr_egress_clearance(const cr_egress_policy *p, const char *tenant, const char *trust);

#endif
