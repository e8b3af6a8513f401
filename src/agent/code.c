/*
 * code.c — `analyze code`: what an ingested code base holds and what is
 * risky in it, with rules alone (agent.h cr_agent_code).
 *
 * From the corpus, never from the disk: the code documents under a name
 * prefix (as search prints names) that the caller may read, their text
 * rebuilt from the chunks (cr_corpus_doc_text), and the repository's
 * git-commit documents ("<repo>@<sha>", meta author and files).
 *   - languages: files, lines and bytes per language;
 *   - modules: the first folder under the prefix; each with its files,
 *     lines, languages, entry points (a C/Go/Java main, Python's
 *     __main__ test, a #! script), its symbols (the code extractor's), and
 *     what it does: the first paragraph of its README, else the first
 *     comment of its first file;
 *   - findings, each with its document and line: TODO/FIXME/HACK/XXX
 *     notes; likely secrets (known token shapes: AWS, GitHub, Slack, Google,
 *     OpenAI, Stripe keys and private key blocks; a quoted literal of 8 or
 *     more characters and at least 3 bits of entropy per character
 *     assigned to a password/secret/token/key name, placeholders excepted),
 *     the value masked; risky calls per language (shell execution, code
 *     evaluation, SQL built from strings, TLS checks turned off, unsafe
 *     string copies, unsafe deserialisation);
 *   - churn: commits by month, author and area (the first folder of each
 *     changed path).
 * Line numbers: each chunk knows its last line, so a position's line is
 * counted back from its chunk's end (chunks of long functions overlap; the
 * rebuilt text drops the overlap, not the line ends).
 */
#include "agent_int.h"

#include "cristal/corpus.h"

#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FINDINGS 5000

/* ---- the line scanners ----------------------------------------------------- */

static int is_ident(int c) { return isalnum(c) || c == '_'; }

/* s in line as a word (not inside an identifier); the position or NULL. */
static const char *word_in(const char *line, size_t len, const char *w)
{
	size_t wl = strlen(w);
	for (size_t i = 0; i + wl <= len; i++)
		if (!memcmp(line + i, w, wl) && (i == 0 || !is_ident((unsigned char)line[i - 1])) &&
		    (i + wl == len || !is_ident((unsigned char)line[i + wl]) || !is_ident((unsigned char)w[wl - 1])))
			return line + i;
	return NULL;
}

static const char *has(const char *line, size_t len, const char *s)
{
	size_t sl = strlen(s);
	for (size_t i = 0; i + sl <= len; i++)
		if (!memcmp(line + i, s, sl))
			return line + i;
	return NULL;
}

static const char *has_ci(const char *line, size_t len, const char *s)
{
	size_t sl = strlen(s);
	for (size_t i = 0; i + sl <= len; i++)
		if (!strncasecmp(line + i, s, sl))
			return line + i;
	return NULL;
}

static double entropy(const char *s, size_t n)
{
	int cnt[256] = {0};
	for (size_t i = 0; i < n; i++)
		cnt[(unsigned char)s[i]]++;
	double h = 0;
	for (int i = 0; i < 256; i++)
		if (cnt[i]) {
			double p = (double)cnt[i] / (double)n;
			h -= p * log2(p);
		}
	return h;
}

/* A run of chars from set starting at p (at most max), its length. */
static size_t run(const char *p, const char *end, const char *extra)
{
	size_t n = 0;
	while (p + n < end && (isalnum((unsigned char)p[n]) || (extra && strchr(extra, p[n]))))
		n++;
	return n;
}

