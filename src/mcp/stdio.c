/*
 * stdio.c — the stdio transport: the server is a child process (/bin/sh -c
 * COMMAND through posix_spawn) with a socket pair as its stdin and stdout
 * (writes use MSG_NOSIGNAL, so a child that died is an error, not SIGPIPE)
 * and a pipe as its stderr. Messages are single lines of JSON.
 *
 * Waiting polls stdout and stderr together in slices of 100 ms (the cancel
 * token is checked between them) until the reply comes, the timeout
 * passes, or the child closes stdout. A line over max_msg is CR_ETOOBIG;
 * stderr is logged at debug level and its last 2 KiB quoted in errors.
 */
#include "mcp_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static void cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);
	if (fl >= 0)
		CR_IGNORE(fcntl(fd, F_SETFD, fl | FD_CLOEXEC));
}

cr_err cr_mcp_stdio_start(cr_mcp *c, const char *command, cr_msg *m)
{
	int io[2] = {-1, -1}, err[2] = {-1, -1};
	posix_spawn_file_actions_t fa;
	int fa_ok = 0;
	cr_err e = CR_OK;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, io) || pipe(err)) {
		e = cr_fail(m, CR_EIO, "mcp: socketpair/pipe: %s", strerror(errno));
		goto fail;
	}
	cloexec(io[0]);
	cloexec(err[0]);
	if (posix_spawn_file_actions_init(&fa)) {
		e = cr_fail(m, CR_ENOMEM, "mcp: out of memory");
		goto fail;
	}
	fa_ok = 1;
	if (posix_spawn_file_actions_adddup2(&fa, io[1], 0) || posix_spawn_file_actions_adddup2(&fa, io[1], 1) ||
	    posix_spawn_file_actions_adddup2(&fa, err[1], 2) || posix_spawn_file_actions_addclose(&fa, io[1]) ||
	    posix_spawn_file_actions_addclose(&fa, err[1])) {
		e = cr_fail(m, CR_ENOMEM, "mcp: out of memory");
		goto fail;
	}
	/* its own process group, so stopping it also stops what it started
	 * (npx starts node, which may start more) */
	posix_spawnattr_t at;
	if (posix_spawnattr_init(&at)) {
		e = cr_fail(m, CR_ENOMEM, "mcp: out of memory");
		goto fail;
	}
	CR_IGNORE(posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP));
	CR_IGNORE(posix_spawnattr_setpgroup(&at, 0));
	char *argv[] = {"sh", "-c", (char *)command, NULL};
	int rc = posix_spawn(&c->pid, "/bin/sh", &fa, &at, argv, environ);
	posix_spawnattr_destroy(&at);
	if (rc) {
		c->pid = 0;
		e = cr_fail(m, CR_EIO, "mcp: cannot start /bin/sh: %s", strerror(rc));
		goto fail;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(io[1]);
	close(err[1]);
	c->fd_to = c->fd_from = io[0];
	c->fd_err = err[0];
	cr_buf_init(&c->rbuf, c->max_msg + 1);
	return CR_OK;
fail:
	if (fa_ok)
		posix_spawn_file_actions_destroy(&fa);
	for (int i = 0; i < 2; i++) {
		if (io[i] >= 0)
			close(io[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	return e;
}

static void keep_err(cr_mcp *c, const char *p, size_t n)
{
	size_t cap = sizeof c->errtail - 1;
	if (n >= cap) {
		memcpy(c->errtail, p + n - cap, cap);
		c->n_errtail = cap;
	} else {
		if (c->n_errtail + n > cap) {
			size_t drop = c->n_errtail + n - cap;
			memmove(c->errtail, c->errtail + drop, c->n_errtail - drop);
			c->n_errtail -= drop;
		}
		memcpy(c->errtail + c->n_errtail, p, n);
		c->n_errtail += n;
	}
	c->errtail[c->n_errtail] = 0;
}

static void drain_err(cr_mcp *c)
{
	char b[4096];
	ssize_t k = read(c->fd_err, b, sizeof b);
	if (k > 0) {
		keep_err(c, b, (size_t)k);
		cr_log(CR_LOG_DEBUG, "mcp %s stderr: %.*s", c->name, (int)k, b);
	} else if (k == 0 || (errno != EINTR && errno != EAGAIN)) {
		close(c->fd_err);
		c->fd_err = -1;
	}
}

/* The last line of the child's stderr, for an error message. */
static const char *err_hint(cr_mcp *c, char *out, size_t cap)
{
	size_t n = c->n_errtail;
	while (n && (c->errtail[n - 1] == '\n' || c->errtail[n - 1] == '\r'))
		n--;
	size_t b = n;
	while (b && c->errtail[b - 1] != '\n')
		b--;
	if (b == n) {
		out[0] = 0;
		return out;
	}
	snprintf(out, cap, " (stderr: %.*s)", (int)(n - b > 300 ? 300 : n - b), c->errtail + b);
	return out;
}

/* Hands every whole line in rbuf to the waiter. */
static cr_err take_lines(cr_mcp *c, cr_mcp_wait *w, cr_msg *m)
{
	size_t start = 0;
	cr_err e = CR_OK;
	while (!e && start < c->rbuf.len) {
		char *nl = memchr(c->rbuf.data + start, '\n', c->rbuf.len - start);
		if (!nl)
			break;
		size_t n = (size_t)(nl - (c->rbuf.data + start));
		const char *l = c->rbuf.data + start;
		size_t k = n;
		while (k && (l[k - 1] == '\r' || l[k - 1] == ' ' || l[k - 1] == '\t'))
			k--;
		if (k)
			e = cr_mcp_on_message(w, l, k, m);
		start += n + 1;
	}
	if (start) {
		memmove(c->rbuf.data, c->rbuf.data + start, c->rbuf.len - start);
		c->rbuf.len -= start;
		c->rbuf.data[c->rbuf.len] = 0;
	}
	if (!e && c->rbuf.len > c->max_msg)
		e = cr_fail(m, CR_ETOOBIG, "mcp: a message from the server is over %zu bytes", c->max_msg);
	return e;
}

cr_err cr_mcp_stdio_send(cr_mcp *c, const char *text, size_t n, cr_mcp_wait *w, cr_msg *m)
{
	char hint[400];
	if (c->fd_to < 0)
		return cr_fail(m, CR_EUPSTREAM, "mcp: the server's connection is closed");
	/* write the line; the socket is blocking, poll bounds each wait */
	double deadline = cr_now() + c->timeout;
	for (size_t off = 0; off < n + 1;) {
		const char *p = off < n ? text + off : "\n";
		size_t k = off < n ? n - off : 1;
		struct pollfd pf = {.fd = c->fd_to, .events = POLLOUT};
		int r = poll(&pf, 1, 100);
		if (r < 0 && errno != EINTR)
			return cr_fail(m, CR_EIO, "mcp: poll: %s", strerror(errno));
		if (cr_now() > deadline)
			return cr_fail(m, CR_ETIMEOUT, "mcp: the server does not read its input (%.0f s)", c->timeout);
		cr_err ce = cr_cancel_check(c->cancel);
		if (ce)
			return cr_fail(m, ce, "mcp: %s", cr_strerror(ce));
		if (r <= 0)
			continue;
		ssize_t wr = send(c->fd_to, p, k, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (wr < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return cr_fail(m, CR_EUPSTREAM, "mcp: the server closed its input (%s)%s", strerror(errno),
				       err_hint(c, hint, sizeof hint));
		}
		off += (size_t)wr;
	}
	if (!w)
		return CR_OK;
	cr_err e = take_lines(c, w, m);
	while (!e && !w->done) {
		if (cr_now() > deadline)
			return cr_fail(m, CR_ETIMEOUT, "mcp: no reply from the server within %.0f s%s", c->timeout,
				       err_hint(c, hint, sizeof hint));
		cr_err ce = cr_cancel_check(c->cancel);
		if (ce)
			return cr_fail(m, ce, "mcp: %s", cr_strerror(ce));
		struct pollfd pf[2] = {{.fd = c->fd_from, .events = POLLIN}, {.fd = c->fd_err, .events = POLLIN}};
		int r = poll(pf, c->fd_err >= 0 ? 2 : 1, 100);
		if (r < 0 && errno != EINTR)
			return cr_fail(m, CR_EIO, "mcp: poll: %s", strerror(errno));
		if (r <= 0)
			continue;
		if (c->fd_err >= 0 && (pf[1].revents & (POLLIN | POLLHUP)))
			drain_err(c);
		if (!(pf[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		if (cr_buf_reserve(&c->rbuf, 65536)) {
			/* the buffer is at its cap: the line is too long */
			return cr_fail(m, CR_ETOOBIG, "mcp: a message from the server is over %zu bytes", c->max_msg);
		}
		size_t room = c->rbuf.alloc - c->rbuf.len - 1;
		ssize_t k = recv(c->fd_from, c->rbuf.data + c->rbuf.len, room, MSG_DONTWAIT);
		if (k < 0 && errno == ECONNRESET)
			k = 0; /* it exited with our request unread */
		if (k < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return cr_fail(m, CR_EUPSTREAM, "mcp: reading from the server: %s", strerror(errno));
		}
		if (k == 0) {
			/* let the last stderr words arrive */
			for (int i = 0; i < 5 && c->fd_err >= 0; i++) {
				struct pollfd pe = {.fd = c->fd_err, .events = POLLIN};
				if (poll(&pe, 1, 20) <= 0)
					break;
				drain_err(c);
			}
			close(c->fd_from);
			c->fd_from = c->fd_to = -1;
			return cr_fail(m, CR_EUPSTREAM, "mcp: the server exited or closed its output before replying%s",
				       err_hint(c, hint, sizeof hint));
		}
		c->rbuf.len += (size_t)k;
		c->rbuf.data[c->rbuf.len] = 0;
		e = take_lines(c, w, m);
	}
	return e;
}

/* Waits up to ms for the child to exit; 1 if reaped. */
static int reap(pid_t pid, int ms)
{
	for (int i = 0; i <= ms / 10; i++) {
		pid_t r = waitpid(pid, NULL, WNOHANG);
		if (r == pid || (r < 0 && errno == ECHILD))
			return 1;
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	return 0;
}

void cr_mcp_stdio_stop(cr_mcp *c)
{
	if (c->fd_to >= 0)
		shutdown(c->fd_to, SHUT_WR);
	if (c->pid > 0 && !reap(c->pid, 1000)) {
		kill(-c->pid, SIGTERM);
		if (!reap(c->pid, 1000)) {
			kill(-c->pid, SIGKILL);
			CR_IGNORE(waitpid(c->pid, NULL, 0));
		}
	}
	c->pid = 0;
	if (c->fd_from >= 0)
		close(c->fd_from);
	if (c->fd_err >= 0)
		close(c->fd_err);
	c->fd_to = c->fd_from = c->fd_err = -1;
	cr_buf_release(&c->rbuf);
}
