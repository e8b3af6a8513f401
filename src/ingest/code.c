/*
 * code.c — source code: the language of a file (from its name, or a shebang
 * line) and a split into sections at top-level symbols.
 *
 * cr_code_lang maps file extensions (and a few well-known names such as
 * Makefile and Dockerfile) to a language name: "c", "cpp", "python",
 * "javascript", "typescript", "go", "rust", "java", "ruby", "shell", "sql",
 * ... Data and markup formats (json, yaml, xml, md, txt) are not code here.
 * cr_code_lang_shebang reads "#!/usr/bin/env python3"-style first lines.
 *
 * cr_x_code finds symbols with simple per-language line patterns; no parser,
 * so it is fast, never recurses and tolerates broken code, at the price of
 * missing unusual layouts:
 *   C/C++/CUDA/ObjC  a line at column 0 with '(' not ending in ';' whose
 *                    '{' comes on it or within 3 lines (functions, "Foo::bar"),
 *                    and "struct|union|enum|class|namespace Name {" at column 0
 *   Java, C#, Kotlin, Scala, Swift, Dart, PHP  classes at indent 0 and
 *                    methods one level in ("Class.method")
 *   Python           def / async def / class at column 0; methods of a
 *                    top-level class ("Class.method"); decorators go with
 *                    the symbol
 *   JS/TS            function, class, interface, type, enum, and
 *                    "const name = (...) =>" / "= function" at column 0,
 *                    optionally after export / default / async; methods
 *                    of a top-level class ("Class.method")
 *   Go               func Name, func (r *T) Name ("T.Name"), type Name
 *   Rust             fn struct enum trait mod impl macro_rules! at column 0
 *                    (pub, async, unsafe allowed); fns inside impl ("T::f")
 *   Ruby             class / module / def ("Class#method"); Perl sub/package;
 *                    Lua function; shell "name()" and "function name";
 *                    SQL CREATE TABLE|VIEW|FUNCTION|PROCEDURE|INDEX|TRIGGER
 * Comment lines directly above a symbol belong to it. The text before the
 * first symbol (includes, imports) is a section without symbol. A symbol's
 * lines are cut into pieces of at most CODE_MAX_LINES lines / CODE_MAX_BYTES
 * bytes (at a blank line when possible), each with loc.line_start/line_end
 * (1-based) and loc.symbol. A line longer than CODE_LONG_LINE (minified
 * code) is cut into CODE_MAX_BYTES pieces at a space or punctuation, never
 * inside a UTF-8 character; those pieces all carry that line number, and the
 * document gets meta minified = "yes".
 *
 * Bytes with NULs are binary: CR_EUNSUPPORTED ("code: binary content").
 * Text that is not UTF-8 is converted with cr_charset_to_utf8.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "ingest_int.h"

#define CODE_MAX_LINES 150
#define CODE_MAX_BYTES 6000
#define CODE_LONG_LINE 4000
/* symbol_at's answer for "top-level code that belongs to no symbol" */
static const char CODE_NO_SYMBOL[] = "";

/* ---- languages ------------------------------------------------------------ */

static const struct {
	const char *ext, *lang;
} code_exts[] = {
	{"c", "c"},           {"h", "c"},          {"cc", "cpp"},        {"cpp", "cpp"},       {"cxx", "cpp"},
	{"c++", "cpp"},       {"hpp", "cpp"},      {"hh", "cpp"},        {"hxx", "cpp"},       {"h++", "cpp"},
	{"ipp", "cpp"},       {"inl", "cpp"},      {"tpp", "cpp"},       {"ino", "cpp"},       {"cu", "cuda"},
	{"cuh", "cuda"},      {"m", "objc"},       {"mm", "objcpp"},     {"py", "python"},     {"pyw", "python"},
	{"pyi", "python"},    {"js", "javascript"}, {"mjs", "javascript"}, {"cjs", "javascript"},
	{"jsx", "javascript"}, {"ts", "typescript"}, {"tsx", "typescript"}, {"mts", "typescript"},
	{"cts", "typescript"}, {"go", "go"},        {"rs", "rust"},       {"java", "java"},     {"kt", "kotlin"},
	{"kts", "kotlin"},    {"scala", "scala"},  {"sc", "scala"},      {"groovy", "groovy"}, {"gradle", "groovy"},
	{"cs", "csharp"},     {"fs", "fsharp"},    {"fsx", "fsharp"},    {"swift", "swift"},   {"rb", "ruby"},
	{"rake", "ruby"},     {"gemspec", "ruby"}, {"php", "php"},       {"pl", "perl"},       {"pm", "perl"},
	{"lua", "lua"},       {"r", "r"},          {"jl", "julia"},      {"hs", "haskell"},    {"ml", "ocaml"},
	{"mli", "ocaml"},     {"ex", "elixir"},    {"exs", "elixir"},    {"erl", "erlang"},    {"hrl", "erlang"},
	{"clj", "clojure"},   {"cljs", "clojure"}, {"dart", "dart"},     {"sh", "shell"},      {"bash", "shell"},
	{"zsh", "shell"},     {"ksh", "shell"},    {"fish", "fish"},     {"ps1", "powershell"}, {"psm1", "powershell"},
	{"bat", "batch"},     {"cmd", "batch"},    {"sql", "sql"},       {"proto", "protobuf"}, {"cmake", "cmake"},
	{"mk", "make"},       {"mak", "make"},     {"s", "asm"},         {"asm", "asm"},       {"f90", "fortran"},
	{"f95", "fortran"},   {"zig", "zig"},      {"nim", "nim"},       {"vue", "vue"},       {"svelte", "svelte"},
	{"css", "css"},       {"scss", "css"},     {"less", "css"},      {"tf", "terraform"},  {"nix", "nix"},
	{"el", "elisp"},      {"lisp", "lisp"},    {"scm", "scheme"},    {"pas", "pascal"},    {"sol", "solidity"},
	{"glsl", "glsl"},     {"vert", "glsl"},    {"frag", "glsl"},
};

