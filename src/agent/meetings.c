/*
 * meetings.c — a meeting's date, decisions and action items from a
 * document's text, by rules (agent.h: cr_meeting_extract).
 *
 * The text (cr_corpus_doc_text: chunks with their locations) is read line
 * by line. In transcripts (vtt, srt) a line starts with its speaker
 * ("Mei Lin: ...", as the extractor writes turns). Names the meeting knows
 * come from its speakers, attendee lines ("Attendees:", 出席：) and mail
 * headers (From/To/Cc); a name is also known by its parts ("Daniel" for
 * "Daniel Okafor", 佐藤 for 佐藤健二). Lines are cut into sentences (. ! ?
 * followed by a space, 。！？).
 *
 * Decisions: a sentence with "decided", "decision", "agreed", "let's go
 * with", 決定, 決まりました, ことにします, とします, 合意, 承認 ..., or any item
 * under a "Decisions:" / 決定事項： label, unless negated or a question
 * ("not decided", 未定, 保留, 持ち越し, "?").
 *
 * Action items, the owner found by the first rule that applies:
 *  - labels: "Action item for me:" (the speaker), "Action items:", "TODO:",
 *    "Next steps:", 宿題：, アクションアイテム, ToDo — the items after them
 *    (bullets, or the rest of the paragraph) are "Owner: task", "Owner to
 *    task", "Owner will task", "task (Owner)"; 担当：Owner gives the owner
 *    of the sentence before it;
 *  - "Owner will / is going to / to <verb>", "Owner, please / can you ...",
 *    "Owner さん、...ください / お願いします", "Owner(さん)は/が ... まで(に)";
 *  - the speaker who volunteers: "I'll", "I will", "I can", "let me",
 *    "I'm going to" (not "I'll be"), 私が / 私の方で / こちらで, and a
 *    sentence of the speaker's own ending in ます (not ました, ません,
 *    ましょう, ください) that states a due date.
 * A conditional ("If ...", ...ければ) is no commitment. A task with two
 * deadlines ("finish the tests by March 7 and freeze the drawings by March
 * 20") is two actions. An owner's undated item repeated in a recap after an
 * action-items label is dropped when the same owner already has a dated one.
 * Due dates: cr_due_find against the meeting's date.
 *
 * The meeting's date: a labelled date in the text ("Date:", 日時：), else a
 * date in the document's name (2026-05-12, 20260512), else a dated title
 * or first lines, else the document's own date (a mail's Date header).
 * Limits: at most 4,096 lines and 64 known names per meeting are read
 * (beyond that lines are skipped, names ignored); cost is linear in the text.
 */
#define _GNU_SOURCE
#include "agent_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAX_NAMES 64
#define MAX_LINES 4096

typedef struct name {
	const char *s; /* a name or a part of one, as written */
	size_t n;
} name;

typedef struct ctx {
	cr_arena *a;
	const cr_meeting_input *in;
	cr_meeting *mt;
	int transcript;
	name names[MAX_NAMES];
	size_t n_names;
	cr_decision *dec;
	size_t n_dec, cap_dec;
	cr_action *act;
	size_t n_act, cap_act;
	int oom;
	/* per paragraph state */
	int list;      /* 1: action items follow, 2: decisions follow */
	int list_recap;/* the action list was announced inside a transcript turn */
	int blank;     /* the line before was blank */
	int sentence, last_sentence; /* counters: the sentence read, the one that gave the last action */
} ctx;

/* ---- small string helpers ----------------------------------------------- */

static int starts(const char *s, size_t n, const char *w)
{
	size_t l = strlen(w);
	return n >= l && !memcmp(s, w, l);
}

/* case-insensitive ASCII prefix */
static int istarts(const char *s, size_t n, const char *w)
{
	size_t l = strlen(w);
	return n >= l && !strncasecmp(s, w, l);
}

static const char *memfind(const char *s, size_t n, const char *w)
{
	size_t l = strlen(w);
	if (l > n)
		return NULL;
	for (size_t i = 0; i + l <= n; i++)
		if (!memcmp(s + i, w, l))
			return s + i;
	return NULL;
}

/* case-insensitive, at word boundaries for ASCII words */
static const char *ifind_word(const char *s, size_t n, const char *w)
{
	size_t l = strlen(w);
	for (size_t i = 0; i + l <= n; i++)
		if (!strncasecmp(s + i, w, l) && (i == 0 || !isalnum((unsigned char)s[i - 1])) &&
		    (i + l == n || !isalnum((unsigned char)s[i + l])))
			return s + i;
	return NULL;
}

static void trim(const char **s, size_t *n)
{
	while (*n && ((unsigned char)**s <= ' '))
		(*s)++, (*n)--;
	while (*n && starts(*s, *n, "　"))
		*s += 3, *n -= 3;
	while (*n && (unsigned char)(*s)[*n - 1] <= ' ')
		(*n)--;
	while (*n >= 3 && !memcmp(*s + *n - 3, "　", 3))
		*n -= 3;
}

/* A bullet or list number at the start: "- ", "* ", "• ", "・", "1. ", "1) ", "[ ] ". */
static int strip_bullet(const char **s, size_t *n)
{
	const char *p = *s;
	size_t k = *n;
	int hit = 0;
	if (k >= 2 && (p[0] == '-' || p[0] == '*' || p[0] == '+') && p[1] == ' ')
		p += 2, k -= 2, hit = 1;
	else if (starts(p, k, "•") || starts(p, k, "・") || starts(p, k, "●") || starts(p, k, "○"))
		p += 3, k -= 3, hit = 1;
	else {
		size_t d = 0;
		while (d < k && d < 3 && isdigit((unsigned char)p[d]))
			d++;
		if (d && d + 1 < k && (p[d] == '.' || p[d] == ')') && p[d + 1] == ' ')
			p += d + 2, k -= d + 2, hit = 1;
	}
	if (k >= 4 && p[0] == '[' && (p[1] == ' ' || p[1] == 'x' || p[1] == 'X') && p[2] == ']' && p[3] == ' ')
		p += 4, k -= 4, hit = 1;
	trim(&p, &k);
	*s = p;
	*n = k;
	return hit;
}

/* A label before ':' or '：' at the start of s (at most 40 bytes, no
 * sentence punctuation); its length, and where the rest starts. */
static size_t label_of(const char *s, size_t n, size_t *rest)
{
	for (size_t i = 0; i < n && i < 48; i++) {
		if (s[i] == ':' && (i + 1 == n || s[i + 1] == ' ' || s[i + 1] == '\t' || (unsigned char)s[i + 1] >= 0x80)) {
			*rest = i + 1;
			return i;
		}
		if (starts(s + i, n - i, "：")) {
			*rest = i + 3;
			return i;
		}
		if (s[i] == '.' || s[i] == '?' || s[i] == '!' || starts(s + i, n - i, "。") || starts(s + i, n - i, "、"))
			return 0;
	}
	return 0;
}

static int is_cjk_lead(unsigned char c) { return c >= 0xE3 && c <= 0xE9; }

