/*
 * md.c — Markdown: sections follow the heading structure.
 *
 * Each ATX ("## Title") or setext ("Title" over "===" / "---") heading
 * starts a new place whose loc.heading is the path of enclosing headings,
 * "Handbook > Leave > Sick leave". The heading's own text is the first
 * section of its place, then one section per paragraph with its line range.
 * Lines inside fenced code blocks (``` or ~~~) are never headings. A YAML
 * front matter block at the top gives title, author and date ("title:",
 * "author:", "date:"/"updated:"/"revised:") and is not indexed. Title: front matter, else the first level-1 heading, else the
 * first heading, else the file name. Markup is kept: emphasis and link
 * syntax do not hurt a word index.
 */
#include "ingest_int.h"

#include <string.h>

#define MAX_LEVEL 6

typedef struct md_state {
	cr_xctx *x;
	cr_doc *d;
	const char *text;
	const char *levels[MAX_LEVEL + 1]; /* heading text per level, 1-based */
	const char *path;                  /* current heading path (arena) */
	const char *first_h1, *first_heading;
} md_state;

static const char *trim(cr_arena *a, const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	return cr_arena_strndup(a, s, n);
}

/* "## Title ##" -> level 2, title "Title"; 0 if not an ATX heading. */
static int atx_level(const char *s, size_t n, const char **t, size_t *tn)
{
	size_t i = 0;
	while (i < n && i < 3 && s[i] == ' ')
		i++;
	int lv = 0;
	while (i < n && s[i] == '#' && lv < 7)
		i++, lv++;
	if (lv < 1 || lv > MAX_LEVEL)
		return 0;
	if (i < n && s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
		return 0;
	size_t e = n;
	while (e > i && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r'))
		e--;
	size_t h = e;
	while (h > i && s[h - 1] == '#')
		h--;
	if (h < e && (h == i || s[h - 1] == ' ' || s[h - 1] == '\t'))
		e = h; /* closing #s */
	*t = s + i;
	*tn = e - i;
	return lv;
}

/* A setext underline: only '=' (level 1) or only '-' (level 2). */
static int setext_level(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && i < 3 && s[i] == ' ')
		i++;
	if (i >= n || (s[i] != '=' && s[i] != '-'))
		return 0;
	char c = s[i];
	size_t k = i;
	while (k < n && s[k] == c)
		k++;
	size_t run = k - i;
	while (k < n && (s[k] == ' ' || s[k] == '\t' || s[k] == '\r'))
		k++;
	if (k != n || run < 2)
		return 0;
	return c == '=' ? 1 : 2;
}

/* `key: value` in a front matter line, value unquoted (arena), or NULL. */
static const char *fm_value(cr_arena *a, const char *s, size_t n, const char *key)
{
	size_t kl = strlen(key);
	if (n <= kl || strncmp(s, key, kl) != 0 || s[kl] != ':')
		return NULL;
	const char *t = s + kl + 1;
	size_t tn = n - kl - 1;
	while (tn && (*t == ' ' || *t == '"' || *t == '\''))
		t++, tn--;
	while (tn && (t[tn - 1] == ' ' || t[tn - 1] == '"' || t[tn - 1] == '\''))
		tn--;
	return cr_arena_strndup(a, t, tn);
}

static int is_fence(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && i < 3 && s[i] == ' ')
		i++;
	return n - i >= 3 && (memcmp(s + i, "```", 3) == 0 || memcmp(s + i, "~~~", 3) == 0);
}

static int blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

static cr_err set_heading(md_state *st, int lv, const char *t, size_t tn, int line)
{
	cr_arena *a = st->x->a;
	const char *h = trim(a, t, tn);
	if (!h)
		return CR_ENOMEM;
	st->levels[lv] = h;
	for (int k = lv + 1; k <= MAX_LEVEL; k++)
		st->levels[k] = NULL;
	cr_buf b;
	cr_buf_init(&b, 0);
	cr_err e = CR_OK;
	for (int k = 1; k <= lv && !e; k++) {
		if (!st->levels[k])
			continue;
		if (b.len)
			e = cr_buf_adds(&b, " > ");
		if (!e)
			e = cr_buf_adds(&b, st->levels[k]);
	}
	st->path = e ? NULL : cr_arena_strndup(a, b.data, b.len);
	cr_buf_release(&b);
	if (!st->path)
		return CR_ENOMEM;
	if (!st->first_heading && *h)
		st->first_heading = h;
	if (lv == 1 && !st->first_h1 && *h)
		st->first_h1 = h;
	cr_loc loc = cr_loc_none();
	loc.line_start = loc.line_end = line;
	loc.heading = st->path;
	return cr_doc_add_section(st->x, st->d, h, strlen(h), &loc);
}

