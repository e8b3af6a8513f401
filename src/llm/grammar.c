/*
 * grammar.c — JSON-constrained decoding: a character-level pushdown
 * automaton for JSON (optionally narrowed by a JSON Schema subset), checked
 * against each candidate token's bytes.
 *
 * State: a stack of at most MAX_DEPTH frames, one per open construct:
 *   VALUE  a value is expected here (of schema node nd)
 *   OBJ    inside {...}: OPEN, KEY_DONE (expect ':'), AFTER_VALUE, COMMA;
 *          `used` has a bit per schema property already given
 *   ARR    inside [...]: OPEN, AFTER_VALUE, COMMA
 *   STR    inside a string: escape and UTF-8 continuation sub-states
 *   KEY    a schema key: matched byte by byte against the (JSON-escaped)
 *          names of properties not yet given; `alive` is the candidate set
 *   NUM    JSON number states (integer nodes refuse '.', 'e')
 *   LIT    true/false/null and enum values, as raw JSON text candidates
 * Scalars without a closing byte (numbers, literals) end on the first byte
 * that cannot continue them, which is then given to the parent frame.
 * UTF-8 inside strings is validated (no overlongs, no surrogates). Numbers
 * have at most 32 characters and two exponent digits, so each one parses
 * to a finite double.
 *
 * Checking a token copies only the used part of the stack (a few frames),
 * feeds its bytes and throws the copy away. cr_grammar_sample samples
 * unconstrained first and only masks what the grammar rejects, so the
 * common case costs a handful of checks, not one per vocabulary entry; after
 * 16 rejections it builds the full mask (O(n_vocab × token length)).
 *
 * Closing (cr_grammar_close) walks the same automaton, emitting at each
 * step the shortest byte that makes progress toward a complete value.
 */
#include "cristal/llm.h"

#include <jansson.h>
#include <string.h>

#define MAX_DEPTH 32
#define MAX_WS 16
#define MAX_NUM 32
#define MAX_TRIES 16

typedef enum { N_ANY, N_OBJECT, N_ARRAY, N_STRING, N_NUMBER, N_INTEGER, N_BOOLEAN, N_NULL, N_ENUM } ntype;

typedef struct node {
	ntype t;
	int n_props;            /* object: 0 = any keys, ANY values */
	char **names;           /* JSON-escaped, without quotes */
	size_t *name_len;
	struct node **props;
	uint64_t required;
	struct node *items;     /* array: NULL = ANY */
	int max_len;            /* string: maxLength in bytes of its JSON text (0: none) */
	int n_lit;              /* enum / literal candidates (raw JSON text) */
	const char **lit;
	size_t *lit_len;
} node;

enum { F_VALUE, F_OBJ, F_ARR, F_STR, F_KEY, F_NUM, F_LIT };
enum { O_OPEN, O_KEY_DONE, O_VALUE, O_AFTER, O_COMMA };
enum { A_OPEN, A_VALUE, A_AFTER, A_COMMA };
enum { NU_MINUS, NU_ZERO, NU_INT, NU_DOT, NU_FRAC, NU_E, NU_ESIGN, NU_EXP };

typedef struct frame {
	uint8_t kind, st, esc, u8n, u8lo, u8hi, is_key;
	const node *nd;
	uint64_t used;  /* OBJ: properties given; KEY, LIT: alive candidates */
	int32_t key;    /* OBJ: property of the value being parsed */
	int32_t pos;    /* KEY, LIT: bytes matched; NUM: length; STR: \u value */
	int32_t len;    /* STR: bytes of the string's JSON text so far */
} frame;

typedef struct gstate {
	int depth, done, ws;
	frame f[MAX_DEPTH];
} gstate;

struct cr_grammar {
	cr_arena arena;
	const node *root;
	gstate st;
	/* token level */
	int n_vocab, n_logits;
	const cr_tok *tok;
	char *tok_bytes;
	uint32_t *tok_off; /* n_vocab + 1 */
	uint8_t *eog;      /* never picked: end-of-generation or control */
	uint8_t *mask;
	int32_t *masked;
	gstate scratch;
};

