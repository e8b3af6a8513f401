/*
 * test_agent_cron.c — schedules of agents: cron expressions parsed (lists,
 * ranges, steps, names, aliases, the day-of-month / day-of-week OR rule)
 * and refused with the field and the reason; next fire times in Asia/Tokyo
 * (no daylight time), UTC and America/New_York across both of its 2026
 * changes (a local time skipped in March does not fire; one repeated in
 * November fires once); zone offsets from the TZif tables and past them
 * from the footer's rule (New York in 2100, Sydney's southern summer).
 * Needs /usr/share/zoneinfo (tzdata): skipped without it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "cristal/agent.h"

/* "YYYY-MM-DDTHH:MM" (UTC) as unix seconds. */
static int64_t utc(const char *s)
{
	int y, mo, d, h, mi;
	assert_int_equal(sscanf(s, "%d-%d-%dT%d:%d", &y, &mo, &d, &h, &mi), 5);
	return cr_ymd_days((cr_ymd){y, mo, d}) * 86400 + h * 3600 + mi * 60;
}

static void iso(int64_t t, char out[32])
{
	int64_t days = t / 86400 - (t % 86400 < 0), sec = t - days * 86400;
	cr_ymd d = cr_ymd_from_days(days);
	snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d", d.y, d.m, d.d, (int)(sec / 3600), (int)(sec / 60 % 60));
}

static cr_tz *zone(const char *name)
{
	cr_tz *z = NULL;
	cr_msg m = {{0}};
	cr_err e = cr_tz_load(name, &z, &m);
	if (e)
		print_error("%s: %s\n", name, m.text);
	assert_int_equal(e, CR_OK);
	return z;
}

/* The fire time of expr after `after` in zone z is `want` (both UTC). */
static void next_is(cr_tz *z, const char *expr, const char *after, const char *want)
{
	cr_cron c;
	cr_msg m = {{0}};
	cr_err e = cr_cron_parse(expr, &c, &m);
	if (e)
		print_error("'%s': %s\n", expr, m.text);
	assert_int_equal(e, CR_OK);
	int64_t t = 0;
	assert_int_equal(cr_cron_next(&c, z, utc(after), &t), CR_OK);
	char got[32];
	iso(t, got);
	if (strcmp(got, want)) {
		print_error("%s '%s' after %s: %s, wanted %s\n", cr_tz_name(z), expr, after, got, want);
		fail();
	}
}

static void refused(const char *expr, const char *why)
{
	cr_cron c;
	cr_msg m = {{0}};
	assert_int_equal(cr_cron_parse(expr, &c, &m), CR_EINVAL);
	if (!strstr(m.text, why)) {
		print_error("'%s': message '%s' lacks '%s'\n", expr, m.text, why);
		fail();
	}
}

static int setup(void **st)
{
	(void)st;
	struct stat s;
	if (stat("/usr/share/zoneinfo/Asia/Tokyo", &s)) {
		fprintf(stderr, "no /usr/share/zoneinfo (install tzdata): skipped\n");
		exit(77);
	}
	return 0;
}

