/*
 * test_tmpdir.h — one temporary directory per test file, shared by its
 * tests: made by the group setup, removed with everything in it by the
 * group teardown. Include after <cmocka.h>; define TMPDIR_NAME first
 * ("/tmp/cr_test_<name>.XXXXXX").
 */
#ifndef CR_TEST_TMPDIR_H
#define CR_TEST_TMPDIR_H

#include <stdio.h>
#include <stdlib.h>

static char dir[256];

static int setup(void **st)
{
	(void)st;
	snprintf(dir, sizeof dir, "%s", TMPDIR_NAME);
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

#endif