static const node any_node = {.t = N_ANY};
static const char *const lit_bool[] = {"true", "false"};
static const size_t lit_bool_len[] = {4, 5};
static const char *const lit_null[] = {"null"};
static const size_t lit_null_len[] = {4};
static const node bool_node = {.t = N_BOOLEAN, .n_lit = 2, .lit = (const char **)lit_bool,
			       .lit_len = (size_t *)lit_bool_len};
static const node null_node = {.t = N_NULL, .n_lit = 1, .lit = (const char **)lit_null,
			       .lit_len = (size_t *)lit_null_len};

static void state_copy(gstate *d, const gstate *s)
{
	d->depth = s->depth;
	d->done = s->done;
	d->ws = s->ws;
	memcpy(d->f, s->f, (size_t)s->depth * sizeof(frame));
}

static void state_init(gstate *s, const node *root)
{
	memset(s, 0, sizeof *s);
	s->depth = 1;
	s->f[0].kind = F_VALUE;
	s->f[0].nd = root;
}

static int is_ws(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* The value on top has ended: pop it and tell the parent. */
static void value_done(gstate *s)
{
	s->depth--;
	if (s->depth == 0) {
		s->done = 1;
		return;
	}
	frame *p = &s->f[s->depth - 1];
	if (p->kind == F_OBJ)
		p->st = O_AFTER;
	else if (p->kind == F_ARR)
		p->st = A_AFTER;
}

static int push(gstate *s, int kind, const node *nd)
{
	if (s->depth >= MAX_DEPTH)
		return 0;
	frame *f = &s->f[s->depth++];
	memset(f, 0, sizeof *f);
	f->kind = (uint8_t)kind;
	f->nd = nd;
	return 1;
}

static uint64_t all_bits(int n) { return n >= 64 ? ~0ull : ((1ull << n) - 1); }

static void start_lit(frame *f, const node *nd)
{
	f->kind = F_LIT;
	f->nd = nd;
	f->used = all_bits(nd->n_lit);
	f->pos = 0;
}

/* Turns the VALUE frame on top into the construct c starts. 0 = reject. */
static int start_value(gstate *s, int c, int *again)
{
	frame *f = &s->f[s->depth - 1];
	const node *nd = f->nd;
	int root = s->depth == 1;
	*again = 0;
	/* a container needs room for itself, a key and a value: refusing it
	 * here (where other values remain possible) avoids dead ends deeper */
	if ((c == '{' || c == '[') && s->depth > MAX_DEPTH - 3)
		return 0;
	switch (nd->t) {
	case N_ANY:
		if (c == '{' || c == '[')
			break;
		if (root)
			return 0;
		if (c == '"')
			break;
		if (c == '-' || (c >= '0' && c <= '9'))
			break;
		if (c == 't' || c == 'f') {
			start_lit(f, &bool_node);
			*again = 1;
			return 1;
		}
		if (c == 'n') {
			start_lit(f, &null_node);
			*again = 1;
			return 1;
		}
		return 0;
	case N_OBJECT: if (c != '{') return 0; break;
	case N_ARRAY: if (c != '[') return 0; break;
	case N_STRING: if (c != '"') return 0; break;
	case N_NUMBER: case N_INTEGER:
		if (c != '-' && !(c >= '0' && c <= '9'))
			return 0;
		break;
	case N_BOOLEAN: case N_NULL: case N_ENUM:
		start_lit(f, nd);
		*again = 1;
		return 1;
	}
	memset(f, 0, sizeof *f);
	f->nd = nd;
	if (c == '{') {
		f->kind = F_OBJ;
		f->st = O_OPEN;
	} else if (c == '[') {
		f->kind = F_ARR;
		f->st = A_OPEN;
	} else if (c == '"') {
		f->kind = F_STR;
	} else {
		f->kind = F_NUM;
		*again = 1;
	}
	return 1;
}

static int str_byte(frame *f, int c)
{
	if (f->u8n) {
		if (c < f->u8lo || c > f->u8hi)
			return 0;
		f->u8n--;
		f->u8lo = 0x80;
		f->u8hi = 0xBF;
		return 1;
	}
	if (f->esc == 1) {
		if (c == 'u') {
			f->esc = 2;
			f->pos = 0;
			return 1;
		}
		if (!strchr("\"\\/bfnrt", c) || !c)
			return 0;
		f->esc = 0;
		return 1;
	}
	if (f->esc >= 2) {
		/* \uXXXX: no NUL (\u0000) and no surrogates (\uD800-\uDFFF), refused
		 * at the first digit that makes them certain so no prefix dead-ends */
		int h = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
			c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (h < 0 || (f->esc == 3 && f->pos == 0xD && h >= 8) || (f->esc == 5 && f->pos == 0 && h == 0))
			return 0;
		f->pos = f->pos * 16 + h;
		f->esc = f->esc == 5 ? 0 : f->esc + 1;
		if (!f->esc)
			f->pos = 0;
		return 1;
	}
	if (c == '\\') {
		f->esc = 1;
		return 1;
	}
	if (c < 0x20)
		return 0;
	if (c < 0x80)
		return 1;
	f->u8lo = 0x80;
	f->u8hi = 0xBF;
	if (c >= 0xC2 && c <= 0xDF) {
		f->u8n = 1;
	} else if (c >= 0xE0 && c <= 0xEF) {
		f->u8n = 2;
		if (c == 0xE0)
			f->u8lo = 0xA0;
		if (c == 0xED)
			f->u8hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		f->u8n = 3;
		if (c == 0xF0)
			f->u8lo = 0x90;
		if (c == 0xF4)
			f->u8hi = 0x8F;
	} else {
		return 0;
	}
	return 1;
}

static int num_byte(frame *f, int c, int integer)
{
	int d = c >= '0' && c <= '9';
	/* the length cap must never strand a number: a byte that leaves it
	 * incomplete ('-', '.', 'e', a sign) needs room for one more digit */
	int completes = d;
	if (f->pos + (completes ? 1 : 2) > MAX_NUM)
		return 0;
	switch (f->st) {
	case NU_MINUS:
		if (f->pos == 0 && c == '-') break; /* first byte */
		if (c == '0') { f->st = NU_ZERO; break; }
		if (d) { f->st = NU_INT; break; }
		return 0;
	case NU_ZERO: case NU_INT:
		if (d && f->st == NU_INT) break;
		if (c == '.' && !integer) { f->st = NU_DOT; break; }
		if ((c == 'e' || c == 'E') && !integer) { f->st = NU_E; break; }
		return 0;
	case NU_DOT: case NU_FRAC:
		if (d) { f->st = NU_FRAC; break; }
		if ((c == 'e' || c == 'E') && f->st == NU_FRAC) { f->st = NU_E; break; }
		return 0;
	case NU_E:
		if (c == '+' || c == '-') { f->st = NU_ESIGN; break; }
		/* fall through */
	case NU_ESIGN: case NU_EXP:
		/* two exponent digits at most: every number stays a finite double */
		if (d && f->esc < 2) { f->st = NU_EXP; f->esc++; break; }
		return 0;
	default:
		return 0;
	}
	f->pos++;
	return 1;
}

static int num_accepting(const frame *f)
{
	return f->pos > 0 && (f->st == NU_ZERO || f->st == NU_INT || f->st == NU_FRAC || f->st == NU_EXP);
}

static int lit_complete(const frame *f)
{
	for (int i = 0; i < f->nd->n_lit; i++)
		if ((f->used >> i & 1) && f->nd->lit_len[i] == (size_t)f->pos)
			return 1;
	return 0;
}

static uint64_t obj_missing(const frame *f) { return f->nd->required & ~f->used; }

static int obj_can_close(const frame *f) { return f->nd->n_props == 0 || !obj_missing(f); }

static int obj_has_more(const frame *f)
{
	return f->nd->n_props == 0 || (all_bits(f->nd->n_props) & ~f->used) != 0;
}

static int start_key(gstate *s)
{
	frame *o = &s->f[s->depth - 1];
	if (o->nd->n_props == 0) {
		if (!push(s, F_STR, &any_node))
			return 0;
		s->f[s->depth - 1].is_key = 1;
		return 1;
	}
	uint64_t alive = all_bits(o->nd->n_props) & ~o->used;
	if (!alive || !push(s, F_KEY, o->nd))
		return 0;
	s->f[s->depth - 1].used = alive;
	return 1;
}

/* Key (string or schema key) closed: the object now expects ':'. */
static void key_done(gstate *s, int32_t key)
{
	s->depth--;
	frame *o = &s->f[s->depth - 1];
	o->st = O_KEY_DONE;
	o->key = key;
	if (key >= 0)
		o->used |= 1ull << key;
}

static int step(gstate *s, int c)
{
	if (s->done || s->depth == 0)
		return 0;
	if (is_ws(c)) {
		const frame *f = &s->f[s->depth - 1];
		if ((f->kind == F_VALUE || f->kind == F_OBJ || f->kind == F_ARR) && ++s->ws > MAX_WS)
			return 0;
	} else {
		s->ws = 0;
	}
	for (int guard = 0; guard < 4 * MAX_DEPTH; guard++) {
		frame *f = &s->f[s->depth - 1];
		int again = 0;
		switch (f->kind) {
		case F_VALUE:
			if (is_ws(c))
				return 1;
			if (!start_value(s, c, &again))
				return 0;
			if (again)
				continue;
			return 1;
		case F_STR:
			if (f->esc == 0 && f->u8n == 0 && c == '"') {
				if (f->is_key)
					key_done(s, -1);
				else
					value_done(s);
				return 1;
			}
			/* maxLength: a character or escape starts only if it fits whole */
			if (f->nd && f->nd->t == N_STRING && f->nd->max_len && f->esc == 0 && f->u8n == 0) {
				int need = c == '\\' ? 6 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 1;
				if (f->len + need > f->nd->max_len)
					return 0;
			}
			if (!str_byte(f, c))
				return 0;
			f->len++;
			return 1;
		case F_KEY: {
			const node *o = f->nd;
			uint64_t next = 0;
			int complete = -1;
			for (int i = 0; i < o->n_props; i++) {
				if (!(f->used >> i & 1))
					continue;
				if (o->name_len[i] == (size_t)f->pos)
					complete = i;
				else if ((unsigned char)o->names[i][f->pos] == c)
					next |= 1ull << i;
			}
			if (c == '"' && complete >= 0) {
				key_done(s, complete);
				return 1;
			}
			if (!next)
				return 0;
			f->used = next;
			f->pos++;
			return 1;
		}
		case F_NUM:
			if (num_byte(f, c, f->nd->t == N_INTEGER))
				return 1;
			if (!num_accepting(f))
				return 0;
			value_done(s);
			continue;
		case F_LIT: {
			uint64_t next = 0;
			for (int i = 0; i < f->nd->n_lit; i++)
				if ((f->used >> i & 1) && f->nd->lit_len[i] > (size_t)f->pos &&
				    (unsigned char)f->nd->lit[i][f->pos] == c)
					next |= 1ull << i;
			if (next) {
				f->used = next;
				f->pos++;
				return 1;
			}
			if (!lit_complete(f))
				return 0;
			value_done(s);
			continue;
		}
		case F_OBJ:
			if (is_ws(c))
				return 1;
			switch (f->st) {
			case O_OPEN:
				if (c == '}' && obj_can_close(f)) {
					value_done(s);
					return 1;
				}
				return c == '"' && start_key(s);
			case O_COMMA:
				return c == '"' && start_key(s);
			case O_KEY_DONE:
				if (c != ':')
					return 0;
				f->st = O_VALUE;
				return push(s, F_VALUE, f->nd->n_props ? f->nd->props[f->key] : &any_node);
			case O_AFTER:
				if (c == '}' && obj_can_close(f)) {
					value_done(s);
					return 1;
				}
				if (c == ',' && obj_has_more(f)) {
					f->st = O_COMMA;
					return 1;
				}
				return 0;
			default:
				return 0;
			}
		case F_ARR:
			if (is_ws(c))
				return 1;
			switch (f->st) {
			case A_OPEN:
				if (c == ']') {
					value_done(s);
					return 1;
				}
				/* fall through */
			case A_COMMA:
				f->st = A_VALUE;
				if (!push(s, F_VALUE, f->nd->items ? f->nd->items : &any_node))
					return 0;
				continue;
			case A_AFTER:
				if (c == ']') {
					value_done(s);
					return 1;
				}
				if (c == ',') {
					f->st = A_COMMA;
					return 1;
				}
				return 0;
			default:
				return 0;
			}
		default:
			return 0;
		}
	}
	return 0;
}

static int feed_state(gstate *s, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!step(s, (unsigned char)p[i]))
			return 0;
	return 1;
}

