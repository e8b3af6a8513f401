/*
 * morph.c — cr_text_morphs: MeCab's morphemes with their IPADIC features,
 * for callers that need parts of speech (pii's person names) rather than
 * index terms. Uses the analyzer's own tagger and lattice (so the same
 * one-per-thread rule holds) and the process-wide model of japanese.c.
 */
#include "text_int.h"

#include <mecab.h>

cr_err cr_text_morphs(cr_analyzer *a, const char *text, size_t len, cr_text_morph_fn fn, void *ctx, cr_msg *m)
{
	if (!a || !fn || (!text && len))
		return CR_EINVAL;
	if (len > UINT32_MAX)
		return cr_fail(m, CR_ETOOBIG, "text: %zu bytes is over 4 GiB", len);
	if (!a->have_mecab)
		return cr_fail(m, CR_ENOTFOUND, "text: no MeCab dictionary");
	if (!len)
		return CR_OK;
	mecab_lattice_set_sentence2(a->mecab.lattice, text, len);
	if (!mecab_parse_lattice(a->mecab.tagger, a->mecab.lattice))
		return cr_fail(m, CR_ENOMEM, "text: MeCab could not parse");
	const mecab_node_t *node = mecab_lattice_get_bos_node(a->mecab.lattice);
	for (; node; node = node->next) {
		if (node->stat == MECAB_BOS_NODE || node->stat == MECAB_EOS_NODE || !node->length)
			continue;
		if (node->surface < text || node->surface + node->length > text + len)
			continue;
		cr_text_morph mo;
		mo.start = (uint32_t)(node->surface - text);
		mo.end = mo.start + node->length;
		mo.feature = node->feature ? node->feature : "";
		if (fn(ctx, &mo))
			return CR_ECANCELED;
	}
	return CR_OK;
}
