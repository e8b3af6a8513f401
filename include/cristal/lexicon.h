/*
 * lexicon.h — a Japanese-English word list for questions and answers across
 * the two languages when no model is there to translate.
 *
 * Read from an EDICT file (the Electronic Dictionary Research and
 * Development Group's Japanese-English dictionary; Debian's `edict` package
 * installs it at /usr/share/edict/edict, EUC-JP). Only the entries a
 * question is likely to need are kept: the common words EDICT marks (P)
 * and loanwords (headwords in katakana), about 62,000 of its 267,000 lines.
 * Of each entry, the first sense:
 *   Japanese -> English: up to four glosses of at most three words
 *     (返品 -> "returned goods", "returning purchased goods"),
 *   English -> Japanese: a gloss of one or two words that comes first or
 *     second in its sense, to the headword (budget -> 予算); the headwords
 *     whose sense opens with the word are listed before the others.
 * Glosses are cleaned (parenthesised notes, "to " of verbs, "etc." go) and
 * lowercased; headwords are NFKC-normalized as the analyzer does.
 *
 * The lexicon is read-only once loaded, so any thread may look up at once.
 * Nothing here decides what a match means: the answer module uses it to
 * count a question's word as present when its translation is (answer/).
 */
#ifndef CRISTAL_LEXICON_H
#define CRISTAL_LEXICON_H

#include "cristal/base.h"

typedef struct cr_lexicon cr_lexicon;

typedef enum cr_lex_dir {
	CR_LEX_JA_EN, /* a Japanese headword to English glosses */
	CR_LEX_EN_JA, /* a lowercase English word or two-word phrase to Japanese headwords */
} cr_lex_dir;

/* Parses EDICT bytes: EUC-JP as distributed (euc = 1) or UTF-8 (euc = 0).
 * Lines that are not entries are skipped; a file with no entry at all is
 * CR_ECORRUPT. */
CR_API cr_err cr_lexicon_parse(const uint8_t *data, size_t len, int euc, cr_lexicon **out,
			       cr_msg *m) CR_NODISCARD;
/* A glossary: a company's own words (納期 /delivery date/, 棚卸し
 * /stocktaking/inventory count/) in EDICT's form, UTF-8, the reading
 * optional. Every entry is kept, not only those marked (P), when its
 * headword holds Japanese and its line ends with '/'; of each, the first
 * sense, cleaned as EDICT's. No entry at all is CR_ECORRUPT. */
CR_API cr_err cr_lexicon_parse_glossary(const uint8_t *data, size_t len, cr_lexicon **out,
					cr_msg *m) CR_NODISCARD;
/* Reads and parses a glossary file (at most 64 MiB), with the reason when
 * it cannot. */
CR_API cr_err cr_lexicon_glossary_load(const char *path, cr_lexicon **out, cr_msg *m) CR_NODISCARD;
/* Reads and parses an EDICT file (EUC-JP). */
CR_API cr_err cr_lexicon_load(const char *path, cr_lexicon **out, cr_msg *m) CR_NODISCARD;
CR_API void cr_lexicon_free(cr_lexicon *lx);

/* Entries kept (lines with a translation; a headword on two lines counts twice). */
CR_API size_t cr_lexicon_size(const cr_lexicon *lx);

/* Up to max translations of word[0..len) into out (NUL-terminated strings
 * owned by the lexicon, most central first); returns how many. */
CR_API size_t cr_lexicon_lookup(const cr_lexicon *lx, cr_lex_dir dir, const char *word, size_t len,
				const char **out, size_t max);

/* The parsed tables as one file (an image), recording the size and mtime
 * of the EDICT file they came from; appended to out. */
CR_API cr_err cr_lexicon_image(const cr_lexicon *lx, uint64_t src_size, int64_t src_mtime,
			       cr_buf *out) CR_NODISCARD;
/* A lexicon from an image's bytes (copied), checked whole first: sizes,
 * offsets, links, string ends; CR_ECORRUPT with the reason otherwise. */
CR_API cr_err cr_lexicon_from_image(const uint8_t *data, size_t len, cr_lexicon **out,
				    cr_msg *m) CR_NODISCARD;

/* The process's lexicon, loaded on first use from the path given to
 * cr_lexicon_set_path, else /usr/share/edict/edict; NULL when there is none
 * (logged once) or the path is "" or "none". Parsing takes ~60 ms, so with
 * a cache directory (cr_lexicon_set_cache_dir; the CLI passes
 * $XDG_CACHE_HOME/cristal or ~/.cache/cristal) the tables are kept there
 * as an image, made on the first load and mapped after (about 1 ms), and
 * made again when the EDICT file's size or mtime changes. The program
 * sets both before the first use (the CLI passes $CR_LEXICON); CR_EBUSY
 * after. */
CR_API cr_err cr_lexicon_set_path(const char *path) CR_NODISCARD;
CR_API cr_err cr_lexicon_set_cache_dir(const char *dir) CR_NODISCARD;
CR_API const cr_lexicon *cr_lexicon_default(void);

/* The process's glossary, read on first use from the path given to
 * cr_lexicon_set_glossary (NULL or "": none; the CLI passes $CR_GLOSSARY,
 * else the configuration's answer.glossary); NULL when there is none or it
 * cannot be read (logged once, as a warning). Looked up before the word
 * list, so a company's sense of a word comes first; it works without the
 * word list too. Set before the first use of either; CR_EBUSY after. */
CR_API cr_err cr_lexicon_set_glossary(const char *path) CR_NODISCARD;
CR_API const cr_lexicon *cr_lexicon_glossary(void);

#endif
