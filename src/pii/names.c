/*
 * names.c — person names, in two passes over the working copy.
 *
 * 1. Names in context, each learned (with its parts) for pass 2:
 *    - mail headers and labelled lists, at a line's or a table cell's start
 *      ("From:", "To:", 差出人, "Attendees:", 出席者：, "Name:", 氏名:, 担当者:,
 *      "Customer:"...): the value is split at ',' and '、' (quotes and <...>
 *      respected), a display name is the text before "<addr>", a
 *      parenthesis "(sales)" and honorifics are dropped, and what is left
 *      must look like a name (capitalised words, or kanji and kana without a
 *      company or department word);
 *    - the line after a closing ("Best regards,", "Thanks,") or "-- ";
 *    - greetings ("Hi Daniel,", "Dear Ms. Hartley,", "thanks Sophie!");
 *    - English honorifics (Mr., Ms., Mrs., Dr., Prof.) before capitalised
 *      words;
 *    - a given name of the list (given.c) with a capitalised family name
 *      after it, or alone when the name is no common word;
 *    - a chat line's speaker: two or three capitalised words before ':';
 *    - MeCab (IPADIC) 名詞,固有名詞,人名 morphemes: 姓 and 名 in a row (one
 *      space between allowed) followed by an honorific or title, or by
 *      anything but a noun glued to them (田中角栄記念館 is a building); a
 *      lone given name, or a lone one-character family name, needs an
 *      honorific;
 *    - a noun before さん, 様, 氏, 君 or a title (部長, 課長, 社長...) even
 *      when MeCab does not call it a name (清水さん: 組織 in IPADIC),
 *      except common nouns such as お客様, 皆様.
 * 2. Every occurrence of a known name (the caller's, the learned ones, and
 *    their parts) at a word boundary: for ASCII, no letter or digit
 *    around; for Japanese, no kanji or katakana around, unless a title
 *    follows (井上部長); a space between Japanese parts is optional either
 *    way (山田 太郎 = 山田太郎).
 */
#include "pii_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- the name set ----------------------------------------------------------- */

int pii_names_has(const pii_names *ns, const char *s, size_t n)
{
	for (size_t i = 0; i < ns->n; i++)
		if (strlen(ns->v[i]) == n && !memcmp(ns->v[i], s, n))
			return 1;
	return 0;
}

static int add_one(pii_names *ns, const char *s, size_t n)
{
	while (n && s[0] == ' ')
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == ','))
		n--;
	if (!n || n > 128 || pii_names_has(ns, s, n))
		return 0;
	if (ns->n == ns->cap) {
		size_t cap = ns->cap ? ns->cap * 2 : 16;
		char **v = cr_realloc(ns->v, cap * sizeof *v);
		if (!v)
			return -1;
		ns->v = v;
		ns->cap = cap;
	}
	char *c = cr_strndup(s, n);
	if (!c)
		return -1;
	/* one space between words */
	size_t o = 0;
	for (size_t i = 0; i < n; i++)
		if (!(c[i] == ' ' && o && c[o - 1] == ' '))
			c[o++] = c[i];
	c[o] = 0;
	ns->v[ns->n++] = c;
	return 0;
}

static int stop_word(const char *w, size_t n);

int pii_names_add(pii_names *ns, const char *s, size_t n, int parts)
{
	if (add_one(ns, s, n))
		return -1;
	if (!parts)
		return 0;
	size_t i = 0;
	while (i < n) {
		while (i < n && (s[i] == ' ' || s[i] == ','))
			i++;
		size_t b = i;
		while (i < n && s[i] != ' ' && s[i] != ',')
			i++;
		if (b == 0 && i == n)
			break; /* one word: the name itself */
		size_t l = i - b;
		if (!l)
			continue;
		if ((unsigned char)s[b] < 0x80) {
			if (l < 2 || !pii_is_upper(s[b]) || stop_word(s + b, l) || (l == 2 && s[b + 1] == '.'))
				continue;
		}
		if (add_one(ns, s + b, l))
			return -1;
	}
	return 0;
}