/* ---- schema ------------------------------------------------------------ */

static cr_err parse_node(cr_grammar *g, json_t *j, int depth, node **out, cr_msg *m);

static cr_err schema_fail(cr_msg *m, const char *what) { return cr_fail(m, CR_EINVAL, "json-schema: %s", what); }

static cr_err parse_enum(cr_grammar *g, node *nd, json_t *arr, cr_msg *m)
{
	size_t n = json_array_size(arr);
	if (n == 0 || n > 64)
		return schema_fail(m, "enum needs 1 to 64 values");
	nd->t = N_ENUM;
	nd->n_lit = (int)n;
	nd->lit = cr_arena_zalloc(&g->arena, n * sizeof(char *));
	nd->lit_len = cr_arena_zalloc(&g->arena, n * sizeof(size_t));
	if (!nd->lit || !nd->lit_len)
		return CR_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		char *t = json_dumps(json_array_get(arr, i), JSON_ENCODE_ANY | JSON_COMPACT);
		if (!t)
			return CR_ENOMEM;
		nd->lit[i] = cr_arena_strdup(&g->arena, t);
		nd->lit_len[i] = strlen(t);
		free(t);
		if (!nd->lit[i])
			return CR_ENOMEM;
	}
	return CR_OK;
}

static cr_err parse_object(cr_grammar *g, node *nd, json_t *j, int depth, cr_msg *m)
{
	nd->t = N_OBJECT;
	json_t *props = json_object_get(j, "properties");
	if (!props)
		return CR_OK;
	if (!json_is_object(props))
		return schema_fail(m, "properties must be an object");
	size_t n = json_object_size(props);
	if (n > 64)
		return schema_fail(m, "at most 64 properties per object");
	nd->n_props = (int)n;
	nd->names = cr_arena_zalloc(&g->arena, (n + 1) * sizeof(char *));
	nd->name_len = cr_arena_zalloc(&g->arena, (n + 1) * sizeof(size_t));
	nd->props = cr_arena_zalloc(&g->arena, (n + 1) * sizeof(node *));
	if (!nd->names || !nd->name_len || !nd->props)
		return CR_ENOMEM;
	const char *key;
	json_t *v;
	int i = 0;
	cr_err e;
	json_object_foreach(props, key, v) {
		json_t *ks = json_string(key);
		char *t = ks ? json_dumps(ks, JSON_ENCODE_ANY) : NULL;
		json_decref(ks);
		if (!t)
			return CR_ENOMEM;
		size_t tl = strlen(t);
		nd->names[i] = cr_arena_strndup(&g->arena, t + 1, tl - 2);
		nd->name_len[i] = tl - 2;
		free(t);
		if (!nd->names[i])
			return CR_ENOMEM;
		if ((e = parse_node(g, v, depth + 1, &nd->props[i], m)))
			return e;
		i++;
	}
	json_t *req = json_object_get(j, "required");
	if (req) {
		if (!json_is_array(req))
			return schema_fail(m, "required must be an array");
		for (size_t r = 0; r < json_array_size(req); r++) {
			const char *name = json_string_value(json_array_get(req, r));
			if (!name)
				return schema_fail(m, "required must list strings");
			int found = -1, k = 0;
			json_object_foreach(props, key, v) {
				if (!strcmp(key, name))
					found = k;
				k++;
			}
			if (found < 0)
				return cr_fail(m, CR_EINVAL, "json-schema: required property '%s' is not in "
						"properties", name);
			nd->required |= 1ull << found;
		}
	}
	return CR_OK;
}

