/*
 * transcript.c — meeting transcripts and subtitles: WebVTT (.vtt) and SubRip
 * (.srt).
 *
 * Both are a list of cues: a timing line "start --> end" followed by text
 * lines up to an empty line.
 *
 *   WebVTT  "WEBVTT" header (optional BOM, optional text after a space/tab,
 *           which becomes the title, a leading " - " dropped),
 *           then blocks; a cue may have an identifier line before the timing;
 *           times are [hh:]mm:ss.ttt; cue settings may follow the end time;
 *           NOTE / STYLE / REGION blocks are skipped. The speaker comes from
 *           a voice tag "<v Name>" or "<v.class Name>".
 *   SRT     a counter line, "hh:mm:ss,ttt --> hh:mm:ss,ttt" (a '.' is
 *           accepted for ','), text. Often not UTF-8: converted with
 *           cr_charset_to_utf8.
 *
 * In both, a line starting "Name: " (or "Name：", or "- Name:", or
 * ">> Name:") gives the speaker when no voice tag does; a name is at most
 * 40 bytes and 4 words, has no sentence punctuation and is not a label of
 * minutes ("Decision:", "Action item:", "決定事項："). Styling is stripped:
 * tags (<b>, <i>, <c.x>, <font ...>, <00:01.000> timestamps, <ruby>/<rt>), ASS
 * overrides ({\an8}) and the entities &amp; &lt; &gt; &nbsp; &lrm; &rlm;.
 *
 * Sections are speaker turns: consecutive cues of the same speaker (or of no
 * known speaker) are merged while the turn stays under TURN_MAX_BYTES and
 * the gap between cues is under TURN_MAX_GAP seconds. Each section has
 * loc.speaker (NULL if unknown) and loc.t_start / t_end in seconds, and its
 * text starts with "Speaker: " when the speaker is known, so that a chunk
 * joining several turns (the chunker merges neighbouring sections) still
 * says who said what.
 *
 * Bad input: a cue whose timing line does not parse, or whose end is before
 * its start, is skipped and counted (meta "skipped_cues"); a VTT without its
 * header, or a file in which no cue parses, is CR_ECORRUPT. The parser is a
 * single pass over the lines; nothing recurses.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "ingest_int.h"

#define TURN_MAX_BYTES 1500
#define TURN_MAX_GAP 30.0
#define SPEAKER_MAX 40

typedef struct tline {
	const char *s;
	size_t n;
} tline;

typedef struct cursor {
	const char *s;
	size_t n, off;
} cursor;

static int next_tline(cursor *c, tline *l)
{
	if (c->off >= c->n)
		return 0;
	const char *p = c->s + c->off;
	size_t left = c->n - c->off;
	const char *nl = memchr(p, '\n', left);
	size_t len = nl ? (size_t)(nl - p) : left;
	c->off += nl ? len + 1 : len;
	/* a lone '\r' also ends a line (old Mac files) */
	const char *cr = memchr(p, '\r', len);
	if (cr && cr + 1 < p + len) {
		len = (size_t)(cr - p);
		c->off = (size_t)(cr - c->s) + 1;
	} else if (len && p[len - 1] == '\r') {
		len--;
	}
	l->s = p;
	l->n = len;
	return 1;
}

static int blank(const tline *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (!isspace((unsigned char)l->s[i]))
			return 0;
	return 1;
}

/* Parses [hh:]mm:ss[.,]ttt at s; returns bytes used, 0 on failure. */
static size_t parse_time(const char *s, size_t n, double *out)
{
	long part[3];
	int np = 0;
	size_t i = 0;
	while (np < 3) {
		size_t st = i;
		long v = 0;
		while (i < n && isdigit((unsigned char)s[i]) && i - st < 9)
			v = v * 10 + (s[i++] - '0');
		if (i == st)
			return 0;
		part[np++] = v;
		if (i < n && s[i] == ':' && np < 3) {
			i++;
			continue;
		}
		break;
	}
	if (np < 2)
		return 0;
	double frac = 0;
	if (i < n && (s[i] == '.' || s[i] == ',')) {
		i++;
		size_t st = i;
		double scale = 0.1;
		while (i < n && isdigit((unsigned char)s[i]) && i - st < 9) {
			frac += (s[i++] - '0') * scale;
			scale /= 10;
		}
		if (i == st)
			return 0;
	}
	long h = 0, m, sec;
	if (np == 3) {
		h = part[0];
		m = part[1];
		sec = part[2];
	} else {
		m = part[0];
		sec = part[1];
	}
	if (m > 59 || sec > 59 || h > 100000)
		return 0;
	*out = (double)h * 3600 + (double)m * 60 + (double)sec + frac;
	return i;
}

