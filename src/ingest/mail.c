/*
 * mail.c — e-mail: single messages (.eml, RFC 5322 + MIME) and mailboxes
 * (.mbox), parsed with GMime 3.
 *
 * A message becomes one document:
 *   title   Subject (RFC 2047 encoded words decoded)
 *   author  From, as "Name <addr>"
 *   date    Date header (unix seconds; 0 if missing or unparsable)
 *   meta    from, to, cc, subject, message_id, in_reply_to, references,
 *           charset (of the body), attachments (names, "; " separated)
 *   readers the addresses of From, To, Cc and Bcc (cr_doc.readers, kind
 *           "mail"): GMime's address parser (display names, encoded
 *           words, group syntax "Team: a@x, b@y;"), each address in
 *           cr_email_norm's form, once; what is no plain address (no '@',
 *           quoted local parts, garbage) is left out, so a hostile header
 *           can only name fewer readers; at most MAIL_MAX_READERS. A
 *           message's attachments (nested messages included) get its
 *           readers; an mbox document names none (its table of contents
 *           lists every message).
 *   sections
 *     1. heading "headers": "From: ...\nTo: ...\nCc: ...\nDate: ...\nSubject: ..."
 *        so that people and subjects are searchable text too;
 *     2. the body text. text/plain is preferred over text/html inside
 *        multipart/alternative; HTML-only bodies go through the HTML
 *        extractor (cr_x_html). Charsets (ISO-2022-JP, Shift_JIS, ...) are
 *        converted by cr_charset_to_utf8 with the declared charset as hint.
 *        Quoted replies are KEPT but MARKED: lines starting with '>' (with the
 *        "On ... wrote:" line before them) and everything after an Outlook
 *        "-----Original Message-----" separator go to sections whose
 *        loc.heading is "quoted", the new text to sections without heading.
 *        Search still finds quoted text; analyses can tell it apart.
 * Attachments (parts with a Content-Disposition of attachment, a file name,
 * or a non-text type) are extracted as their own documents through
 * cr_extract_nested, named "<mail>#att/<filename>" with parent = the mail.
 * A nested message/rfc822 part becomes "<mail>#att/<subject>.eml" and goes
 * through the same path, so the nesting depth is counted by the dispatcher.
 * Images inside multipart/related (logos of HTML mail) are skipped.
 *
 * An mbox is a sequence of messages, each introduced by a "From " line at the
 * start of the file or after an empty line (mboxo/mboxrd; ">From " lines of
 * mboxrd are unquoted, one '>' removed). The mbox document itself gets one
 * section listing its messages (date, from, subject); each message is a
 * document "<file>#<n>" (n from 1) with parent = the mbox.
 *
 * Limits. GMime's parser recurses once per nested multipart or message, so
 * before parsing we count Content-Type headers (every nesting level needs one
 * in at most two levels) and refuse more than MAIL_MAX_PARTS with CR_ETOOBIG;
 * our own walk stops at lim->max_depth. A message with no header at all is
 * CR_ECORRUPT ("mail: no header"). GMime compares each line starting with
 * "--" against every open boundary, so (such lines) x (Content-Type headers)
 * is bounded too (MAIL_MAX_BOUNDARY_WORK: about 0.5 s of parsing at the limit);
 * GMime itself cannot be interrupted by the deadline. GMime is lenient: a
 * truncated mail yields the part that is there.
 *
 * GMime is initialised once per process (pthread_once, cr_mail_init, also
 * reached through cr_extract_init); each call uses its own parser and
 * options objects, so extraction is thread-safe.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <pthread.h>
#include <string.h>

#include <gmime/gmime.h>

#include "ingest_int.h"

#define MAIL_MAX_PARTS 4000   /* Content-Type headers per message */
#define MAIL_MAX_BOUNDARY_WORK 2e8 /* "--" lines x Content-Type headers */
#define MBOX_MAX_MESSAGES 200000
#define MAIL_MAX_READERS 1000 /* addresses kept per message (the first ones) */

static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void mail_init_once(void)
{
	g_mime_init();
}

void cr_mail_init(void) { pthread_once(&g_once, mail_init_once); }

/* ---- small helpers ------------------------------------------------------ */

typedef struct mail_ctx {
	cr_xctx *x;
	cr_doc *doc;       /* the message being filled */
	cr_doc **tail;     /* where attachments are appended */
	cr_buf body;       /* text of the body parts, in order */
	const char *charset;
	cr_buf att_names;  /* "; "-separated */
	unsigned n_att;
	unsigned n_skipped_images;
	int truncated_depth;
	cr_err err;        /* ENOMEM / ETIMEOUT from nested extraction */
} mail_ctx;