void pii_names_release(pii_names *ns)
{
	for (size_t i = 0; i < ns->n; i++)
		cr_free(ns->v[i]);
	cr_free(ns->v);
	memset(ns, 0, sizeof *ns);
}

/* ---- word lists ---------------------------------------------------------------- */

/* Capitalised words that are not names (organisations, places, roles,
 * calendar, greetings): they end a name and are never one. */
static const char *const STOP[] = {
	"A", "About", "Account", "Act", "Admin", "Agenda", "Agreement", "All", "Amazon", "An", "And", "Annual", "Apple", "April",
	"Assurance", "Attendees", "August", "Avenue", "Bank", "Best", "Board", "Budget", "Building", "Business",
	"Call", "Center", "Centre", "Co", "Colleagues", "College", "Committee", "Company", "Contact", "Corp",
	"Corporation", "Customer", "Customers", "Date", "Dear", "December", "Department", "Desk", "Director",
	"Division", "Email", "Everyone", "February", "Finance", "Foods", "For", "Friday", "Friends", "From",
	"General", "Global", "Google", "Group", "Happy", "Head", "Hello", "Hi", "Holdings", "Hospital", "Human",
	"IT", "In", "Inc", "International", "Invoice", "January", "July", "June", "Kind", "LLC", "Labs", "Legal",
	"Ltd", "Madam", "Management", "Manager", "March", "Marketing", "Meeting", "Microsoft", "Minutes",
	"Monday", "Motors", "National", "New", "Notes", "November", "October", "Office", "On", "Operations",
	"Order", "Our", "Phone", "Please", "Pro", "Product", "Products", "Project", "Quality", "Re", "Regards",
	"Research", "Resources", "Review", "Road", "Room", "Sales", "Saturday", "School", "September", "Service",
	"Services", "Sir", "Solutions", "Street", "Subject", "Sunday", "Support", "Systems", "Team", "Technologies",
	"Tel", "Thanks", "The", "This", "Thursday", "Times", "To", "Treaty", "Tuesday", "University", "We", "Wednesday",
	"Year", "Your",
};

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

static int stop_word(const char *w, size_t n)
{
	char key[32];
	if (n >= sizeof key)
		return 0;
	memcpy(key, w, n);
	key[n] = 0;
	const char *k = key;
	return bsearch(&k, STOP, CR_ARRAY_LEN(STOP), sizeof *STOP, cmp_str) != NULL;
}

/* Japanese honorifics and titles after a name. */
static const char *const TITLES[] = {
	"さん", "様", "さま", "氏", "君", "くん", "ちゃん", "殿", "先生", "部長", "課長", "社長", "係長",
	"主任", "専務", "常務", "会長", "次長", "室長", "所長", "支店長", "本部長", "取締役", "教授", "副社長",
	"マネージャー", "リーダー",
};

static size_t title_at(const char *s, size_t n, size_t i)
{
	size_t best = 0;
	for (size_t t = 0; t < CR_ARRAY_LEN(TITLES); t++) {
		size_t l = strlen(TITLES[t]);
		if (i + l <= n && !memcmp(s + i, TITLES[t], l) && l > best)
			best = l;
	}
	return best;
}

/* Nouns before 様/さん that are no one's name. */
static const char *const NOT_NAMES_JA[] = {
	"客", "お客", "皆", "みな", "奥", "神", "王", "仏", "各位", "担当", "先方", "相手", "お父", "お母", "子供",
	"ご苦労", "お疲れ", "お世話", "王子", "姫", "殿", "皆々", "方々", "お客さま", "御中", "当社", "弊社", "貴社",
	"御社",
};

static int not_name_ja(const char *s, size_t n)
{
	for (size_t i = 0; i < CR_ARRAY_LEN(NOT_NAMES_JA); i++)
		if (strlen(NOT_NAMES_JA[i]) == n && !memcmp(NOT_NAMES_JA[i], s, n))
			return 1;
	return 0;
}

