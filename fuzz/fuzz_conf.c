/* fuzz_conf.c — the configuration file's parser (conf.h): any bytes give a
 * table or an error with a line; every entry of a table is then read back
 * (strings are valid UTF-8 of their length, arrays of one kind), and the
 * typed look-ups and the known-key check run over it. */
#include <stdint.h>
#include <string.h>

#include "cristal/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cr_conf *c;
	cr_msg m = {{0}};
	if (cr_conf_parse((const char *)data, size, "fuzz.toml", &c, &m)) {
		CR_ASSERT(m.text[0]);
		return 0;
	}
	const char *t, *k;
	const cr_conf_val *v;
	for (size_t i = 0; cr_conf_entry(c, i, &t, &k, &v); i++) {
		CR_ASSERT(cr_conf_get(c, t, k) == v);
		if (v->type == CR_CONF_STR)
			CR_ASSERT(cr_utf8_valid((const uint8_t *)v->str, strlen(v->str)));
		for (size_t j = 0; v->type == CR_CONF_ARRAY && j < v->n_items; j++) {
			CR_ASSERT(v->items[j].type == v->items[0].type);
			if (v->items[j].type == CR_CONF_STR)
				CR_ASSERT(cr_utf8_valid((const uint8_t *)v->items[j].str, strlen(v->items[j].str)));
		}
		const char *s = NULL;
		int64_t n = 0;
		int b = 0;
		CR_IGNORE(cr_conf_str(c, t, k, &s, NULL));
		CR_IGNORE(cr_conf_int(c, t, k, -5, 5, &n, NULL));
		CR_IGNORE(cr_conf_bool(c, t, k, &b, NULL));
	}
	static const char *const known[] = {"server.listen", "governance.*", "top", NULL};
	CR_IGNORE(cr_conf_check(c, known, NULL));
	cr_conf_free(c);
	return 0;
}
