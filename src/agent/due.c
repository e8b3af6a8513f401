/*
 * due.c — due dates from what people write, resolved against the meeting's
 * date (agent.h: cr_due_find, its conventions).
 *
 * The sentence is first copied into a working form: ASCII letters lowered,
 * full-width digits and letters (０-９, Ａ-Ｚ) made ASCII, the full-width
 * slash and colon too, with each working byte remembering its offset in
 * the original, so the expression handed back is the text as written.
 * Then every character position is tried, leftmost first, by two sets of
 * matchers: English over words ("by friday next week", "end of month",
 * "december 13", "in two weeks", "q3") and Japanese over bytes (12月5日,
 * 来週金曜, 今週中, 月末, 年内, 来月10日, 明日中, 3日以内 ...). At one position
 * the longest match wins. Cost: O(positions × matchers), each matcher a few
 * comparisons; sentences are short.
 */
#include "agent_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* ---- calendar ----------------------------------------------------------- */

int64_t cr_ymd_days(cr_ymd d)
{
	/* days from civil (H. Hinnant's algorithm) */
	int64_t y = d.y - (d.m <= 2);
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (d.m + (d.m > 2 ? -3 : 9)) + 2) / 5 + d.d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

cr_ymd cr_ymd_from_days(int64_t z)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = yoe + era * 400;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int d = (int)(doy - (153 * mp + 2) / 5 + 1);
	int m = (int)(mp < 10 ? mp + 3 : mp - 9);
	return (cr_ymd){(int)(y + (m <= 2)), m, d};
}

void cr_ymd_iso(cr_ymd d, char out[11])
{
	char t[40];
	snprintf(t, sizeof t, "%04d-%02d-%02d", d.y % 10000, d.m % 100, d.d % 100);
	memcpy(out, t, 10);
	out[10] = 0;
}

static cr_ymd ymd(int y, int m, int d) { return (cr_ymd){y, m, d}; }

static int leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int month_days(int y, int m)
{
	static const int n[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && leap(y) ? 29 : n[(m - 1) % 12];
}

static int valid(cr_ymd d) { return d.y > 0 && d.m >= 1 && d.m <= 12 && d.d >= 1 && d.d <= month_days(d.y, d.m); }

/* 0 = Monday .. 6 = Sunday */
static int weekday(cr_ymd d)
{
	int64_t z = cr_ymd_days(d); /* 1970-01-01 was a Thursday (3) */
	return (int)(((z % 7) + 7 + 3) % 7);
}

static cr_ymd add_days(cr_ymd d, int64_t n) { return cr_ymd_from_days(cr_ymd_days(d) + n); }

/* Day wd (0 = Monday) of the week `weeks` after ref's week. */
static cr_ymd week_day(cr_ymd ref, int weeks, int wd) { return add_days(ref, 7 * weeks + wd - weekday(ref)); }

/* The first day wd strictly after ref. */
static cr_ymd next_weekday(cr_ymd ref, int wd)
{
	int k = (wd - weekday(ref) + 7) % 7;
	return add_days(ref, k ? k : 7);
}

static cr_ymd month_end(int y, int m)
{
	while (m > 12)
		m -= 12, y++;
	return (cr_ymd){y, m, month_days(y, m)};
}

/* Month and day without a year: the meeting's year, or the next one if that
 * lies more than 90 days back. */
static cr_ymd near_date(cr_ymd ref, int m, int d)
{
	cr_ymd r = {ref.y, m, d};
	if (ref.y && m == 2 && d == 29 && !leap(ref.y))
		r.y++;
	if (ref.y && cr_ymd_days(r) < cr_ymd_days(ref) - 90)
		r.y++;
	return r;
}

/* "the 15th": this month's, next month's once passed */
static cr_ymd day_of_month(cr_ymd ref, int d)
{
	cr_ymd r = {ref.y, ref.m, d};
	if (d < ref.d) {
		r.m++;
		if (r.m > 12)
			r.m = 1, r.y++;
	}
	return r;
}

static cr_ymd quarter_end(int y, int q) { return month_end(y, 3 * q); }

/* ---- the working copy ----------------------------------------------------- */

typedef struct work {
	char *s;     /* working bytes */
	size_t *o;   /* original offset of each working byte; o[n] = original length */
	size_t n;
} work;

static int make_work(const char *t, size_t len, work *w)
{
	w->s = malloc(len + 1);
	w->o = malloc((len + 1) * sizeof *w->o);
	if (!w->s || !w->o)
		return -1;
	size_t n = 0;
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)t[i];
		/* full-width forms U+FF01..U+FF5E: EF BC 81..BF, EF BD 80..9E */
		if (c == 0xEF && i + 2 < len && ((unsigned char)t[i + 1] == 0xBC || (unsigned char)t[i + 1] == 0xBD)) {
			unsigned char b1 = (unsigned char)t[i + 1], b2 = (unsigned char)t[i + 2];
			unsigned cp = (b1 == 0xBC ? 0xFF00u : 0xFF40u) + (unsigned)(b2 - 0x80);
			if (cp >= 0xFF01 && cp <= 0xFF5E) {
				char a = (char)(cp - 0xFF01 + 0x21);
				w->s[n] = (char)tolower((unsigned char)a);
				w->o[n++] = i;
				i += 3;
				continue;
			}
		}
		w->s[n] = c < 0x80 ? (char)tolower(c) : (char)c;
		w->o[n++] = i;
		i++;
	}
	w->s[n] = 0;
	w->o[n] = len;
	w->n = n;
	return 0;
}