/* "start --> end [settings]"; returns 1 if the line is a timing line. */
static int parse_timing(const tline *l, double *t0, double *t1)
{
	const char *arrow = l->n >= 3 ? memmem(l->s, l->n, "-->", 3) : NULL;
	if (!arrow)
		return 0;
	size_t i = 0;
	while (i < l->n && isspace((unsigned char)l->s[i]))
		i++;
	size_t used = parse_time(l->s + i, l->n - i, t0);
	if (!used)
		return -1;
	size_t j = (size_t)(arrow - l->s) + 3;
	while (j < l->n && isspace((unsigned char)l->s[j]))
		j++;
	if (!parse_time(l->s + j, l->n - j, t1))
		return -1;
	if (*t1 < *t0)
		return -1;
	return 1;
}

/* ---- text cleaning -------------------------------------------------------- */

/* Appends the text of one cue line to b with tags, ASS overrides and entities
 * removed. A <v Name> tag sets *voice (arena string) if not yet set. */
static void clean_line(cr_arena *a, cr_buf *b, const char *s, size_t n, const char **voice)
{
	size_t i = 0;
	int in_rt = 0;
	while (i < n) {
		char ch = s[i];
		if (ch == '<') {
			const char *gt = memchr(s + i, '>', n - i);
			if (!gt) { /* not a tag */
				if (!in_rt)
					CR_IGNORE(cr_buf_addc(b, ch));
				i++;
				continue;
			}
			size_t tl = (size_t)(gt - (s + i)) + 1;
			const char *t = s + i + 1;
			size_t tn = tl - 2;
			if (tn >= 1 && t[0] == 'v' && (tn == 1 || t[1] == ' ' || t[1] == '.' || t[1] == '\t')) {
				const char *sp = memchr(t, ' ', tn);
				if (!sp)
					sp = memchr(t, '\t', tn);
				if (sp && voice && !*voice) {
					const char *ns = sp + 1;
					size_t nn = (size_t)(t + tn - ns);
					while (nn && isspace((unsigned char)ns[nn - 1]))
						nn--;
					if (nn)
						*voice = cr_arena_strndup(a, ns, nn);
				}
			} else if (tn >= 2 && strncmp(t, "rt", 2) == 0 && (tn == 2 || t[2] == ' ' || t[2] == '.')) {
				in_rt = 1;
			} else if (tn >= 3 && strncmp(t, "/rt", 3) == 0) {
				in_rt = 0;
			}
			i += tl;
			continue;
		}
		if (ch == '{' && i + 1 < n && s[i + 1] == '\\') {
			const char *cb = memchr(s + i, '}', n - i);
			if (cb) {
				i = (size_t)(cb - s) + 1;
				continue;
			}
		}
		if (ch == '&') {
			static const struct { const char *e; const char *r; } ents[] = {
				{"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&nbsp;", " "},
				{"&lrm;", ""}, {"&rlm;", ""}, {"&quot;", "\""}, {"&apos;", "'"}};
			int done = 0;
			for (size_t k = 0; k < CR_ARRAY_LEN(ents); k++) {
				size_t el = strlen(ents[k].e);
				if (n - i >= el && memcmp(s + i, ents[k].e, el) == 0) {
					if (!in_rt)
						CR_IGNORE(cr_buf_adds(b, ents[k].r));
					i += el;
					done = 1;
					break;
				}
			}
			if (done)
				continue;
		}
		if (!in_rt)
			CR_IGNORE(cr_buf_addc(b, ch));
		i++;
	}
}