static int has_japanese(const char *s, size_t n)
{
	for (size_t i = 0; i + 2 < n; i++)
		if (is_cjk_lead((unsigned char)s[i]) && ((unsigned char)s[i + 1] & 0xC0) == 0x80)
			return 1;
	return 0;
}

static char *dup(ctx *c, const char *s, size_t n)
{
	char *r = cr_arena_strndup(c->a, s, n);
	if (!r)
		c->oom = 1;
	return r;
}

/* ---- names ----------------------------------------------------------------- */

static size_t utf8_chars(const char *s, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += ((unsigned char)s[i] & 0xC0) != 0x80;
	return k;
}

static void add_name1(ctx *c, const char *s, size_t n)
{
	if (n < 2 || n > 40 || c->n_names >= MAX_NAMES)
		return;
	for (size_t i = 0; i < c->n_names; i++)
		if (c->names[i].n == n && !memcmp(c->names[i].s, s, n))
			return;
	c->names[c->n_names++] = (name){s, n};
}

/* A name and its parts: "Daniel Okafor" → Daniel, Okafor; 佐藤健二 → 佐藤, 健二. */
static void add_name(ctx *c, const char *s, size_t n)
{
	trim(&s, &n);
	/* drop a role in brackets: 山田花子（社長）, Daniel Okafor (CTO) */
	const char *b = memfind(s, n, "（");
	if (!b)
		b = memchr(s, '(', n);
	if (b)
		n = (size_t)(b - s);
	trim(&s, &n);
	if (n < 2 || n > 40 || memchr(s, '@', n))
		return;
	/* honorifics */
	static const char *const hon[] = {"さん", "様", "社長", "部長", "課長"};
	for (size_t i = 0; i < sizeof hon / sizeof *hon; i++) {
		size_t l = strlen(hon[i]);
		if (n > l && !memcmp(s + n - l, hon[i], l))
			n -= l;
	}
	trim(&s, &n);
	size_t words = 1;
	for (size_t i = 0; i < n; i++)
		words += s[i] == ' ';
	if (words > 4)
		return;
	add_name1(c, s, n);
	if (!has_japanese(s, n)) {
		size_t st = 0;
		for (size_t i = 0; i <= n; i++)
			if (i == n || s[i] == ' ') {
				if (i > st && words > 1 && isupper((unsigned char)s[st]) && i - st >= 3)
					add_name1(c, s + st, i - st);
				st = i + 1;
			}
	} else if (!memchr(s, ' ', n)) {
		size_t ch = utf8_chars(s, n);
		if ((ch == 3 || ch == 4) && n == 3 * ch) { /* kanji/kana name: family and given */
			add_name1(c, s, 6);
			add_name1(c, s + 6, n - 6);
		}
	}
}

/* Attendee and header lines: names separated by , 、 ; "and". */
static void add_name_list(ctx *c, const char *s, size_t n)
{
	size_t st = 0;
	for (size_t i = 0; i <= n;) {
		size_t sep = 0;
		if (i == n)
			sep = 1;
		else if (s[i] == ',' || s[i] == ';')
			sep = 1;
		else if (starts(s + i, n - i, "、") || starts(s + i, n - i, "，"))
			sep = 3;
		else if (i + 5 <= n && !memcmp(s + i, " and ", 5))
			sep = 5;
		if (sep) {
			const char *p = s + st;
			size_t k = i - st;
			const char *lt = memchr(p, '<', k); /* "Name <mail>" */
			if (lt)
				k = (size_t)(lt - p);
			trim(&p, &k);
			if (k && p[0] == '"' && p[k - 1] == '"')
				p++, k -= 2;
			add_name(c, p, k);
			i += sep;
			st = i;
		} else
			i++;
	}
}

/* Is s a known name (or part) at its start? Returns the longest length. */
static size_t known_at(const ctx *c, const char *s, size_t n)
{
	size_t best = 0;
	for (size_t i = 0; i < c->n_names; i++) {
		size_t l = c->names[i].n;
		if (l <= n && l > best && !memcmp(s, c->names[i].s, l) &&
		    (l == n || !isalnum((unsigned char)s[l])))
			best = l;
	}
	return best;
}

static int stop_word(const char *s, size_t n)
{
	static const char *const w[] = {
		"We",      "They",    "It",      "This",     "That",     "The",     "There",  "He",      "She",
		"You",     "Everyone","Everybody","Team",    "Sales",    "Engineering", "Marketing", "Finance",
		"Legal",   "Management", "Nobody", "Someone", "Somebody", "All",     "Both",   "Then",    "And",
		"So",      "Also",    "But",     "Next",     "Our",      "Their",   "Your",   "My",      "If",
		"When",    "After",   "Before",  "Please",   "Thanks",   "OK",      "Okay",   "Yes",     "No",
		"Action",  "Decision","Owner",   "Who",      "What",     "Monday",  "Tuesday","Wednesday","Thursday",
		"Friday",  "Saturday","Sunday",  "Q1",       "Q2",       "Q3",      "Q4",     "I",       "Let",
		"Kestrel", "Production", "Support", "Quality", "Procurement", "Purchasing", "IT", "HR", "Board", "Customer"};
	for (size_t i = 0; i < sizeof w / sizeof *w; i++)
		if (strlen(w[i]) == n && !memcmp(w[i], s, n))
			return 1;
	return 0;
}

/* Words after a name that make it an organisation, not a person. */
static int org_word(const char *s, size_t n)
{
	static const char *const w[] = {"Motors", "Freight", "Inc", "Corp", "Ltd", "Co", "Logistics", "Systems",
					"Electronics", "Robotics", "Industries", "Group", "Team", "Department"};
	for (size_t i = 0; i < sizeof w / sizeof *w; i++)
		if (strlen(w[i]) == n && !memcmp(w[i], s, n))
			return 1;
	return 0;
}

/* An English person name at s: a known one, else one or two capitalised
 * words that are neither common words nor an organisation. */
static size_t en_name_at(const ctx *c, const char *s, size_t n)
{
	size_t k = known_at(c, s, n);
	if (k)
		return k;
	size_t i = 0, words = 0, end = 0;
	while (words < 2 && i < n && isupper((unsigned char)s[i])) {
		size_t j = i + 1;
		while (j < n && (islower((unsigned char)s[j]) || s[j] == '\''))
			j++;
		if (j - i < 2 || (j < n && isalnum((unsigned char)s[j])))
			break;
		if (stop_word(s + i, j - i) || org_word(s + i, j - i))
			return 0;
		words++;
		end = j;
		if (j + 1 < n && s[j] == ' ' && isupper((unsigned char)s[j + 1]))
			i = j + 1;
		else
			break;
	}
	/* "Hokuto Motors": the next word an organisation's */
	if (end && end + 1 < n && s[end] == ' ') {
		size_t j = end + 1, e = j;
		while (e < n && isalpha((unsigned char)s[e]))
			e++;
		if (org_word(s + j, e - j))
			return 0;
	}
	return end;
}

/* A Japanese owner at s: a known name, or a run of kanji/katakana/Latin
 * directly before an honorific (田中さん, 山田社長). Sets *after to the
 * first byte after the name and its honorific. */