/* case-insensitive search for an ASCII needle in bytes */
static size_t count_ci(const uint8_t *buf, size_t len, const char *needle, size_t stop_after)
{
	size_t n = strlen(needle), count = 0;
	if (len < n)
		return 0;
	int c0l = tolower((unsigned char)needle[0]), c0u = toupper((unsigned char)needle[0]);
	for (size_t i = 0; i + n <= len; i++) {
		if (buf[i] != c0l && buf[i] != c0u)
			continue;
		if (strncasecmp((const char *)buf + i, needle, n) == 0) {
			if (++count > stop_after)
				return count;
			i += n - 1;
		}
	}
	return count;
}

static char *arena_gstr(cr_arena *a, char *g)
{
	if (!g)
		return NULL;
	char *s = cr_arena_strdup(a, g);
	g_free(g);
	return s;
}

/* Internet address list as a readable decoded string, or NULL if empty. */
static char *addr_list(cr_arena *a, InternetAddressList *l)
{
	if (!l || internet_address_list_length(l) == 0)
		return NULL;
	return arena_gstr(a, internet_address_list_to_string(l, NULL, FALSE));
}

/* The readers of a message: normalised addresses, each once. */
typedef struct readers {
	cr_arena *a;
	const char **v;
	size_t n, cap;
	int oom;
} readers;

static void readers_add(readers *r, const char *addr)
{
	char norm[CR_EMAIL_MAX];
	if (!addr || r->oom || r->n >= MAIL_MAX_READERS || !cr_email_norm(addr, strlen(addr), norm, sizeof norm))
		return;
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->v[i], norm))
			return;
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 8;
		const char **p = cr_arena_alloc(r->a, cap * sizeof *p);
		if (!p) {
			r->oom = 1;
			return;
		}
		if (r->n)
			memcpy(p, r->v, r->n * sizeof *p);
		r->v = p;
		r->cap = cap;
	}
	if (!(r->v[r->n] = cr_arena_strdup(r->a, norm)))
		r->oom = 1;
	else
		r->n++;
}

/* Every mailbox of an address list, inside groups too ("Team: a@x, b@y;"). */
static void readers_list(readers *r, InternetAddressList *l, int depth)
{
	int n = l && depth < 4 ? internet_address_list_length(l) : 0;
	for (int i = 0; i < n; i++) {
		InternetAddress *ia = internet_address_list_get_address(l, i);
		if (INTERNET_ADDRESS_IS_MAILBOX(ia))
			readers_add(r, internet_address_mailbox_get_idn_addr(INTERNET_ADDRESS_MAILBOX(ia)));
		else if (INTERNET_ADDRESS_IS_GROUP(ia))
			readers_list(r, internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)), depth + 1);
	}
}

/* A file name safe to use after "#att/": no '/', '\\', '#', control bytes. */
static char *safe_name(cr_arena *a, const char *fn)
{
	size_t n = strlen(fn);
	if (n > 200)
		n = 200;
	char *s = cr_arena_strndup(a, fn, n);
	if (!s)
		return NULL;
	for (char *p = s; *p; p++)
		if (*p == '/' || *p == '\\' || *p == '#' || (unsigned char)*p < 0x20)
			*p = '_';
	return s;
}

/* Makes "<mail>#att/<fn>" unique among this mail's attachments. */
static char *att_doc_name(mail_ctx *c, const char *fn)
{
	cr_arena *a = c->x->a;
	char *base = safe_name(a, fn && *fn ? fn : "part");
	if (!base)
		return NULL;
	/* is base already used? att_names holds "; "-joined names */
	char *cand = base;
	for (int k = 2; k < 1000; k++) {
		int used = 0;
		size_t cl = strlen(cand);
		const char *p = c->att_names.data;
		while (p && *p) {
			const char *e = strstr(p, "; ");
			size_t l = e ? (size_t)(e - p) : strlen(p);
			if (l == cl && memcmp(p, cand, l) == 0) {
				used = 1;
				break;
			}
			p = e ? e + 2 : p + l;
		}
		if (!used)
			break;
		const char *dot = strrchr(base, '.');
		if (dot && dot != base)
			cand = cr_arena_printf(a, "%.*s-%d%s", (int)(dot - base), base, k, dot);
		else
			cand = cr_arena_printf(a, "%s-%d", base, k);
		if (!cand)
			return NULL;
	}
	if (c->att_names.len)
		CR_IGNORE(cr_buf_adds(&c->att_names, "; "));
	CR_IGNORE(cr_buf_adds(&c->att_names, cand));
	return cr_arena_printf(a, "%s#att/%s", c->doc->name, cand);
}