static const struct {
	const char *name, *lang;
} code_names[] = {
	{"Makefile", "make"},  {"makefile", "make"},   {"GNUmakefile", "make"}, {"Dockerfile", "dockerfile"},
	{"Rakefile", "ruby"},  {"Gemfile", "ruby"},    {"Jenkinsfile", "groovy"}, {"Vagrantfile", "ruby"},
	{"CMakeLists.txt", "cmake"}, {"meson.build", "meson"}, {"BUILD", "bazel"}, {"WORKSPACE", "bazel"},
};

const char *cr_code_lang(const char *name)
{
	if (!name)
		return NULL;
	const char *h = strrchr(name, '#');
	const char *leaf = h ? h + 1 : name;
	const char *sl = strrchr(leaf, '/');
	leaf = sl ? sl + 1 : leaf;
	for (size_t i = 0; i < CR_ARRAY_LEN(code_names); i++)
		if (strcmp(leaf, code_names[i].name) == 0)
			return code_names[i].lang;
	const char *dot = strrchr(leaf, '.');
	if (!dot || dot == leaf || !dot[1])
		return NULL;
	/* ".S" is assembly, ".R" is R, ".C" / ".H" are C++ */
	if (strcmp(dot, ".C") == 0 || strcmp(dot, ".H") == 0)
		return "cpp";
	for (size_t i = 0; i < CR_ARRAY_LEN(code_exts); i++)
		if (strcasecmp(dot + 1, code_exts[i].ext) == 0)
			return code_exts[i].lang;
	return NULL;
}

const char *cr_code_lang_shebang(const uint8_t *buf, size_t len)
{
	if (!buf || len < 3 || buf[0] != '#' || buf[1] != '!')
		return NULL;
	size_t n = 2;
	while (n < len && n < 256 && buf[n] != '\n')
		n++;
	char line[260];
	memcpy(line, buf, n);
	line[n] = 0;
	/* the interpreter: last path component of the first word, or the word
	 * after "env" (skipping env's options) */
	char *p = line + 2;
	while (*p == ' ')
		p++;
	char *w = p;
	while (*p && *p != ' ' && *p != '\r')
		p++;
	char *we = p;
	char *base = w;
	for (char *q = w; q < we; q++)
		if (*q == '/')
			base = q + 1;
	if ((size_t)(we - base) == 3 && strncmp(base, "env", 3) == 0) {
		while (*p == ' ' || (*p == '-' && p[1] && p[1] != ' ')) {
			if (*p == '-')
				while (*p && *p != ' ')
					p++;
			else
				p++;
		}
		base = p;
		while (*p && *p != ' ' && *p != '\r')
			p++;
		we = p;
	}
	static const struct {
		const char *prefix, *lang;
	} interp[] = {
		{"python", "python"}, {"bash", "shell"}, {"sh", "shell"},   {"zsh", "shell"},  {"ksh", "shell"},
		{"dash", "shell"},    {"node", "javascript"}, {"deno", "typescript"}, {"ruby", "ruby"}, {"perl", "perl"},
		{"php", "php"},       {"lua", "lua"},   {"Rscript", "r"},   {"fish", "fish"},  {"tclsh", "tcl"},
	};
	size_t bl = (size_t)(we - base);
	for (size_t i = 0; i < CR_ARRAY_LEN(interp); i++) {
		size_t pl = strlen(interp[i].prefix);
		if (bl >= pl && strncmp(base, interp[i].prefix, pl) == 0 &&
		    (bl == pl || isdigit((unsigned char)base[pl]) || base[pl] == '.'))
			return interp[i].lang;
	}
	return NULL;
}

/* ---- symbol patterns ------------------------------------------------------ */

typedef enum {
	FAM_NONE, FAM_C, FAM_JAVA, FAM_PY, FAM_JS, FAM_GO, FAM_RUST, FAM_RUBY, FAM_SHELL, FAM_SQL, FAM_LUA,
	FAM_PERL
} family;

