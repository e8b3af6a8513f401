/*
 * conf.c — the configuration file's parser: the strict TOML subset of
 * include/cristal/conf.h, one pass over the bytes, entries and strings in
 * one arena.
 *
 * Costs: O(n) in the file's bytes, plus O(entries) per key or table
 * definition for the duplicate checks (at most CR_CONF_MAX_ENTRIES
 * entries, so at most ~16 M comparisons for a hostile file; a real one
 * has a few dozen).
 */
#include "cristal/conf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

typedef struct entry {
	const char *table, *key;
	cr_conf_val v;
} entry;

struct cr_conf {
	cr_arena a;
	const char *name;
	entry *e;
	size_t n, cap;
	const char **tables; /* the [tables] defined, to refuse a second one */
	int *table_lines;
	size_t n_tables, cap_tables;
};

typedef struct parser {
	cr_conf *c;
	const char *p, *end;
	int line;
	const char *table; /* the current table ("" before the first header) */
	cr_msg *m;
} parser;

static cr_err perr(parser *ps, const char *fmt, ...) CR_PRINTF(2, 3);
static cr_err perr(parser *ps, const char *fmt, ...)
{
	char why[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	return cr_fail(ps->m, CR_ECORRUPT, "%s:%d: %s", ps->c->name, ps->line, why);
}

static int is_bare(int ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' ||
	       ch == '-';
}

static void skip_ws(parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t'))
		ps->p++;
}

/* Spaces, comments and line ends (inside arrays). */
static void skip_ws_lines(parser *ps)
{
	for (;;) {
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == '#') {
			while (ps->p < ps->end && *ps->p != '\n')
				ps->p++;
		}
		if (ps->p < ps->end && *ps->p == '\r')
			ps->p++; /* the up-front check made sure "\n" follows */
		if (ps->p < ps->end && *ps->p == '\n') {
			ps->p++;
			ps->line++;
			continue;
		}
		return;
	}
}

/* After a value or header: spaces, an optional comment, then the line's end. */
static cr_err end_line(parser *ps)
{
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '#')
		while (ps->p < ps->end && *ps->p != '\n')
			ps->p++;
	if (ps->p < ps->end && *ps->p == '\r')
		ps->p++;
	if (ps->p == ps->end)
		return CR_OK;
	if (*ps->p != '\n')
		return perr(ps, "unexpected '%c' after the value (one key = value per line)", *ps->p);
	ps->p++;
	ps->line++;
	return CR_OK;
}

static cr_err bare_name(parser *ps, const char *what, const char **out)
{
	const char *s = ps->p;
	while (ps->p < ps->end && is_bare((unsigned char)*ps->p))
		ps->p++;
	if (ps->p == s) {
		if (ps->p < ps->end && (*ps->p == '"' || *ps->p == '\''))
			return perr(ps, "quoted %ss are not supported (letters, digits, '_' and '-')", what);
		return perr(ps, "a %s is expected here (letters, digits, '_' and '-')", what);
	}
	*out = cr_arena_strndup(&ps->c->a, s, (size_t)(ps->p - s));
	return *out ? CR_OK : cr_fail(ps->m, CR_ENOMEM, "out of memory");
}

