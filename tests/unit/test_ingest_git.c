/* test_ingest_git.c — git repositories (git.c): a repository made by the
 * test in a temporary folder (git init, two commits), its tracked files and
 * its log as documents; non-repositories and empty repositories. Skipped
 * (77) if no git program is installed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ingest/ingest_int.h"

static char g_dir[256];

/* Runs argv in dir with a fixed identity and dates; returns the exit status. */
static int run_in(const char *dir, char *const argv[], const char *date)
{
	pid_t pid = fork();
	if (pid == 0) {
		if (chdir(dir) != 0)
			_exit(127);
		setenv("GIT_AUTHOR_NAME", "Mei Lin", 1);
		setenv("GIT_AUTHOR_EMAIL", "mei.lin@aozora-precision.example", 1);
		setenv("GIT_COMMITTER_NAME", "Mei Lin", 1);
		setenv("GIT_COMMITTER_EMAIL", "mei.lin@aozora-precision.example", 1);
		setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
		setenv("HOME", dir, 1);
		if (date) {
			setenv("GIT_AUTHOR_DATE", date, 1);
			setenv("GIT_COMMITTER_DATE", date, 1);
		}
		int devnull = open("/dev/null", 1);
		dup2(devnull, 1);
		dup2(devnull, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void write_file(const char *dir, const char *rel, const char *text)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", dir, rel);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **st)
{
	snprintf(g_dir, sizeof g_dir, "%s/cr_git_XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(g_dir))
		return -1;
	char *init[] = {"git", "init", "-q", ".", NULL};
	if (run_in(g_dir, init, NULL) != 0)
		return -1;
	char src[300];
	snprintf(src, sizeof src, "%s/src", g_dir);
	if (mkdir(src, 0755) != 0)
		return -1;
	write_file(g_dir, "README.md", "# Kestrel firmware\n");
	write_file(g_dir, "src/motor_ctrl.c", "int motor_ctrl_step(void)\n{\n\treturn 0;\n}\n");
	if (symlink("README.md", (snprintf(src, sizeof src, "%s/link.md", g_dir), src)) != 0)
		return -1;
	char *add[] = {"git", "add", "-A", NULL};
	char *c1[] = {"git", "commit", "-q", "-m", "Add motor controller\n\nPI loop for the HM-40 servo.", NULL};
	if (run_in(g_dir, add, NULL) || run_in(g_dir, c1, "1772445600 +0000"))
		return -1;
	write_file(g_dir, "src/motor_ctrl.c", "int motor_ctrl_step(void)\n{\n\treturn 1;\n}\n");
	write_file(g_dir, "NOTES.txt", "stall detection at 200 ms\n");
	char *c2[] = {"git", "commit", "-q", "-m", "Stall detection: 200 ms at the current limit", NULL};
	if (run_in(g_dir, add, NULL) || run_in(g_dir, c2, "1772532000 +0000"))
		return -1;
	/* an untracked file is not listed */
	write_file(g_dir, "scratch.tmp", "x\n");
	return 0;
}

static int teardown(void **st)
{
	char *rm[] = {"rm", "-rf", g_dir, NULL};
	run_in("/", rm, NULL);
	return 0;
}

static void test_ls_files(void **st)
{
	assert_true(cr_git_is_repo(g_dir));
	cr_arena a;
	cr_arena_init(&a, 0);
	char **paths;
	size_t n;
	cr_msg m = {{0}};
	/* a GIT_DIR in our environment must not redirect git */
	setenv("GIT_DIR", "/nonexistent", 1);
	assert_int_equal(cr_git_ls_files(&a, g_dir, &paths, &n, &m), CR_OK);
	unsetenv("GIT_DIR");
	assert_int_equal(n, 3); /* the symlink is left out */
	assert_string_equal(paths[0], "NOTES.txt");
	assert_string_equal(paths[1], "README.md");
	assert_string_equal(paths[2], "src/motor_ctrl.c");
	cr_arena_release(&a);
}

static void test_log_docs(void **st)
{
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_doc *d;
	cr_msg m = {{0}};
	assert_int_equal(cr_git_log_docs(&a, g_dir, "kestrel-fw", 0, &d, &m), CR_OK);
	assert_non_null(d);
	assert_non_null(d->next);
	assert_null(d->next->next);
	/* newest first */
	assert_string_equal(d->type, "git-commit");
	assert_string_equal(d->title, "Stall detection: 200 ms at the current limit");
	assert_string_equal(d->author, "Mei Lin <mei.lin@aozora-precision.example>");
	assert_int_equal(d->date, 1772532000);
	assert_true(strncmp(d->name, "kestrel-fw@", 11) == 0);
	assert_int_equal(strlen(d->name), 11 + 40);
	assert_string_equal(cr_doc_meta(d, "sha"), d->name + 11);
	assert_string_equal(cr_doc_meta(d, "files"), "NOTES.txt\nsrc/motor_ctrl.c");
	assert_int_equal(d->n_sections, 2);
	assert_string_equal(d->sections[1].loc.heading, "files changed");
	cr_doc *first = d->next;
	assert_string_equal(first->title, "Add motor controller");
	assert_non_null(strstr(first->sections[0].text, "PI loop for the HM-40 servo."));
	assert_int_equal(first->date, 1772445600);
	assert_non_null(strstr(cr_doc_meta(first, "files"), "link.md"));
	/* bounded by max_commits */
	assert_int_equal(cr_git_log_docs(&a, g_dir, NULL, 1, &d, &m), CR_OK);
	assert_non_null(d);
	assert_null(d->next);
	cr_arena_release(&a);
}

static void test_not_a_repo_and_empty(void **st)
{
	cr_arena a;
	cr_arena_init(&a, 0);
	char sub[300];
	snprintf(sub, sizeof sub, "%s/src", g_dir);
	assert_false(cr_git_is_repo(sub));
	assert_false(cr_git_is_repo("/nonexistent"));
	char **paths;
	size_t n;
	cr_msg m = {{0}};
	char tmp[256];
	snprintf(tmp, sizeof tmp, "%s/cr_nogit_XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(tmp));
	setenv("GIT_CEILING_DIRECTORIES", "/tmp", 1);
	cr_err e = cr_git_ls_files(&a, tmp, &paths, &n, &m);
	assert_int_not_equal(e, CR_OK);
	assert_non_null(strstr(m.text, "git ls-files:"));
	/* an empty repository has an empty log */
	char *init[] = {"git", "init", "-q", ".", NULL};
	assert_int_equal(run_in(tmp, init, NULL), 0);
	cr_doc *d = (cr_doc *)1;
	assert_int_equal(cr_git_log_docs(&a, tmp, "empty", 10, &d, &m), CR_OK);
	assert_null(d);
	assert_int_equal(cr_git_ls_files(&a, tmp, &paths, &n, &m), CR_OK);
	assert_int_equal(n, 0);
	char *rm[] = {"rm", "-rf", tmp, NULL};
	run_in("/", rm, NULL);
	cr_arena_release(&a);
}

int main(void)
{
	char *v[] = {"git", "--version", NULL};
	if (run_in("/", v, NULL) != 0) {
		fprintf(stderr, "test_ingest_git: no git program, skipped\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ls_files),
		cmocka_unit_test(test_log_docs),
		cmocka_unit_test(test_not_a_repo_and_empty),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
