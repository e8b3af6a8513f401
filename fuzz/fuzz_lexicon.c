/* fuzz_lexicon.c — libFuzzer target for the EDICT reader (text/lexicon.c),
 * a file the system provides but the user may replace (CR_LEXICON), and
 * for the image of its tables kept in the user's cache directory. The
 * first byte picks: bit 1 set, the rest is an image; else bit 2 set, the
 * rest is a company's glossary (UTF-8, every entry kept: CR_GLOSSARY);
 * else an EDICT file, EUC-JP when bit 0 is set, UTF-8 when not. Whatever is
 * accepted, every translation of a few probes and of each line's first
 * word must be non-empty and bounded; English ones lowercase ASCII words;
 * a parsed lexicon's image must read back. Seeds in fuzz/corpus/lexicon/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cristal/lexicon.h"

/* Translations found are there and ended; a parsed file's are at most 96
 * bytes, English ones lowercase ASCII words (an image's strings are only
 * checked to end inside it: cr_lexicon_from_image). */
static int parsed;

static void check(const cr_lexicon *lx, cr_lex_dir dir, const char *w, size_t n)
{
	const char *out[8];
	size_t k = cr_lexicon_lookup(lx, dir, w, n, out, 8);
	if (k > 8)
		abort();
	for (size_t i = 0; i < k; i++) {
		size_t l = strlen(out[i]);
		if (!parsed)
			continue;
		if (!l || l > 96)
			abort();
		for (size_t j = 0; dir == CR_LEX_JA_EN && j < l; j++) {
			char c = out[i][j];
			if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == ' ' || c == '-' || c == '\''))
				abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	cr_lexicon *lx = NULL;
	cr_msg m = {{0}};
	parsed = !(data[0] & 2);
	if (!parsed) {
		if (cr_lexicon_from_image(data + 1, size - 1, &lx, &m))
			return 0;
	} else {
		if (data[0] & 4 ? cr_lexicon_parse_glossary(data + 1, size - 1, &lx, &m)
				: cr_lexicon_parse(data + 1, size - 1, data[0] & 1, &lx, &m))
			return 0;
		if (!cr_lexicon_size(lx))
			abort();
		/* its image reads back to the same lookups */
		cr_buf img;
		cr_buf_init(&img, 0);
		cr_lexicon *back = NULL;
		if (cr_lexicon_image(lx, 1, 2, &img) || cr_lexicon_from_image((const uint8_t *)img.data, img.len, &back, &m) ||
		    cr_lexicon_size(back) != cr_lexicon_size(lx))
			abort();
		const char *a[8], *b[8];
		size_t na = cr_lexicon_lookup(lx, CR_LEX_EN_JA, "rate", 4, a, 8);
		size_t nb = cr_lexicon_lookup(back, CR_LEX_EN_JA, "rate", 4, b, 8);
		if (na != nb)
			abort();
		for (size_t i = 0; i < na; i++)
			if (strcmp(a[i], b[i]))
				abort();
		cr_lexicon_free(back);
		cr_buf_release(&img);
	}
	static const char *const probes[] = {"返品", "率", "予算", "budget", "rate", "pilot"};
	for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
		check(lx, CR_LEX_JA_EN, probes[i], strlen(probes[i]));
		check(lx, CR_LEX_EN_JA, probes[i], strlen(probes[i]));
	}
	const char *p = (const char *)data + 1, *end = (const char *)data + size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		const char *sp = memchr(p, ' ', (size_t)(e - p));
		if (sp && sp > p) {
			check(lx, CR_LEX_JA_EN, p, (size_t)(sp - p));
			check(lx, CR_LEX_EN_JA, p, (size_t)(sp - p));
		}
		p = e + 1;
	}
	cr_lexicon_free(lx);
	return 0;
}