/* Known token shapes: prefix, minimum length of what follows, extra chars. */
static const struct {
	const char *prefix, *rule;
	size_t min, max;
	const char *extra;
	int upper_digits; /* AWS: upper case and digits only */
} shapes[] = {
	{"AKIA", "aws-access-key", 16, 16, NULL, 1},
	{"ASIA", "aws-access-key", 16, 16, NULL, 1},
	{"ghp_", "github-token", 36, 40, NULL, 0},
	{"gho_", "github-token", 36, 40, NULL, 0},
	{"ghs_", "github-token", 36, 40, NULL, 0},
	{"github_pat_", "github-token", 40, 100, "_", 0},
	{"xoxb-", "slack-token", 10, 200, "-", 0},
	{"xoxp-", "slack-token", 10, 200, "-", 0},
	{"AIza", "google-api-key", 35, 35, "_-", 0},
	{"sk-", "api-secret-key", 32, 200, "_-", 0},
	{"sk_live_", "stripe-key", 24, 99, NULL, 0},
};

static const char *const key_names[] = {"password", "passwd", "pwd", "secret", "token", "api_key", "apikey",
					"access_key", "private_key", "client_secret", "auth_key", "credentials"};
static const char *const placeholders[] = {"example", "changeme", "change_me", "xxxx", "<", "${", "{{",
					   "your_", "dummy", "placeholder", "redacted", "****"};

/* The secret on this line: its rule, the value's offset and length. */
static const char *secret_in(const char *line, size_t len, size_t *off, size_t *vlen)
{
	const char *end = line + len;
	if (has(line, len, "-----BEGIN ") && has(line, len, "PRIVATE KEY-----")) {
		*off = (size_t)(has(line, len, "-----BEGIN ") - line);
		*vlen = len - *off;
		return "private-key";
	}
	for (size_t i = 0; i < CR_ARRAY_LEN(shapes); i++) {
		const char *p = has(line, len, shapes[i].prefix);
		if (!p || (p > line && is_ident((unsigned char)p[-1])))
			continue;
		const char *v = p + strlen(shapes[i].prefix);
		size_t n = run(v, end, shapes[i].extra);
		if (n < shapes[i].min || n > shapes[i].max)
			continue;
		if (shapes[i].upper_digits) {
			int ok = 1;
			for (size_t k = 0; k < n && ok; k++)
				ok = isupper((unsigned char)v[k]) || isdigit((unsigned char)v[k]);
			if (!ok)
				continue;
		}
		*off = (size_t)(p - line);
		*vlen = strlen(shapes[i].prefix) + n;
		return shapes[i].rule;
	}
	/* NAME = "literal" / NAME: 'literal' with a key-ish NAME */
	for (size_t i = 0; i < CR_ARRAY_LEN(key_names); i++) {
		const char *k = has_ci(line, len, key_names[i]);
		if (!k)
			continue;
		const char *p = k + strlen(key_names[i]);
		while (p < end && (is_ident((unsigned char)*p) || *p == '"' || *p == '\'' || *p == ']'))
			p++;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p >= end || (*p != '=' && *p != ':'))
			continue;
		p++;
		if (p < end && (*p == '=' || *p == '>'))
			continue; /* a comparison or an arrow, not an assignment */
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p >= end || (*p != '"' && *p != '\''))
			continue;
		char q = *p++;
		const char *v = p;
		while (p < end && *p != q)
			p++;
		size_t n = (size_t)(p - v);
		if (p >= end || n < 8 || n > 200 || entropy(v, n) < 3.0)
			continue;
		int ph = 0;
		for (size_t j = 0; j < CR_ARRAY_LEN(placeholders) && !ph; j++)
			ph = has_ci(v, n, placeholders[j]) != NULL;
		if (ph || memchr(v, ' ', n))
			continue;
		*off = (size_t)(v - line);
		*vlen = n;
		return "assigned-secret";
	}
	return NULL;
}

typedef struct risk_rule {
	const char *langs; /* ",c,cpp," style list; NULL: any */
	const char *needle, *also; /* also: a second substring the line must hold */
	const char *unless;        /* a substring that clears it */
	int word;                  /* needle matched as a word */
	const char *rule;
} risk_rule;

