/* fuzz_jsonl.c — libFuzzer target for the JSON Lines line parser
 * (cr_jsonl_parse_line in src/corpus/jsonl.c): the input is split at
 * newlines like cr_corpus_ingest_jsonl does and every line parsed without
 * a catalog. On success every string is read to its end (id and meta are
 * NUL-terminated, title and text have lengths, which must match the
 * strings) so a wrong length shows up under ASan; on failure the reason
 * must be a non-empty message. The one-pass reader must agree with
 * jansson's (cr_jsonl_parse_line_ref): the same outcome, the same strings.
 * Seeds in fuzz/corpus/jsonl/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "corpus/corpus_int.h"

static void check(const cr_jsonl_rec *r)
{
	if (!r->id || !*r->id || (!r->text && !r->title))
		abort();
	volatile size_t n = strlen(r->id);
	if (r->title && strlen(r->title) != r->title_len)
		abort();
	if (r->text && strlen(r->text) != r->text_len)
		abort();
	if (!r->title && r->title_len)
		abort();
	if (r->meta_json && r->meta_json[0] != '{')
		abort();
	(void)n;
}

static int same_str(const char *a, size_t al, const char *b, size_t bl)
{
	return (!a && !b) || (a && b && al == bl && !memcmp(a, b, al));
}

static void agree(const cr_jsonl_rec *r, cr_err e, const char *line, size_t len)
{
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_jsonl_rec ref;
	cr_msg m;
	m.text[0] = 0;
	cr_err er = cr_jsonl_parse_line_ref(&a, line, len, &ref, &m);
	if (e != CR_ENOMEM && er != CR_ENOMEM) {
		if ((e == CR_OK) != (er == CR_OK))
			abort();
		if (!e && (!same_str(r->id, r->id ? strlen(r->id) : 0, ref.id, ref.id ? strlen(ref.id) : 0) ||
			   !same_str(r->title, r->title_len, ref.title, ref.title_len) ||
			   !same_str(r->text, r->text_len, ref.text, ref.text_len) ||
			   !same_str(r->meta_json, r->meta_json ? strlen(r->meta_json) : 0, ref.meta_json,
				     ref.meta_json ? strlen(ref.meta_json) : 0)))
			abort();
	}
	cr_arena_release(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cr_arena a;
	cr_arena_init(&a, 64u << 20);
	const char *p = (const char *)data, *end = p + size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		/* the line without its newline, in its own allocation so reads past it are caught */
		size_t len = (size_t)(le - p);
		char *line = malloc(len ? len : 1);
		if (!line)
			break;
		memcpy(line, p, len);
		cr_jsonl_rec r;
		cr_msg m;
		m.text[0] = 0;
		cr_err e = cr_jsonl_parse_line(&a, line, len, &r, &m);
		if (e == CR_OK)
			check(&r);
		else if (!m.text[0] || (e != CR_ECORRUPT && e != CR_ENOMEM))
			abort();
		agree(&r, e, line, len);
		free(line);
		p = nl ? nl + 1 : end;
	}
	cr_arena_release(&a);
	return 0;
}