/* Words that make a Japanese item an organisation or a department. */
static const char *const ORG_JA[] = {"株式会社", "有限会社", "会社", "(株)", "事業部", "営業部", "センター",
				     "チーム", "グループ", "工業", "商事", "銀行", "製作所", "本社", "支社", "支店"};

static int has_org_ja(const char *s, size_t n)
{
	for (size_t i = 0; i < CR_ARRAY_LEN(ORG_JA); i++) {
		size_t l = strlen(ORG_JA[i]);
		for (size_t j = 0; j + l <= n; j++)
			if (!memcmp(s + j, ORG_JA[i], l))
				return 1;
	}
	/* a department: three characters or more ending in 部, 課, 室 */
	if (n >= 9) {
		const char *t = s + n - 3;
		if (!memcmp(t, "部", 3) || !memcmp(t, "課", 3) || !memcmp(t, "室", 3))
			return 1;
	}
	return 0;
}

/* ---- the pass's context ------------------------------------------------------- */

typedef struct nctx {
	const pii_fold *f;
	const char *s;
	size_t n;
	const pii_names *caller;
	pii_names *learned;
	pii_cands *out;
	int oom;
} nctx;

static void learn(nctx *c, size_t b, size_t e)
{
	while (b < e && c->s[b] == ' ')
		b++;
	while (e > b && (c->s[e - 1] == ' ' || c->s[e - 1] == ','))
		e--;
	if (b >= e)
		return;
	if (pii_names_add(c->learned, c->s + b, e - b, 1))
		c->oom = 1;
	if (c->out)
		pii_cands_add(c->out, (uint32_t)b, (uint32_t)e, CR_PII_PERSON, 2);
}

static int cjk_at(const char *s, size_t n, size_t i)
{
	if (i >= n)
		return 0;
	int l;
	uint32_t cp = pii_cp(s, n, i, &l);
	return l && (pii_is_kanji(cp) || pii_is_kata(cp));
}

static int cjk_before(const char *s, size_t i)
{
	if (!i)
		return 0;
	size_t b = i - 1;
	while (b > 0 && ((unsigned char)s[b] & 0xC0) == 0x80)
		b--;
	return cjk_at(s, i, b);
}

/* ---- English words ---------------------------------------------------------------- */

/* A capitalised name word at i (Okafor, O'Neil, Jean-Luc, McDonald): its end, or i. */
static size_t cap_word(const char *s, size_t n, size_t i)
{
	if (i >= n || !pii_is_upper(s[i]))
		return i;
	size_t e = i + 1;
	int lower = 0;
	while (e < n && (pii_is_alpha(s[e]) || ((s[e] == '\'' || s[e] == '-') && e + 1 < n && pii_is_alpha(s[e + 1])))) {
		lower |= pii_is_lower(s[e]);
		e++;
	}
	if (e < n && (pii_is_digit(s[e]) || s[e] == '_' || s[e] == '@'))
		return i;
	if (!lower && e - i > 1)
		return i; /* an acronym: IT, HR, ACME */
	if (e - i == 1 && !(e < n && s[e] == '.'))
		return i; /* a lone capital, not an initial */
	if (e - i == 1)
		e++; /* initial "J." */
	return e;
}

/* Up to max capitalised name words from i, separated by one space; the
 * end, or i. Stops before a stop word. */
static size_t cap_words(const char *s, size_t n, size_t i, int max, int *count)
{
	size_t e = i;
	int k = 0;
	size_t p = i;
	while (k < max) {
		size_t we = cap_word(s, n, p);
		if (we == p || stop_word(s + p, we - p))
			break;
		e = we;
		k++;
		if (we < n && s[we] == ' ' && we + 1 < n && pii_is_upper(s[we + 1]))
			p = we + 1;
		else
			break;
	}
	if (count)
		*count = k;
	return e;
}

