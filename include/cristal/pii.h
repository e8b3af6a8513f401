/*
 * pii.h — personal data in text: detection (English and Japanese) and
 * redaction with stable placeholders that are restored in a model's answer.
 *
 * What is found (cr_pii_kind):
 *   PERSON    names: the caller's list (users directory, document metadata),
 *             the text's own mail headers ("From: Name <addr>", 差出人),
 *             attendee and name columns (Attendees:, 出席者：, 氏名:, Name:,
 *             担当者:), signatures (the line after "Best regards,"),
 *             honorifics (Mr./Ms./Dr., さん/様/氏/部長...), MeCab IPADIC's
 *             名詞,固有名詞,人名 morphemes, and an English given-name list
 *             followed by a capitalised family name. A name found once in
 *             a text (or in any text of one redaction map) is found again
 *             wherever it recurs, and so are its parts ("Daniel" of
 *             "Daniel Okafor", 佐藤 of "佐藤 健二").
 *   EMAIL     local@domain.tld (full-width forms too).
 *   PHONE     Japanese (03-1234-5678, 090-1234-5678, 0120-123-456,
 *             (03)1234-5678, 03（5555）1235, full-width digits), North
 *             American (415) 555-0132 / 312-555-0176, and +CC forms.
 *   ADDRESS   〒 and a postal code (〒100-0001) and the address after it,
 *             to the end of its line (or the next line when the code
 *             stands alone), stopping at a label (TEL, 電話) or sentence end.
 *   MYNUMBER  12 digits (grouped 4-4-4 or not) whose check digit is valid
 *             (the published algorithm: Σ P_n·Q_n mod 11, Q_n = n+1 for
 *             n <= 6, n-5 above); a 12-digit number that starts with a
 *             date (yyyymmdd) is taken for one unless 個人番号/マイナンバー/My
 *             Number is written just before it.
 *   CARD      13 to 19 digits (grouped by spaces or dashes) with a known
 *             issuer prefix and length (Visa, Mastercard, Amex, JCB,
 *             Diners, Discover, UnionPay) that pass Luhn.
 * Matching is done on an NFKC working copy (full-width digits, letters, ＠,
 * （）, －, ideographic spaces; ー and other dashes between digits), and
 * every span is a byte range of the original text.
 *
 * Redaction: each value is replaced by "[KIND_n]", n counted per kind in a
 * cr_pii_map, the same value (NFKC; digits only for numbers; case folded
 * e-mail; spaces ignored in names) always getting the same placeholder
 * within the map. The map lives in memory only (its values are wiped when
 * it is freed): one per request, shared by all its messages.
 * cr_pii_restore puts the values back into a model's answer; a
 * cr_pii_stream does so over streamed text, holding back a tail that may
 * be the start of a placeholder split across chunks.
 *
 * Threads: a cr_pii (it owns a MeCab tagger) and a cr_pii_map are used by
 * one thread at a time. Costs: detection is linear in the text plus one
 * MeCab parse of each line that holds Japanese; list names are compared at
 * every word start (O(text × names)); the caller's list is capped at 4,096
 * names.
 */
#ifndef CRISTAL_PII_H
#define CRISTAL_PII_H

#include "cristal/base.h"

typedef enum cr_pii_kind {
	CR_PII_PERSON = 0,
	CR_PII_EMAIL,
	CR_PII_PHONE,
	CR_PII_ADDRESS,
	CR_PII_MYNUMBER,
	CR_PII_CARD,
	CR_PII_N_KINDS
} cr_pii_kind;

/* "PERSON", "EMAIL", "PHONE", "ADDRESS", "MYNUMBER", "CARD" (the
 * placeholders' words); NULL for anything else. */
CR_API const char *cr_pii_kind_name(cr_pii_kind k);
/* The kind of a name above (case-sensitive), or -1. */
CR_API int cr_pii_kind_parse(const char *name);

#define CR_PII_ALL ((1u << CR_PII_N_KINDS) - 1)

/* A detected span: bytes [start, end) of the text given. */
typedef struct cr_pii_span {
	uint32_t start, end;
	cr_pii_kind kind;
} cr_pii_span;

