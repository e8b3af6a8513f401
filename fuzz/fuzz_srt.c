/* fuzz_srt.c — libFuzzer target for the SRT reader (transcript.c).
 * On success every document, section and metadata string is read to the
 * end, so a length or pointer gone wrong shows up under ASan. Seeds in
 * fuzz/corpus/srt/. */
#include <stdint.h>
#include <string.h>

#include "ingest/ingest_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cr_arena a;
	cr_arena_init(&a, 256u << 20);
	cr_extract_limits lim = cr_extract_limits_default();
	lim.max_seconds = 10;
	cr_msg m;
	m.text[0] = 0;
	cr_doc *d = cr_arena_zalloc(&a, sizeof *d);
	d->name = "fuzz.srt";
	cr_xctx x = {.a = &a, .lim = &lim, .m = &m, .root = d, .deadline = cr_now() + lim.max_seconds};
	static const uint8_t empty[1];
	if (!data)
		data = empty;
	cr_err e = cr_x_srt(&x, data, size, d);
	volatile size_t sink = 0;
	if (e == CR_OK) {
		for (cr_doc *p = d; p; p = p->next) {
			sink += p->title ? strlen(p->title) : 0;
			sink += p->author ? strlen(p->author) : 0;
			for (size_t i = 0; i < p->n_meta; i++)
				sink += strlen(p->meta[i].key) + strlen(p->meta[i].value);
			for (size_t i = 0; i < p->n_sections; i++) {
				const cr_section *s = &p->sections[i];
				if (s->len)
					sink += (uint8_t)s->text[s->len - 1] + strlen(s->text);
				sink += s->loc.speaker ? strlen(s->loc.speaker) : 0;
				sink += s->loc.symbol ? strlen(s->loc.symbol) : 0;
				sink += s->loc.heading ? strlen(s->loc.heading) : 0;
			}
		}
	}
	(void)sink;
	cr_arena_release(&a);
	return 0;
}
