/*
 * html.c — HTML pages through libxml2's forgiving HTML parser.
 *
 * The charset comes from a BOM, else <meta charset> / http-equiv in the
 * first 4 KiB, else detection (charset.c); the page is converted to UTF-8
 * first, its meta declaration blanked, and parsed as UTF-8 with no network.
 * The tree is walked without recursion (deep div soup cannot blow the
 * stack). script, style, nav, noscript, template, svg and <head> (apart
 * from <title> and <meta name=author|description>) are dropped. h1..h6
 * start a new place with the heading path as loc.heading, like md.c; block
 * elements end paragraphs; whitespace collapses outside <pre>. Real pages
 * nest deeper than libxml2's default limit of 256 (tag soup of unclosed
 * <p><b><i>, generated div towers), so the parser runs with XML_PARSE_HUGE
 * (its parse and free are iterative in 2.9, and so is our walk); the
 * input size limit bounds the tree. If the parser still stops, that is a
 * refusal with our own reason, not a silently shortened page. Title:
 * <title>, else the first h1, else the file name. <html lang>, <meta
 * name=author|description|keywords|date> and article:published_time fill
 * lang, author, meta and date.
 */
#define _GNU_SOURCE
#include "ingest_int.h"

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <string.h>
#include <strings.h>

#define MAX_LEVEL 6

typedef struct html_state {
	cr_xctx *x;
	cr_doc *d;
	cr_buf body;     /* text of the current place */
	int space;       /* last byte emitted was whitespace */
	const char *levels[MAX_LEVEL + 1];
	const char *path;
	const char *first_h1;
} html_state;

static int name_is(const xmlNode *n, const char *s) { return n->name && strcasecmp((const char *)n->name, s) == 0; }

static int skipped(const xmlNode *n)
{
	static const char *const drop[] = {"script", "style", "nav", "noscript", "template", "svg", "head", "iframe",
					   "object", "button", "select"};
	for (size_t i = 0; i < CR_ARRAY_LEN(drop); i++)
		if (name_is(n, drop[i]))
			return 1;
	return 0;
}

static int is_block(const xmlNode *n)
{
	static const char *const blocks[] = {"p",       "div",    "li",     "ul",     "ol",      "table", "tr",
					     "section", "article", "header", "footer", "aside",  "main",  "blockquote",
					     "pre",     "dl",     "dt",     "dd",     "figure",  "figcaption", "form",
					     "hr",      "address", "details", "summary", "caption", "body", "html"};
	for (size_t i = 0; i < CR_ARRAY_LEN(blocks); i++)
		if (name_is(n, blocks[i]))
			return 1;
	return 0;
}

static int heading_level(const xmlNode *n)
{
	if (!n->name || (n->name[0] != 'h' && n->name[0] != 'H') || n->name[1] < '1' || n->name[1] > '6' || n->name[2])
		return 0;
	return n->name[1] - '0';
}

static cr_err emit_break(html_state *st, const char *br)
{
	/* trim trailing spaces, then add the break unless one is there */
	while (st->body.len && st->body.data[st->body.len - 1] == ' ')
		st->body.len--;
	if (st->body.len)
		st->body.data[st->body.len] = 0;
	size_t bl = strlen(br);
	if (st->body.len == 0 || (st->body.len >= bl && memcmp(st->body.data + st->body.len - bl, br, bl) == 0))
		return CR_OK;
	if (bl == 2 && st->body.data[st->body.len - 1] == '\n')
		bl = 1, br = "\n";
	st->space = 1;
	return cr_buf_add(&st->body, br, bl);
}

static cr_err emit_text(html_state *st, const char *s, int pre)
{
	if (pre)
		return cr_buf_adds(&st->body, s);
	cr_err e = CR_OK;
	for (; *s && !e; s++) {
		char c = *s;
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
			if (!st->space && st->body.len)
				e = cr_buf_addc(&st->body, ' ');
			st->space = 1;
		} else {
			e = cr_buf_addc(&st->body, c);
			st->space = 0;
		}
	}
	return e;
}