static void test_parse(void **st)
{
	(void)st;
	cr_cron c;
	assert_int_equal(cr_cron_parse("*/15 9-17 * * MON-FRI", &c, NULL), CR_OK);
	assert_true(c.minute == (1ull << 0 | 1ull << 15 | 1ull << 30 | 1ull << 45));
	assert_int_equal(c.hour, 0x3fe00u);
	assert_int_equal(c.dow, 0x3e);
	assert_true(c.dom_star && !c.dow_star);
	assert_int_equal(cr_cron_parse("0 0 * * 7", &c, NULL), CR_OK);
	assert_int_equal(c.dow, 1); /* 7 is Sunday */
	assert_int_equal(cr_cron_parse("5/20 1,3,5-6 1 jan,Jul *", &c, NULL), CR_OK);
	assert_true(c.minute == (1ull << 5 | 1ull << 25 | 1ull << 45));
	assert_int_equal(c.hour, 0x6au);
	assert_int_equal(c.month, 1 << 1 | 1 << 7);
	assert_int_equal(cr_cron_parse("  @daily ", &c, NULL), CR_OK);
	assert_true(c.minute == 1 && c.hour == 1);
	assert_int_equal(cr_cron_parse("0 0 29 2 *", &c, NULL), CR_OK); /* leap years only, but fires */

	refused("", "five are needed");
	refused("* * * *", "has 4 fields");
	refused("* * * * * *", "more than five fields");
	refused("60 * * * *", "minute: 60 is out of range 0-59");
	refused("* 24 * * *", "hour: 24 is out of range 0-23");
	refused("0 0 0 * *", "day-of-month: 0 is out of range 1-31");
	refused("0 0 * 13 *", "month: 13 is out of range 1-12");
	refused("0 0 * * 8", "day-of-week: 8 is out of range 0-7");
	refused("5-1 * * * *", "runs backwards");
	refused("*/0 * * * *", "step 0 is out of range");
	refused("a * * * *", "minute: 'a' is not a number");
	refused("0 0 * FOO *", "month: 'FOO' is not a number or a name");
	refused("1,,2 * * * *", "empty list item");
	refused("1- * * * *", "a range is N-M");
	refused("0 0 30 2 *", "never fires");
	refused("0 0 31 4,6 *", "never fires");
	refused("@sometimes", "unknown alias");
	/* both day fields restricted: either may match, so 30 February on a
	 * Monday still fires (on Mondays) */
	assert_int_equal(cr_cron_parse("0 0 30 2 1", &c, NULL), CR_OK);
}

static void test_tokyo(void **st)
{
	(void)st;
	cr_tz *z = zone("Asia/Tokyo");
	assert_int_equal(cr_tz_offset(z, utc("2026-12-03T00:00")), 9 * 3600);
	assert_int_equal(cr_tz_offset(z, utc("2090-07-01T00:00")), 9 * 3600);
	/* 09:00 JST is 00:00 UTC; strictly after */
	next_is(z, "0 9 * * *", "2026-12-02T23:59", "2026-12-03T00:00");
	next_is(z, "0 9 * * *", "2026-12-03T00:00", "2026-12-04T00:00");
	next_is(z, "*/15 * * * *", "2026-12-03T00:07", "2026-12-03T00:15");
	/* OR rule: the 1st, the 15th or Mondays (2026-12-03 is a Thursday) */
	next_is(z, "30 8 1,15 * 1", "2026-12-03T00:00", "2026-12-06T23:30");
	next_is(z, "30 8 1,15 * 1", "2026-12-06T23:30", "2026-12-13T23:30");
	next_is(z, "30 8 1,15 * 1", "2026-12-13T23:30", "2026-12-14T23:30");
	/* AND rule (day-of-month starts with *): odd days that are Mondays */
	next_is(z, "0 0 */2 * 1", "2026-12-03T00:00", "2026-12-06T15:00");
	next_is(z, "0 0 */2 * 1", "2026-12-06T15:00", "2026-12-20T15:00");
	/* a year ahead, and a leap day */
	next_is(z, "0 0 1 1 *", "2026-12-03T00:00", "2026-12-31T15:00");
	next_is(z, "0 0 29 2 *", "2026-12-03T00:00", "2028-02-28T15:00");
	next_is(z, "0 12 * JAN-MAR MON-FRI", "2026-12-03T00:00", "2027-01-01T03:00");
	cr_tz_free(z);
}

static void test_utc(void **st)
{
	(void)st;
	cr_tz *z = zone("UTC");
	assert_int_equal(cr_tz_offset(z, 0), 0);
	next_is(z, "59 23 31 12 *", "2026-12-31T23:59", "2027-12-31T23:59");
	next_is(z, "0 0 * * 7", "2026-12-03T00:00", "2026-12-06T00:00");
	next_is(z, "5/20 * * * *", "2026-12-03T10:26", "2026-12-03T10:45");
	next_is(z, "5/20 * * * *", "2026-12-03T10:45", "2026-12-03T11:05");
	next_is(z, "@hourly", "2026-12-03T23:00", "2026-12-04T00:00");
	next_is(z, "0 0 1 * *", "2026-12-03T00:00", "2027-01-01T00:00");
	cr_tz_free(z);
}