static const char *const HONORIFICS[] = {" さん", "さん", "様", "社長", "部長", "課長", "くん", "君"};

static size_t honorific_at(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof HONORIFICS / sizeof *HONORIFICS; i++)
		if (starts(s, n, HONORIFICS[i]))
			return strlen(HONORIFICS[i]);
	return 0;
}

static size_t ja_name_at(const ctx *c, const char *s, size_t n, size_t *after)
{
	size_t k = known_at(c, s, n);
	if (!k) {
		/* up to 6 kanji/katakana or Latin letters/spaces, then an honorific */
		size_t i = 0, ch = 0;
		while (i < n && ch < 12) {
			unsigned char b = (unsigned char)s[i];
			if (isalpha(b) || (b == ' ' && i > 0 && i + 1 < n && isalpha((unsigned char)s[i + 1]))) {
				i++;
				ch++;
				continue;
			}
			/* kanji E4-E9, katakana E3 82 A0.. E3 83 BF */
			if (i + 2 < n && ((b >= 0xE4 && b <= 0xE9) ||
					  (b == 0xE3 && ((unsigned char)s[i + 1] == 0x82 || (unsigned char)s[i + 1] == 0x83) &&
					   !((unsigned char)s[i + 1] == 0x82 && (unsigned char)s[i + 2] < 0xA0)))) {
				if (honorific_at(s + i, n - i) && i)
					break;
				i += 3;
				ch++;
				continue;
			}
			break;
		}
		if (!i || !honorific_at(s + i, n - i))
			return 0;
		k = i;
	}
	*after = k + honorific_at(s + k, n - k);
	return k;
}

/* ---- results --------------------------------------------------------------- */

static cr_loc loc_with(const cr_loc *l, const char *speaker)
{
	cr_loc r = *l;
	if (speaker)
		r.speaker = speaker;
	return r;
}

static void add_decision(ctx *c, const char *s, size_t n, const cr_loc *l)
{
	if (c->n_dec == c->cap_dec) {
		size_t cap = c->cap_dec ? 2 * c->cap_dec : 8;
		cr_decision *d = cr_arena_alloc(c->a, cap * sizeof *d);
		if (!d) {
			c->oom = 1;
			return;
		}
		if (c->n_dec)
			memcpy(d, c->dec, c->n_dec * sizeof *d);
		c->dec = d;
		c->cap_dec = cap;
	}
	c->dec[c->n_dec++] = (cr_decision){dup(c, s, n), *l};
}

static void push_action(ctx *c, const cr_action *a)
{
	if (c->n_act == c->cap_act) {
		size_t cap = c->cap_act ? 2 * c->cap_act : 8;
		cr_action *d = cr_arena_alloc(c->a, cap * sizeof *d);
		if (!d) {
			c->oom = 1;
			return;
		}
		if (c->n_act)
			memcpy(d, c->act, c->n_act * sizeof *d);
		c->act = d;
		c->cap_act = cap;
	}
	c->act[c->n_act++] = *a;
}

/* Do two tasks share at least two content words (ASCII words of four
 * letters or more, or pairs of kanji/katakana)? */
static int similar(const char *a, const char *b)
{
	if (!a || !b)
		return 0;
	int common = 0;
	size_t na = strlen(a), nb = strlen(b);
	for (size_t i = 0; i < na && common < 2;) {
		unsigned char ch = (unsigned char)a[i];
		if (isalpha(ch)) {
			size_t j = i;
			while (j < na && isalpha((unsigned char)a[j]))
				j++;
			if (j - i >= 4) {
				for (size_t k = 0; k + (j - i) <= nb; k++)
					if (!strncasecmp(b + k, a + i, j - i) && (k == 0 || !isalpha((unsigned char)b[k - 1]))) {
						common++;
						break;
					}
			}
			i = j;
		} else if (ch >= 0xE3 && i + 6 <= na && (unsigned char)a[i + 3] >= 0xE3 &&
			   !(ch == 0xE3 && (unsigned char)a[i + 1] == 0x81) &&
			   !((unsigned char)a[i + 3] == 0xE3 && (unsigned char)a[i + 4] == 0x81)) {
			/* two characters that are neither hiragana (E3 81 xx / E3 82 80-9F) */
			char pair[7];
			memcpy(pair, a + i, 6);
			pair[6] = 0;
			if (strstr(b, pair))
				common++;
			i += 3;
		} else
			i++;
	}
	return common >= 2;
}

static int same_owner(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t l = la < lb ? la : lb;
	if (!l || memcmp(a, b, l))
		return 0;
	/* equal, or one is the other's first word / family name */
	const char *longer = la > lb ? a : b;
	return la == lb || longer[l] == ' ' || (unsigned char)longer[l] >= 0x80;
}

/* An action for owner over task text t (its due from t, or from `due_src`
 * when t states none). Two or more deadlines in t make one action each. */
static void add_action(ctx *c, const char *owner, size_t owner_n, const char *t, size_t tn, const char *due_src,
		       size_t due_n, const cr_loc *l, int recap)
{
	trim(&t, &tn);
	while (tn && (t[tn - 1] == '.' || t[tn - 1] == ';'))
		tn--;
	if (tn >= 3 && !memcmp(t + tn - 3, "。", 3))
		tn -= 3;
	if (!tn || !owner_n)
		return;
	const char *own = dup(c, owner, owner_n);
	cr_due ds[8];
	size_t nd = 0, off = 0;
	while (nd < 8 && off < tn) {
		cr_due d;
		if (!cr_due_find(t + off, tn - off, c->mt->date, &d))
			break;
		d.off += off;
		ds[nd++] = d;
		off = d.off + d.len;
	}
	/* several deadlines: one action each, the task cut after each */
	int split = 0;
	if (nd >= 2) {
		size_t marked = 0;
		for (size_t i = 0; i < nd; i++) {
			const char *e = t + ds[i].off;
			marked += istarts(e, tn - ds[i].off, "by ") || memfind(e, ds[i].len, "まで") != NULL;
		}
		split = marked >= 2 && marked == nd;
	}
	if (!split) {
		cr_due d;
		int found = cr_due_find(t, tn, c->mt->date, &d);
		const char *src = t;
		if (!found && due_src && (found = cr_due_find(due_src, due_n, c->mt->date, &d)))
			src = due_src;
		cr_action a = {.owner = own, .task = dup(c, t, tn), .loc = *l};
		if (found) {
			a.due = d.date;
			a.due_kind = d.kind;
			a.due_text = dup(c, src + d.off, d.len);
		}
		if (recap && !found) {
			for (size_t i = 0; i < c->n_act; i++)
				if (c->act[i].due.y && same_owner(c->act[i].owner, own))
					return;
		}
		/* the same owner and date said twice about the same thing (a recap,
		 * a list after the text) */
		for (size_t i = 0; i < c->n_act; i++)
			if (found && a.due.y && same_owner(c->act[i].owner, own) && c->act[i].due.y == a.due.y &&
			    c->act[i].due.m == a.due.m && c->act[i].due.d == a.due.d && similar(c->act[i].task, a.task))
				return;
		/* "I can fix it." then "I'll have a patch ready by Friday.": the
		 * commitment just made gets its date */
		if (found && c->n_act && c->last_sentence == c->sentence - 1) {
			cr_action *prev = &c->act[c->n_act - 1];
			if (!prev->due.y && !prev->due_text && !strcmp(prev->owner, own) && cr_loc_same(&prev->loc, &a.loc) &&
			    (prev->loc.speaker == a.loc.speaker ||
			     (prev->loc.speaker && a.loc.speaker && !strcmp(prev->loc.speaker, a.loc.speaker)))) {
				prev->due = a.due;
				prev->due_kind = a.due_kind;
				prev->due_text = a.due_text;
				c->last_sentence = c->sentence;
				return;
			}
		}
		push_action(c, &a);
		c->last_sentence = c->sentence;
		return;
	}
	size_t st = 0;
	for (size_t i = 0; i < nd; i++) {
		size_t end = ds[i].off + ds[i].len;
		const char *p = t + st;
		size_t k = end - st;
		trim(&p, &k);
		if (istarts(p, k, "and "))
			p += 4, k -= 4;
		else if (starts(p, k, "、"))
			p += 3, k -= 3;
		cr_action a = {.owner = own, .task = dup(c, p, k), .loc = *l, .due = ds[i].date,
			       .due_kind = ds[i].kind, .due_text = dup(c, t + ds[i].off, ds[i].len)};
		push_action(c, &a);
		st = end;
	}
}