typedef struct cr_pii cr_pii;

/* A detector. Loads nothing large: MeCab's dictionary is the text module's,
 * shared by the process (without one, Japanese names are found only from
 * lists, headers and honorifics). */
CR_API cr_err cr_pii_new(cr_pii **out, cr_msg *m) CR_NODISCARD;
CR_API void cr_pii_free(cr_pii *p);

/* Adds a person's name the caller knows (a user's display name, a mail's
 * From/To display name, a table's name column). Names are kept until
 * cr_pii_clear_names; empty and over-long (> 128 bytes) names are ignored.
 * CR_ETOOBIG past 4,096 names. */
CR_API cr_err cr_pii_add_name(cr_pii *p, const char *name, size_t len) CR_NODISCARD;
CR_API void cr_pii_clear_names(cr_pii *p);

/* Which kinds to look for (a mask of 1u << kind; CR_PII_ALL at first). */
CR_API void cr_pii_set_kinds(cr_pii *p, unsigned mask);

/*
 * Finds personal data in text[0..len) (UTF-8; invalid bytes are skipped):
 * *out gets *n spans in arena a, sorted, never overlapping. CR_ETOOBIG for
 * len over 64 MiB; CR_ENOMEM. A text with nothing gives *n = 0.
 */
CR_API cr_err cr_pii_detect(cr_pii *p, const char *text, size_t len, cr_arena *a, cr_pii_span **out,
			    size_t *n, cr_msg *m) CR_NODISCARD;

/* ---- redaction ---------------------------------------------------------- */

typedef struct cr_pii_map cr_pii_map;

CR_API cr_err cr_pii_map_new(cr_pii_map **out) CR_NODISCARD;
/* Wipes the values and frees the map; NULL is fine. */
CR_API void cr_pii_map_free(cr_pii_map *map);
/* Values replaced so far, all kinds, and of one kind. */
CR_API size_t cr_pii_map_count(const cr_pii_map *map);
CR_API size_t cr_pii_map_count_kind(const cr_pii_map *map, cr_pii_kind k);

/*
 * Learns the names a text states (its headers, attendee lists, name
 * columns, signatures, honorifics, MeCab's person names) into the map, so
 * that cr_pii_redact finds them in every text of the request, also in texts
 * before the one that named them. Optional: cr_pii_redact learns from the
 * text it redacts anyway.
 */
CR_API cr_err cr_pii_learn(cr_pii *p, cr_pii_map *map, const char *text, size_t len, cr_msg *m) CR_NODISCARD;

/*
 * Appends text[0..len) to out with every span found replaced by its
 * placeholder ("[PERSON_1]"), adding new values to the map. out is left as
 * it was on error.
 */
CR_API cr_err cr_pii_redact(cr_pii *p, cr_pii_map *map, const char *text, size_t len, cr_buf *out,
			    cr_msg *m) CR_NODISCARD;

/* Appends text[0..len) to out with every placeholder of the map replaced
 * by its value; anything else (an unknown "[PERSON_9]") is copied as is. */
CR_API cr_err cr_pii_restore(const cr_pii_map *map, const char *text, size_t len, cr_buf *out) CR_NODISCARD;

/* The longest placeholder text: what a stream may hold back. */
#define CR_PII_PLACEHOLDER_MAX 24

/*
 * Restoration over streamed text: feed the chunks as they come, each call
 * appending to out what can be shown now; a tail that may still become a
 * placeholder ("[PERS") is held until the next chunk decides it, or until
 * cr_pii_stream_flush. Embedded by the caller: init, feed*, flush, release.
 */
typedef struct cr_pii_stream {
	const cr_pii_map *map;
	char hold[CR_PII_PLACEHOLDER_MAX + 1];
	size_t n_hold;
} cr_pii_stream;

CR_API void cr_pii_stream_init(cr_pii_stream *s, const cr_pii_map *map);
CR_API cr_err cr_pii_stream_feed(cr_pii_stream *s, const char *text, size_t len, cr_buf *out) CR_NODISCARD;
CR_API cr_err cr_pii_stream_flush(cr_pii_stream *s, cr_buf *out) CR_NODISCARD;

#endif