static int word_start(const char *s, size_t i) { return i == 0 || !pii_is_alnum(s[i - 1]); }

static int ci_word(const char *s, size_t n, size_t i, const char *w)
{
	size_t l = strlen(w);
	return i + l <= n && !strncasecmp(s + i, w, l) && (i + l == n || !pii_is_alpha(s[i + l])) && word_start(s, i);
}

static const char *const HONORIFICS[] = {"Mr", "Ms", "Mrs", "Miss", "Mx", "Dr", "Prof"};

/* Length of an honorific at i with its '.' and the space after, or 0. */
static size_t honorific_at(const char *s, size_t n, size_t i)
{
	if (!word_start(s, i))
		return 0;
	for (size_t h = 0; h < CR_ARRAY_LEN(HONORIFICS); h++) {
		size_t l = strlen(HONORIFICS[h]);
		if (i + l < n && !strncmp(s + i, HONORIFICS[h], l) && !pii_is_alpha(s[i + l])) {
			size_t p = i + l;
			if (s[p] == '.')
				p++;
			if (p < n && s[p] == ' ')
				return p + 1 - i;
		}
	}
	return 0;
}

/* ---- items of labelled values ------------------------------------------------------- */

/* Cleans an item (drops quotes, honorifics, a parenthesis, Japanese
 * titles) and learns it when it looks like a name. */
static void item(nctx *c, size_t b, size_t e)
{
	const char *s = c->s;
	/* display name before <addr> */
	for (size_t i = b; i < e; i++)
		if (s[i] == '<') {
			e = i;
			break;
		}
	for (size_t i = b; i < e; i++)
		if (s[i] == '(') { /* (sales), (株式会社...), (敬称略) */
			e = i;
			break;
		}
	while (b < e && (s[b] == ' ' || s[b] == '"' || s[b] == '\''))
		b++;
	while (e > b && (s[e - 1] == ' ' || s[e - 1] == '"' || s[e - 1] == '\'' || s[e - 1] == '.'))
		e--;
	size_t h = honorific_at(s, e, b);
	b += h;
	if (b >= e)
		return;
	for (size_t i = b; i < e; i++)
		if (s[i] == '@' || pii_is_digit(s[i]) || s[i] == ':')
			return;
	if ((unsigned char)s[b] < 0x80) {
		/* capitalised words (a "Chen, Wei" display name keeps its comma) */
		size_t p = b;
		int words = 0;
		while (p < e) {
			size_t we = cap_word(s, e, p);
			if (we == p || stop_word(s + p, we - p))
				return;
			words++;
			p = we;
			if (p < e && s[p] == ',')
				p++;
			if (p < e && s[p] == ' ')
				p++;
			else if (p < e)
				return;
		}
		if (words >= 1 && words <= 4)
			learn(c, b, e);
		return;
	}
	/* Japanese: a title after the name goes; kanji and kana only */
	for (size_t i = b; i < e;) {
		size_t t = title_at(s, e, i);
		if (t && i > b && i + t == e) {
			e = i;
			break;
		}
		int l;
		uint32_t cp = pii_cp(s, e, i, &l);
		if (!l || !(pii_is_kanji(cp) || pii_is_kata(cp) || pii_is_hira(cp) || cp == ' '))
			return;
		i += (size_t)l;
	}
	while (e > b && s[e - 1] == ' ')
		e--;
	if (e <= b || e - b > 36 || has_org_ja(s + b, e - b) || not_name_ja(s + b, e - b))
		return;
	learn(c, b, e);
}

/* Splits the value s[b..) of a label into items, up to the cell's or
 * line's end. */