/* ---- matches ---------------------------------------------------------------- */

typedef struct match {
	size_t len;      /* working bytes */
	cr_due_kind kind;
	cr_ymd date;     /* y == 0: unresolved */
	int deadline;    /* marked as a deadline (by, until, まで...) */
	size_t pre;      /* bytes of a "by " before the position that belong to it */
} match;

static int is_word(char c) { return isalnum((unsigned char)c); }

/* The word at p (letters and digits), its length; 0 if none. */
static size_t word_len(const char *s, size_t p, size_t n)
{
	size_t k = p;
	while (k < n && is_word(s[k]))
		k++;
	return k - p;
}

/* Skips spaces, commas, hyphens between words. */
static size_t skip_sp(const char *s, size_t p, size_t n)
{
	while (p < n && (s[p] == ' ' || s[p] == '\t' || s[p] == ',' || s[p] == '-'))
		p++;
	return p;
}

/* Does the word at p equal w? Then returns p after it, else 0. */
static size_t word_is(const char *s, size_t p, size_t n, const char *w)
{
	size_t l = strlen(w), k = word_len(s, p, n);
	return k == l && !memcmp(s + p, w, l) ? p + l : 0;
}

static const char *const WEEKDAYS[7] = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};
static const char *const MONTHS[12] = {"january", "february", "march",     "april",   "may",      "june",
				       "july",    "august",   "september", "october", "november", "december"};
static const char *const MONTHS3[12] = {"jan", "feb", "mar", "apr", "may", "jun",
					"jul", "aug", "sep", "oct", "nov", "dec"};
static const char *const NUMBERS[13] = {"zero", "one", "two",   "three", "four",   "five",  "six",
					"seven", "eight", "nine", "ten",  "eleven", "twelve"};

static int weekday_at(const char *s, size_t p, size_t n, size_t *end)
{
	size_t k = word_len(s, p, n);
	for (int i = 0; i < 7; i++) {
		size_t l = strlen(WEEKDAYS[i]);
		if ((k == l && !memcmp(s + p, WEEKDAYS[i], l)) ||
		    (k == l + 1 && !memcmp(s + p, WEEKDAYS[i], l) && s[p + l] == 's')) {
			*end = p + k;
			return i;
		}
	}
	return -1;
}

/* A month name (full, "sept", or 3 letters with an optional dot). */
static int month_at(const char *s, size_t p, size_t n, size_t *end)
{
	size_t k = word_len(s, p, n);
	for (int i = 0; i < 12; i++) {
		size_t l = strlen(MONTHS[i]);
		if ((k == l && !memcmp(s + p, MONTHS[i], l)) || (k == 3 && !memcmp(s + p, MONTHS3[i], 3)) ||
		    (i == 8 && k == 4 && !memcmp(s + p, "sept", 4))) {
			*end = p + k + (k <= 4 && p + k < n && s[p + k] == '.');
			return i + 1;
		}
	}
	return 0;
}

/* Digits at p (1..4 of them, not more), value; optional ordinal suffix. */
static int number_at(const char *s, size_t p, size_t n, size_t *end, int ordinal_ok)
{
	size_t k = p;
	int v = 0;
	while (k < n && isdigit((unsigned char)s[k]) && k - p < 5)
		v = v * 10 + (s[k++] - '0');
	if (k == p || k - p > 4 || (k < n && isdigit((unsigned char)s[k])))
		return -1;
	if (ordinal_ok && k + 2 <= n &&
	    (!memcmp(s + k, "st", 2) || !memcmp(s + k, "nd", 2) || !memcmp(s + k, "rd", 2) || !memcmp(s + k, "th", 2)))
		k += 2;
	if (k < n && isalpha((unsigned char)s[k]))
		return -1;
	*end = k;
	return v;
}

