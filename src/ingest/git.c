/*
 * git.c — git repositories as a source: the tracked files at HEAD (the
 * corpus walker reads each one from the work tree itself) and the commit
 * log as documents.
 *
 * We run the `git` program rather than parse .git ourselves: packfiles,
 * worktrees, sparse checkouts and index versions are git's business. The
 * child is started with posix_spawnp and an argument vector (never a shell),
 * stdin from /dev/null, stdout and stderr read through pipes with a byte cap
 * and a wall-clock limit (GIT_TIMEOUT seconds, then SIGKILL). Its
 * environment is ours minus every GIT_* variable (so a caller's GIT_DIR
 * cannot redirect it), plus GIT_TERMINAL_PROMPT=0, GIT_OPTIONAL_LOCKS=0 (no
 * index refresh writes in a repository we only read) and LC_ALL=C.
 *
 * A repository's own config can name programs git runs; the commands we use
 * run none of them except core.fsmonitor, which we force off; diff drivers
 * are disabled with --no-textconv --no-ext-diff, and rename detection (costly
 * on huge commits) with --no-renames, so a rename lists both paths. git's
 * safe.directory check is left on: a repository owned by another user is
 * refused by git, and we return CR_EDENIED with git's reason.
 *
 *   ls-files:  git -C DIR -c core.fsmonitor=false ls-files -z --stage
 *              "<mode> <sha> <stage>\t<path>\0"; gitlinks (submodules, mode
 *              160000) and symlinks (120000, which could point outside the
 *              tree) are left out; conflict stages are listed once.
 *   log:       git -C DIR ... log -n N --no-renames --name-only -z
 *                  --format=%x1e%H%x1f%an%x1f%ae%x1f%at%x1f%B%x1f
 *              each commit: RS sha US name US email US time US message US
 *              then "\0\n" and the changed paths, NUL-separated.
 * A commit document: name "<repo>@<sha>", type "git-commit", title the
 * subject line, author "Name <email>", date the author time, meta sha /
 * author / files; sections: the message, then the changed files (heading
 * "files changed").
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ingest_int.h"

extern char **environ;

#define GIT_TIMEOUT 120.0
#define GIT_LS_CAP (256u << 20)
#define GIT_LOG_PER_COMMIT (64u << 10)
#define GIT_LOG_CAP (256u << 20)
#define GIT_ERR_CAP 4096
#define GIT_DEFAULT_COMMITS 10000

int cr_git_is_repo(const char *dir)
{
	if (!dir)
		return 0;
	char p[4096];
	struct stat st;
	if (snprintf(p, sizeof p, "%s/.git", dir) >= (int)sizeof p)
		return 0;
	/* a directory, or a file "gitdir: ..." for worktrees and submodules */
	return stat(p, &st) == 0 && (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode));
}

typedef struct git_out {
	cr_buf out;
	cr_buf err;
	int truncated; /* stdout passed its cap; the child was killed */
	int status;    /* exit status, -1 if killed or not started */
} git_out;

static char **child_env(void)
{
	size_t n = 0;
	for (char **e = environ; e && *e; e++)
		n++;
	char **env = cr_calloc(n + 4, sizeof *env);
	if (!env)
		return NULL;
	size_t k = 0;
	for (char **e = environ; e && *e; e++)
		if (strncmp(*e, "GIT_", 4) != 0 && strncmp(*e, "LC_ALL=", 7) != 0)
			env[k++] = *e;
	env[k++] = "GIT_TERMINAL_PROMPT=0";
	env[k++] = "GIT_OPTIONAL_LOCKS=0";
	env[k++] = "LC_ALL=C";
	env[k] = NULL;
	return env;
}