static void put_utf8(cr_buf *b, uint32_t cp, int *bad)
{
	uint8_t u[4];
	size_t n;
	if (cp < 0x80) {
		u[0] = (uint8_t)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (uint8_t)(0xC0 | cp >> 6);
		u[1] = (uint8_t)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (uint8_t)(0xE0 | cp >> 12);
		u[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
		u[2] = (uint8_t)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (uint8_t)(0xF0 | cp >> 18);
		u[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
		u[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
		u[3] = (uint8_t)(0x80 | (cp & 0x3F));
		n = 4;
	}
	if (cr_buf_add(b, u, n))
		*bad = 1;
}

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static cr_err parse_string(parser *ps, const char **out)
{
	char q = *ps->p++;
	if (ps->end - ps->p >= 2 && ps->p[0] == q && ps->p[1] == q)
		return perr(ps, "multi-line strings are not supported");
	cr_buf b;
	cr_buf_init(&b, CR_CONF_MAX_BYTES);
	int oom = 0;
	cr_err e = CR_OK;
	for (;;) {
		if (ps->p == ps->end || *ps->p == '\n' || *ps->p == '\r') {
			e = perr(ps, "the string is not closed on its line");
			goto done;
		}
		char ch = *ps->p++;
		if (ch == q)
			break;
		if (q == '\'' || ch != '\\') {
			if (cr_buf_add(&b, &ch, 1))
				oom = 1;
			continue;
		}
		if (ps->p == ps->end) {
			e = perr(ps, "the string is not closed on its line");
			goto done;
		}
		char esc = *ps->p++;
		const char *map = "b\bt\tn\nf\fr\r\"\"\\\\";
		const char *hit = NULL;
		for (const char *x = map; *x; x += 2)
			if (*x == esc)
				hit = x + 1;
		if (hit) {
			if (cr_buf_add(&b, hit, 1))
				oom = 1;
			continue;
		}
		if (esc != 'u' && esc != 'U') {
			e = perr(ps, "unknown escape '\\%c' in a string", esc);
			goto done;
		}
		int nd = esc == 'u' ? 4 : 8;
		uint32_t cp = 0;
		for (int i = 0; i < nd; i++) {
			int h = ps->p < ps->end ? hexval((unsigned char)*ps->p) : -1;
			if (h < 0) {
				e = perr(ps, "'\\%c' wants %d hexadecimal digits", esc, nd);
				goto done;
			}
			cp = cp << 4 | (uint32_t)h;
			ps->p++;
		}
		if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
			e = perr(ps, "'\\%c' names U+%04X, which a string cannot hold", esc, (unsigned)cp);
			goto done;
		}
		put_utf8(&b, cp, &oom);
	}
	if (oom) {
		e = cr_fail(ps->m, CR_ENOMEM, "out of memory");
		goto done;
	}
	*out = cr_arena_strndup(&ps->c->a, b.len ? b.data : "", b.len);
	if (!*out)
		e = cr_fail(ps->m, CR_ENOMEM, "out of memory");
done:
	cr_buf_release(&b);
	return e;
}

static cr_err parse_int(parser *ps, int64_t *out)
{
	const char *s = ps->p;
	int neg = 0;
	if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
		neg = *ps->p++ == '-';
	const char *digits = ps->p;
	uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	int prev_digit = 0;
	while (ps->p < ps->end && ((*ps->p >= '0' && *ps->p <= '9') || *ps->p == '_')) {
		if (*ps->p == '_') {
			if (!prev_digit || ps->p + 1 >= ps->end || ps->p[1] < '0' || ps->p[1] > '9')
				return perr(ps, "'_' in a number goes between digits");
			prev_digit = 0;
			ps->p++;
			continue;
		}
		unsigned d = (unsigned)(*ps->p - '0');
		if (v > (lim - d) / 10)
			return perr(ps, "the number is out of the 64-bit range");
		v = v * 10 + d;
		prev_digit = 1;
		ps->p++;
	}
	if (ps->p == digits)
		return perr(ps, "a value is expected: a \"string\", a number, true, false or [an array]");
	if (digits[0] == '0' && ps->p - digits > 1)
		return perr(ps, "numbers have no leading zeros (nor hex, octal or binary forms)");
	if (ps->p < ps->end && (*ps->p == '.' || *ps->p == 'e' || *ps->p == 'E' || *ps->p == ':' ||
				*ps->p == 'x' || *ps->p == 'o' || *ps->p == 'b' || *ps->p == '-'))
		return perr(ps, "only whole numbers are supported here (no floats, dates or other forms)");
	(void)s;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return CR_OK;
}

static cr_err parse_value(parser *ps, cr_conf_val *v, int in_array);

static cr_err parse_array(parser *ps, cr_conf_val *v)
{
	ps->p++; /* [ */
	cr_buf items;
	cr_buf_init(&items, (size_t)CR_CONF_MAX_ITEMS * sizeof(cr_conf_val));
	cr_err e = CR_OK;
	for (;;) {
		skip_ws_lines(ps);
		if (ps->p == ps->end) {
			e = perr(ps, "the array is not closed");
			goto done;
		}
		if (*ps->p == ']') {
			ps->p++;
			break;
		}
		cr_conf_val it = {0};
		if ((e = parse_value(ps, &it, 1)))
			goto done;
		size_t n = items.len / sizeof it;
		if (n && ((const cr_conf_val *)items.data)[0].type != it.type) {
			e = perr(ps, "an array holds values of one kind");
			goto done;
		}
		if (n >= CR_CONF_MAX_ITEMS || cr_buf_add(&items, &it, sizeof it)) {
			e = perr(ps, "the array has more than %u items", (unsigned)CR_CONF_MAX_ITEMS);
			goto done;
		}
		skip_ws_lines(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == ']') {
			ps->p++;
			break;
		}
		e = perr(ps, "',' or ']' is expected in the array");
		goto done;
	}
	v->type = CR_CONF_ARRAY;
	v->n_items = items.len / sizeof(cr_conf_val);
	if (v->n_items && !(v->items = cr_arena_memdup(&ps->c->a, items.data, items.len)))
		e = cr_fail(ps->m, CR_ENOMEM, "out of memory");
done:
	cr_buf_release(&items);
	return e;
}

static cr_err parse_value(parser *ps, cr_conf_val *v, int in_array)
{
	v->line = ps->line;
	if (ps->p == ps->end || *ps->p == '\n' || *ps->p == '\r' || *ps->p == '#')
		return perr(ps, "a value is expected after '='");
	char ch = *ps->p;
	if (ch == '"' || ch == '\'') {
		v->type = CR_CONF_STR;
		return parse_string(ps, &v->str);
	}
	if (ch == '[') {
		if (in_array)
			return perr(ps, "arrays of arrays are not supported");
		return parse_array(ps, v);
	}
	if (ch == '{')
		return perr(ps, "inline tables are not supported");
	size_t left = (size_t)(ps->end - ps->p);
	if (left >= 4 && !memcmp(ps->p, "true", 4) && (left == 4 || !is_bare((unsigned char)ps->p[4]))) {
		ps->p += 4;
		v->type = CR_CONF_BOOL;
		v->i = 1;
		return CR_OK;
	}
	if (left >= 5 && !memcmp(ps->p, "false", 5) && (left == 5 || !is_bare((unsigned char)ps->p[5]))) {
		ps->p += 5;
		v->type = CR_CONF_BOOL;
		v->i = 0;
		return CR_OK;
	}
	if (ch == '+' || ch == '-' || (ch >= '0' && ch <= '9')) {
		v->type = CR_CONF_INT;
		return parse_int(ps, &v->i);
	}
	return perr(ps, "a value is expected: a \"string\", a number, true, false or [an array]");
}

/* "a.b" is "a" + "." + "b": the names overlap when one is table t and the
 * other a key k of its parent. */
static int is_sub(const char *table, const char *key, const char *sub)
{
	size_t tl = strlen(table);
	if (tl) {
		if (strncmp(sub, table, tl) || sub[tl] != '.')
			return 0;
		sub += tl + 1;
	}
	return !strcmp(sub, key);
}

static cr_err add_table(parser *ps, const char *name)
{
	cr_conf *c = ps->c;
	for (size_t i = 0; i < c->n_tables; i++)
		if (!strcmp(c->tables[i], name))
			return perr(ps, "table [%s] is defined twice (first on line %d)", name, c->table_lines[i]);
	for (size_t i = 0; i < c->n; i++)
		if (is_sub(c->e[i].table, c->e[i].key, name))
			return perr(ps, "table [%s] clashes with the key on line %d", name, c->e[i].v.line);
	if (c->n_tables >= CR_CONF_MAX_ENTRIES)
		return perr(ps, "more than %u tables", (unsigned)CR_CONF_MAX_ENTRIES);
	if (c->n_tables == c->cap_tables) {
		size_t cap = c->cap_tables ? c->cap_tables * 2 : 16;
		const char **t = cr_arena_alloc(&c->a, cap * sizeof *t);
		int *l = cr_arena_alloc(&c->a, cap * sizeof *l);
		if (!t || !l)
			return cr_fail(ps->m, CR_ENOMEM, "out of memory");
		if (c->n_tables) {
			memcpy(t, c->tables, c->n_tables * sizeof *t);
			memcpy(l, c->table_lines, c->n_tables * sizeof *l);
		}
		c->tables = t;
		c->table_lines = l;
		c->cap_tables = cap;
	}
	c->tables[c->n_tables] = name;
	c->table_lines[c->n_tables++] = ps->line;
	return CR_OK;
}

static cr_err parse_table(parser *ps)
{
	ps->p++; /* [ */
	if (ps->p < ps->end && *ps->p == '[')
		return perr(ps, "arrays of tables ([[...]]) are not supported");
	skip_ws(ps);
	cr_buf name;
	cr_buf_init(&name, 4096);
	cr_err e;
	for (;;) {
		const char *part;
		if ((e = bare_name(ps, "table name", &part)))
			goto done;
		if ((name.len && cr_buf_add(&name, ".", 1)) || cr_buf_add(&name, part, strlen(part))) {
			e = perr(ps, "the table name is too long");
			goto done;
		}
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == '.') {
			ps->p++;
			skip_ws(ps);
			continue;
		}
		break;
	}
	if (ps->p == ps->end || *ps->p != ']') {
		e = perr(ps, "']' is expected after the table name");
		goto done;
	}
	ps->p++;
	char *t = cr_arena_strndup(&ps->c->a, name.data, name.len);
	if (!t) {
		e = cr_fail(ps->m, CR_ENOMEM, "out of memory");
		goto done;
	}
	if ((e = add_table(ps, t)))
		goto done;
	ps->table = t;
	e = end_line(ps);
done:
	cr_buf_release(&name);
	return e;
}

static cr_err parse_keyval(parser *ps)
{
	cr_conf *c = ps->c;
	const char *key;
	cr_err e;
	int line = ps->line;
	if ((e = bare_name(ps, "key", &key)))
		return e;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '.')
		return perr(ps, "dotted keys are not supported: write [%s%s%s] above the key instead", ps->table,
			    *ps->table ? "." : "", key);
	if (ps->p == ps->end || *ps->p != '=')
		return perr(ps, "'=' is expected after the key '%s'", key);
	ps->p++;
	skip_ws(ps);
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->e[i].key, key) && !strcmp(c->e[i].table, ps->table))
			return perr(ps, "%s%s%s is set twice (first on line %d)", ps->table, *ps->table ? "." : "",
				    key, c->e[i].v.line);
	for (size_t i = 0; i < c->n_tables; i++)
		if (is_sub(ps->table, key, c->tables[i]))
			return perr(ps, "the key '%s' clashes with table [%s] on line %d", key, c->tables[i],
				    c->table_lines[i]);
	if (c->n >= CR_CONF_MAX_ENTRIES)
		return perr(ps, "more than %u keys", (unsigned)CR_CONF_MAX_ENTRIES);
	cr_conf_val v = {0};
	if ((e = parse_value(ps, &v, 0)))
		return e;
	v.line = line;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 32;
		entry *ne = cr_arena_alloc(&c->a, cap * sizeof *ne);
		if (!ne)
			return cr_fail(ps->m, CR_ENOMEM, "out of memory");
		if (c->n)
			memcpy(ne, c->e, c->n * sizeof *ne);
		c->e = ne;
		c->cap = cap;
	}
	c->e[c->n++] = (entry){ps->table, key, v};
	return end_line(ps);
}