/* A count: digits or a number word ("a", "an" = 1). */
static int count_at(const char *s, size_t p, size_t n, size_t *end)
{
	int v = number_at(s, p, n, end, 0);
	if (v >= 0)
		return v;
	for (int i = 1; i < 13; i++)
		if ((*end = word_is(s, p, n, NUMBERS[i])))
			return i;
	if ((*end = word_is(s, p, n, "a")) || (*end = word_is(s, p, n, "an")))
		return 1;
	if ((*end = word_is(s, p, n, "couple"))) {
		size_t e2 = skip_sp(s, *end, n);
		if ((e2 = word_is(s, e2, n, "of")))
			*end = e2;
		return 2;
	}
	return -1;
}

/* An optional year after a date: ", 2026" or " 2026". */
static int year_after(const char *s, size_t p, size_t n, size_t *end)
{
	size_t q = skip_sp(s, p, n), e;
	int y = number_at(s, q, n, &e, 0);
	if (y >= 1970 && y <= 2999 && e - q == 4) {
		*end = e;
		return y;
	}
	return 0;
}

/* English: tries every pattern at word start p; fills the longest. */
static void match_en(const char *s, size_t p, size_t n, cr_ymd ref, match *best)
{
	if (p > 0 && is_word(s[p - 1]))
		return;
	match m = {0};
	size_t e, q, r;
	int v;
#define TRY(LEN, KIND, DATE)                                             \
	do {                                                             \
		size_t l_ = (LEN) - p;                                   \
		if (l_ > best->len) {                                    \
			memset(best, 0, sizeof *best);                   \
			best->len = l_;                                  \
			best->kind = (KIND);                             \
			best->date = (DATE);                             \
		}                                                        \
	} while (0)
	const int known = ref.y != 0;
	const cr_ymd none = {0, 0, 0};
	(void)m;

	/* this|next|coming <weekday> [week]; this|next week; the week after next */
	int shift = -1;
	if ((e = word_is(s, p, n, "this")))
		shift = 0;
	else if ((e = word_is(s, p, n, "next")))
		shift = 1;
	else if ((e = word_is(s, p, n, "coming")))
		shift = 2;
	if (shift >= 0) {
		q = skip_sp(s, e, n);
		if ((v = weekday_at(s, q, n, &r)) >= 0)
			TRY(r, CR_DUE_WEEKDAY,
			    !known ? none : shift == 2 ? next_weekday(ref, v) : week_day(ref, shift, v));
		else if (shift < 2 && (r = word_is(s, q, n, "week")))
			TRY(r, CR_DUE_WEEK, known ? week_day(ref, shift, 4) : none);
		else if (shift < 2 && (r = word_is(s, q, n, "month")))
			TRY(r, shift ? CR_DUE_VAGUE : CR_DUE_MONTH, known && !shift ? month_end(ref.y, ref.m) : none);
		else if (shift < 2 && (r = word_is(s, q, n, "quarter")))
			TRY(r, CR_DUE_PERIOD, known ? quarter_end(ref.y, (ref.m - 1) / 3 + 1 + shift) : none);
		else if (shift == 1 && ((r = word_is(s, q, n, "meeting")) || (r = word_is(s, q, n, "review")) ||
					(r = word_is(s, q, n, "sync")) || (r = word_is(s, q, n, "time"))))
			TRY(r, CR_DUE_VAGUE, none);
	}
	if ((e = word_is(s, p, n, "the"))) {
		q = skip_sp(s, e, n);
		if ((r = word_is(s, q, n, "week")) && (r = word_is(s, skip_sp(s, r, n), n, "after")) &&
		    (r = word_is(s, skip_sp(s, r, n), n, "next")))
			TRY(r, CR_DUE_WEEK, known ? week_day(ref, 2, 4) : none);
		/* the 15th */
		if ((v = number_at(s, q, n, &r, 1)) >= 1 && v <= 31 && r - q >= 3 && isalpha((unsigned char)s[r - 1]))
			TRY(r, CR_DUE_DATE, known ? day_of_month(ref, v) : none);
	}
	/* <weekday> [of] (this|next) week | <weekday> [month day] | <weekday> */
	if ((v = weekday_at(s, p, n, &e)) >= 0) {
		TRY(e, CR_DUE_WEEKDAY, known ? next_weekday(ref, v) : none);
		q = skip_sp(s, e, n);
		size_t q2 = word_is(s, q, n, "of");
		if (q2)
			q = skip_sp(s, q2, n);
		int sh = (r = word_is(s, q, n, "next")) ? 1 : (r = word_is(s, q, n, "this")) ? 0 : -1;
		size_t r2;
		if (sh >= 0 && (r2 = word_is(s, skip_sp(s, r, n), n, "week")))
			TRY(r2, CR_DUE_WEEKDAY, known ? week_day(ref, sh, v) : none);
	}
	/* <month> <day>[, year] | <month> (end) */
	int mo;
	if ((mo = month_at(s, p, n, &e))) {
		q = skip_sp(s, e, n);
		size_t q2 = word_is(s, q, n, "the");
		if (q2)
			q = skip_sp(s, q2, n);
		if ((v = number_at(s, q, n, &r, 1)) >= 1 && v <= 31) {
			int y = year_after(s, r, n, &r);
			cr_ymd d = y ? (cr_ymd){y, mo, v} : known ? near_date(ref, mo, v) : none;
			TRY(r, CR_DUE_DATE, valid(d) ? d : none);
		}
	}
	/* <day> [of] <month> [year] */
	if ((v = number_at(s, p, n, &e, 1)) >= 1 && v <= 31) {
		q = skip_sp(s, e, n);
		size_t q2 = word_is(s, q, n, "of");
		if (q2)
			q = skip_sp(s, q2, n);
		if ((mo = month_at(s, q, n, &r)) && (mo != 5 || q2 || e - p <= 2)) {
			int y = year_after(s, r, n, &r);
			cr_ymd d = y ? (cr_ymd){y, mo, v} : known ? near_date(ref, mo, v) : none;
			TRY(r, CR_DUE_DATE, valid(d) ? d : none);
		}
	}
	/* ISO yyyy-mm-dd, yyyy/mm/dd; m/d */
	if (isdigit((unsigned char)s[p])) {
		int y, mm, dd;
		size_t k;
		if (sscanf(s + p, "%4d-%2d-%2d%zn", &y, &mm, &dd, &k) == 3 ||
		    sscanf(s + p, "%4d/%2d/%2d%zn", &y, &mm, &dd, &k) == 3) {
			cr_ymd d = {y, mm, dd};
			if (y >= 1970 && valid(d) && (p + k >= n || !isdigit((unsigned char)s[p + k])))
				TRY(p + k, CR_DUE_DATE, d);
		} else if (sscanf(s + p, "%2d/%2d%zn", &mm, &dd, &k) == 2 && (p + k >= n || !isdigit((unsigned char)s[p + k])) &&
			   (p + k >= n || s[p + k] != '/') && (p == 0 || s[p - 1] != '/')) {
			cr_ymd d = known ? near_date(ref, mm, dd) : (cr_ymd){2000, mm, dd};
			if (valid(d) && mm >= 1)
				TRY(p + k, CR_DUE_DATE, known ? d : none);
		}
	}
	/* end of (the) (day|week|next week|month|next month|<month>|year|quarter|q3) */
	size_t eo = 0;
	if ((e = word_is(s, p, n, "end")) && (q = word_is(s, skip_sp(s, e, n), n, "of")))
		eo = skip_sp(s, q, n);
	if (eo) {
		size_t q2 = word_is(s, eo, n, "the");
		q = q2 ? skip_sp(s, q2, n) : eo;
		int sh = (r = word_is(s, q, n, "next")) ? 1 : (r = word_is(s, q, n, "this")) ? 0 : -1;
		size_t w0 = sh >= 0 ? skip_sp(s, r, n) : q;
		if ((r = word_is(s, w0, n, "day")) || (r = word_is(s, w0, n, "business")))
			TRY(word_is(s, skip_sp(s, r, n), n, "day") ? word_is(s, skip_sp(s, r, n), n, "day") : r, CR_DUE_DAY,
			    known ? ref : none);
		if ((r = word_is(s, w0, n, "week")))
			TRY(r, CR_DUE_WEEK, known ? week_day(ref, sh > 0, 4) : none);
		if ((r = word_is(s, w0, n, "month")))
			TRY(r, CR_DUE_MONTH, known ? month_end(ref.y, ref.m + (sh > 0)) : none);
		if ((r = word_is(s, w0, n, "year")))
			TRY(r, CR_DUE_PERIOD, known ? ymd(ref.y + (sh > 0), 12, 31) : none);
		if ((r = word_is(s, w0, n, "quarter")))
			TRY(r, CR_DUE_PERIOD, known ? quarter_end(ref.y, (ref.m - 1) / 3 + 1 + (sh > 0)) : none);
		if (sh < 0 && (mo = month_at(s, w0, n, &r))) {
			int y = year_after(s, r, n, &r);
			cr_ymd d = y ? month_end(y, mo) : known ? month_end(near_date(ref, mo, 1).y, mo) : none;
			if (!y && known && cr_ymd_days(d) < cr_ymd_days(ref) - 90)
				d.y++;
			TRY(r, CR_DUE_MONTH, d);
		}
	}
	/* eod [tomorrow|today|friday], cob, today, tonight, tomorrow */
	if ((e = word_is(s, p, n, "eod")) || (e = word_is(s, p, n, "cob")) || (e = word_is(s, p, n, "today")) ||
	    (e = word_is(s, p, n, "tonight"))) {
		TRY(e, CR_DUE_DAY, known ? ref : none);
		q = skip_sp(s, e, n);
		if ((r = word_is(s, q, n, "tomorrow")))
			TRY(r, CR_DUE_DAY, known ? add_days(ref, 1) : none);
		else if ((r = word_is(s, q, n, "today")))
			TRY(r, CR_DUE_DAY, known ? ref : none);
		else if ((v = weekday_at(s, q, n, &r)) >= 0)
			TRY(r, CR_DUE_WEEKDAY, known ? next_weekday(ref, v) : none);
	}
	if ((e = word_is(s, p, n, "tomorrow")))
		TRY(e, CR_DUE_DAY, known ? add_days(ref, 1) : none);
	if ((e = word_is(s, p, n, "day")) && (q = word_is(s, skip_sp(s, e, n), n, "after")) &&
	    (r = word_is(s, skip_sp(s, q, n), n, "tomorrow")))
		TRY(r, CR_DUE_DAY, known ? add_days(ref, 2) : none);
	/* eow, eom, eoy, month end, year end */
	if ((e = word_is(s, p, n, "eow")))
		TRY(e, CR_DUE_WEEK, known ? week_day(ref, 0, 4) : none);
	if ((e = word_is(s, p, n, "eom")) ||
	    ((e = word_is(s, p, n, "month")) && (e = word_is(s, skip_sp(s, e, n), n, "end"))))
		TRY(e, CR_DUE_MONTH, known ? month_end(ref.y, ref.m) : none);
	if ((e = word_is(s, p, n, "eoy")) ||
	    ((e = word_is(s, p, n, "year")) && (e = word_is(s, skip_sp(s, e, n), n, "end"))))
		TRY(e, CR_DUE_PERIOD, known ? ymd(ref.y, 12, 31) : none);
	/* q1..q4 [year], (the) first..fourth quarter */
	if (s[p] == 'q' && p + 1 < n && s[p + 1] >= '1' && s[p + 1] <= '4' && (p + 2 >= n || !is_word(s[p + 2]))) {
		int qn = s[p + 1] - '0';
		size_t k = p + 2;
		int y = year_after(s, k, n, &k);
		if (!y && k + 5 <= n && s[k] == ' ' && s[k + 1] == 'f' && s[k + 2] == 'y' && isdigit((unsigned char)s[k + 3]) &&
		    isdigit((unsigned char)s[k + 4]))
			y = 2000 + (s[k + 3] - '0') * 10 + (s[k + 4] - '0'), k += 5;
		cr_ymd d = none;
		if (y)
			d = quarter_end(y, qn);
		else if (known) {
			d = quarter_end(ref.y, qn);
			if (cr_ymd_days(d) < cr_ymd_days(ref))
				d.y++;
		}
		TRY(k, CR_DUE_PERIOD, d);
	}
	/* in|within N days|weeks|months; in a week */
	if ((e = word_is(s, p, n, "in")) || (e = word_is(s, p, n, "within"))) {
		q = skip_sp(s, e, n);
		size_t q2 = word_is(s, q, n, "the");
		if (q2 && (r = word_is(s, skip_sp(s, q2, n), n, "next")))
			q = skip_sp(s, r, n);
		if ((v = count_at(s, q, n, &r)) > 0) {
			q = skip_sp(s, r, n);
			if ((r = word_is(s, q, n, "days")) || (r = word_is(s, q, n, "day")))
				TRY(r, CR_DUE_SPAN, known ? add_days(ref, v) : none);
			else if ((r = word_is(s, q, n, "weeks")) || (r = word_is(s, q, n, "week")))
				TRY(r, CR_DUE_SPAN, known ? add_days(ref, 7 * v) : none);
			else if ((r = word_is(s, q, n, "business")) && (r = word_is(s, skip_sp(s, r, n), n, "days"))) {
				cr_ymd d = ref;
				for (int i = 0; known && i < v;) {
					d = add_days(d, 1);
					i += weekday(d) < 5;
				}
				TRY(r, CR_DUE_SPAN, known ? d : none);
			}
		}
	}
	/* vague: asap, as soon as possible, mid-june, early|late <month> */
	if ((e = word_is(s, p, n, "asap")))
		TRY(e, CR_DUE_VAGUE, none);
	if ((e = word_is(s, p, n, "as")) && (e = word_is(s, skip_sp(s, e, n), n, "soon")) &&
	    (e = word_is(s, skip_sp(s, e, n), n, "as")) && (e = word_is(s, skip_sp(s, e, n), n, "possible")))
		TRY(e, CR_DUE_VAGUE, none);
	if (((e = word_is(s, p, n, "mid")) || (e = word_is(s, p, n, "early")) || (e = word_is(s, p, n, "late"))) &&
	    month_at(s, skip_sp(s, e, n), n, &r))
		TRY(r, CR_DUE_VAGUE, none);
#undef TRY
}

