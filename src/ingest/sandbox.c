/*
 * sandbox.c — extraction in a separate, jailed worker process, for files
 * from people the server does not trust (uploads): a parser bug that a
 * hostile file triggers can crash or subvert the worker, never the
 * server, and the worker can read nothing of the server's data, reach no
 * network and write no file.
 *
 * The parent (cr_extract_sandboxed) spawns the worker program with
 * "extract-worker" and the limits as arguments, a clean environment (no
 * provider keys), the file's bytes on its stdin and its stdout as a pipe;
 * it reads the result (docjson.c) under a size cap and a deadline (the
 * worker is killed past it), and treats whatever comes back as untrusted.
 *
 * The worker (cr_extract_worker_main) closes every inherited descriptor
 * but 0-2, sets up the extraction libraries (every gconv module loaded:
 * charset.c), sets resource limits (address space, CPU seconds, no file
 * size, no core), forbids new privileges and installs a seccomp filter
 * (libseccomp):
 *   - no file opened, created, renamed, linked or removed (EACCES), so no
 *     file's content can be read once the filter is in;
 *   - no sockets, no io_uring (which would bypass the filter), no
 *     ptrace or process_vm_*, no fork (clone only for threads), no
 *     namespaces, mounts, bpf or keyrings (EPERM);
 *   - execve and execveat kill it (SIGSYS).
 * Then it reads stdin, runs cr_extract and writes the documents as JSON
 * (exit 0), or {"error": {"code", "message"}} (exit 3).
 */
#define _GNU_SOURCE
#include "ingest_int.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1 /* their shadow memory needs terabytes of address space */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

#define WORKER_MEMORY (3ull << 30) /* address space of a worker */

#if SANITIZED
/* LeakSanitizer's exit check stops the world with a non-thread clone and
 * ptrace, which the jail forbids: a sanitized worker skips it (the same
 * code is leak-checked in-process by the tests). */
static int g_jailed;
__attribute__((visibility("default"), used)) int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void) { return g_jailed; }
#define MARK_JAILED() (g_jailed = 1)
#else
#define MARK_JAILED() ((void)0)
#endif

/* ---- the worker ------------------------------------------------------------ */

static int rule(scmp_filter_ctx f, uint32_t action, const char *name)
{
	int nr = seccomp_syscall_resolve_name(name);
	if (nr == __NR_SCMP_ERROR)
		return 0; /* not a call of this architecture */
	return seccomp_rule_add(f, action, nr, 0);
}

static int jail(void)
{
	static const char *const files[] = {
		"open", "openat", "openat2", "creat", "truncate", "rename", "renameat", "renameat2", "unlink",
		"unlinkat", "mkdir", "mkdirat", "rmdir", "link", "linkat", "symlink", "symlinkat", "chmod",
		"fchmodat", "chown", "fchownat", "lchown", "mknod", "mknodat", "utimensat", "open_by_handle_at",
		"name_to_handle_at"};
	static const char *const denied[] = {
		"socket", "socketpair", "connect", "bind", "listen", "accept", "accept4", "io_uring_setup",
		"io_uring_enter", "io_uring_register", "ptrace", "process_vm_readv", "process_vm_writev", "fork",
		"vfork", "kill", "unshare", "setns", "mount", "umount2", "chroot", "pivot_root", "bpf",
		"perf_event_open", "keyctl", "add_key", "request_key", "personality", "userfaultfd"};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	scmp_filter_ctx f = seccomp_init(SCMP_ACT_ALLOW);
	if (!f)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < CR_ARRAY_LEN(files) && !rc; i++)
		rc = rule(f, SCMP_ACT_ERRNO(EACCES), files[i]);
	for (size_t i = 0; i < CR_ARRAY_LEN(denied) && !rc; i++)
		rc = rule(f, SCMP_ACT_ERRNO(EPERM), denied[i]);
	if (!rc)
		rc = rule(f, SCMP_ACT_KILL_PROCESS, "execve");
	if (!rc)
		rc = rule(f, SCMP_ACT_KILL_PROCESS, "execveat");
	/* clone only makes threads; clone3's flags are out of a filter's
	 * reach, so it is "not implemented" and the C library falls back */
	if (!rc)
		rc = seccomp_rule_add(f, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
				      SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0));
	if (!rc)
		rc = rule(f, SCMP_ACT_ERRNO(ENOSYS), "clone3");
	if (!rc)
		rc = seccomp_load(f);
	seccomp_release(f);
	return rc ? -1 : 0;
}