static void value_items(nctx *c, size_t b, size_t le)
{
	const char *s = c->s;
	int quote = 0, angle = 0;
	size_t ib = b;
	for (size_t i = b; i <= le; i++) {
		int end = i == le || (!quote && (s[i] == ';' || s[i] == '|'));
		if (!end && !quote && !angle && s[i] == '.' && (i + 1 == le || s[i + 1] == ' ')) {
			/* a sentence's end, unless "Mr." */
			size_t w = i;
			while (w > ib && pii_is_alpha(s[w - 1]))
				w--;
			end = !honorific_at(s, le, w) && !(i - w == 1 && pii_is_upper(s[w]));
		}
		if (!end && !quote && i + 3 <= le && !memcmp(s + i, "\xe3\x80\x82", 3)) /* 。 */
			end = 1;
		int split = !end && !quote && !angle &&
			    (s[i] == ',' || (i + 3 <= le && !memcmp(s + i, "\xe3\x80\x81", 3)) || /* 、 */
			     (i + 5 <= le && !memcmp(s + i, " and ", 5)) || (i + 3 <= le && !memcmp(s + i, " & ", 3)));
		if (end || split) {
			item(c, ib, i);
			if (end)
				return;
			ib = i + (s[i] == ',' ? 1 : s[i] == ' ' ? (s[i + 1] == 'a' ? 5 : 3) : 3);
			i = ib - 1;
			continue;
		}
		if (s[i] == '"')
			quote = !quote;
		else if (s[i] == '<')
			angle = 1;
		else if (s[i] == '>')
			angle = 0;
	}
}

static const char *const LABELS[] = {
	"from", "to", "cc", "bcc", "reply-to", "sender", "attendees", "attendee", "present", "participants",
	"members", "name", "full name", "customer", "contact person", "employee", "candidate", "owner",
	"assignee", "author", "reported by", "requested by", "approved by", "prepared by", "speaker",
	"差出人", "宛先", "送信者", "送信元", "氏名", "名前", "お名前", "担当者", "担当", "出席者", "出席", "参加者",
	"参加", "欠席者", "欠席", "メンバー", "作成者", "報告者", "承認者", "依頼者", "申請者", "社員名", "従業員名",
	"宛名", "記入者", "発表者", "講師",
};

/* A label at i followed by ':' (spaces allowed before it): the position
 * after the ':', or 0. */
static size_t label_at(const char *s, size_t n, size_t i)
{
	for (size_t k = 0; k < CR_ARRAY_LEN(LABELS); k++) {
		size_t l = strlen(LABELS[k]);
		if (i + l >= n || strncasecmp(s + i, LABELS[k], l))
			continue;
		size_t p = i + l;
		while (p < n && s[p] == ' ')
			p++;
		if (p < n && s[p] == ':')
			return p + 1;
	}
	return 0;
}

static void labels(nctx *c, size_t ls, size_t le)
{
	const char *s = c->s;
	for (size_t i = ls; i < le; i++) {
		int cell = i == ls || (i >= 2 && s[i - 1] == ' ' && s[i - 2] == ';') || (i >= 1 && s[i - 1] == ';');
		if (!cell)
			continue;
		while (i < le && s[i] == ' ')
			i++;
		size_t v = label_at(s, le, i);
		if (v)
			value_items(c, v, le);
	}
}

/* ---- signatures, greetings, honorifics, given names, speakers ---------------------- */

static const char *const CLOSINGS[] = {
	"best regards", "kind regards", "warm regards", "regards", "best wishes", "best", "thanks", "thank you",
	"many thanks", "sincerely", "yours sincerely", "yours truly", "cheers", "all the best", "yours", "--",
};

static int closing_line(const char *s, size_t ls, size_t le)
{
	while (ls < le && s[ls] == ' ')
		ls++;
	while (le > ls && (s[le - 1] == ' ' || s[le - 1] == ',' || s[le - 1] == '!' || s[le - 1] == '\r'))
		le--;
	for (size_t k = 0; k < CR_ARRAY_LEN(CLOSINGS); k++)
		if (strlen(CLOSINGS[k]) == le - ls && !strncasecmp(s + ls, CLOSINGS[k], le - ls))
			return 1;
	return 0;
}