static cr_err parse_node(cr_grammar *g, json_t *j, int depth, node **out, cr_msg *m)
{
	if (depth > MAX_DEPTH / 2)
		return schema_fail(m, "nested too deeply");
	if (!json_is_object(j))
		return schema_fail(m, "a schema must be an object");
	node *nd = cr_arena_zalloc(&g->arena, sizeof *nd);
	if (!nd)
		return CR_ENOMEM;
	*out = nd;
	json_t *en = json_object_get(j, "enum");
	if (en) {
		if (!json_is_array(en))
			return schema_fail(m, "enum must be an array");
		return parse_enum(g, nd, en, m);
	}
	json_t *ty = json_object_get(j, "type");
	const char *t = json_string_value(ty);
	if (ty && !t)
		return schema_fail(m, "type must be a string (type lists are not supported)");
	if (!t) {
		if (json_object_get(j, "properties"))
			return parse_object(g, nd, j, depth, m);
		nd->t = N_ANY;
		return CR_OK;
	}
	if (!strcmp(t, "object"))
		return parse_object(g, nd, j, depth, m);
	if (!strcmp(t, "array")) {
		nd->t = N_ARRAY;
		json_t *it = json_object_get(j, "items");
		return it ? parse_node(g, it, depth + 1, &nd->items, m) : CR_OK;
	}
	if (!strcmp(t, "string")) {
		nd->t = N_STRING;
		json_t *ml = json_object_get(j, "maxLength");
		if (ml && (!json_is_integer(ml) || json_integer_value(ml) < 1 || json_integer_value(ml) > (1 << 20)))
			return schema_fail(m, "maxLength must be an integer from 1 to 1048576");
		nd->max_len = ml ? (int)json_integer_value(ml) : 0;
	}
	else if (!strcmp(t, "number"))
		nd->t = N_NUMBER;
	else if (!strcmp(t, "integer"))
		nd->t = N_INTEGER;
	else if (!strcmp(t, "boolean"))
		*nd = bool_node;
	else if (!strcmp(t, "null"))
		*nd = null_node;
	else
		return cr_fail(m, CR_EINVAL, "json-schema: unsupported type '%s'", t);
	return CR_OK;
}