/* Decoded (transfer encoding removed) content of a leaf part, in a GByteArray
 * owned by the returned stream (unref it). */
static GMimeStream *part_bytes(GMimePart *part, const uint8_t **data, size_t *len)
{
	*data = NULL;
	*len = 0;
	GMimeDataWrapper *w = g_mime_part_get_content(part);
	GMimeStream *s = g_mime_stream_mem_new();
	if (w)
		g_mime_data_wrapper_write_to_stream(w, s);
	GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(s));
	if (ba) {
		*data = ba->data;
		*len = ba->len;
	}
	return s;
}

/* Appends a crude tag-stripped version of HTML (fallback when the HTML
 * extractor fails): tags dropped, a few entities decoded, script/style bodies
 * skipped. */
static void html_strip(cr_buf *b, const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		if (s[i] == '<') {
			size_t j = i + 1;
			int skip = 0;
			if (n - j >= 6 && (strncasecmp(s + j, "script", 6) == 0 || strncasecmp(s + j, "style", 5) == 0))
				skip = 1;
			while (j < n && s[j] != '>')
				j++;
			if (skip) {
				const char *endtag = strncasecmp(s + i + 1, "script", 6) == 0 ? "</script" : "</style";
				size_t el = strlen(endtag);
				size_t k = j;
				while (k + el <= n && strncasecmp(s + k, endtag, el) != 0)
					k++;
				j = k;
				while (j < n && s[j] != '>')
					j++;
			}
			CR_IGNORE(cr_buf_addc(b, ' '));
			i = j + 1;
			continue;
		}
		if (s[i] == '&') {
			static const struct { const char *e; const char *r; } ents[] = {
				{"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""},
				{"&nbsp;", " "}, {"&#39;", "'"}, {"&apos;", "'"}};
			int done = 0;
			for (size_t k = 0; k < CR_ARRAY_LEN(ents); k++) {
				size_t el = strlen(ents[k].e);
				if (n - i >= el && strncasecmp(s + i, ents[k].e, el) == 0) {
					CR_IGNORE(cr_buf_adds(b, ents[k].r));
					i += el;
					done = 1;
					break;
				}
			}
			if (done)
				continue;
		}
		CR_IGNORE(cr_buf_addc(b, s[i]));
		i++;
	}
}

/* Appends the text of one text part (UTF-8) to the body. */
static void add_text_part(mail_ctx *c, GMimePart *part, int is_html)
{
	cr_xctx *x = c->x;
	const uint8_t *raw;
	size_t rawlen;
	GMimeStream *s = part_bytes(part, &raw, &rawlen);
	GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(part));
	const char *cs = ct ? g_mime_content_type_get_parameter(ct, "charset") : NULL;
	char *utf8 = NULL;
	size_t ulen = 0;
	const char *used = NULL;
	if (rawlen && cr_charset_to_utf8(x->a, raw, rawlen, cs, &utf8, &ulen, &used, NULL) != CR_OK) {
		utf8 = cr_arena_strndup(x->a, (const char *)raw, rawlen); /* sanitized when added */
		ulen = utf8 ? rawlen : 0;
		used = NULL;
	}
	g_object_unref(s);
	if (!utf8 || !ulen)
		return;
	if (!c->charset)
		c->charset = used ? used : cs;
	if (c->body.len)
		CR_IGNORE(cr_buf_adds(&c->body, "\n\n"));
	if (!is_html) {
		CR_IGNORE(cr_buf_add(&c->body, utf8, ulen));
		return;
	}
	cr_doc tmp;
	memset(&tmp, 0, sizeof tmp);
	tmp.name = c->doc->name;
	tmp.type = "html";
	cr_msg hm;
	cr_msg *saved = x->m;
	x->m = &hm;
	cr_err e = cr_x_html(x, (const uint8_t *)utf8, ulen, &tmp);
	x->m = saved;
	if (e == CR_OK && tmp.n_sections) {
		for (size_t i = 0; i < tmp.n_sections; i++) {
			if (i)
				CR_IGNORE(cr_buf_adds(&c->body, "\n\n"));
			CR_IGNORE(cr_buf_add(&c->body, tmp.sections[i].text, tmp.sections[i].len));
		}
	} else {
		html_strip(&c->body, utf8, ulen);
	}
}