static family lang_family(const char *lang)
{
	static const struct {
		const char *lang;
		family f;
	} tab[] = {
		{"c", FAM_C},          {"cpp", FAM_C},        {"cuda", FAM_C},       {"objc", FAM_C},
		{"objcpp", FAM_C},     {"glsl", FAM_C},       {"java", FAM_JAVA},    {"csharp", FAM_JAVA},
		{"kotlin", FAM_JAVA},  {"scala", FAM_JAVA},   {"swift", FAM_JAVA},   {"dart", FAM_JAVA},
		{"php", FAM_JAVA},     {"groovy", FAM_JAVA},  {"python", FAM_PY},    {"javascript", FAM_JS},
		{"typescript", FAM_JS}, {"vue", FAM_JS},      {"svelte", FAM_JS},    {"go", FAM_GO},
		{"rust", FAM_RUST},    {"ruby", FAM_RUBY},    {"shell", FAM_SHELL},  {"sql", FAM_SQL},
		{"lua", FAM_LUA},      {"perl", FAM_PERL},
	};
	for (size_t i = 0; i < CR_ARRAY_LEN(tab); i++)
		if (strcmp(tab[i].lang, lang) == 0)
			return tab[i].f;
	return FAM_NONE;
}

typedef struct cline {
	const char *s;
	size_t n;      /* without the newline */
	size_t indent; /* leading spaces (a tab counts 4) */
	size_t lead;   /* bytes of leading whitespace */
} cline;

static int is_ident(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '$';
}

/* Does the line have word w at pos, followed by a space and something
 * more? Returns the position after the space(s) (always < l->n, so the
 * caller may read l->s[result]), or 0. */
static size_t kw(const cline *l, size_t pos, const char *w)
{
	size_t wl = strlen(w);
	if (l->n - pos < wl + 1 || memcmp(l->s + pos, w, wl) != 0 ||
	    (l->s[pos + wl] != ' ' && l->s[pos + wl] != '\t'))
		return 0;
	pos += wl;
	while (pos < l->n && (l->s[pos] == ' ' || l->s[pos] == '\t'))
		pos++;
	return pos < l->n ? pos : 0;
}

static size_t kw_ci(const cline *l, size_t pos, const char *w)
{
	size_t wl = strlen(w);
	if (l->n - pos < wl + 1 || strncasecmp(l->s + pos, w, wl) != 0 ||
	    (l->s[pos + wl] != ' ' && l->s[pos + wl] != '\t'))
		return 0;
	pos += wl;
	while (pos < l->n && (l->s[pos] == ' ' || l->s[pos] == '\t'))
		pos++;
	return pos < l->n ? pos : 0;
}

/* Skips any of the words in `mods` at pos. */
static size_t skip_words(const cline *l, size_t pos, const char *const *mods)
{
	for (int again = 1; again;) {
		again = 0;
		for (size_t i = 0; mods[i]; i++) {
			size_t p = kw(l, pos, mods[i]);
			if (p) {
				pos = p;
				again = 1;
			}
		}
	}
	return pos;
}

/* Identifier at pos (extra: more allowed characters). */
static size_t ident_len(const cline *l, size_t pos, const char *extra)
{
	size_t i = pos;
	while (i < l->n && (is_ident(l->s[i]) || (extra && l->s[i] && strchr(extra, l->s[i]))))
		i++;
	return i - pos;
}

static char *dup_ident(cr_arena *a, const cline *l, size_t pos, const char *extra)
{
	size_t n = ident_len(l, pos, extra);
	if (!n || n > 200)
		return NULL;
	return cr_arena_strndup(a, l->s + pos, n);
}

/* The text of the line without a trailing // or # comment and spaces. */
static size_t trimmed_len(const cline *l)
{
	size_t n = l->n;
	const char *c = n >= 2 ? memmem(l->s, n, "//", 2) : NULL;
	if (c)
		n = (size_t)(c - l->s);
	while (n && isspace((unsigned char)l->s[n - 1]))
		n--;
	return n;
}

static int starts_kw_stmt(const cline *l, size_t pos)
{
	static const char *stmts[] = {"if", "else", "for", "while", "switch", "return", "do", "case", "goto",
				      "sizeof", "new", "throw", "catch", "try", "delete", "using", "typedef",
				      "extern", "static_assert", "await", "yield", NULL};
	for (size_t i = 0; stmts[i]; i++) {
		size_t wl = strlen(stmts[i]);
		if (l->n - pos >= wl && memcmp(l->s + pos, stmts[i], wl) == 0 &&
		    (l->n - pos == wl || !is_ident(l->s[pos + wl])))
			return 1;
	}
	return 0;
}