/* ---- decisions ----------------------------------------------------------- */

/* Is a decision denied or left open ("not decided", 未定, "?")? */
static int undecided(const char *s, size_t n)
{
	if (memchr(s, '?', n) || memfind(s, n, "？"))
		return 1;
	static const char *const neg[] = {"not decided", "no decision", "haven't decided", "have not decided",
					  "undecided", "not agreed", "didn't agree", "did not agree", "disagree",
					  "to be decided", "tbd", "if approved", "not yet decided", "decide later",
					  "decide next", "decision next", "nothing was decided", "nothing decided",
					  "still open", "left open", "no agreement"};
	for (size_t i = 0; i < sizeof neg / sizeof *neg; i++)
		if (ifind_word(s, n, neg[i]))
			return 1;
	static const char *const jneg[] = {"未定", "決まっていない", "決まっていません", "決まらなかった", "保留",
					   "持ち越", "決定していない", "決めていない", "検討中", "決めましょう"};
	for (size_t i = 0; i < sizeof jneg / sizeof *jneg; i++)
		if (memfind(s, n, jneg[i]))
			return 1;
	return 0;
}

static int is_decision(const char *s, size_t n)
{
	if (undecided(s, n))
		return 0;
	static const char *const neg[] = {"not decided"};
	for (size_t i = 0; i < sizeof neg / sizeof *neg; i++)
		if (ifind_word(s, n, neg[i]))
			return 0;
	static const char *const jneg[] = {"未定", "決まっていない", "決まっていません", "決まらなかった", "保留",
					   "持ち越", "決定していない", "決めていない", "検討中", "決めましょう"};
	for (size_t i = 0; i < sizeof jneg / sizeof *jneg; i++)
		if (memfind(s, n, jneg[i]))
			return 0;
	static const char *const en[] = {"we decided",  "we've decided", "decided to", "decided that", "decision:",
					 "decision is", "decisions:",    "agreed",     "we agree",     "let's go with",
					 "let us go with", "we'll go with", "we will go with", "we are going with",
					 "approved",    "resolved:",     "final call", "signed off"};
	for (size_t i = 0; i < sizeof en / sizeof *en; i++)
		if (ifind_word(s, n, en[i]) || (strchr(en[i], ':') && memfind(s, n, en[i])))
			return 1;
	static const char *const ja[] = {"決定", "決まりました", "決めました", "ことにします", "ことにしました",
					 "ことになりました", "とします", "合意", "承認しました", "承認されました",
					 "方針とします"};
	for (size_t i = 0; i < sizeof ja / sizeof *ja; i++)
		if (memfind(s, n, ja[i]))
			return 1;
	return 0;
}

/* ---- actions --------------------------------------------------------------- */

/* Verbs after "I'll" that commit to nothing. */
static int idle_verb(const char *s, size_t n)
{
	static const char *const w[] = {"be ", "be,", "be.", "think", "see ", "see.", "try to remember", "miss",
					"pass", "leave it", "need", "have to", "keep you", "wait", "admit", "say", "guess"};
	for (size_t i = 0; i < sizeof w / sizeof *w; i++)
		if (istarts(s, n, w[i]))
			return 1;
	return istarts(s, n, "not ") || istarts(s, n, "never ");
}

static int conditional(const char *s, size_t n)
{
	return istarts(s, n, "if ") || istarts(s, n, "unless ") || istarts(s, n, "もし") || memfind(s, n, "ければ") ||
	       memfind(s, n, "たら、") || istarts(s, n, "in case ");
}

static int past_or_done(const char *s, size_t n)
{
	return memfind(s, n, "済み") || memfind(s, n, "ました。") || memfind(s, n, "ました") == s + n - 9;
}

