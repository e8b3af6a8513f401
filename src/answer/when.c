/*
 * when.c — questions that ask when a period ends or how long it lasts,
 * and sentences that say so.
 *
 * "How long will the pilot run?" and パイロットはいつまでですか want
 * "from May 29 to June 26", not "the pilot starts on May 29", though both
 * hold the same words; "By when will Sato reconfirm?" wants 3月10日までに.
 * A question's cue (how long, until when, by when, いつまで, 期間, 期限,
 * when ... ends) and a sentence's end or length (until/till/through/by a
 * date, from ... to a date, a date まで, 5月29日〜6月26日, four weeks,
 * 4週間) are found in the normalized text (lower case, NFKC), so ～ is ~
 * and ４ is 4.
 */
#define _GNU_SOURCE /* memmem */
#include <string.h>

#include "answer_int.h"

static int digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int starts(const char *s, const char *end, const char *w)
{
	size_t n = strlen(w);
	return (size_t)(end - s) >= n && !memcmp(s, w, n);
}

static int letter(char c)
{
	return c >= 'a' && c <= 'z';
}

/* Does s (up to end) open with a date's first word: a digit, a month's or
 * a weekday's name or its first three letters as a word of its own ("mar
 * 3", not "marketing"), the end of a period, or a quarter? */
static int dateish(const char *s, const char *end)
{
	static const char *const names[] = {"january", "february", "march", "april", "june", "july", "august",
					    "september", "october", "november", "december", "monday", "tuesday",
					    "wednesday", "thursday", "friday", "saturday", "sunday", "end of",
					    "the end", "q1", "q2", "q3", "q4"};
	static const char *const abbrs[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep",
					    "sept", "oct", "nov", "dec", "mon", "tue", "wed", "thu", "fri",
					    "sat", "sun"};
	while (s < end && *s == ' ')
		s++;
	if (s < end && digit((unsigned char)*s))
		return 1;
	for (size_t i = 0; i < CR_ARRAY_LEN(names); i++)
		if (starts(s, end, names[i]))
			return 1;
	for (size_t i = 0; i < CR_ARRAY_LEN(abbrs); i++) {
		size_t n = strlen(abbrs[i]);
		if (starts(s, end, abbrs[i]) && (s + n == end || !letter(s[n])))
			return 1;
	}
	return 0;
}

/* A number given as a word (English) before a unit of time. */
static const char *const NUMBER_WORDS[] = {"one", "two", "three", "four", "five", "six", "seven", "eight",
					   "nine", "ten", "eleven", "twelve", "a few", "several", "a"};
static const char *const UNITS[] = {"day", "week", "month", "year", "hour", "minute", "quarter"};

/* Does a length of time open at s: "4 weeks", "four weeks", "10-day"? */
static int length_at(const char *s, const char *end)
{
	const char *p = s;
	if (p < end && digit((unsigned char)*p)) {
		while (p < end && (digit((unsigned char)*p) || *p == '.' || *p == ','))
			p++;
	} else {
		size_t i = 0;
		for (; i < CR_ARRAY_LEN(NUMBER_WORDS); i++)
			if (starts(p, end, NUMBER_WORDS[i])) {
				p += strlen(NUMBER_WORDS[i]);
				break;
			}
		if (i == CR_ARRAY_LEN(NUMBER_WORDS))
			return 0;
	}
	if (p < end && (*p == ' ' || *p == '-'))
		p++;
	else if (!digit((unsigned char)s[0]))
		return 0;
	for (size_t i = 0; i < CR_ARRAY_LEN(UNITS); i++)
		if (starts(p, end, UNITS[i]))
			return 1;
	return 0;
}

/* Japanese: 4週間, 10日間, 3か月, 2ヶ月, 1年間, 8時間 after a digit. */
static int ja_length_at(const char *p, const char *end)
{
	static const char *const units[] = {"日間", "週間", "か月", "ヶ月", "カ月", "箇月", "年間", "時間"};
	for (size_t i = 0; i < CR_ARRAY_LEN(units); i++)
		if (starts(p, end, units[i]))
			return 1;
	return 0;
}