/* ---- Japanese ------------------------------------------------------------- */

static size_t lit(const char *s, size_t p, size_t n, const char *w)
{
	size_t l = strlen(w);
	return p + l <= n && !memcmp(s + p, w, l) ? p + l : 0;
}

static int digits_at(const char *s, size_t p, size_t n, size_t *end)
{
	size_t k = p;
	int v = 0;
	while (k < n && isdigit((unsigned char)s[k]) && k - p < 5)
		v = v * 10 + (s[k++] - '0');
	if (k == p || (k < n && isdigit((unsigned char)s[k])))
		return -1;
	*end = k;
	return v;
}

static const char *const JWD[7] = {"月", "火", "水", "木", "金", "土", "日"};

/* X曜[日] → 0..6 */
static int jweekday_at(const char *s, size_t p, size_t n, size_t *end)
{
	for (int i = 0; i < 7; i++) {
		size_t e = lit(s, p, n, JWD[i]);
		if (e && (e = lit(s, e, n, "曜"))) {
			size_t e2 = lit(s, e, n, "日");
			*end = e2 ? e2 : e;
			return i;
		}
	}
	return -1;
}

static void match_ja(const char *s, size_t p, size_t n, cr_ymd ref, match *best)
{
	size_t e, r;
	int v, mo;
	const int known = ref.y != 0;
	const cr_ymd none = {0, 0, 0};
#define TRY(END, KIND, DATE)                                             \
	do {                                                             \
		size_t l_ = (END) - p;                                   \
		if (l_ > best->len) {                                    \
			memset(best, 0, sizeof *best);                   \
			best->len = l_;                                  \
			best->kind = (KIND);                             \
			best->date = (DATE);                             \
		}                                                        \
	} while (0)
	/* digits: [yyyy年]m月d日, m月末, m月中, m月上旬..., d日 */
	if (isdigit((unsigned char)s[p]) && (p == 0 || !isdigit((unsigned char)s[p - 1]))) {
		int y = 0;
		size_t q = p;
		if ((v = digits_at(s, p, n, &e)) >= 1970 && (r = lit(s, e, n, "年"))) {
			y = v;
			q = r;
		}
		if ((mo = digits_at(s, q, n, &e)) >= 1 && mo <= 12 && (e = lit(s, e, n, "月"))) {
			size_t e2;
			if ((v = digits_at(s, e, n, &e2)) >= 1 && v <= 31 && (e2 = lit(s, e2, n, "日"))) {
				cr_ymd d = y ? (cr_ymd){y, mo, v} : known ? near_date(ref, mo, v) : none;
				TRY(e2, CR_DUE_DATE, valid(d) ? d : none);
			} else if ((e2 = lit(s, e, n, "末")) || (e2 = lit(s, e, n, "いっぱい")) ||
				   ((e2 = lit(s, e, n, "中")) && !lit(s, e2, n, "旬"))) {
				cr_ymd d = y ? month_end(y, mo) : known ? month_end(near_date(ref, mo, 1).y, mo) : none;
				TRY(e2, CR_DUE_MONTH, d);
			} else if ((e2 = lit(s, e, n, "上旬")) || (e2 = lit(s, e, n, "中旬")) || (e2 = lit(s, e, n, "下旬")) ||
				   (e2 = lit(s, e, n, "初め")) || (e2 = lit(s, e, n, "頃")) || (e2 = lit(s, e, n, "ごろ"))) {
				TRY(e2, CR_DUE_VAGUE, none);
			}
		}
		/* a bare day: 20日まで (not 20日以内, 20日間) */
		if ((v = digits_at(s, p, n, &e)) >= 1 && v <= 31 && (e = lit(s, e, n, "日")) &&
		    (lit(s, e, n, "まで") || lit(s, e, n, "に")))
			TRY(e, CR_DUE_DATE, known ? day_of_month(ref, v) : none);
		/* N日以内 / N日後 / N営業日以内 / N週間[以内|後] */
		if ((v = digits_at(s, p, n, &e)) >= 1) {
			size_t e2;
			if ((e2 = lit(s, e, n, "日以内")) || (e2 = lit(s, e, n, "日後")) || (e2 = lit(s, e, n, "日間で")))
				TRY(e2, CR_DUE_SPAN, known ? add_days(ref, v) : none);
			if ((e2 = lit(s, e, n, "週間"))) {
				size_t e3 = lit(s, e2, n, "以内");
				if (!e3)
					e3 = lit(s, e2, n, "後");
				if (e3)
					TRY(e3, CR_DUE_SPAN, known ? add_days(ref, 7 * v) : none);
			}
			if ((e2 = lit(s, e, n, "営業日以内"))) {
				cr_ymd d = ref;
				for (int i = 0; known && i < v;) {
					d = add_days(d, 1);
					i += weekday(d) < 5;
				}
				TRY(e2, CR_DUE_SPAN, known ? d : none);
			}
		}
	}
	/* 来月[の]10日, 今月[の]10日, 来月末/中, 今月末/中, 月末, 再来月末 */
	int msh = (e = lit(s, p, n, "再来月")) ? 2 : (e = lit(s, p, n, "来月")) ? 1 : (e = lit(s, p, n, "今月")) ? 0 : -1;
	if (msh >= 0) {
		size_t q = lit(s, e, n, "の");
		q = q ? q : e;
		size_t e2;
		if ((v = digits_at(s, q, n, &e2)) >= 1 && v <= 31 && (e2 = lit(s, e2, n, "日"))) {
			cr_ymd d = known ? (cr_ymd){ref.y, ref.m + msh, v} : none;
			if (known && d.m > 12)
				d.m -= 12, d.y++;
			TRY(e2, CR_DUE_DATE, known && valid(d) ? d : none);
		}
		if ((e2 = lit(s, e, n, "末")) || (e2 = lit(s, e, n, "中")) || (e2 = lit(s, e, n, "いっぱい")))
			if (!lit(s, e2, n, "旬"))
				TRY(e2, CR_DUE_MONTH, known ? month_end(ref.y, ref.m + msh) : none);
		if ((e2 = lit(s, e, n, "上旬")) || (e2 = lit(s, e, n, "中旬")) || (e2 = lit(s, e, n, "下旬")))
			TRY(e2, CR_DUE_VAGUE, none);
	}
	if ((e = lit(s, p, n, "月末")) && (p < 3 || !lit(s, p - 3, n, "今")))
		TRY(e, CR_DUE_MONTH, known ? month_end(ref.y, ref.m) : none);
	/* 今週 / 来週 / 再来週 [の X曜 | 中 | 末 | いっぱい] */
	int wsh = (e = lit(s, p, n, "再来週")) ? 2 : (e = lit(s, p, n, "来週")) ? 1 : (e = lit(s, p, n, "今週")) ? 0 : -1;
	if (wsh >= 0) {
		size_t q = lit(s, e, n, "の"), e2;
		q = q ? q : e;
		if ((v = jweekday_at(s, q, n, &e2)) >= 0)
			TRY(e2, CR_DUE_WEEKDAY, known ? week_day(ref, wsh, v) : none);
		else if ((e2 = lit(s, e, n, "中")) || (e2 = lit(s, e, n, "末")) || (e2 = lit(s, e, n, "いっぱい")))
			TRY(e2, CR_DUE_WEEK, known ? week_day(ref, wsh, 4) : none);
		else if (!lit(s, e, n, "の"))
			TRY(e, CR_DUE_WEEK, known ? week_day(ref, wsh, 4) : none);
	}
	/* a bare weekday: 金曜まで */
	if ((v = jweekday_at(s, p, n, &e)) >= 0 && !(p >= 3 && (lit(s, p - 3, n, "週") || lit(s, p - 3, n, "の"))))
		TRY(e, CR_DUE_WEEKDAY, known ? next_weekday(ref, v) : none);
	/* 本日中 今日中 明日中 明後日 あさって */
	if ((e = lit(s, p, n, "本日")) || (e = lit(s, p, n, "今日"))) {
		size_t e2 = lit(s, e, n, "中");
		TRY(e2 ? e2 : e, CR_DUE_DAY, known ? ref : none);
	}
	if ((e = lit(s, p, n, "明日"))) {
		size_t e2 = lit(s, e, n, "中");
		TRY(e2 ? e2 : e, CR_DUE_DAY, known ? add_days(ref, 1) : none);
	}
	if ((e = lit(s, p, n, "明後日")) || (e = lit(s, p, n, "あさって")))
		TRY(e, CR_DUE_DAY, known ? add_days(ref, 2) : none);
	/* 年内 今年中 年末 年度末 年度内 今年度中 第N四半期 */
	if ((e = lit(s, p, n, "年内")) || (e = lit(s, p, n, "今年中")) || (e = lit(s, p, n, "年末")))
		TRY(e, CR_DUE_PERIOD, known ? ymd(ref.y, 12, 31) : none);
	if ((e = lit(s, p, n, "年度末")) || (e = lit(s, p, n, "年度内")) || (e = lit(s, p, n, "今年度中")))
		TRY(e, CR_DUE_PERIOD, known ? ymd(ref.m >= 4 ? ref.y + 1 : ref.y, 3, 31) : none);
	if ((e = lit(s, p, n, "第")) && (v = digits_at(s, e, n, &r)) >= 1 && v <= 4 && (r = lit(s, r, n, "四半期"))) {
		cr_ymd d = none;
		if (known) {
			d = quarter_end(ref.y, v);
			if (cr_ymd_days(d) < cr_ymd_days(ref))
				d.y++;
		}
		TRY(r, CR_DUE_PERIOD, d);
	}
	/* vague: 至急 早急に できるだけ早く なるべく早く 次回まで 近日中 */
	if ((e = lit(s, p, n, "至急")) || (e = lit(s, p, n, "早急")) || (e = lit(s, p, n, "できるだけ早く")) ||
	    (e = lit(s, p, n, "なるべく早く")) || (e = lit(s, p, n, "近日中")) ||
	    ((e = lit(s, p, n, "次回")) && (lit(s, e, n, "まで") || lit(s, e, n, "の会議まで"))))
		TRY(e, CR_DUE_VAGUE, none);
#undef TRY
}

