/* test_policy.c — classification levels and markers (policy.h): each
 * marker gives its level, the highest one wins, a marker inside a longer
 * English word or the lower-case adjective in running text gives none,
 * names round-trip, and a provider trust's clearance. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "cristal/policy.h"

static int level(const char *s) { return cr_class_of_text(s, strlen(s)); }

static void test_markers(void **st)
{
	(void)st;
	assert_int_equal(level("本資料は社外秘です。"), CR_CLASS_CONFIDENTIAL);
	assert_int_equal(level("機密情報を含む"), CR_CLASS_CONFIDENTIAL);
	assert_int_equal(level("【取扱注意】顧客一覧"), CR_CLASS_CONFIDENTIAL);
	assert_int_equal(level("極秘：買収計画"), CR_CLASS_SECRET);
	assert_int_equal(level("CONFIDENTIAL - board minutes"), CR_CLASS_CONFIDENTIAL);
	assert_int_equal(level("Confidential\nQ3 plan"), CR_CLASS_CONFIDENTIAL);
	assert_int_equal(level("This memo is STRICTLY CONFIDENTIAL."), CR_CLASS_SECRET);
	assert_int_equal(level("For internal use only."), CR_CLASS_INTERNAL);
	/* the highest wins, wherever it stands */
	assert_int_equal(level("Internal use only. ... 極秘"), CR_CLASS_SECRET);
	assert_int_equal(level("社外秘 and Strictly confidential"), CR_CLASS_SECRET);
}

static void test_not_markers(void **st)
{
	(void)st;
	assert_int_equal(level(""), -1);
	assert_int_equal(level("The cafeteria opens at eight."), -1);
	assert_int_equal(level("we keep customer feedback confidential"), -1);
	assert_int_equal(level("Confidentiality agreements are signed yearly"), -1);
	assert_int_equal(level("NonConfidential"), -1);
	assert_int_equal(level("internal use onlyx"), -1);
	/* cut inside a marker's bytes */
	const char *s = "社外秘";
	assert_int_equal(cr_class_of_text(s, strlen(s) - 1), -1);
}

static void test_names_and_clearance(void **st)
{
	(void)st;
	for (int i = CR_CLASS_PUBLIC; i <= CR_CLASS_SECRET; i++)
		assert_int_equal(cr_class_parse(cr_class_name(i)), i);
	assert_int_equal(cr_class_parse("topsecret"), -1);
	assert_int_equal(cr_class_parse(NULL), -1);
	assert_int_equal(cr_class_clearance("external"), CR_CLASS_INTERNAL);
	assert_int_equal(cr_class_clearance("onprem"), CR_CLASS_SECRET);
	assert_int_equal(cr_class_clearance("local"), CR_CLASS_SECRET);
	assert_int_equal(cr_class_clearance("whatever"), CR_CLASS_PUBLIC);
	assert_int_equal(cr_class_clearance(NULL), CR_CLASS_PUBLIC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_markers),
		cmocka_unit_test(test_not_markers),
		cmocka_unit_test(test_names_and_clearance),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