/* Does the text before p (not before b) end a date: 日 月 年 末 時 分 期
 * 曜 週 (6月26日まで, 月末まで, 金曜まで, 再来週まで), or digits after a
 * slash or a colon (5/29〜, 14:00〜)? With `figures`, any digit too
 * (15まで): not before 〜, where 関節1〜3 is a range of joints. */
static int after_date(const char *b, const char *p, int figures)
{
	static const char *const ends[] = {"日", "月", "年", "末", "時", "分", "期", "曜", "週"};
	for (size_t i = 0; i < CR_ARRAY_LEN(ends); i++)
		if (p - b >= 3 && !memcmp(p - 3, ends[i], 3))
			return 1;
	if (p == b || !digit((unsigned char)p[-1]))
		return 0;
	if (figures)
		return 1;
	while (p > b && digit((unsigned char)p[-1]))
		p--;
	return p > b && (p[-1] == '/' || p[-1] == ':');
}

static int word_start(const char *b, const char *p)
{
	return p == b || !(letter(p[-1]) || digit((unsigned char)p[-1]));
}

static int states_end(const char *b, size_t n, int lengths)
{
	const char *end = b + n, *from = NULL;
	for (const char *p = b; p < end; p++) {
		if (word_start(b, p)) {
			if (starts(p, end, "from "))
				from = p;
			static const char *const marks[] = {"until ", "till ", "through ", "by ", "ending ", "ends "};
			for (size_t i = 0; i < CR_ARRAY_LEN(marks); i++)
				if (starts(p, end, marks[i]) && dateish(p + strlen(marks[i]), end))
					return 1;
			if (from && starts(p, end, "to ") && dateish(p + 3, end))
				return 1;
			if (lengths && length_at(p, end))
				return 1;
		}
		if (starts(p, end, "まで") && after_date(b, p, 1))
			return 1;
		if ((starts(p, end, "~") || starts(p, end, "〜")) && after_date(b, p, 0))
			return 1;
		if (lengths && digit((unsigned char)*p) && ja_length_at(p + 1, end))
			return 1;
	}
	return 0;
}

int cr_ans_states_end(const char *text, size_t len, int lengths)
{
	cr_buf b;
	cr_buf_init(&b, 0);
	int yes = !cr_text_normalize(text, len, &b) && b.data && states_end(b.data, b.len, lengths);
	cr_buf_release(&b);
	return yes;
}

static int asks_end(const char *b, size_t n)
{
	static const char *const lengths[] = {"how long", "how many days", "how many weeks", "how many months",
					      "期間", "何日間", "何週間", "何か月", "何ヶ月", "何カ月"};
	static const char *const cues[] = {"until when", "till when", "by when", "deadline", "due date",
					   "いつまで", "期限", "締め切り", "締切"};
	static const char *const ends[] = {" end", " finish", " expire", " close", " over"};
	const char *end = b + n;
	for (size_t i = 0; i < CR_ARRAY_LEN(lengths); i++)
		if (memmem(b, n, lengths[i], strlen(lengths[i])))
			return CR_ANS_LENGTH;
	for (size_t i = 0; i < CR_ARRAY_LEN(cues); i++)
		if (memmem(b, n, cues[i], strlen(cues[i])))
			return CR_ANS_END;
	if (!memmem(b, n, "when", 4))
		return 0;
	for (size_t i = 0; i < CR_ARRAY_LEN(ends); i++)
		for (const char *p = b; (p = memmem(p, (size_t)(end - p), ends[i], strlen(ends[i]))); p++) {
			const char *q = p + strlen(ends[i]);
			if (q == end || !letter(*q) || *q == 's' || starts(q, end, "ed"))
				return CR_ANS_END;
		}
	return 0;
}

int cr_ans_asks_end(const char *question)
{
	cr_buf b;
	cr_buf_init(&b, 0);
	int what = !cr_text_normalize(question, strlen(question), &b) && b.data ? asks_end(b.data, b.len) : 0;
	cr_buf_release(&b);
	return what;
}