/* ---- public ------------------------------------------------------------ */

static cr_err grammar_alloc(cr_grammar **out)
{
	cr_grammar *g = cr_calloc(1, sizeof *g);
	if (!g)
		return CR_ENOMEM;
	cr_arena_init(&g->arena, 0);
	*out = g;
	return CR_OK;
}

cr_err cr_grammar_new_json(cr_grammar **out)
{
	cr_err e = grammar_alloc(out);
	if (e)
		return e;
	(*out)->root = &any_node;
	state_init(&(*out)->st, (*out)->root);
	return CR_OK;
}

cr_err cr_grammar_new_schema(const char *schema, size_t len, cr_grammar **out, cr_msg *m)
{
	*out = NULL;
	json_error_t je;
	json_t *j = json_loadb(schema, len, 0, &je);
	if (!j)
		return cr_fail(m, CR_ECORRUPT, "json-schema: line %d: %s", je.line, je.text);
	cr_grammar *g;
	cr_err e = grammar_alloc(&g);
	if (e) {
		json_decref(j);
		return e;
	}
	node *root = NULL;
	e = parse_node(g, j, 0, &root, m);
	json_decref(j);
	if (!e && root->t != N_OBJECT && root->t != N_ARRAY && root->t != N_ANY)
		e = schema_fail(m, "the root must be an object or an array");
	if (e) {
		if (e == CR_ENOMEM)
			cr_fail(m, e, "json-schema: out of memory");
		cr_grammar_free(g);
		return e;
	}
	g->root = root;
	state_init(&g->st, root);
	*out = g;
	return CR_OK;
}

