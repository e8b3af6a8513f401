/* fuzz_query.c — arbitrary bytes as a search query (syntax, analysis,
 * planning, evaluation in both the fast and the exhaustive mode, which must
 * agree) and as text for cr_snippet, over a small fixed index. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cristal/index.h"
#include "index/index_int.h"

static char g_dir[64];

static void cleanup(void)
{
	static const char *names[] = {"seg_000001.idx", "seg_000001.pos", "MANIFEST", "LOCK"};
	char p[128];
	for (size_t i = 0; i < CR_ARRAY_LEN(names); i++) {
		snprintf(p, sizeof p, "%s/%s", g_dir, names[i]);
		unlink(p);
	}
	rmdir(g_dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static cr_analyzer *an;
	static cr_index *ix;
	if (!an) {
		if (cr_analyzer_new(NULL, &an, NULL) != CR_OK)
			abort();
		snprintf(g_dir, sizeof g_dir, "/tmp/cr_fuzz_query_XXXXXX");
		if (!mkdtemp(g_dir) || cr_index_open(g_dir, &ix, NULL) != CR_OK)
			abort();
		atexit(cleanup);
		cr_index_writer *w;
		if (cr_index_writer_new(ix, an, &w, NULL) != CR_OK)
			abort();
		static const char *bodies[] = {
			"red apple pie with cinnamon", "banana bread and apple juice",
			"東京都の天気は晴れです。", "travel to kyoto by train, 2024-01-01",
			"the quick brown fox jumps over the lazy dog",
		};
		uint32_t groups[] = {1, 2};
		for (size_t i = 0; i < CR_ARRAY_LEN(bodies); i++) {
			cr_entry_attrs at = {.id = i + 1, .doc_key = i / 2, .doc = i % 2 ? "a/b.md" : "c/d.pdf",
					     .type = i % 2 ? "md" : "pdf", .date = (int64_t)i * 86400 * 200,
					     .owner = (uint32_t)i, .groups = groups, .n_groups = (uint32_t)(i % 3)};
			if (cr_index_writer_add(w, &at, "title words", 11, bodies[i], strlen(bodies[i])) != CR_OK)
				abort();
		}
		if (cr_index_writer_commit(w, NULL) != CR_OK)
			abort();
		cr_index_writer_free(w);
	}
	char *q = malloc(size + 1);
	memcpy(q, data, size);
	q[size] = 0;
	uint32_t g[] = {2};
	cr_principal who = {.tenant = 0, .user = 1, .groups = g, .n_groups = 1, .max_classification = 1};
	for (int per_doc = 0; per_doc < 2; per_doc++) {
		cr_search_opts o = {.k = 3, .per_doc = per_doc, .who = per_doc ? &who : NULL};
		cr_results a, b;
		cr_err ea = cr_ix_search_mode(ix, an, q, &o, CR_IX_MODE_FAST, &a, NULL);
		cr_err eb = cr_ix_search_mode(ix, an, q, &o, CR_IX_MODE_EXHAUSTIVE, &b, NULL);
		if (ea != eb || (ea == CR_OK && a.n != b.n))
			abort();
		for (size_t i = 0; ea == CR_OK && i < a.n; i++)
			if (a.hits[i].id != b.hits[i].id || !a.hits[i].doc || !a.hits[i].type)
				abort();
		if (ea == CR_OK) {
			cr_buf out;
			cr_buf_init(&out, 0);
			if (cr_snippet(an, &a, q, size, 1 + size % 50, "[", "]", &out) != CR_OK &&
			    size < (1u << 31))
				abort();
			cr_buf_release(&out);
		}
		cr_results_release(&a);
		cr_results_release(&b);
	}
	free(q);
	return 0;
}