static int is_type(GMimeObject *o, const char *t, const char *sub)
{
	GMimeContentType *ct = g_mime_object_get_content_type(o);
	return ct && g_mime_content_type_is_type(ct, t, sub);
}

static void walk(mail_ctx *c, GMimeObject *o, unsigned depth, int in_related);

static void extract_attachment(mail_ctx *c, const char *fn, const uint8_t *data, size_t len)
{
	if (c->err)
		return;
	char *name = att_doc_name(c, fn);
	if (!name) {
		c->err = CR_ENOMEM;
		return;
	}
	c->n_att++;
	static const uint8_t empty[1];
	cr_err e = cr_extract_nested(c->x, name, c->doc->name, data ? data : empty, data ? len : 0, c->tail);
	if (e == CR_ENOMEM || e == CR_ETIMEOUT)
		c->err = e;
}

static void walk_message_part(mail_ctx *c, GMimeMessagePart *mp)
{
	GMimeMessage *inner = g_mime_message_part_get_message(mp);
	if (!inner)
		return;
	const char *subj = g_mime_message_get_subject(inner);
	char *fn = cr_arena_printf(c->x->a, "%s.eml", subj && *subj ? subj : "message");
	GMimeStream *s = g_mime_stream_mem_new();
	g_mime_object_write_to_stream(GMIME_OBJECT(inner), NULL, s);
	GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(s));
	if (fn && ba)
		extract_attachment(c, fn, ba->data, ba->len);
	g_object_unref(s);
}

static void walk(mail_ctx *c, GMimeObject *o, unsigned depth, int in_related)
{
	if (!o || c->err)
		return;
	if (depth > c->x->lim->max_depth) {
		c->truncated_depth = 1;
		return;
	}
	if (cr_x_expired(c->x)) {
		c->err = CR_ETIMEOUT;
		return;
	}
	if (GMIME_IS_MESSAGE_PART(o)) {
		walk_message_part(c, GMIME_MESSAGE_PART(o));
		return;
	}
	if (GMIME_IS_MULTIPART(o)) {
		GMimeMultipart *mp = GMIME_MULTIPART(o);
		int n = g_mime_multipart_get_count(mp);
		if (is_type(o, "multipart", "encrypted")) {
			CR_IGNORE(cr_doc_add_meta(c->x, c->doc, "encrypted", "yes"));
			return;
		}
		if (is_type(o, "multipart", "signed")) {
			if (n > 0)
				walk(c, g_mime_multipart_get_part(mp, 0), depth + 1, in_related);
			return;
		}
		if (is_type(o, "multipart", "alternative")) {
			/* text/plain if there is one, else the last (richest) part */
			GMimeObject *best = NULL;
			for (int i = 0; i < n; i++) {
				GMimeObject *p = g_mime_multipart_get_part(mp, i);
				if (GMIME_IS_PART(p) && is_type(p, "text", "plain")) {
					best = p;
					break;
				}
			}
			if (!best && n > 0)
				best = g_mime_multipart_get_part(mp, n - 1);
			walk(c, best, depth + 1, in_related);
			return;
		}
		int related = is_type(o, "multipart", "related");
		for (int i = 0; i < n && !c->err; i++)
			walk(c, g_mime_multipart_get_part(mp, i), depth + 1, related);
		return;
	}
	if (!GMIME_IS_PART(o))
		return;
	GMimePart *part = GMIME_PART(o);
	const char *fn = g_mime_part_get_filename(part);
	GMimeContentDisposition *disp = g_mime_object_get_content_disposition(o);
	int attach = disp && g_mime_content_disposition_is_attachment(disp);
	int text_plain = is_type(o, "text", "plain"), text_html = is_type(o, "text", "html");
	int is_text = is_type(o, "text", "*");
	if (!attach && (text_plain || text_html)) {
		add_text_part(c, part, text_html);
		return;
	}
	if (!attach && !fn && is_text) {
		add_text_part(c, part, 0);
		return;
	}
	if (in_related && is_type(o, "image", "*")) {
		c->n_skipped_images++;
		return;
	}
	const uint8_t *data;
	size_t len;
	GMimeStream *s = part_bytes(part, &data, &len);
	if (!fn || !*fn) {
		/* a name from the type: part-N.<subtype> */
		GMimeContentType *ct = g_mime_object_get_content_type(o);
		const char *sub = ct ? g_mime_content_type_get_media_subtype(ct) : NULL;
		char *gen = cr_arena_printf(c->x->a, "part-%u.%s", c->n_att + 1,
					    text_plain ? "txt" : text_html ? "html" : sub && *sub ? sub : "bin");
		if (gen)
			extract_attachment(c, gen, data, len);
		else
			c->err = CR_ENOMEM;
	} else {
		extract_attachment(c, fn, data, len);
	}
	g_object_unref(s);
}