/* English request or commitment naming its owner; 1 if an action was added. */
static int en_action(ctx *c, const char *s, size_t n, const char *speaker, const cr_loc *l, const char *prev,
		     size_t prev_n)
{
	(void)prev;
	(void)prev_n;
	const char *p = s;
	size_t k = n;
	/* lead words */
	static const char *const lead[] = {"and ", "then ", "so ", "also ", "ok, ", "okay, ", "also, ", "and then ",
					   "great, ", "good, ", "right, ", "fine, "};
	for (int again = 1; again;) {
		again = 0;
		for (size_t i = 0; i < sizeof lead / sizeof *lead; i++)
			if (istarts(p, k, lead[i])) {
				p += strlen(lead[i]);
				k -= strlen(lead[i]);
				again = 1;
			}
	}
	int question = memchr(s, '?', n) != NULL;
	/* "let's have / let's ask Mei check ..." */
	static const char *const have[] = {"let's have ", "let us have ", "let's ask ", "let us ask ", "we'll have ",
					   "we will have ", "we'll ask ", "we will ask "};
	for (size_t i = 0; i < sizeof have / sizeof *have && !question; i++)
		if (istarts(p, k, have[i])) {
			size_t hl = strlen(have[i]);
			size_t nl = en_name_at(c, p + hl, k - hl);
			if (nl && hl + nl < k && p[hl + nl] == ' ') {
				const char *t = p + hl + nl + 1;
				size_t tk = k - hl - nl - 1;
				if (istarts(t, tk, "to "))
					t += 3, tk -= 3;
				add_action(c, p + hl, nl, t, tk, NULL, 0, l, 0);
				return 1;
			}
		}
	/* first person */
	static const char *const me[] = {"i'll ", "i will ", "i can ", "i'm going to ", "i am going to ", "let me ",
					 "i'll take ", "i take ", "i volunteer to ", "i'd be happy to ", "i could "};
	if (speaker && !question) {
		for (size_t i = 0; i < sizeof me / sizeof *me; i++) {
			const char *w = me[i];
			size_t wl = strlen(w);
			/* anywhere after a comma too: "Sure, I'll send it" */
			const char *at = NULL;
			if (istarts(p, k, w))
				at = p;
			else {
				for (size_t j = 2; j + wl <= k && !at; j++)
					if (p[j - 2] == ',' && p[j - 1] == ' ' && istarts(p + j, k - j, w))
						at = p + j;
			}
			if (at && !idle_verb(at + wl, k - (size_t)(at - p) - wl)) {
				add_action(c, speaker, strlen(speaker), at + wl, k - (size_t)(at - p) - wl, NULL, 0, l, 0);
				return 1;
			}
		}
	}
	/* Name will / is going to / to <verb> / , please / , can you */
	size_t nl = en_name_at(c, p, k);
	if (nl) {
		const char *r = p + nl;
		size_t rk = k - nl;
		static const char *const will[] = {" will ", " is going to ", " to ", " has agreed to ", " agreed to ",
						   " volunteered to ", " takes ", " owns ", " should ", " has the action to ",
						   " has an action to ", " takes the action to ", " owns the action to "};
		for (size_t i = 0; i < sizeof will / sizeof *will && !question; i++)
			if (istarts(r, rk, will[i])) {
				size_t wl = strlen(will[i]);
				if (idle_verb(r + wl, rk - wl))
					return 0;
				add_action(c, p, nl, r + wl, rk - wl, NULL, 0, l, 0);
				return 1;
			}
		static const char *const ask[] = {", please ", ", can you ", ", could you ", ", would you ",
						  ", will you ", " please ", ", pls "};
		for (size_t i = 0; i < sizeof ask / sizeof *ask; i++)
			if (istarts(r, rk, ask[i])) {
				size_t wl = strlen(ask[i]);
				const char *t = r + wl;
				size_t tk = rk - wl;
				while (tk && (t[tk - 1] == '?' || t[tk - 1] == '.'))
					tk--;
				add_action(c, p, nl, t, tk, NULL, 0, l, 0);
				return 1;
			}
	}
	/* a name later in the sentence: "..., and Kenji will order" */
	if (!question) {
		for (size_t j = 1; j + 2 < k; j++) {
			if (p[j - 1] != ' ' || !isupper((unsigned char)p[j]))
				continue;
			size_t kl = known_at(c, p + j, k - j);
			if (!kl)
				continue;
			const char *r = p + j + kl;
			size_t rk = k - j - kl;
			if (istarts(r, rk, " will ") && !idle_verb(r + 6, rk - 6)) {
				add_action(c, p + j, kl, r + 6, rk - 6, NULL, 0, l, 0);
				return 1;
			}
		}
	}
	return 0;
}

/* "task (Owner)" / "task（担当：Owner）" */
static int list_item_owner_last(ctx *c, const char *s, size_t n, const cr_loc *l, int recap)
{
	size_t after = 0;
	int ja = has_japanese(s, n);

	const char *o = NULL, *b = NULL;
	size_t on = 0;
	while (n && (s[n - 1] == '.' || (n >= 3 && !memcmp(s + n - 3, "。", 3))))
		n -= s[n - 1] == '.' ? 1 : 3;
	if (n > 2 && s[n - 1] == ')') {
		b = s + n - 1;
		while (b > s && *b != '(')
			b--;
		o = b + 1;
		on = (size_t)(s + n - 1 - o);
	} else if (n > 6 && !memcmp(s + n - 3, "）", 3)) {
		b = memfind(s, n, "（");
		if (b) {
			o = b + 3;
			on = (size_t)(s + n - 3 - o);
		}
	}
	if (o) {
		size_t r;
		if (label_of(o, on, &r) && (istarts(o, on, "owner") || starts(o, on, "担当")))
			o += r, on -= r;
		trim(&o, &on);
		size_t k2 = ja ? ja_name_at(c, o, on, &after) : en_name_at(c, o, on);
		if (k2 && k2 + 6 >= on) {
			add_action(c, o, k2, s, (size_t)(b - s), NULL, 0, l, recap);
			return 1;
		}
	}
	return 0;
}

/* The owner of a list item: "Owner: task", "Owner – task", "Owner to task",
 * "Owner will task", "task (Owner)", "Owner：task". */
static int list_item(ctx *c, const char *s, size_t n, const cr_loc *l, int recap)
{
	size_t after = 0, nl;
	int ja = has_japanese(s, n);
	if (ja)
		nl = ja_name_at(c, s, n, &after);
	else {
		nl = en_name_at(c, s, n);
		after = nl;
	}
	if (!nl)
		return list_item_owner_last(c, s, n, l, recap);
	const char *r = s + after;
	size_t rk = n - after;
	static const char *const sep[] = {": ", ":", "：", " – ", " — ", " - ", " to ", " will ", "は", "が", "、", " は"};
	for (size_t i = 0; i < sizeof sep / sizeof *sep; i++)
		if (starts(r, rk, sep[i])) {
			size_t wl = strlen(sep[i]);
			add_action(c, s, nl, r + wl, rk - wl, NULL, 0, l, recap);
			return 1;
		}
	/* "Send the list in two weeks (Tom)": the first word was no owner */
	return list_item_owner_last(c, s, n, l, recap);
}