static void signature(nctx *c, size_t ls, size_t le)
{
	const char *s = c->s;
	while (ls < le && s[ls] == ' ')
		ls++;
	while (le > ls && (s[le - 1] == ' ' || s[le - 1] == '\r'))
		le--;
	size_t b = ls + honorific_at(s, le, ls);
	int k = 0;
	size_t e = cap_words(s, le, b, 4, &k);
	if (k >= 1 && e == le)
		learn(c, b, e);
}

static const char *const GREETINGS[] = {"hi", "hello", "dear", "hey", "thanks", "thank you", "thx", "welcome"};

static void english(nctx *c, size_t ls, size_t le)
{
	const char *s = c->s;
	/* a chat line's speaker: "[09:14] Liam Foster:" */
	size_t p = ls;
	while (p < le && s[p] == ' ')
		p++;
	if (p < le && s[p] == '[') {
		while (p < le && s[p] != ']')
			p++;
		p++;
		while (p < le && s[p] == ' ')
			p++;
	}
	int k = 0;
	size_t e = cap_words(s, le, p, 3, &k);
	if (k >= 2 && e < le && s[e] == ':')
		learn(c, p, e);

	for (size_t i = ls; i < le; i++) {
		if (!pii_is_alpha(s[i]) || !word_start(s, i))
			continue;
		/* honorifics */
		size_t h = honorific_at(s, le, i);
		if (h) {
			e = cap_words(s, le, i + h, 3, &k);
			if (k)
				learn(c, i + h, e);
			i = (e > i + h ? e : i + h) - 1;
			continue;
		}
		/* greetings */
		for (size_t g = 0; g < CR_ARRAY_LEN(GREETINGS); g++) {
			if (!ci_word(s, le, i, GREETINGS[g]))
				continue;
			size_t q = i + strlen(GREETINGS[g]);
			if (q < le && s[q] == ' ' && pii_is_upper(s[q + 1]) && !honorific_at(s, le, q + 1)) {
				e = cap_words(s, le, q + 1, 2, &k);
				if (k && (e == le || s[e] == ',' || s[e] == '!' || s[e] == '.'))
					learn(c, q + 1, e);
			}
			break;
		}
		/* given names */
		if (pii_is_upper(s[i])) {
			size_t we = i;
			while (we < le && pii_is_alpha(s[we]))
				we++;
			int g = pii_given_name(s + i, we - i);
			if (g && (we == le || !(pii_is_digit(s[we]) || s[we] == '@' || (s[we] == '.' && we + 1 < le && pii_is_alpha(s[we + 1]))))) {
				size_t fe = we;
				if (we + 1 < le && s[we] == ' ') {
					/* an initial, then the family name */
					size_t q = we + 1;
					if (q + 2 < le && pii_is_upper(s[q]) && s[q + 1] == '.' && s[q + 2] == ' ')
						q += 3;
					size_t f2 = cap_word(s, le, q);
					if (f2 > q && !stop_word(s + q, f2 - q) && !(f2 - q == 2 && s[f2 - 1] == '.'))
						fe = f2;
				}
				if (fe > we || g == 1)
					learn(c, i, fe);
				i = fe - 1;
				continue;
			}
		}
		while (i + 1 < le && pii_is_alnum(s[i + 1]))
			i++;
	}
}

/* ---- Japanese: MeCab ------------------------------------------------------------------- */

typedef struct morph {
	uint32_t s, e;
	uint8_t person;   /* 1 姓, 2 名, 3 人名 一般 */
	uint8_t noun;     /* 1 固有名詞, 2 一般 名詞 (kanji or katakana surface) */
	uint8_t suffix;   /* 名詞,接尾,人名 (さん 様 氏) */
} morph;

typedef struct mlist {
	morph *v;
	size_t n, cap;
	size_t base; /* the line's offset in the working copy */
	int oom;
} mlist;

static int starts(const char *f, const char *w) { return !strncmp(f, w, strlen(w)); }