static const risk_rule risks[] = {
	{",c,cpp,", "system(", NULL, NULL, 1, "shell-exec"},
	{",c,cpp,", "popen(", NULL, NULL, 1, "shell-exec"},
	{",c,cpp,", "execvp(", NULL, NULL, 1, "shell-exec"},
	{",c,cpp,", "execlp(", NULL, NULL, 1, "shell-exec"},
	{",c,cpp,", "strcpy(", NULL, NULL, 1, "unsafe-string"},
	{",c,cpp,", "strcat(", NULL, NULL, 1, "unsafe-string"},
	{",c,cpp,", "sprintf(", NULL, NULL, 1, "unsafe-string"},
	{",c,cpp,", "gets(", NULL, NULL, 1, "unsafe-string"},
	{",python,", "os.system(", NULL, NULL, 0, "shell-exec"},
	{",python,", "os.popen(", NULL, NULL, 0, "shell-exec"},
	{",python,", "subprocess.", "shell=True", NULL, 0, "shell-exec"},
	{",python,", "eval(", NULL, NULL, 1, "code-eval"},
	{",python,", "exec(", NULL, NULL, 1, "code-eval"},
	{",python,", "pickle.load", NULL, NULL, 0, "unsafe-deserialize"},
	{",python,", "yaml.load(", NULL, "SafeLoader", 0, "unsafe-deserialize"},
	{",python,", "verify=False", NULL, NULL, 0, "tls-disabled"},
	{",javascript,typescript,", "eval(", NULL, NULL, 1, "code-eval"},
	{",javascript,typescript,", "new Function(", NULL, NULL, 0, "code-eval"},
	{",javascript,typescript,", "child_process", "exec", NULL, 0, "shell-exec"},
	{",javascript,typescript,", "rejectUnauthorized", "false", NULL, 0, "tls-disabled"},
	{",javascript,typescript,", "NODE_TLS_REJECT_UNAUTHORIZED", NULL, NULL, 0, "tls-disabled"},
	{",go,", "exec.Command(", NULL, NULL, 0, "shell-exec"},
	{",go,", "InsecureSkipVerify", "true", NULL, 0, "tls-disabled"},
	{",java,kotlin,", "Runtime.getRuntime().exec(", NULL, NULL, 0, "shell-exec"},
	{",ruby,", "system(", NULL, NULL, 1, "shell-exec"},
	{",php,", "shell_exec(", NULL, NULL, 1, "shell-exec"},
	{",shell,", "curl ", " -k ", NULL, 0, "tls-disabled"},
	{",shell,", "curl ", "--insecure", NULL, 0, "tls-disabled"},
	{NULL, "CURLOPT_SSL_VERIFYPEER", ", 0", NULL, 0, "tls-disabled"},
	{NULL, "SSL_VERIFY_NONE", NULL, NULL, 0, "tls-disabled"},
};

static int lang_in(const char *langs, const char *lang)
{
	if (!langs)
		return 1;
	if (!lang)
		return 0;
	char k[40];
	snprintf(k, sizeof k, ",%s,", lang);
	return strstr(langs, k) != NULL;
}

/* SQL text in a string literal put together from pieces: the line has a
 * quoted SELECT/INSERT/UPDATE/DELETE and a +, %, .format, f-string, ${} or
 * a Sprintf of it. */
static int sql_built(const char *line, size_t len)
{
	static const char *const verbs[] = {"SELECT ", "INSERT INTO", "UPDATE ", "DELETE FROM"};
	const char *v = NULL;
	for (size_t i = 0; i < CR_ARRAY_LEN(verbs) && !v; i++)
		v = has(line, len, verbs[i]);
	if (!v)
		return 0;
	const char *q = v;
	while (q > line && q[-1] != '"' && q[-1] != '\'' && q[-1] != '`')
		q--;
	if (q == line)
		return 0; /* not in a string */
	char open = q[-1];
	int fstr = q - 1 > line && (q[-2] == 'f' || q[-2] == 'F') && open != '`';
	const char *close = memchr(v, open, (size_t)(line + len - v));
	if (!close)
		return fstr;
	const char *after = close + 1, *end = line + len;
	while (after < end && *after == ' ')
		after++;
	int glued = after < end && (*after == '+' || *after == '%' || !strncmp(after, ".format(", 8));
	int before = 0;
	for (const char *p = q - 2; p >= line && (*p == ' ' || *p == '+'); p--)
		if (*p == '+')
			before = 1;
	return fstr || glued || before || has(v, (size_t)(close - v), "${") || has(line, len, "Sprintf(");
}

