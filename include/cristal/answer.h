/*
 * answer.h — answers to questions about the corpus, with citations that are
 * checked against their sources whoever wrote the answer.
 *
 *   question ──► retrieval (passages: the best chunk of each document)
 *            ──► answerer (extractive: the sentence or table row that
 *                answers; later a model given the numbered passages)
 *            ──► verification (every [n] names a given source, and the
 *                sentence carrying it is supported by that source)
 *
 * Support is content overlap after the same analysis as search (stemmed
 * English words, Japanese morphemes and bigrams, NFKC + case folding), and
 * every number in the sentence must occur in the source in normalized form
 * ("2,000" = "2000", "２０００" = "2000"). A citation that fails is removed
 * and its sentence reported as unverified; it is never shown as fact.
 * When nothing retrieved answers the question, the answer says so in the
 * question's language instead of inventing one.
 *
 * Threads: cr_answer_ask may run on any number of threads at once on one
 * corpus (it takes catalog connections and analyzers from the corpus's
 * pools). Everything an answer holds lives in the caller's arena.
 */
#ifndef CRISTAL_ANSWER_H
#define CRISTAL_ANSWER_H

#include "cristal/base.h"
#include "cristal/corpus.h"
#include "cristal/policy.h"
#include "cristal/text.h"

/* A passage given to the answerer, numbered from 1 as cited ("[1]"). */
typedef struct cr_source {
	int n;
	const char *doc;   /* external name, as in cr_result */
	const char *title;
	const char *type;
	cr_loc loc;
	const char *text;  /* the passage (the chunk's text) */
	size_t len;
	float score;       /* the retriever's score */
	const char *retriever; /* "bm25", "vector" or "both" (corpus.h cr_result.found_by) */
	int64_t doc_id, chunk_id;
	int64_t date;      /* the document's date (seconds since the epoch; 0 unknown) */
	/* the passage's sentence (or row) that answers the question best, as
	 * the extractive answerer scored it: bytes [focus, focus + focus_len)
	 * of text (focus_len 0: none) */
	size_t focus, focus_len;
} cr_source;

/* A citation that held: source n supports the quoted span. */
typedef struct cr_citation {
	int n;
	const char *quote; /* the passage's words the answer rests on */
} cr_citation;

/* A citation that was removed, and why. */
typedef struct cr_unverified {
	int n;
	const char *sentence; /* the answer's sentence that carried it */
	const char *reason;   /* "no source [7] was given", "not supported by [2]" */
} cr_unverified;

typedef struct cr_answer {
	const char *text;  /* the answer, with [n] markers of verified citations */
	const char *mode;  /* "extractive" or "model:NAME" */
	const char *lang;  /* of the question: "en" or "ja" */
	int found;         /* 0: the sources do not say (text says so) */
	cr_source *sources; /* every passage considered, ranked */
	size_t n_sources;
	cr_citation *citations; /* verified, in order of first use */
	size_t n_citations;
	cr_unverified *unverified;
	size_t n_unverified;
	/* the egress rule (policy.h): passages above the provider's clearance
	 * were left out of its request, and the answer says so */
	size_t n_withheld;
	/* the extractive answerer found two documents stating different
	 * figures for the question: both are given, newer first (their source
	 * numbers here; 0 when the sources agree) */
	int differ[2];
	const char *withheld_class; /* the highest level left out */
	/* where the time went, in milliseconds (not in the JSON, which stays
	 * the same bytes for the same answer): retrieval, the model's first
	 * text (0 when nothing streamed), the whole; with a local model also
	 * loading it (0 when loaded before), evaluating the prompt, its first
	 * token (from the start, as first_text_ms), and the prompt's tokens
	 * (all, and those kept from the cache) */
	double retrieval_ms, first_text_ms, total_ms;
	double load_ms, prompt_ms, first_token_ms;
	int64_t prompt_tokens, prompt_cached;
} cr_answer;

