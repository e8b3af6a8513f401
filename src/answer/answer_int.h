/*
 * answer_int.h — what the files of the answer module share.
 *
 *   terms.c   term sets: a text's content terms after search's analysis,
 *             and the numbers it states in normalized form
 *   split.c   sentences of a passage (table rows in spreadsheets and CSV)
 *   ask.c     cr_answer_ask: retrieval and the extractive answerer
 *   when.c    questions for a period's end or length, and sentences that state one
 *   verify.c  cr_answer_verify: citations checked against their sources
 *   json.c    cr_answer_json
 */
#ifndef CR_ANSWER_INT_H
#define CR_ANSWER_INT_H

#include "cristal/answer.h"

/* A translation of one term of a set (xlate.c): the content terms of a
 * gloss ("returned goods" for 返品) or of a headword (予算 for "budget").
 * It stands for the term when at least half of its terms are present. */
typedef struct cr_alt {
	const char *of;     /* the set's own key it translates */
	const char **terms;
	uint32_t *lens;
	uint32_t n;
} cr_alt;

/* A set of terms (term bytes as the analyzer gives them) in an arena,
 * with the translations of some of them (none unless cr_ans_translate
 * added them). */
typedef struct cr_termset {
	cr_arena *a;
	const char **keys; /* open addressing; NULL = empty */
	uint32_t *lens;
	float *weights;
	size_t cap, n;
	cr_alt *alts;
	size_t n_alts, cap_alts;
} cr_termset;

void cr_termset_init(cr_termset *s, cr_arena *a);
/* Adds a term (copied) with a weight, keeping the larger weight on a repeat. */
cr_err cr_termset_add(cr_termset *s, const char *t, uint32_t len, float w) CR_NODISCARD;
/* Removes a term (absent: nothing). */
void cr_termset_remove(cr_termset *s, const char *t, uint32_t len);
/* The weight of a term, or 0 when absent. */
float cr_termset_get(const cr_termset *s, const char *t, uint32_t len);

/* The set's stored copy of term t, or NULL when absent. */
const char *cr_termset_key(const cr_termset *s, const char *t, uint32_t len);
/* Adds a translation of the set's term `of` (a key of s): n terms, copied. */
cr_err cr_termset_add_alt(cr_termset *s, const char *of, const char *const *terms, const uint32_t *lens,
			  uint32_t n) CR_NODISCARD;

/* Whether `in` holds key (a term of t) or one of its translations. */
int cr_termset_holds(const cr_termset *t, const char *key, uint32_t len, const cr_termset *in);

/* The same, where a term found only in ctx (the sentence's document
 * title) counts ctx_w of its weight. */
float cr_termset_coverage_ctx(const cr_termset *t, const cr_termset *in, const cr_termset *ctx, float ctx_w);

/* Whether `in` holds one of t's words or morphemes that is not in
 * `except` (directly or through a translation); 1 also when t has none
 * besides those. */
int cr_termset_covers_other(const cr_termset *t, const cr_termset *in, const cr_termset *except);

/* Calls fn for each Latin word of text (letters, digits and '-'): its
 * bytes, whether it is the first, has a capital, has a digit. fn's
 * non-zero stops the walk and is returned. */
typedef int (*cr_ans_word_fn)(void *ctx, const char *w, size_t n, int first, int cap, int digit);
int cr_ans_latin_words(const char *text, size_t len, cr_ans_word_fn fn, void *ctx);

/* The names in a question, as terms: English words capitalised after the
 * first and codes with a digit (Tokyo, KR-5), Japanese proper nouns
 * (MeCab's 固有名詞: 東京, 佐藤). They place a question; its other words
 * say what is asked. */
cr_err cr_ans_names(cr_analyzer *an, const char *text, size_t len, cr_termset *out) CR_NODISCARD;

/* The weight of t's terms found in `in` (a term also counts when one of
 * its translations is there), over t's total weight (0 for an empty t);
 * the total goes to *total_out when it is not NULL. */
