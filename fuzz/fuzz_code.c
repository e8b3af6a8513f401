/* fuzz_code.c — libFuzzer target for the source-code splitter (code.c): the
 * first byte picks the file name (and so the language's symbol patterns),
 * the rest is the file. On success every section and symbol is read to the
 * end and line ranges are checked to be ordered, so a bad offset shows up
 * under ASan or as an abort. Seeds in fuzz/corpus/code/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/ingest_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *names[] = {"a.c",  "a.cpp", "a.py", "a.js", "a.ts", "a.go", "a.rs",  "A.java",
				      "a.rb", "a.sh",  "a.sql", "a.lua", "a.pl", "a.kt", "a.php", "noext"};
	if (size < 1)
		return 0;
	const char *name = names[data[0] % (sizeof names / sizeof names[0])];
	data++;
	size--;
	cr_arena a;
	cr_arena_init(&a, 256u << 20);
	cr_extract_limits lim = cr_extract_limits_default();
	lim.max_seconds = 10;
	cr_msg m;
	m.text[0] = 0;
	cr_doc *d = cr_arena_zalloc(&a, sizeof *d);
	d->name = name;
	cr_xctx x = {.a = &a, .lim = &lim, .m = &m, .root = d, .deadline = cr_now() + lim.max_seconds};
	volatile size_t sink = 0;
	if (cr_x_code(&x, data, size, d) == CR_OK) {
		int prev = 0;
		for (size_t i = 0; i < d->n_sections; i++) {
			const cr_section *s = &d->sections[i];
			if (s->loc.line_start < prev || s->loc.line_end < s->loc.line_start)
				abort();
			prev = s->loc.line_start;
			sink += strlen(s->text) + (s->loc.symbol ? strlen(s->loc.symbol) : 0);
		}
	}
	(void)sink;
	cr_arena_release(&a);
	return 0;
}