/* ---- quoted text ---------------------------------------------------------- */

static int is_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isspace((unsigned char)s[i]))
			return 0;
	return 1;
}

static int is_quote_line(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i < n && s[i] == '>';
}

/* "On Mon, ... Mei Lin wrote:", "... さんは書きました:", "...のメッセージ:" */
static int is_attribution(const char *s, size_t n)
{
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (n < 6 || n > 400)
		return 0;
	static const char *ends[] = {"wrote:", "writes:", "書きました:", "書きました：", "書きました。",
				     "のメッセージ:", "wrote :", "a écrit :", "schrieb:"};
	for (size_t k = 0; k < CR_ARRAY_LEN(ends); k++) {
		size_t el = strlen(ends[k]);
		if (n >= el && memcmp(s + n - el, ends[k], el) == 0)
			return 1;
	}
	return 0;
}

static int is_outlook_sep(const char *s, size_t n)
{
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	return (n >= 20 && n < 60 && memmem(s, n, "Original Message", 16) && s[0] == '-') ||
	       (n >= 10 && memmem(s, n, "元のメッセージ", strlen("元のメッセージ")) && s[0] == '-');
}

typedef struct line_span {
	size_t off, len; /* without the newline */
	size_t next;     /* offset of the next line */
} line_span;

static line_span next_line(const char *s, size_t n, size_t off)
{
	line_span l = {off, 0, n};
	const char *nl = memchr(s + off, '\n', n - off);
	if (nl) {
		l.len = (size_t)(nl - (s + off));
		l.next = (size_t)(nl - s) + 1;
	} else {
		l.len = n - off;
	}
	if (l.len && s[off + l.len - 1] == '\r')
		l.len--;
	return l;
}

/* Adds the body as sections, quoted blocks marked with heading "quoted". */
static cr_err add_body_sections(cr_xctx *x, cr_doc *d, const char *s, size_t n)
{
	cr_loc plain = cr_loc_none(), quoted = cr_loc_none();
	quoted.heading = "quoted";
	size_t run_start = 0;
	int run_quoted = 0;
	size_t off = 0;
	cr_err e = CR_OK;
	while (off < n) {
		line_span l = next_line(s, n, off);
		int q;
		size_t block_start = l.off;
		if (is_outlook_sep(s + l.off, l.len)) {
			/* everything from here on is the quoted original */
			if (!run_quoted && block_start > run_start)
				e = cr_doc_add_section(x, d, s + run_start, block_start - run_start, &plain);
			else if (run_quoted && block_start > run_start)
				e = cr_doc_add_section(x, d, s + run_start, block_start - run_start, &quoted);
			if (e)
				return e;
			return cr_doc_add_section(x, d, s + block_start, n - block_start, &quoted);
		}
		q = is_quote_line(s + l.off, l.len);
		if (!q && is_attribution(s + l.off, l.len)) {
			/* attribution belongs to the quote if a quoted line follows (blank lines allowed) */
			size_t o2 = l.next;
			while (o2 < n) {
				line_span l2 = next_line(s, n, o2);
				if (!is_blank(s + l2.off, l2.len)) {
					q = is_quote_line(s + l2.off, l2.len);
					break;
				}
				o2 = l2.next;
			}
		}
		if (!q && run_quoted && is_blank(s + l.off, l.len)) {
			/* blank lines inside a quote stay in it */
			off = l.next;
			continue;
		}
		if (q != run_quoted) {
			if (block_start > run_start) {
				e = cr_doc_add_section(x, d, s + run_start, block_start - run_start,
						       run_quoted ? &quoted : &plain);
				if (e)
					return e;
			}
			run_start = block_start;
			run_quoted = q;
		}
		off = l.next;
	}
	if (n > run_start)
		e = cr_doc_add_section(x, d, s + run_start, n - run_start, run_quoted ? &quoted : &plain);
	return e;
}

/* ---- one message ---------------------------------------------------------- */

/* Does the buffer start with something like a header line ("Name: value")? */
static int looks_like_header(const uint8_t *b, size_t n)
{
	size_t i = 0;
	while (i < n && (b[i] == '\r' || b[i] == '\n'))
		i++;
	size_t start = i;
	while (i < n && i - start < 80 && b[i] > 32 && b[i] < 127 && b[i] != ':')
		i++;
	size_t name_end = i;
	while (i < n && i - name_end < 16 && (b[i] == ' ' || b[i] == '\t')) /* obsolete "From  :" */
		i++;
	return name_end > start && i < n && b[i] == ':';
}