/* Runs git with argv (argv[0] = "git"), collecting stdout up to out_cap. */
static cr_err run_git(char *const argv[], size_t out_cap, git_out *r, cr_msg *m)
{
	cr_buf_init(&r->out, 0);
	cr_buf_init(&r->err, GIT_ERR_CAP);
	r->truncated = 0;
	r->status = -1;
	int po[2] = {-1, -1}, pe[2] = {-1, -1};
	cr_err e = CR_OK;
	char **env = NULL;
	posix_spawn_file_actions_t fa;
	int fa_ok = 0;
	pid_t pid = -1;
	if (pipe2(po, O_CLOEXEC) != 0 || pipe2(pe, O_CLOEXEC) != 0) {
		e = cr_fail(m, CR_EIO, "git: pipe: %s", strerror(errno));
		goto done;
	}
	if (!(env = child_env())) {
		e = CR_ENOMEM;
		goto done;
	}
	if (posix_spawn_file_actions_init(&fa) != 0) {
		e = CR_ENOMEM;
		goto done;
	}
	fa_ok = 1;
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
	int rc = posix_spawnp(&pid, "git", &fa, NULL, argv, env);
	if (rc != 0) {
		pid = -1;
		e = cr_fail(m, rc == ENOENT ? CR_ENOTFOUND : CR_EIO, "git: cannot run git: %s", strerror(rc));
		goto done;
	}
	close(po[1]);
	close(pe[1]);
	po[1] = pe[1] = -1;
	double deadline = cr_now() + GIT_TIMEOUT;
	int open_o = 1, open_e = 1;
	char chunk[65536];
	while (open_o || open_e) {
		struct pollfd fds[2];
		int nf = 0, io = -1, ie = -1;
		if (open_o) {
			fds[nf].fd = po[0];
			fds[nf].events = POLLIN;
			io = nf++;
		}
		if (open_e) {
			fds[nf].fd = pe[0];
			fds[nf].events = POLLIN;
			ie = nf++;
		}
		double left = deadline - cr_now();
		if (left <= 0) {
			kill(pid, SIGKILL);
			e = cr_fail(m, CR_ETIMEOUT, "git: %s took more than %.0f s", argv[5] ? argv[5] : "", GIT_TIMEOUT);
			break;
		}
		int pr = poll(fds, (nfds_t)nf, (int)(left * 1000) + 1);
		if (pr < 0) {
			if (errno == EINTR)
				continue;
			kill(pid, SIGKILL);
			e = cr_fail(m, CR_EIO, "git: poll: %s", strerror(errno));
			break;
		}
		if (io >= 0 && fds[io].revents) {
			ssize_t got = read(po[0], chunk, sizeof chunk);
			if (got <= 0) {
				if (got < 0 && errno == EINTR)
					continue;
				open_o = 0;
			} else if (r->out.len + (size_t)got > out_cap) {
				CR_IGNORE(cr_buf_add(&r->out, chunk, out_cap - r->out.len));
				r->truncated = 1;
				kill(pid, SIGKILL);
				open_o = open_e = 0;
			} else if (cr_buf_add(&r->out, chunk, (size_t)got) != CR_OK) {
				kill(pid, SIGKILL);
				e = CR_ENOMEM;
				break;
			}
		}
		if (ie >= 0 && open_e && fds[ie].revents) {
			ssize_t got = read(pe[0], chunk, sizeof chunk);
			if (got <= 0) {
				if (got < 0 && errno == EINTR)
					continue;
				open_e = 0;
			} else if (r->err.len < GIT_ERR_CAP - 1) {
				size_t take = CR_MIN((size_t)got, GIT_ERR_CAP - 1 - r->err.len);
				CR_IGNORE(cr_buf_add(&r->err, chunk, take));
			}
		}
	}
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
done:
	if (fa_ok)
		posix_spawn_file_actions_destroy(&fa);
	cr_free(env);
	for (int i = 0; i < 2; i++) {
		if (po[i] >= 0)
			close(po[i]);
		if (pe[i] >= 0)
			close(pe[i]);
	}
	return e;
}

static void git_out_release(git_out *r)
{
	cr_buf_release(&r->out);
	cr_buf_release(&r->err);
}