static cr_err flush(html_state *st)
{
	cr_err e = CR_OK;
	if (st->body.len)
		e = cr_text_add_paragraphs(st->x, st->d, st->body.data, st->body.len, 0, st->path);
	cr_buf_reset(&st->body);
	st->space = 1;
	return e;
}

/* Collapsed text of a subtree (heading, title), in the arena. */
static const char *node_text(cr_arena *a, xmlNode *n)
{
	xmlChar *c = xmlNodeGetContent(n);
	if (!c)
		return cr_arena_strdup(a, "");
	cr_buf b;
	cr_buf_init(&b, 0);
	int sp = 1;
	for (const xmlChar *p = c; *p; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f') {
			if (!sp)
				CR_IGNORE(cr_buf_addc(&b, ' '));
			sp = 1;
		} else {
			CR_IGNORE(cr_buf_addc(&b, (char)*p));
			sp = 0;
		}
	}
	while (b.len && b.data[b.len - 1] == ' ')
		b.len--;
	const char *r = cr_arena_strndup(a, b.data, b.len);
	cr_buf_release(&b);
	xmlFree(c);
	return r;
}

static cr_err set_heading(html_state *st, int lv, const char *h)
{
	st->levels[lv] = h;
	for (int k = lv + 1; k <= MAX_LEVEL; k++)
		st->levels[k] = NULL;
	cr_buf b;
	cr_buf_init(&b, 0);
	for (int k = 1; k <= lv; k++) {
		if (!st->levels[k] || !*st->levels[k])
			continue;
		if (b.len)
			CR_IGNORE(cr_buf_adds(&b, " > "));
		CR_IGNORE(cr_buf_adds(&b, st->levels[k]));
	}
	st->path = b.len ? cr_arena_strndup(st->x->a, b.data, b.len) : NULL;
	cr_buf_release(&b);
	if (lv == 1 && !st->first_h1 && *h)
		st->first_h1 = h;
	cr_loc loc = cr_loc_none();
	loc.heading = st->path;
	return cr_doc_add_section(st->x, st->d, h, strlen(h), &loc);
}

static cr_err read_head(html_state *st, xmlNode *head, const char **title)
{
	for (xmlNode *n = head ? head->children : NULL; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (name_is(n, "title") && !*title) {
			*title = node_text(st->x->a, n);
		} else if (name_is(n, "meta")) {
			xmlChar *nm = xmlGetProp(n, (const xmlChar *)"name");
			if (!nm) /* <meta property="article:published_time"> */
				nm = xmlGetProp(n, (const xmlChar *)"property");
			xmlChar *ct = xmlGetProp(n, (const xmlChar *)"content");
			cr_err e = CR_OK;
			if (nm && ct) {
				if (strcasecmp((char *)nm, "author") == 0)
					st->d->author = cr_arena_strdup(st->x->a, (char *)ct);
				else if ((strcasecmp((char *)nm, "date") == 0 || strcasecmp((char *)nm, "dcterms.created") == 0 ||
					  strcasecmp((char *)nm, "article:published_time") == 0) &&
					 !st->d->date)
					st->d->date = cr_iso_date((char *)ct);
				else if (strcasecmp((char *)nm, "description") == 0 || strcasecmp((char *)nm, "keywords") == 0)
					e = cr_doc_add_meta(st->x, st->d, (char *)nm, (char *)ct);
			}
			xmlFree(nm);
			xmlFree(ct);
			if (e)
				return e;
		}
	}
	return CR_OK;
}