void cr_grammar_free(cr_grammar *g)
{
	if (!g)
		return;
	cr_arena_release(&g->arena);
	cr_free(g->tok_bytes);
	cr_free(g->tok_off);
	cr_free(g->eog);
	cr_free(g->mask);
	cr_free(g->masked);
	cr_free(g);
}

void cr_grammar_reset(cr_grammar *g) { state_init(&g->st, g->root); }

int cr_grammar_accepts(const cr_grammar *g, const char *p, size_t n)
{
	gstate s;
	state_copy(&s, &g->st);
	return feed_state(&s, p, n);
}

cr_err cr_grammar_feed(cr_grammar *g, const char *p, size_t n)
{
	gstate s;
	state_copy(&s, &g->st);
	if (!feed_state(&s, p, n))
		return CR_EINVAL;
	state_copy(&g->st, &s);
	return CR_OK;
}

int cr_grammar_done(const cr_grammar *g) { return g->st.done; }

/* The default value text for a node (the shortest valid one's first part). */
static const char *default_text(const node *nd, int root)
{
	switch (nd->t) {
	case N_ANY: return root ? "{" : "null";
	case N_OBJECT: return "{";
	case N_ARRAY: return "[";
	case N_STRING: return "\"\"";
	case N_NUMBER: case N_INTEGER: return "0";
	case N_BOOLEAN: return "false";
	case N_NULL: return "null";
	case N_ENUM: return nd->lit[0];
	}
	return "null";
}

