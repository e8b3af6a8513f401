/*
 * test_agent_due.c — due-date expressions resolved against fixed meeting
 * dates, per kind: calendar dates (year rollover, full-width digits),
 * weekdays (week boundaries: a meeting on Monday, Friday and Sunday), whole
 * weeks, relative days, month ends (February of a leap year, December into
 * January), quarters and years, spans, and what cannot be resolved.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cristal/agent.h"

/* Meeting dates: 2026-05-12 is a Tuesday, 2026-12-18 a Friday,
 * 2026-11-30 a Monday, 2026-03-08 a Sunday, 2028-02-10 a Thursday. */
static const cr_ymd TUE = {2026, 5, 12}, FRI_DEC = {2026, 12, 18}, MON_NOV = {2026, 11, 30},
		    SUN_MAR = {2026, 3, 8}, LEAP = {2028, 2, 10};

/* Checks that `text` holds an expression of kind k resolving to iso
 * (NULL: unresolved) whose text is `said`. */
static void check(const char *text, cr_ymd ref, cr_due_kind k, const char *iso, const char *said)
{
	cr_due d;
	int found = cr_due_find(text, strlen(text), ref, &d);
	char got[11] = "null";
	if (d.date.y)
		cr_ymd_iso(d.date, got);
	if (!found || d.kind != k || strcmp(got, iso ? iso : "null") ||
	    (said && (d.len != strlen(said) || memcmp(text + d.off, said, d.len)))) {
		print_error("'%s': kind %s date %s text '%.*s'; wanted %s %s '%s'\n", text, cr_due_kind_name(d.kind), got,
			    (int)d.len, text + d.off, cr_due_kind_name(k), iso ? iso : "null", said ? said : "");
		fail();
	}
}

static void test_calendar(void **st)
{
	(void)st;
	assert_int_equal(cr_ymd_days((cr_ymd){1970, 1, 1}), 0);
	cr_ymd d = cr_ymd_from_days(cr_ymd_days((cr_ymd){2028, 2, 29}) + 1);
	assert_true(d.y == 2028 && d.m == 3 && d.d == 1);
	char iso[11];
	cr_ymd_iso((cr_ymd){2026, 1, 5}, iso);
	assert_string_equal(iso, "2026-01-05");
}

static void test_dates(void **st)
{
	(void)st;
	check("Please send it by December 13.", TUE, CR_DUE_DATE, "2026-12-13", "by December 13");
	check("finish the tests by March 7 and", SUN_MAR, CR_DUE_DATE, "2026-03-07", "by March 7");
	check("due Jan. 15", FRI_DEC, CR_DUE_DATE, "2027-01-15", "due Jan. 15");          /* rollover */
	check("by 13th of June 2027", TUE, CR_DUE_DATE, "2027-06-13", "by 13th of June 2027");
	check("by the 15th", TUE, CR_DUE_DATE, "2026-05-15", "by the 15th");
	check("by the 5th", TUE, CR_DUE_DATE, "2026-06-05", "by the 5th");               /* passed: next month */
	check("by the 5th", FRI_DEC, CR_DUE_DATE, "2027-01-05", "by the 5th");
	check("deadline 2026-06-01 for it", TUE, CR_DUE_DATE, "2026-06-01", "deadline 2026-06-01");
	check("send by 6/15", TUE, CR_DUE_DATE, "2026-06-15", "by 6/15");
	check("May 29, 2026", (cr_ymd){0, 0, 0}, CR_DUE_DATE, "2026-05-29", NULL);      /* year given, no ref */
	check("by June 3", (cr_ymd){0, 0, 0}, CR_DUE_DATE, NULL, "by June 3");          /* no year known */
	check("12月5日までに提出", MON_NOV, CR_DUE_DATE, "2026-12-05", "12月5日までに");
	check("１月８日までに", FRI_DEC, CR_DUE_DATE, "2027-01-08", "１月８日までに");        /* full width */
	check("2027年1月8日", TUE, CR_DUE_DATE, "2027-01-08", NULL);
	check("来月10日までにお願いします", TUE, CR_DUE_DATE, "2026-06-10", "来月10日までに");
	check("来月１０日", FRI_DEC, CR_DUE_DATE, "2027-01-10", "来月１０日");
	check("20日までに送ります", TUE, CR_DUE_DATE, "2026-05-20", "20日までに");
	/* a date that modifies a noun is no deadline; the next one is */
	check("4月30日の期限には間に合わなかったが、5月末までに評価を終える", TUE, CR_DUE_MONTH, "2026-05-31",
	      "5月末までに");
	/* the deadline-marked one wins over an earlier date */
	check("After the June 2 review, send the notes by June 5", TUE, CR_DUE_DATE, "2026-06-05", "by June 5");
}