/* First line of git's stderr, for messages. */
static const char *err_line(git_out *r)
{
	if (!r->err.data || !r->err.len)
		return "no message";
	char *nl = strchr(r->err.data, '\n');
	if (nl)
		*nl = 0;
	return r->err.data;
}

static cr_err git_failed(git_out *r, const char *what, cr_msg *m)
{
	const char *why = err_line(r);
	cr_err e = strstr(why, "dubious ownership") ? CR_EDENIED
		   : strstr(why, "not a git repository") ? CR_ENOTFOUND
							  : CR_EIO;
	return cr_fail(m, e, "git %s: %s", what, why);
}

cr_err cr_git_ls_files(cr_arena *a, const char *dir, char ***paths, size_t *n, cr_msg *m)
{
	*paths = NULL;
	*n = 0;
	char *argv[] = {"git", "-C", (char *)dir, "-c", "core.fsmonitor=false", "ls-files", "-z", "--stage", NULL};
	git_out r;
	cr_err e = run_git(argv, GIT_LS_CAP, &r, m);
	if (e)
		goto done;
	if (r.truncated) {
		e = cr_fail(m, CR_ETOOBIG, "git ls-files: listing over %u MiB", GIT_LS_CAP >> 20);
		goto done;
	}
	if (r.status != 0) {
		e = git_failed(&r, "ls-files", m);
		goto done;
	}
	size_t cnt = 0;
	for (size_t i = 0; i < r.out.len; i++)
		cnt += r.out.data[i] == 0;
	char **v = cr_arena_alloc(a, (cnt ? cnt : 1) * sizeof *v);
	if (!v) {
		e = CR_ENOMEM;
		goto done;
	}
	size_t k = 0, off = 0;
	while (off < r.out.len) {
		const char *rec = r.out.data + off;
		size_t l = strlen(rec);
		off += l + 1;
		const char *tab = memchr(rec, '\t', l);
		if (!tab || l < 7)
			continue;
		if (strncmp(rec, "160000", 6) == 0 || strncmp(rec, "120000", 6) == 0)
			continue;
		const char *path = tab + 1;
		if (!*path || (k && strcmp(v[k - 1], path) == 0))
			continue;
		if (!(v[k] = cr_arena_strdup(a, path))) {
			e = CR_ENOMEM;
			goto done;
		}
		k++;
	}
	*paths = v;
	*n = k;
done:
	git_out_release(&r);
	return e;
}