/* Rules in order: the first matching risk of this line (or NULL). */
static const char *risk_in(const char *lang, const char *line, size_t len)
{
	for (size_t i = 0; i < CR_ARRAY_LEN(risks); i++) {
		const risk_rule *r = &risks[i];
		if (!lang_in(r->langs, lang))
			continue;
		const char *p = r->word ? word_in(line, len, r->needle) : has(line, len, r->needle);
		if (!p)
			continue;
		if (r->word && p > line && (p[-1] == '.' || p[-1] == '>'))
			continue; /* a method of the same name (re.compile().exec, obj.system) */
		if (r->also && !has(line, len, r->also))
			continue;
		if (r->unless && has(line, len, r->unless))
			continue;
		return r->rule;
	}
	if (lang && sql_built(line, len))
		return "sql-string";
	return NULL;
}

static const char *todo_in(const char *line, size_t len)
{
	static const char *const tags[] = {"TODO", "FIXME", "HACK", "XXX"};
	for (size_t i = 0; i < CR_ARRAY_LEN(tags); i++)
		if (word_in(line, len, tags[i]))
			return tags[i];
	return NULL;
}

int cr_code_scan_line(const char *lang, const char *line, size_t len, cr_code_hit *hits, int max)
{
	int n = 0;
	size_t off, vl;
	const char *r;
	if (n < max && (r = todo_in(line, len)))
		hits[n++] = (cr_code_hit){"todo", r, 0, 0};
	if (n < max && (r = secret_in(line, len, &off, &vl)))
		hits[n++] = (cr_code_hit){"secret", r, off, vl};
	if (n < max && (r = risk_in(lang, line, len)))
		hits[n++] = (cr_code_hit){"risk", r, 0, 0};
	return n;
}

/* ---- the corpus ------------------------------------------------------------------ */

typedef struct ids {
	int64_t *v;
	size_t n, cap;
} ids;

static int collect(void *ctx, int64_t id, const char *name, const char *hash, int64_t mtime, int64_t size)
{
	ids *l = ctx;
	(void)name, (void)hash, (void)mtime, (void)size;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 1024;
		int64_t *v = realloc(l->v, cap * sizeof *v);
		if (!v)
			return 1;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = id;
	return 0;
}

/* name under prefix at a '/' boundary ("" or NULL: everything); the rest. */
static const char *under(const char *name, const char *prefix)
{
	if (!prefix || !*prefix)
		return name;
	size_t l = strlen(prefix);
	while (l && prefix[l - 1] == '/')
		l--;
	if (strncmp(name, prefix, l))
		return NULL;
	if (!name[l])
		return name + l;
	return name[l] == '/' ? name + l + 1 : NULL;
}

typedef struct acc {
	cr_arena *a;
	cr_code_report *r;
	size_t cap_langs, cap_mods, cap_find, cap_churn;
	cr_err e;
} acc;

#define GROW(arr, n, cap, a)                                                                 \
	do {                                                                                 \
		if ((n) == (cap)) {                                                          \
			size_t nc_ = (cap) ? 2 * (cap) : 16;                                 \
			void *p_ = cr_arena_alloc((a), nc_ * sizeof *(arr));                 \
			if (!p_)                                                             \
				return CR_ENOMEM;                                            \
			if (n)                                                               \
				memcpy(p_, (arr), (n) * sizeof *(arr));                      \
			(arr) = p_;                                                          \
			(cap) = nc_;                                                         \
		}                                                                            \
	} while (0)