float cr_termset_coverage(const cr_termset *t, const cr_termset *in, float *total_out);

/* Appends at most max bytes of s's passage (plus "…" marks): from its
 * start when that holds the focus sentence, else a window from a quarter
 * of max before the focus (at a character boundary), "…" where cut. */
cr_err cr_ans_excerpt(cr_buf *b, const cr_source *s, size_t max) CR_NODISCARD;

/* A document date (seconds since the epoch) as YYYY-MM-DD (UTC) into out;
 * 0 when unknown (t <= 0). */
int cr_ans_day(int64_t t, char out[16]);

/* The function words ("is", "what", 何, いつ...) as this analyzer gives them. */
cr_err cr_ans_stopwords(cr_analyzer *an, cr_termset *out) CR_NODISCARD;

/*
 * The content terms of text into `terms` (terms in `stop` left out, so only
 * what the text is about counts; stop may be NULL) with
 * weight 1 for words and morphemes and 0.5 for CJK bigrams, and the numbers
 * it states into `numbers` (digits only: "2,000" and "２０００" are "2000").
 * Either set may be NULL. flags: CR_ANALYZE_* (CR_ANALYZE_QUERY for
 * questions). A number with a multiplier (420万, 7万5千, 4.2 million)
 * counts as its value, its digits as written as its alternatives.
 */
cr_err cr_ans_terms(cr_analyzer *an, const char *text, size_t len, int flags, const cr_termset *stop,
		    cr_termset *terms, cr_termset *numbers) CR_NODISCARD;

/*
 * Translations across Japanese and English (xlate.c), from the process's
 * lexicon (cristal/lexicon.h): each Japanese content word of text (noun,
 * verb, adjective, by its dictionary form) gets its English glosses, each
 * English word its Japanese headwords, as alternatives of t's term for that
 * word (t holds text's terms from cr_ans_terms). When `query` is not NULL
 * the translations are appended to it, with the words both languages
 * write alike (numbers, codes, names in Latin letters), for a search in the
 * other language. Nothing happens without a lexicon (CR_ENOTFOUND).
 */
cr_err cr_ans_translate(cr_analyzer *an, const cr_termset *stop, const char *text, size_t len, cr_termset *t,
			cr_buf *query) CR_NODISCARD;

/* How much of a text is Japanese: 1 when its kana and kanji outnumber a
 * quarter of its Latin letters (a word of English has ~5 letters, one of
 * Japanese ~2 characters), else 0. */
int cr_ans_is_ja(const char *s, size_t n);

/* A span of a passage. */
typedef struct cr_span {
	size_t start, len;
} cr_span;

/* Is a document of this type made of rows (spreadsheets, CSV)? */
int cr_ans_rows(const char *type);
/* 1 when a sentence asks instead of stating (see split.c): never an answer. */
int cr_ans_is_question(const char *s, size_t n);
/*
 * Splits text into sentences: at 。！？, at . ! ? followed by a space or the
 * end, and at line ends; `rows` (spreadsheets, CSV) splits at line ends
 * only, so a row stays whole with its "Header: value" cells. Spans are
 * trimmed of white space; empty ones are left out. Array in arena a.
 */
cr_err cr_ans_split(cr_arena *a, const char *text, size_t len, int rows, cr_span **out, size_t *n) CR_NODISCARD;

/* What a question asks of a period (when.c): CR_ANS_END, when it ends
 * (until when, by when, いつまで, 期限, when ... ends), CR_ANS_LENGTH, how
 * long it lasts (how long, 期間, 何日間: its ends answer too), or 0. */
enum { CR_ANS_END = 1, CR_ANS_LENGTH = 2 };
int cr_ans_asks_end(const char *question);
/* 1 when the sentence states an end of a period (until June 26, from May
 * 29 to June 26, 3月10日までに, 5/29〜6/26) or, with `lengths`, a length
 * of time too (four weeks, 4週間). */
int cr_ans_states_end(const char *s, size_t n, int lengths);

#endif