/*
 * Parses one message from buf into d (name and type already set). `tail`
 * is where attachments go (and is advanced).
 */
static cr_err mail_parse_one(cr_xctx *x, const uint8_t *buf, size_t len, cr_doc *d, cr_doc **tail)
{
	cr_mail_init();
	/* a single message saved from a mailbox may keep its "From " line */
	size_t k = 4;
	while (k < len && k < 64 && (buf[k] == ' ' || buf[k] == '\t'))
		k++;
	if (len >= 5 && memcmp(buf, "From ", 5) == 0 && k < len && buf[k] != ':') {
		const uint8_t *nl = memchr(buf, '\n', len);
		size_t skip = nl ? (size_t)(nl - buf) + 1 : len;
		buf += skip;
		len -= skip;
	}
	if (len == 0)
		return cr_fail(x->m, CR_ECORRUPT, "mail: empty message");
	if (!looks_like_header(buf, len))
		return cr_fail(x->m, CR_ECORRUPT, "mail: no header");
	size_t n_ct = count_ci(buf, len, "content-type", MAIL_MAX_PARTS);
	if (n_ct > MAIL_MAX_PARTS)
		return cr_fail(x->m, CR_ETOOBIG, "mail: more than %d MIME parts", MAIL_MAX_PARTS);
	/* GMime compares every line starting "--" with each open boundary */
	size_t n_dash = 0;
	for (size_t i = 0; i + 2 < len; i++)
		if ((i == 0 || buf[i - 1] == '\n') && buf[i] == '-' && buf[i + 1] == '-')
			n_dash++;
	if ((double)n_dash * (double)n_ct > MAIL_MAX_BOUNDARY_WORK)
		return cr_fail(x->m, CR_ETOOBIG, "mail: %zu boundary-like lines across %zu MIME parts, too costly",
			       n_dash, n_ct);

	cr_err e = CR_OK;
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer((const char *)buf, len);
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeParserOptions *opts = g_mime_parser_options_new();
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	GMimeMessage *msg = g_mime_parser_construct_message(parser, opts);
	mail_ctx c;
	memset(&c, 0, sizeof c);
	cr_buf_init(&c.body, x->lim->max_text_bytes ? x->lim->max_text_bytes : 0);
	cr_buf_init(&c.att_names, 64 * 1024);
	if (!msg) {
		e = cr_fail(x->m, CR_ECORRUPT, "mail: not a MIME message");
		goto done;
	}
	cr_arena *a = x->a;
	const char *subj = g_mime_message_get_subject(msg);
	char *from = addr_list(a, g_mime_message_get_from(msg));
	char *to = addr_list(a, g_mime_message_get_to(msg));
	char *cc = addr_list(a, g_mime_message_get_cc(msg));
	const char *mid = g_mime_message_get_message_id(msg);
	const char *irt = g_mime_object_get_header(GMIME_OBJECT(msg), "In-Reply-To");
	const char *refs = g_mime_object_get_header(GMIME_OBJECT(msg), "References");
	const char *date_raw = g_mime_object_get_header(GMIME_OBJECT(msg), "Date");
	GDateTime *dt = g_mime_message_get_date(msg);
	if (dt) {
		gint64 t = g_date_time_to_unix(dt);
		/* GMime maps unparsable dates to the epoch: keep 0 = unknown */
		d->date = t > 0 ? (int64_t)t : 0;
	}
	if (subj && *subj)
		d->title = cr_arena_strdup(a, subj);
	d->author = from;
	if ((e = cr_doc_add_meta(x, d, "from", from)) || (e = cr_doc_add_meta(x, d, "to", to)) ||
	    (e = cr_doc_add_meta(x, d, "cc", cc)) || (e = cr_doc_add_meta(x, d, "subject", subj)) ||
	    (e = cr_doc_add_meta(x, d, "message_id", mid)) ||
	    (e = cr_doc_add_meta(x, d, "in_reply_to", irt)) ||
	    (e = cr_doc_add_meta(x, d, "references", refs)) ||
	    (e = cr_doc_add_meta(x, d, "date", date_raw)))
		goto done;

	/* header section */
	cr_buf hb;
	cr_buf_init(&hb, 1 << 20);
	if (from)
		CR_IGNORE(cr_buf_printf(&hb, "From: %s\n", from));
	if (to)
		CR_IGNORE(cr_buf_printf(&hb, "To: %s\n", to));
	if (cc)
		CR_IGNORE(cr_buf_printf(&hb, "Cc: %s\n", cc));
	if (date_raw)
		CR_IGNORE(cr_buf_printf(&hb, "Date: %s\n", date_raw));
	if (subj)
		CR_IGNORE(cr_buf_printf(&hb, "Subject: %s\n", subj));
	cr_loc hl = cr_loc_none();
	hl.heading = "headers";
	if (hb.len)
		e = cr_doc_add_section(x, d, hb.data, hb.len, &hl);
	cr_buf_release(&hb);
	if (e)
		goto done;

	c.x = x;
	c.doc = d;
	c.tail = tail;
	walk(&c, g_mime_message_get_mime_part(msg), 1, 0);
	if (c.err) {
		e = c.err == CR_ETIMEOUT ? cr_fail(x->m, CR_ETIMEOUT, "mail: time limit") : c.err;
		goto done;
	}
	if (c.truncated_depth && (e = cr_doc_add_meta(x, d, "skipped", "MIME nesting over the depth limit")))
		goto done;
	if (c.n_skipped_images) {
		char *v = cr_arena_printf(a, "%u", c.n_skipped_images);
		if ((e = cr_doc_add_meta(x, d, "inline_images_skipped", v)))
			goto done;
	}
	if ((e = cr_doc_add_meta(x, d, "charset", c.charset)) ||
	    (e = cr_doc_add_meta(x, d, "attachments", c.att_names.data)))
		goto done;
	if (c.body.len) {
		e = add_body_sections(x, d, c.body.data, c.body.len);
		if (e)
			goto done;
	}
	/* who may read it: its addresses; its attachments are read with it */
	readers rd = {.a = a};
	readers_list(&rd, g_mime_message_get_from(msg), 0);
	readers_list(&rd, g_mime_message_get_to(msg), 0);
	readers_list(&rd, g_mime_message_get_cc(msg), 0);
	readers_list(&rd, g_mime_message_get_bcc(msg), 0);
	if (rd.oom) {
		e = CR_ENOMEM;
		goto done;
	}
	for (cr_doc *p = d;; p = p->next) {
		p->readers_kind = "mail";
		p->readers = rd.v;
		p->n_readers = rd.n;
		if (p == *tail || !p->next)
			break;
	}
done:
	cr_buf_release(&c.body);
	cr_buf_release(&c.att_names);
	if (msg)
		g_object_unref(msg);
	g_mime_parser_options_free(opts);
	g_object_unref(parser);
	g_object_unref(stream);
	return e;
}