static cr_err lang_add(acc *x, const char *lang, int64_t lines, int64_t bytes)
{
	cr_code_report *r = x->r;
	for (size_t i = 0; i < r->n_langs; i++)
		if (!strcmp(r->langs[i].lang, lang)) {
			r->langs[i].files++;
			r->langs[i].lines += lines;
			r->langs[i].bytes += bytes;
			return CR_OK;
		}
	GROW(r->langs, r->n_langs, x->cap_langs, x->a);
	r->langs[r->n_langs++] = (cr_code_lang){lang, 1, lines, bytes};
	return CR_OK;
}

static cr_code_module *module_of(acc *x, const char *rest)
{
	const char *slash = strchr(rest, '/');
	size_t l = slash ? (size_t)(slash - rest) : 1;
	const char *name = slash ? rest : ".";
	cr_code_report *r = x->r;
	for (size_t i = 0; i < r->n_modules; i++)
		if (strlen(r->modules[i].path) == l && !strncmp(r->modules[i].path, name, l))
			return &r->modules[i];
	if (r->n_modules == x->cap_mods) {
		size_t nc = x->cap_mods ? 2 * x->cap_mods : 16;
		cr_code_module *p = cr_arena_zalloc(x->a, nc * sizeof *p);
		if (!p)
			return NULL;
		if (r->n_modules)
			memcpy(p, r->modules, r->n_modules * sizeof *p);
		r->modules = p;
		x->cap_mods = nc;
	}
	cr_code_module *m = &r->modules[r->n_modules++];
	m->path = cr_arena_strndup(x->a, name, l);
	return m->path ? m : NULL;
}

static cr_err list_add(cr_arena *a, const char ***v, size_t *n, const char *s, size_t max)
{
	if (!s || *n >= max)
		return CR_OK;
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*v)[i], s))
			return CR_OK;
	const char **p = cr_arena_alloc(a, (*n + 1) * sizeof *p);
	if (!p)
		return CR_ENOMEM;
	if (*n)
		memcpy(p, *v, *n * sizeof *p);
	p[(*n)++] = s;
	*v = p;
	return CR_OK;
}

/* The first paragraph of a README (headings, its title, badges and blank
 * lines skipped), at most 300 bytes. */
static const char *readme_summary(cr_arena *a, const char *t, const char *title)
{
	const char *p = t;
	size_t tl = title ? strlen(title) : 0;
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		int is_title = tl && l == tl && !memcmp(p, title, tl);
		if (l && !is_title && p[0] != '#' && p[0] != '!' && p[0] != '[' && p[0] != '=' && p[0] != '-') {
			size_t n = 0;
			while (p[n] && !(p[n] == '\n' && (p[n + 1] == '\n' || !p[n + 1])) && n < 300)
				n++;
			char *s = cr_arena_strndup(a, p, n);
			for (char *q = s; q && *q; q++)
				if (*q == '\n')
					*q = ' ';
			return s;
		}
		p += l + (e != NULL);
		if (!e)
			break;
	}
	return NULL;
}

/* The first comment of a code file (// # -- lines or a block; # is no
 * comment in the C family, whose # lines are the preprocessor's), 300
 * bytes at most. */
