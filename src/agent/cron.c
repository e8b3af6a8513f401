/*
 * cron.c — five-field cron expressions and their next fire time in a time
 * zone (agent.h cr_cron_*), for scheduled agents.
 *
 * Parsing turns each field into a bit set (cr_cron). The next fire time is
 * searched in wall-clock time (days since the epoch and minute of the day,
 * no zone involved), skipping a whole month, day or hour when its field
 * does not match, so a search costs at most a few thousand steps; each
 * wall-clock candidate is then mapped to the instants at which the zone
 * shows it (cr_tz): none (a daylight-saving gap: the candidate is skipped),
 * one, or two (an autumn overlap: the first is the fire time, and if it is
 * already past, the second does not fire either).
 */
#include "agent_int.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

typedef struct field {
	const char *name;
	int lo, hi;
	const char *const *names; /* JAN.. or SUN.., starting at lo */
} field;

static const char *const MONTHS[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec", NULL};
static const char *const DAYS[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL};
static const field FIELDS[5] = {
	{"minute", 0, 59, NULL}, {"hour", 0, 23, NULL}, {"day-of-month", 1, 31, NULL},
	{"month", 1, 12, MONTHS}, {"day-of-week", 0, 7, DAYS},
};

/* A number or a name of field f at *s; -1 when there is none. */
static int value(const field *f, const char **s)
{
	const char *p = *s;
	if (isdigit((unsigned char)*p)) {
		int v = 0;
		while (isdigit((unsigned char)*p) && v < 1000)
			v = v * 10 + (*p++ - '0');
		*s = p;
		return v;
	}
	for (int i = 0; f->names && f->names[i]; i++)
		if (!strncasecmp(p, f->names[i], 3) && !isalpha((unsigned char)p[3])) {
			*s = p + 3;
			return f->lo + i;
		}
	return -1;
}

/* One field's text (len bytes) into bits. */
static cr_err parse_field(const field *f, const char *text, size_t len, uint64_t *bits, cr_msg *m)
{
	char buf[128];
	if (len >= sizeof buf)
		return cr_fail(m, CR_EINVAL, "cron: %s: too long", f->name);
	memcpy(buf, text, len);
	buf[len] = 0;
	*bits = 0;
	char *save = NULL;
	if (buf[0] == ',' || buf[len - 1] == ',' || strstr(buf, ",,"))
		return cr_fail(m, CR_EINVAL, "cron: %s: '%s' has an empty list item", f->name, buf);
	for (char *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		const char *s = item;
		int lo, hi, step = 1, ranged = 0;
		if (*s == '*') {
			lo = f->lo;
			hi = f->hi;
			s++;
			ranged = 1;
		} else {
			if ((lo = value(f, &s)) < 0)
				return cr_fail(m, CR_EINVAL, "cron: %s: '%s' is not a number%s", f->name, item,
					       f->names ? " or a name" : "");
			hi = lo;
			if (*s == '-') {
				s++;
				if ((hi = value(f, &s)) < 0)
					return cr_fail(m, CR_EINVAL, "cron: %s: '%s': a range is N-M", f->name, item);
				ranged = 1;
			}
		}
		if (*s == '/') {
			s++;
			if (!isdigit((unsigned char)*s))
				return cr_fail(m, CR_EINVAL, "cron: %s: '%s': a step is /N", f->name, item);
			step = 0;
			while (isdigit((unsigned char)*s) && step < 1000)
				step = step * 10 + (*s++ - '0');
			if (step < 1 || step > f->hi)
				return cr_fail(m, CR_EINVAL, "cron: %s: '%s': step %d is out of range 1-%d", f->name,
					       item, step, f->hi);
			if (!ranged)
				hi = f->hi; /* "5/10": 5 to the end */
		}
		if (*s)
			return cr_fail(m, CR_EINVAL, "cron: %s: '%s' is not N, N-M, * or one of them with /STEP",
				       f->name, item);
		if (lo < f->lo || lo > f->hi || hi < f->lo || hi > f->hi)
			return cr_fail(m, CR_EINVAL, "cron: %s: %d is out of range %d-%d", f->name,
				       lo < f->lo || lo > f->hi ? lo : hi, f->lo, f->hi);
		if (lo > hi)
			return cr_fail(m, CR_EINVAL, "cron: %s: range %d-%d runs backwards", f->name, lo, hi);
		for (int v = lo; v <= hi; v += step)
			*bits |= 1ull << v;
	}
	return CR_OK;
}

static const struct {
	const char *alias, *expr;
} ALIASES[] = {
	{"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
	{"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
	{"@hourly", "0 * * * *"},
};

static int max_days(int m)
{
	static const int n[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return n[m - 1];
}

cr_err cr_cron_parse(const char *expr, cr_cron *out, cr_msg *m)
{
	memset(out, 0, sizeof *out);
	if (!expr)
		return cr_fail(m, CR_EINVAL, "cron: no expression");
	while (isspace((unsigned char)*expr))
		expr++;
	if (*expr == '@') {
		size_t n = strlen(expr);
		while (n && isspace((unsigned char)expr[n - 1]))
			n--;
		for (size_t i = 0; i < CR_ARRAY_LEN(ALIASES); i++)
			if (strlen(ALIASES[i].alias) == n && !strncasecmp(expr, ALIASES[i].alias, n))
				return cr_cron_parse(ALIASES[i].expr, out, m);
		return cr_fail(m, CR_EINVAL, "cron: unknown alias '%s' (@hourly, @daily, @weekly, @monthly, @yearly)",
			       expr);
	}
	const char *s = expr;
	uint64_t bits[5];
	int n = 0;
	while (*s) {
		const char *b = s;
		while (*s && !isspace((unsigned char)*s))
			s++;
		if (n == 5)
			return cr_fail(m, CR_EINVAL,
				       "cron: '%s' has more than five fields (minute hour day-of-month month day-of-week)",
				       expr);
		if (n == 2)
			out->dom_star = *b == '*';
		if (n == 4)
			out->dow_star = *b == '*';
		cr_err e = parse_field(&FIELDS[n], b, (size_t)(s - b), &bits[n], m);
		if (e)
			return e;
		n++;
		while (isspace((unsigned char)*s))
			s++;
	}
	if (n != 5)
		return cr_fail(m, CR_EINVAL,
			       "cron: '%s' has %d field%s; five are needed: minute hour day-of-month month day-of-week",
			       expr, n, n == 1 ? "" : "s");
	out->minute = bits[0];
	out->hour = (uint32_t)bits[1];
	out->dom = (uint32_t)bits[2];
	out->month = (uint16_t)bits[3];
	out->dow = (uint8_t)((bits[4] | (bits[4] >> 7)) & 0x7f); /* 7 is Sunday too */
	if (!out->dom_star && out->dow_star) { /* the days of the month alone decide */
		int ok = 0;
		for (int mo = 1; mo <= 12 && !ok; mo++)
			for (int d = 1; d <= max_days(mo) && !ok; d++)
				ok = (out->month >> mo & 1) && (out->dom >> d & 1);
		if (!ok)
			return cr_fail(m, CR_EINVAL, "cron: '%s' never fires (no such day in those months)", expr);
	}
	return CR_OK;
}

static int month_len(int y, int mo)
{
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return mo == 2 ? 28 + leap : max_days(mo);
}

static int day_matches(const cr_cron *c, cr_ymd d, int wday)
{
	int dom = (c->dom >> d.d) & 1, dow = (c->dow >> wday) & 1;
	return c->dom_star || c->dow_star ? dom && dow : dom || dow;
}

/* The first bit >= from in bits (below n), or -1. */
static int next_bit(uint64_t bits, int from, int n)
{
	for (int i = from; i < n; i++)
		if (bits >> i & 1)
			return i;
	return -1;
}

cr_err cr_cron_next(const cr_cron *c, const cr_tz *z, int64_t after, int64_t *next)
{
	if (after > ((int64_t)1 << 40) || after < -((int64_t)1 << 40)) /* beyond ±34,000 years */
		return CR_ENOTFOUND;
	/* the wall-clock minute after `after` */
	int64_t loc = after + cr_tz_offset(z, after);
	int64_t day = loc / 86400 - (loc % 86400 < 0);
	int64_t mod = (loc - day * 86400) / 60 + 1; /* minute of the day */
	int64_t last_day = day + 8 * 366 + 2;
	while (day <= last_day) {
		if (mod >= 1440) {
			day++;
			mod = 0;
			continue;
		}
		cr_ymd d = cr_ymd_from_days(day);
		if (!(c->month >> d.m & 1)) {
			day += month_len(d.y, d.m) - d.d + 1;
			mod = 0;
			continue;
		}
		if (!day_matches(c, d, (int)(((day + 4) % 7 + 7) % 7))) {
			day++;
			mod = 0;
			continue;
		}
		int h = (int)(mod / 60), mi = (int)(mod % 60);
		int nh = next_bit(c->hour, h, 24);
		if (nh < 0) {
			mod = 1440;
			continue;
		}
		if (nh != h) {
			mod = nh * 60;
			continue;
		}
		int nm = next_bit(c->minute, mi, 60);
		if (nm < 0) {
			mod = (h + 1) * 60;
			continue;
		}
		int64_t civil = day * 86400 + (int64_t)(h * 60 + nm) * 60;
		/* the instants showing this wall-clock time: its offset is the
		 * zone's offset a day before or a day after */
		int32_t o[2] = {cr_tz_offset(z, civil - 86400), cr_tz_offset(z, civil + 86400)};
		int64_t first = INT64_MAX;
		for (int i = 0; i < 2; i++) {
			int64_t t = civil - o[i];
			if (cr_tz_offset(z, t) == o[i] && t < first)
				first = t;
		}
		if (first != INT64_MAX && first > after) {
			*next = first;
			return CR_OK;
		}
		mod = h * 60 + nm + 1; /* in a gap, or its first occurrence is past */
	}
	return CR_ENOTFOUND;
}