/* If text starts with "Name:" (or "- Name:", ">> Name:", "Name："), returns the
 * name's length and sets *skip to the bytes to drop from the text. */
static size_t speaker_prefix(const char *s, size_t n, size_t *name_off, size_t *skip)
{
	size_t i = 0;
	if (n >= 2 && s[0] == '>' && s[1] == '>')
		i = 2;
	else if (n >= 1 && s[0] == '-')
		i = 1;
	while (i < n && s[i] == ' ')
		i++;
	size_t st = i;
	int words = 1;
	while (i < n && i - st <= SPEAKER_MAX) {
		unsigned char c = (unsigned char)s[i];
		if (c == ':' || (n - i >= 3 && memcmp(s + i, "：", 3) == 0))
			break;
		if (c == ' ')
			words++;
		if (c == '.' || c == ',' || c == '?' || c == '!' || c == '"' || c == '(' || c == '[' ||
		    c == '<' || isdigit(c) || words > 4)
			return 0;
		if (n - i >= 3 && (memcmp(s + i, "。", 3) == 0 || memcmp(s + i, "、", 3) == 0))
			return 0;
		i++;
	}
	if (i >= n || i == st || i - st > SPEAKER_MAX)
		return 0;
	size_t colon = s[i] == ':' ? 1 : 3;
	/* "Note: ..." in lower case is text, not a speaker; "http:" neither */
	if (islower((unsigned char)s[st]))
		return 0;
	size_t nl = i - st;
	while (nl && s[st + nl - 1] == ' ')
		nl--;
	if (!nl)
		return 0;
	/* labels that head a line of minutes, not people */
	static const char *labels[] = {"Note", "Notes", "Decision", "Decisions", "Action", "Action item",
				       "Action items", "Question", "Answer", "Summary", "Update", "Agenda",
				       "Topic", "Warning", "Important", "Example", "Translation", "Subject",
				       "Re", "PS", "NB", "TODO", "FYI", "決定事項", "議題", "アクションアイテム",
				       "注", "備考", "質問", "回答", "結論", "宿題"};
	for (size_t k = 0; k < CR_ARRAY_LEN(labels); k++)
		if (strlen(labels[k]) == nl && strncasecmp(labels[k], s + st, nl) == 0)
			return 0;
	size_t j = i + colon;
	if (j < n && s[j] != ' ' && colon == 1)
		return 0; /* "10:30", "a:b" */
	while (j < n && s[j] == ' ')
		j++;
	*name_off = st;
	*skip = j;
	return nl;
}

/* ---- cues and turns ------------------------------------------------------- */

typedef struct turn {
	cr_buf text;
	const char *speaker;
	double t0, t1;
	int open;
} turn;

static cr_err turn_flush(cr_xctx *x, cr_doc *d, turn *t)
{
	cr_err e = CR_OK;
	if (t->open && t->text.len) {
		cr_loc l = cr_loc_none();
		l.speaker = t->speaker;
		l.t_start = t->t0;
		l.t_end = t->t1;
		if (t->speaker) {
			/* the name goes into the text too: chunks that join several
			 * turns still say who said what */
			char *txt = cr_arena_printf(x->a, "%s: %s", t->speaker, t->text.data);
			e = txt ? cr_doc_add_section(x, d, txt, strlen(txt), &l) : CR_ENOMEM;
		} else {
			e = cr_doc_add_section(x, d, t->text.data, t->text.len, &l);
		}
	}
	cr_buf_reset(&t->text);
	t->open = 0;
	return e;
}