static const char *comment_summary(cr_arena *a, const char *t, const char *lang)
{
	int hash_ok = !lang || !lang_in(",c,cpp,objc,csharp,", lang);
	cr_buf b;
	cr_buf_init(&b, 300);
	const char *p = t;
	int in_block = 0, started = 0;
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		const char *s = p, *end = p + l;
		while (s < end && (*s == ' ' || *s == '\t'))
			s++;
		int is_c = 0;
		if (s + 1 < end && s[0] == '#' && s[1] == '!') {
			p += l + (e != NULL);
			continue;
		}
		if (in_block || (s + 1 < end && s[0] == '/' && s[1] == '*')) {
			is_c = 1;
			if (!in_block)
				s += 2;
			in_block = !has(s, (size_t)(end - s), "*/");
			if (!in_block)
				end = has(s, (size_t)(end - s), "*/");
			while (s < end && (*s == '*' || *s == ' '))
				s++;
		} else if (s + 1 < end && ((s[0] == '/' && s[1] == '/') || (s[0] == '-' && s[1] == '-'))) {
			is_c = 1;
			s += 2;
		} else if (hash_ok && s < end && s[0] == '#') {
			is_c = 1;
			s++;
		} else if (s + 2 < end && (!strncmp(s, "\"\"\"", 3) || !strncmp(s, "'''", 3))) {
			is_c = 1;
			s += 3;
			const char *z = has(s, (size_t)(end - s), "\"\"\"");
			if (z)
				end = z;
		}
		while (s < end && *s == ' ')
			s++;
		if (!is_c && started)
			break;
		if (is_c && s < end) {
			if (started && cr_buf_addc(&b, ' '))
				break;
			if (cr_buf_add(&b, s, (size_t)(end - s)))
				break;
			started = 1;
		} else if (!is_c && s < end)
			break; /* code before any comment */
		if (!e)
			break;
		p = e + 1;
	}
	while (b.len && (b.data[b.len - 1] == ' ' || b.data[b.len - 1] == '\t'))
		b.len--;
	const char *r = b.len ? cr_arena_strndup(a, b.data, b.len) : NULL;
	cr_buf_release(&b);
	return r;
}

static int is_entry(const char *lang, const char *t)
{
	return (t[0] == '#' && t[1] == '!') || strstr(t, "int main(") || strstr(t, "__name__ == \"__main__\"") ||
	       strstr(t, "__name__ == '__main__'") || strstr(t, "func main()") ||
	       strstr(t, "static void main(") || (lang && !strcmp(lang, "rust") && strstr(t, "fn main()"));
}

static cr_err mask(cr_arena *a, const char *line, size_t len, size_t off, size_t vl, const char **out)
{
	cr_buf b;
	cr_buf_init(&b, 0);
	size_t keep = vl > 12 ? 4 : 2;
	cr_err e = cr_buf_add(&b, line, off);
	if (!e)
		e = cr_buf_add(&b, line + off, keep);
	if (!e)
		e = cr_buf_printf(&b, "…[%zu characters masked]", vl - keep);
	if (!e)
		e = cr_buf_add(&b, line + off + vl, len - off - vl);
	if (!e && !(*out = cr_arena_strndup(a, b.data, b.len)))
		e = CR_ENOMEM;
	cr_buf_release(&b);
	return e;
}

static cr_err scan_doc(acc *x, const cr_doc_row *d, const cr_doc_text *t)
{
	cr_code_report *r = x->r;
	for (size_t pi = 0; pi < t->n_parts; pi++) {
		const cr_doc_part *pt = &t->parts[pi];
		const char *base = t->text + pt->start, *pend = base + pt->len;
		/* the part's last line is its chunk's line_end */
		int lines_after = 0;
		for (const char *q = base; q < pend; q++)
			lines_after += *q == '\n';
		if (pt->len && pend[-1] == '\n')
			lines_after--;
		int line = pt->loc.line_end > 0 ? pt->loc.line_end - lines_after : 0;
		for (const char *p = base; p < pend; line++) {
			const char *e = memchr(p, '\n', (size_t)(pend - p));
			size_t l = e ? (size_t)(e - p) : (size_t)(pend - p);
			cr_code_hit h[3];
			int nh = cr_code_scan_line(d->lang, p, CR_MIN(l, (size_t)4000), h, 3);
			for (int i = 0; i < nh && r->n_findings < MAX_FINDINGS; i++) {
				GROW(r->findings, r->n_findings, x->cap_find, x->a);
				cr_code_finding *f = &r->findings[r->n_findings++];
				size_t s = 0;
				while (s < l && (p[s] == ' ' || p[s] == '\t'))
					s++;
				f->kind = h[i].kind;
				f->rule = h[i].rule;
				f->doc = d->name;
				f->line = line;
				size_t shown = CR_MIN(l - s, (size_t)300);
				if (!strcmp(h[i].kind, "secret")) {
					cr_err me = mask(x->a, p + s, l - s, h[i].off - s, h[i].len, &f->text);
					if (me)
						return me;
				} else if (!(f->text = cr_arena_strndup(x->a, p + s, shown)))
					return CR_ENOMEM;
			}
			if (!e)
				break;
			p = e + 1;
		}
	}
	return CR_OK;
}