/* C-like function: name before the first '(' of the line. */
static char *c_func_name(cr_arena *a, const cline *l, size_t pos, int cpp)
{
	const char *par = memchr(l->s + pos, '(', l->n - pos);
	if (!par)
		return NULL;
	size_t e = (size_t)(par - l->s);
	while (e > pos && l->s[e - 1] == ' ')
		e--;
	size_t b = e;
	while (b > pos && (is_ident(l->s[b - 1]) || (cpp && (l->s[b - 1] == ':' || l->s[b - 1] == '~'))))
		b--;
	if (b == e || isdigit((unsigned char)l->s[b]))
		return NULL;
	/* the '=' of an initialiser means this is not a function */
	if (memchr(l->s + pos, '=', e - pos))
		return NULL;
	return cr_arena_strndup(a, l->s + b, e - b);
}

/* Is there a '{' on line i or the next 3, before a ';'? */
static int brace_follows(const cline *ls, size_t n_lines, size_t i)
{
	for (size_t k = i; k < n_lines && k < i + 4; k++) {
		size_t tl = trimmed_len(&ls[k]);
		for (size_t j = 0; j < tl; j++) {
			if (ls[k].s[j] == '{')
				return 1;
			if (ls[k].s[j] == ';')
				return 0;
		}
		if (k > i && ls[k].lead == 0 && tl && ls[k].s[0] != '{' && ls[k].s[0] != ')' && !isspace((unsigned char)ls[k].s[0]) &&
		    ls[k].s[tl - 1] != ',' && ls[k].s[tl - 1] != ')')
			return 0;
	}
	return 0;
}

typedef struct scan {
	cr_arena *a;
	family fam;
	const char *lang;
	char *cls;          /* current top-level class (for methods) */
	size_t cls_indent;
} scan;

static const char *const c_type_kw[] = {"struct", "union", "enum", "class", "namespace", NULL};