static int same_speaker(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Adds one cue (raw text lines in [s, s+n)) to the current turn. */
static cr_err add_cue(cr_xctx *x, cr_doc *d, turn *t, double t0, double t1, const char *s, size_t n,
		      const char **last_speaker)
{
	cr_buf cue;
	cr_buf_init(&cue, 1 << 20);
	const char *voice = NULL;
	cursor c = {s, n, 0};
	tline l;
	while (next_tline(&c, &l)) {
		if (cue.len)
			CR_IGNORE(cr_buf_addc(&cue, ' '));
		clean_line(x->a, &cue, l.s, l.n, &voice);
	}
	/* collapse whitespace */
	size_t j = 0;
	int sp = 1;
	for (size_t i = 0; i < cue.len; i++) {
		char ch = cue.data[i];
		if (ch == ' ' || ch == '\t') {
			if (!sp)
				cue.data[j++] = ' ';
			sp = 1;
		} else {
			cue.data[j++] = ch;
			sp = 0;
		}
	}
	while (j && cue.data[j - 1] == ' ')
		j--;
	cue.len = j;
	if (cue.data)
		cue.data[j] = 0;
	const char *text = cue.data ? cue.data : "";
	size_t tlen = cue.len;
	const char *speaker = voice;
	if (!speaker) {
		size_t no, skip;
		size_t nl = speaker_prefix(text, tlen, &no, &skip);
		if (nl) {
			speaker = cr_arena_strndup(x->a, text + no, nl);
			text += skip;
			tlen -= skip;
		} else {
			/* a cue without a name is the previous cue's speaker still talking */
			speaker = *last_speaker;
		}
	}
	cr_err e = CR_OK;
	if (tlen) {
		if (t->open && (!same_speaker(speaker, t->speaker) || t->text.len + tlen > TURN_MAX_BYTES ||
				t0 - t->t1 > TURN_MAX_GAP))
			e = turn_flush(x, d, t);
		if (!e) {
			if (!t->open) {
				t->open = 1;
				t->speaker = speaker;
				t->t0 = t0;
			}
			if (t->text.len)
				CR_IGNORE(cr_buf_addc(&t->text, ' '));
			if (cr_buf_add(&t->text, text, tlen) != CR_OK)
				e = cr_fail(x->m, CR_ETOOBIG, "%s: turn too long", d->type);
			if (t1 > t->t1 || t->text.len == tlen)
				t->t1 = t1;
		}
	}
	*last_speaker = speaker;
	cr_buf_release(&cue);
	return e;
}

/* Shared body: cues separated by blank lines. vtt = 1 for WebVTT rules. */
static cr_err parse_cues(cr_xctx *x, const char *s, size_t n, cr_doc *d, int vtt)
{
	cursor c = {s, n, 0};
	tline l;
	const char *fmt = vtt ? "vtt" : "srt";
	if (vtt) {
		if (!next_tline(&c, &l) || l.n < 6 || memcmp(l.s, "WEBVTT", 6) != 0 ||
		    (l.n > 6 && l.s[6] != ' ' && l.s[6] != '\t'))
			return cr_fail(x->m, CR_ECORRUPT, "vtt: missing WEBVTT header");
		/* text after the signature describes the file: the title */
		size_t h = 6;
		while (h < l.n && (l.s[h] == ' ' || l.s[h] == '\t' || l.s[h] == '-'))
			h++;
		if (h < l.n && !d->title)
			d->title = cr_arena_strndup(x->a, l.s + h, l.n - h);
		/* header block runs to the first blank line */
		while (next_tline(&c, &l) && !blank(&l))
			;
	}
	turn t;
	memset(&t, 0, sizeof t);
	cr_buf_init(&t.text, 1 << 20);
	const char *last_speaker = NULL;
	unsigned n_cues = 0, n_bad = 0;
	cr_err e = CR_OK;
	double prev_t0 = -1;
	while (next_tline(&c, &l)) {
		if (blank(&l))
			continue;
		if ((n_cues + n_bad) % 256 == 0 && cr_x_expired(x)) {
			e = cr_fail(x->m, CR_ETIMEOUT, "%s: time limit", fmt);
			goto done;
		}
		/* a block: up to 2 header lines (id, timing) then text */
		if (vtt && ((l.n >= 4 && memcmp(l.s, "NOTE", 4) == 0 && (l.n == 4 || isspace((unsigned char)l.s[4]))) ||
			    (l.n >= 5 && memcmp(l.s, "STYLE", 5) == 0 && (l.n == 5 || isspace((unsigned char)l.s[5]))) ||
			    (l.n >= 6 && memcmp(l.s, "REGION", 6) == 0 && (l.n == 6 || isspace((unsigned char)l.s[6]))))) {
			while (next_tline(&c, &l) && !blank(&l))
				;
			continue;
		}
		double t0 = 0, t1 = 0;
		int r = parse_timing(&l, &t0, &t1);
		if (r == 0) {
			/* identifier / counter line: the timing must follow */
			if (!next_tline(&c, &l))
				break;
			r = parse_timing(&l, &t0, &t1);
		}
		if (r != 1) {
			/* skip this block */
			n_bad++;
			while (next_tline(&c, &l) && !blank(&l))
				;
			continue;
		}
		/* text lines up to a blank line. In SRT a text line may itself be
		 * blank-free garbage; a line that is a timing line starts a new cue
		 * (files that forget the blank line). */
		size_t text_start = c.off, text_end = c.off;
		size_t save, last_start = c.off, prev_end = c.off;
		int last_digits = 0;
		for (;;) {
			save = c.off;
			if (!next_tline(&c, &l) || blank(&l))
				break;
			double a0, a1;
			if (parse_timing(&l, &a0, &a1) == 1) {
				c.off = save;
				if (last_digits) {
					/* "2" of the next cue: leave it to the next block */
					text_end = prev_end;
					c.off = last_start;
				}
				break;
			}
			last_digits = l.n > 0;
			for (size_t k = 0; k < l.n; k++)
				if (!isdigit((unsigned char)l.s[k]))
					last_digits = 0;
			last_start = save;
			prev_end = text_end;
			text_end = c.off;
		}
		n_cues++;
		if (t0 < prev_t0 - 1e-9 && t.open) {
			/* out-of-order cue: never merge across it */
			if ((e = turn_flush(x, d, &t)))
				goto done;
		}
		prev_t0 = t0;
		size_t tn = text_end > text_start ? text_end - text_start : 0;
		if ((e = add_cue(x, d, &t, t0, t1, s + text_start, tn, &last_speaker)))
			goto done;
	}
	if ((e = turn_flush(x, d, &t)))
		goto done;
	if (n_cues == 0) {
		e = n_bad ? cr_fail(x->m, CR_ECORRUPT, "%s: no cue with a valid timing (%u malformed)", fmt, n_bad)
			  : (vtt ? CR_OK : cr_fail(x->m, CR_ECORRUPT, "srt: no cue"));
		goto done;
	}
	if (n_bad) {
		char *v = cr_arena_printf(x->a, "%u", n_bad);
		if ((e = cr_doc_add_meta(x, d, "skipped_cues", v)))
			goto done;
	}
	char *cnt = cr_arena_printf(x->a, "%u", n_cues);
	e = cr_doc_add_meta(x, d, "cues", cnt);
done:
	cr_buf_release(&t.text);
	return e;
}

static cr_err transcript(cr_xctx *x, const uint8_t *buf, size_t len, cr_doc *out, int vtt)
{
	if (!out->type)
		out->type = vtt ? "vtt" : "srt";
	const char *s = (const char *)buf;
	size_t n = len;
	if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
		s += 3;
		n -= 3;
	}
	if (!cr_utf8_valid((const uint8_t *)s, n) || memchr(s, 0, n)) {
		/* SRT is often CP1252 / Shift_JIS; UTF-16 files have NULs */
		char *u;
		size_t ul;
		if (cr_charset_to_utf8(x->a, buf, len, NULL, &u, &ul, NULL, x->m) != CR_OK)
			return cr_fail(x->m, CR_ECORRUPT, "%s: unknown text encoding", vtt ? "vtt" : "srt");
		s = u;
		n = ul;
		if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
			s += 3;
			n -= 3;
		}
	}
	return parse_cues(x, s, n, out, vtt);
}

cr_err cr_x_vtt(cr_xctx *x, const uint8_t *buf, size_t len, cr_doc *out)
{
	return transcript(x, buf, len, out, 1);
}

cr_err cr_x_srt(cr_xctx *x, const uint8_t *buf, size_t len, cr_doc *out)
{
	return transcript(x, buf, len, out, 0);
}