static cr_err walk(html_state *st, xmlNode *root)
{
	xmlNode *n = root;
	int pre = 0;
	cr_err e = CR_OK;
	size_t steps = 0;
	while (n && !e) {
		int descend = 0;
		if (++steps % 4096 == 0 && cr_x_expired(st->x))
			return cr_fail(st->x->m, CR_ETIMEOUT, "html: time limit reached");
		if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
			if (n->content)
				e = emit_text(st, (const char *)n->content, pre);
		} else if (n->type == XML_ELEMENT_NODE && !skipped(n)) {
			int lv = heading_level(n);
			if (lv) {
				const char *h = node_text(st->x->a, n);
				if (!h)
					return CR_ENOMEM;
				if (!(e = flush(st)))
					e = set_heading(st, lv, h);
			} else if (name_is(n, "br")) {
				e = emit_break(st, "\n");
			} else if (name_is(n, "td") || name_is(n, "th")) {
				e = emit_text(st, " | ", 0);
				descend = 1;
			} else {
				if (is_block(n))
					e = emit_break(st, "\n\n");
				if (name_is(n, "pre"))
					pre++;
				descend = 1;
			}
		}
		if (descend && n->children) {
			n = n->children;
			continue;
		}
		/* leave n, climbing while there is no next sibling */
		while (n && n != root) {
			if (n->type == XML_ELEMENT_NODE && !e) {
				if (name_is(n, "pre") && pre > 0)
					pre--;
				if (is_block(n))
					e = emit_break(st, "\n\n");
				else if (name_is(n, "tr"))
					e = emit_break(st, "\n");
			}
			if (n->next) {
				n = n->next;
				break;
			}
			n = n->parent;
		}
		if (n == root)
			break;
	}
	if ((e == CR_ETOOBIG || e == CR_ENOMEM) && !st->x->m->text[0])
		return cr_fail(st->x->m, e, e == CR_ENOMEM ? "html: out of memory"
							  : "html: text over the limit of %zu bytes", st->x->lim->max_text_bytes);
	return e;
}

/* Finds a declared charset in the first 4 KiB: <meta charset=x> or
 * <meta http-equiv content="text/html; charset=x">. Returns it in the arena
 * and where it sits (to blank it), or NULL. */
static char *meta_charset(cr_arena *a, const uint8_t *buf, size_t len, size_t *at, size_t *n_at)
{
	size_t n = CR_MIN(len, 4096);
	const uint8_t *p = buf;
	while ((p = memmem(p, n - (size_t)(p - buf), "charset", 7))) {
		const uint8_t *q = p + 7, *end = buf + n;
		while (q < end && (*q == ' ' || *q == '\t'))
			q++;
		if (q < end && *q == '=') {
			q++;
			while (q < end && (*q == ' ' || *q == '"' || *q == '\''))
				q++;
			const uint8_t *s = q;
			while (q < end && (((*q | 0x20) >= 'a' && (*q | 0x20) <= 'z') || (*q >= '0' && *q <= '9') ||
					   *q == '-' || *q == '_' || *q == ':' || *q == '.'))
				q++;
			if (q > s && q - s < 40) {
				*at = (size_t)(s - buf);
				*n_at = (size_t)(q - s);
				return cr_arena_strndup(a, (const char *)s, (size_t)(q - s));
			}
		}
		p += 7;
	}
	return NULL;
}