/* ---- the scan ------------------------------------------------------------- */

static const char *const KIND_NAMES[CR_DUE_N_KINDS] = {"none", "date",  "weekday", "week", "day",
							"month", "period", "span",  "vague"};

const char *cr_due_kind_name(cr_due_kind k) { return (unsigned)k < CR_DUE_N_KINDS ? KIND_NAMES[k] : "none"; }

/* Extends a match with its deadline marker: "by " before (English), まで /
 * までに / 中に / に after (Japanese); sets m->deadline. A match followed by
 * の is dropped (it modifies a noun). Returns 0 to drop. */
static int mark(const char *s, size_t p, size_t n, match *m)
{
	size_t e = p + m->len, k;
	if (lit(s, e, n, "の") && m->kind != CR_DUE_VAGUE)
		return 0;
	if ((k = lit(s, e, n, "までに")) || (k = lit(s, e, n, "まで"))) {
		m->len = k - p;
		m->deadline = 1;
	}
	static const char *const pre[] = {"by ", "until ", "till ", "before ", "due ", "due by ", "no later than ",
					  "not later than ", "deadline ", "deadline: ", "deadline is "};
	size_t the = p >= 4 && !memcmp(s + p - 4, "the ", 4) ? 4 : 0; /* "by the end of" */
	for (size_t i = 0; i < sizeof pre / sizeof *pre; i++) {
		size_t l = strlen(pre[i]);
		if (p >= l + the && !memcmp(s + p - the - l, pre[i], l) && (p == l + the || !is_word(s[p - the - l - 1]))) {
			if (l + the > m->pre)
				m->pre = l + the;
			m->deadline = 1;
		}
	}
	return 1;
}