/* Body lines [from, to) (byte offsets) starting at line `line`. */
static cr_err flush(md_state *st, size_t from, size_t to, int line)
{
	if (to <= from)
		return CR_OK;
	return cr_text_add_paragraphs(st->x, st->d, st->text + from, to - from, line, st->path);
}

cr_err cr_x_md(cr_xctx *x, const uint8_t *buf, size_t len, cr_doc *out)
{
	if (!cr_charset_looks_text(buf, len))
		return cr_fail(x->m, CR_EUNSUPPORTED, "md: binary file");
	char *text;
	size_t n;
	const char *cs;
	cr_err e = cr_charset_to_utf8_cancel(x->lim->cancel, x->a, buf, len, NULL, &text, &n, &cs, x->m);
	if (e || (e = cr_doc_add_meta(x, out, "charset", cs)))
		return e;
	n = cr_text_unix_newlines(text, n);
	md_state st = {.x = x, .d = out, .text = text};
	const char *fm_title = NULL, *fm_author = NULL;
	int64_t fm_date = 0;
	size_t i = 0;
	int line = 1;
	/* front matter */
	if (n >= 4 && memcmp(text, "---", 3) == 0 && (text[3] == '\n' || text[3] == '\r')) {
		size_t k = (size_t)(strchr(text, '\n') - text) + 1;
		int l = 2;
		while (k < n) {
			size_t e2 = k;
			while (e2 < n && text[e2] != '\n')
				e2++;
			if ((e2 - k >= 3 && (memcmp(text + k, "---", 3) == 0 || memcmp(text + k, "...", 3) == 0)) &&
			    blank(text + k + 3, e2 - k - 3)) {
				i = e2 < n ? e2 + 1 : n;
				line = l + 1;
				break;
			}
			const char *v;
			if ((v = fm_value(x->a, text + k, e2 - k, "title")))
				fm_title = v;
			else if ((v = fm_value(x->a, text + k, e2 - k, "author")))
				fm_author = v;
			else if ((v = fm_value(x->a, text + k, e2 - k, "date")) ||
				 (v = fm_value(x->a, text + k, e2 - k, "updated")) ||
				 (v = fm_value(x->a, text + k, e2 - k, "revised")))
				fm_date = cr_iso_date(v) ? cr_iso_date(v) : fm_date;
			k = e2 + 1;
			l++;
		}
		if (k >= n) { /* not closed: not front matter */
			fm_title = fm_author = NULL;
			fm_date = 0;
			i = 0;
			line = 1;
		}
	}
	size_t body = i;
	int body_line = line, in_code = 0, prev_blank = 1;
	while (i < n && !e) {
		size_t le = i;
		while (le < n && text[le] != '\n')
			le++;
		size_t ll = le - i;
		const char *s = text + i;
		const char *t;
		size_t tn;
		int lv;
		if (is_fence(s, ll)) {
			in_code = !in_code;
		} else if (!in_code && (lv = atx_level(s, ll, &t, &tn))) {
			if (!(e = flush(&st, body, i, body_line)))
				e = set_heading(&st, lv, t, tn, line);
			body = le < n ? le + 1 : n;
			body_line = line + 1;
		} else if (!in_code && prev_blank && !blank(s, ll) && le < n) {
			/* setext: this single line over an underline */
			size_t ne = le + 1;
			while (ne < n && text[ne] != '\n')
				ne++;
			int sl = setext_level(text + le + 1, ne - le - 1);
			if (sl) {
				if (!(e = flush(&st, body, i, body_line)))
					e = set_heading(&st, sl, s, ll, line);
				body = ne < n ? ne + 1 : n;
				body_line = line + 2;
				i = body;
				line += 2;
				prev_blank = 0;
				continue;
			}
		}
		prev_blank = blank(s, ll);
		i = le < n ? le + 1 : n;
		line++;
		if ((line & 1023) == 0 && cr_x_expired(x))
			return cr_fail(x->m, CR_ETIMEOUT, "md: time limit reached");
	}
	if (!e)
		e = flush(&st, body, n, body_line);
	if (e)
		return e;
	out->title = fm_title && *fm_title ? fm_title : st.first_h1 ? st.first_h1 : st.first_heading;
	if (fm_author && *fm_author)
		out->author = fm_author;
	out->date = fm_date;
	return CR_OK;
}