cr_err cr_grammar_close(const cr_grammar *g, cr_buf *out)
{
	gstate s;
	state_copy(&s, &g->st);
	cr_err e;
	for (int iter = 0; !s.done; iter++) {
		if (iter > 100000)
			return CR_EINVAL;
		frame *f = &s.f[s.depth - 1];
		char one[2] = {0, 0};
		const char *emit = one;
		switch (f->kind) {
		case F_VALUE:
			emit = default_text(f->nd, s.depth == 1);
			break;
		case F_STR:
			if (f->u8n)
				one[0] = (char)f->u8lo;
			else if (f->esc == 1)
				one[0] = 'n';
			else if (f->esc >= 2)
				one[0] = f->esc == 5 && f->pos == 0 ? '1' : '0';
			else
				one[0] = '"';
			break;
		case F_KEY: {
			const node *o = f->nd;
			const frame *obj = &s.f[s.depth - 2];
			uint64_t pref = f->used & obj_missing(obj);
			uint64_t set = pref ? pref : f->used;
			int k = __builtin_ctzll(set);
			one[0] = o->name_len[k] == (size_t)f->pos ? '"' : o->names[k][f->pos];
			break;
		}
		case F_NUM:
			if (num_accepting(f)) {
				value_done(&s);
				continue;
			}
			one[0] = '0';
			break;
		case F_LIT: {
			if (lit_complete(f)) {
				value_done(&s);
				continue;
			}
			int k = __builtin_ctzll(f->used);
			one[0] = f->nd->lit[k][f->pos];
			break;
		}
		case F_OBJ:
			switch (f->st) {
			case O_OPEN:
				one[0] = obj_can_close(f) ? '}' : '"';
				break;
			case O_AFTER:
				one[0] = obj_can_close(f) ? '}' : ',';
				break;
			case O_COMMA:
				one[0] = '"';
				break;
			case O_KEY_DONE:
				one[0] = ':';
				break;
			default:
				return CR_EINVAL;
			}
			break;
		case F_ARR:
			if (f->st == A_COMMA)
				emit = default_text(f->nd->items ? f->nd->items : &any_node, 0);
			else
				one[0] = ']';
			break;
		default:
			return CR_EINVAL;
		}
		if (!feed_state(&s, emit, strlen(emit)))
			return CR_EINVAL;
		if ((e = cr_buf_adds(out, emit)))
			return e;
	}
	return CR_OK;
}