static int on_morph(void *ctx, const cr_text_morph *mo)
{
	mlist *l = ctx;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		morph *v = cr_realloc(l->v, cap * sizeof *v);
		if (!v) {
			l->oom = 1;
			return 1;
		}
		l->v = v;
		l->cap = cap;
	}
	morph m = {(uint32_t)(l->base + mo->start), (uint32_t)(l->base + mo->end), 0, 0, 0};
	const char *f = mo->feature;
	if (starts(f, "名詞,固有名詞,人名,姓"))
		m.person = 1;
	else if (starts(f, "名詞,固有名詞,人名,名"))
		m.person = 2;
	else if (starts(f, "名詞,固有名詞,人名"))
		m.person = 3;
	else if (starts(f, "名詞,固有名詞"))
		m.noun = 1;
	else if (starts(f, "名詞,一般"))
		m.noun = 2;
	else if (starts(f, "名詞,接尾,人名"))
		m.suffix = 1;
	l->v[l->n++] = m;
	return 0;
}

static int all_cjk(const char *s, size_t b, size_t e)
{
	for (size_t i = b; i < e;) {
		int l;
		uint32_t cp = pii_cp(s, e, i, &l);
		if (!l || !(pii_is_kanji(cp) || pii_is_kata(cp)))
			return 0;
		i += (size_t)l;
	}
	return b < e;
}

static size_t n_chars(const char *s, size_t b, size_t e)
{
	size_t k = 0;
	for (size_t i = b; i < e; i++)
		k += ((unsigned char)s[i] & 0xC0) != 0x80;
	return k;
}

static void japanese(nctx *c, cr_analyzer *an, size_t ls, size_t le, mlist *ml)
{
	const char *s = c->s;
	ml->n = 0;
	ml->base = ls;
	cr_err e = cr_text_morphs(an, s + ls, le - ls, on_morph, ml, NULL);
	if (ml->oom)
		c->oom = 1;
	if (e)
		return;
	morph *m = ml->v;
	size_t n = ml->n;
	for (size_t i = 0; i < n; i++) {
		if (m[i].person && all_cjk(s, m[i].s, m[i].e)) {
			size_t j = i + 1, sei = m[i].person == 1, parts = 1;
			while (j < n && m[j].person && all_cjk(s, m[j].s, m[j].e) &&
			       (m[j].s == m[j - 1].e || (m[j].s == m[j - 1].e + 1 && s[m[j - 1].e] == ' '))) {
				sei |= m[j].person == 1;
				parts++;
				j++;
			}
			size_t b = m[i].s, end = m[j - 1].e;
			size_t t = title_at(s, le, end);
			int ok;
			if (t)
				ok = 1;
			else if (cjk_at(s, le, end))
				ok = 0; /* glued to a noun: 田中角栄記念館 */
			else
				ok = parts >= 2 || (sei && n_chars(s, b, end) >= 2);
			if (ok && cjk_before(s, b) && !(i > 0 && m[i - 1].person))
				ok = 0;
			if (ok) {
				learn(c, b, end);
				/* the name in Latin letters after it: 福田 浩二（Koji Fukuda） */
				if (end < le && s[end] == '(') {
					int k = 0;
					size_t we = cap_words(s, le, end + 1, 3, &k);
					if (k && we < le && s[we] == ')')
						learn(c, end + 1, we);
				}
			}
			i = j - 1;
			continue;
		}
		/* a noun MeCab does not call a name, before an honorific or title */
		if (m[i].noun && i + 1 < n && m[i + 1].s == m[i].e && all_cjk(s, m[i].s, m[i].e)) {
			size_t t = title_at(s, le, m[i].e);
			int hon = m[i + 1].suffix;
			if ((hon || (t && m[i].noun == 1)) && !not_name_ja(s + m[i].s, m[i].e - m[i].s) &&
			    !has_org_ja(s + m[i].s, m[i].e - m[i].s) && !cjk_before(s, m[i].s))
				learn(c, m[i].s, m[i].e);
		}
		/* ASCII words before さん/様: "Emma Schneiderさん" */
		if (m[i].suffix && m[i].s > ls && pii_is_alpha(s[m[i].s - 1])) {
			size_t b = m[i].s;
			int words = 0;
			while (b > ls && words < 3) {
				size_t w = b;
				while (w > ls && pii_is_alpha(s[w - 1]))
					w--;
				if (w == b || !pii_is_upper(s[w]))
					break;
				b = w;
				words++;
				if (b > ls + 1 && s[b - 1] == ' ' && pii_is_alpha(s[b - 2]))
					b--;
				else
					break;
			}
			while (b < m[i].s && s[b] == ' ')
				b++;
			if (words)
				learn(c, b, m[i].s);
		}
	}
}