static int is_hex_sha(const char *s, size_t n)
{
	if (n != 40 && n != 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* Splits [s, s+n) at the next US (0x1f); returns the field length and
 * moves *pos past the separator, or returns (size_t)-1 if none. */
static size_t field(const char *s, size_t n, size_t *pos)
{
	const char *us = memchr(s + *pos, 0x1f, n - *pos);
	if (!us)
		return (size_t)-1;
	size_t l = (size_t)(us - (s + *pos));
	*pos += l + 1;
	return l;
}

cr_err cr_git_log_docs(cr_arena *a, const char *dir, const char *repo_name, size_t max_commits, cr_doc **out,
		       cr_msg *m)
{
	*out = NULL;
	if (!max_commits)
		max_commits = GIT_DEFAULT_COMMITS;
	if (!repo_name || !*repo_name) {
		const char *sl = strrchr(dir, '/');
		repo_name = sl && sl[1] ? sl + 1 : dir;
	}
	char nbuf[32];
	snprintf(nbuf, sizeof nbuf, "-n%zu", max_commits);
	char *argv[] = {"git", "-C", (char *)dir, "-c", "core.fsmonitor=false", "log", nbuf, "--no-color",
			"--no-textconv", "--no-ext-diff", "--no-renames", "--name-only", "-z",
			"--format=%x1e%H%x1f%an%x1f%ae%x1f%at%x1f%B%x1f", NULL};
	size_t cap = max_commits > GIT_LOG_CAP / GIT_LOG_PER_COMMIT ? GIT_LOG_CAP : max_commits * GIT_LOG_PER_COMMIT;
	git_out r;
	cr_err e = run_git(argv, cap, &r, m);
	if (e)
		goto done;
	if (r.status != 0 && !r.truncated) {
		/* a repository without commits has an empty log */
		if (strstr(err_line(&r), "does not have any commits"))
			goto done;
		e = git_failed(&r, "log", m);
		goto done;
	}
	cr_extract_limits lim = cr_extract_limits_default();
	cr_msg local;
	cr_xctx x = {.a = a, .lim = &lim, .m = &local};
	cr_doc head = {0}, *tail = &head;
	const char *s = r.out.data ? r.out.data : "";
	size_t n = r.out.len;
	size_t off = 0;
	while (off < n) {
		const char *rs = memchr(s + off, 0x1e, n - off);
		if (!rs)
			break;
		size_t b = (size_t)(rs - s) + 1;
		const char *nrs = memchr(s + b, 0x1e, n - b);
		size_t end = nrs ? (size_t)(nrs - s) : n;
		off = end;
		if (!nrs && r.truncated)
			break; /* the last commit was cut off */
		size_t rn = end, pos = b;
		const char *f[5];
		size_t fl[5];
		int ok = 1;
		for (int i = 0; i < 5 && ok; i++) {
			f[i] = s + pos;
			fl[i] = field(s, rn, &pos);
			ok = fl[i] != (size_t)-1;
		}
		if (!ok || !is_hex_sha(f[0], fl[0]))
			continue;
		cr_doc *d = cr_arena_zalloc(a, sizeof *d);
		if (!d) {
			e = CR_ENOMEM;
			goto done;
		}
		d->type = "git-commit";
		d->name = cr_arena_printf(a, "%s@%.*s", repo_name, (int)fl[0], f[0]);
		d->author = cr_arena_printf(a, "%.*s <%.*s>", (int)fl[1], f[1], (int)fl[2], f[2]);
		d->date = strtoll(cr_arena_strndup(a, f[3], fl[3]) ?: "0", NULL, 10);
		const char *msg = f[4];
		size_t ml = fl[4];
		while (ml && (msg[ml - 1] == '\n' || msg[ml - 1] == ' '))
			ml--;
		const char *nl = memchr(msg, '\n', ml);
		d->title = cr_arena_strndup(a, msg, nl ? (size_t)(nl - msg) : ml);
		if (!d->name || !d->author || !d->title) {
			e = CR_ENOMEM;
			goto done;
		}
		/* changed files: NUL-separated after the last US */
		cr_buf files;
		cr_buf_init(&files, 0);
		size_t n_files = 0;
		for (size_t p = pos; p < end;) {
			const char *z = memchr(s + p, 0, end - p);
			size_t l = z ? (size_t)(z - (s + p)) : end - p;
			const char *fp = s + p;
			p += l + 1;
			while (l && (*fp == '\n' || *fp == '\r')) {
				fp++;
				l--;
			}
			if (!l)
				continue;
			CR_IGNORE(cr_buf_printf(&files, "%s%.*s", n_files ? "\n" : "", (int)l, fp));
			n_files++;
		}
		cr_loc fl_loc = cr_loc_none();
		fl_loc.heading = "files changed";
		char *sha = cr_arena_strndup(a, f[0], fl[0]);
		if ((e = cr_doc_add_meta(&x, d, "sha", sha)) || (e = cr_doc_add_meta(&x, d, "author", d->author)) ||
		    (e = cr_doc_add_meta(&x, d, "repo", repo_name)) ||
		    (e = cr_doc_add_meta(&x, d, "files", files.data)) ||
		    (e = cr_doc_add_section(&x, d, msg, ml, NULL)) ||
		    (files.len && (e = cr_doc_add_section(&x, d, files.data, files.len, &fl_loc)))) {
			cr_buf_release(&files);
			if (m)
				*m = local;
			goto done;
		}
		cr_buf_release(&files);
		tail->next = d;
		tail = d;
	}
	*out = head.next;
done:
	git_out_release(&r);
	return e;
}