/* ---- token level ------------------------------------------------------- */

cr_err cr_grammar_bind(cr_grammar *g, const cr_tok *tok, int n_logits)
{
	int nv = cr_tok_n_vocab(tok);
	if (n_logits < nv)
		return CR_EINVAL;
	cr_buf b;
	cr_buf_init(&b, 0);
	cr_free(g->tok_off);
	cr_free(g->eog);
	cr_free(g->mask);
	cr_free(g->masked);
	cr_free(g->tok_bytes);
	g->tok_bytes = NULL;
	g->tok_off = cr_malloc(((size_t)nv + 1) * sizeof(uint32_t));
	g->eog = cr_calloc((size_t)nv, 1);
	g->mask = cr_calloc((size_t)n_logits, 1); /* ids >= nv stay 0 */
	g->masked = cr_malloc((MAX_TRIES + 1) * sizeof(int32_t));
	g->n_vocab = 0;
	if (!g->tok_off || !g->eog || !g->mask || !g->masked)
		return CR_ENOMEM;
	memset(g->mask, 1, (size_t)nv);
	cr_err e = CR_OK;
	for (int i = 0; i < nv; i++) {
		g->tok_off[i] = (uint32_t)b.len;
		/* end-of-generation and control tokens (<|im_start|>, <s>...) are
		 * never part of the JSON text, even if their piece would fit */
		g->eog[i] = (uint8_t)(cr_tok_is_eog(tok, i) || cr_tok_is_control(tok, i));
		if ((e = cr_tok_piece(tok, i, &b)))
			break;
	}
	if (e) {
		cr_buf_release(&b);
		return e;
	}
	g->tok_off[nv] = (uint32_t)b.len;
	g->tok_bytes = cr_buf_take(&b, NULL);
	g->tok = tok;
	g->n_vocab = nv;
	g->n_logits = n_logits;
	return CR_OK;
}

static int token_ok(cr_grammar *g, int id)
{
	if (id < 0 || id >= g->n_vocab || g->eog[id])
		return 0;
	uint32_t a = g->tok_off[id], b = g->tok_off[id + 1];
	if (a == b)
		return 0;
	state_copy(&g->scratch, &g->st);
	return feed_state(&g->scratch, g->tok_bytes + a, b - a);
}

cr_token_id cr_grammar_sample(cr_grammar *g, cr_sampler *s, const float *logits)
{
	if (g->st.done || !g->n_vocab)
		return -1;
	int n_masked = 0;
	cr_token_id id = -1;
	for (int t = 0; t < MAX_TRIES; t++) {
		id = cr_sampler_sample(s, logits, g->mask);
		if (id < 0 || id >= g->n_vocab)
			break;
		if (token_ok(g, id))
			goto out;
		g->mask[id] = 0;
		g->masked[n_masked++] = id;
	}
	for (int i = 0; i < g->n_vocab; i++)
		g->mask[i] = (uint8_t)token_ok(g, i);
	id = cr_sampler_sample(s, logits, g->mask);
	if (id >= g->n_vocab || (id >= 0 && !g->mask[id]))
		id = -1;
	memset(g->mask, 1, (size_t)g->n_vocab);
	return id;
out:
	for (int i = 0; i < n_masked; i++)
		g->mask[g->masked[i]] = 1;
	return id;
}

cr_err cr_grammar_accept_token(cr_grammar *g, cr_token_id id)
{
	if (id < 0 || id >= g->n_vocab)
		return CR_EINVAL;
	uint32_t a = g->tok_off[id], b = g->tok_off[id + 1];
	return cr_grammar_feed(g, g->tok_bytes + a, b - a);
}
