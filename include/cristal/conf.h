/*
 * conf.h — the configuration file (cristal.toml): a strict subset of TOML
 * 1.0, read whole into an immutable table of (table, key, value) entries.
 * docs/CONFIG.md lists the keys the program reads; this module knows none
 * of them.
 *
 * The subset (anything else is CR_ECORRUPT naming the line):
 *   # comment                      to the end of the line (outside strings)
 *   [table] / [table.sub]          bare names [A-Za-z0-9_-], dotted; each
 *                                  table at most once
 *   key = value                    bare key; each key at most once per table;
 *                                  keys before any [table] belong to table ""
 *   "basic string"                 escapes \b \t \n \f \r \" \\ \uXXXX
 *                                  \UXXXXXXXX (a Unicode scalar value)
 *   'literal string'               no escapes
 *   123, -4, +5, 1_000             64-bit integers (no leading zeros, no
 *                                  hex/octal/binary)
 *   true, false
 *   [ value, value, ]              arrays of strings or integers (one kind
 *                                  per array), over several lines, trailing
 *                                  comma and comments allowed
 * Not supported (refused): floats, dates, inline tables, [[arrays of
 * tables]], dotted or quoted keys, multi-line strings. The file must be
 * valid UTF-8 without control characters other than tab, and at most
 * CR_CONF_MAX_BYTES long.
 *
 * Errors read "FILE:LINE: reason". The parser is fuzzed
 * (fuzz/fuzz_conf.c). A cr_conf is read-only after parsing: any number
 * of threads may read it at once.
 */
#ifndef CRISTAL_CONF_H
#define CRISTAL_CONF_H

#include "cristal/base.h"

#define CR_CONF_MAX_BYTES (1u << 20)
#define CR_CONF_MAX_ENTRIES 4096
#define CR_CONF_MAX_ITEMS 4096 /* per array */

typedef enum { CR_CONF_STR, CR_CONF_INT, CR_CONF_BOOL, CR_CONF_ARRAY } cr_conf_type;

typedef struct cr_conf_val {
	cr_conf_type type;
	const char *str;                 /* CR_CONF_STR: NUL-terminated UTF-8 (may hold no NUL) */
	int64_t i;                       /* CR_CONF_INT; CR_CONF_BOOL: 0 or 1 */
	const struct cr_conf_val *items; /* CR_CONF_ARRAY */
	size_t n_items;
	int line;                        /* where the value starts */
} cr_conf_val;

typedef struct cr_conf cr_conf;

/* Parses text (len bytes; NULs are refused). name is used in messages
 * (the file's path). On success *out owns everything. */
CR_API cr_err cr_conf_parse(const char *text, size_t len, const char *name, cr_conf **out, cr_msg *m) CR_NODISCARD;
/* Reads and parses a file (CR_ENOTFOUND when it does not exist, CR_EIO
 * when it cannot be read, CR_ETOOBIG over CR_CONF_MAX_BYTES). */
CR_API cr_err cr_conf_load(const char *path, cr_conf **out, cr_msg *m) CR_NODISCARD;
CR_API void cr_conf_free(cr_conf *c);
/* The file's name as given. */
CR_API const char *cr_conf_name(const cr_conf *c);

/* The value of table.key (table "" for keys before any [table]); NULL when
 * absent. Valid as long as c. */
CR_API const cr_conf_val *cr_conf_get(const cr_conf *c, const char *table, const char *key);
/* Typed look-ups: absent leaves *out untouched and returns CR_OK; a value
 * of another type, or an integer outside [lo, hi], is CR_EINVAL with
 * "FILE:LINE: table.key must be ...". */
CR_API cr_err cr_conf_str(const cr_conf *c, const char *table, const char *key, const char **out,
			  cr_msg *m) CR_NODISCARD;
CR_API cr_err cr_conf_int(const cr_conf *c, const char *table, const char *key, int64_t lo, int64_t hi,
			  int64_t *out, cr_msg *m) CR_NODISCARD;
CR_API cr_err cr_conf_bool(const cr_conf *c, const char *table, const char *key, int *out,
			   cr_msg *m) CR_NODISCARD;

/* Every entry, in file order: i from 0 while it returns 1. */
CR_API int cr_conf_entry(const cr_conf *c, size_t i, const char **table, const char **key, const cr_conf_val **v);
/* Refuses (CR_EINVAL, naming the line) any entry whose "table.key" is not
 * in known (NULL-terminated); an item "table.*" admits every key of that
 * table and of its sub-tables (a section another part of the program
 * reads). */
CR_API cr_err cr_conf_check(const cr_conf *c, const char *const *known, cr_msg *m) CR_NODISCARD;

#endif