typedef struct cr_ask_opts {
	int k;                    /* passages to retrieve (default 6) */
	const cr_principal *who;  /* ACL filter (NULL: everything) */
	const cr_cancel *cancel;  /* may be NULL */
	cr_search_mode mode;      /* retrieval (corpus.h; default BM25); vector and
				   * hybrid need vec, the question's embedding */
	const float *vec;
	int vec_dim;
	const cr_egress_policy *egress; /* what may leave for the provider (policy.h; NULL: defaults) */
	const char *tenant;       /* whose egress rules apply (NULL: the base rules) */
	/* the model's draft as it arrives, before any verification (a terminal
	 * shows it; the answer kept is cr_answer.text, verified); non-zero
	 * stops the call. NULL: the provider is not streamed. */
	int (*on_draft)(void *ctx, const char *text, size_t len);
	void *on_draft_ctx;
} cr_ask_opts;

/* "en" or "ja": Japanese when its kana and kanji outnumber a quarter of its
 * Latin letters (so "What is the price in 万円?" is English). */
CR_API const char *cr_answer_lang(const char *text);

/*
 * Answers a question from the corpus without a model: retrieves passages,
 * picks the sentence (or, in spreadsheets and CSV, the row with its
 * headers) that best covers the question's content words, and cites it.
 * With nothing that answers, out->found = 0 and the text says so. The
 * answer has been through cr_answer_verify.
 */
CR_API cr_err cr_answer_ask(cr_corpus *c, cr_arena *a, const char *question, const cr_ask_opts *o,
			    cr_answer *out, cr_msg *m) CR_NODISCARD;

/*
 * The same question answered by a model through provider p (provider.h;
 * src/answer/model.c): the passages cr_answer_ask retrieves are given to
 * the model numbered, with the question; its answer goes through
 * cr_answer_verify, and one left with no verified citation becomes "the
 * sources do not say" (never shown as fact). out->mode is "model:NAME",
 * NAME the provider that answered (after failover). Nothing retrieved:
 * the extractive answer, the model not called. p NULL: cr_answer_ask.
 * Provider errors (CR_EUPSTREAM, CR_ETIMEOUT, ...) are returned as they are.
 */
typedef struct cr_provider cr_provider;
CR_API cr_err cr_answer_ask_model(cr_corpus *c, cr_arena *a, const char *question, const cr_ask_opts *o,
				  cr_provider *p, cr_answer *out, cr_msg *m) CR_NODISCARD;

/*
 * Verifies the citations of `text` (an answer written by anyone) against
 * sources src[0..n) (numbered src[i].n): fills out->text (unsupported or
 * unknown markers removed, their sentences marked "(unverified)"),
 * out->citations and out->unverified; leaves the other fields alone. A
 * sentence is supported by a source when at least 60% of its content
 * terms occur in the source and every number it states does. `an` is
 * the analyzer to use (one thread at a time).
 */
CR_API cr_err cr_answer_verify(cr_analyzer *an, cr_arena *a, const char *text, const cr_source *src, size_t n,
			       cr_answer *out) CR_NODISCARD;

/* Appends the answer as one JSON object: answer, mode, lang, found,
 * citations [{n, doc, title, type, location, quote}], retrieval [{n, doc,
 * score, retriever, location}], unverified [{n, sentence, reason}]. */
CR_API cr_err cr_answer_json(const cr_answer *ans, cr_buf *b) CR_NODISCARD;

/* Sentences of a text, as the answerer cuts them (at 。！？, at . ! ?
 * followed by a space or the end, and at line ends; a document made of rows,
 * xlsx or csv by its type, one per line): spans of text[0..len), trimmed,
 * in arena a. */
typedef struct cr_sentence {
	size_t start, len;
} cr_sentence;
CR_API cr_err cr_answer_sentences(cr_arena *a, const char *type, const char *text, size_t len, cr_sentence **out,
				  size_t *n) CR_NODISCARD;

#endif