static void test_weekdays(void **st)
{
	(void)st;
	check("by Friday next week", TUE, CR_DUE_WEEKDAY, "2026-05-22", "by Friday next week");
	check("on Friday of next week", TUE, CR_DUE_WEEKDAY, "2026-05-22", "Friday of next week");
	check("by Friday", TUE, CR_DUE_WEEKDAY, "2026-05-15", "by Friday");
	check("by Friday", FRI_DEC, CR_DUE_WEEKDAY, "2026-12-25", "by Friday"); /* said on a Friday: the next */
	check("next Monday", TUE, CR_DUE_WEEKDAY, "2026-05-18", "next Monday");
	check("next Monday", SUN_MAR, CR_DUE_WEEKDAY, "2026-03-09", "next Monday"); /* Sunday ends the week */
	check("this Thursday", MON_NOV, CR_DUE_WEEKDAY, "2026-12-03", "this Thursday");
	check("EOD Friday", TUE, CR_DUE_WEEKDAY, "2026-05-15", "EOD Friday");
	check("来週金曜までに", TUE, CR_DUE_WEEKDAY, "2026-05-22", "来週金曜までに");
	check("来週の月曜日", FRI_DEC, CR_DUE_WEEKDAY, "2026-12-21", "来週の月曜日");
	check("再来週の水曜", TUE, CR_DUE_WEEKDAY, "2026-05-27", "再来週の水曜");
	check("木曜日までに", TUE, CR_DUE_WEEKDAY, "2026-05-14", "木曜日までに");
}

static void test_weeks_days(void **st)
{
	(void)st;
	check("this week", TUE, CR_DUE_WEEK, "2026-05-15", "this week");
	check("by end of next week", TUE, CR_DUE_WEEK, "2026-05-22", "by end of next week");
	check("in the week after next", TUE, CR_DUE_WEEK, "2026-05-29", "the week after next");
	check("今週中に", TUE, CR_DUE_WEEK, "2026-05-15", "今週中");
	check("来週中に対応", FRI_DEC, CR_DUE_WEEK, "2026-12-25", "来週中");
	check("再来週までに", MON_NOV, CR_DUE_WEEK, "2026-12-18", "再来週までに");
	check("EOD tomorrow", TUE, CR_DUE_DAY, "2026-05-13", "EOD tomorrow");
	check("by EOD", FRI_DEC, CR_DUE_DAY, "2026-12-18", "by EOD");
	check("明日中に送ります", FRI_DEC, CR_DUE_DAY, "2026-12-19", "明日中");
	check("本日中", TUE, CR_DUE_DAY, "2026-05-12", "本日中");
	check("明後日まで", TUE, CR_DUE_DAY, "2026-05-14", "明後日まで");
}

static void test_months_periods(void **st)
{
	(void)st;
	check("by end of month", TUE, CR_DUE_MONTH, "2026-05-31", "by end of month");
	check("by the end of the month", LEAP, CR_DUE_MONTH, "2028-02-29", "by the end of the month");
	check("by the end of next month", FRI_DEC, CR_DUE_MONTH, "2027-01-31", "by the end of next month");
	check("by end of June", TUE, CR_DUE_MONTH, "2026-06-30", "by end of June");
	check("月末までに", LEAP, CR_DUE_MONTH, "2028-02-29", "月末までに");
	check("来月末まで", MON_NOV, CR_DUE_MONTH, "2026-12-31", "来月末まで");
	check("今月中に", TUE, CR_DUE_MONTH, "2026-05-31", "今月中");
	check("by Q3", TUE, CR_DUE_PERIOD, "2026-09-30", "by Q3");
	check("by Q1", FRI_DEC, CR_DUE_PERIOD, "2027-03-31", "by Q1"); /* passed: next year's */
	check("by end of year", TUE, CR_DUE_PERIOD, "2026-12-31", "by end of year");
	check("年内に", TUE, CR_DUE_PERIOD, "2026-12-31", "年内");
	check("年度末までに", MON_NOV, CR_DUE_PERIOD, "2027-03-31", "年度末までに");
	check("第4四半期まで", TUE, CR_DUE_PERIOD, "2026-12-31", "第4四半期まで");
}

static void test_spans_vague(void **st)
{
	(void)st;
	check("in two weeks", TUE, CR_DUE_SPAN, "2026-05-26", "in two weeks");
	check("within 3 days", FRI_DEC, CR_DUE_SPAN, "2026-12-21", "within 3 days");
	check("within five business days", FRI_DEC, CR_DUE_SPAN, "2026-12-25", "within five business days");
	check("３日以内に", FRI_DEC, CR_DUE_SPAN, "2026-12-21", "３日以内");
	check("2週間後", TUE, CR_DUE_SPAN, "2026-05-26", "2週間後");
	check("ASAP", TUE, CR_DUE_VAGUE, NULL, "ASAP");
	check("by mid-June", TUE, CR_DUE_VAGUE, NULL, "by mid-June");
	check("before the next meeting", TUE, CR_DUE_VAGUE, NULL, "before the next meeting");
	check("6月中旬までに", TUE, CR_DUE_VAGUE, NULL, "6月中旬までに");
	check("次回までに", TUE, CR_DUE_VAGUE, NULL, "次回までに");
	check("至急対応します", TUE, CR_DUE_VAGUE, NULL, "至急");
	/* nothing said */
	cr_due d;
	assert_int_equal(cr_due_find("We will review the design.", 26, TUE, &d), 0);
	assert_int_equal(d.kind, CR_DUE_NONE);
	assert_int_equal(cr_due_find("第3四半期の販促予算", strlen("第3四半期の販促予算"), TUE, &d), 0);
	assert_int_equal(cr_due_find("", 0, TUE, &d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_calendar),     cmocka_unit_test(test_dates),      cmocka_unit_test(test_weekdays),
		cmocka_unit_test(test_weeks_days),   cmocka_unit_test(test_months_periods),
		cmocka_unit_test(test_spans_vague),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