static void limits(double seconds)
{
	struct rlimit z = {0, 0};
	setrlimit(RLIMIT_CORE, &z);
	setrlimit(RLIMIT_FSIZE, &z);
	rlim_t cpu = (rlim_t)ceil(seconds) + 5;
	struct rlimit c = {cpu, cpu + 1};
	setrlimit(RLIMIT_CPU, &c);
	if (!SANITIZED) {
		struct rlimit as = {WORKER_MEMORY, WORKER_MEMORY};
		setrlimit(RLIMIT_AS, &as);
	}
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static const char *err_code(cr_err e)
{
	switch (e) {
	case CR_ETOOBIG: return "toobig";
	case CR_EUNSUPPORTED: return "unsupported";
	case CR_EDENIED: return "denied";
	case CR_ETIMEOUT: return "timeout";
	case CR_ENOMEM: return "nomem";
	default: return "corrupt";
	}
}

static cr_err code_err(const char *c)
{
	return !strcmp(c, "toobig")	 ? CR_ETOOBIG
	       : !strcmp(c, "unsupported") ? CR_EUNSUPPORTED
	       : !strcmp(c, "denied")	   ? CR_EDENIED
	       : !strcmp(c, "timeout")	   ? CR_ETIMEOUT
	       : !strcmp(c, "nomem")	   ? CR_ENOMEM
					   : CR_ECORRUPT;
}

static int worker_fail(cr_err e, const char *msg)
{
	cr_buf b;
	cr_buf_init(&b, 0);
	if (!cr_buf_printf(&b, "{\"error\":{\"code\":\"%s\",\"message\":", err_code(e)) &&
	    !cr_buf_add_json_str(&b, msg, strlen(msg)) && !cr_buf_adds(&b, "}}\n"))
		CR_IGNORE(write_all(1, b.data, b.len));
	cr_buf_release(&b);
	return 3;
}

/* What the jail lets through, tried from inside it (extract-worker --probe;
 * tests/e2e/server_upload.sh): each "denied" or "allowed". */
static int probe(void)
{
	int fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC);
	const char *rd = fd >= 0 ? "allowed" : "denied";
	if (fd >= 0)
		close(fd);
	fd = open("/tmp/cristal-worker-probe", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	const char *wr = fd >= 0 ? "allowed" : "denied";
	if (fd >= 0) {
		close(fd);
		unlink("/tmp/cristal-worker-probe");
	}
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	const char *net = s >= 0 ? "allowed" : "denied";
	if (s >= 0)
		close(s);
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	const char *fk = pid > 0 ? "allowed" : "denied";
	if (pid > 0)
		waitpid(pid, NULL, 0);
	char out[512];
	int n = snprintf(out, sizeof out,
			 "{\"open_read\":\"%s\",\"open_write\":\"%s\",\"socket\":\"%s\",\"fork\":\"%s\","
			 "\"environment\":%d}\n",
			 rd, wr, net, fk, getenv("CRISTAL_PROBE_SECRET") != NULL);
	return write_all(1, out, (size_t)n) ? 1 : 0;
}

int cr_extract_worker_main(int argc, char **argv)
{
	/* nothing of the parent's but stdin, stdout and stderr */
	close_range(3, ~0u, 0);
	cr_extract_limits lim = cr_extract_limits_default();
	const char *name = NULL;
	int sandbox = 1, do_probe = 0, do_exec = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--no-sandbox"))
			sandbox = 0;
		else if (!strcmp(a, "--probe"))
			do_probe = 1;
		else if (!strcmp(a, "--probe-exec"))
			do_exec = 1;
		else if (!strcmp(a, "--max-file") && v)
			lim.max_file_bytes = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(a, "--max-text") && v)
			lim.max_text_bytes = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(a, "--max-unzip") && v)
			lim.max_unzip_bytes = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(a, "--max-ratio") && v)
			lim.max_ratio = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(a, "--max-depth") && v)
			lim.max_depth = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(a, "--seconds") && v)
			lim.max_seconds = strtod(argv[++i], NULL);
		else if (!strcmp(a, "--") && v) {
			name = argv[++i];
			break;
		} else {
			fprintf(stderr, "cristal: extract-worker: unexpected argument '%s' (it is started by the server)\n", a);
			return 2;
		}
	}
	if (!name && !do_probe && !do_exec) {
		fprintf(stderr, "usage: cristal extract-worker [limits] -- NAME  (the file on stdin; started by the server)\n");
		return 2;
	}
	cr_extract_init();
	if (sandbox) {
		MARK_JAILED();
		limits(lim.max_seconds > 0 ? lim.max_seconds : 60);
		if (jail())
			return worker_fail(CR_EDENIED, "the extraction sandbox could not be set up (seccomp)");
	}
	if (do_probe)
		return probe();
	if (do_exec) {
		execl("/bin/true", "true", (char *)NULL);
		return 1; /* not reached under the jail: execve kills the worker */
	}
	cr_buf in;
	cr_buf_init(&in, lim.max_file_bytes ? lim.max_file_bytes : (256u << 20));
	char chunk[1 << 16];
	for (;;) {
		ssize_t r = read(0, chunk, sizeof chunk);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return worker_fail(CR_EIO, "cannot read the file");
		if (!r)
			break;
		if (cr_buf_add(&in, chunk, (size_t)r))
			return worker_fail(CR_ETOOBIG, "the file is over the size limit");
	}
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_doc *docs = NULL;
	cr_msg m = {{0}};
	cr_err e = cr_extract(&a, name, (const uint8_t *)in.data, in.len, &lim, &docs, &m);
	cr_buf_release(&in);
	if (e) {
		int rc = worker_fail(e, m.text[0] ? m.text : cr_strerror(e));
		cr_arena_release(&a);
		return rc;
	}
	cr_buf out;
	cr_buf_init(&out, 0);
	e = cr_docs_to_json(docs, &out);
	int rc = e ? worker_fail(e, "out of memory") : write_all(1, out.data, out.len) ? 1 : 0;
	cr_buf_release(&out);
	cr_arena_release(&a);
	return rc;
}