/* Japanese request or commitment; 1 if an action was added. */
static int ja_action(ctx *c, const char *s, size_t n, const char *speaker, const cr_loc *l)
{
	const char *p = s;
	size_t k = n;
	static const char *const lead[] = {"では、", "じゃあ、", "あと、", "それから、", "また、", "では", "了解です。"};
	for (size_t i = 0; i < sizeof lead / sizeof *lead; i++)
		if (starts(p, k, lead[i])) {
			p += strlen(lead[i]);
			k -= strlen(lead[i]);
		}
	int request = memfind(p, k, "ください") || memfind(p, k, "お願い") || memfind(p, k, "もらえますか") ||
		      memfind(p, k, "いただけますか");
	cr_due d;
	int due = cr_due_find(p, k, c->mt->date, &d);
	/* first person */
	static const char *const me[] = {"私が", "私の方で", "私のほうで", "私から", "僕が", "わたしが", "こちらで",
					 "自分が", "私で"};
	for (size_t i = 0; i < sizeof me / sizeof *me && speaker; i++)
		if (memfind(p, k, me[i]) && !request) {
			add_action(c, speaker, strlen(speaker), p, k, NULL, 0, l, 0);
			return 1;
		}
	/* Name(さん)、... / Name(さん)は|が ... / Nameさんに...お願い */
	size_t after = 0, nl = ja_name_at(c, p, k, &after);
	if (nl) {
		const char *r = p + after;
		size_t rk = k - after;
		while (rk && *r == ' ')
			r++, rk--;
		if ((starts(r, rk, "、") || starts(r, rk, ",")) && request) {
			add_action(c, p, nl, r + (*r == ',' ? 1 : 3), rk - (*r == ',' ? 1 : 3), NULL, 0, l, 0);
			return 1;
		}
		if ((starts(r, rk, "は") || starts(r, rk, "が") || starts(r, rk, "から") || starts(r, rk, "の方で")) &&
		    (due || request) && !past_or_done(r, rk)) {
			size_t wl = starts(r, rk, "の方で") ? 9 : starts(r, rk, "から") ? 6 : 3;
			add_action(c, p, nl, r + wl, rk - wl, NULL, 0, l, 0);
			return 1;
		}
		if (starts(r, rk, "に") && request) {
			add_action(c, p, nl, r + 3, rk - 3, NULL, 0, l, 0);
			return 1;
		}
	}
	/* "XのYはNAMEさんが来週中に調整する": an honorific name later in the sentence */
	for (size_t j = 3; j + 6 < k; j++) {
		if (((unsigned char)p[j] & 0xC0) == 0x80)
			continue;
		size_t aft = 0, nl2 = ja_name_at(c, p + j, k - j, &aft);
		if (!nl2 || aft == nl2) /* a bare name mid-sentence is too weak */
			continue;
		const char *r = p + j + aft;
		size_t rk = k - j - aft;
		if ((starts(r, rk, "が") || starts(r, rk, "は")) && (due || request) && !past_or_done(r, rk)) {
			add_action(c, p + j, nl2, r + 3, rk - 3, NULL, 0, l, 0);
			return 1;
		}
		j += aft - 1;
	}
	/* the speaker's own sentence with a due date, ending in ます */
	if (speaker && due && !request && k >= 6) {
		const char *e = p + k;
		size_t tail = 0;
		if (k >= 3 && !memcmp(e - 3, "。", 3))
			tail = 3;
		const char *end = e - tail;
		size_t m = (size_t)(end - p);
		if (m >= 6 && !memcmp(end - 6, "ます", 6) && !(m >= 9 && !memcmp(end - 9, "ります", 9) && 0) &&
		    !memfind(p, m, "ました") && !memfind(p, m, "ません") && !memfind(p, m, "ましょう") &&
		    !memfind(p, m, "とします") && !memfind(p, m, "ことにします") && !memfind(p, m, "予定です")) {
			add_action(c, speaker, strlen(speaker), p, k, NULL, 0, l, 0);
			return 1;
		}
	}
	return 0;
}

/* ---- labels ------------------------------------------------------------------ */

static int action_label(const char *s, size_t n)
{
	static const char *const w[] = {"action items", "action item", "actions", "action", "todo", "to do", "to-do",
					"next steps", "next step", "follow-ups", "follow-up", "follow ups", "ais"};
	for (size_t i = 0; i < sizeof w / sizeof *w; i++)
		if (strlen(w[i]) == n && !strncasecmp(s, w[i], n))
			return 1;
	static const char *const j[] = {"宿題", "アクションアイテム", "ToDo", "TODO", "対応事項", "今後の対応",
					"次のアクション", "アクション"};
	for (size_t i = 0; i < sizeof j / sizeof *j; i++)
		if (strlen(j[i]) == n && !memcmp(s, j[i], n))
			return 1;
	return 0;
}

static int decision_label(const char *s, size_t n)
{
	static const char *const w[] = {"decisions", "decision", "決定事項", "決定", "決まったこと", "合意事項"};
	for (size_t i = 0; i < sizeof w / sizeof *w; i++)
		if (strlen(w[i]) == n && !strncasecmp(s, w[i], n))
			return 1;
	return 0;
}

static int attendee_label(const char *s, size_t n)
{
	static const char *const w[] = {"attendees", "participants", "present", "speakers", "attending", "from",
					"to", "cc", "出席", "出席者", "参加者", "メンバー", "出席者一覧"};
	for (size_t i = 0; i < sizeof w / sizeof *w; i++)
		if (strlen(w[i]) == n && !strncasecmp(s, w[i], n))
			return 1;
	return 0;
}

static int for_me_label(const char *s, size_t n)
{
	return (n == 18 && !strncasecmp(s, "action item for me", 18)) || (n == 13 && !strncasecmp(s, "action for me", 13)) ||
	       (n == 9 && !strncasecmp(s, "ai for me", 9));
}

/* ---- sentences -------------------------------------------------------------- */

/* Next sentence end in s[0..n): after . ! ? followed by a space (not "Mr.",
 * "e.g.", a decimal), or 。！？. Returns its length (with the mark). */
static size_t sentence_len(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (starts(s + i, n - i, "。") || starts(s + i, n - i, "！") || starts(s + i, n - i, "？"))
			return i + 3;
		if (s[i] == ';' && i + 1 < n && s[i + 1] == ' ')
			return i + 1;
		if ((s[i] == '.' || s[i] == '!' || s[i] == '?') && (i + 1 == n || s[i + 1] == ' ')) {
			if (s[i] == '.') {
				size_t w = i;
				while (w > 0 && isalpha((unsigned char)s[w - 1]))
					w--;
				size_t wl = i - w;
				if ((wl == 1 && (isupper((unsigned char)s[w]) || (w > 0 && s[w - 1] == '.'))) ||
				    (wl == 2 && (!strncmp(s + w, "Mr", 2) || !strncmp(s + w, "Ms", 2) || !strncmp(s + w, "Dr", 2) ||
						 !strncmp(s + w, "St", 2) || !strncmp(s + w, "No", 2) || !strncmp(s + w, "vs", 2) ||
						 (w > 0 && s[w - 1] == '.'))) ||
				    (wl == 3 && (!strncasecmp(s + w, "etc", 3) || !strncasecmp(s + w, "approx", 3))) ||
				    (wl >= 3 && wl <= 4 && w > 0 && s[w - 1] == ' ' &&
				     (!strncmp(s + w, "Jan", 3) || !strncmp(s + w, "Feb", 3) || !strncmp(s + w, "Dec", 3) ||
				      !strncmp(s + w, "Sept", 4) || !strncmp(s + w, "Aug", 3) || !strncmp(s + w, "Oct", 3) ||
				      !strncmp(s + w, "Nov", 3))))
					continue;
			}
			return i + 1;
		}
	}
	return n;
}

