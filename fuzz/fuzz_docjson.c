/* fuzz_docjson.c — the reader of extracted documents as JSON
 * (cr_docs_from_json, src/ingest/docjson.c): what the jailed extraction
 * worker hands back, which a subverted worker controls. Nothing may crash
 * or leak; an accepted list must have named documents whose sections' len
 * is their text's length, and writing it back and reading that again must
 * give the same JSON (the round trip is exact), and its readers must be
 * addresses in cr_email_norm's form under a kind. Seeds in
 * fuzz/corpus/docjson/ (real extractor output). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/ingest_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_msg m = {{0}};
	cr_doc *d = NULL;
	if (!cr_docs_from_json(&a, (const char *)data, size, &d, &m)) {
		for (const cr_doc *x = d; x; x = x->next) {
			if (!x->name || !*x->name)
				abort();
			for (size_t i = 0; i < x->n_readers; i++) {
				char norm[CR_EMAIL_MAX];
				if (!x->readers_kind || !x->readers[i] ||
				    !cr_email_norm(x->readers[i], strlen(x->readers[i]), norm, sizeof norm) ||
				    strcmp(norm, x->readers[i]))
					abort(); /* readers widen an ACL: only clean addresses pass */
			}
			for (size_t i = 0; i < x->n_sections; i++)
				if (!x->sections[i].text || strlen(x->sections[i].text) != x->sections[i].len)
					abort();
		}
		cr_buf b1, b2;
		cr_buf_init(&b1, 0);
		cr_buf_init(&b2, 0);
		cr_doc *d2 = NULL;
		if (!cr_docs_to_json(d, &b1)) {
			if (cr_docs_from_json(&a, b1.data, b1.len, &d2, &m) || cr_docs_to_json(d2, &b2) ||
			    b1.len != b2.len || memcmp(b1.data, b2.data, b1.len))
				abort();
		}
		cr_buf_release(&b1);
		cr_buf_release(&b2);
	} else if (!m.text[0]) {
		abort();
	}
	cr_arena_release(&a);
	return 0;
}