static int by_doc_line(const void *a, const void *b)
{
	const cr_code_finding *x = a, *y = b;
	int c = strcmp(x->doc, y->doc);
	return c ? c : x->line - y->line;
}

static int by_lines(const void *a, const void *b)
{
	const cr_code_lang *x = a, *y = b;
	return x->lines < y->lines ? 1 : x->lines > y->lines ? -1 : strcmp(x->lang, y->lang);
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const cr_code_module *)a)->path, ((const cr_code_module *)b)->path);
}

static int by_churn(const void *a, const void *b)
{
	const cr_code_churn *x = a, *y = b;
	int c = strcmp(x->month, y->month);
	if (!c)
		c = strcmp(x->author, y->author);
	return c ? c : strcmp(x->area, y->area);
}

static cr_err churn_add(acc *x, const char *month, const char *author, const char *area)
{
	cr_code_report *r = x->r;
	for (size_t i = 0; i < r->n_churn; i++)
		if (!strcmp(r->churn[i].month, month) && !strcmp(r->churn[i].author, author) &&
		    !strcmp(r->churn[i].area, area)) {
			r->churn[i].commits++;
			return CR_OK;
		}
	GROW(r->churn, r->n_churn, x->cap_churn, x->a);
	r->churn[r->n_churn++] = (cr_code_churn){month, author, area, 1};
	return CR_OK;
}

/* A git-commit document of the repository the prefix names. */
static cr_err commit_add(acc *x, const cr_doc_row *d)
{
	json_t *j = d->meta_json ? json_loads(d->meta_json, 0, NULL) : NULL;
	const char *files = json_string_value(json_object_get(j, "files"));
	char month[24] = "?";
	if (d->date > 0) {
		cr_ymd ymd = cr_ymd_from_days(d->date / 86400);
		snprintf(month, sizeof month, "%04d-%02d", ymd.y % 10000, ymd.m % 100);
	}
	const char *mo = cr_arena_strdup(x->a, month);
	/* the author's name without the address */
	const char *au = d->author ? d->author : "?";
	const char *lt = strchr(au, '<');
	size_t al = lt ? (size_t)(lt - au) : strlen(au);
	while (al && au[al - 1] == ' ')
		al--;
	const char *author = cr_arena_strndup(x->a, au, al ? al : strlen(au));
	cr_err e = mo && author ? CR_OK : CR_ENOMEM;
	/* each area once per commit */
	const char **areas = NULL;
	size_t n_areas = 0;
	for (const char *p = files; !e && p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);
		const char *sl = memchr(p, '/', l);
		const char *area = sl ? cr_arena_strndup(x->a, p, (size_t)(sl - p)) : ".";
		if (!area)
			e = CR_ENOMEM;
		else
			e = list_add(x->a, &areas, &n_areas, area, 64);
		p = nl ? nl + 1 : p + l;
	}
	for (size_t i = 0; i < n_areas && !e; i++)
		e = churn_add(x, mo, author, areas[i]);
	if (!e && !n_areas)
		e = churn_add(x, mo, author, ".");
	json_decref(j);
	x->r->n_commits++;
	return e;
}