/* ---- the parent -------------------------------------------------------------- */

/* A variable the worker keeps (sanitizer options, for the tests' builds). */
static int env_kept(const char *kv)
{
	static const char *const keep[] = {"ASAN_OPTIONS=", "UBSAN_OPTIONS=", "TSAN_OPTIONS=", "LSAN_OPTIONS="};
	for (size_t i = 0; i < CR_ARRAY_LEN(keep); i++)
		if (!strncmp(kv, keep[i], strlen(keep[i])))
			return 1;
	return 0;
}

extern char **environ;

/* The worker's {"error": {"code", "message"}} (exit 3) as an error. */
static cr_err worker_error(const cr_buf *res, cr_msg *m)
{
	json_t *j = json_loadb(res->data ? res->data : "", res->len, 0, NULL);
	json_t *err = json_object_get(j, "error");
	const char *c = json_string_value(json_object_get(err, "code"));
	const char *t = json_string_value(json_object_get(err, "message"));
	cr_err e = cr_fail(m, c ? code_err(c) : CR_ECORRUPT, "%.400s", t ? t : "the extraction failed");
	json_decref(j);
	return e;
}

cr_err cr_extract_sandboxed(const char *worker, cr_arena *a, const char *name, const uint8_t *buf, size_t len,
			    const cr_extract_limits *lim, cr_doc **out, cr_msg *m)
{
	*out = NULL;
	cr_extract_limits l = lim ? *lim : cr_extract_limits_default();
	if (len > l.max_file_bytes)
		return cr_fail(m, CR_ETOOBIG, "the file is over %zu bytes", l.max_file_bytes);
	char nums[6][32];
	snprintf(nums[0], sizeof nums[0], "%zu", l.max_file_bytes);
	snprintf(nums[1], sizeof nums[1], "%zu", l.max_text_bytes);
	snprintf(nums[2], sizeof nums[2], "%zu", l.max_unzip_bytes);
	snprintf(nums[3], sizeof nums[3], "%u", l.max_ratio);
	snprintf(nums[4], sizeof nums[4], "%u", l.max_depth);
	snprintf(nums[5], sizeof nums[5], "%g", l.max_seconds > 0 ? l.max_seconds : 60);
	char *argv[] = {(char *)worker, "extract-worker", "--max-file", nums[0], "--max-text", nums[1],
			"--max-unzip", nums[2], "--max-ratio", nums[3], "--max-depth", nums[4], "--seconds", nums[5],
			"--", (char *)name, NULL};
	char *envp[8] = {"PATH=/usr/bin:/bin", "LC_ALL=C.UTF-8"};
	size_t ne = 2;
	for (char **e = environ; e && *e && ne < CR_ARRAY_LEN(envp) - 1; e++)
		if (env_kept(*e))
			envp[ne++] = *e;
	envp[ne] = NULL;

	int in[2], outp[2];
	if (pipe2(in, O_CLOEXEC))
		return cr_fail(m, CR_EIO, "extract: pipe: %s", strerror(errno));
	if (pipe2(outp, O_CLOEXEC)) {
		close(in[0]);
		close(in[1]);
		return cr_fail(m, CR_EIO, "extract: pipe: %s", strerror(errno));
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
	pid_t pid;
	int se = posix_spawn(&pid, worker, &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(outp[1]);
	if (se) {
		close(in[1]);
		close(outp[0]);
		return cr_fail(m, CR_EIO, "extract: cannot start the worker %s: %s", worker, strerror(se));
	}
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	cr_buf res;
	size_t cap = l.max_text_bytes * 4 + (16u << 20);
	cr_buf_init(&res, cap < (1ull << 30) ? cap : (1ull << 30));
	double deadline = cr_now() + (l.max_seconds > 0 ? l.max_seconds : 60) + 10;
	size_t off = 0;
	int wfd = len ? in[1] : -1;
	cr_err e = CR_OK;
	if (wfd < 0)
		close(in[1]);
	char chunk[1 << 16];
	for (;;) {
		if (cr_now() > deadline) {
			e = cr_fail(m, CR_ETIMEOUT, "extract: the worker ran past its time and was stopped");
			break;
		}
		cr_err ce = cr_cancel_check(l.cancel);
		if (ce) {
			e = cr_fail(m, ce, "extract: %s", cr_strerror(ce));
			break;
		}
		struct pollfd p[2] = {{.fd = outp[0], .events = POLLIN}, {.fd = wfd, .events = POLLOUT}};
		int pr = poll(p, wfd >= 0 ? 2 : 1, 100);
		if (pr < 0 && errno != EINTR) {
			e = cr_fail(m, CR_EIO, "extract: poll: %s", strerror(errno));
			break;
		}
		if (wfd >= 0 && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t w = write(wfd, buf + off, CR_MIN(len - off, (size_t)1 << 16));
			if (w > 0)
				off += (size_t)w;
			if ((w < 0 && errno != EAGAIN && errno != EINTR) || off == len) {
				close(wfd); /* done, or the worker stopped reading: its answer says why */
				wfd = -1;
			}
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t r = read(outp[0], chunk, sizeof chunk);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break; /* end of its output */
			if (cr_buf_add(&res, chunk, (size_t)r)) {
				e = cr_fail(m, CR_ETOOBIG, "extract: the worker's output is over %zu bytes", res.cap);
				break;
			}
		}
	}
	if (wfd >= 0)
		close(wfd);
	close(outp[0]);
	if (e)
		kill(pid, SIGKILL);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!e && WIFSIGNALED(st))
		e = cr_fail(m, CR_ECORRUPT, "extract: the worker died of signal %d (%s): the file crashed it or "
					    "passed its memory or CPU limit",
			    WTERMSIG(st), strsignal(WTERMSIG(st)));
	else if (!e && WIFEXITED(st) && WEXITSTATUS(st) == 3)
		e = worker_error(&res, m);
	else if (!e && (!WIFEXITED(st) || WEXITSTATUS(st)))
		e = cr_fail(m, CR_ECORRUPT, "extract: the worker failed (exit %d)", WEXITSTATUS(st));
	if (!e)
		e = cr_docs_from_json(a, res.data ? res.data : "", res.len, out, m);
	/* a document the worker names must be the file or inside it */
	size_t nl = strlen(name);
	for (cr_doc *d = e ? NULL : *out; d; d = d->next)
		if (strncmp(d->name, name, nl) || (d->name[nl] && d->name[nl] != '#') ||
		    (d->parent && (strncmp(d->parent, name, nl) || (d->parent[nl] && d->parent[nl] != '#')))) {
			e = cr_fail(m, CR_ECORRUPT, "extract: the worker named a document outside the file");
			*out = NULL;
			break;
		}
	if (!e && !*out)
		e = cr_fail(m, CR_ECORRUPT, "no document extracted");
	cr_buf_release(&res);
	return e;
}