/* UTF-8, and no control characters but tab, "\n" and "\r\n". */
static cr_err check_bytes(parser *ps, const char *text, size_t len)
{
	if (!cr_utf8_valid((const uint8_t *)text, len))
		return cr_fail(ps->m, CR_ECORRUPT, "%s: not valid UTF-8", ps->c->name);
	int line = 1;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)text[i];
		if (ch == '\n')
			line++;
		else if ((ch < 0x20 && ch != '\t' && !(ch == '\r' && i + 1 < len && text[i + 1] == '\n')) ||
			 ch == 0x7f)
			return cr_fail(ps->m, CR_ECORRUPT, "%s:%d: control character 0x%02x", ps->c->name, line, ch);
	}
	return CR_OK;
}

cr_err cr_conf_parse(const char *text, size_t len, const char *name, cr_conf **out, cr_msg *m)
{
	cr_conf *c = cr_calloc(1, sizeof *c);
	if (!c)
		return cr_fail(m, CR_ENOMEM, "out of memory");
	cr_arena_init(&c->a, 0);
	c->name = cr_arena_strdup(&c->a, name ? name : "config");
	parser ps = {c, text, text + len, 1, "", m};
	cr_err e;
	if (!c->name) {
		e = cr_fail(m, CR_ENOMEM, "out of memory");
		goto fail;
	}
	if (len > CR_CONF_MAX_BYTES) {
		e = cr_fail(m, CR_ETOOBIG, "%s: over %u bytes", c->name, (unsigned)CR_CONF_MAX_BYTES);
		goto fail;
	}
	if ((e = check_bytes(&ps, text, len)))
		goto fail;
	if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
		ps.p += 3; /* a byte-order mark */
	for (;;) {
		skip_ws_lines(&ps);
		if (ps.p == ps.end)
			break;
		if (*ps.p == '[')
			e = parse_table(&ps);
		else
			e = parse_keyval(&ps);
		if (e)
			goto fail;
	}
	*out = c;
	return CR_OK;
fail:
	cr_conf_free(c);
	return e;
}

