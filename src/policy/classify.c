/*
 * classify.c — classification levels, the markers that raise a document's
 * level, and a provider trust's clearance (policy.h).
 */
#include "cristal/policy.h"

#include <string.h>

static const char *const NAMES[] = {"public", "internal", "confidential", "secret"};

const char *cr_class_name(int level)
{
	if (level < 0)
		return "public";
	return level > CR_CLASS_SECRET ? "secret" : NAMES[level];
}

int cr_class_parse(const char *name)
{
	for (int i = 0; name && i <= CR_CLASS_SECRET; i++)
		if (!strcmp(name, NAMES[i]))
			return i;
	return -1;
}

/* A marker: its bytes, whether ASCII case is ignored, whether it must
 * stand as a word (no ASCII letter on either side), and its level. */
typedef struct marker {
	const char *s;
	int fold, word, level;
} marker;

static const marker MARKERS[] = {
	{"\xe6\xa5\xb5\xe7\xa7\x98", 0, 0, CR_CLASS_SECRET},                     /* 極秘 */
	{"strictly confidential", 1, 1, CR_CLASS_SECRET},
	{"\xe7\xa4\xbe\xe5\xa4\x96\xe7\xa7\x98", 0, 0, CR_CLASS_CONFIDENTIAL}, /* 社外秘 */
	{"\xe6\xa9\x9f\xe5\xaf\x86", 0, 0, CR_CLASS_CONFIDENTIAL},             /* 機密 */
	{"\xe5\x8f\x96\xe6\x89\xb1\xe6\xb3\xa8\xe6\x84\x8f", 0, 0, CR_CLASS_CONFIDENTIAL}, /* 取扱注意 */
	{"Confidential", 0, 1, CR_CLASS_CONFIDENTIAL},
	{"CONFIDENTIAL", 0, 1, CR_CLASS_CONFIDENTIAL},
	{"internal use only", 1, 1, CR_CLASS_INTERNAL},
};

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }
static int letter(int c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

static int at(const char *t, size_t len, size_t i, const marker *k, size_t kl)
{
	if (i + kl > len)
		return 0;
	for (size_t j = 0; j < kl; j++) {
		int a = (unsigned char)t[i + j], b = (unsigned char)k->s[j];
		if (k->fold ? lower(a) != b : a != b)
			return 0;
	}
	if (k->word && ((i > 0 && letter((unsigned char)t[i - 1])) || (i + kl < len && letter((unsigned char)t[i + kl]))))
		return 0;
	return 1;
}

int cr_class_of_text(const char *text, size_t len)
{
	int best = -1;
	for (size_t m = 0; m < sizeof MARKERS / sizeof *MARKERS; m++) {
		const marker *k = &MARKERS[m];
		if (k->level <= best)
			continue;
		size_t kl = strlen(k->s);
		unsigned char first = (unsigned char)k->s[0];
		for (size_t i = 0; i + kl <= len; i++) {
			unsigned char c = (unsigned char)text[i];
			if ((k->fold ? lower(c) : c) != first)
				continue;
			if (at(text, len, i, k, kl)) {
				best = k->level;
				break;
			}
		}
	}
	return best;
}

int cr_class_clearance(const char *trust)
{
	if (trust && (!strcmp(trust, "local") || !strcmp(trust, "onprem")))
		return CR_CLASS_SECRET;
	if (trust && !strcmp(trust, "external"))
		return CR_CLASS_INTERNAL;
	return CR_CLASS_PUBLIC;
}

static int pick(const cr_egress *e, const char *trust)
{
	if (!trust)
		return -1;
	return !strcmp(trust, "local") ? e->local : !strcmp(trust, "onprem") ? e->onprem
			: !strcmp(trust, "external") ? e->external : -1;
}

int cr_egress_clearance(const cr_egress_policy *p, const char *tenant, const char *trust)
{
	int lv = -1;
	for (size_t i = 0; p && tenant && i < p->n_tenants && lv < 0; i++)
		if (!strcmp(p->tenants[i], tenant))
			lv = pick(&p->per_tenant[i], trust);
	if (lv < 0 && p)
		lv = pick(&p->base, trust);
	return lv >= 0 ? lv : cr_class_clearance(trust);
}