cr_err cr_agent_code(cr_corpus *c, cr_arena *a, const cr_code_opts *o, cr_code_report *out, cr_msg *m)
{
	memset(out, 0, sizeof *out);
	const char *prefix = o && o->prefix ? o->prefix : "";
	out->root = cr_arena_strdup(a, prefix);
	acc x = {.a = a, .r = out};
	ids l = {0};
	cr_store *st;
	cr_err e = cr_corpus_store_acquire(c, &st, m);
	if (e)
		return e;
	e = cr_store_docs_after(st, 0, collect, &l, m);
	/* the repository's commits are named "<first part of the prefix>@sha" */
	char repo[256] = "";
	if (*prefix) {
		size_t rl = strcspn(prefix, "/");
		snprintf(repo, sizeof repo, "%.*s@", (int)CR_MIN(rl, (size_t)200), prefix);
	}
	for (size_t i = 0; i < l.n && !e; i++) {
		if ((e = cr_cancel_check(o ? o->cancel : NULL)))
			break;
		cr_doc_row d;
		if ((e = cr_store_doc_get(st, a, l.v[i], &d, m)))
			break;
		if (!cr_acl_allows(o ? o->who : NULL, &d.acl))
			continue;
		if (d.type && !strcmp(d.type, "git-commit")) {
			if (!*prefix || !strncmp(d.name, repo, strlen(repo)))
				e = commit_add(&x, &d);
			continue;
		}
		const char *rest = under(d.name, prefix);
		if (!rest || d.parent || !d.type)
			continue;
		int code = !strcmp(d.type, "code");
		int readme = !code && !strncasecmp(rest + (strrchr(rest, '/') ? strrchr(rest, '/') - rest + 1 : 0),
						   "README", 6);
		if (!code && !readme)
			continue;
		cr_doc_text t;
		if ((e = cr_corpus_doc_text(c, a, d.id, &t, m)))
			break;
		if (readme && !strchr(rest, '/')) {
			out->summary = readme_summary(a, t.text, d.title); /* the whole code base's */
			continue;
		}
		cr_code_module *mod = module_of(&x, rest);
		if (!mod) {
			e = CR_ENOMEM;
			break;
		}
		if (readme) {
			if (!mod->summary || mod->summary_from_comment) {
				mod->summary = readme_summary(a, t.text, d.title);
				mod->summary_from_comment = 0;
			}
			continue;
		}
		/* lines: the last line a chunk covers (the rebuilt text has no
		 * blank lines between sections), else the text's own */
		int64_t lines = 0, counted = 0;
		for (size_t k = 0; k < t.n_parts; k++)
			lines = CR_MAX(lines, (int64_t)t.parts[k].loc.line_end);
		for (size_t k = 0; k < t.len; k++)
			counted += t.text[k] == '\n';
		if (t.len && t.text[t.len - 1] != '\n')
			counted++;
		if (lines < counted)
			lines = counted;
		const char *lang = d.lang ? d.lang : "other";
		out->n_files++;
		out->n_lines += lines;
		mod->files++;
		mod->lines += lines;
		if ((e = lang_add(&x, lang, lines, d.size)) || (e = list_add(a, &mod->langs, &mod->n_langs, lang, 16)))
			break;
		if (!mod->summary) {
			mod->summary = comment_summary(a, t.text, lang);
			mod->summary_from_comment = mod->summary != NULL;
		}
		if (is_entry(lang, t.text) && (e = list_add(a, &mod->entries, &mod->n_entries, d.name, 32)))
			break;
		for (size_t k = 0; k < t.n_parts && !e; k++)
			e = list_add(a, &mod->symbols, &mod->n_symbols, t.parts[k].loc.symbol, 24);
		if (!e)
			e = scan_doc(&x, &d, &t);
	}
	cr_corpus_store_release(c, st);
	free(l.v);
	if (e == CR_ENOMEM)
		return cr_fail(m, e, "out of memory");
	if (e)
		return e;
	if (out->n_findings)
		qsort(out->findings, out->n_findings, sizeof *out->findings, by_doc_line);
	if (out->n_langs)
		qsort(out->langs, out->n_langs, sizeof *out->langs, by_lines);
	if (out->n_modules)
		qsort(out->modules, out->n_modules, sizeof *out->modules, by_path);
	if (out->n_churn)
		qsort(out->churn, out->n_churn, sizeof *out->churn, by_churn);
	if (!out->n_files)
		return cr_fail(m, CR_ENOTFOUND, "no code under '%s' that you may read (names as search prints them)",
			       prefix);
	return CR_OK;
}
