/* fuzz_segment.c — corrupt index files: the input becomes a segment (.idx
 * and .pos) listed by a valid MANIFEST, which is opened, searched (words,
 * phrase, prefix, filters), deleted from and merged; or, when it starts with
 * 'M', is parsed as a MANIFEST. Every outcome must be an error code or a
 * sane result, never a crash or an out-of-bounds read.
 * Input: u32 idx_len (little-endian) | idx bytes | pos bytes. The footer
 * checksum is recomputed, so mutations reach the section checks. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cristal/index.h"
#include "index/index_int.h"

static char g_dir[64];

static void clear_dir(void)
{
	DIR *d = opendir(g_dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char p[512];
		snprintf(p, sizeof p, "%s/%.255s", g_dir, e->d_name);
		unlink(p);
	}
	closedir(d);
}

static void cleanup(void)
{
	clear_dir();
	rmdir(g_dir);
}

static void put(const char *name, const uint8_t *p, size_t n)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", g_dir, name);
	FILE *f = fopen(path, "wb");
	if (!f)
		abort();
	if (n)
		fwrite(p, 1, n, f);
	fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static cr_analyzer *an;
	if (!an) {
		if (cr_analyzer_new(NULL, &an, NULL) != CR_OK)
			abort();
		snprintf(g_dir, sizeof g_dir, "/tmp/cr_fuzz_segment_XXXXXX");
		if (!mkdtemp(g_dir))
			abort();
		atexit(cleanup);
	}
	if (size && data[0] == 'M') {
		cr_ix_manifest mf;
		if (cr_ix_manifest_parse(data + 1, size - 1, &mf, NULL) == CR_OK)
			cr_ix_manifest_release(&mf);
		return 0;
	}
	if (size < 4)
		return 0;
	uint32_t idx_len = cr_ix_rd32(data);
	if (idx_len > size - 4)
		idx_len = (uint32_t)(size - 4);
	clear_dir();
	/* re-seal the footer checksum so mutations reach the section checks */
	uint8_t *idx = malloc(idx_len ? idx_len : 1);
	memcpy(idx, data + 4, idx_len);
	if (idx_len >= 8 + CR_IX_FOOTER_SIZE) {
		uint8_t *f = idx + idx_len - CR_IX_FOOTER_SIZE;
		cr_ix_wr64(f + 152, cr_hash64(f, 152, 0x5e6));
	}
	put("seg_000001.idx", idx, idx_len);
	free(idx);
	put("seg_000001.pos", data + 4 + idx_len, size - 4 - idx_len);
	cr_ix_manifest mf = {.generation = 1, .next_seg = 2, .n_segs = 1};
	uint64_t seg = 1;
	mf.segs = &seg;
	if (cr_ix_manifest_write(g_dir, &mf, NULL) != CR_OK)
		abort();
	cr_index *ix;
	if (cr_index_open(g_dir, &ix, NULL) != CR_OK)
		return 0;
	static const char *queries[] = {"apple pie", "\"red apple\"", "app*", "+pie -banana type:md path:a",
					"東京 天気", "date:1970..2030 fox"};
	uint32_t g[] = {1, 2};
	cr_principal who = {.tenant = 0, .user = 1, .groups = g, .n_groups = 2, .max_classification = 3};
	for (size_t i = 0; i < CR_ARRAY_LEN(queries); i++) {
		cr_search_opts o = {.k = 5, .per_doc = (int)(i & 1), .who = (i & 2) ? &who : NULL};
		cr_results r;
		if (cr_index_search(ix, an, queries[i], &o, &r, NULL) == CR_OK) {
			for (size_t h = 0; h < r.n; h++)
				if (!r.hits[h].doc || !r.hits[h].type)
					abort();
		}
		cr_results_release(&r);
	}
	cr_index_stats st;
	cr_index_get_stats(ix, &st);
	uint64_t del[] = {1, 3};
	if (cr_index_delete(ix, del, 2, NULL) == CR_OK)
		CR_IGNORE(cr_index_merge(ix, NULL));
	cr_index_close(ix);
	return 0;
}