/* One line's sentences, with the line's context. */
static void do_line(ctx *c, const char *s, size_t n, const char *speaker, const cr_loc *pl)
{
	cr_loc l = loc_with(pl, speaker);
	int bullet = strip_bullet(&s, &n);
	int after_blank = c->blank;
	c->blank = 0;
	if (!n)
		return;
	/* a heading or a bare label: "## Action items", "Decisions", 宿題 */
	{
		const char *h = s;
		size_t hn = n;
		while (hn && (*h == '#' || *h == ' '))
			h++, hn--;
		while (hn && (h[hn - 1] == ':' || h[hn - 1] == ' '))
			hn--;
		if (hn >= 3 && !memcmp(h + hn - 3, "：", 3))
			hn -= 3;
		if (hn && action_label(h, hn)) {
			c->list = 1;
			c->list_recap = c->transcript;
			return;
		}
		if (hn && decision_label(h, hn)) {
			c->list = 2;
			return;
		}
		if (h != s && c->list) /* another heading ends a list */
			c->list = 0;
	}
	size_t rest = 0, ll = label_of(s, n, &rest);
	if (ll) {
		const char *lab = s;
		size_t lab_n = ll;
		trim(&lab, &lab_n);
		const char *r = s + rest;
		size_t rn = n - rest;
		trim(&r, &rn);
		if (attendee_label(lab, lab_n)) {
			add_name_list(c, r, rn);
			return;
		}
		if (for_me_label(lab, lab_n) && speaker) {
			add_action(c, speaker, strlen(speaker), r, rn, NULL, 0, &l, 0);
			return;
		}
		if (action_label(lab, lab_n)) {
			if (!rn) {
				c->list = 1;
				c->list_recap = c->transcript;
				return;
			}
			if (!list_item(c, r, rn, &l, 0))
				CR_IGNORE(has_japanese(r, rn) ? ja_action(c, r, rn, speaker, &l)
							      : en_action(c, r, rn, speaker, &l, NULL, 0));
			return;
		}
		if (decision_label(lab, lab_n)) {
			if (!rn) {
				c->list = 2;
				return;
			}
			if (!undecided(r, rn))
				add_decision(c, r, rn, &l);
			return;
		}
	}
	if (c->list == 2) {
		if (bullet || (!c->transcript && !after_blank)) {
			if (!undecided(s, n))
				add_decision(c, s, n, &l);
			return;
		}
		c->list = 0;
	}
	if (c->list == 1 && (bullet || !c->transcript) && list_item(c, s, n, &l, c->list_recap))
		return;
	if (c->list == 1 && !bullet && !c->transcript)
		c->list = 0;
	/* sentences */
	const char *prev = NULL;
	size_t prev_n = 0;
	for (size_t off = 0; off < n;) {
		size_t sl = sentence_len(s + off, n - off);
		const char *t = s + off;
		size_t tn = sl;
		off += sl;
		trim(&t, &tn);
		if (!tn)
			continue;
		c->sentence++;
		int ja = has_japanese(t, tn);
		/* 担当：Owner — the owner of the sentence before */
		const char *tan = memfind(t, tn, "担当：");
		if (!tan)
			tan = memfind(t, tn, "担当:");
		if (!tan)
			tan = ifind_word(t, tn, "owner:");
		if (tan) {
			size_t skip = starts(tan, (size_t)(t + tn - tan), "担当：") ? 9 : starts(tan, (size_t)(t + tn - tan), "担当:") ? 7 : 6;
			const char *o = tan + skip;
			size_t on = (size_t)(t + tn - o), after = 0;
			trim(&o, &on);
			size_t k = ja || has_japanese(o, on) ? ja_name_at(c, o, on, &after) : en_name_at(c, o, on);
			if (!k && on && on <= 40) /* a name after the label, as written */
				k = on;
			while (k && (o[k - 1] == '.' || o[k - 1] == ')'))
				k--;
			if (k >= 3 && !memcmp(o + k - 3, "。", 3))
				k -= 3;
			if (k >= 3 && !memcmp(o + k - 3, "）", 3))
				k -= 3;
			const char *task = tan > t ? t : prev;
			size_t task_n = tan > t ? (size_t)(tan - t) : prev_n;
			if (task && k) {
				while (task_n >= 3 && !memcmp(task + task_n - 3, "（", 3))
					task_n -= 3;
				add_action(c, o, k, task, task_n, NULL, 0, &l, 0);
				/* the action stood in the sentence before: not a second one */
			}
			prev = t, prev_n = tn;
			continue;
		}
		if (c->transcript && tn < 200 &&
		    (memfind(t, tn, "アクションアイテム") || memfind(t, tn, "宿題") || ifind_word(t, tn, "action items"))) {
			/* "let's go over the action items": a recap follows */
			c->list = 1;
			c->list_recap = 1;
		}
		if (is_decision(t, tn))
			add_decision(c, t, tn, &l);
		else if (!conditional(t, tn)) {
			if (c->list == 1 && c->transcript && ja) {
				/* a recap: "Mei Lin さんはエンコーダの評価、山田社長は取締役会への報告です" */
				size_t st = 0;
				int any = 0;
				for (size_t i = 0; i <= tn; i++) {
					if (i == tn || starts(t + i, tn - i, "、")) {
						const char *q = t + st;
						size_t qn = i - st;
						size_t after = 0;
						if (ja_name_at(c, q, qn, &after))
							any |= list_item(c, q, qn, &l, 1);
						st = i + 3;
						if (i < tn)
							i += 2;
					}
				}
				if (!any)
					CR_IGNORE(ja_action(c, t, tn, speaker, &l));
			} else if (ja)
				CR_IGNORE(ja_action(c, t, tn, speaker, &l));
			else
				CR_IGNORE(en_action(c, t, tn, speaker, &l, prev, prev_n));
		}
		prev = t, prev_n = tn;
	}
}

/* Does a line end a sentence (or a label)? */
static int ends_sentence(const char *s, size_t n)
{
	if (!n)
		return 1;
	char e = s[n - 1];
	if (e == '.' || e == '!' || e == '?' || e == ':')
		return 1;
	if (n >= 3 && (!memcmp(s + n - 3, "。", 3) || !memcmp(s + n - 3, "：", 3) || !memcmp(s + n - 3, "！", 3) ||
		       !memcmp(s + n - 3, "？", 3)))
		return 1;
	return 0;
}

/* ---- the meeting's date ---------------------------------------------------- */

static int date_in(const char *s, size_t n, cr_ymd *out)
{
	/* a full date with its year: 2026-05-12, 2026年5月12日, "2 March 2026",
	 * "March 4, 2026", 20260512 in a file name */
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]) && !isalpha((unsigned char)s[i]))
			continue;
		if (i && isalnum((unsigned char)s[i - 1]))
			continue;
		cr_due d;
		size_t k = n - i < 40 ? n - i : 40;
		if (cr_due_find(s + i, k, (cr_ymd){0, 0, 0}, &d) && d.kind == CR_DUE_DATE && d.date.y && d.off == 0) {
			*out = d.date;
			return 1;
		}
		int y, m, dd;
		if (isdigit((unsigned char)s[i]) && i + 8 <= n && sscanf(s + i, "%4d%2d%2d", &y, &m, &dd) == 3 &&
		    (i + 8 == n || !isdigit((unsigned char)s[i + 8])) && y >= 1990 && y <= 2100 && m >= 1 && m <= 12 &&
		    dd >= 1 && dd <= 31) {
			*out = (cr_ymd){y, m, dd};
			return 1;
		}
	}
	return 0;
}

static const char *const DATE_LABELS[] = {"date", "meeting date", "when", "日時", "日付", "開催日", "開催日時"};