/* The symbol starting at line i, or NULL. */
static char *symbol_at(scan *sc, const cline *ls, size_t n_lines, size_t i)
{
	const cline *l = &ls[i];
	cr_arena *a = sc->a;
	size_t p = l->lead;
	if (p >= l->n)
		return NULL;
	char c0 = l->s[p];
	switch (sc->fam) {
	case FAM_C: {
		if (l->lead != 0 || c0 == '#' || c0 == '{' || c0 == '}' || c0 == '/' || c0 == '*' || !is_ident(c0))
			return NULL;
		size_t tl = trimmed_len(l);
		if (tl && (l->s[tl - 1] == ';' || l->s[tl - 1] == ','))
			return NULL;
		static const char *pre[] = {"typedef", "template", "export", "static", "inline", NULL};
		size_t q = skip_words(l, 0, pre);
		if (q < l->n && l->s[q] == '<') { /* template<...> class X */
			const char *gt = memchr(l->s + q, '>', l->n - q);
			if (gt) {
				q = (size_t)(gt - l->s) + 1;
				while (q < l->n && l->s[q] == ' ')
					q++;
			}
		}
		for (size_t k = 0; c_type_kw[k]; k++) {
			size_t r = kw(l, q, c_type_kw[k]);
			if (r && is_ident(l->s[r]) && brace_follows(ls, n_lines, i)) {
				char *nm = dup_ident(a, l, r, ":");
				return nm ? cr_arena_printf(a, "%s %s", c_type_kw[k], nm) : NULL;
			}
		}
		if (starts_kw_stmt(l, 0) || !memchr(l->s, '(', l->n))
			return NULL;
		if (!brace_follows(ls, n_lines, i))
			return NULL;
		return c_func_name(a, l, 0, strcmp(sc->lang, "c") != 0);
	}
	case FAM_JAVA: {
		static const char *mods[] = {"public", "private", "protected", "internal", "static", "final",
					     "abstract", "sealed", "open", "override", "data", "inline", "async",
					     "partial", "virtual", "export", "default", "synchronized", "native",
					     "suspend", "fileprivate", "readonly", "unsafe", "extern", "new", NULL};
		static const char *types[] = {"class", "interface", "enum", "record", "struct", "object", "trait",
					      "protocol", "extension", "@interface", NULL};
		size_t q = skip_words(l, p, mods);
		for (size_t k = 0; types[k]; k++) {
			size_t r = kw(l, q, types[k]);
			if (r && l->indent <= 4) {
				char *nm = dup_ident(a, l, r, NULL);
				if (nm && l->indent == 0) {
					sc->cls = nm;
					sc->cls_indent = 0;
				}
				return nm;
			}
		}
		/* methods: "fun f(", "def f(", "func f(", "function f(" or "Type name(" */
		if (l->indent == 0 || l->indent > 8 || !sc->cls)
			return NULL;
		size_t tl = trimmed_len(l);
		if (q >= tl || l->s[tl - 1] == ';' || starts_kw_stmt(l, q) || c0 == '@' || c0 == '}' || c0 == '/' ||
		    c0 == '*')
			return NULL;
		static const char *fkw[] = {"fun", "def", "func", "function", NULL};
		for (size_t k = 0; fkw[k]; k++) {
			size_t r = kw(l, q, fkw[k]);
			if (r) {
				if (l->s[r] == '<') { /* fun <T> f */
					const char *gt = memchr(l->s + r, '>', l->n - r);
					if (!gt)
						return NULL;
					r = (size_t)(gt - l->s) + 1;
					while (r < l->n && l->s[r] == ' ')
						r++;
				}
				char *nm = dup_ident(a, l, r, ".");
				return nm ? cr_arena_printf(a, "%s.%s", sc->cls, nm) : NULL;
			}
		}
		if (!memchr(l->s + q, '(', tl - q) || memchr(l->s + q, '=', (size_t)((const char *)memchr(l->s + q, '(', tl - q) - (l->s + q))))
			return NULL;
		/* need a type and a name before '(' : at least one space */
		const char *par = memchr(l->s + q, '(', tl - q);
		if (!memchr(l->s + q, ' ', (size_t)(par - (l->s + q))) && strcmp(sc->lang, "csharp") != 0 &&
		    strcmp(sc->lang, "java") != 0)
			return NULL;
		if (!brace_follows(ls, n_lines, i) && !memmem(l->s, l->n, "=>", 2))
			return NULL;
		char *nm = c_func_name(a, l, q, 0);
		return nm ? cr_arena_printf(a, "%s.%s", sc->cls, nm) : NULL;
	}
	case FAM_PY: {
		size_t r;
		if (l->indent == 0) {
			sc->cls = NULL;
			sc->cls_indent = 0;
			if ((r = kw(l, 0, "class"))) {
				sc->cls = dup_ident(a, l, r, NULL);
				return sc->cls;
			}
			size_t q = kw(l, 0, "async");
			if ((r = kw(l, q ? q : 0, "def")))
				return dup_ident(a, l, r, NULL);
			/* other top-level code ends the symbol above it */
			if (c0 != '#' && c0 != '@' && c0 != ')' && c0 != ']' && c0 != '}' && c0 != '"' && c0 != '\'')
				return (char *)CODE_NO_SYMBOL;
			return NULL;
		}
		if (sc->cls && l->indent <= 8) {
			size_t q = kw(l, p, "async");
			if ((r = kw(l, q ? q : p, "def"))) {
				if (!sc->cls_indent)
					sc->cls_indent = l->indent;
				if (l->indent != sc->cls_indent)
					return NULL;
				char *nm = dup_ident(a, l, r, NULL);
				return nm ? cr_arena_printf(a, "%s.%s", sc->cls, nm) : NULL;
			}
		}
		return NULL;
	}
	case FAM_JS: {
		size_t r;
		if (l->lead != 0) {
			/* methods one level inside a top-level class: "  async name(args) {" */
			if (!sc->cls || l->indent > 4 || starts_kw_stmt(l, p))
				return NULL;
			static const char *mmods[] = {"static", "async", "get", "set", "public", "private", "protected",
						      "readonly", "override", "abstract", NULL};
			size_t q = skip_words(l, p, mmods);
			if (q < l->n && (l->s[q] == '*' || l->s[q] == '#'))
				q++;
			size_t nl = ident_len(l, q, NULL);
			if (!nl || q + nl >= l->n || (l->s[q + nl] != '(' && l->s[q + nl] != '<'))
				return NULL;
			static const char *not_methods[] = {"if", "for", "while", "switch", "catch", "function", "return",
							    "super", "this", NULL};
			for (size_t k = 0; not_methods[k]; k++)
				if (strlen(not_methods[k]) == nl && memcmp(l->s + q, not_methods[k], nl) == 0)
					return NULL;
			size_t tl = trimmed_len(l);
			const char *close = memchr(l->s + q, ')', tl - q);
			if (!close || !memchr(close, '{', (size_t)(l->s + tl - close)))
				return NULL;
			char *nm = dup_ident(a, l, q, NULL);
			return nm ? cr_arena_printf(a, "%s.%s", sc->cls, nm) : NULL;
		}
		if (c0 == '}') {
			sc->cls = NULL; /* the class ends */
			return NULL;
		}
		static const char *mods[] = {"export", "default", "async", "declare", "abstract", NULL};
		size_t q = skip_words(l, 0, mods);
		if ((r = kw(l, q, "function")) || (l->n - q > 9 && memcmp(l->s + q, "function*", 9) == 0 && (r = q + 9))) {
			while (r < l->n && (l->s[r] == '*' || l->s[r] == ' '))
				r++;
			return dup_ident(a, l, r, NULL);
		}
		static const char *types[] = {"class", "interface", "enum", "namespace", "module", NULL};
		for (size_t k = 0; types[k]; k++)
			if ((r = kw(l, q, types[k]))) {
				char *nm = dup_ident(a, l, r, NULL);
				sc->cls = k == 0 ? nm : NULL;
				return nm;
			}
		if ((r = kw(l, q, "type"))) {
			size_t nl = ident_len(l, r, NULL);
			if (nl && memchr(l->s + r + nl, '=', l->n - r - nl))
				return dup_ident(a, l, r, NULL);
			return NULL;
		}
		if ((r = kw(l, q, "const")) || (r = kw(l, q, "let")) || (r = kw(l, q, "var"))) {
			size_t nl = ident_len(l, r, NULL);
			const char *eq = nl ? memchr(l->s + r + nl, '=', l->n - r - nl) : NULL;
			if (!eq)
				return NULL;
			size_t rest = l->n - (size_t)(eq + 1 - l->s);
			if (memmem(eq + 1, rest, "=>", 2) || memmem(eq + 1, rest, "function", 8))
				return dup_ident(a, l, r, NULL);
		}
		return NULL;
	}
	case FAM_GO: {
		size_t r;
		if (l->lead != 0)
			return NULL;
		if ((r = kw(l, 0, "func"))) {
			if (l->s[r] == '(') { /* receiver */
				const char *cp = memchr(l->s + r, ')', l->n - r);
				if (!cp)
					return NULL;
				/* receiver type: last identifier before ')' */
				size_t e = (size_t)(cp - l->s), b = e;
				while (b > r && is_ident(l->s[b - 1]))
					b--;
				size_t m = (size_t)(cp - l->s) + 1;
				while (m < l->n && l->s[m] == ' ')
					m++;
				char *nm = dup_ident(a, l, m, NULL);
				return nm ? cr_arena_printf(a, "%.*s.%s", (int)(e - b), l->s + b, nm) : NULL;
			}
			return dup_ident(a, l, r, NULL);
		}
		if ((r = kw(l, 0, "type")) && is_ident(l->s[r]))
			return dup_ident(a, l, r, NULL);
		return NULL;
	}
	case FAM_RUST: {
		static const char *mods[] = {"pub", "pub(crate)", "pub(super)", "async", "unsafe", "const", "extern",
					     "\"C\"", "default", NULL};
		size_t q = skip_words(l, p, mods), r;
		if (l->indent == 0) {
			sc->cls = NULL;
			if ((r = kw(l, q, "impl")) || (l->n - q > 5 && memcmp(l->s + q, "impl<", 5) == 0 && (r = q + 4))) {
				if (l->s[r] == '<') {
					int depth = 0;
					for (; r < l->n; r++) {
						if (l->s[r] == '<')
							depth++;
						else if (l->s[r] == '>' && --depth == 0)
							break;
					}
					if (r >= l->n)
						return NULL; /* unbalanced '<' */
					r++;
					while (r < l->n && l->s[r] == ' ')
						r++;
				}
				const char *f = memmem(l->s + r, l->n - r, " for ", 5);
				size_t t = f ? (size_t)(f - l->s) + 5 : r;
				char *nm = dup_ident(a, l, t, ":");
				sc->cls = nm;
				return nm ? cr_arena_printf(a, "impl %s", nm) : NULL;
			}
			static const char *items[] = {"fn", "struct", "enum", "trait", "mod", "union", "type", NULL};
			for (size_t k = 0; items[k]; k++)
				if ((r = kw(l, q, items[k])))
					return dup_ident(a, l, r, NULL);
			if (l->n - q > 13 && memcmp(l->s + q, "macro_rules!", 12) == 0) {
				r = q + 12;
				while (r < l->n && l->s[r] == ' ')
					r++;
				return dup_ident(a, l, r, NULL);
			}
			return NULL;
		}
		if (sc->cls && l->indent == 4 && (r = kw(l, q, "fn"))) {
			char *nm = dup_ident(a, l, r, NULL);
			return nm ? cr_arena_printf(a, "%s::%s", sc->cls, nm) : NULL;
		}
		return NULL;
	}
	case FAM_RUBY: {
		size_t r;
		if (l->indent == 0) {
			if ((r = kw(l, 0, "class")) || (r = kw(l, 0, "module"))) {
				sc->cls = dup_ident(a, l, r, ":");
				return sc->cls;
			}
			if ((r = kw(l, 0, "def")))
				return dup_ident(a, l, r, ".?!=");
			return NULL;
		}
		if (sc->cls && l->indent == 2 && (r = kw(l, p, "def"))) {
			char *nm = dup_ident(a, l, r, ".?!=");
			return nm ? cr_arena_printf(a, "%s#%s", sc->cls, nm) : NULL;
		}
		return NULL;
	}
	case FAM_SHELL: {
		size_t r;
		if (l->lead != 0)
			return NULL;
		if ((r = kw(l, 0, "function")))
			return dup_ident(a, l, r, "-:.");
		size_t nl = ident_len(l, 0, "-:.");
		size_t j = nl;
		while (j < l->n && l->s[j] == ' ')
			j++;
		if (nl && l->n - j >= 2 && l->s[j] == '(' && l->s[j + 1] == ')')
			return dup_ident(a, l, 0, "-:.");
		return NULL;
	}
	case FAM_SQL: {
		size_t r = kw_ci(l, p, "create");
		if (!r)
			return NULL;
		static const char *mods[] = {"or", "replace", "temp", "temporary", "unique", "materialized",
					     "virtual", "global", "local", NULL};
		for (int again = 1; again;) {
			again = 0;
			for (size_t k = 0; mods[k]; k++) {
				size_t t = kw_ci(l, r, mods[k]);
				if (t) {
					r = t;
					again = 1;
				}
			}
		}
		static const char *objs[] = {"table", "view", "function", "procedure", "index", "trigger", "type",
					     "schema", "sequence", NULL};
		for (size_t k = 0; objs[k]; k++) {
			size_t t = kw_ci(l, r, objs[k]);
			if (t) {
				size_t u;
				if ((u = kw_ci(l, t, "if")) && (u = kw_ci(l, u, "not")) && (u = kw_ci(l, u, "exists")))
					t = u;
				size_t s0 = t;
				if (s0 < l->n && (l->s[s0] == '"' || l->s[s0] == '`' || l->s[s0] == '['))
					s0++;
				return dup_ident(a, l, s0, ".");
			}
		}
		return NULL;
	}
	case FAM_LUA: {
		size_t r;
		if (l->lead != 0)
			return NULL;
		size_t q = kw(l, 0, "local");
		if ((r = kw(l, q, "function")))
			return dup_ident(a, l, r, ".:");
		return NULL;
	}
	case FAM_PERL: {
		size_t r;
		if (l->lead != 0)
			return NULL;
		if ((r = kw(l, 0, "sub")) || (r = kw(l, 0, "package")))
			return dup_ident(a, l, r, ":");
		return NULL;
	}
	default:
		return NULL;
	}
}

