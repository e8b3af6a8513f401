/* json.c — an answer as one JSON object (what `ask --json` prints and the server returns). */
#include <string.h>

#include "answer_int.h"

#define PUT(x)                           \
	do {                             \
		if (!err)                \
			err = (x);       \
	} while (0)

static cr_err kstr(cr_buf *b, const char *key, const char *s)
{
	cr_err err = cr_buf_printf(b, "\"%s\":", key);
	if (!s)
		PUT(cr_buf_adds(b, "null"));
	else
		PUT(cr_buf_add_json_str(b, s, strlen(s)));
	return err;
}

static const cr_source *source_of(const cr_answer *ans, int n)
{
	for (size_t i = 0; i < ans->n_sources; i++)
		if (ans->sources[i].n == n)
			return &ans->sources[i];
	return NULL;
}

cr_err cr_answer_json(const cr_answer *ans, cr_buf *b)
{
	cr_err err = cr_buf_addc(b, '{');
	PUT(kstr(b, "answer", ans->text));
	PUT(cr_buf_addc(b, ','));
	PUT(kstr(b, "mode", ans->mode));
	PUT(cr_buf_addc(b, ','));
	PUT(kstr(b, "lang", ans->lang));
	PUT(cr_buf_printf(b, ",\"withheld\":%zu", ans->n_withheld));
	if (ans->differ[0]) /* only when the sources disagree: other answers keep their bytes */
		PUT(cr_buf_printf(b, ",\"sources_differ\":[%d,%d]", ans->differ[0], ans->differ[1]));
	PUT(cr_buf_printf(b, ",\"found\":%s,\"citations\":[", ans->found ? "true" : "false"));
	for (size_t i = 0; i < ans->n_citations; i++) {
		const cr_citation *c = &ans->citations[i];
		const cr_source *s = source_of(ans, c->n);
		PUT(cr_buf_printf(b, "%s{\"n\":%d,", i ? "," : "", c->n));
		PUT(kstr(b, "doc", s ? s->doc : NULL));
		PUT(cr_buf_addc(b, ','));
		PUT(kstr(b, "title", s ? s->title : NULL));
		PUT(cr_buf_addc(b, ','));
		PUT(kstr(b, "type", s ? s->type : NULL));
		PUT(cr_buf_adds(b, ",\"location\":"));
		if (s)
			PUT(cr_corpus_loc_json(b, &s->loc));
		else
			PUT(cr_buf_adds(b, "null"));
		PUT(cr_buf_addc(b, ','));
		PUT(kstr(b, "quote", c->quote));
		PUT(cr_buf_addc(b, '}'));
	}
	PUT(cr_buf_adds(b, "],\"retrieval\":["));
	for (size_t i = 0; i < ans->n_sources; i++) {
		const cr_source *s = &ans->sources[i];
		PUT(cr_buf_printf(b, "%s{\"n\":%d,", i ? "," : "", s->n));
		PUT(kstr(b, "doc", s->doc));
		PUT(cr_buf_printf(b, ",\"score\":%.4f,", s->score));
		PUT(kstr(b, "retriever", s->retriever));
		PUT(cr_buf_adds(b, ",\"location\":"));
		PUT(cr_corpus_loc_json(b, &s->loc));
		PUT(cr_buf_addc(b, '}'));
	}
	PUT(cr_buf_adds(b, "],\"unverified\":["));
	for (size_t i = 0; i < ans->n_unverified; i++) {
		const cr_unverified *u = &ans->unverified[i];
		PUT(cr_buf_printf(b, "%s{\"n\":%d,", i ? "," : "", u->n));
		PUT(kstr(b, "sentence", u->sentence));
		PUT(cr_buf_addc(b, ','));
		PUT(kstr(b, "reason", u->reason));
		PUT(cr_buf_addc(b, '}'));
	}
	PUT(cr_buf_adds(b, "]}"));
	return err;
}