cr_err cr_conf_load(const char *path, cr_conf **out, cr_msg *m)
{
	uint8_t *text;
	size_t n;
	cr_msg fm = {{0}};
	struct stat st;
	if (stat(path, &st) && errno == ENOENT)
		return cr_fail(m, CR_ENOTFOUND, "%s: no such file", path);
	cr_err e = cr_file_read(path, CR_CONF_MAX_BYTES, &text, &n, &fm);
	if (e == CR_ETOOBIG)
		return cr_fail(m, e, "%s: over %u bytes", path, (unsigned)CR_CONF_MAX_BYTES);
	if (e) {
		return cr_fail(m, CR_EIO, "%s", fm.text[0] ? fm.text : cr_strerror(e));
	}
	e = cr_conf_parse((const char *)text, n, path, out, m);
	cr_free(text);
	return e;
}

void cr_conf_free(cr_conf *c)
{
	if (!c)
		return;
	cr_arena_release(&c->a);
	cr_free(c);
}

const char *cr_conf_name(const cr_conf *c) { return c->name; }

const cr_conf_val *cr_conf_get(const cr_conf *c, const char *table, const char *key)
{
	if (!c)
		return NULL;
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->e[i].key, key) && !strcmp(c->e[i].table, table))
			return &c->e[i].v;
	return NULL;
}