static void test_new_york(void **st)
{
	(void)st;
	cr_tz *z = zone("America/New_York");
	assert_int_equal(cr_tz_offset(z, utc("2026-01-15T12:00")), -5 * 3600);
	assert_int_equal(cr_tz_offset(z, utc("2026-07-15T12:00")), -4 * 3600);
	/* the changes of 2026: 8 March 07:00 UTC, 1 November 06:00 UTC */
	assert_int_equal(cr_tz_offset(z, utc("2026-03-08T06:59")), -5 * 3600);
	assert_int_equal(cr_tz_offset(z, utc("2026-03-08T07:00")), -4 * 3600);
	assert_int_equal(cr_tz_offset(z, utc("2026-11-01T05:59")), -4 * 3600);
	assert_int_equal(cr_tz_offset(z, utc("2026-11-01T06:00")), -5 * 3600);
	/* far past the table: the footer's rule (EST5EDT,M3.2.0,M11.1.0) */
	assert_int_equal(cr_tz_offset(z, utc("2100-07-01T12:00")), -4 * 3600);
	assert_int_equal(cr_tz_offset(z, utc("2100-12-01T12:00")), -5 * 3600);
	/* 09:00 local the day daylight time starts: 13:00 UTC, not 14:00 */
	next_is(z, "0 9 * * *", "2026-03-07T15:00", "2026-03-08T13:00");
	/* 02:30 does not exist on 8 March: the next is 9 March 02:30 EDT */
	next_is(z, "30 2 * * *", "2026-03-07T12:00", "2026-03-09T06:30");
	/* 01:30 happens twice on 1 November: it fires at the first (EDT) only */
	next_is(z, "30 1 * * *", "2026-10-31T12:00", "2026-11-01T05:30");
	next_is(z, "30 1 * * *", "2026-11-01T05:30", "2026-11-02T06:30");
	next_is(z, "*/30 * * * *", "2026-11-01T05:45", "2026-11-01T07:00");
	/* and a daily time after the change: 09:00 EST is 14:00 UTC */
	next_is(z, "0 9 * * *", "2026-11-01T12:00", "2026-11-01T14:00");
	cr_tz_free(z);
	/* the southern hemisphere's rule (daylight time across the new year) */
	z = zone("Australia/Sydney");
	assert_int_equal(cr_tz_offset(z, utc("2050-01-15T00:00")), 11 * 3600);
	assert_int_equal(cr_tz_offset(z, utc("2050-07-15T00:00")), 10 * 3600);
	cr_tz_free(z);
}

static void test_bad_zones(void **st)
{
	(void)st;
	cr_tz *z = NULL;
	cr_msg m = {{0}};
	assert_int_equal(cr_tz_load("Nowhere/City", &z, &m), CR_ENOTFOUND);
	assert_non_null(strstr(m.text, "Nowhere/City"));
	assert_null(z);
	assert_int_equal(cr_tz_load("../../etc/passwd", &z, NULL), CR_ENOTFOUND);
	assert_int_equal(cr_tz_load("", &z, NULL), CR_ENOTFOUND);
	static const uint8_t junk[] = "TZif2 not really a time zone file at all, just text that is long";
	assert_int_equal(cr_tz_parse(junk, sizeof junk, "junk", &z, NULL), CR_ECORRUPT);
	assert_int_equal(cr_tz_parse(junk, 10, "junk", &z, NULL), CR_ECORRUPT);
	/* a real file cut short, at every length up to its end */
	uint8_t *buf;
	size_t len;
	assert_int_equal(cr_file_read("/usr/share/zoneinfo/America/New_York", 1 << 20, &buf, &len, NULL), CR_OK);
	for (size_t n = 0; n < len; n += 7) {
		if (cr_tz_parse(buf, n, "cut", &z, NULL) == CR_OK)
			cr_tz_free(z); /* a v1 block alone may be whole */
	}
	assert_int_equal(cr_tz_parse(buf, len, "whole", &z, NULL), CR_OK);
	cr_tz_free(z);
	cr_free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),    cmocka_unit_test(test_tokyo),     cmocka_unit_test(test_utc),
		cmocka_unit_test(test_new_york), cmocka_unit_test(test_bad_zones),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