/* Is line l a comment or decorator/attribute line that goes with the symbol
 * below it? */
static int is_lead_in(family f, const cline *l)
{
	size_t p = l->lead;
	if (p >= l->n)
		return 0;
	const char *s = l->s + p;
	size_t n = l->n - p;
	if (n >= 2 && (memcmp(s, "//", 2) == 0 || memcmp(s, "/*", 2) == 0 || memcmp(s, "*/", 2) == 0))
		return 1;
	if (s[0] == '*' && f != FAM_PY)
		return 1;
	if (s[0] == '#' && (f == FAM_PY || f == FAM_RUBY || f == FAM_SHELL || f == FAM_PERL))
		return 1;
	if (s[0] == '#' && f == FAM_RUST && n > 1 && s[1] == '[')
		return 1;
	if (s[0] == '@' && (f == FAM_PY || f == FAM_JAVA || f == FAM_JS))
		return 1;
	if (n >= 2 && memcmp(s, "--", 2) == 0 && (f == FAM_SQL || f == FAM_LUA))
		return 1;
	if (n >= 3 && memcmp(s, "///", 3) == 0)
		return 1;
	return 0;
}

/* ---- emitting ------------------------------------------------------------- */

typedef struct emit {
	cr_xctx *x;
	cr_doc *d;
	int minified;
} emit;