int cr_due_find(const char *text, size_t len, cr_ymd ref, cr_due *out)
{
	memset(out, 0, sizeof *out);
	if (ref.y && !valid(ref))
		ref = (cr_ymd){0, 0, 0};
	work w = {0};
	if (make_work(text, len, &w)) {
		free(w.s);
		free(w.o);
		return 0;
	}
	match first = {0}, dead = {0};
	size_t first_at = 0, dead_at = 0;
	for (size_t p = 0; p < w.n && !dead.len;) {
		match m = {0};
		unsigned char c = (unsigned char)w.s[p];
		if (c < 0x80)
			match_en(w.s, p, w.n, ref, &m);
		else
			match_ja(w.s, p, w.n, ref, &m);
		if (c >= 0x80 || isdigit(c)) {
			match mj = {0};
			if (c < 0x80)
				match_ja(w.s, p, w.n, ref, &mj);
			if (mj.len > m.len)
				m = mj;
		}
		if (m.len && mark(w.s, p, w.n, &m)) {
			if (!first.len)
				first = m, first_at = p;
			if (m.deadline)
				dead = m, dead_at = p;
			p += m.len;
			continue;
		}
		/* next character */
		p++;
		while (p < w.n && ((unsigned char)w.s[p] & 0xC0) == 0x80)
			p++;
	}
	match *best = dead.len ? &dead : first.len ? &first : NULL;
	size_t at = dead.len ? dead_at : first_at;
	if (best) {
		out->kind = best->kind;
		out->date = valid(best->date) ? best->date : (cr_ymd){0, 0, 0};
		size_t b = at - best->pre, e = at + best->len;
		out->off = w.o[b];
		out->len = w.o[e] - w.o[b];
	}
	free(w.s);
	free(w.o);
	return best != NULL;
}