cr_err cr_x_eml(cr_xctx *x, const uint8_t *buf, size_t len, cr_doc *out)
{
	cr_doc *tail = out;
	if (!out->type)
		out->type = "eml";
	return mail_parse_one(x, buf, len, out, &tail);
}

/* ---- mbox ----------------------------------------------------------------- */

static int is_from_line(const uint8_t *b, size_t n, size_t off)
{
	return n - off >= 5 && memcmp(b + off, "From ", 5) == 0;
}

/* Copies one message, unquoting mboxrd ">From " lines (one '>' removed). */
static const uint8_t *mbox_unquote(cr_arena *a, const uint8_t *b, size_t n, size_t *out_len)
{
	/* most messages have no quoted From_ line: use the bytes in place */
	int quoted = 0;
	for (const uint8_t *p = b; p && p < b + n; p = memchr(p, '\n', (size_t)(b + n - p)), p = p ? p + 1 : NULL) {
		const uint8_t *q = p;
		while (q < b + n && *q == '>')
			q++;
		if (q > p && (size_t)(b + n - q) >= 5 && memcmp(q, "From ", 5) == 0) {
			quoted = 1;
			break;
		}
	}
	if (!quoted) {
		*out_len = n;
		return b;
	}
	uint8_t *o = cr_arena_alloc(a, n + 1);
	if (!o)
		return NULL;
	size_t j = 0, i = 0;
	while (i < n) {
		/* at line start */
		size_t k = i;
		while (k < n && b[k] == '>')
			k++;
		if (k > i && n - k >= 5 && memcmp(b + k, "From ", 5) == 0)
			i++; /* drop one '>' */
		const uint8_t *nl = memchr(b + i, '\n', n - i);
		size_t l = nl ? (size_t)(nl - (b + i)) + 1 : n - i;
		memcpy(o + j, b + i, l);
		j += l;
		i += l;
	}
	o[j] = 0;
	*out_len = j;
	return o;
}