static void meeting_date(ctx *c)
{
	const cr_doc_text *t = c->in->text;
	cr_meeting *mt = c->mt;
	/* a labelled date in the first lines */
	size_t lines = 0;
	for (size_t i = 0; i < t->len && lines < 40;) {
		const char *nl = memchr(t->text + i, '\n', t->len - i);
		size_t e = nl ? (size_t)(nl - t->text) : t->len;
		const char *s = t->text + i;
		size_t n = e - i, rest;
		trim(&s, &n);
		strip_bullet(&s, &n);
		size_t ll = label_of(s, n, &rest);
		if (ll) {
			for (size_t k = 0; k < sizeof DATE_LABELS / sizeof *DATE_LABELS; k++)
				if (strlen(DATE_LABELS[k]) == ll && !strncasecmp(s, DATE_LABELS[k], ll) &&
				    date_in(s + rest, n - rest, &mt->date)) {
					mt->date_from = "content";
					return;
				}
		}
		lines++;
		i = e + 1;
	}
	const char *leaf = strrchr(c->in->doc, '/');
	leaf = leaf ? leaf + 1 : c->in->doc;
	if (date_in(leaf, strlen(leaf), &mt->date)) {
		mt->date_from = "name";
		return;
	}
	if (c->in->title && date_in(c->in->title, strlen(c->in->title), &mt->date)) {
		mt->date_from = "title";
		return;
	}
	if (date_in(t->text, t->len < 400 ? t->len : 400, &mt->date)) {
		mt->date_from = "content";
		return;
	}
	if (c->in->date > 0) {
		mt->date = cr_ymd_from_days(c->in->date / 86400);
		mt->date_from = "metadata";
	}
}

/* ---- entry points ---------------------------------------------------------- */

int cr_meeting_like(const char *doc, const char *title, const char *type, const char *text, size_t len)
{
	if (type && (!strcmp(type, "vtt") || !strcmp(type, "srt")))
		return 1;
	if (type && (!strcmp(type, "code") || !strcmp(type, "git-commit") || !strcmp(type, "xlsx") ||
		     !strcmp(type, "csv")))
		return 0;
	static const char *const w[] = {"meeting", "minutes", "standup", "stand-up", "kickoff", "kick-off",
					"retro",   "議事録",  "会議",    "ミーティング", "打ち合わせ", "打合せ",
					"定例"};
	const char *leaf = doc ? strrchr(doc, '/') : NULL;
	leaf = leaf ? leaf + 1 : doc;
	for (size_t i = 0; i < sizeof w / sizeof *w; i++) {
		if (leaf && strcasestr(leaf, w[i]))
			return 1;
		if (title && strcasestr(title, w[i]))
			return 1;
	}
	/* meeting mails and notes: decisions and action items both labelled */
	size_t n = len < 8192 ? len : 8192;
	int dec = 0, act = 0;
	for (size_t i = 0; i < n; i++) {
		if (i && text[i - 1] != '\n')
			continue;
		const char *s = text + i;
		const char *nl = memchr(s, '\n', n - i);
		size_t k = nl ? (size_t)(nl - s) : n - i, rest;
		trim(&s, &k);
		strip_bullet(&s, &k);
		size_t ll = label_of(s, k, &rest);
		if (ll && decision_label(s, ll))
			dec = 1;
		if (ll && action_label(s, ll))
			act = 1;
		if (ll && (attendee_label(s, ll) && (has_japanese(s, ll) || !strncasecmp(s, "attendees", 9) ||
						     !strncasecmp(s, "participants", 12))))
			return 1;
		if (ifind_word(s, k, "as agreed") || ifind_word(s, k, "we agreed") || ifind_word(s, k, "we decided"))
			dec = 1;
	}
	return dec && act;
}

cr_err cr_meeting_extract(cr_arena *a, const cr_meeting_input *in, cr_meeting *out, cr_msg *m)
{
	memset(out, 0, sizeof *out);
	ctx *c = calloc(1, sizeof *c);
	if (!c)
		return cr_fail(m, CR_ENOMEM, "meeting: out of memory");
	c->a = a;
	c->in = in;
	c->mt = out;
	c->transcript = in->type && (!strcmp(in->type, "vtt") || !strcmp(in->type, "srt"));
	out->doc = in->doc;
	out->doc_id = in->doc_id;
	out->title = in->title;
	out->type = in->type;
	const cr_doc_text *t = in->text;
	out->lang = has_japanese(t->text, t->len < 65536 ? t->len : 65536) ? "ja" : "en";
	meeting_date(c);
	/* names first: speakers and attendee lines anywhere, then the pass */
	for (int pass = 0; pass < 2; pass++) {
		size_t lines = 0;
		c->list = 0;
		for (size_t ip = 0; ip < t->n_parts; ip++) {
			const cr_doc_part *p = &t->parts[ip];
			const char *s = t->text + p->start;
			size_t n = p->len;
			const char *speaker = p->loc.speaker;
			c->list = 0;
			for (size_t i = 0; i < n && lines < MAX_LINES;) {
				const char *nl = memchr(s + i, '\n', n - i);
				size_t e = nl ? (size_t)(nl - s) : n;
				const char *line = s + i;
				size_t ln = e - i;
				i = e + 1;
				lines++;
				trim(&line, &ln);
				if (!ln) {
					c->blank = 1;
					if (c->transcript)
						c->list = 0; /* a new turn */
					continue;
				}
				if (c->transcript) {
					/* "Speaker: text" starts a turn */
					size_t rest, ll = label_of(line, ln, &rest);
					if (ll && ll <= 40 && !action_label(line, ll) && !decision_label(line, ll) &&
					    !for_me_label(line, ll)) {
						speaker = dup(c, line, ll);
						if (pass == 0)
							add_name(c, line, ll);
						line += rest;
						ln -= rest;
						trim(&line, &ln);
						c->list = 0;
					}
				}
				if (!c->transcript && !ends_sentence(line, ln)) {
					/* a line wrapped inside a sentence (mail, plain minutes):
					 * join the lines that continue it */
					cr_buf j;
					cr_buf_init(&j, 0);
					int joined = 0;
					while (i < n) {
						const char *nl2 = memchr(s + i, '\n', n - i);
						size_t e2 = nl2 ? (size_t)(nl2 - s) : n;
						const char *nx = s + i;
						size_t nn = e2 - i, rest2;
						trim(&nx, &nn);
						const char *bx = nx;
						size_t bn = nn;
						if (!nn || strip_bullet(&bx, &bn) || label_of(nx, nn, &rest2) || nx[0] == '#' ||
						    nx[0] == '>')
							break;
						if (!joined && cr_buf_add(&j, line, ln))
							break;
						joined = 1;
						int cjk = is_cjk_lead((unsigned char)nx[0]) && j.len >= 3 &&
							  is_cjk_lead((unsigned char)j.data[j.len - 3]);
						if ((!cjk && cr_buf_addc(&j, ' ')) || cr_buf_add(&j, nx, nn))
							break;
						i = e2 + 1;
						lines++;
						if (ends_sentence(nx, nn))
							break;
					}
					if (joined) {
						line = dup(c, j.data, j.len);
						ln = line ? j.len : 0;
					}
					cr_buf_release(&j);
				}
				if (pass == 0) {
					size_t rest, ll = label_of(line, ln, &rest);
					if (ll && attendee_label(line, ll))
						add_name_list(c, line + rest, ln - rest);
					continue;
				}
				do_line(c, line, ln, speaker, &p->loc);
			}
		}
	}
	out->decisions = c->dec;
	out->n_decisions = c->n_dec;
	out->actions = c->act;
	out->n_actions = c->n_act;
	int oom = c->oom;
	free(c);
	if (oom)
		return cr_fail(m, CR_ENOMEM, "meeting: out of memory");
	return CR_OK;
}