/* A cut point in [s, s+n) near n: after a space or punctuation, never
 * inside a UTF-8 sequence. */
static size_t cut_at(const char *s, size_t n)
{
	for (size_t k = n; k > n / 2; k--) {
		char c = s[k - 1];
		if (c == ' ' || c == ';' || c == ',' || c == '}' || c == ')' || c == '>')
			return k;
	}
	size_t k = n;
	while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
		k--;
	return k ? k : n;
}

static cr_err emit_long_line(emit *em, const cline *l, int line_no, const char *sym)
{
	cr_loc loc = cr_loc_none();
	loc.line_start = loc.line_end = line_no;
	loc.symbol = sym;
	em->minified = 1;
	size_t off = 0;
	while (off < l->n) {
		size_t take = l->n - off;
		if (take > CODE_MAX_BYTES)
			take = cut_at(l->s + off, CODE_MAX_BYTES);
		cr_err e = cr_doc_add_section(em->x, em->d, l->s + off, take, &loc);
		if (e)
			return e;
		off += take;
		if (cr_x_expired(em->x))
			return cr_fail(em->x->m, CR_ETIMEOUT, "code: time limit reached");
	}
	return CR_OK;
}

/* Emits lines [b, e) (0-based) with symbol sym, in pieces. */
static cr_err emit_range(emit *em, const cline *ls, size_t b, size_t e, const char *sym)
{
	while (b < e) {
		/* skip leading blank lines */
		while (b < e && ls[b].lead >= ls[b].n)
			b++;
		if (b >= e)
			break;
		if (ls[b].n > CODE_LONG_LINE) {
			cr_err err = emit_long_line(em, &ls[b], (int)b + 1, sym);
			if (err)
				return err;
			b++;
			continue;
		}
		size_t k = b, bytes = 0, last_blank = 0;
		while (k < e && k - b < CODE_MAX_LINES && ls[k].n <= CODE_LONG_LINE && bytes + ls[k].n + 1 <= CODE_MAX_BYTES) {
			bytes += ls[k].n + 1;
			if (ls[k].lead >= ls[k].n && k > b + (CODE_MAX_LINES / 2))
				last_blank = k;
			k++;
		}
		if (k == b) /* cannot happen: one short line always fits */
			k = b + 1;
		if (k < e && ls[k].n <= CODE_LONG_LINE && last_blank)
			k = last_blank; /* cut at a blank line in the second half */
		size_t last = k - 1;
		while (last > b && ls[last].lead >= ls[last].n)
			last--;
		cr_loc loc = cr_loc_none();
		loc.line_start = (int)b + 1;
		loc.line_end = (int)last + 1;
		loc.symbol = sym;
		const char *start = ls[b].s;
		size_t len = (size_t)(ls[last].s + ls[last].n - start);
		cr_err err = cr_doc_add_section(em->x, em->d, start, len, &loc);
		if (err)
			return err;
		b = k;
	}
	return CR_OK;
}

