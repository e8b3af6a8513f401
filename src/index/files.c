/*
 * files.c — the files of the index's published state (for backups): MANIFEST
 * and the two files of every segment it lists. Segments are immutable and
 * MANIFEST is replaced by rename, so a caller that opens these files while
 * nothing publishes (the corpus writer lock) reads one consistent state
 * through its descriptors, whatever merges remove afterwards.
 */
#include "index_int.h"

#include <stdio.h>

cr_err cr_index_files(const char *dir, cr_arena *a, const char ***names, size_t *n, cr_msg *m)
{
	cr_ix_manifest mf;
	cr_err e = cr_ix_manifest_read(dir, &mf, m);
	if (e)
		return e;
	char path[4096];
	snprintf(path, sizeof path, "%s/MANIFEST", dir);
	FILE *f = fopen(path, "rb");
	int have = f != NULL;
	if (f)
		fclose(f);
	size_t cap = 1 + 2 * (size_t)mf.n_segs, k = 0;
	const char **out = cr_arena_zalloc(a, cap * sizeof *out);
	if (!out) {
		e = cr_fail(m, CR_ENOMEM, "index: out of memory");
		goto done;
	}
	if (have)
		out[k++] = "MANIFEST";
	for (uint32_t i = 0; i < mf.n_segs; i++)
		for (int j = 0; j < 2; j++) {
			char nm[64];
			snprintf(nm, sizeof nm, "seg_%06llu.%s", (unsigned long long)mf.segs[i], j ? "pos" : "idx");
			if (!(out[k++] = cr_arena_strdup(a, nm))) {
				e = cr_fail(m, CR_ENOMEM, "index: out of memory");
				goto done;
			}
		}
	*names = out;
	*n = k;
done:
	cr_ix_manifest_release(&mf);
	return e;
}
