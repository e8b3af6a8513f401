/* ingest_fuzz.h — shared by the ingest fuzz targets.
 * fuzz_extract (fuzz_pdf, fuzz_ooxml, fuzz_html, fuzz_csv, fuzz_charset) runs
 * the dispatcher on the input under a given file name with tight limits,
 * then reads every string of every document to its end and chunks it, so a
 * wrong length or pointer shows up under ASan; any section that is not valid
 * UTF-8 aborts (a finding). fuzz_extractor (fuzz_chat, fuzz_vtt, fuzz_srt,
 * fuzz_mail) calls one extractor directly and reads what it returns the same
 * way. */
#ifndef CR_FUZZ_INGEST_H
#define CR_FUZZ_INGEST_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cristal/ingest.h"
#include "ingest/ingest_int.h"

static inline size_t fuzz_read_loc(const cr_loc *l)
{
	size_t n = 0;
	n += l->sheet ? strlen(l->sheet) : 0;
	n += l->speaker ? strlen(l->speaker) : 0;
	n += l->heading ? strlen(l->heading) : 0;
	n += l->symbol ? strlen(l->symbol) : 0;
	return n;
}

static inline void fuzz_extract(const char *name, const uint8_t *data, size_t size)
{
	cr_arena a;
	cr_arena_init(&a, 512u << 20);
	cr_extract_limits lim = cr_extract_limits_default();
	lim.max_seconds = 10;
	lim.max_unzip_bytes = 64u << 20;
	lim.max_text_bytes = 16u << 20;
	cr_msg m;
	m.text[0] = 0;
	cr_doc *d = NULL;
	volatile size_t sink = 0;
	if (cr_extract(&a, name, data, size, &lim, &d, &m) == CR_OK) {
		for (cr_doc *p = d; p; p = p->next) {
			sink += strlen(p->name) + strlen(p->type) + strlen(p->title);
			sink += p->author ? strlen(p->author) : 0;
			for (size_t i = 0; i < p->n_meta; i++)
				sink += strlen(p->meta[i].key) + strlen(p->meta[i].value);
			for (size_t i = 0; i < p->n_sections; i++) {
				const cr_section *s = &p->sections[i];
				if (strlen(s->text) != s->len || !cr_utf8_valid((const uint8_t *)s->text, s->len))
					abort();
				sink += fuzz_read_loc(&s->loc);
			}
			cr_chunk *c;
			size_t n;
			if (cr_chunk_doc(&a, p, NULL, &c, &n) == CR_OK)
				for (size_t i = 0; i < n; i++) {
					if (strlen(c[i].text) != c[i].len || !cr_utf8_valid((const uint8_t *)c[i].text, c[i].len))
						abort();
					sink += fuzz_read_loc(&c[i].loc);
				}
		}
	} else if (!m.text[0]) {
		abort(); /* every failure must say why */
	}
	(void)sink;
	cr_arena_release(&a);
}

/* Reads every string of every document in the list to its end; readers
 * (they widen an ACL) must be addresses in cr_email_norm's form, once each. */
static inline size_t fuzz_read_docs(const cr_doc *d)
{
	size_t sink = 0;
	for (const cr_doc *p = d; p; p = p->next) {
		for (size_t i = 0; i < p->n_readers; i++) {
			char norm[CR_EMAIL_MAX];
			if (!p->readers_kind || !cr_email_norm(p->readers[i], strlen(p->readers[i]), norm, sizeof norm) ||
			    strcmp(norm, p->readers[i]))
				abort();
			for (size_t k = 0; k < i; k++)
				if (!strcmp(p->readers[k], p->readers[i]))
					abort();
		}
		sink += p->title ? strlen(p->title) : 0;
		sink += p->author ? strlen(p->author) : 0;
		for (size_t i = 0; i < p->n_meta; i++)
			sink += strlen(p->meta[i].key) + strlen(p->meta[i].value);
		for (size_t i = 0; i < p->n_sections; i++) {
			const cr_section *s = &p->sections[i];
			if (s->len)
				sink += (uint8_t)s->text[s->len - 1] + strlen(s->text);
			sink += fuzz_read_loc(&s->loc);
		}
	}
	return sink;
}

/* Runs one extractor on the input as the file `name`. */
static inline void fuzz_extractor(cr_extractor fn, const char *name, const uint8_t *data, size_t size)
{
	cr_arena a;
	cr_arena_init(&a, 256u << 20);
	cr_extract_limits lim = cr_extract_limits_default();
	lim.max_seconds = 10;
	cr_msg m;
	m.text[0] = 0;
	cr_doc *d = cr_arena_zalloc(&a, sizeof *d);
	d->name = name;
	cr_xctx x = {.a = &a, .lim = &lim, .m = &m, .root = d, .deadline = cr_now() + lim.max_seconds};
	static const uint8_t empty[1];
	if (!data)
		data = empty;
	volatile size_t sink = 0;
	if (fn(&x, data, size, d) == CR_OK)
		sink += fuzz_read_docs(d);
	(void)sink;
	cr_arena_release(&a);
}

#endif