cr_err cr_x_code(cr_xctx *x, const uint8_t *buf, size_t len, cr_doc *out)
{
	if (!out->type)
		out->type = "code";
	const char *lang = cr_code_lang(out->name);
	if (!lang)
		lang = cr_code_lang_shebang(buf, len);
	if (!lang && len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
		lang = cr_code_lang_shebang(buf + 3, len - 3);
	if (!lang)
		lang = "text";
	out->lang = lang;
	if (memchr(buf, 0, len < (1u << 20) ? len : (1u << 20)))
		return cr_fail(x->m, CR_EUNSUPPORTED, "code: binary content");
	const char *s = (const char *)buf;
	size_t n = len;
	if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
		s += 3;
		n -= 3;
	}
	if (!cr_utf8_valid((const uint8_t *)s, n)) {
		char *u;
		size_t ul;
		const char *used = NULL;
		if (cr_charset_to_utf8(x->a, buf, len, NULL, &u, &ul, &used, x->m) != CR_OK)
			return cr_fail(x->m, CR_EUNSUPPORTED, "code: not text in a known charset");
		s = u;
		n = ul;
		if (memchr(s, 0, n))
			return cr_fail(x->m, CR_EUNSUPPORTED, "code: binary content");
		cr_err e = cr_doc_add_meta(x, out, "charset", used);
		if (e)
			return e;
	}
	/* lines */
	size_t n_lines = 0;
	for (size_t i = 0; i < n; i++)
		n_lines += s[i] == '\n';
	n_lines++;
	cline *ls = cr_arena_alloc(x->a, n_lines * sizeof *ls);
	if (!ls)
		return cr_fail(x->m, CR_ENOMEM, "code: out of memory");
	size_t li = 0, off = 0;
	while (li < n_lines) {
		const char *p = s + off;
		const char *nl = off < n ? memchr(p, '\n', n - off) : NULL;
		size_t l = nl ? (size_t)(nl - p) : n - off;
		cline *c = &ls[li++];
		c->s = p;
		c->n = l && p[l - 1] == '\r' ? l - 1 : l;
		size_t k = 0, ind = 0;
		while (k < c->n && (p[k] == ' ' || p[k] == '\t')) {
			ind += p[k] == '\t' ? 4 : 1;
			k++;
		}
		c->lead = k;
		c->indent = ind;
		off += nl ? l + 1 : l;
		if (!nl)
			break;
	}
	n_lines = li;

	scan sc = {x->a, lang_family(lang), lang, NULL, 0};
	emit em = {x, out, 0};
	size_t seg_start = 0, n_sym = 0;
	const char *seg_sym = NULL;
	cr_err e = CR_OK;
	for (size_t i = 0; i < n_lines; i++) {
		if ((i & 4095) == 0 && cr_x_expired(x))
			return cr_fail(x->m, CR_ETIMEOUT, "code: time limit reached");
		if (sc.fam == FAM_NONE || ls[i].n > CODE_LONG_LINE)
			continue;
		char *sym = symbol_at(&sc, ls, n_lines, i);
		if (!sym)
			continue;
		if (sym == CODE_NO_SYMBOL) {
			if (!seg_sym)
				continue; /* already outside any symbol */
			if ((e = emit_range(&em, ls, seg_start, i, seg_sym)))
				return e;
			seg_start = i;
			seg_sym = NULL;
			continue;
		}
		/* comments / decorators right above belong to the symbol */
		size_t b = i;
		while (b > seg_start && is_lead_in(sc.fam, &ls[b - 1]))
			b--;
		if (b > seg_start && (e = emit_range(&em, ls, seg_start, b, seg_sym)))
			return e;
		seg_start = b;
		seg_sym = sym;
		n_sym++;
	}
	if ((e = emit_range(&em, ls, seg_start, n_lines, seg_sym)))
		return e;
	char *v = cr_arena_printf(x->a, "%zu", n_sym);
	char *nl = cr_arena_printf(x->a, "%zu", n_lines);
	if ((e = cr_doc_add_meta(x, out, "language", lang)) || (e = cr_doc_add_meta(x, out, "symbols", v)) ||
	    (e = cr_doc_add_meta(x, out, "lines", nl)))
		return e;
	if (em.minified && (e = cr_doc_add_meta(x, out, "minified", "yes")))
		return e;
	return CR_OK;
}