/* ---- pass 2: known names everywhere -------------------------------------------------------- */

/* Whether name nm matches at s[i..): returns the end, or 0. A space in the
 * name is optional in the text between Japanese characters, and a space
 * in the text between Japanese characters is optional in the name. */
static size_t match_at(const char *s, size_t n, size_t i, const char *nm)
{
	size_t p = i;
	const char *q = nm;
	while (*q) {
		if (p < n && *q == s[p]) {
			p++, q++;
			continue;
		}
		if (*q == ' ' && (unsigned char)q[1] >= 0x80) {
			q++;
			continue;
		}
		if (p < n && s[p] == ' ' && (unsigned char)*q >= 0x80 && p > i && (unsigned char)s[p - 1] >= 0x80) {
			p++;
			continue;
		}
		return 0;
	}
	return p;
}

static void occurrences(nctx *c, const pii_names *ns)
{
	const char *s = c->s;
	size_t n = c->n;
	for (size_t k = 0; k < ns->n; k++) {
		const char *nm = ns->v[k];
		int ascii = (unsigned char)nm[0] < 0x80;
		for (size_t i = 0; i < n; i++) {
			if (s[i] != nm[0])
				continue;
			size_t e = match_at(s, n, i, nm);
			if (!e)
				continue;
			if (ascii) {
				if (!word_start(s, i) || (e < n && pii_is_alnum(s[e])))
					continue;
			} else {
				if (cjk_before(s, i))
					continue;
				if (cjk_at(s, n, e) && !title_at(s, n, e))
					continue;
			}
			pii_cands_add(c->out, (uint32_t)i, (uint32_t)e, CR_PII_PERSON, 2);
			i = e - 1;
		}
	}
}

int pii_find_names(cr_analyzer *an, const pii_fold *f, const pii_names *caller, pii_names *learned,
		   pii_cands *out)
{
	nctx c = {f, f->s, f->n, caller, learned, out, 0};
	const char *s = f->s;
	mlist ml = {0};
	int after_closing = 0;
	for (size_t ls = 0; ls < f->n;) {
		size_t le = ls;
		while (le < f->n && s[le] != '\n')
			le++;
		size_t blank = ls;
		while (blank < le && (s[blank] == ' ' || s[blank] == '\r'))
			blank++;
		if (blank < le) {
			if (after_closing)
				signature(&c, ls, le);
			after_closing = closing_line(s, ls, le);
			labels(&c, ls, le);
			english(&c, ls, le);
			int ja = 0;
			for (size_t i = ls; i < le && !ja; i++)
				ja = (unsigned char)s[i] >= 0xE3;
			if (ja && an) {
				/* MeCab sees a line at a time, 16 KiB at most */
				for (size_t b = ls; b < le;) {
					size_t e2 = le - b > 16384 ? b + 16384 : le;
					while (e2 < le && e2 > b && ((unsigned char)s[e2] & 0xC0) == 0x80)
						e2--;
					japanese(&c, an, b, e2, &ml);
					b = e2;
				}
			}
		}
		ls = le + 1;
	}
	cr_free(ml.v);
	if (out) {
		occurrences(&c, caller);
		occurrences(&c, learned);
	}
	if (c.oom && out)
		out->oom = 1;
	return c.oom;
}