static cr_err wrong(const cr_conf *c, const cr_conf_val *v, const char *table, const char *key, const char *want,
		    cr_msg *m)
{
	return cr_fail(m, CR_EINVAL, "%s:%d: %s%s%s must be %s", c->name, v->line, table, *table ? "." : "", key, want);
}

cr_err cr_conf_str(const cr_conf *c, const char *table, const char *key, const char **out, cr_msg *m)
{
	const cr_conf_val *v = cr_conf_get(c, table, key);
	if (!v)
		return CR_OK;
	if (v->type != CR_CONF_STR)
		return wrong(c, v, table, key, "a string", m);
	*out = v->str;
	return CR_OK;
}

cr_err cr_conf_int(const cr_conf *c, const char *table, const char *key, int64_t lo, int64_t hi, int64_t *out,
		   cr_msg *m)
{
	const cr_conf_val *v = cr_conf_get(c, table, key);
	if (!v)
		return CR_OK;
	if (v->type != CR_CONF_INT || v->i < lo || v->i > hi) {
		char want[96];
		snprintf(want, sizeof want, "a whole number from %lld to %lld", (long long)lo, (long long)hi);
		return wrong(c, v, table, key, want, m);
	}
	*out = v->i;
	return CR_OK;
}

cr_err cr_conf_bool(const cr_conf *c, const char *table, const char *key, int *out, cr_msg *m)
{
	const cr_conf_val *v = cr_conf_get(c, table, key);
	if (!v)
		return CR_OK;
	if (v->type != CR_CONF_BOOL)
		return wrong(c, v, table, key, "true or false", m);
	*out = (int)v->i;
	return CR_OK;
}

int cr_conf_entry(const cr_conf *c, size_t i, const char **table, const char **key, const cr_conf_val **v)
{
	if (!c || i >= c->n)
		return 0;
	*table = c->e[i].table;
	*key = c->e[i].key;
	*v = &c->e[i].v;
	return 1;
}

static int known_one(const char *pat, const char *table, const char *key)
{
	size_t tl = strlen(table);
	size_t pl = strlen(pat);
	if (pl >= 2 && !strcmp(pat + pl - 2, ".*")) {
		size_t base = pl - 2;
		return !strncmp(table, pat, base) && (table[base] == 0 || table[base] == '.');
	}
	if (tl)
		return !strncmp(pat, table, tl) && pat[tl] == '.' && !strcmp(pat + tl + 1, key);
	return !strcmp(pat, key);
}

cr_err cr_conf_check(const cr_conf *c, const char *const *known, cr_msg *m)
{
	for (size_t i = 0; c && i < c->n; i++) {
		int ok = 0;
		for (const char *const *k = known; *k && !ok; k++)
			ok = known_one(*k, c->e[i].table, c->e[i].key);
		if (!ok)
			return cr_fail(m, CR_EINVAL, "%s:%d: unknown setting %s%s%s (docs/CONFIG.md lists them)", c->name,
				       c->e[i].v.line, c->e[i].table, *c->e[i].table ? "." : "", c->e[i].key);
	}
	return CR_OK;
}