cr_err cr_x_html(cr_xctx *x, const uint8_t *buf, size_t len, cr_doc *out)
{
	if (!cr_charset_looks_text(buf, len))
		return cr_fail(x->m, CR_EUNSUPPORTED, "html: binary file");
	if (len > INT32_MAX)
		return cr_fail(x->m, CR_ETOOBIG, "html: file too large");
	size_t at = 0, n_at = 0;
	const char *hint = meta_charset(x->a, buf, len, &at, &n_at);
	char *text;
	size_t n;
	const char *cs;
	cr_err e = cr_charset_to_utf8_cancel(x->lim->cancel, x->a, buf, len, hint, &text, &n, &cs, x->m);
	if (e || (e = cr_doc_add_meta(x, out, "charset", cs)))
		return e;
	/* Blank the declaration so libxml2 keeps the UTF-8 we give it: "utf-8"
	 * padded with spaces would change lengths, so overwrite in place when
	 * the converted text still has it (ASCII survives conversion). */
	if (hint) {
		char *p = memmem(text, CR_MIN(n, (size_t)8192), hint, strlen(hint));
		if (p)
			memset(p, ' ', strlen(hint));
	}
	htmlParserCtxtPtr ctxt = htmlNewParserCtxt();
	if (!ctxt)
		return cr_fail(x->m, CR_ENOMEM, "html: out of memory");
	htmlDocPtr doc = htmlCtxtReadMemory(ctxt, text, (int)n, NULL, "UTF-8",
					    HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
						    HTML_PARSE_NONET | XML_PARSE_HUGE);
	/* libxml2 halts (rather than recovers) on nesting deeper than 256 and
	 * on resource errors: the tree would silently miss the rest. */
	if (ctxt->disableSAX) {
		const char *why = ctxt->lastError.message ? ctxt->lastError.message : "parser stopped";
		char reason[200];
		snprintf(reason, sizeof reason, "%s", why);
		size_t rl = strlen(reason);
		while (rl && (reason[rl - 1] == '\n' || reason[rl - 1] == ' '))
			reason[--rl] = 0;
		int deep = strstr(reason, "depth") != NULL;
		if (doc)
			xmlFreeDoc(doc);
		htmlFreeParserCtxt(ctxt);
		/* libxml2's own wording may give advice meant for programmers
		 * ("use XML_PARSE_HUGE option"): keep the first clause only */
		char *cut = strpbrk(reason, ",;(");
		if (cut)
			*cut = 0;
		if (strstr(reason, "XML_PARSE") || strstr(reason, " option"))
			snprintf(reason, sizeof reason, "the parser stopped");
		return deep ? cr_fail(x->m, CR_ETOOBIG, "html: nesting too deep for the parser")
			    : cr_fail(x->m, CR_ECORRUPT, "html: %s", reason);
	}
	htmlFreeParserCtxt(ctxt);
	if (!doc)
		return n == 0 ? CR_OK : cr_fail(x->m, CR_ECORRUPT, "html: unreadable document");
	html_state st = {.x = x, .d = out, .space = 1};
	cr_buf_init(&st.body, x->lim ? x->lim->max_text_bytes : 0);
	const char *title = NULL;
	xmlNode *root = xmlDocGetRootElement(doc);
	/* <html lang="ja-JP"> -> "ja" */
	xmlChar *lang = root ? xmlGetProp(root, (const xmlChar *)"lang") : NULL;
	if (lang && ((lang[0] | 0x20) >= 'a' && (lang[0] | 0x20) <= 'z') && ((lang[1] | 0x20) >= 'a' && (lang[1] | 0x20) <= 'z') &&
	    (lang[2] == 0 || lang[2] == '-' || lang[2] == '_')) {
		char l2[3] = {(char)(lang[0] | 0x20), (char)(lang[1] | 0x20), 0};
		out->lang = cr_arena_strdup(x->a, l2);
	}
	xmlFree(lang);
	/* <head> may be anywhere near the top when HTML_PARSE_NOIMPLIED */
	for (xmlNode *r = root; r && !e; r = r->next) {
		if (r->type != XML_ELEMENT_NODE)
			continue;
		if (name_is(r, "head"))
			e = read_head(&st, r, &title);
		for (xmlNode *c = r->children; c && !e; c = c->next)
			if (c->type == XML_ELEMENT_NODE && name_is(c, "head"))
				e = read_head(&st, c, &title);
	}
	for (xmlNode *r = root; r && !e; r = r->next) {
		if (r->type == XML_ELEMENT_NODE && name_is(r, "title") && !title)
			title = node_text(x->a, r);
		if (!skipped(r))
			e = walk(&st, r);
	}
	if (!e)
		e = flush(&st);
	cr_buf_release(&st.body);
	xmlFreeDoc(doc);
	if (e)
		return e;
	out->title = title && *title ? title : st.first_h1;
	return CR_OK;
}