cr_err cr_x_mbox(cr_xctx *x, const uint8_t *buf, size_t len, cr_doc *out)
{
	if (!out->type)
		out->type = "mbox";
	out->readers_kind = "mail"; /* naming nobody: it lists every message */
	size_t off = 0;
	while (off < len && (buf[off] == '\n' || buf[off] == '\r'))
		off++;
	if (!is_from_line(buf, len, off))
		return cr_fail(x->m, CR_ECORRUPT, "mbox: does not start with a \"From \" line");
	cr_doc *tail = out;
	cr_buf toc;
	cr_buf_init(&toc, x->lim->max_text_bytes);
	cr_err e = CR_OK;
	unsigned n_msg = 0, n_bad = 0;
	while (off < len) {
		/* off is at a From_ line: the message starts after it */
		const uint8_t *nl = memchr(buf + off, '\n', len - off);
		size_t start = nl ? (size_t)(nl - buf) + 1 : len;
		/* find the next From_ line preceded by an empty line */
		size_t end = len, next = len;
		size_t p = start;
		int prev_blank = 0;
		while (p < len) {
			const uint8_t *q = memchr(buf + p, '\n', len - p);
			size_t ll = q ? (size_t)(q - (buf + p)) : len - p;
			if (prev_blank && is_from_line(buf, len, p)) {
				end = p;
				next = p;
				break;
			}
			prev_blank = ll == 0 || (ll == 1 && buf[p] == '\r');
			p = q ? (size_t)(q - buf) + 1 : len;
		}
		if (cr_x_expired(x)) {
			e = cr_fail(x->m, CR_ETIMEOUT, "mbox: time limit");
			goto done;
		}
		if (++n_msg > MBOX_MAX_MESSAGES) {
			e = cr_fail(x->m, CR_ETOOBIG, "mbox: more than %d messages", MBOX_MAX_MESSAGES);
			goto done;
		}
		size_t mlen;
		const uint8_t *mb = mbox_unquote(x->a, buf + start, end - start, &mlen);
		cr_doc *d = cr_arena_zalloc(x->a, sizeof *d);
		if (!mb || !d) {
			e = CR_ENOMEM;
			goto done;
		}
		d->name = cr_arena_printf(x->a, "%s#%u", out->name ? out->name : "mbox", n_msg);
		d->parent = out->name;
		d->type = "eml";
		/* link the message, then let its attachments follow it */
		cr_doc *saved_tail = tail, *saved_next = tail->next;
		tail->next = d;
		cr_doc *mt = d;
		cr_msg mm;
		cr_msg *saved_m = x->m;
		x->m = &mm;
		cr_err me = mail_parse_one(x, mb, mlen, d, &mt);
		x->m = saved_m;
		if (me == CR_ENOMEM || me == CR_ETIMEOUT) {
			e = me == CR_ETIMEOUT ? cr_fail(x->m, me, "mbox: time limit") : me;
			goto done;
		}
		if (me != CR_OK) {
			/* drop this message, keep going */
			saved_tail->next = saved_next;
			n_bad++;
			char *v = cr_arena_printf(x->a, "%s: %s", d->name, mm.text);
			if (!v || (e = cr_doc_add_meta(x, out, "skipped", v)))
				goto done;
		} else {
			tail = mt;
			char date[32] = "";
			if (d->date) {
				time_t t = (time_t)d->date;
				struct tm tm;
				gmtime_r(&t, &tm);
				strftime(date, sizeof date, "%Y-%m-%d %H:%M", &tm);
			}
			CR_IGNORE(cr_buf_printf(&toc, "#%u %s | %s | %s\n", n_msg, date, d->author ? d->author : "",
					    d->title ? d->title : ""));
			if (!out->title && d->title)
				out->title = d->title;
			if (!out->date || (d->date && d->date < out->date))
				out->date = d->date;
		}
		off = next;
	}
	if (n_msg == n_bad) {
		e = cr_fail(x->m, CR_ECORRUPT, "mbox: no readable message");
		goto done;
	}
	char *cnt = cr_arena_printf(x->a, "%u", n_msg - n_bad);
	cr_loc l = cr_loc_none();
	l.heading = "messages";
	if ((e = cr_doc_add_meta(x, out, "messages", cnt)) ||
	    (e = cr_doc_add_section(x, out, toc.data, toc.len, &l)))
		goto done;
done:
	cr_buf_release(&toc);
	return e;
}
